//! Route protection, declared once per app: signed-out page requests go to sign-in with
//! `redirect_url`; pending ones go straight to the exact task page; API paths answer 401 with
//! Clerk's envelope; signed in but failing a role/permission rule gets 404. Organization sync
//! activates the organization named in the URL for its members.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{error_response, AppState, RequestAuth};
use crate::{
    domain::{
        self,
        organization::{self, sync_from_slug, SyncOutcome},
        session,
    },
    model::{with_redirect_url, AuthError, HasParams},
};

/// Whether a protected path is a page (redirects) or an API (JSON errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtectKind {
    /// HTML page: 302 to sign-in or to the current task.
    Page,
    /// JSON API: 401 with Clerk's envelope.
    Api,
}

/// A protected path pattern (`/dashboard`, `/orgs/:slug/settings`): the path and everything
/// below it. `:name` matches one segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectRule {
    /// The pattern.
    pub pattern: String,
    /// Page or API.
    pub kind: ProtectKind,
    /// Role / permission required beyond being signed in (failing → 404).
    pub require: Option<HasParams>,
}

impl ProtectRule {
    /// A protected page (and its sub-paths).
    pub fn page(pattern: &str) -> Self {
        Self {
            pattern: pattern.to_string(),
            kind: ProtectKind::Page,
            require: None,
        }
    }

    /// A protected API path (and its sub-paths).
    pub fn api(pattern: &str) -> Self {
        Self {
            pattern: pattern.to_string(),
            kind: ProtectKind::Api,
            require: None,
        }
    }

    /// Also requires an organization role (`admin` ≡ `org:admin`).
    pub fn role(mut self, role: &str) -> Self {
        self.require.get_or_insert_with(HasParams::default).role = Some(role.to_string());
        self
    }

    /// Also requires an organization permission.
    pub fn permission(mut self, permission: &str) -> Self {
        self.require
            .get_or_insert_with(HasParams::default)
            .permission = Some(permission.to_string());
        self
    }

    /// Whether `path` falls under this rule.
    pub fn matches(&self, path: &str) -> bool {
        match_prefix(&self.pattern, path).is_some()
    }
}

/// Matches `pattern` against the start of `path` segment by segment; returns the `:name`
/// captures.
pub fn match_prefix<'p>(pattern: &str, path: &'p str) -> Option<Vec<(String, &'p str)>> {
    let mut path_segments = path.trim_end_matches('/').split('/').skip(1);
    let mut captures = Vec::new();
    for expected in pattern.trim_end_matches('/').split('/').skip(1) {
        let actual = path_segments.next()?;
        if let Some(name) = expected.strip_prefix(':') {
            if actual.is_empty() {
                return None;
            }
            captures.push((name.to_string(), actual));
        } else if expected != actual {
            return None;
        }
    }
    Some(captures)
}

/// Route rules of an app: protection and organization sync.
#[derive(Clone, Debug)]
pub struct RouteRules {
    /// Whether a pending session counts as signed out here (default `true`: pending users are
    /// sent to their task instead of the page).
    pub treat_pending_as_signed_out: bool,
    /// Protected paths; the first match applies.
    pub protect: Vec<ProtectRule>,
    /// Patterns naming an organization by `:slug` (e.g. `/orgs/:slug`): a signed-in member's
    /// active organization follows the URL; a non-member gets 404.
    pub organization_patterns: Vec<String>,
    /// Paths of the personal account (e.g. `/me`, and everything under it): where personal
    /// accounts are allowed, a signed-in session's active organization is cleared there.
    pub personal_account_patterns: Vec<String>,
}

impl Default for RouteRules {
    fn default() -> Self {
        Self {
            treat_pending_as_signed_out: true,
            protect: Vec::new(),
            organization_patterns: Vec::new(),
            personal_account_patterns: Vec::new(),
        }
    }
}

/// Middleware: organization sync, then the protection rules, against the resolved auth.
pub async fn protect(
    State(state): State<std::sync::Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    if let Some(response) = sync_organization(&state, &mut request, &path).await {
        return response;
    }
    let Some(rule) = state.rules.protect.iter().find(|rule| rule.matches(&path)) else {
        return next.run(request).await;
    };
    let snapshot = request
        .extensions()
        .get::<RequestAuth>()
        .map(|auth| auth.snapshot.clone())
        .unwrap_or_default();
    let auth = snapshot.auth(state.rules.treat_pending_as_signed_out);
    if auth.is_signed_in() {
        let allowed = rule
            .require
            .as_ref()
            .is_none_or(|require| auth.has(require));
        return if allowed {
            next.run(request).await
        } else {
            error_response(AuthError::not_found().into()).into_response()
        };
    }
    match rule.kind {
        ProtectKind::Api => error_response(AuthError::unauthorized().into()).into_response(),
        ProtectKind::Page => {
            let config = &state.gatehouse.config;
            let here = request
                .uri()
                .path_and_query()
                .map_or_else(|| path.clone(), |pq| pq.as_str().to_string());
            let target = match snapshot.current_task() {
                Some(_) => session::navigation(
                    config,
                    &snapshot,
                    Some(&here),
                    &config.instance.after_sign_in_url,
                )
                .task_url
                .unwrap_or_else(|| config.instance.sign_in_url.clone()),
                None => with_redirect_url(&config.instance.sign_in_url, Some(&here)),
            };
            found(&target)
        }
    }
}

/// What the URL says about the active organization (`organization_sync`).
enum SyncTarget {
    /// This organization (by slug).
    Organization(String),
    /// None: a personal-account path.
    PersonalAccount,
}

impl SyncTarget {
    fn of(rules: &RouteRules, path: &str) -> Option<Self> {
        let named = rules.organization_patterns.iter().find_map(|pattern| {
            match_prefix(pattern, path)?
                .into_iter()
                .find(|(name, _)| name == "slug")
        });
        if let Some((_, slug)) = named {
            return Some(Self::Organization(slug.to_string()));
        }
        let personal = rules
            .personal_account_patterns
            .iter()
            .any(|pattern| match_prefix(pattern, path).is_some());
        personal.then_some(Self::PersonalAccount)
    }
}

/// Organization sync: activates the organization named in the URL for a signed-in member
/// (404 for others), or clears it on a personal-account path where personal accounts are
/// allowed; the request then goes on with the new state.
async fn sync_organization(
    state: &AppState,
    request: &mut Request,
    path: &str,
) -> Option<Response> {
    let target = SyncTarget::of(&state.rules, path)?;
    let request_auth = request.extensions().get::<RequestAuth>()?.clone();
    let snapshot = &request_auth.snapshot;
    let (Some(session_id), Some(user)) = (&snapshot.session_id, &snapshot.user) else {
        return None;
    };
    if !snapshot
        .auth(state.rules.treat_pending_as_signed_out)
        .is_signed_in()
    {
        return None; // pending sessions go to their task first
    }
    let gatehouse = &state.gatehouse;
    let changed = match target {
        SyncTarget::Organization(slug) => {
            let current = snapshot.org_slug.as_deref();
            match sync_from_slug(gatehouse, session_id, &user.id, current, &slug).await {
                Ok(SyncOutcome::NotMember) => {
                    return Some(error_response(AuthError::not_found().into()).into_response())
                }
                Ok(SyncOutcome::Active) => current != Some(slug.as_str()),
                Err(error) => return Some(error_response(error.into()).into_response()),
            }
        }
        SyncTarget::PersonalAccount => {
            if gatehouse.config.organizations_required() || snapshot.org_id.is_none() {
                return None;
            }
            let cleared = organization::set_active(gatehouse, session_id, &user.id, None).await;
            if let Err(error) = cleared {
                return Some(error_response(error.into()).into_response());
            }
            true
        }
    };
    if !changed {
        return None;
    }
    let client_id = request_auth.client_id.clone()?;
    let now = domain::now();
    match session::reload(gatehouse.store.as_ref(), &gatehouse.config, &client_id, now).await {
        Ok(resolved) => {
            request.extensions_mut().insert(RequestAuth::from(resolved));
            None
        }
        Err(error) => Some(error_response(error.into()).into_response()),
    }
}

/// A `302 Found` to `target` (what Clerk's middleware and browsers' form flows expect).
fn found(target: &str) -> Response {
    match http::HeaderValue::from_str(target) {
        Ok(location) => (
            http::StatusCode::FOUND,
            [(http::header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => {
            error_response(AuthError::request_invalid("unrepresentable redirect target").into())
                .into_response()
        }
    }
}
