//! The kit's SSO pieces: "Continue with <Provider>" buttons for `<SignIn/>` and `<SignUp/>`, and
//! the error an SSO attempt brought back to the sign-in page.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{
    fields::ActionError,
    flows::redirect_url_param,
    hooks::{sign_in_for, Submitted},
    provider::auth_context,
};
use crate::model::{AuthError, ErrorCode, GatehouseError};

/// Where the social buttons' plain forms post (no JavaScript).
pub(crate) const SSO_ENDPOINT: &str = "/api/auth/sso";

/// The SSO error the callback sent the browser back with (`?sso_error=<code>`), in the words of
/// its code (never text from the URL).
pub(crate) fn sso_error_param() -> Option<GatehouseError> {
    let code = use_query_map().with_untracked(|query| query.get("sso_error"))?;
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
