//! The SEP-9 standard KYC fields: the complete catalogue (v1.18: natural person, financial account,
//! organization, card), each with its SEP-12 wire type and validation rule, and [`Sep9Fields`],
//! a set of validated values. Names are flat strings: `organization.name` is one name.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use super::countries;
use crate::sensitive::Sensitive;

/// The SEP-12 `type` of a field object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sep9Type {
    /// `string`
    String,
    /// `binary`: a file (multipart part or `<field>_file_id`).
    Binary,
    /// `number`
    Number,
    /// `date`
    Date,
}

impl Sep9Type {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Sep9Type::String => "string",
            Sep9Type::Binary => "binary",
            Sep9Type::Number => "number",
            Sep9Type::Date => "date",
        }
    }
}

/// How a field's value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// One line of printable text.
    Line,
    /// Printable text; line breaks allowed (addresses).
    Multiline,
    /// `YYYY-MM-DD`, a real calendar date.
    Date,
    /// `YY-MM` (`card.expiration_date`).
    CardExpiry,
    /// A non-negative whole number.
    Number,
    /// An ISCO-08 occupation code (3 or 4 digits).
    Isco,
    /// ISO 3166-1 alpha-3 country code.
    Country3,
    /// ISO 3166-1 alpha-2 country code.
    Country2,
    /// An email address.
    Email,
    /// E.164 phone number (`+` and 7–15 digits).
    Phone,
    /// ISO 639-1 language code.
    Language,
    /// An IPv4 or IPv6 address.
    Ip,
    /// Digits only, with a length range (card numbers, CVC).
    Digits(usize, usize),
    /// One of a fixed list.
    Choice(&'static [&'static str]),
    /// A file.
    Binary,
}

/// The longest text value accepted, in characters (names: [`MAX_NAME_CHARS`]).
pub const MAX_TEXT_CHARS: usize = 2000;

/// The longest value of a name field, in characters (any script): `first_name`, `last_name`,
/// `additional_name`, `card.holder_name`, `organization.name`, `organization.director_name`,
/// `organization.shareholder_name` and `employer_name`. Names are screened against sanctions
/// lists, so their size bounds the screening's cost; no listed name comes near it.
pub const MAX_NAME_CHARS: usize = 256;

macro_rules! sep9_catalogue {
    ($( $variant:ident = $name:literal $(| $synonym:literal)* => $rule:expr ),+ $(,)?) => {
        /// A SEP-9 field. [`Sep9Field::ALL`] is the complete catalogue.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Sep9Field {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )+
        }

        impl Sep9Field {
            /// Every SEP-9 field, in catalogue order.
            pub const ALL: &'static [Sep9Field] = &[$(Sep9Field::$variant),+];

            /// The canonical SEP-9 name (`first_name`, `organization.VAT_number`, …).
            pub fn name(self) -> &'static str {
                match self {
                    $(Sep9Field::$variant => $name,)+
                }
            }

            /// Looks a name up, accepting the SEP-9 synonyms (`given_name` is `first_name`,
            /// `family_name` is `last_name`). Names are case-sensitive, as SEP-9 writes them.
            pub fn from_name(name: &str) -> Option<Sep9Field> {
                match name {
                    $($name $(| $synonym)* => Some(Sep9Field::$variant),)+
                    _ => None,
                }
            }

            fn rule(self) -> Rule {
                match self {
                    $(Sep9Field::$variant => $rule,)+
                }
            }
        }
    };
}

const SEX: &[&str] = &["male", "female", "other"];
const BANK_ACCOUNT_TYPE: &[&str] = &["checking", "savings"];

sep9_catalogue! {
    // Natural person.
    LastName = "last_name" | "family_name" => Rule::Line,
    FirstName = "first_name" | "given_name" => Rule::Line,
    AdditionalName = "additional_name" => Rule::Line,
    AddressCountryCode = "address_country_code" => Rule::Country3,
    StateOrProvince = "state_or_province" => Rule::Line,
    City = "city" => Rule::Line,
    PostalCode = "postal_code" => Rule::Line,
    Address = "address" => Rule::Multiline,
    MobileNumber = "mobile_number" => Rule::Phone,
    MobileNumberFormat = "mobile_number_format" => Rule::Line,
    EmailAddress = "email_address" => Rule::Email,
    BirthDate = "birth_date" => Rule::Date,
    BirthPlace = "birth_place" => Rule::Line,
    BirthCountryCode = "birth_country_code" => Rule::Country3,
    TaxId = "tax_id" => Rule::Line,
    TaxIdName = "tax_id_name" => Rule::Line,
    Occupation = "occupation" => Rule::Isco,
    EmployerName = "employer_name" => Rule::Line,
    EmployerAddress = "employer_address" => Rule::Multiline,
    LanguageCode = "language_code" => Rule::Language,
    IdType = "id_type" => Rule::Line,
    IdCountryCode = "id_country_code" => Rule::Country3,
    IdIssueDate = "id_issue_date" => Rule::Date,
    IdExpirationDate = "id_expiration_date" => Rule::Date,
    IdNumber = "id_number" => Rule::Line,
    PhotoIdFront = "photo_id_front" => Rule::Binary,
    PhotoIdBack = "photo_id_back" => Rule::Binary,
    NotaryApprovalOfPhotoId = "notary_approval_of_photo_id" => Rule::Binary,
    IpAddress = "ip_address" => Rule::Ip,
    PhotoProofResidence = "photo_proof_residence" => Rule::Binary,
    Sex = "sex" => Rule::Choice(SEX),
    ProofOfIncome = "proof_of_income" => Rule::Binary,
    ProofOfLiveness = "proof_of_liveness" => Rule::Binary,
    ReferralId = "referral_id" => Rule::Line,
    // Financial account.
    BankName = "bank_name" => Rule::Line,
    BankAccountType = "bank_account_type" => Rule::Choice(BANK_ACCOUNT_TYPE),
    BankAccountNumber = "bank_account_number" => Rule::Line,
    BankNumber = "bank_number" => Rule::Line,
    BankPhoneNumber = "bank_phone_number" => Rule::Line,
    BankBranchNumber = "bank_branch_number" => Rule::Line,
    ExternalTransferMemo = "external_transfer_memo" => Rule::Line,
    ClabeNumber = "clabe_number" => Rule::Line,
    CbuNumber = "cbu_number" => Rule::Line,
    CbuAlias = "cbu_alias" => Rule::Line,
    MobileMoneyNumber = "mobile_money_number" => Rule::Phone,
    MobileMoneyProvider = "mobile_money_provider" => Rule::Line,
    CryptoAddress = "crypto_address" => Rule::Line,
    CryptoMemo = "crypto_memo" => Rule::Line,
    // Financial account of an organization.
    OrganizationBankName = "organization.bank_name" => Rule::Line,
    OrganizationBankAccountType = "organization.bank_account_type" => Rule::Choice(BANK_ACCOUNT_TYPE),
    OrganizationBankAccountNumber = "organization.bank_account_number" => Rule::Line,
    OrganizationBankNumber = "organization.bank_number" => Rule::Line,
    OrganizationBankPhoneNumber = "organization.bank_phone_number" => Rule::Line,
    OrganizationBankBranchNumber = "organization.bank_branch_number" => Rule::Line,
    OrganizationExternalTransferMemo = "organization.external_transfer_memo" => Rule::Line,
    OrganizationClabeNumber = "organization.clabe_number" => Rule::Line,
    OrganizationCbuNumber = "organization.cbu_number" => Rule::Line,
    OrganizationCbuAlias = "organization.cbu_alias" => Rule::Line,
    OrganizationMobileMoneyNumber = "organization.mobile_money_number" => Rule::Phone,
    OrganizationMobileMoneyProvider = "organization.mobile_money_provider" => Rule::Line,
    OrganizationCryptoAddress = "organization.crypto_address" => Rule::Line,
    OrganizationCryptoMemo = "organization.crypto_memo" => Rule::Line,
    // Organization.
    OrganizationName = "organization.name" => Rule::Line,
    OrganizationVatNumber = "organization.VAT_number" => Rule::Line,
    OrganizationRegistrationNumber = "organization.registration_number" => Rule::Line,
    OrganizationRegistrationDate = "organization.registration_date" => Rule::Line,
    OrganizationRegisteredAddress = "organization.registered_address" => Rule::Multiline,
    OrganizationNumberOfShareholders = "organization.number_of_shareholders" => Rule::Number,
    OrganizationShareholderName = "organization.shareholder_name" => Rule::Line,
    OrganizationPhotoIncorporationDoc = "organization.photo_incorporation_doc" => Rule::Binary,
    OrganizationPhotoProofAddress = "organization.photo_proof_address" => Rule::Binary,
    OrganizationAddressCountryCode = "organization.address_country_code" => Rule::Country3,
    OrganizationStateOrProvince = "organization.state_or_province" => Rule::Line,
    OrganizationCity = "organization.city" => Rule::Line,
    OrganizationPostalCode = "organization.postal_code" => Rule::Line,
    OrganizationDirectorName = "organization.director_name" => Rule::Line,
    OrganizationWebsite = "organization.website" => Rule::Line,
    OrganizationEmail = "organization.email" => Rule::Email,
    OrganizationPhone = "organization.phone" => Rule::Line,
    // Card.
    CardNumber = "card.number" => Rule::Digits(12, 19),
    CardExpirationDate = "card.expiration_date" => Rule::CardExpiry,
    CardCvc = "card.cvc" => Rule::Digits(3, 4),
    CardHolderName = "card.holder_name" => Rule::Line,
    CardNetwork = "card.network" => Rule::Line,
    CardPostalCode = "card.postal_code" => Rule::Line,
    CardCountryCode = "card.country_code" => Rule::Country2,
    CardStateOrProvince = "card.state_or_province" => Rule::Line,
    CardCity = "card.city" => Rule::Line,
    CardAddress = "card.address" => Rule::Multiline,
    CardToken = "card.token" => Rule::Line,
}

impl Sep9Field {
    /// The SEP-12 wire type of the field.
    pub fn field_type(self) -> Sep9Type {
        match self.rule() {
            Rule::Binary => Sep9Type::Binary,
            Rule::Date | Rule::CardExpiry => Sep9Type::Date,
            Rule::Number | Rule::Isco => Sep9Type::Number,
            _ => Sep9Type::String,
        }
    }

    /// Whether values are files.
    pub fn is_binary(self) -> bool {
        self.rule() == Rule::Binary
    }

    /// Whether values are numbers (a JSON number is accepted for them).
    pub fn is_number(self) -> bool {
        self.field_type() == Sep9Type::Number
    }

    /// The longest value accepted, in characters: [`MAX_NAME_CHARS`] for names,
    /// [`MAX_TEXT_CHARS`] for every other text.
    pub fn max_chars(self) -> usize {
        match self {
            Sep9Field::FirstName
            | Sep9Field::LastName
            | Sep9Field::AdditionalName
            | Sep9Field::CardHolderName
            | Sep9Field::OrganizationName
            | Sep9Field::OrganizationDirectorName
            | Sep9Field::OrganizationShareholderName
            | Sep9Field::EmployerName => MAX_NAME_CHARS,
            _ => MAX_TEXT_CHARS,
        }
    }

    /// The allowed values, when SEP-9 fixes them (`sex`, `bank_account_type`).
    pub fn choices(self) -> &'static [&'static str] {
        match self.rule() {
            Rule::Choice(choices) => choices,
            _ => &[],
        }
    }
}

impl fmt::Display for Sep9Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a SEP-9 value was refused. The message names the field and the rule, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Sep9Error {
    /// Not a SEP-9 name.
    #[error("unknown field `{0}`: not a SEP-9 field name")]
    UnknownField(String),
    /// The value breaks the field's rule.
    #[error("field `{field}` {problem}")]
    Invalid {
        /// The field.
        field: Sep9Field,
        /// What is wrong, e.g. "must be a date YYYY-MM-DD".
        problem: String,
    },
    /// The field was given twice (also through a synonym).
    #[error("field `{0}` is given more than once")]
    Duplicate(Sep9Field),
}

fn invalid(field: Sep9Field, problem: impl Into<String>) -> Sep9Error {
    Sep9Error::Invalid { field, problem: problem.into() }
}

/// An uploaded file, stored by the framework (`POST /customer/files` or a multipart part).
#[derive(Clone, PartialEq, Eq)]
pub struct Sep9File {
    /// The framework's file id (`file_id` of `POST /customer/files`).
    pub file_id: String,
    /// The checked media type (`image/jpeg`, …).
    pub content_type: String,
    /// The bytes.
    pub bytes: Sensitive<Vec<u8>>,
}

impl fmt::Debug for Sep9File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sep9File")
            .field("file_id", &self.file_id)
            .field("content_type", &self.content_type)
            .field("size", &self.bytes.expose().len())
            .finish()
    }
}

/// A validated SEP-9 value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sep9Value {
    /// A text, date (`YYYY-MM-DD`) or number value, already checked against the field's rule.
    Text(Sensitive<String>),
    /// A file.
    File(Sep9File),
}

/// Validated SEP-9 values by field. Every value went through its field's rule; personal data is
/// held in [`Sensitive`], so `Debug` shows field names only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sep9Fields {
    values: BTreeMap<Sep9Field, Sep9Value>,
}

impl Sep9Fields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates and adds a text value. A value of `mobile_number` is checked as E.164 unless a
    /// `mobile_number_format` other than `E.164` was inserted before it.
    pub fn insert_text(&mut self, field: Sep9Field, value: &str) -> Result<(), Sep9Error> {
        if self.values.contains_key(&field) {
            return Err(Sep9Error::Duplicate(field));
        }
        let normalised = self.check(field, value)?;
        self.values.insert(field, Sep9Value::Text(Sensitive::new(normalised)));
        Ok(())
    }

    /// Adds a file to a binary field.
    pub fn insert_file(&mut self, field: Sep9Field, file: Sep9File) -> Result<(), Sep9Error> {
        if !field.is_binary() {
            return Err(invalid(field, format!("is of type `{}`, not a file", field.field_type().as_str())));
        }
        if self.values.contains_key(&field) {
            return Err(Sep9Error::Duplicate(field));
        }
        self.values.insert(field, Sep9Value::File(file));
        Ok(())
    }

    /// The value of `field`.
    pub fn get(&self, field: Sep9Field) -> Option<&Sep9Value> {
        self.values.get(&field)
    }

    /// The text of `field` (text, date and number fields).
    pub fn text(&self, field: Sep9Field) -> Option<&str> {
        match self.values.get(&field)? {
            Sep9Value::Text(text) => Some(text.expose().as_str()),
            Sep9Value::File(_) => None,
        }
    }

    /// The date of a `date` field other than `card.expiration_date`.
    pub fn date(&self, field: Sep9Field) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(self.text(field)?, "%Y-%m-%d").ok()
    }

    /// The file of a binary field.
    pub fn file(&self, field: Sep9Field) -> Option<&Sep9File> {
        match self.values.get(&field)? {
            Sep9Value::File(file) => Some(file),
            Sep9Value::Text(_) => None,
        }
    }

    /// Whether `field` has a value.
    pub fn contains(&self, field: Sep9Field) -> bool {
        self.values.contains_key(&field)
    }

    /// The fields with a value and their values, in catalogue order.
    pub fn iter(&self) -> impl Iterator<Item = (Sep9Field, &Sep9Value)> {
        self.values.iter().map(|(field, value)| (*field, value))
    }

    /// The fields with a value.
    pub fn names(&self) -> impl Iterator<Item = Sep9Field> + '_ {
        self.values.keys().copied()
    }

    /// How many fields have a value.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no field has a value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn check(&self, field: Sep9Field, value: &str) -> Result<String, Sep9Error> {
        if value.trim().is_empty() {
            return Err(invalid(field, "must not be empty"));
        }
        let max = field.max_chars();
        if value.chars().nth(max).is_some() {
            return Err(invalid(field, format!("is longer than {max} characters")));
        }
        let multiline = field.rule() == Rule::Multiline;
        if value.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
            return Err(invalid(field, "must not contain control characters"));
        }
        let value = value.trim();
        match field.rule() {
            Rule::Line | Rule::Multiline => Ok(value.to_string()),
            Rule::Binary => Err(invalid(
                field,
                "is a binary field: send it as a multipart file part or as `<field>_file_id`",
            )),
            Rule::Date => {
                let ok = value.len() == 10 && NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok();
                if ok {
                    Ok(value.to_string())
                } else {
                    Err(invalid(field, "must be a calendar date written YYYY-MM-DD"))
                }
            }
            Rule::CardExpiry => {
                let bytes = value.as_bytes();
                let month = value.get(3..5).and_then(|m| m.parse::<u8>().ok());
                let ok = bytes.len() == 5
                    && bytes[2] == b'-'
                    && bytes[..2].iter().all(u8::is_ascii_digit)
                    && bytes[3..].iter().all(u8::is_ascii_digit)
                    && matches!(month, Some(1..=12));
                if ok {
                    Ok(value.to_string())
                } else {
                    Err(invalid(field, "must be written YY-MM (e.g. 29-11)"))
                }
            }
            Rule::Number => match value.parse::<u64>() {
                Ok(number) => Ok(number.to_string()),
                Err(_) => Err(invalid(field, "must be a whole non-negative number")),
            },
            Rule::Isco => {
                if (3..=4).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(value.to_string())
                } else {
                    Err(invalid(field, "must be an ISCO-08 code of 3 or 4 digits"))
                }
            }
            Rule::Digits(min, max) => {
                let digits: String = value.chars().filter(|c| *c != ' ').collect();
                if (min..=max).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(digits)
                } else {
                    Err(invalid(field, format!("must be {min} to {max} digits")))
                }
            }
            Rule::Country3 => {
                let upper = value.to_ascii_uppercase();
                if countries::is_alpha3(&upper) {
                    Ok(upper)
                } else {
                    Err(invalid(field, "must be an ISO 3166-1 alpha-3 country code (e.g. USA)"))
                }
            }
            Rule::Country2 => {
                let upper = value.to_ascii_uppercase();
                if countries::is_alpha2(&upper) {
                    Ok(upper)
                } else {
                    Err(invalid(field, "must be an ISO 3166-1 alpha-2 country code (e.g. US)"))
                }
            }
            Rule::Email => {
                if is_email(value) {
                    Ok(value.to_string())
                } else {
                    Err(invalid(field, "must be an email address"))
                }
            }
            Rule::Phone => {
                let hashed = field == Sep9Field::MobileNumber
                    && self
                        .text(Sep9Field::MobileNumberFormat)
                        .is_some_and(|format| !format.eq_ignore_ascii_case("E.164"));
                if hashed || is_e164(value) {
                    Ok(value.to_string())
                } else {
                    Err(invalid(field, "must be an E.164 phone number (`+` and 7 to 15 digits)"))
                }
            }
            Rule::Language => {
                let lower = value.to_ascii_lowercase();
                if lower.len() == 2 && lower.bytes().all(|b| b.is_ascii_lowercase()) {
                    Ok(lower)
                } else {
                    Err(invalid(field, "must be an ISO 639-1 language code (two letters)"))
                }
            }
            Rule::Ip => match value.parse::<std::net::IpAddr>() {
                Ok(ip) => Ok(ip.to_string()),
                Err(_) => Err(invalid(field, "must be an IPv4 or IPv6 address")),
            },
            Rule::Choice(choices) => {
                let lower = value.to_ascii_lowercase();
                if choices.contains(&lower.as_str()) {
                    Ok(lower)
                } else {
                    Err(invalid(field, format!("must be one of: {}", choices.join(", "))))
                }
            }
        }
    }
}

fn is_e164(value: &str) -> bool {
    value.strip_prefix('+').is_some_and(|digits| {
        (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '<' | '>' | ',' | ';'));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = value.len() <= 254
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic));
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
    use super::*;

    #[test]
    fn names_round_trip_and_synonyms_map_to_one_field() {
        for field in Sep9Field::ALL {
            assert_eq!(Sep9Field::from_name(field.name()), Some(*field));
        }
        assert_eq!(Sep9Field::from_name("given_name"), Some(Sep9Field::FirstName));
        assert_eq!(Sep9Field::from_name("family_name"), Some(Sep9Field::LastName));
        assert_eq!(Sep9Field::from_name("organization.VAT_number"), Some(Sep9Field::OrganizationVatNumber));
        assert_eq!(Sep9Field::from_name("organization.vat_number"), None);
        assert_eq!(Sep9Field::from_name("favourite_colour"), None);
        assert_eq!(Sep9Field::ALL.len(), 90);
    }

    #[test]
    fn wire_types_follow_the_catalogue() {
        assert_eq!(Sep9Field::BirthDate.field_type(), Sep9Type::Date);
        assert_eq!(Sep9Field::CardExpirationDate.field_type(), Sep9Type::Date);
        assert_eq!(Sep9Field::OrganizationRegistrationDate.field_type(), Sep9Type::String);
        assert_eq!(Sep9Field::Occupation.field_type(), Sep9Type::Number);
        assert_eq!(Sep9Field::PhotoIdFront.field_type(), Sep9Type::Binary);
        assert_eq!(Sep9Field::Sex.choices(), &["male", "female", "other"]);
    }

    fn check(field: Sep9Field, value: &str) -> Result<String, Sep9Error> {
        let mut fields = Sep9Fields::new();
        fields.insert_text(field, value)?;
        Ok(fields.text(field).unwrap().to_string())
    }

    #[test]
    fn values_are_validated_and_normalised() {
        assert_eq!(check(Sep9Field::BirthDate, "1990-02-28").unwrap(), "1990-02-28");
        for bad in ["1990-02-30", "1990-2-28", "28/02/1990", "1990-02-28T00:00:00"] {
            let err = check(Sep9Field::BirthDate, bad).unwrap_err();
            assert!(err.to_string().contains("`birth_date`"), "{err}");
            assert!(!err.to_string().contains(bad), "the value is never echoed");
        }
        assert_eq!(check(Sep9Field::CardExpirationDate, "29-11").unwrap(), "29-11");
        assert!(check(Sep9Field::CardExpirationDate, "29-13").is_err());
        assert_eq!(check(Sep9Field::AddressCountryCode, "usa").unwrap(), "USA");
        assert!(check(Sep9Field::AddressCountryCode, "US").is_err());
        assert!(check(Sep9Field::AddressCountryCode, "XYZ").is_err());
        assert_eq!(check(Sep9Field::CardCountryCode, "de").unwrap(), "DE");
        assert!(check(Sep9Field::CardCountryCode, "DEU").is_err());
        assert!(check(Sep9Field::EmailAddress, "jane@example.com").is_ok());
        for bad in ["jane", "jane@", "@example.com", "jane@example", "ja ne@example.com"] {
            assert!(check(Sep9Field::EmailAddress, bad).is_err(), "{bad}");
        }
        assert!(check(Sep9Field::MobileNumber, "+14155550100").is_ok());
        assert!(check(Sep9Field::MobileNumber, "4155550100").is_err());
        assert_eq!(check(Sep9Field::Sex, "Female").unwrap(), "female");
        assert!(check(Sep9Field::Sex, "unknown").is_err());
        assert_eq!(check(Sep9Field::Occupation, "011").unwrap(), "011");
        assert!(check(Sep9Field::Occupation, "eleven").is_err());
        assert_eq!(check(Sep9Field::OrganizationNumberOfShareholders, "12").unwrap(), "12");
        assert!(check(Sep9Field::IpAddress, "10.0.0.300").is_err());
        assert!(check(Sep9Field::LanguageCode, "eng").is_err());
        assert!(check(Sep9Field::FirstName, "  ").is_err());
        assert!(check(Sep9Field::FirstName, "a\u{0}b").is_err());
        assert!(check(Sep9Field::Address, "1 Main St\nSpringfield").is_ok());
        assert!(check(Sep9Field::PhotoIdFront, "aGVsbG8=").is_err());
    }

    #[test]
    fn names_are_capped_in_characters_of_any_script() {
        let name_fields = [
            Sep9Field::FirstName,
            Sep9Field::LastName,
            Sep9Field::AdditionalName,
            Sep9Field::CardHolderName,
            Sep9Field::OrganizationName,
            Sep9Field::OrganizationDirectorName,
            Sep9Field::OrganizationShareholderName,
            Sep9Field::EmployerName,
        ];
        for field in name_fields {
            assert_eq!(field.max_chars(), MAX_NAME_CHARS);
            // Characters, not bytes: 256 Cyrillic letters (512 bytes) or CJK ideographs pass.
            assert!(check(field, &"щ".repeat(MAX_NAME_CHARS)).is_ok(), "{field}");
            assert!(check(field, &"李".repeat(MAX_NAME_CHARS)).is_ok(), "{field}");
            let err = check(field, &"щ".repeat(MAX_NAME_CHARS + 1)).unwrap_err();
            assert_eq!(err.to_string(), format!("field `{field}` is longer than 256 characters"));
        }
        assert!(check(Sep9Field::FirstName, &"щ".repeat(100_000)).is_err());
        assert_eq!(Sep9Field::Address.max_chars(), MAX_TEXT_CHARS);
        assert!(check(Sep9Field::Address, &"a".repeat(MAX_TEXT_CHARS)).is_ok());
        assert!(check(Sep9Field::Address, &"a".repeat(MAX_TEXT_CHARS + 1)).is_err());
    }

    #[test]
    fn hashed_mobile_numbers_skip_the_e164_check() {
        let mut fields = Sep9Fields::new();
        fields.insert_text(Sep9Field::MobileNumberFormat, "hash").unwrap();
        fields.insert_text(Sep9Field::MobileNumber, "9f86d081884c7d65").unwrap();
    }

    #[test]
    fn duplicates_are_refused_and_debug_hides_values() {
        let mut fields = Sep9Fields::new();
        fields.insert_text(Sep9Field::FirstName, "Jane").unwrap();
        assert_eq!(
            fields.insert_text(Sep9Field::FirstName, "Janet").unwrap_err(),
            Sep9Error::Duplicate(Sep9Field::FirstName)
        );
        assert!(!format!("{fields:?}").contains("Jane"));
    }
}
