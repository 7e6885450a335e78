//! The receiving side's orchestration of `POST AUTH_SERVER`: strict form → `data` JSON → the
//! sender's `SIGNING_KEY` → signature → transaction and memo hash → attachment → sanctions
//! (`tx_status`) → consent and `fetch_info` (`info_status`, `dest_info`) → decision → storage
//! (authorised only on 200, group-committed with the payments decided at the same time; pending on
//! 202), which in the same database transaction refuses a nonce already used for a different
//! request (a re-send of the same request, even re-serialised, is answered again).
//!
//! Nothing here logs `data`, `sig`, the attachment or any `sender_info` value.

use anchor_core::integrations::compliance::{ConsentOutcome, ConsentRequest};
use anchor_core::integrations::sanctions::{ScreeningPurpose, ScreeningSubject};
use anchor_core::remote_toml::normalize_domain;
use anchor_core::{AnchorContext, IntegrationError, Sensitive};
use base64::Engine as _;

use crate::decision::{self, Decision, Status};
use crate::error::Error;
use crate::payload::{self, Attachment, FirstOperation};
use crate::store::{self, NonceCheck};
use crate::verify::verify_with;
use crate::Sep3State;

/// Handles one request; `now` is Unix seconds.
pub(crate) async fn handle(
    ctx: &AnchorContext,
    state: &Sep3State,
    writer: &store::AuthorizedWriter,
    fields: Vec<(String, String)>,
    now: i64,
) -> Result<Decision, Error> {
    let request = payload::signed_request(fields)?;
    let auth = payload::parse_auth_data(&request.data)?;
    let sender = payload::parse_federation_address(&auth.sender, "data.sender")?;
    let domain = normalize_domain(&sender.domain, state.local_mode).map_err(Error::SenderToml)?;
    let sig = payload::decode_sig(&request.sig)?;
    check_signature(state, &domain, request.data.as_bytes(), &sig).await?;

    let decoded = payload::decode_transaction_with_xdr(&auth.tx)?;
    let memo = payload::check_memo(&decoded.transaction, &auth.attachment)?;
    let attachment = payload::parse_attachment(&auth.attachment)?;
    let first = payload::first_operation(&decoded.transaction)?;
    let transaction_id = payload::transaction_id_of_xdr(&state.network_id, &decoded.xdr);
    let request_sha256 = payload::request_fingerprint(&auth, &transaction_id);

    let tx_status = screen_sender(ctx, state, &auth.sender, &domain, &attachment, &first).await?;
    let (info_status, dest_info) = if auth.need_info {
        receiver_info(ctx, &auth.sender, &sender.name, &domain, &attachment, &first, &tx_status).await?
    } else {
        (Status::Ok, None)
    };
    let decision = decision::decide(&info_status, &tx_status, dest_info);
    let (log_domain, log_transaction_id) = (domain.clone(), transaction_id.clone());
    let nonce_check = if decision.is_authorized() {
        writer
            .store(store::Authorized {
                transaction_id,
                sender_domain: domain,
                nonce: attachment.nonce,
                request_sha256,
                memo: base64::engine::general_purpose::STANDARD.encode(memo),
                // The received base64 is the canonical encoding of the decoded transaction.
                transaction_xdr: auth.tx,
                data: request.data,
                authorized_at: now,
            })
            .await?
    } else if decision.http_status == 202 {
        store::record_pending(ctx.database(), domain, attachment.nonce, request_sha256, transaction_id, now)
            .await?
    } else {
        store::check_nonce(ctx.database(), domain, attachment.nonce, request_sha256).await?
    };
    if nonce_check == NonceCheck::Reused {
        return Err(Error::field(
            "data.attachment",
            "this nonce was already used for a different request; a new payment needs a new nonce",
        ));
    }
    tracing::info!(
        sender_domain = %log_domain,
        transaction_id = %log_transaction_id,
        tx_status = decision.body.tx_status,
        info_status = decision.body.info_status,
        http_status = decision.http_status,
        "sep-3 request decided"
    );
    Ok(decision)
}

/// Verifies with the cached key; after a failure, fetches the file again (at most once per
/// [`crate::KEY_REFETCH_INTERVAL`] per domain, so forged requests cannot make us hammer a
/// domain) in case the institution rotated its key.
async fn check_signature(state: &Sep3State, domain: &str, data: &[u8], sig: &[u8; 64]) -> Result<(), Error> {
    let key = state.fetcher.signing_key(domain).await.map_err(Error::SenderToml)?;
    match verify_with(&state.verifying_key(&key)?, data, sig) {
        Err(Error::InvalidSignature) if state.may_refetch(domain) => {
            state.fetcher.invalidate(domain);
            let fresh = state.fetcher.signing_key(domain).await.map_err(Error::SenderToml)?;
            if fresh == key {
                return Err(Error::InvalidSignature);
            }
            verify_with(&state.verifying_key(&fresh)?, data, sig)
        }
        other => other,
    }
}

/// The screening subject built from the attachment's `sender_info`.
pub(crate) fn subject(
    sender: &str,
    domain: &str,
    attachment: &Attachment,
    first: &FirstOperation,
) -> ScreeningSubject {
    let info = &attachment.sender_info;
    let get = |key: &str| info.get(key).map(|value| value.trim()).filter(|value| !value.is_empty());
    let mut subject = ScreeningSubject::default();
    let person: Vec<&str> =
        ["first_name", "middle_name", "last_name"].iter().filter_map(|key| get(key)).collect();
    if !person.is_empty() {
        subject.names.push(Sensitive::new(person.join(" ")));
    }
    if let Some(company) = get("company_name") {
        subject.names.push(Sensitive::new(company.to_string()));
    }
    subject.date_of_birth = get("date_of_birth").map(|dob| Sensitive::new(dob.to_string()));
    subject.country = get("country").map(str::to_string);
    let address: Vec<&str> =
        ["address", "city", "province", "postal_code"].iter().filter_map(|key| get(key)).collect();
    if !address.is_empty() {
        subject.address = Some(Sensitive::new(address.join(", ")));
    }
    subject.federation_address = Some(Sensitive::new(sender.to_string()));
    subject.attributes =
        info.iter().map(|(key, value)| (key.clone(), Sensitive::new(value.clone()))).collect();
    subject.purpose = Some(ScreeningPurpose::Sep3IncomingPayment {
        sending_domain: domain.to_string(),
        nonce: attachment.nonce.clone(),
        amount: first.amount.clone(),
        asset_code: first.asset_code.clone(),
    });
    subject
}

async fn screen_sender(
    ctx: &AnchorContext,
    state: &Sep3State,
    sender: &str,
    domain: &str,
    attachment: &Attachment,
    first: &FirstOperation,
) -> Result<Status, Error> {
    let sanctions = ctx
        .integrations()
        .sanctions()
        .ok_or_else(|| Error::Internal("sep-3 is mounted without a SanctionsIntegration".into()))?;
    let outcome = sanctions.screen(&subject(sender, domain, attachment, first)).await;
    if let Err(err) = &outcome {
        // The cause is the integration's; it never holds the request's personal data.
        tracing::warn!(error = %err, "sanctions screening failed");
    }
    let status = decision::tx_status(&outcome, state.config.on_screening_failure);
    if matches!(status, Status::Denied | Status::Error(_)) {
        return Ok(status);
    }
    // Our own customer's account may be frozen by the AML monitor: then the payment is refused
    // (without saying why); a registry failure fails closed like a screening failure.
    // The destination as sent: an `M…` destination is that customer of the account (its own
    // freeze or the whole account's refuses it).
    match ctx.integrations().screening_registry().is_frozen(&first.destination).await {
        Ok(false) => Ok(status),
        Ok(true) => Ok(Status::Denied),
        Err(err) => {
            tracing::warn!(error = %err, "the screening registry failed");
            Ok(decision::tx_status(&Err(err), state.config.on_screening_failure))
        }
    }
}

async fn receiver_info(
    ctx: &AnchorContext,
    sender: &str,
    user_id: &str,
    domain: &str,
    attachment: &Attachment,
    first: &FirstOperation,
    tx_status: &Status,
) -> Result<(Status, Option<String>), Error> {
    let compliance = ctx
        .integrations()
        .compliance()
        .ok_or_else(|| Error::Internal("sep-3 is mounted without a ComplianceIntegration".into()))?;
    if attachment.route.is_empty() {
        return Ok((Status::Error("transaction.route is required when need_info is true".into()), None));
    }
    let consent = if store::is_allowed(ctx.database(), domain.to_string(), user_id.to_string()).await? {
        ConsentOutcome::Granted
    } else {
        let request = ConsentRequest::new(
            sender.to_string(),
            domain.to_string(),
            attachment.route.clone(),
            first.amount.clone(),
            first.asset_code.clone(),
            first.asset_issuer.clone(),
            attachment.sender_info.clone(),
            attachment.note.clone(),
        );
        match compliance.ask_user(&request).await {
            Ok(outcome) => outcome,
            Err(IntegrationError::NotImplemented) => ConsentOutcome::Refused,
            Err(IntegrationError::BadRequest(message)) => return Ok((Status::Error(message), None)),
            Err(err) => return Err(Error::Integration(err)),
        }
    };
    let info_status = decision::info_status(&consent);
    // Our customer's data goes only to a payment we may still accept.
    if info_status != Status::Ok || matches!(tx_status, Status::Denied | Status::Error(_)) {
        return Ok((info_status, None));
    }
    match compliance.fetch_info(&attachment.route).await {
        Ok(info) => {
            let text = serde_json::to_string(info.expose())
                .map_err(|err| Error::Internal(format!("dest_info encoding failed: {err}")))?;
            Ok((Status::Ok, Some(text)))
        }
        Err(IntegrationError::NotFound(message) | IntegrationError::BadRequest(message)) => {
            Ok((Status::Error(format!("transaction.route: {message}")), None))
        }
        Err(err) => Err(Error::Integration(err)),
    }
}
