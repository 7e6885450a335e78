//! Decoding SEP-3 `data`: the specification's example and its memo hash, transaction ids, memo
//! mismatches, envelope kinds and size caps, the `data`/`sig` form, sender addresses, amounts,
//! canonical XDR and base64, and capped `sender_info`.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use base64::Engine as _;
use stellar_xdr::{
    DecoratedSignature, Limits, Signature, SignatureHint, TransactionEnvelope, TransactionV1Envelope,
    WriteXdr,
};

use super::*;

const DATA: &str = include_str!("../../tests/data/spec_data.json");
const MEMO_HEX: &str = "d4835ff00eb303a339fcc9f88203c2cb0b4c05d74ab99f9968d06885417a4fb0";

fn spec() -> (AuthData, Transaction) {
    let auth = parse_auth_data(DATA).unwrap();
    let transaction = decode_transaction(&auth.tx).unwrap();
    (auth, transaction)
}

fn message(err: Error) -> String {
    err.to_string()
}

#[test]
fn the_spec_example_decodes_and_its_memo_is_the_attachment_hash() {
    let (auth, transaction) = spec();
    assert_eq!(auth.sender, "aldi*bankA.com");
    assert!(auth.need_info);
    assert_eq!(auth.attachment.len(), 219);
    assert_eq!(transaction.fee, 100);
    assert_eq!(transaction.seq_num.0, 3556357475139593);
    assert_eq!(transaction.cond, Preconditions::None);
    let memo = check_memo(&transaction, &auth.attachment).unwrap();
    assert_eq!(anchor_core::hex::encode(&memo), MEMO_HEX);
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(memo),
        "1INf8A6zA6M5/Mn4ggPCywtMBddKuZ+ZaNBohUF6T7A="
    );
    let MuxedAccount::Ed25519(Uint256(source)) = &transaction.source_account else { panic!("muxed source") };
    assert_eq!(
        format!("{}", stellar_strkey::ed25519::PublicKey(*source)),
        "GBEEAAVX5GMUEWFL6Q6UQUAH3WAPGNFSIQCI6YXVGXTCPOZ22PGFWMEC"
    );
    let first = first_operation(&transaction).unwrap();
    assert_eq!(first.amount, "1.0000000");
    assert_eq!(first.asset_code, "");
    assert_eq!(first.destination, "GDO34SQXVOSNODK7JCTAXLZUPSAF3JIH4ADQELVIKOQJUWQ3U4BMSCSH");
    let attachment = parse_attachment(&auth.attachment).unwrap();
    assert_eq!(attachment.nonce, "1488805458327055805");
    assert_eq!(attachment.route, "1");
    assert_eq!(attachment.sender_info.get("first_name").map(String::as_str), Some("Aldi"));
}

#[test]
fn transaction_ids_match_the_derived_vectors() {
    let (_, transaction) = spec();
    assert_eq!(
        transaction_id(&transaction, "Test SDF Network ; September 2015").unwrap(),
        "1ead2abe8882d508958169eaa9beb8b8f0c52471e886c68f1b8110a7d7cb495e"
    );
    assert_eq!(
        transaction_id(&transaction, "Public Global Stellar Network ; September 2015").unwrap(),
        "e1e612a08157d5461c763b032a16e1656c9d59fec48c324afb7e5201552341d3"
    );
}

#[test]
fn memo_mismatch_and_non_hash_memos_are_refused() {
    let (auth, mut transaction) = spec();
    let mut other = auth.attachment.clone();
    other.push(' ');
    assert!(message(check_memo(&transaction, &other).unwrap_err()).contains("does not match"));
    transaction.memo = Memo::Id(1);
    assert!(message(check_memo(&transaction, &auth.attachment).unwrap_err()).contains("must be of type hash"));
}

#[test]
fn envelopes_fee_bumps_and_v0_transactions_are_named() {
    let (_, transaction) = spec();
    let envelope = TransactionEnvelope::Tx(TransactionV1Envelope {
        tx: transaction.clone(),
        signatures: vec![DecoratedSignature {
            hint: SignatureHint([1, 2, 3, 4]),
            signature: Signature(vec![7u8; 64].try_into().unwrap()),
        }]
        .try_into()
        .unwrap(),
    });
    let b64 = envelope.to_xdr_base64(Limits::none()).unwrap();
    assert!(message(decode_transaction(&b64).unwrap_err()).contains("transaction envelope"));

    let fee_bump = TransactionEnvelope::TxFeeBump(stellar_xdr::FeeBumpTransactionEnvelope {
        tx: stellar_xdr::FeeBumpTransaction {
            fee_source: transaction.source_account.clone(),
            fee: 200,
            inner_tx: stellar_xdr::FeeBumpTransactionInnerTx::Tx(TransactionV1Envelope {
                tx: transaction.clone(),
                signatures: Default::default(),
            }),
            ext: stellar_xdr::FeeBumpTransactionExt::V0,
        },
        signatures: Default::default(),
    });
    let b64 = fee_bump.to_xdr_base64(Limits::none()).unwrap();
    assert!(message(decode_transaction(&b64).unwrap_err()).contains("fee-bump"));

    let MuxedAccount::Ed25519(source) = transaction.source_account.clone() else { panic!() };
    let v0 = TransactionV0 {
        source_account_ed25519: source,
        fee: 100,
        seq_num: SequenceNumber(0),
        time_bounds: None,
        memo: transaction.memo.clone(),
        operations: transaction.operations.clone(),
        ext: stellar_xdr::TransactionV0Ext::V0,
    };
    let b64 = v0.to_xdr_base64(Limits::none()).unwrap();
    assert!(message(decode_transaction(&b64).unwrap_err()).contains("V0 transaction"));

    assert!(message(decode_transaction("not base64!").unwrap_err()).contains("base64"));
    assert!(message(decode_transaction("AAAA").unwrap_err()).contains("not the XDR"));
}

#[test]
fn oversized_transactions_are_refused_before_decoding() {
    let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; MAX_TX_BYTES + 4]);
    assert!(message(decode_transaction(&big).unwrap_err()).contains("larger than"));
}

#[test]
fn the_form_must_hold_exactly_data_and_sig() {
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert!(signed_request(vec![pair("data", "x"), pair("sig", "y")]).is_ok());
    assert!(message(signed_request(vec![pair("data", "x")]).unwrap_err()).starts_with("sig: missing"));
    assert!(message(signed_request(vec![pair("sig", "x")]).unwrap_err()).starts_with("data: missing"));
    assert!(message(
        signed_request(vec![pair("data", "x"), pair("sig", "y"), pair("extra", "z")]).unwrap_err()
    )
    .contains("unexpected"));
    assert!(message(
        signed_request(vec![pair("data", "x"), pair("data", "x"), pair("sig", "y")]).unwrap_err()
    )
    .contains("more than once"));
}

#[test]
fn sender_needs_exactly_one_star() {
    assert_eq!(parse_federation_address("a*b.com", "f").unwrap().domain, "b.com");
    assert!(message(parse_federation_address("ab.com", "f").unwrap_err()).contains("name*domain"));
    assert!(message(parse_federation_address("a*b*c.com", "f").unwrap_err()).contains("exactly one"));
    assert!(parse_federation_address("*b.com", "f").is_err());
    assert!(parse_federation_address("a*", "f").is_err());
}

#[test]
fn amounts_parse_and_format() {
    assert_eq!(parse_amount("1", "a").unwrap(), 10_000_000);
    assert_eq!(parse_amount("0.0000001", "a").unwrap(), 1);
    assert_eq!(parse_amount("12.5", "a").unwrap(), 125_000_000);
    for bad in ["", "0", "-1", "1.00000001", "1e5", "abc", ".", "1.2.3"] {
        assert!(parse_amount(bad, "a").is_err(), "{bad}");
    }
    assert_eq!(format_amount(10_000_000), "1.0000000");
    assert_eq!(format_amount(1), "0.0000001");
}

#[test]
fn built_transactions_round_trip_and_carry_the_attachment_hash() {
    let mut info = serde_json::Map::new();
    info.insert("first_name".into(), "Aldi".into());
    let attachment = build_attachment("42", &info, "7", "").unwrap();
    assert_eq!(
        attachment,
        r#"{"nonce":"42","transaction":{"sender_info":{"first_name":"Aldi"},"route":"7","note":"","extra":""},"operations":null}"#
    );
    let spec = PaymentSpec::Payment {
        destination: "GDO34SQXVOSNODK7JCTAXLZUPSAF3JIH4ADQELVIKOQJUWQ3U4BMSCSH".into(),
        asset: asset("USD", "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB", "a").unwrap(),
        amount: 25_000_000,
    };
    let transaction =
        build_transaction("GBEEAAVX5GMUEWFL6Q6UQUAH3WAPGNFSIQCI6YXVGXTCPOZ22PGFWMEC", &spec, &attachment)
            .unwrap();
    let decoded = decode_transaction(&encode_transaction(&transaction).unwrap()).unwrap();
    assert_eq!(decoded.seq_num.0, 0);
    check_memo(&decoded, &attachment).unwrap();
    let first = first_operation(&decoded).unwrap();
    assert_eq!((first.amount.as_str(), first.asset_code.as_str()), ("2.5000000", "USD"));
}

#[test]
fn the_decoded_xdr_is_the_canonical_encoding_and_gives_the_same_transaction_id() {
    let (auth, transaction) = spec();
    let decoded = decode_transaction_with_xdr(&auth.tx).unwrap();
    assert_eq!(decoded.transaction, transaction);
    assert_eq!(decoded.xdr, transaction.to_xdr(Limits::none()).unwrap());
    assert_eq!(encode_transaction(&decoded.transaction).unwrap(), auth.tx);
    for passphrase in ["Test SDF Network ; September 2015", "Public Global Stellar Network ; September 2015"]
    {
        assert_eq!(
            transaction_id_of_xdr(&network_id(passphrase), &decoded.xdr),
            transaction_id(&transaction, passphrase).unwrap()
        );
    }
}

#[test]
fn non_canonical_base64_or_trailing_bytes_are_refused() {
    let (auth, _) = spec();
    let mut bytes = base64::engine::general_purpose::STANDARD.decode(&auth.tx).unwrap();
    // The same bytes without padding, or with whitespace, are not the canonical text.
    let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&bytes);
    if unpadded != auth.tx {
        assert!(decode_transaction_with_xdr(&unpadded).is_err());
    }
    assert!(decode_transaction_with_xdr(&format!(" {}", auth.tx)).is_err());
    // A trailing byte after the transaction is not a transaction.
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    let trailing = base64::engine::general_purpose::STANDARD.encode(&bytes);
    assert!(decode_transaction_with_xdr(&trailing).is_err());
}

#[test]
fn sender_info_names_and_texts_are_capped_in_characters() {
    let attachment = |key: &str, value: &str| {
        serde_json::json!({"nonce": "1", "transaction": {"sender_info": {key: value}}}).to_string()
    };
    for key in SENDER_NAME_FIELDS {
        // 256 letters of any script are a name; one more is refused, naming the field and limit.
        assert!(parse_attachment(&attachment(key, &"щ".repeat(MAX_NAME_CHARS))).is_ok(), "{key}");
        let err = parse_attachment(&attachment(key, &"щ".repeat(MAX_NAME_CHARS + 1))).unwrap_err();
        assert_eq!(
            message(err),
            format!("data.attachment: transaction.sender_info.{key} is longer than 256 characters")
        );
    }
    assert!(parse_attachment(&attachment("first_name", &"a".repeat(100_000))).is_err());
    assert!(parse_attachment(&attachment("address", &"a".repeat(MAX_SENDER_INFO_CHARS))).is_ok());
    let err = parse_attachment(&attachment("address", &"a".repeat(MAX_SENDER_INFO_CHARS + 1))).unwrap_err();
    assert!(message(err).contains("transaction.sender_info.address is longer than 2000 characters"));
}
