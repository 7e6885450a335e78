//! UK Sanctions List CSV (the full list layout and the FCDO summary sheet).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = anchor_screening::parse_uk_csv(data);
});
