//! Sessions: resolving the browser's client into an `AuthSnapshot`, deriving tasks from current
//! state, creating sessions (`finalize`) and deciding where the user goes next.

use super::{
    outcome::{Navigation, Outcome},
    ports::{ClientActivity, NewSession, ResolvedClientRow, ResolvedSession, Storage},
    tokens::SecretToken,
    Gatehouse, Timestamp,
};
use crate::{
    config::Config,
    model::{
        decorate_url, task_url, AuthError, AuthSnapshot, ClientId, FactorAges, OrgId, SessionId,
        SessionStatus, SessionSummary, TaskKey, UserId, UserSummary,
    },
};

/// Facts about a session that tasks are derived from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskFacts {
    /// The operator (or a breach check) flagged the password.
    pub password_reset_required: bool,
    /// The user has a second factor.
    pub has_second_factor: bool,
    /// The session has an active organization.
    pub has_active_organization: bool,
}

/// Instance policy that tasks depend on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskPolicy {
    /// `[mfa] required`.
    pub mfa_required: bool,
    /// Organizations on and personal accounts off.
    pub organizations_required: bool,
}

impl TaskPolicy {
    /// The policy of this instance.
    pub fn from_config(config: &Config) -> Self {
        Self {
            mfa_required: config.mfa.required,
            organizations_required: config.organizations_required(),
        }
    }
}

/// The session's tasks, in the fixed order `reset-password` → `setup-mfa` → `choose-organization`.
/// Derived on every resolution, never stored: meeting a requirement completes its task.
pub fn derive_tasks(facts: &TaskFacts, policy: TaskPolicy) -> Vec<TaskKey> {
    TaskKey::ALL
        .into_iter()
        .filter(|task| match task {
            TaskKey::ResetPassword => facts.password_reset_required,
            TaskKey::SetupMfa => policy.mfa_required && !facts.has_second_factor,
            TaskKey::ChooseOrganization => {
                policy.organizations_required && !facts.has_active_organization
            }
        })
        .collect()
}

/// The session's tasks under the instance's policy.
fn tasks_of(row: &ResolvedSession, config: &Config) -> Vec<TaskKey> {
    let facts = TaskFacts {
        password_reset_required: row.password_reset_required,
        has_second_factor: row.second_factor_enabled,
        has_active_organization: row.active_org_id.is_some(),
    };
    derive_tasks(&facts, TaskPolicy::from_config(config))
}

fn user_of(row: &ResolvedSession) -> UserSummary {
    UserSummary {
        id: row.user_id.clone(),
        email_address: row.email_address.clone(),
        first_name: row.first_name.clone(),
        last_name: row.last_name.clone(),
        password_enabled: row.password_enabled,
    }
}

/// Another session of the browser, as the session list shows it.
fn summary_of(row: &ResolvedSession, config: &Config) -> SessionSummary {
    SessionSummary {
        id: row.session_id.clone(),
        status: if tasks_of(row, config).is_empty() {
            SessionStatus::Active
        } else {
            SessionStatus::Pending
        },
        user: user_of(row),
    }
}

/// Builds the snapshot for a resolved session at `now`.
pub fn snapshot_of(row: &ResolvedSession, config: &Config, now: Timestamp) -> AuthSnapshot {
    let tasks = tasks_of(row, config);
    let minutes_since = |at: Timestamp| (now - at).max(0) / 60;
    AuthSnapshot {
        session_id: Some(row.session_id.clone()),
        session_status: Some(if tasks.is_empty() {
            SessionStatus::Active
        } else {
            SessionStatus::Pending
        }),
        tasks,
        user: Some(user_of(row)),
        org_id: row.active_org_id.clone(),
        org_slug: row.active_org_slug.clone(),
        org_role: row.active_org_role.clone(),
        org_permissions: row
            .active_org_role
            .as_deref()
            .map(|role| super::organization::permissions_for(role, &config.organizations))
            .unwrap_or_default(),
        factor_verification_age: Some(FactorAges {
            first: row.first_factor_at.map(minutes_since),
            // Enabled but not verified by this session (it was added after the sign-in): as
            // stale as can be, never "not enabled", which would let the first factor stand in
            // for it.
            second: row
                .second_factor_enabled
                .then(|| minutes_since(row.second_factor_at.unwrap_or(0))),
        }),
        other_sessions: Vec::new(),
    }
}

/// What the auth layer knows about a request's browser.
#[derive(Clone, Debug, Default)]
pub struct ResolvedClient {
    /// The client id, when the cookie names a live client.
    pub client_id: Option<ClientId>,
    /// When the client's activity was last recorded.
    pub last_active_at: Option<Timestamp>,
    /// The session state.
    pub snapshot: AuthSnapshot,
}

/// Resolves a client token into the browser's auth state in one indexed query.
pub async fn resolve(
    store: &dyn Storage,
    config: &Config,
    token: Option<&SecretToken>,
    now: Timestamp,
) -> Result<ResolvedClient, AuthError> {
    let Some(token) = token else {
        return Ok(ResolvedClient::default());
    };
    let row = store.resolve_client(&token.hash(), now).await?;
    Ok(resolved_from(row, config, now))
}

/// The state of the session a verified bearer token names: its live session `session_id` of
/// `user_id`, current on its browser or not; signed out when it has ended since the token was
/// issued (so in-process, a revoked session's token stops at once, not at its expiry). The
/// browser's other sessions are not the caller's business and are left out.
pub async fn resolve_session(
    store: &dyn Storage,
    config: &Config,
    session_id: &SessionId,
    user_id: &UserId,
    now: Timestamp,
) -> Result<AuthSnapshot, AuthError> {
    let Some(row) = store.resolve_client_of_session(session_id, now).await? else {
        return Ok(AuthSnapshot::signed_out());
    };
    let session = row
        .session
        .iter()
        .chain(row.other_sessions.iter())
        .find(|session| &session.session_id == session_id && &session.user_id == user_id);
    Ok(session.map_or_else(AuthSnapshot::signed_out, |session| {
        snapshot_of(session, config, now)
    }))
}

/// Resolves the client again by id, after a change made during this request.
pub async fn reload(
    store: &dyn Storage,
    config: &Config,
    client_id: &ClientId,
    now: Timestamp,
) -> Result<ResolvedClient, AuthError> {
    let row = store.resolve_client_by_id(client_id, now).await?;
    Ok(resolved_from(row, config, now))
}

fn resolved_from(
    row: Option<ResolvedClientRow>,
    config: &Config,
    now: Timestamp,
) -> ResolvedClient {
    let Some(row) = row else {
        return ResolvedClient::default();
    };
    let mut snapshot = match &row.session {
        Some(session) => snapshot_of(session, config, now),
        None => AuthSnapshot::signed_out(),
    };
    snapshot.other_sessions = row
        .other_sessions
        .iter()
        .map(|session| summary_of(session, config))
        .collect();
    ResolvedClient {
        client_id: Some(row.client_id),
        last_active_at: row.last_active_at,
        snapshot,
    }
}

/// How often a browser's activity ("Last active" on the account page) is written: at most once
/// a minute, so a signed-in page costs no write on most requests.
pub const ACTIVITY_RESOLUTION_SECONDS: i64 = 60;

/// The longest user agent kept.
const USER_AGENT_MAX_CHARS: usize = 512;

/// Whether this request should record its browser's activity: a known client whose activity
/// was not recorded in the last [`ACTIVITY_RESOLUTION_SECONDS`].
pub fn activity_due(resolved: &ResolvedClient, now: Timestamp) -> bool {
    resolved.client_id.is_some()
        && resolved
            .last_active_at
            .is_none_or(|at| now - at >= ACTIVITY_RESOLUTION_SECONDS)
}

/// Records the browser's user agent (cut to a sane length) and IP address at `now`.
pub async fn record_activity(
    store: &dyn Storage,
    client_id: &ClientId,
    activity: ClientActivity,
    now: Timestamp,
) -> Result<(), AuthError> {
    let activity = ClientActivity {
        user_agent: activity
            .user_agent
            .map(|agent| agent.chars().take(USER_AGENT_MAX_CHARS).collect()),
        ..activity
    };
    store
        .record_client_activity(client_id, &activity, now)
        .await
}

/// A browser client, created when a flow needs one. A new token must be set as the cookie.
#[derive(Debug)]
pub struct ClientHandle {
    /// The client id.
    pub client_id: ClientId,
    /// A new token to send to the browser, when the cookie must change.
    pub new_token: Option<SecretToken>,
}

/// Returns the request's client, creating one (with a new cookie token) when it has none.
pub async fn ensure_client(
    store: &dyn Storage,
    client_id: Option<ClientId>,
    now: Timestamp,
) -> Result<ClientHandle, AuthError> {
    if let Some(client_id) = client_id {
        return Ok(ClientHandle {
            client_id,
            new_token: None,
        });
    }
    let token = SecretToken::generate();
    let client_id = store.create_client(&token.hash(), now).await?;
    Ok(ClientHandle {
        client_id,
        new_token: Some(token),
    })
}

/// Decides where to go: pending → the exact task page carrying `redirect_url` (`task_urls`
/// wins, else `<sign_in_url>/tasks/<key>`); else the decorated `redirect_url`, else
/// `fallback_url`.
pub fn navigation(
    config: &Config,
    snapshot: &AuthSnapshot,
    redirect_url: Option<&str>,
    fallback_url: &str,
) -> Navigation {
    let redirect = decorate_url(
        redirect_url
            .filter(|url| !url.is_empty())
            .unwrap_or(fallback_url),
        &config.instance.origin(),
        &config.instance.authorized_parties,
        fallback_url,
    )
    .into_string();
    let task_url = snapshot.current_task().map(|task| {
        task_url(
            task,
            &config.instance.task_url_map(),
            &config.instance.sign_in_url,
            Some(&redirect),
        )
    });
    Navigation {
        task_url,
        redirect_url: redirect,
    }
}

/// What finalize needs to know about the completed attempt.
#[derive(Clone, Debug)]
pub struct FinalizeRequest<'a> {
    /// The browser's client.
    pub client_id: &'a ClientId,
    /// The user signing in.
    pub user_id: &'a UserId,
    /// When the first factor was verified.
    pub first_factor_at: Timestamp,
    /// When the second factor was verified, if it was.
    pub second_factor_at: Option<Timestamp>,
    /// Requested target after sign-in.
    pub redirect_url: Option<&'a str>,
    /// Default target (`after_sign_in_url` / `after_sign_up_url`).
    pub fallback_url: &'a str,
    /// The organization the session starts in (one an invitation just joined); otherwise the
    /// one the user last had active.
    pub organization: Option<&'a OrgId>,
}

/// Creates the session for a complete attempt, makes it the client's current one, rotates the
/// client token, and decides where to go.
pub async fn finalize(
    gatehouse: &Gatehouse,
    request: FinalizeRequest<'_>,
    now: Timestamp,
) -> Result<Outcome, AuthError> {
    let token = SecretToken::generate();
    let expires_at = now + gatehouse.config.sessions.lifetime_days * 24 * 3600;
    let session_id = gatehouse
        .store
        .create_session(
            NewSession {
                client_id: request.client_id,
                user_id: request.user_id,
                new_token_hash: &token.hash(),
                first_factor_at: request.first_factor_at,
                second_factor_at: request.second_factor_at,
                expires_at,
                keep_other_sessions: gatehouse.config.sessions.multi_session,
            },
            now,
        )
        .await?;
    if let Some(org_id) = request.organization {
        gatehouse
            .store
            .set_active_organization(&session_id, Some(org_id))
            .await?;
    }
    let resolved = resolve(
        gatehouse.store.as_ref(),
        &gatehouse.config,
        Some(&token),
        now,
    )
    .await?;
    let snapshot = resolved.snapshot;
    let next = navigation(
        &gatehouse.config,
        &snapshot,
        request.redirect_url,
        request.fallback_url,
    );
    tracing::info!(user_id = %request.user_id, session_id = %session_id, "session created");
    Ok(Outcome {
        snapshot,
        next,
        cookie: Some(token),
    })
}

/// The client's state after a change to its current session (a task, an organization switch):
/// the fresh snapshot, and the next task or the target (`redirect_url`, else
/// `after_sign_in_url`).
pub async fn changed(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    redirect_url: Option<&str>,
    now: Timestamp,
) -> Result<Outcome, AuthError> {
    let resolved = reload(gatehouse.store.as_ref(), &gatehouse.config, client_id, now).await?;
    let next = navigation(
        &gatehouse.config,
        &resolved.snapshot,
        redirect_url,
        &gatehouse.config.instance.after_sign_in_url,
    );
    Ok(Outcome {
        snapshot: resolved.snapshot,
        next,
        cookie: None,
    })
}

/// `set_active({ session })`: makes another live session of this browser current (a pending one
/// goes to its task). A session of another browser, ended or made up, answers `not_found` and
/// changes nothing.
pub async fn set_active(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    session_id: &SessionId,
    redirect_url: Option<&str>,
    now: Timestamp,
) -> Result<Outcome, AuthError> {
    if !gatehouse
        .store
        .set_current_session(client_id, session_id, now)
        .await?
    {
        return Err(AuthError::not_found());
    }
    tracing::info!(session_id = %session_id, "session switched");
    changed(gatehouse, client_id, redirect_url, now).await
}

/// The browser's live session of the user with this (normalized) email, if any: multi-session
/// signs such a user in by activating it (`identifier_already_signed_in`), never twice.
pub async fn session_of_email(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    email: &str,
    now: Timestamp,
) -> Result<Option<SessionId>, AuthError> {
    if !gatehouse.config.sessions.multi_session {
        return Ok(None);
    }
    let resolved = reload(gatehouse.store.as_ref(), &gatehouse.config, client_id, now).await?;
    Ok(resolved
        .snapshot
        .sessions()
        .into_iter()
        .find(|session| session.user.email_address == email)
        .map(|session| session.id))
}

/// Sign-out (Clerk's `sign_out({ session_id })`): with a session, only that one of this browser
/// ends (any other id answers `not_found`) and, when it was current, the browser's most recently
/// current remaining session takes over; without, every session of the browser ends. It takes
/// effect on the next request. Then: still signed in → that session's task or the decorated
/// `redirect_url`, else `after_sign_out_url`; signed out → the same target.
pub async fn sign_out(
    gatehouse: &Gatehouse,
    client_id: Option<&ClientId>,
    session_id: Option<&SessionId>,
    redirect_url: Option<&str>,
    now: Timestamp,
) -> Result<Outcome, AuthError> {
    let snapshot = match (client_id, session_id) {
        (Some(client_id), Some(session_id)) => {
            if !gatehouse
                .store
                .end_client_session(client_id, session_id, now)
                .await?
            {
                return Err(AuthError::not_found());
            }
            reload(gatehouse.store.as_ref(), &gatehouse.config, client_id, now)
                .await?
                .snapshot
        }
        (Some(client_id), None) => {
            gatehouse.store.end_client_sessions(client_id, now).await?;
            AuthSnapshot::signed_out()
        }
        (None, _) => AuthSnapshot::signed_out(),
    };
    let next = navigation(
        &gatehouse.config,
        &snapshot,
        redirect_url,
        &gatehouse.config.instance.after_sign_out_url,
    );
    Ok(Outcome {
        snapshot,
        next,
        cookie: None,
    })
}
