//! [`Error`]: every way a SEP-12 request can fail, and its one mapping to [`SepError`].
//!
//! Client mistakes carry a message that names the parameter or field and the rule it broke,
//! never a submitted value. Only server-side failures become a 500, whose cause is logged.

use anchor_core::db::DbError;
use anchor_core::integrations::customer::Sep9Error;
use anchor_core::{IntegrationError, SepError};

/// A SEP-12 failure. Referred to as `anchor_sep12::Error`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400: the request breaks a rule of SEP-12 or SEP-9.
    #[error("{0}")]
    BadRequest(String),
    /// 403: the request names an account or memo other than the token's.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such customer or file for this caller.
    #[error("{0}")]
    NotFound(String),
    /// 413: a body or file is larger than its limit.
    #[error("{0}")]
    TooLarge(String),
    /// The body broke one of its limits while it was read: a size (413) or a count or shape
    /// (400). The rest of the body is not read.
    #[error(transparent)]
    Limit(#[from] anchor_core::http::BodyLimitError),
    /// A SEP-9 value was refused (400).
    #[error(transparent)]
    Sep9(#[from] Sep9Error),
    /// The integration's answer.
    #[error(transparent)]
    Integration(#[from] IntegrationError),
    /// The framework's tables.
    #[error(transparent)]
    Database(#[from] DbError),
    /// A bug or unexpected failure (500; logged only).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// A 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::BadRequest(message.into())
    }

    /// A 404 for a customer id that does not exist or is not the caller's.
    pub fn customer_not_found(id: &str) -> Self {
        Error::NotFound(format!("customer not found for id: {id}"))
    }
}

impl From<Error> for SepError {
    fn from(err: Error) -> Self {
        match err {
            Error::BadRequest(message) => SepError::BadRequest(message),
            Error::Forbidden(message) => SepError::Forbidden(message),
            Error::NotFound(message) => SepError::NotFound(message),
            Error::TooLarge(message) => SepError::PayloadTooLarge(message),
            Error::Limit(limit) => SepError::BodyLimit(limit),
            Error::Sep9(err) => SepError::BadRequest(err.to_string()),
            Error::Integration(err) => SepError::from(err),
            Error::Database(err) => SepError::from(err),
            Error::Internal(cause) => SepError::internal(cause),
        }
    }
}
