//! The narrative parts of a unit's PAR report for a period, by section.

use parindex_domain::access::AuditEntry;

use crate::accounts::audit_append;
use crate::{BeginWrite, Db, Result, on_db};

impl Db {
    /// (section, text) of a unit's report for `period` (`2021-q2`, `2021-h1`, `2021-year`).
    pub async fn report_narrative(
        &self,
        unit: &str,
        period: &str,
    ) -> Result<Vec<(String, String)>> {
        Ok(on_db!(self, pool => sqlx::query_as(
            "SELECT section, body FROM report_narratives WHERE unit_code = $1 AND period = $2 ORDER BY section",
        )
        .bind(unit)
        .bind(period)
        .fetch_all(pool)
        .await?))
    }

    /// Replaces the narrative of a unit's report for `period` (an empty text removes its
    /// section), audited with what it was and what it is.
    pub async fn save_report_narrative(
        &self,
        unit: &str,
        period: &str,
        sections: &[(String, String)],
        actor: &str,
        now: &str,
    ) -> Result<()> {
        let describe = |rows: &[(String, String)]| {
            rows.iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let old = self.report_narrative(unit, period).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM report_narratives WHERE unit_code = $1 AND period = $2")
                .bind(unit)
                .bind(period)
                .execute(&mut *tx)
                .await?;
            for (section, body) in sections.iter().filter(|(_, b)| !b.trim().is_empty()) {
                sqlx::query(
                    "INSERT INTO report_narratives (unit_code, period, section, body, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(unit)
                .bind(period)
                .bind(section)
                .bind(body.trim())
                .bind(actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let kept: Vec<(String, String)> = sections
                .iter()
                .filter(|(_, b)| !b.trim().is_empty())
                .map(|(k, b)| (k.clone(), b.trim().to_string()))
                .collect();
            let e = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "report.narrative".into(),
                entity: format!("report/{unit}/{period}"),
                old_value: Some(describe(&old)).filter(|s| !s.is_empty()),
                new_value: Some(describe(&kept)).filter(|s| !s.is_empty()),
                reason: None,
            };
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }
}
