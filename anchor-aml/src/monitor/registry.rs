//! The monitor's faces: `ScreeningRegistry` (SEP routes: is this account frozen; record and
//! erase subjects), `SanctionsIntegration` (SEP-3: screen a counterparty, honouring officers'
//! decisions), and the officer API (cases, freezes, on-demand checks, statistics).

use anchor_core::clock::unix_now;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject as Party};
use anchor_core::{IntegrationError, SanctionsIntegration, ScreeningRegistry};
use serde::Serialize;
use serde_json::json;

use super::cases::{
    self, thresholds, CaseDecision, CaseDetails, CaseFilter, CaseStatus, CaseSummary, ScreeningRun,
};
use super::frozen::{self, FrozenAccount, Identity};
use super::scanner::screen_fields;
use super::subjects::{self, base_account, StoredSubject, SubjectFields, SubjectSummary, Upserted};
use super::{in_transaction, AmlMonitor, MonitorTxError, ENGINE_VERSION};
use crate::audit::append_in;
use crate::error::{Error, Result};
use crate::integration::DEFAULT_REVIEW_RETRY;
use crate::model::PartialDate;
use crate::notify::{Notification, NotificationKind};
use crate::screen::{HitDecision, ScreeningHit, ScreeningSubject};

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

/// The result of an on-demand check (admin API).
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// `match`, `review` or `clear`.
    pub decision: &'static str,
    /// Hits, best first, with each factor's contribution.
    pub hits: Vec<serde_json::Value>,
    /// Whether the account is frozen (address checks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen: Option<FrozenAccount>,
    /// The list versions screened against.
    pub list_versions: serde_json::Value,
}

/// Figures for `GET /admin/aml/stats`.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorStats {
    /// Subjects monitored (not erased).
    pub subjects: i64,
    /// Scans completed.
    pub scans_completed: i64,
    /// Scans failed.
    pub scans_failed: i64,
    /// Subject screenings done by scans since start (this instance) and in total (database).
    pub screenings_total: i64,
    /// Cases ever opened ("sanctions found").
    pub cases_total: i64,
    /// Open cases.
    pub cases_open: i64,
    /// Accounts frozen now.
    pub frozen_accounts: i64,
    /// Unix seconds of the last completed scan.
    pub last_scan_at: Option<i64>,
    /// Unix seconds of the next scheduled full scan.
    pub next_scan_at: i64,
    /// Whether a scan is running (by any instance).
    pub running: bool,
    /// The running or last scan.
    pub current_scan: Option<super::ScanSummary>,
    /// The newest errors (failed scans).
    pub errors: Vec<serde_json::Value>,
    /// Each active list: version, publication date, entity count, age in days.
    pub lists: Vec<serde_json::Value>,
    /// Engine and thresholds.
    pub engine: serde_json::Value,
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

    /// Screens a name (with optional date of birth and country) against the loaded lists,
    /// recording nothing: for an officer's on-demand check.
    pub fn check_name(
        &self,
        name: &str,
        date_of_birth: Option<&str>,
        country: Option<&str>,
    ) -> Result<CheckResult> {
        let lists = self.lists();
        if lists.index.entities().is_empty() {
            return Err(Error::Store("no sanctions list is loaded; import one with `lists import`".into()));
        }
        let subject = ScreeningSubject {
            names: vec![name.to_string()],
            birth_date: date_of_birth.and_then(PartialDate::parse),
            countries: country.iter().map(|c| c.to_string()).collect(),
            ..ScreeningSubject::default()
        };
        let hits = lists.index.screen(&subject, &self.inner.config.screening);
        Ok(self.check_result(&hits, None))
    }

    /// Checks an account (`G…`) or a customer of one (`M…`, `G…:<memo key>`): frozen or not, and
    /// exact listed-address matches.
    pub fn check_address(&self, account: &str) -> Result<CheckResult> {
        let lists = self.lists();
        let identity = Identity::parse(account);
        let base = identity.as_ref().map_or_else(|| account.to_string(), |identity| identity.account.clone());
        let hits = lists.index.screen_address(&base);
        // The customer's own freeze first, then the whole account's.
        let targets: Vec<String> = match identity {
            Some(identity) => identity.customer.into_iter().chain([identity.account]).collect(),
            None => vec![base],
        };
        let frozen = self.inner.database.run_blocking(move |conn| {
            for target in &targets {
                if let Some(found) = frozen::find(conn, target)? {
                    return Ok(Some(found));
                }
            }
            Ok(None)
        })?;
        let mut result = self.check_result(&hits, frozen);
        if result.frozen.is_some() && result.decision == "clear" {
            result.decision = "frozen";
        }
        Ok(result)
    }

    fn check_result(&self, hits: &[ScreeningHit], frozen: Option<FrozenAccount>) -> CheckResult {
        let lists = self.lists();
        let run = ScreeningRun {
            lists: &lists,
            config: &self.inner.config.screening,
            scan_id: None,
            trigger: "check",
            notifier: None,
            freeze_scope: self.inner.config.freeze_scope,
        };
        let decision = match hits.iter().map(|hit| hit.decision).max() {
            Some(HitDecision::Match) => "match",
            Some(HitDecision::Review) => "review",
            None => "clear",
        };
        CheckResult {
            decision,
            hits: hits.iter().map(|hit| cases::hit_json(hit, &run)).collect(),
            frozen,
            list_versions: lists.versions_json(),
        }
    }

    /// Cases matching `filter`, highest score first.
    pub fn cases(&self, filter: &CaseFilter) -> Result<Vec<CaseSummary>> {
        let filter = filter.clone();
        Ok(self.inner.database.run_blocking(move |conn| cases::list(conn, &filter))?)
    }

    /// One case with its subject, hit explanation, notes and freezes.
    pub fn case(&self, id: i64) -> Result<CaseDetails> {
        self.inner
            .database
            .run_blocking(move |conn| cases::details(conn, id))?
            .ok_or_else(|| Error::NotFound(format!("no case {id}")))
    }

    /// An officer decides an open case (audited; a written reason is required).
    pub fn decide_case(
        &self,
        id: i64,
        decision: &CaseDecision,
        officer: &str,
        reason: &str,
    ) -> Result<CaseSummary> {
        let (officer, reason) = officer_and_reason(officer, reason)?;
        let now = unix_now();
        let default_until = now + self.inner.config.allowlist_expiry.as_secs() as i64;
        let notifier = self.inner.notifier.clone();
        let (summary, unfrozen, frozen_now) = in_transaction(&self.inner.database, |conn| {
            let decided = cases::decide(conn, id, decision, &officer, &reason, default_until, now)?;
            if let Some(notifier) = &notifier {
                let notification = Notification {
                    kind: NotificationKind::CaseDecision,
                    subject_line: format!("AML case {id} {} by {officer}", decided.0.status_name()),
                    text: format!(
                        "Case {id} ({} entry {}) was {} by {officer}.\nReason: {reason}\nUnfrozen: {}\nFrozen: {}",
                        decided.0.list,
                        decided.0.entry_id,
                        decided.0.status_name(),
                        decided.1.join(", "),
                        decided.2.join(", ")
                    ),
                    details: json!({"case_id": id, "officer": officer, "status": decided.0.status_name()}),
                };
                notifier.enqueue_in(conn, &notification, None).map_err(MonitorTxError::Refused)?;
            }
            Ok(decided)
        })?;
        for account in &unfrozen {
            self.inner.frozen.remove(account);
        }
        for account in &frozen_now {
            self.inner.frozen.insert(account);
        }
        Ok(summary)
    }

    /// Adds a note to a case (audited).
    pub fn add_case_note(&self, id: i64, officer: &str, text: &str) -> Result<()> {
        let (officer, text) = officer_and_reason(officer, text)?;
        let now = unix_now();
        in_transaction(&self.inner.database, move |conn| cases::add_note(conn, id, &officer, &text, now))
    }

    /// Unfreezes an account (`G…`) or one customer of it (`M…`, `G…:<memo key>`), releasing
    /// every case's hold on it; a written reason is required and the act is audited.
    pub fn unfreeze(&self, account: &str, officer: &str, reason: &str) -> Result<FrozenAccount> {
        let (officer, reason) = officer_and_reason(officer, reason)?;
        let account = Identity::parse(account)
            .ok_or_else(|| Error::Invalid("not a Stellar account or customer identity".into()))?
            .target();
        let now = unix_now();
        let notifier = self.inner.notifier.clone();
        let removed = in_transaction(&self.inner.database, |conn| {
            let removed = frozen::unfreeze(conn, &account)?.ok_or_else(|| {
                MonitorTxError::Refused(Error::NotFound(format!("{account} is not frozen")))
            })?;
            let payload = json!({
                "account": account, "subject_id": removed.subject_id, "case_id": removed.case_id,
                "officer": officer, "reason": reason,
            });
            append_in(conn, "unfreeze", &payload.to_string(), now)?;
            if let Some(subject_id) = removed.subject_id {
                let status = cases::recompute_status(conn, subject_id)?;
                subjects::set_status(conn, subject_id, status, None)?;
            }
            if let Some(notifier) = &notifier {
                let notification = Notification {
                    kind: NotificationKind::Unfreeze,
                    subject_line: format!("AML unfreeze: {account} by {officer}"),
                    text: format!("Account {account} was unfrozen by {officer}.\nReason: {reason}"),
                    details: payload,
                };
                notifier.enqueue_in(conn, &notification, None).map_err(MonitorTxError::Refused)?;
            }
            Ok(removed)
        })?;
        self.inner.frozen.remove(&account);
        Ok(removed)
    }

    /// Frozen accounts, newest first; `search` filters by account prefix.
    pub fn frozen_accounts(&self, search: Option<&str>, limit: i64) -> Result<Vec<FrozenAccount>> {
        let search = search.map(str::to_string);
        let limit = limit.clamp(1, 10_000);
        Ok(self.inner.database.run_blocking(move |conn| frozen::list(conn, search.as_deref(), limit))?)
    }

    /// One subject.
    pub fn subject(&self, id: i64) -> Result<SubjectSummary> {
        self.inner
            .database
            .run_blocking(move |conn| subjects::summary(conn, id))?
            .ok_or_else(|| Error::NotFound(format!("no subject {id}")))
    }

    /// Accounts frozen in this process's memory.
    pub fn frozen_in_memory(&self) -> usize {
        self.inner.frozen.len()
    }

    /// Screenings done by this process on arrival and their mean latency in microseconds, and
    /// subjects screened by scans.
    pub fn process_counters(&self) -> serde_json::Value {
        let metrics = &self.inner.metrics;
        let screenings = metrics.screenings.load(Ordering::Relaxed);
        let nanos = metrics.screening_nanos.load(Ordering::Relaxed);
        json!({
            "arrival_screenings": screenings,
            "arrival_screening_mean_micros": nanos.checked_div(screenings).unwrap_or(0) / 1000,
            "scan_subjects": metrics.scan_subjects.load(Ordering::Relaxed),
            "scan_hits": metrics.scan_hits.load(Ordering::Relaxed),
            "scan_failures": metrics.scan_failures.load(Ordering::Relaxed),
            "enforcement_refusals": metrics.enforcement_refusals.load(Ordering::Relaxed),
        })
    }

    /// Statistics for the admin API.
    pub fn stats(&self) -> Result<MonitorStats> {
        let now = unix_now();
        let interval = self.inner.config.scan_interval.as_secs().max(1) as i64;
        let lists = self.lists();
        let scans = self.scans(50)?;
        let totals = self.inner.database.run_blocking(|conn| {
            use anchor_core::db::schema::aml_scans::dsl as sc;
            use diesel::prelude::*;
            // One row per scan (a few hundred a year): summed here to avoid SUM's
            // backend-specific NUMERIC/DECIMAL result type.
            let screened: Vec<i64> = sc::aml_scans.select(sc::screened).load(conn)?;
            let count_scans = |conn: &mut anchor_core::db::AnyConnection,
                               status: &str|
             -> std::result::Result<i64, anchor_core::db::DbError> {
                Ok(sc::aml_scans.filter(sc::status.eq(status)).count().get_result(conn)?)
            };
            Ok((
                subjects::count_active(conn)?,
                cases::count_all(conn)?,
                cases::count_by_status(conn, CaseStatus::Open)?,
                frozen::count(conn)?,
                screened.iter().sum::<i64>(),
                count_scans(conn, "completed")?,
                count_scans(conn, "failed")?,
            ))
        })?;
        let (
            subjects_count,
            cases_total,
            cases_open,
            frozen_count,
            screenings_total,
            scans_completed,
            scans_failed,
        ) = totals;
        let completed: Vec<&super::ScanSummary> =
            scans.iter().filter(|scan| scan.status == super::ScanStatus::Completed).collect();
        let running = scans.iter().find(|scan| scan.status == super::ScanStatus::Running).cloned();
        let errors = scans
            .iter()
            .filter(|scan| scan.status == super::ScanStatus::Failed)
            .take(5)
            .map(|scan| json!({"scan_id": scan.id, "at": scan.finished_at, "error": scan.last_error}))
            .collect();
        let list_info = lists
            .versions
            .iter()
            .map(|version| {
                json!({
                    "list": version.source,
                    "version_id": version.id,
                    "sha256": version.sha256,
                    "published_on": version.published_on,
                    "imported_at": version.imported_at,
                    "entities": version.entity_count,
                    "age_days": (now - version.imported_at) / 86_400,
                })
            })
            .collect();
        Ok(MonitorStats {
            subjects: subjects_count,
            scans_completed,
            scans_failed,
            screenings_total,
            cases_total,
            cases_open,
            frozen_accounts: frozen_count,
            last_scan_at: completed.first().and_then(|scan| scan.finished_at),
            next_scan_at: (now / interval + 1) * interval,
            running: running.is_some(),
            current_scan: running.or_else(|| scans.first().cloned()),
            errors,
            lists: list_info,
            engine: json!({"version": ENGINE_VERSION, "thresholds": thresholds(&self.inner.config.screening)}),
        })
    }
}

impl CaseSummary {
    fn status_name(&self) -> &'static str {
        self.status.as_str()
    }
}

fn officer_and_reason(officer: &str, reason: &str) -> Result<(String, String)> {
    let officer = officer.trim();
    let reason = reason.trim();
    if officer.is_empty() || officer.len() > 128 {
        return Err(Error::Invalid(
            "`officer` is required (who takes the decision, at most 128 characters)".into(),
        ));
    }
    if reason.is_empty() {
        return Err(Error::Invalid("a written `reason` is required".into()));
    }
    if reason.len() > 4000 {
        return Err(Error::Invalid("`reason` is longer than 4000 characters".into()));
    }
    Ok((officer.to_string(), reason.to_string()))
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
    /// The weekly compliance summary as JSON: [`AmlMonitor::weekly_report`] serialised (the
    /// seven days' screenings, hits, decisions, freezes, scans, the lists and the audit head),
    /// the same figures the weekly email and the console's report page carry. Blocking.
    pub fn weekly_summary(&self, now: i64) -> Result<serde_json::Value> {
        let report = self.weekly_report(now)?;
        serde_json::to_value(&report).map_err(|err| Error::Store(format!("weekly report: {err}")))
    }

    /// Queues the weekly summary once per ISO week (all instances together). Blocking.
    pub fn enqueue_weekly_summary_if_due(&self, now: i64) -> Result<()> {
        let Some(notifier) = self.inner.notifier.clone() else { return Ok(()) };
        let key = crate::notify::weekly_summary_key(now);
        if self.last_weekly_summary().as_deref() == Some(key.as_str()) {
            return Ok(());
        }
        // The email's text and its details are the report the console shows for this week.
        let report = self.weekly_report(now)?;
        let details =
            serde_json::to_value(&report).map_err(|err| Error::Store(format!("weekly report: {err}")))?;
        let notification = Notification {
            kind: NotificationKind::WeeklySummary,
            subject_line: format!("AML weekly summary {}", report.week),
            text: report.to_text(),
            details,
        };
        in_transaction(&self.inner.database, |conn| {
            notifier.enqueue_in(conn, &notification, Some(&key)).map_err(MonitorTxError::Refused)
        })?;
        // Remembered once queued, so a failure is retried on the next round.
        *self.last_weekly_summary_guard() = Some(key);
        Ok(())
    }

    fn last_weekly_summary_guard(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        match self.inner.last_weekly_summary.lock() {
            Ok(last) => last,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn last_weekly_summary(&self) -> Option<String> {
        self.last_weekly_summary_guard().clone()
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
