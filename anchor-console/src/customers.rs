//! Customers (monitored subjects): search, and one customer's screening history over time.

use actix_web::web;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{badge, json_text as field, maybe_time, page, time, Section};
use super::session::{blocking, ok_page, PageError, PageResult, SignedIn, CONSOLE_PATH};
use super::ConsoleState;
use anchor_aml::{CaseFilter, HistoryEvent};

type State = web::Data<ConsoleState>;

#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    q: Option<String>,
}

/// `GET /admin/subjects?q=`: customers whose key, names or accounts contain the text.
pub(crate) async fn search(state: State, officer: SignedIn, query: web::Query<SearchQuery>) -> PageResult {
    let text = query.into_inner().q.unwrap_or_default().trim().to_string();
    if text.len() > 128 {
        return Err(PageError::BadRequest("the search text is longer than 128 characters".into()));
    }
    let monitor = state.monitor.clone();
    let lookup = text.clone();
    let subjects = blocking(move || monitor.search_subjects(&lookup, 100)).await?;
    let body = html! {
        h1 { "Customers" }
        form.inline role="search" method="get" action={(CONSOLE_PATH) "/subjects"} {
            div {
                label for="subject-search" { "Name, account or key contains" }
                br;
                input #subject-search type="search" name="q" value=(text) maxlength="128";
            }
            button type="submit" { "Search" }
        }
        p.muted { @if text.is_empty() { "The 100 most recent customers." } @else { (subjects.len()) " found (at most 100)." } }
        div.scroll {
            table #subjects {
                thead { tr {
                    th scope="col" { "Customer" } th scope="col" { "Names" } th scope="col" { "Accounts" }
                    th scope="col" { "Origin" } th scope="col" { "Status" } th scope="col" { "Last screened" }
                } }
                tbody {
                    @for subject in &subjects {
                        tr data-subject-id=(subject.id) {
                            td.nowrap { a href={(CONSOLE_PATH) "/subjects/" (subject.id)} { "Customer " (subject.id) } }
                            td { @for name in &subject.names { div { (name) } } }
                            td { @for account in &subject.accounts { div.mono { (account) } } }
                            td { (subject.origin) }
                            td { (badge(subject.status.as_str(), subject.status.as_str())) }
                            td { (maybe_time(subject.screened_at)) }
                        }
                    }
                }
            }
        }
    };
    ok_page(page("Customers", Section::Customers, &officer.officer, &officer.csrf_token, body))
}

/// `GET /admin/subjects/{id}`: the customer's screened fields, cases and history.
pub(crate) async fn history(state: State, officer: SignedIn, id: web::Path<i64>) -> PageResult {
    let id = id.into_inner();
    let monitor = state.monitor.clone();
    let ((subject, events), cases) = blocking(move || {
        let history = monitor.subject_history(id, 500)?;
        let cases = monitor.cases(&CaseFilter { status: None, subject_id: Some(id), limit: Some(200) })?;
        Ok((history, cases))
    })
    .await?;
    let body = html! {
        h1 { "Customer " (subject.id) " " (badge(subject.status.as_str(), subject.status.as_str())) }
        div.grid2 {
            section.panel aria-labelledby="fields-heading" {
                h2 #fields-heading { "Screened fields" }
                dl.fields {
                    dt { "Key" } dd.mono { (subject.key) }
                    dt { "Origin" } dd { (subject.origin) }
                    dt { "Names" } dd { @if subject.names.is_empty() { span.muted { "erased" } } @for name in &subject.names { div { (name) } } }
                    dt { "Date of birth" } dd { (subject.date_of_birth.as_deref().unwrap_or("—")) }
                    dt { "Country" } dd { (subject.country.as_deref().unwrap_or("—")) }
                    dt { "Accounts" } dd { @for account in &subject.accounts { div.mono { (account) } } }
                    dt { "Fingerprint" } dd.mono { (subject.fingerprint) }
                    dt { "Last screened" } dd { (maybe_time(subject.screened_at)) }
                }
            }
            section.panel aria-labelledby="cases-heading" {
                h2 #cases-heading { "Cases" }
                @if cases.is_empty() { p.muted { "None." } }
                ul {
                    @for case in &cases {
                        li {
                            a href={(CONSOLE_PATH) "/cases/" (case.id)} { "Case " (case.id) } " "
                            (badge(case.status.as_str(), case.status.as_str())) " " (case.entry_name)
                            " (" code { (case.list) } ", " (super::layout::score(f64::from(case.score))) ")"
                        }
                    }
                }
            }
        }
        h2 { "Screening history" }
        p.muted { "Newest first: screenings on arrival, the scans that covered this customer, hits, freezes, decisions and notes." }
        div.scroll {
            table #subject-history {
                thead { tr { th scope="col" { "When" } th scope="col" { "Event" } th scope="col" { "Details" } } }
                tbody {
                    @for event in &events {
                        tr data-kind=(event.kind) {
                            td { (time(event.at)) }
                            td { (event_title(event)) }
                            td { (event_details(event)) }
                        }
                    }
                }
            }
        }
    };
    ok_page(page(&format!("Customer {id}"), Section::Customers, &officer.officer, &officer.csrf_token, body))
}

fn event_title(event: &HistoryEvent) -> &'static str {
    match event.kind.as_str() {
        "screening" => "Screened on arrival",
        "scan" => "Rescreened by a scan",
        "screening_hit" => "Hit: case opened",
        "freeze" => "Account frozen",
        "unfreeze" => "Account unfrozen",
        "case_decision" => "Case decided",
        "case_note" => "Note on a case",
        "subject_erased" => "Personal fields erased",
        _ => "Event",
    }
}

fn case_link(event: &HistoryEvent) -> Markup {
    html! { @if let Some(case) = event.case_id { a href={(CONSOLE_PATH) "/cases/" (case)} { "Case " (case) } ": " } }
}

fn event_details(event: &HistoryEvent) -> Markup {
    let d = &event.details;
    match event.kind.as_str() {
        "screening" => html! {
            "trigger " (field(d, "trigger")) ", " (field(d, "hits")) " hit(s), engine " (field(d, "engine"))
        },
        "scan" => html! {
            "scan " (event.scan_id.unwrap_or_default()) " (" (field(d, "scan_kind")) ")"
        },
        "screening_hit" => html! {
            (case_link(event)) (field(d, "entry_name")) " on " code { (field(d, "list")) }
            " — score " (field(d, "score")) " (" (field(d, "decision")) ")"
        },
        "freeze" | "unfreeze" => html! {
            (case_link(event)) span.mono { (field(d, "account")) }
            @if d.get("officer").is_some() { " by " (field(d, "officer")) }
            @if d.get("reason").is_some() { " — " (field(d, "reason")) }
        },
        "case_decision" => html! {
            (case_link(event)) strong { (field(d, "decision")) } " by " (field(d, "officer")) " — " (field(d, "reason"))
        },
        "case_note" => html! { (case_link(event)) (field(d, "officer")) ": " (field(d, "text")) },
        _ => html! { code { (d.to_string()) } },
    }
}
