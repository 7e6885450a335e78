//! UK Sanctions List (FCDO) CSV.
//!
//! Columns are found by header name, so both the full list export (a report-date line, then a
//! header with `Unique ID`, `Name 6` = family name, `Name 1`–`Name 5`, `Name type`, `Alias
//! strength`, `D.O.B`, `Nationality`, …; one row per *name*) and the one-row-per-designation
//! summary sheet (`Unique ID`, `Name`, `Regime Name`, `Type`, …) are read. Rows are grouped by
//! `Unique ID`.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::model::{
    AliasStrength, BirthDate, Country, CountryRole, EntityKind, EntityName, Gender, IdentityDocument,
    NameKind, PartialDate, PostalAddress, SanctionsEntity, SanctionsList, SourceList,
};

fn header_key(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase()
}

/// Parse a UK Sanctions List CSV export.
pub fn parse_uk_csv(bytes: &[u8]) -> Result<SanctionsList> {
    let list = SourceList::UkSanctionsList;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Empty { list });
    }
    if !bytes.ends_with(b"\n") && !bytes.ends_with(b"\"") {
        // Exports end every row with a line break; a cut file usually does not.
        let tail = bytes.rsplit(|b| *b == b'\n').next().unwrap_or_default();
        if tail.iter().filter(|b| **b == b'"').count() % 2 == 1 {
            return Err(Error::Truncated { list, detail: "last row ends inside a quoted field".into() });
        }
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut columns: Option<HashMap<String, usize>> = None;
    let mut published = None;
    let mut entities: Vec<SanctionsEntity> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut skipped = 0;
    let mut header_width = 0;

    for record in reader.records() {
        let record = record.map_err(|e| Error::Malformed { list: list.clone(), detail: e.to_string() })?;
        let Some(cols) = &columns else {
            if record.iter().any(|c| header_key(c) == "uniqueid") {
                header_width = record.len();
                columns = Some(record.iter().enumerate().map(|(i, c)| (header_key(c), i)).collect());
            } else if let Some(first) = record.get(0) {
                // "Report Date: 11-Aug-2025" style preamble.
                if let Some((_, date)) = first.split_once(':') {
                    published = PartialDate::parse(date).or(published);
                }
            }
            continue;
        };
        let get = |names: &[&str]| -> Option<&str> {
            names
                .iter()
                .find_map(|n| cols.get(*n))
                .and_then(|&i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        if record.len() < header_width.min(3) {
            skipped += 1;
            continue;
        }
        let Some(id) = get(&["uniqueid"]) else {
            skipped += 1;
            continue;
        };
        let given: Vec<&str> =
            ["name1", "name2", "name3", "name4", "name5"].iter().filter_map(|n| get(&[n])).collect();
        let family = get(&["name6"]);
        let name = match get(&["name"]) {
            Some(n) => n.to_owned(),
            None => given.iter().copied().chain(family).collect::<Vec<_>>().join(" "),
        };
        let kind = match get(&["designationtype", "type", "individualentityship", "grouptype"])
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("individual") => EntityKind::Person,
            Some("ship") | Some("vessel") => EntityKind::Vessel,
            _ => EntityKind::Organization,
        };
        let index = *by_id.entry(id.to_owned()).or_insert_with(|| {
            let mut e = SanctionsEntity::new(list.clone(), id, kind, "");
            e.names.clear();
            entities.push(e);
            entities.len() - 1
        });
        let e = &mut entities[index];
        if !name.is_empty() {
            let name_type = get(&["nametype", "aliastype"]).unwrap_or("Primary name").to_ascii_lowercase();
            let strength = match get(&["aliasstrength", "aliasquality"]) {
                Some(s) if s.to_ascii_lowercase().contains("weak") || s.eq_ignore_ascii_case("low") => {
                    AliasStrength::Weak
                }
                _ => AliasStrength::Strong,
            };
            let kind = if name_type == "primary name" && e.names.is_empty() {
                NameKind::Primary
            } else if name_type.contains("variation") {
                NameKind::Variant
            } else {
                NameKind::Alias
            };
            e.push_name(EntityName { strength, ..EntityName::new(name, kind) });
        }
        if let Some(script) = get(&["namenonlatinscript"]) {
            let script_name = get(&["nonlatinscripttype"]).unwrap_or("non-Latin").to_owned();
            e.push_name(EntityName {
                script: Some(script_name),
                ..EntityName::new(script, NameKind::Variant)
            });
        }
        if let Some(regime) = get(&["regimename", "regime"]) {
            e.push_program(regime);
        }
        if e.listed_on.is_none() {
            e.listed_on = get(&["datedesignated", "uksanctionslistdatedesignated", "listedon"])
                .and_then(PartialDate::parse);
        }
        if let Some(un) = get(&["unreferencenumber"]) {
            e.un_reference = Some(un.to_owned());
        }
        if let Some(dob) = get(&["dob"]) {
            if let Some(date) = PartialDate::parse(dob).map(BirthDate::on) {
                if !e.birth_dates.contains(&date) {
                    e.birth_dates.push(date);
                }
            }
        }
        if let Some(nationality) = get(&["nationality", "nationalities"]) {
            for n in nationality.split([',', ';']) {
                e.push_country(n, CountryRole::Nationality);
            }
        }
        if let Some(country) = get(&["countryofbirth"]) {
            e.push_country(country, CountryRole::Birth);
        }
        if let Some(g) = get(&["gender"]).and_then(Gender::parse) {
            e.gender = Some(g);
        }
        for (number_col, kind) in [
            ("passportnumber", "Passport"),
            ("nationalidentificationnumber", "National ID"),
            ("nationalidnumber", "National ID"),
            ("imonumber", "IMO"),
            ("businessregistrationnumber", "Business Registration Number"),
        ] {
            if let Some(number) = get(&[number_col]) {
                let doc =
                    IdentityDocument { kind: kind.to_owned(), number: number.to_owned(), country: None };
                if !e.documents.contains(&doc) {
                    e.documents.push(doc);
                }
            }
        }
        let lines: Vec<&str> = [
            "addressline1",
            "addressline2",
            "addressline3",
            "addressline4",
            "address1",
            "address2",
            "address3",
            "address4",
        ]
        .iter()
        .filter_map(|n| get(&[n]))
        .collect();
        let country = get(&["addresscountry", "country"]);
        let address = PostalAddress {
            street: (!lines.is_empty()).then(|| lines.join(", ")),
            city: get(&["addressline5", "address5"]).map(str::to_owned),
            region: get(&["addressline6", "address6"]).map(str::to_owned),
            postal_code: get(&["postalcode", "postzipcode"]).map(str::to_owned),
            country: country.map(Country::from_text),
        };
        if let Some(country) = country {
            e.push_country(country, CountryRole::Location);
        }
        if !address.is_empty() && !e.addresses.contains(&address) {
            e.addresses.push(address);
        }
    }
    if columns.is_none() {
        return Err(Error::Malformed { list, detail: "no header row with a `Unique ID` column".into() });
    }
    let before = entities.len();
    entities.retain(|e| !e.names.is_empty());
    skipped += before - entities.len();
    // The first name pushed may be an alias when the primary row comes later: move the primary first.
    for e in &mut entities {
        if let Some(i) = e.names.iter().position(|n| n.kind == NameKind::Primary) {
            let primary = e.names.remove(i);
            e.names.insert(0, primary);
        }
    }
    Ok(SanctionsList { list, published, entities, skipped_records: skipped })
}
