//! OFAC legacy CSV set: `sdn.csv` / `alt.csv` / `add.csv` / `sdn_comments.csv` and the
//! consolidated non-SDN equivalents (`cons_prim.csv`, `cons_alt.csv`, `cons_add.csv`,
//! `cons_comments.csv`).
//!
//! No header row, CRLF, `-0-` for null, a final 0x1A byte, and most structured data (dates of
//! birth, documents, weak aliases, digital-currency addresses) inside the free-text remarks,
//! which [`parse_remarks`] reads.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::model::{
    AliasStrength, BirthDate, Country, CountryRole, EntityKind, EntityName, Gender, IdentityDocument,
    NameKind, PartialDate, PostalAddress, SanctionsEntity, SanctionsList, SourceList,
};

/// The files of one legacy CSV set, already read and decompressed. Only `primary` is required.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfacCsvFiles<'a> {
    /// `sdn.csv` or `cons_prim.csv`.
    pub primary: &'a [u8],
    /// `alt.csv` or `cons_alt.csv`.
    pub aliases: Option<&'a [u8]>,
    /// `add.csv` or `cons_add.csv`.
    pub addresses: Option<&'a [u8]>,
    /// `sdn_comments.csv` or `cons_comments.csv`.
    pub comments: Option<&'a [u8]>,
}

/// Read one legacy CSV file into records of exactly `fields` columns.
///
/// Short rows in mid-file are skipped and counted; a short or unterminated *last* row means the
/// file was cut, which is an error.
fn read_rows(
    bytes: &[u8],
    fields: usize,
    list: &SourceList,
    file: &str,
) -> Result<(Vec<Vec<Option<String>>>, usize)> {
    let mut end = bytes.len();
    while end > 0 && (bytes[end - 1] == 0x1A || bytes[end - 1].is_ascii_whitespace()) {
        end -= 1;
    }
    let data = &bytes[..end];
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(data);
    let mut rows = Vec::new();
    let mut skipped = 0;
    let mut records = reader.byte_records().peekable();
    while let Some(record) = records.next() {
        let record =
            record.map_err(|e| Error::Malformed { list: list.clone(), detail: format!("{file}: {e}") })?;
        let is_last = records.peek().is_none();
        if record.len() < fields {
            if is_last {
                return Err(Error::Truncated {
                    list: list.clone(),
                    detail: format!("{file}: last row has {} of {fields} fields", record.len()),
                });
            }
            skipped += 1;
            continue;
        }
        if is_last && !(data.ends_with(b"\"") || data.ends_with(b"-0-")) {
            // Every complete row ends with a quoted field or a `-0-` null.
            return Err(Error::Truncated { list: list.clone(), detail: format!("{file}: last row is cut") });
        }
        rows.push(
            record
                .iter()
                .take(fields)
                .map(|f| {
                    let s = String::from_utf8_lossy(f);
                    let s = s.trim();
                    (!s.is_empty() && s != "-0-").then(|| s.to_owned())
                })
                .collect(),
        );
    }
    Ok((rows, skipped))
}

/// "SURNAME, Given Names" → "Given Names SURNAME" (only a single comma followed by letters).
pub(crate) fn reorder_person_name(name: &str) -> String {
    match name.split_once(", ") {
        Some((family, given)) if !given.contains(',') && !given.trim().is_empty() => {
            format!("{} {}", given.trim(), family.trim())
        }
        _ => name.trim().to_owned(),
    }
}

/// Parse a legacy CSV set. `list` is [`SourceList::OfacSdn`] or [`SourceList::OfacConsolidated`].
pub fn parse_ofac_csv(files: OfacCsvFiles<'_>, list: SourceList) -> Result<SanctionsList> {
    if files.primary.iter().all(|b| b.is_ascii_whitespace() || *b == 0x1A) {
        return Err(Error::Empty { list });
    }
    let (rows, mut skipped) = read_rows(files.primary, 12, &list, "primary file")?;
    let mut comments: HashMap<String, String> = HashMap::new();
    if let Some(bytes) = files.comments {
        let (rows, s) = read_rows(bytes, 2, &list, "comments file")?;
        skipped += s;
        for row in rows {
            if let (Some(id), Some(text)) = (&row[0], &row[1]) {
                comments.entry(id.clone()).or_default().push_str(text);
            }
        }
    }

    let mut entities = Vec::with_capacity(rows.len());
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for row in rows {
        let (Some(id), Some(name)) = (row[0].clone(), row[1].clone()) else {
            skipped += 1;
            continue;
        };
        let kind = match row[2].as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("individual") => EntityKind::Person,
            Some("vessel") => EntityKind::Vessel,
            Some("aircraft") => EntityKind::Aircraft,
            _ => EntityKind::Organization,
        };
        let display = if kind == EntityKind::Person { reorder_person_name(&name) } else { name };
        let mut entity = SanctionsEntity::new(list.clone(), id.clone(), kind, display);
        if let Some(programs) = &row[3] {
            for program in programs.split("] [") {
                entity.push_program(program.trim_matches(|c| c == '[' || c == ']'));
            }
        }
        if let Some(flag) = &row[9] {
            entity.push_country(flag, CountryRole::Location);
        }
        let mut remarks = row[11].clone().unwrap_or_default();
        if let Some(extra) = comments.get(&id) {
            remarks.push_str(extra);
        }
        parse_remarks(&remarks, &mut entity);
        by_id.insert(id, entities.len());
        entities.push(entity);
    }

    if let Some(bytes) = files.aliases {
        let (rows, s) = read_rows(bytes, 5, &list, "alias file")?;
        skipped += s;
        for row in rows {
            let (Some(id), Some(name)) = (&row[0], &row[3]) else {
                continue;
            };
            let Some(&i) = by_id.get(id) else { continue };
            let entity = &mut entities[i];
            let kind = match row[2].as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("fka") => NameKind::FormerName,
                Some("nka") => NameKind::NowKnownAs,
                _ => NameKind::Alias,
            };
            let text =
                if entity.kind == EntityKind::Person { reorder_person_name(name) } else { name.clone() };
            entity.push_name(EntityName::new(text, kind));
        }
    }

    if let Some(bytes) = files.addresses {
        let (rows, s) = read_rows(bytes, 6, &list, "address file")?;
        skipped += s;
        for row in rows {
            let Some(&i) = row[0].as_ref().and_then(|id| by_id.get(id)) else {
                continue;
            };
            let entity = &mut entities[i];
            let address = PostalAddress {
                street: row[2].clone(),
                city: row[3].clone(),
                region: None,
                postal_code: None,
                country: row[4].as_deref().map(Country::from_text),
            };
            if let Some(country) = &row[4] {
                entity.push_country(country, CountryRole::Location);
            }
            if !address.is_empty() && !entity.addresses.contains(&address) {
                entity.addresses.push(address);
            }
        }
    }

    Ok(SanctionsList { list, published: None, entities, skipped_records: skipped })
}

/// Identity-document labels that appear in remarks as `Label NUMBER (Country)`.
const DOCUMENT_LABELS: &[&str] = &[
    "Passport",
    "National ID No.",
    "Cedula No.",
    "SSN",
    "Tax ID No.",
    "Registration Number",
    "Registration ID",
    "Identification Number",
    "C.U.R.P.",
    "R.F.C.",
    "D.N.I.",
    "NIT #",
    "RUC #",
    "Driver's License No.",
    "Business Registration Number",
    "Company Number",
    "UK Company Number",
    "Public Security and Immigration No.",
    "Personal ID Card",
    "Residency Number",
    "Vessel Registration Identification",
    "Aircraft Tail Number",
    "SWIFT/BIC",
    "Citizen's Card Number",
    "Kenyan ID No.",
    "Moroccan Personal ID No.",
    "Italian Fiscal Code",
];

/// Read the `;`-separated facts of an OFAC legacy remark into the entity.
pub(crate) fn parse_remarks(remarks: &str, entity: &mut SanctionsEntity) {
    for fact in remarks.split(';') {
        let fact = fact.trim().trim_end_matches('.').trim();
        let fact = fact.strip_prefix("alt. ").unwrap_or(fact).trim();
        if fact.is_empty() {
            continue;
        }
        if let Some(rest) = fact.strip_prefix("DOB ") {
            if let Some(date) = parse_remark_date(rest) {
                if !entity.birth_dates.contains(&date) {
                    entity.birth_dates.push(date);
                }
            }
        } else if let Some(place) = fact.strip_prefix("POB ") {
            if let Some(last) = place.rsplit(',').next() {
                if crate::countries::iso2(last).is_some() {
                    entity.push_country(last, CountryRole::Birth);
                }
            }
        } else if let Some(country) = fact.strip_prefix("nationality ") {
            entity.push_country(country, CountryRole::Nationality);
        } else if let Some(country) = fact.strip_prefix("citizen ") {
            entity.push_country(country, CountryRole::Citizenship);
        } else if let Some(gender) = fact.strip_prefix("Gender ") {
            entity.gender = Gender::parse(gender);
        } else if let Some(rest) = fact.strip_prefix("Digital Currency Address - ") {
            if let Some((currency, address)) = rest.split_once(' ') {
                entity.push_crypto(currency, address.split_whitespace().next().unwrap_or(""));
            }
        } else if let Some(rest) = ["a.k.a. ", "f.k.a. ", "n.k.a. "].iter().find_map(|p| fact.strip_prefix(p))
        {
            let name = rest.trim().trim_matches(|c| c == '\'' || c == '"').trim();
            let kind = if fact.starts_with("f.k.a.") {
                NameKind::FormerName
            } else if fact.starts_with("n.k.a.") {
                NameKind::NowKnownAs
            } else {
                NameKind::Alias
            };
            let text =
                if entity.kind == EntityKind::Person { reorder_person_name(name) } else { name.to_owned() };
            entity.push_name(EntityName {
                full_name: text,
                kind,
                strength: AliasStrength::Weak,
                script: None,
            });
        } else if let Some(label) = DOCUMENT_LABELS.iter().find(|l| fact.starts_with(&format!("{l} "))) {
            let rest = fact[label.len()..].trim();
            let (number, country) = match rest.rfind(" (") {
                Some(i) if rest.ends_with(')') => {
                    (&rest[..i], Some(Country::from_text(&rest[i + 2..rest.len() - 1])))
                }
                _ => (rest, None),
            };
            let number = number.trim();
            if !number.is_empty() {
                entity.documents.push(IdentityDocument {
                    kind: (*label).to_owned(),
                    number: number.to_owned(),
                    country,
                });
            }
        }
    }
}

/// `23 Nov 1962`, `Nov 1962`, `1962`, `circa 1962`, `1960 to 1962`.
fn parse_remark_date(text: &str) -> Option<BirthDate> {
    let text = text.trim();
    let (approximate, text) = match text.strip_prefix("circa ") {
        Some(rest) => (true, rest.trim()),
        None => (false, text),
    };
    if let Some((a, b)) = text.split_once(" to ") {
        return Some(BirthDate { from: PartialDate::parse(a)?, to: PartialDate::parse(b)?, approximate });
    }
    Some(BirthDate { approximate, ..BirthDate::on(PartialDate::parse(text)?) })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
    use super::*;

    #[test]
    fn remarks_yield_dates_documents_weak_aliases_and_any_currency() {
        let mut e = SanctionsEntity::new(SourceList::OfacSdn, "1", EntityKind::Person, "X");
        parse_remarks(
            "DOB 28 Jul 1963; alt. DOB circa 1960; POB Toledo District, Belize; Passport P0017003 (Belize); \
             a.k.a. 'BURTON BURGESS'; Gender Male; Digital Currency Address - XLM GABC; \
             alt. Digital Currency Address - XBT 1abc.",
            &mut e,
        );
        assert_eq!(e.birth_dates.len(), 2);
        assert_eq!(e.birth_dates[0].from, PartialDate::ymd(1963, 7, 28));
        assert!(e.birth_dates[1].approximate);
        assert_eq!(e.documents[0].number, "P0017003");
        assert_eq!(e.documents[0].country.as_ref().unwrap().iso2.as_deref(), Some("BZ"));
        assert_eq!(e.names[1].strength, AliasStrength::Weak);
        assert_eq!(e.gender, Some(Gender::Male));
        let currencies: Vec<_> = e.crypto_addresses.iter().map(|c| c.currency.as_str()).collect();
        assert_eq!(currencies, ["XLM", "XBT"]);
        assert_eq!(e.crypto_addresses[1].address, "1abc");
    }

    #[test]
    fn person_names_are_reordered() {
        assert_eq!(reorder_person_name("LOGAN MOREY, Elvis Angus"), "Elvis Angus LOGAN MOREY");
        assert_eq!(reorder_person_name("AL-ZAWAHIRI, Ayman, Dr."), "AL-ZAWAHIRI, Ayman, Dr.");
    }

    #[test]
    fn truncated_last_row_is_an_error() {
        let data = b"1,\"A\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n2,\"B\",-0- ,\"SDGT\"";
        let err = parse_ofac_csv(OfacCsvFiles { primary: data, ..Default::default() }, SourceList::OfacSdn)
            .unwrap_err();
        assert!(matches!(err, Error::Truncated { .. }), "{err}");
    }
}
