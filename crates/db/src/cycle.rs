//! The cycle of a set: phase, windows, extensions, submission.

use parindex_domain::access::AuditEntry;
use parindex_domain::cycle::Phase;

use crate::accounts::{audit_append, bump_version};
use crate::{BeginWrite, Db, DbError, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseWindow {
    pub phase: Phase,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub unit_code: String,
    pub phase: Phase,
    pub until_on: String,
    pub reason: String,
    pub granted_by: String,
}

/// One unit's progress in a set's cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub unit_code: String,
    pub unit_name: String,
    pub leaves_scored: i64,
    pub submitted_at: Option<String>,
}

impl Db {
    /// The set's phase; `None` when no cycle was opened (a draft).
    pub async fn phase(&self, set_id: &str) -> Result<Option<Phase>> {
        let row: Option<(String,)> = on_db!(self, pool =>
            sqlx::query_as("SELECT phase FROM cycles WHERE set_id = $1").bind(set_id).fetch_optional(pool).await?);
        Ok(row.and_then(|(p,)| Phase::parse(&p)))
    }

    /// Moves the set to `phase` (recorded in the audit trail).
    pub async fn set_phase(
        &self,
        set_id: &str,
        phase: Phase,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        self.set_phase_with_reason(set_id, phase, actor, now, None)
            .await
    }

    /// Moves the set to `phase`, with the reason recorded in the audit trail (a move
    /// backwards or a reopened publication carries one).
    pub async fn set_phase_with_reason(
        &self,
        set_id: &str,
        phase: Phase,
        actor: &str,
        now: &str,
        reason: Option<&str>,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM criteria_sets WHERE id = $1")
                .bind(set_id).fetch_optional(&mut *tx).await?;
            if exists.is_none() {
                return Err(DbError::UnknownSet(set_id.to_string()));
            }
            let old: Option<(String,)> = sqlx::query_as("SELECT phase FROM cycles WHERE set_id = $1")
                .bind(set_id).fetch_optional(&mut *tx).await?;
            if old.as_ref().map(|(p,)| p.as_str()) == Some(phase.as_str()) {
                return Ok(());
            }
            sqlx::query(
                "INSERT INTO cycles (set_id, phase, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (set_id) DO UPDATE SET phase = excluded.phase, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )
            .bind(set_id).bind(phase.as_str()).bind(now).bind(actor)
            .execute(&mut *tx).await?;
            bump_version!(tx, set_id);
            let e = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "phase".into(),
                entity: format!("set/{set_id}"),
                old_value: old.map(|(p,)| p),
                new_value: Some(phase.as_str().to_string()),
                reason: reason.map(str::to_string),
            };
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn set_window(
        &self,
        set_id: &str,
        w: &PhaseWindow,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO phase_windows (set_id, phase, opens_on, closes_on) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (set_id, phase) DO UPDATE SET opens_on = excluded.opens_on, closes_on = excluded.closes_on",
            )
            .bind(set_id).bind(w.phase.as_str()).bind(&w.opens_on).bind(&w.closes_on)
            .execute(&mut *tx).await?;
            let e = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "phase.window".into(),
                entity: format!("set/{set_id}/{}", w.phase.as_str()),
                old_value: None,
                new_value: Some(format!("{} → {}", w.opens_on.as_deref().unwrap_or("-"), w.closes_on.as_deref().unwrap_or("-"))),
                reason: None,
            };
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn windows(&self, set_id: &str) -> Result<Vec<PhaseWindow>> {
        let rows: Vec<(String, Option<String>, Option<String>)> = on_db!(self, pool =>
            sqlx::query_as("SELECT phase, opens_on, closes_on FROM phase_windows WHERE set_id = $1")
                .bind(set_id).fetch_all(pool).await?);
        let mut out: Vec<PhaseWindow> = rows
            .into_iter()
            .filter_map(|(p, o, c)| {
                Phase::parse(&p).map(|phase| PhaseWindow {
                    phase,
                    opens_on: o,
                    closes_on: c,
                })
            })
            .collect();
        out.sort_by_key(|w| w.phase);
        Ok(out)
    }

    pub async fn grant_extension(&self, set_id: &str, x: &Extension, now: &str) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO extensions (set_id, unit_code, phase, until_on, reason, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (set_id, unit_code, phase) DO UPDATE SET until_on = excluded.until_on, reason = excluded.reason, \
                 granted_by = excluded.granted_by, granted_at = excluded.granted_at",
            )
            .bind(set_id).bind(&x.unit_code).bind(x.phase.as_str()).bind(&x.until_on).bind(&x.reason).bind(&x.granted_by).bind(now)
            .execute(&mut *tx).await?;
            let e = AuditEntry {
                at: now.to_string(),
                actor: x.granted_by.clone(),
                action: "phase.extension".into(),
                entity: format!("{set_id}/{}", x.unit_code),
                old_value: None,
                new_value: Some(format!("{} đến {}", x.phase.as_str(), x.until_on)),
                reason: Some(x.reason.clone()),
            };
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn extension(
        &self,
        set_id: &str,
        unit: &str,
        phase: Phase,
    ) -> Result<Option<Extension>> {
        let row: Option<(String, String, String)> = on_db!(self, pool =>
            sqlx::query_as("SELECT until_on, reason, granted_by FROM extensions WHERE set_id = $1 AND unit_code = $2 AND phase = $3")
                .bind(set_id).bind(unit).bind(phase.as_str()).fetch_optional(pool).await?);
        Ok(row.map(|(u, r, g)| Extension {
            unit_code: unit.to_string(),
            phase,
            until_on: u,
            reason: r,
            granted_by: g,
        }))
    }

    pub async fn extensions(&self, set_id: &str) -> Result<Vec<Extension>> {
        let rows: Vec<(String, String, String, String, String)> = on_db!(self, pool =>
            sqlx::query_as("SELECT unit_code, phase, until_on, reason, granted_by FROM extensions WHERE set_id = $1 ORDER BY unit_code, phase")
                .bind(set_id).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .filter_map(|(u, p, until, r, g)| {
                Phase::parse(&p).map(|phase| Extension {
                    unit_code: u,
                    phase,
                    until_on: until,
                    reason: r,
                    granted_by: g,
                })
            })
            .collect())
    }

    /// Every unit of the set's group with its progress (units without an assessment show 0).
    pub async fn progress(&self, set_id: &str) -> Result<Vec<Progress>> {
        // Units of the set's level take part, whether they saved anything yet or not.
        let sql = "SELECT u.code, u.name, \
                   COALESCE((SELECT COUNT(*) FROM leaf_scores l WHERE l.assessment_id = a.id AND (l.self_points IS NOT NULL OR l.input IS NOT NULL OR l.not_applicable IS NOT NULL)), 0), \
                   a.submitted_at \
                   FROM units u JOIN criteria_sets s ON s.id = $1 \
                   LEFT JOIN assessments a ON a.set_id = s.id AND a.unit_code = u.code \
                   WHERE u.grp = s.level OR a.id IS NOT NULL ORDER BY u.code";
        let rows: Vec<(String, String, i64, Option<String>)> = on_db!(self, pool =>
            sqlx::query_as(sql).bind(set_id).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| Progress {
                unit_code: r.0,
                unit_name: r.1,
                leaves_scored: r.2,
                submitted_at: r.3,
            })
            .collect())
    }
}

impl Db {
    /// Gives a leaf to a division of the unit (or takes it back with `None`).
    pub async fn set_delegation(
        &self,
        set_id: &str,
        unit: &str,
        code: &str,
        division: Option<&str>,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if let Some(d) = division {
                let parent: Option<(Option<String>,)> = sqlx::query_as("SELECT parent_code FROM units WHERE code = $1")
                    .bind(d).fetch_optional(&mut *tx).await?;
                if parent.and_then(|(p,)| p).as_deref() != Some(unit) {
                    return Err(DbError::Conflict(format!("`{d}` không phải là phòng của đơn vị {unit}")));
                }
                sqlx::query(
                    "INSERT INTO delegations (set_id, unit_code, criterion_code, division_code, delegated_by, delegated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (set_id, unit_code, criterion_code) DO UPDATE SET division_code = excluded.division_code, \
                     delegated_by = excluded.delegated_by, delegated_at = excluded.delegated_at",
                )
                .bind(set_id).bind(unit).bind(code).bind(d).bind(actor).bind(now)
                .execute(&mut *tx).await?;
            } else {
                sqlx::query("DELETE FROM delegations WHERE set_id = $1 AND unit_code = $2 AND criterion_code = $3")
                    .bind(set_id).bind(unit).bind(code).execute(&mut *tx).await?;
            }
            let e = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "delegation".into(),
                entity: format!("{set_id}/{unit}/{code}"),
                old_value: None,
                new_value: Some(division.unwrap_or("-").to_string()),
                reason: None,
            };
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    /// (criterion code, division code) of a unit in a set.
    pub async fn delegations(&self, set_id: &str, unit: &str) -> Result<Vec<(String, String)>> {
        Ok(on_db!(self, pool =>
            sqlx::query_as("SELECT criterion_code, division_code FROM delegations WHERE set_id = $1 AND unit_code = $2 ORDER BY criterion_code")
                .bind(set_id).bind(unit).fetch_all(pool).await?))
    }

    /// The divisions (child units) of a unit.
    pub async fn divisions(&self, unit: &str) -> Result<Vec<(String, String)>> {
        Ok(on_db!(self, pool =>
            sqlx::query_as("SELECT code, name FROM units WHERE parent_code = $1 ORDER BY code")
                .bind(unit).fetch_all(pool).await?))
    }

    /// Replaces the fields or criteria an appraiser is assigned (empty: all).
    pub async fn set_appraiser_scopes(
        &self,
        username: &str,
        prefixes: &[String],
        actor: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM appraiser_scopes WHERE username = $1").bind(username).execute(&mut *tx).await?;
            for p in prefixes {
                sqlx::query("INSERT INTO appraiser_scopes (username, code_prefix) VALUES ($1, $2) ON CONFLICT (username, code_prefix) DO NOTHING")
                    .bind(username).bind(p).execute(&mut *tx).await?;
            }
            let e = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "appraiser.scope".into(),
                entity: format!("user/{username}"),
                old_value: None,
                new_value: Some(if prefixes.is_empty() { "*".to_string() } else { prefixes.join(", ") }),
                reason: None,
            };
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn appraiser_scopes(&self, username: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_db!(self, pool =>
            sqlx::query_as("SELECT code_prefix FROM appraiser_scopes WHERE username = $1 ORDER BY code_prefix")
                .bind(username).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
