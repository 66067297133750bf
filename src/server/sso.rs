//! `GET /sso/callback/<key>`: where an identity provider sends the browser back (the redirect URI
//! an operator registers). The flow checks the answer and moves the attempt on; the browser then
//! goes to the app's callback page, or back to the sign-in page with the error's code.

use axum::{
    extract::{Path, Query, Request, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{AppState, RequestAuth};
use crate::{
    domain::{self, sso},
    model::decorate_url,
};

/// The provider's query parameters (anything else is ignored).
#[derive(Debug, Default, Deserialize)]
pub struct ProviderQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Answers the provider's redirect with a 303: to the app's callback page (through
/// `decorate_url`), or to `<sign_in_url>?sso_error=<code>`.
pub async fn callback(
    State(state): State<AppState>,
    Path(connection): Path<String>,
    request: Request,
) -> Response {
    // A malformed query is an answer without code or state: refused like any other.
    let query = Query::<ProviderQuery>::try_from_uri(request.uri())
        .map(|Query(query)| query)
        .unwrap_or_default();
    let client_id = request
        .extensions()
        .get::<RequestAuth>()
        .and_then(|auth| auth.client_id.clone());
    let gatehouse = &state.gatehouse;
    let instance = &gatehouse.config.instance;
    let answer = sso::ProviderAnswer {
        code: query.code.as_deref(),
        state: query.state.as_deref(),
        error: query.error.as_deref(),
    };
    let device = super::request_device(request.headers(), request.extensions(), &gatehouse.config);
    let target = match sso::callback(
        gatehouse,
        client_id.as_ref(),
        &connection,
        answer,
        &device,
        domain::now(),
    )
    .await
    {
        Ok(page) => decorate_url(
            &page,
            &instance.public_url,
            &instance.authorized_parties,
            &instance.sign_in_url,
        )
        .into_string(),
        Err(error) => {
            tracing::info!(%error, connection, "SSO answer refused");
            // Only the code travels: the sign-in page shows the code's own text.
            format!("{}?sso_error={}", instance.sign_in_url, error.code.as_str())
        }
    };
    Redirect::to(&target).into_response()
}
