//! Browsers and their sessions. Every change to which sessions a client holds, and which one is
//! current, first locks the client's row: the statements after the lock see every such change
//! committed before it, as SQLite's one writer would.

use async_trait::async_trait;
use sqlx::Row;

use super::{
    auth_cache::Lookup,
    db,
    resolve::{resolve, ClientKey},
    PostgresStore, Tx,
};
use crate::{
    domain::{
        ids::new_id,
        ports::{
            ClientActivity, Clients, NewSession, ResolvedClientRow, UserSessionRow, VerifiedFactor,
        },
        Timestamp,
    },
    model::{AuthError, ClientId, SessionId, UserId},
};

/// Locks the client's row until the transaction ends.
async fn lock_client(tx: &mut Tx<'_>, client_id: &str) -> Result<(), AuthError> {
    sqlx::query("SELECT 1 FROM clients WHERE id = $1 FOR UPDATE")
        .bind(client_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

/// Ends every live session of the client (a single-session sign-in, sign out of all accounts).
async fn end_sessions_of_client(
    tx: &mut Tx<'_>,
    client_id: &str,
    now: Timestamp,
) -> Result<(), AuthError> {
    sqlx::query("UPDATE sessions SET ended_at = $1 WHERE client_id = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(client_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

#[async_trait]
impl Clients for PostgresStore {
    async fn create_client(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<ClientId, AuthError> {
        let id: ClientId = new_id();
        sqlx::query(
            "INSERT INTO clients (id, token_hash, created_at, rotated_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(id.as_str())
        .bind(token_hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(id)
    }

    async fn create_session(
        &self,
        session: NewSession<'_>,
        now: Timestamp,
    ) -> Result<SessionId, AuthError> {
        let _touched = self.touched();
        let (client_id, user_id) = (session.client_id.as_str(), session.user_id.as_str());
        let mut tx = self.begin().await?;
        // Rotating the token locks the client's row first: two sign-ins on one client cannot
        // both miss the session the other creates.
        sqlx::query("UPDATE clients SET token_hash = $1, rotated_at = $2 WHERE id = $3")
            .bind(session.new_token_hash)
            .bind(now)
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        // Multi-session: the user's live session on this client, signed in again, is reused.
        let existing: Option<String> = if session.keep_other_sessions {
            sqlx::query_scalar(
                "SELECT id FROM sessions
                 WHERE client_id = $1 AND user_id = $2 AND ended_at IS NULL AND expires_at > $3
                 ORDER BY activated_at DESC NULLS LAST LIMIT 1",
            )
            .bind(client_id)
            .bind(user_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
        } else {
            end_sessions_of_client(&mut tx, client_id, now).await?;
            None
        };
        let id = match existing {
            Some(id) => {
                sqlx::query(
                    "UPDATE sessions SET first_factor_at = $1, second_factor_at = $2, activated_at = $3
                     WHERE id = $4",
                )
                .bind(session.first_factor_at)
                .bind(session.second_factor_at)
                .bind(now)
                .bind(&id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                SessionId::new(id)
            }
            None => {
                let id: SessionId = new_id();
                // The new session starts in the organization the user last had active, if
                // still a member.
                sqlx::query(
                    "INSERT INTO sessions (id, client_id, user_id, active_org_id, first_factor_at,
                         second_factor_at, created_at, expires_at, activated_at)
                     VALUES ($1, $2, $3, (SELECT m.organization_id FROM users u
                                          JOIN memberships m ON m.organization_id = u.last_active_org_id
                                                            AND m.user_id = u.id
                                          WHERE u.id = $3), $4, $5, $6, $7, $6)",
                )
                .bind(id.as_str())
                .bind(client_id)
                .bind(user_id)
                .bind(session.first_factor_at)
                .bind(session.second_factor_at)
                .bind(now)
                .bind(session.expires_at)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                id
            }
        };
        sqlx::query("UPDATE clients SET current_session_id = $1 WHERE id = $2")
            .bind(id.as_str())
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    async fn set_current_session(
        &self,
        client_id: &ClientId,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        lock_client(&mut tx, client_id.as_str()).await?;
        let activated = sqlx::query(
            "UPDATE sessions SET activated_at = $1
             WHERE id = $2 AND client_id = $3 AND ended_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(session_id.as_str())
        .bind(client_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if activated.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE clients SET current_session_id = $1 WHERE id = $2")
            .bind(session_id.as_str())
            .bind(client_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn end_client_session(
        &self,
        client_id: &ClientId,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        lock_client(&mut tx, client_id.as_str()).await?;
        let ended = sqlx::query(
            "UPDATE sessions SET ended_at = $1
             WHERE id = $2 AND client_id = $3 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(session_id.as_str())
        .bind(client_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if ended.rows_affected() != 1 {
            return Ok(false);
        }
        // Only when it was current: the most recently current live session takes its place.
        sqlx::query(
            "UPDATE clients SET current_session_id =
                (SELECT id FROM sessions
                 WHERE client_id = $1 AND ended_at IS NULL AND expires_at > $2
                 ORDER BY activated_at DESC NULLS LAST, created_at DESC LIMIT 1)
             WHERE id = $1 AND current_session_id = $3",
        )
        .bind(client_id.as_str())
        .bind(now)
        .bind(session_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn end_client_sessions(
        &self,
        client_id: &ClientId,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        lock_client(&mut tx, client_id.as_str()).await?;
        end_sessions_of_client(&mut tx, client_id.as_str(), now).await?;
        sqlx::query("UPDATE clients SET current_session_id = NULL WHERE id = $1")
            .bind(client_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn end_user_sessions(
        &self,
        user_id: &UserId,
        keep: Option<&SessionId>,
        now: Timestamp,
    ) -> Result<u64, AuthError> {
        let _touched = self.touched();
        let result = sqlx::query(
            "UPDATE sessions SET ended_at = $1
             WHERE user_id = $2 AND ended_at IS NULL AND id IS DISTINCT FROM $3",
        )
        .bind(now)
        .bind(user_id.as_str())
        .bind(keep.map(SessionId::as_str))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected())
    }

    async fn end_session(&self, session_id: &SessionId, now: Timestamp) -> Result<bool, AuthError> {
        let _touched = self.touched();
        let result =
            sqlx::query("UPDATE sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
                .bind(now)
                .bind(session_id.as_str())
                .execute(&self.pool)
                .await
                .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }

    async fn mark_factor_verified(
        &self,
        session_id: &SessionId,
        factor: VerifiedFactor,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let _touched = self.touched();
        let sql = match factor {
            VerifiedFactor::First => "UPDATE sessions SET first_factor_at = $1 WHERE id = $2",
            VerifiedFactor::Second => "UPDATE sessions SET second_factor_at = $1 WHERE id = $2",
        };
        sqlx::query(sql)
            .bind(now)
            .bind(session_id.as_str())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn expire_factor_verification(
        &self,
        user_id: Option<&UserId>,
        session_id: Option<&SessionId>,
    ) -> Result<u64, AuthError> {
        let _touched = self.touched();
        // Verified "at the epoch": stale for every reverification level.
        let result = sqlx::query(
            "UPDATE sessions SET first_factor_at = 0, second_factor_at = 0
             WHERE ended_at IS NULL AND (user_id = $1 OR id = $2)",
        )
        .bind(user_id.map(UserId::as_str))
        .bind(session_id.map(SessionId::as_str))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected())
    }

    async fn prune_abandoned(
        &self,
        idle_since: Timestamp,
        now: Timestamp,
    ) -> Result<u64, AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        let mut removed = 0;
        for (sql, at) in [
            ("DELETE FROM sign_in_attempts WHERE expires_at <= $1", now),
            ("DELETE FROM sign_up_attempts WHERE abandon_at <= $1", now),
            ("DELETE FROM passkey_ceremonies WHERE expires_at <= $1", now),
            (
                "DELETE FROM verification_codes WHERE expires_at <= $1",
                idle_since,
            ),
        ] {
            let done = sqlx::query(sql)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            removed += done.rows_affected();
        }
        tx.commit().await.map_err(db)?;
        // A browser that never signed in: its cookie resolves to nothing from now on. A session
        // starting on it meanwhile rotates its token (`rotated_at`), which this statement checks
        // again on the row it waited for, so the browser then stays.
        let clients = sqlx::query(
            "DELETE FROM clients
             WHERE COALESCE(last_active_at, created_at) <= $1 AND rotated_at <= $1
               AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.client_id = clients.id)",
        )
        .bind(idle_since)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(removed + clients.rows_affected())
    }

    async fn client_has_held_session(
        &self,
        client_id: &ClientId,
        user_id: &UserId,
    ) -> Result<bool, AuthError> {
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE client_id = $1 AND user_id = $2)",
        )
        .bind(client_id.as_str())
        .bind(user_id.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(db)
    }

    async fn resolve_client(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<ResolvedClientRow>, AuthError> {
        let generation = match self.cache.lookup(token_hash, now) {
            Lookup::Hit(row) => return Ok(Some(*row)),
            Lookup::Miss(generation) => generation,
        };
        let row = resolve(
            &self.pool,
            &self.auth,
            ClientKey::TokenHash(token_hash),
            now,
        )
        .await
        .map_err(db)?;
        if let Some(row) = &row {
            self.cache.store(token_hash, now, generation, row);
        }
        Ok(row)
    }

    async fn resolve_client_by_id(
        &self,
        client_id: &ClientId,
        now: Timestamp,
    ) -> Result<Option<ResolvedClientRow>, AuthError> {
        resolve(
            &self.pool,
            &self.auth,
            ClientKey::Id(client_id.as_str()),
            now,
        )
        .await
        .map_err(db)
    }

    async fn resolve_client_of_session(
        &self,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<Option<ResolvedClientRow>, AuthError> {
        resolve(
            &self.pool,
            &self.auth,
            ClientKey::Session(session_id.as_str()),
            now,
        )
        .await
        .map_err(db)
    }

    async fn record_client_activity(
        &self,
        client_id: &ClientId,
        activity: &ClientActivity,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        sqlx::query(
            "UPDATE clients SET user_agent = $1, ip_address = $2, last_active_at = $3 WHERE id = $4",
        )
        .bind(activity.user_agent.as_deref())
        .bind(activity.ip_address.as_deref())
        .bind(now)
        .bind(client_id.as_str())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn list_user_sessions(
        &self,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<Vec<UserSessionRow>, AuthError> {
        let rows = sqlx::query(
            "SELECT s.id, s.client_id, s.created_at, c.user_agent, c.ip_address, c.last_active_at
             FROM sessions s JOIN clients c ON c.id = s.client_id
             WHERE s.user_id = $1 AND s.ended_at IS NULL AND s.expires_at > $2
             ORDER BY GREATEST(COALESCE(c.last_active_at, 0), s.created_at) DESC, s.id",
        )
        .bind(user_id.as_str())
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| -> Result<UserSessionRow, sqlx::Error> {
                Ok(UserSessionRow {
                    session_id: SessionId::new(row.try_get::<String, _>("id")?),
                    client_id: ClientId::new(row.try_get::<String, _>("client_id")?),
                    created_at: row.try_get("created_at")?,
                    user_agent: row.try_get("user_agent")?,
                    ip_address: row.try_get("ip_address")?,
                    last_active_at: row.try_get("last_active_at")?,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(db)
    }

    async fn end_session_of_user(
        &self,
        user_id: &UserId,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let _touched = self.touched();
        let result = sqlx::query(
            "UPDATE sessions SET ended_at = $1
             WHERE id = $2 AND user_id = $3 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(session_id.as_str())
        .bind(user_id.as_str())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }
}
