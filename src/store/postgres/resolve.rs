//! The per-request auth query: client → its live sessions (most recently current first) → user
//! → primary email → active membership (only while the user is still a member) →
//! organization. One indexed query, on a few connections of its own ([`AuthConnections`]); the
//! store keeps its answers in the one-second cache of `auth_cache.rs`, which hears of every
//! instance's writes.
//!
//! Why connections of its own: a statement through sqlx's pool costs far more than the query.
//! Each connection given back to the pool is pinged (a `Sync` and its answer: a round trip, in
//! a task spawned for it) before the next statement may take it, so every pooled statement
//! pays for a second round trip and two more wake-ups beside its own. Measured on 10,000
//! sessions (2 cores, 2026-12-07), p50 of this query through the pool against a connection held
//! apart: 135 against 103 µs on an idle machine (pgbench's libpq, the same prepared query:
//! 102–116 µs; its `SELECT 1` 68–72 µs, the wake-ups of idle virtual CPUs), 130 against 35 µs on
//! a busy one.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use sqlx::{
    postgres::{PgConnectOptions, PgRow},
    ConnectOptions as _, PgConnection, PgPool, Postgres, Row,
};

use crate::{
    domain::{
        ports::{ResolvedClientRow, ResolvedSession},
        Timestamp,
    },
    model::{ClientId, OrgId, SessionId, UserId},
};

/// Connections the auth query keeps for itself (part of the instance's
/// [`super::MAX_CONNECTIONS`]: the pool has the others). While they are all busy, the query goes
/// through the pool.
pub(super) const AUTH_CONNECTIONS: u32 = 2;

/// A connection of its own is closed after this long, as the pool's are (sqlx's default).
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How long opening one may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The query, for each way of naming the client (`$1` is now, `$2` the key). A client without a
/// live session gives one row with no session.
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
                  AND s.ended_at IS NULL AND s.expires_at > $1
             LEFT JOIN users u ON u.id = s.user_id
             LEFT JOIN email_addresses e ON e.user_id = u.id AND e.is_primary
             LEFT JOIN memberships m ON m.organization_id = s.active_org_id AND m.user_id = s.user_id
             LEFT JOIN organizations o ON o.id = m.organization_id
             WHERE ",
            $where,
            " ORDER BY s.activated_at DESC NULLS LAST, s.created_at DESC"
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

/// The auth query's connections of its own: at most [`AUTH_CONNECTIONS`], opened in the
/// background when a query finds none idle, and kept for the next queries. A connection is kept only after a query that succeeded
/// on it: one that failed, or whose query was cancelled midway (its future dropped), is closed.
pub(super) struct AuthConnections {
    options: PgConnectOptions,
    idle: Mutex<Vec<Held>>,
    /// Open connections, idle or busy.
    open: AtomicUsize,
}

struct Held {
    connection: PgConnection,
    opened: Instant,
}

impl std::fmt::Debug for AuthConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConnections")
            .field("open", &self.open.load(Ordering::Relaxed))
            .finish()
    }
}

/// A connection taken for one query; closed when dropped unless given back.
struct Taken<'a> {
    owner: &'a AuthConnections,
    held: Option<Held>,
}

impl Taken<'_> {
    fn give_back(mut self) {
        let Some(held) = self.held.take() else {
            return;
        };
        if held.opened.elapsed() < MAX_LIFETIME {
            if let Ok(mut idle) = self.owner.idle.lock() {
                idle.push(held);
                return;
            }
        }
        drop(held);
        self.owner.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if self.held.take().is_some() {
            self.owner.open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A slot counted in `open` while its connection is being opened.
struct Slot<'a>(&'a AuthConnections);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AuthConnections {
    /// None open yet; they connect with `options` (the pool's), named `gatehouse-auth` in
    /// `pg_stat_activity`.
    pub(super) fn new(options: PgConnectOptions) -> Self {
        Self {
            options: options.application_name("gatehouse-auth"),
            idle: Mutex::new(Vec::new()),
            open: AtomicUsize::new(0),
        }
    }

    /// An idle connection, if there is one. If there is none while fewer than
    /// [`AUTH_CONNECTIONS`] are open, one is opened in the background for the next queries (a
    /// request never waits for it: this one goes through the pool).
    fn take(self: &Arc<Self>) -> Option<Taken<'_>> {
        let popped = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        if let Some(held) = popped {
            return Some(Taken {
                owner: self,
                held: Some(held),
            });
        }
        let reserved = self
            .open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |open| {
                (open < AUTH_CONNECTIONS as usize).then_some(open + 1)
            })
            .is_ok();
        if reserved {
            let this = self.clone();
            tokio::spawn(async move {
                let slot = Slot(&this);
                match tokio::time::timeout(CONNECT_TIMEOUT, this.options.connect()).await {
                    Ok(Ok(connection)) => {
                        std::mem::forget(slot);
                        Taken {
                            owner: &this,
                            held: Some(Held {
                                connection,
                                opened: Instant::now(),
                            }),
                        }
                        .give_back();
                    }
                    Ok(Err(error)) => {
                        tracing::debug!(%error, "auth query: cannot open a connection of its own");
                    }
                    Err(_) => tracing::debug!("auth query: opening a connection timed out"),
                }
            });
        }
        None
    }
}

/// Resolves a client and its live sessions at `now`: on a connection of its own, else (all
/// busy, or the query failed on it) through the pool.
pub(super) async fn resolve(
    pool: &PgPool,
    own: &Arc<AuthConnections>,
    key: ClientKey<'_>,
    now: Timestamp,
) -> Result<Option<ResolvedClientRow>, sqlx::Error> {
    if let Some(mut taken) = own.take() {
        if let Some(held) = &mut taken.held {
            match query(&mut held.connection, &key, now).await {
                Ok(client) => {
                    taken.give_back();
                    return Ok(client);
                }
                // The connection is closed (`taken` dropped) and the pool answers: a connection
                // that broke while idle (the server restarted) costs no request an error.
                Err(error) => tracing::debug!(%error, "auth query failed on its own connection"),
            }
        }
    }
    query(pool, &key, now).await
}

/// The query on `executor`, its rows decoded.
async fn query<'c, E>(
    executor: E,
    key: &ClientKey<'_>,
    now: Timestamp,
) -> Result<Option<ResolvedClientRow>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = Postgres>,
{
    let query = match *key {
        ClientKey::TokenHash(hash) => sqlx::query(resolve_sql!("c.token_hash = $2"))
            .bind(now)
            .bind(hash),
        ClientKey::Id(id) => sqlx::query(resolve_sql!("c.id = $2")).bind(now).bind(id),
        ClientKey::Session(id) => sqlx::query(resolve_sql!(
            "c.id = (SELECT client_id FROM sessions WHERE id = $2)"
        ))
        .bind(now)
        .bind(id),
    };
    let rows = query.fetch_all(executor).await?;
    let mut client: Option<ResolvedClientRow> = None;
    for row in &rows {
        let resolved = match &mut client {
            Some(resolved) => resolved,
            None => client.insert(ResolvedClientRow {
                client_id: ClientId::new(row.try_get::<String, _>("client_id")?),
                last_active_at: row.try_get("last_active_at")?,
                session: None,
                other_sessions: Vec::new(),
            }),
        };
        let Some(session) = session_of(row)? else {
            continue;
        };
        let current: Option<String> = row.try_get("current_session_id")?;
        if current.as_deref() == Some(session.session_id.as_str()) {
            resolved.session = Some(session);
        } else {
            resolved.other_sessions.push(session);
        }
    }
    Ok(client)
}

fn session_of(row: &PgRow) -> Result<Option<ResolvedSession>, sqlx::Error> {
    let session_id: Option<String> = row.try_get("session_id")?;
    let email: Option<String> = row.try_get("email")?;
    let (Some(session_id), Some(email_address)) = (session_id, email) else {
        return Ok(None);
    };
    Ok(Some(ResolvedSession {
        session_id: SessionId::new(session_id),
        user_id: UserId::new(row.try_get::<String, _>("user_id")?),
        email_address,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        password_reset_required: row.try_get("password_reset_required")?,
        second_factor_enabled: row.try_get("second_factor_enabled")?,
        password_enabled: row.try_get("password_enabled")?,
        active_org_id: row.try_get::<Option<String>, _>("org_id")?.map(OrgId::new),
        active_org_slug: row.try_get("org_slug")?,
        active_org_role: row.try_get("org_role")?,
        first_factor_at: row.try_get("first_factor_at")?,
        second_factor_at: row.try_get("second_factor_at")?,
    }))
}
