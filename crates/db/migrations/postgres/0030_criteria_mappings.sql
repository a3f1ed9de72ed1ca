-- Last year's criterion matched to each of this year's (a proposal stored, or a person's
-- choice): comparisons and a prefilled self-assessment go through it. No foreign key: a
-- set re-imported while unscored (deleted and stored again) keeps its mapping; rows naming
-- codes that no longer exist are ignored when the mapping is read.
CREATE TABLE criteria_mappings (
    from_set    TEXT NOT NULL,
    to_set      TEXT NOT NULL,
    to_code     TEXT NOT NULL,
    from_code   TEXT,
    how         TEXT NOT NULL,
    similarity  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (from_set, to_set, to_code)
);
