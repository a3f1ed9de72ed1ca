-- Dossiers still in process, with what the overdue and apology counts need, so that the
-- figures read this index alone (no lookup of each pending dossier in the table).
DROP INDEX dossiers_pending;
CREATE INDEX dossiers_pending ON dossiers (unit_code, received_at, due_at, timely_apology) WHERE status = 'pending';
