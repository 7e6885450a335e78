//! IO: the parameters of a SEP-12 request body, from `application/json`,
//! `application/x-www-form-urlencoded` or `multipart/form-data` (SEP-12 allows all three on
//! every endpoint). Text is limited by `MAX_REQUEST_BODY_BYTES`, each file part by
//! `SEP12_MAX_FILE_BYTES` (413 beyond either); a name given twice is a 400.
//!
//! Every body is bounded as it is read, chunked or not: the payload goes through core's
//! [`LimitedPayload`] before anything (actix-multipart included) sees it. JSON and form bodies stop
//! at the text limit; a multipart body at the text limit plus [`MAX_FILE_PARTS`] files in total,
//! [`MAX_PARTS`] parts, 8 KiB of headers per part and 1 KiB per boundary line. At most
//! [`MAX_PARAMS`] distinct names are kept, whatever the content type.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpMessage as _, HttpRequest};
use anchor_core::http::{BodyLimitError, BodyReadError, LimitTrip, LimitedPayload, MultipartLimits};
use futures_util::StreamExt as _;
use serde_json::Value as Json;

use crate::Error;

/// Most file parts one multipart body may carry.
pub(crate) const MAX_FILE_PARTS: usize = 8;
/// Most distinct parameters one body may carry: the SEP-9 catalogue (about 90 names), their
/// `_file_id` and verification forms, and SEP-12's own parameters fit with room to spare.
pub(crate) const MAX_PARAMS: usize = 256;
/// Most parts one multipart body may have (one per parameter).
pub(crate) const MAX_PARTS: usize = MAX_PARAMS;

/// A file part of a multipart body.
pub(crate) struct Upload {
    /// The part's declared media type (lower case, without parameters).
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// One parameter value.
pub(crate) enum Value {
    /// Text (JSON strings, numbers and booleans become text).
    Text(String),
    /// A file part.
    File(Upload),
}

/// The parameters of a body, by name. Deliberately not `Debug`: values are personal data.
#[derive(Default)]
pub(crate) struct Params {
    values: BTreeMap<String, Value>,
}

impl Params {
    fn insert(&mut self, name: String, value: Value) -> Result<(), Error> {
        if self.values.contains_key(&name) {
            return Err(Error::bad_request(format!("`{}` is given more than once", printable(&name))));
        }
        if self.values.len() >= MAX_PARAMS {
            return Err(Error::Limit(BodyLimitError::TooManyFields(MAX_PARAMS)));
        }
        self.values.insert(name, value);
        Ok(())
    }

    /// Parameters from a query string (`GET`).
    pub(crate) fn from_query(query: &str) -> Result<Params, Error> {
        from_form(query.as_bytes())
    }

    /// Removes a text parameter; a file under that name is a 400.
    pub(crate) fn take_text(&mut self, name: &str) -> Result<Option<String>, Error> {
        match self.values.remove(name) {
            None => Ok(None),
            Some(Value::Text(text)) => Ok(Some(text)),
            Some(Value::File(_)) => {
                Err(Error::bad_request(format!("`{name}` must be a text value, not a file")))
            }
        }
    }

    /// The remaining parameters.
    pub(crate) fn into_entries(self) -> impl Iterator<Item = (String, Value)> {
        self.values.into_iter()
    }

    /// The names of the remaining parameters.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }
}

/// A parameter name safe to put in an error message (a client's own input, truncated).
pub(crate) fn printable(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
    cleaned
}

/// Size limits of a body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// JSON, form, or the text parts of a multipart body together.
    pub text: usize,
    /// Each file part.
    pub file: usize,
}

impl Limits {
    /// The whole of a multipart body: the text, the files if the endpoint takes any, and room
    /// for the parts' boundaries and headers.
    fn multipart_total(&self, allow_files: bool) -> usize {
        let files = if allow_files { self.file.saturating_mul(MAX_FILE_PARTS) } else { 0 };
        let framing = MAX_PARTS.saturating_mul(512);
        self.text.saturating_add(files).saturating_add(framing)
    }
}

/// Reads the body's parameters. An empty body without a content type has none.
pub(crate) async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    limits: Limits,
    allow_files: bool,
) -> Result<Params, Error> {
    let content_type = req.content_type().to_ascii_lowercase();
    let declared_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match content_type.as_str() {
        "application/json" => {
            check_length(declared_length, limits.text)?;
            from_json(&read_all(payload, limits.text).await?)
        }
        "application/x-www-form-urlencoded" => {
            check_length(declared_length, limits.text)?;
            from_form(&read_all(payload, limits.text).await?)
        }
        "multipart/form-data" => {
            let total = limits.multipart_total(allow_files);
            check_length(declared_length, total)?;
            from_multipart(req, payload, limits, allow_files).await
        }
        "" => {
            let body = read_all(payload, limits.text).await?;
            if body.iter().all(u8::is_ascii_whitespace) {
                Ok(Params::default())
            } else {
                Err(unsupported())
            }
        }
        _ => Err(unsupported()),
    }
}

fn unsupported() -> Error {
    Error::bad_request(
        "unsupported Content-Type: send application/json, application/x-www-form-urlencoded \
         or multipart/form-data",
    )
}

fn too_large(limit: usize) -> Error {
    Error::Limit(BodyLimitError::TooLarge(limit))
}

fn check_length(declared: Option<u64>, limit: usize) -> Result<(), Error> {
    match declared {
        Some(length) if length > limit as u64 => Err(too_large(limit)),
        _ => Ok(()),
    }
}

async fn read_all(payload: web::Payload, limit: usize) -> Result<Vec<u8>, Error> {
    LimitedPayload::new(payload, limit).read_to_end().await.map_err(|err| match err {
        BodyReadError::Limit(limit) => Error::Limit(limit),
        read => Error::bad_request(read.to_string()),
    })
}

/// A multipart body that ended where the parser still waits for bytes (inside a part or a
/// boundary): see [`LimitTrip::unless_stalled`].
fn stalled() -> Error {
    Error::bad_request("invalid multipart body: it ends inside a part or boundary")
}

/// The limit the payload passed, or else the parser's complaint.
fn invalid_multipart(trip: &LimitTrip, err: actix_multipart::MultipartError) -> Error {
    match trip.tripped() {
        Some(limit) => Error::Limit(limit),
        None => Error::bad_request(format!("invalid multipart body: {err}")),
    }
}

/// A JSON object of strings, numbers and booleans; `null` counts as absent.
pub(crate) fn from_json(body: &[u8]) -> Result<Params, Error> {
    let mut params = Params::default();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    let value: Json = serde_json::from_slice(body)
        .map_err(|err| Error::bad_request(format!("invalid JSON body: {err}")))?;
    let Json::Object(object) = value else {
        return Err(Error::bad_request("the JSON body must be an object"));
    };
    for (name, value) in object {
        let text = match value {
            Json::Null => continue,
            Json::String(text) => text,
            Json::Number(number) => number.to_string(),
            Json::Bool(flag) => flag.to_string(),
            Json::Array(_) | Json::Object(_) => {
                return Err(Error::bad_request(format!(
                    "`{}` must be a string or a number; SEP-9 names are flat (`organization.name`), \
                     not nested objects",
                    printable(&name)
                )))
            }
        };
        params.insert(name, Value::Text(text))?;
    }
    Ok(params)
}

/// `a=1&b=2`.
pub(crate) fn from_form(body: &[u8]) -> Result<Params, Error> {
    let mut params = Params::default();
    for (name, value) in url::form_urlencoded::parse(body) {
        params.insert(name.into_owned(), Value::Text(value.into_owned()))?;
    }
    Ok(params)
}

async fn from_multipart(
    req: &HttpRequest,
    payload: web::Payload,
    limits: Limits,
    allow_files: bool,
) -> Result<Params, Error> {
    if let Some(problem) = anchor_core::http::multipart_boundary_problem(req) {
        return Err(Error::bad_request(problem));
    }
    let limits_of_parts = MultipartLimits { parts: MAX_PARTS, ..MultipartLimits::default() };
    let payload =
        LimitedPayload::multipart(req, payload, limits.multipart_total(allow_files), limits_of_parts);
    let trip = payload.trip();
    let invalid = |err: actix_multipart::MultipartError| invalid_multipart(&trip, err);
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let mut params = Params::default();
    let mut text_total = 0usize;
    let mut files = 0usize;
    while let Some(field) = trip.unless_stalled(multipart.next()).await.ok_or_else(stalled)? {
        let mut field = field.map_err(invalid)?;
        // actix-multipart reads a part that declares its own length by that length, past any
        // boundary, where the limits could not follow it; RFC 7578 parts carry no such header.
        if field.headers().contains_key(header::CONTENT_LENGTH) {
            return Err(Error::bad_request("invalid multipart body: a part must not carry Content-Length"));
        }
        let Some(name) = field.name().map(str::to_string) else {
            return Err(Error::bad_request(
                "invalid multipart body: a part has no name in its Content-Disposition",
            ));
        };
        let is_file =
            field.content_disposition().is_some_and(|disposition| disposition.get_filename().is_some());
        if is_file {
            if !allow_files {
                return Err(Error::bad_request(format!(
                    "`{}`: this endpoint takes no files",
                    printable(&name)
                )));
            }
            files += 1;
            if files > MAX_FILE_PARTS {
                return Err(Error::bad_request(format!(
                    "a request may carry at most {MAX_FILE_PARTS} files"
                )));
            }
            let content_type = field
                .content_type()
                .map(|mime| mime.essence_str().to_ascii_lowercase())
                .unwrap_or_else(|| "application/octet-stream".to_string());
            let mut bytes = Vec::new();
            while let Some(chunk) = trip.unless_stalled(field.next()).await.ok_or_else(stalled)? {
                let chunk = chunk.map_err(invalid)?;
                if bytes.len() + chunk.len() > limits.file {
                    return Err(Error::TooLarge(format!(
                        "file `{}` is larger than the {}-byte limit",
                        printable(&name),
                        limits.file
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            params.insert(name, Value::File(Upload { content_type, bytes }))?;
        } else {
            let mut bytes = Vec::new();
            while let Some(chunk) = trip.unless_stalled(field.next()).await.ok_or_else(stalled)? {
                let chunk = chunk.map_err(invalid)?;
                text_total += chunk.len();
                if text_total > limits.text {
                    return Err(too_large(limits.text));
                }
                bytes.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::bad_request(format!("`{}` is not valid UTF-8 text", printable(&name))))?;
            params.insert(name, Value::Text(text))?;
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
    use super::*;

    fn names(params: &Params) -> Vec<&str> {
        params.names().collect()
    }

    #[test]
    fn json_and_form_shapes() {
        let params = from_json(br#"{"first_name":"Jane","memo":5,"x":null}"#).unwrap();
        assert_eq!(names(&params), ["first_name", "memo"]);
        let mut params = from_json(br#"{"memo":18446744073709551615}"#).unwrap();
        assert_eq!(params.take_text("memo").unwrap().unwrap(), "18446744073709551615");
        assert!(from_json(br#"{"organization":{"name":"x"}}"#).is_err());
        assert!(from_json(b"[1]").is_err());
        assert!(from_json(b"{").is_err());
        assert_eq!(names(&from_json(b"  ").unwrap()).len(), 0);
        assert!(from_form(b"a=1&a=2").is_err());
        let mut params = from_form(b"first_name=J%C3%A1ne&type=default").unwrap();
        assert_eq!(params.take_text("first_name").unwrap().unwrap(), "Jáne");
    }

    /// Found by the `sep12_body` fuzz target: a multipart body that ends inside a part (here a
    /// file part whose closing boundary is broken) left actix-multipart waiting for bytes that
    /// could not arrive, so the request never got an answer. Polled once here, with the whole
    /// body available: it must be answered at once.
    #[test]
    fn multipart_ending_inside_a_part_is_refused_at_once() {
        use actix_web::FromRequest as _;
        use futures_util::FutureExt as _;
        let read_once = |body: &'static [u8]| {
            let (req, mut payload) = actix_web::test::TestRequest::post()
                .insert_header(("content-type", "multipart/form-data; boundary=XyZ4"))
                .set_payload(body)
                .to_http_parts();
            let payload = web::Payload::from_request(&req, &mut payload).now_or_never().unwrap().unwrap();
            read(&req, payload, Limits { text: 4096, file: 4096 }, true).now_or_never()
        };
        for body in [
            &b"--XyZ4\r\nContent-Disposition: form-data; name=\"photo_id_back\"; filename=\"b.png\"\r\n\
               Content-Type: image/png\r\n\r\nPNG\r:--XyZ4--\r\n"[..],
            b"--XyZ4\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\nJane",
        ] {
            assert!(matches!(read_once(body), Some(Err(Error::BadRequest(_)))));
        }
        let params = read_once(
            b"--XyZ4\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\nJane\r\n--XyZ4--\r\n",
        );
        assert_eq!(names(&params.unwrap().unwrap()), ["first_name"]);
    }
}
