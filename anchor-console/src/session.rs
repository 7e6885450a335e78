//! The console's HTTP edge: the signed-in officer extractor, cookies, CSRF checks, security
//! headers, and the one mapping of errors to pages.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use anchor_core::http::constant_time_eq;
use maud::{html, Markup};

use super::layout;
use super::ConsoleState;
use anchor_aml::Error;
use anchor_aml::{Officer, Session};
use anchor_core::clock::unix_now;

/// The session cookie.
pub(crate) const SESSION_COOKIE: &str = "anchor_console_session";
/// The cookie that carries the sign-in form's CSRF token before there is a session.
pub(crate) const SIGN_IN_CSRF_COOKIE: &str = "anchor_console_csrf";
/// Where the console lives.
pub(crate) const CONSOLE_PATH: &str = "/admin";

/// Why a console request did not get its page. Rendered in one place, [`ResponseError`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// No live session: redirect to the sign-in page, then back.
    #[error("sign in to continue")]
    SignInRequired { next: String },
    /// A form that did not carry this session's CSRF token, or came from another origin.
    #[error("{0}")]
    Forbidden(String),
    /// Input the officer must correct.
    #[error("{0}")]
    BadRequest(String),
    /// A form larger than the console accepts.
    #[error("{0}")]
    TooLarge(String),
    /// No such case, subject, version…
    #[error("{0}")]
    NotFound(String),
    /// Someone else acted first (a case already decided).
    #[error("{0}")]
    Conflict(String),
    /// Too many sign-in attempts from this address (`RATE_LIMIT_CONSOLE_SIGN_IN`).
    #[error("{0}")]
    TooManyRequests(anchor_core::ratelimit::TooManyRequests),
    /// The database is down.
    #[error("the database is unavailable; try again in a moment")]
    Unavailable,
    /// Anything else (logged, not shown).
    #[error("something went wrong on the server; the cause is in the server's log")]
    Internal,
}

impl From<Error> for PageError {
    fn from(err: Error) -> Self {
        match err {
            Error::NotFound(message) => PageError::NotFound(message),
            Error::Invalid(message) => PageError::BadRequest(message),
            Error::Conflict(message) => PageError::Conflict(message),
            Error::Forbidden(message) => PageError::Forbidden(message),
            Error::Unavailable(cause) => {
                tracing::warn!(error = %cause, "officer console: database unavailable");
                PageError::Unavailable
            }
            other => {
                tracing::error!(error = %other, "officer console: request failed");
                PageError::Internal
            }
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::Conflict(_) => StatusCode::CONFLICT,
            PageError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            PageError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::SignInRequired { next } = self {
            let location = format!(
                "{CONSOLE_PATH}/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return redirect(&location);
        }
        let title = match self {
            PageError::Forbidden(_) => "Refused",
            PageError::BadRequest(_) | PageError::TooLarge(_) => "Please correct the request",
            PageError::NotFound(_) => "Not found",
            PageError::Conflict(_) => "Already decided",
            PageError::TooManyRequests(_) => "Too many sign-in attempts",
            _ => "Unavailable",
        };
        let body = html! {
            h1 { (title) }
            p.error role="alert" { (self.to_string()) }
            p { a href={(CONSOLE_PATH) "/"} { "Back to the overview" } }
        };
        let mut response = page_response(self.status_code(), layout::bare(title, body));
        match self {
            PageError::TooLarge(_) => {
                // The rest of the form is not read: close rather than drain it for keep-alive.
                response.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
            }
            PageError::TooManyRequests(refusal) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(refusal.retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

/// A page's result.
pub(crate) type PageResult = Result<HttpResponse, PageError>;

/// Adds the console's security headers to a response.
fn secure(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Not `no-referrer`: under it browsers send `Origin: null` with the console's own
        // forms, and the origin check could not tell them from a foreign site's.
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    builder
}

/// An HTML page with the console's headers.
pub(crate) fn page_response(status: StatusCode, markup: Markup) -> HttpResponse {
    secure(HttpResponse::build(status)).content_type("text/html; charset=utf-8").body(markup.into_string())
}

/// 200 with a page.
pub(crate) fn ok_page(markup: Markup) -> PageResult {
    Ok(page_response(StatusCode::OK, markup))
}

/// 303 to `location` (after a form, so a reload does not post again).
pub(crate) fn redirect(location: &str) -> HttpResponse {
    secure(HttpResponse::SeeOther()).insert_header((header::LOCATION, location.to_string())).finish()
}

/// A download with the console's headers.
pub(crate) fn download(content_type: &str, file_name: &str, body: Vec<u8>) -> HttpResponse {
    secure(HttpResponse::Ok())
        .insert_header((header::CONTENT_TYPE, content_type.to_string()))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .body(body)
}

/// A cookie of the console: `HttpOnly`, `SameSite=Strict`, path `/admin`, `Secure` outside
/// `LOCAL_MODE`.
pub(crate) fn console_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(CONSOLE_PATH)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish()
}

/// A cookie that removes `name`.
pub(crate) fn removal_cookie(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut cookie = console_cookie(name, String::new(), secure);
    cookie.make_removal();
    cookie
}

/// A state-changing request must come from the console's own pages: when the browser names the
/// origin, it must be this host's.
pub(crate) fn check_origin(req: &HttpRequest) -> Result<(), PageError> {
    // Browsers that send `Sec-Fetch-Site` say outright where the form came from.
    let fetch_site = req.headers().get("sec-fetch-site").and_then(|value| value.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return Err(PageError::Forbidden(
            "this form was sent from another site; open the console and try again".into(),
        ));
    }
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|value| value.to_str().ok()) else {
        return Ok(());
    };
    let host = req.connection_info().host().to_string();
    let same = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| rest.eq_ignore_ascii_case(&host));
    if same {
        Ok(())
    } else {
        Err(PageError::Forbidden(
            "this form was sent from another site; open the console and try again".into(),
        ))
    }
}

/// The signed-in officer of a request, with the session's CSRF token. Extracting it from a
/// request without a live session answers a redirect to the sign-in page.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub(crate) officer: Officer,
    pub(crate) csrf_token: String,
    pub(crate) session_token: String,
}

impl SignedIn {
    /// Checks a form that changes something — the request's origin and the session's CSRF
    /// token — and answers the officer's name as the audit trail records it.
    pub(crate) fn authorise(&self, req: &HttpRequest, csrf: &str) -> Result<String, PageError> {
        check_origin(req)?;
        self.check_csrf(csrf)?;
        Ok(self.officer.audit_name())
    }

    /// Refuses a form whose `csrf` field is not this session's token.
    pub(crate) fn check_csrf(&self, presented: &str) -> Result<(), PageError> {
        if !presented.is_empty() && constant_time_eq(presented.as_bytes(), self.csrf_token.as_bytes()) {
            Ok(())
        } else {
            Err(PageError::Forbidden(
                "the form's security token is missing or stale; reload the page and try again".into(),
            ))
        }
    }
}

impl FromRequest for SignedIn {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<ConsoleState>>().cloned();
        let token = req.cookie(SESSION_COOKIE).map(|cookie| cookie.value().to_string());
        let next = if req.method() == actix_web::http::Method::GET {
            req.uri()
                .path_and_query()
                .map_or_else(|| format!("{CONSOLE_PATH}/"), |pq| pq.as_str().to_string())
        } else {
            format!("{CONSOLE_PATH}/")
        };
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else {
                return Err(PageError::SignInRequired { next });
            };
            let officers = state.officers.clone();
            let lookup = token.clone();
            let session: Option<Session> = web::block(move || officers.session(&lookup, unix_now()))
                .await
                .map_err(|_| PageError::Internal)??;
            match session {
                Some(session) => Ok(SignedIn {
                    officer: session.officer,
                    csrf_token: session.csrf_token,
                    session_token: token,
                }),
                None => Err(PageError::SignInRequired { next }),
            }
        })
    }
}

/// Runs blocking database work on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> anchor_aml::Result<T> + Send + 'static,
) -> Result<T, PageError> {
    web::block(work).await.map_err(|_| PageError::Internal)?.map_err(PageError::from)
}

/// A `next` target after sign-in: only a path inside the console (no open redirect).
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with(&format!("{CONSOLE_PATH}/"))
                && !path.starts_with("//")
                && !path.contains("\\")
                && !path.contains("://")
                && !path.starts_with(&format!("{CONSOLE_PATH}/login"))
                && !path.starts_with(&format!("{CONSOLE_PATH}/logout")) =>
        {
            path.to_string()
        }
        _ => format!("{CONSOLE_PATH}/"),
    }
}

/// A page body shown when the officer should see a message after a redirect (`?done=`).
pub(crate) fn flash(message: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = message {
            p.flash role="status" { (message) }
        }
    }
}
