//! [`Error`]: every way a SEP-10 request can fail, and its one mapping to [`SepError`].
//!
//! Each client mistake names the rule it broke; the message is what the client reads in
//! `{"error": "…"}`. Nothing a client sends can produce a 500: only server-side failures
//! ([`Error::Internal`]) do.

use anchor_core::SepError;

/// A SEP-10 failure. Referred to as `anchor_sep10::Error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ----- GET /auth: request parameters (400) -----
    /// `account` is missing.
    #[error("`account` is required: the G… or M… account to authenticate")]
    MissingAccount,
    /// `account` is neither a valid `G…` nor a valid `M…` strkey.
    #[error("`account` is not a valid Stellar account (G… or M…, checksum validated)")]
    InvalidAccount,
    /// `memo` is not a decimal u64.
    #[error("`memo` must be a decimal integer between 0 and 18446744073709551615 (an ID memo)")]
    InvalidMemo,
    /// `memo` was given with an `M…` account.
    #[error("`memo` cannot be combined with a muxed (M…) account; the M… address already carries the id")]
    MemoWithMuxedAccount,
    /// `home_domain` is not one this server serves.
    #[error("`home_domain` `{0}` is not served here; use one of this server's SEP10_HOME_DOMAINS")]
    UnknownHomeDomain(String),
    /// `client_domain` is not a hostname.
    #[error("`client_domain` must be a domain name such as `wallet.example` (no scheme, path or port)")]
    InvalidClientDomain,
    /// The client domain's stellar.toml could not be used.
    #[error("`client_domain`: {0}")]
    ClientDomainToml(String),

    // ----- GET /auth: client attribution policy (403) -----
    /// `SEP10_CLIENT_ATTRIBUTION_REQUIRED` and no `client_domain`.
    #[error("this server requires client attribution: pass `client_domain`")]
    ClientDomainRequired,
    /// `SEP10_REQUIRE_SIGNED_REQUESTS` is on and the request carries no signed request header.
    #[error("this server requires signed requests: send `Authorization: Bearer <EdDSA JWT>` signed by the account (SEP-10 v3.4)")]
    SignedRequestRequired,
    /// The client domain is deny-listed or not allow-listed while attribution is required.
    #[error("`client_domain` is not allowed by this server")]
    ClientDomainNotAllowed,

    // ----- GET /auth: signed request header (400) -----
    /// The optional `Authorization` header is present but unusable.
    #[error("Authorization header: {0}")]
    RequestAuth(String),

    // ----- POST /auth: body (400) -----
    /// No `transaction` in the body.
    #[error("`transaction` is required: the signed challenge, base64 XDR")]
    MissingTransaction,
    /// `transaction` is present but not a string.
    #[error("`transaction` must be a string (base64 XDR of the signed challenge)")]
    TransactionNotString,
    /// The body could not be read in its declared format.
    #[error("{0}")]
    Body(String),
    /// The body broke one of its limits while it was read: its size (413), or for multipart
    /// bodies the number of parts or a part's shape (400).
    #[error(transparent)]
    BodyLimit(#[from] anchor_core::http::BodyLimitError),

    // ----- POST /auth: the challenge rules, in the order they are checked (400) -----
    /// Rule 1: not base64.
    #[error("rule 1 (decode): `transaction` is not valid base64")]
    NotBase64,
    /// Rule 1: not a TransactionEnvelope.
    #[error("rule 1 (decode): `transaction` is not a valid XDR TransactionEnvelope")]
    NotEnvelope,
    /// Rule 1: a fee-bump envelope.
    #[error("rule 1 (decode): fee-bump transactions are not SEP-10 challenges")]
    FeeBump,
    /// Rule 2: source is not the server's key.
    #[error("rule 2 (source): the transaction's source account is not this server's SIGNING_KEY")]
    WrongSource,
    /// Rule 2: sequence number is not 0.
    #[error("rule 2 (sequence): the transaction's sequence number must be 0")]
    NonZeroSequence,
    /// Rule 3: no time bounds.
    #[error("rule 3 (time bounds): the transaction has no time bounds")]
    NoTimeBounds,
    /// Rule 3: infinite maxTime.
    #[error("rule 3 (time bounds): maxTime 0 (no expiry) is not allowed")]
    InfiniteTimeBounds,
    /// Rule 3: expired.
    #[error("rule 3 (time bounds): the challenge has expired; request a new one")]
    Expired,
    /// Rule 3: minTime is in the future beyond the grace period.
    #[error("rule 3 (time bounds): the challenge's minTime is in the future")]
    NotYetValid,
    /// Rule 4: no operations.
    #[error("rule 4 (first operation): the transaction has no operations")]
    NoOperations,
    /// Rule 4: operation 0 is not a Manage Data op with a source.
    #[error("rule 4 (first operation): operation 0 must be a Manage Data operation with a source account")]
    FirstOperation,
    /// Rule 4: operation 0 names a home domain this server does not serve.
    #[error("rule 4 (home domain): operation 0's key is not `<home domain> auth` for a home domain of this server")]
    WrongHomeDomain,
    /// Rule 4: operation 0's nonce is not 64 base64 characters encoding 48 bytes.
    #[error("rule 4 (nonce): operation 0's value must be 64 base64 characters encoding 48 random bytes")]
    BadNonce,
    /// Rule 5: memo other than none or ID.
    #[error("rule 5 (memo): only an ID memo is allowed")]
    MemoType,
    /// Rule 5: memo with a muxed client account.
    #[error("rule 5 (memo): a memo cannot be combined with a muxed (M…) client account")]
    MemoWithMuxedSource,
    /// Rule 6: a later operation is not Manage Data with a source.
    #[error("rule 6 (operations): every operation must be a Manage Data operation with a source account")]
    OperationType,
    /// Rule 6: the `web_auth_domain` operation is wrong.
    #[error("rule 6 (web_auth_domain): the `web_auth_domain` operation must come from this server and name this server's domain")]
    WebAuthDomain,
    /// Rule 6: more than one `client_domain` operation.
    #[error("rule 6 (client_domain): at most one `client_domain` operation is allowed")]
    DuplicateClientDomain,
    /// Rule 6: an unknown operation whose source is not the server.
    #[error("rule 6 (operations): operations after the first must come from this server")]
    ForeignOperation,
    /// Rule 7: not signed by the server.
    #[error("rule 7 (server signature): the transaction is not signed by this server's SIGNING_KEY")]
    NoServerSignature,
    /// Rule 9/10: the client domain's key did not sign.
    #[error("rule 9 (client_domain signature): the client domain's SIGNING_KEY did not sign the challenge")]
    NoClientDomainSignature,
    /// Rule 9/10: a key signed twice.
    #[error("rule 9 (signatures): the same key signed the challenge more than once")]
    DuplicateSignature,
    /// Rule 9/10: a signature no expected key made.
    #[error("rule 9 (signatures): the transaction has signatures that are not from the account's signers")]
    UnrecognizedSignatures,
    /// Rule 9: no client signature.
    #[error("rule 9 (signatures): no signature from a signer of the client account with a non-zero weight")]
    NoClientSignature,
    /// Rule 9: the weights do not reach the medium threshold.
    #[error("rule 9 (threshold): the signers' weight {weight} is below the account's medium threshold {threshold}")]
    BelowThreshold {
        /// The sum of the matched signers' weights.
        weight: u32,
        /// The account's medium threshold.
        threshold: u32,
    },
    /// Rule 10: the account does not exist and the signature count is wrong.
    #[error("rule 10 (missing account): the account does not exist, so the challenge must carry exactly {expected} signatures (server, account master key{extra}), found {found}")]
    MissingAccountSignatureCount {
        /// The number expected.
        expected: usize,
        /// The number found.
        found: usize,
        /// `", client domain"` when a client-domain signature is expected.
        extra: &'static str,
    },
    /// Rule 10: the account does not exist and its master key did not sign.
    #[error("rule 10 (missing account): the account does not exist and its master key did not sign")]
    NoMasterSignature,
    /// Rule 11: the challenge was already exchanged for a token.
    #[error("rule 11 (single use): this challenge has already been used; request a new one")]
    Replayed,

    // ----- either endpoint -----
    /// The screening registry says the account is frozen (403, reveals nothing else).
    #[error("this account cannot be authenticated")]
    Frozen,
    /// Horizon could not be reached or answered nonsense (503).
    #[error("Horizon is unavailable ({0}); try again later")]
    HorizonUnavailable(String),
    /// The screening registry failed (503, fail closed).
    #[error("account screening is unavailable; try again later")]
    ScreeningUnavailable(String),
    /// A server-side failure (500). The cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<Error> for SepError {
    fn from(err: Error) -> Self {
        match err {
            Error::ClientDomainRequired | Error::ClientDomainNotAllowed | Error::Frozen => {
                SepError::Forbidden(err.to_string())
            }
            Error::SignedRequestRequired => SepError::Unauthorized(err.to_string()),
            Error::BodyLimit(limit) => SepError::BodyLimit(limit),
            Error::HorizonUnavailable(cause) => {
                tracing::warn!(%cause, "SEP-10: Horizon unavailable");
                SepError::Unavailable(
                    "Horizon is unavailable, so the account's signers cannot be checked; try again later"
                        .into(),
                )
            }
            Error::ScreeningUnavailable(cause) => {
                tracing::warn!(%cause, "SEP-10: screening registry unavailable");
                SepError::Unavailable("account screening is unavailable; try again later".into())
            }
            Error::Internal(cause) => SepError::internal(cause),
            other => SepError::BadRequest(other.to_string()),
        }
    }
}
