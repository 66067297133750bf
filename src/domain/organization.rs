//! Organizations: creation (the creator becomes `org:admin`), memberships, the active
//! organization of a session, and the permissions each role carries.

use super::{
    audit::{self, AuditEvent, AuditKind},
    ports::OrganizationRow,
    Gatehouse, Timestamp,
};
use crate::{
    config::OrganizationsConfig,
    model::{
        is_valid_slug, ApiErrors, AuthError, GatehouseError, Member, MembershipPage, OrgId,
        SessionId, UserId, MEMBER_PERMISSIONS, ORG_NAME_MAX_CHARS, ROLE_ADMIN, ROLE_MEMBER,
        SYSTEM_PERMISSIONS,
    },
};

/// Largest page of memberships.
pub const MAX_PAGE_SIZE: u32 = 50;
/// The permission that invites, changes roles and removes members.
pub const MANAGE_MEMBERSHIPS: &str = "org:sys_memberships:manage";
/// The permission that renames an organization.
pub const MANAGE_PROFILE: &str = "org:sys_profile:manage";
/// The permission that deletes an organization.
pub const DELETE_PROFILE: &str = "org:sys_profile:delete";

/// Who acts on an organization.
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    /// A member, who needs the action's permission.
    Member(&'a UserId),
    /// The operator (the CLI), who may do everything.
    Operator,
}

/// The organization `slug` and `user`'s role in it. Anyone who is not a member — or no such
/// organization — gets `organization_not_found_or_unauthorized`, as every organization function
/// answers: nobody learns which organizations exist.
pub async fn of_member(
    gatehouse: &Gatehouse,
    user: &UserId,
    slug: &str,
) -> Result<(OrganizationRow, String), AuthError> {
    let org = gatehouse
        .store
        .find_organization_by_slug(slug)
        .await?
        .ok_or_else(AuthError::not_a_member)?;
    let role = gatehouse
        .store
        .membership_role(&org.id, user)
        .await?
        .ok_or_else(AuthError::not_a_member)?;
    Ok((org, role))
}

/// The organization `slug`, for an actor who holds `permission` in it (the operator holds every
/// one). A member without it gets the same answer as a stranger.
pub async fn authorized(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
    permission: &str,
) -> Result<OrganizationRow, AuthError> {
    match actor {
        Actor::Operator => gatehouse
            .store
            .find_organization_by_slug(slug)
            .await?
            .ok_or_else(AuthError::not_a_member),
        Actor::Member(user) => {
            let (org, role) = of_member(gatehouse, user, slug).await?;
            let permissions = permissions_for(&role, &gatehouse.config.organizations);
            if !permissions.iter().any(|p| p == permission) {
                return Err(AuthError::not_a_member());
            }
            Ok(org)
        }
    }
}

/// The permissions a role carries: the system ones of `org:admin` / `org:member`, plus any
/// configured for the role.
pub fn permissions_for(role: &str, config: &OrganizationsConfig) -> Vec<String> {
    let system: &[&str] = match role {
        ROLE_ADMIN => &SYSTEM_PERMISSIONS,
        ROLE_MEMBER => &MEMBER_PERMISSIONS,
        _ => &[],
    };
    let mut permissions: Vec<String> = system.iter().map(|p| p.to_string()).collect();
    if let Some(extra) = config.roles.get(role) {
        permissions.extend(extra.iter().cloned());
    }
    permissions
}

/// Validates a new organization's name and slug, reporting both fields at once.
pub fn validate(name: &str, slug: &str) -> Result<(String, String), GatehouseError> {
    let mut errors = Vec::new();
    let name = name.trim();
    if name.is_empty() {
        errors.push(AuthError::param_missing("name"));
    } else if name.chars().count() > ORG_NAME_MAX_CHARS {
        errors.push(AuthError::param_too_long("name"));
    } else if name.chars().any(char::is_control) {
        errors.push(AuthError::param_format_invalid("name"));
    }
    let slug = slug.trim();
    if slug.is_empty() {
        errors.push(AuthError::param_missing("slug"));
    } else if !is_valid_slug(slug) {
        errors.push(AuthError::param_format_invalid("slug"));
    }
    if errors.is_empty() {
        Ok((name.to_string(), slug.to_string()))
    } else {
        Err(GatehouseError(ApiErrors { errors }))
    }
}

/// Creates an organization owned by `user_id` and makes it the session's active one.
pub async fn create(
    gatehouse: &Gatehouse,
    session_id: &SessionId,
    user_id: &UserId,
    name: &str,
    slug: &str,
    now: Timestamp,
) -> Result<OrgId, GatehouseError> {
    let config = &gatehouse.config.organizations;
    if !config.enabled || !config.creation_allowed() {
        return Err(AuthError::organization_creation_not_allowed().into());
    }
    let (name, slug) = validate(name, slug)?;
    let org_id = gatehouse
        .store
        .create_organization(&name, &slug, user_id, now)
        .await?
        .ok_or_else(AuthError::slug_taken)?;
    gatehouse
        .store
        .set_active_organization(session_id, Some(&org_id))
        .await?;
    tracing::info!(%user_id, org_id = %org_id, "organization created");
    let event = AuditEvent::new(AuditKind::OrganizationCreated)
        .user(user_id)
        .session(session_id)
        .organization(&org_id)
        .detail(&slug);
    audit::record(gatehouse, event, now);
    Ok(org_id)
}

/// Switches the session's active organization; `None` is the personal account (only where
/// personal accounts are allowed). A non-member gets 403 and nothing changes.
pub async fn set_active(
    gatehouse: &Gatehouse,
    session_id: &SessionId,
    user_id: &UserId,
    organization_id: Option<&OrgId>,
) -> Result<(), AuthError> {
    match organization_id {
        Some(org_id) => {
            if gatehouse
                .store
                .membership_role(org_id, user_id)
                .await?
                .is_none()
            {
                return Err(AuthError::not_a_member());
            }
            gatehouse
                .store
                .set_active_organization(session_id, Some(org_id))
                .await
        }
        None => {
            if gatehouse.config.organizations_required() {
                return Err(AuthError::organization_required());
            }
            gatehouse
                .store
                .set_active_organization(session_id, None)
                .await
        }
    }
}

/// One page (1-based) of the user's memberships.
pub async fn memberships(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    page: u32,
    page_size: u32,
) -> Result<MembershipPage, AuthError> {
    let page = page.max(1);
    let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
    let offset = (page - 1).saturating_mul(page_size);
    let (data, total_count) = gatehouse
        .store
        .list_memberships(user_id, offset, page_size)
        .await?;
    Ok(MembershipPage {
        data,
        total_count,
        page,
        page_size,
    })
}

/// What `organization_sync` did for a URL naming an organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncOutcome {
    /// The organization is (now) active.
    Active,
    /// The user is not a member, or the organization does not exist.
    NotMember,
}

/// Activates the organization named by `slug` for a signed-in member (organization sync).
pub async fn sync_from_slug(
    gatehouse: &Gatehouse,
    session_id: &SessionId,
    user_id: &UserId,
    active_org_slug: Option<&str>,
    slug: &str,
) -> Result<SyncOutcome, AuthError> {
    if active_org_slug == Some(slug) {
        return Ok(SyncOutcome::Active);
    }
    let Some(org) = gatehouse.store.find_organization_by_slug(slug).await? else {
        return Ok(SyncOutcome::NotMember);
    };
    if gatehouse
        .store
        .membership_role(&org.id, user_id)
        .await?
        .is_none()
    {
        return Ok(SyncOutcome::NotMember);
    }
    gatehouse
        .store
        .set_active_organization(session_id, Some(&org.id))
        .await?;
    Ok(SyncOutcome::Active)
}

/// The members of the organization with this slug, for a member of it.
pub async fn members(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    slug: &str,
) -> Result<Vec<Member>, AuthError> {
    let (org, _role) = of_member(gatehouse, user_id, slug).await?;
    gatehouse.store.list_members(&org.id).await
}

/// Renames the organization `slug` (`org:sys_profile:manage`): a new name and slug, validated
/// as at creation; a slug another organization has is `form_identifier_exists` on `slug`.
/// Answers the new slug.
pub async fn rename(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
    new_name: &str,
    new_slug: &str,
) -> Result<String, GatehouseError> {
    let org = authorized(gatehouse, actor, slug, MANAGE_PROFILE).await?;
    let (name, new_slug) = validate(new_name, new_slug)?;
    if !gatehouse
        .store
        .rename_organization(&org.id, &name, &new_slug)
        .await?
    {
        return Err(AuthError::slug_taken().into());
    }
    tracing::info!(org_id = %org.id, slug = %new_slug, "organization renamed");
    Ok(new_slug)
}
