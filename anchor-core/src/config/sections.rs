//! The typed settings of each part of the framework: SEP-10, SEP-3, SEP-12, the AML monitor and
//! the rate limits. [`super::Settings`] holds one of each, built by the validator.

use std::time::Duration;

use crate::ratelimit::{AddressRange, Rate};
use crate::sensitive::Sensitive;

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

impl RateLimitSettings {
    pub(super) fn redacted(&self) -> Vec<(&'static str, String)> {
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
