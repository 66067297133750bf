-- A sign-up can continue an SSO transfer whose provider email is unverified or missing: it has no
-- password, and carries the provider's identity (JSON), linked to the user it creates.
CREATE TABLE sign_up_attempts_next (
    id                TEXT PRIMARY KEY,
    client_id         TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    email             TEXT NOT NULL,
    password_hash     TEXT,
    first_name        TEXT,
    last_name         TEXT,
    state             TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 0,
    existing_user_id  TEXT,          -- the email was taken: this attempt can never create a user
    external_identity TEXT,          -- the SSO identity to link, when the sign-up continues one
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    abandon_at        INTEGER NOT NULL
);
INSERT INTO sign_up_attempts_next
    (id, client_id, email, password_hash, first_name, last_name, state, version, existing_user_id,
     created_at, updated_at, abandon_at)
SELECT id, client_id, email, password_hash, first_name, last_name, state, version,
       existing_user_id, created_at, updated_at, abandon_at
FROM sign_up_attempts;
DROP TABLE sign_up_attempts;
ALTER TABLE sign_up_attempts_next RENAME TO sign_up_attempts;
CREATE INDEX sign_up_attempts_client ON sign_up_attempts(client_id, created_at);
