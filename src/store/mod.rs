//! SQL, and only here: one implementation of the domain's ports per database engine, one module
//! per aggregate in each, and [`Store`], which opens the one a `DATABASE_URL` names.
//!
//! - [`SqliteStore`] (feature `sqlite`, `sqlite://…`): the embedded default, one file, one
//!   process (the CLI may share it). Its auth resolution runs synchronously with a cache.
//! - [`PostgresStore`] (feature `postgres`, `postgres://…`): for several instances on one
//!   database. Every counter an attacker can race is counted by the database in one statement or
//!   in a transaction that locks what it reads, so the rules hold across instances.
//!
//! Both pass one shared suite (`tests/it/store.rs`), which is the ports' contract in practice.
//!
//! [`copy`] moves an install between them (`gatehouse db copy`), table by table from both
//! databases' catalogues.

// With one driver, only same-engine copies remain: the other engine's types go unused.
#[cfg_attr(
    not(all(feature = "sqlite", feature = "postgres")),
    allow(dead_code, unused_variables)
)]
pub mod copy;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) mod rows;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

use std::sync::Arc;

use crate::domain::ports::Storage;

/// The store a `DATABASE_URL` names, opened: one value the server and the CLI hold whatever the
/// engine, so neither needs to know which one it runs on.
///
/// `postgres://…` and `postgresql://…` open [`PostgresStore`]; `sqlite:…` opens
/// [`SqliteStore`]. An engine whose cargo feature is off is refused with a message saying so.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Store {
    /// The embedded SQLite file.
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteStore),
    /// A PostgreSQL database, shared by any number of instances.
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
}

/// The database engines a `DATABASE_URL` can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// `sqlite:…`
    Sqlite,
    /// `postgres://…` or `postgresql://…`
    Postgres,
}

impl Engine {
    /// The engine of `url`, by its scheme.
    pub fn of_url(url: &str) -> Result<Self, String> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme);
        match scheme {
            Some("sqlite") => Ok(Self::Sqlite),
            Some("postgres" | "postgresql") => Ok(Self::Postgres),
            _ => Err(format!(
                "DATABASE_URL {}: expected sqlite://path or postgres://…",
                redact_url(url)
            )),
        }
    }
}

impl Store {
    /// Opens the database `url` names and applies its pending migrations (creating a SQLite
    /// file when missing). Two processes opening one PostgreSQL database at once migrate it
    /// once: sqlx's migrator holds an advisory lock while it runs.
    pub async fn open(url: &str) -> Result<Self, String> {
        match Engine::of_url(url)? {
            #[cfg(feature = "sqlite")]
            Engine::Sqlite => SqliteStore::open(url).await.map(Self::Sqlite),
            #[cfg(feature = "postgres")]
            Engine::Postgres => PostgresStore::open(url).await.map(Self::Postgres),
            #[allow(unreachable_patterns)]
            engine => Err(format!(
                "DATABASE_URL {}: this build has no {engine:?} store (cargo feature `{}`)",
                redact_url(url),
                match engine {
                    Engine::Sqlite => "sqlite",
                    Engine::Postgres => "postgres",
                }
            )),
        }
    }

    /// Applies pending migrations (already done by [`Store::open`]; running it again is a no-op).
    pub async fn migrate(&self) -> Result<(), String> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(store) => store.migrate().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(store) => store.migrate().await,
        }
    }

    /// One trivial query: whether the database answers (for a health check).
    pub async fn ping(&self) -> Result<(), String> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(store) => store.ping().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(store) => store.ping().await,
        }
    }

    /// The engine this store runs on.
    pub fn engine(&self) -> Engine {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => Engine::Sqlite,
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => Engine::Postgres,
        }
    }

    /// The store behind the domain's ports, for `Gatehouse.store` (a cheap handle: both stores
    /// are pools).
    pub fn storage(&self) -> Arc<dyn Storage> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(store) => Arc::new(store.clone()),
            #[cfg(feature = "postgres")]
            Self::Postgres(store) => Arc::new(store.clone()),
        }
    }
}

/// `url` fit for a message or a log line: a password in it is replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split_once(':').map_or(credentials, |(u, _)| u);
            let hidden = if credentials.contains(':') {
                format!("{user}:***")
            } else {
                user.to_string()
            };
            format!("{scheme}://{hidden}@{host}{path}")
        }
        None => url.to_string(),
    }
}

/// Maps a database failure to an error for the caller, logging the cause: `service_unavailable`
/// (503) while the database cannot be reached — the pool reconnects by itself when it is back —,
/// else the opaque `internal_error`.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn db(error: sqlx::Error) -> crate::model::AuthError {
    if is_outage(&error) {
        tracing::warn!(%error, "database unavailable");
        return crate::model::AuthError::unavailable();
    }
    // PostgreSQL refuses a NUL character in text (SQLite stores it): input no field allows,
    // so the request is bad, not the server.
    if let sqlx::Error::Database(refused) = &error {
        if matches!(refused.code().as_deref(), Some("22021" | "22P05")) {
            tracing::debug!(%error, "text the database cannot store");
            return crate::model::AuthError::request_invalid("text with a NUL character");
        }
    }
    crate::domain::internal("database error", error)
}

/// Whether `error` says the database cannot be reached (as opposed to a bad statement): no
/// connection to be had, a connection lost, or a server shutting down or starting
/// (SQLSTATE classes 08 and 57P).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub fn is_outage(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// A typed id read from a text column.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn id_at<T, R>(row: &R, column: &str) -> Result<T, sqlx::Error>
where
    T: crate::model::PrefixedId,
    R: sqlx::Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    row.try_get::<String, _>(column).map(T::from_string)
}

/// An optional typed id read from a text column.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn optional_id_at<T, R>(row: &R, column: &str) -> Result<Option<T>, sqlx::Error>
where
    T: crate::model::PrefixedId,
    R: sqlx::Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    row.try_get::<Option<String>, _>(column)
        .map(|id| id.map(T::from_string))
}

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("the `server` feature needs a database driver: enable `sqlite`, `postgres` or both");
