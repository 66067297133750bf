-- SSO: identities at OpenID providers linked to users. One identity belongs to one user.
CREATE TABLE external_accounts (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider    TEXT NOT NULL,      -- the connection's key
    subject     TEXT NOT NULL,      -- the provider's `sub`
    email       TEXT,               -- as the provider gave it when linked
    created_at  BIGINT NOT NULL,
    UNIQUE (provider, subject)
);
CREATE INDEX external_accounts_user ON external_accounts(user_id);
