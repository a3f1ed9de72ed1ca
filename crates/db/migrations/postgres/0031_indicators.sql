-- The indicators registry: definitions, and values per unit and period (`2021-03`,
-- `2021-Q1`, `2021`); values and targets are decimal text (at most 3 decimals).
CREATE TABLE indicators (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    measure      TEXT NOT NULL,
    period       TEXT NOT NULL,
    aggregation  TEXT NOT NULL,
    target       TEXT,
    source       TEXT,
    updated_at   TEXT NOT NULL
);

CREATE TABLE indicator_values (
    indicator    TEXT NOT NULL REFERENCES indicators(code) ON DELETE CASCADE,
    unit_code    TEXT NOT NULL REFERENCES units(code),
    period       TEXT NOT NULL,
    value        TEXT NOT NULL,
    note         TEXT,
    evidence_id  BIGINT,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (indicator, unit_code, period)
);
