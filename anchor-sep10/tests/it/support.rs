//! Test support: the anchor under test on a real loopback port, a Horizon stand-in and a wallet
//! stellar.toml server (real actix servers on 127.0.0.1:0), and a small Rust wallet that signs
//! challenges.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use anchor_core::keys::SigningKey;
use anchor_core::testing::{self, TestDatabase};
use anchor_core::{
    async_trait, register_integrations, AnchorApp, IntegrationError, Integrations, ScreeningRegistry,
    Sep10Token,
};
use anchor_sep10::challenge::{decorated_signature, network_id};
use serde_json::{json, Value};
use stellar_xdr::{Limits, ReadXdr, TransactionEnvelope, WriteXdr};

pub(crate) const PASSPHRASE: &str = "Test SDF Network ; September 2015";

/// A real HTTP server, stopped when dropped.
pub(crate) struct Server {
    pub url: String,
    handle: ServerHandle,
}

impl Drop for Server {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

macro_rules! start {
    ($factory:expr, $workers:expr $(,)?) => {{
        let server =
            HttpServer::new($factory).workers($workers).bind(("127.0.0.1", 0)).expect("bind loopback");
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Server { url: format!("http://{addr}"), handle }
    }};
}

/// The Horizon stand-in: `GET /accounts/{id}` answers the JSON stored for `id`, 404 otherwise;
/// `fail` makes every request a 500; every request is counted.
#[derive(Clone, Default)]
pub(crate) struct HorizonState {
    accounts: Arc<Mutex<HashMap<String, Value>>>,
    fail: Arc<Mutex<bool>>,
    requests: Arc<std::sync::atomic::AtomicUsize>,
}

impl HorizonState {
    /// Stores an account with ed25519 signers `(key, weight)` and a medium threshold.
    pub(crate) fn set_account(&self, id: &str, signers: &[(&str, u32)], medium: u32) {
        let signers: Vec<Value> = signers
            .iter()
            .map(|(key, weight)| json!({"key": key, "weight": weight, "type": "ed25519_public_key", "sponsor": null}))
            .collect();
        let account = json!({
            "id": id, "account_id": id, "sequence": "1",
            "thresholds": {"low_threshold": 0, "med_threshold": medium, "high_threshold": medium},
            "signers": signers,
            "flags": {"auth_required": false}, "balances": [], "data": {}
        });
        self.accounts.lock().unwrap().insert(id.to_string(), account);
    }

    pub(crate) fn set_failing(&self, fail: bool) {
        *self.fail.lock().unwrap() = fail;
    }

    /// How many requests the stand-in has answered.
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

async fn horizon_account(state: web::Data<HorizonState>, path: web::Path<String>) -> HttpResponse {
    state.requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    if *state.fail.lock().unwrap() {
        return HttpResponse::InternalServerError().json(json!({"title": "boom"}));
    }
    match state.accounts.lock().unwrap().get(path.as_str()) {
        Some(account) => HttpResponse::Ok().json(account),
        None => HttpResponse::NotFound().json(json!({"status": 404, "title": "Resource Missing"})),
    }
}

pub(crate) fn start_horizon(state: HorizonState, workers: usize) -> Server {
    start!(
        move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .route("/accounts/{id}", web::get().to(horizon_account))
        },
        workers,
    )
}

/// A wallet's home: `GET /.well-known/stellar.toml` answers `body` (after `delay`).
pub(crate) fn start_wallet_toml(body: String, delay: std::time::Duration) -> Server {
    start!(
        move || {
            let body = body.clone();
            App::new().route(
                "/.well-known/stellar.toml",
                web::get().to(move || {
                    let body = body.clone();
                    async move {
                        actix_web::rt::time::sleep(delay).await;
                        HttpResponse::Ok().content_type("text/plain").body(body)
                    }
                }),
            )
        },
        1,
    )
}

/// A wallet's home that fails: `GET /.well-known/stellar.toml` answers 404; the returned counter
/// counts the requests.
pub(crate) fn start_failing_wallet_toml() -> (Server, Arc<std::sync::atomic::AtomicUsize>) {
    let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = requests.clone();
    let server = start!(
        move || {
            let counter = counter.clone();
            App::new().route(
                "/.well-known/stellar.toml",
                web::get().to(move || {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    async { HttpResponse::NotFound().body("no such file") }
                }),
            )
        },
        1,
    );
    (server, requests)
}

/// A screening registry freezing one account.
pub(crate) struct FreezeOne(pub String);

#[async_trait]
impl ScreeningRegistry for FreezeOne {
    /// The registry's contract: an identity (`G…`, or `G…:id:<memo>` for a memo or muxed
    /// customer) is frozen when its whole account is.
    async fn is_frozen(&self, identity: &str) -> Result<bool, IntegrationError> {
        Ok(identity.split(':').next() == Some(self.0.as_str()))
    }
}

/// A screening registry that cannot answer.
pub(crate) struct BrokenRegistry;

#[async_trait]
impl ScreeningRegistry for BrokenRegistry {
    async fn is_frozen(&self, _account: &str) -> Result<bool, IntegrationError> {
        Err(IntegrationError::Unavailable("registry down".into()))
    }
}

async fn whoami(token: Sep10Token) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "account": token.account(),
        "muxed_account": token.muxed_account(),
        "memo": token.memo().map(|memo| memo.to_string()),
        "client_domain": token.client_domain(),
        "home_domain": token.home_domain(),
    }))
}

/// The anchor under test.
pub(crate) struct Anchor {
    pub server: Server,
    pub settings: anchor_core::Settings,
    pub database: anchor_core::Database,
    pub client: reqwest::Client,
}

impl Anchor {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }

    pub(crate) async fn get(&self, query: &str) -> (u16, Value) {
        self.get_with(query, None).await
    }

    pub(crate) async fn get_with(&self, query: &str, authorization: Option<&str>) -> (u16, Value) {
        let mut request = self.client.get(self.url(&format!("/auth{query}")));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let response = request.send().await.expect("GET /auth");
        let status = response.status().as_u16();
        assert_eq!(
            response.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap()),
            Some("*"),
            "CORS on every response"
        );
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn post_json(&self, body: Value) -> (u16, Value) {
        self.post_raw("application/json", body.to_string().into_bytes()).await
    }

    pub(crate) async fn post_raw(&self, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let mut request = self.client.post(self.url("/auth")).body(body);
        if !content_type.is_empty() {
            request = request.header("Content-Type", content_type);
        }
        let response = request.send().await.expect("POST /auth");
        let status = response.status().as_u16();
        assert_eq!(
            response.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap()),
            Some("*"),
            "CORS on every response"
        );
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// GET a challenge for `query` (which must succeed) and return its XDR.
    pub(crate) async fn challenge(&self, query: &str) -> String {
        let (status, body) = self.get(query).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["network_passphrase"], PASSPHRASE);
        body["transaction"].as_str().expect("transaction").to_string()
    }

    /// GET a challenge for `account`, sign it with `signers`, POST it; (status, body).
    pub(crate) async fn round_trip(&self, query: &str, signers: &[&SigningKey]) -> (u16, Value) {
        let challenge = self.challenge(query).await;
        self.post_json(json!({ "transaction": sign(&challenge, signers) })).await
    }

    pub(crate) async fn whoami(&self, token: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url("/whoami"))
            .header("Authorization", format!("Bearer {token}"))
            .send()
            .await
            .expect("GET /whoami");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// Builds and serves an anchor with SEP-10 on `database`, Horizon at `horizon_url`, and
/// `overrides` applied to the test settings (`HOST_URL` stays `http://localhost:8000`).
pub(crate) fn anchor(
    database: &TestDatabase,
    horizon_url: &str,
    overrides: &[(&str, &str)],
    integrations: Integrations,
) -> Anchor {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    anchor_on(listener, database, horizon_url, overrides, integrations)
}

/// Like [`anchor`], with `HOST_URL` the server's real loopback address (for external clients).
pub(crate) fn anchor_on_own_host(
    database: &TestDatabase,
    horizon_url: &str,
    overrides: &[(&str, &str)],
    integrations: Integrations,
) -> Anchor {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let host_url = format!("http://{}", listener.local_addr().expect("address"));
    let mut env: Vec<(&str, &str)> = vec![("HOST_URL", &host_url)];
    env.extend_from_slice(overrides);
    anchor_on(listener, database, horizon_url, &env, integrations)
}

fn anchor_on(
    listener: std::net::TcpListener,
    database: &TestDatabase,
    horizon_url: &str,
    overrides: &[(&str, &str)],
    integrations: Integrations,
) -> Anchor {
    let db_url = database.url_string();
    let mut env: Vec<(&str, &str)> = vec![
        ("ACTIVE_SEPS", "sep-1,sep-10"),
        ("HORIZON_URI", horizon_url),
        ("DATABASE_URL", &db_url),
        ("SEP10_HOME_DOMAINS", "localhost,other.example"),
    ];
    env.extend_from_slice(overrides);
    let settings = testing::settings(&env);
    let db = database.database();
    let registered = register_integrations(&settings, integrations).expect("integrations");
    let app = AnchorApp::builder(settings.clone(), db.clone(), registered)
        .module(anchor_sep10::Sep10)
        .build()
        .expect("app builds");
    let addr = listener.local_addr().expect("address");
    let server = HttpServer::new(move || {
        let app = app.clone();
        App::new()
            .configure(|cfg| app.configure(cfg))
            .route("/whoami", web::get().to(whoami))
            .default_service(web::to(anchor_core::http::not_found))
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let server = Server { url: format!("http://{addr}"), handle };
    Anchor { server, settings, database: db, client: reqwest::Client::new() }
}

/// Adds signatures by `signers` to the base64 envelope `xdr` (testnet).
pub(crate) fn sign(xdr: &str, signers: &[&SigningKey]) -> String {
    let envelope = TransactionEnvelope::from_xdr_base64(xdr, Limits::none()).expect("envelope");
    let TransactionEnvelope::Tx(mut envelope) = envelope else { panic!("v1 envelope expected") };
    let hash = envelope.tx.hash(network_id(PASSPHRASE)).expect("hash");
    let mut signatures = envelope.signatures.to_vec();
    for signer in signers {
        signatures.push(decorated_signature(signer, &hash).expect("sign"));
    }
    envelope.signatures = signatures.try_into().expect("≤ 20 signatures");
    TransactionEnvelope::Tx(envelope).to_xdr_base64(Limits::none()).expect("encode")
}

/// Decodes a JWT's claims without verifying (the tests check them).
pub(crate) fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("b64"))
        .expect("json")
}

/// A fresh random key.
pub(crate) fn key() -> SigningKey {
    SigningKey::generate().expect("CSPRNG")
}

/// `M…` for `key` and `id`.
pub(crate) fn muxed(key: &SigningKey, id: u64) -> String {
    stellar_strkey::ed25519::MuxedAccount { ed25519: key.public_key_bytes(), id }.to_string().to_string()
}
