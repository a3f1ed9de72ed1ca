-- Limits in working hours or calendar days (migration 0026) were added into the rollups'
-- limit sums as if they were working days, so an 8-hour procedure counted as 8 days in the
-- average limit. The sums are now whole working days (`LimitUnit::in_working_days`: hours
-- by the 8-hour day, calendar days by 5 working days in 7, rounded up); the stored ones are
-- recomputed for the procedures concerned, then their units' months.
UPDATE dossier_rollups SET
    limit_days = timed * COALESCE((SELECT CASE p.limit_unit
            WHEN 'working_hours' THEN (p.limit_days + 7) / 8
            WHEN 'calendar_days' THEN (p.limit_days * 5 + 6) / 7
            ELSE p.limit_days END
        FROM procedures p WHERE p.code = dossier_rollups.procedure_code), 0),
    internal_days = internal_count * COALESCE((SELECT CASE p.limit_unit
            WHEN 'working_hours' THEN (p.internal_days + 7) / 8
            WHEN 'calendar_days' THEN (p.internal_days * 5 + 6) / 7
            ELSE p.internal_days END
        FROM procedures p WHERE p.code = dossier_rollups.procedure_code), 0)
WHERE procedure_code IN (SELECT code FROM procedures WHERE limit_unit IN ('working_hours', 'calendar_days'));

UPDATE dossier_rollup_months SET
    limit_days = (SELECT COALESCE(SUM(r.limit_days), 0) FROM dossier_rollups r
        WHERE r.unit_code = dossier_rollup_months.unit_code AND substr(r.day, 1, 7) = dossier_rollup_months.month),
    internal_days = (SELECT COALESCE(SUM(r.internal_days), 0) FROM dossier_rollups r
        WHERE r.unit_code = dossier_rollup_months.unit_code AND substr(r.day, 1, 7) = dossier_rollup_months.month)
WHERE unit_code IN (SELECT r.unit_code FROM dossier_rollups r JOIN procedures p ON p.code = r.procedure_code
    WHERE p.limit_unit IN ('working_hours', 'calendar_days'));
