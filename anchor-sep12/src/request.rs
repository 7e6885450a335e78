//! Pure: the parameters of a SEP-12 request, parsed and cross-checked against the SEP-10 token
//! (django-polaris' `validate_*_parameters`). `account` must be the token's account (403), a
//! `memo` must equal the token's memo or muxed id (403), and the result names exactly one
//! customer identity: `(account, memo)` for a `G…` token, `(M…, none)` for a muxed token.
//! Whether an `id` belongs to that identity is checked against the framework's table in
//! `routes.rs` (404 otherwise).

use std::collections::BTreeMap;

use anchor_core::integrations::customer::{CustomerRef, Memo, Sep9Field, Sep9Fields};
use anchor_core::{Sensitive, Sep10Token};
use base64::Engine as _;

use crate::body::{printable, Params, Upload, Value};
use crate::Error;

/// The caller's customer identity: the key customers are stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    /// `G…`, or `M…` for a muxed token.
    pub account: String,
    /// The memo (token memo, or a request memo for a plain `G…` token).
    pub memo: Option<Memo>,
}

impl Identity {
    /// The memo's key in the framework's tables (`""` for none).
    pub(crate) fn memo_key(&self) -> String {
        self.memo.as_ref().map(Memo::key).unwrap_or_default()
    }

    /// As the integration sees it.
    pub(crate) fn to_ref(&self) -> CustomerRef {
        CustomerRef::Account { account: self.account.clone(), memo: self.memo.clone() }
    }

    /// Whether a customer created under `(account, memo_key)` belongs to this identity. A plain
    /// `G…` token without a memo reaches every memo of its account; a memo narrows it to that
    /// memo; a muxed token reaches only its own `M…` customers.
    pub(crate) fn owns(&self, account: &str, memo_key: &str) -> bool {
        account == self.account && self.memo.as_ref().is_none_or(|memo| memo.key() == memo_key)
    }
}

/// `id`, `account`, `memo`, `memo_type`.
#[derive(Debug, Default)]
pub(crate) struct IdParams {
    /// `id`.
    pub id: Option<String>,
    /// `account` (deprecated).
    pub account: Option<String>,
    /// `memo`.
    pub memo: Option<String>,
    /// `memo_type` (deprecated).
    pub memo_type: Option<String>,
}

impl IdParams {
    pub(crate) fn take(params: &mut Params) -> Result<IdParams, Error> {
        Ok(IdParams {
            id: non_empty(params.take_text("id")?),
            account: non_empty(params.take_text("account")?),
            memo: non_empty(params.take_text("memo")?),
            memo_type: non_empty(params.take_text("memo_type")?),
        })
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|text| text.trim().to_string()).filter(|text| !text.is_empty())
}

/// `type`, `transaction_id`, `lang`.
#[derive(Debug, Default)]
pub(crate) struct Purpose {
    /// `type`.
    pub customer_type: Option<String>,
    /// `transaction_id` (requires `type`).
    pub transaction_id: Option<String>,
    /// `lang`, as an ISO 639-1 code.
    pub lang: Option<String>,
}

impl Purpose {
    pub(crate) fn take(params: &mut Params) -> Result<Purpose, Error> {
        let customer_type = non_empty(params.take_text("type")?);
        let transaction_id = non_empty(params.take_text("transaction_id")?);
        let lang = non_empty(params.take_text("lang")?);
        if let Some(customer_type) = &customer_type {
            if customer_type.len() > 64 || customer_type.chars().any(char::is_control) {
                return Err(Error::bad_request("`type` must be a short name such as `sep31-sender`"));
            }
        }
        if transaction_id.is_some() && customer_type.is_none() {
            return Err(Error::bad_request("`transaction_id` requires `type`"));
        }
        if transaction_id.as_ref().is_some_and(|id| id.len() > 255 || id.chars().any(char::is_control)) {
            return Err(Error::bad_request("`transaction_id` is not a transaction id"));
        }
        let lang = match lang {
            None => None,
            Some(lang) => {
                let code = lang.get(..2).unwrap_or("").to_ascii_lowercase();
                let rest = lang.get(2..).unwrap_or("");
                if code.len() == 2
                    && code.bytes().all(|b| b.is_ascii_lowercase())
                    && (rest.is_empty() || rest.starts_with('-') || rest.starts_with('_'))
                {
                    Some(code)
                } else {
                    return Err(Error::bad_request("`lang` must be an ISO 639-1 language code such as `en`"));
                }
            }
        };
        Ok(Purpose { customer_type, transaction_id, lang })
    }
}

/// The account a token authenticates as, in the form SEP-12 compares: `M…` for a muxed token.
pub(crate) fn token_account(token: &Sep10Token) -> &str {
    token.muxed_account().unwrap_or(token.account())
}

/// Cross-checks `account`, `memo` and `memo_type` against the token.
pub(crate) fn resolve(token: &Sep10Token, params: &IdParams) -> Result<Identity, Error> {
    let authenticated = token_account(token);
    if let Some(account) = &params.account {
        if account != authenticated {
            return Err(Error::Forbidden("`account` does not match the account of the SEP-10 token".into()));
        }
    }
    if let Some(muxed) = token.muxed_account() {
        if let Some(memo) = &params.memo {
            let muxed_id = stellar_strkey::ed25519::MuxedAccount::from_string(muxed)
                .map(|account| account.id)
                .map_err(|_| Error::Internal("the token's muxed account does not decode".into()))?;
            if memo.parse::<u64>().ok() != Some(muxed_id) {
                return Err(Error::Forbidden(
                    "`memo` does not match the id of the muxed account of the SEP-10 token".into(),
                ));
            }
        }
        return Ok(Identity { account: muxed.to_string(), memo: None });
    }
    if let Some(token_memo) = token.memo() {
        // Compare values only (django-polaris also insists on memo_type=id; we do not).
        if let Some(memo) = &params.memo {
            if memo.parse::<u64>().ok() != Some(token_memo) {
                return Err(Error::Forbidden("`memo` does not match the memo of the SEP-10 token".into()));
            }
        }
        return Ok(Identity { account: token.account().to_string(), memo: Some(Memo::Id(token_memo)) });
    }
    let memo = match &params.memo {
        None => None,
        Some(memo) => Some(parse_memo(memo, params.memo_type.as_deref())?),
    };
    Ok(Identity { account: token.account().to_string(), memo })
}

/// A memo of `memo_type` (`id` by default, `text`, `hash`).
pub(crate) fn parse_memo(memo: &str, memo_type: Option<&str>) -> Result<Memo, Error> {
    match memo_type.unwrap_or("id") {
        "id" => {
            let canonical =
                memo.bytes().all(|b| b.is_ascii_digit()) && (memo == "0" || !memo.starts_with('0'));
            match memo.parse::<u64>() {
                Ok(id) if canonical => Ok(Memo::Id(id)),
                _ => Err(Error::bad_request(
                    "`memo` must be an integer from 0 to 18446744073709551615 \
                     (or set `memo_type` to `text` or `hash`)",
                )),
            }
        }
        "text" => {
            if memo.len() <= 28 && !memo.chars().any(char::is_control) {
                Ok(Memo::Text(memo.to_string()))
            } else {
                Err(Error::bad_request("a text `memo` is at most 28 bytes"))
            }
        }
        "hash" => base64::engine::general_purpose::STANDARD
            .decode(memo)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .map(Memo::Hash)
            .ok_or_else(|| Error::bad_request("a hash `memo` is 32 bytes in base64")),
        _ => Err(Error::bad_request("`memo_type` must be `id`, `text` or `hash`")),
    }
}

/// The SEP-9 part of a `PUT /customer` body, before files are stored.
#[derive(Default)]
pub(crate) struct FieldInput {
    /// Text values, validated.
    pub fields: Sep9Fields,
    /// `<field>_verification` codes.
    pub verifications: BTreeMap<Sep9Field, Sensitive<String>>,
    /// File parts of binary fields (content not checked yet).
    pub uploads: Vec<(Sep9Field, Upload)>,
    /// `<field>_file_id` references (ownership not checked yet).
    pub file_refs: Vec<(Sep9Field, String)>,
}

/// Splits the remaining parameters of a `PUT /customer` into SEP-9 values, verification codes,
/// files and file references. Any other name is a 400 naming it.
pub(crate) fn fields(params: Params) -> Result<FieldInput, Error> {
    let mut input = FieldInput::default();
    let mut entries: Vec<(String, Value)> = params.into_entries().collect();
    // `mobile_number_format` decides how `mobile_number` is checked.
    entries.sort_by_key(|(name, _)| name != "mobile_number_format");
    let mut binary_seen: Vec<Sep9Field> = Vec::new();
    for (name, value) in entries {
        if let Some(field) = Sep9Field::from_name(&name) {
            match value {
                Value::Text(text) if field.is_binary() => {
                    let _ = text;
                    return Err(Error::bad_request(format!(
                        "`{name}` is a binary field: send it as a multipart file part or upload it \
                         with POST /customer/files and send `{name}_file_id`"
                    )));
                }
                Value::Text(text) => input.fields.insert_text(field, &text)?,
                Value::File(_) if !field.is_binary() => {
                    return Err(Error::bad_request(format!(
                        "`{name}` is a {} field, not a file",
                        field.field_type().as_str()
                    )))
                }
                Value::File(upload) => {
                    if binary_seen.contains(&field) {
                        return Err(Error::bad_request(format!("`{name}` is given more than once")));
                    }
                    binary_seen.push(field);
                    input.uploads.push((field, upload));
                }
            }
            continue;
        }
        if let Some(base) = name.strip_suffix("_verification") {
            let Some(field) = Sep9Field::from_name(base) else {
                return Err(unknown(&name));
            };
            let Value::Text(code) = value else {
                return Err(Error::bad_request(format!("`{name}` must be text")));
            };
            if code.trim().is_empty() || code.len() > 256 {
                return Err(Error::bad_request(format!("`{name}` must be a verification code")));
            }
            input.verifications.insert(field, Sensitive::new(code.trim().to_string()));
            continue;
        }
        if let Some(base) = name.strip_suffix("_file_id") {
            let Some(field) = Sep9Field::from_name(base) else {
                return Err(unknown(&name));
            };
            if !field.is_binary() {
                return Err(Error::bad_request(format!("`{name}`: `{base}` is not a binary field")));
            }
            let Value::Text(file_id) = value else {
                return Err(Error::bad_request(format!("`{name}` must be text")));
            };
            if binary_seen.contains(&field) {
                return Err(Error::bad_request(format!("`{base}` is given both as a file and as `{name}`")));
            }
            binary_seen.push(field);
            input.file_refs.push((field, file_id.trim().to_string()));
            continue;
        }
        return Err(unknown(&name));
    }
    Ok(input)
}

fn unknown(name: &str) -> Error {
    Error::bad_request(format!("unknown field `{}`: not a SEP-9 field name", printable(name)))
}

/// `<field>_verification` codes of `PUT /customer/verification`; any other name is a 400.
pub(crate) fn verification_codes(params: Params) -> Result<BTreeMap<Sep9Field, Sensitive<String>>, Error> {
    let mut codes = BTreeMap::new();
    for (name, value) in params.into_entries() {
        let field = name.strip_suffix("_verification").and_then(Sep9Field::from_name).ok_or_else(|| {
            Error::bad_request(format!("`{}` is not `<SEP-9 field>_verification`", printable(&name)))
        })?;
        let Value::Text(code) = value else {
            return Err(Error::bad_request(format!("`{name}` must be text")));
        };
        if code.trim().is_empty() || code.len() > 256 {
            return Err(Error::bad_request(format!("`{name}` must be a verification code")));
        }
        codes.insert(field, Sensitive::new(code.trim().to_string()));
    }
    if codes.is_empty() {
        return Err(Error::bad_request("send at least one `<SEP-9 field>_verification` code"));
    }
    Ok(codes)
}

#[cfg(test)]
mod tests;
