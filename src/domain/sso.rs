//! SSO with OpenID Connect, as states of the sign-in machine.
//!
//! [`start`] sends the browser to the provider ([`SignIn::AwaitingProvider`], holding the hash of
//! `state`, the nonce and the PKCE verifier). [`callback`] accepts the provider's answer once and
//! only for the browser's own attempt, has the provider port exchange the code and verify the ID
//! token, then [`decide`]s: a known external account, or a provider-verified email matching a user
//! (linked when the sign-in completes, after the second factor), signs in; an unverified
//! matching email — or one from a connection not trusted to verify emails — is refused; no
//! account makes the attempt transferable to a sign-up ([`transfer_to_sign_up`]). An
//! enterprise connection only ever signs in or creates users at its own `domains`.
//! The time is always a parameter; the provider is a port (`IdentityProviders`).

use super::{
    email::normalize_email,
    ids::new_id,
    lockout,
    notices::Device,
    outcome::Outcome,
    ports::ExternalIdentity,
    sign_in::{self, FirstFactorFacts, PendingLink, SignIn},
    sign_up::SignUpView,
    tokens::sha256,
    Gatehouse, Timestamp,
};
use crate::{
    config::SsoConnectionConfig,
    model::{
        limits::REDIRECT_URL_MAX_CHARS as URL_MAX_CHARS, with_redirect_url, AuthError, ClientId,
        ErrorCode, SignInId, UserId,
    },
};

pub use super::sign_in::{PendingProvider, ProviderAnswer};

/// The strategy that picks the connection by the email's domain.
pub const ENTERPRISE_STRATEGY: &str = "enterprise_sso";
/// Social strategies are `oauth_<connection key>`.
pub const OAUTH_PREFIX: &str = "oauth_";
/// The callback page when the app names none.
pub const DEFAULT_CALLBACK_URL: &str = "/sso-callback";

/// A user the verified identity may belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserFacts {
    /// The user.
    pub user_id: UserId,
    /// Their primary email (the lockout key).
    pub email: String,
    /// They have a second factor.
    pub second_factor_enabled: bool,
}

/// What the store knows about a verified identity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountFacts {
    /// The user this external account is linked to.
    pub by_subject: Option<UserFacts>,
    /// The user whose email equals the provider's email.
    pub by_email: Option<UserFacts>,
}

/// What a verified identity leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Sign this user in; `link` the identity to them first.
    SignIn {
        /// The user.
        user: UserFacts,
        /// The identity is not linked yet (matched by verified email).
        link: bool,
    },
    /// No account: the attempt becomes transferable to a sign-up.
    Transfer,
    /// Refused.
    Refuse(ErrorCode),
}

/// The rule: an enterprise `connection` vouches only for addresses at its own domains (the
/// provider's email and the user it would sign in); then the external account first; else a
/// matching email links only when the provider verified it (and the connection is trusted to:
/// the caller clears `email_verified` otherwise); else a sign-up.
pub fn decide(
    identity: &ExternalIdentity,
    facts: &AccountFacts,
    connection: &SsoConnectionConfig,
) -> Decision {
    let foreign = |email: &str| !connection.may_vouch_for(email);
    let foreign_user = facts
        .by_subject
        .as_ref()
        .is_some_and(|user| foreign(&user.email));
    if identity.email.as_deref().is_some_and(foreign) || foreign_user {
        return Decision::Refuse(ErrorCode::SsoEmailDomainMismatch);
    }
    if let Some(user) = &facts.by_subject {
        return Decision::SignIn {
            user: user.clone(),
            link: false,
        };
    }
    match &facts.by_email {
        Some(user) if identity.email_verified => Decision::SignIn {
            user: user.clone(),
            link: true,
        },
        Some(_) => Decision::Refuse(ErrorCode::ExternalAccountEmailUnverified),
        None => Decision::Transfer,
    }
}

/// The state after SSO signed `user` in at `now`: the second factor when they have one, else
/// complete (the provider's verification is the first factor; client trust covers passwords
/// only). `link` is written when that state completes.
pub fn after_identity(user: &UserFacts, link: Option<PendingLink>, now: Timestamp) -> SignIn {
    SignIn::after_first_factor(
        &user.user_id,
        &user.email,
        FirstFactorFacts {
            has_second_factor: user.second_factor_enabled,
            untrusted_client: false,
        },
        now,
    )
    .linking(link)
}

/// How an SSO attempt is started (`sign_in.sso(…)`, a "Continue with …" button, or an email
/// typed on the sign-in form whose domain has an enterprise connection).
#[derive(Clone, Copy, Debug, Default)]
pub struct SsoStart<'a> {
    /// `oauth_<key>` or `enterprise_sso`.
    pub strategy: &'a str,
    /// The email (enterprise: picks the connection, and hints the provider's login).
    pub identifier: Option<&'a str>,
    /// The app's callback page (default `/sso-callback`).
    pub redirect_callback_url: Option<&'a str>,
    /// Where to go once signed in.
    pub redirect_url: Option<&'a str>,
}

/// The connection a strategy names.
pub fn connection_for<'c>(
    gatehouse: &'c Gatehouse,
    strategy: &str,
    identifier: Option<&str>,
) -> Result<(&'c SsoConnectionConfig, Option<String>), AuthError> {
    let sso = &gatehouse.config.sso;
    if strategy == ENTERPRISE_STRATEGY {
        let email = normalize_email(identifier.unwrap_or_default(), "identifier")?;
        let connection = sso.enterprise_for_email(&email).ok_or_else(|| {
            AuthError::new(ErrorCode::SsoConnectionNotFound).for_param("identifier")
        })?;
        return Ok((connection, Some(email)));
    }
    strategy
        .strip_prefix(OAUTH_PREFIX)
        .and_then(|key| sso.connection(key))
        .map(|connection| (connection, None))
        .ok_or_else(|| AuthError::new(ErrorCode::SsoConnectionNotFound))
}

/// The provider's redirect URI for `connection`: `<public_url>/sso/callback/<key>`.
pub fn callback_uri(gatehouse: &Gatehouse, connection: &str) -> String {
    format!(
        "{}/sso/callback/{connection}",
        gatehouse.config.instance.public_url.trim_end_matches('/')
    )
}

/// Starts SSO: stores the attempt waiting for the provider and returns the provider's
/// authorization URL (the browser goes there).
pub async fn start(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    request: SsoStart<'_>,
    now: Timestamp,
) -> Result<String, AuthError> {
    let (connection, email) = connection_for(gatehouse, request.strategy, request.identifier)?;
    let callback_page = request
        .redirect_callback_url
        .filter(|url| !url.is_empty())
        .unwrap_or(DEFAULT_CALLBACK_URL);
    if callback_page.chars().count() > URL_MAX_CHARS
        || request
            .redirect_url
            .is_some_and(|url| url.chars().count() > URL_MAX_CHARS)
    {
        return Err(AuthError::request_invalid("redirect URL too long"));
    }
    let authorization = gatehouse
        .providers
        .authorization_request(
            &connection.key,
            &callback_uri(gatehouse, &connection.key),
            email.as_deref(),
        )
        .await?;
    let pending = PendingProvider {
        connection: connection.key.clone(),
        state_hash: hex::encode(sha256(authorization.state.expose().as_bytes())),
        nonce: authorization.nonce,
        pkce_verifier: authorization.pkce_verifier,
        redirect_callback_url: callback_page.to_string(),
        redirect_url: request.redirect_url.map(str::to_string),
        answered: false,
    };
    sign_in::insert(
        gatehouse,
        client_id,
        SignIn::AwaitingProvider(Box::new(pending)),
        now,
    )
    .await?;
    Ok(authorization.url)
}

/// The provider's answer at `/sso/callback/<connection>`: the attempt moves on and the browser
/// goes to the app's callback page (carrying `redirect_url`). Refused unless it is the first
/// answer to this browser's own attempt; after a refusal past that check the attempt is over.
pub async fn callback(
    gatehouse: &Gatehouse,
    client_id: Option<&ClientId>,
    connection: &str,
    answer: ProviderAnswer<'_>,
    device: &Device,
    now: Timestamp,
) -> Result<String, AuthError> {
    let invalid = || AuthError::new(ErrorCode::OauthCallbackInvalid);
    let client_id = client_id.ok_or_else(invalid)?;
    let attempt = sign_in::current(gatehouse, client_id, now)
        .await?
        .ok_or_else(invalid)?;
    let SignIn::AwaitingProvider(pending) = &attempt.state else {
        return Err(invalid());
    };
    if !pending.accepts(connection, &answer) {
        return Err(invalid());
    }
    // Single use: of two answers carrying this state, one moves the attempt on.
    let answered = SignIn::AwaitingProvider(Box::new(PendingProvider {
        answered: true,
        ..(**pending).clone()
    }));
    sign_in::save(gatehouse, &attempt, answered)
        .await
        .map_err(|_| invalid())?;
    let version = attempt.version + 1;
    if let Err(error) = settle(
        gatehouse,
        (&attempt.id, version),
        pending,
        connection,
        answer,
        device,
        now,
    )
    .await
    {
        // Over: its state can never be answered again.
        if let Err(failure) = gatehouse
            .store
            .claim_sign_in(&attempt.id, version, now)
            .await
        {
            tracing::warn!(%failure, "ending a refused SSO attempt failed");
        }
        return Err(error);
    }
    Ok(with_redirect_url(
        &pending.redirect_callback_url,
        pending.redirect_url.as_deref(),
    ))
}

/// Verifies the answer and moves the attempt (now at `version`) on as [`decide`] rules.
async fn settle(
    gatehouse: &Gatehouse,
    (attempt_id, version): (&SignInId, i64),
    pending: &PendingProvider,
    connection: &str,
    answer: ProviderAnswer<'_>,
    device: &Device,
    now: Timestamp,
) -> Result<(), AuthError> {
    let config = gatehouse
        .config
        .sso
        .connection(connection)
        .ok_or_else(|| AuthError::new(ErrorCode::SsoConnectionNotFound))?;
    let mut identity = answer_identity(gatehouse, pending, connection, answer).await?;
    // A connection not trusted to verify emails: its `email_verified` counts for nothing (no
    // link to an existing user, and a new user verifies the address by code).
    identity.email_verified &= config.trust_email_verified;
    let decision = decide(
        &identity,
        &account_facts(gatehouse, &identity).await?,
        config,
    );
    let moved = move_on(
        gatehouse,
        (attempt_id, version),
        identity,
        decision,
        device,
        now,
    );
    moved.await
}

/// The identity the provider's answer proves, or why not.
async fn answer_identity(
    gatehouse: &Gatehouse,
    pending: &PendingProvider,
    connection: &str,
    answer: ProviderAnswer<'_>,
) -> Result<ExternalIdentity, AuthError> {
    match answer.error {
        Some("access_denied") => return Err(AuthError::new(ErrorCode::OauthAccessDenied)),
        Some(_) => return Err(AuthError::new(ErrorCode::OauthCallbackInvalid)),
        None => {}
    }
    let code = answer
        .code
        .filter(|code| !code.is_empty() && code.len() <= URL_MAX_CHARS)
        .ok_or_else(|| AuthError::new(ErrorCode::OauthCallbackInvalid))?;
    let identity = gatehouse
        .providers
        .exchange_code(
            connection,
            &callback_uri(gatehouse, connection),
            code,
            &pending.pkce_verifier,
            &pending.nonce,
        )
        .await?;
    if identity.provider != connection {
        return Err(AuthError::new(ErrorCode::OauthTokenInvalid));
    }
    Ok(identity)
}

async fn account_facts(
    gatehouse: &Gatehouse,
    identity: &ExternalIdentity,
) -> Result<AccountFacts, AuthError> {
    let facts = |user: super::ports::UserRecord| UserFacts {
        user_id: user.id,
        email: user.email,
        second_factor_enabled: user.second_factor_enabled,
    };
    let by_subject = gatehouse
        .store
        .find_user_by_external_account(&identity.provider, &identity.subject)
        .await?
        .map(facts);
    let by_email = match (&by_subject, &identity.email) {
        (None, Some(email)) => gatehouse.store.find_user_by_email(email).await?.map(facts),
        _ => None,
    };
    Ok(AccountFacts {
        by_subject,
        by_email,
    })
}

/// Carries out `decision` on the attempt at `version`.
async fn move_on(
    gatehouse: &Gatehouse,
    (attempt_id, version): (&SignInId, i64),
    identity: ExternalIdentity,
    decision: Decision,
    device: &Device,
    now: Timestamp,
) -> Result<(), AuthError> {
    let moved = match decision {
        Decision::Refuse(code) => return Err(AuthError::new(code)),
        Decision::SignIn { user, link } => {
            // A locked user stays locked whichever way they come in; SSO is no guess, so the
            // count is left as it is.
            lockout::reserve(gatehouse, &user.email, now)
                .await?
                .released(gatehouse)
                .await?;
            let link = link.then(|| PendingLink {
                identity,
                owner_email: user.email.clone(),
                device: device.clone(),
            });
            let next = sign_in::serialize(&after_identity(&user, link, now))?;
            gatehouse
                .store
                .save_sign_in(attempt_id, version, &next)
                .await?
        }
        Decision::Transfer => {
            let next = sign_in::serialize(&SignIn::Transferable { identity })?;
            gatehouse
                .store
                .save_sign_in(attempt_id, version, &next)
                .await?
        }
    };
    if moved {
        Ok(())
    } else {
        Err(AuthError::new(ErrorCode::OauthCallbackInvalid))
    }
}

/// Where a sign-up by transfer stands.
#[derive(Debug)]
pub enum Transfer {
    /// The user exists (provider-verified email, no password, the identity linked) and the
    /// session is active.
    SignedUp(Box<Outcome>),
    /// The provider's email is unverified: a sign-up for it was started and its code emailed
    /// ("Verify your email"); the user it creates gets the identity linked.
    VerifyEmail(SignUpView),
    /// The provider gave no email: the app asks for one (`/sign-up/continue`), then
    /// [`continue_sign_up`].
    NeedsEmailAddress,
}

/// The sign-up side of the transfer. A provider-verified email creates the user at once and
/// finalizes the session like a sign-up (`after_sign_up_url` by default); an unverified one is
/// verified with an emailed code first; a missing one is asked for.
pub async fn transfer_to_sign_up(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    redirect_url: Option<&str>,
    now: Timestamp,
) -> Result<Transfer, AuthError> {
    let attempt = sign_in::required(gatehouse, client_id, now).await?;
    let SignIn::Transferable { identity } = &attempt.state else {
        return Err(AuthError::request_invalid("nothing to transfer"));
    };
    let Some(email) = identity.email.clone() else {
        return Ok(Transfer::NeedsEmailAddress);
    };
    if !identity.email_verified {
        let view =
            sign_up_for_identity(gatehouse, client_id, &attempt, identity, email, now).await?;
        return Ok(Transfer::VerifyEmail(view));
    }
    let user_id: UserId = new_id();
    let next = SignIn::Complete {
        user_id: user_id.clone(),
        first_factor_at: now,
        second_factor_at: None,
        link: None,
        invitation: None,
    };
    let created = gatehouse
        .store
        .create_user_from_identity(
            &user_id,
            identity,
            (&attempt.id, attempt.version, &sign_in::serialize(&next)?),
            now,
        )
        .await?;
    match created {
        super::ports::UserCreation::Created => {}
        super::ports::UserCreation::EmailTaken => {
            return Err(AuthError::new(ErrorCode::FormIdentifierExists).for_param("email_address"))
        }
        super::ports::UserCreation::AttemptMoved => return Err(AuthError::no_attempt()),
    }
    tracing::info!(user_id = %user_id, provider = %identity.provider, "user created by SSO");
    if let Some(email) = identity
        .email
        .as_deref()
        .filter(|_| identity.email_verified)
    {
        super::verified_domain::enroll_new_user(gatehouse, email, now).await;
    }
    let fallback = gatehouse.config.instance.after_sign_up_url.clone();
    let outcome = sign_in::finalize_to(gatehouse, client_id, redirect_url, &fallback, now).await?;
    Ok(Transfer::SignedUp(Box::new(outcome)))
}

/// `/sign-up/continue`: the email typed for a transfer whose provider gave none. A sign-up for
/// it starts (code emailed); the user it creates gets the identity linked.
pub async fn continue_sign_up(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    email_address: &str,
    now: Timestamp,
) -> Result<SignUpView, AuthError> {
    let email = normalize_email(email_address, "email_address")?;
    let attempt = sign_in::required(gatehouse, client_id, now).await?;
    let SignIn::Transferable { identity } = &attempt.state else {
        return Err(AuthError::no_attempt());
    };
    if identity.email.is_some() {
        // The provider's email is the one to verify; another is not swapped in.
        return Err(AuthError::request_invalid(
            "the provider gave an email address",
        ));
    }
    // An enterprise connection creates users at its own domains only.
    let connection = gatehouse.config.sso.connection(&identity.provider);
    if connection.is_some_and(|connection| !connection.may_vouch_for(&email)) {
        return Err(AuthError::new(ErrorCode::SsoEmailDomainMismatch).for_param("email_address"));
    }
    sign_up_for_identity(gatehouse, client_id, &attempt, identity, email, now).await
}

/// Ends the transferable sign-in (once: a reload or a second tab gets `no_attempt`) and starts
/// the sign-up that verifies `email` for `identity`.
async fn sign_up_for_identity(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    attempt: &sign_in::Attempt,
    identity: &ExternalIdentity,
    email: String,
    now: Timestamp,
) -> Result<SignUpView, AuthError> {
    if !gatehouse
        .store
        .claim_sign_in(&attempt.id, attempt.version, now)
        .await?
    {
        return Err(AuthError::no_attempt());
    }
    super::sign_up::create_for_identity(gatehouse, client_id, identity.clone(), email, now).await
}
