//! The officer's operations on the monitor, behind the admin API and the console: on-demand
//! checks, cases and their decisions, notes, unfreezes, frozen accounts, subjects, statistics and
//! the weekly summary.

use anchor_core::clock::unix_now;
use std::sync::atomic::Ordering;

use serde::Serialize;
use serde_json::json;

use super::cases::{
    self, thresholds, CaseDecision, CaseDetails, CaseFilter, CaseStatus, CaseSummary, ScreeningRun,
};
use super::frozen::{self, FrozenAccount, Identity};
use super::subjects::{self, SubjectSummary};
use super::{in_transaction, AmlMonitor, MonitorTxError, ENGINE_VERSION};
use crate::audit::append_in;
use crate::error::{Error, Result};
use crate::notify::{Notification, NotificationKind};
use anchor_screening::PartialDate;
use anchor_screening::{HitDecision, ScreeningHit, ScreeningSubject};

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

impl AmlMonitor {
    /// The weekly compliance summary as JSON: [`AmlMonitor::weekly_report`] serialised (the last
    /// complete ISO week's screenings, hits, decisions, freezes, scans, the lists and the audit
    /// head), the same figures the weekly email and the console's report page carry. Blocking.
    pub fn weekly_summary(&self, now: i64) -> Result<serde_json::Value> {
        let report = self.weekly_report(now)?;
        serde_json::to_value(&report).map_err(|err| Error::Store(format!("weekly report: {err}")))
    }

    /// Queues the weekly summary once per ISO week (all instances together): from the first
    /// round of a week, the report of the week before, keyed by that reported week. Blocking.
    pub fn enqueue_weekly_summary_if_due(&self, now: i64) -> Result<()> {
        let Some(notifier) = self.inner.notifier.clone() else { return Ok(()) };
        let (reported_week, _) = super::analytics::last_complete_iso_week(now);
        let key = crate::notify::weekly_summary_key(reported_week);
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
