-- The set's data version at a unit's latest change of points or submission: the pages
-- recompute only the units changed since the version they hold.
ALTER TABLE assessments ADD COLUMN changed_at_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX assessments_changed ON assessments (set_id, changed_at_version);
