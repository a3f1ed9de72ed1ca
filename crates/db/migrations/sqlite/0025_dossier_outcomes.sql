-- How a dossier ended (approved, refused, withdrawn), the working days its clock stood
-- still for supplements, and when and how its result was handed over.
ALTER TABLE dossiers ADD COLUMN outcome TEXT;
ALTER TABLE dossiers ADD COLUMN paused_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN returned_at BIGINT;
ALTER TABLE dossiers ADD COLUMN return_channel TEXT;
-- Withdrawn dossiers in the sums: received, neither finished nor pending.
ALTER TABLE dossier_rollups ADD COLUMN withdrawn BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossier_rollup_months ADD COLUMN withdrawn BIGINT NOT NULL DEFAULT 0;
