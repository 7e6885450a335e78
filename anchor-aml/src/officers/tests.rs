//! Officer accounts and sessions: passwords and session tokens are stored only as hashes (argon2id,
//! SHA-256), bad names, short passwords and duplicates are refused, sessions expire when idle and
//! in any case, disabling an officer or changing the password ends every session, and a sign-in
//! lock ends after its time or with a new password.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

use anchor_core::db::schema::aml_officer_sessions::dsl as s;
use anchor_core::db::schema::aml_officers::dsl as o;
use anchor_core::testing::test_databases;
use diesel::prelude::*;

use super::*;

const PASSWORD: &str = "correct horse battery staple";

fn officers() -> Officers {
    Officers::new(test_databases().into_iter().next().unwrap().database())
}

#[test]
fn passwords_are_stored_as_argon2id_hashes_never_as_given() {
    let officers = officers();
    officers.create("alice", "Alice Officer", PASSWORD, 100).unwrap();
    let stored: String = officers
        .database
        .run_blocking(|conn| Ok(o::aml_officers.select(o::password_hash).first(conn)?))
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains(PASSWORD));
}

#[test]
fn account_rules_refuse_bad_names_short_passwords_and_duplicates() {
    let officers = officers();
    for name in ["", "has space", "x".repeat(65).as_str(), "semi;colon"] {
        assert!(matches!(officers.create(name, "N", PASSWORD, 1), Err(Error::Invalid(_))), "{name:?}");
    }
    assert!(matches!(officers.create("bob", "Bob", "short", 1), Err(Error::Invalid(_))));
    assert!(matches!(officers.create("bob", "  ", PASSWORD, 1), Err(Error::Invalid(_))));
    officers.create("bob", "Bob", PASSWORD, 1).unwrap();
    let again = officers.create("bob", "Bob Again", PASSWORD, 2);
    assert!(matches!(again, Err(Error::Invalid(message)) if message.contains("already exists")));
    assert!(matches!(officers.set_password("nobody", PASSWORD, 3), Err(Error::NotFound(_))));
}

#[test]
fn a_session_is_stored_as_a_hash_and_expires_when_idle_and_in_any_case() {
    let officers = officers();
    officers.create("alice", "Alice Officer", PASSWORD, 0).unwrap();
    let session = officers.sign_in("alice", PASSWORD, 1_000).unwrap().unwrap();
    let stored: Vec<String> = officers
        .database
        .run_blocking(|conn| Ok(s::aml_officer_sessions.select(s::token_hash).load(conn)?))
        .unwrap();
    assert_eq!(stored, vec![token_hash(&session.token)]);
    assert_ne!(stored[0], session.token);
    let live = officers.session(&session.token, 1_000 + 60).unwrap().expect("live");
    assert_eq!(live.officer.display_name, "Alice Officer");
    assert_eq!(live.csrf_token.len(), 64);
    // Idle for longer than the idle limit: gone.
    assert!(officers.session(&session.token, 1_060 + SESSION_IDLE_SECONDS + 1).unwrap().is_none());
    // Busy all day: still gone at the absolute limit.
    let busy = officers.sign_in("alice", PASSWORD, 10_000).unwrap().unwrap();
    let mut at = 10_000;
    while at < 10_000 + SESSION_MAX_SECONDS - 600 {
        at += 600;
        assert!(officers.session(&busy.token, at).unwrap().is_some(), "at {at}");
    }
    assert!(officers.session(&busy.token, 10_000 + SESSION_MAX_SECONDS).unwrap().is_none());
    assert!(officers.session("not a token", 10_001).unwrap().is_none());
}

#[test]
fn disabling_an_officer_or_changing_the_password_ends_every_session() {
    let officers = officers();
    officers.create("alice", "Alice Officer", PASSWORD, 0).unwrap();
    let first = officers.sign_in("alice", PASSWORD, 10).unwrap().unwrap();
    officers.set_active("alice", false, 20).unwrap();
    assert!(officers.session(&first.token, 21).unwrap().is_none());
    assert_eq!(
        officers.sign_in("alice", PASSWORD, 22).unwrap().unwrap_err(),
        SignInRefusal::WrongCredentials
    );
    officers.set_active("alice", true, 30).unwrap();
    let second = officers.sign_in("alice", PASSWORD, 31).unwrap().unwrap();
    officers.set_password("alice", "another long password", 40).unwrap();
    assert!(officers.session(&second.token, 41).unwrap().is_none());
    assert!(officers.sign_in("alice", PASSWORD, 42).unwrap().is_err());
    assert!(officers.sign_in("alice", "another long password", 43).unwrap().is_ok());
}

#[test]
fn a_lock_ends_after_its_time_and_a_new_password_lifts_it() {
    let officers = officers();
    officers.create("alice", "Alice Officer", PASSWORD, 0).unwrap();
    for attempt in 1..=MAX_FAILED_SIGN_INS {
        let refusal = officers.sign_in("alice", "wrong wrong wrong", 100).unwrap().unwrap_err();
        let expected = if attempt == MAX_FAILED_SIGN_INS {
            SignInRefusal::Locked
        } else {
            SignInRefusal::WrongCredentials
        };
        assert_eq!(refusal, expected, "attempt {attempt}");
    }
    assert_eq!(officers.sign_in("alice", PASSWORD, 101).unwrap().unwrap_err(), SignInRefusal::Locked);
    assert!(officers.sign_in("alice", PASSWORD, 100 + LOCKOUT_SECONDS + 1).unwrap().is_ok());
    for _ in 0..MAX_FAILED_SIGN_INS {
        let _ = officers.sign_in("alice", "wrong wrong wrong", 5_000).unwrap();
    }
    officers.set_password("alice", "a brand new password", 5_001).unwrap();
    assert!(officers.sign_in("alice", "a brand new password", 5_002).unwrap().is_ok());
}
