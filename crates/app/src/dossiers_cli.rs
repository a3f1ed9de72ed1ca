//! `parindex procedures import`, `parindex dossiers import` and `parindex dossiers stats`.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, IsTerminal as _, Write as _};

use parindex_db::{Db, DbError, DossierRecord, ProcedureBrief};
use parindex_domain::calendar::{Calendar, Instant, parse_calendar};
use parindex_domain::dossiers::{
    ColumnMap, DossierReader, DossierRow, Figures, classify, has_timely_apology, parse_column_map,
    parse_procedures_csv,
};
use parindex_domain::text::Date;

use crate::cli::{Fail, now, open_db, read_text};

pub(crate) async fn import_procedures(db_url: &str, file: &str) -> Result<(), Fail> {
    let text = if is_xlsx(file) {
        let source = Source::of(file)?;
        read_text(&source.path)?
    } else {
        read_text(file)?
    };
    let rows = parse_procedures_csv(file, &text)?;
    let db = open_db(db_url).await?;
    match db.upsert_procedures(&rows, &now()).await {
        Ok(n) => {
            println!("Đã nạp {n} thủ tục hành chính.");
            Ok(())
        }
        Err(DbError::UnknownUnits(missing)) => Err(Fail(
            1,
            missing
                .iter()
                .map(|(u, line)| format!("{file}:{line}: unit_code: đơn vị `{u}` chưa có (nạp bằng parindex units import)"))
                .collect::<Vec<_>>()
                .join("\n"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Everything the import checks a row against.
pub(crate) struct Context {
    cal: Calendar,
    units: HashSet<String>,
    procedures: HashMap<String, ProcedureBrief>,
}

impl Context {
    /// The calendar (default: the shipped one) with the stored units and procedures.
    pub(crate) async fn load(db: &Db, calendar: Option<&str>) -> Result<Context, Fail> {
        let cal = match calendar {
            Some(path) => parse_calendar(path, &read_text(path)?)?,
            None => parse_calendar("vn-2020-2026.yaml", parindex_domain::calendar::SHIPPED)?,
        };
        Ok(Context {
            cal,
            units: db.list_units().await?.into_iter().map(|u| u.code).collect(),
            procedures: db.procedure_briefs().await?,
        })
    }

    /// The row ready to store, or the reasons it cannot be.
    pub(crate) fn record(&self, file: &str, row: DossierRow) -> Result<DossierRecord, Vec<String>> {
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

/// Where the rows are read from: the file itself, or its CSV copy for an XLSX workbook
/// (removed when dropped); messages always name the user's file.
struct Source {
    path: String,
    temp: bool,
}

impl Source {
    fn of(file: &str) -> Result<Source, Fail> {
        if !is_xlsx(file) {
            return Ok(Source {
                path: file.to_string(),
                temp: false,
            });
        }
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let path = std::env::temp_dir()
            .join(format!(
                "parindex-import-{}-{}.csv",
                std::process::id(),
                N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ))
            .display()
            .to_string();
        let source = Source { path, temp: true };
        let input = std::fs::File::open(file)
            .map_err(|e| Fail(1, format!("{file}: không đọc được tệp: {e}")))?;
        let out = std::fs::File::create(&source.path)
            .map_err(|e| Fail(1, format!("{}: không ghi được tệp tạm: {e}", source.path)))?;
        parindex_reports::sheet_csv::xlsx_to_csv(
            BufReader::new(input),
            std::io::BufWriter::new(out),
        )
        .map_err(|e| Fail(1, format!("{file}: {e}")))?;
        Ok(source)
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        if self.temp {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn is_xlsx(file: &str) -> bool {
    std::path::Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

fn open(
    source: &Source,
    file: &str,
    columns: &ColumnMap,
) -> Result<DossierReader<BufReader<std::fs::File>>, Fail> {
    let f = std::fs::File::open(&source.path)
        .map_err(|e| Fail(1, format!("{file}: không đọc được tệp: {e}")))?;
    let r = DossierReader::with_columns(file, BufReader::with_capacity(1 << 16, f), columns);
    if let Some(p) = r.header_problems() {
        return Err(Fail(1, p.to_string()));
    }
    Ok(r)
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

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub(crate) async fn import_dossiers(
    db_url: &str,
    file: &str,
    calendar: Option<&str>,
    skip_invalid: bool,
    columns: Option<&str>,
) -> Result<(), Fail> {
    let columns = match columns {
        Some(path) => parse_column_map(path, &read_text(path)?)?,
        None => ColumnMap::default(),
    };
    let source = Source::of(file)?;
    let db = open_db(db_url).await?;
    let ctx = Context::load(&db, calendar).await?;
    // First pass: check every row, keep nothing but the lines to leave out.
    let mut problems: Vec<String> = Vec::new();
    let mut rejected_lines: HashSet<usize> = HashSet::new();
    let mut rejected_out: Option<std::io::BufWriter<std::fs::File>> = None;
    let rejected_path = format!("{file}.rejected.csv");
    let mut reader = open(&source, file, &columns)?;
    if skip_invalid {
        let f = std::fs::File::create(&rejected_path)
            .map_err(|e| Fail(1, format!("{rejected_path}: không ghi được tệp: {e}")))?;
        let mut w = std::io::BufWriter::new(f);
        let header: Vec<String> = reader
            .header()
            .map(|h| csv_cell(h.trim_start_matches('\u{feff}')))
            .collect();
        writeln!(w, "{},reason", header.join(",")).map_err(|e| Fail(1, e.to_string()))?;
        rejected_out = Some(w);
    }
    // Fingerprints (128 bits) of unit and code, not the strings, so that memory stays small
    // on files of millions of rows; a false duplicate needs a 128-bit collision.
    let mut seen: HashSet<u128> = HashSet::new();
    let mut total = 0u64;
    while let Some(row) = reader.next_row() {
        total += 1;
        let (line, reasons) = match row {
            Ok(row) => {
                let line = row.line;
                let key = fingerprint(&row.unit_code, &row.code);
                let label = format!("mã hồ sơ {} của đơn vị {}", row.code, row.unit_code);
                match ctx.record(file, row) {
                    Ok(_) if !seen.insert(key) => (
                        line,
                        vec![format!("{file}:{line}: code: {label} lặp lại trong tệp")],
                    ),
                    Ok(_) => continue,
                    Err(r) => (line, r),
                }
            }
            Err(p) => (
                p.0.first().map_or(0, |x| x.line),
                p.0.iter().map(ToString::to_string).collect(),
            ),
        };
        if let Some(w) = rejected_out.as_mut() {
            let cells: Vec<String> = reader.last_record().map(csv_cell).collect();
            let reason = reasons
                .iter()
                .map(|r| r.split_once(": ").map_or(r.as_str(), |x| x.1))
                .collect::<Vec<_>>()
                .join("; ");
            let reason = format!("dòng {line}: {reason}");
            writeln!(w, "{},{}", cells.join(","), csv_cell(&reason))
                .map_err(|e| Fail(1, e.to_string()))?;
        }
        rejected_lines.insert(line);
        problems.extend(reasons);
    }
    if !problems.is_empty() && !skip_invalid {
        return Err(Fail(
            1,
            format!(
                "{}\nKhông lưu hồ sơ nào: {} dòng lỗi trong {total} dòng (sửa tệp, hoặc dùng --skip-invalid để lưu các dòng đúng).",
                problems.join("\n"),
                rejected_lines.len()
            ),
        ));
    }
    if let Some(mut w) = rejected_out {
        w.flush().map_err(|e| Fail(1, e.to_string()))?;
    }
    // Second pass: store the valid rows in one transaction.
    let mut reader = open(&source, file, &columns)?;
    let valid = std::iter::from_fn(|| {
        loop {
            match reader.next_row()? {
                Ok(row) if !rejected_lines.contains(&row.line) => {
                    if let Ok(rec) = ctx.record(file, row) {
                        return Some(rec);
                    }
                }
                _ => {}
            }
        }
    });
    let terminal = std::io::stderr().is_terminal();
    let stored = db
        .store_dossiers(valid, |n| {
            if terminal {
                eprint!("\rĐã lưu {n} hồ sơ…");
            }
        })
        .await?;
    if terminal {
        eprintln!();
    }
    println!("Đã lưu {stored} hồ sơ từ {file}.");
    refresh_scores(&db).await?;
    if skip_invalid && !rejected_lines.is_empty() {
        println!(
            "Bỏ qua {} dòng lỗi, ghi kèm lý do vào {rejected_path}.",
            rejected_lines.len()
        );
    }
    Ok(())
}

/// The wall clock in Việt Nam (UTC+7, no daylight saving) as a dossier instant.
pub(crate) fn local_now() -> Instant {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        + 7 * 3600;
    Instant {
        date: parindex_domain::schedule::from_days(secs.div_euclid(86_400)),
        minute: u16::try_from(secs.rem_euclid(86_400) / 60).unwrap_or(0),
    }
}

/// Recomputes the leaves that score themselves from dossiers and says which changed.
pub(crate) async fn refresh_scores(db: &parindex_db::Db) -> Result<(), Fail> {
    let changes = db
        .refresh_figure_leaves(local_now(), &crate::cli::cli_actor(), &crate::cli::now())
        .await?;
    for c in &changes {
        println!(
            "Điểm tự tính: {} / {} / {} ← {}",
            c.set_id, c.unit_code, c.criterion, c.input
        );
    }
    Ok(())
}

fn parse_instant(s: &str) -> Result<Instant, Fail> {
    Instant::parse(s)
        .ok_or_else(|| Fail(2, format!("thời điểm `{s}` phải có dạng YYYY-MM-DD HH:MM")))
}

fn parse_date(s: &str) -> Result<Date, Fail> {
    Date::parse(s).ok_or_else(|| Fail(2, format!("ngày `{s}` phải có dạng YYYY-MM-DD")))
}

pub(crate) async fn stats(
    db_url: &str,
    unit: Option<&str>,
    from: &str,
    to: &str,
    as_of: &str,
    json: bool,
) -> Result<(), Fail> {
    let (from, to) = (parse_date(from)?, parse_date(to)?);
    let as_of = parse_instant(as_of)?;
    let db: Db = open_db(db_url).await?;
    let f: Figures = db.dossier_figures(unit, from, to, as_of).await?;
    if json {
        let v = serde_json::json!({
            "unit_code": unit,
            "from": from.to_iso(),
            "to": to.to_iso(),
            "as_of": as_of.to_iso(),
            "received": f.received,
            "finished": f.finished,
            "early": f.early,
            "on_time": f.on_time,
            "late": f.late,
            "pending": f.pending,
            "pending_overdue": f.pending_overdue,
            "late_without_apology": f.late_without_apology,
            "on_time_rate": f.on_time_rate(),
            "online_rate": f.online_rate(),
            "postal_rate": f.postal_rate(),
            "avg_processing_days": f.avg_days(),
            "avg_limit_days": f.avg_limit_days(),
            "avg_internal_days": f.avg_internal_days(),
            "time_used_rate": f.time_used_rate(),
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        let vi = |s: String| s.replace('.', ",");
        println!(
            "Hồ sơ tiếp nhận từ {} đến {} ({}), tính đến {}:",
            from.to_vi(),
            to.to_vi(),
            unit.unwrap_or("mọi đơn vị"),
            as_of.to_vi()
        );
        println!("  Tiếp nhận:                    {}", f.received);
        println!("  Đã giải quyết:                {}", f.finished);
        println!("    trước hạn:                  {}", f.early);
        println!("    đúng hạn:                   {}", f.on_time);
        println!("    trễ hạn:                    {}", f.late);
        println!("  Đang giải quyết:              {}", f.pending);
        println!("    trong đó quá hạn:           {}", f.pending_overdue);
        println!("  Trễ/quá hạn chưa xin lỗi kịp: {}", f.late_without_apology);
        println!("  Tỉ lệ đúng hạn:               {}%", vi(f.on_time_rate()));
        println!("  Tỉ lệ trực tuyến:             {}%", vi(f.online_rate()));
        println!("  Tỉ lệ qua bưu chính:          {}%", vi(f.postal_rate()));
        println!(
            "  Thời gian giải quyết TB:      {} ngày làm việc (thời hạn TB {}; nội bộ {})",
            vi(f.avg_days()),
            vi(f.avg_limit_days()),
            vi(f.avg_internal_days())
        );
        println!(
            "  So với thời hạn:              {}% (mục tiêu cắt giảm 40%: ≤ 60%)",
            vi(f.time_used_rate())
        );
    }
    Ok(())
}

/// Unfinished dossiers due within `days` working days of `as_of` (or already overdue) that
/// have no apology slip yet: the list to act on before the deadline passes.
pub(crate) async fn due_soon(
    db_url: &str,
    unit: Option<&str>,
    as_of: &str,
    days: u32,
    calendar: Option<&str>,
) -> Result<(), Fail> {
    let as_of = parse_instant(as_of)?;
    let db = open_db(db_url).await?;
    let ctx = Context::load(&db, calendar).await?;
    let until = ctx.cal.due_instant(as_of, days).map_err(|e| Fail(1, e))?;
    let list = db.dossiers_due_without_slip(unit, until).await?;
    let vi = |s: &str| Instant::parse(s).map_or_else(|| s.to_string(), Instant::to_vi);
    println!(
        "{} hồ sơ chưa có kết quả, chưa có phiếu xin lỗi, đến hạn trước {} ({days} ngày làm việc tính từ {}):",
        list.len(),
        until.to_vi(),
        as_of.to_vi()
    );
    let now = as_of.to_iso();
    for d in &list {
        let state = if d.due_at < now {
            "đã quá hạn"
        } else {
            "sắp đến hạn"
        };
        println!(
            "  {}  {}  {}  tiếp nhận {}  hạn {}  {state}",
            d.unit_code,
            d.code,
            d.procedure_code,
            vi(&d.received_at),
            vi(&d.due_at)
        );
    }
    Ok(())
}

/// What `parindex dossiers apology` was given.
pub(crate) struct SlipArgs {
    pub unit: String,
    pub code: String,
    pub reason: String,
    pub new_due: String,
    pub at: Option<String>,
    pub applicant: String,
    pub signer_title: String,
    pub signer_name: String,
    pub governing_body: String,
    pub place: String,
}

/// Records a dossier's apology slip (one re-appointment only) and writes it as DOCX.
pub(crate) async fn apology(
    db_url: &str,
    a: &SlipArgs,
    output: &str,
    calendar: Option<&str>,
) -> Result<(), Fail> {
    if a.reason.trim().is_empty() {
        return Err(Fail(2, "cần ghi lý do chậm (--reason)".into()));
    }
    let new_due = parse_instant(&a.new_due)?;
    let at = match &a.at {
        Some(s) => parse_instant(s)?,
        None => local_now(),
    };
    let db = open_db(db_url).await?;
    let ctx = Context::load(&db, calendar).await?;
    let d = db.dossier(&a.unit, &a.code).await?.ok_or_else(|| {
        Fail(
            1,
            format!("không có hồ sơ {} của đơn vị {}", a.code, a.unit),
        )
    })?;
    let due = Instant::parse(&d.line.due_at)
        .ok_or_else(|| Fail(1, format!("hạn đã lưu `{}` hỏng", d.line.due_at)))?;
    let received = Instant::parse(&d.line.received_at).ok_or_else(|| {
        Fail(
            1,
            format!("ngày tiếp nhận đã lưu `{}` hỏng", d.line.received_at),
        )
    })?;
    let timely = has_timely_apology(&ctx.cal, Some(at), due);
    let record = parindex_db::NewApology {
        at,
        new_due,
        reason: a.reason.trim().to_string(),
        applicant: a.applicant.trim().to_string(),
        by: crate::cli::cli_actor(),
        timely,
    };
    match db.record_apology(&a.unit, &a.code, &record).await {
        Ok(Some(())) => {}
        Ok(None) => return Err(Fail(1, format!("không có hồ sơ {}", a.code))),
        Err(DbError::Conflict(m)) => return Err(Fail(1, m)),
        Err(e) => return Err(e.into()),
    }
    let slip = parindex_reports::apology::ApologySlip {
        governing_body: a.governing_body.clone(),
        agency: d.unit_name,
        number: String::new(),
        place: a.place.clone(),
        issued: at.date,
        applicant: a.applicant.clone(),
        procedure: if d.procedure_name.is_empty() {
            d.line.procedure_code
        } else {
            d.procedure_name
        },
        dossier_code: a.code.clone(),
        received,
        due,
        reason: a.reason.clone(),
        new_due,
        signer_title: a.signer_title.clone(),
        signer_name: a.signer_name.clone(),
    };
    let bytes = parindex_reports::apology::apology_docx(&slip).map_err(|e| Fail(1, e))?;
    std::fs::write(output, bytes).map_err(|e| Fail(1, format!("{output}: {e}")))?;
    println!(
        "Đã ghi nhận phiếu xin lỗi hồ sơ {} ({}), hẹn lại {}; tệp {output}.",
        a.code,
        if timely {
            "kịp thời"
        } else {
            "muộn: chưa trước hạn một ngày làm việc"
        },
        new_due.to_vi()
    );
    refresh_scores(&db).await
}
