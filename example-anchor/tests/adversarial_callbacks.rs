//! SEP-12 status callbacks against a crash, on real example-anchor processes over real HTTP, on
//! every backend: a customer registers a callback URL pointing at a wallet stand-in on loopback
//! (`LOCAL_MODE` allows http there), the back office accepts the customer on the internal review
//! path, and the anchor is killed with SIGKILL before the wallet took the callback. The restarted
//! anchor (same database, ports and key) must still deliver it, signed with `SIGNING_KEY` over
//! `<t>.<host>.<body>`, with exactly the status the review recorded.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anchor_core::auth::{encode_token, token_issuer, Sep10Claims};
use anchor_core::testing;
use base64::Engine as _;
use serde_json::{json, Value};
use support::{internal_json, Bank};
use tokio::sync::mpsc;

const CUSTOMER: &str = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";
const NOBODY_LISTED: &str = "id,name,kind\nz,Nobody Listed Here,person\n";
/// How long the test waits for something that must happen: generous, never asserted.
const DEADLINE: Duration = Duration::from_secs(90);

/// What the wallet stand-in received: the `Signature` header and the raw body.
struct Received {
    signature: String,
    body: Vec<u8>,
}

/// The wallet: a real HTTP server on loopback that records every callback and answers 500
/// until it is made healthy.
struct Wallet {
    url: String,
    host: String,
    received: mpsc::UnboundedReceiver<Received>,
    healthy: Arc<AtomicBool>,
    _handle: actix_web::dev::ServerHandle,
}

fn wallet_on(address: &str) -> Wallet {
    let (sender, received) = mpsc::unbounded_channel();
    let healthy = Arc::new(AtomicBool::new(false));
    let flag = healthy.clone();
    let server = HttpServer::new(move || {
        let sender = sender.clone();
        let healthy = flag.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let (sender, healthy) = (sender.clone(), healthy.clone());
                async move {
                    let signature = req
                        .headers()
                        .get("Signature")
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let _ = sender.send(Received { signature, body: body.to_vec() });
                    if healthy.load(Ordering::SeqCst) {
                        HttpResponse::Ok().finish()
                    } else {
                        HttpResponse::InternalServerError().finish()
                    }
                }
            }),
        )
    })
    .workers(1)
    .bind(address)
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Wallet { url: format!("http://{addr}/hook"), host: addr.to_string(), received, healthy, _handle: handle }
}

impl Wallet {
    /// The next callback, within `within`.
    async fn next(&mut self, within: Duration) -> Option<Received> {
        tokio::time::timeout(within, self.received.recv()).await.ok().flatten()
    }
}

/// Checks the `Signature: t=…, s=…` header with the anchor's public key over the documented
/// payload `<t>.<host>.<body>` and returns the body.
fn verified(received: &Received, host: &str, bank: &Bank) -> Value {
    let (t, s) = received
        .signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(", s="))
        .unwrap_or_else(|| panic!("bad Signature header {:?}", received.signature));
    t.parse::<i64>().expect("t is unix seconds");
    let mut payload = format!("{t}.{host}.").into_bytes();
    payload.extend_from_slice(&received.body);
    let public = stellar_strkey::ed25519::PublicKey::from_string(bank.key.public_key()).unwrap();
    let key = ed25519_dalek::VerifyingKey::from_bytes(&public.0).unwrap();
    let signature: [u8; 64] =
        base64::engine::general_purpose::STANDARD.decode(s).unwrap().try_into().unwrap();
    key.verify_strict(&payload, &ed25519_dalek::Signature::from_bytes(&signature))
        .expect("the callback signature verifies with SIGNING_KEY");
    serde_json::from_slice(&received.body).unwrap()
}

fn token(bank: &Bank) -> String {
    let settings = testing::settings(&[("HOST_URL", &bank.public)]);
    let now = chrono::Utc::now().timestamp();
    let claims = Sep10Claims {
        iss: token_issuer(&settings),
        sub: CUSTOMER.to_string(),
        iat: now,
        exp: now + 600,
        jti: "5".repeat(64),
        client_domain: None,
        home_domain: None,
    };
    encode_token(&settings, &claims).unwrap()
}

/// A customer under review (`PROCESSING`) with a callback registered to `wallet`; its id.
async fn customer_under_review(bank: &Bank, wallet_url: &str) -> String {
    let client = reqwest::Client::new();
    let bearer = token(bank);
    let kyc = format!("{}/kyc/customer", bank.public);
    let response = client
        .put(&kyc)
        .bearer_auth(&bearer)
        .json(&json!({"first_name": "Jane", "last_name": "Doe", "email_address": "jane@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let current: Value = client.get(&kyc).bearer_auth(&bearer).send().await.unwrap().json().await.unwrap();
    assert_eq!(current["status"], "PROCESSING");
    let response = client
        .put(format!("{kyc}/callback"))
        .bearer_auth(&bearer)
        .json(&json!({"id": id, "url": wallet_url}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    id
}

/// The back office accepts the customer: PROCESSING → ACCEPTED, one callback queued.
async fn accept(bank: &Bank, id: &str) {
    let (status, decided) = internal_json(
        bank,
        reqwest::Method::PUT,
        &format!("/customers/{id}/review"),
        Some(json!({"status": "ACCEPTED"})),
    )
    .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["status"], "ACCEPTED");
    assert_eq!(decided["callback_scheduled"], true, "{decided}");
}

/// Waits for the callback the healthy wallet accepts and checks it; then checks that nothing
/// else arrives. Every callback received must carry exactly `ACCEPTED` for `id`.
async fn expect_one_accepted_delivery(wallet: &mut Wallet, bank: &Bank, id: &str, backend: &str) {
    let delivered = wallet.next(DEADLINE).await.expect("the callback is delivered after the restart");
    let body = verified(&delivered, &wallet.host, bank);
    assert_eq!(body["id"], id, "{backend}");
    assert_eq!(body["status"], "ACCEPTED", "{backend}: {body}");
    // The body is the customer's GET /customer answer.
    let current: Value = reqwest::Client::new()
        .get(format!("{}/kyc/customer?id={id}", bank.public))
        .bearer_auth(token(bank))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, current, "{backend}");
    // Accepted once: the anchor does not send it again.
    assert!(wallet.next(Duration::from_secs(3)).await.is_none(), "{backend}: a second delivery");
}

#[actix_web::test]
async fn status_callback_survives_sigkill_before_delivery() {
    for database in testing::test_databases() {
        let backend = database.name;
        let mut bank = support::start_bank(
            database,
            "sep-1,sep-10,sep-12",
            NOBODY_LISTED,
            &[("SEP12_CALLBACK_TIMEOUT", "2"), ("SEP12_CALLBACK_MAX_ATTEMPTS", "20")],
        )
        .await;
        let mut wallet = wallet_on("127.0.0.1:0");
        let id = customer_under_review(&bank, &wallet.url).await;
        accept(&bank, &id).await;

        // The wallet refuses the first attempt (500), then the anchor is SIGKILLed before any
        // retry can succeed.
        let refused = wallet.next(DEADLINE).await.expect("a first attempt");
        bank.child.kill().unwrap();
        bank.child.wait().unwrap();
        let refused = verified(&refused, &wallet.host, &bank);
        assert_eq!(refused["status"], "ACCEPTED", "{backend}");
        while wallet.received.try_recv().is_ok() {}

        // Same database, ports and key; the wallet now answers 200.
        wallet.healthy.store(true, Ordering::SeqCst);
        support::restart(&mut bank).await;
        expect_one_accepted_delivery(&mut wallet, &bank, &id, backend).await;
    }
}

#[actix_web::test]
async fn status_callback_survives_sigkill_right_after_the_status_change_while_the_wallet_is_down() {
    for database in testing::test_databases() {
        let backend = database.name;
        let mut bank = support::start_bank(
            database,
            "sep-1,sep-10,sep-12",
            NOBODY_LISTED,
            &[("SEP12_CALLBACK_TIMEOUT", "2"), ("SEP12_CALLBACK_MAX_ATTEMPTS", "20")],
        )
        .await;
        // A wallet address nobody listens on yet: every attempt is refused at connect.
        let port = support::free_port();
        let address = format!("127.0.0.1:{port}");
        let id = customer_under_review(&bank, &format!("http://{address}/hook")).await;
        accept(&bank, &id).await;
        // SIGKILL as soon as the status change is acknowledged: whatever the anchor had in
        // memory is gone.
        bank.child.kill().unwrap();
        bank.child.wait().unwrap();

        support::restart(&mut bank).await;
        let mut wallet = wallet_on(&address);
        wallet.healthy.store(true, Ordering::SeqCst);
        expect_one_accepted_delivery(&mut wallet, &bank, &id, backend).await;
    }
}
