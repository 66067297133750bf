//! The OpenID Connect adapter (`gatehouse::oidc`) against a local provider on 127.0.0.1 that signs
//! its own ID tokens: discovery, the authorization URL (PKCE S256, state, nonce), the code
//! exchange, and the refusals the callback relies on — nonce mismatch, wrong issuer, wrong
//! audience, expired, signed by a key the provider does not publish, unsigned. The Playwright suite
//! drives the happy path against `oidc-provider`; this proves the refusals.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use axum::{
    extract::{Form, State},
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
        CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
        CoreRsaPrivateSigningKey,
    },
    Audience, EmptyAdditionalClaims, EndUserEmail, EndUserGivenName, IssuerUrl, JsonWebKeyId,
    Nonce, PrivateSigningKey, StandardClaims, SubjectIdentifier,
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

/// What the token endpoint received and what it answers, per authorization code.
#[derive(Default)]
struct Provider {
    id_tokens: HashMap<String, String>,
    exchanges: Vec<HashMap<String, String>>,
}

type Shared = Arc<Mutex<Provider>>;

/// Starts the provider; returns its issuer URL and its shared state.
async fn start_provider() -> (String, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let shared = Shared::default();
    let discovery = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
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

/// The claims a well-behaved provider would sign for this attempt.
fn good_claims(issuer: &str) -> CoreIdTokenClaims {
    let now = Utc::now();
    CoreIdTokenClaims::new(
        IssuerUrl::new(issuer.to_string()).unwrap(),
        vec![Audience::new(CLIENT_ID.into())],
        now + Duration::minutes(5),
        now,
        StandardClaims::new(SubjectIdentifier::new("subject-42".into()))
            .set_email(Some(EndUserEmail::new("Grace@Example.com".into())))
            .set_email_verified(Some(true))
            .set_given_name(Some(EndUserGivenName::new("  Grace ".into()).into())),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(NONCE.into())))
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
