//! Session tokens end to end in Rust: issued by `domain::jwt::issue`, checked by the
//! `gatehouse-verifier` crate (every refusal its own error, the skew boundaries, key refresh
//! and rotation), and JWT templates rendered from config.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, Mutex,
};

use gatehouse::{
    config::Config,
    domain::{
        jwt::{self, issue, session_claims, sign, TokenRequest},
        token_template,
    },
    model::{AuthSnapshot, ErrorCode},
};
use gatehouse_verifier::{Auth, JwkSet, KeySource, Verifier, VerifyError};

use crate::fake::FakeStore;

const T0: i64 = 1_800_000_000;
const ISSUER: &str = "https://auth.example.com";

fn member() -> AuthSnapshot {
    AuthSnapshot {
        org_id: Some("org_1".into()),
        org_slug: Some("acme".into()),
        org_role: Some("org:admin".into()),
        org_permissions: vec![
            "org:reports:read".into(),
            "org:sys_memberships:manage".into(),
            "org:reports:manage".into(),
            "org:billing:read".into(),
        ],
        ..crate::jwt::active()
    }
}

fn config(env: &[(&str, &str)]) -> Config {
    let mut pairs = vec![(
        "GATEHOUSE_INSTANCE__PUBLIC_URL".to_string(),
        ISSUER.to_string(),
    )];
    pairs.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::from_sources(None, &pairs).unwrap()
}

/// A signed token with `claims` changed by `change` (for the refusal table).
async fn token_with(store: &FakeStore, change: impl FnOnce(&mut serde_json::Value)) -> String {
    let request = TokenRequest {
        issuer: ISSUER,
        authorized_party: Some("https://app.example.com"),
        lifetime_seconds: 60,
        token_id: "jti_1".into(),
    };
    let claims = session_claims(&member(), request, T0).unwrap();
    let mut json = serde_json::to_value(&claims).unwrap();
    change(&mut json);
    sign(store, &json, T0).await.unwrap()
}

async fn verifier_of(store: &FakeStore) -> Verifier {
    Verifier::from_jwks(ISSUER, jwt::jwks(store, T0).await.unwrap())
}

#[tokio::test]
async fn every_refusal_is_its_own_error_and_the_skew_is_five_seconds() {
    let store = FakeStore::default();
    let token = token_with(&store, |_| {}).await;
    let verifier = verifier_of(&store).await;

    let claims = verifier.verify_at(&token, T0).await.unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.sid.as_str()),
        ("user_1", "sess_1")
    );

    // Expiry (exp = T0 + 60): 1 s late is within the skew, 60 s late is not.
    assert!(verifier.verify_at(&token, T0 + 61).await.is_ok());
    assert!(verifier.verify_at(&token, T0 + 65).await.is_ok());
    assert_eq!(
        verifier.verify_at(&token, T0 + 66).await.unwrap_err(),
        VerifyError::Expired {
            expired_at: T0 + 60
        }
    );
    assert!(matches!(
        verifier.verify_at(&token, T0 + 120).await,
        Err(VerifyError::Expired { .. })
    ));
    // Not before (nbf = T0 - 10, iat = T0): a verifier clock 5 s behind still accepts.
    assert!(verifier.verify_at(&token, T0 - 5).await.is_ok());
    assert_eq!(
        verifier.verify_at(&token, T0 - 6).await.unwrap_err(),
        VerifyError::NotYetValid
    );
    let future = token_with(&store, |c| c["nbf"] = (T0 + 30).into()).await;
    assert_eq!(
        verifier.verify_at(&future, T0).await.unwrap_err(),
        VerifyError::NotYetValid
    );
    // A wider skew is a setting, also on a clone (the original keeps its own).
    let lenient = verifier.clone().with_clock_skew(60);
    assert!(lenient.verify_at(&token, T0 + 120).await.is_ok());
    assert!(verifier.verify_at(&token, T0 + 120).await.is_err());

    // Wrong issuer.
    let other = token_with(&store, |c| c["iss"] = "https://evil.example.com".into()).await;
    assert_eq!(
        verifier.verify_at(&other, T0).await.unwrap_err(),
        VerifyError::WrongIssuer
    );

    // Bad signature: the payload of a genuine token swapped for another's.
    let admin = token_with(&store, |c| c["sub"] = "user_2".into()).await;
    let forged = format!(
        "{}.{}.{}",
        token.split('.').next().unwrap(),
        admin.split('.').nth(1).unwrap(),
        token.split('.').nth(2).unwrap()
    );
    assert_eq!(
        verifier.verify_at(&forged, T0).await.unwrap_err(),
        VerifyError::BadSignature
    );

    // Unknown key: signed by another instance's key.
    let stranger = FakeStore::default();
    let foreign = token_with(&stranger, |_| {}).await;
    assert!(matches!(
        verifier.verify_at(&foreign, T0).await,
        Err(VerifyError::UnknownKey(_))
    ));

    // A symmetric algorithm is never accepted (no "alg confusion").
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::json!({"iss": ISSUER, "sub": "user_1", "sid": "sess_1", "exp": T0 + 60, "iat": T0}),
        &jsonwebtoken::EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    assert_eq!(
        verifier.verify_at(&hs256, T0).await.unwrap_err(),
        VerifyError::UnsupportedAlgorithm
    );
    for garbage in ["", "abc", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30"] {
        assert_eq!(
            verifier.verify_at(garbage, T0).await.unwrap_err(),
            VerifyError::Malformed,
            "{garbage:?}"
        );
    }

    // Authorized parties: azp must be present and listed.
    let allowed = verifier_of(&store)
        .await
        .with_authorized_parties(["https://app.example.com/"]);
    assert!(allowed.verify_at(&token, T0).await.is_ok());
    let elsewhere = verifier_of(&store)
        .await
        .with_authorized_parties(["https://other.example.com"]);
    assert_eq!(
        elsewhere.verify_at(&token, T0).await.unwrap_err(),
        VerifyError::UnauthorizedParty
    );
    let no_azp = token_with(&store, |c| {
        c.as_object_mut().unwrap().remove("azp");
    })
    .await;
    assert_eq!(
        allowed.verify_at(&no_azp, T0).await.unwrap_err(),
        VerifyError::UnauthorizedParty
    );
    assert!(
        verifier.verify_at(&no_azp, T0).await.is_ok(),
        "no list, no check"
    );

    // Keys that cannot be fetched.
    struct Down;
    #[async_trait::async_trait]
    impl KeySource for Down {
        async fn fetch(&self) -> Result<JwkSet, String> {
            Err("connection refused".into())
        }
    }
    assert_eq!(
        Verifier::new(ISSUER, Down)
            .verify_at(&token, T0)
            .await
            .unwrap_err(),
        VerifyError::KeysUnavailable("connection refused".into())
    );
}

#[tokio::test]
async fn the_auth_object_of_a_token_is_the_one_auth_gives() {
    let store = FakeStore::default();
    let token = token_with(&store, |_| {}).await;
    let claims = verifier_of(&store)
        .await
        .verify_at(&token, T0)
        .await
        .unwrap();
    let from_token = serde_json::to_value(Auth::from_claims(&claims, true)).unwrap();
    let from_gatehouse = serde_json::to_value(member().auth(true)).unwrap();
    for field in [
        "userId",
        "sessionId",
        "sessionStatus",
        "orgId",
        "orgRole",
        "orgSlug",
        "factorVerificationAge",
    ] {
        assert_eq!(from_token[field], from_gatehouse[field], "{field}");
    }
    // Custom permissions travel in the token; system permissions never do (as in Clerk).
    assert_eq!(
        from_token["orgPermissions"],
        serde_json::json!(["org:reports:read", "org:reports:manage", "org:billing:read"])
    );
    let auth = Auth::from_claims(&claims, true);
    assert!(auth.has_role("admin") && auth.has_permission("org:reports:manage"));
    assert!(!auth.has_permission("org:sys_memberships:manage"));

    // A pending session's token is signed out by default, keeping its status.
    let pending = token_with(&store, |c| c["sts"] = "pending".into()).await;
    let claims = verifier_of(&store)
        .await
        .verify_at(&pending, T0)
        .await
        .unwrap();
    let auth = Auth::from_claims(&claims, true);
    assert!(!auth.is_signed_in());
    assert_eq!(auth.session_status.as_deref(), Some("pending"));
    assert!(Auth::from_claims(&claims, false).is_signed_in());
}

/// Keys of `store` as published at a clock the test moves, counting fetches.
struct MovingKeys {
    store: Arc<FakeStore>,
    now: Arc<Mutex<i64>>,
    fetches: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl KeySource for MovingKeys {
    async fn fetch(&self) -> Result<JwkSet, String> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let now = *self.now.lock().unwrap();
        jwt::jwks(self.store.as_ref(), now)
            .await
            .map_err(|e| e.to_string())
    }
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_the_old_one_verifies_until_its_grace_ends() {
    let store = Arc::new(FakeStore::default());
    let now = Arc::new(Mutex::new(T0));
    let fetches = Arc::new(AtomicUsize::new(0));
    let source = || MovingKeys {
        store: store.clone(),
        now: now.clone(),
        fetches: fetches.clone(),
    };
    let old_token = token_with(&store, |_| {}).await;
    let verifier = Verifier::new(ISSUER, source())
        .with_min_refresh_interval(std::time::Duration::from_millis(300));
    assert!(verifier.verify_at(&old_token, T0).await.is_ok());
    assert!(verifier.verify_at(&old_token, T0).await.is_ok());
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "cached");

    // Made-up key ids, many at once, cannot make the verifier hammer the instance.
    let unknown = {
        let mut header = jsonwebtoken::decode_header(&old_token).unwrap();
        header.kid = Some("ins_madeup".into());
        let rest: Vec<&str> = old_token.split('.').skip(1).collect();
        use base64::Engine;
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&header).unwrap());
        format!("{header}.{}", rest.join("."))
    };
    let attempts = (0..50).map(|_| {
        let verifier = verifier.clone();
        let unknown = unknown.clone();
        tokio::spawn(async move { verifier.verify_at(&unknown, T0).await })
    });
    for attempt in attempts {
        assert!(matches!(
            attempt.await.unwrap(),
            Err(VerifyError::UnknownKey(_))
        ));
    }
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "within the refresh interval"
    );

    // Rotation: a token of the new key makes the verifier fetch again, once.
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    jwt::rotate_signing_key(store.as_ref(), 3600, T0 + 10)
        .await
        .unwrap();
    *now.lock().unwrap() = T0 + 20;
    let new_token = {
        let claims = serde_json::to_value(
            session_claims(
                &member(),
                TokenRequest {
                    issuer: ISSUER,
                    authorized_party: None,
                    lifetime_seconds: 60,
                    token_id: "jti_2".into(),
                },
                T0 + 20,
            )
            .unwrap(),
        )
        .unwrap();
        sign(store.as_ref(), &claims, T0 + 20).await.unwrap()
    };
    assert!(verifier.verify_at(&new_token, T0 + 20).await.is_ok());
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // The old key is still published during the grace period.
    let fresh = Verifier::new(ISSUER, source()).with_clock_skew(3600);
    assert!(fresh.verify_at(&old_token, T0 + 20).await.is_ok());
    // After it, a verifier that fetches the keys no longer knows the old one.
    *now.lock().unwrap() = T0 + 10 + 3600;
    let later = Verifier::new(ISSUER, source()).with_clock_skew(10_000);
    assert!(matches!(
        later.verify_at(&old_token, T0 + 10 + 3600).await,
        Err(VerifyError::UnknownKey(_))
    ));
    assert!(later.verify_at(&new_token, T0 + 10 + 3600).await.is_ok());
}

#[tokio::test]
async fn issued_tokens_carry_the_session_and_templates_carry_their_claims() {
    let store = FakeStore::default();
    let config = config(&[
        (
            "GATEHOUSE_TOKENS__TEMPLATES",
            r#"{ supabase = { lifetime_seconds = 120, claims = { role = "authenticated", email = "{{user.primary_email_address}}", name = "{{user.first_name}} {{user.last_name}}", last = "{{user.last_name}}", org = { slug = "{{org.slug || 'personal'}}", role = "{{org.role}}" }, mfa = "{{user.two_factor_enabled}}", tags = ["{{user.id}}", 3] } }, backend = { claims = { role = "service" } } }"#,
        ),
        (
            "GATEHOUSE_INSTANCE__AUTHORIZED_PARTIES",
            r#"["https://app.example.com"]"#,
        ),
    ]);
    let session = issue(
        &store,
        &config,
        &member(),
        None,
        Some("https://app.example.com"),
        T0,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(session.lifetime_seconds, 60);
    let verifier = verifier_of(&store).await;
    let claims = verifier.verify_at(&session.jwt, T0).await.unwrap();
    assert_eq!(claims.azp.as_deref(), Some("https://app.example.com"));
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.exp - claims.iat, 60);

    let template = issue(&store, &config, &member(), Some("supabase"), None, T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(template.lifetime_seconds, 120);
    let claims: serde_json::Value = verifier
        .verify_template_at(&template.jwt, "supabase", T0)
        .await
        .unwrap();
    assert_eq!(
        claims["tpl"], "supabase",
        "a template token names its template"
    );
    assert_eq!(claims["sub"], "user_1");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["exp"], T0 + 120);
    assert!(claims.get("sid").is_none() && claims.get("azp").is_none());
    assert_eq!(claims["role"], "authenticated");
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(
        claims["name"], "Ada ",
        "a missing value in text is left out"
    );
    assert_eq!(
        claims["last"],
        serde_json::Value::Null,
        "a missing value alone is null"
    );
    assert_eq!(
        claims["org"],
        serde_json::json!({"slug": "acme", "role": "org:admin"})
    );
    assert_eq!(claims["mfa"], false);
    assert_eq!(claims["tags"], serde_json::json!(["user_1", 3]));
    // A template token is not a session token, a session token is not a template token, and
    // one template's token is not another's.
    assert_eq!(
        verifier.verify_at(&template.jwt, T0).await.unwrap_err(),
        VerifyError::NotASessionToken
    );
    let session_as_template = verifier
        .verify_template_at::<serde_json::Value>(&session.jwt, "supabase", T0)
        .await
        .unwrap_err();
    assert_eq!(session_as_template, VerifyError::NotATemplateToken);
    assert_eq!(
        session_as_template.to_string(),
        "not a template token (a session token)"
    );
    let backend = issue(
        &store,
        &config,
        &member(),
        Some("backend"),
        Some("https://app.example.com/"),
        T0,
    )
    .await
    .unwrap()
    .unwrap();
    let backend_claims: serde_json::Value = verifier
        .verify_template_at(&backend.jwt, "backend", T0)
        .await
        .unwrap();
    assert_eq!(
        (&backend_claims["tpl"], &backend_claims["azp"]),
        (
            &serde_json::json!("backend"),
            &serde_json::json!("https://app.example.com")
        )
    );
    let wrong = verifier
        .verify_template_at::<serde_json::Value>(&backend.jwt, "supabase", T0)
        .await
        .unwrap_err();
    assert_eq!(
        wrong,
        VerifyError::WrongTemplate {
            expected: "supabase".into(),
            found: Some("backend".into()),
        }
    );
    assert_eq!(
        wrong.to_string(),
        "the token is not of the template `supabase` but of `backend`"
    );
    // A token with neither `sid` nor `tpl` (made some other way) is no template's either.
    let untemplated = token_with(&store, |c| {
        c.as_object_mut().unwrap().remove("sid");
    })
    .await;
    let untemplated = verifier
        .verify_template_at::<serde_json::Value>(&untemplated, "backend", T0)
        .await
        .unwrap_err();
    assert_eq!(
        untemplated,
        VerifyError::WrongTemplate {
            expected: "backend".into(),
            found: None,
        }
    );
    assert_eq!(
        untemplated.to_string(),
        "the token is not of the template `backend` but of no template"
    );

    // Without an organization the fallback applies; signed out gets no token.
    let personal = AuthSnapshot {
        org_id: None,
        org_slug: None,
        org_role: None,
        org_permissions: Vec::new(),
        ..member()
    };
    let rendered = token_template::render(&config.tokens.templates["supabase"].claims, &personal);
    assert_eq!(
        rendered["org"],
        serde_json::json!({"slug": "personal", "role": null})
    );
    assert!(
        issue(&store, &config, &AuthSnapshot::signed_out(), None, None, T0)
            .await
            .unwrap()
            .is_none()
    );
    let unknown = issue(&store, &config, &member(), Some("nope"), None, T0)
        .await
        .unwrap_err();
    assert_eq!(
        (unknown.code, unknown.field().as_deref()),
        (ErrorCode::ResourceNotFound, Some("template"))
    );
}

#[test]
fn templates_are_checked_at_startup_with_the_key_named() {
    let error = |templates: &str| {
        Config::from_sources(
            None,
            &[(
                "GATEHOUSE_TOKENS__TEMPLATES".to_string(),
                templates.to_string(),
            )],
        )
        .unwrap_err()
        .to_string()
    };
    assert!(error(r#"{ a = { claims = { sub = "x" } } }"#)
        .contains("tokens.templates.a.claims.sub: a reserved claim"));
    assert!(error(r#"{ a = { claims = { x = "{{user.password}}" } } }"#)
        .contains("tokens.templates.a.claims.x: unknown shortcode {{user.password}}"));
    assert!(error(r#"{ a = { claims = { x = ["{{user.id"] } } }"#)
        .contains("tokens.templates.a.claims.x: a {{ without its }}"));
    assert!(error(r#"{ a = { lifetime_seconds = 0 } }"#)
        .contains("tokens.templates.a.lifetime_seconds"));
    assert!(error(r#"{ "a b" = {} }"#).contains("tokens.templates.a b: template names"));
    assert!(Config::from_sources(
        None,
        &[(
            "GATEHOUSE_TOKENS__LIFETIME_SECONDS".to_string(),
            "0".to_string()
        )]
    )
    .unwrap_err()
    .to_string()
    .contains("tokens.lifetime_seconds"));
}

#[tokio::test]
async fn a_revoked_sessions_token_is_refused_once_it_expires() {
    // Networkless verification trusts a token until it expires: the bound on revocation.
    let store = FakeStore::default();
    let token = token_with(&store, |_| {}).await;
    let verifier = verifier_of(&store).await;
    assert!(verifier.verify_at(&token, T0 + 30).await.is_ok());
    assert!(matches!(
        verifier.verify_at(&token, T0 + 60 + 60).await,
        Err(VerifyError::Expired { .. })
    ));
}

/// `token` with its header's `kid` replaced (the signature no longer matters: the key lookup
/// comes first).
fn with_kid(token: &str, kid: &str) -> String {
    use base64::Engine;
    let mut header = jsonwebtoken::decode_header(token).unwrap();
    header.kid = Some(kid.into());
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&header).unwrap());
    let rest: Vec<&str> = token.split('.').skip(1).collect();
    format!("{header}.{}", rest.join("."))
}

/// The keys of `store`, or an error while `down`; counts every attempt. Each attempt takes a
/// little time, as a request to an unreachable instance would.
struct FlakyKeys {
    store: Arc<FakeStore>,
    down: Arc<std::sync::atomic::AtomicBool>,
    attempts: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl KeySource for FlakyKeys {
    async fn fetch(&self) -> Result<JwkSet, String> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if self.down.load(Ordering::SeqCst) {
            return Err("connection refused".into());
        }
        jwt::jwks(self.store.as_ref(), T0)
            .await
            .map_err(|e| e.to_string())
    }
}

/// 50 tokens with made-up key ids verified at once; every answer (none may panic).
async fn made_up_kids_at_once(verifier: &Verifier, token: &str) -> Vec<VerifyError> {
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..50 {
        let verifier = verifier.clone();
        let token = with_kid(token, &format!("ins_madeup_{n}"));
        tasks.spawn(async move { verifier.verify_at(&token, T0).await });
    }
    let mut errors = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        let answer = answer.expect("no verification panics");
        errors.push(answer.expect_err("a made-up key id is refused"));
    }
    errors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_key_source_is_tried_at_most_once_per_refresh_interval() {
    let store = Arc::new(FakeStore::default());
    let token = token_with(&store, |_| {}).await;
    let down = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let attempts = Arc::new(AtomicUsize::new(0));
    let interval = std::time::Duration::from_secs(1);
    let verifier = Verifier::new(
        ISSUER,
        FlakyKeys {
            store: store.clone(),
            down: down.clone(),
            attempts: attempts.clone(),
        },
    )
    .with_min_refresh_interval(interval);

    // Nothing ever fetched and the source is down: one attempt for 50 unknown key ids, each
    // refused with the source's error.
    let errors = made_up_kids_at_once(&verifier, &token).await;
    assert_eq!(attempts.load(Ordering::SeqCst), 1, "one attempt");
    assert_eq!(errors.len(), 50);
    for error in errors {
        assert_eq!(
            error,
            VerifyError::KeysUnavailable("connection refused".into())
        );
    }
    // The genuine token too, within the interval: answered without fetching.
    assert_eq!(
        verifier.verify_at(&token, T0).await.unwrap_err(),
        VerifyError::KeysUnavailable("connection refused".into())
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 1);

    // After the interval one more attempt is allowed (and only one).
    tokio::time::sleep(interval + std::time::Duration::from_millis(100)).await;
    let errors = made_up_kids_at_once(&verifier, &token).await;
    assert_eq!(attempts.load(Ordering::SeqCst), 2, "one more attempt");
    assert!(errors
        .iter()
        .all(|error| matches!(error, VerifyError::KeysUnavailable(_))));

    // Once keys were fetched, a later outage answers from the cache: the known key still
    // verifies, an unknown one is `UnknownKey`, still one attempt per interval.
    down.store(false, Ordering::SeqCst);
    tokio::time::sleep(interval + std::time::Duration::from_millis(100)).await;
    assert!(verifier.verify_at(&token, T0).await.is_ok());
    assert_eq!(attempts.load(Ordering::SeqCst), 3, "fetched");
    down.store(true, Ordering::SeqCst);
    tokio::time::sleep(interval + std::time::Duration::from_millis(100)).await;
    let errors = made_up_kids_at_once(&verifier, &token).await;
    assert_eq!(attempts.load(Ordering::SeqCst), 4, "one failed attempt");
    assert!(errors
        .iter()
        .all(|error| matches!(error, VerifyError::UnknownKey(_))));
    assert!(
        verifier.verify_at(&token, T0).await.is_ok(),
        "from the cache"
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
}
