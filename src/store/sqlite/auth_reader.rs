//! The per-request auth query, run synchronously on a few connections of its own, and its
//! cache.
//!
//! sqlx runs every SQLite statement on a worker thread; for this one query, on the hot path of
//! every request, the thread hand-offs cost more than the query itself. The query is a handful
//! of index searches, so it runs inline (WAL readers never wait for writers).
//!
//! A browser's requests within one second resolve from memory. An entry answers only while
//! nothing could have changed its answer: the same `now` (the query compares timestamps with
//! it, at one-second resolution), the same write generation (bumped after every write this
//! process commits to the tables the query reads), and the same WAL file size and modification
//! time (a write by another process, such as the CLI, appends to the WAL).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, SystemTime},
};

use rusqlite::{types::ToSql, Connection, OpenFlags, Row};

use crate::{
    domain::{
        ports::{ResolvedClientRow, ResolvedSession},
        Timestamp,
    },
    model::{ClientId, OrgId, SessionId, UserId},
};

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

/// Browsers whose resolution is kept (a few MB at most).
const MAX_CACHED: usize = 10_000;

/// client → its live sessions (most recently current first) → user → primary email → active
/// membership (only while the user is still a member) → organization. A client without a live
/// session gives one row with no session.
macro_rules! resolve_sql {
    ($where:literal) => {
        concat!(
            "SELECT c.id AS client_id, c.last_active_at, c.current_session_id,
                    s.id AS session_id, s.user_id, s.first_factor_at, s.second_factor_at,
                    u.first_name, u.last_name, u.password_reset_required, u.second_factor_enabled,
                    u.password_hash IS NOT NULL AS password_enabled,
                    e.email, m.organization_id AS org_id, m.role AS org_role, o.slug AS org_slug
             FROM clients c
             LEFT JOIN sessions s ON s.client_id = c.id
                  AND s.ended_at IS NULL AND s.expires_at > ?1
             LEFT JOIN users u ON u.id = s.user_id
             LEFT JOIN email_addresses e ON e.user_id = u.id AND e.is_primary = 1
             LEFT JOIN memberships m ON m.organization_id = s.active_org_id AND m.user_id = s.user_id
             LEFT JOIN organizations o ON o.id = m.organization_id
             WHERE ",
            $where,
            " ORDER BY s.activated_at DESC, s.created_at DESC"
        )
    };
}

/// Which client to resolve.
pub(super) enum ClientKey<'a> {
    /// The SHA-256 of the cookie token.
    TokenHash(&'a [u8]),
    /// The client id.
    Id(&'a str),
    /// The id of one of the client's sessions.
    Session(&'a str),
}

/// A small pool of read-only connections for the auth query, and the cache in front of it.
pub(super) struct AuthReader {
    path: PathBuf,
    wal_path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// The store's write generation.
    generation: Arc<AtomicU64>,
    /// Cookie token hash → its last resolution.
    cache: Mutex<HashMap<Vec<u8>, Cached>>,
    /// The WAL after each recent untracked write of this process → the WAL before it: a WAL
    /// that changed only by such writes keeps the cache.
    untracked_wal: Mutex<HashMap<WalStamp, WalStamp>>,
}

/// Untracked writes remembered (older ones are forgotten, which only costs a cache miss).
const MAX_UNTRACKED: usize = 64;

/// One resolution, and the state of the database it was read from.
struct Cached {
    now: Timestamp,
    generation: u64,
    wal: Option<WalStamp>,
    row: ResolvedClientRow,
}

/// What a commit by any process changes in the WAL file.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct WalStamp {
    len: u64,
    modified: Option<SystemTime>,
}

fn wal_stamp(path: &Path) -> Option<WalStamp> {
    std::fs::metadata(path).ok().map(|meta| WalStamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

impl std::fmt::Debug for AuthReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthReader")
            .field("path", &self.path)
            .finish()
    }
}

impl AuthReader {
    /// A reader of the database file at `path` (connections open on first use), trusting
    /// its cache while `generation` stays the same.
    pub(super) fn new(path: PathBuf, generation: Arc<AtomicU64>) -> Self {
        let mut wal_path = path.clone().into_os_string();
        wal_path.push("-wal");
        Self {
            path,
            wal_path: PathBuf::from(wal_path),
            idle: Mutex::new(Vec::new()),
            generation,
            cache: Mutex::new(HashMap::new()),
            untracked_wal: Mutex::new(HashMap::new()),
        }
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(Duration::from_millis(250))?;
        connection.execute_batch("PRAGMA query_only = 1; PRAGMA mmap_size = 268435456;")?;
        Ok(connection)
    }

    /// Resolves a client and its live session at `now`: by cookie from the cache when it is
    /// still exact, else (and by id or session, after a change) from the database.
    pub(super) fn resolve(
        &self,
        key: ClientKey<'_>,
        now: Timestamp,
    ) -> rusqlite::Result<Option<ResolvedClientRow>> {
        let ClientKey::TokenHash(hash) = key else {
            return self.query(key, now);
        };
        // Both stamps are read before the query: a write that commits after this point changes
        // one of them, so an entry made from the state before it never matches again.
        let generation = self.generation.load(Ordering::SeqCst);
        let wal = wal_stamp(&self.wal_path);
        let cached = self.cache.lock().ok().and_then(|cache| {
            cache
                .get(hash)
                .filter(|c| c.now == now && c.generation == generation)
                // The WAL moved since the entry only by this process's untracked writes.
                .filter(|c| c.wal == wal || self.only_untracked_since(c.wal, wal))
                .map(|c| c.row.clone())
        });
        if let Some(row) = cached {
            return Ok(Some(row));
        }
        let row = self.query(key, now)?;
        if let (Some(row), Ok(mut cache)) = (&row, self.cache.lock()) {
            if cache.len() >= MAX_CACHED {
                cache.retain(|_, c| c.now == now);
                if cache.len() >= MAX_CACHED {
                    cache.clear();
                }
            }
            let entry = Cached {
                now,
                generation,
                wal,
                row: row.clone(),
            };
            cache.insert(hash.to_vec(), entry);
        }
        Ok(row)
    }

    /// The WAL before a write (untracked writers take it when they start).
    pub(super) fn wal_now(&self) -> Option<WalStamp> {
        wal_stamp(&self.wal_path)
    }

    /// An untracked write of this process, begun when the WAL was `before`, committed: the WAL
    /// it leaves is as good as `before` for the cache. (Another process committing during that
    /// very write may be seen up to a second late: entries never outlive their second.)
    pub(super) fn note_untracked_write(&self, before: Option<WalStamp>) {
        let (Some(before), Some(after)) = (before, wal_stamp(&self.wal_path)) else {
            return;
        };
        if let Ok(mut untracked) = self.untracked_wal.lock() {
            if untracked.len() >= MAX_UNTRACKED {
                untracked.clear();
            }
            if before != after {
                untracked.insert(after, before);
            }
        }
    }

    /// Whether the WAL went from `then` to `now` by this process's untracked writes only.
    fn only_untracked_since(&self, then: Option<WalStamp>, now: Option<WalStamp>) -> bool {
        let (Some(then), Some(mut stamp)) = (then, now) else {
            return false;
        };
        let Ok(untracked) = self.untracked_wal.lock() else {
            return false;
        };
        for _ in 0..MAX_UNTRACKED {
            match untracked.get(&stamp) {
                Some(&before) if before == then => return true,
                Some(&before) => stamp = before,
                None => return false,
            }
        }
        false
    }

    fn query(
        &self,
        key: ClientKey<'_>,
        now: Timestamp,
    ) -> rusqlite::Result<Option<ResolvedClientRow>> {
        let reused = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let connection = match reused {
            Some(connection) => connection,
            None => self.connect()?,
        };
        let result = query(&connection, key, now);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(connection);
            }
        }
        result
    }
}

fn query(
    connection: &Connection,
    key: ClientKey<'_>,
    now: Timestamp,
) -> rusqlite::Result<Option<ResolvedClientRow>> {
    let (sql, value): (&str, &dyn ToSql) = match &key {
        ClientKey::TokenHash(hash) => (resolve_sql!("c.token_hash = ?2"), hash),
        ClientKey::Id(id) => (resolve_sql!("c.id = ?2"), id),
        ClientKey::Session(id) => (
            resolve_sql!("c.id = (SELECT client_id FROM sessions WHERE id = ?2)"),
            id,
        ),
    };
    let mut statement = connection.prepare_cached(sql)?;
    let mut rows = statement.query((now, value))?;
    let mut client: Option<ResolvedClientRow> = None;
    while let Some(row) = rows.next()? {
        let resolved = client.get_or_insert(ResolvedClientRow {
            client_id: ClientId::new(row.get::<_, String>("client_id")?),
            last_active_at: row.get("last_active_at")?,
            session: None,
            other_sessions: Vec::new(),
        });
        let Some(session) = session_of(row)? else {
            continue;
        };
        let current: Option<String> = row.get("current_session_id")?;
        if current.as_deref() == Some(session.session_id.as_str()) {
            resolved.session = Some(session);
        } else {
            resolved.other_sessions.push(session);
        }
    }
    Ok(client)
}

fn session_of(row: &Row<'_>) -> rusqlite::Result<Option<ResolvedSession>> {
    let session_id: Option<String> = row.get("session_id")?;
    let email: Option<String> = row.get("email")?;
    let (Some(session_id), Some(email_address)) = (session_id, email) else {
        return Ok(None);
    };
    Ok(Some(ResolvedSession {
        session_id: SessionId::new(session_id),
        user_id: UserId::new(row.get::<_, String>("user_id")?),
        email_address,
        first_name: row.get("first_name")?,
        last_name: row.get("last_name")?,
        password_reset_required: row.get("password_reset_required")?,
        second_factor_enabled: row.get("second_factor_enabled")?,
        password_enabled: row.get("password_enabled")?,
        active_org_id: row.get::<_, Option<String>>("org_id")?.map(OrgId::new),
        active_org_slug: row.get("org_slug")?,
        active_org_role: row.get("org_role")?,
        first_factor_at: row.get("first_factor_at")?,
        second_factor_at: row.get("second_factor_at")?,
    }))
}
