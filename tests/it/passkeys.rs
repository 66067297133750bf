//! Passkeys through the domain with real WebAuthn ceremonies: a software authenticator
//! (webauthn-authenticator-rs' soft passkey) makes and signs the credentials, webauthn-rs
//! verifies them, the clock a number. Each test runs on the fake and once more on PostgreSQL;
//! the browser side (resident keys, the user handle it returns) is tested in Chromium's virtual
//! authenticator (end2end/tests/passkeys.spec.ts).
//!
//! The soft passkey keeps no resident keys and returns no user handle, so the tests hand it the
//! credential to use (`allowCredentials`) and put the user handle in its answer, as a resident
//! key returns it: neither is covered by the signature, and the server checks the handle against
//! the credential's.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use gatehouse::{
    domain::{
        account::AccountHolder,
        mfa,
        passkeys::{self, PasskeySignIn, CEREMONY_TTL_SECONDS},
        session, sign_in,
    },
    model::{flow::PasskeyOptions, ClientId, ErrorCode, Notice, SignInStatus},
};
use serde_json::Value;
use webauthn_authenticator_rs::{softpasskey::SoftPasskey, AuthenticatorBackend};
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

use crate::flows::{also_on_postgres, Flows};

const T0: i64 = 1_800_000_000;
const ORIGIN: &str = "http://localhost:3000";

/// An instance whose `public_url` names a domain (browsers refuse WebAuthn on an IP address).
pub(crate) fn instance(extra: &[(&str, &str)]) -> Flows {
    let mut env = vec![("GATEHOUSE_INSTANCE__PUBLIC_URL", ORIGIN)];
    env.extend_from_slice(extra);
    Flows::with_env(&env)
}

/// A user who just signed up (a fresh session: sensitive changes need no reverification), and
/// their browser.
pub(crate) struct User {
    pub(crate) email: String,
    pub(crate) browser: ClientId,
    pub(crate) holder: AccountHolder,
}

pub(crate) async fn sign_up(flows: &Flows, email: &str) -> User {
    let outcome = flows.sign_up(email, T0).await;
    let resolved = session::resolve(
        flows.gatehouse.store.as_ref(),
        &flows.gatehouse.config,
        outcome.cookie.as_ref(),
        T0 + 12,
    )
    .await
    .unwrap();
    User {
        email: email.to_string(),
        browser: resolved.client_id.unwrap(),
        holder: AccountHolder::of(&resolved.snapshot).unwrap(),
    }
}

/// A soft passkey and the credential it made.
pub(crate) struct Key {
    soft: SoftPasskey,
    credential_id: String,
    user_handle: String,
}

/// The soft passkey's answer to registration `options`, as the browser sends it, made for
/// `origin`, with the RP id the options name (or `rp_id`).
fn make_credential(
    soft: &mut SoftPasskey,
    options: &PasskeyOptions,
    origin: &str,
    rp_id: Option<&str>,
) -> (String, String, String) {
    let mut json: Value = serde_json::from_str(&options.options).unwrap();
    let public_key = &mut json["publicKey"];
    // The soft passkey keeps no resident key: the options the server sends ask for one.
    assert_eq!(
        public_key["authenticatorSelection"]["residentKey"],
        "required"
    );
    public_key["authenticatorSelection"]["residentKey"] = "discouraged".into();
    public_key["authenticatorSelection"]["requireResidentKey"] = false.into();
    if let Some(rp_id) = rp_id {
        public_key["rp"]["id"] = rp_id.into();
    }
    let user_handle = public_key["user"]["id"].as_str().unwrap().to_string();
    let options: CreationChallengeResponse = serde_json::from_value(json).unwrap();
    let answer = soft
        .perform_register(Url::parse(origin).unwrap(), options.public_key, 60_000)
        .unwrap();
    let credential_id = answer.id.clone();
    (
        serde_json::to_string(&answer).unwrap(),
        credential_id,
        user_handle,
    )
}

/// Adds a passkey to `user`'s account through the ceremony; the soft passkey that holds it.
pub(crate) async fn add_passkey(flows: &Flows, user: &User, now: i64) -> Key {
    let gatehouse = &flows.gatehouse;
    let options = passkeys::registration_options(gatehouse, &user.holder, &user.browser, now)
        .await
        .unwrap();
    let mut soft = SoftPasskey::new(true);
    let (answer, credential_id, user_handle) = make_credential(&mut soft, &options, ORIGIN, None);
    let notice = passkeys::add(
        gatehouse,
        &user.holder,
        &user.browser,
        &options.ceremony,
        &answer,
        now,
    )
    .await
    .unwrap();
    assert_eq!(notice, Notice::PasskeyAdded);
    Key {
        soft,
        credential_id,
        user_handle,
    }
}

/// The key's answer to sign-in `options`, signed for `origin` and `rp_id`.
fn get_assertion(key: &mut Key, options: &PasskeyOptions, origin: &str, rp_id: &str) -> String {
    let mut json: Value = serde_json::from_str(&options.options).unwrap();
    let public_key = &mut json["publicKey"];
    // Discoverable: the options name no credential and no account.
    assert!(public_key["allowCredentials"]
        .as_array()
        .is_none_or(Vec::is_empty));
    assert_eq!(public_key["userVerification"], "required");
    public_key["allowCredentials"] =
        serde_json::json!([{ "type": "public-key", "id": key.credential_id }]);
    public_key["rpId"] = rp_id.into();
    let options: RequestChallengeResponse = serde_json::from_value(json).unwrap();
    let answer = key
        .soft
        .perform_auth(Url::parse(origin).unwrap(), options.public_key, 60_000)
        .unwrap();
    let mut answer = serde_json::to_value(&answer).unwrap();
    answer["response"]["userHandle"] = key.user_handle.clone().into();
    answer.to_string()
}

/// Waits for a mail to `to` containing `text` (notices are sent in the background).
async fn mailed(flows: &Flows, to: &str, text: &str) {
    for _ in 0..250 {
        if flows.mails_to(to).iter().any(|mail| mail.contains(text)) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no mail to {to} with {text:?}");
}

async fn options(flows: &Flows, browser: &ClientId, now: i64) -> PasskeyOptions {
    passkeys::sign_in_options(&flows.gatehouse, browser, None, now)
        .await
        .unwrap()
}

/// Signs in on `browser` with the key's answer to a new ceremony; the attempt's view.
async fn sign_in_with(
    flows: &Flows,
    browser: &ClientId,
    key: &mut Key,
    now: i64,
) -> Result<PasskeySignIn, gatehouse::model::AuthError> {
    let options = options(flows, browser, now).await;
    let answer = get_assertion(key, &options, ORIGIN, "localhost");
    passkeys::sign_in(
        &flows.gatehouse,
        browser,
        &options.ceremony,
        &answer,
        now + 1,
    )
    .await
}

fn code(result: Result<PasskeySignIn, gatehouse::model::AuthError>) -> ErrorCode {
    result.map(|_| ()).unwrap_err().code
}

fn attempt_status(result: PasskeySignIn) -> SignInStatus {
    match result {
        PasskeySignIn::Attempt(view) => view.status,
        PasskeySignIn::AlreadySignedIn { email } => panic!("{email} was signed in already"),
    }
}

#[tokio::test]
async fn a_passkey_is_added_then_signs_in_with_no_email_typed() {
    let flows = instance(&[]);
    let ada = sign_up(&flows, "ada@example.com").await;
    let gatehouse = &flows.gatehouse;

    let options = passkeys::registration_options(gatehouse, &ada.holder, &ada.browser, T0 + 20)
        .await
        .unwrap();
    let json: Value = serde_json::from_str(&options.options).unwrap();
    let public_key = &json["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    assert_eq!(
        public_key["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(
        public_key["authenticatorSelection"]["userVerification"],
        "required"
    );
    // The user handle is 16 random bytes: neither the email nor the user id.
    let handle = URL_SAFE_NO_PAD
        .decode(public_key["user"]["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(handle.len(), 16);
    assert!(!String::from_utf8_lossy(&handle).contains("ada"));
    assert!(!String::from_utf8_lossy(&handle).contains(ada.holder.user_id.as_str()));

    let mut key = add_passkey(&flows, &ada, T0 + 30).await;
    let listed = passkeys::list(gatehouse, &ada.holder, T0 + 90)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "Passkey");
    assert_eq!(listed[0].created_at, T0 + 30);
    assert_eq!(listed[0].last_used, None);
    mailed(
        &flows,
        "ada@example.com",
        "Subject: A passkey was added to your account",
    )
    .await;

    // A new browser: no email typed, the passkey says who.
    let browser = flows.client().await;
    let result = sign_in_with(&flows, &browser, &mut key, T0 + 100)
        .await
        .unwrap();
    assert_eq!(attempt_status(result), SignInStatus::Complete);
    let outcome = sign_in::finalize(gatehouse, &browser, None, T0 + 102)
        .await
        .unwrap();
    let resolved = session::resolve(
        gatehouse.store.as_ref(),
        &gatehouse.config,
        outcome.cookie.as_ref(),
        T0 + 103,
    )
    .await
    .unwrap();
    let user = resolved.snapshot.user.unwrap();
    assert_eq!(user.email_address, "ada@example.com");
    let listed = passkeys::list(gatehouse, &ada.holder, T0 + 200)
        .await
        .unwrap();
    assert_eq!(listed[0].last_used_at, Some(T0 + 101));

    // Renamed; removed, after which it signs in no more.
    let id = listed[0].id.clone();
    passkeys::rename(gatehouse, &ada.holder, &id, "  Work laptop ")
        .await
        .unwrap();
    let listed = passkeys::list(gatehouse, &ada.holder, T0 + 200)
        .await
        .unwrap();
    assert_eq!(listed[0].name, "Work laptop");
    let err = passkeys::rename(gatehouse, &ada.holder, &id, " ")
        .await
        .unwrap_err();
    assert!(err.first_error().code == ErrorCode::FormParamMissing);
    passkeys::remove(gatehouse, &ada.holder, &id, T0 + 300)
        .await
        .unwrap();
    mailed(
        &flows,
        "ada@example.com",
        "Subject: A passkey was removed from your account",
    )
    .await;
    let other = flows.client().await;
    let result = sign_in_with(&flows, &other, &mut key, T0 + 400).await;
    assert_eq!(code(result), ErrorCode::PasskeyNotRegistered);
}

#[tokio::test]
async fn a_wrong_origin_or_rp_id_is_refused_and_counts_toward_the_lockout() {
    let flows = instance(&[]);
    let ada = sign_up(&flows, "ada@example.com").await;
    let gatehouse = &flows.gatehouse;

    // Registration: another origin, another RP id.
    for (origin, rp_id) in [
        ("http://evil.localhost:3000", None),
        (ORIGIN, Some("evil.test")),
    ] {
        let options = passkeys::registration_options(gatehouse, &ada.holder, &ada.browser, T0 + 20)
            .await
            .unwrap();
        let mut soft = SoftPasskey::new(true);
        let (answer, _, _) = make_credential(&mut soft, &options, origin, rp_id);
        let err = passkeys::add(
            gatehouse,
            &ada.holder,
            &ada.browser,
            &options.ceremony,
            &answer,
            T0 + 21,
        )
        .await
        .unwrap_err();
        assert!(
            err.first_error().code == ErrorCode::PasskeyRegistrationFailure,
            "{origin} {rp_id:?}: {err:?}"
        );
    }
    assert!(passkeys::list(gatehouse, &ada.holder, T0 + 30)
        .await
        .unwrap()
        .is_empty());

    // Sign-in: each refused answer is a failed guess; the tenth locks the account.
    let mut key = add_passkey(&flows, &ada, T0 + 40).await;
    let browser = flows.client().await;
    for attempt in 0..10 {
        let (origin, rp_id) = if attempt % 2 == 0 {
            ("http://evil.localhost:3000", "localhost")
        } else {
            (ORIGIN, "evil.test")
        };
        let options = options(&flows, &browser, T0 + 50).await;
        let answer = get_assertion(&mut key, &options, origin, rp_id);
        let result =
            passkeys::sign_in(gatehouse, &browser, &options.ceremony, &answer, T0 + 51).await;
        let expected = if attempt == 9 {
            ErrorCode::UserLocked
        } else {
            ErrorCode::PasskeyAuthenticationFailure
        };
        assert_eq!(code(result), expected, "attempt {attempt}");
    }
    // Locked: the right passkey, and the password, wait too.
    let result = sign_in_with(&flows, &browser, &mut key, T0 + 60).await;
    assert_eq!(code(result), ErrorCode::UserLocked);
    let password = sign_in::password(
        gatehouse,
        &browser,
        &ada.email,
        gatehouse::domain::secret::Secret::new(crate::flows::PASSWORD.into()),
        T0 + 61,
    )
    .await
    .unwrap_err();
    assert_eq!(password.code, ErrorCode::UserLocked);
}

#[tokio::test]
async fn a_challenge_is_single_use_for_its_browser_and_its_ceremony() {
    let flows = instance(&[]);
    let ada = sign_up(&flows, "ada@example.com").await;
    let gatehouse = &flows.gatehouse;
    let mut key = add_passkey(&flows, &ada, T0 + 20).await;
    let browser = flows.client().await;

    // Replayed: the answer that signed in once signs in no more.
    let options = options(&flows, &browser, T0 + 30).await;
    let answer = get_assertion(&mut key, &options, ORIGIN, "localhost");
    passkeys::sign_in(gatehouse, &browser, &options.ceremony, &answer, T0 + 31)
        .await
        .unwrap();
    let replayed =
        passkeys::sign_in(gatehouse, &browser, &options.ceremony, &answer, T0 + 32).await;
    assert_eq!(code(replayed), ErrorCode::PasskeyAuthenticationFailure);

    // Another browser cannot answer this browser's challenge.
    let other = flows.client().await;
    let options = passkeys::sign_in_options(gatehouse, &browser, None, T0 + 40)
        .await
        .unwrap();
    let answer = get_assertion(&mut key, &options, ORIGIN, "localhost");
    let elsewhere = passkeys::sign_in(gatehouse, &other, &options.ceremony, &answer, T0 + 41).await;
    assert_eq!(code(elsewhere), ErrorCode::PasskeyAuthenticationFailure);

    // Expired after 5 minutes.
    let options = options_at(&flows, &browser, T0 + 50).await;
    let answer = get_assertion(&mut key, &options, ORIGIN, "localhost");
    let late = T0 + 50 + CEREMONY_TTL_SECONDS;
    let expired = passkeys::sign_in(gatehouse, &browser, &options.ceremony, &answer, late).await;
    assert_eq!(code(expired), ErrorCode::PasskeyAuthenticationFailure);

    // A registration challenge does not sign in, and a sign-in challenge adds no passkey.
    let registration =
        passkeys::registration_options(gatehouse, &ada.holder, &ada.browser, T0 + 60)
            .await
            .unwrap();
    let sign_in_options = options_at(&flows, &ada.browser, T0 + 60).await;
    let answer = get_assertion(&mut key, &sign_in_options, ORIGIN, "localhost");
    let crossed = passkeys::sign_in(
        gatehouse,
        &ada.browser,
        &registration.ceremony,
        &answer,
        T0 + 61,
    )
    .await;
    assert_eq!(code(crossed), ErrorCode::PasskeyAuthenticationFailure);
    let mut soft = SoftPasskey::new(true);
    let (made, _, _) = make_credential(&mut soft, &registration, ORIGIN, None);
    let crossed = passkeys::add(
        gatehouse,
        &ada.holder,
        &ada.browser,
        &sign_in_options.ceremony,
        &made,
        T0 + 62,
    )
    .await
    .unwrap_err();
    assert!(crossed.first_error().code == ErrorCode::PasskeyRegistrationFailure);
}

async fn options_at(flows: &Flows, browser: &ClientId, now: i64) -> PasskeyOptions {
    options(flows, browser, now).await
}

#[tokio::test]
async fn a_counter_that_goes_backwards_flags_the_passkey() {
    let flows = instance(&[]);
    let ada = sign_up(&flows, "ada@example.com").await;
    let gatehouse = &flows.gatehouse;
    let mut key = add_passkey(&flows, &ada, T0 + 20).await;
    let browser = flows.client().await;
    // Two challenges answered in order (counters 1 and 2), then finished the other way round:
    // the older answer carries a counter the passkey has already passed, as a clone's would.
    let first = options(&flows, &browser, T0 + 30).await;
    let second = options(&flows, &browser, T0 + 30).await;
    let older = get_assertion(&mut key, &first, ORIGIN, "localhost");
    let newer = get_assertion(&mut key, &second, ORIGIN, "localhost");
    passkeys::sign_in(gatehouse, &browser, &second.ceremony, &newer, T0 + 31)
        .await
        .unwrap();
    let result = passkeys::sign_in(gatehouse, &browser, &first.ceremony, &older, T0 + 32).await;
    assert_eq!(code(result), ErrorCode::PasskeyAuthenticationFailure);
    let listed = passkeys::list(gatehouse, &ada.holder, T0 + 40)
        .await
        .unwrap();
    assert!(listed[0].flagged);
    // Flagged: refused from then on, even with a counter that moves forward.
    let other = flows.client().await;
    let result = sign_in_with(&flows, &other, &mut key, T0 + 50).await;
    assert_eq!(code(result), ErrorCode::PasskeyAuthenticationFailure);
}

#[tokio::test]
async fn ten_passkeys_at_most_and_the_options_exclude_the_ones_added() {
    let flows = instance(&[]);
    let ada = sign_up(&flows, "ada@example.com").await;
    let gatehouse = &flows.gatehouse;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(add_passkey(&flows, &ada, T0 + 20 + n).await.credential_id);
    }
    let err = passkeys::registration_options(gatehouse, &ada.holder, &ada.browser, T0 + 40)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PasskeyQuotaExceeded);
    let listed = passkeys::list(gatehouse, &ada.holder, T0 + 40)
        .await
        .unwrap();
    passkeys::remove(gatehouse, &ada.holder, &listed[0].id, T0 + 41)
        .await
        .unwrap();
    // The browser is told which credentials the account has, so it refuses to make a second
    // one on the same authenticator (the store refuses a credential id twice: store suite).
    let options = passkeys::registration_options(gatehouse, &ada.holder, &ada.browser, T0 + 42)
        .await
        .unwrap();
    let json: Value = serde_json::from_str(&options.options).unwrap();
    let excluded: Vec<&str> = json["publicKey"]["excludeCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(excluded.len(), 9);
    assert!(ids[1..].iter().all(|id| excluded.contains(&id.as_str())));
    assert!(!excluded.contains(&ids[0].as_str()));
}

#[tokio::test]
async fn adding_and_removing_a_passkey_need_a_fresh_session() {
    let flows = instance(&[]);
    let ada = sign_up(&flows, "ada@example.com").await;
    let gatehouse = &flows.gatehouse;
    let key = add_passkey(&flows, &ada, T0 + 20).await;
    drop(key);
    let mut stale = ada.holder.clone();
    stale.factor_verification_age = Some([11, -1].into());
    let err = passkeys::registration_options(gatehouse, &stale, &ada.browser, T0 + 30)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::SessionReverificationRequired);
    let listed = passkeys::list(gatehouse, &ada.holder, T0 + 30)
        .await
        .unwrap();
    let err = passkeys::remove(gatehouse, &stale, &listed[0].id, T0 + 30)
        .await
        .unwrap_err();
    assert!(err.first_error().code == ErrorCode::SessionReverificationRequired);
    assert_eq!(
        passkeys::list(gatehouse, &ada.holder, T0 + 31)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn parallel_answers_to_one_challenge_make_one_attempt() {
    let flows = instance(&[]);
    let ada = sign_up(&flows, "ada@example.com").await;
    let gatehouse = &flows.gatehouse;
    let mut key = add_passkey(&flows, &ada, T0 + 20).await;
    let browser = flows.client().await;
    let options = options(&flows, &browser, T0 + 30).await;
    let answer = get_assertion(&mut key, &options, ORIGIN, "localhost");
    let results = futures::future::join_all(
        (0..8).map(|_| passkeys::sign_in(gatehouse, &browser, &options.ceremony, &answer, T0 + 31)),
    )
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    let outcomes = futures::future::join_all(
        (0..4).map(|_| sign_in::finalize(gatehouse, &browser, None, T0 + 32)),
    )
    .await;
    assert_eq!(outcomes.iter().filter(|r| r.is_ok()).count(), 1);
}

#[tokio::test]
async fn a_user_with_an_authenticator_app_is_still_asked_for_its_code() {
    for (count_as_second_factor, expected) in [
        ("false", SignInStatus::NeedsSecondFactor),
        ("true", SignInStatus::Complete),
    ] {
        let flows = instance(&[(
            "GATEHOUSE_PASSKEYS__COUNT_AS_SECOND_FACTOR",
            count_as_second_factor,
        )]);
        let ada = sign_up(&flows, "ada@example.com").await;
        let gatehouse = &flows.gatehouse;
        let mut key = add_passkey(&flows, &ada, T0 + 20).await;
        let enrollment = mfa::start_enrollment(gatehouse, &ada.holder.user_id, &ada.email, T0 + 30)
            .await
            .unwrap();
        let totp = mfa::code_at(&enrollment.secret, T0 + 31).unwrap();
        mfa::confirm_enrollment(
            gatehouse,
            &ada.holder.user_id,
            &ada.email,
            &ada.holder.session_id,
            &totp,
            T0 + 31,
        )
        .await
        .unwrap();
        let browser = flows.client().await;
        let result = sign_in_with(&flows, &browser, &mut key, T0 + 100)
            .await
            .unwrap();
        assert_eq!(
            attempt_status(result),
            expected,
            "count_as_second_factor={count_as_second_factor}"
        );
    }
}

#[tokio::test]
async fn use_passkey_after_the_email_takes_only_that_accounts_passkey() {
    let flows = instance(&[("GATEHOUSE_CLIENT_TRUST__ENABLED", "true")]);
    let ada = sign_up(&flows, "ada@example.com").await;
    let gatehouse = &flows.gatehouse;
    let mut key = add_passkey(&flows, &ada, T0 + 20).await;
    let browser = flows.client().await;
    for (typed, works) in [
        ("bob@example.com", false),
        ("nobody@example.com", false),
        ("ADA@example.com", true),
    ] {
        let options = passkeys::sign_in_options(gatehouse, &browser, Some(typed), T0 + 30)
            .await
            .unwrap();
        let answer = get_assertion(&mut key, &options, ORIGIN, "localhost");
        let result =
            passkeys::sign_in(gatehouse, &browser, &options.ceremony, &answer, T0 + 31).await;
        if works {
            // Client trust is on and this browser is new: a passkey asks for no emailed code.
            assert_eq!(attempt_status(result.unwrap()), SignInStatus::Complete);
        } else {
            assert_eq!(code(result), ErrorCode::PasskeyNotRegistered, "{typed}");
        }
    }
}

#[tokio::test]
async fn passkeys_stay_off_on_an_ip_address_or_when_disabled() {
    for flows in [
        Flows::with_env(&[("GATEHOUSE_INSTANCE__PUBLIC_URL", "http://127.0.0.1:3000")]),
        instance(&[("GATEHOUSE_PASSKEYS__ENABLED", "false")]),
    ] {
        assert!(!flows.gatehouse.config.passkeys_available());
        let browser = flows.client().await;
        let err = passkeys::sign_in_options(&flows.gatehouse, &browser, None, T0)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::PasskeysNotEnabled);
    }
    assert!(instance(&[]).gatehouse.config.passkeys_available());
}

also_on_postgres!(
    a_passkey_is_added_then_signs_in_with_no_email_typed,
    a_challenge_is_single_use_for_its_browser_and_its_ceremony,
    a_counter_that_goes_backwards_flags_the_passkey,
    parallel_answers_to_one_challenge_make_one_attempt,
);
