//! UN Security Council consolidated list XML.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = anchor_screening::parse_un_xml(data);
});
