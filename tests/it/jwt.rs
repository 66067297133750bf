//! Session-token claims (Clerk v2) for each state of a session, and Clerk's permission
//! encoding read back the way Clerk's parser reads it.

use gatehouse::{
    domain::jwt::{encode_permissions, session_claims, TokenRequest, NOT_BEFORE_LEEWAY_SECONDS},
    model::{AuthSnapshot, SessionStatus, TaskKey, UserSummary},
};

const T0: i64 = 1_800_000_000;

fn request() -> TokenRequest<'static> {
    TokenRequest {
        issuer: "https://auth.example.com/",
        authorized_party: Some("https://app.example.com"),
        lifetime_seconds: 60,
        token_id: "jti_1".into(),
    }
}

fn active() -> AuthSnapshot {
    AuthSnapshot {
        session_id: Some("sess_1".into()),
        session_status: Some(SessionStatus::Active),
        user: Some(UserSummary {
            id: "user_1".into(),
            email_address: "ada@example.com".into(),
            first_name: Some("Ada".into()),
            last_name: None,
            password_enabled: true,
        }),
        factor_verification_age: Some([3, -1]),
        ..AuthSnapshot::default()
    }
}

/// Clerk's `buildOrgPermissions`: each `fpm` entry is the bitmask of `per` for the feature at
/// the same position of `fea`.
fn decode(fea: &str, per: &str, fpm: &str) -> Vec<String> {
    let actions: Vec<&str> = per.split(',').filter(|a| !a.is_empty()).collect();
    let mut permissions = Vec::new();
    for (feature, mask) in fea.split(',').zip(fpm.split(',')) {
        let feature = feature.strip_prefix("o:").unwrap();
        let mask: u64 = mask.parse().unwrap();
        for (bit, action) in actions.iter().enumerate() {
            if mask & (1 << bit) != 0 {
                permissions.push(format!("org:{feature}:{action}"));
            }
        }
    }
    permissions
}

#[test]
fn an_active_session_gets_clerks_v2_claims() {
    let claims = session_claims(&active(), request(), T0).unwrap();
    let json = serde_json::to_value(&claims).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "iss": "https://auth.example.com",
            "sub": "user_1",
            "sid": "sess_1",
            "azp": "https://app.example.com",
            "fva": [3, -1],
            "exp": T0 + 60,
            "iat": T0,
            "nbf": T0 - NOT_BEFORE_LEEWAY_SECONDS,
            "jti": "jti_1",
            "v": 2,
        }),
        "no sts while active, no o without an organization"
    );
}

#[test]
fn a_pending_session_is_marked_sts_pending() {
    let snapshot = AuthSnapshot {
        session_status: Some(SessionStatus::Pending),
        tasks: vec![TaskKey::ChooseOrganization],
        ..active()
    };
    let claims = session_claims(&snapshot, request(), T0).unwrap();
    assert_eq!(claims.sts, Some("pending"));
    assert_eq!(
        serde_json::to_value(&claims).unwrap()["sts"],
        serde_json::json!("pending")
    );
}

#[test]
fn signed_out_gets_no_token() {
    assert!(session_claims(&AuthSnapshot::signed_out(), request(), T0).is_none());
}

#[test]
fn the_active_organization_is_encoded_as_clerk_reads_it() {
    let permissions: Vec<String> = [
        "org:sys_memberships:read",
        "org:reports:read",
        "org:reports:manage",
        "org:invoices:read",
        "org:sys_billing:read",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let snapshot = AuthSnapshot {
        org_id: Some("org_1".into()),
        org_slug: Some("acme".into()),
        org_role: Some("org:admin".into()),
        org_permissions: permissions.clone(),
        ..active()
    };
    let claims = session_claims(&snapshot, request(), T0).unwrap();
    let o = claims.o.clone().unwrap();
    assert_eq!(
        (o.id.as_str(), o.slg.as_str(), o.rol.as_str()),
        ("org_1", "acme", "admin")
    );
    let fea = claims.fea.clone().unwrap();
    assert_eq!(fea, "o:reports,o:invoices");
    assert_eq!(o.per, "read,manage");
    assert_eq!(o.fpm, "3,1");
    let custom: Vec<String> = permissions
        .into_iter()
        .filter(|p| !p.starts_with("org:sys_"))
        .collect();
    assert_eq!(decode(&fea, &o.per, &o.fpm), custom);

    // Only system permissions: the organization is there, with nothing to encode.
    let (fea, per, fpm) = encode_permissions(&["org:sys_memberships:read".to_string()]);
    assert_eq!((fea.as_str(), per.as_str(), fpm.as_str()), ("", "", ""));
    let snapshot = AuthSnapshot {
        org_permissions: vec!["org:sys_memberships:read".into()],
        org_role: Some("org:member".into()),
        ..snapshot
    };
    let claims = session_claims(&snapshot, request(), T0).unwrap();
    assert_eq!(claims.o.unwrap().rol, "member");
    assert!(claims.fea.is_none());
}
