//! Stored mappings between two years' criteria (`parindex_domain::mapping`).

use parindex_domain::CriteriaSet;
use parindex_domain::mapping::{How, Match, in_force};

use crate::accounts::audit_append;
use crate::{BeginWrite, Db, Result, on_db};

fn describe(m: &Match) -> String {
    format!(
        "{} ({}, {}%)",
        m.from.as_deref().unwrap_or("-"),
        m.how.as_str(),
        m.similarity
    )
}

impl Db {
    /// The earlier sets of `to`'s level, newest first (the candidates to map from).
    pub async fn earlier_sets(&self, to: &CriteriaSet) -> Result<Vec<crate::SetSummary>> {
        let mut sets: Vec<_> = self
            .list_sets()
            .await?
            .into_iter()
            .filter(|s| s.level == to.level.as_str() && s.year < i64::from(to.year))
            .collect();
        sets.sort_by(|a, b| b.year.cmp(&a.year).then(b.id.cmp(&a.id)));
        Ok(sets)
    }

    /// The newest earlier set of `to`'s level in which `unit` has an assessment.
    pub async fn previous_assessment(
        &self,
        to: &CriteriaSet,
        unit: &str,
    ) -> Result<Option<CriteriaSet>> {
        for s in self.earlier_sets(to).await? {
            if let Some(set) = self.load_set(&s.id).await?
                && self.load_unit_scores(&set, unit).await?.is_some()
            {
                return Ok(Some(set));
            }
        }
        Ok(None)
    }

    /// The mapping in force from `from` to `to`: the stored rows, the proposal elsewhere.
    pub async fn mapping_in_force(
        &self,
        from: &CriteriaSet,
        to: &CriteriaSet,
    ) -> Result<Vec<Match>> {
        let stored = self.stored_mapping(&from.id, &to.id).await?;
        Ok(in_force(from, to, &stored))
    }

    /// The rows stored for `from` → `to`, in code order.
    pub async fn stored_mapping(&self, from: &str, to: &str) -> Result<Vec<Match>> {
        let sql = "SELECT to_code, from_code, how, similarity FROM criteria_mappings \
                   WHERE from_set = $1 AND to_set = $2 ORDER BY to_code";
        let rows: Vec<(String, Option<String>, String, i64)> =
            on_db!(self, pool => sqlx::query_as(sql).bind(from).bind(to).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(to, from, how, similarity)| Match {
                to,
                from,
                how: How::parse(&how).unwrap_or(How::Manual),
                similarity: u8::try_from(similarity.clamp(0, 100)).unwrap_or(0),
            })
            .collect())
    }

    /// Stores rows of the mapping `from` → `to`, each changed row audited; `keep_manual`
    /// leaves a person's choices alone (storing a proposal). Returns the rows changed.
    pub async fn save_mapping(
        &self,
        from: &str,
        to: &str,
        rows: &[Match],
        keep_manual: bool,
        actor: &str,
        now: &str,
    ) -> Result<usize> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut changed = 0;
            for m in rows {
                let old: Option<(Option<String>, String, i64)> = sqlx::query_as(
                    "SELECT from_code, how, similarity FROM criteria_mappings WHERE from_set = $1 AND to_set = $2 AND to_code = $3",
                )
                .bind(from).bind(to).bind(&m.to).fetch_optional(&mut *tx).await?;
                let old = old.map(|(f, how, s)| Match {
                    to: m.to.clone(),
                    from: f,
                    how: How::parse(&how).unwrap_or(How::Manual),
                    similarity: u8::try_from(s.clamp(0, 100)).unwrap_or(0),
                });
                if old.as_ref() == Some(m)
                    || (keep_manual && old.as_ref().is_some_and(|o| o.how == How::Manual))
                {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO criteria_mappings (from_set, to_set, to_code, from_code, how, similarity, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (from_set, to_set, to_code) DO UPDATE SET \
                     from_code = excluded.from_code, how = excluded.how, similarity = excluded.similarity, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(from).bind(to).bind(&m.to).bind(&m.from).bind(m.how.as_str())
                .bind(i64::from(m.similarity)).bind(actor).bind(now)
                .execute(&mut *tx).await?;
                let e = crate::repo::entry(
                    actor,
                    now,
                    "mapping",
                    format!("mapping/{from}/{to}/{}", m.to),
                    old.as_ref().map(describe),
                    Some(describe(m)),
                );
                audit_append!(tx, &e);
                changed += 1;
            }
            tx.commit().await?;
            Ok(changed)
        })
    }
}
