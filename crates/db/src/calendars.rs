//! The working-day calendar kept in the database by the secretariat.

use parindex_domain::access::AuditEntry;

use crate::accounts::audit_append;
use crate::{BeginWrite, Db, Result, on_db};

/// The stored calendar: its YAML and who changed it last, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCalendar {
    pub yaml: String,
    pub updated_at: String,
    pub updated_by: String,
}

impl Db {
    /// The calendar the secretariat saved, if any.
    pub async fn stored_calendar(&self) -> Result<Option<StoredCalendar>> {
        let row: Option<(String, String, String)> = on_db!(self, pool => sqlx::query_as(
            "SELECT yaml, updated_at, updated_by FROM calendars WHERE id = 1",
        )
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|r| StoredCalendar {
            yaml: r.0,
            updated_at: r.1,
            updated_by: r.2,
        }))
    }

    /// Saves the calendar (already checked by the caller), audited with the reason.
    pub async fn save_calendar(
        &self,
        yaml: &str,
        actor: &str,
        now: &str,
        reason: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let old: Option<(String,)> = sqlx::query_as("SELECT yaml FROM calendars WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO calendars (id, yaml, updated_at, updated_by) VALUES (1, $1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET yaml = excluded.yaml, updated_at = excluded.updated_at, \
                 updated_by = excluded.updated_by",
            )
            .bind(yaml)
            .bind(now)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
            let e = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "calendar".into(),
                entity: "calendar".into(),
                old_value: old.map(|o| o.0),
                new_value: Some(yaml.to_string()),
                reason: Some(reason.to_string()).filter(|r| !r.is_empty()),
            };
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }
}

impl Db {
    /// The calendar in force: the secretariat's if saved, else the one shipped (2020–2026);
    /// with a line saying which.
    pub async fn active_calendar(&self) -> Result<(parindex_domain::calendar::Calendar, String)> {
        use parindex_domain::calendar::{SHIPPED, parse_calendar};
        if let Some(s) = self.stored_calendar().await? {
            let cal = parse_calendar("lịch đã lưu", &s.yaml)
                .map_err(|e| crate::DbError::Corrupt(e.to_string()))?;
            return Ok((
                cal,
                format!("lịch do {} cập nhật lúc {}", s.updated_by, s.updated_at),
            ));
        }
        let cal = parse_calendar("vn-2020-2026.yaml", SHIPPED)
            .map_err(|e| crate::DbError::Corrupt(e.to_string()))?;
        Ok((cal, "lịch kèm theo parindex (2020–2026)".to_string()))
    }
}

impl Db {
    /// Sets (`Some`) or removes (`None`) a unit's own calendar (already checked by the
    /// caller), audited with the reason.
    pub async fn set_unit_calendar(
        &self,
        unit: &str,
        yaml: Option<&str>,
        actor: &str,
        now: &str,
        reason: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (known,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units WHERE code = $1")
                .bind(unit)
                .fetch_one(&mut *tx)
                .await?;
            if known == 0 {
                return Err(crate::DbError::UnknownUnits(vec![(unit.to_string(), 0)]));
            }
            let old: Option<(String,)> =
                sqlx::query_as("SELECT yaml FROM unit_calendars WHERE unit_code = $1")
                    .bind(unit)
                    .fetch_optional(&mut *tx)
                    .await?;
            match yaml {
                Some(y) => {
                    sqlx::query(
                        "INSERT INTO unit_calendars (unit_code, yaml, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (unit_code) DO UPDATE SET yaml = excluded.yaml, updated_at = excluded.updated_at, \
                         updated_by = excluded.updated_by",
                    )
                    .bind(unit)
                    .bind(y)
                    .bind(now)
                    .bind(actor)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM unit_calendars WHERE unit_code = $1")
                        .bind(unit)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let e = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "calendar".into(),
                entity: format!("calendar/{unit}"),
                old_value: old.map(|o| o.0),
                new_value: yaml.map(str::to_string),
                reason: Some(reason.to_string()).filter(|r| !r.is_empty()),
            };
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    /// A unit's own calendar as saved (YAML), if it has one.
    pub async fn unit_calendar_yaml(&self, unit: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = on_db!(self, pool => sqlx::query_as(
            "SELECT yaml FROM unit_calendars WHERE unit_code = $1",
        )
        .bind(unit)
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|r| r.0))
    }

    /// The units' own calendars, parsed: unit code → calendar.
    pub async fn unit_calendars(
        &self,
    ) -> Result<std::collections::HashMap<String, parindex_domain::calendar::Calendar>> {
        let rows: Vec<(String, String)> = on_db!(self, pool => sqlx::query_as(
            "SELECT unit_code, yaml FROM unit_calendars ORDER BY unit_code",
        )
        .fetch_all(pool)
        .await?);
        let mut out = std::collections::HashMap::new();
        for (unit, yaml) in rows {
            let cal = parindex_domain::calendar::parse_calendar(&format!("lịch của {unit}"), &yaml)
                .map_err(|e| crate::DbError::Corrupt(e.to_string()))?;
            out.insert(unit, cal);
        }
        Ok(out)
    }
}

impl Db {
    /// The calendar a unit's dossiers follow: its own when one is set, else the one in force
    /// for the province.
    pub async fn calendar_of(&self, unit: &str) -> Result<parindex_domain::calendar::Calendar> {
        match self.unit_calendar_yaml(unit).await? {
            Some(yaml) => {
                parindex_domain::calendar::parse_calendar(&format!("lịch của {unit}"), &yaml)
                    .map_err(|e| crate::DbError::Corrupt(e.to_string()))
            }
            None => Ok(self.active_calendar().await?.0),
        }
    }
}
