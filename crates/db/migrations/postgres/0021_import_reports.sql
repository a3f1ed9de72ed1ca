-- The report of a dossier import started from the web (totals, the first problems, the
-- points that followed, where its rejected rows are kept): its page outlives the server
-- process that ran the import.
CREATE TABLE dossier_imports (
    id            TEXT PRIMARY KEY,
    unit_code     TEXT NOT NULL,
    username      TEXT NOT NULL,
    file          TEXT NOT NULL,
    ended_at      TEXT NOT NULL,
    refused       BOOLEAN NOT NULL,
    total         BIGINT NOT NULL,
    stored        BIGINT NOT NULL,
    rejected      BIGINT NOT NULL,
    error         TEXT,
    problems      TEXT NOT NULL,
    problem_count BIGINT NOT NULL,
    changes       TEXT NOT NULL,
    rejected_sha  TEXT
);
