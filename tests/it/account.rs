//! Reverification and the account page's changes: Clerk's freshness rule as a truth table, its
//! 403 body, and the flows on the in-memory store (the clock a plain number), including the
//! lockout under parallel wrong answers.

use gatehouse::{
    domain::{
        account::{self, AccountHolder, ReverifyStrategy},
        mfa,
        secret::Secret,
        session,
        tasks::NewPassword,
    },
    model::{
        ErrorCode, GatehouseError, Reverification as R, ReverificationLevel as L,
        ReverificationPreset as P,
    },
};

use crate::flows::{Flows, PASSWORD};

const T0: i64 = 1_800_000_000;

fn custom(level: L, after_minutes: u32) -> R {
    R::Custom {
        level,
        after_minutes,
    }
}

/// Clerk's rule: a factor is fresh iff `after_minutes > age`; `-1` = factor not enabled.
#[test]
fn reverification_truth_table() {
    let cases: &[(R, Option<[i64; 2]>, bool)] = &[
        // strict: second factor within 10 minutes, the first standing in when there is none.
        (R::Preset(P::Strict), Some([9, -1]), true),
        (R::Preset(P::Strict), Some([10, -1]), false),
        (R::Preset(P::Strict), Some([0, 9]), true),
        (R::Preset(P::Strict), Some([0, 10]), false),
        (R::Preset(P::Strict), Some([500, 3]), true),
        // strict_mfa: both.
        (R::Preset(P::StrictMfa), Some([3, 3]), true),
        (R::Preset(P::StrictMfa), Some([11, 3]), false),
        (R::Preset(P::StrictMfa), Some([3, 11]), false),
        (R::Preset(P::StrictMfa), Some([3, -1]), true),
        (R::Preset(P::StrictMfa), Some([-1, 3]), false),
        // moderate and lax.
        (R::Preset(P::Moderate), Some([59, -1]), true),
        (R::Preset(P::Moderate), Some([60, -1]), false),
        (R::Preset(P::Lax), Some([1439, -1]), true),
        (R::Preset(P::Lax), Some([1440, -1]), false),
        // custom first_factor ignores the second.
        (custom(L::FirstFactor, 1), Some([0, 99]), true),
        (custom(L::FirstFactor, 1), Some([1, 0]), false),
        (custom(L::FirstFactor, 5), Some([-1, 0]), false),
        (custom(L::SecondFactor, 5), Some([-1, 4]), true),
        (custom(L::MultiFactor, 5), Some([4, 4]), true),
        // Nothing known, or no factor at all: never fresh.
        (R::Preset(P::Lax), None, false),
        (R::Preset(P::Lax), Some([-1, -1]), false),
        (custom(L::FirstFactor, 10), Some([-1, -1]), false),
    ];
    for (requirement, ages, fresh) in cases {
        assert_eq!(
            requirement.is_fresh(ages.map(Into::into)),
            *fresh,
            "{requirement:?} with {ages:?}"
        );
    }
    // What the prompt asks for.
    let needed = R::Preset(P::StrictMfa).needed(Some([30, 30].into()));
    assert!(needed.first && needed.second);
    let needed = R::Preset(P::Strict).needed(Some([30, 30].into()));
    assert!(!needed.first && needed.second, "the code, not the password");
    let needed = R::Preset(P::Strict).needed(Some([30, -1].into()));
    assert!(
        needed.first && !needed.second,
        "no second factor: the password"
    );
    assert!(custom(L::FirstFactor, 0).needed(Some([0, 0].into())).first);
    assert!(!custom(L::FirstFactor, 0).is_valid());
    assert!(!custom(L::FirstFactor, 99_999).is_valid());
    assert!(custom(L::FirstFactor, 99_998).is_valid());
}

#[test]
fn a_reverification_error_is_clerks_exact_403_body_and_reads_back() {
    let error: GatehouseError =
        gatehouse::model::AuthError::reverification_required(R::Preset(P::Strict)).into();
    assert_eq!(error.http_status(), 403);
    assert_eq!(
        serde_json::to_string(&error).unwrap(),
        r#"{"clerk_error":{"type":"forbidden","reason":"reverification-error","metadata":{"reverification":"strict"}}}"#
    );
    let back: GatehouseError =
        serde_json::from_str(&serde_json::to_string(&error).unwrap()).unwrap();
    assert_eq!(back.reverification_required(), Some(R::Preset(P::Strict)));
    let custom_error: GatehouseError =
        gatehouse::model::AuthError::reverification_required(custom(L::FirstFactor, 1)).into();
    assert_eq!(
        serde_json::to_string(&custom_error).unwrap(),
        r#"{"clerk_error":{"type":"forbidden","reason":"reverification-error","metadata":{"reverification":{"level":"first_factor","afterMinutes":1}}}}"#
    );
    // Every other error keeps Clerk's envelope.
    let other: GatehouseError = gatehouse::model::AuthError::unauthorized().into();
    assert!(serde_json::to_string(&other)
        .unwrap()
        .starts_with(r#"{"errors":["#));
    assert_eq!(other.reverification_required(), None);
}

/// The signed-up user's holder at `now` (the session resolved as a request would).
pub(crate) async fn holder(
    flows: &Flows,
    outcome: &gatehouse::domain::outcome::Outcome,
    now: i64,
) -> AccountHolder {
    let resolved = session::resolve(
        flows.gatehouse.store.as_ref(),
        &flows.gatehouse.config,
        outcome.cookie.as_ref(),
        now,
    )
    .await
    .unwrap();
    AccountHolder::of(&resolved.snapshot).unwrap()
}

fn new_password(password: &str) -> NewPassword {
    NewPassword {
        new_password: Secret::new(password.to_string()),
        confirm_password: Secret::new(password.to_string()),
        sign_out_of_other_sessions: true,
    }
}

#[tokio::test]
async fn a_stale_session_changes_its_password_only_after_reverifying() {
    let flows = Flows::new();
    let gatehouse = &flows.gatehouse;
    let signed_up = flows.sign_up("ada@example.com", T0).await;

    // Just signed in: fresh for `strict` (10 minutes, password standing in for the second factor).
    let fresh = holder(&flows, &signed_up, T0 + 60).await;
    account::change_password(gatehouse, &fresh, new_password("a-new-password-1"), T0 + 60)
        .await
        .unwrap();

    // Ten minutes after the first factor: refused with Clerk's reverification error.
    let mut stale = holder(&flows, &signed_up, T0 + 11 + 600).await;
    let refused = account::change_password(
        gatehouse,
        &stale,
        new_password("a-new-password-2"),
        T0 + 611,
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused.reverification_required(),
        Some(R::Preset(P::Strict))
    );

    // A wrong password is refused next to its field; the right one makes the session fresh.
    let wrong = account::reverify(
        gatehouse,
        &mut stale,
        ReverifyStrategy::Password,
        Secret::new("not-it".into()),
        T0 + 612,
    )
    .await
    .unwrap_err();
    assert_eq!(wrong.code, ErrorCode::FormPasswordIncorrect);
    account::reverify(
        gatehouse,
        &mut stale,
        ReverifyStrategy::Password,
        Secret::new("a-new-password-1".into()),
        T0 + 613,
    )
    .await
    .unwrap();
    account::change_password(
        gatehouse,
        &stale,
        new_password("a-new-password-2"),
        T0 + 614,
    )
    .await
    .unwrap();
    // The next request sees the fresh age too.
    let next = holder(&flows, &signed_up, T0 + 620).await;
    assert_eq!(next.factor_verification_age, Some([0, -1].into()));
}

#[tokio::test]
async fn parallel_wrong_reverifications_get_at_most_the_lockout_allowance() {
    let flows = Flows::new();
    let gatehouse = flows.gatehouse.clone();
    let signed_up = flows.sign_up("grace@example.com", T0).await;
    let stale = holder(&flows, &signed_up, T0 + 3600).await;
    let attempts = (0..40).map(|_| {
        let gatehouse = gatehouse.clone();
        let mut holder = stale.clone();
        tokio::spawn(async move {
            account::reverify(
                &gatehouse,
                &mut holder,
                ReverifyStrategy::Password,
                Secret::new("wrong-password".into()),
                T0 + 3600,
            )
            .await
            .unwrap_err()
            .code
        })
    });
    let mut incorrect = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            ErrorCode::FormPasswordIncorrect => incorrect += 1,
            ErrorCode::UserLocked => {}
            other => panic!("unexpected {other}"),
        }
    }
    let max = i64::from(gatehouse.config.lockout.max_attempts);
    assert!(incorrect < max, "{incorrect} evaluated wrong answers");
    // Locked now: even the right password is refused.
    let mut holder = stale.clone();
    let locked = account::reverify(
        &gatehouse,
        &mut holder,
        ReverifyStrategy::Password,
        Secret::new(PASSWORD.into()),
        T0 + 3601,
    )
    .await
    .unwrap_err();
    assert_eq!(locked.code, ErrorCode::UserLocked);
}

#[tokio::test]
async fn deleting_the_account_ends_every_session_and_needs_reverification() {
    let flows = Flows::new();
    let gatehouse = &flows.gatehouse;
    let signed_up = flows.sign_up("lin@example.com", T0).await;
    let stale = holder(&flows, &signed_up, T0 + 3600).await;
    let refused = account::delete_account(gatehouse, &stale, T0 + 5)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::SessionReverificationRequired);

    let fresh = holder(&flows, &signed_up, T0 + 20).await;
    account::delete_account(gatehouse, &fresh, T0 + 5)
        .await
        .unwrap();
    assert!(gatehouse
        .store
        .find_user_by_email("lin@example.com")
        .await
        .unwrap()
        .is_none());
    let after = session::resolve(
        gatehouse.store.as_ref(),
        &gatehouse.config,
        signed_up.cookie.as_ref(),
        T0 + 21,
    )
    .await
    .unwrap();
    assert!(after.snapshot.session_id.is_none(), "signed out");
}

#[tokio::test]
async fn names_are_validated_and_saved() {
    let flows = Flows::new();
    let gatehouse = &flows.gatehouse;
    let signed_up = flows.sign_up("mo@example.com", T0).await;
    let fresh = holder(&flows, &signed_up, T0 + 20).await;
    let bad = account::update_name(
        gatehouse,
        &fresh,
        Some("Mo\u{7}".into()),
        Some("x".repeat(101)),
        T0 + 21,
    )
    .await
    .unwrap_err();
    let fields: Vec<_> = bad.errors().iter().map(|e| e.field()).collect();
    assert_eq!(
        fields,
        [Some("firstName".to_string()), Some("lastName".to_string())]
    );
    account::update_name(gatehouse, &fresh, Some(" Mo ".into()), None, T0 + 22)
        .await
        .unwrap();
    let users = gatehouse.store.list_users().await.unwrap();
    assert_eq!(users[0].first_name.as_deref(), Some("Mo"));
    assert_eq!(users[0].last_name, None);
}

#[tokio::test]
async fn an_authenticator_app_is_added_its_codes_regenerated_and_removed_each_after_reverification()
{
    let flows = Flows::new();
    let gatehouse = &flows.gatehouse;
    let signed_up = flows.sign_up("kay@example.com", T0).await;

    let stale = holder(&flows, &signed_up, T0 + 3600).await;
    let refused = account::add_totp(gatehouse, &stale, T0 + 3600)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::SessionReverificationRequired);
    assert!(gatehouse
        .store
        .totp_factor(&stale.user_id)
        .await
        .unwrap()
        .is_none());

    // Fresh: the secret, then the app's first code turns it on and gives 10 backup codes.
    let fresh = holder(&flows, &signed_up, T0 + 20).await;
    let enrollment = account::add_totp(gatehouse, &fresh, T0 + 20).await.unwrap();
    assert!(enrollment.qr_svg.starts_with("<svg"));
    let first_code = mfa::code_at(&enrollment.secret, T0 + 30).unwrap();
    let first_codes = account::confirm_totp(gatehouse, &fresh, &first_code, T0 + 30)
        .await
        .unwrap();
    assert_eq!(first_codes.len(), 10);
    // Enrolling never counts as verifying: the new factor is stale for this session (never
    // "-1", which would let the fresh password stand in for it).
    let mut on = holder(&flows, &signed_up, T0 + 40).await;
    let [first_age, second_age]: [i64; 2] = on.factor_verification_age.unwrap().into();
    assert_eq!(first_age, 0);
    assert!(second_age >= 10, "second factor age {second_age}");
    let facts = account::facts(gatehouse, &on).await.unwrap();
    assert!(facts.second_factor_enabled);
    assert_eq!(facts.unused_backup_codes, 10);

    // Regenerating needs a fresh second factor, verified with the prompt; the old codes stop
    // working, the new ones work.
    let refused = account::regenerate_backup_codes(gatehouse, &on, T0 + 40)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::SessionReverificationRequired);
    let code = mfa::code_at(&enrollment.secret, T0 + 60).unwrap();
    account::reverify(
        gatehouse,
        &mut on,
        ReverifyStrategy::Totp,
        Secret::new(code),
        T0 + 60,
    )
    .await
    .unwrap();
    let stale = holder(&flows, &signed_up, T0 + 60 + 600).await;
    let refused = account::regenerate_backup_codes(gatehouse, &stale, T0 + 660)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::SessionReverificationRequired);
    let new_codes = account::regenerate_backup_codes(gatehouse, &on, T0 + 60)
        .await
        .unwrap();
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|code| !first_codes.contains(code)));
    let mut reverifying = holder(&flows, &signed_up, T0 + 700).await;
    let old = account::reverify(
        gatehouse,
        &mut reverifying,
        ReverifyStrategy::BackupCode,
        Secret::new(first_codes[0].clone()),
        T0 + 700,
    )
    .await
    .unwrap_err();
    assert_eq!(old.code, ErrorCode::FormCodeIncorrect);
    account::reverify(
        gatehouse,
        &mut reverifying,
        ReverifyStrategy::BackupCode,
        Secret::new(new_codes[0].clone()),
        T0 + 701,
    )
    .await
    .unwrap();

    // An instance that requires two-step verification keeps it.
    let mut required = gatehouse.clone();
    let mut config = (*required.config).clone();
    config.mfa.required = true;
    required.config = std::sync::Arc::new(config);
    let kept = account::remove_totp(&required, &reverifying, T0 + 702)
        .await
        .unwrap_err();
    assert_eq!(kept.code, ErrorCode::MfaRequired);

    // Removed: the second factor is "not enabled" again (-1) and sign-in needs only the password.
    account::remove_totp(gatehouse, &reverifying, T0 + 702)
        .await
        .unwrap();
    let off = holder(&flows, &signed_up, T0 + 703).await;
    assert_eq!(off.factor_verification_age, Some([11, -1].into()));
    let facts = account::facts(gatehouse, &off).await.unwrap();
    assert!(!facts.second_factor_enabled);
    assert_eq!(facts.unused_backup_codes, 0);
}

#[tokio::test]
async fn active_devices_list_every_session_and_only_the_users_other_ones_can_be_revoked() {
    let flows = Flows::new();
    let gatehouse = &flows.gatehouse;
    let here = flows.sign_up("ida@example.com", T0).await;
    let (laptop, elsewhere) = flows.sign_in("ida@example.com", T0 + 100).await;
    let stranger = flows.sign_up("sam@example.com", T0 + 200).await;
    let stranger_session = stranger.snapshot.session_id.clone().unwrap();
    let laptop_session = elsewhere.snapshot.session_id.clone().unwrap();

    // The laptop's browser reported itself; this browser did not yet.
    let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let resolved = session::reload(
        gatehouse.store.as_ref(),
        &gatehouse.config,
        &laptop,
        T0 + 150,
    )
    .await
    .unwrap();
    assert!(session::activity_due(&resolved, T0 + 150), "never recorded");
    let activity = gatehouse::domain::ports::ClientActivity {
        user_agent: Some(chrome.into()),
        ip_address: Some("203.0.113.7".into()),
    };
    session::record_activity(gatehouse.store.as_ref(), &laptop, activity, T0 + 150)
        .await
        .unwrap();
    let resolved = session::reload(
        gatehouse.store.as_ref(),
        &gatehouse.config,
        &laptop,
        T0 + 209,
    )
    .await
    .unwrap();
    assert!(
        !session::activity_due(&resolved, T0 + 209),
        "recorded 59 s ago"
    );
    assert!(session::activity_due(&resolved, T0 + 210), "a minute later");

    let fresh = holder(&flows, &here, T0 + 300).await;
    let devices = account::active_devices(gatehouse, &fresh, T0 + 300)
        .await
        .unwrap();
    let listed: Vec<(&str, Option<&str>, i64, bool)> = devices
        .iter()
        .map(|d| {
            (
                d.browser.as_str(),
                d.ip_address.as_deref(),
                d.last_active_at,
                d.this_device,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("Chrome on Linux", Some("203.0.113.7"), T0 + 150, false),
            ("Unknown browser", None, T0 + 11, true),
        ]
    );
    assert!(devices.iter().all(|d| d.session_id != stranger_session));

    // Stale: reverification first. Someone else's session, or a made-up one: not found, and
    // nothing ends. This browser's own session ends with "Sign out", not here.
    let stale = holder(&flows, &here, T0 + 3600).await;
    let refused = account::revoke_session(gatehouse, &stale, &laptop_session, T0 + 3600)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::SessionReverificationRequired);
    for other in [
        stranger_session.clone(),
        gatehouse::model::SessionId::new("sess_madeup"),
    ] {
        let refused = account::revoke_session(gatehouse, &fresh, &other, T0 + 301)
            .await
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::NotFound);
    }
    let own = account::revoke_session(gatehouse, &fresh, &fresh.session_id, T0 + 301)
        .await
        .unwrap_err();
    assert_eq!(own.code, ErrorCode::RequestInvalid);
    let stranger_now = holder(&flows, &stranger, T0 + 302).await;
    assert_eq!(stranger_now.session_id, stranger_session, "still signed in");

    account::revoke_session(gatehouse, &fresh, &laptop_session, T0 + 302)
        .await
        .unwrap();
    let laptop_now = session::resolve(
        gatehouse.store.as_ref(),
        &gatehouse.config,
        elsewhere.cookie.as_ref(),
        T0 + 303,
    )
    .await
    .unwrap();
    assert!(
        laptop_now.snapshot.session_id.is_none(),
        "signed out on its next request"
    );
    let left = account::active_devices(gatehouse, &fresh, T0 + 303)
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].this_device);
}

#[test]
fn user_agents_and_last_activity_read_as_people_say_them() {
    let cases = [
        (Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"), "Edge on Windows"),
        (Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"), "Safari on macOS"),
        (Some("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"), "Firefox on Linux"),
        (Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1"), "Chrome on iOS"),
        (Some("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"), "Chrome on Android"),
        (Some("curl/8.5.0"), "curl"),
        (Some("   "), "Unknown browser"),
        (None, "Unknown browser"),
    ];
    for (agent, expected) in cases {
        assert_eq!(account::describe_user_agent(agent), expected, "{agent:?}");
    }
    let ages = [
        (0, "just now"),
        (59, "just now"),
        (60, "1 minute ago"),
        (59 * 60, "59 minutes ago"),
        (3600, "1 hour ago"),
        (23 * 3600 + 3599, "23 hours ago"),
        (2 * 86_400, "2 days ago"),
        (-30, "just now"),
    ];
    for (age, expected) in ages {
        assert_eq!(
            account::describe_last_active(T0 - age, T0),
            expected,
            "{age}"
        );
    }
}

/// A user who signed up with SSO (no password) and their session on a new browser at `now`.
async fn passwordless_user(
    flows: &Flows,
    email: &str,
    now: i64,
) -> gatehouse::domain::outcome::Outcome {
    let gatehouse = &flows.gatehouse;
    let user_id = gatehouse
        .store
        .create_user(
            gatehouse::domain::ports::NewUser {
                email,
                password_hash: None,
                first_name: None,
                last_name: None,
            },
            now,
        )
        .await
        .unwrap()
        .unwrap();
    let browser = flows.client().await;
    session::finalize(
        gatehouse,
        session::FinalizeRequest {
            client_id: &browser,
            user_id: &user_id,
            first_factor_at: now,
            second_factor_at: None,
            redirect_url: None,
            fallback_url: "/",
            organization: None,
        },
        now,
    )
    .await
    .unwrap()
}

/// The emailed code, once the background send has written it to the outbox.
async fn emailed_code(flows: &Flows, to: &str) -> String {
    for _ in 0..200 {
        if let Some(code) = flows.mailed_code(to) {
            return code;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no code was emailed to {to}");
}

#[tokio::test]
async fn a_user_without_a_password_reverifies_with_an_emailed_code() {
    let flows = Flows::new();
    let gatehouse = &flows.gatehouse;
    let signed_in = passwordless_user(&flows, "sso@example.com", T0).await;
    let mut stale = holder(&flows, &signed_in, T0 + 11 * 60).await;
    let refused = account::delete_account(gatehouse, &stale, T0 + 5)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::SessionReverificationRequired);
    // There is no password to ask for.
    let wrong = account::reverify(
        gatehouse,
        &mut stale,
        ReverifyStrategy::Password,
        Secret::new(PASSWORD.into()),
        T0 + 661,
    )
    .await
    .unwrap_err();
    assert_eq!(wrong.code, ErrorCode::FormPasswordIncorrect);

    // Before a code is sent, none can match (and that is not counted as a guess).
    let early = account::reverify(
        gatehouse,
        &mut stale,
        ReverifyStrategy::EmailCode,
        Secret::new("123456".into()),
        T0 + 662,
    )
    .await
    .unwrap_err();
    assert_eq!(early.code, ErrorCode::ResourceNotFound);

    account::send_reverification_code(gatehouse, &stale, T0 + 663)
        .await
        .unwrap();
    let code = emailed_code(&flows, "sso@example.com").await;
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let wrong = account::reverify(
        gatehouse,
        &mut stale,
        ReverifyStrategy::EmailCode,
        Secret::new(wrong_code.into()),
        T0 + 664,
    )
    .await
    .unwrap_err();
    assert_eq!(wrong.code, ErrorCode::FormCodeIncorrect);
    assert_eq!(wrong.field().as_deref(), Some("code"));
    // Resending within 30 seconds is refused; the code stays the same.
    let early_resend = account::send_reverification_code(gatehouse, &stale, T0 + 665)
        .await
        .unwrap_err();
    assert_eq!(early_resend.code, ErrorCode::TooManyRequests);

    account::reverify(
        gatehouse,
        &mut stale,
        ReverifyStrategy::EmailCode,
        Secret::new(code.clone()),
        T0 + 666,
    )
    .await
    .unwrap();
    assert_eq!(stale.factor_verification_age, Some([0, -1].into()));
    // Used once.
    let again = account::reverify(
        gatehouse,
        &mut stale,
        ReverifyStrategy::EmailCode,
        Secret::new(code),
        T0 + 667,
    )
    .await
    .unwrap_err();
    assert_eq!(again.code, ErrorCode::VerificationAlreadyVerified);
    account::delete_account(gatehouse, &stale, T0 + 5)
        .await
        .unwrap();

    // A user with a password re-verifies with it, not by email.
    let with_password = flows.sign_up("pw@example.com", T0).await;
    let holder = holder(&flows, &with_password, T0 + 20).await;
    let refused = account::send_reverification_code(gatehouse, &holder, T0 + 21)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::RequestInvalid);
}

#[tokio::test]
async fn parallel_wrong_emailed_codes_get_five_tries_between_them() {
    let flows = Flows::new();
    let gatehouse = flows.gatehouse.clone();
    let signed_in = passwordless_user(&flows, "tries@example.com", T0).await;
    let stale = holder(&flows, &signed_in, T0 + 11 * 60).await;
    account::send_reverification_code(&gatehouse, &stale, T0 + 661)
        .await
        .unwrap();
    let code = emailed_code(&flows, "tries@example.com").await;
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let tries = (0..8).map(|_| {
        let (gatehouse, mut holder) = (gatehouse.clone(), stale.clone());
        tokio::spawn(async move {
            account::reverify(
                &gatehouse,
                &mut holder,
                ReverifyStrategy::EmailCode,
                Secret::new(wrong_code.into()),
                T0 + 662,
            )
            .await
            .unwrap_err()
            .code
        })
    });
    let mut codes = Vec::new();
    for try_ in tries {
        codes.push(try_.await.unwrap());
    }
    let incorrect = codes
        .iter()
        .filter(|code| **code == ErrorCode::FormCodeIncorrect)
        .count();
    // Five tries are evaluated: four answer "incorrect", the fifth spends the code
    // (`verification_failed`), and the other three are refused without being evaluated.
    assert_eq!(incorrect, 4, "{codes:?}");
    assert!(
        codes.iter().all(|code| matches!(
            code,
            ErrorCode::FormCodeIncorrect | ErrorCode::VerificationFailed
        )),
        "{codes:?}"
    );
    // The code is spent: even the right one is refused now.
    let mut holder = stale.clone();
    let spent = account::reverify(
        &gatehouse,
        &mut holder,
        ReverifyStrategy::EmailCode,
        Secret::new(code),
        T0 + 663,
    )
    .await
    .unwrap_err();
    assert_eq!(spent.code, ErrorCode::VerificationFailed);
}

crate::flows::also_on_postgres!(
    a_stale_session_changes_its_password_only_after_reverifying,
    parallel_wrong_reverifications_get_at_most_the_lockout_allowance,
    deleting_the_account_ends_every_session_and_needs_reverification,
    names_are_validated_and_saved,
    an_authenticator_app_is_added_its_codes_regenerated_and_removed_each_after_reverification,
    active_devices_list_every_session_and_only_the_users_other_ones_can_be_revoked,
    a_user_without_a_password_reverifies_with_an_emailed_code,
    parallel_wrong_emailed_codes_get_five_tries_between_them,
);
