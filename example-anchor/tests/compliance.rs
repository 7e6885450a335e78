//! SEP-3 between two real example-anchor processes (bank A and bank B: separate ports, home
//! domains, keys and databases, `LOCAL_MODE`), on every available backend: the spec's example
//! flow (A's `/send` → B's federation → B's `AUTH_SERVER` → sanctions → `dest_info` → 200 → B's
//! `/receive`), the pending path (the officer clears the case; A re-sends with the same nonce)
//! and the denied path (a name on B's imported list).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anchor_core::keys::SigningKey;
use anchor_core::testing::{self, TestDatabase};
use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_example-anchor");
const BLOCKLIST: &str = "id,name,kind\nb1,Ivan Petrovich Sidorov,person\n";
const SOURCE: &str = "GBEEAAVX5GMUEWFL6Q6UQUAH3WAPGNFSIQCI6YXVGXTCPOZ22PGFWMEC";
const BOB: &str = "GDO34SQXVOSNODK7JCTAXLZUPSAF3JIH4ADQELVIKOQJUWQ3U4BMSCSH";

struct Bank {
    child: Child,
    public: String,
    internal: String,
    domain: String,
    key: SigningKey,
    _dir: tempfile::TempDir,
    _database: TestDatabase,
}

impl Drop for Bank {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn command(dir: &Path, env: &[(String, String)]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    command
}

async fn start_bank(database: TestDatabase) -> Bank {
    let dir = tempfile::tempdir().unwrap();
    let (port, internal_port) = (free_port(), free_port());
    let key = SigningKey::generate().unwrap();
    let env: Vec<(String, String)> = [
        ("ACTIVE_SEPS", "sep-1,sep-3".to_string()),
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
    std::fs::write(dir.path().join("blocklist.csv"), BLOCKLIST).unwrap();
    let imported = command(dir.path(), &env)
        .args(["lists", "import", "--source", "custom:internal", "--file", "blocklist.csv"])
        .output()
        .unwrap();
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let child = command(dir.path(), &env).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let mut bank = Bank {
        child,
        public: format!("http://127.0.0.1:{port}"),
        internal: format!("http://127.0.0.1:{internal_port}"),
        domain: format!("127.0.0.1:{port}"),
        key,
        _dir: dir,
        _database: database,
    };
    for _ in 0..300 {
        if let Some(status) = bank.child.try_wait().unwrap() {
            panic!("example-anchor exited early with {status}");
        }
        if reqwest::get(format!("{}/health", bank.public)).await.is_ok() {
            return bank;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("example-anchor did not start serving");
}

async fn internal(bank: &Bank, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
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

async fn register(bank: &Bank, name: &str, account: &str, memo: &str, kyc: Value) {
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

async fn send(a: &Bank, b: &Bank, id: &str, sender: &str) -> Value {
    let sender = format!("{sender}*{}", a.domain);
    let destination = format!("bob*{}", b.domain);
    let (status, body) = internal(
        a,
        reqwest::Method::POST,
        "/send",
        &[
            ("id", id),
            ("source", SOURCE),
            ("sender", &sender),
            ("destination", &destination),
            ("amount", "10"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn memo_of(body: &Value) -> String {
    let transaction =
        anchor_sep3::payload::decode_transaction(body["transaction_xdr"].as_str().unwrap()).unwrap();
    anchor_sep3::payload::memo_hash_base64(&transaction).expect("a hash memo")
}

#[tokio::test]
async fn two_example_anchors_approve_a_payment_end_to_end_on_every_backend() {
    let backends: Vec<&'static str> =
        testing::test_databases().iter().map(|database| database.name).collect();
    for backend in backends {
        let database = || testing::test_databases().into_iter().find(|d| d.name == backend).unwrap();
        let a = start_bank(database()).await;
        let b = start_bank(database()).await;
        register(&a, "aldi", SOURCE, "1", serde_json::json!({"first_name": "Aldi", "last_name": "Dobbs"}))
            .await;
        register(
            &a,
            "ivan",
            SOURCE,
            "2",
            serde_json::json!({"first_name": "Ivan", "last_name": "Petrovich Sidorov"}),
        )
        .await;
        register(&b, "bob", BOB, "7", serde_json::json!({"first_name": "Bob"})).await;

        // B's federation server and stellar.toml are what A used.
        let toml: toml::Table = reqwest::get(format!("{}/.well-known/stellar.toml", b.public))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(toml["AUTH_SERVER"].as_str(), Some(format!("{}/compliance", b.public).as_str()));
        assert_eq!(toml["SIGNING_KEY"].as_str(), Some(b.key.public_key()));

        // The example flow: approved, and B's /receive returns what A signed.
        let body = send(&a, &b, "pay-1", "aldi").await;
        assert_eq!(body["auth_response"]["tx_status"], "ok", "{backend}: {body}");
        assert_eq!(body["auth_response"]["info_status"], "ok", "{backend}: {body}");
        let memo = memo_of(&body);
        let (status, received) = internal(&b, reqwest::Method::POST, "/receive", &[("memo", &memo)]).await;
        assert_eq!(status, 200, "{backend}: {received}");
        let data: Value = serde_json::from_str(received["data"].as_str().unwrap()).unwrap();
        assert_eq!(data["sender"], format!("aldi*{}", a.domain));
        assert_eq!(data["tx"], body["transaction_xdr"]);

        // Pending: B's officer puts Aldi under review, then clears the case; A re-sends the same
        // request (same id, same nonce) and it is approved.
        let review = |status: &'static str| {
            let b = &b;
            async move {
                let (code, body) = internal(
                    b,
                    reqwest::Method::PUT,
                    "/example/sanctions/reviews",
                    &[("name", "Aldi Dobbs"), ("status", status)],
                )
                .await;
                assert_eq!(code, 200, "{body}");
            }
        };
        review("pending").await;
        let pending = send(&a, &b, "pay-2", "aldi").await;
        assert_eq!(pending["auth_response"]["tx_status"], "pending", "{backend}: {pending}");
        assert_eq!(pending["auth_response"]["pending"], 60);
        let memo = memo_of(&pending);
        assert_eq!(internal(&b, reqwest::Method::POST, "/receive", &[("memo", &memo)]).await.0, 404);
        review("cleared").await;
        let cleared = send(&a, &b, "pay-2", "aldi").await;
        assert_eq!(cleared["auth_response"]["tx_status"], "ok", "{backend}: {cleared}");
        assert_eq!(cleared["transaction_xdr"], pending["transaction_xdr"], "same nonce, same transaction");
        assert_eq!(internal(&b, reqwest::Method::POST, "/receive", &[("memo", &memo)]).await.0, 200);

        // Denied: a sender on B's imported list.
        let denied = send(&a, &b, "pay-3", "ivan").await;
        assert_eq!(denied["auth_response"]["tx_status"], "denied", "{backend}: {denied}");
    }
}
