//! The optional signed request of SEP-10 v3.4, pure: a `GET /auth` may carry
//! `Authorization: Bearer <JWT>` whose header is `{"alg": "EdDSA"}`, signed with ed25519 over
//! `b64url(header).b64url(payload)` by the client domain's `SIGNING_KEY` (when `client_domain`
//! is sent) or else by the account's key. Its claims are `iat`, `exp`, `web_auth_endpoint` (this
//! endpoint's exact URL) and every query parameter sent, with equal values.
//!
//! Any failure is a 400 naming the problem ([`crate::Error::RequestAuth`]).

use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::Value;

use crate::Error;

/// Clock leeway for `iat` and `exp`, in seconds.
pub const LEEWAY_SECONDS: i64 = 5;
const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The query of the `GET /auth` request the header must match.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignedQuery<'a> {
    /// `account`.
    pub account: &'a str,
    /// `memo`, as sent.
    pub memo: Option<&'a str>,
    /// `home_domain`, as sent.
    pub home_domain: Option<&'a str>,
    /// `client_domain`, as sent.
    pub client_domain: Option<&'a str>,
}

fn bad(message: impl Into<String>) -> Error {
    Error::RequestAuth(message.into())
}

/// Extracts the token from an `Authorization` header value: `Bearer <jwt>` (the standard form;
/// the spec's literal `Bearer: <jwt>` is accepted too).
pub fn bearer_token(header: &str) -> Result<&str, Error> {
    let header = header.trim();
    let (scheme, token) = header.split_once(' ').ok_or_else(|| bad("expected `Bearer <JWT>`"))?;
    let scheme = scheme.strip_suffix(':').unwrap_or(scheme);
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(bad("expected `Bearer <JWT>`"));
    }
    Ok(token.trim())
}

/// Verifies the request JWT against `key` (raw ed25519 public key), the endpoint URL, the query
/// and `now` (unix seconds).
pub fn verify_request_jwt(
    token: &str,
    key: &[u8; 32],
    web_auth_endpoint: &str,
    query: &SignedQuery<'_>,
    now: i64,
) -> Result<(), Error> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("the JWT must have three dot-separated parts"));
    };
    let header: Value = B64URL
        .decode(header_b64)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .ok_or_else(|| bad("the JWT header is not base64url JSON"))?;
    if header.get("alg").and_then(Value::as_str) != Some("EdDSA") {
        return Err(bad("the JWT must be signed with `alg: EdDSA`"));
    }
    let signature = B64URL
        .decode(signature_b64)
        .ok()
        .and_then(|raw| Signature::from_slice(&raw).ok())
        .ok_or_else(|| bad("the JWT signature is not a base64url ed25519 signature"))?;
    let verifying =
        VerifyingKey::from_bytes(key).map_err(|_| bad("the signing key is not a valid ed25519 key"))?;
    let signed = &token[..header_b64.len() + 1 + payload_b64.len()];
    verifying
        .verify_strict(signed.as_bytes(), &signature)
        .map_err(|_| bad("the JWT signature does not verify with the expected key (the client domain's SIGNING_KEY when `client_domain` is sent, else the account's key)"))?;

    let claims: Value = B64URL
        .decode(payload_b64)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .filter(Value::is_object)
        .ok_or_else(|| bad("the JWT payload is not a base64url JSON object"))?;
    let number = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_i64)
            .ok_or_else(|| bad(format!("the JWT needs a numeric `{name}` claim")))
    };
    let (iat, exp) = (number("iat")?, number("exp")?);
    if exp < now - LEEWAY_SECONDS {
        return Err(bad("the JWT has expired"));
    }
    if iat > now + LEEWAY_SECONDS {
        return Err(bad("the JWT's `iat` is in the future"));
    }
    if claims.get("web_auth_endpoint").and_then(Value::as_str) != Some(web_auth_endpoint) {
        return Err(bad(format!("the JWT's `web_auth_endpoint` must be `{web_auth_endpoint}`")));
    }
    let expected = [
        ("account", Some(query.account)),
        ("memo", query.memo),
        ("home_domain", query.home_domain),
        ("client_domain", query.client_domain),
    ];
    for (name, sent) in expected {
        let claim = match claims.get(name) {
            None | Some(Value::Null) => None,
            // The spec's example writes the memo as a JSON string; accept a number too.
            Some(Value::Number(number)) if name == "memo" => Some(number.to_string()),
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => return Err(bad(format!("the JWT's `{name}` claim must be a string"))),
        };
        if claim.as_deref() != sent {
            return Err(bad(format!("the JWT's `{name}` claim does not match the query parameter")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

    use super::*;

    // SEP-10 v3.4.1, "Request Header" example (also in the stellar wallet SDK's tests): signed by
    // the client domain key GCADAIACE6CRWGOB3HJRXIOHMQEUKPNLAUIYFIE26F3OK72RSHGAMARK.
    const SPEC_TOKEN_FILE: &str =
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/spec_request_jwt.txt"));
    fn spec_token() -> &'static str {
        SPEC_TOKEN_FILE.trim()
    }

    const SPEC_KEY: &str = "GCADAIACE6CRWGOB3HJRXIOHMQEUKPNLAUIYFIE26F3OK72RSHGAMARK";
    const SPEC_ENDPOINT: &str = "https://example.com/sep10/auth";
    const SPEC_ACCOUNT: &str = "GC6UCXVTAMNG5JLOMZBSCNYXVSNNFHL23SJPYOOFJE2AVYDDS2FFT45C";
    const SPEC_NOW: i64 = 1_711_648_500;

    fn key(account: &str) -> [u8; 32] {
        stellar_strkey::ed25519::PublicKey::from_string(account).unwrap().0
    }

    fn spec_query() -> SignedQuery<'static> {
        SignedQuery {
            account: SPEC_ACCOUNT,
            client_domain: Some("example-wallet.stellar.org"),
            ..SignedQuery::default()
        }
    }

    #[test]
    fn the_spec_request_jwt_verifies() {
        verify_request_jwt(spec_token(), &key(SPEC_KEY), SPEC_ENDPOINT, &spec_query(), SPEC_NOW).unwrap();
    }

    #[test]
    fn the_spec_request_jwt_fails_every_mismatch() {
        let other_key = key(SPEC_ACCOUNT);
        let cases: Vec<(Result<(), Error>, &str)> = vec![
            (
                verify_request_jwt(spec_token(), &other_key, SPEC_ENDPOINT, &spec_query(), SPEC_NOW),
                "signature",
            ),
            (
                verify_request_jwt(
                    spec_token(),
                    &key(SPEC_KEY),
                    "https://example.com/auth",
                    &spec_query(),
                    SPEC_NOW,
                ),
                "web_auth_endpoint",
            ),
            (
                verify_request_jwt(
                    spec_token(),
                    &key(SPEC_KEY),
                    SPEC_ENDPOINT,
                    &spec_query(),
                    1_711_649_386 + 60,
                ),
                "expired",
            ),
            (
                verify_request_jwt(
                    spec_token(),
                    &key(SPEC_KEY),
                    SPEC_ENDPOINT,
                    &spec_query(),
                    1_711_648_486 - 60,
                ),
                "future",
            ),
            (
                verify_request_jwt(
                    spec_token(),
                    &key(SPEC_KEY),
                    SPEC_ENDPOINT,
                    &SignedQuery { memo: Some("5"), ..spec_query() },
                    SPEC_NOW,
                ),
                "memo",
            ),
            (
                verify_request_jwt(
                    spec_token(),
                    &key(SPEC_KEY),
                    SPEC_ENDPOINT,
                    &SignedQuery { client_domain: None, ..spec_query() },
                    SPEC_NOW,
                ),
                "client_domain",
            ),
        ];
        for (result, needle) in cases {
            match result {
                Err(Error::RequestAuth(message)) => {
                    assert!(message.contains(needle), "{message} lacks {needle}")
                }
                other => panic!("expected a request-auth error about {needle}, got {other:?}"),
            }
        }
    }

    #[test]
    fn tampered_and_non_eddsa_tokens_are_refused() {
        let (header, rest) = spec_token().split_once('.').unwrap();
        let (_, signature) = rest.rsplit_once('.').unwrap();
        let forged_payload = B64URL.encode(br#"{"iat":1711648486,"exp":1711649386,"account":"GC6UCXVTAMNG5JLOMZBSCNYXVSNNFHL23SJPYOOFJE2AVYDDS2FFT45C","web_auth_endpoint":"https://example.com/sep10/auth"}"#);
        let forged = format!("{header}.{forged_payload}.{signature}");
        assert!(verify_request_jwt(&forged, &key(SPEC_KEY), SPEC_ENDPOINT, &spec_query(), SPEC_NOW).is_err());
        let none = format!("{}.{}.", B64URL.encode(br#"{"alg":"none"}"#), rest.rsplit_once('.').unwrap().0);
        assert!(verify_request_jwt(&none, &key(SPEC_KEY), SPEC_ENDPOINT, &spec_query(), SPEC_NOW).is_err());
        for garbage in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert!(
                verify_request_jwt(garbage, &key(SPEC_KEY), SPEC_ENDPOINT, &spec_query(), SPEC_NOW).is_err()
            );
        }
    }

    #[test]
    fn a_self_signed_memo_jwt_verifies_with_string_or_number_memo() {
        let signer = anchor_core::keys::SigningKey::from_bytes([7; 32]);
        for memo in [r#""1234567""#, "1234567"] {
            let header = B64URL.encode(br#"{"alg":"EdDSA"}"#);
            let payload = B64URL.encode(format!(
                r#"{{"iat":1711648422,"exp":1711649322,"account":"{}","memo":{memo},"web_auth_endpoint":"https://example.com/sep10/auth"}}"#,
                signer.public_key()
            ));
            let signing_input = format!("{header}.{payload}");
            let token = format!("{signing_input}.{}", B64URL.encode(signer.sign(signing_input.as_bytes())));
            let query =
                SignedQuery { account: signer.public_key(), memo: Some("1234567"), ..SignedQuery::default() };
            verify_request_jwt(&token, &signer.public_key_bytes(), SPEC_ENDPOINT, &query, 1_711_648_430)
                .unwrap();
        }
    }

    #[test]
    fn bearer_forms() {
        assert_eq!(bearer_token("Bearer abc").unwrap(), "abc");
        assert_eq!(bearer_token("bearer: abc").unwrap(), "abc");
        assert!(bearer_token("Basic abc").is_err());
        assert!(bearer_token("Bearer ").is_err());
    }
}
