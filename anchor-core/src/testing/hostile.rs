//! A hostile HTTP/1.1 client for body-limit tests: it sends a `Transfer-Encoding: chunked` body
//! lazily, chunk by chunk, while it reads the answer, and stops sending as soon as the server has
//! answered. [`StreamedAnswer::sent`] says how much of the body was on its way by then, so a test
//! asserts that the server refused early by bytes, never by time.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Bytes the client socket buffers before a write waits for the server to read.
const SEND_BUFFER_BYTES: u32 = 64 * 1024;

/// The chunks of a body, produced only as they are sent.
pub type BodyChunks = Box<dyn Iterator<Item = Vec<u8>> + Send>;

/// `prefix`, then `filler` repeated in 64 KiB chunks up to `total` bytes in all.
pub fn filled(prefix: &[u8], filler: u8, total: usize) -> BodyChunks {
    let prefix = prefix.to_vec();
    let mut left = total.saturating_sub(prefix.len());
    let rest = std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let size = left.min(64 * 1024);
        left -= size;
        Some(vec![filler; size])
    });
    Box::new(std::iter::once(prefix).chain(rest))
}

/// `unit` repeated `times` times, a few repetitions per chunk.
pub fn repeated(unit: Vec<u8>, times: usize) -> BodyChunks {
    let per_chunk = (16 * 1024 / unit.len().max(1)).max(1);
    let mut left = times;
    Box::new(std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let count = left.min(per_chunk);
        left -= count;
        Some(unit.repeat(count))
    }))
}

/// What the server answered.
#[derive(Debug)]
pub struct StreamedAnswer {
    /// The status code.
    pub status: u16,
    /// The response head (status line and headers), lower-cased.
    pub head: String,
    /// The response body.
    pub body: String,
    /// Body bytes written to the socket when the answer arrived (what the server may have read).
    pub sent: usize,
    /// Whether the client sent the whole body before the answer came.
    pub finished_sending: bool,
    /// Whether the server closed the connection after answering.
    pub closed: bool,
}

impl StreamedAnswer {
    /// The `error` of a `{"error": …}` body, or the raw body.
    pub fn error(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|value| value["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| self.body.clone())
    }

    /// Asserts an early refusal: `status` with an error containing `message`, answered before
    /// the client sent the whole body or more than `most_sent` bytes, and the connection closed
    /// rather than drained.
    pub fn assert_refused_early(&self, status: u16, message: &str, most_sent: usize) {
        assert_eq!(self.status, status, "{self:?}");
        assert!(self.error().contains(message), "{}", self.error());
        assert!(!self.finished_sending, "the whole hostile body was read before the answer");
        assert!(self.sent <= most_sent, "{} bytes sent before the answer", self.sent);
        assert!(self.closed, "the connection was kept open to drain the body");
    }
}

/// `POST path` to `addr` with `headers` and a chunked body from `chunks`, sent while the answer
/// is read; sending stops when the answer arrives. Panics if no answer arrives at all.
pub async fn post_chunked(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    chunks: BodyChunks,
) -> StreamedAnswer {
    send_chunked(addr, "POST", path, headers, chunks).await
}

/// [`post_chunked`] with another method (`PUT`).
pub async fn send_chunked(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    chunks: BodyChunks,
) -> StreamedAnswer {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.set_send_buffer_size(SEND_BUFFER_BYTES).expect("a small send buffer");
    let stream = socket.connect(addr).await.expect("connect to the server");
    let (mut reader, mut writer) = stream.into_split();

    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");

    let sent = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let sender = {
        let (sent, answered, finished) = (sent.clone(), answered.clone(), finished.clone());
        tokio::spawn(async move {
            if writer.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for chunk in chunks {
                if answered.load(Ordering::SeqCst) {
                    return;
                }
                if chunk.is_empty() {
                    continue; // an empty chunk would end the body
                }
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(&chunk);
                framed.extend_from_slice(b"\r\n");
                if writer.write_all(&framed).await.is_err() {
                    return;
                }
                sent.fetch_add(chunk.len(), Ordering::SeqCst);
            }
            if writer.write_all(b"0\r\n\r\n").await.is_ok() {
                finished.store(true, Ordering::SeqCst);
            }
            // Keep the write half open until the answer has been read.
            while !answered.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    // The head of the answer.
    let mut received = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|window| window == b"\r\n\r\n") {
            break at + 4;
        }
        let read = reader.read(&mut buffer).await.expect("read the answer");
        assert!(read > 0, "the server closed the connection without answering");
        received.extend_from_slice(&buffer[..read]);
    };
    let sent_then = sent.load(Ordering::SeqCst);
    let finished_sending = finished.load(Ordering::SeqCst);
    answered.store(true, Ordering::SeqCst);

    let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
    let status =
        head.split_whitespace().nth(1).and_then(|code| code.parse::<u16>().ok()).expect("a status line");
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = received[head_end..].to_vec();
    while body.len() < length {
        let read = reader.read(&mut buffer).await.expect("read the answer's body");
        if read == 0 {
            break;
        }
        body.extend_from_slice(&buffer[..read]);
    }

    // Closed: the next read ends (a guard keeps a server that keeps the connection open from
    // hanging the test; the result is then `false`).
    let closed = matches!(
        tokio::time::timeout(Duration::from_secs(10), reader.read(&mut buffer)).await,
        Ok(Ok(0)) | Ok(Err(_))
    );
    sender.abort();
    StreamedAnswer {
        status,
        head,
        body: String::from_utf8_lossy(&body[..length.min(body.len())]).into_owned(),
        sent: sent_then,
        finished_sending,
        closed,
    }
}
