-- E-mail addresses for follow-up, and the in-app notifications (each sent once per
-- occurrence and kind, acknowledged by its reader).

ALTER TABLE users ADD COLUMN email TEXT;

CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    username         TEXT NOT NULL,
    occurrence_id    INTEGER NOT NULL REFERENCES occurrences(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    emailed_at       TEXT,
    acknowledged_at  TEXT,
    UNIQUE (username, occurrence_id, kind)
);
CREATE INDEX notifications_user ON notifications (username, created_at);
