//! The SEP-3 and SEP-2 integrations besides sanctions: `FederationIntegration` (the anchor's
//! `name*domain` → account + memo directory, served on `FEDERATION_SERVER`) and
//! `ComplianceIntegration` (consent to share the receiving customer's data: `ask_user`; that data
//! itself: `fetch_info`), the two callbacks of the SDF compliance server besides `sanctions`.
//!
//! Personal data crosses these traits only inside [`Sensitive`], so it cannot reach a log.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use crate::integrations::IntegrationError;
use crate::sensitive::Sensitive;

/// One SEP-2 federation record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationRecord {
    /// `name*domain`.
    pub stellar_address: String,
    /// The `G…` account payments go to.
    pub account_id: String,
    /// The memo payments must carry (SEP-3: the `route` the sender puts in its attachment).
    pub memo: Option<FederationMemo>,
}

/// A federation memo: SEP-2 `memo_type` + `memo` (always a string on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FederationMemo {
    /// `memo_type = "id"`.
    Id(u64),
    /// `memo_type = "text"` (at most 28 bytes).
    Text(String),
    /// `memo_type = "hash"`, base64 of 32 bytes.
    Hash(String),
}

impl FederationMemo {
    /// The SEP-2 `memo_type`.
    pub fn memo_type(&self) -> &'static str {
        match self {
            FederationMemo::Id(_) => "id",
            FederationMemo::Text(_) => "text",
            FederationMemo::Hash(_) => "hash",
        }
    }

    /// The SEP-2 `memo` value.
    pub fn value(&self) -> String {
        match self {
            FederationMemo::Id(id) => id.to_string(),
            FederationMemo::Text(text) | FederationMemo::Hash(text) => text.clone(),
        }
    }
}

/// The anchor's federation directory (SEP-2), required by `sep-3`: another institution resolves
/// `name*domain` through it before asking our `AUTH_SERVER` to approve a payment.
#[async_trait]
pub trait FederationIntegration: Send + Sync + 'static {
    /// `type=name`: `name` is the part before `*` (the domain was checked to be ours).
    /// `Ok(None)` answers 404.
    async fn resolve_name(&self, name: &str) -> Result<Option<FederationRecord>, IntegrationError>;

    /// `type=id`: reverse lookup of a `G…` account. Optional: the default answers 501.
    async fn resolve_id(&self, account_id: &str) -> Result<Option<FederationRecord>, IntegrationError> {
        let _ = account_id;
        Err(IntegrationError::NotImplemented)
    }
}

/// An answer of `ask_user`: does the receiving customer consent to share their data?
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsentOutcome {
    /// Share `dest_info`.
    Granted,
    /// Ask again after `retry_after`.
    Pending {
        /// When to ask again.
        retry_after: Duration,
    },
    /// Do not share.
    Refused,
}

/// What `ask_user` is told about the payment (the SDF `ask_user` callback's fields).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConsentRequest {
    /// The paying customer's federation address, `name*domain`.
    pub sender: Sensitive<String>,
    /// The sending institution's domain.
    pub sending_domain: String,
    /// Our customer the payment is for (the attachment's `route`).
    pub route: Sensitive<String>,
    /// Amount of the first operation, 7-decimal string.
    pub amount: String,
    /// Asset code of the first operation; empty for XLM.
    pub asset_code: String,
    /// Asset issuer of the first operation; empty for XLM.
    pub asset_issuer: String,
    /// The sender's `sender_info`.
    pub sender_info: Sensitive<BTreeMap<String, String>>,
    /// The attachment's `note`.
    pub note: Sensitive<String>,
}

impl ConsentRequest {
    /// A request with every field given.
    #[allow(
        clippy::too_many_arguments,
        reason = "`ConsentRequest` is `#[non_exhaustive]`: other crates build it here, one argument per field"
    )]
    pub fn new(
        sender: String,
        sending_domain: String,
        route: String,
        amount: String,
        asset_code: String,
        asset_issuer: String,
        sender_info: BTreeMap<String, String>,
        note: String,
    ) -> Self {
        ConsentRequest {
            sender: Sensitive::new(sender),
            sending_domain,
            route: Sensitive::new(route),
            amount,
            asset_code,
            asset_issuer,
            sender_info: Sensitive::new(sender_info),
            note: Sensitive::new(note),
        }
    }
}

/// A customer's KYC data as a flat JSON object (SEP-9 field names by convention).
pub type CustomerInfo = Sensitive<serde_json::Map<String, serde_json::Value>>;

/// Where a payment stands, as SEP-4 `tx_status` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentState {
    /// Nothing is known about the transaction.
    Unknown,
    /// Authorised by the receiving institution, not yet seen on the ledger.
    Approved,
    /// Refused by the receiving institution.
    NotApproved,
    /// The receiving institution has not decided yet.
    Pending,
    /// The payment failed after it was approved.
    Failed,
    /// The payment was sent back (see `refund_tx`).
    Refunded,
    /// Waiting for the recipient to collect it (cash pickup).
    Claimable,
    /// Delivered to the recipient.
    Delivered,
}

impl PaymentState {
    /// The word SEP-4 uses.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Unknown => "unknown",
            PaymentState::Approved => "approved",
            PaymentState::NotApproved => "not_approved",
            PaymentState::Pending => "pending",
            PaymentState::Failed => "failed",
            PaymentState::Refunded => "refunded",
            PaymentState::Claimable => "claimable",
            PaymentState::Delivered => "delivered",
        }
    }

    /// The state a SEP-4 word names; `None` for any other word.
    pub fn parse(word: &str) -> Option<PaymentState> {
        Some(match word {
            "unknown" => PaymentState::Unknown,
            "approved" => PaymentState::Approved,
            "not_approved" => PaymentState::NotApproved,
            "pending" => PaymentState::Pending,
            "failed" => PaymentState::Failed,
            "refunded" => PaymentState::Refunded,
            "claimable" => PaymentState::Claimable,
            "delivered" => PaymentState::Delivered,
            _ => return None,
        })
    }
}

/// A payment's status for SEP-4 `tx_status`, as the anchor's own systems know it (whether it
/// reached the ledger, was collected, refunded…).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentStatus {
    /// The state.
    pub state: PaymentState,
    /// `recv_code`: the code the recipient needs to collect a claimable payment.
    pub recv_code: Option<String>,
    /// `refund_tx`: the refund's transaction hash (answered only with `refunded`).
    pub refund_tx: Option<String>,
    /// `msg`: a message for the sender.
    pub msg: Option<String>,
}

impl PaymentStatus {
    /// A status with only its state.
    pub fn new(state: PaymentState) -> Self {
        PaymentStatus { state, recv_code: None, refund_tx: None, msg: None }
    }

    /// With `recv_code`.
    pub fn recv_code(mut self, code: impl Into<String>) -> Self {
        self.recv_code = Some(code.into());
        self
    }

    /// With `refund_tx`.
    pub fn refund_tx(mut self, hash: impl Into<String>) -> Self {
        self.refund_tx = Some(hash.into());
        self
    }

    /// With `msg`.
    pub fn msg(mut self, message: impl Into<String>) -> Self {
        self.msg = Some(message.into());
        self
    }
}

/// The anchor's consent and KYC callbacks for SEP-3.
#[async_trait]
pub trait ComplianceIntegration: Send + Sync + 'static {
    /// Asked when the sender wants our customer's data (`need_info`) and neither the allowed-FI
    /// nor the allowed-user table grants it. Default: refused. An `Err` answers 500.
    async fn ask_user(&self, request: &ConsentRequest) -> Result<ConsentOutcome, IntegrationError> {
        let _ = request;
        Ok(ConsentOutcome::Refused)
    }

    /// The KYC data of the customer at `address`: on the receiving side the attachment's `route`
    /// (our federation memo), on the sending side the paying customer's `name*domain`.
    /// `NotFound`/`BadRequest` answer 400 with the message; other errors 500.
    async fn fetch_info(&self, address: &str) -> Result<CustomerInfo, IntegrationError>;

    /// The status of the payment with this transaction hash (64 lowercase hex digits) for SEP-4
    /// `tx_status`, when the anchor knows more than the framework's tables (`approved`,
    /// `pending`, `unknown`): `delivered`, `failed`, `refunded`, `claimable`, `not_approved`.
    /// `Ok(None)` (the default) lets the framework answer from its tables; an `Err` does too,
    /// and is logged.
    async fn payment_status(&self, transaction_id: &str) -> Result<Option<PaymentStatus>, IntegrationError> {
        let _ = transaction_id;
        Ok(None)
    }
}
