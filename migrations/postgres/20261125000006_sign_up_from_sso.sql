-- A sign-up can continue an SSO transfer whose provider email is unverified or missing: it has no
-- password, and carries the provider's identity (jsonb), linked to the user it creates.
ALTER TABLE sign_up_attempts ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE sign_up_attempts ADD COLUMN external_identity JSONB;
