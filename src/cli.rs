//! The `gatehouse` command line: `serve` (default), `migrate`, `user …`, `org …`, `session …`,
//! `keys …`, `db copy`, `audit`. Every command that changes something is recorded in the audit
//! log. Reads the same configuration and `DATABASE_URL` as the server (`db copy`
//! takes its two databases' URLs instead).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use leptos::config::LeptosOptions;

use crate::{
    config::Config,
    domain::{
        self,
        audit::{self, AuditEvent, AuditKind},
        email::normalize_email,
        password,
        ports::{AuditFilter, NewUser, Storage, MAX_AUDIT_PAGE},
        secret::Secret,
        Gatehouse,
    },
    model::{SessionId, UserId},
    server::{self, AppState},
    store::{copy, redact_url, Store},
};

/// Gatehouse: self-hosted authentication for Leptos apps.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the demo app (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage sessions.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Manage the session tokens' signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Whole databases.
    #[command(subcommand)]
    Db(DbCommand),
    /// Security activity (the audit log), newest first: sign-ins, lockouts, password and
    /// factor changes, passkeys, revoked sessions, organization membership, operator commands.
    Audit {
        /// Only the events about this email address (or its account).
        #[arg(long)]
        email: Option<String>,
        /// Only the events since then: a duration back from now (`30m`, `24h`, `7d`) or a Unix
        /// time.
        #[arg(long)]
        since: Option<String>,
        /// At most this many (up to 500).
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Copy every Gatehouse table of one database into an empty one — how an install moves off
    /// SQLite onto PostgreSQL (stop the server first). Both are migrated first; the copy is one
    /// transaction on the target, refused when the target holds any Gatehouse data, and prints
    /// the row counts it checked on both sides.
    Copy {
        /// The database to copy: `sqlite://path` (must exist) or `postgres://…`.
        #[arg(long)]
        from: String,
        /// The database to copy into, empty: `postgres://…` (or `sqlite://path`).
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Sign tokens with a new key from now on; the replaced key stays published in the JWKS
    /// for the grace period, so tokens it signed keep verifying until they expire.
    Rotate {
        /// How long the replaced key stays published, in hours.
        #[arg(long, default_value_t = 24)]
        grace_hours: i64,
    },
}

#[derive(Debug, Subcommand)]
enum SessionCommand {
    /// End sessions now: every session of a user, or one session by id.
    Revoke {
        /// End every session of the user with this email address.
        #[arg(long, conflicts_with = "session", required_unless_present = "session")]
        email: Option<String>,
        /// End the session with this id (`sess_…`).
        #[arg(long)]
        session: Option<String>,
    },
    /// Make live sessions verify their password (and second factor) again before their next
    /// sensitive change (password, two-step verification, connected accounts, deleting the
    /// account): every session of a user, or one session by id.
    RequireReverification {
        /// Every live session of the user with this email address.
        #[arg(long, conflicts_with = "session", required_unless_present = "session")]
        email: Option<String>,
        /// The session with this id (`sess_…`).
        #[arg(long)]
        session: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organization owned by an existing user (org:admin).
    Create {
        /// Name.
        #[arg(long)]
        name: String,
        /// Slug (lowercase letters, digits, hyphens).
        #[arg(long)]
        slug: String,
        /// The owner's email address.
        #[arg(long)]
        owner: String,
    },
    /// Add a user to an organization (or change their role).
    AddMember {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The user's email address.
        #[arg(long)]
        email: String,
        /// Role: org:admin, org:member or a configured custom role.
        #[arg(long, default_value = "org:member")]
        role: String,
    },
    /// Invite an email address to an organization: the invitation's link is emailed (it works
    /// once, for organizations.invitation_expiry_days days).
    Invite {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The email address to invite.
        #[arg(long)]
        email: String,
        /// Role: org:admin, org:member or a configured custom role.
        #[arg(long, default_value = "org:member")]
        role: String,
    },
    /// An organization's domains: add one, or mark one verified.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Remove a member from an organization (not its last admin); their sessions lose it as
    /// their active organization at their next request.
    RemoveMember {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The member's email address.
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum DomainCommand {
    /// Add a domain to an organization (unverified; at most 10; not a common mail provider's).
    Add {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The domain, e.g. acme.com.
        #[arg(long)]
        domain: String,
        /// Enrollment mode: manual_invitation, automatic_invitation or automatic_suggestion.
        #[arg(long, default_value = "manual_invitation")]
        mode: String,
    },
    /// Mark an organization's domain verified (as its emailed code would); with
    /// automatic_invitation, the users with a verified address there are invited.
    Verify {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The domain.
        #[arg(long)]
        domain: String,
        /// A new enrollment mode to set first.
        #[arg(long)]
        mode: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user with a verified email address.
    Create {
        /// Email address.
        #[arg(long)]
        email: String,
        /// Password (8–72 characters).
        #[arg(long)]
        password: String,
        /// First name.
        #[arg(long)]
        first_name: Option<String>,
        /// Last name.
        #[arg(long)]
        last_name: Option<String>,
    },
    /// List users.
    List,
    /// Flag the user's password: their sessions end (or, with --keep-sessions, become pending
    /// with `reset-password` at their next request).
    RequirePasswordReset {
        /// Email address.
        #[arg(long)]
        email: String,
        /// Keep the user's sessions (they become pending) instead of ending them.
        #[arg(long)]
        keep_sessions: bool,
    },
    /// Lift a lockout (after too many failed attempts) for an email address.
    Unlock {
        /// Email address.
        #[arg(long)]
        email: String,
    },
}

/// Runs the CLI; errors print one line and exit non-zero.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gatehouse: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

async fn user_id_for(store: &dyn Storage, email: &str, flag: &str) -> Result<UserId, String> {
    let email =
        normalize_email(email, "email").map_err(|e| format!("{flag}: {}", e.long_message))?;
    store
        .find_user_by_email(&email)
        .await
        .map_err(|e| e.long_message)?
        .map(|user| user.id)
        .ok_or_else(|| format!("{flag}: no user has the email address {email}"))
}

async fn execute(command: Command) -> Result<(), String> {
    init_logging();
    // `db copy` names its databases: DATABASE_URL (and a SQLite file it might create) stays out.
    if let Command::Db(command) = command {
        return database(command).await;
    }
    let config = Config::load().map_err(|e| e.to_string())?;
    let opened = Store::open(&config.database.url).await?;
    let storage = opened.storage();
    let store = storage.as_ref();
    let audited = operator_command(&command);
    let result = run_command(command, config, &opened, store).await;
    if let (Ok(()), Some((name, email))) = (&result, audited) {
        // What the operator did, once it is done (the process ends next: written now).
        let mut event = AuditEvent::new(AuditKind::OperatorCommand).detail(&name);
        if let Some(email) = email {
            event = event.email(&email);
            if let Ok(Some(user)) = store.find_user_by_email(&email).await {
                event = event.user(&user.id);
            }
        }
        audit::record_in(store, event, domain::now()).await;
    }
    result
}

/// `gatehouse <command>` as the audit log names a command that changes something, and the email
/// it is about; `None` for reads (and for `serve`, `migrate`, `db copy`).
fn operator_command(command: &Command) -> Option<(String, Option<String>)> {
    let email = |email: &str| Some(email.trim().to_lowercase());
    Some(match command {
        Command::User(UserCommand::Create { email: e, .. }) => ("user create".into(), email(e)),
        Command::User(UserCommand::RequirePasswordReset { email: e, .. }) => {
            ("user require-password-reset".into(), email(e))
        }
        Command::User(UserCommand::Unlock { email: e }) => ("user unlock".into(), email(e)),
        Command::Session(SessionCommand::Revoke { email: e, session }) => (
            format!(
                "session revoke{}",
                session
                    .as_ref()
                    .map(|s| format!(" {s}"))
                    .unwrap_or_default()
            ),
            e.as_deref().and_then(email),
        ),
        Command::Session(SessionCommand::RequireReverification { email: e, .. }) => (
            "session require-reverification".into(),
            e.as_deref().and_then(email),
        ),
        Command::Keys(KeysCommand::Rotate { .. }) => ("keys rotate".into(), None),
        Command::Org(OrgCommand::Create { slug, owner, .. }) => {
            (format!("org create {slug}"), email(owner))
        }
        Command::Org(OrgCommand::AddMember {
            org,
            email: e,
            role,
        }) => (format!("org add-member {org} {role}"), email(e)),
        Command::Org(OrgCommand::Invite {
            org,
            email: e,
            role,
        }) => (format!("org invite {org} {role}"), email(e)),
        Command::Org(OrgCommand::RemoveMember { org, email: e }) => {
            (format!("org remove-member {org}"), email(e))
        }
        Command::Org(OrgCommand::Domain(DomainCommand::Add { org, domain, .. })) => {
            (format!("org domain add {org} {domain}"), None)
        }
        Command::Org(OrgCommand::Domain(DomainCommand::Verify { org, domain, .. })) => {
            (format!("org domain verify {org} {domain}"), None)
        }
        Command::Serve
        | Command::Migrate
        | Command::Db(_)
        | Command::Audit { .. }
        | Command::User(UserCommand::List) => return None,
    })
}

async fn run_command(
    command: Command,
    config: Config,
    opened: &Store,
    store: &dyn Storage,
) -> Result<(), String> {
    match command {
        Command::Serve => serve(config, opened).await,
        Command::Audit {
            email,
            since,
            limit,
            json,
        } => audit_log(store, email, since, limit, json).await,
        Command::Db(command) => database(command).await,
        Command::Migrate => {
            println!("migrations applied to {}", redact_url(&config.database.url));
            Ok(())
        }
        Command::User(UserCommand::Create {
            email,
            password: pw,
            first_name,
            last_name,
        }) => {
            let email = normalize_email(&email, "email")
                .map_err(|e| format!("--email: {}", e.long_message))?;
            password::validate_new_password(&pw, config.passwords.reject_compromised)
                .map_err(|e| format!("--password: {}", e.long_message))?;
            let hasher = password::PasswordHasher::new(config.passwords.hash_concurrency);
            let hash = hasher
                .hash(Secret::new(pw))
                .await
                .map_err(|e| e.long_message)?;
            let id = store
                .create_user(
                    NewUser {
                        email: &email,
                        password_hash: Some(&hash),
                        first_name: first_name.as_deref(),
                        last_name: last_name.as_deref(),
                    },
                    domain::now(),
                )
                .await
                .map_err(|e| e.long_message)?
                .ok_or_else(|| format!("--email: {email} already belongs to a user"))?;
            println!("{id}\t{email}");
            Ok(())
        }
        Command::User(UserCommand::RequirePasswordReset {
            email,
            keep_sessions,
        }) => {
            let user_id = user_id_for(store, &email, "--email").await?;
            store
                .require_password_reset(&user_id, !keep_sessions, domain::now())
                .await
                .map_err(|e| e.long_message)?;
            if keep_sessions {
                println!("{user_id}: password reset required at the next request");
            } else {
                println!("{user_id}: password reset required; sessions ended");
            }
            Ok(())
        }
        Command::User(UserCommand::Unlock { email }) => {
            // Lockout is per identifier (also for emails without an account).
            let email = normalize_email(&email, "email")
                .map_err(|e| format!("--email: {}", e.long_message))?;
            store
                .clear_guesses(&email)
                .await
                .map_err(|e| e.long_message)?;
            let event = AuditEvent::new(AuditKind::UserUnlocked)
                .email(&email)
                .detail("by the operator");
            audit::record_in(store, event, domain::now()).await;
            println!("{email}: unlocked");
            Ok(())
        }
        Command::Session(SessionCommand::Revoke { email, session }) => {
            let now = domain::now();
            match (email, session) {
                (Some(email), _) => {
                    let user_id = user_id_for(store, &email, "--email").await?;
                    let ended = store
                        .end_user_sessions(&user_id, None, now)
                        .await
                        .map_err(|e| e.long_message)?;
                    println!("{user_id}: {ended} session(s) ended");
                }
                (None, Some(session)) => {
                    if !store
                        .end_session(&SessionId::new(session.clone()), now)
                        .await
                        .map_err(|e| e.long_message)?
                    {
                        return Err(format!("--session: no live session has the id {session}"));
                    }
                    println!("{session}: ended");
                }
                (None, None) => return Err("give --email or --session".to_string()),
            }
            Ok(())
        }
        Command::Keys(KeysCommand::Rotate { grace_hours }) => {
            if grace_hours < 0 {
                return Err("--grace-hours: must not be negative".to_string());
            }
            let now = domain::now();
            let kid = domain::jwt::rotate_signing_key(store, grace_hours * 3600, now)
                .await
                .map_err(|e| e.long_message)?;
            let event = AuditEvent::new(AuditKind::SigningKeyRotated).detail(&kid.to_string());
            audit::record_in(store, event, now).await;
            println!("{kid}: signs session tokens from now on");
            Ok(())
        }
        Command::Session(SessionCommand::RequireReverification { email, session }) => {
            let user_id = match &email {
                Some(email) => Some(user_id_for(store, email, "--email").await?),
                None => None,
            };
            let session_id = session.map(SessionId::new);
            let count = store
                .expire_factor_verification(user_id.as_ref(), session_id.as_ref())
                .await
                .map_err(|e| e.long_message)?;
            if count == 0 && session_id.is_some() {
                return Err("--session: no live session has that id".to_string());
            }
            println!("{count} session(s) must verify again before a sensitive change");
            Ok(())
        }
        Command::Org(OrgCommand::Create { name, slug, owner }) => {
            let owner_id = user_id_for(store, &owner, "--owner").await?;
            let (name, slug) =
                crate::domain::organization::validate(&name, &slug).map_err(|e| {
                    e.errors()
                        .iter()
                        .map(|error| {
                            format!(
                                "--{}: {}",
                                error.meta.param_name.as_deref().unwrap_or("?"),
                                error.long_message
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })?;
            let id = store
                .create_organization(&name, &slug, &owner_id, domain::now())
                .await
                .map_err(|e| e.long_message)?
                .ok_or_else(|| format!("--slug: {slug} is taken"))?;
            println!("{id}\t{slug}\t{name}");
            Ok(())
        }
        Command::Org(OrgCommand::AddMember { org, email, role }) => {
            if !config.organizations.role_exists(&role) {
                return Err(format!("--role: unknown role {role} (org:admin, org:member or one from organizations.roles)"));
            }
            let user_id = user_id_for(store, &email, "--email").await?;
            let organization = store
                .find_organization_by_slug(&org)
                .await
                .map_err(|e| e.long_message)?
                .ok_or_else(|| format!("--org: no organization has the slug {org}"))?;
            store
                .upsert_member(&organization.id, &user_id, &role, domain::now())
                .await
                .map_err(|e| e.long_message)?;
            println!("{user_id} is {role} of {}", organization.slug);
            Ok(())
        }
        Command::Org(OrgCommand::Domain(command)) => {
            let gatehouse = server::host::core(config, opened.storage())?;
            domain_command(&gatehouse, command).await
        }
        Command::Org(OrgCommand::RemoveMember { org, email }) => {
            let user_id = user_id_for(store, &email, "--email").await?;
            let gatehouse = server::host::core(config, opened.storage())?;
            let operator = domain::organization::Actor::Operator;
            domain::membership::remove(&gatehouse, operator, &org, &user_id)
                .await
                .map_err(|error| match error.code {
                    crate::model::ErrorCode::OrganizationNotFoundOrUnauthorized => {
                        format!("--org: no organization has the slug {org}")
                    }
                    crate::model::ErrorCode::ResourceNotFound
                    | crate::model::ErrorCode::NotFound => {
                        format!("--email: {email} is not a member of {org}")
                    }
                    _ => error.long_message,
                })?;
            println!("{user_id} removed from {org}");
            Ok(())
        }
        Command::Org(OrgCommand::Invite { org, email, role }) => {
            let gatehouse = server::host::core(config, opened.storage())?;
            let operator = domain::invitation::Inviter::Operator;
            let invited = domain::invitation::invite(
                &gatehouse,
                operator,
                &org,
                &email,
                &role,
                domain::now(),
            )
            .await
            .map_err(|e| {
                let error = e.first_error();
                match error.meta.param_name.as_deref() {
                    Some("email_address") => format!("--email: {}", error.long_message),
                    Some("role") => format!("--role: unknown role {role} (org:admin, org:member or one from organizations.roles)"),
                    _ if error.code == crate::model::ErrorCode::OrganizationNotFoundOrUnauthorized => {
                        format!("--org: no organization has the slug {org}")
                    }
                    _ => error.long_message,
                }
            })?;
            println!(
                "{}\tinvitation to {} as {} in {} emailed (its link works once, for {} days)",
                invited.id,
                invited.email_address,
                invited.role,
                invited.organization_slug,
                gatehouse.config.organizations.invitation_expiry_days
            );
            Ok(())
        }
        Command::User(UserCommand::List) => {
            for user in store.list_users().await.map_err(|e| e.long_message)? {
                let name = [user.first_name.as_deref(), user.last_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                println!("{}\t{}\t{}", user.id, user.email, name);
            }
            Ok(())
        }
    }
}

/// `gatehouse audit`: the events, newest first, as a table or one JSON object per line.
async fn audit_log(
    store: &dyn Storage,
    email: Option<String>,
    since: Option<String>,
    limit: u32,
    json: bool,
) -> Result<(), String> {
    let now = domain::now();
    let email = match email {
        Some(email) => Some(
            normalize_email(&email, "email").map_err(|e| format!("--email: {}", e.long_message))?,
        ),
        None => None,
    };
    let user_id = match &email {
        Some(email) => store
            .find_user_by_email(email)
            .await
            .map_err(|e| e.long_message)?
            .map(|user| user.id),
        None => None,
    };
    let since = match since {
        Some(since) => Some(parse_since(&since, now).ok_or_else(|| {
            format!(
                "--since: expected a duration back (30m, 24h, 7d) or a Unix time, got {since:?}"
            )
        })?),
        None => None,
    };
    let filter = AuditFilter {
        user_id,
        email,
        organization_id: None,
        since,
        limit: limit.clamp(1, MAX_AUDIT_PAGE),
    };
    let rows = store
        .audit_events(&filter)
        .await
        .map_err(|e| e.long_message)?;
    for row in rows {
        if json {
            let line = serde_json::json!({
                "id": row.id,
                "at": row.at,
                "kind": row.kind,
                "outcome": row.outcome,
                "user_id": row.user_id.as_ref().map(UserId::as_str),
                "email": row.email,
                "session_id": row.session_id,
                "client_id": row.client_id,
                "ip_address": row.ip_address,
                "browser": row.browser,
                "organization_id": row.organization_id.as_ref().map(|id| id.as_str()),
                "detail": row.detail,
            });
            println!("{line}");
        } else {
            let field = |value: Option<&str>| value.unwrap_or("-").to_string();
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                domain::notices::format_utc(row.at),
                row.kind,
                row.outcome,
                field(row.email.as_deref()),
                field(row.detail.as_deref()),
                field(row.browser.as_deref()),
                field(row.ip_address.as_deref()),
            );
        }
    }
    Ok(())
}

/// `30m`, `24h`, `7d` back from `now`, or a Unix time.
fn parse_since(since: &str, now: domain::Timestamp) -> Option<domain::Timestamp> {
    let since = since.trim();
    if let Ok(at) = since.parse::<i64>() {
        return (at >= 0).then_some(at);
    }
    let unit = since.chars().last()?;
    let amount: i64 = since[..since.len() - unit.len_utf8()].parse().ok()?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    (amount >= 0).then(|| now - amount.saturating_mul(seconds))
}

/// `gatehouse db …`.
async fn database(command: DbCommand) -> Result<(), String> {
    match command {
        DbCommand::Copy { from, to } => {
            println!("copying {} into {}", redact_url(&from), redact_url(&to));
            let report = copy::copy_between(&from, &to).await?;
            let width = report
                .tables
                .iter()
                .map(|table| table.table.len())
                .max()
                .unwrap_or(0)
                .max("table".len());
            println!("{:<width$}  {:>10}  {:>10}", "table", "source", "target");
            for table in &report.tables {
                println!(
                    "{:<width$}  {:>10}  {:>10}",
                    table.table, table.source, table.target
                );
            }
            println!(
                "copied {} rows in {} tables; every count matches on both sides",
                report.rows(),
                report.tables.len()
            );
            Ok(())
        }
    }
}

/// Assembles the demo app on `config` and `store`: the same router `serve` runs (tests use it).
pub fn demo_app(
    config: Config,
    store: &Store,
    options: LeptosOptions,
) -> Result<axum::Router, String> {
    Ok(demo_app_with(
        server::host::core(config, store.storage())?,
        options,
    ))
}

/// The demo app on an assembled core (tests keep a handle on its parts, e.g. the hasher).
pub fn demo_app_with(gatehouse: Gatehouse, options: LeptosOptions) -> axum::Router {
    let state = AppState::new(gatehouse, options, crate::demo::route_rules());
    server::router_with(
        state,
        crate::demo::App,
        crate::demo::shell,
        crate::demo::api_routes(),
    )
}

/// `gatehouse serve`: the demo app on the configured database.
async fn serve(config: Config, store: &Store) -> Result<(), String> {
    let options = server::host::leptos_options()?;
    let addr = options.site_addr;
    let gatehouse = server::host::core(config, store.storage())?;
    server::host::start_background_work(&gatehouse);
    server::host::serve(demo_app_with(gatehouse, options), addr).await
}

/// `gatehouse org domain add|verify`.
async fn domain_command(
    gatehouse: &crate::domain::Gatehouse,
    command: DomainCommand,
) -> Result<(), String> {
    use crate::domain::{organization::Actor, verified_domain};
    use crate::model::{EnrollmentMode, ErrorCode};
    let mode_of = |name: &str| {
        EnrollmentMode::parse(name).ok_or_else(|| {
            format!("--mode: unknown mode {name} (manual_invitation, automatic_invitation or automatic_suggestion)")
        })
    };
    let explain = |org: &str, domain: &str, error: crate::model::AuthError| match error.code {
        ErrorCode::OrganizationNotFoundOrUnauthorized => {
            format!("--org: no organization has the slug {org}")
        }
        ErrorCode::ResourceNotFound => format!("--domain: {org} has no domain {domain}"),
        ErrorCode::FormIdentifierExists => format!("--domain: {org} has {domain} already"),
        _ if error.meta.param_name.is_some() => format!("--domain: {}", error.long_message),
        _ => error.long_message,
    };
    let now = crate::domain::now();
    match command {
        DomainCommand::Add { org, domain, mode } => {
            let mode = mode_of(&mode)?;
            let added = verified_domain::add(gatehouse, Actor::Operator, &org, &domain, mode, now)
                .await
                .map_err(|e| explain(&org, &domain, e))?;
            println!(
                "{}\t{}\t{} (unverified)",
                added.id,
                added.name,
                mode.as_str()
            );
        }
        DomainCommand::Verify { org, domain, mode } => {
            if let Some(mode) = mode {
                let mode = mode_of(&mode)?;
                let listed = verified_domain::list(gatehouse, Actor::Operator, &org)
                    .await
                    .map_err(|e| explain(&org, &domain, e))?;
                let wanted = domain.trim().to_ascii_lowercase();
                let found = listed
                    .iter()
                    .find(|d| d.name == wanted)
                    .ok_or_else(|| format!("--domain: {org} has no domain {domain}"))?;
                verified_domain::set_mode(gatehouse, Actor::Operator, &org, &found.id, mode, now)
                    .await
                    .map_err(|e| explain(&org, &domain, e))?;
            }
            let verified = verified_domain::mark_verified(gatehouse, &org, &domain, now)
                .await
                .map_err(|e| explain(&org, &domain, e))?;
            println!(
                "{}\t{}\t{} (verified)",
                verified.id,
                verified.name,
                verified.enrollment_mode.as_str()
            );
        }
    }
    Ok(())
}
