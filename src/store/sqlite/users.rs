use async_trait::async_trait;
use sqlx::Row;

use super::{db, id_at, is_unique_violation, SqliteStore};
use crate::{
    domain::{
        ids::new_row_id,
        ports::{NewUser, UserListRow, UserRecord, Users},
        secret::Secret,
        Timestamp,
    },
    model::{AuthError, SessionId, UserId},
};

impl SqliteStore {
    /// Inserts the user and its primary email in `tx`; `false` when the email is taken.
    pub(super) async fn insert_user(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        id: &UserId,
        user: &NewUser<'_>,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        sqlx::query(
            "INSERT INTO users (id, first_name, last_name, password_hash, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id.as_str())
        .bind(user.first_name)
        .bind(user.last_name)
        .bind(user.password_hash.map(Secret::expose))
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO email_addresses (id, user_id, email, verified, is_primary, created_at)
             VALUES (?, ?, ?, 1, 1, ?)",
        )
        .bind(new_row_id("idn"))
        .bind(id.as_str())
        .bind(user.email)
        .bind(now)
        .execute(&mut **tx)
        .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(error) if is_unique_violation(&error) => Ok(false),
            Err(error) => Err(db(error)),
        }
    }
}

#[async_trait]
impl Users for SqliteStore {
    async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRecord>, AuthError> {
        let row = sqlx::query(
            "SELECT u.id, e.email, u.password_hash, u.second_factor_enabled
             FROM email_addresses e JOIN users u ON u.id = e.user_id
             WHERE e.email = ?",
        )
        .bind(email)
        .fetch_optional(self.read())
        .await
        .map_err(db)?;
        row.map(|row| -> Result<UserRecord, sqlx::Error> {
            Ok(UserRecord {
                id: id_at(&row, "id")?,
                email: row.try_get("email")?,
                password_hash: row
                    .try_get::<Option<String>, _>("password_hash")?
                    .map(Secret::new),
                second_factor_enabled: row.try_get("second_factor_enabled")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    async fn create_user(
        &self,
        user: NewUser<'_>,
        now: Timestamp,
    ) -> Result<Option<UserId>, AuthError> {
        let id: UserId = crate::domain::ids::new_id();
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        if !Self::insert_user(&mut tx, &id, &user, now).await? {
            return Ok(None);
        }
        tx.commit().await.map_err(db)?;
        Ok(Some(id))
    }

    async fn list_users(&self) -> Result<Vec<UserListRow>, AuthError> {
        let rows = sqlx::query(
            "SELECT u.id, e.email, u.first_name, u.last_name, u.created_at
             FROM users u JOIN email_addresses e ON e.user_id = u.id AND e.is_primary = 1
             ORDER BY u.created_at, u.id",
        )
        .fetch_all(self.read())
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
        sqlx::query_scalar::<_, Option<String>>("SELECT password_hash FROM users WHERE id = ?")
            .bind(user_id.as_str())
            .fetch_optional(self.read())
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
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        sqlx::query("UPDATE users SET password_hash = ?, password_reset_required = 0, updated_at = ? WHERE id = ?")
            .bind(hash.expose())
            .bind(now)
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if end_other_sessions {
            sqlx::query("UPDATE sessions SET ended_at = ? WHERE user_id = ? AND id IS NOT ? AND ended_at IS NULL")
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
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        sqlx::query("UPDATE users SET password_reset_required = 1, updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if end_sessions {
            sqlx::query("UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL")
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
        sqlx::query("UPDATE users SET first_name = ?, last_name = ?, updated_at = ? WHERE id = ?")
            .bind(first_name)
            .bind(last_name)
            .bind(now)
            .bind(user_id.as_str())
            .execute(&*self.write())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_user(&self, user_id: &UserId) -> Result<bool, AuthError> {
        // Sessions, emails, factors, memberships and links go by ON DELETE CASCADE.
        let deleted = sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(user_id.as_str())
            .execute(&*self.write())
            .await
            .map_err(db)?;
        Ok(deleted.rows_affected() == 1)
    }
}
