//! The error contract over HTTP: malformed JSON, form and query input are 400s with a message,
//! oversized bodies 413s, unknown paths JSON 404s, internal errors never reveal their cause, the
//! token extractor answers 403, and the internal API needs the admin key (and is closed without
//! one).

use anchor_core::testing::TEST_ADMIN_API_KEY;

use super::support::{client, serve};

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("error bodies are JSON");
    (status, body["error"].as_str().expect("an `error` string").to_string())
}

#[actix_web::test]
async fn malformed_json_is_a_400_with_a_message() {
    let server = serve(&[("ACTIVE_SEPS", "sep-1,sep-10")]);
    let url = server.url("/auth/json");
    let (status, error) = error_of(
        client()
            .post(&url)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(error.starts_with("invalid JSON body"), "{error}");

    let (status, error) = error_of(
        client()
            .post(&url)
            .header("content-type", "application/json")
            .body(r#"{"value": 12}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(error.contains("invalid type"), "{error}");

    let (status, error) = error_of(client().post(&url).body(r#"{"value":"x"}"#).send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(error.contains("Content-Type: application/json"), "{error}");

    let ok = client().post(&url).json(&serde_json::json!({"value": "x"})).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[actix_web::test]
async fn malformed_form_and_query_are_400s() {
    let server = serve(&[("ACTIVE_SEPS", "sep-1,sep-10")]);
    let (status, error) = error_of(
        client()
            .post(server.url("/auth/form"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("other=1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(error.contains("form"), "{error}");

    let (status, error) =
        error_of(client().get(server.url("/auth/query?count=minus-one")).send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(error.starts_with("invalid query string"), "{error}");
}

#[actix_web::test]
async fn oversized_bodies_are_413s() {
    let server = serve(&[("ACTIVE_SEPS", "sep-1,sep-10"), ("MAX_REQUEST_BODY_BYTES", "2048")]);
    let big = format!(r#"{{"value": "{}"}}"#, "x".repeat(4096));
    let (status, error) = error_of(
        client()
            .post(server.url("/auth/json"))
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413);
    assert!(error.contains("2048-byte limit"), "{error}");

    let form = format!("value={}", "x".repeat(4096));
    let (status, _) = error_of(
        client()
            .post(server.url("/auth/form"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413);
}

#[actix_web::test]
async fn internal_errors_never_reveal_their_cause() {
    let server = serve(&[("ACTIVE_SEPS", "sep-1,sep-10")]);
    let (status, error) = error_of(client().get(server.url("/auth/fails")).send().await.unwrap()).await;
    assert_eq!(status, 500);
    assert_eq!(error, "internal server error");
}

#[actix_web::test]
async fn unknown_paths_are_json_404s() {
    let server = serve(&[]);
    let (status, _) = error_of(client().get(server.url("/nothing/here")).send().await.unwrap()).await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn the_token_extractor_refuses_missing_and_bad_tokens_with_403() {
    let server = serve(&[("ACTIVE_SEPS", "sep-1,sep-10")]);
    let url = server.url("/auth/whoami");
    let (status, error) = error_of(client().get(&url).send().await.unwrap()).await;
    assert_eq!(status, 403);
    assert!(error.contains("Authorization: Bearer"), "{error}");
    let (status, _) = error_of(client().get(&url).bearer_auth("not-a-jwt").send().await.unwrap()).await;
    assert_eq!(status, 403);
    let (status, _) =
        error_of(client().get(&url).header("Authorization", "Basic abc").send().await.unwrap()).await;
    assert_eq!(status, 403);

    let settings = anchor_core::testing::settings(&[]);
    let now = chrono::Utc::now().timestamp();
    let claims = anchor_core::auth::Sep10Claims {
        iss: anchor_core::auth::token_issuer(&settings),
        sub: anchor_core::testing::TEST_SIGNING_KEY.into(),
        iat: now,
        exp: now + 60,
        jti: "00".repeat(32),
        client_domain: None,
        home_domain: None,
    };
    let token = anchor_core::auth::encode_token(&settings, &claims).unwrap();
    let response = client().get(&url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["account"], anchor_core::testing::TEST_SIGNING_KEY);
}

#[actix_web::test]
async fn the_internal_api_requires_the_admin_key() {
    let settings = anchor_core::testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-10")]);
    let app = super::support::build_app(settings, anchor_core::Integrations::new()).unwrap();
    let server = anchor_core::testing::serve_internal(app);
    let url = server.url("/auth/ping");
    let (status, error) = error_of(client().get(&url).send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert!(error.contains("missing"), "{error}");
    let (status, error) = error_of(client().get(&url).bearer_auth("wrong-key").send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert_eq!(error, "invalid admin API key");
    let ok = client().get(&url).bearer_auth(TEST_ADMIN_API_KEY).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[actix_web::test]
async fn without_an_admin_key_the_internal_api_is_closed() {
    let mut settings = anchor_core::testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-10")]);
    settings.admin_api_key = None;
    let app = super::support::build_app(settings, anchor_core::Integrations::new()).unwrap();
    let server = anchor_core::testing::serve_internal(app);
    let response = client().get(server.url("/auth/ping")).bearer_auth("").send().await.unwrap();
    assert_eq!(response.status(), 401);
}
