-- Session-token signing keys (RS256). The newest key that is not retired signs; a retired key is
-- still published in the JWKS until `publish_until`, so tokens it signed keep verifying.
CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    private_key   BYTEA NOT NULL,    -- PKCS#1 DER
    modulus       TEXT NOT NULL,     -- base64url `n`
    exponent      TEXT NOT NULL,     -- base64url `e`
    created_at    BIGINT NOT NULL,
    retired_at    BIGINT,
    publish_until BIGINT
);
-- At most one key signs: two instances making the first key at once (or rotating at once) cannot
-- both succeed. (SQLite serializes its writers, so it needs no such index.)
CREATE UNIQUE INDEX signing_keys_one_signing ON signing_keys ((retired_at IS NULL))
    WHERE retired_at IS NULL;
