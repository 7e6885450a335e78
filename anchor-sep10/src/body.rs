//! IO: the `transaction` field of a `POST /auth` body, from `application/json`,
//! `application/x-www-form-urlencoded` or `multipart/form-data`, read with the configured size
//! limit. A missing, duplicated or non-string `transaction` is a 400 that says so; an oversized
//! body is a 413.

use actix_web::http::header;
use actix_web::{web, HttpMessage as _, HttpRequest};
use futures_util::StreamExt as _;
use serde_json::Value;

use crate::Error;

/// Reads `transaction` from the body of `req`.
pub async fn transaction(req: &HttpRequest, payload: web::Payload, limit: usize) -> Result<String, Error> {
    if let Some(length) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
    {
        if length > limit as u64 {
            return Err(Error::BodyTooLarge(limit));
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

async fn read_all(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| Error::Body(format!("the body could not be read: {err}")))?;
        if body.len() + chunk.len() > limit {
            return Err(Error::BodyTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `{"transaction": "<xdr>"}`.
pub fn from_json(body: &[u8]) -> Result<String, Error> {
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
pub fn from_form(body: &[u8]) -> Result<String, Error> {
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
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let mut total = 0usize;
    let mut found: Option<String> = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|err| Error::Body(format!("invalid multipart body: {err}")))?;
        let is_transaction = field.name() == Some("transaction");
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|err| Error::Body(format!("invalid multipart body: {err}")))?;
            total += chunk.len();
            if total > limit {
                return Err(Error::BodyTooLarge(limit));
            }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

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
}
