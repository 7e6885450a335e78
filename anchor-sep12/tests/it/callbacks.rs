//! Status callbacks to a real HTTP receiver on loopback, verifying the signature with the
//! server's public key; only status changes fire; URL rules; the outbox: a callback queued with
//! the status change survives a restart, is given up after its attempts, and is erased with
//! its customer.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use reqwest::Method;
use serde_json::json;
use tokio::sync::mpsc;

use super::support::*;

struct Received {
    signature: String,
    legacy_signature: String,
    body: Vec<u8>,
}

struct Receiver {
    url: String,
    host: String,
    deliveries: mpsc::UnboundedReceiver<Received>,
    /// While `false`, every request is answered 500.
    healthy: Arc<AtomicBool>,
    _handle: actix_web::dev::ServerHandle,
}

/// A real HTTP server on loopback that records every callback; the first `fail_first`
/// requests are answered 500.
fn receiver(fail_first: usize) -> Receiver {
    let (sender, deliveries) = mpsc::unbounded_channel();
    let seen = Arc::new(AtomicUsize::new(0));
    let healthy = Arc::new(AtomicBool::new(true));
    let healthy_flag = healthy.clone();
    let server = HttpServer::new(move || {
        let sender = sender.clone();
        let seen = seen.clone();
        let healthy = healthy_flag.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let sender = sender.clone();
                let seen = seen.clone();
                let healthy = healthy.clone();
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|value| value.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let _ = sender.send(Received {
                        signature: header("Signature"),
                        legacy_signature: header("X-Stellar-Signature"),
                        body: body.to_vec(),
                    });
                    if seen.fetch_add(1, Ordering::SeqCst) < fail_first || !healthy.load(Ordering::SeqCst) {
                        HttpResponse::InternalServerError().finish()
                    } else {
                        HttpResponse::Ok().finish()
                    }
                }
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
    Receiver {
        url: format!("http://{addr}/hook"),
        host: addr.to_string(),
        deliveries,
        healthy,
        _handle: handle,
    }
}

/// A receiver that answers 500 until `healthy` is set.
fn failing_receiver() -> Receiver {
    let receiver = receiver(0);
    receiver.healthy.store(false, Ordering::SeqCst);
    receiver
}

/// The outbox rows of `customer`: (state, attempts), oldest first.
async fn outbox_rows(h: &Harness, customer: &str) -> Vec<(String, i64)> {
    use anchor_core::db::schema::sep12_callback_outbox as outbox;
    use diesel::prelude::*;
    let customer = customer.to_string();
    h.database()
        .run(move |conn| {
            Ok(outbox::table
                .filter(outbox::customer_id.eq(customer))
                .order(outbox::id.asc())
                .select((outbox::state, outbox::attempts))
                .load(conn)?)
        })
        .await
        .unwrap()
}

/// Polls the outbox rows of `customer` until `done` holds, within a generous deadline.
async fn outbox_until(
    h: &Harness,
    customer: &str,
    done: impl Fn(&[(String, i64)]) -> bool,
) -> Vec<(String, i64)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let rows = outbox_rows(h, customer).await;
        if done(&rows) || tokio::time::Instant::now() > deadline {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn verify(received: &Received, host: &str, public_key: &str) -> serde_json::Value {
    let (t, s) = received
        .signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(", s="))
        .unwrap_or_else(|| panic!("bad Signature header {:?}", received.signature));
    let age = chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "t is fresh");
    let mut payload = format!("{t}.{host}.").into_bytes();
    payload.extend_from_slice(&received.body);
    let key = stellar_strkey::ed25519::PublicKey::from_string(public_key).unwrap();
    let key = VerifyingKey::from_bytes(&key.0).unwrap();
    let signature: [u8; 64] =
        base64::engine::general_purpose::STANDARD.decode(s).unwrap().try_into().unwrap();
    key.verify(&payload, &Signature::from_bytes(&signature))
        .expect("the callback signature verifies with SIGNING_KEY");
    assert_eq!(received.legacy_signature, received.signature);
    serde_json::from_slice(&received.body).unwrap()
}

async fn next(receiver: &mut Receiver, within: Duration) -> Option<Received> {
    tokio::time::timeout(within, receiver.deliveries.recv()).await.ok().flatten()
}

#[actix_web::test]
async fn a_status_change_fires_one_signed_callback_and_retries_on_failure() {
    for h in harnesses(&[]) {
        let mut hook = receiver(1);
        let client = h.as_(G1);
        let id =
            client.put_json(json!({"first_name": "Jane"})).await.body["id"].as_str().unwrap().to_string();
        let registered =
            client.json(Method::PUT, "/customer/callback", json!({"url": hook.url, "id": id})).await;
        assert_eq!(registered.status, 200, "{}: {}", h.backend, registered.body);
        assert_eq!(registered.body, json!({"success": true}));

        // Still NEEDS_INFO: no callback (anchor-platform#1475 fired on every PUT).
        assert_eq!(client.put_json(json!({"last_name": "Doe"})).await.status, 202);
        assert!(next(&mut hook, Duration::from_millis(700)).await.is_none(), "{}", h.backend);

        // NEEDS_INFO → ACCEPTED: one callback, refused once by the receiver, then retried.
        assert_eq!(client.put_json(json!({"email_address": "jane@example.com"})).await.status, 202);
        let public_key = h.settings.signing_key_public().to_string();
        let first = next(&mut hook, Duration::from_secs(5)).await.expect("a callback");
        let body = verify(&first, &hook.host, &public_key);
        let retried = next(&mut hook, Duration::from_secs(5)).await.expect("a retry");
        let retried_body = verify(&retried, &hook.host, &public_key);
        assert_eq!(body, retried_body);
        let current = client.get(&format!("/customer?id={id}")).await;
        assert_eq!(body, current.body);
        assert_eq!(body["status"], "ACCEPTED");
        assert_eq!(body["id"], id.as_str());

        // A final status ends the registration: further PUTs fire nothing.
        assert_eq!(client.put_json(json!({"first_name": "Janet"})).await.status, 202);
        assert!(next(&mut hook, Duration::from_millis(1500)).await.is_none());
    }
}

#[actix_web::test]
async fn a_callback_url_pointing_inward_is_refused_at_registration_outside_local_mode() {
    let overrides = [("LOCAL_MODE", "false"), ("HOST_URL", "https://anchor.example")];
    for h in harnesses(&overrides) {
        let client = h.as_(G1);
        client.put_json(json!({"first_name": "Jane"})).await;
        for (url, message) in [
            ("http://wallet.example/hook", "`url` must use https"),
            ("https://127.0.0.1/hook", "private, loopback"),
            ("https://10.0.0.8/hook", "private, loopback"),
            ("https://[::1]/hook", "private, loopback"),
            ("https://10.0.0.5/", "private, loopback"),
            ("https://[fd00::1]/", "private, loopback"),
            ("https://[::ffff:10.0.0.5]/", "private, loopback"),
            ("https://[::a00:5]/", "private, loopback"),
            ("https://[64:ff9b::a00:5]/", "private, loopback"),
            ("https://169.254.169.254/latest/meta-data/", "private, loopback"),
            ("https://user:pw@wallet.example/hook", "credentials"),
            ("wallet", "not an absolute URL"),
        ] {
            let answer = client.json(Method::PUT, "/customer/callback", json!({"url": url})).await;
            assert_eq!(answer.status, 400, "{}: {url}", h.backend);
            assert!(answer.error().contains(message), "{url}: {}", answer.error());
        }
        let answer = client.json(Method::PUT, "/customer/callback", json!({})).await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.error(), "`url` is required");
    }
}

#[actix_web::test]
async fn callbacks_need_a_known_customer_of_the_caller() {
    for h in harnesses(&[]) {
        let hook = receiver(0);
        let answer = h.as_(G2).json(Method::PUT, "/customer/callback", json!({"url": hook.url})).await;
        assert_eq!(answer.status, 404, "{}", h.backend);
        let id =
            h.as_(G1).put_json(json!({"first_name": "Jane"})).await.body["id"].as_str().unwrap().to_string();
        let answer =
            h.as_(G2).json(Method::PUT, "/customer/callback", json!({"url": hook.url, "id": id})).await;
        assert_eq!(answer.status, 404);
    }
}

#[actix_web::test]
async fn a_registration_watches_the_type_it_was_made_for() {
    for h in harnesses(&[]) {
        let mut hook = receiver(0);
        let client = h.as_(G1);
        client.put_json(json!({"first_name": "Jane", "last_name": "Doe"})).await;
        let registered = client
            .json(Method::PUT, "/customer/callback", json!({"url": hook.url, "type": "sep31-receiver"}))
            .await;
        assert_eq!(registered.status, 200, "{}", h.backend);
        // `default` becomes ACCEPTED, `sep31-receiver` still needs its bank account: no callback.
        let answer = client.put_json(json!({"email_address": "jane@example.com", "type": "default"})).await;
        assert_eq!(answer.status, 202);
        assert!(next(&mut hook, Duration::from_millis(700)).await.is_none(), "{}", h.backend);
        // Now `sep31-receiver` changes: one callback with that type's status.
        client.put_json(json!({"bank_account_number": "12345678", "type": "sep31-receiver"})).await;
        let delivered = next(&mut hook, Duration::from_secs(5)).await.expect("a callback");
        let body = verify(&delivered, &hook.host, h.settings.signing_key_public());
        assert_eq!(body["status"], "ACCEPTED");
        assert_eq!(body, client.get("/customer?type=sep31-receiver").await.body);
    }
}

#[actix_web::test]
async fn a_status_callback_queued_before_a_restart_is_delivered_by_the_next_process() {
    for mut h in harnesses(&[("SEP12_CALLBACK_TIMEOUT", "2")]) {
        let mut hook = failing_receiver();
        let client = h.as_(G1);
        let id =
            client.put_json(json!({"first_name": "Jane"})).await.body["id"].as_str().unwrap().to_string();
        let registered =
            client.json(Method::PUT, "/customer/callback", json!({"url": hook.url, "id": id})).await;
        assert_eq!(registered.status, 200, "{}: {}", h.backend, registered.body);
        drop(client);

        // NEEDS_INFO → ACCEPTED; the queued row is in the database when the PUT answers, even
        // though the registration ended with it.
        let answer =
            h.as_(G1).put_json(json!({"last_name": "Doe", "email_address": "jane@example.com"})).await;
        assert_eq!(answer.status, 202, "{}", h.backend);
        let rows = outbox_rows(&h, &id).await;
        assert_eq!(rows.len(), 1, "{}: {rows:?}", h.backend);
        assert_eq!(rows[0].0, "pending", "{}", h.backend);

        // The wallet refuses the first attempt; the process goes away before any retry.
        let refused = next(&mut hook, Duration::from_secs(30)).await.expect("a first attempt");
        h.restart();
        hook.healthy.store(true, Ordering::SeqCst);

        // The next process delivers it, signed at delivery time, with the status it recorded.
        let public_key = h.settings.signing_key_public().to_string();
        let delivered = next(&mut hook, Duration::from_secs(60)).await.expect("delivered after the restart");
        let body = verify(&delivered, &hook.host, &public_key);
        assert_eq!(body, verify(&refused, &hook.host, &public_key));
        assert_eq!(body["status"], "ACCEPTED", "{}", h.backend);
        assert_eq!(body["id"], id.as_str());
        assert_eq!(body, h.as_(G1).get(&format!("/customer?id={id}")).await.body);
        let rows = outbox_until(&h, &id, |rows| rows.iter().all(|(state, _)| state == "delivered")).await;
        // 2 attempts, or 1 when the process went away before it recorded the refused one (the
        // row then stayed leased until its lease expired).
        assert_eq!(rows.len(), 1, "{}: {rows:?}", h.backend);
        assert!(rows[0].0 == "delivered" && (1..=2).contains(&rows[0].1), "{}: {rows:?}", h.backend);
        assert!(
            next(&mut hook, Duration::from_millis(1500)).await.is_none(),
            "{}: delivered once",
            h.backend
        );
    }
}

#[actix_web::test]
async fn a_status_callback_the_wallet_keeps_refusing_is_given_up_after_its_attempts() {
    for h in harnesses(&[("SEP12_CALLBACK_MAX_ATTEMPTS", "2")]) {
        let mut hook = failing_receiver();
        let client = h.as_(G1);
        let id =
            client.put_json(json!({"first_name": "Jane"})).await.body["id"].as_str().unwrap().to_string();
        client.json(Method::PUT, "/customer/callback", json!({"url": hook.url, "id": id})).await;
        assert_eq!(
            client.put_json(json!({"last_name": "Doe", "email_address": "j@example.com"})).await.status,
            202
        );
        let rows = outbox_until(&h, &id, |rows| rows.iter().any(|(state, _)| state == "failed")).await;
        assert_eq!(rows, vec![("failed".to_string(), 2)], "{}", h.backend);
        assert!(next(&mut hook, Duration::from_secs(5)).await.is_some());
        assert!(next(&mut hook, Duration::from_secs(5)).await.is_some());
        assert!(
            next(&mut hook, Duration::from_millis(2500)).await.is_none(),
            "{}: no third attempt",
            h.backend
        );
    }
}

#[actix_web::test]
async fn erasing_a_customer_drops_its_undelivered_status_callbacks() {
    for h in harnesses(&[]) {
        let hook = failing_receiver();
        let client = h.as_(G1);
        let id =
            client.put_json(json!({"first_name": "Jane"})).await.body["id"].as_str().unwrap().to_string();
        client.json(Method::PUT, "/customer/callback", json!({"url": hook.url, "id": id})).await;
        assert_eq!(
            client.put_json(json!({"last_name": "Doe", "email_address": "j@example.com"})).await.status,
            202
        );
        assert_eq!(outbox_rows(&h, &id).await.len(), 1, "{}", h.backend);
        let erased = client.json(Method::DELETE, &format!("/customer/{G1}"), json!({})).await;
        assert_eq!(erased.status, 200, "{}: {}", h.backend, erased.body);
        assert!(outbox_rows(&h, &id).await.is_empty(), "{}", h.backend);
    }
}
