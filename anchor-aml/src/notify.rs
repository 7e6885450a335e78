//! Notifications to the compliance officer: email over SMTP and/or a signed webhook, through an
//! outbox table (`aml_notifications`) so that nothing is lost silently.
//!
//! **How it works.** [`Notifier::enqueue_in`] writes one outbox row per configured channel inside
//! the caller's transaction, so a freeze and its notification commit (or roll back) together.
//! [`Notifier::deliver_due`] (run in a loop by [`Notifier::run`]) claims due rows with a
//! conditional `UPDATE` — several instances sharing one database never send a row twice —, sends
//! them, and records the outcome of every attempt on the row: `sent`, or `attempts + 1`,
//! `last_error` and the next attempt after an exponential backoff; a row that used up
//! `max_attempts` becomes `failed`, is logged at `error` level and is counted by
//! [`Notifier::outbox_status`] (for the admin stats endpoint) until an officer retries it
//! ([`Notifier::retry_failed`]).
//!
//! **Webhook.** `POST` of `{"id","kind","subject","text","details","created_at"}` with
//! `X-Anchor-Delivery: <id>` and `X-Anchor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
//! "<t>.<raw body>")>`; a 2xx answer is a delivery, anything else (or a transport error or a
//! timeout) a failed attempt; redirects are not followed. `docs/notifications.md` gives the
//! receiver's verification recipe. The webhook goes through core's outbound client
//! (`anchor_core::net`) as a configured URL: `AML_WEBHOOK_URL` is the operator's own setting, so
//! an internal receiver on a private address is allowed (the public-address rule is for URLs that
//! come from outside); no redirects, no proxy, the delivery timeout, and at most
//! [`MAX_WEBHOOK_ANSWER_BYTES`] of an error answer read.
//!
//! **Email.** A plain-text message from `SMTP_FROM` to every address of
//! `COMPLIANCE_OFFICER_EMAIL`, through lettre's async SMTP transport built from `SMTP_URL`
//! (`smtp://host:port`, `smtp://user:pass@host:587?tls=required`, `smtps://…`; rustls only).
//!
//! Secrets (the SMTP password in `SMTP_URL`, the webhook secret) live in [`Sensitive`] and never
//! reach logs, errors or `Debug` output; the webhook URL is shown by scheme and host only, since
//! some receivers put a token in its path.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anchor_core::clock::unix_now;
use anchor_core::db::schema::aml_notifications::dsl as outbox;
use anchor_core::db::{AnyConnection, DbError};
use anchor_core::net::{OutboundBuilder, Trust};
use anchor_core::{Database, Sensitive};
use diesel::prelude::*;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use crate::error::{Error, Result};

mod email;
mod message;
mod webhook;

use email::{parse_recipients, send_email, Email};
pub use message::{
    weekly_summary_key, DeliveryReport, Notification, NotificationKind, OutboxEntry, OutboxStatus,
};
pub use webhook::webhook_signature;
use webhook::{send_webhook, Webhook};

const PENDING: &str = "pending";
const SENT: &str = "sent";
const FAILED: &str = "failed";

/// Rows claimed per database round trip in [`Notifier::deliver_due`].
const BATCH: i64 = 100;
/// The longest `last_error` kept (characters).
const MAX_ERROR_CHARS: usize = 1_000;
/// The notifier's settings (the lead wires them from `Settings`).
#[derive(Clone)]
pub struct NotifierConfig {
    /// `SMTP_URL`: `smtp://host:port` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host` (implicit TLS). `None`: no email.
    pub smtp_url: Option<Sensitive<String>>,
    /// `SMTP_FROM`: the sender address (`AML <aml@anchor.example>` or `aml@anchor.example`).
    pub smtp_from: String,
    /// `COMPLIANCE_OFFICER_EMAIL`: one or more addresses, comma-separated.
    pub officer_email: Option<String>,
    /// `AML_WEBHOOK_URL`: `http(s)://…`. `None`: no webhook.
    pub webhook_url: Option<String>,
    /// `AML_WEBHOOK_SECRET`: the HMAC key (at least 16 characters).
    pub webhook_secret: Option<Sensitive<String>>,
    /// `AML_NOTIFY_MAX_ATTEMPTS`: attempts per row before it is `failed` (default 8).
    pub max_attempts: u32,
    /// Per delivery attempt (default 15 s).
    pub timeout: Duration,
    /// Wait after the first failed attempt; doubled after each further one (default 60 s).
    pub backoff_base: Duration,
    /// The longest wait between two attempts (default 1 h).
    pub backoff_max: Duration,
}

impl Default for NotifierConfig {
    fn default() -> Self {
        NotifierConfig {
            smtp_url: None,
            smtp_from: String::new(),
            officer_email: None,
            webhook_url: None,
            webhook_secret: None,
            max_attempts: 8,
            timeout: Duration::from_secs(15),
            backoff_base: Duration::from_secs(60),
            backoff_max: Duration::from_secs(3_600),
        }
    }
}

impl std::fmt::Debug for NotifierConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifierConfig")
            .field("smtp_url", &self.smtp_url)
            .field("smtp_from", &self.smtp_from)
            .field("officer_email", &self.officer_email)
            .field("webhook_url", &self.webhook_url.as_deref().map(redacted_url))
            .field("webhook_secret", &self.webhook_secret)
            .field("max_attempts", &self.max_attempts)
            .field("timeout", &self.timeout)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_max", &self.backoff_max)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Email,
    Webhook,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
}

/// Sends notifications to the compliance officer through the outbox. Share it in an `Arc`.
pub struct Notifier {
    database: Database,
    config: NotifierConfig,
    channels: Vec<Channel>,
    email: Option<Email>,
    webhook: Option<Webhook>,
    warned_unconfigured: AtomicBool,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("database", &self.database)
            .field("channels", &self.channels)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

type DueRow = (i64, String, String, String, String, String, String, i64, i64);

type EntryRow = (i64, String, String, String, String, String, i64, i64, i64, Option<i64>, Option<String>);

impl Notifier {
    /// Checks the configuration and prepares the channels. Nothing is contacted yet. With no
    /// channel configured, enqueueing is a no-op that logs a warning once.
    pub fn new(database: Database, config: NotifierConfig) -> Result<Self> {
        let problem = |message: String| Error::Config(format!("notifications: {message}"));
        if config.max_attempts == 0 {
            return Err(problem("AML_NOTIFY_MAX_ATTEMPTS must be at least 1".into()));
        }
        if config.timeout.is_zero() {
            return Err(problem("the delivery timeout must be positive".into()));
        }
        let recipients = match config.officer_email.as_deref().map(str::trim) {
            Some(list) if !list.is_empty() => Some(parse_recipients(list).map_err(problem)?),
            _ => None,
        };
        let email = match (&config.smtp_url, recipients) {
            (Some(url), Some(to)) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|err| problem(format!("SMTP_URL is not usable: {err}")))?
                    .timeout(Some(config.timeout))
                    .build();
                let from =
                    config.smtp_from.trim().parse::<Mailbox>().map_err(|_| {
                        problem("SMTP_FROM must be an email address when SMTP_URL is set".into())
                    })?;
                Some(Email { transport, from, to })
            }
            (Some(_), None) => {
                return Err(problem("SMTP_URL is set but COMPLIANCE_OFFICER_EMAIL is not".into()))
            }
            (None, Some(_)) => {
                return Err(problem("COMPLIANCE_OFFICER_EMAIL is set but SMTP_URL is not".into()))
            }
            (None, None) => None,
        };
        let webhook = match (&config.webhook_url, &config.webhook_secret) {
            (Some(url), Some(secret)) => {
                let url = reqwest::Url::parse(url.trim())
                    .ok()
                    .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
                    .ok_or_else(|| problem("AML_WEBHOOK_URL must be an http or https URL".into()))?;
                if secret.expose().chars().count() < 16 {
                    return Err(problem("AML_WEBHOOK_SECRET must be at least 16 characters".into()));
                }
                // The operator's own setting: `local_mode` does not change a configured URL's rule.
                let client =
                    OutboundBuilder::new(false, Trust::Configured, config.timeout, "anchor-rs aml notifier")
                        .build()
                        .map_err(|err| problem(err.to_string()))?;
                Some(Webhook { url, secret: secret.clone(), client })
            }
            (Some(_), None) => {
                return Err(problem("AML_WEBHOOK_URL is set but AML_WEBHOOK_SECRET is not".into()))
            }
            (None, Some(_)) => {
                return Err(problem("AML_WEBHOOK_SECRET is set but AML_WEBHOOK_URL is not".into()))
            }
            (None, None) => None,
        };
        let mut channels = Vec::new();
        if email.is_some() {
            channels.push(Channel::Email);
        }
        if webhook.is_some() {
            channels.push(Channel::Webhook);
        }
        Ok(Notifier {
            database,
            config,
            channels,
            email,
            webhook,
            warned_unconfigured: AtomicBool::new(false),
        })
    }

    /// Whether any channel is configured.
    pub fn is_configured(&self) -> bool {
        !self.channels.is_empty()
    }

    /// Writes the notification to the outbox inside the caller's transaction (one row per
    /// configured channel), so it is sent if and only if the transaction commits. A `dedupe_key`
    /// already in the outbox for a channel (`weekly-summary:2026-W47`) is silently skipped, also
    /// when another instance writes it concurrently.
    pub fn enqueue_in(
        &self,
        conn: &mut AnyConnection,
        notification: &Notification,
        dedupe_key: Option<&str>,
    ) -> Result<()> {
        if !self.check_configured(notification) {
            return Ok(());
        }
        let rows = OutboxRows::new(notification)?;
        rows.insert(conn, &self.channels, dedupe_key, unix_now())?;
        Ok(())
    }

    /// [`Notifier::enqueue_in`] in a transaction of its own.
    pub async fn enqueue(&self, notification: Notification, dedupe_key: Option<String>) -> Result<()> {
        if !self.check_configured(&notification) {
            return Ok(());
        }
        let rows = OutboxRows::new(&notification)?;
        let channels = self.channels.clone();
        let now = unix_now();
        self.database
            .run(move |conn| {
                conn.transaction(|conn| rows.insert(conn, &channels, dedupe_key.as_deref(), now))
            })
            .await?;
        Ok(())
    }

    /// Delivers every due row (see [`Notifier::deliver_due_at`]) at the current time.
    pub async fn deliver_due(&self) -> Result<DeliveryReport> {
        self.deliver_due_at(unix_now()).await
    }

    /// Delivers every row due at `now` (unix seconds; tests pass a later clock instead of
    /// waiting out the backoff). Each row is claimed first, so concurrent callers (other tasks,
    /// other instances) never send it twice; each is attempted at most once per call. `Err` only
    /// when the database fails: delivery failures are recorded on the rows.
    pub async fn deliver_due_at(&self, now: i64) -> Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        let mut after = 0_i64;
        loop {
            let due: Vec<i64> = self
                .database
                .run(move |conn| {
                    Ok(outbox::aml_notifications
                        .select(outbox::id)
                        .filter(outbox::status.eq(PENDING))
                        .filter(outbox::next_attempt_at.le(now))
                        .filter(outbox::claimed_until.le(now))
                        .filter(outbox::id.gt(after))
                        .order(outbox::id.asc())
                        .limit(BATCH)
                        .load(conn)?)
                })
                .await?;
            let Some(&last) = due.last() else { break };
            after = last;
            for id in due {
                match self.claim(id, now).await? {
                    Some((token, row)) => match self.attempt(token, row, now).await? {
                        Outcome::Sent => report.sent += 1,
                        Outcome::Retrying => report.retrying += 1,
                        Outcome::Failed => report.failed += 1,
                    },
                    None => report.skipped += 1,
                }
            }
        }
        Ok(report)
    }

    /// Delivers due rows every `poll` until the task is dropped. Never panics and never stops on
    /// an error: database failures are logged and the next round tries again.
    pub async fn run(self: Arc<Self>, poll: Duration) {
        loop {
            let this = Arc::clone(&self);
            match tokio::spawn(async move { this.deliver_due().await }).await {
                Ok(Ok(report)) if report.attempted() > 0 => tracing::info!(
                    sent = report.sent,
                    retrying = report.retrying,
                    failed = report.failed,
                    "aml notifications delivered"
                ),
                Ok(Ok(_)) => {}
                Ok(Err(err)) => tracing::error!(error = %err, "aml notifications: delivery round failed"),
                Err(err) => tracing::error!(error = %err, "aml notifications: delivery round panicked"),
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Counts by status, the latest error and the oldest pending row.
    pub async fn outbox_status(&self) -> Result<OutboxStatus> {
        let status = self
            .database
            .run(|conn| {
                let counts: Vec<(String, i64)> = outbox::aml_notifications
                    .group_by(outbox::status)
                    .select((outbox::status, diesel::dsl::count_star()))
                    .load(conn)?;
                let last_error: Option<(Option<String>, Option<i64>, String)> = outbox::aml_notifications
                    .select((outbox::last_error, outbox::last_attempt_at, outbox::channel))
                    .filter(outbox::last_error.is_not_null())
                    .order((outbox::last_attempt_at.desc(), outbox::id.desc()))
                    .first(conn)
                    .optional()?;
                let oldest_pending: Option<i64> = outbox::aml_notifications
                    .select(outbox::created_at)
                    .filter(outbox::status.eq(PENDING))
                    .order(outbox::created_at.asc())
                    .first(conn)
                    .optional()?;
                let counts: BTreeMap<String, i64> = counts.into_iter().collect();
                let count = |status: &str| counts.get(status).copied().unwrap_or(0);
                let (last_error, last_error_at, last_error_channel) = match last_error {
                    Some((error, at, channel)) => (error, at, Some(channel)),
                    None => (None, None, None),
                };
                Ok(OutboxStatus {
                    pending: count(PENDING),
                    sent: count(SENT),
                    failed: count(FAILED),
                    last_error,
                    last_error_at,
                    last_error_channel,
                    oldest_pending_at: oldest_pending,
                })
            })
            .await?;
        Ok(status)
    }

    /// The newest `limit` rows with `status` (`pending`, `sent`, `failed`), or of any status.
    pub async fn outbox(&self, status: Option<&str>, limit: i64) -> Result<Vec<OutboxEntry>> {
        let status = status.map(str::to_string);
        let rows: Vec<EntryRow> = self
            .database
            .run(move |conn| {
                let mut query = outbox::aml_notifications
                    .select((
                        outbox::id,
                        outbox::delivery_id,
                        outbox::channel,
                        outbox::kind,
                        outbox::subject,
                        outbox::status,
                        outbox::attempts,
                        outbox::created_at,
                        outbox::next_attempt_at,
                        outbox::last_attempt_at,
                        outbox::last_error,
                    ))
                    .order(outbox::id.desc())
                    .limit(limit.max(0))
                    .into_boxed();
                if let Some(status) = status {
                    query = query.filter(outbox::status.eq(status));
                }
                Ok(query.load(conn)?)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    delivery_id,
                    channel,
                    kind,
                    subject,
                    status,
                    attempts,
                    created_at,
                    next_attempt_at,
                    last_attempt_at,
                    last_error,
                )| OutboxEntry {
                    sent_at: if status == SENT { last_attempt_at } else { None },
                    id,
                    delivery_id,
                    channel,
                    kind,
                    subject,
                    status,
                    attempts,
                    created_at,
                    next_attempt_at,
                    last_attempt_at,
                    last_error,
                },
            )
            .collect())
    }

    /// Puts `failed` rows back in the queue with fresh attempts (all of them, or the one with
    /// row id `id`), for an officer who fixed the cause. Returns how many rows were requeued.
    pub async fn retry_failed(&self, id: Option<i64>) -> Result<usize> {
        let now = unix_now();
        let requeued = self
            .database
            .run(move |conn| {
                let mut query =
                    diesel::update(outbox::aml_notifications).filter(outbox::status.eq(FAILED)).into_boxed();
                if let Some(id) = id {
                    query = query.filter(outbox::id.eq(id));
                }
                Ok(query
                    .set((
                        outbox::status.eq(PENDING),
                        outbox::attempts.eq(0_i64),
                        outbox::next_attempt_at.eq(now),
                        outbox::claimed_until.eq(0_i64),
                    ))
                    .execute(conn)?)
            })
            .await?;
        if requeued > 0 {
            tracing::info!(requeued, "aml notifications: failed deliveries requeued");
        }
        Ok(requeued)
    }

    fn check_configured(&self, notification: &Notification) -> bool {
        if self.channels.is_empty() {
            if !self.warned_unconfigured.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    kind = notification.kind.as_str(),
                    "aml notifications are not configured (SMTP_URL with COMPLIANCE_OFFICER_EMAIL, \
                     or AML_WEBHOOK_URL with AML_WEBHOOK_SECRET): the compliance officer is not \
                     notified"
                );
            }
            return false;
        }
        true
    }

    fn lease_seconds(&self) -> i64 {
        i64::try_from(self.config.timeout.as_secs()).unwrap_or(3_600).saturating_mul(2).saturating_add(60)
    }

    /// Takes the row for this worker if it is still due and unclaimed.
    async fn claim(&self, id: i64, now: i64) -> Result<Option<(String, DueRow)>> {
        let token = random_id("claim_")?;
        let until = now.saturating_add(self.lease_seconds());
        let claim_token = token.clone();
        let row = self
            .database
            .run(move |conn| {
                let claimed = diesel::update(
                    outbox::aml_notifications
                        .filter(outbox::id.eq(id))
                        .filter(outbox::status.eq(PENDING))
                        .filter(outbox::next_attempt_at.le(now))
                        .filter(outbox::claimed_until.le(now)),
                )
                .set((outbox::claimed_until.eq(until), outbox::claim_token.eq(Some(&claim_token))))
                .execute(conn)?;
                if claimed != 1 {
                    return Ok(None);
                }
                let row: DueRow = outbox::aml_notifications
                    .select((
                        outbox::id,
                        outbox::delivery_id,
                        outbox::channel,
                        outbox::kind,
                        outbox::subject,
                        outbox::body,
                        outbox::details,
                        outbox::attempts,
                        outbox::created_at,
                    ))
                    .filter(outbox::id.eq(id))
                    .first(conn)?;
                Ok(Some(row))
            })
            .await?;
        Ok(row.map(|row| (token, row)))
    }

    /// Sends one claimed row and records the outcome.
    async fn attempt(&self, token: String, row: DueRow, now: i64) -> Result<Outcome> {
        let (id, delivery_id, channel, kind, subject, body, details, attempts, created_at) = row;
        let message = StoredMessage { delivery_id, kind, subject, body, details, created_at };
        let sent = match tokio::time::timeout(self.config.timeout, self.send(&channel, &message)).await {
            Ok(result) => result,
            Err(_) => Err(format!("timed out after {} ms", self.config.timeout.as_millis())),
        };
        let attempts = attempts.saturating_add(1);
        let (outcome, update) = match sent {
            Ok(()) => (Outcome::Sent, (SENT, now, None)),
            Err(error) => {
                let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
                let max_attempts = i64::from(self.config.max_attempts);
                if attempts >= max_attempts {
                    tracing::error!(
                        delivery_id = %message.delivery_id,
                        channel = %channel,
                        kind = %message.kind,
                        attempts,
                        error = %error,
                        "aml notification could not be delivered and is given up; it stays in the \
                         outbox as failed"
                    );
                    (Outcome::Failed, (FAILED, now, Some(error)))
                } else {
                    let next = now.saturating_add(self.backoff_seconds(attempts));
                    tracing::warn!(
                        delivery_id = %message.delivery_id,
                        channel = %channel,
                        kind = %message.kind,
                        attempts,
                        next_attempt_at = next,
                        error = %error,
                        "aml notification delivery failed; will retry"
                    );
                    (Outcome::Retrying, (PENDING, next, Some(error)))
                }
            }
        };
        let (status, next_attempt_at, last_error) = update;
        let delivery_id = message.delivery_id.clone();
        let recorded = self
            .database
            .run(move |conn| {
                let updated = diesel::update(
                    outbox::aml_notifications
                        .filter(outbox::id.eq(id))
                        .filter(outbox::status.eq(PENDING))
                        .filter(outbox::claim_token.eq(Some(&token))),
                )
                .set((
                    outbox::status.eq(status),
                    outbox::attempts.eq(attempts),
                    outbox::next_attempt_at.eq(next_attempt_at),
                    outbox::claimed_until.eq(0_i64),
                    outbox::claim_token.eq(None::<String>),
                    outbox::last_attempt_at.eq(Some(now)),
                ))
                .execute(conn)?;
                if let (1, Some(error)) = (updated, last_error) {
                    diesel::update(outbox::aml_notifications.filter(outbox::id.eq(id)))
                        .set(outbox::last_error.eq(Some(error)))
                        .execute(conn)?;
                }
                Ok(updated)
            })
            .await?;
        if recorded != 1 {
            tracing::warn!(
                delivery_id = %delivery_id,
                "aml notification: the claim expired before the outcome was recorded; another \
                 worker may attempt it again"
            );
        }
        Ok(outcome)
    }

    fn backoff_seconds(&self, attempts: i64) -> i64 {
        backoff_seconds(self.config.backoff_base, self.config.backoff_max, attempts)
    }

    async fn send(&self, channel: &str, message: &StoredMessage) -> std::result::Result<(), String> {
        match channel {
            "email" => match &self.email {
                Some(email) => send_email(email, message).await,
                None => Err("email is no longer configured (SMTP_URL)".into()),
            },
            "webhook" => match &self.webhook {
                Some(webhook) => send_webhook(webhook, message).await,
                None => Err("the webhook is no longer configured (AML_WEBHOOK_URL)".into()),
            },
            other => Err(format!("unknown channel {other:?}")),
        }
    }
}

enum Outcome {
    Sent,
    Retrying,
    Failed,
}

/// A row's content, as delivered.
struct StoredMessage {
    delivery_id: String,
    kind: String,
    subject: String,
    body: String,
    details: String,
    created_at: i64,
}

/// The columns every channel's row shares.
struct OutboxRows {
    kind: &'static str,
    subject: String,
    body: String,
    details: String,
}

impl OutboxRows {
    fn new(notification: &Notification) -> Result<Self> {
        Ok(OutboxRows {
            kind: notification.kind.as_str(),
            subject: notification.subject_line.replace(['\r', '\n'], " "),
            body: notification.text.clone(),
            details: serde_json::to_string(&notification.details)
                .map_err(|err| Error::Store(format!("notification details: {err}")))?,
        })
    }

    /// Inserts one row per channel; each in a savepoint, so that a duplicate dedupe key (even
    /// one committed concurrently by another instance) leaves the caller's transaction usable.
    /// No "does it exist?" query first: on SQLite a transaction that read before it writes
    /// cannot wait for a concurrent writer (it fails with "database is locked"), while one whose
    /// first statement writes waits for it (`busy_timeout`).
    fn insert(
        &self,
        conn: &mut AnyConnection,
        channels: &[Channel],
        dedupe_key: Option<&str>,
        now: i64,
    ) -> Result<usize, DbError> {
        let mut inserted = 0;
        for channel in channels {
            let delivery_id = random_id("ntf_").map_err(|err| DbError::Unavailable(err.to_string()))?;
            let row = (
                outbox::delivery_id.eq(delivery_id),
                outbox::channel.eq(channel.as_str()),
                outbox::kind.eq(self.kind),
                outbox::subject.eq(&self.subject),
                outbox::body.eq(&self.body),
                outbox::details.eq(&self.details),
                outbox::dedupe_key.eq(dedupe_key),
                outbox::status.eq(PENDING),
                outbox::attempts.eq(0_i64),
                outbox::created_at.eq(now),
                outbox::next_attempt_at.eq(now),
                outbox::claimed_until.eq(0_i64),
            );
            let result = conn.transaction::<_, diesel::result::Error, _>(|conn| {
                diesel::insert_into(outbox::aml_notifications).values(row).execute(conn)
            });
            match result {
                Ok(_) => inserted += 1,
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) if dedupe_key.is_some() => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(inserted)
    }
}

/// The backoff after `attempts` failed attempts: `base · 2^(attempts-1)`, at most `max`.
pub(crate) fn backoff_seconds(base: Duration, max: Duration, attempts: i64) -> i64 {
    let base = i64::try_from(base.as_secs()).unwrap_or(i64::MAX);
    let max = i64::try_from(max.as_secs()).unwrap_or(i64::MAX);
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 62)).unwrap_or(62);
    base.checked_mul(1_i64 << doublings).unwrap_or(i64::MAX).min(max)
}

/// An error and its causes on one line.
fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// `scheme://host[:port]/…` with the path, query and credentials left out.
fn redacted_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}/…", url.scheme()),
            (Some(host), None) => format!("{}://{host}/…", url.scheme()),
            _ => "[invalid URL]".into(),
        },
        Err(_) => "[invalid URL]".into(),
    }
}

fn random_id(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| Error::Store(format!("no randomness: {err}")))?;
    Ok(format!("{prefix}{}", anchor_core::hex::encode(&bytes)))
}

#[cfg(test)]
mod tests;
