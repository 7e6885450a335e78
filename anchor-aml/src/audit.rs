//! The compliance audit trail: append-only records, each hash-chained to the previous one, so that
//! `audit verify` detects any edited, deleted or reordered record and names the first bad one.
//!
//! The hash of record `n` is SHA-256 over the previous record's hash, `n`, the time, the kind and
//! the payload (each length-prefixed). A hash chain alone has no key: whoever can write the table
//! can cut the newest records, or edit one and compute every later hash again. So the head is
//! *anchored*: a [checkpoint](AuditCheckpoint) signs the newest record's position and hash with
//! the anchor's `SIGNING_SEED` (ed25519), a key that is not in the database, and anyone holding
//! the public `SIGNING_KEY` of stellar.toml can check it. Checkpoints are written daily by the
//! monitor's background worker, every [`CHECKPOINT_EVERY_RECORDS`] records, and on every export
//! (which then carries it as its last record, kind [`CHECKPOINT_KIND`]). [`AuditTrail::verify`]
//! checks the chain, then every checkpoint: a bad signature (forged), a signed record whose hash
//! changed (re-hashed chain), a signed record that is gone (cut tail).
//!
//! What stays open: records written after the newest checkpoint can still be cut unnoticed, and
//! someone who can write the database can delete checkpoints with the records they vouch for,
//! rolling the whole trail back to an earlier state. Exports (each with a fresh checkpoint) kept
//! outside the anchor close that: a later trail must still contain every record they signed.

use anchor_core::db::schema::aml_audit_checkpoints::dsl as cp;
use anchor_core::db::schema::aml_audit_log::dsl as log;
use anchor_core::db::{AnyConnection, DbError};
use anchor_core::keys::SigningKey;
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
        /// Checkpoints whose signature and signed record were checked (0 when the trail was
        /// opened without the anchor's key, or for [`verify_chain`]).
        checkpoints: i64,
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
    anchor_core::hex::encode(&hasher.finalize())
}

/// The audit trail in the anchor's database.
#[derive(Debug, Clone)]
pub struct AuditTrail {
    database: Database,
    /// The anchor's key: signs checkpoints and is the one their signatures are checked against.
    key: Option<SigningKey>,
}

type Row = (i64, i64, String, String, String, String);

fn to_record((seq, recorded_at, kind, payload, prev_hash, hash): Row) -> AuditRecord {
    AuditRecord { seq, recorded_at, kind, payload, prev_hash, hash }
}

impl AuditTrail {
    /// The trail in `database` (migrated).
    ///
    /// Without the anchor's key it can neither write nor check checkpoints: use
    /// [`AuditTrail::signed`] wherever the key is at hand (the CLI, the monitor).
    pub fn new(database: Database) -> Self {
        AuditTrail { database, key: None }
    }

    /// The trail in `database` with the anchor's `SIGNING_SEED`, which signs checkpoints and
    /// against whose public key [`AuditTrail::verify`] checks them.
    pub fn signed(database: Database, key: SigningKey) -> Self {
        AuditTrail { database, key: Some(key) }
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

    /// Checks the whole chain and names the first record that does not fit; then, with the
    /// anchor's key, every checkpoint: its signature, that the record it signed still has the
    /// hash it signed, and that the trail still reaches that record.
    ///
    /// Records are read a page at a time, so a trail of millions of records is checked in
    /// constant memory (checkpoints, a few a day, are read at once).
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
        let checkpoints = match &self.key {
            Some(key) => {
                let checkpoints = self.checkpoints()?;
                if let Some(forged) = checkpoints.iter().find(|checkpoint| !checkpoint.is_signed_by(key)) {
                    return Ok(AuditVerdict::Broken {
                        seq: forged.seq,
                        problem: format!(
                            "the checkpoint of {} (record {}) does not carry a valid signature of this anchor's \
                             SIGNING_KEY {}: it was forged or altered",
                            utc(forged.signed_at),
                            forged.seq,
                            key.public_key()
                        ),
                    });
                }
                checkpoints
            }
            None => Vec::new(),
        };
        let purges: Vec<AuditRecord> = purges.into_iter().map(to_record).collect();
        let first = first.map(to_record);
        let mut check = ChainCheck::starting_at(chain_start(first.as_ref(), &purges));
        let mut anchors = CheckpointCheck::new(&checkpoints, check.next_seq);
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
                let record = to_record(row);
                if let Some(broken) = check.check(&record) {
                    return Ok(broken);
                }
                if let Some(broken) = anchors.check(&record) {
                    return Ok(broken);
                }
            }
            after = last;
        }
        if let Some(broken) = anchors.finish(check.next_seq - 1) {
            return Ok(broken);
        }
        Ok(check.finish(checkpoints.len() as i64))
    }

    /// Signs the newest record (position and hash) with the anchor's key, stores the checkpoint
    /// and appends it to the trail as a [`CHECKPOINT_KIND`] record (so an export read after it
    /// ends with it). `reason` says why (`daily`, `export (cli)`, …). Fails without the key.
    pub fn checkpoint(&self, reason: &str, now: i64) -> Result<AuditCheckpoint> {
        let Some(key) = self.key.clone() else {
            return Err(Error::Invalid(
                "audit checkpoints need the anchor's SIGNING_SEED; open the trail with AuditTrail::signed"
                    .into(),
            ));
        };
        for _attempt in 0..8 {
            let (key, reason) = (key.clone(), reason.to_string());
            let attempt = self
                .database
                .run_blocking(move |conn| conn.transaction(|conn| checkpoint_in(conn, &key, &reason, now)));
            match attempt {
                Ok(checkpoint) => return Ok(checkpoint),
                Err(err) if is_position_taken(&err) => continue,
                Err(err) => return Err(Error::Store(format!("audit checkpoint: {err}"))),
            }
        }
        Err(Error::Store("audit checkpoint: too many concurrent writers; try again".into()))
    }

    /// Writes a checkpoint when the newest is older than `max_age` seconds or more than
    /// `every_records` records behind the head (and the trail has moved since). Answers the
    /// checkpoint written, if any. Fails without the key.
    pub fn checkpoint_if_due(
        &self,
        max_age: i64,
        every_records: i64,
        now: i64,
    ) -> Result<Option<AuditCheckpoint>> {
        let (newest, head): (Option<(i64, i64)>, Option<i64>) = self.database.run_blocking(|conn| {
            let newest = cp::aml_audit_checkpoints
                .select((cp::seq, cp::signed_at))
                .order(cp::id.desc())
                .first(conn)
                .optional()?;
            let head = log::aml_audit_log.select(log::seq).order(log::seq.desc()).first(conn).optional()?;
            Ok((newest, head))
        })?;
        let head = head.unwrap_or(0);
        let due = match newest {
            None => true,
            // The checkpoint's own record follows the record it signed.
            Some((seq, signed_at)) => {
                let moved = head > seq + 1;
                (moved && signed_at + max_age <= now) || head - seq > every_records
            }
        };
        if !due {
            return Ok(None);
        }
        let reason =
            if newest.is_some_and(|(seq, _)| head - seq > every_records) { "records" } else { "daily" };
        self.checkpoint(reason, now).map(Some)
    }

    /// Every checkpoint, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<AuditCheckpoint>> {
        let rows: Vec<CheckpointRow> = self.database.run_blocking(|conn| {
            Ok(cp::aml_audit_checkpoints
                .select((cp::id, cp::seq, cp::hash, cp::signed_at, cp::reason, cp::public_key, cp::signature))
                .order(cp::id.asc())
                .load(conn)?)
        })?;
        Ok(rows.into_iter().map(to_checkpoint).collect())
    }
}

/// The kind of the record that carries a checkpoint in the trail (and in exports).
pub const CHECKPOINT_KIND: &str = "audit_checkpoint";

/// A checkpoint is written when this many records were appended since the last one.
pub const CHECKPOINT_EVERY_RECORDS: i64 = 10_000;

/// The newest checkpoint may be this old before the background worker writes another.
pub const CHECKPOINT_MAX_AGE_SECONDS: i64 = 86_400;

/// A signed head of the trail: the anchor's `SIGNING_SEED` vouches that record `seq` had `hash`
/// at `signed_at`. The signed message is [`checkpoint_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditCheckpoint {
    /// Row id.
    pub id: i64,
    /// The position of the signed record (0: the trail was empty).
    pub seq: i64,
    /// Its hash ([`GENESIS_HASH`] for an empty trail).
    pub hash: String,
    /// Unix seconds.
    pub signed_at: i64,
    /// Why it was written.
    pub reason: String,
    /// The `G…` key that signed it.
    pub public_key: String,
    /// Hex ed25519 signature of [`checkpoint_message`].
    pub signature: String,
}

impl AuditCheckpoint {
    /// Whether the signature is `key`'s over this checkpoint's message.
    fn is_signed_by(&self, key: &SigningKey) -> bool {
        self.public_key == key.public_key()
            && signature_valid(&key.public_key_bytes(), self.seq, &self.hash, self.signed_at, &self.signature)
    }
}

/// The bytes a checkpoint signs. The fixed first line keeps them apart from everything else the
/// same key signs (Stellar transaction hashes for SEP-10, SEP-3 JSON, SEP-12 callbacks
/// `t.host.body`), so no checkpoint signature is valid for any of those, nor the reverse.
pub fn checkpoint_message(seq: i64, hash: &str, signed_at: i64) -> Vec<u8> {
    format!("anchor-rs aml audit checkpoint v1\nseq {seq}\nhash {hash}\nsigned_at {signed_at}\n").into_bytes()
}

fn signature_valid(public_key: &[u8; 32], seq: i64, hash: &str, signed_at: i64, signature: &str) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(public_key) else { return false };
    let Some(bytes) = anchor_core::hex::decode_array::<64>(signature) else { return false };
    let signature = ed25519_dalek::Signature::from_bytes(&bytes);
    key.verify_strict(&checkpoint_message(seq, hash, signed_at), &signature).is_ok()
}

/// `2026-12-07 14:00:00 UTC`.
fn utc(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map_or_else(|| at.to_string(), |time| time.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

type CheckpointRow = (i64, i64, String, i64, String, String, String);

fn to_checkpoint(
    (id, seq, hash, signed_at, reason, public_key, signature): CheckpointRow,
) -> AuditCheckpoint {
    AuditCheckpoint { id, seq, hash, signed_at, reason, public_key, signature }
}

/// Signs the head, stores the checkpoint and appends its record, inside the caller's transaction.
fn checkpoint_in(
    conn: &mut AnyConnection,
    key: &SigningKey,
    reason: &str,
    now: i64,
) -> Result<AuditCheckpoint, DbError> {
    let last: Option<(i64, String)> =
        log::aml_audit_log.select((log::seq, log::hash)).order(log::seq.desc()).first(conn).optional()?;
    let (seq, hash) = last.unwrap_or_else(|| (0, GENESIS_HASH.to_string()));
    let signature = anchor_core::hex::encode(&key.sign(&checkpoint_message(seq, &hash, now)));
    diesel::insert_into(cp::aml_audit_checkpoints)
        .values((
            cp::seq.eq(seq),
            cp::hash.eq(&hash),
            cp::signed_at.eq(now),
            cp::reason.eq(reason),
            cp::public_key.eq(key.public_key()),
            cp::signature.eq(&signature),
        ))
        .execute(conn)?;
    let id: i64 = cp::aml_audit_checkpoints
        .select(cp::id)
        .filter(cp::signature.eq(&signature))
        .order(cp::id.desc())
        .first(conn)?;
    let checkpoint = AuditCheckpoint {
        id,
        seq,
        hash,
        signed_at: now,
        reason: reason.to_string(),
        public_key: key.public_key().to_string(),
        signature,
    };
    let payload = serde_json::json!({
        "checkpoint_id": checkpoint.id,
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "signed_at": checkpoint.signed_at,
        "reason": checkpoint.reason,
        "public_key": checkpoint.public_key,
        "signature": checkpoint.signature,
    });
    append_in(conn, CHECKPOINT_KIND, &payload.to_string(), now)?;
    Ok(checkpoint)
}

/// Compares the records, fed oldest first, with the checkpoints that signed them.
struct CheckpointCheck<'a> {
    /// Valid checkpoints by signed position, ascending; those before the retained trail dropped.
    pending: std::collections::VecDeque<&'a AuditCheckpoint>,
    /// The newest record a checkpoint vouched for and that still matched.
    last_matched: Option<i64>,
}

impl<'a> CheckpointCheck<'a> {
    fn new(checkpoints: &'a [AuditCheckpoint], first_seq: i64) -> Self {
        let mut sorted: Vec<&AuditCheckpoint> =
            checkpoints.iter().filter(|checkpoint| checkpoint.seq >= first_seq).collect();
        sorted.sort_by_key(|checkpoint| (checkpoint.seq, checkpoint.id));
        CheckpointCheck { pending: sorted.into(), last_matched: None }
    }

    fn check(&mut self, record: &AuditRecord) -> Option<AuditVerdict> {
        while let Some(checkpoint) = self.pending.front().filter(|checkpoint| checkpoint.seq == record.seq) {
            if checkpoint.hash != record.hash {
                let since = self.last_matched.map_or_else(
                    || "the start of the trail".to_string(),
                    |seq| format!("record {seq}, which still matches an earlier checkpoint"),
                );
                return Some(AuditVerdict::Broken {
                    seq: record.seq,
                    problem: format!(
                        "record {} no longer has the hash the checkpoint of {} signed: records between {since} \
                         and record {} were edited and the chain re-hashed",
                        record.seq,
                        utc(checkpoint.signed_at),
                        record.seq
                    ),
                });
            }
            self.last_matched = Some(record.seq);
            self.pending.pop_front();
        }
        None
    }

    /// After the last record (`last_seq`; 0 or less for an empty trail): a checkpoint still
    /// pending signed a record that is gone.
    fn finish(self, last_seq: i64) -> Option<AuditVerdict> {
        let empty_ok = |checkpoint: &&AuditCheckpoint| checkpoint.seq == 0 && checkpoint.hash == GENESIS_HASH;
        let furthest =
            self.pending.iter().filter(|checkpoint| !empty_ok(checkpoint)).max_by_key(|c| c.seq)?;
        let last_seq = last_seq.max(0);
        Some(AuditVerdict::Broken {
            seq: last_seq + 1,
            problem: format!(
                "the trail ends at record {last_seq} but the checkpoint of {} signed record {}: \
                 records {}..{} are missing (the newest records were deleted)",
                utc(furthest.signed_at),
                furthest.seq,
                last_seq + 1,
                furthest.seq
            ),
        })
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

    fn finish(self, checkpoints: i64) -> AuditVerdict {
        AuditVerdict::Intact { records: self.checked, head: self.expected_prev, checkpoints }
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
    check.finish(0)
}

/// Checks an export (records oldest first, as `audit export` writes them) outside the anchor:
/// the chain, and every [`CHECKPOINT_KIND`] record in it against the anchor's public key
/// `signing_key` (`G…`, the `SIGNING_KEY` of its stellar.toml): its signature, and that the
/// record it signed is in the export with the hash it signed. `checkpoints` in the verdict counts
/// the checkpoint records checked; an auditor should expect at least the export's own, last one.
pub fn verify_export(records: &[AuditRecord], signing_key: &str) -> AuditVerdict {
    let verdict = verify_chain(records);
    let AuditVerdict::Intact { records: count, head, .. } = verdict else { return verdict };
    let public_key = stellar_strkey::ed25519::PublicKey::from_string(signing_key).map(|key| key.0);
    let mut checked = 0;
    for record in records.iter().filter(|record| record.kind == CHECKPOINT_KIND) {
        let payload: serde_json::Value = serde_json::from_str(&record.payload).unwrap_or_default();
        let (Some(seq), Some(hash), Some(signed_at), Some(signature)) = (
            payload["seq"].as_i64(),
            payload["hash"].as_str(),
            payload["signed_at"].as_i64(),
            payload["signature"].as_str(),
        ) else {
            return AuditVerdict::Broken {
                seq: record.seq,
                problem: format!("checkpoint record {} is malformed", record.seq),
            };
        };
        let valid =
            public_key.as_ref().is_ok_and(|key| signature_valid(key, seq, hash, signed_at, signature));
        if !valid {
            return AuditVerdict::Broken {
                seq: record.seq,
                problem: format!(
                    "checkpoint record {} is not signed by {signing_key}: it was forged or altered",
                    record.seq
                ),
            };
        }
        let signed =
            records.binary_search_by_key(&seq, |candidate| candidate.seq).ok().and_then(|at| records.get(at));
        match signed {
            Some(signed) if signed.hash != hash => {
                return AuditVerdict::Broken {
                    seq,
                    problem: format!("record {seq} no longer has the hash the checkpoint of {} signed: the chain was re-hashed", utc(signed_at)),
                }
            }
            None if seq > records.last().map_or(0, |last| last.seq) => {
                return AuditVerdict::Broken {
                    seq,
                    problem: format!("the checkpoint of {} signed record {seq}, which is not in the export", utc(signed_at)),
                }
            }
            _ => {}
        }
        checked += 1;
    }
    AuditVerdict::Intact { records: count, head, checkpoints: checked }
}

/// The formats of `audit export` and `GET /admin/aml/export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One row per record, with a header row.
    Csv,
    /// A JSON array of records.
    Json,
}

/// Writes audit records as `audit export` prints them and the admin API serves them.
pub fn write_audit_records(
    records: &[AuditRecord],
    format: ExportFormat,
    out: &mut dyn std::io::Write,
) -> std::result::Result<(), String> {
    match format {
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            for record in records {
                writer.serialize(record).map_err(|err| err.to_string())?;
            }
            writer.flush().map_err(|err| err.to_string())
        }
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, records).map_err(|err| err.to_string())?;
            writeln!(out).map_err(|err| err.to_string())
        }
    }
}

#[cfg(test)]
mod tests;
