//! Cross-site request refusal: every state-changing request (server functions included) must
//! come from the instance origin, the request's own host, or an authorized party.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{header, Method};

use super::{error_response, AppState};
use crate::model::AuthError;

/// Whether a request with these headers may change state.
pub fn allowed(
    method: &Method,
    origin: Option<&str>,
    sec_fetch_site: Option<&str>,
    host: Option<&str>,
    instance_origin: &str,
    authorized_parties: &[String],
) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if let Some(origin) = origin {
        let origin = origin.trim_end_matches('/');
        let own_host = host.is_some_and(|host| {
            origin.eq_ignore_ascii_case(&format!("http://{host}"))
                || origin.eq_ignore_ascii_case(&format!("https://{host}"))
        });
        return own_host
            || origin.eq_ignore_ascii_case(instance_origin.trim_end_matches('/'))
            || authorized_parties
                .iter()
                .any(|party| origin.eq_ignore_ascii_case(party.trim_end_matches('/')));
    }
    // No Origin: browsers still say where the request came from in Sec-Fetch-Site.
    !matches!(sec_fetch_site, Some("cross-site") | Some("same-site"))
}

/// Middleware: 403 with Clerk's envelope for cross-site state-changing requests.
pub async fn check_origin(
    State(state): State<std::sync::Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let get = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let instance = &state.gatehouse.config.instance;
    if allowed(
        request.method(),
        get(header::ORIGIN),
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
        get(header::HOST),
        &instance.origin(),
        &instance.authorized_parties,
    ) {
        next.run(request).await
    } else {
        tracing::warn!(path = %request.uri().path(), "cross-site request refused");
        error_response(AuthError::origin_invalid().into()).into_response()
    }
}
