//! Organizations and memberships: a slug is claimed by its unique index (`ON CONFLICT DO
//! NOTHING`), a membership is upserted on (organization, user).

use async_trait::async_trait;
use sqlx::Row;

use super::{db, id_at, PostgresStore};
use crate::{
    domain::{
        ids::{new_id, new_row_id},
        ports::{OrganizationRow, Organizations},
        Timestamp,
    },
    model::{AuthError, Member, Membership, OrgId, SessionId, UserId, ROLE_ADMIN},
};

#[async_trait]
impl Organizations for PostgresStore {
    async fn create_organization(
        &self,
        name: &str,
        slug: &str,
        creator: &UserId,
        now: Timestamp,
    ) -> Result<Option<OrgId>, AuthError> {
        let _touched = self.touched();
        let id: OrgId = new_id();
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO organizations (id, name, slug, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (slug) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(name)
        .bind(slug)
        .bind(creator.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if inserted.rows_affected() != 1 {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO memberships (id, organization_id, user_id, role, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_row_id("orgmem"))
        .bind(id.as_str())
        .bind(creator.as_str())
        .bind(ROLE_ADMIN)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Some(id))
    }

    async fn find_organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<OrganizationRow>, AuthError> {
        let row = sqlx::query("SELECT id, name, slug FROM organizations WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|row| -> Result<OrganizationRow, sqlx::Error> {
            Ok(OrganizationRow {
                id: id_at(&row, "id")?,
                name: row.try_get("name")?,
                slug: row.try_get("slug")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    async fn membership_role(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
    ) -> Result<Option<String>, AuthError> {
        sqlx::query_scalar(
            "SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2",
        )
        .bind(organization_id.as_str())
        .bind(user_id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)
    }

    async fn upsert_member(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        role: &str,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let _touched = self.touched();
        sqlx::query(
            "INSERT INTO memberships (id, organization_id, user_id, role, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (organization_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(new_row_id("orgmem"))
        .bind(organization_id.as_str())
        .bind(user_id.as_str())
        .bind(role)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn list_memberships(
        &self,
        user_id: &UserId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Membership>, u32), AuthError> {
        let rows = sqlx::query(
            "SELECT o.id, o.name, o.slug, m.role FROM memberships m
             JOIN organizations o ON o.id = m.organization_id
             WHERE m.user_id = $1 ORDER BY m.created_at, m.seq LIMIT $2 OFFSET $3",
        )
        .bind(user_id.as_str())
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE user_id = $1")
            .bind(user_id.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        let data = rows
            .into_iter()
            .map(|row| {
                Ok(Membership {
                    organization_id: id_at(&row, "id")?,
                    name: row.try_get("name")?,
                    slug: row.try_get("slug")?,
                    role: row.try_get("role")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db)?;
        Ok((data, u32::try_from(total).unwrap_or(u32::MAX)))
    }

    async fn list_members(&self, organization_id: &OrgId) -> Result<Vec<Member>, AuthError> {
        let rows = sqlx::query(
            "SELECT m.user_id, e.email, m.role FROM memberships m
             JOIN email_addresses e ON e.user_id = m.user_id AND e.is_primary
             WHERE m.organization_id = $1 ORDER BY m.created_at, m.seq",
        )
        .bind(organization_id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|row| {
                Ok(Member {
                    user_id: id_at(&row, "user_id")?,
                    email_address: row.try_get("email")?,
                    role: row.try_get("role")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db)
    }

    async fn set_active_organization(
        &self,
        session_id: &SessionId,
        organization_id: Option<&OrgId>,
    ) -> Result<(), AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE sessions SET active_org_id = $1 WHERE id = $2")
            .bind(organization_id.map(OrgId::as_str))
            .bind(session_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "UPDATE users SET last_active_org_id = $1
             WHERE id = (SELECT user_id FROM sessions WHERE id = $2)",
        )
        .bind(organization_id.map(OrgId::as_str))
        .bind(session_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }
}
