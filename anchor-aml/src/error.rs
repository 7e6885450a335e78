//! The crate's one error type, mapped to HTTP by the admin API (`admin.rs`) and the console.

/// Everything that can go wrong while monitoring: a list that cannot be read or imported (from
/// the screening engine), the database, a download, an officer's request, a lost scan lease.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading, checking or screening with a list failed (the engine's error, unchanged).
    #[error(transparent)]
    Screening(#[from] anchor_screening::Error),
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
    /// The monitor's own configuration is unusable (notification channels, a list's format).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Another instance took over the scan this instance was working on.
    #[error("scan {0}: another instance holds it now")]
    LeaseLost(i64),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
