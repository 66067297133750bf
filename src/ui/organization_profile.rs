//! `<OrganizationProfile/>`: running an organization — general (name, slug, delete), members
//! (roles, remove, leave), invitations (invite, revoke, resend), membership requests (approve,
//! reject) and domains (add, verify, enrollment mode, remove). It shows each viewer only what
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
        self, endpoints as endpoint, AddOrganizationDomain, ChangeMemberRole,
        DecideMembershipRequest, InviteOrganizationMember, LeaveOrganization,
        RemoveOrganizationDomain, RemoveOrganizationMember, RenameOrganization,
        ResendOrganizationInvitation, RevokeOrganizationInvitation, SendDomainAffiliationCode,
        SetDomainEnrollmentMode, VerifyOrganizationDomain,
    },
    model::{
        EnrollmentMode, GatehouseError, Notice, OrganizationDomain, OrganizationInvitation,
        OrganizationSettings,
    },
};

const MANAGE_MEMBERSHIPS: &str = "org:sys_memberships:manage";
const MANAGE_PROFILE: &str = "org:sys_profile:manage";
const DELETE_PROFILE: &str = "org:sys_profile:delete";
const MANAGE_DOMAINS: &str = "org:sys_domains:manage";

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
    add_domain: ServerAction<AddOrganizationDomain>,
    send_code: ServerAction<SendDomainAffiliationCode>,
    verify_domain: ServerAction<VerifyOrganizationDomain>,
    set_mode: ServerAction<SetDomainEnrollmentMode>,
    remove_domain: ServerAction<RemoveOrganizationDomain>,
    decide: ServerAction<DecideMembershipRequest>,
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
            add_domain: ServerAction::new(),
            send_code: ServerAction::new(),
            verify_domain: ServerAction::new(),
            set_mode: ServerAction::new(),
            remove_domain: ServerAction::new(),
            decide: ServerAction::new(),
        }
    }

    /// Changes every time one of the actions that change the page's data answers.
    fn versions(&self) -> [usize; 11] {
        [
            self.rename.version().get(),
            self.change_role.version().get(),
            self.remove.version().get(),
            self.invite.version().get(),
            self.revoke.version().get(),
            self.resend.version().get(),
            self.add_domain.version().get(),
            self.verify_domain.version().get(),
            self.set_mode.version().get(),
            self.remove_domain.version().get(),
            self.decide.version().get(),
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
        {(settings.may(MANAGE_MEMBERSHIPS) && !settings.membership_requests.is_empty()).then(|| view! { <Requests settings=settings.clone() actions/> })}
        {settings.may(MANAGE_DOMAINS).then(|| view! { <Domains settings=settings.clone() actions/> })}
        {settings.may(MANAGE_MEMBERSHIPS).then(|| view! { <Activity settings=settings.clone()/> })}
        <Leave slug=slug.clone() actions after=after.clone()/>
        {settings.may(DELETE_PROFILE).then(|| view! { <DeleteOrganization settings=settings.clone() after/> })}
    }
}

/// The organization's membership events, for those who manage memberships.
#[component]
fn Activity(settings: OrganizationSettings) -> impl IntoView {
    let none = settings.activity.is_empty();
    let rows = settings
        .activity
        .into_iter()
        .map(|event| {
            let about = [event.email, event.detail]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ");
            view! {
                <li data-testid="org-activity">
                    <strong>{event.what}</strong>
                    {(!about.is_empty()).then(|| view! { " " <span class="muted">{about}</span> })}
                    " " <span class="muted">{event.when}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="org-activity-title">
            <h2 id="org-activity-title">"Membership activity"</h2>
            {none.then(|| view! { <p class="muted">"Nothing yet."</p> })}
            <ul class="activity">{rows}</ul>
        </section>
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

/// The pending membership requests: Approve (the requester becomes `org:member`) or Reject.
#[component]
fn Requests(settings: OrganizationSettings, actions: Actions) -> impl IntoView {
    let error = error_of(actions.decide.value());
    let rows = settings
        .membership_requests
        .iter()
        .map(|request| {
            let email = request.email_address.clone();
            let (approve, reject) = (format!("Approve {email}"), format!("Reject {email}"));
            let (slug, id) = (settings.slug.clone(), request.id.clone());
            view! {
                <li data-testid="membership-request">
                    <span>{email}</span>
                    <ActionForm action=actions.decide attr:class="inline">
                        <SlugField slug/>
                        <input type="hidden" name="request_id" value=id/>
                        <button type="submit" name="decision" value="approve" aria-label=approve>"Approve"</button>
                        <button type="submit" name="decision" value="reject" aria-label=reject>"Reject"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <section aria-labelledby="org-requests-title">
            <h2 id="org-requests-title">"Membership requests"</h2>
            <GlobalError error/>
            <ul class="requests">{rows}</ul>
        </section>
    }
}

/// The enrollment modes, `current` selected.
fn mode_options(current: EnrollmentMode) -> impl IntoView {
    EnrollmentMode::ALL
        .into_iter()
        .map(|mode| {
            let selected = mode == current;
            view! { <option value=mode.as_str() selected=selected>{mode.as_str()}</option> }
        })
        .collect_view()
}

/// The organization's domains: "Add domain" (Domain, enrollment mode), then each with its
/// verification (a code to an address at it), its mode, and "Remove".
#[component]
fn Domains(settings: OrganizationSettings, actions: Actions) -> impl IntoView {
    let error = error_of(actions.add_domain.value());
    let list_error = Signal::derive(move || {
        [
            error_of(actions.send_code.value()).get(),
            error_of(actions.verify_domain.value()).get(),
            error_of(actions.set_mode.value()).get(),
            error_of(actions.remove_domain.value()).get(),
        ]
        .into_iter()
        .flatten()
        .next()
    });
    let rows = settings
        .domains
        .iter()
        .map(|domain| view! { <DomainRow domain=domain.clone() slug=settings.slug.clone() actions/> })
        .collect_view();
    view! {
        <section aria-labelledby="org-domains-title">
            <h2 id="org-domains-title">"Domains"</h2>
            <ActionForm action=actions.add_domain>
                <GlobalError error/>
                <SlugField slug=settings.slug.clone()/>
                // Not `<Field/>`: its id would be the General section's `field-name`.
                <div class="field">
                    <label for="field-domain-name">"Domain"</label>
                    <input id="field-domain-name" name="name" type="text" required
                        aria-describedby="field-domain-name-error"
                        aria-invalid=move || error.get().and_then(|e| e.field("name").cloned()).is_some().to_string()/>
                    <p class="field-error" id="field-domain-name-error">
                        {move || error.get().and_then(|e| e.field("name").map(|e| e.long_message.clone()))}
                    </p>
                </div>
                <div class="field">
                    <label for="field-enrollment-mode">"Enrollment mode"</label>
                    <select id="field-enrollment-mode" name="enrollment_mode">{mode_options(EnrollmentMode::ManualInvitation)}</select>
                </div>
                <SubmitButton label="Add domain" pending=actions.add_domain.pending().into()/>
            </ActionForm>
            <GlobalError error=list_error/>
            <ul class="domains" data-testid="domains">{rows}</ul>
        </section>
    }
}

#[component]
fn DomainRow(domain: OrganizationDomain, slug: String, actions: Actions) -> impl IntoView {
    let state = if domain.verified {
        "verified"
    } else {
        "unverified"
    };
    let verification = (!domain.verified).then(|| {
        let name = &domain.name;
        let (email_id, code_id) = (format!("field-affiliation-{}", domain.id), format!("field-code-{}", domain.id));
        let (email_label, code_label) = (format!("Email address at {name}"), format!("Verification code for {name}"));
        let (slug_a, slug_b) = (slug.clone(), slug.clone());
        let (id_a, id_b) = (domain.id.clone(), domain.id.clone());
        let affiliation = domain.affiliation_email_address.clone();
        let (email_for, code_for) = (email_id.clone(), code_id.clone());
        view! {
            <ActionForm action=actions.send_code attr:class="inline">
                <SlugField slug=slug_a/>
                <input type="hidden" name="domain_id" value=id_a/>
                <label for=email_for>{email_label}</label>
                <input id=email_id type="email" name="affiliation_email_address" required value=affiliation/>
                <button type="submit">"Send code"</button>
            </ActionForm>
            <ActionForm action=actions.verify_domain attr:class="inline">
                <SlugField slug=slug_b/>
                <input type="hidden" name="domain_id" value=id_b/>
                <label for=code_for>{code_label}</label>
                <input id=code_id name="code" inputmode="numeric" autocomplete="one-time-code" required/>
                <button type="submit">"Verify"</button>
            </ActionForm>
        }
    });
    let (slug_mode, slug_remove) = (slug.clone(), slug);
    let (id_mode, id_remove) = (domain.id.clone(), domain.id.clone());
    let mode_label = format!("Enrollment mode of {}", domain.name);
    let remove_label = format!("Remove {}", domain.name);
    view! {
        <li data-testid="domain">
            <span class="domain-name">{domain.name.clone()}</span>
            " — "
            <span data-testid="domain-state">{state}</span>
            {verification}
            <ActionForm action=actions.set_mode attr:class="inline">
                <SlugField slug=slug_mode/>
                <input type="hidden" name="domain_id" value=id_mode/>
                <select name="enrollment_mode" aria-label=mode_label>{mode_options(domain.enrollment_mode)}</select>
                <button type="submit">"Save mode"</button>
            </ActionForm>
            <ActionForm action=actions.remove_domain attr:class="inline">
                <SlugField slug=slug_remove/>
                <input type="hidden" name="domain_id" value=id_remove/>
                <button type="submit" aria-label=remove_label>"Remove"</button>
            </ActionForm>
        </li>
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
