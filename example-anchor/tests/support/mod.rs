//! Real example-anchor processes for the integration tests: start one with its own port pair,
//! keys, working directory and database, wait until it serves, call its internal API.

#![allow(dead_code, reason = "each test binary and the soak bench use only some of this module's helpers")]
#![allow(clippy::unwrap_used, reason = "test support: a broken test environment should fail loudly")]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use anchor_core::keys::SigningKey;
use anchor_core::testing::{self, TestDatabase};
use serde_json::Value;

pub(crate) const BINARY: &str = env!("CARGO_BIN_EXE_example-anchor");

/// One running anchor ("bank").
pub(crate) struct Bank {
    pub child: Child,
    pub public: String,
    pub internal: String,
    pub domain: String,
    pub key: SigningKey,
    pub env: Vec<(String, String)>,
    pub dir: tempfile::TempDir,
    pub database: TestDatabase,
}

impl Drop for Bank {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The binary, in `dir`, with exactly `env` (and `PATH`).
pub(crate) fn command(dir: &Path, env: &[(String, String)]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    command
}

/// Runs a CLI command of the bank (same environment) and returns its output.
pub(crate) fn run_cli(bank: &Bank, args: &[&str]) -> Output {
    command(bank.dir.path(), &bank.env).args(args).output().unwrap()
}

/// A bank's environment: `LOCAL_MODE`, fresh keys, its own ports and `database`, the rate limits
/// off ([`testing::RATE_LIMITS_OFF`]), then `extra`.
pub(crate) fn bank_env(
    database: &TestDatabase,
    seps: &str,
    extra: &[(&str, &str)],
) -> (Vec<(String, String)>, SigningKey, u16, u16) {
    let (port, internal_port) = (free_port(), free_port());
    let key = SigningKey::generate().unwrap();
    let mut env: Vec<(String, String)> = [
        ("ACTIVE_SEPS", seps.to_string()),
        ("HOST_URL", format!("http://127.0.0.1:{port}")),
        ("LOCAL_MODE", "true".to_string()),
        ("SIGNING_SEED", key.seed().expose().clone()),
        ("SERVER_JWT_KEY", testing::TEST_JWT_KEY.to_string()),
        ("ADMIN_API_KEY", testing::TEST_ADMIN_API_KEY.to_string()),
        ("DATABASE_URL", database.url_string()),
        ("BIND_ADDRESS", format!("127.0.0.1:{port}")),
        ("INTERNAL_BIND_ADDRESS", format!("127.0.0.1:{internal_port}")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // Tests send many requests from one loopback address: the rate limits are off unless a test
    // sets them (`extra` comes after and wins).
    env.extend(testing::RATE_LIMITS_OFF.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    (env, key, port, internal_port)
}

/// Imports `list_csv` (a custom list: `id,name,kind`) as `custom:internal`, then starts the bank.
pub(crate) async fn start_bank(
    database: TestDatabase,
    seps: &str,
    list_csv: &str,
    extra: &[(&str, &str)],
) -> Bank {
    start_bank_with_output(database, seps, list_csv, extra, (Stdio::null(), Stdio::null())).await
}

/// [`start_bank`] with the process's standard output and error going to `output` (the soak
/// keeps the anchor's log in a file).
pub(crate) async fn start_bank_with_output(
    database: TestDatabase,
    seps: &str,
    list_csv: &str,
    extra: &[(&str, &str)],
    output: (Stdio, Stdio),
) -> Bank {
    let dir = tempfile::tempdir().unwrap();
    let (env, key, port, internal_port) = bank_env(&database, seps, extra);
    std::fs::write(dir.path().join("blocklist.csv"), list_csv).unwrap();
    let imported = command(dir.path(), &env)
        .args(["lists", "import", "--source", "custom:internal", "--file", "blocklist.csv"])
        .output()
        .unwrap();
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    serve_bank(database, dir, env, key, (port, internal_port), output).await
}

/// Spawns the binary in `dir` with `env` (its standard output and error to `output`) and waits
/// until it serves.
async fn serve_bank(
    database: TestDatabase,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    key: SigningKey,
    (port, internal_port): (u16, u16),
    (stdout, stderr): (Stdio, Stdio),
) -> Bank {
    let child = command(dir.path(), &env).stdout(stdout).stderr(stderr).spawn().unwrap();
    let mut bank = Bank {
        child,
        public: format!("http://127.0.0.1:{port}"),
        internal: format!("http://127.0.0.1:{internal_port}"),
        domain: format!("127.0.0.1:{port}"),
        key,
        env,
        dir,
        database,
    };
    wait_until_serving(&mut bank).await;
    bank
}

pub(crate) async fn wait_until_serving(bank: &mut Bank) {
    for _ in 0..300 {
        if let Some(status) = bank.child.try_wait().unwrap() {
            panic!("example-anchor exited early with {status}");
        }
        if reqwest::get(format!("{}/health", bank.public)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("example-anchor did not start serving");
}

/// A form request to the internal API with the admin key.
pub(crate) async fn internal(
    bank: &Bank,
    method: reqwest::Method,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", bank.internal))
        .bearer_auth(testing::TEST_ADMIN_API_KEY)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A JSON request to the internal API with the admin key.
pub(crate) async fn internal_json(
    bank: &Bank,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", bank.internal))
        .bearer_auth(testing::TEST_ADMIN_API_KEY);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Adds `name*bank` to the bank's federation directory with its KYC.
pub(crate) async fn register(bank: &Bank, name: &str, account: &str, memo: &str, kyc: Value) {
    let kyc = kyc.to_string();
    let (status, body) = internal(
        bank,
        reqwest::Method::PUT,
        &format!("/example/federation/{name}"),
        &[("account_id", account), ("memo", memo), ("kyc", &kyc)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// A SEP-3 payment from `sender*a` to `receiver*b`, through A's internal `/send`.
pub(crate) async fn send(a: &Bank, b: &Bank, id: &str, source: &str, sender: &str, receiver: &str) -> Value {
    let sender = format!("{sender}*{}", a.domain);
    let destination = format!("{receiver}*{}", b.domain);
    let (status, body) = internal(
        a,
        reqwest::Method::POST,
        "/send",
        &[
            ("id", id),
            ("source", source),
            ("sender", &sender),
            ("destination", &destination),
            ("amount", "10"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Starts the bank again after its process ended (for instance after `bank.child.kill()`, a
/// SIGKILL on Unix): the same environment, so the same database, ports and keys.
pub(crate) async fn restart(bank: &mut Bank) {
    let _ = bank.child.kill();
    let _ = bank.child.wait();
    bank.child =
        command(bank.dir.path(), &bank.env).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    wait_until_serving(bank).await;
}

/// Creates an officer with `officers create --password-stdin` and gives them an API token with
/// `officers token create`; answers the token (the command's standard output).
pub(crate) fn officer_token(bank: &Bank, username: &str, display_name: &str) -> String {
    use std::io::Write as _;
    let mut child = command(bank.dir.path(), &bank.env)
        .args(["officers", "create", username, "--name", display_name, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"correct horse battery staple\n").unwrap();
    let created = child.wait_with_output().unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let token = run_cli(bank, &["officers", "token", "create", username, "--name", "tests"]);
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    String::from_utf8(token.stdout).unwrap().trim().to_string()
}

/// A JSON POST to the internal API with an officer's API token (decision routes).
pub(crate) async fn officer_post(bank: &Bank, token: &str, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", bank.internal))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The `G…` account of the key made of 32 bytes `n` (a fixed, valid account for tests).
pub(crate) fn account(n: u8) -> String {
    stellar_strkey::ed25519::PublicKey([n; 32]).to_string().as_str().to_owned()
}

/// A SEP-10 token for `sub` (`G…`, `G…:<memo>` or `M…`), signed with the bank's JWT key, as
/// the bank's `POST /auth` would issue it.
pub(crate) fn sep10_token(bank: &Bank, sub: &str) -> String {
    use anchor_core::auth::{encode_token, token_issuer, Sep10Claims};
    let settings = testing::settings(&[("HOST_URL", &bank.public)]);
    let now = chrono::Utc::now().timestamp();
    let claims = Sep10Claims {
        iss: token_issuer(&settings),
        sub: sub.to_string(),
        iat: now,
        exp: now + 600,
        jti: "7".repeat(64),
        client_domain: None,
        home_domain: None,
    };
    encode_token(&settings, &claims).unwrap()
}

/// Starts the bank's binary without importing any list first (`start_bank` imports one).
pub(crate) async fn start_bank_without_list(
    database: TestDatabase,
    seps: &str,
    extra: &[(&str, &str)],
) -> Bank {
    let dir = tempfile::tempdir().unwrap();
    let (env, key, port, internal_port) = bank_env(&database, seps, extra);
    // Standard output is kept: the caller reads what start-up said.
    serve_bank(database, dir, env, key, (port, internal_port), (Stdio::piped(), Stdio::null())).await
}
