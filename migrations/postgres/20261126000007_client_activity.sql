-- What the account page's "Active devices" shows for a browser: its user agent, IP address and
-- when it was last active (recorded at most once a minute, not on every request).
ALTER TABLE clients ADD COLUMN user_agent TEXT;
ALTER TABLE clients ADD COLUMN ip_address TEXT;
ALTER TABLE clients ADD COLUMN last_active_at BIGINT;
