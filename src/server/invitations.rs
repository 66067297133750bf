//! Invitations on the server: the bodies of the invitation server functions (each reads its
//! call once and makes one call into `domain::invitation` or a session change), and the page an
//! invitation link opens, `GET /invitations/accept?__clerk_ticket=…`.
//!
//! The page is written here, on the server, and works without JavaScript: it changes nothing
//! (a GET never does) and offers the one next step the ticket allows — "Join" for a signed-in
//! user of the invited address (a form to `accept_invitation`), the sign-in form for an address
//! with an account (to `sign_in`, the ticket going along: every later step, second factor and
//! client trust included, keeps it), the sign-up form for one without (to `sign_up_ticket`: no
//! code) — or the ticket's own error.

use axum::{
    extract::{Request, State},
    response::{Html, IntoResponse, Response},
};
use http::{header, HeaderValue, StatusCode};

use super::{call::Call, form_values::non_empty, AppState, RequestAuth};
use crate::{
    domain::{
        self,
        account::AccountHolder,
        invitation::{self, InvitationKey, Inviter, TicketPage, TICKET_PARAM},
        tasks,
    },
    model::{
        AuthError, GatehouseError, InvitationId, InvitationPage, Notice, OrganizationInvitation,
    },
};

/// The endpoints the page's plain forms post to: `api::endpoints::ACCEPT_INVITATION`,
/// `SIGN_IN` and `SIGN_UP_TICKET` (the server does not import `api`; a test holds them equal).
pub const FORM_ENDPOINTS: FormEndpoints = FormEndpoints {
    join: "/api/auth/accept_invitation",
    sign_in: "/api/auth/sign_in",
    sign_up: "/api/auth/sign_up_ticket",
};

/// See [`FORM_ENDPOINTS`].
pub struct FormEndpoints {
    /// "Join", signed in.
    pub join: &'static str,
    /// Signing in with the ticket.
    pub sign_in: &'static str,
    /// Signing up with the ticket.
    pub sign_up: &'static str,
}

/// What `accept_invitation` accepts by: one of the user's invitations, or a link's ticket.
pub fn invitation_key(
    invitation_id: Option<String>,
    ticket: Option<String>,
) -> Result<InvitationKey, GatehouseError> {
    match (non_empty(invitation_id), non_empty(ticket)) {
        (Some(id), None) => Ok(InvitationKey::Id(InvitationId::new(id))),
        (None, Some(ticket)) => Ok(InvitationKey::Ticket(ticket)),
        _ => Err(AuthError::request_invalid("invitation_id or ticket").into()),
    }
}

/// `invite_organization_member`: an admin of the organization `slug` invites an address.
pub async fn invite(
    slug: String,
    email_address: String,
    role: String,
) -> Result<OrganizationInvitation, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    let inviter = Inviter::Member(&holder.user_id);
    let (gatehouse, now) = (&call.gatehouse, call.now);
    let sent = invitation::invite(gatehouse, inviter, &slug, &email_address, &role, now).await?;
    call.back_to_form_page(Notice::InvitationSent);
    Ok(sent)
}

/// `revoke_organization_invitation` and `resend_organization_invitation` (`resend`).
pub async fn revoke_or_resend(
    slug: String,
    invitation_id: String,
    resend: bool,
) -> Result<(), GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    let (gatehouse, user_id, id) = (
        &call.gatehouse,
        &holder.user_id,
        InvitationId::new(invitation_id),
    );
    let notice = if resend {
        invitation::resend(gatehouse, user_id, &slug, &id, call.now).await?;
        Notice::InvitationSent
    } else {
        invitation::revoke(gatehouse, user_id, &slug, &id, call.now).await?;
        Notice::InvitationRevoked
    };
    call.back_to_form_page(notice);
    Ok(())
}

/// `organization_invitations`: one page of the pending invitations, for an admin.
pub async fn organization_invitations(
    slug: String,
    page: u32,
    page_size: u32,
) -> Result<InvitationPage, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    let (gatehouse, now) = (&call.gatehouse, call.now);
    let list = invitation::organization_invitations(
        gatehouse,
        &holder.user_id,
        &slug,
        page,
        page_size,
        now,
    );
    Ok(list.await?)
}

/// `user_invitations`: the signed-in (or pending: the choose-organization task) user's own.
pub async fn user_invitations() -> Result<Vec<OrganizationInvitation>, GatehouseError> {
    let call = Call::current()?;
    tasks::require_session(&call.auth.snapshot)?;
    let email = call
        .auth
        .snapshot
        .user
        .as_ref()
        .map(|user| user.email_address.clone())
        .ok_or_else(AuthError::unauthorized)?;
    Ok(invitation::user_invitations(&call.gatehouse, &email, call.now).await?)
}

/// The page an invitation link opens (see the module).
pub async fn accept_page(State(state): State<AppState>, request: Request) -> Response {
    let query = request.uri().query().unwrap_or_default();
    let param = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let ticket = param(TICKET_PARAM).unwrap_or_default();
    // A plain form post refused (a wrong password) came back here with its error.
    let refused = param("__err").map(|encoded| {
        leptos::server_fn::error::ServerFnUrlError::<GatehouseError>::decode_err(&encoded)
            .first_error()
    });
    let auth = request
        .extensions()
        .get::<RequestAuth>()
        .cloned()
        .unwrap_or_default();
    let gatehouse = &state.gatehouse;
    let found = invitation::ticket_page(gatehouse, &ticket, domain::now()).await;
    let (status, html) = match found {
        Ok(page) => (
            StatusCode::OK,
            page_html(&page, &ticket, &auth, refused.as_ref()),
        ),
        Err(error) if error.code == crate::model::ErrorCode::ServiceUnavailable => {
            return super::error_page(error)
        }
        Err(error) => (
            StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            refused_html(&error),
        ),
    };
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Text or an attribute value, escaped.
fn esc(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(text).into_owned()
}

/// The document around the page's content.
fn document(body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Invitation</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body><main>{body}</main></body></html>"
    )
}

fn alert(error: &AuthError) -> String {
    format!("<p role=\"alert\">{}</p>", esc(&error.long_message))
}

/// A ticket that cannot be accepted: its error.
fn refused_html(error: &AuthError) -> String {
    document(&format!("<h1>Invitation</h1>{}", alert(error)))
}

/// A form posting `ticket` (and the fields in `inner`) to `action`, with its submit button.
fn form(action: &str, ticket: &str, inner: &str, button: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"ticket\" value=\"{}\">\
         {inner}<button type=\"submit\">{button}</button></form>",
        esc(action),
        esc(ticket)
    )
}

fn page_html(
    page: &TicketPage,
    ticket: &str,
    auth: &RequestAuth,
    refused: Option<&AuthError>,
) -> String {
    let mut body = format!("<h1>Join {}</h1>", esc(&page.organization_name));
    if let Some(error) = refused {
        body.push_str(&alert(error));
    }
    let signed_in_as = auth.snapshot.user.as_ref().map(|user| &user.email_address);
    match signed_in_as {
        Some(email) if *email == page.email => {
            body.push_str(&form(FORM_ENDPOINTS.join, ticket, "", "Join"));
        }
        Some(_) => body.push_str(&alert(&AuthError::ticket_for_another_address(
            "email_address",
        ))),
        None => {
            let (intro, action, email_name, password_kind) = if page.account_exists {
                let intro = "Sign in to accept the invitation.";
                (
                    intro,
                    FORM_ENDPOINTS.sign_in,
                    "identifier",
                    "current-password",
                )
            } else {
                let intro = "Create your account to accept the invitation.";
                (
                    intro,
                    FORM_ENDPOINTS.sign_up,
                    "email_address",
                    "new-password",
                )
            };
            let fields = format!(
                "<label>Email address <input type=\"email\" name=\"{email_name}\" value=\"{}\" readonly></label>\
                 <label>Password <input type=\"password\" name=\"password\" autocomplete=\"{password_kind}\" required></label>",
                esc(&page.email)
            );
            body.push_str(&format!("<p>{intro}</p>"));
            body.push_str(&form(action, ticket, &fields, "Continue"));
        }
    }
    document(&body)
}
