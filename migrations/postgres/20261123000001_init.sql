-- Gatehouse schema, PostgreSQL dialect: the same versions as migrations/sqlite, the same tables
-- and columns. Timestamps are unix seconds in BIGINT (the domain's Timestamp), never timestamptz,
-- so both stores hold the same values; tokens and codes are stored only as SHA-256 (BYTEA).
-- SQLite orders ties by its implicit rowid; here a `seq` identity column plays that part where a
-- query needs an insertion order.

CREATE TABLE users (
    id                      TEXT PRIMARY KEY,
    first_name              TEXT,
    last_name               TEXT,
    password_hash           TEXT,
    password_reset_required BOOLEAN NOT NULL DEFAULT FALSE,
    second_factor_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);

CREATE TABLE email_addresses (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email       TEXT NOT NULL UNIQUE,           -- normalised (lowercase)
    verified    BOOLEAN NOT NULL DEFAULT FALSE,
    is_primary  BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX email_addresses_user ON email_addresses(user_id);

-- Lockout counters (password, codes, TOTP, backup codes).
CREATE TABLE lockouts (
    user_id         TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    updated_at      BIGINT NOT NULL
);

-- A browser: the cookie holds a random token, the table its SHA-256.
CREATE TABLE clients (
    id                  TEXT PRIMARY KEY,
    token_hash          BYTEA NOT NULL UNIQUE,
    current_session_id  TEXT,
    created_at          BIGINT NOT NULL,
    rotated_at          BIGINT NOT NULL
);

CREATE TABLE sessions (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    active_org_id    TEXT,
    first_factor_at  BIGINT,
    second_factor_at BIGINT,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    ended_at         BIGINT
);
CREATE INDEX sessions_client ON sessions(client_id);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE sign_up_attempts (
    id               TEXT PRIMARY KEY,
    seq              BIGINT GENERATED ALWAYS AS IDENTITY,
    client_id        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    first_name       TEXT,
    last_name        TEXT,
    status           TEXT NOT NULL,
    existing_user_id TEXT,          -- the email was taken: this attempt can never complete
    created_user_id  TEXT,          -- set by finalize
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    abandon_at       BIGINT NOT NULL
);
CREATE INDEX sign_up_attempts_client ON sign_up_attempts(client_id, created_at, seq);

CREATE TABLE sign_in_attempts (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    first_factor_at  BIGINT,
    second_factor_at BIGINT,
    finalized_at     BIGINT,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts(client_id, created_at);

-- Emailed codes, one live code per (attempt, purpose).
CREATE TABLE verification_codes (
    attempt_id      TEXT NOT NULL,
    purpose         TEXT NOT NULL,   -- sign_up_email | client_trust | reset_password
    code_hash       BYTEA NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    sent_at         BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    consumed        BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (attempt_id, purpose)
);
