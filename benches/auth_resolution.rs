//! `auth()` resolution (cookie token → Auth with derived tasks) against 10,000 sessions, on
//! SQLite and, when `BENCH_POSTGRES_URL` names a PostgreSQL server, on PostgreSQL in
//! the same run; the argon2 verify time; then how `auth()` and a password sign-in's database
//! work grow with the sessions table, one line per size (`BENCH_SIZES`, by default
//! 10,000, 100,000 and 1,000,000; `none` skips it). Run with `bash scripts/bench.sh` (release
//! build; it starts a PostgreSQL of its own and sets the URL). On the server named, the bench
//! works in a database of its own (`gatehouse_bench_<pid>`), dropped at the end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use argon2::{
    password_hash::{PasswordHasher as _, SaltString},
    Algorithm, Argon2, Params, Version,
};
use gatehouse::{
    config::Config,
    domain::{
        password::PasswordHasher,
        ports::{NewSession, NewUser, Storage},
        secret::Secret,
        session, sign_in,
        tokens::SecretToken,
        Gatehouse,
    },
    model::{ClientId, SignInStatus},
    store::{PostgresStore, SqliteStore},
};
use sqlx::Connection as _;

/// Sessions made through the store's ports (each with its own user and browser).
const SESSIONS: usize = 10_000;
const LOOKUPS: usize = 50_000;
const ROUNDS: usize = 5;
/// Per size of the growth table: lookups and sign-ins, in rounds (median of the rounds' p50s).
const GROWTH_ROUNDS: usize = 3;
const GROWTH_LOOKUPS: usize = 5_000;
const GROWTH_SIGN_INS: usize = 200;
/// Sessions live a year here: the lookups run one second apart, far ahead of the clock.
const LIFETIME: i64 = 365 * 86_400;
const PASSWORD: &str = "correct-horse-battery";

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// A xorshift generator: the same sequence of sessions in every run and on every store.
struct Picker(u64);

impl Picker {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The token hash of filler client `i`: 32 bytes, spread over the index like SHA-256's, and the
/// same formula in both engines' SQL ([`Db::fill`]), so a lookup can name any filler session
/// (SQLite has no SHA-256 function to hash a token with).
fn filler_hash(i: u64) -> Vec<u8> {
    format!(
        "{:08x}{:08x}{:08x}{:08x}",
        (i * 2_654_435_761) % 4_294_967_296,
        (i * 2_246_822_519) % 4_294_967_296,
        (i * 3_266_489_917) % 4_294_967_296,
        i
    )
    .into_bytes()
}

/// The store under test, with what only its engine can do (a reference query, set-based
/// filling, its size on disk).
#[derive(Clone)]
enum Db {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Db {
    fn name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    fn storage(&self) -> Arc<dyn Storage> {
        match self {
            Self::Sqlite(store) => Arc::new(store.clone()),
            Self::Postgres(store) => Arc::new(store.clone()),
        }
    }

    /// One trivial row through the sqlx pool: the reference measured beside each round.
    async fn select_one(&self) -> Result<(), String> {
        match self {
            Self::Sqlite(store) => sqlx::query("SELECT 1")
                .fetch_optional(store.pool())
                .await
                .map(drop),
            Self::Postgres(store) => sqlx::query("SELECT 1")
                .fetch_optional(store.pool())
                .await
                .map(drop),
        }
        .map_err(|e| e.to_string())
    }

    /// Adds filler sessions `from..=to`, each with its own user (and primary email) and its own
    /// browser, live, made at `now`: four set-based statements in one transaction.
    async fn fill(&self, from: u64, to: u64, now: i64) -> Result<(), String> {
        let (from, to) = (from as i64, to as i64);
        match self {
            Self::Sqlite(store) => {
                const N: &str = "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2) ";
                let statements = [
                    "INSERT INTO users (id, password_hash, created_at, updated_at)
                     SELECT 'user_fill' || i, '-', ?3, ?3 FROM n",
                    "INSERT INTO email_addresses (id, user_id, email, verified, is_primary, created_at)
                     SELECT 'idn_fill' || i, 'user_fill' || i, 'fill' || i || '@bench.example', 1, 1, ?3 FROM n",
                    "INSERT INTO clients (id, token_hash, current_session_id, created_at, rotated_at)
                     SELECT 'client_fill' || i,
                            CAST(printf('%08x%08x%08x%08x', (i * 2654435761) % 4294967296,
                                        (i * 2246822519) % 4294967296, (i * 3266489917) % 4294967296, i) AS BLOB),
                            'sess_fill' || i, ?3, ?3 FROM n",
                    "INSERT INTO sessions (id, client_id, user_id, first_factor_at, created_at, expires_at, activated_at)
                     SELECT 'sess_fill' || i, 'client_fill' || i, 'user_fill' || i, ?3, ?3, ?4, ?3 FROM n",
                ];
                let mut tx = store.pool().begin().await.map_err(|e| e.to_string())?;
                for statement in statements {
                    let sql = format!("{N}{statement}");
                    let mut query = sqlx::query(&sql).bind(from).bind(to).bind(now);
                    if statement.contains("?4") {
                        query = query.bind(now + LIFETIME);
                    }
                    query.execute(&mut *tx).await.map_err(|e| e.to_string())?;
                }
                tx.commit().await.map_err(|e| e.to_string())
            }
            Self::Postgres(store) => {
                const N: &str = " FROM generate_series($1::bigint, $2::bigint) AS i";
                let statements = [
                    "INSERT INTO users (id, password_hash, created_at, updated_at)
                     SELECT 'user_fill' || i, '-', $3::bigint, $3::bigint",
                    "INSERT INTO email_addresses (id, user_id, email, verified, is_primary, created_at)
                     SELECT 'idn_fill' || i, 'user_fill' || i, 'fill' || i || '@bench.example', TRUE, TRUE, $3::bigint",
                    "INSERT INTO clients (id, token_hash, current_session_id, created_at, rotated_at)
                     SELECT 'client_fill' || i,
                            convert_to(lpad(to_hex((i * 2654435761) % 4294967296), 8, '0')
                                       || lpad(to_hex((i * 2246822519) % 4294967296), 8, '0')
                                       || lpad(to_hex((i * 3266489917) % 4294967296), 8, '0')
                                       || lpad(to_hex(i), 8, '0'), 'UTF8'),
                            'sess_fill' || i, $3::bigint, $3::bigint",
                    "INSERT INTO sessions (id, client_id, user_id, first_factor_at, created_at, expires_at, activated_at)
                     SELECT 'sess_fill' || i, 'client_fill' || i, 'user_fill' || i, $3::bigint, $3::bigint, $4::bigint, $3::bigint",
                ];
                let mut tx = store.pool().begin().await.map_err(|e| e.to_string())?;
                for statement in statements {
                    let sql = format!("{statement}{N}");
                    let mut query = sqlx::query(&sql).bind(from).bind(to).bind(now);
                    if statement.contains("$4") {
                        query = query.bind(now + LIFETIME);
                    }
                    query.execute(&mut *tx).await.map_err(|e| e.to_string())?;
                }
                tx.commit().await.map_err(|e| e.to_string())
            }
        }
    }

    /// After a fill, what the engine would soon do by itself, so the measurement sees a table
    /// that grew over months rather than one written a second ago: on PostgreSQL autovacuum's
    /// `VACUUM ANALYZE` of the filled tables (statistics for the planner, the visibility map)
    /// and the checkpoint that writes the fill's pages out (else the commits measured next
    /// queue behind a gigabyte of them); on SQLite the WAL's checkpoint.
    async fn settle(&self) -> Result<(), String> {
        match self {
            Self::Sqlite(store) => sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(store.pool())
                .await
                .map(drop),
            Self::Postgres(store) => {
                let vacuumed =
                    sqlx::raw_sql("VACUUM ANALYZE users, email_addresses, clients, sessions")
                        .execute(store.pool())
                        .await;
                match vacuumed {
                    Ok(_) => sqlx::raw_sql("CHECKPOINT")
                        .execute(store.pool())
                        .await
                        .map(drop),
                    Err(error) => Err(error),
                }
            }
        }
        .map_err(|e| e.to_string())
    }

    /// The database's size on disk, in MB.
    async fn megabytes(&self) -> Result<f64, String> {
        let bytes: i64 =
            match self {
                Self::Sqlite(store) => sqlx::query_scalar(
                    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                )
                .fetch_one(store.pool())
                .await,
                Self::Postgres(store) => {
                    sqlx::query_scalar("SELECT pg_database_size(current_database())")
                        .fetch_one(store.pool())
                        .await
                }
            }
            .map_err(|e| e.to_string())?;
        Ok(bytes as f64 / 1e6)
    }
}

/// The sessions made through the ports: each one's user, browser and current cookie token.
struct Population {
    emails: Vec<String>,
    clients: Vec<ClientId>,
    tokens: Vec<SecretToken>,
}

/// A password hash at argon2id's smallest parameters (m=8 KiB, t=1, p=1): verifying it costs
/// microseconds, so a sign-in's time is the rest of its work, the database's mostly.
fn cheap_hash() -> Result<Secret<String>, String> {
    let params = Params::new(8, 1, 1, Some(32)).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(b"gatehouse-bench!").map_err(|e| e.to_string())?;
    let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(PASSWORD.as_bytes(), &salt)
        .map_err(|e| e.to_string())?;
    Ok(Secret::new(hash.to_string()))
}

/// [`SESSIONS`] users, each signed in on a browser of its own, through the store's ports.
async fn populate(store: &dyn Storage, now: i64) -> Result<Population, String> {
    let hash = cheap_hash()?;
    let mut population = Population {
        emails: Vec::with_capacity(SESSIONS),
        clients: Vec::with_capacity(SESSIONS),
        tokens: Vec::with_capacity(SESSIONS),
    };
    for i in 0..SESSIONS {
        let email = format!("user{i}@bench.example");
        let user_id = store
            .create_user(
                NewUser {
                    email: &email,
                    password_hash: Some(&hash),
                    first_name: None,
                    last_name: None,
                },
                now,
            )
            .await
            .map_err(|e| e.long_message)?
            .ok_or("duplicate user")?;
        let first = SecretToken::generate();
        let client_id = store
            .create_client(&first.hash(), now)
            .await
            .map_err(|e| e.long_message)?;
        let token = SecretToken::generate();
        store
            .create_session(
                NewSession {
                    client_id: &client_id,
                    user_id: &user_id,
                    new_token_hash: &token.hash(),
                    first_factor_at: now,
                    second_factor_at: None,
                    expires_at: now + LIFETIME,
                    keep_other_sessions: false,
                },
                now,
            )
            .await
            .map_err(|e| e.long_message)?;
        population.emails.push(email);
        population.clients.push(client_id);
        population.tokens.push(token);
    }
    Ok(population)
}

/// `auth()` against the [`SESSIONS`] sessions, in rounds: each lookup at a `now` of its own (one
/// second after the last), so it misses the resolution cache and measures the query; the same
/// lookup again is what the cache answers. Returns the `now` it got to.
async fn resolution(
    db: &Db,
    population: &Population,
    config: &Config,
    mut at: i64,
) -> Result<i64, String> {
    let store = db.storage();
    let name = db.name();
    // Warm up (every session once, as a running server's cache would be), then time each
    // resolution.
    for token in &population.tokens {
        session::resolve(store.as_ref(), config, Some(token), at)
            .await
            .map_err(|e| e.long_message)?;
    }
    // This machine's speed drifts (a shared VM), so the measurement runs in rounds, each with a
    // reference measured right beside it: one trivial row fetched through the sqlx pool (the
    // cost auth() paid on SQLite before it got its own connections).
    let mut picker = Picker(0x2545_f491);
    let mut round_p50s = Vec::new();
    let mut round_p99s = Vec::new();
    let mut cached_p50s = Vec::new();
    for round in 1..=ROUNDS {
        let mut samples = Vec::with_capacity(LOOKUPS / ROUNDS);
        let mut cached = Vec::with_capacity(LOOKUPS / ROUNDS);
        for _ in 0..LOOKUPS / ROUNDS {
            at += 1;
            let token = &population.tokens[picker.below(SESSIONS)];
            let started = Instant::now();
            let resolved = session::resolve(store.as_ref(), config, Some(token), at)
                .await
                .map_err(|e| e.long_message)?;
            samples.push(started.elapsed());
            let started = Instant::now();
            let again = session::resolve(store.as_ref(), config, Some(token), at)
                .await
                .map_err(|e| e.long_message)?;
            cached.push(started.elapsed());
            if resolved.snapshot.session_id.is_none() || again.snapshot != resolved.snapshot {
                return Err("a session failed to resolve".into());
            }
        }
        let mut reference = Vec::with_capacity(2_000);
        for _ in 0..2_000 {
            let started = Instant::now();
            db.select_one().await?;
            reference.push(started.elapsed());
        }
        samples.sort();
        cached.sort();
        reference.sort();
        let p50 = percentile(&samples, 0.50);
        round_p50s.push(p50);
        round_p99s.push(percentile(&samples, 0.99));
        cached_p50s.push(percentile(&cached, 0.50));
        println!(
            "[{name}] round {round}: auth() p50 {:.1} µs, p99 {:.1} µs; from the cache p50 {:.1} µs, p99 {:.1} µs; reference (sqlx SELECT 1) p50 {:.1} µs",
            micros(p50),
            micros(percentile(&samples, 0.99)),
            micros(percentile(&cached, 0.50)),
            micros(percentile(&cached, 0.99)),
            micros(percentile(&reference, 0.50)),
        );
    }
    round_p50s.sort();
    round_p99s.sort();
    cached_p50s.sort();
    println!(
        "[{name}] auth() resolution, {SESSIONS} sessions, {LOOKUPS} lookups in {ROUNDS} rounds, each missing the cache: p50 median of rounds {:.1} µs (best round {:.1} µs), p99 median of rounds {:.1} µs; from the cache p50 {:.1} µs",
        micros(percentile(&round_p50s, 0.5)),
        micros(round_p50s[0]),
        micros(percentile(&round_p99s, 0.5)),
        micros(percentile(&cached_p50s, 0.5)),
    );
    Ok(at)
}

/// The medians of the rounds' p50s and of their p99s, in µs.
fn summary(rounds: &[(Duration, Duration)]) -> (f64, f64) {
    let mut p50s: Vec<Duration> = rounds.iter().map(|r| r.0).collect();
    let mut p99s: Vec<Duration> = rounds.iter().map(|r| r.1).collect();
    p50s.sort();
    p99s.sort();
    (
        micros(percentile(&p50s, 0.5)),
        micros(percentile(&p99s, 0.5)),
    )
}

/// How `auth()` and a password sign-in cost as the sessions table grows: at each size, filler
/// sessions are added by set-based SQL, then lookups pick sessions uniformly over the whole
/// table (the store's `resolve_client`, each at a `now` of its own: the query, no cache) and
/// sign-ins pick users among the ones made through the ports: each signs out of its browser
/// (not timed), then signs in again with its password (timed: `sign_in::password` and
/// `sign_in::finalize` — the lockout slot, the user's lookup, the attempt, the session — with
/// argon2 at its smallest parameters). Returns the `now` it got to.
async fn growth(
    db: &Db,
    population: &mut Population,
    sizes: &[usize],
    dir: &std::path::Path,
    mut at: i64,
) -> Result<i64, String> {
    let name = db.name();
    let outbox = dir.join(format!("outbox-{name}")).display().to_string();
    let config = Config::from_sources(None, &[("GATEHOUSE_EMAIL__OUTBOX_DIR".to_string(), outbox)])
        .map_err(|e| e.to_string())?;
    let gatehouse = Gatehouse {
        hasher: PasswordHasher::new(1),
        mailer: Arc::new(gatehouse::mail::Mailer::from_config(&config.email)?),
        store: db.storage(),
        providers: Arc::new(gatehouse::oidc::OidcProviders::new(&config.sso)?),
        config: Arc::new(config),
    };
    let store = gatehouse.store.clone();
    let mut filled = SESSIONS;
    let mut picker = Picker(0x9e37_79b9);
    for &size in sizes {
        if size > filled {
            let started = Instant::now();
            db.fill((filled - SESSIONS + 1) as u64, (size - SESSIONS) as u64, at)
                .await?;
            let fill_time = started.elapsed();
            db.settle().await?;
            println!(
                "[{name}] filled {} sessions in {:.1} s (and settled in {:.1} s)",
                size - filled,
                fill_time.as_secs_f64(),
                (started.elapsed() - fill_time).as_secs_f64()
            );
            filled = size;
        }
        let hash_of = |index: usize, population: &Population| match index.checked_sub(SESSIONS) {
            None => population.tokens[index].hash(),
            Some(filler) => filler_hash(filler as u64 + 1),
        };
        // Warm-up: the connections, the statements, the pages just written.
        for _ in 0..2_000 {
            at += 1;
            let hash = hash_of(picker.below(size), population);
            store
                .resolve_client(&hash, at)
                .await
                .map_err(|e| e.long_message)?;
        }
        let mut lookups = Vec::new();
        for _ in 0..GROWTH_ROUNDS {
            let mut samples = Vec::with_capacity(GROWTH_LOOKUPS);
            for _ in 0..GROWTH_LOOKUPS {
                at += 1;
                let hash = hash_of(picker.below(size), population);
                let started = Instant::now();
                let row = store
                    .resolve_client(&hash, at)
                    .await
                    .map_err(|e| e.long_message)?;
                samples.push(started.elapsed());
                if row.and_then(|row| row.session).is_none() {
                    return Err(format!("[{name}] a session of {size} failed to resolve"));
                }
            }
            samples.sort();
            lookups.push((percentile(&samples, 0.5), percentile(&samples, 0.99)));
        }
        let mut sign_ins = Vec::new();
        for _ in 0..GROWTH_ROUNDS {
            let mut samples = Vec::with_capacity(GROWTH_SIGN_INS);
            for _ in 0..GROWTH_SIGN_INS {
                at += 1;
                let k = picker.below(SESSIONS);
                let client_id = &population.clients[k];
                store
                    .end_client_sessions(client_id, at)
                    .await
                    .map_err(|e| e.long_message)?;
                let started = Instant::now();
                let view = sign_in::password(
                    &gatehouse,
                    client_id,
                    &population.emails[k],
                    Secret::new(PASSWORD.to_string()),
                    at,
                )
                .await
                .map_err(|e| e.long_message)?;
                if view.status != SignInStatus::Complete {
                    return Err(format!("[{name}] sign-in ended {:?}", view.status));
                }
                let outcome = sign_in::finalize(&gatehouse, client_id, None, at)
                    .await
                    .map_err(|e| e.long_message)?;
                samples.push(started.elapsed());
                population.tokens[k] = outcome.cookie.ok_or("a sign-in set no cookie")?;
            }
            samples.sort();
            sign_ins.push((percentile(&samples, 0.5), percentile(&samples, 0.99)));
        }
        let (lookup_p50, lookup_p99) = summary(&lookups);
        let (sign_in_p50, sign_in_p99) = summary(&sign_ins);
        println!(
            "[{name}] {size} sessions ({:.0} MB): auth() query p50 {lookup_p50:.1} µs, p99 {lookup_p99:.1} µs; password sign-in (database part) p50 {sign_in_p50:.0} µs, p99 {sign_in_p99:.0} µs",
            db.megabytes().await?,
        );
    }
    // The argon2 verify inside each sign-in figure, at the bench users' parameters.
    let hash = cheap_hash()?;
    let mut verifies = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        gatehouse
            .hasher
            .verify(PASSWORD.into(), Some(hash.clone()))
            .await
            .map_err(|e| e.long_message)?;
        verifies.push(started.elapsed());
    }
    verifies.sort();
    println!(
        "[{name}] of each sign-in, argon2id verify at m=8 KiB, t=1, p=1: median {:.1} µs",
        micros(percentile(&verifies, 0.5))
    );
    Ok(at)
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> Result<String, String> {
    let (scheme, rest) = url.split_once("://").ok_or("not a URL")?;
    let (authority, query) = match rest.split_once('?') {
        Some((before, query)) => (before, format!("?{query}")),
        None => (rest, String::new()),
    };
    let host = authority.split('/').next().unwrap_or(authority);
    Ok(format!("{scheme}://{host}/{database}{query}"))
}

/// The growth table's sizes: `BENCH_SIZES` (comma-separated, or `none`).
fn sizes() -> Result<Vec<usize>, String> {
    let text = std::env::var("BENCH_SIZES").unwrap_or_else(|_| "10000,100000,1000000".to_string());
    if text.trim() == "none" {
        return Ok(Vec::new());
    }
    let mut sizes = Vec::new();
    for size in text.split(',') {
        let size: usize = size.trim().parse().map_err(|e| format!("{size}: {e}"))?;
        if size < SESSIONS || sizes.last().is_some_and(|&last| size < last) {
            return Err(format!("BENCH_SIZES: ascending, each at least {SESSIONS}"));
        }
        sizes.push(size);
    }
    Ok(sizes)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), String> {
    let sizes = sizes()?;
    let dir = std::env::temp_dir().join(format!("gatehouse-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let config = Config::from_sources(None, &[]).map_err(|e| e.to_string())?;
    let now = gatehouse::domain::now();

    let mut stores = Vec::new();
    let sqlite_url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
    stores.push(Db::Sqlite(SqliteStore::open(&sqlite_url).await?));
    let server = std::env::var("BENCH_POSTGRES_URL").ok();
    let database = format!("gatehouse_bench_{}", std::process::id());
    if let Some(server) = &server {
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .map_err(|e| format!("BENCH_POSTGRES_URL: {e}"))?;
        sqlx::raw_sql(&format!("CREATE DATABASE {database}"))
            .execute(&mut admin)
            .await
            .map_err(|e| e.to_string())?;
        let url = with_database(server, &database)?;
        stores.push(Db::Postgres(PostgresStore::open(&url).await?));
    } else {
        println!("BENCH_POSTGRES_URL is not set: SQLite only");
    }

    let mut populations = Vec::new();
    for db in &stores {
        let started = Instant::now();
        populations.push(populate(db.storage().as_ref(), now).await?);
        println!(
            "[{}] {SESSIONS} users signed in through the ports in {:.1} s",
            db.name(),
            started.elapsed().as_secs_f64()
        );
    }
    let mut at = now;
    for (db, population) in stores.iter().zip(&populations) {
        at = resolution(db, population, &config, now).await?.max(at);
    }

    let hasher = PasswordHasher::new(1);
    let hash = hasher
        .hash("correct-horse-battery".into())
        .await
        .map_err(|e| e.long_message)?;
    let mut verifies = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        hasher
            .verify("correct-horse-battery".into(), Some(hash.clone()))
            .await
            .map_err(|e| e.long_message)?;
        verifies.push(started.elapsed());
    }
    verifies.sort();
    println!(
        "argon2id verify (m=19456 KiB, t=2, p=1): median {:.1} ms",
        percentile(&verifies, 0.5).as_secs_f64() * 1e3
    );

    for (db, population) in stores.iter().zip(&mut populations) {
        growth(db, population, &sizes, &dir, at).await?;
    }

    drop(stores);
    if let Some(server) = &server {
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::raw_sql(&format!("DROP DATABASE {database} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .map_err(|e| e.to_string())?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
