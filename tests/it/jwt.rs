//! Session-token claims (Clerk v2) for each state of a session, and Clerk's permission
//! encoding read back the way Clerk's parser reads it.

use gatehouse::{
    config::Config,
    domain::{
        jwt::{
            authorized_party, encode_permissions, session_claims, TokenRequest,
            NOT_BEFORE_LEEWAY_SECONDS,
        },
        ports::Storage,
    },
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

/// An active session without an organization (the verifier tests build on it).
pub(crate) fn active() -> AuthSnapshot {
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
        factor_verification_age: Some([3, -1].into()),
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

/// Verifies `token` with the key of its `kid` in `jwks`, as any JWT library would.
fn verify(token: &str, jwks: &jsonwebtoken::jwk::JwkSet) -> Result<serde_json::Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = jwks.find(&kid).ok_or("unknown kid")?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    // The claims carry a fixed test clock; this checks the signature and the key only.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

async fn keys_sign_verify_and_rotate_with_a_grace_period(store: &dyn Storage) {
    use gatehouse::domain::jwt::{ensure_signing_key, jwks, rotate_signing_key, sign};

    assert!(jwks(store, T0).await.unwrap().keys.is_empty());
    ensure_signing_key(store, T0).await.unwrap();
    ensure_signing_key(store, T0 + 1).await.unwrap();
    let first = jwks(store, T0 + 1).await.unwrap();
    assert_eq!(first.keys.len(), 1, "made once");
    let published = serde_json::to_value(&first).unwrap();
    let key = &published["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["alg"].as_str(),
            key["use"].as_str()
        ),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert!(key.get("d").is_none(), "no private part is published");

    let claims = session_claims(&active(), request(), T0 + 2).unwrap();
    let old_token = sign(store, &claims, T0 + 2).await.unwrap();
    assert_eq!(verify(&old_token, &first).unwrap()["sid"], "sess_1");
    // A token whose payload was changed no longer verifies.
    let mut parts: Vec<&str> = old_token.split('.').collect();
    let forged_claims = {
        use base64::Engine;
        let mut forged = claims.clone();
        forged.sub = "user_2".into();
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&forged).unwrap())
    };
    parts[1] = &forged_claims;
    assert!(verify(&parts.join("."), &first).is_err());

    // Rotation: the new key signs; the old one is still published during the grace period.
    let new_kid = rotate_signing_key(store, 3600, T0 + 10).await.unwrap();
    let during = jwks(store, T0 + 20).await.unwrap();
    assert_eq!(during.keys.len(), 2);
    assert_eq!(
        during.keys[0].common.key_id.as_deref(),
        Some(new_kid.as_str())
    );
    let new_token = sign(store, &claims, T0 + 20).await.unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .as_deref(),
        Some(new_kid.as_str())
    );
    assert!(verify(&old_token, &during).is_ok());
    assert!(verify(&new_token, &during).is_ok());
    // After it, only the new key is published: the old token no longer verifies.
    let after = jwks(store, T0 + 10 + 3600).await.unwrap();
    assert_eq!(after.keys.len(), 1);
    assert_eq!(verify(&old_token, &after).unwrap_err(), "unknown kid");
    assert!(verify(&new_token, &after).is_ok());
}

#[tokio::test]
async fn sqlite_keys_sign_verify_and_rotate_with_a_grace_period() {
    let (_dir, store) = crate::store::temp_store().await;
    keys_sign_verify_and_rotate_with_a_grace_period(&store).await;
}

#[tokio::test]
async fn fake_keys_sign_verify_and_rotate_with_a_grace_period() {
    keys_sign_verify_and_rotate_with_a_grace_period(&crate::fake::FakeStore::default()).await;
}

#[test]
fn azp_is_only_the_instance_origin_or_an_authorized_party() {
    let config = Config::from_sources(
        None,
        &[
            (
                "GATEHOUSE_INSTANCE__PUBLIC_URL".to_string(),
                "https://auth.example.com/gatehouse/".to_string(),
            ),
            (
                "GATEHOUSE_INSTANCE__AUTHORIZED_PARTIES".to_string(),
                r#"["https://app.example.com/", "http://localhost:5173"]"#.to_string(),
            ),
        ],
    )
    .unwrap();
    let azp = |origin: &str| authorized_party(&config, origin);
    // The instance's own origin and the authorized parties, compared as the origin check
    // compares them (case-insensitive, trailing slash trimmed), spelled as configured.
    for (origin, expected) in [
        ("https://auth.example.com", "https://auth.example.com"),
        ("https://auth.example.com/", "https://auth.example.com"),
        ("HTTPS://Auth.Example.com", "https://auth.example.com"),
        ("https://app.example.com", "https://app.example.com"),
        ("https://APP.example.com/", "https://app.example.com"),
        ("http://localhost:5173", "http://localhost:5173"),
    ] {
        assert_eq!(azp(origin).as_deref(), Some(expected), "{origin}");
    }
    // Anything else — a Host the caller chose, another scheme or port, a path, nothing — is
    // left out of the token.
    for origin in [
        "http://evil.test",
        "https://evil.test",
        "http://auth.example.com",
        "https://auth.example.com:8443",
        "https://auth.example.com/gatehouse",
        "https://app.example.com.evil.test",
        "http://localhost:5174",
        "null",
        "",
        "/",
    ] {
        assert_eq!(azp(origin), None, "{origin:?}");
    }
    // No authorized parties: only the instance itself.
    let alone = Config::from_sources(None, &[]).unwrap();
    assert_eq!(
        authorized_party(&alone, "http://127.0.0.1:3000/").as_deref(),
        Some("http://127.0.0.1:3000")
    );
    assert_eq!(authorized_party(&alone, "http://localhost:3000"), None);
}
