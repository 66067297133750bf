//! Gatehouse: Clerk's authentication model, self-hosted and in-process, for Leptos apps.
//!
//! Layers (one way): `demo → ui → api → (server, domain) → store`; `model` is shared by all.
//! Server-only layers exist only with the `server` feature (`ssr` is `server` with both database
//! drivers, `sqlite` and `postgres`). Another app uses [`prelude`].

#![forbid(unsafe_code)]

pub mod api;
// The demo (with the wasm exports of its islands) is left out of another app's wasm.
#[cfg(any(feature = "server", feature = "demo-entry"))]
pub mod demo;
pub mod model;
pub mod ui;

#[cfg(feature = "server")]
pub mod cli;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod domain;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod oidc;
#[cfg(feature = "server")]
pub mod secret;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
pub mod token_template;

/// The kit's public API: components, hooks, and the types they use.
///
/// Leptos' prelude also exports a `Show`; import ours explicitly
/// (`use gatehouse::prelude::Show;`) — an explicit import wins over the glob.
pub mod prelude {
    pub use crate::api::{
        endpoints, AccountProfile, AuthChange, ExternalAccount, InstanceUrls, MfaSetup,
        MfaSetupDone, PasskeyFlow, PasskeyOptions, PasskeySummary, SessionToken, SignInStep,
        SignUpStep, SocialConnection,
    };
    pub use crate::model::{
        decorate_url, suggest_slug, task_url, Auth, AuthError, AuthSnapshot, DecoratedUrl,
        GatehouseError, HasParams, Member, Membership, MembershipPage, OrganizationInvitation,
        OrganizationSettings, Reverification, ReverificationLevel, ReverificationPreset, SessionId,
        SessionStatus, SessionSummary, SignInStatus, SignUpStatus, TaskKey, UserSummary,
    };
    pub use crate::ui::{
        task_view, use_auth, use_auth_with, use_get_token, use_instance_urls, use_organization,
        use_organization_list, use_reverification, use_session_list, use_sign_in, use_sign_up,
        use_user, AuthProvider, AuthState, BuildStylesheet, CreateOrganization, Errors,
        FetchStatus, GetToken, IslandScripts, NavigateArgs, OrganizationList, OrganizationProfile,
        OrganizationSwitcher, PasskeyScript, Protect, RedirectToSignIn, RedirectToTasks,
        Reverified, SessionList, Show, SignIn, SignOutButton, SignUp, SignedIn, SignedOut,
        SsoCallback, TabSync, TaskChooseOrganization, TaskResetPassword, TaskSetupMfa, UnknownTask,
        UseSignIn, UseSignUp, UseUser, UserButton, UserProfile, When,
    };

    #[cfg(feature = "server")]
    pub use crate::server::{auth, auth_with, current_user, require_reverification, AuthTokens};
}

/// Browser entry point: hydrates the demo's islands (feature `demo-entry`).
#[cfg(feature = "demo-entry")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
