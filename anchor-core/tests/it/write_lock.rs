//! `db::lock_for_write` on SQLite: a transaction that reads before it writes, racing a writer
//! that commits in between. Without the lock SQLite refuses the upgrade at once ("database is
//! locked", no waiting); holding it, the transaction waits its turn and both writes commit.

use std::sync::mpsc;

use anchor_core::db::{lock_for_write, AnyConnection, DbError};
use anchor_core::testing;
use diesel::connection::SimpleConnection as _;
use diesel::Connection as _;

fn count(conn: &mut AnyConnection) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::RunQueryDsl::get_result::<Count>(diesel::sql_query("SELECT COUNT(*) AS n FROM ledger"), conn)
        .unwrap()
        .n
}

/// Runs a read-then-write transaction (with or without `lock_for_write` first) while another
/// connection commits a write between its read and its write; answers the transaction's outcome
/// and the rows in the end.
fn race(lock_first: bool) -> (Result<(), DbError>, i64) {
    let test_database = testing::sqlite_database();
    let database = test_database.database();
    database.run_blocking(|conn| Ok(conn.batch_execute("CREATE TABLE ledger (entry TEXT)")?)).unwrap();

    let (read_done, wait_read) = mpsc::channel::<()>();
    let (write_done, wait_write) = mpsc::channel::<()>();
    let other = {
        let database = database.clone();
        std::thread::spawn(move || {
            wait_read.recv().unwrap();
            // Waits (busy_timeout) while the transaction below holds the write lock.
            database
                .run_blocking(|conn| Ok(conn.batch_execute("INSERT INTO ledger VALUES ('other')")?))
                .unwrap();
            write_done.send(()).unwrap();
        })
    };
    let outcome = database.run_blocking(|conn| {
        conn.transaction::<(), DbError, _>(|conn| {
            if lock_first {
                lock_for_write(conn)?;
            }
            let _ = count(conn);
            read_done.send(()).unwrap();
            if !lock_first {
                // The other writer commits between this read and the write below.
                wait_write.recv().unwrap();
            }
            conn.batch_execute("INSERT INTO ledger VALUES ('mine')")?;
            Ok(())
        })
    });
    other.join().unwrap();
    let rows = database.run_blocking(|conn| Ok(count(conn))).unwrap();
    (outcome, rows)
}

#[test]
fn a_read_then_write_transaction_loses_to_a_writer_that_commits_in_between() {
    let (outcome, rows) = race(false);
    let error = outcome.expect_err("SQLite refuses the upgrade after a concurrent commit");
    assert!(error.to_string().contains("locked"), "{error}");
    assert_eq!(rows, 1, "only the other writer's row");
}

#[test]
fn holding_the_write_lock_first_lets_both_writers_commit() {
    let (outcome, rows) = race(true);
    outcome.unwrap();
    assert_eq!(rows, 2);
}
