//! SEP-10 load client: full protocol round trips against the anchor running in **its own
//! process**, over real HTTP on loopback, so the anchor's CPU is measured apart from the client's.
//!
//! Run with `cargo bench -p anchor-sep10 --bench sep10_round_trips` (add
//! `--features anchor-core/postgres` and set `ANCHOR_TEST_POSTGRES_URL` to also measure
//! PostgreSQL).
//!
//! One binary, three processes: the bench starts itself again as the **anchor** (the release build
//! of the real `AnchorApp` with `anchor_sep10::Sep10` mounted as `serve` mounts it: request logging
//! middleware, JSON 404, `BENCH_SERVER_WORKERS` actix workers) and as the **Horizon stand-in** (a
//! real HTTP server on loopback serving account JSON for 512 deterministic accounts with master
//! weight 1 and medium threshold 1), then drives the anchor as a wallet does. Each round trip is
//! `GET /auth?account=G…` → decode the challenge and verify it (server signature, sequence, time
//! bounds, home and web-auth domains, nonce: `challenge::read_challenge`, real ed25519) → sign it
//! with the account's key (real XDR) → `POST /auth` (JSON) → receive the JWT. Every POST makes the
//! anchor look the account up on the stand-in and record single use in the database.
//!
//! The client speaks HTTP/1.1 with keep-alive itself (one connection per concurrent wallet) so
//! that its own cost stays small next to the anchor's; the anchor does not know the difference.
//! CPU is read from `/proc/<pid>/stat` of each process (user + system), so the anchor's figure
//! contains its workers, its blocking-pool (database) threads and the kernel work done on its
//! behalf, and nothing of the client or the stand-in. PostgreSQL's own processes are not counted.
//!
//! Environment: `BENCH_SECONDS` (per concurrency level, default 5), `BENCH_CONCURRENCY`
//! (comma-separated, default `1,8,32`), `BENCH_SERVER_WORKERS` (default 2), `BENCH_CLIENT_THREADS`
//! (default 1), `BENCH_SERVER_LOG` (the anchor's log filter, default `info` as `serve`; its log
//! goes to `/dev/null`), `BENCH_SERVER_WRAPPER` (a command to run the anchor under, for example
//! `valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/sep10.%p.callgrind`:
//! instrumentation is then switched on for the measured seconds only, so the instruction count
//! divided by the round trips printed is the anchor's instructions per round trip).

// A benchmark binary: a broken environment should stop it loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at its first failure, and the panic says where"
)]

use std::io::{BufRead as _, Write as _};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use anchor_core::keys::SigningKey;
use anchor_core::testing;
use anchor_core::{register_integrations, AnchorApp, Database, Integrations};
use anchor_sep10::challenge::{
    build_challenge, decorated_signature, network_id, read_challenge, read_own_challenge, verify_signatures,
    AccountSigners, AccountState, ChallengeRequest, ClientAccount, Verifier,
};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use stellar_xdr::{Limits, ReadXdr, TransactionEnvelope, WriteXdr};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const PASSPHRASE: &str = "Test SDF Network ; September 2015";
const ACCOUNTS: usize = 512;
const ROLE: &str = "SEP10_BENCH_ROLE";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

/// The bench accounts' keys: derived from their index, so the client and the Horizon stand-in
/// agree on them without talking.
fn account_key(index: usize) -> SigningKey {
    SigningKey::from_bytes(Sha256::digest(format!("sep10 bench account {index}")).into())
}

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("anchor") => run_anchor(),
        Ok("horizon") => run_horizon(),
        _ => run_client(),
    }
}

// ---------------------------------------------------------------------------------------------
// The child processes.

/// Exits when the parent closes our stdin (it finished or died), so no child outlives a run.
fn exit_with_parent() {
    std::thread::spawn(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).map(|read| read > 0).unwrap_or(false) {}
        std::process::exit(0);
    });
}

fn announce(addr: SocketAddr) {
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening {addr}").unwrap();
    stdout.flush().unwrap();
}

/// The anchor: the real app, mounted the way `anchor_core::cli`'s `serve` mounts it.
fn run_anchor() {
    exit_with_parent();
    let filter = std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
    let horizon = std::env::var("HORIZON_URI").unwrap();
    let database_url = std::env::var("DATABASE_URL").unwrap();
    let workers: usize = env_or("BENCH_SERVER_WORKERS", 2);
    let settings = testing::settings(&[
        ("ACTIVE_SEPS", "sep-1,sep-10"),
        ("HORIZON_URI", &horizon),
        ("DATABASE_URL", &database_url),
        ("SEP10_HOME_DOMAINS", "localhost"),
    ]);
    let database = Database::connect_with_pool_size(&settings.database_url, settings.database_pool_size)
        .expect("the bench database opens");
    let registered = register_integrations(&settings, Integrations::default()).unwrap();
    let app = AnchorApp::builder(settings, database, registered).module(anchor_sep10::Sep10).build().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    announce(listener.local_addr().unwrap());
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            let app = app.clone();
            App::new()
                .wrap_fn(anchor_core::http::log_request)
                .configure(|cfg| app.configure(cfg))
                .default_service(web::to(anchor_core::http::not_found))
        })
        .workers(workers)
        .backlog(4096)
        .listen(listener)
        .unwrap()
        .run()
        .await
        .unwrap();
    });
}

/// The Horizon stand-in: `GET /accounts/{id}` answers prebuilt account JSON (404 for others).
fn run_horizon() {
    exit_with_parent();
    let accounts: std::collections::HashMap<String, String> = (0..ACCOUNTS)
        .map(|index| {
            let id = account_key(index).public_key().to_string();
            let body = serde_json::json!({
                "id": id, "account_id": id, "sequence": "1",
                "thresholds": {"low_threshold": 1, "med_threshold": 1, "high_threshold": 1},
                "signers": [{"key": id, "weight": 1, "type": "ed25519_public_key"}],
            })
            .to_string();
            (id, body)
        })
        .collect();
    let accounts = Arc::new(accounts);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    announce(listener.local_addr().unwrap());
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
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
        .backlog(4096)
        .listen(listener)
        .unwrap()
        .run()
        .await
        .unwrap();
    });
}

/// A child process of this binary in `role`, and the address it listens on.
struct Process {
    child: Child,
    addr: SocketAddr,
}

impl Process {
    fn start(role: &str, env: &[(&str, &str)]) -> Process {
        let exe = std::env::current_exe().unwrap();
        let wrapper =
            std::env::var("BENCH_SERVER_WRAPPER").ok().filter(|w| role == "anchor" && !w.is_empty());
        let mut command = match &wrapper {
            Some(wrapper) => {
                let mut parts = wrapper.split_whitespace();
                let mut command = Command::new(parts.next().unwrap());
                command.args(parts).arg(&exe);
                command
            }
            None => Command::new(&exe),
        };
        command.env(ROLE, role).envs(env.iter().copied()).stdin(Stdio::piped()).stdout(Stdio::piped());
        if wrapper.is_none() {
            command.stderr(Stdio::null());
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("the {role} process did not start: {line:?}"));
        Process { child, addr }
    }

    /// Under `BENCH_SERVER_WRAPPER=valgrind --tool=callgrind --instr-atstart=no …`, switches
    /// instrumentation on for the measured part only (`callgrind_control -i on|off`).
    fn profile(&self, on: bool) {
        let wrapper = std::env::var("BENCH_SERVER_WRAPPER").unwrap_or_default();
        if wrapper.contains("callgrind") {
            let _ = Command::new("callgrind_control")
                .args(["-i", if on { "on" } else { "off" }, &self.child.id().to_string()])
                .stdout(Stdio::null())
                .status();
        }
    }

    /// CPU seconds (user + system) the process has used, all its threads.
    fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(&format!("/proc/{}/stat", self.child.id()))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Closing stdin asks the child to exit (a profiler wrapping it then writes its data).
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cpu_seconds_of(stat_path: &str) -> f64 {
    fn ticks(stat: &str) -> Option<f64> {
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) / 100.0)
    }
    std::fs::read_to_string(stat_path).ok().and_then(|stat| ticks(&stat)).unwrap_or(0.0)
}

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`): under load the
/// wall clock counts time spent waiting for a core, this does not.
fn thread_cpu_nanos() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next().and_then(|nanos| nanos.parse().ok()))
        .unwrap_or(0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().next().unwrap_or("?").to_string())
        .unwrap_or_else(|_| "?".into())
}

// ---------------------------------------------------------------------------------------------
// The wallet: a minimal HTTP/1.1 keep-alive client and the protocol.

/// One keep-alive connection to the anchor.
struct Connection {
    stream: TcpStream,
    host: String,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> Result<Connection, String> {
        let stream = TcpStream::connect(addr).await.map_err(|err| err.to_string())?;
        stream.set_nodelay(true).map_err(|err| err.to_string())?;
        Ok(Connection { stream, host: addr.to_string(), buffer: Vec::with_capacity(4096) })
    }

    /// Sends one request and reads the whole response: (status, body).
    async fn exchange(&mut self, request: &[u8]) -> Result<(u16, Vec<u8>), String> {
        self.stream.write_all(request).await.map_err(|err| err.to_string())?;
        self.buffer.clear();
        let mut chunk = [0u8; 4096];
        let header_end = loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                break end + 4;
            }
            let read = self.stream.read(&mut chunk).await.map_err(|err| err.to_string())?;
            if read == 0 {
                return Err("the anchor closed the connection".into());
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        };
        let head = std::str::from_utf8(&self.buffer[..header_end]).map_err(|_| "non-UTF-8 head")?;
        let status: u16 =
            head.split(' ').nth(1).and_then(|code| code.parse().ok()).ok_or("no status in the response")?;
        let length: usize = head
            .split("\r\n")
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
            })
            .ok_or("the response has no Content-Length")?;
        while self.buffer.len() < header_end + length {
            let read = self.stream.read(&mut chunk).await.map_err(|err| err.to_string())?;
            if read == 0 {
                return Err("the anchor closed the connection mid-body".into());
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
        Ok((status, self.buffer[header_end..header_end + length].to_vec()))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[derive(Deserialize)]
struct ChallengeBody<'a> {
    transaction: &'a str,
    network_passphrase: &'a str,
}

#[derive(Deserialize)]
struct TokenBody<'a> {
    token: &'a str,
}

/// What every wallet of the run shares.
struct Wallets {
    keys: Vec<SigningKey>,
    server_key: [u8; 32],
    network_id: [u8; 32],
    home_domains: Vec<String>,
}

/// One wallet round trip on `connection`; returns (GET µs, POST µs) or an error description.
async fn round_trip(
    connection: &mut Connection,
    wallets: &Wallets,
    key: &SigningKey,
) -> Result<(u32, u32), String> {
    let started = Instant::now();
    let request =
        format!("GET /auth?account={} HTTP/1.1\r\nHost: {}\r\n\r\n", key.public_key(), connection.host);
    let (status, body) = connection.exchange(request.as_bytes()).await?;
    if status != 200 {
        return Err(format!("GET {status}: {}", String::from_utf8_lossy(&body)));
    }
    let challenge: ChallengeBody<'_> = serde_json::from_slice(&body).map_err(|err| err.to_string())?;
    if challenge.network_passphrase != PASSPHRASE {
        return Err("wrong network passphrase".into());
    }
    let get_micros = started.elapsed().as_micros() as u32;

    // The wallet's checks, then its signature.
    let verifier = Verifier {
        server_key: wallets.server_key,
        network_id: wallets.network_id,
        home_domains: &wallets.home_domains,
        web_auth_domain: "localhost:8000",
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let read = read_challenge(&verifier, challenge.transaction, now).map_err(|err| err.to_string())?;
    let TransactionEnvelope::Tx(mut envelope) =
        TransactionEnvelope::from_xdr_base64(challenge.transaction, Limits::none())
            .map_err(|err| err.to_string())?
    else {
        return Err("not a v1 envelope".into());
    };
    let mut signatures = envelope.signatures.to_vec();
    signatures.push(decorated_signature(key, &read.hash).map_err(|err| err.to_string())?);
    envelope.signatures = signatures.try_into().map_err(|_| "signatures")?;
    let signed =
        TransactionEnvelope::Tx(envelope).to_xdr_base64(Limits::none()).map_err(|err| err.to_string())?;

    let post_started = Instant::now();
    let json = format!("{{\"transaction\":\"{signed}\"}}");
    let request = format!(
        "POST /auth HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
        connection.host,
        json.len()
    );
    let (status, body) = connection.exchange(request.as_bytes()).await?;
    let token = serde_json::from_slice::<TokenBody<'_>>(&body).map(|body| !body.token.is_empty());
    if status != 200 || !matches!(token, Ok(true)) {
        return Err(format!("POST {status}: {}", String::from_utf8_lossy(&body)));
    }
    Ok((get_micros, post_started.elapsed().as_micros() as u32))
}

struct Sample {
    get: Vec<u32>,
    post: Vec<u32>,
    round_trip: Vec<u32>,
    errors: u64,
}

impl Sample {
    fn new() -> Sample {
        Sample { get: Vec::new(), post: Vec::new(), round_trip: Vec::new(), errors: 0 }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[index]) / 1000.0
}

/// Runs `concurrency` wallets, each on its own connection, for `duration`.
async fn measure(
    anchor: SocketAddr,
    wallets: Arc<Wallets>,
    concurrency: usize,
    duration: Duration,
    measuring: impl FnOnce(),
) -> (Sample, Duration) {
    let mut connections = Vec::with_capacity(concurrency);
    for index in 0..concurrency {
        // Warm-up: open the connection, one round trip each (fills the anchor's Horizon pool).
        let mut connection = Connection::open(anchor).await.unwrap();
        let key = &wallets.keys[index % wallets.keys.len()];
        round_trip(&mut connection, &wallets, key).await.unwrap();
        connections.push(connection);
    }
    let stop = Arc::new(AtomicBool::new(false));
    measuring();
    let started = Instant::now();
    let tasks: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(task, mut connection)| {
            let (wallets, stop) = (wallets.clone(), stop.clone());
            tokio::spawn(async move {
                let mut sample = Sample::new();
                let mut index = task;
                while !stop.load(Ordering::Relaxed) {
                    let key = &wallets.keys[index % wallets.keys.len()];
                    index += concurrency;
                    let begun = Instant::now();
                    match round_trip(&mut connection, &wallets, key).await {
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
                            match Connection::open(anchor).await {
                                Ok(fresh) => connection = fresh,
                                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                            }
                        }
                    }
                }
                sample
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = Sample::new();
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
    let cpu_started = thread_cpu_nanos();
    let mut xdr = String::new();
    for _ in 0..rounds {
        xdr = build_challenge(&server, &network, &request, now, 900, &[5; 48]).unwrap();
    }
    let build = started.elapsed() / rounds;
    let build_cpu = (thread_cpu_nanos() - cpu_started) as f64 / f64::from(rounds) / 1000.0;
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
    let cpu_started = thread_cpu_nanos();
    for _ in 0..rounds {
        let read = read_own_challenge(&verifier, &server, &signed, now).unwrap();
        verify_signatures(&read, &verifier.server_key, &account).unwrap();
    }
    let check = started.elapsed() / rounds;
    let check_cpu = (thread_cpu_nanos() - cpu_started) as f64 / f64::from(rounds) / 1000.0;
    println!(
        "pure server work per round trip (wall / thread CPU): build + sign challenge {:.1} / {build_cpu:.1} µs, \
         read (rule 7 by re-signing) + verify signed challenge {:.1} / {check_cpu:.1} µs",
        build.as_secs_f64() * 1e6,
        check.as_secs_f64() * 1e6
    );
}

fn run_client() {
    let seconds: u64 = env_or("BENCH_SECONDS", 5);
    let levels: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "1,8,32".into())
        .split(',')
        .filter_map(|level| level.trim().parse().ok())
        .collect();
    let workers: usize = env_or("BENCH_SERVER_WORKERS", 2);
    let client_threads: usize = env_or("BENCH_CLIENT_THREADS", 1);
    pure_costs();

    let server_key = testing::settings(&[]).signing_key.public_key_bytes();
    let wallets = Arc::new(Wallets {
        keys: (0..ACCOUNTS).map(account_key).collect(),
        server_key,
        network_id: network_id(PASSPHRASE),
        home_domains: vec!["localhost".to_string()],
    });
    let horizon = Process::start("horizon", &[]);
    let horizon_uri = format!("http://{}", horizon.addr);

    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "SEP-10 round trips: {cpus} CPUs, anchor in its own process with {workers} workers, client {client_threads} thread(s), {seconds} s per level, {ACCOUNTS} accounts"
    );
    println!(
        "| backend | concurrency | round trips/s | GET p50 ms | GET p99 ms | POST p50 ms | POST p99 ms | round trip p50 ms | p99 ms | anchor CPU ms/rt | Horizon stand-in CPU ms/rt | client CPU ms/rt | load avg | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");

    let runtime = if client_threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(client_threads)
            .enable_all()
            .build()
            .unwrap()
    };
    for database in testing::test_databases().into_iter().filter(|db| db.name != "mysql") {
        // Migrate here; the anchor process opens the same database.
        drop(database.database());
        let database_url = database.url_string();
        let workers_text = workers.to_string();
        let anchor = Process::start(
            "anchor",
            &[
                ("HORIZON_URI", &horizon_uri),
                ("DATABASE_URL", &database_url),
                ("BENCH_SERVER_WORKERS", &workers_text),
            ],
        );
        for &concurrency in &levels {
            let mut before = (0.0, 0.0, 0.0);
            let (sample, elapsed) = runtime.block_on(measure(
                anchor.addr,
                wallets.clone(),
                concurrency,
                Duration::from_secs(seconds),
                || {
                    anchor.profile(true);
                    before = (anchor.cpu_seconds(), horizon.cpu_seconds(), cpu_seconds_of("/proc/self/stat"))
                },
            ));
            let after = (anchor.cpu_seconds(), horizon.cpu_seconds(), cpu_seconds_of("/proc/self/stat"));
            anchor.profile(false);
            let count = sample.round_trip.len().max(1) as f64;
            let per_round_trip = |before: f64, after: f64| (after - before) * 1000.0 / count;
            let rate = sample.round_trip.len() as f64 / elapsed.as_secs_f64();
            println!(
                "| {} | {concurrency} | {rate:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} | {:.3} | {} | {} |",
                database.name,
                percentile(&sample.get, 0.5),
                percentile(&sample.get, 0.99),
                percentile(&sample.post, 0.5),
                percentile(&sample.post, 0.99),
                percentile(&sample.round_trip, 0.5),
                percentile(&sample.round_trip, 0.99),
                per_round_trip(before.0, after.0),
                per_round_trip(before.1, after.1),
                per_round_trip(before.2, after.2),
                load_average(),
                sample.errors,
            );
        }
        drop(anchor);
    }
    drop(horizon);
}
