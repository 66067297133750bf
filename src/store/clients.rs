use sqlx::Row;

use super::{db, Store};
use crate::{
    domain::{ids::new_id, Timestamp},
    model::AuthError,
};

/// The live session of a resolved client.
#[derive(Clone, Debug)]
pub struct ResolvedSession {
    /// `sess_…`
    pub session_id: String,
    /// `user_…`
    pub user_id: String,
    /// Primary email.
    pub email_address: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Flag set by an operator or a breach check.
    pub password_reset_required: bool,
    /// The user has a second factor.
    pub second_factor_enabled: bool,
    /// Active organization (only while the user is still a member).
    pub active_org_id: Option<String>,
    /// Its slug.
    pub active_org_slug: Option<String>,
    /// The user's role in it.
    pub active_org_role: Option<String>,
    /// When the first factor was verified.
    pub first_factor_at: Option<Timestamp>,
    /// When the second factor was verified.
    pub second_factor_at: Option<Timestamp>,
}

/// A client and its current session, if live.
#[derive(Clone, Debug)]
pub struct ResolvedClientRow {
    /// `client_…`
    pub client_id: String,
    /// The current session, unless ended or expired.
    pub session: Option<ResolvedSession>,
}

/// The per-request resolution query: client → current live session → user → primary email →
/// active membership (only while the user is still a member) → organization.
macro_rules! resolve_sql {
    ($where:literal) => {
        concat!(
            "SELECT c.id AS client_id, s.id AS session_id, s.user_id,
                    s.first_factor_at, s.second_factor_at,
                    u.first_name, u.last_name, u.password_reset_required, u.second_factor_enabled,
                    e.email, m.organization_id AS org_id, m.role AS org_role, o.slug AS org_slug
             FROM clients c
             LEFT JOIN sessions s ON s.id = c.current_session_id
                  AND s.ended_at IS NULL AND s.expires_at > ?
             LEFT JOIN users u ON u.id = s.user_id
             LEFT JOIN email_addresses e ON e.user_id = u.id AND e.is_primary = 1
             LEFT JOIN memberships m ON m.organization_id = s.active_org_id AND m.user_id = s.user_id
             LEFT JOIN organizations o ON o.id = m.organization_id
             WHERE ",
            $where
        )
    };
}

impl Store {
    /// One indexed query: token hash → client and its live session, user and active membership.
    pub async fn resolve_client(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<ResolvedClientRow>, AuthError> {
        let row = sqlx::query(resolve_sql!("c.token_hash = ?"))
            .bind(now)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|row| parse_resolved(&row)).transpose().map_err(db)
    }

    /// The same resolution by client id (after a change made during this request).
    pub async fn resolve_client_by_id(
        &self,
        client_id: &str,
        now: Timestamp,
    ) -> Result<Option<ResolvedClientRow>, AuthError> {
        let row = sqlx::query(resolve_sql!("c.id = ?"))
            .bind(now)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|row| parse_resolved(&row)).transpose().map_err(db)
    }

    /// Registers a new browser client.
    pub async fn create_client(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<String, AuthError> {
        let id = new_id("client");
        sqlx::query(
            "INSERT INTO clients (id, token_hash, created_at, rotated_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(token_hash)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(id)
    }

    /// Creates a session, ends the client's previous one, makes the new one current and
    /// rotates the client's token — one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_session(
        &self,
        client_id: &str,
        user_id: &str,
        new_token_hash: &[u8],
        first_factor_at: Timestamp,
        second_factor_at: Option<Timestamp>,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<String, AuthError> {
        let id = new_id("sess");
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE sessions SET ended_at = ? WHERE client_id = ? AND ended_at IS NULL")
            .bind(now)
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        // The new session starts in the organization the user last had active, if still a member.
        sqlx::query(
            "INSERT INTO sessions (id, client_id, user_id, active_org_id, first_factor_at, second_factor_at, created_at, expires_at)
             VALUES (?, ?, ?, (SELECT m.organization_id FROM users u
                               JOIN memberships m ON m.organization_id = u.last_active_org_id AND m.user_id = u.id
                               WHERE u.id = ?), ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(client_id)
        .bind(user_id)
        .bind(user_id)
        .bind(first_factor_at)
        .bind(second_factor_at)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("UPDATE clients SET current_session_id = ?, token_hash = ?, rotated_at = ? WHERE id = ?")
            .bind(&id)
            .bind(new_token_hash)
            .bind(now)
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    /// Ends the client's current session.
    pub async fn end_current_session(
        &self,
        client_id: &str,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "UPDATE sessions SET ended_at = ?
             WHERE id = (SELECT current_session_id FROM clients WHERE id = ?) AND ended_at IS NULL",
        )
        .bind(now)
        .bind(client_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("UPDATE clients SET current_session_id = NULL WHERE id = ?")
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }
}

fn parse_resolved(row: &sqlx::sqlite::SqliteRow) -> Result<ResolvedClientRow, sqlx::Error> {
    let session_id: Option<String> = row.try_get("session_id")?;
    let email: Option<String> = row.try_get("email")?;
    let session = match (session_id, email) {
        (Some(session_id), Some(email_address)) => Some(ResolvedSession {
            session_id,
            user_id: row.try_get("user_id")?,
            email_address,
            first_name: row.try_get("first_name")?,
            last_name: row.try_get("last_name")?,
            password_reset_required: row.try_get("password_reset_required")?,
            second_factor_enabled: row.try_get("second_factor_enabled")?,
            active_org_id: row.try_get("org_id")?,
            active_org_slug: row.try_get("org_slug")?,
            active_org_role: row.try_get("org_role")?,
            first_factor_at: row.try_get("first_factor_at")?,
            second_factor_at: row.try_get("second_factor_at")?,
        }),
        _ => None,
    };
    Ok(ResolvedClientRow {
        client_id: row.try_get("client_id")?,
        session,
    })
}
