//! EU Financial Sanctions Files, XML export 1.1 (namespace `http://eu.europa.ec/fpi/fsd/export`).
//!
//! Written from the published schema (`eu_fsf_export_schema_1_1.xsd`); no real EU file was
//! available offline, so this parser is tested on hand-written fixtures that follow the schema.

use quick_xml::events::BytesStart;

use super::xml::{attr, Node, XmlStream};
use crate::error::{Error, Result};
use crate::model::{
    AliasStrength, BirthDate, Country, CountryRole, EntityKind, EntityName, Gender, IdentityDocument,
    NameKind, PartialDate, PostalAddress, SanctionsEntity, SanctionsList, SourceList,
};

fn country_of(start: &BytesStart<'_>) -> Option<Country> {
    let iso = attr(start, b"countryIso2Code").filter(|c| !c.is_empty() && c != "00");
    let name = attr(start, b"countryDescription").filter(|c| !c.is_empty() && c != "UNKNOWN");
    match (iso, name) {
        (Some(iso), name) => {
            Some(Country { name: name.unwrap_or_else(|| iso.clone()), iso2: Some(iso.to_ascii_uppercase()) })
        }
        (None, Some(name)) => Some(Country::from_text(&name)),
        (None, None) => None,
    }
}

/// Parse an EU Financial Sanctions File (XML 1.1).
pub fn parse_eu_xml(bytes: &[u8]) -> Result<SanctionsList> {
    let list = SourceList::EuFinancialSanctions;
    let mut xml = XmlStream::new(bytes, list.clone())?;
    let mut published = None;
    let mut entities = Vec::new();
    let mut skipped = 0;
    let mut current: Option<SanctionsEntity> = None;
    let mut saw_root = false;
    let mut depth = 0usize;
    let mut entity_depth = 0usize;

    loop {
        match xml.next()? {
            Node::Done => break,
            Node::Text(_) => {}
            Node::Open(start) => {
                depth += 1;
                let local = start.local_name();
                match local.as_ref().as_bytes() {
                    b"export" => {
                        saw_root = true;
                        published = attr(&start, b"generationDate")
                            .and_then(|d| PartialDate::parse(d.get(..10).unwrap_or(&d)));
                    }
                    b"sanctionEntity" => {
                        entity_depth = depth;
                        let id = attr(&start, b"logicalId").unwrap_or_default();
                        let mut e = SanctionsEntity::new(list.clone(), id, EntityKind::Organization, "");
                        e.names.clear();
                        e.un_reference = attr(&start, b"unitedNationId").filter(|s| !s.is_empty());
                        e.listed_on = attr(&start, b"designationDate")
                            .and_then(|d| PartialDate::parse(d.get(..10).unwrap_or(&d)));
                        current = Some(e);
                    }
                    // Only direct children of sanctionEntity describe the entity (regulations
                    // are also nested inside each child as `regulationSummary`).
                    tag if depth == entity_depth + 1 => {
                        if let Some(e) = current.as_mut() {
                            apply_child(e, tag, &start);
                        }
                    }
                    _ => {}
                }
            }
            Node::Close(end) => {
                if end.local_name().as_ref().as_bytes() == b"sanctionEntity" {
                    if let Some(e) = current.take() {
                        if e.names.is_empty() || e.source_id.is_empty() {
                            skipped += 1;
                        } else {
                            entities.push(e);
                        }
                    }
                }
                depth = depth.saturating_sub(1);
            }
        }
    }
    if !saw_root {
        return Err(Error::Malformed { list, detail: "root element is not `export`".into() });
    }
    Ok(SanctionsList { list, published, entities, skipped_records: skipped })
}

fn apply_child(e: &mut SanctionsEntity, tag: &[u8], start: &BytesStart<'_>) {
    let get = |name: &[u8]| attr(start, name).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match tag {
        b"regulation" => {
            if let Some(programme) = get(b"programme") {
                e.push_program(&programme);
            }
        }
        b"subjectType" => {
            let code =
                get(b"classificationCode").or_else(|| get(b"code")).unwrap_or_default().to_ascii_lowercase();
            e.kind = match code.as_str() {
                "p" | "person" => EntityKind::Person,
                _ => EntityKind::Organization,
            };
        }
        b"nameAlias" => {
            let whole = get(b"wholeName").unwrap_or_else(|| {
                [get(b"firstName"), get(b"middleName"), get(b"lastName")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            if whole.is_empty() {
                return;
            }
            let strength = if get(b"strong").is_some_and(|s| s.eq_ignore_ascii_case("false")) {
                AliasStrength::Weak
            } else {
                AliasStrength::Strong
            };
            let kind = if e.names.is_empty() { NameKind::Primary } else { NameKind::Alias };
            let script = get(b"nameLanguage").filter(|l| !l.is_empty());
            e.push_name(EntityName { full_name: whole, kind, strength, script });
            if let Some(g) = get(b"gender").and_then(|g| Gender::parse(&g)) {
                e.gender = Some(g);
            }
        }
        b"citizenship" => {
            if let Some(country) = country_of(start) {
                if !e.countries.iter().any(|c| c.country == country && c.role == CountryRole::Citizenship) {
                    e.countries.push(crate::model::CountryLink { country, role: CountryRole::Citizenship });
                }
            }
        }
        b"birthdate" => {
            let circa = get(b"circa").is_some_and(|c| c.eq_ignore_ascii_case("true"));
            let date = if let Some(full) = get(b"birthdate") {
                PartialDate::parse(&full).map(BirthDate::on)
            } else if let (Some(from), Some(to)) = (get(b"yearRangeFrom"), get(b"yearRangeTo")) {
                PartialDate::parse(&from).zip(PartialDate::parse(&to)).map(|(from, to)| BirthDate {
                    from,
                    to,
                    approximate: false,
                })
            } else {
                get(b"year").and_then(|y| y.parse::<u16>().ok()).map(|year| {
                    let month = get(b"monthOfYear")
                        .and_then(|m| m.parse::<u8>().ok())
                        .filter(|m| (1..=12).contains(m));
                    let day = get(b"dayOfMonth")
                        .and_then(|d| d.parse::<u8>().ok())
                        .filter(|d| (1..=31).contains(d));
                    BirthDate::on(PartialDate { year, month, day: month.and(day) })
                })
            };
            if let Some(mut date) = date {
                date.approximate |= circa;
                if !e.birth_dates.contains(&date) {
                    e.birth_dates.push(date);
                }
            }
            if let Some(country) = country_of(start) {
                e.countries.push(crate::model::CountryLink { country, role: CountryRole::Birth });
            }
        }
        b"address" => {
            let country = country_of(start);
            let address = PostalAddress {
                street: get(b"street").or_else(|| get(b"poBox")),
                city: get(b"city").or_else(|| get(b"place")),
                region: get(b"region"),
                postal_code: get(b"zipCode"),
                country: country.clone(),
            };
            if let Some(country) = country {
                let link = crate::model::CountryLink { country, role: CountryRole::Location };
                if !e.countries.contains(&link) {
                    e.countries.push(link);
                }
            }
            if !address.is_empty() && !e.addresses.contains(&address) {
                e.addresses.push(address);
            }
        }
        b"identification" => {
            if let Some(number) = get(b"number").or_else(|| get(b"latinNumber")) {
                e.documents.push(IdentityDocument {
                    kind: get(b"identificationTypeDescription")
                        .or_else(|| get(b"identificationTypeCode"))
                        .unwrap_or_else(|| "Document".into()),
                    number,
                    country: country_of(start),
                });
            }
        }
        _ => {}
    }
}
