//! The indicators registry (`parindex_domain::indicators`): definitions, values per unit
//! and period (audited), and the leaves that read them recomputed.

use std::collections::HashMap;

use parindex_domain::access::AuditEntry;
use parindex_domain::indicators::{Aggregation, Indicator, Period, Value};
use parindex_domain::{Points, UnitScores};

use crate::accounts::audit_append;
use crate::dossiers::{FigureChange, computed_leaf};
use crate::{BeginWrite, Db, DbError, Result, on_db};

type DefRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn def_from(r: DefRow) -> Indicator {
    Indicator {
        code: r.0,
        name: r.1,
        measure: r.2,
        period: Period::parse(&r.3).unwrap_or(Period::Month),
        aggregation: Aggregation::parse(&r.4).unwrap_or(Aggregation::Sum),
        target: r.5.and_then(|t| Points::parse(&t).ok()),
        source: r.6,
    }
}

impl Db {
    /// Stores definitions (new or changed ones), each change audited. Returns how many.
    pub async fn define_indicators(
        &self,
        defs: &[Indicator],
        actor: &str,
        now: &str,
    ) -> Result<usize> {
        let before: HashMap<String, Indicator> = self
            .indicators()
            .await?
            .into_iter()
            .map(|d| (d.code.clone(), d))
            .collect();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut n = 0;
            for d in defs {
                if before.get(&d.code) == Some(d) {
                    continue;
                }
                // Values are stored by period: an indicator that has some keeps its period
                // (checked in the transaction that changes it).
                if let Some(o) = before.get(&d.code).filter(|o| o.period != d.period) {
                    let has: Option<(String,)> = sqlx::query_as(
                        "SELECT indicator FROM indicator_values WHERE indicator = $1 LIMIT 1",
                    )
                    .bind(&d.code)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if has.is_some() {
                        return Err(DbError::Conflict(format!(
                            "chỉ số `{}` đã có giá trị theo {}: không đổi sang kỳ {} được (hãy định nghĩa một mã mới)",
                            d.code,
                            o.period.label_vi(),
                            d.period.label_vi()
                        )));
                    }
                }
                sqlx::query(
                    "INSERT INTO indicators (code, name, measure, period, aggregation, target, source, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                     measure = excluded.measure, period = excluded.period, aggregation = excluded.aggregation, \
                     target = excluded.target, source = excluded.source, updated_at = excluded.updated_at",
                )
                .bind(&d.code).bind(&d.name).bind(&d.measure).bind(d.period.as_str()).bind(d.aggregation.as_str())
                .bind(d.target.map(Points::to_plain)).bind(&d.source).bind(now)
                .execute(&mut *tx).await?;
                let e = crate::repo::entry(
                    actor,
                    now,
                    "indicator.define",
                    format!("indicator/{}", d.code),
                    before.get(&d.code).map(|o| format!("{o:?}")),
                    Some(format!("{d:?}")),
                );
                audit_append!(tx, &e);
                n += 1;
            }
            tx.commit().await?;
            Ok(n)
        })
    }

    /// Whether any unit has a value of `code`.
    pub async fn has_indicator_values(&self, code: &str) -> Result<bool> {
        let sql = "SELECT indicator FROM indicator_values WHERE indicator = $1 LIMIT 1";
        let row: Option<(String,)> =
            on_db!(self, pool => sqlx::query_as(sql).bind(code).fetch_optional(pool).await?);
        Ok(row.is_some())
    }

    /// Every definition, by code.
    pub async fn indicators(&self) -> Result<Vec<Indicator>> {
        let sql = "SELECT code, name, measure, period, aggregation, target, source FROM indicators ORDER BY code";
        let rows: Vec<DefRow> = on_db!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(def_from).collect())
    }

    /// Stores values, all or nothing (every unit must exist), each change audited; `actor`
    /// is who typed or imported them. Returns how many changed.
    pub async fn set_indicator_values(
        &self,
        values: &[Value],
        actor: &str,
        now: &str,
    ) -> Result<usize> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut missing = Vec::new();
            let mut known: std::collections::HashSet<String> = std::collections::HashSet::new();
            for v in values {
                if known.contains(&v.unit_code) {
                    continue;
                }
                let row: Option<(String,)> = sqlx::query_as("SELECT code FROM units WHERE code = $1")
                    .bind(&v.unit_code).fetch_optional(&mut *tx).await?;
                if row.is_some() {
                    known.insert(v.unit_code.clone());
                } else if !missing.iter().any(|(c, _)| c == &v.unit_code) {
                    missing.push((v.unit_code.clone(), v.line));
                }
            }
            if !missing.is_empty() {
                return Err(DbError::UnknownUnits(missing));
            }
            let mut n = 0;
            for v in values {
                let old: Option<(String, Option<String>, Option<i64>)> = sqlx::query_as(
                    "SELECT value, note, evidence_id FROM indicator_values WHERE indicator = $1 AND unit_code = $2 AND period = $3",
                )
                .bind(&v.indicator).bind(&v.unit_code).bind(&v.period).fetch_optional(&mut *tx).await?;
                let new = (v.value.to_plain(), v.note.clone(), v.evidence_id);
                if old.as_ref() == Some(&new) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO indicator_values (indicator, unit_code, period, value, note, evidence_id, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (indicator, unit_code, period) DO UPDATE SET \
                     value = excluded.value, note = excluded.note, evidence_id = excluded.evidence_id, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(&v.indicator).bind(&v.unit_code).bind(&v.period).bind(&new.0).bind(&new.1).bind(new.2).bind(actor).bind(now)
                .execute(&mut *tx).await?;
                let e = AuditEntry {
                    reason: v.note.clone(),
                    ..crate::repo::entry(
                        actor,
                        now,
                        "indicator.value",
                        format!("indicator/{}/{}/{}", v.indicator, v.unit_code, v.period),
                        old.map(|o| o.0),
                        Some(new.0),
                    )
                };
                audit_append!(tx, &e);
                n += 1;
            }
            tx.commit().await?;
            Ok(n)
        })
    }

    /// Values of an indicator (or all), of a unit (or all), of a year (or all), ordered by
    /// indicator, unit, period.
    pub async fn indicator_values(
        &self,
        indicator: Option<&str>,
        unit: Option<&str>,
        year: Option<i32>,
    ) -> Result<Vec<Value>> {
        let sql = "SELECT unit_code, indicator, period, value, note, evidence_id FROM indicator_values \
                   WHERE ($1 IS NULL OR indicator = $1) AND ($2 IS NULL OR unit_code = $2) AND ($3 IS NULL OR period LIKE $3) \
                   ORDER BY indicator, unit_code, period";
        let like = year.map(|y| format!("{y}%"));
        let rows: Vec<(String, String, String, String, Option<String>, Option<i64>)> = on_db!(self, pool =>
            sqlx::query_as(sql).bind(indicator).bind(unit).bind(like).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| Value {
                unit_code: r.0,
                indicator: r.1,
                period: r.2,
                value: Points::parse(&r.3).unwrap_or_default(),
                note: r.4,
                evidence_id: r.5,
                line: 0,
            })
            .collect())
    }

    /// Recomputes every leaf that reads an indicator (`input: indicator.CODE`) from the
    /// unit's values of the set's year, for sets not yet published; audited like any points
    /// import. A unit with values and no assessment yet gets one.
    pub async fn refresh_indicator_leaves(
        &self,
        actor: &str,
        now: &str,
    ) -> Result<Vec<FigureChange>> {
        let defs: HashMap<String, Indicator> = self
            .indicators()
            .await?
            .into_iter()
            .map(|d| (d.code.clone(), d))
            .collect();
        let mut changes = Vec::new();
        for summary in self.list_sets().await? {
            let Some(set) = self.load_set(&summary.id).await? else {
                continue;
            };
            let leaves: Vec<(usize, &Indicator)> = set
                .leaves()
                .filter_map(|(i, n)| Some((i, defs.get(n.indicator.as_deref()?)?)))
                .collect();
            if leaves.is_empty()
                || self.phase(&set.id).await? == Some(parindex_domain::cycle::Phase::Published)
            {
                continue;
            }
            let values = self.indicator_values(None, None, Some(set.year)).await?;
            let mut units: Vec<UnitScores> = self.load_scores(&set).await?;
            for v in &values {
                if leaves.iter().any(|(_, d)| d.code == v.indicator)
                    && !units.iter().any(|u| u.unit_code == v.unit_code)
                {
                    units.push(UnitScores {
                        unit_code: v.unit_code.clone(),
                        unit_name: String::new(),
                        group: String::new(),
                        leaves: HashMap::new(),
                        line: 0,
                    });
                }
            }
            let mut updates = Vec::new();
            for mut unit in units {
                let mut changed = HashMap::new();
                for &(leaf, def) in &leaves {
                    let mine: Vec<(String, Points)> = values
                        .iter()
                        .filter(|v| v.unit_code == unit.unit_code && v.indicator == def.code)
                        .map(|v| (v.period.clone(), v.value))
                        .collect();
                    let Some(year_value) = def.aggregation.of_year(&mine) else {
                        continue;
                    };
                    let value = year_value.to_plain();
                    let old = unit.leaves.remove(&leaf);
                    let Some(score) = computed_leaf(&set, leaf, old, &value)? else {
                        continue;
                    };
                    changes.push(FigureChange {
                        set_id: set.id.clone(),
                        unit_code: unit.unit_code.clone(),
                        criterion: set.nodes[leaf].code.to_string(),
                        input: value,
                    });
                    changed.insert(leaf, score);
                }
                if !changed.is_empty() {
                    unit.leaves = changed;
                    updates.push(unit);
                }
            }
            if !updates.is_empty() {
                self.import_scores(&set, &updates, actor, now).await?;
            }
        }
        Ok(changes)
    }
}
