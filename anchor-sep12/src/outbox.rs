//! IO: the status-callback outbox (`sep12_callback_outbox`) through diesel, portable over SQLite,
//! PostgreSQL and MySQL. Every function is blocking and runs inside `Database::run`.
//!
//! A row is written by [`enqueue`] inside the transaction that records the status change on the
//! registration (`store::advance_status`), so a status change and its notification commit or roll
//! back together. The delivery worker (`callbacks::run_outbox`) finds due rows ([`due`]), takes a
//! lease on each ([`claim`], a conditional `UPDATE`: of several workers or instances, one wins),
//! sends it, and records the outcome under that lease ([`record_delivered`], [`record_failure`]).
//! A worker killed mid-attempt leaves its lease to expire; the row is then due again.

use anchor_core::db::schema::sep12_callback_outbox as outbox;
use anchor_core::db::{AnyConnection, DbError};
use diesel::prelude::*;

/// Waiting for a (further) attempt.
pub(crate) const PENDING: &str = "pending";
/// Accepted by the receiver (2xx).
pub(crate) const DELIVERED: &str = "delivered";
/// Every attempt failed, or the row grew too old.
pub(crate) const FAILED: &str = "failed";
/// A newer status of the same customer was queued before this one was sent.
pub(crate) const SUPERSEDED: &str = "superseded";

/// The longest `last_error` kept (characters).
const MAX_ERROR_CHARS: usize = 500;

/// One leased row, ready to send.
#[derive(Debug, Clone, Queryable)]
pub(crate) struct Due {
    pub url: String,
    pub body: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Queues a callback of `customer_id` to `url` with `body`, due at once. Older pending rows of
/// the same customer that no worker is sending are marked superseded: the new body is the whole
/// current status, and a wallet must never receive an older status after a newer one because an
/// old row was retried later. Call it inside the caller's transaction.
pub(crate) fn enqueue(
    conn: &mut AnyConnection,
    customer_id: &str,
    url: &str,
    body: &str,
    now: i64,
) -> Result<(), diesel::result::Error> {
    diesel::update(
        outbox::table
            .filter(outbox::customer_id.eq(customer_id))
            .filter(outbox::state.eq(PENDING))
            .filter(outbox::lease_until.le(now)),
    )
    .set((outbox::state.eq(SUPERSEDED), outbox::finished_at.eq(Some(now))))
    .execute(conn)?;
    diesel::insert_into(outbox::table)
        .values((
            outbox::customer_id.eq(customer_id),
            outbox::url.eq(url),
            outbox::body.eq(body),
            outbox::state.eq(PENDING),
            outbox::attempts.eq(0_i64),
            outbox::created_at.eq(now),
            outbox::next_attempt_at.eq(now),
            outbox::lease_until.eq(0_i64),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ids after `after` of up to `limit` rows due at `now` and not leased, oldest first.
pub(crate) fn due(conn: &mut AnyConnection, now: i64, after: i64, limit: i64) -> Result<Vec<i64>, DbError> {
    Ok(outbox::table
        .select(outbox::id)
        .filter(outbox::id.gt(after))
        .filter(outbox::state.eq(PENDING))
        .filter(outbox::next_attempt_at.le(now))
        .filter(outbox::lease_until.le(now))
        .order(outbox::id.asc())
        .limit(limit)
        .load(conn)?)
}

/// Leases row `id` for `owner` until `lease_until` if it is still pending, due and unleased;
/// returns it, or `None` when another worker took it (or it is no longer due). A customer's rows
/// go out in order: a row with a newer row of the same customer is marked superseded instead,
/// and a row waits while an older one of its customer is still being sent.
pub(crate) fn claim(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<Due>, DbError> {
    let unleased_due = outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::state.eq(PENDING))
        .filter(outbox::next_attempt_at.le(now))
        .filter(outbox::lease_until.le(now));
    let Some(customer) = unleased_due.select(outbox::customer_id).first::<String>(conn).optional()? else {
        return Ok(None);
    };
    let of_customer = outbox::table.filter(outbox::customer_id.eq(&customer));
    let newer: i64 = of_customer.filter(outbox::id.gt(id)).count().get_result(conn)?;
    if newer > 0 {
        diesel::update(unleased_due)
            .set((outbox::state.eq(SUPERSEDED), outbox::finished_at.eq(Some(now))))
            .execute(conn)?;
        return Ok(None);
    }
    let older_pending: i64 =
        of_customer.filter(outbox::id.lt(id)).filter(outbox::state.eq(PENDING)).count().get_result(conn)?;
    if older_pending > 0 {
        return Ok(None);
    }
    let claimed = diesel::update(unleased_due)
        .set((outbox::lease_until.eq(lease_until), outbox::lease_owner.eq(Some(owner))))
        .execute(conn)?;
    if claimed != 1 {
        return Ok(None);
    }
    Ok(outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::lease_owner.eq(owner))
        .select((outbox::url, outbox::body, outbox::attempts, outbox::created_at))
        .first::<Due>(conn)
        .optional()?)
}

/// Records a delivery of row `id` by the lease holder `owner`. Returns `false` if the lease was
/// lost (it expired and another worker took the row).
pub(crate) fn record_delivered(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    now: i64,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::state.eq(PENDING))
            .filter(outbox::lease_owner.eq(owner)),
    )
    .set((
        outbox::state.eq(DELIVERED),
        outbox::attempts.eq(outbox::attempts + 1_i64),
        outbox::last_attempt_at.eq(Some(now)),
        outbox::last_error.eq(None::<String>),
        outbox::finished_at.eq(Some(now)),
        outbox::lease_until.eq(0_i64),
        outbox::lease_owner.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Try again at this unix time.
    At(i64),
    /// Give up: the row becomes `failed`.
    GiveUp,
}

/// Records a failed attempt on row `id` by the lease holder `owner`: retried at the given time,
/// failed, or superseded when a newer row of the same customer was queued meanwhile (the newer
/// one waits for this one). Returns `false` if the lease was lost.
pub(crate) fn record_failure(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    now: i64,
    error: &str,
    retry: Retry,
) -> Result<bool, DbError> {
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let customer: Option<String> =
        outbox::table.find(id).select(outbox::customer_id).first(conn).optional()?;
    let newer: i64 = match customer {
        Some(customer) => outbox::table
            .filter(outbox::customer_id.eq(customer))
            .filter(outbox::id.gt(id))
            .count()
            .get_result(conn)?,
        None => 0,
    };
    let (state, next_attempt_at, finished_at) = match retry {
        _ if newer > 0 => (SUPERSEDED, now, Some(now)),
        Retry::At(at) => (PENDING, at, None),
        Retry::GiveUp => (FAILED, now, Some(now)),
    };
    let updated = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::state.eq(PENDING))
            .filter(outbox::lease_owner.eq(owner)),
    )
    .set((
        outbox::state.eq(state),
        outbox::attempts.eq(outbox::attempts + 1_i64),
        outbox::next_attempt_at.eq(next_attempt_at),
        outbox::last_attempt_at.eq(Some(now)),
        outbox::last_error.eq(Some(error)),
        outbox::finished_at.eq(finished_at),
        outbox::lease_until.eq(0_i64),
        outbox::lease_owner.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Deletes rows that left `pending` before `before` (delivered, failed, superseded). Returns how
/// many.
pub(crate) fn purge(conn: &mut AnyConnection, before: i64) -> Result<usize, DbError> {
    Ok(diesel::delete(outbox::table.filter(outbox::state.ne(PENDING)).filter(outbox::finished_at.lt(before)))
        .execute(conn)?)
}

/// Deletes every row of the customers `ids` (erasure). Call it inside the caller's transaction.
pub(crate) fn forget(conn: &mut AnyConnection, ids: &[String]) -> Result<usize, diesel::result::Error> {
    diesel::delete(outbox::table.filter(outbox::customer_id.eq_any(ids))).execute(conn)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]
    use super::*;

    fn state(conn: &mut AnyConnection, id: i64) -> (String, i64) {
        outbox::table.find(id).select((outbox::state, outbox::attempts)).first(conn).unwrap()
    }

    fn last_id(conn: &mut AnyConnection) -> i64 {
        outbox::table.select(outbox::id).order(outbox::id.desc()).first(conn).unwrap()
    }

    #[actix_web::test]
    async fn a_leased_row_is_sent_by_one_worker_and_a_lost_lease_records_nothing() {
        for database in anchor_core::testing::test_databases() {
            let backend = database.name;
            let db = database.database();
            db.run(move |conn| {
                enqueue(conn, "c1", "https://wallet.example/cb", r#"{"status":"PROCESSING"}"#, 100)?;
                let id = last_id(conn);
                assert_eq!(due(conn, 100, 0, 10)?, vec![id], "{backend}");
                // A takes it; B (another instance) cannot, and cannot record anything.
                let row = claim(conn, id, "a", 100, 130)?.expect("A claims the due row");
                assert_eq!((row.url.as_str(), row.attempts), ("https://wallet.example/cb", 0));
                assert!(
                    claim(conn, id, "b", 100, 130)?.is_none(),
                    "{backend}: leased rows are not claimed twice"
                );
                assert!(due(conn, 110, 0, 10)?.is_empty(), "{backend}: a leased row is not due");
                assert!(!record_delivered(conn, id, "b", 110)?, "{backend}");
                // A fails; the row waits for its backoff.
                assert!(record_failure(conn, id, "a", 110, "receiver answered 500", Retry::At(112))?);
                assert_eq!(state(conn, id), (PENDING.to_string(), 1));
                assert!(due(conn, 111, 0, 10)?.is_empty());
                // A is killed mid-attempt: its lease expires and B takes the row over.
                assert!(claim(conn, id, "a", 112, 140)?.is_some());
                assert!(claim(conn, id, "b", 139, 170)?.is_none());
                assert!(
                    claim(conn, id, "b", 140, 170)?.is_some(),
                    "{backend}: an expired lease is taken over"
                );
                assert!(!record_delivered(conn, id, "a", 141)?, "{backend}: A lost its lease");
                assert!(record_delivered(conn, id, "b", 141)?);
                assert_eq!(state(conn, id), (DELIVERED.to_string(), 2));
                assert!(due(conn, 10_000, 0, 10)?.is_empty());
                Ok::<_, DbError>(())
            })
            .await
            .unwrap();
        }
    }

    #[actix_web::test]
    async fn a_newer_status_supersedes_an_unsent_older_one_and_erasure_and_purge_delete_rows() {
        for database in anchor_core::testing::test_databases() {
            let backend = database.name;
            let db = database.database();
            db.run(move |conn| {
                enqueue(conn, "c1", "https://wallet.example/cb", r#"{"status":"PROCESSING"}"#, 100)?;
                let older = last_id(conn);
                enqueue(conn, "c1", "https://wallet.example/cb", r#"{"status":"ACCEPTED"}"#, 101)?;
                let newer = last_id(conn);
                assert_eq!(state(conn, older).0, SUPERSEDED, "{backend}");
                assert_eq!(due(conn, 101, 0, 10)?, vec![newer]);
                // A row being sent is not superseded at once (its sender records its outcome),
                // and the newest waits for it.
                assert!(claim(conn, newer, "a", 101, 150)?.is_some());
                enqueue(conn, "c1", "https://wallet.example/cb", r#"{"status":"REJECTED"}"#, 102)?;
                let newest = last_id(conn);
                assert_eq!(state(conn, newer).0, PENDING);
                assert!(claim(conn, newest, "b", 102, 150)?.is_none(), "{backend}: the newest waits");
                // Its attempt fails: superseded rather than retried after the newest.
                assert!(record_failure(conn, newer, "a", 103, "timed out", Retry::At(104))?);
                assert_eq!(state(conn, newer), (SUPERSEDED.to_string(), 1), "{backend}");
                assert!(claim(conn, newest, "b", 103, 150)?.is_some(), "{backend}");
                assert!(record_failure(conn, newest, "b", 104, "timed out", Retry::GiveUp)?);
                assert_eq!(state(conn, newest), (FAILED.to_string(), 1));
                // A row left by a killed worker that has a newer row is superseded at its claim.
                enqueue(conn, "c3", "https://wallet.example/cb", r#"{"status":"PROCESSING"}"#, 100)?;
                let stale = last_id(conn);
                assert!(claim(conn, stale, "a", 100, 110)?.is_some());
                enqueue(conn, "c3", "https://wallet.example/cb", r#"{"status":"ACCEPTED"}"#, 105)?;
                assert!(claim(conn, stale, "b", 110, 140)?.is_none());
                assert_eq!(state(conn, stale).0, SUPERSEDED, "{backend}");
                assert_eq!(forget(conn, &["c3".to_string()])?, 2);
                // Another customer's rows are untouched by superseding and by erasure.
                enqueue(conn, "c2", "https://wallet.example/cb", r#"{"status":"ACCEPTED"}"#, 104)?;
                let other = last_id(conn);
                assert_eq!(forget(conn, &["c1".to_string()])?, 3);
                assert_eq!(state(conn, other).0, PENDING);
                // Purge deletes finished rows older than the cutoff only.
                assert!(claim(conn, other, "a", 104, 150)?.is_some());
                assert!(record_delivered(conn, other, "a", 105)?);
                assert_eq!(purge(conn, 105)?, 0, "{backend}");
                assert_eq!(purge(conn, 106)?, 1, "{backend}");
                Ok::<_, DbError>(())
            })
            .await
            .unwrap();
        }
    }
}
