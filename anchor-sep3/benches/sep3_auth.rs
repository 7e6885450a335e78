//! SEP-3 receiving-side load: signed `POST AUTH_SERVER` requests from this process (the load
//! client) to a receiving anchor running in a **separate process**, over real HTTP on loopback.
//!
//! Run with `cargo bench -p anchor-sep3 --bench sep3_auth` (add `--features
//! anchor-core/postgres` and set `ANCHOR_TEST_POSTGRES_URL` to also measure PostgreSQL).
//!
//! The receiving anchor is this same executable started again with `SEP3_BENCH_ROLE=server`: it
//! runs `anchor_core::cli::run_from(…, ["serve"])`, the path a real anchor binary takes (settings
//! from the environment, the pool, actix-web with its default worker count, request logging at
//! `RUST_LOG`, default `info`, to a log file), with `anchor_sep3::Sep3` mounted, a sanctions
//! integration answering clear and `need_info` false. The sending institution's stellar.toml is
//! served by this process and cached by the anchor after the first request.
//!
//! Every request has a distinct nonce (so each is a real insert into
//! `sep3_authorized_transactions`) and a real ed25519 signature over its real `data`; all are built
//! and signed before the clock starts. The client is a minimal HTTP/1.1 keep-alive client (one
//! connection per concurrent sender, one tokio thread) so that it takes as little of the machine as
//! possible. CPU is read from `/proc`: the anchor process (all its threads), this process, and the
//! PostgreSQL backends serving the benchmark's database (found by their process titles).
//!
//! Environment: `BENCH_SECONDS` (per concurrency level, default 5), `BENCH_CONCURRENCY`
//! (comma-separated, default `8,32`), `BENCH_MAX_RATE` (requests prepared per second of each
//! level, default 12000), `BENCH_SERVER_WRAPPER` (a command to start the anchor under, e.g.
//! `valgrind --tool=callgrind`), `RUST_LOG` and `DATABASE_POOL_SIZE` (passed to the anchor).

// A benchmark binary: a broken environment should stop it loudly.
#![allow(clippy::unwrap_used, reason = "a benchmark stops at its first failure, and the panic says where")]

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use anchor_core::cli::Anchor;
use anchor_core::integrations::compliance::{
    ComplianceIntegration, CustomerInfo, FederationIntegration, FederationRecord,
};
use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject};
use anchor_core::keys::SigningKey;
use anchor_core::testing::{self, TestDatabase};
use anchor_core::{
    async_trait, ConfigError, Database, IntegrationError, Integrations, SanctionsIntegration, SepModule,
    Settings,
};
use anchor_sep3::payload::{self, AuthData, PaymentSpec};
use base64::Engine as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const SENDER_SEED: &str = "SBEL63EBNQUTQ2ZTGHGLLXEMP6THALGS3VQ2N4RVHUWIBB5KGDJWVF3R";
const ROLE_VARIABLE: &str = "SEP3_BENCH_ROLE";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// The receiving anchor (child process)
// ---------------------------------------------------------------------------------------------

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

/// The receiving bank: SEP-3 with sanctions answering clear.
struct ReceivingBank;

impl Anchor for ReceivingBank {
    fn modules(&self) -> Vec<Arc<dyn SepModule>> {
        vec![Arc::new(anchor_sep3::Sep3::new())]
    }

    fn integrations(&self, _: &Settings, _: &Database) -> Result<Integrations, ConfigError> {
        Ok(Integrations::new().sanctions(Clear).federation(Nobody).compliance(Nobody))
    }
}

fn serve_as_receiving_bank() -> ExitCode {
    anchor_core::cli::run_from(ReceivingBank, ["sep3-bench-anchor", "serve"].map(Into::into))
}

/// The receiving anchor process; killed when dropped.
struct AnchorProcess {
    child: Child,
    addr: SocketAddr,
}

impl Drop for AnchorProcess {
    /// Stops the anchor as an operator would (SIGTERM: actix shuts down gracefully, and a
    /// profiler wrapping it writes its output), then kills it if it has not exited after 30 s.
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        for _ in 0..300 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_anchor(database: &TestDatabase, log: &std::path::Path, workdir: &std::path::Path) -> AnchorProcess {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let internal = format!("127.0.0.1:{}", free_port());
    let exe = std::env::current_exe().unwrap();
    let wrapper = std::env::var("BENCH_SERVER_WRAPPER").unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(&exe);
            command
        }
        None => Command::new(&exe),
    };
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(ROLE_VARIABLE, "server")
        .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .env("ACTIVE_SEPS", "sep-1,sep-3")
        .env("HOST_URL", format!("http://{addr}"))
        .env("BIND_ADDRESS", addr.to_string())
        .env("INTERNAL_BIND_ADDRESS", internal)
        .env("LOCAL_MODE", "true")
        .env("SIGNING_SEED", testing::TEST_SEED)
        .env("SERVER_JWT_KEY", testing::TEST_JWT_KEY)
        .env("ADMIN_API_KEY", testing::TEST_ADMIN_API_KEY)
        .env("DATABASE_URL", database.url_string())
        // Every request comes from this one loopback address: the benchmark measures the
        // anchor, not its per-address rate limits.
        .envs(testing::RATE_LIMITS_OFF)
        // No stray `.env` is read: the anchor runs in an empty directory.
        .current_dir(workdir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    if let Ok(size) = std::env::var("DATABASE_POOL_SIZE") {
        command.env("DATABASE_POOL_SIZE", size);
    }
    AnchorProcess { child: command.spawn().unwrap(), addr }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

fn build_bodies(sender_domain: &str, key: &SigningKey, count: usize) -> Vec<String> {
    let mut info = serde_json::Map::new();
    info.insert("first_name".into(), "Aldi".into());
    info.insert("last_name".into(), "Dobbs".into());
    info.insert("country".into(), "US".into());
    (0..count)
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

/// Complete HTTP/1.1 requests, ready to write.
fn build_requests(addr: SocketAddr, bodies: Vec<String>) -> Vec<Vec<u8>> {
    bodies
        .into_iter()
        .map(|body| {
            format!(
                "POST /compliance HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/x-www-form-urlencoded\r\n\
                 content-length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Measurements
// ---------------------------------------------------------------------------------------------

/// CPU seconds (user + system) of process `pid` so far ("self" for this one), from /proc.
fn process_cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks =
        |index: usize| fields.get(index).and_then(|value| value.parse::<f64>().ok()).unwrap_or_default();
    // Fields 14 and 15 of the file (utime, stime) are 11 and 12 after the name; 100 ticks/s.
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds of the PostgreSQL backends whose process title names `database`.
fn database_backends_cpu_seconds(database: Option<&str>) -> f64 {
    let Some(database) = database else { return 0.0 };
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0.0 };
    let mut total = 0.0;
    for entry in entries.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let title = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let title = String::from_utf8_lossy(&title);
        if title.starts_with("postgres:") && title.contains(database) {
            total += process_cpu_seconds(&pid);
        }
    }
    total
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

struct Counters {
    at: Instant,
    anchor: f64,
    client: f64,
    database: f64,
}

impl Counters {
    fn read(anchor_pid: &str, database: Option<&str>) -> Self {
        Counters {
            at: Instant::now(),
            anchor: process_cpu_seconds(anchor_pid),
            client: process_cpu_seconds("self"),
            database: database_backends_cpu_seconds(database),
        }
    }
}

/// Reads one HTTP/1.1 response from `stream` (status line, headers, `content-length` body); returns
/// the status. `buffer` keeps bytes read past the response.
async fn read_response(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) -> Result<u16, String> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end]).map_err(|_| "non-UTF-8 header".to_string())?;
            let status: u16 = head.get(9..12).and_then(|code| code.parse().ok()).ok_or("no status line")?;
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
                })
                .ok_or("no content-length")?;
            let total = end + 4 + length;
            while buffer.len() < total {
                let read = stream.read(&mut chunk).await.map_err(|err| err.to_string())?;
                if read == 0 {
                    return Err("connection closed in a body".into());
                }
                buffer.extend_from_slice(&chunk[..read]);
            }
            buffer.drain(..total);
            return Ok(status);
        }
        let read = stream.read(&mut chunk).await.map_err(|err| err.to_string())?;
        if read == 0 {
            return Err("connection closed".into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

struct SenderResult {
    latencies: Vec<Duration>,
    failures: usize,
    first_failure: Option<String>,
}

/// One concurrent sender: one keep-alive connection, one request at a time.
async fn sender(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    next: Arc<AtomicUsize>,
    deadline: Instant,
) -> SenderResult {
    let mut result = SenderResult { latencies: Vec::new(), failures: 0, first_failure: None };
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut buffer = Vec::with_capacity(8192);
    while Instant::now() < deadline {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(request) = requests.get(index) else { break };
        let sent = Instant::now();
        let outcome = match stream.write_all(request).await {
            Ok(()) => read_response(&mut stream, &mut buffer).await,
            Err(err) => Err(err.to_string()),
        };
        match outcome {
            Ok(200) => result.latencies.push(sent.elapsed()),
            Ok(status) => {
                result.failures += 1;
                result.first_failure.get_or_insert(format!("HTTP {status}"));
            }
            Err(err) => {
                result.failures += 1;
                result.first_failure.get_or_insert(err);
                stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                buffer.clear();
            }
        }
    }
    result
}

struct Level {
    concurrency: usize,
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    anchor_us: f64,
    client_us: f64,
    database_us: f64,
    anchor_cores: f64,
    load_before: String,
    load_after: String,
}

async fn measure(
    anchor: &AnchorProcess,
    database_name: Option<&str>,
    requests: &Arc<Vec<Vec<u8>>>,
    next: &Arc<AtomicUsize>,
    concurrency: usize,
    seconds: f64,
) -> Level {
    let anchor_pid = anchor.child.id().to_string();
    let load_before = load_average();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let before = Counters::read(&anchor_pid, database_name);
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(sender(anchor.addr, Arc::clone(requests), Arc::clone(next), deadline)))
        .collect();
    let mut latencies = Vec::new();
    let mut failures = 0;
    let mut first_failure = None;
    for task in tasks {
        let mut part = task.await.unwrap();
        latencies.append(&mut part.latencies);
        failures += part.failures;
        first_failure = first_failure.or(part.first_failure);
    }
    let after = Counters::read(&anchor_pid, database_name);
    let elapsed = after.at.duration_since(before.at).as_secs_f64();
    if next.load(Ordering::Relaxed) >= requests.len() && concurrency > 1 {
        println!("  (ran out of prepared requests: raise BENCH_MAX_RATE)");
    }
    assert_eq!(failures, 0, "every request should be approved; first failure: {first_failure:?}");
    latencies.sort();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0
    };
    let approved = latencies.len().max(1) as f64;
    Level {
        concurrency,
        requests_per_second: latencies.len() as f64 / elapsed,
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
        anchor_us: (after.anchor - before.anchor) / approved * 1e6,
        client_us: (after.client - before.client) / approved * 1e6,
        database_us: (after.database - before.database) / approved * 1e6,
        anchor_cores: (after.anchor - before.anchor) / elapsed,
        load_before,
        load_after: load_average(),
    }
}

fn bench_backend(database: TestDatabase) {
    let seconds: f64 = env_or("BENCH_SECONDS", 5.0);
    let max_rate: f64 = env_or("BENCH_MAX_RATE", 12_000.0);
    let levels: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "8,32".into())
        .split(',')
        .filter_map(|level| level.trim().parse().ok())
        .collect();
    // Migrated here, before the anchor starts.
    drop(database.database());
    let database_name = match database.name {
        "sqlite" => None,
        _ => url::Url::parse(&database.url_string())
            .ok()
            .map(|url| url.path().trim_start_matches('/').to_string()),
    };

    // The sending institution's stellar.toml, served from this process.
    let sender_key = SigningKey::from_seed(SENDER_SEED).unwrap();
    let toml_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let sender_domain = toml_listener.local_addr().unwrap().to_string();
    let toml = format!("SIGNING_KEY = \"{}\"\n", sender_key.public_key());
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                let toml = toml.clone();
                App::new().route(
                    "/.well-known/stellar.toml",
                    web::get().to(move || {
                        let toml = toml.clone();
                        async move { HttpResponse::Ok().body(toml) }
                    }),
                )
            })
            .workers(1)
            .listen(toml_listener)
            .unwrap()
            .run()
            .await
            .unwrap();
        });
    });

    let workdir = tempfile::tempdir().unwrap();
    let log = workdir.path().join("anchor.log");
    let anchor = start_anchor(&database, &log, workdir.path());

    let started = Instant::now();
    let warm_up = 200;
    let per_level = (max_rate * seconds) as usize;
    let bodies = build_bodies(&sender_domain, &sender_key, warm_up + per_level * levels.len());
    let requests = Arc::new(build_requests(anchor.addr, bodies));
    println!(
        "{}: {} signed requests prepared in {:.1} s; anchor pid {}, log {}",
        database.name,
        requests.len(),
        started.elapsed().as_secs_f64(),
        anchor.child.id(),
        log.display()
    );

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let results = runtime.block_on(async {
        let health = format!("http://{}/health", anchor.addr);
        let client = reqwest::Client::new();
        let mut up = false;
        for _ in 0..1200 {
            if client.get(&health).send().await.is_ok_and(|response| response.status().is_success()) {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "the anchor did not start; see {}", log.display());
        // Warm-up at concurrency 1: the anchor fetches and caches the sender's stellar.toml.
        let next = Arc::new(AtomicUsize::new(0));
        let warm = Arc::new(requests[..warm_up].to_vec());
        measure(&anchor, database_name.as_deref(), &warm, &next, 1, 1.0e6).await;
        let next = Arc::new(AtomicUsize::new(warm_up));
        let mut results = Vec::new();
        for &concurrency in &levels {
            let level =
                measure(&anchor, database_name.as_deref(), &requests, &next, concurrency, seconds).await;
            println!(
                "  concurrency {:>3}: {:>6.0} requests/s  p50 {:.2} ms  p99 {:.2} ms  anchor CPU {:.0} µs/request \
                 ({:.2} cores)  client {:.0} µs  database backends {:.0} µs  load {} → {}",
                level.concurrency,
                level.requests_per_second,
                level.p50_ms,
                level.p99_ms,
                level.anchor_us,
                level.anchor_cores,
                level.client_us,
                level.database_us,
                level.load_before,
                level.load_after,
            );
            results.push(level);
        }
        results
    });
    println!(
        "| backend | concurrency | requests/s | p50 ms | p99 ms | anchor CPU µs/request | anchor cores | \
         client CPU µs/request | database backends CPU µs/request | load average (1 min) before → after |"
    );
    for level in results {
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.0} | {} | {} → {} |",
            database.name,
            level.concurrency,
            level.requests_per_second,
            level.p50_ms,
            level.p99_ms,
            level.anchor_us,
            level.anchor_cores,
            level.client_us,
            if database_name.is_some() { format!("{:.0}", level.database_us) } else { "(in-process)".into() },
            level.load_before.split(' ').next().unwrap_or_default(),
            level.load_after.split(' ').next().unwrap_or_default(),
        );
    }
    let log_size = std::fs::metadata(&log).map(|meta| meta.len()).unwrap_or_default();
    println!("  anchor log: {log_size} bytes");
    drop(anchor);
}

/// The request's pure work as the anchor does it, without HTTP or database: form, JSON,
/// signature (with the sender's key already decompressed), XDR, hashes.
fn pure_work() {
    let key = SigningKey::from_seed(SENDER_SEED).unwrap();
    let public = anchor_sep3::verify::verifying_key(&key.public_key_bytes()).unwrap();
    let network_id = payload::network_id("Test SDF Network ; September 2015");
    let bodies = build_bodies("bank-a.example", &key, 2_000);
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
            anchor_sep3::verify::verify_with(&public, request.data.as_bytes(), &sig).unwrap();
            let decoded = payload::decode_transaction_with_xdr(&auth.tx).unwrap();
            payload::check_memo(&decoded.transaction, &auth.attachment).unwrap();
            payload::parse_attachment(&auth.attachment).unwrap();
            payload::first_operation(&decoded.transaction).unwrap();
            let id = payload::transaction_id_of_xdr(&network_id, &decoded.xdr);
            payload::request_fingerprint(&auth, &id);
        }
    }
    let per_request = started.elapsed().as_secs_f64() / (rounds * bodies.len()) as f64;
    println!("pure work per request (form, JSON, ed25519 verify, XDR, hashes): {:.1} µs", per_request * 1e6);
}

fn main() -> ExitCode {
    if std::env::var(ROLE_VARIABLE).as_deref() == Ok("server") {
        return serve_as_receiving_bank();
    }
    pure_work();
    for database in testing::test_databases() {
        bench_backend(database);
    }
    ExitCode::SUCCESS
}
