//! `gatehouse db copy`: an install made through the domain on SQLite, copied to a new PostgreSQL
//! database, keeps every user, factor, session, organization, key and counter: everyone signs in
//! there, every browser is still signed in, the JWKS is the same. Every table and every column
//! of the fixture is compared value by value across the engines (by a reader written here, not
//! the copy's), and the fixture fills every column of every table, so a table or column a
//! migration adds fails this test until it is covered.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use gatehouse::{
    domain::{
        jwt, mfa,
        ports::{
            ClientActivity, ExternalAccounts, Factors, InvitationCreation, NewInvitation, Storage,
        },
        secret::Secret,
        session,
        sign_in::{self, SecondFactorStrategy},
        sign_up::{self, SignUpForm},
        sso,
        tokens::SecretToken,
    },
    model::{ClientId, SessionId, SignInStatus, SignUpStatus, UserId},
    store::{copy, PostgresStore, SqliteStore, Store},
};
use serde_json::Value;
use sqlx::Row;

use crate::{
    flows::{Flows, PASSWORD},
    sso::{identity, Sso},
};

const T0: i64 = 1_800_000_000;
/// When the copied install is used (every session made before is still live).
const LATER: i64 = T0 + 2_000;

/// The configuration of the fixture's instances: several accounts per browser, organizations
/// beside personal accounts.
const ENV: &[(&str, &str)] = &[
    ("GATEHOUSE_SESSIONS__MULTI_SESSION", "true"),
    ("GATEHOUSE_ORGANIZATIONS__ENABLED", "true"),
    ("GATEHOUSE_ORGANIZATIONS__ALLOW_PERSONAL_ACCOUNTS", "true"),
];

/// What the fixture made that the checks after the copy need.
struct Install {
    /// Every browser holding a live session, by who holds it, with its cookie.
    cookies: Vec<(&'static str, SecretToken)>,
    /// Cy's authenticator secret, backup codes (the first one used) and enrolling session.
    totp_secret: String,
    backup_codes: Vec<String>,
    cy_session: SessionId,
    /// A browser past Cy's password, waiting for the second factor.
    cy_waiting: ClientId,
    /// A browser whose sign-up (dan@example.com) waits for its emailed code.
    dan_browser: ClientId,
    dan_code: String,
    /// A browser whose sign-up continues an SSO identity with an unverified email.
    hal_browser: ClientId,
    hal_code: String,
    /// Grace signed up through SSO (no password).
    grace: UserId,
}

/// An install made through the domain on `store`: users with passwords, one with TOTP and
/// backup codes, one from SSO, an organization with two members, sessions (two on one browser,
/// one ended), sign-ups and a sign-in in progress, signing keys (one rotated out), lockout and
/// rate counters.
async fn make_install(store: Arc<dyn Storage>) -> Install {
    let flows = Flows::on_store(store.clone(), ENV);
    let gatehouse = &flows.gatehouse;
    jwt::ensure_signing_key(store.as_ref(), T0).await.unwrap();
    let mut cookies = Vec::new();

    let ada = flows.sign_up("ada@example.com", T0).await;
    let ada_session = ada.snapshot.session_id.clone().unwrap();
    let ada_id = ada.snapshot.user.clone().unwrap().id;
    cookies.push(("ada", ada.cookie.unwrap()));
    let bob = flows.sign_up("bob@example.com", T0 + 20).await;
    let bob_session = bob.snapshot.session_id.clone().unwrap();
    let bob_id = bob.snapshot.user.clone().unwrap().id;
    cookies.push(("bob", bob.cookie.unwrap()));

    // Cy turns the authenticator app on, uses a backup code once, and leaves a browser waiting
    // for the second factor.
    let cy = flows.sign_up("cy@example.com", T0 + 40).await;
    let cy_id = cy.snapshot.user.clone().unwrap().id;
    let cy_session = cy.snapshot.session_id.clone().unwrap();
    cookies.push(("cy", cy.cookie.unwrap()));
    let enrollment = mfa::start_enrollment(gatehouse, &cy_id, "cy@example.com", T0 + 60)
        .await
        .unwrap();
    let backup_codes = mfa::confirm_enrollment(
        gatehouse,
        &cy_id,
        "cy@example.com",
        &cy_session,
        &mfa::code_at(&enrollment.secret, T0 + 70).unwrap(),
        T0 + 70,
    )
    .await
    .unwrap();
    let browser = flows.client().await;
    let view = sign_in::password(
        gatehouse,
        &browser,
        "cy@example.com",
        Secret::new(PASSWORD.into()),
        T0 + 100,
    )
    .await
    .unwrap();
    assert_eq!(view.status, SignInStatus::NeedsSecondFactor);
    let view = sign_in::verify_second_factor(
        gatehouse,
        &browser,
        SecondFactorStrategy::BackupCode,
        &backup_codes[0],
        T0 + 101,
    )
    .await
    .unwrap();
    assert_eq!(view.status, SignInStatus::Complete);
    let cy_again = sign_in::finalize(gatehouse, &browser, None, T0 + 102)
        .await
        .unwrap();
    cookies.push(("cy with a backup code", cy_again.cookie.unwrap()));
    let cy_waiting = flows.client().await;
    let view = sign_in::password(
        gatehouse,
        &cy_waiting,
        "cy@example.com",
        Secret::new(PASSWORD.into()),
        T0 + 120,
    )
    .await
    .unwrap();
    assert_eq!(view.status, SignInStatus::NeedsSecondFactor);

    // Eve, made as `gatehouse user create` makes a user: a verified address, full name, no session.
    let hash = gatehouse
        .hasher
        .hash(Secret::new(PASSWORD.into()))
        .await
        .unwrap();
    store
        .create_user(
            gatehouse::domain::ports::NewUser {
                email: "eve@example.com",
                password_hash: Some(&hash),
                first_name: Some("Eve"),
                last_name: Some("Example"),
            },
            T0 + 150,
        )
        .await
        .unwrap()
        .unwrap();

    // Two accounts on one browser, which reported its user agent and address.
    let shared = flows.client().await;
    flows.sign_in_on(&shared, "ada@example.com", T0 + 200).await;
    let both = flows.sign_in_on(&shared, "bob@example.com", T0 + 210).await;
    assert_eq!(both.snapshot.sessions().len(), 2);
    cookies.push(("ada and bob", both.cookie.unwrap()));
    store
        .record_client_activity(
            &shared,
            &ClientActivity {
                user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0".into()),
                ip_address: Some("198.51.100.4".into()),
            },
            T0 + 215,
        )
        .await
        .unwrap();
    // A session signed out.
    let (signed_out, _) = flows.sign_in("bob@example.com", T0 + 220).await;
    session::sign_out(gatehouse, Some(&signed_out), None, None, T0 + 230)
        .await
        .unwrap();

    // An organization: Ada made it (active in her session), Bob is a member who switched to it.
    let org = gatehouse::domain::organization::create(
        gatehouse,
        &ada_session,
        &ada_id,
        "Acme",
        "acme",
        T0 + 300,
    )
    .await
    .unwrap();
    store
        .upsert_member(&org, &bob_id, "org:member", T0 + 310)
        .await
        .unwrap();
    gatehouse::domain::organization::set_active(gatehouse, &bob_session, &bob_id, Some(&org))
        .await
        .unwrap();
    // Invitations to Acme from Ada: Eve's accepted (she is a member now), Frank's revoked,
    // Gina's pending.
    let mut invitations = Vec::new();
    for (n, email) in ["eve@example.com", "frank@example.com", "gina@example.com"]
        .into_iter()
        .enumerate()
    {
        let id: gatehouse::model::InvitationId = gatehouse::domain::ids::new_id();
        let created = store
            .create_invitation(
                &NewInvitation {
                    id: &id,
                    organization_id: &org,
                    email,
                    role: "org:member",
                    inviter: Some(&ada_id),
                    ticket_hash: &SecretToken::generate().hash(),
                    expires_at: T0 + 320 + 30 * 24 * 3600,
                },
                None,
                T0 + 320 + n as i64,
            )
            .await
            .unwrap();
        assert_eq!(created, InvitationCreation::Created);
        invitations.push(id);
    }
    let eve = store
        .find_user_by_email("eve@example.com")
        .await
        .unwrap()
        .unwrap();
    // Eve asked to join first (rejected); Acme has a verified domain with its affiliation address.
    assert!(store
        .create_membership_request("orgmbr_eve", &org, &eve.id, T0 + 325)
        .await
        .unwrap());
    store
        .decide_membership_request(&org, "orgmbr_eve", None, T0 + 326)
        .await
        .unwrap();
    let mode = gatehouse::model::EnrollmentMode::AutomaticSuggestion;
    let Ok(gatehouse::domain::ports::DomainCreation::Created(domain)) =
        store.create_domain(&org, "acme.test", mode, T0 + 327).await
    else {
        panic!("the domain is added");
    };
    store
        .set_affiliation_email(&domain, "it@acme.test")
        .await
        .unwrap();
    store.mark_domain_verified(&domain, T0 + 328).await.unwrap();

    // Ada's passkeys: one used and then flagged, one never used; a sign-in ceremony in
    // progress on a browser of hers (the copy keeps it usable).
    use gatehouse::domain::ports::{CeremonyKind, CeremonyRow, PasskeyCreation, PasskeyRow};
    for (n, used) in [(1, true), (2, false)] {
        let row = PasskeyRow {
            id: format!("passkey_{n}"),
            user_id: ada_id.clone(),
            credential_id: format!("credential-{n}"),
            user_handle: "5b2b8c6e-3c1a-4f57-9d0e-1f2a3b4c5d6e".into(),
            name: format!("Passkey {n}"),
            passkey: format!(r#"{{"cred":{{"cred_id":"credential-{n}","counter":0}}}}"#),
            counter: 0,
            flagged_at: None,
            created_at: T0 + 340 + n,
            last_used_at: None,
        };
        assert_eq!(
            store.create_passkey(&row).await.unwrap(),
            PasskeyCreation::Created
        );
        if used {
            let state = r#"{"cred":{"cred_id":"credential-1","counter":7}}"#;
            assert!(store
                .record_passkey_use(&row.id, state, 7, T0 + 345)
                .await
                .unwrap());
            store.flag_passkey(&row.id, T0 + 346).await.unwrap();
        }
    }
    let passkey_browser = flows.client().await;
    store
        .insert_ceremony(&CeremonyRow {
            id: "pkc_ada".into(),
            client_id: passkey_browser,
            kind: CeremonyKind::Registration,
            user_id: Some(ada_id.clone()),
            state: r#"{"handle":"5b2b8c6e-3c1a-4f57-9d0e-1f2a3b4c5d6e"}"#.into(),
            expires_at: T0 + 10_000_000,
        })
        .await
        .unwrap();
    assert!(store
        .accept_invitation(&invitations[0], &eve.id, T0 + 330)
        .await
        .unwrap());
    assert!(store
        .revoke_invitation(&invitations[1], T0 + 331)
        .await
        .unwrap());

    // Sign-ups in progress: Dan waits for his code; someone signs up with Ada's address.
    let dan_browser = flows.client().await;
    let form = |email: &str| SignUpForm {
        email_address: email.into(),
        password: Secret::new(PASSWORD.into()),
        first_name: Some("Dan".into()),
        last_name: Some("Dee".into()),
    };
    let view = sign_up::create(gatehouse, &dan_browser, form("dan@example.com"), T0 + 400)
        .await
        .unwrap();
    assert_eq!(view.status, SignUpStatus::MissingRequirements);
    let dan_code = flows.code_sent_to("dan@example.com");
    let taken = flows.client().await;
    sign_up::create(gatehouse, &taken, form("ada@example.com"), T0 + 410)
        .await
        .unwrap();

    // SSO: Grace signs up with a verified email; Hal's unverified one waits for its code.
    let sso_flows = Sso::on_store(store.clone());
    sso_flows.vouch_for(identity("sub-grace", Some("grace@example.com"), true));
    let browser = sso_flows.client().await;
    let state = sso_flows.start(&browser, "oauth_idp", None).await;
    sso_flows
        .answer(&browser, "idp", &state, "good-code")
        .await
        .unwrap();
    let sso::Transfer::SignedUp(grace) =
        sso::transfer_to_sign_up(&sso_flows.gatehouse, &browser, None, T0 + 7)
            .await
            .unwrap()
    else {
        panic!("a verified email signs up at once");
    };
    let grace_id = grace.snapshot.user.clone().unwrap().id;
    cookies.push(("grace", grace.cookie.unwrap()));
    sso_flows.vouch_for(identity("sub-hal", Some("hal@example.com"), false));
    let hal_browser = sso_flows.client().await;
    let state = sso_flows.start(&hal_browser, "oauth_idp", None).await;
    sso_flows
        .answer(&hal_browser, "idp", &state, "good-code")
        .await
        .unwrap();
    let transfer = sso::transfer_to_sign_up(&sso_flows.gatehouse, &hal_browser, None, T0 + 7)
        .await
        .unwrap();
    assert!(matches!(transfer, sso::Transfer::VerifyEmail(_)));
    let hal_code = sso_flows.code_sent_to("hal@example.com");

    // The signing key rotated: the old one stays published for a day.
    jwt::rotate_signing_key(store.as_ref(), 24 * 3600, T0 + 500)
        .await
        .unwrap();

    // Counters: a wrong password for Bob, a locked identifier, a rate window.
    let wrong = flows.client().await;
    let refused = sign_in::password(
        gatehouse,
        &wrong,
        "bob@example.com",
        Secret::new("not-his-password".into()),
        T0 + 600,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, "form_password_incorrect");
    for n in 0..10 {
        store
            .reserve_guess("mallory@example.com", 10, T0 + 4_000, T0 + 610 + n)
            .await
            .unwrap();
    }
    store
        .hit_rate_counter("sign_in:203.0.113.9", 60, T0 + 620)
        .await
        .unwrap();

    // A security event with every field; the ones the actions above recorded are written in the
    // background: the fixture is read once they all landed.
    let device = gatehouse::domain::notices::Device {
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36".into()),
        ip_address: Some("203.0.113.9".into()),
    };
    let event =
        gatehouse::domain::audit::AuditEvent::new(gatehouse::domain::audit::AuditKind::SignIn)
            .user(&ada_id)
            .email("ada@example.com")
            .session(&ada_session)
            .client(&flows.client().await)
            .device(&device)
            .organization(&org)
            .detail("password");
    gatehouse::domain::audit::record_in(store.as_ref(), event, T0 + 630).await;
    let all = gatehouse::domain::ports::AuditFilter {
        limit: 500,
        ..Default::default()
    };
    let mut seen = usize::MAX;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = store.audit_events(&all).await.unwrap().len();
        if now == seen {
            break;
        }
        seen = now;
    }

    Install {
        cookies,
        totp_secret: enrollment.secret,
        backup_codes,
        cy_session,
        cy_waiting,
        dan_browser,
        dan_code,
        hal_browser,
        hal_code,
        grace: grace_id,
    }
}

/// Every value of every table, in a form both engines give alike: integers and booleans as
/// numbers, blobs as hex, JSON parsed, text lists as arrays; rows in insertion order.
type Contents = BTreeMap<String, Vec<BTreeMap<String, Value>>>;

/// The PostgreSQL type (`udt_name`) of every column, which says how SQLite's values read.
async fn column_types(pool: &sqlx::PgPool) -> BTreeMap<(String, String), String> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, udt_name::text
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name != '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(table, column, kind)| ((table, column), kind))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn sqlite_contents(
    store: &SqliteStore,
    types: &BTreeMap<(String, String), String>,
) -> Contents {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '_sqlx_migrations'
         ORDER BY m.name, p.cid",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in columns {
        tables.entry(table).or_default().push(column);
    }
    let mut contents = Contents::new();
    for (table, columns) in tables {
        let select: Vec<String> = columns
            .iter()
            .map(|column| format!("typeof({column}), {column}"))
            .collect();
        let rows = sqlx::query(&format!(
            "SELECT {} FROM {table} ORDER BY rowid",
            select.join(", ")
        ))
        .fetch_all(store.pool())
        .await
        .unwrap();
        let rows = rows
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, column)| {
                        let class: String = row.get(2 * i);
                        let kind = types
                            .get(&(table.clone(), column.clone()))
                            .unwrap_or_else(|| panic!("{table}.{column} is not in PostgreSQL"));
                        let value = match class.as_str() {
                            "null" => Value::Null,
                            "integer" => Value::from(row.get::<i64, _>(2 * i + 1)),
                            "blob" => Value::from(hex(&row.get::<Vec<u8>, _>(2 * i + 1))),
                            "text" => {
                                let text: String = row.get(2 * i + 1);
                                match kind.as_str() {
                                    "jsonb" => serde_json::from_str(&text).unwrap(),
                                    "_text" => Value::from(
                                        text.lines().map(Value::from).collect::<Vec<_>>(),
                                    ),
                                    _ => Value::from(text),
                                }
                            }
                            other => panic!("{table}.{column}: a value of class {other}"),
                        };
                        (column.clone(), value)
                    })
                    .collect()
            })
            .collect();
        contents.insert(table, rows);
    }
    contents
}

async fn postgres_contents(
    store: &PostgresStore,
    types: &BTreeMap<(String, String), String>,
) -> Contents {
    let tables: BTreeSet<&String> = types.keys().map(|(table, _)| table).collect();
    let mut contents = Contents::new();
    for table in tables {
        let ordered = types.contains_key(&(table.clone(), "seq".to_string()));
        let order = if ordered { " ORDER BY seq" } else { "" };
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT to_jsonb(t)::text FROM {table} t{order}"))
                .fetch_all(store.pool())
                .await
                .unwrap();
        let rows = rows
            .iter()
            .map(|row| {
                let Value::Object(row) = serde_json::from_str::<Value>(row).unwrap() else {
                    panic!("a row is an object");
                };
                row.into_iter()
                    .filter(|(column, _)| column != "seq")
                    .map(|(column, value)| {
                        let value = match (types[&(table.clone(), column.clone())].as_str(), value)
                        {
                            ("bool", Value::Bool(value)) => Value::from(i64::from(value)),
                            ("bytea", Value::String(text)) => {
                                Value::from(text.strip_prefix("\\x").unwrap().to_string())
                            }
                            (_, value) => value,
                        };
                        (column, value)
                    })
                    .collect()
            })
            .collect();
        contents.insert(table.clone(), rows);
    }
    contents
}

/// Rows of `table` in `contents`, in insertion order where `ordered`, else sorted.
fn rows_of(contents: &Contents, table: &str, ordered: bool) -> Vec<String> {
    let mut rows: Vec<String> = contents[table]
        .iter()
        .map(|row| serde_json::to_string(row).unwrap())
        .collect();
    if !ordered {
        rows.sort();
    }
    rows
}

/// Both sides hold the same tables, rows and values (rows in the same insertion order where
/// PostgreSQL keeps one in `seq`).
fn assert_same_contents(
    left: &Contents,
    right: &Contents,
    types: &BTreeMap<(String, String), String>,
) {
    assert_eq!(
        left.keys().collect::<Vec<_>>(),
        right.keys().collect::<Vec<_>>()
    );
    for table in left.keys() {
        let ordered = types.contains_key(&(table.clone(), "seq".to_string()));
        assert_eq!(
            rows_of(left, table, ordered),
            rows_of(right, table, ordered),
            "the rows of {table}"
        );
    }
}

fn table_counts(contents: &Contents) -> BTreeMap<String, u64> {
    contents
        .iter()
        .map(|(table, rows)| (table.clone(), rows.len() as u64))
        .collect()
}

/// How every browser of the install resolves on `store` at `now`.
async fn resolutions(store: &dyn Storage, install: &Install, now: i64) -> Vec<String> {
    let mut resolved = Vec::new();
    for (who, cookie) in &install.cookies {
        let row = store
            .resolve_client(&cookie.hash(), now)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{who}'s browser resolves"));
        assert!(row.session.is_some(), "{who} is signed in");
        resolved.push(format!("{who}: {row:?}"));
    }
    resolved
}

async fn jwks_of(store: &dyn Storage, now: i64) -> Value {
    serde_json::to_value(jwt::jwks(store, now).await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_install_copied_from_sqlite_to_postgres_keeps_everyone_signed_in() {
    let (_dir, sqlite) = crate::store::temp_store().await;
    let install = make_install(Arc::new(sqlite.clone())).await;
    let postgres = PostgresStore::open(&crate::pg::database_url().await)
        .await
        .unwrap();
    let types = column_types(postgres.pool()).await;
    let before = sqlite_contents(&sqlite, &types).await;

    // The fixture covers the schema: every table has rows, every column a value somewhere.
    for (table, rows) in &before {
        assert!(!rows.is_empty(), "the fixture leaves {table} empty");
        let columns: BTreeSet<&String> = rows.iter().flat_map(|row| row.keys()).collect();
        for column in columns {
            assert!(
                rows.iter().any(|row| !row[column].is_null()),
                "the fixture leaves {table}.{column} NULL in every row"
            );
        }
    }

    let report = copy::copy(
        &Store::Sqlite(sqlite.clone()),
        &Store::Postgres(postgres.clone()),
    )
    .await
    .unwrap();

    // The counts it checked: every table, as many rows on both sides as the SQLite file holds.
    let counted: BTreeMap<String, u64> = report
        .tables
        .iter()
        .map(|table| {
            assert_eq!(table.source, table.target, "{}", table.table);
            (table.table.clone(), table.target)
        })
        .collect();
    assert_eq!(counted, table_counts(&before));
    assert_eq!(report.rows(), counted.values().sum::<u64>());
    // Parents before children.
    let position = |table: &str| report.tables.iter().position(|t| t.table == table).unwrap();
    assert!(position("users") < position("email_addresses"));
    assert!(position("clients") < position("sessions"));
    assert!(position("sessions") < position("backup_code_reveals"));
    assert!(position("organizations") < position("memberships"));

    // Every value arrived, converted, in insertion order; the SQLite file is unchanged.
    let copied = postgres_contents(&postgres, &types).await;
    assert_same_contents(&before, &copied, &types);
    assert_same_contents(&before, &sqlite_contents(&sqlite, &types).await, &types);

    // Rows inserted from now on come after the copied ones: each `seq` sequence moved past them.
    for (table, _) in types.keys().filter(|(_, column)| column == "seq") {
        let (next, copied): (i64, i64) = sqlx::query_as(&format!(
            "SELECT nextval(pg_get_serial_sequence('{table}', 'seq')),
                    (SELECT COALESCE(MAX(seq), 0) FROM {table})"
        ))
        .fetch_one(postgres.pool())
        .await
        .unwrap();
        assert!(
            copied > 0 && next > copied,
            "{table}: next {next}, copied up to {copied}"
        );
    }

    // A second copy into the now non-empty database is refused and changes nothing.
    let refused = copy::copy(
        &Store::Sqlite(sqlite.clone()),
        &Store::Postgres(postgres.clone()),
    )
    .await
    .unwrap_err();
    assert!(
        refused.contains("already holds Gatehouse data"),
        "{refused}"
    );
    for table in ["users", "sessions", "signing_keys"] {
        assert!(refused.contains(table), "{refused}");
    }
    assert_same_contents(&copied, &postgres_contents(&postgres, &types).await, &types);

    // Every browser is still signed in, to the same sessions; the same keys are published.
    assert_eq!(
        resolutions(&postgres, &install, LATER).await,
        resolutions(&sqlite, &install, LATER).await
    );
    assert_eq!(
        jwks_of(&postgres, LATER).await,
        jwks_of(&sqlite, LATER).await
    );
    assert_eq!(
        jwks_of(&postgres, LATER).await["keys"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "the signing key and the one rotated out"
    );
    assert_eq!(
        postgres
            .backup_code_reveal(&install.cy_session, T0 + 80)
            .await
            .unwrap()
            .map(|codes| codes.expose().clone()),
        Some(install.backup_codes.clone()),
        "the codes shown after enrolment (one line each in SQLite, text[] here)"
    );

    // Back to SQLite: the copy goes both ways, values and order intact.
    let (_back_dir, back) = crate::store::temp_store().await;
    let report = copy::copy(
        &Store::Postgres(postgres.clone()),
        &Store::Sqlite(back.clone()),
    )
    .await
    .unwrap();
    assert_eq!(report.rows(), counted.values().sum::<u64>());
    assert_same_contents(&before, &sqlite_contents(&back, &types).await, &types);
    assert_eq!(
        resolutions(&back, &install, LATER).await,
        resolutions(&sqlite, &install, LATER).await
    );

    // On a core over PostgreSQL, everyone signs in as before.
    let flows = Flows::on_store(Arc::new(postgres.clone()), ENV);
    let gatehouse = &flows.gatehouse;
    for email in ["ada@example.com", "bob@example.com", "eve@example.com"] {
        flows.sign_in(email, LATER).await;
    }
    assert!(
        gatehouse
            .store
            .guesses_of("mallory@example.com")
            .await
            .unwrap()
            .unwrap()
            .locked_until
            .is_some(),
        "a lock holds"
    );
    // The browser that was waiting for Cy's second factor finishes there.
    let view = sign_in::verify_second_factor(
        gatehouse,
        &install.cy_waiting,
        SecondFactorStrategy::Totp,
        &mfa::code_at(&install.totp_secret, T0 + 150).unwrap(),
        T0 + 150,
    )
    .await
    .unwrap();
    assert_eq!(view.status, SignInStatus::Complete);
    sign_in::finalize(gatehouse, &install.cy_waiting, None, T0 + 151)
        .await
        .unwrap();
    // Cy: password, then a code from the authenticator app; the backup code used before the
    // copy is spent, another one works.
    let second_factor = |strategy, code: String, now| {
        let gatehouse = gatehouse.clone();
        async move {
            let browser = flows_client(&gatehouse, now).await;
            let view = sign_in::password(
                &gatehouse,
                &browser,
                "cy@example.com",
                Secret::new(PASSWORD.into()),
                now,
            )
            .await
            .unwrap();
            assert_eq!(view.status, SignInStatus::NeedsSecondFactor);
            sign_in::verify_second_factor(&gatehouse, &browser, strategy, &code, now + 1)
                .await
                .map(|view| view.status)
                .map_err(|e| e.code.to_string())
        }
    };
    assert_eq!(
        second_factor(
            SecondFactorStrategy::Totp,
            mfa::code_at(&install.totp_secret, LATER + 1).unwrap(),
            LATER
        )
        .await,
        Ok(SignInStatus::Complete)
    );
    assert_eq!(
        second_factor(
            SecondFactorStrategy::BackupCode,
            install.backup_codes[0].clone(),
            LATER + 60
        )
        .await,
        Err("form_code_incorrect".to_string())
    );
    assert_eq!(
        second_factor(
            SecondFactorStrategy::BackupCode,
            install.backup_codes[1].clone(),
            LATER + 120
        )
        .await,
        Ok(SignInStatus::Complete)
    );
    // Dan's sign-up takes the code mailed before the copy.
    sign_up::verify_email_code(gatehouse, &install.dan_browser, &install.dan_code, T0 + 450)
        .await
        .unwrap();
    sign_up::finalize(gatehouse, &install.dan_browser, None, T0 + 451)
        .await
        .unwrap();
    flows.sign_in("dan@example.com", LATER).await;
    // SSO: Grace signs in with her linked identity; Hal's sign-up links his on its code.
    let sso_flows = Sso::on_store(Arc::new(postgres.clone()));
    sso_flows.vouch_for(identity("sub-grace", Some("grace@example.com"), true));
    assert_eq!(sso_flows.signs_in_again().await, install.grace);
    sign_up::verify_email_code(
        &sso_flows.gatehouse,
        &install.hal_browser,
        &install.hal_code,
        T0 + 20,
    )
    .await
    .unwrap();
    let hal = sign_up::finalize(&sso_flows.gatehouse, &install.hal_browser, None, T0 + 21)
        .await
        .unwrap()
        .snapshot
        .user
        .unwrap()
        .id;
    assert_eq!(
        postgres
            .find_user_by_external_account("idp", "sub-hal")
            .await
            .unwrap()
            .unwrap()
            .id,
        hal
    );
}

async fn flows_client(gatehouse: &gatehouse::domain::Gatehouse, now: i64) -> ClientId {
    gatehouse
        .store
        .create_client(&SecretToken::generate().hash(), now)
        .await
        .unwrap()
}

/// A value that fits no column of the target stops the copy where it is found, and the target
/// keeps nothing of the tables copied before it: one transaction.
#[tokio::test]
async fn a_value_that_does_not_fit_leaves_the_target_empty() {
    let (_dir, sqlite) = crate::store::temp_store().await;
    let flows = Flows::on_store(Arc::new(sqlite.clone()), &[]);
    flows.sign_up("ada@example.com", T0).await;
    let browser = flows.client().await;
    sign_in::password(
        &flows.gatehouse,
        &browser,
        "ada@example.com",
        Secret::new(PASSWORD.into()),
        T0 + 100,
    )
    .await
    .unwrap();
    sqlx::query("UPDATE sign_in_attempts SET state = 'not json'")
        .execute(sqlite.pool())
        .await
        .unwrap();
    let postgres = PostgresStore::open(&crate::pg::database_url().await)
        .await
        .unwrap();
    let error = copy::copy(&Store::Sqlite(sqlite), &Store::Postgres(postgres.clone()))
        .await
        .unwrap_err();
    assert!(
        error.contains("sign_in_attempts.state") && error.contains("not JSON"),
        "{error}"
    );
    let types = column_types(postgres.pool()).await;
    for (table, rows) in postgres_contents(&postgres, &types).await {
        assert!(rows.is_empty(), "{table} kept rows of a failed copy");
    }
}
