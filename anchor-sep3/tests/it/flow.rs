//! The spec's "Example of Flow" between two anchors on loopback (A sends, B receives), then the
//! pending path and the denied path, on every available backend.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use anchor_sep3::payload;
use base64::Engine as _;
use serde_json::Value;
use stellar_xdr::{Memo, OperationBody};

use crate::support::*;

const TESTNET: &str = "Test SDF Network ; September 2015";

fn memo_of(transaction_xdr: &str) -> String {
    let transaction = payload::decode_transaction(transaction_xdr).unwrap();
    let Memo::Hash(hash) = &transaction.memo else { panic!("not a hash memo") };
    base64::engine::general_purpose::STANDARD.encode(hash.0)
}

async fn tx_status(bank: &Bank, transaction_xdr: &str) -> String {
    let transaction = payload::decode_transaction(transaction_xdr).unwrap();
    let id = payload::transaction_id(&transaction, TESTNET).unwrap();
    let response =
        client().get(format!("{}/compliance/tx_status?id={id}", bank.public.url)).send().await.unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    body["status"].as_str().unwrap().to_string()
}

async fn send(a: &Bank, b: &Bank, id: &str, amount: &str) -> (u16, Value) {
    let sender = format!("aldi*{}", a.domain);
    let destination = format!("bob*{}", b.domain);
    internal(
        a,
        "/send",
        &[
            ("id", id),
            ("source", SOURCE_ACCOUNT),
            ("sender", &sender),
            ("destination", &destination),
            ("amount", amount),
        ],
    )
    .await
}

#[actix_web::test]
async fn two_anchors_complete_the_example_flow_on_every_backend() {
    for backend in backends() {
        let (a, b) = two_banks(|| database_on(backend));

        let (status, body) = send(&a, &b, "pay-1", "12.5").await;
        assert_eq!(status, 200, "{backend}: {body}");
        assert_eq!(body["auth_response"]["tx_status"], "ok", "{backend}: {body}");
        assert_eq!(body["auth_response"]["info_status"], "ok", "{backend}: {body}");
        assert!(body["auth_response"].get("dest_info").is_none(), "need_info was false: {body}");
        assert_eq!(*b.customers.asked.lock().unwrap(), 0, "need_info=false never asks for consent");
        assert_eq!(*b.customers.fetched.lock().unwrap(), 0, "need_info=false never fetches dest_info");
        let transaction_xdr = body["transaction_xdr"].as_str().unwrap().to_string();

        // The proposed transaction pays bob's federation account, sequence 0, memo = attachment hash.
        let transaction = payload::decode_transaction(&transaction_xdr).unwrap();
        assert_eq!(transaction.seq_num.0, 0);
        let OperationBody::Payment(payment) = &transaction.operations[0].body else {
            panic!("not a payment")
        };
        assert_eq!(payment.amount, 125_000_000);
        let first = payload::first_operation(&transaction).unwrap();
        assert_eq!(first.destination, BOB_ACCOUNT);

        // B screened the sender from the attachment's sender_info.
        let screened = b.officer.screened.lock().unwrap().clone();
        assert_eq!(screened.len(), 1);
        assert_eq!(screened[0].names[0].expose(), "Aldi Dobbs");
        assert_eq!(screened[0].country.as_deref(), Some("US"));

        // B's /receive returns what A signed, and tx_status says approved.
        let memo = memo_of(&transaction_xdr);
        let (status, received) = internal(&b, "/receive", &[("memo", &memo)]).await;
        assert_eq!(status, 200, "{backend}: {received}");
        let data: Value = serde_json::from_str(received["data"].as_str().unwrap()).unwrap();
        assert_eq!(data["sender"], format!("aldi*{}", a.domain));
        assert_eq!(data["tx"], transaction_xdr.as_str());
        let attachment = payload::parse_attachment(data["attachment"].as_str().unwrap()).unwrap();
        assert_eq!(attachment.route, "7");
        assert_eq!(attachment.sender_info.get("first_name").map(String::as_str), Some("Aldi"));
        assert_eq!(tx_status(&b, &transaction_xdr).await, "approved");

        // /send is idempotent by id: the same data (same nonce) again.
        let (status, again) = send(&a, &b, "pay-1", "99").await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again["transaction_xdr"], transaction_xdr.as_str());

        // An unknown memo is a 404.
        let unknown = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        let (status, body) = internal(&b, "/receive", &[("memo", &unknown)]).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("Transaction not found.")));
    }
}

#[actix_web::test]
async fn a_pending_payment_is_approved_after_the_officer_clears_it_on_every_backend() {
    for backend in backends() {
        let (a, b) = two_banks(|| database_on(backend));
        b.officer.review("Aldi Dobbs");

        let (status, body) = send(&a, &b, "pay-2", "5").await;
        assert_eq!(status, 200, "{backend}: {body}");
        assert_eq!(body["auth_response"]["tx_status"], "pending", "{body}");
        assert_eq!(body["auth_response"]["pending"], 30, "{body}");
        let transaction_xdr = body["transaction_xdr"].as_str().unwrap().to_string();
        assert_eq!(tx_status(&b, &transaction_xdr).await, "pending");
        let memo = memo_of(&transaction_xdr);
        assert_eq!(internal(&b, "/receive", &[("memo", &memo)]).await.0, 404, "stored only on 200");

        // Asking again before the officer decides is idempotent.
        let (_, body) = send(&a, &b, "pay-2", "5").await;
        assert_eq!(body["auth_response"]["tx_status"], "pending");

        b.officer.clear("Aldi Dobbs");
        let (status, body) = send(&a, &b, "pay-2", "5").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["auth_response"]["tx_status"], "ok", "{body}");
        assert_eq!(body["transaction_xdr"], transaction_xdr.as_str(), "same nonce, same transaction");
        assert_eq!(tx_status(&b, &transaction_xdr).await, "approved");
        assert_eq!(internal(&b, "/receive", &[("memo", &memo)]).await.0, 200);
    }
}

#[actix_web::test]
async fn a_denied_payment_is_refused_and_not_stored_on_every_backend() {
    for backend in backends() {
        let (a, b) = two_banks(|| database_on(backend));
        b.officer.deny("Aldi Dobbs");
        let (status, body) = send(&a, &b, "pay-3", "5").await;
        assert_eq!(status, 200, "{backend}: {body}");
        assert_eq!(body["auth_response"]["tx_status"], "denied", "{body}");
        let transaction_xdr = body["transaction_xdr"].as_str().unwrap();
        assert_eq!(tx_status(&b, transaction_xdr).await, "unknown");
        assert_eq!(internal(&b, "/receive", &[("memo", &memo_of(transaction_xdr))]).await.0, 404);
    }
}

#[actix_web::test]
async fn need_info_asks_for_consent_and_shares_dest_info_only_when_granted() {
    let b = start_bank(database_on("sqlite"), BankOptions::new(SEED_B));
    let mut options = BankOptions::new(SEED_A);
    options.module = anchor_sep3::Sep3::new().need_info(true);
    let a = start_bank(database_on("sqlite"), options);
    a.customers.add("aldi", SOURCE_ACCOUNT, 1, &[("first_name", "Aldi"), ("last_name", "Dobbs")]);
    b.customers.add("bob", BOB_ACCOUNT, 7, &[("first_name", "Bob"), ("last_name", "Stone")]);

    // No grant, ask_user refuses: info denied, nothing fetched.
    let (_, body) = send(&a, &b, "info-1", "1").await;
    assert_eq!(body["auth_response"]["info_status"], "denied", "{body}");
    assert!(body["auth_response"].get("dest_info").is_none());
    assert_eq!(*b.customers.fetched.lock().unwrap(), 0);
    assert_eq!(*b.customers.asked.lock().unwrap(), 1);

    // ask_user pending: 202 with its wait.
    *b.customers.consent.lock().unwrap() =
        Some(anchor_core::integrations::compliance::ConsentOutcome::Pending {
            retry_after: std::time::Duration::from_secs(90),
        });
    let (_, body) = send(&a, &b, "info-2", "1").await;
    assert_eq!(body["auth_response"]["info_status"], "pending", "{body}");
    assert_eq!(body["auth_response"]["pending"], 90);

    // A grant for A's domain: info ok with bob's data, without asking.
    let (status, _) = internal(
        &b,
        "/allow_access",
        &[("name", "Bank A"), ("domain", &a.domain), ("public_key", a.key.public_key())],
    )
    .await;
    assert_eq!(status, 200);
    let asked = *b.customers.asked.lock().unwrap();
    let (_, body) = send(&a, &b, "info-3", "1").await;
    assert_eq!(body["auth_response"]["info_status"], "ok", "{body}");
    let dest_info: Value =
        serde_json::from_str(body["auth_response"]["dest_info"].as_str().unwrap()).unwrap();
    assert_eq!(dest_info["first_name"], "Bob");
    assert_eq!(*b.customers.asked.lock().unwrap(), asked);

    // Removing the grant takes it back; a single-user grant works too.
    assert_eq!(internal(&b, "/remove_access", &[("domain", &a.domain)]).await.0, 200);
    *b.customers.consent.lock().unwrap() = None;
    let (_, body) = send(&a, &b, "info-4", "1").await;
    assert_eq!(body["auth_response"]["info_status"], "denied", "{body}");
    let (status, _) = internal(
        &b,
        "/allow_access",
        &[("name", "Bank A"), ("domain", &a.domain), ("public_key", a.key.public_key()), ("user_id", "aldi")],
    )
    .await;
    assert_eq!(status, 200);
    let (_, body) = send(&a, &b, "info-5", "1").await;
    assert_eq!(body["auth_response"]["info_status"], "ok", "{body}");
}

#[actix_web::test]
async fn send_reports_unresolvable_destinations() {
    let (a, b) = two_banks(|| database_on("sqlite"));
    let sender = format!("aldi*{}", a.domain);
    let nobody = format!("nobody*{}", b.domain);
    let base = [("source", SOURCE_ACCOUNT), ("sender", sender.as_str()), ("amount", "1")];
    let mut form = base.to_vec();
    form.extend([("id", "x-1"), ("destination", nobody.as_str())]);
    let (status, body) = internal(&a, "/send", &form).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("cannot resolve destination"), "{body}");

    let mut form = base.to_vec();
    form.extend([("id", "x-2"), ("destination", "bob*127.0.0.1:1")]);
    let (status, body) = internal(&a, "/send", &form).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("destination:"), "{body}");

    let mut form = base.to_vec();
    form.extend([("id", "x-3"), ("destination", "bob")]);
    assert_eq!(internal(&a, "/send", &form).await.0, 400);

    let mut form = base.to_vec();
    form.extend([("id", "x-4"), ("destination", "bob*b.example"), ("surprise", "1")]);
    let (status, body) = internal(&a, "/send", &form).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("unexpected form field"), "{body}");

    // Not our customer.
    let form = [
        ("id", "x-5"),
        ("source", SOURCE_ACCOUNT),
        ("sender", "aldi*elsewhere.example"),
        ("destination", "bob*b.example"),
        ("amount", "1"),
    ];
    let (status, body) = internal(&a, "/send", &form).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("one of our customers"), "{body}");
}

#[actix_web::test]
async fn send_reports_receivers_that_refuse_or_fail() {
    let (a, _) = two_banks(|| database_on("sqlite"));
    let sender = format!("aldi*{}", a.domain);
    for (status, body, expected) in [
        (400, r#"{"error": "Invalid country code."}"#, "answered HTTP 400: Invalid country code."),
        (500, r#"{"error": "Internal server error"}"#, "answered HTTP 500"),
        (200, "not json", "without a JSON body"),
    ] {
        let institution = start_fake_institution(status, body);
        let destination = format!("bob*{}", institution.url.trim_start_matches("http://"));
        let id = format!("fail-{status}-{}", body.len());
        let (code, answer) = internal(
            &a,
            "/send",
            &[
                ("id", &id),
                ("source", SOURCE_ACCOUNT),
                ("sender", &sender),
                ("destination", &destination),
                ("amount", "1"),
            ],
        )
        .await;
        assert_eq!(code, 503, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains(expected), "{answer}");
    }
    // A 403 is an answer, passed through.
    let institution = start_fake_institution(403, r#"{"info_status": "ok", "tx_status": "denied"}"#);
    let destination = format!("bob*{}", institution.url.trim_start_matches("http://"));
    let (code, answer) = internal(
        &a,
        "/send",
        &[
            ("id", "denied-1"),
            ("source", SOURCE_ACCOUNT),
            ("sender", &sender),
            ("destination", &destination),
            ("amount", "1"),
        ],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["auth_response"]["tx_status"], "denied");
    let transaction = payload::decode_transaction(answer["transaction_xdr"].as_str().unwrap()).unwrap();
    let data_memo = payload::memo_hash_base64(&transaction).unwrap();
    assert_eq!(data_memo.len(), 44);
}

#[actix_web::test]
async fn send_builds_a_path_payment_when_send_max_is_given() {
    let (a, b) = two_banks(|| database_on("sqlite"));
    let sender = format!("aldi*{}", a.domain);
    let destination = format!("bob*{}", b.domain);
    let issuer = a.key.public_key().to_string();
    let (status, body) = internal(
        &a,
        "/send",
        &[
            ("id", "path-1"),
            ("source", SOURCE_ACCOUNT),
            ("sender", &sender),
            ("destination", &destination),
            ("amount", "20"),
            ("asset_code", "USD"),
            ("asset_issuer", &issuer),
            ("send_max", "25.5"),
            ("send_asset_code", "EURT"),
            ("send_asset_issuer", &issuer),
            ("path[0][asset_code]", ""),
            ("path[0][asset_issuer]", ""),
            ("path[1][asset_code]", "BTC"),
            ("path[1][asset_issuer]", &issuer),
            ("extra_memo", "invoice 42"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["auth_response"]["tx_status"], "ok", "{body}");
    let transaction = payload::decode_transaction(body["transaction_xdr"].as_str().unwrap()).unwrap();
    let OperationBody::PathPaymentStrictReceive(op) = &transaction.operations[0].body else {
        panic!("not a path payment")
    };
    assert_eq!((op.dest_amount, op.send_max, op.path.len()), (200_000_000, 255_000_000, 1));
    let first = payload::first_operation(&transaction).unwrap();
    assert_eq!((first.amount.as_str(), first.asset_code.as_str()), ("20.0000000", "USD"));

    // B stored the attachment with the extra memo.
    let memo = payload::memo_hash_base64(&transaction).unwrap();
    let (_, received) = internal(&b, "/receive", &[("memo", &memo)]).await;
    let data: Value = serde_json::from_str(received["data"].as_str().unwrap()).unwrap();
    let attachment = payload::parse_attachment(data["attachment"].as_str().unwrap()).unwrap();
    assert_eq!(attachment.extra, "invoice 42");

    // A bad asset is a 400 naming the field.
    let (status, body) = internal(
        &a,
        "/send",
        &[
            ("id", "path-2"),
            ("source", SOURCE_ACCOUNT),
            ("sender", &sender),
            ("destination", &destination),
            ("amount", "20"),
            ("asset_code", "TOOLONGASSETCODE"),
            ("asset_issuer", &issuer),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("asset_code:"), "{body}");
}

#[actix_web::test]
async fn a_frozen_paying_account_is_refused_by_send_before_anything_is_stored_or_sent() {
    let (a, b) = two_banks(|| database_on("sqlite"));
    let (status, body) = send(&a, &b, "fz-1", "1").await;
    assert_eq!(status, 200, "{body}");

    a.freezer.frozen.lock().unwrap().insert(SOURCE_ACCOUNT.to_string());
    let (status, body) = send(&a, &b, "fz-2", "1").await;
    assert_eq!(status, 403, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(!message.contains("sanction") && !message.contains("list"), "{message}");
    // Nothing was stored for the refused id: once unfrozen, the same id builds a new request.
    // A re-send of an id stored earlier is refused too while the account is frozen.
    let (status, _) = send(&a, &b, "fz-1", "1").await;
    assert_eq!(status, 403);

    a.freezer.frozen.lock().unwrap().clear();
    let (status, body) = send(&a, &b, "fz-2", "2").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["auth_response"]["tx_status"], "ok", "{body}");
}
