//! Per-IP rate limits on the auth endpoints: fixed windows counted in the database (they hold
//! across restarts and instances), `429 too_many_requests` with `Retry-After` when exceeded.
//! The client IP is the peer address; `X-Forwarded-For` is believed only from `trusted_proxies`.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};

use super::{error_response, AppState};
use crate::{
    domain,
    model::{AuthError, GatehouseError},
};

/// The kit's endpoints that only read: everything else under `/api/auth/` — every endpoint
/// that creates rows, sends mail or checks a secret, and whatever endpoint is added next — is
/// rate limited (deny by default, so a new endpoint cannot be forgotten).
pub const READ_ONLY_ENDPOINTS: &[&str] = &[
    "/api/auth/current_sign_up",
    "/api/auth/organization_memberships",
    "/api/auth/organization_members",
    "/api/auth/organization_settings",
    "/api/auth/organization_members_page",
    "/api/auth/organization_membership_requests",
    "/api/auth/organization_invitations",
    "/api/auth/user_invitations",
    "/api/auth/user_suggestions",
    "/api/auth/mfa_setup_state",
    "/api/auth/account",
    "/api/auth/snapshot",
    "/api/auth/token",
];

/// Whether POSTs to `path` are counted per client IP.
pub fn is_limited(path: &str) -> bool {
    path.starts_with(super::bearer::KIT_ENDPOINTS) && !READ_ONLY_ENDPOINTS.contains(&path)
}

/// The client's IP: the peer, or — when the peer is a trusted proxy — the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|entry| entry.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

/// Middleware: counts POSTs to the auth endpoints per client IP.
pub async fn limit(
    State(state): State<std::sync::Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let limits = &state.gatehouse.config.rate_limits;
    let path = request.uri().path();
    if !limits.enabled || request.method() != Method::POST || !is_limited(path) {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let ip = client_ip(
        peer,
        request.headers(),
        &state.gatehouse.config.trusted_proxies.addresses,
    )
    .map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    let now = domain::now();
    let key = format!("{path}|{ip}");
    let (hits, window_start) = match state
        .gatehouse
        .store
        .hit_rate_counter(&key, limits.window_seconds, now)
        .await
    {
        Ok(counted) => counted,
        Err(error) => return error_response(error.into()).into_response(),
    };
    if hits <= i64::from(limits.max_requests) {
        return next.run(request).await;
    }
    let retry_after = (window_start + limits.window_seconds - now).max(1);
    tracing::warn!(%ip, path, "rate limit exceeded");
    let error: GatehouseError = AuthError::too_many_requests(retry_after).into();
    let mut response = match form_post_referer(&request) {
        // A plain form post goes back to its page with the error (rendered from the code).
        Some(referer) => back_with_error(path, &referer, error),
        None => error_response(error).into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn form_post_referer(request: &Request) -> Option<String> {
    let headers = request.headers();
    let html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    html.then(|| {
        headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    })
    .flatten()
}

fn back_with_error(path: &str, referer: &str, error: GatehouseError) -> Response {
    use leptos::server_fn::error::ServerFnUrlError;
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    match ServerFnUrlError::new(path, error.clone()).to_url(referer) {
        Ok(url) => match HeaderValue::from_str(url.as_str()) {
            Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
            Err(_) => error_response(error).into_response(),
        },
        Err(_) => (status, axum::Json(error)).into_response(),
    }
}
