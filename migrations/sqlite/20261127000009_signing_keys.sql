-- Session-token signing keys (RS256). The newest key that is not retired signs; a retired key is
-- still published in the JWKS until `publish_until`, so tokens it signed keep verifying.
CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    private_key   BLOB NOT NULL,     -- PKCS#1 DER
    modulus       TEXT NOT NULL,     -- base64url `n`
    exponent      TEXT NOT NULL,     -- base64url `e`
    created_at    INTEGER NOT NULL,
    retired_at    INTEGER,
    publish_until INTEGER
);
