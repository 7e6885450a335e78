//! The compliance audit trail: append-only records, each hash-chained to the previous one, so that
//! `audit verify` detects any edited, deleted or reordered record and names the first bad one.
//!
//! The hash of record `n` is SHA-256 over the previous record's hash, `n`, the time, the kind and
//! the payload (each length-prefixed). Deleting the newest records cannot be seen from inside the
//! table; [`AuditTrail::head`] gives the latest hash to keep elsewhere (a report, a ticket) so that
//! truncation is detectable too.

use anchor_core::db::schema::aml_audit_log::dsl as log;
use anchor_core::db::{AnyConnection, DbError};
use anchor_core::Database;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Position in the chain: 1, 2, 3, …
    pub seq: i64,
    /// Unix seconds.
    pub recorded_at: i64,
    /// What happened.
    pub kind: String,
    /// The record's content (JSON text).
    pub payload: String,
    /// The previous record's hash.
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditVerdict {
    /// Every record is where it was written, as it was written.
    Intact {
        /// Records checked.
        records: i64,
        /// The newest record's hash (64 zeros for an empty trail).
        head: String,
    },
    /// The first record that does not fit the chain.
    Broken {
        /// Its position.
        seq: i64,
        /// What is wrong with it.
        problem: String,
    },
}

/// Computes a record's hash.
pub fn record_hash(prev_hash: &str, seq: i64, recorded_at: i64, kind: &str, payload: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [
        prev_hash.as_bytes(),
        &seq.to_be_bytes(),
        &recorded_at.to_be_bytes(),
        kind.as_bytes(),
        payload.as_bytes(),
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The audit trail in the anchor's database.
#[derive(Debug, Clone)]
pub struct AuditTrail {
    database: Database,
}

type Row = (i64, i64, String, String, String, String);

fn to_record((seq, recorded_at, kind, payload, prev_hash, hash): Row) -> AuditRecord {
    AuditRecord { seq, recorded_at, kind, payload, prev_hash, hash }
}

impl AuditTrail {
    /// The trail in `database` (migrated).
    pub fn new(database: Database) -> Self {
        AuditTrail { database }
    }

    /// Appends a record. Concurrent writers (several instances on one database) are serialised
    /// by the primary key: a writer that loses the race for a position retries on the next one.
    pub fn append(&self, kind: &str, payload: &serde_json::Value, now: i64) -> Result<AuditRecord> {
        let payload = payload.to_string();
        for _attempt in 0..8 {
            let (kind, payload) = (kind.to_string(), payload.clone());
            let attempt = self
                .database
                .run_blocking(move |conn| conn.transaction(|conn| append_in(conn, &kind, &payload, now)));
            match attempt {
                Ok(record) => return Ok(record),
                Err(err) if is_position_taken(&err) => continue,
                Err(err) => return Err(Error::Store(format!("audit trail: {err}"))),
            }
        }
        Err(Error::Store("audit trail: too many concurrent writers; try again".into()))
    }

    /// Records between two times (inclusive, unix seconds), oldest first.
    pub fn records(&self, from: Option<i64>, to: Option<i64>) -> Result<Vec<AuditRecord>> {
        let rows: Vec<Row> = self.database.run_blocking(move |conn| {
            let mut query = log::aml_audit_log
                .select((log::seq, log::recorded_at, log::kind, log::payload, log::prev_hash, log::hash))
                .order(log::seq.asc())
                .into_boxed();
            if let Some(from) = from {
                query = query.filter(log::recorded_at.ge(from));
            }
            if let Some(to) = to {
                query = query.filter(log::recorded_at.le(to));
            }
            Ok(query.load(conn)?)
        })?;
        Ok(rows.into_iter().map(to_record).collect())
    }

    /// A page of records, newest first: of one `kind` if given, whose payload contains `text`
    /// if given, with `seq` below `before` if given; at most `limit` (1..=1000).
    pub fn browse(
        &self,
        kind: Option<&str>,
        text: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        let kind = kind.map(str::to_string);
        let pattern = text.map(crate::store::like_contains);
        let limit = limit.clamp(1, 1000);
        let rows: Vec<Row> = self.database.run_blocking(move |conn| {
            let mut query = log::aml_audit_log
                .select((log::seq, log::recorded_at, log::kind, log::payload, log::prev_hash, log::hash))
                .order(log::seq.desc())
                .limit(limit)
                .into_boxed();
            if let Some(kind) = kind {
                query = query.filter(log::kind.eq(kind));
            }
            if let Some(pattern) = pattern {
                query = query.filter(log::payload.like(pattern).escape('\\'));
            }
            if let Some(before) = before {
                query = query.filter(log::seq.lt(before));
            }
            Ok(query.load(conn)?)
        })?;
        Ok(rows.into_iter().map(to_record).collect())
    }

    /// The distinct record kinds in the trail, sorted.
    pub fn kinds(&self) -> Result<Vec<String>> {
        Ok(self.database.run_blocking(|conn| {
            Ok(log::aml_audit_log.select(log::kind).distinct().order(log::kind.asc()).load(conn)?)
        })?)
    }

    /// The newest record's hash (64 zeros for an empty trail).
    pub fn head(&self) -> Result<String> {
        let head: Option<String> = self.database.run_blocking(|conn| {
            Ok(log::aml_audit_log.select(log::hash).order(log::seq.desc()).first(conn).optional()?)
        })?;
        Ok(head.unwrap_or_else(|| GENESIS_HASH.to_string()))
    }

    /// Deletes the records written before `cutoff` (unix seconds), keeping at least the newest
    /// record, and appends a `retention_purge` record naming the last purged position and hash,
    /// so the rest of the chain stays verifiable. Returns how many records were purged.
    pub fn purge_before(&self, cutoff: i64, now: i64) -> Result<i64> {
        let outcome = self.database.run_blocking(move |conn| {
            conn.transaction::<i64, DbError, _>(|conn| {
                let newest: Option<i64> =
                    log::aml_audit_log.select(log::seq).order(log::seq.desc()).first(conn).optional()?;
                let Some(newest) = newest else { return Ok(0) };
                let last_old: Option<(i64, String)> = log::aml_audit_log
                    .select((log::seq, log::hash))
                    .filter(log::recorded_at.lt(cutoff))
                    .filter(log::seq.lt(newest))
                    .order(log::seq.desc())
                    .first(conn)
                    .optional()?;
                let Some((through, hash)) = last_old else { return Ok(0) };
                let purged = diesel::delete(log::aml_audit_log.filter(log::seq.le(through))).execute(conn)?;
                let payload = serde_json::json!({
                    "purged_through_seq": through,
                    "purged_through_hash": hash,
                    "cutoff": cutoff,
                    "records": purged,
                });
                append_in(conn, RETENTION_PURGE, &payload.to_string(), now)?;
                Ok(purged as i64)
            })
        });
        outcome.map_err(|err| Error::Store(format!("audit trail: {err}")))
    }

    /// Checks the whole chain and names the first record that does not fit.
    ///
    /// Records are read a page at a time, so a trail of millions of records is checked in
    /// constant memory.
    pub fn verify(&self) -> Result<AuditVerdict> {
        const PAGE: i64 = 10_000;
        let columns = (log::seq, log::recorded_at, log::kind, log::payload, log::prev_hash, log::hash);
        let (first, purges): (Option<Row>, Vec<Row>) = self.database.run_blocking(|conn| {
            let first = log::aml_audit_log.select(columns).order(log::seq.asc()).first(conn).optional()?;
            let purges = log::aml_audit_log
                .select(columns)
                .filter(log::kind.eq(RETENTION_PURGE))
                .order(log::seq.asc())
                .load(conn)?;
            Ok((first, purges))
        })?;
        let purges: Vec<AuditRecord> = purges.into_iter().map(to_record).collect();
        let first = first.map(to_record);
        let mut check = ChainCheck::starting_at(chain_start(first.as_ref(), &purges));
        let mut after = check.next_seq - 1;
        loop {
            let page: Vec<Row> = self.database.run_blocking(|conn| {
                Ok(log::aml_audit_log
                    .select(columns)
                    .filter(log::seq.gt(after))
                    .order(log::seq.asc())
                    .limit(PAGE)
                    .load(conn)?)
            })?;
            let Some(last) = page.last().map(|row| row.0) else { break };
            for row in page {
                if let Some(broken) = check.check(&to_record(row)) {
                    return Ok(broken);
                }
            }
            after = last;
        }
        Ok(check.finish())
    }
}

/// Appends a record inside the caller's transaction, so the event and its audit record are
/// written together or not at all.
pub(crate) fn append_in(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &str,
    now: i64,
) -> Result<AuditRecord, DbError> {
    let last: Option<(i64, String)> =
        log::aml_audit_log.select((log::seq, log::hash)).order(log::seq.desc()).first(conn).optional()?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let hash = record_hash(&prev_hash, seq, now, kind, payload);
    diesel::insert_into(log::aml_audit_log)
        .values((
            log::seq.eq(seq),
            log::recorded_at.eq(now),
            log::kind.eq(kind),
            log::payload.eq(payload),
            log::prev_hash.eq(&prev_hash),
            log::hash.eq(&hash),
        ))
        .execute(conn)?;
    Ok(AuditRecord {
        seq,
        recorded_at: now,
        kind: kind.to_string(),
        payload: payload.to_string(),
        prev_hash,
        hash,
    })
}

fn is_position_taken(err: &DbError) -> bool {
    matches!(
        err,
        DbError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _
        ))
    )
}

/// Where a trail whose oldest records were purged under the retention setting starts: the
/// `retention_purge` record (itself in the chain) names the last purged position and its hash.
fn purge_anchor<'a>(
    first: &AuditRecord,
    mut purges: impl Iterator<Item = &'a AuditRecord>,
) -> Option<(i64, String)> {
    if first.seq == 1 {
        return None;
    }
    purges.find_map(|record| {
        if record.kind != RETENTION_PURGE {
            return None;
        }
        let payload: serde_json::Value = serde_json::from_str(&record.payload).ok()?;
        let through = payload["purged_through_seq"].as_i64()?;
        let hash = payload["purged_through_hash"].as_str()?;
        (through + 1 == first.seq && hash == first.prev_hash).then(|| (first.seq, hash.to_string()))
    })
}

/// The kind of the record a retention purge appends.
pub const RETENTION_PURGE: &str = "retention_purge";

/// The running state of a chain check, fed records oldest first, so a trail of any length is
/// checked in constant memory.
struct ChainCheck {
    next_seq: i64,
    expected_prev: String,
    checked: i64,
}

impl ChainCheck {
    fn starting_at((next_seq, expected_prev): (i64, String)) -> Self {
        ChainCheck { next_seq, expected_prev, checked: 0 }
    }

    /// Checks the next record; the verdict when it breaks the chain.
    fn check(&mut self, record: &AuditRecord) -> Option<AuditVerdict> {
        let expected_seq = self.next_seq;
        if record.seq != expected_seq {
            return Some(AuditVerdict::Broken {
                seq: expected_seq,
                problem: format!(
                    "record {expected_seq} is missing (deleted); the next record is {}",
                    record.seq
                ),
            });
        }
        if record.prev_hash != self.expected_prev {
            return Some(AuditVerdict::Broken {
                seq: record.seq,
                problem: format!(
                    "the chain breaks before record {}: it does not follow record {} (a record was reordered, replaced, or edited and re-hashed)",
                    record.seq,
                    record.seq - 1
                ),
            });
        }
        let hash =
            record_hash(&record.prev_hash, record.seq, record.recorded_at, &record.kind, &record.payload);
        if hash != record.hash {
            return Some(AuditVerdict::Broken {
                seq: record.seq,
                problem: format!("record {} was edited after it was written", record.seq),
            });
        }
        self.expected_prev.clone_from(&record.hash);
        self.next_seq += 1;
        self.checked += 1;
        None
    }

    fn finish(self) -> AuditVerdict {
        AuditVerdict::Intact { records: self.checked, head: self.expected_prev }
    }
}

fn chain_start(first: Option<&AuditRecord>, purges: &[AuditRecord]) -> (i64, String) {
    first.and_then(|first| purge_anchor(first, purges.iter())).unwrap_or((1, GENESIS_HASH.to_string()))
}

/// Checks records given oldest first. A trail purged under the retention setting is checked from
/// the purge point that its own `retention_purge` record vouches for.
pub fn verify_chain(records: &[AuditRecord]) -> AuditVerdict {
    // The records themselves hold any `retention_purge` record that vouches for the first.
    let mut check = ChainCheck::starting_at(chain_start(records.first(), records));
    for record in records {
        if let Some(broken) = check.check(record) {
            return broken;
        }
    }
    check.finish()
}

#[cfg(test)]
mod tests;
