-- A unit's own working calendar (a centre open on Saturday mornings, a ward with other
-- hours); units without one follow the province's.
CREATE TABLE unit_calendars (
    unit_code TEXT PRIMARY KEY REFERENCES units (code),
    yaml TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
