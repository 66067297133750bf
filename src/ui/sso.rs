//! The kit's SSO pieces: "Continue with <Provider>" buttons for `<SignIn/>` and `<SignUp/>`, the
//! error an SSO attempt brought back to the sign-in page, and `<SsoCallback/>`, the callback
//! page's content.

use leptos::prelude::*;

use super::{
    context::auth_context,
    fields::{ActionError, GlobalError},
    form::{error_in_url, Submitted},
    hooks::sign_in_for,
    navigation::redirect_url_param,
};
use crate::model::{AuthError, ErrorCode, GatehouseError};

/// The SSO callback page the kit's "Continue with …" buttons return to (the app hosts it; see
/// the demo's `/sso-callback`).
pub const SSO_CALLBACK_URL: &str = "/sso-callback";

/// Where the social buttons' plain forms post (no JavaScript).
pub(crate) const SSO_ENDPOINT: &str = crate::api::endpoints::SSO;

/// Where the callback page's "Continue" posts: the server finishes what the provider's answer
/// started (`sso_continue`).
const SSO_CONTINUE_ENDPOINT: &str = crate::api::endpoints::SSO_CONTINUE;

/// Clerk's `<AuthenticateWithRedirectCallback/>`: the SSO callback page's content, rendered on
/// the server and needing no wasm (in an app in Leptos' islands mode it stays outside the
/// islands). The provider returned through the server (`/sso/callback/<key>`), which moved the
/// sign-in on; this page finishes it with one form posting to `sso_continue` — the session
/// (`finalize`, then the current task's page or `redirect_url`), a sign-up by transfer when the
/// identity has no account, or the next step's page. A line of script submits the form as the
/// page loads; without JavaScript it is one "Continue" button. Opened again after success, it
/// goes to `after_sign_in_url` (nothing in progress: no second session). A refusal comes back
/// here with its error, and the button instead of the script. For a callback page of your own
/// written with the hooks, see `sign_in.reload()` and `sign_up.create_transfer()`.
#[component]
pub fn SsoCallback() -> impl IntoView {
    let here = super::page::Here::new();
    let redirect_url = here.param("redirect_url");
    let refused = error_in_url(SSO_CONTINUE_ENDPOINT);
    // Submitted once, and only when no refusal came back (it would be refused again).
    let continue_now = refused.is_none().then(|| {
        view! { <script inner_html="document.currentScript.previousElementSibling.submit();"></script> }
    });
    let error: Signal<Option<GatehouseError>> = Signal::stored(refused);
    let sign_in_url = auth_context()
        .urls
        .with_value(|urls| urls.sign_in_url.clone());
    view! {
        <section class="card auth-card">
            <h1>"Signing you in"</h1>
            <GlobalError error/>
            <form method="post" action=SSO_CONTINUE_ENDPOINT>
                <input type="hidden" name="redirect_url" value=redirect_url/>
                <button type="submit" class="primary">"Continue"</button>
            </form>
            {continue_now}
            <p class="switch"><a href=sign_in_url>"Back to sign in"</a></p>
        </section>
    }
}

/// The SSO error the callback sent the browser back with (`?sso_error=<code>`), in the words of
/// its code (never text from the URL).
pub(crate) fn sso_error_param() -> Option<GatehouseError> {
    let code = super::page::Here::new()
        .query
        .with_untracked(|query| query.get("sso_error"))?;
    let code = ErrorCode::parse(&code);
    Some(AuthError::new(code).into())
}

/// One "Continue with <name>" button per social connection. Each is its own form: without
/// JavaScript it posts to the server, which sends the browser to the provider; hydrated, the
/// hook does the same (`sso(…)`). The provider returns through the server to
/// `redirect_callback_url`.
#[component]
pub(crate) fn SocialButtons(
    /// The app's SSO callback page.
    redirect_callback_url: &'static str,
    /// Errors of a failed start are shown with the form's other errors.
    error: RwSignal<Option<GatehouseError>>,
) -> impl IntoView {
    let connections = auth_context().urls.get_value().social_connections;
    if connections.is_empty() {
        return ().into_any();
    }
    let sign_in = sign_in_for(None);
    let redirect_url = redirect_url_param();
    let buttons = connections
        .into_iter()
        .map(|connection| {
            let strategy = connection.strategy.clone();
            let on_submit = move |ev: leptos::ev::SubmitEvent| {
                let _ = Submitted::take(&ev);
                let strategy = strategy.clone();
                let target = redirect_url.get_untracked();
                leptos::task::spawn_local(async move {
                    let started = sign_in
                        .sso(strategy, redirect_callback_url.to_string(), target)
                        .await;
                    if started.is_err() {
                        error.set(sign_in.last_error().get_untracked());
                    }
                });
            };
            view! {
                <form method="post" action=SSO_ENDPOINT class="sso" on:submit=on_submit>
                    <input type="hidden" name="strategy" value=connection.strategy/>
                    <input type="hidden" name="redirect_callback_url" value=redirect_callback_url/>
                    <input type="hidden" name="redirect_url" value=redirect_url/>
                    <button type="submit" class="social" disabled=move || sign_in.pending().get()>
                        {format!("Continue with {}", connection.name)}
                    </button>
                </form>
            }
        })
        .collect_view();
    view! {
        <div class="sso-buttons">{buttons}</div>
        <p class="divider" aria-hidden="true">"or"</p>
    }
    .into_any()
}

/// The last error of a step, else one from SSO (a failed start, or the callback's `sso_error`).
pub(crate) fn with_sso_error(
    step: ActionError,
    sso: RwSignal<Option<GatehouseError>>,
) -> ActionError {
    Signal::derive(move || step.get().or_else(|| sso.get()))
}
