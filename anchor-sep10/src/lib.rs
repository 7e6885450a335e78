//! SEP-10 web authentication (challenge transaction → JWT), v3.4.1.
//!
//! Mount it by adding [`Sep10`] to an `AnchorApp` and listing `sep-10` in `ACTIVE_SEPS`. It serves
//! `WEB_AUTH_ENDPOINT` (`HOST_URL` + `/auth`, published in stellar.toml):
//!
//! - `GET /auth?account=G…|M…[&memo=…][&home_domain=…][&client_domain=…]` answers a challenge
//!   transaction signed by `SIGNING_SEED`; an optional `Authorization: Bearer <EdDSA JWT>` signed
//!   request (v3.4) is verified when present.
//! - `POST /auth` (JSON, form or multipart `transaction`) checks every rule of SEP-10 in order,
//!   the client account's signers on Horizon (medium threshold), single use, and answers
//!   `{"token"}`: an HS256 JWT that [`anchor_core::Sep10Token`] verifies in every other SEP.
//!
//! Every client mistake is a 400 naming the rule it broke ([`Error`]); see `docs/sep-10.md`.
//!
//! | module | what |
//! |---|---|
//! | [`challenge`] | pure: build, read (rules 1–7) and verify signatures (rules 9–10) |
//! | [`request_auth`] | pure: the v3.4 signed request header |
//! | [`signers`] | IO: Horizon account signers and thresholds |
//! | [`client_domain`] | IO: client domain stellar.toml `SIGNING_KEY`, cached, public addresses only |
//! | [`replay`] | IO: single-use records in the shared database |
//! | [`issued`] | the server signatures of recently issued challenges (rule 7 without re-signing) |
//! | `routes` | the two handlers |
//!
//! This crate depends on `anchor-core` only, never on another SEP crate.

use actix_web::web;
use anchor_core::auth::WEB_AUTH_PATH;
use anchor_core::{AnchorContext, ConfigProblem, RegisteredIntegrations, SepId, SepModule, Settings};

mod body;
pub mod challenge;
pub mod client_domain;
mod error;
pub mod issued;
pub mod replay;
pub mod request_auth;
mod routes;
pub mod signers;

pub use error::Error;

/// Entry points of the fuzz targets (`fuzz/`), compiled only by `cargo fuzz` (`--cfg fuzzing`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    use actix_web::{web, HttpRequest};

    /// `POST /auth`'s body reader: JSON, form or multipart, by the request's `Content-Type`.
    pub async fn post_body(
        req: &HttpRequest,
        payload: web::Payload,
        limit: usize,
    ) -> Result<String, crate::Error> {
        crate::body::transaction(req, payload, limit).await
    }
}
pub use routes::{parse_memo, Sep10State};

/// The SEP-10 module value.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sep10;

/// `WEB_AUTH_ENDPOINT`: `HOST_URL` + `/auth`.
pub fn web_auth_endpoint(settings: &Settings) -> String {
    format!("{}{WEB_AUTH_PATH}", settings.host_url)
}

impl SepModule for Sep10 {
    fn id(&self) -> SepId {
        SepId::Sep10
    }

    fn check(&self, settings: &Settings, _integrations: &RegisteredIntegrations) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if settings.sep10.home_domains.is_empty() {
            problems
                .push(ConfigProblem::new("SEP10_HOME_DOMAINS", "is empty; list at least one home domain"));
        }
        for domain in &settings.sep10.home_domains {
            if domain.len() > challenge::MAX_HOME_DOMAIN_BYTES {
                problems.push(ConfigProblem::new(
                    "SEP10_HOME_DOMAINS",
                    format!(
                        "`{domain}` is longer than {} bytes, so `<home domain> auth` cannot fit a 64-byte \
                         Manage Data key",
                        challenge::MAX_HOME_DOMAIN_BYTES
                    ),
                ));
            }
        }
        if settings.host_domain().len() > 64 {
            problems.push(ConfigProblem::new(
                "HOST_URL",
                "its host is longer than 64 bytes, so it cannot be the `web_auth_domain` value",
            ));
        }
        if settings.sep10.auth_timeout.as_secs() == 0 {
            problems.push(ConfigProblem::new("SEP10_AUTH_TIMEOUT", "must be at least 1 second"));
        }
        if let Err(err) = Sep10State::new(settings) {
            problems.push(ConfigProblem::new("HORIZON_URI", err));
        }
        problems
    }

    fn stellar_toml_entries(&self, settings: &Settings) -> Vec<(&'static str, String)> {
        vec![("WEB_AUTH_ENDPOINT", web_auth_endpoint(settings))]
    }

    fn mount(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
        let state = match Sep10State::new(ctx.settings()) {
            Ok(state) => Some(web::Data::new(state)),
            Err(err) => {
                // `check` reports this at start-up; reaching here means it was bypassed.
                tracing::error!(error = %err, "SEP-10 cannot start; /auth will answer 500");
                None
            }
        };
        // Per client address (`RATE_LIMIT_SEP10_CHALLENGE`, `RATE_LIMIT_SEP10_TOKEN`): refused
        // with 429 before the query or body is read.
        let limits = ctx.rate_limits();
        let (challenges, tokens) = (limits.sep10_challenge.clone(), limits.sep10_token.clone());
        anchor_core::http::mount_public_scope(cfg, WEB_AUTH_PATH, ctx.body_limits(), |scope| {
            let scope = match state {
                Some(state) => scope.app_data(state),
                None => scope,
            };
            scope
                .route("", web::get().to(routes::get_challenge).wrap(challenges))
                .route("", web::post().to(routes::post_token).wrap(tokens))
        });
    }
}
