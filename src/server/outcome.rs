//! Turning a flow's [`Outcome`] into the answer of a plain axum route (the SSO callback, or a
//! route an app adds). Server functions answer the same outcome in `api` (the same cookie, then
//! the same target), so a flow's orchestration is written once.

use axum::response::{IntoResponse, Redirect, Response};
use http::header::SET_COOKIE;

use super::cookies::ClientCookie;
use crate::{config::InstanceConfig, domain::outcome::Outcome};

/// `303 See Other` to the outcome's next page, setting the new client cookie when the flow
/// rotated it. The target was decorated by the flow (`decorate_url`), never taken raw.
pub fn redirect_response(instance: &InstanceConfig, outcome: &Outcome) -> Response {
    let mut response = Redirect::to(outcome.next.target()).into_response();
    if let Some(cookie) = outcome
        .cookie
        .as_ref()
        .and_then(|token| ClientCookie::for_instance(instance).set(token))
    {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}
