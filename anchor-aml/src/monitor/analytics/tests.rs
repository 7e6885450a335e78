//! Analytics and the weekly report, on seeded monitors: the window is 1 to 366 whole UTC days,
//! per-day counts come from the audit trail, scan batches and cases, hits are counted per list,
//! program and country, the alert rate and median decision time are exact, the weekly CSV is
//! complete and safe to open in a spreadsheet, the weekly email carries the report, and the figures
//! are the same on every backend.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use anchor_core::integrations::sanctions::ScreeningSubject as Party;
use anchor_core::testing::{settings, sqlite_database, test_databases, TestDatabase};
use anchor_core::{Database, Sensitive};
use diesel::prelude::*;

use super::*;
use crate::monitor::{CaseDecision, CaseFilter, MonitorConfig};
use crate::notify::{Notifier, NotifierConfig};
use crate::ListStore;
use anchor_screening::{parse_custom_csv, ImportPolicy, ListVersion, LoadedList};

/// 2030-01-10 12:00 UTC, a Thursday of ISO week 2030-W02: far from the real clock, so the
/// records the monitor writes at the real time fall outside every window below until a test
/// moves them in.
const NOW: i64 = 1_894_276_800;

/// The window of 7 days ending at [`NOW`]: 2030-01-04 00:00 UTC.
const D0: i64 = 1_893_715_200;

/// Monday 2030-01-07 00:00 UTC, the first second of ISO week 2030-W02 (which holds [`NOW`]).
const WEEK0: i64 = 1_893_974_400;

/// Seconds in a week.
const WEEK: i64 = 7 * DAY;

/// 2030-01-16 12:00 UTC, a Wednesday of 2030-W03: the weekly report made then covers 2030-W02,
/// the last complete ISO week, [`WEEK0`] to `WEEK0 + WEEK`.
const REPORT_NOW: i64 = WEEK0 + WEEK + 2 * DAY + 12 * 3_600;

/// Unix seconds of a UTC date and time.
fn utc(year: i32, month: u32, day: u32, hour: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|date| date.and_hms_opt(hour, 0, 0))
        .unwrap()
        .and_utc()
        .timestamp()
}

fn account(byte: u8) -> String {
    stellar_strkey::ed25519::PublicKey([byte; 32]).to_string().as_str().to_owned()
}

fn import(database: &Database, name: &str, csv: &str) {
    let list = parse_custom_csv(csv.as_bytes(), name).unwrap();
    let version = ListVersion::of(&list, &[csv.as_bytes()]);
    ListStore::new(database.clone())
        .import(&LoadedList { list, version }, &ImportPolicy::default(), 1_000)
        .unwrap();
}

fn notifier(database: &Database) -> Notifier {
    let config = NotifierConfig {
        webhook_url: Some("https://hooks.example/services/aml".into()),
        webhook_secret: Some(Sensitive::new("webhook-secret-value-0123456789".into())),
        ..NotifierConfig::default()
    };
    Notifier::new(database.clone(), config).unwrap()
}

/// Two lists, four customers, three real cases (one per list entry), one cleared and one
/// confirmed, and a completed manual scan.
struct Seeded {
    _test_db: TestDatabase,
    database: Database,
    monitor: AmlMonitor,
}

fn seeded(with_notifier: bool) -> Seeded {
    seeded_on(sqlite_database(), with_notifier)
}

fn seeded_on(test_db: TestDatabase, with_notifier: bool) -> Seeded {
    let database = test_db.database();
    import(
        &database,
        "officer_list",
        "id,name,kind,program,country\n\
         p1,Ivan Petrovich Sidorov,person,RUSSIA-EO14024,RU\n\
         p2,Maria Gonzalez Ruiz,person,SDGT,Venezuela\n",
    );
    import(&database, "partner_list", "id,name,kind\nq1,Olga Ivanovna Petrova,person\n");
    let config = MonitorConfig::from_settings(&settings(&[]).aml);
    let notifier = with_notifier.then(|| notifier(&database));
    let monitor = AmlMonitor::open(database.clone(), config, notifier).unwrap();
    for (n, name) in
        ["Ivan Petrovich Sidorov", "Maria Gonzalez Ruiz", "Olga Ivanovna Petrova", "Alice Example"]
            .into_iter()
            .enumerate()
    {
        let mut party = Party::named(name);
        party.stellar_accounts.push(account(n as u8 + 1));
        monitor.record(&format!("sep12:c{n}"), &party, "sep12_customer").unwrap();
    }
    let cases = monitor.cases(&CaseFilter::default()).unwrap();
    assert_eq!(cases.len(), 3, "{cases:?}");
    let case = |entry: &str| cases.iter().find(|case| case.entry_id == entry).unwrap().id;
    monitor
        .decide_case(case("p2"), &CaseDecision::Clear { allow_until: None }, "olga", "other person")
        .unwrap();
    monitor.decide_case(case("p1"), &CaseDecision::Confirm, "olga", "same passport").unwrap();
    monitor.request_scan("test").unwrap();
    monitor.run_due_scans(&mut |_| {}).unwrap();
    Seeded { _test_db: test_db, database, monitor }
}

/// Moves every record of the seed into the seven days starting at `d0`, keeping the trail in
/// time order as appending does (the list imports stay at 1,000): arrival screenings and freezes
/// on day 1, the cases opened on day 1 and decided 10 and 30 minutes later, the scan on day 3, a
/// failed scan on day 5; and two records just outside: a screening the second before `d0` and a
/// failed scan at `after` (the first second past the window). Returns the number of freeze
/// records.
fn move_into_the_window(database: &Database, d0: i64, after: i64) -> i64 {
    let at = |day: i64, seconds: i64| d0 + day * DAY + seconds;
    use anchor_core::db::schema::aml_audit_log::dsl as log;
    use anchor_core::db::schema::aml_cases::dsl as c;
    use anchor_core::db::schema::aml_scan_batches::dsl as b;
    use anchor_core::db::schema::aml_scans::dsl as sc;
    database
        .run_blocking(|conn| {
            diesel::update(log::aml_audit_log.filter(log::kind.ne("list_import")))
                .set(log::recorded_at.eq(at(1, 0)))
                .execute(conn)?;
            for (kind, when) in [
                ("screening", at(1, 100)),
                ("scan_started", at(3, 300)),
                ("freeze", at(1, 200)),
                ("scan_completed", at(3, 500)),
                ("screening_batch", at(3, 400)),
            ] {
                diesel::update(log::aml_audit_log.filter(log::kind.eq(kind)))
                    .set(log::recorded_at.eq(when))
                    .execute(conn)?;
            }
            diesel::update(b::aml_scan_batches).set(b::committed_at.eq(at(3, 400))).execute(conn)?;
            diesel::update(sc::aml_scans)
                .set((
                    sc::created_at.eq(at(3, 300)),
                    sc::started_at.eq(Some(at(3, 300))),
                    sc::finished_at.eq(Some(at(3, 500))),
                ))
                .execute(conn)?;
            diesel::update(c::aml_cases).set(c::opened_at.eq(at(1, 100))).execute(conn)?;
            diesel::update(c::aml_cases.filter(c::status.eq("cleared")))
                .set(c::decided_at.eq(Some(at(1, 700))))
                .execute(conn)?;
            diesel::update(c::aml_cases.filter(c::status.eq("confirmed")))
                .set(c::decided_at.eq(Some(at(1, 1_900))))
                .execute(conn)?;
            let freezes: i64 = log::aml_audit_log.filter(log::kind.eq("freeze")).count().get_result(conn)?;
            // Outside the window: the day before it, and after `now`.
            crate::audit::append_in(conn, "screening", "{}", d0 - 1)?;
            crate::audit::append_in(conn, "scan_failed", "{}", at(5, 0))?;
            crate::audit::append_in(conn, "scan_failed", "{}", after)?;
            Ok(freezes)
        })
        .unwrap()
}

fn named(pairs: &[(&str, i64)]) -> Vec<NamedCount> {
    pairs.iter().map(|(name, count)| NamedCount { name: name.to_string(), count: *count }).collect()
}

#[test]
fn the_window_is_whole_utc_days_ending_today() {
    assert_eq!(window_start(7, NOW), D0);
    assert_eq!(window_start(1, NOW), NOW - 12 * 3_600);
    assert_eq!(window_start(1, D0), D0);
    assert_eq!(iso_week(NOW), "2030-W02");
    assert_eq!(utc_date(D0), "2030-01-04");
}

#[test]
fn iso_weeks_are_labelled_by_their_thursday_year_including_53_week_years() {
    let label_of_day = |year, month, day| iso_week(utc(year, month, day, 12));
    // 2026-12-01 to 12-06 are in W49; Monday 12-07 starts W50.
    for day in 1..=6 {
        assert_eq!(label_of_day(2026, 12, day), "2026-W49", "2026-12-{day:02}");
    }
    assert_eq!(label_of_day(2026, 12, 7), "2026-W50");
    // 2026 has 53 weeks: W53 is 2026-12-28 to 2027-01-03, so 2027-01-01 is in 2026-W53.
    for (year, month, day) in [(2026, 12, 28), (2026, 12, 31), (2027, 1, 1), (2027, 1, 3)] {
        assert_eq!(label_of_day(year, month, day), "2026-W53", "{year}-{month}-{day}");
    }
    assert_eq!(label_of_day(2027, 1, 4), "2027-W01");
    // 2020 has 53 weeks too: 2020-12-28 to 2021-01-03.
    for (year, month, day) in [(2020, 12, 28), (2021, 1, 1), (2021, 1, 3)] {
        assert_eq!(label_of_day(year, month, day), "2020-W53", "{year}-{month}-{day}");
    }
    assert_eq!(label_of_day(2021, 1, 4), "2021-W01");
    // And a year whose first days belong to its own W01: 2030-01-01 is a Tuesday.
    assert_eq!(label_of_day(2029, 12, 31), "2030-W01");
    // The first and last second of a week.
    assert_eq!(iso_week(utc(2026, 12, 28, 0)), "2026-W53");
    assert_eq!(iso_week(utc(2027, 1, 4, 0) - 1), "2026-W53");
}

#[test]
fn a_week_starts_on_monday_at_midnight_utc() {
    assert_eq!(iso_week_start(NOW), WEEK0);
    assert_eq!(iso_week_start(WEEK0), WEEK0);
    assert_eq!(iso_week_start(WEEK0 - 1), WEEK0 - WEEK);
    assert_eq!(iso_week_start(WEEK0 + WEEK - 1), WEEK0);
    assert_eq!(iso_week_start(utc(2027, 1, 1, 12)), utc(2026, 12, 28, 0));
    assert_eq!(iso_week_start(utc(2026, 12, 7, 0)), utc(2026, 12, 7, 0));
    assert_eq!(iso_week_start(0), -3 * DAY, "1970-01-01 was a Thursday");
    // Absurd clocks give a week, not an overflow.
    for now in [i64::MIN, i64::MAX] {
        let (start, end) = last_complete_iso_week(now);
        assert!(start <= end, "{now}");
    }
}

#[test]
fn the_report_covers_the_last_complete_iso_week_before_now() {
    // (now, the first day of the week reported, its label).
    for (now, monday, label) in [
        // Made on Monday 2026-12-07 (the first day of W50): W49, 2026-11-30 to 12-06, not
        // 12-01 to 12-07 labelled W50.
        (utc(2026, 12, 7, 9), utc(2026, 11, 30, 0), "2026-W49"),
        // Any day of W50 reports W49; the last second of W50 too.
        (utc(2026, 12, 10, 12), utc(2026, 11, 30, 0), "2026-W49"),
        (utc(2026, 12, 14, 0) - 1, utc(2026, 11, 30, 0), "2026-W49"),
        // The first second of W51 reports W50.
        (utc(2026, 12, 14, 0), utc(2026, 12, 7, 0), "2026-W50"),
        // 2027-01-01 is in 2026-W53, so a report made then covers W52.
        (utc(2027, 1, 1, 12), utc(2026, 12, 21, 0), "2026-W52"),
        // In 2027-W01: 2026-W53, 2026-12-28 to 2027-01-03.
        (utc(2027, 1, 4, 6), utc(2026, 12, 28, 0), "2026-W53"),
        (utc(2021, 1, 6, 6), utc(2020, 12, 28, 0), "2020-W53"),
        (REPORT_NOW, WEEK0, "2030-W02"),
    ] {
        let (start, end) = last_complete_iso_week(now);
        assert_eq!((start, end), (monday, monday + WEEK), "{}", utc_date(now));
        assert_eq!(iso_week(start), label, "{}", utc_date(now));
        assert_eq!(iso_week(end - 1), label, "the week's last second is in it too");
        assert!(end <= now, "the week is complete");
    }
}

#[test]
fn per_day_counts_come_from_the_audit_trail_the_scan_batches_and_the_cases() {
    let seed = seeded(false);
    let freezes = move_into_the_window(&seed.database, D0, NOW + 1);
    assert!(freezes >= 1, "the matches froze accounts");
    let analytics = seed.monitor.analytics(7, NOW).unwrap();
    assert_eq!((analytics.days, analytics.from, analytics.to), (7, D0, NOW));
    let days: Vec<&str> = analytics.daily.iter().map(|day| day.day.as_str()).collect();
    assert_eq!(
        days,
        ["2030-01-04", "2030-01-05", "2030-01-06", "2030-01-07", "2030-01-08", "2030-01-09", "2030-01-10"]
    );
    let day1 = &analytics.daily[1];
    assert_eq!(
        *day1,
        DailyCounts {
            day: "2030-01-05".into(),
            screenings: 4,
            hits: 3,
            decisions: 2,
            freezes,
            scans_completed: 0,
            scans_failed: 0
        }
    );
    let day3 = &analytics.daily[3];
    assert_eq!((day3.screenings, day3.scans_completed), (4, 1), "the scan's batches screened everyone");
    assert_eq!(analytics.daily[5].scans_failed, 1);
    for quiet in [0, 2, 4, 6] {
        assert_eq!(analytics.daily[quiet], DailyCounts { day: days[quiet].into(), ..DailyCounts::default() });
    }
    assert_eq!((analytics.screenings, analytics.hits, analytics.decisions), (8, 3, 2));
    assert_eq!((analytics.subjects, analytics.open_cases), (4, 1));
    assert_eq!(analytics.frozen_accounts, seed.monitor.stats().unwrap().frozen_accounts);
}

#[test]
fn hits_are_counted_per_list_program_and_country_from_real_cases() {
    let seed = seeded(false);
    move_into_the_window(&seed.database, D0, NOW + 1);
    let analytics = seed.monitor.analytics(30, NOW).unwrap();
    assert_eq!(analytics.hits_per_list, named(&[("custom:officer_list", 2), ("custom:partner_list", 1)]));
    assert_eq!(analytics.hits_per_program, named(&[("RUSSIA-EO14024", 1), ("SDGT", 1), ("unknown", 1)]));
    assert_eq!(analytics.hits_per_country, named(&[("RU", 1), ("VE", 1), ("unknown", 1)]));
}

#[test]
fn the_alert_rate_is_per_thousand_subjects_and_the_median_decision_time_is_exact() {
    let seed = seeded(false);
    move_into_the_window(&seed.database, D0, NOW + 1);
    let analytics = seed.monitor.analytics(7, NOW).unwrap();
    // 3 cases opened over 4 monitored subjects.
    assert_eq!(analytics.alert_rate_per_1000, 750.0);
    // Decided 600 s and 1,800 s after opening: the median of two is their mean.
    assert_eq!(analytics.median_decision_seconds, Some(1_200));
    assert_eq!(median(vec![5, 1, 3]), Some(3));
    assert_eq!(median(Vec::new()), None);
}

#[test]
fn an_empty_monitor_has_zeros_on_every_day_and_no_rate() {
    let test_db = sqlite_database();
    let config = MonitorConfig::from_settings(&settings(&[]).aml);
    let monitor = AmlMonitor::open(test_db.database(), config, None).unwrap();
    let analytics = monitor.analytics(90, NOW).unwrap();
    assert_eq!(analytics.daily.len(), 90);
    assert!(analytics.daily.iter().all(|day| day.screenings == 0 && day.hits == 0));
    assert_eq!(analytics.alert_rate_per_1000, 0.0);
    assert_eq!(analytics.median_decision_seconds, None);
    assert!(analytics.hits_per_list.is_empty() && analytics.hits_per_country.is_empty());
    let report = monitor.weekly_report(NOW).unwrap();
    assert!(report.to_text().contains("Lists: none loaded"));
    assert!(report.to_csv().starts_with("section,name,value\n"));
}

#[test]
fn the_window_must_be_one_to_366_days() {
    let test_db = sqlite_database();
    let config = MonitorConfig::from_settings(&settings(&[]).aml);
    let monitor = AmlMonitor::open(test_db.database(), config, None).unwrap();
    // Absurd clocks give a window, not an overflow.
    for now in [i64::MIN, i64::MAX] {
        assert_eq!(monitor.analytics(7, now).unwrap().daily.len(), 7);
    }
    for days in [0, 367, u32::MAX] {
        assert!(matches!(monitor.analytics(days, NOW), Err(Error::Invalid(_))), "{days}");
    }
    for days in [1, 7, 30, 90, 366] {
        let analytics = monitor.analytics(days, NOW).unwrap();
        assert_eq!(analytics.daily.len(), days as usize);
        assert_eq!(analytics.from, window_start(days, NOW));
        assert_eq!(analytics.daily.last().unwrap().day, "2030-01-10");
    }
}

#[test]
fn programs_and_countries_are_distinct_per_case_and_unknown_when_absent() {
    use anchor_screening::{CountryRole, EntityKind, PostalAddress, SanctionsEntity, SourceList};
    let mut entity = SanctionsEntity::new(SourceList::OfacSdn, "1", EntityKind::Person, "A");
    entity.push_program("SDGT");
    entity.push_program("IRAN");
    entity.push_program("SDGT");
    entity.push_country("Iran", CountryRole::Nationality);
    entity.push_country("IR", CountryRole::Birth);
    entity.push_country("Atlantis", CountryRole::Location);
    entity.addresses.push(PostalAddress {
        country: Some(anchor_screening::Country::from_text("Syria")),
        ..PostalAddress::default()
    });
    let details = serde_json::json!({ "entry": entity }).to_string();
    let (programs, countries) = programs_and_countries(&details);
    assert_eq!(programs.into_iter().collect::<Vec<_>>(), ["IRAN", "SDGT"]);
    assert_eq!(countries.into_iter().collect::<Vec<_>>(), ["Atlantis", "IR", "SY"]);
    for details in [r#"{"entry": null}"#, "{}", "not json"] {
        let (programs, countries) = programs_and_countries(details);
        assert_eq!(programs.into_iter().collect::<Vec<_>>(), ["unknown"], "{details}");
        assert_eq!(countries.into_iter().collect::<Vec<_>>(), ["unknown"], "{details}");
    }
}

#[test]
fn the_weekly_report_counts_from_monday_0000_to_sunday_2400_utc_of_the_last_complete_iso_week() {
    let test_db = sqlite_database();
    let database = test_db.database();
    let config = MonitorConfig::from_settings(&settings(&[]).aml);
    let monitor = AmlMonitor::open(database.clone(), config, None).unwrap();
    database
        .run_blocking(|conn| {
            // In time order, as appending writes them: the last second before the week, its
            // first and last seconds, the first second after it, and one at the report's time.
            for at in [WEEK0 - 1, WEEK0, WEEK0 + WEEK - 1, WEEK0 + WEEK, REPORT_NOW] {
                crate::audit::append_in(conn, "screening", "{}", at)?;
            }
            Ok(())
        })
        .unwrap();
    let report = monitor.weekly_report(REPORT_NOW).unwrap();
    assert_eq!(report.week, "2030-W02");
    assert_eq!((report.analytics.from, report.analytics.to), (WEEK0, WEEK0 + WEEK - 1));
    assert_eq!(report.generated_at, REPORT_NOW);
    let days: Vec<&str> = report.analytics.daily.iter().map(|day| day.day.as_str()).collect();
    assert_eq!(
        days,
        ["2030-01-07", "2030-01-08", "2030-01-09", "2030-01-10", "2030-01-11", "2030-01-12", "2030-01-13"]
    );
    assert_eq!(report.arrival_screenings, 2, "only the week's first and last seconds");
    assert_eq!((report.analytics.daily[0].screenings, report.analytics.daily[6].screenings), (1, 1));
    assert!(report.to_text().starts_with("AML weekly report 2030-W02 (2030-01-07 to 2030-01-13, UTC)"));
    // The summary's dedupe key names the same week as the report's label.
    assert_eq!(
        crate::notify::weekly_summary_key(report.analytics.from),
        format!("weekly-summary:{}", report.week)
    );
}

fn csv_rows(csv: &str) -> Vec<(String, String, String)> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["section", "name", "value"]);
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            (record[0].to_string(), record[1].to_string(), record[2].to_string())
        })
        .collect()
}

#[test]
fn the_weekly_csv_has_a_row_per_figure_day_list_and_count() {
    let seed = seeded(false);
    let freezes = move_into_the_window(&seed.database, WEEK0, WEEK0 + WEEK);
    let report = seed.monitor.weekly_report(REPORT_NOW).unwrap();
    assert_eq!(report.week, "2030-W02");
    assert_eq!((report.arrival_screenings, report.scan_screenings), (4, 4));
    assert_eq!(report.list_imports, 0, "imported long before the week");
    assert_eq!(report.unfreezes, 1, "clearing Maria's case unfroze her account");
    let rows = csv_rows(&report.to_csv());
    let value = |section: &str, name: &str| {
        rows.iter()
            .find(|row| row.0 == section && row.1 == name)
            .map(|row| row.2.clone())
            .unwrap_or_else(|| panic!("no row {section},{name} in {rows:?}"))
    };
    assert_eq!(value("report", "week"), "2030-W02");
    assert_eq!(value("report", "from"), WEEK0.to_string());
    assert_eq!(value("report", "to"), (WEEK0 + WEEK - 1).to_string());
    assert_eq!(value("report", "first_day"), "2030-01-07");
    assert_eq!(value("report", "last_day"), "2030-01-13");
    assert_eq!(value("totals", "screenings"), "8");
    assert_eq!(value("totals", "arrival_screenings"), "4");
    assert_eq!(value("totals", "hits"), "3");
    assert_eq!(value("totals", "alert_rate_per_1000"), "750.00");
    assert_eq!(value("totals", "decisions"), "2");
    assert_eq!(value("totals", "median_decision_seconds"), "1200");
    assert_eq!(value("totals", "freezes"), freezes.to_string());
    assert_eq!(value("totals", "unfreezes"), "1");
    assert_eq!(value("totals", "list_imports"), "0");
    assert_eq!(value("totals", "scans_completed"), "1");
    assert_eq!(value("totals", "scans_failed"), "1");
    assert_eq!(value("now", "open_cases"), "1");
    assert_eq!(value("daily:2030-01-08", "hits"), "3");
    assert_eq!(value("daily:2030-01-10", "screenings"), "4");
    assert_eq!(value("hits_per_list", "custom:officer_list"), "2");
    assert_eq!(value("hits_per_program", "SDGT"), "1");
    assert_eq!(value("hits_per_country", "unknown"), "1");
    assert_eq!(value("list:custom:partner_list", "entities"), "1");
    assert_eq!(
        value("audit", "head_hash"),
        crate::audit::AuditTrail::new(seed.database.clone()).head().unwrap()
    );
    assert_eq!(rows.iter().filter(|row| row.0.starts_with("daily:")).count(), 7 * 6);
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_neutralised() {
    assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
    assert_eq!(cell("+1"), "'+1");
    assert_eq!(cell("@SUM"), "'@SUM");
    assert_eq!(cell("SDGT"), "SDGT");
    assert_eq!(thousands(1_234_567), "1,234,567");
    assert_eq!(thousands(-1_000), "-1,000");
    assert_eq!(thousands(12), "12");
    assert_eq!(human_duration(1_200), "20 min");
    assert_eq!(human_duration(90_000), "1 d 1 h");
}

#[test]
fn the_weekly_email_is_the_report_text_with_the_report_as_details() {
    use anchor_core::db::schema::aml_notifications::dsl as n;
    let seed = seeded(true);
    let freezes = move_into_the_window(&seed.database, WEEK0, WEEK0 + WEEK);
    seed.monitor.enqueue_weekly_summary_if_due(REPORT_NOW).unwrap();
    seed.monitor.enqueue_weekly_summary_if_due(REPORT_NOW).unwrap();
    // Later in the same week: the same report is due, so nothing more is queued.
    seed.monitor.enqueue_weekly_summary_if_due(REPORT_NOW + 3 * DAY).unwrap();
    let queued: Vec<(String, String, String)> = seed
        .database
        .run_blocking(|conn| {
            Ok(n::aml_notifications
                .select((n::subject, n::body, n::details))
                .filter(n::kind.eq("weekly_summary"))
                .load(conn)?)
        })
        .unwrap();
    assert_eq!(queued.len(), 1, "one webhook notification for the week");
    let (subject, body, details) = &queued[0];
    assert_eq!(subject, "AML weekly summary 2030-W02");
    let report = seed.monitor.weekly_report(REPORT_NOW).unwrap();
    assert_eq!(body, &report.to_text());
    for figure in [
        "AML weekly report 2030-W02 (2030-01-07 to 2030-01-13, UTC)",
        "Monitored subjects: 4",
        "Screenings: 8 (on arrival 4, by scans 4)",
        "New hits (cases opened): 3 (750.00 per 1,000 subjects)",
        "Case decisions: 2 (median time to decision 20 min)",
        &format!("Accounts frozen: {freezes}, unfrozen: 1"),
        "Scans completed: 1, failed: 1",
        "Open cases now: 1",
        "  custom:officer_list: 2",
        "  RUSSIA-EO14024: 1",
        "  VE: 1",
        "2030-01-08           4      3          2",
        "custom:partner_list: version",
    ] {
        assert!(body.contains(figure), "`{figure}` not in:\n{body}");
    }
    let details: serde_json::Value = serde_json::from_str(details).unwrap();
    assert_eq!(details, serde_json::to_value(&report).unwrap());
    assert_eq!(details["analytics"]["hits"], 3);
    assert_eq!(seed.monitor.weekly_summary(REPORT_NOW).unwrap(), details);
}

#[test]
fn the_first_record_of_a_window_is_found_by_bisection() {
    let test_db = sqlite_database();
    let database = test_db.database();
    let first = |since: i64| database.run_blocking(|conn| first_seq_at_or_after(conn, since)).unwrap();
    assert_eq!(first(0), None, "an empty trail");
    database
        .run_blocking(|conn| {
            for when in [100, 200, 200, 300, 400, 400, 400, 500] {
                crate::audit::append_in(conn, "screening", "{}", when)?;
            }
            Ok(())
        })
        .unwrap();
    for (since, seq) in [(0, Some(1)), (100, Some(1)), (101, Some(2)), (200, Some(2)), (201, Some(4))] {
        assert_eq!(first(since), seq, "since {since}");
    }
    for (since, seq) in [(350, Some(5)), (400, Some(5)), (401, Some(8)), (500, Some(8)), (501, None)] {
        assert_eq!(first(since), seq, "since {since}");
    }
    // After a retention purge the positions start higher.
    database
        .run_blocking(|conn| {
            use anchor_core::db::schema::aml_audit_log::dsl as log;
            diesel::delete(log::aml_audit_log.filter(log::seq.le(3))).execute(conn)?;
            Ok(())
        })
        .unwrap();
    assert_eq!(first(0), Some(4));
    assert_eq!(first(400), Some(5));
}

/// The same figures on PostgreSQL and MariaDB/MySQL when they are configured
/// (`--features postgres,mysql` with `ANCHOR_TEST_POSTGRES_URL` / `ANCHOR_TEST_MYSQL_URL`).
#[test]
fn the_figures_are_the_same_on_every_backend() {
    for test_db in test_databases() {
        let name = test_db.name;
        let seed = seeded_on(test_db, false);
        let freezes = move_into_the_window(&seed.database, WEEK0, WEEK0 + WEEK);
        // Seven days ending on the week's last second: the days of the weekly report.
        let analytics = seed.monitor.analytics(7, WEEK0 + WEEK - 1).unwrap();
        assert_eq!((analytics.screenings, analytics.hits, analytics.decisions), (8, 3, 2), "{name}");
        assert_eq!(analytics.daily[1].freezes, freezes, "{name}");
        assert_eq!(analytics.daily[3].screenings, 4, "{name}");
        assert_eq!(analytics.median_decision_seconds, Some(1_200), "{name}");
        assert_eq!(analytics.alert_rate_per_1000, 750.0, "{name}");
        assert_eq!(analytics.hits_per_country, named(&[("RU", 1), ("VE", 1), ("unknown", 1)]), "{name}");
        let report = seed.monitor.weekly_report(REPORT_NOW).unwrap();
        assert_eq!(
            (report.arrival_screenings, report.scan_screenings, report.unfreezes),
            (4, 4, 1),
            "{name}"
        );
        assert_eq!((report.analytics.screenings, report.analytics.hits), (8, 3), "{name}");
    }
}
