//! SEP-1: `GET /.well-known/stellar.toml`, generated from the settings and the active modules,
//! merged with the anchor's own static part (`STELLAR_TOML_FILE`) and hook
//! (`Integrations::stellar_toml`). Served as `text/plain` with `Access-Control-Allow-Origin: *`.

use std::sync::Arc;

use actix_web::{web, HttpResponse};

use crate::config::{ConfigProblem, Settings};
use crate::http::{BodyLimits, SepError};
use crate::integrations::StellarTomlHook;
use crate::keys::is_account_id;

/// Keys the framework writes itself; the anchor's static part may not set them.
pub(crate) const GENERATED_KEYS: &[&str] = &[
    "NETWORK_PASSPHRASE",
    "SIGNING_KEY",
    "WEB_AUTH_ENDPOINT",
    "KYC_SERVER",
    "AUTH_SERVER",
    "FEDERATION_SERVER",
];

/// SEP-1's size limit (consumers such as stellar/go stop reading at 100 KiB).
pub const MAX_STELLAR_TOML_BYTES: usize = 100 * 1024;

/// The rendered file: the part fixed at start-up and the optional per-request hook.
pub(crate) struct StellarToml {
    fixed: toml::Table,
    hook: Option<StellarTomlHook>,
    local_mode: bool,
}

impl StellarToml {
    /// Builds and validates the fixed part.
    pub(crate) fn new(
        settings: &Settings,
        module_entries: Vec<(&'static str, String)>,
        hook: Option<StellarTomlHook>,
    ) -> Result<StellarToml, ConfigProblem> {
        let mut fixed = toml::Table::new();
        fixed.insert("NETWORK_PASSPHRASE".into(), settings.network_passphrase.clone().into());
        fixed.insert("SIGNING_KEY".into(), settings.signing_key_public().to_string().into());
        for (key, value) in module_entries {
            fixed.insert(key.into(), value.into());
        }
        for (key, value) in &settings.stellar_toml_static {
            if !GENERATED_KEYS.contains(&key.as_str()) {
                fixed.insert(key.clone(), value.clone());
            }
        }
        let problems = validate(&fixed, settings.local_mode);
        if !problems.is_empty() {
            return Err(ConfigProblem::new(
                "STELLAR_TOML_FILE",
                format!("the stellar.toml would not pass SEP-1 checks: {}", problems.join("; ")),
            ));
        }
        let rendered = toml::to_string(&fixed)
            .map_err(|err| ConfigProblem::new("STELLAR_TOML_FILE", format!("cannot be rendered: {err}")))?;
        if rendered.len() > MAX_STELLAR_TOML_BYTES {
            return Err(ConfigProblem::new(
                "STELLAR_TOML_FILE",
                format!("stellar.toml would be {} bytes; SEP-1 allows at most 100 KB", rendered.len()),
            ));
        }
        Ok(StellarToml { fixed, hook, local_mode: settings.local_mode })
    }

    /// Renders the file, calling the hook if there is one.
    pub(crate) fn render(&self) -> Result<String, SepError> {
        let mut table = self.fixed.clone();
        if let Some(hook) = &self.hook {
            for (key, value) in hook() {
                if GENERATED_KEYS.contains(&key.as_str()) {
                    tracing::warn!(%key, "stellar.toml hook returned a generated key; ignored");
                    continue;
                }
                table.insert(key, value);
            }
            let problems = validate(&table, self.local_mode);
            if !problems.is_empty() {
                return Err(SepError::internal(format!(
                    "stellar.toml hook output fails SEP-1 checks: {}",
                    problems.join("; ")
                )));
            }
        }
        let rendered = toml::to_string(&table).map_err(SepError::internal)?;
        if rendered.len() > MAX_STELLAR_TOML_BYTES {
            return Err(SepError::internal("stellar.toml exceeds 100 KB"));
        }
        Ok(rendered)
    }
}

/// Mounts `/.well-known/stellar.toml` (GET and HEAD, CORS `*`).
pub(crate) fn mount(cfg: &mut web::ServiceConfig, limits: BodyLimits, toml: Arc<StellarToml>) {
    crate::http::mount_public_scope(cfg, "/.well-known", limits, move |scope| {
        let data = web::Data::from(toml);
        scope
            .app_data(data)
            .route("/stellar.toml", web::get().to(serve))
            .route("/stellar.toml", web::head().to(serve))
    });
}

async fn serve(toml: web::Data<StellarToml>) -> Result<HttpResponse, SepError> {
    let body = toml.render()?;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(body))
}

/// The checks the Stellar anchor validation suite applies to a stellar.toml, as messages.
pub(crate) fn validate(table: &toml::Table, local_mode: bool) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(passphrase) = table.get("NETWORK_PASSPHRASE") {
        if passphrase.as_str().is_none_or(str::is_empty) {
            problems.push("NETWORK_PASSPHRASE must be a non-empty string".to_string());
        }
    }
    for (key, value) in table {
        let is_url_key = key.ends_with("_SERVER")
            || key.ends_with("_ENDPOINT")
            || key.starts_with("TRANSFER_SERVER")
            || key == "HORIZON_URL";
        if is_url_key {
            match value.as_str() {
                Some(url) => problems.extend(check_url(key, url, local_mode)),
                None => problems.push(format!("{key} must be a string URL")),
            }
        }
    }
    if let Some(accounts) = table.get("ACCOUNTS") {
        match accounts.as_array() {
            Some(list) => {
                for account in list {
                    if !account.as_str().is_some_and(is_account_id) {
                        problems.push(format!("ACCOUNTS entry {account} is not a Stellar account (G…)"));
                    }
                }
            }
            None => problems.push("ACCOUNTS must be an array of G… accounts".to_string()),
        }
    }
    if let Some(documentation) = table.get("DOCUMENTATION") {
        match documentation.as_table() {
            Some(doc) => {
                for key in ["ORG_URL", "ORG_LOGO"] {
                    if let Some(url) = doc.get(key).and_then(|v| v.as_str()) {
                        problems.extend(check_url(&format!("DOCUMENTATION.{key}"), url, local_mode));
                    }
                }
            }
            None => problems.push("DOCUMENTATION must be a table ([DOCUMENTATION])".to_string()),
        }
    }
    if let Some(currencies) = table.get("CURRENCIES") {
        match currencies.as_array() {
            Some(list) => {
                for (index, currency) in list.iter().enumerate() {
                    match currency.as_table() {
                        Some(currency) => problems.extend(check_currency(index, currency)),
                        None => {
                            problems.push(format!("CURRENCIES[{index}] must be a table ([[CURRENCIES]])"))
                        }
                    }
                }
            }
            None => problems.push("CURRENCIES must be an array of tables ([[CURRENCIES]])".to_string()),
        }
    }
    problems
}

fn check_url(key: &str, text: &str, local_mode: bool) -> Vec<String> {
    let mut problems = Vec::new();
    match url::Url::parse(text) {
        Ok(url) => {
            if url.scheme() != "https" && !(local_mode && url.scheme() == "http") {
                problems.push(format!("{key} must be an https URL"));
            }
            if text.ends_with('/') {
                problems.push(format!("{key} must not end with a slash"));
            }
        }
        Err(_) => problems.push(format!("{key} is not a URL")),
    }
    problems
}

fn check_currency(index: usize, currency: &toml::Table) -> Vec<String> {
    let mut problems = Vec::new();
    let code = currency.get("code").and_then(|v| v.as_str());
    let template = currency.get("code_template").and_then(|v| v.as_str());
    match (code, template) {
        (Some(code), _)
            if code.is_empty() || code.len() > 12 || !code.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            problems.push(format!("CURRENCIES[{index}].code must be 1 to 12 letters or digits"));
        }
        (None, None) => problems.push(format!("CURRENCIES[{index}] needs a code")),
        _ => {}
    }
    if let Some(issuer) = currency.get("issuer") {
        if !issuer.as_str().is_some_and(is_account_id) {
            problems.push(format!("CURRENCIES[{index}].issuer must be a Stellar account (G…)"));
        }
    }
    if let Some(contract) = currency.get("contract") {
        let valid = contract.as_str().is_some_and(|c| stellar_strkey::Contract::from_string(c).is_ok());
        if !valid {
            problems.push(format!("CURRENCIES[{index}].contract must be a contract id (C…)"));
        }
    }
    if let Some(decimals) = currency.get("display_decimals") {
        if !decimals.as_integer().is_some_and(|d| (0..=7).contains(&d)) {
            problems.push(format!("CURRENCIES[{index}].display_decimals must be an integer from 0 to 7"));
        }
    }
    if let Some(status) = currency.get("status") {
        if !status.as_str().is_some_and(|s| ["live", "dead", "test", "private"].contains(&s)) {
            problems.push(format!("CURRENCIES[{index}].status must be live, dead, test or private"));
        }
    }
    problems
}

#[cfg(test)]
mod tests;
