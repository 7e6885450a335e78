//! Hostile names against the real example-anchor binary over real HTTP, on every backend
//! (SQLite always; PostgreSQL and MariaDB when their test URLs are set). Screening a name used
//! to cost time cubic in the length of its longest token (security review C1): one long name
//! held the SQLite write lock or an actix worker for minutes. Each test is named after the
//! attack: the hostile input is refused with a 400 naming the field and its limit, the longest
//! accepted name is answered, and other requests are served meanwhile.
//!
//! Time is never asserted: every request goes through a client with a generous timeout
//! (`CLIENT_TIMEOUT`), so an answer at all is the proof that the server refused or answered
//! rather than worked on the input for minutes. The per-screen figures are measured by
//! `cargo bench -p anchor-screening --bench screening` (docs/benchmarks.md).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

mod support;

use std::time::Duration;

use anchor_core::testing;
use serde_json::{json, Value};
use support::{account, register, sep10_token, Bank};

/// Far above any honest answer, far below "minutes".
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest name part accepted (SEP-9 name fields, SEP-3 `sender_info` names).
const MAX_NAME_CHARS: usize = anchor_core::integrations::customer::MAX_NAME_CHARS;

const LIST: &str = "id,name,kind,birth_date\na,Ivan Petrovich Sidorov,person,1958-03-02\n";

/// A sender known to the sending bank's federation directory.
const SENDER: &str = "GBEEAAVX5GMUEWFL6Q6UQUAH3WAPGNFSIQCI6YXVGXTCPOZ22PGFWMEC";

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(CLIENT_TIMEOUT).build().unwrap()
}

/// A name of exactly `chars` characters: Cyrillic words of 15 letters (щ transliterates to
/// four letters: up to 60-byte tokens, the costliest to screen that the engine still compares
/// by edit distance) separated by spaces; `seed` makes the words new to the engine.
fn cyrillic_name(chars: usize, seed: usize) -> String {
    const LETTERS: [char; 8] = ['щ', 'ш', 'ж', 'ч', 'ю', 'я', 'ц', 'х'];
    (0..chars)
        .map(|i| {
            if i % 16 == 15 && i + 1 < chars {
                ' '
            } else {
                LETTERS[(i * 7 + seed * 13 + i / 16) % LETTERS.len()]
            }
        })
        .collect()
}

async fn put_customer(bank: &Bank, sub: &str, fields: Value) -> (u16, Value) {
    let response = client()
        .put(format!("{}/kyc/customer", bank.public))
        .bearer_auth(sep10_token(bank, sub))
        .json(&fields)
        .send()
        .await
        .expect("PUT /kyc/customer answered within the client timeout");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `GET /auth?account=…`: a SEP-10 challenge.
async fn challenge(bank: &Bank, account: &str) -> u16 {
    client()
        .get(format!("{}/auth?account={account}", bank.public))
        .send()
        .await
        .expect("GET /auth answered within the client timeout")
        .status()
        .as_u16()
}

fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

fn backends() -> Vec<&'static str> {
    testing::test_databases().iter().map(|database| database.name).collect()
}

fn database(backend: &str) -> testing::TestDatabase {
    testing::test_databases().into_iter().find(|d| d.name == backend).unwrap()
}

#[tokio::test]
async fn a_2000_letter_cyrillic_first_name_is_refused_with_the_field_and_its_limit() {
    for backend in backends() {
        let bank = support::start_bank(database(backend), "sep-1,sep-10,sep-12", LIST, &[]).await;
        let hostile = "щ".repeat(2_000);
        let (status, body) =
            put_customer(&bank, &account(1), json!({"first_name": hostile, "last_name": "x"})).await;
        assert_eq!(status, 400, "{backend}: {body}");
        assert_eq!(error_of(&body), "field `first_name` is longer than 256 characters", "{backend}");
        for field in ["last_name", "additional_name", "card.holder_name", "organization.name"] {
            let (status, body) =
                put_customer(&bank, &account(1), json!({field: cyrillic_name(1_000, 1)})).await;
            assert_eq!(status, 400, "{backend}: {field}: {body}");
            assert_eq!(
                error_of(&body),
                format!("field `{field}` is longer than 256 characters"),
                "{backend}"
            );
        }
        // Nothing was stored or screened: the same customer is still new.
        assert_eq!(challenge(&bank, &account(1)).await, 200, "{backend}");
    }
}

#[tokio::test]
async fn names_of_the_longest_accepted_cyrillic_length_are_screened_while_sep10_is_served() {
    for backend in backends() {
        let bank = support::start_bank(database(backend), "sep-1,sep-10,sep-12", LIST, &[]).await;
        // Several customers with every name field at its limit, each with words the engine has
        // not seen, and SEP-10 challenges for other accounts at the same time.
        let mut puts = tokio::task::JoinSet::new();
        for n in 0..4u8 {
            let seed = usize::from(n) * 4;
            let fields = json!({
                "first_name": cyrillic_name(MAX_NAME_CHARS, seed),
                "additional_name": cyrillic_name(MAX_NAME_CHARS, seed + 1),
                "last_name": cyrillic_name(MAX_NAME_CHARS, seed + 2),
                "card.holder_name": cyrillic_name(MAX_NAME_CHARS, seed + 3),
            });
            let request = client()
                .put(format!("{}/kyc/customer", bank.public))
                .bearer_auth(sep10_token(&bank, &account(20 + n)))
                .json(&fields);
            puts.spawn(async move {
                let response = request.send().await.expect("PUT answered within the client timeout");
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            });
        }
        let mut challenges = tokio::task::JoinSet::new();
        for n in 0..8u8 {
            let request = client().get(format!("{}/auth?account={}", bank.public, account(40 + n)));
            challenges.spawn(async move {
                request.send().await.expect("GET /auth answered within the client timeout").status().as_u16()
            });
        }
        for (status, body) in puts.join_all().await {
            assert_eq!(status, 202, "{backend}: the longest names are accepted: {body}");
        }
        let challenges = challenges.join_all().await;
        assert!(challenges.iter().all(|status| *status == 200), "{backend}: {challenges:?}");
        // And screening still works: the listed person, in a long accepted name, is frozen.
        let ivan = account(60);
        let (status, body) = put_customer(
            &bank,
            &ivan,
            json!({"first_name": "Ivan", "last_name": "Petrovich Sidorov", "birth_date": "1958-03-02"}),
        )
        .await;
        assert_eq!(status, 202, "{backend}: {body}");
        assert_eq!(challenge(&bank, &ivan).await, 403, "{backend}: the listed customer is frozen");
    }
}

/// A SEP-3 request from `sender` (an address of bank `a`, whose key signs it) to `b`'s
/// `AUTH_SERVER`, with `sender_info` as given: what any domain with a `SIGNING_KEY` can send.
async fn auth_server_request(a: &Bank, b: &Bank, sender: &str, sender_info: Value) -> reqwest::Response {
    use anchor_sep3::payload;
    use base64::Engine as _;
    let sender_info = sender_info.as_object().cloned().unwrap();
    let attachment = payload::build_attachment("hostile-1", &sender_info, "1", "").unwrap();
    let spec = payload::PaymentSpec::Payment {
        destination: account(9),
        asset: payload::asset("", "", "asset").unwrap(),
        amount: 100_000_000,
    };
    let transaction = payload::build_transaction(SENDER, &spec, &attachment).unwrap();
    let data = payload::build_data(&payload::AuthData {
        sender: format!("{sender}*{}", a.domain),
        need_info: false,
        tx: payload::encode_transaction(&transaction).unwrap(),
        attachment,
    })
    .unwrap();
    let sig = base64::engine::general_purpose::STANDARD.encode(a.key.sign(data.as_bytes()));
    client()
        .post(format!("{}/compliance", b.public))
        .form(&[("data", data.as_str()), ("sig", sig.as_str())])
        .send()
        .await
        .expect("AUTH_SERVER answered within the client timeout")
}

#[tokio::test]
async fn a_sep3_sender_with_a_100000_letter_name_is_refused_not_screened() {
    for backend in backends() {
        let b = support::start_bank(database(backend), "sep-1,sep-10,sep-12,sep-3", LIST, &[]).await;
        let a = support::start_bank(
            database(backend),
            "sep-1,sep-3",
            "id,name,kind\nz,Nobody Listed,person\n",
            &[],
        )
        .await;
        register(&b, "alice", &account(9), "1", json!({"first_name": "Alice"})).await;
        // A signed request straight to B's AUTH_SERVER (the review's variant: 100,000 letters),
        // with SEP-10 challenges to B at the same time.
        let other = account(70);
        let (response, challenge_status) = tokio::join!(
            auth_server_request(
                &a,
                &b,
                "mallory",
                json!({"first_name": "a".repeat(100_000), "last_name": "x"})
            ),
            challenge(&b, &other)
        );
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 400, "{backend}: {body}");
        assert_eq!(
            error_of(&body),
            "data.attachment: transaction.sender_info.first_name is longer than 256 characters",
            "{backend}"
        );
        assert_eq!(challenge_status, 200, "{backend}: B serves SEP-10 meanwhile");
        let response = auth_server_request(
            &a,
            &b,
            "mallory",
            json!({"first_name": "Вася", "last_name": "щ".repeat(20_000)}),
        )
        .await;
        assert_eq!(response.status().as_u16(), 400, "{backend}: Cyrillic, another name field");
        // The longest accepted names go through A's /send: screened and answered.
        let longest = json!({
            "first_name": cyrillic_name(MAX_NAME_CHARS, 5),
            "last_name": cyrillic_name(MAX_NAME_CHARS, 6),
        });
        register(&a, "mallory", SENDER, "1", longest).await;
        let answered = support::send(&a, &b, "pay-longest", SENDER, "mallory", "alice").await;
        assert_eq!(answered["auth_response"]["tx_status"], "ok", "{backend}: {answered}");
    }
}

#[tokio::test]
async fn an_officer_check_of_a_huge_name_is_refused_with_the_limit() {
    for backend in backends() {
        let bank = support::start_bank(database(backend), "sep-1,sep-10,sep-12", LIST, &[]).await;
        let check = |name: String| {
            client()
                .post(format!("{}/admin/aml/check", bank.internal))
                .bearer_auth(testing::TEST_ADMIN_API_KEY)
                .json(&json!({"name": name}))
                .send()
        };
        let response = check("щ".repeat(50_000)).await.expect("answered within the client timeout");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 400, "{backend}: {body}");
        assert_eq!(error_of(&body), "`name` is longer than 770 characters", "{backend}");
        let longest = [0, 1, 2].map(|seed| cyrillic_name(MAX_NAME_CHARS, seed)).join(" ");
        assert_eq!(longest.chars().count(), 770);
        let response = check(longest).await.expect("answered within the client timeout");
        assert_eq!(response.status().as_u16(), 200, "{backend}: the longest name is checked");
    }
}
