//! The email channel: a plain-text message from `SMTP_FROM` to every address of
//! `COMPLIANCE_OFFICER_EMAIL`, through lettre's async SMTP transport (rustls only).

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{describe, StoredMessage};

pub(super) struct Email {
    pub(super) transport: AsyncSmtpTransport<Tokio1Executor>,
    pub(super) from: Mailbox,
    pub(super) to: Vec<Mailbox>,
}

pub(super) fn parse_recipients(list: &str) -> std::result::Result<Vec<Mailbox>, String> {
    let mut recipients = Vec::new();
    for (index, address) in list.split(',').map(str::trim).enumerate() {
        if address.is_empty() {
            continue;
        }
        let mailbox = address
            .parse::<Mailbox>()
            .map_err(|_| format!("COMPLIANCE_OFFICER_EMAIL: entry {} is not an email address", index + 1))?;
        recipients.push(mailbox);
    }
    if recipients.is_empty() {
        return Err("COMPLIANCE_OFFICER_EMAIL holds no address".into());
    }
    Ok(recipients)
}

pub(super) async fn send_email(email: &Email, message: &StoredMessage) -> std::result::Result<(), String> {
    let mut builder = Message::builder()
        .from(email.from.clone())
        .subject(message.subject.clone())
        .message_id(Some(format!("<{}@{}>", message.delivery_id, email.from.email.domain())))
        .header(ContentType::TEXT_PLAIN);
    for to in &email.to {
        builder = builder.to(to.clone());
    }
    let mut text = message.body.clone();
    if message.details != "null" {
        let details = serde_json::from_str::<serde_json::Value>(&message.details)
            .and_then(|value| serde_json::to_string_pretty(&value))
            .unwrap_or_else(|_| message.details.clone());
        text.push_str("\n\nDetails:\n");
        text.push_str(&details);
    }
    text.push_str(&format!("\n\n-- \nanchor-aml notification {} ({})\n", message.delivery_id, message.kind));
    let email_message = builder.body(text).map_err(|err| format!("cannot build the email: {err}"))?;
    email.transport.send(email_message).await.map(|_| ()).map_err(|err| format!("SMTP: {}", describe(&err)))
}
