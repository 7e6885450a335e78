//! Officer notifications: retry backoff, the webhook's HMAC-SHA256 signature and documented body,
//! weekly-summary keys named by ISO week, recipient lists, and configurations (inconsistent ones
//! refused, secrets never in `Debug` output or errors, no channel at all allowed, TLS SMTP URLs
//! accepted).

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::time::Duration;

use anchor_core::Sensitive;

use super::webhook::webhook_body;
use super::*;

#[test]
fn backoff_doubles_from_the_base_up_to_the_cap() {
    let base = Duration::from_secs(60);
    let max = Duration::from_secs(3_600);
    let waits: Vec<i64> = (1..=9).map(|attempts| backoff_seconds(base, max, attempts)).collect();
    assert_eq!(waits, [60, 120, 240, 480, 960, 1_920, 3_600, 3_600, 3_600]);
    assert_eq!(backoff_seconds(Duration::ZERO, max, 5), 0);
    assert_eq!(backoff_seconds(base, Duration::MAX, 10_000), i64::MAX);
}

#[test]
fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
    // Computed independently: Python's
    // hmac.new(b"secret-secret-secret", b"1700000000.{}", hashlib.sha256).hexdigest()
    let signature = webhook_signature(&Sensitive::new("secret-secret-secret".into()), 1_700_000_000, b"{}");
    assert_eq!(signature, "t=1700000000,v1=9abb7ec2de5533bf35e03b3947b220889dd81b1238d43182a426463aafcc6e8c");
}

#[test]
fn the_webhook_body_has_the_documented_fields() {
    let body = webhook_body("ntf_1", "freeze", "Account frozen", "GABC… was frozen", r#"{"case":7}"#, 0);
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        value,
        serde_json::json!({
            "id": "ntf_1",
            "kind": "freeze",
            "subject": "Account frozen",
            "text": "GABC… was frozen",
            "details": {"case": 7},
            "created_at": "1970-01-01T00:00:00Z",
        })
    );
}

#[test]
fn weekly_summary_keys_name_the_iso_week() {
    // 2026-11-21 is a Saturday in ISO week 47; 2027-01-01 belongs to 2026-W53.
    assert_eq!(weekly_summary_key(1_795_219_200), "weekly-summary:2026-W47");
    assert_eq!(weekly_summary_key(1_798_761_600), "weekly-summary:2026-W53");
}

#[test]
fn recipients_are_comma_separated_addresses() {
    let recipients = parse_recipients(" officer@anchor.example, Deputy <deputy@anchor.example> ,").unwrap();
    assert_eq!(recipients.len(), 2);
    assert_eq!(recipients[1].email.to_string(), "deputy@anchor.example");
    assert!(parse_recipients("officer@anchor.example, not an address").unwrap_err().contains("entry 2"));
    assert!(parse_recipients(" , ").is_err());
}

fn database() -> Database {
    let url = anchor_core::config::DatabaseUrl::Sqlite(":memory:".into());
    Database::connect(&url).unwrap()
}

fn config() -> NotifierConfig {
    NotifierConfig {
        smtp_url: Some(Sensitive::new("smtp://officer:hunter2-smtp-password@127.0.0.1:2525".into())),
        smtp_from: "AML <aml@anchor.example>".into(),
        officer_email: Some("officer@anchor.example".into()),
        webhook_url: Some("https://hooks.example/services/T000/B000/token-in-path".into()),
        webhook_secret: Some(Sensitive::new("webhook-secret-value-0123456789".into())),
        ..NotifierConfig::default()
    }
}

#[test]
fn secrets_never_show_in_debug_output() {
    let notifier = Notifier::new(database(), config()).unwrap();
    for text in [format!("{:?}", config()), format!("{notifier:?}")] {
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("webhook-secret-value"), "{text}");
        assert!(!text.contains("token-in-path"), "{text}");
        assert!(text.contains("hooks.example"), "{text}");
    }
}

fn refused(config: NotifierConfig) -> String {
    match Notifier::new(database(), config) {
        Ok(_) => panic!("the configuration was accepted"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn inconsistent_configurations_are_refused_without_revealing_secrets() {
    let cases: Vec<(NotifierConfig, &str)> = vec![
        (NotifierConfig { officer_email: None, ..config() }, "COMPLIANCE_OFFICER_EMAIL is not"),
        (NotifierConfig { smtp_url: None, ..config() }, "SMTP_URL is not"),
        (NotifierConfig { smtp_from: "nobody".into(), ..config() }, "SMTP_FROM"),
        (
            NotifierConfig { smtp_url: Some(Sensitive::new("ftp://user:hunter2@host".into())), ..config() },
            "SMTP_URL is not usable",
        ),
        (NotifierConfig { webhook_secret: None, ..config() }, "AML_WEBHOOK_SECRET is not"),
        (NotifierConfig { webhook_url: None, ..config() }, "AML_WEBHOOK_URL is not"),
        (NotifierConfig { webhook_url: Some("ftp://hooks.example/x".into()), ..config() }, "http or https"),
        (NotifierConfig { webhook_secret: Some(Sensitive::new("short".into())), ..config() }, "at least 16"),
        (NotifierConfig { max_attempts: 0, ..config() }, "MAX_ATTEMPTS"),
        (NotifierConfig { timeout: Duration::ZERO, ..config() }, "timeout"),
    ];
    for (config, expected) in cases {
        let message = refused(config);
        assert!(message.contains(expected), "{message} should mention {expected}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}

#[test]
fn no_channel_is_a_valid_configuration() {
    let notifier = Notifier::new(database(), NotifierConfig::default()).unwrap();
    assert!(!notifier.is_configured());
}

#[test]
fn tls_smtp_urls_are_accepted() {
    for url in [
        "smtps://user:password@smtp.anchor.example",
        "smtp://user:password@smtp.anchor.example:587?tls=required",
        "smtp://smtp.anchor.example?tls=opportunistic",
    ] {
        let config = NotifierConfig { smtp_url: Some(Sensitive::new(url.into())), ..config() };
        let notifier = Notifier::new(database(), config).unwrap_or_else(|err| panic!("{url}: {err}"));
        assert!(notifier.is_configured());
    }
}
