//! Password rules and hashing: argon2id (m=19456 KiB, t=2, p=1) on a bounded pool of dedicated
//! threads, never on the async runtime.

use std::sync::{Arc, Mutex};

use argon2::{
    password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString},
    Algorithm, Argon2, Block, Params, Version, ARGON2ID_IDENT,
};
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot};

use super::secret::Secret;
use crate::model::{
    limits::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS},
    AuthError,
};

/// Common passwords rejected offline (a small built-in list; no network lookups).
const COMPROMISED: &str = include_str!("compromised_passwords.txt");

/// Checks a new password against the length rules and, when asked, the compromised list.
pub fn validate_new_password(password: &str, reject_compromised: bool) -> Result<(), AuthError> {
    let chars = password.chars().count();
    if chars == 0 {
        return Err(AuthError::param_missing("password"));
    }
    if chars < PASSWORD_MIN_CHARS {
        return Err(AuthError::password_too_short());
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(AuthError::password_too_long());
    }
    if reject_compromised && is_compromised(password) {
        return Err(AuthError::password_pwned());
    }
    Ok(())
}

/// Whether the password is in the built-in compromised list (case-insensitive).
pub fn is_compromised(password: &str) -> bool {
    let lower = password.to_lowercase();
    COMPROMISED
        .lines()
        .map(str::trim)
        .any(|line| !line.is_empty() && !line.starts_with('#') && line == lower)
}

/// Upper bound on a stored hash's memory cost we agree to run (KiB): hashes are ours, but never
/// let a corrupted row allocate gigabytes.
const MAX_MEMORY_KIB: u32 = 262_144;

fn params() -> Result<Params, argon2::Error> {
    Params::new(19_456, 2, 1, Some(32))
}

/// Runs argon2id into `out`, reusing `memory` (grown once per thread, never freed), so hashing
/// costs no allocation and a worker's memory stays at one block buffer.
fn run(
    memory: &mut Vec<Block>,
    params: &Params,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    let blocks = memory
        .get_mut(..needed)
        .ok_or(argon2::Error::MemoryTooLittle)?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        out,
        blocks,
    )
}

fn hash_with(memory: &mut Vec<Block>, password: &str) -> Result<String, String> {
    let params = params().map_err(|e| e.to_string())?;
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(|e| e.to_string())?;
    let mut out = [0u8; 32];
    run(memory, &params, password, salt_bytes, &mut out).map_err(|e| e.to_string())?;
    let output = Output::new(&out).map_err(|e| e.to_string())?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${output}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str()
    ))
}

fn verify_with(memory: &mut Vec<Block>, password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    if parsed.algorithm != ARGON2ID_IDENT || parsed.version.is_some_and(|v| v != 0x13) {
        return false;
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    if params.m_cost() > MAX_MEMORY_KIB {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    run(memory, &params, password, salt_bytes, &mut out).is_ok()
        && bool::from(expected.as_bytes().ct_eq(&out))
}

/// One hashing thread's state: its block buffer and its dummy hash (verified against for
/// unknown users, so an unknown email costs the same time as a wrong password).
struct Worker {
    memory: Vec<Block>,
    dummy_hash: Option<String>,
}

impl Worker {
    fn hash(&mut self, password: &str) -> Result<String, String> {
        hash_with(&mut self.memory, password)
    }

    fn verify(&mut self, password: &str, hash: Option<&str>) -> bool {
        match hash {
            Some(hash) => verify_with(&mut self.memory, password, hash),
            None => {
                if self.dummy_hash.is_none() {
                    self.dummy_hash = hash_with(
                        &mut self.memory,
                        super::tokens::SecretToken::generate().expose(),
                    )
                    .ok();
                }
                if let Some(dummy) = self.dummy_hash.clone() {
                    verify_with(&mut self.memory, password, &dummy);
                }
                false
            }
        }
    }
}

enum Job {
    Hash(Secret<String>, oneshot::Sender<Result<String, String>>),
    Verify(
        Secret<String>,
        Option<Secret<String>>,
        oneshot::Sender<bool>,
    ),
}

/// Hashes and verifies passwords on a fixed set of `concurrency` dedicated threads, never on the
/// async runtime. A fixed set (rather than tokio's growing blocking pool) bounds memory: each
/// thread owns one 19 MiB block buffer, reused for every hash.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: mpsc::Sender<Job>,
    /// Verifications run so far (operators' metrics; tests count evaluated guesses with it).
    verifications: Arc<std::sync::atomic::AtomicU64>,
}

impl PasswordHasher {
    /// Starts `concurrency` hashing threads (at least one).
    pub fn new(concurrency: usize) -> Self {
        let (jobs, receiver) = mpsc::channel::<Job>(256);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..concurrency.max(1) {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("gatehouse-argon2-{index}"))
                .spawn(move || run_worker(&receiver));
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password hashing thread");
            }
        }
        Self {
            jobs,
            verifications: Arc::default(),
        }
    }

    /// How many password verifications have run since start.
    pub fn verifications(&self) -> u64 {
        self.verifications
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn submit<T>(&self, job: impl FnOnce(oneshot::Sender<T>) -> Job) -> Result<T, AuthError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(job(reply))
            .await
            .map_err(|e| super::internal("password threads stopped", e))?;
        answer
            .await
            .map_err(|e| super::internal("password thread dropped a job", e))
    }

    /// Hashes a password (PHC string).
    pub async fn hash(&self, password: Secret<String>) -> Result<Secret<String>, AuthError> {
        self.submit(|reply| Job::Hash(password, reply))
            .await?
            .map(Secret::new)
            .map_err(|e| super::internal("password hash failed", e))
    }

    /// Verifies a password; with no hash (unknown user) it verifies against a dummy hash and
    /// returns false, taking the same time.
    pub async fn verify(
        &self,
        password: Secret<String>,
        hash: Option<Secret<String>>,
    ) -> Result<bool, AuthError> {
        self.verifications
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.submit(|reply| Job::Verify(password, hash, reply))
            .await
    }
}

fn run_worker(receiver: &Mutex<mpsc::Receiver<Job>>) {
    let mut worker = Worker {
        memory: Vec::new(),
        dummy_hash: None,
    };
    loop {
        // Hold the lock only while taking a job, so the other threads keep working.
        let job = match receiver.lock() {
            Ok(mut jobs) => jobs.blocking_recv(),
            Err(_) => return,
        };
        match job {
            Some(Job::Hash(password, reply)) => {
                let _ = reply.send(worker.hash(password.expose()));
            }
            Some(Job::Verify(password, hash, reply)) => {
                let _ = reply.send(worker.verify(
                    password.expose(),
                    hash.as_ref().map(|hash| hash.expose().as_str()),
                ));
            }
            None => return,
        }
    }
}
