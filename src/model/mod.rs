//! Isomorphic types shared by the server and the browser build: statuses, task keys, the Auth
//! object, the error wire format and the redirect rule.

pub mod account;
mod auth;
pub mod codec;
mod error;
pub mod flow;
mod ids;
pub mod instance;
mod notice;
mod organization;
mod redirect;
mod reverification;
mod status;
mod tasks;

pub use auth::{Auth, AuthSnapshot, HasParams, SessionSummary, UserSummary};
pub use error::{ApiErrors, AuthError, ErrorCode, ErrorMeta, GatehouseError};
pub use ids::{ClientId, InvitationId, OrgId, PrefixedId, SessionId, SignInId, SignUpId, UserId};
pub use notice::Notice;
pub use organization::{
    is_valid_slug, suggest_slug, EnrollmentMode, InvitationPage, InvitationStatus, ListPage,
    Member, MemberPage, Membership, MembershipPage, MembershipRequest, MembershipRequestPage,
    OrganizationDomain, OrganizationInvitation, OrganizationSettings, OrganizationSuggestion,
    MEMBER_PERMISSIONS, ORG_NAME_MAX_CHARS, ROLE_ADMIN, ROLE_MEMBER, SYSTEM_PERMISSIONS,
};
pub use redirect::{decorate_url, encode_query_component, with_redirect_url, DecoratedUrl};
pub use reverification::{
    FactorAges, FactorsNeeded, Reverification, ReverificationLevel, ReverificationPreset,
    REVERIFICATION_MAX_MINUTES,
};
pub use status::{SessionStatus, SignInStatus, SignUpStatus, TaskKey};
pub use tasks::task_url;

/// The domain of an email address, lowercased (SSO picks an enterprise connection by it).
pub fn email_domain(email: &str) -> Option<String> {
    email
        .rsplit_once('@')
        .map(|(_, domain)| domain.trim().to_ascii_lowercase())
}

/// Field limits shared by forms and server-side validation.
pub mod limits {
    /// Shortest accepted password, in characters (Clerk's default).
    pub const PASSWORD_MIN_CHARS: usize = 8;
    /// Longest accepted password, in characters (bcrypt-era limit Clerk keeps).
    pub const PASSWORD_MAX_CHARS: usize = 72;
    /// Longest accepted email address (RFC 5321 path limit).
    pub const EMAIL_MAX_CHARS: usize = 254;
    /// Longest accepted first or last name.
    pub const NAME_MAX_CHARS: usize = 100;
    /// Longest accepted `redirect_url`.
    pub const REDIRECT_URL_MAX_CHARS: usize = 2048;
    /// Digits in an emailed verification code.
    pub const CODE_DIGITS: usize = 6;
}
