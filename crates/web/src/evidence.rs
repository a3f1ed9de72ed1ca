//! Evidence: upload (streamed, size-limited, typed by content, de-duplicated), link to
//! more criteria, new revisions, and viewing a file for whoever may see the unit.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use parindex_db::{EvidenceMeta, NewFile, SessionUser};
use parindex_domain::access::Role;
use parindex_domain::text::Date;
use serde::Deserialize;

use crate::account::{check_csrf, require_user};
use crate::assess::{Power, leaf_power};
use crate::auth::{MaybeUser, viewer};
use crate::error::AppError;
use crate::files::{Kind, clean_name, sniff};
use crate::pages::LangPref;
use crate::state::AppState;

/// What an upload form carried: its text fields and the stored file, if any.
pub(crate) struct Upload {
    pub fields: HashMap<String, String>,
    pub file: Option<(String, Kind, u64, String)>,
}

/// Largest directive file read into memory (`.txt` or `.docx`).
const MAX_DIRECTIVE: usize = 5 * 1024 * 1024;

/// Reads a form that may carry a small text or DOCX file (a directive), kept in memory.
pub(crate) async fn read_text_upload(
    _st: &AppState,
    user: &SessionUser,
    headers: &HeaderMap,
    mut mp: Multipart,
) -> Result<(HashMap<String, String>, Option<(String, Vec<u8>)>), AppError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_DIRECTIVE + 64 * 1024) {
        return Err(AppError::PayloadTooLarge("Văn bản vượt quá 5 MB.".into()));
    }
    let mut fields = HashMap::new();
    let mut file = None;
    let bad = |_| AppError::BadRequest("Biểu mẫu không đọc được.".into());
    while let Some(mut field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            check_csrf(user, fields.get("csrf").map_or("", String::as_str))?;
            let file_name = clean_name(field.file_name().unwrap_or_default());
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                if bytes.len() + chunk.len() > MAX_DIRECTIVE {
                    return Err(AppError::PayloadTooLarge("Văn bản vượt quá 5 MB.".into()));
                }
                bytes.extend_from_slice(&chunk);
            }
            if !bytes.is_empty() {
                fields.insert("file_name".into(), file_name.clone());
                file = Some((file_name, bytes));
            }
        } else {
            fields.insert(name, field.text().await.map_err(bad)?);
        }
    }
    Ok((fields, file))
}

fn too_large(limit: u64) -> AppError {
    let size = if limit >= 1024 * 1024 {
        format!("{} MB", limit / (1024 * 1024))
    } else {
        format!("{} KB", limit.div_ceil(1024))
    };
    AppError::PayloadTooLarge(format!(
        "Tệp vượt quá giới hạn {size}: không có gì được lưu."
    ))
}

/// Reads a multipart form; the `csrf` field must come before the file.
pub(crate) async fn read_upload(
    st: &AppState,
    user: &SessionUser,
    headers: &HeaderMap,
    mut mp: Multipart,
) -> Result<Upload, AppError> {
    let limit = st.upload_limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit + 64 * 1024) {
        return Err(too_large(limit));
    }
    let mut fields = HashMap::new();
    let mut file = None;
    let bad_form = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(limit)
        } else {
            AppError::BadRequest("Biểu mẫu tải lên không đọc được.".into())
        }
    };
    while let Some(mut field) = mp.next_field().await.map_err(bad_form)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
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
                        return Err(bad_form(e));
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
            let Some(kind) = sniff(inc.temp_path(), &inc.head) else {
                inc.discard().await;
                return Err(AppError::Unsupported(
                    "Chỉ nhận tệp PDF, DOCX, XLSX, JPG hoặc PNG (kiểm tra theo nội dung tệp, không theo tên).".into(),
                ));
            };
            let size = inc.size;
            let (sha, _) = st
                .files
                .commit(inc)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            file = Some((original, kind, size, sha));
        } else {
            let text = field.text().await.map_err(bad_form)?;
            fields.insert(name, text.trim().to_string());
        }
    }
    Ok(Upload { fields, file })
}

fn meta_from(
    fields: &HashMap<String, String>,
    fallback_title: &str,
) -> Result<EvidenceMeta, AppError> {
    let get = |k: &str| fields.get(k).filter(|v| !v.is_empty()).cloned();
    let doc_date = match get("doc_date") {
        None => None,
        Some(d) => Some(
            Date::parse(&d)
                .ok_or_else(|| {
                    AppError::BadRequest(format!("Ngày văn bản `{d}` không hợp lệ (dd/mm/yyyy)."))
                })?
                .to_iso(),
        ),
    };
    Ok(EvidenceMeta {
        title: get("title").unwrap_or_else(|| fallback_title.to_string()),
        doc_number: get("doc_number"),
        doc_date,
        issuer: get("issuer"),
        signer: get("signer"),
        doc_type: get("doc_type"),
    })
}

fn back_to(set_id: &str, unit: &str, code: &str) -> String {
    format!(
        "/sets/{set_id}/units/{unit}/assess#leaf-{}",
        code.replace('.', "-")
    )
}

pub async fn upload_evidence(
    State(st): State<AppState>,
    Path((set_id, unit_code, leaf_code)): Path<(String, String, String)>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let user = match require_user(user, &format!("/sets/{set_id}/units/{unit_code}/assess")) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let r: Result<Response, AppError> = async {
        let (_, _, power) = leaf_power(&st, &user, &set_id, &unit_code, &leaf_code).await?;
        if !matches!(power, Some(Power::SelfAssess | Power::Explain)) {
            return Err(AppError::Forbidden("Bạn không thể thêm minh chứng cho tiêu chí này ở giai đoạn hiện tại.".into()));
        }
        let up = read_upload(&st, &user, &headers, mp).await?;
        let (name, kind, size, sha) = up.file.ok_or_else(|| AppError::BadRequest("Chưa chọn tệp minh chứng.".into()))?;
        if let Some((id, title)) = st.db.evidence_with_hash(&unit_code, &sha).await? {
            return Err(AppError::Conflict(format!(
                "Tệp này đã có trong minh chứng số {id} “{title}”: hãy chọn “Dùng minh chứng đã có” thay vì tải lại."
            )));
        }
        let meta = meta_from(&up.fields, &name)?;
        let file = NewFile { file_name: &name, content_type: kind.content_type(), size_bytes: i64::try_from(size).unwrap_or(i64::MAX), sha256: &sha };
        st.db
            .create_evidence(&unit_code, &meta, &file, Some((&set_id, &leaf_code)), &user.user.username, &st.now())
            .await?;
        Ok(Redirect::to(&back_to(&set_id, &unit_code, &leaf_code)).into_response())
    }
    .await;
    r.unwrap_or_else(|e| e.page(lang))
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    pub csrf: String,
    pub evidence_id: i64,
}

pub async fn link_evidence(
    State(st): State<AppState>,
    Path((set_id, unit_code, leaf_code)): Path<(String, String, String)>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
    Form(f): Form<LinkForm>,
) -> Response {
    let user = match require_user(user, &format!("/sets/{set_id}/units/{unit_code}/assess")) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(e) = check_csrf(&user, &f.csrf) {
        return e.page(lang);
    }
    let r: Result<Response, AppError> = async {
        let (_, _, power) = leaf_power(&st, &user, &set_id, &unit_code, &leaf_code).await?;
        if !matches!(power, Some(Power::SelfAssess | Power::Explain)) {
            return Err(AppError::Forbidden(
                "Bạn không thể thêm minh chứng cho tiêu chí này ở giai đoạn hiện tại.".into(),
            ));
        }
        st.db
            .link_evidence(
                &set_id,
                &unit_code,
                &leaf_code,
                f.evidence_id,
                &user.user.username,
                &st.now(),
            )
            .await
            .map_err(|e| match e {
                parindex_db::DbError::Conflict(m) => AppError::Forbidden(m),
                other => other.into(),
            })?;
        Ok(Redirect::to(&back_to(&set_id, &unit_code, &leaf_code)).into_response())
    }
    .await;
    r.unwrap_or_else(|e| e.page(lang))
}

fn may_edit_unit_evidence(user: &SessionUser, unit: &str) -> bool {
    let v = viewer(user);
    matches!(user.user.role, Role::Focal | Role::Leader | Role::Division) && v.belongs_to(unit)
}

pub async fn upload_revision(
    State(st): State<AppState>,
    Path(evidence_id): Path<i64>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let user = match require_user(user, "/") {
        Ok(u) => u,
        Err(r) => return r,
    };
    let r: Result<Response, AppError> = async {
        let unit = st
            .db
            .evidence_unit(evidence_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !may_edit_unit_evidence(&user, &unit) {
            return Err(AppError::Forbidden(
                "Chỉ đơn vị sở hữu minh chứng mới thêm được phiên bản mới.".into(),
            ));
        }
        let up = read_upload(&st, &user, &headers, mp).await?;
        let (name, kind, size, sha) = up
            .file
            .ok_or_else(|| AppError::BadRequest("Chưa chọn tệp.".into()))?;
        let file = NewFile {
            file_name: &name,
            content_type: kind.content_type(),
            size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
            sha256: &sha,
        };
        st.db
            .add_evidence_revision(evidence_id, &file, &user.user.username, &st.now())
            .await?;
        let back = up
            .fields
            .get("back")
            .filter(|b| b.starts_with('/') && !b.starts_with("//"))
            .cloned()
            .unwrap_or_else(|| "/".into());
        Ok(Redirect::to(&back).into_response())
    }
    .await;
    r.unwrap_or_else(|e| e.page(lang))
}

/// Serves one stored file to whoever may see its unit's data.
pub async fn show_file(
    State(st): State<AppState>,
    Path(file_id): Path<i64>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
) -> Response {
    let user = match require_user(user, &format!("/evidence/files/{file_id}")) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let r: Result<Response, AppError> = async {
        let (unit, f) = st
            .db
            .evidence_file(file_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let v = viewer(&user);
        if !(v.sees_all() || v.belongs_to(&unit)) {
            return Err(AppError::Forbidden("Minh chứng thuộc đơn vị khác.".into()));
        }
        let bytes = st
            .files
            .read(&f.sha256)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let kind = Kind::from_content_type(&f.content_type)
            .ok_or_else(|| AppError::Internal("unknown stored type".into()))?;
        let encoded: String = f
            .file_name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let disposition = format!(
            "{}; filename=\"evidence-{}.{}\"; filename*=UTF-8''{encoded}",
            if kind.inline() {
                "inline"
            } else {
                "attachment"
            },
            f.id,
            match kind {
                Kind::Pdf => "pdf",
                Kind::Docx => "docx",
                Kind::Xlsx => "xlsx",
                Kind::Jpeg => "jpg",
                Kind::Png => "png",
            }
        );
        let mut res = bytes.into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(kind.content_type()),
        );
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=300"),
        );
        Ok(res)
    }
    .await;
    r.unwrap_or_else(|e| e.page(lang))
}
