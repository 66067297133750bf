-- Sign-up as a state machine, like sign-in: `state` is the domain's serialized `SignUp`, never
-- interpreted by SQL; `version` makes every transition a compare-and-swap. Attempts in progress
-- keep their place.
CREATE TABLE sign_up_attempts_next (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    first_name       TEXT,
    last_name        TEXT,
    state            TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 0,
    existing_user_id TEXT,          -- the email was taken: this attempt can never create a user
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    abandon_at       INTEGER NOT NULL
);
INSERT INTO sign_up_attempts_next
    (id, client_id, email, password_hash, first_name, last_name, state, version, existing_user_id,
     created_at, updated_at, abandon_at)
SELECT id, client_id, email, password_hash, first_name, last_name,
       CASE
           WHEN created_user_id IS NOT NULL
               THEN json_object('state', 'user_created', 'user_id', created_user_id,
                                'email_verified_at', updated_at)
           WHEN status = 'complete'
               THEN json_object('state', 'complete', 'email_verified_at', updated_at)
           ELSE json_object('state', 'needs_email_code')
       END,
       0, existing_user_id, created_at, updated_at, abandon_at
FROM sign_up_attempts;
DROP TABLE sign_up_attempts;
ALTER TABLE sign_up_attempts_next RENAME TO sign_up_attempts;
CREATE INDEX sign_up_attempts_client ON sign_up_attempts(client_id, created_at);
