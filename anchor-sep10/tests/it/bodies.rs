//! `POST /auth` is unauthenticated, so every body is bounded as it is read, chunked or not
//! (security review H1): the total, multipart parts, part headers and boundary lines. Each test
//! sends a hostile chunked body lazily over raw HTTP/1.1, asserts the refusal, that it came long
//! before the client would have finished, and that the anchor then serves a normal sign-in.

use std::net::SocketAddr;

use anchor_core::testing::hostile::{filled, post_chunked, repeated, BodyChunks, StreamedAnswer};
use anchor_core::testing::{self, TestDatabase};
use anchor_core::Integrations;

use crate::support::{anchor, key, sign, start_horizon, Anchor, HorizonState, Server};

/// `MAX_REQUEST_BODY_BYTES` in these tests.
const LIMIT: usize = 64 * 1024;
/// What the attacker offers: far more than any limit.
const HOSTILE: usize = 256 * 1024 * 1024;
/// What may be on its way when the answer comes: the limit plus socket buffers.
const MOST_SENT: usize = 16 * 1024 * 1024;
const BOUNDARY: &str = "XyZboundary";

fn start(db: &TestDatabase) -> (Anchor, Server) {
    let horizon = start_horizon(HorizonState::default(), 1);
    let anchor = anchor(db, &horizon.url, &[("MAX_REQUEST_BODY_BYTES", "65536")], Integrations::default());
    (anchor, horizon)
}

fn addr(anchor: &Anchor) -> SocketAddr {
    anchor.server.url.trim_start_matches("http://").parse().expect("a socket address")
}

async fn post(anchor: &Anchor, content_type: &str, body: BodyChunks) -> StreamedAnswer {
    post_chunked(addr(anchor), "/auth", &[("Content-Type", content_type)], body).await
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// The refusal came with `status` and a message containing `message`, before the client sent
/// more than [`MOST_SENT`] bytes, and the server closed the connection rather than read on.
fn assert_refused(answer: &StreamedAnswer, status: u16, message: &str) {
    answer.assert_refused_early(status, message, MOST_SENT);
}

/// A normal multipart sign-in still works.
async fn assert_still_serving(anchor: &Anchor) {
    let client = key();
    let xdr = anchor.challenge(&format!("?account={}", client.public_key())).await;
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"transaction\"\r\n\r\n{}\r\n--{BOUNDARY}--\r\n",
        sign(&xdr, &[&client])
    );
    let (status, body) = anchor.post_raw(&multipart_type(), body.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
}

#[actix_web::test]
async fn chunked_multipart_auth_body_without_newline_is_refused_at_the_limit() {
    let db = testing::sqlite_database();
    let (anchor, _horizon) = start(&db);
    // The review's attack: a boundary line, then bytes with no newline.
    let answer =
        post(&anchor, &multipart_type(), filled(format!("--{BOUNDARY}").as_bytes(), b'a', HOSTILE)).await;
    assert_refused(&answer, 400, "boundary line");
    // The same after a well-formed first part: the line after a delimiter.
    let first =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--{BOUNDARY}");
    let answer = post(&anchor, &multipart_type(), filled(first.as_bytes(), b' ', HOSTILE)).await;
    assert_refused(&answer, 400, "boundary line");
    // And inside a part's value, where newlines are allowed: the total.
    let value = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"transaction\"\r\n\r\n");
    let answer = post(&anchor, &multipart_type(), filled(value.as_bytes(), b'A', HOSTILE)).await;
    assert_refused(&answer, 413, &format!("{LIMIT}-byte limit"));
    assert_still_serving(&anchor).await;
}

#[actix_web::test]
async fn chunked_json_and_form_auth_bodies_past_the_limit_are_refused() {
    let db = testing::sqlite_database();
    let (anchor, _horizon) = start(&db);
    let limit = format!("{LIMIT}-byte limit");
    let answer = post(&anchor, "application/json", filled(br#"{"transaction": ""#, b'A', HOSTILE)).await;
    assert_refused(&answer, 413, &limit);
    let answer =
        post(&anchor, "application/x-www-form-urlencoded", filled(b"transaction=", b'A', HOSTILE)).await;
    assert_refused(&answer, 413, &limit);
    let answer = post(&anchor, "", filled(b"", b' ', HOSTILE)).await;
    assert_refused(&answer, 413, &limit);
    assert_still_serving(&anchor).await;
}

#[actix_web::test]
async fn multipart_with_thousands_of_parts_is_refused() {
    let db = testing::sqlite_database();
    let (anchor, _horizon) = start(&db);
    let part = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\n\r\n");
    let answer = post(&anchor, &multipart_type(), repeated(part.into_bytes(), 1_000_000)).await;
    assert_refused(&answer, 400, "at most 16 parts");
    assert_still_serving(&anchor).await;
}

#[actix_web::test]
async fn multipart_part_header_without_end_is_refused() {
    let db = testing::sqlite_database();
    let (anchor, _horizon) = start(&db);
    let head = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"transaction\"\r\nX-Pad: ");
    let answer = post(&anchor, &multipart_type(), filled(head.as_bytes(), b'p', HOSTILE)).await;
    assert_refused(&answer, 413, "headers are larger than the 8192-byte limit");
    // Many short header lines and no blank line.
    let head = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"transaction\"\r\n");
    let answer = post(&anchor, &multipart_type(), repeated_after(head, b"X-A: b\r\n", HOSTILE)).await;
    assert_refused(&answer, 413, "headers are larger than the 8192-byte limit");
    assert_still_serving(&anchor).await;
}

#[actix_web::test]
async fn multipart_part_with_its_own_length_is_refused() {
    let db = testing::sqlite_database();
    let (anchor, _horizon) = start(&db);
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"transaction\"\r\nContent-Length: 4\r\n\r\nAAAA\r\n--{BOUNDARY}--\r\n"
    );
    let (status, body) = anchor.post_raw(&multipart_type(), body.into_bytes()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("Content-Length"), "{body}");
    assert_still_serving(&anchor).await;
}

fn repeated_after(head: String, unit: &[u8], total: usize) -> BodyChunks {
    Box::new(std::iter::once(head.into_bytes()).chain(repeated(unit.to_vec(), total / unit.len())))
}
