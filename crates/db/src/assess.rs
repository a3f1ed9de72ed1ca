//! Editing a unit's assessment leaf by leaf: self-assessment, appraisal, explanation,
//! with optimistic concurrency (a revision per leaf) and an audit record per change.

use parindex_domain::access::AuditEntry;
use parindex_domain::{CriteriaSet, LeafScore, Points};

use crate::accounts::{audit_append, bump_unit_version};
use crate::repo::describe_leaf;
use crate::{BeginWrite, Db, DbError, Result, on_db};

/// A leaf as stored, with who last changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLeaf {
    pub score: LeafScore,
    pub revision: i64,
    pub updated_by: Option<String>,
    pub updated_at: String,
    pub appraisal_reason: Option<String>,
    pub explanation: Option<String>,
    pub explanation_status: Option<String>,
    pub explanation_answer: Option<String>,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved {
        revision: i64,
    },
    /// Someone saved the leaf since the form was opened: nothing was written.
    Conflict {
        current: Box<StoredLeaf>,
    },
}

/// The change one save makes to a leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeafChange {
    /// The unit's own points (from its input) and note.
    SelfAssessment {
        input: Option<String>,
        self_points: Option<Points>,
        note: Option<String>,
    },
    /// The appraisers' points and, for a cut, the reason.
    Appraisal {
        appraised: Option<Points>,
        reason: Option<String>,
    },
    /// The unit contests the appraisal.
    Explanation { text: String },
    /// The appraisers' answer: `final` points when accepted.
    Answer {
        accepted: bool,
        final_points: Option<Points>,
        answer: String,
    },
    /// The secretariat marks the leaf not applicable to the unit, with the reason
    /// (`Some`), or applicable again (`None`).
    Applicability { not_applicable: Option<String> },
    /// The unit's own layer filled from last year's leaf `from` (a draft to check).
    Prefill {
        input: Option<String>,
        self_points: Option<Points>,
        note: Option<String>,
        from: String,
    },
}

type Row = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    Option<String>,
    i64,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

const SELECT_LEAF: &str = "SELECT l.self_points, l.appraised, l.final_points, l.input, l.effective, l.note, l.revision, l.updated_by, l.updated_at, \
     l.appraisal_reason, l.explanation, l.explanation_status, l.explanation_answer, l.not_applicable \
     FROM leaf_scores l JOIN assessments a ON a.id = l.assessment_id \
     WHERE a.set_id = $1 AND a.unit_code = $2 AND l.criterion_code = $3";

fn stored_from(r: Row) -> StoredLeaf {
    let p = |x: Option<i64>| x.map(Points::from_thousandths);
    StoredLeaf {
        score: LeafScore {
            self_points: p(r.0),
            appraised: p(r.1),
            final_points: p(r.2),
            input: r.3,
            effective: Points::from_thousandths(r.4),
            note: r.5,
            not_applicable: r.13,
        },
        revision: r.6,
        updated_by: r.7,
        updated_at: r.8,
        appraisal_reason: r.9,
        explanation: r.10,
        explanation_status: r.11,
        explanation_answer: r.12,
    }
}

impl Db {
    /// Every stored leaf of a unit for a set (by criterion code).
    pub async fn unit_leaves(&self, set_id: &str, unit: &str) -> Result<Vec<(String, StoredLeaf)>> {
        let sql = "SELECT l.criterion_code, l.self_points, l.appraised, l.final_points, l.input, l.effective, l.note, l.revision, l.updated_by, l.updated_at, \
                   l.appraisal_reason, l.explanation, l.explanation_status, l.explanation_answer, l.not_applicable \
                   FROM leaf_scores l JOIN assessments a ON a.id = l.assessment_id WHERE a.set_id = $1 AND a.unit_code = $2";
        type R = (
            String,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            i64,
            Option<String>,
            i64,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<R> = on_db!(self, pool => sqlx::query_as(sql).bind(set_id).bind(unit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.0,
                    stored_from((
                        r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.13, r.14,
                    )),
                )
            })
            .collect())
    }

    /// When and by whom the unit submitted its self-assessment.
    pub async fn submission(&self, set_id: &str, unit: &str) -> Result<Option<(String, String)>> {
        let row: Option<(Option<String>, Option<String>)> = on_db!(self, pool =>
            sqlx::query_as("SELECT submitted_at, submitted_by FROM assessments WHERE set_id = $1 AND unit_code = $2")
                .bind(set_id).bind(unit).fetch_optional(pool).await?);
        Ok(row.and_then(|(a, b)| a.zip(b)))
    }

    /// Applies one change to one leaf if its revision is still `expected` (0: not saved yet).
    #[expect(
        clippy::too_many_arguments,
        reason = "who, when and which revision belong to every save"
    )]
    pub async fn save_leaf(
        &self,
        set: &CriteriaSet,
        unit: &str,
        leaf: usize,
        change: &LeafChange,
        expected: i64,
        actor: &str,
        now: &str,
    ) -> Result<SaveOutcome> {
        let code = set.nodes[leaf].code.as_str().to_string();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // The assessment exists once anything is saved for the unit.
            let unit_row: Option<(String, Option<String>)> = sqlx::query_as("SELECT name, grp FROM units WHERE code = $1")
                .bind(unit).fetch_optional(&mut *tx).await?;
            let Some((unit_name, grp)) = unit_row else {
                return Err(DbError::UnknownUnits(vec![(unit.to_string(), 0)]));
            };
            let (aid,): (i64,) = sqlx::query_as(
                "INSERT INTO assessments (set_id, unit_code, unit_name, grp, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (set_id, unit_code) DO UPDATE SET updated_at = excluded.updated_at RETURNING id",
            )
            .bind(&set.id).bind(unit).bind(&unit_name).bind(grp.unwrap_or_default()).bind(now)
            .fetch_one(&mut *tx).await?;
            let current: Option<Row> = sqlx::query_as(SELECT_LEAF).bind(&set.id).bind(unit).bind(&code)
                .fetch_optional(&mut *tx).await?;
            let current = current.map(stored_from);
            let revision = current.as_ref().map_or(0, |c| c.revision);
            if revision != expected && let Some(c) = &current {
                return Ok(SaveOutcome::Conflict { current: Box::new(c.clone()) });
            }
            let old = current.as_ref().map(|c| c.score.clone()).unwrap_or_default();
            let mut next = old.clone();
            let mut reason = current.as_ref().and_then(|c| c.appraisal_reason.clone());
            let mut explanation = current.as_ref().and_then(|c| c.explanation.clone());
            let mut status = current.as_ref().and_then(|c| c.explanation_status.clone());
            let mut answer = current.as_ref().and_then(|c| c.explanation_answer.clone());
            let (action, why) = match change {
                LeafChange::SelfAssessment { input, self_points, note } => {
                    next.input.clone_from(input);
                    next.self_points = *self_points;
                    next.note.clone_from(note);
                    ("points.self", None)
                }
                LeafChange::Appraisal { appraised, reason: r } => {
                    next.appraised = *appraised;
                    reason.clone_from(r);
                    ("points.appraised", r.clone())
                }
                LeafChange::Explanation { text } => {
                    explanation = Some(text.clone());
                    status = Some("pending".into());
                    answer = None;
                    ("explanation", Some(text.clone()))
                }
                LeafChange::Answer { accepted, final_points, answer: a } => {
                    status = Some(if *accepted { "accepted" } else { "rejected" }.into());
                    answer = Some(a.clone());
                    if *accepted {
                        next.final_points = *final_points;
                    }
                    ("explanation.answer", Some(a.clone()))
                }
                LeafChange::Prefill { input, self_points, note, from } => {
                    next.input.clone_from(input);
                    next.self_points = *self_points;
                    next.note.clone_from(note);
                    ("points.prefill", Some(format!("Lấy từ năm trước: {from}")))
                }
                LeafChange::Applicability { not_applicable } => {
                    next.not_applicable.clone_from(not_applicable);
                    let action = if not_applicable.is_some() { "points.not_applicable" } else { "points.applicable" };
                    (action, not_applicable.clone())
                }
            };
            next.effective = if next.not_applicable.is_some() {
                Points::ZERO
            } else {
                next.final_points.or(next.appraised).or(next.self_points).unwrap_or_default()
            };
            let new_revision = revision + 1;
            let written = if current.is_some() {
                sqlx::query(
                    "UPDATE leaf_scores SET self_points = $1, appraised = $2, final_points = $3, input = $4, effective = $5, note = $6, \
                     appraisal_reason = $7, explanation = $8, explanation_status = $9, explanation_answer = $10, \
                     revision = $11, updated_by = $12, updated_at = $13, not_applicable = $17 \
                     WHERE assessment_id = $14 AND criterion_code = $15 AND revision = $16",
                )
                .bind(next.self_points.map(Points::thousandths)).bind(next.appraised.map(Points::thousandths))
                .bind(next.final_points.map(Points::thousandths)).bind(&next.input).bind(next.effective.thousandths())
                .bind(&next.note).bind(&reason).bind(&explanation).bind(&status).bind(&answer)
                .bind(new_revision).bind(actor).bind(now).bind(aid).bind(&code).bind(revision)
                .bind(&next.not_applicable)
                .execute(&mut *tx).await?.rows_affected()
            } else {
                sqlx::query(
                    "INSERT INTO leaf_scores (assessment_id, criterion_code, self_points, appraised, final_points, input, effective, note, \
                     appraisal_reason, explanation, explanation_status, explanation_answer, revision, updated_by, updated_at, not_applicable) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (assessment_id, criterion_code) DO NOTHING",
                )
                .bind(aid).bind(&code)
                .bind(next.self_points.map(Points::thousandths)).bind(next.appraised.map(Points::thousandths))
                .bind(next.final_points.map(Points::thousandths)).bind(&next.input).bind(next.effective.thousandths())
                .bind(&next.note).bind(&reason).bind(&explanation).bind(&status).bind(&answer)
                .bind(new_revision).bind(actor).bind(now).bind(&next.not_applicable)
                .execute(&mut *tx).await?.rows_affected()
            };
            if written == 0 {
                // Another writer got in between the read and the write.
                drop(tx);
                let c: Option<Row> = sqlx::query_as(SELECT_LEAF).bind(&set.id).bind(unit).bind(&code).fetch_optional(pool).await?;
                return match c {
                    Some(c) => Ok(SaveOutcome::Conflict { current: Box::new(stored_from(c)) }),
                    None => Err(DbError::Conflict("tiêu chí vừa được người khác thay đổi; hãy thử lại".into())),
                };
            }
            let e = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: action.to_string(),
                entity: format!("{}/{unit}/{code}", set.id),
                old_value: current.as_ref().map(|_| describe_leaf(&old)),
                new_value: Some(describe_leaf(&next)),
                reason: why,
            };
            audit_append!(tx, &e);
            bump_unit_version!(tx, &set.id, unit);
            tx.commit().await?;
            Ok(SaveOutcome::Saved { revision: new_revision })
        })
    }

    /// Marks the unit's self-assessment as submitted by its leader.
    pub async fn submit_assessment(
        &self,
        set_id: &str,
        unit: &str,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE assessments SET submitted_at = $1, submitted_by = $2, updated_at = $1 WHERE set_id = $3 AND unit_code = $4 AND submitted_at IS NULL")
                .bind(now).bind(actor).bind(set_id).bind(unit)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(DbError::Conflict("bản tự đánh giá đã được gửi hoặc chưa có điểm nào".into()));
            }
            let e = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "assessment.submit".into(),
                entity: format!("{set_id}/{unit}"),
                old_value: None,
                new_value: Some("submitted".into()),
                reason: None,
            };
            audit_append!(tx, &e);
            bump_unit_version!(tx, set_id, unit);
            tx.commit().await?;
            Ok(())
        })
    }
}
