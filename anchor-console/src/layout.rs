//! The console's page frame (header, navigation, sign-out), its stylesheet, and small rendering
//! helpers shared by the pages.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::session::CONSOLE_PATH;
use anchor_aml::Officer;

/// The stylesheet, served at `/admin/static/console.css` (the content security policy allows no
/// inline style).
pub(crate) const STYLESHEET: &str = include_str!("console.css");

/// The console's icon, served at `/admin/favicon.svg` and linked from every page: plain shapes,
/// no script, no link, no style element.
pub(crate) const FAVICON: &str = include_str!("favicon.svg");

/// The sections of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Overview,
    Cases,
    Frozen,
    Customers,
    Audit,
    Lists,
    Analytics,
    Report,
}

const NAVIGATION: [(Section, &str, &str); 8] = [
    (Section::Overview, "/", "Overview"),
    (Section::Cases, "/cases", "Cases"),
    (Section::Frozen, "/frozen", "Frozen accounts"),
    (Section::Customers, "/subjects", "Customers"),
    (Section::Audit, "/audit", "Audit"),
    (Section::Lists, "/lists", "Lists"),
    (Section::Analytics, "/analytics", "Analytics"),
    (Section::Report, "/reports/weekly", "Weekly report"),
];

/// A whole document: the doctype comes first, before `<html>`, or browsers render the page in
/// quirks mode (`document.compatMode` would be `BackCompat`).
fn document(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · AML console" }
                link rel="stylesheet" href={(CONSOLE_PATH) "/static/console.css"};
                link rel="icon" type="image/svg+xml" href={(CONSOLE_PATH) "/favicon.svg"};
            }
            body { (body) }
        }
    }
}

/// A page for a signed-in officer: header with the officer's name and sign-out, navigation with
/// `section` current, and `body`.
pub(crate) fn page(title: &str, section: Section, officer: &Officer, csrf: &str, body: Markup) -> Markup {
    let frame = html! {
        a.skip href="#main" { "Skip to content" }
        header.top {
            span.brand { "AML console" }
            nav aria-label="Sections" {
                ul {
                    @for (item, path, label) in NAVIGATION {
                        li {
                            @if item == section {
                                a href={(CONSOLE_PATH) (path)} aria-current="page" { (label) }
                            } @else {
                                a href={(CONSOLE_PATH) (path)} { (label) }
                            }
                        }
                    }
                }
            }
            form.signout method="post" action={(CONSOLE_PATH) "/logout"} {
                span.who { "Signed in as " strong { (officer.display_name) } }
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Sign out" }
            }
        }
        main #main tabindex="-1" { (body) }
    };
    document(title, frame)
}

/// A page without navigation (sign-in, errors).
pub(crate) fn bare(title: &str, body: Markup) -> Markup {
    let frame = html! {
        a.skip href="#main" { "Skip to content" }
        header.top { span.brand { "AML console" } }
        main #main.narrow tabindex="-1" { (body) }
    };
    document(title, frame)
}

/// The hidden CSRF field every form carries.
pub(crate) fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC` (in a `<time>` element).
pub(crate) fn time(seconds: i64) -> Markup {
    match chrono::DateTime::from_timestamp(seconds, 0) {
        Some(at) => html! {
            time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M UTC").to_string()) }
        },
        None => html! { "—" },
    }
}

/// An optional time.
pub(crate) fn maybe_time(seconds: Option<i64>) -> Markup {
    match seconds {
        Some(seconds) => time(seconds),
        None => html! { "—" },
    }
}

pub(crate) use anchor_core::clock::utc_date as date;

/// A duration in words: `3 d 4 h`, `5 h 12 min`, `40 s`.
pub(crate) fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        s if s >= 86_400 => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
        s if s >= 3600 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// A score as a percentage with one decimal.
pub(crate) fn score(value: f64) -> String {
    format!("{:.1} %", value * 100.0)
}

/// An SVG chart drawn by [`crate::charts`]: its text is escaped there.
pub(crate) fn chart(svg: String) -> Markup {
    html! { figure.chart { (PreEscaped(svg)) } }
}

/// A field of a JSON object as text: strings as they are, `—` when absent or null, anything
/// else as JSON.
pub(crate) fn json_text(value: &serde_json::Value, key: &str) -> String {
    match value.get(key) {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(serde_json::Value::Null) | None => "—".to_string(),
        Some(other) => other.to_string(),
    }
}

/// A status badge.
pub(crate) fn badge(kind: &str, text: &str) -> Markup {
    html! { span class={"badge badge-" (kind)} { (text) } }
}
