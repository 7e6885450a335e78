//! The compliance officer's HTTP API over an [`AmlMonitor`]: statistics, scans, on-demand checks,
//! frozen accounts, cases and their decisions, subjects, the audit export and its verification,
//! analytics and the weekly compliance report, and an OpenAPI 3.1 description of all of it.
//!
//! Everything is mounted under `/admin/aml` on the internal listener, with core's extractor rules
//! (malformed JSON, query or path input is a 400), and every route names the credential it takes:
//!
//! - **machine routes** (statistics, scans, checks, read-only lists, the export, the
//!   verification, analytics, the OpenAPI document) take `Authorization: Bearer <ADMIN_API_KEY>`;
//! - **decision routes** (`POST /cases/{id}/clear`, `/cases/{id}/confirm`, `/cases/{id}/notes`,
//!   `/unfreeze`) take an officer's API token (`officers token create`), and the decision is
//!   recorded in that officer's name (`Alice Officer (alice)`), exactly as the console records it.
//!   The admin key gets a 403 there; an `officer` field in the body that names anyone else is a
//!   400, so a machine key can never decide in someone's name.
//!
//! A missing or wrong credential is a 401, and without a configured `ADMIN_API_KEY` every route
//! answers 401 (the internal API is disabled). Every monitor call blocks on the database and runs
//! on the blocking pool. Errors are
//! `{"error": "…"}`: 404 for an unknown case, subject, scan or frozen account, 400 for a request an
//! officer must correct (a missing reason, a decided case), 503 when a check or a scan is asked
//! while no sanctions list is loaded, and 500 (cause logged, not shown) for anything else.

use std::sync::{Arc, Mutex};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, FromRequest, Handler, HttpMessage as _, HttpRequest, HttpResponse, Responder};
use anchor_core::http::{
    bearer_credential, check_admin_key, constant_time_eq, with_extractor_rules, BodyLimits, RawBody, SepError,
};
use anchor_core::integrations::customer::MAX_NAME_CHARS;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::AuditVerdict;
use crate::audit::{write_audit_records, ExportFormat};
use crate::error::Error;
use crate::monitor::{is_freeze_identity, AmlMonitor, CaseDecision, CaseFilter, CaseStatus, MonitorStats};
use crate::officers::{Officer, Officers};

/// Where the admin API is mounted.
pub const ADMIN_API_PATH: &str = "/admin/aml";

/// The OpenAPI 3.1 description served at `GET /admin/aml/openapi.json`.
const OPENAPI: &str = include_str!("admin/openapi.json");

/// Longest `requested_by` name accepted.
const MAX_NAME_LEN: usize = 128;
/// Longest `name` an officer can check, in characters (any script): the longest person name
/// SEP-12 accepts, given, additional and family name of `MAX_NAME_CHARS` each, with two spaces.
const MAX_CHECKED_NAME_CHARS: usize = 3 * MAX_NAME_CHARS + 2;

/// Mounts the AML admin API at `/admin/aml` on an internal listener's `App`.
///
/// `limits` and `admin_api_key` are the anchor's (`AnchorContext::body_limits()` and
/// `Settings::admin_api_key`); without a key every route answers 401. Decision routes take an
/// officer's API token instead of the key (see the module documentation). Call it from
/// `Anchor::internal_routes`:
///
/// ```text
/// fn internal_routes(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
///     let key = ctx.settings().admin_api_key.as_ref().map(|key| key.expose().clone());
///     anchor_aml::mount_admin_api(cfg, self.monitor.clone(), ctx.body_limits(), key);
/// }
/// ```
///
/// A scan asked for with `POST /admin/aml/scan` runs in this process, on the blocking pool, one
/// runner at a time; the call answers at once with the scan's number.
pub fn mount_admin_api(
    cfg: &mut web::ServiceConfig,
    monitor: AmlMonitor,
    limits: BodyLimits,
    admin_api_key: Option<String>,
) {
    let officers = Officers::new(monitor.database().clone());
    let state = web::Data::new(AdminState {
        monitor,
        officers,
        admin_api_key,
        scan_runner: Arc::new(Mutex::new(())),
    });
    let scope = with_extractor_rules(web::scope(ADMIN_API_PATH), limits).app_data(state);
    // Every route is guarded by the credential it names in `register`; anything else under the
    // scope (an unknown path) still needs the admin key before it learns it is a 404.
    cfg.service(AdminRoutes::new(scope).register().scope.default_service(web::to(unknown_route)));
}

/// Which credential a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credential {
    /// `Authorization: Bearer <ADMIN_API_KEY>`: statistics, scans, checks, lists, export.
    AdminKey,
    /// `Authorization: Bearer <officer API token>`: anything that records an officer's decision.
    Officer,
}

/// The officer whose token authorised a decision route (set by [`officer_credential`]).
#[derive(Debug, Clone)]
struct DecidingOfficer(Officer);

type Guarded = Result<ServiceResponse<BoxBody>, actix_web::Error>;

fn refuse(req: ServiceRequest, err: SepError) -> Guarded {
    Ok(req.error_response(err))
}

fn admin_state(req: &ServiceRequest) -> Option<Admin> {
    req.app_data::<Admin>().cloned()
}

/// The guard of machine routes: the admin key.
async fn admin_key_credential(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Guarded {
    let key = admin_state(&req).and_then(|state| state.admin_api_key.clone());
    match check_admin_key(req.headers(), key.as_deref()) {
        Ok(()) => next.call(req).await.map(ServiceResponse::map_into_boxed_body),
        Err(err) => refuse(req, err),
    }
}

/// The guard of decision routes: an active officer's API token. The admin key is refused with a
/// 403 that says what to use instead. The token is looked up by its SHA-256 and never logged.
async fn officer_credential(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Guarded {
    let Some(state) = admin_state(&req) else {
        return refuse(req, SepError::internal("AML admin API state missing"));
    };
    let Some(admin_key) = state.admin_api_key.as_deref() else {
        return refuse(
            req,
            SepError::Unauthorized("the internal API is disabled: ADMIN_API_KEY is not configured".into()),
        );
    };
    let Some(presented) = bearer_credential(req.headers()).map(str::to_string) else {
        return refuse(
            req,
            SepError::Unauthorized(
                "missing `Authorization: Bearer <officer API token>` header: decisions take the token of the \
                 officer who makes them (`officers token create USERNAME`)"
                    .into(),
            ),
        );
    };
    if constant_time_eq(presented.as_bytes(), admin_key.as_bytes()) {
        return refuse(
            req,
            SepError::forbidden(
                "the admin API key cannot make decisions: a decision names the officer who makes it; use that \
                 officer's API token (`officers token create USERNAME`) as `Authorization: Bearer <token>`",
            ),
        );
    }
    let officers = state.officers.clone();
    let lookup = web::block(move || officers.token_officer(&presented, anchor_core::clock::unix_now())).await;
    match lookup {
        Ok(Ok(Some(officer))) => {
            req.extensions_mut().insert(DecidingOfficer(officer));
            next.call(req).await.map(ServiceResponse::map_into_boxed_body)
        }
        Ok(Ok(None)) => refuse(
            req,
            SepError::Unauthorized(
                "invalid officer API token (unknown, revoked, or its officer is disabled)".into(),
            ),
        ),
        Ok(Err(err)) => refuse(req, api_error(err)),
        Err(_) => refuse(req, SepError::internal("AML admin task panicked")),
    }
}

/// Any other path under `/admin/aml`: the admin key first, then a 404.
async fn unknown_route(admin: Admin, req: HttpRequest) -> Reply {
    check_admin_key(req.headers(), admin.admin_api_key.as_deref())?;
    Err(SepError::NotFound("no such endpoint".into()))
}

/// The officer who decides: the token's. An `officer` field in the body may only repeat that
/// officer's sign-in name or audit name; anything else is a 400, never a name to record.
fn deciding_officer(officer: &DecidingOfficer, claimed: Option<&str>) -> Result<String, SepError> {
    let officer = &officer.0;
    let audit_name = officer.audit_name();
    match claimed.map(str::trim).filter(|claimed| !claimed.is_empty()) {
        None => Ok(audit_name),
        Some(claimed) if claimed == officer.username || claimed == audit_name => Ok(audit_name),
        Some(_) => Err(SepError::bad_request(format!(
            "`officer` names someone other than the token's officer: decisions are recorded in the name of the \
             officer whose token makes them ({audit_name}); leave `officer` out"
        ))),
    }
}

/// The routes the API mounts (method, path below `/admin/aml`, credential), for the OpenAPI
/// check.
#[cfg(test)]
pub(crate) fn mounted_routes() -> Vec<(Method, &'static str, Credential)> {
    AdminRoutes::new(web::scope(ADMIN_API_PATH)).register().table
}

/// The scope being built and the table of what was mounted on it: the one list of routes.
struct AdminRoutes {
    scope: actix_web::Scope,
    table: Vec<(Method, &'static str, Credential)>,
}

impl AdminRoutes {
    fn new(scope: actix_web::Scope) -> Self {
        AdminRoutes { scope, table: Vec::new() }
    }

    fn register(self) -> Self {
        self.get("/stats", monitor_stats)
            .post("/scan", request_scan)
            .get("/scans", list_scans)
            .get("/scans/{id}", show_scan)
            .get("/check/{address}", check_account)
            .post("/check", check_name)
            .get("/frozen", list_frozen_accounts)
            .decision("/unfreeze", unfreeze_account)
            .get("/cases", list_cases)
            .get("/cases/{id}", show_case)
            .decision("/cases/{id}/clear", clear_case)
            .decision("/cases/{id}/confirm", confirm_case)
            .decision("/cases/{id}/notes", add_case_note)
            .get("/subjects/{id}", show_subject)
            .get("/export", export_audit_trail)
            .get("/audit/verify", verify_audit_trail)
            .get("/analytics", show_analytics)
            .get("/reports/weekly", weekly_report)
            .get("/openapi.json", openapi_document)
    }

    /// A machine route (admin key) answering GET.
    fn get<F, Args>(self, path: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, path, Credential::AdminKey, handler)
    }

    /// A machine route (admin key) answering POST.
    fn post<F, Args>(self, path: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, path, Credential::AdminKey, handler)
    }

    /// A decision route (an officer's token) answering POST.
    fn decision<F, Args>(self, path: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, path, Credential::Officer, handler)
    }

    /// The one place a route is mounted: always behind the guard of its credential.
    fn route<F, Args>(
        mut self,
        method: Method,
        path: &'static str,
        credential: Credential,
        handler: F,
    ) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.table.push((method.clone(), path, credential));
        let route = web::method(method).to(handler);
        let route = match credential {
            Credential::AdminKey => route.wrap(from_fn(admin_key_credential)),
            Credential::Officer => route.wrap(from_fn(officer_credential)),
        };
        self.scope = self.scope.route(path, route);
        self
    }
}

struct AdminState {
    monitor: AmlMonitor,
    /// Where decision routes look officer tokens up.
    officers: Officers,
    /// The anchor's `ADMIN_API_KEY` (`None`: every route answers 401).
    admin_api_key: Option<String>,
    /// Held by the thread running scans queued through the API, so two requests do not run the
    /// same scan side by side in this process.
    scan_runner: Arc<Mutex<()>>,
}

type Admin = web::Data<AdminState>;
type Reply = Result<HttpResponse, SepError>;

/// The crate's error at the HTTP edge.
fn api_error(err: Error) -> SepError {
    match err {
        Error::NotFound(message) => SepError::NotFound(message),
        Error::Invalid(message) => SepError::BadRequest(message),
        Error::Conflict(message) => SepError::Conflict(message),
        Error::Forbidden(message) => SepError::Forbidden(message),
        Error::Unavailable(cause) => {
            tracing::warn!(error = %cause, "AML admin API: database unavailable");
            SepError::Unavailable("the database is unavailable; try again".into())
        }
        other => SepError::internal(other),
    }
}

/// Runs blocking monitor work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> crate::error::Result<T> + Send + 'static,
) -> Result<T, SepError> {
    web::block(work).await.map_err(|_| SepError::internal("AML admin task panicked"))?.map_err(api_error)
}

fn require_lists(monitor: &AmlMonitor) -> Result<(), SepError> {
    if monitor.list_versions().is_empty() {
        return Err(SepError::Unavailable(
            "no sanctions list is loaded; import one with `lists import`".into(),
        ));
    }
    Ok(())
}

/// `GET /stats`: the monitor's figures, this process's counters and its in-memory freezes.
async fn monitor_stats(admin: Admin) -> Reply {
    #[derive(Serialize)]
    struct StatsReply {
        #[serde(flatten)]
        stats: MonitorStats,
        process: serde_json::Value,
        frozen_in_memory: usize,
    }
    let monitor = admin.monitor.clone();
    let stats = blocking(move || monitor.stats()).await?;
    Ok(HttpResponse::Ok().json(StatsReply {
        stats,
        process: admin.monitor.process_counters(),
        frozen_in_memory: admin.monitor.frozen_in_memory(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanRequest {
    #[serde(default)]
    requested_by: String,
}

/// Who a scan request names when its body is empty (`curl -X POST`) or names nobody.
const SCAN_REQUESTED_BY_DEFAULT: &str = "admin API";

/// `POST /scan`: queues a full rescan, answers 202 with its number, and runs it in the
/// background. The body is optional: none (what `curl -X POST` sends) or `{}` starts a full
/// scan requested by "admin API"; `{"requested_by": "…"}` names who asked.
async fn request_scan(admin: Admin, RawBody(body): RawBody) -> Reply {
    let request: ScanRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ScanRequest { requested_by: String::new() }
    } else {
        serde_json::from_slice(&body).map_err(|err| {
            SepError::bad_request(format!(
                "the body must be empty or a JSON object with an optional `requested_by` ({err})"
            ))
        })?
    };
    let mut requested_by = request.requested_by.trim().to_string();
    if requested_by.is_empty() {
        requested_by = SCAN_REQUESTED_BY_DEFAULT.to_string();
    }
    if requested_by.len() > MAX_NAME_LEN {
        return Err(SepError::bad_request("`requested_by` is at most 128 characters"));
    }
    require_lists(&admin.monitor)?;
    let monitor = admin.monitor.clone();
    let scan_id = blocking(move || monitor.request_scan(&requested_by)).await?;
    let monitor = admin.monitor.clone();
    let runner = Arc::clone(&admin.scan_runner);
    // Detached: the scan outlives the request; its progress and outcome are in `GET /scans/{id}`.
    drop(tokio::task::spawn_blocking(move || {
        let _running = match runner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Err(err) = monitor.run_due_scans(&mut |_| {}) {
            tracing::error!(scan = scan_id, error = %err, "AML scan requested through the admin API failed");
        }
    }));
    Ok(HttpResponse::Accepted().json(json!({ "scan_id": scan_id })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitQuery {
    limit: Option<i64>,
}

/// `GET /scans?limit=`: the newest scans first.
async fn list_scans(admin: Admin, query: web::Query<LimitQuery>) -> Reply {
    let limit = query.limit.unwrap_or(20);
    let monitor = admin.monitor.clone();
    let scans = blocking(move || monitor.scans(limit)).await?;
    Ok(HttpResponse::Ok().json(scans))
}

/// `GET /scans/{id}`.
async fn show_scan(admin: Admin, id: web::Path<i64>) -> Reply {
    let id = id.into_inner();
    let monitor = admin.monitor.clone();
    let scan = blocking(move || monitor.scan(id)).await?;
    Ok(HttpResponse::Ok().json(scan))
}

/// `GET /check/{address}`: frozen or not, and exact listed-address matches.
async fn check_account(admin: Admin, address: web::Path<String>) -> Reply {
    let address = address.into_inner();
    if !is_freeze_identity(&address) {
        return Err(SepError::bad_request("not a Stellar account (G…, M… or G…:id:<memo>)"));
    }
    require_lists(&admin.monitor)?;
    let monitor = admin.monitor.clone();
    let result = blocking(move || monitor.check_address(&address)).await?;
    Ok(HttpResponse::Ok().json(result))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NameCheck {
    #[serde(default)]
    name: String,
    date_of_birth: Option<String>,
    country: Option<String>,
}

/// `POST /check`: screens a name on demand, recording nothing; hits come with their factors.
async fn check_name(admin: Admin, body: web::Json<NameCheck>) -> Reply {
    let NameCheck { name, date_of_birth, country } = body.into_inner();
    let name = name.trim().to_string();
    if name.is_empty() {
        return Err(SepError::bad_request("`name` is required"));
    }
    if name.chars().nth(MAX_CHECKED_NAME_CHARS).is_some() {
        return Err(SepError::bad_request(format!(
            "`name` is longer than {MAX_CHECKED_NAME_CHARS} characters"
        )));
    }
    let date_of_birth = date_of_birth.map(|date| date.trim().to_string()).filter(|date| !date.is_empty());
    let country = country.map(|country| country.trim().to_string()).filter(|country| !country.is_empty());
    require_lists(&admin.monitor)?;
    let monitor = admin.monitor.clone();
    let result =
        blocking(move || monitor.check_name(&name, date_of_birth.as_deref(), country.as_deref())).await?;
    Ok(HttpResponse::Ok().json(result))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrozenQuery {
    search: Option<String>,
    limit: Option<i64>,
}

/// `GET /frozen?search=&limit=`: frozen accounts, newest first.
async fn list_frozen_accounts(admin: Admin, query: web::Query<FrozenQuery>) -> Reply {
    let FrozenQuery { search, limit } = query.into_inner();
    let monitor = admin.monitor.clone();
    let accounts = blocking(move || monitor.frozen_accounts(search.as_deref(), limit.unwrap_or(100))).await?;
    Ok(HttpResponse::Ok().json(accounts))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnfreezeRequest {
    #[serde(default)]
    account: String,
    /// Ignored when it names the token's officer; a 400 when it names anyone else.
    officer: Option<String>,
    #[serde(default)]
    reason: String,
}

/// `POST /unfreeze`: lifts a freeze with a written reason (audited in the token officer's name).
async fn unfreeze_account(
    admin: Admin,
    deciding: web::ReqData<DecidingOfficer>,
    body: web::Json<UnfreezeRequest>,
) -> Reply {
    let UnfreezeRequest { account, officer, reason } = body.into_inner();
    let officer = deciding_officer(&deciding, officer.as_deref())?;
    let account = account.trim().to_string();
    if !is_freeze_identity(&account) {
        return Err(SepError::bad_request("`account` must be a Stellar account (G…, M… or G…:id:<memo>)"));
    }
    let monitor = admin.monitor.clone();
    let removed = blocking(move || monitor.unfreeze(&account, &officer, &reason)).await?;
    Ok(HttpResponse::Ok().json(json!({ "unfrozen": removed })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseQuery {
    status: Option<String>,
    subject_id: Option<i64>,
    limit: Option<i64>,
}

/// `GET /cases?status=&subject_id=&limit=`: highest score first.
async fn list_cases(admin: Admin, query: web::Query<CaseQuery>) -> Reply {
    let CaseQuery { status, subject_id, limit } = query.into_inner();
    let status = match status.as_deref().filter(|status| !status.is_empty()) {
        None => None,
        Some(text) => Some(
            CaseStatus::parse(text)
                .ok_or_else(|| SepError::bad_request("`status` must be open, cleared or confirmed"))?,
        ),
    };
    let filter = CaseFilter { status, subject_id, limit };
    let monitor = admin.monitor.clone();
    let cases = blocking(move || monitor.cases(&filter)).await?;
    Ok(HttpResponse::Ok().json(cases))
}

/// `GET /cases/{id}`: the case with its subject, hit explanation, notes and freezes.
async fn show_case(admin: Admin, id: web::Path<i64>) -> Reply {
    let id = id.into_inner();
    let monitor = admin.monitor.clone();
    let case = blocking(move || monitor.case(id)).await?;
    Ok(HttpResponse::Ok().json(case))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClearRequest {
    /// Ignored when it names the token's officer; a 400 when it names anyone else.
    officer: Option<String>,
    #[serde(default)]
    reason: String,
    /// Unix seconds; default now + `AML_ALLOWLIST_EXPIRY`.
    allow_until: Option<i64>,
}

/// `POST /cases/{id}/clear`: a false positive; allow-lists the entry for the subject and
/// unfreezes what only this case held.
async fn clear_case(
    admin: Admin,
    deciding: web::ReqData<DecidingOfficer>,
    id: web::Path<i64>,
    body: web::Json<ClearRequest>,
) -> Reply {
    let id = id.into_inner();
    let ClearRequest { officer, reason, allow_until } = body.into_inner();
    let officer = deciding_officer(&deciding, officer.as_deref())?;
    let monitor = admin.monitor.clone();
    let case =
        blocking(move || monitor.decide_case(id, &CaseDecision::Clear { allow_until }, &officer, &reason))
            .await?;
    Ok(HttpResponse::Ok().json(case))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficerReason {
    /// Ignored when it names the token's officer; a 400 when it names anyone else.
    officer: Option<String>,
    #[serde(default)]
    reason: String,
}

/// `POST /cases/{id}/confirm`: a true match; the subject's accounts stay (or become) frozen.
async fn confirm_case(
    admin: Admin,
    deciding: web::ReqData<DecidingOfficer>,
    id: web::Path<i64>,
    body: web::Json<OfficerReason>,
) -> Reply {
    let id = id.into_inner();
    let OfficerReason { officer, reason } = body.into_inner();
    let officer = deciding_officer(&deciding, officer.as_deref())?;
    let monitor = admin.monitor.clone();
    let case = blocking(move || monitor.decide_case(id, &CaseDecision::Confirm, &officer, &reason)).await?;
    Ok(HttpResponse::Ok().json(case))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteRequest {
    /// Ignored when it names the token's officer; a 400 when it names anyone else.
    officer: Option<String>,
    #[serde(default)]
    text: String,
}

/// `POST /cases/{id}/notes`: adds an officer's note (audited); answers the case.
async fn add_case_note(
    admin: Admin,
    deciding: web::ReqData<DecidingOfficer>,
    id: web::Path<i64>,
    body: web::Json<NoteRequest>,
) -> Reply {
    let id = id.into_inner();
    let NoteRequest { officer, text } = body.into_inner();
    let officer = deciding_officer(&deciding, officer.as_deref())?;
    let monitor = admin.monitor.clone();
    let case = blocking(move || {
        monitor.add_case_note(id, &officer, &text)?;
        monitor.case(id)
    })
    .await?;
    Ok(HttpResponse::Created().json(case))
}

/// `GET /subjects/{id}`: a monitored subject and its screening fields.
async fn show_subject(admin: Admin, id: web::Path<i64>) -> Reply {
    let id = id.into_inner();
    let monitor = admin.monitor.clone();
    let subject = blocking(move || monitor.subject(id)).await?;
    Ok(HttpResponse::Ok().json(subject))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    format: Option<ExportFormat>,
    from: Option<i64>,
    to: Option<i64>,
}

/// `GET /export?format=csv|json&from=&to=`: signs a checkpoint of the trail's head, then answers
/// the audit records (inclusive unix-second bounds), oldest first, as a download; an export that
/// reaches the present ends with that checkpoint's record.
async fn export_audit_trail(admin: Admin, query: web::Query<ExportQuery>) -> Reply {
    let ExportQuery { format, from, to } = query.into_inner();
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(SepError::bad_request("`from` is after `to`"));
        }
    }
    let format = format.unwrap_or(ExportFormat::Json);
    let monitor = admin.monitor.clone();
    let body = blocking(move || {
        monitor.checkpoint_audit("export (admin API)")?;
        let records = monitor.audit_trail().records(from, to)?;
        let mut body = Vec::new();
        write_audit_records(&records, format, &mut body).map_err(Error::Store)?;
        Ok(body)
    })
    .await?;
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Json => ("application/json", "json"),
    };
    let bound = |value: Option<i64>| value.map_or_else(|| "all".to_string(), |value| value.to_string());
    let file_name = format!("aml-audit-{}-{}.{extension}", bound(from), bound(to));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .body(body))
}

/// `GET /audit/verify`: the verdict on the whole hash chain and its signed checkpoints.
async fn verify_audit_trail(admin: Admin) -> Reply {
    let trail = admin.monitor.audit_trail();
    let verdict = blocking(move || trail.verify()).await?;
    Ok(HttpResponse::Ok().json(match verdict {
        AuditVerdict::Intact { records, head, checkpoints } => {
            json!({"intact": true, "records": records, "head": head, "checkpoints": checkpoints})
        }
        AuditVerdict::Broken { seq, problem } => {
            json!({"intact": false, "first_bad_record": seq, "problem": problem})
        }
    }))
}

/// The windows `GET /analytics` offers, in days.
const ANALYTICS_WINDOWS: [u32; 3] = [7, 30, 90];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalyticsQuery {
    /// Kept as text so that `days=abc` gets the same message as `days=8`.
    days: Option<String>,
}

/// `GET /analytics?days=7|30|90`: the figures of the last `days` UTC days (default 30).
async fn show_analytics(admin: Admin, query: web::Query<AnalyticsQuery>) -> Reply {
    let days = match query.into_inner().days.as_deref().map(str::trim) {
        None | Some("") => 30,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|days| ANALYTICS_WINDOWS.contains(days))
            .ok_or_else(|| SepError::bad_request("`days` must be 7, 30 or 90"))?,
    };
    let monitor = admin.monitor.clone();
    let analytics = blocking(move || monitor.analytics(days, anchor_core::clock::unix_now())).await?;
    Ok(HttpResponse::Ok().json(analytics))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ReportFormat {
    Json,
    Csv,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    format: Option<ReportFormat>,
}

/// `GET /reports/weekly?format=json|csv`: the weekly compliance report of the last complete ISO
/// week, Monday 00:00 UTC to Sunday 24:00 UTC (the weekly email's figures); the CSV is a
/// download named after that week.
async fn weekly_report(admin: Admin, query: web::Query<ReportQuery>) -> Reply {
    let format = query.into_inner().format.unwrap_or(ReportFormat::Json);
    let monitor = admin.monitor.clone();
    let report = blocking(move || monitor.weekly_report(anchor_core::clock::unix_now())).await?;
    Ok(match format {
        ReportFormat::Json => HttpResponse::Ok().json(report),
        ReportFormat::Csv => {
            let file_name = format!("aml-weekly-report-{}.csv", report.week);
            HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
                .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
                .body(report.to_csv())
        }
    })
}

/// `GET /openapi.json`: this API's OpenAPI 3.1 description.
async fn openapi_document() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(OPENAPI)
}

#[cfg(test)]
mod tests;
