//! The SQLite store: one module per aggregate; short write transactions; WAL mode with a busy
//! timeout so concurrent sign-ups queue instead of failing. SQLite serializes its writers, so a
//! write transaction that writes before it reads holds the database for what it reads.

mod attempts;
mod audit;
mod auth_reader;
mod clients;
mod codes;
mod domains;
mod external_accounts;
mod invitations;
mod limits;
mod mfa;
mod organizations;
mod passkeys;
mod signing_keys;
mod users;

use std::{
    str::FromStr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};

use super::{db, id_at, optional_id_at};

/// Whether `error` is a unique-constraint violation.
fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// The SQLite implementation of the domain's ports (`crate::domain::ports`).
///
/// Reads and writes use separate pools: the read pool's connections are `query_only`, so a
/// write sent through [`SqliteStore::read`] fails instead of slipping past the write
/// generation that the auth resolution's cache trusts.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    reads: SqlitePool,
    writes: SqlitePool,
    /// Bumped after every committed write to a table the auth resolution reads.
    generation: Arc<AtomicU64>,
    reader: Arc<auth_reader::AuthReader>,
}

/// The write pool, for one statement or one transaction. Dropped after the write has
/// committed (a statement's temporary, or a binding that outlives `tx.commit()`), it bumps the
/// write generation, so a cached auth resolution older than the write is never served again.
struct Writer<'a> {
    pool: &'a SqlitePool,
    /// `None` for tables the auth resolution never reads (rate limits, attempts, codes).
    generation: Option<&'a AtomicU64>,
    /// Told about the untracked writes, so they leave its cache alone.
    reader: &'a auth_reader::AuthReader,
    /// The WAL when an untracked write began.
    wal_before: Option<auth_reader::WalStamp>,
}

impl std::ops::Deref for Writer<'_> {
    type Target = SqlitePool;

    fn deref(&self) -> &SqlitePool {
        self.pool
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        match self.generation {
            Some(generation) => {
                generation.fetch_add(1, Ordering::SeqCst);
            }
            None => self.reader.note_untracked_write(self.wal_before),
        }
    }
}

impl SqliteStore {
    /// Opens (creating when missing) the database at `url` and applies the migrations.
    pub async fn open(url: &str) -> Result<Self, String> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| format!("DATABASE_URL {url:?}: {e}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Reads through a memory map skip a syscall per page: the per-request auth query
            // touches a handful of B-tree pages.
            .pragma("mmap_size", "268435456");
        let path = sqlite_file(url).ok_or_else(|| {
            format!("DATABASE_URL {url:?}: expected a SQLite file (sqlite://path)")
        })?;
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        // A ping per checkout costs as much as a short query; SQLite connections are local
        // files and do not go stale.
        let pool = || {
            SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
        };
        let writes = pool()
            .connect_with(options.clone())
            .await
            .map_err(|e| format!("cannot open {url}: {e}"))?;
        let generation = Arc::new(AtomicU64::new(0));
        let store = Self {
            reads: pool()
                .connect_lazy_with(options.pragma("query_only", "1").create_if_missing(false)),
            writes,
            reader: Arc::new(auth_reader::AuthReader::new(path, generation.clone())),
            generation,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), String> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&*self.write())
            .await
            .map_err(|e| format!("migration failed: {e}"))
    }

    /// One trivial query on the read pool: whether the database answers.
    pub async fn ping(&self) -> Result<(), String> {
        sqlx::query("SELECT 1")
            .execute(self.read())
            .await
            .map(|_| ())
            .map_err(|e| format!("database unreachable: {e}"))
    }

    /// The write pool (benchmarks and tests).
    pub fn pool(&self) -> &SqlitePool {
        &self.writes
    }

    /// The read pool: its connections refuse writes.
    fn read(&self) -> &SqlitePool {
        &self.reads
    }

    /// The write pool, for tables the auth resolution reads (clients, sessions, users, email
    /// addresses, organizations, memberships) or might: the write generation is bumped once
    /// the write is done.
    fn write(&self) -> Writer<'_> {
        Writer {
            pool: &self.writes,
            generation: Some(&self.generation),
            reader: &self.reader,
            wal_before: None,
        }
    }

    /// The write pool, for writes that cannot change any cached resolution: rate limits,
    /// sign-in and sign-up attempts, verification codes, a new browser's client row, a
    /// browser's recorded activity. These are the writes an attacker can cause at will; they
    /// leave the resolution cache alone.
    fn write_untracked(&self) -> Writer<'_> {
        Writer {
            pool: &self.writes,
            generation: None,
            reader: &self.reader,
            wal_before: self.reader.wal_now(),
        }
    }
}

/// The database file of a `sqlite://path?…` URL (in-memory databases are not supported: the
/// auth reader opens the file itself).
pub(super) fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

#[async_trait::async_trait]
impl crate::domain::ports::Health for SqliteStore {
    async fn check_health(&self) -> Result<(), crate::model::AuthError> {
        sqlx::query("SELECT 1")
            .execute(self.read())
            .await
            .map(drop)
            .map_err(super::db)
    }
}
