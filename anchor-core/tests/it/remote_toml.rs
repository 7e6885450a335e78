//! Fetching other institutions' stellar.toml files from real servers on loopback (LOCAL_MODE).

use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use anchor_core::remote_toml::{RemoteTomlError, StellarTomlFetcher};

const KEY: &str = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";

/// Serves a different stellar.toml on each port so each case has its own domain.
fn serve(body: &'static str, status: u16, delay: Duration) -> String {
    let server = HttpServer::new(move || {
        App::new().route(
            "/.well-known/stellar.toml",
            web::get().to(move || async move {
                tokio::time::sleep(delay).await;
                HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).body(body)
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    format!("127.0.0.1:{}", addr.port())
}

fn reason(err: RemoteTomlError) -> String {
    match err {
        RemoteTomlError::Unusable { reason, .. } => reason,
        other => other.to_string(),
    }
}

#[actix_web::test]
async fn a_valid_file_gives_its_signing_key_and_is_cached() {
    let body: &'static str = Box::leak(format!("SIGNING_KEY = \"{KEY}\"\n").into_boxed_str());
    let domain = serve(body, 200, Duration::ZERO);
    let fetcher = StellarTomlFetcher::new(true, Duration::from_secs(5)).unwrap();
    let key = fetcher.signing_key(&domain).await.unwrap();
    assert_eq!(stellar_strkey::ed25519::PublicKey(key).to_string().as_str(), KEY);
    assert!(fetcher.fetch(&domain).await.is_ok());
}

#[actix_web::test]
async fn unusable_files_are_refused_with_their_reason() {
    let fetcher = StellarTomlFetcher::new(true, Duration::from_millis(500)).unwrap();
    let missing = serve("", 404, Duration::ZERO);
    assert_eq!(reason(fetcher.fetch(&missing).await.unwrap_err()), "HTTP 404");
    let no_key = serve("NETWORK_PASSPHRASE = \"x\"\n", 200, Duration::ZERO);
    assert!(reason(fetcher.signing_key(&no_key).await.unwrap_err()).contains("no SIGNING_KEY"));
    let garbage = serve("this is = = not toml", 200, Duration::ZERO);
    assert!(reason(fetcher.fetch(&garbage).await.unwrap_err()).contains("not valid TOML"));
    let huge: &'static str = Box::leak(format!("A = \"{}\"\n", "x".repeat(200 * 1024)).into_boxed_str());
    let big = serve(huge, 200, Duration::ZERO);
    assert!(reason(fetcher.fetch(&big).await.unwrap_err()).contains("larger than 100 KiB"));
    let slow = serve("SIGNING_KEY = \"x\"", 200, Duration::from_secs(5));
    assert!(reason(fetcher.fetch(&slow).await.unwrap_err()).contains("timed out"));
}

#[actix_web::test]
async fn outside_local_mode_a_loopback_server_is_not_contacted() {
    // The server is there and valid, but outside LOCAL_MODE an IP literal with a port is not a
    // domain, and a name resolving to loopback is refused by the resolver.
    let body: &'static str = Box::leak(format!("SIGNING_KEY = \"{KEY}\"\n").into_boxed_str());
    let domain = serve(body, 200, Duration::ZERO);
    let fetcher = StellarTomlFetcher::new(false, Duration::from_secs(2)).unwrap();
    assert!(matches!(fetcher.fetch(&domain).await.unwrap_err(), RemoteTomlError::InvalidDomain(_)));
    let err = fetcher.fetch("localhost.localdomain").await.unwrap_err();
    assert!(matches!(err, RemoteTomlError::Unusable { .. }), "{err}");
}
