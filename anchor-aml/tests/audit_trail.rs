//! The audit trail in the real database (every backend): appends chain, list imports are
//! audited, and tampering directly in the database is detected and named.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use anchor_aml::{load_source, parse_source, AuditTrail, AuditVerdict, ImportPolicy, ListStore};
use anchor_core::testing::test_databases;
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
