//! List versions in the database: import (validate against the previous version, diff, store the
//! normalised entities, write the audit record in the same transaction), status, and loading the
//! active versions to build the screening index.
//!
//! Every function here is blocking (diesel): call it from a CLI command, at start-up, or through
//! `Database::run` in a request.

use std::io::{Read as _, Write as _};

use anchor_core::db::schema::aml_list_versions::dsl as versions;
use anchor_core::db::{AnyConnection, DbError};
use anchor_core::Database;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::audit::append_in;
use crate::error::{Error, Result};
use anchor_screening::LoadedList;
use anchor_screening::{diff_lists, validate_import, ImportPolicy, ListDiff, ListVersion, PARSER_VERSION};
use anchor_screening::{PartialDate, SanctionsEntity, SourceList};

const ACTIVE: &str = "active";
const SUPERSEDED: &str = "superseded";
const REFUSED: &str = "refused";

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportOutcome {
    /// The file is byte-for-byte the active version: nothing stored.
    Unchanged {
        /// The active version.
        version: StoredVersion,
    },
    /// A new active version, with what changed against the previous one (everything is "added"
    /// for a first import).
    Imported {
        /// The new active version.
        version: StoredVersion,
        /// Added, removed and changed source ids.
        diff: ListDiff,
    },
}

/// One stored version of a list, as `lists status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    /// Row id.
    pub id: i64,
    /// List code (`ofac-sdn`, `un`, `custom:NAME`, …).
    pub source: String,
    /// `active`, `superseded` or `refused`.
    pub status: String,
    /// SHA-256 of the decompressed input.
    pub sha256: String,
    /// Publication date stated in the file.
    pub published_on: Option<String>,
    /// Unix seconds.
    pub imported_at: i64,
    /// Entities.
    pub entity_count: i64,
    /// Entities added, removed and changed against the previous version.
    pub added: i64,
    /// See `added`.
    pub removed: i64,
    /// See `added`.
    pub changed: i64,
    /// Name and address counts, skipped records, parser version.
    pub details: VersionDetails,
    /// Why the import was refused.
    pub refusal_reason: Option<String>,
}

/// Counts kept beside a version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDetails {
    /// Names and aliases.
    pub name_count: usize,
    /// Digital-currency addresses.
    pub crypto_address_count: usize,
    /// Records the parser could not read.
    pub skipped_records: usize,
    /// The parser version that produced the entities.
    pub parser_version: String,
}

#[derive(Serialize, Deserialize)]
struct StoredDiff {
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<String>,
}

type VersionRow =
    (i64, String, String, String, Option<String>, i64, i64, i64, i64, i64, String, Option<String>);

fn row_to_version(row: VersionRow) -> StoredVersion {
    let (
        id,
        source,
        status,
        sha256,
        published_on,
        imported_at,
        entity_count,
        added,
        removed,
        changed,
        details,
        refusal_reason,
    ) = row;
    StoredVersion {
        id,
        source,
        status,
        sha256,
        published_on,
        imported_at,
        entity_count,
        added,
        removed,
        changed,
        details: serde_json::from_str(&details).unwrap_or_default(),
        refusal_reason,
    }
}

macro_rules! version_columns {
    () => {
        (
            versions::id,
            versions::source,
            versions::status,
            versions::sha256,
            versions::published_on,
            versions::imported_at,
            versions::entity_count,
            versions::added_count,
            versions::removed_count,
            versions::changed_count,
            versions::details_json,
            versions::refusal_reason,
        )
    };
}

fn db_error(err: impl std::fmt::Display) -> Error {
    Error::Store(err.to_string())
}

impl From<DbError> for Error {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Unavailable(cause) => Error::Unavailable(cause),
            other => db_error(other),
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        db_error(err)
    }
}

/// Sanctions-list versions in the anchor's database.
#[derive(Debug, Clone)]
pub struct ListStore {
    database: Database,
}

impl ListStore {
    /// A store over `database` (migrated: the table comes with anchor-core's migrations).
    pub fn new(database: Database) -> Self {
        ListStore { database }
    }

    /// The database the versions are kept in.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Imports a parsed list: refuses an empty, truncated or much smaller list (recording the
    /// refusal and keeping the previous version), skips a file identical to the active version,
    /// otherwise stores it as the new active version with its diff against the previous one.
    pub fn import(&self, loaded: &LoadedList, policy: &ImportPolicy, now: i64) -> Result<ImportOutcome> {
        let source = loaded.version.list.code();
        let previous = self.active_row(&source)?;
        if let Some((version, _)) = &previous {
            if version.sha256 == loaded.version.sha256 {
                // Nothing is stored, but the check is: it is what tells the officer console
                // that the list is still current (its freshness).
                let payload = serde_json::json!({
                    "source": source, "version_id": version.id, "sha256": version.sha256,
                })
                .to_string();
                self.database.run_blocking(move |conn| {
                    conn.transaction::<_, DbError, _>(|conn| append_in(conn, LIST_UNCHANGED, &payload, now))
                })?;
                return Ok(ImportOutcome::Unchanged { version: version.clone() });
            }
        }
        let previous_version =
            previous.as_ref().map(|(stored, _)| as_list_version(stored, &loaded.version.list));
        let details = VersionDetails {
            name_count: loaded.version.name_count,
            crypto_address_count: loaded.version.crypto_address_count,
            skipped_records: loaded.version.skipped_records,
            parser_version: PARSER_VERSION.to_string(),
        };
        let details_json = serde_json::to_string(&details).map_err(db_error)?;
        let published = loaded.version.published.map(|date| date.to_string());

        if let Err(refusal) = validate_import(&loaded.version, previous_version.as_ref(), policy) {
            let reason = refusal.to_string();
            let row = (
                versions::source.eq(source.clone()),
                versions::status.eq(REFUSED),
                versions::sha256.eq(loaded.version.sha256.clone()),
                versions::published_on.eq(published.clone()),
                versions::imported_at.eq(now),
                versions::entity_count.eq(count(loaded.version.entity_count)),
                versions::added_count.eq(0_i64),
                versions::removed_count.eq(0_i64),
                versions::changed_count.eq(0_i64),
                versions::details_json.eq(details_json.clone()),
                versions::refusal_reason.eq(Some(reason)),
            );
            let payload = serde_json::json!({
                "source": source,
                "sha256": loaded.version.sha256,
                "entities": loaded.version.entity_count,
                "reason": refusal.to_string(),
            })
            .to_string();
            self.database.run_blocking(move |conn| {
                conn.transaction::<_, DbError, _>(|conn| {
                    diesel::insert_into(versions::aml_list_versions).values(row).execute(conn)?;
                    append_in(conn, "list_import_refused", &payload, now)?;
                    Ok(())
                })
            })?;
            return Err(refusal.into());
        }

        let previous_entities = match &previous {
            Some((_, blob)) => decode_entities(blob)?,
            None => Vec::new(),
        };
        let diff = diff_lists(&previous_entities, &loaded.list.entities);
        let diff_json = serde_json::to_string(&StoredDiff {
            added: diff.added.clone(),
            removed: diff.removed.clone(),
            changed: diff.changed.clone(),
        })
        .map_err(db_error)?;
        let blob = encode_entities(&loaded.list.entities)?;
        let row = (
            versions::source.eq(source.clone()),
            versions::status.eq(ACTIVE),
            versions::sha256.eq(loaded.version.sha256.clone()),
            versions::published_on.eq(published),
            versions::imported_at.eq(now),
            versions::entity_count.eq(count(loaded.version.entity_count)),
            versions::added_count.eq(count(diff.added.len())),
            versions::removed_count.eq(count(diff.removed.len())),
            versions::changed_count.eq(count(diff.changed.len())),
            versions::details_json.eq(details_json),
            versions::diff_json.eq(Some(diff_json)),
            versions::entities.eq(Some(blob)),
        );
        let source_for_tx = source.clone();
        let payload = serde_json::json!({
            "source": source,
            "sha256": loaded.version.sha256,
            "published_on": loaded.version.published.map(|date| date.to_string()),
            "entities": loaded.version.entity_count,
            "added": diff.added.len(),
            "removed": diff.removed.len(),
            "changed": diff.changed.len(),
            "parser_version": PARSER_VERSION,
        })
        .to_string();
        self.database.run_blocking(move |conn| {
            conn.transaction::<_, DbError, _>(|conn| {
                diesel::update(
                    versions::aml_list_versions
                        .filter(versions::source.eq(&source_for_tx))
                        .filter(versions::status.eq(ACTIVE)),
                )
                .set(versions::status.eq(SUPERSEDED))
                .execute(conn)?;
                diesel::insert_into(versions::aml_list_versions).values(row).execute(conn)?;
                append_in(conn, "list_import", &payload, now)?;
                Ok(())
            })
        })?;
        let version = self
            .active_row(&source)?
            .map(|(version, _)| version)
            .ok_or_else(|| db_error("the imported version is not readable back"))?;
        Ok(ImportOutcome::Imported { version, diff })
    }

    /// Every stored version (newest first), refused imports included.
    pub fn history(&self) -> Result<Vec<StoredVersion>> {
        let rows: Vec<VersionRow> = self.database.run_blocking(|conn| {
            Ok(versions::aml_list_versions
                .select(version_columns!())
                .order(versions::id.desc())
                .load(conn)?)
        })?;
        Ok(rows.into_iter().map(row_to_version).collect())
    }

    /// The active version of each list, by list code.
    pub fn active_versions(&self) -> Result<Vec<StoredVersion>> {
        let rows: Vec<VersionRow> = self.database.run_blocking(|conn| {
            Ok(versions::aml_list_versions
                .select(version_columns!())
                .filter(versions::status.eq(ACTIVE))
                .order(versions::source.asc())
                .load(conn)?)
        })?;
        Ok(rows.into_iter().map(row_to_version).collect())
    }

    /// One stored version with its entities (none for a refused import).
    pub fn version_entities(&self, id: i64) -> Result<Option<(StoredVersion, Vec<SanctionsEntity>)>> {
        let found = self.database.run_blocking(move |conn: &mut AnyConnection| {
            let row: Option<(VersionRow, Option<Vec<u8>>)> = versions::aml_list_versions
                .select((version_columns!(), versions::entities))
                .filter(versions::id.eq(id))
                .first(conn)
                .optional()?;
            Ok(row)
        })?;
        let Some((row, blob)) = found else { return Ok(None) };
        let entities = match blob {
            Some(blob) => decode_entities(&blob)?,
            None => Vec::new(),
        };
        Ok(Some((row_to_version(row), entities)))
    }

    /// When each list was last confirmed current, by list code: the later of its active
    /// version's import and the last `lists update`/`lists import` that found it unchanged.
    pub fn confirmed_current(&self) -> Result<std::collections::BTreeMap<String, i64>> {
        use anchor_core::db::schema::aml_audit_log::dsl as log;
        let mut confirmed: std::collections::BTreeMap<String, i64> = self
            .active_versions()?
            .into_iter()
            .map(|version| (version.source, version.imported_at))
            .collect();
        let checks: Vec<(i64, String)> = self.database.run_blocking(|conn| {
            Ok(log::aml_audit_log
                .select((log::recorded_at, log::payload))
                .filter(log::kind.eq(LIST_UNCHANGED))
                .order(log::seq.desc())
                .limit(1000)
                .load(conn)?)
        })?;
        for (at, payload) in checks {
            let Ok(payload) = serde_json::from_str::<serde_json::Value>(&payload) else { continue };
            let Some(source) = payload.get("source").and_then(serde_json::Value::as_str) else { continue };
            if let Some(last) = confirmed.get_mut(source) {
                *last = (*last).max(at);
            }
        }
        Ok(confirmed)
    }

    /// The entities of every active list, to build the screening index from.
    pub fn active_entities(&self) -> Result<Vec<SanctionsEntity>> {
        let blobs: Vec<Option<Vec<u8>>> = self.database.run_blocking(|conn| {
            Ok(versions::aml_list_versions
                .select(versions::entities)
                .filter(versions::status.eq(ACTIVE))
                .order(versions::source.asc())
                .load(conn)?)
        })?;
        let mut entities = Vec::new();
        for blob in blobs.into_iter().flatten() {
            entities.extend(decode_entities(&blob)?);
        }
        Ok(entities)
    }

    fn active_row(&self, source: &str) -> Result<Option<(StoredVersion, Vec<u8>)>> {
        let source = source.to_string();
        let found = self.database.run_blocking(move |conn: &mut AnyConnection| {
            let row: Option<(VersionRow, Option<Vec<u8>>)> = versions::aml_list_versions
                .select((version_columns!(), versions::entities))
                .filter(versions::source.eq(source))
                .filter(versions::status.eq(ACTIVE))
                .order(versions::id.desc())
                .first(conn)
                .optional()?;
            Ok(row)
        })?;
        Ok(found.map(|(row, blob)| (row_to_version(row), blob.unwrap_or_default())))
    }
}

/// A `LIKE` pattern matching values that contain `text` literally (`%`, `_` and `\` escaped
/// with `\`; use it with `.escape('\\')`).
pub(crate) fn like_contains(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The audit kind of an import that found the list unchanged.
const LIST_UNCHANGED: &str = "list_unchanged";

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The fields of a stored version that import validation compares.
fn as_list_version(stored: &StoredVersion, list: &SourceList) -> ListVersion {
    ListVersion {
        list: list.clone(),
        published: stored.published_on.as_deref().and_then(PartialDate::parse),
        sha256: stored.sha256.clone(),
        entity_count: usize::try_from(stored.entity_count).unwrap_or(0),
        name_count: stored.details.name_count,
        crypto_address_count: stored.details.crypto_address_count,
        skipped_records: stored.details.skipped_records,
        parser_version: PARSER_VERSION,
    }
}

fn encode_entities(entities: &[SanctionsEntity]) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(entities).map_err(db_error)?;
    // Deflate, fast level: a tenth of bzip2's time for a slightly larger blob (the full SDN
    // list's entities are ~2 MB compressed).
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&json).map_err(db_error)?;
    encoder.finish().map_err(db_error)
}

fn decode_entities(blob: &[u8]) -> Result<Vec<SanctionsEntity>> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(blob).read_to_end(&mut json).map_err(db_error)?;
    serde_json::from_slice(&json).map_err(db_error)
}
