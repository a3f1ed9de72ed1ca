-- Processing time of finished dossiers, in thousandths of a working day (working hours of
-- working days between receipt and result), and the rollups' sums against the legal and
-- internal limits (the 40 % cut of the notice). Rows stored before this migration have
-- no time until they are imported again.
ALTER TABLE dossiers ADD COLUMN used_days_milli BIGINT;
ALTER TABLE dossier_rollups ADD COLUMN timed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossier_rollups ADD COLUMN used_days_milli BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossier_rollups ADD COLUMN limit_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossier_rollups ADD COLUMN internal_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossier_rollups ADD COLUMN internal_count BIGINT NOT NULL DEFAULT 0;
