//! The multipart scanner behind `LimitedPayload`: a well-formed body passes however it is chunked,
//! content and epilogue are not limited by line length, and too many parts, an endless header block
//! or an endless boundary line is refused at its limit with the status of its kind.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use super::*;

fn limits() -> MultipartLimits {
    MultipartLimits { parts: 3, part_header_bytes: 64, boundary_line_bytes: 32 }
}

/// Feeds `body` in pieces of `step` bytes.
fn scan(body: &[u8], step: usize) -> Result<MultipartScanner, BodyLimitError> {
    let mut scanner = MultipartScanner::new(b"XyZ".to_vec(), limits());
    for piece in body.chunks(step) {
        scanner.feed(piece)?;
    }
    Ok(scanner)
}

fn part(name: &str, value: &str) -> String {
    format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
}

#[test]
fn a_well_formed_body_passes_in_any_chunking() {
    let body = format!("{}{}--XyZ--\r\n", part("a", "1"), part("b", "line\r\n--not-it\r--XyWx\r\n--Xy"));
    for step in [1, 2, 3, 7, body.len()] {
        let scanner = scan(body.as_bytes(), step).unwrap();
        assert_eq!(scanner.state, Scan::Epilogue, "step {step}");
        assert_eq!(scanner.parts, 2, "step {step}");
    }
}

#[test]
fn the_epilogue_and_content_are_not_limited_by_line_length() {
    let long = "x".repeat(10_000);
    let body = format!("{}--XyZ--\r\n{long}", part("a", &long));
    assert!(scan(body.as_bytes(), 100).is_ok());
}

#[test]
fn too_many_parts_are_refused_at_the_first_extra_boundary() {
    let body: String = (0..4).map(|i| part(&i.to_string(), "")).collect();
    for step in [1, 5, body.len()] {
        assert_eq!(scan(body.as_bytes(), step).unwrap_err(), BodyLimitError::TooManyParts(3));
    }
    let three: String = (0..3).map(|i| part(&i.to_string(), "")).collect();
    assert!(scan(three.as_bytes(), 1).is_ok());
}

#[test]
fn a_header_block_without_end_is_refused_at_its_limit() {
    let body = format!("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: {}", "p".repeat(100));
    assert_eq!(scan(body.as_bytes(), 4).unwrap_err(), BodyLimitError::PartHeadersTooLarge(64));
    let lines = format!("--XyZ\r\n{}", "h: v\r\n".repeat(20));
    assert_eq!(scan(lines.as_bytes(), 4).unwrap_err(), BodyLimitError::PartHeadersTooLarge(64));
}

#[test]
fn a_first_boundary_line_without_newline_is_refused_at_its_limit() {
    let body = format!("--XyZ{}", "a".repeat(100));
    assert_eq!(scan(body.as_bytes(), 3).unwrap_err(), BodyLimitError::BoundaryLineTooLong(32));
    // Many short lines before the first boundary count together.
    let preamble = "ab\r\n".repeat(20);
    assert_eq!(scan(preamble.as_bytes(), 3).unwrap_err(), BodyLimitError::BoundaryLineTooLong(32));
}

#[test]
fn a_delimiter_line_without_newline_is_refused_at_its_limit() {
    let body = format!("{}--XyZ{}", part("a", "1"), " ".repeat(100));
    assert_eq!(scan(body.as_bytes(), 9).unwrap_err(), BodyLimitError::BoundaryLineTooLong(32));
    // `\r--boundary` also ends content for actix-multipart, so it is watched the same way.
    let body = format!("--XyZ\r\nA: b\r\n\r\nvalue\r--XyZ{}", " ".repeat(100));
    assert_eq!(scan(body.as_bytes(), 1).unwrap_err(), BodyLimitError::BoundaryLineTooLong(32));
}

#[test]
fn statuses_follow_the_kind_of_limit() {
    use actix_web::ResponseError as _;
    let status = |err| SepError::BodyLimit(err).status_code().as_u16();
    assert_eq!(status(BodyLimitError::TooLarge(1)), 413);
    assert_eq!(status(BodyLimitError::PartHeadersTooLarge(1)), 413);
    assert_eq!(status(BodyLimitError::TooManyParts(1)), 400);
    assert_eq!(status(BodyLimitError::BoundaryLineTooLong(1)), 400);
    assert_eq!(status(BodyLimitError::TooManyFields(1)), 400);
}
