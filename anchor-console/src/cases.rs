//! The case queue, one case's page, and the officer's decisions on it.

use actix_web::{web, HttpRequest};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

use super::layout::{self, badge, csrf_field, json_text as text, maybe_time, page, score, time, Section};
use super::session::{blocking, flash, ok_page, redirect, PageError, PageResult, SignedIn, CONSOLE_PATH};
use super::ConsoleState;
use anchor_aml::{AmlMonitor, CaseDecision, CaseDetails, CaseFilter, CaseStatus, CaseSummary};
use anchor_screening::SanctionsEntity;

type State = web::Data<ConsoleState>;

/// Most cases a queue page lists.
const QUEUE_LIMIT: i64 = 500;
/// Longest reason or note accepted.
const MAX_TEXT: usize = 4000;

#[derive(Debug, Deserialize)]
pub(crate) struct QueueQuery {
    status: Option<String>,
}

/// `GET /admin/cases?status=open|cleared|confirmed`: open cases by default, highest score first,
/// then oldest first.
pub(crate) async fn queue(state: State, officer: SignedIn, query: web::Query<QueueQuery>) -> PageResult {
    let status = match query.status.as_deref().filter(|status| !status.is_empty()) {
        None => CaseStatus::Open,
        Some(text) => CaseStatus::parse(text)
            .ok_or_else(|| PageError::BadRequest("the status must be open, cleared or confirmed".into()))?,
    };
    let monitor = state.monitor.clone();
    let filter = CaseFilter { status: Some(status), subject_id: None, limit: Some(QUEUE_LIMIT) };
    let mut cases = blocking(move || monitor.cases(&filter)).await?;
    cases.sort_by(|a, b| {
        b.score.total_cmp(&a.score).then(a.opened_at.cmp(&b.opened_at)).then(a.id.cmp(&b.id))
    });
    let now = anchor_core::clock::unix_now();
    let title = match status {
        CaseStatus::Open => "Case queue",
        CaseStatus::Cleared => "Cleared cases",
        CaseStatus::Confirmed => "Confirmed cases",
    };
    let body = html! {
        h1 { (title) }
        nav.pager aria-label="Case status" {
            a href={(CONSOLE_PATH) "/cases"} aria-current=[(status == CaseStatus::Open).then_some("page")] { "Open" }
            a href={(CONSOLE_PATH) "/cases?status=cleared"} aria-current=[(status == CaseStatus::Cleared).then_some("page")] { "Cleared" }
            a href={(CONSOLE_PATH) "/cases?status=confirmed"} aria-current=[(status == CaseStatus::Confirmed).then_some("page")] { "Confirmed" }
        }
        @if cases.is_empty() {
            p #no-cases { "No " (status.as_str()) " cases." }
        }
        div.scroll {
            table #case-queue {
                caption.muted { (cases.len()) " case(s), highest score first, then oldest first" }
                thead { tr {
                    th scope="col" { "Case" } th scope="col" class="num" { "Score" } th scope="col" { "Decision band" }
                    th scope="col" { "Listed entry" } th scope="col" { "List" } th scope="col" { "Customer" }
                    th scope="col" { "Opened" } th scope="col" { "Age" }
                    @if status != CaseStatus::Open { th scope="col" { "Decided by" } }
                } }
                tbody {
                    @for case in &cases {
                        tr data-case-id=(case.id) {
                            td.nowrap { a href={(CONSOLE_PATH) "/cases/" (case.id)} { "Case " (case.id) } }
                            td.num { (score(f64::from(case.score))) }
                            td { (badge(&case.decision, &case.decision)) }
                            td { (case.entry_name) }
                            td { code { (case.list) } " " (case.entry_id) }
                            td { a href={(CONSOLE_PATH) "/subjects/" (case.subject_id)} { "Customer " (case.subject_id) } }
                            td { (time(case.opened_at)) }
                            td.nowrap { (layout::duration(now - case.opened_at)) }
                            @if status != CaseStatus::Open { td { (case.decided_by.as_deref().unwrap_or("—")) } }
                        }
                    }
                }
            }
        }
    };
    ok_page(page(title, Section::Cases, &officer.officer, &officer.csrf_token, body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct CaseQuery {
    done: Option<String>,
}

fn done_message(done: Option<&str>, id: i64) -> Option<String> {
    Some(match done? {
        "cleared" => format!("Case {id} cleared as a false positive."),
        "confirmed" => format!("Case {id} confirmed: the customer's accounts are frozen."),
        "noted" => "Note added.".to_string(),
        _ => return None,
    })
}

/// `GET /admin/cases/{id}`: the screened fields next to the listed entry, the score and its
/// factors, notes, and the decision forms.
pub(crate) async fn case_page(
    state: State,
    officer: SignedIn,
    id: web::Path<i64>,
    query: web::Query<CaseQuery>,
) -> PageResult {
    let id = id.into_inner();
    let monitor = state.monitor.clone();
    let details = blocking(move || monitor.case(id)).await?;
    let message = done_message(query.done.as_deref(), id);
    let body = case_body(&details, &officer.csrf_token, message.as_deref());
    ok_page(page(&format!("Case {id}"), Section::Cases, &officer.officer, &officer.csrf_token, body))
}

fn case_body(details: &CaseDetails, csrf: &str, message: Option<&str>) -> Markup {
    let case = &details.case;
    let hit = &details.hit;
    let entry: Option<SanctionsEntity> =
        hit.get("entry").cloned().and_then(|entry| serde_json::from_value(entry).ok());
    let factors = hit.get("factors").and_then(Value::as_array).cloned().unwrap_or_default();
    html! {
        (flash(message))
        h1 { "Case " (case.id) " " (badge(case.status.as_str(), case.status.as_str())) }
        p {
            "Score " strong { (score(f64::from(case.score))) } " (" (case.decision) " band) against "
            code { (case.list) } " entry " code { (case.entry_id) } ", opened " (time(case.opened_at))
            @if let Some(scan) = case.scan_id { " by scan " (scan) } @else { " on arrival" }
            "."
        }
        @if case.status != CaseStatus::Open {
            p #decision {
                "Decided " (maybe_time(case.decided_at)) " by " strong { (case.decided_by.as_deref().unwrap_or("—")) }
                ": " (case.decision_reason.as_deref().unwrap_or(""))
            }
        }
        div.grid2 {
            section.panel aria-labelledby="customer-heading" {
                h2 #customer-heading { "Customer (screened fields)" }
                (customer_fields(details))
            }
            section.panel aria-labelledby="entry-heading" {
                h2 #entry-heading { "Listed entry" }
                (entry_fields(case, entry.as_ref(), hit))
            }
        }
        section aria-labelledby="score-heading" {
            h2 #score-heading { "Why it scored " (score(f64::from(case.score))) }
            p.muted {
                "Compared: " strong { (text(hit, "query_name")) } " with " strong { (text(hit, "matched_name")) }
                ". Name similarity " (hit.get("name_score").and_then(Value::as_f64).map_or_else(|| "—".into(), score))
                "; engine " (text(hit, "engine")) "."
            }
            (factor_table(&factors))
        }
        @if case.status == CaseStatus::Open {
            section aria-labelledby="decide-heading" {
                h2 #decide-heading { "Decision" }
                div.decisions {
                    form #clear-case.stack method="post" action={(CONSOLE_PATH) "/cases/" (case.id) "/clear"} {
                        (csrf_field(csrf))
                        h3 { "Clear as false positive" }
                        p.muted { "The customer is not flagged again for this entry until the date below; accounts only this case froze are unfrozen." }
                        label for="clear-reason" { "Reason (required)" }
                        textarea #clear-reason name="reason" required maxlength="4000" {}
                        label for="allow-until" { "Allow-listed until (default: the configured expiry)" }
                        input #allow-until type="date" name="allow_until";
                        button type="submit" { "Clear as false positive" }
                    }
                    form #confirm-case.stack method="post" action={(CONSOLE_PATH) "/cases/" (case.id) "/confirm"} {
                        (csrf_field(csrf))
                        h3 { "Confirm the match" }
                        p.muted { "The customer's accounts stay frozen and are refused on every SEP route." }
                        label for="confirm-reason" { "Reason (required)" }
                        textarea #confirm-reason name="reason" required maxlength="4000" {}
                        button.danger type="submit" { "Confirm and freeze" }
                    }
                }
            }
        }
        section aria-labelledby="notes-heading" {
            h2 #notes-heading { "Notes" }
            @let notes = details.notes.as_array().cloned().unwrap_or_default();
            @if notes.is_empty() { p.muted { "No notes yet." } }
            ul #case-notes {
                @for note in &notes {
                    li {
                        (layout::maybe_time(note.get("at").and_then(Value::as_i64))) " — "
                        strong { (text(note, "by")) } ": " (text(note, "text"))
                    }
                }
            }
            form #note-case.stack method="post" action={(CONSOLE_PATH) "/cases/" (case.id) "/notes"} {
                (csrf_field(csrf))
                label for="note-text" { "Add a note" }
                textarea #note-text name="text" required maxlength="4000" {}
                button.secondary type="submit" { "Add note" }
            }
        }
    }
}

fn customer_fields(details: &CaseDetails) -> Markup {
    match &details.subject {
        None => html! { p.muted { "The customer record is gone." } },
        Some(subject) => html! {
            dl.fields {
                dt { "Customer" } dd { a href={(CONSOLE_PATH) "/subjects/" (subject.id)} { "Customer " (subject.id) } " (" (subject.origin) ")" }
                dt { "Key" } dd.mono { (subject.key) }
                dt { "Names" } dd {
                    @if subject.names.is_empty() { span.muted { "erased" } }
                    @for name in &subject.names { div { (name) } }
                }
                dt { "Date of birth" } dd { (subject.date_of_birth.as_deref().unwrap_or("—")) }
                dt { "Country" } dd { (subject.country.as_deref().unwrap_or("—")) }
                dt { "Accounts" } dd {
                    @for account in &subject.accounts {
                        div.mono {
                            (account)
                            @if details.frozen_accounts.contains(account) { " " (badge("frozen", "frozen")) }
                        }
                    }
                }
                dt { "Status" } dd { (badge(subject.status.as_str(), subject.status.as_str())) }
                dt { "Last screened" } dd { (maybe_time(subject.screened_at)) }
            }
        },
    }
}

fn entry_fields(case: &CaseSummary, entry: Option<&SanctionsEntity>, hit: &Value) -> Markup {
    let version = hit.get("list_version");
    html! {
        dl.fields {
            dt { "List" } dd { code { (case.list) } }
            dt { "List version" } dd {
                @match version {
                    Some(version) if !version.is_null() => {
                        "#" (text(version, "version_id")) ", published " (text(version, "published_on"))
                        br; span.mono.muted { (text(version, "sha256")) }
                    }
                    _ => { "—" }
                }
            }
            dt { "Entry id" } dd { code { (case.entry_id) } }
            @if let Some(entry) = entry {
                dt { "Kind" } dd { (format!("{:?}", entry.kind).to_lowercase()) }
                dt { "Names and aliases" } dd {
                    @for name in &entry.names {
                        div {
                            (name.full_name)
                            span.muted { " (" (format!("{:?}", name.kind).to_lowercase()) ", " (format!("{:?}", name.strength).to_lowercase()) ")" }
                        }
                    }
                }
                dt { "Dates of birth" } dd {
                    @if entry.birth_dates.is_empty() { "—" }
                    @for birth in &entry.birth_dates {
                        div {
                            (birth.from.to_string())
                            @if birth.to != birth.from { " to " (birth.to.to_string()) }
                            @if birth.approximate { " (approximate)" }
                        }
                    }
                }
                dt { "Countries" } dd {
                    @if entry.countries.is_empty() { "—" }
                    @for link in &entry.countries {
                        div {
                            (link.country.name)
                            @if let Some(code) = &link.country.iso2 { " (" (code) ")" }
                            span.muted { " — " (format!("{:?}", link.role).to_lowercase()) }
                        }
                    }
                }
                dt { "Programs" } dd { @if entry.programs.is_empty() { "—" } @else { (entry.programs.join(", ")) } }
                @if !entry.crypto_addresses.is_empty() {
                    dt { "Digital currency addresses" } dd {
                        @for address in &entry.crypto_addresses { div.mono { (address.currency) ": " (address.address) } }
                    }
                }
                @if let Some(listed) = &entry.listed_on { dt { "Listed on" } dd { (listed.to_string()) } }
            } @else {
                dt { "Name" } dd { (case.entry_name) }
            }
        }
    }
}

fn factor_table(factors: &[Value]) -> Markup {
    html! {
        div.scroll {
            table #score-factors {
                thead { tr { th scope="col" { "Factor" } th scope="col" { "Detail" } th scope="col" class="num" { "Weight or effect" } } }
                tbody {
                    @for factor in factors {
                        @let kind = text(factor, "factor");
                        tr {
                            td { (kind.replace('_', " ")) }
                            td { (factor_detail(factor)) }
                            td.num { (factor_effect(factor)) }
                        }
                    }
                }
            }
        }
    }
}

fn factor_detail(factor: &Value) -> String {
    match factor.get("factor").and_then(Value::as_str) {
        Some("token_pair") => format!(
            "“{}” ~ “{}” ({}, similarity {})",
            text(factor, "query"),
            text(factor, "listed"),
            text(factor, "kind"),
            factor.get("similarity").and_then(Value::as_f64).map_or_else(|| "—".into(), score)
        ),
        Some("unmatched_query_token") | Some("unmatched_listed_token") => {
            format!("“{}”", text(factor, "token"))
        }
        Some("crypto_address") => format!("{} {}", text(factor, "currency"), text(factor, "address")),
        _ => text(factor, "detail"),
    }
}

fn factor_effect(factor: &Value) -> String {
    if let Some(weight) = factor.get("weight").and_then(Value::as_f64) {
        return format!("weight {weight:.2}");
    }
    match factor.get("effect").and_then(Value::as_f64) {
        Some(effect) => format!("{:+.1} points", effect * 100.0),
        None => "—".to_string(),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    allow_until: String,
}

fn required_text(text: &str, what: &str) -> Result<String, PageError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(PageError::BadRequest(format!("{what} is required")));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(PageError::BadRequest(format!("{what} is longer than {MAX_TEXT} characters")));
    }
    Ok(text.to_string())
}

/// A date field (`YYYY-MM-DD`) as the unix second at the end of that UTC day; empty is `None`.
fn allow_until(text: &str, now: i64) -> Result<Option<i64>, PageError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| PageError::BadRequest("the allow-list date must be a date (YYYY-MM-DD)".into()))?;
    let end = date
        .and_hms_opt(23, 59, 59)
        .map(|at| at.and_utc().timestamp())
        .ok_or_else(|| PageError::BadRequest("the allow-list date is not a valid date".into()))?;
    if end <= now {
        return Err(PageError::BadRequest("the allow-list date must be in the future".into()));
    }
    Ok(Some(end))
}

/// Runs an officer's action on case `id` and redirects back to the case with `done`.
async fn act_on_case(
    state: &State,
    id: i64,
    done: &str,
    action: impl FnOnce(&AmlMonitor) -> anchor_aml::Result<()> + Send + 'static,
) -> PageResult {
    let monitor = state.monitor.clone();
    blocking(move || action(&monitor)).await?;
    Ok(redirect(&format!("{CONSOLE_PATH}/cases/{id}?done={done}")))
}

/// `POST /admin/cases/{id}/clear`: a false positive.
pub(crate) async fn clear(
    req: HttpRequest,
    state: State,
    officer: SignedIn,
    id: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> PageResult {
    let name = officer.authorise(&req, &form.csrf)?;
    let id = id.into_inner();
    let reason = required_text(&form.reason, "a reason")?;
    let decision =
        CaseDecision::Clear { allow_until: allow_until(&form.allow_until, anchor_core::clock::unix_now())? };
    act_on_case(&state, id, "cleared", move |monitor| {
        monitor.decide_case(id, &decision, &name, &reason).map(drop)
    })
    .await
}

/// `POST /admin/cases/{id}/confirm`: a true match.
pub(crate) async fn confirm(
    req: HttpRequest,
    state: State,
    officer: SignedIn,
    id: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> PageResult {
    let name = officer.authorise(&req, &form.csrf)?;
    let id = id.into_inner();
    let reason = required_text(&form.reason, "a reason")?;
    act_on_case(&state, id, "confirmed", move |monitor| {
        monitor.decide_case(id, &CaseDecision::Confirm, &name, &reason).map(drop)
    })
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// `POST /admin/cases/{id}/notes`.
pub(crate) async fn add_note(
    req: HttpRequest,
    state: State,
    officer: SignedIn,
    id: web::Path<i64>,
    form: web::Form<NoteForm>,
) -> PageResult {
    let name = officer.authorise(&req, &form.csrf)?;
    let id = id.into_inner();
    let text = required_text(&form.text, "the note")?;
    act_on_case(&state, id, "noted", move |monitor| monitor.add_case_note(id, &name, &text)).await
}
