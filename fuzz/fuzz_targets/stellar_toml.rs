//! Another institution's stellar.toml as `remote_toml` reads it (UTF-8, TOML, at most 100 KiB)
//! and what is read from it: `SIGNING_KEY`, and the server URLs SEP-3 and SEP-10 use.
#![no_main]

use anchor_core::net::{check_url, Trust};
use anchor_core::remote_toml::{normalize_domain, signing_key_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > anchor_core::MAX_STELLAR_TOML_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    // A `client_domain` / federation domain as a client sends it.
    if let Some(line) = text.lines().next() {
        let _ = normalize_domain(line, false);
    }
    let Ok(table) = text.parse::<toml::Table>() else { return };
    let _ = signing_key_of(&table);
    for name in ["AUTH_SERVER", "FEDERATION_SERVER", "WEB_AUTH_ENDPOINT", "KYC_SERVER"] {
        if let Some(value) = table.get(name).and_then(|v| v.as_str()) {
            if let Ok(parsed) = url::Url::parse(value) {
                let _ = check_url(&parsed, false, Trust::Remote);
            }
        }
    }
});
