-- An account whose password was set by someone else (the demo's published password): its
-- owner must choose a new one at the first sign-in on a real server.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- Sign-in attempts are counted before the password is checked; the window's old rows are
-- removed on every attempt, by time.
CREATE INDEX login_failures_at ON login_failures (happened_at);
