-- The instants of a dossier are stored as numbers, the digits of `2021-02-18 09:15` read as
-- one number (202102180915): ordered like the instants, 6 bytes in SQLite instead of 16 of
-- text. A province's dossiers are read and written in the tens of millions; the five
-- instants were nearly half of each row. The table is rebuilt (SQLite cannot change a
-- column's type), in its primary key's order as before.
CREATE TABLE dossiers_stamped (
    unit_code         TEXT NOT NULL REFERENCES units(code),
    code              TEXT NOT NULL,
    procedure_code    TEXT NOT NULL,
    received_at       BIGINT NOT NULL,
    due_at            BIGINT NOT NULL,
    finished_at       BIGINT,
    channel           TEXT NOT NULL,
    apology_at        BIGINT,
    new_due_at        BIGINT,
    status            TEXT NOT NULL,
    timely_apology    INTEGER NOT NULL,
    apology_reason    TEXT,
    apology_applicant TEXT,
    apology_by        TEXT,
    used_days_milli   BIGINT,
    import_mark       BIGINT,
    PRIMARY KEY (unit_code, code)
) WITHOUT ROWID;
INSERT INTO dossiers_stamped (unit_code, code, procedure_code, received_at, due_at, finished_at,
    channel, apology_at, new_due_at, status, timely_apology, apology_reason, apology_applicant,
    apology_by, used_days_milli, import_mark)
SELECT unit_code, code, procedure_code,
    CAST(replace(replace(replace(received_at, '-', ''), ' ', ''), ':', '') AS INTEGER),
    CAST(replace(replace(replace(due_at, '-', ''), ' ', ''), ':', '') AS INTEGER),
    CAST(replace(replace(replace(finished_at, '-', ''), ' ', ''), ':', '') AS INTEGER),
    channel,
    CAST(replace(replace(replace(apology_at, '-', ''), ' ', ''), ':', '') AS INTEGER),
    CAST(replace(replace(replace(new_due_at, '-', ''), ' ', ''), ':', '') AS INTEGER),
    status, timely_apology, apology_reason, apology_applicant, apology_by, used_days_milli, import_mark
FROM dossiers;
DROP TABLE dossiers;
ALTER TABLE dossiers_stamped RENAME TO dossiers;
CREATE INDEX dossiers_pending ON dossiers (unit_code, received_at, due_at, timely_apology, procedure_code) WHERE status = 'pending';
CREATE INDEX dossiers_pending_due ON dossiers (due_at, received_at, timely_apology) WHERE status = 'pending';
