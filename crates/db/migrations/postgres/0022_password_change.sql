-- An account whose password was set by someone else (the demo's published password): its
-- owner must choose a new one at the first sign-in on a real server.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
