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
    for command in ["serve", "migrate", "user"] {
        assert!(help.contains(command), "{help}");
    }
}
