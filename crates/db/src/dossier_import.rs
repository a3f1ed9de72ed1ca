//! Importing a dossier file (the contract's CSV) in one streaming pass — each row checked,
//! the valid ones stored as they come inside one transaction, rolled back at the end when
//! the import is all-or-nothing and a row was bad — shared by `parindex dossiers import` and
//! the upload page. Memory stays constant whatever the file size: the pass keeps 128-bit
//! fingerprints of unit and code (for duplicates) and the problems.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use parindex_domain::calendar::{Calendar, Instant};
use parindex_domain::dossiers::{
    ColumnMap, DossierReader, DossierRow, classify, has_timely_apology,
};

use crate::{Db, DossierRecord, FigureChange, ProcedureBrief, Result};

/// Everything the import checks a row against.
pub struct ImportContext {
    cal: Calendar,
    units: HashSet<String>,
    procedures: HashMap<String, ProcedureBrief>,
}

impl ImportContext {
    /// The calendar with the stored units and procedures.
    pub async fn load(db: &Db, cal: Calendar) -> Result<ImportContext> {
        Ok(ImportContext {
            cal,
            units: db.list_units().await?.into_iter().map(|u| u.code).collect(),
            procedures: db.procedure_briefs().await?,
        })
    }

    pub fn calendar(&self) -> &Calendar {
        &self.cal
    }

    /// The row ready to store, or the reasons it cannot be (`FILE:LINE: column: message`).
    pub fn record(
        &self,
        file: &str,
        row: DossierRow,
    ) -> std::result::Result<DossierRecord, Vec<String>> {
        let mut reasons = Vec::new();
        let at = |col: &str, m: String| format!("{file}:{}: {col}: {m}", row.line);
        if !self.units.contains(&row.unit_code) {
            reasons.push(at(
                "unit_code",
                format!("đơn vị `{}` chưa có trong danh sách", row.unit_code),
            ));
        }
        let procedure = self.procedures.get(&row.procedure_code);
        if procedure.is_none() {
            reasons.push(at(
                "procedure_code",
                format!(
                    "thủ tục `{}` chưa có (nạp bằng parindex procedures import)",
                    row.procedure_code
                ),
            ));
        }
        let due = match (row.due_at, procedure) {
            (Some(d), _) => Some(d),
            (None, Some(p)) => match self.cal.due_instant(row.received_at, p.limit_days) {
                Ok(d) => Some(d),
                Err(e) => {
                    reasons.push(at("due_at", e));
                    None
                }
            },
            (None, None) => None,
        };
        match due {
            Some(due_at) if reasons.is_empty() => Ok(DossierRecord {
                status: classify(due_at, row.finished_at, due_at),
                timely_apology: has_timely_apology(&self.cal, row.apology_at, due_at),
                used_days_milli: row.finished_at.and_then(|f| {
                    let day = u64::from(self.cal.day_minutes());
                    (day > 0).then(|| self.cal.working_minutes(row.received_at, f) * 1000 / day)
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

/// Two independent 64-bit hashes of a unit and a dossier code.
fn fingerprint(unit: &str, code: &str) -> u128 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let half = |seed: u64| {
        let mut h =
            std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
                .build_hasher();
        h.write_u64(seed);
        h.write(unit.as_bytes());
        h.write_u8(0xff);
        h.write(code.as_bytes());
        h.finish()
    };
    (u128::from(half(0x5eed_0001)) << 64) | u128::from(half(0x5eed_0002))
}

/// A CSV cell, quoted when it must be.
pub fn csv_cell(s: &str) -> String {
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
        // About 75 bytes a row in the contract's CSV: enough to tell a bulk load.
        let expected_rows = std::fs::metadata(req.path).map_or(0, |m| m.len() / 75);
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
        // transaction; a bad row is reported (and written aside). All or nothing: after the
        // first bad row nothing more is sent, the rest is only checked, and the transaction
        // is rolled back at the end.
        let failed = AtomicBool::new(false);
        let progress = Mutex::new(progress);
        let skip = req.skip_invalid;
        let mut seen: HashSet<u128> = HashSet::new();
        let (mut total, mut rejected_count) = (0_u64, 0_usize);
        let mut problems: Vec<String> = Vec::new();
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
                        let key = fingerprint(&row.unit_code, &row.code);
                        match ctx.record(file, row) {
                            Ok(rec) if seen.insert(key) => {
                                if failed.load(Ordering::Relaxed) && !skip {
                                    continue;
                                }
                                return Some(rec);
                            }
                            Ok(rec) => (
                                line,
                                vec![format!(
                                    "{file}:{line}: code: mã hồ sơ {} của đơn vị {} lặp lại trong tệp",
                                    rec.row.code, rec.row.unit_code
                                )],
                            ),
                            Err(r) => (line, r),
                        }
                    }
                    Err(p) => (
                        p.0.first().map_or(0, |x| x.line),
                        p.0.iter().map(ToString::to_string).collect(),
                    ),
                };
                failed.store(true, Ordering::Relaxed);
                if let Some(w) = rejected.as_mut() {
                    let cells: Vec<String> = reader.last_record().map(csv_cell).collect();
                    let reason = reasons
                        .iter()
                        .map(|r| r.split_once(": ").map_or(r.as_str(), |x| x.1))
                        .collect::<Vec<_>>()
                        .join("; ");
                    let reason = format!("dòng {line}: {reason}");
                    if let Err(e) = writeln!(w, "{},{}", cells.join(","), csv_cell(&reason)) {
                        write_failed = Some(e.to_string());
                    }
                }
                rejected_count += 1;
                problems.extend(reasons);
            }
        });
        let stored = self
            .store_dossiers_if(
                rows,
                expected_rows,
                |n| {
                    if let Ok(mut p) = progress.lock() {
                        (*p)(ImportStage::Storing(n));
                    }
                },
                || skip || !failed.load(Ordering::Relaxed),
            )
            .await?;
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
        out.changes = self
            .refresh_figure_leaves(req.as_of, req.actor, req.now)
            .await?;
        Ok(out)
    }
}
