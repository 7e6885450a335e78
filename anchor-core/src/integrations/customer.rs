//! `CustomerIntegration`: the anchor's customer store behind SEP-12, with the django-polaris
//! method set. The framework checks every identifier against the caller's SEP-10 token before
//! calling it, so an implementation never sees another account's request.
//!
//! The SEP-12 issue completes the typed SEP-9 field catalogue; the shapes here are the contract
//! the routes will call.

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;

use crate::auth::Sep10Token;
use crate::integrations::IntegrationError;
use crate::sensitive::Sensitive;

/// The anchor's identifier of a customer (SEP-12 `id`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(pub String);

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which customer a request is about: an `id`, or an account with an optional memo.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CustomerRef {
    /// By the anchor's id (already checked to belong to the token's account).
    Id(CustomerId),
    /// By Stellar account (`G…` or `M…`) and optional memo.
    Account {
        /// The account.
        account: String,
        /// The memo, for shared accounts.
        memo: Option<String>,
    },
}

/// `GET /customer` input.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CustomerQuery {
    /// The customer.
    pub target: CustomerRef,
    /// SEP-12 `type`.
    pub customer_type: Option<String>,
    /// Preferred language of descriptions.
    pub lang: Option<String>,
}

/// `PUT /customer` input: SEP-9 fields by name, every value sensitive.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CustomerUpdate {
    /// The customer (an id for updates, an account for creation).
    pub target: CustomerRef,
    /// SEP-12 `type`.
    pub customer_type: Option<String>,
    /// SEP-9 fields.
    pub fields: BTreeMap<String, Sensitive<String>>,
}

/// What a field requires (SEP-12 `fields` entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    /// SEP-9 name.
    pub name: String,
    /// `string`, `binary`, `number` or `date`.
    pub field_type: String,
    /// Human description.
    pub description: String,
    /// Whether the field may be omitted.
    pub optional: bool,
}

/// The customer's status, shaped so an invalid SEP-12 answer cannot be built: `NeedsInfo` carries
/// at least one field, `Rejected` carries a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CustomerStatus {
    /// All required information accepted.
    Accepted {
        /// The customer's id.
        id: CustomerId,
    },
    /// Under review.
    Processing {
        /// The customer's id.
        id: CustomerId,
        /// Shown to the user.
        message: Option<String>,
    },
    /// More information needed; `first` is the first required field, `rest` the others.
    NeedsInfo {
        /// `None` for a customer not yet known.
        id: Option<CustomerId>,
        /// A required field (there is always at least one).
        first: FieldRequirement,
        /// Further fields.
        rest: Vec<FieldRequirement>,
    },
    /// Refused.
    Rejected {
        /// The customer's id.
        id: CustomerId,
        /// Why (required by SEP-12).
        message: String,
    },
}

/// The anchor's customer store (SEP-12). Register it with `Integrations::customer`.
#[async_trait]
pub trait CustomerIntegration: Send + Sync + 'static {
    /// `GET /customer`: the customer's status, or `NeedsInfo` for an unknown customer.
    async fn get(&self, token: &Sep10Token, query: CustomerQuery)
        -> Result<CustomerStatus, IntegrationError>;

    /// `PUT /customer`: create or update; returns the customer's id.
    async fn put(&self, token: &Sep10Token, update: CustomerUpdate) -> Result<CustomerId, IntegrationError>;

    /// `DELETE /customer/{account}`: erase the customer's data.
    async fn delete(&self, token: &Sep10Token, target: CustomerRef) -> Result<(), IntegrationError>;

    /// `PUT /customer/callback`: register a status callback URL. Optional (501).
    async fn put_callback(
        &self,
        token: &Sep10Token,
        target: CustomerRef,
        url: String,
    ) -> Result<(), IntegrationError> {
        let _ = (token, target, url);
        Err(IntegrationError::NotImplemented)
    }

    /// `PUT /customer/verification`: verification codes (the older SEP-12 shape). Optional (501).
    async fn put_verification(
        &self,
        token: &Sep10Token,
        id: CustomerId,
        codes: BTreeMap<String, Sensitive<String>>,
    ) -> Result<CustomerStatus, IntegrationError> {
        let _ = (token, id, codes);
        Err(IntegrationError::NotImplemented)
    }
}
