//! `<UserButton/>`: the signed-in user's avatar and menu — the browser's other sessions
//! (multi-session), "Add account", "Manage account", "Sign out" and "Sign out of all accounts".
//! The menu is a `<details>` element of plain forms, so it works without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use super::{
    flows::sign_out_form,
    hooks::{use_session_list, Submitted},
    provider::auth_context,
};
use crate::model::{SessionId, SessionStatus, SessionSummary, UserSummary};

/// Where the switch forms post without JavaScript.
const SET_ACTIVE_SESSION: &str = "/api/auth/set_active_session";

/// "Ada Lovelace", else the email address.
fn display_name(user: &UserSummary) -> String {
    let name = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        user.email_address.clone()
    } else {
        name
    }
}

/// Up to two initials for the avatar ("AL"), from the name or the email address.
fn initials(user: &UserSummary) -> String {
    display_name(user)
        .split([' ', '.', '@'])
        .filter_map(|part| part.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// The signed-in user's button and menu (Clerk's `<UserButton/>`): the current user, "Manage
/// account", the browser's other sessions to switch to (`set_active`; a pending one goes to its
/// task), "Add account" (with `sessions.multi_session`), "Sign out" of this session (the next
/// one becomes current) and "Sign out of all accounts". Renders nothing when signed out.
#[component]
pub fn UserButton(
    /// The "Manage account" link (default `/account`, where the demo shows `<UserProfile/>`).
    #[prop(optional, into)]
    user_profile_url: Option<String>,
    /// Where a switch goes (default: stay on this page, as the new user).
    #[prop(optional, into)]
    after_switch_session_url: Option<String>,
) -> impl IntoView {
    let context = auth_context();
    let sessions = use_session_list();
    let urls = context.urls.get_value();
    let location = use_location();
    let profile_url = user_profile_url.unwrap_or_else(|| "/account".to_string());
    let switch_target = Signal::derive(move || {
        after_switch_session_url
            .clone()
            .unwrap_or_else(|| location.pathname.get())
    });
    let menu = NodeRef::<leptos::html::Details>::new();
    let close = move || {
        if let Some(menu) = menu.get_untracked() {
            menu.set_open(false);
        }
    };
    // The menu is updated in place when the state changes, so it would stay open: it closes
    // on every navigation and every auth change (a switch, a sign-out, another tab's).
    Effect::new(move |_| {
        location.pathname.track();
        context.snapshot.track();
        close();
    });
    let on_switch = move |ev: leptos::ev::SubmitEvent| {
        let form = Submitted::take(&ev);
        let session_id = SessionId::new(form.value("session_id"));
        let redirect_url = Some(switch_target.get_untracked());
        leptos::task::spawn_local(async move {
            // A refusal (that session ended meanwhile) is in `sessions.errors`.
            let _ = sessions.set_active(session_id, redirect_url, None).await;
        });
    };
    let add_account_url = urls.multi_session.then(|| urls.sign_in_url.clone());
    move || {
        let auth = context.auth(None);
        let user = auth.user?;
        let current = auth.session_id?;
        let others: Vec<SessionSummary> = sessions
            .sessions
            .get()
            .into_iter()
            .filter(|session| session.id != current)
            .collect();
        let has_others = !others.is_empty();
        let name = display_name(&user);
        Some(view! {
            <details class="user-button" node_ref=menu>
                <summary aria-label="Open user menu" title=name.clone()>
                    <span class="avatar" aria-hidden="true">{initials(&user)}</span>
                </summary>
                <div class="user-menu">
                    <p class="current-user">
                        <strong>{name}</strong>
                        <span class="email">{user.email_address.clone()}</span>
                    </p>
                    <a href=profile_url.clone()>"Manage account"</a>
                    {sign_out_form(sessions, Some(current.clone()), None, None)}
                    {has_others.then(|| view! {
                        <ul class="other-sessions" aria-label="Other accounts">
                            {others.into_iter().map(|session| view! {
                                <li>
                                    <form method="post" action=SET_ACTIVE_SESSION on:submit=on_switch>
                                        <input type="hidden" name="session_id" value=session.id.as_str().to_string()/>
                                        <input type="hidden" name="redirect_url" value=switch_target/>
                                        <button type="submit" aria-label=format!("Switch to {}", session.user.email_address) disabled=sessions.pending()>
                                            <span class="avatar" aria-hidden="true">{initials(&session.user)}</span>
                                            <span>{display_name(&session.user)}</span>
                                            <span class="email">{session.user.email_address.clone()}</span>
                                            {(session.status == SessionStatus::Pending).then(|| view! { <span class="badge">"Pending"</span> })}
                                        </button>
                                    </form>
                                </li>
                            }).collect_view()}
                        </ul>
                    })}
                    {add_account_url.clone().map(|url| view! { <a href=url>"Add account"</a> })}
                    {has_others.then(|| sign_out_form(sessions, None, None, Some("Sign out of all accounts".to_string())))}
                </div>
            </details>
        })
    }
}
