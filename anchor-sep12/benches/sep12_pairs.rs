//! PUT + GET /customer pairs per second against an in-process server (2 actix workers) with the
//! in-memory test integration, so the figure measures the framework: token check, body parsing,
//! SEP-9 validation, the ownership table on the database, and the wire format.
//!
//! Run: `cargo bench -p anchor-sep12 --bench sep12_pairs` (SQLite), and with
//! `--features anchor-core/postgres` and `ANCHOR_TEST_POSTGRES_URL` set for PostgreSQL.
//! `SEP12_BENCH_SECONDS` sets the measuring time per cell (default 4).

#![allow(dead_code, reason = "the bench uses only part of the tests' memory.rs (not `record`, `count`)")]
#![allow(clippy::unwrap_used, reason = "a benchmark stops at its first failure, and the panic says where")]

#[path = "../tests/it/memory.rs"]
mod memory;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{App, HttpServer};
use anchor_core::auth::{encode_token, token_issuer, Sep10Claims};
use anchor_core::testing::{self, TestDatabase};
use anchor_core::{register_integrations, AnchorApp, Integrations, Settings};

const G: &str = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";

/// CPU seconds (user + system) from a `/proc/…/stat` file (Linux, 100 Hz ticks).
fn stat_seconds(path: &std::path::Path) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// CPU seconds of this process: `(load client, anchor)`. The load client runs on the main thread
/// (the actix system's); every other thread (server workers, blocking pool) is the anchor's.
/// `None` where `/proc` is not available.
fn cpu_seconds() -> Option<(f64, f64)> {
    let pid = std::process::id().to_string();
    let total = stat_seconds(std::path::Path::new("/proc/self/stat"))?;
    let client = stat_seconds(&std::path::Path::new("/proc/self/task").join(&pid).join("stat"))?;
    Some((client, total - client))
}

fn token(settings: &Settings, sub: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = Sep10Claims {
        iss: token_issuer(settings),
        sub: sub.to_string(),
        iat: now,
        exp: now + 3600,
        jti: "2".repeat(64),
        client_domain: None,
        home_domain: None,
    };
    encode_token(settings, &claims).unwrap()
}

/// Pairs per second, and CPU seconds per pair of the load client and of the anchor.
async fn run(database: TestDatabase, concurrency: usize, seconds: u64) -> (f64, Option<(f64, f64)>) {
    let url = database.url_string();
    let settings = testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-12"), ("DATABASE_URL", &url)]);
    let db = database.database();
    let registered =
        register_integrations(&settings, Integrations::new().customer(memory::MemoryCustomers::default()))
            .unwrap();
    let app =
        AnchorApp::builder(settings.clone(), db, registered).module(anchor_sep12::Sep12).build().unwrap();
    let server = HttpServer::new(move || {
        let app = app.clone();
        App::new().configure(|cfg| app.configure(cfg))
    })
    .workers(2)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let base = format!("http://{addr}/kyc/customer");
    let pairs = Arc::new(AtomicU64::new(0));
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = Instant::now() + Duration::from_millis(500) + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = reqwest::Client::new();
        let bearer = token(&settings, &format!("{G}:{worker}"));
        let (base, pairs, measuring) = (base.clone(), pairs.clone(), measuring.clone());
        tasks.push(tokio::spawn(async move {
            let mut round = 0u64;
            while Instant::now() < stop {
                round += 1;
                let put = client
                    .put(&base)
                    .bearer_auth(&bearer)
                    .json(&serde_json::json!({
                        "first_name": "Jane",
                        "last_name": format!("Doe {round}"),
                        "email_address": "jane@example.com",
                        "birth_date": "1990-01-02",
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(put.status(), 202);
                let _ = put.bytes().await.unwrap();
                let get = client.get(&base).bearer_auth(&bearer).send().await.unwrap();
                assert_eq!(get.status(), 200);
                let _ = get.bytes().await.unwrap();
                if measuring.load(Ordering::Relaxed) {
                    pairs.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu_before).map(|(after, before)| (after.0 - before.0, after.1 - before.1));
    handle.stop(true).await;
    drop(database);
    let pairs = pairs.load(Ordering::Relaxed) as f64;
    let per_pair = cpu.map(|(client, anchor)| (client / pairs.max(1.0), anchor / pairs.max(1.0)));
    (pairs / elapsed, per_pair)
}

fn main() {
    let seconds: u64 =
        std::env::var("SEP12_BENCH_SECONDS").ok().and_then(|value| value.parse().ok()).unwrap_or(4);
    actix_web::rt::System::new().block_on(async move {
        println!(
            "| backend | concurrency | PUT+GET pairs/s | anchor CPU µs/pair | client CPU µs/pair | cores the process got |"
        );
        println!("|---|---:|---:|---:|---:|---:|");
        for concurrency in [1, 8, 32] {
            for database in testing::test_databases() {
                let backend = database.name;
                let (rate, cpu_per_pair) = run(database, concurrency, seconds).await;
                let (anchor, client, cores) = match cpu_per_pair {
                    Some((client, anchor)) => (
                        format!("{:.0}", anchor * 1e6),
                        format!("{:.0}", client * 1e6),
                        format!("{:.2}", (client + anchor) * rate),
                    ),
                    None => ("n/a".into(), "n/a".into(), "n/a".into()),
                };
                println!("| {backend} | {concurrency} | {rate:.0} | {anchor} | {client} | {cores} |");
            }
        }
    });
}
