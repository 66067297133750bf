//! The OpenID Connect adapter (`gatehouse::oidc`) against a local provider on 127.0.0.1 that signs
//! its own ID tokens: discovery, the authorization URL (PKCE S256, state, nonce), the code
//! exchange, and the refusals the callback relies on — nonce mismatch, wrong issuer, wrong
//! audience, expired, signed by a key the provider does not publish, unsigned — and UserInfo: the
//! claims an ID token lacks (a conforming provider may sign only `sub`) are fetched there, the ID
//! token's win, an answer about another `sub` is refused, and a complete ID token needs no call.
//! The Playwright suite drives the happy path against `oidc-provider`; this proves the refusals.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use axum::{
    extract::{Form, State},
    http::{header::AUTHORIZATION, HeaderMap, StatusCode},
    routing::{get, post},
    Json, Router,
};
use chrono::{Duration, Utc};
use gatehouse::{
    config::{SsoConfig, SsoConnectionConfig},
    domain::{
        ports::{ExternalIdentity, IdentityProviders},
        secret::Secret,
    },
    model::{AuthError, ErrorCode},
    oidc::OidcProviders,
};
use openidconnect::{
    core::{
        CoreGenderClaim, CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet,
        CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey,
    },
    Audience, EmptyAdditionalClaims, EndUserEmail, EndUserFamilyName, EndUserGivenName, IssuerUrl,
    JsonWebKeyId, Nonce, PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use rsa::pkcs1::EncodeRsaPrivateKey;
use serde_json::{json, Value};

const CLIENT_ID: &str = "gatehouse-test";
const REDIRECT_URI: &str = "http://127.0.0.1:3000/sso/callback/local";
const NONCE: &str = "nonce-of-this-attempt";
const PKCE_VERIFIER: &str = "pkce-verifier-of-this-attempt-0123456789-abcdefghijklmnop";

/// A fresh 2048-bit RSA key as PKCS#1 PEM (generated once per test run: no key in the repository).
fn rsa_pem(slot: &'static OnceLock<String>) -> &'static str {
    slot.get_or_init(|| {
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("RSA key");
        key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
            .expect("PEM")
            .to_string()
    })
}

fn signing_key(pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("key-1".into()))).expect("key")
}

static PROVIDER_KEY: OnceLock<String> = OnceLock::new();
static OTHER_KEY: OnceLock<String> = OnceLock::new();

/// What the token endpoint received and what it answers, per authorization code; what UserInfo
/// answers (by default `200` with only `sub`: the provider's one user, `subject-42`) and how
/// often it was called.
#[derive(Default)]
struct Provider {
    id_tokens: HashMap<String, String>,
    exchanges: Vec<HashMap<String, String>>,
    userinfo: Option<(StatusCode, Value)>,
    userinfo_calls: usize,
}

type Shared = Arc<Mutex<Provider>>;

/// Starts the provider, with a UserInfo endpoint; returns its issuer URL and its shared state.
async fn start_provider() -> (String, Shared) {
    start_provider_with(true).await
}

async fn start_provider_with(userinfo_endpoint: bool) -> (String, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let shared = Shared::default();
    let mut discovery = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    if userinfo_endpoint {
        discovery["userinfo_endpoint"] = json!(format!("{issuer}/userinfo"));
    }
    let jwks = serde_json::to_value(CoreJsonWebKeySet::new(vec![signing_key(rsa_pem(
        &PROVIDER_KEY,
    ))
    .as_verification_key()]))
    .unwrap();
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(discovery) }),
        )
        .route("/jwks", get(move || async move { Json(jwks) }))
        .route("/token", post(token))
        .route("/userinfo", get(userinfo))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (issuer, shared)
}

async fn token(
    State(shared): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> Json<Value> {
    let mut provider = shared.lock().unwrap();
    let id_token = form
        .get("code")
        .and_then(|code| provider.id_tokens.get(code))
        .cloned();
    provider.exchanges.push(form);
    Json(json!({
        "access_token": "access-token",
        "token_type": "Bearer",
        "expires_in": 60,
        "id_token": id_token,
    }))
}

/// UserInfo (OpenID Connect Core §5.3): the claims of the access token the token endpoint gave.
async fn userinfo(State(shared): State<Shared>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    let mut provider = shared.lock().unwrap();
    provider.userinfo_calls += 1;
    if headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        != Some("Bearer access-token")
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_token" })),
        );
    }
    let (status, claims) = provider
        .userinfo
        .clone()
        .unwrap_or_else(|| (StatusCode::OK, json!({ "sub": "subject-42" })));
    (status, Json(claims))
}

/// An ID token for this attempt carrying `standard` (its `sub` and whatever else it sets).
fn claims_of(issuer: &str, standard: StandardClaims<CoreGenderClaim>) -> CoreIdTokenClaims {
    let now = Utc::now();
    CoreIdTokenClaims::new(
        IssuerUrl::new(issuer.to_string()).unwrap(),
        vec![Audience::new(CLIENT_ID.into())],
        now + Duration::minutes(5),
        now,
        standard,
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(NONCE.into())))
}

/// The claims a well-behaved provider would sign for this attempt.
fn good_claims(issuer: &str) -> CoreIdTokenClaims {
    claims_of(
        issuer,
        StandardClaims::new(SubjectIdentifier::new("subject-42".into()))
            .set_email(Some(EndUserEmail::new("Grace@Example.com".into())))
            .set_email_verified(Some(true))
            .set_given_name(Some(EndUserGivenName::new("  Grace ".into()).into())),
    )
}

fn sign(claims: CoreIdTokenClaims, pem: &str) -> String {
    CoreIdToken::new(
        claims,
        &signing_key(pem),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .unwrap()
    .to_string()
}

/// An ID token with `"alg": "none"`: claims anyone could have written.
fn unsigned(claims: &CoreIdTokenClaims) -> String {
    use base64::Engine as _;
    let encode = |value: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    };
    format!(
        "{}.{}.",
        encode(&json!({ "alg": "none", "typ": "JWT" })),
        encode(&serde_json::to_value(claims).unwrap())
    )
}

fn providers(issuer: &str) -> OidcProviders {
    OidcProviders::new(&SsoConfig {
        connections: vec![SsoConnectionConfig {
            key: "local".into(),
            name: "Local".into(),
            issuer: issuer.into(),
            client_id: CLIENT_ID.into(),
            client_secret: Secret::new("client-secret".into()),
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            trust_email_verified: true,
            domains: vec![],
        }],
    })
    .unwrap()
}

/// The callback's code exchange for `code`, with this attempt's PKCE verifier and nonce.
async fn exchange(providers: &OidcProviders, code: &str) -> Result<ExternalIdentity, AuthError> {
    providers
        .exchange_code(
            "local",
            REDIRECT_URI,
            code,
            &Secret::new(PKCE_VERIFIER.into()),
            &Secret::new(NONCE.into()),
        )
        .await
}

#[tokio::test]
async fn the_authorization_url_carries_pkce_state_nonce_and_the_login_hint() {
    let (issuer, _) = start_provider().await;
    let request = providers(&issuer)
        .authorization_request("local", REDIRECT_URI, Some("grace@acme.test"))
        .await
        .unwrap();
    let url = openidconnect::url::Url::parse(&request.url).unwrap();
    assert_eq!(
        url.as_str().split('?').next(),
        Some(&*format!("{issuer}/auth"))
    );
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["redirect_uri"], REDIRECT_URI);
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["state"], *request.state.expose());
    assert_eq!(query["nonce"], *request.nonce.expose());
    assert_eq!(query["login_hint"], "grace@acme.test");
    assert!(query["scope"].split(' ').any(|scope| scope == "openid"));
    assert!(query["scope"].split(' ').any(|scope| scope == "email"));
    // The challenge is derived from the verifier kept on our side, never the verifier itself.
    assert_ne!(query["code_challenge"], *request.pkce_verifier.expose());
    assert!(request.state.expose().len() >= 16 && request.nonce.expose().len() >= 16);
}

#[tokio::test]
async fn a_verified_id_token_gives_the_identity_and_every_forgery_is_refused() {
    let (issuer, shared) = start_provider().await;
    let other_issuer = format!("{issuer}/other");
    let now = Utc::now();
    let cases: Vec<(&str, String)> = vec![
        ("good", sign(good_claims(&issuer), rsa_pem(&PROVIDER_KEY))),
        (
            "nonce mismatch",
            sign(
                good_claims(&issuer).set_nonce(Some(Nonce::new("another-attempt".into()))),
                rsa_pem(&PROVIDER_KEY),
            ),
        ),
        (
            "no nonce",
            sign(good_claims(&issuer).set_nonce(None), rsa_pem(&PROVIDER_KEY)),
        ),
        (
            "wrong issuer",
            sign(
                good_claims(&issuer).set_issuer(IssuerUrl::new(other_issuer).unwrap()),
                rsa_pem(&PROVIDER_KEY),
            ),
        ),
        (
            "wrong audience",
            sign(
                good_claims(&issuer).set_audiences(vec![Audience::new("another-app".into())]),
                rsa_pem(&PROVIDER_KEY),
            ),
        ),
        (
            "expired",
            sign(
                good_claims(&issuer)
                    .set_issue_time(now - Duration::minutes(20))
                    .set_expiration(now - Duration::minutes(10)),
                rsa_pem(&PROVIDER_KEY),
            ),
        ),
        (
            "signed by a key the provider does not publish",
            sign(good_claims(&issuer), rsa_pem(&OTHER_KEY)),
        ),
        ("unsigned", unsigned(&good_claims(&issuer))),
    ];
    shared.lock().unwrap().id_tokens = cases
        .iter()
        .map(|(code, token)| (code.to_string(), token.clone()))
        .collect();

    let providers = providers(&issuer);
    let identity = exchange(&providers, "good").await.unwrap();
    assert_eq!(identity.provider, "local");
    assert_eq!(identity.subject, "subject-42");
    assert_eq!(identity.email.as_deref(), Some("grace@example.com"));
    assert!(identity.email_verified);
    assert_eq!(identity.first_name.as_deref(), Some("Grace"));
    assert_eq!(identity.last_name, None);
    {
        let provider = shared.lock().unwrap();
        let form = provider.exchanges.last().unwrap();
        assert_eq!(form["grant_type"], "authorization_code");
        assert_eq!(form["code_verifier"], PKCE_VERIFIER);
        assert_eq!(form["redirect_uri"], REDIRECT_URI);
    }

    for (code, _) in cases.iter().skip(1) {
        let refused = exchange(&providers, code).await.expect_err(code);
        assert_eq!(refused.code, ErrorCode::OauthTokenInvalid, "{code}");
    }

    // A code the provider refuses (unknown, or already used) is refused too.
    let refused = exchange(&providers, "unknown code").await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::OauthTokenInvalid);
}

#[tokio::test]
async fn a_provider_that_is_down_reports_unavailable_without_stopping_anything() {
    // A port nothing listens on: bind one, note it, close it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let refused = providers(&issuer)
        .authorization_request("local", REDIRECT_URI, None)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::OauthProviderUnavailable);
    let unknown = providers(&issuer)
        .authorization_request("nope", REDIRECT_URI, None)
        .await
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::SsoConnectionNotFound);
}

/// `subject-42` with nothing else: what a conforming provider signs by default.
fn only_sub() -> StandardClaims<CoreGenderClaim> {
    StandardClaims::new(SubjectIdentifier::new("subject-42".into()))
}

/// One sign-in at a fresh provider whose ID token carries `standard` and whose UserInfo answers
/// `userinfo`: the identity (or refusal) and how many times UserInfo was called.
async fn sign_in_with(
    standard: StandardClaims<CoreGenderClaim>,
    userinfo: (StatusCode, Value),
) -> (Result<ExternalIdentity, AuthError>, usize) {
    let (issuer, shared) = start_provider().await;
    {
        let mut provider = shared.lock().unwrap();
        let id_token = sign(claims_of(&issuer, standard), rsa_pem(&PROVIDER_KEY));
        provider.id_tokens.insert("code".into(), id_token);
        provider.userinfo = Some(userinfo);
    }
    let result = exchange(&providers(&issuer), "code").await;
    let calls = shared.lock().unwrap().userinfo_calls;
    (result, calls)
}

#[tokio::test]
async fn an_id_token_with_only_sub_gets_the_email_and_names_from_userinfo() {
    let userinfo = json!({
        "sub": "subject-42",
        "email": "Ada@Example.com",
        "email_verified": true,
        "given_name": " Ada ",
        "family_name": "Lovelace",
    });
    let (identity, calls) = sign_in_with(only_sub(), (StatusCode::OK, userinfo)).await;
    assert_eq!(
        identity.unwrap(),
        ExternalIdentity {
            provider: "local".into(),
            subject: "subject-42".into(),
            email: Some("ada@example.com".into()),
            email_verified: true,
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
        }
    );
    assert_eq!(calls, 1);

    // An email UserInfo does not say is verified stays unverified.
    let userinfo = json!({ "sub": "subject-42", "email": "ada@example.com" });
    let (identity, _) = sign_in_with(only_sub(), (StatusCode::OK, userinfo)).await;
    let identity = identity.unwrap();
    assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
    assert!(!identity.email_verified);
}

#[tokio::test]
async fn where_both_have_a_claim_the_id_token_wins() {
    let id_token = only_sub()
        .set_email(Some(EndUserEmail::new("grace@example.com".into())))
        .set_email_verified(Some(false))
        .set_given_name(Some(EndUserGivenName::new("Grace".into()).into()));
    let userinfo = json!({
        "sub": "subject-42",
        "email": "grace@example.com",
        "email_verified": true,
        "given_name": "Other",
        "family_name": "Hopper",
    });
    let (identity, calls) = sign_in_with(id_token, (StatusCode::OK, userinfo)).await;
    let identity = identity.unwrap();
    assert_eq!(identity.email.as_deref(), Some("grace@example.com"));
    assert!(!identity.email_verified, "the ID token said unverified");
    assert_eq!(identity.first_name.as_deref(), Some("Grace"));
    assert_eq!(identity.last_name.as_deref(), Some("Hopper"));
    assert_eq!(calls, 1);

    // UserInfo's `email_verified` vouches for its own email only: for the ID token's same email it
    // fills the missing flag, for another email it is ignored.
    let id_token = || only_sub().set_email(Some(EndUserEmail::new("grace@example.com".into())));
    let same = json!({ "sub": "subject-42", "email": "Grace@Example.com", "email_verified": true });
    let (identity, _) = sign_in_with(id_token(), (StatusCode::OK, same)).await;
    assert!(identity.unwrap().email_verified);
    let other =
        json!({ "sub": "subject-42", "email": "other@example.com", "email_verified": true });
    let (identity, _) = sign_in_with(id_token(), (StatusCode::OK, other)).await;
    let identity = identity.unwrap();
    assert_eq!(identity.email.as_deref(), Some("grace@example.com"));
    assert!(!identity.email_verified);
}

#[tokio::test]
async fn a_userinfo_answer_about_another_subject_is_refused() {
    let userinfo = json!({
        "sub": "someone-else",
        "email": "mallory@example.com",
        "email_verified": true,
    });
    let (refused, calls) = sign_in_with(only_sub(), (StatusCode::OK, userinfo)).await;
    assert_eq!(refused.unwrap_err().code, ErrorCode::OauthTokenInvalid);
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn a_complete_id_token_does_not_call_userinfo() {
    let id_token = only_sub()
        .set_email(Some(EndUserEmail::new("grace@example.com".into())))
        .set_email_verified(Some(true))
        .set_given_name(Some(EndUserGivenName::new("Grace".into()).into()))
        .set_family_name(Some(EndUserFamilyName::new("Hopper".into()).into()));
    let userinfo = json!({ "sub": "subject-42", "family_name": "Not asked" });
    let (identity, calls) = sign_in_with(id_token, (StatusCode::OK, userinfo)).await;
    assert_eq!(identity.unwrap().last_name.as_deref(), Some("Hopper"));
    assert_eq!(calls, 0);
}

#[tokio::test]
async fn a_failing_userinfo_is_reported_and_a_provider_without_one_gives_the_id_token_only() {
    let down = (StatusCode::SERVICE_UNAVAILABLE, json!({}));
    let (refused, _) = sign_in_with(only_sub(), down).await;
    assert_eq!(
        refused.unwrap_err().code,
        ErrorCode::OauthProviderUnavailable
    );
    let rejected = (
        StatusCode::UNAUTHORIZED,
        json!({ "error": "invalid_token" }),
    );
    let (refused, _) = sign_in_with(only_sub(), rejected).await;
    assert_eq!(refused.unwrap_err().code, ErrorCode::OauthTokenInvalid);
    let unreadable = (StatusCode::OK, json!(["not", "claims"]));
    let (refused, _) = sign_in_with(only_sub(), unreadable).await;
    assert_eq!(refused.unwrap_err().code, ErrorCode::OauthTokenInvalid);

    // No `userinfo_endpoint` in discovery: the ID token's claims are all there is.
    let (issuer, shared) = start_provider_with(false).await;
    let id_token = sign(claims_of(&issuer, only_sub()), rsa_pem(&PROVIDER_KEY));
    shared
        .lock()
        .unwrap()
        .id_tokens
        .insert("code".into(), id_token);
    let identity = exchange(&providers(&issuer), "code").await.unwrap();
    assert_eq!(identity.subject, "subject-42");
    assert_eq!(identity.email, None);
    assert!(!identity.email_verified);
    assert_eq!(shared.lock().unwrap().userinfo_calls, 0);
}
