//! Configuration: settings read from the environment, a `.env` file or a TOML file (through the
//! `config` crate), validated once at start-up into a typed [`Settings`].
//!
//! Validation never stops at the first mistake: every problem is collected into one
//! [`ConfigError`], each naming the setting and how to fix it. Nothing reads the environment after
//! [`Settings`] exists.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use config::Source as _;
use url::Url;

use crate::keys::SigningKey;
use crate::ratelimit::{AddressRange, Rate};
use crate::sensitive::Sensitive;

/// The test network's passphrase, the default of `STELLAR_NETWORK_PASSPHRASE`.
pub const TESTNET_PASSPHRASE: &str = "Test SDF Network ; September 2015";
/// The public network's passphrase.
pub const PUBNET_PASSPHRASE: &str = "Public Global Stellar Network ; September 2015";

/// A SEP this framework can serve, as named in `ACTIVE_SEPS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SepId {
    /// SEP-1 `stellar.toml`.
    Sep1,
    /// SEP-3 compliance protocol (`AUTH_SERVER`).
    Sep3,
    /// SEP-10 web authentication.
    Sep10,
    /// SEP-12 KYC API.
    Sep12,
}

impl SepId {
    /// Every SEP the framework knows, in `ACTIVE_SEPS` order.
    pub const ALL: [SepId; 4] = [SepId::Sep1, SepId::Sep3, SepId::Sep10, SepId::Sep12];

    /// The SEP number.
    pub fn number(self) -> u16 {
        match self {
            SepId::Sep1 => 1,
            SepId::Sep3 => 3,
            SepId::Sep10 => 10,
            SepId::Sep12 => 12,
        }
    }

    /// The canonical spelling, `sep-10`.
    pub fn name(self) -> String {
        format!("sep-{}", self.number())
    }
}

impl fmt::Display for SepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sep-{}", self.number())
    }
}

impl FromStr for SepId {
    type Err = String;

    /// Accepts the django-polaris spellings and their relatives: `sep-10`, `SEP10`, `sep_10`, `10`.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let lower = input.trim().to_ascii_lowercase();
        let digits = lower.strip_prefix("sep").unwrap_or(&lower);
        let digits = digits.trim_start_matches(['-', '_', ' ']);
        let supported = || SepId::ALL.iter().map(|sep| sep.name()).collect::<Vec<_>>().join(", ");
        match digits.parse::<u16>() {
            Ok(number) => SepId::ALL.into_iter().find(|sep| sep.number() == number).ok_or_else(|| {
                format!("`{input}` is not a SEP this framework serves (supported: {})", supported())
            }),
            Err(_) => Err(format!(
                "`{input}` is not a SEP name; write entries like `sep-10` (supported: {})",
                supported()
            )),
        }
    }
}

/// Where the database lives, chosen by the scheme of `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatabaseUrl {
    /// An SQLite file (`sqlite://PATH` or a bare path), created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://…`).
    Postgres(Sensitive<String>),
    /// A MySQL or MariaDB connection URL (`mysql://…`, `mariadb://…`).
    Mysql(Sensitive<String>),
}

impl DatabaseUrl {
    /// Parses a `DATABASE_URL` value.
    pub fn parse(input: &str) -> Result<DatabaseUrl, String> {
        let input = input.trim();
        if input.is_empty() {
            return Err("is empty; use `sqlite://anchor.sqlite3`, `postgres://…` or `mysql://…`".into());
        }
        let lower = input.to_ascii_lowercase();
        if let Some(path) = input.strip_prefix("sqlite://").or_else(|| input.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err("names no SQLite file; write `sqlite://PATH`".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(Sensitive::new(input.to_string())));
        }
        if lower.starts_with("mysql://") {
            return Ok(DatabaseUrl::Mysql(Sensitive::new(input.to_string())));
        }
        if let Some(rest) = input.get("mariadb://".len()..).filter(|_| lower.starts_with("mariadb://")) {
            return Ok(DatabaseUrl::Mysql(Sensitive::new(format!("mysql://{rest}"))));
        }
        if input.contains("://") {
            return Err("has an unsupported scheme; use `sqlite://`, `postgres://` or `mysql://`".into());
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(input)))
    }

    /// The backend's name: `sqlite`, `postgres` or `mysql` (also the cargo feature's name).
    pub fn backend(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
            DatabaseUrl::Mysql(_) => "mysql",
        }
    }

    fn backend_compiled(&self) -> bool {
        match self {
            DatabaseUrl::Sqlite(_) => cfg!(feature = "sqlite"),
            DatabaseUrl::Postgres(_) => cfg!(feature = "postgres"),
            DatabaseUrl::Mysql(_) => cfg!(feature = "mysql"),
        }
    }
}

/// Shows the URL with any password replaced.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) | DatabaseUrl::Mysql(url) => match Url::parse(url.expose()) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("REDACTED"));
                    }
                    write!(f, "{parsed}")
                }
                Err(_) => write!(f, "{}://[unparseable]", self.backend()),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// SEP-10 settings (django-polaris names in parentheses on each field's setting).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Sep10Settings {
    /// `SEP10_HOME_DOMAINS`: domains a challenge may name; the first is the default.
    pub home_domains: Vec<String>,
    /// `SEP10_AUTH_TIMEOUT`: how long a challenge is valid.
    pub auth_timeout: Duration,
    /// `SEP10_JWT_TIMEOUT`: how long an issued token is valid.
    pub jwt_timeout: Duration,
    /// `SEP10_CLIENT_ATTRIBUTION_REQUIRED`: refuse challenges without `client_domain`.
    pub client_attribution_required: bool,
    /// `SEP10_CLIENT_ATTRIBUTION_ALLOWLIST`: if non-empty, only these client domains are accepted.
    pub client_attribution_allowlist: Vec<String>,
    /// `SEP10_CLIENT_ATTRIBUTION_DENYLIST`: client domains that are refused.
    pub client_attribution_denylist: Vec<String>,
    /// `SEP10_CLIENT_ATTRIBUTION_REQUEST_TIMEOUT`: timeout for fetching a client's stellar.toml.
    pub client_attribution_request_timeout: Duration,
    /// `SEP10_REQUIRE_SIGNED_REQUESTS`: refuse `GET /auth` without the v3.4 signed request
    /// header (401).
    pub require_signed_requests: bool,

    // ----- Outbound lookups of SEP-10: caches and concurrency (security review L2) -----
    /// `SEP10_HORIZON_CACHE_TTL`: how long an account's signers and threshold read from Horizon
    /// may refuse further signatures without a new lookup (zero: no cache).
    pub horizon_cache_ttl: Duration,
    /// `SEP10_HORIZON_CACHE_ENTRIES`: most accounts kept in that cache.
    pub horizon_cache_entries: usize,
    /// `SEP10_CLIENT_DOMAIN_FAILURE_TTL`: how long a client domain whose stellar.toml could not
    /// be used is refused without fetching it again (zero: no negative cache).
    pub client_domain_failure_ttl: Duration,
    /// `SEP10_MAX_CONCURRENT_LOOKUPS`: most Horizon lookups and client-domain fetches in flight.
    pub max_concurrent_lookups: u32,
}

/// What SEP-3 answers when the sending party could not be screened (never a pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sep3ScreeningFailure {
    /// `pending`: the sender asks again after this long.
    Pending(Duration),
    /// `denied`.
    Deny,
}

/// SEP-3 settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sep3Settings {
    /// `SEP3_SCREENING_FAILURE`: `pending:<seconds>` (default `pending:300`) or `deny`.
    pub screening_failure: Sep3ScreeningFailure,
    /// `SEP3_NEED_INFO`: whether `/send` asks the receiving institution for its customer's data.
    pub need_info: bool,
    /// `SEP3_OUTBOUND_TIMEOUT`: timeout of requests to other institutions.
    pub outbound_timeout: Duration,
}

/// Screening thresholds, monitoring schedule and officer notifications (`anchor-aml`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AmlSettings {
    /// `AML_MATCH_THRESHOLD`: score from which a hit is a match (deny, freeze).
    pub match_threshold: f32,
    /// `AML_REVIEW_THRESHOLD`: score from which a hit goes to review.
    pub review_threshold: f32,
    /// `AML_ENABLED`: whether the anchor runs the AML monitor (registry, scanner, enforcement).
    pub enabled: bool,
    /// `AML_SCAN_INTERVAL`: time between full rescreens.
    pub scan_interval: Duration,
    /// `AML_BATCH_SIZE`: subjects screened and committed together.
    pub batch_size: u32,
    /// `AML_SCAN_LEASE`: how long a scanner's claim on a scan lasts without progress before
    /// another instance (or a restarted one) takes the scan over.
    pub scan_lease: Duration,
    /// `AML_SYNC_INTERVAL`: how often an instance reloads frozen accounts and list versions
    /// written by other instances.
    pub sync_interval: Duration,
    /// `AML_ALLOWLIST_EXPIRY`: default validity of a cleared false positive.
    pub allowlist_expiry: Duration,
    /// `AML_AUDIT_RETENTION_DAYS`: how long audit records are kept.
    pub audit_retention_days: u32,
    /// `AML_FREEZE_SCOPE=account`: a match on a memo or muxed customer of a shared account freezes
    /// the whole `G…` account; `customer` (the default) freezes that customer only (and the
    /// account when it has no other customer, or when the account itself is listed).
    pub freeze_whole_account: bool,
    /// `AML_LIST_UPDATE_INTERVAL`: how often `lists update` is expected to run; the officer
    /// console shows a list as stale when it has not been confirmed current for longer.
    pub list_update_interval: Duration,
    /// `SMTP_URL`: the officer's mail server (`smtp://`, `smtps://`); may carry credentials.
    pub smtp_url: Option<Sensitive<String>>,
    /// `SMTP_FROM`: sender address of notification emails.
    pub smtp_from: String,
    /// `COMPLIANCE_OFFICER_EMAIL`: recipients of notification emails.
    pub officer_emails: Vec<String>,
    /// `AML_WEBHOOK_URL`: receiver of signed notification webhooks.
    pub webhook_url: Option<String>,
    /// `AML_WEBHOOK_SECRET`: HMAC-SHA256 key of webhook signatures.
    pub webhook_secret: Option<Sensitive<String>>,
    /// `AML_NOTIFY_MAX_ATTEMPTS`: delivery attempts per notification before it is marked failed.
    pub notify_max_attempts: u32,
}

/// SEP-12 settings: uploaded files and status callbacks.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Sep12Settings {
    /// `SEP12_MAX_FILE_BYTES`: largest uploaded file (multipart part or `POST /customer/files`).
    pub max_file_bytes: usize,
    /// `SEP12_FILE_CONTENT_TYPES`: media types accepted for uploaded files.
    pub file_content_types: Vec<String>,
    /// `SEP12_FILE_EXPIRY`: how long an uploaded file no customer references is kept.
    pub file_expiry: Duration,
    /// `SEP12_MAX_FILES_PER_CUSTOMER`: files one SEP-10 identity (`sub`) may store at once.
    pub max_files_per_customer: u32,
    /// `SEP12_MAX_FILE_BYTES_PER_CUSTOMER`: bytes of files one SEP-10 identity may store at once.
    pub max_file_bytes_per_customer: u64,
    /// `SEP12_CALLBACK_TIMEOUT`: timeout of one status-callback delivery attempt.
    pub callback_timeout: Duration,
    /// `SEP12_CALLBACK_MAX_ATTEMPTS`: delivery attempts per status change (with backoff).
    pub callback_max_attempts: u32,
}

// ---------------------------------------------------------------------------------------------
// Rate limits per client address (`crate::ratelimit`; docs/security.md, "Rate limits").
// ---------------------------------------------------------------------------------------------

/// Rate limits per client address on unauthenticated routes. A `None` rate is off.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitSettings {
    /// `RATE_LIMIT_SEP10_CHALLENGE`: SEP-10 `GET /auth`.
    pub sep10_challenge: Option<Rate>,
    /// `RATE_LIMIT_SEP10_TOKEN`: SEP-10 `POST /auth`.
    pub sep10_token: Option<Rate>,
    /// `RATE_LIMIT_SEP3_AUTH_SERVER`: SEP-3 `POST AUTH_SERVER` and its `tx_status`.
    pub sep3_auth_server: Option<Rate>,
    /// `RATE_LIMIT_FEDERATION`: SEP-2 `GET /federation`.
    pub federation: Option<Rate>,
    /// `RATE_LIMIT_CONSOLE_SIGN_IN`: the officer console's `POST /admin/login`.
    pub console_sign_in: Option<Rate>,
    /// `RATE_LIMIT_MAX_ADDRESSES`: addresses each limiter tracks at most.
    pub max_addresses: usize,
    /// `TRUSTED_PROXIES`: peers whose `Forwarded`/`X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<AddressRange>,
}

/// The defaults of the rate-limit settings, in the setting's syntax.
pub mod rate_limit_defaults {
    /// `RATE_LIMIT_SEP10_CHALLENGE`.
    pub const SEP10_CHALLENGE: &str = "60/min burst 30";
    /// `RATE_LIMIT_SEP10_TOKEN`.
    pub const SEP10_TOKEN: &str = "60/min burst 30";
    /// `RATE_LIMIT_SEP3_AUTH_SERVER`.
    pub const SEP3_AUTH_SERVER: &str = "600/min burst 120";
    /// `RATE_LIMIT_FEDERATION`.
    pub const FEDERATION: &str = "120/min burst 60";
    /// `RATE_LIMIT_CONSOLE_SIGN_IN`.
    pub const CONSOLE_SIGN_IN: &str = "10/min burst 5";
    /// `RATE_LIMIT_MAX_ADDRESSES`.
    pub const MAX_ADDRESSES: u32 = 100_000;
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

impl RateLimitSettings {
    fn redacted(&self) -> Vec<(&'static str, String)> {
        let rate = |rate: Option<Rate>| rate.map_or_else(|| "off".to_string(), |rate| rate.to_string());
        vec![
            ("RATE_LIMIT_SEP10_CHALLENGE", rate(self.sep10_challenge)),
            ("RATE_LIMIT_SEP10_TOKEN", rate(self.sep10_token)),
            ("RATE_LIMIT_SEP3_AUTH_SERVER", rate(self.sep3_auth_server)),
            ("RATE_LIMIT_FEDERATION", rate(self.federation)),
            ("RATE_LIMIT_CONSOLE_SIGN_IN", rate(self.console_sign_in)),
            ("RATE_LIMIT_MAX_ADDRESSES", self.max_addresses.to_string()),
            (
                "TRUSTED_PROXIES",
                self.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
            ),
        ]
    }
}

// ---------------------------------------------------------------------------------------------

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

/// One configuration mistake: the setting and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The setting's name, as written in the environment (`SIGNING_SEED`).
    pub setting: String,
    /// What is wrong and how to fix it. Never contains a secret's value.
    pub message: String,
}

impl ConfigProblem {
    /// A problem with `setting`.
    pub fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigProblem { setting: setting.into(), message: message.into() }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.message)
    }
}

/// Every problem found in a configuration, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, in the order settings are documented.
    pub problems: Vec<ConfigProblem>,
}

impl ConfigError {
    /// An error with a single problem.
    pub fn single(setting: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { problems: vec![ConfigProblem::new(setting, message)] }
    }

    /// Whether one of the problems concerns `setting`.
    pub fn mentions(&self, setting: &str) -> bool {
        self.problems.iter().any(|problem| problem.setting == setting)
    }

    /// Adds the problems of `other`.
    pub fn extend(&mut self, other: ConfigError) {
        self.problems.extend(other.problems);
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        writeln!(f, "invalid configuration ({count} problem{}):", if count == 1 { "" } else { "s" })?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

/// A documented setting: the single source of `docs/configuration.md`'s table and of the list of
/// names the loader accepts.
#[derive(Debug, Clone, Copy)]
pub struct SettingDoc {
    /// Environment variable name.
    pub name: &'static str,
    /// Value type.
    pub kind: &'static str,
    /// Default, or `required`.
    pub default: &'static str,
    /// Which SEPs or parts need it.
    pub used_by: &'static str,
    /// What it does.
    pub description: &'static str,
}

/// Every setting the framework reads.
pub const SETTINGS: &[SettingDoc] = &[
    SettingDoc { name: "ACTIVE_SEPS", kind: "list of SEP names", default: "required", used_by: "all", description: "Modules to mount, comma-separated: `sep-1,sep-10,sep-12,sep-3`. `sep-10`, `SEP10` and `10` are all accepted." },
    SettingDoc { name: "HOST_URL", kind: "URL", default: "required", used_by: "all", description: "Public origin of the anchor (`https://anchor.example`), no path. Must be https unless `LOCAL_MODE`." },
    SettingDoc { name: "LOCAL_MODE", kind: "bool", default: "false", used_by: "all", description: "Development mode: allows http URLs and fetching stellar.toml files from loopback and private addresses. Never in production." },
    SettingDoc { name: "SIGNING_SEED", kind: "Stellar secret seed (S…)", default: "required", used_by: "SEP-1, SEP-10, SEP-3, SEP-12", description: "Signs SEP-10 challenges, SEP-3 messages and SEP-12 callbacks; its public key is published as `SIGNING_KEY`. Generate with `keys generate`." },
    SettingDoc { name: "SERVER_JWT_KEY", kind: "string, ≥ 32 bytes", default: "required", used_by: "SEP-10, SEP-12", description: "HS256 key of SEP-10 tokens. Generate with `keys generate`." },
    SettingDoc { name: "STELLAR_NETWORK_PASSPHRASE", kind: "string", default: TESTNET_PASSPHRASE, used_by: "SEP-1, SEP-10, SEP-3", description: "Network the anchor works on; published as `NETWORK_PASSPHRASE`." },
    SettingDoc { name: "HORIZON_URI", kind: "URL", default: "testnet or pubnet Horizon, by passphrase", used_by: "SEP-10, SEP-3", description: "Horizon used to read account signers." },
    SettingDoc { name: "SEP10_HOME_DOMAINS", kind: "list of domains", default: "host of HOST_URL", used_by: "SEP-10", description: "Home domains a challenge may be issued for; the first is the default." },
    SettingDoc { name: "SEP10_AUTH_TIMEOUT", kind: "seconds", default: "900", used_by: "SEP-10", description: "Validity of a challenge transaction." },
    SettingDoc { name: "SEP10_JWT_TIMEOUT", kind: "seconds", default: "86400", used_by: "SEP-10", description: "Validity of an issued token." },
    SettingDoc { name: "SEP10_CLIENT_ATTRIBUTION_REQUIRED", kind: "bool", default: "false", used_by: "SEP-10", description: "Refuse challenges without `client_domain` (403)." },
    SettingDoc { name: "SEP10_CLIENT_ATTRIBUTION_ALLOWLIST", kind: "list of domains", default: "(empty: all)", used_by: "SEP-10", description: "If set, only these client domains are accepted." },
    SettingDoc { name: "SEP10_CLIENT_ATTRIBUTION_DENYLIST", kind: "list of domains", default: "(empty)", used_by: "SEP-10", description: "Client domains that are refused." },
    SettingDoc { name: "SEP10_CLIENT_ATTRIBUTION_REQUEST_TIMEOUT", kind: "seconds", default: "3", used_by: "SEP-10", description: "Timeout for fetching a client domain's stellar.toml." },
    SettingDoc { name: "SEP10_REQUIRE_SIGNED_REQUESTS", kind: "bool", default: "false", used_by: "SEP-10", description: "Refuse `GET /auth` without the v3.4 signed request header (`Authorization: Bearer <EdDSA JWT>`) with 401." },
    // Outbound lookups of SEP-10: caches and concurrency.
    SettingDoc { name: "SEP10_HORIZON_CACHE_TTL", kind: "seconds, 0–300", default: "10", used_by: "SEP-10", description: "How long the signers and medium threshold of an account read from Horizon are reused to refuse a `POST /auth` whose signatures do not meet them; a POST whose signatures do is always checked again against a fresh lookup before a token is issued. `0` turns the cache off." },
    SettingDoc { name: "SEP10_HORIZON_CACHE_ENTRIES", kind: "whole number", default: "10000", used_by: "SEP-10", description: "Most accounts kept in that cache per worker (it starts over when full)." },
    SettingDoc { name: "SEP10_CLIENT_DOMAIN_FAILURE_TTL", kind: "seconds, 0–3600", default: "60", used_by: "SEP-10", description: "How long a `client_domain` whose stellar.toml could not be fetched or used is refused (400) without fetching it again. `0` turns the negative cache off." },
    SettingDoc { name: "SEP10_MAX_CONCURRENT_LOOKUPS", kind: "whole number, 1–1024", default: "32", used_by: "SEP-10", description: "Most Horizon account lookups and client stellar.toml fetches in flight at once per worker; a request that cannot start one within the Horizon timeout gets 503." },
    SettingDoc { name: "SEP3_SCREENING_FAILURE", kind: "`pending:<seconds>` or `deny`", default: "pending:300", used_by: "SEP-3", description: "What `AUTH_SERVER` answers when the sending party could not be screened (the sanctions integration failed): pending with a retry delay, or denied. Never a pass." },
    SettingDoc { name: "SEP3_NEED_INFO", kind: "bool", default: "false", used_by: "SEP-3", description: "Whether `/send` asks the receiving institution for its customer's data (`need_info`; the SDF server's `needs_auth`)." },
    SettingDoc { name: "SEP3_OUTBOUND_TIMEOUT", kind: "seconds", default: "10", used_by: "SEP-3", description: "Timeout of requests to other institutions (stellar.toml, federation, `AUTH_SERVER`, callbacks)." },
    SettingDoc { name: "AML_MATCH_THRESHOLD", kind: "number in (0, 1]", default: "0.90", used_by: "AML screening", description: "Score from which a screening hit is a match: denied, and (with monitoring) frozen." },
    SettingDoc { name: "AML_REVIEW_THRESHOLD", kind: "number in (0, 1]", default: "0.80", used_by: "AML screening", description: "Score from which a screening hit goes to a person's review (pending); must not exceed `AML_MATCH_THRESHOLD`." },
    SettingDoc { name: "AML_ENABLED", kind: "bool", default: "true", used_by: "AML monitoring", description: "Runs the AML monitor: every customer, authenticated account and SEP-3 counterparty is screened on arrival and rescreened on schedule and on list changes; matches are frozen and refused on every SEP route." },
    SettingDoc { name: "AML_SCAN_INTERVAL", kind: "seconds", default: "86400", used_by: "AML monitoring", description: "Time between full rescreens of every subject (a delta rescreen also follows every list update)." },
    SettingDoc { name: "AML_BATCH_SIZE", kind: "whole number", default: "1000", used_by: "AML monitoring", description: "Subjects screened and committed together; a killed scan resumes after the last committed batch." },
    SettingDoc { name: "AML_SCAN_LEASE", kind: "seconds", default: "60", used_by: "AML monitoring", description: "How long a scanner's claim on a running scan lasts without progress; after it, another instance (or the restarted one) continues the scan." },
    SettingDoc { name: "AML_SYNC_INTERVAL", kind: "seconds", default: "5", used_by: "AML monitoring", description: "How often an instance reloads frozen accounts and list versions that other instances or the CLI wrote." },
    SettingDoc { name: "AML_ALLOWLIST_EXPIRY", kind: "seconds", default: "31536000", used_by: "AML monitoring", description: "Default validity of a cleared false positive: the same subject is not flagged again for the same list entry until then." },
    SettingDoc { name: "AML_AUDIT_RETENTION_DAYS", kind: "days", default: "2557", used_by: "AML audit", description: "Audit records older than this are purged (7 years by default); the chain stays verifiable from the purge point." },
    SettingDoc { name: "AML_FREEZE_SCOPE", kind: "`customer` or `account`", default: "customer", used_by: "AML monitor", description: "What a sanctions match of one memo or muxed customer of a shared (custodial) account freezes: `customer` freezes that customer's identity only (the whole `G…` account when the account itself is listed or has no other customer); `account` always freezes the whole `G…` account." },
    SettingDoc { name: "AML_LIST_UPDATE_INTERVAL", kind: "seconds", default: "86400", used_by: "AML console", description: "How often `lists update` is expected to run (by cron or a scheduler); the officer console shows a list red when it has not been confirmed current for longer." },
    SettingDoc { name: "SMTP_URL", kind: "URL", default: "(not set)", used_by: "AML notifications", description: "Mail server for officer notifications: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`, `smtps://…`. Secret: never logged." },
    SettingDoc { name: "SMTP_FROM", kind: "email address", default: "anchor-aml@<host of HOST_URL>", used_by: "AML notifications", description: "Sender address of notification emails." },
    SettingDoc { name: "COMPLIANCE_OFFICER_EMAIL", kind: "list of email addresses", default: "(not set)", used_by: "AML notifications", description: "Who receives notification emails (new hits, freezes, failed scans or list updates, the weekly summary). Required with `SMTP_URL`." },
    SettingDoc { name: "AML_WEBHOOK_URL", kind: "URL", default: "(not set)", used_by: "AML notifications", description: "Receiver of signed notification webhooks (https unless `LOCAL_MODE`)." },
    SettingDoc { name: "AML_WEBHOOK_SECRET", kind: "string, ≥ 32 bytes", default: "(not set)", used_by: "AML notifications", description: "HMAC-SHA256 key of the `X-Anchor-Signature` header. Required with `AML_WEBHOOK_URL`." },
    SettingDoc { name: "AML_NOTIFY_MAX_ATTEMPTS", kind: "whole number", default: "8", used_by: "AML notifications", description: "Delivery attempts per notification (exponential backoff) before it is marked failed and reported in the stats." },
    SettingDoc { name: "DATABASE_URL", kind: "URL or path", default: "sqlite://anchor.sqlite3", used_by: "all", description: "`sqlite://PATH` or a bare path (file created if missing), `postgres://…` (feature `postgres`), `mysql://…` or `mariadb://…` (feature `mysql`)." },
    SettingDoc { name: "DATABASE_POOL_SIZE", kind: "whole number", default: "8 (SQLite), 20 (PostgreSQL, MySQL)", used_by: "all", description: "Most connections in the pool. On PostgreSQL and MySQL concurrent commits share a disk flush, so more connections mean more throughput, up to the server's `max_connections`." },
    SettingDoc { name: "BIND_ADDRESS", kind: "socket address", default: "127.0.0.1:8000", used_by: "all", description: "Address of the public listener." },
    SettingDoc { name: "INTERNAL_BIND_ADDRESS", kind: "socket address", default: "127.0.0.1:8001", used_by: "internal API", description: "Address of the internal listener. A non-loopback address requires `ADMIN_API_KEY`." },
    SettingDoc { name: "ADMIN_API_KEY", kind: "string, ≥ 32 bytes", default: "(not set)", used_by: "internal API", description: "Bearer key every internal/admin API call must present." },
    SettingDoc { name: "STELLAR_TOML_FILE", kind: "path", default: "(not set)", used_by: "SEP-1", description: "TOML file with the anchor's own part of stellar.toml (`[DOCUMENTATION]`, `[[CURRENCIES]]`, …), merged with the generated keys." },
    SettingDoc { name: "SEP12_MAX_FILE_BYTES", kind: "bytes", default: "10485760", used_by: "SEP-12", description: "Largest uploaded file (a multipart part of `PUT /customer` or `POST /customer/files`); larger files get 413." },
    SettingDoc { name: "SEP12_FILE_CONTENT_TYPES", kind: "list of media types", default: "image/jpeg,image/png,image/gif,image/webp,application/pdf", used_by: "SEP-12", description: "Media types accepted for uploaded files; the bytes must match the declared type." },
    SettingDoc { name: "SEP12_FILE_EXPIRY", kind: "seconds", default: "86400", used_by: "SEP-12", description: "How long an uploaded file that no customer references is kept (`expires_at`); the module's background task then deletes it." },
    SettingDoc { name: "SEP12_MAX_FILES_PER_CUSTOMER", kind: "whole number, 1–10000", default: "20", used_by: "SEP-12", description: "Files one SEP-10 identity (token `sub`: account, account and memo, or muxed account) may store at once, referenced or not; an upload past it gets 413 and stores nothing." },
    SettingDoc { name: "SEP12_MAX_FILE_BYTES_PER_CUSTOMER", kind: "bytes", default: "52428800", used_by: "SEP-12", description: "Total bytes of files one SEP-10 identity may store at once; at least `SEP12_MAX_FILE_BYTES`. An upload past it gets 413 and stores nothing." },
    SettingDoc { name: "SEP12_CALLBACK_TIMEOUT", kind: "seconds", default: "10", used_by: "SEP-12", description: "Timeout of one status-callback delivery attempt." },
    SettingDoc { name: "SEP12_CALLBACK_MAX_ATTEMPTS", kind: "whole number", default: "20", used_by: "SEP-12", description: "Delivery attempts per status change from the durable outbox, with exponential backoff from 1 s (1, 2, 4, … s, at most 5 min apart): 20 attempts span about an hour; a callback is also given up once it is 24 h old." },
    SettingDoc { name: "MAX_REQUEST_BODY_BYTES", kind: "bytes", default: "262144", used_by: "all", description: "Largest JSON or form request body; larger bodies get 413." },
    // Rate limits per client address (docs/security.md, "Rate limits").
    SettingDoc { name: "RATE_LIMIT_SEP10_CHALLENGE", kind: "rate (`N/s`, `N/min`, `N/h`, optional `burst B`) or `off`", default: rate_limit_defaults::SEP10_CHALLENGE, used_by: "SEP-10", description: "Challenges (`GET /auth`) per client address; past it 429 with `Retry-After`." },
    SettingDoc { name: "RATE_LIMIT_SEP10_TOKEN", kind: "rate or `off`", default: rate_limit_defaults::SEP10_TOKEN, used_by: "SEP-10", description: "Signed challenges (`POST /auth`) per client address; each may cost a Horizon look-up." },
    SettingDoc { name: "RATE_LIMIT_SEP3_AUTH_SERVER", kind: "rate or `off`", default: rate_limit_defaults::SEP3_AUTH_SERVER, used_by: "SEP-3", description: "`POST AUTH_SERVER` and `GET AUTH_SERVER/tx_status` together, per client address (other institutions' servers)." },
    SettingDoc { name: "RATE_LIMIT_FEDERATION", kind: "rate or `off`", default: rate_limit_defaults::FEDERATION, used_by: "SEP-3 (SEP-2)", description: "Federation look-ups (`GET /federation`) per client address." },
    SettingDoc { name: "RATE_LIMIT_CONSOLE_SIGN_IN", kind: "rate or `off`", default: rate_limit_defaults::CONSOLE_SIGN_IN, used_by: "AML console", description: "Officer console sign-in attempts (`POST /admin/login`) per client address, on top of the per-officer lockout; past it a 429 page." },
    SettingDoc { name: "RATE_LIMIT_MAX_ADDRESSES", kind: "whole number, 100–10000000", default: "100000", used_by: "rate limits", description: "Addresses each rate limit tracks at most (about 64 bytes each): bounds their memory." },
    SettingDoc { name: "TRUSTED_PROXIES", kind: "list of IP addresses or CIDR ranges", default: "(empty)", used_by: "rate limits", description: "Reverse proxies whose `Forwarded` / `X-Forwarded-For` header names the client for the rate limits. Empty: the TCP peer is the client and those headers are ignored." },
];

/// The raw, merged key/value map, looked up case-insensitively (the `config` crate lowercases
/// environment keys but keeps a file's keys as written). Environment wins over the file.
struct RawSettings {
    values: BTreeMap<String, Vec<(String, config::Value)>>,
}

impl RawSettings {
    fn new(merged: config::Map<String, config::Value>) -> Self {
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

struct Validator {
    raw: RawSettings,
    problems: Vec<ConfigProblem>,
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

    fn validate(&mut self) -> Option<Settings> {
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
