//! Server-side bodies of the server functions.

use http::header::SET_COOKIE;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use super::{AuthChange, SignInStep, SignUpStep};
use crate::{
    domain::{self, session::Finalized, sign_in, sign_up, Gatehouse},
    model::{encode_query_component, AuthError, AuthSnapshot, GatehouseError, SignInStatus},
    server::{cookies::ClientCookie, request_auth, RequestAuth},
};

fn core() -> Result<Gatehouse, GatehouseError> {
    use_context::<Gatehouse>().ok_or_else(|| {
        tracing::error!("Gatehouse is not in the server function context");
        AuthError::internal().into()
    })
}

fn cookie(gatehouse: &Gatehouse) -> ClientCookie {
    ClientCookie::new(gatehouse.config.instance.secure_cookies())
}

/// Whether the request is a plain HTML form post (no JavaScript).
fn is_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// For form posts: 302 to `target`. Calls from wasm get the data and navigate themselves.
fn redirect_form_post(target: &str) {
    if is_form_post() {
        leptos_axum::redirect(target);
    }
}

/// Passes the result through (the status mapping happens in the server layer).
pub fn respond<T>(result: Result<T, GatehouseError>) -> Result<T, GatehouseError> {
    if let Err(error) = &result {
        tracing::debug!(%error, "server function refused");
    }
    result
}

fn set_cookie(value: Option<http::HeaderValue>) {
    if let (Some(value), Some(response)) = (value, use_context::<ResponseOptions>()) {
        response.append_header(SET_COOKIE, value);
    }
}

/// The request's client, creating one (and its cookie) when the browser has none.
async fn client_id(gatehouse: &Gatehouse, auth: &RequestAuth) -> Result<String, GatehouseError> {
    let handle =
        domain::session::ensure_client(&gatehouse.store, auth.client_id.clone(), domain::now())
            .await?;
    if let Some(token) = &handle.new_token {
        set_cookie(cookie(gatehouse).set(token));
    }
    Ok(handle.client_id)
}

fn existing_client(auth: &RequestAuth, kind: &str) -> Result<String, GatehouseError> {
    auth.client_id
        .clone()
        .ok_or_else(|| AuthError::no_attempt(kind).into())
}

fn change_of(gatehouse: &Gatehouse, finalized: Finalized) -> AuthChange {
    set_cookie(cookie(gatehouse).set(&finalized.token));
    let change = AuthChange {
        snapshot: finalized.snapshot,
        task_url: finalized.navigation.task_url,
        redirect_url: finalized.navigation.redirect_url,
    };
    redirect_form_post(change.task_url.as_deref().unwrap_or(&change.redirect_url));
    change
}

fn verify_url(gatehouse: &Gatehouse, redirect_url: Option<&str>) -> String {
    let base = format!(
        "{}/verify-email-address",
        gatehouse.config.instance.sign_up_url.trim_end_matches('/')
    );
    match redirect_url.filter(|url| !url.is_empty()) {
        Some(url) => format!("{base}?redirect_url={}", encode_query_component(url)),
        None => base,
    }
}

fn step_of(
    gatehouse: &Gatehouse,
    view: sign_up::SignUpView,
    redirect_url: Option<&str>,
) -> SignUpStep {
    SignUpStep {
        status: view.status,
        unverified_fields: view.unverified_fields,
        email_address: view.email_address,
        verify_url: verify_url(gatehouse, redirect_url),
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

pub async fn sign_up_password(
    email_address: String,
    password: String,
    first_name: Option<String>,
    last_name: Option<String>,
    redirect_url: Option<String>,
) -> Result<SignUpStep, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    // Validate before creating a client, so bad input leaves nothing behind.
    let form = sign_up::validate(
        sign_up::SignUpForm {
            email_address,
            password,
            first_name,
            last_name,
        },
        gatehouse.config.passwords.reject_compromised,
    )?;
    let client_id = client_id(&gatehouse, &auth).await?;
    let view = sign_up::create(&gatehouse, &client_id, form, domain::now()).await?;
    let redirect_url = non_empty(redirect_url);
    let step = step_of(&gatehouse, view, redirect_url.as_deref());
    redirect_form_post(&step.verify_url);
    Ok(step)
}

pub async fn verify_email_code(
    code: String,
    redirect_url: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    let client_id = existing_client(&auth, "sign-up")?;
    let now = domain::now();
    sign_up::verify_email_code(&gatehouse, &client_id, &code, now).await?;
    let finalized = sign_up::finalize(
        &gatehouse,
        &client_id,
        non_empty(redirect_url).as_deref(),
        now,
    )
    .await?;
    Ok(change_of(&gatehouse, finalized))
}

pub async fn resend_email_code(redirect_url: Option<String>) -> Result<SignUpStep, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    let client_id = existing_client(&auth, "sign-up")?;
    let view = sign_up::resend_code(&gatehouse, &client_id, domain::now()).await?;
    let redirect_url = non_empty(redirect_url);
    let step = step_of(&gatehouse, view, redirect_url.as_deref());
    redirect_form_post(&step.verify_url);
    Ok(step)
}

pub async fn current_sign_up() -> Result<Option<SignUpStep>, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    let Some(client_id) = auth.client_id else {
        return Ok(None);
    };
    let view = sign_up::current(&gatehouse, &client_id, domain::now()).await?;
    Ok(view.map(|view| step_of(&gatehouse, view, None)))
}

pub async fn sign_in_password(
    identifier: String,
    password: String,
    redirect_url: Option<String>,
) -> Result<SignInStep, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    let client_id = client_id(&gatehouse, &auth).await?;
    let now = domain::now();
    let attempt = sign_in::password(&gatehouse, &client_id, &identifier, &password, now).await?;
    let change = match attempt.status {
        SignInStatus::Complete => {
            let finalized = sign_in::finalize(
                &gatehouse,
                &client_id,
                non_empty(redirect_url).as_deref(),
                now,
            )
            .await?;
            Some(change_of(&gatehouse, finalized))
        }
        _ => None,
    };
    Ok(SignInStep {
        status: attempt.status,
        change,
    })
}

pub async fn sign_out(redirect_url: Option<String>) -> Result<AuthChange, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    if let Some(client_id) = &auth.client_id {
        domain::session::sign_out(&gatehouse.store, client_id, domain::now()).await?;
    }
    let instance = &gatehouse.config.instance;
    let target = crate::model::decorate_url(
        non_empty(redirect_url)
            .as_deref()
            .unwrap_or(&instance.after_sign_out_url),
        &instance.origin(),
        &instance.authorized_parties,
        &instance.after_sign_out_url,
    )
    .into_string();
    redirect_form_post(&target);
    Ok(AuthChange {
        snapshot: AuthSnapshot::signed_out(),
        task_url: None,
        redirect_url: target,
    })
}
