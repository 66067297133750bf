-- Sign-in as a state machine, and limits that hold under parallel requests.

-- Lockout is counted per identifier (normalised email) whether or not an account exists, so a
-- lock reveals nothing. Every guess reserves its slot here atomically before it is evaluated.
DROP TABLE lockouts;
CREATE TABLE lockout_counters (
    identifier      TEXT PRIMARY KEY,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    updated_at      INTEGER NOT NULL
);

-- Per-IP rate limits (fixed windows), in the database so they hold across restarts.
CREATE TABLE rate_counters (
    key          TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL
);

-- Resends are capped per attempt; a resend never resets failed_attempts.
ALTER TABLE verification_codes ADD COLUMN resends INTEGER NOT NULL DEFAULT 0;

-- Attempts are short-lived (10 minutes): recreated in the new shape. `state` is the domain's
-- serialized `SignIn`; the store never interprets it. `version` makes every transition a
-- compare-and-swap; `code_tries` reserves second-factor guesses atomically.
DROP TABLE sign_in_attempts;
CREATE TABLE sign_in_attempts (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    state        TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 0,
    code_tries   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    finalized_at INTEGER
);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts(client_id, created_at);

-- Backup codes of a just-finished MFA enrolment, kept (at most 10 minutes) until the user
-- confirms they saved them, so a plain form post can show them on the page it lands on.
CREATE TABLE backup_code_reveals (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    codes      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
