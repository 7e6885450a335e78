//! Interoperability with an independent client: the Python `stellar-sdk` (py-stellar-base) runs
//! `tests/interop/sep10_client.py` against this server on loopback for a G account, a G account
//! with a memo, an M account and a client domain (the wallet's stellar.toml served on loopback).
//!
//! It needs `stellar_sdk` (`pip install -r .ci/requirements.txt`), so it is ignored by a plain
//! `cargo test` and runs with `--include-ignored` (as `.ci/run` runs it), where a missing SDK
//! fails it.

use std::process::Command;
use std::time::Duration;

use anchor_core::testing;
use anchor_core::Integrations;
use serde_json::Value;

use crate::support::{
    anchor_on_own_host, claims, key, start_horizon, start_wallet_toml, HorizonState, PASSPHRASE,
};

#[actix_web::test]
#[ignore = "needs the Python stellar-sdk (pip install -r .ci/requirements.txt); run with --include-ignored"]
async fn python_stellar_sdk_authenticates_against_the_running_server() {
    if !testing::python_imports("stellar_sdk") {
        let missing =
            ["python3 cannot `import stellar_sdk` (pip install -r .ci/requirements.txt)".to_string()];
        testing::require_prerequisites("SEP-10 interop with the Python stellar-sdk", &missing);
    }
    let db = testing::sqlite_database();
    let horizon = HorizonState::default();
    let horizon_server = start_horizon(horizon.clone(), 1);
    let wallet = key();
    let toml = start_wallet_toml(format!("SIGNING_KEY = \"{}\"\n", wallet.public_key()), Duration::ZERO);
    let client_domain = toml.url.trim_start_matches("http://").to_string();
    let anchor = anchor_on_own_host(
        &db,
        &horizon_server.url,
        &[("SEP10_HOME_DOMAINS", "anchor.example")],
        Integrations::default(),
    );
    let web_auth_domain = anchor.server.url.trim_start_matches("http://").to_string();
    let client = key();
    // The client account exists with its master key at the medium threshold.
    horizon.set_account(client.public_key(), &[(client.public_key(), 1)], 1);

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/sep10_client.py");
    let endpoint = anchor.url("/auth");
    let server_key = anchor.settings.signing_key.public_key().to_string();
    let client_secret = client.seed().expose().clone();
    let wallet_secret = wallet.seed().expose().clone();
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .args(["g", "memo", "muxed", "client_domain"])
            .env("SEP10_ENDPOINT", endpoint)
            .env("SEP10_SERVER_KEY", server_key)
            .env("SEP10_HOME_DOMAIN", "anchor.example")
            .env("SEP10_WEB_AUTH_DOMAIN", web_auth_domain)
            .env("SEP10_PASSPHRASE", PASSPHRASE)
            .env("SEP10_CLIENT_SECRET", client_secret)
            .env("SEP10_CLIENT_DOMAIN", client_domain.clone())
            .env("SEP10_CLIENT_DOMAIN_SECRET", wallet_secret)
            .output()
            .expect("run python3")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python client failed:\n{stdout}\n{stderr}");

    let results: Vec<Value> = stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(results.len(), 4, "{stdout}");
    let g = client.public_key().to_string();
    let expected_subjects = [
        g.clone(),
        format!("{g}:18446744073709551615"),
        crate::support::muxed(&client, 9_223_372_036_854_775_808),
        g.clone(),
    ];
    for (result, subject) in results.iter().zip(expected_subjects) {
        let token = result["token"].as_str().unwrap();
        let claims = claims(token);
        assert_eq!(claims["sub"], subject.as_str(), "{result}");
        assert_eq!(claims["home_domain"], "anchor.example");
        assert_eq!(claims["iss"], anchor.url("/auth"));
        let (status, who) = anchor.whoami(token).await;
        assert_eq!(status, 200, "{who}");
        assert_eq!(who["account"], g.as_str());
    }
    let toml_domain = toml.url.trim_start_matches("http://");
    assert_eq!(claims(results[3]["token"].as_str().unwrap())["client_domain"], toml_domain);
}
