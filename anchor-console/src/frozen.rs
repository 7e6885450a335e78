//! Frozen accounts: list, search, unfreeze with a reason.

use actix_web::{web, HttpRequest};
use maud::html;
use serde::Deserialize;

use super::layout::{csrf_field, page, time, Section};
use super::session::{blocking, flash, ok_page, redirect, PageError, PageResult, SignedIn, CONSOLE_PATH};
use super::ConsoleState;

type State = web::Data<ConsoleState>;

/// Most frozen accounts a page lists.
const LIMIT: i64 = 500;

#[derive(Debug, Deserialize)]
pub(crate) struct FrozenQuery {
    search: Option<String>,
    done: Option<String>,
}

/// `GET /admin/frozen?search=`: frozen accounts, newest first.
pub(crate) async fn list(state: State, officer: SignedIn, query: web::Query<FrozenQuery>) -> PageResult {
    let FrozenQuery { search, done } = query.into_inner();
    let search = search.map(|text| text.trim().to_string()).filter(|text| !text.is_empty());
    if search.as_ref().is_some_and(|text| text.len() > 128) {
        return Err(PageError::BadRequest("the search text is longer than 128 characters".into()));
    }
    let monitor = state.monitor.clone();
    let filter = search.clone();
    let accounts = blocking(move || monitor.frozen_accounts(filter.as_deref(), LIMIT)).await?;
    let message = match done.as_deref() {
        Some("unfrozen") => Some("Account unfrozen."),
        _ => None,
    };
    let csrf = &officer.csrf_token;
    let body = html! {
        (flash(message))
        h1 { "Frozen accounts" }
        form.inline role="search" method="get" action={(CONSOLE_PATH) "/frozen"} {
            div {
                label for="frozen-search" { "Account contains" }
                br;
                input #frozen-search type="search" name="search" value=[search.as_deref()] maxlength="128";
            }
            button type="submit" { "Search" }
        }
        @if accounts.is_empty() { p #no-frozen { "No frozen account" @if search.is_some() { " matches" } "." } }
        div.scroll {
            table #frozen-accounts {
                thead { tr {
                    th scope="col" { "Account" } th scope="col" { "Frozen" } th scope="col" { "Why" }
                    th scope="col" { "Case" } th scope="col" { "Customer" } th scope="col" { "Unfreeze" }
                } }
                tbody {
                    @for account in &accounts {
                        tr data-account=(account.account) {
                            td.mono { (account.account) }
                            td { (time(account.frozen_at)) }
                            td { (account.reason) }
                            td { @if let Some(case) = account.case_id { a href={(CONSOLE_PATH) "/cases/" (case)} { "Case " (case) } } @else { "—" } }
                            td { @if let Some(subject) = account.subject_id { a href={(CONSOLE_PATH) "/subjects/" (subject)} { "Customer " (subject) } } @else { "—" } }
                            td {
                                form.stack method="post" action={(CONSOLE_PATH) "/frozen/unfreeze"} {
                                    (csrf_field(csrf))
                                    input type="hidden" name="account" value=(account.account);
                                    label for={"reason-" (account.account)} { "Reason (required)" }
                                    input id={"reason-" (account.account)} type="text" name="reason" required maxlength="4000";
                                    button.secondary type="submit" { "Unfreeze" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    ok_page(page("Frozen accounts", Section::Frozen, &officer.officer, csrf, body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct UnfreezeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/frozen/unfreeze`: lifts a freeze with a written reason (audited).
pub(crate) async fn unfreeze(
    req: HttpRequest,
    state: State,
    officer: SignedIn,
    form: web::Form<UnfreezeForm>,
) -> PageResult {
    let name = officer.authorise(&req, &form.csrf)?;
    let UnfreezeForm { account, reason, .. } = form.into_inner();
    let account = account.trim().to_string();
    if !anchor_aml::is_freeze_identity(&account) {
        return Err(PageError::BadRequest(
            "the account must be a Stellar account (G…, M… or G…:id:<memo>)".into(),
        ));
    }
    let monitor = state.monitor.clone();
    blocking(move || monitor.unfreeze(&account, &name, &reason)).await?;
    Ok(redirect(&format!("{CONSOLE_PATH}/frozen?done=unfrozen")))
}
