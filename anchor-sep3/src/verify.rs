//! Pure: the SEP-3 signature check. `sig` is a raw ed25519 signature over the exact bytes of the
//! form-decoded `data` value: no hashing, no network passphrase, no re-serialisation.

use ed25519_dalek::{Signature, VerifyingKey};

use crate::error::Error;

/// Verifies `sig` over `data` with the sender's `SIGNING_KEY` (raw 32 bytes).
pub fn verify(signing_key: &[u8; 32], data: &[u8], sig: &[u8; 64]) -> Result<(), Error> {
    verify_with(&verifying_key(signing_key)?, data, sig)
}

/// The sender's `SIGNING_KEY` as a curve point (decompressing it costs about a tenth of a
/// verification, so the receiving side keeps the points of the keys it has seen).
pub fn verifying_key(signing_key: &[u8; 32]) -> Result<VerifyingKey, Error> {
    VerifyingKey::from_bytes(signing_key).map_err(|_| {
        Error::field("data.sender", "the sending institution's SIGNING_KEY is not a valid ed25519 key")
    })
}

/// [`verify`] with an already decompressed key: strict ed25519 (canonical `s`, no small-order
/// key or `R`).
pub fn verify_with(key: &VerifyingKey, data: &[u8], sig: &[u8; 64]) -> Result<(), Error> {
    key.verify_strict(data, &Signature::from_bytes(sig)).map_err(|_| Error::InvalidSignature)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

    use base64::Engine as _;

    use super::*;

    const DATA: &str = include_str!("../tests/data/spec_data.json");
    const DERIVED_SIG: &str =
        "xlz9RmsPoSWCSXX7S14vp64EVwME5dD6fRz9MgNVNZISfJX4ky9Y+XKXmDr7pilPGU0RnDB1FFlCbSLXkif6Dw==";
    const DERIVED_KEY: &str = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";
    const SPEC_SIG: &str =
        "KgvyQTZsZQoaMy8jdwCUfLayfgfFMUdZJ+0BIvEwiH5aJhBXvhV+ipRok1asjSCUS/UaGeGKDoizS1+tFiiyAA==";

    fn key(account: &str) -> [u8; 32] {
        stellar_strkey::ed25519::PublicKey::from_string(account).unwrap().0
    }

    fn sig(text: &str) -> [u8; 64] {
        base64::engine::general_purpose::STANDARD.decode(text).unwrap().try_into().unwrap()
    }

    #[test]
    fn the_derived_vector_verifies() {
        assert_eq!(DATA.len(), 533);
        verify(&key(DERIVED_KEY), DATA.as_bytes(), &sig(DERIVED_SIG)).unwrap();
    }

    #[test]
    fn a_changed_byte_or_another_key_fails() {
        let mut changed = DATA.as_bytes().to_vec();
        changed[10] ^= 1;
        assert!(matches!(
            verify(&key(DERIVED_KEY), &changed, &sig(DERIVED_SIG)),
            Err(Error::InvalidSignature)
        ));
        let other = "GC7DVHGMSQYAPYXQU652VVHEMZ2OZN4VH44T67QILDHDMBOACMZHQWLW";
        assert!(matches!(
            verify(&key(other), DATA.as_bytes(), &sig(DERIVED_SIG)),
            Err(Error::InvalidSignature)
        ));
    }

    #[test]
    fn the_spec_example_signature_does_not_verify_with_the_derived_key() {
        // The spec's own `sig` was made with bankA.com's unpublished key (see the spec notes).
        assert!(verify(&key(DERIVED_KEY), DATA.as_bytes(), &sig(SPEC_SIG)).is_err());
    }
}
