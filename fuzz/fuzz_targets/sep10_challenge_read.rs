//! Reading a SEP-10 challenge: the wallet's side (`read_challenge`, rules 1–7 with verification
//! of the server's signature) and the server's side of `POST /auth` (`read_issued_challenge`, then
//! the signature rules 9 and 10 against a missing and an existing account).
//!
//! The first byte picks how the rest is used:
//! - `0 mod 3`: the rest is the `transaction` string as sent (base64 text);
//! - `1 mod 3`: the rest is raw envelope XDR, base64-encoded by the target;
//! - `2 mod 3`: the rest is raw envelope XDR which the target signs again with the server key
//!   (replacing the first signature), so the rules after rule 7 are reached.
#![no_main]

use std::sync::OnceLock;

use anchor_core::keys::SigningKey;
use anchor_sep10::challenge::{
    decorated_signature, network_id, read_challenge, read_issued_challenge, verify_signatures,
    AccountSigners, AccountState, Verifier,
};
use anchor_sep10::issued::IssuedSignatures;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest as _, Sha256};
use stellar_xdr::{Limited, Limits, ReadXdr as _, TransactionEnvelope, WriteXdr as _};

/// Inside the spec example's time bounds (1597690993–1597691893).
const NOW: u64 = 1_597_691_000;
const PASSPHRASE: &str = "Test SDF Network ; September 2015";
/// The spec example's server (`GDEISG5…`).
const SPEC_SERVER: &str = "GDEISG5WA25KU6HHB7N4HVQKID4A7FDDR3FKD32R6C7KCV7YLYKVY7S7";

struct Fixture {
    server: SigningKey,
    spec_server: [u8; 32],
    network_id: [u8; 32],
    home_domains: Vec<String>,
    issued: IssuedSignatures,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        server: SigningKey::from_bytes([3u8; 32]),
        spec_server: stellar_xdr_key(SPEC_SERVER),
        network_id: network_id(PASSPHRASE),
        home_domains: vec!["thisisatest.sandbox.anchor.anchordomain.com".into(), "example.com".into()],
        issued: IssuedSignatures::with_slots(16),
    })
}

fn stellar_xdr_key(account: &str) -> [u8; 32] {
    anchor_sep10::challenge::ClientAccount::parse(account).map(|a| a.key()).unwrap_or([0u8; 32])
}

/// `data` signed again by the fixture's server: decoded, first signature replaced, re-encoded.
fn resigned(data: &[u8]) -> Option<String> {
    let f = fixture();
    let mut envelope =
        TransactionEnvelope::read_xdr(&mut Limited::new(std::io::Cursor::new(data), Limits::len(data.len())))
            .ok()?;
    let TransactionEnvelope::Tx(ref mut v1) = envelope else { return None };
    let tx = v1.tx.to_xdr(Limits::none()).ok()?;
    let mut hasher = Sha256::new();
    hasher.update(f.network_id);
    hasher.update(2u32.to_be_bytes());
    hasher.update(&tx);
    let hash: [u8; 32] = hasher.finalize().into();
    let signature = decorated_signature(&f.server, &hash).ok()?;
    let mut signatures: Vec<_> = v1.signatures.to_vec();
    match signatures.first_mut() {
        Some(first) => *first = signature,
        None => signatures.push(signature),
    }
    v1.signatures = signatures.try_into().ok()?;
    envelope.to_xdr_base64(Limits::none()).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let f = fixture();
    let (transaction, server_key) = match mode % 3 {
        0 => match std::str::from_utf8(rest) {
            Ok(text) => (text.to_string(), f.spec_server),
            Err(_) => return,
        },
        1 => (base64::engine::general_purpose::STANDARD.encode(rest), f.spec_server),
        _ => match resigned(rest) {
            Some(text) => (text, f.server.public_key_bytes()),
            None => return,
        },
    };
    let verifier = Verifier {
        server_key,
        network_id: f.network_id,
        home_domains: &f.home_domains,
        web_auth_domain: "example.com",
    };
    // The wallet's side.
    let _ = read_challenge(&verifier, &transaction, NOW);
    // The server's side.
    let Ok(read) = read_issued_challenge(&verifier, &f.server, &f.issued, &transaction, NOW) else { return };
    let _ = (read.hash_hex(), read.subject(), read.signature_count());
    let _ = verify_signatures(&read, &verifier.server_key, &AccountState::Missing);
    let client = read.client.key();
    let existing = AccountState::Exists(AccountSigners {
        signers: vec![(client, 1), ([5u8; 32], 2)],
        medium_threshold: 2,
    });
    let _ = verify_signatures(&read, &verifier.server_key, &existing);
});
