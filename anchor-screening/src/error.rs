//! The crate's one error type: what can go wrong reading, checking or screening with a list.

use crate::model::SourceList;

/// Everything that can go wrong while reading, validating or screening with a sanctions list.
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
    /// A screening threshold configuration is inconsistent.
    #[error("invalid screening configuration: {0}")]
    Config(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
