//! `SanctionsIntegration` (the anchor's sanctions decision, used by SEP-3 and the AML monitor) and
//! `ScreeningRegistry` (the seam through which SEP routes ask whether an account is frozen and
//! hand over customers to screen; the AML crate implements it).
//!
//! A hit is a value, not an error: `Err` means only "could not screen", and callers turn it into
//! pending or denied, never into a pass.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use crate::integrations::IntegrationError;
use crate::sensitive::Sensitive;

/// Who is screened, with personal data wrapped so it cannot reach a log.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ScreeningSubject {
    /// Full names or name variants, of the kind [`ScreeningSubject::names_kind`] says.
    pub names: Vec<Sensitive<String>>,
    /// What `names` are: a natural person's (SEP-9 `first_name` … `last_name`), an
    /// organisation's, or unknown (`None`: screened against every kind of listed entity).
    pub names_kind: Option<PartyKind>,
    /// Names of an organisation the party is or acts for (SEP-9 `organization.name`): screened
    /// as organisations, never with the date of birth.
    pub organization_names: Vec<Sensitive<String>>,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: Option<Sensitive<String>>,
    /// ISO 3166-1 alpha-2 or alpha-3 country.
    pub country: Option<String>,
    /// Stellar accounts (`G…` or `M…`).
    pub stellar_accounts: Vec<String>,
    /// Postal address as one line (SEP-3 `sender_info` address, city, province, postal code).
    pub address: Option<Sensitive<String>>,
    /// Federation address (`name*domain`) of the party, when known (SEP-3 `sender`).
    pub federation_address: Option<Sensitive<String>>,
    /// Every attribute the counterparty sent about the party (SEP-3 `sender_info`, including
    /// keys beyond the convention), for integrations that forward them whole.
    pub attributes: BTreeMap<String, Sensitive<String>>,
    /// Why the party is screened.
    pub purpose: Option<ScreeningPurpose>,
}

/// Whether a name is a natural person's or an organisation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartyKind {
    /// A natural person.
    Person,
    /// A company, association, government body or other organisation.
    Organization,
}

/// Why a party is screened, so a provider can apply different rules.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScreeningPurpose {
    /// The sender of an incoming SEP-3 payment that another institution asks us to approve.
    Sep3IncomingPayment {
        /// The sending institution's domain.
        sending_domain: String,
        /// The payment's nonce (unique per payment, reused when re-asking).
        nonce: String,
        /// Amount of the first operation (7-decimal string).
        amount: String,
        /// Asset code of the first operation; empty for XLM.
        asset_code: String,
    },
}

impl ScreeningSubject {
    /// A subject with one name.
    pub fn named(name: impl Into<String>) -> Self {
        ScreeningSubject { names: vec![Sensitive::new(name.into())], ..Self::default() }
    }
}

/// The outcome of screening one party.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScreeningOutcome {
    /// No match.
    Clear,
    /// Needs a person's review; ask again after `retry_after`.
    Pending {
        /// When to ask again.
        retry_after: Duration,
        /// The case reference.
        reference: String,
    },
    /// Refused; the reason is kept for the audit trail, never shown to the counterparty.
    Denied {
        /// Why.
        reason: String,
    },
}

/// The anchor's sanctions decision. Register it with `Integrations::sanctions`.
#[async_trait]
pub trait SanctionsIntegration: Send + Sync + 'static {
    /// Screens one party. `Err` means "could not screen" and is never treated as `Clear`.
    async fn screen(&self, subject: &ScreeningSubject) -> Result<ScreeningOutcome, IntegrationError>;
}

/// The seam between SEP routes and AML monitoring.
#[async_trait]
pub trait ScreeningRegistry: Send + Sync + 'static {
    /// Whether `identity` is frozen. `identity` is the one a request acts as: `G…` (the account),
    /// `M…` (a muxed customer, the same as `G…:id:<id>`) or `G…:<memo key>` (a memo customer of a
    /// shared account, memo keys as [`Memo::key`](crate::integrations::customer::Memo::key)
    /// writes them: `id:5`, `text:…`, `hash:…`). An identity is frozen when it is frozen itself or
    /// its whole `G…` account is. SEP routes refuse frozen identities with a 403 that reveals
    /// nothing else. `Err` fails closed.
    async fn is_frozen(&self, identity: &str) -> Result<bool, IntegrationError>;

    /// Records or updates a subject to screen now and on every list change. `subject` is the
    /// whole party as the anchor holds it after the change (never a partial update): it replaces
    /// what was recorded under `key`.
    async fn record_subject(&self, key: &str, subject: ScreeningSubject) -> Result<(), IntegrationError> {
        let _ = (key, subject);
        Ok(())
    }

    /// Whether screening can work now: `Err` says, for a person, why it cannot (no sanctions
    /// list loaded, so screening fails closed) and what to run. Shown by `/health` and at
    /// start-up. Cheap: no IO.
    fn readiness(&self) -> Result<(), String> {
        Ok(())
    }

    /// Records an account that has just authenticated with SEP-10, to be screened by address now
    /// and on every list change. Called after a token is issued; cheap when the account is known.
    async fn record_authenticated(&self, account: &str) -> Result<(), IntegrationError> {
        let _ = account;
        Ok(())
    }

    /// Erases a subject's personal data (SEP-12 `DELETE /customer`). A frozen subject is under
    /// legal hold: the registry refuses with [`IntegrationError::Forbidden`] and erases nothing.
    async fn erase_subject(&self, key: &str) -> Result<(), IntegrationError> {
        let _ = key;
        Ok(())
    }
}

/// The registry used when the anchor registers none: nothing is frozen, nothing is recorded.
/// Replaced by the AML monitor's registry once it is configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct NothingFrozen;

#[async_trait]
impl ScreeningRegistry for NothingFrozen {
    async fn is_frozen(&self, _account: &str) -> Result<bool, IntegrationError> {
        Ok(false)
    }
}
