//! Verifies Gatehouse session tokens in other Rust services — an API, a worker — without asking
//! Gatehouse: the public keys come from the instance's `/.well-known/jwks.json` once and are
//! cached; a token signed by a key the cache does not know triggers one refresh (at most one
//! attempt per [`Verifier::with_min_refresh_interval`], failed ones included), so a rotation
//! needs no restart.
//!
//! ```no_run
//! # async fn example(token: &str) -> Result<(), gatehouse_verifier::VerifyError> {
//! use gatehouse_verifier::Verifier;
//!
//! let verifier = Verifier::for_instance("https://auth.example.com")
//!     .with_authorized_parties(["https://app.example.com"]);
//! let auth = verifier.authenticate(token).await?;
//! println!("{:?} in {:?}", auth.user_id, auth.org_slug);
//! # Ok(()) }
//! ```
//!
//! A token is trusted until it expires: a session revoked in Gatehouse keeps working here for
//! at most the token's lifetime (60 s by default). With the `axum` feature, [`Auth`] is an
//! extractor (`Authorization: Bearer <token>`; 401 with Clerk's error body otherwise).
//!
//! A JWT template's token (`[tokens.templates.<name>]`) names its template in `tpl` and has no
//! `sid`: [`Verifier::verify`] refuses it, [`Verifier::verify_template`] takes it — only the
//! template it is asked for.

#![forbid(unsafe_code)]

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

pub use jsonwebtoken::jwk::JwkSet;

/// How far the verifier's clock may disagree with Gatehouse's (Clerk's default, 5 s).
pub const DEFAULT_CLOCK_SKEW_SECONDS: i64 = 5;
/// The fewest seconds between two attempts to fetch the key set caused by unknown key ids —
/// measured from the last attempt, failed or not — so a flood of made-up `kid`s cannot turn
/// into a flood of requests to Gatehouse, nor into a queue of fetches while it is down.
pub const DEFAULT_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(10);
/// How long a fetched key set is used before it is fetched again (as the JWKS's own
/// `Cache-Control: max-age=300`).
pub const DEFAULT_MAX_KEY_AGE: Duration = Duration::from_secs(300);
/// The claim naming the template a template token was made from (`tpl: "<name>"`).
pub const TEMPLATE_CLAIM: &str = "tpl";

/// Why a token was refused. Each case is distinct so a service can log or answer precisely.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not a JWT, or its header or claims do not decode.
    #[error("the token is malformed")]
    Malformed,
    /// Signed with an algorithm other than RS256/RS384/RS512.
    #[error("the token's algorithm is not accepted")]
    UnsupportedAlgorithm,
    /// No published key has the token's `kid` (also after a refresh).
    #[error("the token was signed by an unknown key ({0})")]
    UnknownKey(String),
    /// The signature does not match the key.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `exp` passed longer ago than the allowed clock skew.
    #[error("the token expired at {expired_at}")]
    Expired {
        /// The token's `exp`.
        expired_at: i64,
    },
    /// `nbf` (or `iat`) lies further ahead than the allowed clock skew.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` is not the instance.
    #[error("the token was issued by another instance")]
    WrongIssuer,
    /// Authorized parties are configured and `azp` is missing or not among them.
    #[error("the token was issued to an unauthorized party")]
    UnauthorizedParty,
    /// A template token (no `sid`) where a session token was expected.
    #[error("not a session token (a JWT template's token)")]
    NotASessionToken,
    /// A session token (it has `sid`) where a template's token was expected.
    #[error("not a template token (a session token)")]
    NotATemplateToken,
    /// The token of another template (or of none) than the one expected.
    #[error(
        "the token is not of the template `{expected}` but of {}",
        .found.as_deref().map_or_else(|| "no template".to_string(), |found| format!("`{found}`"))
    )]
    WrongTemplate {
        /// The template asked for.
        expected: String,
        /// The token's `tpl`, if it has one.
        found: Option<String>,
    },
    /// The key set could not be fetched and none is cached.
    #[error("the signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

/// Where the public keys come from.
#[async_trait::async_trait]
pub trait KeySource: Send + Sync + 'static {
    /// The current key set.
    async fn fetch(&self) -> Result<JwkSet, String>;
}

/// A fixed key set (a JWKS read from a file or configuration): refreshing gives the same keys.
#[derive(Clone, Debug)]
pub struct StaticKeys(pub JwkSet);

#[async_trait::async_trait]
impl KeySource for StaticKeys {
    async fn fetch(&self) -> Result<JwkSet, String> {
        Ok(self.0.clone())
    }
}

/// The key set at a URL (`<instance>/.well-known/jwks.json`), fetched with `reqwest`.
#[cfg(feature = "fetch")]
#[derive(Clone, Debug)]
pub struct JwksUrl {
    url: String,
    client: reqwest::Client,
}

#[cfg(feature = "fetch")]
impl JwksUrl {
    /// The key set at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            url: url.into(),
            client,
        }
    }
}

#[cfg(feature = "fetch")]
#[async_trait::async_trait]
impl KeySource for JwksUrl {
    async fn fetch(&self) -> Result<JwkSet, String> {
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("{}: {e}", self.url))?;
        response
            .json::<JwkSet>()
            .await
            .map_err(|e| format!("{}: {e}", self.url))
    }
}

/// The active organization in a session token (`o`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgClaims {
    /// Organization id.
    pub id: String,
    /// Slug.
    pub slg: String,
    /// Role without the `org:` prefix.
    pub rol: String,
    /// Permission actions, comma-separated.
    #[serde(default)]
    pub per: String,
    /// Per feature of `fea`, the bitmask of its actions in `per`.
    #[serde(default)]
    pub fpm: String,
}

/// The claims of a Gatehouse session token (Clerk's v2 session token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The instance's public URL.
    pub iss: String,
    /// The user id.
    pub sub: String,
    /// The session id.
    pub sid: String,
    /// `pending` for a pending session, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts: Option<String>,
    /// The origin the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Minutes since each factor was verified (`-1`: not enabled).
    #[serde(default)]
    pub fva: Option<[i64; 2]>,
    /// The active organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o: Option<OrgClaims>,
    /// The organization's features (`o:<feature>`, comma-separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fea: Option<String>,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Not before.
    #[serde(default)]
    pub nbf: Option<i64>,
    /// Token id.
    #[serde(default)]
    pub jti: Option<String>,
    /// Token version (2).
    #[serde(default)]
    pub v: Option<u8>,
}

impl SessionClaims {
    /// The organization permissions the token carries (`org:<feature>:<action>`), decoded as
    /// Clerk's SDKs do (system permissions are never in a token).
    pub fn org_permissions(&self) -> Vec<String> {
        let (Some(org), Some(fea)) = (&self.o, &self.fea) else {
            return Vec::new();
        };
        let actions: Vec<&str> = org.per.split(',').filter(|a| !a.is_empty()).collect();
        let features = fea
            .split(',')
            .filter_map(|feature| feature.strip_prefix("o:"));
        let masks = org
            .fpm
            .split(',')
            .map(|mask| mask.parse::<u64>().unwrap_or(0));
        let mut permissions = Vec::new();
        for (feature, mask) in features.zip(masks) {
            for (bit, action) in actions.iter().enumerate() {
                if bit < 64 && mask & (1u64 << bit) != 0 {
                    permissions.push(format!("org:{feature}:{action}"));
                }
            }
        }
        permissions
    }
}

/// Clerk's Auth object, as Gatehouse's `auth()` gives it, built from a verified session token.
/// Serializes with the same field names as Gatehouse's `/api/me`. What a token does not carry
/// stays absent: the user's name and email, the pending session's task, and system
/// permissions (`org:sys_…`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Auth {
    /// The user id, `None` when signed out (or pending, by default).
    pub user_id: Option<String>,
    /// The session id.
    pub session_id: Option<String>,
    /// `active` or `pending`.
    pub session_status: Option<String>,
    /// Active organization id.
    pub org_id: Option<String>,
    /// Role in the active organization (`org:admin`).
    pub org_role: Option<String>,
    /// Active organization slug.
    pub org_slug: Option<String>,
    /// Custom permissions in the active organization.
    pub org_permissions: Option<Vec<String>>,
    /// `[first, second]` factor ages in minutes.
    pub factor_verification_age: Option<[i64; 2]>,
}

impl Auth {
    /// The Auth object of `claims`; with `treat_pending_as_signed_out` (Gatehouse's and
    /// Clerk's default) a pending session is signed out but keeps `session_status`.
    pub fn from_claims(claims: &SessionClaims, treat_pending_as_signed_out: bool) -> Self {
        let status = claims.sts.clone().unwrap_or_else(|| "active".into());
        if status == "pending" && treat_pending_as_signed_out {
            return Self {
                session_status: Some(status),
                ..Self::default()
            };
        }
        Self {
            user_id: Some(claims.sub.clone()),
            session_id: Some(claims.sid.clone()),
            session_status: Some(status),
            org_id: claims.o.as_ref().map(|org| org.id.clone()),
            org_role: claims.o.as_ref().map(|org| format!("org:{}", org.rol)),
            org_slug: claims.o.as_ref().map(|org| org.slg.clone()),
            org_permissions: claims.o.as_ref().map(|_| claims.org_permissions()),
            factor_verification_age: claims.fva,
        }
    }

    /// Signed in.
    pub fn is_signed_in(&self) -> bool {
        self.user_id.is_some()
    }

    /// Clerk's `has({ role })` (`admin` ≡ `org:admin`).
    pub fn has_role(&self, role: &str) -> bool {
        let wanted = if role.starts_with("org:") {
            role.to_string()
        } else {
            format!("org:{role}")
        };
        self.is_signed_in() && self.org_role.as_deref() == Some(wanted.as_str())
    }

    /// Clerk's `has({ permission })`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.is_signed_in()
            && self
                .org_permissions
                .as_ref()
                .is_some_and(|permissions| permissions.iter().any(|p| p == permission))
    }
}

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    /// The last successful fetch (the keys' age).
    fetched_at: Option<Instant>,
    /// The end of the last fetch attempt, successful or not (what refreshes are throttled on).
    attempted_at: Option<Instant>,
    /// Why the last attempt failed, when it did.
    last_error: Option<String>,
}

/// What a verifier checks; each `with_…` changes its own copy.
#[derive(Clone, Debug)]
struct Options {
    issuer: String,
    authorized_parties: Option<Vec<String>>,
    clock_skew_seconds: i64,
    min_refresh_interval: Duration,
    max_key_age: Duration,
}

/// The key source and its cache, shared by clones.
struct Keys {
    source: Box<dyn KeySource>,
    cache: RwLock<KeyCache>,
    refreshing: Mutex<()>,
}

/// Verifies session tokens of one Gatehouse instance. Cheap to clone (the key cache is shared).
#[derive(Clone)]
pub struct Verifier {
    options: Arc<Options>,
    keys: Arc<Keys>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("options", &self.options)
            .finish()
    }
}

impl Verifier {
    /// Tokens issued by `issuer` (the instance's public URL, their `iss`), keys from `source`.
    pub fn new(issuer: impl Into<String>, source: impl KeySource) -> Self {
        Self {
            options: Arc::new(Options {
                issuer: issuer.into().trim_end_matches('/').to_string(),
                authorized_parties: None,
                clock_skew_seconds: DEFAULT_CLOCK_SKEW_SECONDS,
                min_refresh_interval: DEFAULT_MIN_REFRESH_INTERVAL,
                max_key_age: DEFAULT_MAX_KEY_AGE,
            }),
            keys: Arc::new(Keys {
                source: Box::new(source),
                cache: RwLock::new(KeyCache::default()),
                refreshing: Mutex::new(()),
            }),
        }
    }

    /// Tokens of the instance at `instance_url`, keys from its `/.well-known/jwks.json`.
    #[cfg(feature = "fetch")]
    pub fn for_instance(instance_url: &str) -> Self {
        let issuer = instance_url.trim_end_matches('/');
        Self::new(
            issuer,
            JwksUrl::new(format!("{issuer}/.well-known/jwks.json")),
        )
    }

    /// Tokens of `issuer` signed by a key of `jwks` (no network at all).
    pub fn from_jwks(issuer: impl Into<String>, jwks: JwkSet) -> Self {
        Self::new(issuer, StaticKeys(jwks))
    }

    /// A verifier with changed options and the same key cache.
    fn with(mut self, change: impl FnOnce(&mut Options)) -> Self {
        change(Arc::make_mut(&mut self.options));
        self
    }

    /// Only tokens whose `azp` is one of `origins` (then `azp` must be present, as in Clerk).
    pub fn with_authorized_parties<I, S>(self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let parties = origins
            .into_iter()
            .map(|origin| origin.into().trim_end_matches('/').to_string())
            .collect();
        self.with(|options| options.authorized_parties = Some(parties))
    }

    /// How far clocks may disagree, in seconds (default 5).
    pub fn with_clock_skew(self, seconds: i64) -> Self {
        self.with(|options| options.clock_skew_seconds = seconds.max(0))
    }

    /// The fewest time between two fetch attempts caused by unknown key ids, failed attempts
    /// included (default 10 s).
    pub fn with_min_refresh_interval(self, interval: Duration) -> Self {
        self.with(|options| options.min_refresh_interval = interval)
    }

    /// How long a fetched key set is used before it is fetched again (default 5 minutes).
    pub fn with_max_key_age(self, age: Duration) -> Self {
        self.with(|options| options.max_key_age = age)
    }

    /// The issuer tokens must name.
    pub fn issuer(&self) -> &str {
        &self.options.issuer
    }

    /// Verifies a session token now.
    pub async fn verify(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        self.verify_at(token, unix_now()).await
    }

    /// Verifies a session token at `now` (seconds since the epoch).
    pub async fn verify_at(&self, token: &str, now: i64) -> Result<SessionClaims, VerifyError> {
        let claims = self.verify_claims_at(token, now).await?;
        if claims.get("sid").is_none() {
            return Err(VerifyError::NotASessionToken);
        }
        serde_json::from_value(claims).map_err(|_| VerifyError::Malformed)
    }

    /// Verifies a session token and gives its Auth object (pending treated as signed out).
    pub async fn authenticate(&self, token: &str) -> Result<Auth, VerifyError> {
        Ok(Auth::from_claims(&self.verify(token).await?, true))
    }

    /// Verifies a token of the JWT template `name` (`[tokens.templates.<name>]`) now and
    /// decodes its claims as `T`. A session token is [`VerifyError::NotATemplateToken`]; another
    /// template's token is [`VerifyError::WrongTemplate`].
    pub async fn verify_template<T: DeserializeOwned>(
        &self,
        token: &str,
        name: &str,
    ) -> Result<T, VerifyError> {
        self.verify_template_at(token, name, unix_now()).await
    }

    /// [`Verifier::verify_template`] at `now` (seconds since the epoch).
    pub async fn verify_template_at<T: DeserializeOwned>(
        &self,
        token: &str,
        name: &str,
        now: i64,
    ) -> Result<T, VerifyError> {
        let claims = self.verify_claims_at(token, now).await?;
        if claims.get("sid").is_some() {
            return Err(VerifyError::NotATemplateToken);
        }
        let template = claims.get(TEMPLATE_CLAIM).and_then(Value::as_str);
        if template != Some(name) {
            return Err(VerifyError::WrongTemplate {
                expected: name.to_string(),
                found: template.map(str::to_string),
            });
        }
        serde_json::from_value(claims).map_err(|_| VerifyError::Malformed)
    }

    /// The signature first, then the claims (as Clerk's SDKs check them).
    async fn verify_claims_at(&self, token: &str, now: i64) -> Result<Value, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        if !matches!(
            header.alg,
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512
        ) {
            return Err(VerifyError::UnsupportedAlgorithm);
        }
        let kid = header.kid.unwrap_or_default();
        let key = self.key(&kid).await?;
        // The crate checks the signature; the times are checked below against `now`, so they
        // follow the caller's clock (and tests can set it).
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|e| match e
            .kind()
        {
            ErrorKind::InvalidSignature => VerifyError::BadSignature,
            _ => VerifyError::Malformed,
        })?;
        let claims = data.claims;
        self.check_claims(&claims, now)?;
        Ok(claims)
    }

    fn check_claims(&self, claims: &Value, now: i64) -> Result<(), VerifyError> {
        let options = &self.options;
        let skew = options.clock_skew_seconds;
        let time = |name: &str| claims.get(name).and_then(Value::as_i64);
        let exp = time("exp").ok_or(VerifyError::Malformed)?;
        if now - skew > exp {
            return Err(VerifyError::Expired { expired_at: exp });
        }
        if [time("nbf"), time("iat")]
            .into_iter()
            .flatten()
            .any(|not_before| now + skew < not_before)
        {
            return Err(VerifyError::NotYetValid);
        }
        let issuer = claims
            .get("iss")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if issuer.trim_end_matches('/') != options.issuer {
            return Err(VerifyError::WrongIssuer);
        }
        if let Some(parties) = &options.authorized_parties {
            let azp = claims.get("azp").and_then(Value::as_str);
            if !azp.is_some_and(|azp| parties.iter().any(|party| party == azp)) {
                return Err(VerifyError::UnauthorizedParty);
            }
        }
        Ok(())
    }

    /// The key `kid`, refreshing the cached set when it is unknown or old. At most one fetch
    /// attempt per `min_refresh_interval`, counted from the last attempt (a failed one too):
    /// within it, the answer comes from the cache (a stale key beats none) or is an error —
    /// `KeysUnavailable` while no fetch ever succeeded, else `UnknownKey` — without fetching.
    async fn key(&self, kid: &str) -> Result<DecodingKey, VerifyError> {
        let keys = &self.keys;
        if let Some(key) = self.cached(kid, true).await {
            return Ok(key);
        }
        let _one_at_a_time = keys.refreshing.lock().await;
        // Another caller may have refreshed while this one waited.
        if let Some(key) = self.cached(kid, true).await {
            return Ok(key);
        }
        let recently = keys
            .cache
            .read()
            .await
            .attempted_at
            .is_some_and(|at| at.elapsed() < self.options.min_refresh_interval);
        if !recently {
            let fetched = keys.source.fetch().await;
            let mut cache = keys.cache.write().await;
            cache.attempted_at = Some(Instant::now());
            match fetched {
                Ok(set) => {
                    cache.keys = set
                        .keys
                        .iter()
                        .filter_map(|jwk| {
                            let kid = jwk.common.key_id.clone()?;
                            DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
                        })
                        .collect();
                    cache.fetched_at = cache.attempted_at;
                    cache.last_error = None;
                }
                Err(error) => {
                    tracing::warn!(%error, "could not fetch the signing keys");
                    cache.last_error = Some(error);
                }
            }
        }
        // A stale copy beats none while the instance is unreachable.
        let cache = keys.cache.read().await;
        if let Some(key) = cache.keys.get(kid) {
            return Ok(key.clone());
        }
        if cache.fetched_at.is_none() {
            return Err(VerifyError::KeysUnavailable(
                cache
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "never fetched".into()),
            ));
        }
        Err(VerifyError::UnknownKey(kid.to_string()))
    }

    async fn cached(&self, kid: &str, fresh_only: bool) -> Option<DecodingKey> {
        let cache = self.keys.cache.read().await;
        let fresh = cache
            .fetched_at
            .is_some_and(|at| at.elapsed() < self.options.max_key_age);
        if fresh_only && !fresh {
            return None;
        }
        cache.keys.get(kid).cloned()
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(feature = "axum")]
mod extract {
    use axum::{
        extract::{FromRef, FromRequestParts},
        response::{IntoResponse, Response},
        Json,
    };
    use http::{header, request::Parts, StatusCode};

    use super::{Auth, Verifier, VerifyError};

    /// Why the [`Auth`] extractor refused a request: 401 with Clerk's error body.
    #[derive(Debug)]
    pub struct Unauthorized(pub Option<VerifyError>);

    impl IntoResponse for Unauthorized {
        fn into_response(self) -> Response {
            if let Some(error) = &self.0 {
                tracing::debug!(%error, "bearer token refused");
            }
            let body = serde_json::json!({"errors": [{
                "code": "authorization_invalid",
                "message": "Unauthorized request",
                "long_message": "You are not authorized to perform this request",
                "meta": {},
            }]});
            (
                StatusCode::UNAUTHORIZED,
                [
                    (header::WWW_AUTHENTICATE, "Bearer"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                Json(body),
            )
                .into_response()
        }
    }

    /// The bearer token of a request's `Authorization` header.
    pub fn bearer_token(headers: &http::HeaderMap) -> Option<&str> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then_some(token.trim())
            .filter(|token| !token.is_empty())
    }

    /// `Authorization: Bearer <session token>` → the signed-in Auth object; anything else
    /// (no token, a refused one, a pending session) → 401.
    impl<S> FromRequestParts<S> for Auth
    where
        S: Send + Sync,
        Verifier: FromRef<S>,
    {
        type Rejection = Unauthorized;

        async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
            let token = bearer_token(&parts.headers).ok_or(Unauthorized(None))?;
            let auth = Verifier::from_ref(state)
                .authenticate(token)
                .await
                .map_err(|error| Unauthorized(Some(error)))?;
            if auth.is_signed_in() {
                Ok(auth)
            } else {
                Err(Unauthorized(None))
            }
        }
    }
}

#[cfg(feature = "axum")]
pub use extract::{bearer_token, Unauthorized};
