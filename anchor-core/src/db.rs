//! The database: one connection type over the compiled backends (SQLite by default, PostgreSQL
//! and MySQL/MariaDB behind cargo features), a connection pool, embedded migrations, and
//! [`Database::run`], which runs blocking diesel work on tokio's blocking pool, never on the
//! executor's threads.

use std::time::Duration;

use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseUrl;

pub mod schema;

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!("anchor-core needs at least one database backend feature: sqlite, postgres or mysql");

pub use connection::AnyConnection;

/// The connection enum, in its own module with the helper items diesel's derive generates beside it.
mod connection {
    macro_rules! any_connection {
        ($($variant:ident($connection:ty)),+) => {
            /// A connection to whichever backend `DATABASE_URL` chose. Write queries against it once;
            /// diesel checks them for every compiled backend.
            #[derive(diesel::MultiConnection)]
            pub enum AnyConnection {
                $(
                    #[allow(missing_docs, reason = "one variant per compiled backend, named after it")]
                    $variant($connection),
                )+
            }
        };
    }

    #[cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]
    any_connection!(
        Postgres(diesel::PgConnection),
        Mysql(diesel::MysqlConnection),
        Sqlite(diesel::SqliteConnection)
    );
    #[cfg(all(feature = "sqlite", feature = "postgres", not(feature = "mysql")))]
    any_connection!(Postgres(diesel::PgConnection), Sqlite(diesel::SqliteConnection));
    #[cfg(all(feature = "sqlite", not(feature = "postgres"), feature = "mysql"))]
    any_connection!(Mysql(diesel::MysqlConnection), Sqlite(diesel::SqliteConnection));
    #[cfg(all(feature = "sqlite", not(feature = "postgres"), not(feature = "mysql")))]
    any_connection!(Sqlite(diesel::SqliteConnection));
    #[cfg(all(not(feature = "sqlite"), feature = "postgres", feature = "mysql"))]
    any_connection!(Postgres(diesel::PgConnection), Mysql(diesel::MysqlConnection));
    #[cfg(all(not(feature = "sqlite"), feature = "postgres", not(feature = "mysql")))]
    any_connection!(Postgres(diesel::PgConnection));
    #[cfg(all(not(feature = "sqlite"), not(feature = "postgres"), feature = "mysql"))]
    any_connection!(Mysql(diesel::MysqlConnection));
}

#[cfg(feature = "sqlite")]
static SQLITE_MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
static POSTGRES_MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/postgres");
#[cfg(feature = "mysql")]
static MYSQL_MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/mysql");

/// Migrations of tables an anchor owns (for example example-anchor's customer store), one set per
/// backend, applied by `migrate` after the framework's own. Build each with
/// `diesel_migrations::embed_migrations!` into a `static`; a backend left `None` gets no extra
/// tables.
#[derive(Default, Clone, Copy)]
#[non_exhaustive]
pub struct MigrationSet {
    /// Migrations for SQLite.
    pub sqlite: Option<&'static EmbeddedMigrations>,
    /// Migrations for PostgreSQL.
    pub postgres: Option<&'static EmbeddedMigrations>,
    /// Migrations for MySQL/MariaDB.
    pub mysql: Option<&'static EmbeddedMigrations>,
}

impl MigrationSet {
    /// A set with the given migrations per backend.
    pub fn new(
        sqlite: Option<&'static EmbeddedMigrations>,
        postgres: Option<&'static EmbeddedMigrations>,
        mysql: Option<&'static EmbeddedMigrations>,
    ) -> Self {
        MigrationSet { sqlite, postgres, mysql }
    }
}

/// Database failures. Never shown to HTTP clients: the HTTP layer answers a generic 500 or 503
/// and logs this.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// Could not open a connection or get one from the pool.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// The blocking task running the query panicked or was cancelled.
    #[error("database task did not complete")]
    TaskFailed,
}

/// Opens connections for the pool, choosing the backend from the URL's scheme (never by trial:
/// a mistyped PostgreSQL URL must not silently become an SQLite file).
struct ConnectionFactory {
    url: DatabaseUrl,
}

impl ManageConnection for ConnectionFactory {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match &self.url {
            #[cfg(feature = "sqlite")]
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_string_lossy();
                let mut conn =
                    diesel::SqliteConnection::establish(&path).map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the writer; busy_timeout makes concurrent writers
                // wait instead of failing; foreign keys are off by default in SQLite.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
            #[cfg(feature = "postgres")]
            DatabaseUrl::Postgres(url) => diesel::PgConnection::establish(url.expose())
                .map(AnyConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            #[cfg(feature = "mysql")]
            DatabaseUrl::Mysql(url) => diesel::MysqlConnection::establish(url.expose())
                .map(AnyConnection::Mysql)
                .map_err(r2d2::Error::ConnectionError),
            #[allow(
                unreachable_patterns,
                reason = "unreachable only when all three backends are compiled in"
            )]
            other => Err(r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(format!(
                "this build has no `{}` backend",
                other.backend()
            )))),
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        r2d2::R2D2Connection::is_broken(conn)
    }
}

/// A pool of connections to the anchor's database. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionFactory>,
    backend: &'static str,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Database {
    /// Opens the pool (an SQLite file and its directory are created if missing). Blocking: call
    /// it at start-up, before serving.
    pub fn connect(url: &DatabaseUrl) -> Result<Database, DbError> {
        Database::connect_with_pool_size(url, None)
    }

    /// Opens the pool with at most `pool_size` connections (`DATABASE_POOL_SIZE`); `None` takes
    /// the default: 8 for SQLite (one writer at a time anyway), 20 for PostgreSQL and MySQL,
    /// where concurrent commits share each disk flush.
    pub fn connect_with_pool_size(url: &DatabaseUrl, pool_size: Option<u32>) -> Result<Database, DbError> {
        let default_size = match url {
            DatabaseUrl::Sqlite(_) => 8,
            _ => 20,
        };
        let mut max_size = pool_size.unwrap_or(default_size).max(1);
        if let DatabaseUrl::Sqlite(path) = url {
            let in_memory = path.to_string_lossy().contains(":memory:");
            if in_memory {
                // Every SQLite connection to :memory: is a different database.
                max_size = 1;
            } else if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|err| {
                    DbError::Unavailable(format!("cannot create {}: {err}", parent.display()))
                })?;
            }
        }
        // No `SELECT 1` on every checkout (a round trip per request on a network database): a
        // connection that broke is dropped by `has_broken` when it is returned, and `/health`
        // pings explicitly.
        let pool = Pool::builder()
            .max_size(max_size)
            // Open connections as requests need them, never in the background: many pools share
            // one server's `max_connections` (tests, several instances), and a connection being
            // opened by a pool thread while the process exits can crash the client library.
            .min_idle(Some(0))
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(10))
            .build(ConnectionFactory { url: url.clone() })
            .map_err(|err| DbError::Unavailable(err.to_string()))?;
        Ok(Database { pool, backend: url.backend() })
    }

    /// `sqlite`, `postgres` or `mysql`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// The most connections the pool opens (`DATABASE_POOL_SIZE` or the backend's default).
    pub fn max_connections(&self) -> u32 {
        self.pool.max_size()
    }

    /// Runs blocking diesel work on tokio's blocking pool with a pooled connection.
    pub async fn run<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|err| DbError::Unavailable(err.to_string()))?;
            work(&mut conn)
        })
        .await
        .map_err(|_| DbError::TaskFailed)?
    }

    /// Runs blocking diesel work on the calling thread. For start-up, CLI commands and tests;
    /// request handlers use [`Database::run`].
    pub fn run_blocking<T>(
        &self,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut conn = self.pool.get().map_err(|err| DbError::Unavailable(err.to_string()))?;
        work(&mut conn)
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.run(|conn| conn.batch_execute("SELECT 1").map_err(DbError::from)).await
    }

    /// Creates or upgrades the schema: the framework's tables, then the anchor's `extra` ones.
    /// Safe to run again; returns the names of the migrations it applied.
    pub fn migrate(&self, extra: &MigrationSet) -> Result<Vec<String>, DbError> {
        let extra = *extra;
        self.run_blocking(move |conn| {
            let mut applied = Vec::new();
            let mut apply = |name: String| applied.push(name);
            match conn {
                #[cfg(feature = "sqlite")]
                AnyConnection::Sqlite(conn) => {
                    for set in std::iter::once(&SQLITE_MIGRATIONS).chain(extra.sqlite) {
                        run_set(conn, set)?.into_iter().for_each(&mut apply);
                    }
                }
                #[cfg(feature = "postgres")]
                AnyConnection::Postgres(conn) => {
                    for set in std::iter::once(&POSTGRES_MIGRATIONS).chain(extra.postgres) {
                        run_set(conn, set)?.into_iter().for_each(&mut apply);
                    }
                }
                #[cfg(feature = "mysql")]
                AnyConnection::Mysql(conn) => {
                    for set in std::iter::once(&MYSQL_MIGRATIONS).chain(extra.mysql) {
                        run_set(conn, set)?.into_iter().for_each(&mut apply);
                    }
                }
            }
            Ok(applied)
        })
    }

    /// Whether every framework migration has been applied.
    pub fn is_migrated(&self) -> Result<bool, DbError> {
        self.run_blocking(|conn| {
            let pending = match conn {
                #[cfg(feature = "sqlite")]
                AnyConnection::Sqlite(conn) => pending_count(conn, &SQLITE_MIGRATIONS)?,
                #[cfg(feature = "postgres")]
                AnyConnection::Postgres(conn) => pending_count(conn, &POSTGRES_MIGRATIONS)?,
                #[cfg(feature = "mysql")]
                AnyConnection::Mysql(conn) => pending_count(conn, &MYSQL_MIGRATIONS)?,
            };
            Ok(pending == 0)
        })
    }
}

/// Lends a `static` migration set to diesel, which takes sources by value.
struct Borrowed(&'static EmbeddedMigrations);

impl<DB: diesel::backend::Backend> diesel::migration::MigrationSource<DB> for Borrowed {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<DB>>>> {
        diesel::migration::MigrationSource::<DB>::migrations(self.0)
    }
}

/// Takes the database's write lock now, as the first statement of a write transaction, so the
/// transaction can read before it writes.
///
/// On SQLite a transaction begins as a reader; when it later writes and another connection has
/// committed since its first read, SQLite fails it at once with "database is locked" instead of
/// waiting (`busy_timeout` does not apply to that upgrade). Under steady write load a
/// read-then-write transaction then loses that race again and again. A write as the first
/// statement waits for the lock like any writer (up to `busy_timeout`) and reads a current
/// snapshot once it has it. On PostgreSQL and MySQL this does nothing: row locks and their own
/// conflict errors apply.
///
/// Call it first inside `conn.transaction(|conn| …)`: always, or (cheaper when writers rarely
/// meet) only when running a transaction again after it lost that race.
pub fn lock_for_write(conn: &mut AnyConnection) -> QueryResult<()> {
    #[cfg(feature = "sqlite")]
    if matches!(conn, AnyConnection::Sqlite(_)) {
        // A write that changes nothing: its statement starts a write transaction all the same.
        // The migrations table exists in every migrated database.
        conn.batch_execute("UPDATE __diesel_schema_migrations SET version = version WHERE 0")?;
    }
    #[cfg(not(feature = "sqlite"))]
    let _ = conn;
    Ok(())
}

/// How many times [`transaction_retrying`] runs a transaction before it gives up.
pub const TRANSACTION_ATTEMPTS: u32 = 16;

/// Whether `err` means a transaction lost a race with another writer and may succeed when run
/// again from the start: a unique-key conflict with a concurrent insert, a serialisation failure
/// (PostgreSQL), a deadlock (MySQL), or a lock SQLite would not wait for ("database is locked",
/// busy).
pub fn lost_a_race(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure,
            _,
        ) => true,
        Error::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            message.contains("locked") || message.contains("busy") || message.contains("deadlock")
        }
        _ => false,
    }
}

/// Runs `work` in one transaction on `conn`, and again from the start while it fails with an
/// error `is_lost_race` accepts (see [`lost_a_race`]): up to [`TRANSACTION_ATTEMPTS`] times, the
/// pause before each new attempt 3 ms longer than the last (at most about 0.4 s in all). From
/// the second attempt the transaction takes the write lock first ([`lock_for_write`]), so on
/// SQLite a steady write load cannot make every attempt lose. Answers the value, the first error
/// that is not a lost race, or the last lost race. Blocking: call it inside [`Database::run`].
pub fn transaction_retrying<T, E>(
    conn: &mut AnyConnection,
    is_lost_race: impl Fn(&E) -> bool,
    mut work: impl FnMut(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let mut attempt: u32 = 1;
    loop {
        let outcome = conn.transaction(|conn| {
            if attempt > 1 {
                lock_for_write(conn)?;
            }
            work(conn)
        });
        match outcome {
            Err(err) if attempt < TRANSACTION_ATTEMPTS && is_lost_race(&err) => {
                std::thread::sleep(Duration::from_millis(u64::from(attempt) * 3));
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn run_set<C, DB>(conn: &mut C, set: &'static EmbeddedMigrations) -> Result<Vec<String>, DbError>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
{
    conn.run_pending_migrations(Borrowed(set))
        .map(|versions| versions.into_iter().map(|version| version.to_string()).collect())
        .map_err(|err| DbError::Migration(err.to_string()))
}

fn pending_count<C, DB>(conn: &mut C, set: &'static EmbeddedMigrations) -> Result<usize, DbError>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
{
    conn.pending_migrations(Borrowed(set))
        .map(|pending| pending.len())
        .map_err(|err| DbError::Migration(err.to_string()))
}
