//! Sanctions monitoring for Stellar anchors: the part of the compliance stack that keeps state.
//!
//! **What it is for.** On top of the screening engine (`anchor-screening`), [`ListStore`] keeps
//! list versions in the anchor's database, [`ListsCommand`] provides `lists import|update|status`,
//! and [`ListScreening`] is the default `SanctionsIntegration` backed by the engine.
//! [`AmlMonitor`] is the monitoring an anchor's compliance officer lives with: every customer,
//! authenticated account and SEP-3 counterparty recorded and screened on arrival, rescreened by
//! scheduled and list-triggered scans (resumable, one instance at a time), matches frozen and
//! refused on every SEP route through core's `ScreeningRegistry`, cases for officers, a
//! hash-chained [`AuditTrail`], notifications by email and signed webhook ([`Notifier`]), the
//! officers' accounts and API tokens ([`Officers`], [`OfficersCommand`]), an admin API
//! ([`mount_admin_api`]) and Prometheus series. `docs/monitoring.md` is the guide.
//!
//! **What it is not for.** Matching names (that is `anchor-screening`, which this crate calls
//! and never reimplements), the officers' web pages (`anchor-console`), or a legal
//! determination: a `HitDecision::Match` means "freeze, deny and have a person confirm", not
//! "this is the listed party". It does not report to authorities (suspicious-activity reports
//! stay with the officer), and it holds no customer record beyond the screening fields it needs.
mod admin;
mod audit;
mod cli;
mod error;
mod integration;
mod monitor;
mod notify;
mod officers;
mod store;

pub use admin::{mount_admin_api, ADMIN_API_PATH};
pub use audit::{
    checkpoint_message, record_hash, verify_chain, verify_export, write_audit_records, AuditCheckpoint,
    AuditRecord, AuditTrail, AuditVerdict, ExportFormat, CHECKPOINT_EVERY_RECORDS, CHECKPOINT_KIND,
    CHECKPOINT_MAX_AGE_SECONDS, GENESIS_HASH, RETENTION_PURGE,
};
pub use cli::{load_source, official_url, parse_source, AmlCommand, AuditCommand, ListsCommand};
pub use error::{Error, Result};
pub use integration::{screening_config, ListScreening, DEFAULT_REVIEW_RETRY};
pub use monitor::{
    factor_json, is_freeze_identity, thousands, AmlMonitor, Analytics, AuditHead, CaseDecision, CaseDetails,
    CaseFilter, CaseStatus, CaseSummary, CheckResult, DailyCounts, FreezeScope, FrozenAccount, HistoryEvent,
    MonitorConfig, MonitorStats, NamedCount, RecordOutcome, ReportList, ScanKind, ScanProgress, ScanStatus,
    ScanSummary, SubjectStatus, SubjectSummary, WeeklyReport,
};
pub use notify::{
    webhook_signature, weekly_summary_key, DeliveryReport, Notification, NotificationKind, Notifier,
    NotifierConfig, OutboxEntry, OutboxStatus,
};
pub use officers::{
    random_token, NewOfficerToken, NewSession, Officer, OfficerTokenInfo, Officers, OfficersCommand, Session,
    SignInRefusal, LOCKOUT_SECONDS, MAX_FAILED_SIGN_INS,
};
pub use store::{ImportOutcome, ListStore, StoredVersion, VersionDetails};
