-- Index engine: criteria sets, units with history, assessments and per-leaf layers.
-- Points are integer thousandths (never REAL/NUMERIC). Timestamps are RFC 3339 text.

CREATE TABLE criteria_sets (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    year         INTEGER NOT NULL,
    level        TEXT NOT NULL,
    legal_basis  TEXT,
    decimals     INTEGER NOT NULL,
    total_max    INTEGER NOT NULL,
    source_yaml  TEXT NOT NULL,
    revision     INTEGER NOT NULL DEFAULT 1,
    imported_at  TEXT NOT NULL
);

CREATE TABLE criteria_nodes (
    set_id       TEXT NOT NULL REFERENCES criteria_sets(id) ON DELETE CASCADE,
    code         TEXT NOT NULL,
    ord          INTEGER NOT NULL,
    parent_code  TEXT,
    name         TEXT NOT NULL,
    max_points   INTEGER NOT NULL,
    rule_kind    TEXT,
    owner        TEXT,
    search_text  TEXT NOT NULL,
    PRIMARY KEY (set_id, code)
);

CREATE TABLE units (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    parent_code  TEXT,
    kind         TEXT,
    grp          TEXT,
    valid_from   TEXT,
    valid_to     TEXT,
    merged_into  TEXT,
    search_text  TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- Former names of a unit, so that history keeps the name it had.
CREATE TABLE unit_names (
    unit_code    TEXT NOT NULL,
    name         TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    PRIMARY KEY (unit_code, valid_until)
);

CREATE TABLE assessments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    set_id       TEXT NOT NULL REFERENCES criteria_sets(id) ON DELETE CASCADE,
    unit_code    TEXT NOT NULL REFERENCES units(code),
    unit_name    TEXT NOT NULL,
    grp          TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (set_id, unit_code)
);

CREATE TABLE leaf_scores (
    assessment_id   INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    criterion_code  TEXT NOT NULL,
    self_points     INTEGER,
    appraised       INTEGER,
    final_points    INTEGER,
    input           TEXT,
    effective       INTEGER NOT NULL,
    note            TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (assessment_id, criterion_code)
);
