//! Importing a dossier file (the contract's CSV) in one streaming pass — each row checked,
//! the valid ones stored as they come inside one transaction, rolled back at the end when
//! the import is all-or-nothing and a row was bad — shared by `parindex dossiers import` and
//! the upload page. Memory does not grow with the file on a SQLite file (the database finds
//! the rows a file holds twice); elsewhere the pass keeps 16 bytes a row for that.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use parindex_domain::calendar::{Calendar, Instant};
use parindex_domain::dossiers::{
    ColumnMap, DossierReader, DossierRow, Outcome, Status, classify, has_timely_apology,
};

use crate::{Db, DossierRecord, FigureChange, ProcedureBrief, Result, WriteAccess};

/// Everything the import checks a row against.
pub struct ImportContext {
    cal: Calendar,
    /// Units with a calendar of their own; the others follow `cal`.
    unit_cals: HashMap<String, Calendar>,
    units: HashSet<String>,
    procedures: HashMap<String, ProcedureBrief>,
    /// The one unit whose dossiers this import may hold (an upload on a unit's page).
    only_unit: Option<String>,
}

/// The years a dossier may be received in.
pub const RECEIVED_YEARS: std::ops::RangeInclusive<i32> = 1990..=2099;

impl ImportContext {
    /// The calendar with the stored units and procedures.
    pub async fn load(db: &Db, cal: Calendar) -> Result<ImportContext> {
        Ok(ImportContext {
            cal,
            unit_cals: db.unit_calendars().await?,
            units: db.list_units().await?.into_iter().map(|u| u.code).collect(),
            procedures: db.procedure_briefs().await?,
            only_unit: None,
        })
    }

    /// Restricts the import to one unit's dossiers: a row of another unit is a line error.
    #[must_use]
    pub fn only_for(self, unit: &str) -> ImportContext {
        ImportContext {
            only_unit: Some(unit.to_string()),
            ..self
        }
    }

    pub fn calendar(&self) -> &Calendar {
        &self.cal
    }

    /// The calendar a unit's dossiers are counted by: its own, else the province's.
    pub fn calendar_of(&self, unit: &str) -> &Calendar {
        self.unit_cals.get(unit).unwrap_or(&self.cal)
    }

    /// The row ready to store, or the reasons it cannot be (`FILE:LINE: column: message`).
    pub fn record(
        &self,
        file: &str,
        row: DossierRow,
    ) -> std::result::Result<DossierRecord, Vec<String>> {
        let mut reasons = Vec::new();
        let cal = self.calendar_of(&row.unit_code);
        let at = |col: &str, m: String| format!("{file}:{}: {col}: {m}", row.line);
        if !self.units.contains(&row.unit_code) {
            reasons.push(at(
                "unit_code",
                format!("đơn vị `{}` chưa có trong danh sách", row.unit_code),
            ));
        }
        if let Some(only) = &self.only_unit
            && *only != row.unit_code
        {
            reasons.push(at(
                "unit_code",
                format!(
                    "hồ sơ của đơn vị `{}`: ở đây chỉ nhập được hồ sơ của đơn vị `{only}`",
                    row.unit_code
                ),
            ));
        }
        // A year typed wrong (0021, 2201) is refused here: on PostgreSQL each year of
        // receipt is a partition, so the years a file may hold are bounded.
        if !RECEIVED_YEARS.contains(&row.received_at.date.year) {
            reasons.push(at(
                "received_at",
                format!(
                    "năm nhận {} nằm ngoài khoảng {}–{}",
                    row.received_at.date.year,
                    RECEIVED_YEARS.start(),
                    RECEIVED_YEARS.end()
                ),
            ));
        }
        let procedure = self.procedures.get(&row.procedure_code);
        if let Some(p) = procedure
            && p.unit_code != row.unit_code
        {
            reasons.push(at(
                "procedure_code",
                format!(
                    "thủ tục `{}` thuộc đơn vị `{}`, không phải đơn vị `{}` của hồ sơ",
                    row.procedure_code, p.unit_code, row.unit_code
                ),
            ));
        }
        if procedure.is_none() {
            reasons.push(at(
                "procedure_code",
                format!(
                    "thủ tục `{}` chưa có (nhập bằng parindex procedures import)",
                    row.procedure_code
                ),
            ));
        }
        // Working days paused for supplements move the appointment, or the legal limit.
        let due = match (row.due_at, procedure) {
            (Some(d), _) if row.paused_days == 0 => Some(d),
            (Some(d), _) => match cal.shift_working_days(d, row.paused_days) {
                Ok(d) => Some(d),
                Err(e) => {
                    reasons.push(at("paused_days", e));
                    None
                }
            },
            (None, Some(p)) => match cal
                .due_by(row.received_at, p.limit_days, p.limit_unit)
                .and_then(|d| {
                    if row.paused_days == 0 {
                        Ok(d)
                    } else {
                        cal.shift_working_days(d, row.paused_days)
                    }
                }) {
                Ok(d) => Some(d),
                Err(e) => {
                    reasons.push(at("due_at", e));
                    None
                }
            },
            (None, None) => None,
        };
        // The single new date must come after the due instant, a pause included.
        if let (Some(d), Some(n)) = (due, row.new_due_at)
            && n <= d
        {
            reasons.push(at(
                "new_due_at",
                format!(
                    "ngày hẹn lại {} không sau hạn trả {} (đã tính ngày tạm dừng)",
                    n.to_vi(),
                    d.to_vi()
                ),
            ));
        }
        match due {
            Some(due_at) if reasons.is_empty() => Ok(DossierRecord {
                status: if row.outcome == Some(Outcome::Withdrawn) {
                    Status::Withdrawn
                } else {
                    classify(due_at, row.finished_at, due_at)
                },
                timely_apology: has_timely_apology(cal, row.apology_at, due_at),
                // A withdrawn dossier's time is not processing time.
                used_days_milli: row
                    .finished_at
                    .filter(|_| row.outcome != Some(Outcome::Withdrawn))
                    .and_then(|f| {
                        let day = u64::from(cal.day_minutes());
                        (day > 0).then(|| cal.working_minutes(row.received_at, f) * 1000 / day)
                    }),
                due_at,
                row,
            }),
            _ => Err(reasons),
        }
    }
}

/// What to import.
pub struct ImportRequest<'a> {
    /// The CSV to read (an XLSX workbook is converted by the caller).
    pub path: &'a str,
    /// The name messages give the file (the user's file).
    pub file: &'a str,
    pub columns: &'a ColumnMap,
    /// Store the valid rows and set the others aside, instead of storing nothing.
    pub skip_invalid: bool,
    /// Who and when, for the audit of points that follow the dossiers.
    pub actor: &'a str,
    pub now: &'a str,
    pub as_of: Instant,
    /// Whether readers may use a SQLite file during the import (see [`WriteAccess`]).
    pub access: WriteAccess,
}

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStage {
    /// Rows checked so far.
    Checking(u64),
    /// Rows stored so far.
    Storing(u64),
}

/// How an import ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Data rows read.
    pub total: u64,
    pub stored: u64,
    /// Every problem, `FILE:LINE: column: message`, in file order.
    pub problems: Vec<String>,
    /// Rows with a problem.
    pub rejected: usize,
    /// Nothing was stored because of the problems (all-or-nothing, or a bad header).
    pub refused: bool,
    /// Points recomputed from the new figures.
    pub changes: Vec<FigureChange>,
}

/// A CSV cell, quoted when it must be; text a spreadsheet would take for a formula starts
/// with an apostrophe (`spreadsheet_safe`: the rejected rows are opened in one to be fixed).
pub fn csv_cell(s: &str) -> String {
    let s = parindex_domain::text::spreadsheet_safe(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn open(req: &ImportRequest<'_>) -> std::io::Result<DossierReader<BufReader<std::fs::File>>> {
    let f = std::fs::File::open(req.path)?;
    Ok(DossierReader::with_columns(
        req.file,
        BufReader::with_capacity(1 << 16, f),
        req.columns,
    ))
}

/// One rejected row: its cells, then `dòng N: reasons` in a last column.
fn rejected_line(cells: &[String], line: usize, reasons: &[String]) -> String {
    let reason = reasons
        .iter()
        .map(|r| r.split_once(": ").map_or(r.as_str(), |x| x.1))
        .collect::<Vec<_>>()
        .join("; ");
    let reason = format!("dòng {line}: {reason}");
    format!("{},{}", cells.join(","), csv_cell(&reason))
}

impl Db {
    /// Imports a dossier file. With `rejected`, the rows set aside are written there (the
    /// header, then each row with a `reason` column). IO errors on the file or on
    /// `rejected` become problems of the outcome, not errors of the database.
    pub async fn import_dossier_file<W: Write + Send>(
        &self,
        ctx: &ImportContext,
        req: &ImportRequest<'_>,
        mut rejected: Option<W>,
        progress: &mut (dyn FnMut(ImportStage) + Send),
    ) -> Result<ImportOutcome> {
        let file = req.file;
        let mut out = ImportOutcome::default();
        let refuse = |mut out: ImportOutcome, problem: String| {
            out.problems.push(problem);
            out.refused = true;
            out
        };
        let mut reader = match open(req) {
            Ok(r) => r,
            Err(e) => return Ok(refuse(out, format!("{file}: không đọc được tệp: {e}"))),
        };
        if let Some(p) = reader.header_problems() {
            out.problems = p.0.iter().map(ToString::to_string).collect();
            out.refused = true;
            return Ok(out);
        }
        let options = crate::StoreOptions {
            access: req.access,
            returned_at: reader.has_column("returned_at"),
            return_channel: reader.has_column("return_channel"),
        };
        let mut write_failed = None;
        if let Some(w) = rejected.as_mut() {
            let header: Vec<String> = reader
                .header()
                .map(|h| csv_cell(h.trim_start_matches('\u{feff}')))
                .collect();
            if let Err(e) = writeln!(w, "{},reason", header.join(",")) {
                write_failed = Some(e.to_string());
            }
        }
        // One pass: each valid row goes to the database as it is read, inside one
        // transaction; a bad row is reported (and written aside). The storing side finds the
        // rows a file holds twice. All or nothing: the rows keep going to the database after
        // a bad one (so that every row found twice is reported too) and the transaction is
        // rolled back at the end.
        let failed = AtomicBool::new(false);
        let progress = Mutex::new(progress);
        let skip = req.skip_invalid;
        let (mut total, mut rejected_count) = (0_u64, 0_usize);
        let mut problems: Vec<(usize, String)> = Vec::new();
        // The rows set aside, written in file order at the end.
        let keep_aside = rejected.is_some();
        let mut set_aside: Vec<(usize, String)> = Vec::new();
        let rows = std::iter::from_fn(|| {
            loop {
                let row = reader.next_row()?;
                total += 1;
                if total.is_multiple_of(10_000)
                    && let Ok(mut p) = progress.lock()
                {
                    (*p)(ImportStage::Checking(total));
                }
                let (line, reasons) = match row {
                    Ok(row) => {
                        let line = row.line;
                        match ctx.record(file, row) {
                            Ok(rec) => return Some(rec),
                            Err(r) => (line, r),
                        }
                    }
                    Err(p) => (
                        p.0.first().map_or(0, |x| x.line),
                        p.0.iter().map(ToString::to_string).collect(),
                    ),
                };
                failed.store(true, Ordering::Relaxed);
                if keep_aside {
                    let cells: Vec<String> = reader.last_record().map(csv_cell).collect();
                    set_aside.push((line, rejected_line(&cells, line, &reasons)));
                }
                rejected_count += 1;
                problems.extend(reasons.into_iter().map(|r| (line, r)));
            }
        });
        let stored = self
            .store_dossiers_if(
                rows,
                options,
                |n| {
                    if let Ok(mut p) = progress.lock() {
                        (*p)(ImportStage::Storing(n));
                    }
                },
                |twice| skip || (twice.is_empty() && !failed.load(Ordering::Relaxed)),
            )
            .await?;
        for d in &stored.duplicates {
            let line = d.row.line;
            let reason = format!(
                "{file}:{line}: code: mã hồ sơ {} của đơn vị {} lặp lại trong tệp",
                d.row.code, d.row.unit_code
            );
            if keep_aside {
                let cells: Vec<String> = reader
                    .cells_of(&d.row)
                    .iter()
                    .map(|c| csv_cell(c))
                    .collect();
                set_aside.push((
                    line,
                    rejected_line(&cells, line, std::slice::from_ref(&reason)),
                ));
            }
            rejected_count += 1;
            problems.push((line, reason));
        }
        // In file order (rows found twice are known only once stored).
        problems.sort_by_key(|p| p.0);
        set_aside.sort_by_key(|r| r.0);
        if let Some(w) = rejected.as_mut() {
            for (_, text) in &set_aside {
                if let Err(e) = writeln!(w, "{text}") {
                    write_failed = Some(e.to_string());
                    break;
                }
            }
        }
        let problems: Vec<String> = problems.into_iter().map(|p| p.1).collect();
        let stored = stored.stored;
        out.total = total;
        out.problems = problems;
        out.rejected = rejected_count;
        out.stored = stored;
        if let Some(mut w) = rejected.take()
            && let Err(e) = w.flush()
        {
            write_failed = Some(e.to_string());
        }
        if let Some(e) = write_failed {
            out.problems
                .push(format!("không ghi được các dòng lỗi: {e}"));
        }
        if !out.problems.is_empty() && !skip {
            out.refused = true;
            return Ok(out);
        }
        // The import itself is in the trail (the points that follow it are, leaf by leaf).
        self.audit(&parindex_domain::access::AuditEntry {
            at: req.now.to_string(),
            actor: req.actor.to_string(),
            action: "dossiers.import".into(),
            entity: format!("dossiers/{}", req.file),
            old_value: None,
            new_value: Some(format!(
                "{} dòng, {} hồ sơ đã lưu, {} dòng lỗi",
                out.total, out.stored, out.rejected
            )),
            reason: None,
        })
        .await?;
        out.changes = self
            .refresh_figure_leaves(req.as_of, req.actor, req.now)
            .await?;
        Ok(out)
    }
}
