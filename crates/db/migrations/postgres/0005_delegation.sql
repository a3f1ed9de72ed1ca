-- A unit's focal point delegates criteria to its divisions; appraisers may be assigned
-- fields or criteria (by code prefix: `I.2` covers I.2.1.1). No assignment: all.

CREATE TABLE delegations (
    set_id          TEXT NOT NULL REFERENCES criteria_sets(id) ON DELETE CASCADE,
    unit_code       TEXT NOT NULL REFERENCES units(code),
    criterion_code  TEXT NOT NULL,
    division_code   TEXT NOT NULL REFERENCES units(code),
    delegated_by    TEXT NOT NULL,
    delegated_at    TEXT NOT NULL,
    PRIMARY KEY (set_id, unit_code, criterion_code)
);

CREATE TABLE appraiser_scopes (
    username     TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    code_prefix  TEXT NOT NULL,
    PRIMARY KEY (username, code_prefix)
);
