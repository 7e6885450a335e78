//! What the notifier sends and reports: the notification kinds and content the monitor hands
//! over, the weekly summary's dedupe key, and the outbox's figures for the admin API.

use serde::Serialize;

/// What a notification reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A screening produced a hit (match or review band).
    NewHit,
    /// An account was frozen.
    Freeze,
    /// An account was unfrozen.
    Unfreeze,
    /// An officer decided a case.
    CaseDecision,
    /// A scan failed.
    ScanFailed,
    /// A list update (download or import) failed.
    ListUpdateFailed,
    /// The weekly summary.
    WeeklySummary,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 7] = [
        NotificationKind::NewHit,
        NotificationKind::Freeze,
        NotificationKind::Unfreeze,
        NotificationKind::CaseDecision,
        NotificationKind::ScanFailed,
        NotificationKind::ListUpdateFailed,
        NotificationKind::WeeklySummary,
    ];

    /// The stored and sent name (`new_hit`, `freeze`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::NewHit => "new_hit",
            NotificationKind::Freeze => "freeze",
            NotificationKind::Unfreeze => "unfreeze",
            NotificationKind::CaseDecision => "case_decision",
            NotificationKind::ScanFailed => "scan_failed",
            NotificationKind::ListUpdateFailed => "list_update_failed",
            NotificationKind::WeeklySummary => "weekly_summary",
        }
    }
}

impl std::fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One notification, as the monitor hands it over.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// What it reports.
    pub kind: NotificationKind,
    /// The email subject and the webhook's `subject`.
    pub subject_line: String,
    /// The plain-text body.
    pub text: String,
    /// Structured details (case id, list, score, …): the webhook's `details`, and appended to the
    /// email. `Value::Null` for none.
    pub details: serde_json::Value,
}

impl Notification {
    /// A notification without details.
    pub fn new(kind: NotificationKind, subject_line: impl Into<String>, text: impl Into<String>) -> Self {
        Notification {
            kind,
            subject_line: subject_line.into(),
            text: text.into(),
            details: serde_json::Value::Null,
        }
    }

    /// The same notification with `details`.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// The dedupe key of the weekly summary that reports the ISO week holding `unix` seconds:
/// `weekly-summary:2026-W47`, the week the report's label names (a summary is queued in the
/// week after the one it reports).
pub fn weekly_summary_key(unix: i64) -> String {
    format!("weekly-summary:{}", crate::monitor::iso_week(unix))
}

/// What one [`Notifier::deliver_due`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Rows delivered.
    pub sent: usize,
    /// Rows whose attempt failed and that will be tried again.
    pub retrying: usize,
    /// Rows whose last allowed attempt failed: now `failed`.
    pub failed: usize,
    /// Due rows another worker claimed first.
    pub skipped: usize,
}

impl DeliveryReport {
    /// Attempts made.
    pub fn attempted(&self) -> usize {
        self.sent + self.retrying + self.failed
    }
}

/// The outbox at a glance, for the admin stats endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxStatus {
    /// Rows waiting for delivery (including ones between retries).
    pub pending: i64,
    /// Rows delivered.
    pub sent: i64,
    /// Rows that used up their attempts.
    pub failed: i64,
    /// The most recent failed attempt's error, on any row.
    pub last_error: Option<String>,
    /// When it happened (unix seconds).
    pub last_error_at: Option<i64>,
    /// Its channel (`email` or `webhook`).
    pub last_error_channel: Option<String>,
    /// When the oldest pending row was written (unix seconds): a growing age means deliveries
    /// are stuck.
    pub oldest_pending_at: Option<i64>,
}

/// One outbox row, as [`Notifier::outbox`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// Row id (for [`Notifier::retry_failed`]).
    pub id: i64,
    /// The `X-Anchor-Delivery` id.
    pub delivery_id: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// The notification kind.
    pub kind: String,
    /// The subject line.
    pub subject: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the next attempt (pending rows).
    pub next_attempt_at: i64,
    /// Unix seconds of the last attempt.
    pub last_attempt_at: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Unix seconds of the delivery.
    pub sent_at: Option<i64>,
}
