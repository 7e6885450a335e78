//! The overview: counts and trends at a glance, list freshness, scanner health, last errors.

use actix_web::web;
use maud::html;

use super::analytics::{cards, hits_chart, last_days, scans_chart, screenings_chart};
use super::layout::{badge, maybe_time, page, time, Section};
use super::lists::freshness_table;
use super::session::{blocking, ok_page, PageResult, SignedIn, CONSOLE_PATH};
use super::ConsoleState;
use anchor_aml::ScanStatus;

type State = web::Data<ConsoleState>;

/// `GET /admin/`.
pub(crate) async fn overview(state: State, officer: SignedIn) -> PageResult {
    let monitor = state.monitor.clone();
    let store = state.lists.clone();
    let now = anchor_core::clock::unix_now();
    let (analytics, stats, active, confirmed) = blocking(move || {
        Ok((
            monitor.analytics(30, now)?,
            monitor.stats()?,
            store.active_versions()?,
            store.confirmed_current()?,
        ))
    })
    .await?;
    let scan = stats.current_scan.as_ref();
    let body = html! {
        h1 { "Overview" }
        (cards(&analytics))
        p { a href={(CONSOLE_PATH) "/cases"} { strong { (stats.cases_open) } " open case(s) in the queue" } }
        div.grid2 {
            section.panel { h2 { "Screenings" } (screenings_chart(&analytics, &last_days(&analytics))) }
            section.panel { h2 { "Hits and decisions" } (hits_chart(&analytics, &last_days(&analytics))) }
        }
        div.grid2 {
            section.panel aria-labelledby="scanner-heading" {
                h2 #scanner-heading { "Scanner" }
                dl.fields #scanner-health {
                    dt { "State" } dd {
                        @if stats.running { (badge("running", "running")) } @else { (badge("completed", "idle")) }
                    }
                    @if let Some(scan) = scan {
                        dt { "Latest scan" } dd {
                            "#" (scan.id) " (" (scan.kind.as_str()) ") "
                            (badge(scan.status.as_str(), scan.status.as_str()))
                            " — " (scan.screened) " of " (scan.subjects_total) " screened, " (scan.hits) " hit(s)"
                            @if scan.status == ScanStatus::Running {
                                @if let Some(owner) = &scan.lease_owner { " by " code { (owner) } }
                            }
                        }
                    }
                    dt { "Last completed" } dd { (maybe_time(stats.last_scan_at)) }
                    dt { "Next full scan" } dd { (time(stats.next_scan_at)) }
                    dt { "Completed / failed" } dd { (stats.scans_completed) " / " (stats.scans_failed) }
                    dt { "Engine" } dd { code { (stats.engine.get("version").and_then(serde_json::Value::as_str).unwrap_or("")) } }
                }
            }
            section.panel { h2 { "Scans" } (scans_chart(&analytics)) }
        }
        section aria-labelledby="freshness-heading" {
            h2 #freshness-heading { "List freshness" }
            (freshness_table(&active, &confirmed, now, state.config.list_update_interval))
        }
        section aria-labelledby="errors-heading" {
            h2 #errors-heading { "Last errors" }
            @if stats.errors.is_empty() { p #no-errors.muted { "No failed scan." } }
            ul #last-errors {
                @for error in &stats.errors {
                    li {
                        "Scan " (error.get("scan_id").map(ToString::to_string).unwrap_or_default()) " failed "
                        (maybe_time(error.get("at").and_then(serde_json::Value::as_i64))) ": "
                        (error.get("error").and_then(serde_json::Value::as_str).unwrap_or("unknown error"))
                    }
                }
            }
        }
    };
    ok_page(page("Overview", Section::Overview, &officer.officer, &officer.csrf_token, body))
}
