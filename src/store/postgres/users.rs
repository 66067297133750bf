//! Users and their primary email: one user per email is the email's unique index, claimed with
//! `ON CONFLICT DO NOTHING` (a second sign-up of the same email waits for the first and then
//! finds it taken).

use async_trait::async_trait;
use sqlx::Row;

use super::{db, id_at, PostgresStore, Tx};
use crate::{
    domain::{
        ids::new_row_id,
        ports::{NewUser, UserListRow, UserRecord, Users},
        secret::Secret,
        Timestamp,
    },
    model::{AuthError, SessionId, UserId},
};

impl PostgresStore {
    /// Inserts the user and its primary email in `tx`; `false` when the email is taken (the
    /// caller then drops `tx`, which rolls the user back).
    pub(super) async fn insert_user(
        tx: &mut Tx<'_>,
        id: &UserId,
        user: &NewUser<'_>,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        sqlx::query(
            "INSERT INTO users (id, first_name, last_name, password_hash, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id.as_str())
        .bind(user.first_name)
        .bind(user.last_name)
        .bind(user.password_hash.map(Secret::expose))
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO email_addresses (id, user_id, email, verified, is_primary, created_at)
             VALUES ($1, $2, $3, TRUE, TRUE, $4)
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(new_row_id("idn"))
        .bind(id.as_str())
        .bind(user.email)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        Ok(inserted.rows_affected() == 1)
    }
}

/// A user as sign-in needs it, from a row with `id`, `email`, `password_hash` and
/// `second_factor_enabled`.
pub(super) fn user_record(row: &sqlx::postgres::PgRow) -> Result<UserRecord, sqlx::Error> {
    Ok(UserRecord {
        id: id_at(row, "id")?,
        email: row.try_get("email")?,
        password_hash: row
            .try_get::<Option<String>, _>("password_hash")?
            .map(Secret::new),
        second_factor_enabled: row.try_get("second_factor_enabled")?,
    })
}

#[async_trait]
impl Users for PostgresStore {
    async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRecord>, AuthError> {
        let row = sqlx::query(
            "SELECT u.id, e.email, u.password_hash, u.second_factor_enabled
             FROM email_addresses e JOIN users u ON u.id = e.user_id
             WHERE e.email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(user_record).transpose().map_err(db)
    }

    async fn create_user(
        &self,
        user: NewUser<'_>,
        now: Timestamp,
    ) -> Result<Option<UserId>, AuthError> {
        let _touched = self.touched();
        let id: UserId = crate::domain::ids::new_id();
        let mut tx = self.begin().await?;
        if !Self::insert_user(&mut tx, &id, &user, now).await? {
            return Ok(None);
        }
        tx.commit().await.map_err(db)?;
        Ok(Some(id))
    }

    async fn list_users(&self) -> Result<Vec<UserListRow>, AuthError> {
        let rows = sqlx::query(
            "SELECT u.id, e.email, u.first_name, u.last_name, u.created_at
             FROM users u JOIN email_addresses e ON e.user_id = u.id AND e.is_primary
             ORDER BY u.created_at, u.id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|row| {
                Ok(UserListRow {
                    id: id_at(&row, "id")?,
                    email: row.try_get("email")?,
                    first_name: row.try_get("first_name")?,
                    last_name: row.try_get("last_name")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db)
    }

    async fn password_hash(&self, user_id: &UserId) -> Result<Option<Secret<String>>, AuthError> {
        sqlx::query_scalar::<_, Option<String>>("SELECT password_hash FROM users WHERE id = $1")
            .bind(user_id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map(|hash| hash.flatten().map(Secret::new))
            .map_err(db)
    }

    async fn replace_password(
        &self,
        user_id: &UserId,
        hash: &Secret<String>,
        keep: Option<&SessionId>,
        end_other_sessions: bool,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, password_reset_required = FALSE, updated_at = $2
             WHERE id = $3",
        )
        .bind(hash.expose())
        .bind(now)
        .bind(user_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if end_other_sessions {
            sqlx::query(
                "UPDATE sessions SET ended_at = $1
                 WHERE user_id = $2 AND id IS DISTINCT FROM $3 AND ended_at IS NULL",
            )
            .bind(now)
            .bind(user_id.as_str())
            .bind(keep.map(SessionId::as_str))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn require_password_reset(
        &self,
        user_id: &UserId,
        end_sessions: bool,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE users SET password_reset_required = TRUE, updated_at = $1 WHERE id = $2",
        )
        .bind(now)
        .bind(user_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if end_sessions {
            sqlx::query(
                "UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL",
            )
            .bind(now)
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn update_name(
        &self,
        user_id: &UserId,
        first_name: Option<&str>,
        last_name: Option<&str>,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let _touched = self.touched();
        sqlx::query(
            "UPDATE users SET first_name = $1, last_name = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(first_name)
        .bind(last_name)
        .bind(now)
        .bind(user_id.as_str())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn delete_user(&self, user_id: &UserId) -> Result<bool, AuthError> {
        let _touched = self.touched();
        // Sessions, emails, factors, memberships and links go by ON DELETE CASCADE.
        let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id.as_str())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(deleted.rows_affected() == 1)
    }
}
