//! SSO: the decision table, the callback's single-use state, and whole flows on the in-memory
//! fake store with a fake identity provider (the real provider is driven by the Playwright
//! suite), the clock as a plain number.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use gatehouse::{
    config::Config,
    domain::{
        notices::Device,
        ports::{AuthorizationRequest, ExternalIdentity, IdentityProviders},
        secret::Secret,
        sign_in::{self, SignIn},
        sign_up,
        sso::{self, AccountFacts, Decision, PendingProvider, ProviderAnswer, SsoStart, UserFacts},
        Gatehouse,
    },
    mail::Mailer,
    model::{AuthError, ClientId, ErrorCode, SignInStatus, SignUpStatus, UserId},
};

const T0: i64 = 1_800_000_000;

pub(crate) fn identity(subject: &str, email: Option<&str>, verified: bool) -> ExternalIdentity {
    ExternalIdentity {
        provider: "idp".into(),
        subject: subject.into(),
        email: email.map(str::to_string),
        email_verified: verified,
        first_name: Some("Grace".into()),
        last_name: None,
    }
}

/// A connection for the decision table: social without `domains`, enterprise with them.
fn connection(domains: &[&str]) -> gatehouse::config::SsoConnectionConfig {
    gatehouse::config::SsoConnectionConfig {
        key: "idp".into(),
        name: "Test IdP".into(),
        issuer: "https://idp.test".into(),
        client_id: "c".into(),
        client_secret: Secret::new("s".into()),
        scopes: vec!["openid".into()],
        domains: domains.iter().map(|d| d.to_string()).collect(),
        trust_email_verified: true,
    }
}

fn user(id: &str, second_factor: bool) -> UserFacts {
    UserFacts {
        user_id: UserId::new(id),
        email: format!("{id}@example.com"),
        second_factor_enabled: second_factor,
    }
}

#[test]
fn the_decision_table() {
    let known = Some(user("user_known", false));
    let by_email = Some(user("user_email", false));
    let cases: Vec<(&str, bool, AccountFacts, Decision)> = vec![
        (
            "linked account → that user, nothing to link",
            true,
            AccountFacts {
                by_subject: known.clone(),
                by_email: None,
            },
            Decision::SignIn {
                user: user("user_known", false),
                link: false,
            },
        ),
        (
            "linked account wins over an email match, verified or not",
            false,
            AccountFacts {
                by_subject: known.clone(),
                by_email: by_email.clone(),
            },
            Decision::SignIn {
                user: user("user_known", false),
                link: false,
            },
        ),
        (
            "verified email of a user → link and sign in",
            true,
            AccountFacts {
                by_subject: None,
                by_email: by_email.clone(),
            },
            Decision::SignIn {
                user: user("user_email", false),
                link: true,
            },
        ),
        (
            "unverified email of a user → never linked",
            false,
            AccountFacts {
                by_subject: None,
                by_email: by_email.clone(),
            },
            Decision::Refuse(ErrorCode::ExternalAccountEmailUnverified),
        ),
        (
            "no account → transfer to a sign-up",
            true,
            AccountFacts::default(),
            Decision::Transfer,
        ),
        (
            "no account, unverified email → transfer (the sign-up decides)",
            false,
            AccountFacts::default(),
            Decision::Transfer,
        ),
    ];
    let social = connection(&[]);
    for (name, verified, facts, expected) in cases {
        let identity = identity("sub-1", Some("grace@example.com"), verified);
        assert_eq!(sso::decide(&identity, &facts, &social), expected, "{name}");
    }
}

#[test]
fn after_the_provider_the_second_factor_still_applies() {
    assert!(matches!(
        sso::after_identity(&user("user_a", false), None, T0),
        SignIn::Complete {
            first_factor_at: T0,
            second_factor_at: None,
            ..
        }
    ));
    assert!(matches!(
        sso::after_identity(&user("user_a", true), None, T0),
        SignIn::NeedsSecondFactor {
            first_factor_at: T0,
            ..
        }
    ));
}

#[test]
fn only_the_first_answer_with_the_attempts_state_is_accepted() {
    let state = "the-state";
    let pending = PendingProvider {
        connection: "idp".into(),
        state_hash: hex::encode(gatehouse::domain::tokens::sha256(state.as_bytes())),
        nonce: Secret::new("n".into()),
        pkce_verifier: Secret::new("v".into()),
        redirect_callback_url: "/sso-callback".into(),
        redirect_url: None,
        answered: false,
    };
    let answer = |state| ProviderAnswer {
        code: Some("c"),
        state,
        error: None,
    };
    assert!(pending.accepts("idp", &answer(Some(state))));
    assert!(
        !pending.accepts("idp", &answer(Some("another-state"))),
        "bad state"
    );
    assert!(!pending.accepts("idp", &answer(None)), "no state");
    assert!(
        !pending.accepts("acme", &answer(Some(state))),
        "another connection's callback"
    );
    let answered = PendingProvider {
        answered: true,
        ..pending
    };
    assert!(
        !answered.accepts("idp", &answer(Some(state))),
        "reused state"
    );
}

/// A provider that vouches for whatever identity the test sets, checking the nonce as the
/// real ID-token verification does.
#[derive(Default)]
struct FakeProvider {
    identity: Mutex<Option<ExternalIdentity>>,
    last: Mutex<Option<(String, String)>>,
}

#[async_trait]
impl IdentityProviders for FakeProvider {
    async fn authorization_request(
        &self,
        connection: &str,
        redirect_uri: &str,
        login_hint: Option<&str>,
    ) -> Result<AuthorizationRequest, AuthError> {
        assert_eq!(
            redirect_uri,
            format!("http://127.0.0.1:3000/sso/callback/{connection}")
        );
        let state = gatehouse::domain::ids::new_row_id("state");
        let nonce = gatehouse::domain::ids::new_row_id("nonce");
        *self.last.lock().unwrap() = Some((state.clone(), nonce.clone()));
        Ok(AuthorizationRequest {
            url: format!(
                "https://{connection}.test/authorize?state={state}&login_hint={}",
                login_hint.unwrap_or_default()
            ),
            state: Secret::new(state),
            nonce: Secret::new(nonce),
            pkce_verifier: Secret::new("verifier".into()),
        })
    }

    async fn exchange_code(
        &self,
        connection: &str,
        _redirect_uri: &str,
        code: &str,
        pkce_verifier: &Secret<String>,
        nonce: &Secret<String>,
    ) -> Result<ExternalIdentity, AuthError> {
        let expected_nonce = self.last.lock().unwrap().clone().unwrap().1;
        if code != "good-code"
            || pkce_verifier.expose() != "verifier"
            || *nonce.expose() != expected_nonce
        {
            return Err(AuthError::new(ErrorCode::OauthTokenInvalid));
        }
        let mut identity = self.identity.lock().unwrap().clone().unwrap();
        identity.provider = connection.to_string();
        Ok(identity)
    }
}

/// Flows through SSO with a fake provider, on a store of their own or a given one.
pub(crate) struct Sso {
    _dir: tempfile::TempDir,
    pub(crate) gatehouse: Gatehouse,
    provider: Arc<FakeProvider>,
}

impl Sso {
    fn new() -> Self {
        Self::on_store(crate::flows::test_store())
    }

    /// SSO flows on `store` (e.g. a SQLite or PostgreSQL store).
    pub(crate) fn on_store(store: Arc<dyn gatehouse::domain::ports::Storage>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let env = vec![
            ("DATABASE_URL".to_string(), "sqlite://unused.db".to_string()),
            (
                "GATEHOUSE_EMAIL__OUTBOX_DIR".to_string(),
                dir.path().join("outbox").display().to_string(),
            ),
            (
                "GATEHOUSE_SSO__CONNECTIONS".to_string(),
                r#"[{ key = "idp", name = "Test IdP", issuer = "https://idp.test", client_id = "c", client_secret = "s" },
                    { key = "acme", name = "Acme", issuer = "https://acme.test", client_id = "c", client_secret = "s", domains = ["acme.test"] }]"#
                    .to_string(),
            ),
        ];
        let config = Config::from_sources(None, &env).unwrap();
        let provider = Arc::new(FakeProvider::default());
        let gatehouse = Gatehouse {
            hasher: gatehouse::domain::password::PasswordHasher::new(1),
            mailer: Arc::new(Mailer::from_config(&config.email).unwrap()),
            config: Arc::new(config),
            store,
            providers: provider.clone(),
        };
        Self {
            _dir: dir,
            gatehouse,
            provider,
        }
    }

    pub(crate) async fn client(&self) -> ClientId {
        self.gatehouse
            .store
            .create_client(
                &gatehouse::domain::tokens::SecretToken::generate().hash(),
                T0,
            )
            .await
            .unwrap()
    }

    /// Starts SSO on `client` and returns the state the provider will send back.
    pub(crate) async fn start(
        &self,
        client: &ClientId,
        strategy: &str,
        identifier: Option<&str>,
    ) -> String {
        let start = SsoStart {
            strategy,
            identifier,
            redirect_callback_url: Some("/sso-callback"),
            redirect_url: Some("/orgs"),
        };
        let url = sso::start(&self.gatehouse, client, start, T0)
            .await
            .unwrap();
        let state = self.provider.last.lock().unwrap().clone().unwrap().0;
        assert!(url.contains(&state));
        state
    }

    pub(crate) async fn answer(
        &self,
        client: &ClientId,
        connection: &str,
        state: &str,
        code: &str,
    ) -> Result<String, AuthError> {
        let answer = ProviderAnswer {
            code: Some(code),
            state: Some(state),
            error: None,
        };
        let device = Device {
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0".into()),
            ip_address: Some("203.0.113.7".into()),
        };
        sso::callback(
            &self.gatehouse,
            Some(client),
            connection,
            answer,
            &device,
            T0 + 5,
        )
        .await
    }

    pub(crate) async fn status(&self, client: &ClientId) -> Option<SignInStatus> {
        sign_in::current(&self.gatehouse, client, T0 + 6)
            .await
            .unwrap()
            .map(|attempt| attempt.state.status())
    }

    /// The code of the mail to `email` in this instance's outbox.
    pub(crate) fn code_sent_to(&self, email: &str) -> String {
        crate::flows::code_in_outbox(&self._dir.path().join("outbox"), email)
    }

    /// Verifies the sign-up's emailed code and finalizes it; the new user.
    pub(crate) async fn verify_sign_up(&self, client: &ClientId, email: &str) -> UserId {
        let code = crate::flows::code_in_outbox(&self._dir.path().join("outbox"), email);
        sign_up::verify_email_code(&self.gatehouse, client, &code, T0 + 20)
            .await
            .unwrap();
        let outcome = sign_up::finalize(&self.gatehouse, client, None, T0 + 21)
            .await
            .unwrap();
        outcome.snapshot.user.unwrap().id
    }

    /// Signs in with SSO as the vouched identity on a new browser: complete, no sign-up.
    pub(crate) async fn signs_in_again(&self) -> UserId {
        let other = self.client().await;
        let state = self.start(&other, "oauth_idp", None).await;
        self.answer(&other, "idp", &state, "good-code")
            .await
            .unwrap();
        assert_eq!(self.status(&other).await, Some(SignInStatus::Complete));
        let outcome = sign_in::finalize(&self.gatehouse, &other, None, T0 + 30)
            .await
            .unwrap();
        outcome.snapshot.user.unwrap().id
    }

    pub(crate) fn vouch_for(&self, identity: ExternalIdentity) {
        *self.provider.identity.lock().unwrap() = Some(identity);
    }

    pub(crate) async fn user_with_password(&self, email: &str) -> UserId {
        use gatehouse::domain::ports::NewUser;
        let hash = Secret::new("$argon2id$unused".to_string());
        let user = NewUser {
            email,
            password_hash: Some(&hash),
            first_name: None,
            last_name: None,
        };
        self.gatehouse
            .store
            .create_user(user, T0)
            .await
            .unwrap()
            .unwrap()
    }
}

#[tokio::test]
async fn a_new_identity_signs_up_by_transfer_then_signs_in_again_without_one() {
    let sso = Sso::new();
    sso.vouch_for(identity("sub-new", Some("grace@example.com"), true));
    let browser = sso.client().await;
    let state = sso.start(&browser, "oauth_idp", None).await;
    let page = sso
        .answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    assert_eq!(page, "/sso-callback?redirect_url=%2Forgs");
    assert_eq!(
        sso.status(&browser).await,
        Some(SignInStatus::NeedsIdentifier)
    );

    let transfer = sso::transfer_to_sign_up(&sso.gatehouse, &browser, None, T0 + 7)
        .await
        .unwrap();
    let sso::Transfer::SignedUp(outcome) = transfer else {
        panic!("a verified email signs up at once: {transfer:?}");
    };
    assert!(outcome.cookie.is_some(), "a session");
    assert_eq!(
        outcome.next.redirect_url,
        sso.gatehouse.config.instance.after_sign_up_url
    );
    let user_id = outcome.snapshot.user.unwrap().id;
    // Once only.
    assert!(
        sso::transfer_to_sign_up(&sso.gatehouse, &browser, None, T0 + 8)
            .await
            .is_err()
    );

    // The same identity on another browser: signed in, no sign-up.
    let other = sso.client().await;
    let state = sso.start(&other, "oauth_idp", None).await;
    sso.answer(&other, "idp", &state, "good-code")
        .await
        .unwrap();
    assert_eq!(sso.status(&other).await, Some(SignInStatus::Complete));
    let outcome = sign_in::finalize(&sso.gatehouse, &other, None, T0 + 9)
        .await
        .unwrap();
    assert_eq!(outcome.snapshot.user.unwrap().id, user_id);
    let accounts = sso
        .gatehouse
        .store
        .list_external_accounts(&user_id)
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);
}

#[tokio::test]
async fn an_unverified_email_without_an_account_is_verified_by_code_before_the_user_exists() {
    let sso = Sso::new();
    sso.vouch_for(identity("sub-u", Some("una@example.com"), false));
    let browser = sso.client().await;
    let state = sso.start(&browser, "oauth_idp", None).await;
    sso.answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    let transfer = sso::transfer_to_sign_up(&sso.gatehouse, &browser, None, T0 + 7)
        .await
        .unwrap();
    let sso::Transfer::VerifyEmail(view) = transfer else {
        panic!("an unverified email is verified first: {transfer:?}");
    };
    assert_eq!(view.status, SignUpStatus::MissingRequirements);
    assert_eq!(view.unverified_fields, ["email_address"]);
    assert_eq!(view.email_address, "una@example.com");
    assert!(
        sso.gatehouse
            .store
            .find_user_by_email("una@example.com")
            .await
            .unwrap()
            .is_none(),
        "no user before the code"
    );
    // The transfer happened once: a reload of the callback page finds nothing to transfer.
    assert!(
        sso::transfer_to_sign_up(&sso.gatehouse, &browser, None, T0 + 8)
            .await
            .is_err()
    );

    let user_id = sso.verify_sign_up(&browser, "una@example.com").await;
    let user = sso
        .gatehouse
        .store
        .find_user_by_email("una@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(user.password_hash.is_none(), "SSO users have no password");
    assert_eq!(
        sso.signs_in_again().await,
        user_id,
        "the identity is linked"
    );
}

#[tokio::test]
async fn a_missing_email_is_asked_for_then_verified_by_code() {
    let sso = Sso::new();
    let taken = sso.user_with_password("ada@example.com").await;
    sso.vouch_for(identity("sub-none", None, false));
    let browser = sso.client().await;
    let state = sso.start(&browser, "oauth_idp", None).await;
    sso.answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    let transfer = sso::transfer_to_sign_up(&sso.gatehouse, &browser, None, T0 + 7)
        .await
        .unwrap();
    assert!(matches!(transfer, sso::Transfer::NeedsEmailAddress));
    assert_eq!(
        sso.status(&browser).await,
        Some(SignInStatus::NeedsIdentifier),
        "still transferable until an email is given"
    );

    // A bad email is refused next to its field, and nothing is lost.
    let bad = sso::continue_sign_up(&sso.gatehouse, &browser, "not-an-email", T0 + 8)
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::FormParamFormatInvalid);
    assert_eq!(bad.meta.param_name.as_deref(), Some("email_address"));
    assert_eq!(
        sso.status(&browser).await,
        Some(SignInStatus::NeedsIdentifier)
    );

    let view = sso::continue_sign_up(&sso.gatehouse, &browser, " Nora@Example.com ", T0 + 9)
        .await
        .unwrap();
    assert_eq!(view.email_address, "nora@example.com");
    assert_eq!(view.unverified_fields, ["email_address"]);
    // Once: the transferable attempt is over.
    let again = sso::continue_sign_up(&sso.gatehouse, &browser, "other@example.com", T0 + 10)
        .await
        .unwrap_err();
    assert_eq!(again.code, AuthError::no_attempt().code);

    let user_id = sso.verify_sign_up(&browser, "nora@example.com").await;
    assert_ne!(user_id, taken);
    assert_eq!(
        sso.signs_in_again().await,
        user_id,
        "the identity is linked"
    );
}

#[tokio::test]
async fn a_missing_email_that_is_taken_never_links_the_identity_to_its_owner() {
    let sso = Sso::new();
    let owner = sso.user_with_password("ada@example.com").await;
    sso.vouch_for(identity("sub-none", None, false));
    let browser = sso.client().await;
    let state = sso.start(&browser, "oauth_idp", None).await;
    sso.answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    // Like any sign-up with a taken email: "check your email", the owner gets a notice.
    let view = sso::continue_sign_up(&sso.gatehouse, &browser, "ada@example.com", T0 + 8)
        .await
        .unwrap();
    assert_eq!(view.unverified_fields, ["email_address"]);
    let refused = sign_up::finalize(&sso.gatehouse, &browser, None, T0 + 9)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::SignUpNotComplete);
    assert!(sso
        .gatehouse
        .store
        .list_external_accounts(&owner)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_verified_email_links_to_its_user_and_an_unverified_one_never_does() {
    let sso = Sso::new();
    let existing = sso.user_with_password("ada@example.com").await;

    sso.vouch_for(identity("sub-unverified", Some("ada@example.com"), false));
    let browser = sso.client().await;
    let state = sso.start(&browser, "oauth_idp", None).await;
    let refused = sso
        .answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::ExternalAccountEmailUnverified);
    assert_eq!(sso.status(&browser).await, None, "the attempt is over");
    assert!(sso
        .gatehouse
        .store
        .list_external_accounts(&existing)
        .await
        .unwrap()
        .is_empty());

    sso.vouch_for(identity("sub-verified", Some("ada@example.com"), true));
    let state = sso.start(&browser, "oauth_idp", None).await;
    sso.answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    let outcome = sign_in::finalize(&sso.gatehouse, &browser, None, T0 + 9)
        .await
        .unwrap();
    assert_eq!(outcome.snapshot.user.unwrap().id, existing);
    let accounts = sso
        .gatehouse
        .store
        .list_external_accounts(&existing)
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].subject, "sub-verified");
}

#[tokio::test]
async fn a_state_is_answered_once_and_only_on_its_own_browser() {
    let sso = Sso::new();
    sso.vouch_for(identity("sub-1", Some("grace@example.com"), true));
    let browser = sso.client().await;
    let state = sso.start(&browser, "oauth_idp", None).await;

    // Another browser replaying the answer gets nothing (login CSRF).
    let attacker = sso.client().await;
    let err = sso
        .answer(&attacker, "idp", &state, "good-code")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::OauthCallbackInvalid);
    // A wrong state is refused and leaves the real attempt usable.
    let err = sso
        .answer(&browser, "idp", "forged", "good-code")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::OauthCallbackInvalid);

    sso.answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    let again = sso
        .answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::OauthCallbackInvalid, "reused state");
}

#[tokio::test]
async fn provider_failures_end_the_attempt_with_their_code() {
    let sso = Sso::new();
    sso.vouch_for(identity("sub-1", Some("grace@example.com"), true));
    let browser = sso.client().await;

    let state = sso.start(&browser, "oauth_idp", None).await;
    let denied = ProviderAnswer {
        code: None,
        state: Some(&state),
        error: Some("access_denied"),
    };
    let err = sso::callback(
        &sso.gatehouse,
        Some(&browser),
        "idp",
        denied,
        &Device::default(),
        T0 + 5,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::OauthAccessDenied);
    assert_eq!(sso.status(&browser).await, None);
    let err = sso
        .answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap_err();
    assert_eq!(
        err.code,
        ErrorCode::OauthCallbackInvalid,
        "no second chance for that state"
    );

    // A token that does not verify (bad code, or a nonce mismatch in the real adapter).
    let state = sso.start(&browser, "oauth_idp", None).await;
    let err = sso
        .answer(&browser, "idp", &state, "bad-code")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::OauthTokenInvalid);

    // Going back and choosing the provider again starts a fresh attempt that works.
    let _abandoned = sso.start(&browser, "oauth_idp", None).await;
    let state = sso.start(&browser, "oauth_idp", None).await;
    sso.answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    assert_eq!(
        sso.status(&browser).await,
        Some(SignInStatus::NeedsIdentifier)
    );
}

#[tokio::test]
async fn enterprise_connections_are_chosen_by_the_email_domain() {
    let sso = Sso::new();
    let browser = sso.client().await;
    let state = sso
        .start(&browser, "enterprise_sso", Some("Lin@ACME.test"))
        .await;
    let url = sso.provider.last.lock().unwrap().clone().unwrap();
    assert_eq!(url.0, state);
    sso.vouch_for(identity("emp-1", Some("lin@acme.test"), true));
    // The answer must come back on the enterprise connection's own callback.
    let err = sso
        .answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::OauthCallbackInvalid);

    let state = sso
        .start(&browser, "enterprise_sso", Some("lin@acme.test"))
        .await;
    sso.answer(&browser, "acme", &state, "good-code")
        .await
        .unwrap();
    assert_eq!(
        sso.status(&browser).await,
        Some(SignInStatus::NeedsIdentifier)
    );

    let start = SsoStart {
        strategy: "enterprise_sso",
        identifier: Some("lin@other.test"),
        ..Default::default()
    };
    let err = sso::start(&sso.gatehouse, &browser, start, T0)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::SsoConnectionNotFound);
    let start = SsoStart {
        strategy: "oauth_nope",
        ..Default::default()
    };
    let err = sso::start(&sso.gatehouse, &browser, start, T0)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::SsoConnectionNotFound);
}

#[tokio::test]
async fn a_user_with_a_second_factor_still_needs_it_and_a_locked_user_is_refused() {
    let sso = Sso::new();
    let user_id = sso.user_with_password("mfa@example.com").await;
    enable_totp(&sso, &user_id, "mfa@example.com").await;
    sso.vouch_for(identity("sub-mfa", Some("mfa@example.com"), true));
    let browser = sso.client().await;
    let state = sso.start(&browser, "oauth_idp", None).await;
    sso.answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    assert_eq!(
        sso.status(&browser).await,
        Some(SignInStatus::NeedsSecondFactor)
    );
    assert!(sign_in::finalize(&sso.gatehouse, &browser, None, T0 + 9)
        .await
        .is_err());

    // Locked by wrong passwords: SSO does not get around it.
    let policy = &sso.gatehouse.config.lockout;
    for _ in 0..policy.max_attempts {
        sso.gatehouse
            .store
            .reserve_guess("mfa@example.com", policy.max_attempts, T0 + 3600, T0)
            .await
            .unwrap();
    }
    let state = sso.start(&browser, "oauth_idp", None).await;
    let err = sso
        .answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::UserLocked);
}

/// Enrols an authenticator app for `user_id` (on a session of a browser of theirs); its secret.
async fn enable_totp(sso: &Sso, user_id: &UserId, email: &str) -> String {
    use gatehouse::domain::{mfa, ports::NewSession};
    let browser = sso.client().await;
    let token = gatehouse::domain::tokens::SecretToken::generate().hash();
    let session = sso
        .gatehouse
        .store
        .create_session(
            NewSession {
                client_id: &browser,
                user_id,
                new_token_hash: &token,
                first_factor_at: T0,
                second_factor_at: None,
                expires_at: T0 + 3600,
                keep_other_sessions: false,
            },
            T0,
        )
        .await
        .unwrap();
    let enrollment = mfa::start_enrollment(&sso.gatehouse, user_id, email, T0)
        .await
        .unwrap();
    let code = mfa::code_at(&enrollment.secret, T0 + 1).unwrap();
    mfa::confirm_enrollment(&sso.gatehouse, user_id, email, &session, &code, T0 + 1)
        .await
        .unwrap();
    enrollment.secret
}

#[tokio::test]
async fn parallel_answers_with_one_state_move_the_attempt_once() {
    let sso = Arc::new(Sso::new());
    sso.vouch_for(identity("sub-par", Some("par@example.com"), true));
    let browser = sso.client().await;
    let state = sso.start(&browser, "oauth_idp", None).await;
    let answers = (0..16).map(|_| {
        let (sso, browser, state) = (sso.clone(), browser.clone(), state.clone());
        tokio::spawn(async move { sso.answer(&browser, "idp", &state, "good-code").await })
    });
    let mut accepted = 0;
    for answer in answers.collect::<Vec<_>>() {
        match answer.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(error) => assert_eq!(error.code, ErrorCode::OauthCallbackInvalid),
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(
        sso.status(&browser).await,
        Some(SignInStatus::NeedsIdentifier)
    );
}

/// The enterprise rule in the decision table: the customer's IdP vouches only for its own
/// domains — a provider email elsewhere, or a linked user whose email is elsewhere, is refused.
#[test]
fn an_enterprise_connection_vouches_only_for_its_own_domains() {
    let acme = connection(&["acme.test"]);
    let at_acme = UserFacts {
        user_id: UserId::new("user_lin"),
        email: "lin@acme.test".into(),
        second_factor_enabled: false,
    };
    let cases: Vec<(&str, Option<&str>, AccountFacts, Decision)> = vec![
        (
            "another company's verified address, an existing user → refused, not linked",
            Some("ceo@othercompany.com"),
            AccountFacts {
                by_subject: None,
                by_email: Some(user("user_ceo", false)),
            },
            Decision::Refuse(ErrorCode::SsoEmailDomainMismatch),
        ),
        (
            "another company's address, no user → refused, nobody created",
            Some("new@othercompany.com"),
            AccountFacts::default(),
            Decision::Refuse(ErrorCode::SsoEmailDomainMismatch),
        ),
        (
            "a subject linked to a user outside the domains → refused",
            None,
            AccountFacts {
                by_subject: Some(user("user_elsewhere", false)),
                by_email: None,
            },
            Decision::Refuse(ErrorCode::SsoEmailDomainMismatch),
        ),
        (
            "its own domain (any case) → linked and signed in",
            Some("lin@acme.test"),
            AccountFacts {
                by_subject: None,
                by_email: Some(at_acme.clone()),
            },
            Decision::SignIn {
                user: at_acme.clone(),
                link: true,
            },
        ),
        (
            "its own domain, no user → transfer to a sign-up",
            Some("new@acme.test"),
            AccountFacts::default(),
            Decision::Transfer,
        ),
    ];
    for (name, email, facts, expected) in cases {
        let identity = identity("emp-1", email, true);
        assert_eq!(sso::decide(&identity, &facts, &acme), expected, "{name}");
    }
}

/// Whole flow: the enterprise IdP answering with another company's address signs nobody in,
/// links nothing and creates nobody.
#[tokio::test]
async fn an_enterprise_idp_answering_for_another_company_signs_nobody_in() {
    let sso = Sso::new();
    let victim = sso.user_with_password("ceo@othercompany.com").await;
    let browser = sso.client().await;
    let state = sso
        .start(&browser, "enterprise_sso", Some("mallory@acme.test"))
        .await;
    sso.vouch_for(identity("mallory", Some("ceo@othercompany.com"), true));
    let refused = sso
        .answer(&browser, "acme", &state, "good-code")
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::SsoEmailDomainMismatch);
    assert_eq!(sso.status(&browser).await, None, "the attempt is over");
    assert!(sso
        .gatehouse
        .store
        .list_external_accounts(&victim)
        .await
        .unwrap()
        .is_empty());
    assert!(sso
        .gatehouse
        .store
        .find_user_by_external_account("acme", "mallory")
        .await
        .unwrap()
        .is_none());

    // No email from the IdP: the address typed for the sign-up must be at its domain too.
    sso.vouch_for(identity("mallory-2", None, true));
    let state = sso
        .start(&browser, "enterprise_sso", Some("mallory@acme.test"))
        .await;
    sso.answer(&browser, "acme", &state, "good-code")
        .await
        .unwrap();
    let refused = sso::continue_sign_up(&sso.gatehouse, &browser, "new@elsewhere.test", T0 + 8)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::SsoEmailDomainMismatch);
    assert_eq!(refused.meta.param_name.as_deref(), Some("email_address"));
}

/// The link to an existing user is written only when the sign-in completes: a sign-in stopped
/// at the second factor leaves no new way into the account; after it, the owner is emailed.
#[tokio::test]
async fn a_link_is_written_only_after_the_second_factor() {
    use gatehouse::domain::sign_in::SecondFactorStrategy;
    let sso = Sso::new();
    let user_id = sso.user_with_password("two@example.com").await;
    let secret = enable_totp(&sso, &user_id, "two@example.com").await;
    sso.vouch_for(identity("sub-two", Some("two@example.com"), true));
    let browser = sso.client().await;
    let state = sso.start(&browser, "oauth_idp", None).await;
    sso.answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    assert_eq!(
        sso.status(&browser).await,
        Some(SignInStatus::NeedsSecondFactor)
    );
    let linked = || async {
        sso.gatehouse
            .store
            .list_external_accounts(&user_id)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(linked().await, 0, "not before the second factor");
    let code = gatehouse::domain::mfa::code_at(&secret, T0 + 60).unwrap();
    sign_in::verify_second_factor(
        &sso.gatehouse,
        &browser,
        SecondFactorStrategy::Totp,
        &code,
        T0 + 60,
    )
    .await
    .unwrap();
    assert_eq!(linked().await, 0, "not before finalize");
    let outcome = sign_in::finalize(&sso.gatehouse, &browser, None, T0 + 61)
        .await
        .unwrap();
    assert_eq!(outcome.snapshot.user.unwrap().id, user_id);
    assert_eq!(linked().await, 1);
    // The owner is told which provider, when and from which browser.
    let outbox = sso._dir.path().join("outbox");
    let mut notice = None;
    for _ in 0..100 {
        notice = crate::flows::mails_in_outbox(&outbox, "two@example.com")
            .into_iter()
            .find(|mail| mail.contains("was connected to your account"));
        if notice.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let notice = notice.expect("a notice to the owner");
    assert!(notice.contains("Test IdP"), "{notice}");
    assert!(notice.contains("Chrome on Linux (203.0.113.7)"), "{notice}");
}

/// A connection not trusted to verify emails (`trust_email_verified = false`) never links by
/// email, and a new user from it verifies the address by code.
#[tokio::test]
async fn an_untrusted_connection_never_links_by_email() {
    let sso = Sso::new();
    let mut config = (*sso.gatehouse.config).clone();
    for connection in &mut config.sso.connections {
        connection.trust_email_verified = false;
    }
    let gatehouse = Gatehouse {
        config: Arc::new(config),
        ..sso.gatehouse.clone()
    };
    let sso = Sso { gatehouse, ..sso };
    let existing = sso.user_with_password("ada@example.com").await;
    sso.vouch_for(identity("sub-ada", Some("ada@example.com"), true));
    let browser = sso.client().await;
    let state = sso.start(&browser, "oauth_idp", None).await;
    let refused = sso
        .answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::ExternalAccountEmailUnverified);
    assert!(sso
        .gatehouse
        .store
        .list_external_accounts(&existing)
        .await
        .unwrap()
        .is_empty());

    sso.vouch_for(identity("sub-new", Some("new@example.com"), true));
    let state = sso.start(&browser, "oauth_idp", None).await;
    sso.answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    let transfer = sso::transfer_to_sign_up(&sso.gatehouse, &browser, None, T0 + 7)
        .await
        .unwrap();
    assert!(
        matches!(transfer, sso::Transfer::VerifyEmail(_)),
        "{transfer:?}"
    );
}

/// The one entry point of the flows: an email of an enterprise domain typed with a password
/// goes to its provider (the password ignored), on a client made for this browser.
#[tokio::test]
async fn the_flow_entry_point_sends_an_enterprise_email_to_its_provider() {
    use gatehouse::{
        domain::flows::{self, FlowContext},
        model::flow::FlowRequest,
    };
    let sso = Sso::new();
    let step = FlowRequest::SignInPassword {
        identifier: "Lin@ACME.test".into(),
        password: "ignored".into(),
        ticket: None,
    };
    let result = flows::run(&sso.gatehouse, step, FlowContext::default(), T0)
        .await
        .unwrap();
    assert!(result.cookie.is_some(), "a client made for this browser");
    let step = result.response.into_sign_in();
    assert_eq!(step.status, SignInStatus::NeedsFirstFactor);
    let url = step.next_url.unwrap();
    assert!(url.starts_with("https://acme.test/authorize"), "{url}");
    assert!(url.contains("login_hint=lin@acme.test"), "{url}");
}

/// The strings a step names are read into their enums in one place; anything else is refused.
#[test]
fn step_strings_are_read_into_enums() {
    use gatehouse::domain::{
        account::ReverifyStrategy, flows::SignInIntent, sign_in::SecondFactorStrategy,
    };
    assert_eq!(SignInIntent::parse(None).unwrap(), SignInIntent::SignIn);
    assert_eq!(
        SignInIntent::parse(Some(" ")).unwrap(),
        SignInIntent::SignIn
    );
    assert_eq!(
        SignInIntent::parse(Some("forgot_password")).unwrap(),
        SignInIntent::ForgotPassword
    );
    assert_eq!(
        SignInIntent::parse(Some("steal")).unwrap_err().code,
        ErrorCode::RequestInvalid
    );
    assert_eq!(
        SecondFactorStrategy::parse("totp").unwrap(),
        SecondFactorStrategy::Totp
    );
    assert_eq!(
        SecondFactorStrategy::parse("backup_code").unwrap(),
        SecondFactorStrategy::BackupCode
    );
    assert!(SecondFactorStrategy::parse("sms").is_err());
    assert_eq!(
        ReverifyStrategy::for_second_factor(" 123456 "),
        ReverifyStrategy::Totp
    );
    assert_eq!(
        ReverifyStrategy::for_second_factor("abcd2345"),
        ReverifyStrategy::BackupCode
    );
    assert_eq!(
        ReverifyStrategy::for_second_factor("12345"),
        ReverifyStrategy::BackupCode
    );
}

crate::flows::also_on_postgres!(
    a_new_identity_signs_up_by_transfer_then_signs_in_again_without_one,
    an_unverified_email_without_an_account_is_verified_by_code_before_the_user_exists,
    a_missing_email_is_asked_for_then_verified_by_code,
    a_missing_email_that_is_taken_never_links_the_identity_to_its_owner,
    a_verified_email_links_to_its_user_and_an_unverified_one_never_does,
    a_state_is_answered_once_and_only_on_its_own_browser,
    provider_failures_end_the_attempt_with_their_code,
    enterprise_connections_are_chosen_by_the_email_domain,
    a_user_with_a_second_factor_still_needs_it_and_a_locked_user_is_refused,
    parallel_answers_with_one_state_move_the_attempt_once,
    an_enterprise_idp_answering_for_another_company_signs_nobody_in,
    a_link_is_written_only_after_the_second_factor,
    an_untrusted_connection_never_links_by_email,
    the_flow_entry_point_sends_an_enterprise_email_to_its_provider,
);
