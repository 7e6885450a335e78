//! The embedded migrations on every backend: they apply once and re-run as a no-op, the framework
//! tables take rows (and refuse a reused challenge), and `/health` reports the database.

use anchor_core::testing::test_databases;

#[test]
fn migrations_apply_and_rerun_on_every_backend() {
    for test_db in test_databases() {
        let database = anchor_core::Database::connect(test_db.url()).unwrap();
        assert!(
            !database.is_migrated().unwrap(),
            "{}: a fresh database has pending migrations",
            test_db.name
        );
        let applied = database.migrate(&Default::default()).unwrap();
        assert!(!applied.is_empty(), "{}: nothing applied", test_db.name);
        assert!(database.is_migrated().unwrap(), "{}", test_db.name);
        let again = database.migrate(&Default::default()).unwrap();
        assert!(again.is_empty(), "{}: re-running applied {again:?}", test_db.name);
        eprintln!("migrations ok on {}", test_db.name);
    }
}

#[test]
fn the_framework_tables_accept_rows_on_every_backend() {
    use anchor_core::db::schema::sep10_used_challenges::dsl as used;
    use diesel::prelude::*;

    for test_db in test_databases() {
        let database = test_db.database();
        let count = database
            .run_blocking(|conn| {
                diesel::insert_into(used::sep10_used_challenges)
                    .values((used::challenge_hash.eq("ab".repeat(32)), used::expires_at.eq(1_i64)))
                    .execute(conn)?;
                // The primary key refuses a second use of the same challenge.
                let duplicate = diesel::insert_into(used::sep10_used_challenges)
                    .values((used::challenge_hash.eq("ab".repeat(32)), used::expires_at.eq(2_i64)))
                    .execute(conn);
                assert!(duplicate.is_err(), "{}: duplicate accepted", test_db.name);
                Ok(used::sep10_used_challenges.count().get_result::<i64>(conn)?)
            })
            .unwrap();
        assert_eq!(count, 1, "{}", test_db.name);
    }
}

#[actix_web::test]
async fn health_reports_the_database() {
    for test_db in test_databases() {
        let url = test_db.url_string();
        let server = super::support::serve(&[("DATABASE_URL", &url)]);
        let response = reqwest::get(server.url("/health")).await.unwrap();
        assert_eq!(response.status(), 200, "{}", test_db.name);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["database"], "ok");
        assert_eq!(body["backend"], test_db.name);
    }
}
