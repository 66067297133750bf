//! Organization roles, permissions and slugs (shared by server and browser).

use serde::{Deserialize, Serialize};

use super::{InvitationId, OrgId, UserId};

/// The creator's role: every system permission.
pub const ROLE_ADMIN: &str = "org:admin";
/// The default role for new members.
pub const ROLE_MEMBER: &str = "org:member";

/// Every system permission (held by `org:admin`).
pub const SYSTEM_PERMISSIONS: [&str; 9] = [
    "org:sys_profile:manage",
    "org:sys_profile:delete",
    "org:sys_memberships:read",
    "org:sys_memberships:manage",
    "org:sys_domains:read",
    "org:sys_domains:manage",
    "org:sys_billing:read",
    "org:sys_billing:manage",
    "org:sys_entconns:manage",
];

/// The system permissions of `org:member`.
pub const MEMBER_PERMISSIONS: [&str; 2] = ["org:sys_memberships:read", "org:sys_billing:read"];

/// Longest organization name.
pub const ORG_NAME_MAX_CHARS: usize = 100;
/// Shortest and longest slug.
pub const ORG_SLUG_CHARS: (usize, usize) = (2, 64);

/// A slug suggested from a name: lowercase ASCII letters and digits joined by single hyphens.
pub fn suggest_slug(name: &str) -> String {
    let mut slug = String::new();
    let mut pending_hyphen = false;
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.push(ch.to_ascii_lowercase());
        } else {
            pending_hyphen = true;
        }
        if slug.len() >= ORG_SLUG_CHARS.1 {
            break;
        }
    }
    slug.trim_end_matches('-').to_string()
}

/// Whether `slug` is well formed: 2–64 of `a-z`, `0-9` and single inner hyphens.
pub fn is_valid_slug(slug: &str) -> bool {
    let (min, max) = ORG_SLUG_CHARS;
    (min..=max).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

/// One of the user's memberships.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// Organization id (`org_…`).
    pub organization_id: OrgId,
    /// Organization name.
    pub name: String,
    /// Organization slug.
    pub slug: String,
    /// The user's role in it.
    pub role: String,
}

/// A page of memberships (`use_organization_list`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipPage {
    /// This page's memberships, oldest first.
    pub data: Vec<Membership>,
    /// All memberships of the user.
    pub total_count: u32,
    /// 1-based page number.
    pub page: u32,
    /// Page size.
    pub page_size: u32,
}

impl MembershipPage {
    /// Whether a next page exists.
    pub fn has_next(&self) -> bool {
        self.page * self.page_size < self.total_count
    }

    /// Whether a previous page exists.
    pub fn has_previous(&self) -> bool {
        self.page > 1
    }
}

/// A member of an organization, as its member list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The member's user id.
    pub user_id: UserId,
    /// Primary email.
    pub email_address: String,
    /// Role.
    pub role: String,
}

/// Where an invitation stands (Clerk's `status`). A pending invitation past its expiry is
/// `expired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Sent; its link works.
    Pending,
    /// Accepted: the address's user is a member.
    Accepted,
    /// Revoked by an admin.
    Revoked,
    /// Past its expiry.
    Expired,
}

/// An invitation to an organization: what its admins list, and what the invited user sees
/// among their own invitations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationInvitation {
    /// The invitation (`orginv_…`).
    pub id: InvitationId,
    /// The organization.
    pub organization_id: OrgId,
    /// Its name.
    pub organization_name: String,
    /// Its slug.
    pub organization_slug: String,
    /// The address invited.
    pub email_address: String,
    /// The role the member gets.
    pub role: String,
    /// Where it stands.
    pub status: InvitationStatus,
    /// When it was made (unix seconds).
    pub created_at: i64,
    /// When its link stops working (unix seconds).
    pub expires_at: i64,
}

/// A page of an organization's pending invitations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPage {
    /// This page's invitations, oldest first.
    pub data: Vec<OrganizationInvitation>,
    /// All pending invitations of the organization.
    pub total_count: u32,
    /// 1-based page number.
    pub page: u32,
    /// Page size.
    pub page_size: u32,
}

/// What `<OrganizationProfile/>` shows of an organization to one of its members: only what the
/// viewer's role may see (the invitations need `org:sys_memberships:manage`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationSettings {
    /// The organization.
    pub organization_id: OrgId,
    /// Its name.
    pub name: String,
    /// Its slug.
    pub slug: String,
    /// The viewer.
    pub viewer_id: UserId,
    /// The viewer's role.
    pub role: String,
    /// The viewer's permissions (what the page offers follows them; the server checks each
    /// action again).
    pub permissions: Vec<String>,
    /// The members, oldest first.
    pub members: Vec<Member>,
    /// The pending invitations (empty unless the viewer manages memberships).
    pub invitations: Vec<OrganizationInvitation>,
    /// The roles a member can be given.
    pub roles: Vec<String>,
    /// The organization's domains (empty unless the viewer manages domains).
    pub domains: Vec<OrganizationDomain>,
    /// The pending membership requests (empty unless the viewer manages memberships).
    pub membership_requests: Vec<MembershipRequest>,
    /// The latest membership events — joins, role changes, removals, invitations — newest first
    /// (empty unless the viewer manages memberships).
    #[serde(default)]
    pub activity: Vec<super::account::ActivityEntry>,
}

impl OrganizationSettings {
    /// Whether the viewer holds `permission`.
    pub fn may(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

/// What users with a verified address at an organization's verified domain get (Clerk's
/// enrollment modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentMode {
    /// Nothing automatic: admins invite.
    ManualInvitation,
    /// A pending invitation ("Join").
    AutomaticInvitation,
    /// A suggestion ("Request to join"): a membership request an admin decides.
    AutomaticSuggestion,
}

impl EnrollmentMode {
    /// Every mode.
    pub const ALL: [Self; 3] = [
        Self::ManualInvitation,
        Self::AutomaticInvitation,
        Self::AutomaticSuggestion,
    ];

    /// Clerk's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManualInvitation => "manual_invitation",
            Self::AutomaticInvitation => "automatic_invitation",
            Self::AutomaticSuggestion => "automatic_suggestion",
        }
    }

    /// The mode named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.as_str() == name)
    }
}

/// A domain of an organization, as its admins see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationDomain {
    /// The domain's id (`orgdmn_…`).
    pub id: String,
    /// The domain (lowercase).
    pub name: String,
    /// Its enrollment mode.
    pub enrollment_mode: EnrollmentMode,
    /// Whether it is verified.
    pub verified: bool,
    /// Where its verification code was sent, if one was.
    pub affiliation_email_address: Option<String>,
}

/// An organization suggested to a user by their address's verified domain (Clerk's
/// `OrganizationSuggestion`): `pending` until they ask to join, then `accepted` (their request
/// waits for an admin).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationSuggestion {
    /// The organization.
    pub organization_id: OrgId,
    /// Its name.
    pub organization_name: String,
    /// Its slug.
    pub organization_slug: String,
    /// `pending` or `accepted`.
    pub status: String,
}

/// A user's request to join an organization, as its admins see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipRequest {
    /// The request's id (`orgmbr_…`).
    pub id: String,
    /// Who asks.
    pub user_id: UserId,
    /// Their primary address.
    pub email_address: String,
    /// When they asked.
    pub created_at: i64,
}

/// One page of an organization's list (Clerk's paginated resources): its items, the list's
/// total, the 1-based page number and the page size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage<T> {
    /// This page's items, oldest first.
    pub data: Vec<T>,
    /// Items in the whole list.
    pub total_count: u32,
    /// 1-based page number.
    pub page: u32,
    /// Page size.
    pub page_size: u32,
}

impl<T> ListPage<T> {
    /// Whether a next page exists.
    pub fn has_next(&self) -> bool {
        self.page.saturating_mul(self.page_size) < self.total_count
    }

    /// Whether a previous page exists.
    pub fn has_previous(&self) -> bool {
        self.page > 1
    }
}

/// A page of an organization's members.
pub type MemberPage = ListPage<Member>;
/// A page of an organization's pending membership requests.
pub type MembershipRequestPage = ListPage<MembershipRequest>;
