//! The subjects table: who is screened, their screening fields, and their status.

use anchor_core::db::schema::aml_subjects::dsl as s;
use anchor_core::db::{AnyConnection, DbError};
use anchor_core::integrations::sanctions::{PartyKind, ScreeningSubject as Party};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use anchor_screening::ScreeningSubject;
use anchor_screening::{EntityKind, PartialDate};

/// Where a subject stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectStatus {
    /// Screened, nothing open.
    Clear,
    /// Recorded while no list was loaded; screened by the next scan.
    Unscreened,
    /// An open case in the review band.
    Review,
    /// At least one of its accounts is frozen.
    Frozen,
    /// Personal fields erased (SEP-12 `DELETE /customer`).
    Erased,
}

impl SubjectStatus {
    /// The stored and shown name (`clear`, `unscreened`, `review`, `frozen` or `erased`).
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectStatus::Clear => "clear",
            SubjectStatus::Unscreened => "unscreened",
            SubjectStatus::Review => "review",
            SubjectStatus::Frozen => "frozen",
            SubjectStatus::Erased => "erased",
        }
    }

    pub(crate) fn parse(text: &str) -> SubjectStatus {
        match text {
            "clear" => SubjectStatus::Clear,
            "review" => SubjectStatus::Review,
            "frozen" => SubjectStatus::Frozen,
            "erased" => SubjectStatus::Erased,
            _ => SubjectStatus::Unscreened,
        }
    }
}

/// A subject as officers see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectSummary {
    /// Row id.
    pub id: i64,
    /// The caller's key (`sep12:G…:memo`, `sep10:G…`, `sep3:name*domain`).
    pub key: String,
    /// `sep12`, `sep10`, `sep3`, …
    pub origin: String,
    /// Names (empty once erased).
    pub names: Vec<String>,
    /// Organisation names (empty once erased).
    pub organizations: Vec<String>,
    /// Date of birth.
    pub date_of_birth: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Stellar accounts.
    pub accounts: Vec<String>,
    /// Status.
    pub status: SubjectStatus,
    /// Fingerprint of the screening fields (kept after erasure).
    pub fingerprint: String,
    /// Unix seconds of the last screening.
    pub screened_at: Option<i64>,
}

/// The screening fields of a subject, as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SubjectFields {
    pub(crate) names: Vec<String>,
    /// What `names` are; `None`: unknown, screened against every kind.
    pub(crate) names_kind: Option<EntityKind>,
    /// Organisation names, screened as organisations without the date of birth.
    pub(crate) organizations: Vec<String>,
    pub(crate) date_of_birth: Option<String>,
    pub(crate) country: Option<String>,
    pub(crate) accounts: Vec<String>,
}

impl SubjectFields {
    pub(crate) fn from_party(party: &Party) -> Self {
        let mut names: Vec<String> = party
            .names
            .iter()
            .map(|name| name.expose().trim().to_string())
            .filter(|name| !name.is_empty())
            .collect();
        names.dedup();
        let mut organizations: Vec<String> = party
            .organization_names
            .iter()
            .map(|name| name.expose().trim().to_string())
            .filter(|name| !name.is_empty())
            .collect();
        organizations.dedup();
        let names_kind = match party.names_kind {
            Some(PartyKind::Person) => Some(EntityKind::Person),
            Some(PartyKind::Organization) => Some(EntityKind::Organization),
            _ => None,
        };
        let mut accounts: Vec<String> =
            party.stellar_accounts.iter().filter_map(|account| base_account(account)).collect();
        accounts.sort();
        accounts.dedup();
        SubjectFields {
            names,
            names_kind,
            organizations,
            date_of_birth: party
                .date_of_birth
                .as_ref()
                .map(|date| date.expose().trim().to_string())
                .filter(|d| !d.is_empty()),
            country: party.country.as_ref().map(|c| c.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()),
            accounts,
        }
    }

    /// SHA-256 over the screening fields: whether a subject changed, and what stays of an
    /// erased subject.
    pub(crate) fn fingerprint(&self, key: &str) -> String {
        let mut hasher = Sha256::new();
        let mut part = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        };
        part(key.as_bytes());
        for name in &self.names {
            part(name.as_bytes());
        }
        part(b"|");
        part(self.date_of_birth.as_deref().unwrap_or("").as_bytes());
        part(self.country.as_deref().unwrap_or("").as_bytes());
        for account in &self.accounts {
            part(account.as_bytes());
        }
        // Added after the first release: only present when set, so the fingerprints of subjects
        // without them stay what they were.
        if self.names_kind.is_some() || !self.organizations.is_empty() {
            part(b"|kind");
            part(kind_name(self.names_kind).unwrap_or("").as_bytes());
            for name in &self.organizations {
                part(name.as_bytes());
            }
        }
        anchor_core::hex::encode(&hasher.finalize())
    }

    /// The engine's view of the subject: its names (as persons when they are a person's, with
    /// the date of birth) and its organisation names (as organisations, without it).
    pub(crate) fn engine_subjects(&self) -> Vec<ScreeningSubject> {
        let countries: Vec<String> = self.country.iter().cloned().collect();
        let mut subjects = Vec::with_capacity(2);
        if !self.names.is_empty() {
            subjects.push(ScreeningSubject {
                names: self.names.clone(),
                kind: self.names_kind,
                birth_date: self.date_of_birth.as_deref().and_then(PartialDate::parse),
                countries: countries.clone(),
                ..ScreeningSubject::default()
            });
        }
        if !self.organizations.is_empty() {
            subjects.push(ScreeningSubject {
                names: self.organizations.clone(),
                kind: Some(EntityKind::Organization),
                countries,
                ..ScreeningSubject::default()
            });
        }
        subjects
    }
}

fn kind_name(kind: Option<EntityKind>) -> Option<&'static str> {
    match kind {
        Some(EntityKind::Person) => Some("person"),
        Some(EntityKind::Organization) => Some("organization"),
        _ => None,
    }
}

fn parse_kind(text: Option<&str>) -> Option<EntityKind> {
    match text {
        Some("person") => Some(EntityKind::Person),
        Some("organization") => Some(EntityKind::Organization),
        _ => None,
    }
}

/// The `G…` account of a `G…` or `M…` account; `None` for anything else.
pub(crate) fn base_account(account: &str) -> Option<String> {
    let account = account.trim();
    if let Ok(key) = stellar_strkey::ed25519::PublicKey::from_string(account) {
        return Some(key.to_string().as_str().to_owned());
    }
    if let Ok(muxed) = stellar_strkey::ed25519::MuxedAccount::from_string(account) {
        return Some(stellar_strkey::ed25519::PublicKey(muxed.ed25519).to_string().as_str().to_owned());
    }
    None
}

/// A subject row loaded for screening.
#[derive(Debug, Clone)]
pub(crate) struct StoredSubject {
    pub(crate) id: i64,
    /// The caller's key (`sep12:G…:memo`, …): the identity a match freezes.
    pub(crate) key: String,
    pub(crate) fields: SubjectFields,
}

type FieldsRow =
    (i64, Option<String>, Option<String>, Option<String>, String, Option<String>, Option<String>, String);

fn json_names(json: Option<String>) -> Vec<String> {
    json.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default()
}

fn decode_row(
    (id, names, date_of_birth, country, accounts, organizations, names_kind, key): FieldsRow,
) -> StoredSubject {
    StoredSubject {
        id,
        key,
        fields: SubjectFields {
            names: json_names(names),
            names_kind: parse_kind(names_kind.as_deref()),
            organizations: json_names(organizations),
            date_of_birth,
            country,
            accounts: serde_json::from_str(&accounts).unwrap_or_default(),
        },
    }
}

/// The columns of a [`FieldsRow`].
macro_rules! fields_columns {
    () => {
        (
            s::id,
            s::names_json,
            s::date_of_birth,
            s::country,
            s::accounts_json,
            s::organizations_json,
            s::names_kind,
            s::subject_key,
        )
    };
}

/// Subjects by id (erased ones excluded), for a scan's catch-up of subjects that committed
/// behind its cursor.
pub(crate) fn load_ids(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<StoredSubject>, DbError> {
    let rows: Vec<FieldsRow> = s::aml_subjects
        .select(fields_columns!())
        .filter(s::id.eq_any(ids))
        .filter(s::status.ne(SubjectStatus::Erased.as_str()))
        .order(s::id.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(decode_row).collect())
}

/// The stored subject under `key`, erased or not.
pub(crate) fn by_key(conn: &mut AnyConnection, key: &str) -> Result<Option<StoredSubject>, DbError> {
    let row: Option<FieldsRow> =
        s::aml_subjects.select(fields_columns!()).filter(s::subject_key.eq(key)).first(conn).optional()?;
    Ok(row.map(decode_row))
}

/// The ids of subjects at or below `last` changed since `since` (committed, possibly behind a
/// running scan's cursor), erased ones excluded.
pub(crate) fn changed_since(conn: &mut AnyConnection, since: i64, last: i64) -> Result<Vec<i64>, DbError> {
    Ok(s::aml_subjects
        .select(s::id)
        .filter(s::updated_at.ge(since))
        .filter(s::id.le(last))
        .filter(s::status.ne(SubjectStatus::Erased.as_str()))
        .order(s::id.asc())
        .load(conn)?)
}

/// The next `limit` subjects after `after` (by id), erased ones excluded.
pub(crate) fn load_batch(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredSubject>, DbError> {
    let rows: Vec<FieldsRow> = s::aml_subjects
        .select(fields_columns!())
        .filter(s::id.gt(after))
        .filter(s::status.ne(SubjectStatus::Erased.as_str()))
        .order(s::id.asc())
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(decode_row).collect())
}

/// What `upsert` found.
pub(crate) enum Upserted {
    /// Same fingerprint as stored, already screened: nothing to do.
    Unchanged { id: i64, status: SubjectStatus },
    /// New or changed: screen it now.
    Changed { id: i64 },
}

/// Whether a stored subject (its fingerprint and status) is up to date for `fingerprint`: the
/// same fields, already screened, not erased. [`upsert`] then changes nothing.
fn is_current(stored: &str, status: &str, fingerprint: &str) -> bool {
    stored == fingerprint && status != "unscreened" && status != "erased"
}

/// Whether recording `fields` under `key` would change the subject (new, changed, never
/// screened or erased): one indexed read, done before screening, outside any transaction.
pub(crate) fn would_change(conn: &mut AnyConnection, key: &str, fingerprint: &str) -> Result<bool, DbError> {
    let existing: Option<(String, String)> = s::aml_subjects
        .select((s::fingerprint, s::status))
        .filter(s::subject_key.eq(key))
        .first(conn)
        .optional()?;
    Ok(existing.is_none_or(|(stored, status)| !is_current(&stored, &status, fingerprint)))
}

/// Inserts or updates the subject under `key`.
pub(crate) fn upsert(
    conn: &mut AnyConnection,
    key: &str,
    fields: &SubjectFields,
    now: i64,
) -> Result<Upserted, DbError> {
    let fingerprint = fields.fingerprint(key);
    let existing: Option<(i64, String, String)> = s::aml_subjects
        .select((s::id, s::fingerprint, s::status))
        .filter(s::subject_key.eq(key))
        .first(conn)
        .optional()?;
    let names_json = serde_json::to_string(&fields.names).unwrap_or_else(|_| "[]".into());
    let organizations_json = serde_json::to_string(&fields.organizations).unwrap_or_else(|_| "[]".into());
    let names_kind = kind_name(fields.names_kind);
    let accounts_json = serde_json::to_string(&fields.accounts).unwrap_or_else(|_| "[]".into());
    match existing {
        Some((id, stored, status)) if is_current(&stored, &status, &fingerprint) => {
            Ok(Upserted::Unchanged { id, status: SubjectStatus::parse(&status) })
        }
        Some((id, _, status)) => {
            let status = if status == "erased" { "unscreened".to_string() } else { status };
            diesel::update(s::aml_subjects.filter(s::id.eq(id)))
                .set((
                    s::names_json.eq(Some(names_json)),
                    s::organizations_json.eq(Some(organizations_json)),
                    s::names_kind.eq(names_kind),
                    s::date_of_birth.eq(fields.date_of_birth.clone()),
                    s::country.eq(fields.country.clone()),
                    s::accounts_json.eq(accounts_json),
                    s::fingerprint.eq(fingerprint),
                    s::status.eq(status),
                    s::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(Upserted::Changed { id })
        }
        None => {
            let origin = key.split(':').next().unwrap_or("other").chars().take(16).collect::<String>();
            diesel::insert_into(s::aml_subjects)
                .values((
                    s::subject_key.eq(key),
                    s::origin.eq(origin),
                    s::names_json.eq(Some(names_json)),
                    s::organizations_json.eq(Some(organizations_json)),
                    s::names_kind.eq(names_kind),
                    s::date_of_birth.eq(fields.date_of_birth.clone()),
                    s::country.eq(fields.country.clone()),
                    s::accounts_json.eq(accounts_json),
                    s::fingerprint.eq(fingerprint),
                    s::status.eq(SubjectStatus::Unscreened.as_str()),
                    s::created_at.eq(now),
                    s::updated_at.eq(now),
                ))
                .execute(conn)?;
            let id = s::aml_subjects.select(s::id).filter(s::subject_key.eq(key)).first(conn)?;
            Ok(Upserted::Changed { id })
        }
    }
}

/// Sets a subject's status and screening time.
pub(crate) fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    status: SubjectStatus,
    screened_at: Option<i64>,
) -> Result<(), DbError> {
    match screened_at {
        Some(at) => diesel::update(s::aml_subjects.filter(s::id.eq(id)))
            .set((s::status.eq(status.as_str()), s::screened_at.eq(Some(at))))
            .execute(conn)?,
        None => diesel::update(s::aml_subjects.filter(s::id.eq(id)))
            .set(s::status.eq(status.as_str()))
            .execute(conn)?,
    };
    Ok(())
}

/// Erases the personal fields of the subject under `key`, keeping its fingerprint. Returns its
/// id and fingerprint, or `None` when there is no such subject.
pub(crate) fn erase(conn: &mut AnyConnection, key: &str, now: i64) -> Result<Option<(i64, String)>, DbError> {
    let found: Option<(i64, String)> = s::aml_subjects
        .select((s::id, s::fingerprint))
        .filter(s::subject_key.eq(key))
        .first(conn)
        .optional()?;
    let Some((id, fingerprint)) = found else { return Ok(None) };
    // The key itself can carry an account and a memo; replace it by a hash so the row keeps no
    // personal data but the same customer coming back gets a fresh row.
    let erased_key = format!("erased:{}", &anchor_core::hex::encode(&Sha256::digest(key.as_bytes()))[..32]);
    diesel::update(s::aml_subjects.filter(s::id.eq(id)))
        .set((
            s::subject_key.eq(format!("{erased_key}:{id}")),
            s::names_json.eq(None::<String>),
            s::organizations_json.eq(None::<String>),
            s::date_of_birth.eq(None::<String>),
            s::country.eq(None::<String>),
            s::accounts_json.eq("[]"),
            s::status.eq(SubjectStatus::Erased.as_str()),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Some((id, fingerprint)))
}

type SummaryRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
);

/// The columns of a [`SubjectSummary`].
macro_rules! summary_columns {
    () => {
        (
            s::id,
            s::subject_key,
            s::origin,
            s::names_json,
            s::date_of_birth,
            s::country,
            s::accounts_json,
            s::status,
            s::fingerprint,
            s::screened_at,
            s::organizations_json,
        )
    };
}

fn to_summary(row: SummaryRow) -> SubjectSummary {
    let (
        id,
        key,
        origin,
        names,
        date_of_birth,
        country,
        accounts,
        status,
        fingerprint,
        screened_at,
        organizations,
    ) = row;
    SubjectSummary {
        id,
        key,
        origin,
        names: json_names(names),
        organizations: json_names(organizations),
        date_of_birth,
        country,
        accounts: serde_json::from_str(&accounts).unwrap_or_default(),
        status: SubjectStatus::parse(&status),
        fingerprint,
        screened_at,
    }
}

/// One subject by id.
pub(crate) fn summary(conn: &mut AnyConnection, id: i64) -> Result<Option<SubjectSummary>, DbError> {
    let row: Option<SummaryRow> =
        s::aml_subjects.select(summary_columns!()).filter(s::id.eq(id)).first(conn).optional()?;
    Ok(row.map(to_summary))
}

/// Subjects whose key, names or accounts contain `text` (case as stored), newest first; the
/// newest of all when `text` is empty.
pub(crate) fn search(
    conn: &mut AnyConnection,
    text: &str,
    limit: i64,
) -> Result<Vec<SubjectSummary>, DbError> {
    let mut query = s::aml_subjects.select(summary_columns!()).order(s::id.desc()).limit(limit).into_boxed();
    let text = text.trim();
    if !text.is_empty() {
        let pattern = crate::store::like_contains(text);
        query = query.filter(
            s::subject_key
                .like(pattern.clone())
                .escape('\\')
                .or(s::names_json.like(pattern.clone()).escape('\\'))
                .or(s::accounts_json.like(pattern).escape('\\')),
        );
    }
    Ok(query.load::<SummaryRow>(conn)?.into_iter().map(to_summary).collect())
}

/// How many SEP-12 customers (not erased) the `G…` account has: memo and muxed customers of a
/// shared account, and its memo-less customer.
pub(crate) fn customers_of(conn: &mut AnyConnection, account: &str) -> Result<i64, DbError> {
    let accounts_json = serde_json::to_string(&[account]).unwrap_or_default();
    Ok(s::aml_subjects
        .filter(s::origin.eq("sep12"))
        .filter(s::accounts_json.eq(accounts_json))
        .filter(s::status.ne(SubjectStatus::Erased.as_str()))
        .count()
        .get_result(conn)?)
}

/// Subjects not erased.
pub(crate) fn count_active(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(s::aml_subjects.filter(s::status.ne(SubjectStatus::Erased.as_str())).count().get_result(conn)?)
}

/// The accounts of every subject whose key starts with `prefix` (the SEP-10 accounts already
/// recorded), to avoid a write per authentication.
pub(crate) fn keys_with_prefix(conn: &mut AnyConnection, prefix: &str) -> Result<Vec<String>, DbError> {
    Ok(s::aml_subjects.select(s::subject_key).filter(s::subject_key.like(format!("{prefix}%"))).load(conn)?)
}
