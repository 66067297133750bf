-- Verified domains of organizations (Clerk's enrollment modes) and membership requests.
-- A domain is verified by a code emailed to an address at it (`affiliation_email`, the code in
-- `verification_codes` under the domain's id) or by the operator. Its enrollment mode says what
-- users with a verified address there get: nothing (`manual_invitation`), a pending invitation
-- (`automatic_invitation`) or a suggestion (`automatic_suggestion`), whose "Request to join"
-- makes a membership request an admin approves or rejects.
CREATE TABLE organization_domains (
    id                 TEXT PRIMARY KEY,
    organization_id    TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,          -- lowercase
    enrollment_mode    TEXT NOT NULL,          -- manual_invitation | automatic_invitation | automatic_suggestion
    affiliation_email  TEXT,
    verified_at        INTEGER,
    created_at         INTEGER NOT NULL,
    UNIQUE (organization_id, name)
);
CREATE INDEX organization_domains_name ON organization_domains(name) WHERE verified_at IS NOT NULL;

-- One pending request per user and organization, held by the unique index.
CREATE TABLE organization_membership_requests (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status           TEXT NOT NULL,            -- pending | accepted | rejected
    created_at       INTEGER NOT NULL,
    decided_at       INTEGER
);
CREATE UNIQUE INDEX organization_membership_requests_pending
    ON organization_membership_requests(organization_id, user_id) WHERE status = 'pending';
CREATE INDEX organization_membership_requests_user ON organization_membership_requests(user_id);
