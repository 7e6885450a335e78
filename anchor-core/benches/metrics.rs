//! What `http::log_request` (request log line + metrics recording) adds to a request: the same
//! app answers `GET /auth/ping` with and without the middleware, in process (no sockets), and
//! the difference per request is printed. Run with `cargo bench -p anchor-core --bench metrics`.

#![allow(clippy::unwrap_used, reason = "a benchmark stops at its first failure, and the panic says where")]

use std::time::{Duration, Instant};

use actix_web::{test, web, App, HttpResponse};
use anchor_core::{
    register_integrations, AnchorApp, AnchorContext, Integrations, SepId, SepModule, Settings,
};

const REQUESTS: u32 = 100_000;
const ROUNDS: u32 = 5;

struct Probe;

impl SepModule for Probe {
    fn id(&self) -> SepId {
        SepId::Sep10
    }

    fn stellar_toml_entries(&self, settings: &Settings) -> Vec<(&'static str, String)> {
        vec![("WEB_AUTH_ENDPOINT", format!("{}/auth", settings.host_url))]
    }

    fn mount(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
        anchor_core::http::mount_public_scope(cfg, "/auth", ctx.body_limits(), |scope| {
            scope.route("/{account}", web::get().to(|| async { HttpResponse::Ok().finish() }))
        });
    }
}

fn app() -> AnchorApp {
    let settings = anchor_core::testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-10")]);
    let database = anchor_core::Database::connect(&settings.database_url).unwrap();
    let registered = register_integrations(&settings, Integrations::new()).unwrap();
    AnchorApp::builder(settings, database, registered).module(Probe).build().unwrap()
}

/// Answers `REQUESTS` requests with `$service` and returns the time taken.
macro_rules! time_requests {
    ($service:expr) => {{
        let started = Instant::now();
        for _ in 0..REQUESTS {
            let request = test::TestRequest::get().uri(PATH).to_request();
            let response = test::call_service($service, request).await;
            assert!(response.status().is_success());
        }
        started.elapsed()
    }};
}

/// A path with an account in it, as SEP routes have.
const PATH: &str = "/auth/GBRPYHIL2CI3FNQ4BXLFMNDLFJUNPU2HY3ZMFSHONUCEOASW7QC7OX2H";

fn per_request(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e9 / f64::from(REQUESTS)
}

fn main() {
    actix_web::rt::System::new().block_on(async {
        let app = app();
        let bare = test::init_service(App::new().configure(|cfg| app.configure(cfg))).await;
        let passthrough = test::init_service(
            App::new()
                .wrap_fn(|req, service| actix_web::dev::Service::call(service, req))
                .configure(|cfg| app.configure(cfg)),
        )
        .await;
        let wrapped = test::init_service(
            App::new().wrap_fn(anchor_core::http::log_request).configure(|cfg| app.configure(cfg)),
        )
        .await;
        // Warm up, then keep the best round of each (the machine is shared).
        let _ = time_requests!(&bare);
        let _ = time_requests!(&wrapped);
        let _ = time_requests!(&passthrough);
        let (mut best_bare, mut best_passthrough, mut best_wrapped) = (f64::MAX, f64::MAX, f64::MAX);
        for _ in 0..ROUNDS {
            best_bare = best_bare.min(per_request(time_requests!(&bare)));
            best_passthrough = best_passthrough.min(per_request(time_requests!(&passthrough)));
            best_wrapped = best_wrapped.min(per_request(time_requests!(&wrapped)));
        }
        println!("no middleware:              {best_bare:.0} ns per request");
        println!("a pass-through wrap_fn:     {best_passthrough:.0} ns per request");
        println!("log_request:                {best_wrapped:.0} ns per request");
        println!("log_request's own work:     {:.0} ns per request", best_wrapped - best_passthrough);
        let text = app.context().metrics().encode();
        assert!(text.contains("anchor_http_requests_total{sep=\"sep-10\",status=\"200\"}"), "{text}");
    });
}
