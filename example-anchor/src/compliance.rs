//! example-anchor's SEP-2/SEP-3 business side, on its own tables:
//!
//! - [`ExampleDirectory`]: `FederationIntegration` (name → account + memo) and
//!   `ComplianceIntegration` (`fetch_info` answers the stored KYC by route or by `name*domain`;
//!   `ask_user` refuses, so data is shared only with institutions granted through the framework's
//!   `/allow_access`).
//! - [`OfficerReview`]: a `SanctionsIntegration` that applies the compliance officer's decisions
//!   (`pending`, `cleared`, `denied` per screened name) before the list screening it wraps.
//! - Internal routes (bearer `ADMIN_API_KEY`): `PUT /example/federation/{name}` (form
//!   `account_id`, `memo`, `kyc` JSON object) and `PUT /example/sanctions/reviews` (form `name`,
//!   `status`).

use anchor_core::clock::unix_now;
use std::sync::Arc;

use anchor_core::actix_web::{web, HttpResponse};
use anchor_core::db::DbError;
use anchor_core::integrations::compliance::{
    ComplianceIntegration, CustomerInfo, FederationIntegration, FederationMemo, FederationRecord,
};
use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject};
use anchor_core::{
    async_trait, AnchorContext, Database, IntegrationError, SanctionsIntegration, Sensitive, SepError,
};
use diesel::prelude::*;
use serde::Deserialize;

diesel::table! {
    example_federation (name) {
        name -> Varchar,
        account_id -> Varchar,
        memo -> BigInt,
        kyc_json -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    example_sanctions_reviews (name) {
        name -> Varchar,
        status -> Varchar,
        updated_at -> BigInt,
    }
}

fn db_failure(err: DbError) -> IntegrationError {
    IntegrationError::internal(err)
}

/// The federation directory and KYC store.
#[derive(Debug, Clone)]
pub(crate) struct ExampleDirectory {
    database: Database,
    home_domain: String,
}

impl ExampleDirectory {
    /// A directory for customers `name*home_domain`.
    pub(crate) fn new(database: Database, home_domain: String) -> Self {
        ExampleDirectory { database, home_domain }
    }

    async fn find(&self, column: Lookup) -> Result<Option<(String, String, i64, String)>, IntegrationError> {
        self.database
            .run(move |conn| {
                let query = example_federation::table.select((
                    example_federation::name,
                    example_federation::account_id,
                    example_federation::memo,
                    example_federation::kyc_json,
                ));
                let row = match column {
                    Lookup::Name(name) => query.filter(example_federation::name.eq(name)).first(conn),
                    Lookup::Memo(memo) => query.filter(example_federation::memo.eq(memo)).first(conn),
                    Lookup::Account(account) => query
                        .filter(example_federation::account_id.eq(account))
                        .order(example_federation::name)
                        .first(conn),
                };
                row.optional().map_err(DbError::from)
            })
            .await
            .map_err(db_failure)
    }

    fn record(&self, name: String, account_id: String, memo: i64) -> FederationRecord {
        FederationRecord {
            stellar_address: format!("{name}*{}", self.home_domain),
            account_id,
            memo: u64::try_from(memo).ok().map(FederationMemo::Id),
        }
    }
}

enum Lookup {
    Name(String),
    Memo(i64),
    Account(String),
}

#[async_trait]
impl FederationIntegration for ExampleDirectory {
    async fn resolve_name(&self, name: &str) -> Result<Option<FederationRecord>, IntegrationError> {
        let row = self.find(Lookup::Name(name.to_ascii_lowercase())).await?;
        Ok(row.map(|(name, account, memo, _)| self.record(name, account, memo)))
    }

    async fn resolve_id(&self, account_id: &str) -> Result<Option<FederationRecord>, IntegrationError> {
        let row = self.find(Lookup::Account(account_id.to_string())).await?;
        Ok(row.map(|(name, account, memo, _)| self.record(name, account, memo)))
    }
}

#[async_trait]
impl ComplianceIntegration for ExampleDirectory {
    async fn fetch_info(&self, address: &str) -> Result<CustomerInfo, IntegrationError> {
        let lookup = match address.split_once('*') {
            Some((name, domain)) if domain.eq_ignore_ascii_case(&self.home_domain) => {
                Lookup::Name(name.to_ascii_lowercase())
            }
            Some(_) => return Err(IntegrationError::not_found("not one of our customers")),
            None => match address.parse::<i64>() {
                Ok(memo) => Lookup::Memo(memo),
                Err(_) => return Err(IntegrationError::not_found("unknown route")),
            },
        };
        let (_, _, _, kyc) =
            self.find(lookup).await?.ok_or_else(|| IntegrationError::not_found("no such customer"))?;
        match serde_json::from_str::<serde_json::Value>(&kyc) {
            Ok(serde_json::Value::Object(map)) => Ok(Sensitive::new(map)),
            _ => Err(IntegrationError::internal("stored KYC is not a JSON object")),
        }
    }
}

/// The officer's decisions, then the wrapped screening.
pub(crate) struct OfficerReview {
    database: Database,
    screening: Arc<dyn SanctionsIntegration>,
}

impl std::fmt::Debug for OfficerReview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficerReview").finish_non_exhaustive()
    }
}

/// How long a sender waits before asking again about a name under review.
pub(crate) const REVIEW_RETRY_SECONDS: u64 = 60;

impl OfficerReview {
    /// Applies the officer's table before `screening`.
    pub(crate) fn new(database: Database, screening: impl SanctionsIntegration) -> Self {
        OfficerReview { database, screening: Arc::new(screening) }
    }
}

#[async_trait]
impl SanctionsIntegration for OfficerReview {
    async fn screen(&self, subject: &ScreeningSubject) -> Result<ScreeningOutcome, IntegrationError> {
        let names: Vec<String> = subject.names.iter().map(|name| name.expose().to_lowercase()).collect();
        let decisions: Vec<(String, String)> = self
            .database
            .run(move |conn| {
                example_sanctions_reviews::table
                    .filter(example_sanctions_reviews::name.eq_any(names))
                    .select((example_sanctions_reviews::name, example_sanctions_reviews::status))
                    .load(conn)
                    .map_err(DbError::from)
            })
            .await
            .map_err(db_failure)?;
        let has = |status: &str| decisions.iter().any(|(_, s)| s == status);
        if has("denied") {
            return Ok(ScreeningOutcome::Denied { reason: "denied by the compliance officer".into() });
        }
        if has("pending") {
            return Ok(ScreeningOutcome::Pending {
                retry_after: std::time::Duration::from_secs(REVIEW_RETRY_SECONDS),
                reference: "officer-review".into(),
            });
        }
        if has("cleared")
            && decisions.iter().all(|(_, s)| s == "cleared")
            && decisions.len() == subject.names.len()
        {
            return Ok(ScreeningOutcome::Clear);
        }
        self.screening.screen(subject).await
    }
}

/// Mounts the internal management routes.
pub(crate) fn mount(cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
    let key = ctx.settings().admin_api_key.as_ref().map(|key| key.expose().clone());
    anchor_core::http::mount_internal_scope(cfg, "/example", ctx.body_limits(), key, |scope| {
        scope
            .route("/federation/{name}", web::put().to(put_federation))
            .route("/sanctions/reviews", web::put().to(put_review))
    });
}

#[derive(Deserialize)]
struct FederationForm {
    account_id: String,
    memo: i64,
    kyc: String,
}

async fn put_federation(
    ctx: web::Data<AnchorContext>,
    name: web::Path<String>,
    form: web::Form<FederationForm>,
) -> Result<HttpResponse, SepError> {
    let name = name.into_inner().to_ascii_lowercase();
    let FederationForm { account_id, memo, kyc } = form.into_inner();
    const MAX_KYC_BYTES: usize = 60_000;
    if name.is_empty() || name.len() > 64 || name.contains('*') {
        return Err(SepError::bad_request("name: 1 to 64 characters, without `*`"));
    }
    if !anchor_core::keys::is_account_id(&account_id) {
        return Err(SepError::bad_request("account_id: must be a G… account"));
    }
    if memo < 0 {
        return Err(SepError::bad_request("memo: must be a non-negative integer"));
    }
    // The column is TEXT on every backend: 65,535 bytes on MySQL.
    if kyc.len() > MAX_KYC_BYTES {
        return Err(SepError::bad_request(format!("kyc: at most {MAX_KYC_BYTES} bytes of JSON")));
    }
    if !matches!(serde_json::from_str::<serde_json::Value>(&kyc), Ok(serde_json::Value::Object(_))) {
        return Err(SepError::bad_request("kyc: must be a JSON object"));
    }
    let now = unix_now();
    ctx.database()
        .run(move |conn| {
            conn.transaction(|conn| {
                diesel::delete(example_federation::table.filter(example_federation::name.eq(&name)))
                    .execute(conn)?;
                diesel::insert_into(example_federation::table)
                    .values((
                        example_federation::name.eq(&name),
                        example_federation::account_id.eq(&account_id),
                        example_federation::memo.eq(memo),
                        example_federation::kyc_json.eq(&kyc),
                        example_federation::updated_at.eq(now),
                    ))
                    .execute(conn)
            })
            .map_err(DbError::from)
        })
        .await
        .map_err(|err| match err {
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => SepError::bad_request("memo: already used by another name"),
            other => other.into(),
        })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

#[derive(Deserialize)]
struct ReviewForm {
    name: String,
    status: String,
}

async fn put_review(
    ctx: web::Data<AnchorContext>,
    form: web::Form<ReviewForm>,
) -> Result<HttpResponse, SepError> {
    let ReviewForm { name, status } = form.into_inner();
    let name = name.trim().to_lowercase();
    if name.is_empty() || name.len() > 255 {
        return Err(SepError::bad_request("name: 1 to 255 characters"));
    }
    if !matches!(status.as_str(), "pending" | "cleared" | "denied") {
        return Err(SepError::bad_request("status: must be pending, cleared or denied"));
    }
    let now = unix_now();
    ctx.database()
        .run(move |conn| {
            conn.transaction(|conn| {
                diesel::delete(
                    example_sanctions_reviews::table.filter(example_sanctions_reviews::name.eq(&name)),
                )
                .execute(conn)?;
                diesel::insert_into(example_sanctions_reviews::table)
                    .values((
                        example_sanctions_reviews::name.eq(&name),
                        example_sanctions_reviews::status.eq(&status),
                        example_sanctions_reviews::updated_at.eq(now),
                    ))
                    .execute(conn)
            })
            .map_err(DbError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
