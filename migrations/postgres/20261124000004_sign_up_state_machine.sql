-- Sign-up as a state machine, like sign-in: `state` is the domain's serialized `SignUp` (jsonb),
-- never interpreted by SQL; `version` makes every transition a compare-and-swap. Attempts in
-- progress keep their place (converted as the SQLite migration converts them).
ALTER TABLE sign_up_attempts ADD COLUMN state JSONB;
ALTER TABLE sign_up_attempts ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
UPDATE sign_up_attempts SET state = CASE
    WHEN created_user_id IS NOT NULL
        THEN jsonb_build_object('state', 'user_created', 'user_id', created_user_id,
                                'email_verified_at', updated_at)
    WHEN status = 'complete'
        THEN jsonb_build_object('state', 'complete', 'email_verified_at', updated_at)
    ELSE jsonb_build_object('state', 'needs_email_code')
END;
ALTER TABLE sign_up_attempts ALTER COLUMN state SET NOT NULL;
ALTER TABLE sign_up_attempts DROP COLUMN status;
ALTER TABLE sign_up_attempts DROP COLUMN created_user_id;
