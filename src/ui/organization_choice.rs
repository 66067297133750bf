//! `<OrganizationList/>` and `<CreateOrganization/>` (Clerk's components): the user's
//! organizations to select, their invitations to join and the organizations their verified
//! domain suggests; and the form that creates one. The choose-organization task is made of
//! both. Every choice is a plain form, so both work without JavaScript (render their page
//! whole, `SsrMode::Async`).

use leptos::prelude::*;

use super::{
    context::auth_context,
    fields::{GlobalError, SubmitButton},
    form::error_of,
    navigation::{follow_changes, redirect_url_param},
    organizations::use_organization_list,
};
use crate::{
    api::{AcceptInvitation, RequestToJoin, SetActiveOrganization},
    model::suggest_slug,
};

/// The user's organizations ("Your organizations": select one to make it active), their
/// pending invitations ("Join") and the organizations suggested by their address's verified
/// domain ("Request to join"). After a choice: the page's `redirect_url`, else
/// `redirect_url_complete`, or the session's next task.
#[component]
pub fn OrganizationList(
    /// Where to go once no task remains (unless the URL carries `redirect_url`).
    #[prop(optional, into)]
    redirect_url_complete: String,
) -> impl IntoView {
    let select = ServerAction::<SetActiveOrganization>::new();
    let join = ServerAction::<AcceptInvitation>::new();
    let ask = ServerAction::<RequestToJoin>::new();
    follow_changes(join.value(), None);
    follow_changes(select.value(), None);
    let select_error = Signal::derive(move || {
        error_of(select.value())
            .get()
            .or_else(|| error_of(join.value()).get())
            .or_else(|| error_of(ask.value()).get())
    });
    let redirect_url = redirect_url_param();
    let complete = StoredValue::new(redirect_url_complete);
    let list = use_organization_list(20);
    Effect::new(move |_| {
        if let Some(Ok(())) = ask.value().get() {
            list.user_suggestions.refetch();
        }
    });
    view! {
            <GlobalError error=select_error/>
            <Transition fallback=|| ()>
                {move || list.page.get().and_then(|page| page.ok()).map(|page| {
                    let memberships = page.data;
                    (!memberships.is_empty()).then(|| view! {
                        <ul class="org-list" aria-label="Your organizations">
                            {memberships.into_iter().map(|membership| view! {
                                <li>
                                    <ActionForm action=select>
                                        <input type="hidden" name="organization_id" value=membership.organization_id.to_string()/>
                                        <input type="hidden" name="redirect_url" value=redirect_url/>
                                        <input type="hidden" name="redirect_url_complete" value=complete.get_value()/>
                                        <button type="submit" class="org-choice">
                                            <span class="org-name">{membership.name}</span>
                                            <span class="org-role">{membership.role}</span>
                                        </button>
                                    </ActionForm>
                                </li>
                            }).collect_view()}
                        </ul>
                    })
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || list.user_invitations.get().and_then(|invitations| invitations.ok()).filter(|invitations| !invitations.is_empty()).map(|invitations| view! {
                    <ul class="org-list" aria-label="Invitations">
                        {invitations.into_iter().map(|invitation| {
                            let label = format!("Join {}", invitation.organization_name);
                            view! {
                                <li>
                                    <ActionForm action=join>
                                        <input type="hidden" name="invitation_id" value=invitation.id.to_string()/>
                                        <input type="hidden" name="redirect_url" value=redirect_url/>
                                        <input type="hidden" name="redirect_url_complete" value=complete.get_value()/>
                                        <span class="org-name">{invitation.organization_name}</span>
                                        <span class="org-role">{invitation.role}</span>
                                        <button type="submit" class="org-choice" aria-label=label>"Join"</button>
                                    </ActionForm>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || list.user_suggestions.get().and_then(|suggestions| suggestions.ok()).filter(|suggestions| !suggestions.is_empty()).map(|suggestions| view! {
                    <ul class="org-list" aria-label="Suggestions">
                        {suggestions.into_iter().map(|suggestion| {
                            let requested = suggestion.status == "accepted";
                            let label = format!("Request to join {}", suggestion.organization_name);
                            view! {
                                <li>
                                    <ActionForm action=ask>
                                        <input type="hidden" name="organization_id" value=suggestion.organization_id.to_string()/>
                                        <span class="org-name">{suggestion.organization_name}</span>
                                        {if requested {
                                            view! { <span class="org-role" data-testid="requested">"Requested"</span> }.into_any()
                                        } else {
                                            view! { <button type="submit" class="org-choice" aria-label=label>"Request to join"</button> }.into_any()
                                        }}
                                    </ActionForm>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })}
            </Transition>
    }
}

/// Creates an organization (Name, and a Slug suggested from it) and makes it active — the user
/// becomes its `org:admin`. Where creating is turned off it says so instead.
#[component]
pub fn CreateOrganization(
    /// Where to go once no task remains (unless the URL carries `redirect_url`).
    #[prop(optional, into)]
    redirect_url_complete: String,
) -> impl IntoView {
    let create = ServerAction::<crate::api::CreateOrganization>::new();
    follow_changes(create.value(), None);
    let create_error = error_of(create.value());
    let redirect_url = redirect_url_param();
    let complete = StoredValue::new(redirect_url_complete);
    // Without JavaScript a refused form comes back as a new page: it shows what was typed.
    let name = RwSignal::new(super::fields::refused_value("name").unwrap_or_default());
    let slug = RwSignal::new(super::fields::refused_value("slug").unwrap_or_default());
    let slug_edited = RwSignal::new(false);
    let creation_allowed = auth_context()
        .urls
        .with_value(|urls| urls.organization_creation_allowed);
    view! {
            {move || if creation_allowed {
                view! {
            <h2>"Create new organization"</h2>
                    <ActionForm action=create>
                        <GlobalError error=create_error/>
                        <div class="field">
                            <label for="field-name">"Name"</label>
                            <input id="field-name" name="name" type="text" required
                                aria-describedby="field-name-error"
                                aria-invalid=move || create_error.get().and_then(|e| e.field("name").cloned()).is_some().to_string()
                                value=name.get_untracked()
                                prop:value=move || name.get()
                                on:input=move |ev| {
                                    let value = event_target_value(&ev);
                                    if !slug_edited.get_untracked() {
                                        slug.set(suggest_slug(&value));
                                    }
                                    name.set(value);
                                }/>
                            <p class="field-error" id="field-name-error">
                                {move || create_error.get().and_then(|e| e.field("name").map(|e| e.long_message.clone()))}
                            </p>
                        </div>
                        <div class="field">
                            <label for="field-slug">"Slug"</label>
                            <input id="field-slug" name="slug" type="text" required
                                aria-describedby="field-slug-error"
                                aria-invalid=move || create_error.get().and_then(|e| e.field("slug").cloned()).is_some().to_string()
                                value=slug.get_untracked()
                                prop:value=move || slug.get()
                                on:input=move |ev| {
                                    slug_edited.set(true);
                                    slug.set(event_target_value(&ev));
                                }/>
                            <p class="field-error" id="field-slug-error">
                                {move || create_error.get().and_then(|e| e.field("slug").map(|e| e.long_message.clone()))}
                            </p>
                        </div>
                        <input type="hidden" name="redirect_url" value=redirect_url/>
                        <input type="hidden" name="redirect_url_complete" value=complete.get_value()/>
                        <SubmitButton label="Create organization" pending=create.pending().into()/>
                    </ActionForm>
                        }.into_any()
            } else {
                view! { <p class="notice">"You must belong to an organization"</p> }.into_any()
            }}
    }
}
