//! IO: the SEP-3 tables (authorised transactions, pending requests, the sending side's
//! `auth_data`, and the consent tables), through `Database::run` on the blocking pool.
//!
//! Authorised payments are group-committed by [`AuthorizedWriter`] (one per server worker): the
//! payments of requests decided at the same time are checked and stored in one transaction, so
//! the hand-off, the connection and the commit are shared; each request still gets the answer
//! [`store_authorized`] would give it alone.

use anchor_core::db::schema::{
    sep3_allowed_fi, sep3_allowed_users, sep3_auth_data, sep3_authorized_transactions, sep3_pending_requests,
};
use anchor_core::db::{AnyConnection, DbError};
use anchor_core::Database;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

/// Serialises this process's SQLite writes (one writer at a time; see anchor-sep10's replay.rs).
static SQLITE_WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn write_queue(database: &Database) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    if database.backend() == "sqlite" {
        Some(SQLITE_WRITES.lock().await)
    } else {
        None
    }
}

/// Whether a request may use its nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NonceCheck {
    /// New, or the same request (same `data` bytes) again.
    Fresh,
    /// The nonce was used before for a different request.
    Reused,
}

fn seen_hash(conn: &mut AnyConnection, domain: &str, nonce: &str) -> Result<Option<String>, DieselError> {
    let pending: Option<String> = sep3_pending_requests::table
        .filter(sep3_pending_requests::sender_domain.eq(domain))
        .filter(sep3_pending_requests::nonce.eq(nonce))
        .select(sep3_pending_requests::request_sha256)
        .first(conn)
        .optional()?;
    if pending.is_some() {
        return Ok(pending);
    }
    authorized_hash(conn, domain, nonce)
}

fn authorized_hash(
    conn: &mut AnyConnection,
    domain: &str,
    nonce: &str,
) -> Result<Option<String>, DieselError> {
    sep3_authorized_transactions::table
        .filter(sep3_authorized_transactions::sender_domain.eq(domain))
        .filter(sep3_authorized_transactions::nonce.eq(nonce))
        .select(sep3_authorized_transactions::request_sha256)
        .first(conn)
        .optional()
}

fn check(seen: Option<String>, request_sha256: &str) -> NonceCheck {
    match seen {
        Some(seen) if seen != request_sha256 => NonceCheck::Reused,
        _ => NonceCheck::Fresh,
    }
}

/// Read-only nonce check (for answers that store nothing: 400 and 403).
pub(crate) async fn check_nonce(
    database: &Database,
    domain: String,
    nonce: String,
    request_sha256: String,
) -> Result<NonceCheck, DbError> {
    database.run(move |conn| Ok(check(seen_hash(conn, &domain, &nonce)?, &request_sha256))).await
}

/// Records (or refreshes) a request answered 202.
pub(crate) async fn record_pending(
    database: &Database,
    domain: String,
    nonce: String,
    request_sha256: String,
    transaction_id: String,
    now: i64,
) -> Result<NonceCheck, DbError> {
    let _queue = write_queue(database).await;
    database
        .run(move |conn| {
            if check(seen_hash(conn, &domain, &nonce)?, &request_sha256) == NonceCheck::Reused {
                return Ok(NonceCheck::Reused);
            }
            let updated = diesel::update(
                sep3_pending_requests::table
                    .filter(sep3_pending_requests::sender_domain.eq(&domain))
                    .filter(sep3_pending_requests::nonce.eq(&nonce)),
            )
            .set(sep3_pending_requests::last_seen_at.eq(now))
            .execute(conn)?;
            if updated == 0 {
                let inserted = diesel::insert_into(sep3_pending_requests::table)
                    .values((
                        sep3_pending_requests::sender_domain.eq(&domain),
                        sep3_pending_requests::nonce.eq(&nonce),
                        sep3_pending_requests::request_sha256.eq(&request_sha256),
                        sep3_pending_requests::transaction_id.eq(&transaction_id),
                        sep3_pending_requests::first_seen_at.eq(now),
                        sep3_pending_requests::last_seen_at.eq(now),
                    ))
                    .execute(conn);
                match inserted {
                    Ok(_) | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
                    Err(err) => return Err(err.into()),
                }
            }
            Ok(NonceCheck::Fresh)
        })
        .await
}

/// A payment to store after a 200.
#[derive(Debug, Clone)]
pub(crate) struct Authorized {
    /// Hex transaction hash.
    pub transaction_id: String,
    /// Sending domain.
    pub sender_domain: String,
    /// Attachment nonce.
    pub nonce: String,
    /// Request fingerprint ([`crate::payload::request_fingerprint`]).
    pub request_sha256: String,
    /// Base64 memo hash.
    pub memo: String,
    /// Base64 XDR.
    pub transaction_xdr: String,
    /// `data` as received.
    pub data: String,
    /// Unix seconds.
    pub authorized_at: i64,
}

/// Stores an authorised payment (the same payment again is not an error) and forgets its
/// pending record; `Reused` when the nonce belongs to a different request. One payment per
/// transaction; the receiving route uses [`AuthorizedWriter`], which groups concurrent payments.
pub(crate) async fn store_authorized(database: &Database, row: Authorized) -> Result<NonceCheck, DbError> {
    let _queue = write_queue(database).await;
    database.run(move |conn| store_one(conn, &row).map_err(DbError::from)).await
}

/// [`store_authorized`] on `conn`, in autocommit mode.
fn store_one(conn: &mut AnyConnection, row: &Authorized) -> Result<NonceCheck, DieselError> {
    let pending: Option<String> = sep3_pending_requests::table
        .filter(sep3_pending_requests::sender_domain.eq(&row.sender_domain))
        .filter(sep3_pending_requests::nonce.eq(&row.nonce))
        .select(sep3_pending_requests::request_sha256)
        .first(conn)
        .optional()?;
    if check(pending.clone(), &row.request_sha256) == NonceCheck::Reused {
        return Ok(NonceCheck::Reused);
    }
    let inserted =
        diesel::insert_into(sep3_authorized_transactions::table).values(row.values()).execute(conn);
    match inserted {
        Ok(_) => {}
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            // Stored before: the same request (fine) or another one with this nonce.
            let existing = authorized_hash(conn, &row.sender_domain, &row.nonce)?;
            if check(existing, &row.request_sha256) == NonceCheck::Reused {
                return Ok(NonceCheck::Reused);
            }
        }
        Err(err) => return Err(err),
    }
    if pending.is_some() {
        diesel::delete(
            sep3_pending_requests::table
                .filter(sep3_pending_requests::sender_domain.eq(&row.sender_domain))
                .filter(sep3_pending_requests::nonce.eq(&row.nonce)),
        )
        .execute(conn)?;
    }
    Ok(NonceCheck::Fresh)
}

type AuthorizedValues<'a> = (
    diesel::dsl::Eq<sep3_authorized_transactions::transaction_id, &'a String>,
    diesel::dsl::Eq<sep3_authorized_transactions::sender_domain, &'a String>,
    diesel::dsl::Eq<sep3_authorized_transactions::nonce, &'a String>,
    diesel::dsl::Eq<sep3_authorized_transactions::request_sha256, &'a String>,
    diesel::dsl::Eq<sep3_authorized_transactions::memo, &'a String>,
    diesel::dsl::Eq<sep3_authorized_transactions::transaction_xdr, &'a String>,
    diesel::dsl::Eq<sep3_authorized_transactions::data, &'a String>,
    diesel::dsl::Eq<sep3_authorized_transactions::authorized_at, i64>,
);

impl Authorized {
    fn values(&self) -> AuthorizedValues<'_> {
        (
            sep3_authorized_transactions::transaction_id.eq(&self.transaction_id),
            sep3_authorized_transactions::sender_domain.eq(&self.sender_domain),
            sep3_authorized_transactions::nonce.eq(&self.nonce),
            sep3_authorized_transactions::request_sha256.eq(&self.request_sha256),
            sep3_authorized_transactions::memo.eq(&self.memo),
            sep3_authorized_transactions::transaction_xdr.eq(&self.transaction_xdr),
            sep3_authorized_transactions::data.eq(&self.data),
            sep3_authorized_transactions::authorized_at.eq(self.authorized_at),
        )
    }
}

/// Most payments one group commit stores.
pub(crate) const MAX_GROUP: usize = 128;

/// Groups committed at the same time by one writer on PostgreSQL and MySQL, whose commits wait
/// for a disk flush that concurrent commits share (SQLite has one writer at a time, so one group
/// there). A group forms from the payments that arrive while every slot is busy.
pub(crate) const GROUPS_IN_FLIGHT: usize = 4;

/// Stores authorised payments with group commit: the payments of requests decided at the same
/// time are stored in one database transaction (one hand-off to the blocking pool, one
/// connection, one commit), with the same answers as [`store_authorized`] gives one by one —
/// including for two requests with the same nonce in one group. A group that fails as a whole
/// (a concurrent writer in another process took a nonce between the check and the insert, a busy
/// SQLite file) is retried payment by payment, so each request gets its own answer or error.
///
/// Create one per server worker: the writer task starts on the worker's runtime on first use and
/// stops with it.
#[derive(Debug)]
pub(crate) struct AuthorizedWriter {
    database: Database,
    queue: OnceLock<mpsc::UnboundedSender<QueuedPayment>>,
}

#[derive(Debug)]
struct QueuedPayment {
    row: Authorized,
    reply: oneshot::Sender<Result<NonceCheck, DbError>>,
}

fn writer_stopped() -> DbError {
    DbError::Unavailable("the authorised-payment writer has stopped".into())
}

impl AuthorizedWriter {
    /// A writer for `database`.
    pub(crate) fn new(database: Database) -> Self {
        AuthorizedWriter { database, queue: OnceLock::new() }
    }

    /// Stores `row` as [`store_authorized`] does, in a group with the payments queued meanwhile.
    pub(crate) async fn store(&self, row: Authorized) -> Result<NonceCheck, DbError> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return store_authorized(&self.database, row).await;
        };
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            runtime.spawn(write_groups(self.database.clone(), receiver));
            sender
        });
        let (reply, answer) = oneshot::channel();
        queue.send(QueuedPayment { row, reply }).map_err(|_| writer_stopped())?;
        answer.await.map_err(|_| writer_stopped())?
    }
}

/// The writer task: waits for a free group slot, takes every queued payment (up to
/// [`MAX_GROUP`]) and commits them together while the next group gathers.
async fn write_groups(database: Database, mut queue: mpsc::UnboundedReceiver<QueuedPayment>) {
    let slots = if database.backend() == "sqlite" { 1 } else { GROUPS_IN_FLIGHT };
    let slots = Arc::new(tokio::sync::Semaphore::new(slots));
    while let Some(first) = queue.recv().await {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else { break };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(payment) => group.push(payment),
                Err(_) => break,
            }
        }
        let database = database.clone();
        tokio::spawn(async move {
            commit_group(&database, group).await;
            drop(slot);
        });
    }
}

async fn commit_group(database: &Database, group: Vec<QueuedPayment>) {
    let (rows, replies): (Vec<Authorized>, Vec<_>) =
        group.into_iter().map(|payment| (payment.row, payment.reply)).unzip();
    let count = rows.len();
    let results = {
        let _queue = write_queue(database).await;
        database
            .run(move |conn| {
                // A payment alone needs no transaction of its own (two statements in autocommit).
                let grouped = if rows.len() > 1 { store_group(conn, &rows).ok() } else { None };
                Ok(match grouped {
                    Some(checks) => checks.into_iter().map(Ok).collect(),
                    None => rows.iter().map(|row| store_one(conn, row).map_err(DbError::from)).collect(),
                })
            })
            .await
    };
    let results: Vec<Result<NonceCheck, DbError>> = match results {
        Ok(results) => results,
        Err(err) => {
            let cause = err.to_string();
            (0..count).map(|_| Err(DbError::Unavailable(cause.clone()))).collect()
        }
    };
    for (reply, result) in replies.into_iter().zip(results) {
        // A request that went away (client disconnected) no longer waits for its answer.
        let _ = reply.send(result);
    }
}

/// Stores `rows` in one transaction; per row the answer [`store_one`] would give. Any database
/// error fails the whole group (the caller then stores the rows one by one).
fn store_group(conn: &mut AnyConnection, rows: &[Authorized]) -> Result<Vec<NonceCheck>, DieselError> {
    conn.transaction(|conn| {
        let mut domains: Vec<&str> = rows.iter().map(|row| row.sender_domain.as_str()).collect();
        domains.sort_unstable();
        domains.dedup();
        let nonces: Vec<&str> = rows.iter().map(|row| row.nonce.as_str()).collect();
        let pending: HashMap<(String, String), String> = sep3_pending_requests::table
            .filter(sep3_pending_requests::sender_domain.eq_any(&domains))
            .filter(sep3_pending_requests::nonce.eq_any(&nonces))
            .select((
                sep3_pending_requests::sender_domain,
                sep3_pending_requests::nonce,
                sep3_pending_requests::request_sha256,
            ))
            .load::<(String, String, String)>(conn)?
            .into_iter()
            .map(|(domain, nonce, hash)| ((domain, nonce), hash))
            .collect();
        // Fingerprints stored per (domain, nonce): before this group, then as the group inserts.
        let mut stored: HashMap<(String, String), String> = sep3_authorized_transactions::table
            .filter(sep3_authorized_transactions::sender_domain.eq_any(&domains))
            .filter(sep3_authorized_transactions::nonce.eq_any(&nonces))
            .select((
                sep3_authorized_transactions::sender_domain,
                sep3_authorized_transactions::nonce,
                sep3_authorized_transactions::request_sha256,
            ))
            .load::<(String, String, String)>(conn)?
            .into_iter()
            .map(|(domain, nonce, hash)| ((domain, nonce), hash))
            .collect();
        let mut checks = Vec::with_capacity(rows.len());
        let mut inserts = Vec::new();
        let mut approved_pending = Vec::new();
        for row in rows {
            let key = (row.sender_domain.clone(), row.nonce.clone());
            let pending_hash = pending.get(&key);
            if check(pending_hash.cloned(), &row.request_sha256) == NonceCheck::Reused {
                checks.push(NonceCheck::Reused);
                continue;
            }
            let verdict = match stored.get(&key) {
                Some(hash) => check(Some(hash.clone()), &row.request_sha256),
                None => {
                    inserts.push(row.values());
                    stored.insert(key.clone(), row.request_sha256.clone());
                    NonceCheck::Fresh
                }
            };
            if verdict == NonceCheck::Fresh && pending_hash.is_some() {
                approved_pending.push(key);
            }
            checks.push(verdict);
        }
        // One statement per row: diesel's MultiConnection has no multi-row INSERT on SQLite; the
        // prepared statement is cached, and the rows share the transaction's one commit.
        for values in inserts {
            diesel::insert_into(sep3_authorized_transactions::table).values(values).execute(conn)?;
        }
        for (domain, nonce) in approved_pending {
            diesel::delete(
                sep3_pending_requests::table
                    .filter(sep3_pending_requests::sender_domain.eq(&domain))
                    .filter(sep3_pending_requests::nonce.eq(&nonce)),
            )
            .execute(conn)?;
        }
        Ok(checks)
    })
}

/// The stored `data` of the authorised payment with this base64 memo hash (`/receive`).
pub(crate) async fn data_by_memo(database: &Database, memo: String) -> Result<Option<String>, DbError> {
    database
        .run(move |conn| {
            sep3_authorized_transactions::table
                .filter(sep3_authorized_transactions::memo.eq(&memo))
                .order(sep3_authorized_transactions::authorized_at.desc())
                .select(sep3_authorized_transactions::data)
                .first(conn)
                .optional()
                .map_err(DbError::from)
        })
        .await
}

/// SEP-4 status known from our tables: `approved`, `pending` or `unknown`.
pub(crate) async fn tx_status(database: &Database, transaction_id: String) -> Result<&'static str, DbError> {
    database
        .run(move |conn| {
            let approved: i64 = sep3_authorized_transactions::table
                .filter(sep3_authorized_transactions::transaction_id.eq(&transaction_id))
                .count()
                .get_result(conn)?;
            if approved > 0 {
                return Ok("approved");
            }
            let pending: i64 = sep3_pending_requests::table
                .filter(sep3_pending_requests::transaction_id.eq(&transaction_id))
                .count()
                .get_result(conn)?;
            Ok(if pending > 0 { "pending" } else { "unknown" })
        })
        .await
}

/// Whether the institution at `domain`, or its customer `user_id`, may receive our customers'
/// data.
pub(crate) async fn is_allowed(
    database: &Database,
    domain: String,
    user_id: String,
) -> Result<bool, DbError> {
    database
        .run(move |conn| {
            let fi: i64 = sep3_allowed_fi::table
                .filter(sep3_allowed_fi::domain.eq(&domain))
                .count()
                .get_result(conn)?;
            if fi > 0 {
                return Ok(true);
            }
            let user: i64 = sep3_allowed_users::table
                .filter(sep3_allowed_users::fi_domain.eq(&domain))
                .filter(sep3_allowed_users::user_id.eq(&user_id))
                .count()
                .get_result(conn)?;
            Ok(user > 0)
        })
        .await
}

/// One consent grant (`/allow_access`).
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    /// Institution name.
    pub name: String,
    /// Institution domain.
    pub domain: String,
    /// Institution `SIGNING_KEY`.
    pub public_key: String,
    /// A single customer of the institution, or the whole institution.
    pub user_id: Option<String>,
}

/// Adds or replaces a grant.
pub(crate) async fn allow(database: &Database, grant: Grant, now: i64) -> Result<(), DbError> {
    let _queue = write_queue(database).await;
    database
        .run(move |conn| {
            conn.transaction(|conn| {
                match &grant.user_id {
                    None => {
                        diesel::delete(
                            sep3_allowed_fi::table.filter(sep3_allowed_fi::domain.eq(&grant.domain)),
                        )
                        .execute(conn)?;
                        diesel::insert_into(sep3_allowed_fi::table)
                            .values((
                                sep3_allowed_fi::domain.eq(&grant.domain),
                                sep3_allowed_fi::name.eq(&grant.name),
                                sep3_allowed_fi::public_key.eq(&grant.public_key),
                                sep3_allowed_fi::allowed_at.eq(now),
                            ))
                            .execute(conn)?;
                    }
                    Some(user_id) => {
                        diesel::delete(
                            sep3_allowed_users::table
                                .filter(sep3_allowed_users::fi_domain.eq(&grant.domain))
                                .filter(sep3_allowed_users::user_id.eq(user_id)),
                        )
                        .execute(conn)?;
                        diesel::insert_into(sep3_allowed_users::table)
                            .values((
                                sep3_allowed_users::fi_domain.eq(&grant.domain),
                                sep3_allowed_users::user_id.eq(user_id),
                                sep3_allowed_users::fi_name.eq(&grant.name),
                                sep3_allowed_users::fi_public_key.eq(&grant.public_key),
                                sep3_allowed_users::allowed_at.eq(now),
                            ))
                            .execute(conn)?;
                    }
                }
                Ok::<(), DieselError>(())
            })
            .map_err(DbError::from)
        })
        .await
}

/// Removes a grant; returns how many rows went.
pub(crate) async fn remove(
    database: &Database,
    domain: String,
    user_id: Option<String>,
) -> Result<usize, DbError> {
    let _queue = write_queue(database).await;
    database
        .run(move |conn| {
            let removed = match user_id {
                None => diesel::delete(sep3_allowed_fi::table.filter(sep3_allowed_fi::domain.eq(&domain)))
                    .execute(conn)?,
                Some(user_id) => diesel::delete(
                    sep3_allowed_users::table
                        .filter(sep3_allowed_users::fi_domain.eq(&domain))
                        .filter(sep3_allowed_users::user_id.eq(&user_id)),
                )
                .execute(conn)?,
            };
            Ok(removed)
        })
        .await
}

/// The sending side's record of one `/send` id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthDataRow {
    /// The receiving domain.
    pub domain: String,
    /// Its `AUTH_SERVER`.
    pub auth_server: String,
    /// The `data` JSON.
    pub data: String,
}

/// The stored `data` of `/send` id `request_id`.
pub(crate) async fn auth_data(
    database: &Database,
    request_id: String,
) -> Result<Option<AuthDataRow>, DbError> {
    database
        .run(move |conn| {
            let row: Option<(String, String, String)> = sep3_auth_data::table
                .filter(sep3_auth_data::request_id.eq(&request_id))
                .select((sep3_auth_data::domain, sep3_auth_data::auth_server, sep3_auth_data::data))
                .first(conn)
                .optional()?;
            Ok(row.map(|(domain, auth_server, data)| AuthDataRow { domain, auth_server, data }))
        })
        .await
}

/// Stores the `data` of a new `/send` id; when another request stored one first, returns that.
pub(crate) async fn insert_auth_data(
    database: &Database,
    request_id: String,
    row: AuthDataRow,
    now: i64,
) -> Result<AuthDataRow, DbError> {
    let _queue = write_queue(database).await;
    database
        .run(move |conn| {
            let inserted = diesel::insert_into(sep3_auth_data::table)
                .values((
                    sep3_auth_data::request_id.eq(&request_id),
                    sep3_auth_data::domain.eq(&row.domain),
                    sep3_auth_data::auth_server.eq(&row.auth_server),
                    sep3_auth_data::data.eq(&row.data),
                    sep3_auth_data::created_at.eq(now),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => Ok(row),
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                    let (domain, auth_server, data) = sep3_auth_data::table
                        .filter(sep3_auth_data::request_id.eq(&request_id))
                        .select((sep3_auth_data::domain, sep3_auth_data::auth_server, sep3_auth_data::data))
                        .first::<(String, String, String)>(conn)?;
                    Ok(AuthDataRow { domain, auth_server, data })
                }
                Err(err) => Err(err.into()),
            }
        })
        .await
}

#[cfg(test)]
mod tests;
