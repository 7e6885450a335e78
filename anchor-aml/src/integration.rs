//! The default `SanctionsIntegration`: screens parties with the engine over the active list
//! versions in the database. A score at or above the match threshold (or an exact address match)
//! is denied; a score in the review band is pending review; anything lower is clear. An empty
//! index means "could not screen", which callers treat as a failure, never as a pass.
//! Screening is CPU work: the async `screen` runs it on tokio's blocking pool, never on the
//! async worker thread.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anchor_core::config::AmlSettings;
use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject as Party};
use anchor_core::{IntegrationError, SanctionsIntegration};

use crate::error::Result;
use crate::store::ListStore;
use anchor_screening::PartialDate;
use anchor_screening::ScreeningIndex;
use anchor_screening::{HitDecision, ScreeningConfig, ScreeningHit, ScreeningSubject};

/// How long a counterparty should wait before asking again about a party under review.
pub const DEFAULT_REVIEW_RETRY: Duration = Duration::from_secs(3600);

/// Screens parties against the loaded lists.
pub struct ListScreening {
    index: RwLock<Arc<ScreeningIndex>>,
    config: ScreeningConfig,
    review_retry: Duration,
}

impl std::fmt::Debug for ListScreening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entities = self.current().map(|index| index.entities().len()).unwrap_or_default();
        f.debug_struct("ListScreening").field("entities", &entities).field("config", &self.config).finish()
    }
}

/// The engine's configuration with the thresholds of `AML_MATCH_THRESHOLD` and
/// `AML_REVIEW_THRESHOLD` (the engine knows nothing of settings).
pub fn screening_config(aml: &AmlSettings) -> ScreeningConfig {
    ScreeningConfig {
        match_threshold: aml.match_threshold,
        review_threshold: aml.review_threshold,
        ..ScreeningConfig::default()
    }
}

impl ListScreening {
    /// Builds the index from every active list version in `store`.
    pub fn load(store: &ListStore, config: ScreeningConfig) -> Result<Self> {
        config.validate()?;
        let index = ScreeningIndex::build(store.active_entities()?);
        Ok(Self::with_index(index, config))
    }

    /// Screens against an index built elsewhere.
    pub fn with_index(index: ScreeningIndex, config: ScreeningConfig) -> Self {
        ListScreening { index: RwLock::new(Arc::new(index)), config, review_retry: DEFAULT_REVIEW_RETRY }
    }

    /// Rebuilds the index from the store (after `lists import` or `lists update`).
    pub fn reload(&self, store: &ListStore) -> Result<()> {
        let index = Arc::new(ScreeningIndex::build(store.active_entities()?));
        if let Ok(mut current) = self.index.write() {
            *current = index;
        }
        Ok(())
    }

    fn current(&self) -> Option<Arc<ScreeningIndex>> {
        self.index.read().ok().map(|index| Arc::clone(&index))
    }

    /// The current index, or why there is none to screen with.
    fn loaded(&self) -> std::result::Result<Arc<ScreeningIndex>, IntegrationError> {
        let index =
            self.current().ok_or_else(|| IntegrationError::internal("screening index lock poisoned"))?;
        if index.entities().is_empty() {
            return Err(IntegrationError::Unavailable(
                "no sanctions list is loaded; import one with `lists import`".into(),
            ));
        }
        Ok(index)
    }

    /// Every hit for `party`, best first: names (with date of birth and country) and accounts.
    /// Blocking (CPU-bound): from async code, call it on the blocking pool.
    pub fn hits(&self, party: &Party) -> std::result::Result<Vec<ScreeningHit>, IntegrationError> {
        let index = self.loaded()?;
        Ok(party_hits(&index, &self.config, party))
    }
}

/// Every hit for `party` in `index`, best first.
fn party_hits(index: &ScreeningIndex, config: &ScreeningConfig, party: &Party) -> Vec<ScreeningHit> {
    let mut hits = Vec::new();
    if !party.names.is_empty() {
        let subject = ScreeningSubject {
            names: party.names.iter().map(|name| name.expose().clone()).collect(),
            birth_date: party.date_of_birth.as_ref().and_then(|date| PartialDate::parse(date.expose())),
            countries: party.country.iter().cloned().collect(),
            ..ScreeningSubject::default()
        };
        hits.extend(index.screen(&subject, config));
    }
    for account in &party.stellar_accounts {
        hits.extend(index.screen_address(account));
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    hits
}

#[async_trait::async_trait]
impl SanctionsIntegration for ListScreening {
    async fn screen(&self, party: &Party) -> std::result::Result<ScreeningOutcome, IntegrationError> {
        let (index, config, party) = (self.loaded()?, self.config, party.clone());
        let hits = tokio::task::spawn_blocking(move || party_hits(&index, &config, &party))
            .await
            .map_err(|_| IntegrationError::internal("screening task failed"))?;
        if let Some(hit) = hits.iter().find(|hit| hit.decision == HitDecision::Match) {
            return Ok(ScreeningOutcome::Denied {
                reason: format!(
                    "{} entry {} ({}) matched with score {:.2}",
                    hit.list, hit.source_id, hit.primary_name, hit.score
                ),
            });
        }
        if let Some(hit) = hits.iter().find(|hit| hit.decision == HitDecision::Review) {
            return Ok(ScreeningOutcome::Pending {
                retry_after: self.review_retry,
                reference: format!("review:{}:{}", hit.list, hit.source_id),
            });
        }
        Ok(ScreeningOutcome::Clear)
    }
}
