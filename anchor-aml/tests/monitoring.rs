//! The AML monitor on every backend: screening on arrival, freezes, cases and decisions, scans
//! in committed batches, leases between instances, delta rescans after a list update.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::time::Duration;

use anchor_aml::{
    load_source, parse_source, AmlMonitor, CaseDecision, CaseFilter, CaseStatus, ListStore, MonitorConfig,
    ScanStatus,
};
use anchor_core::integrations::sanctions::ScreeningSubject;
use anchor_core::testing::test_databases;
use anchor_core::{Database, ScreeningRegistry, Sensitive};
use anchor_screening::{ImportPolicy, ScreeningConfig};

const V1: &str = "id,name,kind\na,Ivan Petrovich Sidorov,person\nd,Maria Gonzalez Ruiz,person\n";
const V2: &str = "id,name,kind\na,Ivan Petrovich Sidorov,person\nd,Maria Gonzalez Ruiz,person\ng,Peter Quentin Novak,person\n";

fn account(n: u8) -> String {
    stellar_strkey::ed25519::PublicKey([n; 32]).to_string().as_str().to_owned()
}

fn import(database: &Database, csv: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.csv");
    std::fs::write(&path, csv).unwrap();
    let loaded = load_source(&parse_source("custom:internal").unwrap(), &path).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    ListStore::new(database.clone()).import(&loaded, &ImportPolicy::default(), now).unwrap();
}

fn config(batch_size: u32) -> MonitorConfig {
    MonitorConfig {
        screening: ScreeningConfig::default(),
        scan_interval: Duration::from_secs(86_400),
        batch_size,
        scan_lease: Duration::from_secs(60),
        sync_interval: Duration::from_secs(5),
        allowlist_expiry: Duration::from_secs(86_400),
        audit_retention_days: 2557,
        freeze_scope: Default::default(),
    }
}

fn customer(name: &str, n: u8) -> ScreeningSubject {
    let mut subject = ScreeningSubject::named(name);
    subject.stellar_accounts.push(account(n));
    subject
}

#[tokio::test]
async fn a_listed_customer_is_frozen_on_arrival_and_an_officer_decision_sticks_on_every_backend() {
    for test_db in test_databases() {
        let database = test_db.database();
        import(&database, V1);
        let monitor = AmlMonitor::open(database.clone(), config(2), None).unwrap();
        let name = test_db.name;

        monitor.record_subject("sep12:a", customer("Alice Example", 1)).await.unwrap();
        monitor.record_subject("sep12:ivan", customer("Ivan Petrovich Sidorov", 2)).await.unwrap();
        monitor.record_subject("sep12:maria", customer("Maria Gonzalez Ruiz", 3)).await.unwrap();
        assert!(!monitor.is_frozen(&account(1)).await.unwrap(), "{name}");
        assert!(monitor.is_frozen(&account(2)).await.unwrap(), "{name}");
        assert!(monitor.is_frozen(&account(3)).await.unwrap(), "{name}");

        let open =
            monitor.cases(&CaseFilter { status: Some(CaseStatus::Open), ..CaseFilter::default() }).unwrap();
        assert_eq!(open.len(), 2, "{name}: {open:?}");
        let maria = open.iter().find(|case| case.entry_id == "d").unwrap();

        // A decision needs a reason; a false positive is cleared and unfrozen.
        assert!(monitor
            .decide_case(maria.id, &CaseDecision::Clear { allow_until: None }, "olga", " ")
            .is_err());
        let cleared = monitor
            .decide_case(maria.id, &CaseDecision::Clear { allow_until: None }, "olga", "different person")
            .unwrap();
        assert_eq!(cleared.status, CaseStatus::Cleared);
        assert!(!monitor.is_frozen(&account(3)).await.unwrap(), "{name}");

        // A full scan screens everyone once, in batches, and does not bring Maria back.
        let scan = monitor.request_scan("test").unwrap();
        let done = monitor.run_due_scans(&mut |_| {}).unwrap();
        let summary = done.iter().find(|s| s.id == scan).unwrap();
        assert_eq!(summary.status, ScanStatus::Completed, "{name}");
        assert_eq!(summary.screened, 3, "{name}");
        let batches = monitor.scan_batches(scan).unwrap();
        assert_eq!(batches.len(), 2, "{name}: batch size 2 over 3 subjects");
        assert!(batches.windows(2).all(|pair| pair[0].1 < pair[1].0), "{name}: ranges overlap");
        assert!(!monitor.is_frozen(&account(3)).await.unwrap(), "{name}: cleared case came back");
        let maria_cases = monitor
            .cases(&CaseFilter { subject_id: Some(maria.subject_id), ..CaseFilter::default() })
            .unwrap();
        assert_eq!(maria_cases.len(), 1, "{name}");

        // Confirming Ivan keeps him frozen; unfreezing needs a reason and is audited.
        let ivan = open.iter().find(|case| case.entry_id == "a").unwrap();
        monitor.decide_case(ivan.id, &CaseDecision::Confirm, "olga", "same DOB and passport").unwrap();
        assert!(monitor.is_frozen(&account(2)).await.unwrap());
        assert!(monitor.unfreeze(&account(2), "olga", "").is_err());
        monitor.unfreeze(&account(2), "olga", "court order 12/2026").unwrap();
        assert!(!monitor.is_frozen(&account(2)).await.unwrap());
        monitor.request_scan("test").unwrap();
        monitor.run_due_scans(&mut |_| {}).unwrap();
        assert!(
            !monitor.is_frozen(&account(2)).await.unwrap(),
            "{name}: a rescan undid the officer's unfreeze"
        );

        // A list update adds a name: the delta rescan flags the existing customer.
        monitor.record_subject("sep12:peter", customer("Peter Quentin Novak", 4)).await.unwrap();
        assert!(!monitor.is_frozen(&account(4)).await.unwrap());
        import(&database, V2);
        monitor.tick().unwrap();
        assert!(monitor.is_frozen(&account(4)).await.unwrap(), "{name}: delta rescan missed the new entry");
        let delta =
            monitor.scans(10).unwrap().into_iter().find(|scan| scan.key.starts_with("delta:")).unwrap();
        assert_eq!(delta.status, ScanStatus::Completed);

        // Erasure keeps the fingerprint but no personal field.
        monitor.erase_subject("sep12:a").await.unwrap();
        let audit = anchor_aml::AuditTrail::new(database.clone());
        assert!(matches!(audit.verify().unwrap(), anchor_aml::AuditVerdict::Intact { .. }), "{name}");
        let kinds: Vec<String> = audit.records(None, None).unwrap().into_iter().map(|r| r.kind).collect();
        for kind in [
            "screening",
            "screening_hit",
            "freeze",
            "case_decision",
            "unfreeze",
            "scan_completed",
            "subject_erased",
        ] {
            assert!(kinds.iter().any(|k| k == kind), "{name}: no {kind} record in {kinds:?}");
        }
        let _ = Sensitive::new(());
    }
}

#[tokio::test]
async fn two_instances_on_one_database_run_each_scan_once() {
    for test_db in test_databases() {
        let database = test_db.database();
        import(&database, V1);
        let first = AmlMonitor::open(database.clone(), config(3), None).unwrap();
        let second = AmlMonitor::open(test_db.database(), config(3), None).unwrap();
        let subjects: Vec<(String, ScreeningSubject)> = (0..40u8)
            .map(|n| (format!("sep12:c{n}"), customer(&format!("Customer Number {n}"), n)))
            .collect();
        first.enrol_subjects(subjects).unwrap();
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        first.schedule_scans(now).unwrap();
        second.schedule_scans(now).unwrap();
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| first.run_due_scans(&mut |_| {}).unwrap());
            let b = scope.spawn(|| second.run_due_scans(&mut |_| {}).unwrap());
            (a.join().unwrap(), b.join().unwrap())
        });
        let scans = first.scans(100).unwrap();
        let full: Vec<_> = scans.iter().filter(|scan| scan.key.starts_with("full:")).collect();
        assert_eq!(full.len(), 1, "{}: one full scan for the period", test_db.name);
        assert!(scans.iter().all(|scan| scan.status == ScanStatus::Completed), "{}: {scans:?}", test_db.name);
        let batches = first.scan_batches(full[0].id).unwrap();
        let screened: i64 = batches.iter().map(|batch| batch.2).sum();
        assert_eq!(
            screened,
            40,
            "{}: every subject exactly once ({} + {} summaries)",
            test_db.name,
            a.len(),
            b.len()
        );
        assert!(
            batches.windows(2).all(|pair| pair[0].1 < pair[1].0),
            "{}: overlapping batches",
            test_db.name
        );
    }
}

#[tokio::test]
async fn an_account_that_authenticates_is_screened_by_address_once_and_frozen_when_listed() {
    let listed = account(9);
    let csv = format!("id,name,kind,address\nx,,,{listed}\n");
    for test_db in test_databases() {
        let database = test_db.database();
        import(&database, &csv);
        let monitor = AmlMonitor::open(database.clone(), config(10), None).unwrap();
        monitor.record_authenticated(&account(8)).await.unwrap();
        monitor.record_authenticated(&account(8)).await.unwrap();
        assert!(!monitor.is_frozen(&account(8)).await.unwrap(), "{}", test_db.name);
        monitor.record_authenticated(&listed).await.unwrap();
        assert!(
            monitor.is_frozen(&listed).await.unwrap(),
            "{}: a listed address authenticated",
            test_db.name
        );
        let stats = monitor.stats().unwrap();
        assert_eq!(stats.subjects, 2, "{}: each account recorded once", test_db.name);
    }
}

/// On PostgreSQL and MySQL ids become visible out of order: a subject whose id is below a
/// running scan's cursor can commit after the cursor passed it. The scan must still screen it.
#[tokio::test]
async fn a_scan_screens_a_subject_that_committed_behind_its_cursor() {
    use anchor_core::db::schema::aml_subjects::dsl as s;
    use diesel::prelude::*;
    for test_db in test_databases() {
        let database = test_db.database();
        let name = test_db.name;
        import(&database, V1);
        let monitor = AmlMonitor::open(database.clone(), config(2), None).unwrap();
        for (n, customer_name) in
            [(1, "Alice Example"), (2, "Bob Example"), (3, "Carol Example"), (4, "Dave Example")]
        {
            monitor.record_subject(&format!("sep12:{n}"), customer(customer_name, n)).await.unwrap();
        }
        // The second subject's id stands for one taken by a transaction that commits late.
        let gap: i64 = database
            .run_blocking(|conn| {
                let ids: Vec<i64> = s::aml_subjects.select(s::id).order(s::id.asc()).load(conn)?;
                diesel::delete(s::aml_subjects.filter(s::id.eq(ids[1]))).execute(conn)?;
                Ok(ids[1])
            })
            .unwrap();
        let late = account(9);
        let scan = monitor.request_scan("test").unwrap();
        let mut committed_late = false;
        let done = monitor
            .run_due_scans(&mut |_| {
                if committed_late {
                    return;
                }
                committed_late = true;
                // After the first batch (ids up to and past the gap): the late subject commits,
                // screened on arrival against a list that did not name him yet.
                let accounts = serde_json::to_string(std::slice::from_ref(&late)).unwrap();
                let now = chrono::Utc::now().timestamp();
                database
                    .run_blocking(move |conn| {
                        diesel::insert_into(s::aml_subjects)
                            .values((
                                s::id.eq(gap),
                                s::subject_key.eq("sep12:late"),
                                s::origin.eq("sep12"),
                                s::names_json.eq(Some("[\"Ivan Petrovich Sidorov\"]")),
                                s::accounts_json.eq(accounts),
                                s::fingerprint.eq("late"),
                                s::status.eq("clear"),
                                s::created_at.eq(now),
                                s::updated_at.eq(now),
                            ))
                            .execute(conn)?;
                        Ok(())
                    })
                    .unwrap();
            })
            .unwrap();
        assert!(committed_late, "{name}: the scan ran no batch");
        let summary = done.iter().find(|summary| summary.id == scan).unwrap();
        assert_eq!(summary.status, ScanStatus::Completed, "{name}");
        assert!(
            monitor.is_frozen(&late).await.unwrap(),
            "{name}: the scan skipped a subject behind its cursor"
        );
        let cases = monitor.cases(&CaseFilter { subject_id: Some(gap), ..CaseFilter::default() }).unwrap();
        assert_eq!(cases.len(), 1, "{name}: {cases:?}");
    }
}
