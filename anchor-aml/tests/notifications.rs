//! Officer notifications on every backend, with real parts only: email to a real SMTP server on
//! loopback (Python's `aiosmtpd`, `tests/support/smtp_sink.py`) and webhooks to an actix server
//! on loopback that verifies the HMAC signature independently (the `hmac` crate, not our code).
//!
//! The SMTP test needs `aiosmtpd` (`.ci/requirements.txt` installs it), so it is ignored by a
//! plain `cargo test` and runs with `--include-ignored` (as `.ci/run` runs it), where a missing
//! `aiosmtpd` fails it. Backoff is never waited out: the tests pass
//! a later clock to `deliver_due_at`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

use anchor_core::clock::unix_now;
use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anchor_aml::{Notification, NotificationKind, Notifier, NotifierConfig};
use anchor_core::db::DbError;
use anchor_core::testing::{self, test_databases};
use anchor_core::{Database, Sensitive};
use diesel::Connection as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

const SECRET: &str = "test-webhook-secret-0123456789abcdef";

// ---------------------------------------------------------------------------------------------
// The webhook receiver: verifies the signature the way docs/notifications.md tells receivers to.
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct ReceiverState {
    /// Answer every request with this status instead of checking it.
    fail_with: Option<u16>,
    /// Bodies of accepted deliveries, in arrival order.
    accepted: Vec<Value>,
    /// `X-Anchor-Delivery` of every accepted request.
    deliveries: Vec<String>,
    /// Requests refused for a bad signature.
    bad_signatures: usize,
    /// Requests answered with `fail_with`.
    failed: usize,
}

struct Receiver {
    url: String,
    state: Arc<Mutex<ReceiverState>>,
    handle: ServerHandle,
}

impl Receiver {
    fn set_failing(&self, status: Option<u16>) {
        self.state.lock().unwrap().fail_with = status;
    }

    fn accepted(&self) -> Vec<Value> {
        self.state.lock().unwrap().accepted.clone()
    }

    fn deliveries(&self) -> Vec<String> {
        self.state.lock().unwrap().deliveries.clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// The receiver's check: `t=<unix>,v1=<hex>`, HMAC-SHA256 over `"<t>.<raw body>"`, compared in
/// constant time, timestamp within five minutes.
fn signature_is_valid(header: &str, body: &[u8], secret: &str) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(hex_decode(value)),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else { return false };
    if (unix_now() - timestamp).abs() > 300 {
        return false;
    }
    signatures.iter().any(|signature| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(body);
        mac.verify_slice(signature).is_ok()
    })
}

async fn receive(
    state: web::Data<Mutex<ReceiverState>>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut state = state.lock().unwrap();
    if let Some(status) = state.fail_with {
        state.failed += 1;
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .body("receiver is down for maintenance");
    }
    let header =
        |name: &str| request.headers().get(name).and_then(|value| value.to_str().ok()).map(String::from);
    let signature = header("X-Anchor-Signature").unwrap_or_default();
    if !signature_is_valid(&signature, &body, SECRET) {
        state.bad_signatures += 1;
        return HttpResponse::Unauthorized().body("bad signature");
    }
    assert_eq!(header("Content-Type").as_deref(), Some("application/json"));
    let value: Value = serde_json::from_slice(&body).unwrap();
    let delivery = header("X-Anchor-Delivery").unwrap();
    assert_eq!(value["id"], delivery.as_str());
    state.deliveries.push(delivery);
    state.accepted.push(value);
    HttpResponse::NoContent().finish()
}

fn start_receiver() -> Receiver {
    let state = Arc::new(Mutex::new(ReceiverState::default()));
    let data = web::Data::from(Arc::clone(&state));
    let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(receive)))
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Receiver { url: format!("http://{address}/aml/notifications"), state, handle }
}

// ---------------------------------------------------------------------------------------------
// The SMTP server: Python's aiosmtpd.
// ---------------------------------------------------------------------------------------------

struct SmtpSink {
    child: Child,
    port: u16,
    mailbox: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpSink {
    fn messages(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.mailbox)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the sink; fails the test when `aiosmtpd` is missing.
fn start_smtp_sink() -> SmtpSink {
    if !testing::python_imports("aiosmtpd") {
        let missing = ["python3 cannot `import aiosmtpd` (pip install -r .ci/requirements.txt)".to_string()];
        testing::require_prerequisites("AML email notifications to a real SMTP server", &missing);
    }
    let dir = tempfile::tempdir().unwrap();
    let mailbox = dir.path().join("mailbox.jsonl");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(&mailbox)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python3");
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
    let port = first_line.trim().parse().unwrap_or_else(|_| {
        let _ = child.kill();
        panic!("smtp_sink.py did not print its port: {first_line:?}")
    });
    SmtpSink { child, port, mailbox, _dir: dir }
}

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

fn webhook_config(receiver: &Receiver) -> NotifierConfig {
    NotifierConfig {
        webhook_url: Some(receiver.url.clone()),
        webhook_secret: Some(Sensitive::new(SECRET.to_string())),
        timeout: Duration::from_secs(10),
        ..NotifierConfig::default()
    }
}

fn freeze(n: usize) -> Notification {
    Notification::new(
        NotificationKind::Freeze,
        format!("Account frozen (case {n})"),
        format!("Account GDQ…{n} was frozen after a sanctions match. Review case {n}."),
    )
    .with_details(json!({ "case": n, "list": "ofac-sdn", "score": 0.97 }))
}

async fn status_of(database: &Database) -> Vec<(String, String, i64, Option<String>)> {
    use anchor_core::db::schema::aml_notifications::dsl as outbox;
    use diesel::prelude::*;
    database
        .run(|conn| {
            Ok(outbox::aml_notifications
                .select((outbox::channel, outbox::status, outbox::attempts, outbox::last_error))
                .order(outbox::id.asc())
                .load(conn)?)
        })
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
#[ignore = "needs Python's aiosmtpd (pip install -r .ci/requirements.txt); run with --include-ignored"]
async fn an_email_reaches_a_real_smtp_server_on_loopback() {
    let sink = start_smtp_sink();
    for test_db in test_databases() {
        let database = test_db.database();
        let before = sink.messages().len();
        let notifier = Notifier::new(
            database.clone(),
            NotifierConfig {
                smtp_url: Some(Sensitive::new(format!("smtp://127.0.0.1:{}", sink.port))),
                smtp_from: "AML monitor <aml@anchor.example>".into(),
                officer_email: Some("officer@anchor.example, deputy@anchor.example".into()),
                ..NotifierConfig::default()
            },
        )
        .unwrap();
        notifier.enqueue(freeze(7), None).await.unwrap();
        let report = notifier.deliver_due().await.unwrap();
        assert_eq!((report.sent, report.retrying, report.failed), (1, 0, 0), "{}", test_db.name);

        let messages = sink.messages();
        assert_eq!(messages.len(), before + 1, "{}", test_db.name);
        let message = &messages[before];
        assert_eq!(message["mail_from"], "aml@anchor.example");
        assert_eq!(message["rcpt_tos"], json!(["officer@anchor.example", "deputy@anchor.example"]));
        assert_eq!(message["from"], "AML monitor <aml@anchor.example>");
        assert_eq!(message["to"], "officer@anchor.example, deputy@anchor.example");
        assert_eq!(message["subject"], "Account frozen (case 7)");
        assert_eq!(message["content_type"], "text/plain");
        let body = message["body"].as_str().unwrap();
        assert!(body.contains("Account GDQ…7 was frozen after a sanctions match. Review case 7."), "{body}");
        assert!(body.contains("\"list\": \"ofac-sdn\""), "{body}");
        let status = notifier.outbox_status().await.unwrap();
        assert_eq!((status.pending, status.sent, status.failed), (0, 1, 0), "{}", test_db.name);
        let entries = notifier.outbox(None, 10).await.unwrap();
        assert!(message["message_id"].as_str().unwrap().contains(&entries[0].delivery_id), "{message}");
        assert_eq!(entries[0].channel, "email");
        assert!(entries[0].sent_at.is_some());
    }
}

#[actix_web::test]
async fn an_unreachable_smtp_server_is_a_recorded_failed_attempt() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for test_db in test_databases() {
        let database = test_db.database();
        let notifier = Notifier::new(
            database.clone(),
            NotifierConfig {
                smtp_url: Some(Sensitive::new(format!("smtp://officer:hunter2-password@127.0.0.1:{port}"))),
                smtp_from: "aml@anchor.example".into(),
                officer_email: Some("officer@anchor.example".into()),
                ..NotifierConfig::default()
            },
        )
        .unwrap();
        notifier.enqueue(freeze(1), None).await.unwrap();
        let report = notifier.deliver_due().await.unwrap();
        assert_eq!((report.sent, report.retrying), (0, 1), "{}", test_db.name);
        let rows = status_of(&database).await;
        assert_eq!(rows.len(), 1);
        let (channel, status, attempts, error) = &rows[0];
        assert_eq!((channel.as_str(), status.as_str(), *attempts), ("email", "pending", 1));
        let error = error.as_deref().unwrap();
        assert!(error.starts_with("SMTP"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
        let status = notifier.outbox_status().await.unwrap();
        assert_eq!(status.pending, 1);
        assert_eq!(status.last_error.as_deref(), Some(error));
        assert_eq!(status.last_error_channel.as_deref(), Some("email"));
    }
}

#[actix_web::test]
async fn a_signed_webhook_reaches_a_receiver_that_checks_the_signature() {
    let receiver = start_receiver();
    for test_db in test_databases() {
        let database = test_db.database();
        let before = receiver.accepted().len();
        let notifier = Notifier::new(database.clone(), webhook_config(&receiver)).unwrap();
        notifier.enqueue(freeze(3), None).await.unwrap();
        let report = notifier.deliver_due().await.unwrap();
        assert_eq!(report.sent, 1, "{}: {:?}", test_db.name, status_of(&database).await);
        let accepted = receiver.accepted();
        assert_eq!(accepted.len(), before + 1);
        let body = &accepted[before];
        assert_eq!(body["kind"], "freeze");
        assert_eq!(body["subject"], "Account frozen (case 3)");
        assert_eq!(body["text"], "Account GDQ…3 was frozen after a sanctions match. Review case 3.");
        assert_eq!(body["details"], json!({ "case": 3, "list": "ofac-sdn", "score": 0.97 }));
        assert!(body["id"].as_str().unwrap().starts_with("ntf_"));
        assert!(chrono::DateTime::parse_from_rfc3339(body["created_at"].as_str().unwrap()).is_ok());

        // The same receiver refuses a sender that signs with another secret.
        let forger = Notifier::new(
            database.clone(),
            NotifierConfig {
                webhook_secret: Some(Sensitive::new("another-secret-0123456789".into())),
                ..webhook_config(&receiver)
            },
        )
        .unwrap();
        let bad_before = receiver.state.lock().unwrap().bad_signatures;
        forger.enqueue(freeze(4), None).await.unwrap();
        let report = forger.deliver_due().await.unwrap();
        assert_eq!((report.sent, report.retrying), (0, 1), "{}", test_db.name);
        assert_eq!(receiver.state.lock().unwrap().bad_signatures, bad_before + 1);
        assert_eq!(receiver.accepted().len(), before + 1);
        let rows = status_of(&database).await;
        let (_, status, attempts, error) = &rows[1];
        assert_eq!((status.as_str(), *attempts), ("pending", 1));
        let error = error.as_deref().unwrap();
        assert!(error.contains("401"), "{error}");
        assert!(!error.contains("another-secret"), "{error}");
    }
}

#[actix_web::test]
async fn a_failing_receiver_is_retried_until_it_recovers_and_given_up_after_max_attempts() {
    let receiver = start_receiver();
    for test_db in test_databases() {
        let database = test_db.database();
        let config = NotifierConfig {
            max_attempts: 3,
            backoff_base: Duration::from_secs(60),
            backoff_max: Duration::from_secs(600),
            ..webhook_config(&receiver)
        };
        let notifier = Notifier::new(database.clone(), config).unwrap();
        let t0 = unix_now();

        // Down: the first attempt fails and is recorded.
        receiver.set_failing(Some(500));
        notifier.enqueue(freeze(1), None).await.unwrap();
        let report = notifier.deliver_due_at(t0).await.unwrap();
        assert_eq!((report.sent, report.retrying, report.failed), (0, 1, 0), "{}", test_db.name);
        let (_, status, attempts, error) = status_of(&database).await.remove(0);
        assert_eq!((status.as_str(), attempts), ("pending", 1));
        assert!(error.as_deref().unwrap().contains("HTTP 500"), "{error:?}");
        // Not due again before the backoff has passed.
        assert_eq!(notifier.deliver_due_at(t0 + 59).await.unwrap().attempted(), 0);
        // Second attempt after 60 s, still down; the next wait doubles.
        assert_eq!(notifier.deliver_due_at(t0 + 60).await.unwrap().retrying, 1);
        assert_eq!(notifier.deliver_due_at(t0 + 60 + 119).await.unwrap().attempted(), 0);
        assert_eq!(status_of(&database).await[0].2, 2);

        // The receiver recovers: the third attempt delivers.
        receiver.set_failing(None);
        let report = notifier.deliver_due_at(t0 + 60 + 120).await.unwrap();
        assert_eq!(report.sent, 1, "{}", test_db.name);
        let (_, status, attempts, error) = status_of(&database).await.remove(0);
        assert_eq!((status.as_str(), attempts), ("sent", 3));
        assert!(error.is_some(), "the failed attempts stay on record");
        assert_eq!(receiver.accepted().last().unwrap()["subject"], "Account frozen (case 1)");

        // Down for good: after max_attempts the row is failed, logged and counted.
        receiver.set_failing(Some(503));
        notifier.enqueue(freeze(2), None).await.unwrap();
        let t1 = unix_now();
        assert_eq!(notifier.deliver_due_at(t1).await.unwrap().retrying, 1);
        assert_eq!(notifier.deliver_due_at(t1 + 60).await.unwrap().retrying, 1);
        let report = notifier.deliver_due_at(t1 + 180).await.unwrap();
        assert_eq!((report.retrying, report.failed), (0, 1), "{}", test_db.name);
        assert_eq!(notifier.deliver_due_at(t1 + 100_000).await.unwrap().attempted(), 0);
        let status = notifier.outbox_status().await.unwrap();
        assert_eq!((status.pending, status.sent, status.failed), (0, 1, 1), "{}", test_db.name);
        assert!(status.last_error.as_deref().unwrap().contains("HTTP 503"), "{status:?}");
        assert_eq!(status.last_error_at, Some(t1 + 180));
        let failed = notifier.outbox(Some("failed"), 10).await.unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!((failed[0].attempts, failed[0].subject.as_str()), (3, "Account frozen (case 2)"));

        // An officer fixes the receiver and retries: delivered.
        receiver.set_failing(None);
        assert_eq!(notifier.retry_failed(Some(failed[0].id)).await.unwrap(), 1);
        assert_eq!(notifier.deliver_due().await.unwrap().sent, 1);
        let status = notifier.outbox_status().await.unwrap();
        assert_eq!((status.pending, status.sent, status.failed), (0, 2, 0), "{}", test_db.name);
    }
}

#[actix_web::test]
async fn a_dedupe_key_enqueued_twice_delivers_once() {
    let receiver = start_receiver();
    for test_db in test_databases() {
        let database = test_db.database();
        let notifier = Notifier::new(database.clone(), webhook_config(&receiver)).unwrap();
        let summary =
            Notification::new(NotificationKind::WeeklySummary, "AML weekly summary", "3 scans, 0 hits");
        let key = anchor_aml::weekly_summary_key(unix_now());
        notifier.enqueue(summary.clone(), Some(key.clone())).await.unwrap();
        notifier.enqueue(summary.clone(), Some(key.clone())).await.unwrap();
        // Also inside a caller's transaction, which goes on and commits its own work.
        let (in_tx, other) =
            (Arc::new(Notifier::new(database.clone(), webhook_config(&receiver)).unwrap()), freeze(9));
        let (summary_in_tx, key_in_tx) = (summary.clone(), key.clone());
        database
            .run(move |conn| {
                conn.transaction::<_, DbError, _>(|conn| {
                    in_tx
                        .enqueue_in(conn, &summary_in_tx, Some(&key_in_tx))
                        .map_err(|err| DbError::Unavailable(err.to_string()))?;
                    in_tx
                        .enqueue_in(conn, &other, None)
                        .map_err(|err| DbError::Unavailable(err.to_string()))?;
                    Ok(())
                })
            })
            .await
            .unwrap();
        // Two instances enqueueing the same key at the same moment.
        let second = Notifier::new(test_db.database(), webhook_config(&receiver)).unwrap();
        let racing = Notification::new(NotificationKind::WeeklySummary, "AML weekly summary (race)", "…");
        let (a, b) = tokio::join!(
            notifier.enqueue(racing.clone(), Some("weekly-summary:race".into())),
            second.enqueue(racing.clone(), Some("weekly-summary:race".into())),
        );
        a.unwrap();
        b.unwrap();

        let before = receiver.accepted().len();
        let report = notifier.deliver_due().await.unwrap();
        assert_eq!(report.sent, 3, "{}: {:?}", test_db.name, status_of(&database).await);
        let subjects: Vec<Value> =
            receiver.accepted()[before..].iter().map(|body| body["subject"].clone()).collect();
        assert_eq!(
            subjects,
            [
                json!("AML weekly summary"),
                json!("Account frozen (case 9)"),
                json!("AML weekly summary (race)")
            ],
            "{}",
            test_db.name
        );
        assert_eq!(notifier.deliver_due().await.unwrap().attempted(), 0);
    }
}

#[actix_web::test]
async fn racing_deliveries_send_each_row_once() {
    let receiver = start_receiver();
    for test_db in test_databases() {
        // Two instances: separate pools on one database.
        let first = Notifier::new(test_db.database(), webhook_config(&receiver)).unwrap();
        let second = Notifier::new(test_db.database(), webhook_config(&receiver)).unwrap();
        for n in 0..20 {
            first.enqueue(freeze(n), None).await.unwrap();
        }
        let before = receiver.deliveries().len();
        let at = unix_now();
        let (a, b) = tokio::join!(first.deliver_due_at(at), second.deliver_due_at(at));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.sent + b.sent, 20, "{}: {a:?} {b:?}", test_db.name);
        assert_eq!(a.retrying + b.retrying + a.failed + b.failed, 0);
        eprintln!("{}: first instance {a:?}, second instance {b:?}", test_db.name);
        let deliveries = receiver.deliveries()[before..].to_vec();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for delivery in &deliveries {
            *counts.entry(delivery.as_str()).or_default() += 1;
        }
        assert_eq!(counts.len(), 20, "{}", test_db.name);
        assert!(counts.values().all(|&count| count == 1), "{}: {counts:?}", test_db.name);
    }
}

#[actix_web::test]
async fn an_enqueue_in_a_rolled_back_transaction_sends_nothing() {
    let receiver = start_receiver();
    for test_db in test_databases() {
        let database = test_db.database();
        let notifier = Arc::new(Notifier::new(database.clone(), webhook_config(&receiver)).unwrap());
        let in_tx = Arc::clone(&notifier);
        let rolled_back = database
            .run(move |conn| {
                conn.transaction::<(), DbError, _>(|conn| {
                    in_tx
                        .enqueue_in(conn, &freeze(1), None)
                        .map_err(|err| DbError::Unavailable(err.to_string()))?;
                    // The freeze that this notification reports fails: everything rolls back.
                    Err(DbError::Unavailable("the freeze failed".into()))
                })
            })
            .await;
        assert!(rolled_back.is_err());
        let in_tx = Arc::clone(&notifier);
        database
            .run(move |conn| {
                conn.transaction::<(), DbError, _>(|conn| {
                    in_tx
                        .enqueue_in(conn, &freeze(2), None)
                        .map_err(|err| DbError::Unavailable(err.to_string()))
                })
            })
            .await
            .unwrap();
        let before = receiver.accepted().len();
        assert_eq!(notifier.deliver_due().await.unwrap().sent, 1, "{}", test_db.name);
        let accepted = receiver.accepted();
        assert_eq!(accepted.len(), before + 1);
        assert_eq!(accepted[before]["subject"], "Account frozen (case 2)");
        let status = notifier.outbox_status().await.unwrap();
        assert_eq!((status.pending, status.sent, status.failed), (0, 1, 0));
    }
}

#[actix_web::test]
async fn the_background_worker_delivers_what_is_enqueued() {
    let receiver = start_receiver();
    let test_db = anchor_core::testing::sqlite_database();
    let notifier = Arc::new(Notifier::new(test_db.database(), webhook_config(&receiver)).unwrap());
    let worker = tokio::spawn(Arc::clone(&notifier).run(Duration::from_millis(20)));
    notifier.enqueue(freeze(5), None).await.unwrap();
    for _ in 0..500 {
        if !receiver.accepted().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    worker.abort();
    assert_eq!(receiver.accepted().len(), 1);
    assert_eq!(notifier.outbox_status().await.unwrap().sent, 1);
}

#[actix_web::test]
async fn without_a_channel_enqueue_is_a_no_op() {
    let test_db = anchor_core::testing::sqlite_database();
    let database = test_db.database();
    let notifier = Notifier::new(database.clone(), NotifierConfig::default()).unwrap();
    notifier.enqueue(freeze(1), None).await.unwrap();
    notifier.enqueue(freeze(2), None).await.unwrap();
    assert!(status_of(&database).await.is_empty());
    assert_eq!(notifier.deliver_due().await.unwrap().attempted(), 0);
}
