//! Sanctions list versions: counts, publication dates, freshness, and the diff of two
//! versions of one list.

use std::collections::BTreeMap;

use actix_web::web;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{badge, duration, page, time, Section};
use super::session::{blocking, ok_page, PageError, PageResult, SignedIn, CONSOLE_PATH};
use super::ConsoleState;
use anchor_aml::StoredVersion;
use anchor_screening::diff_lists;
use anchor_screening::SanctionsEntity;

type State = web::Data<ConsoleState>;

/// Most ids shown per section of a diff.
const DIFF_SHOWN: usize = 500;

/// Whether a list confirmed current at `confirmed` is stale now.
pub(crate) fn is_stale(confirmed: i64, now: i64, interval: i64) -> bool {
    now - confirmed > interval
}

/// The freshness table shared by the overview and the lists page.
pub(crate) fn freshness_table(
    active: &[StoredVersion],
    confirmed: &BTreeMap<String, i64>,
    now: i64,
    interval: i64,
) -> Markup {
    html! {
        div.scroll {
            table #list-freshness {
                thead { tr {
                    th scope="col" { "List" } th scope="col" { "Version" } th scope="col" { "Published" }
                    th scope="col" class="num" { "Entries" } th scope="col" { "Confirmed current" } th scope="col" { "Freshness" }
                } }
                tbody {
                    @for version in active {
                        @let at = confirmed.get(&version.source).copied().unwrap_or(version.imported_at);
                        @let stale = is_stale(at, now, interval);
                        tr data-list=(version.source) data-stale=(stale) {
                            td { code { (version.source) } }
                            td { "#" (version.id) }
                            td { (version.published_on.as_deref().unwrap_or("—")) }
                            td.num { (version.entity_count) }
                            td { (time(at)) " (" (duration(now - at)) " ago)" }
                            td {
                                @if stale { (badge("stale", "stale")) " older than the update interval (" (duration(interval)) ")" }
                                @else { (badge("fresh", "fresh")) }
                            }
                        }
                    }
                }
            }
        }
        @if active.is_empty() { p.error { "No sanctions list is loaded: nothing is screened. Import one with " code { "lists import" } "." } }
    }
}

/// `GET /admin/lists`: every stored version, newest first, and a form to compare two.
pub(crate) async fn versions(state: State, officer: SignedIn) -> PageResult {
    let store = state.lists.clone();
    let (history, active, confirmed) =
        blocking(move || Ok((store.history()?, store.active_versions()?, store.confirmed_current()?)))
            .await?;
    let now = anchor_core::clock::unix_now();
    let body = html! {
        h1 { "Sanctions lists" }
        h2 { "Active versions" }
        (freshness_table(&active, &confirmed, now, state.config.list_update_interval))
        h2 { "Compare two versions" }
        form.inline method="get" action={(CONSOLE_PATH) "/lists/diff"} {
            div {
                label for="diff-from" { "Older version" } br;
                select #diff-from name="from" {
                    @for version in history.iter().filter(|version| version.status != "refused") {
                        option value=(version.id) { "#" (version.id) " " (version.source) " (" (super::layout::date(version.imported_at)) ")" }
                    }
                }
            }
            div {
                label for="diff-to" { "Newer version" } br;
                select #diff-to name="to" {
                    @for version in history.iter().filter(|version| version.status != "refused") {
                        option value=(version.id) { "#" (version.id) " " (version.source) " (" (super::layout::date(version.imported_at)) ")" }
                    }
                }
            }
            button type="submit" { "Compare" }
        }
        h2 { "All imports" }
        div.scroll {
            table #list-versions {
                thead { tr {
                    th scope="col" { "Version" } th scope="col" { "List" } th scope="col" { "Status" }
                    th scope="col" { "Published" } th scope="col" { "Imported" } th scope="col" class="num" { "Entries" }
                    th scope="col" class="num" { "Added" } th scope="col" class="num" { "Removed" } th scope="col" class="num" { "Changed" }
                    th scope="col" { "SHA-256" }
                } }
                tbody {
                    @for version in &history {
                        tr data-version-id=(version.id) {
                            td { "#" (version.id) }
                            td { code { (version.source) } }
                            td {
                                (badge(if version.status == "active" { "completed" } else if version.status == "refused" { "failed" } else { "pending" }, &version.status))
                                @if let Some(reason) = &version.refusal_reason { div.muted { (reason) } }
                            }
                            td { (version.published_on.as_deref().unwrap_or("—")) }
                            td { (time(version.imported_at)) }
                            td.num { (version.entity_count) }
                            td.num { (version.added) }
                            td.num { (version.removed) }
                            td.num { (version.changed) }
                            td.mono { (version.sha256.get(..16).unwrap_or(&version.sha256)) "…" }
                        }
                    }
                }
            }
        }
    };
    ok_page(page("Sanctions lists", Section::Lists, &officer.officer, &officer.csrf_token, body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DiffQuery {
    from: i64,
    to: i64,
}

fn primary_name(entity: &SanctionsEntity) -> &str {
    entity.names.first().map_or("", |name| name.full_name.as_str())
}

/// `GET /admin/lists/diff?from=&to=`: what was added, removed and changed between two versions
/// of the same list.
pub(crate) async fn diff(state: State, officer: SignedIn, query: web::Query<DiffQuery>) -> PageResult {
    let DiffQuery { from, to } = query.into_inner();
    let store = state.lists.clone();
    let (old, new) =
        blocking(move || Ok((store.version_entities(from)?, store.version_entities(to)?))).await?;
    let (Some((old_version, old_entities)), Some((new_version, new_entities))) = (old, new) else {
        return Err(PageError::NotFound("no such list version".into()));
    };
    if old_version.source != new_version.source {
        return Err(PageError::BadRequest(format!(
            "versions #{from} ({}) and #{to} ({}) are of different lists; compare versions of one list",
            old_version.source, new_version.source
        )));
    }
    let changes = diff_lists(&old_entities, &new_entities);
    let names = |entities: &[SanctionsEntity]| -> BTreeMap<String, String> {
        entities.iter().map(|entity| (entity.source_id.clone(), primary_name(entity).to_string())).collect()
    };
    let (old_names, new_names) = (names(&old_entities), names(&new_entities));
    let section = |id: &str, title: &str, ids: &[String], names: &BTreeMap<String, String>| {
        html! {
            section aria-labelledby=(id) {
                h2 id=(id) { (title) " (" (ids.len()) ")" }
                @if ids.len() > DIFF_SHOWN { p.muted { "The first " (DIFF_SHOWN) " are shown." } }
                ul {
                    @for source_id in ids.iter().take(DIFF_SHOWN) {
                        li { code { (source_id) } " " (names.get(source_id).map_or("", String::as_str)) }
                    }
                }
            }
        }
    };
    let body = html! {
        h1 { "List " code { (new_version.source) } ": version #" (old_version.id) " → #" (new_version.id) }
        p {
            "#" (old_version.id) ": " (old_version.entity_count) " entries, published " (old_version.published_on.as_deref().unwrap_or("—"))
            "; #" (new_version.id) ": " (new_version.entity_count) " entries, published " (new_version.published_on.as_deref().unwrap_or("—")) "."
        }
        @if changes.is_empty() { p #diff-empty { "The two versions hold the same entries." } }
        (section("diff-added", "Added", &changes.added, &new_names))
        (section("diff-removed", "Removed (delisted)", &changes.removed, &old_names))
        (section("diff-changed", "Changed", &changes.changed, &new_names))
        p { a href={(CONSOLE_PATH) "/lists"} { "Back to the lists" } }
    };
    ok_page(page("List diff", Section::Lists, &officer.officer, &officer.csrf_token, body))
}
