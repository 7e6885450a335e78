//! OFAC Advanced XML (Sanctions Data Model): `SDN_ADVANCED.XML` and `CONS_ADVANCED.XML`.
//!
//! One streaming pass. The reference value sets, locations and identity documents come before
//! the parties in the file (schema order), so every lookup a party needs is resolved as the party
//! is read; programs and listing dates come last, from `SanctionsEntries`.

use std::collections::HashMap;

use quick_xml::events::BytesStart;

use super::xml::{attr, attr_u64, Node, XmlStream};
use crate::error::{Error, Result};
use crate::model::{
    AliasStrength, BirthDate, Country, CountryRole, EntityKind, EntityName, Gender, IdentityDocument,
    NameKind, PartialDate, PostalAddress, SanctionsEntity, SanctionsList, SourceList,
};

/// Reference values: `(element name, ID) → text`, plus the two attribute-carrying sets we need.
#[derive(Default)]
struct References {
    values: HashMap<(Vec<u8>, u64), String>,
    country_iso2: HashMap<u64, String>,
    party_type_of_subtype: HashMap<u64, u64>,
}

impl References {
    fn get(&self, set: &[u8], id: u64) -> Option<&str> {
        self.values.get(&(set.to_vec(), id)).map(String::as_str)
    }

    fn country(&self, id: u64) -> Option<Country> {
        let name = self.get(b"Country", id)?;
        Some(Country { iso2: self.country_iso2.get(&id).cloned(), name: name.to_owned() })
    }
}

#[derive(Default)]
struct PendingName {
    alias_type: u64,
    primary: bool,
    low_quality: bool,
    status: u64,
    /// `(NamePartGroupID, ScriptID, text)`.
    parts: Vec<(u64, u64, String)>,
}

#[derive(Default, Clone, Copy)]
struct DateBound {
    year: Option<u16>,
    month: Option<u8>,
    day: Option<u8>,
}

#[derive(Default)]
struct PendingFeature {
    type_id: u64,
    text: Option<String>,
    detail_reference: Option<u64>,
    location: Option<u64>,
    /// `[Start.From, Start.To, End.From, End.To]`.
    period: [DateBound; 4],
    has_period: bool,
    approximate: bool,
}

#[derive(Default)]
struct PendingEntry {
    profile: u64,
    list_id: u64,
    programs: Vec<String>,
    measure_type: u64,
    date: DateBound,
    listed_on: Option<PartialDate>,
}

/// Where inside a `DatePeriod` (or an entry `Date`) the parser currently is.
#[derive(Clone, Copy, PartialEq)]
enum DateSlot {
    None,
    Period(usize),
    EntryDate,
}

/// Parse an OFAC advanced XML file (already decompressed).
///
/// `list` is the list to attribute a party to when it has no `SanctionsEntry`; parties with an
/// entry on the "SDN List" are [`SourceList::OfacSdn`], all others [`SourceList::OfacConsolidated`].
pub fn parse_ofac_advanced(bytes: &[u8], list: SourceList) -> Result<SanctionsList> {
    let mut xml = XmlStream::new(bytes, list.clone())?;
    let mut refs = References::default();
    let mut locations: HashMap<u64, PostalAddress> = HashMap::new();
    let mut docs_by_identity: HashMap<u64, Vec<IdentityDocument>> = HashMap::new();
    let mut entities: Vec<SanctionsEntity> = Vec::new();
    let mut by_profile: HashMap<u64, usize> = HashMap::new();
    let mut skipped = 0usize;

    let mut depth = 0usize;
    let mut text = String::new();
    let mut in_refs = false;
    let mut ref_key: Option<(Vec<u8>, u64)> = None;
    let mut date_of_issue = DateBound::default();
    let mut in_date_of_issue = false;

    // Location state.
    let mut location: Option<(u64, PostalAddress)> = None;
    let mut loc_part_type: u64 = 0;
    // Document state: (identity, type, country, number).
    let mut document: Option<(u64, u64, Option<u64>, String)> = None;
    // Party state.
    let mut party: Option<SanctionsEntity> = None;
    let mut party_profile: u64 = 0;
    let mut identities: Vec<u64> = Vec::new();
    let mut names: Vec<PendingName> = Vec::new();
    let mut name: Option<PendingName> = None;
    let mut alias: (u64, bool, bool) = (0, false, false);
    let mut part_attrs: (u64, u64) = (0, 0);
    let mut group_types: HashMap<u64, u64> = HashMap::new();
    let mut feature: Option<PendingFeature> = None;
    let mut slot = DateSlot::None;
    let mut period_half = 0usize;
    // Entry state.
    let mut entry: Option<PendingEntry> = None;

    loop {
        match xml.next()? {
            Node::Done => break,
            Node::Text(t) => text.push_str(&t),
            Node::Open(start) => {
                text.clear();
                let local = start.local_name();
                let tag = local.as_ref().as_bytes();
                if in_refs && depth == 3 {
                    ref_key = attr_u64(&start, b"ID").map(|id| (tag.to_vec(), id));
                    if let Some((_, id)) = &ref_key {
                        if tag == b"Country" {
                            if let Some(iso) = attr(&start, b"ISO2") {
                                refs.country_iso2.insert(*id, iso);
                            }
                        } else if tag == b"PartySubType" {
                            if let Some(pt) = attr_u64(&start, b"PartyTypeID") {
                                refs.party_type_of_subtype.insert(*id, pt);
                            }
                        }
                    }
                }
                open(
                    tag,
                    &start,
                    &mut State {
                        in_refs: &mut in_refs,
                        in_date_of_issue: &mut in_date_of_issue,
                        location: &mut location,
                        loc_part_type: &mut loc_part_type,
                        document: &mut document,
                        party: &mut party,
                        party_profile: &mut party_profile,
                        identities: &mut identities,
                        name: &mut name,
                        alias: &mut alias,
                        part_attrs: &mut part_attrs,
                        group_types: &mut group_types,
                        feature: &mut feature,
                        slot: &mut slot,
                        period_half: &mut period_half,
                        entry: &mut entry,
                        list: &list,
                    },
                );
                depth += 1;
            }
            Node::Close(end) => {
                let tag = end.local_name();
                let tag = tag.as_ref().as_bytes();
                depth = depth.saturating_sub(1);
                let value = text.trim();
                if in_refs && depth == 3 {
                    if let Some(key) = ref_key.take() {
                        refs.values.insert(key, value.to_owned());
                    }
                }
                match tag {
                    b"ReferenceValueSets" => in_refs = false,
                    b"DateOfIssue" => in_date_of_issue = false,
                    b"Year" | b"Month" | b"Day" => {
                        let n: Option<u16> = value.parse().ok();
                        let target = if in_date_of_issue {
                            Some(&mut date_of_issue)
                        } else {
                            match slot {
                                DateSlot::Period(i) => feature.as_mut().map(|f| &mut f.period[i]),
                                DateSlot::EntryDate => entry.as_mut().map(|e| &mut e.date),
                                DateSlot::None => None,
                            }
                        };
                        if let (Some(bound), Some(n)) = (target, n) {
                            match tag {
                                b"Year" => bound.year = Some(n),
                                b"Month" => bound.month = u8::try_from(n).ok(),
                                _ => bound.day = u8::try_from(n).ok(),
                            }
                        }
                    }
                    b"From" | b"To" => slot = DateSlot::None,
                    b"Value" => {
                        if let Some((_, address)) = location.as_mut() {
                            let part = refs.get(b"LocPartType", loc_part_type).unwrap_or("");
                            apply_location_part(address, part, value);
                        }
                    }
                    b"Location" => {
                        if let Some((id, address)) = location.take() {
                            locations.insert(id, address);
                        }
                    }
                    b"IDRegistrationNo" => {
                        if let Some(doc) = document.as_mut() {
                            doc.3 = value.to_owned();
                        }
                    }
                    b"IDRegDocument" => {
                        if let Some((identity, type_id, country, number)) = document.take() {
                            if !number.is_empty() {
                                let kind =
                                    refs.get(b"IDRegDocType", type_id).unwrap_or("Document").to_owned();
                                let country = country.and_then(|c| refs.country(c));
                                docs_by_identity.entry(identity).or_default().push(IdentityDocument {
                                    kind,
                                    number,
                                    country,
                                });
                            }
                        }
                    }
                    b"NamePartValue" => {
                        if let Some(n) = name.as_mut() {
                            n.parts.push((part_attrs.0, part_attrs.1, value.to_owned()));
                        }
                    }
                    b"DocumentedName" => {
                        if let Some(n) = name.take() {
                            names.push(n);
                        }
                    }
                    b"Identity" => {
                        if let Some(p) = party.as_mut() {
                            for n in names.drain(..) {
                                add_name(p, n, &group_types, &refs);
                            }
                        }
                        group_types.clear();
                    }
                    b"VersionDetail" => {
                        if let Some(f) = feature.as_mut() {
                            if !value.is_empty() {
                                f.text = Some(value.to_owned());
                            }
                        }
                    }
                    b"Feature" => {
                        if let (Some(f), Some(p)) = (feature.take(), party.as_mut()) {
                            apply_feature(p, f, &refs, &locations);
                        }
                    }
                    b"DistinctParty" => {
                        if let Some(mut p) = party.take() {
                            for identity in identities.drain(..) {
                                if let Some(docs) = docs_by_identity.remove(&identity) {
                                    p.documents.extend(docs);
                                }
                            }
                            if p.names.is_empty() {
                                skipped += 1;
                            } else {
                                by_profile.insert(party_profile, entities.len());
                                entities.push(p);
                            }
                        }
                    }
                    b"Comment" => {
                        if let Some(e) = entry.as_mut() {
                            if e.measure_type != 0 && !value.is_empty() {
                                e.programs.push(value.to_owned());
                            }
                        }
                    }
                    b"SanctionsMeasure" => {
                        if let Some(e) = entry.as_mut() {
                            e.measure_type = 0;
                        }
                    }
                    b"Date" => {
                        if let Some(e) = entry.as_mut() {
                            if let Some(year) = e.date.year {
                                let date = PartialDate { year, month: e.date.month, day: e.date.day };
                                e.listed_on = Some(e.listed_on.map_or(date, |d| d.min(date)));
                            }
                            e.date = DateBound::default();
                        }
                        slot = DateSlot::None;
                    }
                    b"SanctionsEntry" => {
                        if let Some(e) = entry.take() {
                            if let Some(&i) = by_profile.get(&e.profile) {
                                let entity = &mut entities[i];
                                match refs.get(b"List", e.list_id) {
                                    Some(l) if l.eq_ignore_ascii_case("SDN List") => {
                                        entity.list = SourceList::OfacSdn
                                    }
                                    Some(_) => entity.list = SourceList::OfacConsolidated,
                                    None => {}
                                }
                                for program in &e.programs {
                                    entity.push_program(program);
                                }
                                if entity.listed_on.is_none() {
                                    entity.listed_on = e.listed_on;
                                }
                            }
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
        }
    }

    if refs.values.is_empty() {
        return Err(Error::Malformed {
            list,
            detail: "no ReferenceValueSets: not an OFAC advanced XML file".into(),
        });
    }
    let published = date_of_issue.year.map(|year| PartialDate {
        year,
        month: date_of_issue.month,
        day: date_of_issue.day,
    });
    Ok(SanctionsList { list, published, entities, skipped_records: skipped })
}

/// Mutable parser state touched when an element opens.
struct State<'s> {
    in_refs: &'s mut bool,
    in_date_of_issue: &'s mut bool,
    location: &'s mut Option<(u64, PostalAddress)>,
    loc_part_type: &'s mut u64,
    document: &'s mut Option<(u64, u64, Option<u64>, String)>,
    party: &'s mut Option<SanctionsEntity>,
    party_profile: &'s mut u64,
    identities: &'s mut Vec<u64>,
    name: &'s mut Option<PendingName>,
    alias: &'s mut (u64, bool, bool),
    part_attrs: &'s mut (u64, u64),
    group_types: &'s mut HashMap<u64, u64>,
    feature: &'s mut Option<PendingFeature>,
    slot: &'s mut DateSlot,
    period_half: &'s mut usize,
    entry: &'s mut Option<PendingEntry>,
    list: &'s SourceList,
}

fn open(tag: &[u8], start: &BytesStart<'_>, s: &mut State<'_>) {
    let id = |name: &[u8]| attr_u64(start, name);
    let flag = |name: &[u8]| attr(start, name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    match tag {
        b"ReferenceValueSets" => *s.in_refs = true,
        b"DateOfIssue" => *s.in_date_of_issue = true,
        b"Location" => *s.location = id(b"ID").map(|i| (i, PostalAddress::default())),
        b"LocationCountry" => {
            if let (Some((_, address)), Some(country)) = (s.location.as_mut(), id(b"CountryID")) {
                // Resolved to a name when the location is used (the reference map is complete
                // by then); keep the ID in the country name slot meanwhile.
                address.country = Some(Country { iso2: None, name: format!("#{country}") });
            }
        }
        b"LocationPart" => *s.loc_part_type = id(b"LocPartTypeID").unwrap_or(0),
        b"IDRegDocument" => {
            *s.document = Some((
                id(b"IdentityID").unwrap_or(0),
                id(b"IDRegDocTypeID").unwrap_or(0),
                id(b"IssuedBy-CountryID"),
                String::new(),
            ));
        }
        b"DistinctParty" => {
            let fixed_ref = attr(start, b"FixedRef").unwrap_or_default();
            // Kind is set from the profile; names are added from the identities.
            let mut entity = SanctionsEntity::new(s.list.clone(), fixed_ref, EntityKind::Organization, "");
            entity.names.clear();
            *s.party = Some(entity);
            s.identities.clear();
        }
        b"Profile" => {
            *s.party_profile = id(b"ID").unwrap_or(0);
            if let Some(p) = s.party.as_mut() {
                p.kind = match id(b"PartySubTypeID") {
                    Some(1) => EntityKind::Vessel,
                    Some(2) => EntityKind::Aircraft,
                    Some(4) => EntityKind::Person,
                    _ => EntityKind::Organization,
                };
            }
        }
        b"Identity" => {
            if let Some(i) = id(b"ID") {
                s.identities.push(i);
            }
        }
        b"Alias" => *s.alias = (id(b"AliasTypeID").unwrap_or(0), flag(b"Primary"), flag(b"LowQuality")),
        b"DocumentedName" => {
            *s.name = Some(PendingName {
                alias_type: s.alias.0,
                primary: s.alias.1,
                low_quality: s.alias.2,
                status: id(b"DocNameStatusID").unwrap_or(1),
                parts: Vec::new(),
            });
        }
        b"NamePartValue" => {
            *s.part_attrs = (id(b"NamePartGroupID").unwrap_or(0), id(b"ScriptID").unwrap_or(0))
        }
        b"NamePartGroup" => {
            if let (Some(g), Some(t)) = (id(b"ID"), id(b"NamePartTypeID")) {
                s.group_types.insert(g, t);
            }
        }
        b"Feature" if s.party.is_some() => {
            *s.feature =
                Some(PendingFeature { type_id: id(b"FeatureTypeID").unwrap_or(0), ..Default::default() });
        }
        b"VersionDetail" => {
            if let (Some(f), Some(r)) = (s.feature.as_mut(), id(b"DetailReferenceID")) {
                f.detail_reference = Some(r);
            }
        }
        b"VersionLocation" => {
            if let (Some(f), Some(l)) = (s.feature.as_mut(), id(b"LocationID")) {
                f.location = Some(l);
            }
        }
        b"DatePeriod" => {
            if let Some(f) = s.feature.as_mut() {
                f.has_period = true;
            }
        }
        b"Start" | b"End" => {
            *s.period_half = if tag == b"Start" { 0 } else { 2 };
            if let Some(f) = s.feature.as_mut() {
                f.approximate |= flag(b"Approximate");
            }
        }
        b"From" | b"To" if s.feature.is_some() => {
            *s.slot = DateSlot::Period(*s.period_half + usize::from(tag == b"To"));
        }
        b"SanctionsEntry" => {
            *s.entry = Some(PendingEntry {
                profile: id(b"ProfileID").unwrap_or(0),
                list_id: id(b"ListID").unwrap_or(0),
                ..Default::default()
            });
        }
        b"SanctionsMeasure" => {
            if let Some(e) = s.entry.as_mut() {
                // SanctionsType 1 is "Program": its comment names the programme.
                e.measure_type = u64::from(id(b"SanctionsTypeID") == Some(1));
            }
        }
        b"Date" if s.entry.is_some() => *s.slot = DateSlot::EntryDate,
        _ => {}
    }
}

fn apply_location_part(address: &mut PostalAddress, part: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let append = |slot: &mut Option<String>| match slot {
        Some(existing) => {
            existing.push_str(", ");
            existing.push_str(value);
        }
        None => *slot = Some(value.to_owned()),
    };
    match part {
        "CITY" => append(&mut address.city),
        "STATE/PROVINCE" | "REGION" => append(&mut address.region),
        "POSTAL CODE" => append(&mut address.postal_code),
        _ => append(&mut address.street),
    }
}

fn resolve_location(refs: &References, address: &PostalAddress) -> PostalAddress {
    let mut address = address.clone();
    if let Some(country) = address.country.take() {
        address.country =
            country.name.strip_prefix('#').and_then(|id| id.parse().ok()).and_then(|id| refs.country(id));
    }
    address
}

/// Order of name parts when building a display name: given names first, family names last.
fn part_rank(part_type: &str) -> u8 {
    match part_type {
        "First Name" => 0,
        "Middle Name" => 1,
        "Patronymic" | "Matronymic" => 2,
        "Nickname" => 3,
        "Last Name" => 4,
        "Maiden Name" => 5,
        _ => 3,
    }
}

fn add_name(entity: &mut SanctionsEntity, name: PendingName, groups: &HashMap<u64, u64>, refs: &References) {
    let mut parts: Vec<(u8, &str)> = name
        .parts
        .iter()
        .map(|(group, _, text)| {
            let part_type = groups.get(group).and_then(|t| refs.get(b"NamePartType", *t)).unwrap_or("");
            (part_rank(part_type), text.as_str())
        })
        .filter(|(_, t)| !t.is_empty())
        .collect();
    parts.sort_by_key(|(rank, _)| *rank);
    let full_name = parts.iter().map(|(_, t)| *t).collect::<Vec<_>>().join(" ");
    let script = name
        .parts
        .first()
        .and_then(|(_, script, _)| refs.get(b"Script", *script))
        .filter(|s| *s != "Latin")
        .map(str::to_owned);
    let alias_type = refs.get(b"AliasType", name.alias_type).unwrap_or("");
    let kind = match alias_type {
        _ if name.primary && name.status == 1 => NameKind::Primary,
        _ if name.primary => NameKind::Variant,
        "F.K.A." => NameKind::FormerName,
        "N.K.A." => NameKind::NowKnownAs,
        _ => NameKind::Alias,
    };
    let strength = if name.low_quality { AliasStrength::Weak } else { AliasStrength::Strong };
    let entry = EntityName { full_name, kind, strength, script };
    if kind == NameKind::Primary {
        if !entity.names.iter().any(|n| n.full_name == entry.full_name) && !entry.full_name.is_empty() {
            entity.names.insert(0, entry);
        }
    } else {
        entity.push_name(entry);
    }
}

fn bound_date(b: DateBound) -> Option<PartialDate> {
    Some(PartialDate { year: b.year?, month: b.month, day: b.month.and(b.day) })
}

/// Turn a `DatePeriod` (earliest = Start.From, latest = End.To) into a [`BirthDate`], reducing
/// whole-year and whole-month ranges to partial dates.
fn period_to_birth_date(f: &PendingFeature) -> Option<BirthDate> {
    let from = bound_date(f.period[0]).or_else(|| bound_date(f.period[2]))?;
    let to = bound_date(f.period[3]).or_else(|| bound_date(f.period[1])).unwrap_or(from);
    let whole_years = from.month.unwrap_or(1) == 1
        && from.day.unwrap_or(1) == 1
        && to.month.unwrap_or(12) == 12
        && to.day.unwrap_or(31) == 31;
    let (from, to) = if from == to {
        (from, to)
    } else if whole_years {
        (PartialDate::year(from.year), PartialDate::year(to.year))
    } else if from.year == to.year
        && from.month == to.month
        && from.day.unwrap_or(1) == 1
        && to.day.unwrap_or(31) >= 28
    {
        let month = PartialDate { year: from.year, month: from.month, day: None };
        (month, month)
    } else {
        (from, to)
    };
    Some(BirthDate { from, to, approximate: f.approximate })
}

fn apply_feature(
    entity: &mut SanctionsEntity,
    f: PendingFeature,
    refs: &References,
    locations: &HashMap<u64, PostalAddress>,
) {
    let Some(feature_type) = refs.get(b"FeatureType", f.type_id) else {
        return;
    };
    if let Some(currency) = feature_type.strip_prefix("Digital Currency Address - ") {
        if let Some(address) = &f.text {
            entity.push_crypto(currency, address);
        }
        return;
    }
    let location_country = || {
        f.location.and_then(|l| locations.get(&l)).map(|a| resolve_location(refs, a)).and_then(|a| a.country)
    };
    match feature_type {
        "Birthdate" if f.has_period => {
            if let Some(date) = period_to_birth_date(&f) {
                if !entity.birth_dates.contains(&date) {
                    entity.birth_dates.push(date);
                }
            }
        }
        "Nationality Country" | "Citizenship Country" => {
            let role = if feature_type.starts_with("Nationality") {
                CountryRole::Nationality
            } else {
                CountryRole::Citizenship
            };
            let country = location_country().or_else(|| f.text.as_deref().map(Country::from_text));
            if let Some(country) = country {
                if !entity.countries.iter().any(|c| c.role == role && c.country == country) {
                    entity.countries.push(crate::model::CountryLink { country, role });
                }
            }
        }
        "Place of Birth" => {
            if let Some(place) = &f.text {
                if let Some(last) = place.rsplit(',').next() {
                    if crate::countries::iso2(last).is_some() {
                        entity.push_country(last, CountryRole::Birth);
                    }
                }
            }
        }
        "Vessel Flag" => {
            if let Some(flag) = &f.text {
                entity.push_country(flag, CountryRole::Location);
            }
        }
        "Gender" => {
            entity.gender =
                f.detail_reference.and_then(|r| refs.get(b"DetailReference", r)).and_then(Gender::parse);
        }
        "Location" => {
            if let Some(address) = f.location.and_then(|l| locations.get(&l)) {
                let address = resolve_location(refs, address);
                if !address.is_empty() && !entity.addresses.contains(&address) {
                    if let Some(country) = &address.country {
                        let link = crate::model::CountryLink {
                            country: country.clone(),
                            role: CountryRole::Location,
                        };
                        if !entity.countries.contains(&link) {
                            entity.countries.push(link);
                        }
                    }
                    entity.addresses.push(address);
                }
            }
        }
        _ => {
            // Identifiers published as features (IMO, SWIFT/BIC, registration numbers…).
            if let Some(text) = &f.text {
                if is_identifier_feature(feature_type) {
                    entity.documents.push(IdentityDocument {
                        kind: feature_type.to_owned(),
                        number: text.clone(),
                        country: None,
                    });
                }
            }
        }
    }
}

fn is_identifier_feature(feature_type: &str) -> bool {
    matches!(
        feature_type,
        "SWIFT/BIC"
            | "Vessel Registration Identification"
            | "Aircraft Tail Number"
            | "Aircraft Manufacturer's Serial Number (MSN)"
            | "ISIN"
            | "D-U-N-S Number"
            | "MMSI"
            | "Vessel Call Sign"
    )
}
