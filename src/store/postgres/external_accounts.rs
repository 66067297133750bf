//! External (SSO) accounts: links from an identity at a provider to a user. One identity is
//! linked once (its unique index, `ON CONFLICT DO NOTHING`); an unlink locks the user's row, so
//! two parallel unlinks cannot remove their last two ways in.

use async_trait::async_trait;
use sqlx::Row;

use super::{db, users::user_record, PostgresStore, Tx};
use crate::{
    domain::{
        ids::new_row_id,
        ports::{
            ExternalAccountRow, ExternalAccounts, ExternalIdentity, NewUser, Unlink, UserCreation,
            UserRecord,
        },
        Timestamp,
    },
    model::{AuthError, SignInId, UserId},
};

/// Moves the attempt to `state` if it is still at `version` (inside the caller's transaction).
async fn move_attempt(tx: &mut Tx<'_>, attempt: (&SignInId, i64, &str)) -> Result<bool, AuthError> {
    let (id, version, state) = attempt;
    let updated = sqlx::query(
        "UPDATE sign_in_attempts SET state = $1::jsonb, version = version + 1
         WHERE id = $2 AND version = $3 AND finalized_at IS NULL",
    )
    .bind(state)
    .bind(id.as_str())
    .bind(version)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(updated.rows_affected() == 1)
}

/// Inserts the link; `false` when the identity is already linked (to anyone).
pub(super) async fn insert_link(
    tx: &mut Tx<'_>,
    user_id: &UserId,
    identity: &ExternalIdentity,
    now: Timestamp,
) -> Result<bool, AuthError> {
    let inserted = sqlx::query(
        "INSERT INTO external_accounts (id, user_id, provider, subject, email, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (provider, subject) DO NOTHING",
    )
    .bind(new_row_id("eac"))
    .bind(user_id.as_str())
    .bind(&identity.provider)
    .bind(&identity.subject)
    .bind(&identity.email)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(inserted.rows_affected() == 1)
}

#[async_trait]
impl ExternalAccounts for PostgresStore {
    async fn find_user_by_external_account(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<UserRecord>, AuthError> {
        let row = sqlx::query(
            "SELECT u.id, e.email, u.password_hash, u.second_factor_enabled
             FROM external_accounts x
             JOIN users u ON u.id = x.user_id
             JOIN email_addresses e ON e.user_id = u.id AND e.is_primary
             WHERE x.provider = $1 AND x.subject = $2",
        )
        .bind(provider)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(user_record).transpose().map_err(db)
    }

    async fn link_external_account(
        &self,
        user_id: &UserId,
        identity: &ExternalIdentity,
        attempt: (&SignInId, i64, &str),
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        if !move_attempt(&mut tx, attempt).await? {
            return Ok(false);
        }
        // Already linked (to this user: the caller found it by email, and an identity linked to
        // another user is found by subject first) is fine.
        insert_link(&mut tx, user_id, identity, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn create_user_from_identity(
        &self,
        user_id: &UserId,
        identity: &ExternalIdentity,
        attempt: (&SignInId, i64, &str),
        now: Timestamp,
    ) -> Result<UserCreation, AuthError> {
        let _touched = self.touched();
        let Some(email) = identity.email.as_deref() else {
            return Err(AuthError::param_missing("email_address"));
        };
        let mut tx = self.begin().await?;
        if !move_attempt(&mut tx, attempt).await? {
            return Ok(UserCreation::AttemptMoved);
        }
        let user = NewUser {
            email,
            password_hash: None,
            first_name: identity.first_name.as_deref(),
            last_name: identity.last_name.as_deref(),
        };
        if !Self::insert_user(&mut tx, user_id, &user, now).await? {
            return Ok(UserCreation::EmailTaken);
        }
        if !insert_link(&mut tx, user_id, identity, now).await? {
            // Linked to someone else meanwhile: the whole creation is undone.
            return Ok(UserCreation::AttemptMoved);
        }
        tx.commit().await.map_err(db)?;
        Ok(UserCreation::Created)
    }

    async fn list_external_accounts(
        &self,
        user_id: &UserId,
    ) -> Result<Vec<ExternalAccountRow>, AuthError> {
        let rows = sqlx::query(
            "SELECT id, provider, subject, email, created_at FROM external_accounts
             WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user_id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|row| {
                Ok(ExternalAccountRow {
                    id: row.try_get("id")?,
                    provider: row.try_get("provider")?,
                    subject: row.try_get("subject")?,
                    email: row.try_get("email")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db)
    }

    async fn unlink_external_account(
        &self,
        user_id: &UserId,
        id: &str,
    ) -> Result<Unlink, AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        // The user's row first: a parallel unlink waits here, then counts what this one left.
        sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let deleted = sqlx::query(
            "DELETE FROM external_accounts
             WHERE id = $1 AND user_id = $2
               AND ((SELECT password_hash IS NOT NULL FROM users WHERE id = $2)
                    OR (SELECT COUNT(*) FROM external_accounts WHERE user_id = $2) > 1)",
        )
        .bind(id)
        .bind(user_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if deleted.rows_affected() == 1 {
            tx.commit().await.map_err(db)?;
            return Ok(Unlink::Removed);
        }
        let exists = sqlx::query("SELECT 1 FROM external_accounts WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .is_some();
        Ok(if exists {
            Unlink::LastWayToSignIn
        } else {
            Unlink::NotFound
        })
    }
}
