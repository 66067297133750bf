//! `<SignOutButton/>`: a plain form (it works without JavaScript) that, hydrated, signs out
//! through the session list without a page load; on a page never hydrated, its HTML written once.

use leptos::prelude::*;

use super::{
    form::Submitted,
    hooks::{use_session_list, SessionList},
};
use crate::model::SessionId;

/// The endpoint the sign-out form posts to (without JavaScript).
const SIGN_OUT_ENDPOINT: &str = crate::api::endpoints::SIGN_OUT;

/// A "Sign out" button (a form, so it works without JavaScript). Like Clerk's: without
/// `session_id` every session of this browser ends (with multi-session off that is the one);
/// with it, only that session, and the browser's next one becomes current.
#[component]
pub fn SignOutButton(
    /// The one session to sign out of (default: all of this browser's).
    #[prop(optional)]
    session_id: Option<SessionId>,
    /// Where to go afterwards (default `after_sign_out_url`).
    #[prop(optional, into)]
    redirect_url: Option<String>,
    /// The button's text (default "Sign out").
    #[prop(optional, into)]
    label: Option<String>,
) -> impl IntoView {
    // A page that is never hydrated needs only the form, written once.
    #[cfg(feature = "server")]
    if super::page::is_inert_render() {
        let mut html = super::markup::Markup::new();
        sign_out_fields(
            &mut html,
            session_id.as_ref().map(SessionId::as_str),
            redirect_url.as_deref(),
            label.as_deref(),
        );
        let html = html.into_html();
        return view! { <form method="post" action=SIGN_OUT_ENDPOINT class="sign-out" inner_html=html></form> }
            .into_any();
    }
    sign_out_form(use_session_list(), session_id, redirect_url, label).into_any()
}

/// The sign-out form on an existing session list (`<UserButton/>` shares its own, so a page
/// renders one set of request signals rather than one per button).
pub(crate) fn sign_out_form(
    sessions: SessionList,
    session_id: Option<SessionId>,
    redirect_url: Option<String>,
    label: Option<String>,
) -> impl IntoView {
    let id = session_id.as_ref().map(|id| id.as_str().to_string());
    let target = redirect_url.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        Submitted::take(&ev);
        let (session_id, redirect_url) = (session_id.clone(), redirect_url.clone());
        leptos::task::spawn_local(async move {
            // A refusal (the session already ended elsewhere) is in `sessions.errors`.
            let _ = sessions.sign_out(session_id, redirect_url).await;
        });
    };
    view! {
        <form method="post" action=SIGN_OUT_ENDPOINT class="sign-out" on:submit=on_submit>
            {id.map(|id| view! { <input type="hidden" name="session_id" value=id/> })}
            {target.map(|url| view! { <input type="hidden" name="redirect_url" value=url/> })}
            <button type="submit" disabled=sessions.pending()>{label.unwrap_or_else(|| SIGN_OUT.to_string())}</button>
        </form>
    }
}

/// The sign-out button's default text.
const SIGN_OUT: &str = "Sign out";

/// [`sign_out_form`] as markup, for a page that is never hydrated.
#[cfg(feature = "server")]
pub(crate) fn sign_out_markup(
    html: &mut super::markup::Markup,
    session_id: Option<&str>,
    redirect_url: Option<&str>,
    label: Option<&str>,
) {
    html.open(
        "form",
        &[
            ("method", "post"),
            ("action", SIGN_OUT_ENDPOINT),
            ("class", "sign-out"),
        ],
    );
    sign_out_fields(html, session_id, redirect_url, label);
    html.close("form");
}

/// The inside of the sign-out form.
#[cfg(feature = "server")]
fn sign_out_fields(
    html: &mut super::markup::Markup,
    session_id: Option<&str>,
    redirect_url: Option<&str>,
    label: Option<&str>,
) {
    if let Some(id) = session_id {
        html.open(
            "input",
            &[("type", "hidden"), ("name", "session_id"), ("value", id)],
        );
    }
    if let Some(url) = redirect_url {
        html.open(
            "input",
            &[("type", "hidden"), ("name", "redirect_url"), ("value", url)],
        );
    }
    html.element("button", &[("type", "submit")], label.unwrap_or(SIGN_OUT));
}
