//! The challenge transaction, pure: building it ([`build_challenge`]), reading a signed one back
//! with every structural rule of SEP-10 ([`read_challenge`], rules 1–7), and matching its
//! signatures against the client account's signers ([`verify_signatures`], rules 9–10).
//!
//! No IO and no clock: the caller passes `now`, the nonce bytes and the account's signers (which
//! `signers.rs` reads from Horizon). Real ed25519 over real XDR, through `stellar-xdr`.

use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use stellar_xdr::{
    DataValue, DecoratedSignature, Limits, ManageDataOp, Memo, MuxedAccount, MuxedAccountMed25519, Operation,
    OperationBody, Preconditions, ReadXdr, SequenceNumber, SignatureHint, String64, TimeBounds, TimePoint,
    Transaction, TransactionEnvelope, TransactionExt, Uint256, WriteXdr,
};

use crate::Error;

/// How far in the future a challenge's minTime may be (clock skew between server instances and
/// clients), as in the Go and Python SDKs.
pub const MIN_TIME_GRACE_SECONDS: u64 = 300;
/// The key of the operation naming the web auth domain.
pub const WEB_AUTH_DOMAIN_KEY: &str = "web_auth_domain";
/// The key of the operation naming the client (wallet) domain.
pub const CLIENT_DOMAIN_KEY: &str = "client_domain";
/// Bytes of randomness in the nonce (64 base64 characters).
pub const NONCE_BYTES: usize = 48;
/// The longest home domain that fits `"<home domain> auth"` in a 64-byte data name.
pub const MAX_HOME_DOMAIN_BYTES: usize = 64 - " auth".len();
/// Largest decoded envelope accepted: a challenge is a few hundred bytes; this leaves room for
/// many signatures while bounding the work a hostile body can cause.
pub const MAX_ENVELOPE_BYTES: usize = 16 * 1024;
const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The network id: SHA-256 of the network passphrase.
pub fn network_id(passphrase: &str) -> [u8; 32] {
    Sha256::digest(passphrase.as_bytes()).into()
}

/// The client account a challenge is for: a plain `G…` account or a muxed `M…` one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAccount {
    /// `G…`.
    Plain([u8; 32]),
    /// `M…`: the underlying key and the 64-bit id.
    Muxed {
        /// The underlying ed25519 key (its `G…` account).
        key: [u8; 32],
        /// The muxed id.
        id: u64,
    },
}

impl ClientAccount {
    /// Parses a `G…` or `M…` strkey (checksum validated).
    pub fn parse(account: &str) -> Result<Self, Error> {
        if account.starts_with('M') {
            let muxed = stellar_strkey::ed25519::MuxedAccount::from_string(account)
                .map_err(|_| Error::InvalidAccount)?;
            return Ok(ClientAccount::Muxed { key: muxed.ed25519, id: muxed.id });
        }
        stellar_strkey::ed25519::PublicKey::from_string(account)
            .map(|key| ClientAccount::Plain(key.0))
            .map_err(|_| Error::InvalidAccount)
    }

    /// The ed25519 key (of the underlying `G…` account).
    pub fn key(&self) -> [u8; 32] {
        match *self {
            ClientAccount::Plain(key) | ClientAccount::Muxed { key, .. } => key,
        }
    }

    /// The `G…` account (for a muxed account, the underlying one).
    pub fn account_id(&self) -> String {
        account_id(&self.key())
    }

    /// The address as given: `G…` or `M…`.
    pub fn address(&self) -> String {
        match *self {
            ClientAccount::Plain(key) => account_id(&key),
            ClientAccount::Muxed { key, id } => {
                stellar_strkey::ed25519::MuxedAccount { ed25519: key, id }.to_string().to_string()
            }
        }
    }

    fn to_xdr(self) -> MuxedAccount {
        match self {
            ClientAccount::Plain(key) => MuxedAccount::Ed25519(Uint256(key)),
            ClientAccount::Muxed { key, id } => {
                MuxedAccount::MuxedEd25519(MuxedAccountMed25519 { id, ed25519: Uint256(key) })
            }
        }
    }

    fn from_xdr(account: &MuxedAccount) -> Self {
        match account {
            MuxedAccount::Ed25519(key) => ClientAccount::Plain(key.0),
            MuxedAccount::MuxedEd25519(muxed) => ClientAccount::Muxed { key: muxed.ed25519.0, id: muxed.id },
        }
    }
}

/// `G…` for a raw ed25519 key.
pub fn account_id(key: &[u8; 32]) -> String {
    stellar_strkey::ed25519::PublicKey(*key).to_string().to_string()
}

/// What a challenge is issued for.
#[derive(Debug, Clone)]
pub struct ChallengeRequest<'a> {
    /// The client account (operation 0's source).
    pub account: ClientAccount,
    /// The ID memo (only with a `G…` account).
    pub memo: Option<u64>,
    /// The home domain (operation 0's key is `"<home_domain> auth"`).
    pub home_domain: &'a str,
    /// The web auth domain (value of the `web_auth_domain` operation).
    pub web_auth_domain: &'a str,
    /// The accepted client domain and its `SIGNING_KEY`.
    pub client_domain: Option<(&'a str, [u8; 32])>,
}

/// Builds the challenge exactly as SEP-10 lays it out, signs it with the server's key and returns
/// the base64 XDR envelope. `now` and `timeout` are unix seconds; `nonce` must come from a CSPRNG.
pub fn build_challenge(
    server: &anchor_core::keys::SigningKey,
    network_id: &[u8; 32],
    request: &ChallengeRequest<'_>,
    now: u64,
    timeout: u64,
    nonce: &[u8; NONCE_BYTES],
) -> Result<String, Error> {
    issue_challenge(server, network_id, request, now, timeout, nonce).map(|issued| issued.transaction)
}

/// A challenge as [`issue_challenge`] made it: the envelope and what the server signed.
#[derive(Debug, Clone)]
pub struct IssuedChallenge {
    /// The base64 XDR envelope (`transaction` of the response).
    pub transaction: String,
    /// The transaction hash the server signed.
    pub hash: [u8; 32],
    /// The server's ed25519 signature of `hash`.
    pub server_signature: [u8; 64],
}

/// [`build_challenge`], also returning the hash and the server signature (for
/// [`IssuedSignatures`](crate::issued::IssuedSignatures)). The transaction is XDR-encoded once:
/// the hash is SHA-256 of `network id ‖ ENVELOPE_TYPE_TX ‖ transaction` and the envelope is
/// `ENVELOPE_TYPE_TX ‖ transaction ‖ [signature]`, byte for byte what `stellar-xdr` encodes.
pub fn issue_challenge(
    server: &anchor_core::keys::SigningKey,
    network_id: &[u8; 32],
    request: &ChallengeRequest<'_>,
    now: u64,
    timeout: u64,
    nonce: &[u8; NONCE_BYTES],
) -> Result<IssuedChallenge, Error> {
    let server_key = server.public_key_bytes();
    let server_account = MuxedAccount::Ed25519(Uint256(server_key));
    let mut operations = Vec::with_capacity(3);
    operations.push(manage_data(
        request.account.to_xdr(),
        &format!("{} auth", request.home_domain),
        BASE64.encode(nonce).as_bytes(),
    )?);
    operations.push(manage_data(
        server_account.clone(),
        WEB_AUTH_DOMAIN_KEY,
        request.web_auth_domain.as_bytes(),
    )?);
    if let Some((domain, key)) = request.client_domain {
        operations.push(manage_data(
            MuxedAccount::Ed25519(Uint256(key)),
            CLIENT_DOMAIN_KEY,
            domain.as_bytes(),
        )?);
    }
    let fee = 100 * operations.len() as u32;
    let tx = Transaction {
        source_account: server_account,
        fee,
        seq_num: SequenceNumber(0),
        cond: Preconditions::Time(TimeBounds {
            min_time: TimePoint(now),
            max_time: TimePoint(now.saturating_add(timeout)),
        }),
        memo: request.memo.map_or(Memo::None, Memo::Id),
        operations: operations.try_into().map_err(|_| Error::Internal("too many operations".into()))?,
        ext: TransactionExt::V0,
    };
    let tx_bytes = tx.to_xdr(Limits::none()).map_err(|err| Error::Internal(err.to_string()))?;
    let hash = signature_payload_hash(network_id, &tx_bytes);
    let server_signature = server.sign(&hash);
    // TransactionV1Envelope: the type, the transaction, then a one-element signature array of
    // (hint, 64-byte opaque).
    let mut envelope = Vec::with_capacity(4 + tx_bytes.len() + 4 + 4 + 4 + 64);
    envelope.extend_from_slice(&ENVELOPE_TYPE_TX);
    envelope.extend_from_slice(&tx_bytes);
    envelope.extend_from_slice(&1u32.to_be_bytes());
    envelope.extend_from_slice(&hint_of(&server_key).0);
    envelope.extend_from_slice(&64u32.to_be_bytes());
    envelope.extend_from_slice(&server_signature);
    Ok(IssuedChallenge { transaction: BASE64.encode(&envelope), hash, server_signature })
}

/// The hash every signature of a v1 transaction signs: SHA-256 of the signature payload
/// `network id ‖ ENVELOPE_TYPE_TX ‖ transaction XDR`.
fn signature_payload_hash(network_id: &[u8; 32], tx_bytes: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(network_id)
        .chain_update(ENVELOPE_TYPE_TX)
        .chain_update(tx_bytes)
        .finalize()
        .into()
}

/// Bytes of the XDR of a signature array: its length, then per signature the 4-byte hint and the
/// length-prefixed signature padded to 4 bytes.
fn signatures_xdr_len(signatures: &[DecoratedSignature]) -> usize {
    4 + signatures.iter().map(|signature| 4 + 4 + signature.signature.0.len().div_ceil(4) * 4).sum::<usize>()
}

/// `ENVELOPE_TYPE_TX` as XDR (the envelope's and the signature payload's discriminant).
const ENVELOPE_TYPE_TX: [u8; 4] = 2u32.to_be_bytes();

/// A signature of `hash` by `key`, with its hint (last 4 bytes of the public key).
pub fn decorated_signature(
    key: &anchor_core::keys::SigningKey,
    hash: &[u8; 32],
) -> Result<DecoratedSignature, Error> {
    Ok(DecoratedSignature {
        hint: hint_of(&key.public_key_bytes()),
        signature: stellar_xdr::Signature(
            key.sign(hash).to_vec().try_into().map_err(|_| Error::Internal("signature".into()))?,
        ),
    })
}

fn hint_of(key: &[u8; 32]) -> SignatureHint {
    SignatureHint([key[28], key[29], key[30], key[31]])
}

fn manage_data(source: MuxedAccount, name: &str, value: &[u8]) -> Result<Operation, Error> {
    let name = String64(
        name.try_into()
            .map_err(|_| Error::Internal(format!("data name `{name}` is longer than 64 bytes")))?,
    );
    let value = DataValue(
        value
            .to_vec()
            .try_into()
            .map_err(|_| Error::Internal("data value is longer than 64 bytes".into()))?,
    );
    Ok(Operation {
        source_account: Some(source),
        body: OperationBody::ManageData(ManageDataOp { data_name: name, data_value: Some(value) }),
    })
}

/// What the server checks a signed challenge against.
#[derive(Debug, Clone, Copy)]
pub struct Verifier<'a> {
    /// The server's public key (`SIGNING_KEY`).
    pub server_key: [u8; 32],
    /// SHA-256 of the network passphrase.
    pub network_id: [u8; 32],
    /// `SEP10_HOME_DOMAINS`.
    pub home_domains: &'a [String],
    /// This server's web auth domain.
    pub web_auth_domain: &'a str,
}

/// A challenge that passed rules 1–7: well formed, issued by this server, not expired.
#[derive(Debug, Clone)]
pub struct ReadChallenge {
    /// The transaction hash every signature signs.
    pub hash: [u8; 32],
    /// Operation 0's source.
    pub client: ClientAccount,
    /// The ID memo.
    pub memo: Option<u64>,
    /// The home domain operation 0 names.
    pub home_domain: String,
    /// The `client_domain` operation's value and source key.
    pub client_domain: Option<(String, [u8; 32])>,
    /// minTime (unix seconds).
    pub min_time: u64,
    /// maxTime (unix seconds).
    pub max_time: u64,
    signatures: Vec<(SignatureHint, Vec<u8>)>,
    /// Index of the signature rule 7 verified as the server's.
    server_signature: usize,
    /// The server key rule 7 verified it with.
    server_key: [u8; 32],
}

impl ReadChallenge {
    /// Hex of [`ReadChallenge::hash`]: the token's `jti` and the single-use record.
    pub fn hash_hex(&self) -> String {
        anchor_core::hex::encode(&self.hash)
    }

    /// The token subject: `M…`, `G…:<memo>` or `G…`.
    pub fn subject(&self) -> String {
        match (self.client, self.memo) {
            (ClientAccount::Muxed { .. }, _) => self.client.address(),
            (ClientAccount::Plain(key), Some(memo)) => format!("{}:{memo}", account_id(&key)),
            (ClientAccount::Plain(key), None) => account_id(&key),
        }
    }

    /// The number of signatures on the envelope.
    pub fn signature_count(&self) -> usize {
        self.signatures.len()
    }
}

/// Rules 1–7 of SEP-10 POST, in order: decode (no fee bump), source and sequence, time bounds,
/// operation 0 (home domain, nonce), memo, later operations, server signature (ed25519
/// verification against `verifier.server_key`). This is also what a wallet checks.
pub fn read_challenge(verifier: &Verifier<'_>, transaction: &str, now: u64) -> Result<ReadChallenge, Error> {
    read_challenge_with(verifier, None, transaction, now)
}

/// [`read_challenge`] for the server that holds the signing key: rule 7 recomputes the server's
/// signature instead of verifying it. Ed25519 signing is deterministic (RFC 8032), so the only
/// valid signature this key ever makes over a hash is the one recomputed here, and comparing
/// against it (in constant time) accepts exactly what verification would accept from this server,
/// at about half the cost. Falls back to verification if `server` is not `verifier.server_key`.
pub fn read_own_challenge(
    verifier: &Verifier<'_>,
    server: &anchor_core::keys::SigningKey,
    transaction: &str,
    now: u64,
) -> Result<ReadChallenge, Error> {
    let signer = (server.public_key_bytes() == verifier.server_key).then_some((server, None));
    read_challenge_with(verifier, signer, transaction, now)
}

/// [`read_own_challenge`] that first looks the expected server signature up in `issued` (the
/// signatures this process handed out): the same comparison, without signing again when the
/// challenge is remembered.
pub fn read_issued_challenge(
    verifier: &Verifier<'_>,
    server: &anchor_core::keys::SigningKey,
    issued: &crate::issued::IssuedSignatures,
    transaction: &str,
    now: u64,
) -> Result<ReadChallenge, Error> {
    let signer = (server.public_key_bytes() == verifier.server_key).then_some((server, Some(issued)));
    read_challenge_with(verifier, signer, transaction, now)
}

fn read_challenge_with(
    verifier: &Verifier<'_>,
    server: Option<(&anchor_core::keys::SigningKey, Option<&crate::issued::IssuedSignatures>)>,
    transaction: &str,
    now: u64,
) -> Result<ReadChallenge, Error> {
    // Rule 1: base64 → TransactionEnvelope, fully consumed, bounded.
    if transaction.len() > MAX_ENVELOPE_BYTES.div_ceil(3) * 4 {
        return Err(Error::NotEnvelope);
    }
    let bytes = BASE64.decode(transaction.trim().as_bytes()).map_err(|_| Error::NotBase64)?;
    let envelope = TransactionEnvelope::from_xdr(&bytes, Limits { depth: 64, len: bytes.len() })
        .map_err(|_| Error::NotEnvelope)?;
    let (tx, signatures, tx_bytes) = match envelope {
        TransactionEnvelope::Tx(envelope) => {
            // The envelope is `ENVELOPE_TYPE_TX ‖ transaction ‖ signatures` and decoding consumed
            // every byte strictly (zero padding, valid discriminants), so the transaction's XDR is
            // the slice in between: hashing it needs no second encoding.
            let tx_bytes = bytes
                .len()
                .checked_sub(signatures_xdr_len(&envelope.signatures))
                .and_then(|end| bytes.get(4..end));
            (envelope.tx, envelope.signatures, tx_bytes)
        }
        // A V0 envelope is the pre-protocol-13 form of the same transaction; its hash is computed
        // on the converted v1 form (stellar-core does the same).
        TransactionEnvelope::TxV0(envelope) => (Transaction::from(envelope.tx), envelope.signatures, None),
        TransactionEnvelope::TxFeeBump(_) => return Err(Error::FeeBump),
    };

    // Rule 2: source is the server's plain key; sequence number 0.
    match &tx.source_account {
        MuxedAccount::Ed25519(key) if key.0 == verifier.server_key => {}
        _ => return Err(Error::WrongSource),
    }
    if tx.seq_num.0 != 0 {
        return Err(Error::NonZeroSequence);
    }

    // Rule 3: time bounds.
    let bounds = match &tx.cond {
        Preconditions::Time(bounds) => bounds,
        Preconditions::V2(v2) => v2.time_bounds.as_ref().ok_or(Error::NoTimeBounds)?,
        Preconditions::None => return Err(Error::NoTimeBounds),
    };
    let (min_time, max_time) = (bounds.min_time.0, bounds.max_time.0);
    if max_time == 0 {
        return Err(Error::InfiniteTimeBounds);
    }
    if now > max_time {
        return Err(Error::Expired);
    }
    if now.saturating_add(MIN_TIME_GRACE_SECONDS) < min_time {
        return Err(Error::NotYetValid);
    }

    // Rule 4: operation 0.
    let operations = tx.operations.as_slice();
    let first = operations.first().ok_or(Error::NoOperations)?;
    let (first_source, first_op) = match (&first.source_account, &first.body) {
        (Some(source), OperationBody::ManageData(op)) => (source, op),
        _ => return Err(Error::FirstOperation),
    };
    let name = first_op.data_name.0.as_slice();
    let home_domain = verifier
        .home_domains
        .iter()
        .find(|domain| {
            name.len() == domain.len() + 5 && name.starts_with(domain.as_bytes()) && name.ends_with(b" auth")
        })
        .ok_or(Error::WrongHomeDomain)?;
    let nonce = first_op.data_value.as_ref().map(|value| value.0.as_slice()).unwrap_or_default();
    if nonce.len() != 64 || BASE64.decode(nonce).map(|raw| raw.len()) != Ok(NONCE_BYTES) {
        return Err(Error::BadNonce);
    }
    let client = ClientAccount::from_xdr(first_source);

    // Rule 5: memo.
    let memo = match tx.memo {
        Memo::None => None,
        Memo::Id(id) => Some(id),
        _ => return Err(Error::MemoType),
    };
    if memo.is_some() && matches!(client, ClientAccount::Muxed { .. }) {
        return Err(Error::MemoWithMuxedSource);
    }

    // Rule 6: later operations.
    let mut client_domain = None;
    for op in &operations[1..] {
        let (source, data) = match (&op.source_account, &op.body) {
            (Some(source), OperationBody::ManageData(data)) => (source, data),
            _ => return Err(Error::OperationType),
        };
        let from_server = matches!(source, MuxedAccount::Ed25519(key) if key.0 == verifier.server_key);
        let value = data.data_value.as_ref().map(|value| value.0.as_slice()).unwrap_or_default();
        match data.data_name.0.as_slice() {
            name if name == WEB_AUTH_DOMAIN_KEY.as_bytes() => {
                if !from_server || value != verifier.web_auth_domain.as_bytes() {
                    return Err(Error::WebAuthDomain);
                }
            }
            name if name == CLIENT_DOMAIN_KEY.as_bytes() => {
                if client_domain.is_some() {
                    return Err(Error::DuplicateClientDomain);
                }
                let key = match source {
                    MuxedAccount::Ed25519(key) => key.0,
                    MuxedAccount::MuxedEd25519(_) => return Err(Error::OperationType),
                };
                let domain = std::str::from_utf8(value).map_err(|_| Error::OperationType)?;
                client_domain = Some((domain.to_string(), key));
            }
            _ if from_server => {}
            _ => return Err(Error::ForeignOperation),
        }
    }

    // Rule 7: the server's signature.
    let hash = match tx_bytes {
        Some(tx_bytes) => signature_payload_hash(&verifier.network_id, tx_bytes),
        None => tx.hash(verifier.network_id).map_err(|err| Error::Internal(err.to_string()))?,
    };
    let signatures: Vec<(SignatureHint, Vec<u8>)> =
        signatures.iter().map(|signature| (signature.hint.clone(), signature.signature.0.to_vec())).collect();
    let server_signature = match server {
        Some((server, issued)) => {
            let expected = issued
                .and_then(|issued| issued.signature(&hash, &verifier.server_key))
                .unwrap_or_else(|| server.sign(&hash));
            signatures.iter().position(|(hint, signature)| {
                hint.0 == verifier.server_key[28..32]
                    && anchor_core::http::constant_time_eq(signature, &expected)
            })
        }
        None => {
            let verifying = VerifyingKey::from_bytes(&verifier.server_key).map_err(|_| Error::WrongSource)?;
            signatures.iter().position(|(hint, signature)| {
                signs_with(&verifying, &verifier.server_key, hint, signature, &hash)
            })
        }
    }
    .ok_or(Error::NoServerSignature)?;

    Ok(ReadChallenge {
        hash,
        client,
        memo,
        home_domain: home_domain.clone(),
        client_domain,
        min_time,
        max_time,
        signatures,
        server_signature,
        server_key: verifier.server_key,
    })
}

/// Whether `signature` (with `hint`) is `key`'s ed25519 signature of `hash`.
fn signs(key: &[u8; 32], hint: &SignatureHint, signature: &[u8], hash: &[u8; 32]) -> bool {
    if hint.0 != key[28..32] {
        return false;
    }
    match VerifyingKey::from_bytes(key) {
        Ok(verifying) => signs_with(&verifying, key, hint, signature, hash),
        Err(_) => false,
    }
}

/// [`signs`] with the key already decompressed.
fn signs_with(
    verifying: &VerifyingKey,
    key: &[u8; 32],
    hint: &SignatureHint,
    signature: &[u8],
    hash: &[u8; 32],
) -> bool {
    if hint.0 != key[28..32] {
        return false;
    }
    match Signature::from_slice(signature) {
        Ok(signature) => verifying.verify_strict(hash, &signature).is_ok(),
        Err(_) => false,
    }
}

/// The client account as Horizon knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountState {
    /// The account does not exist (Horizon 404).
    Missing,
    /// The account exists with these ed25519 signers and this medium threshold.
    Exists(AccountSigners),
}

/// An existing account's ed25519 signers (key, weight) and medium threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSigners {
    /// `ed25519_public_key` signers with their weights (the master key included).
    pub signers: Vec<([u8; 32], u32)>,
    /// `med_threshold`.
    pub medium_threshold: u32,
}

/// The result of rules 9–10: which account keys signed, and their total weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSigners {
    /// The client account's keys that signed (`G…`).
    pub signers: Vec<String>,
    /// Their total weight (for a missing account, 0).
    pub weight: u32,
}

/// Rules 9 (existing account) and 10 (missing account): every signature is matched to at most
/// one key and every key to at most one signature; no signature may be left over; the server
/// key never counts for the client; a `client_domain` operation's key must have signed.
pub fn verify_signatures(
    challenge: &ReadChallenge,
    server_key: &[u8; 32],
    account: &AccountState,
) -> Result<VerifiedSigners, Error> {
    // The keys that may sign, each at most once: the server, the client domain, then the
    // account's signers (or, for a missing account, its master key). The server key never
    // counts as a client signer, even when the account lists it.
    let mut candidates: Vec<([u8; 32], Role)> = vec![(*server_key, Role::Server)];
    if let Some((_, key)) = &challenge.client_domain {
        if key != server_key {
            candidates.push((*key, Role::ClientDomain));
        }
    }
    match account {
        AccountState::Exists(account) => {
            for (key, weight) in &account.signers {
                if key == server_key {
                    continue;
                }
                match candidates.iter_mut().find(|(candidate, _)| candidate == key) {
                    // A client-domain key that is also an account signer signs once and counts
                    // for both roles.
                    Some((_, role @ Role::ClientDomain)) => *role = Role::ClientDomainAndSigner(*weight),
                    Some(_) => {}
                    None => candidates.push((*key, Role::Signer(*weight))),
                }
            }
        }
        AccountState::Missing => {
            let master = challenge.client.key();
            if master == *server_key {
                return Err(Error::NoMasterSignature);
            }
            match candidates.iter_mut().find(|(candidate, _)| *candidate == master) {
                Some((_, role @ Role::ClientDomain)) => *role = Role::ClientDomainAndSigner(0),
                Some(_) => {}
                None => candidates.push((master, Role::Signer(0))),
            }
        }
    }

    let mut used = vec![false; candidates.len()];
    for (index, (hint, signature)) in challenge.signatures.iter().enumerate() {
        // Rule 7 already verified this signature as the server's (candidate 0) when it checked
        // the same key; every other signature is verified here.
        let matched = if index == challenge.server_signature && *server_key == challenge.server_key {
            Some(0)
        } else {
            candidates.iter().position(|(key, _)| signs(key, hint, signature, &challenge.hash))
        };
        match matched {
            Some(index) if used[index] => return Err(Error::DuplicateSignature),
            Some(index) => used[index] = true,
            None => return Err(Error::UnrecognizedSignatures),
        }
    }

    let signed = |wanted: fn(&Role) -> bool| {
        candidates.iter().zip(&used).any(|((_, role), used)| *used && wanted(role))
    };
    if !signed(|role| matches!(role, Role::Server)) {
        return Err(Error::NoServerSignature);
    }
    if challenge.client_domain.is_some()
        && !signed(|role| matches!(role, Role::ClientDomain | Role::ClientDomainAndSigner(_)))
    {
        return Err(Error::NoClientDomainSignature);
    }

    let client_signers: Vec<([u8; 32], u32)> = candidates
        .iter()
        .zip(&used)
        .filter(|(_, used)| **used)
        .filter_map(|((key, role), _)| match role {
            Role::Signer(weight) | Role::ClientDomainAndSigner(weight) => Some((*key, *weight)),
            _ => None,
        })
        .collect();
    let weight = client_signers.iter().map(|(_, weight)| *weight).fold(0u32, u32::saturating_add);

    match account {
        AccountState::Missing => {
            let expected = if challenge.client_domain.is_some() { 3 } else { 2 };
            if challenge.signatures.len() != expected {
                return Err(Error::MissingAccountSignatureCount {
                    expected,
                    found: challenge.signatures.len(),
                    extra: if expected == 3 { ", client domain" } else { "" },
                });
            }
            if client_signers.is_empty() {
                return Err(Error::NoMasterSignature);
            }
        }
        AccountState::Exists(account) => {
            if weight == 0 {
                return Err(Error::NoClientSignature);
            }
            if weight < account.medium_threshold {
                return Err(Error::BelowThreshold { weight, threshold: account.medium_threshold });
            }
        }
    }
    Ok(VerifiedSigners { signers: client_signers.iter().map(|(key, _)| account_id(key)).collect(), weight })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Server,
    ClientDomain,
    ClientDomainAndSigner(u32),
    Signer(u32),
}

#[cfg(test)]
mod tests;
