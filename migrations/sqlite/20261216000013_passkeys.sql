-- Passkeys (WebAuthn discoverable credentials, SPEC §2.11) and the server-side state of their
-- ceremonies. `passkey` is webauthn-rs' serialized credential (public key, counter, flags);
-- `counter` repeats its signature counter so a use is recorded only when it moves forward.
-- `user_handle` is the WebAuthn user handle: a random id of the user's own (never the email or
-- the user id), the same for all of a user's passkeys.
CREATE TABLE passkeys (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id  TEXT NOT NULL UNIQUE,      -- base64url
    user_handle    TEXT NOT NULL,             -- UUID
    name           TEXT NOT NULL,
    passkey        TEXT NOT NULL,             -- JSON
    counter        INTEGER NOT NULL DEFAULT 0,
    flagged_at     INTEGER,                   -- the counter went backwards: refused from then on
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER
);
CREATE INDEX passkeys_user ON passkeys(user_id);

-- A ceremony's state (webauthn-rs' registration or authentication state, JSON), kept on the
-- server and taken once: bound to the browser (client) and to its kind, 5 minutes.
CREATE TABLE passkey_ceremonies (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,                -- registration | authentication
    user_id     TEXT REFERENCES users(id) ON DELETE CASCADE,
    state       TEXT NOT NULL,                -- JSON
    expires_at  INTEGER NOT NULL
);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies(expires_at);
