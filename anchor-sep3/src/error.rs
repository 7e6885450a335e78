//! The crate's one error type, mapped to [`SepError`] at the HTTP edge. Messages of 4xx variants
//! name the offending field and never contain `data`, `sig` or personal data.

use anchor_core::db::DbError;
use anchor_core::remote_toml::RemoteTomlError;
use anchor_core::{IntegrationError, SepError};

/// What can go wrong while handling a SEP-3 or SEP-2 request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400: a field of the request is invalid.
    #[error("{field}: {message}")]
    Field {
        /// `data`, `sig`, `data.tx`, `data.sender`, `data.attachment`, or an internal-API field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// 400: the sending institution's stellar.toml cannot be used.
    #[error("data.sender: {0}")]
    SenderToml(RemoteTomlError),
    /// 400: `sig` does not verify with the sender's `SIGNING_KEY`.
    #[error("sig: Invalid signature.")]
    InvalidSignature,
    /// 403: the paying account is frozen by the AML monitor (the message says nothing more).
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 501: an optional operation (SEP-2 `type=id`, …) is not supported.
    #[error("{0}")]
    NotSupported(String),
    /// 503: another institution could not be reached or answered unusably (sending side).
    #[error("{0}")]
    Upstream(String),
    /// An integration failed.
    #[error("integration: {0}")]
    Integration(#[from] IntegrationError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A bug or an unexpected failure; logged, never shown.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// A 400 naming `field`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Field { field: field.into(), message: message.into() }
    }
}

impl From<Error> for SepError {
    fn from(err: Error) -> Self {
        match err {
            Error::Field { .. } | Error::SenderToml(_) | Error::InvalidSignature => {
                SepError::bad_request(err.to_string())
            }
            Error::Forbidden(message) => SepError::forbidden(message),
            Error::NotFound(message) => SepError::NotFound(message),
            Error::NotSupported(message) => SepError::NotImplemented(message),
            Error::Upstream(message) => SepError::Unavailable(message),
            Error::Integration(err) => err.into(),
            Error::Db(err) => err.into(),
            Error::Internal(cause) => SepError::internal(cause),
        }
    }
}
