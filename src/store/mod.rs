//! SQL, and only here. One module per aggregate; short write transactions; SQLite in WAL mode
//! with a busy timeout so concurrent sign-ups queue instead of failing.

mod attempts;
mod auth_reader;
mod clients;
mod codes;
mod external_accounts;
mod limits;
mod mfa;
mod organizations;
mod signing_keys;
mod users;

use std::{str::FromStr, time::Duration};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};

use crate::model::{AuthError, PrefixedId};

/// The SQLite implementation of the domain's ports (`crate::domain::ports`).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    reader: std::sync::Arc<auth_reader::AuthReader>,
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// Maps a database failure to the opaque `internal_error`, logging the cause.
fn db(error: sqlx::Error) -> AuthError {
    crate::domain::internal("database error", error)
}

/// A typed id read from a column.
fn id_at<T: PrefixedId>(row: &sqlx::sqlite::SqliteRow, column: &str) -> Result<T, sqlx::Error> {
    use sqlx::Row;
    row.try_get::<String, _>(column).map(T::from_string)
}

/// An optional typed id read from a column.
fn optional_id_at<T: PrefixedId>(
    row: &sqlx::sqlite::SqliteRow,
    column: &str,
) -> Result<Option<T>, sqlx::Error> {
    use sqlx::Row;
    row.try_get::<Option<String>, _>(column)
        .map(|id| id.map(T::from_string))
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
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A ping per checkout doubles the cost of the per-request auth query; SQLite
            // connections are local files and do not go stale.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| format!("cannot open {url}: {e}"))?;
        let store = Self {
            pool,
            reader: std::sync::Arc::new(auth_reader::AuthReader::new(path)),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), String> {
        sqlx::migrate!("./migrations")
            .run(&self.pool)
            .await
            .map_err(|e| format!("migration failed: {e}"))
    }

    /// The underlying pool (benchmarks and tests).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// The database file of a `sqlite://path?…` URL (in-memory databases are not supported: the
/// auth reader opens the file itself).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}
