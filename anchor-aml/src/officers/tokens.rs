//! Officers' admin API tokens: the credential the admin API's decision endpoints take, so that a
//! decision made through the API names the officer whose token made it, as a console decision
//! names the officer whose session made it.
//!
//! A token is `aot_` and 64 hex digits (256 random bits), shown once by `officers token create`.
//! The database keeps only its SHA-256 (looked up by that hash, so no comparison of secrets
//! happens at all); a copy of the table does not let anyone decide. A disabled officer's tokens
//! are deleted and, until then, refused. Creating and revoking tokens is audited; using one is
//! not logged (the decision it makes is audited, naming the officer).

use anchor_core::db::schema::aml_officer_tokens::dsl as t;
use anchor_core::db::schema::aml_officers::dsl as o;
use anchor_core::db::DbError;
use diesel::prelude::*;
use serde_json::json;

use super::{random_token, token_hash, Officer, Officers};
use crate::audit::append_in;
use crate::error::{Error, Result};

/// What every officer token starts with (so a leaked one is recognisable, and never mistaken for
/// the admin key).
pub(crate) const TOKEN_PREFIX: &str = "aot_";

/// Longest label of a token.
const MAX_LABEL_LEN: usize = 128;

/// A token just created: the secret (shown once, never stored) and its id.
#[derive(Clone)]
pub struct NewOfficerToken {
    /// The row id (`officers token list`, `officers token revoke ID`).
    pub id: i64,
    /// The token: `Authorization: Bearer <token>`. Not kept anywhere by the anchor.
    pub token: String,
}

impl std::fmt::Debug for NewOfficerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOfficerToken").field("id", &self.id).field("token", &"[redacted]").finish()
    }
}

/// One token, as `officers token list` shows it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerTokenInfo {
    /// Row id.
    pub id: i64,
    /// The officer's sign-in name.
    pub username: String,
    /// Where the token is used.
    pub label: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last use (to the minute), if any.
    pub last_used_at: Option<i64>,
    /// Whether the officer is active (a disabled officer's tokens are refused).
    pub officer_active: bool,
}

/// Whether `token` looks like an officer token (before any database work).
pub(crate) fn looks_like_token(token: &str) -> bool {
    token
        .strip_prefix(TOKEN_PREFIX)
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Officers {
    /// Creates an API token for an active officer; the secret is in the answer only. Blocking.
    pub fn create_token(&self, username: &str, label: &str, now: i64) -> Result<NewOfficerToken> {
        let label = label.trim().to_string();
        if label.len() > MAX_LABEL_LEN || label.chars().any(char::is_control) {
            return Err(Error::Invalid(
                "the token's label must be at most 128 characters, without control characters".into(),
            ));
        }
        let token = format!("{TOKEN_PREFIX}{}", random_token()?);
        let hashed = token_hash(&token);
        let username = username.trim().to_string();
        let id = self.database.run_blocking(|conn| {
            conn.transaction::<_, DbError, _>(|conn| {
                let officer: Option<(i64, bool)> = o::aml_officers
                    .select((o::id, o::active))
                    .filter(o::username.eq(&username))
                    .first(conn)
                    .optional()?;
                let Some((officer_id, active)) = officer else {
                    return Ok(Err(Error::NotFound(format!("no officer named `{username}`"))));
                };
                if !active {
                    return Ok(Err(Error::Invalid(format!(
                        "`{username}` is disabled; enable the account before giving it a token"
                    ))));
                }
                diesel::insert_into(t::aml_officer_tokens)
                    .values((
                        t::officer_id.eq(officer_id),
                        t::token_hash.eq(&hashed),
                        t::label.eq(&label),
                        t::created_at.eq(now),
                    ))
                    .execute(conn)?;
                let id: i64 =
                    t::aml_officer_tokens.select(t::id).filter(t::token_hash.eq(&hashed)).first(conn)?;
                append_in(
                    conn,
                    "officer_token_created",
                    &json!({"username": username, "token_id": id, "label": label}).to_string(),
                    now,
                )?;
                Ok(Ok(id))
            })
        })??;
        Ok(NewOfficerToken { id, token })
    }

    /// Revokes one token by its id (all digits) or every token of an officer by their sign-in
    /// name; answers how many were revoked. Blocking.
    pub fn revoke_tokens(&self, username_or_id: &str, now: i64) -> Result<usize> {
        let target = username_or_id.trim().to_string();
        self.database.run_blocking(|conn| {
            conn.transaction::<_, DbError, _>(|conn| {
                let rows: Vec<(i64, String)> = match target.parse::<i64>() {
                    Ok(id) => t::aml_officer_tokens
                        .inner_join(o::aml_officers.on(o::id.eq(t::officer_id)))
                        .select((t::id, o::username))
                        .filter(t::id.eq(id))
                        .load(conn)?,
                    Err(_) => t::aml_officer_tokens
                        .inner_join(o::aml_officers.on(o::id.eq(t::officer_id)))
                        .select((t::id, o::username))
                        .filter(o::username.eq(&target))
                        .load(conn)?,
                };
                if rows.is_empty() {
                    return Ok(Err(Error::NotFound(format!(
                        "no token with id `{target}` and no officer `{target}` with a token"
                    ))));
                }
                for (id, username) in &rows {
                    diesel::delete(t::aml_officer_tokens.filter(t::id.eq(id))).execute(conn)?;
                    append_in(
                        conn,
                        "officer_token_revoked",
                        &json!({"username": username, "token_id": id}).to_string(),
                        now,
                    )?;
                }
                Ok(Ok(rows.len()))
            })
        })?
    }

    /// Every token (never the secret), by officer then id. Blocking.
    pub fn tokens(&self) -> Result<Vec<OfficerTokenInfo>> {
        let rows: Vec<(i64, String, String, i64, Option<i64>, bool)> =
            self.database.run_blocking(|conn| {
                Ok(t::aml_officer_tokens
                    .inner_join(o::aml_officers.on(o::id.eq(t::officer_id)))
                    .select((t::id, o::username, t::label, t::created_at, t::last_used_at, o::active))
                    .order((o::username.asc(), t::id.asc()))
                    .load(conn)?)
            })?;
        Ok(rows
            .into_iter()
            .map(|(id, username, label, created_at, last_used_at, officer_active)| OfficerTokenInfo {
                id,
                username,
                label,
                created_at,
                last_used_at,
                officer_active,
            })
            .collect())
    }

    /// The active officer a token belongs to, if any; notes its use (at most once a minute).
    /// Blocking.
    pub(crate) fn token_officer(&self, token: &str, now: i64) -> Result<Option<Officer>> {
        if !looks_like_token(token) {
            return Ok(None);
        }
        let hashed = token_hash(token);
        Ok(self.database.run_blocking(|conn| {
            let row: Option<(i64, Option<i64>, i64, String, String, bool)> = t::aml_officer_tokens
                .inner_join(o::aml_officers.on(o::id.eq(t::officer_id)))
                .select((t::id, t::last_used_at, o::id, o::username, o::display_name, o::active))
                .filter(t::token_hash.eq(&hashed))
                .first(conn)
                .optional()?;
            let Some((token_id, last_used_at, id, username, display_name, active)) = row else {
                return Ok(None);
            };
            if !active {
                return Ok(None);
            }
            if last_used_at.is_none_or(|at| now - at >= 60) {
                diesel::update(t::aml_officer_tokens.filter(t::id.eq(token_id)))
                    .set(t::last_used_at.eq(Some(now)))
                    .execute(conn)?;
            }
            Ok(Some(Officer { id, username, display_name }))
        })?)
    }
}
