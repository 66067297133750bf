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
    db_url: String,
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
        let options = LeptosOptions::builder().output_name("gatehouse").build();
        let app = demo_app(config, store, options).unwrap();
        Self {
            _dir: dir,
            db_url,
            outbox,
            app,
            cookie: None,
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
    store.require_password_reset(&rita.id, 1).await.unwrap();
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
    assert_eq!(done["change"]["snapshot"]["factorVerificationAge"][1], 0);

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
            mailer: Mailer::from_config(&config.email).unwrap(),
            store: Store::open(&config.database.url).await.unwrap(),
            config: Arc::new(config),
        };
        let state = AppState {
            gatehouse,
            leptos_options: LeptosOptions::builder().output_name("gatehouse").build(),
            rules: Arc::new(rules),
        };
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
