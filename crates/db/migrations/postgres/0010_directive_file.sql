-- The uploaded file of a directive (content address in the file store).
ALTER TABLE directives ADD COLUMN file_sha256 TEXT;
