//! The kit's components and hooks.

mod account;
mod control;
mod fields;
mod flows;
mod hooks;
#[cfg(feature = "ssr")]
mod markup;
mod organizations;
mod page;
mod provider;
mod reverification;
mod shell;
mod sso;
mod tasks;
mod tokens;
mod user_button;

/// The SSO callback page the kit's "Continue with …" buttons return to (the app hosts it; see
/// the demo's `/sso-callback`).
pub const SSO_CALLBACK_URL: &str = "/sso-callback";

pub use account::UserProfile;
pub use control::{Protect, RedirectToSignIn, RedirectToTasks, Show, SignedIn, SignedOut, When};
pub use flows::{NavigateArgs, SignIn, SignOutButton, SignUp};
pub use hooks::{
    use_session_list, use_sign_in, use_sign_up, ClientTrust, Errors, FetchStatus,
    ResetPasswordEmailCode, SessionList, SignInMfa, SignUpVerifications, UseSignIn, UseSignUp,
};
pub use organizations::{use_organization_list, OrganizationList, OrganizationSwitcher};
pub use provider::{
    use_auth, use_auth_with, use_instance_urls, AuthContext, AuthProvider, AuthState, TabSync,
};
pub use reverification::{use_reverification, Reverified};
pub use shell::{BuildStylesheet, IslandScripts};
pub use sso::SsoCallback;
pub use tasks::{task_view, TaskChooseOrganization, TaskResetPassword, TaskSetupMfa, UnknownTask};
pub use tokens::{use_get_token, GetToken};
pub use user_button::UserButton;
