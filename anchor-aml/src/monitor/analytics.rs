//! Analytics over the monitor's tables and audit trail: what the officer console's overview and
//! analytics pages draw, `GET /admin/aml/analytics` answers, and the weekly compliance report
//! (page, CSV and email) summarises.
//!
//! STUB: filled in by the analytics work; the types are the contract the console codes against.

use serde::Serialize;

use super::AmlMonitor;
use crate::error::Result;

/// A name and how many times it occurs (a list, a program, a country).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedCount {
    /// The list code, program name or ISO country code (`"unknown"` when the entry has none).
    pub name: String,
    /// How many.
    pub count: i64,
}

/// One UTC day of activity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DailyCounts {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Subjects screened that day: on arrival plus by scans.
    pub screenings: i64,
    /// New hits (cases opened).
    pub hits: i64,
    /// Cases decided (cleared or confirmed).
    pub decisions: i64,
    /// Accounts frozen.
    pub freezes: i64,
    /// Scans completed.
    pub scans_completed: i64,
    /// Scans failed.
    pub scans_failed: i64,
}

/// Analytics over the last `days` days.
#[derive(Debug, Clone, Serialize)]
pub struct Analytics {
    /// The window in days (7, 30 or 90).
    pub days: u32,
    /// Unix seconds: start of the first day of the window (UTC midnight).
    pub from: i64,
    /// Unix seconds: now.
    pub to: i64,
    /// Monitored subjects now (not erased).
    pub subjects: i64,
    /// Screenings in the window (arrival and scans).
    pub screenings: i64,
    /// Cases opened in the window.
    pub hits: i64,
    /// Cases decided in the window.
    pub decisions: i64,
    /// Open cases now.
    pub open_cases: i64,
    /// Frozen accounts now.
    pub frozen_accounts: i64,
    /// Cases opened in the window per 1,000 monitored subjects.
    pub alert_rate_per_1000: f64,
    /// Median seconds from opening to decision of the cases decided in the window.
    pub median_decision_seconds: Option<i64>,
    /// Cases opened in the window per list, most first.
    pub hits_per_list: Vec<NamedCount>,
    /// … per sanctions program of the matched entry, most first.
    pub hits_per_program: Vec<NamedCount>,
    /// … per country of the matched entry (ISO code), most first.
    pub hits_per_country: Vec<NamedCount>,
    /// One row per day of the window, oldest first, every day present.
    pub daily: Vec<DailyCounts>,
}

/// The weekly compliance report: the ISO week before `now`'s (or the current one), as a page, a
/// CSV and the weekly email.
#[derive(Debug, Clone, Serialize)]
pub struct WeeklyReport {
    /// `YYYY-Www`.
    pub week: String,
    /// The seven days' analytics.
    pub analytics: Analytics,
}

impl WeeklyReport {
    /// The report as CSV (`section,name,value` rows).
    pub fn to_csv(&self) -> String {
        String::new()
    }

    /// The report as plain text, the weekly email's body.
    pub fn to_text(&self) -> String {
        String::new()
    }
}

impl AmlMonitor {
    /// Analytics over the last `days` days (1..=366) ending at `now`. Blocking.
    pub fn analytics(&self, days: u32, now: i64) -> Result<Analytics> {
        let stats = self.stats()?;
        Ok(Analytics {
            days,
            from: now - i64::from(days) * 86_400,
            to: now,
            subjects: stats.subjects,
            screenings: 0,
            hits: 0,
            decisions: 0,
            open_cases: stats.cases_open,
            frozen_accounts: stats.frozen_accounts,
            alert_rate_per_1000: 0.0,
            median_decision_seconds: None,
            hits_per_list: Vec::new(),
            hits_per_program: Vec::new(),
            hits_per_country: Vec::new(),
            daily: Vec::new(),
        })
    }

    /// The weekly report for the seven days ending at `now`. Blocking.
    pub fn weekly_report(&self, now: i64) -> Result<WeeklyReport> {
        Ok(WeeklyReport { week: String::new(), analytics: self.analytics(7, now)? })
    }
}
