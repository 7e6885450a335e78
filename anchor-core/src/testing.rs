//! Test support (cargo feature `testing`): fixed development keys, valid settings with overrides,
//! a fresh migrated database on every backend the build and the environment offer, and a real
//! HTTP server on a free loopback port. Anchors can use it for their own tests.
//!
//! Backends: SQLite always; PostgreSQL when `ANCHOR_TEST_POSTGRES_URL` is set and MySQL/MariaDB
//! when `ANCHOR_TEST_MYSQL_URL` is set (each an administrative URL; a fresh database is created
//! per test and dropped afterwards). When a backend is compiled in but its variable is unset,
//! [`test_databases`] prints a loud `SKIPPED` line; `.ci/run` always sets both.
//!
//! Tests that need something outside the repository (the full sanctions lists in
//! `../shared`, the Python stellar-sdk, Chromium, a database server) are marked
//! `#[ignore = "needs …"]`, so a plain `cargo test` counts them as ignored, with the reason, rather
//! than passing them without running. `cargo test -- --include-ignored` (what `.ci/run` runs)
//! asks for them, and then [`require_prerequisites`] fails a test whose prerequisite is missing.

#![allow(clippy::expect_used, reason = "test support: a broken test environment should fail loudly")]

use std::net::SocketAddr;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use std::sync::atomic::{AtomicU32, Ordering};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};

use crate::config::{DatabaseUrl, Settings};
use crate::db::{Database, MigrationSet};
use crate::AnchorApp;

pub mod hostile;

/// A fixed development seed (the stellar/go compliance test seed). Never use it outside tests.
pub const TEST_SEED: &str = "SDWTLFPALQSP225BSMX7HPZ7ZEAYSUYNDLJ5QI3YGVBNRUIIELWH3XUV";
/// The public key of [`TEST_SEED`].
pub const TEST_SIGNING_KEY: &str = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";
/// A fixed `SERVER_JWT_KEY` for tests.
pub const TEST_JWT_KEY: &str = "test-jwt-key-test-jwt-key-test-jwt-key-0123";
/// A fixed `ADMIN_API_KEY` for tests.
pub const TEST_ADMIN_API_KEY: &str = "test-admin-key-test-admin-key-test-admin-key";

/// Every rate-limit setting, `off`: tests and benchmarks send many requests from one loopback
/// address, so they switch the limits off explicitly (a test of the limits sets its own).
pub const RATE_LIMITS_OFF: [(&str, &str); 5] = [
    ("RATE_LIMIT_SEP10_CHALLENGE", "off"),
    ("RATE_LIMIT_SEP10_TOKEN", "off"),
    ("RATE_LIMIT_SEP3_AUTH_SERVER", "off"),
    ("RATE_LIMIT_FEDERATION", "off"),
    ("RATE_LIMIT_CONSOLE_SIGN_IN", "off"),
];

/// The environment [`settings`] starts from: LOCAL_MODE, `http://localhost:8000`, every SEP
/// this framework knows active, the fixed keys, an in-memory SQLite URL, and the rate limits
/// off ([`RATE_LIMITS_OFF`]).
pub fn base_environment() -> Vec<(String, String)> {
    [
        ("ACTIVE_SEPS", "sep-1"),
        ("HOST_URL", "http://localhost:8000"),
        ("LOCAL_MODE", "true"),
        ("SIGNING_SEED", TEST_SEED),
        ("SERVER_JWT_KEY", TEST_JWT_KEY),
        ("ADMIN_API_KEY", TEST_ADMIN_API_KEY),
        ("DATABASE_URL", "sqlite://:memory:"),
    ]
    .into_iter()
    .chain(RATE_LIMITS_OFF)
    .map(|(key, value)| (key.to_string(), value.to_string()))
    .collect()
}

/// Valid settings from [`base_environment`] with `overrides` applied. Panics on an invalid
/// combination, printing every problem.
pub fn settings(overrides: &[(&str, &str)]) -> Settings {
    let mut env = base_environment();
    for (key, value) in overrides {
        env.retain(|(existing, _)| existing != key);
        env.push((key.to_string(), value.to_string()));
    }
    match Settings::from_sources(None, env) {
        Ok(settings) => settings,
        Err(err) => panic!("test settings are invalid:\n{err}"),
    }
}

/// A fresh, empty database on one backend, removed when dropped.
pub struct TestDatabase {
    /// `sqlite`, `postgres` or `mysql`.
    pub name: &'static str,
    url: DatabaseUrl,
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(dead_code, reason = "SQLite-only builds just hold it, so the directory goes when dropped")
    )]
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(#[allow(dead_code, reason = "held only to delete the directory on drop")] tempfile::TempDir),
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(dead_code, reason = "only the PostgreSQL and MySQL builds create server databases to drop")
    )]
    DropDatabase {
        admin_url: String,
        database: String,
    },
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestDatabase({}, {})", self.name, self.url)
    }
}

impl TestDatabase {
    /// The database's URL.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The `DATABASE_URL` value, for settings and child processes.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) | DatabaseUrl::Mysql(url) => url.expose().clone(),
        }
    }

    /// Opens a pool and applies the framework's migrations.
    pub fn database(&self) -> Database {
        self.database_with(&MigrationSet::default())
    }

    /// Opens a pool and applies the framework's migrations and `extra`.
    pub fn database_with(&self, extra: &MigrationSet) -> Database {
        let database = Database::connect(&self.url).expect("test database opens");
        database.migrate(extra).expect("test database migrates");
        database
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        if let Cleanup::DropDatabase { admin_url, database } = &self.cleanup {
            drop_database(self.name, admin_url, database);
        }
    }
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
static COUNTER: AtomicU32 = AtomicU32::new(0);

#[cfg(any(feature = "postgres", feature = "mysql"))]
fn unique_name() -> String {
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    format!(
        "anchor_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        u32::from_le_bytes(random)
    )
}

/// A fresh SQLite database in a temporary directory.
pub fn sqlite_database() -> TestDatabase {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("anchor.sqlite3");
    TestDatabase { name: "sqlite", url: DatabaseUrl::Sqlite(path), cleanup: Cleanup::Directory(dir) }
}

/// Fails the test `what` when anything is `missing`: for tests that are `#[ignore = "needs …"]`
/// by default and were asked for with `--include-ignored`, where a missing prerequisite must not
/// pass as a silent skip.
pub fn require_prerequisites(what: &str, missing: &[String]) {
    assert!(
        missing.is_empty(),
        "{what} cannot run: {}. It is ignored by a plain `cargo test`; with `--include-ignored` (as \
         .ci/run runs) its prerequisites are required.",
        missing.join("; ")
    );
}

/// Whether `python3` can import `module` (the interoperability tests' clients and sinks).
pub fn python_imports(module: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|output| output.status.success())
        .unwrap_or(false)
}

/// One fresh database per available backend: SQLite always, PostgreSQL and MySQL when compiled in
/// and configured (a loud `SKIPPED` line otherwise).
pub fn test_databases() -> Vec<TestDatabase> {
    let mut databases = Vec::new();
    if cfg!(feature = "sqlite") {
        databases.push(sqlite_database());
    }
    #[cfg(feature = "postgres")]
    match std::env::var("ANCHOR_TEST_POSTGRES_URL") {
        Ok(admin_url) => databases.push(server_database("postgres", &admin_url)),
        Err(_) => eprintln!("SKIPPED: PostgreSQL tests — ANCHOR_TEST_POSTGRES_URL is not set"),
    }
    #[cfg(feature = "mysql")]
    match std::env::var("ANCHOR_TEST_MYSQL_URL") {
        Ok(admin_url) => databases.push(server_database("mysql", &admin_url)),
        Err(_) => eprintln!("SKIPPED: MySQL/MariaDB tests — ANCHOR_TEST_MYSQL_URL is not set"),
    }
    #[cfg(not(all(feature = "postgres", feature = "mysql")))]
    eprintln!(
        "SKIPPED: backends not compiled in (build with --features postgres,mysql): {}{}",
        if cfg!(feature = "postgres") { "" } else { "postgres " },
        if cfg!(feature = "mysql") { "" } else { "mysql" }
    );
    databases
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
fn server_database(name: &'static str, admin_url: &str) -> TestDatabase {
    use diesel::connection::SimpleConnection as _;
    use diesel::Connection as _;

    let database = unique_name();
    let mut url = url::Url::parse(admin_url).expect("ANCHOR_TEST_*_URL is a URL");
    match name {
        #[cfg(feature = "postgres")]
        "postgres" => {
            let mut conn = diesel::PgConnection::establish(admin_url).expect("PostgreSQL is reachable");
            conn.batch_execute(&format!("CREATE DATABASE {database}")).expect("create test database");
        }
        #[cfg(feature = "mysql")]
        "mysql" => {
            let mut conn = diesel::MysqlConnection::establish(admin_url).expect("MySQL is reachable");
            conn.batch_execute(&format!("CREATE DATABASE {database}")).expect("create test database");
        }
        other => panic!("unknown backend {other}"),
    }
    url.set_path(&format!("/{database}"));
    let url_string = url.to_string();
    let url = match name {
        "postgres" => DatabaseUrl::Postgres(url_string.into()),
        _ => DatabaseUrl::Mysql(url_string.into()),
    };
    TestDatabase { name, url, cleanup: Cleanup::DropDatabase { admin_url: admin_url.to_string(), database } }
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
fn drop_database(name: &str, admin_url: &str, database: &str) {
    use diesel::connection::SimpleConnection as _;
    use diesel::Connection as _;
    match name {
        #[cfg(feature = "postgres")]
        "postgres" => {
            if let Ok(mut conn) = diesel::PgConnection::establish(admin_url) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
            }
        }
        #[cfg(feature = "mysql")]
        "mysql" => {
            if let Ok(mut conn) = diesel::MysqlConnection::establish(admin_url) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {database}"));
            }
        }
        _ => {}
    }
}

/// A real HTTP server on a free loopback port, stopped when dropped.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: ServerHandle,
    tasks: Vec<actix_web::rt::task::JoinHandle<()>>,
}

impl TestServer {
    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        let handle = self.handle.clone();
        // Stopping needs a runtime; outside one the server dies with the process.
        if tokio::runtime::Handle::try_current().is_ok() {
            actix_web::rt::spawn(async move { handle.stop(false).await });
        }
    }
}

/// Serves `app`'s public routes (as `serve` does, with a JSON 404 default) on a free port, and
/// starts the active modules' background tasks as `serve` does (aborted when the server is
/// dropped). Call from an actix runtime (`#[actix_web::test]`).
pub fn serve_public(app: AnchorApp) -> TestServer {
    let tasks = app.background_tasks().into_iter().map(actix_web::rt::spawn).collect();
    let blocking_threads =
        crate::cli::blocking_threads_per_worker(app.context().database().max_connections());
    let server = HttpServer::new(move || {
        let app = app.clone();
        App::new().configure(|cfg| app.configure(cfg)).default_service(web::to(crate::http::not_found))
    })
    .workers(1)
    .worker_max_blocking_threads(blocking_threads)
    .bind(("127.0.0.1", 0))
    .expect("bind a loopback port");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    TestServer { addr, handle, tasks }
}

/// Serves `app`'s internal routes on a free port.
pub fn serve_internal(app: AnchorApp) -> TestServer {
    let blocking_threads =
        crate::cli::blocking_threads_per_worker(app.context().database().max_connections());
    let server = HttpServer::new(move || {
        let app = app.clone();
        App::new()
            .configure(|cfg| app.configure_internal(cfg))
            .default_service(web::to(crate::http::not_found))
    })
    .workers(1)
    .worker_max_blocking_threads(blocking_threads)
    .bind(("127.0.0.1", 0))
    .expect("bind a loopback port");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    TestServer { addr, handle, tasks: Vec::new() }
}
