//! Sanctions lists and screening for Stellar anchors.
//!
//! **What it is for.** Reading the official sanctions lists — OFAC SDN and Consolidated
//! (advanced XML and legacy CSV), the UN Security Council Consolidated List, the UK Sanctions
//! List and the EU Financial Sanctions File — into one normalised model ([`SanctionsEntity`]);
//! validating, versioning and diffing imports ([`ListVersion`], [`validate_import`],
//! [`diff_lists`]); and screening customers and addresses against them with an indexed,
//! explainable matcher ([`ScreeningIndex::screen`], [`ScreeningIndex::screen_address`]).
//!
//! The parsers, the import checks and the screening engine are pure library code (no network,
//! no database). On top of them, [`ListStore`] keeps list versions in the anchor's database,
//! [`ListsCommand`] provides `lists import|update|status`, and [`ListScreening`] is the default
//! `SanctionsIntegration` backed by the engine.
//!
//! On top of the engine, [`AmlMonitor`] is the monitoring an anchor's compliance officer lives
//! with: every customer, authenticated account and SEP-3 counterparty recorded and screened on
//! arrival, rescreened by scheduled and list-triggered scans (resumable, one instance at a time),
//! matches frozen and refused on every SEP route through core's `ScreeningRegistry`, cases for
//! officers, a hash-chained [`AuditTrail`], notifications by email and signed webhook
//! ([`Notifier`]), an admin API ([`mount_admin_api`]) and Prometheus series. `docs/monitoring.md`
//! is the guide.
//!
//! **What it is not for.** It makes no legal determination: a [`HitDecision::Match`] means
//! "freeze, deny and have a person confirm", not "this is the listed party". It does not report
//! to authorities (suspicious-activity reports stay with the officer), and it holds no customer
//! record beyond the screening fields it needs.
//!
//! ```
//! use anchor_aml::{EntityKind, SanctionsEntity, ScreeningConfig, ScreeningIndex, ScreeningSubject, SourceList};
//!
//! let listed = SanctionsEntity::new(SourceList::OfacSdn, "1", EntityKind::Person, "Nicolas MADURO MOROS");
//! let index = ScreeningIndex::build([listed]);
//! let hits = index.screen(&ScreeningSubject::person("Nicolás Maduro Moros"), &ScreeningConfig::default());
//! assert_eq!(hits[0].source_id, "1");
//! ```
mod address;
mod admin;
mod audit;
mod charts;
mod cli;
mod console;
mod countries;
mod custom;
mod error;
mod index;
mod integration;
mod model;
mod monitor;
mod normalize;
mod notify;
mod parse;
mod screen;
mod similarity;
mod store;
mod version;

pub use address::address_key;
pub use admin::{mount_admin_api, ADMIN_API_PATH};
pub use audit::{
    checkpoint_message, record_hash, verify_chain, verify_export, AuditCheckpoint, AuditRecord, AuditTrail,
    AuditVerdict, CHECKPOINT_EVERY_RECORDS, CHECKPOINT_KIND, CHECKPOINT_MAX_AGE_SECONDS, GENESIS_HASH,
    RETENTION_PURGE,
};
pub use cli::{load_source, official_url, parse_source, AmlCommand, AuditCommand, ListsCommand};
pub use console::{
    mount_console, ConsoleConfig, NewOfficerToken, OfficerTokenInfo, Officers, OfficersCommand, CONSOLE_PATH,
};
pub use custom::parse_custom_csv;
pub use error::{Error, Result};
pub use index::{ScreeningIndex, MAX_DELETIONS_PER_SUBJECT};
pub use integration::{ListScreening, DEFAULT_REVIEW_RETRY};
pub use model::{
    AliasStrength, BirthDate, Country, CountryLink, CountryRole, CryptoAddress, EntityKind, EntityName,
    Gender, IdentityDocument, NameKind, PartialDate, PostalAddress, SanctionsEntity, SanctionsList,
    SourceList,
};
pub use monitor::{
    factor_json, AmlMonitor, Analytics, AuditHead, CaseDecision, CaseDetails, CaseFilter, CaseStatus,
    CaseSummary, CheckResult, DailyCounts, FreezeScope, FrozenAccount, HistoryEvent, MonitorConfig,
    MonitorStats, NamedCount, RecordOutcome, ReportList, ScanKind, ScanProgress, ScanStatus, ScanSummary,
    SubjectStatus, SubjectSummary, WeeklyReport, ENGINE_VERSION,
};
pub use normalize::{MAX_FUZZY_TOKEN_BYTES, MAX_NAME_BYTES, MAX_TOKENS_PER_NAME, MAX_TOKENS_PER_SUBJECT};
pub use notify::{
    webhook_signature, weekly_summary_key, DeliveryReport, Notification, NotificationKind, Notifier,
    NotifierConfig, OutboxEntry, OutboxStatus,
};
pub use parse::{
    decompress, decompress_limited, load_list, parse_bytes, parse_eu_xml, parse_ofac_advanced,
    parse_ofac_csv, parse_uk_csv, parse_un_xml, read_input, ListFormat, LoadedList, OfacCsvFiles,
};
pub use screen::{
    compare_names, HitDecision, ScoreFactor, ScreeningConfig, ScreeningHit, ScreeningSubject,
    MAX_NAMES_PER_SUBJECT,
};
pub use similarity::TokenMatch;
pub use store::{ImportOutcome, ListStore, StoredVersion, VersionDetails};
pub use version::{
    content_hash, diff_lists, validate_import, ImportPolicy, ListDiff, ListVersion, PARSER_VERSION,
};
