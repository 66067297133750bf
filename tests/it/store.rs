//! The store test suite: every function here takes `&dyn Storage` and runs against each
//! implementation of the domain's ports (SQLite, PostgreSQL on a throwaway cluster, and the
//! in-memory fake the domain tests use), so all keep the same contract.

use std::sync::LazyLock;

use gatehouse::{
    domain::{
        codes::CodeState,
        lockout::Reserved,
        ports::{
            ClientActivity, CodeKey, ExternalIdentity, InvitationCreation, NewBackupCodes,
            NewInvitation, NewSession, NewUser, SignUpRecord, Storage, StoredSignIn,
            TotpConfirmation, Unlink, UserCreation,
        },
        secret::Secret,
        tokens::SecretToken,
        Timestamp,
    },
    model::{
        ClientId, InvitationId, InvitationStatus, OrgId, SessionId, SignInId, SignUpId, UserId,
    },
    store::SqliteStore,
};

pub async fn temp_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/test.db?mode=rwc", dir.path().display());
    let store = SqliteStore::open(&url).await.unwrap();
    (dir, store)
}

const T0: i64 = 1_800_000_000;

static DUMMY_HASH: LazyLock<Secret<String>> =
    LazyLock::new(|| Secret::new("$argon2id$dummy".to_string()));

fn user(email: &str) -> NewUser<'_> {
    NewUser {
        email,
        password_hash: Some(&DUMMY_HASH),
        first_name: Some("Ada"),
        last_name: None,
    }
}

/// The serialized state an attempt holds, as JSON: a store may normalise its text (PostgreSQL's
/// `jsonb` does), never its meaning.
fn json(state: &str) -> serde_json::Value {
    serde_json::from_str(state).unwrap()
}

/// Runs each suite function against a fresh SQLite store, a fresh PostgreSQL database and a
/// fresh fake.
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (_dir, store) = super::temp_store().await;
                    super::$name(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&crate::pg::store().await).await;
                }
            )*
        }
        mod fake {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&crate::fake::FakeStore::default()).await;
                }
            )*
        }
    };
}

suite!(
    text_with_a_nul_character_is_refused_as_bad_input,
    users_have_unique_emails,
    guesses_are_counted_per_identifier_and_lock_at_the_maximum,
    rate_counters_count_in_fixed_windows,
    counters_that_decide_nothing_are_pruned,
    abandoned_browsers_and_attempts_are_pruned,
    sessions_resolve_by_token_hash_and_end_on_sign_out,
    sign_up_attempts_round_trip_with_their_code,
    sign_in_attempts_move_by_compare_and_swap_and_finalize_once,
    external_accounts_link_once_and_never_leave_a_user_without_a_way_in,
    a_sign_up_for_an_identity_creates_a_passwordless_user_with_the_identity_linked,
    backup_codes_are_replaced_only_while_the_app_is_on_and_go_with_it,
    a_users_sessions_list_with_their_browser_and_end_only_for_that_user,
    a_browser_holds_several_sessions_and_switches_and_ends_only_its_own,
    invitations_are_unique_per_address_count_toward_the_quota_and_are_accepted_once,
    an_organization_keeps_a_manager_however_members_are_changed_and_removed,
    domains_are_counted_and_requests_decided_once_under_parallel_calls,
    passkeys_are_counted_unique_and_their_ceremonies_taken_once,
    audit_events_are_read_newest_first_by_user_email_organization_and_time,
);

/// Inserts an invitation of `org` to `email` (ticket `ticket`, expiring at `expires_at`).
async fn invite(
    store: &dyn Storage,
    org: &OrgId,
    email: &str,
    ticket: &[u8],
    expires_at: i64,
    max: Option<u32>,
    now: i64,
) -> (InvitationId, InvitationCreation) {
    let id: InvitationId = gatehouse::domain::ids::new_id();
    let created = store
        .create_invitation(
            &NewInvitation {
                id: &id,
                organization_id: org,
                email,
                role: "org:member",
                inviter: None,
                ticket_hash: ticket,
                expires_at,
            },
            max,
            now,
        )
        .await
        .unwrap();
    (id, created)
}

/// Invitations: one pending per address and organization (an expired one makes way), never to
/// a member, counted with the members toward a maximum; found by their ticket's hash; accepted
/// once, with the membership, however many acceptances race; revoked and renewed only while
/// pending.
async fn invitations_are_unique_per_address_count_toward_the_quota_and_are_accepted_once(
    store: &dyn Storage,
) {
    let ada = store
        .create_user(user("ada@example.com"), T0)
        .await
        .unwrap()
        .unwrap();
    let bob = store
        .create_user(user("bob@example.com"), T0)
        .await
        .unwrap()
        .unwrap();
    let org = store
        .create_organization("Acme", "acme", &ada, T0)
        .await
        .unwrap()
        .unwrap();
    let later = T0 + 1000;
    let (bob_invitation, created) =
        invite(store, &org, "bob@example.com", &[1; 32], later, None, T0).await;
    assert_eq!(created, InvitationCreation::Created);
    let (_, again) = invite(store, &org, "bob@example.com", &[2; 32], later, None, T0).await;
    assert_eq!(again, InvitationCreation::NotUnique);
    let (_, member) = invite(store, &org, "ada@example.com", &[3; 32], later, None, T0).await;
    assert_eq!(member, InvitationCreation::AlreadyMember);
    // Ada and Bob's invitation: two of two.
    let (_, full) = invite(store, &org, "cy@example.com", &[4; 32], later, Some(2), T0).await;
    assert_eq!(full, InvitationCreation::QuotaExceeded);
    let (_, room) = invite(
        store,
        &org,
        "cy@example.com",
        &[4; 32],
        T0 + 10,
        Some(3),
        T0,
    )
    .await;
    assert_eq!(room, InvitationCreation::Created);

    // Found by id and by ticket, with the organization; listed while live.
    let row = store
        .find_invitation_by_ticket(&[1; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.id, bob_invitation);
    assert_eq!(row.email, "bob@example.com");
    assert_eq!(row.organization.slug, "acme");
    assert_eq!(row.status, InvitationStatus::Pending);
    assert_eq!(
        (row.created_at, row.sent_at, row.expires_at),
        (T0, T0, later)
    );
    assert!(store
        .find_invitation_by_ticket(&[9; 32])
        .await
        .unwrap()
        .is_none());
    let (page, total) = store
        .list_organization_invitations(&org, T0 + 5, 0, 1)
        .await
        .unwrap();
    assert_eq!((page.len(), total), (1, 2));
    assert_eq!(page[0].id, bob_invitation, "oldest first");
    // Cy's expired at T0 + 10: no longer listed, and her address can be invited again.
    let (_, total) = store
        .list_organization_invitations(&org, T0 + 10, 0, 10)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert!(store
        .list_invitations_for_email("cy@example.com", T0 + 10)
        .await
        .unwrap()
        .is_empty());
    let (cy_again, renewed) = invite(
        store,
        &org,
        "cy@example.com",
        &[5; 32],
        later,
        None,
        T0 + 20,
    )
    .await;
    assert_eq!(renewed, InvitationCreation::Created);
    let old_cy = store
        .find_invitation_by_ticket(&[4; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old_cy.status, InvitationStatus::Expired);
    assert!(!store
        .accept_invitation(&old_cy.id, &bob, T0 + 21)
        .await
        .unwrap());

    // Renewed only once its interval passed: a new ticket, the old one gone.
    let renew = |ticket: [u8; 32], sent_before: i64| {
        let id = cy_again.clone();
        async move {
            store
                .renew_invitation(&id, &ticket, sent_before, later + 500, T0 + 100)
                .await
                .unwrap()
        }
    };
    assert!(!renew([6; 32], T0 + 19).await, "sent after sent_before");
    assert!(renew([6; 32], T0 + 20).await);
    assert!(store
        .find_invitation_by_ticket(&[5; 32])
        .await
        .unwrap()
        .is_none());
    let renewed = store
        .find_invitation_by_ticket(&[6; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (renewed.sent_at, renewed.expires_at),
        (T0 + 100, later + 500)
    );

    // Revoked once; a revoked invitation is neither accepted nor renewed.
    assert!(store.revoke_invitation(&cy_again, T0 + 101).await.unwrap());
    assert!(!store.revoke_invitation(&cy_again, T0 + 102).await.unwrap());
    assert!(!store
        .accept_invitation(&cy_again, &bob, T0 + 103)
        .await
        .unwrap());
    assert!(!renew([7; 32], T0 + 200).await);

    // Accepted once of two at the same time: one membership, the invitation's role.
    let (first, second) = tokio::join!(
        store.accept_invitation(&bob_invitation, &bob, T0 + 110),
        store.accept_invitation(&bob_invitation, &bob, T0 + 110),
    );
    assert_eq!(
        [first.unwrap(), second.unwrap()]
            .iter()
            .filter(|a| **a)
            .count(),
        1
    );
    assert_eq!(
        store.membership_role(&org, &bob).await.unwrap().as_deref(),
        Some("org:member")
    );
    assert_eq!(store.list_members(&org).await.unwrap().len(), 2);
    let accepted = store
        .find_invitation(&bob_invitation)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(accepted.status, InvitationStatus::Accepted);
    assert!(store
        .list_invitations_for_email("bob@example.com", T0 + 111)
        .await
        .unwrap()
        .is_empty());
    // Bob is a member now: no invitation for him; a past expiry is never accepted.
    let (_, member) = invite(
        store,
        &org,
        "bob@example.com",
        &[8; 32],
        later,
        None,
        T0 + 120,
    )
    .await;
    assert_eq!(member, InvitationCreation::AlreadyMember);
    let (dan, _) = invite(
        store,
        &org,
        "dan@example.com",
        &[10; 32],
        T0 + 130,
        None,
        T0 + 120,
    )
    .await;
    assert!(!store.accept_invitation(&dan, &bob, T0 + 130).await.unwrap());
    assert!(store.accept_invitation(&dan, &bob, T0 + 129).await.unwrap());
}

/// Multi-session: sessions of several users on one client, one of them current; signing a user
/// in again reuses their session; switching and ending honour only the client's own sessions;
/// ending the current one hands over to the most recently current other.
async fn a_browser_holds_several_sessions_and_switches_and_ends_only_its_own(store: &dyn Storage) {
    let mut users = Vec::new();
    for email in ["ada@example.com", "bob@example.com", "cy@example.com"] {
        users.push(store.create_user(user(email), T0).await.unwrap().unwrap());
    }
    let (ada, bob, cy) = (&users[0], &users[1], &users[2]);
    let client_id = store
        .create_client(&SecretToken::generate().hash(), T0)
        .await
        .unwrap();
    let other_client = store
        .create_client(&SecretToken::generate().hash(), T0)
        .await
        .unwrap();
    let sign_in = |client_id: ClientId, user_id: UserId, at: Timestamp, keep: bool| async move {
        let token = SecretToken::generate();
        let id = store
            .create_session(
                NewSession {
                    client_id: &client_id,
                    user_id: &user_id,
                    new_token_hash: &token.hash(),
                    first_factor_at: at,
                    second_factor_at: None,
                    expires_at: at + 1000,
                    keep_other_sessions: keep,
                },
                at,
            )
            .await
            .unwrap();
        (id, token)
    };
    let (ada_session, _) = sign_in(client_id.clone(), ada.clone(), T0, true).await;
    let (bob_session, _) = sign_in(client_id.clone(), bob.clone(), T0 + 1, true).await;
    let (cy_session, token) = sign_in(client_id.clone(), cy.clone(), T0 + 2, true).await;
    // Found by the token of its latest sign-in (each rotates it) or by id.
    assert!(store
        .resolve_client(&token.hash(), T0 + 3)
        .await
        .unwrap()
        .is_some());
    let (elsewhere, _) = sign_in(other_client.clone(), ada.clone(), T0 + 2, true).await;
    let resolve = |at: Timestamp| {
        let client_id = client_id.clone();
        async move {
            store
                .resolve_client_by_id(&client_id, at)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let ids = |row: &gatehouse::domain::ports::ResolvedClientRow| {
        let current = row.session.as_ref().map(|s| s.session_id.clone());
        let others: Vec<SessionId> = row
            .other_sessions
            .iter()
            .map(|s| s.session_id.clone())
            .collect();
        (current, others)
    };
    assert_eq!(
        ids(&resolve(T0 + 3).await),
        (
            Some(cy_session.clone()),
            vec![bob_session.clone(), ada_session.clone()]
        ),
        "every session of the client, the current one apart, most recently current first"
    );

    // Signing Ada in again on this client reuses her session (new factor time), no duplicate.
    let (again, _) = sign_in(client_id.clone(), ada.clone(), T0 + 4, true).await;
    assert_eq!(again, ada_session);
    let row = resolve(T0 + 5).await;
    assert_eq!(
        ids(&row),
        (
            Some(ada_session.clone()),
            vec![cy_session.clone(), bob_session.clone()]
        )
    );
    assert_eq!(row.session.unwrap().first_factor_at, Some(T0 + 4));

    // Switching: only to a live session of this client.
    assert!(!store
        .set_current_session(&client_id, &elsewhere, T0 + 6)
        .await
        .unwrap());
    assert!(!store
        .set_current_session(&client_id, &SessionId::new("sess_made_up"), T0 + 6)
        .await
        .unwrap());
    assert!(store
        .set_current_session(&client_id, &bob_session, T0 + 6)
        .await
        .unwrap());
    assert_eq!(ids(&resolve(T0 + 7).await).0, Some(bob_session.clone()));

    // Ending: another client's session is refused; a background one leaves the current alone.
    assert!(!store
        .end_client_session(&client_id, &elsewhere, T0 + 8)
        .await
        .unwrap());
    assert!(store
        .end_client_session(&client_id, &cy_session, T0 + 8)
        .await
        .unwrap());
    assert_eq!(
        ids(&resolve(T0 + 9).await),
        (Some(bob_session.clone()), vec![ada_session.clone()])
    );
    // Ending the current one: the most recently current other takes over.
    assert!(store
        .end_client_session(&client_id, &bob_session, T0 + 10)
        .await
        .unwrap());
    assert_eq!(
        ids(&resolve(T0 + 11).await),
        (Some(ada_session.clone()), vec![])
    );
    assert!(
        !store
            .end_client_session(&client_id, &bob_session, T0 + 12)
            .await
            .unwrap(),
        "an ended session cannot end twice"
    );

    // Without multi-session a sign-in ends every other session of the client.
    sign_in(client_id.clone(), bob.clone(), T0 + 13, true).await;
    let (cy_again, _) = sign_in(client_id.clone(), cy.clone(), T0 + 14, false).await;
    let row = store
        .resolve_client_by_id(&client_id, T0 + 15)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ids(&row), (Some(cy_again.clone()), vec![]));

    // Sign out of all accounts.
    sign_in(client_id.clone(), ada.clone(), T0 + 16, true).await;
    store
        .end_client_sessions(&client_id, T0 + 17)
        .await
        .unwrap();
    let row = store
        .resolve_client_by_id(&client_id, T0 + 18)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ids(&row), (None, vec![]));
    // The other client kept its session.
    let row = store
        .resolve_client_by_id(&other_client, T0 + 18)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ids(&row), (Some(elsewhere), vec![]));
}

async fn a_users_sessions_list_with_their_browser_and_end_only_for_that_user(store: &dyn Storage) {
    let ada = store
        .create_user(user("ada@example.com"), T0)
        .await
        .unwrap()
        .unwrap();
    let bob = store
        .create_user(user("bob@example.com"), T0)
        .await
        .unwrap()
        .unwrap();
    let mut sessions = Vec::new();
    for (user_id, at) in [(&ada, T0), (&ada, T0 + 10), (&bob, T0 + 20)] {
        let client_id = store
            .create_client(&SecretToken::generate().hash(), at)
            .await
            .unwrap();
        let session_id = store
            .create_session(
                NewSession {
                    client_id: &client_id,
                    user_id,
                    new_token_hash: &SecretToken::generate().hash(),
                    first_factor_at: at,
                    second_factor_at: None,
                    expires_at: at + 1000,
                    keep_other_sessions: false,
                },
                at,
            )
            .await
            .unwrap();
        sessions.push((client_id, session_id));
    }
    let activity = ClientActivity {
        user_agent: Some("Firefox/133.0".into()),
        ip_address: Some("198.51.100.4".into()),
    };
    store
        .record_client_activity(&sessions[0].0, &activity, T0 + 50)
        .await
        .unwrap();
    let resolved = store
        .resolve_client_by_id(&sessions[0].0, T0 + 51)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.last_active_at, Some(T0 + 50));

    let listed = store.list_user_sessions(&ada, T0 + 60).await.unwrap();
    let ids: Vec<_> = listed.iter().map(|row| row.session_id.clone()).collect();
    assert_eq!(
        ids,
        [sessions[0].1.clone(), sessions[1].1.clone()],
        "most recently active first"
    );
    assert_eq!(listed[0].user_agent.as_deref(), Some("Firefox/133.0"));
    assert_eq!(listed[0].ip_address.as_deref(), Some("198.51.100.4"));
    assert_eq!(listed[1].last_active_at, None);
    assert_eq!(listed[1].created_at, T0 + 10);

    assert!(
        !store
            .end_session_of_user(&ada, &sessions[2].1, T0 + 61)
            .await
            .unwrap(),
        "bob's session is not ada's to end"
    );
    assert_eq!(
        store.list_user_sessions(&bob, T0 + 61).await.unwrap().len(),
        1
    );
    assert!(store
        .end_session_of_user(&ada, &sessions[1].1, T0 + 61)
        .await
        .unwrap());
    assert!(
        !store
            .end_session_of_user(&ada, &sessions[1].1, T0 + 62)
            .await
            .unwrap(),
        "once"
    );
    assert_eq!(
        store.list_user_sessions(&ada, T0 + 62).await.unwrap().len(),
        1
    );
    assert!(
        store
            .list_user_sessions(&ada, T0 + 1000)
            .await
            .unwrap()
            .is_empty(),
        "expired"
    );
}

async fn backup_codes_are_replaced_only_while_the_app_is_on_and_go_with_it(store: &dyn Storage) {
    let user_id = store
        .create_user(user("ada@example.com"), T0)
        .await
        .unwrap()
        .unwrap();
    let client_id = store
        .create_client(&SecretToken::generate().hash(), T0)
        .await
        .unwrap();
    let session_id = store
        .create_session(
            NewSession {
                client_id: &client_id,
                user_id: &user_id,
                new_token_hash: &SecretToken::generate().hash(),
                first_factor_at: T0,
                second_factor_at: None,
                expires_at: T0 + 1000,
                keep_other_sessions: false,
            },
            T0,
        )
        .await
        .unwrap();
    let codes = |names: &[&str]| Secret::new(names.iter().map(|n| n.to_string()).collect());
    let hashes =
        |names: &[&str]| -> Vec<Vec<u8>> { names.iter().map(|n| n.as_bytes().to_vec()).collect() };
    let replace = |names: &'static [&'static str]| {
        let (codes, hashes) = (codes(names), hashes(names));
        let (user_id, session_id) = (user_id.clone(), session_id.clone());
        async move {
            store
                .replace_backup_codes(NewBackupCodes {
                    user_id: &user_id,
                    session_id: &session_id,
                    hashes: &hashes,
                    codes: &codes,
                    reveal_until: T0 + 600,
                })
                .await
                .unwrap()
        }
    };
    assert!(!replace(&["early"]).await, "no app yet: nothing replaced");
    assert_eq!(store.unused_backup_codes(&user_id).await.unwrap(), 0);

    store
        .save_pending_totp(&user_id, &Secret::new("SECRET".into()), T0)
        .await
        .unwrap();
    assert!(
        !replace(&["early"]).await,
        "an app not yet verified has no codes"
    );
    let (first_codes, first_hashes) = (codes(&["one", "two"]), hashes(&["one", "two"]));
    assert!(store
        .confirm_totp(
            TotpConfirmation {
                user_id: &user_id,
                session_id: &session_id,
                step: 7,
                backup_code_hashes: &first_hashes,
                backup_codes: &first_codes,
                reveal_until: T0 + 600,
            },
            T0,
        )
        .await
        .unwrap());
    assert!(store
        .consume_backup_code(&user_id, b"one", T0)
        .await
        .unwrap());
    assert_eq!(store.unused_backup_codes(&user_id).await.unwrap(), 1);

    assert!(replace(&["three", "four", "five"]).await);
    assert_eq!(store.unused_backup_codes(&user_id).await.unwrap(), 3);
    assert!(
        !store
            .consume_backup_code(&user_id, b"two", T0)
            .await
            .unwrap(),
        "an old code stops working"
    );
    assert!(store
        .consume_backup_code(&user_id, b"four", T0)
        .await
        .unwrap());
    let revealed = store.backup_code_reveal(&session_id, T0).await.unwrap();
    assert_eq!(
        revealed.map(Secret::into_exposed),
        Some(vec!["three".to_string(), "four".into(), "five".into()])
    );

    assert!(store.remove_second_factor(&user_id, T0).await.unwrap());
    assert!(store.totp_factor(&user_id).await.unwrap().is_none());
    assert_eq!(store.unused_backup_codes(&user_id).await.unwrap(), 0);
    assert!(store
        .backup_code_reveal(&session_id, T0)
        .await
        .unwrap()
        .is_none());
    let user = store
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(!user.second_factor_enabled);
    assert!(
        !store.remove_second_factor(&user_id, T0).await.unwrap(),
        "nothing left"
    );
}

async fn a_sign_up_for_an_identity_creates_a_passwordless_user_with_the_identity_linked(
    store: &dyn Storage,
) {
    let client_id = store
        .create_client(&SecretToken::generate().hash(), T0)
        .await
        .unwrap();
    let identity = ExternalIdentity {
        provider: "idp".into(),
        subject: "sub-n".into(),
        email: None,
        email_verified: false,
        first_name: Some("Nora".into()),
        last_name: None,
    };
    let record = SignUpRecord {
        id: SignUpId::new("sua_sso"),
        client_id: client_id.clone(),
        email: "nora@example.com".into(),
        password_hash: None,
        first_name: Some("Nora".into()),
        last_name: None,
        state: "{}".into(),
        version: 0,
        existing_user_id: None,
        external_identity: Some(identity.clone()),
        abandon_at: T0 + 86_400,
        code: CodeState::issue("sua_sso", "123456", T0),
    };
    store.insert_sign_up(&record, T0).await.unwrap();
    let loaded = store.latest_sign_up(&client_id).await.unwrap().unwrap();
    assert_eq!(loaded.external_identity.as_ref(), Some(&identity));
    assert!(loaded.password_hash.is_none());
    let nora = UserId::new("user_nora");
    assert_eq!(
        store
            .create_user_from_sign_up(&loaded, &nora, "{\"done\":1}", T0 + 1)
            .await
            .unwrap(),
        UserCreation::Created
    );
    let found = store
        .find_user_by_external_account("idp", "sub-n")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id.as_str(), found.email.as_str()),
        ("user_nora", "nora@example.com")
    );
    assert!(found.password_hash.is_none());

    // The same identity cannot be linked to a second user by another sign-up.
    let again = SignUpRecord {
        id: SignUpId::new("sua_sso2"),
        email: "nora2@example.com".into(),
        ..record
    };
    store.insert_sign_up(&again, T0 + 2).await.unwrap();
    assert_eq!(
        store
            .create_user_from_sign_up(&again, &UserId::new("user_n2"), "{}", T0 + 3)
            .await
            .unwrap(),
        UserCreation::AttemptMoved
    );
    assert!(store
        .find_user_by_email("nora2@example.com")
        .await
        .unwrap()
        .is_none());
}

async fn users_have_unique_emails(store: &dyn Storage) {
    let id = store
        .create_user(user("ada@example.com"), T0)
        .await
        .unwrap()
        .unwrap();
    assert!(id.as_str().starts_with("user_"));
    assert!(
        store
            .create_user(user("ada@example.com"), T0)
            .await
            .unwrap()
            .is_none(),
        "taken email"
    );
    let found = store
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, id);
    assert!(!found.second_factor_enabled);
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

async fn guesses_are_counted_per_identifier_and_lock_at_the_maximum(store: &dyn Storage) {
    let lock = T0 + 3600;
    for n in 1..=9 {
        let reserved = store
            .reserve_guess("x@example.com", 10, lock, T0)
            .await
            .unwrap();
        assert_eq!(
            reserved,
            Reserved {
                failed_attempts: n,
                locked_until: None
            }
        );
    }
    // The 10th guess sets the lock in the same statement that counts it.
    let tenth = store
        .reserve_guess("x@example.com", 10, lock, T0)
        .await
        .unwrap();
    assert_eq!(
        tenth,
        Reserved {
            failed_attempts: 10,
            locked_until: Some(lock)
        }
    );
    // Later guesses keep the original lock end.
    let eleventh = store
        .reserve_guess("x@example.com", 10, T0 + 9999, T0 + 5)
        .await
        .unwrap();
    assert_eq!(
        eleventh,
        Reserved {
            failed_attempts: 11,
            locked_until: Some(lock)
        }
    );
    // Once the lock has expired, the count starts over.
    let fresh = store
        .reserve_guess("x@example.com", 10, lock + 7200, lock)
        .await
        .unwrap();
    assert_eq!(
        fresh,
        Reserved {
            failed_attempts: 1,
            locked_until: None
        }
    );
    // Other identifiers are separate; clearing forgets.
    assert_eq!(
        store
            .reserve_guess("y@example.com", 10, lock, T0)
            .await
            .unwrap()
            .failed_attempts,
        1
    );
    store.clear_guesses("x@example.com").await.unwrap();
    assert!(store.guesses_of("x@example.com").await.unwrap().is_none());
}

async fn rate_counters_count_in_fixed_windows(store: &dyn Storage) {
    assert_eq!(store.hit_rate_counter("k", 60, T0).await.unwrap(), (1, T0));
    assert_eq!(
        store.hit_rate_counter("k", 60, T0 + 59).await.unwrap(),
        (2, T0)
    );
    assert_eq!(
        store.hit_rate_counter("k", 60, T0 + 60).await.unwrap(),
        (1, T0 + 60)
    );
    assert_eq!(
        store.hit_rate_counter("other", 60, T0 + 1).await.unwrap(),
        (1, T0 + 1)
    );
}

async fn counters_that_decide_nothing_are_pruned(store: &dyn Storage) {
    store.hit_rate_counter("old", 60, T0).await.unwrap();
    store.hit_rate_counter("live", 60, T0 + 100).await.unwrap();
    // An expired lock, a live lock, an idle count and a recent count.
    for _ in 0..10 {
        store
            .reserve_guess("expired@example.com", 10, T0 + 50, T0)
            .await
            .unwrap();
        store
            .reserve_guess("locked@example.com", 10, T0 + 9_999, T0)
            .await
            .unwrap();
    }
    store
        .reserve_guess("idle@example.com", 10, T0 + 9_999, T0)
        .await
        .unwrap();
    store
        .reserve_guess("recent@example.com", 10, T0 + 9_999, T0 + 90)
        .await
        .unwrap();
    let removed = store
        .prune_counters(T0 + 100 - 60, T0 + 10, T0 + 100)
        .await
        .unwrap();
    assert_eq!(
        removed, 3,
        "the old window, the expired lock, the idle count"
    );
    for (identifier, kept) in [
        ("expired@example.com", false),
        ("locked@example.com", true),
        ("idle@example.com", false),
        ("recent@example.com", true),
    ] {
        assert_eq!(
            store.guesses_of(identifier).await.unwrap().is_some(),
            kept,
            "{identifier}"
        );
    }
    assert_eq!(
        store.hit_rate_counter("live", 60, T0 + 101).await.unwrap(),
        (2, T0 + 100),
        "the live window keeps its count"
    );
}

/// Browsers that never signed in and stayed away, expired attempts: pruned; a browser that held
/// a session (client trust remembers it) or came back recently is kept.
async fn abandoned_browsers_and_attempts_are_pruned(store: &dyn Storage) {
    let anonymous = SecretToken::generate();
    store.create_client(&anonymous.hash(), T0).await.unwrap();
    let recent = SecretToken::generate();
    store.create_client(&recent.hash(), T0 + 500).await.unwrap();
    let signed_in = SecretToken::generate();
    let signed_in_client = store.create_client(&signed_in.hash(), T0).await.unwrap();
    let user_id = store
        .create_user(user("kept@example.com"), T0)
        .await
        .unwrap()
        .unwrap();
    let session_token = SecretToken::generate();
    let session = store
        .create_session(
            NewSession {
                client_id: &signed_in_client,
                user_id: &user_id,
                new_token_hash: &session_token.hash(),
                first_factor_at: T0,
                second_factor_at: None,
                expires_at: T0 + 50,
                keep_other_sessions: false,
            },
            T0,
        )
        .await
        .unwrap();
    store.end_session(&session, T0 + 10).await.unwrap();
    let attempt = StoredSignIn {
        id: gatehouse::domain::ids::new_id(),
        state: "{}".into(),
        version: 0,
        expires_at: T0 + 600,
    };
    store
        .insert_sign_in(&attempt, &signed_in_client, T0)
        .await
        .unwrap();

    let removed = store.prune_abandoned(T0 + 100, T0 + 700).await.unwrap();
    assert_eq!(removed, 2, "the anonymous browser and the expired attempt");
    assert!(store
        .resolve_client(&anonymous.hash(), T0 + 700)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .resolve_client(&recent.hash(), T0 + 700)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .resolve_client(&session_token.hash(), T0 + 700)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .client_has_held_session(&signed_in_client, &user_id)
        .await
        .unwrap());
    assert!(store
        .current_sign_in(&signed_in_client, T0)
        .await
        .unwrap()
        .is_none());
}

async fn sessions_resolve_by_token_hash_and_end_on_sign_out(store: &dyn Storage) {
    let user_id = store
        .create_user(user("ada@example.com"), T0)
        .await
        .unwrap()
        .unwrap();
    let first = SecretToken::generate();
    let client_id = store.create_client(&first.hash(), T0).await.unwrap();
    let resolved = store
        .resolve_client(&first.hash(), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.client_id, client_id);
    assert!(resolved.session.is_none());

    let rotated = SecretToken::generate();
    let session_id = store
        .create_session(
            NewSession {
                client_id: &client_id,
                user_id: &user_id,
                new_token_hash: &rotated.hash(),
                first_factor_at: T0,
                second_factor_at: None,
                expires_at: T0 + 100,
                keep_other_sessions: false,
            },
            T0,
        )
        .await
        .unwrap();
    assert!(
        store
            .resolve_client(&first.hash(), T0)
            .await
            .unwrap()
            .is_none(),
        "the old token no longer works"
    );
    let resolved = store
        .resolve_client(&rotated.hash(), T0)
        .await
        .unwrap()
        .unwrap();
    let session = resolved.session.unwrap();
    assert_eq!(session.session_id, session_id);
    assert_eq!(session.email_address, "ada@example.com");
    assert!(
        store
            .resolve_client(&rotated.hash(), T0 + 100)
            .await
            .unwrap()
            .unwrap()
            .session
            .is_none(),
        "expired"
    );

    assert!(store
        .end_client_session(&client_id, &session_id, T0 + 1)
        .await
        .unwrap());
    assert!(store
        .resolve_client(&rotated.hash(), T0 + 1)
        .await
        .unwrap()
        .unwrap()
        .session
        .is_none());
}

async fn sign_up_attempts_round_trip_with_their_code(store: &dyn Storage) {
    let client_id = store
        .create_client(&SecretToken::generate().hash(), T0)
        .await
        .unwrap();
    let id = SignUpId::new("sua_1");
    let record = SignUpRecord {
        id: id.clone(),
        client_id: client_id.clone(),
        email: "ada@example.com".into(),
        password_hash: Some(DUMMY_HASH.clone()),
        first_name: None,
        last_name: Some("Lovelace".into()),
        state: "{\"s\":1}".into(),
        version: 0,
        existing_user_id: None,
        external_identity: None,
        abandon_at: T0 + 86_400,
        code: CodeState::issue("sua_1", "123456", T0),
    };
    store.insert_sign_up(&record, T0).await.unwrap();
    let loaded = store.latest_sign_up(&client_id).await.unwrap().unwrap();
    assert_eq!(loaded.code, record.code);
    assert_eq!(loaded.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(
        (loaded.version, json(&loaded.state)),
        (0, json("{\"s\":1}"))
    );
    // A try is reserved (counted) before it is compared; the right code is consumed once.
    let key = CodeKey::sign_up(&id);
    let reserved = store
        .reserve_code_try(key, 5, T0 + 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reserved.tries, 1);
    assert_eq!(reserved.code_hash, record.code.code_hash);
    assert!(store.consume_code(key).await.unwrap());
    assert!(!store.consume_code(key).await.unwrap());
    assert!(store
        .reserve_code_try(key, 5, T0 + 2)
        .await
        .unwrap()
        .is_none());
    let consumed = store.code_state(key).await.unwrap().unwrap();
    assert!(consumed.consumed);
    assert_eq!(
        consumed.failed_attempts, 0,
        "the right try is not a failure"
    );
    // A resend is a compare-and-swap on the previous code.
    let next = CodeState::issue("sua_1", "654321", T0 + 40);
    assert!(
        !store.replace_code(key, &record.code, &next).await.unwrap(),
        "a consumed code is not replaced"
    );
    // Transitions are compare-and-swaps on the version.
    assert!(store
        .save_sign_up(&id, 0, "{\"s\":2}", T0 + 5)
        .await
        .unwrap());
    assert!(!store
        .save_sign_up(&id, 0, "{\"s\":3}", T0 + 5)
        .await
        .unwrap());
    let loaded = store.latest_sign_up(&client_id).await.unwrap().unwrap();
    assert_eq!(
        (loaded.version, json(&loaded.state)),
        (1, json("{\"s\":2}"))
    );
    // Creating the user moves the attempt in the same step; a stale version creates nothing.
    let user_id = UserId::new("user_1");
    assert_eq!(
        store
            .create_user_from_sign_up(&record, &user_id, "{\"s\":4}", T0 + 6)
            .await
            .unwrap(),
        UserCreation::AttemptMoved
    );
    assert!(store
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .create_user_from_sign_up(&loaded, &user_id, "{\"s\":4}", T0 + 6)
            .await
            .unwrap(),
        UserCreation::Created
    );
    let loaded = store.latest_sign_up(&client_id).await.unwrap().unwrap();
    assert_eq!(
        (loaded.version, json(&loaded.state)),
        (2, json("{\"s\":4}"))
    );
    assert_eq!(
        store
            .find_user_by_email("ada@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        user_id
    );
    // A second attempt for the same email cannot create a second user.
    let again = SignUpRecord {
        id: SignUpId::new("sua_2"),
        ..loaded
    };
    store.insert_sign_up(&again, T0 + 7).await.unwrap();
    assert_eq!(
        store
            .create_user_from_sign_up(&again, &UserId::new("user_2"), "{}", T0 + 8)
            .await
            .unwrap(),
        UserCreation::EmailTaken
    );
    let latest = store.latest_sign_up(&client_id).await.unwrap().unwrap();
    assert_eq!(latest.version, again.version, "a taken email moves nothing");
}

async fn sign_in_attempts_move_by_compare_and_swap_and_finalize_once(store: &dyn Storage) {
    let client_id = store
        .create_client(&SecretToken::generate().hash(), T0)
        .await
        .unwrap();
    let sia_1 = SignInId::new("sia_1");
    let stored = |id: &SignInId, state: &str| StoredSignIn {
        id: id.clone(),
        state: state.to_string(),
        version: 0,
        expires_at: T0 + 600,
    };
    store
        .insert_sign_in(&stored(&sia_1, "{\"s\":1}"), &client_id, T0)
        .await
        .unwrap();
    let current = store
        .current_sign_in(&client_id, T0 + 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((current.id.as_str(), current.version), ("sia_1", 0));
    // Two transitions from version 0: one wins.
    assert!(store.save_sign_in(&sia_1, 0, "{\"s\":2}").await.unwrap());
    assert!(!store.save_sign_in(&sia_1, 0, "{\"s\":3}").await.unwrap());
    let current = store
        .current_sign_in(&client_id, T0 + 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (current.version, json(&current.state)),
        (1, json("{\"s\":2}"))
    );
    // Second-factor tries are reserved up to the maximum.
    for n in 1..=5 {
        assert_eq!(store.reserve_sign_in_try(&sia_1, 5).await.unwrap(), Some(n));
    }
    assert_eq!(store.reserve_sign_in_try(&sia_1, 5).await.unwrap(), None);
    // Finalize claims it once.
    assert!(store.claim_sign_in(&sia_1, 1, T0 + 2).await.unwrap());
    assert!(!store.claim_sign_in(&sia_1, 2, T0 + 2).await.unwrap());
    assert!(store
        .current_sign_in(&client_id, T0 + 2)
        .await
        .unwrap()
        .is_none());
    // An attempt is gone once expired.
    store
        .insert_sign_in(&stored(&SignInId::new("sia_2"), "{}"), &client_id, T0)
        .await
        .unwrap();
    assert!(store
        .current_sign_in(&client_id, T0 + 600)
        .await
        .unwrap()
        .is_none());
}

async fn external_accounts_link_once_and_never_leave_a_user_without_a_way_in(store: &dyn Storage) {
    let client_id = store
        .create_client(&SecretToken::generate().hash(), T0)
        .await
        .unwrap();
    let attempt = SignInId::new("sia_sso");
    let stored = StoredSignIn {
        id: attempt.clone(),
        state: "{}".into(),
        version: 0,
        expires_at: T0 + 600,
    };
    store.insert_sign_in(&stored, &client_id, T0).await.unwrap();
    let identity = |subject: &str, email: &str| ExternalIdentity {
        provider: "idp".into(),
        subject: subject.into(),
        email: Some(email.into()),
        email_verified: true,
        first_name: Some("Grace".into()),
        last_name: None,
    };

    // A user created from an identity: no password, the identity linked, the attempt moved.
    let grace = UserId::new("user_grace");
    let created = store
        .create_user_from_identity(
            &grace,
            &identity("sub-g", "grace@example.com"),
            (&attempt, 0, "{\"s\":1}"),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(created, UserCreation::Created);
    let found = store
        .find_user_by_external_account("idp", "sub-g")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id.as_str(), found.email.as_str()),
        ("user_grace", "grace@example.com")
    );
    assert!(found.password_hash.is_none());
    assert!(store
        .find_user_by_external_account("idp", "sub-x")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .find_user_by_external_account("other", "sub-g")
        .await
        .unwrap()
        .is_none());
    // The attempt moved: the same version cannot create anyone again.
    let again = store
        .create_user_from_identity(
            &UserId::new("user_2"),
            &identity("sub-2", "two@example.com"),
            (&attempt, 0, "{}"),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(again, UserCreation::AttemptMoved);
    // A taken email creates nothing.
    let taken = store
        .create_user_from_identity(
            &UserId::new("user_3"),
            &identity("sub-3", "grace@example.com"),
            (&attempt, 1, "{}"),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(taken, UserCreation::EmailTaken);
    assert!(store
        .find_user_by_external_account("idp", "sub-3")
        .await
        .unwrap()
        .is_none());

    // Her only way in cannot be unlinked; with a second link, one of them can.
    let links = store.list_external_accounts(&grace).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(
        store
            .unlink_external_account(&grace, &links[0].id)
            .await
            .unwrap(),
        Unlink::LastWayToSignIn
    );
    assert!(store
        .link_external_account(
            &grace,
            &identity("sub-g2", "grace@example.com"),
            (&attempt, 1, "{\"s\":2}"),
            T0 + 1
        )
        .await
        .unwrap());
    assert!(
        !store
            .link_external_account(
                &grace,
                &identity("sub-g3", "grace@example.com"),
                (&attempt, 1, "{}"),
                T0 + 1
            )
            .await
            .unwrap(),
        "a moved attempt links nothing"
    );
    let links = store.list_external_accounts(&grace).await.unwrap();
    assert_eq!(
        links.iter().map(|l| l.subject.as_str()).collect::<Vec<_>>(),
        ["sub-g", "sub-g2"]
    );
    let ada = store
        .create_user(user("ada@example.com"), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .unlink_external_account(&ada, &links[0].id)
            .await
            .unwrap(),
        Unlink::NotFound,
        "another user's link"
    );
    assert_eq!(
        store
            .unlink_external_account(&grace, &links[0].id)
            .await
            .unwrap(),
        Unlink::Removed
    );
    assert_eq!(
        store
            .unlink_external_account(&grace, &links[1].id)
            .await
            .unwrap(),
        Unlink::LastWayToSignIn
    );
}

// The SQLite store's auth cache: a browser's resolutions within one second come from memory,
// and never outlive a write that changes them.

/// Membership changes: a role changed, a member removed (their sessions lose the organization,
/// the other members' keep it), the organization renamed (a slug taken is refused) and
/// deleted; and whatever runs in parallel, an organization keeps a member in a manager role.
async fn an_organization_keeps_a_manager_however_members_are_changed_and_removed(
    store: &dyn Storage,
) {
    use gatehouse::domain::ports::MemberChange;
    let managers = ["org:admin".to_string()];
    let ada = signed_in_browser(store, "ada@example.com").await;
    let bob = signed_in_browser(store, "bob@example.com").await;
    let org = store
        .create_organization("Acme", "acme", &ada.user_id, T0)
        .await
        .unwrap()
        .unwrap();
    store
        .upsert_member(&org, &bob.user_id, "org:member", T0)
        .await
        .unwrap();
    for browser in [&ada, &bob] {
        store
            .set_active_organization(&browser.session_id, Some(&org))
            .await
            .unwrap();
    }
    let active_of = |token: SecretToken| async move {
        let resolved = store
            .resolve_client(&token.hash(), T0 + 1)
            .await
            .unwrap()
            .unwrap();
        resolved.session.unwrap().active_org_id
    };

    // The only admin can be neither demoted nor removed; a member can be changed.
    let demote_ada = store.change_member_role(&org, &ada.user_id, "org:member", &managers);
    assert_eq!(demote_ada.await.unwrap(), MemberChange::LastManager);
    let remove_ada = store.remove_member(&org, &ada.user_id, &managers);
    assert_eq!(remove_ada.await.unwrap(), MemberChange::LastManager);
    let keep_ada = store.change_member_role(&org, &ada.user_id, "org:admin", &managers);
    assert_eq!(keep_ada.await.unwrap(), MemberChange::Done);
    let stranger = UserId::new("user_stranger");
    let nobody = store.remove_member(&org, &stranger, &managers);
    assert_eq!(nobody.await.unwrap(), MemberChange::NotAMember);
    let promote_bob = store.change_member_role(&org, &bob.user_id, "org:admin", &managers);
    assert_eq!(promote_bob.await.unwrap(), MemberChange::Done);
    assert_eq!(
        store
            .membership_role(&org, &bob.user_id)
            .await
            .unwrap()
            .as_deref(),
        Some("org:admin")
    );

    // Two admins demoting each other at once: one change is made, the other refused.
    let (a, b) = tokio::join!(
        store.change_member_role(&org, &ada.user_id, "org:member", &managers),
        store.change_member_role(&org, &bob.user_id, "org:member", &managers),
    );
    let mut answers = [a.unwrap(), b.unwrap()];
    answers.sort_by_key(|change| *change == MemberChange::Done);
    assert_eq!(answers, [MemberChange::LastManager, MemberChange::Done]);
    // And removing each other at once.
    store
        .change_member_role(&org, &ada.user_id, "org:admin", &managers)
        .await
        .unwrap();
    store
        .change_member_role(&org, &bob.user_id, "org:admin", &managers)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        store.remove_member(&org, &ada.user_id, &managers),
        store.remove_member(&org, &bob.user_id, &managers),
    );
    let mut answers = [a.unwrap(), b.unwrap()];
    answers.sort_by_key(|change| *change == MemberChange::Done);
    assert_eq!(answers, [MemberChange::LastManager, MemberChange::Done]);
    let members = store.list_members(&org).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].role, "org:admin");
    let (removed, kept) = if members[0].user_id == ada.user_id {
        (bob, ada)
    } else {
        (ada, bob)
    };
    assert_eq!(
        active_of(removed.token).await,
        None,
        "the removed member's session lost it"
    );
    assert_eq!(active_of(kept.token.clone()).await, Some(org.clone()));

    // Renaming: a slug another organization has is refused.
    store
        .create_organization("Other", "other", &kept.user_id, T0)
        .await
        .unwrap()
        .unwrap();
    assert!(!store
        .rename_organization(&org, "Acme", "other")
        .await
        .unwrap());
    assert!(store
        .rename_organization(&org, "Acme Inc", "acme-inc")
        .await
        .unwrap());
    let renamed = store
        .find_organization_by_slug("acme-inc")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (renamed.id.clone(), renamed.name.as_str()),
        (org.clone(), "Acme Inc")
    );
    assert!(store
        .find_organization_by_slug("acme")
        .await
        .unwrap()
        .is_none());

    // Deleting: gone with its memberships, and from the sessions that had it active.
    store.delete_organization(&org).await.unwrap();
    assert!(store
        .find_organization_by_slug("acme-inc")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.membership_role(&org, &kept.user_id).await.unwrap(),
        None
    );
    assert_eq!(active_of(kept.token).await, None);
}

/// Domains: at most ten per organization however many are added at once, one row per name;
/// membership requests: one pending per user, none for a member, decided once however many
/// decisions race (an approval makes the membership).
async fn domains_are_counted_and_requests_decided_once_under_parallel_calls(store: &dyn Storage) {
    use gatehouse::domain::ports::{DomainCreation, RequestDecision, MAX_DOMAINS};
    use gatehouse::model::EnrollmentMode;
    let ada = signed_in_browser(store, "ada@example.com").await;
    let sue = signed_in_browser(store, "sue@acme.com").await;
    let org = store
        .create_organization("Acme", "acme", &ada.user_id, T0)
        .await
        .unwrap()
        .unwrap();
    let mode = EnrollmentMode::AutomaticSuggestion;
    let names: Vec<String> = (0..15).map(|n| format!("d{n}.test")).collect();
    let adds = names
        .iter()
        .map(|name| store.create_domain(&org, name, mode, T0));
    let added = futures::future::join_all(adds).await;
    let created = added
        .iter()
        .filter(|a| matches!(a, Ok(DomainCreation::Created(_))))
        .count();
    let over = added
        .iter()
        .filter(|a| matches!(a, Ok(DomainCreation::QuotaExceeded)))
        .count();
    assert_eq!((created, over), (MAX_DOMAINS as usize, 5), "{added:?}");
    assert_eq!(
        store.list_domains(&org).await.unwrap().len(),
        MAX_DOMAINS as usize
    );
    let first = store.list_domains(&org).await.unwrap()[0].clone();
    assert_eq!(
        store
            .create_domain(&org, &first.name, mode, T0)
            .await
            .unwrap(),
        DomainCreation::Exists
    );

    // Verified, it is found by name; unverified ones are not.
    assert!(store
        .organizations_with_verified_domain(&first.name, mode)
        .await
        .unwrap()
        .is_empty());
    store.mark_domain_verified(&first.id, T0 + 1).await.unwrap();
    let found = store
        .organizations_with_verified_domain(&first.name, mode)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
        std::slice::from_ref(&org)
    );
    let other_mode = EnrollmentMode::AutomaticInvitation;
    assert!(store
        .organizations_with_verified_domain(&first.name, other_mode)
        .await
        .unwrap()
        .is_empty());

    // Requests.
    let (none, no_total) = store
        .list_membership_requests_page(&org, 0, 10)
        .await
        .unwrap();
    assert_eq!((none.len(), no_total), (0, 0));
    assert!(store
        .create_membership_request("orgmbr_1", &org, &sue.user_id, T0)
        .await
        .unwrap());
    assert!(!store
        .create_membership_request("orgmbr_2", &org, &sue.user_id, T0)
        .await
        .unwrap());
    assert!(
        !store
            .create_membership_request("orgmbr_3", &org, &ada.user_id, T0)
            .await
            .unwrap(),
        "a member"
    );
    assert_eq!(
        store
            .pending_request_organizations(&sue.user_id)
            .await
            .unwrap(),
        std::slice::from_ref(&org)
    );
    let (page, total) = store
        .list_membership_requests_page(&org, 0, 10)
        .await
        .unwrap();
    assert_eq!((page.len(), total), (1, 1));
    assert_eq!(page[0].email_address, "sue@acme.com");
    assert!(store
        .list_membership_requests_page(&org, 1, 10)
        .await
        .unwrap()
        .0
        .is_empty());
    let (members, count) = store.list_members_page(&org, 0, 1).await.unwrap();
    assert_eq!((members.len(), count), (1, 1));
    assert_eq!(members[0].user_id, ada.user_id);
    let decisions = (0..6).map(|n| {
        let role = (n % 2 == 0).then_some("org:member");
        store.decide_membership_request(&org, "orgmbr_1", role, T0 + 2)
    });
    let decided = futures::future::join_all(decisions).await;
    let once = decided
        .iter()
        .filter(|d| matches!(d, Ok(RequestDecision::Decided)))
        .count();
    assert_eq!(once, 1, "{decided:?}");
    assert!(store
        .pending_request_organizations(&sue.user_id)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_membership_requests(&org)
        .await
        .unwrap()
        .is_empty());
}

/// A user signed in on a new browser at T0.
struct Browser {
    token: SecretToken,
    user_id: UserId,
    client_id: ClientId,
    session_id: SessionId,
}

/// A passkey row of `user_id` with this credential id.
fn passkey_row(user_id: &UserId, credential_id: &str) -> gatehouse::domain::ports::PasskeyRow {
    gatehouse::domain::ports::PasskeyRow {
        id: gatehouse::domain::ids::new_row_id("passkey"),
        user_id: user_id.clone(),
        credential_id: credential_id.to_string(),
        user_handle: "5b2b8c6e-3c1a-4f57-9d0e-1f2a3b4c5d6e".to_string(),
        name: "Passkey".to_string(),
        passkey: r#"{"cred":{"counter":0}}"#.to_string(),
        counter: 0,
        flagged_at: None,
        created_at: T0,
        last_used_at: None,
    }
}

/// Passkeys: at most 10 a user, counted where one is inserted (also under 15 parallel adds), a
/// credential registered once across users, found with its owner; a use recorded only while the
/// counter moves forward (or stays 0), never once flagged; renamed and deleted only by their
/// owner; a ceremony taken once, by its browser, for its kind, before it expires — however many
/// takes race — and pruned once expired.
async fn passkeys_are_counted_unique_and_their_ceremonies_taken_once(store: &dyn Storage) {
    use gatehouse::domain::ports::{CeremonyKind, CeremonyRow, PasskeyCreation, MAX_PASSKEYS};
    let ada = signed_in_browser(store, "ada@example.com").await;
    let bob = signed_in_browser(store, "bob@example.com").await;
    let rows: Vec<_> = (0..15)
        .map(|n| passkey_row(&ada.user_id, &format!("cred-{n}")))
        .collect();
    let added = futures::future::join_all(rows.iter().map(|row| store.create_passkey(row))).await;
    let count = |wanted: PasskeyCreation| {
        added
            .iter()
            .filter(|a| matches!(a, Ok(c) if *c == wanted))
            .count()
    };
    assert_eq!(
        (
            count(PasskeyCreation::Created),
            count(PasskeyCreation::QuotaExceeded)
        ),
        (MAX_PASSKEYS as usize, 5),
        "{added:?}"
    );
    let listed = store.list_passkeys(&ada.user_id).await.unwrap();
    assert_eq!(listed.len(), MAX_PASSKEYS as usize);
    // One account per credential.
    let taken = passkey_row(&bob.user_id, &listed[0].credential_id);
    assert_eq!(
        store.create_passkey(&taken).await.unwrap(),
        PasskeyCreation::Exists
    );
    let mine = passkey_row(&bob.user_id, "bob-cred");
    assert_eq!(
        store.create_passkey(&mine).await.unwrap(),
        PasskeyCreation::Created
    );
    let found = store
        .find_passkey_by_credential("bob-cred")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.email, "bob@example.com");
    assert!(!found.second_factor_enabled);
    assert_eq!(found.passkey.id, mine.id);
    assert_eq!(json(&found.passkey.passkey), json(&mine.passkey));
    assert!(store
        .find_passkey_by_credential("nope")
        .await
        .unwrap()
        .is_none());

    // The counter only moves forward; a synced passkey keeps 0.
    let state = r#"{"cred":{"counter":3}}"#;
    assert!(store
        .record_passkey_use(&mine.id, state, 0, T0 + 1)
        .await
        .unwrap());
    assert!(store
        .record_passkey_use(&mine.id, state, 3, T0 + 2)
        .await
        .unwrap());
    assert!(!store
        .record_passkey_use(&mine.id, state, 3, T0 + 3)
        .await
        .unwrap());
    assert!(!store
        .record_passkey_use(&mine.id, state, 2, T0 + 3)
        .await
        .unwrap());
    let uses = futures::future::join_all(
        (4..12).map(|n| store.record_passkey_use(&mine.id, state, 4 + (n % 2), T0 + 4)),
    )
    .await;
    let recorded = uses.iter().filter(|u| matches!(u, Ok(true))).count();
    assert!((1..=2).contains(&recorded), "{uses:?}");
    let found = store
        .find_passkey_by_credential("bob-cred")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.passkey.last_used_at, Some(T0 + 4));
    assert!(found.passkey.counter >= 4);
    store.flag_passkey(&mine.id, T0 + 5).await.unwrap();
    assert!(!store
        .record_passkey_use(&mine.id, state, 99, T0 + 6)
        .await
        .unwrap());
    let found = store
        .find_passkey_by_credential("bob-cred")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.passkey.flagged_at, Some(T0 + 5));

    // Only the owner renames or deletes.
    assert!(!store
        .rename_passkey(&ada.user_id, &mine.id, "Mine")
        .await
        .unwrap());
    assert!(store
        .rename_passkey(&bob.user_id, &mine.id, "Mine")
        .await
        .unwrap());
    assert_eq!(
        store.delete_passkey(&ada.user_id, &mine.id).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .delete_passkey(&bob.user_id, &mine.id)
            .await
            .unwrap()
            .as_deref(),
        Some("Mine")
    );
    assert!(store.list_passkeys(&bob.user_id).await.unwrap().is_empty());

    // Ceremonies.
    let ceremony = |id: &str, client_id: &ClientId, kind| CeremonyRow {
        id: id.to_string(),
        client_id: client_id.clone(),
        kind,
        user_id: Some(ada.user_id.clone()),
        state: r#"{"challenge":"abc"}"#.to_string(),
        expires_at: T0 + 300,
    };
    let registration = ceremony("pkc_reg", &ada.client_id, CeremonyKind::Registration);
    store.insert_ceremony(&registration).await.unwrap();
    let sign_in = ceremony("pkc_auth", &ada.client_id, CeremonyKind::Authentication);
    store.insert_ceremony(&sign_in).await.unwrap();
    // Not for another browser, not as the other kind, not once expired.
    let auth = CeremonyKind::Authentication;
    assert!(store
        .take_ceremony("pkc_auth", &bob.client_id, auth, T0)
        .await
        .unwrap()
        .is_none());
    let reg = CeremonyKind::Registration;
    assert!(store
        .take_ceremony("pkc_auth", &ada.client_id, reg, T0)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .take_ceremony("pkc_reg", &ada.client_id, reg, T0 + 300)
        .await
        .unwrap()
        .is_none());
    // Once, however many takes race.
    let takes = futures::future::join_all(
        (0..8).map(|_| store.take_ceremony("pkc_auth", &ada.client_id, auth, T0 + 1)),
    )
    .await;
    let taken: Vec<_> = takes.into_iter().filter_map(|t| t.unwrap()).collect();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].kind, auth);
    assert_eq!(taken[0].user_id.as_ref(), Some(&ada.user_id));
    assert_eq!(json(&taken[0].state), json(&sign_in.state));
    // The expired registration ceremony is pruned.
    assert!(store.prune_abandoned(T0 - 1, T0 + 300).await.unwrap() >= 1);
    assert!(store
        .take_ceremony("pkc_reg", &ada.client_id, reg, T0)
        .await
        .unwrap()
        .is_none());
}

/// The audit log: events read newest first (ties in the reverse order of writing), selected by
/// user or email, organization and time, capped, and pruned by age.
async fn audit_events_are_read_newest_first_by_user_email_organization_and_time(
    store: &dyn Storage,
) {
    use gatehouse::domain::ports::{AuditFilter, AuditRow};
    let row =
        |id: &str, at: i64, user: Option<&str>, email: Option<&str>, org: Option<&str>| AuditRow {
            id: id.to_string(),
            at,
            kind: "sign_in".to_string(),
            outcome: "succeeded".to_string(),
            user_id: user.map(UserId::new),
            email: email.map(str::to_string),
            session_id: Some("sess_1".to_string()),
            client_id: Some("client_1".to_string()),
            ip_address: Some("203.0.113.7".to_string()),
            browser: Some("Chrome on Linux".to_string()),
            organization_id: org.map(OrgId::new),
            detail: Some("password".to_string()),
        };
    let rows = [
        row(
            "audit_1",
            T0,
            Some("user_ada"),
            Some("ada@example.com"),
            None,
        ),
        row("audit_2", T0 + 10, None, Some("ada@example.com"), None),
        row(
            "audit_3",
            T0 + 10,
            Some("user_bob"),
            Some("bob@example.com"),
            Some("org_acme"),
        ),
        row("audit_4", T0 + 20, Some("user_ada"), None, Some("org_acme")),
    ];
    for row in &rows {
        store.insert_audit_event(row).await.unwrap();
    }
    let ids = |found: Vec<AuditRow>| found.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let all = AuditFilter {
        limit: 10,
        ..AuditFilter::default()
    };
    let found = store.audit_events(&all).await.unwrap();
    assert_eq!(found[3], rows[0], "every field round-trips");
    assert_eq!(ids(found), ["audit_4", "audit_3", "audit_2", "audit_1"]);
    let ada = AuditFilter {
        user_id: Some(UserId::new("user_ada")),
        email: Some("ada@example.com".to_string()),
        limit: 10,
        ..AuditFilter::default()
    };
    assert_eq!(
        ids(store.audit_events(&ada).await.unwrap()),
        ["audit_4", "audit_2", "audit_1"]
    );
    let acme_since = AuditFilter {
        organization_id: Some(OrgId::new("org_acme")),
        since: Some(T0 + 15),
        limit: 10,
        ..AuditFilter::default()
    };
    assert_eq!(
        ids(store.audit_events(&acme_since).await.unwrap()),
        ["audit_4"]
    );
    let capped = AuditFilter {
        limit: 2,
        ..AuditFilter::default()
    };
    assert_eq!(store.audit_events(&capped).await.unwrap().len(), 2);
    assert_eq!(store.prune_audit_events(T0 + 10).await.unwrap(), 1);
    assert_eq!(store.audit_events(&all).await.unwrap().len(), 3);
}

async fn signed_in_browser(store: &dyn Storage, email: &str) -> Browser {
    let user_id = store.create_user(user(email), T0).await.unwrap().unwrap();
    let first = SecretToken::generate();
    let client_id = store.create_client(&first.hash(), T0).await.unwrap();
    let token = SecretToken::generate();
    let session = NewSession {
        client_id: &client_id,
        user_id: &user_id,
        new_token_hash: &token.hash(),
        first_factor_at: T0,
        second_factor_at: None,
        expires_at: T0 + 3600,
        keep_other_sessions: false,
    };
    let session_id = store.create_session(session, T0).await.unwrap();
    Browser {
        token,
        user_id,
        client_id,
        session_id,
    }
}

async fn first_name_at_t0(store: &dyn Storage, token: &SecretToken) -> Option<String> {
    let row = store.resolve_client(&token.hash(), T0).await.unwrap()?;
    row.session.and_then(|session| session.first_name)
}

#[tokio::test]
async fn the_auth_cache_never_outlives_a_write_of_this_process() {
    let (_dir, sqlite) = temp_store().await;
    let store: &dyn Storage = &sqlite;
    let Browser {
        token,
        user_id,
        client_id,
        session_id,
    } = signed_in_browser(store, "ada@example.com").await;
    assert_eq!(
        first_name_at_t0(store, &token).await.as_deref(),
        Some("Ada")
    );

    store
        .update_name(&user_id, Some("Augusta"), None, T0)
        .await
        .unwrap();
    assert_eq!(
        first_name_at_t0(store, &token).await.as_deref(),
        Some("Augusta")
    );

    // Writes the resolution never reads (an attacker's guesses) leave the entry alone; the
    // answer is the same either way.
    store
        .hit_rate_counter("ip:127.0.0.1", 60, T0)
        .await
        .unwrap();
    assert_eq!(
        first_name_at_t0(store, &token).await.as_deref(),
        Some("Augusta")
    );

    assert!(store
        .end_client_session(&client_id, &session_id, T0)
        .await
        .unwrap());
    let row = store
        .resolve_client(&token.hash(), T0)
        .await
        .unwrap()
        .unwrap();
    assert!(row.session.is_none(), "signed out within the same second");
}

#[tokio::test]
async fn the_auth_cache_sees_the_writes_of_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shared.db?mode=rwc", dir.path().display());
    let server_store = SqliteStore::open(&url).await.unwrap();
    let server: &dyn Storage = &server_store;
    // The CLI opens the same file: its writes never reach the server's write generation.
    let cli_store = SqliteStore::open(&url).await.unwrap();
    let cli: &dyn Storage = &cli_store;
    let Browser { token, user_id, .. } = signed_in_browser(server, "ada@example.com").await;
    assert_eq!(
        first_name_at_t0(server, &token).await.as_deref(),
        Some("Ada")
    );

    // Renamed and back: the second write leaves the name as cached before the first.
    for name in ["Augusta", "Ada"] {
        cli.update_name(&user_id, Some(name), None, T0)
            .await
            .unwrap();
        assert_eq!(
            first_name_at_t0(server, &token).await.as_deref(),
            Some(name)
        );
    }

    cli.end_user_sessions(&user_id, None, T0).await.unwrap();
    let row = server
        .resolve_client(&token.hash(), T0)
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.session.is_none(),
        "ended by the CLI within the same second"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_resolution_that_starts_after_a_sign_out_sees_it_under_parallel_load() {
    use std::sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    };
    let (_dir, store) = temp_store().await;
    let store: Arc<dyn Storage> = Arc::new(store);
    let Browser {
        token,
        client_id,
        session_id,
        ..
    } = signed_in_browser(&*store, "ada@example.com").await;
    let ended = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (store, ended, hash) = (store.clone(), ended.clone(), token.hash());
            tokio::spawn(async move {
                let mut after = 0;
                while after < 200 {
                    let started_after_sign_out = ended.load(Ordering::SeqCst);
                    let row = store.resolve_client(&hash, T0).await.unwrap().unwrap();
                    if started_after_sign_out {
                        assert!(row.session.is_none(), "a stale session after the sign-out");
                        after += 1;
                    }
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(store
        .end_client_session(&client_id, &session_id, T0)
        .await
        .unwrap());
    ended.store(true, Ordering::SeqCst);
    for reader in readers {
        reader.await.unwrap();
    }
}

#[test]
fn a_database_url_names_its_engine_and_is_shown_without_its_password() {
    use gatehouse::store::{redact_url, Engine};
    for (url, engine) in [
        ("sqlite://data/gatehouse.db?mode=rwc", Some(Engine::Sqlite)),
        ("sqlite:test.db", Some(Engine::Sqlite)),
        ("postgres://app@db/gatehouse", Some(Engine::Postgres)),
        (
            "postgresql://app:pw@db:5432/gatehouse",
            Some(Engine::Postgres),
        ),
        ("mysql://app@db/gatehouse", None),
        ("data/gatehouse.db", None),
    ] {
        assert_eq!(Engine::of_url(url).ok(), engine, "{url}");
    }
    assert_eq!(
        redact_url("postgres://app:s3cr@t@db.internal:5432/gatehouse?sslmode=require"),
        "postgres://app:***@db.internal:5432/gatehouse?sslmode=require"
    );
    assert_eq!(redact_url("postgres://app@db/g"), "postgres://app@db/g");
    assert_eq!(
        redact_url("sqlite://data/gatehouse.db?mode=rwc"),
        "sqlite://data/gatehouse.db?mode=rwc"
    );
    let refused = Engine::of_url("mysql://app:pw@db/g").unwrap_err();
    assert!(!refused.contains("pw"), "{refused}");
}

/// Ids and names come from requests; PostgreSQL cannot store a NUL character in text, SQLite
/// can. Either way the answer is no match or bad input, never a server failure.
async fn text_with_a_nul_character_is_refused_as_bad_input(store: &dyn Storage) {
    use gatehouse::model::ErrorCode;
    let session = SessionId::new("sess_\0nul".to_string());
    match store.resolve_client_of_session(&session, T0).await {
        Ok(found) => assert!(found.is_none()),
        Err(error) => assert_eq!(error.code, ErrorCode::RequestInvalid),
    }
    match store.find_user_by_email("nul\0@example.com").await {
        Ok(found) => assert!(found.is_none()),
        Err(error) => assert_eq!(error.code, ErrorCode::RequestInvalid),
    }
}
