//! The real `example-anchor` binary serving SEP-12 on every backend: its own migrations, its
//! customer store, and the manual review on the internal listener. Tokens are minted with the
//! anchor's `SERVER_JWT_KEY`, so this needs no SEP-10 exchange.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anchor_core::auth::{encode_token, token_issuer, Sep10Claims};
use anchor_core::testing::{self, TEST_ADMIN_API_KEY, TEST_JWT_KEY};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_example-anchor");
const G: &str = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";

struct Running {
    child: Child,
    public: String,
    internal: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(dir: &std::path::Path, database_url: &str) -> Running {
    start_with(dir, database_url, &[]).await
}

async fn start_with(dir: &std::path::Path, database_url: &str, extra: &[(&str, String)]) -> Running {
    let (public, internal) = (free_port(), free_port());
    let child = Command::new(BINARY)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ACTIVE_SEPS", "sep-1,sep-12")
        .env("HOST_URL", "http://localhost:8000")
        .env("LOCAL_MODE", "true")
        .env("SIGNING_SEED", testing::TEST_SEED)
        .env("SERVER_JWT_KEY", TEST_JWT_KEY)
        .env("ADMIN_API_KEY", TEST_ADMIN_API_KEY)
        .env("DATABASE_URL", database_url)
        .env("BIND_ADDRESS", format!("127.0.0.1:{public}"))
        .env("INTERNAL_BIND_ADDRESS", format!("127.0.0.1:{internal}"))
        .envs(extra.iter().map(|(key, value)| (*key, value.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running {
        child,
        public: format!("http://127.0.0.1:{public}"),
        internal: format!("http://127.0.0.1:{internal}"),
    };
    for _ in 0..300 {
        if let Some(status) = running.child.try_wait().unwrap() {
            panic!("example-anchor exited early with {status}");
        }
        if reqwest::get(format!("{}/health", running.public)).await.is_ok() {
            return running;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("example-anchor did not start serving");
}

fn token(sub: &str) -> String {
    let settings = testing::settings(&[]);
    let now = chrono::Utc::now().timestamp();
    let claims = Sep10Claims {
        iss: token_issuer(&settings),
        sub: sub.to_string(),
        iat: now,
        exp: now + 300,
        jti: "3".repeat(64),
        client_domain: None,
        home_domain: None,
    };
    encode_token(&settings, &claims).unwrap()
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_binary_serves_sep12_with_its_own_store_and_review() {
    for database in testing::test_databases() {
        let dir = tempfile::tempdir().unwrap();
        let running = start(dir.path(), &database.url_string()).await;
        let backend = database.name;
        let client = reqwest::Client::new();

        let toml: toml::Table = client
            .get(format!("{}/.well-known/stellar.toml", running.public))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(toml["KYC_SERVER"].as_str(), Some("http://localhost:8000/kyc"), "{backend}");

        let kyc = format!("{}/kyc/customer", running.public);
        let bearer = token(G);
        let (status, created) = send(client.put(&kyc).bearer_auth(&bearer).json(&json!({
            "first_name": "Jane", "last_name": "Doe", "email_address": "jane@example.com"
        })))
        .await;
        assert_eq!(status, 202, "{backend}: {created}");
        let id = created["id"].as_str().unwrap().to_string();
        let (_, current) = send(client.get(&kyc).bearer_auth(&bearer)).await;
        assert_eq!(current["status"], "PROCESSING", "{backend}");

        let (status, _) = send(client.get(&kyc)).await;
        assert_eq!(status, 403);

        let review = format!("{}/customers/{id}/review", running.internal);
        let (status, _) = send(client.put(&review).json(&json!({"status": "ACCEPTED"}))).await;
        assert_eq!(status, 401);
        let (status, decided) =
            send(client.put(&review).bearer_auth(TEST_ADMIN_API_KEY).json(&json!({"status": "ACCEPTED"})))
                .await;
        assert_eq!(status, 200, "{backend}: {decided}");
        let (_, current) = send(client.get(&kyc).bearer_auth(&bearer)).await;
        assert_eq!(current["status"], "ACCEPTED", "{backend}");
        assert_eq!(current["id"], id.as_str());

        let (status, _) =
            send(client.delete(format!("{}/kyc/customer/{G}", running.public)).bearer_auth(&bearer)).await;
        assert_eq!(status, 200);
        drop(running);
    }
}

/// A Horizon stand-in on loopback that knows no account (404), so SEP-10 asks for the client's
/// master-key signature only.
fn horizon_without_accounts() -> String {
    use std::io::{Read as _, Write as _};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => request.extend_from_slice(&buffer[..read]),
                }
            }
            let body = r#"{"status":404,"title":"Resource Missing"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// The issue's end-to-end test: an independent wallet (the Python stellar-sdk for SEP-10, plain
/// HTTP for SEP-12) against the running binary; then the back office accepts the customer.
#[tokio::test]
#[ignore = "needs the Python stellar-sdk (pip install -r .ci/requirements.txt); run with --include-ignored"]
async fn an_independent_python_wallet_does_sep10_then_sep12() {
    if !testing::python_imports("stellar_sdk") {
        let missing =
            ["python3 cannot `import stellar_sdk` (pip install -r .ci/requirements.txt)".to_string()];
        testing::require_prerequisites("SEP-12 end-to-end with the Python stellar-sdk", &missing);
    }
    let dir = tempfile::tempdir().unwrap();
    let horizon = horizon_without_accounts();
    let database = testing::sqlite_database();
    let running = start_with(
        dir.path(),
        &database.url_string(),
        &[("ACTIVE_SEPS", "sep-1,sep-10,sep-12".to_string()), ("HORIZON_URI", horizon)],
    )
    .await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/sep12_wallet.py");
    let anchor_url = running.public.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .env("ANCHOR_URL", anchor_url)
            .env("SEP10_SERVER_KEY", testing::TEST_SIGNING_KEY)
            .env("SEP10_HOME_DOMAIN", "localhost:8000")
            .env("SEP10_WEB_AUTH_DOMAIN", "localhost:8000")
            .env("SEP10_PASSPHRASE", anchor_core::config::TESTNET_PASSPHRASE)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python wallet failed:\n{stdout}\n{stderr}");
    let result: Value = serde_json::from_str(stdout.trim()).unwrap();
    let (token, id) = (result["token"].as_str().unwrap(), result["id"].as_str().unwrap());

    let client = reqwest::Client::new();
    let (status, decided) = send(
        client
            .put(format!("{}/customers/{id}/review", running.internal))
            .bearer_auth(TEST_ADMIN_API_KEY)
            .json(&json!({"type": "sep31-sender", "status": "ACCEPTED"})),
    )
    .await;
    assert_eq!(status, 200, "{decided}");
    let (status, current) = send(
        client.get(format!("{}/kyc/customer?id={id}&type=sep31-sender", running.public)).bearer_auth(token),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(current["status"], "ACCEPTED", "{current}");
}
