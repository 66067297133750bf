use serde::{Deserialize, Serialize};

use super::{FactorAges, OrgId, SessionId, SessionStatus, TaskKey, UserId};

/// What the signed-in user looks like to the UI (never secrets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    /// The user's id (`user_…`).
    pub id: UserId,
    /// Primary email address.
    pub email_address: String,
    /// First name, if given.
    pub first_name: Option<String>,
    /// Last name, if given.
    pub last_name: Option<String>,
    /// Whether the user has a password (Clerk's `passwordEnabled`); without one, an emailed
    /// code is their first factor when they re-verify.
    #[serde(default)]
    pub password_enabled: bool,
}

/// Another session of the same browser (multi-session), as `<UserButton/>` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSummary {
    /// The session's id (what `set_active` and `sign_out` take).
    pub id: SessionId,
    /// `active`, or `pending` (switching to it goes to its task).
    pub status: SessionStatus,
    /// Its user.
    pub user: UserSummary,
}

/// The resolved state of the current request's session, before `treat_pending_as_signed_out` is
/// applied. The server resolves it once per request; `<AuthProvider>` ships it to the browser.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthSnapshot {
    /// The session, if the browser has a live one.
    pub session_id: Option<SessionId>,
    /// `active` or `pending` (absent when signed out).
    pub session_status: Option<SessionStatus>,
    /// Remaining tasks, in order; the first is current.
    pub tasks: Vec<TaskKey>,
    /// The session's user.
    pub user: Option<UserSummary>,
    /// Active organization id.
    pub org_id: Option<OrgId>,
    /// Active organization slug.
    pub org_slug: Option<String>,
    /// Role in the active organization (`org:admin`, …).
    pub org_role: Option<String>,
    /// Permissions in the active organization.
    pub org_permissions: Vec<String>,
    /// Minutes since the first and second factor were verified (`-1` = not enabled).
    pub factor_verification_age: Option<FactorAges>,
    /// The browser's other live sessions (multi-session), most recently current first.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub other_sessions: Vec<SessionSummary>,
}

impl AuthSnapshot {
    /// A signed-out snapshot.
    pub fn signed_out() -> Self {
        Self::default()
    }

    /// The current task, if the session is pending.
    pub fn current_task(&self) -> Option<TaskKey> {
        self.tasks.first().copied()
    }

    /// Whether the session's user re-verifies their first factor with an emailed code: a user
    /// without a password (signed up with SSO).
    pub fn reverifies_by_email(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|user| !user.password_enabled)
    }

    /// Every live session of the browser (Clerk's `client.sessions`): the current one first,
    /// then the others, most recently current first.
    pub fn sessions(&self) -> Vec<SessionSummary> {
        let current = match (&self.session_id, self.session_status, &self.user) {
            (Some(id), Some(status), Some(user)) => Some(SessionSummary {
                id: id.clone(),
                status,
                user: user.clone(),
            }),
            _ => None,
        };
        current
            .into_iter()
            .chain(self.other_sessions.iter().cloned())
            .collect()
    }

    /// Whether [`AuthSnapshot::auth`] would be signed in, without building it.
    pub fn is_signed_in(&self, treat_pending_as_signed_out: bool) -> bool {
        let pending = self.session_status == Some(SessionStatus::Pending);
        self.session_id.is_some()
            && self.user.is_some()
            && !(pending && treat_pending_as_signed_out)
    }

    /// Applies `treat_pending_as_signed_out`: a pending session becomes the signed-out object,
    /// keeping `session_status` (which is what drives redirects to the task).
    pub fn auth(&self, treat_pending_as_signed_out: bool) -> Auth {
        let pending = self.session_status == Some(SessionStatus::Pending);
        if self.session_id.is_none() || (pending && treat_pending_as_signed_out) {
            return Auth {
                session_status: self.session_status,
                current_task: self.current_task(),
                ..Auth::default()
            };
        }
        Auth {
            user_id: self.user.as_ref().map(|user| user.id.clone()),
            session_id: self.session_id.clone(),
            session_status: self.session_status,
            current_task: self.current_task(),
            org_id: self.org_id.clone(),
            org_role: self.org_role.clone(),
            org_slug: self.org_slug.clone(),
            org_permissions: self.org_id.as_ref().map(|_| self.org_permissions.clone()),
            factor_verification_age: self.factor_verification_age,
            user: self.user.clone(),
        }
    }
}

/// Clerk's Auth object, after `treat_pending_as_signed_out` was applied. Serializes with Clerk's
/// field names (`/api/me`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Auth {
    /// The user id, `None` when signed out (or pending, by default).
    pub user_id: Option<UserId>,
    /// The session id.
    pub session_id: Option<SessionId>,
    /// `active`, `pending`, or `None` when there is no session.
    pub session_status: Option<SessionStatus>,
    /// The current task key while pending.
    pub current_task: Option<TaskKey>,
    /// Active organization id.
    pub org_id: Option<OrgId>,
    /// Role in the active organization.
    pub org_role: Option<String>,
    /// Active organization slug.
    pub org_slug: Option<String>,
    /// Permissions in the active organization.
    pub org_permissions: Option<Vec<String>>,
    /// `[first, second]` factor ages in minutes.
    pub factor_verification_age: Option<FactorAges>,
    /// The signed-in user, for display.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user: Option<UserSummary>,
}

/// What `has()` is asked: every given dimension must pass, and at least one must be given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HasParams {
    /// An organization role (`admin` ≡ `org:admin`).
    pub role: Option<String>,
    /// An organization permission (`org:<feature>:<perm>`).
    pub permission: Option<String>,
    /// A reverification requirement: the session verified its factors recently enough.
    pub reverification: Option<super::Reverification>,
}

impl Auth {
    /// Signed in (a pending session counts only when pending was not treated as signed out).
    pub fn is_signed_in(&self) -> bool {
        self.user_id.is_some()
    }

    /// Clerk's `has()`: false when signed out; AND over what is asked; `has({})` is false.
    pub fn has(&self, params: &HasParams) -> bool {
        if !self.is_signed_in() {
            return false;
        }
        let mut asked = false;
        if let Some(role) = &params.role {
            asked = true;
            let wanted = normalize_role(role);
            if self.org_role.as_deref().map(normalize_role) != Some(wanted) {
                return false;
            }
        }
        if let Some(permission) = &params.permission {
            asked = true;
            let granted = self.org_id.is_some()
                && self
                    .org_permissions
                    .as_ref()
                    .is_some_and(|perms| perms.iter().any(|p| p == permission));
            if !granted {
                return false;
            }
        }
        if let Some(reverification) = params.reverification {
            asked = true;
            if !reverification.is_fresh(self.factor_verification_age) {
                return false;
            }
        }
        asked
    }
}

fn normalize_role(role: &str) -> String {
    if role.starts_with("org:") {
        role.to_string()
    } else {
        format!("org:{role}")
    }
}
