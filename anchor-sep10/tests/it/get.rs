//! `GET /auth`: parameters, the challenge's layout, CORS, screening, the signed request header.

use anchor_core::testing;
use anchor_core::Integrations;
use anchor_sep10::challenge::{read_challenge, ClientAccount, Verifier};
use base64::Engine as _;
use stellar_xdr::{Limits, Memo, OperationBody, Preconditions, ReadXdr, TransactionEnvelope};

use crate::support::{self, anchor, key, muxed, BrokenRegistry, FreezeOne, HorizonState};

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[actix_web::test]
async fn a_challenge_is_laid_out_as_the_spec_says() {
    let db = testing::sqlite_database();
    let anchor = anchor(&db, "http://127.0.0.1:9", &[], Integrations::default());
    let client = key();
    let before = now();
    let xdr = anchor.challenge(&format!("?account={}&memo=18446744073709551615", client.public_key())).await;
    let TransactionEnvelope::Tx(envelope) =
        TransactionEnvelope::from_xdr_base64(&xdr, Limits::none()).unwrap()
    else {
        panic!("v1 envelope")
    };
    let tx = &envelope.tx;
    let server = anchor.settings.signing_key.public_key_bytes();
    assert_eq!(tx.seq_num.0, 0);
    let Preconditions::Time(bounds) = &tx.cond else { panic!("time bounds") };
    assert!(bounds.min_time.0 >= before && bounds.min_time.0 <= now());
    assert_eq!(bounds.max_time.0 - bounds.min_time.0, 900, "SEP10_AUTH_TIMEOUT default");
    assert_eq!(tx.memo, Memo::Id(u64::MAX));
    assert_eq!(tx.operations.len(), 2);
    let OperationBody::ManageData(op0) = &tx.operations[0].body else { panic!("manage data") };
    assert_eq!(op0.data_name.0.as_slice(), b"localhost auth", "the first home domain is the default");
    let OperationBody::ManageData(op1) = &tx.operations[1].body else { panic!("manage data") };
    assert_eq!(op1.data_name.0.as_slice(), b"web_auth_domain");
    assert_eq!(op1.data_value.as_ref().unwrap().0.as_slice(), b"localhost:8000");
    assert_eq!(envelope.signatures.len(), 1);

    let homes = anchor.settings.sep10.home_domains.clone();
    let verifier = Verifier {
        server_key: server,
        network_id: anchor_sep10::challenge::network_id(support::PASSPHRASE),
        home_domains: &homes,
        web_auth_domain: "localhost:8000",
    };
    let read = read_challenge(&verifier, &xdr, now()).unwrap();
    assert_eq!(read.client, ClientAccount::Plain(client.public_key_bytes()));

    // Two challenges never share a nonce.
    let again = anchor.challenge(&format!("?account={}", client.public_key())).await;
    assert_ne!(xdr, again);

    // home_domain selects another configured domain.
    let other =
        anchor.challenge(&format!("?account={}&home_domain=other.example", client.public_key())).await;
    let read = read_challenge(&verifier, &other, now()).unwrap();
    assert_eq!(read.home_domain, "other.example");
}

#[actix_web::test]
async fn a_muxed_account_is_operation_0_source() {
    let db = testing::sqlite_database();
    let anchor = anchor(&db, "http://127.0.0.1:9", &[], Integrations::default());
    let client = key();
    let m = muxed(&client, 42);
    let xdr = anchor.challenge(&format!("?account={m}")).await;
    let raw = base64::engine::general_purpose::STANDARD.decode(&xdr).unwrap();
    let TransactionEnvelope::Tx(envelope) = TransactionEnvelope::from_xdr(&raw, Limits::none()).unwrap()
    else {
        panic!()
    };
    match &envelope.tx.operations[0].source_account {
        Some(stellar_xdr::MuxedAccount::MuxedEd25519(muxed)) => {
            assert_eq!(muxed.id, 42);
            assert_eq!(muxed.ed25519.0, client.public_key_bytes());
        }
        other => panic!("expected a muxed source, got {other:?}"),
    }
}

#[actix_web::test]
async fn bad_parameters_are_400s_naming_the_parameter() {
    let db = testing::sqlite_database();
    let anchor = anchor(&db, "http://127.0.0.1:9", &[], Integrations::default());
    let g = key().public_key().to_string();
    let m = muxed(&key(), 7);
    let mut bad_checksum = g.clone();
    bad_checksum.replace_range(55..56, if g.ends_with('A') { "B" } else { "A" });
    let cases = [
        (String::new(), "`account` is required"),
        ("?account=".to_string(), "`account` is required"),
        (format!("?account={bad_checksum}"), "`account` is not a valid"),
        ("?account=GABC".to_string(), "`account` is not a valid"),
        (format!("?account={}", anchor.settings.signing_key.seed().expose()), "`account` is not a valid"),
        (format!("?account={g}&memo=-1"), "`memo`"),
        (format!("?account={g}&memo=%2B5"), "`memo`"),
        (format!("?account={g}&memo=1.5"), "`memo`"),
        (format!("?account={g}&memo=abc"), "`memo`"),
        (format!("?account={g}&memo="), "`memo`"),
        (format!("?account={g}&memo=18446744073709551616"), "`memo`"),
        (format!("?account={m}&memo=5"), "cannot be combined with a muxed"),
        (format!("?account={g}&home_domain=evil.example"), "`home_domain`"),
        (format!("?account={g}&account={g}"), "invalid query string"),
    ];
    for (query, needle) in cases {
        let (status, body) = anchor.get(&query).await;
        assert_eq!(status, 400, "{query}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(needle), "{query}: `{error}` lacks `{needle}`");
    }
    // Memo 0 and the largest u64 are fine.
    for memo in ["0", "18446744073709551615"] {
        let (status, body) = anchor.get(&format!("?account={g}&memo={memo}")).await;
        assert_eq!(status, 200, "{memo}: {body}");
    }
}

#[actix_web::test]
async fn preflight_and_cors() {
    let db = testing::sqlite_database();
    let anchor = anchor(&db, "http://127.0.0.1:9", &[], Integrations::default());
    let response = anchor
        .client
        .request(reqwest::Method::OPTIONS, anchor.url("/auth"))
        .header("Origin", "https://wallet.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(response.headers()["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    // stellar.toml publishes WEB_AUTH_ENDPOINT.
    let toml = anchor
        .client
        .get(anchor.url("/.well-known/stellar.toml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(toml.contains("WEB_AUTH_ENDPOINT = \"http://localhost:8000/auth\""), "{toml}");
}

#[actix_web::test]
async fn a_frozen_account_gets_a_403_that_reveals_nothing() {
    let db = testing::sqlite_database();
    let frozen = key();
    let anchor = anchor(
        &db,
        "http://127.0.0.1:9",
        &[],
        Integrations::default().screening_registry(FreezeOne(frozen.public_key().to_string())),
    );
    let (status, body) = anchor.get(&format!("?account={}", frozen.public_key())).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "this account cannot be authenticated");
    // The muxed form of a frozen account is frozen too.
    let (status, _) = anchor.get(&format!("?account={}", muxed(&frozen, 3))).await;
    assert_eq!(status, 403);
    let (status, _) = anchor.get(&format!("?account={}", key().public_key())).await;
    assert_eq!(status, 200);

    let broken = anchor_core::testing::sqlite_database();
    let anchor = crate::support::anchor(
        &broken,
        "http://127.0.0.1:9",
        &[],
        Integrations::default().screening_registry(BrokenRegistry),
    );
    let (status, body) = anchor.get(&format!("?account={}", key().public_key())).await;
    assert_eq!(status, 503, "screening failures fail closed: {body}");
}

fn eddsa_jwt(signer: &anchor_core::keys::SigningKey, claims: serde_json::Value) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let input = format!("{}.{}", b64.encode(br#"{"alg":"EdDSA"}"#), b64.encode(claims.to_string()));
    format!("{input}.{}", b64.encode(signer.sign(input.as_bytes())))
}

#[actix_web::test]
async fn the_signed_request_header_is_verified_when_present() {
    let db = testing::sqlite_database();
    let horizon = HorizonState::default();
    let _ = horizon;
    let anchor = anchor(&db, "http://127.0.0.1:9", &[], Integrations::default());
    let client = key();
    let account = client.public_key().to_string();
    let now = now() as i64;
    let good = eddsa_jwt(
        &client,
        serde_json::json!({"iat": now, "exp": now + 300, "account": account, "memo": "77",
                           "web_auth_endpoint": "http://localhost:8000/auth"}),
    );
    let query = format!("?account={account}&memo=77");
    let (status, body) = anchor.get_with(&query, Some(&format!("Bearer {good}"))).await;
    assert_eq!(status, 200, "{body}");

    let cases = [
        (
            eddsa_jwt(
                &key(),
                serde_json::json!({"iat": now, "exp": now + 300, "account": account, "memo": "77", "web_auth_endpoint": "http://localhost:8000/auth"}),
            ),
            "signature",
        ),
        (
            eddsa_jwt(
                &client,
                serde_json::json!({"iat": now, "exp": now + 300, "account": account, "memo": "77", "web_auth_endpoint": "https://evil.example/auth"}),
            ),
            "web_auth_endpoint",
        ),
        (
            eddsa_jwt(
                &client,
                serde_json::json!({"iat": now - 900, "exp": now - 600, "account": account, "memo": "77", "web_auth_endpoint": "http://localhost:8000/auth"}),
            ),
            "expired",
        ),
        (
            eddsa_jwt(
                &client,
                serde_json::json!({"iat": now, "exp": now + 300, "account": account, "memo": "78", "web_auth_endpoint": "http://localhost:8000/auth"}),
            ),
            "memo",
        ),
        ("not-a-jwt".to_string(), "three"),
    ];
    for (token, needle) in cases {
        let (status, body) = anchor.get_with(&query, Some(&format!("Bearer {token}"))).await;
        assert_eq!(status, 400, "{needle}: {body}");
        assert!(body["error"].as_str().unwrap().contains(needle), "{needle}: {body}");
    }
    let (status, _) = anchor.get_with(&query, Some("Basic abc")).await;
    assert_eq!(status, 400);
}

#[actix_web::test]
async fn with_signed_requests_required_a_request_without_the_header_is_a_401() {
    let db = testing::sqlite_database();
    let anchor = anchor(
        &db,
        "http://127.0.0.1:9",
        &[("SEP10_REQUIRE_SIGNED_REQUESTS", "true")],
        Integrations::default(),
    );
    let client = key();
    let account = client.public_key().to_string();
    let (status, body) = anchor.get(&format!("?account={account}")).await;
    assert_eq!(status, 401, "{body}");
    assert!(body["error"].as_str().unwrap_or_default().contains("requires signed requests"), "{body}");

    let now = now() as i64;
    let signed = eddsa_jwt(
        &client,
        serde_json::json!({"iat": now, "exp": now + 300, "account": account,
                           "web_auth_endpoint": "http://localhost:8000/auth"}),
    );
    let (status, body) =
        anchor.get_with(&format!("?account={account}"), Some(&format!("Bearer {signed}"))).await;
    assert_eq!(status, 200, "{body}");
}
