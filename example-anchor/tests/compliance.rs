//! SEP-3 between two real example-anchor processes (bank A and bank B: separate ports, home
//! domains, keys and databases, `LOCAL_MODE`), on every available backend: the spec's example
//! flow (A's `/send` → B's federation → B's `AUTH_SERVER` → sanctions → `dest_info` → 200 → B's
//! `/receive`), the pending path (the officer clears the case; A re-sends with the same nonce)
//! and the denied path (a name on B's imported list).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

mod support;

use anchor_core::testing;
use serde_json::Value;
use support::{internal, register, Bank};

const BLOCKLIST: &str = "id,name,kind\nb1,Ivan Petrovich Sidorov,person\n";
const SOURCE: &str = "GBEEAAVX5GMUEWFL6Q6UQUAH3WAPGNFSIQCI6YXVGXTCPOZ22PGFWMEC";
const BOB: &str = "GDO34SQXVOSNODK7JCTAXLZUPSAF3JIH4ADQELVIKOQJUWQ3U4BMSCSH";

async fn start_bank(database: testing::TestDatabase) -> Bank {
    support::start_bank(database, "sep-1,sep-3", BLOCKLIST, &[]).await
}

async fn send(a: &Bank, b: &Bank, id: &str, sender: &str) -> Value {
    support::send(a, b, id, SOURCE, sender, "bob").await
}

fn memo_of(body: &Value) -> String {
    let transaction =
        anchor_sep3::payload::decode_transaction(body["transaction_xdr"].as_str().unwrap()).unwrap();
    anchor_sep3::payload::memo_hash_base64(&transaction).expect("a hash memo")
}

#[tokio::test]
async fn two_example_anchors_approve_a_payment_end_to_end_on_every_backend() {
    let backends: Vec<&'static str> =
        testing::test_databases().iter().map(|database| database.name).collect();
    for backend in backends {
        let database = || testing::test_databases().into_iter().find(|d| d.name == backend).unwrap();
        let a = start_bank(database()).await;
        let b = start_bank(database()).await;
        register(&a, "aldi", SOURCE, "1", serde_json::json!({"first_name": "Aldi", "last_name": "Dobbs"}))
            .await;
        register(
            &a,
            "ivan",
            SOURCE,
            "2",
            serde_json::json!({"first_name": "Ivan", "last_name": "Petrovich Sidorov"}),
        )
        .await;
        register(&b, "bob", BOB, "7", serde_json::json!({"first_name": "Bob"})).await;

        // B's federation server and stellar.toml are what A used.
        let toml: toml::Table = reqwest::get(format!("{}/.well-known/stellar.toml", b.public))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(toml["AUTH_SERVER"].as_str(), Some(format!("{}/compliance", b.public).as_str()));
        assert_eq!(toml["SIGNING_KEY"].as_str(), Some(b.key.public_key()));

        // The example flow: approved, and B's /receive returns what A signed.
        let body = send(&a, &b, "pay-1", "aldi").await;
        assert_eq!(body["auth_response"]["tx_status"], "ok", "{backend}: {body}");
        assert_eq!(body["auth_response"]["info_status"], "ok", "{backend}: {body}");
        let memo = memo_of(&body);
        let (status, received) = internal(&b, reqwest::Method::POST, "/receive", &[("memo", &memo)]).await;
        assert_eq!(status, 200, "{backend}: {received}");
        let data: Value = serde_json::from_str(received["data"].as_str().unwrap()).unwrap();
        assert_eq!(data["sender"], format!("aldi*{}", a.domain));
        assert_eq!(data["tx"], body["transaction_xdr"]);

        // Pending: B's officer puts Aldi under review, then clears the case; A re-sends the same
        // request (same id, same nonce) and it is approved.
        let review = |status: &'static str| {
            let b = &b;
            async move {
                let (code, body) = internal(
                    b,
                    reqwest::Method::PUT,
                    "/example/sanctions/reviews",
                    &[("name", "Aldi Dobbs"), ("status", status)],
                )
                .await;
                assert_eq!(code, 200, "{body}");
            }
        };
        review("pending").await;
        let pending = send(&a, &b, "pay-2", "aldi").await;
        assert_eq!(pending["auth_response"]["tx_status"], "pending", "{backend}: {pending}");
        assert_eq!(pending["auth_response"]["pending"], 60);
        let memo = memo_of(&pending);
        assert_eq!(internal(&b, reqwest::Method::POST, "/receive", &[("memo", &memo)]).await.0, 404);
        review("cleared").await;
        let cleared = send(&a, &b, "pay-2", "aldi").await;
        assert_eq!(cleared["auth_response"]["tx_status"], "ok", "{backend}: {cleared}");
        assert_eq!(cleared["transaction_xdr"], pending["transaction_xdr"], "same nonce, same transaction");
        assert_eq!(internal(&b, reqwest::Method::POST, "/receive", &[("memo", &memo)]).await.0, 200);

        // Denied: a sender on B's imported list.
        let denied = send(&a, &b, "pay-3", "ivan").await;
        assert_eq!(denied["auth_response"]["tx_status"], "denied", "{backend}: {denied}");
    }
}
