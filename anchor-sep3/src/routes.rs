//! The thin HTTP layer: extract, call `receive`/`send`, answer. Public: `POST /compliance`,
//! `GET /compliance/tx_status`, `GET /federation`. Internal (bearer `ADMIN_API_KEY`): `POST
//! /send`, `/receive`, `/allow_access`, `/remove_access`.

use std::time::{SystemTime, UNIX_EPOCH};

use anchor_core::actix_web::http::{header, StatusCode};
use anchor_core::actix_web::{web, HttpRequest, HttpResponse};
use anchor_core::http::{mount_internal_scope, mount_public_scope};
use anchor_core::integrations::compliance::{FederationRecord, PaymentState, PaymentStatus};
use anchor_core::{AnchorContext, SepError};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::store::AuthorizedWriter;
use crate::{receive, send, Sep3State, AUTH_SERVER_PATH, FEDERATION_PATH};

type Form = web::Form<Vec<(String, String)>>;

fn now_nanos() -> i128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i128).unwrap_or_default()
}

fn now_seconds() -> i64 {
    (now_nanos() / 1_000_000_000) as i64
}

/// Called once per server worker: each worker gets its own group-commit writer.
pub(crate) fn mount_public(cfg: &mut web::ServiceConfig, ctx: &AnchorContext, state: web::Data<Sep3State>) {
    let auth_state = state.clone();
    let writer = web::Data::new(AuthorizedWriter::new(ctx.database().clone()));
    // Per client address, one budget for the whole AUTH_SERVER (`RATE_LIMIT_SEP3_AUTH_SERVER`)
    // and one for federation (`RATE_LIMIT_FEDERATION`): refused with 429 before the form is read.
    let auth_limit = ctx.rate_limits().sep3_auth_server.clone();
    let federation_limit = ctx.rate_limits().federation.clone();
    mount_public_scope(cfg, AUTH_SERVER_PATH, ctx.body_limits(), move |scope| {
        scope
            .app_data(auth_state)
            .app_data(writer)
            .route("", web::post().to(authorize).wrap(auth_limit.clone()))
            .route("/", web::post().to(authorize).wrap(auth_limit.clone()))
            .route("/tx_status", web::get().to(tx_status).wrap(auth_limit))
    });
    if state.config.external_federation_server.is_none() {
        mount_public_scope(cfg, FEDERATION_PATH, ctx.body_limits(), move |scope| {
            scope
                .app_data(state)
                .route("", web::get().to(federation).wrap(federation_limit.clone()))
                .route("/", web::get().to(federation).wrap(federation_limit))
        });
    }
}

pub(crate) fn mount_internal(cfg: &mut web::ServiceConfig, ctx: &AnchorContext, state: web::Data<Sep3State>) {
    let key = ctx.settings().admin_api_key.as_ref().map(|key| key.expose().clone());
    let limits = ctx.body_limits();
    let internal = |path: &str, route: anchor_core::actix_web::Route, cfg: &mut web::ServiceConfig| {
        let state = state.clone();
        mount_internal_scope(cfg, path, limits, key.clone(), move |scope| {
            scope.app_data(state).route("", route)
        });
    };
    internal("/send", web::post().to(send_payment), cfg);
    internal("/receive", web::post().to(receive_data), cfg);
    internal("/allow_access", web::post().to(allow_access), cfg);
    internal("/remove_access", web::post().to(remove_access), cfg);
}

async fn authorize(
    ctx: web::Data<AnchorContext>,
    state: web::Data<Sep3State>,
    writer: web::Data<AuthorizedWriter>,
    form: Form,
) -> Result<HttpResponse, SepError> {
    let decision = receive::handle(&ctx, &state, &writer, form.into_inner(), now_seconds()).await?;
    let status = StatusCode::from_u16(decision.http_status).map_err(SepError::internal)?;
    Ok(HttpResponse::build(status).json(decision.body))
}

#[derive(Deserialize)]
struct TxStatusQuery {
    id: Option<String>,
}

async fn tx_status(
    ctx: web::Data<AnchorContext>,
    state: web::Data<Sep3State>,
    req: HttpRequest,
    query: web::Query<TxStatusQuery>,
) -> Result<HttpResponse, SepError> {
    if let Some((user, password)) = &state.config.tx_status_auth {
        if !basic_auth_matches(&req, user, password.expose()) {
            return Ok(HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"tx_status\""))
                .json(serde_json::json!({"error": "tx_status requires HTTP Basic authentication"})));
        }
    }
    let id = query.into_inner().id.unwrap_or_default().to_ascii_lowercase();
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::field("id", "must be a transaction hash (64 hex characters)").into());
    }
    // The anchor's systems know what happened after approval (delivered, refunded, …); without
    // an answer from them, our tables say approved, pending or unknown.
    let known = match ctx.integrations().compliance() {
        Some(compliance) => match compliance.payment_status(&id).await {
            Ok(known) => known,
            Err(err) => {
                tracing::warn!(transaction = %id, error = %err, "tx_status: the anchor's payment status failed; answering from our tables");
                None
            }
        },
        None => None,
    };
    let status = match known {
        Some(status) => status,
        None => {
            let word = crate::store::tx_status(ctx.database(), id).await.map_err(Error::from)?;
            PaymentStatus::new(PaymentState::parse(word).unwrap_or(PaymentState::Unknown))
        }
    };
    Ok(HttpResponse::Ok().json(TxStatusBody::from(status)))
}

/// The SEP-4 answer: `refund_tx` only with `refunded`.
#[derive(Serialize)]
struct TxStatusBody {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    recv_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_tx: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    msg: Option<String>,
}

impl From<PaymentStatus> for TxStatusBody {
    fn from(status: PaymentStatus) -> Self {
        TxStatusBody {
            status: status.state.as_str(),
            recv_code: status.recv_code,
            refund_tx: status.refund_tx.filter(|_| status.state == PaymentState::Refunded),
            msg: status.msg,
        }
    }
}

/// Whether the request carries `Authorization: Basic` with exactly `user` and `password`.
fn basic_auth_matches(req: &HttpRequest, user: &str, password: &str) -> bool {
    use base64::Engine as _;
    let Some(encoded) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else { return false };
    let expected = format!("{user}:{password}");
    anchor_core::http::constant_time_eq(&decoded, expected.as_bytes())
}

#[derive(Deserialize)]
struct FederationQuery {
    q: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Serialize)]
struct FederationBody {
    stellar_address: String,
    account_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    memo_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memo: Option<String>,
}

impl From<FederationRecord> for FederationBody {
    fn from(record: FederationRecord) -> Self {
        FederationBody {
            stellar_address: record.stellar_address,
            account_id: record.account_id,
            memo_type: record.memo.as_ref().map(|memo| memo.memo_type()),
            memo: record.memo.map(|memo| memo.value()),
        }
    }
}

async fn federation(
    ctx: web::Data<AnchorContext>,
    state: web::Data<Sep3State>,
    query: web::Query<FederationQuery>,
) -> Result<HttpResponse, SepError> {
    let FederationQuery { q, kind } = query.into_inner();
    let q = q.filter(|q| !q.is_empty()).ok_or_else(|| Error::field("q", "missing query parameter"))?;
    let integration = ctx
        .integrations()
        .federation()
        .ok_or_else(|| SepError::internal("sep-3 is mounted without a FederationIntegration"))?;
    let record = match kind.as_deref() {
        Some("name") => {
            let address = crate::payload::parse_federation_address(&q, "q")?;
            if !address.domain.eq_ignore_ascii_case(&state.home_domain) {
                return Err(SepError::NotFound(format!(
                    "this server only resolves addresses *{}",
                    state.home_domain
                )));
            }
            integration.resolve_name(&address.name).await?
        }
        Some("id") => {
            if stellar_strkey::ed25519::PublicKey::from_string(&q).is_err() {
                return Err(Error::field("q", "must be a G… account for type=id").into());
            }
            integration.resolve_id(&q).await?
        }
        Some("txid" | "forward") => {
            return Err(Error::NotSupported("this federation server does not support this type".into()).into())
        }
        Some(_) => return Err(Error::field("type", "must be name, id, txid or forward").into()),
        None => return Err(Error::field("type", "missing query parameter").into()),
    };
    let record = record.ok_or_else(|| SepError::NotFound("not found".into()))?;
    Ok(HttpResponse::Ok().json(FederationBody::from(record)))
}

async fn send_payment(
    ctx: web::Data<AnchorContext>,
    state: web::Data<Sep3State>,
    form: Form,
) -> Result<HttpResponse, SepError> {
    let response = send::send(&ctx, &state, form.into_inner(), now_nanos()).await?;
    Ok(HttpResponse::Ok().json(response))
}

async fn receive_data(ctx: web::Data<AnchorContext>, form: Form) -> Result<HttpResponse, SepError> {
    let data = send::receive(&ctx, form.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": data })))
}

async fn allow_access(
    ctx: web::Data<AnchorContext>,
    state: web::Data<Sep3State>,
    form: Form,
) -> Result<HttpResponse, SepError> {
    send::allow_access(&ctx, &state, form.into_inner(), now_seconds()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

async fn remove_access(
    ctx: web::Data<AnchorContext>,
    state: web::Data<Sep3State>,
    form: Form,
) -> Result<HttpResponse, SepError> {
    send::remove_access(&ctx, &state, form.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
