//! The kit's components rendered on the server outside the HTTP stack. On a page that is never
//! hydrated (islands mode, outside an island) `<UserButton/>` and `<SignOutButton/>` write their
//! HTML directly instead of building a view: it must be the HTML their views render for a
//! hydrated page, with every value escaped.

use std::sync::Arc;

use gatehouse::{
    model::{AuthSnapshot, SessionId, SessionStatus, SessionSummary, UserId, UserSummary},
    prelude::{AuthProvider, SignOutButton, UserButton},
    server::RequestAuth,
};
use hydration_context::SsrSharedContext;
use leptos::{prelude::*, reactive::owner::Owner, tachys::view::RenderHtml};
use leptos_router::{components::Router, location::RequestUrl};

fn user(id: &str, email: &str, first: Option<&str>, last: Option<&str>) -> UserSummary {
    UserSummary {
        id: UserId::new(id),
        email_address: email.to_string(),
        first_name: first.map(str::to_string),
        last_name: last.map(str::to_string),
        password_enabled: true,
    }
}

/// Signed in as a user whose name needs escaping, with two other sessions of the browser (one
/// pending, one with markup in its name).
fn three_sessions() -> AuthSnapshot {
    AuthSnapshot {
        session_id: Some(SessionId::new("sess_current")),
        session_status: Some(SessionStatus::Active),
        user: Some(user(
            "user_ada",
            "ada&co@example.com",
            Some("Ada \"<Q>\""),
            Some("Love&lace"),
        )),
        other_sessions: vec![
            SessionSummary {
                id: SessionId::new("sess_pending"),
                status: SessionStatus::Pending,
                user: user("user_bob", "bob@example.com", None, None),
            },
            SessionSummary {
                id: SessionId::new("sess_other"),
                status: SessionStatus::Active,
                user: user(
                    "user_eve",
                    "eve@example.com",
                    Some("<script>alert(1)</script>"),
                    None,
                ),
            },
        ],
        ..AuthSnapshot::default()
    }
}

/// `content` under the router and the provider, for the request path `path` and `snapshot`:
/// hydrated (a fully hydrated app) or not (islands mode, outside an island).
fn render(hydrated: bool, path: &str, snapshot: AuthSnapshot, content: fn() -> AnyView) -> String {
    let context = if hydrated {
        SsrSharedContext::new()
    } else {
        SsrSharedContext::new_islands()
    };
    let owner = Owner::new_root(Some(Arc::new(context)));
    let html = owner.with(|| {
        provide_context(RequestUrl::new(path));
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.extensions.insert(RequestAuth {
            client_id: None,
            snapshot,
        });
        provide_context(parts);
        view! { <Router><AuthProvider>{content()}</AuthProvider></Router> }.to_html()
    });
    owner.unset();
    html
}

/// The HTML without Leptos' hydration markers and comments, each tag's attributes sorted (the
/// renderer writes `class` last).
fn normalized(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->").expect("closed comment") + 3..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("<!>") {
            rest = after;
            continue;
        }
        let end = rest.find('>').expect("closed tag");
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        let (name, mut rest_of_tag) = tag.split_once(' ').unwrap_or((tag, ""));
        // `name="escaped value"` (values never hold a quote) or a bare `name` (`disabled`).
        let mut attributes = Vec::new();
        rest_of_tag = rest_of_tag.trim_start();
        while !rest_of_tag.is_empty() {
            let name_end = rest_of_tag
                .find(|c: char| c == '=' || c.is_whitespace())
                .unwrap_or(rest_of_tag.len());
            let (attribute, after) = rest_of_tag.split_at(name_end);
            if let Some(quoted) = after.strip_prefix("=\"") {
                let close = quoted.find('"').expect("closed value");
                attributes.push(format!("{attribute}=\"{}\"", &quoted[..close]));
                rest_of_tag = quoted[close + 1..].trim_start();
            } else {
                attributes.push(attribute.to_string());
                rest_of_tag = after.trim_start();
            }
        }
        attributes.sort_unstable();
        out.push('<');
        out.push_str(name);
        for attribute in attributes {
            out.push(' ');
            out.push_str(&attribute);
        }
        out.push('>');
    }
    out.push_str(rest);
    out
}

fn the_element<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html.find(open).expect("the element is rendered");
    let end = start + html[start..].find(close).expect("the element is closed") + close.len();
    &html[start..end]
}

#[test]
fn an_inert_user_button_writes_the_html_its_view_renders() {
    let content = || view! { <UserButton after_switch_session_url="/after?a=1&b=2"/> }.into_any();
    let inert = render(false, "/dashboard", three_sessions(), content);
    let hydrated = render(true, "/dashboard", three_sessions(), content);
    let inert_menu = the_element(&inert, "<details", "</details>");
    let hydrated_menu = the_element(&hydrated, "<details", "</details>");
    assert_eq!(normalized(inert_menu), normalized(hydrated_menu));
    // Written directly: no hydration markers in it, and every value escaped.
    assert!(!inert_menu.contains("<!"), "{inert_menu}");
    assert!(!inert_menu.contains("<script>"), "{inert_menu}");
    for escaped in [
        "title=\"Ada &quot;&lt;Q&gt;&quot; Love&amp;lace\"",
        "<strong>Ada \"&lt;Q&gt;\" Love&amp;lace</strong>",
        "ada&amp;co@example.com",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "value=\"/after?a=1&amp;b=2\"",
        "<span class=\"badge\">Pending</span>",
        "aria-label=\"Switch to bob@example.com\"",
        "Sign out of all accounts",
    ] {
        assert!(inert_menu.contains(escaped), "{escaped} in {inert_menu}");
    }
}

#[test]
fn an_inert_user_button_switches_back_to_the_page_by_default_and_is_empty_signed_out() {
    let content = || view! { <UserButton/> }.into_any();
    let inert = render(false, "/orgs/acme", three_sessions(), content);
    let hydrated = render(true, "/orgs/acme", three_sessions(), content);
    let inert_menu = the_element(&inert, "<details", "</details>");
    assert_eq!(
        normalized(inert_menu),
        normalized(the_element(&hydrated, "<details", "</details>"))
    );
    assert!(inert_menu.contains("name=\"redirect_url\" value=\"/orgs/acme\""));

    // Alone on the browser: no other accounts, no "Sign out of all accounts".
    let alone = AuthSnapshot {
        other_sessions: Vec::new(),
        ..three_sessions()
    };
    let inert = render(false, "/", alone.clone(), content);
    let inert_menu = the_element(&inert, "<details", "</details>");
    assert_eq!(
        normalized(inert_menu),
        normalized(the_element(
            &render(true, "/", alone, content),
            "<details",
            "</details>"
        ))
    );
    assert!(!inert_menu.contains("other-sessions") && !inert_menu.contains("all accounts"));

    // Signed out, and pending (treated as signed out): nothing at all.
    let pending = AuthSnapshot {
        session_status: Some(SessionStatus::Pending),
        ..three_sessions()
    };
    for snapshot in [AuthSnapshot::signed_out(), pending] {
        for hydrated in [false, true] {
            let html = render(hydrated, "/", snapshot.clone(), content);
            assert!(!html.contains("<details"), "{html}");
        }
    }
}

#[test]
fn an_inert_sign_out_button_writes_the_form_its_view_renders() {
    let with_props = || {
        view! {
            <SignOutButton
                session_id=SessionId::new("sess_current")
                redirect_url="/bye?x=\"1\""
                label="Leave <now>"
            />
        }
        .into_any()
    };
    let plain = || view! { <SignOutButton/> }.into_any();
    for content in [with_props, plain] {
        let inert = render(false, "/", three_sessions(), content);
        let hydrated = render(true, "/", three_sessions(), content);
        let inert_form = the_element(&inert, "<form", "</form>");
        assert_eq!(
            normalized(inert_form),
            normalized(the_element(&hydrated, "<form", "</form>"))
        );
        assert!(!inert_form.contains("<!"), "{inert_form}");
    }
    let inert = render(false, "/", three_sessions(), with_props);
    let form = the_element(&inert, "<form", "</form>");
    assert!(form.contains("value=\"/bye?x=&quot;1&quot;\""), "{form}");
    assert!(form.contains(">Leave &lt;now&gt;</button>"), "{form}");
}
