//! Several instances on one PostgreSQL database: two `Gatehouse` cores, each with its own store
//! and pool, as two servers behind a load balancer. The rules that must hold under concurrency
//! hold across them (counted by the database, never by one process), and instances starting at
//! once migrate the database once and make one signing key.

use std::sync::Arc;

use gatehouse::{
    domain::{
        jwt, mfa,
        ports::Storage,
        secret::Secret,
        sign_in::{self, SecondFactorStrategy},
    },
    model::{ClientId, SignInStatus, UserId},
    store::{PostgresStore, Store},
};

use crate::flows::{Flows, PASSWORD};

const T0: i64 = 1_800_000_000;

/// Two instances on one new database.
async fn two_instances() -> (Flows, Flows) {
    let url = crate::pg::database_url().await;
    let a = PostgresStore::open(&url).await.unwrap();
    let b = PostgresStore::open(&url).await.unwrap();
    (
        Flows::on_store(Arc::new(a), &[]),
        Flows::on_store(Arc::new(b), &[]),
    )
}

fn verifications(instances: &[&Flows]) -> u64 {
    instances
        .iter()
        .map(|flows| flows.gatehouse.hasher.verifications())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_parallel_wrong_passwords_over_two_instances_get_exactly_ten_guesses() {
    let (a, b) = two_instances().await;
    a.sign_up("target@example.com", T0).await;
    let before = verifications(&[&a, &b]);
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..200 {
        let gatehouse = if n % 2 == 0 { &a } else { &b }.gatehouse.clone();
        let browser = if n % 2 == 0 { &a } else { &b }.client().await;
        guesses.spawn(async move {
            sign_in::password(
                &gatehouse,
                &browser,
                "target@example.com",
                Secret::new("not-the-password".into()),
                T0 + 100,
            )
            .await
            .unwrap_err()
            .code
            .to_string()
        });
    }
    let mut codes = Vec::new();
    while let Some(code) = guesses.join_next().await {
        codes.push(code.unwrap());
    }
    assert_eq!(
        verifications(&[&a, &b]) - before,
        10,
        "exactly ten guesses were evaluated, between both instances"
    );
    let count = |code: &str| codes.iter().filter(|c| *c == code).count();
    assert_eq!(count("form_password_incorrect"), 9);
    assert_eq!(count("user_locked"), 191);
    // Locked on both instances, even for the right password.
    for instance in [&a, &b] {
        let browser = instance.client().await;
        let refused = sign_in::password(
            &instance.gatehouse,
            &browser,
            "target@example.com",
            Secret::new(PASSWORD.into()),
            T0 + 101,
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code, "user_locked");
    }
}

/// A user with the authenticator app on (signed up and enrolled on `instance`), and their backup
/// codes.
async fn user_with_second_factor(instance: &Flows, email: &str) -> (UserId, Vec<String>) {
    let signed_up = instance.sign_up(email, T0).await;
    let gatehouse = &instance.gatehouse;
    let user = signed_up.snapshot.user.clone().unwrap();
    let session = signed_up.snapshot.session_id.clone().unwrap();
    let enrollment = mfa::start_enrollment(gatehouse, &user.id, email, T0 + 20)
        .await
        .unwrap();
    let backup_codes = mfa::confirm_enrollment(
        gatehouse,
        &user.id,
        email,
        &session,
        &mfa::code_at(&enrollment.secret, T0 + 30).unwrap(),
        T0 + 30,
    )
    .await
    .unwrap();
    (user.id, backup_codes)
}

/// A browser of `instance` past the password of `email`, waiting for the second factor.
async fn needing_second_factor(instance: &Flows, email: &str, now: i64) -> ClientId {
    let browser = instance.client().await;
    let view = sign_in::password(
        &instance.gatehouse,
        &browser,
        email,
        Secret::new(PASSWORD.into()),
        now,
    )
    .await
    .unwrap();
    assert_eq!(view.status, SignInStatus::NeedsSecondFactor);
    browser
}

/// The second factor then finalize, as one request to `flows`' instance does.
async fn second_factor_and_finalize(
    gatehouse: gatehouse::domain::Gatehouse,
    browser: ClientId,
    code: String,
    now: i64,
) -> Result<(), String> {
    let view = sign_in::verify_second_factor(
        &gatehouse,
        &browser,
        SecondFactorStrategy::BackupCode,
        &code,
        now,
    )
    .await
    .map_err(|e| e.code.to_string())?;
    if view.status != SignInStatus::Complete {
        return Err(format!("{:?}", view.status));
    }
    sign_in::finalize(&gatehouse, &browser, None, now)
        .await
        .map(|_| ())
        .map_err(|e| e.code.to_string())
}

async fn live_sessions(store: &dyn Storage, user_id: &UserId, now: i64) -> usize {
    store.list_user_sessions(user_id, now).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_parallel_second_factors_of_one_attempt_over_two_instances_make_one_session() {
    let (a, b) = two_instances().await;
    let (user_id, codes) = user_with_second_factor(&a, "mfa@example.com").await;
    let now = T0 + 300;
    let browser = needing_second_factor(&a, "mfa@example.com", now).await;
    let store = a.gatehouse.store.clone();
    assert_eq!(live_sessions(store.as_ref(), &user_id, now).await, 1);
    // Two valid backup codes for one attempt, one through each instance.
    let first = tokio::spawn(second_factor_and_finalize(
        a.gatehouse.clone(),
        browser.clone(),
        codes[0].clone(),
        now + 1,
    ));
    let second = tokio::spawn(second_factor_and_finalize(
        b.gatehouse.clone(),
        browser.clone(),
        codes[1].clone(),
        now + 1,
    ));
    let results = [first.await.unwrap(), second.await.unwrap()];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert_eq!(
        live_sessions(store.as_ref(), &user_id, now + 1).await,
        2,
        "the sign-up's session and one new one"
    );
    let resolved = store
        .resolve_client_by_id(&browser, now + 1)
        .await
        .unwrap()
        .unwrap();
    assert!(resolved.session.is_some());
    assert!(resolved.other_sessions.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_backup_code_used_in_parallel_over_two_instances_signs_in_once() {
    let (a, b) = two_instances().await;
    let (user_id, codes) = user_with_second_factor(&a, "once@example.com").await;
    let now = T0 + 300;
    let on_a = needing_second_factor(&a, "once@example.com", now).await;
    let on_b = needing_second_factor(&b, "once@example.com", now).await;
    let unused = a
        .gatehouse
        .store
        .unused_backup_codes(&user_id)
        .await
        .unwrap();
    // The same code on two browsers, each through its own instance.
    let first = tokio::spawn(second_factor_and_finalize(
        a.gatehouse.clone(),
        on_a,
        codes[0].clone(),
        now + 1,
    ));
    let second = tokio::spawn(second_factor_and_finalize(
        b.gatehouse.clone(),
        on_b,
        codes[0].clone(),
        now + 1,
    ));
    let results = [first.await.unwrap(), second.await.unwrap()];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results.contains(&Err("form_code_incorrect".to_string())),
        "{results:?}"
    );
    let store = b.gatehouse.store.clone();
    assert_eq!(
        store.unused_backup_codes(&user_id).await.unwrap(),
        unused - 1
    );
    assert_eq!(live_sessions(store.as_ref(), &user_id, now + 1).await, 2);
}

/// The migration versions in `migrations/postgres`.
fn postgres_migrations() -> i64 {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
    std::fs::read_dir(dir).unwrap().count() as i64
}

async fn applied_migrations(store: &PostgresStore) -> (i64, i64) {
    sqlx::query_as("SELECT COUNT(*), COUNT(*) FILTER (WHERE success) FROM _sqlx_migrations")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_at_once_on_an_empty_database_migrate_it_once_and_make_one_key() {
    let url = crate::pg::database_url().await;
    let mut starting = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let url = url.clone();
        // What `host::open` does: migrate, then make the first signing key.
        starting.spawn(async move {
            let store = Store::open(&url).await.unwrap().storage();
            jwt::ensure_signing_key(store.as_ref(), T0).await.unwrap();
            store
        });
    }
    let mut stores: Vec<Arc<dyn Storage>> = Vec::new();
    while let Some(store) = starting.join_next().await {
        stores.push(store.unwrap());
    }
    let mut kids = Vec::new();
    for store in &stores {
        let keys = store.published_signing_keys(T0).await.unwrap();
        assert_eq!(keys.len(), 1, "one signing key");
        kids.push(keys[0].kid.clone());
    }
    kids.dedup();
    assert_eq!(kids.len(), 1, "every instance signs with the same key");
    let store = PostgresStore::connect(&url).await.unwrap();
    let expected = postgres_migrations();
    assert_eq!(applied_migrations(&store).await, (expected, expected));
}

#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_again_to_a_migrated_one() {
    let url = crate::pg::database_url().await;
    let empty = PostgresStore::connect(&url).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(empty.pool())
    .await
    .unwrap();
    assert_eq!(tables, 0, "a new database is empty");
    let store = Store::open(&url).await.unwrap();
    let expected = postgres_migrations();
    assert_eq!(applied_migrations(&empty).await, (expected, expected));
    let user_id = store
        .storage()
        .create_user(
            gatehouse::domain::ports::NewUser {
                email: "kept@example.com",
                password_hash: None,
                first_name: None,
                last_name: None,
            },
            T0,
        )
        .await
        .unwrap()
        .unwrap();
    // Migrated already: opening again and migrating again change nothing.
    let again = Store::open(&url).await.unwrap();
    again.migrate().await.unwrap();
    again.ping().await.unwrap();
    assert_eq!(applied_migrations(&empty).await, (expected, expected));
    let kept = again
        .storage()
        .find_user_by_email("kept@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.id, user_id);
}

/// Both engines' migrations make the same tables with the same columns (PostgreSQL adds `seq`
/// where SQLite has its implicit rowid), so a store written for one reads the other's data.
#[tokio::test]
async fn both_engines_have_the_same_tables_and_columns() {
    use std::collections::BTreeSet;
    let (_dir, sqlite) = crate::store::temp_store().await;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '_sqlx_migrations'",
    )
    .fetch_all(sqlite.pool())
    .await
    .unwrap();
    let sqlite_columns: BTreeSet<(String, String)> = rows.into_iter().collect();
    let postgres = crate::pg::store().await;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name != '_sqlx_migrations' AND column_name != 'seq'",
    )
    .fetch_all(postgres.pool())
    .await
    .unwrap();
    let postgres_columns: BTreeSet<(String, String)> = rows.into_iter().collect();
    assert_eq!(sqlite_columns, postgres_columns);
}

/// A sign-in on one instance is signed in on the other; a sign-out on the other is signed out
/// on the first at its next resolution (no instance keeps an answer another one changed).
#[tokio::test]
async fn a_sign_out_on_one_instance_is_seen_by_the_other_at_once() {
    let (a, b) = two_instances().await;
    a.sign_up("both@example.com", T0).await;
    let (browser, outcome) = a.sign_in("both@example.com", T0 + 100).await;
    let hash = outcome.cookie.unwrap().hash();
    for instance in [&a, &b] {
        let resolved = instance
            .gatehouse
            .store
            .resolve_client(&hash, T0 + 102)
            .await
            .unwrap()
            .unwrap();
        assert!(resolved.session.is_some());
    }
    b.gatehouse
        .store
        .end_client_sessions(&browser, T0 + 103)
        .await
        .unwrap();
    let resolved = a
        .gatehouse
        .store
        .resolve_client(&hash, T0 + 103)
        .await
        .unwrap()
        .unwrap();
    assert!(resolved.session.is_none(), "signed out on both");
}

/// A TCP relay between a store and the test's PostgreSQL that can be cut: connections refused
/// and the open ones dropped, as when the database server goes away; then restored on the same
/// port.
struct Relay {
    port: u16,
    upstream: String,
    tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Relay {
    async fn to(upstream: String) -> Arc<Self> {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let relay = Arc::new(Self {
            port,
            upstream,
            tasks: Default::default(),
        });
        relay.up();
        relay
    }

    fn up(self: &Arc<Self>) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(([127, 0, 0, 1], self.port).into()).unwrap();
        let listener = socket.listen(64).unwrap();
        let relay = self.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = relay.upstream.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        tokio::io::copy_bidirectional(&mut inbound, &mut outbound)
                            .await
                            .ok();
                    }
                });
                relay.tasks.lock().unwrap().push(pipe);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Refuses new connections and drops the open ones.
    fn down(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

/// While the database cannot be reached, requests answer 503 with Clerk's error body (a page
/// request: a plain page saying so), `/healthz` says the database is down, nothing panics; once
/// it is back, the instance serves again by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_and_the_instance_recovers_by_itself() {
    use axum::body::Body;
    use gatehouse::{
        config::Config,
        domain::{password::PasswordHasher, Gatehouse},
        mail::Mailer,
    };
    use http::{header, Request, StatusCode};
    use tower::ServiceExt;

    let url = crate::pg::database_url().await;
    let authority = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|authority| authority.rsplit('@').next())
        .unwrap()
        .to_string();
    let relay = Relay::to(authority.clone()).await;
    let relayed = url.replace(&authority, &format!("127.0.0.1:{}", relay.port));
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("DATABASE_URL".to_string(), relayed.clone()),
        (
            "GATEHOUSE_EMAIL__OUTBOX_DIR".to_string(),
            dir.path().join("outbox").display().to_string(),
        ),
    ];
    let config = Config::from_sources(None, &env).unwrap();
    let store = Store::open(&relayed).await.unwrap();
    let gatehouse = Gatehouse {
        hasher: PasswordHasher::new(1),
        mailer: Arc::new(Mailer::from_config(&config.email).unwrap()),
        store: store.storage(),
        providers: Arc::new(gatehouse::oidc::OidcProviders::new(&Default::default()).unwrap()),
        config: Arc::new(config),
    };
    let app = gatehouse::cli::demo_app_with(
        gatehouse,
        leptos::config::LeptosOptions::builder()
            .output_name("gatehouse")
            .build(),
    );
    let get = |path: &str, accept: &str| {
        Request::get(path)
            .header(header::ACCEPT, accept)
            .header(
                header::COOKIE,
                format!("gatehouse_client={}", "ab".repeat(32)),
            )
            .body(Body::empty())
            .unwrap()
    };
    let send = |request: Request<Body>| {
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (
                status,
                retry_after,
                String::from_utf8_lossy(&body).into_owned(),
            )
        }
    };

    let (status, _, body) = send(get("/healthz", "*/*")).await;
    assert_eq!(
        (status, body.contains(r#""database":"up""#)),
        (StatusCode::OK, true)
    );

    relay.down();
    let (status, _, body) = send(get("/healthz", "*/*")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains(r#""database":"down""#), "{body}");
    let (status, _, body) = send(get("/api/me", "application/json")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["errors"][0]["code"], "service_unavailable");
    let (status, retry_after, body) = send(get("/dashboard", "text/html")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry_after.is_some());
    assert!(body.contains("Temporarily unavailable"), "{body}");

    relay.up();
    let mut recovered = false;
    for _ in 0..50 {
        if send(get("/healthz", "*/*")).await.0 == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        recovered,
        "the instance serves again once the database is back"
    );
    let (status, _, _) = send(get("/api/me", "application/json")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A signing key rotated on one instance: every instance publishes it (the JWKS is read from the
/// database), and a Bearer token one instance signs with it is accepted by the other.
#[tokio::test]
async fn a_key_rotated_on_one_instance_signs_tokens_every_instance_accepts() {
    use gatehouse::server::bearer;
    let (a, b) = two_instances().await;
    jwt::ensure_signing_key(a.gatehouse.store.as_ref(), T0)
        .await
        .unwrap();
    a.sign_up("keys@example.com", T0).await;
    let (_, outcome) = a.sign_in("keys@example.com", T0 + 100).await;

    let new_kid = jwt::rotate_signing_key(a.gatehouse.store.as_ref(), 3600, T0 + 110)
        .await
        .unwrap();
    let published = jwt::jwks(b.gatehouse.store.as_ref(), T0 + 111)
        .await
        .unwrap();
    let published = serde_json::to_value(published).unwrap();
    let kids: Vec<&str> = published["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|key| key["kid"].as_str())
        .collect();
    assert_eq!(kids.first(), Some(&new_kid.as_str()), "{kids:?}");

    let token = jwt::issue(
        a.gatehouse.store.as_ref(),
        &a.gatehouse.config,
        &outcome.snapshot,
        None,
        None,
        T0 + 112,
    )
    .await
    .unwrap()
    .unwrap();
    let verifier = bearer::instance_verifier(b.gatehouse.store.clone(), &b.gatehouse.config);
    let on_b = bearer::resolve(
        &verifier,
        b.gatehouse.store.as_ref(),
        &b.gatehouse.config,
        &token.jwt,
        T0 + 113,
    )
    .await
    .unwrap();
    assert_eq!(on_b.session_id, outcome.snapshot.session_id);
    assert!(on_b.user.is_some());
}

/// Two instances on one new database, and a connection of the test's own to it.
async fn two_instances_and_a_connection() -> (Flows, Flows, sqlx::PgPool) {
    let url = crate::pg::database_url().await;
    let a = PostgresStore::open(&url).await.unwrap();
    let b = PostgresStore::open(&url).await.unwrap();
    let raw = sqlx::PgPool::connect(&url).await.unwrap();
    (
        Flows::on_store(Arc::new(a), &[]),
        Flows::on_store(Arc::new(b), &[]),
        raw,
    )
}

/// Whether the browser whose cookie hashes to `hash` resolves signed in on `flows` at `now`.
async fn signed_in(flows: &Flows, hash: &[u8], now: i64) -> bool {
    let resolved = flows
        .gatehouse
        .store
        .resolve_client(hash, now)
        .await
        .unwrap();
    resolved.unwrap().session.is_some()
}

/// Polls `flows` at the same `now` until the browser resolves signed out; the time it took.
async fn until_signed_out(flows: &Flows, hash: &[u8], now: i64) -> std::time::Duration {
    let started = std::time::Instant::now();
    while signed_in(flows, hash, now).await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "still signed in 2 s after the sign-out"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    started.elapsed()
}

/// The resolution is cached within its second (a change no resolution depends on is not
/// re-read), and the cache hears of every write that matters, within that same second: its own
/// at once, another instance's and a raw SQL statement's by the database's notification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auth_cache_hears_of_every_instances_writes_within_the_same_second() {
    let (a, b, raw) = two_instances_and_a_connection().await;
    // Both listeners are connected once a notification goes through.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for (n, email) in ["own@example.com", "other@example.com", "raw@example.com"]
        .into_iter()
        .enumerate()
    {
        a.sign_up(email, T0).await;
        let t = T0 + 100 + n as i64 * 10;
        let (browser, outcome) = a.sign_in(email, t).await;
        let hash = outcome.cookie.unwrap().hash();
        assert!(signed_in(&a, &hash, t).await);

        // Cached: a recorded activity (no trigger, no touch) is not re-read within the second,
        // and is at the next one. (The notification of the sign-in's own writes may still be on
        // its way and empty the cache once: tried until an answer comes from it.)
        let mut from_cache = false;
        let mut recorded = 0;
        for attempt in 0..50 {
            recorded = 1_000 + attempt;
            assert!(signed_in(&a, &hash, t).await);
            sqlx::query("UPDATE clients SET last_active_at = $1 WHERE id = $2")
                .bind(recorded)
                .bind(browser.as_str())
                .execute(&raw)
                .await
                .unwrap();
            let cached = a
                .gatehouse
                .store
                .resolve_client(&hash, t)
                .await
                .unwrap()
                .unwrap();
            if cached.last_active_at != Some(recorded) {
                from_cache = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(
            from_cache,
            "the resolution is served from the cache within its second"
        );
        let fresh = a
            .gatehouse
            .store
            .resolve_client(&hash, t + 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fresh.last_active_at, Some(recorded));
        let t = t + 1;

        match email {
            // This instance's own write: seen by its very next resolution.
            "own@example.com" => {
                a.gatehouse
                    .store
                    .end_client_sessions(&browser, t)
                    .await
                    .unwrap();
                assert!(!signed_in(&a, &hash, t).await, "own write seen at once");
            }
            // Another instance's write: seen once its notification arrives.
            "other@example.com" => {
                b.gatehouse
                    .store
                    .end_client_sessions(&browser, t)
                    .await
                    .unwrap();
                let took = until_signed_out(&a, &hash, t).await;
                eprintln!("another instance's sign-out reached the cache in {took:?}");
            }
            // Anyone's SQL (the CLI, psql): the trigger notifies all the same.
            _ => {
                sqlx::query("UPDATE sessions SET ended_at = $1 WHERE client_id = $2")
                    .bind(t)
                    .bind(browser.as_str())
                    .execute(&raw)
                    .await
                    .unwrap();
                until_signed_out(&a, &hash, t).await;
            }
        }
    }
}

/// While an instance's listening connection is down it may miss notifications, so its cache
/// answers nothing: another instance's write is seen at once; once it listens again, the cache
/// serves again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_listening_connection_an_instance_reads_every_resolution_from_the_database() {
    let (a, b, raw) = two_instances_and_a_connection().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    a.sign_up("cut@example.com", T0).await;
    let (browser, outcome) = a.sign_in("cut@example.com", T0 + 100).await;
    let hash = outcome.cookie.unwrap().hash();
    assert!(signed_in(&a, &hash, T0 + 101).await);

    // Every listening connection to this database is cut (both instances').
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .execute(&raw)
    .await
    .unwrap();
    // Long enough for the listener to notice, well short of its reconnection (a second).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Not heard by any listener, yet seen by the very next resolution.
    sqlx::query("UPDATE sessions SET ended_at = $1 WHERE client_id = $2")
        .bind(T0 + 101)
        .bind(browser.as_str())
        .execute(&raw)
        .await
        .unwrap();
    assert!(!signed_in(&a, &hash, T0 + 101).await);
    drop(b);
}

/// Background work runs on every instance: pruning the same rows from several at once is safe
/// (each row goes once, nothing fails, nothing still in use goes).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pruning_from_several_instances_at_once_is_safe() {
    use gatehouse::domain::{lockout, tokens::SecretToken};
    let (a, b) = two_instances().await;
    let store = a.gatehouse.store.clone();
    for _ in 0..50 {
        store
            .create_client(&SecretToken::generate().hash(), T0)
            .await
            .unwrap();
    }
    a.sign_up("kept@example.com", T0).await;
    let (browser, outcome) = a.sign_in("kept@example.com", T0 + 100).await;
    let hash = outcome.cookie.unwrap().hash();
    let later = T0 + 40 * 24 * 3600;
    let mut runs = tokio::task::JoinSet::new();
    for n in 0..8 {
        let gatehouse = if n % 2 == 0 { &a } else { &b }.gatehouse.clone();
        runs.spawn(async move { lockout::prune_counters(&gatehouse, later).await });
    }
    let mut removed = 0;
    while let Some(run) = runs.join_next().await {
        removed += run.unwrap().unwrap();
    }
    assert!(
        removed >= 50,
        "the abandoned browsers went ({removed} rows)"
    );
    let resolved = store
        .resolve_client(&hash, T0 + 101)
        .await
        .unwrap()
        .expect("the signed-in browser stays");
    assert_eq!(resolved.client_id, browser);
}

/// The auth query's connections of their own (`gatehouse-auth`), cut while idle as a restarted
/// server cuts them: no resolution fails (the pool answers instead), and new ones are opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_connections_cut_while_idle_cost_no_resolution_an_error() {
    let url = crate::pg::database_url().await;
    let store: Arc<dyn Storage> = Arc::new(PostgresStore::open(&url).await.unwrap());
    let raw = sqlx::PgPool::connect(&url).await.unwrap();
    let client_id = store.create_client(&[7; 32], T0).await.unwrap();
    let auth_connections = || async {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE application_name = 'gatehouse-auth' AND datname = current_database()",
        )
        .fetch_one(&raw)
        .await
        .unwrap();
        count
    };
    let resolve_until_open = || async {
        let started = std::time::Instant::now();
        loop {
            let row = store.resolve_client_by_id(&client_id, T0).await.unwrap();
            assert_eq!(row.unwrap().client_id, client_id);
            if auth_connections().await > 0 {
                break;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(5));
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    resolve_until_open().await;
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'gatehouse-auth' AND datname = current_database()",
    )
    .execute(&raw)
    .await
    .unwrap();
    while auth_connections().await > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    resolve_until_open().await;
}
