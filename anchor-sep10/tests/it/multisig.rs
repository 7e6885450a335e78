//! Multisig through the Horizon stand-in: weights against the medium threshold.

use anchor_core::testing;
use anchor_core::Integrations;

use crate::support::{anchor, key, start_horizon, HorizonState};

#[actix_web::test]
async fn weights_are_checked_against_the_medium_threshold_on_every_backend() {
    for db in testing::test_databases() {
        eprintln!("multisig: {}", db.name);
        weights(&db).await;
    }
}

async fn weights(db: &testing::TestDatabase) {
    let horizon = HorizonState::default();
    let horizon_server = start_horizon(horizon.clone(), 1);
    // The account's signers change between attempts below: without the cache, so that a refusal
    // is never answered from the lookup before the change (lookups.rs tests the cache).
    let anchor =
        anchor(db, &horizon_server.url, &[("SEP10_HORIZON_CACHE_TTL", "0")], Integrations::default());
    let (master, second, third) = (key(), key(), key());
    let g = master.public_key().to_string();
    let server = anchor.settings.signing_key.public_key().to_string();
    horizon.set_account(&g, &[(&g, 1), (second.public_key(), 2), (third.public_key(), 3), (&server, 10)], 5);
    let query = format!("?account={g}");

    // Below the medium threshold.
    let (status, body) = anchor.round_trip(&query, &[&master]).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("below the account's medium threshold 5"), "{body}");
    let (status, _) = anchor.round_trip(&query, &[&master, &third]).await;
    assert_eq!(status, 400, "1 + 3 < 5");

    // Several signers adding up.
    let (status, body) = anchor.round_trip(&query, &[&master, &second, &third]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = anchor.round_trip(&query, &[&second, &third]).await;
    assert_eq!(status, 200, "non-master signers, 2 + 3 = 5: {body}");

    // A non-master signer alone when its weight suffices.
    horizon.set_account(&g, &[(&g, 0), (second.public_key(), 5)], 5);
    let (status, body) = anchor.round_trip(&query, &[&second]).await;
    assert_eq!(status, 200, "{body}");
    // The master key with weight 0 cannot.
    let (status, _) = anchor.round_trip(&query, &[&master]).await;
    assert_eq!(status, 400);
    // Signers' order does not matter; a signer twice does.
    let (status, body) = anchor.round_trip(&query, &[&second, &second]).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("more than once"));
}
