-- Dossiers are stored in their primary key's order (unit, code) with no separate table
-- behind the key (WITHOUT ROWID): one B-tree per row written instead of two. The full
-- index by unit and receipt is dropped: every figure is read from the rollups, the
-- dossiers in process from the partial indexes, and only the list behind a figure reads a
-- unit's dossiers. Building that index again from sorted keys after a large import cost
-- as much as storing the rows (23 s of 62 s for 10 million rows).
CREATE TABLE dossiers_clustered (
    unit_code         TEXT NOT NULL REFERENCES units(code),
    code              TEXT NOT NULL,
    procedure_code    TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    due_at            TEXT NOT NULL,
    finished_at       TEXT,
    channel           TEXT NOT NULL,
    apology_at        TEXT,
    new_due_at        TEXT,
    status            TEXT NOT NULL,
    timely_apology    INTEGER NOT NULL,
    apology_reason    TEXT,
    apology_applicant TEXT,
    apology_by        TEXT,
    used_days_milli   BIGINT,
    import_mark       BIGINT,
    PRIMARY KEY (unit_code, code)
) WITHOUT ROWID;
INSERT INTO dossiers_clustered (unit_code, code, procedure_code, received_at, due_at, finished_at,
    channel, apology_at, new_due_at, status, timely_apology, apology_reason, apology_applicant,
    apology_by, used_days_milli, import_mark)
SELECT unit_code, code, procedure_code, received_at, due_at, finished_at, channel, apology_at,
    new_due_at, status, timely_apology, apology_reason, apology_applicant, apology_by,
    used_days_milli, import_mark
FROM dossiers;
DROP TABLE dossiers;
ALTER TABLE dossiers_clustered RENAME TO dossiers;
CREATE INDEX dossiers_pending ON dossiers (unit_code, received_at, due_at, timely_apology) WHERE status = 'pending';
CREATE INDEX dossiers_pending_received ON dossiers (received_at, due_at, timely_apology) WHERE status = 'pending';
