-- A leaf that does not apply to a unit (không áp dụng): the reason, NULL when it applies.
-- The layers stay stored, so that marking it applicable again restores them.
ALTER TABLE leaf_scores ADD COLUMN not_applicable TEXT;
