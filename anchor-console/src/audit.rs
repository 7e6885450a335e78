//! The audit trail: browse and filter, the chain's verification, export.

use actix_web::web;
use maud::html;
use serde::Deserialize;

use super::layout::{badge, date, page, time, Section};
use super::session::{blocking, download, ok_page, PageError, PageResult, SignedIn, CONSOLE_PATH};
use super::ConsoleState;
use anchor_aml::AuditVerdict;
use anchor_aml::Error;
use anchor_aml::{write_audit_records, ExportFormat};

type State = web::Data<ConsoleState>;

/// Records per page.
const PAGE_SIZE: i64 = 100;

#[derive(Debug, Deserialize)]
pub(crate) struct BrowseQuery {
    kind: Option<String>,
    q: Option<String>,
    before: Option<i64>,
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.map(|text| text.trim().to_string()).filter(|text| !text.is_empty())
}

/// `GET /admin/audit?kind=&q=&before=`: records newest first, a hundred a page, with the
/// chain's verification.
pub(crate) async fn browse(state: State, officer: SignedIn, query: web::Query<BrowseQuery>) -> PageResult {
    let BrowseQuery { kind, q, before } = query.into_inner();
    let kind = non_empty(kind);
    let text = non_empty(q);
    if kind.as_ref().is_some_and(|kind| kind.len() > 64) || text.as_ref().is_some_and(|text| text.len() > 256)
    {
        return Err(PageError::BadRequest("the filter is too long".into()));
    }
    let trail = state.monitor.audit_trail();
    let (filter_kind, filter_text) = (kind.clone(), text.clone());
    let (records, kinds, verdict) = blocking(move || {
        let records = trail.browse(filter_kind.as_deref(), filter_text.as_deref(), before, PAGE_SIZE)?;
        Ok((records, trail.kinds()?, trail.verify()?))
    })
    .await?;
    let older =
        (records.len() as i64 == PAGE_SIZE).then(|| records.last().map(|record| record.seq)).flatten();
    let older_link = older.map(|seq| {
        let mut params = url::form_urlencoded::Serializer::new(String::new());
        if let Some(kind) = &kind {
            params.append_pair("kind", kind);
        }
        if let Some(text) = &text {
            params.append_pair("q", text);
        }
        params.append_pair("before", &seq.to_string());
        format!("{CONSOLE_PATH}/audit?{}", params.finish())
    });
    let body = html! {
        h1 { "Audit trail" }
        section.panel aria-labelledby="chain-heading" {
            h2 #chain-heading { "Chain verification" }
            p #chain-status {
                @match &verdict {
                    AuditVerdict::Intact { records, head, checkpoints } => {
                        (badge("intact", "intact")) " The hash chain of all " (records) " record(s) is intact, and "
                        (checkpoints) " signed checkpoint(s) vouch for it. Head: "
                        code { (head) }
                    }
                    AuditVerdict::Broken { seq, problem } => {
                        (badge("broken", "broken")) " The chain is broken at record " (seq) ": " (problem)
                    }
                    other => {
                        (badge("broken", "unknown")) " The verification gave an answer this page does not know: " (format!("{other:?}"))
                    }
                }
            }
        }
        h2 { "Records" }
        form.inline role="search" method="get" action={(CONSOLE_PATH) "/audit"} {
            div {
                label for="audit-kind" { "Kind" } br;
                select #audit-kind name="kind" {
                    option value="" { "any" }
                    @for known in &kinds {
                        option value=(known) selected[kind.as_deref() == Some(known.as_str())] { (known) }
                    }
                }
            }
            div {
                label for="audit-text" { "Details contain" } br;
                input #audit-text type="search" name="q" value=[text.as_deref()] maxlength="256";
            }
            button type="submit" { "Filter" }
        }
        div.scroll {
            table #audit-records {
                thead { tr { th scope="col" class="num" { "#" } th scope="col" { "When" } th scope="col" { "Kind" } th scope="col" { "Details" } } }
                tbody {
                    @for record in &records {
                        tr data-kind=(record.kind) data-seq=(record.seq) {
                            td.num { (record.seq) }
                            td { (time(record.recorded_at)) }
                            td { code { (record.kind) } }
                            td { pre.payload { (pretty(&record.payload)) } }
                        }
                    }
                }
            }
        }
        @if records.is_empty() { p { "No record matches." } }
        nav.pager aria-label="Pages" {
            @if before.is_some() { a href={(CONSOLE_PATH) "/audit"} { "Newest" } }
            @if let Some(link) = &older_link { a href=(link) { "Older records" } }
        }
        h2 { "Export" }
        form.inline method="get" action={(CONSOLE_PATH) "/audit/export"} {
            div { label for="export-from" { "From (UTC day)" } br; input #export-from type="date" name="from"; }
            div { label for="export-to" { "To (UTC day, inclusive)" } br; input #export-to type="date" name="to"; }
            div {
                label for="export-format" { "Format" } br;
                select #export-format name="format" { option value="csv" { "CSV" } option value="json" { "JSON" } }
            }
            button type="submit" { "Download" }
        }
        p.muted { "The export holds each record's hash and the previous record's, and ends with a checkpoint signed with the anchor's SIGNING_KEY, so it can be verified outside the anchor (see docs/monitoring.md)." }
    };
    ok_page(page("Audit trail", Section::Audit, &officer.officer, &officer.csrf_token, body))
}

/// A payload as indented JSON (as stored when it is not JSON).
fn pretty(payload: &str) -> String {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| payload.to_string())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExportQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

fn day_bound(text: Option<String>, end_of_day: bool) -> Result<Option<i64>, PageError> {
    let Some(text) = non_empty(text) else { return Ok(None) };
    let day = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| PageError::BadRequest(format!("`{text}` is not a date (YYYY-MM-DD)")))?;
    let at = if end_of_day { day.and_hms_opt(23, 59, 59) } else { day.and_hms_opt(0, 0, 0) };
    Ok(at.map(|at| at.and_utc().timestamp()))
}

/// `GET /admin/audit/export?from=&to=&format=csv|json`: the records of those UTC days as a
/// download.
pub(crate) async fn export(state: State, _officer: SignedIn, query: web::Query<ExportQuery>) -> PageResult {
    let ExportQuery { from, to, format } = query.into_inner();
    let format = match non_empty(format).as_deref() {
        None | Some("csv") => ExportFormat::Csv,
        Some("json") => ExportFormat::Json,
        Some(_) => return Err(PageError::BadRequest("the format must be csv or json".into())),
    };
    let from = day_bound(from, false)?;
    let to = day_bound(to, true)?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(PageError::BadRequest("the first day is after the last".into()));
        }
    }
    let monitor = state.monitor.clone();
    let body = blocking(move || {
        // A fresh signed head first: an export that reaches the present ends with it.
        monitor.checkpoint_audit("export (console)")?;
        let records = monitor.audit_trail().records(from, to)?;
        let mut body = Vec::new();
        write_audit_records(&records, format, &mut body).map_err(Error::Store)?;
        Ok(body)
    })
    .await?;
    let bound = |value: Option<i64>| value.map_or_else(|| "all".to_string(), date);
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Json => ("application/json", "json"),
    };
    Ok(download(content_type, &format!("aml-audit-{}-{}.{extension}", bound(from), bound(to)), body))
}
