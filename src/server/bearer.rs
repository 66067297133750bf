//! `Authorization: Bearer <session token>`: requests from other services (or scripts) carry a
//! session token instead of the browser's cookie. The token is checked with the same verifier
//! other Rust services use, keys read from this instance's database; then its session is
//! resolved, so in-process a revoked session's token stops working at once.
//!
//! A session token is a credential given to other services, not a key to the kit itself: it is
//! refused ([`accepted_at`]) on the kit's own endpoints under `/api/auth/` — token minting, the
//! account, every flow and organization change — so a leaked 60-second token cannot mint fresh
//! tokens for the rest of the session, read the account or change its security.

use std::sync::Arc;

use gatehouse_verifier::{JwkSet, KeySource, Verifier};

use crate::{
    config::Config,
    domain::{self, ports::Storage, Timestamp},
    model::{AuthError, AuthSnapshot, SessionId, UserId},
};

/// Where the kit's own endpoints (its server functions) live.
pub const KIT_ENDPOINTS: &str = "/api/auth/";

/// Whether a bearer token may stand for the session at `path`: the app's own routes, `/api/*`
/// read endpoints and the app's server functions, never the kit's own `/api/auth/*`.
pub fn accepted_at(path: &str) -> bool {
    !path.starts_with(KIT_ENDPOINTS)
}

/// The instance's published keys, read from its own database (no HTTP round trip).
struct StoreKeys(Arc<dyn Storage>);

#[async_trait::async_trait]
impl KeySource for StoreKeys {
    async fn fetch(&self) -> Result<JwkSet, String> {
        domain::jwt::jwks(self.0.as_ref(), domain::now())
            .await
            .map_err(|error| error.to_string())
    }
}

/// The instance's own verifier: tokens of `instance.public_url`, keys from `store`. `azp` is not
/// checked here: it only ever names the instance itself or one of its `authorized_parties`.
pub fn instance_verifier(store: Arc<dyn Storage>, config: &Config) -> Verifier {
    Verifier::new(config.instance.public_url.clone(), StoreKeys(store))
}

/// The auth state a bearer token gives: its session as it is now, or signed out when the token
/// is refused (the reason is logged at debug level) or its session has ended.
pub async fn resolve(
    verifier: &Verifier,
    store: &dyn Storage,
    config: &Config,
    token: &str,
    now: Timestamp,
) -> Result<AuthSnapshot, AuthError> {
    let claims = match verifier.verify_at(token, now).await {
        Ok(claims) => claims,
        Err(error) => {
            tracing::debug!(%error, "bearer token refused");
            return Ok(AuthSnapshot::signed_out());
        }
    };
    domain::session::resolve_session(
        store,
        config,
        &SessionId::new(claims.sid),
        &UserId::new(claims.sub),
        now,
    )
    .await
}
