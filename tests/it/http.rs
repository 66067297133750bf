//! The whole app over HTTP (axum router, server functions, layers) on a real SQLite file.

use axum::{body::Body, Router};
use std::sync::Arc;

use gatehouse::domain::sensitive::SensitiveChange;
use gatehouse::{
    cli::demo_app_with,
    config::Config,
    domain::ports::{Clients, Limits, Organizations, Users},
    domain::{mfa, password::PasswordHasher, Gatehouse},
    mail::Mailer,
    model::encode_query_component,
    store::SqliteStore as Store,
};
use http::{header, HeaderMap, Request, StatusCode};
use leptos::config::LeptosOptions;
use serde_json::Value;
use tower::ServiceExt;

mod invitations;

const ORIGIN: &str = "http://127.0.0.1:3000";
const PASSWORD: &str = "correct-horse-battery";

struct TestApp {
    _dir: tempfile::TempDir,
    db_url: String,
    outbox: std::path::PathBuf,
    app: Router,
    cookie: Option<String>,
    /// The cookie of a refused plain form's values (kept apart from the client cookie).
    form_values: Option<String>,
    /// The one-time notice a plain form post left (`gatehouse_notice=<name>`).
    notice: Option<String>,
    hasher: PasswordHasher,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn error_code(&self) -> String {
        self.json()["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl TestApp {
    async fn new() -> Self {
        Self::with_env(&[]).await
    }

    /// An app with extra `GATEHOUSE_*` settings.
    async fn with_env(extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let db_url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
        let mut env = vec![
            ("DATABASE_URL".to_string(), db_url.clone()),
            (
                "GATEHOUSE_EMAIL__OUTBOX_DIR".to_string(),
                outbox.display().to_string(),
            ),
        ];
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_sources(None, &env).unwrap();
        let store = Store::open(&config.database.url).await.unwrap();
        // A site root with a static asset, as `cargo leptos build` leaves one.
        let site = dir.path().join("site");
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        std::fs::write(
            site.join("pkg/gatehouse_bg.wasm"),
            "(module (func $hydrate))\n".repeat(2_000),
        )
        .unwrap();
        // A release build also writes precompressed copies.
        std::fs::write(site.join("pkg/gatehouse.css"), "main{}\n".repeat(100)).unwrap();
        std::fs::write(site.join("pkg/gatehouse.css.br"), "precompressed brotli").unwrap();
        let options = LeptosOptions::builder()
            .output_name("gatehouse")
            .site_root(site.display().to_string())
            .build();
        let hasher = PasswordHasher::new(config.passwords.hash_concurrency);
        let gatehouse = Gatehouse {
            hasher: hasher.clone(),
            mailer: Arc::new(Mailer::from_config(&config.email).unwrap()),
            config: Arc::new(config),
            store: Arc::new(store),
            providers: Arc::new(gatehouse::oidc::OidcProviders::new(&Default::default()).unwrap()),
        };
        let app = demo_app_with(gatehouse, options);
        Self {
            _dir: dir,
            db_url,
            outbox,
            app,
            cookie: None,
            form_values: None,
            notice: None,
            hasher,
        }
    }

    /// A second handle on the same database (what the operator CLI does).
    async fn store(&self) -> Store {
        Store::open(&self.db_url).await.unwrap()
    }

    /// Another browser on the same instance: same app, no cookie.
    fn other_browser(&self) -> Self {
        Self {
            _dir: tempfile::tempdir().unwrap(),
            db_url: self.db_url.clone(),
            outbox: self.outbox.clone(),
            app: self.app.clone(),
            cookie: None,
            form_values: None,
            notice: None,
            hasher: self.hasher.clone(),
        }
    }

    /// The same server-function call sent `count` times at once (as an attacker would), with
    /// this browser's cookie; cookies in the answers are not kept.
    async fn parallel(&self, path: &str, forms: Vec<Vec<(String, String)>>) -> Vec<Reply> {
        let mut tasks = tokio::task::JoinSet::new();
        for form in forms {
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let request = self
                .request("POST", path)
                .header(header::ORIGIN, ORIGIN)
                .header(header::ACCEPT, "application/json")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(encode(&pairs)))
                .unwrap();
            let app = self.app.clone();
            tasks.spawn(async move {
                let response = app.oneshot(request).await.unwrap();
                let status = response.status();
                let headers = response.headers().clone();
                let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap();
                Reply {
                    status,
                    headers,
                    body: String::from_utf8_lossy(&bytes).to_string(),
                }
            });
        }
        let mut replies = Vec::new();
        while let Some(reply) = tasks.join_next().await {
            replies.push(reply.unwrap());
        }
        replies
    }

    async fn send(&mut self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all(header::SET_COOKIE) {
            let cookie = value
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string();
            if cookie.starts_with("__gh_form=") || cookie.starts_with("__Host-gh_form=") {
                self.form_values = Some(cookie);
            } else if cookie.starts_with("gatehouse_notice=") {
                // Removed (an empty value) or left for the next page.
                self.notice = Some(cookie).filter(|c| c != "gatehouse_notice=");
            } else {
                self.cookie = Some(cookie);
            }
        }
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).to_string(),
        }
    }

    fn request(&self, method: &str, path: &str) -> http::request::Builder {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1:3000");
        let cookies: Vec<&str> = [&self.cookie, &self.form_values, &self.notice]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if !cookies.is_empty() {
            builder = builder.header(header::COOKIE, cookies.join("; "));
        }
        builder
    }

    async fn get(&mut self, path: &str) -> Reply {
        let request = self.request("GET", path).body(Body::empty()).unwrap();
        self.send(request).await
    }

    /// A server-function call as the hydrated app makes it (JSON back).
    async fn call(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let request = self
            .request("POST", path)
            .header(header::ORIGIN, ORIGIN)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(encode(form)))
            .unwrap();
        self.send(request).await
    }

    /// A server-function call with owned form pairs.
    async fn call_form(&mut self, path: &str, form: Vec<(String, String)>) -> Reply {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.call(path, &pairs).await
    }

    /// A plain HTML form post (JavaScript off).
    async fn form_post(&mut self, path: &str, referer: &str, form: &[(&str, &str)]) -> Reply {
        let request = self
            .request("POST", path)
            .header(header::ORIGIN, ORIGIN)
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, format!("{ORIGIN}{referer}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(encode(form)))
            .unwrap();
        self.send(request).await
    }

    /// Every email written to the outbox for `to`, oldest first.
    fn mails(&self, to: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.outbox) else {
            return Vec::new();
        };
        let mut mails: Vec<(std::time::SystemTime, String)> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| {
                let text = std::fs::read_to_string(e.path()).ok()?;
                let modified = e.metadata().ok()?.modified().ok()?;
                text.contains(&format!("To: {to}"))
                    .then_some((modified, text))
            })
            .collect();
        mails.sort();
        mails.into_iter().map(|(_, text)| text).collect()
    }

    /// The code of the newest mail to `to` carrying one, once one arrived after the first
    /// `count` mails (mails sent in the background arrive a moment after the answer; security
    /// notices carry no code).
    async fn wait_code(&self, to: &str, count: usize) -> String {
        for _ in 0..100 {
            if self
                .mails(to)
                .iter()
                .skip(count)
                .any(|mail| code_of(mail).is_some())
            {
                return self.latest_code(to);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("no mail to {to}");
    }

    fn latest_code(&self, to: &str) -> String {
        self.mails(to)
            .iter()
            .rev()
            .find_map(|mail| code_of(mail))
            .expect("a mail with a code")
    }

    async fn sign_up(&mut self, email: &str) -> Reply {
        let reply = self
            .call(
                "/api/auth/sign_up",
                &[("email_address", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let code = self.latest_code(email);
        self.call("/api/auth/verify_email_code", &[("code", &code)])
            .await
    }

    async fn sign_in(&mut self, email: &str, password: &str, redirect_url: &str) -> Reply {
        self.call(
            "/api/auth/sign_in",
            &[
                ("identifier", email),
                ("password", password),
                ("redirect_url", redirect_url),
            ],
        )
        .await
    }
}

/// The 6-digit code a mail's subject starts with, if any.
fn code_of(mail: &str) -> Option<String> {
    let subject = mail.lines().find_map(|l| l.strip_prefix("Subject: "))?;
    let code = subject.get(..6)?;
    code.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| code.to_string())
}

fn encode(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                encode_query_component(k),
                encode_query_component(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn codes(reply: &Reply) -> Vec<(String, String)> {
    reply.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_string(),
                e["meta"]["param_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn sign_up_input_errors_carry_clerk_codes_next_to_their_fields() {
    let mut app = TestApp::new().await;
    let long_email = format!("{}@example.com", "a".repeat(300));
    let long_password = "x".repeat(73);
    let long_name = "F".repeat(101);
    type Pairs<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(Pairs, Pairs)> = vec![
        (
            vec![("email_address", "not-an-email"), ("password", PASSWORD)],
            vec![("form_param_format_invalid", "email_address")],
        ),
        (
            vec![("email_address", "a@example.com"), ("password", "short")],
            vec![("form_password_length_too_short", "password")],
        ),
        (
            vec![
                ("email_address", "a@example.com"),
                ("password", &long_password),
            ],
            vec![("form_password_length_too_long", "password")],
        ),
        (
            vec![("email_address", &long_email), ("password", PASSWORD)],
            vec![("form_param_max_length_exceeded", "email_address")],
        ),
        (
            vec![
                ("email_address", "a@example.com"),
                ("password", "password123"),
            ],
            vec![("form_password_pwned", "password")],
        ),
        (
            vec![
                ("email_address", ""),
                ("password", ""),
                ("first_name", &long_name),
            ],
            vec![
                ("form_param_missing", "email_address"),
                ("form_param_missing", "password"),
                ("form_param_max_length_exceeded", "first_name"),
            ],
        ),
    ];
    for (form, expected) in cases {
        let reply = app.call("/api/auth/sign_up", &form).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(c, p)| (c.to_string(), p.to_string()))
            .collect();
        assert_eq!(codes(&reply), expected);
    }
    assert!(app.cookie.is_none(), "bad input creates nothing");

    // Missing arguments entirely: a 400 with the envelope, not a 500.
    let reply = app.call("/api/auth/sign_up", &[]).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.error_code(), "request_invalid");
}

#[tokio::test]
async fn sign_up_verifies_the_code_then_signs_in_with_a_rotated_token() {
    let mut app = TestApp::new().await;
    let reply = app
        .call(
            "/api/auth/sign_up",
            &[
                ("email_address", "Ada@Example.com"),
                ("password", PASSWORD),
                ("first_name", "Ada"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let step = reply.json();
    assert_eq!(step["status"], "missing_requirements");
    assert_eq!(step["unverified_fields"][0], "email_address");
    assert_eq!(step["verify_url"], "/sign-up/verify-email-address");
    let client_cookie = app.cookie.clone().unwrap();
    let code = app.latest_code("ada@example.com");

    // Four wrong codes are "incorrect"; the right one still works.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        let reply = app
            .call("/api/auth/verify_email_code", &[("code", wrong)])
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            codes(&reply),
            vec![("form_code_incorrect".to_string(), "code".to_string())]
        );
    }
    let reply = app
        .call("/api/auth/verify_email_code", &[("code", &code)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let change = reply.json();
    assert_eq!(change["redirect_url"], "/dashboard");
    assert_eq!(change["snapshot"]["sessionStatus"], "active");
    assert_ne!(
        app.cookie.as_ref().unwrap(),
        &client_cookie,
        "the client token rotates at sign-in"
    );

    let me = app.get("/api/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.json()["userId"].as_str().unwrap().starts_with("user_"));

    // The same code again: already used.
    let reply = app
        .call("/api/auth/verify_email_code", &[("code", &code)])
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "verification_already_verified");
}

#[tokio::test]
async fn the_sixth_wrong_code_fails_the_verification() {
    let mut app = TestApp::new().await;
    app.call(
        "/api/auth/sign_up",
        &[("email_address", "bob@example.com"), ("password", PASSWORD)],
    )
    .await;
    let code = app.latest_code("bob@example.com");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        app.call("/api/auth/verify_email_code", &[("code", wrong)])
            .await;
    }
    let sixth = app
        .call("/api/auth/verify_email_code", &[("code", wrong)])
        .await;
    assert_eq!(sixth.status, StatusCode::BAD_REQUEST);
    assert_eq!(sixth.error_code(), "verification_failed");
    let right = app
        .call("/api/auth/verify_email_code", &[("code", &code)])
        .await;
    assert_eq!(right.error_code(), "verification_failed");
}

#[tokio::test]
async fn a_taken_email_proceeds_and_mails_the_owner_instead_of_a_code() {
    let mut owner = TestApp::new().await;
    assert_eq!(
        owner.sign_up("owner@example.com").await.status,
        StatusCode::OK
    );
    let before = owner.mails("owner@example.com").len();
    // A different browser on the same instance: share the app, drop the cookie.
    owner.cookie = None;
    let reply = owner
        .call(
            "/api/auth/sign_up",
            &[
                ("email_address", "owner@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "no enumeration: same answer as a new address"
    );
    assert_eq!(reply.json()["status"], "missing_requirements");
    let mails = owner.mails("owner@example.com");
    assert_eq!(mails.len(), before + 1);
    assert!(mails
        .last()
        .unwrap()
        .contains("Subject: Sign-up attempt with your email address"));
    let reply = owner
        .call("/api/auth/verify_email_code", &[("code", "123456")])
        .await;
    assert_eq!(reply.error_code(), "form_code_incorrect");
}

#[tokio::test]
async fn sign_in_errors_unknown_email_equals_wrong_password_and_lockout() {
    let mut app = TestApp::new().await;
    app.sign_up("carol@example.com").await;
    app.cookie = None;

    let wrong = app
        .sign_in("carol@example.com", "not-the-password", "")
        .await;
    let unknown = app
        .sign_in("nobody@example.com", "not-the-password", "")
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong.body, unknown.body,
        "unknown email is indistinguishable from a wrong password"
    );
    assert_eq!(
        codes(&wrong),
        vec![(
            "form_password_incorrect".to_string(),
            "password".to_string()
        )]
    );

    let malformed = app.sign_in("carol", PASSWORD, "").await;
    assert_eq!(
        codes(&malformed),
        vec![(
            "form_param_format_invalid".to_string(),
            "identifier".to_string()
        )]
    );
    let huge = app
        .sign_in("carol@example.com", &"x".repeat(10_000), "")
        .await;
    assert_eq!(huge.error_code(), "form_password_incorrect");

    // 10 failures in all lock the account for an hour, even for the right password.
    for _ in 0..8 {
        app.sign_in("carol@example.com", "not-the-password", "")
            .await;
    }
    let locked = app
        .sign_in("carol@example.com", "not-the-password", "")
        .await;
    assert_eq!(locked.status, StatusCode::FORBIDDEN, "{}", locked.body);
    assert_eq!(locked.error_code(), "user_locked");
    let seconds = locked.json()["errors"][0]["meta"]["lockout_expires_in_seconds"]
        .as_i64()
        .unwrap();
    assert!((3590..=3600).contains(&seconds), "{seconds}");
    assert_eq!(
        app.sign_in("carol@example.com", PASSWORD, "")
            .await
            .error_code(),
        "user_locked"
    );
}

#[tokio::test]
async fn redirect_urls_pass_through_the_redirect_rule() {
    let mut app = TestApp::new().await;
    app.sign_up("dave@example.com").await;
    for (asked, expected) in [
        ("/orgs/acme?tab=1", "/orgs/acme?tab=1"),
        ("//evil.example", "/dashboard"),
        ("https://evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("http://127.0.0.1:3000/account", "/account"),
    ] {
        let reply = app.sign_in("dave@example.com", PASSWORD, asked).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.json()["change"]["redirect_url"], expected, "{asked}");
    }
}

#[tokio::test]
async fn protected_routes_redirect_or_answer_401() {
    let mut app = TestApp::new().await;
    let page = app.get("/dashboard?tab=x").await;
    assert_eq!(page.status, StatusCode::FOUND);
    assert_eq!(
        page.location(),
        "/sign-in?redirect_url=%2Fdashboard%3Ftab%3Dx"
    );
    let api = app.get("/api/me").await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.error_code(), "authorization_invalid");
    assert_eq!(app.get("/").await.status, StatusCode::OK);

    app.sign_up("erin@example.com").await;
    let page = app.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("erin@example.com"));
    assert_eq!(app.get("/api/me").await.status, StatusCode::OK);

    let out = app.call("/api/auth/sign_out", &[]).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(out.json()["redirect_url"], "/");
    assert_eq!(
        app.get("/api/me").await.status,
        StatusCode::UNAUTHORIZED,
        "sign-out takes effect at once"
    );
}

#[tokio::test]
async fn plain_form_posts_redirect_to_the_next_page_or_back_with_the_error() {
    let mut app = TestApp::new().await;
    let reply = app
        .form_post(
            "/api/auth/sign_up",
            "/sign-up?redirect_url=%2Faccount",
            &[
                ("email_address", "fay@example.com"),
                ("password", PASSWORD),
                ("redirect_url", "/account"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        reply.location(),
        "/sign-up/verify-email-address?redirect_url=%2Faccount"
    );

    let reply = app
        .form_post(
            "/api/auth/verify_email_code",
            "/sign-up/verify-email-address",
            &[("code", "abc"), ("redirect_url", "/account")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert!(
        reply.location().contains("/sign-up/verify-email-address?")
            && reply.location().contains("__err="),
        "{}",
        reply.location()
    );

    let code = app.latest_code("fay@example.com");
    let reply = app
        .form_post(
            "/api/auth/verify_email_code",
            "/sign-up/verify-email-address",
            &[("code", &code), ("redirect_url", "/account")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.location(), "/account");
}

#[tokio::test]
async fn a_refused_plain_form_comes_back_with_what_was_typed_but_never_a_password() {
    let mut app = TestApp::new().await;
    let typed = [
        ("email_address", "fay-at-nowhere"),
        ("password", "short-pw"),
    ];
    let reply = app.form_post("/api/auth/sign_up", "/sign-up", &typed).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert!(reply.location().contains("__err="), "{}", reply.location());
    let kept = app
        .form_values
        .clone()
        .expect("the refusal keeps the typed values");
    assert_eq!(kept, "__gh_form=email_address=fay-at-nowhere");
    let set_cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("Max-Age=60"),
        "{set_cookie}"
    );

    let page = app.get(reply.location().trim_start_matches(ORIGIN)).await;
    assert!(
        page.body.contains(r#"value="fay-at-nowhere""#),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("short-pw"),
        "a password never comes back"
    );
    // Only the page showing the refusal fills the form in.
    let page = app.get("/sign-up").await;
    assert!(!page.body.contains("fay-at-nowhere"));

    // An accepted form keeps nothing.
    app.form_values = None;
    let reply = app
        .form_post(
            "/api/auth/sign_up",
            "/sign-up",
            &[("email_address", "fay@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert!(!reply.location().contains("__err="), "{}", reply.location());
    assert!(app.form_values.is_none());
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let mut app = TestApp::new().await;
    for (origin, fetch_site) in [
        (Some("https://evil.example"), None),
        (None, Some("cross-site")),
        (Some("null"), None),
    ] {
        let mut request = app
            .request("POST", "/api/auth/sign_in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        let reply = app
            .send(
                request
                    .body(Body::from("identifier=a%40b.co&password=x"))
                    .unwrap(),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{origin:?} {fetch_site:?}"
        );
        assert_eq!(reply.error_code(), "origin_invalid");
    }
    // Reads are never refused, and same-origin posts pass.
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    let reply = app.sign_in("a@b.co", "whatever-password", "").await;
    assert_eq!(reply.error_code(), "form_password_incorrect");
}

#[tokio::test]
async fn oversized_bodies_are_refused_without_a_500() {
    let mut app = TestApp::new().await;
    let huge = "x".repeat(200 * 1024);
    let reply = app
        .call(
            "/api/auth/sign_in",
            &[("identifier", &huge), ("password", "x")],
        )
        .await;
    assert!(reply.status.is_client_error(), "{}", reply.status);
}

const ORGS_ON: &[(&str, &str)] = &[("GATEHOUSE_ORGANIZATIONS__ENABLED", "true")];

#[tokio::test]
async fn choose_organization_task_and_organization_errors() {
    let mut app = TestApp::with_env(ORGS_ON).await;
    let change = app.sign_up("olga@example.com").await.json();
    assert_eq!(change["snapshot"]["sessionStatus"], "pending");
    assert_eq!(change["snapshot"]["tasks"][0], "choose-organization");
    assert_eq!(
        change["task_url"],
        "/sign-in/tasks/choose-organization?redirect_url=%2Fdashboard"
    );

    // Protected pages send a pending user straight to the exact task, carrying where they were going.
    let page = app.get("/account?tab=1").await;
    assert_eq!(page.status, StatusCode::FOUND);
    assert_eq!(
        page.location(),
        "/sign-in/tasks/choose-organization?redirect_url=%2Faccount%3Ftab%3D1"
    );
    assert_eq!(app.get("/api/me").await.status, StatusCode::UNAUTHORIZED);
    let counted = app.get("/api/me?treat_pending_as_signed_out=false").await;
    assert_eq!(counted.status, StatusCode::OK);
    assert_eq!(counted.json()["sessionStatus"], "pending");
    assert_eq!(counted.json()["currentTask"], "choose-organization");

    // A task that is not the current one.
    let wrong_task = app
        .call(
            "/api/auth/reset_password_task",
            &[
                ("new_password", "another-password-1"),
                ("confirm_password", "another-password-1"),
            ],
        )
        .await;
    assert_eq!(wrong_task.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_task.error_code(), "session_task_not_current");

    // Malformed and missing fields.
    let bad = app
        .call(
            "/api/auth/create_organization",
            &[("name", ""), ("slug", "Not OK")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&bad),
        vec![
            ("form_param_missing".to_string(), "name".to_string()),
            ("form_param_format_invalid".to_string(), "slug".to_string())
        ]
    );

    let created = app
        .call(
            "/api/auth/create_organization",
            &[
                ("name", "Olga's Org"),
                ("slug", "olgas-org"),
                ("redirect_url_complete", "/dashboard"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let change = created.json();
    assert_eq!(change["redirect_url"], "/dashboard");
    assert_eq!(change["task_url"], Value::Null);
    assert_eq!(change["snapshot"]["sessionStatus"], "active");
    assert_eq!(change["snapshot"]["orgRole"], "org:admin");
    let org_id = change["snapshot"]["orgId"].as_str().unwrap().to_string();
    assert_eq!(app.get("/dashboard").await.status, StatusCode::OK);

    // Someone else: the slug is taken, and activating Olga's organization is refused.
    let mut other = app.other_browser();
    other.sign_up("pavel@example.com").await;
    let taken = other
        .call(
            "/api/auth/create_organization",
            &[("name", "Copy"), ("slug", "olgas-org")],
        )
        .await;
    assert_eq!(
        codes(&taken),
        vec![("form_identifier_exists".to_string(), "slug".to_string())]
    );
    other
        .call(
            "/api/auth/create_organization",
            &[("name", "Pavel"), ("slug", "pavel")],
        )
        .await;
    let refused = other
        .call(
            "/api/auth/set_active_organization",
            &[("organization_id", &org_id)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.error_code(),
        "organization_not_found_or_unauthorized"
    );
    assert_eq!(
        other.get("/api/me").await.json()["orgSlug"],
        "pavel",
        "active organization unchanged"
    );
    let personal = other
        .call(
            "/api/auth/set_active_organization",
            &[("organization_id", "")],
        )
        .await;
    assert_eq!(personal.error_code(), "organization_required");

    // A new session starts in the last active organization: no task after signing in again.
    app.call("/api/auth/sign_out", &[]).await;
    let again = app.sign_in("olga@example.com", PASSWORD, "").await.json();
    assert_eq!(again["change"]["snapshot"]["sessionStatus"], "active");
    assert_eq!(again["change"]["snapshot"]["orgSlug"], "olgas-org");

    // Memberships, paginated.
    let store = app.store().await;
    let olga = store
        .find_user_by_email("olga@example.com")
        .await
        .unwrap()
        .unwrap();
    let pavel_org = store
        .find_organization_by_slug("pavel")
        .await
        .unwrap()
        .unwrap();
    store
        .upsert_member(
            &pavel_org.id,
            &olga.id,
            "org:member",
            gatehouse::domain::now() + 1,
        )
        .await
        .unwrap();
    let page = app
        .call(
            "/api/auth/organization_memberships",
            &[("page", "1"), ("page_size", "1")],
        )
        .await
        .json();
    assert_eq!(page["total_count"], 2);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let page2 = app
        .call(
            "/api/auth/organization_memberships",
            &[("page", "2"), ("page_size", "1")],
        )
        .await
        .json();
    assert_eq!(page2["data"][0]["slug"], "pavel");
    assert_eq!(page2["data"][0]["role"], "org:member");
}

#[tokio::test]
async fn organization_urls_activate_the_org_and_settings_are_for_admins() {
    let mut admin = TestApp::with_env(ORGS_ON).await;
    admin.sign_up("ann@example.com").await;
    admin
        .call(
            "/api/auth/create_organization",
            &[("name", "Ann"), ("slug", "ann")],
        )
        .await;
    let mut member = admin.other_browser();
    member.sign_up("ben@example.com").await;
    member
        .call(
            "/api/auth/create_organization",
            &[("name", "Ben"), ("slug", "ben")],
        )
        .await;
    let store = admin.store().await;
    let ann_org = store
        .find_organization_by_slug("ann")
        .await
        .unwrap()
        .unwrap();
    let ben = store
        .find_user_by_email("ben@example.com")
        .await
        .unwrap()
        .unwrap();
    store
        .upsert_member(&ann_org.id, &ben.id, "org:member", 1)
        .await
        .unwrap();

    assert_eq!(
        member.get("/orgs/ann/settings").await.status,
        StatusCode::NOT_FOUND
    );
    let page = member.get("/orgs/ann").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        member.get("/api/me").await.json()["orgSlug"],
        "ann",
        "the URL's organization became active"
    );
    assert_eq!(
        member.get("/orgs/ben/settings").await.status,
        StatusCode::OK,
        "admin of their own org"
    );
    assert_eq!(admin.get("/orgs/ann/settings").await.status, StatusCode::OK);
    assert_eq!(
        admin.get("/orgs/ben").await.status,
        StatusCode::NOT_FOUND,
        "not a member"
    );
    assert_eq!(admin.get("/orgs/nope").await.status, StatusCode::NOT_FOUND);
    let members = member
        .call("/api/auth/organization_members", &[("slug", "ann")])
        .await
        .json();
    assert_eq!(members.as_array().unwrap().len(), 2);
}

/// Personal-account sync: where personal accounts are allowed, `/me` (and what is under it)
/// clears the active organization, and `/orgs/:slug` sets it again; where they are not, `/me`
/// leaves it alone.
#[tokio::test]
async fn personal_account_paths_clear_the_active_organization_where_allowed() {
    let personal = [
        ("GATEHOUSE_ORGANIZATIONS__ENABLED", "true"),
        ("GATEHOUSE_ORGANIZATIONS__ALLOW_PERSONAL_ACCOUNTS", "true"),
    ];
    for (env, clears) in [(&personal[..], true), (ORGS_ON, false)] {
        let mut app = TestApp::with_env(env).await;
        app.sign_up("pat@example.com").await;
        let org = [("name", "Pat"), ("slug", "pat")];
        assert_eq!(
            app.call("/api/auth/create_organization", &org).await.status,
            StatusCode::OK
        );
        assert_eq!(app.get("/api/me").await.json()["orgSlug"], "pat");
        assert_eq!(app.get("/me").await.status, StatusCode::OK);
        let after = app.get("/api/me").await.json();
        if clears {
            assert_eq!(after["orgId"], Value::Null, "{after}");
            assert_eq!(after["sessionStatus"], "active", "{after}");
            assert_eq!(app.get("/orgs/pat").await.status, StatusCode::OK);
            assert_eq!(app.get("/api/me").await.json()["orgSlug"], "pat");
        } else {
            assert_eq!(after["orgSlug"], "pat", "personal accounts are off: kept");
        }
        // Only the path's own segment counts: `/members` is not `/me`.
        app.get("/members").await;
        assert_eq!(app.get("/api/me").await.json()["orgSlug"], "pat");
    }
}

#[tokio::test]
async fn an_operator_flag_makes_the_session_pending_at_its_next_request() {
    let mut app = TestApp::new().await;
    app.sign_up("rita@example.com").await;
    let mut device = app.other_browser();
    device.sign_in("rita@example.com", PASSWORD, "").await;
    assert_eq!(app.get("/api/me").await.status, StatusCode::OK);

    let store = app.store().await;
    let rita = store
        .find_user_by_email("rita@example.com")
        .await
        .unwrap()
        .unwrap();
    store
        .require_password_reset(&rita.id, false, 1)
        .await
        .unwrap();
    assert_eq!(app.get("/api/me").await.status, StatusCode::UNAUTHORIZED);
    let page = app.get("/dashboard").await;
    assert_eq!(
        page.location(),
        "/sign-in/tasks/reset-password?redirect_url=%2Fdashboard"
    );

    let reset = |new: &'static str, confirm: &'static str| {
        vec![
            ("new_password", new),
            ("confirm_password", confirm),
            ("sign_out_of_other_sessions", "true"),
        ]
    };
    let mismatch = app
        .call(
            "/api/auth/reset_password_task",
            &reset("another-password-1", "another-password-2"),
        )
        .await;
    assert_eq!(
        codes(&mismatch),
        vec![(
            "form_password_mismatch".to_string(),
            "confirm_password".to_string()
        )]
    );
    let same = app
        .call("/api/auth/reset_password_task", &reset(PASSWORD, PASSWORD))
        .await;
    assert_eq!(
        codes(&same),
        vec![(
            "form_new_password_matches_current".to_string(),
            "new_password".to_string()
        )]
    );
    let pwned = app
        .call(
            "/api/auth/reset_password_task",
            &reset("password123", "password123"),
        )
        .await;
    assert_eq!(
        codes(&pwned),
        vec![(
            "form_password_pwned".to_string(),
            "new_password".to_string()
        )]
    );
    let short = app
        .call("/api/auth/reset_password_task", &reset("short", "short"))
        .await;
    assert_eq!(
        codes(&short),
        vec![(
            "form_password_length_too_short".to_string(),
            "new_password".to_string()
        )]
    );

    let done = app
        .call(
            "/api/auth/reset_password_task",
            &reset("another-password-1", "another-password-1"),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.json()["snapshot"]["sessionStatus"], "active");
    assert_eq!(done.json()["redirect_url"], "/dashboard");
    assert_eq!(app.get("/api/me").await.status, StatusCode::OK);
    assert_eq!(
        device.get("/api/me").await.status,
        StatusCode::UNAUTHORIZED,
        "other devices signed out"
    );
    assert_eq!(
        device
            .sign_in("rita@example.com", PASSWORD, "")
            .await
            .error_code(),
        "form_password_incorrect"
    );
    assert_eq!(
        device
            .sign_in("rita@example.com", "another-password-1", "")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn setup_mfa_task_with_totp_and_backup_codes() {
    let mut app = TestApp::with_env(&[("GATEHOUSE_MFA__REQUIRED", "true")]).await;
    let change = app.sign_up("tom@example.com").await.json();
    assert_eq!(change["snapshot"]["tasks"][0], "setup-mfa");
    let setup = app.call("/api/auth/start_mfa_setup", &[]).await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    let secret = setup.json()["secret"].as_str().unwrap().to_string();
    assert!(setup.json()["qr_svg"].as_str().unwrap().starts_with("<svg"));

    let now = gatehouse::domain::now();
    let far = gatehouse::domain::mfa::code_at(&secret, now + 600).unwrap();
    let wrong = app
        .call("/api/auth/verify_mfa_setup", &[("code", &far)])
        .await;
    assert_eq!(
        codes(&wrong),
        vec![("form_code_incorrect".to_string(), "code".to_string())]
    );

    let code = gatehouse::domain::mfa::code_at(&secret, now).unwrap();
    let done = app
        .call(
            "/api/auth/verify_mfa_setup",
            &[
                ("code", code.as_str()),
                ("redirect_url_complete", "/account"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let done = done.json();
    assert_eq!(done["backup_codes"].as_array().unwrap().len(), 10);
    assert_eq!(done["change"]["snapshot"]["sessionStatus"], "active");
    assert_eq!(done["change"]["redirect_url"], "/account");
    // Enrolling never counts as verifying the factor: stale for this session.
    assert!(
        done["change"]["snapshot"]["factorVerificationAge"][1]
            .as_i64()
            .unwrap()
            >= 10
    );

    // The secret is never shown again once enrolled.
    let again = app.call("/api/auth/start_mfa_setup", &[]).await;
    assert_eq!(again.error_code(), "totp_already_enabled");
    assert!(!again.body.contains(&secret));
}

/// The route rules of another app: an API rule answers 401 JSON (pending too), a permission
/// rule 404, and `treat_pending_as_signed_out = false` lets pending sessions through.
#[tokio::test]
async fn custom_route_rules_for_apis_and_permissions() {
    use gatehouse::{
        domain::{password::PasswordHasher, Gatehouse},
        mail::Mailer,
        server::{router, AppState, ProtectRule, RouteRules},
    };
    use std::sync::Arc;

    async fn app_with(rules: RouteRules, dir: &std::path::Path) -> Router {
        let env = vec![
            (
                "DATABASE_URL".to_string(),
                format!("sqlite://{}/rules.db?mode=rwc", dir.display()),
            ),
            (
                "GATEHOUSE_EMAIL__OUTBOX_DIR".to_string(),
                dir.join("outbox").display().to_string(),
            ),
            (
                "GATEHOUSE_ORGANIZATIONS__ENABLED".to_string(),
                "true".to_string(),
            ),
        ];
        let config = Config::from_sources(None, &env).unwrap();
        let gatehouse = Gatehouse {
            hasher: PasswordHasher::new(1),
            mailer: Arc::new(Mailer::from_config(&config.email).unwrap()),
            store: Arc::new(Store::open(&config.database.url).await.unwrap()),
            providers: Arc::new(gatehouse::oidc::OidcProviders::new(&Default::default()).unwrap()),
            config: Arc::new(config),
        };
        let state = AppState::new(
            gatehouse,
            LeptosOptions::builder().output_name("gatehouse").build(),
            rules,
        );
        router(state, gatehouse::demo::App, gatehouse::demo::shell)
    }

    let dir = tempfile::tempdir().unwrap();
    let rules = RouteRules {
        protect: vec![
            ProtectRule::api("/api/auth/organization_members"),
            ProtectRule::page("/dashboard").permission("org:reports:read"),
        ],
        ..RouteRules::default()
    };
    let mut app = TestApp::with_env(ORGS_ON).await;
    app.app = app_with(rules, dir.path()).await;
    app.outbox = dir.path().join("outbox");
    app.sign_up("uma@example.com").await; // pending: choose-organization
    let api = app
        .call("/api/auth/organization_members", &[("slug", "x")])
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.error_code(), "authorization_invalid");
    app.call(
        "/api/auth/create_organization",
        &[("name", "Uma"), ("slug", "uma")],
    )
    .await;
    let page = app.get("/dashboard").await;
    assert_eq!(
        page.status,
        StatusCode::NOT_FOUND,
        "admin without org:reports:read"
    );

    let lenient = RouteRules {
        treat_pending_as_signed_out: false,
        protect: vec![ProtectRule::page("/account")],
        ..RouteRules::default()
    };
    let dir2 = tempfile::tempdir().unwrap();
    let mut pending = TestApp::with_env(ORGS_ON).await;
    pending.app = app_with(lenient, dir2.path()).await;
    pending.outbox = dir2.path().join("outbox");
    pending.sign_up("vic@example.com").await;
    assert_eq!(
        pending.get("/account").await.status,
        StatusCode::OK,
        "pending counts as signed in here"
    );
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn set_cookie_of(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

/// Enrols TOTP for the signed-in user through the API; returns the secret and backup codes.
async fn enrol_totp(app: &mut TestApp) -> (String, Vec<String>) {
    let setup = app.call("/api/auth/start_mfa_setup", &[]).await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    let secret = setup.json()["secret"].as_str().unwrap().to_string();
    let code = mfa::code_at(&secret, unix_now()).unwrap();
    let done = app
        .call("/api/auth/verify_mfa_setup", &[("code", &code)])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let backup_codes: Vec<String> = done.json()["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let saved = app.call("/api/auth/backup_codes_saved", &[]).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    (secret, backup_codes)
}

async fn live_sessions(app: &TestApp, email: &str) -> i64 {
    let store = app.store().await;
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions s JOIN email_addresses e ON e.user_id = s.user_id
         WHERE e.email = ? AND s.ended_at IS NULL",
    )
    .bind(email)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_parallel_wrong_passwords_get_exactly_ten_guesses() {
    let mut app = TestApp::with_env(&[("GATEHOUSE_RATE_LIMITS__ENABLED", "false")]).await;
    app.sign_up("target@example.com").await;
    app.cookie = None;
    let before = app.hasher.verifications();
    let wrong = form(&[
        ("identifier", "target@example.com"),
        ("password", "not-the-password"),
    ]);
    let replies = app.parallel("/api/auth/sign_in", vec![wrong; 200]).await;
    assert_eq!(
        app.hasher.verifications() - before,
        10,
        "exactly ten guesses were evaluated"
    );
    let count = |code: &str| replies.iter().filter(|r| r.error_code() == code).count();
    assert_eq!(count("form_password_incorrect"), 9);
    assert_eq!(count("user_locked"), 191);
    assert!(replies
        .iter()
        .filter(|r| r.error_code() == "user_locked")
        .all(|r| r.status == StatusCode::FORBIDDEN));
    // Locked, even for the right password; an operator can unlock.
    assert_eq!(
        app.sign_in("target@example.com", PASSWORD, "")
            .await
            .error_code(),
        "user_locked"
    );
    app.store()
        .await
        .clear_guesses("target@example.com")
        .await
        .unwrap();
    assert_eq!(
        app.sign_in("target@example.com", PASSWORD, "").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_unknown_email_locks_exactly_like_a_known_one() {
    let mut app = TestApp::new().await;
    app.sign_up("known@example.com").await;
    app.cookie = None;
    for round in 1..=12 {
        let known = app
            .sign_in("known@example.com", "not-the-password", "")
            .await;
        let unknown = app
            .sign_in("unknown@example.com", "not-the-password", "")
            .await;
        assert_eq!(known.status, unknown.status, "round {round}");
        assert_eq!(codes(&known), codes(&unknown), "round {round}");
        let seconds =
            |r: &Reply| r.json()["errors"][0]["meta"]["lockout_expires_in_seconds"].as_i64();
        let (k, u) = (seconds(&known), seconds(&unknown));
        assert_eq!(k.is_some(), u.is_some(), "round {round}");
        assert!(
            k.unwrap_or(0).abs_diff(u.unwrap_or(0)) <= 1,
            "round {round}"
        );
        let expected = if round < 10 {
            "form_password_incorrect"
        } else {
            "user_locked"
        };
        assert_eq!(known.error_code(), expected, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn second_factor_at_sign_in() {
    let mut app = TestApp::new().await;
    app.sign_up("mfa@example.com").await;
    let (secret, backup_codes) = enrol_totp(&mut app).await;
    app.call("/api/auth/sign_out", &[]).await;

    // The password alone no longer signs in: no session, no new cookie before `complete`.
    let cookie_before = app.cookie.clone();
    let step = app.sign_in("mfa@example.com", PASSWORD, "/account").await;
    assert_eq!(step.status, StatusCode::OK, "{}", step.body);
    assert_eq!(step.json()["status"], "needs_second_factor");
    assert!(step.json()["change"].is_null());
    assert_eq!(
        step.json()["next_url"],
        "/sign-in/factor-two?redirect_url=%2Faccount"
    );
    assert_eq!(
        app.cookie, cookie_before,
        "no session cookie before complete"
    );
    assert_eq!(app.get("/api/me").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(live_sessions(&app, "mfa@example.com").await, 0);

    // Two parallel verifications of one attempt (two valid backup codes): one session.
    let replies = app
        .parallel(
            "/api/auth/sign_in_second_factor",
            vec![
                form(&[
                    ("strategy", "backup_code"),
                    ("code", &backup_codes[0]),
                    ("redirect_url", "/account"),
                ]),
                form(&[
                    ("strategy", "backup_code"),
                    ("code", &backup_codes[1]),
                    ("redirect_url", "/account"),
                ]),
            ],
        )
        .await;
    let winners: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert_eq!(winners[0].json()["change"]["redirect_url"], "/account");
    assert_eq!(live_sessions(&app, "mfa@example.com").await, 1);
    app.cookie = set_cookie_of(winners[0]);
    let me = app.get("/api/me").await;
    assert_eq!(me.status, StatusCode::OK);
    let fva = &me.json()["factorVerificationAge"];
    assert_eq!((fva[0].as_i64(), fva[1].as_i64()), (Some(0), Some(0)));

    // A TOTP step is accepted once per user, across sign-ins; a backup code once.
    let totp = mfa::code_at(&secret, unix_now() + 30).unwrap();
    for (strategy, code) in [
        ("totp", totp.as_str()),
        ("backup_code", backup_codes[2].as_str()),
    ] {
        app.call("/api/auth/sign_out", &[]).await;
        app.sign_in("mfa@example.com", PASSWORD, "").await;
        let first = app
            .call(
                "/api/auth/sign_in_second_factor",
                &[("strategy", strategy), ("code", code)],
            )
            .await;
        assert_eq!(first.status, StatusCode::OK, "{strategy}: {}", first.body);
        app.call("/api/auth/sign_out", &[]).await;
        app.sign_in("mfa@example.com", PASSWORD, "").await;
        let again = app
            .call(
                "/api/auth/sign_in_second_factor",
                &[("strategy", strategy), ("code", code)],
            )
            .await;
        assert_eq!(
            again.error_code(),
            "form_code_incorrect",
            "{strategy} reused"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_wrong_second_factors_end_the_attempt_even_in_parallel() {
    let mut app = TestApp::new().await;
    app.sign_up("five@example.com").await;
    let (_, backup_codes) = enrol_totp(&mut app).await;
    app.call("/api/auth/sign_out", &[]).await;
    app.sign_in("five@example.com", PASSWORD, "").await;
    let wrong = form(&[("strategy", "totp"), ("code", "000000")]);
    let replies = app
        .parallel("/api/auth/sign_in_second_factor", vec![wrong; 12])
        .await;
    let count = |code: &str| replies.iter().filter(|r| r.error_code() == code).count();
    assert_eq!(count("form_code_incorrect"), 4);
    assert_eq!(count("verification_failed"), 8);
    // Even a right code is refused now: start over.
    let reply = app
        .call(
            "/api/auth/sign_in_second_factor",
            &[("strategy", "backup_code"), ("code", &backup_codes[0])],
        )
        .await;
    assert_eq!(reply.error_code(), "verification_failed");
    // Those 5 wrong codes counted toward the lockout; a right password does not clear them.
    let guesses = app
        .store()
        .await
        .guesses_of("five@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(guesses.failed_attempts, 5);
    app.sign_in("five@example.com", PASSWORD, "").await;
    let guesses = app
        .store()
        .await
        .guesses_of("five@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(guesses.failed_attempts, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_sign_up_codes_get_five_tries_and_resends_are_capped() {
    let mut app = TestApp::new().await;
    app.call(
        "/api/auth/sign_up",
        &[
            ("email_address", "codes@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let code = app.latest_code("codes@example.com");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let replies = app
        .parallel(
            "/api/auth/verify_email_code",
            vec![form(&[("code", wrong)]); 20],
        )
        .await;
    let count = |code: &str| replies.iter().filter(|r| r.error_code() == code).count();
    assert_eq!(count("form_code_incorrect"), 4);
    assert_eq!(count("verification_failed"), 16);
    let right = app
        .call("/api/auth/verify_email_code", &[("code", &code)])
        .await;
    assert_eq!(right.error_code(), "verification_failed");
    // A resend cannot reset the count.
    let resend = app.call("/api/auth/resend_email_code", &[]).await;
    assert_eq!(resend.error_code(), "verification_failed");
}

#[tokio::test]
async fn parallel_resends_send_one_code() {
    let mut app = TestApp::new().await;
    app.call(
        "/api/auth/sign_up",
        &[
            ("email_address", "resend@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    // Too early: refused, with the wait in the meta.
    let early = app.call("/api/auth/resend_email_code", &[]).await;
    assert_eq!(early.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        early.json()["errors"][0]["meta"]["retry_after_seconds"]
            .as_i64()
            .unwrap()
            > 0
    );
    assert_eq!(app.mails("resend@example.com").len(), 1);
}

/// Hostile redirect targets, each of which must never leave the instance.
const HOSTILE_TARGETS: &[&str] = &[
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "http://127.0.0.1:3000//evil.example",
    "http://127.0.0.1:3000/%2F%2Fevil.example",
    "http://127.0.0.1:3000/%2f/evil.example",
    "HTTP://127.0.0.1:3000//evil.example",
    "/%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "/.//evil.example",
    "/%2e/%2fevil.example",
    "javascript:alert(1)",
    "http://evil.example@127.0.0.1:3000/",
    "https://127.0.0.1:3000.evil.example/",
    "/%5Cevil.example",
    "\t//evil.example",
];

/// Whether a redirect target would take the browser off the instance (`http://127.0.0.1:3000`).
fn leaves_the_instance(target: &str) -> bool {
    let path = match target.strip_prefix(ORIGIN) {
        Some(path) => path,
        None if target.starts_with('/') || target.is_empty() => target,
        None => return true,
    };
    let decoded = path
        .replace("%2F", "/")
        .replace("%2f", "/")
        .replace("%5C", "\\");
    path.starts_with("//") || path.contains('\\') || decoded.starts_with("//")
}

#[tokio::test]
async fn hostile_redirect_targets_never_leave_the_instance() {
    let mut app = TestApp::with_env(&[("GATEHOUSE_RATE_LIMITS__ENABLED", "false")]).await;
    app.sign_up("hostile@example.com").await;
    for target in HOSTILE_TARGETS {
        // JSON: sign-in, sign-out.
        let reply = app.sign_in("hostile@example.com", PASSWORD, target).await;
        let to = reply.json()["change"]["redirect_url"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(!leaves_the_instance(&to), "sign_in {target:?} → {to:?}");
        let reply = app
            .call("/api/auth/sign_out", &[("redirect_url", target)])
            .await;
        let to = reply.json()["redirect_url"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(!leaves_the_instance(&to), "sign_out {target:?} → {to:?}");
        // Plain form posts (no JavaScript): the Location header.
        let reply = app
            .form_post(
                "/api/auth/sign_in",
                "/sign-in",
                &[
                    ("identifier", "hostile@example.com"),
                    ("password", PASSWORD),
                    ("redirect_url", target),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::FOUND, "{target:?}");
        assert!(
            !leaves_the_instance(reply.location()),
            "form sign_in {target:?} → {}",
            reply.location()
        );
        let reply = app
            .form_post("/api/auth/sign_out", "/", &[("redirect_url", target)])
            .await;
        assert!(
            !leaves_the_instance(reply.location()),
            "form sign_out {target:?} → {}",
            reply.location()
        );
        // Task pages and the unknown-task route, as a signed-in user: the server-rendered
        // redirect (and the page) never point elsewhere.
        app.sign_in("hostile@example.com", PASSWORD, "").await;
        for page in [
            "/sign-in/tasks/x",
            "/sign-in/tasks/choose-organization",
            "/session-tasks/setup-mfa",
        ] {
            let reply = app
                .get(&format!(
                    "{page}?redirect_url={}",
                    encode_query_component(target)
                ))
                .await;
            assert!(
                !leaves_the_instance(reply.location()),
                "{page} {target:?} → {}",
                reply.location()
            );
        }
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let mut app = TestApp::new().await;
    for path in ["/", "/sign-in", "/api/me", "/healthz", "/nope"] {
        let reply = app.get(path).await;
        let header = |name: &str| {
            reply
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert!(
            header("content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(
            header("referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert!(
            header("strict-transport-security").is_empty(),
            "no HSTS over http"
        );
    }
    assert_eq!(
        app.get("/sign-in")
            .await
            .headers
            .get(header::CACHE_CONTROL)
            .unwrap(),
        "no-store"
    );
    app.sign_up("headers@example.com").await;
    assert_eq!(
        app.get("/")
            .await
            .headers
            .get(header::CACHE_CONTROL)
            .unwrap(),
        "no-store",
        "signed-in pages are not stored"
    );
    let https =
        TestApp::with_env(&[("GATEHOUSE_INSTANCE__PUBLIC_URL", "https://auth.example")]).await;
    let mut https = https;
    let reply = https.get("/healthz").await;
    assert!(reply
        .headers
        .get("strict-transport-security")
        .is_some_and(|v| v.to_str().unwrap().contains("max-age=")));
    // Over https the refused form's values travel in a `__Host-` prefixed `Secure` cookie too.
    let refused = Request::post("/api/auth/sign_up")
        .header(header::HOST, "auth.example")
        .header(header::ORIGIN, "https://auth.example")
        .header(header::REFERER, "https://auth.example/sign-up")
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("email_address=not-an-email&password=short"))
        .unwrap();
    let reply = https.send(refused).await;
    assert!(reply.location().contains("__err="), "{}", reply.location());
    let kept = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|cookie| cookie.starts_with("__Host-gh_form="))
        .unwrap_or_default()
        .to_string();
    assert!(
        kept.contains("; Secure") && kept.contains("HttpOnly") && kept.contains("Path=/"),
        "{kept}"
    );
    // The page showing the refusal reads it back under that name (and no other).
    let value = kept.split(';').next().unwrap().to_string();
    let page = Request::get(reply.location().trim_start_matches("https://auth.example"))
        .header(header::HOST, "auth.example")
        .header(header::COOKIE, value.clone())
        .body(Body::empty())
        .unwrap();
    let page = https.send(page).await;
    assert!(
        page.body.contains(r#"value="not-an-email""#),
        "{}",
        page.body
    );
    let planted = Request::get(reply.location().trim_start_matches("https://auth.example"))
        .header(header::HOST, "auth.example")
        .header(header::COOKIE, value.replace("__Host-gh_form", "__gh_form"))
        .body(Body::empty())
        .unwrap();
    let page = https.send(planted).await;
    assert!(!page.body.contains(r#"value="not-an-email""#));
}

#[tokio::test]
async fn responses_are_compressed_and_cached_by_kind() {
    let app = TestApp::new().await;
    let fetch = |path: &str, encoding: &str| {
        let request = Request::get(path)
            .header(header::ACCEPT_ENCODING, encoding)
            .body(Body::empty())
            .unwrap();
        app.app.clone().oneshot(request)
    };
    // Static assets: compressed as asked, revalidated (their names carry no hash here).
    for encoding in ["br", "gzip"] {
        let asset = fetch("/pkg/gatehouse_bg.wasm", encoding).await.unwrap();
        assert_eq!(asset.status(), StatusCode::OK);
        assert_eq!(asset.headers()[header::CONTENT_ENCODING], encoding);
        assert_eq!(asset.headers()[header::CACHE_CONTROL], "no-cache");
        let body = axum::body::to_bytes(asset.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(body.len() < 2_000, "{} bytes", body.len());
    }
    let plain = fetch("/pkg/gatehouse_bg.wasm", "identity").await.unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    // A precompressed copy is sent as it is; without one, the asset is compressed on the fly.
    let css = fetch("/pkg/gatehouse.css", "br").await.unwrap();
    assert_eq!(css.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(css.headers()[header::CACHE_CONTROL], "no-cache");
    let body = axum::body::to_bytes(css.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(&body[..], b"precompressed brotli");
    let css = fetch("/pkg/gatehouse.css", "gzip").await.unwrap();
    assert_eq!(css.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(
        fetch("/pkg/missing.wasm", "br").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    // Pages: compressed too, security headers kept; a public page is revalidated, an auth
    // page never stored.
    let page = fetch("/", "br, gzip").await.unwrap();
    assert_eq!(page.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(page.headers()[header::X_FRAME_OPTIONS], "DENY");
    let sign_in = fetch("/sign-in", "gzip").await.unwrap();
    assert_eq!(sign_in.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(sign_in.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auth_endpoints_are_rate_limited_per_ip() {
    let mut app = TestApp::with_env(&[
        ("GATEHOUSE_RATE_LIMITS__MAX_REQUESTS", "5"),
        ("GATEHOUSE_TRUSTED_PROXIES__ADDRESSES", "[\"10.0.0.1\"]"),
    ])
    .await;
    let wrong = form(&[
        ("identifier", "rate@example.com"),
        ("password", "not-the-password"),
    ]);
    let replies = app
        .parallel("/api/auth/sign_in", vec![wrong.clone(); 12])
        .await;
    let limited: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(limited.len(), 7);
    assert_eq!(limited[0].error_code(), "too_many_requests");
    let retry_after: i64 = limited[0].headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    // Other endpoints count separately.
    let reply = app
        .call(
            "/api/auth/sign_up",
            &[("email_address", "bad"), ("password", "x")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[test]
fn client_ip_believes_forwarded_for_only_from_trusted_proxies() {
    use gatehouse::server::rate_limit::client_ip;
    let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap();
    let client: std::net::IpAddr = "203.0.113.9".parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        "198.51.100.1, 203.0.113.9".parse().unwrap(),
    );
    assert_eq!(client_ip(Some(proxy), &headers, &[proxy]), Some(client));
    let stranger: std::net::IpAddr = "192.0.2.5".parse().unwrap();
    assert_eq!(
        client_ip(Some(stranger), &headers, &[proxy]),
        Some(stranger)
    );
    assert_eq!(
        client_ip(Some(proxy), &HeaderMap::new(), &[proxy]),
        Some(proxy)
    );
}

#[tokio::test]
async fn client_trust_asks_a_new_browser_for_an_emailed_code_once() {
    let mut app = TestApp::with_env(&[("GATEHOUSE_CLIENT_TRUST__ENABLED", "true")]).await;
    app.sign_up("trust@example.com").await;
    app.call("/api/auth/sign_out", &[]).await;
    // The browser that signed up has held a session of this user: no code.
    let same = app.sign_in("trust@example.com", PASSWORD, "").await;
    assert_eq!(same.json()["status"], "complete", "{}", same.body);

    let mut other = app.other_browser();
    let mails = other.mails("trust@example.com").len();
    let step = other
        .sign_in("trust@example.com", PASSWORD, "/account")
        .await;
    assert_eq!(step.json()["status"], "needs_client_trust", "{}", step.body);
    assert_eq!(
        step.json()["next_url"],
        "/sign-in/client-trust?redirect_url=%2Faccount"
    );
    assert_eq!(other.get("/api/me").await.status, StatusCode::UNAUTHORIZED);
    let code = other.wait_code("trust@example.com", mails).await;
    let mail = other.mails("trust@example.com").pop().unwrap();
    assert!(mail.contains("You're signing in from a new device."));
    // A reload mid-step keeps a working step: the page renders the form.
    let page = other.get("/sign-in/client-trust").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Check your email"));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let reply = other
        .call("/api/auth/sign_in_email_code", &[("code", wrong)])
        .await;
    assert_eq!(reply.error_code(), "form_code_incorrect");
    let reply = other
        .call(
            "/api/auth/sign_in_email_code",
            &[("code", &code), ("redirect_url", "/account")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["change"]["redirect_url"], "/account");
    assert_eq!(other.get("/api/me").await.status, StatusCode::OK);
    // Afterwards the same browser signs in without a code.
    other.call("/api/auth/sign_out", &[]).await;
    let again = other.sign_in("trust@example.com", PASSWORD, "").await;
    assert_eq!(again.json()["status"], "complete", "{}", again.body);

    // MFA takes precedence over client trust.
    let (_, _) = enrol_totp(&mut other).await;
    let mut third = app.other_browser();
    let step = third.sign_in("trust@example.com", PASSWORD, "").await;
    assert_eq!(step.json()["status"], "needs_second_factor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forgot_password_known_and_unknown_emails_look_the_same() {
    let mut app = TestApp::new().await;
    app.sign_up("forgot@example.com").await;
    // A second browser stays signed in, to be signed out by the reset.
    let mut elsewhere = app.other_browser();
    elsewhere.sign_in("forgot@example.com", PASSWORD, "").await;
    assert_eq!(elsewhere.get("/api/me").await.status, StatusCode::OK);
    app.call("/api/auth/sign_out", &[]).await;

    let start = |email: &'static str| {
        form(&[
            ("identifier", email),
            ("intent", "forgot_password"),
            ("redirect_url", "/account"),
        ])
    };
    let mut stranger = app.other_browser();
    let known = app
        .call_form("/api/auth/sign_in", start("forgot@example.com"))
        .await;
    let unknown = stranger
        .call_form("/api/auth/sign_in", start("nobody@example.com"))
        .await;
    assert_eq!(known.status, StatusCode::OK, "{}", known.body);
    assert_eq!(
        known.body, unknown.body,
        "same answer with or without an account"
    );
    assert_eq!(known.json()["status"], "needs_first_factor");
    assert_eq!(
        known.json()["next_url"],
        "/sign-in/factor-one?redirect_url=%2Faccount"
    );
    let code = app.wait_code("forgot@example.com", 1).await;
    assert!(app.mails("nobody@example.com").is_empty());
    // Wrong codes answer the same for both.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let known_wrong = app
        .call("/api/auth/sign_in_email_code", &[("code", wrong)])
        .await;
    let unknown_wrong = stranger
        .call("/api/auth/sign_in_email_code", &[("code", wrong)])
        .await;
    assert_eq!(known_wrong.body, unknown_wrong.body);
    assert_eq!(known_wrong.error_code(), "form_code_incorrect");
    // The unknown email's attempt ends after 5 tries, even in parallel, like any other.
    let replies = stranger
        .parallel(
            "/api/auth/sign_in_email_code",
            vec![form(&[("code", "123456")]); 10],
        )
        .await;
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.error_code() == "form_code_incorrect")
            .count(),
        3
    );

    let step = app
        .call(
            "/api/auth/sign_in_email_code",
            &[("code", &code), ("redirect_url", "/account")],
        )
        .await;
    assert_eq!(step.json()["status"], "needs_new_password", "{}", step.body);
    assert_eq!(
        step.json()["next_url"],
        "/sign-in/reset-password?redirect_url=%2Faccount"
    );
    assert_eq!(app.get("/api/me").await.status, StatusCode::UNAUTHORIZED);
    let mismatch = app
        .call(
            "/api/auth/sign_in_new_password",
            &[
                ("new_password", "a-brand-new-secret"),
                ("confirm_password", "something-else-entirely"),
            ],
        )
        .await;
    assert_eq!(
        codes(&mismatch),
        vec![(
            "form_password_mismatch".to_string(),
            "confirm_password".to_string()
        )]
    );
    let done = app
        .call(
            "/api/auth/sign_in_new_password",
            &[
                ("new_password", "a-brand-new-secret"),
                ("confirm_password", "a-brand-new-secret"),
                ("sign_out_of_other_sessions", "true"),
                ("redirect_url", "/account"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.json()["status"], "complete");
    assert_eq!(done.json()["change"]["redirect_url"], "/account");
    assert_eq!(app.get("/api/me").await.status, StatusCode::OK);
    assert_eq!(
        elsewhere.get("/api/me").await.status,
        StatusCode::UNAUTHORIZED,
        "the other device was signed out"
    );
    app.call("/api/auth/sign_out", &[]).await;
    assert_eq!(
        app.sign_in("forgot@example.com", PASSWORD, "")
            .await
            .error_code(),
        "form_password_incorrect"
    );
    assert_eq!(
        app.sign_in("forgot@example.com", "a-brand-new-secret", "")
            .await
            .json()["status"],
        "complete"
    );
}

#[tokio::test]
async fn a_reset_for_a_user_with_mfa_still_asks_for_the_second_factor() {
    let mut app = TestApp::new().await;
    app.sign_up("resetmfa@example.com").await;
    let (_, backup_codes) = enrol_totp(&mut app).await;
    app.call("/api/auth/sign_out", &[]).await;
    let mails = app.mails("resetmfa@example.com").len();
    app.call(
        "/api/auth/sign_in",
        &[
            ("identifier", "resetmfa@example.com"),
            ("intent", "forgot_password"),
        ],
    )
    .await;
    let code = app.wait_code("resetmfa@example.com", mails).await;
    app.call("/api/auth/sign_in_email_code", &[("code", &code)])
        .await;
    let step = app
        .call(
            "/api/auth/sign_in_new_password",
            &[
                ("new_password", "another-new-secret"),
                ("confirm_password", "another-new-secret"),
            ],
        )
        .await;
    assert_eq!(
        step.json()["status"],
        "needs_second_factor",
        "{}",
        step.body
    );
    assert_eq!(app.get("/api/me").await.status, StatusCode::UNAUTHORIZED);
    let done = app
        .call(
            "/api/auth/sign_in_second_factor",
            &[("strategy", "backup_code"), ("code", &backup_codes[0])],
        )
        .await;
    assert_eq!(done.json()["status"], "complete", "{}", done.body);
}

#[tokio::test]
async fn the_sso_callback_refuses_answers_it_did_not_ask_for_and_says_why_on_sign_in() {
    let mut app = TestApp::new().await;
    for path in [
        "/sso/callback/idp?code=abc&state=forged",
        "/sso/callback/idp",
        "/sso/callback/idp?error=access_denied",
        "/sso/callback/idp?state=%ZZ&code[]=1",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            reply.location(),
            "/sign-in?sso_error=oauth_callback_invalid",
            "{path}"
        );
    }
    // The sign-in page shows the code's own words, never text from the URL.
    let page = app.get("/sign-in?sso_error=oauth_access_denied").await;
    assert!(page
        .body
        .contains("The sign-in was cancelled at the provider."));
    // Known by its code only: no invented lockout duration.
    let page = app.get("/sign-in?sso_error=user_locked").await;
    assert!(page
        .body
        .contains("Your account is locked. Please try again later."));
    let page = app
        .get("/sign-in?sso_error=%3Cscript%3Ealert(1)%3C/script%3E")
        .await;
    assert!(page.body.contains("Something went wrong"));
    assert!(!page.body.contains("<script>alert"));
}

#[tokio::test]
async fn the_jwks_is_public_and_cacheable() {
    let mut app = TestApp::new().await;
    let reply = app.get("/.well-known/jwks.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.headers["cache-control"],
        "public, max-age=300, must-revalidate"
    );
    assert!(reply.json()["keys"].is_array(), "{}", reply.body);
}

impl TestApp {
    /// A GET with `Authorization: Bearer <token>` and no cookie (another service's call).
    async fn get_bearer(&self, path: &str, token: &str) -> Reply {
        let request = Request::builder()
            .method("GET")
            .uri(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        self.other_browser().send(request).await
    }
}

#[tokio::test]
async fn session_tokens_stand_for_the_cookie_on_the_api_and_server_functions() {
    let mut app = TestApp::with_env(&[(
        "GATEHOUSE_TOKENS__TEMPLATES",
        r#"{ backend = { claims = { email = "{{user.primary_email_address}}" } } }"#,
    )])
    .await;
    assert_eq!(
        app.call("/api/auth/token", &[]).await.body,
        "null",
        "signed out"
    );
    app.sign_up("tokens@example.com").await;
    let reply = app.call("/api/auth/token", &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["expires_in_seconds"], 60);
    let token = reply.json()["jwt"].as_str().unwrap().to_string();
    let payload: Value = {
        use base64::Engine;
        let part = token.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(payload["azp"], ORIGIN, "azp is the requesting origin");
    assert_eq!(payload["v"], 2);

    // The bearer token alone gives the same Auth object as the cookie.
    let by_cookie = app.get("/api/me").await.json();
    let by_token = app.get_bearer("/api/me", &token).await;
    assert_eq!(by_token.status, StatusCode::OK, "{}", by_token.body);
    assert_eq!(by_token.json(), by_cookie);
    assert_eq!(by_token.headers["cache-control"], "no-store");
    // The verifier's extractor on the demo's route agrees.
    let whoami = app.get_bearer("/api/whoami", &token).await;
    assert_eq!(whoami.status, StatusCode::OK, "{}", whoami.body);
    for field in [
        "userId",
        "sessionId",
        "sessionStatus",
        "factorVerificationAge",
    ] {
        assert_eq!(whoami.json()[field], by_cookie[field], "{field}");
    }
    // Never the kit's own endpoints (here, the snapshot): a session token is a credential for
    // other services, not a key to the kit (every endpoint: bearer_is_refused_by_the_kit…).
    let snapshot = Request::builder()
        .method("POST")
        .uri("/api/auth/snapshot")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    let snapshot = app.other_browser().send(snapshot).await;
    assert_eq!(
        snapshot.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        snapshot.body
    );
    assert_eq!(snapshot.error_code(), "bearer_not_accepted");

    // A template token is for other services, not for the API; the demo route refuses
    // anything but a valid session token.
    let template = app
        .call("/api/auth/token", &[("template", "backend")])
        .await;
    let template = template.json()["jwt"].as_str().unwrap().to_string();
    for bad in [template.as_str(), "not-a-token", &format!("{token}x")] {
        assert_eq!(
            app.get_bearer("/api/me", bad).await.status,
            StatusCode::UNAUTHORIZED
        );
        let refused = app.get_bearer("/api/whoami", bad).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refused.error_code(), "authorization_invalid");
    }
    assert_eq!(
        app.call("/api/auth/token", &[("template", "nope")])
            .await
            .error_code(),
        "resource_not_found"
    );

    // Signed out: in-process the token stops at once; the networkless verifier trusts it until
    // it expires (at most tokens.lifetime_seconds).
    app.call("/api/auth/sign_out", &[]).await;
    assert_eq!(
        app.get_bearer("/api/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get_bearer("/api/whoami", &token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_verifier_fetches_the_jwks_over_http_and_checks_a_token_of_the_running_instance() {
    let mut app = TestApp::new().await;
    app.sign_up("fetched@example.com").await;
    let token = app.call("/api/auth/token", &[]).await.json()["jwt"]
        .as_str()
        .unwrap()
        .to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.app.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    // The instance's issuer (its public_url), keys fetched from this server's JWKS.
    let issuer = gatehouse::config::InstanceConfig::default().public_url;
    let verifier = gatehouse_verifier::Verifier::new(
        issuer,
        gatehouse_verifier::JwksUrl::new(format!("http://{addr}/.well-known/jwks.json")),
    );
    let auth = verifier.authenticate(&token).await.unwrap();
    assert_eq!(
        auth.session_id,
        app.get("/api/me").await.json()["sessionId"]
            .as_str()
            .map(str::to_string)
    );
    // `for_instance` derives both from the URL: here the issuer differs from the address.
    let elsewhere = gatehouse_verifier::Verifier::for_instance(&format!("http://{addr}"));
    assert_eq!(
        elsewhere.verify(&token).await.unwrap_err(),
        gatehouse_verifier::VerifyError::WrongIssuer
    );
    // Nothing listening: the keys are unavailable, said as such.
    server.abort();
    let _ = server.await;
    let down = gatehouse_verifier::Verifier::for_instance(&format!("http://{addr}"));
    assert!(matches!(
        down.verify(&token).await,
        Err(gatehouse_verifier::VerifyError::KeysUnavailable(_))
    ));
}

/// The account page without JavaScript (and the demo's, which is not an island): a change that
/// succeeded shows its result line once, from a one-time cookie naming one of a fixed set of
/// notices; a protected change asks to re-verify on the page, and a wrong answer is refused next
/// to its field while the form keeps asking.
#[test]
fn account_forms_confirm_once_and_keep_asking_after_a_wrong_answer() {
    // The whole account page renders deeper than a test thread's 2 MB of stack in a debug build.
    std::thread::Builder::new()
        .stack_size(16 * 1024 * 1024)
        .spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(account_forms())
        })
        .unwrap()
        .join()
        .unwrap();
}

async fn account_forms() {
    let mut app = TestApp::new().await;
    app.sign_up("ann@example.com").await;

    let reply = app
        .form_post(
            "/api/auth/update_name",
            "/account",
            &[("first_name", "Ann"), ("last_name", "Lee")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.location(), "/account");
    assert_eq!(
        app.notice.as_deref(),
        Some("gatehouse_notice=profile_updated")
    );
    let page = app.get("/account").await;
    assert!(page.body.contains("Profile updated"), "{}", page.body);
    assert_eq!(app.notice, None, "shown once, then removed");
    let page = app.get("/account").await;
    assert!(!page.body.contains("Profile updated"));
    // Only a notice's name travels: anything else shows nothing.
    app.notice = Some("gatehouse_notice=Your%20account%20is%20locked".to_string());
    let page = app.get("/account").await;
    assert!(!page.body.contains("locked"));
    assert_eq!(app.notice, None, "removed all the same");

    // Stale, as the operator CLI makes it.
    let user_id = app.get("/api/me").await.json()["userId"]
        .as_str()
        .unwrap()
        .to_string();
    let stale = app
        .store()
        .await
        .expire_factor_verification(Some(&gatehouse::model::UserId::new(user_id)), None)
        .await
        .unwrap();
    assert_eq!(stale, 1);
    let new_password = [
        ("new_password", "another-horse-battery"),
        ("confirm_password", "another-horse-battery"),
    ];
    let reply = app
        .form_post("/api/auth/change_password", "/account", &new_password)
        .await;
    assert!(reply.location().contains("__err="), "{}", reply.location());
    let page = app.get(reply.location().trim_start_matches(ORIGIN)).await;
    assert!(page.body.contains("Verification required"), "{}", page.body);
    assert!(page.body.contains(r#"name="reverify_password""#));

    let mut wrong = new_password.to_vec();
    wrong.push(("reverify_password", "not-my-password"));
    let reply = app
        .form_post("/api/auth/change_password", "/account", &wrong)
        .await;
    assert!(reply.location().contains("__err="), "{}", reply.location());
    let page = app.get(reply.location().trim_start_matches(ORIGIN)).await;
    assert!(page.body.contains("Password is incorrect"), "{}", page.body);
    assert!(
        page.body.contains(r#"name="reverify_password""#),
        "the form still asks"
    );
    assert_eq!(app.notice, None);

    let mut right = new_password.to_vec();
    right.push(("reverify_password", PASSWORD));
    let reply = app
        .form_post("/api/auth/change_password", "/account", &right)
        .await;
    assert_eq!(reply.location(), "/account");
    let page = app.get("/account").await;
    assert!(page.body.contains("Password updated"), "{}", page.body);
    assert!(!page.body.contains("Verification required"));
}

#[tokio::test]
async fn a_token_asked_for_from_an_origin_the_caller_chose_has_no_azp() {
    // The origin check lets an Origin equal to the request's own Host through, and the caller
    // chooses the Host: such an origin never becomes `azp`. The cookie authenticates (the kit's
    // own endpoints take no Bearer token).
    let mut app = TestApp::with_env(&[(
        "GATEHOUSE_TOKENS__TEMPLATES",
        r#"{ backend = { claims = { role = "service" } } }"#,
    )])
    .await;
    app.sign_up("azp@example.com").await;
    let payload = |reply: &Reply| -> Value {
        use base64::Engine;
        let jwt = reply.json()["jwt"].as_str().unwrap_or_default().to_string();
        let part = jwt.split('.').nth(1).unwrap_or_default().to_string();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    for form in [vec![], vec![("template", "backend")]] {
        let request = Request::builder()
            .method("POST")
            .uri("/api/auth/token")
            .header(header::HOST, "evil.test")
            .header(header::ORIGIN, "http://evil.test")
            .header(header::COOKIE, app.cookie.clone().unwrap())
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(encode(&form)))
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let claims = payload(&reply);
        assert!(claims["sub"].as_str().is_some(), "{claims}");
        assert!(
            claims.get("azp").is_none(),
            "no azp from {form:?}: {claims}"
        );

        // The instance's own origin still is `azp`.
        let reply = app.call("/api/auth/token", &form).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(payload(&reply)["azp"], ORIGIN, "{form:?}");
    }
}

/// Every server function of the kit (`/api/auth/*`), by what it does to account security: the
/// sensitive change it makes (`domain::sensitive`), with the form a stale session sends — or
/// `None` and why it is not one. A new endpoint fails
/// `every_kit_endpoint_is_classified_for_reverification` until it is placed here.
type KitEndpoint = (
    &'static str,
    Option<SensitiveChange>,
    &'static [(&'static str, &'static str)],
);

const KIT_ENDPOINTS: &[KitEndpoint] = {
    use SensitiveChange as S;
    &[
        (
            "/api/auth/change_password",
            Some(S::ChangePassword),
            &[
                ("new_password", "a-stolen-new-password"),
                ("confirm_password", "a-stolen-new-password"),
            ],
        ),
        (
            "/api/auth/two_step",
            Some(S::AddSecondFactor),
            &[("action", "add")],
        ),
        (
            "/api/auth/two_step",
            Some(S::RegenerateBackupCodes),
            &[("action", "regenerate_backup_codes")],
        ),
        (
            "/api/auth/two_step",
            Some(S::RemoveSecondFactor),
            &[("action", "remove")],
        ),
        ("/api/auth/start_mfa_setup", Some(S::AddSecondFactor), &[]),
        (
            "/api/auth/verify_mfa_setup",
            Some(S::AddSecondFactor),
            &[("code", "123456")],
        ),
        (
            "/api/auth/unlink_external_account",
            Some(S::UnlinkExternalAccount),
            &[("external_account_id", "eac_someone")],
        ),
        (
            "/api/auth/revoke_session",
            Some(S::RevokeOtherSession),
            &[("session_id", "sess_other")],
        ),
        (
            "/api/auth/delete_account",
            Some(S::DeleteAccount),
            &[("confirmation", "Delete account")],
        ),
        (
            "/api/auth/passkey_registration_options",
            Some(S::AddPasskey),
            &[],
        ),
        (
            "/api/auth/add_passkey",
            Some(S::AddPasskey),
            &[("ceremony", "pkc_someone"), ("credential", "{}")],
        ),
        (
            "/api/auth/remove_passkey",
            Some(S::RemovePasskey),
            &[("passkey_id", "passkey_someone")],
        ),
        (
            "/api/auth/delete_organization",
            Some(S::DeleteOrganization),
            &[("slug", "owner-org"), ("confirmation", "Owner Org")],
        ),
        // Signed out, or proving a factor: these are how a session gets fresh.
        ("/api/auth/sign_up", None, &[]),
        ("/api/auth/verify_email_code", None, &[]),
        ("/api/auth/resend_email_code", None, &[]),
        ("/api/auth/sign_up_continue", None, &[]),
        ("/api/auth/sign_up_ticket", None, &[]),
        ("/api/auth/current_sign_up", None, &[]),
        ("/api/auth/sign_in", None, &[]),
        ("/api/auth/sign_in_email_code", None, &[]),
        ("/api/auth/sign_in_resend_code", None, &[]),
        // "Forgot password?": proves the mailbox, signed out.
        ("/api/auth/sign_in_new_password", None, &[]),
        ("/api/auth/sign_in_second_factor", None, &[]),
        ("/api/auth/flow", None, &[]),
        ("/api/auth/sso", None, &[]),
        ("/api/auth/sso_continue", None, &[]),
        ("/api/auth/reverify", None, &[]),
        ("/api/auth/passkey_sign_in_options", None, &[]),
        ("/api/auth/sign_in_passkey", None, &[]),
        // A passkey's name and the list: no account security.
        ("/api/auth/rename_passkey", None, &[]),
        ("/api/auth/passkeys", None, &[]),
        // This browser's own sessions and organizations: no account security.
        ("/api/auth/sign_out", None, &[]),
        ("/api/auth/set_active_session", None, &[]),
        ("/api/auth/create_organization", None, &[]),
        ("/api/auth/set_active_organization", None, &[]),
        ("/api/auth/organization_memberships", None, &[]),
        ("/api/auth/organization_members", None, &[]),
        // Organization invitations: membership, never the account's security.
        ("/api/auth/invite_organization_member", None, &[]),
        ("/api/auth/revoke_organization_invitation", None, &[]),
        ("/api/auth/resend_organization_invitation", None, &[]),
        ("/api/auth/organization_invitations", None, &[]),
        ("/api/auth/user_invitations", None, &[]),
        ("/api/auth/accept_invitation", None, &[]),
        // Running an organization: its permissions, checked on each; leaving is the member's own.
        ("/api/auth/organization_settings", None, &[]),
        ("/api/auth/organization_members_page", None, &[]),
        ("/api/auth/organization_membership_requests", None, &[]),
        ("/api/auth/change_member_role", None, &[]),
        ("/api/auth/remove_organization_member", None, &[]),
        ("/api/auth/rename_organization", None, &[]),
        ("/api/auth/leave_organization", None, &[]),
        ("/api/auth/add_organization_domain", None, &[]),
        ("/api/auth/send_domain_affiliation_code", None, &[]),
        ("/api/auth/verify_organization_domain", None, &[]),
        ("/api/auth/set_domain_enrollment_mode", None, &[]),
        ("/api/auth/remove_organization_domain", None, &[]),
        ("/api/auth/decide_membership_request", None, &[]),
        ("/api/auth/user_suggestions", None, &[]),
        ("/api/auth/request_to_join", None, &[]),
        // The reset-password task the instance demands (pending sessions only, the password
        // flagged); the backup codes of this session's own enrolment; reads.
        ("/api/auth/reset_password_task", None, &[]),
        ("/api/auth/backup_codes_saved", None, &[]),
        ("/api/auth/mfa_setup_state", None, &[]),
        ("/api/auth/account", None, &[]),
        ("/api/auth/update_name", None, &[]),
        ("/api/auth/snapshot", None, &[]),
        ("/api/auth/token", None, &[]),
    ]
};

/// The kit's server functions as registered (what the router serves).
fn kit_server_functions() -> Vec<&'static str> {
    let mut paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .filter(|path| path.starts_with("/api/auth/"))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn every_kit_endpoint_is_classified_for_reverification() {
    let paths = kit_server_functions();
    assert!(paths.len() > 30, "{paths:?}");
    for path in &paths {
        assert!(
            KIT_ENDPOINTS.iter().any(|(known, _, _)| known == path),
            "{path}: not classified in KIT_ENDPOINTS (does it change account security?)"
        );
    }
    for (path, _, _) in KIT_ENDPOINTS {
        assert!(paths.contains(path), "{path} is no server function");
    }
    for change in SensitiveChange::ALL {
        assert!(
            KIT_ENDPOINTS
                .iter()
                .any(|(_, made, _)| *made == Some(change)),
            "{change:?}: no endpoint makes it"
        );
    }
}

/// Passkeys need a domain name: on `localhost` the sign-in page offers them (a form the passkey
/// script shows, the email field's autofill) and loads the script the router serves; on an IP
/// address nothing of them is on the page.
#[tokio::test]
async fn passkeys_are_offered_on_a_domain_name_only_and_their_script_is_served() {
    use gatehouse::ui::PASSKEY_SCRIPT_PATH;
    let mut app =
        TestApp::with_env(&[("GATEHOUSE_INSTANCE__PUBLIC_URL", "http://localhost:3000")]).await;
    let page = app.get("/sign-in").await;
    assert_eq!(page.status, StatusCode::OK);
    for part in [
        "Sign in with passkey",
        "Use passkey",
        r#"data-gatehouse-passkey="sign-in""#,
        r#"autocomplete="email webauthn""#,
        PASSKEY_SCRIPT_PATH,
    ] {
        assert!(page.body.contains(part), "{part}: {}", page.body);
    }
    let script = app.get(PASSKEY_SCRIPT_PATH).await;
    assert_eq!(script.status, StatusCode::OK);
    let kind = script
        .headers
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(kind.starts_with("text/javascript"), "{kind}");
    assert!(script.body.contains("navigator.credentials.get"));

    let mut ip = TestApp::new().await;
    let page = ip.get("/sign-in").await;
    assert!(!page.body.contains("passkey"), "{}", page.body);
}

/// The signed-in user's id (from `/api/me`).
async fn user_id_of(app: &mut TestApp) -> gatehouse::model::UserId {
    let me = app.get("/api/me").await.json();
    gatehouse::model::UserId::new(me["userId"].as_str().unwrap())
}

/// A stale session (an unattended browser, a stolen cookie) is refused by every endpoint that
/// makes a sensitive change, with Clerk's reverification body, and nothing changes: the owner
/// still signs in with the old password and no second factor.
#[tokio::test]
async fn a_stale_session_is_refused_by_every_sensitive_endpoint() {
    let mut app = TestApp::with_env(ORGS_ON).await;
    app.sign_up("owner@example.com").await;
    // An organization of the owner's, so deleting it reaches the reverification check.
    let org = [("name", "Owner Org"), ("slug", "owner-org")];
    let created = app.call("/api/auth/create_organization", &org).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let user_id = user_id_of(&mut app).await;
    // An enrolment started while fresh, then abandoned: its secret is there to be confirmed.
    let started = app.call("/api/auth/start_mfa_setup", &[]).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let secret = started.json()["secret"].as_str().unwrap().to_string();
    app.store()
        .await
        .expire_factor_verification(Some(&user_id), None)
        .await
        .unwrap();

    for (path, change, form) in KIT_ENDPOINTS {
        if change.is_none() {
            continue;
        }
        let mut form = form.to_vec();
        let code = mfa::code_at(&secret, unix_now()).unwrap();
        if *path == "/api/auth/verify_mfa_setup" {
            form = vec![("code", code.as_str())];
        }
        let reply = app.call(path, &form).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{path} {change:?}: {}",
            reply.body
        );
        assert_eq!(
            reply.json()["clerk_error"]["reason"],
            "reverification-error",
            "{path}: {}",
            reply.body
        );
    }
    // The stale session cannot read the secret being enrolled either.
    let account = app.call("/api/auth/account", &[]).await;
    assert_eq!(
        account.json()["totp_setup"],
        Value::Null,
        "{}",
        account.body
    );
    assert!(!account.body.contains(&secret));

    // Nothing changed: the old password signs in, with no second factor asked for.
    let mut owner = app.other_browser();
    let signed_in = owner.sign_in("owner@example.com", PASSWORD, "/").await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert_eq!(signed_in.json()["status"], "complete", "{}", signed_in.body);
    assert_eq!(live_sessions(&app, "owner@example.com").await, 2);
}

/// The account takeover the audit found, step by step: a stale session enrols its own
/// authenticator (refused), so it cannot make itself fresh and change the password; after
/// reverifying, the owner's enrolment is emailed and does not make the session fresh.
#[tokio::test]
async fn enrolling_needs_reverification_and_never_makes_the_session_fresh() {
    let mut app = TestApp::new().await;
    app.sign_up("victim@example.com").await;
    let user_id = user_id_of(&mut app).await;
    app.store()
        .await
        .expire_factor_verification(Some(&user_id), None)
        .await
        .unwrap();
    let refused = app.call("/api/auth/start_mfa_setup", &[]).await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "a stale session enrols nothing"
    );

    // The owner re-verifies with the password, then enrols.
    let fresh = app
        .call(
            "/api/auth/reverify",
            &[("strategy", "password"), ("code", PASSWORD)],
        )
        .await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    let setup = app.call("/api/auth/start_mfa_setup", &[]).await;
    let secret = setup.json()["secret"].as_str().unwrap().to_string();
    let code = mfa::code_at(&secret, unix_now()).unwrap();
    let done = app
        .call("/api/auth/verify_mfa_setup", &[("code", &code)])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let age = done.json()["change"]["snapshot"]["factorVerificationAge"][1]
        .as_i64()
        .unwrap();
    assert!(age >= 10, "enrolling is no verification: {age}");
    // The second factor is stale: the password change asks for it.
    let change = app
        .call(
            "/api/auth/change_password",
            &[
                ("new_password", "a-brand-new-password"),
                ("confirm_password", "a-brand-new-password"),
            ],
        )
        .await;
    assert_eq!(change.status, StatusCode::FORBIDDEN, "{}", change.body);
    // The owner was told, with the time and the browser.
    let notice = wait_mail(
        &app,
        "victim@example.com",
        "Two-step verification was turned on",
    )
    .await;
    assert!(notice.contains("When: "), "{notice}");
    assert!(notice.contains("Browser: "), "{notice}");
}

/// The mail to `to` whose subject contains `subject` (sent in the background).
async fn wait_mail(app: &TestApp, to: &str, subject: &str) -> String {
    for _ in 0..100 {
        if let Some(mail) = app
            .mails(to)
            .into_iter()
            .find(|mail| mail.contains(&format!("Subject: {subject}")))
        {
            return mail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no mail \"{subject}\" to {to}: {:?}", app.mails(to));
}

/// The enrolment the instance demands right after sign-in (`setup-mfa` the current task) needs
/// no reverification, even when the factors are old.
#[tokio::test]
async fn the_setup_mfa_task_enrols_without_reverification() {
    let mut app = TestApp::with_env(&[("GATEHOUSE_MFA__REQUIRED", "true")]).await;
    let change = app.sign_up("task@example.com").await.json();
    assert_eq!(change["snapshot"]["tasks"][0], "setup-mfa");
    let me = app
        .get("/api/me?treat_pending_as_signed_out=false")
        .await
        .json();
    let user_id = gatehouse::model::UserId::new(me["userId"].as_str().unwrap());
    app.store()
        .await
        .expire_factor_verification(Some(&user_id), None)
        .await
        .unwrap();
    let setup = app.call("/api/auth/start_mfa_setup", &[]).await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    let secret = setup.json()["secret"].as_str().unwrap().to_string();
    let code = mfa::code_at(&secret, unix_now()).unwrap();
    let done = app
        .call("/api/auth/verify_mfa_setup", &[("code", &code)])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.json()["change"]["snapshot"]["sessionStatus"], "active");
}

/// A session token is for other services: every one of the kit's own endpoints refuses it
/// (401 `bearer_not_accepted`), while `/api/me` and the app's own route accept it.
#[tokio::test]
async fn bearer_is_refused_by_the_kit_and_accepted_by_the_api_and_app_routes() {
    let mut app = TestApp::new().await;
    app.sign_up("bearer@example.com").await;
    let reply = app.call("/api/auth/token", &[]).await;
    let token = reply.json()["jwt"].as_str().unwrap().to_string();
    for path in kit_server_functions() {
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::empty())
            .unwrap();
        let reply = app.other_browser().send(request).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.body
        );
        assert_eq!(reply.error_code(), "bearer_not_accepted", "{path}");
    }
    for path in ["/api/me", "/api/whoami"] {
        let reply = app.get_bearer(path, &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    }
}

/// Every kit endpoint that is not a read is rate limited per IP, the SSO start and
/// reverification included: 150 rapid posts from one address get 429s.
#[tokio::test]
async fn every_kit_endpoint_that_writes_is_rate_limited() {
    let app = TestApp::new().await;
    for path in [
        "/api/auth/sso",
        "/api/auth/reverify",
        "/api/auth/sign_up_continue",
    ] {
        let forms = (0..150)
            .map(|_| vec![("strategy".to_string(), "oauth_nope".to_string())])
            .collect();
        let replies = app.parallel(path, forms).await;
        let limited = replies
            .iter()
            .filter(|reply| reply.status == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!(
            limited, 120,
            "{path}: 30 allowed a minute, the rest refused"
        );
    }
    for path in kit_server_functions() {
        let read_only = gatehouse::server::rate_limit::READ_ONLY_ENDPOINTS.contains(&path);
        assert_eq!(
            gatehouse::server::rate_limit::is_limited(path),
            !read_only,
            "{path}"
        );
    }
}
