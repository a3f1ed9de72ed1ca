-- The working-day calendar the secretariat keeps (the contract's YAML); without a row the
-- calendar shipped with parindex applies. One row, id 1.
CREATE TABLE calendars (
    id          INTEGER PRIMARY KEY,
    yaml        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);
