//! `parindex procedures import`, `parindex dossiers import` and `parindex dossiers stats`.

use std::fmt::Write as _;
use std::io::IsTerminal as _;

use parindex_db::{Db, DbError, ImportContext, ImportRequest, ImportStage};
use parindex_domain::calendar::{Instant, parse_calendar};
use parindex_domain::dossiers::{
    ColumnMap, Figures, has_timely_apology, parse_column_map, parse_procedures_csv,
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
            println!("Đã nhập {n} thủ tục hành chính.");
            Ok(())
        }
        Err(DbError::UnknownUnits(missing)) => Err(Fail(
            1,
            missing
                .iter()
                .map(|(u, line)| format!("{file}:{line}: unit_code: đơn vị `{u}` chưa có (nhập bằng parindex units import)"))
                .collect::<Vec<_>>()
                .join("\n"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The calendar (default: the one in force — the secretariat's, else the shipped one)
/// with the stored units and procedures.
pub(crate) async fn load_context(db: &Db, calendar: Option<&str>) -> Result<ImportContext, Fail> {
    let cal = match calendar {
        Some(path) => parse_calendar(path, &read_text(path)?)?,
        None => db.active_calendar().await?.0,
    };
    Ok(ImportContext::load(db, cal).await?)
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
        parindex_reports::sheet_csv::xlsx_file_to_csv(
            std::path::Path::new(file),
            std::path::Path::new(&source.path),
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

pub(crate) async fn import_dossiers(
    db_url: &str,
    file: &str,
    calendar: Option<&str>,
    skip_invalid: bool,
    columns: Option<&str>,
    access: parindex_db::WriteAccess,
) -> Result<(), Fail> {
    let columns = match columns {
        Some(path) => parse_column_map(path, &read_text(path)?)?,
        None => ColumnMap::default(),
    };
    let source = Source::of(file)?;
    let db = open_db(db_url).await?;
    let ctx = load_context(&db, calendar).await?;
    let rejected_path = format!("{file}.rejected.csv");
    let rejected = if skip_invalid {
        let f = std::fs::File::create(&rejected_path)
            .map_err(|e| Fail(1, format!("{rejected_path}: không ghi được tệp: {e}")))?;
        Some(std::io::BufWriter::new(f))
    } else {
        None
    };
    let (actor, stamp) = (crate::cli::cli_actor(), now());
    let req = ImportRequest {
        path: &source.path,
        file,
        columns: &columns,
        skip_invalid,
        actor: &actor,
        now: &stamp,
        as_of: local_now(),
        access,
    };
    let terminal = std::io::stderr().is_terminal();
    let mut progress = |stage: ImportStage| {
        if terminal {
            match stage {
                ImportStage::Checking(n) => eprint!("\rĐã kiểm tra {n} dòng…"),
                ImportStage::Storing(n) => eprint!("\rĐã lưu {n} hồ sơ…     "),
            }
        }
    };
    let out = db
        .import_dossier_file(&ctx, &req, rejected, &mut progress)
        .await?;
    if terminal {
        eprintln!();
    }
    if out.refused {
        if skip_invalid && out.stored == 0 && out.total == 0 {
            let _ = std::fs::remove_file(&rejected_path);
        }
        let mut msg = out.problems.join("\n");
        if out.total > 0 {
            let _ = write!(
                msg,
                "\nKhông lưu hồ sơ nào: {} dòng lỗi trong {} dòng (sửa tệp, hoặc dùng --skip-invalid để lưu các dòng đúng).",
                out.rejected, out.total
            );
        }
        return Err(Fail(1, msg));
    }
    println!("Đã lưu {} hồ sơ từ {file}.", out.stored);
    for c in &out.changes {
        println!(
            "Điểm tự tính: {} / {} / {} ← {}",
            c.set_id, c.unit_code, c.criterion, c.input
        );
    }
    if skip_invalid && out.rejected > 0 {
        println!(
            "Bỏ qua {} dòng lỗi, ghi kèm lý do vào {rejected_path}.",
            out.rejected
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
        println!("  Tỷ lệ đúng hạn:               {}%", vi(f.on_time_rate()));
        println!("  Tỷ lệ trực tuyến:             {}%", vi(f.online_rate()));
        println!("  Tỷ lệ qua bưu chính:          {}%", vi(f.postal_rate()));
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
    let ctx = load_context(&db, calendar).await?;
    let until = unit
        .map_or(ctx.calendar(), |u| ctx.calendar_of(u))
        .due_instant(as_of, days)
        .map_err(|e| Fail(1, e))?;
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
    let ctx = load_context(&db, calendar).await?;
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
    let timely = has_timely_apology(ctx.calendar_of(&a.unit), Some(at), due);
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
    // The output's extension chooses the format: `.pdf`, else DOCX.
    let format = if std::path::Path::new(output)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
    {
        parindex_documents::Format::Pdf
    } else {
        parindex_documents::Format::Docx
    };
    let doc = parindex_documents::apology::slip_document(&slip);
    let bytes = parindex_documents::render(&doc, format).map_err(|e| Fail(1, e))?;
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

/// Where a period report goes.
pub(crate) struct PeriodOut<'a> {
    /// `json`, `csv`, `xlsx`, `docx` or `pdf`.
    pub format: &'static str,
    pub output: Option<&'a str>,
    pub issue: parindex_services::documents::Issue,
}

/// `parindex dossiers report`: the period table of a unit (a row per procedure) or of every
/// unit (a row per unit), as JSON with the contract's keys, CSV, XLSX, DOCX or PDF.
pub(crate) async fn period_report(
    db_url: &str,
    unit: Option<&str>,
    period: parindex_domain::period::Period,
    out: &PeriodOut<'_>,
) -> Result<(), Fail> {
    use parindex_domain::period::PeriodFigures;
    if matches!(out.format, "xlsx" | "docx" | "pdf") && out.output.is_none() {
        return Err(Fail(
            2,
            format!("định dạng {} cần --output TỆP", out.format),
        ));
    }
    let db = open_db(db_url).await?;
    let report = parindex_services::documents::period_report(&db, unit, period)
        .await?
        .ok_or_else(|| Fail(1, format!("không tìm thấy đơn vị `{}`", unit.unwrap_or(""))))?;
    let figures = |f: &PeriodFigures| {
        serde_json::json!({
            "carried_over": f.carried_over,
            "received_online": f.received_online,
            "received_direct": f.received_direct,
            "received_postal": f.received_postal,
            "received_total": f.received_total(),
            "resolved_early": f.resolved_early,
            "resolved_on_time": f.resolved_on_time,
            "resolved_late": f.resolved_late,
            "resolved_total": f.resolved_total(),
            "pending_in_time": f.pending_in_time,
            "pending_overdue": f.pending_overdue,
            "on_time_rate": f.on_time_rate(),
            "withdrawn": f.withdrawn,
            "refused": f.refused,
            "returned_online": f.returned_online,
            "returned_direct": f.returned_direct,
            "returned_postal": f.returned_postal,
            "missed_new_due": f.missed_new_due,
        })
    };
    let bytes: Vec<u8> = match out.format {
        "json" => {
            let mut v = figures(&report.total);
            if let Some(map) = v.as_object_mut() {
                map.insert("unit_code".into(), serde_json::json!(unit));
                map.insert("from".into(), period.from.to_iso().into());
                map.insert("to".into(), period.to.to_iso().into());
                map.insert("period".into(), period.kind.key().into());
                map.insert("year".into(), period.year.into());
                map.insert("label".into(), period.label_vi().into());
                let rows: Vec<serde_json::Value> = report
                    .rows
                    .iter()
                    .map(|l| {
                        let mut r = figures(&l.figures);
                        if let Some(m) = r.as_object_mut() {
                            m.insert("code".into(), l.code.clone().into());
                            m.insert("name".into(), l.name.clone().into());
                        }
                        r
                    })
                    .collect();
                let key = if unit.is_some() {
                    "procedures"
                } else {
                    "units"
                };
                map.insert(key.into(), rows.into());
            }
            let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
            s.push('\n');
            s.into_bytes()
        }
        "csv" => report.export_table().to_csv().into_bytes(),
        "xlsx" => report
            .export_table()
            .to_xlsx()
            .map_err(|e| Fail(1, format!("không tạo được tệp XLSX: {e}")))?,
        _ => {
            let head =
                parindex_services::documents::period_letterhead(&db, unit, &out.issue).await?;
            let doc = parindex_documents::period_report::period_report_document(&report, &head);
            let format = if out.format == "pdf" {
                parindex_documents::Format::Pdf
            } else {
                parindex_documents::Format::Docx
            };
            parindex_documents::render(&doc, format)
                .map_err(|e| Fail(1, format!("không tạo được văn bản: {e}")))?
        }
    };
    match out.output {
        Some(file) => std::fs::write(file, bytes)
            .map_err(|e| Fail(1, format!("{file}: không ghi được tệp: {e}"))),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| Fail(1, format!("không in được: {e}")))
        }
    }
}
