//! Sign-up and sign-in attempts: states stored as `jsonb` (the domain's serialization, never
//! interpreted here; PostgreSQL may normalise its spacing), every transition a compare-and-swap
//! on `version`, second-factor tries counted in one statement.

use async_trait::async_trait;
use sqlx::Row;

use super::{
    codes::{code_from_row, write_code},
    count_at, db, id_at, optional_id_at, PostgresStore,
};
use crate::{
    domain::{
        ports::{
            Attempts, CodeKey, ExternalIdentity, NewUser, SignUpRecord, StoredSignIn, UserCreation,
        },
        secret::Secret,
        Timestamp,
    },
    model::{AuthError, ClientId, SignInId, SignUpId, UserId},
};

/// Moves a sign-up to `state` if it is still at `version` (compare-and-swap); `false` when
/// another request moved it first.
async fn move_sign_up<'c>(
    executor: impl sqlx::PgExecutor<'c>,
    id: &SignUpId,
    version: i64,
    state: &str,
    now: Timestamp,
) -> Result<bool, AuthError> {
    let moved = sqlx::query(
        "UPDATE sign_up_attempts SET state = $1::jsonb, version = version + 1, updated_at = $2
         WHERE id = $3 AND version = $4",
    )
    .bind(state)
    .bind(now)
    .bind(id.as_str())
    .bind(version)
    .execute(executor)
    .await
    .map_err(db)?;
    Ok(moved.rows_affected() == 1)
}

fn identity_json(identity: Option<&ExternalIdentity>) -> Result<Option<String>, AuthError> {
    identity
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| crate::domain::internal("external identity not serializable", e))
}

#[async_trait]
impl Attempts for PostgresStore {
    async fn insert_sign_up(&self, record: &SignUpRecord, now: Timestamp) -> Result<(), AuthError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO sign_up_attempts (id, client_id, email, password_hash, first_name,
                 last_name, state, version, existing_user_id, external_identity, created_at,
                 updated_at, abandon_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10::jsonb, $11, $11, $12)",
        )
        .bind(record.id.as_str())
        .bind(record.client_id.as_str())
        .bind(&record.email)
        .bind(record.password_hash.as_ref().map(Secret::expose))
        .bind(&record.first_name)
        .bind(&record.last_name)
        .bind(&record.state)
        .bind(record.version)
        .bind(record.existing_user_id.as_ref().map(UserId::as_str))
        .bind(identity_json(record.external_identity.as_ref())?)
        .bind(now)
        .bind(record.abandon_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        write_code(&mut tx, CodeKey::sign_up(&record.id), &record.code).await?;
        tx.commit().await.map_err(db)
    }

    async fn latest_sign_up(
        &self,
        client_id: &ClientId,
    ) -> Result<Option<SignUpRecord>, AuthError> {
        let row = sqlx::query(
            "SELECT a.id, a.client_id, a.email, a.password_hash, a.first_name, a.last_name,
                    a.state::text AS state, a.version, a.existing_user_id,
                    a.external_identity::text AS external_identity, a.abandon_at,
                    c.code_hash, c.failed_attempts, c.sent_at, c.expires_at, c.consumed, c.resends
             FROM sign_up_attempts a
             JOIN verification_codes c ON c.attempt_id = a.id AND c.purpose = $1
             WHERE a.client_id = $2
             ORDER BY a.created_at DESC, a.seq DESC LIMIT 1",
        )
        .bind(crate::domain::ports::CodePurpose::SignUpEmail.as_str())
        .bind(client_id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let parse = || -> Result<SignUpRecord, sqlx::Error> {
            Ok(SignUpRecord {
                id: id_at(&row, "id")?,
                client_id: id_at(&row, "client_id")?,
                email: row.try_get("email")?,
                password_hash: row
                    .try_get::<Option<String>, _>("password_hash")?
                    .map(Secret::new),
                first_name: row.try_get("first_name")?,
                last_name: row.try_get("last_name")?,
                state: row.try_get("state")?,
                version: row.try_get("version")?,
                existing_user_id: optional_id_at(&row, "existing_user_id")?,
                external_identity: row
                    .try_get::<Option<String>, _>("external_identity")?
                    .map(|json| serde_json::from_str(&json))
                    .transpose()
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                abandon_at: row.try_get("abandon_at")?,
                code: code_from_row(&row)?,
            })
        };
        parse().map(Some).map_err(db)
    }

    async fn save_sign_up(
        &self,
        id: &SignUpId,
        version: i64,
        state: &str,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        move_sign_up(&self.pool, id, version, state, now).await
    }

    async fn create_user_from_sign_up(
        &self,
        record: &SignUpRecord,
        user_id: &UserId,
        state: &str,
        now: Timestamp,
    ) -> Result<UserCreation, AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        if !move_sign_up(&mut *tx, &record.id, record.version, state, now).await? {
            return Ok(UserCreation::AttemptMoved);
        }
        let user = NewUser {
            email: &record.email,
            password_hash: record.password_hash.as_ref(),
            first_name: record.first_name.as_deref(),
            last_name: record.last_name.as_deref(),
        };
        if !Self::insert_user(&mut tx, user_id, &user, now).await? {
            return Ok(UserCreation::EmailTaken);
        }
        if let Some(identity) = &record.external_identity {
            if !super::external_accounts::insert_link(&mut tx, user_id, identity, now).await? {
                // Linked to someone else meanwhile: the whole creation is undone.
                return Ok(UserCreation::AttemptMoved);
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(UserCreation::Created)
    }

    async fn insert_sign_in(
        &self,
        attempt: &StoredSignIn,
        client_id: &ClientId,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        sqlx::query(
            "INSERT INTO sign_in_attempts (id, client_id, state, version, created_at, expires_at)
             VALUES ($1, $2, $3::jsonb, $4, $5, $6)",
        )
        .bind(attempt.id.as_str())
        .bind(client_id.as_str())
        .bind(&attempt.state)
        .bind(attempt.version)
        .bind(now)
        .bind(attempt.expires_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn current_sign_in(
        &self,
        client_id: &ClientId,
        now: Timestamp,
    ) -> Result<Option<StoredSignIn>, AuthError> {
        let row = sqlx::query(
            "SELECT id, state::text AS state, version, expires_at FROM sign_in_attempts
             WHERE client_id = $1 AND finalized_at IS NULL AND expires_at > $2
             ORDER BY created_at DESC, seq DESC LIMIT 1",
        )
        .bind(client_id.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| -> Result<StoredSignIn, sqlx::Error> {
            Ok(StoredSignIn {
                id: id_at(&row, "id")?,
                state: row.try_get("state")?,
                version: row.try_get("version")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    async fn save_sign_in(
        &self,
        id: &SignInId,
        version: i64,
        state: &str,
    ) -> Result<bool, AuthError> {
        let updated = sqlx::query(
            "UPDATE sign_in_attempts SET state = $1::jsonb, version = version + 1
             WHERE id = $2 AND version = $3 AND finalized_at IS NULL",
        )
        .bind(state)
        .bind(id.as_str())
        .bind(version)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn claim_sign_in(
        &self,
        id: &SignInId,
        version: i64,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let updated = sqlx::query(
            "UPDATE sign_in_attempts SET finalized_at = $1, version = version + 1
             WHERE id = $2 AND version = $3 AND finalized_at IS NULL",
        )
        .bind(now)
        .bind(id.as_str())
        .bind(version)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn reserve_sign_in_try(
        &self,
        id: &SignInId,
        max_tries: u32,
    ) -> Result<Option<u32>, AuthError> {
        let row = sqlx::query(
            "UPDATE sign_in_attempts SET code_tries = code_tries + 1
             WHERE id = $1 AND code_tries < $2 AND finalized_at IS NULL
             RETURNING code_tries",
        )
        .bind(id.as_str())
        .bind(i64::from(max_tries))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| count_at(&row, "code_tries"))
            .transpose()
            .map_err(db)
    }
}
