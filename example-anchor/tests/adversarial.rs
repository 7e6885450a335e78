//! The compliance promise under adversarial use, against the real example-anchor binary over
//! real HTTP, on every backend (SQLite always; PostgreSQL and MariaDB when their test URLs are
//! set). Each test is named after the attack it defeats and asserts what a compliance officer
//! needs: the listed person frozen, the frozen identity refused, the data kept, the freeze held.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

mod support;

use std::time::Duration;

use anchor_core::testing;
use reqwest::Method;
use serde_json::{json, Value};
use support::{account, internal_json, register, run_cli, sep10_token, Bank};

/// Ivan is listed (born 1958); "Maria Gonzalez" scores in the review band against Maria
/// Gonzalez Ruiz, "Maria Gonzalez Ruiz" is a match.
const LIST_V1: &str =
    "id,name,kind,birth_date\na,Ivan Petrovich Sidorov,person,1958-03-02\nd,Maria Gonzalez Ruiz,person,\n";
/// V1 and Peter Quentin Novak.
const LIST_V2: &str = "id,name,kind,birth_date\na,Ivan Petrovich Sidorov,person,1958-03-02\nd,Maria Gonzalez Ruiz,person,\ng,Peter Quentin Novak,person,\n";

async fn put_customer(bank: &Bank, sub: &str, fields: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .put(format!("{}/kyc/customer", bank.public))
        .bearer_auth(sep10_token(bank, sub))
        .json(&fields)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get_customer(bank: &Bank, sub: &str) -> u16 {
    let response = reqwest::Client::new()
        .get(format!("{}/kyc/customer", bank.public))
        .bearer_auth(sep10_token(bank, sub))
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

async fn delete_customer(bank: &Bank, sub: &str, account: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .delete(format!("{}/kyc/customer/{account}", bank.public))
        .bearer_auth(sep10_token(bank, sub))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `GET /auth` for an account, with an optional memo.
async fn challenge(bank: &Bank, account: &str, memo: Option<&str>) -> u16 {
    let memo = memo.map(|memo| format!("&memo={memo}")).unwrap_or_default();
    reqwest::get(format!("{}/auth?account={account}{memo}", bank.public)).await.unwrap().status().as_u16()
}

/// What the admin API says of an identity (`G…`, `G…:id:5`): its freeze, if any.
async fn freeze_of(bank: &Bank, identity: &str) -> Value {
    let (status, body) =
        internal_json(bank, Method::GET, &format!("/admin/aml/check/{identity}"), None).await;
    assert_eq!(status, 200, "{body}");
    body["frozen"].clone()
}

async fn cases(bank: &Bank, query: &str) -> Vec<Value> {
    let (status, body) = internal_json(bank, Method::GET, &format!("/admin/aml/cases?{query}"), None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

/// An officer's decision through the admin API (`clear` or `confirm`), with the officer's own
/// API token.
async fn decide(bank: &Bank, officer: &str, case: i64, action: &str, reason: &str) -> (u16, Value) {
    support::officer_post(
        bank,
        officer,
        &format!("/admin/aml/cases/{case}/{action}"),
        json!({"reason": reason}),
    )
    .await
}

/// Polls `check` (bounded) until it holds; the list-update tests wait for the server's own
/// background worker.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..150 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what}");
}

fn import(bank: &Bank, csv: &str) {
    std::fs::write(bank.dir.path().join("update.csv"), csv).unwrap();
    let imported = run_cli(bank, &["lists", "import", "--source", "custom:internal", "--file", "update.csv"]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
}

/// Runs `test` once per configured backend, each with a fresh database.
async fn each_backend<F, Fut>(list: &str, extra: &[(&str, &str)], test: F)
where
    F: Fn(Bank, &'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let backends: Vec<&'static str> =
        testing::test_databases().iter().map(|database| database.name).collect();
    for backend in backends {
        let database = testing::test_databases().into_iter().find(|d| d.name == backend).unwrap();
        let bank = support::start_bank(database, "sep-1,sep-10,sep-12", list, extra).await;
        test(bank, backend).await;
    }
}

#[tokio::test]
async fn names_split_across_two_puts_are_screened_as_one_person() {
    each_backend(LIST_V1, &[], |bank, backend| async move {
        let ivan = account(1);
        let (status, body) =
            put_customer(&bank, &ivan, json!({"first_name": "Ivan", "birth_date": "1958-03-02"})).await;
        assert_eq!(status, 202, "{backend}: {body}");
        assert!(freeze_of(&bank, &ivan).await.is_null(), "{backend}: a given name alone is no match");
        let (status, body) = put_customer(&bank, &ivan, json!({"last_name": "Petrovich Sidorov"})).await;
        assert_eq!(status, 202, "{backend}: {body}");
        assert!(!freeze_of(&bank, &ivan).await.is_null(), "{backend}: the whole person was not screened");
        assert_eq!(get_customer(&bank, &ivan).await, 403, "{backend}");
        assert_eq!(challenge(&bank, &ivan, None).await, 403, "{backend}");

        // The other order: the family name alone opens a review case; completing the name with
        // the date of birth turns that case into a match, and the match freezes.
        let other = account(12);
        let (status, _) = put_customer(&bank, &other, json!({"last_name": "Petrovich Sidorov"})).await;
        assert_eq!(status, 202, "{backend}");
        let (status, _) =
            put_customer(&bank, &other, json!({"first_name": "Ivan", "birth_date": "1958-03-02"})).await;
        assert_eq!(status, 202, "{backend}");
        assert!(!freeze_of(&bank, &other).await.is_null(), "{backend}: a review case hid the match");
    })
    .await;
}

#[tokio::test]
async fn names_split_across_two_concurrent_puts_are_screened_as_one_person() {
    each_backend(LIST_V1, &[], |bank, backend| async move {
        // Several rounds, each a fresh customer: the two halves race every time.
        for n in 20..24 {
            let ivan = account(n);
            let given = json!({"first_name": "Ivan", "birth_date": "1958-03-02"});
            let family = json!({"last_name": "Petrovich Sidorov"});
            let (first, second) =
                tokio::join!(put_customer(&bank, &ivan, given), put_customer(&bank, &ivan, family));
            // A PUT may be told to retry (503) when the other changed the customer under it;
            // the client then sends it again, as SEP-12 clients do.
            for (status, body) in [&first, &second] {
                assert!(*status == 202 || *status == 503, "{backend}: {status} {body}");
            }
            if first.0 == 503 {
                put_customer(&bank, &ivan, json!({"first_name": "Ivan", "birth_date": "1958-03-02"})).await;
            }
            if second.0 == 503 {
                put_customer(&bank, &ivan, json!({"last_name": "Petrovich Sidorov"})).await;
            }
            assert!(
                !freeze_of(&bank, &ivan).await.is_null(),
                "{backend}: concurrent halves of a listed name escaped screening ({first:?} {second:?})"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_birth_date_only_put_keeps_the_names_that_later_list_updates_screen() {
    each_backend(LIST_V1, &[("AML_SYNC_INTERVAL", "1")], |bank, backend| async move {
        let peter = account(2);
        let (status, _) =
            put_customer(&bank, &peter, json!({"first_name": "Peter", "last_name": "Quentin Novak"})).await;
        assert_eq!(status, 202, "{backend}");
        let (status, _) = put_customer(&bank, &peter, json!({"birth_date": "1970-05-05"})).await;
        assert_eq!(status, 202, "{backend}");
        let subject = cases(&bank, "status=open").await;
        assert!(subject.is_empty(), "{backend}: Peter is not listed yet: {subject:?}");
        // The list update adds Peter: the delta rescan must still see his names.
        import(&bank, LIST_V2);
        eventually(&format!("{backend}: the delta rescan did not flag Peter"), || async {
            !freeze_of(&bank, &peter).await.is_null()
        })
        .await;
        assert_eq!(get_customer(&bank, &peter).await, 403, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn a_frozen_customer_cannot_erase_itself() {
    each_backend(LIST_V1, &[], |bank, backend| async move {
        let maria = account(3);
        let (status, _) =
            put_customer(&bank, &maria, json!({"first_name": "Maria", "last_name": "Gonzalez Ruiz"})).await;
        assert_eq!(status, 202, "{backend}");
        assert!(!freeze_of(&bank, &maria).await.is_null(), "{backend}");
        let (status, body) = delete_customer(&bank, &maria, &maria).await;
        assert_eq!(status, 403, "{backend}: a frozen customer erased itself: {body}");
        let message = body["error"].as_str().unwrap_or_default().to_ascii_lowercase();
        assert!(!message.contains("sanction") && !message.contains("list"), "{backend}: {message}");
        // Nothing was erased: the case still shows the screened customer, the freeze holds.
        let open = cases(&bank, "status=open").await;
        assert_eq!(open.len(), 1, "{backend}: {open:?}");
        let (_, case) =
            internal_json(&bank, Method::GET, &format!("/admin/aml/cases/{}", open[0]["id"]), None).await;
        assert_eq!(case["subject"]["names"], json!(["Maria Gonzalez Ruiz"]), "{backend}: {case}");
        assert_eq!(challenge(&bank, &maria, None).await, 403, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn erasing_a_customer_under_review_keeps_the_case_and_confirming_it_still_freezes() {
    each_backend(LIST_V1, &[], |bank, backend| async move {
        let olga = support::officer_token(&bank, "olga", "Olga Officer");
        let maria = account(4);
        let (status, _) =
            put_customer(&bank, &maria, json!({"first_name": "Maria", "last_name": "Gonzalez"})).await;
        assert_eq!(status, 202, "{backend}");
        let open = cases(&bank, "status=open").await;
        assert_eq!(open.len(), 1, "{backend}: a review case was expected: {open:?}");
        assert_eq!(open[0]["decision"], "review", "{backend}");
        assert!(freeze_of(&bank, &maria).await.is_null(), "{backend}: a review case does not freeze");
        let (status, body) = delete_customer(&bank, &maria, &maria).await;
        assert_eq!(status, 200, "{backend}: {body}");
        // The case keeps what was screened, and confirming it freezes the erased identity.
        let id = open[0]["id"].as_i64().unwrap();
        let (_, case) = internal_json(&bank, Method::GET, &format!("/admin/aml/cases/{id}"), None).await;
        assert_eq!(case["subject_snapshot"]["names"], json!(["Maria Gonzalez"]), "{backend}: {case}");
        assert_eq!(case["freeze_targets"], json!([maria]), "{backend}: {case}");
        let (status, body) =
            decide(&bank, &olga, id, "confirm", "the same person, confirmed by her passport").await;
        assert_eq!(status, 200, "{backend}: {body}");
        assert!(!freeze_of(&bank, &maria).await.is_null(), "{backend}: confirming froze nothing");
        assert_eq!(challenge(&bank, &maria, None).await, 403, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn one_memo_customers_match_freezes_that_customer_not_the_whole_custodial_account() {
    each_backend(LIST_V1, &[], |bank, backend| async move {
        let wallet = account(5);
        let (alice, ivan) = (format!("{wallet}:1"), format!("{wallet}:2"));
        assert_eq!(
            put_customer(&bank, &alice, json!({"first_name": "Alice", "last_name": "Example"})).await.0,
            202
        );
        assert_eq!(put_customer(&bank, &ivan, json!({"first_name": "Ivan"})).await.0, 202, "{backend}");
        let (status, _) =
            put_customer(&bank, &ivan, json!({"last_name": "Petrovich Sidorov", "birth_date": "1958-03-02"}))
                .await;
        assert_eq!(status, 202, "{backend}");
        // Ivan (memo 2) is frozen as that customer; the wallet and its other customers are served.
        assert!(!freeze_of(&bank, &format!("{wallet}:id:2")).await.is_null(), "{backend}");
        assert!(freeze_of(&bank, &wallet).await.is_null(), "{backend}: the whole custodial account froze");
        assert_eq!(get_customer(&bank, &ivan).await, 403, "{backend}");
        assert_eq!(challenge(&bank, &wallet, Some("2")).await, 403, "{backend}");
        assert_eq!(get_customer(&bank, &alice).await, 200, "{backend}");
        assert_eq!(challenge(&bank, &wallet, Some("1")).await, 200, "{backend}");
        assert_eq!(challenge(&bank, &wallet, None).await, 200, "{backend}");
        // The same customer as a muxed account is the same frozen identity.
        let key = stellar_strkey::ed25519::PublicKey([5; 32]);
        let muxed = stellar_strkey::ed25519::MuxedAccount { ed25519: key.0, id: 2 }.to_string();
        assert_eq!(challenge(&bank, muxed.as_str(), None).await, 403, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn clearing_one_customers_false_positive_keeps_a_shared_account_frozen_for_anothers_match() {
    each_backend(
        LIST_V1,
        &[("AML_SYNC_INTERVAL", "1"), ("AML_FREEZE_SCOPE", "account")],
        |bank, backend| async move {
            let olga = support::officer_token(&bank, "olga", "Olga Officer");
            let wallet = account(6);
            // Two customers of one custodial account, both clean until the list changes.
            let (peter, novak) = (format!("{wallet}:1"), format!("{wallet}:2"));
            assert_eq!(
                put_customer(
                    &bank,
                    &peter,
                    json!({"first_name": "Peter", "last_name": "Quentin Novak", "birth_date": "1990-01-01"})
                )
                .await
                .0,
                202
            );
            assert_eq!(
                put_customer(
                    &bank,
                    &novak,
                    json!({"first_name": "Peter", "last_name": "Quentin Novak", "birth_date": "1961-07-07"})
                )
                .await
                .0,
                202
            );
            import(&bank, LIST_V2);
            eventually(&format!("{backend}: the delta rescan did not open both cases"), || async {
                cases(&bank, "status=open").await.len() == 2
            })
            .await;
            assert!(
                !freeze_of(&bank, &wallet).await.is_null(),
                "{backend}: scope `account` freezes the account"
            );
            let open = cases(&bank, "status=open").await;
            // The officer clears the first customer's case: the second's match still holds the account.
            let (first, second) = (open[0]["id"].as_i64().unwrap(), open[1]["id"].as_i64().unwrap());
            let (status, body) =
                decide(&bank, &olga, first, "clear", "a namesake: other date of birth").await;
            assert_eq!(status, 200, "{backend}: {body}");
            assert!(
                !freeze_of(&bank, &wallet).await.is_null(),
                "{backend}: another customer's open match was released"
            );
            assert_eq!(challenge(&bank, &wallet, None).await, 403, "{backend}");
            // Only when no case holds it is the account served again.
            let (status, body) = decide(&bank, &olga, second, "clear", "also a namesake").await;
            assert_eq!(status, 200, "{backend}: {body}");
            assert!(freeze_of(&bank, &wallet).await.is_null(), "{backend}");
            assert_eq!(challenge(&bank, &wallet, None).await, 200, "{backend}");
        },
    )
    .await;
}

#[tokio::test]
async fn a_racing_clear_and_confirm_of_one_case_commit_exactly_one() {
    each_backend(LIST_V1, &[], |bank, backend| async move {
        let olga = support::officer_token(&bank, "olga", "Olga Officer");
        let maria = account(7);
        assert_eq!(
            put_customer(&bank, &maria, json!({"first_name": "Maria", "last_name": "Gonzalez Ruiz"})).await.0,
            202
        );
        let id = cases(&bank, "status=open").await[0]["id"].as_i64().unwrap();
        let (clear, confirm) = tokio::join!(
            decide(&bank, &olga, id, "clear", "namesake"),
            decide(&bank, &olga, id, "confirm", "same person")
        );
        let mut statuses = [clear.0, confirm.0];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{backend}: {clear:?} {confirm:?}");
        let (_, case) = internal_json(&bank, Method::GET, &format!("/admin/aml/cases/{id}"), None).await;
        let winner = if clear.0 == 200 { "cleared" } else { "confirmed" };
        assert_eq!(case["status"], winner, "{backend}: {case}");
        // The freeze follows the decision that committed.
        assert_eq!(freeze_of(&bank, &maria).await.is_null(), winner == "cleared", "{backend}");
        assert_eq!(
            decide(&bank, &olga, id, "confirm", "again").await.0,
            409,
            "{backend}: a decided case was decided again"
        );
    })
    .await;
}

#[tokio::test]
async fn a_scan_request_without_a_body_starts_a_full_scan() {
    each_backend(LIST_V1, &[], |bank, backend| async move {
        let response = reqwest::Client::new()
            .post(format!("{}/admin/aml/scan", bank.internal))
            .bearer_auth(testing::TEST_ADMIN_API_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 202, "{backend}");
        let body: Value = response.json().await.unwrap();
        let id = body["scan_id"].as_i64().unwrap();
        eventually(&format!("{backend}: scan {id} did not complete"), || async {
            let (_, scan) = internal_json(&bank, Method::GET, &format!("/admin/aml/scans/{id}"), None).await;
            scan["status"] == "completed"
        })
        .await;
        let (_, scan) = internal_json(&bank, Method::GET, &format!("/admin/aml/scans/{id}"), None).await;
        // A requested scan is a full rescan of every subject, recorded as `manual`.
        assert_eq!(scan["kind"], "manual", "{backend}: {scan}");
    })
    .await;
}

#[tokio::test]
async fn an_anchor_without_a_list_says_so_on_health_and_fails_closed() {
    let database = testing::test_databases().into_iter().next().unwrap();
    let mut bank = support::start_bank_without_list(database, "sep-1,sep-10,sep-12", &[]).await;
    let health: Value = reqwest::get(format!("{}/health", bank.public)).await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["screening"], "not_ready", "{health}");
    let problem = health["screening_problem"].as_str().unwrap();
    assert!(problem.contains("no sanctions list") && problem.contains("lists update"), "{problem}");
    let _ = bank.child.kill();
    let mut stdout = String::new();
    use std::io::Read as _;
    bank.child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert!(stdout.contains("no sanctions list is loaded"), "start-up did not say so: {stdout}");
}

/// A sender known to the sending bank's federation directory.
const SENDER: &str = "GBEEAAVX5GMUEWFL6Q6UQUAH3WAPGNFSIQCI6YXVGXTCPOZ22PGFWMEC";

/// Two banks on one backend: A sends, B receives (and screens with `b_list`).
async fn two_banks(backend: &str, a_list: &str, b_list: &str) -> (Bank, Bank) {
    let database = || testing::test_databases().into_iter().find(|d| d.name == backend).unwrap();
    let b = support::start_bank(database(), "sep-1,sep-10,sep-12,sep-3", b_list, &[]).await;
    let a = support::start_bank(database(), "sep-1,sep-3", a_list, &[]).await;
    (a, b)
}

fn backends() -> Vec<&'static str> {
    testing::test_databases().iter().map(|database| database.name).collect()
}

#[tokio::test]
async fn a_sep3_counterparty_that_changes_its_details_keeps_its_cases() {
    for backend in backends() {
        let (a, b) = two_banks(backend, "id,name,kind\nz,Nobody Listed Here,person\n", LIST_V1).await;
        register(&b, "alice", &account(9), "1", json!({"first_name": "Alice"})).await;
        register(&a, "maria", SENDER, "1", json!({"first_name": "Maria", "last_name": "Gonzalez Ruiz"}))
            .await;
        let first = support::send(&a, &b, "pay-1", SENDER, "maria", "alice").await;
        assert_eq!(first["auth_response"]["tx_status"], "denied", "{backend}: {first}");
        // The same counterparty comes back with other details: its match case still stands.
        register(&a, "maria", SENDER, "1", json!({"first_name": "M.", "last_name": "Ruiz"})).await;
        let second = support::send(&a, &b, "pay-2", SENDER, "maria", "alice").await;
        assert_eq!(
            second["auth_response"]["tx_status"], "denied",
            "{backend}: changed details shed the case: {second}"
        );
    }
}

#[tokio::test]
async fn send_refuses_a_destination_whose_account_is_listed() {
    for backend in backends() {
        let listed = account(10);
        let a_list = format!("id,name,kind,address\nx,Listed Wallet,organization,{listed}\n");
        let (a, b) = two_banks(backend, &a_list, LIST_V1).await;
        register(&b, "bob", &listed, "1", json!({"first_name": "Bob"})).await;
        register(&b, "carol", &account(11), "2", json!({"first_name": "Carol"})).await;
        register(&a, "aldi", SENDER, "1", json!({"first_name": "Aldi", "last_name": "Dobbs"})).await;
        let (status, body) = support::internal(
            &a,
            Method::POST,
            "/send",
            &[
                ("id", "pay-listed"),
                ("source", SENDER),
                ("sender", &format!("aldi*{}", a.domain)),
                ("destination", &format!("bob*{}", b.domain)),
                ("amount", "10"),
            ],
        )
        .await;
        assert_eq!(status, 403, "{backend}: a payment to a listed account was sent: {body}");
        let allowed = support::send(&a, &b, "pay-ok", SENDER, "aldi", "carol").await;
        assert_eq!(allowed["auth_response"]["tx_status"], "ok", "{backend}: {allowed}");
    }
}
