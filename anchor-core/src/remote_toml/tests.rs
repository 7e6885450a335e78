//! Fetching another institution's stellar.toml: domains are validated, private addresses are not
//! public, the signing key must be a public key, and loopback is never contacted outside
//! `LOCAL_MODE`.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use super::*;

#[test]
fn domains_are_validated() {
    assert_eq!(normalize_domain("Wallet.Example", false).unwrap(), "wallet.example");
    for bad in [
        "",
        "localhost",
        "127.0.0.1",
        "wallet.example:443",
        "https://wallet.example",
        "wallet.example/x",
        "-a.example",
        "a_b.example",
        "wallet..example",
        "user@wallet.example",
    ] {
        assert!(normalize_domain(bad, false).is_err(), "{bad}");
    }
    assert_eq!(normalize_domain("127.0.0.1:8080", true).unwrap(), "127.0.0.1:8080");
    assert_eq!(normalize_domain("localhost", true).unwrap(), "localhost");
    assert!(normalize_domain("localhost:", true).is_err());
}

#[test]
fn private_addresses_are_not_public() {
    for private in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",
        "::",
    ] {
        assert!(!is_public(private.parse().unwrap()), "{private}");
    }
    for public in ["1.1.1.1", "8.8.8.8", "2606:4700:4700::1111"] {
        assert!(is_public(public.parse().unwrap()), "{public}");
    }
}

#[test]
fn the_signing_key_must_be_a_public_key() {
    let table = |text: &str| text.parse::<toml::Table>().unwrap();
    assert!(signing_key_of(&table(
        "SIGNING_KEY = \"GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB\""
    ))
    .is_ok());
    let seed =
        signing_key_of(&table("SIGNING_KEY = \"SDWTLFPALQSP225BSMX7HPZ7ZEAYSUYNDLJ5QI3YGVBNRUIIELWH3XUV\""));
    assert!(seed.unwrap_err().contains("not a valid G"));
    assert!(signing_key_of(&table("NETWORK_PASSPHRASE = \"x\"")).unwrap_err().contains("no SIGNING_KEY"));
}

#[actix_web::test]
async fn outside_local_mode_loopback_is_never_contacted() {
    let fetcher = StellarTomlFetcher::new(false, Duration::from_secs(2)).unwrap();
    let err = fetcher.fetch("localhost.").await.unwrap_err();
    assert!(matches!(err, RemoteTomlError::InvalidDomain(_)), "{err}");
}
