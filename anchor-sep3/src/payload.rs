//! Pure SEP-3 wire handling, no IO: the strict `data`/`sig` form, the `data` JSON, the unsigned
//! `Transaction` in `tx` (decoded with bounded XDR limits), the memo-hash check against the
//! attachment, the attachment itself, the transaction id, and, for the sending side, building the
//! payment transaction and the `data` JSON.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use stellar_xdr::{
    AccountId, AlphaNum12, AlphaNum4, Asset, AssetCode12, AssetCode4, FeeBumpTransactionEnvelope, Hash,
    Limits, Memo, MuxedAccount, Operation, OperationBody, PathPaymentStrictReceiveOp, PaymentOp,
    Preconditions, PublicKey, ReadXdr, SequenceNumber, TimeBounds, TimePoint, Transaction,
    TransactionEnvelope, TransactionExt, TransactionV0, Uint256, WriteXdr,
};

use crate::error::Error;

/// Largest decoded `tx` accepted (a 100-operation transaction with long paths is far smaller).
pub const MAX_TX_BYTES: usize = 64 * 1024;
/// XDR nesting depth accepted.
pub const MAX_XDR_DEPTH: u32 = 64;
/// Longest `nonce` accepted.
pub const MAX_NONCE_LEN: usize = 128;
/// `sender_info` fields screened as names: at most [`MAX_NAME_CHARS`] characters each.
pub const SENDER_NAME_FIELDS: [&str; 4] = ["first_name", "middle_name", "last_name", "company_name"];
/// Longest value of a name field of `sender_info`, in characters (SEP-9's limit for names).
pub use anchor_core::integrations::customer::MAX_NAME_CHARS;
/// Longest value of any other `sender_info` field (address, city, …), in characters (SEP-9's
/// limit for text).
pub use anchor_core::integrations::customer::MAX_TEXT_CHARS as MAX_SENDER_INFO_CHARS;

fn xdr_limits(len: usize) -> Limits {
    Limits { depth: MAX_XDR_DEPTH, len }
}

/// The two fields of a SEP-3 request, exactly as form-decoded.
#[derive(Debug)]
pub struct SignedRequest {
    /// The `data` value (its exact bytes are what `sig` signs).
    pub data: String,
    /// The `sig` value (base64).
    pub sig: String,
}

/// Checks that the form has exactly `data` and `sig`, once each.
pub fn signed_request(fields: Vec<(String, String)>) -> Result<SignedRequest, Error> {
    let mut data = None;
    let mut sig = None;
    for (name, value) in fields {
        let slot = match name.as_str() {
            "data" => &mut data,
            "sig" => &mut sig,
            _ => return Err(Error::field(name_for_message(&name), "unexpected form field")),
        };
        if slot.replace(value).is_some() {
            return Err(Error::field(name_for_message(&name), "given more than once"));
        }
    }
    let data = data.ok_or_else(|| Error::field("data", "missing form field"))?;
    let sig = sig.ok_or_else(|| Error::field("sig", "missing form field"))?;
    Ok(SignedRequest { data, sig })
}

/// A form field name safe to echo: printable ASCII, at most 40 characters.
pub fn name_for_message(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_graphic()).take(40).collect()
}

/// Decodes `sig`: standard padded base64 of 64 bytes.
pub fn decode_sig(sig: &str) -> Result<[u8; 64], Error> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sig.as_bytes())
        .map_err(|_| Error::field("sig", "is not valid base64"))?;
    <[u8; 64]>::try_from(bytes.as_slice())
        .map_err(|_| Error::field("sig", "is not a 64-byte ed25519 signature"))
}

/// The `data` JSON, before its transaction is decoded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthData {
    /// `name*domain` of the paying customer.
    pub sender: String,
    /// Whether the sender wants the receiving customer's KYC.
    pub need_info: bool,
    /// Base64 XDR of the unsigned `Transaction`.
    pub tx: String,
    /// The attachment JSON, as a string.
    pub attachment: String,
}

/// The parts of `sender`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationAddress {
    /// The part before `*`.
    pub name: String,
    /// The part after `*` (not yet normalised).
    pub domain: String,
}

/// Splits `name*domain`: exactly one `*`, both parts non-empty.
pub fn parse_federation_address(address: &str, field: &str) -> Result<FederationAddress, Error> {
    let mut parts = address.split('*');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(name), Some(domain), None) if !name.is_empty() && !domain.is_empty() => {
            Ok(FederationAddress { name: name.to_string(), domain: domain.to_string() })
        }
        (_, _, Some(_)) => {
            Err(Error::field(field, "must contain exactly one `*` (name*domain); it has several"))
        }
        _ => Err(Error::field(field, "must be a federation address name*domain")),
    }
}

/// Parses the `data` JSON (any key order and whitespace; unknown keys are ignored).
pub fn parse_auth_data(data: &str) -> Result<AuthData, Error> {
    serde_json::from_str::<AuthData>(data).map_err(|err| {
        Error::field(
            "data",
            format!("is not the SEP-3 JSON object (sender, need_info, tx, attachment): {err}"),
        )
    })
}

/// Decodes `tx`: base64 of an unsigned v1 `Transaction`, within [`MAX_TX_BYTES`]. An envelope,
/// a fee-bump or a V0 transaction is refused with a message saying which it is.
pub fn decode_transaction(tx: &str) -> Result<Transaction, Error> {
    decode_transaction_with_xdr(tx).map(|decoded| decoded.transaction)
}

/// A transaction decoded from `tx`, with its XDR bytes.
#[derive(Debug, Clone)]
pub struct DecodedTransaction {
    /// The transaction.
    pub transaction: Transaction,
    /// Its XDR: the decoded bytes of `tx`, which are the canonical encoding of `transaction` (the
    /// standard base64 engine accepts only canonical base64, and XDR decoding consumes every byte
    /// and accepts only canonical values: zero padding, booleans 0/1, known discriminants).
    pub xdr: Vec<u8>,
}

/// [`decode_transaction`], keeping the XDR bytes (for the transaction id without re-encoding).
pub fn decode_transaction_with_xdr(tx: &str) -> Result<DecodedTransaction, Error> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(tx.as_bytes())
        .map_err(|_| Error::field("data.tx", "is not valid base64"))?;
    if bytes.len() > MAX_TX_BYTES {
        return Err(Error::field("data.tx", format!("is larger than {MAX_TX_BYTES} bytes")));
    }
    let limits = xdr_limits(bytes.len());
    match Transaction::from_xdr(&bytes, limits.clone()) {
        Ok(transaction) => Ok(DecodedTransaction { transaction, xdr: bytes }),
        Err(_) => {
            if let Ok(envelope) = TransactionEnvelope::from_xdr(&bytes, limits.clone()) {
                let what = match envelope {
                    TransactionEnvelope::TxFeeBump(_) => "a fee-bump transaction envelope",
                    TransactionEnvelope::TxV0(_) => "a V0 transaction envelope",
                    TransactionEnvelope::Tx(_) => "a transaction envelope",
                };
                return Err(Error::field(
                    "data.tx",
                    format!("is {what}; SEP-3 sends the bare unsigned Transaction"),
                ));
            }
            if FeeBumpTransactionEnvelope::from_xdr(&bytes, limits.clone()).is_ok() {
                return Err(Error::field(
                    "data.tx",
                    "is a fee-bump transaction; SEP-3 sends the bare unsigned Transaction",
                ));
            }
            if TransactionV0::from_xdr(&bytes, limits).is_ok() {
                return Err(Error::field("data.tx", "is a V0 transaction; SEP-3 sends a v1 Transaction"));
            }
            Err(Error::field("data.tx", "is not the XDR of a Transaction"))
        }
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Checks that the memo is MEMO_HASH = SHA-256 of the attachment string; returns the hash.
pub fn check_memo(transaction: &Transaction, attachment: &str) -> Result<[u8; 32], Error> {
    let expected = sha256(attachment.as_bytes());
    match &transaction.memo {
        Memo::Hash(Hash(memo)) if *memo == expected => Ok(expected),
        Memo::Hash(_) => {
            Err(Error::field("data.tx", "the memo hash does not match the SHA-256 of data.attachment"))
        }
        _ => Err(Error::field("data.tx", "the memo must be of type hash (SHA-256 of data.attachment)")),
    }
}

/// A request's fingerprint for the nonce rules: SHA-256 over `sender`, `need_info`, the
/// transaction hash and the attachment, so a re-send of the same request is recognised even if
/// the sender re-serialised `data` (key order, whitespace).
pub fn request_fingerprint(auth: &AuthData, transaction_id: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [auth.sender.as_bytes(), if auth.need_info { b"1" } else { b"0" }, transaction_id.as_bytes()]
    {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.update(auth.attachment.as_bytes());
    anchor_core::hex::encode(&hasher.finalize())
}

/// The transaction's MEMO_HASH as standard base64 (what Horizon reports and `/receive` takes).
pub fn memo_hash_base64(transaction: &Transaction) -> Option<String> {
    match &transaction.memo {
        Memo::Hash(Hash(hash)) => Some(base64::engine::general_purpose::STANDARD.encode(hash)),
        _ => None,
    }
}

/// The network id: SHA-256 of the network passphrase.
pub fn network_id(passphrase: &str) -> [u8; 32] {
    sha256(passphrase.as_bytes())
}

/// The hex transaction id on the network `passphrase`:
/// `SHA256(SHA256(passphrase) ‖ ENVELOPE_TYPE_TX ‖ XDR(tx))`.
pub fn transaction_id(transaction: &Transaction, passphrase: &str) -> Result<String, Error> {
    let xdr = transaction
        .to_xdr(Limits::none())
        .map_err(|err| Error::Internal(format!("XDR encoding failed: {err}")))?;
    Ok(transaction_id_of_xdr(&network_id(passphrase), &xdr))
}

/// The hex transaction id of a transaction's XDR on the network `network_id` ([`network_id`]).
pub fn transaction_id_of_xdr(network_id: &[u8; 32], xdr: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(network_id);
    hasher.update(2u32.to_be_bytes());
    hasher.update(xdr);
    anchor_core::hex::encode(&hasher.finalize())
}

/// The attachment (Stellar attachment convention).
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Unique per payment; reused when re-asking about a pending payment.
    pub nonce: String,
    /// `transaction.sender_info`.
    pub sender_info: BTreeMap<String, String>,
    /// `transaction.route` (number or string on the wire).
    pub route: String,
    /// `transaction.note`.
    pub note: String,
    /// `transaction.extra`.
    pub extra: String,
}

#[derive(Deserialize)]
struct WireAttachment {
    nonce: Option<serde_json::Value>,
    transaction: Option<WireAttachmentTransaction>,
}

#[derive(Deserialize)]
struct WireAttachmentTransaction {
    #[serde(default)]
    sender_info: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    route: Option<serde_json::Value>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    extra: Option<String>,
}

/// Parses the attachment string.
pub fn parse_attachment(attachment: &str) -> Result<Attachment, Error> {
    let field = "data.attachment";
    let wire: WireAttachment = serde_json::from_str(attachment).map_err(|_| {
        Error::field(field, "is not the attachment JSON object (nonce, transaction, operations)")
    })?;
    let nonce = match wire.nonce {
        Some(serde_json::Value::String(nonce)) => nonce,
        Some(serde_json::Value::Number(number)) => number.to_string(),
        Some(_) => return Err(Error::field(field, "nonce must be a string")),
        None => return Err(Error::field(field, "nonce is missing")),
    };
    if nonce.is_empty() || nonce.len() > MAX_NONCE_LEN || !nonce.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::field(
            field,
            format!("nonce must be 1 to {MAX_NONCE_LEN} printable ASCII characters"),
        ));
    }
    let transaction = wire.transaction.ok_or_else(|| Error::field(field, "transaction is missing"))?;
    let mut sender_info = BTreeMap::new();
    for (key, value) in transaction.sender_info.unwrap_or_default() {
        let value = match value {
            serde_json::Value::String(text) => text,
            serde_json::Value::Number(number) => number.to_string(),
            serde_json::Value::Null => continue,
            _ => {
                return Err(Error::field(
                    field,
                    format!("transaction.sender_info.{} must be a string", name_for_message(&key)),
                ))
            }
        };
        let max =
            if SENDER_NAME_FIELDS.contains(&key.as_str()) { MAX_NAME_CHARS } else { MAX_SENDER_INFO_CHARS };
        if value.chars().nth(max).is_some() {
            return Err(Error::field(
                field,
                format!("transaction.sender_info.{} is longer than {max} characters", name_for_message(&key)),
            ));
        }
        sender_info.insert(key, value);
    }
    let route = match transaction.route {
        Some(serde_json::Value::String(route)) => route,
        Some(serde_json::Value::Number(route)) => route.to_string(),
        None | Some(serde_json::Value::Null) => String::new(),
        Some(_) => return Err(Error::field(field, "transaction.route must be a string or a number")),
    };
    Ok(Attachment {
        nonce,
        sender_info,
        route,
        note: transaction.note.unwrap_or_default(),
        extra: transaction.extra.unwrap_or_default(),
    })
}

/// Amount and asset of the first operation, as the SDF `ask_user` callback sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstOperation {
    /// 7-decimal amount (payment amount, strict-receive destAmount, strict-send destMin).
    pub amount: String,
    /// Empty for XLM.
    pub asset_code: String,
    /// Empty for XLM.
    pub asset_issuer: String,
    /// The destination account (`G…`/`M…`).
    pub destination: String,
    /// The destination's `G…` account (an `M…` destination's underlying account).
    pub destination_account: String,
}

/// Reads the first payment-like operation.
pub fn first_operation(transaction: &Transaction) -> Result<FirstOperation, Error> {
    let no_payment = || Error::field("data.tx", "the first operation must be a payment or a path payment");
    let operation = transaction.operations.first().ok_or_else(no_payment)?;
    let (amount, asset, destination) = match &operation.body {
        OperationBody::Payment(op) => (op.amount, &op.asset, &op.destination),
        OperationBody::PathPaymentStrictReceive(op) => (op.dest_amount, &op.dest_asset, &op.destination),
        OperationBody::PathPaymentStrictSend(op) => (op.dest_min, &op.dest_asset, &op.destination),
        _ => return Err(no_payment()),
    };
    let (asset_code, asset_issuer) = asset_parts(asset);
    let destination_account = match destination {
        MuxedAccount::Ed25519(Uint256(key)) => format!("{}", stellar_strkey::ed25519::PublicKey(*key)),
        MuxedAccount::MuxedEd25519(muxed) => {
            format!("{}", stellar_strkey::ed25519::PublicKey(muxed.ed25519.0))
        }
    };
    Ok(FirstOperation {
        amount: format_amount(amount),
        asset_code,
        asset_issuer,
        destination: muxed_to_string(destination),
        destination_account,
    })
}

fn asset_parts(asset: &Asset) -> (String, String) {
    let issuer = |account: &AccountId| {
        let AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(key))) = account;
        format!("{}", stellar_strkey::ed25519::PublicKey(*key))
    };
    let code = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim_end_matches('\0').to_string();
    match asset {
        Asset::Native => (String::new(), String::new()),
        Asset::CreditAlphanum4(AlphaNum4 { asset_code: AssetCode4(bytes), issuer: account }) => {
            (code(bytes), issuer(account))
        }
        Asset::CreditAlphanum12(AlphaNum12 { asset_code: AssetCode12(bytes), issuer: account }) => {
            (code(bytes), issuer(account))
        }
    }
}

fn muxed_to_string(account: &MuxedAccount) -> String {
    match account {
        MuxedAccount::Ed25519(Uint256(key)) => format!("{}", stellar_strkey::ed25519::PublicKey(*key)),
        MuxedAccount::MuxedEd25519(muxed) => {
            format!("{}", stellar_strkey::ed25519::MuxedAccount { ed25519: muxed.ed25519.0, id: muxed.id })
        }
    }
}

/// Stroops as a 7-decimal string (`10000000` → `1.0000000`).
pub fn format_amount(stroops: i64) -> String {
    let sign = if stroops < 0 { "-" } else { "" };
    let abs = stroops.unsigned_abs();
    format!("{sign}{}.{:07}", abs / 10_000_000, abs % 10_000_000)
}

/// Parses a positive decimal amount with at most 7 fractional digits into stroops.
pub fn parse_amount(text: &str, field: &str) -> Result<i64, Error> {
    let invalid = || Error::field(field, "must be a positive decimal amount with at most 7 decimals");
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.len() > 7
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 12
    {
        return Err(invalid());
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| invalid())? };
    let fraction: i64 = format!("{fraction:0<7}").parse().map_err(|_| invalid())?;
    let stroops = whole.checked_mul(10_000_000).and_then(|w| w.checked_add(fraction)).ok_or_else(invalid)?;
    if stroops <= 0 {
        return Err(invalid());
    }
    Ok(stroops)
}

/// An asset from its code and issuer; both empty is XLM.
pub fn asset(code: &str, issuer: &str, field: &str) -> Result<Asset, Error> {
    if code.is_empty() && issuer.is_empty() {
        return Ok(Asset::Native);
    }
    if code.is_empty() || code.len() > 12 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::field(field, "asset code must be 1 to 12 letters or digits"));
    }
    let issuer = account_id(issuer, field)?;
    let mut bytes = [0u8; 12];
    bytes[..code.len()].copy_from_slice(code.as_bytes());
    if code.len() <= 4 {
        let mut four = [0u8; 4];
        four.copy_from_slice(&bytes[..4]);
        Ok(Asset::CreditAlphanum4(AlphaNum4 { asset_code: AssetCode4(four), issuer }))
    } else {
        Ok(Asset::CreditAlphanum12(AlphaNum12 { asset_code: AssetCode12(bytes), issuer }))
    }
}

/// A `G…` account as XDR.
pub fn account_id(account: &str, field: &str) -> Result<AccountId, Error> {
    let key = stellar_strkey::ed25519::PublicKey::from_string(account)
        .map_err(|_| Error::field(field, "must be a G… account"))?;
    Ok(AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(key.0))))
}

/// The operation `/send` builds.
#[derive(Debug, Clone)]
pub enum PaymentSpec {
    /// A plain payment.
    Payment {
        /// Destination `G…`.
        destination: String,
        /// Asset paid.
        asset: Asset,
        /// Stroops.
        amount: i64,
    },
    /// A path payment (strict receive).
    PathPayment {
        /// Destination `G…`.
        destination: String,
        /// Asset delivered.
        dest_asset: Asset,
        /// Stroops delivered.
        dest_amount: i64,
        /// Asset sent.
        send_asset: Asset,
        /// Most stroops sent.
        send_max: i64,
        /// Intermediate assets (fewer than 5).
        path: Vec<Asset>,
    },
}

/// Builds the unsigned transaction `/send` proposes: sequence 0, time bounds {0, 0}, fee 100 per
/// operation, MEMO_HASH = SHA-256(attachment) (the SDF reference sender's choices).
pub fn build_transaction(source: &str, spec: &PaymentSpec, attachment: &str) -> Result<Transaction, Error> {
    let source = account_id(source, "source")?;
    let AccountId(PublicKey::PublicKeyTypeEd25519(source_key)) = source;
    let body = match spec {
        PaymentSpec::Payment { destination, asset, amount } => OperationBody::Payment(PaymentOp {
            destination: muxed(destination)?,
            asset: asset.clone(),
            amount: *amount,
        }),
        PaymentSpec::PathPayment { destination, dest_asset, dest_amount, send_asset, send_max, path } => {
            OperationBody::PathPaymentStrictReceive(PathPaymentStrictReceiveOp {
                send_asset: send_asset.clone(),
                send_max: *send_max,
                destination: muxed(destination)?,
                dest_asset: dest_asset.clone(),
                dest_amount: *dest_amount,
                path: path.clone().try_into().map_err(|_| Error::field("path", "at most 5 assets"))?,
            })
        }
    };
    let operations = vec![Operation { source_account: None, body }];
    Ok(Transaction {
        source_account: MuxedAccount::Ed25519(source_key),
        fee: 100,
        seq_num: SequenceNumber(0),
        cond: Preconditions::Time(TimeBounds { min_time: TimePoint(0), max_time: TimePoint(0) }),
        memo: Memo::Hash(Hash(sha256(attachment.as_bytes()))),
        operations: operations.try_into().map_err(|_| Error::Internal("too many operations".into()))?,
        ext: TransactionExt::V0,
    })
}

fn muxed(account: &str) -> Result<MuxedAccount, Error> {
    let AccountId(PublicKey::PublicKeyTypeEd25519(key)) = account_id(account, "destination")?;
    Ok(MuxedAccount::Ed25519(key))
}

/// Base64 XDR of a transaction.
pub fn encode_transaction(transaction: &Transaction) -> Result<String, Error> {
    transaction
        .to_xdr_base64(Limits::none())
        .map_err(|err| Error::Internal(format!("XDR encoding failed: {err}")))
}

#[derive(Serialize)]
struct WireOutAttachment<'a> {
    nonce: &'a str,
    transaction: WireOutTransaction<'a>,
    operations: Option<()>,
}

#[derive(Serialize)]
struct WireOutTransaction<'a> {
    sender_info: &'a serde_json::Map<String, serde_json::Value>,
    route: &'a str,
    note: &'a str,
    extra: &'a str,
}

/// The attachment JSON `/send` produces: `{nonce, transaction: {sender_info, route, note,
/// extra}, operations: null}`.
pub fn build_attachment(
    nonce: &str,
    sender_info: &serde_json::Map<String, serde_json::Value>,
    route: &str,
    extra: &str,
) -> Result<String, Error> {
    let attachment = WireOutAttachment {
        nonce,
        transaction: WireOutTransaction { sender_info, route, note: "", extra },
        operations: None,
    };
    serde_json::to_string(&attachment)
        .map_err(|err| Error::Internal(format!("attachment encoding failed: {err}")))
}

/// The `data` JSON `/send` signs (keys in the reference order: sender, need_info, tx, attachment).
pub fn build_data(data: &AuthData) -> Result<String, Error> {
    serde_json::to_string(data).map_err(|err| Error::Internal(format!("data encoding failed: {err}")))
}

#[cfg(test)]
mod tests;

/// The transaction's source account as `G…` (the `G…` part of a muxed source).
pub fn source_account_id(transaction: &Transaction) -> String {
    let key = match &transaction.source_account {
        MuxedAccount::Ed25519(key) => key.0,
        MuxedAccount::MuxedEd25519(muxed) => muxed.ed25519.0,
    };
    stellar_strkey::ed25519::PublicKey(key).to_string().as_str().to_owned()
}
