//! The compliance officer's console: server-rendered pages on the internal listener under
//! `/admin/`, behind a sign-in for named officers, so that an officer works from a browser
//! rather than curl and every decision in the audit trail names the officer who took it.
//!
//! Pages: sign-in; overview (counts, daily charts, list freshness, scanner health, last
//! errors); case queue and case page (screened fields next to the list entry, score factors,
//! decisions); frozen accounts; customers and one customer's screening history; the audit trail
//! (browse, filter, verify, export); list versions and the diff of two; analytics over 7/30/90
//! days; the weekly compliance report (page and CSV).
//!
//! What protects it: officer accounts created on the command line (`anchor_aml::OfficersCommand`),
//! argon2id password hashes, lockout after repeated failures, a random session token in an
//! `HttpOnly`, `SameSite=Strict` cookie (`Secure` outside `LOCAL_MODE`) whose SHA-256 alone is
//! stored, idle and absolute session expiry, a per-session CSRF token on every form (and a
//! double-submit token on the sign-in form), an `Origin` check, and a strict content security
//! policy (no script at all). Every page is HTML rendered with `maud`, which escapes all text.
//!
//! What it is not: an API (the JSON API is `anchor_aml::mount_admin_api` under `/admin/aml`,
//! with the admin key for machine routes and an officer's API token for decisions); a second
//! copy of the monitor's rules (every page reads and decides through `anchor_aml::AmlMonitor`
//! and `anchor_aml::Officers`, which own the data, the audit records and the officers'
//! accounts); and not reachable on the public listener: mount it only from
//! `Anchor::internal_routes`, after the admin API.

mod analytics;
mod audit;
mod cases;
mod charts;
mod customers;
mod frozen;
mod layout;
mod lists;
mod overview;
mod session;
mod sign_in;

use actix_web::{web, HttpResponse};
use anchor_core::ratelimit::RateLimiter;

use anchor_aml::{AmlMonitor, ListStore, Officers};

/// Where the console is mounted.
pub const CONSOLE_PATH: &str = session::CONSOLE_PATH;

/// How the console behaves, from the anchor's settings.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// Mark cookies `Secure` (everywhere but `LOCAL_MODE`).
    pub secure_cookies: bool,
    /// `AML_LIST_UPDATE_INTERVAL` in seconds: a list not confirmed current for longer is shown
    /// as stale.
    pub list_update_interval: i64,
    /// `RATE_LIMIT_CONSOLE_SIGN_IN`: sign-in attempts per client address (shared by every
    /// worker), on top of the per-officer lockout; past it a 429 page.
    pub sign_in_limit: RateLimiter,
}

impl ConsoleConfig {
    /// From the anchor's settings and shared rate limits.
    pub fn from_context(ctx: &anchor_core::AnchorContext) -> Self {
        let settings = ctx.settings();
        ConsoleConfig {
            secure_cookies: !settings.local_mode,
            list_update_interval: i64::try_from(settings.aml.list_update_interval.as_secs())
                .unwrap_or(86_400),
            sign_in_limit: ctx.rate_limits().console_sign_in.clone(),
        }
    }
}

/// What every console handler shares.
pub(crate) struct ConsoleState {
    pub(crate) monitor: AmlMonitor,
    pub(crate) officers: Officers,
    pub(crate) lists: ListStore,
    pub(crate) config: ConsoleConfig,
}

/// Largest form the console accepts (a reason or a note is at most 4,000 characters).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Mounts the officer console under `/admin/` on an internal listener's `App`, and an answer
/// (204) to the `/favicon.ico` browsers ask that listener's root for.
///
/// Mount it after `anchor_aml::mount_admin_api` (whose `/admin/aml` scope must be matched first):
///
/// ```text
/// fn internal_routes(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
///     anchor_aml::mount_admin_api(cfg, monitor.clone(), ctx.body_limits(), key);
///     anchor_console::mount_console(cfg, monitor.clone(), ConsoleConfig::from_context(ctx));
/// }
/// ```
///
/// Officers are created with the `officers create` command (`anchor_aml::OfficersCommand`).
pub fn mount_console(cfg: &mut web::ServiceConfig, monitor: AmlMonitor, config: ConsoleConfig) {
    let database = monitor.database().clone();
    let state = web::Data::new(ConsoleState {
        officers: Officers::new(database.clone()),
        lists: ListStore::new(database),
        monitor,
        config,
    });
    let form_config =
        web::FormConfig::default().limit(MAX_FORM_BYTES).error_handler(|err, _req| match &err {
            actix_web::error::UrlencodedError::Overflow { .. } => session::PageError::TooLarge(format!(
                "the form is larger than the console accepts ({} KiB)",
                MAX_FORM_BYTES / 1024
            ))
            .into(),
            other => session::PageError::BadRequest(format!("the form could not be read: {other}")).into(),
        });
    let query_config = web::QueryConfig::default().error_handler(|err, _req| {
        session::PageError::BadRequest(format!("the address has an invalid parameter: {err}")).into()
    });
    let path_config = web::PathConfig::default()
        .error_handler(|err, _req| session::PageError::NotFound(format!("no such page ({err})")).into());
    cfg.route(CONSOLE_PATH, web::get().to(|| async { session::redirect(&format!("{CONSOLE_PATH}/")) }));
    // Browsers ask the root for `/favicon.ico` whatever the pages link: answered, not a 404.
    cfg.route("/favicon.ico", web::get().to(no_favicon_ico));
    cfg.service(
        web::scope(CONSOLE_PATH)
            .app_data(state)
            .app_data(form_config)
            .app_data(query_config)
            .app_data(path_config)
            .route("/", web::get().to(overview::overview))
            .route("/static/console.css", web::get().to(stylesheet))
            .route("/favicon.svg", web::get().to(favicon))
            .route("/login", web::get().to(sign_in::form))
            .route(
                "/login",
                web::post().to(sign_in::submit).wrap(actix_web::middleware::from_fn(sign_in::throttle)),
            )
            .route("/logout", web::post().to(sign_in::sign_out))
            .route("/cases", web::get().to(cases::queue))
            .route("/cases/{id}", web::get().to(cases::case_page))
            .route("/cases/{id}/clear", web::post().to(cases::clear))
            .route("/cases/{id}/confirm", web::post().to(cases::confirm))
            .route("/cases/{id}/notes", web::post().to(cases::add_note))
            .route("/frozen", web::get().to(frozen::list))
            .route("/frozen/unfreeze", web::post().to(frozen::unfreeze))
            .route("/subjects", web::get().to(customers::search))
            .route("/subjects/{id}", web::get().to(customers::history))
            .route("/audit", web::get().to(audit::browse))
            .route("/audit/export", web::get().to(audit::export))
            .route("/lists", web::get().to(lists::versions))
            .route("/lists/diff", web::get().to(lists::diff))
            .route("/analytics", web::get().to(analytics::analytics_page))
            .route("/reports/weekly", web::get().to(analytics::weekly_report))
            .route("/reports/weekly.csv", web::get().to(analytics::weekly_report_csv))
            .default_service(web::to(not_found)),
    );
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "max-age=3600"))
        .body(layout::STYLESHEET)
}

/// `GET /admin/favicon.svg`: the icon every page links (`<link rel="icon">`). Same-origin, so the
/// pages' `img-src 'self'` covers it; opened on its own, it may load nothing.
async fn favicon() -> HttpResponse {
    use actix_web::http::header;
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"))
        .insert_header((header::CACHE_CONTROL, "max-age=86400"))
        .body(layout::FAVICON)
}

/// `GET /favicon.ico` at the listener's root: 204 No Content, kept for a day, so a browser that
/// asks for it (outside the console's pages, which link [`favicon`]) gets no 404 and asks less.
async fn no_favicon_ico() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "max-age=86400"))
        .finish()
}

async fn not_found() -> Result<HttpResponse, session::PageError> {
    Err(session::PageError::NotFound("there is no such page in the console".into()))
}

#[cfg(test)]
mod tests;
