//! SEP-12 KYC customer API, backed by the anchor's `CustomerIntegration`.
//!
//! Mount it by adding [`Sep12`] to an `AnchorApp`, registering a `CustomerIntegration` and
//! listing `sep-12` (with `sep-10`, which issues the tokens) in `ACTIVE_SEPS`. It publishes
//! `KYC_SERVER = HOST_URL/kyc` and serves, all behind a SEP-10 token:
//!
//! | route | what |
//! |---|---|
//! | `GET /kyc/customer` | status and required fields (`NEEDS_INFO` without `id` for an unknown customer) |
//! | `PUT /kyc/customer` | create or update (JSON, form or multipart with file parts) → 202 `{"id"}` |
//! | `PUT /kyc/customer/verification` | verification codes (older shape) |
//! | `PUT /kyc/customer/callback` | register a status-callback URL |
//! | `DELETE /kyc/customer/{account}` | erase a customer (`memo`, `memo_type` in the body) |
//! | `POST /kyc/customer/files`, `GET /kyc/customer/files` | the files API of SEP-12 v1.15 |
//!
//! Identity rules: `account` other than the token's → 403; a `memo` other than the token's memo
//! or muxed id → 403; an `id` not created under the caller's account (and memo, or muxed
//! account) → 404, checked against the framework's own table before the integration is called.
//!
//! Anchors that change a status outside a request (a manual review) call
//! [`notify_status_change`] so that registered callbacks fire. Callbacks are durable: each is
//! queued in the table `sep12_callback_outbox` in the transaction that records the status, and
//! delivered by the module's background task (started by `serve` for an active `sep-12`).
//!
//! Files are bounded per SEP-10 identity (`SEP12_MAX_FILES_PER_CUSTOMER`,
//! `SEP12_MAX_FILE_BYTES_PER_CUSTOMER`, 413 past either), and a file no customer references is
//! deleted by a second background task once `SEP12_FILE_EXPIRY` has passed.
//!
//! Layout: `routes.rs` (thin handlers), `request.rs` (parameters checked against the token),
//! `body.rs` (JSON/form/multipart), `wire.rs` (JSON shapes), `store.rs` (framework tables),
//! `files.rs` (content checks), `callbacks.rs` (signed deliveries and the delivery worker),
//! `outbox.rs` (the callback outbox table), `screening.rs` (frozen identities refused, the stored
//! customer handed to the screening registry), `error.rs`.
//!
//! This crate depends on `anchor-core` only, never on another SEP crate.

use anchor_core::actix_web::web;
use anchor_core::cli::BackgroundTask;
use anchor_core::{AnchorContext, ConfigProblem, RegisteredIntegrations, SepId, SepModule, Settings};

mod body;
pub mod callbacks;
mod error;
mod files;
mod outbox;
mod request;
mod routes;
mod screening;
mod store;
pub mod wire;

pub use callbacks::notify_status_change;
pub use error::Error;

/// Entry points of the fuzz targets (`fuzz/`), compiled only by `cargo fuzz` (`--cfg fuzzing`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    use actix_web::{web, HttpRequest};

    /// What `PUT /customer` (or, with `verification`, `PUT /customer/verification`) does with a
    /// body before anything else is called: read it (JSON, form or multipart), take the id and
    /// purpose parameters, and validate the rest as SEP-9 fields.
    pub async fn put_body(
        req: &HttpRequest,
        payload: web::Payload,
        text_limit: usize,
        file_limit: usize,
        verification: bool,
    ) -> Result<(), crate::Error> {
        let limits = crate::body::Limits { text: text_limit, file: file_limit };
        let mut params = crate::body::read(req, payload, limits, !verification).await?;
        crate::request::IdParams::take(&mut params)?;
        if verification {
            crate::request::verification_codes(params)?;
        } else {
            crate::request::Purpose::take(&mut params)?;
            crate::request::fields(params)?;
        }
        Ok(())
    }
}

/// The path `KYC_SERVER` points to, under `HOST_URL`.
pub const KYC_PATH: &str = "/kyc";

/// The SEP-12 module value.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sep12;

impl SepModule for Sep12 {
    fn id(&self) -> SepId {
        SepId::Sep12
    }

    fn check(&self, settings: &Settings, integrations: &RegisteredIntegrations) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if integrations.customer().is_none() {
            problems.push(ConfigProblem::new(
                "ACTIVE_SEPS",
                "sep-12 is active but no CustomerIntegration was registered",
            ));
        }
        if !settings.is_active(SepId::Sep10) {
            tracing::warn!("sep-12 is active without sep-10: clients need SEP-10 tokens from another server");
        }
        problems
    }

    fn stellar_toml_entries(&self, settings: &Settings) -> Vec<(&'static str, String)> {
        vec![("KYC_SERVER", format!("{}{KYC_PATH}", settings.host_url))]
    }

    fn mount(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
        anchor_core::http::mount_public_scope(cfg, KYC_PATH, ctx.body_limits(), |scope| {
            scope
                .app_data(web::Data::new(routes::OwnerCache::default()))
                .route("/customer", web::get().to(routes::get_customer))
                .route("/customer", web::put().to(routes::put_customer))
                .route("/customer/verification", web::put().to(routes::put_verification))
                .route("/customer/callback", web::put().to(routes::put_callback))
                .route("/customer/files", web::post().to(routes::post_file))
                .route("/customer/files", web::get().to(routes::get_files))
                .route("/customer/{account}", web::delete().to(routes::delete_customer))
        });
    }

    /// The status-callback delivery worker, which sends what the outbox holds (including what a
    /// previous process left undelivered), and the purge of expired unreferenced files.
    fn background_tasks(&self, ctx: &web::Data<AnchorContext>) -> Vec<BackgroundTask> {
        vec![Box::pin(callbacks::run_outbox(ctx.clone())), Box::pin(files::run_purge(ctx.clone()))]
    }
}
