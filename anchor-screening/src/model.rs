//! The normalised entity model every parser produces.

use std::fmt;

/// Which official (or anchor-maintained) list a record comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum SourceList {
    /// OFAC Specially Designated Nationals and Blocked Persons list.
    OfacSdn,
    /// OFAC Consolidated (non-SDN) sanctions list.
    OfacConsolidated,
    /// UN Security Council Consolidated List.
    UnSecurityCouncil,
    /// UK Sanctions List (FCDO).
    UkSanctionsList,
    /// EU Financial Sanctions File (consolidated list).
    EuFinancialSanctions,
    /// A list the anchor maintains itself (internal blocklist, addresses from other sources).
    Custom(String),
}

impl SourceList {
    /// A short, stable identifier (`ofac-sdn`, `ofac-cons`, `un`, `uk`, `eu`, `custom:<name>`).
    pub fn code(&self) -> String {
        match self {
            Self::OfacSdn => "ofac-sdn".into(),
            Self::OfacConsolidated => "ofac-cons".into(),
            Self::UnSecurityCouncil => "un".into(),
            Self::UkSanctionsList => "uk".into(),
            Self::EuFinancialSanctions => "eu".into(),
            Self::Custom(name) => format!("custom:{name}"),
        }
    }
}

impl fmt::Display for SourceList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// What kind of party a record designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum EntityKind {
    /// A natural person.
    Person,
    /// A company, organisation, group or other legal entity.
    Organization,
    /// A ship.
    Vessel,
    /// An aircraft.
    Aircraft,
}

/// The role a name plays for its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum NameKind {
    /// The list's primary name.
    Primary,
    /// "Also known as".
    Alias,
    /// "Formerly known as".
    FormerName,
    /// "Now known as".
    NowKnownAs,
    /// The primary name written in another script or spelling (UK "primary name variation",
    /// OFAC non-Latin documented names, UN `NAME_ORIGINAL_SCRIPT`).
    Variant,
}

/// How reliable the list publisher says an alias is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AliasStrength {
    /// A strong (good-quality) name.
    Strong,
    /// A weak or low-quality alias (OFAC `LowQuality`, UN "Low", EU `strong="false"`).
    Weak,
}

/// One name of a listed entity, as published.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct EntityName {
    /// The full name exactly as written in the list (original script kept).
    pub full_name: String,
    /// Primary, alias, former name…
    pub kind: NameKind,
    /// Strong or weak.
    pub strength: AliasStrength,
    /// The script when the list states it or it is not Latin (`"Cyrillic"`, `"Arabic"`…).
    pub script: Option<String>,
}

impl EntityName {
    /// A strong name of the given kind.
    pub fn new(full_name: impl Into<String>, kind: NameKind) -> Self {
        Self { full_name: full_name.into(), kind, strength: AliasStrength::Strong, script: None }
    }
}

/// A calendar date that may be known only to the year or month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct PartialDate {
    /// Year (four digits).
    pub year: u16,
    /// Month 1–12 when known.
    pub month: Option<u8>,
    /// Day 1–31 when known (only with a month).
    pub day: Option<u8>,
}

impl PartialDate {
    /// A year-only date.
    pub fn year(year: u16) -> Self {
        Self { year, month: None, day: None }
    }

    /// A full date; month and day are not range-checked beyond 1–12 / 1–31.
    pub fn ymd(year: u16, month: u8, day: u8) -> Self {
        Self { year, month: Some(month), day: Some(day) }
    }

    /// Parse `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (also with `/`), `DD/MM/YYYY`, `DD-MM-YYYY` and
    /// OFAC's `DD Mon YYYY` / `Mon YYYY`; `00` day or month placeholders mean "unknown".
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let parts: Vec<&str> = text.split(['-', '/', '.', ' ']).filter(|p| !p.is_empty()).collect();
        let num = |s: &str| s.parse::<u32>().ok();
        let build = |y: u32, m: Option<u32>, d: Option<u32>| -> Option<Self> {
            if !(1000..=2999).contains(&y) {
                return None;
            }
            let m = m.filter(|m| (1..=12).contains(m));
            let d = if m.is_some() { d.filter(|d| (1..=31).contains(d)) } else { None };
            Some(Self { year: y as u16, month: m.map(|m| m as u8), day: d.map(|d| d as u8) })
        };
        match parts.as_slice() {
            [y] => build(num(y)?, None, None),
            [a, b] => {
                if let Some(m) = month_from_name(a) {
                    return build(num(b)?, Some(m), None);
                }
                if a.len() == 4 {
                    build(num(a)?, num(b), None)
                } else {
                    build(num(b)?, num(a), None)
                }
            }
            [a, b, c] => {
                if let Some(m) = month_from_name(b) {
                    return build(num(c)?, Some(m), num(a));
                }
                if a.len() == 4 {
                    build(num(a)?, num(b), num(c))
                } else {
                    build(num(c)?, num(b), num(a))
                }
            }
            _ => None,
        }
    }

    /// Earliest and latest day covered, as `(year, month, day)` tuples.
    pub(crate) fn bounds(&self) -> ((u16, u8, u8), (u16, u8, u8)) {
        match (self.month, self.day) {
            (Some(m), Some(d)) => ((self.year, m, d), (self.year, m, d)),
            (Some(m), None) => ((self.year, m, 1), (self.year, m, 31)),
            _ => ((self.year, 1, 1), (self.year, 12, 31)),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.month, self.day) {
            (Some(m), Some(d)) => write!(f, "{:04}-{m:02}-{d:02}", self.year),
            (Some(m), None) => write!(f, "{:04}-{m:02}", self.year),
            _ => write!(f, "{:04}", self.year),
        }
    }
}

fn month_from_name(s: &str) -> Option<u32> {
    const MONTHS: [&str; 12] =
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let lower = s.to_ascii_lowercase();
    let prefix = lower.get(..3)?;
    MONTHS.iter().position(|m| *m == prefix).map(|i| i as u32 + 1)
}

/// A date of birth as published: a single (possibly partial) date or a range, possibly approximate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct BirthDate {
    /// Earliest possible date.
    pub from: PartialDate,
    /// Latest possible date (equal to `from` for a single date).
    pub to: PartialDate,
    /// "circa" / "approximately": compare with one year of slack on either side.
    pub approximate: bool,
}

impl BirthDate {
    /// A single (possibly partial) date.
    pub fn on(date: PartialDate) -> Self {
        Self { from: date, to: date, approximate: false }
    }
}

/// A country as published, with its ISO 3166 alpha-2 code when it could be resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code (upper case) when known.
    pub iso2: Option<String>,
    /// The name as written in the list.
    pub name: String,
}

impl Country {
    /// Resolve a country name or ISO code as written in a list or a customer record.
    pub fn from_text(text: &str) -> Self {
        Self { iso2: crate::countries::iso2(text).map(str::to_owned), name: text.trim().to_owned() }
    }
}

/// Why a country is linked to an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CountryRole {
    /// Nationality.
    Nationality,
    /// Citizenship.
    Citizenship,
    /// Country of birth.
    Birth,
    /// Country of an address, registration or flag.
    Location,
}

/// A country linked to an entity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CountryLink {
    /// The country.
    pub country: Country,
    /// Its role.
    pub role: CountryRole,
}

/// Gender as published for persons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Gender {
    /// Male.
    Male,
    /// Female.
    Female,
}

impl Gender {
    /// Parse "male"/"m"/"female"/"f" in any case.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "male" | "m" => Some(Self::Male),
            "female" | "f" => Some(Self::Female),
            _ => None,
        }
    }
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PostalAddress {
    /// Street lines, joined with ", ".
    pub street: Option<String>,
    /// City or town.
    pub city: Option<String>,
    /// State, province or region.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Country.
    pub country: Option<Country>,
}

impl PostalAddress {
    pub(crate) fn is_empty(&self) -> bool {
        self.street.is_none()
            && self.city.is_none()
            && self.region.is_none()
            && self.postal_code.is_none()
            && self.country.is_none()
    }
}

/// An identity or registration document (passport, national ID, company number, IMO…).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct IdentityDocument {
    /// The document type as published ("Passport", "National ID No.", "IMO"…).
    pub kind: String,
    /// The number as published.
    pub number: String,
    /// Issuing country, when given.
    pub country: Option<Country>,
}

/// A digital-currency address listed for an entity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CryptoAddress {
    /// Currency code as published after `Digital Currency Address - ` (`XBT`, `ETH`, `XLM`…).
    pub currency: String,
    /// The address exactly as published.
    pub address: String,
}

/// One listed person, organisation, vessel or aircraft, normalised from any list format.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SanctionsEntity {
    /// The list it comes from.
    pub list: SourceList,
    /// The list's own identifier (OFAC `FixedRef`/`ent_num`, UN reference number, UK Unique ID,
    /// EU logical id).
    pub source_id: String,
    /// Person, organisation, vessel or aircraft.
    pub kind: EntityKind,
    /// All names; the first one is the primary name.
    pub names: Vec<EntityName>,
    /// Dates of birth (persons) — several are common.
    pub birth_dates: Vec<BirthDate>,
    /// Nationalities, citizenships and other linked countries.
    pub countries: Vec<CountryLink>,
    /// Gender, when published.
    pub gender: Option<Gender>,
    /// Addresses.
    pub addresses: Vec<PostalAddress>,
    /// Identity and registration documents.
    pub documents: Vec<IdentityDocument>,
    /// Digital-currency addresses.
    pub crypto_addresses: Vec<CryptoAddress>,
    /// Sanctions programmes / regimes (`SDGT`, `RUSSIA-EO14024`, `Al-Qaida`…).
    pub programs: Vec<String>,
    /// Date of listing, when published.
    pub listed_on: Option<PartialDate>,
    /// UN reference number (`QDi.430`), the link between UN, EU and UK records of one party.
    pub un_reference: Option<String>,
}

impl SanctionsEntity {
    /// An entity with only a primary name; the other fields are empty.
    pub fn new(
        list: SourceList,
        source_id: impl Into<String>,
        kind: EntityKind,
        primary_name: impl Into<String>,
    ) -> Self {
        Self {
            list,
            source_id: source_id.into(),
            kind,
            names: vec![EntityName::new(primary_name, NameKind::Primary)],
            birth_dates: Vec::new(),
            countries: Vec::new(),
            gender: None,
            addresses: Vec::new(),
            documents: Vec::new(),
            crypto_addresses: Vec::new(),
            programs: Vec::new(),
            listed_on: None,
            un_reference: None,
        }
    }

    /// The primary name (the first name; empty if the record has none).
    pub fn primary_name(&self) -> &str {
        self.names.first().map(|n| n.full_name.as_str()).unwrap_or("")
    }

    /// Add a name unless the same text is already present (case-sensitive).
    pub(crate) fn push_name(&mut self, name: EntityName) {
        if name.full_name.trim().is_empty() || self.names.iter().any(|n| n.full_name == name.full_name) {
            return;
        }
        self.names.push(name);
    }

    /// Adds a country (a name or an ISO code, resolved to its code where known) in `role`, once.
    pub fn push_country(&mut self, text: &str, role: CountryRole) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let country = Country::from_text(text);
        if !self.countries.iter().any(|c| c.role == role && c.country == country) {
            self.countries.push(CountryLink { country, role });
        }
    }

    pub(crate) fn push_crypto(&mut self, currency: &str, address: &str) {
        let (currency, address) = (currency.trim(), address.trim());
        if currency.is_empty() || address.is_empty() {
            return;
        }
        let item = CryptoAddress { currency: currency.to_owned(), address: address.to_owned() };
        if !self.crypto_addresses.contains(&item) {
            self.crypto_addresses.push(item);
        }
    }

    /// Adds a sanctions programme or regime (`SDGT`, `IRAN`), once.
    pub fn push_program(&mut self, program: &str) {
        let program = program.trim();
        if !program.is_empty() && !self.programs.iter().any(|p| p == program) {
            self.programs.push(program.to_owned());
        }
    }
}

/// One parsed list file: its publication date and all its records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SanctionsList {
    /// The list.
    pub list: SourceList,
    /// Publication date stated inside the file, when the format has one.
    pub published: Option<PartialDate>,
    /// All records, in file order.
    pub entities: Vec<SanctionsEntity>,
    /// Records skipped because they were unusable (no name, wrong field count in mid-file);
    /// reported so an import can refuse a suspicious file.
    pub skipped_records: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dates_from_every_list_format() {
        assert_eq!(PartialDate::parse("1962"), Some(PartialDate::year(1962)));
        assert_eq!(PartialDate::parse("1960-06-29"), Some(PartialDate::ymd(1960, 6, 29)));
        assert_eq!(PartialDate::parse("23 Nov 1962"), Some(PartialDate::ymd(1962, 11, 23)));
        assert_eq!(
            PartialDate::parse("Nov 1962"),
            Some(PartialDate { year: 1962, month: Some(11), day: None })
        );
        assert_eq!(PartialDate::parse("29-06-2012"), Some(PartialDate::ymd(2012, 6, 29)));
        assert_eq!(
            PartialDate::parse("00/05/1970"),
            Some(PartialDate { year: 1970, month: Some(5), day: None })
        );
        assert_eq!(PartialDate::parse("00/00/1970"), Some(PartialDate::year(1970)));
        assert_eq!(PartialDate::parse("not a date"), None);
        assert_eq!(PartialDate::parse("12"), None);
        assert_eq!(PartialDate::ymd(1962, 1, 5).to_string(), "1962-01-05");
    }

    #[test]
    fn countries_and_genders_resolve() {
        assert_eq!(Country::from_text("Russian Federation").iso2.as_deref(), Some("RU"));
        assert_eq!(Country::from_text("Narnia").iso2, None);
        assert_eq!(Gender::parse("FEMALE"), Some(Gender::Female));
        assert_eq!(Gender::parse("unknown"), None);
    }
}
