//! The example store over real HTTP on every backend: SEP-12 through anchor-sep12, the manual
//! review on the internal listener, and the status callbacks it fires.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anchor_core::auth::{encode_token, token_issuer, Sep10Claims};
use anchor_core::testing::{self, TestDatabase, TestServer};
use anchor_core::{register_integrations, AnchorApp, Integrations, Settings};
use base64::Engine as _;
use ed25519_dalek::Verifier as _;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::*;
use crate::Anchor as _;

const G1: &str = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";
const G2: &str = "GAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPSABOV";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 7, 7];

#[test]
fn statuses_follow_the_required_fields_and_the_review() {
    let unknown = status_of(None, "sep31-sender").unwrap();
    assert_eq!(unknown.name(), "NEEDS_INFO");
    assert!(unknown.id().is_none());
    let mut stored = Stored {
        id: "c".into(),
        fields: vec![Sep9Field::FirstName, Sep9Field::LastName, Sep9Field::EmailAddress],
        review: None,
    };
    assert_eq!(status_of(Some(&stored), "default").unwrap().name(), "PROCESSING");
    assert_eq!(status_of(Some(&stored), "sep31-receiver").unwrap().name(), "NEEDS_INFO");
    stored.review = Some((Review::Accepted, None));
    let accepted = status_of(Some(&stored), "default").unwrap();
    let CustomerStatus::Accepted { optional_fields, .. } = accepted else { panic!("accepted") };
    assert_eq!(optional_fields[0].field, Sep9Field::MobileNumber);
    stored.review = Some((Review::Rejected, Some("blurred".into())));
    assert_eq!(status_of(Some(&stored), "default").unwrap().name(), "REJECTED");
    assert!(type_or_default(Some("sep6")).is_err());
}

struct Served {
    backend: &'static str,
    settings: Settings,
    public: TestServer,
    internal: String,
    _internal: actix_web::dev::ServerHandle,
    _database: TestDatabase,
}

fn serve(database: TestDatabase) -> Served {
    let url = database.url_string();
    let settings = testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-12"), ("DATABASE_URL", &url)]);
    let db = database.database_with(&crate::ExampleAnchor::default().migrations());
    let integrations = Integrations::new().customer(ExampleCustomers::new(db.clone()));
    let registered = register_integrations(&settings, integrations).unwrap();
    let app =
        AnchorApp::builder(settings.clone(), db, registered).module(anchor_sep12::Sep12).build().unwrap();
    let internal_app = app.clone();
    let server = HttpServer::new(move || {
        let app = internal_app.clone();
        App::new().configure(|cfg| {
            app.configure_internal(cfg);
            crate::ExampleAnchor::default().internal_routes(cfg, app.context());
        })
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Served {
        backend: database.name,
        settings,
        public: testing::serve_public(app),
        internal: format!("http://{addr}"),
        _internal: handle,
        _database: database,
    }
}

fn token(settings: &Settings, sub: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = Sep10Claims {
        iss: token_issuer(settings),
        sub: sub.to_string(),
        iat: now,
        exp: now + 300,
        jti: "1".repeat(64),
        client_domain: None,
        home_domain: None,
    };
    encode_token(settings, &claims).unwrap()
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

impl Served {
    fn kyc(&self, method: reqwest::Method, path: &str, sub: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, self.public.url(&format!("/kyc{path}")))
            .bearer_auth(token(&self.settings, sub))
    }

    fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, format!("{}{path}", self.internal))
            .bearer_auth(testing::TEST_ADMIN_API_KEY)
    }
}

struct Hook {
    url: String,
    host: String,
    received: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
    _handle: actix_web::dev::ServerHandle,
}

fn hook() -> Hook {
    let (sender, received) = mpsc::unbounded_channel();
    let server = HttpServer::new(move || {
        let sender = sender.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let signature = req
                    .headers()
                    .get("Signature")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let _ = sender.send((signature, body.to_vec()));
                async { HttpResponse::Ok().finish() }
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Hook { url: format!("http://{addr}/hook"), host: addr.to_string(), received, _handle: handle }
}

impl Hook {
    /// The next callback's body, after checking its signature with the anchor's SIGNING_KEY.
    async fn next(&mut self, signing_key: &str) -> Option<Value> {
        let (signature, body) =
            tokio::time::timeout(Duration::from_secs(5), self.received.recv()).await.ok().flatten()?;
        let (t, s) = signature.strip_prefix("t=").and_then(|rest| rest.split_once(", s=")).unwrap();
        let mut payload = format!("{t}.{}.", self.host).into_bytes();
        payload.extend_from_slice(&body);
        let key = stellar_strkey::ed25519::PublicKey::from_string(signing_key).unwrap();
        let key = ed25519_dalek::VerifyingKey::from_bytes(&key.0).unwrap();
        let signature: [u8; 64] =
            base64::engine::general_purpose::STANDARD.decode(s).unwrap().try_into().unwrap();
        key.verify(&payload, &ed25519_dalek::Signature::from_bytes(&signature)).unwrap();
        Some(serde_json::from_slice(&body).unwrap())
    }
}

#[actix_web::test]
async fn review_moves_a_customer_through_processing_to_accepted_with_callbacks() {
    use reqwest::Method;
    for served in testing::test_databases().into_iter().map(serve) {
        let backend = served.backend;
        let signing_key = served.settings.signing_key_public().to_string();
        let (status, body) = send(served.kyc(Method::GET, "/customer?type=sep31-sender", G1)).await;
        assert_eq!(status, 200, "{backend}");
        assert_eq!(body["status"], "NEEDS_INFO");
        assert_eq!(body["fields"]["birth_date"]["type"], "date");
        assert_eq!(body["fields"]["photo_id_front"]["optional"], true);
        let (status, body) = send(served.kyc(Method::GET, "/customer?type=sep6", G1)).await;
        assert_eq!(status, 400);
        assert!(body["error"].as_str().unwrap().contains("unknown customer type `sep6`"));

        let (status, body) =
            send(served.kyc(Method::PUT, "/customer", G1).json(&json!({"first_name": "Jane"}))).await;
        assert_eq!(status, 202, "{backend}: {body}");
        let id = body["id"].as_str().unwrap().to_string();
        let mut hook = hook();
        let (status, _) =
            send(served.kyc(Method::PUT, "/customer/callback", G1).json(&json!({"id": id, "url": hook.url})))
                .await;
        assert_eq!(status, 200);

        // Completing the required fields puts the customer under review: NEEDS_INFO → PROCESSING.
        let (status, _) = send(
            served
                .kyc(Method::PUT, "/customer", G1)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("family_name=Doe&email_address=jane%40example.com"),
        )
        .await;
        assert_eq!(status, 202);
        let processing = hook.next(&signing_key).await.expect("PROCESSING callback");
        assert_eq!(processing["status"], "PROCESSING", "{backend}");
        assert_eq!(processing["id"], id.as_str());

        // The back office sees it and accepts it: PROCESSING → ACCEPTED.
        let (status, _) =
            send(reqwest::Client::new().get(format!("{}/customers/pending", served.internal))).await;
        assert_eq!(status, 401);
        let (status, pending) = send(served.admin(Method::GET, "/customers/pending")).await;
        assert_eq!(status, 200);
        assert_eq!(pending["pending"], json!([{"id": id, "type": "default"}]));
        let (status, decided) = send(
            served
                .admin(Method::PUT, &format!("/customers/{id}/review"))
                .json(&json!({"status": "ACCEPTED"})),
        )
        .await;
        assert_eq!(status, 200, "{decided}");
        assert_eq!(decided["callback_scheduled"], true);
        let accepted = hook.next(&signing_key).await.expect("ACCEPTED callback");
        assert_eq!(accepted["status"], "ACCEPTED");
        let (_, current) = send(served.kyc(Method::GET, &format!("/customer?id={id}"), G1)).await;
        assert_eq!(current, accepted);
        assert_eq!(current["fields"]["mobile_number"]["optional"], true);
        assert_eq!(current["provided_fields"]["last_name"]["status"], "ACCEPTED");

        // Status is per type.
        let (_, receiver) = send(served.kyc(Method::GET, "/customer?type=sep31-receiver", G1)).await;
        assert_eq!(receiver["status"], "NEEDS_INFO");
        assert_eq!(receiver["id"], id.as_str());

        // Decisions are checked.
        for (decision, message) in [
            (json!({"status": "ACCEPTED"}), "not awaiting review"),
            (json!({"status": "REJECTED"}), "needs a `message`"),
            (json!({"status": "MAYBE"}), "ACCEPTED or REJECTED"),
            (json!({"status": "ACCEPTED", "type": "sep6"}), "unknown customer type"),
        ] {
            let (status, body) =
                send(served.admin(Method::PUT, &format!("/customers/{id}/review")).json(&decision)).await;
            assert_eq!(status, 400, "{decision}");
            assert!(body["error"].as_str().unwrap().contains(message), "{body}");
        }
        let (status, _) = send(
            served.admin(Method::PUT, "/customers/cus_nobody/review").json(&json!({"status": "ACCEPTED"})),
        )
        .await;
        assert_eq!(status, 404);

        // Delete erases it.
        let (status, _) = send(served.kyc(Method::DELETE, &format!("/customer/{G1}"), G1)).await;
        assert_eq!(status, 200);
        let (_, after) = send(served.kyc(Method::GET, "/customer", G1)).await;
        assert!(after.get("id").is_none());
        let (status, _) = send(served.kyc(Method::GET, &format!("/customer?id={id}"), G1)).await;
        assert_eq!(status, 404);
    }
}

#[actix_web::test]
async fn rejection_reaches_the_wallet_and_resubmission_reopens_review() {
    use reqwest::Method;
    for served in testing::test_databases().into_iter().map(serve) {
        let signing_key = served.settings.signing_key_public().to_string();
        let (content_type, body) = multipart(
            &[
                ("type", "sep31-sender"),
                ("first_name", "Ann"),
                ("last_name", "Lee"),
                ("birth_date", "1980-05-06"),
            ],
            &[("photo_id_front", "image/png", PNG)],
        );
        let sub = format!("{G1}:77");
        let (status, created) =
            send(served.kyc(Method::PUT, "/customer", &sub).header("content-type", content_type).body(body))
                .await;
        assert_eq!(status, 202, "{}: {created}", served.backend);
        let id = created["id"].as_str().unwrap().to_string();
        let (_, status_body) = send(served.kyc(Method::GET, "/customer?type=sep31-sender", &sub)).await;
        assert_eq!(status_body["status"], "NEEDS_INFO");
        assert_eq!(status_body["provided_fields"]["photo_id_front"]["type"], "binary");
        let (status, _) = send(
            served
                .kyc(Method::PUT, "/customer", &sub)
                .json(&json!({"type": "sep31-sender", "address_country_code": "usa"})),
        )
        .await;
        assert_eq!(status, 202);
        let mut hook = hook();
        send(
            served
                .kyc(Method::PUT, "/customer/callback", &sub)
                .json(&json!({"url": hook.url, "type": "sep31-sender"})),
        )
        .await;
        let (status, _) = send(
            served
                .admin(Method::PUT, &format!("/customers/{id}/review"))
                .json(&json!({"type": "sep31-sender", "status": "REJECTED", "message": "Photo unreadable"})),
        )
        .await;
        assert_eq!(status, 200);
        let rejected = hook.next(&signing_key).await.expect("REJECTED callback");
        assert_eq!(
            rejected,
            json!({"id": id, "status": "REJECTED", "message": "Photo unreadable",
            "provided_fields": rejected["provided_fields"].clone()})
        );
        let (status, _) = send(
            served
                .kyc(Method::PUT, "/customer", &sub)
                .json(&json!({"type": "sep31-sender", "birth_date": "1980-05-07"})),
        )
        .await;
        assert_eq!(status, 202);
        let (_, again) = send(served.kyc(Method::GET, "/customer?type=sep31-sender", &sub)).await;
        assert_eq!(again["status"], "PROCESSING");

        // Another memo of the same account is another customer and cannot see this one.
        let other = format!("{G1}:78");
        let (status, _) = send(served.kyc(Method::GET, &format!("/customer?id={id}"), &other)).await;
        assert_eq!(status, 404);
        let (status, _) = send(served.kyc(Method::GET, &format!("/customer?id={id}"), G2)).await;
        assert_eq!(status, 404);
        let (_, mine) = send(served.kyc(Method::GET, "/customer", &other)).await;
        assert!(mine.get("id").is_none());
    }
}

fn multipart(texts: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "example-anchor-boundary";
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
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"f\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[actix_web::test]
async fn concurrent_first_puts_create_one_customer_without_errors() {
    use reqwest::Method;
    for served in testing::test_databases().into_iter().map(serve) {
        let served = std::sync::Arc::new(served);
        let sub = format!("{G1}:900");
        let mut tasks = Vec::new();
        for round in 0..12 {
            let request = served
                .kyc(Method::PUT, "/customer", &sub)
                .json(&json!({"first_name": format!("Jane {round}"), "email_address": "jane@example.com"}));
            tasks.push(tokio::spawn(send(request)));
        }
        let mut ids = std::collections::BTreeSet::new();
        for task in tasks {
            let (status, body) = task.await.unwrap();
            assert_eq!(status, 202, "{}: {body}", served.backend);
            ids.insert(body["id"].as_str().unwrap().to_string());
        }
        assert_eq!(ids.len(), 1, "{}: one customer, not {ids:?}", served.backend);
    }
}
