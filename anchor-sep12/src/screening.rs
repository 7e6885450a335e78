//! The monitoring seam of SEP-12: identities the screening registry froze are refused, and after
//! every accepted `PUT` the customer as the framework now holds it (every screening field merged
//! over every accepted `PUT`, never one request's delta: "screened = stored", ARCHITECTURE.md) is
//! handed to the registry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anchor_core::integrations::customer::{CustomerId, Sep9Field, Sep9Fields};
use anchor_core::integrations::sanctions::{PartyKind, ScreeningSubject};
use anchor_core::{AnchorContext, Sensitive};

use crate::request::Identity;
use crate::store;
use crate::Error;

/// A screening-registry failure: 503 with a generic message; the cause goes to the log only.
pub(crate) fn screening_unavailable(what: &str, err: &anchor_core::IntegrationError) -> Error {
    tracing::warn!(error = %err, "SEP-12: the screening registry failed to {what}");
    Error::Integration(anchor_core::IntegrationError::Unavailable(format!(
        "screening is unavailable, so this request could not be completed; try again later ({what})"
    )))
}

/// The identity a request acts as, as the screening registry names it: `G…`, `M…`, or
/// `G…:<memo key>` for a memo customer of a shared account.
pub(crate) fn registry_identity(identity: &Identity) -> String {
    match &identity.memo {
        Some(memo) => format!("{}:{}", identity.account, memo.key()),
        None => identity.account.clone(),
    }
}

/// Refuses identities the screening registry froze, the customer's own or its whole account's
/// (403 that reveals nothing else). A registry that cannot answer fails closed (503).
pub(crate) async fn refuse_frozen(ctx: &AnchorContext, identity: &Identity) -> Result<(), Error> {
    let frozen = ctx
        .integrations()
        .screening_registry()
        .is_frozen(&registry_identity(identity))
        .await
        .map_err(|err| screening_unavailable("check the account", &err))?;
    if frozen {
        return Err(Error::Forbidden("this account cannot be served".into()));
    }
    Ok(())
}

pub(crate) fn screening_key(owner: &Identity) -> String {
    format!("sep12:{}:{}", owner.account, owner.memo_key())
}

/// The SEP-9 fields screening reads.
const SCREENING_FIELDS: [Sep9Field; 10] = [
    Sep9Field::FirstName,
    Sep9Field::AdditionalName,
    Sep9Field::LastName,
    Sep9Field::CardHolderName,
    Sep9Field::OrganizationName,
    Sep9Field::BirthDate,
    Sep9Field::BirthCountryCode,
    Sep9Field::IdCountryCode,
    Sep9Field::AddressCountryCode,
    Sep9Field::OrganizationAddressCountryCode,
];

/// The screening fields one `PUT` carries.
pub(crate) fn screening_values(fields: &Sep9Fields) -> store::ScreeningFields {
    SCREENING_FIELDS
        .iter()
        .filter_map(|field| fields.text(*field).map(|value| (field.name().to_string(), value.to_string())))
        .collect()
}

/// How many times a `PUT` re-records the customer when `PUT`s of the same customer on other
/// instances keep changing its fields under it.
const RECORD_ATTEMPTS: usize = 5;

/// One lock per customer being recorded in this process: concurrent `PUT`s of one customer merge
/// and record one after the other (so none has to re-record), and only another instance's `PUT`
/// can change the fields between a merge and its record. Entries live while someone holds them.
static RECORDING: std::sync::LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
    std::sync::LazyLock::new(|| Mutex::new(HashMap::new()));

fn recording_lock(customer: &str) -> Arc<tokio::sync::Mutex<()>> {
    let mut locks = match RECORDING.lock() {
        Ok(locks) => locks,
        Err(poisoned) => poisoned.into_inner(),
    };
    Arc::clone(locks.entry(customer.to_string()).or_default())
}

fn release_recording_lock(customer: &str, lock: Arc<tokio::sync::Mutex<()>>) {
    let mut locks = match RECORDING.lock() {
        Ok(locks) => locks,
        Err(poisoned) => poisoned.into_inner(),
    };
    // The map's reference and ours: nobody else waits for this customer.
    if Arc::strong_count(&lock) <= 2 {
        locks.remove(customer);
    }
}

/// Hands the customer as the framework now holds it (every screening field merged over every
/// accepted `PUT`, never this request's delta) to the screening registry. After recording, the
/// merged fields are read again: a concurrent `PUT` that merged meanwhile may have recorded an
/// older merge after ours, so the newest is recorded until what was recorded is what is kept.
/// If the registry cannot take it, the client is told to retry (PUT is idempotent); the
/// customer is never silently left unscreened.
pub(crate) async fn record_screening(
    ctx: &AnchorContext,
    id: &CustomerId,
    owner: &Identity,
    update: store::ScreeningFields,
) -> Result<(), Error> {
    let lock = recording_lock(&id.0);
    let recorded = {
        let _serialised = lock.lock().await;
        merge_and_record(ctx, id, owner, update).await
    };
    release_recording_lock(&id.0, lock);
    recorded
}

async fn merge_and_record(
    ctx: &AnchorContext,
    id: &CustomerId,
    owner: &Identity,
    update: store::ScreeningFields,
) -> Result<(), Error> {
    let customer = id.0.clone();
    let mut merged = ctx
        .database()
        .run(move |conn| store::merge_screening_fields(conn, &customer, &update))
        .await?
        .unwrap_or_default();
    let registry = ctx.integrations().screening_registry();
    for _ in 0..RECORD_ATTEMPTS {
        let Some(subject) = screening_subject(&merged, owner) else { return Ok(()) };
        registry.record_subject(&screening_key(owner), subject).await.map_err(|err| {
            screening_unavailable("record the customer; it was saved, send the same PUT again", &err)
        })?;
        let customer = id.0.clone();
        let kept = ctx.database().run(move |conn| store::screening_fields(conn, &customer)).await?;
        match kept {
            Some(kept) if kept != merged => merged = kept,
            _ => return Ok(()),
        }
    }
    Err(screening_unavailable(
        "record the customer while other requests change it; it was saved, send the same PUT again",
        &anchor_core::IntegrationError::Unavailable("concurrent updates".into()),
    ))
}

/// The screening subject of a customer's merged fields: the person's names (given, additional
/// and family name as one name; the card holder's name) screened as a person with the date of
/// birth, the organisation's name as an organisation; `None` when nothing screenable is kept.
fn screening_subject(fields: &store::ScreeningFields, owner: &Identity) -> Option<ScreeningSubject> {
    let text = |field: Sep9Field| {
        fields.get(field.name()).map(String::as_str).filter(|value| !value.trim().is_empty())
    };
    let name = [Sep9Field::FirstName, Sep9Field::AdditionalName, Sep9Field::LastName]
        .into_iter()
        .filter_map(text)
        .collect::<Vec<_>>()
        .join(" ");
    let mut subject = ScreeningSubject::default();
    subject.names_kind = Some(PartyKind::Person);
    if !name.is_empty() {
        subject.names.push(Sensitive::new(name));
    }
    if let Some(holder) = text(Sep9Field::CardHolderName) {
        subject.names.push(Sensitive::new(holder.to_string()));
    }
    if let Some(organization) = text(Sep9Field::OrganizationName) {
        subject.organization_names.push(Sensitive::new(organization.to_string()));
    }
    subject.date_of_birth = text(Sep9Field::BirthDate).map(|date| Sensitive::new(date.to_string()));
    subject.country = [
        Sep9Field::BirthCountryCode,
        Sep9Field::IdCountryCode,
        Sep9Field::AddressCountryCode,
        Sep9Field::OrganizationAddressCountryCode,
    ]
    .into_iter()
    .find_map(text)
    .map(str::to_string);
    if subject.names.is_empty()
        && subject.organization_names.is_empty()
        && subject.date_of_birth.is_none()
        && subject.country.is_none()
    {
        return None;
    }
    subject.stellar_accounts.push(owner.account.clone());
    Some(subject)
}
