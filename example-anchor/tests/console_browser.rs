//! The compliance officer console in a real browser: a real example-anchor (SQLite) with a
//! sanctions list excerpt, an officer created with the CLI and two cases opened by real
//! screenings; then `tests/browser/console.mjs` drives headless Chromium through the console
//! (sign in, the queue, clear a case as a false positive, the audit trail, sign out), and the
//! admin JSON API confirms what the browser did. Screenshots land in
//! `target/console-screenshots/`. See docs/console-testing.md.
//!
//! Needs `node`, `/usr/bin/chromium` and `npm ci --prefix example-anchor/tests/browser`, so it is
//! ignored by a plain `cargo test` and runs with `--include-ignored` (as `.ci/run` runs it), where
//! a missing prerequisite fails it.

#![allow(clippy::expect_used, reason = "in tests a panic is the failure report")]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anchor_core::testing;
use serde_json::{json, Value};
use support::{account, internal_json, sep10_token, Bank};

/// The monitoring test's excerpt: both names open a case when a customer registers with them.
const LIST: &str = "id,name,kind\na,Ivan Petrovich Sidorov,person\nd,Maria Gonzalez Ruiz,person\n";
const CHROMIUM: &str = "/usr/bin/chromium";
const BROWSER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");
const OFFICER: &str = "alice";
const OFFICER_NAME: &str = "Alice Officer";
const OFFICER_PASSWORD: &str = "violet-harbour-lantern-7291";
const REASON: &str = "Different date of birth and nationality";

/// What the browser test needs and this machine lacks.
fn missing_prerequisites() -> Vec<String> {
    let mut missing = Vec::new();
    let node = Command::new("node").arg("--version").output();
    if !node.map(|output| output.status.success()).unwrap_or(false) {
        missing.push("`node` is not on PATH (Node.js 20 or newer)".to_string());
    }
    if !Path::new(CHROMIUM).exists() {
        missing.push(format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    if !Path::new(BROWSER_DIR).join("node_modules/playwright-core").is_dir() {
        missing.push(
            "playwright-core is not installed (npm ci --prefix example-anchor/tests/browser)".to_string(),
        );
    }
    missing
}

/// Registers customer `n` over SEP-12; a listed name is screened and opens a case.
async fn put_customer(bank: &Bank, n: u8, first: &str, last: &str) {
    let response = reqwest::Client::new()
        .put(format!("{}/kyc/customer", bank.public))
        .bearer_auth(sep10_token(bank, &account(n)))
        .json(&json!({"first_name": first, "last_name": last}))
        .send()
        .await
        .expect("PUT /kyc/customer");
    assert_eq!(response.status().as_u16(), 202, "SEP-12 PUT of {first} {last}");
}

async fn get(bank: &Bank, path: &str) -> Value {
    let (status, body) = internal_json(bank, reqwest::Method::GET, path, None).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// `officers create` with the password on stdin, as an operator would run it.
fn create_officer(bank: &Bank) {
    let mut child = support::command(bank.dir.path(), &bank.env)
        .args(["officers", "create", OFFICER, "--name", OFFICER_NAME, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start `example-anchor officers create`");
    // Dropping stdin after the line closes it, so the CLI sees the end of its input.
    child
        .stdin
        .take()
        .expect("the CLI's stdin")
        .write_all(format!("{OFFICER_PASSWORD}\n").as_bytes())
        .expect("write the password to the CLI");
    let output = child.wait_with_output().expect("wait for `officers create`");
    assert!(
        output.status.success(),
        "`officers create` failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `<workspace>/target/console-screenshots/`, emptied of an earlier run's pictures.
fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace directory");
    let dir = workspace.join("target").join("console-screenshots");
    std::fs::create_dir_all(&dir).expect("create target/console-screenshots");
    for entry in std::fs::read_dir(&dir).expect("read target/console-screenshots").flatten() {
        if entry.path().extension().is_some_and(|extension| extension == "png") {
            std::fs::remove_file(entry.path()).expect("remove an old screenshot");
        }
    }
    dir
}

#[tokio::test]
#[ignore = "needs node, /usr/bin/chromium and npm ci --prefix example-anchor/tests/browser; run with --include-ignored"]
async fn an_officer_clears_a_false_positive_in_the_console_in_a_real_browser() {
    testing::require_prerequisites("the officer console in headless Chromium", &missing_prerequisites());

    let bank = support::start_bank(testing::sqlite_database(), "sep-1,sep-10,sep-12", LIST, &[]).await;
    create_officer(&bank);

    // Two listed customers register: two open cases. Maria is the false positive the officer
    // clears in the browser; Ivan's case must stay in the queue.
    put_customer(&bank, 2, "Ivan", "Petrovich Sidorov").await;
    put_customer(&bank, 3, "Maria", "Gonzalez Ruiz").await;
    let open = get(&bank, "/admin/aml/cases?status=open").await;
    let open = open.as_array().expect("the open cases as a JSON array");
    let case_of = |entry: &str| {
        open.iter()
            .find(|case| case["entry_id"] == entry)
            .and_then(|case| case["id"].as_i64())
            .unwrap_or_else(|| panic!("no open case for list entry {entry}: {open:?}"))
    };
    let (case_id, other_case_id) = (case_of("d"), case_of("a"));

    let screenshots = screenshot_dir();
    let script = Path::new(BROWSER_DIR).join("console.mjs");
    let env = [
        ("CONSOLE_URL", format!("{}/admin/", bank.internal)),
        ("OFFICER_USERNAME", OFFICER.to_string()),
        ("OFFICER_PASSWORD", OFFICER_PASSWORD.to_string()),
        ("OFFICER_NAME", OFFICER_NAME.to_string()),
        ("CASE_ID", case_id.to_string()),
        ("OTHER_CASE_ID", other_case_id.to_string()),
        ("CLEAR_REASON", REASON.to_string()),
        ("SCREENSHOT_DIR", screenshots.display().to_string()),
        ("CHROMIUM", CHROMIUM.to_string()),
    ];
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(&script).envs(env).output().expect("run node tests/browser/console.mjs")
    })
    .await
    .expect("the browser test's thread");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test failed ({}); screenshots in {}:\n{stdout}\n{stderr}",
        output.status,
        screenshots.display()
    );
    println!("{stdout}{stderr}");

    // What the browser did, as the admin JSON API sees it.
    let cleared = get(&bank, &format!("/admin/aml/cases/{case_id}")).await;
    assert_eq!(cleared["status"], "cleared", "{cleared}");
    // The console names the officer by display name, with the username when it adds it.
    let decided_by = cleared["decided_by"].as_str().unwrap_or_default();
    assert!(
        decided_by == OFFICER_NAME || decided_by == format!("{OFFICER_NAME} ({OFFICER})"),
        "decided_by is {decided_by:?}, expected the officer's display name {OFFICER_NAME:?}: {cleared}"
    );
    assert_eq!(cleared["decision_reason"], REASON, "{cleared}");
    let check = get(&bank, &format!("/admin/aml/check/{}", account(3))).await;
    assert!(check["frozen"].is_null(), "the cleared customer is still frozen: {check}");
    let other = get(&bank, &format!("/admin/aml/cases/{other_case_id}")).await;
    assert_eq!(other["status"], "open", "{other}");
    let verdict = get(&bank, "/admin/aml/audit/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
}
