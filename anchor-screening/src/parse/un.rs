//! UN Security Council Consolidated List XML (`consolidated.xml`, schema `sc-sanctions.xsd`).

use super::xml::{attr, Node, XmlStream};
use crate::error::{Error, Result};
use crate::model::{
    AliasStrength, BirthDate, Country, CountryRole, EntityKind, EntityName, Gender, IdentityDocument,
    NameKind, PartialDate, PostalAddress, SanctionsEntity, SanctionsList, SourceList,
};

/// Parse the UN consolidated list XML.
pub fn parse_un_xml(bytes: &[u8]) -> Result<SanctionsList> {
    let list = SourceList::UnSecurityCouncil;
    let mut xml = XmlStream::new(bytes, list.clone())?;
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut text = String::new();
    let mut published = None;
    let mut entities = Vec::new();
    let mut skipped = 0;
    let mut record: Option<SanctionsEntity> = None;
    let mut name_parts: Vec<String> = Vec::new();
    let mut group: Vec<(Vec<u8>, String)> = Vec::new();
    let mut saw_root = false;

    loop {
        match xml.next()? {
            Node::Done => break,
            Node::Text(t) => text.push_str(&t),
            Node::Open(start) => {
                text.clear();
                let tag = start.local_name().as_ref().as_bytes().to_vec();
                match tag.as_slice() {
                    b"CONSOLIDATED_LIST" => {
                        saw_root = true;
                        published = attr(&start, b"dateGenerated")
                            .and_then(|d| PartialDate::parse(d.get(..10).unwrap_or(&d)));
                    }
                    b"INDIVIDUAL" | b"ENTITY" => {
                        let kind =
                            if tag == b"INDIVIDUAL" { EntityKind::Person } else { EntityKind::Organization };
                        let mut e = SanctionsEntity::new(list.clone(), "", kind, "");
                        e.names.clear();
                        record = Some(e);
                        name_parts.clear();
                    }
                    _ if stack.len() == 3 => group.clear(),
                    _ => {}
                }
                stack.push(tag);
            }
            Node::Close(end) => {
                let tag = end.local_name().as_ref().as_bytes().to_vec();
                stack.pop();
                let value = text.trim().to_owned();
                text.clear();
                let Some(e) = record.as_mut() else { continue };
                let depth = stack.len();
                if depth == 4 {
                    // A leaf inside a repeated group (alias, address, date of birth…).
                    if !value.is_empty() {
                        group.push((tag, value));
                    }
                    continue;
                }
                if depth == 3 {
                    let parent = tag.as_slice();
                    if !group.is_empty() {
                        apply_group(e, parent, &group);
                        group.clear();
                        continue;
                    }
                    if value.is_empty() {
                        continue;
                    }
                    match parent {
                        b"FIRST_NAME" | b"SECOND_NAME" | b"THIRD_NAME" | b"FOURTH_NAME" => {
                            name_parts.push(value)
                        }
                        b"REFERENCE_NUMBER" => {
                            e.source_id = value.clone();
                            e.un_reference = Some(value);
                        }
                        b"UN_LIST_TYPE" => e.push_program(&value),
                        b"LISTED_ON" => e.listed_on = PartialDate::parse(&value),
                        b"GENDER" => e.gender = Gender::parse(&value),
                        b"NAME_ORIGINAL_SCRIPT" => {
                            e.push_name(EntityName {
                                script: Some("original".into()),
                                ..EntityName::new(value, NameKind::Variant)
                            });
                        }
                        _ => {}
                    }
                    continue;
                }
                if depth == 2 && (tag == b"INDIVIDUAL" || tag == b"ENTITY") {
                    if let Some(mut e) = record.take() {
                        let primary = name_parts.join(" ");
                        if primary.is_empty() || e.source_id.is_empty() {
                            skipped += 1;
                            continue;
                        }
                        e.names.insert(0, EntityName::new(primary, NameKind::Primary));
                        entities.push(e);
                    }
                }
            }
        }
        // Values nested one level deeper (NATIONALITY/VALUE) are at depth 4 and land in `group`,
        // handled when their parent closes.
    }
    if !saw_root {
        return Err(Error::Malformed { list, detail: "root element is not CONSOLIDATED_LIST".into() });
    }
    Ok(SanctionsList { list, published, entities, skipped_records: skipped })
}

fn field<'g>(group: &'g [(Vec<u8>, String)], name: &[u8]) -> Option<&'g str> {
    group.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn apply_group(e: &mut SanctionsEntity, parent: &[u8], group: &[(Vec<u8>, String)]) {
    match parent {
        b"NATIONALITY" => {
            for (_, v) in group {
                e.push_country(v, CountryRole::Nationality);
            }
        }
        b"INDIVIDUAL_ALIAS" | b"ENTITY_ALIAS" => {
            if let Some(name) = field(group, b"ALIAS_NAME") {
                let quality = field(group, b"QUALITY").unwrap_or("");
                let strength = if quality.eq_ignore_ascii_case("low") {
                    AliasStrength::Weak
                } else {
                    AliasStrength::Strong
                };
                let kind = if quality.eq_ignore_ascii_case("f.k.a.") {
                    NameKind::FormerName
                } else {
                    NameKind::Alias
                };
                e.push_name(EntityName { strength, ..EntityName::new(name, kind) });
            }
        }
        b"INDIVIDUAL_ADDRESS" | b"ENTITY_ADDRESS" => {
            let address = PostalAddress {
                street: field(group, b"STREET").map(str::to_owned),
                city: field(group, b"CITY").map(str::to_owned),
                region: field(group, b"STATE_PROVINCE").map(str::to_owned),
                postal_code: field(group, b"ZIP_CODE").map(str::to_owned),
                country: field(group, b"COUNTRY").map(Country::from_text),
            };
            if let Some(country) = field(group, b"COUNTRY") {
                e.push_country(country, CountryRole::Location);
            }
            if !address.is_empty() && !e.addresses.contains(&address) {
                e.addresses.push(address);
            }
        }
        b"INDIVIDUAL_DATE_OF_BIRTH" => {
            let approximate =
                field(group, b"TYPE_OF_DATE").is_some_and(|t| t.eq_ignore_ascii_case("APPROXIMATELY"));
            let date = if let (Some(from), Some(to)) = (field(group, b"FROM_YEAR"), field(group, b"TO_YEAR"))
            {
                PartialDate::parse(from).zip(PartialDate::parse(to)).map(|(from, to)| BirthDate {
                    from,
                    to,
                    approximate,
                })
            } else {
                field(group, b"DATE")
                    .or_else(|| field(group, b"YEAR"))
                    .and_then(PartialDate::parse)
                    .map(|d| BirthDate { approximate, ..BirthDate::on(d) })
            };
            if let Some(date) = date {
                if !e.birth_dates.contains(&date) {
                    e.birth_dates.push(date);
                }
            }
        }
        b"INDIVIDUAL_PLACE_OF_BIRTH" => {
            if let Some(country) = field(group, b"COUNTRY") {
                e.push_country(country, CountryRole::Birth);
            }
        }
        b"INDIVIDUAL_DOCUMENT" => {
            if let Some(number) = field(group, b"NUMBER") {
                e.documents.push(IdentityDocument {
                    kind: field(group, b"TYPE_OF_DOCUMENT").unwrap_or("Document").to_owned(),
                    number: number.to_owned(),
                    country: field(group, b"ISSUING_COUNTRY")
                        .or_else(|| field(group, b"COUNTRY_OF_ISSUE"))
                        .map(Country::from_text),
                });
            }
        }
        _ => {}
    }
}
