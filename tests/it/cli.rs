//! The `gatehouse` binary: commands, one-line errors, non-zero exits.

use std::process::Command;

fn gatehouse(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .args(args)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/cli.db?mode=rwc", dir.display()),
        )
        .env("RUST_LOG", "warn")
        .env_remove("GATEHOUSE_CONFIG");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// `gatehouse user create` for `email` with a fixed password, which must succeed.
fn create_user(dir: &std::path::Path, email: &str, env: &[(&str, &str)]) {
    let args = [
        "user",
        "create",
        "--email",
        email,
        "--password",
        "correct-horse-battery",
    ];
    let created = gatehouse(dir, &args, env);
    assert!(created.status.success(), "{}", text(&created.stderr));
}

#[test]
fn user_create_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = gatehouse(dir.path(), &["migrate"], &[]);
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));

    let created = gatehouse(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "Op@Example.com",
            "--password",
            "correct-horse-battery",
            "--first-name",
            "Op",
        ],
        &[],
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("op@example.com"));

    let again = gatehouse(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "op@example.com",
            "--password",
            "correct-horse-battery",
        ],
        &[],
    );
    assert!(!again.status.success());
    let error = text(&again.stderr);
    assert_eq!(error.trim().lines().count(), 1, "{error}");
    assert!(error.contains("already belongs to a user"), "{error}");

    let weak = gatehouse(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "x@example.com",
            "--password",
            "short",
        ],
        &[],
    );
    assert!(!weak.status.success());
    assert!(text(&weak.stderr).contains("--password"));

    let list = gatehouse(dir.path(), &["user", "list"], &[]);
    assert!(list.status.success());
    let listing = text(&list.stdout);
    assert!(listing.contains("op@example.com\tOp"), "{listing}");
}

#[test]
fn configuration_errors_name_the_key_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let output = gatehouse(
        dir.path(),
        &["migrate"],
        &[("GATEHOUSE_LOCKOUT__MAX_ATTEMPTS", "lots")],
    );
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("GATEHOUSE_LOCKOUT__MAX_ATTEMPTS"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let output = gatehouse(dir.path(), &["--help"], &[]);
    assert!(output.status.success());
    let help = text(&output.stdout);
    for command in ["serve", "migrate", "user", "db"] {
        assert!(help.contains(command), "{help}");
    }
}

#[test]
fn organization_commands_and_password_reset_flag() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("GATEHOUSE_ORGANIZATIONS__ENABLED", "true")];
    for email in ["owner@example.com", "member@example.com"] {
        create_user(dir.path(), email, &env);
    }
    let org = gatehouse(
        dir.path(),
        &[
            "org",
            "create",
            "--name",
            "Acme",
            "--slug",
            "acme",
            "--owner",
            "owner@example.com",
        ],
        &env,
    );
    assert!(org.status.success(), "{}", text(&org.stderr));
    assert!(text(&org.stdout).contains("acme"));

    let taken = gatehouse(
        dir.path(),
        &[
            "org",
            "create",
            "--name",
            "Acme 2",
            "--slug",
            "acme",
            "--owner",
            "owner@example.com",
        ],
        &env,
    );
    assert!(!taken.status.success());
    assert!(
        text(&taken.stderr).contains("--slug"),
        "{}",
        text(&taken.stderr)
    );
    let malformed = gatehouse(
        dir.path(),
        &[
            "org",
            "create",
            "--name",
            "X",
            "--slug",
            "Bad Slug",
            "--owner",
            "owner@example.com",
        ],
        &env,
    );
    assert!(text(&malformed.stderr).contains("--slug"));
    let nobody = gatehouse(
        dir.path(),
        &[
            "org",
            "create",
            "--name",
            "X",
            "--slug",
            "xx",
            "--owner",
            "nobody@example.com",
        ],
        &env,
    );
    assert!(text(&nobody.stderr).contains("--owner"));

    let added = gatehouse(
        dir.path(),
        &[
            "org",
            "add-member",
            "--org",
            "acme",
            "--email",
            "member@example.com",
            "--role",
            "org:member",
        ],
        &env,
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let bad_role = gatehouse(
        dir.path(),
        &[
            "org",
            "add-member",
            "--org",
            "acme",
            "--email",
            "member@example.com",
            "--role",
            "org:wizard",
        ],
        &env,
    );
    assert!(!bad_role.status.success());
    assert!(text(&bad_role.stderr).contains("--role"));

    // remove-member: the last admin stays; a member goes; then they are no member to remove.
    let remove = |email: &str| {
        let args = ["org", "remove-member", "--org", "acme", "--email", email];
        gatehouse(dir.path(), &args, &env)
    };
    let last_admin = remove("owner@example.com");
    assert!(!last_admin.status.success());
    assert!(
        text(&last_admin.stderr).contains("admin"),
        "{}",
        text(&last_admin.stderr)
    );
    let removed = remove("member@example.com");
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    assert!(text(&removed.stdout).contains("removed from acme"));
    let again = remove("member@example.com");
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("--email"),
        "{}",
        text(&again.stderr)
    );
    let no_org = gatehouse(
        dir.path(),
        &[
            "org",
            "remove-member",
            "--org",
            "nope",
            "--email",
            "owner@example.com",
        ],
        &env,
    );
    assert!(
        text(&no_org.stderr).contains("--org"),
        "{}",
        text(&no_org.stderr)
    );
    assert_eq!(text(&no_org.stderr).trim().lines().count(), 1);
    // org domain add|verify.
    let domain = |args: &[&str]| {
        let mut all = vec!["org", "domain"];
        all.extend_from_slice(args);
        gatehouse(dir.path(), &all, &env)
    };
    let added = domain(&[
        "add",
        "--org",
        "acme",
        "--domain",
        "Acme.test",
        "--mode",
        "automatic_suggestion",
    ]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(text(&added.stdout).contains("acme.test\tautomatic_suggestion (unverified)"));
    let common = domain(&["add", "--org", "acme", "--domain", "gmail.com"]);
    assert!(
        text(&common.stderr).contains("--domain: This is a common mail provider"),
        "{}",
        text(&common.stderr)
    );
    let bad_mode = domain(&[
        "add",
        "--org",
        "acme",
        "--domain",
        "b.test",
        "--mode",
        "sometimes",
    ]);
    assert!(
        text(&bad_mode.stderr).contains("--mode"),
        "{}",
        text(&bad_mode.stderr)
    );
    let verified = domain(&[
        "verify",
        "--org",
        "acme",
        "--domain",
        "acme.test",
        "--mode",
        "automatic_invitation",
    ]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    assert!(text(&verified.stdout).contains("acme.test\tautomatic_invitation (verified)"));
    let unknown = domain(&["verify", "--org", "acme", "--domain", "nope.test"]);
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("--domain: acme has no domain nope.test"));
    let re_added = gatehouse(
        dir.path(),
        &[
            "org",
            "add-member",
            "--org",
            "acme",
            "--email",
            "member@example.com",
        ],
        &env,
    );
    assert!(re_added.status.success(), "{}", text(&re_added.stderr));

    let flagged = gatehouse(
        dir.path(),
        &[
            "user",
            "require-password-reset",
            "--email",
            "member@example.com",
        ],
        &env,
    );
    assert!(flagged.status.success(), "{}", text(&flagged.stderr));
    let unknown = gatehouse(
        dir.path(),
        &[
            "user",
            "require-password-reset",
            "--email",
            "ghost@example.com",
        ],
        &env,
    );
    assert!(!unknown.status.success());
    assert_eq!(text(&unknown.stderr).trim().lines().count(), 1);
}

#[test]
fn org_invite_emails_the_link_and_refuses_what_the_rules_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let outbox_dir = outbox.display().to_string();
    let env = [
        ("GATEHOUSE_ORGANIZATIONS__ENABLED", "true"),
        ("GATEHOUSE_EMAIL__OUTBOX_DIR", outbox_dir.as_str()),
    ];
    let run = |args: &[&str]| gatehouse(dir.path(), args, &env);
    let owner = run(&[
        "user",
        "create",
        "--email",
        "owner@example.com",
        "--password",
        "correct-horse-battery",
    ]);
    assert!(owner.status.success(), "{}", text(&owner.stderr));
    let org = run(&[
        "org",
        "create",
        "--name",
        "Acme",
        "--slug",
        "acme",
        "--owner",
        "owner@example.com",
    ]);
    assert!(org.status.success(), "{}", text(&org.stderr));
    let invite = |email: &str, org: &str, role: &str| {
        run(&[
            "org", "invite", "--org", org, "--email", email, "--role", role,
        ])
    };

    let invited = invite("New@Example.com", "acme", "org:member");
    assert!(invited.status.success(), "{}", text(&invited.stderr));
    let printed = text(&invited.stdout);
    assert!(printed.starts_with("orginv_"), "{printed}");
    assert!(
        printed.contains("new@example.com as org:member in acme emailed"),
        "{printed}"
    );
    let mails = crate::flows::mails_in_outbox(&outbox, "new@example.com");
    assert_eq!(mails.len(), 1);
    assert!(
        crate::invitations::ticket_in(&mails[0]).is_some(),
        "{}",
        mails[0]
    );

    for (email, org, role, flag) in [
        ("new@example.com", "acme", "org:member", "--email"),
        ("owner@example.com", "acme", "org:member", "--email"),
        ("other@example.com", "nowhere", "org:member", "--org"),
        ("other@example.com", "acme", "org:wizard", "--role"),
    ] {
        let refused = invite(email, org, role);
        assert!(!refused.status.success(), "{email} {org} {role}");
        let error = text(&refused.stderr);
        assert_eq!(error.trim().lines().count(), 1, "{error}");
        assert!(error.contains(flag), "{flag}: {error}");
    }
    assert_eq!(
        crate::flows::mails_in_outbox(&outbox, "other@example.com").len(),
        0
    );
}

#[tokio::test]
async fn unlock_session_revoke_and_password_reset_end_sessions() {
    use gatehouse::{
        domain::{
            ports::{Clients, Limits, NewSession},
            tokens::SecretToken,
        },
        model::UserId,
        store::SqliteStore as Store,
    };
    let dir = tempfile::tempdir().unwrap();
    let created = gatehouse(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--password",
            "correct-horse-battery",
        ],
        &[],
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let user_id = UserId::new(text(&created.stdout).split('\t').next().unwrap());
    let store = Store::open(&format!(
        "sqlite://{}/cli.db?mode=rwc",
        dir.path().display()
    ))
    .await
    .unwrap();
    let now = 1_800_000_000;
    let live = |store: Store| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL")
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    let new_session = |store: Store| {
        let user_id = user_id.clone();
        async move {
            let client = store
                .create_client(&SecretToken::generate().hash(), now)
                .await
                .unwrap();
            store
                .create_session(
                    NewSession {
                        client_id: &client,
                        user_id: &user_id,
                        new_token_hash: &SecretToken::generate().hash(),
                        first_factor_at: now,
                        second_factor_at: None,
                        expires_at: now + 3600 * 24 * 365 * 20,
                        keep_other_sessions: false,
                    },
                    now,
                )
                .await
                .unwrap()
        }
    };

    // unlock: lifts a lockout, also for an email without an account.
    for _ in 0..12 {
        store
            .reserve_guess("ops@example.com", 10, now + 9_999_999_999, now)
            .await
            .unwrap();
    }
    let unlocked = gatehouse(
        dir.path(),
        &["user", "unlock", "--email", "OPS@example.com"],
        &[],
    );
    assert!(unlocked.status.success(), "{}", text(&unlocked.stderr));
    assert!(store.guesses_of("ops@example.com").await.unwrap().is_none());
    let bad = gatehouse(
        dir.path(),
        &["user", "unlock", "--email", "not-an-email"],
        &[],
    );
    assert!(!bad.status.success());
    assert_eq!(text(&bad.stderr).trim().lines().count(), 1);

    // session revoke --session / --email.
    let first = new_session(store.clone()).await;
    new_session(store.clone()).await;
    assert_eq!(live(store.clone()).await, 2);
    let revoked = gatehouse(
        dir.path(),
        &["session", "revoke", "--session", first.as_str()],
        &[],
    );
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    assert_eq!(live(store.clone()).await, 1);
    let again = gatehouse(
        dir.path(),
        &["session", "revoke", "--session", first.as_str()],
        &[],
    );
    assert!(
        !again.status.success(),
        "an ended session cannot be revoked twice"
    );
    let all = gatehouse(
        dir.path(),
        &["session", "revoke", "--email", "ops@example.com"],
        &[],
    );
    assert!(all.status.success(), "{}", text(&all.stderr));
    assert_eq!(live(store.clone()).await, 0);
    let neither = gatehouse(dir.path(), &["session", "revoke"], &[]);
    assert!(!neither.status.success());

    // require-password-reset ends sessions unless --keep-sessions.
    new_session(store.clone()).await;
    let kept = gatehouse(
        dir.path(),
        &[
            "user",
            "require-password-reset",
            "--email",
            "ops@example.com",
            "--keep-sessions",
        ],
        &[],
    );
    assert!(kept.status.success(), "{}", text(&kept.stderr));
    assert_eq!(live(store.clone()).await, 1);
    let ended = gatehouse(
        dir.path(),
        &[
            "user",
            "require-password-reset",
            "--email",
            "ops@example.com",
        ],
        &[],
    );
    assert!(ended.status.success(), "{}", text(&ended.stderr));
    assert_eq!(live(store.clone()).await, 0);
}

#[tokio::test]
async fn keys_rotate_adds_a_signing_key_and_keeps_the_old_one_published() {
    use gatehouse::{domain::jwt, store::SqliteStore as Store};
    let dir = tempfile::tempdir().unwrap();
    let first = gatehouse(dir.path(), &["keys", "rotate"], &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let second = gatehouse(dir.path(), &["keys", "rotate", "--grace-hours", "2"], &[]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    let new_kid = text(&second.stdout);
    let new_kid = new_kid.split(':').next().unwrap();
    let bad = gatehouse(dir.path(), &["keys", "rotate", "--grace-hours=-1"], &[]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("--grace-hours"),
        "{}",
        text(&bad.stderr)
    );

    let store = Store::open(&format!("sqlite://{}/cli.db", dir.path().display()))
        .await
        .unwrap();
    let now = gatehouse::domain::now();
    let published = jwt::jwks(&store, now).await.unwrap();
    assert_eq!(
        published.keys.len(),
        2,
        "the replaced key is still published"
    );
    assert_eq!(published.keys[0].common.key_id.as_deref(), Some(new_kid));
    assert_eq!(
        jwt::jwks(&store, now + 2 * 3600 + 60)
            .await
            .unwrap()
            .keys
            .len(),
        1,
        "and no longer after its grace period"
    );
}

#[tokio::test]
async fn db_copy_moves_an_install_to_postgres_once_and_prints_the_counts() {
    let dir = tempfile::tempdir().unwrap();
    let created = gatehouse(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "op@example.com",
            "--password",
            "correct-horse-battery",
        ],
        &[],
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let from = format!("sqlite://{}/cli.db", dir.path().display());
    let to = crate::pg::database_url().await;
    let copy = |from: &str, to: &str| {
        gatehouse(dir.path(), &["db", "copy", "--from", from, "--to", to], &[])
    };

    let copied = copy(&from, &to);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    let output = text(&copied.stdout);
    // One line per table with the rows counted in the source and in the target.
    let counts = |table: &str| {
        output
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .find(|words| words.first() == Some(&table))
            .unwrap_or_else(|| panic!("no line for {table}: {output}"))
    };
    assert_eq!(counts("users"), ["users", "1", "1"]);
    assert_eq!(counts("email_addresses"), ["email_addresses", "1", "1"]);
    assert_eq!(counts("sessions"), ["sessions", "0", "0"]);
    assert!(output.contains("every count matches"), "{output}");
    // The server's commands find the user on PostgreSQL.
    let listed = gatehouse(dir.path(), &["user", "list"], &[("DATABASE_URL", &to)]);
    assert!(
        text(&listed.stdout).contains("op@example.com"),
        "{}",
        text(&listed.stderr)
    );

    // Again: refused in one line naming what is there, non-zero.
    let again = copy(&from, &to);
    assert!(!again.status.success());
    let error = text(&again.stderr);
    assert_eq!(error.trim().lines().count(), 1, "{error}");
    assert!(error.contains("users (1 row)"), "{error}");

    // A SQLite file that is not there is not made up.
    let missing = dir.path().join("missing.db");
    let refused = copy(&format!("sqlite://{}", missing.display()), &to);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("no SQLite database"),
        "{}",
        text(&refused.stderr)
    );
    assert!(!missing.exists());

    // A password in a URL is never shown.
    let unreachable = copy(&from, "postgres://op:hunter2@127.0.0.1:1/gatehouse");
    assert!(!unreachable.status.success());
    let shown = format!("{}{}", text(&unreachable.stdout), text(&unreachable.stderr));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("op:***@127.0.0.1:1"), "{shown}");
}

#[test]
fn audit_lists_what_was_done_filtered_by_email_and_time() {
    let dir = tempfile::tempdir().unwrap();
    for email in ["ada@example.com", "bob@example.com"] {
        create_user(dir.path(), email, &[]);
    }
    let unlocked = gatehouse(
        dir.path(),
        &["user", "unlock", "--email", "Ada@Example.com"],
        &[],
    );
    assert!(unlocked.status.success(), "{}", text(&unlocked.stderr));

    let lines = |args: &[&str]| -> Vec<serde_json::Value> {
        let out = gatehouse(dir.path(), args, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    };
    let all = lines(&["audit", "--json"]);
    let summary: Vec<(String, String)> = all
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().into(),
                e["detail"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("operator_command".to_string(), "user unlock".to_string()),
            ("user_unlocked".to_string(), "by the operator".to_string()),
            ("operator_command".to_string(), "user create".to_string()),
            ("operator_command".to_string(), "user create".to_string()),
        ],
        "{all:?}"
    );
    // Newest first; ties in reverse order of writing.
    let ada = lines(&["audit", "--json", "--email", "ada@example.com"]);
    assert_eq!(ada.len(), 3, "{ada:?}");
    assert!(ada.iter().all(|e| e["email"] == "ada@example.com"));
    assert!(ada.iter().any(|e| e["user_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("user_"))));
    assert_eq!(lines(&["audit", "--json", "--since", "1h"]).len(), 4);
    assert_eq!(
        lines(&["audit", "--json", "--since", "99999999999"]).len(),
        0
    );
    assert_eq!(lines(&["audit", "--json", "--limit", "1"]).len(), 1);

    // The table: the time, the kind, the outcome, the email.
    let table = gatehouse(dir.path(), &["audit", "--email", "bob@example.com"], &[]);
    let table = text(&table.stdout);
    assert!(
        table.contains("operator_command\tsucceeded\tbob@example.com\tuser create"),
        "{table}"
    );

    // A key rotation: the rotation and the command.
    let rotated = gatehouse(dir.path(), &["keys", "rotate"], &[]);
    assert!(rotated.status.success(), "{}", text(&rotated.stderr));
    let latest = lines(&["audit", "--json", "--limit", "2"]);
    let kinds: Vec<&str> = latest.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["operator_command", "signing_key_rotated"],
        "{latest:?}"
    );
    assert_eq!(latest[0]["detail"], "keys rotate");

    let bad = gatehouse(dir.path(), &["audit", "--since", "banana"], &[]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("--since"),
        "{}",
        text(&bad.stderr)
    );
}
