-- For the overdue count without reading every dossier in process: per rollup row, the
-- latest due instant of its dossiers still in process and how many of them have no timely
-- apology slip. When that latest due instant has passed, all of them are overdue and the
-- sums say so; only the days with a dossier not yet due are read from `dossiers`, through
-- a partial index by receipt (the province has no unit to start from).
ALTER TABLE dossier_rollups ADD COLUMN pending_no_apology BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossier_rollups ADD COLUMN pending_due_max TEXT;
ALTER TABLE dossier_rollup_months ADD COLUMN pending_no_apology BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossier_rollup_months ADD COLUMN pending_due_max TEXT;
UPDATE dossier_rollups SET
    pending_no_apology = (SELECT COUNT(*) FROM dossiers d WHERE d.unit_code = dossier_rollups.unit_code
        AND d.procedure_code = dossier_rollups.procedure_code AND substr(d.received_at, 1, 10) = dossier_rollups.day
        AND d.status = 'pending' AND NOT d.timely_apology),
    pending_due_max = (SELECT MAX(d.due_at) FROM dossiers d WHERE d.unit_code = dossier_rollups.unit_code
        AND d.procedure_code = dossier_rollups.procedure_code AND substr(d.received_at, 1, 10) = dossier_rollups.day
        AND d.status = 'pending')
WHERE received > finished;
UPDATE dossier_rollup_months SET
    pending_no_apology = (SELECT COALESCE(SUM(r.pending_no_apology), 0) FROM dossier_rollups r
        WHERE r.unit_code = dossier_rollup_months.unit_code AND substr(r.day, 1, 7) = dossier_rollup_months.month),
    pending_due_max = (SELECT MAX(r.pending_due_max) FROM dossier_rollups r
        WHERE r.unit_code = dossier_rollup_months.unit_code AND substr(r.day, 1, 7) = dossier_rollup_months.month);
CREATE INDEX dossiers_pending_received ON dossiers (received_at, due_at, timely_apology) WHERE status = 'pending';
