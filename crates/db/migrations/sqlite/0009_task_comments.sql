-- Comments on tasks, and why a task was cancelled.
CREATE TABLE task_comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id     INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    author      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX task_comments_task ON task_comments (task_id, id);
ALTER TABLE tasks ADD COLUMN cancel_reason TEXT;
