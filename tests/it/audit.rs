//! Security activity (the audit log): each security event recorded once per action — also
//! under parallel requests —, never a secret in any field, pruned by age, read by the user and
//! filtered by the operator's `gatehouse audit`. On the fake and once more on PostgreSQL; the
//! CLI on SQLite.

use gatehouse::{
    domain::{
        account::{self, AccountHolder},
        audit,
        flows::{self, FlowContext},
        lockout, mfa,
        notices::Device,
        ports::{AuditFilter, AuditRow},
        secret::Secret,
        session,
        tasks::NewPassword,
    },
    model::{flow::FlowRequest, ClientId},
};

use crate::flows::{also_on_postgres, Flows, PASSWORD};

const T0: i64 = 1_800_000_000;

fn device() -> Device {
    Device {
        user_agent: Some(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
                .into(),
        ),
        ip_address: Some("203.0.113.7".into()),
    }
}

/// The events recorded so far (they are written in the background: waits until `count` are).
async fn events(flows: &Flows, count: usize) -> Vec<AuditRow> {
    let filter = AuditFilter {
        limit: 500,
        ..AuditFilter::default()
    };
    for _ in 0..250 {
        let rows = flows.gatehouse.store.audit_events(&filter).await.unwrap();
        if rows.len() >= count {
            // A moment more: nothing beyond `count` may arrive late.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            return flows.gatehouse.store.audit_events(&filter).await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("fewer than {count} events");
}

fn kinds(rows: &[AuditRow]) -> Vec<(String, String)> {
    let mut kinds: Vec<(String, String)> = rows
        .iter()
        .map(|row| (row.kind.clone(), row.outcome.clone()))
        .collect();
    kinds.sort();
    kinds
}

async fn sign_in_step(
    flows: &Flows,
    browser: &ClientId,
    email: &str,
    password: &str,
    now: i64,
) -> Result<gatehouse::model::flow::FlowResponse, gatehouse::model::GatehouseError> {
    let step = FlowRequest::SignInPassword {
        identifier: email.to_string(),
        password: password.to_string(),
        ticket: None,
    };
    let context = FlowContext {
        client_id: Some(browser.clone()),
        device: device(),
        redirect_url: None,
    };
    flows::run(&flows.gatehouse, step, context, now)
        .await
        .map(|result| result.response)
}

/// The signed-in user's holder at `now`, acting from [`device`].
async fn holder_of(
    flows: &Flows,
    outcome: &gatehouse::domain::outcome::Outcome,
    now: i64,
) -> AccountHolder {
    crate::account::holder(flows, outcome, now)
        .await
        .from_device(device())
}

#[tokio::test]
async fn each_security_event_is_recorded_once_with_no_secret() {
    let flows = Flows::new();
    let gatehouse = &flows.gatehouse;
    let ada = flows.sign_up("ada@example.com", T0).await;
    let holder = holder_of(&flows, &ada, T0 + 12).await;

    // A failed sign-in, then one that succeeds, on another browser.
    let browser = flows.client().await;
    let wrong = sign_in_step(
        &flows,
        &browser,
        "ada@example.com",
        "not-the-password",
        T0 + 20,
    )
    .await;
    assert!(wrong.is_err());
    let right = sign_in_step(&flows, &browser, "ada@example.com", PASSWORD, T0 + 21)
        .await
        .unwrap();
    let gatehouse::model::flow::FlowResponse::SignIn(step) = right else {
        panic!("a sign-in step");
    };
    let other_session = step.change.unwrap().snapshot.session_id.unwrap();

    // The account page's changes.
    let new_password = "another-horse-battery";
    let form = NewPassword {
        new_password: Secret::new(new_password.into()),
        confirm_password: Secret::new(new_password.into()),
        sign_out_of_other_sessions: false,
    };
    account::change_password(gatehouse, &holder, form, T0 + 30)
        .await
        .unwrap();
    let enrollment = account::add_totp(gatehouse, &holder, T0 + 31)
        .await
        .unwrap();
    let code = mfa::code_at(&enrollment.secret, T0 + 31).unwrap();
    let backup_codes = account::confirm_totp(gatehouse, &holder, &code, T0 + 31)
        .await
        .unwrap();
    let regenerated = account::regenerate_backup_codes(gatehouse, &holder, T0 + 32)
        .await
        .unwrap();
    account::remove_totp(gatehouse, &holder, T0 + 33)
        .await
        .unwrap();
    account::revoke_session(gatehouse, &holder, &other_session, T0 + 34)
        .await
        .unwrap();

    let rows = events(&flows, 7).await;
    let expected: Vec<(String, String)> = [
        ("backup_codes_regenerated", "succeeded"),
        ("password_changed", "succeeded"),
        ("second_factor_added", "succeeded"),
        ("second_factor_removed", "succeeded"),
        ("session_revoked", "succeeded"),
        ("sign_in", "failed"),
        ("sign_in", "succeeded"),
    ]
    .iter()
    .map(|(k, o)| (k.to_string(), o.to_string()))
    .collect();
    // Each once (the sign-up above ran without the flow, which is what records sign-ups).
    assert_eq!(kinds(&rows), expected, "{rows:#?}");

    let failed = rows.iter().find(|r| r.outcome == "failed").unwrap();
    assert_eq!(failed.email.as_deref(), Some("ada@example.com"));
    assert_eq!(
        failed.detail.as_deref(),
        Some("password: form_password_incorrect")
    );
    assert_eq!(failed.browser.as_deref(), Some("Chrome on Linux"));
    assert_eq!(failed.ip_address.as_deref(), Some("203.0.113.7"));
    let signed_in = rows
        .iter()
        .find(|r| r.kind == "sign_in" && r.outcome == "succeeded")
        .unwrap();
    assert_eq!(signed_in.user_id.as_ref(), Some(&holder.user_id));
    assert_eq!(
        signed_in.session_id.as_deref(),
        Some(other_session.as_str())
    );
    assert_eq!(signed_in.detail.as_deref(), Some("password"));

    // Nothing secret anywhere: passwords, the authenticator's secret and codes, backup codes,
    // the browser's cookie token.
    let mut secrets = vec![
        PASSWORD.to_string(),
        new_password.to_string(),
        "not-the-password".to_string(),
        enrollment.secret.clone(),
        code.clone(),
    ];
    secrets.extend(backup_codes);
    secrets.extend(regenerated);
    if let Some(token) = &ada.cookie {
        secrets.push(token.expose().to_string());
    }
    for row in &rows {
        let text = format!("{row:?}");
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{secret} in {text}");
        }
    }

    // The user reads their own, newest first, as the account page shows them.
    let mine = audit::user_activity(gatehouse, &holder.user_id, "ada@example.com", 20, T0 + 100)
        .await
        .unwrap();
    assert_eq!(mine.len(), 7);
    assert_eq!(mine[0].what, "Another device was signed out");
    assert!(mine.iter().any(|e| e.what == "Failed sign-in" && e.failed));
}

#[tokio::test]
async fn parallel_wrong_passwords_record_each_failure_and_one_lock() {
    let flows = Flows::new();
    flows.sign_up("bob@example.com", T0).await;
    let browser = flows.client().await;
    let attempts = futures::future::join_all((0..14).map(|_| {
        sign_in_step(
            &flows,
            &browser,
            "bob@example.com",
            "a-wrong-password",
            T0 + 20,
        )
    }))
    .await;
    assert!(attempts.iter().all(Result::is_err));
    let rows = events(&flows, 14 + 1).await;
    let failed = rows
        .iter()
        .filter(|r| r.kind == "sign_in" && r.outcome == "failed")
        .count();
    let locks = rows.iter().filter(|r| r.kind == "user_locked").count();
    assert_eq!((failed, locks), (14, 1), "{rows:#?}");
}

#[tokio::test]
async fn events_older_than_the_retention_are_pruned() {
    let flows = Flows::with_env(&[("GATEHOUSE_AUDIT__RETENTION_DAYS", "30")]);
    let store = flows.gatehouse.store.as_ref();
    for (n, age_days) in [(1, 31), (2, 29), (3, 0)] {
        let event =
            audit::AuditEvent::new(audit::AuditKind::OperatorCommand).detail(&format!("n{n}"));
        audit::record_in(store, event, T0 - age_days * 86_400).await;
    }
    lockout::prune_counters(&flows.gatehouse, T0).await.unwrap();
    let rows = events(&flows, 2).await;
    let kept: Vec<&str> = rows.iter().filter_map(|r| r.detail.as_deref()).collect();
    assert_eq!(kept, ["n3", "n2"]);
}

/// An organization's membership events, once each, for its admins: created, an invitation sent
/// and revoked, a role changed, a member removed, one who left.
#[tokio::test]
async fn membership_events_are_recorded_once_for_the_organizations_admins() {
    use gatehouse::domain::{
        invitation::{self, Inviter},
        membership,
        organization::{self, Actor},
    };
    let flows = Flows::with_env(&[("GATEHOUSE_ORGANIZATIONS__ENABLED", "true")]);
    let g = &flows.gatehouse;
    let ada = flows.sign_up("ada@example.com", T0).await;
    let ada_id = ada.snapshot.user.clone().unwrap().id;
    let ada_session = ada.snapshot.session_id.clone().unwrap();
    let bob = flows
        .sign_up("bob@example.com", T0)
        .await
        .snapshot
        .user
        .unwrap()
        .id;
    let cy = flows
        .sign_up("cy@example.com", T0)
        .await
        .snapshot
        .user
        .unwrap()
        .id;
    let org = organization::create(g, &ada_session, &ada_id, "Acme", "acme", T0 + 1)
        .await
        .unwrap();
    for user in [&bob, &cy] {
        g.store
            .upsert_member(&org, user, "org:member", T0 + 2)
            .await
            .unwrap();
    }
    let sent = invitation::invite(
        g,
        Inviter::Member(&ada_id),
        "acme",
        "dan@example.com",
        "org:member",
        T0 + 3,
    )
    .await
    .unwrap();
    invitation::revoke(g, &ada_id, "acme", &sent.id, T0 + 4)
        .await
        .unwrap();
    membership::change_role(g, Actor::Member(&ada_id), "acme", &bob, "org:admin")
        .await
        .unwrap();
    membership::remove(g, Actor::Member(&ada_id), "acme", &bob)
        .await
        .unwrap();
    membership::leave(g, &cy, "acme").await.unwrap();

    events(&flows, 6).await;
    let activity = gatehouse::domain::audit::organization_activity(g, &org, 20, T0 + 10)
        .await
        .unwrap();
    let mut kinds: Vec<&str> = activity.iter().map(|e| e.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "invitation_revoked",
            "invitation_sent",
            "member_removed",
            "member_removed",
            "member_role_changed",
            "organization_created",
        ],
        "{activity:#?}"
    );
    let role = activity
        .iter()
        .find(|e| e.kind == "member_role_changed")
        .unwrap();
    assert_eq!(
        role.detail.as_deref(),
        Some(format!("org:admin by {ada_id}").as_str())
    );
    let sent = activity
        .iter()
        .find(|e| e.kind == "invitation_sent")
        .unwrap();
    assert_eq!(sent.email.as_deref(), Some("dan@example.com"));
}

/// The other kinds, each once for its action: a sign-up and a password reset through the flows,
/// a passkey added and removed, an invitation accepted, an organization and then the account
/// deleted.
#[tokio::test]
async fn the_other_security_events_are_recorded_once_each() {
    use gatehouse::domain::{
        invitation::{self, InvitationKey, Inviter},
        membership, organization, passkeys,
    };
    let flows = crate::passkeys::instance(&[
        ("GATEHOUSE_ORGANIZATIONS__ENABLED", "true"),
        ("GATEHOUSE_ORGANIZATIONS__ALLOW_PERSONAL_ACCOUNTS", "true"),
    ]);
    let g = &flows.gatehouse;
    let context = |browser: &ClientId| FlowContext {
        client_id: Some(browser.clone()),
        device: device(),
        redirect_url: None,
    };

    // A sign-up through the flow (code emailed, then verified).
    let browser = flows.client().await;
    let step = FlowRequest::SignUpPassword {
        email_address: "eve@example.com".into(),
        password: PASSWORD.into(),
        first_name: None,
        last_name: None,
        ticket: None,
    };
    flows::run(g, step, context(&browser), T0).await.unwrap();
    let sign_up_code = flows.code_sent_to("eve@example.com");
    let step = FlowRequest::SignUpVerifyEmailCode {
        code: sign_up_code.clone(),
    };
    flows::run(g, step, context(&browser), T0 + 1)
        .await
        .unwrap();

    // "Forgot password?" through the flow.
    let other = flows.client().await;
    let step = FlowRequest::SignInResetPasswordSendCode {
        identifier: "eve@example.com".into(),
    };
    flows::run(g, step, context(&other), T0 + 2).await.unwrap();
    // The reset code: the other 6-digit code mailed to Eve.
    let code = loop {
        let codes: Vec<String> = flows
            .mails_to("eve@example.com")
            .iter()
            .filter_map(|mail| mail.lines().find_map(|l| l.strip_prefix("Subject: ")))
            .map(|subject| subject.chars().take(6).collect::<String>())
            .filter(|code| code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()))
            .filter(|code| *code != sign_up_code)
            .collect();
        if let Some(code) = codes.into_iter().next() {
            break code;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let step = FlowRequest::SignInEmailCode { code };
    flows::run(g, step, context(&other), T0 + 3).await.unwrap();
    let step = FlowRequest::SignInNewPassword {
        new_password: "another-horse-battery".into(),
        confirm_password: "another-horse-battery".into(),
        sign_out_of_other_sessions: false,
    };
    flows::run(g, step, context(&other), T0 + 4).await.unwrap();

    // A passkey added and removed; an organization made, an invitation accepted, the
    // organization and the account deleted.
    let ada = crate::passkeys::sign_up(&flows, "ada@example.com").await;
    let _key = crate::passkeys::add_passkey(&flows, &ada, T0 + 20).await;
    let listed = passkeys::list(g, &ada.holder, T0 + 21).await.unwrap();
    passkeys::remove(g, &ada.holder, &listed[0].id, T0 + 22)
        .await
        .unwrap();
    let org = organization::create(
        g,
        &ada.holder.session_id,
        &ada.holder.user_id,
        "Acme",
        "acme",
        T0 + 23,
    )
    .await
    .unwrap();
    let eve = g
        .store
        .find_user_by_email("eve@example.com")
        .await
        .unwrap()
        .unwrap();
    let sent = invitation::invite(
        g,
        Inviter::Member(&ada.holder.user_id),
        "acme",
        "eve@example.com",
        "org:member",
        T0 + 24,
    )
    .await
    .unwrap();
    invitation::accept(
        g,
        InvitationKey::Id(sent.id),
        &eve.id,
        "eve@example.com",
        T0 + 25,
    )
    .await
    .unwrap();
    membership::delete_organization(g, &ada.holder, "acme", "Acme")
        .await
        .unwrap();
    account::delete_account(g, &ada.holder, T0 + 27)
        .await
        .unwrap();

    let rows = events(&flows, 10).await;
    let mut kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "account_deleted",
            "invitation_sent",
            "member_added",
            "organization_created",
            "organization_deleted",
            "passkey_added",
            "passkey_removed",
            "password_reset",
            "sign_in",
            "sign_up",
        ],
        "{rows:#?}"
    );
    let signed_in = rows.iter().find(|r| r.kind == "sign_in").unwrap();
    assert_eq!(signed_in.detail.as_deref(), Some("password_reset"));
    let joined = rows.iter().find(|r| r.kind == "member_added").unwrap();
    assert_eq!(joined.organization_id.as_ref(), Some(&org));
    assert_eq!(joined.user_id.as_ref(), Some(&eve.id));
}

/// An SSO account linked to its user by a verified email, then unlinked from the account page:
/// one event each.
#[tokio::test]
async fn an_external_account_linked_then_unlinked_is_recorded_once_each() {
    use crate::sso::{identity, Sso};
    let sso = Sso::on_store(crate::flows::test_store());
    let g = &sso.gatehouse;
    let ada = sso.user_with_password("ada@example.com").await;
    sso.vouch_for(identity("sub-ada", Some("ada@example.com"), true));
    let browser = sso.client().await;
    let state = sso.start(&browser, "oauth_idp", None).await;
    sso.answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    let outcome = gatehouse::domain::sign_in::finalize(g, &browser, None, T0 + 9)
        .await
        .unwrap();
    let resolved = session::resolve(
        g.store.as_ref(),
        &g.config,
        outcome.cookie.as_ref(),
        T0 + 10,
    )
    .await
    .unwrap();
    let holder = AccountHolder::of(&resolved.snapshot).unwrap();
    let linked = g.store.list_external_accounts(&ada).await.unwrap();
    account::unlink_external_account(g, &holder, &linked[0].id, T0 + 11)
        .await
        .unwrap();
    let filter = AuditFilter {
        limit: 10,
        ..AuditFilter::default()
    };
    for _ in 0..250 {
        if g.store.audit_events(&filter).await.unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let mut kinds: Vec<String> = g
        .store
        .audit_events(&filter)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["external_account_linked", "external_account_unlinked"]
    );
}

/// An event that cannot be written never fails the action it records: the password changes, the
/// sign-in signs in.
#[tokio::test]
async fn an_audit_write_that_fails_leaves_the_action_standing() {
    let store = std::sync::Arc::new(crate::fake::FakeStore::default());
    let flows = Flows::on_store(store.clone(), &[]);
    let ada = flows.sign_up("ada@example.com", T0).await;
    let holder = holder_of(&flows, &ada, T0 + 12).await;
    store
        .audit_fails
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let form = NewPassword {
        new_password: Secret::new("another-horse-battery".into()),
        confirm_password: Secret::new("another-horse-battery".into()),
        sign_out_of_other_sessions: false,
    };
    account::change_password(&flows.gatehouse, &holder, form, T0 + 20)
        .await
        .unwrap();
    let browser = flows.client().await;
    let signed_in = sign_in_step(
        &flows,
        &browser,
        "ada@example.com",
        "another-horse-battery",
        T0 + 21,
    )
    .await;
    assert!(signed_in.is_ok(), "{signed_in:?}");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let all = AuditFilter {
        limit: 10,
        ..AuditFilter::default()
    };
    let rows = flows.gatehouse.store.audit_events(&all).await.unwrap();
    assert!(rows.is_empty(), "{rows:?}");
}

also_on_postgres!(
    an_external_account_linked_then_unlinked_is_recorded_once_each,
    the_other_security_events_are_recorded_once_each,
    membership_events_are_recorded_once_for_the_organizations_admins,
    each_security_event_is_recorded_once_with_no_secret,
    parallel_wrong_passwords_record_each_failure_and_one_lock,
    events_older_than_the_retention_are_pruned,
);

/// Every stop of the home page's tour shows the code it names, cut from the demo's file as the
/// server was built (a renamed function fails here before the page shows nothing).
#[test]
fn every_tour_stop_shows_the_code_it_names() {
    use gatehouse::demo::tour::{code, STOPS};
    for stop in STOPS {
        let shown = code(stop.source);
        assert!(
            shown.contains(&format!("fn {}(", stop.source.item)),
            "{}: {shown:?}",
            stop.id
        );
        assert!(shown.trim_end().ends_with('}'), "{}: {shown}", stop.id);
    }
    let custom = code(STOPS[11].source);
    assert!(
        custom.starts_with("/// "),
        "its doc comment comes with it: {custom}"
    );
    assert!(custom.contains("use_sign_in()"));
}
