//! Rate limits per client address under a flood from one address, against the real
//! example-anchor binary over real HTTP (security review M5, L2, L10; issue 14).
//!
//! Each test sets the limit it floods low through the environment (the test support switches
//! every limit off otherwise) and asserts the refusal: `429`, a numeric `Retry-After` of at least
//! one second, the framework's `{"error"}` (the console: its own page), and that every other
//! route is still served. No test asserts a duration.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

mod support;

use anchor_core::testing;
use serde_json::{json, Value};
use support::{account, sep10_token, start_bank, Bank};

/// A list with nobody the tests use.
const LIST: &str = "id,name,kind\nx,Nobody Listed Anywhere,person\n";

/// Status, `Retry-After` and body of a response.
async fn read(response: reqwest::Response) -> (u16, Option<String>, String) {
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|value| value.to_str().unwrap().to_string());
    (status, retry_after, response.text().await.unwrap())
}

/// Asserts the framework's 429: a whole number of seconds ≥ 1 in `Retry-After`, and the same
/// number in the JSON error.
fn assert_throttled(what: &str, (status, retry_after, body): &(u16, Option<String>, String)) -> u64 {
    assert_eq!(*status, 429, "{what}: {body}");
    let seconds: u64 = retry_after
        .as_deref()
        .unwrap_or_else(|| panic!("{what}: no Retry-After"))
        .parse()
        .unwrap_or_else(|_| panic!("{what}: Retry-After {retry_after:?} is not whole seconds"));
    assert!(seconds >= 1, "{what}: Retry-After {seconds}");
    let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{what}: not JSON: {body}"));
    assert_eq!(
        body,
        json!({"error": format!("too many requests from this address; retry after {seconds} seconds")}),
        "{what}"
    );
    seconds
}

async fn challenge(bank: &Bank, n: u8) -> (u16, Option<String>, String) {
    read(reqwest::get(format!("{}/auth?account={}", bank.public, account(n))).await.unwrap()).await
}

/// Floods `GET /auth` until the first refusal; returns how many were served before it.
async fn flood_challenges(bank: &Bank, most: usize) -> usize {
    for served in 0..most {
        let reply = challenge(bank, 1).await;
        if reply.0 == 429 {
            assert_throttled("GET /auth", &reply);
            return served;
        }
        assert_eq!(reply.0, 200, "challenge {served}: {}", reply.2);
    }
    panic!("{most} challenges from one address were all served");
}

#[tokio::test]
async fn challenges_past_the_limit_are_refused_with_429_and_retry_after() {
    let bank = start_bank(
        testing::sqlite_database(),
        "sep-1,sep-10",
        LIST,
        &[("RATE_LIMIT_SEP10_CHALLENGE", "5/min burst 5")],
    )
    .await;
    assert_eq!(flood_challenges(&bank, 20).await, 5, "the burst is served, then refused");
    // Still refused, whatever account is asked for.
    assert_throttled("GET /auth, another account", &challenge(&bank, 2).await);
    // A client cannot name another address: no proxy is trusted by default.
    let spoofed = reqwest::Client::new()
        .get(format!("{}/auth?account={}", bank.public, account(3)))
        .header("x-forwarded-for", "198.51.100.77")
        .header("forwarded", "for=198.51.100.78")
        .send()
        .await
        .unwrap();
    assert_throttled("GET /auth with forwarded headers", &read(spoofed).await);
    // The CORS preflight is not counted and still answered.
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{}/auth", bank.public))
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 204);
}

#[tokio::test]
async fn a_throttled_address_does_not_slow_other_routes() {
    let bank = start_bank(
        testing::sqlite_database(),
        "sep-1,sep-10,sep-12",
        LIST,
        &[("RATE_LIMIT_SEP10_CHALLENGE", "3/min burst 3"), ("RATE_LIMIT_SEP10_TOKEN", "3/min burst 3")],
    )
    .await;
    flood_challenges(&bank, 10).await;
    let client = reqwest::Client::new();

    // Health, stellar.toml: served.
    let health = client.get(format!("{}/health", bank.public)).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let toml = client.get(format!("{}/.well-known/stellar.toml", bank.public)).send().await.unwrap();
    assert_eq!(toml.status().as_u16(), 200);

    // Authenticated SEP-12 with a token: served, repeatedly.
    let customer = account(9);
    let token = sep10_token(&bank, &customer);
    let put = client
        .put(format!("{}/kyc/customer", bank.public))
        .bearer_auth(&token)
        .json(&json!({"first_name": "Ada", "last_name": "Lovelace"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 202, "{}", put.text().await.unwrap());
    for _ in 0..10 {
        let get =
            client.get(format!("{}/kyc/customer", bank.public)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(get.status().as_u16(), 200);
    }

    // `POST /auth` has its own budget: refused for what it is (no challenge), until its own
    // limit is passed.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let post = client
            .post(format!("{}/auth", bank.public))
            .json(&json!({"transaction": "not a challenge"}))
            .send()
            .await
            .unwrap();
        statuses.push(read(post).await);
    }
    assert!(statuses[..3].iter().all(|(status, ..)| *status == 400), "{statuses:?}");
    assert_throttled("POST /auth", &statuses[3]);

    // The internal listener: served.
    let internal = client.get(format!("{}/health", bank.internal)).send().await.unwrap();
    assert_eq!(internal.status().as_u16(), 200);
}

#[tokio::test]
async fn the_default_limits_apply_when_nothing_is_set() {
    // An empty value is an unset setting: the default `60/min burst 30` applies.
    let bank =
        start_bank(testing::sqlite_database(), "sep-1,sep-10", LIST, &[("RATE_LIMIT_SEP10_CHALLENGE", "")])
            .await;
    // The bucket refills one challenge a second while the flood runs: at least the burst.
    let served = flood_challenges(&bank, 100).await;
    assert!((30..40).contains(&served), "{served} challenges served before the first 429");
}

/// One console sign-in attempt from `client_address` (named by the trusted proxy's
/// `X-Forwarded-For`): status, `Retry-After` and page.
async fn sign_in_from(bank: &Bank, client_address: &str, username: &str) -> (u16, Option<String>, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = client.get(format!("{}/admin/login", bank.internal)).send().await.unwrap();
    assert_eq!(form.status().as_u16(), 200, "the sign-in form is always served");
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|pair| pair.starts_with("anchor_console_csrf="))
        .expect("the sign-in form sets its CSRF cookie");
    let csrf = cookie.split_once('=').unwrap().1.to_string();
    let reply = client
        .post(format!("{}/admin/login", bank.internal))
        .header("cookie", cookie)
        .header("x-forwarded-for", client_address)
        .form(&[("csrf", csrf.as_str()), ("next", "/admin/"), ("username", username), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    read(reply).await
}

#[tokio::test]
async fn console_sign_in_is_throttled_per_address() {
    // The test plays a reverse proxy on loopback that names each client.
    let bank = start_bank(
        testing::sqlite_database(),
        "sep-1,sep-10",
        LIST,
        &[("RATE_LIMIT_CONSOLE_SIGN_IN", "3/min burst 3"), ("TRUSTED_PROXIES", "127.0.0.1,::1")],
    )
    .await;
    // A different name each time: the per-officer lockout never applies, the address limit does.
    for n in 0..3 {
        let (status, _, _) = sign_in_from(&bank, "198.51.100.1", &format!("guess{n}")).await;
        assert_eq!(status, 401, "attempt {n}");
    }
    let (status, retry_after, page) = sign_in_from(&bank, "198.51.100.1", "guess3").await;
    assert_eq!(status, 429, "{page}");
    let seconds: u64 = retry_after.expect("Retry-After").parse().expect("whole seconds");
    assert!(seconds >= 1);
    assert!(page.contains("Too many sign-in attempts"), "{page}");
    assert!(
        page.contains(&format!("too many requests from this address; retry after {seconds} seconds")),
        "{page}"
    );
    // Another address behind the same proxy: still served.
    let (status, _, page) = sign_in_from(&bank, "198.51.100.2", "guess4").await;
    assert_eq!(status, 401, "{page}");
    // The proxy itself, not naming a client, is one more client: served.
    let (status, _, _) = sign_in_from(&bank, "", "guess5").await;
    assert_ne!(status, 429);
}

async fn federation(bank: &Bank) -> (u16, Option<String>, String) {
    let url = format!("{}/federation?q=alice*{}&type=name", bank.public, bank.domain);
    read(reqwest::get(url).await.unwrap()).await
}

async fn tx_status(bank: &Bank) -> (u16, Option<String>, String) {
    read(reqwest::get(format!("{}/compliance/tx_status?id=1", bank.public)).await.unwrap()).await
}

async fn post_auth_server(bank: &Bank) -> (u16, Option<String>, String) {
    let reply = reqwest::Client::new()
        .post(format!("{}/compliance", bank.public))
        .form(&[("data", "{}"), ("sig", "not a signature")])
        .send()
        .await
        .unwrap();
    read(reply).await
}

#[tokio::test]
async fn federation_lookups_are_throttled() {
    let bank = start_bank(
        testing::sqlite_database(),
        "sep-1,sep-3",
        LIST,
        &[("RATE_LIMIT_FEDERATION", "4/min burst 4")],
    )
    .await;
    for n in 0..4 {
        let (status, _, body) = federation(&bank).await;
        assert!(matches!(status, 200 | 404), "lookup {n}: {status} {body}");
    }
    assert_throttled("GET /federation", &federation(&bank).await);
    // AUTH_SERVER has its own budget: answered for what the request is.
    let (status, _, body) = post_auth_server(&bank).await;
    assert_eq!(status, 400, "{body}");
    let (status, _, _) = tx_status(&bank).await;
    assert_ne!(status, 429);
}

#[tokio::test]
async fn sep3_auth_server_is_throttled() {
    let bank = start_bank(
        testing::sqlite_database(),
        "sep-1,sep-3",
        LIST,
        &[("RATE_LIMIT_SEP3_AUTH_SERVER", "3/min burst 3")],
    )
    .await;
    for n in 0..3 {
        let (status, _, body) = post_auth_server(&bank).await;
        assert_eq!(status, 400, "request {n}: {body}");
    }
    assert_throttled("POST AUTH_SERVER", &post_auth_server(&bank).await);
    // tx_status shares AUTH_SERVER's budget.
    assert_throttled("GET AUTH_SERVER/tx_status", &tx_status(&bank).await);
    // Federation and health: served.
    let (status, _, body) = federation(&bank).await;
    assert!(matches!(status, 200 | 404), "{status} {body}");
    let health = reqwest::get(format!("{}/health", bank.public)).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
}
