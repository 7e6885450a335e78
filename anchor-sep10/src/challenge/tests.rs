//! SEP-10 challenges against the specification: the spec's example verifies (on its network only),
//! the layout of an issued challenge, muxed clients, the signer and threshold rules, every
//! decoding, source, sequence, time-bound, operation and memo rule, tampering and mutated
//! envelopes, and the server reading its own challenges exactly as a verifier does.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use anchor_core::keys::SigningKey;
use stellar_xdr::{ReadXdr, TransactionV0, TransactionV0Envelope, TransactionV1Envelope, WriteXdr};

use super::*;

const TESTNET: &str = "Test SDF Network ; September 2015";
const PUBNET: &str = "Public Global Stellar Network ; September 2015";
const SPEC_SERVER: &str = "GDEISG5WA25KU6HHB7N4HVQKID4A7FDDR3FKD32R6C7KCV7YLYKVY7S7";
const SPEC_CLIENT: &str = "GBAQD4VYNI2255CFRDNDM4LVAEITMCNS7HJCI7I46XJE756ITCJXLV7E";
const SPEC_HOME: &str = "thisisatest.sandbox.anchor.anchordomain.com";
const SPEC_SIGNED: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/spec_challenge_client_signed.txt"));
const SPEC_SERVER_ONLY: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/spec_challenge_server_signed.txt"));
const NOW: u64 = 1_800_000_000;
const HOME: &str = "anchor.example";
const WEB_AUTH: &str = "auth.anchor.example";

fn key(account: &str) -> [u8; 32] {
    stellar_strkey::ed25519::PublicKey::from_string(account).unwrap().0
}

fn server() -> SigningKey {
    SigningKey::from_bytes([1; 32])
}

fn client() -> SigningKey {
    SigningKey::from_bytes([2; 32])
}

fn wallet() -> SigningKey {
    SigningKey::from_bytes([3; 32])
}

fn homes() -> Vec<String> {
    vec![HOME.to_string(), "other.example".to_string()]
}

fn verifier(homes: &[String]) -> Verifier<'_> {
    Verifier {
        server_key: server().public_key_bytes(),
        network_id: network_id(TESTNET),
        home_domains: homes,
        web_auth_domain: WEB_AUTH,
    }
}

fn request(account: ClientAccount) -> ChallengeRequest<'static> {
    ChallengeRequest {
        account,
        memo: None,
        home_domain: HOME,
        web_auth_domain: WEB_AUTH,
        client_domain: None,
    }
}

fn plain(key: &SigningKey) -> ClientAccount {
    ClientAccount::Plain(key.public_key_bytes())
}

fn build(request: &ChallengeRequest<'_>) -> String {
    build_challenge(&server(), &network_id(TESTNET), request, NOW, 900, &[9; NONCE_BYTES]).unwrap()
}

fn envelope(xdr: &str) -> TransactionV1Envelope {
    match TransactionEnvelope::from_xdr_base64(xdr, Limits::none()).unwrap() {
        TransactionEnvelope::Tx(envelope) => envelope,
        other => panic!("unexpected {other:?}"),
    }
}

fn encode(envelope: TransactionV1Envelope) -> String {
    TransactionEnvelope::Tx(envelope).to_xdr_base64(Limits::none()).unwrap()
}

/// Adds signatures by `signers` to a challenge.
fn sign(xdr: &str, signers: &[&SigningKey]) -> String {
    let mut envelope = envelope(xdr);
    let hash = envelope.tx.hash(network_id(TESTNET)).unwrap();
    let mut signatures = envelope.signatures.to_vec();
    for signer in signers {
        signatures.push(decorated_signature(signer, &hash).unwrap());
    }
    envelope.signatures = signatures.try_into().unwrap();
    encode(envelope)
}

/// Applies `change` to the transaction and re-signs it with the server key only, so that the
/// structural rules are tested on their own.
fn tampered(change: impl FnOnce(&mut Transaction)) -> String {
    let mut envelope = envelope(&build(&request(plain(&client()))));
    change(&mut envelope.tx);
    envelope.signatures = Default::default();
    sign(&encode(envelope), &[&server()])
}

fn exists(signers: &[(&SigningKey, u32)], medium: u32) -> AccountState {
    AccountState::Exists(AccountSigners {
        signers: signers.iter().map(|(key, weight)| (key.public_key_bytes(), *weight)).collect(),
        medium_threshold: medium,
    })
}

fn check(xdr: &str, account: &AccountState) -> Result<VerifiedSigners, Error> {
    let homes = homes();
    let read = read_challenge(&verifier(&homes), xdr, NOW + 10)?;
    verify_signatures(&read, &server().public_key_bytes(), account)
}

// ---------- golden vectors ----------

#[test]
fn the_spec_challenge_decodes_and_both_signatures_verify_on_testnet() {
    let homes = vec![SPEC_HOME.to_string()];
    let verifier = Verifier {
        server_key: key(SPEC_SERVER),
        network_id: network_id(TESTNET),
        home_domains: &homes,
        web_auth_domain: "unused.example",
    };
    let read = read_challenge(&verifier, SPEC_SIGNED.trim(), 1_597_691_000).unwrap();
    assert_eq!(read.hash_hex(), "0a5ce87bdf83b9754045f32c41db19d5f266423c9963f6009cabacab4002b475");
    assert_eq!(read.client, ClientAccount::Plain(key(SPEC_CLIENT)));
    assert_eq!(read.home_domain, SPEC_HOME);
    assert_eq!((read.min_time, read.max_time), (1_597_690_993, 1_597_691_893));
    assert_eq!(read.memo, None);
    assert_eq!(read.signature_count(), 2);
    assert_eq!(read.subject(), SPEC_CLIENT);
    // An account that does not exist: exactly the server's and the master key's signatures.
    let verified = verify_signatures(&read, &key(SPEC_SERVER), &AccountState::Missing).unwrap();
    assert_eq!(verified.signers, vec![SPEC_CLIENT.to_string()]);

    let raw = base64::engine::general_purpose::STANDARD.decode(SPEC_SIGNED.trim()).unwrap();
    let TransactionEnvelope::Tx(envelope) = TransactionEnvelope::from_xdr(&raw, Limits::none()).unwrap()
    else {
        panic!("v1 envelope")
    };
    assert_eq!(envelope.tx.fee, 100);
    let hints: Vec<String> =
        envelope.signatures.iter().map(|s| anchor_core::hex::encode(&s.hint.0)).collect();
    assert_eq!(hints, ["f85e155c", "c8989375"]);

    // The server-only form is the same transaction with the server's signature alone.
    let server_only = read_challenge(&verifier, SPEC_SERVER_ONLY.trim(), 1_597_691_000).unwrap();
    assert_eq!(server_only.hash, read.hash);
    assert_eq!(server_only.signature_count(), 1);
}

#[test]
fn the_spec_challenge_does_not_verify_with_the_public_network_passphrase() {
    let homes = vec![SPEC_HOME.to_string()];
    let verifier = Verifier {
        server_key: key(SPEC_SERVER),
        network_id: network_id(PUBNET),
        home_domains: &homes,
        web_auth_domain: "unused.example",
    };
    assert_eq!(
        read_challenge(&verifier, SPEC_SIGNED.trim(), 1_597_691_000).unwrap_err(),
        Error::NoServerSignature
    );
}

// ---------- layout ----------

#[test]
fn the_challenge_is_laid_out_as_the_spec_says() {
    let wallet_key = wallet().public_key_bytes();
    let request = ChallengeRequest {
        account: plain(&client()),
        memo: Some(u64::MAX),
        home_domain: HOME,
        web_auth_domain: WEB_AUTH,
        client_domain: Some(("wallet.example", wallet_key)),
    };
    let xdr = build(&request);
    let raw = base64::engine::general_purpose::STANDARD.decode(&xdr).unwrap();
    assert_eq!(&raw[..4], &[0, 0, 0, 2], "ENVELOPE_TYPE_TX");
    let envelope = envelope(&xdr);
    let tx = &envelope.tx;
    assert_eq!(tx.source_account, MuxedAccount::Ed25519(Uint256(server().public_key_bytes())));
    assert_eq!(tx.seq_num.0, 0);
    assert_eq!(tx.fee, 300);
    assert_eq!(
        tx.cond,
        Preconditions::Time(TimeBounds { min_time: TimePoint(NOW), max_time: TimePoint(NOW + 900) })
    );
    assert_eq!(tx.memo, Memo::Id(u64::MAX));
    let ops = tx.operations.as_slice();
    assert_eq!(ops.len(), 3);
    let data = |op: &Operation| match &op.body {
        OperationBody::ManageData(data) => data.clone(),
        other => panic!("not manage data: {other:?}"),
    };
    assert_eq!(ops[0].source_account, Some(MuxedAccount::Ed25519(Uint256(client().public_key_bytes()))));
    assert_eq!(data(&ops[0]).data_name.0.as_slice(), b"anchor.example auth");
    let nonce = data(&ops[0]).data_value.unwrap();
    assert_eq!(nonce.0.len(), 64);
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(nonce.0.as_slice()).unwrap(), vec![9; 48]);
    assert_eq!(ops[1].source_account, Some(MuxedAccount::Ed25519(Uint256(server().public_key_bytes()))));
    assert_eq!(data(&ops[1]).data_name.0.as_slice(), b"web_auth_domain");
    assert_eq!(data(&ops[1]).data_value.unwrap().0.as_slice(), WEB_AUTH.as_bytes());
    assert_eq!(ops[2].source_account, Some(MuxedAccount::Ed25519(Uint256(wallet_key))));
    assert_eq!(data(&ops[2]).data_name.0.as_slice(), b"client_domain");
    assert_eq!(data(&ops[2]).data_value.unwrap().0.as_slice(), b"wallet.example");
    assert_eq!(envelope.signatures.len(), 1);
    assert_eq!(envelope.signatures[0].hint.0, server().public_key_bytes()[28..]);

    let homes = homes();
    let read = read_challenge(&verifier(&homes), &xdr, NOW).unwrap();
    assert_eq!(read.subject(), format!("{}:{}", client().public_key(), u64::MAX));
    assert_eq!(read.client_domain, Some(("wallet.example".to_string(), wallet_key)));
}

#[test]
fn a_muxed_client_is_the_source_of_operation_0_and_the_subject() {
    let muxed = ClientAccount::Muxed { key: client().public_key_bytes(), id: 9_223_372_036_854_775_808 };
    let xdr = sign(&build(&request(muxed)), &[&client()]);
    let homes = homes();
    let read = read_challenge(&verifier(&homes), &xdr, NOW).unwrap();
    assert!(read.subject().starts_with('M'));
    assert_eq!(ClientAccount::parse(&read.subject()).unwrap(), muxed);
    assert_eq!(read.client.account_id(), client().public_key());
    verify_signatures(&read, &server().public_key_bytes(), &AccountState::Missing).unwrap();
}

#[test]
fn sep23_muxed_vectors_parse() {
    let g = key("GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ");
    assert_eq!(
        ClientAccount::parse("MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAAAAAAAACJUQ")
            .unwrap(),
        ClientAccount::Muxed { key: g, id: 0 }
    );
    assert_eq!(
        ClientAccount::parse("MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVAAAAAAAAAAAAAJLK")
            .unwrap(),
        ClientAccount::Muxed { key: g, id: 9_223_372_036_854_775_808 }
    );
    for bad in [
        "",
        "GA7QYNF7",
        "MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAAAAAAAACJUR",
        SPEC_SERVER.get(1..).unwrap(),
    ] {
        assert_eq!(ClientAccount::parse(bad), Err(Error::InvalidAccount), "{bad}");
    }
}

// ---------- signatures (rules 9 and 10) ----------

#[test]
fn a_missing_account_needs_exactly_server_and_master() {
    let base = build(&request(plain(&client())));
    assert!(check(&sign(&base, &[&client()]), &AccountState::Missing).is_ok());
    assert_eq!(
        check(&base, &AccountState::Missing).unwrap_err(),
        Error::MissingAccountSignatureCount { expected: 2, found: 1, extra: "" }
    );
    assert_eq!(
        check(&sign(&base, &[&wallet()]), &AccountState::Missing).unwrap_err(),
        Error::UnrecognizedSignatures
    );
    assert_eq!(
        check(&sign(&base, &[&client(), &client()]), &AccountState::Missing).unwrap_err(),
        Error::DuplicateSignature
    );
    assert_eq!(
        check(&sign(&base, &[&client(), &wallet()]), &AccountState::Missing).unwrap_err(),
        Error::UnrecognizedSignatures
    );
}

#[test]
fn an_existing_account_needs_the_medium_threshold() {
    let second = SigningKey::from_bytes([4; 32]);
    let base = build(&request(plain(&client())));
    let account = exists(&[(&client(), 1), (&second, 1)], 2);
    assert_eq!(
        check(&sign(&base, &[&client()]), &account).unwrap_err(),
        Error::BelowThreshold { weight: 1, threshold: 2 }
    );
    let verified = check(&sign(&base, &[&client(), &second]), &account).unwrap();
    assert_eq!(verified.weight, 2);
    // A non-master signer alone suffices when its weight does.
    let account = exists(&[(&client(), 0), (&second, 5)], 5);
    assert_eq!(
        check(&sign(&base, &[&second]), &account).unwrap().signers,
        vec![second.public_key().to_string()]
    );
    // The master key with weight 0 cannot authenticate.
    assert_eq!(check(&sign(&base, &[&client()]), &account).unwrap_err(), Error::NoClientSignature);
    // Medium threshold 0 still needs a signer with weight.
    let zero = exists(&[(&client(), 1)], 0);
    assert_eq!(check(&base, &zero).unwrap_err(), Error::NoClientSignature);
    assert!(check(&sign(&base, &[&client()]), &zero).is_ok());
}

#[test]
fn the_server_key_never_counts_for_the_client() {
    let base = build(&request(plain(&client())));
    let account = exists(&[(&client(), 1), (&server(), 10)], 5);
    assert_eq!(
        check(&sign(&base, &[&client()]), &account).unwrap_err(),
        Error::BelowThreshold { weight: 1, threshold: 5 }
    );
    assert_eq!(check(&sign(&base, &[&server()]), &account).unwrap_err(), Error::DuplicateSignature);
}

#[test]
fn leftover_and_duplicate_signatures_are_refused() {
    let base = build(&request(plain(&client())));
    let account = exists(&[(&client(), 1)], 1);
    assert_eq!(
        check(&sign(&base, &[&client(), &wallet()]), &account).unwrap_err(),
        Error::UnrecognizedSignatures
    );
    assert_eq!(
        check(&sign(&base, &[&client(), &client()]), &account).unwrap_err(),
        Error::DuplicateSignature
    );
    // A signature over another transaction (wrong network) matches no key.
    let mut envelope = envelope(&base);
    let other_hash = envelope.tx.hash(network_id(PUBNET)).unwrap();
    let mut signatures = envelope.signatures.to_vec();
    signatures.push(decorated_signature(&client(), &other_hash).unwrap());
    envelope.signatures = signatures.try_into().unwrap();
    assert_eq!(check(&encode(envelope), &account).unwrap_err(), Error::UnrecognizedSignatures);
}

#[test]
fn the_client_domain_key_must_sign() {
    let wallet_key = wallet().public_key_bytes();
    let base = build(&ChallengeRequest {
        client_domain: Some(("wallet.example", wallet_key)),
        ..request(plain(&client()))
    });
    let account = exists(&[(&client(), 1)], 1);
    assert_eq!(check(&sign(&base, &[&client()]), &account).unwrap_err(), Error::NoClientDomainSignature);
    assert!(check(&sign(&base, &[&client(), &wallet()]), &account).is_ok());
    assert!(check(&sign(&base, &[&client(), &wallet()]), &AccountState::Missing).is_ok());
    assert_eq!(
        check(&sign(&base, &[&client()]), &AccountState::Missing).unwrap_err(),
        Error::NoClientDomainSignature
    );
    assert_eq!(
        check(&sign(&base, &[&wallet()]), &AccountState::Missing).unwrap_err(),
        Error::MissingAccountSignatureCount { expected: 3, found: 2, extra: ", client domain" }
    );
    // Three signatures on a missing account without a client_domain operation.
    let plain_base = build(&request(plain(&client())));
    assert_eq!(
        check(&sign(&plain_base, &[&client(), &wallet()]), &AccountState::Missing).unwrap_err(),
        Error::UnrecognizedSignatures
    );
}

// ---------- structure (rules 1 to 7) ----------

#[test]
fn decoding_failures() {
    let homes = homes();
    let v = verifier(&homes);
    assert_eq!(read_challenge(&v, "not base64!!", NOW).unwrap_err(), Error::NotBase64);
    assert_eq!(read_challenge(&v, "aGVsbG8gd29ybGQ=", NOW).unwrap_err(), Error::NotEnvelope);
    assert_eq!(read_challenge(&v, "", NOW).unwrap_err(), Error::NotEnvelope);
    // Trailing bytes after a valid envelope.
    let xdr = build(&request(plain(&client())));
    let mut raw = base64::engine::general_purpose::STANDARD.decode(&xdr).unwrap();
    raw.extend_from_slice(&[0, 0, 0, 0]);
    let trailing = base64::engine::general_purpose::STANDARD.encode(raw);
    assert_eq!(read_challenge(&v, &trailing, NOW).unwrap_err(), Error::NotEnvelope);
    // Far too long.
    assert_eq!(read_challenge(&v, &"A".repeat(64 * 1024), NOW).unwrap_err(), Error::NotEnvelope);
}

#[test]
fn a_fee_bump_envelope_is_refused() {
    use stellar_xdr::{
        FeeBumpTransaction, FeeBumpTransactionEnvelope, FeeBumpTransactionExt, FeeBumpTransactionInnerTx,
    };
    let inner = envelope(&sign(&build(&request(plain(&client()))), &[&client()]));
    let fee_bump = TransactionEnvelope::TxFeeBump(FeeBumpTransactionEnvelope {
        tx: FeeBumpTransaction {
            fee_source: MuxedAccount::Ed25519(Uint256(client().public_key_bytes())),
            fee: 1000,
            inner_tx: FeeBumpTransactionInnerTx::Tx(inner),
            ext: FeeBumpTransactionExt::V0,
        },
        signatures: Default::default(),
    });
    let homes = homes();
    let xdr = fee_bump.to_xdr_base64(Limits::none()).unwrap();
    assert_eq!(read_challenge(&verifier(&homes), &xdr, NOW).unwrap_err(), Error::FeeBump);
}

#[test]
fn a_v0_envelope_is_read_as_its_v1_form() {
    let v1 = envelope(&sign(&build(&request(plain(&client()))), &[&client()]));
    let Preconditions::Time(bounds) = v1.tx.cond.clone() else { panic!() };
    let v0 = TransactionEnvelope::TxV0(TransactionV0Envelope {
        tx: TransactionV0 {
            source_account_ed25519: Uint256(server().public_key_bytes()),
            fee: v1.tx.fee,
            seq_num: v1.tx.seq_num.clone(),
            time_bounds: Some(bounds),
            memo: v1.tx.memo.clone(),
            operations: v1.tx.operations.clone(),
            ext: stellar_xdr::TransactionV0Ext::V0,
        },
        signatures: v1.signatures.clone(),
    });
    let xdr = v0.to_xdr_base64(Limits::none()).unwrap();
    let homes = homes();
    let read = read_challenge(&verifier(&homes), &xdr, NOW).unwrap();
    let read_v1 = read_challenge(&verifier(&homes), &encode(v1), NOW).unwrap();
    assert_eq!(read.hash, read_v1.hash, "the V0 form hashes as its v1 conversion");
    verify_signatures(&read, &server().public_key_bytes(), &AccountState::Missing).unwrap();
}

#[test]
fn source_and_sequence() {
    let homes = homes();
    let v = verifier(&homes);
    let other =
        tampered(|tx| tx.source_account = MuxedAccount::Ed25519(Uint256(client().public_key_bytes())));
    assert_eq!(read_challenge(&v, &other, NOW).unwrap_err(), Error::WrongSource);
    let muxed = tampered(|tx| {
        tx.source_account = MuxedAccount::MuxedEd25519(MuxedAccountMed25519 {
            id: 1,
            ed25519: Uint256(server().public_key_bytes()),
        })
    });
    assert_eq!(read_challenge(&v, &muxed, NOW).unwrap_err(), Error::WrongSource);
    let seq = tampered(|tx| tx.seq_num = SequenceNumber(1));
    assert_eq!(read_challenge(&v, &seq, NOW).unwrap_err(), Error::NonZeroSequence);
}

#[test]
fn time_bounds() {
    let homes = homes();
    let v = verifier(&homes);
    let xdr = build(&request(plain(&client())));
    assert!(read_challenge(&v, &xdr, NOW + 900).is_ok());
    assert_eq!(read_challenge(&v, &xdr, NOW + 901).unwrap_err(), Error::Expired);
    assert!(read_challenge(&v, &xdr, NOW - 300).is_ok(), "5 minutes of clock skew");
    assert_eq!(read_challenge(&v, &xdr, NOW - 301).unwrap_err(), Error::NotYetValid);
    let none = tampered(|tx| tx.cond = Preconditions::None);
    assert_eq!(read_challenge(&v, &none, NOW).unwrap_err(), Error::NoTimeBounds);
    let infinite = tampered(|tx| {
        tx.cond = Preconditions::Time(TimeBounds { min_time: TimePoint(NOW), max_time: TimePoint(0) })
    });
    assert_eq!(read_challenge(&v, &infinite, NOW).unwrap_err(), Error::InfiniteTimeBounds);
}

fn set_op(tx: &mut Transaction, index: usize, op: Operation) {
    let mut ops = tx.operations.to_vec();
    if index < ops.len() {
        ops[index] = op;
    } else {
        ops.push(op);
    }
    tx.operations = ops.try_into().unwrap();
}

fn server_account() -> MuxedAccount {
    MuxedAccount::Ed25519(Uint256(server().public_key_bytes()))
}

fn client_account() -> MuxedAccount {
    MuxedAccount::Ed25519(Uint256(client().public_key_bytes()))
}

#[test]
fn operation_0_rules() {
    let homes = homes();
    let v = verifier(&homes);
    let no_ops = tampered(|tx| tx.operations = Default::default());
    assert_eq!(read_challenge(&v, &no_ops, NOW).unwrap_err(), Error::NoOperations);
    let no_source = tampered(|tx| {
        let mut op = tx.operations[0].clone();
        op.source_account = None;
        set_op(tx, 0, op);
    });
    assert_eq!(read_challenge(&v, &no_source, NOW).unwrap_err(), Error::FirstOperation);
    let payment = tampered(|tx| {
        set_op(tx, 0, Operation { source_account: Some(client_account()), body: OperationBody::Inflation })
    });
    assert_eq!(read_challenge(&v, &payment, NOW).unwrap_err(), Error::FirstOperation);
    let cases: [(&str, &[u8], Error); 5] = [
        ("evil.example auth", &[b'A'; 64], Error::WrongHomeDomain),
        ("anchor.example", &[b'A'; 64], Error::WrongHomeDomain),
        ("anchor.example auth", &[b'A'; 63], Error::BadNonce),
        ("anchor.example auth", &[b'!'; 64], Error::BadNonce),
        ("anchor.example auth", &[b'A'; 60], Error::BadNonce),
    ];
    for (name, value, expected) in cases {
        let xdr = tampered(|tx| set_op(tx, 0, manage_data(client_account(), name, value).unwrap()));
        assert_eq!(read_challenge(&v, &xdr, NOW).unwrap_err(), expected, "{name}");
    }
    // Any configured home domain is accepted, and remembered.
    let other = tampered(|tx| {
        set_op(tx, 0, manage_data(client_account(), "other.example auth", &[b'A'; 64]).unwrap())
    });
    assert_eq!(read_challenge(&v, &other, NOW).unwrap().home_domain, "other.example");
}

#[test]
fn memo_rules() {
    let homes = homes();
    let v = verifier(&homes);
    let text = tampered(|tx| tx.memo = Memo::Text("hi".try_into().unwrap()));
    assert_eq!(read_challenge(&v, &text, NOW).unwrap_err(), Error::MemoType);
    let muxed_with_memo = tampered(|tx| {
        tx.memo = Memo::Id(5);
        let mut op = tx.operations[0].clone();
        op.source_account = Some(MuxedAccount::MuxedEd25519(MuxedAccountMed25519 {
            id: 5,
            ed25519: Uint256(client().public_key_bytes()),
        }));
        set_op(tx, 0, op);
    });
    assert_eq!(read_challenge(&v, &muxed_with_memo, NOW).unwrap_err(), Error::MemoWithMuxedSource);
}

#[test]
fn later_operation_rules() {
    let homes = homes();
    let v = verifier(&homes);
    let cases: Vec<(Operation, Error)> = vec![
        (
            manage_data(client_account(), "web_auth_domain", WEB_AUTH.as_bytes()).unwrap(),
            Error::WebAuthDomain,
        ),
        (manage_data(server_account(), "web_auth_domain", b"evil.example").unwrap(), Error::WebAuthDomain),
        (manage_data(client_account(), "reserved", b"x").unwrap(), Error::ForeignOperation),
        (
            Operation { source_account: Some(server_account()), body: OperationBody::Inflation },
            Error::OperationType,
        ),
    ];
    for (op, expected) in cases {
        let xdr = tampered(|tx| set_op(tx, 1, op));
        assert_eq!(read_challenge(&v, &xdr, NOW).unwrap_err(), expected);
    }
    let two_client_domains = tampered(|tx| {
        set_op(tx, 2, manage_data(client_account(), "client_domain", b"a.example").unwrap());
        set_op(tx, 3, manage_data(client_account(), "client_domain", b"b.example").unwrap());
    });
    assert_eq!(read_challenge(&v, &two_client_domains, NOW).unwrap_err(), Error::DuplicateClientDomain);
    // A reserved server operation and a missing web_auth_domain (pre-v3.1 shape) are accepted.
    let reserved = tampered(|tx| set_op(tx, 2, manage_data(server_account(), "reserved", b"x").unwrap()));
    assert!(read_challenge(&v, &reserved, NOW).is_ok());
    let old_shape = tampered(|tx| {
        let first = tx.operations[0].clone();
        tx.operations = vec![first].try_into().unwrap();
    });
    assert!(read_challenge(&v, &old_shape, NOW).is_ok());
}

#[test]
fn tampering_breaks_the_server_signature() {
    let homes = homes();
    let v = verifier(&homes);
    let mut envelope = envelope(&build(&request(plain(&client()))));
    envelope.tx.fee += 1;
    assert_eq!(read_challenge(&v, &encode(envelope), NOW).unwrap_err(), Error::NoServerSignature);
    // Signed by someone else entirely.
    let mut unsigned = self::envelope(&build(&request(plain(&client()))));
    unsigned.signatures = Default::default();
    let foreign = sign(&encode(unsigned), &[&client()]);
    assert_eq!(read_challenge(&v, &foreign, NOW).unwrap_err(), Error::NoServerSignature);
    // Another network.
    let other = Verifier { network_id: network_id(PUBNET), ..v };
    assert_eq!(
        read_challenge(&other, &build(&request(plain(&client()))), NOW).unwrap_err(),
        Error::NoServerSignature
    );
}

#[test]
fn mutated_envelopes_never_panic_and_never_pass_as_another_challenge() {
    let base = sign(&build(&request(plain(&client()))), &[&client()]);
    let raw = base64::engine::general_purpose::STANDARD.decode(&base).unwrap();
    let homes = homes();
    let v = verifier(&homes);
    let account = exists(&[(&client(), 1)], 1);
    let original = read_challenge(&v, &base, NOW).unwrap().hash;
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..600 {
        let mut mutated = raw.clone();
        for _ in 0..1 + next() % 3 {
            let index = (next() % mutated.len() as u64) as usize;
            mutated[index] ^= 1 << (next() % 8);
        }
        if next() % 4 == 0 {
            let cut = (next() % mutated.len() as u64) as usize;
            mutated.truncate(cut);
        }
        let xdr = base64::engine::general_purpose::STANDARD.encode(&mutated);
        if let Ok(read) = read_challenge(&v, &xdr, NOW) {
            // Only mutations outside the signed transaction (in the signatures) can get this far.
            assert_eq!(read.hash, original);
            let _ = verify_signatures(&read, &server().public_key_bytes(), &account);
        }
    }
}

#[test]
fn the_server_reads_its_own_challenges_exactly_as_a_verifier_does() {
    let homes = homes();
    let v = verifier(&homes);
    let base = build(&request(plain(&client())));
    let mut unsigned = envelope(&base);
    unsigned.signatures = Default::default();
    let mut tampered = envelope(&base);
    tampered.tx.fee += 1;
    let mut wrong_hint = envelope(&base);
    let mut signatures = wrong_hint.signatures.to_vec();
    signatures[0].hint = SignatureHint([0; 4]);
    wrong_hint.signatures = signatures.try_into().unwrap();
    let cases = [
        base.clone(),
        sign(&base, &[&client()]),
        sign(&encode(unsigned.clone()), &[&client()]),
        sign(&encode(unsigned), &[&client(), &server()]),
        encode(tampered),
        encode(wrong_hint),
        SPEC_SIGNED.trim().to_string(),
    ];
    for xdr in &cases {
        let verified = read_challenge(&v, xdr, NOW).map(|read| read.hash);
        let own = read_own_challenge(&v, &server(), xdr, NOW).map(|read| read.hash);
        assert_eq!(verified, own);
    }
    assert!(read_own_challenge(&v, &server(), &base, NOW).is_ok());
    assert_eq!(read_own_challenge(&v, &server(), &cases[4], NOW).unwrap_err(), Error::NoServerSignature);
    // Another key than the verifier's: falls back to verification.
    assert!(read_own_challenge(&v, &client(), &base, NOW).is_ok());
}

#[test]
fn an_issued_challenge_is_what_stellar_xdr_encodes_and_hashes() {
    for request in [
        request(plain(&client())),
        ChallengeRequest { memo: Some(u64::MAX), ..request(plain(&client())) },
        ChallengeRequest {
            client_domain: Some(("wallet.example", wallet().public_key_bytes())),
            ..request(ClientAccount::Muxed { key: client().public_key_bytes(), id: 7 })
        },
    ] {
        let issued =
            issue_challenge(&server(), &network_id(TESTNET), &request, NOW, 900, &[9; NONCE_BYTES]).unwrap();
        let decoded = envelope(&issued.transaction);
        assert_eq!(encode(decoded.clone()), issued.transaction, "canonical XDR");
        assert_eq!(decoded.tx.hash(network_id(TESTNET)).unwrap(), issued.hash);
        assert_eq!(decoded.signatures.len(), 1);
        assert_eq!(decoded.signatures[0].signature.0.as_slice(), &issued.server_signature[..]);
        assert_eq!(issued.server_signature, server().sign(&issued.hash));
    }
}

#[test]
fn reading_with_the_issued_signatures_decides_as_a_verifier_does() {
    let homes = homes();
    let v = verifier(&homes);
    let request = request(plain(&client()));
    let issued_challenge =
        issue_challenge(&server(), &network_id(TESTNET), &request, NOW, 900, &[9; NONCE_BYTES]).unwrap();
    let base = issued_challenge.transaction.clone();
    let mut tampered = envelope(&base);
    tampered.tx.fee += 1;
    let mut forged = envelope(&base);
    let mut signatures = forged.signatures.to_vec();
    signatures[0].signature =
        stellar_xdr::Signature(client().sign(&issued_challenge.hash).to_vec().try_into().unwrap());
    forged.signatures = signatures.try_into().unwrap();
    let cases = [
        base.clone(),
        sign(&base, &[&client()]),
        encode(tampered),
        encode(forged),
        SPEC_SIGNED.trim().to_string(),
    ];
    for remembered in [true, false] {
        let issued = crate::issued::IssuedSignatures::with_slots(4);
        if remembered {
            issued.remember(
                issued_challenge.hash,
                server().public_key_bytes(),
                issued_challenge.server_signature,
            );
        }
        for xdr in &cases {
            let verified = read_challenge(&v, xdr, NOW).map(|read| read.hash);
            let own = read_issued_challenge(&v, &server(), &issued, xdr, NOW).map(|read| read.hash);
            assert_eq!(verified, own);
        }
    }
}

#[test]
fn the_hash_read_from_the_received_bytes_is_the_transaction_hash() {
    let homes = homes();
    let v = verifier(&homes);
    let base = build(&request(plain(&client())));
    let mut short_signature = envelope(&sign(&base, &[&client()]));
    let mut signatures = short_signature.signatures.to_vec();
    signatures.push(DecoratedSignature {
        hint: SignatureHint([1, 2, 3, 4]),
        signature: stellar_xdr::Signature(vec![7; 5].try_into().unwrap()),
    });
    short_signature.signatures = signatures.try_into().unwrap();
    for xdr in [
        base.clone(),
        sign(&base, &[&client()]),
        sign(&base, &[&client(), &wallet(), &client()]),
        encode(short_signature),
        SPEC_SIGNED.trim().to_string(),
    ] {
        let Ok(read) = read_challenge(&v, &xdr, NOW) else { continue };
        assert_eq!(read.hash, envelope(&xdr).tx.hash(network_id(TESTNET)).unwrap());
    }
    let read = read_challenge(&v, &base, NOW).unwrap();
    assert_eq!(read.hash, envelope(&base).tx.hash(network_id(TESTNET)).unwrap());
}
