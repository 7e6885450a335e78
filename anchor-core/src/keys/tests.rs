//! `SigningKey`: a seed gives its known public key, `Debug` shows the public key and never the
//! seed, bad seeds are refused, and generated keys differ and round-trip.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
use super::*;

// The stellar/go compliance test seed and its public key (../shared/spec/sep-0001.md).
const SEED: &str = "SDWTLFPALQSP225BSMX7HPZ7ZEAYSUYNDLJ5QI3YGVBNRUIIELWH3XUV";
const PUBLIC: &str = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";

#[test]
fn seed_gives_the_known_public_key() {
    let key = SigningKey::from_seed(SEED).unwrap();
    assert_eq!(key.public_key(), PUBLIC);
    assert_eq!(key.seed().expose(), SEED);
}

#[test]
fn debug_shows_the_public_key_and_never_the_seed() {
    let key = SigningKey::from_seed(SEED).unwrap();
    let debug = format!("{key:?}");
    assert!(debug.contains(PUBLIC));
    assert!(!debug.contains(SEED));
}

#[test]
fn bad_seeds_are_rejected() {
    for bad in ["", "SXXX", PUBLIC, &SEED[..55], &format!("{}A", &SEED[..55])] {
        assert_eq!(SigningKey::from_seed(bad).unwrap_err(), InvalidSeed, "{bad}");
    }
}

#[test]
fn generated_keys_differ_and_round_trip() {
    let a = SigningKey::generate().unwrap();
    let b = SigningKey::generate().unwrap();
    assert_ne!(a.public_key(), b.public_key());
    let again = SigningKey::from_seed(a.seed().expose()).unwrap();
    assert_eq!(again.public_key(), a.public_key());
    assert_eq!(generate_jwt_key().unwrap().expose().len(), 64);
}
