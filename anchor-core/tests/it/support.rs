//! Test modules standing in for SEP crates (core must mount any `SepModule`), and app builders.

use anchor_core::actix_web::{web, HttpResponse};
use anchor_core::integrations::customer::{
    CustomerId, CustomerQuery, CustomerRef, CustomerStatus, CustomerUpdate,
};
use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject};
use anchor_core::testing::{self, TestServer};
use anchor_core::{
    register_integrations, AnchorApp, AnchorContext, CustomerIntegration, IntegrationError, Integrations,
    SanctionsIntegration, Sep10Token, SepError, SepId, SepModule, Settings,
};
use serde::Deserialize;

/// A module that publishes a stellar.toml key and mounts an echo endpoint exercising every
/// extractor, so core's plumbing can be tested without a real SEP crate.
pub(crate) struct ProbeModule {
    pub id: SepId,
    pub toml_key: &'static str,
    pub path: &'static str,
}

#[derive(Deserialize)]
pub(crate) struct Echo {
    pub value: String,
}

#[derive(Deserialize)]
pub(crate) struct Count {
    #[allow(dead_code, reason = "only deserialised: the route's tests are about which queries it refuses")]
    pub count: u32,
}

async fn echo_json(body: web::Json<Echo>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "value": body.value }))
}

async fn echo_form(body: web::Form<Echo>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "value": body.value }))
}

async fn echo_query(query: web::Query<Count>) -> HttpResponse {
    let _ = query;
    HttpResponse::Ok().finish()
}

async fn echo_bytes(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "length": body.len() }))
}

async fn echo_raw(body: anchor_core::http::RawBody) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "length": body.0.len() }))
}

async fn fails() -> Result<HttpResponse, SepError> {
    Err(SepError::internal("secret internal detail"))
}

async fn whoami(token: anchor_core::Sep10Token) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "account": token.account() }))
}

async fn internal_ping() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "pong": true }))
}

impl SepModule for ProbeModule {
    fn id(&self) -> SepId {
        self.id
    }

    fn stellar_toml_entries(&self, settings: &Settings) -> Vec<(&'static str, String)> {
        vec![(self.toml_key, format!("{}{}", settings.host_url, self.path))]
    }

    fn mount(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
        anchor_core::http::mount_public_scope(cfg, self.path, ctx.body_limits(), |scope| {
            scope
                .route("/json", web::post().to(echo_json))
                .route("/form", web::post().to(echo_form))
                .route("/bytes", web::post().to(echo_bytes))
                .route("/raw", web::post().to(echo_raw))
                .route("/query", web::get().to(echo_query))
                .route("/fails", web::get().to(fails))
                .route("/whoami", web::get().to(whoami))
        });
    }

    fn mount_internal(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
        let key = ctx.settings().admin_api_key.as_ref().map(|key| key.expose().clone());
        anchor_core::http::mount_internal_scope(cfg, self.path, ctx.body_limits(), key, |scope| {
            scope
                .route("/ping", web::get().to(internal_ping))
                .route("/json", web::post().to(echo_json))
                .route("/form", web::post().to(echo_form))
                .route("/bytes", web::post().to(echo_bytes))
                .route("/raw", web::post().to(echo_raw))
        });
    }
}

pub(crate) fn probes() -> Vec<ProbeModule> {
    vec![
        ProbeModule { id: SepId::Sep10, toml_key: "WEB_AUTH_ENDPOINT", path: "/auth" },
        ProbeModule { id: SepId::Sep12, toml_key: "KYC_SERVER", path: "/kyc" },
        ProbeModule { id: SepId::Sep3, toml_key: "AUTH_SERVER", path: "/compliance" },
    ]
}

/// Builds the app for `settings` with every probe module offered and an SQLite database.
pub(crate) fn build_app(
    settings: Settings,
    integrations: Integrations,
) -> Result<AnchorApp, anchor_core::ConfigError> {
    let database = anchor_core::Database::connect(&settings.database_url).unwrap();
    database.migrate(&Default::default()).unwrap();
    let registered = register_integrations(&settings, integrations)?;
    let mut builder = AnchorApp::builder(settings, database, registered);
    for probe in probes() {
        builder = builder.module(probe);
    }
    builder.build()
}

/// The anchor's side of SEP-12 in these tests: knows nobody.
pub(crate) struct NoCustomers;

#[anchor_core::async_trait]
impl CustomerIntegration for NoCustomers {
    async fn get(&self, _: &Sep10Token, _: CustomerQuery) -> Result<CustomerStatus, IntegrationError> {
        Err(IntegrationError::not_found("no such customer"))
    }
    async fn put(&self, _: &Sep10Token, _: CustomerUpdate) -> Result<CustomerId, IntegrationError> {
        Err(IntegrationError::bad_request("not accepting customers"))
    }
    async fn delete(&self, _: &Sep10Token, _: CustomerRef) -> Result<(), IntegrationError> {
        Err(IntegrationError::not_found("no such customer"))
    }
}

/// The anchor's side of SEP-3 in these tests: clears everyone.
pub(crate) struct ClearEveryone;

#[anchor_core::async_trait]
impl SanctionsIntegration for ClearEveryone {
    async fn screen(&self, _: &ScreeningSubject) -> Result<ScreeningOutcome, IntegrationError> {
        Ok(ScreeningOutcome::Clear)
    }
}

pub(crate) fn all_integrations() -> Integrations {
    Integrations::new().customer(NoCustomers).sanctions(ClearEveryone)
}

pub(crate) fn serve(overrides: &[(&str, &str)]) -> TestServer {
    let settings = testing::settings(overrides);
    testing::serve_public(build_app(settings, all_integrations()).unwrap())
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::new()
}
