//! The demo's islands: the only parts of its pages that run in the browser (Leptos' islands
//! mode) — the pages written with the kit's hooks and the session-token panel. Everything else —
//! the kit's sign-in and sign-up steps, task pages, the SSO callback, the header's menu, the
//! dashboard's organization switcher, the account page — is server-rendered HTML whose forms
//! post to the server, so the browser loads no code for it.
//!
//! An island hydrates on its own, without the context above it: each one is handed the page's
//! auth state ([`AuthState::current`], taken on the server) and wraps its content in
//! `<AuthProvider state=…>`. The other tabs of the browser are followed by `<TabSync/>`, a few
//! lines of script in the header of every page: a page with no island loads no wasm at all.

use leptos::prelude::*;

use crate::prelude::{AuthProvider, AuthState};

/// Marks an island's content once its code runs in the browser (`data-hydrated`, for the
/// end-to-end tests).
#[component]
fn Hydrated(children: Children) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! { <div class="island" data-hydrated=move || hydrated.get().to_string()>{children()}</div> }
}

/// `/custom/sign-in`, written with `use_sign_in()`.
#[island]
pub fn CustomSignIn(state: AuthState) -> impl IntoView {
    view! { <AuthProvider state><Hydrated><super::custom::CustomSignInPage/></Hydrated></AuthProvider> }
}

/// `/custom/sign-up`, written with `use_sign_up()`.
#[island]
pub fn CustomSignUp(state: AuthState) -> impl IntoView {
    view! { <AuthProvider state><Hydrated><super::custom::CustomSignUpPage/></Hydrated></AuthProvider> }
}

/// The dashboard's session-token panel (`get_token()` in the browser).
#[island]
pub fn TokenPanel(state: AuthState) -> impl IntoView {
    view! { <AuthProvider state><Hydrated><super::token_panel::TokenPanel/></Hydrated></AuthProvider> }
}
