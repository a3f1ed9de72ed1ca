-- Dossiers in process per unit, procedure, day of receipt and day due. The overdue count
-- at an instant is the sum over the days due before the instant's day, plus the dossiers
-- due earlier on that same day (read through the partial index by due instant), so that
-- no figure reads every dossier in process (at provincial scale, hundreds of thousands).
-- Rebuilt for a unit from its dossiers in process (an index-only read of the partial
-- index below) whenever an import or an apology slip touches the unit.
CREATE TABLE dossier_pending_days (
    unit_code       TEXT NOT NULL,
    procedure_code  TEXT NOT NULL,
    day             TEXT NOT NULL,
    due_day         TEXT NOT NULL,
    pending         BIGINT NOT NULL,
    no_apology      BIGINT NOT NULL,
    PRIMARY KEY (unit_code, day, procedure_code, due_day)
);
DROP INDEX dossiers_pending;
CREATE INDEX dossiers_pending ON dossiers (unit_code, received_at, due_at, timely_apology, procedure_code) WHERE status = 'pending';
DROP INDEX dossiers_pending_received;
CREATE INDEX dossiers_pending_due ON dossiers (due_at, received_at, timely_apology) WHERE status = 'pending';
INSERT INTO dossier_pending_days (unit_code, procedure_code, day, due_day, pending, no_apology)
SELECT unit_code, procedure_code, substr(received_at, 1, 10), substr(due_at, 1, 10), COUNT(*),
    SUM(CASE WHEN timely_apology THEN 0 ELSE 1 END)
FROM dossiers WHERE status = 'pending'
GROUP BY unit_code, procedure_code, substr(received_at, 1, 10), substr(due_at, 1, 10);
-- What `dossier_pending_days` replaces: per rollup row, the latest due instant in process
-- and how many in process had no timely slip.
ALTER TABLE dossier_rollups DROP COLUMN pending_no_apology;
ALTER TABLE dossier_rollups DROP COLUMN pending_due_max;
ALTER TABLE dossier_rollup_months DROP COLUMN pending_no_apology;
ALTER TABLE dossier_rollup_months DROP COLUMN pending_due_max;
