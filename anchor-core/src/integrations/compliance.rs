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
    #[allow(clippy::too_many_arguments)]
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
}
