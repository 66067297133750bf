//! Session tokens: the claims of Clerk's v2 session token, built from a resolved session as a
//! pure function of the snapshot and the time; RS256 signing with keys kept in the database
//! (made at first start, rotated with `gatehouse keys rotate`), and the public keys as a JWKS.

use jsonwebtoken::{
    jwk::{
        AlgorithmParameters, CommonParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
        RSAKeyParameters, RSAKeyType,
    },
    Algorithm, EncodingKey, Header,
};
use serde::Serialize;

use super::{
    ports::{SigningKeyRow, Storage},
    secret::Secret,
    Timestamp,
};
use crate::model::{AuthError, AuthSnapshot, ErrorCode, FactorAges, SessionStatus};

/// Clerk's token version.
pub const TOKEN_VERSION: u8 = 2;
/// `nbf` lies this far before `iat`, so a verifier whose clock runs a little behind accepts a
/// fresh token.
pub const NOT_BEFORE_LEEWAY_SECONDS: i64 = 10;

/// The active organization in a token (`o`): id, slug, role without the `org:` prefix, and the
/// custom permissions as Clerk encodes them — `per` the distinct actions, `fpm` one bitmask per
/// feature of the top-level `fea` (bit 0 = the first action of `per`). System permissions
/// (`org:sys_…`) are never in the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrgClaims {
    /// Organization id.
    pub id: String,
    /// Slug.
    pub slg: String,
    /// Role, e.g. `admin`.
    pub rol: String,
    /// Distinct permission actions, comma-separated (`read,manage`).
    pub per: String,
    /// Per feature of `fea`, the bitmask of its actions in `per` (`3,1`).
    pub fpm: String,
}

/// The claims of a session token (Clerk v2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionClaims {
    /// The instance's public URL.
    pub iss: String,
    /// The user id.
    pub sub: String,
    /// The session id.
    pub sid: String,
    /// `pending`, only for a pending session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sts: Option<&'static str>,
    /// The origin that asked for the token, when it is the instance's or an authorized party.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Minutes since each factor was verified (`[first, second]`, `-1` = never / not enabled).
    pub fva: FactorAges,
    /// The active organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub o: Option<OrgClaims>,
    /// The organization's features, `o:<feature>` comma-separated (what `o.fpm` indexes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fea: Option<String>,
    /// Expiry.
    pub exp: Timestamp,
    /// Issued at.
    pub iat: Timestamp,
    /// Not before.
    pub nbf: Timestamp,
    /// Token id.
    pub jti: String,
    /// `2`.
    pub v: u8,
}

/// What a token is issued for, besides the session.
#[derive(Clone, Debug)]
pub struct TokenRequest<'a> {
    /// The instance's public URL (`iss`).
    pub issuer: &'a str,
    /// The allowed requesting origin (`azp`; see [`authorized_party`]).
    pub authorized_party: Option<&'a str>,
    /// Lifetime in seconds (`tokens.lifetime_seconds`).
    pub lifetime_seconds: i64,
    /// A fresh random token id (`jti`).
    pub token_id: String,
}

/// The claims for the snapshot's session at `now`; `None` when there is no session (a pending
/// session gets a token, marked `sts: pending`, as in Clerk).
pub fn session_claims(
    snapshot: &AuthSnapshot,
    request: TokenRequest<'_>,
    now: Timestamp,
) -> Option<SessionClaims> {
    let (session_id, user) = (snapshot.session_id.as_ref()?, snapshot.user.as_ref()?);
    let (o, fea) = match (&snapshot.org_id, &snapshot.org_slug, &snapshot.org_role) {
        (Some(id), Some(slug), Some(role)) => {
            let (fea, per, fpm) = encode_permissions(&snapshot.org_permissions);
            let claims = OrgClaims {
                id: id.as_str().to_string(),
                slg: slug.clone(),
                rol: role.strip_prefix("org:").unwrap_or(role).to_string(),
                per,
                fpm,
            };
            (Some(claims), Some(fea).filter(|fea| !fea.is_empty()))
        }
        _ => (None, None),
    };
    Some(SessionClaims {
        iss: request.issuer.trim_end_matches('/').to_string(),
        sub: user.id.as_str().to_string(),
        sid: session_id.as_str().to_string(),
        sts: (snapshot.session_status == Some(SessionStatus::Pending)).then_some("pending"),
        azp: request.authorized_party.map(str::to_string),
        fva: snapshot
            .factor_verification_age
            .unwrap_or(FactorAges::NEVER),
        o,
        fea,
        exp: now + request.lifetime_seconds,
        iat: now,
        nbf: now - NOT_BEFORE_LEEWAY_SECONDS,
        jti: request.token_id,
        v: TOKEN_VERSION,
    })
}

/// Clerk's permission encoding: (`fea`, `per`, `fpm`) from `org:<feature>:<action>` strings,
/// in the order they first appear; system permissions (`org:sys_…`) are left out.
pub fn encode_permissions(permissions: &[String]) -> (String, String, String) {
    let mut features: Vec<(&str, u64)> = Vec::new();
    let mut actions: Vec<&str> = Vec::new();
    for permission in permissions {
        let Some((feature, action)) = permission
            .strip_prefix("org:")
            .and_then(|rest| rest.split_once(':'))
        else {
            continue;
        };
        if feature.starts_with("sys_") {
            continue;
        }
        let bit = match actions.iter().position(|known| *known == action) {
            Some(index) => index,
            None => {
                actions.push(action);
                actions.len() - 1
            }
        };
        // More than 64 distinct actions cannot be encoded; such a permission is left out.
        let Some(mask) = 1u64.checked_shl(u32::try_from(bit).unwrap_or(u32::MAX)) else {
            continue;
        };
        match features.iter_mut().find(|(known, _)| *known == feature) {
            Some((_, bits)) => *bits |= mask,
            None => features.push((feature, mask)),
        }
    }
    let fea = features
        .iter()
        .map(|(feature, _)| format!("o:{feature}"))
        .collect::<Vec<_>>()
        .join(",");
    let fpm = features
        .iter()
        .map(|(_, bits)| bits.to_string())
        .collect::<Vec<_>>()
        .join(",");
    (fea, actions.join(","), fpm)
}

/// How long a replaced signing key stays published after `gatehouse keys rotate`: far longer
/// than a token lives or a verifier caches the JWKS.
pub const ROTATION_GRACE_SECONDS: i64 = 24 * 3600;
/// RSA modulus size of the signing keys.
const RSA_BITS: usize = 2048;

/// A new RS256 signing key made at `now` (2048-bit RSA; the id is random).
pub fn generate_signing_key(now: Timestamp) -> Result<SigningKeyRow, AuthError> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use rsa::{pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts};

    let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS)
        .map_err(|e| super::internal("signing key generation failed", e))?;
    let der = private
        .to_pkcs1_der()
        .map_err(|e| super::internal("signing key encoding failed", e))?;
    Ok(SigningKeyRow {
        kid: super::ids::new_row_id("ins"),
        private_key: Secret::new(der.as_bytes().to_vec()),
        modulus: URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
        exponent: URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        created_at: now,
        retired_at: None,
    })
}

/// Makes the first signing key when there is none (at startup); of two racing instances, one
/// key wins and both use it.
pub async fn ensure_signing_key(store: &dyn Storage, now: Timestamp) -> Result<(), AuthError> {
    let keys = store.published_signing_keys(now).await?;
    if keys.iter().any(|key| key.retired_at.is_none()) {
        return Ok(());
    }
    let key = generate_signing_key(now)?;
    if store.add_first_signing_key(&key).await? {
        tracing::info!(kid = %key.kid, "session-token signing key created");
    }
    Ok(())
}

/// `gatehouse keys rotate`: a new signing key from now on; the replaced ones stay published for
/// `grace_seconds`, so tokens they signed keep verifying until they expire. Returns the new id.
pub async fn rotate_signing_key(
    store: &dyn Storage,
    grace_seconds: i64,
    now: Timestamp,
) -> Result<String, AuthError> {
    let key = generate_signing_key(now)?;
    store
        .rotate_signing_key(&key, now + grace_seconds.max(0), now)
        .await?;
    tracing::info!(kid = %key.kid, "session-token signing key rotated");
    Ok(key.kid)
}

/// The public keys to verify tokens with (`/.well-known/jwks.json`): the signing key and the
/// replaced ones still in their grace period.
pub async fn jwks(store: &dyn Storage, now: Timestamp) -> Result<JwkSet, AuthError> {
    let keys = store.published_signing_keys(now).await?;
    Ok(JwkSet {
        keys: keys.iter().map(public_jwk).collect(),
    })
}

fn public_jwk(key: &SigningKeyRow) -> Jwk {
    Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(KeyAlgorithm::RS256),
            key_id: Some(key.kid.clone()),
            ..CommonParameters::default()
        },
        algorithm: AlgorithmParameters::RSA(RSAKeyParameters {
            key_type: RSAKeyType::RSA,
            n: key.modulus.clone(),
            e: key.exponent.clone(),
        }),
    }
}

/// Signs `claims` (RS256) with the current signing key, making one if there is none.
pub async fn sign<T: Serialize + Sync>(
    store: &dyn Storage,
    claims: &T,
    now: Timestamp,
) -> Result<String, AuthError> {
    let mut keys = store.published_signing_keys(now).await?;
    if !keys.iter().any(|key| key.retired_at.is_none()) {
        ensure_signing_key(store, now).await?;
        keys = store.published_signing_keys(now).await?;
    }
    let key = keys
        .iter()
        .find(|key| key.retired_at.is_none())
        .ok_or_else(AuthError::internal)?;
    let header = Header {
        kid: Some(key.kid.clone()),
        ..Header::new(Algorithm::RS256)
    };
    let encoding = EncodingKey::from_rsa_der(key.private_key.expose());
    jsonwebtoken::encode(&header, claims, &encoding)
        .map_err(|e| super::internal("session token signing failed", e))
}

/// A signed token and its lifetime (the browser caches it until shortly before it ends).
#[derive(Clone, Debug)]
pub struct IssuedToken {
    /// The JWT (RS256).
    pub jwt: String,
    /// Seconds it stays valid from issue.
    pub lifetime_seconds: i64,
}

pub use super::token_template::TEMPLATE_CLAIM;

/// The `azp` of a token asked for from `origin` (the request's `Origin` header): the instance's
/// own origin or one of `instance.authorized_parties` — compared as the origin check compares
/// them, case-insensitively and without a trailing slash — spelled as configured. Any other
/// origin (the request's own `Host` included, which the caller chooses) gives no `azp`.
pub fn authorized_party(config: &crate::config::Config, origin: &str) -> Option<String> {
    let origin = origin.trim_end_matches('/');
    if origin.is_empty() {
        return None;
    }
    let instance = &config.instance;
    std::iter::once(instance.origin())
        .chain(instance.authorized_parties.iter().cloned())
        .map(|party| party.trim_end_matches('/').to_string())
        .find(|party| party.eq_ignore_ascii_case(origin))
}

/// `get_token()` / `get_token_with(template)`: a token for the snapshot's session, `None`
/// without a session (a pending session gets one marked `sts: pending`). `origin` is the
/// requesting origin; it becomes `azp` only when it is an allowed one ([`authorized_party`]).
/// A template's token carries its rendered claims, the standard ones and `tpl` (the template's
/// name), never `sid`; an unknown template is `resource_not_found` on `template`.
pub async fn issue(
    store: &dyn Storage,
    config: &crate::config::Config,
    snapshot: &AuthSnapshot,
    template: Option<&str>,
    origin: Option<&str>,
    now: Timestamp,
) -> Result<Option<IssuedToken>, AuthError> {
    let template =
        match template {
            Some(name) => Some((
                name,
                config.tokens.templates.get(name).ok_or_else(|| {
                    AuthError::new(ErrorCode::ResourceNotFound).for_param("template")
                })?,
            )),
            None => None,
        };
    let azp = origin.and_then(|origin| authorized_party(config, origin));
    let lifetime_seconds = template
        .and_then(|(_, template)| template.lifetime_seconds)
        .unwrap_or(config.tokens.lifetime_seconds);
    let request = TokenRequest {
        issuer: &config.instance.public_url,
        authorized_party: azp.as_deref(),
        lifetime_seconds,
        token_id: super::ids::new_row_id("jti"),
    };
    let Some(claims) = session_claims(snapshot, request, now) else {
        return Ok(None);
    };
    let jwt = match template {
        None => sign(store, &claims, now).await?,
        Some((name, template)) => {
            let mut rendered = super::token_template::render(&template.claims, snapshot);
            let standard = serde_json::json!({
                "iss": claims.iss, "sub": claims.sub, "azp": claims.azp,
                "exp": claims.exp, "iat": claims.iat, "nbf": claims.nbf, "jti": claims.jti,
                TEMPLATE_CLAIM: name,
            });
            if let serde_json::Value::Object(standard) = standard {
                rendered.extend(standard.into_iter().filter(|(_, value)| !value.is_null()));
            }
            sign(store, &rendered, now).await?
        }
    };
    Ok(Some(IssuedToken {
        jwt,
        lifetime_seconds,
    }))
}
