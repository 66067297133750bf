//! Axum integration: the layer that resolves the client cookie into `Auth` once per request,
//! route protection (exact-task redirects), the origin check, the cookie builder, `/api/me`,
//! `/healthz`, and `auth()` / `current_user()` for server functions.

pub mod bearer;
pub mod call;
pub mod cookies;
pub mod form_values;
pub mod functions;
pub mod host;
pub mod invitations;
pub mod organizations;
pub mod origin;
pub mod outcome;
pub mod page;
pub mod protect;
pub mod rate_limit;
pub mod sso;

use axum::{
    body::Body,
    extract::{DefaultBodyLimit, FromRef, Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use http::{header, HeaderValue, StatusCode};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

pub use protect::{ProtectKind, ProtectRule, RouteRules};

/// The largest request body the server reads (forms and server-function calls).
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

use crate::{
    domain::{self, session::ResolvedClient, Gatehouse},
    model::{Auth, AuthSnapshot, ClientId, GatehouseError, UserSummary},
};
use cookies::ClientCookie;

/// Shared state of the axum app.
#[derive(Clone)]
pub struct AppState {
    /// The auth core.
    pub gatehouse: Gatehouse,
    /// Leptos' options (site root, output name).
    pub leptos_options: LeptosOptions,
    /// Route protection and organization sync.
    pub rules: std::sync::Arc<RouteRules>,
    /// Checks bearer session tokens against this instance's keys.
    pub tokens: gatehouse_verifier::Verifier,
}

impl AppState {
    /// The state for `gatehouse`, its Leptos options and route rules.
    pub fn new(gatehouse: Gatehouse, leptos_options: LeptosOptions, rules: RouteRules) -> Self {
        let tokens = bearer::instance_verifier(gatehouse.store.clone(), &gatehouse.config);
        Self {
            gatehouse,
            leptos_options,
            rules: std::sync::Arc::new(rules),
            tokens,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Routes of the app may take `gatehouse_verifier::Auth` (a bearer token's Auth object,
/// checked without the database) as an extractor.
impl FromRef<AppState> for gatehouse_verifier::Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.tokens.clone()
    }
}

/// What the auth layer resolved for this request; in the request extensions.
#[derive(Clone, Debug, Default)]
pub struct RequestAuth {
    /// The browser's client, when its cookie is valid.
    pub client_id: Option<ClientId>,
    /// The auth state, before `treat_pending_as_signed_out`.
    pub snapshot: AuthSnapshot,
}

impl From<ResolvedClient> for RequestAuth {
    fn from(resolved: ResolvedClient) -> Self {
        Self {
            client_id: resolved.client_id,
            snapshot: resolved.snapshot,
        }
    }
}

/// Clerk's error envelope as an HTTP response with the code's status.
pub fn error_response(error: GatehouseError) -> (StatusCode, Json<GatehouseError>) {
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(error))
}

/// Where the session tokens' public keys are published (SPEC §3.1).
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// `/.well-known/jwks.json`: the signing key and the replaced ones still in their grace period.
/// Verifiers may cache it for five minutes (a rotated key is published a day, far longer).
async fn jwks(State(state): State<AppState>) -> Response {
    match crate::domain::jwt::jwks(state.gatehouse.store.as_ref(), domain::now()).await {
        Ok(set) => (
            [(
                header::CACHE_CONTROL,
                "public, max-age=300, must-revalidate",
            )],
            Json(set),
        )
            .into_response(),
        Err(error) => error_response(error.into()).into_response(),
    }
}

/// `GET /healthz`: 200 `{"status":"ok","database":"up"}` while the database answers, else 503
/// with `"database":"down"` (a load balancer takes the instance out until it recovers).
async fn health(State(state): State<AppState>) -> Response {
    match state.gatehouse.store.check_health().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok", "database": "up" })).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "unavailable", "database": "down" })),
        )
            .into_response(),
    }
}

/// Whether the request is a browser's page load or plain form post.
fn accepts_html(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// A page request that could not be answered (the database down): a plain page in the words
/// of the error's code, with its status, asking the browser to come back shortly.
fn error_page(error: crate::model::AuthError) -> Response {
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (title, text) = (
        html_escape::encode_text(&error.message),
        html_escape::encode_text(&error.long_message),
    );
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body><main><h1>{title}</h1><p role=\"alert\">{text}</p></main></body></html>"
    );
    let mut response = (status, axum::response::Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}

/// Builds the app: Leptos routes (with the core in context for server functions), `/healthz`,
/// `/api/me`, and the layers (origin check → auth resolution → protection).
pub fn router<IV, SV>(state: AppState, app: fn() -> IV, shell: fn(LeptosOptions) -> SV) -> Router
where
    IV: IntoView + 'static,
    SV: IntoView + 'static,
{
    router_with(state, app, shell, Router::new())
}

/// [`router`] with the app's own axum routes (an API), behind the same layers: `auth()` works
/// in them through [`request_auth`]'s extension ([`RequestAuth`]), route rules apply, and they
/// accept the cookie or a bearer token.
pub fn router_with<IV, SV>(
    state: AppState,
    app: fn() -> IV,
    shell: fn(LeptosOptions) -> SV,
    app_routes: Router<AppState>,
) -> Router
where
    IV: IntoView + 'static,
    SV: IntoView + 'static,
{
    let routes = generate_route_list(app);
    let gatehouse = state.gatehouse.clone();
    let options = state.leptos_options.clone();
    // Built assets, with the `.br` / `.gz` files a release build (`--precompress`) writes
    // beside them served as they are, instead of compressing the wasm on every request.
    let pkg_dir =
        std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let assets = tower_http::services::ServeDir::new(pkg_dir)
        .precompressed_br()
        .precompressed_gzip();
    // Middleware state is cloned for every request: share one copy behind an `Arc` (cloning
    // the core and Leptos' options four times a request cost about a tenth of a page's CPU).
    let shared = std::sync::Arc::new(state.clone());
    let app = Router::new()
        .nest_service(&format!("/{}", options.site_pkg_dir), assets)
        .route("/healthz", get(health))
        .route(JWKS_PATH, get(jwks))
        .route("/api/me", get(me))
        .route(
            crate::model::instance::PASSKEY_SCRIPT_PATH,
            get(passkey_script),
        )
        .route("/sso/callback/{connection}", get(sso::callback))
        .route(
            domain::invitation::ACCEPT_PATH,
            get(invitations::accept_page),
        )
        .merge(app_routes)
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(gatehouse.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(server_fn_status))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            form_values::keep_refused_values,
        ))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            protect::protect,
        ))
        .layer(middleware::from_fn_with_state(shared.clone(), resolve_auth))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            rate_limit::limit,
        ))
        .layer(middleware::from_fn_with_state(shared, origin::check_origin))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let instance = state.gatehouse.config.instance.clone();
    // Brotli or gzip, as the browser asks (tower-http's brotli level 4, as NGINX does on the
    // fly); the security headers are set before, so compression leaves them alone.
    with_security_headers(app.with_state(state), &instance)
        .layer(tower_http::compression::CompressionLayer::new())
}

/// The headers every response carries (SPEC §4): no framing, no MIME sniffing, a strict
/// referrer policy, and HSTS when the instance is served over https.
fn with_security_headers(app: Router, instance: &crate::config::InstanceConfig) -> Router {
    use tower_http::set_header::SetResponseHeaderLayer;
    let hsts = instance
        .public_url
        .starts_with("https://")
        .then(|| HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    app.layer(SetResponseHeaderLayer::overriding(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::STRICT_TRANSPORT_SECURITY,
        hsts,
    ))
}

/// Whether a response must not be stored by caches: auth pages, the API, and every page served
/// to a browser holding a session.
fn must_not_store(path: &str, instance: &crate::config::InstanceConfig, has_session: bool) -> bool {
    has_session
        || path.starts_with("/api/")
        || path.starts_with(&instance.sign_in_url)
        || path.starts_with(&instance.sign_up_url)
}

/// How long browsers keep a static asset: a year, never revalidated, when its name carries its
/// content hash (`hash-files`); otherwise revalidated on every use (Last-Modified → 304).
fn asset_cache_control(hashed_names: bool) -> HeaderValue {
    if hashed_names {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("no-cache")
    }
}

/// The browser a request comes from: its user agent, and its IP (the peer, or
/// `X-Forwarded-For` from a trusted proxy).
pub fn request_device(
    headers: &http::HeaderMap,
    extensions: &http::Extensions,
    config: &crate::config::Config,
) -> domain::notices::Device {
    let peer = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    domain::notices::Device {
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string),
        ip_address: rate_limit::client_ip(peer, headers, &config.trusted_proxies.addresses)
            .map(|ip| ip.to_string()),
    }
}

/// Records the browser's user agent and IP for "Active devices" in the background (at most once
/// a minute per browser; a failure is logged and never fails the request).
fn record_activity(
    state: &AppState,
    request: &Request,
    resolved: &ResolvedClient,
    now: domain::Timestamp,
) {
    let Some(client_id) = resolved
        .client_id
        .clone()
        .filter(|_| domain::session::activity_due(resolved, now))
    else {
        return;
    };
    let device = request_device(
        request.headers(),
        request.extensions(),
        &state.gatehouse.config,
    );
    let activity = domain::ports::ClientActivity {
        user_agent: device.user_agent,
        ip_address: device.ip_address,
    };
    let store = state.gatehouse.store.clone();
    tokio::spawn(async move {
        let recorded =
            domain::session::record_activity(store.as_ref(), &client_id, activity, now).await;
        if let Err(error) = recorded {
            tracing::warn!(%error, "could not record the browser's activity");
        }
    });
}

/// Middleware: resolves the client cookie into `RequestAuth` once per request. Static assets
/// under the site's pkg directory and the health check skip the query (they never depend on
/// who asks); assets get their cache policy here. Pages without a session are revalidated
/// (`no-cache`); with one, or on auth routes, never stored.
async fn resolve_auth(
    State(state): State<std::sync::Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let pkg_dir = &state.leptos_options.site_pkg_dir;
    let is_asset = request
        .uri()
        .path()
        .strip_prefix('/')
        .and_then(|path| path.strip_prefix(pkg_dir.as_ref()))
        .is_some_and(|rest| rest.starts_with('/'));
    if is_asset {
        let mut response = next.run(request).await;
        if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                asset_cache_control(state.leptos_options.hash_files),
            );
        }
        return response;
    }
    if matches!(request.uri().path(), "/healthz" | JWKS_PATH) {
        return next.run(request).await;
    }
    let config = &state.gatehouse.config;
    let now = domain::now();
    // A bearer token stands for the cookie (Clerk reads the header first): another service's
    // call, never a browser's page.
    if let Some(token) = gatehouse_verifier::bearer_token(request.headers()) {
        if !bearer::accepted_at(request.uri().path()) {
            let refused = crate::model::AuthError::new(crate::model::ErrorCode::BearerNotAccepted);
            return error_response(refused.into()).into_response();
        }
        let store = state.gatehouse.store.as_ref();
        return match bearer::resolve(&state.tokens, store, config, token, now).await {
            Ok(snapshot) => {
                request.extensions_mut().insert(RequestAuth {
                    client_id: None,
                    snapshot,
                });
                let mut response = next.run(request).await;
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Err(error) => error_response(error.into()).into_response(),
        };
    }
    // Decided before the request moves on, so the path need not be copied.
    let auth_route = must_not_store(request.uri().path(), &config.instance, false);
    let token = ClientCookie::for_instance(&config.instance).read(request.headers());
    match domain::session::resolve(state.gatehouse.store.as_ref(), config, token.as_ref(), now)
        .await
    {
        Ok(resolved) => {
            let has_session = resolved.snapshot.session_id.is_some();
            record_activity(&state, &request, &resolved, now);
            request.extensions_mut().insert(RequestAuth::from(resolved));
            let mut response = next.run(request).await;
            let headers = response.headers_mut();
            if auth_route || has_session {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            } else {
                headers
                    .entry(header::CACHE_CONTROL)
                    .or_insert(HeaderValue::from_static("no-cache"));
            }
            response
        }
        Err(error) if accepts_html(request.headers()) => error_page(error),
        Err(error) => error_response(error.into()).into_response(),
    }
}

/// Middleware: server functions answer errors with 500 by default; give Clerk's status instead
/// (422 for form errors, 403 for `user_locked`, …). Form posts (302 back) are left alone.
async fn server_fn_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<GatehouseError>(&bytes) {
        tracing::debug!(%error, "server function refused");
        parts.status = StatusCode::from_u16(error.http_status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The browser's half of passkeys (`ui/passkeys.js`): a few lines around
/// `navigator.credentials` for the kit's forms and hooks, loaded only by pages that offer them.
async fn passkey_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../ui/passkeys.js"),
    )
        .into_response()
}

/// `GET /api/me`: the Auth object (200), or 401 with Clerk's envelope when signed out or
/// pending. `?treat_pending_as_signed_out=false` counts pending as signed in.
async fn me(request: Request) -> Response {
    let treat_pending_as_signed_out = !request.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair == "treat_pending_as_signed_out=false")
    });
    let snapshot = request
        .extensions()
        .get::<RequestAuth>()
        .map(|auth| auth.snapshot.clone())
        .unwrap_or_default();
    let auth = snapshot.auth(treat_pending_as_signed_out);
    if !auth.is_signed_in() {
        return error_response(crate::model::AuthError::unauthorized().into()).into_response();
    }
    let mut response = Json(Auth { user: None, ..auth }).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The current request's resolved auth, inside a server function or during SSR.
pub fn request_auth() -> RequestAuth {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestAuth>().cloned())
        .unwrap_or_default()
}

/// For any server function (the kit's or an app's): `Err` with `session_reverification_required`
/// — answered as HTTP 403 with Clerk's body
/// `{"clerk_error":{"type":"forbidden","reason":"reverification-error","metadata":{"reverification":…}}}`
/// — unless the request's session verified its factors recently enough for `reverification`
/// (`unauthorized` when signed out or pending). `use_reverification` in the browser answers
/// that 403 with its prompt and retries the call.
pub fn require_reverification(
    reverification: crate::model::Reverification,
) -> Result<(), crate::model::GatehouseError> {
    let holder = domain::account::AccountHolder::of(&request_auth().snapshot)?;
    domain::account::require_reverification(&holder, reverification)?;
    Ok(())
}

/// `auth()` for server functions: the Auth object with pending treated as signed out.
pub fn auth() -> Auth {
    auth_with(true)
}

/// `auth()` with an explicit `treat_pending_as_signed_out`.
pub fn auth_with(treat_pending_as_signed_out: bool) -> Auth {
    request_auth().snapshot.auth(treat_pending_as_signed_out)
}

/// The signed-in user (pending counts as signed out).
pub fn current_user() -> Option<UserSummary> {
    auth().user
}

/// Issues a token for the request's session (`template`: a `[tokens.templates.<name>]`); `None`
/// without a session. The request's `Origin` becomes `azp` only when it is the instance's own
/// origin or an authorized party (`domain::jwt::authorized_party`): the origin check also lets
/// an `Origin` equal to the request's own `Host` through, and the caller chooses that one.
pub async fn issue_token(
    template: Option<&str>,
) -> Result<Option<domain::jwt::IssuedToken>, GatehouseError> {
    let gatehouse = use_context::<Gatehouse>().ok_or_else(|| {
        tracing::error!("Gatehouse is not in the request context");
        GatehouseError::from(crate::model::AuthError::internal())
    })?;
    let origin = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get(header::ORIGIN)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    });
    let snapshot = request_auth().snapshot;
    Ok(domain::jwt::issue(
        gatehouse.store.as_ref(),
        &gatehouse.config,
        &snapshot,
        template,
        origin.as_deref(),
        domain::now(),
    )
    .await?)
}

/// [`issue_token`] as the browser's `get_token()` receives it.
pub async fn issue_session_token(
    template: Option<&str>,
) -> Result<Option<crate::model::instance::SessionToken>, GatehouseError> {
    let issued = issue_token(template).await?;
    Ok(issued.map(|token| crate::model::instance::SessionToken {
        jwt: token.jwt,
        expires_in_seconds: token.lifetime_seconds,
    }))
}

/// `auth().get_token()` on the server (server functions, SSR): a session token for the
/// request's session, as the browser's `get_token()` gives. `None` when this Auth object is
/// signed out (a pending session treated as signed out included).
pub trait AuthTokens {
    /// A session token (Clerk's v2 claims, `tokens.lifetime_seconds`).
    fn get_token(
        &self,
    ) -> impl std::future::Future<Output = Result<Option<String>, GatehouseError>> + Send;
    /// A token of the template `[tokens.templates.<template>]` (no `sid`).
    fn get_token_with(
        &self,
        template: &str,
    ) -> impl std::future::Future<Output = Result<Option<String>, GatehouseError>> + Send;
}

impl AuthTokens for Auth {
    async fn get_token(&self) -> Result<Option<String>, GatehouseError> {
        token_for(self, None).await
    }

    async fn get_token_with(&self, template: &str) -> Result<Option<String>, GatehouseError> {
        token_for(self, Some(template)).await
    }
}

async fn token_for(auth: &Auth, template: Option<&str>) -> Result<Option<String>, GatehouseError> {
    if auth.session_id.is_none() {
        return Ok(None);
    }
    Ok(issue_token(template).await?.map(|token| token.jwt))
}
