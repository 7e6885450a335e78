//! The SEP-10 v3.4 signed-request JWT (`Authorization` header of `GET /auth`). With an even first
//! byte the input is the header value as sent; with an odd one the target signs the input's first
//! two parts with the expected key, so the claims checks are reached too.
#![no_main]

use std::sync::OnceLock;

use anchor_sep10::request_auth::{bearer_token, verify_request_jwt, SignedQuery};
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_700_000_000;
const ENDPOINT: &str = "https://anchor.example.com/auth";

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_bytes(&[7u8; 32]))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let query = SignedQuery {
        account: "GBAQD4VYNI2255CFRDNDM4LVAEITMCNS7HJCI7I46XJE756ITCJXLV7E",
        memo: Some("42"),
        home_domain: Some("anchor.example.com"),
        client_domain: None,
    };
    let public = key().verifying_key().to_bytes();
    if mode & 1 == 0 {
        if let Ok(token) = bearer_token(text) {
            let _ = verify_request_jwt(token, &public, ENDPOINT, &query, NOW);
        }
        let _ = verify_request_jwt(text, &public, ENDPOINT, &query, NOW);
    } else {
        // `header.payload` (anything after a second dot is dropped), signed.
        let mut parts = text.splitn(3, '.');
        let (Some(header), Some(payload)) = (parts.next(), parts.next()) else { return };
        let signed = format!("{header}.{payload}");
        let signature = key().sign(signed.as_bytes());
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let token = format!("{signed}.{}", b64.encode(signature.to_bytes()));
        let _ = verify_request_jwt(&token, &public, ENDPOINT, &query, NOW);
    }
});
