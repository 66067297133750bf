-- Gatehouse schema. Timestamps are unix seconds; tokens and codes are stored only as SHA-256.

CREATE TABLE users (
    id                      TEXT PRIMARY KEY,
    first_name              TEXT,
    last_name               TEXT,
    password_hash           TEXT,
    password_reset_required INTEGER NOT NULL DEFAULT 0,
    second_factor_enabled   INTEGER NOT NULL DEFAULT 0,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);

CREATE TABLE email_addresses (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email       TEXT NOT NULL UNIQUE,           -- normalised (lowercase)
    verified    INTEGER NOT NULL DEFAULT 0,
    is_primary  INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);
CREATE INDEX email_addresses_user ON email_addresses(user_id);

-- Lockout counters (password, codes, TOTP, backup codes).
CREATE TABLE lockouts (
    user_id         TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    updated_at      INTEGER NOT NULL
);

-- A browser: the cookie holds a random token, the table its SHA-256.
CREATE TABLE clients (
    id                  TEXT PRIMARY KEY,
    token_hash          BLOB NOT NULL UNIQUE,
    current_session_id  TEXT,
    created_at          INTEGER NOT NULL,
    rotated_at          INTEGER NOT NULL
);

CREATE TABLE sessions (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    active_org_id    TEXT,
    first_factor_at  INTEGER,
    second_factor_at INTEGER,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    ended_at         INTEGER
);
CREATE INDEX sessions_client ON sessions(client_id);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE sign_up_attempts (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    first_name       TEXT,
    last_name        TEXT,
    status           TEXT NOT NULL,
    existing_user_id TEXT,          -- the email was taken: this attempt can never complete
    created_user_id  TEXT,          -- set by finalize
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    abandon_at       INTEGER NOT NULL
);
CREATE INDEX sign_up_attempts_client ON sign_up_attempts(client_id, created_at);

CREATE TABLE sign_in_attempts (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    first_factor_at  INTEGER,
    second_factor_at INTEGER,
    finalized_at     INTEGER,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts(client_id, created_at);

-- Emailed codes, one live code per (attempt, purpose).
CREATE TABLE verification_codes (
    attempt_id      TEXT NOT NULL,
    purpose         TEXT NOT NULL,   -- sign_up_email | client_trust | reset_password
    code_hash       BLOB NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    sent_at         INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    consumed        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (attempt_id, purpose)
);
