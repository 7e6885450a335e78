//! The `sdf-compliance` binary started with an SDF `config_compliance.toml`, as a migrating
//! user would: it publishes its servers and decides a payment through the old callbacks.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anchor_core::keys::SigningKey;
use anchor_core::testing;
use anchor_sep3::payload::{self, AuthData, PaymentSpec};

use crate::support::*;

const BINARY: &str = env!("CARGO_BIN_EXE_sdf-compliance");

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[actix_web::test]
async fn the_sdf_binary_serves_from_config_compliance_toml() {
    let dir = tempfile::tempdir().unwrap();
    let script = CallbackScript::default();
    let callbacks = start_callbacks(script.clone());
    let (port, internal_port) = (free_port(), free_port());
    let seed = SigningKey::from_bytes([5u8; 32]).seed();
    std::fs::write(
        dir.path().join("config_compliance.toml"),
        format!(
            "external_port = {port}\ninternal_port = {internal_port}\nneeds_auth = false\n\
             network_passphrase = \"Test SDF Network ; September 2015\"\n\n\
             [database]\ntype = \"postgres\"\nurl = \"postgres://unused@127.0.0.1:1/unused\"\n\n\
             [keys]\nsigning_seed = \"{}\"\n\n\
             [callbacks]\nsanctions = \"{}/sanctions\"\nask_user = \"{}/ask_user\"\nfetch_info = \"{}/fetch_info\"\n",
            seed.expose(),
            callbacks.url,
            callbacks.url,
            callbacks.url
        ),
    )
    .unwrap();
    let command = |args: &[&str]| {
        let mut command = Command::new(BINARY);
        command
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOST_URL", format!("http://127.0.0.1:{port}"))
            .env("LOCAL_MODE", "true")
            .env("SERVER_JWT_KEY", testing::TEST_JWT_KEY)
            .env("ADMIN_API_KEY", testing::TEST_ADMIN_API_KEY)
            // The environment wins over the file: an SQLite database for the test.
            .env("DATABASE_URL", "sqlite://data/compliance.sqlite3")
            .args([
                "--sdf-config",
                "config_compliance.toml",
                "--federation-server",
                "https://bank.example/federation",
            ])
            .args(args);
        command
    };

    let check = command(&["config", "check"]).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let usage = Command::new(BINARY).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));

    let _running = Running(command(&["serve"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let mut toml = None;
    for _ in 0..300 {
        if let Ok(response) = reqwest::get(format!("{base}/.well-known/stellar.toml")).await {
            toml = Some(response.text().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let toml: toml::Table = toml.expect("the binary serves").parse().unwrap();
    assert_eq!(toml["AUTH_SERVER"].as_str(), Some(format!("{base}/compliance").as_str()));
    assert_eq!(toml["FEDERATION_SERVER"].as_str(), Some("https://bank.example/federation"));
    assert_eq!(toml["SIGNING_KEY"].as_str(), Some(SigningKey::from_bytes([5u8; 32]).public_key()));

    // A sender institution (its stellar.toml on loopback) asks for approval; the old sanctions
    // callback clears it.
    let sender_key = SigningKey::from_bytes([6u8; 32]);
    let sender_toml = start_toml(format!("SIGNING_KEY = \"{}\"\n", sender_key.public_key()));
    let sender_domain = sender_toml.url.trim_start_matches("http://").to_string();
    let mut info = serde_json::Map::new();
    info.insert("first_name".into(), "Aldi".into());
    let attachment = payload::build_attachment("sdf-1", &info, "7", "").unwrap();
    let spec = PaymentSpec::Payment {
        destination: BOB_ACCOUNT.into(),
        asset: stellar_xdr::Asset::Native,
        amount: 5,
    };
    let transaction = payload::build_transaction(SOURCE_ACCOUNT, &spec, &attachment).unwrap();
    let data = payload::build_data(&AuthData {
        sender: format!("aldi*{sender_domain}"),
        need_info: false,
        tx: payload::encode_transaction(&transaction).unwrap(),
        attachment,
    })
    .unwrap();
    let sig = sign(&sender_key, &data);
    script.answer("/sanctions", 200, "");
    let response = client()
        .post(format!("{base}/compliance"))
        .form(&[("data", data.as_str()), ("sig", sig.as_str())])
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(script.received.lock().unwrap()[0].0, "/sanctions");

    // The internal API (the old internal port) needs the admin key.
    let memo = payload::memo_hash_base64(&transaction).unwrap();
    let receive = format!("http://127.0.0.1:{internal_port}/receive");
    assert_eq!(
        client().post(&receive).form(&[("memo", memo.as_str())]).send().await.unwrap().status().as_u16(),
        401
    );
    let response = client()
        .post(&receive)
        .bearer_auth(testing::TEST_ADMIN_API_KEY)
        .form(&[("memo", memo.as_str())])
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!((status, body["data"].as_str()), (200, Some(data.as_str())));
}
