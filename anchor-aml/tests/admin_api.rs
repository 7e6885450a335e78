//! The AML admin API over real HTTP on every backend: the bearer key, an officer's day (cases,
//! clear, confirm, unfreeze, notes, checks, each decision with the officer's own API token), a scan asked for over HTTP, the audit export and its
//! verification, the statistics, refusals, and the OpenAPI document against the mounted routes.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};
use anchor_aml::{mount_admin_api, AmlMonitor, ListStore, MonitorConfig, Officers};
use anchor_core::http::BodyLimits;
use anchor_core::integrations::sanctions::ScreeningSubject;
use anchor_core::testing::{settings, test_databases, TEST_ADMIN_API_KEY};
use anchor_core::Database;
use anchor_screening::{parse_custom_csv, ImportPolicy, ListVersion, LoadedList};
use serde_json::{json, Value};

/// The officer's list: two people, a company and a listed Stellar account.
fn list_csv() -> String {
    format!(
        "id,name,kind,address\n\
         p1,Ivan Petrovich Sidorov,person,\n\
         p2,Maria Gonzalez Ruiz,person,\n\
         o1,Black Sea Shipping Ltd,organization,\n\
         x1,,,{}\n",
        account(9)
    )
}

/// A valid `G…` account made of one repeated byte.
fn account(byte: u8) -> String {
    stellar_strkey::ed25519::PublicKey([byte; 32]).to_string().as_str().to_owned()
}

fn import_list(database: &Database) {
    let bytes = list_csv();
    let list = parse_custom_csv(bytes.as_bytes(), "officer_list").unwrap();
    let version = ListVersion::of(&list, &[bytes.as_bytes()]);
    let loaded = LoadedList { list, version };
    ListStore::new(database.clone()).import(&loaded, &ImportPolicy::default(), 1_000).unwrap();
}

fn open_monitor(database: Database) -> AmlMonitor {
    AmlMonitor::open(database, MonitorConfig::from_settings(&settings(&[]).aml), None).unwrap()
}

/// Creates an officer and one API token for them; answers the token.
fn officer_token(database: &Database, username: &str, display_name: &str) -> String {
    let officers = Officers::new(database.clone());
    officers.create(username, display_name, "a long enough password", 1_000).unwrap();
    officers.create_token(username, "tests", 1_000).unwrap().token
}

fn customer(name: &str, stellar_account: String) -> ScreeningSubject {
    let mut subject = ScreeningSubject::named(name);
    subject.stellar_accounts = vec![stellar_account];
    subject
}

struct AdminServer {
    addr: std::net::SocketAddr,
    base: String,
    handle: ServerHandle,
    client: reqwest::Client,
}

impl AdminServer {
    fn start(monitor: AmlMonitor, admin_api_key: Option<&str>) -> Self {
        let key = admin_api_key.map(str::to_string);
        let server = HttpServer::new(move || {
            let (monitor, key) = (monitor.clone(), key.clone());
            App::new()
                .configure(|cfg| mount_admin_api(cfg, monitor, BodyLimits { max_body_bytes: 64 * 1024 }, key))
                .default_service(web::to(anchor_core::http::not_found))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        AdminServer { addr, base: format!("http://{addr}"), handle, client: reqwest::Client::new() }
    }

    async fn stop(self) {
        self.handle.stop(true).await;
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base)).bearer_auth(TEST_ADMIN_API_KEY)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.request(reqwest::Method::GET, path).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self.request(reqwest::Method::POST, path).json(&body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A POST with an officer's API token instead of the admin key (decision routes).
    async fn post_as(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_else(|| panic!("not an error body: {body}"))
}

/// Every body is bounded as it is read, chunked or not (security review H1): a 64 MiB chunked
/// body is refused at the 64 KiB limit, long before the client would have finished sending it,
/// and the API serves the next request.
#[actix_web::test]
async fn internal_api_chunked_body_past_the_limit_is_refused() {
    use anchor_core::testing::hostile::{filled, post_chunked};
    let test_db = anchor_core::testing::sqlite_database();
    let monitor = open_monitor(test_db.database());
    let server = AdminServer::start(monitor.clone(), Some(TEST_ADMIN_API_KEY));
    let bearer = format!("Bearer {TEST_ADMIN_API_KEY}");
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
    for (path, prefix) in
        [("/admin/aml/check", &br#"{"name": ""#[..]), ("/admin/aml/scan", br#"{"requested_by": ""#)]
    {
        let answer = post_chunked(server.addr, path, &headers, filled(prefix, b'x', 64 * 1024 * 1024)).await;
        assert_eq!(answer.status, 413, "{path}: {answer:?}");
        assert!(answer.error().contains("65536-byte limit"), "{path}: {}", answer.error());
        assert!(!answer.finished_sending, "{path}: the whole body was read");
        assert!(answer.sent <= 16 * 1024 * 1024, "{path}: {} bytes sent before the answer", answer.sent);
        assert!(answer.closed, "{path}: the connection was kept open to drain the body");
    }
    assert!(monitor.scans(10).unwrap().is_empty(), "a refused request queued a scan");
    let (status, _) = server.get("/admin/aml/stats").await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[actix_web::test]
async fn the_api_refuses_requests_without_or_with_a_wrong_key() {
    let test_db = anchor_core::testing::sqlite_database();
    let monitor = open_monitor(test_db.database());
    let server = AdminServer::start(monitor.clone(), Some(TEST_ADMIN_API_KEY));
    let client = reqwest::Client::new();
    for path in ["/admin/aml/stats", "/admin/aml/cases", "/admin/aml/openapi.json"] {
        let url = format!("{}{path}", server.base);
        let without = client.get(&url).send().await.unwrap();
        assert_eq!(without.status().as_u16(), 401, "{path}");
        let body: Value = without.json().await.unwrap();
        assert!(error_of(&body).contains("Authorization"), "{body}");
        let wrong =
            client.get(&url).bearer_auth("not-the-admin-key-not-the-admin-key-xx").send().await.unwrap();
        assert_eq!(wrong.status().as_u16(), 401, "{path}");
        let body: Value = wrong.json().await.unwrap();
        assert_eq!(error_of(&body), "invalid admin API key");
    }
    let scan = client.post(format!("{}/admin/aml/scan", server.base)).json(&json!({"requested_by": "x"}));
    assert_eq!(scan.send().await.unwrap().status().as_u16(), 401);
    assert!(monitor.scans(10).unwrap().is_empty(), "an unauthenticated request queued a scan");
    server.stop().await;

    // Without a configured key nothing is reachable, whatever the caller sends.
    let server = AdminServer::start(monitor, None);
    let (status, body) = server.get("/admin/aml/stats").await;
    assert_eq!(status, 401);
    assert!(error_of(&body).contains("ADMIN_API_KEY is not configured"), "{body}");
    server.stop().await;
}

#[actix_web::test]
async fn an_officers_day_on_every_backend() {
    for test_db in test_databases() {
        let backend = test_db.name;
        let database = test_db.database();
        import_list(&database);
        let ruiz = officer_token(&database, "o.ruiz", "Olga Ruiz");
        let chief = officer_token(&database, "h.chief", "Hana Chief");
        let monitor = open_monitor(database);
        let listed =
            monitor.record("sep12:alice", &customer("Ivan Petrovich Sidorov", account(1)), "test").unwrap();
        let clear =
            monitor.record("sep12:bob", &customer("Albert Quenby Farrow", account(2)), "test").unwrap();
        let confirmed =
            monitor.record("sep12:carol", &customer("Maria Gonzalez Ruiz", account(3)), "test").unwrap();
        assert_eq!(listed.newly_frozen, vec![account(1)], "{backend}");
        assert!(clear.newly_frozen.is_empty() && clear.outcome.is_none(), "{backend}");
        let server = AdminServer::start(monitor.clone(), Some(TEST_ADMIN_API_KEY));

        // The open cases, and what an officer sees of one.
        let (status, cases) = server.get("/admin/aml/cases?status=open").await;
        assert_eq!(status, 200, "{backend}: {cases}");
        let cases = cases.as_array().unwrap().clone();
        assert_eq!(cases.len(), 2, "{backend}: {cases:?}");
        let case_of = |subject_id: i64| {
            cases.iter().find(|case| case["subject_id"] == subject_id).unwrap()["id"].as_i64().unwrap()
        };
        let (alice_case, carol_case) = (case_of(listed.subject_id), case_of(confirmed.subject_id));
        let (status, case) = server.get(&format!("/admin/aml/cases/{alice_case}")).await;
        assert_eq!(status, 200, "{backend}: {case}");
        assert_eq!(case["status"], "open");
        assert_eq!(case["decision"], "match");
        assert_eq!(case["entry_id"], "p1");
        assert_eq!(case["frozen_accounts"], json!([account(1)]));
        assert!(!case["hit"]["factors"].as_array().unwrap().is_empty(), "{backend}: no explanation: {case}");
        assert_eq!(case["subject"]["names"], json!(["Ivan Petrovich Sidorov"]));
        let (status, subject) = server.get(&format!("/admin/aml/subjects/{}", listed.subject_id)).await;
        assert_eq!(status, 200);
        assert_eq!(subject["status"], "frozen", "{backend}: {subject}");
        assert_eq!(subject["accounts"], json!([account(1)]));
        let (status, frozen) = server.get("/admin/aml/frozen").await;
        assert_eq!(status, 200);
        assert_eq!(frozen.as_array().unwrap().len(), 2, "{backend}: {frozen}");
        let (_, found) = server.get(&format!("/admin/aml/frozen?search={}&limit=5", &account(1)[..10])).await;
        assert_eq!(found.as_array().unwrap().len(), 1, "{backend}: {found}");
        assert_eq!(found[0]["case_id"], alice_case);

        // Checks: accounts and names on demand.
        let (status, check) = server.get(&format!("/admin/aml/check/{}", account(1))).await;
        assert_eq!(status, 200, "{backend}: {check}");
        assert_eq!(check["frozen"]["account"], account(1), "{backend}: {check}");
        let (_, check) = server.get(&format!("/admin/aml/check/{}", account(2))).await;
        assert_eq!(check["decision"], "clear", "{backend}: {check}");
        assert!(check.get("frozen").is_none(), "{check}");
        let (_, check) = server.get(&format!("/admin/aml/check/{}", account(9))).await;
        assert_eq!(check["decision"], "match", "{backend}: the listed address: {check}");
        assert_eq!(check["hits"][0]["entry_id"], "x1");
        let (status, _) = server.get("/admin/aml/check/not-an-account").await;
        assert_eq!(status, 400);
        let (status, check) =
            server.post("/admin/aml/check", json!({"name": "Ivan Petrovic Sidorov", "country": "RU"})).await;
        assert_eq!(status, 200, "{backend}: {check}");
        assert_ne!(check["decision"], "clear", "{check}");
        assert_eq!(check["hits"][0]["entry_id"], "p1");
        assert!(!check["hits"][0]["factors"].as_array().unwrap().is_empty(), "{check}");
        let (status, body) = server.post("/admin/aml/check", json!({"name": "  "})).await;
        assert_eq!((status, error_of(&body)), (400, "`name` is required"));
        let (status, body) = server.post("/admin/aml/check", json!({"name": "щ".repeat(771)})).await;
        assert_eq!((status, error_of(&body)), (400, "`name` is longer than 770 characters"));
        let (status, check) = server.post("/admin/aml/check", json!({"name": "щ".repeat(770)})).await;
        assert_eq!(status, 200, "{backend}: the longest name is screened: {check}");
        let (status, _) = server.post("/admin/aml/check", json!({"nom": "x"})).await;
        assert_eq!(status, 400, "unknown fields are refused");

        // Clearing needs a reason; unknown cases are 404; a cleared case unfreezes.
        let clear_path = format!("/admin/aml/cases/{alice_case}/clear");
        let (status, body) = server.post_as(&ruiz, &clear_path, json!({"officer": "o.ruiz"})).await;
        assert_eq!(status, 400, "{backend}: {body}");
        assert!(error_of(&body).contains("reason"), "{body}");
        let (status, body) =
            server.post_as(&ruiz, "/admin/aml/cases/999999/clear", json!({"reason": "x"})).await;
        assert_eq!((status, error_of(&body)), (404, "no case 999999"));
        let (status, body) = server
            .post_as(&ruiz, &clear_path, json!({"reason": "same name, born 1990, different person"}))
            .await;
        assert_eq!(status, 200, "{backend}: {body}");
        assert_eq!(body["status"], "cleared");
        assert_eq!(body["decided_by"], "Olga Ruiz (o.ruiz)");
        let (status, body) = server.post_as(&ruiz, &clear_path, json!({"reason": "again"})).await;
        assert_eq!(status, 409, "a decided case cannot be decided again: {body}");
        let (_, check) = server.get(&format!("/admin/aml/check/{}", account(1))).await;
        assert!(check.get("frozen").is_none(), "{backend}: still frozen after clearing: {check}");
        assert!(!monitor.account_frozen(&account(1)).unwrap(), "{backend}");

        // Confirming keeps the account frozen; notes are kept.
        let (status, body) = server
            .post_as(
                &ruiz,
                &format!("/admin/aml/cases/{carol_case}/confirm"),
                json!({"reason": "passport matches the listing"}),
            )
            .await;
        assert_eq!(status, 200, "{backend}: {body}");
        assert_eq!(body["status"], "confirmed");
        let (_, check) = server.get(&format!("/admin/aml/check/{}", account(3))).await;
        assert_eq!(check["frozen"]["account"], account(3), "{backend}: {check}");
        let (status, body) = server
            .post_as(
                &ruiz,
                &format!("/admin/aml/cases/{carol_case}/notes"),
                json!({"text": "reported to the FIU"}),
            )
            .await;
        assert_eq!(status, 201, "{backend}: {body}");
        assert_eq!(body["notes"][0]["text"], "reported to the FIU");
        let (status, _) = server.get("/admin/aml/cases?status=maybe").await;
        assert_eq!(status, 400);
        let (status, _) = server.get("/admin/aml/cases/abc").await;
        assert_eq!(status, 400);
        let (_, mine) = server.get(&format!("/admin/aml/cases?subject_id={}", confirmed.subject_id)).await;
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");

        // A scan asked for over HTTP: 202 at once, then it completes; the cleared case stays
        // cleared.
        let (status, body) = server.post("/admin/aml/scan", json!({"requested_by": "o.ruiz"})).await;
        assert_eq!(status, 202, "{backend}: {body}");
        let scan_id = body["scan_id"].as_i64().unwrap();
        let mut scan = Value::Null;
        for _ in 0..600 {
            let (status, body) = server.get(&format!("/admin/aml/scans/{scan_id}")).await;
            assert_eq!(status, 200, "{body}");
            scan = body;
            if scan["status"] == "completed" || scan["status"] == "failed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(scan["status"], "completed", "{backend}: {scan}");
        assert_eq!(scan["kind"], "manual");
        assert_eq!(scan["screened"], 3, "{backend}: {scan}");
        let (_, scans) = server.get("/admin/aml/scans?limit=5").await;
        assert_eq!(scans[0]["id"], scan_id, "newest first: {scans}");
        let (status, _) = server.get("/admin/aml/scans/999999").await;
        assert_eq!(status, 404);
        let (_, open) = server.get("/admin/aml/cases?status=open").await;
        assert_eq!(open, json!([]), "{backend}: a cleared false positive came back");

        // Statistics match what happened.
        let (status, stats) = server.get("/admin/aml/stats").await;
        assert_eq!(status, 200, "{backend}: {stats}");
        assert_eq!(stats["subjects"], 3, "{stats}");
        assert_eq!(stats["cases_total"], 2, "{stats}");
        assert_eq!(stats["cases_open"], 0, "{stats}");
        assert_eq!(stats["frozen_accounts"], 1, "{stats}");
        assert_eq!(stats["frozen_in_memory"], 1, "{stats}");
        assert_eq!(stats["scans_completed"], 1, "{stats}");
        assert_eq!(stats["running"], false, "{stats}");
        assert_eq!(stats["lists"][0]["list"], "custom:officer_list", "{stats}");
        assert_eq!(stats["lists"][0]["entities"], 4, "{stats}");
        assert_eq!(stats["process"]["arrival_screenings"], 3, "{stats}");
        assert_eq!(stats["process"]["scan_subjects"], 3, "{stats}");

        // Unfreezing needs a reason, is audited, and a second time finds nothing.
        let (status, _) = server.post_as(&chief, "/admin/aml/unfreeze", json!({"account": account(3)})).await;
        assert_eq!(status, 400);
        let (status, _) =
            server.post_as(&chief, "/admin/aml/unfreeze", json!({"account": "nope", "reason": "x"})).await;
        assert_eq!(status, 400);
        let unfreeze = json!({"account": account(3), "reason": "licence granted by OFSI"});
        let (status, body) = server.post_as(&chief, "/admin/aml/unfreeze", unfreeze.clone()).await;
        assert_eq!(status, 200, "{backend}: {body}");
        assert_eq!(body["unfrozen"]["account"], account(3));
        let (status, _) = server.post_as(&chief, "/admin/aml/unfreeze", unfreeze).await;
        assert_eq!(status, 404);
        assert!(!monitor.account_frozen(&account(3)).unwrap());

        // The audit trail: exported as JSON and CSV, and intact.
        let (status, records) = server.get("/admin/aml/export?format=json&from=0&to=9999999999").await;
        assert_eq!(status, 200, "{backend}: {records}");
        let kinds: Vec<&str> =
            records.as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
        for kind in ["list_import", "screening_hit", "freeze", "case_decision", "case_note", "unfreeze"] {
            assert!(kinds.contains(&kind), "{backend}: no {kind} record in {kinds:?}");
        }
        let decisions: Vec<Value> = records
            .as_array()
            .unwrap()
            .iter()
            .filter(|record| record["kind"] == "case_decision")
            .map(|record| serde_json::from_str(record["payload"].as_str().unwrap()).unwrap())
            .collect();
        assert_eq!(decisions.len(), 2);
        assert_eq!(decisions[0]["case_id"], alice_case);
        assert_eq!(decisions[0]["decision"], "cleared");
        let response =
            server.request(reqwest::Method::GET, "/admin/aml/export?format=csv").send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
        assert_eq!(disposition, "attachment; filename=\"aml-audit-all-all.csv\"");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = response.text().await.unwrap();
        assert!(csv.starts_with("seq,recorded_at,kind,payload,prev_hash,hash\n"), "{csv}");
        assert!(csv.contains(",screening_hit,") && csv.contains(",case_decision,"), "{backend}: {csv}");
        assert_eq!(csv.lines().count(), records.as_array().unwrap().len() + 1);
        let (_, none) = server.get("/admin/aml/export?from=0&to=1").await;
        assert_eq!(none, json!([]));
        let (status, _) = server.get("/admin/aml/export?from=10&to=1").await;
        assert_eq!(status, 400);
        let (status, _) = server.get("/admin/aml/export?format=xml").await;
        assert_eq!(status, 400);
        let (status, verdict) = server.get("/admin/aml/audit/verify").await;
        assert_eq!(status, 200);
        assert_eq!(verdict["intact"], true, "{backend}: {verdict}");
        assert_eq!(verdict["records"], records.as_array().unwrap().len() as i64);

        server.stop().await;
    }
}

#[actix_web::test]
async fn checks_and_scans_without_a_loaded_list_are_unavailable_not_clear() {
    let test_db = anchor_core::testing::sqlite_database();
    let server = AdminServer::start(open_monitor(test_db.database()), Some(TEST_ADMIN_API_KEY));
    let (status, body) = server.post("/admin/aml/check", json!({"name": "Ivan Petrovich Sidorov"})).await;
    assert_eq!(status, 503, "{body}");
    assert!(error_of(&body).contains("no sanctions list"), "{body}");
    let (status, _) = server.get(&format!("/admin/aml/check/{}", account(1))).await;
    assert_eq!(status, 503);
    let (status, body) = server.post("/admin/aml/scan", json!({"requested_by": "o.ruiz"})).await;
    assert_eq!(status, 503, "a scan that can only fail is not queued: {body}");
    server.stop().await;
}

#[actix_web::test]
async fn every_route_in_the_openapi_document_is_mounted() {
    let test_db = anchor_core::testing::sqlite_database();
    let server = AdminServer::start(open_monitor(test_db.database()), Some(TEST_ADMIN_API_KEY));
    let (status, doc) = server.get("/admin/aml/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.values().map(|item| item.as_object().unwrap().len()).sum::<usize>(), 19);
    for (path, item) in paths {
        // Parameters get a value no route accepts, so nothing changes and a mounted route
        // answers 400, not the "no such endpoint" 404.
        let concrete: String = path
            .split('/')
            .map(|part| if part.starts_with('{') { "not-a-number" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let mut request = server.request(method.clone(), &concrete);
            if method == reqwest::Method::POST {
                request = request.json(&json!({}));
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            assert!(status != 404 && status != 405, "{method} {concrete}: {status}");
            let body: Value = response.json().await.unwrap();
            assert_ne!(body, json!({"error": "no such endpoint"}), "{method} {concrete}");
        }
    }
    server.stop().await;
}
