//! The kit's components and hooks.

mod account;
mod context;
mod control;
mod fields;
mod flows;
mod form;
mod hooks;
#[cfg(feature = "server")]
mod markup;
mod navigation;
mod organization_choice;
mod organization_profile;
mod organizations;
mod page;
mod passkeys;
mod provider;
mod reverification;
mod shell;
mod sign_out;
mod sso;
mod tasks;
mod token_cache;
mod tokens;
mod user_button;

pub use account::UserProfile;
pub use context::AuthContext;
pub use control::{Protect, RedirectToSignIn, RedirectToTasks, Show, SignedIn, SignedOut, When};
pub use flows::{SignIn, SignUp};
pub use hooks::{
    use_session_list, use_sign_in, use_sign_up, ClientTrust, Errors, FetchStatus,
    ResetPasswordEmailCode, SessionList, SignInMfa, SignUpVerifications, UseSignIn, UseSignUp,
};
pub use navigation::NavigateArgs;
pub use organization_choice::{CreateOrganization, OrganizationList};
pub use organization_profile::OrganizationProfile;
pub use organizations::{
    use_organization, use_organization_list, ActiveOrganization, OrganizationList,
    OrganizationSwitcher, PagedList,
};
pub use passkeys::{use_user, PasskeyScript, UseUser, PASSKEY_SCRIPT_PATH};
pub use provider::{use_auth, use_auth_with, use_instance_urls, AuthProvider, AuthState, TabSync};
pub use reverification::{use_reverification, Reverified};
pub use shell::{BuildStylesheet, IslandScripts};
pub use sign_out::SignOutButton;
pub use sso::{SsoCallback, SSO_CALLBACK_URL};
pub use tasks::{task_view, TaskChooseOrganization, TaskResetPassword, TaskSetupMfa, UnknownTask};
pub use tokens::{use_get_token, GetToken};
pub use user_button::UserButton;
