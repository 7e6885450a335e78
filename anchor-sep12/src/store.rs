//! IO: the framework's SEP-12 tables (`sep12_customer_owners`, `sep12_callbacks`, `sep12_files`,
//! `sep12_file_quotas`) through diesel, portable over SQLite, PostgreSQL and MySQL. Every function is blocking and
//! runs inside `Database::run`.

use anchor_core::db::schema::{sep12_callbacks, sep12_customer_owners, sep12_file_quotas, sep12_files};
use anchor_core::db::{AnyConnection, DbError};
use diesel::prelude::*;

use crate::outbox;
use crate::request::Identity;

/// Who created a customer id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    /// `G…` or `M…`.
    pub account: String,
    /// Memo key or `""`.
    pub memo: String,
}

/// The owner of `id`, if the framework has seen it.
pub(crate) fn owner_of(conn: &mut AnyConnection, id: &str) -> Result<Option<Owner>, DbError> {
    Ok(sep12_customer_owners::table
        .find(id)
        .select((sep12_customer_owners::account, sep12_customer_owners::memo))
        .first::<(String, String)>(conn)
        .optional()?
        .map(|(account, memo)| Owner { account, memo }))
}

/// Records that `identity` owns `id`. Returns `false` if `id` already belongs to another
/// identity (an integration bug that must not leak one customer to another).
pub(crate) fn record_owner(
    conn: &mut AnyConnection,
    id: &str,
    identity: &Identity,
    now: i64,
) -> Result<bool, DbError> {
    let memo = identity.memo_key();
    let same = |owner: &Owner| owner.account == identity.account && owner.memo == memo;
    if let Some(owner) = owner_of(conn, id)? {
        return Ok(same(&owner));
    }
    let inserted = diesel::insert_into(sep12_customer_owners::table)
        .values((
            sep12_customer_owners::customer_id.eq(id),
            sep12_customer_owners::account.eq(&identity.account),
            sep12_customer_owners::memo.eq(&memo),
            sep12_customer_owners::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        // A concurrent request inserted it first: compare with what it wrote.
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(owner_of(conn, id)?.is_some_and(|owner| same(&owner)))
        }
        Err(err) => Err(err.into()),
    }
}

/// [`record_owner`] and [`callback_type`] in one round trip (the `PUT /customer` path).
pub(crate) fn record_owner_and_check_callback(
    conn: &mut AnyConnection,
    id: &str,
    identity: &Identity,
    now: i64,
) -> Result<(bool, Option<String>), DbError> {
    let ours = record_owner(conn, id, identity, now)?;
    let callback = if ours { callback_type(conn, id)? } else { None };
    Ok((ours, callback))
}

/// The screening fields kept for customer `id` (SEP-9 name → value), merged over every
/// accepted `PUT`; `None` when the framework has not seen the customer.
pub(crate) fn screening_fields(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<ScreeningFields>, DbError> {
    let stored: Option<Option<String>> = sep12_customer_owners::table
        .find(id)
        .select(sep12_customer_owners::screening_json)
        .first(conn)
        .optional()?;
    Ok(stored.map(|json| json.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default()))
}

/// Merges `update` into the screening fields kept for customer `id` and returns the result:
/// fields `update` names replace the kept ones, the others stay (SEP-12 `PUT` is a partial
/// update). Compare-and-swap on the stored text, so concurrent `PUT`s of one customer each
/// land in the merge; `None` when the framework has not seen the customer.
pub(crate) fn merge_screening_fields(
    conn: &mut AnyConnection,
    id: &str,
    update: &ScreeningFields,
) -> Result<Option<ScreeningFields>, DbError> {
    for _ in 0..16 {
        let stored: Option<Option<String>> = sep12_customer_owners::table
            .find(id)
            .select(sep12_customer_owners::screening_json)
            .first(conn)
            .optional()?;
        let Some(stored) = stored else { return Ok(None) };
        let mut merged: ScreeningFields =
            stored.as_deref().and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default();
        merged.extend(update.iter().map(|(name, value)| (name.clone(), value.clone())));
        if update.is_empty() {
            return Ok(Some(merged));
        }
        let json = serde_json::to_string(&merged)
            .map_err(|err| DbError::Unavailable(format!("screening fields: {err}")))?;
        let row = sep12_customer_owners::table.filter(sep12_customer_owners::customer_id.eq(id));
        let swapped = match &stored {
            Some(old) => diesel::update(row.filter(sep12_customer_owners::screening_json.eq(old)))
                .set(sep12_customer_owners::screening_json.eq(Some(&json)))
                .execute(conn)?,
            None => diesel::update(row.filter(sep12_customer_owners::screening_json.is_null()))
                .set(sep12_customer_owners::screening_json.eq(Some(&json)))
                .execute(conn)?,
        };
        if swapped == 1 {
            return Ok(Some(merged));
        }
    }
    Err(DbError::Unavailable("the customer is being changed by many requests at once; try again".into()))
}

/// SEP-9 field name → value, for the fields screening reads.
pub(crate) type ScreeningFields = std::collections::BTreeMap<String, String>;

/// The customer ids created under exactly `identity` (one memo; never a whole shared account).
pub(crate) fn ids_of(conn: &mut AnyConnection, identity: &Identity) -> Result<Vec<String>, DbError> {
    Ok(sep12_customer_owners::table
        .filter(sep12_customer_owners::account.eq(&identity.account))
        .filter(sep12_customer_owners::memo.eq(identity.memo_key()))
        .select(sep12_customer_owners::customer_id)
        .load::<String>(conn)?)
}

/// Forgets customers: their ownership, callback registrations, queued callbacks and files, in
/// one transaction.
pub(crate) fn forget(conn: &mut AnyConnection, ids: &[String]) -> Result<(), DbError> {
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        diesel::delete(sep12_files::table.filter(sep12_files::customer_id.eq_any(ids))).execute(conn)?;
        outbox::forget(conn, ids)?;
        diesel::delete(sep12_callbacks::table.filter(sep12_callbacks::customer_id.eq_any(ids)))
            .execute(conn)?;
        diesel::delete(sep12_customer_owners::table.filter(sep12_customer_owners::customer_id.eq_any(ids)))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(())
}

/// Registers (or replaces) the callback URL of `id`, watching `customer_type` (`""` for none) and
/// remembering the current status.
pub(crate) fn set_callback(
    conn: &mut AnyConnection,
    id: &str,
    url: &str,
    customer_type: &str,
    status: &str,
    now: i64,
) -> Result<(), DbError> {
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        diesel::delete(sep12_callbacks::table.find(id)).execute(conn)?;
        diesel::insert_into(sep12_callbacks::table)
            .values((
                sep12_callbacks::customer_id.eq(id),
                sep12_callbacks::url.eq(url),
                sep12_callbacks::customer_type.eq(customer_type),
                sep12_callbacks::last_status.eq(status),
                sep12_callbacks::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(())
}

/// The `type` the callback registration of `id` watches (`""` for none), if there is one.
pub(crate) fn callback_type(conn: &mut AnyConnection, id: &str) -> Result<Option<String>, DbError> {
    Ok(sep12_callbacks::table
        .find(id)
        .select(sep12_callbacks::customer_type)
        .first::<String>(conn)
        .optional()?)
}

/// If `id` has a registration watching `customer_type` (`""` for none) whose last status differs
/// from `status`, records `status` and queues `body` for the registered URL in the callback
/// outbox, in one transaction: the change and its notification commit together, so a crash after
/// the commit cannot lose the notification. A final status (`ACCEPTED`, `REJECTED`) ends the
/// registration, as SEP-12 says, in the same transaction. Atomic: of two concurrent changes to the
/// same status, one notifies. Returns whether a callback was queued.
pub(crate) fn advance_status(
    conn: &mut AnyConnection,
    change: &StatusChange<'_>,
    now: i64,
) -> Result<bool, DbError> {
    let StatusChange { id, customer_type, status, is_final, body } = *change;
    Ok(conn.transaction::<_, diesel::result::Error, _>(|conn| {
        let changed = diesel::update(
            sep12_callbacks::table
                .filter(sep12_callbacks::customer_id.eq(id))
                .filter(sep12_callbacks::customer_type.eq(customer_type))
                .filter(sep12_callbacks::last_status.ne(status)),
        )
        .set((sep12_callbacks::last_status.eq(status), sep12_callbacks::updated_at.eq(now)))
        .execute(conn)?;
        if changed == 0 {
            return Ok(false);
        }
        let url =
            sep12_callbacks::table.find(id).select(sep12_callbacks::url).first::<String>(conn).optional()?;
        let Some(url) = url else {
            return Ok(false);
        };
        outbox::enqueue(conn, id, &url, body, now)?;
        if is_final {
            diesel::delete(sep12_callbacks::table.find(id)).execute(conn)?;
        }
        Ok(true)
    })?)
}

/// A customer's status, as [`advance_status`] records it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StatusChange<'a> {
    /// The customer id.
    pub id: &'a str,
    /// The `type` the status is for (`""` for none).
    pub customer_type: &'a str,
    /// `ACCEPTED`, `PROCESSING`, …
    pub status: &'a str,
    /// Whether the status is final (ends the registration).
    pub is_final: bool,
    /// The `GET /customer` JSON body the callback carries.
    pub body: &'a str,
}

/// A stored file's metadata.
#[derive(Debug, Clone, Queryable)]
pub(crate) struct FileMeta {
    /// Id.
    pub file_id: String,
    /// Referencing customer.
    pub customer_id: Option<String>,
    /// Media type.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Expiry of an unreferenced file.
    pub expires_at: Option<i64>,
}

type FileMetaColumns = (
    sep12_files::file_id,
    sep12_files::customer_id,
    sep12_files::content_type,
    sep12_files::size,
    sep12_files::expires_at,
);

const FILE_META: FileMetaColumns = (
    sep12_files::file_id,
    sep12_files::customer_id,
    sep12_files::content_type,
    sep12_files::size,
    sep12_files::expires_at,
);

/// A file to store.
pub(crate) struct NewFile<'a> {
    /// Id.
    pub file_id: &'a str,
    /// Media type.
    pub content_type: &'a str,
    /// The bytes.
    pub data: &'a [u8],
    /// Expiry while unreferenced.
    pub expires_at: i64,
}

/// What one SEP-10 identity may store at once (`SEP12_MAX_FILES_PER_CUSTOMER`,
/// `SEP12_MAX_FILE_BYTES_PER_CUSTOMER`), counting referenced and unexpired files.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quota {
    /// Most files.
    pub max_files: i64,
    /// Most bytes.
    pub max_bytes: i64,
}

/// Which part of the [`Quota`] an upload would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuotaExceeded {
    /// The number of files.
    Files,
    /// The total bytes.
    Bytes,
}

/// Stores `owner`'s files in one transaction if they fit `owner`'s quota, otherwise nothing.
///
/// Atomic on every backend: the transaction first updates the owner's `sep12_file_quotas` row,
/// which holds a row lock (PostgreSQL, MySQL) or the write lock (SQLite) until it commits, so the
/// owner's concurrent uploads count and insert one after the other; the count is read after the
/// lock is taken, so it sees every upload that committed before. Expired unreferenced files do not
/// count (the purge deletes them).
pub(crate) fn insert_files(
    conn: &mut AnyConnection,
    owner: &str,
    files: &[NewFile<'_>],
    quota: Quota,
    now: i64,
) -> Result<Result<(), QuotaExceeded>, DbError> {
    // The purge may delete an idle quota row between its creation and the transaction: create it
    // again (a few times at most; the purge only takes rows idle for the file expiry).
    for _ in 0..4 {
        ensure_quota_row(conn, owner, now)?;
        let outcome = conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let taken = diesel::update(sep12_file_quotas::table.find(owner))
                .set(sep12_file_quotas::updated_at.eq(now))
                .execute(conn)?;
            if taken == 0 {
                return Ok(None);
            }
            let sizes: Vec<i64> = sep12_files::table
                .filter(sep12_files::owner.eq(owner))
                .filter(sep12_files::customer_id.is_not_null().or(sep12_files::expires_at.ge(now)))
                .select(sep12_files::size)
                .load(conn)?;
            let count = i64::try_from(sizes.len() + files.len()).unwrap_or(i64::MAX);
            let bytes = sizes
                .iter()
                .copied()
                .chain(files.iter().map(|file| i64::try_from(file.data.len()).unwrap_or(i64::MAX)))
                .fold(0_i64, i64::saturating_add);
            if count > quota.max_files {
                return Ok(Some(Err(QuotaExceeded::Files)));
            }
            if bytes > quota.max_bytes {
                return Ok(Some(Err(QuotaExceeded::Bytes)));
            }
            for file in files {
                diesel::insert_into(sep12_files::table)
                    .values((
                        sep12_files::file_id.eq(file.file_id),
                        sep12_files::owner.eq(owner),
                        sep12_files::content_type.eq(file.content_type),
                        sep12_files::size.eq(file.data.len() as i64),
                        sep12_files::data.eq(file.data),
                        sep12_files::created_at.eq(now),
                        sep12_files::expires_at.eq(Some(file.expires_at)),
                    ))
                    .execute(conn)?;
            }
            Ok(Some(Ok(())))
        })?;
        if let Some(outcome) = outcome {
            return Ok(outcome);
        }
    }
    Err(DbError::Unavailable("the file quota row kept disappearing; try again".into()))
}

/// Creates `owner`'s quota row if it is missing, outside any transaction (a unique violation
/// inside a PostgreSQL transaction would abort it); a concurrent creation is fine.
fn ensure_quota_row(conn: &mut AnyConnection, owner: &str, now: i64) -> Result<(), DbError> {
    let exists = sep12_file_quotas::table
        .find(owner)
        .select(sep12_file_quotas::owner)
        .first::<String>(conn)
        .optional()?
        .is_some();
    if exists {
        return Ok(());
    }
    let inserted = diesel::insert_into(sep12_file_quotas::table)
        .values((sep12_file_quotas::owner.eq(owner), sep12_file_quotas::updated_at.eq(now)))
        .execute(conn);
    match inserted {
        Ok(_)
        | Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}

/// Files deleted per statement by [`purge_expired_files`].
const PURGE_BATCH: i64 = 100;

/// Deletes the unreferenced files whose expiry passed before `now` (a batch at a time, so no
/// statement holds many rows), and the quota rows idle since before `idle_before`. Returns how
/// many files were deleted.
pub(crate) fn purge_expired_files(
    conn: &mut AnyConnection,
    now: i64,
    idle_before: i64,
) -> Result<usize, DbError> {
    let mut purged = 0;
    loop {
        let ids: Vec<String> = sep12_files::table
            .filter(sep12_files::customer_id.is_null())
            .filter(sep12_files::expires_at.lt(now))
            .select(sep12_files::file_id)
            .limit(PURGE_BATCH)
            .load(conn)?;
        if ids.is_empty() {
            break;
        }
        // `customer_id` again: a `PUT /customer` may have referenced one since.
        purged += diesel::delete(
            sep12_files::table
                .filter(sep12_files::file_id.eq_any(&ids))
                .filter(sep12_files::customer_id.is_null())
                .filter(sep12_files::expires_at.lt(now)),
        )
        .execute(conn)?;
        if (ids.len() as i64) < PURGE_BATCH {
            break;
        }
    }
    diesel::delete(sep12_file_quotas::table.filter(sep12_file_quotas::updated_at.lt(idle_before)))
        .execute(conn)?;
    Ok(purged)
}

/// A file of `owner` with its bytes (unexpired or referenced).
pub(crate) fn file_with_data(
    conn: &mut AnyConnection,
    file_id: &str,
    owner: &str,
    now: i64,
) -> Result<Option<(FileMeta, Vec<u8>)>, DbError> {
    let row = sep12_files::table
        .filter(sep12_files::file_id.eq(file_id))
        .filter(sep12_files::owner.eq(owner))
        .select((FILE_META, sep12_files::data))
        .first::<(FileMeta, Vec<u8>)>(conn)
        .optional()?;
    Ok(row.filter(|(meta, _)| meta.customer_id.is_some() || meta.expires_at.unwrap_or(0) >= now))
}

/// Files of `owner`: one by id, or all of a customer.
pub(crate) fn list_files(
    conn: &mut AnyConnection,
    owner: &str,
    file_id: Option<&str>,
    customer_id: Option<&str>,
    now: i64,
) -> Result<Vec<FileMeta>, DbError> {
    let mut query = sep12_files::table
        .filter(sep12_files::owner.eq(owner))
        .select(FILE_META)
        .order(sep12_files::created_at.asc())
        .into_boxed();
    if let Some(file_id) = file_id {
        query = query.filter(sep12_files::file_id.eq(file_id.to_string()));
    }
    if let Some(customer_id) = customer_id {
        query = query.filter(sep12_files::customer_id.eq(customer_id.to_string()));
    }
    let files = query.load::<FileMeta>(conn)?;
    Ok(files
        .into_iter()
        .filter(|meta| meta.customer_id.is_some() || meta.expires_at.unwrap_or(0) >= now)
        .collect())
}

/// Marks files as referenced by `customer_id` (they no longer expire).
pub(crate) fn attach_files(
    conn: &mut AnyConnection,
    file_ids: &[String],
    customer_id: &str,
) -> Result<(), DbError> {
    if file_ids.is_empty() {
        return Ok(());
    }
    diesel::update(sep12_files::table.filter(sep12_files::file_id.eq_any(file_ids)))
        .set((sep12_files::customer_id.eq(Some(customer_id)), sep12_files::expires_at.eq(None::<i64>)))
        .execute(conn)?;
    Ok(())
}

/// Deletes files by id (undoing a failed `PUT /customer`).
pub(crate) fn delete_files(conn: &mut AnyConnection, file_ids: &[String]) -> Result<(), DbError> {
    if file_ids.is_empty() {
        return Ok(());
    }
    diesel::delete(sep12_files::table.filter(sep12_files::file_id.eq_any(file_ids))).execute(conn)?;
    Ok(())
}
