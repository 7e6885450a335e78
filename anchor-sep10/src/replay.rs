//! IO: single use of challenges, in the shared database (`sep10_used_challenges`).
//!
//! The challenge hash is inserted only after every other check passed; the primary key makes a
//! second insert fail on every backend, so a challenge yields at most one token even across
//! server instances sharing the database. Rows are kept until the challenge's own maxTime (after
//! which rule 3 refuses it anyway) plus a margin (`routes::PURGE_MARGIN_SECONDS`: a slow Horizon
//! lookup, another instance's clock), then purged opportunistically.
//!
//! [`UseRecorder`] group-commits: requests arriving together are inserted in one transaction by
//! one writer task per worker, because each commit (plus the blocking-pool hand-off and pool
//! checkout around it, and on a server database a network round trip and a WAL flush) costs more
//! than the insert. SQLite has a single writer, so its groups go one at a time; on PostgreSQL and
//! MySQL a few groups are in flight at once, so their commits share flushes.

use anchor_core::db::schema::sep10_used_challenges::dsl;
use anchor_core::db::DbError;
use anchor_core::Database;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Serialises this process's SQLite writes (see [`record_use`]).
static SQLITE_WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Records single use of challenges with group commit. Create one per worker; it starts its
/// writer task on first use.
#[derive(Debug)]
pub struct UseRecorder {
    database: Database,
    queue: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Pending>>,
}

#[derive(Debug)]
struct Pending {
    hash: String,
    expires_at: i64,
    purge_before: Option<i64>,
    reply: tokio::sync::oneshot::Sender<Result<bool, String>>,
}

/// Most records one transaction takes.
pub const MAX_BATCH: usize = 256;

/// Groups a worker keeps in flight on PostgreSQL and MySQL (SQLite: one).
const GROUPS_IN_FLIGHT: usize = 4;

impl UseRecorder {
    /// A recorder for `database`.
    pub fn new(database: Database) -> Self {
        UseRecorder { database, queue: std::sync::OnceLock::new() }
    }

    /// Records `hash` as used until `expires_at`; `Ok(false)` when it was already recorded (a
    /// replay). With `purge_before`, also deletes records that expired before that time.
    pub async fn record(
        &self,
        hash: String,
        expires_at: i64,
        purge_before: Option<i64>,
    ) -> Result<bool, DbError> {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(write_batches(self.database.clone(), receiver));
            sender
        });
        let (reply, answer) = tokio::sync::oneshot::channel();
        queue
            .send(Pending { hash, expires_at, purge_before, reply })
            .map_err(|_| DbError::Unavailable("the single-use writer has stopped".into()))?;
        match answer.await {
            Ok(Ok(fresh)) => Ok(fresh),
            Ok(Err(cause)) => Err(DbError::Unavailable(cause)),
            Err(_) => Err(DbError::Unavailable("the single-use writer has stopped".into())),
        }
    }
}

/// The writer: takes whatever is queued (up to [`MAX_BATCH`]) and inserts it in one transaction,
/// one group at a time on SQLite and up to [`GROUPS_IN_FLIGHT`] at once on server databases.
async fn write_batches(database: Database, mut receiver: tokio::sync::mpsc::UnboundedReceiver<Pending>) {
    let sqlite = database.backend() == "sqlite";
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(if sqlite { 1 } else { GROUPS_IN_FLIGHT }));
    while let Some(first) = receiver.recv().await {
        let Ok(slot) = std::sync::Arc::clone(&slots).acquire_owned().await else { break };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        let database = database.clone();
        tokio::spawn(async move {
            commit_batch(&database, batch).await;
            drop(slot);
        });
    }
}

async fn commit_batch(database: &Database, batch: Vec<Pending>) {
    let rows: Vec<(String, i64)> =
        batch.iter().map(|pending| (pending.hash.clone(), pending.expires_at)).collect();
    let purge_before = batch.iter().filter_map(|pending| pending.purge_before).max();
    let result = {
        let _queue = if database.backend() == "sqlite" { Some(SQLITE_WRITES.lock().await) } else { None };
        let backend = database.backend();
        database.run(move |conn| insert_batch(conn, backend, rows, purge_before)).await
    };
    match result {
        Ok(fresh) => {
            for (pending, fresh) in batch.into_iter().zip(fresh) {
                let _ = pending.reply.send(Ok(fresh));
            }
        }
        Err(err) => {
            let cause = err.to_string();
            for pending in batch {
                let _ = pending.reply.send(Err(cause.clone()));
            }
        }
    }
}

/// Inserts one row in the current transaction (or in autocommit): `true` when it was new.
fn insert_one(
    conn: &mut anchor_core::db::AnyConnection,
    hash: &str,
    expires_at: i64,
) -> Result<bool, DieselError> {
    let inserted = diesel::insert_into(dsl::sep10_used_challenges)
        .values((dsl::challenge_hash.eq(hash), dsl::expires_at.eq(expires_at)))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(err) => Err(err),
    }
}

fn insert_batch(
    conn: &mut anchor_core::db::AnyConnection,
    backend: &str,
    rows: Vec<(String, i64)>,
    purge_before: Option<i64>,
) -> Result<Vec<bool>, DbError> {
    if let Some(now) = purge_before {
        diesel::delete(dsl::sep10_used_challenges.filter(dsl::expires_at.lt(now))).execute(conn)?;
    }
    // A request alone needs no transaction of its own.
    if let [(hash, expires_at)] = rows.as_slice() {
        return Ok(vec![insert_one(conn, hash, *expires_at)?]);
    }
    // On SQLite and MySQL a duplicate fails only its own statement, so each request learns
    // whether it was first, even two requests for the same challenge in one group. On
    // PostgreSQL it aborts the transaction: the group is rolled back and its rows inserted one
    // by one, which is rare (a replay) and gives the same answers.
    let statement_level = backend != "postgres";
    let mut replay = false;
    let grouped = conn.transaction::<_, DieselError, _>(|conn| {
        let mut fresh = Vec::with_capacity(rows.len());
        for (hash, expires_at) in &rows {
            let first = insert_one(conn, hash, *expires_at)?;
            if !first && !statement_level {
                replay = true;
                return Err(DieselError::RollbackTransaction);
            }
            fresh.push(first);
        }
        Ok(fresh)
    });
    match grouped {
        Ok(fresh) => Ok(fresh),
        Err(_) if replay => rows
            .iter()
            .map(|(hash, expires_at)| insert_one(conn, hash, *expires_at).map_err(DbError::from))
            .collect(),
        Err(err) => Err(DbError::from(err)),
    }
}

/// Records `hash` as used until `expires_at` with one insert; `Ok(false)` when it was already recorded (a
/// replay). With `purge_before`, first deletes records that expired before that time.
pub async fn record_use(
    database: &Database,
    hash: String,
    expires_at: i64,
    purge_before: Option<i64>,
) -> Result<bool, DbError> {
    // SQLite has one writer at a time; concurrent writers inside this process would otherwise
    // meet SQLITE_BUSY and sleep in its busy handler (milliseconds each). Queueing them here
    // keeps the latency at the cost of the insert itself. Other processes sharing the file
    // still rely on `busy_timeout`; server databases need no queue. (`UseRecorder` batches
    // SQLite writes; this path serves server databases and direct callers.)
    let _queue = if database.backend() == "sqlite" { Some(SQLITE_WRITES.lock().await) } else { None };
    database
        .run(move |conn| {
            if let Some(now) = purge_before {
                diesel::delete(dsl::sep10_used_challenges.filter(dsl::expires_at.lt(now))).execute(conn)?;
            }
            Ok(insert_one(conn, &hash, expires_at)?)
        })
        .await
}

/// Deletes records that expired before `now`; returns how many.
pub async fn purge_expired(database: &Database, now: i64) -> Result<usize, DbError> {
    database
        .run(move |conn| {
            diesel::delete(dsl::sep10_used_challenges.filter(dsl::expires_at.lt(now)))
                .execute(conn)
                .map_err(DbError::from)
        })
        .await
}

/// How many records are stored (for tests and monitoring).
pub async fn count(database: &Database) -> Result<i64, DbError> {
    database
        .run(|conn| dsl::sep10_used_challenges.count().get_result::<i64>(conn).map_err(DbError::from))
        .await
}
