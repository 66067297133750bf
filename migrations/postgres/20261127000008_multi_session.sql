-- Multi-session: a client holds several live sessions; when its current one signs out, the
-- session it used most recently before becomes current.
ALTER TABLE sessions ADD COLUMN activated_at BIGINT;
UPDATE sessions SET activated_at = created_at;
-- The per-request auth query reads a client's live sessions: only those are indexed.
CREATE INDEX sessions_client_live ON sessions(client_id, activated_at) WHERE ended_at IS NULL;
