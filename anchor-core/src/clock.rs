//! The wall clock, read in one place. Protocol logic and the screening engine take `now` as an
//! argument; the edges (routes, background tasks, the CLI) read it here.

/// Seconds since the Unix epoch, now (negative only on a clock set before 1970).
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The UTC date of a Unix time as `YYYY-MM-DD`, as reports, the console and the CLI print it;
/// empty for a time chrono cannot represent.
pub fn utc_date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map(|at| at.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::utc_date;

    #[test]
    fn utc_date_is_the_calendar_day_in_utc() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(1_796_601_599), "2026-12-06");
        assert_eq!(utc_date(1_796_601_600), "2026-12-07");
        assert_eq!(utc_date(i64::MAX), "");
    }
}
