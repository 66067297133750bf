//! A throwaway PostgreSQL for the tests: no mock, no shared server.
//!
//! Once per test process a cluster is made with `initdb` in a temporary directory (as root, the
//! cluster belongs to the `postgres` user and its programs run through `runuser`), started on a
//! free port of 127.0.0.1 without fsync, and watched by a detached shell that stops it and
//! deletes the directory when this process ends — even when a test panics or the run is
//! interrupted. Each test gets a database of its own (`CREATE DATABASE t_<pid>_<n>`).
//!
//! `GATEHOUSE_TEST_POSTGRES_URL=postgres://user:pass@host/db` uses that server instead (its user
//! must be allowed to create databases; the `t_…` databases stay there for inspection). Without it and without PostgreSQL's programs under
//! `/usr/lib/postgresql/*/bin`, every PostgreSQL test fails saying so: they never skip.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicU32, Ordering},
        OnceLock,
    },
};

use gatehouse::store::PostgresStore;
use sqlx::Connection;

/// The variable naming a server to use instead of a throwaway cluster.
const SERVER_VARIABLE: &str = "GATEHOUSE_TEST_POSTGRES_URL";

/// Where the server is: a URL whose database may be replaced by a test's own.
struct Server {
    admin_url: String,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

/// The URL of a new, empty database (no migrations applied).
pub async fn database_url() -> String {
    let server = match SERVER.get_or_init(start) {
        Ok(server) => server,
        Err(message) => panic!("PostgreSQL for the tests: {message}"),
    };
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT_DATABASE.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin = sqlx::PgConnection::connect(&server.admin_url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL for the tests: cannot connect: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL for the tests: CREATE DATABASE {name}: {e}"));
    admin.close().await.ok();
    with_database(&server.admin_url, &name)
}

/// A store on a new database, migrated.
pub async fn store() -> PostgresStore {
    PostgresStore::open(&database_url().await).await.unwrap()
}

/// `url` naming the database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let (scheme, rest) = base.split_once("://").expect("a postgres:// URL");
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{name}{query}")
}

fn start() -> Result<Server, String> {
    if let Ok(url) = std::env::var(SERVER_VARIABLE) {
        return Ok(Server { admin_url: url });
    }
    let bin = binaries()?;
    let dir = std::env::temp_dir().join(format!("gatehouse-pg-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let root = run(Command::new("id").arg("-u"))?.trim() == "0";
    if root {
        // PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user.
        run(Command::new("chown").arg("postgres:").arg(&dir))?;
    }
    let as_owner = |program: &str| {
        let path = bin.join(program);
        if root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    };
    let data = dir.join("data");
    run(as_owner("initdb").arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]))?;

    // The watchdog first: whatever happens from here on, the cluster goes with this process.
    let pg_ctl = if root {
        format!(
            "runuser -u postgres -- {}",
            shell_quote(&bin.join("pg_ctl"))
        )
    } else {
        shell_quote(&bin.join("pg_ctl"))
    };
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         {pg_ctl} -D {data} stop -m immediate >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        data = shell_quote(&data),
        dir = shell_quote(&dir),
    );
    Command::new("setsid")
        .args(["sh", "-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the watchdog (setsid sh): {e}"))?;

    let port = free_port()?;
    let log = dir.join("postgres.log");
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=300",
        dir.display()
    );
    let started = run(as_owner("pg_ctl")
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(&log)
        .args(["-o", &options, "-w", "-t", "60", "start"]));
    if let Err(error) = started {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        return Err(format!("{error}\n{log}"));
    }
    Ok(Server {
        admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
    })
}

/// The newest PostgreSQL's programs under `/usr/lib/postgresql/<version>/bin`.
fn binaries() -> Result<PathBuf, String> {
    let missing = || {
        format!(
            "no PostgreSQL programs under /usr/lib/postgresql/*/bin (initdb, pg_ctl): run \
             scripts/install.sh (it installs Debian's postgresql package), or set \
             {SERVER_VARIABLE} to a server the tests may create databases on"
        )
    };
    let versions = std::fs::read_dir("/usr/lib/postgresql").map_err(|_| missing())?;
    versions
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .max_by_key(|(version, _)| *version)
        .map(|(_, bin)| bin)
        .ok_or_else(missing)
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| e.to_string())
}

/// Runs `command`, returning its standard output, or its standard error as the failure.
fn run(command: &mut Command) -> Result<String, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// A store on a new, migrated database that connects on first use: for code that builds its
/// core outside of async code, inside a test's runtime. The database is made and migrated on a
/// thread of its own (a connection belongs to the runtime that made it).
pub fn migrated_lazy_store() -> PostgresStore {
    let url = std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let url = database_url().await;
            PostgresStore::open(&url).await.unwrap();
            url
        })
    })
    .join()
    .unwrap();
    PostgresStore::connect_lazy(&url).unwrap()
}
