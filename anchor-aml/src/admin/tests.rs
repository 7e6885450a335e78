#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use super::*;

fn documented_routes() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            routes.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    routes
}

#[test]
fn every_mounted_route_is_documented_and_every_documented_route_is_mounted() {
    let mounted: BTreeSet<(String, String)> = mounted_routes()
        .into_iter()
        .map(|(method, path)| (method.as_str().to_string(), format!("{ADMIN_API_PATH}{path}")))
        .collect();
    let documented = documented_routes();
    assert_eq!(mounted.len(), 17);
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
    assert!(is_stellar_account("GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB"));
    assert!(!is_stellar_account("GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEC"));
    assert!(!is_stellar_account("SDWTLFPALQSP225BSMX7HPZ7ZEAYSUYNDLJ5QI3YGVBNRUIIELWH3XUV"));
    assert!(!is_stellar_account("0xabc"));
}
