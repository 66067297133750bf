//! What the browser learns about the instance: its URLs and settings (shipped with each page)
//! and the session token `get_token()` receives.

use serde::{Deserialize, Serialize};

/// A session token as the browser's `get_token()` receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionToken {
    /// The JWT (RS256, verifiable with `/.well-known/jwks.json`).
    pub jwt: String,
    /// Seconds it stays valid (counted from the browser's own clock on arrival, so a browser
    /// clock that is off does not matter).
    pub expires_in_seconds: i64,
}

/// Instance URLs and settings the kit's components need in the browser (shipped with the page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceUrls {
    /// The sign-in page.
    pub sign_in_url: String,
    /// The sign-up page.
    pub sign_up_url: String,
    /// Default target after sign-in.
    pub after_sign_in_url: String,
    /// Default target after sign-up.
    pub after_sign_up_url: String,
    /// Target after sign-out.
    pub after_sign_out_url: String,
    /// Task key → page hosting it (from config).
    pub task_urls: std::collections::BTreeMap<super::TaskKey, String>,
    /// Whether users may create organizations (else the choose-organization task says
    /// "You must belong to an organization").
    pub organization_creation_allowed: bool,
    /// The instance origin (`decorate_url` in the browser).
    pub origin: String,
    /// Other origins allowed as redirect targets.
    pub authorized_parties: Vec<String>,
    /// The social SSO connections: one "Continue with <name>" button each.
    pub social_connections: Vec<SocialConnection>,
    /// Email domains with an enterprise SSO connection (the sign-in form sends them to it).
    pub enterprise_domains: Vec<String>,
    /// `sessions.multi_session`: `<UserButton/>` offers "Add account".
    pub multi_session: bool,
    /// Passkeys are offered ("Sign in with passkey" where the browser supports them).
    #[serde(default)]
    pub passkeys: bool,
}

/// A social SSO connection as its button shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialConnection {
    /// `oauth_<key>`.
    pub strategy: String,
    /// The provider's name ("Continue with <name>").
    pub name: String,
}

/// Where the kit's router serves the browser's half of passkeys (`ui/passkeys.js`), which the
/// kit's pages load: shared by the server that serves it and the components that name it.
pub const PASSKEY_SCRIPT_PATH: &str = "/__gatehouse/passkeys.js";

impl InstanceUrls {
    /// Whether the domain of `email` has an enterprise connection.
    pub fn is_enterprise_email(&self, email: &str) -> bool {
        super::email_domain(email).is_some_and(|domain| self.enterprise_domains.contains(&domain))
    }
}

impl Default for InstanceUrls {
    fn default() -> Self {
        Self {
            sign_in_url: "/sign-in".into(),
            sign_up_url: "/sign-up".into(),
            after_sign_in_url: "/dashboard".into(),
            after_sign_up_url: "/dashboard".into(),
            after_sign_out_url: "/".into(),
            task_urls: Default::default(),
            organization_creation_allowed: true,
            origin: String::new(),
            authorized_parties: Vec::new(),
            social_connections: Vec::new(),
            enterprise_domains: Vec::new(),
            multi_session: false,
            passkeys: false,
        }
    }
}
