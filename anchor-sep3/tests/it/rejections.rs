//! The rejection matrix of `POST AUTH_SERVER`, each with its status and message, plus the
//! nonce rules, the failure-to-screen policy and the internal API's key check.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use anchor_core::keys::SigningKey;
use anchor_core::testing;
use anchor_sep3::payload::{self, AuthData, PaymentSpec};
use anchor_sep3::{ScreeningFailurePolicy, Sep3};
use serde_json::Value;
use stellar_xdr::{Limits, Memo, StringM, TransactionEnvelope, TransactionV1Envelope, WriteXdr};

use crate::support::*;

/// A request from A's customer aldi to B's bob, built like `/send` builds it.
struct Request {
    sender: String,
    attachment: String,
    transaction: stellar_xdr::Transaction,
    need_info: bool,
}

impl Request {
    fn new(sender_domain: &str, nonce: &str) -> Self {
        let mut info = serde_json::Map::new();
        info.insert("first_name".into(), "Aldi".into());
        info.insert("last_name".into(), "Dobbs".into());
        let attachment = payload::build_attachment(nonce, &info, "7", "").unwrap();
        let spec = PaymentSpec::Payment {
            destination: BOB_ACCOUNT.into(),
            asset: stellar_xdr::Asset::Native,
            amount: 10_000_000,
        };
        let transaction = payload::build_transaction(SOURCE_ACCOUNT, &spec, &attachment).unwrap();
        Request { sender: format!("aldi*{sender_domain}"), attachment, transaction, need_info: false }
    }

    fn data_with_tx(&self, tx: String) -> String {
        payload::build_data(&AuthData {
            sender: self.sender.clone(),
            need_info: self.need_info,
            tx,
            attachment: self.attachment.clone(),
        })
        .unwrap()
    }

    fn data(&self) -> String {
        self.data_with_tx(payload::encode_transaction(&self.transaction).unwrap())
    }
}

async fn post_signed(b: &Bank, key: &SigningKey, data: &str) -> (u16, Value) {
    let sig = sign(key, data);
    post_auth(b, &[("data", data), ("sig", &sig)]).await
}

fn error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

#[actix_web::test]
async fn the_rejection_matrix() {
    let (a, b) = two_banks(|| database_on("sqlite"));
    let request = Request::new(&a.domain, "n-1");
    let data = request.data();

    // The baseline is accepted.
    let (status, body) = post_signed(&b, &a.key, &data).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["tx_status"].as_str(), body["info_status"].as_str()), (Some("ok"), Some("ok")));

    // Bad signature: A's key over other bytes.
    let sig = sign(&a.key, &format!("{data} "));
    let (status, body) = post_auth(&b, &[("data", &data), ("sig", &sig)]).await;
    assert_eq!((status, error(&body)), (400, "sig: Invalid signature."));

    // A key other than the toml's.
    let (status, body) = post_signed(&b, &other_key(), &data).await;
    assert_eq!((status, error(&body)), (400, "sig: Invalid signature."));

    // sig not base64, or not 64 bytes.
    let (status, body) = post_auth(&b, &[("data", &data), ("sig", "not base64!")]).await;
    assert_eq!((status, error(&body)), (400, "sig: is not valid base64"));
    let (status, body) = post_auth(&b, &[("data", &data), ("sig", "AAAA")]).await;
    assert_eq!((status, error(&body)), (400, "sig: is not a 64-byte ed25519 signature"));

    // A literal `+` in sig decodes to a space (strict form decoding), so it must be percent-encoded.
    let sig = sign(&a.key, &data);
    if sig.contains('+') {
        let body = format!(
            "data={}&sig={sig}",
            url::form_urlencoded::byte_serialize(data.as_bytes()).collect::<String>()
        );
        let response = client()
            .post(format!("{}/compliance", b.public.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
    }

    // Memo mismatch: the transaction's memo hashes another attachment.
    let mut other = Request::new(&a.domain, "n-2");
    other.transaction = Request::new(&a.domain, "n-3").transaction;
    let (status, body) = post_signed(&b, &a.key, &other.data()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error(&body), "data.tx: the memo hash does not match the SHA-256 of data.attachment");

    // Non-hash memo.
    let mut text_memo = Request::new(&a.domain, "n-4");
    text_memo.transaction.memo = Memo::Text(StringM::try_from("hello".as_bytes().to_vec()).unwrap());
    let (status, body) = post_signed(&b, &a.key, &text_memo.data()).await;
    assert_eq!(
        (status, error(&body)),
        (400, "data.tx: the memo must be of type hash (SHA-256 of data.attachment)")
    );

    // An envelope instead of the transaction.
    let envelope = TransactionEnvelope::Tx(TransactionV1Envelope {
        tx: request.transaction.clone(),
        signatures: Default::default(),
    });
    let tx = envelope.to_xdr_base64(Limits::none()).unwrap();
    let (status, body) = post_signed(&b, &a.key, &request.data_with_tx(tx)).await;
    assert_eq!(status, 400, "{body}");
    assert!(error(&body).starts_with("data.tx: is a transaction envelope"), "{body}");

    // A fee-bump.
    let fee_bump = TransactionEnvelope::TxFeeBump(stellar_xdr::FeeBumpTransactionEnvelope {
        tx: stellar_xdr::FeeBumpTransaction {
            fee_source: request.transaction.source_account.clone(),
            fee: 200,
            inner_tx: stellar_xdr::FeeBumpTransactionInnerTx::Tx(TransactionV1Envelope {
                tx: request.transaction.clone(),
                signatures: Default::default(),
            }),
            ext: stellar_xdr::FeeBumpTransactionExt::V0,
        },
        signatures: Default::default(),
    });
    let tx = fee_bump.to_xdr_base64(Limits::none()).unwrap();
    let (status, body) = post_signed(&b, &a.key, &request.data_with_tx(tx)).await;
    assert_eq!(status, 400, "{body}");
    assert!(error(&body).contains("fee-bump"), "{body}");

    // A V0 transaction.
    let stellar_xdr::MuxedAccount::Ed25519(source) = request.transaction.source_account.clone() else {
        panic!()
    };
    let v0 = stellar_xdr::TransactionV0 {
        source_account_ed25519: source,
        fee: 100,
        seq_num: stellar_xdr::SequenceNumber(0),
        time_bounds: None,
        memo: request.transaction.memo.clone(),
        operations: request.transaction.operations.clone(),
        ext: stellar_xdr::TransactionV0Ext::V0,
    };
    let tx = v0.to_xdr_base64(Limits::none()).unwrap();
    let (status, body) = post_signed(&b, &a.key, &request.data_with_tx(tx)).await;
    assert_eq!(status, 400, "{body}");
    assert!(error(&body).contains("V0 transaction"), "{body}");

    // Missing and extra form fields.
    let sig = sign(&a.key, &data);
    let (status, body) = post_auth(&b, &[("data", &data)]).await;
    assert_eq!((status, error(&body)), (400, "sig: missing form field"));
    let (status, body) = post_auth(&b, &[("sig", &sig)]).await;
    assert_eq!((status, error(&body)), (400, "data: missing form field"));
    let (status, body) = post_auth(&b, &[("data", &data), ("sig", &sig), ("extra", "1")]).await;
    assert_eq!((status, error(&body)), (400, "extra: unexpected form field"));
    let (status, body) = post_auth(&b, &[("data", &data), ("sig", &sig), ("sig", &sig)]).await;
    assert_eq!((status, error(&body)), (400, "sig: given more than once"));

    // Not a form at all.
    let response = client()
        .post(format!("{}/compliance", b.public.url))
        .json(&serde_json::json!({"data": data}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);

    // sender without `*`, or with two.
    for (sender, expected) in [
        ("aldi".to_string(), "data.sender: must be a federation address name*domain"),
        (
            format!("al*di*{}", a.domain),
            "data.sender: must contain exactly one `*` (name*domain); it has several",
        ),
    ] {
        let mut bad = Request::new(&a.domain, "n-5");
        bad.sender = sender;
        let (status, body) = post_signed(&b, &a.key, &bad.data()).await;
        assert_eq!((status, error(&body)), (400, expected));
    }

    // An internationalised domain must arrive in its ASCII (punycode) form.
    let mut idn = Request::new(&a.domain, "n-6");
    idn.sender = "aldi*bänk.example".into();
    let (status, body) = post_signed(&b, &a.key, &idn.data()).await;
    assert_eq!((status, error(&body)), (400, "data.sender: `bänk.example` is not a valid domain"));

    // Invalid JSON in data.
    let (status, body) = post_signed(&b, &a.key, "{not json").await;
    assert_eq!(status, 400, "{body}");
    assert!(error(&body).starts_with("data: is not the SEP-3 JSON object"), "{body}");
    let (status, body) =
        post_signed(&b, &a.key, r#"{"sender":"a*b.example","need_info":"yes","tx":"","attachment":""}"#)
            .await;
    assert_eq!(status, 400, "{body}");

    // Oversized body.
    let huge = "x".repeat(300 * 1024);
    let (status, _) = post_auth(&b, &[("data", &huge), ("sig", &sig)]).await;
    assert_eq!(status, 413);

    // The nonce of an approved request cannot carry another request.
    let mut reuse = Request::new(&a.domain, "n-1");
    reuse.transaction.fee = 200;
    let (status, body) = post_signed(&b, &a.key, &reuse.data()).await;
    assert_eq!(status, 400, "{body}");
    assert!(error(&body).contains("nonce was already used"), "{body}");
    // …but the same request again is answered again.
    let (status, _) = post_signed(&b, &a.key, &data).await;
    assert_eq!(status, 200);
    // …also when the sender re-serialised `data` (other key order, whitespace).
    let value: Value = serde_json::from_str(&data).unwrap();
    let reordered = format!(
        "{{ \"attachment\": {}, \"tx\": {}, \"need_info\": false, \"sender\": {} }}",
        value["attachment"], value["tx"], value["sender"]
    );
    assert_ne!(reordered, data);
    let (status, body) = post_signed(&b, &a.key, &reordered).await;
    assert_eq!(status, 200, "{body}");
}

#[actix_web::test]
async fn unusable_sender_stellar_tomls_are_400s() {
    let (_, b) = two_banks(|| database_on("sqlite"));
    let key = SigningKey::from_seed(SEED_A).unwrap();

    let too_large =
        start_toml(format!("SIGNING_KEY = \"{}\"\n# {}\n", key.public_key(), "x".repeat(110 * 1024)));
    let no_key = start_toml("VERSION = \"2.0.0\"\n".to_string());
    let seed_as_key = start_toml(format!("SIGNING_KEY = \"{SEED_A}\"\n"));
    let not_toml = start_toml("SIGNING_KEY = \n[[".to_string());
    let domain = |server: &Server| server.url.trim_start_matches("http://").to_string();

    let cases = [
        ("127.0.0.1:1".to_string(), "the request failed"),
        (domain(&too_large), "larger than 100 KiB"),
        (domain(&no_key), "it has no SIGNING_KEY"),
        (domain(&seed_as_key), "SIGNING_KEY is not a valid G… public key"),
        (domain(&not_toml), "not valid TOML"),
    ];
    for (sender_domain, expected) in cases {
        let request = Request::new(&sender_domain, "t-1");
        let (status, body) = post_signed(&b, &key, &request.data()).await;
        assert_eq!(status, 400, "{sender_domain}: {body}");
        let message = error(&body);
        assert!(
            message.starts_with("data.sender: ") && message.contains(expected),
            "{sender_domain}: {message}"
        );
    }
}

#[actix_web::test]
async fn a_failure_to_screen_never_passes() {
    // Default policy: pending.
    let (a, b) = two_banks(|| database_on("sqlite"));
    b.officer.set_broken(true);
    let (status, body) = post_signed(&b, &a.key, &Request::new(&a.domain, "f-1").data()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!((body["tx_status"].as_str(), body["pending"].as_u64()), (Some("pending"), Some(300)));

    // Deny policy.
    let mut options = BankOptions::new(SEED_B);
    options.module = Sep3::new().on_screening_failure(ScreeningFailurePolicy::Deny);
    let strict = start_bank(database_on("sqlite"), options);
    strict.officer.set_broken(true);
    let (status, body) = post_signed(&strict, &a.key, &Request::new(&a.domain, "f-2").data()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["tx_status"], "denied");
}

#[actix_web::test]
async fn pending_then_denied_statuses_use_the_spec_codes() {
    let (a, b) = two_banks(|| database_on("sqlite"));
    b.officer.review("Aldi Dobbs");
    let request = Request::new(&a.domain, "p-1");
    let (status, body) = post_signed(&b, &a.key, &request.data()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body, serde_json::json!({"info_status": "ok", "tx_status": "pending", "pending": 30}));
    // A different request reusing a pending nonce is refused.
    let mut reuse = Request::new(&a.domain, "p-1");
    reuse.transaction.fee = 300;
    let (status, body) = post_signed(&b, &a.key, &reuse.data()).await;
    assert_eq!(status, 400, "{body}");

    b.officer.deny("Aldi Dobbs");
    let (status, body) = post_signed(&b, &a.key, &request.data()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body, serde_json::json!({"info_status": "ok", "tx_status": "denied"}));
}

#[actix_web::test]
async fn tx_status_checks_its_id() {
    let (_, b) = two_banks(|| database_on("sqlite"));
    for query in ["", "?id=", "?id=xyz", "?id=zz2abe8882d508958169eaa9beb8b8f0c52471e886c68f1b8110a7d7cb495e"]
    {
        let response =
            client().get(format!("{}/compliance/tx_status{query}", b.public.url)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{query}");
    }
    let id = "1ead2abe8882d508958169eaa9beb8b8f0c52471e886c68f1b8110a7d7cb495e";
    let response =
        client().get(format!("{}/compliance/tx_status?id={id}", b.public.url)).send().await.unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("unknown")));
}

#[actix_web::test]
async fn the_internal_api_needs_the_admin_key() {
    let (_, b) = two_banks(|| database_on("sqlite"));
    for path in ["/send", "/receive", "/allow_access", "/remove_access"] {
        let url = format!("{}{path}", b.internal.url);
        let response = client().post(&url).form(&[("memo", "x")]).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401, "{path} without a key");
        let response =
            client().post(&url).bearer_auth("wrong-key").form(&[("memo", "x")]).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401, "{path} with a wrong key");
    }
    // The internal routes are not on the public listener.
    let response = client()
        .post(format!("{}/send", b.public.url))
        .bearer_auth(testing::TEST_ADMIN_API_KEY)
        .form(&[("id", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    // Field checks of the internal API.
    let (status, body) = internal(&b, "/receive", &[("memo", "short")]).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) =
        internal(&b, "/allow_access", &[("name", "X"), ("domain", "x.example"), ("public_key", "nope")])
            .await;
    assert_eq!((status, error(&body)), (400, "public_key: must be a G… account"));
    let (status, body) = internal(&b, "/send", &[("source", SOURCE_ACCOUNT)]).await;
    assert_eq!((status, error(&body)), (400, "id: missing form field"));
}

#[actix_web::test]
async fn the_module_publishes_its_servers_and_refuses_missing_integrations() {
    let (_, b) = two_banks(|| database_on("sqlite"));
    let toml = client()
        .get(format!("{}/.well-known/stellar.toml", b.public.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(toml.contains(&format!("AUTH_SERVER = \"http://{}/compliance\"", b.domain)), "{toml}");
    assert!(toml.contains(&format!("FEDERATION_SERVER = \"http://{}/federation\"", b.domain)), "{toml}");

    let settings = testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-3")]);
    let database = database_on("sqlite");
    let registered = anchor_core::register_integrations(
        &settings,
        anchor_core::Integrations::new().sanctions(Officer::default()),
    )
    .unwrap();
    let err = anchor_core::AnchorApp::builder(settings, database.database(), registered)
        .module(Sep3::new())
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("FederationIntegration") && text.contains("ComplianceIntegration"), "{text}");
}

#[actix_web::test]
async fn a_rotated_sender_key_is_picked_up_and_forgeries_do_not_hammer_the_sender() {
    let (_, b) = two_banks(|| database_on("sqlite"));
    let toml = MutableToml::default();
    let old_key = SigningKey::from_bytes([1u8; 32]);
    let new_key = SigningKey::from_bytes([2u8; 32]);
    *toml.body.lock().unwrap() = format!("SIGNING_KEY = \"{}\"\n", old_key.public_key());
    let server = start_mutable_toml(toml.clone());
    let domain = server.url.trim_start_matches("http://").to_string();

    let (status, body) = post_signed(&b, &old_key, &Request::new(&domain, "r-1").data()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(*toml.fetches.lock().unwrap(), 1, "cached after the first fetch");

    // The institution rotates its key: the first failure fetches the file again.
    *toml.body.lock().unwrap() = format!("SIGNING_KEY = \"{}\"\n", new_key.public_key());
    let (status, body) = post_signed(&b, &new_key, &Request::new(&domain, "r-2").data()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(*toml.fetches.lock().unwrap(), 2);

    // Forgeries right after do not make us fetch again.
    for nonce in ["r-3", "r-4", "r-5"] {
        let (status, body) = post_signed(&b, &other_key(), &Request::new(&domain, nonce).data()).await;
        assert_eq!((status, error(&body)), (400, "sig: Invalid signature."));
    }
    assert_eq!(*toml.fetches.lock().unwrap(), 2);
}

#[actix_web::test]
async fn a_frozen_receiving_account_is_refused_and_a_registry_failure_fails_closed() {
    let (a, b) = two_banks(|| database_on("sqlite"));
    b.freezer.frozen.lock().unwrap().insert(BOB_ACCOUNT.to_string());
    let (status, body) = post_signed(&b, &a.key, &Request::new(&a.domain, "z-1").data()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body, serde_json::json!({"info_status": "ok", "tx_status": "denied"}));

    b.freezer.frozen.lock().unwrap().clear();
    *b.freezer.broken.lock().unwrap() = true;
    let (status, body) = post_signed(&b, &a.key, &Request::new(&a.domain, "z-2").data()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["tx_status"], "pending");

    *b.freezer.broken.lock().unwrap() = false;
    let (status, body) = post_signed(&b, &a.key, &Request::new(&a.domain, "z-2").data()).await;
    assert_eq!(status, 200, "{body}");
}
