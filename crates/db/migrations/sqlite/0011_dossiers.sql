-- Administrative procedures and their dossiers (shared/spec/dossiers.md).
CREATE TABLE procedures (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    unit_code      TEXT NOT NULL REFERENCES units(code),
    limit_days     INTEGER NOT NULL,
    internal_days  INTEGER,
    online_level   TEXT,
    postal         INTEGER,
    updated_at     TEXT NOT NULL
);

-- Instants are local `YYYY-MM-DD HH:MM` text: they sort as they compare.
-- `status` is fixed once finished (early, on_time, late) or `pending`;
-- pending overdue depends on the clock and is found with `due_at`.
CREATE TABLE dossiers (
    unit_code       TEXT NOT NULL REFERENCES units(code),
    code            TEXT NOT NULL,
    procedure_code  TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    finished_at     TEXT,
    channel         TEXT NOT NULL,
    apology_at      TEXT,
    new_due_at      TEXT,
    status          TEXT NOT NULL,
    timely_apology  INTEGER NOT NULL,
    PRIMARY KEY (unit_code, code)
);
CREATE INDEX dossiers_unit_received ON dossiers (unit_code, received_at);
CREATE INDEX dossiers_received ON dossiers (received_at);
