//! Domain flows against the in-memory fake store, with the clock as a plain number: sign-up,
//! sign-in with and without a second factor, lockout and expiry, without a database file,
//! HTTP or sleeps. Each flow test (here and in the other modules built on [`Flows`]) runs once
//! more on PostgreSQL ([`also_on_postgres!`]), so the fake and the real store keep one contract.

use std::sync::Arc;

use gatehouse::{
    config::Config,
    domain::{
        mfa,
        secret::Secret,
        sign_in::{self, SecondFactorStrategy, SignInNext, SIGN_IN_TTL_SECONDS},
        sign_up::{self, SignUpForm},
        Gatehouse,
    },
    mail::Mailer,
    model::{ClientId, SessionStatus, SignInStatus, SignUpStatus},
    server::outcome::redirect_response,
};

use crate::fake::FakeStore;

const T0: i64 = 1_800_000_000;
pub(crate) const PASSWORD: &str = "correct-horse-battery";

/// The 6-digit code of the mail to `to` in an outbox directory (its subject starts with it).
pub(crate) fn code_in_outbox(outbox: &std::path::Path, to: &str) -> String {
    let mail = std::fs::read_dir(outbox)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .find(|text| text.contains(&format!("To: {to}")))
        .expect("a mail");
    let subject = mail.lines().find(|l| l.starts_with("Subject: ")).unwrap();
    subject["Subject: ".len()..][..6].to_string()
}

/// Every mail to `to` in the outbox.
pub(crate) fn mails_in_outbox(outbox: &std::path::Path, to: &str) -> Vec<String> {
    std::fs::read_dir(outbox)
        .map(|entries| {
            entries
                .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .filter(|text| text.contains(&format!("To: {to}")))
                .collect()
        })
        .unwrap_or_default()
}

thread_local! {
    /// Set while a test runs again on PostgreSQL ([`also_on_postgres!`]).
    static ON_POSTGRES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `test` (a `#[tokio::test]` of this binary) with every [`Flows`] it makes on a new
/// PostgreSQL database instead of the fake. The test's runtime runs on this thread, so the flag
/// reaches the `Flows::new` it calls.
pub(crate) fn on_postgres(test: fn()) {
    ON_POSTGRES.with(|on| on.set(true));
    let result = std::panic::catch_unwind(test);
    ON_POSTGRES.with(|on| on.set(false));
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Runs the named flow tests of the module once more on PostgreSQL, as `on_postgres::<name>`.
macro_rules! also_on_postgres {
    ($($name:ident),* $(,)?) => {
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    crate::flows::on_postgres(super::$name);
                }
            )*
        }
    };
}
pub(crate) use also_on_postgres;

/// The store a flow test runs on: the fake, or a new PostgreSQL database under
/// [`also_on_postgres!`].
pub(crate) fn test_store() -> Arc<dyn gatehouse::domain::ports::Storage> {
    if ON_POSTGRES.with(|on| on.get()) {
        Arc::new(crate::pg::migrated_lazy_store())
    } else {
        Arc::new(FakeStore::default())
    }
}

pub(crate) struct Flows {
    _dir: tempfile::TempDir,
    outbox: std::path::PathBuf,
    pub(crate) gatehouse: Gatehouse,
}

impl Flows {
    pub(crate) fn new() -> Self {
        Self::with_env(&[])
    }

    /// Flows on an instance configured with these `GATEHOUSE_…` variables as well.
    pub(crate) fn with_env(extra: &[(&str, &str)]) -> Self {
        Self::on_store(test_store(), extra)
    }

    /// Flows on `store` (e.g. one of several instances sharing a PostgreSQL database), with these
    /// `GATEHOUSE_…` variables as well.
    pub(crate) fn on_store(
        store: Arc<dyn gatehouse::domain::ports::Storage>,
        extra: &[(&str, &str)],
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let mut env = vec![
            ("DATABASE_URL".to_string(), "sqlite://unused.db".to_string()),
            (
                "GATEHOUSE_EMAIL__OUTBOX_DIR".to_string(),
                outbox.display().to_string(),
            ),
        ];
        env.extend(
            extra
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string())),
        );
        let config = Config::from_sources(None, &env).unwrap();
        let gatehouse = Gatehouse {
            hasher: gatehouse::domain::password::PasswordHasher::new(1),
            mailer: Arc::new(Mailer::from_config(&config.email).unwrap()),
            config: Arc::new(config),
            store,
            providers: Arc::new(gatehouse::oidc::OidcProviders::new(&Default::default()).unwrap()),
        };
        Self {
            _dir: dir,
            outbox,
            gatehouse,
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

    /// The code mailed to `to`, once one is in the outbox.
    pub(crate) fn mailed_code(&self, to: &str) -> Option<String> {
        let mail = std::fs::read_dir(&self.outbox)
            .ok()?
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .find(|text| text.contains(&format!("To: {to}")))?;
        let subject = mail.lines().find(|l| l.starts_with("Subject: "))?;
        Some(subject["Subject: ".len()..][..6].to_string())
    }

    pub(crate) fn code_sent_to(&self, to: &str) -> String {
        code_in_outbox(&self.outbox, to)
    }

    /// Every mail to `to` in the outbox (in no particular order).
    pub(crate) fn mails_to(&self, to: &str) -> Vec<String> {
        mails_in_outbox(&self.outbox, to)
    }

    /// Signs `email` (no second factor) in on a new browser; returns that browser and the
    /// session's outcome.
    pub(crate) async fn sign_in(
        &self,
        email: &str,
        now: i64,
    ) -> (ClientId, gatehouse::domain::outcome::Outcome) {
        let browser = self.client().await;
        let outcome = self.sign_in_on(&browser, email, now).await;
        (browser, outcome)
    }

    /// Signs `email` (no second factor) in on `browser`; returns the session's outcome.
    pub(crate) async fn sign_in_on(
        &self,
        browser: &ClientId,
        email: &str,
        now: i64,
    ) -> gatehouse::domain::outcome::Outcome {
        let view = sign_in::password(
            &self.gatehouse,
            browser,
            email,
            Secret::new(PASSWORD.into()),
            now,
        )
        .await
        .unwrap();
        assert_eq!(view.status, SignInStatus::Complete);
        sign_in::finalize(&self.gatehouse, browser, None, now + 1)
            .await
            .unwrap()
    }

    /// Signs `email` up through the whole flow; returns the new session's outcome.
    pub(crate) async fn sign_up(
        &self,
        email: &str,
        now: i64,
    ) -> gatehouse::domain::outcome::Outcome {
        let client = self.client().await;
        let form = SignUpForm {
            email_address: email.to_string(),
            password: Secret::new(PASSWORD.to_string()),
            first_name: Some("Ada".into()),
            last_name: None,
        };
        let view = sign_up::create(&self.gatehouse, &client, form, now)
            .await
            .unwrap();
        assert_eq!(view.status, SignUpStatus::MissingRequirements);
        assert_eq!(view.unverified_fields, ["email_address"]);
        let code = self.code_sent_to(email);
        let view = sign_up::verify_email_code(&self.gatehouse, &client, &code, now + 10)
            .await
            .unwrap();
        assert_eq!(view.status, SignUpStatus::Complete);
        let outcome = sign_up::finalize(&self.gatehouse, &client, None, now + 11)
            .await
            .unwrap();
        // Finalize accepts a complete sign-up once.
        assert_eq!(
            sign_up::finalize(&self.gatehouse, &client, None, now + 12)
                .await
                .unwrap_err()
                .code,
            "resource_not_found"
        );
        outcome
    }
}

#[tokio::test]
async fn sign_up_then_sign_in_with_a_password() {
    let flows = Flows::new();
    let signed_up = flows.sign_up("ada@example.com", T0).await;
    assert!(
        signed_up.cookie.is_some(),
        "a new session rotates the cookie"
    );
    assert_eq!(
        signed_up.snapshot.session_status,
        Some(SessionStatus::Active)
    );
    let gatehouse = &flows.gatehouse;
    assert_eq!(
        signed_up.next.redirect_url,
        gatehouse.config.instance.after_sign_up_url
    );

    // The new user signs in on another browser.
    let browser = flows.client().await;
    let view = sign_in::password(
        gatehouse,
        &browser,
        "ADA@example.com",
        Secret::new(PASSWORD.into()),
        T0 + 100,
    )
    .await
    .unwrap();
    assert_eq!(view.status, SignInStatus::Complete);
    let next = sign_in::next(
        gatehouse,
        &browser,
        view.status,
        Some("/dashboard"),
        T0 + 101,
    )
    .await
    .unwrap();
    let SignInNext::SignedIn(outcome) = next else {
        panic!("a complete attempt is finalized");
    };
    assert_eq!(outcome.next.target(), "/dashboard");
    // A plain axum route answers the same outcome: the rotated cookie, then the target.
    let response = redirect_response(&gatehouse.config.instance, &outcome);
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/dashboard");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains(outcome.cookie.as_ref().unwrap().expose()),
        "{cookie}"
    );
    assert_eq!(
        outcome.snapshot.user.unwrap().email_address,
        "ada@example.com"
    );
    // Finalize accepts an attempt once.
    assert_eq!(
        sign_in::finalize(gatehouse, &browser, None, T0 + 102)
            .await
            .unwrap_err()
            .code,
        "resource_not_found"
    );
}

#[tokio::test]
async fn ten_wrong_passwords_lock_until_the_clock_passes_the_lock() {
    let flows = Flows::new();
    flows.sign_up("bob@example.com", T0).await;
    let gatehouse = &flows.gatehouse;
    let browser = flows.client().await;
    let guess = |password: &'static str, now: i64| {
        let browser = browser.clone();
        async move {
            sign_in::password(
                gatehouse,
                &browser,
                "bob@example.com",
                Secret::new(password.into()),
                now,
            )
            .await
        }
    };
    for n in 0..10 {
        let error = guess("wrong-password", T0 + 100 + n).await.unwrap_err();
        let expected = if n < 9 {
            "form_password_incorrect"
        } else {
            "user_locked"
        };
        assert_eq!(error.code, expected, "guess {n}");
    }
    // Locked: even the right password is refused, without being evaluated.
    let verifications = gatehouse.hasher.verifications();
    assert_eq!(
        guess(PASSWORD, T0 + 200).await.unwrap_err().code,
        "user_locked"
    );
    assert_eq!(gatehouse.hasher.verifications(), verifications);
    // An hour later (the default lock), the right password works and clears the count.
    let later = T0 + 109 + 60 * 60;
    assert_eq!(
        guess(PASSWORD, later).await.unwrap().status,
        SignInStatus::Complete
    );
    assert!(gatehouse
        .store
        .guesses_of("bob@example.com")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_second_factor_is_required_and_each_totp_step_is_accepted_once() {
    let flows = Flows::new();
    let signed_up = flows.sign_up("cy@example.com", T0).await;
    let gatehouse = &flows.gatehouse;
    let user = signed_up.snapshot.user.clone().unwrap();
    let session = signed_up.snapshot.session_id.clone().unwrap();
    let enrollment = mfa::start_enrollment(gatehouse, &user.id, "cy@example.com", T0 + 20)
        .await
        .unwrap();
    let enrolled_at = T0 + 30;
    mfa::confirm_enrollment(
        gatehouse,
        &user.id,
        "cy@example.com",
        &session,
        &mfa::code_at(&enrollment.secret, enrolled_at).unwrap(),
        enrolled_at,
    )
    .await
    .unwrap();
    assert!(
        gatehouse
            .store
            .find_user_by_email("cy@example.com")
            .await
            .unwrap()
            .unwrap()
            .second_factor_enabled
    );

    let browser = flows.client().await;
    let now = T0 + 300;
    let view = sign_in::password(
        gatehouse,
        &browser,
        "cy@example.com",
        Secret::new(PASSWORD.into()),
        now,
    )
    .await
    .unwrap();
    assert_eq!(view.status, SignInStatus::NeedsSecondFactor);
    // No session before the second factor.
    assert_eq!(
        sign_in::finalize(gatehouse, &browser, None, now)
            .await
            .unwrap_err()
            .code,
        "sign_in_not_complete"
    );
    let code = mfa::code_at(&enrollment.secret, now + 1).unwrap();
    let done = sign_in::verify_second_factor(
        gatehouse,
        &browser,
        SecondFactorStrategy::Totp,
        &code,
        now + 1,
    )
    .await
    .unwrap();
    assert_eq!(done.status, SignInStatus::Complete);
    let outcome = sign_in::finalize(gatehouse, &browser, None, now + 2)
        .await
        .unwrap();
    assert_eq!(
        outcome.snapshot.factor_verification_age,
        Some([0, 0].into()),
        "both factors verified just now"
    );

    // The same code on another browser, in the same 30-second step, is refused.
    let other = flows.client().await;
    sign_in::password(
        gatehouse,
        &other,
        "cy@example.com",
        Secret::new(PASSWORD.into()),
        now + 3,
    )
    .await
    .unwrap();
    assert_eq!(
        sign_in::verify_second_factor(
            gatehouse,
            &other,
            SecondFactorStrategy::Totp,
            &code,
            now + 3
        )
        .await
        .unwrap_err()
        .code,
        "form_code_incorrect"
    );
}

#[tokio::test]
async fn an_attempt_expires_after_ten_minutes() {
    let flows = Flows::new();
    flows.sign_up("dee@example.com", T0).await;
    let gatehouse = &flows.gatehouse;
    let browser = flows.client().await;
    let now = T0 + 100;
    sign_in::password(
        gatehouse,
        &browser,
        "dee@example.com",
        Secret::new(PASSWORD.into()),
        now,
    )
    .await
    .unwrap();
    assert_eq!(
        sign_in::finalize(gatehouse, &browser, None, now + SIGN_IN_TTL_SECONDS)
            .await
            .unwrap_err()
            .code,
        "resource_not_found"
    );
}

also_on_postgres!(
    sign_up_then_sign_in_with_a_password,
    ten_wrong_passwords_lock_until_the_clock_passes_the_lock,
    a_second_factor_is_required_and_each_totp_step_is_accepted_once,
    an_attempt_expires_after_ten_minutes,
);
