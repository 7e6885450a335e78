//! SEP-10 load client: full protocol round trips against an in-process server on loopback.
//!
//! Run with `cargo bench -p anchor-sep10 --bench sep10_round_trips` (add
//! `--features anchor-core/postgres` and set `ANCHOR_TEST_POSTGRES_URL` to also measure
//! PostgreSQL). Each round trip is what a wallet does: `GET /auth` → decode the challenge and
//! verify it (server signature, sequence, time bounds, home and web-auth domains, nonce) → sign
//! with the client key → `POST /auth` (JSON) → receive the JWT. The server (2 workers, release
//! build) looks every client account up on a fast local Horizon stand-in (a real HTTP server on
//! loopback) and records single use in the database.
//!
//! Environment: `BENCH_SECONDS` (per concurrency level, default 5), `BENCH_CONCURRENCY`
//! (comma-separated, default `1,8,32`), `BENCH_SERVER_WORKERS` (default 2).

#![allow(missing_docs)]
// A benchmark binary: a broken environment should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use anchor_core::keys::SigningKey;
use anchor_core::testing::{self, TestDatabase};
use anchor_core::{register_integrations, AnchorApp, Integrations};
use anchor_sep10::challenge::{
    build_challenge, decorated_signature, network_id, read_challenge, read_own_challenge, verify_signatures,
    AccountSigners, AccountState, ChallengeRequest, ClientAccount, Verifier,
};
use serde_json::{json, Value};
use stellar_xdr::{Limits, ReadXdr, TransactionEnvelope, WriteXdr};

const PASSPHRASE: &str = "Test SDF Network ; September 2015";
const ACCOUNTS: usize = 512;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

/// Runs an actix server on its own thread; returns its address and handle.
fn spawn_server<F>(build: F) -> (SocketAddr, ServerHandle)
where
    F: FnOnce() -> actix_web::dev::Server + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = build();
            tx.send(server.handle()).unwrap();
            server.await.unwrap();
        });
    });
    let handle = rx.recv().unwrap();
    // The address is sent separately by the builders below.
    (SocketAddr::from(([127, 0, 0, 1], 0)), handle)
}

/// Thread ids of the Horizon stand-in's workers, so its CPU is not counted as the anchor's.
static HORIZON_THREADS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn thread_id() -> String {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|path| path.file_name().map(|name| name.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

fn start_horizon(accounts: Arc<std::collections::HashMap<String, String>>) -> (String, ServerHandle) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (_, handle) = spawn_server(move || {
        HttpServer::new(move || {
            // The factory runs on each worker thread.
            HORIZON_THREADS.lock().unwrap().push(thread_id());
            let accounts = accounts.clone();
            App::new().route(
                "/accounts/{id}",
                web::get().to(move |path: web::Path<String>| {
                    let body = accounts.get(path.as_str()).cloned();
                    async move {
                        match body {
                            Some(body) => HttpResponse::Ok().content_type("application/json").body(body),
                            None => HttpResponse::NotFound().finish(),
                        }
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run()
    });
    (format!("http://{addr}"), handle)
}

fn start_anchor(
    database: &TestDatabase,
    horizon: &str,
    workers: usize,
) -> (String, ServerHandle, SigningKey) {
    let db_url = database.url_string();
    let settings = testing::settings(&[
        ("ACTIVE_SEPS", "sep-1,sep-10"),
        ("HORIZON_URI", horizon),
        ("DATABASE_URL", &db_url),
        ("SEP10_HOME_DOMAINS", "localhost"),
    ]);
    let signing_key = settings.signing_key.clone();
    let registered = register_integrations(&settings, Integrations::default()).unwrap();
    let app = AnchorApp::builder(settings, database.database(), registered)
        .module(anchor_sep10::Sep10)
        .build()
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (_, handle) = spawn_server(move || {
        HttpServer::new(move || {
            let app = app.clone();
            App::new().configure(|cfg| app.configure(cfg))
        })
        .workers(workers)
        .backlog(4096)
        .listen(listener)
        .unwrap()
        .run()
    });
    (format!("http://{addr}"), handle, signing_key)
}

struct Sample {
    get: Vec<u32>,
    post: Vec<u32>,
    round_trip: Vec<u32>,
    errors: u64,
}

/// One wallet round trip; returns (GET µs, POST µs) or an error description.
async fn round_trip(
    client: &reqwest::Client,
    base: &str,
    key: &SigningKey,
    server_key: [u8; 32],
    homes: &[String],
) -> Result<(u32, u32), String> {
    let started = Instant::now();
    let response = client
        .get(format!("{base}/auth?account={}", key.public_key()))
        .send()
        .await
        .map_err(|err| err.to_string())?;
    if !response.status().is_success() {
        return Err(format!("GET {}", response.status()));
    }
    let body: Value = response.json().await.map_err(|err| err.to_string())?;
    let get_micros = started.elapsed().as_micros() as u32;
    let xdr = body["transaction"].as_str().ok_or("no transaction")?;

    // The wallet's checks, then its signature.
    let network = network_id(PASSPHRASE);
    let verifier =
        Verifier { server_key, network_id: network, home_domains: homes, web_auth_domain: "localhost:8000" };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    read_challenge(&verifier, xdr, now).map_err(|err| err.to_string())?;
    let TransactionEnvelope::Tx(mut envelope) =
        TransactionEnvelope::from_xdr_base64(xdr, Limits::none()).map_err(|err| err.to_string())?
    else {
        return Err("not a v1 envelope".into());
    };
    let hash = envelope.tx.hash(network).map_err(|err| err.to_string())?;
    let mut signatures = envelope.signatures.to_vec();
    signatures.push(decorated_signature(key, &hash).map_err(|err| err.to_string())?);
    envelope.signatures = signatures.try_into().map_err(|_| "signatures")?;
    let signed =
        TransactionEnvelope::Tx(envelope).to_xdr_base64(Limits::none()).map_err(|err| err.to_string())?;

    let post_started = Instant::now();
    let response = client
        .post(format!("{base}/auth"))
        .json(&json!({ "transaction": signed }))
        .send()
        .await
        .map_err(|err| err.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|err| err.to_string())?;
    if !status.is_success() || !body["token"].is_string() {
        return Err(format!("POST {status}: {body}"));
    }
    Ok((get_micros, post_started.elapsed().as_micros() as u32))
}

/// CPU seconds (user + system) from /proc: the whole process, the client's threads, the Horizon
/// stand-in's threads. The anchor is the rest (its workers and its database threads).
fn cpu_seconds() -> (f64, f64, f64) {
    fn ticks(stat: &str) -> Option<f64> {
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) / 100.0)
    }
    let total = std::fs::read_to_string("/proc/self/stat").ok().and_then(|stat| ticks(&stat)).unwrap_or(0.0);
    let (mut client, mut horizon) = (0.0, 0.0);
    let horizon_threads = HORIZON_THREADS.lock().unwrap().clone();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            let cpu = || {
                std::fs::read_to_string(task.path().join("stat"))
                    .ok()
                    .and_then(|stat| ticks(&stat))
                    .unwrap_or(0.0)
            };
            if comm.trim() == "bench-client" {
                client += cpu();
            } else if horizon_threads.contains(&task.file_name().to_string_lossy().into_owned()) {
                horizon += cpu();
            }
        }
    }
    (total, client, horizon)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[index]) / 1000.0
}

async fn measure(
    base: &str,
    keys: &Arc<Vec<SigningKey>>,
    server_key: [u8; 32],
    concurrency: usize,
    duration: Duration,
) -> (Sample, Duration) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build().unwrap();
    let homes = Arc::new(vec!["localhost".to_string()]);
    // Warm-up: open connections, fill caches.
    for index in 0..concurrency.min(keys.len()) {
        round_trip(&client, base, &keys[index], server_key, &homes).await.unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let (client, base, keys, homes, stop) =
                (client.clone(), base.to_string(), keys.clone(), homes.clone(), stop.clone());
            tokio::spawn(async move {
                let mut sample =
                    Sample { get: Vec::new(), post: Vec::new(), round_trip: Vec::new(), errors: 0 };
                let mut index = task;
                while !stop.load(Ordering::Relaxed) {
                    let key = &keys[index % keys.len()];
                    index += concurrency;
                    let begun = Instant::now();
                    match round_trip(&client, &base, key, server_key, &homes).await {
                        Ok((get, post)) => {
                            sample.get.push(get);
                            sample.post.push(post);
                            sample.round_trip.push(begun.elapsed().as_micros() as u32);
                        }
                        Err(err) => {
                            if sample.errors == 0 {
                                eprintln!("round trip failed: {err}");
                            }
                            sample.errors += 1;
                        }
                    }
                }
                sample
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = Sample { get: Vec::new(), post: Vec::new(), round_trip: Vec::new(), errors: 0 };
    for task in tasks {
        let sample = task.await.unwrap();
        total.get.extend(sample.get);
        total.post.extend(sample.post);
        total.round_trip.extend(sample.round_trip);
        total.errors += sample.errors;
    }
    let elapsed = started.elapsed();
    total.get.sort_unstable();
    total.post.sort_unstable();
    total.round_trip.sort_unstable();
    (total, elapsed)
}

/// Times the pure per-round-trip work of the server (no IO): the floor the HTTP numbers sit on.
fn pure_costs() {
    let server = SigningKey::generate().unwrap();
    let client = SigningKey::generate().unwrap();
    let network = network_id(PASSPHRASE);
    let homes = vec!["localhost".to_string()];
    let request = ChallengeRequest {
        account: ClientAccount::Plain(client.public_key_bytes()),
        memo: None,
        home_domain: "localhost",
        web_auth_domain: "localhost:8000",
        client_domain: None,
    };
    let verifier = Verifier {
        server_key: server.public_key_bytes(),
        network_id: network,
        home_domains: &homes,
        web_auth_domain: "localhost:8000",
    };
    let account = AccountState::Exists(AccountSigners {
        signers: vec![(client.public_key_bytes(), 1)],
        medium_threshold: 1,
    });
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let rounds = 2000;
    let started = Instant::now();
    let mut xdr = String::new();
    for _ in 0..rounds {
        xdr = build_challenge(&server, &network, &request, now, 900, &[5; 48]).unwrap();
    }
    let build = started.elapsed() / rounds;
    let read = read_challenge(&verifier, &xdr, now).unwrap();
    let TransactionEnvelope::Tx(mut envelope) =
        TransactionEnvelope::from_xdr_base64(&xdr, Limits::none()).unwrap()
    else {
        unreachable!()
    };
    let mut signatures = envelope.signatures.to_vec();
    signatures.push(decorated_signature(&client, &read.hash).unwrap());
    envelope.signatures = signatures.try_into().unwrap();
    let signed = TransactionEnvelope::Tx(envelope).to_xdr_base64(Limits::none()).unwrap();
    let started = Instant::now();
    for _ in 0..rounds {
        let read = read_own_challenge(&verifier, &server, &signed, now).unwrap();
        verify_signatures(&read, &verifier.server_key, &account).unwrap();
    }
    let check = started.elapsed() / rounds;
    println!(
        "pure server work per round trip: build + sign challenge {:.1} µs, read + verify signed challenge {:.1} µs",
        build.as_secs_f64() * 1e6,
        check.as_secs_f64() * 1e6
    );
}

fn main() {
    let seconds: u64 = env_or("BENCH_SECONDS", 5);
    let levels: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "1,8,32".into())
        .split(',')
        .filter_map(|level| level.trim().parse().ok())
        .collect();
    let workers: usize = env_or("BENCH_SERVER_WORKERS", 2);
    pure_costs();

    let keys: Arc<Vec<SigningKey>> =
        Arc::new((0..ACCOUNTS).map(|_| SigningKey::generate().unwrap()).collect());
    let accounts: std::collections::HashMap<String, String> = keys
        .iter()
        .map(|key| {
            let id = key.public_key().to_string();
            let body = json!({
                "id": id, "account_id": id, "sequence": "1",
                "thresholds": {"low_threshold": 1, "med_threshold": 1, "high_threshold": 1},
                "signers": [{"key": id, "weight": 1, "type": "ed25519_public_key"}],
            })
            .to_string();
            (id, body)
        })
        .collect();
    let (horizon, horizon_handle) = start_horizon(Arc::new(accounts));

    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("SEP-10 round trips: {cpus} CPUs, server workers {workers}, {seconds} s per level, {ACCOUNTS} accounts");
    println!(
        "| backend | concurrency | round trips/s | GET p50 ms | GET p99 ms | POST p50 ms | POST p99 ms | round trip p50 ms | p99 ms | anchor CPU ms/rt | Horizon stand-in CPU ms/rt | client CPU ms/rt | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-client")
        .enable_all()
        .build()
        .unwrap();
    for database in testing::test_databases().into_iter().filter(|db| db.name != "mysql") {
        let (base, handle, signing_key) = start_anchor(&database, &horizon, workers);
        let server_key = signing_key.public_key_bytes();
        for &concurrency in &levels {
            let (total_before, client_before, horizon_before) = cpu_seconds();
            let (sample, elapsed) = runtime.block_on(measure(
                &base,
                &keys,
                server_key,
                concurrency,
                Duration::from_secs(seconds),
            ));
            let (total_after, client_after, horizon_after) = cpu_seconds();
            let count = sample.round_trip.len().max(1) as f64;
            let client = client_after - client_before;
            let horizon = horizon_after - horizon_before;
            let client_ms = client * 1000.0 / count;
            let horizon_ms = horizon * 1000.0 / count;
            let server_ms = ((total_after - total_before) - client - horizon) * 1000.0 / count;
            let rate = sample.round_trip.len() as f64 / elapsed.as_secs_f64();
            println!(
                "| {} | {concurrency} | {rate:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {server_ms:.3} | {horizon_ms:.3} | {client_ms:.3} | {} |",
                database.name,
                percentile(&sample.get, 0.5),
                percentile(&sample.get, 0.99),
                percentile(&sample.post, 0.5),
                percentile(&sample.post, 0.99),
                percentile(&sample.round_trip, 0.5),
                percentile(&sample.round_trip, 0.99),
                sample.errors,
            );
        }
        runtime.block_on(handle.stop(false));
    }
    runtime.block_on(horizon_handle.stop(false));
}
