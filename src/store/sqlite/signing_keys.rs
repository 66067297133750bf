//! Session-token signing keys.

use async_trait::async_trait;
use sqlx::Row;

use super::{db, SqliteStore};
use crate::{
    domain::{
        ports::{SigningKeyRow, SigningKeys},
        secret::Secret,
        Timestamp,
    },
    model::AuthError,
};

async fn insert(
    executor: impl sqlx::SqliteExecutor<'_>,
    key: &SigningKeyRow,
) -> Result<u64, AuthError> {
    let result = sqlx::query(
        "INSERT INTO signing_keys (kid, private_key, modulus, exponent, created_at)
         SELECT ?, ?, ?, ?, ?
         WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)",
    )
    .bind(&key.kid)
    .bind(key.private_key.expose().as_slice())
    .bind(&key.modulus)
    .bind(&key.exponent)
    .bind(key.created_at)
    .execute(executor)
    .await
    .map_err(db)?;
    Ok(result.rows_affected())
}

#[async_trait]
impl SigningKeys for SqliteStore {
    async fn published_signing_keys(
        &self,
        now: Timestamp,
    ) -> Result<Vec<SigningKeyRow>, AuthError> {
        let rows = sqlx::query(
            "SELECT kid, private_key, modulus, exponent, created_at, retired_at FROM signing_keys
             WHERE retired_at IS NULL OR publish_until > ?
             ORDER BY retired_at IS NOT NULL, created_at DESC, kid",
        )
        .bind(now)
        .fetch_all(self.read())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| -> Result<SigningKeyRow, sqlx::Error> {
                Ok(SigningKeyRow {
                    kid: row.try_get("kid")?,
                    private_key: Secret::new(row.try_get("private_key")?),
                    modulus: row.try_get("modulus")?,
                    exponent: row.try_get("exponent")?,
                    created_at: row.try_get("created_at")?,
                    retired_at: row.try_get("retired_at")?,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(db)
    }

    async fn add_first_signing_key(&self, key: &SigningKeyRow) -> Result<bool, AuthError> {
        Ok(insert(&*self.write(), key).await? == 1)
    }

    async fn rotate_signing_key(
        &self,
        key: &SigningKeyRow,
        publish_until: Timestamp,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        sqlx::query(
            "UPDATE signing_keys SET retired_at = ?, publish_until = ? WHERE retired_at IS NULL",
        )
        .bind(now)
        .bind(publish_until)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        insert(&mut *tx, key).await?;
        tx.commit().await.map_err(db)
    }
}
