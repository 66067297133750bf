//! Form building blocks: labelled inputs with their error next to them.

use leptos::prelude::*;

use crate::model::GatehouseError;

/// The error of the last action, if any.
pub(crate) type ActionError = Signal<Option<GatehouseError>>;

/// A labelled input whose error (Clerk's message for this field) is linked by
/// `aria-describedby`.
#[component]
pub(crate) fn Field(
    /// Visible label.
    label: &'static str,
    /// Form field name (the server function argument).
    name: &'static str,
    /// camelCase field key in `errors.fields`.
    field: &'static str,
    /// Input type.
    #[prop(default = "text")]
    kind: &'static str,
    /// `autocomplete` hint.
    #[prop(default = "off")]
    autocomplete: &'static str,
    /// Whether the field must be filled.
    #[prop(default = false)]
    required: bool,
    /// Initial value.
    #[prop(optional, into)]
    value: Option<String>,
    /// The last action's error.
    error: ActionError,
) -> impl IntoView {
    // Without JavaScript a refused form comes back as a new page: it shows what was typed.
    let value = value.or_else(|| (kind != "password").then(|| refused_value(name)).flatten());
    let input_id = format!("field-{name}");
    let error_id = format!("{input_id}-error");
    let message = move || {
        error
            .get()
            .and_then(|e| e.field(field).map(|e| e.long_message.clone()))
    };
    view! {
        <div class="field">
            <label for=input_id.clone()>{label}</label>
            <input
                id=input_id
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                value=value
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=error_id.clone()
            />
            <p class="field-error" id=error_id>{message}</p>
        </div>
    }
}

/// What was typed into the field `name` of a plain form the server refused, on the page that
/// shows the refusal (never a password or a code; nothing in the browser).
pub(crate) fn refused_value(name: &str) -> Option<String> {
    #[cfg(feature = "server")]
    {
        crate::api::refused_form_value(name)
    }
    #[cfg(not(feature = "server"))]
    {
        let _ = name;
        None
    }
}

/// Errors not tied to a field, announced to screen readers.
#[component]
pub(crate) fn GlobalError(error: ActionError) -> impl IntoView {
    let messages = move || {
        error
            .get()
            .map(|e| {
                e.global()
                    .into_iter()
                    .map(|e| e.long_message.clone())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|m| !m.is_empty())
    };
    view! {
        <div class="global-error" role="alert">{messages}</div>
    }
}

/// The primary submit button, disabled with a pending state while the request runs.
#[component]
pub(crate) fn SubmitButton(
    /// Button text.
    #[prop(default = "Continue")]
    label: &'static str,
    /// Whether a request is running.
    pending: Signal<bool>,
) -> impl IntoView {
    view! {
        <button type="submit" class="primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
            {label}
            <span class="spinner" aria-hidden="true" class:active=move || pending.get()></span>
        </button>
    }
}
