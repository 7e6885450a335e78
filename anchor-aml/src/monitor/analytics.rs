//! Analytics over the monitor's tables and audit trail: what the officer console's overview and
//! analytics pages draw, `GET /admin/aml/analytics` answers, and the weekly compliance report
//! (page, CSV and email) summarises.
//!
//! Everything is computed from the database, so every instance answers the same: the rows of
//! the window are loaded with plain selects (no `SUM`/`AVG`, whose result types differ between
//! SQLite, PostgreSQL and MySQL) and aggregated here. The window is whole UTC days: it starts at
//! midnight `days - 1` days before `now`'s day and ends at `now`. The weekly report's window is
//! the last complete ISO week before `now`: Monday 00:00 UTC to Sunday 24:00 UTC, labelled with
//! that week (`YYYY-Www`).

use std::collections::{BTreeMap, BTreeSet};

use anchor_core::clock::utc_date;
use anchor_core::db::{AnyConnection, DbError};
use serde::Serialize;

use super::{cases, frozen, subjects, AmlMonitor};
use crate::error::{Error, Result};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Seconds in a week.
const WEEK: i64 = 7 * DAY;

/// The audit record kinds the analytics and the weekly report count.
const AUDIT_KINDS: [&str; 7] = [
    "screening",
    "freeze",
    "unfreeze",
    "scan_completed",
    "scan_failed",
    "list_import",
    "list_import_refused",
];

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
    /// Unix seconds: the window's last second, counted in it: now (for the weekly report, the
    /// last second of the week's Sunday).
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

/// One active list version, as the weekly report states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportList {
    /// List code (`ofac-sdn`, `un`, `custom:NAME`, …).
    pub list: String,
    /// The version's row id.
    pub version_id: i64,
    /// SHA-256 of the imported file.
    pub sha256: String,
    /// Publication date stated in the file.
    pub published_on: Option<String>,
    /// Unix seconds of the import.
    pub imported_at: i64,
    /// Entities in the version.
    pub entities: i64,
    /// Whole days since the import, at the report's `generated_at`.
    pub age_days: i64,
}

/// The newest audit record when the report was made: kept outside the database (in the email),
/// it shows later whether records were cut from the end of the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditHead {
    /// The record's position.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
}

/// The weekly compliance report, as a page, a CSV and the weekly email: the last complete ISO
/// week before the report is made, Monday 00:00 UTC to Sunday 24:00 UTC (the analytics' `from`
/// to `to`, both counted in), labelled with that week.
#[derive(Debug, Clone, Serialize)]
pub struct WeeklyReport {
    /// The ISO week reported, `YYYY-Www` (its year is the ISO week-year: 2027-01-01 is in
    /// `2026-W53`).
    pub week: String,
    /// The seven days' analytics, Monday first.
    pub analytics: Analytics,
    /// Unix seconds when the report was made, after the week: the `now` figures (open cases,
    /// frozen accounts) and the lists' ages are as of then.
    pub generated_at: i64,
    /// Subjects screened on arrival in the seven days (audit records `screening`).
    pub arrival_screenings: i64,
    /// Subjects screened by scans in the seven days (committed scan batches).
    pub scan_screenings: i64,
    /// Accounts unfrozen by an officer in the seven days.
    pub unfreezes: i64,
    /// List versions imported in the seven days.
    pub list_imports: i64,
    /// List imports refused (empty, truncated, older, …) in the seven days.
    pub list_imports_refused: i64,
    /// The active list versions.
    pub lists: Vec<ReportList>,
    /// The newest audit record (`None` for an empty trail).
    pub audit_head: Option<AuditHead>,
}

/// The rows of one window, loaded in one go, and the figures of now.
struct WindowRows {
    /// `(recorded_at, kind)` of the audit records of [`AUDIT_KINDS`].
    audit: Vec<(i64, String)>,
    /// `(committed_at, screened)` of scan batches.
    batches: Vec<(i64, i64)>,
    /// `(opened_at, list_source, details_json)` of the cases opened.
    opened: Vec<(i64, String, String)>,
    /// `(opened_at, decided_at)` of the cases decided.
    decided: Vec<(i64, Option<i64>)>,
    subjects: i64,
    open_cases: i64,
    frozen_accounts: i64,
    audit_head: Option<(i64, String)>,
}

fn load_window(conn: &mut AnyConnection, from: i64, to: i64) -> std::result::Result<WindowRows, DbError> {
    use anchor_core::db::schema::aml_audit_log::dsl as log;
    use anchor_core::db::schema::aml_cases::dsl as c;
    use anchor_core::db::schema::aml_scan_batches::dsl as b;
    use anchor_core::db::schema::aml_scans::dsl as sc;
    use diesel::prelude::*;
    // `recorded_at` has no index, but records are appended in time order: start the read at
    // the first record of the window (found on the primary key) instead of reading years of
    // trail. An hour of margin covers instances whose clocks disagree.
    let first_seq = first_seq_at_or_after(conn, from.saturating_sub(3_600))?;
    let audit = match first_seq {
        None => Vec::new(),
        Some(first_seq) => log::aml_audit_log
            .select((log::recorded_at, log::kind))
            .filter(log::seq.ge(first_seq))
            .filter(log::recorded_at.ge(from))
            .filter(log::recorded_at.le(to))
            .filter(log::kind.eq_any(AUDIT_KINDS))
            .load(conn)?,
    };
    // Batches are read through their scans (a few a day; batches are thousands per scan): only
    // scans not finished before the window can have committed a batch in it.
    let scan_ids: Vec<i64> = sc::aml_scans
        .select(sc::id)
        .filter(sc::created_at.le(to))
        .filter(sc::finished_at.is_null().or(sc::finished_at.ge(from)))
        .load(conn)?;
    let mut batches = Vec::new();
    for ids in scan_ids.chunks(500) {
        batches.extend(
            b::aml_scan_batches
                .select((b::committed_at, b::screened))
                .filter(b::scan_id.eq_any(ids))
                .filter(b::committed_at.ge(from))
                .filter(b::committed_at.le(to))
                .load::<(i64, i64)>(conn)?,
        );
    }
    let opened = c::aml_cases
        .select((c::opened_at, c::list_source, c::details_json))
        .filter(c::opened_at.ge(from))
        .filter(c::opened_at.le(to))
        .load(conn)?;
    let decided = c::aml_cases
        .select((c::opened_at, c::decided_at))
        .filter(c::decided_at.ge(from))
        .filter(c::decided_at.le(to))
        .load(conn)?;
    let audit_head =
        log::aml_audit_log.select((log::seq, log::hash)).order(log::seq.desc()).first(conn).optional()?;
    Ok(WindowRows {
        audit,
        batches,
        opened,
        decided,
        subjects: subjects::count_active(conn)?,
        open_cases: cases::count_by_status(conn, cases::CaseStatus::Open)?,
        frozen_accounts: frozen::count(conn)?,
        audit_head,
    })
}

/// The position of the first audit record written at or after `since`, by bisection over the
/// primary key (about 25 point reads for ten million records); `None` when there is none.
/// Assumes `recorded_at` grows with `seq`, which appending gives up to clock differences between
/// instances.
fn first_seq_at_or_after(conn: &mut AnyConnection, since: i64) -> std::result::Result<Option<i64>, DbError> {
    use anchor_core::db::schema::aml_audit_log::dsl as log;
    use diesel::prelude::*;
    // The first record at or after position `seq` (positions can start after a purge).
    let at_or_after =
        |conn: &mut AnyConnection, seq: i64| -> std::result::Result<Option<(i64, i64)>, DbError> {
            Ok(log::aml_audit_log
                .select((log::seq, log::recorded_at))
                .filter(log::seq.ge(seq))
                .order(log::seq.asc())
                .first(conn)
                .optional()?)
        };
    let Some((first, first_at)) = at_or_after(conn, i64::MIN)? else { return Ok(None) };
    if first_at >= since {
        return Ok(Some(first));
    }
    let last: (i64, i64) =
        log::aml_audit_log.select((log::seq, log::recorded_at)).order(log::seq.desc()).first(conn)?;
    if last.1 < since {
        return Ok(None);
    }
    // Invariant: the record at `low` is before `since`; the first record at or after `high`
    // is not.
    let (mut low, mut high) = (first, last.0);
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        match at_or_after(conn, middle)? {
            Some((seq, at)) if at < since => low = seq,
            Some(_) | None => high = middle,
        }
    }
    Ok(at_or_after(conn, high)?.map(|(seq, _)| seq))
}

/// UTC midnight starting the window of `days` days that ends with `now`'s day.
pub(crate) fn window_start(days: u32, now: i64) -> i64 {
    now.div_euclid(DAY).saturating_sub(i64::from(days) - 1).saturating_mul(DAY)
}

/// Monday 00:00 UTC of the ISO week holding `unix`.
pub(crate) fn iso_week_start(unix: i64) -> i64 {
    let day = unix.div_euclid(DAY);
    // 1970-01-01 (day 0) was a Thursday, three days after a Monday.
    let since_monday = (day + 3).rem_euclid(7);
    (day - since_monday).saturating_mul(DAY)
}

/// The week a weekly report made at `now` covers: the last complete ISO week, as its first
/// second (Monday 00:00 UTC) and the first second after it (the next Monday 00:00 UTC).
pub(crate) fn last_complete_iso_week(now: i64) -> (i64, i64) {
    let this_week = iso_week_start(now);
    (this_week.saturating_sub(WEEK), this_week)
}

/// `YYYY-Www`: the ISO week of a unix time.
pub(crate) fn iso_week(unix: i64) -> String {
    use chrono::Datelike as _;
    let week = chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default().iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// Counts sorted most first, then by name.
fn sorted_counts(counts: BTreeMap<String, i64>) -> Vec<NamedCount> {
    let mut counts: Vec<NamedCount> =
        counts.into_iter().map(|(name, count)| NamedCount { name, count }).collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    counts
}

/// The median of `values` (the mean of the middle two, rounded down, for an even count).
fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]).div_euclid(2)
    })
}

/// The distinct programs and countries of a case's matched entry (`details_json` → `entry`, a
/// serialised `SanctionsEntity`). Read as plain JSON, so a case written by an older model still
/// counts; an entry without any is `"unknown"`.
pub(crate) fn programs_and_countries(details_json: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let details: serde_json::Value = serde_json::from_str(details_json).unwrap_or_default();
    let entry = &details["entry"];
    let mut programs = BTreeSet::new();
    for program in entry["programs"].as_array().into_iter().flatten() {
        if let Some(program) = program.as_str().map(str::trim).filter(|p| !p.is_empty()) {
            programs.insert(program.to_string());
        }
    }
    let mut countries = BTreeSet::new();
    let mut add_country = |country: &serde_json::Value| {
        let code = country["iso2"].as_str().map(str::trim).filter(|c| !c.is_empty());
        let name = country["name"].as_str().map(str::trim).filter(|n| !n.is_empty());
        if let Some(code) = code {
            countries.insert(code.to_ascii_uppercase());
        } else if let Some(name) = name {
            countries.insert(name.to_string());
        }
    };
    for link in entry["countries"].as_array().into_iter().flatten() {
        add_country(&link["country"]);
    }
    for address in entry["addresses"].as_array().into_iter().flatten() {
        add_country(&address["country"]);
    }
    if programs.is_empty() {
        programs.insert("unknown".to_string());
    }
    if countries.is_empty() {
        countries.insert("unknown".to_string());
    }
    (programs, countries)
}

/// The analytics of a window from its rows.
fn compute(days: u32, from: i64, to: i64, rows: &WindowRows) -> Analytics {
    let mut daily: Vec<DailyCounts> = (0..i64::from(days))
        .map(|day| DailyCounts { day: utc_date(from.saturating_add(day * DAY)), ..DailyCounts::default() })
        .collect();
    // Rows are filtered to [from, to], and `to` falls in the last day, so the index is in range;
    // `get_mut` keeps a clock oddity from ever panicking.
    let index = |at: i64| usize::try_from(at.saturating_sub(from).div_euclid(DAY)).unwrap_or(usize::MAX);
    for (at, kind) in &rows.audit {
        let Some(day) = daily.get_mut(index(*at)) else { continue };
        match kind.as_str() {
            "screening" => day.screenings += 1,
            "freeze" => day.freezes += 1,
            "scan_completed" => day.scans_completed += 1,
            "scan_failed" => day.scans_failed += 1,
            _ => {}
        }
    }
    for (at, screened) in &rows.batches {
        if let Some(day) = daily.get_mut(index(*at)) {
            day.screenings += screened;
        }
    }
    let mut per_list = BTreeMap::new();
    let mut per_program = BTreeMap::new();
    let mut per_country = BTreeMap::new();
    for (at, list, details) in &rows.opened {
        if let Some(day) = daily.get_mut(index(*at)) {
            day.hits += 1;
        }
        *per_list.entry(list.clone()).or_insert(0) += 1;
        let (programs, countries) = programs_and_countries(details);
        for program in programs {
            *per_program.entry(program).or_insert(0) += 1;
        }
        for country in countries {
            *per_country.entry(country).or_insert(0) += 1;
        }
    }
    let mut durations = Vec::with_capacity(rows.decided.len());
    for (opened_at, decided_at) in &rows.decided {
        let Some(decided_at) = decided_at else { continue };
        if let Some(day) = daily.get_mut(index(*decided_at)) {
            day.decisions += 1;
        }
        durations.push(decided_at.saturating_sub(*opened_at).max(0));
    }
    let hits = rows.opened.len() as i64;
    let sum = |field: fn(&DailyCounts) -> i64| daily.iter().map(field).sum::<i64>();
    Analytics {
        days,
        from,
        to,
        subjects: rows.subjects,
        screenings: sum(|day| day.screenings),
        hits,
        decisions: durations.len() as i64,
        open_cases: rows.open_cases,
        frozen_accounts: rows.frozen_accounts,
        alert_rate_per_1000: if rows.subjects > 0 {
            hits as f64 * 1000.0 / rows.subjects as f64
        } else {
            0.0
        },
        median_decision_seconds: median(durations),
        hits_per_list: sorted_counts(per_list),
        hits_per_program: sorted_counts(per_program),
        hits_per_country: sorted_counts(per_country),
        daily,
    }
}

impl AmlMonitor {
    /// Analytics over the last `days` days (1..=366) ending at `now`. Blocking.
    pub fn analytics(&self, days: u32, now: i64) -> Result<Analytics> {
        let (analytics, _) = self.analytics_and_rows(days, now)?;
        Ok(analytics)
    }

    fn analytics_and_rows(&self, days: u32, now: i64) -> Result<(Analytics, WindowRows)> {
        if !(1..=366).contains(&days) {
            return Err(Error::Invalid(format!("the window must be 1 to 366 days, not {days}")));
        }
        self.window(days, window_start(days, now), now)
    }

    /// The analytics of the `days` whole UTC days from `from` to `to` (both counted in).
    fn window(&self, days: u32, from: i64, to: i64) -> Result<(Analytics, WindowRows)> {
        let rows = self.inner.database.run_blocking(move |conn| load_window(conn, from, to))?;
        Ok((compute(days, from, to, &rows), rows))
    }

    /// The weekly report made at `now`: the last complete ISO week before it, Monday 00:00 UTC to
    /// Sunday 24:00 UTC, labelled with that week. Blocking.
    pub fn weekly_report(&self, now: i64) -> Result<WeeklyReport> {
        let (monday, next_monday) = last_complete_iso_week(now);
        let (analytics, rows) = self.window(7, monday, next_monday.saturating_sub(1))?;
        let count = |kind: &str| rows.audit.iter().filter(|(_, k)| k == kind).count() as i64;
        let lists = self
            .list_versions()
            .into_iter()
            .map(|version| ReportList {
                list: version.source,
                version_id: version.id,
                sha256: version.sha256,
                published_on: version.published_on,
                imported_at: version.imported_at,
                entities: version.entity_count,
                age_days: now.saturating_sub(version.imported_at).div_euclid(DAY).max(0),
            })
            .collect();
        Ok(WeeklyReport {
            week: iso_week(monday),
            generated_at: now,
            arrival_screenings: count("screening"),
            scan_screenings: rows.batches.iter().map(|(_, screened)| screened).sum(),
            unfreezes: count("unfreeze"),
            list_imports: count("list_import"),
            list_imports_refused: count("list_import_refused"),
            lists,
            audit_head: rows.audit_head.map(|(seq, hash)| AuditHead { seq, hash }),
            analytics,
        })
    }
}

/// Guards a spreadsheet cell: a text starting with `=`, `+`, `-`, `@` (or a tab or carriage
/// return) is a formula to Excel and LibreOffice, so it gets a leading `'`. List, program and
/// country names come from outside; numbers are written as they are.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// A duration for people: `45 s`, `12 min`, `3 h 20 min`, `2 d 4 h`.
pub(crate) fn human_duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        0..=59 => format!("{seconds} s"),
        60..=3_599 => format!("{} min", seconds / 60),
        3_600..=86_399 => format!("{} h {} min", seconds / 3_600, seconds % 3_600 / 60),
        _ => format!("{} d {} h", seconds / DAY, seconds % DAY / 3_600),
    }
}

impl WeeklyReport {
    /// The `section,name,value` rows of the report, in order.
    fn rows(&self) -> Vec<(String, String, String)> {
        let a = &self.analytics;
        let mut rows: Vec<(String, String, String)> = Vec::new();
        let mut push = |section: &str, name: &str, value: String| {
            rows.push((section.to_string(), cell(name), value));
        };
        push("report", "week", self.week.clone());
        push("report", "from", a.from.to_string());
        push("report", "to", a.to.to_string());
        push("report", "first_day", a.daily.first().map(|d| d.day.clone()).unwrap_or_default());
        push("report", "last_day", a.daily.last().map(|d| d.day.clone()).unwrap_or_default());
        push("totals", "subjects", a.subjects.to_string());
        push("totals", "screenings", a.screenings.to_string());
        push("totals", "arrival_screenings", self.arrival_screenings.to_string());
        push("totals", "scan_screenings", self.scan_screenings.to_string());
        push("totals", "hits", a.hits.to_string());
        push("totals", "alert_rate_per_1000", format!("{:.2}", a.alert_rate_per_1000));
        push("totals", "decisions", a.decisions.to_string());
        push(
            "totals",
            "median_decision_seconds",
            a.median_decision_seconds.map(|s| s.to_string()).unwrap_or_default(),
        );
        let freezes: i64 = a.daily.iter().map(|d| d.freezes).sum();
        let completed: i64 = a.daily.iter().map(|d| d.scans_completed).sum();
        let failed: i64 = a.daily.iter().map(|d| d.scans_failed).sum();
        push("totals", "freezes", freezes.to_string());
        push("totals", "unfreezes", self.unfreezes.to_string());
        push("totals", "scans_completed", completed.to_string());
        push("totals", "scans_failed", failed.to_string());
        push("totals", "list_imports", self.list_imports.to_string());
        push("totals", "list_imports_refused", self.list_imports_refused.to_string());
        push("now", "open_cases", a.open_cases.to_string());
        push("now", "frozen_accounts", a.frozen_accounts.to_string());
        for day in &a.daily {
            let section = format!("daily:{}", day.day);
            push(&section, "screenings", day.screenings.to_string());
            push(&section, "hits", day.hits.to_string());
            push(&section, "decisions", day.decisions.to_string());
            push(&section, "freezes", day.freezes.to_string());
            push(&section, "scans_completed", day.scans_completed.to_string());
            push(&section, "scans_failed", day.scans_failed.to_string());
        }
        for (section, counts) in [
            ("hits_per_list", &a.hits_per_list),
            ("hits_per_program", &a.hits_per_program),
            ("hits_per_country", &a.hits_per_country),
        ] {
            for count in counts {
                push(section, &count.name, count.count.to_string());
            }
        }
        for list in &self.lists {
            let section = cell(&format!("list:{}", list.list));
            push(&section, "version_id", list.version_id.to_string());
            push(&section, "sha256", list.sha256.clone());
            push(&section, "published_on", list.published_on.clone().unwrap_or_default());
            push(&section, "imported_at", list.imported_at.to_string());
            push(&section, "entities", list.entities.to_string());
            push(&section, "age_days", list.age_days.to_string());
        }
        if let Some(head) = &self.audit_head {
            push("audit", "head_seq", head.seq.to_string());
            push("audit", "head_hash", head.hash.clone());
        }
        rows
    }

    /// The report as CSV (`section,name,value` rows).
    ///
    /// Sections: `report` (week, window), `totals` (the seven days), `now` (open cases, frozen
    /// accounts), `daily:YYYY-MM-DD` (one group per day), `hits_per_list`, `hits_per_program`,
    /// `hits_per_country`, `list:CODE` (each active list version) and `audit` (the head record).
    /// Names that a spreadsheet would read as a formula are prefixed with `'`.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut write = || -> std::result::Result<Vec<u8>, csv::Error> {
            writer.write_record(["section", "name", "value"])?;
            for (section, name, value) in self.rows() {
                writer.write_record([section, name, value])?;
            }
            writer.flush()?;
            Ok(writer.get_ref().clone())
        };
        // Writing to memory fails only on an I/O error, which a `Vec` never has.
        match write() {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(err) => {
                tracing::error!(error = %err, "weekly report CSV could not be written");
                String::new()
            }
        }
    }

    /// The report as plain text, the weekly email's body.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let a = &self.analytics;
        let first = a.daily.first().map(|d| d.day.as_str()).unwrap_or("");
        let last = a.daily.last().map(|d| d.day.as_str()).unwrap_or("");
        let freezes: i64 = a.daily.iter().map(|d| d.freezes).sum();
        let completed: i64 = a.daily.iter().map(|d| d.scans_completed).sum();
        let failed: i64 = a.daily.iter().map(|d| d.scans_failed).sum();
        let mut text = String::new();
        // `write!` to a `String` cannot fail.
        let _ = writeln!(text, "AML weekly report {} ({first} to {last}, UTC)", self.week);
        let _ = writeln!(text);
        let _ = writeln!(text, "Monitored subjects: {}", thousands(a.subjects));
        let _ = writeln!(
            text,
            "Screenings: {} (on arrival {}, by scans {})",
            thousands(a.screenings),
            thousands(self.arrival_screenings),
            thousands(self.scan_screenings)
        );
        let _ = writeln!(
            text,
            "New hits (cases opened): {} ({:.2} per 1,000 subjects)",
            thousands(a.hits),
            a.alert_rate_per_1000
        );
        let median = a
            .median_decision_seconds
            .map(|seconds| format!("median time to decision {}", human_duration(seconds)))
            .unwrap_or_else(|| "no decision to time".to_string());
        let _ = writeln!(text, "Case decisions: {} ({median})", thousands(a.decisions));
        let _ = writeln!(
            text,
            "Accounts frozen: {}, unfrozen: {}",
            thousands(freezes),
            thousands(self.unfreezes)
        );
        let _ = writeln!(text, "Scans completed: {}, failed: {}", thousands(completed), thousands(failed));
        let _ = writeln!(
            text,
            "List imports: {}, refused: {}",
            thousands(self.list_imports),
            thousands(self.list_imports_refused)
        );
        let _ = writeln!(text, "Open cases now: {}", thousands(a.open_cases));
        let _ = writeln!(text, "Frozen accounts now: {}", thousands(a.frozen_accounts));
        for (title, counts) in [
            ("Hits per list", &a.hits_per_list),
            ("Hits per program", &a.hits_per_program),
            ("Hits per country", &a.hits_per_country),
        ] {
            let _ = writeln!(text);
            if counts.is_empty() {
                let _ = writeln!(text, "{title}: none");
                continue;
            }
            let _ = writeln!(text, "{title}:");
            for count in counts {
                let _ = writeln!(text, "  {}: {}", count.name, thousands(count.count));
            }
        }
        let _ = writeln!(text);
        let _ = writeln!(text, "Day         screenings   hits  decisions  freezes  scans  failed");
        for day in &a.daily {
            let _ = writeln!(
                text,
                "{:<10}  {:>10}  {:>5}  {:>9}  {:>7}  {:>5}  {:>6}",
                day.day,
                day.screenings,
                day.hits,
                day.decisions,
                day.freezes,
                day.scans_completed,
                day.scans_failed
            );
        }
        let _ = writeln!(text);
        if self.lists.is_empty() {
            let _ = writeln!(text, "Lists: none loaded; nobody can be screened");
        } else {
            let _ = writeln!(text, "Lists:");
            for list in &self.lists {
                let _ = writeln!(
                    text,
                    "  {}: version {}, published {}, {} entities, imported {} days ago, sha256 {}",
                    list.list,
                    list.version_id,
                    list.published_on.as_deref().unwrap_or("(not stated)"),
                    thousands(list.entities),
                    list.age_days,
                    list.sha256
                );
            }
        }
        let _ = writeln!(text);
        match &self.audit_head {
            Some(head) => {
                let _ = writeln!(text, "Audit trail head: record {}, hash {}", head.seq, head.hash);
                let _ = writeln!(
                    text,
                    "Keep this email: `audit verify` must still show this record with this hash."
                );
            }
            None => {
                let _ = writeln!(text, "Audit trail: empty");
            }
        }
        text
    }
}

/// A count as the weekly report and the console write it: `1234567` → `1,234,567`.
pub fn thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests;
