use sqlx::Row;

use super::{db, is_unique_violation, SignUpRecord, Store};
use crate::{
    domain::{ids::new_id, Timestamp},
    model::AuthError,
};

/// A user as sign-in needs it.
#[derive(Clone, Debug)]
pub struct UserRecord {
    /// `user_…`
    pub id: String,
    /// Primary email.
    pub email: String,
    /// argon2 PHC string, when the user has a password.
    pub password_hash: Option<String>,
    /// The user has a verified second factor (TOTP).
    pub second_factor_enabled: bool,
}

/// A row of `gatehouse user list`.
#[derive(Clone, Debug)]
pub struct UserListRow {
    /// `user_…`
    pub id: String,
    /// Primary email.
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// What a new user is made of.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    /// Normalised email (verified).
    pub email: &'a str,
    /// argon2 PHC string.
    pub password_hash: &'a str,
    /// First name.
    pub first_name: Option<&'a str>,
    /// Last name.
    pub last_name: Option<&'a str>,
}

impl Store {
    /// Finds a user by normalised email.
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRecord>, AuthError> {
        let row = sqlx::query(
            "SELECT u.id, e.email, u.password_hash, u.second_factor_enabled
             FROM email_addresses e JOIN users u ON u.id = e.user_id
             WHERE e.email = ?",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| -> Result<UserRecord, sqlx::Error> {
            Ok(UserRecord {
                id: row.try_get("id")?,
                email: row.try_get("email")?,
                password_hash: row.try_get("password_hash")?,
                second_factor_enabled: row.try_get("second_factor_enabled")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    /// Creates a user with a verified primary email; `None` when the email is taken.
    pub async fn create_user(
        &self,
        user: NewUser<'_>,
        now: Timestamp,
    ) -> Result<Option<String>, AuthError> {
        let id = new_id("user");
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO users (id, first_name, last_name, password_hash, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(user.first_name)
        .bind(user.last_name)
        .bind(user.password_hash)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO email_addresses (id, user_id, email, verified, is_primary, created_at)
             VALUES (?, ?, ?, 1, 1, ?)",
        )
        .bind(new_id("idn"))
        .bind(&id)
        .bind(user.email)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => return Ok(None),
            Err(error) => return Err(db(error)),
        }
        tx.commit().await.map_err(db)?;
        Ok(Some(id))
    }

    /// Creates the user of a complete sign-up and marks the attempt as used, atomically.
    pub async fn create_user_from_sign_up(
        &self,
        record: &SignUpRecord,
        now: Timestamp,
    ) -> Result<Option<String>, AuthError> {
        let Some(user_id) = self
            .create_user(
                NewUser {
                    email: &record.email,
                    password_hash: &record.password_hash,
                    first_name: record.first_name.as_deref(),
                    last_name: record.last_name.as_deref(),
                },
                now,
            )
            .await?
        else {
            return Ok(None);
        };
        sqlx::query("UPDATE sign_up_attempts SET created_user_id = ?, updated_at = ? WHERE id = ?")
            .bind(&user_id)
            .bind(now)
            .bind(&record.id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(Some(user_id))
    }

    /// Every user, oldest first.
    pub async fn list_users(&self) -> Result<Vec<UserListRow>, AuthError> {
        let rows = sqlx::query(
            "SELECT u.id, e.email, u.first_name, u.last_name, u.created_at
             FROM users u JOIN email_addresses e ON e.user_id = u.id AND e.is_primary = 1
             ORDER BY u.created_at, u.id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|row| {
                Ok(UserListRow {
                    id: row.try_get("id")?,
                    email: row.try_get("email")?,
                    first_name: row.try_get("first_name")?,
                    last_name: row.try_get("last_name")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db)
    }
}
