//! The one redirect rule every target in the system passes through (`decorate_url`).

/// A redirect target after `decorate_url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecoratedUrl {
    /// A same-origin path: navigate client-side.
    Relative(String),
    /// An absolute URL on an allowed origin: full page load.
    Absolute(String),
}

impl DecoratedUrl {
    /// The URL as a string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Relative(url) | Self::Absolute(url) => url,
        }
    }

    /// The URL as a string, owned.
    pub fn into_string(self) -> String {
        match self {
            Self::Relative(url) | Self::Absolute(url) => url,
        }
    }
}

/// Checks `target` against the instance origin and `authorized_parties`:
/// - a same-origin relative path (`/…`) stays relative;
/// - an absolute `http(s)` URL on the instance origin or an authorized party stays absolute
///   (same-origin absolute URLs become relative);
/// - anything else (other origins, `//host`, `javascript:`, control characters) is refused and
///   `fallback` is returned instead.
///
/// A path is refused when it, or any percent-decoding of it, could be read as another host:
/// `//evil.example`, `/%2F%2Fevil.example`, `/\evil.example`, `/.//evil.example` — also when
/// it arrives inside a same-origin absolute URL (`http://<own origin>//evil.example`).
pub fn decorate_url(
    target: &str,
    instance_origin: &str,
    authorized_parties: &[String],
    fallback: &str,
) -> DecoratedUrl {
    check(target, instance_origin, authorized_parties).unwrap_or_else(|| {
        check(fallback, instance_origin, authorized_parties)
            .unwrap_or_else(|| DecoratedUrl::Relative("/".to_string()))
    })
}

fn check(
    target: &str,
    instance_origin: &str,
    authorized_parties: &[String],
) -> Option<DecoratedUrl> {
    if target.is_empty()
        || target.len() > super::limits::REDIRECT_URL_MAX_CHARS
        || target
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    if target.starts_with('/') {
        return is_safe_path(target).then(|| DecoratedUrl::Relative(target.to_string()));
    }
    let origin = origin_of(target)?;
    let rest = target.get(origin.len()..)?;
    let path = if rest.is_empty() { "/" } else { rest };
    if !path.starts_with(['/', '?', '#']) || !is_safe_path(path) {
        return None;
    }
    if same_origin(&origin, instance_origin) {
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        return Some(DecoratedUrl::Relative(path));
    }
    authorized_parties
        .iter()
        .any(|party| same_origin(&origin, party))
        .then(|| DecoratedUrl::Absolute(target.to_string()))
}

/// Whether a path (with its query and fragment) stays on its origin however it is decoded:
/// no `//` or `\` start, no backslash, no control character, no `.` / `..` segment, after
/// every round of percent-decoding.
fn is_safe_path(path: &str) -> bool {
    let mut current = path.to_string();
    for _ in 0..4 {
        let only_path = current.split(['?', '#']).next().unwrap_or_default();
        if only_path.starts_with("//")
            || only_path.contains('\\')
            || current.chars().any(|c| c.is_control())
            || only_path
                .split('/')
                .any(|segment| segment == "." || segment == "..")
        {
            return false;
        }
        match percent_decode(&current) {
            Some(decoded) if decoded != current => current = decoded,
            Some(_) => return true,
            None => return false,
        }
    }
    // Still changing after four rounds: an encoding game, not a real link.
    false
}

/// One round of percent-decoding; `None` when the bytes are not UTF-8 afterwards.
fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let hex = |offset: usize| {
            bytes
                .get(index + offset)
                .and_then(|b| (*b as char).to_digit(16))
        };
        match (byte, hex(1), hex(2)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                index += 3;
            }
            _ => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `scheme://authority` of an absolute http(s) URL, or `None` when it is not one.
fn origin_of(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let scheme_len = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return None;
    };
    let after_scheme = url.get(scheme_len..)?;
    let authority_end = after_scheme
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_len + i);
    let authority = url.get(scheme_len..authority_end)?;
    // Userinfo (`a@b`) is a classic way to disguise the real host.
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(url.get(..authority_end)?.to_string())
}

fn same_origin(a: &str, b: &str) -> bool {
    !b.is_empty()
        && a.trim_end_matches('/')
            .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// `base` carrying `redirect_url` (percent-encoded) when it is given and not empty: the one
/// place where `?redirect_url=` query strings are built.
pub fn with_redirect_url(base: &str, redirect_url: Option<&str>) -> String {
    match redirect_url.filter(|url| !url.is_empty()) {
        Some(url) => format!("{base}?redirect_url={}", encode_query_component(url)),
        None => base.to_string(),
    }
}

/// Percent-encodes a value for use inside a query string.
pub fn encode_query_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
