-- An apology slip recorded in parindex (Nghị định 61/2018: one re-appointment only):
-- its reason, the applicant it was addressed to and who recorded it, beside the
-- existing apology_at / new_due_at.
ALTER TABLE dossiers ADD COLUMN apology_reason TEXT;
ALTER TABLE dossiers ADD COLUMN apology_applicant TEXT;
ALTER TABLE dossiers ADD COLUMN apology_by TEXT;
