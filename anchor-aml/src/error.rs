//! The crate's one error type.

use crate::model::SourceList;

/// Everything that can go wrong while reading, validating or indexing a sanctions list.
///
/// Parsers never panic on bad input: an empty, truncated or malformed file is reported here.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a file from disk failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file that could not be read.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The input holds no data at all.
    #[error("{list}: the input is empty")]
    Empty {
        /// The list being parsed.
        list: SourceList,
    },
    /// The input ends before the document does (a partial download, a cut file).
    #[error("{list}: the input is truncated ({detail})")]
    Truncated {
        /// The list being parsed.
        list: SourceList,
        /// What was missing.
        detail: String,
    },
    /// The input is not in the expected format.
    #[error("{list}: malformed input: {detail}")]
    Malformed {
        /// The list being parsed.
        list: SourceList,
        /// What was wrong, with a position where known.
        detail: String,
    },
    /// The compressed container (`.bz2`, `.zip`) could not be decoded.
    #[error("cannot decompress {what}: {detail}")]
    Decompress {
        /// The container or member.
        what: String,
        /// The decoder's message.
        detail: String,
    },
    /// A new list version failed the import checks; the previous version must be kept.
    #[error("{list}: import refused: {reason}")]
    ImportRefused {
        /// The list being imported.
        list: SourceList,
        /// Why the version was refused.
        reason: String,
    },
    /// The database holding list versions failed, or a stored version could not be decoded.
    #[error("list store: {0}")]
    Store(String),
    /// Downloading a list failed.
    #[error("cannot download {url}: {detail}")]
    Download {
        /// Where from.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// The database could not be reached (503 at the API).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// No such case, subject or scan.
    #[error("{0}")]
    NotFound(String),
    /// An officer's request is not acceptable (missing reason, case already decided, …).
    #[error("{0}")]
    Invalid(String),
    /// Refused by policy (a frozen customer's erasure: legal hold): 403 at the API.
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with what another officer or process did meanwhile (a case
    /// already decided): 409 at the API.
    #[error("{0}")]
    Conflict(String),
    /// Another instance took over the scan this instance was working on.
    #[error("scan {0}: another instance holds it now")]
    LeaseLost(i64),
    /// A screening threshold configuration is inconsistent.
    #[error("invalid screening configuration: {0}")]
    Config(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
