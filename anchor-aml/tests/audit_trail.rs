//! The audit trail in the real database (every backend): appends chain, list imports are
//! audited, and tampering directly in the database is detected and named — including the attacks
//! a keyless chain cannot see (a cut tail, a re-hashed chain), which the signed checkpoints catch,
//! and a forged checkpoint.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use anchor_aml::{
    load_source, parse_source, record_hash, verify_export, AuditTrail, AuditVerdict, ListStore, GENESIS_HASH,
};
use anchor_core::keys::SigningKey;
use anchor_core::testing::{test_databases, TEST_SEED, TEST_SIGNING_KEY};
use anchor_screening::ImportPolicy;
use diesel::connection::SimpleConnection as _;

fn trail_with_records(database: &anchor_core::Database, count: i64) -> AuditTrail {
    let trail = AuditTrail::new(database.clone());
    for n in 1..=count {
        let record = trail.append("test_event", &serde_json::json!({ "n": n }), 1_000 + n).unwrap();
        assert_eq!(record.seq, n);
    }
    trail
}

fn tamper(database: &anchor_core::Database, sql: &str) {
    database.run_blocking(|conn| Ok(conn.batch_execute(sql)?)).unwrap();
}

fn broken_at(trail: &AuditTrail) -> (i64, String) {
    match trail.verify().unwrap() {
        AuditVerdict::Broken { seq, problem } => (seq, problem),
        intact => panic!("tampering not detected: {intact:?}"),
    }
}

#[test]
fn an_untouched_trail_verifies_on_every_backend() {
    for test_db in test_databases() {
        let database = test_db.database();
        let trail = trail_with_records(&database, 5);
        let AuditVerdict::Intact { records, head, .. } = trail.verify().unwrap() else {
            panic!("{}", test_db.name)
        };
        assert_eq!(records, 5);
        assert_eq!(head, trail.head().unwrap());
    }
}

#[test]
fn an_edited_record_is_named_on_every_backend() {
    for test_db in test_databases() {
        let database = test_db.database();
        let trail = trail_with_records(&database, 5);
        tamper(&database, "UPDATE aml_audit_log SET payload = '{\"n\":99}' WHERE seq = 3");
        let (seq, problem) = broken_at(&trail);
        assert_eq!(seq, 3, "{}: {problem}", test_db.name);
        assert!(problem.contains("edited"), "{problem}");
    }
}

#[test]
fn a_deleted_record_is_named_on_every_backend() {
    for test_db in test_databases() {
        let database = test_db.database();
        let trail = trail_with_records(&database, 5);
        tamper(&database, "DELETE FROM aml_audit_log WHERE seq = 2");
        let (seq, problem) = broken_at(&trail);
        assert_eq!(seq, 2, "{}: {problem}", test_db.name);
        assert!(problem.contains("missing"), "{problem}");
    }
}

#[test]
fn reordered_records_are_named_on_every_backend() {
    for test_db in test_databases() {
        let database = test_db.database();
        let trail = trail_with_records(&database, 5);
        // Swap records 3 and 4 through a free position.
        tamper(
            &database,
            "UPDATE aml_audit_log SET seq = 1000 WHERE seq = 3; \
             UPDATE aml_audit_log SET seq = 3 WHERE seq = 4; \
             UPDATE aml_audit_log SET seq = 4 WHERE seq = 1000;",
        );
        let (seq, problem) = broken_at(&trail);
        assert_eq!(seq, 3, "{}: {problem}", test_db.name);
        assert!(problem.contains("does not follow record 2"), "{problem}");
    }
}

#[test]
fn list_imports_and_refusals_are_audited_in_the_same_transaction() {
    for test_db in test_databases() {
        let database = test_db.database();
        let store = ListStore::new(database.clone());
        let dir = tempfile::tempdir().unwrap();
        let source = parse_source("custom:blocklist").unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let full = write(
            "v1.csv",
            "id,name\na,Alpha One\nb,Bravo Two\nc,Charlie Three\nd,Delta Four\ne,Echo Five\n",
        );
        store.import(&load_source(&source, &full).unwrap(), &ImportPolicy::default(), 10).unwrap();
        let cut = write("cut.csv", "id,name\na,Alpha One\n");
        assert!(store.import(&load_source(&source, &cut).unwrap(), &ImportPolicy::default(), 20).is_err());

        let records = AuditTrail::new(database).records(None, None).unwrap();
        let kinds: Vec<&str> = records.iter().map(|record| record.kind.as_str()).collect();
        assert_eq!(kinds, ["list_import", "list_import_refused"], "{}", test_db.name);
        assert!(records[0].payload.contains("\"added\":5"), "{}", records[0].payload);
        assert!(records[1].payload.contains("below 80%"), "{}", records[1].payload);
        assert_eq!(
            anchor_aml::verify_chain(&records),
            AuditVerdict::Intact { records: 2, head: records[1].hash.clone(), checkpoints: 0 }
        );
    }
}

#[test]
fn a_retention_purge_keeps_the_rest_verifiable_and_tampering_after_it_is_still_named() {
    for test_db in test_databases() {
        let database = test_db.database();
        let trail = trail_with_records(&database, 6);
        // Records 1..=6 were written at 1001..=1006; purge what is older than 1004.
        assert_eq!(trail.purge_before(1_004, 2_000).unwrap(), 3, "{}", test_db.name);
        let AuditVerdict::Intact { records, .. } = trail.verify().unwrap() else {
            panic!("{}: purged trail does not verify", test_db.name)
        };
        assert_eq!(records, 4, "{}: records 4, 5, 6 and the purge record", test_db.name);
        let kinds: Vec<String> = trail.records(None, None).unwrap().into_iter().map(|r| r.kind).collect();
        assert_eq!(kinds.last().map(String::as_str), Some(anchor_aml::RETENTION_PURGE));

        // Deleting the oldest remaining record is not a purge: it is named.
        tamper(&database, "DELETE FROM aml_audit_log WHERE seq = 4");
        let (seq, problem) = broken_at(&trail);
        assert_eq!(seq, 1, "{}: {problem}", test_db.name);
    }
}

fn anchor_key() -> SigningKey {
    SigningKey::from_seed(TEST_SEED).unwrap()
}

/// Five records, a checkpoint (record 6 carries it), then four more records.
fn anchored_trail(database: &anchor_core::Database) -> AuditTrail {
    let trail = AuditTrail::signed(database.clone(), anchor_key());
    for n in 1..=5 {
        trail.append("test_event", &serde_json::json!({ "n": n }), 1_000 + n).unwrap();
    }
    let checkpoint = trail.checkpoint("test", 1_100).unwrap();
    assert_eq!((checkpoint.seq, checkpoint.public_key.as_str()), (5, TEST_SIGNING_KEY));
    for n in 7..=10 {
        trail.append("test_event", &serde_json::json!({ "n": n }), 1_200 + n).unwrap();
    }
    let AuditVerdict::Intact { records, checkpoints, .. } = trail.verify().unwrap() else {
        panic!("not intact")
    };
    assert_eq!((records, checkpoints), (10, 1));
    trail
}

#[test]
fn audit_verify_detects_deleted_tail_after_checkpoint() {
    for test_db in test_databases() {
        let database = test_db.database();
        let trail = anchored_trail(&database);
        // The attacker cuts everything after record 3: the chain that is left is internally whole.
        tamper(&database, "DELETE FROM aml_audit_log WHERE seq > 3");
        assert!(
            matches!(AuditTrail::new(database.clone()).verify().unwrap(), AuditVerdict::Intact { .. }),
            "{}: a keyless chain check cannot see a cut tail",
            test_db.name
        );
        let (seq, problem) = broken_at(&trail);
        assert_eq!(seq, 4, "{}: {problem}", test_db.name);
        assert!(
            problem.contains(
                "the trail ends at record 3 but the checkpoint of 1970-01-01 00:18:20 UTC signed record 5"
            ) && problem.contains("records 4..5 are missing"),
            "{}: {problem}",
            test_db.name
        );
    }
}

#[test]
fn audit_verify_detects_rehashed_chain() {
    for test_db in test_databases() {
        let database = test_db.database();
        let trail = anchored_trail(&database);
        // The attacker edits record 2 and recomputes every hash from there, as the keyless chain
        // allows: the chain itself is consistent again.
        tamper(&database, "UPDATE aml_audit_log SET payload = '{\"n\":99}' WHERE seq = 2");
        let mut prev = GENESIS_HASH.to_string();
        for record in trail.records(None, None).unwrap() {
            let hash = record_hash(&prev, record.seq, record.recorded_at, &record.kind, &record.payload);
            tamper(
                &database,
                &format!(
                    "UPDATE aml_audit_log SET prev_hash = '{prev}', hash = '{hash}' WHERE seq = {}",
                    record.seq
                ),
            );
            prev = hash;
        }
        assert!(
            matches!(AuditTrail::new(database.clone()).verify().unwrap(), AuditVerdict::Intact { .. }),
            "{}: the re-hashed chain is consistent on its own",
            test_db.name
        );
        let (seq, problem) = broken_at(&trail);
        assert_eq!(seq, 5, "{}: {problem}", test_db.name);
        assert!(problem.contains("re-hashed"), "{}: {problem}", test_db.name);
    }
}

#[test]
fn audit_verify_detects_forged_checkpoint() {
    for test_db in test_databases() {
        let database = test_db.database();
        let trail = anchored_trail(&database);
        // Cut the tail, then move the checkpoint down to the new head: without the key the
        // signature cannot follow.
        tamper(&database, "DELETE FROM aml_audit_log WHERE seq > 3");
        let head = trail.head().unwrap();
        tamper(&database, &format!("UPDATE aml_audit_checkpoints SET seq = 3, hash = '{head}'"));
        let (seq, problem) = broken_at(&trail);
        assert_eq!(seq, 3, "{}: {problem}", test_db.name);
        assert!(problem.contains("forged"), "{}: {problem}", test_db.name);

        // A checkpoint signed with another key is forged too.
        let fresh = test_databases().into_iter().find(|db| db.name == test_db.name).unwrap();
        let database = fresh.database();
        let trail = anchored_trail(&database);
        let mallory = AuditTrail::signed(database.clone(), SigningKey::from_bytes([7; 32]));
        mallory.checkpoint("mallory", 1_300).unwrap();
        let (_, problem) = broken_at(&trail);
        assert!(
            problem.contains("forged") && problem.contains(TEST_SIGNING_KEY),
            "{}: {problem}",
            test_db.name
        );
    }
}

#[test]
fn an_export_carries_its_checkpoint_and_is_verified_with_the_public_key_alone() {
    for test_db in test_databases() {
        let database = test_db.database();
        let trail = anchored_trail(&database);
        let checkpoint = trail.checkpoint("export (test)", 1_400).unwrap();
        let mut records = trail.records(None, None).unwrap();
        let last = records.last().unwrap();
        assert_eq!((last.kind.as_str(), last.seq), (anchor_aml::CHECKPOINT_KIND, checkpoint.seq + 1));
        let AuditVerdict::Intact { checkpoints, .. } = verify_export(&records, TEST_SIGNING_KEY) else {
            panic!("{}: export does not verify", test_db.name)
        };
        assert_eq!(checkpoints, 2, "{}", test_db.name);
        // An auditor holding this export later sees a re-hashed record it vouches for.
        records[4].hash = "f".repeat(64);
        assert!(matches!(verify_export(&records, TEST_SIGNING_KEY), AuditVerdict::Broken { .. }));
    }
}
