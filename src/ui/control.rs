use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{context::auth_context, page::is_inert_render};
use crate::model::{with_redirect_url, Auth, AuthSnapshot, HasParams};

/// What `<Show when=…>` checks.
#[derive(Clone)]
pub enum When {
    /// A session counts as signed in.
    SignedIn,
    /// No session (or a pending one, by default).
    SignedOut,
    /// Signed in with this organization role (`admin` ≡ `org:admin`).
    Role(String),
    /// Signed in with this organization permission.
    Permission(String),
    /// Signed in and the predicate holds.
    Predicate(Arc<dyn Fn(&Auth) -> bool + Send + Sync>),
    /// Never shows (an unknown `when` string fails closed).
    Never,
}

impl When {
    /// `when` for a role.
    pub fn role(role: &str) -> Self {
        Self::Role(role.to_string())
    }

    /// `when` for a permission.
    pub fn permission(permission: &str) -> Self {
        Self::Permission(permission.to_string())
    }

    /// `when` for a predicate over the Auth object.
    pub fn predicate(check: impl Fn(&Auth) -> bool + Send + Sync + 'static) -> Self {
        Self::Predicate(Arc::new(check))
    }

    /// Whether `auth` satisfies this condition.
    pub fn matches(&self, auth: &Auth) -> bool {
        match self {
            Self::SignedIn => auth.is_signed_in(),
            Self::SignedOut => !auth.is_signed_in(),
            Self::Role(role) => auth.has(&HasParams {
                role: Some(role.clone()),
                ..HasParams::default()
            }),
            Self::Permission(permission) => auth.has(&HasParams {
                permission: Some(permission.clone()),
                ..HasParams::default()
            }),
            Self::Predicate(check) => auth.is_signed_in() && check(auth),
            Self::Never => false,
        }
    }

    /// Whether the state satisfies this condition under `treat_pending_as_signed_out`: what
    /// [`When::matches`] answers for its Auth object, which is only built when a role, a
    /// permission or a predicate needs it (building it clones the user).
    pub fn holds(&self, snapshot: &AuthSnapshot, treat_pending_as_signed_out: bool) -> bool {
        match self {
            Self::SignedIn => snapshot.is_signed_in(treat_pending_as_signed_out),
            Self::SignedOut => !snapshot.is_signed_in(treat_pending_as_signed_out),
            other => other.matches(&snapshot.auth(treat_pending_as_signed_out)),
        }
    }
}

impl From<&str> for When {
    /// `"signed-in"` / `"signed-out"`, as in Clerk.
    fn from(value: &str) -> Self {
        match value {
            "signed-in" => Self::SignedIn,
            "signed-out" => Self::SignedOut,
            other => {
                leptos::logging::warn!("gatehouse: <Show when={other:?}> is not a known condition");
                Self::Never
            }
        }
    }
}

/// Renders `children` when `when` holds, else `fallback` (import it as `gatehouse::prelude::Show`;
/// Leptos has its own `Show`). Follows auth changes in place; on a page that is never hydrated
/// (islands mode, outside an island) it renders the branch that holds once.
#[component]
pub fn Show(
    /// The condition: `"signed-in"`, `"signed-out"`, `When::role(…)`, `When::permission(…)`,
    /// `When::predicate(…)`.
    #[prop(into)]
    when: When,
    /// Rendered when the condition fails.
    #[prop(optional, into)]
    fallback: ViewFn,
    /// Overrides the provider's `treat_pending_as_signed_out`.
    #[prop(optional)]
    treat_pending_as_signed_out: Option<bool>,
    children: ChildrenFn,
) -> impl IntoView {
    let context = auth_context();
    let treat = treat_pending_as_signed_out.unwrap_or(context.treat_pending_as_signed_out);
    let holds = move || {
        context
            .snapshot
            .with(|snapshot| when.holds(snapshot, treat))
    };
    // A page that is never hydrated renders the one branch that holds, once.
    if is_inert_render() {
        return if holds() { children() } else { fallback.run() };
    }
    let passes = Memo::new(move |_| holds());
    (move || {
        if passes.get() {
            children()
        } else {
            fallback.run()
        }
    })
    .into_any()
}

/// Renders its children only when signed in.
#[component]
pub fn SignedIn(
    /// Overrides the provider's `treat_pending_as_signed_out`.
    #[prop(optional)]
    treat_pending_as_signed_out: Option<bool>,
    children: ChildrenFn,
) -> impl IntoView {
    view! { <Show when=When::SignedIn treat_pending_as_signed_out=treat_pending_as_signed_out.unwrap_or(auth_context().treat_pending_as_signed_out) children/> }
}

/// Renders its children only when signed out.
#[component]
pub fn SignedOut(
    /// Overrides the provider's `treat_pending_as_signed_out`.
    #[prop(optional)]
    treat_pending_as_signed_out: Option<bool>,
    children: ChildrenFn,
) -> impl IntoView {
    view! { <Show when=When::SignedOut treat_pending_as_signed_out=treat_pending_as_signed_out.unwrap_or(auth_context().treat_pending_as_signed_out) children/> }
}

/// Renders its children when signed in and every given `role` / `permission` /
/// `reverification` holds (with none, being signed in is enough); else `fallback`.
#[component]
pub fn Protect(
    /// Required organization role.
    #[prop(optional, into)]
    role: Option<String>,
    /// Required organization permission.
    #[prop(optional, into)]
    permission: Option<String>,
    /// Required reverification: the session verified its factors recently enough.
    #[prop(optional)]
    reverification: Option<crate::model::Reverification>,
    /// Rendered when the check fails.
    #[prop(optional, into)]
    fallback: ViewFn,
    /// Overrides the provider's `treat_pending_as_signed_out`.
    #[prop(optional)]
    treat_pending_as_signed_out: Option<bool>,
    children: ChildrenFn,
) -> impl IntoView {
    let when = if role.is_none() && permission.is_none() && reverification.is_none() {
        When::SignedIn
    } else {
        let params = HasParams {
            role,
            permission,
            reverification,
        };
        When::predicate(move |auth| auth.has(&params))
    };
    let treat = treat_pending_as_signed_out.unwrap_or(auth_context().treat_pending_as_signed_out);
    view! { <Show when fallback treat_pending_as_signed_out=treat children/> }
}

/// Sends the browser to the sign-in page, with `redirect_url` back to the current page.
#[component]
pub fn RedirectToSignIn() -> impl IntoView {
    let urls = auth_context().urls.get_value();
    let here = super::page::Here::new().path_and_query();
    let target = with_redirect_url(&urls.sign_in_url, Some(&here));
    view! { <Redirect path=target/> }
}

/// Sends a pending user to the current task's page (carrying `redirect_url` back here) and
/// renders nothing otherwise.
#[component]
pub fn RedirectToTasks() -> impl IntoView {
    let context = auth_context();
    let location = super::page::Here::new();
    move || {
        let task = context.snapshot.with(|snapshot| snapshot.current_task())?;
        let here = location.path_and_query();
        Some(view! { <Redirect path=context.task_url(task, Some(&here))/> })
    }
}
