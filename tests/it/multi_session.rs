//! Several accounts in one browser (`sessions.multi_session`): adding an account keeps the
//! others, a user already signed in is activated rather than signed in twice, `set_active`
//! and sign-out honour only the browser's own sessions, and signing out of the current one
//! hands over to the next.

use gatehouse::{
    domain::{
        secret::Secret,
        session::{self, ResolvedClient},
        sign_in,
    },
    model::{AuthError, AuthSnapshot, ClientId, ErrorCode, SessionId, SessionStatus},
};

use crate::flows::Flows;

const T0: i64 = 1_800_000_000;

fn multi_session() -> Flows {
    Flows::with_env(&[("GATEHOUSE_SESSIONS__MULTI_SESSION", "true")])
}

/// The browser's state at `at`, resolved as its next request would be.
async fn state_of(flows: &Flows, browser: &ClientId, at: i64) -> ResolvedClient {
    session::reload(
        flows.gatehouse.store.as_ref(),
        &flows.gatehouse.config,
        browser,
        at,
    )
    .await
    .unwrap()
}

/// A sign-in of `email` on `browser` with a wrong password: its error.
async fn wrong_password(flows: &Flows, browser: &ClientId, email: &str, at: i64) -> AuthError {
    sign_in::password(
        &flows.gatehouse,
        browser,
        email,
        Secret::new("not her password".into()),
        at,
    )
    .await
    .unwrap_err()
}

fn email_of(snapshot: &AuthSnapshot) -> Option<String> {
    snapshot
        .user
        .as_ref()
        .map(|user| user.email_address.clone())
}

fn emails_of(snapshot: &AuthSnapshot) -> Vec<String> {
    snapshot
        .sessions()
        .into_iter()
        .map(|session| session.user.email_address)
        .collect()
}

#[tokio::test]
async fn a_browser_adds_accounts_switches_and_signing_out_one_picks_the_next() {
    let flows = multi_session();
    for (i, email) in ["ada@example.com", "bob@example.com", "cy@example.com"]
        .iter()
        .enumerate()
    {
        flows.sign_up(email, T0 + i as i64 * 20).await;
    }
    let gatehouse = &flows.gatehouse;
    let browser = flows.client().await;
    let ada = flows
        .sign_in_on(&browser, "ada@example.com", T0 + 100)
        .await;
    let bob = flows
        .sign_in_on(&browser, "bob@example.com", T0 + 110)
        .await;
    assert_eq!(email_of(&bob.snapshot).as_deref(), Some("bob@example.com"));
    assert_eq!(
        emails_of(&bob.snapshot),
        ["bob@example.com", "ada@example.com"],
        "adding an account keeps the first one"
    );
    let ada_session = ada.snapshot.session_id.clone().unwrap();
    assert_eq!(bob.snapshot.other_sessions[0].id, ada_session);
    assert_eq!(bob.snapshot.other_sessions[0].status, SessionStatus::Active);

    // Ada again: her session is activated (Clerk's identifier_already_signed_in), before any
    // password check, and never duplicated.
    let error = wrong_password(&flows, &browser, "ADA@example.com", T0 + 120).await;
    assert_eq!(error.code, ErrorCode::IdentifierAlreadySignedIn);
    // What the sign-in form does then: her session becomes current.
    let activated =
        sign_in::activate_signed_in(gatehouse, &browser, "ada@example.com", None, T0 + 121)
            .await
            .unwrap();
    assert_eq!(activated.snapshot.session_id.as_ref(), Some(&ada_session));
    assert_eq!(
        emails_of(&activated.snapshot),
        ["ada@example.com", "bob@example.com"]
    );
    assert!(
        activated.cookie.is_none(),
        "a switch keeps the browser's token"
    );

    // set_active: to Ada, then to a session of another browser (refused, nothing changes).
    let switched = session::set_active(gatehouse, &browser, &ada_session, None, T0 + 130)
        .await
        .unwrap();
    assert_eq!(
        email_of(&switched.snapshot).as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(
        switched.next.redirect_url,
        gatehouse.config.instance.after_sign_in_url
    );
    let (_, elsewhere) = flows.sign_in("cy@example.com", T0 + 140).await;
    let foreign = elsewhere.snapshot.session_id.unwrap();
    for refused in [foreign.clone(), SessionId::new("sess_made_up")] {
        let error = session::set_active(gatehouse, &browser, &refused, None, T0 + 150)
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::NotFound);
        let error = session::sign_out(gatehouse, Some(&browser), Some(&refused), None, T0 + 150)
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::NotFound);
    }
    let now = state_of(&flows, &browser, T0 + 151).await;
    assert_eq!(
        emails_of(&now.snapshot),
        ["ada@example.com", "bob@example.com"]
    );
    // The other browser's session is untouched.
    assert!(gatehouse
        .store
        .list_user_sessions(&elsewhere.snapshot.user.unwrap().id, T0 + 151)
        .await
        .unwrap()
        .iter()
        .any(|row| row.session_id == foreign));

    // Sign out of the current one (Ada): Bob, the next, becomes current.
    let out = session::sign_out(
        gatehouse,
        Some(&browser),
        Some(&ada_session),
        None,
        T0 + 160,
    )
    .await
    .unwrap();
    assert_eq!(email_of(&out.snapshot).as_deref(), Some("bob@example.com"));
    assert_eq!(emails_of(&out.snapshot), ["bob@example.com"]);
    assert_eq!(out.next.redirect_url, "/");
    let now = state_of(&flows, &browser, T0 + 161).await;
    assert_eq!(now.snapshot, out.snapshot);

    // Ada signs in again (a new session: her old one ended), then all accounts sign out.
    flows
        .sign_in_on(&browser, "ada@example.com", T0 + 170)
        .await;
    let out = session::sign_out(gatehouse, Some(&browser), None, None, T0 + 180)
        .await
        .unwrap();
    assert_eq!(out.snapshot, AuthSnapshot::signed_out());
    let now = state_of(&flows, &browser, T0 + 181).await;
    assert_eq!(now.snapshot, AuthSnapshot::signed_out());
}

#[tokio::test]
async fn without_multi_session_a_sign_in_replaces_the_browsers_session() {
    let flows = Flows::new();
    flows.sign_up("ada@example.com", T0).await;
    flows.sign_up("bob@example.com", T0 + 20).await;
    let gatehouse = &flows.gatehouse;
    let browser = flows.client().await;
    let ada = flows
        .sign_in_on(&browser, "ada@example.com", T0 + 100)
        .await;
    let bob = flows
        .sign_in_on(&browser, "bob@example.com", T0 + 110)
        .await;
    assert_eq!(emails_of(&bob.snapshot), ["bob@example.com"]);
    // Ada's session ended; signing her in again checks her password as usual.
    let error = wrong_password(&flows, &browser, "ada@example.com", T0 + 120).await;
    assert_eq!(error.code, ErrorCode::FormPasswordIncorrect);
    let again = flows
        .sign_in_on(&browser, "ada@example.com", T0 + 130)
        .await;
    assert_ne!(again.snapshot.session_id, ada.snapshot.session_id);
    // Signing out ends the browser's session.
    let out = session::sign_out(gatehouse, Some(&browser), None, None, T0 + 140)
        .await
        .unwrap();
    assert_eq!(out.snapshot, AuthSnapshot::signed_out());
}

crate::flows::also_on_postgres!(
    a_browser_adds_accounts_switches_and_signing_out_one_picks_the_next,
    without_multi_session_a_sign_in_replaces_the_browsers_session,
);
