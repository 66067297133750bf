use gatehouse::model::{
    decorate_url, encode_query_component, AuthError, AuthSnapshot, DecoratedUrl, GatehouseError,
    HasParams, SessionStatus, TaskKey, UserSummary,
};

#[test]
fn field_names_are_camel_case() {
    let error = AuthError::param_missing("email_address");
    assert_eq!(error.field().as_deref(), Some("emailAddress"));
    let all: GatehouseError = error.into();
    assert!(all.field("emailAddress").is_some());
    assert!(
        all.global().is_empty(),
        "field errors hide global ones, as in Clerk"
    );
}

#[test]
fn wire_format_matches_clerk() {
    let error: GatehouseError = AuthError::user_locked(3600).into();
    let json = serde_json::to_value(&error).unwrap();
    assert_eq!(json["errors"][0]["code"], "user_locked");
    assert_eq!(
        json["errors"][0]["meta"]["lockout_expires_in_seconds"],
        3600
    );
    assert!(json["errors"][0]["long_message"]
        .as_str()
        .unwrap()
        .contains("You can try again in 60 minutes."));
    assert_eq!(error.http_status(), 403);
    assert_eq!(
        GatehouseError::from(AuthError::password_incorrect()).http_status(),
        422
    );
    assert_eq!(
        GatehouseError::from(AuthError::verification_failed()).http_status(),
        400
    );
    assert_eq!(
        GatehouseError::from(AuthError::unauthorized()).http_status(),
        401
    );
}

const ORIGIN: &str = "http://127.0.0.1:3000";

fn decorate(target: &str) -> DecoratedUrl {
    decorate_url(
        target,
        ORIGIN,
        &["https://app.example".to_string()],
        "/dashboard",
    )
}

#[test]
fn redirect_rule_keeps_relative_paths_relative() {
    assert_eq!(
        decorate("/orgs/acme?tab=1"),
        DecoratedUrl::Relative("/orgs/acme?tab=1".into())
    );
    assert_eq!(
        decorate("http://127.0.0.1:3000/a"),
        DecoratedUrl::Relative("/a".into())
    );
}

#[test]
fn redirect_rule_refuses_other_origins_and_schemes() {
    for target in [
        "//evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
        "http://app.example@evil.example/",
        "https://app.example.evil.example/",
        "data:text/html,hi",
        " /dashboard",
        "",
    ] {
        assert_eq!(
            decorate(target),
            DecoratedUrl::Relative("/dashboard".into()),
            "{target:?}"
        );
    }
}

#[test]
fn redirect_rule_allows_authorized_parties_as_absolute() {
    assert_eq!(
        decorate("https://app.example/x"),
        DecoratedUrl::Absolute("https://app.example/x".into())
    );
}

#[test]
fn query_components_are_encoded() {
    assert_eq!(encode_query_component("/a b?c=d&e"), "%2Fa%20b%3Fc%3Dd%26e");
}

fn pending() -> AuthSnapshot {
    AuthSnapshot {
        session_id: Some("sess_1".into()),
        session_status: Some(SessionStatus::Pending),
        tasks: vec![TaskKey::ChooseOrganization],
        user: Some(UserSummary {
            id: "user_1".into(),
            email_address: "a@example.com".into(),
            first_name: None,
            last_name: None,
            password_enabled: true,
        }),
        ..AuthSnapshot::default()
    }
}

#[test]
fn pending_is_signed_out_by_default_but_keeps_status_and_task() {
    let auth = pending().auth(true);
    assert_eq!(auth.user_id, None);
    assert_eq!(auth.session_id, None);
    assert_eq!(auth.session_status, Some(SessionStatus::Pending));
    assert_eq!(auth.current_task, Some(TaskKey::ChooseOrganization));
    assert!(!auth.is_signed_in());
    let counted = pending().auth(false);
    assert!(counted.is_signed_in());
    assert_eq!(
        counted.user_id.as_ref().map(|id| id.as_str()),
        Some("user_1")
    );
}

#[test]
fn is_signed_in_answers_what_the_auth_object_would() {
    let active = AuthSnapshot {
        session_status: Some(SessionStatus::Active),
        tasks: Vec::new(),
        ..pending()
    };
    let without_user = AuthSnapshot {
        user: None,
        ..active.clone()
    };
    for snapshot in [AuthSnapshot::signed_out(), pending(), active, without_user] {
        for treat in [true, false] {
            assert_eq!(
                snapshot.is_signed_in(treat),
                snapshot.auth(treat).is_signed_in(),
                "{snapshot:?}, treat_pending_as_signed_out: {treat}"
            );
        }
    }
}

#[test]
fn has_is_false_when_signed_out_or_asked_nothing() {
    assert!(!AuthSnapshot::signed_out().auth(true).has(&HasParams {
        role: Some("org:admin".into()),
        permission: None,
        reverification: None,
    }));
    assert!(!pending().auth(false).has(&HasParams::default()));
    let mut admin = pending();
    admin.session_status = Some(SessionStatus::Active);
    admin.tasks.clear();
    admin.org_id = Some("org_1".into());
    admin.org_role = Some("org:admin".into());
    admin.org_permissions = vec!["org:sys_memberships:manage".into()];
    let auth = admin.auth(true);
    assert!(
        auth.has(&HasParams {
            role: Some("admin".into()),
            permission: None,
            reverification: None,
        }),
        "admin ≡ org:admin"
    );
    assert!(auth.has(&HasParams {
        role: Some("org:admin".into()),
        permission: Some("org:sys_memberships:manage".into()),
        reverification: None,
    }));
    assert!(
        !auth.has(&HasParams {
            role: Some("org:admin".into()),
            permission: Some("org:other:x".into()),
            reverification: None,
        }),
        "AND over what is asked"
    );
}

#[test]
fn task_keys_round_trip_in_fixed_order() {
    let keys: Vec<&str> = TaskKey::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(keys, ["reset-password", "setup-mfa", "choose-organization"]);
    for task in TaskKey::ALL {
        assert_eq!(TaskKey::parse(task.as_str()), Some(task));
    }
    assert_eq!(TaskKey::parse("nope"), None);
}

/// `has()` over every kind of caller: signed out, pending (both settings), member, admin, custom.
#[test]
fn has_truth_table() {
    let role = |r: &str| HasParams {
        role: Some(r.into()),
        permission: None,
        reverification: None,
    };
    let perm = |p: &str| HasParams {
        role: None,
        permission: Some(p.into()),
        reverification: None,
    };
    let in_org = |role: &str, permissions: &[&str], status: SessionStatus| {
        let mut snapshot = pending();
        snapshot.session_status = Some(status);
        snapshot.tasks = if status == SessionStatus::Pending {
            vec![TaskKey::ResetPassword]
        } else {
            vec![]
        };
        snapshot.org_id = Some("org_1".into());
        snapshot.org_role = Some(role.into());
        snapshot.org_permissions = permissions.iter().map(|p| p.to_string()).collect();
        snapshot
    };
    let member = in_org(
        "org:member",
        &["org:sys_memberships:read", "org:reports:read"],
        SessionStatus::Active,
    );
    let admin = in_org(
        "org:admin",
        &["org:sys_memberships:manage"],
        SessionStatus::Active,
    );
    let pending_admin = in_org(
        "org:admin",
        &["org:sys_memberships:manage"],
        SessionStatus::Pending,
    );
    let signed_out = AuthSnapshot::signed_out();
    let cases: Vec<(&str, &AuthSnapshot, bool, HasParams, bool)> = vec![
        (
            "signed out, role",
            &signed_out,
            true,
            role("org:admin"),
            false,
        ),
        (
            "signed out, nothing",
            &signed_out,
            true,
            HasParams::default(),
            false,
        ),
        (
            "pending (default), role",
            &pending_admin,
            true,
            role("org:admin"),
            false,
        ),
        (
            "pending (counted), role",
            &pending_admin,
            false,
            role("admin"),
            true,
        ),
        (
            "member, member role",
            &member,
            true,
            role("org:member"),
            true,
        ),
        (
            "member, admin role",
            &member,
            true,
            role("org:admin"),
            false,
        ),
        (
            "member, custom permission",
            &member,
            true,
            perm("org:reports:read"),
            true,
        ),
        (
            "member, missing permission",
            &member,
            true,
            perm("org:reports:manage"),
            false,
        ),
        ("admin, short role name", &admin, true, role("admin"), true),
        (
            "admin, nothing asked",
            &admin,
            true,
            HasParams::default(),
            false,
        ),
    ];
    for (name, snapshot, treat_pending_as_signed_out, params, expected) in cases {
        assert_eq!(
            snapshot.auth(treat_pending_as_signed_out).has(&params),
            expected,
            "{name}"
        );
    }
}

/// The wire names read by hand (a table each, not serde's generated matches) read back what they
/// write, in JSON and in the config's TOML, and refuse any other name.
#[test]
fn hand_written_wire_names_round_trip() {
    use gatehouse::model::{ErrorCode, Notice, SignInStatus, SignUpStatus};

    for code in ErrorCode::ALL {
        let json = serde_json::to_string(code).unwrap();
        assert_eq!(json, format!("\"{}\"", code.as_str()));
        assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *code);
    }
    assert_eq!(
        serde_json::from_str::<ErrorCode>("\"a_code_from_a_newer_server\"").unwrap(),
        ErrorCode::Unknown
    );
    for status in [SessionStatus::Active, SessionStatus::Pending] {
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(
            serde_json::from_str::<SessionStatus>(&json).unwrap(),
            status
        );
    }
    assert!(serde_json::from_str::<SessionStatus>("\"Active\"").is_err());
    for task in TaskKey::ALL {
        assert_eq!(
            serde_json::to_string(&task).unwrap(),
            format!("\"{}\"", task.as_str())
        );
        let map: std::collections::BTreeMap<TaskKey, String> =
            toml::from_str(&format!("{} = \"/x\"", task.as_str())).unwrap();
        assert_eq!(map.get(&task).map(String::as_str), Some("/x"));
    }
    assert_eq!(
        serde_json::from_str::<SignInStatus>("\"needs_second_factor\"").unwrap(),
        SignInStatus::NeedsSecondFactor
    );
    assert_eq!(
        serde_json::from_str::<SignUpStatus>("\"missing_requirements\"").unwrap(),
        SignUpStatus::MissingRequirements
    );
    assert!(serde_json::from_str::<SignUpStatus>("42").is_err());
    for notice in Notice::ALL {
        assert_eq!(Notice::parse(notice.as_str()), Some(notice));
    }
    assert_eq!(Notice::parse("Password updated"), None);
}

/// A reverification requirement is a preset name or `{ level, afterMinutes }` (also
/// `after_minutes`, the config's spelling); anything else is refused.
#[test]
fn reverification_requirements_read_both_shapes() {
    use gatehouse::model::{Reverification, ReverificationLevel, ReverificationPreset};

    let preset: Reverification = serde_json::from_str("\"strict_mfa\"").unwrap();
    assert_eq!(
        preset,
        Reverification::Preset(ReverificationPreset::StrictMfa)
    );
    let custom: Reverification =
        serde_json::from_str(r#"{"afterMinutes":5,"level":"second_factor","extra":[1]}"#).unwrap();
    let expected = Reverification::Custom {
        level: ReverificationLevel::SecondFactor,
        after_minutes: 5,
    };
    assert_eq!(custom, expected);
    #[derive(serde::Deserialize)]
    struct Config {
        reverification: Reverification,
    }
    let config: Config =
        toml::from_str("reverification = { level = \"second_factor\", after_minutes = 5 }")
            .unwrap();
    assert_eq!(config.reverification, expected);
    assert!(serde_json::from_str::<Reverification>("\"sometimes\"").is_err());
    assert!(serde_json::from_str::<Reverification>(r#"{"level":"first_factor"}"#).is_err());
    assert!(serde_json::from_str::<Reverification>("7").is_err());
}

/// Both error bodies read back in one pass: Clerk's envelope and its reverification 403; a body
/// that is neither is refused.
#[test]
fn error_bodies_read_back() {
    let locked: GatehouseError = AuthError::user_locked(60).into();
    let back: GatehouseError =
        serde_json::from_str(&serde_json::to_string(&locked).unwrap()).unwrap();
    assert_eq!(back, locked);
    let other: GatehouseError =
        serde_json::from_str(r#"{"clerk_error":{"type":"forbidden","reason":"something-else"}}"#)
            .unwrap();
    assert_eq!(
        other.first_error().code,
        gatehouse::model::ErrorCode::Unknown
    );
    assert!(serde_json::from_str::<GatehouseError>(r#"{"message":"no"}"#).is_err());
}
