//! Reverification and the account page's changes: Clerk's freshness rule as a truth table, its
//! 403 body, and the flows on the in-memory store (the clock a plain number), including the
//! lockout under parallel wrong answers.

use gatehouse::{
    domain::{
        account::{self, AccountHolder, ReverifyStrategy},
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
            requirement.is_fresh(*ages),
            *fresh,
            "{requirement:?} with {ages:?}"
        );
    }
    // What the prompt asks for.
    let needed = R::Preset(P::StrictMfa).needed(Some([30, 30]));
    assert!(needed.first && needed.second);
    let needed = R::Preset(P::Strict).needed(Some([30, 30]));
    assert!(!needed.first && needed.second, "the code, not the password");
    let needed = R::Preset(P::Strict).needed(Some([30, -1]));
    assert!(
        needed.first && !needed.second,
        "no second factor: the password"
    );
    assert!(custom(L::FirstFactor, 0).needed(Some([0, 0])).first);
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
async fn holder(
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
    assert_eq!(next.factor_verification_age, Some([0, -1]));
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
    let refused = account::delete_account(gatehouse, &stale)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::SessionReverificationRequired);

    let fresh = holder(&flows, &signed_up, T0 + 20).await;
    account::delete_account(gatehouse, &fresh).await.unwrap();
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
