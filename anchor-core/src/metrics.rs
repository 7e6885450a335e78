//! Metrics: one [`Metrics`] registry per app, the HTTP series the framework records for every
//! request, and `GET /metrics` on the internal listener (behind `ADMIN_API_KEY`) in the
//! OpenMetrics text format that Prometheus scrapes. `docs/metrics.md` lists every series.
//!
//! The framework records, for every request that passes through [`crate::http::log_request`]:
//!
//! - `anchor_http_requests_total{sep, status}`: a counter;
//! - `anchor_http_request_duration_seconds{sep}`: a histogram.
//!
//! `sep` is `sep-1`, `sep-2`, `sep-3`, `sep-10` or `sep-12` (found from the route pattern and the
//! endpoints published in `stellar.toml`), `internal` on the internal listener, `other`
//! otherwise; `status` is the numeric HTTP status. No label ever carries a concrete path.
//!
//! Other crates add their own series at any time after the app is built, through
//! [`AnchorContext::metrics`](crate::AnchorContext::metrics): a metric they update themselves
//! ([`Metrics::register`]), or a [`Collector`] read at every scrape
//! ([`Metrics::register_collector`]). Use the [`prometheus_client`] re-exported here, so the
//! versions match. A name can be registered once; a second registration is refused with
//! [`MetricsError::AlreadyRegistered`], so code that runs once per worker can register safely.
//!
//! ```
//! use std::sync::atomic::{AtomicI64, Ordering};
//! use std::sync::Arc;
//!
//! use anchor_core::metrics::prometheus_client::collector::Collector;
//! use anchor_core::metrics::prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
//! use anchor_core::metrics::prometheus_client::metrics::counter::Counter;
//! use anchor_core::metrics::prometheus_client::metrics::gauge::ConstGauge;
//! use anchor_core::metrics::{Metrics, MetricsError};
//!
//! // A metric the crate updates itself (`Counter` is an `Arc` inside: keep a clone).
//! let metrics = Metrics::new(); // in a handler: `ctx.metrics()`
//! let scans: Counter = Counter::default();
//! metrics.register("anchor_aml_scans", "Completed AML scans", scans.clone())?;
//! scans.inc();
//!
//! // A value read at every scrape.
//! #[derive(Debug)]
//! struct FrozenAccounts(Arc<AtomicI64>);
//!
//! impl Collector for FrozenAccounts {
//!     fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
//!         let gauge = ConstGauge::new(self.0.load(Ordering::Relaxed));
//!         let metric = encoder.encode_descriptor(
//!             "anchor_aml_frozen_accounts",
//!             "Accounts frozen now",
//!             None,
//!             gauge.metric_type(),
//!         )?;
//!         gauge.encode(metric)
//!     }
//! }
//!
//! let frozen = Arc::new(AtomicI64::new(2));
//! metrics.register_collector("anchor_aml_frozen_accounts", Box::new(FrozenAccounts(frozen.clone())))?;
//!
//! let text = metrics.encode();
//! assert!(text.contains("anchor_aml_scans_total 1\n"));
//! assert!(text.contains("anchor_aml_frozen_accounts 2\n"));
//! assert!(text.ends_with("# EOF\n"));
//!
//! // The same name again is refused.
//! let again = metrics.register("anchor_aml_scans", "Completed AML scans", Counter::<u64>::default());
//! assert!(matches!(again, Err(MetricsError::AlreadyRegistered(_))));
//! # Ok::<(), MetricsError>(())
//! ```

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use actix_web::{web, HttpResponse};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode_registry;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry, Unit};
use url::Url;

use crate::app::AnchorContext;
use crate::config::{url_authority, SepId, Settings};

/// Re-exported so crates registering series use the same version as the framework.
pub use prometheus_client;

/// The `Content-Type` of `GET /metrics`.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds (seconds) of `anchor_http_request_duration_seconds`.
const HTTP_DURATION_BUCKETS: [f64; 13] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Why a series could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// The name is not a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
    #[error(
        "`{0}` is not a valid metric name (ASCII letters, digits, `_` and `:`, not starting with a digit)"
    )]
    InvalidName(String),
    /// A metric or collector with this name is already registered.
    #[error("a metric or collector named `{0}` is already registered")]
    AlreadyRegistered(String),
}

/// The app's metrics registry. Cheap to clone (an `Arc` inside); one per [`AnchorApp`]
/// (`crate::AnchorApp`), reachable as [`AnchorContext::metrics`](crate::AnchorContext::metrics).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    http_requests: Family<HttpRequestLabels, Counter>,
    http_duration: Family<HttpDurationLabels, Histogram, fn() -> Histogram>,
    /// Each registration in its own registry, so one failing collector cannot break a scrape.
    entries: RwLock<Vec<Entry>>,
}

struct Entry {
    name: String,
    registry: Registry,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = self.inner.entries.read().unwrap_or_else(PoisonError::into_inner);
        let names: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
        f.debug_struct("Metrics").field("series", &names).finish()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry holding the framework's HTTP series. [`AnchorApp`](crate::AnchorApp) creates
    /// one; create your own only for tests or outside an app.
    pub fn new() -> Self {
        let http_requests = Family::<HttpRequestLabels, Counter>::default();
        let http_duration = Family::<HttpDurationLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            http_duration_histogram,
        );
        let mut requests = Registry::default();
        requests.register(
            "anchor_http_requests",
            "HTTP requests answered, by SEP (from the route, never the path) and status",
            http_requests.clone(),
        );
        let mut duration = Registry::default();
        duration.register_with_unit(
            "anchor_http_request_duration",
            "Time to answer an HTTP request, by SEP",
            Unit::Seconds,
            http_duration.clone(),
        );
        let entries = vec![
            Entry { name: "anchor_http_requests".into(), registry: requests },
            Entry { name: "anchor_http_request_duration_seconds".into(), registry: duration },
        ];
        Metrics { inner: Arc::new(Inner { http_requests, http_duration, entries: RwLock::new(entries) }) }
    }

    /// Registers a metric the caller updates itself (a `Counter`, `Gauge`, `Histogram` or a
    /// `Family` of them; keep a clone). OpenMetrics suffixes are added by the type: a counter
    /// registered as `anchor_aml_scans` is exposed as `anchor_aml_scans_total`. A full stop is
    /// appended to `help`.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) -> Result<(), MetricsError> {
        let mut registry = Registry::default();
        registry.register(name, help, metric);
        self.add(name, registry)
    }

    /// Registers a [`Collector`], asked for its series at every scrape (values that live
    /// elsewhere: rows in a table, the age of a list). `name` identifies the registration (by
    /// convention the collector's series name or their common prefix) and must be unique. If the
    /// collector fails, its series are left out of that scrape and the failure is logged; the
    /// other series are still served.
    pub fn register_collector(&self, name: &str, collector: Box<dyn Collector>) -> Result<(), MetricsError> {
        let mut registry = Registry::default();
        registry.register_collector(collector);
        self.add(name, registry)
    }

    fn add(&self, name: &str, registry: Registry) -> Result<(), MetricsError> {
        if !is_metric_name(name) {
            return Err(MetricsError::InvalidName(name.to_string()));
        }
        let mut entries = self.inner.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.iter().any(|entry| entry.name == name) {
            return Err(MetricsError::AlreadyRegistered(name.to_string()));
        }
        entries.push(Entry { name: name.to_string(), registry });
        Ok(())
    }

    /// The OpenMetrics text exposition of every series, ending with `# EOF`: the body of
    /// `GET /metrics`.
    pub fn encode(&self) -> String {
        let entries = self.inner.entries.read().unwrap_or_else(PoisonError::into_inner);
        let mut text = String::new();
        let mut scratch = String::new();
        for entry in entries.iter() {
            scratch.clear();
            match encode_registry(&mut scratch, &entry.registry) {
                Ok(()) => text.push_str(&scratch),
                Err(_) => tracing::warn!(
                    name = %entry.name,
                    "a metrics collector failed; its series are left out of this scrape"
                ),
            }
        }
        text.push_str("# EOF\n");
        text
    }

    /// Records one answered request.
    pub(crate) fn record_http(&self, sep: SepLabel, status: u16, elapsed: Duration) {
        self.inner.http_requests.get_or_create(&HttpRequestLabels { sep, status }).inc();
        self.inner.http_duration.get_or_create(&HttpDurationLabels { sep }).observe(elapsed.as_secs_f64());
    }
}

fn http_duration_histogram() -> Histogram {
    Histogram::new(HTTP_DURATION_BUCKETS)
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphabetic() || first == '_' || first == ':' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// The `sep` label: a fixed set of values, so the series stay bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SepLabel {
    Sep1,
    Sep2,
    Sep3,
    Sep10,
    Sep12,
    Internal,
    Other,
}

impl SepLabel {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SepLabel::Sep1 => "sep-1",
            SepLabel::Sep2 => "sep-2",
            SepLabel::Sep3 => "sep-3",
            SepLabel::Sep10 => "sep-10",
            SepLabel::Sep12 => "sep-12",
            SepLabel::Internal => "internal",
            SepLabel::Other => "other",
        }
    }
}

impl EncodeLabelValue for SepLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct HttpRequestLabels {
    sep: SepLabel,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct HttpDurationLabels {
    sep: SepLabel,
}

/// Which SEP a public route belongs to: route-pattern prefixes taken from the endpoints the
/// active modules publish in stellar.toml (only those served under `HOST_URL`), longest first.
#[derive(Debug, Default)]
pub(crate) struct SepRoutes {
    prefixes: Vec<(String, SepLabel)>,
}

impl SepRoutes {
    /// From the stellar.toml entries of the active modules.
    pub(crate) fn new(settings: &Settings, entries: &[(&'static str, String)]) -> Self {
        let host = Url::parse(&settings.host_url).ok().and_then(|url| url_authority(&url));
        let mut prefixes = Vec::new();
        if settings.is_active(SepId::Sep1) {
            prefixes.push(("/.well-known/stellar.toml".to_string(), SepLabel::Sep1));
        }
        for (key, value) in entries {
            let sep = match *key {
                "WEB_AUTH_ENDPOINT" => SepLabel::Sep10,
                "KYC_SERVER" => SepLabel::Sep12,
                "AUTH_SERVER" => SepLabel::Sep3,
                "FEDERATION_SERVER" => SepLabel::Sep2,
                _ => continue,
            };
            let Ok(url) = Url::parse(value) else { continue };
            let served_here = match (url_authority(&url), &host) {
                (Some(authority), Some(host)) => authority.eq_ignore_ascii_case(host),
                _ => false,
            };
            let path = url.path().trim_end_matches('/');
            // A root path would claim every route; such an endpoint is left as `other`.
            if served_here && !path.is_empty() {
                prefixes.push((path.to_string(), sep));
            }
        }
        prefixes.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        SepRoutes { prefixes }
    }

    /// The SEP of a matched route pattern; `other` for an unmatched request or another route.
    pub(crate) fn sep_of(&self, pattern: Option<&str>) -> SepLabel {
        let Some(pattern) = pattern else { return SepLabel::Other };
        self.prefixes
            .iter()
            .find(|(prefix, _)| {
                pattern
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .map_or(SepLabel::Other, |(_, sep)| *sep)
    }
}

/// What [`crate::http::log_request`] finds in the app data of an app built by `AnchorApp`: the
/// registry and how to label this listener's requests.
#[derive(Debug, Clone)]
pub(crate) struct RequestRecorder {
    metrics: Metrics,
    /// `None` on the internal listener: every request there is `internal`.
    routes: Option<Arc<SepRoutes>>,
}

impl RequestRecorder {
    pub(crate) fn public(metrics: Metrics, routes: Arc<SepRoutes>) -> Self {
        RequestRecorder { metrics, routes: Some(routes) }
    }

    pub(crate) fn internal(metrics: Metrics) -> Self {
        RequestRecorder { metrics, routes: None }
    }

    /// Records one answered request, given its route pattern (`None` when no route matched).
    pub(crate) fn record(&self, pattern: Option<&str>, status: u16, elapsed: Duration) {
        let sep = match &self.routes {
            Some(routes) => routes.sep_of(pattern),
            None => SepLabel::Internal,
        };
        self.metrics.record_http(sep, status, elapsed);
    }
}

/// Mounts `GET /metrics` on the internal listener, behind `ADMIN_API_KEY`.
pub(crate) fn mount_internal(cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
    let key = ctx.settings().admin_api_key.as_ref().map(|key| key.expose().clone());
    crate::http::mount_internal_scope(cfg, "/metrics", ctx.body_limits(), key, |scope| {
        scope.route("", web::get().to(serve))
    });
}

async fn serve(ctx: web::Data<AnchorContext>) -> HttpResponse {
    HttpResponse::Ok().content_type(CONTENT_TYPE).body(ctx.metrics().encode())
}

#[cfg(test)]
mod tests;
