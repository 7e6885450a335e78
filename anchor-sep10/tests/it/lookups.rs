//! Outbound lookups under repetition (security review L2): a Horizon account lookup is reused to
//! refuse bad signatures within `SEP10_HORIZON_CACHE_TTL`, but a token is only issued after a
//! fresh lookup; a failing `client_domain` is refused from the negative cache within
//! `SEP10_CLIENT_DOMAIN_FAILURE_TTL`. The stand-ins count what reaches them.

use std::sync::atomic::Ordering;

use anchor_core::testing;
use anchor_core::Integrations;
use serde_json::json;

use crate::support::{anchor, key, sign, start_failing_wallet_toml, start_horizon, HorizonState};

/// TTLs far longer than any test run, so no entry expires mid-test on a slow machine.
const LONG_TTLS: [(&str, &str); 2] =
    [("SEP10_HORIZON_CACHE_TTL", "300"), ("SEP10_CLIENT_DOMAIN_FAILURE_TTL", "3600")];

#[actix_web::test]
async fn repeated_bad_signatures_cost_one_horizon_lookup_per_ttl() {
    let db = testing::sqlite_database();
    let horizon = HorizonState::default();
    let horizon_server = start_horizon(horizon.clone(), 1);
    let anchor = anchor(&db, &horizon_server.url, &LONG_TTLS, Integrations::default());
    let client = key();
    let g = client.public_key().to_string();
    horizon.set_account(&g, &[(&g, 1)], 1);

    // One valid challenge, signed by a stranger, posted again and again.
    let xdr = anchor.challenge(&format!("?account={g}")).await;
    let forged = sign(&xdr, &[&key()]);
    for attempt in 0..10 {
        let (status, body) = anchor.post_json(json!({"transaction": forged})).await;
        assert_eq!(status, 400, "attempt {attempt}: {body}");
        assert!(body["error"].as_str().unwrap().contains("not from the account's signers"), "{body}");
    }
    assert_eq!(horizon.requests(), 1, "ten refusals, one lookup");

    // The right signature still gets its token, after a fresh lookup.
    let (status, body) = anchor.post_json(json!({"transaction": sign(&xdr, &[&client])})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(horizon.requests(), 2, "a token is issued only after a fresh lookup");
}

#[actix_web::test]
async fn a_signer_removed_from_the_account_cannot_authenticate_from_the_cache() {
    let db = testing::sqlite_database();
    let horizon = HorizonState::default();
    let horizon_server = start_horizon(horizon.clone(), 1);
    let anchor = anchor(&db, &horizon_server.url, &LONG_TTLS, Integrations::default());
    let (master, helper) = (key(), key());
    let g = master.public_key().to_string();
    horizon.set_account(&g, &[(&g, 1), (helper.public_key(), 1)], 1);
    let query = format!("?account={g}");
    let (status, body) = anchor.round_trip(&query, &[&helper]).await;
    assert_eq!(status, 200, "{body}");

    // The account drops the helper; the cached lookup still lists it, the fresh one does not.
    horizon.set_account(&g, &[(&g, 1)], 1);
    let (status, body) = anchor.round_trip(&query, &[&helper]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("not from the account's signers"), "{body}");
    let (status, body) = anchor.round_trip(&query, &[&master]).await;
    assert_eq!(status, 200, "{body}");
}

#[actix_web::test]
async fn a_failing_client_domain_is_not_refetched_within_the_negative_ttl() {
    let db = testing::sqlite_database();
    let mut overrides = vec![("LOCAL_MODE", "true")];
    overrides.extend_from_slice(&LONG_TTLS);
    let anchor = anchor(&db, "http://127.0.0.1:9", &overrides, Integrations::default());
    let (wallet, requests) = start_failing_wallet_toml();
    let domain = wallet.url.trim_start_matches("http://").to_string();
    let client = key();

    let mut first_error = None;
    for attempt in 0..10 {
        let (status, body) =
            anchor.get(&format!("?account={}&client_domain={domain}", client.public_key())).await;
        assert_eq!(status, 400, "attempt {attempt}: {body}");
        let error = body["error"].as_str().unwrap().to_string();
        // The same answer from the cache as from the fetch.
        assert_eq!(first_error.get_or_insert_with(|| error.clone()), &error);
    }
    assert_eq!(requests.load(Ordering::SeqCst), 1, "ten refusals, one fetch");

    // Another account naming the same domain is refused from the cache too; challenges without
    // the domain are still issued.
    let (status, _) = anchor.get(&format!("?account={}&client_domain={domain}", key().public_key())).await;
    assert_eq!(status, 400);
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    let (status, body) = anchor.get(&format!("?account={}", client.public_key())).await;
    assert_eq!(status, 200, "{body}");
}
