//! Running an organization, on the server: the bodies of `<OrganizationProfile/>`'s server
//! functions. Each reads its call once and makes one call into `domain` (`membership`,
//! `organization`, or a session change for leaving and deleting, which move the session on); a
//! plain form post comes back to its page with the change's notice.

use super::{call::Call, form_values::non_empty};
use crate::{
    domain::{
        account::AccountHolder,
        membership,
        organization::{self, Actor},
        outcome::Outcome,
        session_change::{self, ChangeContext, SessionChange},
        verified_domain,
    },
    model::{
        flow::AuthChange, AuthError, EnrollmentMode, GatehouseError, MemberPage,
        MembershipRequestPage, Notice, OrgId, OrganizationSettings, OrganizationSuggestion, UserId,
    },
};

/// `organization_settings`: what the profile page shows the signed-in member.
pub async fn settings(slug: String) -> Result<OrganizationSettings, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    Ok(membership::settings(&call.gatehouse, &holder.user_id, &slug, call.now).await?)
}

/// `change_member_role` and `remove_organization_member` (`role` `None`).
pub async fn change_member(
    slug: String,
    user_id: String,
    role: Option<String>,
) -> Result<(), GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    let (actor, member) = (Actor::Member(&holder.user_id), UserId::new(user_id));
    let notice = match role {
        Some(role) => {
            membership::change_role(&call.gatehouse, actor, &slug, &member, &role).await?;
            Notice::RoleChanged
        }
        None => {
            membership::remove(&call.gatehouse, actor, &slug, &member).await?;
            Notice::MemberRemoved
        }
    };
    call.back_to_form_page(notice);
    Ok(())
}

/// `rename_organization`: a new name and slug. A plain form goes back to its page, the old
/// slug's segment of its path replaced by the new one.
pub async fn rename(
    slug: String,
    name: String,
    new_slug: String,
) -> Result<String, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    let actor = Actor::Member(&holder.user_id);
    let renamed = organization::rename(&call.gatehouse, actor, &slug, &name, &new_slug).await?;
    call.back_to_renamed_page(&slug, &renamed, Notice::OrganizationUpdated);
    Ok(renamed)
}

/// `leave_organization`: the session goes on without the organization.
pub async fn leave(
    slug: String,
    redirect_url: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let call = Call::current()?;
    let change = SessionChange::LeaveOrganization(slug);
    let outcome = move_on(&call, change, redirect_url).await?;
    Ok(call.answer(outcome))
}

/// `delete_organization`: re-verified first; the sessions go on without it.
pub async fn delete(
    slug: String,
    confirmation: String,
    reverify: (Option<String>, Option<String>),
    redirect_url: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let call = Call::current()?;
    let result = async {
        let holder = call.reverified_holder(reverify).await?;
        let change = SessionChange::DeleteOrganization {
            holder,
            slug,
            confirmation,
        };
        move_on(&call, change, redirect_url).await
    };
    let outcome = call.reverified(result.await).await?;
    Ok(call.answer(outcome))
}

/// Applies a change that moves the session on (without the organization, `choose-organization`
/// may be its next task), then to `redirect_url`.
async fn move_on(
    call: &Call,
    change: SessionChange,
    redirect_url: Option<String>,
) -> Result<Outcome, GatehouseError> {
    let target = non_empty(redirect_url);
    let context = ChangeContext {
        snapshot: &call.auth.snapshot,
        client_id: call.auth.client_id.as_ref(),
        device: &call.device(),
        target: target.as_deref(),
    };
    session_change::apply(&call.gatehouse, change, context, call.now).await
}

/// The organization's domains: `add_organization_domain`, `send_domain_affiliation_code`,
/// `verify_organization_domain`, `set_domain_enrollment_mode`, `remove_organization_domain`.
pub async fn change_domain(slug: String, change: DomainChange) -> Result<(), GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    let (gatehouse, actor, now) = (&call.gatehouse, Actor::Member(&holder.user_id), call.now);
    let notice = match change {
        DomainChange::Add { name, mode } => {
            let mode = enrollment_mode(&mode)?;
            verified_domain::add(gatehouse, actor, &slug, &name, mode, now).await?;
            Notice::DomainAdded
        }
        DomainChange::SendCode { domain_id, email } => {
            verified_domain::send_affiliation_code(
                gatehouse, actor, &slug, &domain_id, &email, now,
            )
            .await?;
            Notice::DomainCodeSent
        }
        DomainChange::Verify { domain_id, code } => {
            verified_domain::verify_affiliation_code(
                gatehouse, actor, &slug, &domain_id, &code, now,
            )
            .await?;
            Notice::DomainVerified
        }
        DomainChange::SetMode { domain_id, mode } => {
            let mode = enrollment_mode(&mode)?;
            verified_domain::set_mode(gatehouse, actor, &slug, &domain_id, mode, now).await?;
            Notice::DomainUpdated
        }
        DomainChange::Remove { domain_id } => {
            verified_domain::remove(gatehouse, actor, &slug, &domain_id).await?;
            Notice::DomainRemoved
        }
    };
    call.back_to_form_page(notice);
    Ok(())
}

/// A change to an organization's domains, as its server function names it.
pub enum DomainChange {
    /// A new domain.
    Add {
        /// The domain.
        name: String,
        /// Its enrollment mode's name.
        mode: String,
    },
    /// A code to an address at the domain.
    SendCode {
        /// The domain.
        domain_id: String,
        /// The address.
        email: String,
    },
    /// The code typed.
    Verify {
        /// The domain.
        domain_id: String,
        /// The code.
        code: String,
    },
    /// Another enrollment mode.
    SetMode {
        /// The domain.
        domain_id: String,
        /// The mode's name.
        mode: String,
    },
    /// The domain removed.
    Remove {
        /// The domain.
        domain_id: String,
    },
}

fn enrollment_mode(name: &str) -> Result<EnrollmentMode, AuthError> {
    EnrollmentMode::parse(name.trim())
        .ok_or_else(|| AuthError::param_format_invalid("enrollment_mode"))
}

/// `decide_membership_request`: `decision` is `approve` or `reject`.
pub async fn decide_request(
    slug: String,
    request_id: String,
    decision: String,
) -> Result<(), GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AuthError::param_format_invalid("decision").into()),
    };
    let actor = Actor::Member(&holder.user_id);
    verified_domain::decide_request(
        &call.gatehouse,
        actor,
        &slug,
        &request_id,
        approve,
        call.now,
    )
    .await?;
    let notice = if approve {
        Notice::RequestApproved
    } else {
        Notice::RequestRejected
    };
    call.back_to_form_page(notice);
    Ok(())
}

/// `user_suggestions`: the organizations suggested to the signed-in (or pending) user.
pub async fn suggestions() -> Result<Vec<OrganizationSuggestion>, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of_session(&call.auth.snapshot)?;
    Ok(verified_domain::suggestions(&call.gatehouse, &holder.user_id, &holder.email).await?)
}

/// `request_to_join`: a membership request to a suggested organization.
pub async fn request_to_join(organization_id: String) -> Result<(), GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of_session(&call.auth.snapshot)?;
    let org = OrgId::new(organization_id);
    let (gatehouse, user, email) = (&call.gatehouse, &holder.user_id, &holder.email);
    verified_domain::request_to_join(gatehouse, user, email, &org, call.now).await?;
    call.back_to_form_page(Notice::JoinRequested);
    Ok(())
}

/// `organization_members_page`: one page of the members, for a member.
pub async fn members_page(
    slug: String,
    page: u32,
    page_size: u32,
) -> Result<MemberPage, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    Ok(membership::members_page(&call.gatehouse, &holder.user_id, &slug, page, page_size).await?)
}

/// `organization_membership_requests`: one page of the pending requests, for an admin.
pub async fn requests_page(
    slug: String,
    page: u32,
    page_size: u32,
) -> Result<MembershipRequestPage, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    Ok(membership::requests_page(&call.gatehouse, &holder.user_id, &slug, page, page_size).await?)
}
