//! SEP-3 receiving-side load: signed `POST AUTH_SERVER` requests against an in-process anchor on
//! loopback (release build, `BENCH_SERVER_WORKERS` workers, default 2).
//!
//! Run with `cargo bench -p anchor-sep3 --bench sep3_auth` (add `--features
//! anchor-core/postgres` and set `ANCHOR_TEST_POSTGRES_URL` to also measure PostgreSQL). Every
//! request has a distinct nonce (so each is a real insert into `sep3_authorized_transactions`),
//! sanctions answer clear, `need_info` is false, and the sender's stellar.toml is served by a
//! local server and cached after the first request. The requests are built and signed before the
//! clock starts; the server does, per request: strict form decoding, JSON, one ed25519
//! verification, XDR decoding, SHA-256 of the attachment and of `data`, the transaction hash, a
//! nonce look-up and one insert.
//!
//! Environment: `BENCH_SECONDS` (per concurrency level, default 5), `BENCH_CONCURRENCY`
//! (comma-separated, default `8,32`), `BENCH_SERVER_WORKERS` (default 2).

#![allow(missing_docs)]
// A benchmark binary: a broken environment should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use anchor_core::integrations::compliance::{
    ComplianceIntegration, CustomerInfo, FederationIntegration, FederationRecord,
};
use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject};
use anchor_core::keys::SigningKey;
use anchor_core::testing::{self, TestDatabase};
use anchor_core::{
    async_trait, register_integrations, AnchorApp, IntegrationError, Integrations, SanctionsIntegration,
};
use anchor_sep3::payload::{self, AuthData, PaymentSpec};
use base64::Engine as _;

const SENDER_SEED: &str = "SBEL63EBNQUTQ2ZTGHGLLXEMP6THALGS3VQ2N4RVHUWIBB5KGDJWVF3R";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

struct Clear;

#[async_trait]
impl SanctionsIntegration for Clear {
    async fn screen(&self, _: &ScreeningSubject) -> Result<ScreeningOutcome, IntegrationError> {
        Ok(ScreeningOutcome::Clear)
    }
}

struct Nobody;

#[async_trait]
impl FederationIntegration for Nobody {
    async fn resolve_name(&self, _: &str) -> Result<Option<FederationRecord>, IntegrationError> {
        Ok(None)
    }
}

#[async_trait]
impl ComplianceIntegration for Nobody {
    async fn fetch_info(&self, _: &str) -> Result<CustomerInfo, IntegrationError> {
        Err(IntegrationError::not_found("no such customer"))
    }
}

/// Starts an actix server on its own thread and system.
fn spawn(listener: TcpListener, workers: usize, app: Option<AnchorApp>, toml: Option<String>) {
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let mut application = App::new();
                if let Some(app) = app.clone() {
                    application = application.configure(move |cfg| app.configure(cfg));
                }
                if let Some(toml) = toml.clone() {
                    application = application.route(
                        "/.well-known/stellar.toml",
                        web::get().to(move || {
                            let toml = toml.clone();
                            async move { HttpResponse::Ok().body(toml) }
                        }),
                    );
                }
                application
            })
            .workers(workers)
            .listen(listener)
            .unwrap()
            .run();
            server.await.unwrap();
        });
    });
}

fn build_bodies(sender_domain: &str, key: &SigningKey, count: usize, start: usize) -> Vec<String> {
    let mut info = serde_json::Map::new();
    info.insert("first_name".into(), "Aldi".into());
    info.insert("last_name".into(), "Dobbs".into());
    info.insert("country".into(), "US".into());
    (start..start + count)
        .map(|n| {
            let attachment = payload::build_attachment(&format!("bench-{n}"), &info, "7", "").unwrap();
            let spec = PaymentSpec::Payment {
                destination: "GDO34SQXVOSNODK7JCTAXLZUPSAF3JIH4ADQELVIKOQJUWQ3U4BMSCSH".into(),
                asset: stellar_xdr::Asset::Native,
                amount: 10_000_000,
            };
            let transaction = payload::build_transaction(
                "GBEEAAVX5GMUEWFL6Q6UQUAH3WAPGNFSIQCI6YXVGXTCPOZ22PGFWMEC",
                &spec,
                &attachment,
            )
            .unwrap();
            let data = payload::build_data(&AuthData {
                sender: format!("aldi*{sender_domain}"),
                need_info: false,
                tx: payload::encode_transaction(&transaction).unwrap(),
                attachment,
            })
            .unwrap();
            let sig = base64::engine::general_purpose::STANDARD.encode(key.sign(data.as_bytes()));
            let mut body = url::form_urlencoded::Serializer::new(String::new());
            body.append_pair("data", &data).append_pair("sig", &sig);
            body.finish()
        })
        .collect()
}

/// CPU seconds (user + system) used by this whole process so far, from /proc/self/stat.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks =
        |index: usize| fields.get(index).and_then(|value| value.parse::<f64>().ok()).unwrap_or_default();
    // Fields 14 and 15 of the file (utime, stime) are 11 and 12 after the name; 100 ticks/s.
    (ticks(11) + ticks(12)) / 100.0
}

async fn measure(
    url: &str,
    bodies: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    concurrency: usize,
    seconds: u64,
) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let cpu_started = process_cpu_seconds();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, bodies, next, url) =
            (client.clone(), Arc::clone(&bodies), Arc::clone(&next), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            while Instant::now() < deadline {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(index) else { break };
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let ok = response.status().as_u16() == 200;
                let _ = response.bytes().await;
                if ok {
                    latencies.push(sent.elapsed());
                } else {
                    failures += 1;
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (mut part, failed) = task.await.unwrap();
        latencies.append(&mut part);
        failures += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds() - cpu_started;
    latencies.sort();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let approved = latencies.len().max(1) as f64;
    println!(
        "  concurrency {concurrency:>3}: {:>8.0} requests/s  ({} approved, {failures} not 200, p50 {:.2} ms, p99 {:.2} ms, \
         {:.0} µs CPU per request for client + server, {:.1} cores busy)",
        latencies.len() as f64 / elapsed,
        latencies.len(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
        cpu / approved * 1e6,
        cpu / elapsed,
    );
    assert_eq!(failures, 0, "every request should be approved");
}

fn bench_backend(database: TestDatabase, runtime: &tokio::runtime::Runtime) {
    let seconds: u64 = env_or("BENCH_SECONDS", 5);
    let workers: usize = env_or("BENCH_SERVER_WORKERS", 2);
    let levels: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "8,32".into())
        .split(',')
        .filter_map(|level| level.trim().parse().ok())
        .collect();

    let sender_key = SigningKey::from_seed(SENDER_SEED).unwrap();
    let toml_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let sender_domain = toml_listener.local_addr().unwrap().to_string();
    spawn(toml_listener, 1, None, Some(format!("SIGNING_KEY = \"{}\"\n", sender_key.public_key())));

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let settings = testing::settings(&[
        ("ACTIVE_SEPS", "sep-1,sep-3"),
        ("HOST_URL", &format!("http://{addr}")),
        ("DATABASE_URL", &database.url_string()),
    ]);
    let integrations = Integrations::new().sanctions(Clear).federation(Nobody).compliance(Nobody);
    let registered = register_integrations(&settings, integrations).unwrap();
    let app = AnchorApp::builder(settings, database.database(), registered)
        .module(anchor_sep3::Sep3::new())
        .build()
        .unwrap();
    spawn(listener, workers, Some(app), None);
    let url = format!("http://{addr}/compliance");

    // Enough distinct requests for the fastest plausible rate.
    let per_level = 20_000 * seconds as usize;
    let total = per_level * levels.len() + 1;
    let started = Instant::now();
    let bodies = Arc::new(build_bodies(&sender_domain, &sender_key, total, 0));
    println!(
        "{}: {} signed requests prepared in {:.1} s",
        database.name,
        bodies.len(),
        started.elapsed().as_secs_f64()
    );
    let next = Arc::new(AtomicUsize::new(0));
    runtime.block_on(async {
        // Warm up: waits for the server, fetches and caches the sender's stellar.toml.
        for _ in 0..200 {
            if reqwest::Client::new().get(format!("http://{addr}/health")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        measure(&url, Arc::clone(&bodies), Arc::clone(&next), 1, 1).await;
        for level in &levels {
            measure(&url, Arc::clone(&bodies), Arc::clone(&next), *level, seconds).await;
        }
    });
}

/// The request's pure work, without HTTP or database: form, JSON, signature, XDR, hashes.
fn pure_work() {
    let key = SigningKey::from_seed(SENDER_SEED).unwrap();
    let public = key.public_key_bytes();
    let bodies = build_bodies("bank-a.example", &key, 2_000, 0);
    let started = Instant::now();
    let rounds = 5;
    for _ in 0..rounds {
        for body in &bodies {
            let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let request = payload::signed_request(fields).unwrap();
            let auth = payload::parse_auth_data(&request.data).unwrap();
            payload::parse_federation_address(&auth.sender, "data.sender").unwrap();
            let sig = payload::decode_sig(&request.sig).unwrap();
            anchor_sep3::verify::verify(&public, request.data.as_bytes(), &sig).unwrap();
            let transaction = payload::decode_transaction(&auth.tx).unwrap();
            payload::check_memo(&transaction, &auth.attachment).unwrap();
            payload::parse_attachment(&auth.attachment).unwrap();
            payload::first_operation(&transaction).unwrap();
            payload::transaction_id(&transaction, "Test SDF Network ; September 2015").unwrap();
            payload::sha256(request.data.as_bytes());
        }
    }
    let per_request = started.elapsed().as_secs_f64() / (rounds * bodies.len()) as f64;
    println!("pure work per request (form, JSON, ed25519 verify, XDR, hashes): {:.1} µs", per_request * 1e6);
}

fn main() {
    pure_work();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for database in testing::test_databases() {
        bench_backend(database, &runtime);
    }
}
