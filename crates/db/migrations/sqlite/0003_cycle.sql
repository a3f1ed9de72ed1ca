-- The yearly cycle of a criteria set: its current phase, each phase's window, extensions
-- granted to units, submission, and the appraisal/explanation fields of every leaf.

CREATE TABLE cycles (
    set_id      TEXT PRIMARY KEY REFERENCES criteria_sets(id) ON DELETE CASCADE,
    phase       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);

CREATE TABLE phase_windows (
    set_id      TEXT NOT NULL REFERENCES criteria_sets(id) ON DELETE CASCADE,
    phase       TEXT NOT NULL,
    opens_on    TEXT,
    closes_on   TEXT,
    PRIMARY KEY (set_id, phase)
);

CREATE TABLE extensions (
    set_id      TEXT NOT NULL REFERENCES criteria_sets(id) ON DELETE CASCADE,
    unit_code   TEXT NOT NULL REFERENCES units(code),
    phase       TEXT NOT NULL,
    until_on    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    granted_by  TEXT NOT NULL,
    granted_at  TEXT NOT NULL,
    PRIMARY KEY (set_id, unit_code, phase)
);

ALTER TABLE assessments ADD COLUMN submitted_at TEXT;
ALTER TABLE assessments ADD COLUMN submitted_by TEXT;

ALTER TABLE leaf_scores ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE leaf_scores ADD COLUMN updated_by TEXT;
ALTER TABLE leaf_scores ADD COLUMN appraisal_reason TEXT;
ALTER TABLE leaf_scores ADD COLUMN explanation TEXT;
ALTER TABLE leaf_scores ADD COLUMN explanation_status TEXT;
ALTER TABLE leaf_scores ADD COLUMN explanation_answer TEXT;

-- Bumped by every change that can alter a set's pages (scores, phase): caches key on it.
ALTER TABLE criteria_sets ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;
