//! Client attribution: the wallet's stellar.toml served on loopback (LOCAL_MODE), policy lists,
//! required mode, failures, and the refusal of loopback addresses outside LOCAL_MODE.

use std::time::Duration;

use anchor_core::testing;
use anchor_core::Integrations;
use serde_json::json;
use stellar_xdr::{Limits, MuxedAccount, OperationBody, ReadXdr, TransactionEnvelope};

use crate::support::{anchor, claims, key, sign, start_wallet_toml, HorizonState};

fn client_domain_op(xdr: &str) -> Option<(String, [u8; 32])> {
    let TransactionEnvelope::Tx(envelope) =
        TransactionEnvelope::from_xdr_base64(xdr, Limits::none()).unwrap()
    else {
        panic!()
    };
    envelope.tx.operations.iter().find_map(|op| match (&op.body, &op.source_account) {
        (OperationBody::ManageData(data), Some(MuxedAccount::Ed25519(key)))
            if data.data_name.0.as_slice() == b"client_domain" =>
        {
            Some((String::from_utf8(data.data_value.as_ref().unwrap().0.to_vec()).unwrap(), key.0))
        }
        _ => None,
    })
}

#[actix_web::test]
async fn an_accepted_client_domain_adds_its_operation_and_must_sign() {
    let wallet = key();
    let toml = start_wallet_toml(format!("SIGNING_KEY = \"{}\"\n", wallet.public_key()), Duration::ZERO);
    let domain = toml.url.trim_start_matches("http://").to_string();
    let horizon = HorizonState::default();
    let horizon_server = crate::support::start_horizon(horizon.clone(), 1);
    let db = testing::sqlite_database();
    let anchor = anchor(&db, &horizon_server.url, &[], Integrations::default());
    let client = key();

    let xdr = anchor.challenge(&format!("?account={}&client_domain={domain}", client.public_key())).await;
    assert_eq!(client_domain_op(&xdr), Some((domain.clone(), wallet.public_key_bytes())));

    // Without the wallet's signature: refused, and the challenge is not burnt.
    let (status, body) = anchor.post_json(json!({"transaction": sign(&xdr, &[&client])})).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("client_domain signature"), "{body}");
    let (status, body) = anchor.post_json(json!({"transaction": sign(&xdr, &[&client, &wallet])})).await;
    assert_eq!(status, 200, "{body}");
    let claims = claims(body["token"].as_str().unwrap());
    assert_eq!(claims["client_domain"], domain.as_str());
    let (status, who) = anchor.whoami(body["token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(who["client_domain"], domain.as_str());

    // A request header signed by the wallet's key vouches for the request.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims = json!({"iat": now, "exp": now + 60, "account": client.public_key(), "client_domain": domain,
                        "web_auth_endpoint": "http://localhost:8000/auth"});
    let input = format!("{}.{}", b64.encode(br#"{"alg":"EdDSA"}"#), b64.encode(claims.to_string()));
    let by_wallet = format!("{input}.{}", b64.encode(wallet.sign(input.as_bytes())));
    let by_client = format!("{input}.{}", b64.encode(client.sign(input.as_bytes())));
    let query = format!("?account={}&client_domain={domain}", client.public_key());
    assert_eq!(anchor.get_with(&query, Some(&format!("Bearer {by_wallet}"))).await.0, 200);
    assert_eq!(anchor.get_with(&query, Some(&format!("Bearer {by_client}"))).await.0, 400);
}

#[actix_web::test]
async fn unusable_wallet_tomls_are_400s() {
    let db = testing::sqlite_database();
    let anchor = anchor(
        &db,
        "http://127.0.0.1:9",
        &[("SEP10_CLIENT_ATTRIBUTION_REQUEST_TIMEOUT", "1")],
        Integrations::default(),
    );
    let client = key();
    let huge = format!("SIGNING_KEY = \"{}\"\n# {}\n", key().public_key(), "x".repeat(110 * 1024));
    let cases = [
        (start_wallet_toml("VERSION = \"2.0.0\"\n".into(), Duration::ZERO), "no SIGNING_KEY"),
        (
            start_wallet_toml(
                "SIGNING_KEY = \"SDWTLFPALQSP225BSMX7HPZ7ZEAYSUYNDLJ5QI3YGVBNRUIIELWH3XUV\"\n".into(),
                Duration::ZERO,
            ),
            "not a valid G",
        ),
        (start_wallet_toml("[[[ not toml".into(), Duration::ZERO), "not valid TOML"),
        (start_wallet_toml(huge, Duration::ZERO), "larger than 100 KiB"),
        (
            start_wallet_toml(format!("SIGNING_KEY = \"{}\"\n", key().public_key()), Duration::from_secs(3)),
            "timed out",
        ),
    ];
    for (server, needle) in cases {
        let domain = server.url.trim_start_matches("http://");
        let (status, body) =
            anchor.get(&format!("?account={}&client_domain={domain}", client.public_key())).await;
        assert_eq!(status, 400, "{needle}: {body}");
        assert!(body["error"].as_str().unwrap().contains(needle), "{needle}: {body}");
    }
    // Nothing listening.
    let (status, body) =
        anchor.get(&format!("?account={}&client_domain=127.0.0.1:9", client.public_key())).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) =
        anchor.get(&format!("?account={}&client_domain=https://x.example/", client.public_key())).await;
    assert_eq!(status, 400, "{body}");
}

#[actix_web::test]
async fn allow_deny_and_required() {
    let wallet = key();
    let toml = start_wallet_toml(format!("SIGNING_KEY = \"{}\"\n", wallet.public_key()), Duration::ZERO);
    let domain = toml.url.trim_start_matches("http://").to_string();
    let client = key();
    let query = format!("?account={}&client_domain={domain}", client.public_key());
    let db = testing::sqlite_database();

    // Deny-listed, not required: ignored (SEP-10: "servers should simply ignore this parameter").
    let denied = anchor(
        &db,
        "http://127.0.0.1:9",
        &[("SEP10_CLIENT_ATTRIBUTION_DENYLIST", &domain)],
        Integrations::default(),
    );
    assert_eq!(client_domain_op(&denied.challenge(&query).await), None);
    // Not on the allow-list, not required: ignored.
    let allow_other = anchor(
        &db,
        "http://127.0.0.1:9",
        &[("SEP10_CLIENT_ATTRIBUTION_ALLOWLIST", "wallet.example")],
        Integrations::default(),
    );
    assert_eq!(client_domain_op(&allow_other.challenge(&query).await), None);
    // On the allow-list: accepted.
    let allowed = anchor(
        &db,
        "http://127.0.0.1:9",
        &[("SEP10_CLIENT_ATTRIBUTION_ALLOWLIST", &domain)],
        Integrations::default(),
    );
    assert!(client_domain_op(&allowed.challenge(&query).await).is_some());

    // Required: missing → 403; denied → 403; allowed → 200.
    let required = anchor(
        &db,
        "http://127.0.0.1:9",
        &[
            ("SEP10_CLIENT_ATTRIBUTION_REQUIRED", "true"),
            ("SEP10_CLIENT_ATTRIBUTION_DENYLIST", "bad.example"),
        ],
        Integrations::default(),
    );
    let (status, body) = required.get(&format!("?account={}", client.public_key())).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("client_domain"));
    let (status, _) =
        required.get(&format!("?account={}&client_domain=bad.example", client.public_key())).await;
    assert_eq!(status, 403);
    let (status, body) = required.get(&query).await;
    assert_eq!(status, 200, "{body}");
}

#[actix_web::test]
async fn loopback_and_ip_literals_are_refused_outside_local_mode() {
    let wallet = key();
    let toml = start_wallet_toml(format!("SIGNING_KEY = \"{}\"\n", wallet.public_key()), Duration::ZERO);
    let domain = toml.url.trim_start_matches("http://").to_string();
    let db = testing::sqlite_database();
    let production = anchor(
        &db,
        "https://horizon.invalid",
        &[
            ("LOCAL_MODE", "false"),
            ("HOST_URL", "https://anchor.example"),
            ("SEP10_HOME_DOMAINS", "anchor.example"),
        ],
        Integrations::default(),
    );
    let client = key();
    for candidate in [domain.as_str(), "127.0.0.1", "localhost", "[::1]"] {
        let (status, body) =
            production.get(&format!("?account={}&client_domain={candidate}", client.public_key())).await;
        assert_eq!(status, 400, "{candidate}: {body}");
    }
    // A name that resolves to loopback is refused by the resolver, before any connection.
    let (status, body) = production
        .get(&format!("?account={}&client_domain=localhost.localdomain", client.public_key()))
        .await;
    assert_eq!(status, 400, "{body}");
}
