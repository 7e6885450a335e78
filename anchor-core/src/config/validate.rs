//! Reading and checking the raw settings: every value parsed by its setting's rule, every
//! problem collected, nothing read from the environment afterwards.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use url::Url;

use super::*;
use crate::ratelimit::{AddressRange, Rate};

/// The raw, merged key/value map, looked up case-insensitively (the `config` crate lowercases
/// environment keys but keeps a file's keys as written). Environment wins over the file.
pub(super) struct RawSettings {
    values: BTreeMap<String, Vec<(String, config::Value)>>,
}

impl RawSettings {
    pub(super) fn new(merged: config::Map<String, config::Value>) -> Self {
        let mut values: BTreeMap<String, Vec<(String, config::Value)>> = BTreeMap::new();
        for (key, value) in merged {
            values.entry(key.to_ascii_lowercase()).or_default().push((key, value));
        }
        RawSettings { values }
    }

    fn get(&self, name: &str) -> Option<config::Value> {
        let entries = self.values.get(&name.to_ascii_lowercase())?;
        // An all-lowercase key came from the environment (or a lowercase file key, which the
        // `config` crate has already merged with environment precedence).
        let lower = name.to_ascii_lowercase();
        entries
            .iter()
            .find(|(key, _)| *key == lower)
            .or_else(|| entries.first())
            .map(|(_, value)| value.clone())
    }
}

pub(super) struct Validator {
    pub(super) raw: RawSettings,
    pub(super) problems: Vec<ConfigProblem>,
}

impl Validator {
    fn problem(&mut self, setting: &str, message: impl Into<String>) {
        self.problems.push(ConfigProblem::new(setting, message));
    }

    fn string(&mut self, name: &str) -> Option<String> {
        let value = self.raw.get(name)?;
        match value.into_string() {
            Ok(text) => Some(text.trim().to_string()).filter(|text| !text.is_empty()),
            Err(_) => {
                self.problem(name, "must be a single value, not a list or table");
                None
            }
        }
    }

    fn list(&mut self, name: &str) -> Option<Vec<String>> {
        let value = self.raw.get(name)?;
        let items = match value.clone().into_array() {
            Ok(array) => {
                let mut items = Vec::new();
                for item in array {
                    match item.into_string() {
                        Ok(text) => items.push(text),
                        Err(_) => {
                            self.problem(name, "must be a list of strings");
                            return None;
                        }
                    }
                }
                items
            }
            Err(_) => match value.into_string() {
                Ok(text) => text.split(',').map(str::to_string).collect(),
                Err(_) => {
                    self.problem(name, "must be a comma-separated list");
                    return None;
                }
            },
        };
        Some(items.into_iter().map(|item| item.trim().to_string()).filter(|item| !item.is_empty()).collect())
    }

    fn flag(&mut self, name: &str, default: bool) -> bool {
        let Some(value) = self.raw.get(name) else {
            return default;
        };
        match value.into_bool() {
            Ok(flag) => flag,
            Err(_) => {
                self.problem(name, "must be true or false (also accepted: 1/0, yes/no, on/off)");
                default
            }
        }
    }

    fn seconds(&mut self, name: &str, default: u64) -> Duration {
        let Some(text) = self.string(name) else {
            return Duration::from_secs(default);
        };
        match text.parse::<u64>() {
            Ok(secs) if secs > 0 => Duration::from_secs(secs),
            _ => {
                self.problem(name, format!("must be a positive whole number of seconds (default {default})"));
                Duration::from_secs(default)
            }
        }
    }

    fn socket_address(&mut self, name: &str, default: &str) -> SocketAddr {
        let fallback = SocketAddr::from(([127, 0, 0, 1], 0));
        let text = self.string(name).unwrap_or_else(|| default.to_string());
        match text.parse::<SocketAddr>() {
            Ok(address) => address,
            Err(_) => {
                self.problem(name, format!("`{text}` is not an IP:port address, e.g. `{default}`"));
                fallback
            }
        }
    }

    pub(super) fn validate(&mut self) -> Option<Settings> {
        let local_mode = self.flag("LOCAL_MODE", false);

        let active_seps = self.active_seps();
        let host_url = self.host_url(local_mode);
        let signing_key = self.signing_key();
        let server_jwt_key = self.server_jwt_key();

        let network_passphrase =
            self.string("STELLAR_NETWORK_PASSPHRASE").unwrap_or_else(|| TESTNET_PASSPHRASE.to_string());
        let default_horizon = if network_passphrase == PUBNET_PASSPHRASE {
            "https://horizon.stellar.org"
        } else {
            "https://horizon-testnet.stellar.org"
        };
        let horizon_uri = self.http_url("HORIZON_URI", default_horizon, local_mode);

        let default_home =
            host_url.as_ref().and_then(|url| Url::parse(url).ok()).and_then(|url| url_authority(&url));
        let home_domains = match self.list("SEP10_HOME_DOMAINS") {
            Some(domains) if !domains.is_empty() => domains,
            _ => default_home.into_iter().collect(),
        };
        for domain in &home_domains {
            if !is_domain(domain) {
                self.problem(
                    "SEP10_HOME_DOMAINS",
                    format!("`{domain}` is not a domain; write `anchor.example` (no scheme, no path)"),
                );
            }
        }
        if active_seps.contains(&SepId::Sep10) && home_domains.is_empty() && host_url.is_some() {
            self.problem("SEP10_HOME_DOMAINS", "is empty; list at least one home domain");
        }
        let allowlist = self.domain_list("SEP10_CLIENT_ATTRIBUTION_ALLOWLIST");
        let denylist = self.domain_list("SEP10_CLIENT_ATTRIBUTION_DENYLIST");
        let sep10 = Sep10Settings {
            home_domains,
            auth_timeout: self.seconds("SEP10_AUTH_TIMEOUT", 900),
            jwt_timeout: self.seconds("SEP10_JWT_TIMEOUT", 86_400),
            client_attribution_required: self.flag("SEP10_CLIENT_ATTRIBUTION_REQUIRED", false),
            client_attribution_allowlist: allowlist,
            client_attribution_denylist: denylist,
            client_attribution_request_timeout: self.seconds("SEP10_CLIENT_ATTRIBUTION_REQUEST_TIMEOUT", 3),
            require_signed_requests: self.flag("SEP10_REQUIRE_SIGNED_REQUESTS", false),

            // Outbound lookups of SEP-10: caches and concurrency.
            horizon_cache_ttl: Duration::from_secs(u64::from(self.whole_number(
                "SEP10_HORIZON_CACHE_TTL",
                10,
                0..=300,
            ))),
            horizon_cache_entries: self.whole_number("SEP10_HORIZON_CACHE_ENTRIES", 10_000, 1..=1_000_000)
                as usize,
            client_domain_failure_ttl: Duration::from_secs(u64::from(self.whole_number(
                "SEP10_CLIENT_DOMAIN_FAILURE_TTL",
                60,
                0..=3_600,
            ))),
            max_concurrent_lookups: self.whole_number("SEP10_MAX_CONCURRENT_LOOKUPS", 32, 1..=1_024),
        };

        let database_url = self.database_url();
        let database_pool_size = match self.string("DATABASE_POOL_SIZE") {
            None => None,
            Some(text) => match text.parse::<u32>() {
                Ok(size) if (1..=1000).contains(&size) => Some(size),
                _ => {
                    self.problem("DATABASE_POOL_SIZE", "must be a whole number from 1 to 1000");
                    None
                }
            },
        };
        let bind_address = self.socket_address("BIND_ADDRESS", "127.0.0.1:8000");
        let internal_bind_address = self.socket_address("INTERNAL_BIND_ADDRESS", "127.0.0.1:8001");
        let admin_api_key = self.string("ADMIN_API_KEY").map(Sensitive::new);
        if let Some(key) = &admin_api_key {
            if key.expose().len() < 32 {
                self.problem(
                    "ADMIN_API_KEY",
                    format!(
                        "is {} bytes long; use at least 32 random bytes (`keys generate` prints one)",
                        key.expose().len()
                    ),
                );
            }
        }
        if !internal_bind_address.ip().is_loopback() && admin_api_key.is_none() {
            self.problem(
                "ADMIN_API_KEY",
                format!(
                    "must be set because INTERNAL_BIND_ADDRESS ({internal_bind_address}) is not a loopback address"
                ),
            );
        }
        let stellar_toml_static = self.stellar_toml_file();
        let max_request_body_bytes = match self.string("MAX_REQUEST_BODY_BYTES") {
            None => 262_144,
            Some(text) => match text.parse::<usize>() {
                Ok(bytes) if bytes >= 1024 => bytes,
                _ => {
                    self.problem("MAX_REQUEST_BODY_BYTES", "must be a whole number of bytes, at least 1024");
                    262_144
                }
            },
        };
        let sep12 = self.sep12_settings();
        let aml = self.aml_settings(local_mode, host_url.as_deref());
        let sep3 = self.sep3_settings();
        let rate_limits = self.rate_limit_settings();

        Some(Settings {
            active_seps,
            host_url: host_url?,
            local_mode,
            signing_key: signing_key?,
            server_jwt_key: server_jwt_key?,
            network_passphrase,
            horizon_uri,
            sep10,
            sep12,
            sep3,
            aml,
            database_url: database_url?,
            database_pool_size,
            bind_address,
            internal_bind_address,
            admin_api_key,
            stellar_toml_static,
            max_request_body_bytes,
            rate_limits,
        })
    }

    fn threshold(&mut self, name: &str, default: f32) -> f32 {
        let Some(text) = self.string(name) else { return default };
        match text.parse::<f32>() {
            Ok(value) if value > 0.0 && value <= 1.0 => value,
            _ => {
                self.problem(name, format!("must be a number above 0 and at most 1 (default {default})"));
                default
            }
        }
    }

    fn sep3_settings(&mut self) -> Sep3Settings {
        let screening_failure = match self
            .string("SEP3_SCREENING_FAILURE")
            .map(|text| text.to_ascii_lowercase())
        {
            None => Sep3ScreeningFailure::Pending(Duration::from_secs(300)),
            Some(text) if text == "deny" => Sep3ScreeningFailure::Deny,
            Some(text) => match text.strip_prefix("pending:").map(str::parse::<u64>) {
                Some(Ok(secs)) if secs > 0 => Sep3ScreeningFailure::Pending(Duration::from_secs(secs)),
                _ => {
                    self.problem(
                        "SEP3_SCREENING_FAILURE",
                        "must be `pending:<seconds>` (e.g. `pending:300`) or `deny`; a failure to screen never passes",
                    );
                    Sep3ScreeningFailure::Pending(Duration::from_secs(300))
                }
            },
        };
        Sep3Settings {
            screening_failure,
            need_info: self.flag("SEP3_NEED_INFO", false),
            outbound_timeout: self.seconds("SEP3_OUTBOUND_TIMEOUT", 10),
        }
    }

    fn whole_number(&mut self, name: &str, default: u32, range: std::ops::RangeInclusive<u32>) -> u32 {
        let Some(text) = self.string(name) else { return default };
        match text.parse::<u32>() {
            Ok(value) if range.contains(&value) => value,
            _ => {
                self.problem(
                    name,
                    format!(
                        "must be a whole number from {} to {} (default {default})",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        }
    }

    fn aml_settings(&mut self, local_mode: bool, host_url: Option<&str>) -> AmlSettings {
        let match_threshold = self.threshold("AML_MATCH_THRESHOLD", 0.90);
        let review_threshold = self.threshold("AML_REVIEW_THRESHOLD", 0.80);
        if review_threshold > match_threshold {
            self.problem(
                "AML_REVIEW_THRESHOLD",
                format!("({review_threshold}) must not be above AML_MATCH_THRESHOLD ({match_threshold})"),
            );
        }
        let smtp_url = self.string("SMTP_URL");
        if let Some(url) = &smtp_url {
            match Url::parse(url) {
                Ok(parsed) if matches!(parsed.scheme(), "smtp" | "smtps") && parsed.host_str().is_some() => {}
                _ => self.problem(
                    "SMTP_URL",
                    "must be `smtp://host:port` or `smtps://host:port` (credentials allowed)",
                ),
            }
        }
        let officer_emails = self.list("COMPLIANCE_OFFICER_EMAIL").unwrap_or_default();
        for email in &officer_emails {
            if !email.contains('@') || email.contains(char::is_whitespace) {
                self.problem("COMPLIANCE_OFFICER_EMAIL", format!("`{email}` is not an email address"));
            }
        }
        if smtp_url.is_some() && officer_emails.is_empty() {
            self.problem(
                "COMPLIANCE_OFFICER_EMAIL",
                "must be set when SMTP_URL is set: who receives the emails?",
            );
        }
        let host =
            host_url.and_then(|url| Url::parse(url).ok()).and_then(|url| url.host_str().map(str::to_string));
        let smtp_from = self
            .string("SMTP_FROM")
            .unwrap_or_else(|| format!("anchor-aml@{}", host.as_deref().unwrap_or("localhost")));
        if !smtp_from.contains('@') {
            self.problem("SMTP_FROM", format!("`{smtp_from}` is not an email address"));
        }
        let webhook_url = self.string("AML_WEBHOOK_URL");
        if let Some(url) = &webhook_url {
            match Url::parse(url) {
                Ok(parsed) if parsed.scheme() == "https" || (parsed.scheme() == "http" && local_mode) => {}
                _ => self.problem("AML_WEBHOOK_URL", "must be an https URL (http only with LOCAL_MODE)"),
            }
        }
        let webhook_secret = self.string("AML_WEBHOOK_SECRET").map(Sensitive::new);
        match (&webhook_url, &webhook_secret) {
            (Some(_), None) => self.problem(
                "AML_WEBHOOK_SECRET",
                "must be set when AML_WEBHOOK_URL is set, so the receiver can check signatures",
            ),
            (_, Some(secret)) if secret.expose().len() < 32 => {
                self.problem("AML_WEBHOOK_SECRET", "must be at least 32 bytes long")
            }
            _ => {}
        }
        let freeze_whole_account = match self.string("AML_FREEZE_SCOPE").as_deref() {
            None | Some("customer") => false,
            Some("account") => true,
            Some(_) => {
                self.problem("AML_FREEZE_SCOPE", "must be `customer` or `account`");
                false
            }
        };
        AmlSettings {
            freeze_whole_account,
            match_threshold,
            review_threshold,
            enabled: self.flag("AML_ENABLED", true),
            scan_interval: self.seconds("AML_SCAN_INTERVAL", 86_400),
            batch_size: self.whole_number("AML_BATCH_SIZE", 1000, 1..=100_000),
            scan_lease: self.seconds("AML_SCAN_LEASE", 60),
            sync_interval: self.seconds("AML_SYNC_INTERVAL", 5),
            allowlist_expiry: self.seconds("AML_ALLOWLIST_EXPIRY", 31_536_000),
            list_update_interval: self.seconds("AML_LIST_UPDATE_INTERVAL", 86_400),
            audit_retention_days: self.whole_number("AML_AUDIT_RETENTION_DAYS", 2557, 1..=36_500),
            smtp_url: smtp_url.map(Sensitive::new),
            smtp_from,
            officer_emails,
            webhook_url,
            webhook_secret,
            notify_max_attempts: self.whole_number("AML_NOTIFY_MAX_ATTEMPTS", 8, 1..=50),
        }
    }

    fn sep12_settings(&mut self) -> Sep12Settings {
        const DEFAULT_MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
        let max_file_bytes = match self.string("SEP12_MAX_FILE_BYTES") {
            None => DEFAULT_MAX_FILE_BYTES,
            Some(text) => match text.parse::<usize>() {
                Ok(bytes) if (1024..=1024 * 1024 * 1024).contains(&bytes) => bytes,
                _ => {
                    self.problem(
                        "SEP12_MAX_FILE_BYTES",
                        "must be a whole number of bytes between 1024 and 1073741824",
                    );
                    DEFAULT_MAX_FILE_BYTES
                }
            },
        };
        let file_content_types = match self.list("SEP12_FILE_CONTENT_TYPES") {
            Some(types) if !types.is_empty() => {
                types.into_iter().map(|media_type| media_type.to_ascii_lowercase()).collect()
            }
            Some(_) => {
                self.problem(
                    "SEP12_FILE_CONTENT_TYPES",
                    "is empty; list at least one media type, e.g. `image/jpeg,image/png`",
                );
                Vec::new()
            }
            None => ["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"]
                .into_iter()
                .map(str::to_string)
                .collect(),
        };
        for media_type in &file_content_types {
            let valid = media_type.split_once('/').is_some_and(|(kind, sub)| {
                let token = |part: &str| {
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_'))
                };
                token(kind) && token(sub)
            });
            if !valid {
                self.problem(
                    "SEP12_FILE_CONTENT_TYPES",
                    format!("`{media_type}` is not a media type like `image/png`"),
                );
            }
        }
        let callback_max_attempts = match self.string("SEP12_CALLBACK_MAX_ATTEMPTS") {
            None => 20,
            Some(text) => match text.parse::<u32>() {
                Ok(attempts) if (1..=300).contains(&attempts) => attempts,
                _ => {
                    self.problem("SEP12_CALLBACK_MAX_ATTEMPTS", "must be a whole number from 1 to 300");
                    20
                }
            },
        };
        let max_files_per_customer = self.whole_number("SEP12_MAX_FILES_PER_CUSTOMER", 20, 1..=10_000);
        const DEFAULT_MAX_FILE_BYTES_PER_CUSTOMER: u64 = 50 * 1024 * 1024;
        let max_file_bytes_per_customer = match self.string("SEP12_MAX_FILE_BYTES_PER_CUSTOMER") {
            None => DEFAULT_MAX_FILE_BYTES_PER_CUSTOMER.max(max_file_bytes as u64),
            Some(text) => match text.parse::<u64>() {
                Ok(bytes) if bytes >= max_file_bytes as u64 && bytes <= 1 << 40 => bytes,
                _ => {
                    self.problem(
                        "SEP12_MAX_FILE_BYTES_PER_CUSTOMER",
                        format!(
                            "must be a whole number of bytes from SEP12_MAX_FILE_BYTES ({max_file_bytes}) \
                             to 1099511627776"
                        ),
                    );
                    DEFAULT_MAX_FILE_BYTES_PER_CUSTOMER
                }
            },
        };
        Sep12Settings {
            max_file_bytes,
            file_content_types,
            file_expiry: self.seconds("SEP12_FILE_EXPIRY", 86_400),
            max_files_per_customer,
            max_file_bytes_per_customer,
            callback_timeout: self.seconds("SEP12_CALLBACK_TIMEOUT", 10),
            callback_max_attempts,
        }
    }

    fn active_seps(&mut self) -> BTreeSet<SepId> {
        let Some(entries) = self.list("ACTIVE_SEPS") else {
            self.problem("ACTIVE_SEPS", "is not set; list the SEPs to serve, e.g. `sep-1,sep-10,sep-12`");
            return BTreeSet::new();
        };
        if entries.is_empty() {
            self.problem("ACTIVE_SEPS", "is empty; list the SEPs to serve, e.g. `sep-1,sep-10,sep-12`");
        }
        let mut seps = BTreeSet::new();
        for entry in entries {
            match entry.parse::<SepId>() {
                Ok(sep) => {
                    seps.insert(sep);
                }
                Err(message) => self.problem("ACTIVE_SEPS", message),
            }
        }
        seps
    }

    fn host_url(&mut self, local_mode: bool) -> Option<String> {
        let Some(text) = self.string("HOST_URL") else {
            self.problem(
                "HOST_URL",
                "is not set; give the anchor's public origin, e.g. `https://anchor.example`",
            );
            return None;
        };
        let url = match Url::parse(&text) {
            Ok(url) => url,
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                self.problem("HOST_URL", format!("`{text}` has no scheme; write `https://{text}`"));
                return None;
            }
            Err(err) => {
                self.problem("HOST_URL", format!("`{text}` is not a URL ({err})"));
                return None;
            }
        };
        let mut ok = true;
        match url.scheme() {
            "https" => {}
            "http" if local_mode => {}
            "http" => {
                self.problem(
                    "HOST_URL",
                    "must use https outside LOCAL_MODE (set LOCAL_MODE=true only for development)",
                );
                ok = false;
            }
            other => {
                self.problem("HOST_URL", format!("has scheme `{other}`; use https"));
                ok = false;
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            self.problem("HOST_URL", "has no host");
            ok = false;
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            self.problem(
                "HOST_URL",
                "must be an origin only (`https://anchor.example`), without path or query",
            );
            ok = false;
        }
        if !url.username().is_empty() || url.password().is_some() {
            self.problem("HOST_URL", "must not contain credentials");
            ok = false;
        }
        ok.then(|| text.trim_end_matches('/').to_string())
    }

    fn http_url(&mut self, name: &str, default: &str, local_mode: bool) -> String {
        let text = self.string(name).unwrap_or_else(|| default.to_string());
        match Url::parse(&text) {
            Ok(url) if url.scheme() == "https" || (url.scheme() == "http" && local_mode) => {
                text.trim_end_matches('/').to_string()
            }
            Ok(_) => {
                self.problem(name, "must be an https URL (http only with LOCAL_MODE)");
                text
            }
            Err(_) => {
                self.problem(name, format!("`{text}` is not a URL, e.g. `{default}`"));
                text
            }
        }
    }

    fn signing_key(&mut self) -> Option<SigningKey> {
        let Some(seed) = self.string("SIGNING_SEED") else {
            self.problem("SIGNING_SEED", "is not set; generate one with `keys generate`");
            return None;
        };
        match SigningKey::from_seed(&seed) {
            Ok(key) => Some(key),
            Err(_) => {
                let hint = if seed.starts_with('G') {
                    "looks like a public key (G…); SIGNING_SEED is the secret seed (S…)"
                } else {
                    "is not a valid Stellar secret seed (S… with 56 characters and a valid checksum)"
                };
                self.problem("SIGNING_SEED", format!("{hint}; generate one with `keys generate`"));
                None
            }
        }
    }

    fn server_jwt_key(&mut self) -> Option<Sensitive<Vec<u8>>> {
        let Some(key) = self.string("SERVER_JWT_KEY") else {
            self.problem("SERVER_JWT_KEY", "is not set; generate one with `keys generate`");
            return None;
        };
        if key.len() < 32 {
            self.problem(
                "SERVER_JWT_KEY",
                format!(
                    "is {} bytes long; it must be at least 32 bytes (`keys generate` prints one)",
                    key.len()
                ),
            );
            return None;
        }
        Some(Sensitive::new(key.into_bytes()))
    }

    fn domain_list(&mut self, name: &str) -> Vec<String> {
        let domains = self.list(name).unwrap_or_default();
        for domain in &domains {
            if !is_domain(domain) {
                self.problem(name, format!("`{domain}` is not a domain (no scheme, no path)"));
            }
        }
        domains
    }

    fn database_url(&mut self) -> Option<DatabaseUrl> {
        let text = self.string("DATABASE_URL").unwrap_or_else(|| "sqlite://anchor.sqlite3".to_string());
        match DatabaseUrl::parse(&text) {
            Ok(url) if url.backend_compiled() => Some(url),
            Ok(url) => {
                let backend = url.backend();
                self.problem(
                    "DATABASE_URL",
                    format!(
                        "uses {backend}, but this binary was built without the `{backend}` feature; rebuild with `--features {backend}`"
                    ),
                );
                None
            }
            Err(message) => {
                self.problem("DATABASE_URL", message);
                None
            }
        }
    }

    fn stellar_toml_file(&mut self) -> toml::Table {
        let Some(path) = self.string("STELLAR_TOML_FILE") else {
            return toml::Table::new();
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) => {
                self.problem("STELLAR_TOML_FILE", format!("`{path}` cannot be read: {err}"));
                return toml::Table::new();
            }
        };
        match text.parse::<toml::Table>() {
            Ok(table) => {
                for key in table.keys() {
                    if crate::sep1::GENERATED_KEYS.contains(&key.as_str()) {
                        self.problem(
                            "STELLAR_TOML_FILE",
                            format!("`{path}` sets `{key}`, which the framework generates from the settings; remove it"),
                        );
                    }
                }
                table
            }
            Err(err) => {
                self.problem("STELLAR_TOML_FILE", format!("`{path}` is not valid TOML: {err}"));
                toml::Table::new()
            }
        }
    }
}

impl Validator {
    fn rate(&mut self, name: &str, default: &str) -> Option<Rate> {
        let text = self.string(name).unwrap_or_else(|| default.to_string());
        match Rate::parse_setting(&text) {
            Ok(rate) => rate,
            Err(message) => {
                self.problem(name, format!("{message} (default `{default}`)"));
                Rate::parse_setting(default).ok().flatten()
            }
        }
    }

    fn rate_limit_settings(&mut self) -> RateLimitSettings {
        use rate_limit_defaults as default;
        let mut trusted_proxies = Vec::new();
        for entry in self.list("TRUSTED_PROXIES").unwrap_or_default() {
            match entry.parse::<AddressRange>() {
                Ok(range) => trusted_proxies.push(range),
                Err(message) => self.problem("TRUSTED_PROXIES", message),
            }
        }
        RateLimitSettings {
            sep10_challenge: self.rate("RATE_LIMIT_SEP10_CHALLENGE", default::SEP10_CHALLENGE),
            sep10_token: self.rate("RATE_LIMIT_SEP10_TOKEN", default::SEP10_TOKEN),
            sep3_auth_server: self.rate("RATE_LIMIT_SEP3_AUTH_SERVER", default::SEP3_AUTH_SERVER),
            federation: self.rate("RATE_LIMIT_FEDERATION", default::FEDERATION),
            console_sign_in: self.rate("RATE_LIMIT_CONSOLE_SIGN_IN", default::CONSOLE_SIGN_IN),
            max_addresses: self.whole_number(
                "RATE_LIMIT_MAX_ADDRESSES",
                default::MAX_ADDRESSES,
                100..=10_000_000,
            ) as usize,
            trusted_proxies,
        }
    }
}
