-- The full index by unit and receipt is dropped (as on SQLite, where the table is now
-- stored in its primary key's order): every figure is read from the rollups, the dossiers
-- in process from the partial indexes, and only the list behind a figure reads a unit's
-- dossiers, through the primary key (unit, code). Imports no longer maintain it.
DROP INDEX dossiers_unit_received;
