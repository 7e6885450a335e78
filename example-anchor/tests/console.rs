//! The officer console in the real binary: on the internal listener only, officers managed
//! with `officers create|list|disable`, sign-in with what the command set.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

mod support;

use std::io::Write as _;
use std::process::{Output, Stdio};

use anchor_core::testing::test_databases;
use support::{command, start_bank, Bank};

const LIST: &str = "id,name,kind\np1,Ivan Petrovich Sidorov,person\n";
const PASSWORD: &str = "correct horse battery staple";

/// `officers …` with `stdin` written to the command's standard input.
fn officers(bank: &Bank, args: &[&str], stdin: &str) -> Output {
    let mut child = command(bank.dir.path(), &bank.env)
        .arg("officers")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Signs in on `base` and answers the status and whether a session cookie came back.
async fn sign_in(base: &str, password: &str) -> (u16, bool) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = client.get(format!("{base}/admin/login")).send().await.unwrap();
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|pair| pair.starts_with("anchor_console_csrf="))
        .expect("the sign-in form sets its CSRF cookie");
    let csrf = cookie.split_once('=').unwrap().1.to_string();
    let reply = client
        .post(format!("{base}/admin/login"))
        .header("cookie", cookie)
        .form(&[("csrf", csrf.as_str()), ("next", "/admin/"), ("username", "alice"), ("password", password)])
        .send()
        .await
        .unwrap();
    let session = reply.headers().get_all("set-cookie").iter().any(|value| {
        value.to_str().unwrap().starts_with("anchor_console_session=")
            && !value.to_str().unwrap().starts_with("anchor_console_session=;")
    });
    (reply.status().as_u16(), session)
}

#[tokio::test]
async fn the_console_is_on_the_internal_listener_only_and_its_officers_come_from_the_command_line() {
    let database = test_databases().into_iter().next().unwrap();
    let bank = start_bank(database, "sep10,sep12", LIST, &[]).await;

    let created = officers(
        &bank,
        &["create", "alice", "--name", "Alice Officer", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(created.status.success(), "{}", text(&created));
    let again = officers(
        &bank,
        &["create", "alice", "--name", "Alice Again", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    let weak = officers(&bank, &["create", "bob", "--name", "Bob", "--password-stdin"], "short\n");
    assert_eq!(weak.status.code(), Some(1));
    assert!(text(&weak).contains("at least 12 characters"), "{}", text(&weak));
    let listed = officers(&bank, &["list"], "");
    assert!(listed.status.success());
    assert!(
        text(&listed).contains("alice")
            && text(&listed).contains("Alice Officer")
            && !text(&listed).contains("bob")
    );

    // Never on the public listener.
    for path in ["/admin/", "/admin/login", "/admin/cases", "/admin/static/console.css", "/admin/favicon.svg"]
    {
        let reply = reqwest::get(format!("{}{path}", bank.public)).await.unwrap();
        assert_eq!(reply.status().as_u16(), 404, "public {path}");
    }
    let login = reqwest::get(format!("{}/admin/login", bank.internal)).await.unwrap();
    assert_eq!(login.status().as_u16(), 200);
    // The icon the pages link, and the one a browser asks the internal listener's root for.
    let icon = reqwest::get(format!("{}/admin/favicon.svg", bank.internal)).await.unwrap();
    assert_eq!(icon.status().as_u16(), 200, "internal /admin/favicon.svg");
    let ico = reqwest::get(format!("{}/favicon.ico", bank.internal)).await.unwrap();
    assert_eq!(ico.status().as_u16(), 204, "internal /favicon.ico");
    assert!(login.text().await.unwrap().contains("id=\"login\""));
    // The JSON API beside it still wants its key.
    let api = reqwest::get(format!("{}/admin/aml/stats", bank.internal)).await.unwrap();
    assert_eq!(api.status().as_u16(), 401);

    assert_eq!(sign_in(&bank.internal, PASSWORD).await, (303, true));
    assert_eq!(sign_in(&bank.internal, "not the password!").await, (401, false));
    let disabled = officers(&bank, &["disable", "alice"], "");
    assert!(disabled.status.success(), "{}", text(&disabled));
    assert_eq!(sign_in(&bank.internal, PASSWORD).await, (401, false), "a disabled officer cannot sign in");
    let enabled = officers(&bank, &["enable", "alice"], "");
    assert!(enabled.status.success());
    assert_eq!(sign_in(&bank.internal, PASSWORD).await, (303, true));
}
