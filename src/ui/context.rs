//! The auth context every component and hook reads (`<AuthProvider>` provides it): the
//! snapshot signal, the pending rule, the instance's URLs and the token cache.

use leptos::prelude::*;

use super::token_cache::TokenCache;
use crate::{
    api::InstanceUrls,
    model::{decorate_url, task_url, Auth, AuthSnapshot, TaskKey},
};

/// The auth state every component and hook reads: one signal, set from the server-rendered
/// snapshot at hydration and replaced after each auth change.
#[derive(Clone, Copy)]
pub struct AuthContext {
    /// The resolved state (before `treat_pending_as_signed_out`).
    pub snapshot: RwSignal<AuthSnapshot>,
    /// The provider's default for `treat_pending_as_signed_out`.
    pub treat_pending_as_signed_out: bool,
    /// The instance's URLs (`task_urls` already merged with the provider's prop).
    pub urls: StoredValue<InstanceUrls>,
    /// `get_token()`'s cache, emptied when the auth state changes.
    pub(crate) tokens: StoredValue<TokenCache>,
}

impl AuthContext {
    /// The Auth object under the given (or the provider's) pending rule.
    pub fn auth(&self, treat_pending_as_signed_out: Option<bool>) -> Auth {
        let treat = treat_pending_as_signed_out.unwrap_or(self.treat_pending_as_signed_out);
        self.snapshot.with(|snapshot| snapshot.auth(treat))
    }

    /// `target` through `decorate_url` (the instance origin and `authorized_parties`), or
    /// `fallback` when it is refused. Every redirect a component makes from a value it did not
    /// compute itself (a query parameter, a prop) goes through here.
    pub fn decorate(&self, target: &str, fallback: &str) -> String {
        self.urls.with_value(|urls| {
            decorate_url(target, &urls.origin, &urls.authorized_parties, fallback).into_string()
        })
    }

    /// The page hosting `task` (`task_urls` wins, else `<sign_in_url>/tasks/<key>`), carrying
    /// `redirect_url`.
    pub fn task_url(&self, task: TaskKey, redirect_url: Option<&str>) -> String {
        self.urls
            .with_value(|urls| task_url(task, &urls.task_urls, &urls.sign_in_url, redirect_url))
    }
}

/// What other tabs compare to know whether their state is stale, and what tokens describe: the
/// session, its status, task and organization, and the browser's other sessions.
pub(crate) fn fingerprint(snapshot: &AuthSnapshot) -> String {
    let mut print = String::new();
    for session in snapshot.sessions() {
        print.push_str(session.id.as_str());
        print.push(if session.status == crate::model::SessionStatus::Pending {
            '?'
        } else {
            ';'
        });
    }
    for task in &snapshot.tasks {
        print.push_str(task.as_str());
    }
    print.push('|');
    print.push_str(snapshot.org_id.as_ref().map_or("", |id| id.as_str()));
    print
}

/// The provider's context, or a signed-out one (with a warning) outside `<AuthProvider>`.
pub(crate) fn auth_context() -> AuthContext {
    use_context::<AuthContext>().unwrap_or_else(|| {
        leptos::logging::warn!(
            "gatehouse: component used outside <AuthProvider>; treating as signed out"
        );
        AuthContext {
            snapshot: RwSignal::new(AuthSnapshot::default()),
            treat_pending_as_signed_out: true,
            urls: StoredValue::new(InstanceUrls::default()),
            tokens: StoredValue::new(Default::default()),
        }
    })
}
