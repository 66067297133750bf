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
    },
    model::{flow::AuthChange, GatehouseError, Notice, OrganizationSettings, UserId},
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
