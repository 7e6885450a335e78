//! The AML monitoring story on real example-anchor processes, on every backend: a list is
//! imported; customers register over SEP-12; a listed customer is frozen at once and refused on
//! SEP-10, SEP-12 and SEP-3; a scan screens everyone; the officer clears a false positive and it
//! stays cleared on the next scan; a list update adds a name and the delta rescan run by the
//! server's background worker flags the existing customer.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

mod support;

use std::time::Duration;

use anchor_core::testing;
use serde_json::{json, Value};
use support::{account, internal_json, officer_post, officer_token, register, run_cli, sep10_token, Bank};

const LIST_V1: &str = "id,name,kind\na,Ivan Petrovich Sidorov,person\nd,Maria Gonzalez Ruiz,person\n";
const LIST_V2: &str =
    "id,name,kind\na,Ivan Petrovich Sidorov,person\nd,Maria Gonzalez Ruiz,person\ng,Peter Quentin Novak,person\n";
const SENDER: &str = "GBEEAAVX5GMUEWFL6Q6UQUAH3WAPGNFSIQCI6YXVGXTCPOZ22PGFWMEC";

async fn put_customer(bank: &Bank, n: u8, first: &str, last: &str) -> u16 {
    let response = reqwest::Client::new()
        .put(format!("{}/kyc/customer", bank.public))
        .bearer_auth(sep10_token(bank, &account(n)))
        .json(&json!({"first_name": first, "last_name": last}))
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

async fn get_customer(bank: &Bank, n: u8) -> u16 {
    let response = reqwest::Client::new()
        .get(format!("{}/kyc/customer", bank.public))
        .bearer_auth(sep10_token(bank, &account(n)))
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

async fn challenge(bank: &Bank, n: u8) -> (u16, Value) {
    let response = reqwest::get(format!("{}/auth?account={}", bank.public, account(n))).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn cases(bank: &Bank, query: &str) -> Vec<Value> {
    let (status, body) =
        internal_json(bank, reqwest::Method::GET, &format!("/admin/aml/cases?{query}"), None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

async fn frozen(bank: &Bank, n: u8) -> bool {
    let (status, body) =
        internal_json(bank, reqwest::Method::GET, &format!("/admin/aml/check/{}", account(n)), None).await;
    assert_eq!(status, 200, "{body}");
    !body["frozen"].is_null()
}

async fn run_scan(bank: &Bank) -> Value {
    let (status, body) =
        internal_json(bank, reqwest::Method::POST, "/admin/aml/scan", Some(json!({"requested_by": "test"})))
            .await;
    assert_eq!(status, 202, "{body}");
    let id = body["scan_id"].as_i64().unwrap();
    for _ in 0..200 {
        let (_, scan) =
            internal_json(bank, reqwest::Method::GET, &format!("/admin/aml/scans/{id}"), None).await;
        if scan["status"] == "completed" || scan["status"] == "failed" {
            return scan;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("scan {id} did not finish");
}

#[tokio::test]
async fn listed_customers_are_frozen_refused_everywhere_reviewed_and_rescreened_on_list_updates() {
    let backends: Vec<&'static str> =
        testing::test_databases().iter().map(|database| database.name).collect();
    for backend in backends {
        let database = || testing::test_databases().into_iter().find(|d| d.name == backend).unwrap();
        let b = support::start_bank(
            database(),
            "sep-1,sep-10,sep-12,sep-3",
            LIST_V1,
            &[("AML_SYNC_INTERVAL", "1")],
        )
        .await;
        let a = support::start_bank(
            database(),
            "sep-1,sep-3",
            "id,name,kind\nz,Nobody Listed Here,person\n",
            &[],
        )
        .await;

        // Customers register over SEP-12; the listed one is frozen on arrival.
        assert_eq!(put_customer(&b, 1, "Alice", "Example").await, 202, "{backend}");
        assert_eq!(put_customer(&b, 2, "Ivan", "Petrovich Sidorov").await, 202, "{backend}");
        assert_eq!(put_customer(&b, 3, "Maria", "Gonzalez Ruiz").await, 202, "{backend}");
        assert_eq!(put_customer(&b, 4, "Peter", "Quentin Novak").await, 202, "{backend}");
        assert!(frozen(&b, 2).await, "{backend}: Ivan is not frozen");
        assert!(frozen(&b, 3).await, "{backend}: Maria is not frozen");
        assert!(!frozen(&b, 1).await && !frozen(&b, 4).await, "{backend}");

        // Refused on SEP-10, SEP-12 and SEP-3, with nothing said about lists or scores.
        let (status, body) = challenge(&b, 2).await;
        assert_eq!(status, 403, "{backend}: {body}");
        let message = body["error"].as_str().unwrap().to_ascii_lowercase();
        assert!(
            !message.contains("sanction") && !message.contains("list") && !message.contains("score"),
            "{message}"
        );
        assert_eq!(challenge(&b, 1).await.0, 200, "{backend}");
        assert_eq!(get_customer(&b, 2).await, 403, "{backend}");
        assert_eq!(get_customer(&b, 1).await, 200, "{backend}");
        register(&b, "ivan", &account(2), "1", json!({"first_name": "Ivan"})).await;
        register(&b, "alice", &account(1), "2", json!({"first_name": "Alice"})).await;
        register(&a, "aldi", SENDER, "1", json!({"first_name": "Aldi", "last_name": "Dobbs"})).await;
        let refused = support::send(&a, &b, "pay-frozen", SENDER, "aldi", "ivan").await;
        assert_eq!(refused["auth_response"]["tx_status"], "denied", "{backend}: {refused}");
        let approved = support::send(&a, &b, "pay-ok", SENDER, "aldi", "alice").await;
        assert_eq!(approved["auth_response"]["tx_status"], "ok", "{backend}: {approved}");

        // A scan screens everyone and finds nothing new.
        let scan = run_scan(&b).await;
        assert_eq!(scan["status"], "completed", "{backend}: {scan}");
        assert!(scan["screened"].as_i64().unwrap() >= 4, "{backend}: {scan}");

        // The officer clears Maria (a namesake) with a reason: unfrozen, and the next scan keeps
        // her cleared.
        let open = cases(&b, "status=open").await;
        assert_eq!(open.len(), 2, "{backend}: {open:?}");
        let maria = open.iter().find(|case| case["entry_id"] == "d").unwrap();
        let id = maria["id"].as_i64().unwrap();
        let olga = officer_token(&b, "olga", "Olga Officer");
        let clear = format!("/admin/aml/cases/{id}/clear");
        let (status, body) = officer_post(&b, &olga, &clear, json!({})).await;
        assert_eq!(status, 400, "{backend}: a decision without a reason: {body}");
        let (status, body) =
            officer_post(&b, &olga, &clear, json!({"reason": "born 1991, the listed person 1958"})).await;
        assert_eq!(status, 200, "{backend}: {body}");
        assert_eq!(body["decided_by"], "Olga Officer (olga)", "{backend}");
        assert!(!frozen(&b, 3).await, "{backend}");
        assert_eq!(challenge(&b, 3).await.0, 200, "{backend}");
        run_scan(&b).await;
        assert!(!frozen(&b, 3).await, "{backend}: the cleared false positive came back");
        assert_eq!(cases(&b, &format!("subject_id={}", maria["subject_id"])).await.len(), 1, "{backend}");

        // A list update adds Peter: the server's background worker runs the delta rescan.
        std::fs::write(b.dir.path().join("v2.csv"), LIST_V2).unwrap();
        let imported = run_cli(&b, &["lists", "import", "--source", "custom:internal", "--file", "v2.csv"]);
        assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
        let mut flagged = false;
        for _ in 0..100 {
            if frozen(&b, 4).await {
                flagged = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(flagged, "{backend}: the delta rescan did not flag Peter");
        assert_eq!(get_customer(&b, 4).await, 403, "{backend}");
        let (_, scans) = internal_json(&b, reqwest::Method::GET, "/admin/aml/scans", None).await;
        assert!(
            scans
                .as_array()
                .unwrap()
                .iter()
                .any(|scan| scan["kind"] == "delta" && scan["status"] == "completed"),
            "{backend}: {scans}"
        );

        // The audit trail holds all of it and verifies.
        let (status, verdict) =
            internal_json(&b, reqwest::Method::GET, "/admin/aml/audit/verify", None).await;
        assert_eq!(status, 200);
        assert_eq!(verdict["intact"], true, "{backend}: {verdict}");
    }
}

#[tokio::test]
async fn a_scanner_killed_mid_scan_resumes_and_screens_every_subject_exactly_once() {
    use anchor_aml::{AmlMonitor, MonitorConfig};
    use anchor_core::integrations::sanctions::ScreeningSubject;

    const SUBJECTS: usize = 6_000;
    for database in testing::test_databases() {
        let backend = database.name;
        let dir = tempfile::tempdir().unwrap();
        let (env, ..) =
            support::bank_env(&database, "sep-1", &[("AML_BATCH_SIZE", "5"), ("AML_SCAN_LEASE", "1")]);
        let migrated = support::command(dir.path(), &env).arg("migrate").output().unwrap();
        assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
        std::fs::write(dir.path().join("list.csv"), LIST_V1).unwrap();
        let imported = support::command(dir.path(), &env)
            .args(["lists", "import", "--source", "custom:internal", "--file", "list.csv"])
            .output()
            .unwrap();
        assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));

        let settings = testing::settings(&[]);
        let monitor =
            AmlMonitor::open(database.database(), MonitorConfig::from_settings(&settings.aml), None).unwrap();
        let subjects = (0..SUBJECTS).map(|n| {
            let mut subject = ScreeningSubject::named(format!("Customer {n} Example"));
            subject.stellar_accounts.push(account((n % 250) as u8));
            (format!("sep12:bulk:{n}"), subject)
        });
        assert_eq!(monitor.enrol_subjects(subjects).unwrap(), SUBJECTS);

        // A scanner process, killed (SIGKILL) once it has committed a few batches.
        let mut scanner = support::command(dir.path(), &env)
            .args(["aml", "scan"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut killed_at = None;
        for _ in 0..3000 {
            let running = monitor.scans(10).unwrap().into_iter().find(|scan| scan.screened >= 50);
            if let Some(scan) = running {
                killed_at = Some(scan.id);
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // SIGKILL: no chance to release the lease or finish the batch in flight.
        let _ = scanner.kill();
        let _ = scanner.wait();
        let scan_id = killed_at.unwrap_or_else(|| panic!("{backend}: the scanner never started"));
        let interrupted = monitor.scan(scan_id).unwrap();
        assert!(
            interrupted.screened < SUBJECTS as i64,
            "{backend}: the scan finished before it could be killed: {interrupted:?}"
        );

        // A new scanner process takes the scan over once the lease expires, and finishes it.
        let resumed = support::command(dir.path(), &env).args(["aml", "scan", "--wait"]).output().unwrap();
        assert!(resumed.status.success(), "{backend}: {}", String::from_utf8_lossy(&resumed.stderr));
        let finished = monitor.scan(scan_id).unwrap();
        assert_eq!(finished.status, anchor_aml::ScanStatus::Completed, "{backend}: {finished:?}");
        let batches = monitor.scan_batches(scan_id).unwrap();
        let screened: i64 = batches.iter().map(|batch| batch.2).sum();
        assert_eq!(screened, SUBJECTS as i64, "{backend}: every subject exactly once");
        assert!(batches.windows(2).all(|pair| pair[0].1 < pair[1].0), "{backend}: a subject screened twice");
        let owners: std::collections::HashSet<&String> = batches.iter().map(|batch| &batch.3).collect();
        assert_eq!(owners.len(), 2, "{backend}: the batches of both processes");
        assert_eq!(finished.screened, SUBJECTS as i64, "{backend}");
    }
}
