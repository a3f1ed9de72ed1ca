//! Repository functions. Every function runs on both databases and is exercised by the
//! conformance suite (`tests/it`).

use std::collections::HashMap;

use parindex_domain::scores::LeafScore;
use parindex_domain::text::fold;
use parindex_domain::units::UnitRow;
use parindex_domain::{CriteriaSet, Points, UnitScores, parse_criteria_yaml};

use parindex_domain::access::AuditEntry;

use crate::accounts::{audit_append, bump_all_units_version};
use crate::{BeginWrite, Db, DbError, Result, on_db};

pub(crate) fn entry(
    actor: &str,
    now: &str,
    action: &str,
    entity: String,
    old: Option<String>,
    new: Option<String>,
) -> AuditEntry {
    AuditEntry {
        at: now.to_string(),
        actor: actor.to_string(),
        action: action.to_string(),
        entity,
        old_value: old,
        new_value: new,
        reason: None,
    }
}

/// `self=1; appraised=0.5; final=-; input=-; effective=0.5`, for the audit trail.
/// A leaf's layers as the audit log records them.
pub(crate) fn describe_leaf(l: &LeafScore) -> String {
    let p = |x: Option<Points>| x.map_or_else(|| "-".to_string(), Points::to_plain);
    let mut out = format!(
        "self={}; appraised={}; final={}; input={}; effective={}",
        p(l.self_points),
        p(l.appraised),
        p(l.final_points),
        l.input.as_deref().unwrap_or("-"),
        l.effective.to_plain()
    );
    if let Some(reason) = &l.not_applicable {
        out.push_str("; không áp dụng");
        if !reason.is_empty() {
            out.push_str(": ");
            out.push_str(reason);
        }
    }
    out
}

/// A criteria set as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetSummary {
    pub id: String,
    pub name: String,
    pub year: i64,
    pub level: String,
    pub total_max: Points,
    pub leaves: i64,
    pub units_scored: i64,
    pub revision: i64,
}

/// A unit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub kind: Option<String>,
    pub group: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub merged_into: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    Created,
    Replaced,
    Unchanged,
}

/// A unit another was formed from (`how`: merged or split into it; `until`: its last day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predecessor {
    pub code: String,
    pub name: String,
    pub until: Option<String>,
    pub how: parindex_domain::reorg::Kind,
}

/// One recorded reorganisation (dates ISO; names as the units are called now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitChangeRecord {
    pub effective: String,
    pub change: String,
    pub from_code: String,
    pub from_name: String,
    pub to_code: String,
    pub to_name: String,
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnitImport {
    pub created: usize,
    pub updated: usize,
    pub renamed: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScoresImport {
    pub units: usize,
    pub leaves: usize,
}

type UnitTuple = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn unit_from(t: UnitTuple) -> Unit {
    Unit {
        code: t.0,
        name: t.1,
        parent_code: t.2,
        kind: t.3,
        group: t.4,
        valid_from: t.5,
        valid_to: t.6,
        merged_into: t.7,
    }
}

macro_rules! unit_select {
    ($rest:literal) => {
        concat!(
            "SELECT code, name, parent_code, kind, grp, valid_from, valid_to, merged_into FROM units ",
            $rest
        )
    };
}

fn opt_points(v: Option<i64>) -> Option<Points> {
    v.map(Points::from_thousandths)
}

impl Db {
    /// Stores a validated set. The same text again changes nothing; a changed set
    /// replaces the stored one only while no unit has scores against it.
    pub async fn store_criteria_set(
        &self,
        set: &CriteriaSet,
        source_yaml: &str,
        actor: &str,
        now: &str,
    ) -> Result<StoreOutcome> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let existing: Option<(String, i64)> =
                sqlx::query_as("SELECT source_yaml, revision FROM criteria_sets WHERE id = $1")
                    .bind(&set.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let mut revision = 1;
            if let Some((source, rev)) = &existing {
                if source == source_yaml {
                    return Ok(StoreOutcome::Unchanged);
                }
                let (scored,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM assessments WHERE set_id = $1")
                        .bind(&set.id)
                        .fetch_one(&mut *tx)
                        .await?;
                if scored > 0 {
                    return Err(DbError::SetInUse(set.id.clone()));
                }
                revision = rev + 1;
                sqlx::query("DELETE FROM criteria_nodes WHERE set_id = $1")
                    .bind(&set.id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM criteria_sets WHERE id = $1")
                    .bind(&set.id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO criteria_sets (id, name, year, level, legal_basis, decimals, total_max, source_yaml, revision, imported_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&set.id)
            .bind(&set.name)
            .bind(i64::from(set.year))
            .bind(set.level.as_str())
            .bind(set.legal_basis.as_deref())
            .bind(i64::from(set.precision))
            .bind(set.total_max().thousandths())
            .bind(source_yaml)
            .bind(revision)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for (i, n) in set.nodes.iter().enumerate() {
                let parent = n.parent.map(|p| set.nodes[p].code.to_string());
                sqlx::query(
                    "INSERT INTO criteria_nodes (set_id, code, ord, parent_code, name, max_points, rule_kind, owner, search_text) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&set.id)
                .bind(n.code.as_str())
                .bind(i64::try_from(i).unwrap_or(i64::MAX))
                .bind(parent)
                .bind(&n.name)
                .bind(n.max.thousandths())
                .bind(n.rule.as_ref().map(parindex_domain::Rule::kind))
                .bind(n.owner.as_deref())
                .bind(fold(&format!("{} {}", n.code, n.name)))
                .execute(&mut *tx)
                .await?;
            }
            let e = entry(
                actor,
                now,
                "criteria.import",
                format!("set/{}", set.id),
                existing.as_ref().map(|(_, rev)| format!("revision={rev}")),
                Some(format!(
                    "revision={revision}; leaves={}; total_max={}",
                    set.leaf_count(),
                    set.total_max().to_plain()
                )),
            );
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(if existing.is_some() { StoreOutcome::Replaced } else { StoreOutcome::Created })
        })
    }

    /// Every stored set, newest year first.
    pub async fn list_sets(&self) -> Result<Vec<SetSummary>> {
        let sql = "SELECT s.id, s.name, s.year, s.level, s.total_max, s.revision, \
                   (SELECT COUNT(*) FROM criteria_nodes n WHERE n.set_id = s.id AND n.rule_kind IS NOT NULL), \
                   (SELECT COUNT(*) FROM assessments a WHERE a.set_id = s.id) \
                   FROM criteria_sets s ORDER BY s.year DESC, s.id";
        let rows: Vec<(String, String, i64, String, i64, i64, i64, i64)> =
            on_db!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| SetSummary {
                id: r.0,
                name: r.1,
                year: r.2,
                level: r.3,
                total_max: Points::from_thousandths(r.4),
                revision: r.5,
                leaves: r.6,
                units_scored: r.7,
            })
            .collect())
    }

    /// The id of the newest set (by year), if any.
    pub async fn newest_set_id(&self) -> Result<Option<String>> {
        // A set nobody has scored yet has no ranking: prefer the newest with assessments, of
        // the level being assessed (a province keeps department- and commune-level sets).
        let level = self.current_level().await?;
        let sql = "SELECT s.id FROM criteria_sets s \
                   ORDER BY CASE WHEN EXISTS (SELECT 1 FROM assessments a WHERE a.set_id = s.id) THEN 0 ELSE 1 END, \
                   CASE WHEN s.level = $1 THEN 0 ELSE 1 END, s.year DESC, s.imported_at DESC, s.id LIMIT 1";
        let row: Option<(String,)> =
            on_db!(self, pool => sqlx::query_as(sql).bind(&level).fetch_optional(pool).await?);
        Ok(row.map(|r| r.0))
    }

    /// The level of the set a signed-in user's home is about (empty without sets).
    async fn current_level(&self) -> Result<String> {
        let Some(id) = self.current_set_id().await? else {
            return Ok(String::new());
        };
        let sql = "SELECT level FROM criteria_sets WHERE id = $1";
        let row: Option<(String,)> =
            on_db!(self, pool => sqlx::query_as(sql).bind(&id).fetch_optional(pool).await?);
        Ok(row.map(|r| r.0).unwrap_or_default())
    }

    /// The set a signed-in user's home is about: the newest set whose cycle is open and not
    /// yet published, else the newest published one, else the newest set.
    pub async fn current_set_id(&self) -> Result<Option<String>> {
        let sql = "SELECT s.id FROM criteria_sets s LEFT JOIN cycles c ON c.set_id = s.id \
                   ORDER BY CASE WHEN c.phase IS NOT NULL AND c.phase <> 'published' THEN 0 \
                   WHEN c.phase = 'published' THEN 1 ELSE 2 END, s.year DESC, s.imported_at DESC, s.id LIMIT 1";
        let row: Option<(String,)> =
            on_db!(self, pool => sqlx::query_as(sql).fetch_optional(pool).await?);
        Ok(row.map(|r| r.0))
    }

    /// The newest published set (by year) of the level being assessed, else of another
    /// level, else the newest set: what the home page opens.
    pub async fn home_set_id(&self) -> Result<Option<String>> {
        let level = self.current_level().await?;
        let sql = "SELECT s.id FROM criteria_sets s LEFT JOIN cycles c ON c.set_id = s.id \
                   ORDER BY CASE WHEN c.phase = 'published' THEN 0 ELSE 1 END, \
                   CASE WHEN s.level = $1 THEN 0 ELSE 1 END, s.year DESC, s.imported_at DESC, s.id LIMIT 1";
        let row: Option<(String,)> =
            on_db!(self, pool => sqlx::query_as(sql).bind(&level).fetch_optional(pool).await?);
        Ok(row.map(|r| r.0))
    }

    /// The units whose points or submission changed after the set's data version `since`.
    pub async fn units_changed_since(&self, set_id: &str, since: i64) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_db!(self, pool =>
            sqlx::query_as("SELECT unit_code FROM assessments WHERE set_id = $1 AND changed_at_version > $2 ORDER BY unit_code")
                .bind(set_id).bind(since).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The revision of a set: changes whenever its tree or its scores change.
    pub async fn set_version(&self, set_id: &str) -> Result<Option<(i64, String)>> {
        let sql = "SELECT revision, data_version FROM criteria_sets WHERE id = $1";
        let row: Option<(i64, i64)> =
            on_db!(self, pool => sqlx::query_as(sql).bind(set_id).fetch_optional(pool).await?);
        Ok(row.map(|(r, d)| (r, d.to_string())))
    }

    /// Loads a stored set by re-reading its canonical YAML.
    pub async fn load_set(&self, set_id: &str) -> Result<Option<CriteriaSet>> {
        let row: Option<(String,)> = on_db!(self, pool =>
            sqlx::query_as("SELECT source_yaml FROM criteria_sets WHERE id = $1")
                .bind(set_id)
                .fetch_optional(pool)
                .await?);
        match row {
            None => Ok(None),
            Some((yaml,)) => parse_criteria_yaml(set_id, &yaml)
                .map(Some)
                .map_err(|e| DbError::Corrupt(e.to_string())),
        }
    }

    /// Inserts or updates units by code; a changed name keeps the former one in history.
    pub async fn upsert_units(
        &self,
        rows: &[UnitRow],
        actor: &str,
        now: &str,
    ) -> Result<UnitImport> {
        self.apply_unit_changes(&[], rows, actor, now).await
    }

    /// Stores a reorganisation, all or nothing: the units' new rows (from
    /// `parindex_domain::reorg::parse_changes_csv`) and the changes themselves, so that a
    /// successor finds the units it was formed from. A name changed by a rename stops being
    /// used on the change's date; any other changed name at `now`. Recording the same change
    /// twice keeps one.
    pub async fn apply_unit_changes(
        &self,
        changes: &[parindex_domain::reorg::Change],
        rows: &[UnitRow],
        actor: &str,
        now: &str,
    ) -> Result<UnitImport> {
        use parindex_domain::reorg::Kind;
        // A renamed unit's former name was used until the change's first moment (Việt Nam).
        let renamed_on: std::collections::HashMap<&str, String> = changes
            .iter()
            .filter(|c| c.kind == Kind::Rename)
            .map(|c| {
                // 00:00 in Việt Nam is 17:00 UTC the day before (instants are stored in UTC).
                let eve = parindex_domain::schedule::from_days(c.effective.days_since_epoch() - 1);
                (c.from.as_str(), format!("{}T17:00:00Z", eve.to_iso()))
            })
            .collect();
        // The names of the time: as the units are called before this file changes them.
        let before: std::collections::HashMap<String, String> = if changes.is_empty() {
            std::collections::HashMap::new()
        } else {
            self.list_units()
                .await?
                .into_iter()
                .map(|u| (u.code, u.name))
                .collect()
        };
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut out = UnitImport::default();
            for c in changes {
                // A change recorded again keeps its first record, except a corrected name.
                let from_name = before.get(&c.from).map_or(c.from.as_str(), String::as_str);
                let done = sqlx::query(
                    "INSERT INTO unit_changes (effective, change, from_code, from_name, to_code, to_name, recorded_by, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (effective, change, from_code, to_code) \
                     DO UPDATE SET to_name = excluded.to_name WHERE unit_changes.to_name IS DISTINCT FROM excluded.to_name",
                )
                .bind(c.effective.to_iso()).bind(c.kind.as_str()).bind(&c.from).bind(from_name)
                .bind(c.to.as_deref().unwrap_or("")).bind(c.to_name.as_deref()).bind(actor).bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() > 0 {
                    let what = format!(
                        "{} {} {}",
                        c.kind.as_str(),
                        c.to.as_deref().or(c.to_name.as_deref()).unwrap_or("-"),
                        c.effective.to_iso()
                    );
                    let e = entry(actor, now, "unit.change", format!("unit/{}", c.from), None, Some(what));
                    audit_append!(tx, &e);
                }
            }
            for u in rows {
                let old: Option<(String,)> =
                    sqlx::query_as("SELECT name FROM units WHERE code = $1")
                        .bind(&u.code)
                        .fetch_optional(&mut *tx)
                        .await?;
                let from = u.valid_from.map(parindex_domain::text::Date::to_iso);
                let to = u.valid_to.map(parindex_domain::text::Date::to_iso);
                let search = fold(&format!("{} {}", u.code, u.name));
                match old {
                    None => {
                        sqlx::query(
                            "INSERT INTO units (code, name, parent_code, kind, grp, valid_from, valid_to, merged_into, search_text, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                        )
                        .bind(&u.code).bind(&u.name).bind(&u.parent_code).bind(&u.kind).bind(&u.group)
                        .bind(&from).bind(&to).bind(&u.merged_into).bind(&search).bind(now)
                        .execute(&mut *tx)
                        .await?;
                        let e = entry(actor, now, "unit.create", format!("unit/{}", u.code), None, Some(u.name.clone()));
                        audit_append!(tx, &e);
                        out.created += 1;
                    }
                    Some((old_name,)) => {
                        if old_name != u.name {
                            sqlx::query(
                                "INSERT INTO unit_names (unit_code, name, valid_until) VALUES ($1, $2, $3) \
                                 ON CONFLICT (unit_code, valid_until) DO UPDATE SET name = excluded.name",
                            )
                            .bind(&u.code).bind(&old_name)
                            .bind(renamed_on.get(u.code.as_str()).map_or(now, String::as_str))
                            .execute(&mut *tx)
                            .await?;
                            let e = entry(actor, now, "unit.rename", format!("unit/{}", u.code), Some(old_name.clone()), Some(u.name.clone()));
                            audit_append!(tx, &e);
                            out.renamed += 1;
                        }
                        sqlx::query(
                            "UPDATE units SET name = $2, parent_code = $3, kind = $4, grp = $5, valid_from = $6, valid_to = $7, \
                             merged_into = $8, search_text = $9, updated_at = $10 WHERE code = $1",
                        )
                        .bind(&u.code).bind(&u.name).bind(&u.parent_code).bind(&u.kind).bind(&u.group)
                        .bind(&from).bind(&to).bind(&u.merged_into).bind(&search).bind(now)
                        .execute(&mut *tx)
                        .await?;
                        out.updated += 1;
                    }
                }
            }
            if !rows.is_empty() || !changes.is_empty() {
                // Rankings hold the units that exist at their year's end: every set's pages
                // are computed again.
                sqlx::query("UPDATE criteria_sets SET data_version = data_version + 1")
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    pub async fn list_units(&self) -> Result<Vec<Unit>> {
        let sql = unit_select!("ORDER BY code");
        let rows: Vec<UnitTuple> = on_db!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(unit_from).collect())
    }

    /// Every unit as a row of a unit file, by code (what a unit-change file is read against).
    pub async fn unit_rows(&self) -> Result<std::collections::HashMap<String, UnitRow>> {
        let date = |s: Option<String>| s.as_deref().and_then(parindex_domain::text::Date::parse);
        Ok(self
            .list_units()
            .await?
            .into_iter()
            .map(|u| {
                let row = UnitRow {
                    valid_from: date(u.valid_from),
                    valid_to: date(u.valid_to),
                    code: u.code,
                    name: u.name,
                    parent_code: u.parent_code,
                    kind: u.kind,
                    group: u.group,
                    merged_into: u.merged_into,
                    line: 0,
                };
                (row.code.clone(), row)
            })
            .collect())
    }

    pub async fn unit(&self, code: &str) -> Result<Option<Unit>> {
        let sql = unit_select!("WHERE code = $1");
        let row: Option<UnitTuple> =
            on_db!(self, pool => sqlx::query_as(sql).bind(code).fetch_optional(pool).await?);
        Ok(row.map(unit_from))
    }

    /// Former names of a unit with the instant each stopped being used, oldest first.
    pub async fn unit_former_names(&self, code: &str) -> Result<Vec<(String, String)>> {
        let sql =
            "SELECT name, valid_until FROM unit_names WHERE unit_code = $1 ORDER BY valid_until";
        Ok(on_db!(self, pool => sqlx::query_as(sql).bind(code).fetch_all(pool).await?))
    }

    /// Stores scores for a set, all or nothing; every unit must exist.
    pub async fn import_scores(
        &self,
        set: &CriteriaSet,
        units: &[UnitScores],
        actor: &str,
        now: &str,
    ) -> Result<ScoresImport> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut missing = Vec::new();
            let mut known: Vec<(String, String, Option<String>)> = Vec::with_capacity(units.len());
            for u in units {
                let row: Option<(String, Option<String>)> =
                    sqlx::query_as("SELECT name, grp FROM units WHERE code = $1")
                        .bind(&u.unit_code)
                        .fetch_optional(&mut *tx)
                        .await?;
                match row {
                    None => missing.push((u.unit_code.clone(), u.line)),
                    Some((name, grp)) => known.push((u.unit_code.clone(), name, grp)),
                }
            }
            if !missing.is_empty() {
                return Err(DbError::UnknownUnits(missing));
            }
            let set_exists: Option<(String,)> =
                sqlx::query_as("SELECT id FROM criteria_sets WHERE id = $1")
                    .bind(&set.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if set_exists.is_none() {
                return Err(DbError::UnknownSet(set.id.clone()));
            }
            let mut out = ScoresImport::default();
            for (u, (_, stored_name, stored_grp)) in units.iter().zip(known) {
                let name = if u.unit_name.is_empty() { stored_name } else { u.unit_name.clone() };
                let grp = if u.group.is_empty() { stored_grp.unwrap_or_default() } else { u.group.clone() };
                let (aid,): (i64,) = sqlx::query_as(
                    "INSERT INTO assessments (set_id, unit_code, unit_name, grp, updated_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (set_id, unit_code) DO UPDATE SET unit_name = excluded.unit_name, grp = excluded.grp, updated_at = excluded.updated_at \
                     RETURNING id",
                )
                .bind(&set.id).bind(&u.unit_code).bind(&name).bind(&grp).bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let mut leaves: Vec<(&usize, &LeafScore)> = u.leaves.iter().collect();
                leaves.sort_by_key(|(i, _)| **i);
                for (&i, l) in leaves {
                    let code = set.nodes[i].code.as_str();
                    let old: Option<(Option<i64>, Option<i64>, Option<i64>, Option<String>, i64, Option<String>, Option<String>)> = sqlx::query_as(
                        "SELECT self_points, appraised, final_points, input, effective, note, not_applicable FROM leaf_scores \
                         WHERE assessment_id = $1 AND criterion_code = $2",
                    )
                    .bind(aid)
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let old = old.map(|o| LeafScore {
                        self_points: opt_points(o.0),
                        appraised: opt_points(o.1),
                        final_points: opt_points(o.2),
                        input: o.3,
                        effective: Points::from_thousandths(o.4),
                        note: o.5,
                        not_applicable: o.6,
                    });
                    if old.as_ref() == Some(l) {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO leaf_scores (assessment_id, criterion_code, self_points, appraised, final_points, input, effective, updated_at, note, not_applicable) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                         ON CONFLICT (assessment_id, criterion_code) DO UPDATE SET self_points = excluded.self_points, \
                         appraised = excluded.appraised, final_points = excluded.final_points, input = excluded.input, \
                         effective = excluded.effective, updated_at = excluded.updated_at, note = excluded.note, \
                         not_applicable = excluded.not_applicable",
                    )
                    .bind(aid)
                    .bind(code)
                    .bind(l.self_points.map(Points::thousandths))
                    .bind(l.appraised.map(Points::thousandths))
                    .bind(l.final_points.map(Points::thousandths))
                    .bind(l.input.as_deref())
                    .bind(l.effective.thousandths())
                    .bind(now)
                    .bind(l.note.as_deref())
                    .bind(l.not_applicable.as_deref())
                    .execute(&mut *tx)
                    .await?;
                    let e = entry(
                        actor,
                        now,
                        "points",
                        format!("{}/{}/{}", set.id, u.unit_code, code),
                        old.as_ref().map(describe_leaf),
                        Some(describe_leaf(l)),
                    );
                    audit_append!(tx, &e);
                    out.leaves += 1;
                }
                out.units += 1;
            }
            if out.leaves > 0 {
                bump_all_units_version!(tx, &set.id);
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    /// The units a set of `year` does not rank: created after the year's last day, or gone
    /// before it (merged, split, dissolved) — a reorganisation's units are ranked from the
    /// year they exist at its end.
    pub async fn units_outside_year(&self, year: i32) -> Result<std::collections::HashSet<String>> {
        let end = format!("{year}-12-31");
        let sql = "SELECT code FROM units WHERE (valid_from IS NOT NULL AND valid_from > $1) \
                   OR (valid_to IS NOT NULL AND valid_to < $1)";
        let rows: Vec<(String,)> =
            on_db!(self, pool => sqlx::query_as(sql).bind(&end).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }

    /// The units `code` was formed from — merged into it or split into it, as recorded by a
    /// unit-change file or by `merged_into` — with the last day each existed and how
    /// (`merge` or `split`), oldest first.
    pub async fn predecessors(&self, code: &str) -> Result<Vec<Predecessor>> {
        let sql = "SELECT u.code, u.name, u.valid_to, c.change FROM unit_changes c \
                   JOIN units u ON u.code = c.from_code \
                   WHERE c.to_code = $1 AND c.change IN ('merge', 'split') \
                   UNION SELECT code, name, valid_to, 'merge' FROM units WHERE merged_into = $1";
        let rows: Vec<(String, String, Option<String>, String)> =
            on_db!(self, pool => sqlx::query_as(sql).bind(code).fetch_all(pool).await?);
        let mut out: Vec<Predecessor> = Vec::new();
        for (code, name, until, how) in rows {
            let how = parindex_domain::reorg::Kind::parse(&how)
                .unwrap_or(parindex_domain::reorg::Kind::Merge);
            // A merge recorded both ways is listed once.
            if !out.iter().any(|p| p.code == code) {
                out.push(Predecessor {
                    code,
                    name,
                    until,
                    how,
                });
            }
        }
        // The same order on both databases: by last day (a unit without one last), code.
        out.sort_by(|a, b| {
            (a.until.is_none(), &a.until, &a.code).cmp(&(b.until.is_none(), &b.until, &b.code))
        });
        Ok(out)
    }

    /// The reorganisations recorded, newest first (at most `limit`).
    pub async fn unit_changes(&self, limit: i64) -> Result<Vec<UnitChangeRecord>> {
        let sql = "SELECT c.effective, c.change, c.from_code, c.from_name, c.to_code, \
                   COALESCE(c.to_name, t.name, ''), c.recorded_by, c.recorded_at FROM unit_changes c \
                   LEFT JOIN units t ON t.code = c.to_code \
                   ORDER BY c.effective DESC, c.recorded_at DESC, c.from_code, c.to_code, c.change LIMIT $1";
        type Row = (
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
        );
        let rows: Vec<Row> =
            on_db!(self, pool => sqlx::query_as(sql).bind(limit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(
                |(effective, change, from_code, from_name, to_code, to_name, by, at)| {
                    UnitChangeRecord {
                        effective,
                        change,
                        from_code,
                        from_name,
                        to_code,
                        to_name,
                        by,
                        at,
                    }
                },
            )
            .collect())
    }

    /// Every unit's layers for a set, in unit-code order.
    pub async fn load_scores(&self, set: &CriteriaSet) -> Result<Vec<UnitScores>> {
        self.load_scores_where(set, None).await
    }

    /// One unit's layers for a set (`None` when the unit has no assessment).
    pub async fn load_unit_scores(
        &self,
        set: &CriteriaSet,
        unit: &str,
    ) -> Result<Option<UnitScores>> {
        Ok(self.load_scores_where(set, Some(unit)).await?.pop())
    }

    async fn load_scores_where(
        &self,
        set: &CriteriaSet,
        unit: Option<&str>,
    ) -> Result<Vec<UnitScores>> {
        let sql = "SELECT a.unit_code, a.unit_name, a.grp, l.criterion_code, l.self_points, l.appraised, l.final_points, l.input, l.effective, l.note, l.not_applicable \
                   FROM assessments a LEFT JOIN leaf_scores l ON l.assessment_id = a.id \
                   WHERE a.set_id = $1 AND ($2 IS NULL OR a.unit_code = $2) ORDER BY a.unit_code";
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = on_db!(self, pool =>
            sqlx::query_as(sql).bind(&set.id).bind(unit).fetch_all(pool).await?);
        let mut out: Vec<UnitScores> = Vec::new();
        let mut pos: HashMap<String, usize> = HashMap::new();
        for r in rows {
            let idx = *pos.entry(r.0.clone()).or_insert_with(|| {
                out.push(UnitScores {
                    unit_code: r.0.clone(),
                    unit_name: r.1.clone(),
                    group: r.2.clone(),
                    leaves: HashMap::new(),
                    line: 0,
                });
                out.len() - 1
            });
            let Some(code) = r.3 else { continue };
            // A leaf no longer in the set (cannot happen while sets in use are frozen).
            let Some(leaf) = set.position(&code) else {
                continue;
            };
            out[idx].leaves.insert(
                leaf,
                LeafScore {
                    self_points: opt_points(r.4),
                    appraised: opt_points(r.5),
                    final_points: opt_points(r.6),
                    input: r.7,
                    note: r.9,
                    effective: opt_points(r.8).unwrap_or_default(),
                    not_applicable: r.10,
                },
            );
        }
        Ok(out)
    }

    /// Number of criteria sets (used to decide whether the demo must be loaded).
    pub async fn count_sets(&self) -> Result<i64> {
        let (n,): (i64,) = on_db!(self, pool =>
            sqlx::query_as("SELECT COUNT(*) FROM criteria_sets").fetch_one(pool).await?);
        Ok(n)
    }
}
