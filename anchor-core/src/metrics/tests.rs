//! `Metrics`: route patterns map to their SEP label (longest prefix, `other` for the rest),
//! recorded requests appear with SEP and status, registered series are encoded with unique valid
//! names, a failing collector leaves the other series intact, and clones share one registry.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::time::Duration;

use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

use super::*;

fn settings(host_url: &str, active: &str) -> Settings {
    let env: Vec<(String, String)> = [
        ("ACTIVE_SEPS", active),
        ("HOST_URL", host_url),
        ("LOCAL_MODE", "true"),
        ("SIGNING_SEED", "SDWTLFPALQSP225BSMX7HPZ7ZEAYSUYNDLJ5QI3YGVBNRUIIELWH3XUV"),
        ("SERVER_JWT_KEY", "0123456789abcdef0123456789abcdef"),
        ("DATABASE_URL", "sqlite://:memory:"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Settings::from_sources(None, env).unwrap()
}

fn routes() -> SepRoutes {
    let settings = settings("http://localhost:8000", "sep-1");
    SepRoutes::new(
        &settings,
        &[
            ("WEB_AUTH_ENDPOINT", "http://localhost:8000/auth".into()),
            ("KYC_SERVER", "http://localhost:8000/kyc".into()),
            ("AUTH_SERVER", "http://localhost:8000/compliance".into()),
            ("FEDERATION_SERVER", "http://localhost:8000/federation".into()),
            ("SIGNING_KEY", "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB".into()),
        ],
    )
}

#[test]
fn route_patterns_map_to_their_sep() {
    let routes = routes();
    assert_eq!(routes.sep_of(Some("/.well-known/stellar.toml")), SepLabel::Sep1);
    assert_eq!(routes.sep_of(Some("/auth")), SepLabel::Sep10);
    assert_eq!(routes.sep_of(Some("/kyc/customer/{account}")), SepLabel::Sep12);
    assert_eq!(routes.sep_of(Some("/compliance/tx_status")), SepLabel::Sep3);
    assert_eq!(routes.sep_of(Some("/compliance/")), SepLabel::Sep3);
    assert_eq!(routes.sep_of(Some("/federation")), SepLabel::Sep2);
}

#[test]
fn other_and_unmatched_routes_are_other() {
    let routes = routes();
    assert_eq!(routes.sep_of(None), SepLabel::Other);
    assert_eq!(routes.sep_of(Some("/health")), SepLabel::Other);
    assert_eq!(routes.sep_of(Some("/")), SepLabel::Other);
    // A prefix only matches whole segments.
    assert_eq!(routes.sep_of(Some("/authorize")), SepLabel::Other);
    assert_eq!(routes.sep_of(Some("/kyc-admin/{id}")), SepLabel::Other);
    assert_eq!(routes.sep_of(Some("/.well-known/other.toml")), SepLabel::Other);
}

#[test]
fn endpoints_served_elsewhere_or_at_the_root_are_not_mapped() {
    let settings = settings("https://anchor.example", "sep-10");
    let routes = SepRoutes::new(
        &settings,
        &[
            ("FEDERATION_SERVER", "https://federation.example/federation".into()),
            ("KYC_SERVER", "https://anchor.example/".into()),
            ("WEB_AUTH_ENDPOINT", "https://ANCHOR.example/auth".into()),
            ("AUTH_SERVER", "not a url".into()),
        ],
    );
    assert_eq!(routes.sep_of(Some("/federation")), SepLabel::Other);
    assert_eq!(routes.sep_of(Some("/kyc")), SepLabel::Other);
    assert_eq!(routes.sep_of(Some("/anything")), SepLabel::Other);
    assert_eq!(routes.sep_of(Some("/auth")), SepLabel::Sep10);
    // sep-1 inactive: stellar.toml is not served, so not mapped.
    assert_eq!(routes.sep_of(Some("/.well-known/stellar.toml")), SepLabel::Other);
}

#[test]
fn the_longest_prefix_wins() {
    let settings = settings("http://localhost:8000", "sep-1");
    let routes = SepRoutes::new(
        &settings,
        &[
            ("AUTH_SERVER", "http://localhost:8000/api".into()),
            ("KYC_SERVER", "http://localhost:8000/api/kyc".into()),
        ],
    );
    assert_eq!(routes.sep_of(Some("/api/kyc/customer")), SepLabel::Sep12);
    assert_eq!(routes.sep_of(Some("/api/tx_status")), SepLabel::Sep3);
}

#[test]
fn recorded_requests_appear_with_sep_and_status() {
    let metrics = Metrics::new();
    metrics.record_http(SepLabel::Sep10, 200, Duration::from_millis(3));
    metrics.record_http(SepLabel::Sep10, 200, Duration::from_millis(30));
    metrics.record_http(SepLabel::Internal, 401, Duration::from_micros(40));
    let text = metrics.encode();
    assert!(text.contains("# TYPE anchor_http_requests counter\n"), "{text}");
    assert!(text.contains("anchor_http_requests_total{sep=\"sep-10\",status=\"200\"} 2\n"), "{text}");
    assert!(text.contains("anchor_http_requests_total{sep=\"internal\",status=\"401\"} 1\n"), "{text}");
    assert!(text.contains("# UNIT anchor_http_request_duration_seconds seconds\n"), "{text}");
    assert!(text.contains("anchor_http_request_duration_seconds_count{sep=\"sep-10\"} 2\n"), "{text}");
    assert!(
        text.contains("anchor_http_request_duration_seconds_bucket{le=\"0.005\",sep=\"sep-10\"} 1\n"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[test]
fn every_sep_label_is_a_fixed_string() {
    let all = [
        SepLabel::Sep1,
        SepLabel::Sep2,
        SepLabel::Sep3,
        SepLabel::Sep10,
        SepLabel::Sep12,
        SepLabel::Internal,
        SepLabel::Other,
    ];
    let names: Vec<&str> = all.iter().map(|sep| sep.as_str()).collect();
    assert_eq!(names, ["sep-1", "sep-2", "sep-3", "sep-10", "sep-12", "internal", "other"]);
}

#[test]
fn registered_metrics_are_encoded_and_names_are_unique() {
    let metrics = Metrics::new();
    let scans: Counter = Counter::default();
    metrics.register("anchor_aml_scans", "Completed scans", scans.clone()).unwrap();
    scans.inc_by(3);
    let frozen: Gauge = Gauge::default();
    metrics.register("anchor_aml_frozen_accounts", "Frozen accounts", frozen.clone()).unwrap();
    frozen.set(5);
    let text = metrics.encode();
    assert!(text.contains("# HELP anchor_aml_scans Completed scans.\n"), "{text}");
    assert!(text.contains("anchor_aml_scans_total 3\n"), "{text}");
    assert!(text.contains("anchor_aml_frozen_accounts 5\n"), "{text}");

    assert_eq!(
        metrics.register("anchor_aml_scans", "again", Counter::<u64>::default()),
        Err(MetricsError::AlreadyRegistered("anchor_aml_scans".into()))
    );
    assert_eq!(
        metrics.register("anchor_http_requests", "clash", Counter::<u64>::default()),
        Err(MetricsError::AlreadyRegistered("anchor_http_requests".into()))
    );
    assert!(matches!(
        metrics.register_collector("anchor_aml_scans", Box::new(Failing)),
        Err(MetricsError::AlreadyRegistered(_))
    ));
}

#[test]
fn invalid_names_are_refused() {
    let metrics = Metrics::new();
    for name in ["", "1abc", "with space", "dash-ed", "anchor_é", "a{b}"] {
        assert_eq!(
            metrics.register(name, "help", Counter::<u64>::default()),
            Err(MetricsError::InvalidName(name.into())),
            "{name}"
        );
    }
    metrics.register("_ok:name_1", "help", Counter::<u64>::default()).unwrap();
}

#[derive(Debug)]
struct Failing;

impl Collector for Failing {
    fn encode(&self, _encoder: DescriptorEncoder<'_>) -> Result<(), fmt::Error> {
        Err(fmt::Error)
    }
}

#[test]
fn a_failing_collector_leaves_the_other_series_intact() {
    let metrics = Metrics::new();
    metrics.record_http(SepLabel::Sep1, 200, Duration::from_millis(1));
    metrics.register_collector("broken", Box::new(Failing)).unwrap();
    let after: Counter = Counter::default();
    metrics.register("after_the_broken_one", "still there", after).unwrap();
    let text = metrics.encode();
    assert!(text.contains("# TYPE anchor_http_requests counter\n"), "{text}");
    assert!(text.contains("after_the_broken_one_total 0\n"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert_eq!(text.matches("# EOF").count(), 1);
}

#[test]
fn series_without_observations_are_left_out() {
    assert_eq!(Metrics::new().encode(), "# EOF\n");
}

#[test]
fn clones_share_one_registry() {
    let metrics = Metrics::new();
    let clone = metrics.clone();
    clone.register("shared", "help", Counter::<u64>::default()).unwrap();
    assert!(metrics.encode().contains("shared_total 0\n"));
    assert!(format!("{metrics:?}").contains("shared"));
}
