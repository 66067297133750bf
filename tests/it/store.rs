use gatehouse::{
    domain::{codes::CodeState, lockout::LockoutState, tokens::SecretToken},
    model::{SignInStatus, SignUpStatus},
    store::{NewUser, SignUpRecord, Store},
};

pub async fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/test.db?mode=rwc", dir.path().display());
    let store = Store::open(&url).await.unwrap();
    (dir, store)
}

const T0: i64 = 1_800_000_000;

fn user(email: &str) -> NewUser<'_> {
    NewUser {
        email,
        password_hash: "$argon2id$dummy",
        first_name: Some("Ada"),
        last_name: None,
    }
}

#[tokio::test]
async fn users_have_unique_emails_and_a_lockout_counter() {
    let (_dir, store) = temp_store().await;
    let id = store
        .create_user(user("ada@example.com"), T0)
        .await
        .unwrap()
        .unwrap();
    assert!(id.starts_with("user_"));
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
    assert_eq!(found.lockout, LockoutState::default());
    let locked = LockoutState {
        failed_attempts: 10,
        locked_until: Some(T0 + 3600),
    };
    store.set_lockout(&id, locked, T0).await.unwrap();
    assert_eq!(
        store
            .find_user_by_email("ada@example.com")
            .await
            .unwrap()
            .unwrap()
            .lockout,
        locked
    );
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

#[tokio::test]
async fn sessions_resolve_by_token_hash_and_end_on_sign_out() {
    let (_dir, store) = temp_store().await;
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
            &client_id,
            &user_id,
            &rotated.hash(),
            T0,
            None,
            T0 + 100,
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

    store.end_current_session(&client_id, T0 + 1).await.unwrap();
    assert!(store
        .resolve_client(&rotated.hash(), T0 + 1)
        .await
        .unwrap()
        .unwrap()
        .session
        .is_none());
}

#[tokio::test]
async fn sign_up_attempts_round_trip_with_their_code() {
    let (_dir, store) = temp_store().await;
    let client_id = store
        .create_client(&SecretToken::generate().hash(), T0)
        .await
        .unwrap();
    let mut record = SignUpRecord {
        id: "sua_1".into(),
        client_id: client_id.clone(),
        email: "ada@example.com".into(),
        password_hash: "$argon2id$dummy".into(),
        first_name: None,
        last_name: Some("Lovelace".into()),
        status: SignUpStatus::MissingRequirements,
        existing_user_id: None,
        created_user_id: None,
        abandon_at: T0 + 86_400,
        code: CodeState::issue("sua_1", "123456", T0),
    };
    store.insert_sign_up(&record, T0).await.unwrap();
    let loaded = store.latest_sign_up(&client_id).await.unwrap().unwrap();
    assert_eq!(loaded.code, record.code);
    assert_eq!(loaded.last_name.as_deref(), Some("Lovelace"));
    let previous = record.code.clone();
    record.status = SignUpStatus::Complete;
    record.code.failed_attempts = 2;
    store
        .update_sign_up(&record, &previous, T0 + 5)
        .await
        .unwrap();
    // A write based on a stale read (a concurrent guess already counted) is refused.
    let stale = store
        .update_sign_up(&record, &previous, T0 + 5)
        .await
        .unwrap_err();
    assert_eq!(stale.code, "too_many_requests");
    let loaded = store.latest_sign_up(&client_id).await.unwrap().unwrap();
    assert_eq!(loaded.status, SignUpStatus::Complete);
    assert_eq!(loaded.code.failed_attempts, 2);
    let user_id = store
        .create_user_from_sign_up(&loaded, T0 + 6)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .latest_sign_up(&client_id)
            .await
            .unwrap()
            .unwrap()
            .created_user_id,
        Some(user_id)
    );
}

#[tokio::test]
async fn a_complete_sign_in_is_finalized_once() {
    let (_dir, store) = temp_store().await;
    let user_id = store
        .create_user(user("ada@example.com"), T0)
        .await
        .unwrap()
        .unwrap();
    let client_id = store
        .create_client(&SecretToken::generate().hash(), T0)
        .await
        .unwrap();
    store
        .insert_sign_in(
            "sia_1",
            &client_id,
            &user_id,
            SignInStatus::Complete,
            T0,
            T0,
        )
        .await
        .unwrap();
    let taken = store
        .take_complete_sign_in(&client_id, T0 + 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.user_id, user_id);
    assert!(store
        .take_complete_sign_in(&client_id, T0 + 2)
        .await
        .unwrap()
        .is_none());
    store
        .insert_sign_in(
            "sia_2",
            &client_id,
            &user_id,
            SignInStatus::Complete,
            T0,
            T0,
        )
        .await
        .unwrap();
    assert!(
        store
            .take_complete_sign_in(&client_id, T0 + 601)
            .await
            .unwrap()
            .is_none(),
        "expired after 10 minutes"
    );
}
