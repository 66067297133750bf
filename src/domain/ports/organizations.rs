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

/// What a change to a membership did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberChange {
    /// Made.
    Done,
    /// The user is not a member of the organization.
    NotAMember,
    /// Refused: no member would be left in one of the manager roles.
    LastManager,
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
    /// One page of the members of an organization (oldest first) and their total count.
    async fn list_members_page(
        &self,
        organization_id: &OrgId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Member>, u32), AuthError>;
    /// Sets (or clears) the session's active organization.
    async fn set_active_organization(
        &self,
        session_id: &SessionId,
        organization_id: Option<&OrgId>,
    ) -> Result<(), AuthError>;
    /// Gives a member another role, unless the member is the organization's last one in a
    /// `managers` role and `role` is not one. Made in one transaction that locks the
    /// organization first, so parallel changes cannot each remove "the other" last manager.
    async fn change_member_role(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        role: &str,
        managers: &[String],
    ) -> Result<MemberChange, AuthError>;
    /// Removes a member under the same rule, and clears the organization from the member's
    /// sessions (and from the user's last active organization).
    async fn remove_member(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        managers: &[String],
    ) -> Result<MemberChange, AuthError>;
    /// Renames an organization; `false` when another organization has the slug.
    async fn rename_organization(
        &self,
        organization_id: &OrgId,
        name: &str,
        slug: &str,
    ) -> Result<bool, AuthError>;
    /// Deletes an organization with its memberships and invitations, and clears it from every
    /// session that had it active.
    async fn delete_organization(&self, organization_id: &OrgId) -> Result<(), AuthError>;
}
