//! `<UserButton/>`: the signed-in user's avatar and menu — the browser's other sessions
//! (multi-session), "Add account", "Manage account", "Sign out" and "Sign out of all accounts".
//! The menu is a `<details>` element of plain forms, so it works without JavaScript.

use leptos::prelude::*;

use super::{
    context::auth_context, form::Submitted, hooks::use_session_list, page::Here,
    sign_out::sign_out_form,
};
use crate::model::{AuthSnapshot, SessionId, SessionStatus, SessionSummary, UserSummary};

/// Where the switch forms post without JavaScript.
const SET_ACTIVE_SESSION: &str = crate::api::endpoints::SET_ACTIVE_SESSION;

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
///
/// On a page that is never hydrated (an app in islands mode, outside an island) the server
/// writes the same menu once from the state, without the signals and handlers only a browser
/// uses: its forms post as they are.
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
    let profile_url = user_profile_url.unwrap_or_else(|| "/account".to_string());
    let add_account_url = context
        .urls
        .with_value(|urls| urls.multi_session.then(|| urls.sign_in_url.clone()));
    #[cfg(feature = "server")]
    if super::page::is_inert_render() {
        let menu = context
            .snapshot
            .with_untracked(|snapshot| Menu::of(snapshot, context.treat_pending_as_signed_out));
        let switch_target = after_switch_session_url.unwrap_or_else(|| {
            // Only the switch forms need it: the router's location is not free to read.
            if menu.as_ref().is_some_and(|menu| !menu.others.is_empty()) {
                Here::new().pathname.get_untracked()
            } else {
                String::new()
            }
        });
        return menu
            .map(|menu| {
                let html = menu.markup(&profile_url, add_account_url.as_deref(), &switch_target);
                view! { <details class="user-button" inner_html=html></details> }
            })
            .into_any();
    }
    let sessions = use_session_list();
    let location = Here::new();
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
    (move || {
        let Menu {
            user,
            current,
            others,
        } = context
            .snapshot
            .with(|snapshot| Menu::of(snapshot, context.treat_pending_as_signed_out))?;
        let has_others = !others.is_empty();
        let name = display_name(&user);
        Some(view! {
            <details class="user-button" node_ref=menu>
                <summary aria-label=OPEN_MENU title=name.clone()>
                    <span class="avatar" aria-hidden="true">{initials(&user)}</span>
                </summary>
                <div class="user-menu">
                    <p class="current-user">
                        <strong>{name}</strong>
                        <span class="email">{user.email_address.clone()}</span>
                    </p>
                    <a href=profile_url.clone()>{MANAGE_ACCOUNT}</a>
                    {sign_out_form(sessions, Some(current.clone()), None, None)}
                    {has_others.then(|| view! {
                        <ul class="other-sessions" aria-label=OTHER_ACCOUNTS>
                            {others.into_iter().map(|session| view! {
                                <li>
                                    <form method="post" action=SET_ACTIVE_SESSION on:submit=on_switch>
                                        <input type="hidden" name="session_id" value=session.id.as_str().to_string()/>
                                        <input type="hidden" name="redirect_url" value=switch_target/>
                                        <button type="submit" aria-label=switch_label(&session) disabled=sessions.pending()>
                                            <span class="avatar" aria-hidden="true">{initials(&session.user)}</span>
                                            <span>{display_name(&session.user)}</span>
                                            <span class="email">{session.user.email_address.clone()}</span>
                                            {(session.status == SessionStatus::Pending).then(|| view! { <span class="badge">{PENDING}</span> })}
                                        </button>
                                    </form>
                                </li>
                            }).collect_view()}
                        </ul>
                    })}
                    {add_account_url.clone().map(|url| view! { <a href=url>{ADD_ACCOUNT}</a> })}
                    {has_others.then(|| sign_out_form(sessions, None, None, Some(SIGN_OUT_ALL.to_string())))}
                </div>
            </details>
        })
    })
    .into_any()
}

/// The menu's texts, shared by its view and its markup.
const OPEN_MENU: &str = "Open user menu";
const MANAGE_ACCOUNT: &str = "Manage account";
const OTHER_ACCOUNTS: &str = "Other accounts";
const PENDING: &str = "Pending";
const ADD_ACCOUNT: &str = "Add account";
const SIGN_OUT_ALL: &str = "Sign out of all accounts";

fn switch_label(session: &SessionSummary) -> String {
    format!("Switch to {}", session.user.email_address)
}

/// What the menu shows, from the auth state: nothing when signed out (pending counts as signed
/// out under the provider's rule).
struct Menu {
    user: UserSummary,
    current: SessionId,
    /// The browser's other sessions, most recently current first.
    others: Vec<SessionSummary>,
}

impl Menu {
    fn of(snapshot: &AuthSnapshot, treat_pending_as_signed_out: bool) -> Option<Self> {
        if !snapshot.is_signed_in(treat_pending_as_signed_out) {
            return None;
        }
        let current = snapshot.session_id.clone()?;
        Some(Self {
            user: snapshot.user.clone()?,
            others: snapshot
                .other_sessions
                .iter()
                .filter(|session| session.id != current)
                .cloned()
                .collect(),
            current,
        })
    }

    /// The inside of `<details class="user-button">`, as the view above renders it.
    #[cfg(feature = "server")]
    fn markup(
        &self,
        profile_url: &str,
        add_account_url: Option<&str>,
        switch_target: &str,
    ) -> String {
        use super::{markup::Markup, sign_out::sign_out_markup};
        let mut html = Markup::new();
        let name = display_name(&self.user);
        html.open("summary", &[("aria-label", OPEN_MENU), ("title", &name)]);
        html.element(
            "span",
            &[("class", "avatar"), ("aria-hidden", "true")],
            &initials(&self.user),
        );
        html.close("summary");
        html.open("div", &[("class", "user-menu")]);
        html.open("p", &[("class", "current-user")]);
        html.element("strong", &[], &name);
        html.element("span", &[("class", "email")], &self.user.email_address);
        html.close("p");
        html.element("a", &[("href", profile_url)], MANAGE_ACCOUNT);
        sign_out_markup(&mut html, Some(self.current.as_str()), None, None);
        if !self.others.is_empty() {
            html.open(
                "ul",
                &[("class", "other-sessions"), ("aria-label", OTHER_ACCOUNTS)],
            );
            for session in &self.others {
                html.open("li", &[]);
                html.open(
                    "form",
                    &[("method", "post"), ("action", SET_ACTIVE_SESSION)],
                );
                html.open(
                    "input",
                    &[
                        ("type", "hidden"),
                        ("name", "session_id"),
                        ("value", session.id.as_str()),
                    ],
                );
                html.open(
                    "input",
                    &[
                        ("type", "hidden"),
                        ("name", "redirect_url"),
                        ("value", switch_target),
                    ],
                );
                html.open(
                    "button",
                    &[("type", "submit"), ("aria-label", &switch_label(session))],
                );
                html.element(
                    "span",
                    &[("class", "avatar"), ("aria-hidden", "true")],
                    &initials(&session.user),
                );
                html.element("span", &[], &display_name(&session.user));
                html.element("span", &[("class", "email")], &session.user.email_address);
                if session.status == SessionStatus::Pending {
                    html.element("span", &[("class", "badge")], PENDING);
                }
                html.close("button");
                html.close("form");
                html.close("li");
            }
            html.close("ul");
        }
        if let Some(url) = add_account_url {
            html.element("a", &[("href", url)], ADD_ACCOUNT);
        }
        if !self.others.is_empty() {
            sign_out_markup(&mut html, None, None, Some(SIGN_OUT_ALL));
        }
        html.close("div");
        html.into_html()
    }
}
