//! EU Financial Sanctions File XML 1.1.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = anchor_screening::parse_eu_xml(data);
});
