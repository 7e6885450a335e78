//! The SEP-12 handlers: thin glue between the parsed request (`request.rs`), the framework's
//! tables (`store.rs`), the anchor's `CustomerIntegration` and the wire format (`wire.rs`).

use anchor_core::clock::unix_now;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use anchor_core::integrations::customer::{
    CustomerCallback, CustomerId, CustomerQuery, CustomerRef, CustomerUpdate, CustomerVerification,
    Sep9Field, Sep9Fields, Sep9File, Sep9Value,
};
use anchor_core::{AnchorContext, CustomerIntegration, Sensitive, Sep10Token, SepError};

use crate::body::{self, Limits, Params, Value};
use crate::request::{self, IdParams, Identity, Purpose};
use crate::screening::{
    record_screening, refuse_frozen, screening_key, screening_unavailable, screening_values,
};
use crate::store::{self, NewFile, Quota, QuotaExceeded};
use crate::wire::{CustomerBody, FileBody, FilesBody, IdBody};
use crate::{callbacks, files, Error};

type Ctx = web::Data<AnchorContext>;

/// How long a confirmed `id → owner` pair saves a database read on `GET /customer`.
const OWNER_CACHE_TTL: Duration = Duration::from_secs(30);
/// Entries kept per worker before the cache starts over.
const OWNER_CACHE_CAPACITY: usize = 50_000;

/// Per-worker cache of `id → owner` pairs recently confirmed against `sep12_customer_owners`.
/// It only skips re-confirming an ownership already recorded; id-based access (`owned`) always
/// reads the table. Entries expire after [`OWNER_CACHE_TTL`] and are dropped on `DELETE`.
#[derive(Debug, Default)]
pub(crate) struct OwnerCache {
    entries: Mutex<HashMap<String, (String, String, Instant)>>,
}

impl OwnerCache {
    fn confirms(&self, id: &str, identity: &Identity) -> bool {
        let Ok(entries) = self.entries.lock() else {
            return false;
        };
        entries.get(id).is_some_and(|(account, memo, at)| {
            *account == identity.account && *memo == identity.memo_key() && at.elapsed() < OWNER_CACHE_TTL
        })
    }

    fn remember(&self, id: &str, identity: &Identity) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= OWNER_CACHE_CAPACITY {
                entries.clear();
            }
            entries.insert(id.to_string(), (identity.account.clone(), identity.memo_key(), Instant::now()));
        }
    }

    fn forget(&self, ids: &[String]) {
        if let Ok(mut entries) = self.entries.lock() {
            for id in ids {
                entries.remove(id);
            }
        }
    }
}

fn integration(ctx: &AnchorContext) -> Result<Arc<dyn CustomerIntegration>, Error> {
    ctx.integrations()
        .customer()
        .cloned()
        .ok_or_else(|| Error::Internal("sep-12 is mounted without a CustomerIntegration".into()))
}

fn limits(ctx: &AnchorContext) -> Limits {
    Limits { text: ctx.settings().max_request_body_bytes, file: ctx.settings().sep12.max_file_bytes }
}

/// The per-identity file quota of the settings.
fn quota(ctx: &AnchorContext) -> Quota {
    let settings = &ctx.settings().sep12;
    Quota {
        max_files: i64::from(settings.max_files_per_customer),
        max_bytes: i64::try_from(settings.max_file_bytes_per_customer).unwrap_or(i64::MAX),
    }
}

/// The 413 of an upload past the caller's file quota, naming the limit.
fn over_quota(ctx: &AnchorContext, exceeded: QuotaExceeded) -> Error {
    let settings = &ctx.settings().sep12;
    let limit = match exceeded {
        QuotaExceeded::Files => {
            format!(
                "at most {} files per customer (SEP12_MAX_FILES_PER_CUSTOMER)",
                settings.max_files_per_customer
            )
        }
        QuotaExceeded::Bytes => format!(
            "at most {} bytes of files per customer (SEP12_MAX_FILE_BYTES_PER_CUSTOMER)",
            settings.max_file_bytes_per_customer
        ),
    };
    Error::TooLarge(format!(
        "file quota exceeded: {limit}; nothing was stored (a file no customer references is deleted {} s after its upload)",
        settings.file_expiry.as_secs()
    ))
}

/// The owner of `id` if it belongs to `identity`; a 404 otherwise (never revealing whether the
/// id exists for someone else).
async fn owned(ctx: &AnchorContext, identity: &Identity, id: &str) -> Result<Identity, Error> {
    let lookup = id.to_string();
    let owner = ctx.database().run(move |conn| store::owner_of(conn, &lookup)).await?;
    match owner {
        Some(owner) if identity.owns(&owner.account, &owner.memo) => Ok(Identity {
            account: owner.account,
            memo: anchor_core::integrations::customer::Memo::from_key(&owner.memo),
        }),
        _ => Err(Error::customer_not_found(id)),
    }
}

/// The customer a request names: an owned id, or the caller's identity.
async fn target(
    ctx: &AnchorContext,
    identity: &Identity,
    id: Option<&str>,
) -> Result<(CustomerRef, Identity), Error> {
    match id {
        Some(id) => {
            let owner = owned(ctx, identity, id).await?;
            Ok((CustomerRef::Id(CustomerId(id.to_string())), owner))
        }
        None => Ok((identity.to_ref(), identity.clone())),
    }
}

fn foreign_id() -> Error {
    Error::Internal(
        "the CustomerIntegration answered with a customer id created under another account".into(),
    )
}

/// Records that the customer an integration answered with belongs to `identity`; an id that
/// already belongs to another identity is an integration bug and is never served. A recent
/// confirmation in this worker's cache saves the round trip.
async fn record_owner(
    ctx: &AnchorContext,
    cache: &OwnerCache,
    id: &CustomerId,
    identity: &Identity,
) -> Result<(), Error> {
    if cache.confirms(&id.0, identity) {
        return Ok(());
    }
    let (lookup, identity_copy) = (id.0.clone(), identity.clone());
    let ours = ctx
        .database()
        .run(move |conn| store::record_owner(conn, &lookup, &identity_copy, unix_now()))
        .await?;
    if !ours {
        return Err(foreign_id());
    }
    cache.remember(&id.0, identity);
    Ok(())
}

/// `GET /customer`.
pub(crate) async fn get_customer(
    req: HttpRequest,
    token: Sep10Token,
    ctx: Ctx,
    cache: web::Data<OwnerCache>,
) -> Result<HttpResponse, SepError> {
    Ok(get(&req, &token, &ctx, &cache).await?)
}

async fn get(
    req: &HttpRequest,
    token: &Sep10Token,
    ctx: &AnchorContext,
    cache: &OwnerCache,
) -> Result<HttpResponse, Error> {
    let mut params = Params::from_query(req.query_string())?;
    let id_params = IdParams::take(&mut params)?;
    let purpose = Purpose::take(&mut params)?;
    let identity = request::resolve(token, &id_params)?;
    refuse_frozen(ctx, &identity).await?;
    let by_id = id_params.id.is_some();
    let (target, owner) = target(ctx, &identity, id_params.id.as_deref()).await?;
    let query = CustomerQuery::new(target)
        .with_type(purpose.customer_type)
        .with_transaction_id(purpose.transaction_id)
        .with_lang(purpose.lang);
    let status = integration(ctx)?.get(token, query).await?;
    match (status.id(), &id_params.id) {
        (Some(answered), Some(asked)) if answered.0 != *asked => {
            return Err(Error::Internal(
                "the CustomerIntegration answered GET by id with another customer's id".into(),
            ))
        }
        (Some(answered), _) if !by_id => record_owner(ctx, cache, answered, &owner).await?,
        _ => {}
    }
    Ok(HttpResponse::Ok().json(CustomerBody::from(&status)))
}

/// `PUT /customer`.
pub(crate) async fn put_customer(
    req: HttpRequest,
    payload: web::Payload,
    token: Sep10Token,
    ctx: Ctx,
) -> Result<HttpResponse, SepError> {
    Ok(put(&req, payload, &token, &ctx).await?)
}

async fn put(
    req: &HttpRequest,
    payload: web::Payload,
    token: &Sep10Token,
    ctx: &AnchorContext,
) -> Result<HttpResponse, Error> {
    let mut params = body::read(req, payload, limits(ctx), true).await?;
    let id_params = IdParams::take(&mut params)?;
    let purpose = Purpose::take(&mut params)?;
    let identity = request::resolve(token, &id_params)?;
    refuse_frozen(ctx, &identity).await?;
    let (target, owner) = target(ctx, &identity, id_params.id.as_deref()).await?;
    let input = request::fields(params)?;

    // Every file is checked before anything is written, then the new ones are stored within the
    // identity's quota (413 and nothing stored past it).
    let mut fields = input.fields;
    let new_files = take_uploads(ctx, input.uploads, &mut fields)?;
    let referenced = take_referenced_files(ctx, token, input.file_refs, &mut fields).await?;
    let stored_ids: Vec<String> = new_files.iter().map(|(_, id)| id.clone()).collect();
    let fields = store_uploads(ctx, token, new_files, fields).await?;

    let screening_update = screening_values(&fields);
    let update = CustomerUpdate::new(target, fields)
        .with_purpose(purpose.customer_type, purpose.transaction_id)
        .with_verifications(input.verifications);
    let id = match integration(ctx)?.put(token, update).await {
        Ok(id) => id,
        Err(err) => {
            let undo = stored_ids.clone();
            if let Err(cleanup) = ctx.database().run(move |conn| store::delete_files(conn, &undo)).await {
                tracing::warn!(error = %cleanup, "could not remove the files of a refused PUT /customer");
            }
            return Err(err.into());
        }
    };
    if id_params.id.as_ref().is_some_and(|asked| *asked != id.0) {
        return Err(Error::Internal(
            "the CustomerIntegration answered PUT by id with another customer's id".into(),
        ));
    }
    let mut attach = stored_ids;
    attach.extend(referenced);
    let watched_type = record_owner_and_attach(ctx, &id, &owner, attach).await?;
    record_screening(ctx, &id, &owner, screening_update).await?;
    if let Some(watched_type) = watched_type {
        notify_after_change(ctx, token, &id, &watched_type).await;
    }
    Ok(HttpResponse::Accepted().json(IdBody { id: id.0 }))
}

/// Checks each uploaded file (size, declared and sniffed type) and moves its bytes into
/// `fields` under a new file id; the fields and ids to store. Nothing is written.
fn take_uploads(
    ctx: &AnchorContext,
    uploads: Vec<(Sep9Field, body::Upload)>,
    fields: &mut Sep9Fields,
) -> Result<Vec<(Sep9Field, String)>, Error> {
    let allowed = &ctx.settings().sep12.file_content_types;
    let mut new_files = Vec::with_capacity(uploads.len());
    for (field, upload) in uploads {
        let content_type = files::check(field.name(), &upload.content_type, &upload.bytes, allowed)?;
        let file_id = files::new_file_id()?;
        fields.insert_file(
            field,
            Sep9File { file_id: file_id.clone(), content_type, bytes: Sensitive::new(upload.bytes) },
        )?;
        new_files.push((field, file_id));
    }
    Ok(new_files)
}

/// Puts the files the request names by `*_file_id` into `fields`: only files this account
/// uploaded (400 otherwise). The ids, to attach to the customer.
async fn take_referenced_files(
    ctx: &AnchorContext,
    token: &Sep10Token,
    file_refs: Vec<(Sep9Field, String)>,
    fields: &mut Sep9Fields,
) -> Result<Vec<String>, Error> {
    let mut referenced = Vec::with_capacity(file_refs.len());
    for (field, file_id) in file_refs {
        let (lookup, sub, at) = (file_id, token.claims().sub.clone(), unix_now());
        let file = ctx.database().run(move |conn| store::file_with_data(conn, &lookup, &sub, at)).await?;
        let Some((meta, data)) = file else {
            return Err(Error::bad_request(format!(
                "`{}_file_id` names no file uploaded by this account",
                field.name()
            )));
        };
        fields.insert_file(
            field,
            Sep9File {
                file_id: meta.file_id.clone(),
                content_type: meta.content_type,
                bytes: Sensitive::new(data),
            },
        )?;
        referenced.push(meta.file_id);
    }
    Ok(referenced)
}

/// Stores the new uploads (already in `fields`) within the identity's quota, counted under its
/// lock row; past the quota a 413 and nothing stored. `fields` goes to the blocking pool and
/// back, so the bytes are stored from it in place, never copied.
async fn store_uploads(
    ctx: &AnchorContext,
    token: &Sep10Token,
    new_files: Vec<(Sep9Field, String)>,
    fields: Sep9Fields,
) -> Result<Sep9Fields, Error> {
    if new_files.is_empty() {
        return Ok(fields);
    }
    let expiry = i64::try_from(ctx.settings().sep12.file_expiry.as_secs()).unwrap_or(i64::MAX);
    let (sub, at, quota) = (token.claims().sub.clone(), unix_now(), quota(ctx));
    let (fields, stored) = ctx
        .database()
        .run(move |conn| {
            let rows: Vec<NewFile<'_>> = new_files
                .iter()
                .filter_map(|(field, file_id)| match fields.get(*field) {
                    Some(Sep9Value::File(file)) => Some(NewFile {
                        file_id,
                        content_type: &file.content_type,
                        data: file.bytes.expose(),
                        expires_at: at.saturating_add(expiry),
                    }),
                    _ => None,
                })
                .collect();
            let stored = store::insert_files(conn, &sub, &rows, quota, at)?;
            Ok((fields, stored))
        })
        .await?;
    stored.map_err(|exceeded| over_quota(ctx, exceeded))?;
    Ok(fields)
}

/// Records that the customer the integration answered with belongs to `owner` (an id of another
/// identity is an integration bug, never served) and attaches the request's files to it. The
/// customer type a registered status callback watches, if any.
async fn record_owner_and_attach(
    ctx: &AnchorContext,
    id: &CustomerId,
    owner: &Identity,
    attach: Vec<String>,
) -> Result<Option<String>, Error> {
    let (recorded, identity) = (id.0.clone(), owner.clone());
    let (ours, watched_type) = ctx
        .database()
        .run(move |conn| store::record_owner_and_check_callback(conn, &recorded, &identity, unix_now()))
        .await?;
    if !ours {
        return Err(foreign_id());
    }
    if !attach.is_empty() {
        let customer = id.0.clone();
        ctx.database().run(move |conn| store::attach_files(conn, &attach, &customer)).await?;
    }
    Ok(watched_type)
}

/// After a change of a customer whose callback registration watches `watched_type` (`""` for no
/// `type`), reads the status for that type and fires the callback if it changed. Failures are
/// logged: the change itself has succeeded.
async fn notify_after_change(ctx: &AnchorContext, token: &Sep10Token, id: &CustomerId, watched_type: &str) {
    let customer_type = Some(watched_type.to_string()).filter(|kind| !kind.is_empty());
    let query = CustomerQuery::new(CustomerRef::Id(id.clone())).with_type(customer_type.clone());
    let status = match ctx.integrations().customer().map(|integration| integration.get(token, query)) {
        Some(future) => future.await,
        None => return,
    };
    match status {
        Ok(status) => {
            if let Err(err) = callbacks::notify_status_change(ctx, customer_type.as_deref(), &status).await {
                tracing::warn!(error = %err, "could not schedule a SEP-12 status callback");
            }
        }
        Err(err) => tracing::warn!(error = %err, "could not read the status for a SEP-12 callback"),
    }
}

/// `DELETE /customer/{account}`.
pub(crate) async fn delete_customer(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    token: Sep10Token,
    ctx: Ctx,
    cache: web::Data<OwnerCache>,
) -> Result<HttpResponse, SepError> {
    Ok(delete(&req, &path, payload, &token, &ctx, &cache).await?)
}

async fn delete(
    req: &HttpRequest,
    account: &str,
    payload: web::Payload,
    token: &Sep10Token,
    ctx: &AnchorContext,
    cache: &OwnerCache,
) -> Result<HttpResponse, Error> {
    if account != request::token_account(token) && account != token.account() {
        return Err(Error::NotFound("no customer stored for this account".into()));
    }
    let mut params = body::read(req, payload, limits(ctx), false).await?;
    let mut id_params = IdParams::take(&mut params)?;
    id_params.account = None;
    let _ = Purpose::take(&mut params)?;
    if let Some(name) = params.names().next() {
        return Err(Error::bad_request(format!(
            "`{}` is not a parameter of DELETE /customer (only `memo` and `memo_type`)",
            body::printable(name)
        )));
    }
    // A plain G… token without a memo deletes only the memo-less customer, never every
    // customer of a shared account; a muxed token deletes only its own customer.
    let identity = request::resolve(token, &id_params)?;
    // Legal hold: a frozen identity (or one of a frozen account) cannot erase itself; the
    // registry refuses too if a freeze commits between this check and the erasure.
    refuse_frozen(ctx, &identity).await?;
    ctx.integrations().screening_registry().erase_subject(&screening_key(&identity)).await.map_err(
        |err| match err {
            anchor_core::IntegrationError::Forbidden(_) => {
                Error::Forbidden("this account cannot be served".into())
            }
            other => screening_unavailable("erase the customer; nothing was deleted", &other),
        },
    )?;
    integration(ctx)?.delete(token, identity.to_ref()).await?;
    let lookup = identity.clone();
    let forgotten = ctx
        .database()
        .run(move |conn| {
            let ids = store::ids_of(conn, &lookup)?;
            store::forget(conn, &ids)?;
            Ok(ids)
        })
        .await?;
    cache.forget(&forgotten);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "success" })))
}

/// `PUT /customer/callback`.
pub(crate) async fn put_callback(
    req: HttpRequest,
    payload: web::Payload,
    token: Sep10Token,
    ctx: Ctx,
    cache: web::Data<OwnerCache>,
) -> Result<HttpResponse, SepError> {
    Ok(callback(&req, payload, &token, &ctx, &cache).await?)
}

async fn callback(
    req: &HttpRequest,
    payload: web::Payload,
    token: &Sep10Token,
    ctx: &AnchorContext,
    cache: &OwnerCache,
) -> Result<HttpResponse, Error> {
    let mut params = body::read(req, payload, limits(ctx), false).await?;
    let id_params = IdParams::take(&mut params)?;
    let purpose = Purpose::take(&mut params)?;
    let url = params
        .take_text("url")?
        .map(|url| url.trim().to_string())
        .filter(|url| !url.is_empty())
        .ok_or_else(|| Error::bad_request("`url` is required"))?;
    if let Some(name) = params.names().next() {
        return Err(Error::bad_request(format!(
            "`{}` is not a parameter of PUT /customer/callback",
            body::printable(name)
        )));
    }
    let identity = request::resolve(token, &id_params)?;
    refuse_frozen(ctx, &identity).await?;
    let url = callbacks::check_url(&url, ctx.settings().local_mode).await?;
    let (target, owner) = target(ctx, &identity, id_params.id.as_deref()).await?;
    let integration = integration(ctx)?;
    let watched_type = purpose.customer_type.clone().unwrap_or_default();
    let query = CustomerQuery::new(target).with_type(purpose.customer_type);
    let status = integration.get(token, query).await?;
    let Some(id) = status.id().cloned() else {
        return Err(Error::NotFound("no customer to watch: create it with PUT /customer first".into()));
    };
    match &id_params.id {
        Some(asked) if *asked != id.0 => return Err(foreign_id()),
        Some(_) => {}
        // Found by account: the integration's answer must be the caller's own customer.
        None => record_owner(ctx, cache, &id, &owner).await?,
    }
    integration
        .put_callback(token, CustomerCallback::new(CustomerRef::Id(id.clone()), url.to_string()))
        .await?;
    let (customer, url, status_name) = (id.0, url.to_string(), status.name());
    ctx.database()
        .run(move |conn| store::set_callback(conn, &customer, &url, &watched_type, status_name, unix_now()))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "success": true })))
}

/// `PUT /customer/verification` (the older SEP-12 shape).
pub(crate) async fn put_verification(
    req: HttpRequest,
    payload: web::Payload,
    token: Sep10Token,
    ctx: Ctx,
) -> Result<HttpResponse, SepError> {
    Ok(verification(&req, payload, &token, &ctx).await?)
}

async fn verification(
    req: &HttpRequest,
    payload: web::Payload,
    token: &Sep10Token,
    ctx: &AnchorContext,
) -> Result<HttpResponse, Error> {
    let mut params = body::read(req, payload, limits(ctx), false).await?;
    let id_params = IdParams::take(&mut params)?;
    let Some(id) = id_params.id.clone() else {
        return Err(Error::bad_request("`id` is required"));
    };
    let identity = request::resolve(token, &id_params)?;
    refuse_frozen(ctx, &identity).await?;
    owned(ctx, &identity, &id).await?;
    let codes = request::verification_codes(params)?;
    let status = integration(ctx)?
        .put_verification(token, CustomerVerification::new(CustomerId(id.clone()), codes))
        .await?;
    if status.id().is_some_and(|answered| answered.0 != id) {
        return Err(foreign_id());
    }
    // The registration may watch a `type`: read the status it watches.
    let lookup = id.clone();
    match ctx.database().run(move |conn| store::callback_type(conn, &lookup)).await {
        Ok(Some(watched_type)) => notify_after_change(ctx, token, &CustomerId(id), &watched_type).await,
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %err, "could not read SEP-12 callback registrations"),
    }
    Ok(HttpResponse::Ok().json(CustomerBody::from(&status)))
}

/// `POST /customer/files`.
pub(crate) async fn post_file(
    req: HttpRequest,
    payload: web::Payload,
    token: Sep10Token,
    ctx: Ctx,
) -> Result<HttpResponse, SepError> {
    Ok(upload(&req, payload, &token, &ctx).await?)
}

async fn upload(
    req: &HttpRequest,
    payload: web::Payload,
    token: &Sep10Token,
    ctx: &AnchorContext,
) -> Result<HttpResponse, Error> {
    use actix_web::HttpMessage as _;
    if req.content_type() != "multipart/form-data" {
        return Err(Error::bad_request(
            "POST /customer/files takes a multipart/form-data body with a `file` part",
        ));
    }
    refuse_frozen(ctx, &request::resolve(token, &IdParams::default())?).await?;
    let params = body::read(req, payload, limits(ctx), true).await?;
    let mut file = None;
    for (name, value) in params.into_entries() {
        match (name.as_str(), value) {
            ("file", Value::File(upload)) => file = Some(upload),
            ("file", Value::Text(_)) => {
                return Err(Error::bad_request("`file` must be a file part (with a filename)"))
            }
            (other, _) => {
                return Err(Error::bad_request(format!(
                    "`{}` is not a part of POST /customer/files (only `file`)",
                    body::printable(other)
                )))
            }
        }
    }
    let upload = file.ok_or_else(|| Error::bad_request("the `file` part is required"))?;
    let settings = ctx.settings();
    let content_type =
        files::check("file", &upload.content_type, &upload.bytes, &settings.sep12.file_content_types)?;
    let file_id = files::new_file_id()?;
    let at = unix_now();
    let expires_at = at + settings.sep12.file_expiry.as_secs() as i64;
    let size = upload.bytes.len() as i64;
    let (row_id, sub, row_type) = (file_id.clone(), token.claims().sub.clone(), content_type.clone());
    let quota = quota(ctx);
    ctx.database()
        .run(move |conn| {
            store::insert_files(
                conn,
                &sub,
                &[NewFile { file_id: &row_id, content_type: &row_type, data: &upload.bytes, expires_at }],
                quota,
                at,
            )
        })
        .await?
        .map_err(|exceeded| over_quota(ctx, exceeded))?;
    Ok(HttpResponse::Ok().json(FileBody {
        file_id,
        content_type,
        size,
        expires_at: iso(expires_at),
        customer_id: None,
    }))
}

fn iso(unix: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// `GET /customer/files`.
pub(crate) async fn get_files(
    req: HttpRequest,
    token: Sep10Token,
    ctx: Ctx,
) -> Result<HttpResponse, SepError> {
    Ok(list(&req, &token, &ctx).await?)
}

async fn list(req: &HttpRequest, token: &Sep10Token, ctx: &AnchorContext) -> Result<HttpResponse, Error> {
    let mut params = Params::from_query(req.query_string())?;
    let file_id = params.take_text("file_id")?;
    let customer_id = params.take_text("customer_id")?;
    if file_id.is_some() == customer_id.is_some() {
        return Err(Error::bad_request("give exactly one of `file_id` and `customer_id`"));
    }
    let sub = token.claims().sub.clone();
    let at = unix_now();
    let found = ctx
        .database()
        .run(move |conn| store::list_files(conn, &sub, file_id.as_deref(), customer_id.as_deref(), at))
        .await?;
    let files = found
        .into_iter()
        .map(|meta| FileBody {
            file_id: meta.file_id,
            content_type: meta.content_type,
            size: meta.size,
            expires_at: meta.expires_at.and_then(iso),
            customer_id: meta.customer_id,
        })
        .collect();
    Ok(HttpResponse::Ok().json(FilesBody { files }))
}
