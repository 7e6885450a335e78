//! Sign-in and sign-out.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use anchor_core::http::constant_time_eq;
use maud::html;
use serde::Deserialize;

use super::layout;
use super::session::{
    blocking, check_origin, console_cookie, page_response, redirect, removal_cookie, safe_next, PageError,
    PageResult, SignedIn, CONSOLE_PATH, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE,
};
use super::ConsoleState;
use anchor_aml::{random_token, SignInRefusal, LOCKOUT_SECONDS, MAX_FAILED_SIGN_INS};
use anchor_core::clock::unix_now;

/// How many sign-ins check a password (argon2, 19 MiB each) at once; the others wait.
const ARGON2_CONCURRENCY: usize = 2;
static ARGON2_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(ARGON2_CONCURRENCY);

type State = web::Data<ConsoleState>;

#[derive(Debug, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
    done: Option<String>,
}

/// What the sign-in page says above the form.
enum Notice<'a> {
    None,
    /// A refusal (wrong credentials, locked).
    Error(&'a str),
    /// A status (signed out).
    Status(&'a str),
}

fn sign_in_page(
    status: StatusCode,
    csrf: &str,
    next: &str,
    notice: Notice<'_>,
    secure: bool,
) -> HttpResponse {
    let body = html! {
        h1 { "Sign in" }
        @if let Notice::Status(message) = notice {
            p.flash role="status" { (message) }
        }
        @if let Notice::Error(message) = notice {
            p.error #sign-in-error role="alert" { (message) }
        }
        form #login.stack method="post" action={(CONSOLE_PATH) "/login"} {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="next" value=(next);
            label for="username" { "Username" }
            input #username type="text" name="username" autocomplete="username" autocapitalize="none"
                spellcheck="false" required maxlength="64" autofocus;
            label for="password" { "Password" }
            input #password type="password" name="password" autocomplete="current-password" required
                maxlength="256";
            button type="submit" { "Sign in" }
        }
        p.muted { "Officer accounts are created by an administrator with the " code { "officers create" } " command." }
    };
    let mut response = page_response(status, layout::bare("Sign in", body));
    let _ = response.add_cookie(&console_cookie(SIGN_IN_CSRF_COOKIE, csrf.to_string(), secure));
    response
}

/// `GET /admin/login`: the sign-in form, with a fresh double-submit CSRF token.
pub(crate) async fn form(state: State, query: web::Query<NextQuery>) -> PageResult {
    let csrf = random_token()?;
    let next = safe_next(query.next.as_deref());
    let notice = match query.done.as_deref() {
        Some("signed-out") => Notice::Status("You are signed out."),
        _ => Notice::None,
    };
    Ok(sign_in_page(StatusCode::OK, &csrf, &next, notice, state.config.secure_cookies))
}

/// Middleware of `POST /admin/login`: past `RATE_LIMIT_CONSOLE_SIGN_IN` for this client
/// address, a 429 page with `Retry-After`, before the form is read or a password checked.
pub(crate) async fn throttle<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let refused =
        req.app_data::<State>().and_then(|state| state.config.sign_in_limit.check(req.request()).err());
    match refused {
        Some(refusal) => Ok(req.error_response(PageError::TooManyRequests(refusal)).map_into_right_body()),
        None => next.call(req).await.map(ServiceResponse::map_into_left_body),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/login`: checks the double-submit token, the origin and the credentials; on
/// success sets the session cookie and redirects to `next`.
pub(crate) async fn submit(req: HttpRequest, state: State, form: web::Form<SignInForm>) -> PageResult {
    check_origin(&req)?;
    let SignInForm { csrf, next, username, password } = form.into_inner();
    let cookie = req.cookie(SIGN_IN_CSRF_COOKIE).map(|cookie| cookie.value().to_string()).unwrap_or_default();
    if csrf.is_empty() || !constant_time_eq(csrf.as_bytes(), cookie.as_bytes()) {
        return Err(PageError::Forbidden(
            "the sign-in form expired or was not sent from this console; reload the page and try again"
                .into(),
        ));
    }
    let next = safe_next(Some(&next));
    let secure = state.config.secure_cookies;
    if username.trim().is_empty() || password.is_empty() {
        let fresh = random_token()?;
        return Ok(sign_in_page(
            StatusCode::BAD_REQUEST,
            &fresh,
            &next,
            Notice::Error("Enter your username and password."),
            secure,
        ));
    }
    let officers = state.officers.clone();
    // argon2 takes 19 MiB and a core's worth of work per attempt: at most ARGON2_SLOTS run at
    // once, the rest wait their turn without holding a thread.
    let _slot = ARGON2_SLOTS.acquire().await.map_err(|_| PageError::Internal)?;
    let outcome = blocking(move || officers.sign_in(&username, &password, unix_now())).await?;
    match outcome {
        Ok(session) => {
            tracing::info!(officer = %session.officer.username, "officer signed in to the console");
            let mut response = redirect(&next);
            let _ = response.add_cookie(&console_cookie(SESSION_COOKIE, session.token, secure));
            let _ = response.add_cookie(&removal_cookie(SIGN_IN_CSRF_COOKIE, secure));
            Ok(response)
        }
        Err(refusal) => {
            // One answer for an unknown name, a wrong password and a locked account, so the page
            // does not tell which officer names exist.
            let (SignInRefusal::WrongCredentials | SignInRefusal::Locked) = refusal;
            let message = format!(
                "Wrong username or password. After {MAX_FAILED_SIGN_INS} failed sign-ins in a row an account is locked for {} minutes.",
                LOCKOUT_SECONDS / 60
            );
            let fresh = random_token()?;
            Ok(sign_in_page(StatusCode::UNAUTHORIZED, &fresh, &next, Notice::Error(&message), secure))
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/logout`: ends the session.
pub(crate) async fn sign_out(
    req: HttpRequest,
    state: State,
    officer: SignedIn,
    form: web::Form<CsrfForm>,
) -> PageResult {
    officer.authorise(&req, &form.csrf)?;
    let officers = state.officers.clone();
    let token = officer.session_token.clone();
    let who = officer.officer.clone();
    blocking(move || officers.sign_out(&token, &who, unix_now())).await?;
    let mut response = redirect(&format!("{CONSOLE_PATH}/login?done=signed-out"));
    let _ = response.add_cookie(&removal_cookie(SESSION_COOKIE, state.config.secure_cookies));
    Ok(response)
}
