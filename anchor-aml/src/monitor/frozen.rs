//! Frozen accounts: the table, and the in-memory set every SEP request is checked against.

use std::collections::HashSet;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use anchor_core::db::schema::aml_frozen_accounts::dsl as f;
use anchor_core::db::{AnyConnection, DbError};
use diesel::prelude::*;
use serde::Serialize;

/// A frozen account, as officers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrozenAccount {
    /// `G…`.
    pub account: String,
    /// The subject it belongs to.
    pub subject_id: Option<i64>,
    /// The case that froze it.
    pub case_id: Option<i64>,
    /// Unix seconds.
    pub frozen_at: i64,
    /// Why.
    pub reason: String,
}

/// The frozen accounts in memory: a lookup costs a read lock and a hash (well under a
/// microsecond). Reloaded from the database every `AML_SYNC_INTERVAL`, updated at once after a
/// local freeze or unfreeze commits.
#[derive(Debug, Default)]
pub(crate) struct FrozenSet {
    state: RwLock<FrozenState>,
}

#[derive(Debug, Default)]
struct FrozenState {
    accounts: HashSet<String>,
    synced_at: Option<Instant>,
}

/// Raw public keys are looked up as their `G…` strings; `M…` accounts are converted first.
impl FrozenSet {
    pub(crate) fn replace(&self, accounts: Vec<String>) {
        let mut state = match self.state.write() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        state.accounts = accounts.into_iter().collect();
        state.synced_at = Some(Instant::now());
    }

    pub(crate) fn insert(&self, account: &str) {
        if let Ok(mut state) = self.state.write() {
            state.accounts.insert(account.to_string());
        }
    }

    pub(crate) fn remove(&self, account: &str) {
        if let Ok(mut state) = self.state.write() {
            state.accounts.remove(account);
        }
    }

    /// `Some(frozen)`, or `None` when the set was last synced longer than `max_age` ago (the
    /// caller fails closed).
    pub(crate) fn contains(&self, account: &str, max_age: Duration) -> Option<bool> {
        let state = self.state.read().ok()?;
        let synced_at = state.synced_at?;
        if synced_at.elapsed() > max_age {
            return None;
        }
        Some(state.accounts.contains(account))
    }

    pub(crate) fn len(&self) -> usize {
        self.state.read().map(|state| state.accounts.len()).unwrap_or(0)
    }
}

pub(crate) fn load_all(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    Ok(f::aml_frozen_accounts.select(f::account).load(conn)?)
}

/// Freezes `account` unless it is frozen already. Returns whether it was newly frozen.
pub(crate) fn freeze(
    conn: &mut AnyConnection,
    account: &str,
    subject_id: i64,
    case_id: i64,
    reason: &str,
    now: i64,
) -> Result<bool, DbError> {
    let exists: i64 = f::aml_frozen_accounts.filter(f::account.eq(account)).count().get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(f::aml_frozen_accounts)
        .values((
            f::account.eq(account),
            f::subject_id.eq(Some(subject_id)),
            f::case_id.eq(Some(case_id)),
            f::frozen_at.eq(now),
            f::reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Removes a freeze. Returns the removed record.
pub(crate) fn unfreeze(conn: &mut AnyConnection, account: &str) -> Result<Option<FrozenAccount>, DbError> {
    let found = find(conn, account)?;
    if found.is_some() {
        diesel::delete(f::aml_frozen_accounts.filter(f::account.eq(account))).execute(conn)?;
    }
    Ok(found)
}

type Row = (String, Option<i64>, Option<i64>, i64, String);

fn to_frozen((account, subject_id, case_id, frozen_at, reason): Row) -> FrozenAccount {
    FrozenAccount { account, subject_id, case_id, frozen_at, reason }
}

pub(crate) fn find(conn: &mut AnyConnection, account: &str) -> Result<Option<FrozenAccount>, DbError> {
    let row: Option<Row> = f::aml_frozen_accounts
        .select((f::account, f::subject_id, f::case_id, f::frozen_at, f::reason))
        .filter(f::account.eq(account))
        .first(conn)
        .optional()?;
    Ok(row.map(to_frozen))
}

/// Frozen accounts, newest first; `search` filters by account prefix.
pub(crate) fn list(
    conn: &mut AnyConnection,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<FrozenAccount>, DbError> {
    let mut query = f::aml_frozen_accounts
        .select((f::account, f::subject_id, f::case_id, f::frozen_at, f::reason))
        .order(f::frozen_at.desc())
        .limit(limit)
        .into_boxed();
    if let Some(search) = search.filter(|text| !text.is_empty()) {
        let pattern: String =
            search.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
        query = query.filter(f::account.like(format!("{pattern}%")));
    }
    Ok(query.load::<Row>(conn)?.into_iter().map(to_frozen).collect())
}

/// The accounts of `subject_id` that are frozen.
pub(crate) fn of_subject(conn: &mut AnyConnection, subject_id: i64) -> Result<Vec<String>, DbError> {
    Ok(f::aml_frozen_accounts.select(f::account).filter(f::subject_id.eq(Some(subject_id))).load(conn)?)
}

pub(crate) fn count(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(f::aml_frozen_accounts.count().get_result(conn)?)
}
