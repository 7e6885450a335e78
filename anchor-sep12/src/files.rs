//! Uploaded files: content checks (the declared media type must be allowed by
//! `SEP12_FILE_CONTENT_TYPES` and the bytes must match it) and new file ids. Pure.

use crate::Error;

/// Media types whose bytes we can recognise, with their signatures.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        Some("video/mp4")
    } else {
        None
    }
}

const RECOGNISED: &[&str] =
    &["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "video/mp4"];

/// Checks a file named `name` and returns its media type. A part declared
/// `application/octet-stream` (or without a type) takes the type its bytes show.
pub(crate) fn check(name: &str, declared: &str, bytes: &[u8], allowed: &[String]) -> Result<String, Error> {
    if bytes.is_empty() {
        return Err(Error::bad_request(format!("file `{name}` is empty")));
    }
    let declared = declared.to_ascii_lowercase();
    let media_type = if declared.is_empty() || declared == "application/octet-stream" {
        match sniff(bytes) {
            Some(sniffed) => sniffed.to_string(),
            None => declared,
        }
    } else {
        declared
    };
    if !allowed.contains(&media_type) {
        return Err(Error::bad_request(format!(
            "file `{name}` has content type `{media_type}`; accepted: {}",
            allowed.join(", ")
        )));
    }
    if RECOGNISED.contains(&media_type.as_str()) && sniff(bytes) != Some(media_type.as_str()) {
        return Err(Error::bad_request(format!(
            "file `{name}` is declared `{media_type}` but its content is not"
        )));
    }
    Ok(media_type)
}

/// A new random file id.
pub(crate) fn new_file_id() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|err| Error::Internal(format!("random number generator failed: {err}")))?;
    Ok(format!("file_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0];

    fn allowed() -> Vec<String> {
        vec!["image/png".into(), "image/jpeg".into(), "text/plain".into()]
    }

    #[test]
    fn content_must_be_allowed_and_match() {
        assert_eq!(check("f", "image/png", PNG, &allowed()).unwrap(), "image/png");
        assert_eq!(check("f", "application/octet-stream", PNG, &allowed()).unwrap(), "image/png");
        assert!(check("f", "image/jpeg", PNG, &allowed()).is_err());
        assert!(check("f", "application/pdf", b"%PDF-1.4", &allowed()).is_err());
        assert!(check("f", "image/png", b"", &allowed()).is_err());
        assert_eq!(check("f", "text/plain", b"hi", &allowed()).unwrap(), "text/plain");
        assert_ne!(new_file_id().unwrap(), new_file_id().unwrap());
    }
}
