//! AML monitoring: the registry of everyone the anchor must screen, screening on arrival,
//! scheduled and list-triggered rescans, cases and freezes, and enforcement through the
//! `ScreeningRegistry` seam of `anchor-core`.
//!
//! One [`AmlMonitor`] per process. It is cheap to clone (an `Arc` inside) and is registered with
//! `Integrations::screening_registry` (and, if the anchor wants list screening for SEP-3, with
//! `Integrations::sanctions`). Its background work — syncing frozen accounts and list versions
//! written by other instances, scheduling and running scans, delivering notifications — runs in
//! [`AmlMonitor::run_background`].
//!
//! Invariants:
//! - a subject is screened on arrival and whenever its screening fields change;
//! - a scan's results and its resume point are committed in one transaction per batch, so a
//!   killed scan continues where it stopped and no subject is screened twice or skipped;
//! - one instance at a time works on a scan (a lease renewed with every batch);
//! - every hit, freeze, unfreeze, decision and scan is in the audit trail, in the same
//!   transaction as the change it records;
//! - `is_frozen` answers from memory and fails closed when that memory is stale.

mod analytics;
mod cases;
mod frozen;
mod history;
mod metrics;
mod operations;
mod recording;
mod scanner;
mod subjects;

use anchor_core::clock::unix_now;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anchor_core::config::AmlSettings;
use anchor_core::db::{AnyConnection, DbError};
use anchor_core::Database;

use crate::error::{Error, Result};
use crate::notify::Notifier;
use crate::store::{ListStore, StoredVersion};
use anchor_screening::ScreeningConfig;
use anchor_screening::ScreeningIndex;

pub(crate) use analytics::iso_week;
pub use analytics::{thousands, Analytics, AuditHead, DailyCounts, NamedCount, ReportList, WeeklyReport};
pub use cases::{factor_json, CaseDecision, CaseDetails, CaseFilter, CaseStatus, CaseSummary};
pub use frozen::FrozenAccount;
pub use history::HistoryEvent;
pub use operations::{CheckResult, MonitorStats};
pub use recording::RecordOutcome;
pub use scanner::{ScanKind, ScanProgress, ScanStatus, ScanSummary};
pub use subjects::{SubjectStatus, SubjectSummary};

pub(crate) use anchor_screening::ENGINE_VERSION;

/// The monitor's settings, from [`AmlSettings`].
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// Thresholds of the engine.
    pub screening: ScreeningConfig,
    /// Time between full rescans.
    pub scan_interval: Duration,
    /// Subjects per committed batch.
    pub batch_size: u32,
    /// How long a scanner's claim lasts without progress.
    pub scan_lease: Duration,
    /// How often other instances' changes are picked up.
    pub sync_interval: Duration,
    /// Default validity of a cleared false positive.
    pub allowlist_expiry: Duration,
    /// Audit retention in days.
    pub audit_retention_days: u32,
    /// What a match of a memo or muxed customer of a shared account freezes.
    pub freeze_scope: FreezeScope,
}

/// Whether `text` names what a freeze can hold: a Stellar account `G…`, a muxed account `M…`,
/// or one customer of a shared account `G…:<memo key>` (`G…:id:5`, `G…:text:…`, `G…:hash:…`).
pub fn is_freeze_identity(text: &str) -> bool {
    frozen::Identity::parse(text).is_some()
}

/// What a sanctions match of one customer of a shared (custodial) `G…` account freezes
/// (`AML_FREEZE_SCOPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FreezeScope {
    /// The customer's identity (`G…:<memo>` or `M…`) only; the whole `G…` account when the
    /// account itself is listed or has no other customer.
    #[default]
    Customer,
    /// Always the whole `G…` account.
    Account,
}

impl MonitorConfig {
    /// The configuration `AML_*` settings describe.
    pub fn from_settings(aml: &AmlSettings) -> Self {
        MonitorConfig {
            screening: crate::integration::screening_config(aml),
            scan_interval: aml.scan_interval,
            batch_size: aml.batch_size,
            scan_lease: aml.scan_lease,
            sync_interval: aml.sync_interval,
            allowlist_expiry: aml.allowlist_expiry,
            audit_retention_days: aml.audit_retention_days,
            freeze_scope: if aml.freeze_whole_account { FreezeScope::Account } else { FreezeScope::Customer },
        }
    }
}

/// The loaded lists: the index and the versions it was built from.
pub(crate) struct ListSnapshot {
    pub(crate) index: Arc<ScreeningIndex>,
    pub(crate) versions: Vec<StoredVersion>,
}

impl ListSnapshot {
    fn version_ids(&self) -> Vec<i64> {
        self.versions.iter().map(|version| version.id).collect()
    }

    /// `{source: {id, sha256, published_on}}` for audit records.
    pub(crate) fn versions_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for version in &self.versions {
            map.insert(
                version.source.clone(),
                serde_json::json!({
                    "version_id": version.id,
                    "sha256": version.sha256,
                    "published_on": version.published_on,
                    "entities": version.entity_count,
                }),
            );
        }
        serde_json::Value::Object(map)
    }
}

pub(crate) struct MonitorInner {
    pub(crate) database: Database,
    pub(crate) config: MonitorConfig,
    pub(crate) lists: RwLock<Arc<ListSnapshot>>,
    pub(crate) frozen: frozen::FrozenSet,
    pub(crate) known_accounts: recording::KnownAccounts,
    pub(crate) notifier: Option<Arc<Notifier>>,
    pub(crate) owner: String,
    pub(crate) metrics: recording::MonitorMetrics,
    pub(crate) series: metrics::MonitorSeries,
    pub(crate) last_weekly_summary: std::sync::Mutex<Option<String>>,
    pub(crate) last_purge_day: std::sync::Mutex<Option<i64>>,
    /// Held while this process runs scans, so the background loop, the admin API and the CLI
    /// of one process never work on the same scan at once.
    pub(crate) scan_runner: std::sync::Mutex<()>,
    /// The anchor's `SIGNING_SEED`, which signs the audit trail's checkpoints.
    pub(crate) audit_key: Option<anchor_core::keys::SigningKey>,
}

/// The AML monitor of one process. See the module documentation.
#[derive(Clone)]
pub struct AmlMonitor {
    pub(crate) inner: Arc<MonitorInner>,
}

impl std::fmt::Debug for AmlMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmlMonitor").field("owner", &self.inner.owner).finish_non_exhaustive()
    }
}

impl AmlMonitor {
    /// Opens the monitor over a migrated database: loads the active list versions and the frozen
    /// accounts. Blocking; call it at start-up.
    ///
    /// A monitor opened this way has no key for the audit trail's checkpoints: it writes none
    /// (exports carry none) and its verification checks the chain only. Anchors use
    /// [`AmlMonitor::from_settings`] or [`AmlMonitor::open_signed`].
    pub fn open(database: Database, config: MonitorConfig, notifier: Option<Notifier>) -> Result<Self> {
        Self::open_with(database, config, notifier, None)
    }

    /// [`AmlMonitor::open`] with the anchor's `SIGNING_SEED`, which signs the audit trail's
    /// checkpoints (daily in the background work, and with every export).
    pub fn open_signed(
        database: Database,
        config: MonitorConfig,
        notifier: Option<Notifier>,
        signing_key: anchor_core::keys::SigningKey,
    ) -> Result<Self> {
        Self::open_with(database, config, notifier, Some(signing_key))
    }

    fn open_with(
        database: Database,
        config: MonitorConfig,
        notifier: Option<Notifier>,
        audit_key: Option<anchor_core::keys::SigningKey>,
    ) -> Result<Self> {
        config.screening.validate()?;
        let snapshot = load_snapshot(&database)?;
        let frozen = frozen::FrozenSet::default();
        let monitor = AmlMonitor {
            inner: Arc::new(MonitorInner {
                database,
                config,
                lists: RwLock::new(Arc::new(snapshot)),
                frozen,
                known_accounts: recording::KnownAccounts::default(),
                notifier: notifier.map(Arc::new),
                owner: instance_name(),
                metrics: recording::MonitorMetrics::default(),
                series: metrics::MonitorSeries::default(),
                last_weekly_summary: std::sync::Mutex::new(None),
                last_purge_day: std::sync::Mutex::new(None),
                scan_runner: std::sync::Mutex::new(()),
                audit_key,
            }),
        };
        monitor.sync_frozen()?;
        Ok(monitor)
    }

    /// The database the monitor works on.
    pub fn database(&self) -> &Database {
        &self.inner.database
    }

    /// The monitor's configuration.
    pub fn config(&self) -> &MonitorConfig {
        &self.inner.config
    }

    /// The audit trail, with the anchor's key when the monitor has it (see
    /// [`AmlMonitor::open_signed`]).
    pub fn audit_trail(&self) -> crate::audit::AuditTrail {
        match &self.inner.audit_key {
            Some(key) => crate::audit::AuditTrail::signed(self.inner.database.clone(), key.clone()),
            None => crate::audit::AuditTrail::new(self.inner.database.clone()),
        }
    }

    /// A fresh checkpoint of the audit trail, for an export; `None` when the monitor has no key.
    /// Blocking.
    pub fn checkpoint_audit(&self, reason: &str) -> Result<Option<crate::audit::AuditCheckpoint>> {
        if self.inner.audit_key.is_none() {
            return Ok(None);
        }
        self.audit_trail().checkpoint(reason, unix_now()).map(Some)
    }

    /// Signs the audit trail's head when the newest checkpoint is a day old or
    /// [`CHECKPOINT_EVERY_RECORDS`](crate::audit::CHECKPOINT_EVERY_RECORDS) records behind
    /// (nothing without a key). Blocking; the background work calls it every round.
    pub fn checkpoint_audit_if_due(&self, now: i64) -> Result<()> {
        if self.inner.audit_key.is_none() {
            return Ok(());
        }
        let written = self.audit_trail().checkpoint_if_due(
            crate::audit::CHECKPOINT_MAX_AGE_SECONDS,
            crate::audit::CHECKPOINT_EVERY_RECORDS,
            now,
        )?;
        if let Some(checkpoint) = written {
            tracing::info!(seq = checkpoint.seq, reason = %checkpoint.reason, "audit trail checkpoint signed");
        }
        Ok(())
    }

    /// The notifier, when one is configured.
    pub fn notifier(&self) -> Option<&Arc<Notifier>> {
        self.inner.notifier.as_ref()
    }

    /// This instance's name in scan leases and batch records.
    pub fn instance(&self) -> &str {
        &self.inner.owner
    }

    pub(crate) fn lists(&self) -> Arc<ListSnapshot> {
        match self.inner.lists.read() {
            Ok(lists) => Arc::clone(&lists),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The active list versions the screening index was built from.
    pub fn list_versions(&self) -> Vec<StoredVersion> {
        self.lists().versions.clone()
    }

    /// Rebuilds the index when the active list versions changed (an import by the CLI or by
    /// another instance). Returns whether it did. Blocking.
    pub fn reload_lists_if_changed(&self) -> Result<bool> {
        let active: Vec<i64> =
            ListStore::new(self.inner.database.clone()).active_versions()?.iter().map(|v| v.id).collect();
        if active == self.lists().version_ids() {
            return Ok(false);
        }
        let snapshot = load_snapshot(&self.inner.database)?;
        tracing::info!(lists = snapshot.versions.len(), "sanctions lists changed; screening index rebuilt");
        match self.inner.lists.write() {
            Ok(mut lists) => *lists = Arc::new(snapshot),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(snapshot),
        }
        Ok(true)
    }

    /// Reloads the frozen accounts from the database (other instances' freezes and unfreezes).
    pub fn sync_frozen(&self) -> Result<()> {
        let accounts = self.inner.database.run_blocking(frozen::load_all)?;
        self.inner.frozen.replace(accounts);
        Ok(())
    }

    /// Runs the monitor's background work until the process ends: every `AML_SYNC_INTERVAL`,
    /// reload frozen accounts and list versions (one loop), and schedule and run due scans,
    /// the weekly summary, the audit retention and the audit trail's daily checkpoint (another loop, so a long scan never delays the
    /// sync); notifications are delivered by a third. Never returns an error: failures are
    /// logged, audited where they concern a scan, and retried on the next round.
    pub async fn run_background(self) {
        if let Some(notifier) = self.inner.notifier.clone() {
            tokio::spawn(notifier.run(Duration::from_secs(2)));
        }
        let sync = self.clone();
        tokio::spawn(async move {
            sync.every_interval("sync", |monitor| {
                monitor.sync_frozen()?;
                monitor.reload_lists_if_changed().map(|_| ())
            })
            .await
        });
        self.every_interval("scans", |monitor| monitor.tick()).await;
    }

    async fn every_interval(&self, what: &'static str, work: fn(&AmlMonitor) -> Result<()>) {
        let mut ticker = tokio::time::interval(self.inner.config.sync_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let monitor = self.clone();
            match tokio::task::spawn_blocking(move || work(&monitor)).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => {
                    tracing::error!(error = %err, work = what, "AML monitor: background work failed")
                }
                Err(_) => tracing::error!(work = what, "AML monitor: background task panicked"),
            }
        }
    }

    /// One round of background work (blocking): sync, schedule, run what is due.
    pub fn tick(&self) -> Result<()> {
        self.sync_frozen()?;
        let reloaded = self.reload_lists_if_changed()?;
        self.schedule_scans(unix_now())?;
        if reloaded || self.has_claimable_scan(unix_now())? {
            self.run_due_scans(&mut |_| {})?;
        }
        self.enqueue_weekly_summary_if_due(unix_now())?;
        self.purge_audit_if_due(unix_now())?;
        self.checkpoint_audit_if_due(unix_now())?;
        Ok(())
    }

    /// Once a day, deletes audit records older than `AML_AUDIT_RETENTION_DAYS` (the chain stays
    /// verifiable from the purge point). Blocking.
    pub fn purge_audit_if_due(&self, now: i64) -> Result<i64> {
        let day = now / 86_400;
        {
            let mut last = match self.inner.last_purge_day.lock() {
                Ok(last) => last,
                Err(poisoned) => poisoned.into_inner(),
            };
            if *last == Some(day) {
                return Ok(0);
            }
            *last = Some(day);
        }
        let cutoff = now - i64::from(self.inner.config.audit_retention_days) * 86_400;
        let purged = crate::audit::AuditTrail::new(self.inner.database.clone()).purge_before(cutoff, now)?;
        if purged > 0 {
            tracing::info!(records = purged, "audit records past retention purged");
        }
        Ok(purged)
    }
}

fn load_snapshot(database: &Database) -> Result<ListSnapshot> {
    let store = ListStore::new(database.clone());
    let versions = store.active_versions()?;
    let index = ScreeningIndex::build(store.active_entities()?);
    Ok(ListSnapshot { index: Arc::new(index), versions })
}

fn instance_name() -> String {
    let host =
        std::env::var("HOSTNAME").ok().filter(|name| !name.is_empty()).unwrap_or_else(|| "host".into());
    let nonce = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let mut name = format!("{host}:{}:{nonce:08x}", std::process::id());
    name.truncate(64);
    name
}

/// Runs `work` in one transaction on a pooled connection (blocking). A transaction that loses a
/// race with another writer (two instances appending to the audit trail at once: the same
/// position taken; a serialisation failure or deadlock) is run again from the start.
pub(crate) fn in_transaction<T>(
    database: &Database,
    work: impl FnMut(&mut AnyConnection) -> std::result::Result<T, MonitorTxError>,
) -> Result<T> {
    // Monitor transactions read (the audit head, the subject) before they write; core's retry
    // runs one that lost a race again, taking the write lock first.
    let outcome = database.run_blocking(|conn| {
        Ok(anchor_core::db::transaction_retrying(conn, MonitorTxError::lost_a_race, work))
    });
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(MonitorTxError::Refused(err))) => Err(err),
        Ok(Err(MonitorTxError::Db(err))) | Err(err) => Err(Error::from(err)),
    }
}

/// An error inside a monitor transaction: a database failure, or a refusal that rolls back.
pub(crate) enum MonitorTxError {
    Db(DbError),
    Refused(Error),
}

impl MonitorTxError {
    fn lost_a_race(&self) -> bool {
        matches!(self, MonitorTxError::Db(DbError::Query(err)) if anchor_core::db::lost_a_race(err))
    }
}

impl From<DbError> for MonitorTxError {
    fn from(err: DbError) -> Self {
        MonitorTxError::Db(err)
    }
}

impl From<diesel::result::Error> for MonitorTxError {
    fn from(err: diesel::result::Error) -> Self {
        MonitorTxError::Db(DbError::Query(err))
    }
}

impl From<Error> for MonitorTxError {
    fn from(err: Error) -> Self {
        MonitorTxError::Refused(err)
    }
}

impl crate::notify::NotifierConfig {
    /// The notification settings (`SMTP_URL`, `SMTP_FROM`, `COMPLIANCE_OFFICER_EMAIL`,
    /// `AML_WEBHOOK_URL`, `AML_WEBHOOK_SECRET`, `AML_NOTIFY_MAX_ATTEMPTS`).
    pub fn from_settings(aml: &AmlSettings) -> Self {
        crate::notify::NotifierConfig {
            smtp_url: aml.smtp_url.clone(),
            smtp_from: aml.smtp_from.clone(),
            officer_email: (!aml.officer_emails.is_empty()).then(|| aml.officer_emails.join(",")),
            webhook_url: aml.webhook_url.clone(),
            webhook_secret: aml.webhook_secret.clone(),
            max_attempts: aml.notify_max_attempts,
            ..crate::notify::NotifierConfig::default()
        }
    }
}

impl AmlMonitor {
    /// The monitor `AML_*`, `SMTP_*` and `COMPLIANCE_OFFICER_EMAIL` describe, over a migrated
    /// database: what an anchor calls from `Anchor::integrations`. Blocking.
    pub fn from_settings(settings: &anchor_core::Settings, database: Database) -> Result<Self> {
        let notify = crate::notify::NotifierConfig::from_settings(&settings.aml);
        let notifier = if notify.smtp_url.is_some() || notify.webhook_url.is_some() {
            Some(Notifier::new(database.clone(), notify)?)
        } else {
            None
        };
        let monitor = AmlMonitor::open_signed(
            database,
            MonitorConfig::from_settings(&settings.aml),
            notifier,
            settings.signing_key.clone(),
        )?;
        monitor.record_configuration(settings)?;
        Ok(monitor)
    }

    /// Audits the monitoring configuration when it differs from the last one recorded
    /// (thresholds, schedule, retention, notification channels; never a secret).
    pub fn record_configuration(&self, settings: &anchor_core::Settings) -> Result<()> {
        use anchor_core::db::schema::aml_audit_log::dsl as log;
        use diesel::prelude::*;
        let aml = &settings.aml;
        let current = serde_json::json!({
            "match_threshold": aml.match_threshold,
            "review_threshold": aml.review_threshold,
            "enabled": aml.enabled,
            "scan_interval_seconds": aml.scan_interval.as_secs(),
            "batch_size": aml.batch_size,
            "scan_lease_seconds": aml.scan_lease.as_secs(),
            "allowlist_expiry_seconds": aml.allowlist_expiry.as_secs(),
            "audit_retention_days": aml.audit_retention_days,
            "email": aml.smtp_url.is_some(),
            "officer_emails": aml.officer_emails,
            "webhook": aml.webhook_url,
            "engine": ENGINE_VERSION,
        });
        let now = unix_now();
        in_transaction(&self.inner.database, |conn| {
            let last: Option<String> = log::aml_audit_log
                .select(log::payload)
                .filter(log::kind.eq("configuration"))
                .order(log::seq.desc())
                .first(conn)
                .optional()?;
            if last.as_deref() != Some(current.to_string().as_str()) {
                crate::audit::append_in(conn, "configuration", &current.to_string(), now)?;
            }
            Ok(())
        })
    }
}
