//! The monitor's Prometheus series, registered with the app's [`Metrics`]: screenings on arrival
//! and their latency, scans, hits, enforcement refusals (counters updated as things happen), and
//! frozen accounts and list ages (read from memory at every scrape; no database query).

use anchor_core::clock::unix_now;
use std::sync::Arc;

use anchor_core::metrics::prometheus_client::collector::Collector;
use anchor_core::metrics::prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use anchor_core::metrics::prometheus_client::metrics::counter::Counter;
use anchor_core::metrics::prometheus_client::metrics::gauge::ConstGauge;
use anchor_core::metrics::prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use anchor_core::metrics::{Metrics, MetricsError};

use super::{AmlMonitor, MonitorInner};

/// Series updated by the monitor as it works.
#[derive(Debug, Clone)]
pub(crate) struct MonitorSeries {
    pub(crate) screenings: Counter,
    pub(crate) screening_seconds: Histogram,
    pub(crate) scans_completed: Counter,
    pub(crate) scans_failed: Counter,
    pub(crate) scanned_subjects: Counter,
    pub(crate) hits: Counter,
    pub(crate) refusals: Counter,
}

impl Default for MonitorSeries {
    fn default() -> Self {
        MonitorSeries {
            screenings: Counter::default(),
            screening_seconds: Histogram::new(exponential_buckets(0.000_02, 2.0, 14)),
            scans_completed: Counter::default(),
            scans_failed: Counter::default(),
            scanned_subjects: Counter::default(),
            hits: Counter::default(),
            refusals: Counter::default(),
        }
    }
}

/// Frozen accounts and list ages, read at every scrape.
struct MonitorState(std::sync::Weak<MonitorInner>);

impl std::fmt::Debug for MonitorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MonitorState")
    }
}

impl Collector for MonitorState {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let Some(inner) = self.0.upgrade() else { return Ok(()) };
        let monitor = AmlMonitor { inner };
        let frozen = ConstGauge::new(monitor.frozen_in_memory() as i64);
        frozen.encode(encoder.encode_descriptor(
            "anchor_aml_frozen_accounts",
            "Accounts frozen now (this instance's view)",
            None,
            frozen.metric_type(),
        )?)?;
        let lists = monitor.lists();
        let now = unix_now();
        for version in &lists.versions {
            let age = ConstGauge::new((now - version.imported_at).max(0));
            let labels = [("list", version.source.clone())];
            let mut metric = encoder.encode_descriptor(
                "anchor_aml_list_age_seconds",
                "Seconds since the active version of each list was imported",
                None,
                age.metric_type(),
            )?;
            age.encode(metric.encode_family(&labels)?)?;
            let entities = ConstGauge::new(version.entity_count);
            let mut metric = encoder.encode_descriptor(
                "anchor_aml_list_entities",
                "Entities in the active version of each list",
                None,
                entities.metric_type(),
            )?;
            entities.encode(metric.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

impl AmlMonitor {
    /// Registers the monitor's series with the app's metrics (once; later calls are no-ops).
    pub fn register_metrics(&self, metrics: &Metrics) {
        let series = &self.inner.series;
        let registrations = [
            metrics.register(
                "anchor_aml_screenings",
                "Subjects screened on arrival or change",
                series.screenings.clone(),
            ),
            metrics.register(
                "anchor_aml_screening_duration_seconds",
                "Time to record and screen one subject on arrival, database included",
                series.screening_seconds.clone(),
            ),
            metrics.register(
                "anchor_aml_scans_completed",
                "Scans completed by this instance",
                series.scans_completed.clone(),
            ),
            metrics.register(
                "anchor_aml_scans_failed",
                "Scans that stopped with an error",
                series.scans_failed.clone(),
            ),
            metrics.register(
                "anchor_aml_scanned_subjects",
                "Subjects screened by scans",
                series.scanned_subjects.clone(),
            ),
            metrics.register("anchor_aml_hits", "Subjects with hits found by scans", series.hits.clone()),
            metrics.register(
                "anchor_aml_enforcement_refusals",
                "SEP requests refused because the account is frozen",
                series.refusals.clone(),
            ),
            metrics
                .register_collector("anchor_aml_state", Box::new(MonitorState(Arc::downgrade(&self.inner)))),
        ];
        for result in registrations {
            match result {
                Ok(()) | Err(MetricsError::AlreadyRegistered(_)) => {}
                Err(err) => tracing::error!(error = %err, "AML metrics could not be registered"),
            }
        }
    }
}
