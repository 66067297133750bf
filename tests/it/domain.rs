use gatehouse::{
    config::LockoutConfig,
    domain::{
        codes::{check_code, CodeState, CODE_TTL_SECONDS, MAX_WRONG_CODES, RESEND_AFTER_SECONDS},
        email::normalize_email,
        lockout::LockoutState,
        password::{validate_new_password, PasswordHasher},
        session::{derive_tasks, TaskFacts, TaskPolicy},
    },
    model::TaskKey,
};

const T0: i64 = 1_800_000_000;
const ATTEMPT: &str = "sua_test";

#[test]
fn a_code_is_accepted_once() {
    let state = CodeState::issue(ATTEMPT, "123456", T0);
    let first = check_code(&state, ATTEMPT, "123456", T0 + 1);
    assert!(first.verdict.is_ok());
    assert!(first.state.consumed);
    let again = check_code(&first.state, ATTEMPT, "123456", T0 + 2);
    assert_eq!(
        again.verdict.unwrap_err().code,
        "verification_already_verified"
    );
}

#[test]
fn a_code_expires_after_ten_minutes() {
    let state = CodeState::issue(ATTEMPT, "123456", T0);
    assert!(
        check_code(&state, ATTEMPT, "123456", T0 + CODE_TTL_SECONDS - 1)
            .verdict
            .is_ok()
    );
    let late = check_code(&state, ATTEMPT, "123456", T0 + CODE_TTL_SECONDS);
    assert_eq!(late.verdict.unwrap_err().code, "verification_expired");
}

#[test]
fn five_wrong_codes_are_incorrect_and_the_sixth_fails_the_verification() {
    let mut state = CodeState::issue(ATTEMPT, "123456", T0);
    for attempt in 1..=MAX_WRONG_CODES {
        let check = check_code(&state, ATTEMPT, "654321", T0 + 1);
        assert_eq!(
            check.verdict.unwrap_err().code,
            "form_code_incorrect",
            "try {attempt}"
        );
        state = check.state;
    }
    let sixth = check_code(&state, ATTEMPT, "654321", T0 + 1);
    assert_eq!(sixth.verdict.unwrap_err().code, "verification_failed");
    // Even the right code no longer works.
    let right = check_code(&sixth.state, ATTEMPT, "123456", T0 + 2);
    assert_eq!(right.verdict.unwrap_err().code, "verification_failed");
}

#[test]
fn malformed_codes_and_codes_of_other_attempts_are_incorrect() {
    let state = CodeState::issue(ATTEMPT, "123456", T0);
    for input in ["12345", "1234567", "abcdef", "", "12 456"] {
        assert_eq!(
            check_code(&state, ATTEMPT, input, T0)
                .verdict
                .unwrap_err()
                .code,
            "form_code_incorrect",
            "{input:?}"
        );
    }
    assert_eq!(
        check_code(&state, "sua_other", "123456", T0)
            .verdict
            .unwrap_err()
            .code,
        "form_code_incorrect"
    );
}

#[test]
fn resend_waits_thirty_seconds() {
    let state = CodeState::issue(ATTEMPT, "123456", T0);
    assert_eq!(state.resend_wait(T0), RESEND_AFTER_SECONDS);
    assert_eq!(state.resend_wait(T0 + 10), 20);
    assert_eq!(state.resend_wait(T0 + RESEND_AFTER_SECONDS), 0);
}

#[test]
fn lockout_after_ten_failures_for_one_hour() {
    let policy = LockoutConfig::default();
    let mut state = LockoutState::default();
    for _ in 0..9 {
        state = state.record_failure(&policy, T0);
        assert!(state.check(T0).is_ok());
    }
    state = state.record_failure(&policy, T0);
    let error = state.check(T0 + 60).unwrap_err();
    assert_eq!(error.code, "user_locked");
    assert_eq!(error.meta.lockout_expires_in_seconds, Some(3600 - 60));
    assert!(
        state.check(T0 + 3600).is_ok(),
        "the lock ends after an hour"
    );
    // After the lock expires the count starts afresh.
    let after = state.record_failure(&policy, T0 + 3600);
    assert_eq!(after.failed_attempts, 1);
    assert!(after.check(T0 + 3600).is_ok());
}

#[test]
fn tasks_are_derived_in_fixed_order() {
    let all = TaskFacts {
        password_reset_required: true,
        has_second_factor: false,
        has_active_organization: false,
    };
    let policy = TaskPolicy {
        mfa_required: true,
        organizations_required: true,
    };
    assert_eq!(
        derive_tasks(&all, policy),
        vec![
            TaskKey::ResetPassword,
            TaskKey::SetupMfa,
            TaskKey::ChooseOrganization
        ]
    );
    let done = TaskFacts {
        password_reset_required: false,
        has_second_factor: true,
        has_active_organization: true,
    };
    assert!(derive_tasks(&done, policy).is_empty());
    assert!(
        derive_tasks(&all, TaskPolicy::default()) == vec![TaskKey::ResetPassword],
        "policy off: only the flag"
    );
}

#[test]
fn emails_are_validated_and_normalised() {
    assert_eq!(
        normalize_email(" Ada@Example.COM ", "email_address").unwrap(),
        "ada@example.com"
    );
    for bad in [
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "a b@example.com",
        "ada@@example.com",
        "ada@exa_mple.com",
    ] {
        assert_eq!(
            normalize_email(bad, "email_address").unwrap_err().code,
            "form_param_format_invalid",
            "{bad}"
        );
    }
    assert_eq!(
        normalize_email("", "email_address").unwrap_err().code,
        "form_param_missing"
    );
    let long = format!("{}@example.com", "a".repeat(250));
    assert_eq!(
        normalize_email(&long, "email_address").unwrap_err().code,
        "form_param_max_length_exceeded"
    );
}

#[test]
fn password_rules() {
    assert_eq!(
        validate_new_password("short", true).unwrap_err().code,
        "form_password_length_too_short"
    );
    assert_eq!(
        validate_new_password(&"x".repeat(73), true)
            .unwrap_err()
            .code,
        "form_password_length_too_long"
    );
    assert_eq!(
        validate_new_password("Password123", true).unwrap_err().code,
        "form_password_pwned"
    );
    assert!(validate_new_password("Password123", false).is_ok());
    assert!(validate_new_password("correct-horse-battery", true).is_ok());
    assert!(
        validate_new_password(&"é".repeat(72), true).is_ok(),
        "length counts characters, not bytes"
    );
}

#[tokio::test]
async fn argon2_hashes_verify_and_unknown_users_never_match() {
    let hasher = PasswordHasher::new(2);
    let hash = hasher.hash("correct-horse-battery".into()).await.unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(hasher
        .verify("correct-horse-battery".into(), Some(hash.clone()))
        .await
        .unwrap());
    assert!(!hasher.verify("wrong".into(), Some(hash)).await.unwrap());
    assert!(!hasher
        .verify("correct-horse-battery".into(), None)
        .await
        .unwrap());
}

#[test]
fn a_sign_up_is_abandoned_after_24_hours() {
    use gatehouse::{
        domain::sign_up::{status_at, ABANDON_AFTER_SECONDS},
        model::SignUpStatus,
        store::SignUpRecord,
    };
    let record = SignUpRecord {
        id: ATTEMPT.into(),
        client_id: "client_1".into(),
        email: "a@example.com".into(),
        password_hash: "-".into(),
        first_name: None,
        last_name: None,
        status: SignUpStatus::MissingRequirements,
        existing_user_id: None,
        created_user_id: None,
        abandon_at: T0 + ABANDON_AFTER_SECONDS,
        code: CodeState::issue(ATTEMPT, "123456", T0),
    };
    assert_eq!(
        status_at(&record, T0 + ABANDON_AFTER_SECONDS - 1),
        SignUpStatus::MissingRequirements
    );
    assert_eq!(
        status_at(&record, T0 + ABANDON_AFTER_SECONDS),
        SignUpStatus::Abandoned
    );
    let complete = SignUpRecord {
        status: SignUpStatus::Complete,
        ..record
    };
    assert_eq!(
        status_at(&complete, T0 + 10 * ABANDON_AFTER_SECONDS),
        SignUpStatus::Complete
    );
}
