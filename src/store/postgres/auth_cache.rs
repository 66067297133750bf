//! The auth resolution's cache on PostgreSQL, and how it hears of every instance's writes.
//!
//! A browser's requests within one second resolve from memory, as on SQLite. An entry answers
//! only while nothing could have changed its answer:
//! - the same `now` (the query compares timestamps with it, at one-second resolution), so no
//!   entry outlives its second, whatever else fails;
//! - the same write generation. It is bumped by this process right after each of its own writes
//!   to the tables the resolution reads commits ([`AuthCache::touched`]), so this instance reads
//!   its own writes at once; and by the listener for every notification on [`CHANNEL`], which
//!   the database's triggers send when any connection — another instance, the CLI, `psql` —
//!   commits such a write (`migrations/postgres/…_auth_changes.sql`);
//! - a listener that is connected. While it is not (at start, after the connection dropped, a
//!   notification may have been missed), every resolution goes to the database, and the
//!   generation is bumped again once it listens anew.
//!
//! So an answer on one instance lags a commit on another by the notification's trip (well under
//! a millisecond on one network), and never by more than the rest of the current second.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use sqlx::{postgres::PgListener, PgPool};

use crate::domain::{ports::ResolvedClientRow, Timestamp};

/// The channel the triggers notify.
pub(super) const CHANNEL: &str = "gatehouse_auth";

/// Browsers whose resolution is kept (a few MB at most).
const MAX_CACHED: usize = 10_000;

/// How long the listener waits before connecting again after a failure.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Cookie token hash → its last resolution, and what makes an entry stale.
#[derive(Debug, Default)]
pub(super) struct AuthCache {
    generation: AtomicU64,
    listening: AtomicBool,
    entries: Mutex<HashMap<Vec<u8>, Cached>>,
}

#[derive(Debug)]
struct Cached {
    now: Timestamp,
    generation: u64,
    row: ResolvedClientRow,
}

/// Held by a write to the tables the resolution reads; dropped once it has committed (or
/// failed), it bumps the generation.
pub(super) struct Touched<'a>(&'a AuthCache);

impl Drop for Touched<'_> {
    fn drop(&mut self) {
        self.0.generation.fetch_add(1, Ordering::SeqCst);
    }
}

/// A lookup's result: the cached row, or the generation to store the fresh one under (read
/// before the query, so a write committing during it makes the entry stale at once).
pub(super) enum Lookup {
    /// The entry still answers.
    Hit(Box<ResolvedClientRow>),
    /// Query the database, then [`AuthCache::store`] with this generation.
    Miss(Option<u64>),
}

impl AuthCache {
    /// The resolution of the cookie token `hash` at `now`, if an entry still answers.
    pub(super) fn lookup(&self, hash: &[u8], now: Timestamp) -> Lookup {
        if !self.listening.load(Ordering::SeqCst) {
            return Lookup::Miss(None);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let hit = self.entries.lock().ok().and_then(|entries| {
            entries
                .get(hash)
                .filter(|entry| entry.now == now && entry.generation == generation)
                .map(|entry| entry.row.clone())
        });
        match hit {
            Some(row) => Lookup::Hit(Box::new(row)),
            None => Lookup::Miss(Some(generation)),
        }
    }

    /// Keeps `row`, read at `now` after [`AuthCache::lookup`] gave `generation`.
    pub(super) fn store(
        &self,
        hash: &[u8],
        now: Timestamp,
        generation: Option<u64>,
        row: &ResolvedClientRow,
    ) {
        let Some(generation) = generation else {
            return;
        };
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_CACHED {
            entries.retain(|_, entry| entry.now == now);
            if entries.len() >= MAX_CACHED {
                entries.clear();
            }
        }
        let entry = Cached {
            now,
            generation,
            row: row.clone(),
        };
        entries.insert(hash.to_vec(), entry);
    }

    /// For a write to the tables the resolution reads: hold it until the write is done.
    pub(super) fn touched(&self) -> Touched<'_> {
        Touched(self)
    }

    /// Listens on [`CHANNEL`] on a connection of its own for as long as the runtime runs,
    /// connecting again whenever the connection drops.
    pub(super) fn listen(self: &Arc<Self>, pool: &PgPool) {
        let (cache, pool) = (self.clone(), pool.clone());
        tokio::spawn(async move {
            loop {
                if let Err(error) = cache.listen_once(&pool).await {
                    tracing::warn!(%error, "auth cache: not listening to other instances' writes");
                }
                tokio::time::sleep(RECONNECT_DELAY).await;
            }
        });
    }

    /// One listening connection, until it fails.
    async fn listen_once(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        // Whatever was written while nobody listened: no entry from before answers again.
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.listening.store(true, Ordering::SeqCst);
        let lost = loop {
            // `None`: the connection was lost (notifications may have been missed meanwhile).
            match listener.try_recv().await {
                Ok(Some(_)) => {
                    self.generation.fetch_add(1, Ordering::SeqCst);
                }
                Ok(None) => break Ok(()),
                Err(error) => break Err(error),
            }
        };
        self.listening.store(false, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        lost
    }
}
