//! The HTTP edge shared by every module: [`SepError`] (one error type, mapped to a status and a
//! `{"error": "…"}` body in one place), the extractor configurations that route malformed JSON,
//! form, query and path input through it, the request-body limit, CORS for public SEP routes, the
//! internal API's bearer check, request logging without personal data, and `GET /health`.
//!
//! Every body is bounded as it is read, chunked or not: the extractor configurations below
//! count the bytes of `web::Json`, `web::Form` and `web::Bytes` bodies as they arrive, and
//! routes that read `web::Payload` themselves wrap it in [`LimitedPayload`] (total size, and for
//! multipart bodies the number of parts, each part's header block and the boundary lines).

use std::time::Instant;

use actix_web::body::BoxBody;
use actix_web::dev::{Service as _, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{ConnectionType, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::{ready, Either};
use serde::Serialize;

use crate::app::AnchorContext;
use crate::db::DbError;
use crate::integrations::IntegrationError;
use crate::metrics::RequestRecorder;

mod limited;

pub use limited::{
    multipart_boundary_problem, BodyLimitError, BodyReadError, LimitTrip, LimitedPayload, MultipartLimits,
    MAX_BOUNDARY_LINE_BYTES, MAX_MULTIPART_PARTS, MAX_PART_HEADER_BYTES, MIN_MULTIPART_BOUNDARY_BYTES,
};

/// An error answered to an HTTP client. The status mapping is [`ResponseError::status_code`];
/// the body is always `{"error": "<message>"}`.
///
/// Messages of 4xx variants are shown to the client, so they must say what was wrong with the
/// request and must never contain secrets or another customer's data. 5xx variants answer a
/// generic message and log their cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SepError {
    /// 400: the request is malformed or breaks a rule of the SEP.
    #[error("{0}")]
    BadRequest(String),
    /// 401: credentials are missing or wrong (internal API).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated, but not allowed (bad or expired SEP-10 token, frozen account, …).
    #[error("{0}")]
    Forbidden(String),
    /// 404: nothing there, or nothing this client may see.
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with the current state (a case decided by someone else).
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 413 (a size) or 400 (a count or shape): the body broke one of its limits while it was
    /// read ([`LimitedPayload`]). The rest of the body is not read: the connection is closed.
    #[error("{0}")]
    BodyLimit(BodyLimitError),
    /// 429: this client address sent too many requests to this route family
    /// ([`crate::ratelimit`]); answered with `Retry-After`.
    #[error("{0}")]
    TooManyRequests(crate::ratelimit::TooManyRequests),
    /// 501: the anchor has not implemented this optional feature.
    #[error("{0}")]
    NotImplemented(String),
    /// 503: a dependency (database, Horizon, a remote anchor) is unreachable; try again later.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure. The cause is logged, never sent.
    #[error("internal server error")]
    Internal(String),
}

impl SepError {
    /// A 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        SepError::BadRequest(message.into())
    }

    /// A 403 with `message`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        SepError::Forbidden(message.into())
    }

    /// A 500 whose `cause` goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        SepError::Internal(cause.to_string())
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

/// A `{"error": message}` response with `status`.
pub fn error_response(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody { error: message })
}

impl ResponseError for SepError {
    fn status_code(&self) -> StatusCode {
        match self {
            SepError::BadRequest(_) => StatusCode::BAD_REQUEST,
            SepError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            SepError::Forbidden(_) => StatusCode::FORBIDDEN,
            SepError::NotFound(_) => StatusCode::NOT_FOUND,
            SepError::Conflict(_) => StatusCode::CONFLICT,
            SepError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            SepError::BodyLimit(limit) if limit.is_size() => StatusCode::PAYLOAD_TOO_LARGE,
            SepError::BodyLimit(_) => StatusCode::BAD_REQUEST,
            SepError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            SepError::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            SepError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            SepError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        match self {
            SepError::Internal(cause) => {
                tracing::error!(%cause, "internal error while handling a request");
            }
            SepError::Unavailable(cause) => {
                tracing::warn!(%cause, "dependency unavailable while handling a request");
            }
            _ => {}
        }
        let mut response = error_response(self.status_code(), &self.to_string());
        match self {
            SepError::Unauthorized(_) => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            SepError::TooManyRequests(refusal) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(refusal.retry_after_secs));
            }
            // The rest of the body is not read: close instead of draining it for keep-alive.
            SepError::PayloadTooLarge(_) | SepError::BodyLimit(_) => {
                response.head_mut().set_connection_type(ConnectionType::Close);
            }
            _ => {}
        }
        response
    }
}

impl From<crate::ratelimit::TooManyRequests> for SepError {
    fn from(refusal: crate::ratelimit::TooManyRequests) -> Self {
        SepError::TooManyRequests(refusal)
    }
}

impl From<DbError> for SepError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                SepError::Unavailable("the database is unavailable; try again later".into())
            }
            other => SepError::internal(other),
        }
    }
}

impl From<IntegrationError> for SepError {
    fn from(err: IntegrationError) -> Self {
        match err {
            IntegrationError::BadRequest(message) => SepError::BadRequest(message),
            IntegrationError::Forbidden(message) => SepError::Forbidden(message),
            IntegrationError::NotFound(message) => SepError::NotFound(message),
            IntegrationError::NotImplemented => {
                SepError::NotImplemented("this anchor does not implement this operation".into())
            }
            IntegrationError::Unavailable(message) => SepError::Unavailable(message),
            IntegrationError::Internal(cause) => SepError::Internal(cause),
        }
    }
}

/// The limits and extractor settings every framework route uses.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Largest JSON, form or raw body, in bytes.
    pub max_body_bytes: usize,
}

fn too_large(limit: usize) -> SepError {
    SepError::BodyLimit(BodyLimitError::TooLarge(limit))
}

/// JSON body extraction: malformed JSON → 400, wrong content type → 400, too large → 413.
pub fn json_config(limits: BodyLimits) -> web::JsonConfig {
    let limit = limits.max_body_bytes;
    web::JsonConfig::default().limit(limit).error_handler(move |err, _req| {
        use actix_web::error::JsonPayloadError as E;
        let sep = match &err {
            E::Overflow { .. } | E::OverflowKnownLength { .. } => too_large(limit),
            E::ContentType => {
                SepError::bad_request("expected a JSON body with Content-Type: application/json")
            }
            E::Deserialize(cause) => SepError::bad_request(format!("invalid JSON body: {cause}")),
            other => SepError::bad_request(format!("unreadable JSON body: {other}")),
        };
        sep.into()
    })
}

/// Form body extraction (`application/x-www-form-urlencoded`), with the same rules.
pub fn form_config(limits: BodyLimits) -> web::FormConfig {
    let limit = limits.max_body_bytes;
    web::FormConfig::default().limit(limit).error_handler(move |err, _req| {
        use actix_web::error::UrlencodedError as E;
        let sep = match &err {
            E::Overflow { .. } => too_large(limit),
            E::ContentType => SepError::bad_request(
                "expected a form body with Content-Type: application/x-www-form-urlencoded",
            ),
            E::Parse(_) => SepError::bad_request("invalid form body"),
            other => SepError::bad_request(format!("invalid form body: {other}")),
        };
        sep.into()
    })
}

/// Query-string extraction: any failure is a 400 naming the problem.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _req| SepError::bad_request(format!("invalid query string: {err}")).into())
}

/// Path-parameter extraction: any failure is a 400.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, _req| SepError::bad_request(format!("invalid path parameter: {err}")).into())
}

/// The raw body, read with the listener's [`BodyLimits`] (counted as it arrives, chunked or
/// not), whose refusal is a framework `{"error"}` 413 that names the limit and closes the
/// connection. Prefer it to `web::Bytes`, whose refusal is actix's plain-text 413.
#[derive(Debug, Clone)]
pub struct RawBody(pub web::Bytes);

impl actix_web::FromRequest for RawBody {
    type Error = SepError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, SepError>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        use futures_util::FutureExt as _;
        let limit =
            req.app_data::<BodyLimits>().map_or(DEFAULT_MAX_BODY_BYTES, |limits| limits.max_body_bytes);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        let payload = web::Payload::from_request(req, payload);
        async move {
            if declared.is_some_and(|length| length > limit as u64) {
                return Err(SepError::BodyLimit(BodyLimitError::TooLarge(limit)));
            }
            let payload = payload.await.map_err(|err| SepError::bad_request(err.to_string()))?;
            let body = LimitedPayload::new(payload, limit).read_to_end().await?;
            Ok(RawBody(web::Bytes::from(body)))
        }
        .boxed_local()
    }
}

/// The body limit of a route mounted without the framework's rules (`MAX_REQUEST_BODY_BYTES`'s
/// default).
const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// Raw body (`Bytes`, `String`) extraction limit.
pub fn payload_config(limits: BodyLimits) -> web::PayloadConfig {
    web::PayloadConfig::new(limits.max_body_bytes)
}

/// Mounts a public SEP scope at `path`: every route inside gets the framework's extractor
/// configurations and body limit, `Access-Control-Allow-Origin: *` on every response, and an
/// answer to CORS preflight (`OPTIONS`) requests.
pub fn mount_public_scope(
    cfg: &mut web::ServiceConfig,
    path: &str,
    limits: BodyLimits,
    routes: impl FnOnce(actix_web::Scope) -> actix_web::Scope,
) {
    let scope = routes(with_extractor_rules(web::scope(path), limits));
    cfg.service(
        scope
            .wrap_fn(|req, service| {
                if req.method() == Method::OPTIONS {
                    Either::Left(ready(Ok(req.into_response(preflight_response()))))
                } else {
                    Either::Right(service.call(req))
                }
            })
            .wrap(
                actix_web::middleware::DefaultHeaders::new().add((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")),
            ),
    );
}

fn preflight_response() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PUT, DELETE, OPTIONS"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type"))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
        .finish()
}

/// Mounts an internal scope at `path`: the same extractor rules, and every request must carry
/// `Authorization: Bearer <ADMIN_API_KEY>`. Without a configured key nothing inside is reachable.
pub fn mount_internal_scope(
    cfg: &mut web::ServiceConfig,
    path: &str,
    limits: BodyLimits,
    admin_api_key: Option<String>,
    routes: impl FnOnce(actix_web::Scope) -> actix_web::Scope,
) {
    let scope = routes(with_extractor_rules(web::scope(path), limits));
    cfg.service(scope.wrap_fn(move |req, service| {
        match check_admin_key(req.headers(), admin_api_key.as_deref()) {
            Ok(()) => Either::Right(service.call(req)),
            Err(err) => Either::Left(ready(Ok(req.error_response(err)))),
        }
    }));
}

/// `scope` with the framework's extractor configurations and body limit, and nothing else: for a
/// module that checks credentials route by route (the AML admin API, where decisions take an
/// officer's token), which must then guard every route itself.
pub fn with_extractor_rules(scope: actix_web::Scope, limits: BodyLimits) -> actix_web::Scope {
    scope
        .app_data(json_config(limits))
        .app_data(form_config(limits))
        .app_data(query_config())
        .app_data(path_config())
        .app_data(payload_config(limits))
        .app_data(limits)
}

/// The framework's extractor configurations and body limit as the defaults of a whole listener,
/// so a route mounted outside a framework scope (an anchor's own) is bounded as well. Scopes that
/// set their own (the officer console's smaller form limit) take precedence.
pub fn default_extractor_rules(cfg: &mut web::ServiceConfig, limits: BodyLimits) {
    cfg.app_data(json_config(limits))
        .app_data(form_config(limits))
        .app_data(query_config())
        .app_data(path_config())
        .app_data(payload_config(limits))
        .app_data(limits);
}

/// The credential of an `Authorization: Bearer <credential>` header, if any.
pub fn bearer_credential(headers: &header::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The internal API's check: `Authorization: Bearer <ADMIN_API_KEY>` (compared in constant time),
/// 401 otherwise, and 401 for everything when no key is configured.
pub fn check_admin_key(headers: &header::HeaderMap, expected: Option<&str>) -> Result<(), SepError> {
    let Some(expected) = expected else {
        return Err(SepError::Unauthorized(
            "the internal API is disabled: ADMIN_API_KEY is not configured".into(),
        ));
    };
    match bearer_credential(headers) {
        None => Err(SepError::Unauthorized("missing `Authorization: Bearer <ADMIN_API_KEY>` header".into())),
        Some(key) if constant_time_eq(key.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(SepError::Unauthorized("invalid admin API key".into())),
    }
}

/// Compares secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Default service for an anchor's `App`: unknown paths get a JSON 404.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let _ = req;
    error_response(StatusCode::NOT_FOUND, "no such endpoint")
}

/// Logs one line per request: method, route pattern (never the concrete path or query, which
/// can carry accounts or personal data), status and latency. Use with `App::wrap_fn`.
///
/// In an app configured by [`AnchorApp`](crate::AnchorApp) it also records the request in the
/// app's [`Metrics`](crate::metrics::Metrics) (`anchor_http_requests_total`,
/// `anchor_http_request_duration_seconds`), labelled by SEP from the route pattern.
pub fn log_request<S>(
    req: ServiceRequest,
    service: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>> + use<S>
where
    S: actix_web::dev::Service<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let started = Instant::now();
    let method = req.method().clone();
    let recorder = req.app_data::<RequestRecorder>().cloned();
    let response = service.call(req);
    async move {
        let response = match response.await {
            Ok(response) => response,
            Err(err) => {
                // No route is known without the request; such errors (a middleware failing without
                // a response) are counted as `other`.
                if let Some(recorder) = recorder {
                    let status = err.as_response_error().status_code().as_u16();
                    recorder.record(None, status, started.elapsed());
                }
                return Err(err);
            }
        };
        let status = response.status().as_u16();
        let elapsed = started.elapsed();
        // After routing, the pattern is found from the matched resource, without matching the
        // path again.
        let pattern = response.request().match_pattern();
        if let Some(recorder) = recorder {
            recorder.record(pattern.as_deref(), status, elapsed);
        }
        let route = pattern.as_deref().unwrap_or("(unmatched)");
        tracing::info!(%method, route, status, micros = elapsed.as_micros() as u64, "request");
        Ok(response)
    }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    backend: &'static str,
    /// `ok`, or `not_ready` when the screening registry cannot screen (no list loaded).
    screening: &'static str,
    /// Why screening is not ready and what to run.
    #[serde(skip_serializing_if = "Option::is_none")]
    screening_problem: Option<String>,
}

/// `GET /health`: 200 when the database answers (`status` is `degraded` when screening is not
/// ready: no sanctions list, so screening fails closed), 503 otherwise.
pub(crate) async fn health(ctx: web::Data<AnchorContext>) -> HttpResponse {
    let backend = ctx.database().backend();
    let screening_problem = ctx.integrations().screening_registry().readiness().err();
    let screening = if screening_problem.is_some() { "not_ready" } else { "ok" };
    match ctx.database().ping().await {
        Ok(()) => HttpResponse::Ok().json(Health {
            status: if screening_problem.is_some() { "degraded" } else { "ok" },
            database: "ok",
            backend,
            screening,
            screening_problem,
        }),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(Health {
                status: "unavailable",
                database: "unreachable",
                backend,
                screening,
                screening_problem,
            })
        }
    }
}

#[cfg(test)]
mod tests;
