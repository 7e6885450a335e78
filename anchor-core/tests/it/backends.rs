//! Every test that calls `testing::test_databases` runs on SQLite and on each database server
//! the build and the environment offer, and says `SKIPPED` for the others in output that cargo
//! hides. These two tests make a missing server visible in cargo's own summary: a plain
//! `cargo test` counts them as ignored, and `--include-ignored` (as `.ci/run` runs) fails them
//! unless the backend is compiled in and its administrative URL is set, so CI cannot pass with
//! the PostgreSQL or MySQL half of the suite silently left out.

use anchor_core::testing;

/// What keeps the backend tests of `feature` from running: the feature not compiled in, or
/// `variable` unset.
fn missing(feature_on: bool, feature: &str, variable: &str) -> Vec<String> {
    let mut missing = Vec::new();
    if !feature_on {
        missing.push(format!("the `{feature}` feature is not compiled in (build with --all-features)"));
    }
    if std::env::var_os(variable).is_none() {
        missing.push(format!("{variable} is not set (an administrative URL; see README)"));
    }
    missing
}

#[test]
#[ignore = "needs PostgreSQL: --features postgres and ANCHOR_TEST_POSTGRES_URL; run with --include-ignored"]
fn postgresql_is_configured_for_the_database_tests() {
    let missing = missing(cfg!(feature = "postgres"), "postgres", "ANCHOR_TEST_POSTGRES_URL");
    testing::require_prerequisites("the PostgreSQL half of the database tests", &missing);
    let backends: Vec<&str> = testing::test_databases().iter().map(|db| db.name).collect();
    assert!(backends.contains(&"postgres"), "{backends:?}");
}

#[test]
#[ignore = "needs MySQL/MariaDB: --features mysql and ANCHOR_TEST_MYSQL_URL; run with --include-ignored"]
fn mysql_is_configured_for_the_database_tests() {
    let missing = missing(cfg!(feature = "mysql"), "mysql", "ANCHOR_TEST_MYSQL_URL");
    testing::require_prerequisites("the MySQL/MariaDB half of the database tests", &missing);
    let backends: Vec<&str> = testing::test_databases().iter().map(|db| db.name).collect();
    assert!(backends.contains(&"mysql"), "{backends:?}");
}
