-- Invitations to organizations: an address and a role, pending until accepted, revoked or
-- expired (`expires_at`; a pending invitation past it is expired, and becomes `expired` when the
-- address is invited again). The emailed link carries a ticket, stored only as SHA-256; a resend
-- replaces it. One pending invitation per address and organization, held by the unique index.
-- Not read by the auth resolution: no change notification.
CREATE TABLE organization_invitations (
    id               TEXT PRIMARY KEY,
    seq              BIGINT GENERATED ALWAYS AS IDENTITY,   -- SQLite's rowid: ties keep insertion order
    organization_id  TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email            TEXT NOT NULL,           -- normalised (lowercase)
    role             TEXT NOT NULL,
    status           TEXT NOT NULL,           -- pending | accepted | revoked | expired
    inviter_id       TEXT REFERENCES users(id) ON DELETE SET NULL,   -- NULL: the operator
    ticket_hash      BYTEA NOT NULL UNIQUE,
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    accepted_by      TEXT REFERENCES users(id) ON DELETE SET NULL,
    accepted_at      BIGINT,
    revoked_at       BIGINT
);
CREATE UNIQUE INDEX organization_invitations_pending
    ON organization_invitations(organization_id, email) WHERE status = 'pending';
CREATE INDEX organization_invitations_email ON organization_invitations(email) WHERE status = 'pending';
