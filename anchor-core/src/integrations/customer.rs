//! `CustomerIntegration`: the anchor's customer store behind SEP-12, with the django-polaris
//! method set (`get`, `put`, `delete`, `put_callback`, `put_verification`).
//!
//! The framework (`anchor-sep12`) parses every request, validates every SEP-9 value and checks
//! every `id`, `account` and `memo` against the caller's SEP-10 token before calling the
//! integration, so an implementation never sees another account's request. The answer types make
//! an invalid SEP-12 answer unrepresentable: `ACCEPTED` cannot list a required field, `REJECTED`
//! cannot lack a message, `NEEDS_INFO` cannot have an empty field list.
//!
//! Error contract (django-polaris'): [`IntegrationError::BadRequest`] → 400,
//! [`IntegrationError::NotFound`] → 404, [`IntegrationError::NotImplemented`] → 501, anything
//! else → 500 with a generic body (the cause goes to the log).

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;

use crate::auth::Sep10Token;
use crate::integrations::IntegrationError;
use crate::sensitive::Sensitive;

mod countries;
mod sep9;

pub use countries::alpha2_to_alpha3;
pub use sep9::{
    Sep9Error, Sep9Field, Sep9Fields, Sep9File, Sep9Type, Sep9Value, MAX_NAME_CHARS, MAX_TEXT_CHARS,
};

/// The anchor's identifier of a customer (SEP-12 `id`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(pub String);

impl CustomerId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Stellar memo distinguishing customers who share one account (SEP-12 `memo`/`memo_type`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Memo {
    /// `memo_type=id`: an unsigned 64-bit integer (also the memo of a `G…:<memo>` token).
    Id(u64),
    /// `memo_type=text`: up to 28 bytes of UTF-8.
    Text(String),
    /// `memo_type=hash`: 32 bytes (base64 on the wire).
    Hash([u8; 32]),
}

impl Memo {
    /// A stable text key, distinct per memo type: `id:5`, `text:abc`, `hash:<hex>`.
    pub fn key(&self) -> String {
        match self {
            Memo::Id(id) => format!("id:{id}"),
            Memo::Text(text) => format!("text:{text}"),
            Memo::Hash(hash) => format!("hash:{}", crate::hex::encode(hash)),
        }
    }

    /// Parses a [`Memo::key`] back.
    pub fn from_key(key: &str) -> Option<Memo> {
        let (kind, value) = key.split_once(':')?;
        match kind {
            "id" => value.parse().ok().map(Memo::Id),
            "text" => Some(Memo::Text(value.to_string())),
            "hash" => crate::hex::decode_array(value).map(Memo::Hash),
            _ => None,
        }
    }
}

/// Which customer a request is about, after the framework checked it against the token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CustomerRef {
    /// By the anchor's id; the framework checked that the id was created under the token's
    /// account (and memo or muxed account), so it belongs to the caller.
    Id(CustomerId),
    /// By Stellar account and optional memo. `account` is the token's `G…` account, or its `M…`
    /// account when the client authenticated as a muxed account (then `memo` is `None`: the
    /// muxed id is part of the account). For a `G…:<memo>` token, `memo` is the token's memo.
    Account {
        /// The account (`G…` or `M…`).
        account: String,
        /// The memo, for customers sharing one account.
        memo: Option<Memo>,
    },
}

/// `GET /customer` input.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CustomerQuery {
    /// The customer.
    pub target: CustomerRef,
    /// SEP-12 `type` (the KYC purpose: `sep31-sender`, …); status is tracked per type.
    pub customer_type: Option<String>,
    /// SEP-12 `transaction_id` (only together with `type`).
    pub transaction_id: Option<String>,
    /// Preferred language of descriptions and messages (ISO 639-1), default `en`.
    pub lang: Option<String>,
}

impl CustomerQuery {
    /// A query for `target` with no type, transaction or language.
    pub fn new(target: CustomerRef) -> Self {
        CustomerQuery { target, customer_type: None, transaction_id: None, lang: None }
    }

    /// The same query with a `type`.
    pub fn with_type(mut self, customer_type: Option<String>) -> Self {
        self.customer_type = customer_type;
        self
    }

    /// The same query with a `transaction_id`.
    pub fn with_transaction_id(mut self, transaction_id: Option<String>) -> Self {
        self.transaction_id = transaction_id;
        self
    }

    /// The same query with a language.
    pub fn with_lang(mut self, lang: Option<String>) -> Self {
        self.lang = lang;
        self
    }
}

/// `PUT /customer` input: validated SEP-9 values, verification codes and files.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CustomerUpdate {
    /// The customer: an id for updates of a known customer, an account (and memo) otherwise.
    pub target: CustomerRef,
    /// SEP-12 `type`.
    pub customer_type: Option<String>,
    /// SEP-12 `transaction_id`.
    pub transaction_id: Option<String>,
    /// SEP-9 values, each checked against its field's rule; files (multipart parts and
    /// `<field>_file_id` references) are already loaded.
    pub fields: Sep9Fields,
    /// `<field>_verification` codes (SEP-12 v1.12 shape), by field.
    pub verifications: BTreeMap<Sep9Field, Sensitive<String>>,
}

impl CustomerUpdate {
    /// An update of `target` with validated `fields` and no type, transaction or codes.
    pub fn new(target: CustomerRef, fields: Sep9Fields) -> Self {
        CustomerUpdate {
            target,
            customer_type: None,
            transaction_id: None,
            fields,
            verifications: BTreeMap::new(),
        }
    }

    /// The same update with a `type` and `transaction_id`.
    pub fn with_purpose(mut self, customer_type: Option<String>, transaction_id: Option<String>) -> Self {
        self.customer_type = customer_type;
        self.transaction_id = transaction_id;
        self
    }

    /// The same update with verification codes.
    pub fn with_verifications(mut self, verifications: BTreeMap<Sep9Field, Sensitive<String>>) -> Self {
        self.verifications = verifications;
        self
    }
}

/// A verification request (`PUT /customer/verification`, the older SEP-12 shape).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CustomerVerification {
    /// The customer (checked to belong to the caller).
    pub id: CustomerId,
    /// `<field>_verification` codes, by field.
    pub codes: BTreeMap<Sep9Field, Sensitive<String>>,
}

impl CustomerVerification {
    /// Codes for customer `id`.
    pub fn new(id: CustomerId, codes: BTreeMap<Sep9Field, Sensitive<String>>) -> Self {
        CustomerVerification { id, codes }
    }
}

/// A status-callback registration (`PUT /customer/callback`). The framework stores the URL and
/// delivers the signed callbacks itself; the integration only says whether it accepts it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CustomerCallback {
    /// The customer (checked to belong to the caller).
    pub target: CustomerRef,
    /// The checked callback URL (https outside `LOCAL_MODE`, no private address).
    pub url: String,
}

impl CustomerCallback {
    /// A registration of `url` for `target`.
    pub fn new(target: CustomerRef, url: impl Into<String>) -> Self {
        CustomerCallback { target, url: url.into() }
    }
}

/// A non-empty list: the type behind "`NEEDS_INFO` always lists at least one field".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonEmpty<T> {
    first: T,
    rest: Vec<T>,
}

impl<T> NonEmpty<T> {
    /// A list of one.
    pub fn new(first: T) -> Self {
        NonEmpty { first, rest: Vec::new() }
    }

    /// The list, or `None` when `items` is empty.
    pub fn from_vec(items: Vec<T>) -> Option<Self> {
        let mut items = items.into_iter();
        let first = items.next()?;
        Some(NonEmpty { first, rest: items.collect() })
    }

    /// Appends an item.
    pub fn push(&mut self, item: T) {
        self.rest.push(item);
    }

    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        std::iter::once(&self.first).chain(self.rest.iter())
    }

    /// How many items (at least one).
    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Always false.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// A field the anchor asks for (an entry of SEP-12 `fields`). Its wire `type` comes from the
/// SEP-9 catalogue, so it cannot disagree with the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    /// The SEP-9 field.
    pub field: Sep9Field,
    /// Human description (localised to the query's `lang`).
    pub description: String,
    /// Allowed values; defaults to the catalogue's (`sex`, `bank_account_type`) when empty.
    pub choices: Vec<String>,
    /// Whether the field may be omitted.
    pub optional: bool,
}

impl FieldRequirement {
    /// A required field.
    pub fn required(field: Sep9Field, description: impl Into<String>) -> Self {
        FieldRequirement { field, description: description.into(), choices: Vec::new(), optional: false }
    }

    /// An optional field.
    pub fn optional(field: Sep9Field, description: impl Into<String>) -> Self {
        FieldRequirement { optional: true, ..Self::required(field, description) }
    }
}

/// An optional field an `ACCEPTED` customer may still provide. It has no `optional` flag: an
/// `ACCEPTED` answer cannot list a required field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalField {
    /// The SEP-9 field.
    pub field: Sep9Field,
    /// Human description.
    pub description: String,
    /// Allowed values.
    pub choices: Vec<String>,
}

/// The status of a field the customer provided (SEP-12 `provided_fields[…].status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldStatus {
    /// Accepted.
    Accepted,
    /// Being reviewed.
    Processing,
    /// Refused; `error` says why (shown to the user).
    Rejected {
        /// Why.
        error: String,
    },
    /// A code must be sent back as `<field>_verification`.
    VerificationRequired,
}

/// A field the customer provided (an entry of SEP-12 `provided_fields`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvidedField {
    /// The SEP-9 field.
    pub field: Sep9Field,
    /// Human description.
    pub description: String,
    /// Whether the field was optional.
    pub optional: bool,
    /// Its review status; `None` hides the detail.
    pub status: Option<FieldStatus>,
}

impl ProvidedField {
    /// A provided field with a status.
    pub fn new(field: Sep9Field, description: impl Into<String>, status: FieldStatus) -> Self {
        ProvidedField { field, description: description.into(), optional: false, status: Some(status) }
    }
}

/// A message that is never empty (SEP-12 requires one for `REJECTED`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonEmptyMessage(String);

impl NonEmptyMessage {
    /// The message, or `None` when `text` is blank.
    pub fn new(text: impl Into<String>) -> Option<Self> {
        let text = text.into();
        (!text.trim().is_empty()).then_some(NonEmptyMessage(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The customer's status for one `type`, shaped so that an invalid SEP-12 answer cannot be
/// built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CustomerStatus {
    /// All required information accepted.
    Accepted {
        /// The customer's id.
        id: CustomerId,
        /// Optional fields the customer may still provide (never a required one).
        optional_fields: Vec<OptionalField>,
        /// What was provided.
        provided_fields: Vec<ProvidedField>,
    },
    /// Under review.
    Processing {
        /// The customer's id.
        id: CustomerId,
        /// Shown to the user.
        message: Option<String>,
        /// What was provided.
        provided_fields: Vec<ProvidedField>,
    },
    /// More information is needed.
    NeedsInfo {
        /// `None` for a customer not yet known (no `PUT` yet).
        id: Option<CustomerId>,
        /// The fields still needed (at least one).
        fields: NonEmpty<FieldRequirement>,
        /// What was provided.
        provided_fields: Vec<ProvidedField>,
    },
    /// Refused.
    Rejected {
        /// The customer's id.
        id: CustomerId,
        /// Why (required by SEP-12).
        message: NonEmptyMessage,
        /// What was provided.
        provided_fields: Vec<ProvidedField>,
    },
}

impl CustomerStatus {
    /// The SEP-12 status name: `ACCEPTED`, `PROCESSING`, `NEEDS_INFO` or `REJECTED`.
    pub fn name(&self) -> &'static str {
        match self {
            CustomerStatus::Accepted { .. } => "ACCEPTED",
            CustomerStatus::Processing { .. } => "PROCESSING",
            CustomerStatus::NeedsInfo { .. } => "NEEDS_INFO",
            CustomerStatus::Rejected { .. } => "REJECTED",
        }
    }

    /// The customer's id, when known.
    pub fn id(&self) -> Option<&CustomerId> {
        match self {
            CustomerStatus::Accepted { id, .. }
            | CustomerStatus::Processing { id, .. }
            | CustomerStatus::Rejected { id, .. } => Some(id),
            CustomerStatus::NeedsInfo { id, .. } => id.as_ref(),
        }
    }

    /// Whether the status is final (`ACCEPTED` or `REJECTED`).
    pub fn is_final(&self) -> bool {
        matches!(self, CustomerStatus::Accepted { .. } | CustomerStatus::Rejected { .. })
    }
}

/// The anchor's customer store (SEP-12). Register it with `Integrations::customer`.
///
/// Every input was parsed, validated and checked against `token` by the framework. Return
/// [`IntegrationError::bad_request`] for input the anchor refuses (400, message shown),
/// [`IntegrationError::not_found`] for an unknown customer (404), and
/// [`IntegrationError::internal`] for anything else (500, message logged only).
#[async_trait]
pub trait CustomerIntegration: Send + Sync + 'static {
    /// `GET /customer`: the customer's status for `query.customer_type`. For a customer not yet
    /// known, answer `NeedsInfo` with `id: None` and the fields this type requires. An unknown
    /// `type` is a `bad_request`.
    async fn get(&self, token: &Sep10Token, query: CustomerQuery)
        -> Result<CustomerStatus, IntegrationError>;

    /// `PUT /customer`: create or update (an idempotent upsert); returns the customer's id (the
    /// same id for an update). A `CustomerRef::Id` always names an existing customer of the
    /// caller; answer `not_found` if it was deleted meanwhile.
    async fn put(&self, token: &Sep10Token, update: CustomerUpdate) -> Result<CustomerId, IntegrationError>;

    /// `DELETE /customer/{account}`: erase every piece of personal data of the customer at
    /// `target` (only that memo's customer for a shared account). `not_found` when nothing is
    /// stored.
    async fn delete(&self, token: &Sep10Token, target: CustomerRef) -> Result<(), IntegrationError>;

    /// `PUT /customer/callback`: whether the anchor accepts status callbacks for this customer.
    /// The framework stores the URL and delivers signed callbacks when the status changes.
    /// Optional: the default answers 501.
    async fn put_callback(
        &self,
        token: &Sep10Token,
        callback: CustomerCallback,
    ) -> Result<(), IntegrationError> {
        let _ = (token, callback);
        Err(IntegrationError::NotImplemented)
    }

    /// `PUT /customer/verification` (the older SEP-12 shape): check the codes and return the new
    /// status. Optional: the default answers 501.
    async fn put_verification(
        &self,
        token: &Sep10Token,
        verification: CustomerVerification,
    ) -> Result<CustomerStatus, IntegrationError> {
        let _ = (token, verification);
        Err(IntegrationError::NotImplemented)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_keys_round_trip_and_differ_by_type() {
        for memo in [Memo::Id(u64::MAX), Memo::Text("5".into()), Memo::Hash([7u8; 32])] {
            assert_eq!(Memo::from_key(&memo.key()), Some(memo));
        }
        assert_ne!(Memo::Id(5).key(), Memo::Text("5".into()).key());
        assert_eq!(Memo::from_key("id:x"), None);
    }

    #[test]
    fn answers_cannot_be_invalid() {
        assert!(NonEmpty::<u8>::from_vec(Vec::new()).is_none());
        assert!(NonEmptyMessage::new("  ").is_none());
        let status = CustomerStatus::NeedsInfo {
            id: None,
            fields: NonEmpty::new(FieldRequirement::required(Sep9Field::FirstName, "first")),
            provided_fields: Vec::new(),
        };
        assert_eq!(status.name(), "NEEDS_INFO");
        assert!(status.id().is_none() && !status.is_final());
    }
}
