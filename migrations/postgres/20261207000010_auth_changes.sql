-- Every instance caches the auth resolution for a browser within one second. These triggers tell
-- them (LISTEN gatehouse_auth) when any connection commits a change to what it reads: a
-- client's current session or token, sessions, users, email addresses, organizations and
-- memberships. A notification is sent at commit, once per transaction; a client's recorded
-- activity (last_active_at, user agent, address) and a new browser's row change no cached
-- answer, so they notify nobody.
CREATE FUNCTION gatehouse_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gatehouse_auth', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER clients_auth_changed
    AFTER UPDATE OF current_session_id, token_hash OR DELETE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_auth_changed();
CREATE TRIGGER sessions_auth_changed
    AFTER INSERT OR UPDATE OR DELETE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_auth_changed();
CREATE TRIGGER users_auth_changed
    AFTER UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_auth_changed();
CREATE TRIGGER email_addresses_auth_changed
    AFTER INSERT OR UPDATE OR DELETE ON email_addresses
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_auth_changed();
CREATE TRIGGER organizations_auth_changed
    AFTER UPDATE OR DELETE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_auth_changed();
CREATE TRIGGER memberships_auth_changed
    AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_auth_changed();
