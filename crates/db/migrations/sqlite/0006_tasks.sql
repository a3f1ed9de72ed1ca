-- Directives read into rectification tasks; each task's dated occurrences with their
-- progress reports; missed deadlines become violations against the division and person.

CREATE TABLE directives (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_code    TEXT NOT NULL REFERENCES units(code),
    doc_type     TEXT,
    doc_number   INTEGER,
    symbol       TEXT,
    doc_date     TEXT,
    subject      TEXT,
    signer       TEXT,
    source_text  TEXT NOT NULL,
    file_name    TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE tasks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_code     TEXT NOT NULL REFERENCES units(code),
    directive_id  INTEGER REFERENCES directives(id) ON DELETE SET NULL,
    item_ref      TEXT,
    source_line   INTEGER,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    responsible   TEXT,
    repeat_kind   TEXT NOT NULL,
    repeat_a      INTEGER,
    repeat_b      INTEGER,
    start_on      TEXT NOT NULL,
    end_on        TEXT NOT NULL,
    criteria      TEXT NOT NULL DEFAULT '',
    refs          TEXT NOT NULL DEFAULT '',
    cancelled     INTEGER NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX tasks_unit ON tasks (unit_code);

CREATE TABLE task_units (
    task_id    INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    unit_code  TEXT NOT NULL,
    role       TEXT NOT NULL,
    PRIMARY KEY (task_id, unit_code)
);

CREATE TABLE occurrences (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id      INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    due_on       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open',
    report       TEXT,
    evidence_id  INTEGER REFERENCES evidence(id),
    done_at      TEXT,
    done_by      TEXT,
    UNIQUE (task_id, due_on)
);
CREATE INDEX occurrences_due ON occurrences (due_on, status);

CREATE TABLE violations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    occurrence_id  INTEGER NOT NULL UNIQUE REFERENCES occurrences(id) ON DELETE CASCADE,
    unit_code      TEXT NOT NULL,
    person         TEXT,
    due_on         TEXT NOT NULL,
    detected_on    TEXT NOT NULL,
    reason         TEXT,
    excused        INTEGER NOT NULL DEFAULT 0,
    decided_by     TEXT
);
