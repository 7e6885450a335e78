//! The monitor's faces towards the SEP routes: `ScreeningRegistry` (is this identity frozen;
//! record, erase and enrol subjects; accounts that authenticated) and `SanctionsIntegration`
//! (SEP-3: screen a counterparty, honouring officers' decisions).

use anchor_core::clock::unix_now;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject as Party};
use anchor_core::{IntegrationError, SanctionsIntegration, ScreeningRegistry};
use serde_json::json;

use super::cases::{self, thresholds, CaseFilter, CaseStatus, ScreeningRun};
use super::frozen::{self, Identity};
use super::scanner::screen_fields;
use super::subjects::{self, base_account, StoredSubject, SubjectFields, Upserted};
use super::{in_transaction, AmlMonitor, MonitorTxError, ENGINE_VERSION};
use crate::audit::append_in;
use crate::error::{Error, Result};
use crate::integration::DEFAULT_REVIEW_RETRY;
use anchor_screening::{HitDecision, ScreeningHit};

/// Transactions one record runs at most: the first, and one more when the subject changed
/// between the read that decided not to screen and the transaction (the fields are screened
/// then); the hits stay valid after that, so a third is never needed.
const RECORD_ATTEMPTS: usize = 2;

/// Accounts already recorded from SEP-10, so an authentication costs a set lookup, not a write.
#[derive(Debug, Default)]
pub(crate) struct KnownAccounts {
    accounts: RwLock<HashSet<String>>,
    loaded: std::sync::atomic::AtomicBool,
}

/// Counters for `/metrics` and `/admin/aml/stats`.
#[derive(Debug, Default)]
pub(crate) struct MonitorMetrics {
    pub(crate) screenings: AtomicU64,
    pub(crate) screening_nanos: AtomicU64,
    pub(crate) scan_subjects: AtomicU64,
    pub(crate) scan_hits: AtomicU64,
    pub(crate) scan_failures: AtomicU64,
    pub(crate) enforcement_refusals: AtomicU64,
}

impl MonitorMetrics {
    pub(crate) fn record_scan_batch(&self, subjects: u64, hits: u64) {
        self.scan_subjects.fetch_add(subjects, Ordering::Relaxed);
        self.scan_hits.fetch_add(hits, Ordering::Relaxed);
    }

    pub(crate) fn record_scan_failure(&self) {
        self.scan_failures.fetch_add(1, Ordering::Relaxed);
    }

    fn record_screening(&self, elapsed: Duration) {
        self.screenings.fetch_add(1, Ordering::Relaxed);
        self.screening_nanos.fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
    }
}

impl AmlMonitor {
    fn stale_after(&self) -> Duration {
        (self.inner.config.sync_interval * 10).max(Duration::from_secs(60))
    }

    /// Whether `identity` (`G…`, `M…` or `G…:<memo key>`) is frozen, itself or as its whole
    /// `G…` account, from memory. `Err` when the set is stale (the database has not answered
    /// for a while) or the identity is not one: callers fail closed.
    pub fn account_frozen(&self, identity: &str) -> Result<bool> {
        let identity = Identity::parse(identity)
            .ok_or_else(|| Error::Invalid("not a Stellar account or customer identity".into()))?;
        match self.inner.frozen.contains(&identity, self.stale_after()) {
            Some(frozen) => {
                if frozen {
                    self.inner.metrics.enforcement_refusals.fetch_add(1, Ordering::Relaxed);
                    self.inner.series.refusals.inc();
                }
                Ok(frozen)
            }
            None => Err(Error::Store("the frozen-account list could not be refreshed recently".into())),
        }
    }

    /// Records `party` under `key` and screens it now if it is new or changed. Blocking.
    pub fn record(&self, key: &str, party: &Party, trigger: &str) -> Result<RecordOutcome> {
        let fields = SubjectFields::from_party(party);
        self.record_fields(key, &fields, trigger)
    }

    /// Records the subject and, when it is new or changed and a list is loaded, screens it.
    ///
    /// Screening never runs inside the write transaction (on SQLite that transaction holds the
    /// database's write lock): whether the subject changed is read first (one indexed read), the
    /// fields are screened outside any transaction, then one transaction upserts the subject
    /// and applies the hits with their audit records. The hits depend only on `fields` and the
    /// list snapshot, so they stay valid whatever happened meanwhile; if the subject turned out
    /// changed when the read said it was not (a concurrent record or erasure), the transaction
    /// is rolled back, the fields are screened and it runs again: at most
    /// [`RECORD_ATTEMPTS`] transactions.
    fn record_fields(&self, key: &str, fields: &SubjectFields, trigger: &str) -> Result<RecordOutcome> {
        if key.is_empty() || key.len() > 255 {
            return Err(Error::Invalid("a subject key must be 1 to 255 bytes".into()));
        }
        let lists = self.lists();
        let config = self.inner.config.screening;
        let freeze_scope = self.inner.config.freeze_scope;
        let notifier = self.inner.notifier.clone();
        let fingerprint = fields.fingerprint(key);
        let loaded = !lists.index.entities().is_empty();
        let started = Instant::now();
        let mut screened: Option<Vec<ScreeningHit>> = None;
        if loaded {
            let (read_key, read_fingerprint) = (key.to_string(), fingerprint.clone());
            let changed = self
                .inner
                .database
                .run_blocking(move |conn| subjects::would_change(conn, &read_key, &read_fingerprint))?;
            if changed {
                screened = Some(screen_fields(fields, &lists, &config));
            }
        }
        let mut outcome = None;
        for _ in 0..RECORD_ATTEMPTS {
            // Set when the subject changed but this attempt had no screening for it.
            let mut unscreened_change = false;
            let now = unix_now();
            let attempt = in_transaction(&self.inner.database, |conn| {
                unscreened_change = false;
                let id = match subjects::upsert(conn, key, fields, now)? {
                    Upserted::Unchanged { id, status } => {
                        return Ok(RecordOutcome {
                            subject_id: id,
                            status,
                            screened: false,
                            outcome: None,
                            newly_frozen: Vec::new(),
                        });
                    }
                    Upserted::Changed { id } => id,
                };
                if !loaded {
                    subjects::set_status(conn, id, subjects::SubjectStatus::Unscreened, None)?;
                    return Ok(RecordOutcome {
                        subject_id: id,
                        status: subjects::SubjectStatus::Unscreened,
                        screened: false,
                        outcome: None,
                        newly_frozen: Vec::new(),
                    });
                }
                let Some(hits) = &screened else {
                    // Roll back: screen outside the transaction and try again.
                    unscreened_change = true;
                    return Err(MonitorTxError::Refused(Error::Store(
                        "the subject changed meanwhile".into(),
                    )));
                };
                let subject = StoredSubject { id, key: key.to_string(), fields: fields.clone() };
                let run = ScreeningRun {
                    lists: &lists,
                    config: &config,
                    scan_id: None,
                    trigger,
                    notifier: notifier.as_deref(),
                    freeze_scope,
                };
                let applied = cases::apply_hits(conn, &subject, hits, &run, now)?;
                append_in(
                    conn,
                    "screening",
                    &json!({
                        "subject_id": id, "trigger": trigger, "fingerprint": fingerprint,
                        "hits": hits.len(), "cases_opened": applied.opened, "list_versions": lists.versions_json(),
                        "engine": ENGINE_VERSION, "thresholds": thresholds(&config),
                    })
                    .to_string(),
                    now,
                )?;
                Ok(RecordOutcome {
                    subject_id: id,
                    status: applied.status.unwrap_or(subjects::SubjectStatus::Clear),
                    screened: true,
                    outcome: applied.outcome,
                    newly_frozen: applied.newly_frozen,
                })
            });
            match attempt {
                Ok(recorded) => {
                    outcome = Some(recorded);
                    break;
                }
                Err(_) if unscreened_change && screened.is_none() => {
                    screened = Some(screen_fields(fields, &lists, &config));
                }
                Err(err) => return Err(err),
            }
        }
        let outcome = outcome.ok_or_else(|| Error::Store("the subject kept changing; try again".into()))?;
        if outcome.screened {
            self.inner.metrics.record_screening(started.elapsed());
            self.inner.series.screenings.inc();
            self.inner.series.screening_seconds.observe(started.elapsed().as_secs_f64());
        }
        for account in &outcome.newly_frozen {
            self.inner.frozen.insert(account);
        }
        Ok(outcome)
    }

    /// Erases the personal fields of the subject under `key` (its fingerprint stays). A subject
    /// that any case holds frozen is under legal hold: refused ([`Error::Forbidden`]), nothing
    /// erased. The screened fields stay on the subject's open and confirmed cases, so an officer
    /// can still decide them and a confirmation still freezes the identity. Blocking.
    pub fn erase(&self, key: &str) -> Result<bool> {
        let now = unix_now();
        let key = key.to_string();
        in_transaction(&self.inner.database, move |conn| {
            let Some(stored) = subjects::by_key(conn, &key)? else { return Ok(false) };
            if !frozen::of_subject(conn, stored.id)?.is_empty() {
                return Err(MonitorTxError::Refused(Error::Forbidden(
                    "this customer cannot be erased now".into(),
                )));
            }
            let snapshot = json!({
                "key": stored.key,
                "names": stored.fields.names,
                "organizations": stored.fields.organizations,
                "date_of_birth": stored.fields.date_of_birth,
                "country": stored.fields.country,
                "accounts": stored.fields.accounts,
                "erased_at": now,
            });
            let kept = cases::keep_snapshots(conn, stored.id, &snapshot)?;
            let Some((id, fingerprint)) = subjects::erase(conn, &key, now)? else { return Ok(false) };
            append_in(
                conn,
                "subject_erased",
                &json!({"subject_id": id, "fingerprint": fingerprint, "cases_keeping_snapshot": kept})
                    .to_string(),
                now,
            )?;
            Ok(true)
        })
    }

    fn known_accounts_loaded(&self) -> Result<()> {
        if self.inner.known_accounts.loaded.load(Ordering::Acquire) {
            return Ok(());
        }
        let keys = self.inner.database.run_blocking(|conn| subjects::keys_with_prefix(conn, "sep10:"))?;
        if let Ok(mut accounts) = self.inner.known_accounts.accounts.write() {
            accounts.extend(keys);
        }
        self.inner.known_accounts.loaded.store(true, Ordering::Release);
        Ok(())
    }

    /// Whether `account` was already recorded from SEP-10 (memory only; false until loaded).
    fn is_known_authenticated(&self, account: &str) -> bool {
        if !self.inner.known_accounts.loaded.load(Ordering::Acquire) {
            return false;
        }
        let key = match base_account(account) {
            Some(base) => format!("sep10:{base}"),
            None => return false,
        };
        self.inner.known_accounts.accounts.read().map(|known| known.contains(&key)).unwrap_or(false)
    }

    /// Records an account that authenticated with SEP-10 (screened by address), once.
    pub fn record_authenticated_account(&self, account: &str) -> Result<()> {
        let Some(account) = base_account(account) else {
            return Err(Error::Invalid("not a Stellar account".into()));
        };
        let key = format!("sep10:{account}");
        self.known_accounts_loaded()?;
        if self.inner.known_accounts.accounts.read().map(|known| known.contains(&key)).unwrap_or(false) {
            return Ok(());
        }
        let fields = SubjectFields { accounts: vec![account], ..SubjectFields::default() };
        self.record_fields(&key, &fields, "sep10_authentication")?;
        if let Ok(mut known) = self.inner.known_accounts.accounts.write() {
            known.insert(key);
        }
        Ok(())
    }
}

/// What recording a subject did.
#[derive(Debug, Clone)]
pub struct RecordOutcome {
    /// The subject's row id.
    pub subject_id: i64,
    /// Its status afterwards.
    pub status: subjects::SubjectStatus,
    /// Whether it was screened (new or changed, and a list is loaded).
    pub screened: bool,
    /// The strongest open finding: decision and case number.
    pub outcome: Option<(HitDecision, i64)>,
    /// Accounts frozen by this screening.
    pub newly_frozen: Vec<String>,
}

fn to_integration_error(err: Error) -> IntegrationError {
    match err {
        Error::Invalid(message) => IntegrationError::BadRequest(message),
        Error::Forbidden(message) => IntegrationError::Forbidden(message),
        other => IntegrationError::Unavailable(format!("AML screening: {other}")),
    }
}

#[async_trait::async_trait]
impl ScreeningRegistry for AmlMonitor {
    async fn is_frozen(&self, account: &str) -> std::result::Result<bool, IntegrationError> {
        self.account_frozen(account).map_err(to_integration_error)
    }

    fn readiness(&self) -> std::result::Result<(), String> {
        if self.lists().index.entities().is_empty() {
            return Err(
                "no sanctions list is loaded, so screening fails closed: SEP-3 payments are refused and \
                 customers wait unscreened until a list arrives. Run `lists update` (the official sources) \
                 or `lists import --source ofac-sdn --file …`"
                    .into(),
            );
        }
        Ok(())
    }

    async fn record_subject(&self, key: &str, subject: Party) -> std::result::Result<(), IntegrationError> {
        let monitor = self.clone();
        let key = key.to_string();
        let trigger = if key.starts_with("sep12:") { "sep12_customer" } else { "registration" };
        tokio::task::spawn_blocking(move || monitor.record(&key, &subject, trigger))
            .await
            .map_err(|_| IntegrationError::internal("screening task failed"))?
            .map(|_| ())
            .map_err(to_integration_error)
    }

    async fn erase_subject(&self, key: &str) -> std::result::Result<(), IntegrationError> {
        let monitor = self.clone();
        let key = key.to_string();
        tokio::task::spawn_blocking(move || monitor.erase(&key))
            .await
            .map_err(|_| IntegrationError::internal("erasure task failed"))?
            .map(|_| ())
            .map_err(to_integration_error)
    }

    async fn record_authenticated(&self, account: &str) -> std::result::Result<(), IntegrationError> {
        if self.is_known_authenticated(account) {
            return Ok(());
        }
        let monitor = self.clone();
        let account = account.to_string();
        tokio::task::spawn_blocking(move || monitor.record_authenticated_account(&account))
            .await
            .map_err(|_| IntegrationError::internal("screening task failed"))?
            .map_err(to_integration_error)
    }
}

/// SEP-3 counterparties are recorded (key `sep3:<federation address>` or a hash of the names)
/// and screened like customers; officers' decisions apply: a cleared case passes, a confirmed
/// one is denied, an open one is pending with the case number as reference.
#[async_trait::async_trait]
impl SanctionsIntegration for AmlMonitor {
    async fn screen(&self, party: &Party) -> std::result::Result<ScreeningOutcome, IntegrationError> {
        if self.lists().index.entities().is_empty() {
            return Err(IntegrationError::Unavailable(
                "no sanctions list is loaded; import one with `lists import`".into(),
            ));
        }
        let key = match &party.federation_address {
            Some(address) => format!("sep3:{}", address.expose().to_ascii_lowercase()),
            None => {
                let fields = SubjectFields::from_party(party);
                format!("sep3:anonymous:{}", &fields.fingerprint("sep3")[..32])
            }
        };
        let monitor = self.clone();
        let party = party.clone();
        let outcome = tokio::task::spawn_blocking(move || -> Result<Option<(HitDecision, i64)>> {
            let recorded = monitor.record(&key, &party, "sep3_counterparty")?;
            // The new screening's findings and every open or confirmed case of the counterparty
            // decide together: changed details never shed an earlier case.
            let open = monitor.cases(&CaseFilter {
                subject_id: Some(recorded.subject_id),
                limit: Some(1000),
                ..CaseFilter::default()
            })?;
            let mut best: Option<(HitDecision, i64)> = recorded.outcome;
            for case in open.iter().filter(|case| case.status != CaseStatus::Cleared) {
                let decision = if case.decision == "match" || case.status == CaseStatus::Confirmed {
                    HitDecision::Match
                } else {
                    HitDecision::Review
                };
                if best.is_none_or(|(current, _)| decision > current) {
                    best = Some((decision, case.id));
                }
            }
            Ok(best)
        })
        .await
        .map_err(|_| IntegrationError::internal("screening task failed"))?
        .map_err(to_integration_error)?;
        Ok(match outcome {
            Some((HitDecision::Match, case)) => {
                ScreeningOutcome::Denied { reason: format!("sanctions match, case {case}") }
            }
            Some((HitDecision::Review, case)) => ScreeningOutcome::Pending {
                retry_after: DEFAULT_REVIEW_RETRY,
                reference: format!("case:{case}"),
            },
            None => ScreeningOutcome::Clear,
        })
    }
}

impl AmlMonitor {
    /// Enrols existing customers in bulk without screening them one by one: they are stored as
    /// `unscreened` and the next scan (queue one with [`AmlMonitor::request_scan`]) screens them.
    /// Keys already present are updated. Returns how many were written. Blocking.
    pub fn enrol_subjects(&self, subjects: impl IntoIterator<Item = (String, Party)>) -> Result<usize> {
        let now = unix_now();
        let mut written = 0;
        let mut chunk: Vec<(String, SubjectFields)> = Vec::with_capacity(1000);
        let flush = |chunk: &mut Vec<(String, SubjectFields)>| -> Result<usize> {
            let rows = std::mem::take(chunk);
            let count = rows.len();
            in_transaction(&self.inner.database, move |conn| {
                for (key, fields) in &rows {
                    // New keys are stored `unscreened`; known ones are updated (re-screened by the
                    // next scan when their fields changed).
                    subjects::upsert(conn, key, fields, now)?;
                }
                append_in(conn, "subjects_enrolled", &json!({"count": rows.len()}).to_string(), now)?;
                Ok(())
            })?;
            Ok(count)
        };
        for (key, party) in subjects {
            if key.is_empty() || key.len() > 255 {
                return Err(Error::Invalid("a subject key must be 1 to 255 bytes".into()));
            }
            chunk.push((key, SubjectFields::from_party(&party)));
            if chunk.len() == 1000 {
                written += flush(&mut chunk)?;
            }
        }
        if !chunk.is_empty() {
            written += flush(&mut chunk)?;
        }
        Ok(written)
    }
}
