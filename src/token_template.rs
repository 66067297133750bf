//! JWT templates (`[tokens.templates.<name>]`): claims written as JSON with Clerk-style
//! shortcodes — `"{{user.id}}"`, `"{{user.first_name}} {{user.last_name}}"`,
//! `"{{org.slug || 'personal'}}"` — rendered from the session's state.
//!
//! A string that is one shortcode and nothing else takes the value's own type (`null` when
//! missing, `true`/`false` for flags); a shortcode inside longer text is written as text, a
//! missing value as nothing. `a || b || 'text'` takes the first value present.

use serde_json::{Map, Value};

use crate::model::AuthSnapshot;

/// Claims a template may not set: the token's own standard claims (Clerk reserves the same),
/// the session token's (`sid`, `sts`, `o`, `fea`, `fva`, `act`, `v`), so a template token can
/// never pass for a session token, and `tpl`, the template's name set by Gatehouse.
pub const RESERVED_CLAIMS: [&str; 15] = [
    "act",
    "azp",
    "exp",
    "fea",
    "fva",
    "iat",
    "iss",
    "jti",
    "nbf",
    "o",
    "sid",
    "sts",
    "sub",
    TEMPLATE_CLAIM,
    "v",
];

/// The claim naming a template token's template (`verify_template` checks it).
pub const TEMPLATE_CLAIM: &str = "tpl";

/// The values a shortcode can name.
pub const SHORTCODES: [&str; 10] = [
    "user.id",
    "user.first_name",
    "user.last_name",
    "user.full_name",
    "user.primary_email_address",
    "user.password_enabled",
    "user.two_factor_enabled",
    "org.id",
    "org.slug",
    "org.role",
];

/// Checks a template's claims at startup: no reserved claim, every `{{…}}` closed and naming a
/// known value. The error names the claim.
pub fn validate(claims: &Map<String, Value>) -> Result<(), String> {
    for (name, value) in claims {
        if RESERVED_CLAIMS.contains(&name.as_str()) {
            return Err(format!(
                "claims.{name}: a reserved claim (set by Gatehouse)"
            ));
        }
        validate_value(value).map_err(|error| format!("claims.{name}: {error}"))?;
    }
    Ok(())
}

fn validate_value(value: &Value) -> Result<(), String> {
    match value {
        Value::String(text) => {
            for piece in pieces(text)? {
                if let Piece::Shortcode(expression) = piece {
                    for alternative in alternatives(expression) {
                        if literal(alternative).is_none() && !SHORTCODES.contains(&alternative) {
                            return Err(format!(
                                "unknown shortcode {{{{{alternative}}}}} (known: {})",
                                SHORTCODES.join(", ")
                            ));
                        }
                    }
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(validate_value),
        Value::Object(fields) => fields.values().try_for_each(validate_value),
        _ => Ok(()),
    }
}

/// The template's claims rendered for `snapshot` (validated claims; an unknown name renders as
/// missing).
pub fn render(claims: &Map<String, Value>, snapshot: &AuthSnapshot) -> Map<String, Value> {
    claims
        .iter()
        .map(|(name, value)| (name.clone(), render_value(value, snapshot)))
        .collect()
}

fn render_value(value: &Value, snapshot: &AuthSnapshot) -> Value {
    match value {
        Value::String(text) => render_string(text, snapshot),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_value(item, snapshot))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(render(fields, snapshot)),
        other => other.clone(),
    }
}

fn render_string(text: &str, snapshot: &AuthSnapshot) -> Value {
    let Ok(pieces) = pieces(text) else {
        return Value::String(text.to_string());
    };
    if let [Piece::Shortcode(expression)] = pieces.as_slice() {
        return evaluate(expression, snapshot);
    }
    let mut rendered = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => rendered.push_str(text),
            Piece::Shortcode(expression) => match evaluate(expression, snapshot) {
                Value::String(value) => rendered.push_str(&value),
                Value::Null => {}
                other => rendered.push_str(&other.to_string()),
            },
        }
    }
    Value::String(rendered)
}

/// The first alternative with a value, else `null`.
fn evaluate(expression: &str, snapshot: &AuthSnapshot) -> Value {
    alternatives(expression)
        .find_map(|alternative| match literal(alternative) {
            Some(text) => Some(Value::String(text.to_string())),
            None => lookup(alternative, snapshot),
        })
        .unwrap_or(Value::Null)
}

fn lookup(name: &str, snapshot: &AuthSnapshot) -> Option<Value> {
    let user = snapshot.user.as_ref();
    let text = |value: Option<&String>| value.map(|value| Value::String(value.clone()));
    match name {
        "user.id" => user.map(|user| Value::String(user.id.as_str().to_string())),
        "user.first_name" => text(user.and_then(|user| user.first_name.as_ref())),
        "user.last_name" => text(user.and_then(|user| user.last_name.as_ref())),
        "user.full_name" => user.and_then(|user| {
            let parts: Vec<&str> = [&user.first_name, &user.last_name]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            (!parts.is_empty()).then(|| Value::String(parts.join(" ")))
        }),
        "user.primary_email_address" => text(user.map(|user| &user.email_address)),
        "user.password_enabled" => user.map(|user| Value::Bool(user.password_enabled)),
        "user.two_factor_enabled" => user.map(|_| {
            Value::Bool(
                snapshot
                    .factor_verification_age
                    .is_some_and(|ages| ages.second.is_some()),
            )
        }),
        "org.id" => snapshot
            .org_id
            .as_ref()
            .map(|id| Value::String(id.as_str().to_string())),
        "org.slug" => text(snapshot.org_slug.as_ref()),
        "org.role" => text(snapshot.org_role.as_ref()),
        _ => None,
    }
}

enum Piece<'a> {
    Text(&'a str),
    Shortcode(&'a str),
}

/// Splits text into literal text and `{{…}}` expressions (trimmed).
fn pieces(mut text: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    while let Some(start) = text.find("{{") {
        let (before, rest) = text.split_at(start);
        if !before.is_empty() {
            pieces.push(Piece::Text(before));
        }
        let rest = rest.get(2..).unwrap_or_default();
        let Some(end) = rest.find("}}") else {
            return Err("a {{ without its }}".into());
        };
        let (expression, after) = rest.split_at(end);
        pieces.push(Piece::Shortcode(expression.trim()));
        text = after.get(2..).unwrap_or_default();
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

fn alternatives(expression: &str) -> impl Iterator<Item = &str> {
    expression.split("||").map(str::trim)
}

/// `'text'` → `text`.
fn literal(alternative: &str) -> Option<&str> {
    alternative
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
}
