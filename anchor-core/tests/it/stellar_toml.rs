//! The generated `/.well-known/stellar.toml`: what SEP-1 alone and each active SEP publish, no file
//! without SEP-1, the static file merged and checked, the hook adding keys but never replacing
//! generated ones, and CORS preflight and `HEAD` answered.

use anchor_core::testing::{self, TEST_SIGNING_KEY};
use anchor_core::Integrations;

use super::support::{build_app, serve};

async fn fetch_toml(overrides: &[(&str, &str)]) -> (reqwest::Response, toml::Table) {
    let server = serve(overrides);
    let response = reqwest::get(server.url("/.well-known/stellar.toml")).await.unwrap();
    let headers = response.headers().clone();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    assert!(text.len() < anchor_core::MAX_STELLAR_TOML_BYTES);
    let table: toml::Table = text.parse().unwrap_or_else(|err| panic!("not TOML ({err}):\n{text}"));
    // Rebuild a response-like view: the caller checks headers separately.
    let _ = headers;
    let again = reqwest::get(server.url("/.well-known/stellar.toml")).await.unwrap();
    (again, table)
}

#[actix_web::test]
async fn sep1_alone_publishes_the_network_and_signing_key() {
    let (response, table) = fetch_toml(&[("ACTIVE_SEPS", "sep-1")]).await;
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(table["NETWORK_PASSPHRASE"].as_str(), Some("Test SDF Network ; September 2015"));
    assert_eq!(table["SIGNING_KEY"].as_str(), Some(TEST_SIGNING_KEY));
    for absent in ["WEB_AUTH_ENDPOINT", "KYC_SERVER", "AUTH_SERVER"] {
        assert!(!table.contains_key(absent), "{absent} published without its SEP");
    }
}

#[actix_web::test]
async fn each_active_sep_publishes_its_endpoint() {
    let combinations: [(&str, &[&str]); 4] = [
        ("sep-1,sep-10", &["WEB_AUTH_ENDPOINT"]),
        ("sep-1,sep-10,sep-12", &["WEB_AUTH_ENDPOINT", "KYC_SERVER"]),
        ("sep-1,sep-3", &["AUTH_SERVER"]),
        ("SEP1,SEP10,SEP12,SEP3", &["WEB_AUTH_ENDPOINT", "KYC_SERVER", "AUTH_SERVER"]),
    ];
    for (seps, expected) in combinations {
        let (_, table) = fetch_toml(&[
            ("ACTIVE_SEPS", seps),
            ("HOST_URL", "https://anchor.example"),
            ("LOCAL_MODE", "false"),
        ])
        .await;
        for key in ["WEB_AUTH_ENDPOINT", "KYC_SERVER", "AUTH_SERVER"] {
            let value = table.get(key).and_then(|v| v.as_str());
            if expected.contains(&key) {
                let url = value.unwrap_or_else(|| panic!("{seps}: {key} missing"));
                assert!(url.starts_with("https://anchor.example/"), "{seps}: {key} = {url}");
                assert!(!url.ends_with('/'));
            } else {
                assert!(value.is_none(), "{seps}: {key} published");
            }
        }
    }
}

#[actix_web::test]
async fn without_sep1_there_is_no_stellar_toml() {
    let server = serve(&[("ACTIVE_SEPS", "sep-10")]);
    let response = reqwest::get(server.url("/.well-known/stellar.toml")).await.unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].is_string());
}

#[actix_web::test]
async fn the_static_file_is_merged_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("static.toml");
    std::fs::write(
        &path,
        "ACCOUNTS = [\"GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB\"]\n\
         [DOCUMENTATION]\nORG_NAME = \"Bank \\\"B\\\" & Co\"\nORG_URL = \"https://bank.example\"\n\
         [[CURRENCIES]]\ncode = \"USDC\"\nissuer = \"GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN\"\ndisplay_decimals = 2\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let (_, table) = fetch_toml(&[("STELLAR_TOML_FILE", path)]).await;
    assert_eq!(table["DOCUMENTATION"]["ORG_NAME"].as_str(), Some("Bank \"B\" & Co"));
    assert_eq!(table["CURRENCIES"][0]["code"].as_str(), Some("USDC"));
    assert_eq!(table["SIGNING_KEY"].as_str(), Some(TEST_SIGNING_KEY));

    std::fs::write(path, "[[CURRENCIES]]\ncode = \"USDC\"\nissuer = \"not-an-account\"\n").unwrap();
    let settings = testing::settings(&[("STELLAR_TOML_FILE", path)]);
    let err = build_app(settings, Integrations::new()).unwrap_err();
    assert!(err.to_string().contains("issuer must be a Stellar account"), "{err}");
}

#[actix_web::test]
async fn the_hook_adds_keys_but_cannot_replace_generated_ones() {
    let settings = testing::settings(&[]);
    let integrations = Integrations::new().stellar_toml(|| {
        let mut table = toml::Table::new();
        table.insert("SIGNING_KEY".into(), "GFORGED".into());
        table.insert("VERSION".into(), "2.7.0".into());
        table
    });
    let server = testing::serve_public(build_app(settings, integrations).unwrap());
    let text = reqwest::get(server.url("/.well-known/stellar.toml")).await.unwrap().text().await.unwrap();
    let table: toml::Table = text.parse().unwrap();
    assert_eq!(table["VERSION"].as_str(), Some("2.7.0"));
    assert_eq!(table["SIGNING_KEY"].as_str(), Some(TEST_SIGNING_KEY));
}

#[actix_web::test]
async fn cors_preflight_and_head_are_answered() {
    let server = serve(&[]);
    let client = reqwest::Client::new();
    let preflight = client
        .request(reqwest::Method::OPTIONS, server.url("/.well-known/stellar.toml"))
        .header("Origin", "https://wallet.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let head = client.head(server.url("/.well-known/stellar.toml")).send().await.unwrap();
    assert_eq!(head.status(), 200);
}
