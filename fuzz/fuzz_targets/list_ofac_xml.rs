//! OFAC advanced XML (`SDN_ADVANCED.XML` / `CONS_ADVANCED.XML`), as `lists import` parses it after decompression.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = anchor_screening::parse_ofac_advanced(data, anchor_screening::SourceList::OfacSdn);
});
