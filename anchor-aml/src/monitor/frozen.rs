//! Frozen identities: the table, the holds that own each freeze, and the in-memory set every
//! SEP request is checked against.
//!
//! A freeze target is an identity: `G…` (the whole account) or `G…:<memo key>` (one memo or
//! muxed customer of a shared account; an `M…` account is `G…:id:<id>`). A target is frozen
//! while at least one case holds it (`aml_freeze_holds`): clearing one case releases only that
//! case's holds, so another customer's match on the same account keeps it frozen.

use std::collections::HashSet;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use anchor_core::db::schema::aml_freeze_holds::dsl as h;
use anchor_core::db::schema::aml_frozen_accounts::dsl as f;
use anchor_core::db::{AnyConnection, DbError};
use anchor_core::integrations::customer::Memo;
use diesel::prelude::*;
use serde::Serialize;

/// A frozen identity, as officers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrozenAccount {
    /// `G…` (the whole account) or `G…:<memo key>` (one customer of a shared account).
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

    /// `Some(frozen)` for an identity (frozen itself, or its whole account), or `None` when
    /// the set was last synced longer than `max_age` ago (the caller fails closed).
    pub(crate) fn contains(&self, identity: &Identity, max_age: Duration) -> Option<bool> {
        let state = self.state.read().ok()?;
        let synced_at = state.synced_at?;
        if synced_at.elapsed() > max_age {
            return None;
        }
        Some(
            state.accounts.contains(&identity.account)
                || identity.customer.as_ref().is_some_and(|customer| state.accounts.contains(customer)),
        )
    }

    pub(crate) fn len(&self) -> usize {
        self.state.read().map(|state| state.accounts.len()).unwrap_or(0)
    }
}

/// An identity a request acts as, in freeze-target form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    /// The `G…` account.
    pub(crate) account: String,
    /// `G…:<memo key>` for a memo or muxed customer of the account.
    pub(crate) customer: Option<String>,
}

impl Identity {
    /// Reads `G…`, `M…` (as `G…:id:<id>`), `G…:<memo key>` (`id:5`, `text:…`, `hash:…`) and
    /// SEP-10's `G…:<id>`; `None` for anything else.
    pub(crate) fn parse(identity: &str) -> Option<Identity> {
        let identity = identity.trim();
        let (account, memo) = match identity.split_once(':') {
            Some((account, memo)) => (account, Some(memo)),
            None => (identity, None),
        };
        if let Ok(key) = stellar_strkey::ed25519::PublicKey::from_string(account) {
            let account = key.to_string().as_str().to_owned();
            let customer = match memo {
                None | Some("") => None,
                Some(memo) => {
                    let memo = match memo.parse::<u64>() {
                        Ok(id) if !memo.starts_with('+') => Memo::Id(id),
                        _ => Memo::from_key(memo)?,
                    };
                    Some(format!("{account}:{}", memo.key()))
                }
            };
            return Some(Identity { account, customer });
        }
        if memo.is_some() {
            return None;
        }
        let muxed = stellar_strkey::ed25519::MuxedAccount::from_string(account).ok()?;
        let account = stellar_strkey::ed25519::PublicKey(muxed.ed25519).to_string().as_str().to_owned();
        let customer = Some(format!("{account}:{}", Memo::Id(muxed.id).key()));
        Some(Identity { account, customer })
    }

    /// The narrowest freeze target: the customer when there is one, else the account.
    pub(crate) fn target(&self) -> String {
        self.customer.clone().unwrap_or_else(|| self.account.clone())
    }
}

pub(crate) fn load_all(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    Ok(f::aml_frozen_accounts.select(f::account).load(conn)?)
}

/// Case `case_id` holds `account` frozen: records the hold, and freezes the target unless it is
/// frozen already. Returns whether it was newly frozen.
pub(crate) fn freeze(
    conn: &mut AnyConnection,
    account: &str,
    subject_id: i64,
    case_id: i64,
    reason: &str,
    now: i64,
) -> Result<bool, DbError> {
    let held: i64 = h::aml_freeze_holds
        .filter(h::target.eq(account))
        .filter(h::case_id.eq(case_id))
        .count()
        .get_result(conn)?;
    if held == 0 {
        diesel::insert_into(h::aml_freeze_holds)
            .values((
                h::target.eq(account),
                h::case_id.eq(case_id),
                h::subject_id.eq(subject_id),
                h::created_at.eq(now),
            ))
            .execute(conn)?;
    }
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

/// Removes a freeze and every hold on it (an officer's unfreeze). Returns the removed record.
pub(crate) fn unfreeze(conn: &mut AnyConnection, account: &str) -> Result<Option<FrozenAccount>, DbError> {
    let found = find(conn, account)?;
    diesel::delete(h::aml_freeze_holds.filter(h::target.eq(account))).execute(conn)?;
    if found.is_some() {
        diesel::delete(f::aml_frozen_accounts.filter(f::account.eq(account))).execute(conn)?;
    }
    Ok(found)
}

/// Releases the holds of case `case_id` (cleared): every target it held that no other case
/// holds is unfrozen. Returns the unfrozen targets.
pub(crate) fn release_case(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<String>, DbError> {
    let mut targets: Vec<String> =
        h::aml_freeze_holds.select(h::target).filter(h::case_id.eq(case_id)).load(conn)?;
    // A freeze made before holds existed names its case in the frozen row only.
    targets.extend(
        f::aml_frozen_accounts
            .select(f::account)
            .filter(f::case_id.eq(Some(case_id)))
            .load::<String>(conn)?,
    );
    targets.sort();
    targets.dedup();
    diesel::delete(h::aml_freeze_holds.filter(h::case_id.eq(case_id))).execute(conn)?;
    let mut unfrozen = Vec::new();
    for target in targets {
        let others: i64 = h::aml_freeze_holds.filter(h::target.eq(&target)).count().get_result(conn)?;
        if others == 0 {
            if diesel::delete(f::aml_frozen_accounts.filter(f::account.eq(&target))).execute(conn)? > 0 {
                unfrozen.push(target);
            }
        } else {
            // Still frozen: point the row at a case that holds it.
            let holder: i64 = h::aml_freeze_holds
                .select(h::case_id)
                .filter(h::target.eq(&target))
                .order(h::case_id.asc())
                .first(conn)?;
            diesel::update(f::aml_frozen_accounts.filter(f::account.eq(&target)))
                .set(f::case_id.eq(Some(holder)))
                .execute(conn)?;
        }
    }
    Ok(unfrozen)
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

/// The targets the cases of `subject_id` hold frozen.
pub(crate) fn of_subject(conn: &mut AnyConnection, subject_id: i64) -> Result<Vec<String>, DbError> {
    let mut targets: Vec<String> =
        h::aml_freeze_holds.select(h::target).filter(h::subject_id.eq(subject_id)).load(conn)?;
    targets.extend(
        f::aml_frozen_accounts
            .select(f::account)
            .filter(f::subject_id.eq(Some(subject_id)))
            .load::<String>(conn)?,
    );
    targets.sort();
    targets.dedup();
    Ok(targets)
}

pub(crate) fn count(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(f::aml_frozen_accounts.count().get_result(conn)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
mod tests {
    use super::Identity;

    const G: &str = "GBEEAAVX5GMUEWFL6Q6UQUAH3WAPGNFSIQCI6YXVGXTCPOZ22PGFWMEC";

    #[test]
    fn identities_of_a_shared_account_are_customers_of_its_g_account() {
        assert_eq!(Identity::parse(G), Some(Identity { account: G.into(), customer: None }));
        let memo = Identity::parse(&format!("{G}:id:5")).unwrap();
        assert_eq!(memo.customer.as_deref(), Some(format!("{G}:id:5").as_str()));
        // SEP-10's `G…:5` and SEP-12's `G…:id:5` are the same customer.
        assert_eq!(Identity::parse(&format!("{G}:5")), Some(memo.clone()));
        let key = stellar_strkey::ed25519::PublicKey::from_string(G).unwrap();
        let muxed = stellar_strkey::ed25519::MuxedAccount { ed25519: key.0, id: 5 };
        assert_eq!(Identity::parse(muxed.to_string().as_str()), Some(memo));
        let text = Identity::parse(&format!("{G}:text:abc")).unwrap();
        assert_eq!(text.target(), format!("{G}:text:abc"));
        assert_eq!(Identity::parse("not an account"), None);
        assert_eq!(Identity::parse(&format!("{G}:nonsense")), None);
    }
}
