//! The anchor's own list CSV (`lists import --source custom:NAME`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = anchor_screening::parse_custom_csv(data, "fuzz");
});
