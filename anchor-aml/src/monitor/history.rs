//! One subject's screening history, for the officer console's customer view: arrival
//! screenings, the scans that covered it, hits, freezes, decisions and notes, newest first.
//!
//! Assembled from the audit trail (records that name the subject or one of its cases) and from
//! the scan batches whose subject range covers it, so it shows exactly what the audit shows.

use anchor_core::db::schema::aml_audit_log::dsl as log;
use anchor_core::db::schema::aml_cases::dsl as c;
use anchor_core::db::schema::aml_scan_batches::dsl as b;
use anchor_core::db::schema::aml_scans::dsl as sc;
use diesel::prelude::*;
use serde::Serialize;

use super::{subjects, AmlMonitor, SubjectSummary};
use crate::error::{Error, Result};

type Backend = <anchor_core::db::AnyConnection as diesel::Connection>::Backend;

/// Audit kinds that belong in a subject's history.
const HISTORY_KINDS: [&str; 7] =
    ["screening", "screening_hit", "freeze", "unfreeze", "case_decision", "case_note", "subject_erased"];
/// Most cases of one subject whose records are looked up.
const MAX_CASES: i64 = 100;

/// One event in a subject's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEvent {
    /// Unix seconds.
    pub at: i64,
    /// The audit kind (`screening`, `screening_hit`, `freeze`, …) or `scan` for a scan batch
    /// that covered the subject.
    pub kind: String,
    /// The audit record's sequence number (none for a scan batch).
    pub seq: Option<i64>,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// The scan concerned, if any.
    pub scan_id: Option<i64>,
    /// The audit payload (for a scan batch: the scan's kind and the batch's figures).
    pub details: serde_json::Value,
}

impl AmlMonitor {
    /// Subjects whose key, names or accounts contain `text`, newest first (at most `limit`,
    /// 1..=500). Blocking.
    pub fn search_subjects(&self, text: &str, limit: i64) -> Result<Vec<SubjectSummary>> {
        let limit = limit.clamp(1, 500);
        let text = text.to_string();
        Ok(self.inner.database.run_blocking(move |conn| subjects::search(conn, &text, limit))?)
    }

    /// The subject and its history, newest first (at most `limit` events). Blocking.
    pub fn subject_history(&self, id: i64, limit: i64) -> Result<(SubjectSummary, Vec<HistoryEvent>)> {
        let limit = limit.clamp(1, 5000);
        let found = self.inner.database.run_blocking(move |conn| {
            let Some(subject) = subjects::summary(conn, id)? else { return Ok(None) };
            let case_ids: Vec<i64> = c::aml_cases
                .select(c::id)
                .filter(c::subject_id.eq(id))
                .order(c::id.desc())
                .limit(MAX_CASES)
                .load(conn)?;
            let mut patterns = vec![format!("%\"subject_id\":{id},%"), format!("%\"subject_id\":{id}}}%")];
            for case in &case_ids {
                patterns.push(format!("%\"case_id\":{case},%"));
                patterns.push(format!("%\"case_id\":{case}}}%"));
            }
            let mut query = log::aml_audit_log
                .select((log::seq, log::recorded_at, log::kind, log::payload))
                .filter(log::kind.eq_any(HISTORY_KINDS))
                .order(log::seq.desc())
                .limit(limit)
                .into_boxed();
            let mut matches: Box<
                dyn BoxableExpression<log::aml_audit_log, Backend, SqlType = diesel::sql_types::Bool>,
            > = Box::new(log::payload.like(patterns[0].clone()));
            for pattern in &patterns[1..] {
                matches = Box::new(matches.or(log::payload.like(pattern.clone())));
            }
            query = query.filter(matches);
            let records: Vec<(i64, i64, String, String)> = query.load(conn)?;
            let batches: Vec<(i64, i64, i64, i64, String)> = b::aml_scan_batches
                .inner_join(sc::aml_scans.on(sc::id.eq(b::scan_id)))
                .select((b::scan_id, b::committed_at, b::screened, b::hits, sc::kind))
                .filter(b::first_subject_id.le(id))
                .filter(b::last_subject_id.ge(id))
                .order(b::committed_at.desc())
                .limit(limit)
                .load(conn)?;
            Ok(Some((subject, records, batches)))
        })?;
        let Some((subject, records, batches)) = found else {
            return Err(Error::NotFound(format!("no subject {id}")));
        };
        let mut events: Vec<HistoryEvent> = records
            .into_iter()
            .map(|(seq, at, kind, payload)| {
                let details: serde_json::Value =
                    serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null);
                HistoryEvent {
                    at,
                    kind,
                    seq: Some(seq),
                    case_id: details.get("case_id").and_then(serde_json::Value::as_i64),
                    scan_id: details.get("scan_id").and_then(serde_json::Value::as_i64),
                    details,
                }
            })
            .collect();
        events.extend(batches.into_iter().map(|(scan_id, at, screened, hits, kind)| HistoryEvent {
            at,
            kind: "scan".to_string(),
            seq: None,
            case_id: None,
            scan_id: Some(scan_id),
            details: serde_json::json!({"scan_kind": kind, "batch_screened": screened, "batch_hits": hits}),
        }));
        events.sort_by(|a, b| b.at.cmp(&a.at).then(b.seq.cmp(&a.seq)));
        events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((subject, events))
    }
}
