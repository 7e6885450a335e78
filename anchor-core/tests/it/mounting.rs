//! Mounting: an active SEP without its module, or without its integrations (all named at once),
//! stops start-up; modules not in `ACTIVE_SEPS` are not mounted; the app mounts beside an anchor's
//! own routes.

use anchor_core::testing;
use anchor_core::{register_integrations, AnchorApp, Integrations};

use super::support::build_app;

#[test]
fn an_active_sep_without_its_module_stops_start_up() {
    let settings = testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-10,sep-12")]);
    let database = anchor_core::Database::connect(&settings.database_url).unwrap();
    let registered = register_integrations(&settings, Integrations::new());
    // sep-12 without a CustomerIntegration is refused by registration…
    let err = registered.unwrap_err();
    assert!(err.to_string().contains("no CustomerIntegration"), "{err}");

    // …and sep-10 without its module by the app builder.
    let settings = testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-10")]);
    let registered = register_integrations(&settings, Integrations::new()).unwrap();
    let err = AnchorApp::builder(settings, database, registered).build().unwrap_err();
    assert!(err.to_string().contains("did not add its module"), "{err}");
    assert!(err.to_string().contains("`anchor-sep10` crate's module value"), "{err}");
}

#[test]
fn every_missing_integration_is_reported_at_once() {
    let settings = testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-3,sep-12")]);
    let err = register_integrations(&settings, Integrations::new()).unwrap_err();
    assert_eq!(err.problems.len(), 2, "{err}");
    assert!(err.to_string().contains("SanctionsIntegration"));
    assert!(err.to_string().contains("CustomerIntegration"));
}

#[test]
fn modules_not_listed_in_active_seps_are_not_mounted() {
    let settings = testing::settings(&[("ACTIVE_SEPS", "sep-1")]);
    let app = build_app(settings, Integrations::new()).unwrap();
    assert_eq!(app.active_seps(), vec![anchor_core::SepId::Sep1]);
}

#[actix_web::test]
async fn the_app_mounts_next_to_the_anchors_own_routes() {
    use anchor_core::actix_web::{web, App, HttpResponse};

    let settings = testing::settings(&[("ACTIVE_SEPS", "sep-1,sep-10")]);
    let app = build_app(settings, Integrations::new()).unwrap();
    let service = actix_web::test::init_service(
        App::new()
            .configure(|cfg| app.configure(cfg))
            .route("/my/own", web::get().to(|| async { HttpResponse::Ok().body("mine") })),
    )
    .await;
    let own = actix_web::test::TestRequest::get().uri("/my/own").to_request();
    assert_eq!(actix_web::test::call_and_read_body(&service, own).await, "mine");
    let toml = actix_web::test::TestRequest::get().uri("/.well-known/stellar.toml").to_request();
    let body = actix_web::test::call_and_read_body(&service, toml).await;
    assert!(std::str::from_utf8(&body).unwrap().contains("WEB_AUTH_ENDPOINT"));
}
