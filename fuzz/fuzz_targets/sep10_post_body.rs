//! `POST /auth`'s body: JSON, form or multipart (the first byte picks the `Content-Type`), read
//! through the body limits exactly as the route reads it.
#![no_main]

use anchor_fuzz::{block_on, content_type_and_body, request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((content_type, body)) = content_type_and_body(data) else { return };
    let (req, payload) = request(content_type, body);
    // A small limit so the fuzzer reaches the limit paths too.
    let _ = block_on(anchor_sep10::fuzzing::post_body(&req, payload, 2048));
});
