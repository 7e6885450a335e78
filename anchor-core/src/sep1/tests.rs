//! The SEP-1 checks of a stellar.toml: the specification's sample passes, and bad URLs, accounts
//! and currencies are each named (plain http allowed in local mode).

use super::validate;

fn table(text: &str) -> toml::Table {
    text.parse().unwrap_or_default()
}

#[test]
fn the_sep1_sample_passes() {
    let sample = table(
        r#"
VERSION = "2.0.0"
NETWORK_PASSPHRASE = "Public Global Stellar Network ; September 2015"
FEDERATION_SERVER = "https://api.domain.com/federation"
TRANSFER_SERVER = "https://api.domain.com"
SIGNING_KEY = "GBBHQ7H4V6RRORKYLHTCAWP6MOHNORRFJSDPXDFYDGJB2LPZUFPXUEW3"
HORIZON_URL = "https://horizon.domain.com"
ACCOUNTS = ["GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB"]
[DOCUMENTATION]
ORG_NAME = "Organization Name"
ORG_URL = "https://www.domain.com"
[[CURRENCIES]]
code = "USD"
issuer = "GCZJM35NKGVK47BB4SPBDV25477PZYIYPVVG453LPYFNXLS3FGHDXOCM"
display_decimals = 2
status = "live"
"#,
    );
    assert_eq!(validate(&sample, false), Vec::<String>::new());
}

#[test]
fn bad_urls_accounts_and_currencies_are_named() {
    let bad = table(
        r#"
TRANSFER_SERVER = "http://api.domain.com/"
ACCOUNTS = ["SBADSEED"]
[[CURRENCIES]]
code = "THIS-IS-TOO-LONG"
issuer = "GNOTANISSUER"
display_decimals = 9
status = "maybe"
"#,
    );
    let problems = validate(&bad, false).join("\n");
    for expected in [
        "TRANSFER_SERVER must be an https URL",
        "TRANSFER_SERVER must not end with a slash",
        "ACCOUNTS entry",
        "code must be 1 to 12",
        "issuer must be a Stellar account",
        "display_decimals must be an integer from 0 to 7",
        "status must be live",
    ] {
        assert!(problems.contains(expected), "missing `{expected}` in:\n{problems}");
    }
    let local = table("TRANSFER_SERVER = \"http://localhost:8000\"");
    assert!(validate(&local, true).is_empty());
}
