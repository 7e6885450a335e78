//! Cases: what a screening found, how it was decided, and the freezes it caused.

use std::collections::HashSet;

use anchor_core::db::schema::aml_allowlist::dsl as allow;
use anchor_core::db::schema::aml_cases::dsl as c;
use anchor_core::db::{AnyConnection, DbError};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::frozen::{self, Identity};
use super::subjects::{self, StoredSubject, SubjectStatus};
use super::{FreezeScope, ListSnapshot, MonitorTxError, ENGINE_VERSION};
use crate::audit::append_in;
use crate::error::Error;
use crate::notify::{Notification, NotificationKind, Notifier};
use anchor_screening::{HitDecision, ScoreFactor, ScreeningConfig, ScreeningHit};

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Waiting for an officer.
    Open,
    /// A false positive: allow-listed for that entry until the allow-list entry expires.
    Cleared,
    /// A true match: the subject's accounts stay frozen.
    Confirmed,
}

impl CaseStatus {
    /// The stored and shown name (`open`, `cleared` or `confirmed`).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Cleared => "cleared",
            CaseStatus::Confirmed => "confirmed",
        }
    }

    /// Parses `open`, `cleared` or `confirmed`.
    pub fn parse(text: &str) -> Option<CaseStatus> {
        match text {
            "open" => Some(CaseStatus::Open),
            "cleared" => Some(CaseStatus::Cleared),
            "confirmed" => Some(CaseStatus::Confirmed),
            _ => None,
        }
    }
}

/// A case in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseSummary {
    /// Case number.
    pub id: i64,
    /// The subject.
    pub subject_id: i64,
    /// List code.
    pub list: String,
    /// Entry id in the list.
    pub entry_id: String,
    /// The entry's primary name.
    pub entry_name: String,
    /// Score.
    pub score: f32,
    /// `match` or `review`.
    pub decision: String,
    /// Status.
    pub status: CaseStatus,
    /// Unix seconds.
    pub opened_at: i64,
    /// The scan that found it (none: found when the subject arrived or changed).
    pub scan_id: Option<i64>,
    /// Unix seconds.
    pub decided_at: Option<i64>,
    /// The officer who decided.
    pub decided_by: Option<String>,
    /// The officer's reason.
    pub decision_reason: Option<String>,
}

/// A case with everything an officer needs to decide it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseDetails {
    /// The case.
    #[serde(flatten)]
    pub case: CaseSummary,
    /// The screened subject (its fields as stored now).
    pub subject: Option<subjects::SubjectSummary>,
    /// The hit: matched names, score factors, the list entry and its list version.
    pub hit: serde_json::Value,
    /// Notes, oldest first.
    pub notes: serde_json::Value,
    /// The identities the subject's cases hold frozen.
    pub frozen_accounts: Vec<String>,
    /// What this case freezes on a match or a confirmation: `G…` accounts and `G…:<memo>`
    /// customers.
    pub freeze_targets: Vec<String>,
    /// The subject's screened fields as they were when the customer was erased (kept for the
    /// case: legal hold); `None` while the subject is not erased.
    pub subject_snapshot: Option<serde_json::Value>,
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only this status.
    pub status: Option<CaseStatus>,
    /// Only this subject.
    pub subject_id: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// An officer's decision on a case.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseDecision {
    /// A false positive: allow-list the subject for this entry until `allow_until` (unix
    /// seconds; default now + `AML_ALLOWLIST_EXPIRY`), and unfreeze what only this case froze.
    Clear {
        /// Allow-list expiry.
        allow_until: Option<i64>,
    },
    /// A true match: keep (or put) the subject's accounts frozen.
    Confirm,
}

type CaseRow = (
    i64,
    i64,
    String,
    String,
    String,
    f32,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

macro_rules! case_columns {
    () => {
        (
            c::id,
            c::subject_id,
            c::list_source,
            c::entry_id,
            c::entry_name,
            c::score,
            c::decision,
            c::status,
            c::opened_at,
            c::scan_id,
            c::decided_at,
            c::decided_by,
            c::decision_reason,
        )
    };
}

fn to_summary(row: CaseRow) -> CaseSummary {
    let (
        id,
        subject_id,
        list,
        entry_id,
        entry_name,
        score,
        decision,
        status,
        opened_at,
        scan_id,
        decided_at,
        decided_by,
        decision_reason,
    ) = row;
    CaseSummary {
        id,
        subject_id,
        list,
        entry_id,
        entry_name,
        score,
        decision,
        status: CaseStatus::parse(&status).unwrap_or(CaseStatus::Open),
        opened_at,
        scan_id,
        decided_at,
        decided_by,
        decision_reason,
    }
}

pub(crate) fn list(conn: &mut AnyConnection, filter: &CaseFilter) -> Result<Vec<CaseSummary>, DbError> {
    let mut query = c::aml_cases.select(case_columns!()).into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(c::status.eq(status.as_str()));
    }
    if let Some(subject_id) = filter.subject_id {
        query = query.filter(c::subject_id.eq(subject_id));
    }
    let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
    let rows: Vec<CaseRow> = query.order((c::score.desc(), c::opened_at.asc())).limit(limit).load(conn)?;
    Ok(rows.into_iter().map(to_summary).collect())
}

pub(crate) fn details(conn: &mut AnyConnection, id: i64) -> Result<Option<CaseDetails>, DbError> {
    type DetailsRow = (CaseRow, String, String, Option<String>);
    let row: Option<DetailsRow> = c::aml_cases
        .select((case_columns!(), c::details_json, c::notes_json, c::hold_json))
        .filter(c::id.eq(id))
        .first(conn)
        .optional()?;
    let Some((row, hit, notes, hold)) = row else { return Ok(None) };
    let hold = CaseHold::decode(hold.as_deref());
    let case = to_summary(row);
    let subject = subjects::summary(conn, case.subject_id)?;
    let frozen_accounts = frozen::of_subject(conn, case.subject_id)?;
    Ok(Some(CaseDetails {
        case,
        subject,
        hit: serde_json::from_str(&hit).unwrap_or(serde_json::Value::Null),
        notes: serde_json::from_str(&notes).unwrap_or_else(|_| json!([])),
        frozen_accounts,
        freeze_targets: hold.freeze_targets,
        subject_snapshot: hold.snapshot,
    }))
}

pub(crate) fn count_by_status(conn: &mut AnyConnection, status: CaseStatus) -> Result<i64, DbError> {
    Ok(c::aml_cases.filter(c::status.eq(status.as_str())).count().get_result(conn)?)
}

pub(crate) fn count_all(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(c::aml_cases.count().get_result(conn)?)
}

/// What applying one subject's hits did.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub(crate) opened: Vec<i64>,
    pub(crate) newly_frozen: Vec<String>,
    pub(crate) status: Option<SubjectStatus>,
    /// Best remaining hit decision (after the allow-list), for SEP-3 answers.
    pub(crate) outcome: Option<(HitDecision, i64)>,
}

/// The context of a screening, recorded with each hit.
pub(crate) struct ScreeningRun<'a> {
    pub(crate) lists: &'a ListSnapshot,
    pub(crate) config: &'a ScreeningConfig,
    pub(crate) scan_id: Option<i64>,
    pub(crate) trigger: &'a str,
    pub(crate) notifier: Option<&'a Notifier>,
    pub(crate) freeze_scope: FreezeScope,
}

/// The identity of a SEP-12 subject (`sep12:<account>:<memo key>`); `None` for other keys.
fn customer_identity(key: &str) -> Option<Identity> {
    let (account, memo) = key.strip_prefix("sep12:")?.split_once(':')?;
    if memo.is_empty() {
        Identity::parse(account)
    } else {
        Identity::parse(&format!("{account}:{memo}"))
    }
}

/// The identities a match of `hit` on `subject` freezes (the freeze scope, ARCHITECTURE.md):
/// a listed address freezes that account; a memo or muxed customer of a shared account freezes
/// that customer, and the whole account too when the scope says so or the account has no other
/// customer; any other subject freezes its accounts.
fn freeze_targets(
    conn: &mut AnyConnection,
    subject: &StoredSubject,
    hit: &ScreeningHit,
    scope: FreezeScope,
) -> Result<Vec<String>, DbError> {
    if hit.factors.iter().any(|factor| matches!(factor, ScoreFactor::CryptoAddress { .. })) {
        return Ok(Identity::parse(&hit.query_name).map(|listed| vec![listed.account]).unwrap_or_default());
    }
    let Some(identity) = customer_identity(&subject.key) else {
        return Ok(subject.fields.accounts.clone());
    };
    let Some(customer) = identity.customer else { return Ok(vec![identity.account]) };
    let mut targets = vec![customer];
    if scope == FreezeScope::Account || subjects::customers_of(conn, &identity.account)? <= 1 {
        targets.push(identity.account);
    }
    Ok(targets)
}

/// What a case holds (column `hold_json`): the identities it freezes, fixed when it opens, and
/// the subject's screened fields once the customer was erased.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
struct CaseHold {
    #[serde(default)]
    freeze_targets: Vec<String>,
    #[serde(default)]
    snapshot: Option<serde_json::Value>,
}

impl CaseHold {
    fn decode(json: Option<&str>) -> CaseHold {
        json.and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default()
    }

    fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// Keeps the screened fields of `subject_id` on its open and confirmed cases before the subject
/// is erased, so the officer can still decide them (legal hold). Returns how many cases.
pub(crate) fn keep_snapshots(
    conn: &mut AnyConnection,
    subject_id: i64,
    snapshot: &serde_json::Value,
) -> Result<usize, DbError> {
    let rows: Vec<(i64, Option<String>)> = c::aml_cases
        .select((c::id, c::hold_json))
        .filter(c::subject_id.eq(subject_id))
        .filter(c::status.ne(CaseStatus::Cleared.as_str()))
        .load(conn)?;
    for (id, hold) in &rows {
        let mut hold = CaseHold::decode(hold.as_deref());
        hold.snapshot = Some(snapshot.clone());
        diesel::update(c::aml_cases.filter(c::id.eq(id)))
            .set(c::hold_json.eq(Some(hold.encode())))
            .execute(conn)?;
    }
    Ok(rows.len())
}

/// Records a subject's hits: opens a case per new (subject, entry) pair in the review band or
/// above, unless allow-listed or already open or confirmed; freezes the subject's accounts on a
/// match; updates its status. Each step is audited in the caller's transaction.
pub(crate) fn apply_hits(
    conn: &mut AnyConnection,
    subject: &StoredSubject,
    hits: &[ScreeningHit],
    run: &ScreeningRun<'_>,
    now: i64,
) -> Result<Applied, DbError> {
    let mut applied = Applied::default();
    let mut seen = HashSet::new();
    // Newly opened match cases with what each freezes.
    let mut match_cases: Vec<(i64, Vec<String>)> = Vec::new();
    for hit in hits {
        let list = hit.list.code();
        if !seen.insert((list.clone(), hit.source_id.clone())) {
            continue;
        }
        if is_allow_listed(conn, subject.id, &list, &hit.source_id, now)? {
            continue;
        }
        let existing: Option<(i64, String, String)> = c::aml_cases
            .select((c::id, c::status, c::decision))
            .filter(c::subject_id.eq(subject.id))
            .filter(c::list_source.eq(&list))
            .filter(c::entry_id.eq(&hit.source_id))
            .filter(c::status.ne(CaseStatus::Cleared.as_str()))
            .first(conn)
            .optional()?;
        // A freeze comes with a newly opened match case, or an open review case whose entry now
        // matches (the subject's fields grew: a name completed by a later PUT): an existing match
        // case's identities are the officers' to freeze and unfreeze, and a rescan must not undo
        // an unfreeze.
        let (case_id, opened, targets) = match existing {
            Some((id, status, decision))
                if hit.decision == HitDecision::Match
                    && status == CaseStatus::Open.as_str()
                    && decision == decision_name(HitDecision::Review) =>
            {
                let targets = freeze_targets(conn, subject, hit, run.freeze_scope)?;
                let hold = CaseHold { freeze_targets: targets.clone(), snapshot: None }.encode();
                let details = hit_json(hit, run);
                diesel::update(c::aml_cases.filter(c::id.eq(id)))
                    .set((
                        c::decision.eq(decision_name(HitDecision::Match)),
                        c::score.eq(hit.score),
                        c::details_json.eq(details.to_string()),
                        c::hold_json.eq(Some(hold)),
                    ))
                    .execute(conn)?;
                append_in(
                    conn,
                    "case_escalated",
                    &json!({
                        "case_id": id,
                        "subject_id": subject.id,
                        "list": list,
                        "entry_id": hit.source_id,
                        "score": hit.score,
                        "from": "review",
                        "to": "match",
                        "trigger": run.trigger,
                        "scan_id": run.scan_id,
                        "list_versions": run.lists.versions_json(),
                        "engine": ENGINE_VERSION,
                    })
                    .to_string(),
                    now,
                )?;
                (id, true, targets)
            }
            Some((id, _, _)) => (id, false, Vec::new()),
            None => {
                let details = hit_json(hit, run);
                let targets = freeze_targets(conn, subject, hit, run.freeze_scope)?;
                let hold = CaseHold { freeze_targets: targets.clone(), snapshot: None }.encode();
                diesel::insert_into(c::aml_cases)
                    .values((
                        c::subject_id.eq(subject.id),
                        c::list_source.eq(&list),
                        c::entry_id.eq(&hit.source_id),
                        c::entry_name.eq(&hit.primary_name),
                        c::score.eq(hit.score),
                        c::decision.eq(decision_name(hit.decision)),
                        c::status.eq(CaseStatus::Open.as_str()),
                        c::details_json.eq(details.to_string()),
                        c::opened_at.eq(now),
                        c::scan_id.eq(run.scan_id),
                        c::notes_json.eq("[]"),
                        c::hold_json.eq(Some(&hold)),
                    ))
                    .execute(conn)?;
                let id: i64 = c::aml_cases
                    .select(c::id)
                    .filter(c::subject_id.eq(subject.id))
                    .filter(c::list_source.eq(&list))
                    .filter(c::entry_id.eq(&hit.source_id))
                    .order(c::id.desc())
                    .first(conn)?;
                let payload = json!({
                    "case_id": id,
                    "subject_id": subject.id,
                    "list": list,
                    "entry_id": hit.source_id,
                    "entry_name": hit.primary_name,
                    "score": hit.score,
                    "decision": decision_name(hit.decision),
                    "scan_id": run.scan_id,
                    "trigger": run.trigger,
                    "list_versions": run.lists.versions_json(),
                    "engine": ENGINE_VERSION,
                    "thresholds": thresholds(run.config),
                });
                append_in(conn, "screening_hit", &payload.to_string(), now)?;
                if let Some(notifier) = run.notifier {
                    let notification = Notification {
                        kind: NotificationKind::NewHit,
                        subject_line: format!(
                            "AML hit: case {id}, {} entry {} (score {:.2})",
                            list, hit.source_id, hit.score
                        ),
                        text: format!(
                            "Screening ({}) found a {} hit for subject {}: {} entry {} \"{}\" with score {:.2}.\n\
                             Open case {id} in the compliance console or with GET /admin/aml/cases/{id}.",
                            run.trigger,
                            decision_name(hit.decision),
                            subject.id,
                            list,
                            hit.source_id,
                            hit.primary_name,
                            hit.score
                        ),
                        details: payload,
                    };
                    notifier
                        .enqueue_in(conn, &notification, None)
                        .map_err(|err| DbError::Unavailable(err.to_string()))?;
                }
                applied.opened.push(id);
                (id, true, targets)
            }
        };
        if hit.decision == HitDecision::Match && opened {
            match_cases.push((case_id, targets));
        }
        let better = match applied.outcome {
            None => true,
            Some((decision, _)) => hit.decision > decision,
        };
        if better {
            applied.outcome = Some((hit.decision, case_id));
        }
    }
    for (case_id, targets) in match_cases {
        for account in &targets {
            if frozen::freeze(conn, account, subject.id, case_id, "sanctions screening match", now)? {
                let payload = json!({
                    "account": account,
                    "subject_id": subject.id,
                    "case_id": case_id,
                    "trigger": run.trigger,
                    "scan_id": run.scan_id,
                });
                append_in(conn, "freeze", &payload.to_string(), now)?;
                if let Some(notifier) = run.notifier {
                    let notification = Notification {
                        kind: NotificationKind::Freeze,
                        subject_line: format!("AML freeze: account {account} (case {case_id})"),
                        text: format!(
                            "Account {account} of subject {} was frozen by case {case_id}: a sanctions \
                             match. It is refused on every SEP route until an officer clears the case or \
                             unfreezes it with a written reason.",
                            subject.id
                        ),
                        details: payload,
                    };
                    notifier
                        .enqueue_in(conn, &notification, None)
                        .map_err(|err| DbError::Unavailable(err.to_string()))?;
                }
                applied.newly_frozen.push(account.clone());
            }
        }
    }
    let status = recompute_status(conn, subject.id)?;
    subjects::set_status(conn, subject.id, status, Some(now))?;
    applied.status = Some(status);
    Ok(applied)
}

/// A subject's status from its freezes and open cases.
pub(crate) fn recompute_status(conn: &mut AnyConnection, subject_id: i64) -> Result<SubjectStatus, DbError> {
    if !frozen::of_subject(conn, subject_id)?.is_empty() {
        return Ok(SubjectStatus::Frozen);
    }
    let open: i64 = c::aml_cases
        .filter(c::subject_id.eq(subject_id))
        .filter(c::status.eq(CaseStatus::Open.as_str()))
        .count()
        .get_result(conn)?;
    Ok(if open > 0 { SubjectStatus::Review } else { SubjectStatus::Clear })
}

fn is_allow_listed(
    conn: &mut AnyConnection,
    subject_id: i64,
    list: &str,
    entry: &str,
    now: i64,
) -> Result<bool, DbError> {
    let found: i64 = allow::aml_allowlist
        .filter(allow::subject_id.eq(subject_id))
        .filter(allow::list_source.eq(list))
        .filter(allow::entry_id.eq(entry))
        .filter(allow::expires_at.gt(now))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Applies an officer's decision. `officer` and `reason` are required.
pub(crate) fn decide(
    conn: &mut AnyConnection,
    id: i64,
    decision: &CaseDecision,
    officer: &str,
    reason: &str,
    default_allow_until: i64,
    now: i64,
) -> Result<(CaseSummary, Vec<String>, Vec<String>), MonitorTxError> {
    let row: Option<CaseRow> =
        c::aml_cases.select(case_columns!()).filter(c::id.eq(id)).first(conn).optional()?;
    let case = to_summary(row.ok_or_else(|| Error::NotFound(format!("no case {id}")))?);
    if case.status != CaseStatus::Open {
        return Err(Error::Conflict(format!(
            "case {id} is already {}; open cases only can be decided",
            case.status.as_str()
        ))
        .into());
    }
    let mut unfrozen = Vec::new();
    let mut frozen_now = Vec::new();
    let status = match decision {
        CaseDecision::Clear { allow_until } => {
            let until = allow_until.unwrap_or(default_allow_until);
            if until <= now {
                return Err(Error::Invalid("allow_until must be in the future".into()).into());
            }
            diesel::delete(
                allow::aml_allowlist
                    .filter(allow::subject_id.eq(case.subject_id))
                    .filter(allow::list_source.eq(&case.list))
                    .filter(allow::entry_id.eq(&case.entry_id)),
            )
            .execute(conn)?;
            diesel::insert_into(allow::aml_allowlist)
                .values((
                    allow::subject_id.eq(case.subject_id),
                    allow::list_source.eq(&case.list),
                    allow::entry_id.eq(&case.entry_id),
                    allow::expires_at.eq(until),
                    allow::reason.eq(reason),
                    allow::created_by.eq(officer),
                    allow::created_at.eq(now),
                ))
                .execute(conn)?;
            CaseStatus::Cleared
        }
        CaseDecision::Confirm => CaseStatus::Confirmed,
    };
    // Conditional on the case still being open: of two decisions racing, one commits and the
    // other finds nothing to update (409).
    let decided =
        diesel::update(c::aml_cases.filter(c::id.eq(id)).filter(c::status.eq(CaseStatus::Open.as_str())))
            .set((
                c::status.eq(status.as_str()),
                c::decided_at.eq(Some(now)),
                c::decided_by.eq(Some(officer)),
                c::decision_reason.eq(Some(reason)),
            ))
            .execute(conn)?;
    if decided == 0 {
        return Err(
            Error::Conflict(format!("case {id} was decided by someone else meanwhile; reload it")).into()
        );
    }
    let allow_until = match decision {
        CaseDecision::Clear { allow_until } => Some(allow_until.unwrap_or(default_allow_until)),
        CaseDecision::Confirm => None,
    };
    append_in(
        conn,
        "case_decision",
        &json!({
            "case_id": id,
            "subject_id": case.subject_id,
            "list": case.list,
            "entry_id": case.entry_id,
            "decision": status.as_str(),
            "officer": officer,
            "reason": reason,
            "allow_until": allow_until,
        })
        .to_string(),
        now,
    )?;
    match status {
        CaseStatus::Cleared => {
            // Release this case's holds: what no other open or confirmed case holds is
            // unfrozen, whoever's case holds the rest.
            for account in frozen::release_case(conn, id)? {
                append_in(
                    conn,
                    "unfreeze",
                    &json!({
                        "account": account,
                        "subject_id": case.subject_id,
                        "case_id": id,
                        "officer": officer,
                        "reason": reason,
                    })
                    .to_string(),
                    now,
                )?;
                unfrozen.push(account);
            }
        }
        CaseStatus::Confirmed => {
            let stored: Option<String> =
                c::aml_cases.select(c::hold_json).filter(c::id.eq(id)).first(conn)?;
            let mut targets = CaseHold::decode(stored.as_deref()).freeze_targets;
            if targets.is_empty() {
                // A case opened before freeze targets were recorded: the subject's accounts.
                targets = subjects::summary(conn, case.subject_id)?
                    .map(|subject| subject.accounts)
                    .unwrap_or_default();
            }
            for account in &targets {
                if frozen::freeze(conn, account, case.subject_id, id, "confirmed sanctions match", now)? {
                    append_in(
                        conn,
                        "freeze",
                        &json!({"account": account, "subject_id": case.subject_id, "case_id": id, "officer": officer})
                            .to_string(),
                        now,
                    )?;
                    frozen_now.push(account.clone());
                }
            }
        }
        CaseStatus::Open => {}
    }
    let subject_status = recompute_status(conn, case.subject_id)?;
    subjects::set_status(conn, case.subject_id, subject_status, None)?;
    let row: CaseRow = c::aml_cases.select(case_columns!()).filter(c::id.eq(id)).first(conn)?;
    Ok((to_summary(row), unfrozen, frozen_now))
}

/// Adds a note to a case.
pub(crate) fn add_note(
    conn: &mut AnyConnection,
    id: i64,
    officer: &str,
    text: &str,
    now: i64,
) -> Result<(), MonitorTxError> {
    let notes: Option<String> =
        c::aml_cases.select(c::notes_json).filter(c::id.eq(id)).first(conn).optional()?;
    let notes = notes.ok_or_else(|| Error::NotFound(format!("no case {id}")))?;
    let mut notes: Vec<serde_json::Value> = serde_json::from_str(&notes).unwrap_or_default();
    notes.push(json!({"at": now, "by": officer, "text": text}));
    diesel::update(c::aml_cases.filter(c::id.eq(id)))
        .set(c::notes_json.eq(serde_json::Value::Array(notes).to_string()))
        .execute(conn)?;
    append_in(conn, "case_note", &json!({"case_id": id, "officer": officer, "text": text}).to_string(), now)?;
    Ok(())
}

pub(crate) fn decision_name(decision: HitDecision) -> &'static str {
    match decision {
        HitDecision::Match => "match",
        HitDecision::Review => "review",
    }
}

pub(crate) fn thresholds(config: &ScreeningConfig) -> serde_json::Value {
    json!({"match": config.match_threshold, "review": config.review_threshold})
}

/// A hit with its explanation, the list entry and the list version, for the case record.
pub(crate) fn hit_json(hit: &ScreeningHit, run: &ScreeningRun<'_>) -> serde_json::Value {
    let list = hit.list.code();
    let entry =
        run.lists.index.entities().get(hit.entity_index).filter(|entity| entity.source_id == hit.source_id);
    let version = run.lists.versions.iter().find(|version| version.source == list).map(|version| {
        json!({"version_id": version.id, "sha256": version.sha256, "published_on": version.published_on})
    });
    json!({
        "list": list,
        "entry_id": hit.source_id,
        "primary_name": hit.primary_name,
        "matched_name": hit.matched_name,
        "query_name": hit.query_name,
        "name_score": hit.name_score,
        "score": hit.score,
        "decision": decision_name(hit.decision),
        "factors": hit.factors.iter().map(factor_json).collect::<Vec<_>>(),
        "entry": entry,
        "list_version": version,
        "engine": ENGINE_VERSION,
        "thresholds": thresholds(run.config),
        "trigger": run.trigger,
    })
}

/// One score factor as JSON (for cases and the on-demand check).
pub fn factor_json(factor: &ScoreFactor) -> serde_json::Value {
    match factor {
        ScoreFactor::TokenPair { query, listed, kind, similarity, weight } => json!({
            "factor": "token_pair", "query": query, "listed": listed,
            "kind": format!("{kind:?}").to_ascii_lowercase(), "similarity": similarity, "weight": weight,
        }),
        ScoreFactor::UnmatchedQueryToken { token } => {
            json!({"factor": "unmatched_query_token", "token": token})
        }
        ScoreFactor::UnmatchedListedToken { token } => {
            json!({"factor": "unmatched_listed_token", "token": token})
        }
        ScoreFactor::WeakAlias { effect } => json!({"factor": "weak_alias", "effect": effect}),
        ScoreFactor::BirthDate { effect, detail } => {
            json!({"factor": "birth_date", "effect": effect, "detail": detail})
        }
        ScoreFactor::Country { effect, detail } => {
            json!({"factor": "country", "effect": effect, "detail": detail})
        }
        ScoreFactor::Gender { effect } => json!({"factor": "gender", "effect": effect}),
        ScoreFactor::CryptoAddress { currency, address } => {
            json!({"factor": "crypto_address", "currency": currency, "address": address})
        }
    }
}
