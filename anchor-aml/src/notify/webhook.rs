//! The webhook channel: a signed `POST` of the notification's JSON through core's outbound
//! client, and the signature receivers check (`docs/notifications.md`).

use anchor_core::clock::unix_now;
use anchor_core::net::{self, OutboundClient};
use anchor_core::Sensitive;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{describe, StoredMessage};

/// Most bytes of a webhook's error answer read (for the excerpt in `last_error`).
pub(super) const MAX_WEBHOOK_ANSWER_BYTES: usize = 64 * 1024;

pub(super) struct Webhook {
    pub(super) url: reqwest::Url,
    pub(super) secret: Sensitive<String>,
    pub(super) client: OutboundClient,
}

/// The webhook body, byte for byte as signed.
pub(crate) fn webhook_body(
    delivery_id: &str,
    kind: &str,
    subject: &str,
    text: &str,
    details: &str,
    created_at: i64,
) -> Vec<u8> {
    let details: serde_json::Value =
        serde_json::from_str(details).unwrap_or_else(|_| serde_json::Value::String(details.to_string()));
    let created_at = chrono::DateTime::from_timestamp(created_at, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let body = serde_json::json!({
        "id": delivery_id,
        "kind": kind,
        "subject": subject,
        "text": text,
        "details": details,
        "created_at": created_at,
    });
    body.to_string().into_bytes()
}

/// `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn webhook_signature(secret: &Sensitive<String>, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = anchor_core::hex::encode(&mac.finalize().into_bytes());
    format!("t={timestamp},v1={digest}")
}

pub(super) async fn send_webhook(
    webhook: &Webhook,
    message: &StoredMessage,
) -> std::result::Result<(), String> {
    let body = webhook_body(
        &message.delivery_id,
        &message.kind,
        &message.subject,
        &message.body,
        &message.details,
        message.created_at,
    );
    let signature = webhook_signature(&webhook.secret, unix_now(), &body);
    let request =
        webhook.client.post(webhook.url.as_str()).map_err(|err| format!("webhook: the URL {err}"))?;
    let response = request
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Anchor-Delivery", &message.delivery_id)
        .header("X-Anchor-Signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|err| format!("webhook: {}", describe(&err.without_url())))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let answer = net::read_capped(response, MAX_WEBHOOK_ANSWER_BYTES).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&answer);
    let excerpt: String =
        text.chars().filter(|c| !c.is_control()).take(200).collect::<String>().trim().to_string();
    if excerpt.is_empty() {
        Err(format!("webhook answered HTTP {}", status.as_u16()))
    } else {
        Err(format!("webhook answered HTTP {}: {excerpt}", status.as_u16()))
    }
}
