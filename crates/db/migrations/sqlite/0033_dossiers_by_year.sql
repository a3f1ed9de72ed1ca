-- PostgreSQL only (dossiers partitioned by year, ADR 4); SQLite keeps one table in its
-- primary key's order. Nothing to do here.
SELECT 1;
