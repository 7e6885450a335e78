//! Every SEP-12 body is bounded as it is read, chunked or not (security review H1, M6): the
//! total, multipart parts, part headers, boundary lines and the number of distinct names kept.
//! Hostile bodies go lazily over raw HTTP/1.1; each test asserts the refusal, that it came long
//! before the client would have finished, and that a normal `PUT /customer` is served after.

use anchor_core::testing;
use anchor_core::testing::hostile::{filled, repeated, send_chunked, BodyChunks, StreamedAnswer};
use serde_json::json;

use crate::support::{harness, token_for, Harness, G1};

/// What the attacker offers: far more than any limit.
const HOSTILE: usize = 256 * 1024 * 1024;
/// What may be on its way when the answer comes: the limits plus socket buffers.
const MOST_SENT: usize = 16 * 1024 * 1024;
const BOUNDARY: &str = "XyZboundary";

fn start() -> Harness {
    harness(
        testing::sqlite_database(),
        &[("MAX_REQUEST_BODY_BYTES", "65536"), ("SEP12_MAX_FILE_BYTES", "65536")],
    )
}

async fn put(h: &Harness, content_type: &str, body: BodyChunks) -> StreamedAnswer {
    let bearer = format!("Bearer {}", token_for(&h.settings, G1, 300));
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", content_type)];
    send_chunked(h.server.addr, "PUT", "/kyc/customer", &headers, body).await
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

fn assert_refused(answer: &StreamedAnswer, status: u16, message: &str) {
    answer.assert_refused_early(status, message, MOST_SENT);
}

async fn assert_still_serving(h: &Harness) {
    let answer = h.as_(G1).put_json(json!({"first_name": "Jane"})).await;
    assert!(answer.status < 300, "{}: {}", answer.status, answer.body);
}

#[actix_web::test]
async fn sep12_put_with_many_distinct_field_names_is_refused() {
    let h = start();
    // Form and JSON: small bodies, many names.
    let form: String = (0..300).map(|i| format!("x{i}=1&")).collect();
    let answer = h
        .as_(G1)
        .raw(reqwest::Method::PUT, "/customer", "application/x-www-form-urlencoded", form.into_bytes())
        .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.error().contains("at most 256 parameters"), "{}", answer.error());
    let object: serde_json::Map<String, serde_json::Value> =
        (0..300).map(|i| (format!("x{i}"), json!("1"))).collect();
    let answer = h.as_(G1).put_json(serde_json::Value::Object(object)).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.error().contains("at most 256 parameters"), "{}", answer.error());

    // Multipart, chunked: a million empty parts with distinct names stop at the part limit.
    let mut index = 0u64;
    let parts = std::iter::from_fn(move || {
        let chunk: String = (0..100)
            .map(|_| {
                index += 1;
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"x{index}\"\r\n\r\n\r\n")
            })
            .collect();
        (index < 1_000_000).then(|| chunk.into_bytes())
    });
    let answer = put(&h, &multipart_type(), Box::new(parts)).await;
    assert_refused(&answer, 400, "at most 256 parts");
    assert_still_serving(&h).await;
}

#[actix_web::test]
async fn multipart_with_thousands_of_parts_is_refused() {
    let h = start();
    let part = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\nx\r\n");
    let answer = put(&h, &multipart_type(), repeated(part.into_bytes(), 1_000_000)).await;
    // The same name twice is refused at once; either way nothing past the limits is read.
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(!answer.finished_sending);
    assert!(answer.sent <= MOST_SENT, "{}", answer.sent);
    let empty = format!("--{BOUNDARY}\r\n\r\n\r\n");
    let answer = put(&h, &multipart_type(), repeated(empty.into_bytes(), 1_000_000)).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(!answer.finished_sending);
    assert_still_serving(&h).await;
}

#[actix_web::test]
async fn chunked_multipart_put_past_the_limits_is_refused() {
    let h = start();
    // A boundary line without end.
    let answer = put(&h, &multipart_type(), filled(format!("--{BOUNDARY}").as_bytes(), b'a', HOSTILE)).await;
    assert_refused(&answer, 400, "boundary line");
    // A header block without end.
    let head = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"first_name\"\r\nX-Pad: ");
    let answer = put(&h, &multipart_type(), filled(head.as_bytes(), b'p', HOSTILE)).await;
    assert_refused(&answer, 413, "headers are larger than the 8192-byte limit");
    // A text value without end: the text limit.
    let text = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\n");
    let answer = put(&h, &multipart_type(), filled(text.as_bytes(), b'J', HOSTILE)).await;
    assert_refused(&answer, 413, "65536-byte limit");
    // A file without end: the file limit.
    let file = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo_id_front\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
    );
    let answer = put(&h, &multipart_type(), filled(file.as_bytes(), b'P', HOSTILE)).await;
    assert_refused(&answer, 413, "65536-byte limit");
    // JSON and form, chunked.
    let answer = put(&h, "application/json", filled(br#"{"first_name": ""#, b'J', HOSTILE)).await;
    assert_refused(&answer, 413, "65536-byte limit");
    let answer = put(&h, "application/x-www-form-urlencoded", filled(b"first_name=", b'J', HOSTILE)).await;
    assert_refused(&answer, 413, "65536-byte limit");
    assert_still_serving(&h).await;
}
