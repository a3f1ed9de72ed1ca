//! Official documents from what is stored: the ranking appendix and a unit's
//! self-assessment report (`parindex-documents` lays them out as DOCX and PDF). The command
//! line and the web pages both build them here.

use std::collections::HashMap;

use parindex_db::{Db, DbError};
use parindex_documents::self_assessment::{Cited, LeafEntry, self_assessment_document};
use parindex_documents::{Document, Letterhead, ranking::ranking_document};
use parindex_domain::text::{Date, local_time_vi};
use parindex_domain::{CriteriaSet, UnitResult};

/// Where and when a document is issued, and the governing body to name when the issuing
/// unit has no parent on record.
#[derive(Debug, Clone)]
pub struct Issue {
    pub governing_body: String,
    pub place: String,
    pub date: Date,
}

/// The header of a document `unit_code` issues: its name, its code, its parent's name above
/// it (the configured governing body when it has no parent on record).
pub async fn letterhead(db: &Db, unit_code: &str, issue: &Issue) -> Result<Letterhead, DbError> {
    let unit = db.unit(unit_code).await?;
    let (agency, parent) = match unit {
        Some(u) => (u.name, u.parent_code),
        None => (unit_code.to_string(), None),
    };
    let governing_body = match parent {
        Some(p) => db
            .unit(&p)
            .await?
            .map_or_else(|| issue.governing_body.clone(), |u| u.name),
        None => issue.governing_body.clone(),
    };
    Ok(Letterhead {
        governing_body,
        agency,
        code: unit_code.to_string(),
        place: issue.place.clone(),
        date: issue.date,
    })
}

/// The header of the province's committee, which publishes the ranking: the unit on record
/// without a parent (the configured governing body when there is none).
pub async fn province_letterhead(db: &Db, issue: &Issue) -> Result<Letterhead, DbError> {
    let units = db.list_units().await?;
    let root = units
        .iter()
        .filter(|u| u.parent_code.is_none())
        .min_by_key(|u| u.kind.as_deref() != Some("tinh"));
    Ok(match root {
        Some(u) => Letterhead {
            governing_body: String::new(),
            agency: u.name.clone(),
            code: u.code.clone(),
            place: issue.place.clone(),
            date: issue.date,
        },
        None => Letterhead {
            governing_body: String::new(),
            agency: issue.governing_body.clone(),
            code: String::new(),
            place: issue.place.clone(),
            date: issue.date,
        },
    })
}

/// The ranking appendix of `results` (already filtered to what the reader may see).
pub async fn ranking_report(
    db: &Db,
    set: &CriteriaSet,
    results: &[UnitResult],
    issue: &Issue,
) -> Result<Document, DbError> {
    let head = province_letterhead(db, issue).await?;
    Ok(ranking_document(set, results, &head))
}

/// A unit's self-assessment report: its own points, figures, notes and the evidence linked
/// to each leaf. Never the appraisers' figures. `None` when the unit is not on record.
pub async fn self_assessment_report(
    db: &Db,
    set: &CriteriaSet,
    unit_code: &str,
    issue: &Issue,
) -> Result<Option<Document>, DbError> {
    let Some(unit) = db.unit(unit_code).await? else {
        return Ok(None);
    };
    let mut entries: HashMap<String, LeafEntry> = db
        .unit_leaves(&set.id, unit_code)
        .await?
        .into_iter()
        .map(|(code, l)| {
            (
                code,
                LeafEntry {
                    self_points: l.score.self_points,
                    input: l.score.input,
                    note: l.score.note,
                    evidence: Vec::new(),
                },
            )
        })
        .collect();
    let evidence: HashMap<i64, Cited> = db
        .unit_evidence(unit_code)
        .await?
        .into_iter()
        .map(|e| {
            (
                e.id,
                Cited {
                    number: e.meta.doc_number,
                    date: e.meta.doc_date,
                    issuer: e.meta.issuer,
                    title: e.meta.title,
                },
            )
        })
        .collect();
    for (code, id) in db.leaf_evidence(&set.id, unit_code).await? {
        if let Some(c) = evidence.get(&id) {
            entries.entry(code).or_default().evidence.push(c.clone());
        }
    }
    let submitted = db
        .submission(&set.id, unit_code)
        .await?
        .map(|(at, _)| local_time_vi(&at));
    let head = letterhead(db, unit_code, issue).await?;
    Ok(Some(self_assessment_document(
        set,
        &unit.name,
        &entries,
        submitted.as_deref(),
        &head,
    )))
}
