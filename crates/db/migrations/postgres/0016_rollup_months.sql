-- Per unit and month of receipt: the sums of `dossier_rollups` over the unit's procedures
-- and the month's days, so that a year of the whole province adds up a few hundred rows
-- (12 per unit) instead of one per unit, procedure and day. Days at either end of a period
-- that does not start or end with a month are still read from `dossier_rollups`. Kept up
-- to date from `dossier_rollups` whenever a unit's rollups change.
CREATE TABLE dossier_rollup_months (
    unit_code       TEXT NOT NULL,
    month           TEXT NOT NULL,
    received        BIGINT NOT NULL,
    finished        BIGINT NOT NULL,
    early           BIGINT NOT NULL,
    on_time         BIGINT NOT NULL,
    late            BIGINT NOT NULL,
    late_no_apology BIGINT NOT NULL,
    online          BIGINT NOT NULL,
    postal          BIGINT NOT NULL,
    timed           BIGINT NOT NULL,
    used_days_milli BIGINT NOT NULL,
    limit_days      BIGINT NOT NULL,
    internal_days   BIGINT NOT NULL,
    internal_count  BIGINT NOT NULL,
    PRIMARY KEY (unit_code, month)
);
CREATE INDEX dossier_rollup_months_month ON dossier_rollup_months (month);
INSERT INTO dossier_rollup_months (unit_code, month, received, finished, early, on_time, late,
    late_no_apology, online, postal, timed, used_days_milli, limit_days, internal_days, internal_count)
SELECT unit_code, substr(day, 1, 7), SUM(received), SUM(finished), SUM(early), SUM(on_time), SUM(late),
    SUM(late_no_apology), SUM(online), SUM(postal), SUM(timed), SUM(used_days_milli), SUM(limit_days),
    SUM(internal_days), SUM(internal_count)
FROM dossier_rollups GROUP BY unit_code, substr(day, 1, 7);

-- The import that last wrote a dossier (a bulk import finds the rows a file holds twice
-- by meeting its own mark).
ALTER TABLE dossiers ADD COLUMN import_mark BIGINT;
