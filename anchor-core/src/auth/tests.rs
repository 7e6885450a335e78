//! SEP-10 tokens: a token round-trips with its subject split (muxed accounts included), and tokens
//! that are expired, issued in the future, signed with another key, from another issuer,
//! `alg: none` or another algorithm, with a malformed subject, or garbage are refused.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use super::*;
use crate::config::Settings;

const G: &str = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";
const NOW: i64 = 1_800_000_000;

fn settings() -> Settings {
    let env = [
        ("ACTIVE_SEPS", "sep-1,sep-10"),
        ("HOST_URL", "https://anchor.example"),
        ("SIGNING_SEED", "SDWTLFPALQSP225BSMX7HPZ7ZEAYSUYNDLJ5QI3YGVBNRUIIELWH3XUV"),
        ("SERVER_JWT_KEY", "0123456789abcdef0123456789abcdef"),
    ];
    Settings::from_sources(None, env.map(|(k, v)| (k.to_string(), v.to_string()))).unwrap()
}

fn claims(sub: &str) -> Sep10Claims {
    Sep10Claims {
        iss: "https://anchor.example/auth".into(),
        sub: sub.into(),
        iat: NOW,
        exp: NOW + 3600,
        jti: "00".repeat(32),
        client_domain: Some("wallet.example".into()),
        home_domain: Some("anchor.example".into()),
    }
}

#[test]
fn a_token_round_trips_with_its_subject_split() {
    let settings = settings();
    let token = encode_token(&settings, &claims(G)).unwrap();
    let decoded = decode_token(&settings, &token, NOW + 10).unwrap();
    assert_eq!(decoded.account(), G);
    assert_eq!(decoded.memo(), None);
    assert_eq!(decoded.client_domain(), Some("wallet.example"));
    assert_eq!(decoded.home_domain(), Some("anchor.example"));

    let token = encode_token(&settings, &claims(&format!("{G}:18446744073709551615"))).unwrap();
    assert_eq!(decode_token(&settings, &token, NOW).unwrap().memo(), Some(u64::MAX));
}

#[test]
fn a_muxed_subject_exposes_both_accounts() {
    let settings = settings();
    let muxed = stellar_strkey::ed25519::MuxedAccount {
        ed25519: stellar_strkey::ed25519::PublicKey::from_string(G).unwrap().0,
        id: 42,
    }
    .to_string()
    .to_string();
    let token = encode_token(&settings, &claims(&muxed)).unwrap();
    let decoded = decode_token(&settings, &token, NOW).unwrap();
    assert_eq!(decoded.account(), G);
    assert_eq!(decoded.muxed_account(), Some(muxed.as_str()));
}

#[test]
fn expired_tokens_are_refused() {
    let settings = settings();
    let token = encode_token(&settings, &claims(G)).unwrap();
    assert_eq!(decode_token(&settings, &token, NOW + 3600 + 60), Err(TokenError::Expired));
}

#[test]
fn a_token_signed_with_another_key_is_refused() {
    let settings = settings();
    let key = EncodingKey::from_secret(b"another-key-another-key-another-key!");
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims(G), &key).unwrap();
    assert_eq!(decode_token(&settings, &token, NOW), Err(TokenError::Signature));
}

#[test]
fn alg_none_and_other_algorithms_are_refused() {
    use base64::Engine as _;
    let settings = settings();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = b64.encode(serde_json::to_vec(&claims(G)).unwrap());
    let none = format!("{}.{payload}.", b64.encode(br#"{"alg":"none","typ":"JWT"}"#));
    assert!(decode_token(&settings, &none, NOW).is_err());
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims(G),
        &EncodingKey::from_secret(settings.server_jwt_key.expose()),
    )
    .unwrap();
    assert_eq!(decode_token(&settings, &hs512, NOW), Err(TokenError::Algorithm));
}

#[test]
fn a_token_from_another_issuer_is_refused() {
    let settings = settings();
    let mut other = claims(G);
    other.iss = "https://evil.example/auth".into();
    let token = encode_token(&settings, &other).unwrap();
    assert_eq!(decode_token(&settings, &token, NOW), Err(TokenError::Issuer));
}

#[test]
fn malformed_subjects_are_refused() {
    let settings = settings();
    let malformed = [
        "GABC".to_string(),
        format!("{G}:notanumber"),
        format!("{G}:-1"),
        format!("{G}:+5"),
        format!("{G}:05"),
        format!("{G}:"),
        format!("{G}:18446744073709551616"),
        format!("{G}:1:2"),
        "MABC".to_string(),
        String::new(),
    ];
    for sub in &malformed {
        let token = encode_token(&settings, &claims(sub)).unwrap();
        assert_eq!(decode_token(&settings, &token, NOW), Err(TokenError::Subject), "{sub}");
    }
    for sub in [format!("{G}:0"), format!("{G}:18446744073709551615")] {
        let token = encode_token(&settings, &claims(&sub)).unwrap();
        assert!(decode_token(&settings, &token, NOW).is_ok(), "{sub}");
    }
}

#[test]
fn tokens_issued_in_the_future_are_refused() {
    let settings = settings();
    let token = encode_token(&settings, &claims(G)).unwrap();
    assert_eq!(decode_token(&settings, &token, NOW - 600), Err(TokenError::NotYetValid));
}

#[test]
fn garbage_is_malformed() {
    let settings = settings();
    assert!(matches!(decode_token(&settings, "not.a.jwt", NOW), Err(TokenError::Malformed(_))));
}
