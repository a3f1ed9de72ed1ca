//! The report of a dossier import started from the web, kept in the database so that its
//! page and its rejected rows stay available after the server process that ran it ends.

use crate::{Db, Result, on_db};

/// What an import's page shows once it has ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    pub id: String,
    pub unit_code: String,
    pub username: String,
    /// The user's file name.
    pub file: String,
    /// When it ended (RFC 3339, UTC).
    pub ended_at: String,
    /// Nothing was stored because of bad rows (all-or-nothing).
    pub refused: bool,
    pub total: u64,
    pub stored: u64,
    pub rejected: u64,
    /// A failure outside the file's rows, as said to the user.
    pub error: Option<String>,
    /// The first problems, one line each (all of them are in the rejected rows).
    pub problems: Vec<String>,
    /// How many problems there were in all.
    pub problem_count: u64,
    /// The points recomputed from the dossiers, one line each.
    pub changes: Vec<String>,
    /// The rejected rows (CSV) in the file store, by content hash.
    pub rejected_sha: Option<String>,
}

/// Lines kept in one text column (a line break inside one becomes a space).
fn join(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| l.replace(['\n', '\r'], " "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn split(text: &str) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n').map(str::to_string).collect()
    }
}

fn stored_count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn read_count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

type ReportRow = (
    String,
    String,
    String,
    String,
    String,
    bool,
    i64,
    i64,
    i64,
    Option<String>,
    String,
    i64,
    String,
    Option<String>,
);

impl Db {
    /// Keeps an ended import's report (replacing one with the same id).
    pub async fn save_import_report(&self, r: &ImportReport) -> Result<()> {
        on_db!(self, pool => sqlx::query(
            "INSERT INTO dossier_imports (id, unit_code, username, file, ended_at, refused, total, stored, \
             rejected, error, problems, problem_count, changes, rejected_sha) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at, refused = excluded.refused, \
             total = excluded.total, stored = excluded.stored, rejected = excluded.rejected, \
             error = excluded.error, problems = excluded.problems, problem_count = excluded.problem_count, \
             changes = excluded.changes, rejected_sha = excluded.rejected_sha",
        )
        .bind(&r.id)
        .bind(&r.unit_code)
        .bind(&r.username)
        .bind(&r.file)
        .bind(&r.ended_at)
        .bind(r.refused)
        .bind(stored_count(r.total))
        .bind(stored_count(r.stored))
        .bind(stored_count(r.rejected))
        .bind(r.error.as_deref())
        .bind(join(&r.problems))
        .bind(stored_count(r.problem_count))
        .bind(join(&r.changes))
        .bind(r.rejected_sha.as_deref())
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// An ended import of `unit` by its id.
    pub async fn import_report(&self, unit: &str, id: &str) -> Result<Option<ImportReport>> {
        let row: Option<ReportRow> = on_db!(self, pool => sqlx::query_as(
            "SELECT id, unit_code, username, file, ended_at, refused, total, stored, rejected, error, \
             problems, problem_count, changes, rejected_sha FROM dossier_imports \
             WHERE unit_code = $1 AND id = $2",
        )
        .bind(unit)
        .bind(id)
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|r| ImportReport {
            id: r.0,
            unit_code: r.1,
            username: r.2,
            file: r.3,
            ended_at: r.4,
            refused: r.5,
            total: read_count(r.6),
            stored: read_count(r.7),
            rejected: read_count(r.8),
            error: r.9,
            problems: split(&r.10),
            problem_count: read_count(r.11),
            changes: split(&r.12),
            rejected_sha: r.13,
        }))
    }
}
