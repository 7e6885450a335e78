//! Soak: the example anchor's real binary under a steady mix of wallet, KYC and institution
//! traffic **and hostile requests** for a long run, reporting every 10 s.
//!
//! Run with `cargo bench -p example-anchor --bench soak` (SQLite; add `--features postgres` and set
//! `ANCHOR_TEST_POSTGRES_URL` with `SOAK_BACKEND=postgres` for PostgreSQL).
//!
//! The anchor is `example-anchor serve` (the binary a newcomer runs, `info` logs, AML monitor on,
//! a custom sanctions list imported first), started the way the integration tests start it
//! (`tests/support`). This process plays everybody else: a Horizon stand-in (every account has
//! its own key as signer, weight 1, threshold 1), a sending institution serving its
//! stellar.toml, and the clients. Each **operation** of the mix is one of:
//!
//! - a SEP-10 round trip (`GET /auth`, decode the real XDR, sign it with ed25519, `POST /auth`)
//!   for one of 2,000 returning accounts;
//! - a SEP-12 `PUT /kyc/customer` + `GET /kyc/customer` pair with that account's token;
//! - a SEP-3 signed `POST /compliance` with a fresh nonce;
//! - one hostile request, in turn: a 2,000-letter Cyrillic name, a chunked multipart `POST /auth`
//!   that never ends its boundary line, a challenge signed by the wrong key, a frozen (listed)
//!   account asking for a challenge and writing its KYC, another customer's id, a forged SEP-3
//!   signature, a 2 MiB JSON body. Every one must be refused (4xx): a 2xx is a **leak**.
//!
//! First the peak is measured closed-loop (32 clients, `SOAK_CALIBRATE_SECONDS`, default 20),
//! then the mix is sent **open-loop** at 80 % of it (`SOAK_RATE` operations/s overrides) for
//! `SOAK_SECONDS` (default 600). Every 10 s it prints operations, requests, 5xx, transport
//! errors, hostile refused/leaked, latency p50/p99, and the anchor's resident memory, threads,
//! database size (SQLite with its log) and CPU. `SOAK_ANCHOR_ENV="NAME=value …"` adds settings
//! (or `MALLOC_ARENA_MAX`) to the anchor's environment. It
//! exits non-zero when a 5xx or a transport error was seen, a hostile request got through, or the
//! anchor's resident memory grew more than 10 % between the first sample after warm-up (a fifth
//! of the run, at most 120 s) and the end. It also prints how resident memory moves per million
//! requests after warm-up (least squares): a leak grows with the requests served, a high-water
//! mark of bounded buffers does not.

// A benchmark binary: a broken environment should stop it loudly.
#![allow(clippy::unwrap_used, reason = "a benchmark stops at its first failure, and the panic says where")]

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use anchor_core::keys::SigningKey;
use anchor_core::testing::{self, hostile};
use anchor_sep3::payload::{self, AuthData, PaymentSpec};
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use stellar_xdr::{
    Hash, Limits, ReadXdr, TransactionEnvelope, TransactionSignaturePayload,
    TransactionSignaturePayloadTaggedTransaction, WriteXdr,
};

const PASSPHRASE: &str = "Test SDF Network ; September 2015";
/// Returning wallet accounts (all known to the anchor after the first minute).
const ACCOUNTS: usize = 2_000;
/// The listed person (the custom list below) whose account is frozen before the run.
const LIST: &str = "id,name,kind,birth_date\nsoak-1,Ivan Petrovich Sidorov,person,1958-03-02\n";
/// Operations in flight at most (open loop): past it, an operation is counted as not sent.
const MAX_IN_FLIGHT: usize = 2_048;
/// The hostile kinds, sent in turn.
const HOSTILE: [&str; 8] = [
    "huge_name",
    "chunked_multipart_auth",
    "wrong_key_challenge",
    "frozen_challenge",
    "frozen_kyc_write",
    "other_customers_id",
    "forged_sep3_signature",
    "oversized_json",
];

/// An error with its sources (reqwest's own message hides the cause).
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn wallet_key(index: usize) -> SigningKey {
    SigningKey::from_bytes(Sha256::digest(format!("soak wallet {index}")).into())
}

// ---------------------------------------------------------------------------------------------
// Stand-ins for the third parties: Horizon and a sending institution.

/// Serves `GET /accounts/{id}` (the account's own key as its only signer) and the sending
/// institution's `/.well-known/stellar.toml` on one loopback port.
fn start_stand_ins(sender_key: String) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                let toml = format!("SIGNING_KEY = \"{sender_key}\"\n");
                App::new()
                    .route(
                        "/.well-known/stellar.toml",
                        web::get().to(move || {
                            let toml = toml.clone();
                            async move { HttpResponse::Ok().body(toml) }
                        }),
                    )
                    .route(
                        "/accounts/{id}",
                        web::get().to(|path: web::Path<String>| async move {
                            let id = path.into_inner();
                            HttpResponse::Ok().json(json!({
                                "id": id, "account_id": id, "sequence": "1",
                                "thresholds": {"low_threshold": 1, "med_threshold": 1, "high_threshold": 1},
                                "signers": [{"key": id, "weight": 1, "type": "ed25519_public_key"}],
                            }))
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
    });
    addr
}

/// `example-anchor serve` as the integration tests start it (`tests/support`), with the list
/// imported first and its log kept in `target/soak-anchor.log` (a 5xx is explained there).
async fn start_anchor(database: testing::TestDatabase, extra: &[(&str, &str)]) -> support::Bank {
    let log_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/soak-anchor.log");
    let log = std::fs::File::create(&log_path).unwrap();
    println!("soak: the anchor's log: {}", log_path.display());
    let output = (log.try_clone().unwrap().into(), log.into());
    support::start_bank_with_output(database, "sep-1,sep-10,sep-12,sep-3", LIST, extra, output).await
}

// ---------------------------------------------------------------------------------------------
// Counters.

#[derive(Default)]
struct Counters {
    operations: AtomicU64,
    requests: AtomicU64,
    ok: AtomicU64,
    /// A well-behaved request answered 4xx (a bug in the anchor or in this tool).
    unexpected_4xx: AtomicU64,
    server_errors: AtomicU64,
    transport_errors: AtomicU64,
    hostile_refused: AtomicU64,
    hostile_leaked: AtomicU64,
    not_sent: AtomicU64,
    latencies_micros: Mutex<Vec<u32>>,
    /// Answers to hostile requests by kind and status.
    hostile_answers: Mutex<std::collections::BTreeMap<(String, u16), u64>>,
    /// Every problem by what was sent and what came back (status or error), with one example.
    problems: Mutex<std::collections::BTreeMap<String, (u64, String)>>,
}

impl Counters {
    fn problem(&self, kind: String, example: String) {
        let mut problems = self.problems.lock().unwrap();
        let entry = problems.entry(kind).or_insert((0, example.clone()));
        entry.0 += 1;
    }

    /// Counts one well-behaved answer.
    fn expect_ok(&self, what: &str, status: u16, body: &str) -> bool {
        self.requests.fetch_add(1, Ordering::Relaxed);
        match status {
            200..=299 => {
                self.ok.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            500..=599 => self.server_errors.fetch_add(1, Ordering::Relaxed),
            _ => self.unexpected_4xx.fetch_add(1, Ordering::Relaxed),
        };
        self.problem(
            format!("{what}: {status}"),
            format!("{what}: {status} {}", body.chars().take(300).collect::<String>()),
        );
        false
    }

    /// Counts one hostile answer: refused (4xx) is right.
    fn expect_refused(&self, what: &str, status: u16, body: &str) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        *self.hostile_answers.lock().unwrap().entry((what.to_string(), status)).or_default() += 1;
        match status {
            400..=499 => self.hostile_refused.fetch_add(1, Ordering::Relaxed),
            500..=599 => {
                self.problem(
                    format!("hostile {what}: {status}"),
                    format!("{status} {}", body.chars().take(300).collect::<String>()),
                );
                self.server_errors.fetch_add(1, Ordering::Relaxed)
            }
            _ => {
                self.problem(
                    format!("hostile {what} got through: {status}"),
                    format!("{status} {}", body.chars().take(300).collect::<String>()),
                );
                self.hostile_leaked.fetch_add(1, Ordering::Relaxed)
            }
        };
    }

    fn transport(&self, what: &str, err: impl std::fmt::Display) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.transport_errors.fetch_add(1, Ordering::Relaxed);
        let what = what.split(':').next().unwrap_or(what);
        self.problem(format!("{what}: transport error"), format!("{what}: {err}"));
    }
}

// ---------------------------------------------------------------------------------------------
// The clients.

struct Soak {
    http: reqwest::Client,
    public: String,
    public_addr: SocketAddr,
    network_id: [u8; 32],
    wallets: Vec<SigningKey>,
    tokens: Vec<Mutex<Option<String>>>,
    customer_ids: Vec<Mutex<Option<String>>>,
    sender_key: SigningKey,
    sender_domain: String,
    frozen: SigningKey,
    frozen_token: String,
    nonce: AtomicU64,
    next: AtomicUsize,
    counters: Counters,
}

impl Soak {
    /// `GET /auth` then `POST /auth` signed by `signer` for `account`; the token when issued.
    async fn round_trip(&self, account: &SigningKey, signer: &SigningKey) -> Result<(u16, String), String> {
        let response = self
            .http
            .get(format!("{}/auth?account={}", self.public, account.public_key()))
            .send()
            .await
            .map_err(|err| format!("GET /auth: {}", chain(&err)))?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|err| format!("GET /auth body: {err}"))?;
        if status != 200 {
            return Ok((status, body));
        }
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        self.counters.ok.fetch_add(1, Ordering::Relaxed);
        let challenge: Value = serde_json::from_str(&body).map_err(|err| err.to_string())?;
        let xdr = challenge["transaction"].as_str().ok_or("no transaction in the challenge")?;
        let TransactionEnvelope::Tx(mut envelope) =
            TransactionEnvelope::from_xdr_base64(xdr, Limits::none()).map_err(|err| err.to_string())?
        else {
            return Err("the challenge is not a v1 envelope".into());
        };
        let payload = TransactionSignaturePayload {
            network_id: Hash(self.network_id),
            tagged_transaction: TransactionSignaturePayloadTaggedTransaction::Tx(envelope.tx.clone()),
        };
        let hash: [u8; 32] =
            Sha256::digest(payload.to_xdr(Limits::none()).map_err(|err| err.to_string())?).into();
        let mut signatures = envelope.signatures.to_vec();
        signatures.push(
            anchor_sep10::challenge::decorated_signature(signer, &hash).map_err(|err| err.to_string())?,
        );
        envelope.signatures = signatures.try_into().map_err(|_| "too many signatures")?;
        let signed =
            TransactionEnvelope::Tx(envelope).to_xdr_base64(Limits::none()).map_err(|err| err.to_string())?;
        let response = self
            .http
            .post(format!("{}/auth", self.public))
            .json(&json!({ "transaction": signed }))
            .send()
            .await
            .map_err(|err| format!("POST /auth: {}", chain(&err)))?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|err| format!("POST /auth body: {err}"))?;
        Ok((status, body))
    }

    async fn sep10(&self, index: usize) -> Option<String> {
        let key = &self.wallets[index];
        match self.round_trip(key, key).await {
            Ok((status, body)) => {
                if !self.counters.expect_ok("SEP-10 round trip", status, &body) {
                    return None;
                }
                let token = serde_json::from_str::<Value>(&body).ok()?["token"].as_str()?.to_string();
                *self.tokens[index].lock().unwrap() = Some(token.clone());
                Some(token)
            }
            Err(err) => {
                self.counters.transport("SEP-10 round trip", err);
                None
            }
        }
    }

    async fn sep12(&self, index: usize) {
        let token = self.tokens[index].lock().unwrap().clone();
        let Some(token) = (match token {
            Some(token) => Some(token),
            None => self.sep10(index).await,
        }) else {
            return;
        };
        let fields = json!({
            "first_name": format!("Wallet{}", index % 97),
            "last_name": format!("Holder{index}"),
            "email_address": format!("holder{index}@example.com"),
            "birth_date": "1990-01-01",
        });
        let put = self
            .http
            .put(format!("{}/kyc/customer", self.public))
            .bearer_auth(&token)
            .json(&fields)
            .send()
            .await;
        match put {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                if self.counters.expect_ok("SEP-12 PUT", status, &body) {
                    if let Some(id) = serde_json::from_str::<Value>(&body)
                        .ok()
                        .and_then(|v| v["id"].as_str().map(str::to_string))
                    {
                        *self.customer_ids[index].lock().unwrap() = Some(id);
                    }
                }
            }
            Err(err) => return self.counters.transport("SEP-12 PUT", chain(&err)),
        }
        match self.http.get(format!("{}/kyc/customer", self.public)).bearer_auth(&token).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                self.counters.expect_ok("SEP-12 GET", status, &body);
            }
            Err(err) => self.counters.transport("SEP-12 GET", chain(&err)),
        }
    }

    fn sep3_body(&self, signer: &SigningKey) -> Vec<(String, String)> {
        let nonce = self.nonce.fetch_add(1, Ordering::Relaxed);
        let mut info = serde_json::Map::new();
        info.insert("first_name".into(), "Aldi".into());
        info.insert("last_name".into(), "Dobbs".into());
        info.insert("country".into(), "US".into());
        let attachment = payload::build_attachment(&format!("soak-{nonce}"), &info, "7", "").unwrap();
        let spec = PaymentSpec::Payment {
            destination: self.wallets[0].public_key().to_string(),
            asset: stellar_xdr::Asset::Native,
            amount: 10_000_000,
        };
        let transaction =
            payload::build_transaction(self.sender_key.public_key(), &spec, &attachment).unwrap();
        let data = payload::build_data(&AuthData {
            sender: format!("aldi*{}", self.sender_domain),
            need_info: false,
            tx: payload::encode_transaction(&transaction).unwrap(),
            attachment,
        })
        .unwrap();
        let sig = base64::engine::general_purpose::STANDARD.encode(signer.sign(data.as_bytes()));
        vec![("data".into(), data), ("sig".into(), sig)]
    }

    async fn sep3(&self, signer: &SigningKey, hostile: bool) {
        let form = self.sep3_body(signer);
        match self.http.post(format!("{}/compliance", self.public)).form(&form).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                if hostile {
                    self.counters.expect_refused("forged_sep3_signature", status, &body);
                } else {
                    self.counters.expect_ok("SEP-3", status, &body);
                }
            }
            Err(err) => self.counters.transport("SEP-3", chain(&err)),
        }
    }

    async fn answer(&self, what: &str, request: reqwest::RequestBuilder) {
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                self.counters.expect_refused(what, status, &body);
            }
            Err(err) => self.counters.transport(what, chain(&err)),
        }
    }

    async fn hostile(&self, kind: &str, index: usize) {
        match kind {
            "huge_name" => {
                let token = self.tokens[index].lock().unwrap().clone();
                let Some(token) = token else {
                    self.sep10(index).await;
                    return;
                };
                let name: String = "Щ".repeat(2_000);
                let request = self
                    .http
                    .put(format!("{}/kyc/customer", self.public))
                    .bearer_auth(token)
                    .json(&json!({ "first_name": name, "last_name": "Petrov" }));
                self.answer(kind, request).await;
            }
            "chunked_multipart_auth" => {
                let boundary = "soakboundary";
                let prefix =
                    format!("--{boundary}\r\nContent-Disposition: form-data; name=\"transaction\"\r\n");
                let addr = self.public_addr;
                // The client panics when no answer comes at all: a task, so that counts as an error.
                let answer = tokio::spawn(async move {
                    let content_type = format!("multipart/form-data; boundary={boundary}");
                    let body = hostile::filled(prefix.as_bytes(), b'x', 4 << 20);
                    hostile::post_chunked(addr, "/auth", &[("Content-Type", &content_type)], body).await
                })
                .await;
                match answer {
                    Ok(answer) => self.counters.expect_refused(kind, answer.status, &answer.body),
                    Err(err) => self.counters.transport(kind, err),
                }
            }
            "wrong_key_challenge" => {
                let key = &self.wallets[index];
                match self.round_trip(key, &self.frozen).await {
                    Ok((status, body)) => self.counters.expect_refused(kind, status, &body),
                    Err(err) => self.counters.transport(kind, err),
                }
            }
            "frozen_challenge" => {
                let request =
                    self.http.get(format!("{}/auth?account={}", self.public, self.frozen.public_key()));
                self.answer(kind, request).await;
            }
            "frozen_kyc_write" => {
                let request = self
                    .http
                    .put(format!("{}/kyc/customer", self.public))
                    .bearer_auth(&self.frozen_token)
                    .json(&json!({ "first_name": "Ivan", "last_name": "Sidorov", "email_address": "i@example.com" }));
                self.answer(kind, request).await;
            }
            "other_customers_id" => {
                let other = (index + 1) % ACCOUNTS;
                let id = self.customer_ids[other].lock().unwrap().clone();
                let token = self.tokens[index].lock().unwrap().clone();
                let (Some(id), Some(token)) = (id, token) else {
                    return self.sep12(index).await;
                };
                let request =
                    self.http.get(format!("{}/kyc/customer?id={id}", self.public)).bearer_auth(token);
                self.answer(kind, request).await;
            }
            "forged_sep3_signature" => self.sep3(&self.frozen, true).await,
            _ => {
                // oversized_json: 2 MiB declared and sent.
                let body = format!("{{\"transaction\":\"{}\"}}", "A".repeat(2 << 20));
                let request = self
                    .http
                    .post(format!("{}/auth", self.public))
                    .header("content-type", "application/json")
                    .body(body);
                self.answer(kind, request).await;
            }
        }
    }

    /// One operation of the mix: of each 20, 8 SEP-10 round trips, 6 SEP-12 pairs, 5 SEP-3
    /// requests and 1 hostile request.
    async fn operation(self: Arc<Self>) {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let index = (n / 20 * 7 + n) % ACCOUNTS;
        let started = Instant::now();
        match n % 20 {
            0..=7 => {
                self.sep10(index).await;
            }
            8..=13 => self.sep12(index).await,
            14..=18 => self.sep3(&self.sender_key, false).await,
            _ => self.hostile(HOSTILE[(n / 20) % HOSTILE.len()], index).await,
        }
        self.counters.operations.fetch_add(1, Ordering::Relaxed);
        let micros = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
        self.counters.latencies_micros.lock().unwrap().push(micros);
    }
}

// ---------------------------------------------------------------------------------------------
// Measurements of the anchor process.

/// A numeric field of `/proc/<pid>/status` (`VmRSS:`, `Threads:`), without its unit.
fn process_status(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix(field)?.trim().trim_end_matches("kB").trim().parse::<f64>().ok()
            })
        })
        .unwrap_or(0.0)
}

fn resident_mib(pid: u32) -> f64 {
    process_status(pid, "VmRSS:") / 1024.0
}

/// Open file descriptors of the anchor: its client connections, plus a few dozen files and
/// listeners.
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|dir| dir.count()).unwrap_or(0)
}

/// The SQLite database's size with its write-ahead log (0 on a server backend): the page caches
/// fill as it grows.
fn database_mib(url: &str) -> f64 {
    let size = |path: String| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    match url.strip_prefix("sqlite://").or_else(|| (!url.contains("://")).then_some(url)) {
        Some(path) => (size(path.to_string()) + size(format!("{path}-wal"))) as f64 / (1024.0 * 1024.0),
        None => 0.0,
    }
}

fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// The slope of the least-squares line through `(x, y)` points; `None` for fewer than two
/// distinct `x`.
fn least_squares_slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let covariance: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let variance: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    (variance > 0.0).then(|| covariance / variance)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1]) / 1000.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().next().unwrap_or("?").to_string())
        .unwrap_or_else(|_| "?".into())
}

// ---------------------------------------------------------------------------------------------

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run())
}

async fn run() -> ExitCode {
    let soak_seconds: u64 = env_or("SOAK_SECONDS", 600);
    let calibrate_seconds: u64 = env_or("SOAK_CALIBRATE_SECONDS", 20);
    let backend = std::env::var("SOAK_BACKEND").unwrap_or_else(|_| "sqlite".into());
    let database = match backend.as_str() {
        "sqlite" => testing::sqlite_database(),
        other => match testing::test_databases().into_iter().find(|db| db.name == other) {
            Some(database) => database,
            None => {
                println!("SKIPPED: backend {other} is not configured (build with its feature and set its test URL)");
                return ExitCode::FAILURE;
            }
        },
    };

    let sender_key = SigningKey::generate().unwrap();
    let stand_ins = start_stand_ins(sender_key.public_key().to_string());
    let horizon = format!("http://{stand_ins}");
    let database_url = database.url_string();
    // `SOAK_ANCHOR_ENV="NAME=value NAME=value"` adds to (or overrides) the anchor's environment,
    // e.g. to try another `DATABASE_POOL_SIZE` or `MALLOC_ARENA_MAX`.
    let anchor_env = std::env::var("SOAK_ANCHOR_ENV").unwrap_or_default();
    let mut env = vec![("HORIZON_URI", horizon.as_str()), ("RUST_LOG", "info"), ("DATABASE_POOL_SIZE", "8")];
    env.extend(anchor_env.split_whitespace().filter_map(|pair| pair.split_once('=')));
    let bank = start_anchor(database, &env).await;
    let pid = bank.child.id();
    let public_addr: SocketAddr = bank.domain.parse().unwrap();
    println!(
        "soak: example-anchor pid {pid} at {} ({backend}), stand-ins at {stand_ins}; {} cores, load {}",
        bank.public,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        load_average()
    );

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        // Below the anchor's keep-alive (actix's 5 s): a connection the server is closing for
        // idleness is never reused, so a request cannot meet that close on the wire.
        .pool_idle_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let frozen = wallet_key(usize::MAX);
    let soak = Arc::new(Soak {
        http,
        public: bank.public.clone(),
        public_addr,
        network_id: anchor_sep10::challenge::network_id(PASSPHRASE),
        wallets: (0..ACCOUNTS).map(wallet_key).collect(),
        tokens: (0..ACCOUNTS).map(|_| Mutex::new(None)).collect(),
        customer_ids: (0..ACCOUNTS).map(|_| Mutex::new(None)).collect(),
        sender_key,
        sender_domain: stand_ins.to_string(),
        frozen_token: String::new(),
        frozen,
        nonce: AtomicU64::new(0),
        next: AtomicUsize::new(0),
        counters: Counters::default(),
    });

    // The listed person authenticates, writes their KYC and is frozen before the run.
    let frozen_token = match soak.round_trip(&soak.frozen, &soak.frozen).await {
        Ok((200, body)) => {
            serde_json::from_str::<Value>(&body).unwrap()["token"].as_str().unwrap().to_string()
        }
        other => panic!("the listed person's SEP-10 round trip failed: {other:?}"),
    };
    let put = soak
        .http
        .put(format!("{}/kyc/customer", bank.public))
        .bearer_auth(&frozen_token)
        .json(&json!({ "first_name": "Ivan", "last_name": "Sidorov", "birth_date": "1958-03-02" }))
        .send()
        .await
        .unwrap();
    println!("soak: the listed person's KYC answered {}", put.status());
    let frozen_account = soak.frozen.public_key().to_string();
    let mut is_frozen = false;
    for _ in 0..100 {
        let (_, body) = support::internal_json(
            &bank,
            reqwest::Method::GET,
            &format!("/admin/aml/check/{frozen_account}"),
            None,
        )
        .await;
        if !body["frozen"].is_null() && body["frozen"] != false {
            is_frozen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(is_frozen, "the listed person's account was not frozen");
    let soak = {
        let mut soak = Arc::into_inner(soak).unwrap();
        soak.frozen_token = frozen_token;
        Arc::new(soak)
    };

    // Peak: closed loop, 32 clients.
    let rate: f64 = match std::env::var("SOAK_RATE").ok().and_then(|rate| rate.parse().ok()) {
        Some(rate) => rate,
        None => {
            let deadline = Instant::now() + Duration::from_secs(calibrate_seconds);
            let before = soak.counters.operations.load(Ordering::Relaxed);
            let started = Instant::now();
            let clients: Vec<_> = (0..32)
                .map(|_| {
                    let soak = soak.clone();
                    tokio::spawn(async move {
                        while Instant::now() < deadline {
                            soak.clone().operation().await;
                        }
                    })
                })
                .collect();
            for client in clients {
                let _ = client.await;
            }
            let peak = (soak.counters.operations.load(Ordering::Relaxed) - before) as f64
                / started.elapsed().as_secs_f64();
            println!("soak: peak {peak:.0} operations/s closed-loop at 32 clients; soaking at 80 %");
            peak * 0.8
        }
    };
    let problems_before = report_totals(&soak.counters, "calibration");

    println!(
        "soak: {rate:.0} operations/s open-loop for {soak_seconds} s (mix per 20: 8 SEP-10, 6 SEP-12 pairs, 5 SEP-3, 1 hostile)"
    );
    println!("   t |   ops/s |  req/s | 5xx | transport | 4xx unexpected | hostile refused/leaked | p50 ms | p99 ms | not sent | in flight | RSS MiB | threads | fds | DB MiB | anchor CPU %");
    let in_flight = Arc::new(AtomicUsize::new(0));
    // The most operations in flight in the current 10 s window (each holds a connection).
    let mut most_in_flight = 0usize;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(soak_seconds);
    // Warm-up: a fifth of the run, at most 120 s. Until then the anchor's bounded buffers reach
    // their high-water mark (connections opened in the run's first latency bursts, SQLite's page
    // cache of each pooled connection); docs/benchmarks.md shows the shape.
    let warm_up = Duration::from_secs((soak_seconds / 5).clamp(10, 120));
    // (requests served, resident MiB) after warm-up: a leak grows with the requests served.
    let mut rss_samples: Vec<(f64, f64)> = Vec::new();
    let mut issued: u64 = 0;
    let mut next_report = started + Duration::from_secs(10);
    let mut last = (
        soak.counters.operations.load(Ordering::Relaxed),
        soak.counters.requests.load(Ordering::Relaxed),
        cpu_seconds(pid),
        started,
    );
    let mut rss_after_warm_up: Option<f64> = None;
    let mut rss_peak: f64 = 0.0;
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while Instant::now() < deadline {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate) as u64;
        while issued < due {
            issued += 1;
            if in_flight.load(Ordering::Relaxed) >= MAX_IN_FLIGHT {
                soak.counters.not_sent.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let now_in_flight = in_flight.fetch_add(1, Ordering::Relaxed) + 1;
            most_in_flight = most_in_flight.max(now_in_flight);
            let (soak, in_flight) = (soak.clone(), in_flight.clone());
            tokio::spawn(async move {
                soak.operation().await;
                in_flight.fetch_sub(1, Ordering::Relaxed);
            });
        }
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(10);
            let now = Instant::now();
            let c = &soak.counters;
            let operations = c.operations.load(Ordering::Relaxed);
            let requests = c.requests.load(Ordering::Relaxed);
            let cpu = cpu_seconds(pid);
            let seconds = now.duration_since(last.3).as_secs_f64();
            let mut latencies = std::mem::take(&mut *c.latencies_micros.lock().unwrap());
            latencies.sort_unstable();
            let rss = resident_mib(pid);
            rss_peak = rss_peak.max(rss);
            if now.duration_since(started) >= warm_up {
                rss_after_warm_up.get_or_insert(rss);
                rss_samples.push((requests as f64, rss));
            }
            println!(
                "{:>4} | {:>7.0} | {:>6.0} | {:>3} | {:>9} | {:>14} | {:>14}/{:<7} | {:>6.1} | {:>6.1} | {:>8} | {:>9} | {:>7.1} | {:>7} | {:>5} | {:>6.1} | {:>5.0}",
                now.duration_since(started).as_secs(),
                (operations - last.0) as f64 / seconds,
                (requests - last.1) as f64 / seconds,
                c.server_errors.load(Ordering::Relaxed),
                c.transport_errors.load(Ordering::Relaxed),
                c.unexpected_4xx.load(Ordering::Relaxed),
                c.hostile_refused.load(Ordering::Relaxed),
                c.hostile_leaked.load(Ordering::Relaxed),
                percentile(&latencies, 0.50),
                percentile(&latencies, 0.99),
                c.not_sent.load(Ordering::Relaxed),
                std::mem::take(&mut most_in_flight),
                rss,
                process_status(pid, "Threads:"),
                open_files(pid),
                database_mib(&database_url),
                (cpu - last.2) / seconds * 100.0,
            );
            last = (operations, requests, cpu, now);
        }
    }
    // Let the operations in flight finish.
    for _ in 0..300 {
        if in_flight.load(Ordering::Relaxed) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rss_end = resident_mib(pid);
    let problems = report_totals(&soak.counters, "whole run") - problems_before;
    let growth = rss_after_warm_up.map(|start| (rss_end - start) / start * 100.0).unwrap_or(0.0);
    println!(
        "soak: resident memory {:.1} MiB after warm-up, {rss_end:.1} MiB at the end ({growth:+.1} %), peak {rss_peak:.1} MiB",
        rss_after_warm_up.unwrap_or(0.0)
    );
    if let Some(slope) = least_squares_slope(&rss_samples) {
        println!(
            "soak: resident memory after warm-up changes by {:+.2} MiB per million requests served (least squares over {} samples)",
            slope * 1_000_000.0,
            rss_samples.len()
        );
    }
    let c = &soak.counters;
    for ((kind, status), count) in c.hostile_answers.lock().unwrap().iter() {
        println!("soak: hostile {kind}: {count} × {status}");
    }
    let leaked = c.hostile_leaked.load(Ordering::Relaxed);
    for (kind, (count, example)) in c.problems.lock().unwrap().iter() {
        println!("soak: problem {kind}: {count} (for example {example})");
    }
    if problems > 0 || leaked > 0 || growth > 10.0 {
        println!("soak: FAILED ({problems} errors during the soak, {leaked} hostile requests through, memory {growth:+.1} %)");
        return ExitCode::FAILURE;
    }
    println!("soak: PASSED (no 5xx, no transport error, every hostile request refused, memory within 10 %)");
    ExitCode::SUCCESS
}

/// Prints the totals so far; answers the count of 5xx, transport errors and well-behaved
/// requests refused.
fn report_totals(c: &Counters, label: &str) -> u64 {
    let server = c.server_errors.load(Ordering::Relaxed);
    let transport = c.transport_errors.load(Ordering::Relaxed);
    let unexpected = c.unexpected_4xx.load(Ordering::Relaxed);
    println!(
        "soak: {label}: {} operations, {} requests, {} ok, {server} 5xx, {transport} transport errors, {} unexpected 4xx, hostile {} refused / {} through, {} not sent",
        c.operations.load(Ordering::Relaxed),
        c.requests.load(Ordering::Relaxed),
        c.ok.load(Ordering::Relaxed),
        unexpected,
        c.hostile_refused.load(Ordering::Relaxed),
        c.hostile_leaked.load(Ordering::Relaxed),
        c.not_sent.load(Ordering::Relaxed),
    );
    server + transport + unexpected
}
