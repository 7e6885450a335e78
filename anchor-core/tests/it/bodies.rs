//! Every body is bounded as it is read, chunked or not (security review H1): actix's `Json`,
//! `Form` and `Bytes` extractors with the framework's configurations count a chunked body as it
//! arrives and refuse it at `MAX_REQUEST_BODY_BYTES`, on the public and the internal listener and
//! on an anchor's own routes; the connection is closed rather than drained.

use actix_web::{web, App, HttpResponse, HttpServer};
use anchor_core::testing::hostile::{filled, post_chunked, StreamedAnswer};
use anchor_core::testing::{self, TEST_ADMIN_API_KEY};

use super::support::{all_integrations, build_app, client, serve};

const LIMIT: usize = 64 * 1024;
const LIMIT_TEXT: &str = "65536";
/// What the client offers: far more than any limit.
const HOSTILE: usize = 64 * 1024 * 1024;
/// What may be on its way when the answer comes: the limit plus socket buffers.
const MOST_SENT: usize = 16 * 1024 * 1024;

fn assert_refused_early(answer: &StreamedAnswer, status: u16) {
    assert_stopped_early(answer, status);
    assert!(answer.error().contains(&format!("{LIMIT}-byte limit")), "{}", answer.error());
    assert!(answer.head.contains("connection: close"), "{}", answer.head);
    assert!(answer.closed, "the server kept the connection open to drain the body");
}

/// actix's own `web::Bytes` refusal: the right status and early, but a plain-text body (routes
/// of ours use `RawBody`, which answers like every other refusal).
fn assert_stopped_early(answer: &StreamedAnswer, status: u16) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert!(!answer.finished_sending, "the server read the whole body before answering");
    assert!(answer.sent <= MOST_SENT, "{} bytes sent before the answer", answer.sent);
}

#[actix_web::test]
async fn chunked_json_body_past_the_limit_is_refused() {
    let server = serve(&[("ACTIVE_SEPS", "sep-1,sep-10"), ("MAX_REQUEST_BODY_BYTES", LIMIT_TEXT)]);
    let answer = post_chunked(
        server.addr,
        "/auth/json",
        &[("Content-Type", "application/json")],
        filled(br#"{"value": ""#, b'x', HOSTILE),
    )
    .await;
    assert_refused_early(&answer, 413);

    let ok = client().post(server.url("/auth/json")).json(&serde_json::json!({"value": "x"})).send().await;
    assert_eq!(ok.unwrap().status(), 200);
}

#[actix_web::test]
async fn chunked_form_and_raw_bodies_past_the_limit_are_refused() {
    let server = serve(&[("ACTIVE_SEPS", "sep-1,sep-10"), ("MAX_REQUEST_BODY_BYTES", LIMIT_TEXT)]);
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let answer = post_chunked(server.addr, "/auth/form", &form, filled(b"value=", b'x', HOSTILE)).await;
    assert_refused_early(&answer, 413);
    let raw = [("Content-Type", "application/octet-stream")];
    let answer = post_chunked(server.addr, "/auth/bytes", &raw, filled(b"", b'x', HOSTILE)).await;
    assert_stopped_early(&answer, 413);
    let answer = post_chunked(server.addr, "/auth/raw", &raw, filled(b"", b'x', HOSTILE)).await;
    assert_refused_early(&answer, 413);

    // Exactly the limit, chunked, is read whole.
    for path in ["/auth/bytes", "/auth/raw"] {
        let answer = post_chunked(server.addr, path, &raw, filled(b"", b'x', LIMIT)).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        assert!(answer.finished_sending);
        assert_eq!(answer.body, format!(r#"{{"length":{LIMIT}}}"#));
    }
}

#[actix_web::test]
async fn internal_api_chunked_body_past_the_limit_is_refused() {
    let settings =
        testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-10"), ("MAX_REQUEST_BODY_BYTES", LIMIT_TEXT)]);
    let server = testing::serve_internal(build_app(settings, all_integrations()).unwrap());
    let bearer = format!("Bearer {TEST_ADMIN_API_KEY}");
    for (path, content_type, prefix) in [
        ("/auth/json", "application/json", &br#"{"value": ""#[..]),
        ("/auth/form", "application/x-www-form-urlencoded", b"value="),
        ("/auth/raw", "application/octet-stream", b""),
    ] {
        let headers = [("Authorization", bearer.as_str()), ("Content-Type", content_type)];
        let answer = post_chunked(server.addr, path, &headers, filled(prefix, b'x', HOSTILE)).await;
        assert_refused_early(&answer, 413);
    }
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/octet-stream")];
    let answer = post_chunked(server.addr, "/auth/bytes", &headers, filled(b"", b'x', HOSTILE)).await;
    assert_stopped_early(&answer, 413);
    let ok = client().get(server.url("/auth/ping")).bearer_auth(TEST_ADMIN_API_KEY).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[actix_web::test]
async fn an_anchors_own_route_gets_the_framework_limit() {
    let settings = testing::settings(&[("ACTIVE_SEPS", "sep-1"), ("MAX_REQUEST_BODY_BYTES", LIMIT_TEXT)]);
    let app = build_app(settings, all_integrations()).unwrap();
    let server = HttpServer::new(move || {
        let app = app.clone();
        App::new().configure(|cfg| app.configure(cfg)).route(
            "/own",
            web::post().to(|body: web::Bytes| async move { HttpResponse::Ok().body(body.len().to_string()) }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let raw = [("Content-Type", "application/octet-stream")];
    let answer = post_chunked(addr, "/own", &raw, filled(b"", b'x', HOSTILE)).await;
    assert_stopped_early(&answer, 413);
    // The framework's limit, not actix's default 256 KiB.
    let answer = post_chunked(addr, "/own", &raw, filled(b"", b'x', LIMIT + 1)).await;
    assert_eq!(answer.status, 413, "{answer:?}");
    handle.stop(false).await;
}
