//! The sending side's orchestration (internal API): `/send` (idempotent by `id`: the stored
//! `data`, hence the same nonce, is re-sent after a pending answer), `/receive`, `/allow_access`
//! and `/remove_access`, with the SDF compliance server's form fields.

use std::collections::BTreeMap;

use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject};
use anchor_core::remote_toml::normalize_domain;
use anchor_core::{AnchorContext, Sensitive};
use base64::Engine as _;
use serde::Serialize;

use crate::error::Error;
use crate::payload::{self, AuthData, PaymentSpec};
use crate::store::{self, AuthDataRow, Grant};
use crate::{remote, Sep3State};

/// Form fields, each at most once; what is left after the handler took its fields is refused.
#[derive(Debug)]
pub(crate) struct Fields(BTreeMap<String, String>);

impl Fields {
    /// Refuses duplicate fields.
    pub(crate) fn new(pairs: Vec<(String, String)>) -> Result<Self, Error> {
        let mut map = BTreeMap::new();
        for (name, value) in pairs {
            if map.contains_key(&name) {
                return Err(Error::field(payload::name_for_message(&name), "given more than once"));
            }
            map.insert(name, value);
        }
        Ok(Fields(map))
    }

    /// A required, non-empty field.
    pub(crate) fn required(&mut self, name: &str) -> Result<String, Error> {
        self.optional(name).ok_or_else(|| Error::field(name, "missing form field"))
    }

    /// An optional field; empty counts as absent.
    pub(crate) fn optional(&mut self, name: &str) -> Option<String> {
        self.0.remove(name).filter(|value| !value.is_empty())
    }

    /// Fails when fields nobody asked for remain.
    pub(crate) fn finish(self) -> Result<(), Error> {
        self.reject_rest()
    }

    /// Fails when fields nobody asked for remain (without consuming).
    pub(crate) fn reject_rest(&self) -> Result<(), Error> {
        match self.0.keys().next() {
            Some(name) => Err(Error::field(payload::name_for_message(name), "unexpected form field")),
            None => Ok(()),
        }
    }
}

/// `/send`'s answer.
#[derive(Debug, Serialize)]
pub(crate) struct SendResponse {
    /// The receiver's JSON answer, as received.
    pub auth_response: serde_json::Value,
    /// Base64 XDR of the unsigned transaction to sign and submit once both statuses are ok.
    pub transaction_xdr: String,
}

/// Refuses (403) a payment from an account the AML monitor froze; a registry failure fails
/// closed (503), nothing is stored or sent either way.
async fn check_not_frozen(ctx: &AnchorContext, account: &str) -> Result<(), Error> {
    match ctx.integrations().screening_registry().is_frozen(account).await {
        Ok(false) => Ok(()),
        Ok(true) => Err(Error::Forbidden("this account cannot send payments".into())),
        Err(err) => Err(Error::Upstream(format!("the account could not be checked; try again ({err})"))),
    }
}

/// Refuses (403) a payment to a destination account that is frozen or screens as listed (an
/// exact listed address, or a counterparty whose open or confirmed case stands): the account
/// is recorded as a counterparty and screened like a SEP-3 sender. Screening failures fail
/// closed (503); nothing is stored or sent either way.
async fn check_destination(ctx: &AnchorContext, account: &str, address: &str) -> Result<(), Error> {
    let refused = || Error::Forbidden("this payment cannot be sent to that destination".into());
    match ctx.integrations().screening_registry().is_frozen(account).await {
        Ok(false) => {}
        Ok(true) => return Err(refused()),
        Err(err) => {
            return Err(Error::Upstream(format!("the destination could not be checked; try again ({err})")))
        }
    }
    let sanctions = ctx
        .integrations()
        .sanctions()
        .ok_or_else(|| Error::Internal("sep-3 is mounted without a SanctionsIntegration".into()))?;
    let mut subject = ScreeningSubject::default();
    subject.stellar_accounts.push(account.to_string());
    subject.federation_address = Some(Sensitive::new(address.to_string()));
    match sanctions.screen(&subject).await {
        Ok(ScreeningOutcome::Clear) => Ok(()),
        Ok(_) => Err(refused()),
        Err(err) => {
            tracing::warn!(error = %err, "SEP-3 /send: the destination could not be screened");
            Err(Error::Upstream("the destination could not be screened; try again".into()))
        }
    }
}

/// `POST /send`.
pub(crate) async fn send(
    ctx: &AnchorContext,
    state: &Sep3State,
    pairs: Vec<(String, String)>,
    now_nanos: i128,
) -> Result<SendResponse, Error> {
    let mut fields = Fields::new(pairs)?;
    let id = fields.required("id")?;
    if id.len() > 255 {
        return Err(Error::field("id", "at most 255 characters"));
    }
    let row = match store::auth_data(ctx.database(), id.clone()).await? {
        Some(row) => {
            // Same id: re-send what was sent (same nonce); other fields are ignored. The paying
            // account may have been frozen since.
            let stored: AuthData = payload::parse_auth_data(&row.data)
                .map_err(|_| Error::Internal("stored auth_data is not SEP-3 data".into()))?;
            let transaction = payload::decode_transaction(&stored.tx)
                .map_err(|_| Error::Internal("stored transaction is not decodable".into()))?;
            check_not_frozen(ctx, &payload::source_account_id(&transaction)).await?;
            row
        }
        None => {
            let built = build(ctx, state, &mut fields, now_nanos).await?;
            store::insert_auth_data(ctx.database(), id, built, (now_nanos / 1_000_000_000) as i64).await?
        }
    };
    let auth: AuthData = payload::parse_auth_data(&row.data)
        .map_err(|_| Error::Internal("stored auth_data is not SEP-3 data".into()))?;
    let sig = base64::engine::general_purpose::STANDARD
        .encode(ctx.settings().signing_key.sign(row.data.as_bytes()));
    let answer = remote::post_auth(state, &row.auth_server, &row.data, &sig).await?;
    tracing::info!(
        receiving_domain = %row.domain,
        http_status = answer.http_status,
        "sep-3 request sent"
    );
    Ok(SendResponse { auth_response: answer.body, transaction_xdr: auth.tx })
}

async fn build(
    ctx: &AnchorContext,
    state: &Sep3State,
    fields: &mut Fields,
    now_nanos: i128,
) -> Result<AuthDataRow, Error> {
    let source = fields.required("source")?;
    payload::account_id(&source, "source")?;
    check_not_frozen(ctx, &source).await?;
    let sender = fields.required("sender")?;
    let sender_address = payload::parse_federation_address(&sender, "sender")?;
    let sender_domain = normalize_domain(&sender_address.domain, state.local_mode)
        .map_err(|err| Error::field("sender", err.to_string()))?;
    if sender_domain != state.home_domain {
        return Err(Error::field(
            "sender",
            format!("must be one of our customers (name*{})", state.home_domain),
        ));
    }
    let destination = fields.required("destination")?;
    let destination_address = payload::parse_federation_address(&destination, "destination")?;
    let destination_domain = normalize_domain(&destination_address.domain, state.local_mode)
        .map_err(|err| Error::field("destination", err.to_string()))?;
    let amount = payload::parse_amount(&fields.required("amount")?, "amount")?;
    let asset = payload::asset(
        &fields.optional("asset_code").unwrap_or_default(),
        &fields.optional("asset_issuer").unwrap_or_default(),
        "asset_code",
    )?;
    let send_max = fields.optional("send_max");
    let send_asset = payload::asset(
        &fields.optional("send_asset_code").unwrap_or_default(),
        &fields.optional("send_asset_issuer").unwrap_or_default(),
        "send_asset_code",
    )?;
    let mut path = Vec::new();
    for n in 0..5 {
        let code = fields.optional(&format!("path[{n}][asset_code]"));
        let issuer = fields.optional(&format!("path[{n}][asset_issuer]"));
        if code.is_none() && issuer.is_none() {
            continue;
        }
        path.push(payload::asset(
            &code.unwrap_or_default(),
            &issuer.unwrap_or_default(),
            &format!("path[{n}]"),
        )?);
    }
    let extra_memo = fields.optional("extra_memo").unwrap_or_default();
    if fields.0.keys().any(|key| key.starts_with("forward_destination")) {
        return Err(Error::field("forward_destination", "forwarding is not supported by this server"));
    }
    fields.reject_rest()?;

    let federation = remote::resolve(state, &destination_address, &destination).await?;
    check_destination(ctx, &federation.account_id, &destination).await?;
    let route = match (&federation.memo_type, &federation.memo) {
        (_, Some(serde_json::Value::String(memo))) => memo.clone(),
        (_, Some(serde_json::Value::Number(memo))) => memo.to_string(),
        _ => String::new(),
    };
    let auth_server = remote::auth_server(state, &destination_domain).await?;
    let spec = match send_max {
        None => PaymentSpec::Payment { destination: federation.account_id.clone(), asset, amount },
        Some(send_max) => PaymentSpec::PathPayment {
            destination: federation.account_id.clone(),
            dest_asset: asset,
            dest_amount: amount,
            send_asset,
            send_max: payload::parse_amount(&send_max, "send_max")?,
            path,
        },
    };
    let compliance = ctx
        .integrations()
        .compliance()
        .ok_or_else(|| Error::Internal("sep-3 is mounted without a ComplianceIntegration".into()))?;
    let sender_info = compliance.fetch_info(&sender).await.map_err(|err| match err {
        anchor_core::IntegrationError::NotFound(message)
        | anchor_core::IntegrationError::BadRequest(message) => Error::field("sender", message),
        other => Error::Integration(other),
    })?;
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).map_err(|err| Error::Internal(format!("no randomness: {err}")))?;
    let nonce = format!("{now_nanos}{:010}", u32::from_le_bytes(random));
    let attachment = payload::build_attachment(&nonce, sender_info.expose(), &route, &extra_memo)?;
    let transaction = payload::build_transaction(&source, &spec, &attachment)?;
    let data = payload::build_data(&AuthData {
        sender,
        need_info: state.config.need_info,
        tx: payload::encode_transaction(&transaction)?,
        attachment,
    })?;
    Ok(AuthDataRow { domain: destination_domain, auth_server, data })
}

/// `POST /receive`: the stored `data` of the authorised payment whose memo hash is `memo`
/// (standard base64, as Horizon reports it).
pub(crate) async fn receive(ctx: &AnchorContext, pairs: Vec<(String, String)>) -> Result<String, Error> {
    let mut fields = Fields::new(pairs)?;
    let memo = fields.required("memo")?;
    fields.finish()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(memo.as_bytes())
        .map_err(|_| Error::field("memo", "must be the base64 of a 32-byte memo hash"))?;
    if bytes.len() != 32 {
        return Err(Error::field("memo", "must be the base64 of a 32-byte memo hash"));
    }
    store::data_by_memo(ctx.database(), memo)
        .await?
        .ok_or_else(|| Error::NotFound("Transaction not found.".into()))
}

/// `POST /allow_access`.
pub(crate) async fn allow_access(
    ctx: &AnchorContext,
    state: &Sep3State,
    pairs: Vec<(String, String)>,
    now: i64,
) -> Result<(), Error> {
    let mut fields = Fields::new(pairs)?;
    let name = fields.required("name")?;
    let domain = normalize_domain(&fields.required("domain")?, state.local_mode)
        .map_err(|err| Error::field("domain", err.to_string()))?;
    let public_key = fields.required("public_key")?;
    payload::account_id(&public_key, "public_key")?;
    let user_id = fields.optional("user_id");
    fields.finish()?;
    if name.len() > 255 || user_id.as_ref().is_some_and(|user| user.len() > 255) {
        return Err(Error::field("name", "name and user_id are at most 255 characters"));
    }
    store::allow(ctx.database(), Grant { name, domain, public_key, user_id }, now).await?;
    Ok(())
}

/// `POST /remove_access`.
pub(crate) async fn remove_access(
    ctx: &AnchorContext,
    state: &Sep3State,
    pairs: Vec<(String, String)>,
) -> Result<(), Error> {
    let mut fields = Fields::new(pairs)?;
    let domain = normalize_domain(&fields.required("domain")?, state.local_mode)
        .map_err(|err| Error::field("domain", err.to_string()))?;
    let user_id = fields.optional("user_id");
    fields.finish()?;
    store::remove(ctx.database(), domain, user_id).await?;
    Ok(())
}
