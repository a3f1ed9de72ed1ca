-- The instants of a dossier are stored as numbers, the digits of `2021-02-18 09:15` read as
-- one number (202102180915): ordered like the instants, 8 bytes instead of 17 of text (as
-- on SQLite, where the table is rebuilt for it). The partial indexes are rebuilt with the
-- columns.
ALTER TABLE dossiers
    ALTER COLUMN received_at TYPE BIGINT
        USING CAST(replace(replace(replace(received_at, '-', ''), ' ', ''), ':', '') AS BIGINT),
    ALTER COLUMN due_at TYPE BIGINT
        USING CAST(replace(replace(replace(due_at, '-', ''), ' ', ''), ':', '') AS BIGINT),
    ALTER COLUMN finished_at TYPE BIGINT
        USING CAST(replace(replace(replace(finished_at, '-', ''), ' ', ''), ':', '') AS BIGINT),
    ALTER COLUMN apology_at TYPE BIGINT
        USING CAST(replace(replace(replace(apology_at, '-', ''), ' ', ''), ':', '') AS BIGINT),
    ALTER COLUMN new_due_at TYPE BIGINT
        USING CAST(replace(replace(replace(new_due_at, '-', ''), ' ', ''), ':', '') AS BIGINT);
