-- Dossiers partitioned by the year of receipt (issue 14, ADR 4). A year's dossiers live in
-- their own table (`dossiers_y2021`, …), created by the import the first time a file holds
-- that year; a year's first file is loaded as its partition, and a year could later be
-- archived as a whole (ADR 4). PostgreSQL requires the partition key in every unique key,
-- so the key is (unit_code, code, received_year); the import keeps a code to one year
-- (a dossier re-imported with another year of receipt is moved, not doubled).
ALTER TABLE dossiers RENAME TO dossiers_unpartitioned;
ALTER INDEX dossiers_pkey RENAME TO dossiers_unpartitioned_pkey;
ALTER INDEX dossiers_pending RENAME TO dossiers_unpartitioned_pending;
ALTER INDEX dossiers_pending_due RENAME TO dossiers_unpartitioned_pending_due;

CREATE TABLE dossiers (
    unit_code         TEXT COLLATE "C" NOT NULL,
    code              TEXT COLLATE "C" NOT NULL,
    received_year     INTEGER NOT NULL,
    procedure_code    TEXT NOT NULL,
    received_at       BIGINT NOT NULL,
    due_at            BIGINT NOT NULL,
    finished_at       BIGINT,
    channel           TEXT NOT NULL,
    apology_at        BIGINT,
    new_due_at        BIGINT,
    status            TEXT NOT NULL,
    timely_apology    BOOLEAN NOT NULL,
    apology_reason    TEXT,
    apology_applicant TEXT,
    apology_by        TEXT,
    used_days_milli   BIGINT,
    import_mark       BIGINT,
    outcome           TEXT,
    paused_days       INTEGER NOT NULL DEFAULT 0,
    returned_at       BIGINT,
    return_channel    TEXT,
    -- The year is the receipt instant's first digits (202102180915 → 2021).
    CHECK (received_year = received_at / 100000000),
    PRIMARY KEY (unit_code, code, received_year)
) PARTITION BY RANGE (received_year);
CREATE INDEX dossiers_pending ON dossiers (unit_code, received_at, due_at, timely_apology, procedure_code)
    WHERE status = 'pending';
CREATE INDEX dossiers_pending_due ON dossiers (due_at, received_at, timely_apology) WHERE status = 'pending';

DO $$
DECLARE y INTEGER;
BEGIN
    FOR y IN SELECT DISTINCT received_at / 100000000 FROM dossiers_unpartitioned LOOP
        EXECUTE format('CREATE TABLE dossiers_y%s PARTITION OF dossiers FOR VALUES FROM (%s) TO (%s)',
                       y, y, y + 1);
    END LOOP;
END $$;

INSERT INTO dossiers (unit_code, code, received_year, procedure_code, received_at, due_at, finished_at,
                      channel, apology_at, new_due_at, status, timely_apology, apology_reason,
                      apology_applicant, apology_by, used_days_milli, import_mark, outcome,
                      paused_days, returned_at, return_channel)
SELECT unit_code, code, received_at / 100000000, procedure_code, received_at, due_at, finished_at,
       channel, apology_at, new_due_at, status, timely_apology, apology_reason, apology_applicant,
       apology_by, used_days_milli, import_mark, outcome, paused_days, returned_at, return_channel
FROM dossiers_unpartitioned;

DROP TABLE dossiers_unpartitioned;
