use sqlx::Row;

use super::{db, is_unique_violation, Store};
use crate::{
    domain::{ids::new_id, Timestamp},
    model::{AuthError, Member, Membership, ROLE_ADMIN},
};

/// An organization row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationRow {
    /// `org_…`
    pub id: String,
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
}

impl Store {
    /// Creates an organization with `creator` as `org:admin`; `None` when the slug is taken.
    pub async fn create_organization(
        &self,
        name: &str,
        slug: &str,
        creator: &str,
        now: Timestamp,
    ) -> Result<Option<String>, AuthError> {
        let id = new_id("org");
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO organizations (id, name, slug, created_by, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&id)
            .bind(name)
            .bind(slug)
            .bind(creator)
            .bind(now)
            .execute(&mut *tx)
            .await;
        match inserted {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => return Ok(None),
            Err(error) => return Err(db(error)),
        }
        sqlx::query("INSERT INTO memberships (id, organization_id, user_id, role, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(new_id("orgmem"))
            .bind(&id)
            .bind(creator)
            .bind(ROLE_ADMIN)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Some(id))
    }

    /// The organization with this slug.
    pub async fn find_organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<OrganizationRow>, AuthError> {
        let row = sqlx::query("SELECT id, name, slug FROM organizations WHERE slug = ?")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|row| -> Result<OrganizationRow, sqlx::Error> {
            Ok(OrganizationRow {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                slug: row.try_get("slug")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    /// The user's role in the organization, if a member.
    pub async fn membership_role(
        &self,
        organization_id: &str,
        user_id: &str,
    ) -> Result<Option<String>, AuthError> {
        sqlx::query_scalar("SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?")
            .bind(organization_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    /// Adds (or re-roles) a member.
    pub async fn upsert_member(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        sqlx::query(
            "INSERT INTO memberships (id, organization_id, user_id, role, created_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (organization_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(new_id("orgmem"))
        .bind(organization_id)
        .bind(user_id)
        .bind(role)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// One page of the user's memberships (oldest first) and their total count.
    pub async fn list_memberships(
        &self,
        user_id: &str,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Membership>, u32), AuthError> {
        let rows = sqlx::query(
            "SELECT o.id, o.name, o.slug, m.role FROM memberships m
             JOIN organizations o ON o.id = m.organization_id
             WHERE m.user_id = ? ORDER BY m.created_at, m.rowid LIMIT ? OFFSET ?",
        )
        .bind(user_id)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE user_id = ?")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        let data = rows
            .into_iter()
            .map(|row| {
                Ok(Membership {
                    organization_id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    slug: row.try_get("slug")?,
                    role: row.try_get("role")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db)?;
        Ok((data, u32::try_from(total).unwrap_or(u32::MAX)))
    }

    /// The members of an organization, oldest first.
    pub async fn list_members(&self, organization_id: &str) -> Result<Vec<Member>, AuthError> {
        let rows = sqlx::query(
            "SELECT m.user_id, e.email, m.role FROM memberships m
             JOIN email_addresses e ON e.user_id = m.user_id AND e.is_primary = 1
             WHERE m.organization_id = ? ORDER BY m.created_at, m.rowid",
        )
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|row| {
                Ok(Member {
                    user_id: row.try_get("user_id")?,
                    email_address: row.try_get("email")?,
                    role: row.try_get("role")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db)
    }

    /// Sets (or clears) the session's active organization.
    pub async fn set_active_organization(
        &self,
        session_id: &str,
        organization_id: Option<&str>,
    ) -> Result<(), AuthError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE sessions SET active_org_id = ? WHERE id = ?")
            .bind(organization_id)
            .bind(session_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("UPDATE users SET last_active_org_id = ? WHERE id = (SELECT user_id FROM sessions WHERE id = ?)")
            .bind(organization_id)
            .bind(session_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }
}
