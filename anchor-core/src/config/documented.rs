//! The documented settings: one row per setting, the single source of `docs/configuration.md`'s
//! table, of `.env.example` and of the names the loader accepts.

use super::{rate_limit_defaults, TESTNET_PASSPHRASE};

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
