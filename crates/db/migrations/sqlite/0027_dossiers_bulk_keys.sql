-- PostgreSQL only (its foreign key on dossiers and the key's collation); nothing to do here.
SELECT 1;
