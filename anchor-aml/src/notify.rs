//! PLACEHOLDER until the `notify` branch lands: the API the monitor calls, doing nothing.
#![allow(missing_docs, dead_code)]

use anchor_core::db::AnyConnection;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    NewHit,
    Freeze,
    Unfreeze,
    CaseDecision,
    ScanFailed,
    ListUpdateFailed,
    WeeklySummary,
}

#[derive(Debug, Clone)]
pub struct Notification {
    pub kind: NotificationKind,
    pub subject_line: String,
    pub text: String,
    pub details: serde_json::Value,
}

#[derive(Debug)]
pub struct Notifier;

impl Notifier {
    pub fn enqueue_in(&self, _conn: &mut AnyConnection, _n: &Notification, _key: Option<&str>) -> Result<()> {
        Ok(())
    }

    pub async fn run(self: std::sync::Arc<Self>, _poll: std::time::Duration) {}
}
