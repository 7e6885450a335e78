//! The manual review path on the internal listener (bearer `ADMIN_API_KEY`):
//!
//! - `GET /customers/pending` lists customers waiting for review.
//! - `PUT /customers/{id}/review` with `{"type": "default", "status": "ACCEPTED"}` or
//!   `{"status": "REJECTED", "message": "…"}` decides, then fires the customer's SEP-12 status
//!   callback through `anchor_sep12::notify_status_change`.

use anchor_core::actix_web::{web, HttpResponse};
use anchor_core::{AnchorContext, SepError};
use serde::Deserialize;

use super::store::{self, Decided, Key};
use super::{requirements, status_of, Review, TYPES};

/// Mounts the review routes under `/customers`.
pub(crate) fn mount(cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
    let key = ctx.settings().admin_api_key.as_ref().map(|key| key.expose().clone());
    anchor_core::http::mount_internal_scope(cfg, "/customers", ctx.body_limits(), key, |scope| {
        scope.route("/pending", web::get().to(pending)).route("/{id}/review", web::put().to(review))
    });
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    #[serde(rename = "type")]
    customer_type: Option<String>,
    status: String,
    message: Option<String>,
}

async fn pending(ctx: web::Data<AnchorContext>) -> Result<HttpResponse, SepError> {
    let rows = ctx.database().run(store::pending).await?;
    let pending: Vec<_> = rows
        .into_iter()
        .map(|(id, customer_type)| serde_json::json!({ "id": id, "type": customer_type }))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "pending": pending })))
}

async fn review(
    ctx: web::Data<AnchorContext>,
    path: web::Path<String>,
    body: web::Json<Decision>,
) -> Result<HttpResponse, SepError> {
    let id = path.into_inner();
    let Decision { customer_type, status, message } = body.into_inner();
    let customer_type = customer_type.unwrap_or_else(|| "default".to_string());
    if requirements(&customer_type).is_none() {
        return Err(SepError::bad_request(format!(
            "unknown customer type; this anchor knows {}",
            TYPES.join(", ")
        )));
    }
    let decision = match status.as_str() {
        "ACCEPTED" => Review::Accepted,
        "REJECTED" => Review::Rejected,
        _ => return Err(SepError::bad_request("`status` must be ACCEPTED or REJECTED")),
    };
    let message = message.filter(|message| !message.trim().is_empty());
    if decision == Review::Rejected && message.is_none() {
        return Err(SepError::bad_request("a rejection needs a `message` for the customer"));
    }
    let (lookup, kind) = (id.clone(), customer_type.clone());
    let outcome = ctx
        .database()
        .run(move |conn| store::decide(conn, &lookup, &kind, decision, message.as_deref()))
        .await?;
    match outcome {
        Decided::Done => {}
        Decided::UnknownCustomer => return Err(SepError::NotFound("no such customer".into())),
        Decided::NotPending(current) => {
            return Err(SepError::bad_request(format!(
                "this customer is not awaiting review for type `{customer_type}` (status: {})",
                current.as_deref().unwrap_or("incomplete")
            )))
        }
    }
    let (lookup, kind) = (id.clone(), customer_type.clone());
    let stored = ctx.database().run(move |conn| store::load(conn, &Key::Id(lookup), &kind)).await?;
    let status = status_of(stored.as_ref(), &customer_type).map_err(SepError::from)?;
    // A registration watches one `type`; this anchor reads a missing `type` as `default`.
    let mut callback = false;
    let watched: &[Option<&str>] =
        if customer_type == "default" { &[Some("default"), None] } else { &[Some(customer_type.as_str())] };
    for watched_type in watched {
        match anchor_sep12::notify_status_change(&ctx, *watched_type, &status).await {
            Ok(scheduled) => callback |= scheduled,
            Err(err) => tracing::warn!(error = %err, "could not schedule the SEP-12 status callback"),
        }
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "id": id,
        "type": customer_type,
        "status": status.name(),
        "callback_scheduled": callback,
    })))
}
