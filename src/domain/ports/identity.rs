//! The identity-providers port: OpenID Connect providers (the `oidc` adapter implements it).

use async_trait::async_trait;

use super::external_accounts::ExternalIdentity;

use crate::domain::secret::Secret;
use crate::model::AuthError;

/// The result of starting an authorization request at a provider.
#[derive(Debug)]
pub struct AuthorizationRequest {
    /// Where to send the browser.
    pub url: String,
    /// The `state` parameter (kept hashed in the attempt).
    pub state: Secret<String>,
    /// The `nonce` the ID token must carry.
    pub nonce: Secret<String>,
    /// The PKCE verifier (its S256 challenge is in the URL).
    pub pkce_verifier: Secret<String>,
}

/// The OpenID providers of the `[[sso.connections]]` (the OIDC adapter in the server; fakes in
/// tests).
#[async_trait]
pub trait IdentityProviders: Send + Sync {
    /// An authorization request (code flow, PKCE S256, fresh state and nonce) to `connection`,
    /// returning to `redirect_uri`; `login_hint` pre-fills the provider's login (enterprise).
    async fn authorization_request(
        &self,
        connection: &str,
        redirect_uri: &str,
        login_hint: Option<&str>,
    ) -> Result<AuthorizationRequest, AuthError>;
    /// Exchanges `code` (with the PKCE verifier) and verifies the ID token: signature against
    /// the provider's JWKS, issuer, audience, expiry and `nonce`.
    async fn exchange_code(
        &self,
        connection: &str,
        redirect_uri: &str,
        code: &str,
        pkce_verifier: &Secret<String>,
        nonce: &Secret<String>,
    ) -> Result<ExternalIdentity, AuthError>;
}
