//! The provider's token cache (see `tokens.rs`): what `get_token()` has for each template, for
//! one auth state.

use futures_channel::oneshot;

use crate::model::AuthError;

pub(super) type TokenResult = Result<Option<String>, AuthError>;

pub(super) enum Entry {
    /// A token to hand out until `refresh_at` (milliseconds, the browser's clock).
    Ready { jwt: String, refresh_at: f64 },
    /// A request on its way; these callers wait for its answer.
    Loading(Vec<oneshot::Sender<TokenResult>>),
}

/// The provider's token cache: by template (`None` = the session token), for one auth state.
#[derive(Default)]
pub(crate) struct TokenCache {
    pub(super) state: String,
    // A handful of templates at most: a list is smaller in the wasm than a map.
    pub(super) entries: Vec<(Option<String>, Entry)>,
}

impl TokenCache {
    pub(super) fn entry(&mut self, template: &Option<String>) -> Option<&mut Entry> {
        self.entries
            .iter_mut()
            .find(|(key, _)| key == template)
            .map(|(_, entry)| entry)
    }

    pub(super) fn remove(&mut self, template: &Option<String>) -> Option<Entry> {
        let index = self.entries.iter().position(|(key, _)| key == template)?;
        Some(self.entries.swap_remove(index).1)
    }

    /// Forgets every token when the auth state is no longer `state`.
    pub(crate) fn follow(&mut self, state: String) {
        if self.state != state {
            self.state = state;
            self.entries.clear();
        }
    }
}
