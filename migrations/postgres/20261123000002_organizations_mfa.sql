-- Organizations with roles, and the second factor (TOTP + backup codes).

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    created_by  TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE memberships (
    id               TEXT PRIMARY KEY,
    seq              BIGINT GENERATED ALWAYS AS IDENTITY,   -- SQLite's rowid: ties keep insertion order
    organization_id  TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (organization_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id, created_at, seq);

-- One TOTP factor per user; `verified` once enrolment succeeded. The secret never leaves the
-- server after enrolment.
CREATE TABLE totp_factors (
    user_id         TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret          TEXT NOT NULL,
    verified        BOOLEAN NOT NULL DEFAULT FALSE,
    last_used_step  BIGINT,
    created_at      BIGINT NOT NULL
);

CREATE TABLE backup_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL,
    used_at    BIGINT
);
CREATE INDEX backup_codes_user ON backup_codes(user_id);

-- New sessions start in the organization the user last had active (as Clerk does).
ALTER TABLE users ADD COLUMN last_active_org_id TEXT;
