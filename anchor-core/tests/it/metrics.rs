//! `GET /metrics`: the HTTP series recorded by `http::log_request`, the internal listener's bearer
//! check, and series other crates register after the app is built.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anchor_core::actix_web::dev::ServerHandle;
use anchor_core::actix_web::{web, App, HttpResponse, HttpServer};
use anchor_core::metrics::prometheus_client::collector::Collector;
use anchor_core::metrics::prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use anchor_core::metrics::prometheus_client::metrics::counter::ConstCounter;
use anchor_core::metrics::CONTENT_TYPE;
use anchor_core::testing::{self, TEST_ADMIN_API_KEY};
use anchor_core::{http, register_integrations, AnchorApp, AnchorContext, SepId, SepModule, Settings};

use super::support::{all_integrations, client, probes};

/// An account in a URL: it must never reach a label.
const ACCOUNT: &str = "GBRPYHIL2CI3FNQ4BXLFMNDLFJUNPU2HY3ZMFSHONUCEOASW7QC7OX2H";

/// SEP-12-like routes with the account in the path.
struct KycWithPathParameter;

impl SepModule for KycWithPathParameter {
    fn id(&self) -> SepId {
        SepId::Sep12
    }

    fn stellar_toml_entries(&self, settings: &Settings) -> Vec<(&'static str, String)> {
        vec![("KYC_SERVER", format!("{}/kyc", settings.host_url))]
    }

    fn mount(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
        http::mount_public_scope(cfg, "/kyc", ctx.body_limits(), |scope| {
            scope.route("/customer/{account}", web::get().to(|| async { HttpResponse::Ok().finish() }))
        });
    }
}

fn build_app() -> AnchorApp {
    let settings = testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-3,sep-10,sep-12")]);
    let database = anchor_core::Database::connect(&settings.database_url).unwrap();
    database.migrate(&Default::default()).unwrap();
    let registered = register_integrations(&settings, all_integrations()).unwrap();
    let mut builder = AnchorApp::builder(settings, database, registered);
    for probe in probes() {
        builder = builder.module(probe);
    }
    builder.module(KycWithPathParameter).build().unwrap()
}

/// One listener as `cli::serve` builds it: `log_request` around the app, a JSON 404 default.
struct Listener {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl Listener {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

fn listen(app: AnchorApp, internal: bool) -> Listener {
    let server = HttpServer::new(move || {
        let app = app.clone();
        App::new()
            .wrap_fn(http::log_request)
            .configure(|cfg| if internal { app.configure_internal(cfg) } else { app.configure(cfg) })
            .default_service(web::to(http::not_found))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Listener { addr, handle }
}

async fn status_of(url: &str) -> u16 {
    client().get(url).send().await.unwrap().status().as_u16()
}

async fn scrape(internal: &Listener) -> String {
    let response =
        client().get(internal.url("/metrics")).bearer_auth(TEST_ADMIN_API_KEY).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

fn requests(text: &str, sep: &str, status: u16) -> Option<u64> {
    let prefix = format!("anchor_http_requests_total{{sep=\"{sep}\",status=\"{status}\"}} ");
    text.lines().find_map(|line| line.strip_prefix(&prefix)).map(|value| value.parse().unwrap())
}

#[actix_web::test]
async fn public_requests_are_counted_by_sep_and_status() {
    let app = build_app();
    let public = listen(app.clone(), false);
    let internal = listen(app, true);

    assert_eq!(status_of(&public.url("/.well-known/stellar.toml")).await, 200);
    assert_eq!(status_of(&public.url("/auth/query?count=1")).await, 200);
    assert_eq!(status_of(&public.url("/auth/query?count=1")).await, 200);
    assert_eq!(status_of(&public.url("/auth/query?count=many")).await, 400);
    assert_eq!(status_of(&public.url(&format!("/kyc/customer/{ACCOUNT}"))).await, 200);
    assert_eq!(status_of(&public.url("/compliance/fails")).await, 500);
    assert_eq!(status_of(&public.url("/health")).await, 200);
    assert_eq!(status_of(&public.url(&format!("/nowhere/{ACCOUNT}"))).await, 404);

    let text = scrape(&internal).await;
    assert_eq!(requests(&text, "sep-1", 200), Some(1), "{text}");
    assert_eq!(requests(&text, "sep-10", 200), Some(2), "{text}");
    assert_eq!(requests(&text, "sep-10", 400), Some(1), "{text}");
    assert_eq!(requests(&text, "sep-12", 200), Some(1), "{text}");
    assert_eq!(requests(&text, "sep-3", 500), Some(1), "{text}");
    assert_eq!(requests(&text, "other", 200), Some(1), "{text}");
    assert_eq!(requests(&text, "other", 404), Some(1), "{text}");
    assert!(text.contains("anchor_http_request_duration_seconds_count{sep=\"sep-10\"} 3\n"), "{text}");
    assert!(
        text.contains("anchor_http_request_duration_seconds_bucket{le=\"+Inf\",sep=\"sep-12\"} 1\n"),
        "{text}"
    );
}

#[actix_web::test]
async fn labels_never_carry_a_concrete_path() {
    let app = build_app();
    let public = listen(app.clone(), false);
    let internal = listen(app, true);
    assert_eq!(status_of(&public.url(&format!("/kyc/customer/{ACCOUNT}"))).await, 200);
    assert_eq!(status_of(&public.url(&format!("/kyc/unknown/{ACCOUNT}?memo=secret"))).await, 404);
    assert_eq!(status_of(&public.url(&format!("/{ACCOUNT}"))).await, 404);

    let text = scrape(&internal).await;
    assert!(!text.contains(ACCOUNT), "{text}");
    assert!(!text.contains("customer"), "{text}");
    assert!(!text.contains("secret"), "{text}");
    // Every label value comes from a fixed set.
    for line in text.lines().filter(|line| line.starts_with("anchor_http_")) {
        let labels =
            line.split_once('{').and_then(|(_, rest)| rest.split_once('}')).map(|(labels, _)| labels);
        for label in labels.unwrap_or_default().split(',') {
            let (key, value) = label.split_once('=').unwrap();
            let value = value.trim_matches('"');
            match key {
                "sep" => assert!(
                    ["sep-1", "sep-2", "sep-3", "sep-10", "sep-12", "internal", "other"].contains(&value),
                    "{line}"
                ),
                "status" => assert!(value.parse::<u16>().is_ok(), "{line}"),
                "le" => {}
                other => panic!("unexpected label {other} in {line}"),
            }
        }
    }
}

#[actix_web::test]
async fn metrics_needs_the_admin_api_key() {
    let internal = listen(build_app(), true);
    let url = internal.url("/metrics");

    let missing = client().get(&url).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = missing.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Authorization"), "{body}");

    let wrong = client().get(&url).bearer_auth("not-the-key").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid admin API key");

    let right = client().get(&url).bearer_auth(TEST_ADMIN_API_KEY).send().await.unwrap();
    assert_eq!(right.status(), 200);
    assert_eq!(right.headers()["content-type"], CONTENT_TYPE);
    let text = right.text().await.unwrap();
    assert!(text.contains("# TYPE anchor_http_requests counter\n"), "{text}");
    assert!(text.contains("# TYPE anchor_http_request_duration_seconds histogram\n"), "{text}");
    assert_eq!(requests(&text, "internal", 401), Some(2), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[actix_web::test]
async fn the_testing_helper_serves_metrics_too() {
    // `testing::serve_internal` mounts no `log_request`, so nothing is recorded, but the endpoint
    // and its key check are there.
    let app = build_app();
    let internal = testing::serve_internal(app.clone());
    assert_eq!(status_of(&internal.url("/metrics")).await, 401);
    let response =
        client().get(internal.url("/metrics")).bearer_auth(TEST_ADMIN_API_KEY).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), app.context().metrics().encode());
}

#[actix_web::test]
async fn without_a_configured_key_metrics_is_unreachable() {
    let settings = testing::settings(&[("ADMIN_API_KEY", "")]);
    assert!(settings.admin_api_key.is_none(), "the test needs a settings value without a key");
    let database = anchor_core::Database::connect(&settings.database_url).unwrap();
    let registered = register_integrations(&settings, anchor_core::Integrations::new()).unwrap();
    let app = AnchorApp::builder(settings, database, registered).build().unwrap();
    let internal = testing::serve_internal(app);
    let response = client().get(internal.url("/metrics")).bearer_auth("").send().await.unwrap();
    assert_eq!(response.status(), 401);
}

#[actix_web::test]
async fn metrics_is_not_served_on_the_public_listener() {
    let public = listen(build_app(), false);
    let response = client().get(public.url("/metrics")).bearer_auth(TEST_ADMIN_API_KEY).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "no such endpoint");
}

#[actix_web::test]
async fn internal_requests_are_labelled_internal() {
    let internal = listen(build_app(), true);
    assert_eq!(status_of(&internal.url("/metrics")).await, 401);
    assert_eq!(status_of(&internal.url(&format!("/nowhere/{ACCOUNT}"))).await, 404);
    scrape(&internal).await;
    let text = scrape(&internal).await;
    assert_eq!(requests(&text, "internal", 401), Some(1), "{text}");
    assert_eq!(requests(&text, "internal", 404), Some(1), "{text}");
    // The previous scrape is counted; the one being answered is not yet.
    assert_eq!(requests(&text, "internal", 200), Some(1), "{text}");
    assert!(!text.contains("sep=\"other\""), "{text}");
}

#[derive(Debug)]
struct Scans(Arc<AtomicU64>);

impl Collector for Scans {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let counter = ConstCounter::new(self.0.load(Ordering::Relaxed));
        let metric =
            encoder.encode_descriptor("anchor_test_scans", "Scans run", None, counter.metric_type())?;
        counter.encode(metric)
    }
}

#[actix_web::test]
async fn a_collector_registered_after_build_is_served() {
    let app = build_app();
    let internal = listen(app.clone(), true);
    let scans = Arc::new(AtomicU64::new(0));
    app.context().metrics().register_collector("anchor_test_scans", Box::new(Scans(scans.clone()))).unwrap();
    scans.store(7, Ordering::Relaxed);

    let text = scrape(&internal).await;
    assert!(text.contains("# HELP anchor_test_scans Scans run\n"), "{text}");
    assert!(text.contains("anchor_test_scans_total 7\n"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");

    // Registering again (say, from code that runs once per worker) is refused, not duplicated.
    let again = app.context().metrics().register_collector("anchor_test_scans", Box::new(Scans(scans)));
    assert!(again.is_err());
    let text = scrape(&internal).await;
    assert_eq!(text.matches("# TYPE anchor_test_scans counter").count(), 1, "{text}");
}
