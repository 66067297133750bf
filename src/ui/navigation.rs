//! Where the kit goes after an auth change: [`NavigateArgs`] for a `navigate` callback, the
//! change adopted and followed (task page, `navigate`, or the redirect target), and the page's
//! `redirect_url`.

use leptos::prelude::*;

use super::{
    context::{auth_context, AuthContext},
    page::{GoTo, Here},
};
use crate::{
    api::AuthChange,
    model::{AuthSnapshot, GatehouseError},
};

/// What a `navigate` callback receives after `finalize` (Clerk's `{ session, decorateUrl }`):
/// the new session state, the decorated redirect target, and [`NavigateArgs::decorate_url`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NavigateArgs {
    /// The new session state.
    pub session: AuthSnapshot,
    /// The redirect target, already through `decorate_url`.
    pub redirect_url: String,
    /// The instance URLs `decorate_url` checks against.
    urls: crate::api::InstanceUrls,
}

impl NavigateArgs {
    /// Clerk's `decorateUrl(path)`: a same-origin path stays relative (navigate client-side); an
    /// absolute URL on an allowed origin stays absolute (load it fully: it starts with `http`);
    /// anything else is refused and `after_sign_in_url` comes back instead.
    pub fn decorate_url(&self, path: &str) -> String {
        crate::model::decorate_url(
            path,
            &self.urls.origin,
            &self.urls.authorized_parties,
            &self.urls.after_sign_in_url,
        )
        .into_string()
    }
}

/// Adopts the new auth state and goes on. Where to:
/// 1. pending, and `task_urls` has the current task → that page (it beats `navigate`; the
///    precedence is logged at debug level);
/// 2. else `navigate`, when given;
/// 3. else pending → the embedded task route `<sign_in_url>/tasks/<key>`;
/// 4. else the redirect target (client-side when relative, full load when absolute).
///
/// Gaining a session sets the state first, so the target page renders signed in; losing it
/// navigates first and adopts the state on the next tick, so the page being left never sees
/// itself signed out (and never bounces to sign-in).
pub(crate) fn apply_change_with(change: &AuthChange, navigate: Option<Callback<NavigateArgs>>) {
    apply_change_in(auth_context(), GoTo::new(), change, navigate);
}

/// [`apply_change_with`] with the context and router captured beforehand (hooks call it after
/// an `await`, outside the component's reactive owner).
pub(crate) fn apply_change_in(
    context: AuthContext,
    go: GoTo,
    change: &AuthChange,
    navigate: Option<Callback<NavigateArgs>>,
) {
    let task = change.snapshot.current_task();
    let configured = task.is_some_and(|task| {
        context
            .urls
            .with_value(|urls| urls.task_urls.contains_key(&task))
    });
    let task_url = task.map(|task| context.task_url(task, Some(&change.redirect_url)));
    if let Some(navigate) = navigate.filter(|_| !configured) {
        context.snapshot.set(change.snapshot.clone());
        navigate.run(NavigateArgs {
            session: change.snapshot.clone(),
            redirect_url: change.redirect_url.clone(),
            urls: context.urls.get_value(),
        });
        return;
    }
    if navigate.is_some() {
        log_debug("gatehouse: task_urls has the current task; it wins over navigate");
    }
    let target = task_url.as_deref().unwrap_or(&change.redirect_url);
    if change.snapshot.session_id.is_some() {
        context.snapshot.set(change.snapshot.clone());
        go.run(target);
    } else {
        go.run(target);
        let snapshot = change.snapshot.clone();
        set_timeout(
            move || context.snapshot.set(snapshot),
            std::time::Duration::ZERO,
        );
    }
}

/// Follows every successful auth change an action returns (see `apply_change_with`).
pub(crate) fn follow_changes<S>(value: S, navigate: Option<Callback<NavigateArgs>>)
where
    S: Get<Value = Option<Result<AuthChange, GatehouseError>>> + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(change)) = value.get() {
            apply_change_with(&change, navigate);
        }
    });
}

fn log_debug(message: &str) {
    #[cfg(feature = "hydrate")]
    leptos::web_sys::console::debug_1(&message.into());
    #[cfg(not(feature = "hydrate"))]
    tracing::debug!("{message}");
}

/// The `redirect_url` query parameter of the current page, if any.
pub(crate) fn redirect_url_param() -> Signal<String> {
    Here::new().param("redirect_url")
}
