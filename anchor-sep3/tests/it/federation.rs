//! The SEP-2 endpoint (`FEDERATION_SERVER`).

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use crate::support::*;

async fn get(bank: &Bank, query: &str) -> (u16, serde_json::Value) {
    json_of(client().get(format!("{}/federation{query}", bank.public.url)).send().await.unwrap()).await
}

#[actix_web::test]
async fn names_and_ids_resolve_and_everything_else_is_refused() {
    let (_, b) = two_banks(|| database_on("sqlite"));
    let address = format!("bob*{}", b.domain);
    let query = |q: &str, kind: &str| {
        format!(
            "?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("q", q)
                .append_pair("type", kind)
                .finish()
        )
    };

    let (status, body) = get(&b, &query(&address, "name")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"stellar_address": address, "account_id": BOB_ACCOUNT, "memo_type": "id", "memo": "7"})
    );

    let (status, body) = get(&b, &query(BOB_ACCOUNT, "id")).await;
    assert_eq!((status, body["stellar_address"].as_str()), (200, Some(address.as_str())));

    assert_eq!(get(&b, &query(&format!("nobody*{}", b.domain), "name")).await.0, 404);
    assert_eq!(get(&b, &query("bob*other.example", "name")).await.0, 404);
    assert_eq!(get(&b, &query("bob", "name")).await.0, 400);
    assert_eq!(get(&b, &query("GNOTANACCOUNT", "id")).await.0, 400);
    assert_eq!(get(&b, &query("abc", "txid")).await.0, 501);
    assert_eq!(get(&b, &query("abc", "bogus")).await.0, 400);
    assert_eq!(get(&b, "?type=name").await.0, 400);
    assert_eq!(get(&b, &format!("?q={address}")).await.0, 400);
}
