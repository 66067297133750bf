use gatehouse::{
    config::LockoutConfig,
    domain::{
        codes::{
            check_code, CodeState, CODE_TTL_SECONDS, MAX_RESENDS, MAX_WRONG_CODES,
            RESEND_AFTER_SECONDS,
        },
        email::normalize_email,
        lockout::{admit, lock_after, Admission, Reserved},
        password::{validate_new_password, PasswordHasher},
        session::{derive_tasks, TaskFacts, TaskPolicy},
        sign_in::{FirstFactorFacts, SecondFactorStrategy, SignIn},
    },
    model::{SignInStatus, TaskKey},
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
fn five_wrong_codes_end_the_verification_and_the_sixth_try_is_refused_even_if_right() {
    let mut state = CodeState::issue(ATTEMPT, "123456", T0);
    for attempt in 1..MAX_WRONG_CODES {
        let check = check_code(&state, ATTEMPT, "654321", T0 + 1);
        assert_eq!(
            check.verdict.unwrap_err().code,
            "form_code_incorrect",
            "try {attempt}"
        );
        state = check.state;
    }
    let fifth = check_code(&state, ATTEMPT, "654321", T0 + 1);
    assert_eq!(fifth.verdict.unwrap_err().code, "verification_failed");
    // The sixth try is refused, even with the right code.
    let right = check_code(&fifth.state, ATTEMPT, "123456", T0 + 2);
    assert_eq!(right.verdict.unwrap_err().code, "verification_failed");
}

#[test]
fn a_resend_waits_thirty_seconds_keeps_the_count_and_is_capped() {
    let mut state = CodeState::issue(ATTEMPT, "123456", T0);
    state = check_code(&state, ATTEMPT, "000000", T0 + 1).state;
    state = check_code(&state, ATTEMPT, "000000", T0 + 2).state;
    let early = state.resend(ATTEMPT, "111111", T0 + 29).unwrap_err();
    assert_eq!(early.code, "too_many_requests");
    assert_eq!(early.meta.retry_after_seconds, Some(1));
    let mut now = T0;
    for n in 1..=MAX_RESENDS {
        now += RESEND_AFTER_SECONDS;
        state = state.resend(ATTEMPT, "111111", now).unwrap();
        assert_eq!(state.resends, n);
        assert_eq!(state.failed_attempts, 2, "a resend never resets the count");
        assert_eq!(state.expires_at, now + CODE_TTL_SECONDS);
    }
    let capped = state
        .resend(ATTEMPT, "222222", now + RESEND_AFTER_SECONDS)
        .unwrap_err();
    assert_eq!(capped.code, "too_many_requests");
    // The resent code works; the old one does not.
    assert!(check_code(&state, ATTEMPT, "123456", now + 1)
        .verdict
        .is_err());
    assert!(check_code(&state, ATTEMPT, "111111", now + 1)
        .verdict
        .is_ok());
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
fn lockout_admission_as_a_table() {
    let policy = LockoutConfig::default();
    let lock = lock_after(&policy, T0);
    assert_eq!(lock, T0 + 3600);
    let reserved = |failed_attempts, locked_until| Reserved {
        failed_attempts,
        locked_until,
    };
    let cases = [
        // (counter after reserving, now, admission)
        (
            reserved(1, None),
            T0,
            Admission::Evaluate { locked_until: None },
        ),
        (
            reserved(9, None),
            T0,
            Admission::Evaluate { locked_until: None },
        ),
        // The 10th guess is evaluated; if wrong, the answer is user_locked.
        (
            reserved(10, Some(lock)),
            T0,
            Admission::Evaluate {
                locked_until: Some(lock),
            },
        ),
        // Beyond the maximum nothing is evaluated while the lock lasts.
        (
            reserved(11, Some(lock)),
            T0 + 60,
            Admission::Locked { seconds: 3540 },
        ),
        (
            reserved(500, Some(lock)),
            lock - 1,
            Admission::Locked { seconds: 1 },
        ),
    ];
    for (reserved, now, expected) in cases {
        assert_eq!(
            admit(reserved, &policy, now),
            expected,
            "{reserved:?} at {now}"
        );
    }
}

#[test]
fn sign_in_transitions_as_a_table() {
    let facts = |has_second_factor, untrusted_client| FirstFactorFacts {
        has_second_factor,
        untrusted_client,
    };
    // (second factor, new browser with client trust on, status after the password)
    for (has_second_factor, untrusted_client, status) in [
        (false, false, SignInStatus::Complete),
        (true, false, SignInStatus::NeedsSecondFactor),
        (false, true, SignInStatus::NeedsClientTrust),
        // MFA takes precedence over client trust.
        (true, true, SignInStatus::NeedsSecondFactor),
    ] {
        let state = SignIn::after_first_factor(
            &"user_1".into(),
            "a@example.com",
            facts(has_second_factor, untrusted_client),
            T0,
        );
        assert_eq!(
            state.status(),
            status,
            "{has_second_factor} {untrusted_client}"
        );
    }
    // Client trust: the emailed code completes the sign-in.
    let trust =
        SignIn::after_first_factor(&"user_1".into(), "a@example.com", facts(false, true), T0);
    assert_eq!(
        trust.clone().after_email_code().unwrap(),
        SignIn::Complete {
            user_id: "user_1".into(),
            first_factor_at: T0,
            second_factor_at: None,
            link: None,
            invitation: None,
        }
    );
    // Forgot password: code → new password → second factor (if any) → complete.
    let reset = SignIn::reset_requested(Some(&"user_1".into()), "a@example.com");
    assert_eq!(reset.status(), SignInStatus::NeedsFirstFactor);
    let new_password = reset.after_email_code().unwrap();
    assert_eq!(new_password.status(), SignInStatus::NeedsNewPassword);
    for (has_second_factor, status) in [
        (false, SignInStatus::Complete),
        (true, SignInStatus::NeedsSecondFactor),
    ] {
        let next = new_password
            .clone()
            .after_new_password(has_second_factor, T0 + 60)
            .unwrap();
        assert_eq!(next.status(), status);
    }
    // An email without an account: the same step, but no code can ever be right.
    let unknown = SignIn::reset_requested(None, "nobody@example.com");
    assert_eq!(unknown.status(), SignInStatus::NeedsFirstFactor);
    assert_eq!(
        unknown.after_email_code().unwrap_err().code,
        "form_code_incorrect"
    );
    // Steps cannot be skipped.
    assert!(
        SignIn::reset_requested(Some(&"user_1".into()), "a@example.com")
            .after_new_password(false, T0)
            .is_err()
    );
    assert!(trust.clone().after_second_factor(T0).is_err());
    let needs =
        SignIn::after_first_factor(&"user_1".into(), "a@example.com", facts(true, false), T0);
    assert_eq!(
        needs,
        SignIn::NeedsSecondFactor {
            user_id: "user_1".into(),
            identifier: "a@example.com".into(),
            first_factor_at: T0,
            strategies: vec![SecondFactorStrategy::Totp, SecondFactorStrategy::BackupCode],
            link: None,
            invitation: None,
        }
    );
    let complete = needs.after_second_factor(T0 + 20).unwrap();
    assert_eq!(
        complete,
        SignIn::Complete {
            user_id: "user_1".into(),
            first_factor_at: T0,
            second_factor_at: Some(T0 + 20),
            link: None,
            invitation: None,
        }
    );
    // A complete attempt cannot be verified again.
    assert_eq!(
        complete.after_second_factor(T0 + 30).unwrap_err().code,
        "verification_already_verified"
    );
    // The state survives the store's serialization unchanged.
    let needs =
        SignIn::after_first_factor(&"user_1".into(), "a@example.com", facts(true, false), T0);
    let json = serde_json::to_string(&needs).unwrap();
    assert!(json.contains("\"state\":\"needs_second_factor\""));
    assert_eq!(serde_json::from_str::<SignIn>(&json).unwrap(), needs);
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
        hash.expose().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        hash.expose()
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
fn sign_up_moves_through_its_states_and_is_abandoned_after_24_hours() {
    use gatehouse::{
        domain::sign_up::{SignUp, ABANDON_AFTER_SECONDS},
        model::{SignUpStatus, UserId},
    };
    let abandon_at = T0 + ABANDON_AFTER_SECONDS;
    let start = SignUp::NeedsEmailCode;
    assert_eq!(
        start.status_at(abandon_at, T0),
        SignUpStatus::MissingRequirements
    );
    assert_eq!(start.unverified_fields(), ["email_address"]);
    assert_eq!(
        start.status_at(abandon_at, abandon_at - 1),
        SignUpStatus::MissingRequirements
    );
    assert_eq!(
        start.status_at(abandon_at, abandon_at),
        SignUpStatus::Abandoned
    );
    // Finalize refuses an attempt whose email is not verified.
    let user_id = UserId::new("user_1");
    assert_eq!(
        start.clone().after_user_created(&user_id).unwrap_err().code,
        "sign_up_not_complete"
    );
    let complete = start.after_email_code(T0 + 5).unwrap();
    assert_eq!(
        complete,
        SignUp::Complete {
            email_verified_at: T0 + 5,
            invitation: None,
        }
    );
    assert!(complete.unverified_fields().is_empty());
    // A complete attempt is never abandoned, and its code cannot be verified twice.
    assert_eq!(
        complete.status_at(abandon_at, T0 + 10 * ABANDON_AFTER_SECONDS),
        SignUpStatus::Complete
    );
    assert_eq!(
        complete.clone().after_email_code(T0 + 6).unwrap_err().code,
        "verification_already_verified"
    );
    // It creates one user, once.
    let created = complete.after_user_created(&user_id).unwrap();
    assert_eq!(
        created,
        SignUp::UserCreated {
            user_id: user_id.clone(),
            email_verified_at: T0 + 5
        }
    );
    assert_eq!(created.status_at(abandon_at, T0), SignUpStatus::Complete);
    assert_eq!(
        created
            .clone()
            .after_user_created(&user_id)
            .unwrap_err()
            .code,
        "resource_not_found"
    );
    // The state survives the store's serialization unchanged.
    let json = serde_json::to_string(&created).unwrap();
    assert!(json.contains("\"state\":\"user_created\""));
    assert_eq!(serde_json::from_str::<SignUp>(&json).unwrap(), created);
}

mod totp {
    use gatehouse::domain::mfa::{
        check, code_at, matching_step, new_secret, otpauth_uri, qr_svg, TOTP_STEP_SECONDS,
    };

    const T0: i64 = 1_800_000_000; // a multiple of 30

    #[test]
    fn codes_are_accepted_within_one_step_of_now() {
        let secret = new_secret();
        let now = T0 + 10;
        let step = now / TOTP_STEP_SECONDS;
        for (offset, expected) in [
            (-1i64, Some(step - 1)),
            (0, Some(step)),
            (1, Some(step + 1)),
        ] {
            let code = code_at(&secret, now + offset * TOTP_STEP_SECONDS).unwrap();
            assert_eq!(
                matching_step(&secret, &code, now).unwrap(),
                expected,
                "offset {offset}"
            );
        }
        for offset in [-3i64, -2, 2, 3] {
            let code = code_at(&secret, now + offset * TOTP_STEP_SECONDS).unwrap();
            // A far code only matches if it happens to collide with a nearby one.
            let matched = matching_step(&secret, &code, now).unwrap();
            assert!(
                matched.is_none()
                    || code_at(&secret, matched.unwrap() * TOTP_STEP_SECONDS).unwrap() == code
            );
        }
        assert_eq!(matching_step(&secret, "12345", now).unwrap(), None);
        assert_eq!(matching_step(&secret, "abcdef", now).unwrap(), None);
    }

    #[test]
    fn a_code_is_accepted_once() {
        let secret = new_secret();
        let code = code_at(&secret, T0).unwrap();
        let step = check(&secret, None, &code, T0).unwrap();
        let replay = check(&secret, Some(step), &code, T0 + 5).unwrap_err();
        assert_eq!(replay.code, "form_code_incorrect");
        let older = code_at(&secret, T0 - TOTP_STEP_SECONDS).unwrap();
        assert!(
            check(&secret, Some(step), &older, T0).is_err(),
            "an older step is refused too"
        );
        let next = code_at(&secret, T0 + TOTP_STEP_SECONDS).unwrap();
        assert_eq!(
            check(&secret, Some(step), &next, T0 + TOTP_STEP_SECONDS).unwrap(),
            step + 1
        );
    }

    #[test]
    fn enrolment_material() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32, "160 bits in base32");
        let uri = otpauth_uri(&secret, "ada@example.com");
        assert!(
            uri.starts_with("otpauth://totp/Gatehouse%3Aada%40example.com?secret="),
            "{uri}"
        );
        assert!(uri.contains("algorithm=SHA1&digits=6&period=30"));
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<path d=\"M"));
    }
}

mod organizations {
    use gatehouse::{
        config::OrganizationsConfig,
        domain::organization::{permissions_for, validate},
        model::{is_valid_slug, suggest_slug},
    };

    #[test]
    fn slugs_are_suggested_and_validated() {
        assert_eq!(suggest_slug("Acme Rockets, Inc."), "acme-rockets-inc");
        assert_eq!(suggest_slug("  Été 2026 "), "t-2026");
        for good in ["acme", "acme-inc", "a1"] {
            assert!(is_valid_slug(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "Acme",
            "acme inc",
            "-acme",
            "acme-",
            "ac--me",
            &"a".repeat(65),
        ] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
        let error = validate("", "Bad Slug").unwrap_err();
        let codes: Vec<_> = error
            .errors()
            .iter()
            .map(|e| (e.code.as_str(), e.meta.param_name.as_deref()))
            .collect();
        assert_eq!(
            codes,
            [
                ("form_param_missing", Some("name")),
                ("form_param_format_invalid", Some("slug"))
            ]
        );
    }

    #[test]
    fn roles_carry_system_and_configured_permissions() {
        let mut config = OrganizationsConfig::default();
        config
            .roles
            .insert("org:admin".into(), vec!["org:reports:manage".into()]);
        config
            .roles
            .insert("org:billing".into(), vec!["org:invoices:read".into()]);
        let admin = permissions_for("org:admin", &config);
        assert_eq!(admin.len(), 10);
        assert!(admin.contains(&"org:sys_entconns:manage".to_string()));
        assert!(admin.contains(&"org:reports:manage".to_string()));
        assert_eq!(
            permissions_for("org:member", &config),
            ["org:sys_memberships:read", "org:sys_billing:read"]
        );
        assert_eq!(
            permissions_for("org:billing", &config),
            ["org:invoices:read"]
        );
        assert!(permissions_for("org:unknown", &config).is_empty());
    }
}
