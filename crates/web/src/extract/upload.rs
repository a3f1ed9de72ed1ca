//! The one reader of multipart forms: text fields (each at most 64 KiB), the form token
//! checked before any file byte is kept, one file streamed to a temporary file of the file
//! store (outside the web root) and refused past `limit` — whatever the request declared —
//! and removed on every failure.

use std::collections::HashMap;

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::{HeaderMap, StatusCode, header};
use parindex_db::SessionUser;
use parindex_services::files::{Incoming, clean_name};

use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::extract::check_csrf;

/// Longest text field of a multipart form.
const MAX_FIELD: usize = 64 * 1024;
/// All text fields of a multipart form together.
const MAX_FIELDS: usize = 1024 * 1024;

/// A form read: its text fields (trimmed) and its file, not yet stored.
pub struct Upload {
    pub fields: HashMap<String, String>,
    /// The file's cleaned name and its bytes in a temporary file (empty files are dropped).
    pub file: Option<(String, Incoming)>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

fn too_large(limit: u64) -> AppError {
    let size = if limit >= 1024 * 1024 {
        format!("{} MB", limit / (1024 * 1024))
    } else {
        format!("{} KB", limit.div_ceil(1024))
    };
    AppError::said(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        format!("Tệp vượt quá giới hạn {size}: không có gì được lưu."),
        format!("The file is larger than {size}: nothing was saved."),
    )
}

fn bad_form(limit: u64) -> impl Fn(MultipartError) -> AppError {
    move |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(limit)
        } else {
            AppError::said(
                axum::http::StatusCode::BAD_REQUEST,
                "Biểu mẫu tải lên không đọc được.",
                "The upload form could not be read.",
            )
        }
    }
}

/// Reads a multipart form whose file may hold at most `limit` bytes; the `csrf` field must
/// come before the file.
pub async fn read_upload(
    st: &AppState,
    user: &SessionUser,
    headers: &HeaderMap,
    mut mp: Multipart,
    limit: u64,
) -> Result<Upload, AppError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(64 * 1024)) {
        return Err(too_large(limit));
    }
    let bad = bad_form(limit);
    let mut fields = HashMap::new();
    let mut text_bytes = 0usize;
    let mut file: Option<(String, Incoming)> = None;
    loop {
        let next = match mp.next_field().await {
            Ok(n) => n,
            Err(e) => {
                discard(file).await;
                return Err(bad(e));
            }
        };
        let Some(mut field) = next else { break };
        let name = field.name().unwrap_or_default().to_string();
        if name != "file" {
            let mut text = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(c)) if text.len() + c.len() <= MAX_FIELD => text.extend_from_slice(&c),
                    Ok(Some(_)) => {
                        discard(file).await;
                        return Err(AppError::said(
                            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                            format!("Ô “{name}” của biểu mẫu quá dài."),
                            format!("The form's field “{name}” is too long."),
                        ));
                    }
                    Ok(None) => break,
                    Err(e) => {
                        discard(file).await;
                        return Err(bad(e));
                    }
                }
            }
            text_bytes += text.len();
            if text_bytes > MAX_FIELDS {
                discard(file).await;
                return Err(AppError::said(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "Biểu mẫu có quá nhiều nội dung.",
                    "The form holds too much text.",
                ));
            }
            let text = String::from_utf8_lossy(&text).trim().to_string();
            fields.insert(name, text);
            continue;
        }
        if file.is_some() {
            discard(file).await;
            return Err(AppError::said(
                axum::http::StatusCode::BAD_REQUEST,
                "Mỗi lần chỉ gửi một tệp.",
                "Send one file at a time.",
            ));
        }
        check_csrf(user, fields.get("csrf").map_or("", String::as_str))?;
        let original = clean_name(field.file_name().unwrap_or_default());
        let mut inc = st
            .files
            .begin()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if inc.size + chunk.len() as u64 > limit {
                        inc.discard().await;
                        return Err(too_large(limit));
                    }
                    if let Err(e) = inc.write(&chunk).await {
                        inc.discard().await;
                        return Err(AppError::Internal(e.to_string()));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    inc.discard().await;
                    return Err(bad(e));
                }
            }
        }
        if inc.size == 0 {
            inc.discard().await;
            continue;
        }
        if let Err(e) = inc.flush().await {
            inc.discard().await;
            return Err(AppError::Internal(e.to_string()));
        }
        file = Some((original, inc));
    }
    if let Err(e) = check_csrf(user, fields.get("csrf").map_or("", String::as_str)) {
        discard(file).await;
        return Err(e);
    }
    Ok(Upload { fields, file })
}

async fn discard(file: Option<(String, Incoming)>) {
    if let Some((_, inc)) = file {
        inc.discard().await;
    }
}

/// Largest table file (CSV or XLSX) read into memory: unit changes, indicators.
pub const TABLE_LIMIT: u64 = 2 * 1024 * 1024;
/// Largest CSV text an XLSX table may expand to (the workbook's own sizes are not trusted).
const TABLE_TEXT_LIMIT: usize = 16 * 1024 * 1024;

/// A small table sent with a form: its text fields, the file's name and its text — a CSV
/// file as it is (UTF-8), an XLSX workbook's first sheet as CSV (told by its content, not
/// its name). The temporary file is gone when this returns.
pub async fn read_table(
    st: &AppState,
    user: &SessionUser,
    headers: &HeaderMap,
    mp: Multipart,
) -> Result<(Upload, String, String), AppError> {
    let mut up = read_upload(st, user, headers, mp, TABLE_LIMIT).await?;
    let Some((name, inc)) = up.file.take() else {
        return Err(AppError::said(
            StatusCode::BAD_REQUEST,
            "Chưa chọn tệp (CSV hoặc XLSX).",
            "Choose a file (CSV or XLSX).",
        ));
    };
    let bytes = tokio::fs::read(inc.temp_path()).await;
    inc.discard().await;
    let bytes = bytes.map_err(|e| AppError::Internal(e.to_string()))?;
    let unreadable =
        |vi: String, en: String| AppError::said(StatusCode::UNPROCESSABLE_ENTITY, vi, en);
    let text = if bytes.starts_with(b"PK") {
        let read = tokio::task::spawn_blocking(move || {
            parindex_reports::sheet_csv::xlsx_text(bytes, TABLE_TEXT_LIMIT)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        read.map_err(|e| match e {
            parindex_reports::sheet_csv::SheetError::TooLarge(cap) => unreadable(
                format!(
                    "{name}: bảng tính mở ra quá {} MB văn bản: hãy chia nhỏ tệp.",
                    cap >> 20
                ),
                format!(
                    "{name}: the workbook opens into more than {} MB of text: split the file.",
                    cap >> 20
                ),
            ),
            parindex_reports::sheet_csv::SheetError::Unreadable(m) => unreadable(
                format!("{name}: không đọc được bảng tính: {m}"),
                format!("{name}: the workbook could not be read (XLSX expected)."),
            ),
        })?
    } else {
        String::from_utf8(bytes).map_err(|_| {
            unreadable(
                format!("{name}: tệp không phải CSV (văn bản UTF-8) hay XLSX."),
                format!("{name}: the file is neither CSV (UTF-8 text) nor XLSX."),
            )
        })?
    };
    Ok((up, name, text))
}

/// At most this many of a file's problems are listed on a page.
pub const SHOWN_PROBLEMS: usize = 100;

/// A file's problems as a page lists them: the first [`SHOWN_PROBLEMS`], then how many
/// more there are.
pub fn problem_lines(lines: Vec<String>, lang: crate::core::i18n::Lang) -> Vec<String> {
    let more = lines.len().saturating_sub(SHOWN_PROBLEMS);
    let mut out: Vec<String> = lines.into_iter().take(SHOWN_PROBLEMS).collect();
    if more > 0 {
        out.push(match lang {
            crate::core::i18n::Lang::Vi => format!("… và {more} lỗi khác."),
            crate::core::i18n::Lang::En => format!("… and {more} more."),
        });
    }
    out
}
