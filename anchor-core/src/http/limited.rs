//! Bounded request bodies: [`LimitedPayload`] wraps actix's `web::Payload` in a stream that fails
//! as soon as the bytes read pass a limit, whatever `Content-Length` says or does not say (a
//! `Transfer-Encoding: chunked` body declares nothing). For `multipart/form-data` it also watches
//! the structure actix-multipart would otherwise buffer without bound while looking for a line end
//! or a blank line (the first boundary line, each part's header block, the line after each
//! delimiter) and counts the parts, so the parser downstream never holds more than those limits.
//!
//! The watcher only refuses; it never decides what the body means. Where it and actix-multipart
//! could disagree (a part that declares its own `Content-Length`, which actix-multipart honours
//! and this watcher does not), the SEP body readers refuse the part.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::error::PayloadError;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage as _, HttpRequest};
use futures_util::{Stream, StreamExt as _};

use super::SepError;

/// Most parts a multipart body may have, by default.
pub const MAX_MULTIPART_PARTS: usize = 64;
/// Largest header block of one multipart part (everything between its boundary line and the
/// blank line), in bytes.
pub const MAX_PART_HEADER_BYTES: usize = 8 * 1024;
/// Longest multipart boundary line (and everything before the first one), in bytes. RFC 2046
/// boundaries are at most 70 characters.
pub const MAX_BOUNDARY_LINE_BYTES: usize = 1024;

/// A body that broke one of its limits. The message names the limit; [`SepError`] answers 413
/// for sizes and 400 for counts and shapes, and closes the connection instead of reading on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyLimitError {
    /// More bytes than the limit (413).
    #[error("request body is larger than the {0}-byte limit")]
    TooLarge(usize),
    /// More multipart parts than the limit (400).
    #[error("a multipart body may have at most {0} parts")]
    TooManyParts(usize),
    /// A multipart part's header block is larger than the limit (413).
    #[error("a multipart part's headers are larger than the {0}-byte limit")]
    PartHeadersTooLarge(usize),
    /// A boundary line longer than the limit, or no boundary line within the limit from the start
    /// of the body (400).
    #[error("a multipart boundary line (and anything before the first) may be at most {0} bytes")]
    BoundaryLineTooLong(usize),
    /// More distinct parameters than the limit (400); counted by the reader that keeps them.
    #[error("a request may carry at most {0} parameters")]
    TooManyFields(usize),
}

impl BodyLimitError {
    /// Whether this is a size limit (413) rather than a count or shape (400).
    pub fn is_size(&self) -> bool {
        matches!(self, BodyLimitError::TooLarge(_) | BodyLimitError::PartHeadersTooLarge(_))
    }
}

/// Reading a bounded body failed: a limit, or the client's transfer itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyReadError {
    /// A limit was passed.
    #[error(transparent)]
    Limit(#[from] BodyLimitError),
    /// The transfer broke (bad chunked encoding, the client went away).
    #[error("the body could not be read: {0}")]
    Read(String),
}

impl From<BodyReadError> for SepError {
    fn from(err: BodyReadError) -> Self {
        match err {
            BodyReadError::Limit(limit) => SepError::BodyLimit(limit),
            BodyReadError::Read(_) => SepError::BadRequest(err.to_string()),
        }
    }
}

/// The multipart limits [`LimitedPayload::multipart`] enforces besides the total size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartLimits {
    /// Most parts.
    pub parts: usize,
    /// Largest header block of one part, in bytes.
    pub part_header_bytes: usize,
    /// Longest boundary line, and most bytes before the first boundary line.
    pub boundary_line_bytes: usize,
}

impl Default for MultipartLimits {
    fn default() -> Self {
        MultipartLimits {
            parts: MAX_MULTIPART_PARTS,
            part_header_bytes: MAX_PART_HEADER_BYTES,
            boundary_line_bytes: MAX_BOUNDARY_LINE_BYTES,
        }
    }
}

/// Shortest multipart boundary accepted, in bytes. RFC 2046 allows 1 to 70 characters, but
/// actix-multipart 0.7 panics (`skip_until_boundary` slices `line[2..len - 2]`) on a line of two
/// or three bytes starting with `--` when the boundary is shorter than this: one unauthenticated
/// request would bring down a worker. Found by the `sep10_post_body` and `sep12_body` fuzz
/// targets. Clients send long random boundaries.
pub const MIN_MULTIPART_BOUNDARY_BYTES: usize = 4;

/// Why a multipart request's `boundary` must be refused before its body is parsed, if it must:
/// shorter than [`MIN_MULTIPART_BOUNDARY_BYTES`]. A missing boundary is left to the parser.
pub fn multipart_boundary_problem(req: &HttpRequest) -> Option<String> {
    let mime = req.mime_type().ok().flatten()?;
    let boundary = mime.get_param(actix_web::mime::BOUNDARY)?;
    (boundary.as_str().len() < MIN_MULTIPART_BOUNDARY_BYTES).then(|| {
        format!(
            "invalid multipart body: the boundary must be at least {MIN_MULTIPART_BOUNDARY_BYTES} characters"
        )
    })
}

/// Which limit a [`LimitedPayload`] tripped, readable after the stream has been handed to a
/// parser (actix-multipart wraps stream errors in its own), and whether the body has ended.
#[derive(Debug, Clone, Default)]
pub struct LimitTrip(Rc<TripState>);

#[derive(Debug, Default)]
struct TripState {
    tripped: Cell<Option<BodyLimitError>>,
    ended: Cell<bool>,
}

impl LimitTrip {
    /// The limit passed, if any.
    pub fn tripped(&self) -> Option<BodyLimitError> {
        self.0.tripped.get()
    }

    /// Whether the payload has yielded its last item (its end, an error or the limit passed):
    /// no more bytes will arrive.
    pub fn ended(&self) -> bool {
        self.0.ended.get()
    }

    /// `future`'s output, or `None` when it is still pending after the body has ended. A parser
    /// reading this payload that waits once no more bytes can arrive would wait forever:
    /// actix-multipart 0.7 does this with a body that stops inside a part or a boundary
    /// (actix/actix-web#3202; found by the `sep10_post_body` and `sep12_body` fuzz targets), so
    /// every poll of a multipart stream over a [`LimitedPayload`] goes through here.
    pub async fn unless_stalled<F: std::future::Future>(&self, future: F) -> Option<F::Output> {
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready(Some(output)),
            Poll::Pending if self.ended() => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        })
        .await
    }
}

/// `web::Payload` with a byte limit (and, for multipart bodies, the structural limits). Yields
/// the chunks unchanged until a limit is passed, then one `PayloadError::Overflow` and the end;
/// the chunk that passed the limit is never handed on. Which limit is in [`LimitTrip`].
pub struct LimitedPayload {
    inner: web::Payload,
    limit: usize,
    read: usize,
    scanner: Option<MultipartScanner>,
    trip: LimitTrip,
    finished: bool,
}

impl LimitedPayload {
    /// At most `limit` bytes of `payload`.
    pub fn new(payload: web::Payload, limit: usize) -> Self {
        LimitedPayload {
            inner: payload,
            limit,
            read: 0,
            scanner: None,
            trip: LimitTrip::default(),
            finished: false,
        }
    }

    /// At most `limit` bytes of a multipart `payload`, with `limits` on its structure. Without a
    /// `boundary` parameter in the request's `Content-Type` only the size is limited (the parser
    /// refuses such a body before reading it).
    pub fn multipart(
        req: &HttpRequest,
        payload: web::Payload,
        limit: usize,
        limits: MultipartLimits,
    ) -> Self {
        let boundary = req
            .mime_type()
            .ok()
            .flatten()
            .and_then(|mime| mime.get_param(actix_web::mime::BOUNDARY).map(|b| b.as_str().to_owned()));
        let mut this = LimitedPayload::new(payload, limit);
        this.scanner = boundary.map(|boundary| MultipartScanner::new(boundary.into_bytes(), limits));
        this
    }

    /// The handle that tells which limit was passed.
    pub fn trip(&self) -> LimitTrip {
        self.trip.clone()
    }

    /// The whole body, or the first limit passed.
    pub async fn read_to_end(mut self) -> Result<Vec<u8>, BodyReadError> {
        let mut body = Vec::new();
        while let Some(chunk) = self.next().await {
            match chunk {
                Ok(chunk) => body.extend_from_slice(&chunk),
                Err(err) => {
                    return Err(match self.trip.tripped() {
                        Some(limit) => BodyReadError::Limit(limit),
                        None => BodyReadError::Read(err.to_string()),
                    })
                }
            }
        }
        Ok(body)
    }

    fn finish(&mut self) {
        self.finished = true;
        self.trip.0.ended.set(true);
    }

    fn fail(&mut self, err: BodyLimitError) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.trip.0.tripped.set(Some(err));
        self.finish();
        Poll::Ready(Some(Err(PayloadError::Overflow)))
    }
}

impl Stream for LimitedPayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                this.finish();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(err))) => {
                this.finish();
                Poll::Ready(Some(Err(err)))
            }
            Poll::Ready(Some(Ok(chunk))) => {
                // The structure first: a chunk can be large, and the limit it breaks inside
                // (a boundary line, a header block) says more than the total.
                if let Some(scanner) = &mut this.scanner {
                    if let Err(err) = scanner.feed(&chunk) {
                        return this.fail(err);
                    }
                }
                this.read = this.read.saturating_add(chunk.len());
                if this.read > this.limit {
                    return this.fail(BodyLimitError::TooLarge(this.limit));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
        }
    }
}

/// Where the multipart watcher is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// Before the first boundary line (actix-multipart skips lines until it finds one).
    Preamble,
    /// After a boundary line, until the blank line that ends the part's headers.
    Headers,
    /// A part's content: looking for `\r\n--boundary` (or `\r--boundary`, which actix-multipart
    /// also stops at).
    Content(Delimiter),
    /// After `--boundary` in the content: the rest of the boundary line.
    Tail,
    /// After the closing boundary: ignored by the parser (only the total counts).
    Epilogue,
}

/// Progress towards a delimiter inside part content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delimiter {
    Idle,
    Cr,
    CrLf,
    /// This many bytes of `--boundary` matched after `\r` or `\r\n`.
    Dashes(usize),
}

/// The structural watcher of a multipart body. It mirrors what actix-multipart 0.7 searches for:
/// lines before and between parts, `\r\n\r\n` after each boundary line, and the delimiter in the
/// content; every stretch the parser would buffer while searching is bounded here.
#[derive(Debug)]
pub(crate) struct MultipartScanner {
    /// `--` + the boundary.
    dash_boundary: Vec<u8>,
    limits: MultipartLimits,
    state: Scan,
    parts: usize,
    /// The current line (preamble) or its first bytes (tail), and its length.
    line: Vec<u8>,
    line_len: usize,
    /// Bytes before the first boundary line, that line included.
    preamble: usize,
    /// The current header block's length and its last four bytes.
    header_len: usize,
    header_tail: u32,
}

impl MultipartScanner {
    pub(crate) fn new(boundary: Vec<u8>, limits: MultipartLimits) -> Self {
        let mut dash_boundary = b"--".to_vec();
        dash_boundary.extend_from_slice(&boundary);
        MultipartScanner {
            dash_boundary,
            limits,
            state: Scan::Preamble,
            parts: 0,
            line: Vec::new(),
            line_len: 0,
            preamble: 0,
            header_len: 0,
            header_tail: 0,
        }
    }

    fn boundary(&self) -> &[u8] {
        &self.dash_boundary[2..]
    }

    fn start_part(&mut self) -> Result<(), BodyLimitError> {
        self.parts += 1;
        if self.parts > self.limits.parts {
            return Err(BodyLimitError::TooManyParts(self.limits.parts));
        }
        self.state = Scan::Headers;
        self.header_len = 0;
        self.header_tail = 0;
        Ok(())
    }

    /// Watches the next bytes of the body.
    pub(crate) fn feed(&mut self, mut data: &[u8]) -> Result<(), BodyLimitError> {
        while !data.is_empty() {
            match self.state {
                Scan::Epilogue => return Ok(()),
                Scan::Content(Delimiter::Idle) => match data.iter().position(|&b| b == b'\r') {
                    None => return Ok(()),
                    Some(at) => {
                        self.state = Scan::Content(Delimiter::Cr);
                        data = &data[at + 1..];
                    }
                },
                Scan::Content(progress) => {
                    let byte = data[0];
                    data = &data[1..];
                    self.state = Scan::Content(self.advance(progress, byte));
                    if self.state == Scan::Content(Delimiter::Dashes(self.dash_boundary.len())) {
                        self.state = Scan::Tail;
                        self.line.clear();
                        self.line_len = 0;
                    }
                }
                Scan::Headers => {
                    let byte = data[0];
                    data = &data[1..];
                    self.header_len += 1;
                    if self.header_len > self.limits.part_header_bytes {
                        return Err(BodyLimitError::PartHeadersTooLarge(self.limits.part_header_bytes));
                    }
                    self.header_tail = (self.header_tail << 8) | u32::from(byte);
                    if self.header_tail == u32::from_be_bytes(*b"\r\n\r\n") {
                        self.state = Scan::Content(Delimiter::Idle);
                    }
                }
                Scan::Preamble | Scan::Tail => {
                    let end = data.iter().position(|&b| b == b'\n');
                    let take = end.map_or(data.len(), |at| at + 1);
                    self.line_len += take;
                    if self.state == Scan::Preamble {
                        self.preamble += take;
                    }
                    let limit = self.limits.boundary_line_bytes;
                    if self.line_len > limit || self.preamble > limit {
                        return Err(BodyLimitError::BoundaryLineTooLong(limit));
                    }
                    self.line.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if end.is_some() {
                        self.end_line()?;
                    }
                }
            }
        }
        Ok(())
    }

    fn advance(&self, progress: Delimiter, byte: u8) -> Delimiter {
        let expected = match progress {
            Delimiter::Idle | Delimiter::Cr | Delimiter::CrLf => 0,
            Delimiter::Dashes(matched) => matched,
        };
        if progress == Delimiter::Cr && byte == b'\n' {
            Delimiter::CrLf
        } else if progress != Delimiter::Idle && self.dash_boundary.get(expected) == Some(&byte) {
            Delimiter::Dashes(expected + 1)
        } else if byte == b'\r' {
            // The boundary holds no `\r` (a header value cannot), so a failed match can only
            // restart here.
            Delimiter::Cr
        } else {
            Delimiter::Idle
        }
    }

    /// A complete line (ending in `\n`) in the preamble or after a delimiter.
    fn end_line(&mut self) -> Result<(), BodyLimitError> {
        let line = std::mem::take(&mut self.line);
        self.line_len = 0;
        match self.state {
            Scan::Preamble => {
                // As actix-multipart's `skip_until_boundary`: `--boundary` and two more bytes
                // starts the first part; `boundary--` ends the body.
                let boundary = self.boundary();
                let n = boundary.len();
                if line.len() >= n + 4 && line.starts_with(b"--") && &line[2..line.len() - 2] == boundary {
                    self.start_part()?;
                } else if line.len() >= n + 2 && &line[..n] == boundary && &line[n..n + 2] == b"--" {
                    self.state = Scan::Epilogue;
                }
            }
            Scan::Tail => {
                if line.starts_with(b"--") {
                    self.state = Scan::Epilogue;
                } else {
                    self.start_part()?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
