//! `POST /auth`: successful flows (G, G+memo, M; JSON, form, multipart), the claims, the rejection
//! matrix, single use across instances, Horizon failures. On every backend `test_databases()`
//! offers.

use anchor_core::keys::SigningKey;
use anchor_core::testing::{self, TestDatabase};
use anchor_core::Integrations;
use anchor_sep10::challenge::{build_challenge, network_id, ChallengeRequest, ClientAccount, NONCE_BYTES};
use serde_json::{json, Value};
use stellar_xdr::{
    FeeBumpTransaction, FeeBumpTransactionEnvelope, FeeBumpTransactionExt, FeeBumpTransactionInnerTx, Limits,
    MuxedAccount, OperationBody, Preconditions, ReadXdr, TransactionEnvelope, TransactionV0,
    TransactionV0Envelope, Uint256, WriteXdr,
};

use crate::support::{self, anchor, claims, key, muxed, sign, start_horizon, Anchor, HorizonState};

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn expect_400(result: (u16, Value), needle: &str) {
    let (status, body) = result;
    assert_eq!(status, 400, "`{needle}`: {body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.contains(needle), "`{error}` lacks `{needle}`");
}

/// A challenge built by hand with the anchor's key (for expired, future and foreign-domain cases).
fn forged_challenge(anchor: &Anchor, client: &SigningKey, home_domain: &str, now: u64) -> String {
    let request = ChallengeRequest {
        account: ClientAccount::Plain(client.public_key_bytes()),
        memo: None,
        home_domain,
        web_auth_domain: "localhost:8000",
        client_domain: None,
    };
    build_challenge(
        &anchor.settings.signing_key,
        &network_id(support::PASSPHRASE),
        &request,
        now,
        900,
        &[7; NONCE_BYTES],
    )
    .unwrap()
}

fn envelope(xdr: &str) -> stellar_xdr::TransactionV1Envelope {
    match TransactionEnvelope::from_xdr_base64(xdr, Limits::none()).unwrap() {
        TransactionEnvelope::Tx(envelope) => envelope,
        _ => panic!("v1"),
    }
}

async fn successful_flows(db: &TestDatabase) {
    let horizon = HorizonState::default();
    let horizon_server = start_horizon(horizon.clone(), 1);
    let anchor = anchor(db, &horizon_server.url, &[], Integrations::default());
    let client = key();
    let g = client.public_key().to_string();
    horizon.set_account(&g, &[(&g, 1)], 1);

    // G account, JSON body.
    let xdr = anchor.challenge(&format!("?account={g}")).await;
    let read_min = match &envelope(&xdr).tx.cond {
        Preconditions::Time(bounds) => bounds.min_time.0 as i64,
        _ => panic!(),
    };
    let signed = sign(&xdr, &[&client]);
    let (status, body) = anchor.post_json(json!({"transaction": signed})).await;
    assert_eq!(status, 200, "{}: {body}", db.name);
    let token = body["token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["iss"], "http://localhost:8000/auth");
    assert_eq!(c["sub"], g.as_str());
    assert_eq!(c["iat"], read_min);
    assert_eq!(c["exp"], read_min + 86_400);
    assert_eq!(c["home_domain"], "localhost");
    assert!(c.get("client_domain").is_none());
    let hash = envelope(&signed).tx.hash(network_id(support::PASSPHRASE)).unwrap();
    assert_eq!(c["jti"], anchor_core::hex::encode(&hash));
    let (status, who) = anchor.whoami(token).await;
    assert_eq!(status, 200);
    assert_eq!(who["account"], g.as_str());

    // Replay: the same signed challenge a second time.
    expect_400(anchor.post_json(json!({"transaction": signed})).await, "rule 11");

    // G account with memo, form body.
    let xdr = anchor.challenge(&format!("?account={g}&memo=18446744073709551615")).await;
    let form = format!("transaction={}", url_encode(&sign(&xdr, &[&client])));
    let (status, body) = anchor.post_raw("application/x-www-form-urlencoded", form.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["token"].as_str().unwrap())["sub"], format!("{g}:18446744073709551615"));
    let (_, who) = anchor.whoami(body["token"].as_str().unwrap()).await;
    assert_eq!(who["memo"], "18446744073709551615");

    // M account, multipart body.
    let m = muxed(&client, 9_223_372_036_854_775_808);
    let xdr = anchor.challenge(&format!("?account={m}")).await;
    let boundary = "XyZboundary";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nignored\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"transaction\"\r\n\r\n{}\r\n--{boundary}--\r\n",
        sign(&xdr, &[&client])
    );
    let (status, body) =
        anchor.post_raw(&format!("multipart/form-data; boundary={boundary}"), multipart.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["token"].as_str().unwrap())["sub"], m.as_str());
    let (_, who) = anchor.whoami(body["token"].as_str().unwrap()).await;
    assert_eq!(who["account"], g.as_str());
    assert_eq!(who["muxed_account"], m.as_str());

    // An account that does not exist: the master key alone.
    let newcomer = key();
    let (status, body) =
        anchor.round_trip(&format!("?account={}", newcomer.public_key()), &[&newcomer]).await;
    assert_eq!(status, 200, "{body}");

    // A V0 envelope of a valid challenge is read as its v1 form (stellar-core's rule).
    let xdr = anchor.challenge(&format!("?account={}", newcomer.public_key())).await;
    let v1 = envelope(&sign(&xdr, &[&newcomer]));
    let Preconditions::Time(bounds) = v1.tx.cond.clone() else { panic!() };
    let MuxedAccount::Ed25519(source) = v1.tx.source_account.clone() else { panic!() };
    let v0 = TransactionEnvelope::TxV0(TransactionV0Envelope {
        tx: TransactionV0 {
            source_account_ed25519: source,
            fee: v1.tx.fee,
            seq_num: v1.tx.seq_num.clone(),
            time_bounds: Some(bounds),
            memo: v1.tx.memo.clone(),
            operations: v1.tx.operations.clone(),
            ext: stellar_xdr::TransactionV0Ext::V0,
        },
        signatures: v1.signatures.clone(),
    });
    let (status, body) =
        anchor.post_json(json!({"transaction": v0.to_xdr_base64(Limits::none()).unwrap()})).await;
    assert_eq!(status, 200, "V0: {body}");
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn rejection_matrix(db: &TestDatabase) {
    let horizon = HorizonState::default();
    let horizon_server = start_horizon(horizon.clone(), 1);
    let anchor = anchor(db, &horizon_server.url, &[], Integrations::default());
    let client = key();
    let g = client.public_key().to_string();
    horizon.set_account(&g, &[(&g, 1)], 1);
    let query = format!("?account={g}");

    // Unsigned (the server's signature only).
    let xdr = anchor.challenge(&query).await;
    expect_400(anchor.post_json(json!({"transaction": xdr})).await, "no signature from a signer");
    // Signed by another key.
    expect_400(
        anchor.post_json(json!({"transaction": sign(&xdr, &[&key()])})).await,
        "not from the account's signers",
    );
    // An extra signature.
    expect_400(
        anchor.post_json(json!({"transaction": sign(&xdr, &[&client, &key()])})).await,
        "not from the account's signers",
    );
    // The same signer twice.
    expect_400(
        anchor.post_json(json!({"transaction": sign(&xdr, &[&client, &client])})).await,
        "more than once",
    );
    // A bad attempt did not burn the challenge.
    let (status, body) = anchor.post_json(json!({"transaction": sign(&xdr, &[&client])})).await;
    assert_eq!(status, 200, "{body}");
    // Replayed.
    expect_400(anchor.post_json(json!({"transaction": sign(&xdr, &[&client])})).await, "already been used");

    // Expired; minTime in the future beyond the grace; another home domain.
    let expired = forged_challenge(&anchor, &client, "localhost", now() - 1000);
    expect_400(anchor.post_json(json!({"transaction": sign(&expired, &[&client])})).await, "expired");
    let future = forged_challenge(&anchor, &client, "localhost", now() + 1000);
    expect_400(anchor.post_json(json!({"transaction": sign(&future, &[&client])})).await, "in the future");
    let within_grace = forged_challenge(&anchor, &client, "localhost", now() + 200);
    assert_eq!(anchor.post_json(json!({"transaction": sign(&within_grace, &[&client])})).await.0, 200);
    let foreign = forged_challenge(&anchor, &client, "evil.example", now());
    expect_400(
        anchor.post_json(json!({"transaction": sign(&foreign, &[&client])})).await,
        "rule 4 (home domain)",
    );

    // Operations tampered after signing.
    let xdr = anchor.challenge(&query).await;
    let mut tampered = envelope(&sign(&xdr, &[&client]));
    let mut ops = tampered.tx.operations.to_vec();
    if let OperationBody::ManageData(data) = &mut ops[1].body {
        data.data_value = Some(stellar_xdr::DataValue(b"evil.example".to_vec().try_into().unwrap()));
    }
    tampered.tx.operations = ops.try_into().unwrap();
    let tampered = TransactionEnvelope::Tx(tampered).to_xdr_base64(Limits::none()).unwrap();
    expect_400(anchor.post_json(json!({"transaction": tampered})).await, "rule");

    // Signed by the client for the wrong network.
    let mut wrong_network = envelope(&xdr);
    let pubnet_hash =
        wrong_network.tx.hash(network_id("Public Global Stellar Network ; September 2015")).unwrap();
    let mut signatures = wrong_network.signatures.to_vec();
    signatures.push(anchor_sep10::challenge::decorated_signature(&client, &pubnet_hash).unwrap());
    wrong_network.signatures = signatures.try_into().unwrap();
    let wrong_network = TransactionEnvelope::Tx(wrong_network).to_xdr_base64(Limits::none()).unwrap();
    expect_400(
        anchor.post_json(json!({"transaction": wrong_network})).await,
        "not from the account's signers",
    );

    // A fee-bump envelope.
    let inner = envelope(&sign(&xdr, &[&client]));
    let fee_bump = TransactionEnvelope::TxFeeBump(FeeBumpTransactionEnvelope {
        tx: FeeBumpTransaction {
            fee_source: MuxedAccount::Ed25519(Uint256(client.public_key_bytes())),
            fee: 1000,
            inner_tx: FeeBumpTransactionInnerTx::Tx(inner),
            ext: FeeBumpTransactionExt::V0,
        },
        signatures: Default::default(),
    });
    expect_400(
        anchor.post_json(json!({"transaction": fee_bump.to_xdr_base64(Limits::none()).unwrap()})).await,
        "fee-bump",
    );

    // Encoding and body shapes.
    expect_400(anchor.post_json(json!({"transaction": "%%% not base64 %%%"})).await, "not valid base64");
    expect_400(anchor.post_json(json!({"transaction": "aGVsbG8gd29ybGQ="})).await, "not a valid XDR");
    expect_400(anchor.post_json(json!({"transaction": {"xdr": "AAAA"}})).await, "must be a string");
    expect_400(anchor.post_json(json!({"transaction": 12345})).await, "must be a string");
    expect_400(anchor.post_json(json!({"transaction": null})).await, "`transaction` is required");
    expect_400(anchor.post_json(json!({})).await, "`transaction` is required");
    expect_400(anchor.post_json(json!(["transaction"])).await, "must be an object");
    expect_400(anchor.post_raw("application/json", b"{not json".to_vec()).await, "not valid JSON");
    expect_400(anchor.post_raw("application/json", Vec::new()).await, "`transaction` is required");
    expect_400(anchor.post_raw("", Vec::new()).await, "`transaction` is required");
    expect_400(
        anchor.post_raw("application/x-www-form-urlencoded", Vec::new()).await,
        "`transaction` is required",
    );
    expect_400(anchor.post_raw("text/plain", b"transaction=x".to_vec()).await, "unsupported Content-Type");
    expect_400(
        anchor.post_raw("multipart/form-data; boundary=zzz", b"garbage without boundary".to_vec()).await,
        "",
    );
    let (status, body) = anchor.post_raw("application/json", vec![b' '; 2 * 1024 * 1024]).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].as_str().unwrap().contains("limit"));
}

async fn single_use_across_instances(db: &TestDatabase) {
    let horizon = HorizonState::default();
    let horizon_server = start_horizon(horizon.clone(), 1);
    let first = anchor(db, &horizon_server.url, &[], Integrations::default());
    let second = anchor(db, &horizon_server.url, &[], Integrations::default());
    let client = key();
    let xdr = first.challenge(&format!("?account={}", client.public_key())).await;
    let signed = sign(&xdr, &[&client]);
    let (status, body) = second.post_json(json!({"transaction": signed})).await;
    assert_eq!(status, 200, "{body}");
    expect_400(first.post_json(json!({"transaction": signed})).await, "already been used");

    // Concurrent attempts with the same challenge: exactly one token.
    let xdr = first.challenge(&format!("?account={}", client.public_key())).await;
    let signed = sign(&xdr, &[&client]);
    let attempts = (0..8).map(|i| {
        let anchor = if i % 2 == 0 { &first } else { &second };
        anchor.post_json(json!({"transaction": signed}))
    });
    let results = futures_util::future::join_all(attempts).await;
    let ok = results.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(ok, 1, "{}: {results:?}", db.name);
    assert!(results.iter().all(|(status, _)| *status == 200 || *status == 400));

    // Expired records are purged.
    assert_eq!(anchor_sep10::replay::count(&first.database).await.unwrap(), 2);
    let purged = anchor_sep10::replay::purge_expired(&first.database, (now() + 10_000) as i64).await.unwrap();
    assert_eq!(purged, 2);
    assert_eq!(anchor_sep10::replay::count(&first.database).await.unwrap(), 0);
}

#[actix_web::test]
async fn successful_flows_on_every_backend() {
    for db in testing::test_databases() {
        eprintln!("successful_flows: {}", db.name);
        successful_flows(&db).await;
    }
}

#[actix_web::test]
async fn rejection_matrix_on_every_backend() {
    for db in testing::test_databases() {
        eprintln!("rejection_matrix: {}", db.name);
        rejection_matrix(&db).await;
    }
}

#[actix_web::test]
async fn single_use_across_instances_on_every_backend() {
    for db in testing::test_databases() {
        eprintln!("single_use_across_instances: {}", db.name);
        single_use_across_instances(&db).await;
    }
}

#[actix_web::test]
async fn horizon_failures_are_503s_and_burn_nothing() {
    let db = testing::sqlite_database();
    let horizon = HorizonState::default();
    let horizon_server = start_horizon(horizon.clone(), 1);
    let anchor = anchor(&db, &horizon_server.url, &[], Integrations::default());
    let client = key();
    let xdr = anchor.challenge(&format!("?account={}", client.public_key())).await;
    let signed = sign(&xdr, &[&client]);
    horizon.set_failing(true);
    let (status, body) = anchor.post_json(json!({"transaction": signed})).await;
    assert_eq!(status, 503, "{body}");
    assert!(body["error"].as_str().unwrap().contains("Horizon"));
    horizon.set_failing(false);
    assert_eq!(anchor.post_json(json!({"transaction": signed})).await.0, 200);

    // Nothing listening at HORIZON_URI.
    let unreachable = testing::sqlite_database();
    let anchor = crate::support::anchor(&unreachable, "http://127.0.0.1:9", &[], Integrations::default());
    let (status, body) = anchor.round_trip(&format!("?account={}", client.public_key()), &[&client]).await;
    assert_eq!(status, 503, "{body}");
}

#[actix_web::test]
async fn a_frozen_account_gets_no_token() {
    let db = testing::sqlite_database();
    let horizon = HorizonState::default();
    let horizon_server = start_horizon(horizon.clone(), 1);
    let client = key();
    let anchor = anchor(
        &db,
        &horizon_server.url,
        &[],
        Integrations::default()
            .screening_registry(crate::support::FreezeOne(client.public_key().to_string())),
    );
    // The challenge is built by hand: GET already refuses frozen accounts.
    let xdr = forged_challenge(&anchor, &client, "localhost", now());
    let (status, body) = anchor.post_json(json!({"transaction": sign(&xdr, &[&client])})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "this account cannot be authenticated");
}

#[actix_web::test]
async fn group_commit_gives_each_challenge_exactly_one_winner() {
    for db in testing::test_databases() {
        let recorder = std::sync::Arc::new(anchor_sep10::replay::UseRecorder::new(db.database()));
        let attempts = (0..60).map(|i| {
            let recorder = recorder.clone();
            async move { recorder.record(format!("{:064x}", i % 12), 4_000_000_000, None).await.unwrap() }
        });
        let results = futures_util::future::join_all(attempts).await;
        assert_eq!(results.iter().filter(|fresh| **fresh).count(), 12, "{}", db.name);
        // A group mixing a replay with new challenges (on PostgreSQL the replay aborts the
        // group's transaction, which is then redone row by row): the new ones still win.
        let mixed = [3, 100, 101].map(|i| {
            let recorder = recorder.clone();
            async move { recorder.record(format!("{i:064x}"), 4_000_000_000, None).await.unwrap() }
        });
        assert_eq!(futures_util::future::join_all(mixed).await, vec![false, true, true], "{}", db.name);
        // A later attempt for a recorded hash is a replay; a new one is fresh.
        assert!(!recorder.record(format!("{:064x}", 3), 4_000_000_000, None).await.unwrap());
        assert!(recorder.record(format!("{:064x}", 99), 4_000_000_000, Some(5_000_000_000)).await.unwrap());
        // The purge removed every record that expired before 5_000_000_000, the new one included
        // only if it expired earlier (it did not: the purge runs before the insert).
        assert_eq!(anchor_sep10::replay::count(&db.database()).await.unwrap(), 1, "{}", db.name);
    }
}
