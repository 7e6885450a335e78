//! The admin API's contract: every mounted route is in the OpenAPI file with the credential it
//! takes and every documented route is mounted, monitor errors map to their status without leaking
//! their cause, only Stellar account forms are taken as accounts (checks, unfreezes), and what the
//! analytics and weekly-report routes answer (windows, the admin key, JSON or CSV).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

use std::collections::BTreeSet;

use super::*;

fn documented_routes() -> BTreeSet<(String, String)> {
    documented_routes_with_security().into_iter().map(|(method, path, _)| (method, path)).collect()
}

/// (method, path, security scheme) of every documented operation; the document's default
/// scheme when the operation names none.
fn documented_routes_with_security() -> BTreeSet<(String, String, String)> {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let scheme = |security: &serde_json::Value| {
        security[0].as_object().and_then(|schemes| schemes.keys().next().cloned()).unwrap_or_default()
    };
    let default = scheme(&doc["security"]);
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let security = if operation["security"].is_null() {
                default.clone()
            } else {
                scheme(&operation["security"])
            };
            routes.insert((method.to_ascii_uppercase(), path.clone(), security));
        }
    }
    routes
}

#[test]
fn every_route_is_documented_with_the_credential_it_takes() {
    let mounted: BTreeSet<(String, String, String)> = mounted_routes()
        .into_iter()
        .map(|(method, path, credential)| {
            let scheme = match credential {
                Credential::AdminKey => "adminApiKey",
                Credential::Officer => "officerToken",
            };
            (method.as_str().to_string(), format!("{ADMIN_API_PATH}{path}"), scheme.to_string())
        })
        .collect();
    assert_eq!(mounted, documented_routes_with_security());
    let decisions: Vec<&str> = mounted
        .iter()
        .filter(|(_, _, scheme)| scheme == "officerToken")
        .map(|(_, path, _)| path.as_str())
        .collect();
    assert_eq!(
        decisions,
        [
            "/admin/aml/cases/{id}/clear",
            "/admin/aml/cases/{id}/confirm",
            "/admin/aml/cases/{id}/notes",
            "/admin/aml/unfreeze"
        ]
    );
}

#[test]
fn every_mounted_route_is_documented_and_every_documented_route_is_mounted() {
    let mounted: BTreeSet<(String, String)> = mounted_routes()
        .into_iter()
        .map(|(method, path, _)| (method.as_str().to_string(), format!("{ADMIN_API_PATH}{path}")))
        .collect();
    let documented = documented_routes();
    assert_eq!(mounted.len(), 19);
    assert_eq!(
        mounted.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "mounted but not in openapi.json"
    );
    assert_eq!(
        documented.difference(&mounted).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "in openapi.json but not mounted"
    );
}

#[test]
fn monitor_errors_map_to_their_status() {
    use actix_web::ResponseError as _;
    let status = |err: Error| api_error(err).status_code().as_u16();
    assert_eq!(status(Error::NotFound("no case 9".into())), 404);
    assert_eq!(status(Error::Invalid("a written `reason` is required".into())), 400);
    assert_eq!(status(Error::Store("disk full".into())), 500);
    let internal = api_error(Error::Store("secret detail".into()));
    assert!(!internal.to_string().contains("secret"));
}

#[test]
fn only_stellar_accounts_are_checked() {
    assert!(is_freeze_identity("GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB"));
    assert!(!is_freeze_identity("GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEC"));
    assert!(!is_freeze_identity("SDWTLFPALQSP225BSMX7HPZ7ZEAYSUYNDLJ5QI3YGVBNRUIIELWH3XUV"));
    assert!(!is_freeze_identity("0xabc"));
}

mod analytics_routes {
    use actix_web::test::{call_service, init_service, read_body, TestRequest};
    use actix_web::App;
    use anchor_core::http::BodyLimits;
    use anchor_core::integrations::sanctions::ScreeningSubject;
    use anchor_core::testing::{settings, sqlite_database, TestDatabase, TEST_ADMIN_API_KEY};

    use super::*;
    use crate::monitor::MonitorConfig;
    use crate::ListStore;
    use anchor_screening::{parse_custom_csv, ImportPolicy, ListVersion, LoadedList};

    /// A monitor with a list and one listed customer (a real case opened today).
    fn monitor() -> (TestDatabase, AmlMonitor) {
        let test_db = sqlite_database();
        let database = test_db.database();
        let csv = "id,name,program,country\np1,Ivan Petrovich Sidorov,<b>SDGT</b>,RU\n";
        let list = parse_custom_csv(csv.as_bytes(), "officer_list").unwrap();
        let version = ListVersion::of(&list, &[csv.as_bytes()]);
        ListStore::new(database.clone())
            .import(&LoadedList { list, version }, &ImportPolicy::default(), 1_000)
            .unwrap();
        let monitor =
            AmlMonitor::open(database, MonitorConfig::from_settings(&settings(&[]).aml), None).unwrap();
        for (key, name) in [("sep12:a", "Ivan Petrovich Sidorov"), ("sep12:b", "Alice Example")] {
            monitor.record(key, &ScreeningSubject::named(name), "sep12_customer").unwrap();
        }
        (test_db, monitor)
    }

    struct Reply {
        status: u16,
        headers: actix_web::http::header::HeaderMap,
        body: Vec<u8>,
    }

    impl Reply {
        fn header(&self, name: header::HeaderName) -> &str {
            self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
        }
    }

    async fn get(monitor: &AmlMonitor, uri: &str, key: Option<&str>) -> Reply {
        let monitor = monitor.clone();
        let app = init_service(App::new().configure(move |cfg| {
            mount_admin_api(
                cfg,
                monitor,
                BodyLimits { max_body_bytes: 64 * 1024 },
                Some(TEST_ADMIN_API_KEY.to_string()),
            )
        }))
        .await;
        let mut request = TestRequest::get().uri(uri);
        if let Some(key) = key {
            request = request.insert_header((header::AUTHORIZATION, format!("Bearer {key}")));
        }
        let response = call_service(&app, request.to_request()).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        Reply { status, headers, body: read_body(response).await.to_vec() }
    }

    fn json(body: &[u8]) -> serde_json::Value {
        serde_json::from_slice(body).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)))
    }

    #[actix_web::test]
    async fn analytics_answers_the_window_asked_for_and_defaults_to_30_days() {
        let (_db, monitor) = monitor();
        for (uri, days) in [
            ("/admin/aml/analytics", 30),
            ("/admin/aml/analytics?days=7", 7),
            ("/admin/aml/analytics?days=90", 90),
        ] {
            let reply = get(&monitor, uri, Some(TEST_ADMIN_API_KEY)).await;
            assert_eq!(reply.status, 200, "{uri}: {}", String::from_utf8_lossy(&reply.body));
            assert_eq!(reply.header(header::CONTENT_TYPE), "application/json");
            let body = json(&reply.body);
            assert_eq!(body["days"], days, "{uri}");
            assert_eq!(body["daily"].as_array().unwrap().len(), days as usize, "{uri}");
            assert_eq!(body["subjects"], 2);
            assert_eq!(body["hits"], 1);
            assert_eq!(body["alert_rate_per_1000"], 500.0);
            assert_eq!(
                body["hits_per_list"],
                serde_json::json!([{"name": "custom:officer_list", "count": 1}])
            );
            assert_eq!(body["hits_per_program"][0]["name"], "<b>SDGT</b>");
            assert_eq!(body["daily"][days as usize - 1]["screenings"], 2, "{uri}: today's arrivals");
        }
    }

    #[actix_web::test]
    async fn analytics_refuses_other_windows_with_400() {
        let (_db, monitor) = monitor();
        for uri in [
            "/admin/aml/analytics?days=8",
            "/admin/aml/analytics?days=0",
            "/admin/aml/analytics?days=366",
            "/admin/aml/analytics?days=-7",
            "/admin/aml/analytics?days=seven",
            "/admin/aml/analytics?days=7&extra=1",
        ] {
            let reply = get(&monitor, uri, Some(TEST_ADMIN_API_KEY)).await;
            assert_eq!(reply.status, 400, "{uri}");
            assert!(json(&reply.body)["error"].is_string(), "{uri}");
        }
        let reply = get(&monitor, "/admin/aml/analytics?days=8", Some(TEST_ADMIN_API_KEY)).await;
        assert_eq!(json(&reply.body)["error"], "`days` must be 7, 30 or 90");
    }

    #[actix_web::test]
    async fn analytics_and_the_weekly_report_need_the_admin_key() {
        let (_db, monitor) = monitor();
        for uri in
            ["/admin/aml/analytics", "/admin/aml/reports/weekly", "/admin/aml/reports/weekly?format=csv"]
        {
            for key in [None, Some("not-the-admin-key-not-the-admin-key-xx")] {
                let reply = get(&monitor, uri, key).await;
                assert_eq!(reply.status, 401, "{uri} {key:?}");
                assert!(json(&reply.body)["error"].is_string());
            }
        }
    }

    /// Moves what the monitor recorded a week back: into the last complete ISO week, the one the
    /// weekly report covers.
    fn a_week_back(monitor: &AmlMonitor) {
        use anchor_core::db::schema::aml_audit_log::dsl as log;
        use anchor_core::db::schema::aml_cases::dsl as c;
        use diesel::prelude::*;
        const WEEK: i64 = 7 * 86_400;
        monitor
            .database()
            .run_blocking(|conn| {
                diesel::update(log::aml_audit_log)
                    .set(log::recorded_at.eq(log::recorded_at - WEEK))
                    .execute(conn)?;
                diesel::update(c::aml_cases).set(c::opened_at.eq(c::opened_at - WEEK)).execute(conn)?;
                Ok(())
            })
            .unwrap();
    }

    #[actix_web::test]
    async fn the_weekly_report_is_json_or_a_csv_download() {
        let (_db, monitor) = monitor();
        a_week_back(&monitor);
        let reply = get(&monitor, "/admin/aml/reports/weekly", Some(TEST_ADMIN_API_KEY)).await;
        assert_eq!((reply.status, reply.header(header::CONTENT_TYPE)), (200, "application/json"));
        let report = json(&reply.body);
        let week = report["week"].as_str().unwrap().to_string();
        // Last week, the one the weekly summary sent this week reports.
        let a_week_ago = anchor_core::clock::unix_now() - 7 * 86_400;
        assert_eq!(format!("weekly-summary:{week}"), crate::notify::weekly_summary_key(a_week_ago));
        let from = report["analytics"]["from"].as_i64().unwrap();
        assert_eq!(format!("weekly-summary:{week}"), crate::notify::weekly_summary_key(from));
        assert_eq!(report["analytics"]["to"].as_i64().unwrap(), from + 7 * 86_400 - 1);
        assert_eq!(report["analytics"]["days"], 7);
        assert_eq!(report["arrival_screenings"], 2);
        assert_eq!(report["lists"][0]["list"], "custom:officer_list");
        assert!(report["audit_head"]["hash"].is_string());

        let reply = get(&monitor, "/admin/aml/reports/weekly?format=csv", Some(TEST_ADMIN_API_KEY)).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header(header::CONTENT_TYPE), "text/csv; charset=utf-8");
        assert_eq!(
            reply.header(header::CONTENT_DISPOSITION),
            format!("attachment; filename=\"aml-weekly-report-{week}.csv\"")
        );
        let csv = String::from_utf8(reply.body).unwrap();
        assert!(csv.starts_with("section,name,value\n"), "{csv}");
        assert!(csv.contains(&format!("report,week,{week}\n")), "{csv}");
        assert!(csv.contains("totals,hits,1\n"), "{csv}");
        assert!(csv.contains("hits_per_program,<b>SDGT</b>,1\n"), "{csv}");

        let reply = get(&monitor, "/admin/aml/reports/weekly?format=xml", Some(TEST_ADMIN_API_KEY)).await;
        assert_eq!(reply.status, 400);
        assert!(json(&reply.body)["error"].is_string());
    }
}
