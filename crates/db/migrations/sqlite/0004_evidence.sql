-- Evidence (tài liệu kiểm chứng): a document's metadata, its file revisions (content
-- addressed by SHA-256, stored outside the web root), and the leaves it backs.

CREATE TABLE evidence (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_code   TEXT NOT NULL REFERENCES units(code),
    title       TEXT NOT NULL,
    doc_number  TEXT,
    doc_date    TEXT,
    issuer      TEXT,
    signer      TEXT,
    doc_type    TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX evidence_unit ON evidence (unit_code);

CREATE TABLE evidence_files (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    evidence_id   INTEGER NOT NULL REFERENCES evidence(id) ON DELETE CASCADE,
    revision      INTEGER NOT NULL,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TEXT NOT NULL,
    UNIQUE (evidence_id, revision)
);
CREATE INDEX evidence_files_sha ON evidence_files (sha256);

CREATE TABLE leaf_evidence (
    set_id          TEXT NOT NULL REFERENCES criteria_sets(id) ON DELETE CASCADE,
    unit_code       TEXT NOT NULL,
    criterion_code  TEXT NOT NULL,
    evidence_id     INTEGER NOT NULL REFERENCES evidence(id) ON DELETE CASCADE,
    linked_by       TEXT NOT NULL,
    linked_at       TEXT NOT NULL,
    PRIMARY KEY (set_id, unit_code, criterion_code, evidence_id)
);
