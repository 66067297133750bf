//! The whole app over HTTP (axum router, server functions, layers) on a real SQLite file.

use axum::{body::Body, Router};
use gatehouse::{cli::demo_app, config::Config, model::encode_query_component, store::Store};
use http::{header, HeaderMap, Request, StatusCode};
use leptos::config::LeptosOptions;
use serde_json::Value;
use tower::ServiceExt;

const ORIGIN: &str = "http://127.0.0.1:3000";
const PASSWORD: &str = "correct-horse-battery";

struct TestApp {
    _dir: tempfile::TempDir,
    outbox: std::path::PathBuf,
    app: Router,
    cookie: Option<String>,
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
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let env = vec![
            (
                "DATABASE_URL".to_string(),
                format!("sqlite://{}/test.db?mode=rwc", dir.path().display()),
            ),
            (
                "GATEHOUSE_EMAIL__OUTBOX_DIR".to_string(),
                outbox.display().to_string(),
            ),
        ];
        let config = Config::from_sources(None, &env).unwrap();
        let store = Store::open(&config.database.url).await.unwrap();
        let options = LeptosOptions::builder().output_name("gatehouse").build();
        let app = demo_app(config, store, options).unwrap();
        Self {
            _dir: dir,
            outbox,
            app,
            cookie: None,
        }
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
            self.cookie = Some(cookie);
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
        if let Some(cookie) = &self.cookie {
            builder = builder.header(header::COOKIE, cookie);
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

    fn latest_code(&self, to: &str) -> String {
        let mails = self.mails(to);
        let mail = mails.last().expect("a mail");
        let subject = mail.lines().find(|l| l.starts_with("Subject: ")).unwrap();
        subject["Subject: ".len()..][..6].to_string()
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

    // Five wrong codes are "incorrect"; the right one still works.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
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
