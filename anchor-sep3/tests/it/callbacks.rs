//! The SDF callback adapter against a real callback server on loopback: every status code of
//! every callback, the exact form fields, and one whole payment decided through the callbacks.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::collections::BTreeMap;
use std::time::Duration;

use anchor_core::integrations::compliance::{
    ComplianceIntegration, ConsentOutcome, ConsentRequest, PaymentState, PaymentStatus,
};
use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject};
use anchor_core::{IntegrationError, Integrations, SanctionsIntegration, Sensitive};
use anchor_sep3::callbacks::{CallbackUrls, SdfCallbacks, DEFAULT_PENDING};

use crate::support::*;

fn adapter(server: &Server) -> SdfCallbacks {
    SdfCallbacks::new(
        CallbackUrls {
            sanctions: Some(format!("{}/sanctions", server.url)),
            ask_user: Some(format!("{}/ask_user", server.url)),
            fetch_info: Some(format!("{}/fetch_info", server.url)),
            tx_status: Some(format!("{}/tx_status", server.url)),
        },
        Duration::from_secs(1),
    )
    .unwrap()
}

fn subject() -> ScreeningSubject {
    let mut subject = ScreeningSubject::named("Aldi Dobbs");
    subject.attributes.insert("first_name".into(), Sensitive::new("Aldi".into()));
    subject.attributes.insert("last_name".into(), Sensitive::new("Dobbs".into()));
    subject
}

fn consent_request() -> ConsentRequest {
    let info: BTreeMap<String, String> = [("first_name".to_string(), "Aldi".to_string())].into();
    ConsentRequest::new(
        "aldi*a.example".into(),
        "a.example".into(),
        "7".into(),
        "1.0000000".into(),
        "USD".into(),
        "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB".into(),
        info,
        "thanks".into(),
    )
}

#[actix_web::test]
async fn sanctions_status_codes_map_like_the_sdf_server() {
    let script = CallbackScript::default();
    let server = start_callbacks(script.clone());
    let callbacks = adapter(&server);

    script.answer("/sanctions", 200, "");
    assert_eq!(callbacks.screen(&subject()).await.unwrap(), ScreeningOutcome::Clear);
    let (path, form) = script.received.lock().unwrap().last().cloned().unwrap();
    assert_eq!(path, "/sanctions");
    assert_eq!(
        form,
        vec![("sender".to_string(), r#"{"first_name":"Aldi","last_name":"Dobbs"}"#.to_string())]
    );

    script.answer("/sanctions", 202, r#"{"pending": 45}"#);
    assert!(
        matches!(callbacks.screen(&subject()).await.unwrap(), ScreeningOutcome::Pending { retry_after, .. } if retry_after == Duration::from_secs(45))
    );
    script.answer("/sanctions", 202, "not json");
    assert!(
        matches!(callbacks.screen(&subject()).await.unwrap(), ScreeningOutcome::Pending { retry_after, .. } if retry_after == DEFAULT_PENDING)
    );
    script.answer("/sanctions", 400, r#"{"error": "Invalid country code."}"#);
    assert_eq!(
        callbacks.screen(&subject()).await.unwrap_err(),
        IntegrationError::bad_request("Invalid country code.")
    );
    script.answer("/sanctions", 403, "");
    assert!(matches!(callbacks.screen(&subject()).await.unwrap(), ScreeningOutcome::Denied { .. }));
    script.answer("/sanctions", 500, "");
    assert!(matches!(callbacks.screen(&subject()).await, Err(IntegrationError::Internal(_))));
    script.answer("/sanctions", 0, "");
    assert!(
        matches!(callbacks.screen(&subject()).await, Err(IntegrationError::Internal(message)) if message.contains("timed out"))
    );

    // No sanctions URL is a failure to screen, not a pass.
    let unset = SdfCallbacks::new(CallbackUrls::default(), Duration::from_secs(1)).unwrap();
    assert!(unset.screen(&subject()).await.is_err());
}

#[actix_web::test]
async fn ask_user_and_fetch_info_status_codes_map_like_the_sdf_server() {
    let script = CallbackScript::default();
    let server = start_callbacks(script.clone());
    let callbacks = adapter(&server);

    script.answer("/ask_user", 200, "");
    assert_eq!(callbacks.ask_user(&consent_request()).await.unwrap(), ConsentOutcome::Granted);
    let (_, form) = script.received.lock().unwrap().last().cloned().unwrap();
    let fields: BTreeMap<String, String> = form.into_iter().collect();
    assert_eq!(fields.get("amount").map(String::as_str), Some("1.0000000"));
    assert_eq!(fields.get("asset_code").map(String::as_str), Some("USD"));
    assert_eq!(
        fields.get("asset_issuer").map(String::as_str),
        Some("GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB")
    );
    assert_eq!(fields.get("sender").map(String::as_str), Some(r#"{"first_name":"Aldi"}"#));
    assert_eq!(fields.get("note").map(String::as_str), Some("thanks"));

    script.answer("/ask_user", 202, r#"{"pending": 20}"#);
    assert_eq!(
        callbacks.ask_user(&consent_request()).await.unwrap(),
        ConsentOutcome::Pending { retry_after: Duration::from_secs(20) }
    );
    script.answer("/ask_user", 400, r#"{"error": "bad note"}"#);
    assert_eq!(
        callbacks.ask_user(&consent_request()).await.unwrap_err(),
        IntegrationError::bad_request("bad note")
    );
    script.answer("/ask_user", 403, "");
    assert_eq!(callbacks.ask_user(&consent_request()).await.unwrap(), ConsentOutcome::Refused);
    script.answer("/ask_user", 418, "");
    assert!(matches!(callbacks.ask_user(&consent_request()).await, Err(IntegrationError::Internal(_))));

    script.answer("/fetch_info", 200, r#"{"first_name": "Bob", "age": 40}"#);
    let info = callbacks.fetch_info("7").await.unwrap();
    assert_eq!(info.expose().get("first_name").and_then(|v| v.as_str()), Some("Bob"));
    let (_, form) = script.received.lock().unwrap().last().cloned().unwrap();
    assert_eq!(form, vec![("address".to_string(), "7".to_string())]);
    script.answer("/fetch_info", 200, "[1, 2]");
    assert!(callbacks.fetch_info("7").await.is_err());
    script.answer("/fetch_info", 404, "{}");
    assert!(callbacks.fetch_info("7").await.is_err());
}

#[actix_web::test]
async fn a_payment_decided_through_the_callbacks() {
    let script = CallbackScript::default();
    let server = start_callbacks(script.clone());
    let callbacks = adapter(&server);
    let mut options = BankOptions::new(SEED_B);
    options.integrations = Some(
        Integrations::new()
            .sanctions(callbacks.clone())
            .compliance(callbacks)
            .federation(Customers::default()),
    );
    let b = start_bank(database_on("sqlite"), options);
    let mut a_options = BankOptions::new(SEED_A);
    a_options.module = anchor_sep3::Sep3::new().need_info(true);
    let a = start_bank(database_on("sqlite"), a_options);
    a.customers.add("aldi", SOURCE_ACCOUNT, 1, &[("first_name", "Aldi")]);

    script.answer("/sanctions", 200, "");
    script.answer("/ask_user", 200, "");
    script.answer("/fetch_info", 200, r#"{"name": "Bob Stone"}"#);

    // Ask B's AUTH_SERVER directly (B's federation integration is an empty directory here).
    let mut info = serde_json::Map::new();
    info.insert("first_name".into(), "Aldi".into());
    let attachment = anchor_sep3::payload::build_attachment("cb-1", &info, "7", "").unwrap();
    let spec = anchor_sep3::payload::PaymentSpec::Payment {
        destination: BOB_ACCOUNT.into(),
        asset: stellar_xdr::Asset::Native,
        amount: 1,
    };
    let transaction = anchor_sep3::payload::build_transaction(SOURCE_ACCOUNT, &spec, &attachment).unwrap();
    let data = anchor_sep3::payload::build_data(&anchor_sep3::payload::AuthData {
        sender: format!("aldi*{}", a.domain),
        need_info: true,
        tx: anchor_sep3::payload::encode_transaction(&transaction).unwrap(),
        attachment,
    })
    .unwrap();
    let sig = sign(&a.key, &data);
    let (status, body) = post_auth(&b, &[("data", &data), ("sig", &sig)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dest_info"], r#"{"name":"Bob Stone"}"#);

    script.answer("/sanctions", 400, r#"{"error": "Invalid country code."}"#);
    let (status, body) = post_auth(&b, &[("data", &data), ("sig", &sig)]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (body["tx_status"].as_str(), body["error"].as_str()),
        (Some("error"), Some("Invalid country code."))
    );
    assert!(body.get("dest_info").is_none());

    script.answer("/sanctions", 500, "");
    let (status, body) = post_auth(&b, &[("data", &data), ("sig", &sig)]).await;
    assert_eq!(
        (status, body["tx_status"].as_str()),
        (202, Some("pending")),
        "a failed callback never passes"
    );
}

#[actix_web::test]
async fn tx_status_callback_answers_pass_through_like_the_sdf_server() {
    let script = CallbackScript::default();
    let server = start_callbacks(script.clone());
    let callbacks = adapter(&server);
    let id = "ab".repeat(32);

    script.answer("/tx_status", 200, r#"{"status": "delivered", "msg": "paid out"}"#);
    assert_eq!(
        callbacks.payment_status(&id).await.unwrap(),
        Some(PaymentStatus::new(PaymentState::Delivered).msg("paid out"))
    );
    let (path, query) = script.received.lock().unwrap().last().cloned().unwrap();
    assert_eq!((path.as_str(), query), ("/tx_status", vec![("id".to_string(), id.clone())]));
    script.answer("/tx_status", 200, r#"{"status": "claimable", "recv_code": "7788"}"#);
    assert_eq!(
        callbacks.payment_status(&id).await.unwrap(),
        Some(PaymentStatus::new(PaymentState::Claimable).recv_code("7788"))
    );
    script.answer("/tx_status", 200, r#"{"status": "refunded", "refund_tx": "cd"}"#);
    assert_eq!(
        callbacks.payment_status(&id).await.unwrap(),
        Some(PaymentStatus::new(PaymentState::Refunded).refund_tx("cd"))
    );
    // A missing, empty or unknown status, a non-object and any other code are `unknown`.
    for (code, body) in [
        (200, "{}"),
        (200, r#"{"status": ""}"#),
        (200, r#"{"status": "lost"}"#),
        (200, "[]"),
        (404, ""),
        (500, ""),
    ] {
        script.answer("/tx_status", code, body);
        assert_eq!(
            callbacks.payment_status(&id).await.unwrap(),
            Some(PaymentStatus::new(PaymentState::Unknown)),
            "{code} {body}"
        );
    }
    // Unreachable: an error, so the route answers from its own tables.
    script.answer("/tx_status", 0, "");
    assert!(callbacks.payment_status(&id).await.is_err());
    // No URL: the framework's tables answer.
    let unset = SdfCallbacks::new(CallbackUrls::default(), Duration::from_secs(1)).unwrap();
    assert_eq!(unset.payment_status(&id).await.unwrap(), None);
}

#[actix_web::test]
async fn tx_status_reports_the_anchors_payment_status_and_can_require_basic_auth() {
    let script = CallbackScript::default();
    let server = start_callbacks(script.clone());
    let callbacks = adapter(&server);
    let mut options = BankOptions::new(SEED_B);
    options.integrations = Some(
        Integrations::new()
            .sanctions(callbacks.clone())
            .compliance(callbacks)
            .federation(Customers::default()),
    );
    options.module = anchor_sep3::Sep3::new().tx_status_auth("status-reader", "a long password");
    let b = start_bank(database_on("sqlite"), options);
    let id = "ab".repeat(32);
    let url = format!("{}/compliance/tx_status?id={id}", b.public.url);
    let client = reqwest::Client::new();

    let refused = client.get(&url).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert!(refused.headers().get("www-authenticate").is_some());
    let wrong = client.get(&url).basic_auth("status-reader", Some("not it")).send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);

    script.answer("/tx_status", 200, r#"{"status": "refunded", "refund_tx": "cd", "msg": "closed account"}"#);
    let answer = client.get(&url).basic_auth("status-reader", Some("a long password")).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "refunded", "refund_tx": "cd", "msg": "closed account"}));

    // `refund_tx` only comes with `refunded`.
    script.answer("/tx_status", 200, r#"{"status": "failed", "refund_tx": "cd"}"#);
    let body: serde_json::Value = client
        .get(&url)
        .basic_auth("status-reader", Some("a long password"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, serde_json::json!({"status": "failed"}));

    // The anchor's service unreachable: our tables answer (nothing stored: unknown).
    script.answer("/tx_status", 0, "");
    let body: serde_json::Value = client
        .get(&url)
        .basic_auth("status-reader", Some("a long password"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, serde_json::json!({"status": "unknown"}));
}
