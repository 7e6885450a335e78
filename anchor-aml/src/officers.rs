//! Officer accounts and their console sessions.
//!
//! Passwords are argon2id PHC strings (the `argon2` crate's defaults). A session is a random
//! 256-bit token in an `HttpOnly` cookie; the database keeps only its SHA-256, so a copy of the
//! table does not let anyone sign in. Every session carries its own CSRF token, which every
//! form of the console must send back.
//!
//! Sign-in failures are counted per officer: after [`MAX_FAILED_SIGN_INS`] in a row the account
//! is locked for [`LOCKOUT_SECONDS`]. Each guess is reserved atomically before the password is
//! checked, so parallel attempts make no more guesses than that. Unknown names, locked accounts
//! and wrong passwords cost the same argon2 work and get the same answer, so neither timing nor
//! text tells which names exist; an unknown typed name is never written to the audit trail. Sign-ins, failed sign-ins, sign-outs and account
//! changes are written to the audit trail.

use anchor_core::db::schema::aml_officer_sessions::dsl as s;
use anchor_core::db::schema::aml_officers::dsl as o;
use anchor_core::db::{AnyConnection, DbError};
use anchor_core::Database;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::append_in;
use crate::error::{Error, Result};

mod cli;
mod tokens;

pub use cli::OfficersCommand;
pub use tokens::{NewOfficerToken, OfficerTokenInfo};

/// Failed sign-ins in a row after which an officer's account is locked.
pub const MAX_FAILED_SIGN_INS: i32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT_SECONDS: i64 = 15 * 60;
/// A session ends after this long without a request…
pub(crate) const SESSION_IDLE_SECONDS: i64 = 30 * 60;
/// …and after this long in any case.
pub(crate) const SESSION_MAX_SECONDS: i64 = 12 * 60 * 60;
/// Shortest password accepted.
pub(crate) const MIN_PASSWORD_LEN: usize = 12;
/// Longest password accepted (argon2 has no limit; a form body does).
pub(crate) const MAX_PASSWORD_LEN: usize = 256;

/// A signed-in officer, as every console page and decision sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    /// The account's row id.
    pub id: i64,
    /// The unique sign-in name.
    pub username: String,
    /// The name shown on pages and in the audit trail.
    pub display_name: String,
}

impl Officer {
    /// How the officer is named in the audit trail and on decided cases: the display name
    /// with the unique sign-in name, `Alice Officer (alice)`.
    pub fn audit_name(&self) -> String {
        format!("{} ({})", self.display_name, self.username)
    }
}

/// One officer account, as `officers list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OfficerAccount {
    pub(crate) username: String,
    pub(crate) display_name: String,
    pub(crate) active: bool,
    pub(crate) locked_until: i64,
    pub(crate) created_at: i64,
    pub(crate) last_login_at: Option<i64>,
}

/// A session just opened: the cookie's token (shown once) and the session's CSRF token.
#[derive(Debug)]
pub struct NewSession {
    /// The session cookie's value; only its SHA-256 is stored.
    pub token: String,
    /// Who signed in.
    pub officer: Officer,
}

/// A session found from its cookie.
#[derive(Debug, Clone)]
pub struct Session {
    /// Whose session it is.
    pub officer: Officer,
    /// The token every form of this session must send back.
    pub csrf_token: String,
}

/// Why a sign-in was refused. The officer sees one message for the first two.
#[derive(Debug, PartialEq, Eq)]
pub enum SignInRefusal {
    /// Unknown name, wrong password or disabled account.
    WrongCredentials,
    /// Too many failures in a row; try again after the lock.
    Locked,
}

/// Officer accounts, their console sessions and their admin API tokens in the anchor's database
/// (what the `officers` command manages).
#[derive(Debug, Clone)]
pub struct Officers {
    database: Database,
}

/// A random token of 32 bytes as 64 hex digits.
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| Error::Store(format!("no randomness: {err}")))?;
    Ok(anchor_core::hex::encode(&bytes))
}

fn token_hash(token: &str) -> String {
    anchor_core::hex::encode(&Sha256::digest(token.as_bytes()))
}

/// Checks a sign-in name: 1–64 characters of letters, digits, `.`, `_`, `-` and `@`.
pub(crate) fn valid_username(username: &str) -> Result<()> {
    let ok = !username.is_empty()
        && username.len() <= 64
        && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(
            "the username must be 1 to 64 characters: letters, digits, `.`, `_`, `-` or `@`".into(),
        ))
    }
}

fn valid_password(password: &str) -> Result<()> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LEN {
        return Err(Error::Invalid(format!("the password must have at least {MIN_PASSWORD_LEN} characters")));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(Error::Invalid(format!("the password must have at most {MAX_PASSWORD_LEN} bytes")));
    }
    Ok(())
}

fn valid_display_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
        return Err(Error::Invalid(
            "the display name must be 1 to 128 characters, without control characters".into(),
        ));
    }
    Ok(name.to_string())
}

fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|err| Error::Store(format!("no randomness: {err}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|err| Error::Store(format!("password salt: {err}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| Error::Store(format!("password hashing: {err}")))
}

fn password_matches(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(hash) => Argon2::default().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// The hash an unknown name is checked against, so it costs what a known one does.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

type OfficerRow = (i64, String, String, String, bool, i32, i64);

impl Officers {
    /// The officers in `database` (migrated).
    pub fn new(database: Database) -> Self {
        Officers { database }
    }

    /// Creates an officer: `username` signs in, `display_name` is written in the audit trail
    /// with each decision (`Alice Officer (alice)`). Blocking (argon2 takes tens of milliseconds
    /// by design).
    pub fn create(&self, username: &str, display_name: &str, password: &str, now: i64) -> Result<()> {
        valid_username(username)?;
        let display_name = valid_display_name(display_name)?;
        valid_password(password)?;
        let hash = hash_password(password)?;
        let username = username.to_string();
        self.database.run_blocking(|conn| {
            conn.transaction::<_, DbError, _>(|conn| {
                let taken: i64 =
                    o::aml_officers.filter(o::username.eq(&username)).count().get_result(conn)?;
                if taken > 0 {
                    return Ok(Err(Error::Invalid(format!("an officer named `{username}` already exists"))));
                }
                diesel::insert_into(o::aml_officers)
                    .values((
                        o::username.eq(&username),
                        o::display_name.eq(&display_name),
                        o::password_hash.eq(&hash),
                        o::active.eq(true),
                        o::failed_logins.eq(0),
                        o::locked_until.eq(0_i64),
                        o::created_at.eq(now),
                        o::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                append_in(
                    conn,
                    "officer_created",
                    &json!({"username": username, "display_name": display_name}).to_string(),
                    now,
                )?;
                Ok(Ok(()))
            })
        })?
    }

    /// Sets a new password, unlocks the account and ends its sessions. Blocking.
    pub(crate) fn set_password(&self, username: &str, password: &str, now: i64) -> Result<()> {
        valid_password(password)?;
        let hash = hash_password(password)?;
        let username = username.to_string();
        self.change(&username, now, "officer_password_changed", move |conn, id| {
            diesel::update(o::aml_officers.filter(o::id.eq(id)))
                .set((
                    o::password_hash.eq(&hash),
                    o::failed_logins.eq(0),
                    o::locked_until.eq(0_i64),
                    o::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    /// Enables or disables an account; disabling ends its sessions and deletes its API tokens.
    /// Blocking.
    pub fn set_active(&self, username: &str, active: bool, now: i64) -> Result<()> {
        let kind = if active { "officer_enabled" } else { "officer_disabled" };
        self.change(username, now, kind, move |conn, id| {
            if !active {
                use anchor_core::db::schema::aml_officer_tokens::dsl as t;
                diesel::delete(t::aml_officer_tokens.filter(t::officer_id.eq(id))).execute(conn)?;
            }
            diesel::update(o::aml_officers.filter(o::id.eq(id)))
                .set((
                    o::active.eq(active),
                    o::failed_logins.eq(0),
                    o::locked_until.eq(0_i64),
                    o::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    /// Applies a change to one officer, ends their sessions and audits it, in one transaction.
    fn change(
        &self,
        username: &str,
        now: i64,
        kind: &str,
        apply: impl Fn(&mut AnyConnection, i64) -> std::result::Result<(), DbError>,
    ) -> Result<()> {
        let username = username.to_string();
        self.database.run_blocking(|conn| {
            conn.transaction::<_, DbError, _>(|conn| {
                let id: Option<i64> =
                    o::aml_officers.select(o::id).filter(o::username.eq(&username)).first(conn).optional()?;
                let Some(id) = id else {
                    return Ok(Err(Error::NotFound(format!("no officer named `{username}`"))));
                };
                apply(conn, id)?;
                diesel::delete(s::aml_officer_sessions.filter(s::officer_id.eq(id))).execute(conn)?;
                append_in(conn, kind, &json!({"username": username}).to_string(), now)?;
                Ok(Ok(()))
            })
        })?
    }

    /// Every officer, by name. Blocking.
    pub(crate) fn list(&self) -> Result<Vec<OfficerAccount>> {
        let rows: Vec<(String, String, bool, i64, i64, Option<i64>)> =
            self.database.run_blocking(|conn| {
                Ok(o::aml_officers
                    .select((
                        o::username,
                        o::display_name,
                        o::active,
                        o::locked_until,
                        o::created_at,
                        o::last_login_at,
                    ))
                    .order(o::username.asc())
                    .load(conn)?)
            })?;
        Ok(rows
            .into_iter()
            .map(|(username, display_name, active, locked_until, created_at, last_login_at)| OfficerAccount {
                username,
                display_name,
                active,
                locked_until,
                created_at,
                last_login_at,
            })
            .collect())
    }

    /// Checks a name and password and opens a session. Blocking.
    pub fn sign_in(
        &self,
        username: &str,
        password: &str,
        now: i64,
    ) -> Result<std::result::Result<NewSession, SignInRefusal>> {
        let name = username.trim().to_string();
        let row: Option<OfficerRow> = if valid_username(&name).is_ok() {
            self.database.run_blocking(|conn| {
                Ok(o::aml_officers
                    .select((
                        o::id,
                        o::username,
                        o::display_name,
                        o::password_hash,
                        o::active,
                        o::failed_logins,
                        o::locked_until,
                    ))
                    .filter(o::username.eq(&name))
                    .first(conn)
                    .optional()?)
            })?
        } else {
            None
        };
        let Some((id, username, display_name, hash, active, _failed, _locked_until)) = row else {
            let _ = password_matches(password, decoy_hash());
            // The typed name is not recorded: it may be a password typed in the wrong field, and
            // anyone can send one, so it must not grow a trail nobody can delete.
            self.audit_failure(None, "unknown officer", now)?;
            return Ok(Err(SignInRefusal::WrongCredentials));
        };
        // One guess is reserved atomically before argon2 runs: parallel attempts cannot make more
        // than MAX_FAILED_SIGN_INS guesses per lockout window, on any backend.
        let reserved = self.database.run_blocking(|conn| {
            conn.transaction::<_, DbError, _>(|conn| {
                // A lock that has run out starts a fresh window.
                diesel::update(
                    o::aml_officers
                        .filter(o::id.eq(id))
                        .filter(o::locked_until.gt(0))
                        .filter(o::locked_until.le(now)),
                )
                .set((o::locked_until.eq(0_i64), o::failed_logins.eq(0)))
                .execute(conn)?;
                Ok(diesel::update(
                    o::aml_officers
                        .filter(o::id.eq(id))
                        .filter(o::locked_until.le(now))
                        .filter(o::failed_logins.lt(MAX_FAILED_SIGN_INS)),
                )
                .set(o::failed_logins.eq(o::failed_logins + 1))
                .execute(conn)?
                    == 1)
            })
        })?;
        if !reserved {
            // The same work and the same answer as a wrong password: nothing tells a guesser
            // that the name exists and is locked.
            let _ = password_matches(password, decoy_hash());
            self.audit_failure(Some(&username), "account locked", now)?;
            return Ok(Err(SignInRefusal::Locked));
        }
        let matches = password.len() <= MAX_PASSWORD_LEN && password_matches(password, &hash);
        if !matches || !active {
            let reason = if active { "wrong password" } else { "account disabled" };
            let locked = self.database.run_blocking(|conn| {
                conn.transaction::<_, DbError, _>(|conn| {
                    // The reserved guess stands; the one that reaches the limit locks the account.
                    let lock = diesel::update(
                        o::aml_officers
                            .filter(o::id.eq(id))
                            .filter(o::locked_until.le(now))
                            .filter(o::failed_logins.ge(MAX_FAILED_SIGN_INS)),
                    )
                    .set((o::failed_logins.eq(0), o::locked_until.eq(now + LOCKOUT_SECONDS)))
                    .execute(conn)?
                        == 1;
                    append_in(
                        conn,
                        "officer_sign_in_failed",
                        &json!({"username": username, "reason": reason, "locked": lock}).to_string(),
                        now,
                    )?;
                    Ok(lock)
                })
            })?;
            return Ok(Err(if locked { SignInRefusal::Locked } else { SignInRefusal::WrongCredentials }));
        }
        let token = random_token()?;
        let csrf = random_token()?;
        let hashed = token_hash(&token);
        self.database.run_blocking(|conn| {
            conn.transaction::<_, DbError, _>(|conn| {
                diesel::update(o::aml_officers.filter(o::id.eq(id)))
                    .set((o::failed_logins.eq(0), o::locked_until.eq(0_i64), o::last_login_at.eq(Some(now))))
                    .execute(conn)?;
                // Expired sessions of everyone go with each sign-in: the table stays small.
                diesel::delete(s::aml_officer_sessions.filter(s::expires_at.le(now))).execute(conn)?;
                diesel::insert_into(s::aml_officer_sessions)
                    .values((
                        s::token_hash.eq(&hashed),
                        s::officer_id.eq(id),
                        s::csrf_token.eq(&csrf),
                        s::created_at.eq(now),
                        s::expires_at.eq(now + SESSION_IDLE_SECONDS),
                    ))
                    .execute(conn)?;
                append_in(conn, "officer_sign_in", &json!({"username": username}).to_string(), now)?;
                Ok(())
            })
        })?;
        Ok(Ok(NewSession { token, officer: Officer { id, username, display_name } }))
    }

    /// Audits a refused sign-in: the officer's name when the account exists, nothing typed when
    /// it does not.
    fn audit_failure(&self, username: Option<&str>, reason: &str, now: i64) -> Result<()> {
        let payload = match username {
            Some(username) => json!({"username": username, "reason": reason}),
            None => json!({"reason": reason}),
        }
        .to_string();
        self.database.run_blocking(|conn| {
            conn.transaction::<_, DbError, _>(|conn| append_in(conn, "officer_sign_in_failed", &payload, now))
        })?;
        Ok(())
    }

    /// The session of a cookie token, if it is live; extends its idle expiry. Blocking.
    pub fn session(&self, token: &str, now: i64) -> Result<Option<Session>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hashed = token_hash(token);
        Ok(self.database.run_blocking(|conn| {
            let row: Option<(i64, String, i64, i64, String, String, bool)> = s::aml_officer_sessions
                .inner_join(o::aml_officers.on(o::id.eq(s::officer_id)))
                .select((
                    s::officer_id,
                    s::csrf_token,
                    s::created_at,
                    s::expires_at,
                    o::username,
                    o::display_name,
                    o::active,
                ))
                .filter(s::token_hash.eq(&hashed))
                .first(conn)
                .optional()?;
            let Some((id, csrf_token, created_at, expires_at, username, display_name, active)) = row else {
                return Ok(None);
            };
            if !active || expires_at <= now || created_at + SESSION_MAX_SECONDS <= now {
                diesel::delete(s::aml_officer_sessions.filter(s::token_hash.eq(&hashed))).execute(conn)?;
                return Ok(None);
            }
            let extended = (now + SESSION_IDLE_SECONDS).min(created_at + SESSION_MAX_SECONDS);
            // One write a minute at most per session, not one per page.
            if extended - expires_at >= 60 {
                diesel::update(s::aml_officer_sessions.filter(s::token_hash.eq(&hashed)))
                    .set(s::expires_at.eq(extended))
                    .execute(conn)?;
            }
            Ok(Some(Session { officer: Officer { id, username, display_name }, csrf_token }))
        })?)
    }

    /// Ends a session (sign-out). Blocking.
    pub fn sign_out(&self, token: &str, officer: &Officer, now: i64) -> Result<()> {
        let hashed = token_hash(token);
        let username = officer.username.clone();
        self.database.run_blocking(|conn| {
            conn.transaction::<_, DbError, _>(|conn| {
                diesel::delete(s::aml_officer_sessions.filter(s::token_hash.eq(&hashed))).execute(conn)?;
                append_in(conn, "officer_sign_out", &json!({"username": username}).to_string(), now)?;
                Ok(())
            })
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
