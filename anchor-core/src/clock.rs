//! The wall clock, read in one place. Protocol logic and the screening engine take `now` as an
//! argument; the edges (routes, background tasks, the CLI) read it here.

/// Seconds since the Unix epoch, now (negative only on a clock set before 1970).
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}
