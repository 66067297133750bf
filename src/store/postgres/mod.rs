//! The PostgreSQL store: the second implementation of every port, for several instances on one
//! database.
//!
//! PostgreSQL runs writers side by side (READ COMMITTED), where SQLite queues them, so every rule
//! that must hold under concurrency is written for that here, each at its place:
//! - a counter is one statement that counts and reads back (`INSERT … ON CONFLICT … DO UPDATE
//!   … RETURNING`, `UPDATE … WHERE tries < $max RETURNING`): a concurrent writer waits for the
//!   row and the condition is checked again on its newest version;
//! - a transition is a compare-and-swap (`UPDATE … WHERE version = $n`);
//! - a uniqueness (one user per email, one link per identity, one slug, one signing key) is a
//!   unique index and `ON CONFLICT DO NOTHING`, never a check followed by an insert;
//! - a rule over several rows (a client's current session, a user's last way to sign in, a user's
//!   backup codes while their app is on) locks the row that owns them first
//!   (`SELECT … FOR UPDATE`), so the statements after it see every write that came before.
//!
//! The auth resolution is one indexed query ([`resolve`], on connections of its own beside the
//! pool) behind a cache that hears of every
//! instance's writes through LISTEN/NOTIFY ([`auth_cache`]).

mod attempts;
mod audit;
mod auth_cache;
mod clients;
mod codes;
mod domains;
mod external_accounts;
mod invitations;
mod limits;
mod mfa;
mod organizations;
mod passkeys;
mod resolve;
mod signing_keys;
mod users;

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool,
};

use super::{db, id_at, optional_id_at, redact_url};

/// Connections one instance keeps at most (the pool's, and the auth query's own,
/// [`resolve::AUTH_CONNECTIONS`]): enough for the argon2 pool's parallel sign-ins and the page
/// requests beside them, while ten instances stay under PostgreSQL's default `max_connections`
/// (100).
const MAX_CONNECTIONS: u32 = 10;

/// How long a request waits for a connection before it fails: while the database is down or
/// every connection is busy, requests get an error after this, never hang.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A transaction on the store's pool.
type Tx<'c> = sqlx::Transaction<'c, sqlx::Postgres>;

/// The PostgreSQL implementation of the domain's ports (`crate::domain::ports`): one pool, every
/// statement through it.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
    /// The auth resolution's cache, shared by the store's clones.
    cache: Arc<auth_cache::AuthCache>,
    /// The auth query's connections of its own, beside the pool.
    auth: Arc<resolve::AuthConnections>,
}

impl PostgresStore {
    /// Connects to the database at `url` and applies the pending migrations. Instances starting
    /// at once migrate once (sqlx's migrator holds an advisory lock) and all come up.
    pub async fn open(url: &str) -> Result<Self, String> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects to the database at `url` without migrating it (one connection is made now, so a
    /// wrong URL or an unreachable server fails here).
    pub async fn connect(url: &str) -> Result<Self, String> {
        let shown = redact_url(url);
        let (options, pool) = Self::pool_options(url)?;
        let pool = pool
            .connect_with(options.clone())
            .await
            .map_err(|e| format!("cannot connect to {shown}: {e}"))?;
        Ok(Self::on_pool(pool, options))
    }

    /// A store on the database at `url`, already migrated, that connects on first use (inside a
    /// Tokio runtime; tests that build their core outside of async code).
    pub fn connect_lazy(url: &str) -> Result<Self, String> {
        let (options, pool) = Self::pool_options(url)?;
        Ok(Self::on_pool(
            pool.connect_lazy_with(options.clone()),
            options,
        ))
    }

    fn pool_options(url: &str) -> Result<(PgConnectOptions, PgPoolOptions), String> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| format!("DATABASE_URL {}: {e}", redact_url(url)))?
            .application_name("gatehouse")
            // The server's notices ("relation … already exists, skipping" at every start) are
            // not the operator's business; warnings and errors still reach the log.
            .options([("client_min_messages", "warning")]);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS - resolve::AUTH_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // sqlx pings every connection when it comes back to the pool; a second ping when it
            // is taken out would add a round trip to every request's auth query. The price: a
            // connection that breaks while idle (the server restarted) fails one statement and is
            // dropped, and the pool connects anew.
            .test_before_acquire(false);
        Ok((options, pool))
    }

    /// The store on `pool`, its auth cache listening for other instances' writes, the auth
    /// query's own connections made with `options` (the pool's).
    fn on_pool(pool: PgPool, options: PgConnectOptions) -> Self {
        let cache = Arc::new(auth_cache::AuthCache::default());
        cache.listen(&pool);
        let auth = Arc::new(resolve::AuthConnections::new(options));
        Self { pool, cache, auth }
    }

    /// Applies pending migrations (`migrations/postgres`, the same versions as SQLite's).
    pub async fn migrate(&self) -> Result<(), String> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await
            .map_err(|e| format!("migration failed: {e}"))
    }

    /// One trivial query: whether the database answers.
    pub async fn ping(&self) -> Result<(), String> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| format!("database unreachable: {e}"))
    }

    /// The pool (benchmarks and tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// For a write to the tables the auth resolution reads (clients' current sessions,
    /// sessions, users, email addresses, organizations, memberships): hold it until the write
    /// has committed, so this instance's next resolution reads it. (Other instances hear of it
    /// from the database's triggers.)
    fn touched(&self) -> auth_cache::Touched<'_> {
        self.cache.touched()
    }

    /// Starts a transaction.
    async fn begin(&self) -> Result<Tx<'static>, crate::model::AuthError> {
        self.pool.begin().await.map_err(db)
    }
}

/// A count stored as `INTEGER`, as the ports want it.
fn count_at(row: &sqlx::postgres::PgRow, column: &str) -> Result<u32, sqlx::Error> {
    use sqlx::Row;
    Ok(u32::try_from(row.try_get::<i32, _>(column)?).unwrap_or(0))
}

#[async_trait::async_trait]
impl crate::domain::ports::Health for PostgresStore {
    async fn check_health(&self) -> Result<(), crate::model::AuthError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(super::db)
    }
}
