//! `data`, `sig` and personal data never reach the logs: every log line of our crates, at every
//! level, during accepted, pending, refused and malformed requests and during `/send`.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use crate::support::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(
                    "info,anchor_sep3=trace,anchor_core=trace",
                ))
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .finish();
            // Another test binary thread may have installed one; then this test sees nothing
            // and fails below, loudly.
            let _ = tracing::subscriber::set_global_default(subscriber);
            captured
        })
        .clone()
}

#[actix_web::test]
async fn requests_and_sends_log_no_data_signature_or_personal_data() {
    let captured = capture();
    let (a, b) = two_banks(|| database_on("sqlite"));
    let sender = format!("aldi*{}", a.domain);
    let destination = format!("bob*{}", b.domain);
    let send = |id: &'static str| {
        let (a, sender, destination) = (&a, sender.clone(), destination.clone());
        async move {
            internal(
                a,
                "/send",
                &[
                    ("id", id),
                    ("source", SOURCE_ACCOUNT),
                    ("sender", &sender),
                    ("destination", &destination),
                    ("amount", "3"),
                ],
            )
            .await
        }
    };
    let (status, ok) = send("log-1").await;
    assert_eq!(status, 200, "{ok}");
    b.officer.review("Aldi Dobbs");
    send("log-2").await;
    b.officer.set_broken(true);
    send("log-3").await;
    b.officer.set_broken(false);
    b.officer.deny("Aldi Dobbs");
    send("log-4").await;

    // A forged signature and a malformed request.
    let data =
        r#"{"sender":"aldi*127.0.0.1:1","need_info":false,"tx":"AAAA","attachment":"{\"nonce\":\"x\"}"}"#;
    let sig = sign(&other_key(), data);
    post_auth(&b, &[("data", data), ("sig", &sig)]).await;
    post_auth(&b, &[("data", "{broken Dobbs"), ("sig", &sig)]).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("sep-3 request decided"), "the subscriber captured nothing:\n{logs}");
    for secret in
        ["Aldi", "Dobbs", "sender_info", sig.as_str(), "attachment", ok["transaction_xdr"].as_str().unwrap()]
    {
        assert!(!logs.contains(secret), "the logs contain `{secret}`:\n{logs}");
    }
}
