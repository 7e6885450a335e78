//! Configuration: settings read from the environment, a `.env` file or a TOML file (through the
//! `config` crate), validated once at start-up into a typed [`Settings`].
//!
//! Validation never stops at the first mistake: every problem is collected into one
//! [`ConfigError`], each naming the setting and how to fix it. Nothing reads the environment after
//! [`Settings`] exists.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use config::Source as _;
use url::Url;

use crate::keys::SigningKey;
use crate::sensitive::Sensitive;

mod documented;
mod identifiers;
mod problems;
mod sections;
mod validate;

pub use documented::{SettingDoc, SETTINGS};
pub use identifiers::{DatabaseUrl, SepId};
pub use problems::{ConfigError, ConfigProblem};
pub use sections::{
    rate_limit_defaults, AmlSettings, RateLimitSettings, Sep10Settings, Sep12Settings, Sep3ScreeningFailure,
    Sep3Settings,
};
use validate::{RawSettings, Validator};

/// The test network's passphrase, the default of `STELLAR_NETWORK_PASSPHRASE`.
pub const TESTNET_PASSPHRASE: &str = "Test SDF Network ; September 2015";
/// The public network's passphrase.
pub const PUBNET_PASSPHRASE: &str = "Public Global Stellar Network ; September 2015";

/// The validated configuration. Built only by [`Settings::load`]; never changes afterwards.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// `ACTIVE_SEPS`: the modules mounted.
    pub active_seps: BTreeSet<SepId>,
    /// `HOST_URL`: the public origin, without trailing slash (`https://anchor.example`).
    pub host_url: String,
    /// `LOCAL_MODE`: development mode (http allowed, private addresses reachable).
    pub local_mode: bool,
    /// `SIGNING_SEED`: the anchor's signing key; its public half is `SIGNING_KEY`.
    pub signing_key: SigningKey,
    /// `SERVER_JWT_KEY`: the HS256 key of SEP-10 tokens.
    pub server_jwt_key: Sensitive<Vec<u8>>,
    /// `STELLAR_NETWORK_PASSPHRASE`.
    pub network_passphrase: String,
    /// `HORIZON_URI`.
    pub horizon_uri: String,
    /// SEP-10 settings.
    pub sep10: Sep10Settings,
    /// SEP-12 settings.
    pub sep12: Sep12Settings,
    /// SEP-3 settings.
    pub sep3: Sep3Settings,
    /// Sanctions screening thresholds.
    pub aml: AmlSettings,
    /// `DATABASE_URL`.
    pub database_url: DatabaseUrl,
    /// `DATABASE_POOL_SIZE`: most pooled connections (`None`: the backend's default).
    pub database_pool_size: Option<u32>,
    /// `BIND_ADDRESS`: the public listener.
    pub bind_address: SocketAddr,
    /// `INTERNAL_BIND_ADDRESS`: the internal (admin) listener.
    pub internal_bind_address: SocketAddr,
    /// `ADMIN_API_KEY`: bearer key of the internal API.
    pub admin_api_key: Option<Sensitive<String>>,
    /// `STELLAR_TOML_FILE`: the anchor's own static part of stellar.toml, already parsed.
    pub stellar_toml_static: toml::Table,
    /// `MAX_REQUEST_BODY_BYTES`: largest JSON or form body accepted.
    pub max_request_body_bytes: usize,
    /// Rate limits per client address (`RATE_LIMIT_*`, `TRUSTED_PROXIES`).
    pub rate_limits: RateLimitSettings,
}

impl Settings {
    /// Loads settings from the process environment, a `.env` file in the working directory (if
    /// present; real environment variables win over it) and an optional TOML file (environment
    /// variables win over it too).
    pub fn load(config_file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut env: HashMap<String, String> = HashMap::new();
        match dotenvy::from_path_iter(".env") {
            Ok(entries) => {
                for entry in entries {
                    match entry {
                        Ok((key, value)) => {
                            env.insert(key, value);
                        }
                        Err(err) => {
                            return Err(ConfigError::single(".env", format!("cannot be read: {err}")))
                        }
                    }
                }
            }
            Err(err) if err.not_found() => {}
            Err(err) => return Err(ConfigError::single(".env", format!("cannot be read: {err}"))),
        }
        env.extend(std::env::vars());
        Settings::from_sources(config_file, env)
    }

    /// Loads settings from an explicit environment map and an optional TOML file. Used by
    /// [`Settings::load`] and by tests, which must not touch the process environment.
    pub fn from_sources(
        config_file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let known: HashMap<String, &'static str> =
            SETTINGS.iter().map(|setting| (setting.name.to_ascii_lowercase(), setting.name)).collect();
        // Only our own variables are handed to the `config` crate: PATH, HOME and friends are
        // neither settings nor mistakes.
        let env: config::Map<String, String> =
            env.into_iter().filter(|(key, _)| known.contains_key(&key.to_ascii_lowercase())).collect();

        let mut problems = Vec::new();
        let mut builder = config::Config::builder();
        if let Some(path) = config_file {
            let file = config::File::from(path).format(config::FileFormat::Toml).required(true);
            match config::Config::builder().add_source(file.clone()).build() {
                Ok(only_file) => {
                    for key in only_file.collect().unwrap_or_default().keys() {
                        if !known.contains_key(&key.to_ascii_lowercase()) {
                            problems.push(ConfigProblem::new(
                                "--config",
                                format!(
                                    "`{}` sets `{key}`, which is not a setting (see docs/configuration.md)",
                                    path.display()
                                ),
                            ));
                        }
                    }
                    builder = builder.add_source(file);
                }
                Err(err) => {
                    return Err(ConfigError::single("--config", format!("`{}`: {err}", path.display())))
                }
            }
        }
        builder = builder.add_source(config::Environment::default().source(Some(env)));
        let merged = builder
            .build()
            .map_err(|err| ConfigError::single("environment", err.to_string()))?
            .collect()
            .map_err(|err| ConfigError::single("environment", err.to_string()))?;

        let raw = RawSettings::new(merged);
        let mut validator = Validator { raw, problems };
        let settings = validator.validate();
        match settings {
            Some(settings) if validator.problems.is_empty() => Ok(settings),
            _ => Err(ConfigError { problems: validator.problems }),
        }
    }

    /// Whether a SEP is listed in `ACTIVE_SEPS`.
    pub fn is_active(&self, sep: SepId) -> bool {
        self.active_seps.contains(&sep)
    }

    /// `host[:port]` of `HOST_URL`, lower-case: SEP-10's `web_auth_domain` and the domain of
    /// this anchor's federation addresses.
    pub fn host_domain(&self) -> String {
        Url::parse(&self.host_url).ok().and_then(|url| url_authority(&url)).unwrap_or_default()
    }

    /// `SIGNING_KEY`: the public key of `SIGNING_SEED`.
    pub fn signing_key_public(&self) -> &str {
        self.signing_key.public_key()
    }

    /// The effective configuration with every secret redacted, one `(setting, value)` per line,
    /// in documentation order. This is what `config check` prints.
    pub fn redacted(&self) -> Vec<(&'static str, String)> {
        let list = |items: &[String]| items.join(",");
        let seps = self.active_seps.iter().map(|sep| sep.name()).collect::<Vec<_>>().join(",");
        let secs = |d: Duration| d.as_secs().to_string();
        vec![
            ("ACTIVE_SEPS", seps),
            ("HOST_URL", self.host_url.clone()),
            ("LOCAL_MODE", self.local_mode.to_string()),
            ("SIGNING_SEED", format!("[redacted] (SIGNING_KEY {})", self.signing_key.public_key())),
            ("SERVER_JWT_KEY", "[redacted]".into()),
            ("STELLAR_NETWORK_PASSPHRASE", self.network_passphrase.clone()),
            ("HORIZON_URI", self.horizon_uri.clone()),
            ("SEP10_HOME_DOMAINS", list(&self.sep10.home_domains)),
            ("SEP10_AUTH_TIMEOUT", secs(self.sep10.auth_timeout)),
            ("SEP10_JWT_TIMEOUT", secs(self.sep10.jwt_timeout)),
            ("SEP10_CLIENT_ATTRIBUTION_REQUIRED", self.sep10.client_attribution_required.to_string()),
            ("SEP10_CLIENT_ATTRIBUTION_ALLOWLIST", list(&self.sep10.client_attribution_allowlist)),
            ("SEP10_CLIENT_ATTRIBUTION_DENYLIST", list(&self.sep10.client_attribution_denylist)),
            ("SEP10_CLIENT_ATTRIBUTION_REQUEST_TIMEOUT", secs(self.sep10.client_attribution_request_timeout)),
            ("SEP10_REQUIRE_SIGNED_REQUESTS", self.sep10.require_signed_requests.to_string()),
            // Outbound lookups of SEP-10: caches and concurrency.
            ("SEP10_HORIZON_CACHE_TTL", secs(self.sep10.horizon_cache_ttl)),
            ("SEP10_HORIZON_CACHE_ENTRIES", self.sep10.horizon_cache_entries.to_string()),
            ("SEP10_CLIENT_DOMAIN_FAILURE_TTL", secs(self.sep10.client_domain_failure_ttl)),
            ("SEP10_MAX_CONCURRENT_LOOKUPS", self.sep10.max_concurrent_lookups.to_string()),
            (
                "SEP3_SCREENING_FAILURE",
                match self.sep3.screening_failure {
                    Sep3ScreeningFailure::Pending(wait) => format!("pending:{}", wait.as_secs()),
                    Sep3ScreeningFailure::Deny => "deny".into(),
                },
            ),
            ("SEP3_NEED_INFO", self.sep3.need_info.to_string()),
            ("SEP3_OUTBOUND_TIMEOUT", secs(self.sep3.outbound_timeout)),
            ("AML_MATCH_THRESHOLD", self.aml.match_threshold.to_string()),
            ("AML_REVIEW_THRESHOLD", self.aml.review_threshold.to_string()),
            ("AML_ENABLED", self.aml.enabled.to_string()),
            ("AML_SCAN_INTERVAL", secs(self.aml.scan_interval)),
            ("AML_BATCH_SIZE", self.aml.batch_size.to_string()),
            ("AML_SCAN_LEASE", secs(self.aml.scan_lease)),
            ("AML_SYNC_INTERVAL", secs(self.aml.sync_interval)),
            ("AML_ALLOWLIST_EXPIRY", secs(self.aml.allowlist_expiry)),
            ("AML_LIST_UPDATE_INTERVAL", secs(self.aml.list_update_interval)),
            ("AML_AUDIT_RETENTION_DAYS", self.aml.audit_retention_days.to_string()),
            (
                "AML_FREEZE_SCOPE",
                if self.aml.freeze_whole_account { "account".into() } else { "customer".into() },
            ),
            ("SMTP_URL", if self.aml.smtp_url.is_some() { "[redacted]".into() } else { "(not set)".into() }),
            ("SMTP_FROM", self.aml.smtp_from.clone()),
            ("COMPLIANCE_OFFICER_EMAIL", list(&self.aml.officer_emails)),
            ("AML_WEBHOOK_URL", self.aml.webhook_url.clone().unwrap_or_else(|| "(not set)".into())),
            (
                "AML_WEBHOOK_SECRET",
                if self.aml.webhook_secret.is_some() { "[redacted]".into() } else { "(not set)".into() },
            ),
            ("AML_NOTIFY_MAX_ATTEMPTS", self.aml.notify_max_attempts.to_string()),
            ("DATABASE_URL", self.database_url.to_string()),
            (
                "DATABASE_POOL_SIZE",
                self.database_pool_size
                    .map_or_else(|| "(backend default)".to_string(), |size| size.to_string()),
            ),
            ("BIND_ADDRESS", self.bind_address.to_string()),
            ("INTERNAL_BIND_ADDRESS", self.internal_bind_address.to_string()),
            (
                "ADMIN_API_KEY",
                if self.admin_api_key.is_some() { "[redacted]".into() } else { "(not set)".into() },
            ),
            ("STELLAR_TOML_FILE", format!("({} static keys)", self.stellar_toml_static.len())),
            ("MAX_REQUEST_BODY_BYTES", self.max_request_body_bytes.to_string()),
            ("SEP12_MAX_FILE_BYTES", self.sep12.max_file_bytes.to_string()),
            ("SEP12_FILE_CONTENT_TYPES", list(&self.sep12.file_content_types)),
            ("SEP12_FILE_EXPIRY", secs(self.sep12.file_expiry)),
            ("SEP12_MAX_FILES_PER_CUSTOMER", self.sep12.max_files_per_customer.to_string()),
            ("SEP12_MAX_FILE_BYTES_PER_CUSTOMER", self.sep12.max_file_bytes_per_customer.to_string()),
            ("SEP12_CALLBACK_TIMEOUT", secs(self.sep12.callback_timeout)),
            ("SEP12_CALLBACK_MAX_ATTEMPTS", self.sep12.callback_max_attempts.to_string()),
        ]
        .into_iter()
        .chain(self.rate_limits.redacted())
        .collect()
    }
}

/// `host[:port]` of a URL (the port only when it is not the scheme's default).
pub fn url_authority(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// Whether `text` is a bare `host[:port]` (no scheme, path, credentials).
fn is_domain(text: &str) -> bool {
    if text.contains("://") || text.contains('/') || text.contains('@') || text.is_empty() {
        return false;
    }
    match Url::parse(&format!("https://{text}")) {
        Ok(url) => url_authority(&url).is_some_and(|authority| authority.eq_ignore_ascii_case(text)),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests;
