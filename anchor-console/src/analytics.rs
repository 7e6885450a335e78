//! Analytics over 7, 30 or 90 days, and the weekly compliance report (page and CSV). The same
//! figures are served as JSON by the admin API (`/admin/aml/analytics`,
//! `/admin/aml/reports/weekly`).

use actix_web::web;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{chart, duration, page, Section};
use super::session::{blocking, download, ok_page, PageError, PageResult, SignedIn, CONSOLE_PATH};
use super::ConsoleState;
use crate::charts::{bar_chart, daily_line_chart, Series};
use anchor_aml::{Analytics, NamedCount};

type State = web::Data<ConsoleState>;

/// The windows the console offers.
const WINDOWS: [u32; 3] = [7, 30, 90];

#[derive(Debug, Deserialize)]
pub(crate) struct WindowQuery {
    days: Option<u32>,
}

/// Summary cards of an analytics window.
pub(crate) fn cards(analytics: &Analytics) -> Markup {
    let card = |id: &str, value: String, label: &str| {
        html! { div.card id=(id) { div.value { (value) } div.label { (label) } } }
    };
    html! {
        div.cards {
            (card("card-subjects", analytics.subjects.to_string(), "monitored customers"))
            (card("card-screenings", analytics.screenings.to_string(), &format!("screenings, {} days", analytics.days)))
            (card("card-hits", analytics.hits.to_string(), &format!("hits, {} days", analytics.days)))
            (card("card-open", analytics.open_cases.to_string(), "open cases"))
            (card("card-frozen", analytics.frozen_accounts.to_string(), "frozen accounts"))
            (card("card-alert-rate", format!("{:.2}", analytics.alert_rate_per_1000), "alerts per 1,000 customers"))
            (card("card-median", analytics.median_decision_seconds.map_or_else(|| "—".to_string(), duration), "median time to decide"))
        }
    }
}

fn days_of(analytics: &Analytics) -> Vec<String> {
    analytics.daily.iter().map(|day| day.day.clone()).collect()
}

/// The period of a window in a chart's title: `last 30 days`.
pub(crate) fn last_days(analytics: &Analytics) -> String {
    format!("last {} days", analytics.days)
}

/// The daily screenings chart; `period` ends its title (`last 30 days`, `2026-W49`).
pub(crate) fn screenings_chart(analytics: &Analytics, period: &str) -> Markup {
    let values = analytics.daily.iter().map(|day| day.screenings as f64).collect();
    chart(daily_line_chart(
        &format!("Screenings per day, {period}"),
        &days_of(analytics),
        &[Series { label: "screenings".into(), values }],
    ))
}

/// The daily hits, decisions and freezes chart; `period` ends its title.
pub(crate) fn hits_chart(analytics: &Analytics, period: &str) -> Markup {
    let series = |label: &str, pick: fn(&anchor_aml::DailyCounts) -> i64| Series {
        label: label.to_string(),
        values: analytics.daily.iter().map(|day| pick(day) as f64).collect(),
    };
    chart(daily_line_chart(
        &format!("Hits, decisions and freezes per day, {period}"),
        &days_of(analytics),
        &[
            series("hits", |day| day.hits),
            series("decisions", |day| day.decisions),
            series("freezes", |day| day.freezes),
        ],
    ))
}

/// The daily scans chart.
pub(crate) fn scans_chart(analytics: &Analytics) -> Markup {
    let series = |label: &str, pick: fn(&anchor_aml::DailyCounts) -> i64| Series {
        label: label.to_string(),
        values: analytics.daily.iter().map(|day| pick(day) as f64).collect(),
    };
    chart(daily_line_chart(
        &format!("Scans per day, last {} days", analytics.days),
        &days_of(analytics),
        &[series("completed", |day| day.scans_completed), series("failed", |day| day.scans_failed)],
    ))
}

fn counts_section(id: &str, title: &str, counts: &[NamedCount]) -> Markup {
    let bars: Vec<(String, f64)> =
        counts.iter().take(15).map(|count| (count.name.clone(), count.count as f64)).collect();
    html! {
        section.panel aria-labelledby=(id) {
            h2 id=(id) { (title) }
            @if counts.is_empty() { p.muted { "No hits in this window." } }
            @else {
                (chart(bar_chart(title, &bars)))
                details {
                    summary { "As a table" }
                    table {
                        thead { tr { th scope="col" { "Name" } th scope="col" class="num" { "Hits" } } }
                        tbody { @for count in counts { tr { td { (count.name) } td.num { (count.count) } } } }
                    }
                }
            }
        }
    }
}

/// `GET /admin/analytics?days=7|30|90`.
pub(crate) async fn analytics_page(
    state: State,
    officer: SignedIn,
    query: web::Query<WindowQuery>,
) -> PageResult {
    let days = query.days.unwrap_or(30);
    if !WINDOWS.contains(&days) {
        return Err(PageError::BadRequest("the window must be 7, 30 or 90 days".into()));
    }
    let monitor = state.monitor.clone();
    let analytics = blocking(move || monitor.analytics(days, anchor_core::clock::unix_now())).await?;
    let body = html! {
        h1 { "Analytics" }
        nav.pager aria-label="Window" {
            @for window in WINDOWS {
                a href={(CONSOLE_PATH) "/analytics?days=" (window)} aria-current=[(window == days).then_some("page")] { (window) " days" }
            }
        }
        (cards(&analytics))
        div.grid2 {
            section.panel { h2 { "Screenings" } (screenings_chart(&analytics, &last_days(&analytics))) }
            section.panel { h2 { "Hits and decisions" } (hits_chart(&analytics, &last_days(&analytics))) }
        }
        div.grid2 {
            (counts_section("per-list", "Hits per list", &analytics.hits_per_list))
            (counts_section("per-program", "Hits per program", &analytics.hits_per_program))
            (counts_section("per-country", "Hits per country", &analytics.hits_per_country))
        }
        p.muted {
            "The same figures as JSON: " code { "GET /admin/aml/analytics?days=" (days) } " with the admin API key."
        }
    };
    ok_page(page("Analytics", Section::Analytics, &officer.officer, &officer.csrf_token, body))
}

/// `GET /admin/reports/weekly`: the weekly compliance report, as emailed: the last complete ISO
/// week, Monday 00:00 UTC to Sunday 24:00 UTC, named by that week.
pub(crate) async fn weekly_report(state: State, officer: SignedIn) -> PageResult {
    let monitor = state.monitor.clone();
    let report = blocking(move || monitor.weekly_report(anchor_core::clock::unix_now())).await?;
    let analytics = &report.analytics;
    let first = analytics.daily.first().map(|day| day.day.as_str()).unwrap_or("");
    let last = analytics.daily.last().map(|day| day.day.as_str()).unwrap_or("");
    let body = html! {
        h1 { "Weekly compliance report " (report.week) }
        p #report-range { "ISO week " (report.week) ": Monday " (first) " to Sunday " (last) " (UTC), the last complete week." }
        p { a href={(CONSOLE_PATH) "/reports/weekly.csv"} download { "Download as CSV" } }
        (cards(analytics))
        div.grid2 {
            section.panel { h2 { "Screenings" } (screenings_chart(analytics, &report.week)) }
            section.panel { h2 { "Hits and decisions" } (hits_chart(analytics, &report.week)) }
        }
        div.grid2 {
            (counts_section("report-per-list", "Hits per list", &analytics.hits_per_list))
            (counts_section("report-per-country", "Hits per country", &analytics.hits_per_country))
        }
        h2 { "As sent by email" }
        pre.payload #report-text { (report.to_text()) }
    };
    ok_page(page("Weekly report", Section::Report, &officer.officer, &officer.csrf_token, body))
}

/// `GET /admin/reports/weekly.csv`, named after the week reported (`aml-weekly-report-2026-W49.csv`).
pub(crate) async fn weekly_report_csv(state: State, _officer: SignedIn) -> PageResult {
    let monitor = state.monitor.clone();
    let report = blocking(move || monitor.weekly_report(anchor_core::clock::unix_now())).await?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("aml-weekly-report-{}.csv", report.week),
        report.to_csv().into_bytes(),
    ))
}
