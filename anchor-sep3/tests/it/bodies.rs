//! Every SEP-3 body is bounded as it is read, chunked or not (security review H1): the public
//! `AUTH_SERVER` and the internal sending API refuse a chunked form past `MAX_REQUEST_BODY_BYTES`
//! long before the client would have finished, close the connection, and serve the next request.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::net::SocketAddr;

use anchor_core::testing::hostile::{filled, post_chunked};
use anchor_core::testing::{self, TEST_ADMIN_API_KEY};

use crate::support::{database_on, internal, start_bank, BankOptions, Server, SEED_A};

fn addr(server: &Server) -> SocketAddr {
    server.url.trim_start_matches("http://").parse().unwrap()
}

#[actix_web::test]
async fn internal_api_chunked_body_past_the_limit_is_refused() {
    let options = BankOptions {
        extra_settings: vec![("MAX_REQUEST_BODY_BYTES", "65536".to_string())],
        ..BankOptions::new(SEED_A)
    };
    let bank = start_bank(database_on("sqlite"), options);
    let bearer = format!("Bearer {TEST_ADMIN_API_KEY}");
    let form = "application/x-www-form-urlencoded";
    let targets = [
        (addr(&bank.internal), "/send", vec![("Authorization", bearer.as_str()), ("Content-Type", form)]),
        (
            addr(&bank.internal),
            "/allow_access",
            vec![("Authorization", bearer.as_str()), ("Content-Type", form)],
        ),
        (addr(&bank.public), "/compliance", vec![("Content-Type", form)]),
    ];
    for (addr, path, headers) in targets {
        let answer = post_chunked(addr, path, &headers, filled(b"memo=", b'x', 64 * 1024 * 1024)).await;
        assert_eq!(answer.status, 413, "{path}: {answer:?}");
        assert!(answer.error().contains("65536-byte limit"), "{path}: {}", answer.error());
        assert!(!answer.finished_sending, "{path}: the whole body was read");
        assert!(answer.sent <= 16 * 1024 * 1024, "{path}: {} bytes sent before the answer", answer.sent);
        assert!(answer.closed, "{path}: the connection was kept open to drain the body");
    }
    let (status, body) = internal(
        &bank,
        "/allow_access",
        &[("name", "Bank B"), ("domain", "b.example"), ("public_key", testing::TEST_SIGNING_KEY)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
