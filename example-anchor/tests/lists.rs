//! `lists import`, `lists update` and `lists status` through the real binary, and the imported
//! list deciding sanctions in the running anchor.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::path::Path;
use std::process::{Command, Output};

use actix_web::{web, App, HttpResponse, HttpServer};

const BINARY: &str = env!("CARGO_BIN_EXE_example-anchor");

const BLOCKLIST: &str = "id,name,kind,address\n\
                         a,Ivan Petrovich Sidorov,person,\n\
                         b,Black Sea Shipping Ltd,organization,\n\
                         c,,,GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB\n\
                         d,Maria Gonzalez Ruiz,person,\n\
                         e,Northern Star Trading,organization,\n";

fn run(dir: &Path, args: &[&str]) -> Output {
    let key = anchor_core::keys::SigningKey::from_seed(anchor_core::testing::TEST_SEED).unwrap();
    Command::new(BINARY)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ACTIVE_SEPS", "sep-1")
        .env("HOST_URL", "http://localhost:8000")
        .env("LOCAL_MODE", "true")
        .env("SIGNING_SEED", key.seed().expose())
        .env("SERVER_JWT_KEY", anchor_core::testing::TEST_JWT_KEY)
        .env("DATABASE_URL", "sqlite://data/anchor.sqlite3")
        .args(args)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn a_custom_list_is_imported_versioned_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blocklist.csv"), BLOCKLIST).unwrap();

    let imported =
        run(dir.path(), &["lists", "import", "--source", "custom:internal", "--file", "blocklist.csv"]);
    assert!(imported.status.success(), "{}", text(&imported));
    assert!(text(&imported).contains("custom:internal: imported version"), "{}", text(&imported));
    assert!(text(&imported).contains("5 entities (+5 added"), "{}", text(&imported));

    let again =
        run(dir.path(), &["lists", "import", "--source", "custom:internal", "--file", "blocklist.csv"]);
    assert!(text(&again).contains("unchanged"), "{}", text(&again));

    std::fs::write(dir.path().join("cut.csv"), "id,name\na,Ivan Petrovich Sidorov\n").unwrap();
    let refused = run(dir.path(), &["lists", "import", "--source", "custom:internal", "--file", "cut.csv"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("import refused"), "{}", text(&refused));
    assert!(text(&refused).contains("the previous version is kept"), "{}", text(&refused));

    let status = run(dir.path(), &["lists", "status"]);
    assert!(status.status.success(), "{}", text(&status));
    let report = text(&status);
    assert!(report.contains("custom:internal"), "{report}");
    assert!(report.contains("5 entities"), "{report}");
    assert!(report.contains("recently refused imports"), "{report}");

    let verify = run(dir.path(), &["audit", "verify"]);
    assert!(verify.status.success(), "{}", text(&verify));
    // The import, the check that found the list unchanged (the console's freshness), the refusal.
    assert!(text(&verify).contains("audit trail intact: 3 records"), "{}", text(&verify));
    let export = run(dir.path(), &["audit", "export", "--format", "csv"]);
    assert!(export.status.success(), "{}", text(&export));
    let csv = String::from_utf8_lossy(&export.stdout);
    assert!(csv.starts_with("seq,recorded_at,kind,payload,prev_hash,hash"), "{csv}");
    assert!(csv.contains("list_import_refused"), "{csv}");
    assert!(csv.contains("list_unchanged"), "{csv}");
}

#[test]
fn bad_list_arguments_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = run(dir.path(), &["lists", "import", "--source", "interpol", "--file", "x.csv"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown).contains("unknown list `interpol`"), "{}", text(&unknown));
    let missing = run(dir.path(), &["lists", "import", "--source", "un", "--file", "missing.xml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing).contains("cannot read"), "{}", text(&missing));
    let usage = run(dir.path(), &["lists", "import"]);
    assert_eq!(usage.status.code(), Some(2), "{}", text(&usage));
}

#[actix_web::test]
async fn lists_update_downloads_from_the_given_address_and_imports() {
    // The official publishers cannot be reached from CI; a real HTTP server on loopback stands in.
    let server = HttpServer::new(|| {
        App::new().route(
            "/lists/blocklist.csv",
            web::get().to(|| async { HttpResponse::Ok().content_type("text/csv").body(BLOCKLIST) }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let address = server.addrs()[0];
    let running = server.run();
    let handle = running.handle();
    actix_web::rt::spawn(running);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{address}/lists/blocklist.csv");
    let path = dir.path().to_path_buf();
    let output = actix_web::rt::task::spawn_blocking(move || {
        run(&path, &["lists", "update", "--source", "custom:downloaded", "--url", &url])
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("custom:downloaded: imported version"), "{}", text(&output));

    let path = dir.path().to_path_buf();
    let missing_url = format!("http://{address}/lists/nothing.csv");
    let output = actix_web::rt::task::spawn_blocking(move || {
        run(&path, &["lists", "update", "--source", "custom:downloaded", "--url", &missing_url])
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).contains("HTTP 404"), "{}", text(&output));
    handle.stop(false).await;
}

#[tokio::test]
async fn a_failed_list_update_is_queued_for_the_compliance_officer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let key = anchor_core::keys::SigningKey::from_seed(anchor_core::testing::TEST_SEED).unwrap();
    let output = Command::new(BINARY)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ACTIVE_SEPS", "sep-1")
        .env("HOST_URL", "http://localhost:8000")
        .env("LOCAL_MODE", "true")
        .env("SIGNING_SEED", key.seed().expose())
        .env("SERVER_JWT_KEY", anchor_core::testing::TEST_JWT_KEY)
        .env("DATABASE_URL", "sqlite://data/anchor.sqlite3")
        .env("AML_WEBHOOK_URL", "http://127.0.0.1:9/hooks/aml")
        .env("AML_WEBHOOK_SECRET", "a-webhook-secret-of-at-least-32-bytes")
        .args(["lists", "update", "--source", "un", "--url", "http://127.0.0.1:9/un.xml"])
        .output()
        .unwrap();
    assert!(!output.status.success(), "{}", text(&output));

    let url = anchor_core::config::DatabaseUrl::parse(&format!(
        "sqlite://{}",
        dir.path().join("data/anchor.sqlite3").display()
    ))
    .unwrap();
    let database = anchor_core::Database::connect(&url).unwrap();
    let notifier = anchor_aml::Notifier::new(
        database,
        anchor_aml::NotifierConfig {
            webhook_url: Some("http://127.0.0.1:9/hooks/aml".into()),
            webhook_secret: Some(anchor_core::Sensitive::new("a-webhook-secret-of-at-least-32-bytes".into())),
            ..anchor_aml::NotifierConfig::default()
        },
    )
    .unwrap();
    let queued = notifier.outbox(None, 10).await.unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].kind, "list_update_failed");
    assert_eq!(queued[0].status, "pending");
}
