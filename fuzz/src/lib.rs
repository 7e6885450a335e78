//! Helpers shared by the fuzz targets.

use anchor_core::actix_web::dev::Payload as DevPayload;
use anchor_core::actix_web::test::TestRequest;
use anchor_core::actix_web::{web, FromRequest as _, HttpRequest};

/// The multipart boundary the body targets use (`multipart/form-data; boundary=XyZ4`).
pub const BOUNDARY: &str = "XyZ4";

/// The `Content-Type` selected by an input's first byte, and the rest of the input as the body.
pub fn content_type_and_body(data: &[u8]) -> Option<(&'static str, &[u8])> {
    let (&selector, body) = data.split_first()?;
    let content_type = match selector % 7 {
        0 => "application/json",
        1 => "application/x-www-form-urlencoded",
        2 => "multipart/form-data; boundary=XyZ4",
        3 => "",
        4 => "text/plain",
        5 => "multipart/form-data",
        // Too short a boundary: refused before actix-multipart sees it.
        _ => "multipart/form-data; boundary=Xy",
    };
    Some((content_type, body))
}

/// A POST request with this content type and body, as actix hands it to a handler.
pub fn request(content_type: &str, body: &[u8]) -> (HttpRequest, web::Payload) {
    let mut test = TestRequest::post().uri("/");
    if !content_type.is_empty() {
        test = test.insert_header(("content-type", content_type));
    }
    let (req, mut payload): (HttpRequest, DevPayload) = test.set_payload(body.to_vec()).to_http_parts();
    let payload = futures_executor::block_on(web::Payload::from_request(&req, &mut payload))
        .unwrap_or_else(|_| unreachable!("web::Payload extraction cannot fail"));
    (req, payload)
}

/// Runs a future to completion on this thread.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}
