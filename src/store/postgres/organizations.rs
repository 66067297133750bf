//! Organizations and memberships: a slug is claimed by its unique index (`ON CONFLICT DO
//! NOTHING`), a membership is upserted on (organization, user).

use async_trait::async_trait;
use sqlx::Row;

use super::{db, id_at, PostgresStore};
use crate::store::rows;
use crate::{
    domain::{
        ids::{new_id, new_row_id},
        ports::{MemberChange, OrganizationRow, Organizations},
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

    async fn list_members_page(
        &self,
        organization_id: &OrgId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Member>, u32), AuthError> {
        let rows = sqlx::query(
            "SELECT m.user_id, e.email, m.role FROM memberships m
             JOIN email_addresses e ON e.user_id = m.user_id AND e.is_primary
             WHERE m.organization_id = $1 ORDER BY m.created_at, m.seq LIMIT $2 OFFSET $3",
        )
        .bind(organization_id.as_str())
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE organization_id = $1")
                .bind(organization_id.as_str())
                .fetch_one(&self.pool)
                .await
                .map_err(db)?;
        let members = rows
            .iter()
            .map(rows::member)
            .collect::<Result<_, _>>()
            .map_err(db)?;
        Ok((members, u32::try_from(total).unwrap_or(u32::MAX)))
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
        rows.iter()
            .map(rows::member)
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

    async fn change_member_role(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        role: &str,
        managers: &[String],
    ) -> Result<MemberChange, AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        let demotes = !managers.iter().any(|manager| manager == role);
        match lock_member(&mut tx, organization_id, user_id, managers, demotes).await? {
            MemberChange::Done => {}
            refused => return Ok(refused),
        }
        sqlx::query("UPDATE memberships SET role = $1 WHERE organization_id = $2 AND user_id = $3")
            .bind(role)
            .bind(organization_id.as_str())
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(MemberChange::Done)
    }

    async fn remove_member(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        managers: &[String],
    ) -> Result<MemberChange, AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        match lock_member(&mut tx, organization_id, user_id, managers, true).await? {
            MemberChange::Done => {}
            refused => return Ok(refused),
        }
        sqlx::query("DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2")
            .bind(organization_id.as_str())
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        clear_active(&mut tx, organization_id, Some(user_id)).await?;
        tx.commit().await.map_err(db)?;
        Ok(MemberChange::Done)
    }

    async fn rename_organization(
        &self,
        organization_id: &OrgId,
        name: &str,
        slug: &str,
    ) -> Result<bool, AuthError> {
        let _touched = self.touched();
        let renamed = sqlx::query(
            "UPDATE organizations SET name = $1, slug = $2 WHERE id = $3
             AND NOT EXISTS (SELECT 1 FROM organizations WHERE slug = $2 AND id <> $3)",
        )
        .bind(name)
        .bind(slug)
        .bind(organization_id.as_str())
        .execute(&self.pool)
        .await;
        match renamed {
            Ok(done) => Ok(done.rows_affected() == 1),
            // A rename racing for the same slug: the unique index decides.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(db(e)),
        }
    }

    async fn delete_organization(&self, organization_id: &OrgId) -> Result<(), AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        clear_active(&mut tx, organization_id, None).await?;
        sqlx::query("DELETE FROM organizations WHERE id = $1")
            .bind(organization_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }
}

/// Locks the organization (every membership change takes this lock first, so they run one at a
/// time per organization) and checks the member: `NotAMember`, or — when the change takes the
/// member out of the `managers` roles (`leaves_managers`) — `LastManager` if no other member
/// is in one. `Done` means the change may be made in this transaction.
async fn lock_member(
    tx: &mut super::Tx<'static>,
    organization_id: &OrgId,
    user_id: &UserId,
    managers: &[String],
    leaves_managers: bool,
) -> Result<MemberChange, AuthError> {
    let org = sqlx::query("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE")
        .bind(organization_id.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    if org.is_none() {
        return Ok(MemberChange::NotAMember);
    }
    let role: Option<String> = sqlx::query_scalar(
        "SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2",
    )
    .bind(organization_id.as_str())
    .bind(user_id.as_str())
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    let Some(role) = role else {
        return Ok(MemberChange::NotAMember);
    };
    if !leaves_managers || !managers.contains(&role) {
        return Ok(MemberChange::Done);
    }
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships
         WHERE organization_id = $1 AND user_id <> $2 AND role = ANY($3)",
    )
    .bind(organization_id.as_str())
    .bind(user_id.as_str())
    .bind(managers)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    Ok(if others == 0 {
        MemberChange::LastManager
    } else {
        MemberChange::Done
    })
}

/// Clears the organization as the active one of its sessions and the last active one of its
/// users — of one user's, or of everyone's.
async fn clear_active(
    tx: &mut super::Tx<'static>,
    organization_id: &OrgId,
    user_id: Option<&UserId>,
) -> Result<(), AuthError> {
    let user = user_id.map(UserId::as_str);
    sqlx::query(
        "UPDATE sessions SET active_org_id = NULL
         WHERE active_org_id = $1 AND ($2::TEXT IS NULL OR user_id = $2)",
    )
    .bind(organization_id.as_str())
    .bind(user)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    sqlx::query(
        "UPDATE users SET last_active_org_id = NULL
         WHERE last_active_org_id = $1 AND ($2::TEXT IS NULL OR id = $2)",
    )
    .bind(organization_id.as_str())
    .bind(user)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}
