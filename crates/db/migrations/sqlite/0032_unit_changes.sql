-- The reorganisations imported from unit-change files (merge, split, rename with the date
-- they take effect): a successor finds every unit it was formed from, split ones included,
-- and the units page shows what happened when, with the names of the time. `to_code` is
-- empty for a rename.
CREATE TABLE unit_changes (
    effective   TEXT NOT NULL,
    change      TEXT NOT NULL,
    from_code   TEXT NOT NULL,
    from_name   TEXT NOT NULL,
    to_code     TEXT NOT NULL DEFAULT '',
    to_name     TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (effective, change, from_code, to_code)
);
CREATE INDEX unit_changes_to ON unit_changes (to_code);
