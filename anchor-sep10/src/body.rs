//! IO: the `transaction` field of a `POST /auth` body, from `application/json`,
//! `application/x-www-form-urlencoded` or `multipart/form-data`, read with the configured size
//! limit. A missing, duplicated or non-string `transaction` is a 400 that says so; an oversized
//! body is a 413.
//!
//! `POST /auth` is unauthenticated, so every body is bounded as it is read, chunked or not: the
//! payload goes through core's [`LimitedPayload`] before anything (actix-multipart included)
//! sees it, which stops at `MAX_REQUEST_BODY_BYTES` in total and, for multipart, at
//! [`MAX_PARTS`] parts, 8 KiB of headers per part and 1 KiB per boundary line.

use actix_web::http::header;
use actix_web::{web, HttpMessage as _, HttpRequest};
use anchor_core::http::{BodyLimitError, BodyReadError, LimitTrip, LimitedPayload, MultipartLimits};
use futures_util::StreamExt as _;
use serde_json::Value;

use crate::Error;

/// Most parts a multipart `POST /auth` body may have (it needs one).
pub(crate) const MAX_PARTS: usize = 16;

/// Reads `transaction` from the body of `req`.
pub(crate) async fn transaction(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<String, Error> {
    if let Some(length) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
    {
        if length > limit as u64 {
            return Err(Error::BodyLimit(BodyLimitError::TooLarge(limit)));
        }
    }
    match req.content_type() {
        "application/json" => {
            let body = read_all(payload, limit).await?;
            from_json(&body)
        }
        "application/x-www-form-urlencoded" => {
            let body = read_all(payload, limit).await?;
            from_form(&body)
        }
        "multipart/form-data" => from_multipart(req, payload, limit).await,
        "" => {
            let body = read_all(payload, limit).await?;
            if body.iter().all(u8::is_ascii_whitespace) {
                Err(Error::MissingTransaction)
            } else {
                Err(unsupported())
            }
        }
        _ => Err(unsupported()),
    }
}

fn unsupported() -> Error {
    Error::Body(
        "unsupported Content-Type: send `transaction` as application/json, \
         application/x-www-form-urlencoded or multipart/form-data"
            .into(),
    )
}

async fn read_all(payload: web::Payload, limit: usize) -> Result<Vec<u8>, Error> {
    LimitedPayload::new(payload, limit).read_to_end().await.map_err(|err| match err {
        BodyReadError::Limit(limit) => Error::BodyLimit(limit),
        read => Error::Body(read.to_string()),
    })
}

/// `{"transaction": "<xdr>"}`.
pub(crate) fn from_json(body: &[u8]) -> Result<String, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::MissingTransaction);
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|err| Error::Body(format!("the body is not valid JSON: {err}")))?;
    let Value::Object(mut object) = value else {
        return Err(Error::Body(
            "the JSON body must be an object: {\"transaction\": \"<base64 XDR>\"}".into(),
        ));
    };
    match object.remove("transaction") {
        None | Some(Value::Null) => Err(Error::MissingTransaction),
        Some(Value::String(transaction)) => Ok(transaction),
        Some(_) => Err(Error::TransactionNotString),
    }
}

/// `transaction=<url-encoded xdr>`.
pub(crate) fn from_form(body: &[u8]) -> Result<String, Error> {
    let mut found = None;
    for (key, value) in url::form_urlencoded::parse(body) {
        if key == "transaction" {
            if found.is_some() {
                return Err(Error::Body("`transaction` is given more than once".into()));
            }
            found = Some(value.into_owned());
        }
    }
    found.ok_or(Error::MissingTransaction)
}

async fn from_multipart(req: &HttpRequest, payload: web::Payload, limit: usize) -> Result<String, Error> {
    if let Some(problem) = anchor_core::http::multipart_boundary_problem(req) {
        return Err(Error::Body(problem));
    }
    let limits = MultipartLimits { parts: MAX_PARTS, ..MultipartLimits::default() };
    let payload = LimitedPayload::multipart(req, payload, limit, limits);
    let trip = payload.trip();
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let mut found: Option<String> = None;
    while let Some(field) = trip.unless_stalled(multipart.next()).await.ok_or_else(stalled)? {
        let mut field = field.map_err(|err| invalid_multipart(&trip, err))?;
        refuse_part_length(field.headers())?;
        let is_transaction = field.name() == Some("transaction");
        let mut value = Vec::new();
        while let Some(chunk) = trip.unless_stalled(field.next()).await.ok_or_else(stalled)? {
            let chunk = chunk.map_err(|err| invalid_multipart(&trip, err))?;
            if is_transaction {
                value.extend_from_slice(&chunk);
            }
        }
        if is_transaction {
            if found.is_some() {
                return Err(Error::Body("`transaction` is given more than once".into()));
            }
            found = Some(String::from_utf8(value).map_err(|_| Error::TransactionNotString)?);
        }
    }
    found.ok_or(Error::MissingTransaction)
}

/// A multipart body that ended where the parser still waits for bytes (inside a part or a
/// boundary): see [`LimitTrip::unless_stalled`].
fn stalled() -> Error {
    Error::Body("invalid multipart body: it ends inside a part or boundary".into())
}

/// The limit the payload passed, or else the parser's complaint.
fn invalid_multipart(trip: &LimitTrip, err: actix_multipart::MultipartError) -> Error {
    match trip.tripped() {
        Some(limit) => Error::BodyLimit(limit),
        None => Error::Body(format!("invalid multipart body: {err}")),
    }
}

/// actix-multipart reads a part that declares its own `Content-Length` by that length, past any
/// boundary, where the limits could not follow it; RFC 7578 parts carry no such header.
fn refuse_part_length(headers: &header::HeaderMap) -> Result<(), Error> {
    if headers.contains_key(header::CONTENT_LENGTH) {
        return Err(Error::Body("invalid multipart body: a part must not carry Content-Length".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

    use super::*;

    #[test]
    fn json_shapes() {
        assert_eq!(from_json(br#"{"transaction":"AAAA"}"#).unwrap(), "AAAA");
        assert_eq!(from_json(b"").unwrap_err(), Error::MissingTransaction);
        assert_eq!(from_json(b"{}").unwrap_err(), Error::MissingTransaction);
        assert_eq!(from_json(br#"{"transaction":null}"#).unwrap_err(), Error::MissingTransaction);
        assert_eq!(from_json(br#"{"transaction":1}"#).unwrap_err(), Error::TransactionNotString);
        assert_eq!(from_json(br#"{"transaction":{"a":1}}"#).unwrap_err(), Error::TransactionNotString);
        assert_eq!(from_json(br#"{"transaction":["x"]}"#).unwrap_err(), Error::TransactionNotString);
        assert!(matches!(from_json(b"[1]").unwrap_err(), Error::Body(_)));
        assert!(matches!(from_json(b"{").unwrap_err(), Error::Body(_)));
    }

    #[test]
    fn form_shapes() {
        assert_eq!(from_form(b"transaction=AA%2B%2F%3D").unwrap(), "AA+/=");
        assert_eq!(from_form(b"other=1").unwrap_err(), Error::MissingTransaction);
        assert!(matches!(from_form(b"transaction=a&transaction=b").unwrap_err(), Error::Body(_)));
    }

    /// `POST /auth` as a handler receives it: a multipart body with boundary `XyZ4`.
    fn multipart_request(body: &'static [u8]) -> (HttpRequest, web::Payload) {
        use actix_web::FromRequest as _;
        use futures_util::FutureExt as _;
        let (req, mut payload) = actix_web::test::TestRequest::post()
            .insert_header(("content-type", "multipart/form-data; boundary=XyZ4"))
            .set_payload(body)
            .to_http_parts();
        let payload = web::Payload::from_request(&req, &mut payload).now_or_never().unwrap().unwrap();
        (req, payload)
    }

    /// Found by the `sep10_post_body` fuzz target: a body that ends inside a part left
    /// actix-multipart waiting for bytes that could not arrive, so the request never got an answer.
    /// Polled once here, with the whole body available: it must be answered at once.
    #[test]
    fn multipart_ending_inside_a_part_is_refused_at_once() {
        use futures_util::FutureExt as _;
        for body in [
            &b"--XyZ4\r\nContent-Disposition: form-data; name=\"transaction\"\r\n\r\nAAAA-XyZ--\r\n"[..],
            b"--XyZ4\r\nContent-Disposition: form-data; name=\"transaction\"\r\n\r\nAAAA",
            b"--XyZ4\r\nContent-Disposition: form-data; name=\"transaction\"\r\n\r\nAAAA\r\n--Xy",
        ] {
            let (req, payload) = multipart_request(body);
            let answer = transaction(&req, payload, 4096).now_or_never();
            assert!(matches!(answer, Some(Err(Error::Body(_)))), "{answer:?}");
        }
        // A boundary shorter than 4 bytes made actix-multipart panic on a `--` line of 3 bytes
        // (found by the same target): refused before the body is parsed.
        let (req, mut payload) = actix_web::test::TestRequest::post()
            .insert_header(("content-type", "multipart/form-data; boundary=Xy"))
            .set_payload(&b"--\n"[..])
            .to_http_parts();
        let payload = {
            use actix_web::FromRequest as _;
            web::Payload::from_request(&req, &mut payload).now_or_never().unwrap().unwrap()
        };
        let answer = transaction(&req, payload, 4096).now_or_never();
        assert!(matches!(answer, Some(Err(Error::Body(ref m))) if m.contains("boundary")), "{answer:?}");
        let (req, payload) = multipart_request(
            b"--XyZ4\r\nContent-Disposition: form-data; name=\"transaction\"\r\n\r\nAAAA\r\n--XyZ4--\r\n",
        );
        assert_eq!(transaction(&req, payload, 4096).now_or_never().unwrap().unwrap(), "AAAA");
    }
}
