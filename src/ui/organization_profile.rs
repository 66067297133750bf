//! `<OrganizationProfile/>`: running an organization — general (name, slug, delete), members
//! (roles, remove, leave), invitations (invite, revoke, resend). It shows each viewer only what
//! their role may do; the server checks every action again. Every form is a plain HTML form
//! too: without JavaScript a change comes back as the page with its notice or its error.

use leptos::{prelude::*, task::spawn_local};

use super::{
    context::auth_context,
    fields::{Field, GlobalError, SubmitButton},
    form::{error_in_url, error_of, Submitted},
    navigation::{apply_change_in, follow_changes},
    page::{GoTo, Here},
    reverification::{use_reverification, ReverifyFields},
};
use crate::{
    api::{
        self, endpoints as endpoint, ChangeMemberRole, InviteOrganizationMember, LeaveOrganization,
        RemoveOrganizationMember, RenameOrganization, ResendOrganizationInvitation,
        RevokeOrganizationInvitation,
    },
    model::{GatehouseError, Notice, OrganizationInvitation, OrganizationSettings},
};

const MANAGE_MEMBERSHIPS: &str = "org:sys_memberships:manage";
const MANAGE_PROFILE: &str = "org:sys_profile:manage";
const DELETE_PROFILE: &str = "org:sys_profile:delete";

/// The actions of the page, each a server action its forms dispatch.
#[derive(Clone, Copy)]
struct Actions {
    rename: ServerAction<RenameOrganization>,
    change_role: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveOrganizationMember>,
    leave: ServerAction<LeaveOrganization>,
    invite: ServerAction<InviteOrganizationMember>,
    revoke: ServerAction<RevokeOrganizationInvitation>,
    resend: ServerAction<ResendOrganizationInvitation>,
}

impl Actions {
    fn new() -> Self {
        Self {
            rename: ServerAction::new(),
            change_role: ServerAction::new(),
            remove: ServerAction::new(),
            leave: ServerAction::new(),
            invite: ServerAction::new(),
            revoke: ServerAction::new(),
            resend: ServerAction::new(),
        }
    }

    /// Changes every time one of the actions that change the page's data answers.
    fn versions(&self) -> [usize; 6] {
        [
            self.rename.version().get(),
            self.change_role.version().get(),
            self.remove.version().get(),
            self.invite.version().get(),
            self.revoke.version().get(),
            self.resend.version().get(),
        ]
    }
}

/// The organization profile of the active organization (or of `slug`): Clerk's
/// `<OrganizationProfile/>`. Leaving or deleting goes to `after_leave_organization_url` (default
/// `/`) — or to the session's next task (`choose-organization`) when one applies.
#[component]
pub fn OrganizationProfile(
    /// The organization; the active one when not given.
    #[prop(optional, into)]
    slug: Option<String>,
    /// Where to go after leaving or deleting the organization.
    #[prop(default = "/".to_string(), into)]
    after_leave_organization_url: String,
) -> impl IntoView {
    let context = auth_context();
    let given = StoredValue::new(slug);
    let slug = move || {
        given
            .get_value()
            .or_else(|| context.snapshot.with(|snapshot| snapshot.org_slug.clone()))
            .unwrap_or_default()
    };
    let actions = Actions::new();
    let settings = Resource::new(
        move || (slug(), actions.versions()),
        |(slug, _)| api::load_organization_settings(slug),
    );
    // A rename with JavaScript: the page's path named the old slug.
    let (here, go) = (Here::new(), GoTo::new());
    Effect::new(move |_| {
        if let Some(Ok(new_slug)) = actions.rename.value().get() {
            let old = slug();
            let path = here.pathname.get_untracked();
            let renamed: Vec<&str> = path
                .split('/')
                .map(|segment| {
                    if segment == old {
                        new_slug.as_str()
                    } else {
                        segment
                    }
                })
                .collect();
            go.run(&renamed.join("/"));
        }
    });
    let after = StoredValue::new(after_leave_organization_url);
    let notice = super::account::notice_left();
    view! {
        <section class="card org-profile" aria-label="Organization profile">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || settings.get().map(|result| match result {
                    Ok(settings) => view! {
                        <Profile settings actions notice after=after.get_value()/>
                    }.into_any(),
                    Err(error) => {
                        let message = error.first_error().long_message;
                        view! { <p role="alert">{message}</p> }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Profile(
    settings: OrganizationSettings,
    actions: Actions,
    notice: Option<Notice>,
    after: String,
) -> impl IntoView {
    let done = notice.map(Notice::message);
    let slug = settings.slug.clone();
    view! {
        <h1>{settings.name.clone()}</h1>
        <p class="form-done" role="status">{done}</p>
        {settings.may(MANAGE_PROFILE).then(|| view! { <General settings=settings.clone() actions/> })}
        <Members settings=settings.clone() actions/>
        {settings.may(MANAGE_MEMBERSHIPS).then(|| view! { <Invitations settings=settings.clone() actions/> })}
        <Leave slug=slug.clone() actions after=after.clone()/>
        {settings.may(DELETE_PROFILE).then(|| view! { <DeleteOrganization settings=settings.clone() after/> })}
    }
}

/// A hidden field naming the organization.
#[component]
fn SlugField(slug: String) -> impl IntoView {
    view! { <input type="hidden" name="slug" value=slug/> }
}

#[component]
fn General(settings: OrganizationSettings, actions: Actions) -> impl IntoView {
    let error = error_of(actions.rename.value());
    view! {
        <section aria-labelledby="org-general-title">
            <h2 id="org-general-title">"General"</h2>
            <ActionForm action=actions.rename>
                <GlobalError error/>
                <SlugField slug=settings.slug.clone()/>
                <Field label="Name" name="name" field="name" required=true value=settings.name.clone() error/>
                <Field label="Slug" name="new_slug" field="slug" required=true value=settings.slug.clone() error/>
                <SubmitButton label="Save" pending=actions.rename.pending().into()/>
            </ActionForm>
        </section>
    }
}

/// A role picker: the roles a member can have, `current` selected.
fn role_options(roles: &[String], current: &str) -> impl IntoView {
    roles
        .iter()
        .map(|role| {
            let selected = role == current;
            view! { <option value=role.clone() selected=selected>{role.clone()}</option> }
        })
        .collect_view()
}

#[component]
fn Members(settings: OrganizationSettings, actions: Actions) -> impl IntoView {
    let manage = settings.may(MANAGE_MEMBERSHIPS);
    let error = Signal::derive(move || {
        error_of(actions.change_role.value())
            .get()
            .or_else(|| error_of(actions.remove.value()).get())
    });
    let rows = settings
        .members
        .iter()
        .map(|member| {
            let own = member.user_id == settings.viewer_id;
            let controls = (manage && !own).then(|| {
                view! {
                    <MemberControls
                        slug=settings.slug.clone()
                        user_id=member.user_id.to_string()
                        email=member.email_address.clone()
                        role=member.role.clone()
                        roles=settings.roles.clone()
                        actions/>
                }
            });
            view! {
                <li data-testid="member">
                    <span class="member-email">{member.email_address.clone()}</span>
                    " — "
                    <span class="member-role" data-testid="member-role">{member.role.clone()}</span>
                    {own.then(|| view! { <span class="you">" (you)"</span> })}
                    {controls}
                </li>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="org-members-title">
            <h2 id="org-members-title">"Members"</h2>
            <GlobalError error/>
            <ul class="members" data-testid="members">{rows}</ul>
        </section>
    }
}

/// An admin's controls for another member: change the role, remove.
#[component]
fn MemberControls(
    slug: String,
    user_id: String,
    email: String,
    role: String,
    roles: Vec<String>,
    actions: Actions,
) -> impl IntoView {
    let (role_label, remove_label) = (format!("Role of {email}"), format!("Remove member {email}"));
    let options = role_options(&roles, &role);
    let (slug_for_remove, user_for_remove) = (slug.clone(), user_id.clone());
    view! {
        <ActionForm action=actions.change_role attr:class="inline">
            <SlugField slug/>
            <input type="hidden" name="user_id" value=user_id/>
            <select name="role" aria-label=role_label>{options}</select>
            <button type="submit">"Change role"</button>
        </ActionForm>
        <ActionForm action=actions.remove attr:class="inline">
            <SlugField slug=slug_for_remove/>
            <input type="hidden" name="user_id" value=user_for_remove/>
            <button type="submit" aria-label=remove_label>"Remove member"</button>
        </ActionForm>
    }
}

#[component]
fn Invitations(settings: OrganizationSettings, actions: Actions) -> impl IntoView {
    let error = error_of(actions.invite.value());
    let list_error = Signal::derive(move || {
        error_of(actions.revoke.value())
            .get()
            .or_else(|| error_of(actions.resend.value()).get())
    });
    let pending = |invitation: &OrganizationInvitation| {
        let (id, slug) = (
            invitation.id.to_string(),
            invitation.organization_slug.clone(),
        );
        let (id_for_resend, slug_for_resend) = (id.clone(), slug.clone());
        let email = &invitation.email_address;
        let (revoke_label, resend_label) = (format!("Revoke {email}"), format!("Resend {email}"));
        view! {
            <li data-testid="invitation">
                <span>{email.clone()}</span> " " <span>{invitation.role.clone()}</span>
                <ActionForm action=actions.revoke attr:class="inline">
                    <SlugField slug/>
                    <input type="hidden" name="invitation_id" value=id/>
                    <button type="submit" aria-label=revoke_label>"Revoke"</button>
                </ActionForm>
                <ActionForm action=actions.resend attr:class="inline">
                    <SlugField slug=slug_for_resend/>
                    <input type="hidden" name="invitation_id" value=id_for_resend/>
                    <button type="submit" aria-label=resend_label>"Resend"</button>
                </ActionForm>
            </li>
        }
    };
    let rows = settings.invitations.iter().map(pending).collect_view();
    view! {
        <section aria-labelledby="org-invitations-title">
            <h2 id="org-invitations-title">"Invitations"</h2>
            <h3>"Invite"</h3>
            <ActionForm action=actions.invite>
                <GlobalError error/>
                <SlugField slug=settings.slug.clone()/>
                <Field label="Email address" name="email_address" field="emailAddress" kind="email" required=true error/>
                <div class="field">
                    <label for="field-invite-role">"Role"</label>
                    <select id="field-invite-role" name="role">{role_options(&settings.roles, crate::model::ROLE_MEMBER)}</select>
                </div>
                <SubmitButton label="Send invitation" pending=actions.invite.pending().into()/>
            </ActionForm>
            <GlobalError error=list_error/>
            <ul class="invitations" data-testid="invitations">{rows}</ul>
        </section>
    }
}

#[component]
fn Leave(slug: String, actions: Actions, after: String) -> impl IntoView {
    follow_changes(actions.leave.value(), None);
    let error = error_of(actions.leave.value());
    view! {
        <section aria-labelledby="org-leave-title">
            <h2 id="org-leave-title">"Leave organization"</h2>
            <ActionForm action=actions.leave>
                <GlobalError error/>
                <SlugField slug/>
                <input type="hidden" name="redirect_url" value=after/>
                <button type="submit">"Leave organization"</button>
            </ActionForm>
        </section>
    }
}

/// Deleting: reverification (the in-place prompt with JavaScript; without it the form asks
/// for the password after the refusal) and the organization's name, typed.
#[component]
fn DeleteOrganization(settings: OrganizationSettings, after: String) -> impl IntoView {
    let refused = error_in_url(endpoint::DELETE_ORGANIZATION)
        .filter(|error| error.reverification_required().is_none());
    let error = RwSignal::new(refused);
    let pending = RwSignal::new(false);
    let (context, go) = (auth_context(), GoTo::new());
    let delete = use_reverification(|(slug, confirmation, after): (String, String, String)| {
        api::delete_organization(slug, confirmation, None, None, Some(after))
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let form = Submitted::take(&ev);
        let args = (
            form.value("slug"),
            form.value("confirmation"),
            form.value("redirect_url"),
        );
        let delete = delete.clone();
        pending.set(true);
        spawn_local(async move {
            let result = delete.call(args).await;
            pending.set(false);
            match result {
                Ok(change) => apply_change_in(context, go, &change, None),
                Err(refusal) => error.set(Some(refusal)),
            }
        });
    };
    let error: Signal<Option<GatehouseError>> = error.into();
    let label = format!("Type \"{}\" to confirm", settings.name);
    view! {
        <section class="danger" aria-labelledby="org-delete-title">
            <h2 id="org-delete-title">"Delete organization"</h2>
            <p>"Deleting the organization removes its members and invitations. This cannot be undone."</p>
            <form method="post" action=endpoint::DELETE_ORGANIZATION on:submit=on_submit>
                <GlobalError error/>
                <SlugField slug=settings.slug.clone()/>
                <input type="hidden" name="redirect_url" value=after/>
                <ReverifyFields endpoint=endpoint::DELETE_ORGANIZATION/>
                <div class="field">
                    <label for="field-confirmation">{label}</label>
                    <input id="field-confirmation" name="confirmation" type="text" required
                        aria-describedby="field-confirmation-error"/>
                    <p class="field-error" id="field-confirmation-error">
                        {move || error.get().and_then(|e| e.field("confirmation").map(|e| e.long_message.clone()))}
                    </p>
                </div>
                <SubmitButton label="Delete organization" pending=pending.into()/>
            </form>
        </section>
    }
}
