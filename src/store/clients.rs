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

impl Store {
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

impl Store {
    /// Ends every live session of `user_id` except `keep` (password reset, operator actions).
    /// Returns how many ended.
    pub async fn end_user_sessions(
        &self,
        user_id: &str,
        keep: Option<&str>,
        now: Timestamp,
    ) -> Result<u64, AuthError> {
        let result = sqlx::query(
            "UPDATE sessions SET ended_at = ?
             WHERE user_id = ? AND ended_at IS NULL AND id IS NOT ?",
        )
        .bind(now)
        .bind(user_id)
        .bind(keep)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected())
    }

    /// Whether this browser ever held a session of `user_id` (client trust).
    pub async fn client_has_held_session(
        &self,
        client_id: &str,
        user_id: &str,
    ) -> Result<bool, AuthError> {
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE client_id = ? AND user_id = ?)",
        )
        .bind(client_id)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db)
    }

    /// Ends one session (operator revoke). `false` when no live session has that id.
    pub async fn end_session(&self, session_id: &str, now: Timestamp) -> Result<bool, AuthError> {
        let result =
            sqlx::query("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL")
                .bind(now)
                .bind(session_id)
                .execute(&self.pool)
                .await
                .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }
}
