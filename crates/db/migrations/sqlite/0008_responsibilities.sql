-- Which division answers for which criterion in a unit (editable; first seeded from the
-- criteria set's `owner`), used to turn points lost into tasks.
CREATE TABLE responsibilities (
    set_id          TEXT NOT NULL REFERENCES criteria_sets(id) ON DELETE CASCADE,
    unit_code       TEXT NOT NULL REFERENCES units(code),
    criterion_code  TEXT NOT NULL,
    division_code   TEXT NOT NULL REFERENCES units(code),
    PRIMARY KEY (set_id, unit_code, criterion_code)
);
