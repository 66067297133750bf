//! The OpenID Connect adapter behind the domain's `IdentityProviders` port, on the `openidconnect`
//! crate: discovery (lazy and cached, so a provider that is down at startup does not stop the
//! server; its button reports the error when used), authorization code + PKCE (S256) + state +
//! nonce, and the ID token verified against the provider's JWKS (signature, issuer, audience,
//! expiry, nonce). No JOSE here is written by hand.
//!
//! **Where the identity comes from.** The subject is the verified ID token's `sub`. The email,
//! `email_verified`, `given_name` and `family_name` are read from the ID token; when it lacks any
//! of them and the provider publishes a UserInfo endpoint, UserInfo is fetched with the access
//! token (OpenID Connect Core §5.4: a conforming provider gives the scope claims there and may put
//! only `sub` in the ID token) and must answer for the same `sub` (§5.3.2), or the sign-in is
//! refused. The ID token's values win; UserInfo fills only what it lacks, and `email_verified`
//! always belongs to the email it is taken with (it never vouches for another source's email).

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use openidconnect::{
    core::{CoreClient, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims},
    reqwest, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse, UserInfoError,
};
use tokio::sync::Mutex;

use crate::{
    config::{SsoConfig, SsoConnectionConfig},
    domain::{
        email::normalize_email,
        ports::{AuthorizationRequest, ExternalIdentity, IdentityProviders},
        secret::Secret,
    },
    model::{AuthError, ErrorCode},
};

/// How long a provider's discovery document (endpoints and JWKS) is reused.
const METADATA_TTL: Duration = Duration::from_secs(10 * 60);
/// Every call to a provider gives up after this long.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// The configured OpenID providers.
pub struct OidcProviders {
    connections: Vec<SsoConnectionConfig>,
    http: reqwest::Client,
    metadata: Mutex<HashMap<String, (CoreProviderMetadata, Instant)>>,
}

impl std::fmt::Debug for OidcProviders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProviders")
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

fn unavailable(context: &str, error: impl std::fmt::Display) -> AuthError {
    tracing::warn!(%error, "SSO: {context}");
    AuthError::new(ErrorCode::OauthProviderUnavailable)
}

fn token_invalid(context: &str, error: impl std::fmt::Display) -> AuthError {
    tracing::warn!(%error, "SSO: {context}");
    AuthError::new(ErrorCode::OauthTokenInvalid)
}

impl OidcProviders {
    /// The providers of `config`; nothing is fetched until a connection is used.
    pub fn new(config: &SsoConfig) -> Result<Self, String> {
        let http = reqwest::ClientBuilder::new()
            // Following redirects would let a provider point us anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| format!("sso: HTTP client: {e}"))?;
        Ok(Self {
            connections: config.connections.clone(),
            http,
            metadata: Mutex::new(HashMap::new()),
        })
    }

    fn connection(&self, key: &str) -> Result<&SsoConnectionConfig, AuthError> {
        self.connections
            .iter()
            .find(|connection| connection.key == key)
            .ok_or_else(|| AuthError::new(ErrorCode::SsoConnectionNotFound))
    }

    /// The provider's discovery document, fetched again after [`METADATA_TTL`] (or `refresh`).
    async fn metadata(
        &self,
        connection: &SsoConnectionConfig,
        refresh: bool,
    ) -> Result<CoreProviderMetadata, AuthError> {
        let mut cache = self.metadata.lock().await;
        if let Some((metadata, fetched)) = cache.get(&connection.key) {
            if !refresh && fetched.elapsed() < METADATA_TTL {
                return Ok(metadata.clone());
            }
        }
        let issuer =
            IssuerUrl::new(connection.issuer.clone()).map_err(|e| unavailable("issuer URL", e))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| unavailable("discovery failed", e))?;
        cache.insert(connection.key.clone(), (metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    fn client(
        connection: &SsoConnectionConfig,
        metadata: CoreProviderMetadata,
        redirect_uri: &str,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        AuthError,
    > {
        let redirect = RedirectUrl::new(redirect_uri.to_string())
            .map_err(|e| unavailable("redirect URI", e))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(connection.client_id.clone()),
            Some(ClientSecret::new(connection.client_secret.expose().clone())),
        )
        .set_redirect_uri(redirect))
    }
}

/// A failed UserInfo request: the provider down or failing, or an answer that is refused (another
/// `sub`, our access token refused, unreadable).
fn user_info_failed<E: std::error::Error + 'static>(error: UserInfoError<E>) -> AuthError {
    match error {
        UserInfoError::Request(_) => unavailable("UserInfo unreachable", error),
        UserInfoError::Response(status, ..) if status.is_server_error() => {
            unavailable("UserInfo failed", error)
        }
        error => token_invalid("UserInfo refused", error),
    }
}

/// The claims read besides `sub`, from the ID token or UserInfo.
struct Profile {
    email: Option<String>,
    email_verified: Option<bool>,
    given_name: Option<String>,
    family_name: Option<String>,
}

/// The [`Profile`] of ID token or UserInfo claims (the crate gives both the same getters, without
/// a common trait). Names pass through [`clean_name`].
macro_rules! profile {
    ($claims:expr) => {
        Profile {
            email: $claims.email().map(|email| email.as_str().to_string()),
            email_verified: $claims.email_verified(),
            given_name: $claims
                .given_name()
                .and_then(|claim| claim.get(None))
                .and_then(|value| clean_name(value.as_str())),
            family_name: $claims
                .family_name()
                .and_then(|claim| claim.get(None))
                .and_then(|value| clean_name(value.as_str())),
        }
    };
}

impl Profile {
    fn is_complete(&self) -> bool {
        self.email.is_some()
            && self.email_verified.is_some()
            && self.given_name.is_some()
            && self.family_name.is_some()
    }

    /// These values, with `other`'s where these lack one. The email and its `email_verified` go
    /// together: `other`'s flag is only used for the same email.
    fn or(self, other: Profile) -> Profile {
        let (email, email_verified) = match (self.email, other.email) {
            (Some(mine), Some(theirs)) if mine.eq_ignore_ascii_case(&theirs) => {
                (Some(mine), self.email_verified.or(other.email_verified))
            }
            (Some(mine), _) => (Some(mine), self.email_verified),
            (None, theirs) => (theirs, other.email_verified),
        };
        Profile {
            email,
            email_verified,
            given_name: self.given_name.or(other.given_name),
            family_name: self.family_name.or(other.family_name),
        }
    }
}

#[async_trait]
impl IdentityProviders for OidcProviders {
    async fn authorization_request(
        &self,
        connection: &str,
        redirect_uri: &str,
        login_hint: Option<&str>,
    ) -> Result<AuthorizationRequest, AuthError> {
        let connection = self.connection(connection)?;
        let client = Self::client(
            connection,
            self.metadata(connection, false).await?,
            redirect_uri,
        )?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in connection.scopes.iter().filter(|scope| *scope != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint.to_string());
        }
        let (url, state, nonce) = request.url();
        Ok(AuthorizationRequest {
            url: url.to_string(),
            state: Secret::new(state.secret().clone()),
            nonce: Secret::new(nonce.secret().clone()),
            pkce_verifier: Secret::new(verifier.secret().clone()),
        })
    }

    async fn exchange_code(
        &self,
        connection: &str,
        redirect_uri: &str,
        code: &str,
        pkce_verifier: &Secret<String>,
        nonce: &Secret<String>,
    ) -> Result<ExternalIdentity, AuthError> {
        let connection = self.connection(connection)?;
        let metadata = self.metadata(connection, false).await?;
        let client = Self::client(connection, metadata, redirect_uri)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| unavailable("no token endpoint", e))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.expose().clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| token_invalid("code exchange refused", e))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| token_invalid("token response", "no ID token"))?;
        let nonce = Nonce::new(nonce.expose().clone());
        let verifier = client.id_token_verifier();
        let claims = match id_token.claims(&verifier, &nonce) {
            Ok(claims) => claims.clone(),
            Err(first) => {
                // The provider may have rotated its keys since discovery: fetch them once more.
                let client = Self::client(
                    connection,
                    self.metadata(connection, true).await?,
                    redirect_uri,
                )?;
                let verifier = client.id_token_verifier();
                id_token
                    .claims(&verifier, &nonce)
                    .map_err(|e| {
                        token_invalid("ID token refused", format!("{first}; after refresh: {e}"))
                    })?
                    .clone()
            }
        };
        let subject = claims.subject().clone();
        let mut profile = profile!(claims);
        if !profile.is_complete() {
            // `user_info` is `Err` when the provider publishes no UserInfo endpoint: then the ID
            // token is all there is.
            if let Ok(request) =
                client.user_info(response.access_token().clone(), Some(subject.clone()))
            {
                let info: CoreUserInfoClaims = request
                    .request_async(&self.http)
                    .await
                    .map_err(user_info_failed)?;
                profile = profile.or(profile!(info));
            }
        }
        let email = profile
            .email
            .map(|email| normalize_email(&email, "email_address"))
            .transpose()
            .map_err(|e| token_invalid("email claim", e))?;
        Ok(ExternalIdentity {
            provider: connection.key.clone(),
            subject: subject.as_str().to_string(),
            email,
            email_verified: profile.email_verified.unwrap_or(false),
            first_name: profile.given_name,
            last_name: profile.family_name,
        })
    }
}

/// A name claim as a user's name: trimmed, dropped when empty, too long or carrying control
/// characters (the provider is not trusted to follow our field rules).
fn clean_name(value: &str) -> Option<String> {
    let value = value.trim();
    let acceptable = !value.is_empty()
        && value.chars().count() <= crate::model::limits::NAME_MAX_CHARS
        && !value.chars().any(char::is_control);
    acceptable.then(|| value.to_string())
}
