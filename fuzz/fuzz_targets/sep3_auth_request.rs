//! A SEP-3 `AUTH_SERVER` request: the form (`data`, `sig`), the `data` JSON, its `sender`, the
//! `tx` XDR, the memo-hash check, the attachment and its `sender_info` (down to the screening
//! subject), in the order the `AUTH_SERVER` route reads them. The signature is checked against a fixed
//! key but, unlike the route, a bad one does not stop the rest being parsed. With an even first
//! byte the input is the form body; with an odd one it is the `data` JSON itself.
#![no_main]

use anchor_sep3::payload;
use anchor_sep3::fuzzing::subject;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else { return };
    let data = if mode & 1 == 0 {
        let fields: Vec<(String, String)> =
            url::form_urlencoded::parse(rest).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let Ok(request) = payload::signed_request(fields) else { return };
        if let Ok(sig) = payload::decode_sig(&request.sig) {
            let _ = anchor_sep3::verify::verify(&[9u8; 32], request.data.as_bytes(), &sig);
        }
        request.data
    } else {
        let Ok(text) = std::str::from_utf8(rest) else { return };
        text.to_string()
    };
    let Ok(auth) = payload::parse_auth_data(&data) else { return };
    let _ = payload::parse_federation_address(&auth.sender, "data.sender");
    let attachment = payload::parse_attachment(&auth.attachment);
    let Ok(decoded) = payload::decode_transaction_with_xdr(&auth.tx) else { return };
    let _ = payload::check_memo(&decoded.transaction, &auth.attachment);
    let network_id = payload::network_id("Test SDF Network ; September 2015");
    let transaction_id = payload::transaction_id_of_xdr(&network_id, &decoded.xdr);
    let _ = payload::request_fingerprint(&auth, &transaction_id);
    let _ = payload::memo_hash_base64(&decoded.transaction);
    let _ = payload::source_account_id(&decoded.transaction);
    let Ok(first) = payload::first_operation(&decoded.transaction) else { return };
    if let Ok(attachment) = attachment {
        let _ = subject(&auth.sender, "bank.example.com", &attachment, &first);
    }
});
