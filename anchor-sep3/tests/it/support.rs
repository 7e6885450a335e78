//! Test support: a "bank" is one complete anchor (its own settings, key, database, public and
//! internal listeners on free loopback ports, `LOCAL_MODE`), with scripted integrations that keep
//! their state in memory; plus small real servers for stellar.toml files and callbacks.

#![allow(clippy::unwrap_used, reason = "test support: a broken test environment should fail loudly")]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use anchor_core::integrations::compliance::{
    ComplianceIntegration, ConsentOutcome, ConsentRequest, CustomerInfo, FederationIntegration,
    FederationMemo, FederationRecord,
};
use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject};
use anchor_core::keys::SigningKey;
use anchor_core::testing::{self, TestDatabase};
use anchor_core::{
    async_trait, register_integrations, AnchorApp, IntegrationError, Integrations, SanctionsIntegration,
    Sensitive,
};
use anchor_sep3::Sep3;
use base64::Engine as _;
use serde_json::Value;

pub(crate) const SEED_A: &str = "SBEL63EBNQUTQ2ZTGHGLLXEMP6THALGS3VQ2N4RVHUWIBB5KGDJWVF3R";
pub(crate) const SEED_B: &str = testing::TEST_SEED;
pub(crate) const BOB_ACCOUNT: &str = "GDO34SQXVOSNODK7JCTAXLZUPSAF3JIH4ADQELVIKOQJUWQ3U4BMSCSH";
pub(crate) const SOURCE_ACCOUNT: &str = "GBEEAAVX5GMUEWFL6Q6UQUAH3WAPGNFSIQCI6YXVGXTCPOZ22PGFWMEC";

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

fn listener() -> TcpListener {
    TcpListener::bind(("127.0.0.1", 0)).unwrap()
}

macro_rules! start {
    ($listener:expr, $factory:expr $(,)?) => {{
        let listener = $listener;
        let addr = listener.local_addr().unwrap();
        let server = HttpServer::new($factory).workers(2).listen(listener).unwrap().run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Server { url: format!("http://{addr}"), handle }
    }};
}

/// The bank's sanctions officer: names on the deny list are denied, names on the review list
/// pending until cleared; `broken` makes screening fail.
#[derive(Clone, Default)]
pub(crate) struct Officer {
    denied: Arc<Mutex<HashSet<String>>>,
    review: Arc<Mutex<HashSet<String>>>,
    broken: Arc<Mutex<bool>>,
    pub screened: Arc<Mutex<Vec<ScreeningSubject>>>,
}

impl Officer {
    pub(crate) fn deny(&self, name: &str) {
        self.denied.lock().unwrap().insert(name.to_string());
    }
    pub(crate) fn review(&self, name: &str) {
        self.review.lock().unwrap().insert(name.to_string());
    }
    pub(crate) fn clear(&self, name: &str) {
        self.review.lock().unwrap().remove(name);
    }
    pub(crate) fn set_broken(&self, broken: bool) {
        *self.broken.lock().unwrap() = broken;
    }
}

#[async_trait]
impl SanctionsIntegration for Officer {
    async fn screen(&self, subject: &ScreeningSubject) -> Result<ScreeningOutcome, IntegrationError> {
        self.screened.lock().unwrap().push(subject.clone());
        if *self.broken.lock().unwrap() {
            return Err(IntegrationError::Unavailable("the screening provider is down".into()));
        }
        for name in &subject.names {
            if self.denied.lock().unwrap().contains(name.expose()) {
                return Ok(ScreeningOutcome::Denied { reason: "deny list".into() });
            }
            if self.review.lock().unwrap().contains(name.expose()) {
                return Ok(ScreeningOutcome::Pending {
                    retry_after: Duration::from_secs(30),
                    reference: "case-1".into(),
                });
            }
        }
        Ok(ScreeningOutcome::Clear)
    }
}

/// The AML monitor's frozen accounts; `broken` makes it fail.
#[derive(Clone, Default)]
pub(crate) struct Freezer {
    pub frozen: Arc<Mutex<HashSet<String>>>,
    pub broken: Arc<Mutex<bool>>,
}

#[async_trait]
impl anchor_core::ScreeningRegistry for Freezer {
    async fn is_frozen(&self, account: &str) -> Result<bool, IntegrationError> {
        if *self.broken.lock().unwrap() {
            return Err(IntegrationError::internal("registry down"));
        }
        Ok(self.frozen.lock().unwrap().contains(account))
    }
}

/// Customers: federation name → (account, route), and KYC by route and by `name*domain`.
#[derive(Clone, Default)]
pub(crate) struct Customers {
    pub home_domain: Arc<Mutex<String>>,
    pub by_name: Arc<Mutex<HashMap<String, (String, u64)>>>,
    pub kyc: Arc<Mutex<HashMap<String, BTreeMap<String, String>>>>,
    pub consent: Arc<Mutex<Option<ConsentOutcome>>>,
    pub asked: Arc<Mutex<u32>>,
    pub fetched: Arc<Mutex<u32>>,
}

impl Customers {
    pub(crate) fn add(&self, name: &str, account: &str, route: u64, kyc: &[(&str, &str)]) {
        self.by_name.lock().unwrap().insert(name.to_string(), (account.to_string(), route));
        let info: BTreeMap<String, String> =
            kyc.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.kyc.lock().unwrap().insert(route.to_string(), info.clone());
        let address = format!("{name}*{}", self.home_domain.lock().unwrap());
        self.kyc.lock().unwrap().insert(address, info);
    }
}

#[async_trait]
impl FederationIntegration for Customers {
    async fn resolve_name(&self, name: &str) -> Result<Option<FederationRecord>, IntegrationError> {
        let domain = self.home_domain.lock().unwrap().clone();
        Ok(self.by_name.lock().unwrap().get(name).map(|(account, route)| FederationRecord {
            stellar_address: format!("{name}*{domain}"),
            account_id: account.clone(),
            memo: Some(FederationMemo::Id(*route)),
        }))
    }

    async fn resolve_id(&self, account_id: &str) -> Result<Option<FederationRecord>, IntegrationError> {
        let domain = self.home_domain.lock().unwrap().clone();
        Ok(self.by_name.lock().unwrap().iter().find(|(_, (account, _))| account == account_id).map(
            |(name, _)| FederationRecord {
                stellar_address: format!("{name}*{domain}"),
                account_id: account_id.to_string(),
                memo: None,
            },
        ))
    }
}

#[async_trait]
impl ComplianceIntegration for Customers {
    async fn ask_user(&self, _request: &ConsentRequest) -> Result<ConsentOutcome, IntegrationError> {
        *self.asked.lock().unwrap() += 1;
        Ok(self.consent.lock().unwrap().clone().unwrap_or(ConsentOutcome::Refused))
    }

    async fn fetch_info(&self, address: &str) -> Result<CustomerInfo, IntegrationError> {
        *self.fetched.lock().unwrap() += 1;
        let kyc = self.kyc.lock().unwrap().get(address).cloned();
        let kyc = kyc.ok_or_else(|| IntegrationError::not_found("no such customer"))?;
        Ok(Sensitive::new(kyc.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
    }
}

/// One complete anchor on loopback.
pub(crate) struct Bank {
    pub public: Server,
    pub internal: Server,
    pub domain: String,
    pub officer: Officer,
    pub customers: Customers,
    pub freezer: Freezer,
    pub key: SigningKey,
    _database: TestDatabase,
}

pub(crate) struct BankOptions {
    pub seed: &'static str,
    pub module: Sep3,
    pub extra_settings: Vec<(&'static str, String)>,
    /// Replaces the scripted officer and customers (for the SDF callback adapter).
    pub integrations: Option<Integrations>,
}

impl BankOptions {
    pub(crate) fn new(seed: &'static str) -> Self {
        BankOptions { seed, module: Sep3::new(), extra_settings: Vec::new(), integrations: None }
    }
}

pub(crate) fn start_bank(database: TestDatabase, options: BankOptions) -> Bank {
    let public_listener = listener();
    let internal_listener = listener();
    let domain = format!("{}", public_listener.local_addr().unwrap());
    let host_url = format!("http://{domain}");
    let internal_bind = format!("{}", internal_listener.local_addr().unwrap());
    let database_url = database.url_string();
    let mut overrides: Vec<(&str, String)> = vec![
        ("ACTIVE_SEPS", "sep-1,sep-3".to_string()),
        ("HOST_URL", host_url),
        ("SIGNING_SEED", options.seed.to_string()),
        ("DATABASE_URL", database_url),
        ("INTERNAL_BIND_ADDRESS", internal_bind),
    ];
    overrides.extend(options.extra_settings);
    let borrowed: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let settings = testing::settings(&borrowed);
    let db = database.database();
    let officer = Officer::default();
    let customers = Customers::default();
    let freezer = Freezer::default();
    *customers.home_domain.lock().unwrap() = domain.clone();
    let integrations = options.integrations.unwrap_or_else(|| {
        Integrations::new()
            .sanctions(officer.clone())
            .federation(customers.clone())
            .compliance(customers.clone())
            .screening_registry(freezer.clone())
    });
    let registered = register_integrations(&settings, integrations).unwrap();
    let app = AnchorApp::builder(settings, db, registered).module(options.module).build().unwrap();
    let public_app = app.clone();
    let public = start!(public_listener, move || {
        let app = public_app.clone();
        App::new().configure(|cfg| app.configure(cfg)).default_service(web::to(anchor_core::http::not_found))
    });
    let internal = start!(internal_listener, move || {
        let app = app.clone();
        App::new()
            .configure(|cfg| app.configure_internal(cfg))
            .default_service(web::to(anchor_core::http::not_found))
    });
    Bank {
        public,
        internal,
        domain,
        officer,
        customers,
        freezer,
        key: SigningKey::from_seed(options.seed).unwrap(),
        _database: database,
    }
}

/// Bank A and bank B on the same backend.
pub(crate) fn two_banks(make_database: impl Fn() -> TestDatabase) -> (Bank, Bank) {
    let a = start_bank(make_database(), BankOptions::new(SEED_A));
    let b = start_bank(make_database(), BankOptions::new(SEED_B));
    a.customers.add(
        "aldi",
        SOURCE_ACCOUNT,
        1,
        &[("first_name", "Aldi"), ("last_name", "Dobbs"), ("country", "US")],
    );
    b.customers.add("bob", BOB_ACCOUNT, 7, &[("first_name", "Bob"), ("last_name", "Stone")]);
    (a, b)
}

/// Every available backend's database factory (SQLite always).
pub(crate) fn backends() -> Vec<&'static str> {
    let names: Vec<&'static str> =
        testing::test_databases().into_iter().map(|database| database.name).collect();
    eprintln!("sep-3 two-anchor tests on: {names:?}");
    names
}

/// A fresh database on `backend`.
pub(crate) fn database_on(backend: &str) -> TestDatabase {
    testing::test_databases().into_iter().find(|database| database.name == backend).unwrap()
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

pub(crate) async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// POSTs a form to the bank's internal API with the admin key.
pub(crate) async fn internal(bank: &Bank, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .post(format!("{}{path}", bank.internal.url))
        .bearer_auth(testing::TEST_ADMIN_API_KEY)
        .form(form)
        .send()
        .await
        .unwrap();
    json_of(response).await
}

/// POSTs `data` + `sig` to the bank's AUTH_SERVER.
pub(crate) async fn post_auth(bank: &Bank, form: &[(&str, &str)]) -> (u16, Value) {
    let response = client().post(format!("{}/compliance", bank.public.url)).form(form).send().await.unwrap();
    json_of(response).await
}

pub(crate) fn sign(key: &SigningKey, data: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.sign(data.as_bytes()))
}

/// A key that no stellar.toml publishes.
pub(crate) fn other_key() -> SigningKey {
    SigningKey::from_bytes([9u8; 32])
}

/// A stellar.toml server answering `body` (as many bytes as given).
pub(crate) fn start_toml(body: String) -> Server {
    start!(listener(), move || {
        let body = body.clone();
        App::new().route(
            "/.well-known/stellar.toml",
            web::get().to(move || {
                let body = body.clone();
                async move { HttpResponse::Ok().content_type("text/plain").body(body) }
            }),
        )
    })
}

/// One callback call: path and form fields.
pub(crate) type Received = (String, Vec<(String, String)>);

/// A callback server: answers each path with the scripted (status, body) and records the forms.
#[derive(Clone, Default)]
pub(crate) struct CallbackScript {
    pub answers: Arc<Mutex<HashMap<String, (u16, String)>>>,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl CallbackScript {
    pub(crate) fn answer(&self, path: &str, status: u16, body: &str) {
        self.answers.lock().unwrap().insert(path.to_string(), (status, body.to_string()));
    }
}

/// Records a callback's fields (the form of a POST, the query of a GET) and answers as scripted.
async fn callback(
    script: web::Data<CallbackScript>,
    req: actix_web::HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let path = req.path().to_string();
    let fields =
        if req.method() == actix_web::http::Method::GET { req.query_string().as_bytes() } else { &body[..] };
    let form: Vec<(String, String)> = url::form_urlencoded::parse(fields).into_owned().collect();
    script.received.lock().unwrap().push((path.clone(), form));
    let (status, body) = script.answers.lock().unwrap().get(&path).cloned().unwrap_or((500, String::new()));
    if status == 0 {
        tokio::time::sleep(Duration::from_secs(5)).await;
        return HttpResponse::Ok().finish();
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .content_type("application/json")
        .body(body)
}

pub(crate) fn start_callbacks(script: CallbackScript) -> Server {
    start!(listener(), move || {
        App::new().app_data(web::Data::new(script.clone())).default_service(web::to(callback))
    })
}

/// A stellar.toml server whose body can change (key rotation); counts the fetches.
#[derive(Clone, Default)]
pub(crate) struct MutableToml {
    pub body: Arc<Mutex<String>>,
    pub fetches: Arc<Mutex<u32>>,
}

pub(crate) fn start_mutable_toml(toml: MutableToml) -> Server {
    start!(listener(), move || {
        let toml = toml.clone();
        App::new().route(
            "/.well-known/stellar.toml",
            web::get().to(move || {
                let toml = toml.clone();
                async move {
                    *toml.fetches.lock().unwrap() += 1;
                    let body = toml.body.lock().unwrap().clone();
                    HttpResponse::Ok().content_type("text/plain").body(body)
                }
            }),
        )
    })
}

/// Another institution that resolves every name to bob and answers every SEP-3 request with
/// `auth_status` and `auth_body`.
pub(crate) fn start_fake_institution(auth_status: u16, auth_body: &'static str) -> Server {
    let listener = listener();
    let base = format!("http://{}", listener.local_addr().unwrap());
    start!(listener, move || {
        let toml = format!("FEDERATION_SERVER = \"{base}/federation\"\nAUTH_SERVER = \"{base}/auth\"\n");
        App::new()
            .route(
                "/.well-known/stellar.toml",
                web::get().to(move || {
                    let toml = toml.clone();
                    async move { HttpResponse::Ok().body(toml) }
                }),
            )
            .route(
                "/federation",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .json(serde_json::json!({"account_id": BOB_ACCOUNT, "memo_type": "id", "memo": "9"}))
                }),
            )
            .route(
                "/auth",
                web::post().to(move || async move {
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(auth_status).unwrap())
                        .content_type("application/json")
                        .body(auth_body)
                }),
            )
    })
}
