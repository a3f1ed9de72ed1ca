//! Evidence: upload (streamed, size-limited, typed by content, de-duplicated), link to
//! more criteria, new revisions, and viewing a file for whoever may see the unit.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use parindex_db::{EvidenceMeta, NewFile, SessionUser};
use parindex_domain::text::Date;
use serde::Deserialize;

use crate::assessment::assess::{Power, leaf_power};
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::extract::access::{EvidenceUnit, FileUnit};
use crate::extract::upload::read_upload as read_upload_limited;
use crate::extract::{Access, Checked, act};
use parindex_services::files::{Kind, sniff};

/// What an upload form carried: its text fields and the stored file, if any.
pub(crate) struct Upload {
    pub fields: HashMap<String, String>,
    pub file: Option<(String, Kind, u64, String)>,
}

/// Largest directive file read into memory (`.txt` or `.docx`).
const MAX_DIRECTIVE: u64 = 5 * 1024 * 1024;

/// Reads a form that may carry a small text or DOCX file (a directive), kept in memory.
pub(crate) async fn read_text_upload(
    st: &AppState,
    user: &SessionUser,
    headers: &HeaderMap,
    mp: Multipart,
) -> Result<(HashMap<String, String>, Option<(String, Vec<u8>)>), AppError> {
    let mut up = read_upload_limited(st, user, headers, mp, MAX_DIRECTIVE).await?;
    let Some((name, inc)) = up.file.take() else {
        return Ok((up.fields, None));
    };
    let bytes = tokio::fs::read(inc.temp_path()).await;
    inc.discard().await;
    let bytes = bytes.map_err(|e| AppError::Internal(e.to_string()))?;
    up.fields.insert("file_name".into(), name.clone());
    Ok((up.fields, Some((name, bytes))))
}

/// Reads an evidence form: the file typed by its content and stored by its hash.
pub(crate) async fn read_upload(
    st: &AppState,
    user: &SessionUser,
    headers: &HeaderMap,
    mp: Multipart,
) -> Result<Upload, AppError> {
    let up = read_upload_limited(st, user, headers, mp, st.upload_limit).await?;
    let file = match up.file {
        None => None,
        Some((name, inc)) => {
            let Some(kind) = sniff(inc.temp_path(), &inc.head) else {
                inc.discard().await;
                return Err(AppError::said(
                    axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Chỉ nhận tệp PDF, DOCX, XLSX, JPG hoặc PNG (kiểm tra theo nội dung tệp, không theo tên).",
                    "Only PDF, DOCX, XLSX, JPG or PNG files are accepted (checked by their content, not their name).",
                ));
            };
            let size = inc.size;
            let (sha, _) = st
                .files
                .commit(inc)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Some((name, kind, size, sha))
        }
    };
    Ok(Upload {
        fields: up.fields,
        file,
    })
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
                    AppError::said(
                        axum::http::StatusCode::BAD_REQUEST,
                        format!("Ngày văn bản “{d}” không hợp lệ (dd/mm/yyyy)."),
                        format!("The document date “{d}” is not valid (dd/mm/yyyy)."),
                    )
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
    access: Access<act::EditAssessment>,
    headers: HeaderMap,
    mp: Multipart,
) -> Result<Response, AppError> {
    let user = access.user;
    let (_, _, power) = leaf_power(&st, &user, &set_id, &unit_code, &leaf_code).await?;
    if !matches!(power, Some(Power::SelfAssess | Power::Explain)) {
        return Err(AppError::said(
            axum::http::StatusCode::FORBIDDEN,
            "Bạn không thể thêm tài liệu kiểm chứng cho tiêu chí này ở giai đoạn hiện tại.",
            "You cannot add evidence to this criterion in the current phase.",
        ));
    }
    let up = read_upload(&st, &user, &headers, mp).await?;
    let (name, kind, size, sha) = up.file.ok_or_else(|| {
        AppError::said(
            axum::http::StatusCode::BAD_REQUEST,
            "Chưa chọn tệp tài liệu kiểm chứng.",
            "Choose the evidence file.",
        )
    })?;
    if let Some((id, title)) = st.db.evidence_with_hash(&unit_code, &sha).await? {
        return Err(AppError::said(
            axum::http::StatusCode::CONFLICT,
            format!(
                "Tệp này đã có trong tài liệu kiểm chứng số {id} “{title}”: hãy chọn “Dùng tài liệu kiểm chứng đã có” thay vì tải lại."
            ),
            format!(
                "This file is already evidence no. {id} “{title}”: choose “Reuse an existing evidence” instead of uploading it again."
            ),
        ));
    }
    let meta = meta_from(&up.fields, &name)?;
    let file = NewFile {
        file_name: &name,
        content_type: kind.content_type(),
        size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
        sha256: &sha,
    };
    st.db
        .create_evidence(
            &unit_code,
            &meta,
            &file,
            Some((&set_id, &leaf_code)),
            &user.user.username,
            &st.now(),
        )
        .await?;
    Ok(crate::core::flash::done(
        &back_to(&set_id, &unit_code, &leaf_code),
        crate::core::flash::Flash::EvidenceAdded,
    ))
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
    access: Access<act::EditAssessment>,
    Checked(f): Checked<LinkForm>,
) -> Result<Response, AppError> {
    let user = access.user;
    let (_, _, power) = leaf_power(&st, &user, &set_id, &unit_code, &leaf_code).await?;
    if !matches!(power, Some(Power::SelfAssess | Power::Explain)) {
        return Err(AppError::said(
            axum::http::StatusCode::FORBIDDEN,
            "Bạn không thể thêm tài liệu kiểm chứng cho tiêu chí này ở giai đoạn hiện tại.",
            "You cannot add evidence to this criterion in the current phase.",
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
    Ok(crate::core::flash::done(
        &back_to(&set_id, &unit_code, &leaf_code),
        crate::core::flash::Flash::EvidenceLinked,
    ))
}

/// A new version of an evidence file: under the same locks as the points it backs — every
/// leaf it is linked to must still accept the user's self-assessment or explanation.
pub async fn upload_revision(
    State(st): State<AppState>,
    Path(evidence_id): Path<i64>,
    access: Access<act::EditAssessment, EvidenceUnit>,
    headers: HeaderMap,
    mp: Multipart,
) -> Result<Response, AppError> {
    let unit = access.unit_code().to_string();
    let user = access.user;
    let leaves = st.db.evidence_leaves(evidence_id).await?;
    let mut open = !leaves.is_empty();
    for (set_id, code) in &leaves {
        let (_, _, power) = leaf_power(&st, &user, set_id, &unit, code).await?;
        open &= matches!(power, Some(Power::SelfAssess | Power::Explain));
    }
    if !open {
        return Err(AppError::said(
            axum::http::StatusCode::FORBIDDEN,
            "Không thêm được phiên bản mới: tài liệu kiểm chứng này gắn với tiêu chí mà bạn không còn sửa được (đã gửi bản tự đánh giá, hết hạn, hoặc không thuộc phần việc của bạn).",
            "No new version can be added: this evidence backs criteria you can no longer change (submitted, past the deadline, or not your part of the work).",
        ));
    }
    let up = read_upload(&st, &user, &headers, mp).await?;
    let (name, kind, size, sha) = up.file.ok_or_else(|| {
        AppError::said(
            axum::http::StatusCode::BAD_REQUEST,
            "Chưa chọn tệp.",
            "Choose a file.",
        )
    })?;
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
    Ok(crate::core::flash::done(
        &back,
        crate::core::flash::Flash::EvidenceAdded,
    ))
}

/// Serves one stored file to whoever may see its unit's data.
pub async fn show_file(
    State(st): State<AppState>,
    Path(file_id): Path<i64>,
    _access: Access<act::ReadAssessment, FileUnit>,
) -> Result<Response, AppError> {
    let (_, f) = st
        .db
        .evidence_file(file_id)
        .await?
        .ok_or(AppError::NotFound)?;
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
