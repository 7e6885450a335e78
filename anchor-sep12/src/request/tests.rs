//! Identity checks of SEP-12 requests against the token: a plain token may name any memo of its
//! account, a memo token only its memo, a muxed token only itself; and a body's fields are sorted
//! into SEP-9 fields, verification codes and file references, naming any unknown or misused one.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use anchor_core::auth::{decode_token, encode_token, Sep10Claims};
use anchor_core::integrations::customer::Memo;

use super::*;

const G: &str = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";

fn token(sub: &str) -> Sep10Token {
    let settings = anchor_core::testing::settings(&[]);
    let now = chrono::Utc::now().timestamp();
    let claims = Sep10Claims {
        iss: anchor_core::auth::token_issuer(&settings),
        sub: sub.to_string(),
        iat: now,
        exp: now + 300,
        jti: "00".into(),
        client_domain: None,
        home_domain: None,
    };
    decode_token(&settings, &encode_token(&settings, &claims).unwrap(), now).unwrap()
}

fn muxed(id: u64) -> String {
    let key = stellar_strkey::ed25519::PublicKey::from_string(G).unwrap();
    stellar_strkey::ed25519::MuxedAccount { ed25519: key.0, id }.to_string().to_string()
}

fn params(account: Option<&str>, memo: Option<&str>, memo_type: Option<&str>) -> IdParams {
    IdParams {
        id: None,
        account: account.map(str::to_string),
        memo: memo.map(str::to_string),
        memo_type: memo_type.map(str::to_string),
    }
}

#[test]
fn plain_tokens_take_any_memo_of_their_account() {
    let token = token(G);
    let identity = resolve(&token, &params(Some(G), Some("7"), None)).unwrap();
    assert_eq!(identity.memo, Some(Memo::Id(7)));
    let identity = resolve(&token, &params(None, Some("abc"), Some("text"))).unwrap();
    assert_eq!(identity.memo, Some(Memo::Text("abc".into())));
    assert!(matches!(resolve(&token, &params(None, Some("abc"), None)), Err(Error::BadRequest(_))));
    assert!(matches!(resolve(&token, &params(None, Some("AAAA"), Some("hash"))), Err(Error::BadRequest(_))));
    let other = "GAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPSABOV";
    assert!(matches!(resolve(&token, &params(Some(other), None, None)), Err(Error::Forbidden(_))));
    let no_memo = resolve(&token, &params(None, None, None)).unwrap();
    assert!(no_memo.owns(G, "id:7") && no_memo.owns(G, ""));
    let seven = resolve(&token, &params(None, Some("7"), None)).unwrap();
    assert!(seven.owns(G, "id:7") && !seven.owns(G, "id:8") && !seven.owns(G, ""));
}

#[test]
fn memo_tokens_are_pinned_to_their_memo() {
    let token = token(&format!("{G}:42"));
    let identity = resolve(&token, &params(None, None, None)).unwrap();
    assert_eq!(identity.memo, Some(Memo::Id(42)));
    assert!(resolve(&token, &params(Some(G), Some("42"), Some("text"))).is_ok());
    assert!(matches!(resolve(&token, &params(None, Some("43"), None)), Err(Error::Forbidden(_))));
    assert!(!identity.owns(G, "id:43") && !identity.owns(G, ""));
}

#[test]
fn muxed_tokens_are_their_own_customers() {
    let m = muxed(9);
    let token = token(&m);
    let identity = resolve(&token, &params(Some(&m), Some("9"), None)).unwrap();
    assert_eq!(identity.account, m);
    assert_eq!(identity.memo, None);
    assert!(matches!(resolve(&token, &params(Some(G), None, None)), Err(Error::Forbidden(_))));
    assert!(matches!(resolve(&token, &params(None, Some("10"), None)), Err(Error::Forbidden(_))));
    assert!(!identity.owns(&muxed(10), "") && !identity.owns(G, ""));
}

#[test]
fn field_input_names_unknown_fields_and_splits_the_rest() {
    let body = crate::body::from_json(
        br#"{"first_name":"Jane","mobile_number":"abc","mobile_number_format":"hash",
            "email_address_verification":"123456","photo_id_front_file_id":"f1"}"#,
    )
    .unwrap();
    let input = fields(body).unwrap();
    assert_eq!(input.fields.len(), 3);
    assert_eq!(input.verifications.len(), 1);
    assert_eq!(input.file_refs.len(), 1);

    for (body, needle) in [
        (&br#"{"favourite_colour":"blue"}"#[..], "unknown field `favourite_colour`"),
        (br#"{"favourite_verification":"1"}"#, "unknown field `favourite_verification`"),
        (br#"{"first_name_file_id":"f"}"#, "not a binary field"),
        (br#"{"photo_id_front":"aGVsbG8="}"#, "binary field"),
        (br#"{"birth_date":"31-12-1990"}"#, "`birth_date`"),
        (br#"{"first_name":"A","given_name":"B"}"#, "more than once"),
    ] {
        let err = fields(crate::body::from_json(body).unwrap()).err().unwrap();
        assert!(err.to_string().contains(needle), "{err} should mention {needle}");
    }
}
