//! What a flow hands back to the edge. Every flow that changes what the browser holds
//! (`finalize`, a task, an organization switch, sign-out, later the SSO callback) returns one
//! [`Outcome`]; a server function and a plain axum route both turn it into a response (set the
//! cookie, then navigate), so that orchestration is written once.

use super::tokens::SecretToken;
use crate::model::{flow::AuthChange, AuthSnapshot};

/// Where the user goes after an auth change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Navigation {
    /// The current task's page (with `redirect_url`), when the session is pending.
    pub task_url: Option<String>,
    /// The decorated redirect target (for active sessions, or after the tasks).
    pub redirect_url: String,
}

impl Navigation {
    /// The page to go to now: the task while pending, else the target.
    pub fn target(&self) -> &str {
        self.task_url.as_deref().unwrap_or(&self.redirect_url)
    }
}

/// The result of a flow: the browser's new auth state, where it goes next, and the new client
/// token when the cookie must change (a new session always rotates it).
#[derive(Debug)]
pub struct Outcome {
    /// The auth state after the flow.
    pub snapshot: AuthSnapshot,
    /// Where the browser goes next.
    pub next: Navigation,
    /// A new client token to set as the cookie.
    pub cookie: Option<SecretToken>,
}

impl Outcome {
    /// The change as the browser gets it, and the cookie token to set with it.
    pub fn into_change(self) -> (AuthChange, Option<SecretToken>) {
        let change = AuthChange {
            snapshot: self.snapshot,
            task_url: self.next.task_url,
            redirect_url: self.next.redirect_url,
        };
        (change, self.cookie)
    }
}
