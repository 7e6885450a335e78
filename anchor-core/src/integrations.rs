//! What an anchor implements: the integration traits, the error they return, and
//! [`register_integrations`], which checks them against `ACTIVE_SEPS` at start-up and returns a
//! value (no globals) that the app carries.
//!
//! The traits mention no actix or diesel type: an anchor implements them without learning our
//! HTTP stack or database layer. See `docs/integrations.md`.

use std::fmt;
use std::sync::Arc;

use crate::config::{ConfigError, ConfigProblem, SepId, Settings};

pub mod compliance;
pub mod customer;
pub mod sanctions;

pub use compliance::{ComplianceIntegration, FederationIntegration, PaymentState, PaymentStatus};
pub use customer::CustomerIntegration;
pub use sanctions::{SanctionsIntegration, ScreeningRegistry};

/// The error an integration returns; the framework maps it to HTTP (django-polaris' contract:
/// `ValueError` → 400, `ObjectDoesNotExist` → 404, `NotImplementedError` → 501).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IntegrationError {
    /// 400: the client's input is unacceptable; the message is shown to the client.
    #[error("{0}")]
    BadRequest(String),
    /// 403: the request is understood but refused (a frozen identity, a legal hold); the message
    /// is shown to the client and must reveal nothing about lists, cases or scores.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such object for this client; the message is shown to the client.
    #[error("{0}")]
    NotFound(String),
    /// 501: the optional operation is not implemented.
    #[error("not implemented")]
    NotImplemented,
    /// 503: a dependency of the integration is down; the message is shown to the client.
    #[error("{0}")]
    Unavailable(String),
    /// 500: anything else. The message is logged, never shown.
    #[error("{0}")]
    Internal(String),
}

impl IntegrationError {
    /// A 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        IntegrationError::BadRequest(message.into())
    }

    /// A 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        IntegrationError::NotFound(message.into())
    }

    /// A 500; `cause` is logged only.
    pub fn internal(cause: impl fmt::Display) -> Self {
        IntegrationError::Internal(cause.to_string())
    }
}

/// A `stellar.toml` hook: returns the anchor's own top-level keys and tables (`[DOCUMENTATION]`,
/// `[[CURRENCIES]]`, …), called on every request of the file (django-polaris' `toml` integration).
pub type StellarTomlHook = Arc<dyn Fn() -> toml::Table + Send + Sync>;

/// The anchor's integrations, gathered before [`register_integrations`] checks them.
#[derive(Default, Clone)]
pub struct Integrations {
    customer: Option<Arc<dyn CustomerIntegration>>,
    sanctions: Option<Arc<dyn SanctionsIntegration>>,
    screening_registry: Option<Arc<dyn ScreeningRegistry>>,
    stellar_toml: Option<StellarTomlHook>,
    federation: Option<Arc<dyn FederationIntegration>>,
    compliance: Option<Arc<dyn ComplianceIntegration>>,
}

impl Integrations {
    /// No integrations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The SEP-12 customer integration (required by `sep-12`).
    pub fn customer(mut self, integration: impl CustomerIntegration) -> Self {
        self.customer = Some(Arc::new(integration));
        self
    }

    /// The sanctions integration (required by `sep-3`).
    pub fn sanctions(mut self, integration: impl SanctionsIntegration) -> Self {
        self.sanctions = Some(Arc::new(integration));
        self
    }

    /// The screening registry (the AML monitor). Without one, no account is ever frozen.
    pub fn screening_registry(mut self, registry: impl ScreeningRegistry) -> Self {
        self.screening_registry = Some(Arc::new(registry));
        self
    }

    /// The SEP-2 federation directory (required by `sep-3`).
    pub fn federation(mut self, integration: impl FederationIntegration) -> Self {
        self.federation = Some(Arc::new(integration));
        self
    }

    /// The SEP-3 consent and KYC callbacks (required by `sep-3`).
    pub fn compliance(mut self, integration: impl ComplianceIntegration) -> Self {
        self.compliance = Some(Arc::new(integration));
        self
    }

    /// A hook returning the anchor's own part of stellar.toml.
    pub fn stellar_toml(mut self, hook: impl Fn() -> toml::Table + Send + Sync + 'static) -> Self {
        self.stellar_toml = Some(Arc::new(hook));
        self
    }
}

impl fmt::Debug for Integrations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Integrations")
            .field("customer", &self.customer.is_some())
            .field("sanctions", &self.sanctions.is_some())
            .field("screening_registry", &self.screening_registry.is_some())
            .field("stellar_toml", &self.stellar_toml.is_some())
            .field("federation", &self.federation.is_some())
            .field("compliance", &self.compliance.is_some())
            .finish()
    }
}

/// Integrations checked against `ACTIVE_SEPS`. Every accessor for an active SEP's integration
/// returns a value, because registration refused to start otherwise.
#[derive(Clone)]
pub struct RegisteredIntegrations {
    inner: Integrations,
    screening_registry: Arc<dyn ScreeningRegistry>,
}

impl RegisteredIntegrations {
    /// The customer integration (present whenever `sep-12` is active).
    pub fn customer(&self) -> Option<&Arc<dyn CustomerIntegration>> {
        self.inner.customer.as_ref()
    }

    /// The sanctions integration (present whenever `sep-3` is active).
    pub fn sanctions(&self) -> Option<&Arc<dyn SanctionsIntegration>> {
        self.inner.sanctions.as_ref()
    }

    /// The screening registry; [`sanctions::NothingFrozen`] when the anchor registered none.
    pub fn screening_registry(&self) -> &Arc<dyn ScreeningRegistry> {
        &self.screening_registry
    }

    /// The SEP-2 federation directory (present whenever `sep-3` is active).
    pub fn federation(&self) -> Option<&Arc<dyn FederationIntegration>> {
        self.inner.federation.as_ref()
    }

    /// The SEP-3 consent and KYC callbacks (present whenever `sep-3` is active).
    pub fn compliance(&self) -> Option<&Arc<dyn ComplianceIntegration>> {
        self.inner.compliance.as_ref()
    }

    /// The stellar.toml hook, if any.
    pub fn stellar_toml(&self) -> Option<&StellarTomlHook> {
        self.inner.stellar_toml.as_ref()
    }
}

impl fmt::Debug for RegisteredIntegrations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredIntegrations").field("integrations", &self.inner).finish_non_exhaustive()
    }
}

/// Checks the anchor's integrations against `ACTIVE_SEPS` (django-polaris' name). Every missing
/// integration is reported at once.
pub fn register_integrations(
    settings: &Settings,
    integrations: Integrations,
) -> Result<RegisteredIntegrations, ConfigError> {
    let mut problems = Vec::new();
    if settings.is_active(SepId::Sep12) && integrations.customer.is_none() {
        problems.push(ConfigProblem::new(
            "ACTIVE_SEPS",
            "sep-12 is active but no CustomerIntegration was registered; add \
             `Integrations::new().customer(…)` or remove sep-12",
        ));
    }
    if settings.is_active(SepId::Sep3) && integrations.sanctions.is_none() {
        problems.push(ConfigProblem::new(
            "ACTIVE_SEPS",
            "sep-3 is active but no SanctionsIntegration was registered; add \
             `Integrations::new().sanctions(…)` or remove sep-3",
        ));
    }
    if !problems.is_empty() {
        return Err(ConfigError { problems });
    }
    let screening_registry =
        integrations.screening_registry.clone().unwrap_or_else(|| Arc::new(sanctions::NothingFrozen));
    Ok(RegisteredIntegrations { inner: integrations, screening_registry })
}
