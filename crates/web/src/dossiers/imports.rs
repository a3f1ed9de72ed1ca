//! The dossier import page: a CSV or XLSX file uploaded (streamed to a temporary file
//! outside the web root, size-limited), imported in the background with the same two
//! passes as `parindex dossiers import`, and a page that follows its progress and then
//! shows the report (every problem with its line, the rejected rows as CSV).

use std::sync::{Arc, Mutex};

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use parindex_db::{
    ImportContext, ImportOutcome, ImportReport, ImportRequest, ImportStage, SessionUser,
    WriteAccess,
};
use parindex_domain::dossiers::{ColumnMap, parse_column_map};

use crate::core::error::AppError;
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::AppState;
use crate::extract::{Access, act};

/// How many problems the report page lists (all of them are in the rejected-rows CSV).
const SHOWN_PROBLEMS: usize = 500;

/// One import started from the web.
#[derive(Debug, Default)]
pub struct ImportJob {
    pub unit: String,
    pub by: String,
    pub file: String,
    pub skip_invalid: bool,
    pub stage: Option<ImportStage>,
    /// Waiting for another upload to finish writing.
    pub queued: bool,
    pub outcome: Option<ImportOutcome>,
    /// The rejected rows with their reason (CSV), when rows were set aside or refused; once
    /// the import ended they are in the file store (`report`), unless storing them failed.
    pub rejected_csv: Vec<u8>,
    /// What the page shows once the import ended, as kept in the database.
    pub report: Option<ImportReport>,
    /// A failure outside the file's rows (database, reading the workbook).
    pub error: Option<String>,
    pub done: bool,
    /// When the import ended (finished jobs are forgotten after `KEEP_FINISHED`).
    pub ended: Option<std::time::Instant>,
}

/// How long a finished import's report stays available.
const KEEP_FINISHED: std::time::Duration = std::time::Duration::from_hours(6);

#[derive(Template)]
#[template(path = "dossier_import.html")]
pub struct ImportPage {
    pub t: &'static crate::core::i18n::Tr,
    pub l: &'static crate::dossiers::Labels,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub limit_mb: u64,
    /// Empty on the form; the job's id on its page.
    pub job_id: String,
    pub file: String,
    pub running: bool,
    pub progress: String,
    pub stored: String,
    pub refused: bool,
    pub total: u64,
    pub rejected: usize,
    pub problems: Vec<String>,
    pub more_problems: usize,
    pub has_rejected_csv: bool,
    pub error: String,
    pub changes: Vec<String>,
}

/// The unit's name (the caller's `Access` has decided who imports its dossiers).
async fn unit_name(st: &AppState, unit: &str) -> Result<String, AppError> {
    Ok(st.db.unit(unit).await?.ok_or(AppError::NotFound)?.name)
}

fn blank_page(
    st: &AppState,
    lang: crate::core::i18n::Lang,
    user: &SessionUser,
    unit: &str,
    name: String,
) -> ImportPage {
    let l = crate::dossiers::labels(lang);
    ImportPage {
        t: lang.tr(),
        l,
        chrome: Chrome::new(
            lang,
            format!("{} — {name}", l.import_title),
            st.demo,
            Some(user),
        ),
        unit_code: unit.to_string(),
        unit_name: name,
        limit_mb: st.dossier_upload_limit / (1024 * 1024),
        job_id: String::new(),
        file: String::new(),
        running: false,
        progress: String::new(),
        stored: String::new(),
        refused: false,
        total: 0,
        rejected: 0,
        problems: Vec::new(),
        more_problems: 0,
        has_rejected_csv: false,
        error: String::new(),
        changes: Vec::new(),
    }
}

pub async fn show_form(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ImportDossiers>,
) -> Result<Response, AppError> {
    let user = access.user;
    let name = unit_name(&st, &unit_code).await?;
    let page = blank_page(&st, lang, &user, &unit_code, name);
    Ok(Html(page.render()?).into_response())
}

/// Receives the file and starts the import; answers with the job's page.
pub async fn start_import(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    access: Access<act::ImportDossiers>,
    headers: HeaderMap,
    mp: Multipart,
) -> Result<Response, AppError> {
    let user = access.user;
    unit_name(&st, &unit_code).await?;
    let up = crate::extract::upload::read_upload(&st, &user, &headers, mp, st.dossier_upload_limit)
        .await?;
    let skip_invalid = !up.field("skip_invalid").is_empty();
    let columns_text = up.field("columns").to_string();
    let Some((file, inc)) = up.file else {
        return Err(AppError::said(
            axum::http::StatusCode::BAD_REQUEST,
            "Chưa chọn tệp hồ sơ (CSV hoặc XLSX).",
            "Choose the dossier file (CSV or XLSX).",
        ));
    };
    let xlsx = inc.head.starts_with(b"PK");
    let looks_csv = std::path::Path::new(&file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("txt"));
    if !xlsx && !looks_csv {
        inc.discard().await;
        return Err(AppError::said(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Chỉ nhận tệp CSV hoặc XLSX (kiểm tra theo nội dung tệp).",
            "Only CSV or XLSX files are accepted (checked by their content).",
        ));
    }
    let columns = if columns_text.trim().is_empty() {
        ColumnMap::default()
    } else {
        match parse_column_map("ánh xạ cột", &columns_text) {
            Ok(m) => m,
            Err(p) => {
                inc.discard().await;
                return Err(AppError::BadRequest(p.to_string()));
            }
        }
    };
    let id = crate::accounts::auth::new_token();
    let job = Arc::new(Mutex::new(ImportJob {
        unit: unit_code.clone(),
        by: user.user.username.clone(),
        file: file.clone(),
        skip_invalid,
        ..ImportJob::default()
    }));
    if let Ok(mut jobs) = st.imports.lock() {
        // Forget reports older than `KEEP_FINISHED` (the database keeps them).
        jobs.retain(|_, j| {
            j.lock()
                .is_ok_and(|j| j.ended.is_none_or(|t| t.elapsed() < KEEP_FINISHED))
        });
        jobs.insert(id.clone(), job.clone());
    }
    let st2 = st.clone();
    let id2 = id.clone();
    tokio::spawn(async move {
        let path = inc.temp_path().to_path_buf();
        // One upload writes at a time; the others wait their turn, said on their page.
        let turn = if let Ok(t) = st2.import_turn.try_lock() {
            t
        } else {
            if let Ok(mut j) = job.lock() {
                j.queued = true;
            }
            let t = st2.import_turn.lock().await;
            if let Ok(mut j) = job.lock() {
                j.queued = false;
            }
            t
        };
        let result = run_import(&st2, &job, &path, xlsx, &file, &columns, skip_invalid).await;
        drop(turn);
        inc.discard().await;
        // The rejected rows move to the file store rather than staying in memory (a
        // large bad file sets aside as much as it holds).
        let ended = if let Ok(mut j) = job.lock() {
            if let Err(e) = result {
                j.error = Some(e);
            }
            Some((
                report_of(&id2, &j, st2.now()),
                std::mem::take(&mut j.rejected_csv),
            ))
        } else {
            None
        };
        // The page says the import ended once its report is kept.
        let kept = match ended {
            Some((report, rejected)) => Some(keep_report(&st2, report, rejected).await),
            None => None,
        };
        if let Ok(mut j) = job.lock() {
            if let Some((report, unkept)) = kept {
                j.report = Some(report);
                j.rejected_csv = unkept;
            }
            j.done = true;
            j.ended = Some(std::time::Instant::now());
        }
    });
    Ok(Redirect::to(&format!("/units/{unit_code}/dossiers/imports/{id}")).into_response())
}

/// What the import page says of a failure: the user's own problem as the database said it
/// (another import writing, an unknown unit…), a fault of the server as a plain sentence;
/// its detail (SQLite's or PostgreSQL's own text) goes to the server's log only.
fn said(e: &parindex_db::DbError) -> String {
    use parindex_db::DbError;
    match e {
        DbError::Conflict(_)
        | DbError::Unsupported(_)
        | DbError::UnknownSet(_)
        | DbError::SetInUse(_)
        | DbError::UnknownUnits(_) => e.to_string(),
        DbError::UnsupportedUrl(_)
        | DbError::Sqlx(_)
        | DbError::Sqlite(_)
        | DbError::Migrate(_)
        | DbError::Corrupt(_) => {
            tracing::error!(error = %e, "nhập hồ sơ");
            INTERNAL.to_string()
        }
    }
}

/// What a fault of the server during an import says.
const INTERNAL: &str = "lỗi phía máy chủ khi nhập hồ sơ; chưa hồ sơ nào được lưu. Hãy thử lại \
     sau hoặc báo quản trị viên (chi tiết ghi trong nhật ký máy chủ).";

/// The import itself, in the background.
async fn run_import(
    st: &AppState,
    job: &Arc<Mutex<ImportJob>>,
    upload: &std::path::Path,
    xlsx: bool,
    file: &str,
    columns: &ColumnMap,
    skip_invalid: bool,
) -> Result<(), String> {
    // An XLSX workbook is read as CSV lines, one per sheet row.
    let csv_path = if xlsx {
        let from = upload.to_path_buf();
        let to = upload.with_extension("csv");
        let to2 = to.clone();
        tokio::task::spawn_blocking(move || {
            parindex_reports::sheet_csv::xlsx_file_to_csv(&from, &to2)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "đọc tệp XLSX");
            INTERNAL.to_string()
        })?
        .map_err(|e| format!("{file}: {e}"))?;
        // Removed on every way out of here, failures included.
        Some(parindex_reports::temp::TempPath::new(to))
    } else {
        None
    };
    let path = csv_path
        .as_ref()
        .map_or(upload, parindex_reports::temp::TempPath::path)
        .display()
        .to_string();
    let (cal, _) = st.db.active_calendar().await.map_err(|e| said(&e))?;
    let unit = job.lock().map(|j| j.unit.clone()).unwrap_or_default();
    // An upload on a unit's page holds that unit's dossiers only.
    let ctx = ImportContext::load(&st.db, cal)
        .await
        .map_err(|e| said(&e))?
        .only_for(&unit);
    let by = job.lock().map(|j| j.by.clone()).unwrap_or_default();
    let now = st.now();
    let req = ImportRequest {
        path: &path,
        file,
        columns,
        skip_invalid,
        actor: &by,
        now: &now,
        as_of: st.local_instant(),
        // The server's own pages read the database during the upload.
        access: WriteAccess::Shared,
    };
    let mut rejected = Vec::new();
    let mut progress = |stage: ImportStage| {
        if let Ok(mut j) = job.lock() {
            j.stage = Some(stage);
        }
    };
    let outcome = st
        .db
        .import_dossier_file(&ctx, &req, Some(&mut rejected), &mut progress)
        .await
        .map_err(|e| said(&e));
    drop(csv_path);
    let outcome = outcome?;
    for c in &outcome.changes {
        st.invalidate(&c.set_id);
    }
    if let Ok(mut j) = job.lock() {
        // Only a header line: nothing was set aside.
        if outcome.rejected > 0 {
            j.rejected_csv = rejected;
        }
        j.outcome = Some(outcome);
    }
    Ok(())
}

/// An ended job's report, as kept in the database.
fn report_of(id: &str, j: &ImportJob, ended_at: String) -> ImportReport {
    let o = j.outcome.as_ref();
    ImportReport {
        id: id.to_string(),
        unit_code: j.unit.clone(),
        username: j.by.clone(),
        file: j.file.clone(),
        ended_at,
        refused: o.is_some_and(|o| o.refused),
        total: o.map_or(0, |o| o.total),
        stored: o.map_or(0, |o| o.stored),
        rejected: o.map_or(0, |o| o.rejected as u64),
        error: j.error.clone(),
        problems: o
            .map(|o| o.problems.iter().take(SHOWN_PROBLEMS).cloned().collect())
            .unwrap_or_default(),
        problem_count: o.map_or(0, |o| o.problems.len() as u64),
        changes: o
            .map(|o| {
                o.changes
                    .iter()
                    .map(|c| {
                        format!(
                            "{} / {}: {} ← {}",
                            c.set_id, c.unit_code, c.criterion, c.input
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        rejected_sha: None,
    }
}

/// Keeps an ended import's report in the database and its rejected rows in the file store
/// (outside the web root), so that its page outlives this process; gives back the report
/// and the rows it could not store. A failure is logged: the page still shows the report
/// and serves the rows from memory for `KEEP_FINISHED`.
async fn keep_report(
    st: &AppState,
    mut report: ImportReport,
    rejected: Vec<u8>,
) -> (ImportReport, Vec<u8>) {
    let mut unkept = Vec::new();
    if !rejected.is_empty() {
        let kept = async {
            let mut inc = st.files.begin().await?;
            inc.write(&rejected).await?;
            st.files.commit(inc).await
        }
        .await;
        match kept {
            Ok((sha, _)) => report.rejected_sha = Some(sha),
            Err(e) => {
                tracing::error!(error = %e, "lưu các dòng lỗi của lần nhập hồ sơ");
                unkept = rejected;
            }
        }
    }
    if let Err(e) = st.db.save_import_report(&report).await {
        tracing::error!(error = %e, "lưu báo cáo nhập hồ sơ");
    }
    (report, unkept)
}

/// The report kept for an import of `unit` that is no longer in memory.
async fn kept_report(st: &AppState, unit: &str, id: &str) -> Result<ImportReport, AppError> {
    st.db
        .import_report(unit, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// An ended import's page, from its report.
fn fill(page: &mut ImportPage, r: &ImportReport) {
    page.file.clone_from(&r.file);
    page.running = false;
    page.error = r.error.clone().unwrap_or_default();
    page.refused = r.refused;
    page.total = r.total;
    page.rejected = usize::try_from(r.rejected).unwrap_or(usize::MAX);
    page.stored = r.stored.to_string();
    page.problems.clone_from(&r.problems);
    page.more_problems =
        usize::try_from(r.problem_count.saturating_sub(r.problems.len() as u64)).unwrap_or(0);
    page.changes.clone_from(&r.changes);
    page.has_rejected_csv = r.rejected_sha.is_some();
}

fn job_of(st: &AppState, unit: &str, id: &str) -> Result<Arc<Mutex<ImportJob>>, AppError> {
    let job = st
        .imports
        .lock()
        .ok()
        .and_then(|jobs| jobs.get(id).cloned())
        .ok_or(AppError::NotFound)?;
    let same_unit = job.lock().is_ok_and(|j| j.unit == unit);
    if same_unit {
        Ok(job)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn show_job(
    State(st): State<AppState>,
    Path((unit_code, id)): Path<(String, String)>,
    LangPref(lang): LangPref,
    access: Access<act::ImportDossiers>,
) -> Result<Response, AppError> {
    let user = access.user;
    let name = unit_name(&st, &unit_code).await?;
    let mut page = blank_page(&st, lang, &user, &unit_code, name);
    page.job_id.clone_from(&id);
    match job_of(&st, &unit_code, &id) {
        Ok(job) => {
            let j = job
                .lock()
                .map_err(|_| AppError::Internal("trạng thái nhập hồ sơ hỏng".into()))?;
            if let Some(report) = j.report.as_ref().filter(|_| j.done) {
                fill(&mut page, report);
                page.has_rejected_csv |= !j.rejected_csv.is_empty();
            } else {
                page.file.clone_from(&j.file);
                page.running = true;
                page.progress = match j.stage {
                    None if j.queued => page.l.queued.into(),
                    None => page.l.preparing.into(),
                    Some(ImportStage::Checking(n)) => {
                        page.l.checked_rows.replace("{n}", &n.to_string())
                    }
                    Some(ImportStage::Storing(n)) => {
                        page.l.stored_rows.replace("{n}", &n.to_string())
                    }
                };
            }
        }
        // Ended before this process started: its kept report.
        Err(AppError::NotFound) => fill(&mut page, &kept_report(&st, &unit_code, &id).await?),
        Err(e) => return Err(e),
    }
    Ok(Html(page.render()?).into_response())
}

pub async fn download_rejected(
    State(st): State<AppState>,
    Path((unit_code, id)): Path<(String, String)>,
    _access: Access<act::ImportDossiers>,
) -> Result<Response, AppError> {
    unit_name(&st, &unit_code).await?;
    // The rows in memory (an import whose rows could not be stored), or in the file
    // store (any other, also one that ended before this process started).
    let (body, sha) = match job_of(&st, &unit_code, &id) {
        Ok(job) => job
            .lock()
            .map(|j| {
                let sha = j.report.as_ref().and_then(|r| r.rejected_sha.clone());
                (j.rejected_csv.clone(), sha)
            })
            .unwrap_or_default(),
        Err(AppError::NotFound) => (
            Vec::new(),
            kept_report(&st, &unit_code, &id).await?.rejected_sha,
        ),
        Err(e) => return Err(e),
    };
    let body = match sha {
        Some(sha) if body.is_empty() => st
            .files
            .read(&sha)
            .await
            .map_err(|e| AppError::Internal(format!("các dòng lỗi đã lưu: {e}")))?,
        _ => body,
    };
    if body.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut with_bom = "\u{feff}".as_bytes().to_vec();
    with_bom.extend_from_slice(&body);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"ho-so-bi-loai.csv\"",
            ),
        ],
        with_bom,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use parindex_db::DbError;

    use super::{INTERNAL, said};

    #[test]
    fn a_fault_of_the_server_is_not_shown_to_the_user() {
        let own = "cơ sở dữ liệu đang được ghi bởi một lần nhập khác";
        assert_eq!(said(&DbError::Conflict(own.into())), own);
        assert!(said(&DbError::UnknownUnits(vec![("SXX".into(), 3)])).contains("SXX"));
        let fault = said(&DbError::Corrupt("page 4711: btree cell overflow".into()));
        assert_eq!(fault, INTERNAL);
        let fault = said(&DbError::UnsupportedUrl("sqlite://srv/secret.db".into()));
        assert_eq!(fault, INTERNAL);
    }
}
