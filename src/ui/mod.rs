//! The kit's components and hooks.

mod control;
mod fields;
mod flows;
mod provider;

pub use control::{Protect, RedirectToSignIn, Show, SignedIn, SignedOut, When};
pub use flows::{SignIn, SignOutButton, SignUp};
pub use provider::{use_auth, use_auth_with, use_instance_urls, AuthContext, AuthProvider};
