//! Scans: scheduling (a full rescan every `AML_SCAN_INTERVAL`, a delta rescan after every list
//! version), claiming (one instance at a time, by lease), running in committed batches, resuming.

use anchor_core::clock::unix_now;
use std::collections::HashSet;
use std::sync::Arc;

use anchor_core::db::schema::aml_list_versions::dsl as versions;
use anchor_core::db::schema::aml_scan_batches::dsl as b;
use anchor_core::db::schema::aml_scans::dsl as sc;
use anchor_core::db::schema::aml_subjects::dsl as s;
use anchor_core::db::{AnyConnection, DbError};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::cases::{self, thresholds, ScreeningRun};
use super::subjects::{self, StoredSubject, SubjectStatus};
use super::{in_transaction, AmlMonitor, ListSnapshot, MonitorTxError, ENGINE_VERSION};
use crate::audit::append_in;
use crate::error::{Error, Result};
use crate::notify::{Notification, NotificationKind};
use anchor_screening::{ScreeningConfig, ScreeningHit};

/// What a scan covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanKind {
    /// Every subject against every loaded list (scheduled).
    Full,
    /// Every subject against the entries a list version added or changed.
    Delta,
    /// Every subject against every loaded list, asked for by an officer or the CLI.
    Manual,
}

impl ScanKind {
    /// `full`, `delta` or `manual`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanKind::Full => "full",
            ScanKind::Delta => "delta",
            ScanKind::Manual => "manual",
        }
    }

    fn parse(text: &str) -> ScanKind {
        match text {
            "delta" => ScanKind::Delta,
            "manual" => ScanKind::Manual,
            _ => ScanKind::Full,
        }
    }
}

/// Where a scan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    /// Waiting for an instance to claim it.
    Queued,
    /// Claimed; progressing batch by batch.
    Running,
    /// Every subject screened.
    Completed,
    /// Stopped by an error (see `last_error`).
    Failed,
}

impl ScanStatus {
    /// `queued`, `running`, `completed` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Queued => "queued",
            ScanStatus::Running => "running",
            ScanStatus::Completed => "completed",
            ScanStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> ScanStatus {
        match text {
            "running" => ScanStatus::Running,
            "completed" => ScanStatus::Completed,
            "failed" => ScanStatus::Failed,
            _ => ScanStatus::Queued,
        }
    }
}

/// A scan as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanSummary {
    /// Scan number.
    pub id: i64,
    /// Unique key.
    pub key: String,
    /// Kind.
    pub kind: ScanKind,
    /// Status.
    pub status: ScanStatus,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub started_at: Option<i64>,
    /// Unix seconds.
    pub finished_at: Option<i64>,
    /// Subjects to screen when it started.
    pub subjects_total: i64,
    /// Subjects screened.
    pub screened: i64,
    /// Hits found.
    pub hits: i64,
    /// Resume point.
    pub last_subject_id: i64,
    /// The instance holding it.
    pub lease_owner: Option<String>,
    /// Why it failed.
    pub last_error: Option<String>,
}

/// Progress reported after every committed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanProgress {
    /// The scan.
    pub scan_id: i64,
    /// Subjects screened so far.
    pub screened: i64,
    /// Subjects to screen.
    pub total: i64,
    /// Hits so far.
    pub hits: i64,
}

/// What a delta scan screens for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct DeltaTarget {
    list_source: String,
    list_version_id: i64,
    /// `None`: the whole list (a first import).
    entries: Option<Vec<String>>,
}

type ScanRow = (
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
);

macro_rules! scan_columns {
    () => {
        (
            sc::id,
            sc::scan_key,
            sc::kind,
            sc::status,
            sc::created_at,
            sc::started_at,
            sc::finished_at,
            sc::last_subject_id,
            sc::subjects_total,
            sc::screened,
            sc::hits,
            sc::lease_owner,
            sc::last_error,
        )
    };
}

fn to_summary(row: ScanRow) -> ScanSummary {
    let (
        id,
        key,
        kind,
        status,
        created_at,
        started_at,
        finished_at,
        last_subject_id,
        subjects_total,
        screened,
        hits,
        lease_owner,
        last_error,
    ) = row;
    ScanSummary {
        id,
        key,
        kind: ScanKind::parse(&kind),
        status: ScanStatus::parse(&status),
        created_at,
        started_at,
        finished_at,
        subjects_total,
        screened,
        hits,
        last_subject_id,
        lease_owner,
        last_error,
    }
}

fn is_unique_violation(err: &DbError) -> bool {
    matches!(
        err,
        DbError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _
        ))
    )
}

/// Inserts a queued scan unless one with `key` exists. Returns whether it was created.
fn create_scan(
    conn: &mut AnyConnection,
    key: &str,
    kind: ScanKind,
    details: &serde_json::Value,
    now: i64,
) -> Result<bool, DbError> {
    let exists: i64 = sc::aml_scans.filter(sc::scan_key.eq(key)).count().get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    let inserted = diesel::insert_into(sc::aml_scans)
        .values((
            sc::scan_key.eq(key),
            sc::kind.eq(kind.as_str()),
            sc::status.eq("queued"),
            sc::created_at.eq(now),
            sc::last_subject_id.eq(0_i64),
            sc::subjects_total.eq(0_i64),
            sc::screened.eq(0_i64),
            sc::hits.eq(0_i64),
            sc::lease_until.eq(0_i64),
            sc::details_json.eq(details.to_string()),
        ))
        .execute(conn)
        .map_err(DbError::from);
    match inserted {
        Ok(_) => Ok(true),
        // Another instance created the same scheduled scan first.
        Err(err) if is_unique_violation(&err) => Ok(false),
        Err(err) => Err(err),
    }
}

impl AmlMonitor {
    /// Creates the scans that are due: this period's full rescan, and a delta rescan for every
    /// active list version that has none. Several instances may call it at once: each scan is
    /// created once (its key is unique). Blocking.
    pub fn schedule_scans(&self, now: i64) -> Result<()> {
        let interval = self.inner.config.scan_interval.as_secs().max(1) as i64;
        let period = now / interval;
        let lists = self.lists();
        self.inner.database.run_blocking(|conn| {
            let full_key = format!("full:{interval}:{period}");
            create_scan(conn, &full_key, ScanKind::Full, &json!({"period_start": period * interval}), now)?;
            for version in &lists.versions {
                let key = format!("delta:{}", version.id);
                let exists: i64 = sc::aml_scans.filter(sc::scan_key.eq(&key)).count().get_result(conn)?;
                if exists > 0 {
                    continue;
                }
                let diff: Option<Option<String>> = versions::aml_list_versions
                    .select(versions::diff_json)
                    .filter(versions::id.eq(version.id))
                    .first(conn)
                    .optional()?;
                let entries = diff.flatten().and_then(|json| delta_entries(&json, version.entity_count));
                let target =
                    DeltaTarget { list_source: version.source.clone(), list_version_id: version.id, entries };
                let details = serde_json::to_value(&target).unwrap_or_default();
                create_scan(conn, &key, ScanKind::Delta, &details, now)?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Queues a full rescan now (admin API, CLI). Returns its number.
    pub fn request_scan(&self, requested_by: &str) -> Result<i64> {
        let now = unix_now();
        let key = format!("manual:{now}:{}", &anchor_core::hex::encode(&rand_bytes())[..12]);
        let requested_by = requested_by.to_string();
        let id = self.inner.database.run_blocking(move |conn| {
            create_scan(conn, &key, ScanKind::Manual, &json!({"requested_by": requested_by}), now)?;
            Ok(sc::aml_scans.select(sc::id).filter(sc::scan_key.eq(&key)).first::<i64>(conn)?)
        })?;
        Ok(id)
    }

    /// Whether a queued scan, or a running one whose lease expired, is waiting.
    pub fn has_claimable_scan(&self, now: i64) -> Result<bool> {
        Ok(!self.claimable_scans(now)?.is_empty())
    }

    fn claimable_scans(&self, now: i64) -> Result<Vec<i64>> {
        let owner = self.inner.owner.clone();
        Ok(self.inner.database.run_blocking(move |conn| {
            Ok(sc::aml_scans
                .select(sc::id)
                .filter(sc::status.eq_any(["queued", "running"]))
                .filter(sc::lease_owner.is_null().or(sc::lease_until.lt(now)).or(sc::lease_owner.eq(owner)))
                .order(sc::id.asc())
                .load::<i64>(conn)?)
        })?)
    }

    /// Runs every claimable scan to its end, oldest first; `progress` is called after each batch.
    /// Scans another instance holds are left to it. Blocking.
    pub fn run_due_scans(&self, progress: &mut dyn FnMut(&ScanProgress)) -> Result<Vec<ScanSummary>> {
        let _runner = match self.inner.scan_runner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut done = Vec::new();
        let mut tried = HashSet::new();
        loop {
            let next = self.claimable_scans(unix_now())?.into_iter().find(|id| !tried.contains(id));
            let Some(id) = next else { break };
            tried.insert(id);
            match self.run_scan(id, progress) {
                Ok(Some(summary)) => done.push(summary),
                Ok(None) | Err(Error::LeaseLost(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(done)
    }

    /// Claims scan `id` and runs it to its end. `Ok(None)` when another instance holds it.
    pub fn run_scan(&self, id: i64, progress: &mut dyn FnMut(&ScanProgress)) -> Result<Option<ScanSummary>> {
        let Some((kind, details)) = self.claim(id)? else { return Ok(None) };
        let lists = self.lists();
        let delta: Option<DeltaTarget> =
            if kind == ScanKind::Delta { serde_json::from_str(&details).ok() } else { None };
        let result = self.run_claimed(id, kind, delta.as_ref(), &lists, progress);
        match result {
            Ok(summary) => {
                self.inner.series.scans_completed.inc();
                Ok(Some(summary))
            }
            Err(Error::LeaseLost(id)) => {
                tracing::warn!(scan = id, "AML scan taken over by another instance");
                Err(Error::LeaseLost(id))
            }
            Err(err) => {
                self.fail_scan(id, &err.to_string());
                Err(err)
            }
        }
    }

    fn claim(&self, id: i64) -> Result<Option<(ScanKind, String)>> {
        let owner = self.inner.owner.clone();
        let lease = self.inner.config.scan_lease.as_secs().max(1) as i64;
        let now = unix_now();
        let lists = self.lists();
        let thresholds = thresholds(&self.inner.config.screening);
        in_transaction(&self.inner.database, move |conn| {
            let claimed = diesel::update(
                sc::aml_scans.filter(sc::id.eq(id)).filter(sc::status.eq_any(["queued", "running"])).filter(
                    sc::lease_owner.is_null().or(sc::lease_until.lt(now)).or(sc::lease_owner.eq(&owner)),
                ),
            )
            .set((
                sc::lease_owner.eq(Some(&owner)),
                sc::lease_until.eq(now + lease),
                sc::status.eq("running"),
            ))
            .execute(conn)?;
            if claimed == 0 {
                return Ok(None);
            }
            let (kind, details, started_at, last): (String, String, Option<i64>, i64) = sc::aml_scans
                .select((sc::kind, sc::details_json, sc::started_at, sc::last_subject_id))
                .filter(sc::id.eq(id))
                .first(conn)?;
            if started_at.is_none() {
                let total = subjects::count_active(conn)?;
                diesel::update(sc::aml_scans.filter(sc::id.eq(id)))
                    .set((sc::started_at.eq(Some(now)), sc::subjects_total.eq(total)))
                    .execute(conn)?;
                append_in(
                    conn,
                    "scan_started",
                    &json!({
                        "scan_id": id, "kind": kind, "instance": owner, "subjects": total,
                        "list_versions": lists.versions_json(), "engine": ENGINE_VERSION, "thresholds": thresholds,
                        "details": serde_json::from_str::<serde_json::Value>(&details).unwrap_or_default(),
                    })
                    .to_string(),
                    now,
                )?;
            } else {
                append_in(
                    conn,
                    "scan_resumed",
                    &json!({"scan_id": id, "kind": kind, "instance": owner, "after_subject_id": last})
                        .to_string(),
                    now,
                )?;
            }
            Ok(Some((ScanKind::parse(&kind), details)))
        })
    }

    fn run_claimed(
        &self,
        id: i64,
        kind: ScanKind,
        delta: Option<&DeltaTarget>,
        lists: &Arc<ListSnapshot>,
        progress: &mut dyn FnMut(&ScanProgress),
    ) -> Result<ScanSummary> {
        let batch_size = i64::from(self.inner.config.batch_size.max(1));
        let config = self.inner.config.screening;
        let delta_entries: Option<HashSet<String>> =
            delta.and_then(|target| target.entries.as_ref()).map(|entries| entries.iter().cloned().collect());
        // The background tick that refreshes the frozen accounts waits while it runs this scan:
        // refresh them here too, or a scan longer than the staleness limit makes `is_frozen`
        // fail closed (every SEP request refused) until the scan ends.
        let sync_interval = self.inner.config.sync_interval;
        let mut synced = std::time::Instant::now();
        let (mut cursor, total) = self.inner.database.run_blocking(move |conn| {
            Ok(sc::aml_scans
                .select((sc::last_subject_id, sc::subjects_total))
                .filter(sc::id.eq(id))
                .first::<(i64, i64)>(conn)?)
        })?;
        let screen = |batch: &[StoredSubject]| -> Result<Vec<Vec<ScreeningHit>>> {
            if batch.is_empty() {
                return Ok(Vec::new());
            }
            if lists.index.entities().is_empty() {
                return Err(Error::Store(
                    "no sanctions list is loaded; import one with `lists import`".into(),
                ));
            }
            let mut hits = screen_batch(batch, lists, &config);
            if let Some(target) = delta {
                for subject_hits in &mut hits {
                    subject_hits.retain(|hit| {
                        hit.list.code() == target.list_source
                            && delta_entries.as_ref().is_none_or(|entries| entries.contains(&hit.source_id))
                    });
                }
            }
            Ok(hits)
        };
        let mut batch =
            self.inner.database.run_blocking(move |conn| subjects::load_batch(conn, cursor, batch_size))?;
        let mut hits = screen(&batch)?;
        // Pipeline: while batch n is committed on this thread, batch n + 1 (loaded before the
        // commit: its subjects all come after batch n's) is screened on the worker threads. Batch
        // n + 1 is committed only after batch n, with its own cursor guard, so the resume point
        // and "hits committed with their cursor" are unchanged.
        while let Some(last) = batch.last().map(|subject| subject.id) {
            if synced.elapsed() >= sync_interval {
                if let Err(err) = self.sync_frozen() {
                    tracing::warn!(scan = id, error = %err, "could not refresh frozen accounts during a scan");
                }
                synced = std::time::Instant::now();
            }
            let next =
                self.inner.database.run_blocking(move |conn| subjects::load_batch(conn, last, batch_size))?;
            let (committed, next_hits) = std::thread::scope(|scope| {
                let worker = scope.spawn(|| screen(&next));
                let committed = self.commit_batch(id, kind, cursor, last, &batch, &hits, lists);
                // A panic in the engine would be a bug; screen again on this thread so the batch
                // stays complete rather than silently short.
                let next_hits = worker.join().unwrap_or_else(|_| screen(&next));
                (committed, next_hits)
            });
            let (screened, hit_count, frozen) = committed?;
            for account in &frozen {
                self.inner.frozen.insert(account);
            }
            let batch_hits = hits.iter().filter(|subject_hits| !subject_hits.is_empty()).count() as u64;
            self.inner.metrics.record_scan_batch(batch.len() as u64, batch_hits);
            self.inner.series.scanned_subjects.inc_by(batch.len() as u64);
            self.inner.series.hits.inc_by(batch_hits);
            progress(&ScanProgress { scan_id: id, screened, total, hits: hit_count });
            cursor = last;
            batch = next;
            hits = next_hits?;
        }
        self.catch_up(id, kind, cursor, lists, &screen)?;
        self.complete_scan(id, kind, lists)
    }

    /// Screens the subjects at or below the scan's final cursor that changed since the scan was
    /// created: on PostgreSQL and MySQL ids become visible out of order, so a subject can commit
    /// behind a cursor that has passed its id (and an arrival screened while this scan's list
    /// version was being loaded may have used the one before). Screening one twice is harmless:
    /// cases are opened once per (subject, entry).
    fn catch_up(
        &self,
        id: i64,
        kind: ScanKind,
        cursor: i64,
        lists: &ListSnapshot,
        screen: &ScreenBatch<'_>,
    ) -> Result<()> {
        let since: i64 = self.inner.database.run_blocking(move |conn| {
            Ok(sc::aml_scans.select(sc::created_at).filter(sc::id.eq(id)).first(conn)?)
        })?;
        let ids =
            self.inner.database.run_blocking(move |conn| subjects::changed_since(conn, since, cursor))?;
        let batch_size = self.inner.config.batch_size.max(1) as usize;
        for chunk in ids.chunks(batch_size) {
            let chunk = chunk.to_vec();
            let batch = self.inner.database.run_blocking(move |conn| subjects::load_ids(conn, &chunk))?;
            let hits = screen(&batch)?;
            let frozen = self.commit_catch_up(id, kind, &batch, &hits, lists)?;
            for account in &frozen {
                self.inner.frozen.insert(account);
            }
        }
        Ok(())
    }

    fn commit_catch_up(
        &self,
        id: i64,
        kind: ScanKind,
        batch: &[StoredSubject],
        hits: &[Vec<ScreeningHit>],
        lists: &ListSnapshot,
    ) -> Result<Vec<String>> {
        let owner = self.inner.owner.clone();
        let now = unix_now();
        let config = self.inner.config.screening;
        let notifier = self.inner.notifier.clone();
        in_transaction(&self.inner.database, |conn| {
            let held: i64 = sc::aml_scans
                .filter(sc::id.eq(id))
                .filter(sc::lease_owner.eq(&owner))
                .count()
                .get_result(conn)?;
            if held == 0 {
                return Err(MonitorTxError::Refused(Error::LeaseLost(id)));
            }
            mark_screened(conn, batch, now)?;
            let run = ScreeningRun {
                lists,
                config: &config,
                scan_id: Some(id),
                trigger: kind.as_str(),
                notifier: notifier.as_deref(),
                freeze_scope: self.inner.config.freeze_scope,
            };
            let (batch_hits, frozen) = apply_batch(conn, batch, hits, &run, now)?;
            append_in(
                conn,
                "screening_catch_up",
                &json!({
                    "scan_id": id, "kind": kind.as_str(),
                    "subject_ids": batch.iter().map(|subject| subject.id).collect::<Vec<_>>(),
                    "subjects_with_hits": batch_hits, "list_versions": lists.versions_json(),
                    "engine": ENGINE_VERSION,
                })
                .to_string(),
                now,
            )?;
            Ok(frozen)
        })
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "its one caller hands over the scan, its cursor guard, the batch, its hits and the lists"
    )]
    fn commit_batch(
        &self,
        id: i64,
        kind: ScanKind,
        cursor: i64,
        last: i64,
        batch: &[StoredSubject],
        hits: &[Vec<ScreeningHit>],
        lists: &ListSnapshot,
    ) -> Result<(i64, i64, Vec<String>)> {
        let owner = self.inner.owner.clone();
        let lease = self.inner.config.scan_lease.as_secs().max(1) as i64;
        let now = unix_now();
        let config = self.inner.config.screening;
        let freeze_scope = self.inner.config.freeze_scope;
        let notifier = self.inner.notifier.clone();
        let count = batch.len() as i64;
        let first = batch.first().map_or(cursor + 1, |subject| subject.id);
        in_transaction(&self.inner.database, |conn| {
            let advanced = diesel::update(
                sc::aml_scans
                    .filter(sc::id.eq(id))
                    .filter(sc::last_subject_id.eq(cursor))
                    .filter(sc::lease_owner.eq(&owner)),
            )
            .set((
                sc::last_subject_id.eq(last),
                sc::screened.eq(sc::screened + count),
                sc::lease_until.eq(now + lease),
            ))
            .execute(conn)?;
            if advanced == 0 {
                return Err(MonitorTxError::Refused(Error::LeaseLost(id)));
            }
            // Exactly the subjects of this batch: a subject that committed inside (cursor, last]
            // after the batch was read (ids become visible out of order on PostgreSQL and
            // MySQL) was not screened here, and the catch-up pass at the end screens it.
            mark_screened(conn, batch, now)?;
            let run = ScreeningRun {
                lists,
                config: &config,
                scan_id: Some(id),
                trigger: kind.as_str(),
                notifier: notifier.as_deref(),
                freeze_scope,
            };
            let (batch_hits, frozen) = apply_batch(conn, batch, hits, &run, now)?;
            if batch_hits > 0 {
                diesel::update(sc::aml_scans.filter(sc::id.eq(id)))
                    .set(sc::hits.eq(sc::hits + batch_hits))
                    .execute(conn)?;
            }
            diesel::insert_into(b::aml_scan_batches)
                .values((
                    b::scan_id.eq(id),
                    b::first_subject_id.eq(first),
                    b::last_subject_id.eq(last),
                    b::screened.eq(count),
                    b::hits.eq(batch_hits),
                    b::owner.eq(&owner),
                    b::committed_at.eq(now),
                ))
                .execute(conn)?;
            append_in(
                conn,
                "screening_batch",
                &json!({
                    "scan_id": id, "kind": kind.as_str(), "first_subject_id": first, "last_subject_id": last,
                    "screened": count, "subjects_with_hits": batch_hits,
                    "list_versions": lists.versions_json(), "engine": ENGINE_VERSION, "thresholds": thresholds(&config),
                })
                .to_string(),
                now,
            )?;
            let screened: i64 = sc::aml_scans.select(sc::screened).filter(sc::id.eq(id)).first(conn)?;
            let total_hits: i64 = sc::aml_scans.select(sc::hits).filter(sc::id.eq(id)).first(conn)?;
            Ok((screened, total_hits, frozen))
        })
    }

    fn complete_scan(&self, id: i64, kind: ScanKind, lists: &ListSnapshot) -> Result<ScanSummary> {
        let owner = self.inner.owner.clone();
        let now = unix_now();
        let versions = lists.versions_json();
        in_transaction(&self.inner.database, move |conn| {
            let done = diesel::update(sc::aml_scans.filter(sc::id.eq(id)).filter(sc::lease_owner.eq(&owner)))
                .set((
                    sc::status.eq("completed"),
                    sc::finished_at.eq(Some(now)),
                    sc::lease_owner.eq(None::<String>),
                ))
                .execute(conn)?;
            if done == 0 {
                return Err(MonitorTxError::Refused(Error::LeaseLost(id)));
            }
            let row: ScanRow = sc::aml_scans.select(scan_columns!()).filter(sc::id.eq(id)).first(conn)?;
            let summary = to_summary(row);
            append_in(
                conn,
                "scan_completed",
                &json!({
                    "scan_id": id, "kind": kind.as_str(), "screened": summary.screened, "hits": summary.hits,
                    "started_at": summary.started_at, "list_versions": versions, "engine": ENGINE_VERSION,
                })
                .to_string(),
                now,
            )?;
            Ok(summary)
        })
    }

    fn fail_scan(&self, id: i64, error: &str) {
        let now = unix_now();
        let error = error.to_string();
        let notifier = self.inner.notifier.clone();
        let outcome = in_transaction(&self.inner.database, |conn| {
            diesel::update(sc::aml_scans.filter(sc::id.eq(id)))
                .set((
                    sc::status.eq("failed"),
                    sc::last_error.eq(Some(&error)),
                    sc::finished_at.eq(Some(now)),
                    sc::lease_owner.eq(None::<String>),
                ))
                .execute(conn)?;
            let payload = json!({"scan_id": id, "error": error});
            append_in(conn, "scan_failed", &payload.to_string(), now)?;
            if let Some(notifier) = &notifier {
                let notification = Notification {
                    kind: NotificationKind::ScanFailed,
                    subject_line: format!("AML scan {id} failed"),
                    text: format!("AML scan {id} stopped with an error: {error}\nStart a new one with POST /admin/aml/scan or `aml scan`."),
                    details: payload,
                };
                notifier
                    .enqueue_in(conn, &notification, None)
                    .map_err(|err| DbError::Unavailable(err.to_string()))?;
            }
            Ok(())
        });
        self.inner.metrics.record_scan_failure();
        self.inner.series.scans_failed.inc();
        if let Err(err) = outcome {
            tracing::error!(scan = id, error = %err, "could not record the failure of an AML scan");
        }
    }

    /// The newest scans first.
    pub fn scans(&self, limit: i64) -> Result<Vec<ScanSummary>> {
        let limit = limit.clamp(1, 1000);
        let rows: Vec<ScanRow> = self.inner.database.run_blocking(move |conn| {
            Ok(sc::aml_scans.select(scan_columns!()).order(sc::id.desc()).limit(limit).load(conn)?)
        })?;
        Ok(rows.into_iter().map(to_summary).collect())
    }

    /// One scan.
    pub fn scan(&self, id: i64) -> Result<ScanSummary> {
        let row: Option<ScanRow> = self.inner.database.run_blocking(move |conn| {
            Ok(sc::aml_scans.select(scan_columns!()).filter(sc::id.eq(id)).first(conn).optional()?)
        })?;
        row.map(to_summary).ok_or_else(|| Error::NotFound(format!("no scan {id}")))
    }

    /// The committed batches of a scan: `(first_subject_id, last_subject_id, screened, owner)`,
    /// in order. Ranges never overlap; together they cover every subject the scan screened.
    pub fn scan_batches(&self, id: i64) -> Result<Vec<(i64, i64, i64, String)>> {
        Ok(self.inner.database.run_blocking(move |conn| {
            Ok(b::aml_scan_batches
                .select((b::first_subject_id, b::last_subject_id, b::screened, b::owner))
                .filter(b::scan_id.eq(id))
                .order(b::first_subject_id.asc())
                .load(conn)?)
        })?)
    }
}

/// Screens one batch: a hit list per subject.
type ScreenBatch<'a> = dyn Fn(&[StoredSubject]) -> Result<Vec<Vec<ScreeningHit>>> + 'a;

/// Marks exactly `batch` screened at `now` (and `unscreened` ones `clear`; their hits, applied
/// next, set the status that stands).
fn mark_screened(conn: &mut AnyConnection, batch: &[StoredSubject], now: i64) -> Result<(), DbError> {
    let ids: Vec<i64> = batch.iter().map(|subject| subject.id).collect();
    diesel::update(
        s::aml_subjects.filter(s::id.eq_any(&ids)).filter(s::status.ne(SubjectStatus::Erased.as_str())),
    )
    .set(s::screened_at.eq(Some(now)))
    .execute(conn)?;
    diesel::update(
        s::aml_subjects.filter(s::id.eq_any(&ids)).filter(s::status.eq(SubjectStatus::Unscreened.as_str())),
    )
    .set(s::status.eq(SubjectStatus::Clear.as_str()))
    .execute(conn)?;
    Ok(())
}

/// Applies each subject's hits; returns how many subjects have a finding that stands (cleared
/// false positives excluded) and what was newly frozen.
fn apply_batch(
    conn: &mut AnyConnection,
    batch: &[StoredSubject],
    hits: &[Vec<ScreeningHit>],
    run: &ScreeningRun<'_>,
    now: i64,
) -> Result<(i64, Vec<String>), DbError> {
    let mut frozen = Vec::new();
    let mut batch_hits = 0_i64;
    for (subject, subject_hits) in batch.iter().zip(hits) {
        if subject_hits.is_empty() {
            continue;
        }
        let applied = cases::apply_hits(conn, subject, subject_hits, run, now)?;
        if applied.outcome.is_some() {
            batch_hits += 1;
        }
        frozen.extend(applied.newly_frozen);
    }
    Ok((batch_hits, frozen))
}

/// Screens a batch on every core: one hit list per subject, best first.
pub(crate) fn screen_batch(
    batch: &[StoredSubject],
    lists: &ListSnapshot,
    config: &ScreeningConfig,
) -> Vec<Vec<ScreeningHit>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads <= 1 || batch.len() < 64 {
        return batch.iter().map(|subject| screen_fields(&subject.fields, lists, config)).collect();
    }
    let chunk = batch.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|subject| screen_fields(&subject.fields, lists, config))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(batch.len());
        for (handle, part) in handles.into_iter().zip(batch.chunks(chunk)) {
            match handle.join() {
                Ok(hits) => out.extend(hits),
                // A panic in the engine would be a bug; screen that part again on this thread so
                // the batch stays complete rather than silently short.
                Err(_) => {
                    out.extend(part.iter().map(|subject| screen_fields(&subject.fields, lists, config)))
                }
            }
        }
        out
    })
}

/// Every hit for one subject's fields: names (with date of birth and country) and accounts.
pub(crate) fn screen_fields(
    fields: &super::subjects::SubjectFields,
    lists: &ListSnapshot,
    config: &ScreeningConfig,
) -> Vec<ScreeningHit> {
    let mut hits = Vec::new();
    for subject in fields.engine_subjects() {
        hits.extend(lists.index.screen(&subject, config));
    }
    for account in &fields.accounts {
        hits.extend(lists.index.screen_address(account));
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    hits
}

/// The added and changed entries of a stored diff; `None` when everything was added (a first
/// import: screen against the whole list).
fn delta_entries(diff_json: &str, entity_count: i64) -> Option<Vec<String>> {
    #[derive(Deserialize)]
    struct StoredDiff {
        #[serde(default)]
        added: Vec<String>,
        #[serde(default)]
        changed: Vec<String>,
    }
    let diff: StoredDiff = serde_json::from_str(diff_json).ok()?;
    if diff.added.len() as i64 >= entity_count {
        return None;
    }
    Some(diff.added.into_iter().chain(diff.changed).collect())
}

fn rand_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes = nanos.to_le_bytes();
    }
    bytes
}
