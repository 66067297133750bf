//! Reading the kit's forms: the fields of a submitted form, the error a plain (no JavaScript)
//! post left in the URL, and the error of an action's last answer.

use leptos::prelude::*;

use super::{fields::ActionError, page::Here};
use crate::model::GatehouseError;

/// The fields of a submitted form (and its submit button's name and value), read in the
/// browser; the submit itself is stopped so the hook sends it instead.
pub(crate) struct Submitted {
    #[cfg(feature = "hydrate")]
    data: Option<leptos::web_sys::FormData>,
}

impl Submitted {
    pub(crate) fn take(ev: &leptos::ev::SubmitEvent) -> Self {
        ev.prevent_default();
        Self {
            #[cfg(feature = "hydrate")]
            data: leptos::form::form_data_from_event(ev).ok(),
        }
    }

    /// A field's value (empty when absent).
    pub(crate) fn value(&self, name: &str) -> String {
        self.optional(name).unwrap_or_default()
    }

    /// A field's value, `None` when absent (an unchecked checkbox, another submit button).
    pub(crate) fn optional(&self, name: &str) -> Option<String> {
        #[cfg(feature = "hydrate")]
        {
            self.data
                .as_ref()
                .and_then(|data| data.get(name).as_string())
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = name;
            None
        }
    }
}

/// The error a plain form post to `endpoint` left in the URL (`__err`, when `__path` matches).
pub(crate) fn error_in_url(endpoint: &'static str) -> Option<GatehouseError> {
    use leptos::server_fn::error::ServerFnUrlError;
    let query = Here::new().query.get_untracked();
    (query.get("__path").as_deref() == Some(endpoint))
        .then(|| query.get("__err"))
        .flatten()
        .map(|encoded| ServerFnUrlError::<GatehouseError>::decode_err(&encoded))
}

pub(crate) fn error_of<T, S>(value: S) -> ActionError
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, GatehouseError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(|result| result.err()))
}
