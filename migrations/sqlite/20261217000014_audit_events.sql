-- Security activity (the audit log): one row per security event, never a secret. Kept
-- `audit.retention_days` (90 by default), then pruned with the counters. No foreign keys: an
-- event outlives the session, browser, organization or even the account it names (the operator
-- reads what a deleted account did).
CREATE TABLE audit_events (
    id               TEXT PRIMARY KEY,
    at               INTEGER NOT NULL,
    kind             TEXT NOT NULL,           -- sign_in, password_changed, passkey_added, …
    outcome          TEXT NOT NULL,           -- succeeded | failed
    user_id          TEXT,
    email            TEXT,
    session_id       TEXT,
    client_id        TEXT,
    ip_address       TEXT,
    browser          TEXT,                    -- "Chrome on Linux"
    organization_id  TEXT,
    detail           TEXT                     -- the factor, the role, the operator's command
);
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_user ON audit_events(user_id, at);
CREATE INDEX audit_events_email ON audit_events(email, at);
CREATE INDEX audit_events_organization ON audit_events(organization_id, at);
