//! The organizations port: organizations and memberships.

use async_trait::async_trait;

use crate::domain::Timestamp;
use crate::model::{AuthError, Member, Membership, OrgId, SessionId, UserId};

/// An organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationRow {
    /// The organization.
    pub id: OrgId,
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
}

/// Organizations and memberships.
#[async_trait]
pub trait Organizations: Send + Sync {
    /// Creates an organization with `creator` as `org:admin`; `None` when the slug is taken.
    async fn create_organization(
        &self,
        name: &str,
        slug: &str,
        creator: &UserId,
        now: Timestamp,
    ) -> Result<Option<OrgId>, AuthError>;
    /// The organization with this slug.
    async fn find_organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<OrganizationRow>, AuthError>;
    /// The user's role in the organization, if a member.
    async fn membership_role(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
    ) -> Result<Option<String>, AuthError>;
    /// Adds (or re-roles) a member.
    async fn upsert_member(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        role: &str,
        now: Timestamp,
    ) -> Result<(), AuthError>;
    /// One page of the user's memberships (oldest first) and their total count.
    async fn list_memberships(
        &self,
        user_id: &UserId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Membership>, u32), AuthError>;
    /// The members of an organization, oldest first.
    async fn list_members(&self, organization_id: &OrgId) -> Result<Vec<Member>, AuthError>;
    /// Sets (or clears) the session's active organization.
    async fn set_active_organization(
        &self,
        session_id: &SessionId,
        organization_id: Option<&OrgId>,
    ) -> Result<(), AuthError>;
}
