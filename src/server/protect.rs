//! Route protection: signed-out page requests go to sign-in with `redirect_url`; pending ones
//! go straight to the exact task page; API paths answer 401 with Clerk's envelope.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{error_response, AppState, RequestAuth};
use crate::{
    domain::session,
    model::{encode_query_component, AuthError},
};

/// Whether a protected path is a page (redirects) or an API (JSON errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtectKind {
    /// HTML page: 302 to sign-in or to the current task.
    Page,
    /// JSON API: 401 with Clerk's envelope.
    Api,
}

/// A protected path: the path itself and everything below it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectRule {
    /// Path prefix, e.g. `/dashboard`.
    pub path: String,
    /// Page or API.
    pub kind: ProtectKind,
}

impl ProtectRule {
    /// A protected page (and its sub-paths).
    pub fn page(path: &str) -> Self {
        Self {
            path: path.to_string(),
            kind: ProtectKind::Page,
        }
    }

    /// A protected API path (and its sub-paths).
    pub fn api(path: &str) -> Self {
        Self {
            path: path.to_string(),
            kind: ProtectKind::Api,
        }
    }

    /// Whether `path` falls under this rule.
    pub fn matches(&self, path: &str) -> bool {
        let prefix = self.path.trim_end_matches('/');
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Middleware applying the rules to the resolved auth.
pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let Some(rule) = state.rules.iter().find(|rule| rule.matches(path)) else {
        return next.run(request).await;
    };
    let snapshot = request
        .extensions()
        .get::<RequestAuth>()
        .map(|auth| auth.snapshot.clone())
        .unwrap_or_default();
    if snapshot.auth(true).is_signed_in() {
        return next.run(request).await;
    }
    match rule.kind {
        ProtectKind::Api => error_response(AuthError::unauthorized().into()).into_response(),
        ProtectKind::Page => {
            let config = &state.gatehouse.config;
            let here = request
                .uri()
                .path_and_query()
                .map_or_else(|| path.to_string(), |pq| pq.as_str().to_string());
            let target = match snapshot.current_task() {
                Some(_) => session::navigation(
                    config,
                    &snapshot,
                    Some(&here),
                    &config.instance.after_sign_in_url,
                )
                .task_url
                .unwrap_or_else(|| config.instance.sign_in_url.clone()),
                None => format!(
                    "{}?redirect_url={}",
                    config.instance.sign_in_url,
                    encode_query_component(&here)
                ),
            };
            found(&target)
        }
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
