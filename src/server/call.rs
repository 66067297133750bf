//! A server function's call: what it needs from the request, read once ([`Call::current`]: the
//! core, the resolved auth, the time, whether it is a plain form post), and the one way its
//! answers become a response — the new cookie set, and a plain form post sent on to the next
//! page (a call from wasm gets the data and navigates itself).

use http::{header::SET_COOKIE, request::Parts, HeaderValue};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use super::{
    cookies::{ClientCookie, NoticeCookie},
    request_auth, request_device, RequestAuth,
};
use crate::{
    domain::{
        self,
        account::AccountHolder,
        flows::{FlowContext, FlowResult},
        notices::Device,
        outcome::Outcome,
        secret::Secret,
        tokens::SecretToken,
        Gatehouse, Timestamp,
    },
    model::{
        flow::{AuthChange, FlowResponse},
        AuthError, GatehouseError, Notice,
    },
};

/// The context of one server-function call.
pub struct Call {
    /// The core.
    pub gatehouse: Gatehouse,
    /// The request's resolved auth.
    pub auth: RequestAuth,
    /// The time of the call.
    pub now: Timestamp,
    /// A plain HTML form post (no JavaScript): answered with a redirect.
    pub form_post: bool,
    parts: Option<Parts>,
}

impl Call {
    /// The current call (`internal_error` when the core is not in the context).
    pub fn current() -> Result<Self, GatehouseError> {
        let gatehouse = use_context::<Gatehouse>().ok_or_else(|| {
            tracing::error!("Gatehouse is not in the server function context");
            GatehouseError::from(AuthError::internal())
        })?;
        let parts = use_context::<Parts>();
        let form_post = parts.as_ref().is_some_and(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
        });
        Ok(Self {
            gatehouse,
            auth: request_auth(),
            now: domain::now(),
            form_post,
            parts,
        })
    }

    /// The browser the call comes from (named in security notices).
    pub fn device(&self) -> Device {
        self.parts
            .as_ref()
            .map(|parts| request_device(&parts.headers, &parts.extensions, &self.gatehouse.config))
            .unwrap_or_default()
    }

    /// The browser's client (`unauthorized` without one).
    pub fn client_id(&self) -> Result<crate::model::ClientId, AuthError> {
        self.auth
            .client_id
            .clone()
            .ok_or_else(AuthError::unauthorized)
    }

    /// The signed-in (active) user, the change coming from this browser.
    pub fn holder(&self) -> Result<AccountHolder, AuthError> {
        Ok(AccountHolder::of(&self.auth.snapshot)?.from_device(self.device()))
    }

    /// The signed-in (active) user, re-verified first with the answers a plain form sent
    /// along (`reverify_password`, `reverify_code`; see `account::reverify_answers`).
    pub async fn reverified_holder(
        &self,
        (reverify_password, reverify_code): (Option<String>, Option<String>),
    ) -> Result<AccountHolder, AuthError> {
        let mut holder = self.holder()?;
        let answer =
            |value: Option<String>| value.filter(|v| !v.trim().is_empty()).map(Secret::new);
        let answers = domain::account::ReverifyAnswers {
            first_factor: answer(reverify_password),
            second_factor: answer(reverify_code),
            by_email: self.auth.snapshot.reverifies_by_email(),
        };
        domain::account::reverify_answers(&self.gatehouse, &mut holder, answers, self.now).await?;
        Ok(holder)
    }

    /// The user adding a second factor: the pending session of the `setup-mfa` task, or the
    /// account page's active one, re-verified with the answers a plain form sent along.
    pub async fn holder_adding_factor(
        &self,
        reverify: (Option<String>, Option<String>),
    ) -> Result<AccountHolder, AuthError> {
        if self.auth.snapshot.auth(true).session_id.is_some() {
            self.reverified_holder(reverify).await
        } else {
            Ok(AccountHolder::of_session(&self.auth.snapshot)?.from_device(self.device()))
        }
    }

    /// For a plain form whose flow is gone (a reload after it finished): on signed in, or
    /// back to the sign-in page.
    pub fn redirect_when_flow_gone(&self) {
        let instance = &self.gatehouse.config.instance;
        self.redirect(if self.auth.snapshot.session_id.is_some() {
            &instance.after_sign_in_url
        } else {
            &instance.sign_in_url
        });
    }

    /// What a flow step needs to know about this call.
    pub fn flow_context(&self, redirect_url: Option<String>) -> FlowContext {
        FlowContext {
            client_id: self.auth.client_id.clone(),
            device: self.device(),
            redirect_url,
        }
    }

    /// A flow's answer: its cookie set; a plain form post goes to the next page.
    pub fn answer_flow(&self, result: FlowResult) -> FlowResponse {
        self.set_client_cookie(result.cookie.as_ref());
        if let Some(target) = result.response.target() {
            self.redirect(target);
        }
        result.response
    }

    /// An auth change's answer: its cookie set; a plain form post goes to the next page.
    pub fn answer(&self, outcome: Outcome) -> AuthChange {
        self.redirect(outcome.next.target());
        let (change, cookie) = outcome.into_change();
        self.set_client_cookie(cookie.as_ref());
        change
    }

    /// A sensitive change's result. A plain form post refused for reverification gets what its
    /// page needs to ask (`account::prepare_reverification`: the emailed code of a user without
    /// a password); a call from wasm asks from the prompt instead.
    pub async fn reverified<T>(
        &self,
        result: Result<T, GatehouseError>,
    ) -> Result<T, GatehouseError> {
        let requirement = match &result {
            Err(error) if self.form_post => error.reverification_required(),
            _ => None,
        };
        let snapshot = &self.auth.snapshot;
        if let (Some(requirement), Ok(holder)) = (requirement, AccountHolder::of(snapshot)) {
            let prepared = domain::account::prepare_reverification(
                &self.gatehouse,
                &holder,
                snapshot,
                requirement,
                self.now,
            );
            if let Err(refused) = prepared.await {
                tracing::debug!(%refused, "reverification code not sent");
            }
        }
        result
    }

    /// For plain form posts: 302 to `target`.
    pub fn redirect(&self, target: &str) {
        if self.form_post {
            leptos_axum::redirect(target);
        }
    }

    /// Sets (or with `None`, leaves) the browser's client cookie.
    pub fn set_client_cookie(&self, token: Option<&SecretToken>) {
        if let Some(token) = token {
            set_cookie(self.client_cookie().set(token));
        }
    }

    /// Removes the browser's client cookie.
    pub fn clear_client_cookie(&self) {
        set_cookie(self.client_cookie().clear());
    }

    fn client_cookie(&self) -> ClientCookie {
        ClientCookie::for_instance(&self.gatehouse.config.instance)
    }

    /// For plain form posts that succeeded: back to the form's page (the Referer's path on
    /// this origin), without the error an earlier refused post left in its URL, with `notice`
    /// for it to show under the form.
    pub fn back_to_form_page(&self, notice: Notice) {
        self.back_to(notice, |path| path.to_string());
    }

    /// [`Self::back_to_form_page`] for a page named by an organization's slug that changed:
    /// the path segment `old_slug` becomes `new_slug`.
    pub fn back_to_renamed_page(&self, old_slug: &str, new_slug: &str, notice: Notice) {
        self.back_to(notice, |path| {
            path.split('/')
                .map(|segment| {
                    if segment == old_slug {
                        new_slug
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/")
        });
    }

    fn back_to(&self, notice: Notice, page: impl FnOnce(&str) -> String) {
        if !self.form_post {
            return;
        }
        let instance = &self.gatehouse.config.instance;
        set_cookie(NoticeCookie::for_instance(instance).set(notice));
        let origin = instance.origin();
        let referer = self.parts.as_ref().and_then(|parts| {
            parts
                .headers
                .get(http::header::REFERER)
                .and_then(|v| v.to_str().ok())
        });
        let path = referer
            .and_then(|url| url.strip_prefix(origin.as_str()))
            .and_then(|rest| rest.split(['?', '#']).next())
            .filter(|path| path.starts_with('/'))
            .unwrap_or("/");
        let target = crate::model::decorate_url(&page(path), &origin, &[], "/").into_string();
        leptos_axum::redirect(&target);
    }
}

/// Adds a `Set-Cookie` header to the response being built.
pub(super) fn set_cookie(value: Option<HeaderValue>) {
    if let (Some(value), Some(response)) = (value, use_context::<ResponseOptions>()) {
        response.append_header(SET_COOKIE, value);
    }
}
