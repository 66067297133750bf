//! Running an organization: a member's role changed, a member removed, a member leaving (the
//! organization deleted, too) — and the rule that holds across the first three: an organization
//! always keeps a member who can manage its memberships (Clerk's
//! `organization_minimum_permissions_needed`).
//!
//! The store applies each change in a transaction that first locks the organization, so two
//! admins demoting each other at once leave one admin, not none. A change reaches the member's
//! sessions at their next request: the auth resolution reads the membership every time (its
//! cache hears every write), and a session whose organization the member left resolves with no
//! organization, which brings `choose-organization` back where it applies.

use super::{
    account::AccountHolder,
    audit::{self, AuditEvent, AuditKind},
    invitation,
    organization::{self, Actor},
    ports::MemberChange,
    sensitive::SensitiveChange,
    verified_domain, Gatehouse, Timestamp,
};
use crate::{
    config::OrganizationsConfig,
    model::{
        AuthError, ErrorCode, MemberPage, MembershipRequestPage, OrganizationSettings, UserId,
        ROLE_ADMIN, ROLE_MEMBER,
    },
};

/// The permission that changes roles and removes members (and invites).
pub use organization::MANAGE_MEMBERSHIPS as MANAGE_PERMISSION;

/// The roles whose permissions include [`MANAGE_PERMISSION`]: an organization keeps at least
/// one member in one of them.
pub fn manager_roles(config: &OrganizationsConfig) -> Vec<String> {
    let mut roles = assignable_roles(config);
    roles.retain(|role| {
        organization::permissions_for(role, config)
            .iter()
            .any(|permission| permission == MANAGE_PERMISSION)
    });
    roles
}

/// Every role a member can have: `org:admin`, `org:member`, then the configured ones.
pub fn assignable_roles(config: &OrganizationsConfig) -> Vec<String> {
    let mut roles = vec![ROLE_ADMIN.to_string(), ROLE_MEMBER.to_string()];
    for role in config.roles.keys() {
        if !roles.contains(role) {
            roles.push(role.clone());
        }
    }
    roles
}

/// The error of a change that would leave no one able to manage the organization.
fn minimum_permissions_needed() -> AuthError {
    AuthError::new(ErrorCode::OrganizationMinimumPermissionsNeeded)
}

fn answer(change: MemberChange) -> Result<(), AuthError> {
    match change {
        MemberChange::Done => Ok(()),
        MemberChange::NotAMember => Err(AuthError::new(ErrorCode::ResourceNotFound)),
        MemberChange::LastManager => Err(minimum_permissions_needed()),
    }
}

/// Gives `member` of the organization `slug` the role `role` (the actor needs
/// `org:sys_memberships:manage`). Refused: a role that does not exist (`role`'s field), a user
/// who is not a member (`resource_not_found`), and demoting the organization's last manager.
pub async fn change_role(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
    member: &UserId,
    role: &str,
) -> Result<(), AuthError> {
    let org = organization::authorized(gatehouse, actor, slug, MANAGE_PERMISSION).await?;
    let config = &gatehouse.config.organizations;
    let role = role.trim();
    if role.is_empty() {
        return Err(AuthError::param_missing("role"));
    }
    if !config.role_exists(role) {
        return Err(AuthError::param_format_invalid("role"));
    }
    let change = gatehouse
        .store
        .change_member_role(&org.id, member, role, &manager_roles(config))
        .await?;
    answer(change)?;
    tracing::info!(org_id = %org.id, user_id = %member, role, "organization role changed");
    record(
        gatehouse,
        AuditKind::MemberRoleChanged,
        &org.id,
        member,
        actor,
        Some(role),
    );
    Ok(())
}

/// Removes `member` from the organization `slug` (the actor needs
/// `org:sys_memberships:manage`); their sessions lose it as their active organization.
pub async fn remove(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
    member: &UserId,
) -> Result<(), AuthError> {
    let org = organization::authorized(gatehouse, actor, slug, MANAGE_PERMISSION).await?;
    let config = &gatehouse.config.organizations;
    let change = gatehouse
        .store
        .remove_member(&org.id, member, &manager_roles(config))
        .await?;
    answer(change)?;
    tracing::info!(org_id = %org.id, user_id = %member, "organization member removed");
    record(
        gatehouse,
        AuditKind::MemberRemoved,
        &org.id,
        member,
        actor,
        None,
    );
    Ok(())
}

/// `user` leaves the organization `slug` (any member may, except its last manager).
pub async fn leave(gatehouse: &Gatehouse, user: &UserId, slug: &str) -> Result<(), AuthError> {
    let (org, _role) = organization::of_member(gatehouse, user, slug).await?;
    let config = &gatehouse.config.organizations;
    let change = gatehouse
        .store
        .remove_member(&org.id, user, &manager_roles(config))
        .await?;
    answer(change)?;
    tracing::info!(org_id = %org.id, user_id = %user, "left organization");
    record(
        gatehouse,
        AuditKind::MemberRemoved,
        &org.id,
        user,
        Actor::Member(user),
        Some("left"),
    );
    Ok(())
}

/// What `<OrganizationProfile/>` shows `viewer` of the organization `slug` (a member's view:
/// anyone else gets `organization_not_found_or_unauthorized`). The pending invitations only
/// for a viewer who manages memberships; at most the first [`organization::MAX_PAGE_SIZE`].
pub async fn settings(
    gatehouse: &Gatehouse,
    viewer: &UserId,
    slug: &str,
    now: Timestamp,
) -> Result<OrganizationSettings, AuthError> {
    let (org, role) = organization::of_member(gatehouse, viewer, slug).await?;
    let config = &gatehouse.config.organizations;
    let permissions = organization::permissions_for(&role, config);
    let members = gatehouse.store.list_members(&org.id).await?;
    let invitations = if permissions.iter().any(|p| p == MANAGE_PERMISSION) {
        let page = organization::MAX_PAGE_SIZE;
        invitation::organization_invitations(gatehouse, viewer, slug, 1, page, now)
            .await?
            .data
    } else {
        Vec::new()
    };
    let roles = assignable_roles(config);
    let may = |permission: &str| permissions.iter().any(|p| p == permission);
    let domains = if may(verified_domain::MANAGE_DOMAINS) {
        let rows = gatehouse.store.list_domains(&org.id).await?;
        rows.iter().map(verified_domain::view).collect()
    } else {
        Vec::new()
    };
    let (membership_requests, activity) = if may(MANAGE_PERMISSION) {
        (
            gatehouse.store.list_membership_requests(&org.id).await?,
            audit::organization_activity(gatehouse, &org.id, 20, now).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(OrganizationSettings {
        organization_id: org.id,
        name: org.name,
        slug: org.slug,
        viewer_id: viewer.clone(),
        role,
        permissions,
        members,
        invitations,
        roles,
        domains,
        membership_requests,
        activity,
    })
}

/// Deletes the organization `slug` for `holder`, who needs `org:sys_profile:delete` and a
/// recently verified session (`SensitiveChange::DeleteOrganization`). `confirmation` must be
/// the organization's name, typed (`form_param_format_invalid` on `confirmation` otherwise).
/// Its memberships and invitations go with it; sessions that had it active resolve without it.
pub async fn delete_organization(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    slug: &str,
    confirmation: &str,
) -> Result<(), AuthError> {
    let member = Actor::Member(&holder.user_id);
    let org =
        organization::authorized(gatehouse, member, slug, organization::DELETE_PROFILE).await?;
    if confirmation.trim() != org.name {
        return Err(AuthError::param_format_invalid("confirmation"));
    }
    holder.require(SensitiveChange::DeleteOrganization, &gatehouse.config)?;
    gatehouse.store.delete_organization(&org.id).await?;
    tracing::info!(org_id = %org.id, "organization deleted");
    let event = holder
        .event(AuditKind::OrganizationDeleted)
        .organization(&org.id);
    audit::record(gatehouse, event, super::now());
    Ok(())
}

/// 1-based `page` of `page_size` (at most [`organization::MAX_PAGE_SIZE`]) as offset and limit.
fn window(page: u32, page_size: u32) -> (u32, u32, u32) {
    let page = page.max(1);
    let page_size = page_size.clamp(1, organization::MAX_PAGE_SIZE);
    (page, page_size, (page - 1).saturating_mul(page_size))
}

/// One page of the members of the organization `slug`, for a member of it (Clerk's
/// `organization.memberships`).
pub async fn members_page(
    gatehouse: &Gatehouse,
    viewer: &UserId,
    slug: &str,
    page: u32,
    page_size: u32,
) -> Result<MemberPage, AuthError> {
    let (org, _role) = organization::of_member(gatehouse, viewer, slug).await?;
    let (page, page_size, offset) = window(page, page_size);
    let (data, total_count) = gatehouse
        .store
        .list_members_page(&org.id, offset, page_size)
        .await?;
    Ok(MemberPage {
        data,
        total_count,
        page,
        page_size,
    })
}

/// One page of the pending membership requests of the organization `slug`, for a member who
/// manages its memberships (Clerk's `organization.membershipRequests`).
pub async fn requests_page(
    gatehouse: &Gatehouse,
    viewer: &UserId,
    slug: &str,
    page: u32,
    page_size: u32,
) -> Result<MembershipRequestPage, AuthError> {
    let org =
        organization::authorized(gatehouse, Actor::Member(viewer), slug, MANAGE_PERMISSION).await?;
    let (page, page_size, offset) = window(page, page_size);
    let (data, total_count) = gatehouse
        .store
        .list_membership_requests_page(&org.id, offset, page_size)
        .await?;
    Ok(MembershipRequestPage {
        data,
        total_count,
        page,
        page_size,
    })
}

/// Records a membership change of `member` in `org` by `actor` in the audit log (its admins see
/// it). The event's time is the clock's: it decides nothing.
fn record(
    gatehouse: &Gatehouse,
    kind: AuditKind,
    org: &crate::model::OrgId,
    member: &UserId,
    actor: Actor<'_>,
    detail: Option<&str>,
) {
    let by = match actor {
        Actor::Member(user) if user == member => String::new(),
        Actor::Member(user) => format!("by {user}"),
        Actor::Operator => "by the operator".to_string(),
    };
    let detail = [detail.unwrap_or_default(), by.as_str()]
        .iter()
        .filter(|part| !part.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let mut event = AuditEvent::new(kind).user(member).organization(org);
    if !detail.is_empty() {
        event = event.detail(&detail);
    }
    audit::record(gatehouse, event, super::now());
}
