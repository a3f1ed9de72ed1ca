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

/// "UBND tỉnh Bà Rịa – Vũng Tàu" as ND30 writes an issuing agency: in full.
fn in_full(name: &str) -> String {
    match name.strip_prefix("UBND ") {
        Some(rest) => format!("Ủy ban nhân dân {rest}"),
        None => name.to_string(),
    }
}

/// The header of the province's committee, which publishes the ranking: the unit of kind
/// `tinh` on record, else the configured governing body (never another unit).
pub async fn province_letterhead(db: &Db, issue: &Issue) -> Result<Letterhead, DbError> {
    let units = db.list_units().await?;
    let name = units
        .iter()
        .find(|u| u.parent_code.is_none() && u.kind.as_deref() == Some("tinh"))
        .map_or_else(|| issue.governing_body.clone(), |u| u.name.clone());
    Ok(Letterhead {
        governing_body: String::new(),
        agency: in_full(&name),
        code: "UBND".into(),
        place: issue.place.clone(),
        date: issue.date,
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
    let draft = db.phase(&set.id).await? != Some(parindex_domain::cycle::Phase::Published);
    Ok(ranking_document(set, results, &head, draft))
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
                    not_applicable: l.score.not_applicable,
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

/// A unit's PAR report for `period`: its tasks due in the period by leading division, the
/// violations of the period, the dossiers received in it, its self-scores on the current
/// set, the next period's deadlines, and `narrative` (paragraphs by section key). `None`
/// when the unit is not on record.
#[expect(
    clippy::implicit_hasher,
    reason = "the paragraphs are moved into the report as they are"
)]
pub async fn unit_report(
    db: &Db,
    unit_code: &str,
    period: parindex_domain::period::Period,
    narrative: HashMap<String, Vec<String>>,
    issue: &Issue,
    as_of: parindex_domain::calendar::Instant,
) -> Result<Option<Document>, DbError> {
    use parindex_documents::unit_report::{UnitReport, unit_report_document};
    let Some(unit) = db.unit(unit_code).await? else {
        return Ok(None);
    };
    let mut divisions = db.divisions(unit_code).await?;
    divisions.push((unit_code.to_string(), unit.name.clone()));
    let name_of = |codes: &[String]| -> String {
        if codes.is_empty() {
            return unit.name.clone();
        }
        parindex_domain::units::names_of(codes, &divisions)
    };
    let next = period.next().ok();
    let mut by_division: Vec<(String, u64, u64, u64, u64)> = Vec::new();
    let mut upcoming = Vec::new();
    for t in db.tasks(unit_code, &as_of.date.to_iso()).await? {
        if t.cancelled {
            continue;
        }
        // Each leading division answers for the task, as on the brief.
        let leads: Vec<String> = if t.leads.is_empty() {
            vec![unit.name.clone()]
        } else {
            t.leads
                .iter()
                .map(|c| name_of(std::slice::from_ref(c)))
                .collect()
        };
        for o in db.occurrences(t.id).await? {
            let Some(due) = Date::parse(&o.due_on) else {
                continue;
            };
            let open = o.status != "done" && o.status != "cancelled";
            if open && next.is_some_and(|n| n.contains(due)) {
                upcoming.push((due, t.title.clone(), leads.join(", ")));
            }
            if !period.contains(due) || o.status == "cancelled" {
                continue;
            }
            let done_on = o
                .done_at
                .as_deref()
                .and_then(|d| d.get(..10))
                .and_then(Date::parse);
            for lead in &leads {
                let i = match by_division.iter().position(|r| &r.0 == lead) {
                    Some(i) => i,
                    None => {
                        by_division.push((lead.clone(), 0, 0, 0, 0));
                        by_division.len() - 1
                    }
                };
                let row = &mut by_division[i];
                row.1 += 1;
                match done_on {
                    Some(d) if d <= due => row.2 += 1,
                    Some(_) => row.3 += 1,
                    None => row.4 += 1,
                }
            }
        }
    }
    by_division.sort_by(|a, b| a.0.cmp(&b.0));
    upcoming.sort();
    let violations = db
        .violations(unit_code)
        .await?
        .into_iter()
        // An excused miss is not a shortcoming of the period.
        .filter(|v| !v.excused && Date::parse(&v.due_on).is_some_and(|d| period.contains(d)))
        .map(|v| {
            (
                Date::parse(&v.due_on).map_or_else(|| v.due_on.clone(), Date::to_vi),
                v.task_title,
                v.person
                    .unwrap_or_else(|| name_of(std::slice::from_ref(&v.unit_code))),
                v.reason.unwrap_or_default(),
            )
        })
        .collect();
    let f = db
        .period_figures(Some(unit_code), period.from, period.to)
        .await?;
    let dossiers = (f.received_total() > 0 || f.resolved_total() > 0).then_some(f);
    // The unit's own points on the current set, field by field.
    let mut scores = None;
    if let Some(set_id) = db.current_set_id().await?
        && let Some(set) = db.load_set(&set_id).await?
        && let Some(own) = db.load_unit_scores(&set, unit_code).await?
    {
        let totals = parindex_domain::scoring::totals_by(&set, |i| {
            own.leaves
                .get(&i)
                .filter(|l| l.not_applicable.is_none())
                .and_then(|l| l.self_points)
                .unwrap_or_default()
        });
        let maxima = parindex_domain::scoring::node_maxima(&set, &own);
        let p = set.precision;
        let rows = set
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.depth <= 2)
            .map(|(i, n)| {
                (
                    n.code.to_string(),
                    n.name.clone(),
                    maxima[i].to_vi(p),
                    totals[i].to_vi(p),
                )
            })
            .collect();
        let total = parindex_domain::scoring::score_from(&set, &totals);
        scores = Some((
            set.name.clone(),
            rows,
            total.to_vi(p),
            parindex_domain::scoring::unit_totals(&set, &own)
                .max
                .to_vi(p),
        ));
    }
    let report = UnitReport {
        unit_name: unit.name.clone(),
        period: period.label_vi(),
        range: format!("{} – {}", period.from.to_vi(), period.to.to_vi()),
        tasks: by_division,
        violations,
        dossiers,
        scores,
        next: upcoming
            .into_iter()
            .map(|(d, t, l)| (d.to_vi(), t, l))
            .collect(),
        narrative,
    };
    let head = letterhead(db, unit_code, issue).await?;
    Ok(Some(unit_report_document(&report, &head)))
}

/// The period report (`shared/spec/dossiers.md`, "Period reports") of one unit, a row per
/// procedure, or of the province, a row per unit (`unit` is `None`). `None` when the unit
/// is not on record.
pub async fn period_report(
    db: &Db,
    unit: Option<&str>,
    period: parindex_domain::period::Period,
) -> Result<Option<parindex_documents::period_report::PeriodReport>, DbError> {
    use parindex_db::PeriodRows;
    use parindex_documents::period_report::{PeriodLine, PeriodReport};
    let (scope, rows, names): (String, PeriodRows, HashMap<String, String>) = match unit {
        Some(code) => {
            let Some(u) = db.unit(code).await? else {
                return Ok(None);
            };
            let names = db
                .procedure_names()
                .await?
                .into_iter()
                .map(|(code, (name, _, _))| (code, name))
                .collect();
            (u.name, PeriodRows::Procedure, names)
        }
        None => {
            let units = db.list_units().await?;
            let province = units
                .iter()
                .find(|u| u.parent_code.is_none() && u.kind.as_deref() == Some("tinh"))
                .map_or_else(|| "Toàn tỉnh".to_string(), |u| u.name.clone());
            let names = units.into_iter().map(|u| (u.code, u.name)).collect();
            (province, PeriodRows::Unit, names)
        }
    };
    let rows: Vec<PeriodLine> = db
        .period_figures_by(unit, period.from, period.to, Some(rows))
        .await?
        .into_iter()
        .map(|(code, figures)| PeriodLine {
            name: names.get(&code).cloned().unwrap_or_else(|| code.clone()),
            code,
            figures,
        })
        .collect();
    // The rows cover every dossier of the table: the total is their sum, not a second query.
    let total = rows
        .iter()
        .fold(parindex_domain::period::PeriodFigures::default(), |a, l| {
            a.plus(&l.figures)
        });
    Ok(Some(PeriodReport {
        scope,
        by_unit: unit.is_none(),
        period: period.label_vi(),
        range: format!("{} – {}", period.from.to_vi(), period.to.to_vi()),
        rows,
        total,
    }))
}

/// The header of a period report: the unit's, or the province committee's for every unit.
pub async fn period_letterhead(
    db: &Db,
    unit: Option<&str>,
    issue: &Issue,
) -> Result<Letterhead, DbError> {
    match unit {
        Some(u) => letterhead(db, u, issue).await,
        None => province_letterhead(db, issue).await,
    }
}
