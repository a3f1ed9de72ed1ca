//! Directives, tasks, occurrences and violations.

use parindex_domain::access::AuditEntry;
use parindex_domain::directive::Directive;
use parindex_domain::schedule::{Repeat, Schedule};
use parindex_domain::text::Date;

use crate::accounts::audit_append;
use crate::{BeginWrite, Db, DbError, Result, on_db};

/// A task to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub item_ref: Option<String>,
    pub source_line: Option<i64>,
    pub title: String,
    pub body: String,
    pub responsible: Option<String>,
    pub leads: Vec<String>,
    pub supports: Vec<String>,
    pub criteria: Vec<String>,
    pub references: Vec<String>,
    pub schedule: Schedule,
}

/// A task as listed, with its occurrences' counts as of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSummary {
    pub id: i64,
    pub directive_id: Option<i64>,
    pub source_line: Option<i64>,
    pub item_ref: Option<String>,
    pub title: String,
    pub body: String,
    pub responsible: Option<String>,
    pub repeat: Repeat,
    pub start_on: String,
    pub end_on: String,
    pub criteria: Vec<String>,
    pub references: Vec<String>,
    pub leads: Vec<String>,
    pub supports: Vec<String>,
    pub cancelled: bool,
    pub open: i64,
    pub done: i64,
    pub overdue: i64,
    pub next_due: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub id: i64,
    pub task_id: i64,
    pub due_on: String,
    pub status: String,
    pub report: Option<String>,
    pub evidence_id: Option<i64>,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub id: i64,
    pub occurrence_id: i64,
    pub task_id: i64,
    pub task_title: String,
    pub unit_code: String,
    pub person: Option<String>,
    pub due_on: String,
    pub detected_on: String,
    pub reason: Option<String>,
    pub excused: bool,
    pub done_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: i64,
    directive_id: Option<i64>,
    source_line: Option<i64>,
    item_ref: Option<String>,
    title: String,
    body: String,
    responsible: Option<String>,
    repeat_kind: String,
    repeat_a: Option<i64>,
    repeat_b: Option<i64>,
    start_on: String,
    end_on: String,
    criteria: String,
    refs: String,
    cancelled: i64,
    open_count: i64,
    done_count: i64,
    overdue_count: i64,
    next_due: Option<String>,
}

fn repeat_cols(r: Repeat) -> (&'static str, Option<i64>, Option<i64>) {
    match r {
        Repeat::Once => ("once", None, None),
        Repeat::Weekly { weekday } => ("weekly", Some(i64::from(weekday)), None),
        Repeat::Monthly { day } => ("monthly", Some(i64::from(day)), None),
        Repeat::Quarterly { day } => ("quarterly", Some(i64::from(day)), None),
        Repeat::Yearly { month, day } => ("yearly", Some(i64::from(month)), Some(i64::from(day))),
    }
}

fn repeat_from(kind: &str, a: Option<i64>, b: Option<i64>) -> Repeat {
    let n = |x: Option<i64>| u8::try_from(x.unwrap_or(1)).unwrap_or(1);
    match kind {
        "weekly" => Repeat::Weekly { weekday: n(a) },
        "monthly" => Repeat::Monthly { day: n(a) },
        "quarterly" => Repeat::Quarterly { day: n(a) },
        "yearly" => Repeat::Yearly {
            month: n(a),
            day: n(b),
        },
        _ => Repeat::Once,
    }
}

fn list(s: &str) -> Vec<String> {
    s.split('\n')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn entry(actor: &str, now: &str, action: &str, entity: String, new: String) -> AuditEntry {
    AuditEntry {
        at: now.to_string(),
        actor: actor.to_string(),
        action: action.to_string(),
        entity,
        old_value: None,
        new_value: Some(new),
        reason: None,
    }
}

impl Db {
    /// Stores a directive and creates its tasks with their occurrences, all or nothing.
    #[expect(
        clippy::too_many_arguments,
        reason = "the directive, its source, its tasks, who and when"
    )]
    pub async fn import_directive(
        &self,
        unit: &str,
        d: &Directive,
        source_text: &str,
        file_name: Option<&str>,
        tasks: &[NewTask],
        actor: &str,
        now: &str,
    ) -> Result<(i64, Vec<i64>)> {
        for t in tasks {
            check_schedule(t)?;
        }
        // Deadlines on days off move to the next working day of the calendar in force.
        let (cal, _) = self.active_calendar().await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let known: Option<(String,)> = sqlx::query_as("SELECT code FROM units WHERE code = $1").bind(unit).fetch_optional(&mut *tx).await?;
            if known.is_none() {
                return Err(DbError::UnknownUnits(vec![(unit.to_string(), 0)]));
            }
            let signer = d.signer.as_ref().map(|s| {
                [s.authority.as_deref(), s.title.as_deref(), s.name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" — ")
            });
            let (did,): (i64,) = sqlx::query_as(
                "INSERT INTO directives (unit_code, doc_type, doc_number, symbol, doc_date, subject, signer, source_text, file_name, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(unit).bind(&d.doc_type).bind(d.number.map(i64::from)).bind(&d.symbol).bind(&d.date).bind(&d.subject)
            .bind(signer).bind(source_text).bind(file_name).bind(actor).bind(now)
            .fetch_one(&mut *tx).await?;
            let e = entry(actor, now, "directive.import", format!("directive/{did}"), format!("{} · {} nhiệm vụ", d.subject.as_deref().unwrap_or("-"), tasks.len()));
            audit_append!(tx, &e);
            let mut ids = Vec::new();
            for t in tasks {
                ids.push(insert_task!(tx, unit, Some(did), t, actor, now, &cal));
            }
            tx.commit().await?;
            Ok((did, ids))
        })
    }

    /// Creates one task (not from a directive).
    pub async fn create_task(
        &self,
        unit: &str,
        t: &NewTask,
        actor: &str,
        now: &str,
    ) -> Result<i64> {
        check_schedule(t)?;
        let (cal, _) = self.active_calendar().await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id = insert_task!(tx, unit, None::<i64>, t, actor, now, &cal);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The tasks of a unit with their counts as of `today` (`YYYY-MM-DD`).
    pub async fn tasks(&self, unit: &str, today: &str) -> Result<Vec<TaskSummary>> {
        let sql = "SELECT t.id, t.directive_id, t.source_line, t.item_ref, t.title, t.body, t.responsible, t.repeat_kind, t.repeat_a, t.repeat_b, \
                   t.start_on, t.end_on, t.criteria, t.refs, t.cancelled, \
                   (SELECT COUNT(*) FROM occurrences o WHERE o.task_id = t.id AND o.status IN ('open', 'in_progress') AND o.due_on >= $2) AS open_count, \
                   (SELECT COUNT(*) FROM occurrences o WHERE o.task_id = t.id AND o.status = 'done') AS done_count, \
                   (SELECT COUNT(*) FROM occurrences o WHERE o.task_id = t.id AND o.status IN ('open', 'in_progress') AND o.due_on < $2) AS overdue_count, \
                   (SELECT MIN(o.due_on) FROM occurrences o WHERE o.task_id = t.id AND o.status IN ('open', 'in_progress')) AS next_due \
                   FROM tasks t WHERE t.unit_code = $1 ORDER BY t.id";
        let rows: Vec<TaskRow> =
            on_db!(self, pool => sqlx::query_as(sql).bind(unit).bind(today).fetch_all(pool).await?);
        let links: Vec<(i64, String, String)> = on_db!(self, pool =>
            sqlx::query_as("SELECT tu.task_id, tu.unit_code, tu.role FROM task_units tu JOIN tasks t ON t.id = tu.task_id WHERE t.unit_code = $1 ORDER BY tu.task_id, tu.unit_code")
                .bind(unit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| TaskSummary {
                leads: links
                    .iter()
                    .filter(|l| l.0 == r.id && l.2 == "lead")
                    .map(|l| l.1.clone())
                    .collect(),
                supports: links
                    .iter()
                    .filter(|l| l.0 == r.id && l.2 == "support")
                    .map(|l| l.1.clone())
                    .collect(),
                repeat: repeat_from(&r.repeat_kind, r.repeat_a, r.repeat_b),
                criteria: list(&r.criteria),
                references: list(&r.refs),
                cancelled: r.cancelled != 0,
                id: r.id,
                directive_id: r.directive_id,
                source_line: r.source_line,
                item_ref: r.item_ref,
                title: r.title,
                body: r.body,
                responsible: r.responsible,
                start_on: r.start_on,
                end_on: r.end_on,
                open: r.open_count,
                done: r.done_count,
                overdue: r.overdue_count,
                next_due: r.next_due,
            })
            .collect())
    }

    pub async fn occurrences(&self, task_id: i64) -> Result<Vec<Occurrence>> {
        let rows: Vec<(
            i64,
            i64,
            String,
            String,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<String>,
        )> = on_db!(self, pool =>
            sqlx::query_as("SELECT id, task_id, due_on, status, report, evidence_id, done_at, done_by FROM occurrences WHERE task_id = $1 ORDER BY due_on")
                .bind(task_id).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| Occurrence {
                id: r.0,
                task_id: r.1,
                due_on: r.2,
                status: r.3,
                report: r.4,
                evidence_id: r.5,
                done_at: r.6,
                done_by: r.7,
            })
            .collect())
    }

    /// Open occurrences of a unit's tasks due on or before `until`, with the task's title and
    /// lead divisions: (occurrence id, task id, title, due on, leads, criteria).
    pub async fn open_occurrences(
        &self,
        unit: &str,
        until: &str,
    ) -> Result<Vec<(i64, i64, String, String, Vec<String>, Vec<String>)>> {
        let rows: Vec<(i64, i64, String, String, String)> = on_db!(self, pool =>
            sqlx::query_as(
                "SELECT o.id, t.id, t.title, o.due_on, t.criteria FROM occurrences o JOIN tasks t ON t.id = o.task_id \
                 WHERE t.unit_code = $1 AND t.cancelled = 0 AND o.status IN ('open', 'in_progress') AND o.due_on <= $2 ORDER BY o.due_on, t.id",
            )
            .bind(unit).bind(until).fetch_all(pool).await?);
        let leads: Vec<(i64, String)> = on_db!(self, pool =>
            sqlx::query_as("SELECT tu.task_id, tu.unit_code FROM task_units tu JOIN tasks t ON t.id = tu.task_id WHERE t.unit_code = $1 AND tu.role = 'lead'")
                .bind(unit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(o, t, title, due, criteria)| {
                let l = leads
                    .iter()
                    .filter(|(id, _)| *id == t)
                    .map(|(_, u)| u.clone())
                    .collect();
                (o, t, title, due, l, list(&criteria))
            })
            .collect())
    }

    /// The task an occurrence belongs to.
    pub async fn occurrence_task(&self, occurrence_id: i64) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_db!(self, pool =>
            sqlx::query_as("SELECT task_id FROM occurrences WHERE id = $1").bind(occurrence_id).fetch_optional(pool).await?);
        Ok(row.map(|r| r.0))
    }

    /// A task's title.
    pub async fn task_title(&self, task_id: i64) -> Result<Option<String>> {
        let row: Option<(String,)> = on_db!(self, pool =>
            sqlx::query_as("SELECT title FROM tasks WHERE id = $1").bind(task_id).fetch_optional(pool).await?);
        Ok(row.map(|r| r.0))
    }

    /// The unit a task belongs to and the task's own units (leads and supports).
    pub async fn task_owner(&self, task_id: i64) -> Result<Option<(String, Vec<String>)>> {
        let row: Option<(String,)> = on_db!(self, pool =>
            sqlx::query_as("SELECT unit_code FROM tasks WHERE id = $1").bind(task_id).fetch_optional(pool).await?);
        let Some((unit,)) = row else { return Ok(None) };
        let units: Vec<(String,)> = on_db!(self, pool =>
            sqlx::query_as("SELECT unit_code FROM task_units WHERE task_id = $1").bind(task_id).fetch_all(pool).await?);
        Ok(Some((unit, units.into_iter().map(|u| u.0).collect())))
    }

    /// Records a progress report and closes the occurrence; a late one is also a violation.
    pub async fn complete_occurrence(
        &self,
        occurrence_id: i64,
        report: &str,
        evidence_id: Option<i64>,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        let today = now.get(..10).unwrap_or(now).to_string();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<(i64, String, String)> = sqlx::query_as("SELECT task_id, due_on, status FROM occurrences WHERE id = $1")
                .bind(occurrence_id).fetch_optional(&mut *tx).await?;
            let Some((task_id, due_on, status)) = row else {
                return Err(DbError::Conflict("không tìm thấy kỳ báo cáo".into()));
            };
            if status == "done" || status == "cancelled" {
                return Err(DbError::Conflict("kỳ này đã hoàn thành hoặc đã hủy".into()));
            }
            sqlx::query("UPDATE occurrences SET status = 'done', report = $1, evidence_id = $2, done_at = $3, done_by = $4 WHERE id = $5")
                .bind(report).bind(evidence_id).bind(now).bind(actor).bind(occurrence_id)
                .execute(&mut *tx).await?;
            if today > due_on {
                record_violation!(tx, occurrence_id, task_id, &due_on, &today, Some(format!("hoàn thành muộn ngày {today}")));
            }
            let e = entry(actor, now, "task.done", format!("task/{task_id}/{due_on}"), report.chars().take(200).collect());
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Turns every occurrence still open after its day into a violation (once). Returns how many were new.
    pub async fn sweep_violations(&self, today: &str, now: &str) -> Result<usize> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let due: Vec<(i64, i64, String)> = sqlx::query_as(
                "SELECT o.id, o.task_id, o.due_on FROM occurrences o JOIN tasks t ON t.id = o.task_id \
                 WHERE o.status IN ('open', 'in_progress') AND o.due_on < $1 AND t.cancelled = 0 \
                 AND NOT EXISTS (SELECT 1 FROM violations v WHERE v.occurrence_id = o.id) ORDER BY o.due_on, o.id",
            )
            .bind(today).fetch_all(&mut *tx).await?;
            for (occ, task, due_on) in &due {
                record_violation!(tx, *occ, *task, due_on, today, Some("quá hạn chưa hoàn thành".to_string()));
            }
            if !due.is_empty() {
                let e = entry("he-thong", now, "violations.sweep", format!("violations/{today}"), format!("{} vi phạm mới", due.len()));
                audit_append!(tx, &e);
            }
            tx.commit().await?;
            Ok(due.len())
        })
    }

    /// The violations of a unit's tasks (newest due date first).
    pub async fn violations(&self, unit: &str) -> Result<Vec<Violation>> {
        let sql = "SELECT v.id, v.occurrence_id, t.id, t.title, v.unit_code, v.person, v.due_on, v.detected_on, v.reason, v.excused, o.done_at \
                   FROM violations v JOIN occurrences o ON o.id = v.occurrence_id JOIN tasks t ON t.id = o.task_id \
                   WHERE t.unit_code = $1 ORDER BY v.due_on DESC, v.id DESC";
        type R = (
            i64,
            i64,
            i64,
            String,
            String,
            Option<String>,
            String,
            String,
            Option<String>,
            i64,
            Option<String>,
        );
        let rows: Vec<R> =
            on_db!(self, pool => sqlx::query_as(sql).bind(unit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| Violation {
                id: r.0,
                occurrence_id: r.1,
                task_id: r.2,
                task_title: r.3,
                unit_code: r.4,
                person: r.5,
                due_on: r.6,
                detected_on: r.7,
                reason: r.8,
                excused: r.9 != 0,
                done_at: r.10,
            })
            .collect())
    }

    /// Marks a violation excused (or not) with the reason.
    pub async fn excuse_violation(
        &self,
        id: i64,
        excused: bool,
        reason: &str,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE violations SET excused = $1, reason = $2, decided_by = $3 WHERE id = $4")
                .bind(i64::from(excused)).bind(reason).bind(actor).bind(id)
                .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(DbError::Conflict("không tìm thấy vi phạm".into()));
            }
            let mut e = entry(actor, now, "violation.decide", format!("violation/{id}"), if excused { "excused".into() } else { "not excused".into() });
            e.reason = Some(reason.to_string());
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    /// The unit a violation's task belongs to.
    pub async fn violation_unit(&self, id: i64) -> Result<Option<String>> {
        let row: Option<(String,)> = on_db!(self, pool =>
            sqlx::query_as("SELECT t.unit_code FROM violations v JOIN occurrences o ON o.id = v.occurrence_id JOIN tasks t ON t.id = o.task_id WHERE v.id = $1")
                .bind(id).fetch_optional(pool).await?);
        Ok(row.map(|r| r.0))
    }

    /// Number of occurrences stored (benchmarks and tests).
    pub async fn count_occurrences(&self) -> Result<i64> {
        let (n,): (i64,) = on_db!(self, pool => sqlx::query_as("SELECT COUNT(*) FROM occurrences").fetch_one(pool).await?);
        Ok(n)
    }
}

/// Inserts a task, its units and its occurrences inside transaction `$tx`; yields its id.
macro_rules! insert_task {
    ($tx:expr, $unit:expr, $directive:expr, $t:expr, $actor:expr, $now:expr, $cal:expr) => {{
        let t: &NewTask = $t;
        let (kind, a, b) = repeat_cols(t.schedule.repeat);
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO tasks (unit_code, directive_id, item_ref, source_line, title, body, responsible, repeat_kind, repeat_a, repeat_b, \
             start_on, end_on, criteria, refs, cancelled, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $16) RETURNING id",
        )
        .bind($unit).bind($directive).bind(&t.item_ref).bind(t.source_line).bind(&t.title).bind(&t.body).bind(&t.responsible)
        .bind(kind).bind(a).bind(b).bind(t.schedule.start.to_iso()).bind(t.schedule.end.to_iso())
        .bind(t.criteria.join("\n")).bind(t.references.join("\n")).bind($actor).bind($now)
        .fetch_one(&mut *$tx).await?;
        for (codes, role) in [(&t.leads, "lead"), (&t.supports, "support")] {
            for c in codes {
                sqlx::query("INSERT INTO task_units (task_id, unit_code, role) VALUES ($1, $2, $3) ON CONFLICT (task_id, unit_code) DO NOTHING")
                    .bind(id).bind(c).bind(role).execute(&mut *$tx).await?;
            }
        }
        let dates: Vec<Date> = t.schedule.due_dates(t.schedule.start, t.schedule.end, $cal);
        for d in &dates {
            sqlx::query("INSERT INTO occurrences (task_id, due_on, status) VALUES ($1, $2, 'open')")
                .bind(id).bind(d.to_iso()).execute(&mut *$tx).await?;
        }
        let e = entry($actor, $now, "task.create", format!("task/{id}"), format!("{} · {} kỳ · {}", t.title, dates.len(), t.leads.join(", ")));
        audit_append!($tx, &e);
        id
    }};
}
use insert_task;

/// Refuses a task whose schedule runs backwards or longer than `schedule::MAX_YEARS` years
/// (its occurrences are all stored).
fn check_schedule(t: &NewTask) -> Result<()> {
    t.schedule.check().map_err(|e| {
        DbError::Conflict(match &t.item_ref {
            Some(r) => format!("mục {r}: {e}"),
            None => format!("{}: {e}", t.title),
        })
    })
}

/// Records a violation for an occurrence inside transaction `$tx` (once per occurrence).
macro_rules! record_violation {
    ($tx:expr, $occ:expr, $task:expr, $due:expr, $today:expr, $reason:expr) => {{
        let lead: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT COALESCE((SELECT tu.unit_code FROM task_units tu WHERE tu.task_id = t.id AND tu.role = 'lead' ORDER BY tu.unit_code LIMIT 1), t.unit_code), \
             t.responsible FROM tasks t WHERE t.id = $1",
        )
        .bind($task).fetch_optional(&mut *$tx).await?;
        let (unit, person) = lead.unwrap_or_default();
        sqlx::query(
            "INSERT INTO violations (occurrence_id, unit_code, person, due_on, detected_on, reason, excused) VALUES ($1, $2, $3, $4, $5, $6, 0) \
             ON CONFLICT (occurrence_id) DO NOTHING",
        )
        .bind($occ).bind(&unit).bind(&person).bind($due).bind($today).bind($reason)
        .execute(&mut *$tx).await?;
    }};
}
use record_violation;

/// A person a notice can go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub occurrence_id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub created_at: String,
    pub acknowledged_at: Option<String>,
}

impl Db {
    pub async fn set_user_email(
        &self,
        username: &str,
        email: Option<&str>,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE users SET email = $1 WHERE username = $2")
                .bind(email).bind(username).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(DbError::Conflict(format!("không có tài khoản `{username}`")));
            }
            let e = entry(actor, now, "user.email", format!("user/{username}"), email.unwrap_or("-").to_string());
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Active accounts of `role` in `unit`.
    pub async fn recipients(&self, unit: &str, role: &str) -> Result<Vec<Recipient>> {
        let rows: Vec<(String, String, Option<String>)> = on_db!(self, pool =>
            sqlx::query_as("SELECT username, display_name, email FROM users WHERE unit_code = $1 AND role = $2 AND active = 1 ORDER BY username")
                .bind(unit).bind(role).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| Recipient {
                username: r.0,
                display_name: r.1,
                email: r.2,
            })
            .collect())
    }

    /// Open occurrences of every unit due on or before `until`:
    /// (occurrence id, task id, title, due on, unit, lead divisions).
    pub async fn open_occurrences_all(
        &self,
        until: &str,
    ) -> Result<Vec<(i64, i64, String, String, String, Vec<String>)>> {
        let rows: Vec<(i64, i64, String, String, String)> = on_db!(self, pool =>
            sqlx::query_as(
                "SELECT o.id, t.id, t.title, o.due_on, t.unit_code FROM occurrences o JOIN tasks t ON t.id = o.task_id \
                 WHERE t.cancelled = 0 AND o.status IN ('open', 'in_progress') AND o.due_on <= $1 ORDER BY o.due_on, o.id",
            )
            .bind(until).fetch_all(pool).await?);
        let leads: Vec<(i64, String)> = on_db!(self, pool =>
            sqlx::query_as("SELECT task_id, unit_code FROM task_units WHERE role = 'lead'").fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(o, t, title, due, unit)| {
                let l = leads
                    .iter()
                    .filter(|(id, _)| *id == t)
                    .map(|(_, u)| u.clone())
                    .collect();
                (o, t, title, due, unit, l)
            })
            .collect())
    }

    /// Records a notification once; `Some(id)` when it is new.
    pub async fn record_notification(
        &self,
        username: &str,
        occurrence_id: i64,
        kind: &str,
        title: &str,
        body: &str,
        now: &str,
    ) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_db!(self, pool =>
            sqlx::query_as(
                "INSERT INTO notifications (username, occurrence_id, kind, title, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (username, occurrence_id, kind) DO NOTHING RETURNING id",
            )
            .bind(username).bind(occurrence_id).bind(kind).bind(title).bind(body).bind(now)
            .fetch_optional(pool).await?);
        Ok(row.map(|r| r.0))
    }

    pub async fn mark_emailed(&self, id: i64, now: &str) -> Result<()> {
        on_db!(self, pool => sqlx::query("UPDATE notifications SET emailed_at = $1 WHERE id = $2").bind(now).bind(id).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// A user's notifications, newest first.
    pub async fn notifications(&self, username: &str) -> Result<Vec<Notification>> {
        let rows: Vec<(i64, i64, String, String, String, String, Option<String>)> = on_db!(self, pool =>
            sqlx::query_as("SELECT id, occurrence_id, kind, title, body, created_at, acknowledged_at FROM notifications WHERE username = $1 ORDER BY created_at DESC, id DESC")
                .bind(username).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| Notification {
                id: r.0,
                occurrence_id: r.1,
                kind: r.2,
                title: r.3,
                body: r.4,
                created_at: r.5,
                acknowledged_at: r.6,
            })
            .collect())
    }

    /// Acknowledges one's own notification (audited); false when it is not theirs.
    pub async fn acknowledge(&self, id: i64, username: &str, now: &str) -> Result<bool> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE notifications SET acknowledged_at = $1 WHERE id = $2 AND username = $3 AND acknowledged_at IS NULL")
                .bind(now).bind(id).bind(username).execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                let e = entry(username, now, "notification.ack", format!("notification/{id}"), "acknowledged".into());
                audit_append!(tx, &e);
            }
            tx.commit().await?;
            Ok(n > 0)
        })
    }
}

impl Db {
    /// (criterion code, division code) of a unit for a set.
    pub async fn responsibilities(
        &self,
        set_id: &str,
        unit: &str,
    ) -> Result<Vec<(String, String)>> {
        Ok(on_db!(self, pool =>
            sqlx::query_as("SELECT criterion_code, division_code FROM responsibilities WHERE set_id = $1 AND unit_code = $2 ORDER BY criterion_code")
                .bind(set_id).bind(unit).fetch_all(pool).await?))
    }

    /// Remembers which division answers for a criterion.
    pub async fn set_responsibility(
        &self,
        set_id: &str,
        unit: &str,
        code: &str,
        division: &str,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO responsibilities (set_id, unit_code, criterion_code, division_code) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (set_id, unit_code, criterion_code) DO UPDATE SET division_code = excluded.division_code",
            )
            .bind(set_id).bind(unit).bind(code).bind(division)
            .execute(&mut *tx).await?;
            let e = entry(actor, now, "responsibility", format!("{set_id}/{unit}/{code}"), division.to_string());
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }
}

impl Db {
    pub async fn add_comment(
        &self,
        task_id: i64,
        author: &str,
        body: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO task_comments (task_id, author, created_at, body) VALUES ($1, $2, $3, $4)")
                .bind(task_id).bind(author).bind(now).bind(body).execute(&mut *tx).await?;
            let e = AuditEntry {
                at: now.to_string(),
                actor: author.to_string(),
                action: "task.comment".into(),
                entity: format!("task/{task_id}"),
                old_value: None,
                new_value: Some(body.to_string()),
                reason: None,
            };
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    /// (author, at, body), oldest first.
    pub async fn comments(&self, task_id: i64) -> Result<Vec<(String, String, String)>> {
        Ok(on_db!(self, pool =>
            sqlx::query_as("SELECT author, created_at, body FROM task_comments WHERE task_id = $1 ORDER BY id")
                .bind(task_id).fetch_all(pool).await?))
    }

    /// Cancels a task (its open occurrences too) with the reason; audited.
    pub async fn cancel_task(
        &self,
        task_id: i64,
        reason: &str,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE tasks SET cancelled = 1, cancel_reason = $1 WHERE id = $2 AND cancelled = 0")
                .bind(reason).bind(task_id).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(DbError::Conflict("nhiệm vụ đã hủy hoặc không còn".into()));
            }
            sqlx::query("UPDATE occurrences SET status = 'cancelled' WHERE task_id = $1 AND status IN ('open', 'in_progress')")
                .bind(task_id).execute(&mut *tx).await?;
            let mut e = entry(actor, now, "task.cancel", format!("task/{task_id}"), "cancelled".into());
            e.reason = Some(reason.to_string());
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    /// An open occurrence is being worked on.
    pub async fn start_occurrence(&self, occurrence_id: i64, actor: &str, now: &str) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE occurrences SET status = 'in_progress' WHERE id = $1 AND status = 'open'")
                .bind(occurrence_id).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(DbError::Conflict("kỳ này không còn ở trạng thái chưa bắt đầu".into()));
            }
            let e = entry(actor, now, "task.start", format!("occurrence/{occurrence_id}"), "in_progress".into());
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Occurrences of a unit's tasks between two days, with the task's title and leads:
    /// (occurrence id, task id, title, due on, status, leads).
    pub async fn occurrences_between(
        &self,
        unit: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<(i64, i64, String, String, String, Vec<String>)>> {
        let rows: Vec<(i64, i64, String, String, String)> = on_db!(self, pool =>
            sqlx::query_as(
                "SELECT o.id, t.id, t.title, o.due_on, o.status FROM occurrences o JOIN tasks t ON t.id = o.task_id \
                 WHERE t.unit_code = $1 AND o.due_on >= $2 AND o.due_on <= $3 ORDER BY o.due_on, t.id",
            )
            .bind(unit).bind(from).bind(to).fetch_all(pool).await?);
        let leads: Vec<(i64, String)> = on_db!(self, pool =>
            sqlx::query_as("SELECT tu.task_id, tu.unit_code FROM task_units tu JOIN tasks t ON t.id = tu.task_id WHERE t.unit_code = $1 AND tu.role = 'lead'")
                .bind(unit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(o, t, title, due, status)| {
                let l = leads
                    .iter()
                    .filter(|(id, _)| *id == t)
                    .map(|(_, u)| u.clone())
                    .collect();
                (o, t, title, due, status, l)
            })
            .collect())
    }
}

/// A stored directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDirective {
    pub id: i64,
    pub unit_code: String,
    pub subject: Option<String>,
    pub symbol: Option<String>,
    pub doc_date: Option<String>,
    pub signer: Option<String>,
    pub source_text: String,
    pub file_name: Option<String>,
    pub file_sha256: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

impl Db {
    pub async fn directive(&self, id: i64) -> Result<Option<StoredDirective>> {
        type R = (
            i64,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
            String,
            String,
            Option<String>,
        );
        let row: Option<R> = on_db!(self, pool =>
            sqlx::query_as("SELECT id, unit_code, subject, symbol, doc_date, signer, source_text, file_name, created_by, created_at, file_sha256 FROM directives WHERE id = $1")
                .bind(id).fetch_optional(pool).await?);
        Ok(row.map(|r| StoredDirective {
            id: r.0,
            unit_code: r.1,
            subject: r.2,
            symbol: r.3,
            doc_date: r.4,
            signer: r.5,
            source_text: r.6,
            file_name: r.7,
            created_by: r.8,
            created_at: r.9,
            file_sha256: r.10,
        }))
    }

    /// Keeps the uploaded file of a directive (already in the file store).
    pub async fn set_directive_file(
        &self,
        id: i64,
        sha256: &str,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE directives SET file_sha256 = $1 WHERE id = $2")
                .bind(sha256).bind(id).execute(&mut *tx).await?;
            let e = entry(actor, now, "directive.file", format!("directive/{id}"), sha256.to_string());
            audit_append!(tx, &e);
            tx.commit().await?;
            Ok(())
        })
    }

    /// (task id, item ref, title, source line) of a directive's tasks.
    pub async fn directive_tasks(
        &self,
        id: i64,
    ) -> Result<Vec<(i64, Option<String>, String, Option<i64>)>> {
        Ok(on_db!(self, pool =>
            sqlx::query_as("SELECT id, item_ref, title, source_line FROM tasks WHERE directive_id = $1 ORDER BY id")
                .bind(id).fetch_all(pool).await?))
    }
}
