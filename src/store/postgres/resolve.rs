//! The per-request auth query: client → its live sessions (most recently current first) → user
//! → primary email → active membership (only while the user is still a member) →
//! organization. One indexed query through the pool; the store keeps its answers in the
//! one-second cache of `auth_cache.rs`, which hears of every instance's writes.

use sqlx::{postgres::PgRow, PgPool, Row};

use crate::{
    domain::{
        ports::{ResolvedClientRow, ResolvedSession},
        Timestamp,
    },
    model::{ClientId, OrgId, SessionId, UserId},
};

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

/// Resolves a client and its live sessions at `now`.
pub(super) async fn resolve(
    pool: &PgPool,
    key: ClientKey<'_>,
    now: Timestamp,
) -> Result<Option<ResolvedClientRow>, sqlx::Error> {
    let query = match key {
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
    let rows = query.fetch_all(pool).await?;
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
