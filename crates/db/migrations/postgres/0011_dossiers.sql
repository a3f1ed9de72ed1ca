-- Administrative procedures and their dossiers (shared/spec/dossiers.md).
CREATE TABLE procedures (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    unit_code      TEXT NOT NULL REFERENCES units(code),
    limit_days     BIGINT NOT NULL,
    internal_days  BIGINT,
    online_level   TEXT,
    postal         BOOLEAN,
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
    timely_apology  BOOLEAN NOT NULL,
    PRIMARY KEY (unit_code, code)
);
CREATE INDEX dossiers_unit_received ON dossiers (unit_code, received_at);

-- Per unit, procedure and day of receipt: the figures that do not depend on the clock,
-- kept up to date by every import so that `dossiers stats` reads sums, not dossiers.
-- Pending dossiers (few) are read from `dossiers` through the partial index below.
CREATE TABLE dossier_rollups (
    unit_code       TEXT NOT NULL,
    procedure_code  TEXT NOT NULL,
    day             TEXT NOT NULL,
    received        BIGINT NOT NULL,
    finished        BIGINT NOT NULL,
    early           BIGINT NOT NULL,
    on_time         BIGINT NOT NULL,
    late            BIGINT NOT NULL,
    late_no_apology BIGINT NOT NULL,
    online          BIGINT NOT NULL,
    postal          BIGINT NOT NULL,
    PRIMARY KEY (unit_code, day, procedure_code)
);
CREATE INDEX dossier_rollups_day ON dossier_rollups (day);
CREATE INDEX dossiers_pending ON dossiers (unit_code, received_at) WHERE status = 'pending';
