//! The `Sep10Token` extractor on a real route: every bad token is a 403 with `{"error"}`.

use anchor_core::auth::{encode_token, Sep10Claims};
use anchor_core::clock::unix_now;
use anchor_core::testing;
use anchor_core::Integrations;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::support::{anchor, key};

/// HMAC-SHA256, so tests can forge tokens with other keys and algorithm names.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner_hash = Sha256::new().chain_update(&inner).chain_update(message).finalize();
    Sha256::new().chain_update(&outer).chain_update(inner_hash).finalize().into()
}

fn hs256(header: &str, payload: &str, key: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let input = format!("{}.{}", b64.encode(header), b64.encode(payload));
    format!("{input}.{}", b64.encode(hmac_sha256(key, input.as_bytes())))
}

#[actix_web::test]
async fn bad_tokens_are_403s() {
    let db = testing::sqlite_database();
    let anchor = anchor(&db, "http://127.0.0.1:9", &[], Integrations::default());
    let g = key().public_key().to_string();
    let claims = |sub: &str, iss: &str, iat: i64, exp: i64| Sep10Claims {
        iss: iss.to_string(),
        sub: sub.to_string(),
        iat,
        exp,
        jti: "00".repeat(32),
        client_domain: None,
        home_domain: Some("localhost".into()),
    };
    let issuer = "http://localhost:8000/auth";
    let good = encode_token(&anchor.settings, &claims(&g, issuer, unix_now(), unix_now() + 60)).unwrap();
    let (status, body) = anchor.whoami(&good).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"], g.as_str());
    assert_eq!(body["home_domain"], "localhost");

    let payload = serde_json::to_string(&claims(&g, issuer, unix_now(), unix_now() + 60)).unwrap();
    let key = anchor_core::testing::TEST_JWT_KEY.as_bytes();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let cases = [
        (
            "expired",
            encode_token(&anchor.settings, &claims(&g, issuer, unix_now() - 7200, unix_now() - 3600))
                .unwrap(),
        ),
        (
            "wrong key",
            hs256(r#"{"alg":"HS256","typ":"JWT"}"#, &payload, b"another-key-another-key-another-key"),
        ),
        ("alg none", format!("{}.{}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#), b64.encode(&payload))),
        ("alg HS512 with the right key", hs256(r#"{"alg":"HS512","typ":"JWT"}"#, &payload, key)),
        (
            "wrong issuer",
            encode_token(
                &anchor.settings,
                &claims(&g, "https://evil.example/auth", unix_now(), unix_now() + 60),
            )
            .unwrap(),
        ),
        (
            "malformed sub",
            encode_token(&anchor.settings, &claims("GABC", issuer, unix_now(), unix_now() + 60)).unwrap(),
        ),
        (
            "sub with signed memo",
            encode_token(&anchor.settings, &claims(&format!("{g}:+5"), issuer, unix_now(), unix_now() + 60))
                .unwrap(),
        ),
        (
            "sub with memo overflow",
            encode_token(
                &anchor.settings,
                &claims(&format!("{g}:18446744073709551616"), issuer, unix_now(), unix_now() + 60),
            )
            .unwrap(),
        ),
        (
            "issued in the future",
            encode_token(&anchor.settings, &claims(&g, issuer, unix_now() + 600, unix_now() + 900)).unwrap(),
        ),
        ("garbage", "not-a-token".to_string()),
    ];
    for (name, token) in cases {
        let (status, body) = anchor.whoami(&token).await;
        assert_eq!(status, 403, "{name}: {body}");
        assert!(body["error"].is_string(), "{name}: {body}");
    }
    // No header, and a non-bearer header.
    let response = anchor.client.get(anchor.url("/whoami")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let response = anchor
        .client
        .get(anchor.url("/whoami"))
        .header("Authorization", format!("Basic {good}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
}
