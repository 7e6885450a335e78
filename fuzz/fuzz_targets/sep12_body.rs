//! SEP-12 `PUT /customer` and `PUT /customer/verification` bodies: JSON, form or multipart (the
//! first byte picks the `Content-Type`, the second the endpoint), then the id and purpose
//! parameters and the SEP-9 validation of every field, as the routes do before calling the
//! integration.
#![no_main]

use anchor_fuzz::{block_on, content_type_and_body, request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&endpoint, rest)) = data.split_first() else { return };
    let Some((content_type, body)) = content_type_and_body(rest) else { return };
    let (req, payload) = request(content_type, body);
    // Small limits so the fuzzer reaches the limit paths too.
    let _ = block_on(anchor_sep12::fuzzing::put_body(&req, payload, 2048, 1024, endpoint & 1 == 1));
});
