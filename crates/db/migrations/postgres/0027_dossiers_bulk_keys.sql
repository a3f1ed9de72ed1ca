-- Bulk imports (issue 14): the unit of every dossier is checked once per unit by the import
-- (as on SQLite, ADR 2), not by a foreign-key trigger on every row, which took more than
-- half the time of storing a million dossiers; the key's texts compare byte by byte.
ALTER TABLE dossiers DROP CONSTRAINT IF EXISTS dossiers_unit_code_fkey;
ALTER TABLE dossiers ALTER COLUMN unit_code TYPE TEXT COLLATE "C", ALTER COLUMN code TYPE TEXT COLLATE "C";
