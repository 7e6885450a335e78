//! SEP-3 compliance protocol (the public `AUTH_SERVER` and the internal sending API), decided by the anchor's `SanctionsIntegration`.
//!
//! Mount it by adding [`Sep3`] to an `AnchorApp` and listing `sep-3` in `ACTIVE_SEPS`.
//!
//! **Status:** not implemented yet. This crate holds the module value so that anchors can already
//! wire it; while it is unimplemented, listing `sep-3` in `ACTIVE_SEPS` stops start-up with a
//! clear message instead of advertising an endpoint that does not exist.
//!
//! This crate depends on `anchor-core` only, never on another SEP crate.

use anchor_core::actix_web::web;
use anchor_core::{
    AnchorContext, ConfigProblem, RegisteredIntegrations, SepId, SepModule, Settings,
};

/// The SEP-3 module value.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sep3;

impl SepModule for Sep3 {
    fn id(&self) -> SepId {
        SepId::Sep3
    }

    fn check(
        &self,
        _settings: &Settings,
        _integrations: &RegisteredIntegrations,
    ) -> Vec<ConfigProblem> {
        vec![ConfigProblem::new(
            "ACTIVE_SEPS",
            "sep-3 is not implemented yet in this release of anchor-sep3; remove it from ACTIVE_SEPS",
        )]
    }

    fn mount(&self, _cfg: &mut web::ServiceConfig, _ctx: &AnchorContext) {}
}
