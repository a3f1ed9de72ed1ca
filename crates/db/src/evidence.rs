//! Evidence documents, their file revisions and their links to leaves.

use parindex_domain::access::AuditEntry;

use crate::accounts::audit_append;
use crate::{BeginWrite, Db, DbError, Result, on_db};

/// A document's metadata (số/ký hiệu, ngày, cơ quan ban hành, người ký, loại).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EvidenceMeta {
    pub title: String,
    pub doc_number: Option<String>,
    /// `YYYY-MM-DD`.
    pub doc_date: Option<String>,
    pub issuer: Option<String>,
    pub signer: Option<String>,
    pub doc_type: Option<String>,
}

/// One stored file revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub id: i64,
    pub evidence_id: i64,
    pub revision: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub id: i64,
    pub unit_code: String,
    pub meta: EvidenceMeta,
    /// Newest revision first.
    pub files: Vec<EvidenceFile>,
}

/// A file to record (already stored under its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile<'a> {
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
}

type FileRow = (i64, i64, i64, String, String, i64, String, String, String);

fn file_from(r: FileRow) -> EvidenceFile {
    EvidenceFile {
        id: r.0,
        evidence_id: r.1,
        revision: r.2,
        file_name: r.3,
        content_type: r.4,
        size_bytes: r.5,
        sha256: r.6,
        uploaded_by: r.7,
        uploaded_at: r.8,
    }
}

impl Db {
    /// An evidence of `unit` whose file has this content, if any (duplicate detection).
    pub async fn evidence_with_hash(
        &self,
        unit: &str,
        sha256: &str,
    ) -> Result<Option<(i64, String)>> {
        let sql = "SELECT e.id, e.title FROM evidence e JOIN evidence_files f ON f.evidence_id = e.id \
                   WHERE e.unit_code = $1 AND f.sha256 = $2 ORDER BY e.id LIMIT 1";
        Ok(
            on_db!(self, pool => sqlx::query_as(sql).bind(unit).bind(sha256).fetch_optional(pool).await?),
        )
    }

    /// Creates an evidence with its first file, optionally linked to a leaf.
    pub async fn create_evidence(
        &self,
        unit: &str,
        meta: &EvidenceMeta,
        file: &NewFile<'_>,
        link: Option<(&str, &str)>,
        actor: &str,
        now: &str,
    ) -> Result<i64> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO evidence (unit_code, title, doc_number, doc_date, issuer, signer, doc_type, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(unit).bind(&meta.title).bind(&meta.doc_number).bind(&meta.doc_date).bind(&meta.issuer)
            .bind(&meta.signer).bind(&meta.doc_type).bind(actor).bind(now)
            .fetch_one(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO evidence_files (evidence_id, revision, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at) \
                 VALUES ($1, 1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id).bind(file.file_name).bind(file.content_type).bind(file.size_bytes).bind(file.sha256).bind(actor).bind(now)
            .execute(&mut *tx).await?;
            let e = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "evidence.create".into(),
                entity: format!("evidence/{id}"),
                old_value: None,
                new_value: Some(format!("{} · {} · sha256={}", meta.title, file.file_name, file.sha256)),
                reason: None,
            };
            audit_append!(tx, &e);
            if let Some((set_id, code)) = link {
                sqlx::query(
                    "INSERT INTO leaf_evidence (set_id, unit_code, criterion_code, evidence_id, linked_by, linked_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (set_id, unit_code, criterion_code, evidence_id) DO NOTHING",
                )
                .bind(set_id).bind(unit).bind(code).bind(id).bind(actor).bind(now)
                .execute(&mut *tx).await?;
                let e = AuditEntry {
                    at: now.to_string(),
                    actor: actor.to_string(),
                    action: "evidence.link".into(),
                    entity: format!("{set_id}/{unit}/{code}"),
                    old_value: None,
                    new_value: Some(format!("evidence/{id}")),
                    reason: None,
                };
                audit_append!(tx, &e);
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Adds a new file revision; the older ones are kept.
    pub async fn add_evidence_revision(
        &self,
        evidence_id: i64,
        file: &NewFile<'_>,
        actor: &str,
        now: &str,
    ) -> Result<i64> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (rev,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(revision), 0) + 1 FROM evidence_files WHERE evidence_id = $1")
                .bind(evidence_id).fetch_one(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO evidence_files (evidence_id, revision, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(evidence_id).bind(rev).bind(file.file_name).bind(file.content_type).bind(file.size_bytes).bind(file.sha256).bind(actor).bind(now)
            .execute(&mut *tx).await?;
            let e = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "evidence.revision".into(),
                entity: format!("evidence/{evidence_id}"),
                old_value: Some(format!("revision {}", rev - 1)),
                new_value: Some(format!("revision {rev} · {} · sha256={}", file.file_name, file.sha256)),
                reason: None,
            };
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(rev)
        })
    }

    /// Links an existing evidence of the unit to another leaf (one document, several criteria).
    pub async fn link_evidence(
        &self,
        set_id: &str,
        unit: &str,
        code: &str,
        evidence_id: i64,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let owner: Option<(String,)> = sqlx::query_as("SELECT unit_code FROM evidence WHERE id = $1")
                .bind(evidence_id).fetch_optional(&mut *tx).await?;
            if owner.as_ref().map(|(u,)| u.as_str()) != Some(unit) {
                return Err(DbError::Conflict("tài liệu kiểm chứng không thuộc đơn vị này".into()));
            }
            let n = sqlx::query(
                "INSERT INTO leaf_evidence (set_id, unit_code, criterion_code, evidence_id, linked_by, linked_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (set_id, unit_code, criterion_code, evidence_id) DO NOTHING",
            )
            .bind(set_id).bind(unit).bind(code).bind(evidence_id).bind(actor).bind(now)
            .execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                let e = AuditEntry {
                    at: now.to_string(),
                    actor: actor.to_string(),
                    action: "evidence.link".into(),
                    entity: format!("{set_id}/{unit}/{code}"),
                    old_value: None,
                    new_value: Some(format!("evidence/{evidence_id}")),
                    reason: None,
                };
                audit_append!(tx, &e);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Every evidence of a unit, with its files (newest revision first).
    pub async fn unit_evidence(&self, unit: &str) -> Result<Vec<Evidence>> {
        let rows: Vec<(
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        )> = on_db!(self, pool =>
            sqlx::query_as("SELECT id, unit_code, title, doc_number, doc_date, issuer, signer, doc_type FROM evidence WHERE unit_code = $1 ORDER BY id")
                .bind(unit).fetch_all(pool).await?);
        let files: Vec<FileRow> = on_db!(self, pool =>
            sqlx::query_as("SELECT f.id, f.evidence_id, f.revision, f.file_name, f.content_type, f.size_bytes, f.sha256, f.uploaded_by, f.uploaded_at \
                            FROM evidence_files f JOIN evidence e ON e.id = f.evidence_id WHERE e.unit_code = $1 ORDER BY f.evidence_id, f.revision DESC")
                .bind(unit).fetch_all(pool).await?);
        let files: Vec<EvidenceFile> = files.into_iter().map(file_from).collect();
        Ok(rows
            .into_iter()
            .map(|r| Evidence {
                id: r.0,
                files: files
                    .iter()
                    .filter(|f| f.evidence_id == r.0)
                    .cloned()
                    .collect(),
                unit_code: r.1,
                meta: EvidenceMeta {
                    title: r.2,
                    doc_number: r.3,
                    doc_date: r.4,
                    issuer: r.5,
                    signer: r.6,
                    doc_type: r.7,
                },
            })
            .collect())
    }

    /// (criterion code, evidence id) links of a unit in a set.
    pub async fn leaf_evidence(&self, set_id: &str, unit: &str) -> Result<Vec<(String, i64)>> {
        Ok(on_db!(self, pool =>
            sqlx::query_as("SELECT criterion_code, evidence_id FROM leaf_evidence WHERE set_id = $1 AND unit_code = $2 ORDER BY criterion_code, evidence_id")
                .bind(set_id).bind(unit).fetch_all(pool).await?))
    }

    /// One file with the unit its evidence belongs to.
    pub async fn evidence_file(&self, file_id: i64) -> Result<Option<(String, EvidenceFile)>> {
        let row: Option<(
            String,
            i64,
            i64,
            i64,
            String,
            String,
            i64,
            String,
            String,
            String,
        )> = on_db!(self, pool =>
            sqlx::query_as("SELECT e.unit_code, f.id, f.evidence_id, f.revision, f.file_name, f.content_type, f.size_bytes, f.sha256, f.uploaded_by, f.uploaded_at \
                            FROM evidence_files f JOIN evidence e ON e.id = f.evidence_id WHERE f.id = $1")
                .bind(file_id).fetch_optional(pool).await?);
        Ok(row.map(|r| {
            (
                r.0,
                file_from((r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9)),
            )
        }))
    }

    /// The unit an evidence belongs to.
    pub async fn evidence_unit(&self, evidence_id: i64) -> Result<Option<String>> {
        let row: Option<(String,)> = on_db!(self, pool =>
            sqlx::query_as("SELECT unit_code FROM evidence WHERE id = $1").bind(evidence_id).fetch_optional(pool).await?);
        Ok(row.map(|r| r.0))
    }

    /// The (set, criterion code) leaves an evidence backs.
    pub async fn evidence_leaves(&self, evidence_id: i64) -> Result<Vec<(String, String)>> {
        Ok(on_db!(self, pool =>
            sqlx::query_as("SELECT set_id, criterion_code FROM leaf_evidence WHERE evidence_id = $1 ORDER BY set_id, criterion_code")
                .bind(evidence_id).fetch_all(pool).await?))
    }

    /// Number of stored file rows (for tests that check nothing was stored).
    pub async fn count_evidence_files(&self) -> Result<i64> {
        let (n,): (i64,) = on_db!(self, pool => sqlx::query_as("SELECT COUNT(*) FROM evidence_files").fetch_one(pool).await?);
        Ok(n)
    }
}
