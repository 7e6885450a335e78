//! The real app (anchor-core + Sep12 + the in-memory integration) on a real database and a real
//! loopback server, SEP-10 tokens minted with the server's key, and request helpers.

use std::sync::{Arc, Mutex};

use anchor_core::auth::{encode_token, token_issuer, Sep10Claims};
use anchor_core::integrations::sanctions::ScreeningSubject;
use anchor_core::testing::{self, TestDatabase, TestServer};
use anchor_core::{
    async_trait, register_integrations, AnchorApp, IntegrationError, Integrations, ScreeningRegistry,
    Settings,
};
use anchor_sep12::Sep12;
use serde_json::Value;

use super::memory::MemoryCustomers;

pub(crate) const G1: &str = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";
pub(crate) const G2: &str = "GAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPSABOV";

/// A PNG signature plus a few bytes.
pub(crate) const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4];

pub(crate) fn muxed(account: &str, id: u64) -> String {
    let key = stellar_strkey::ed25519::PublicKey::from_string(account).unwrap();
    stellar_strkey::ed25519::MuxedAccount { ed25519: key.0, id }.to_string().to_string()
}

/// What the screening registry was told.
#[derive(Default)]
pub(crate) struct Recorder {
    pub recorded: Mutex<Vec<(String, ScreeningSubject)>>,
    pub erased: Mutex<Vec<String>>,
    pub frozen: Mutex<Vec<String>>,
    /// When set, `record_subject` and `erase_subject` fail.
    pub failing: Mutex<bool>,
}

#[derive(Clone)]
pub(crate) struct RecordingRegistry(pub Arc<Recorder>);

#[async_trait]
impl ScreeningRegistry for RecordingRegistry {
    async fn is_frozen(&self, account: &str) -> Result<bool, IntegrationError> {
        Ok(self.0.frozen.lock().unwrap().iter().any(|a| a == account))
    }

    async fn record_subject(&self, key: &str, subject: ScreeningSubject) -> Result<(), IntegrationError> {
        if *self.0.failing.lock().unwrap() {
            return Err(IntegrationError::internal("registry down: secret-detail"));
        }
        self.0.recorded.lock().unwrap().push((key.to_string(), subject));
        Ok(())
    }

    async fn erase_subject(&self, key: &str) -> Result<(), IntegrationError> {
        if *self.0.failing.lock().unwrap() {
            return Err(IntegrationError::internal("registry down: secret-detail"));
        }
        self.0.erased.lock().unwrap().push(key.to_string());
        Ok(())
    }
}

pub(crate) struct Harness {
    pub backend: &'static str,
    pub server: TestServer,
    pub settings: Settings,
    pub customers: Arc<MemoryCustomers>,
    pub screening: Arc<Recorder>,
    _database: TestDatabase,
}

/// Lets tests keep a handle on the integration they registered.
struct Shared(Arc<MemoryCustomers>);

#[async_trait]
impl anchor_core::CustomerIntegration for Shared {
    async fn get(
        &self,
        token: &anchor_core::Sep10Token,
        query: anchor_core::integrations::customer::CustomerQuery,
    ) -> Result<anchor_core::integrations::customer::CustomerStatus, IntegrationError> {
        self.0.get(token, query).await
    }
    async fn put(
        &self,
        token: &anchor_core::Sep10Token,
        update: anchor_core::integrations::customer::CustomerUpdate,
    ) -> Result<anchor_core::integrations::customer::CustomerId, IntegrationError> {
        self.0.put(token, update).await
    }
    async fn delete(
        &self,
        token: &anchor_core::Sep10Token,
        target: anchor_core::integrations::customer::CustomerRef,
    ) -> Result<(), IntegrationError> {
        self.0.delete(token, target).await
    }
    async fn put_callback(
        &self,
        token: &anchor_core::Sep10Token,
        callback: anchor_core::integrations::customer::CustomerCallback,
    ) -> Result<(), IntegrationError> {
        self.0.put_callback(token, callback).await
    }
}

pub(crate) fn harness(database: TestDatabase, overrides: &[(&str, &str)]) -> Harness {
    let customers = Arc::new(MemoryCustomers::default());
    let mut harness = harness_with(database, overrides, Shared(customers.clone()));
    harness.customers = customers;
    harness
}

/// A harness whose anchor integration is `integration` (`customers` is then unused).
pub(crate) fn harness_with(
    database: TestDatabase,
    overrides: &[(&str, &str)],
    integration: impl anchor_core::CustomerIntegration,
) -> Harness {
    let url = database.url_string();
    let mut env = vec![("ACTIVE_SEPS", "sep-1,sep-12"), ("DATABASE_URL", url.as_str())];
    env.extend_from_slice(overrides);
    let settings = testing::settings(&env);
    let db = database.database();
    let screening = Arc::new(Recorder::default());
    let integrations =
        Integrations::new().customer(integration).screening_registry(RecordingRegistry(screening.clone()));
    let registered = register_integrations(&settings, integrations).unwrap();
    let app = AnchorApp::builder(settings.clone(), db, registered).module(Sep12).build().unwrap();
    // `serve_public` also starts the module's background task: the callback outbox worker.
    Harness {
        backend: database.name,
        server: testing::serve_public(app),
        settings,
        customers: Arc::new(MemoryCustomers::default()),
        screening,
        _database: database,
    }
}

/// Every backend available, each with a fresh harness.
pub(crate) fn harnesses(overrides: &[(&str, &str)]) -> Vec<Harness> {
    testing::test_databases().into_iter().map(|database| harness(database, overrides)).collect()
}

pub(crate) fn token_for(settings: &Settings, sub: &str, expires_in: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = Sep10Claims {
        iss: token_issuer(settings),
        sub: sub.to_string(),
        iat: now - 10,
        exp: now + expires_in,
        jti: "0".repeat(64),
        client_domain: None,
        home_domain: None,
    };
    encode_token(settings, &claims).unwrap()
}

pub(crate) struct Client<'a> {
    pub harness: &'a Harness,
    pub token: Option<String>,
    http: reqwest::Client,
}

pub(crate) struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub(crate) fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_else(|| panic!("no error in {}", self.body))
    }
}

impl Harness {
    /// A pool on the harness's database, to look at the framework's tables.
    pub(crate) fn database(&self) -> anchor_core::Database {
        self._database.database()
    }

    /// Stops the server and its background tasks (the outbox worker) and starts a new app on the
    /// same database and settings: a restart. The customer integration keeps its data.
    pub(crate) fn restart(&mut self) {
        let screening = RecordingRegistry(self.screening.clone());
        let integrations =
            Integrations::new().customer(Shared(self.customers.clone())).screening_registry(screening);
        let registered = register_integrations(&self.settings, integrations).unwrap();
        let app = AnchorApp::builder(self.settings.clone(), self._database.database(), registered)
            .module(Sep12)
            .build()
            .unwrap();
        self.server = testing::serve_public(app);
    }

    pub(crate) fn as_(&self, sub: &str) -> Client<'_> {
        Client {
            harness: self,
            token: Some(token_for(&self.settings, sub, 300)),
            http: reqwest::Client::new(),
        }
    }

    pub(crate) fn with_token(&self, token: String) -> Client<'_> {
        Client { harness: self, token: Some(token), http: reqwest::Client::new() }
    }

    pub(crate) fn anonymous(&self) -> Client<'_> {
        Client { harness: self, token: None, http: reqwest::Client::new() }
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    Answer { status, body }
}

impl Client<'_> {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, self.harness.server.url(&format!("/kyc{path}")));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub(crate) async fn get(&self, path_and_query: &str) -> Answer {
        answer(self.request(reqwest::Method::GET, path_and_query).send().await.unwrap()).await
    }

    pub(crate) async fn json(&self, method: reqwest::Method, path: &str, body: Value) -> Answer {
        answer(self.request(method, path).json(&body).send().await.unwrap()).await
    }

    pub(crate) async fn put_json(&self, body: Value) -> Answer {
        self.json(reqwest::Method::PUT, "/customer", body).await
    }

    pub(crate) async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        answer(
            self.request(method, path).header("content-type", content_type).body(body).send().await.unwrap(),
        )
        .await
    }

    pub(crate) async fn multipart(
        &self,
        method: reqwest::Method,
        path: &str,
        texts: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Answer {
        let (content_type, body) = multipart_body(texts, files);
        self.raw(method, path, &content_type, body).await
    }
}

/// A multipart/form-data body written by hand (text parts first, as SEP-12 asks).
pub(crate) fn multipart_body(texts: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----anchor-sep12-test-boundary";
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (name, content_type, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.bin\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
