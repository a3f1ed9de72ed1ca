//! The province's units and their reorganisations: the list (current units first, those
//! merged or split away with their last day and successor), the changes recorded, and the
//! upload of a unit-change file (merge, split, rename with its effective date) — applied
//! all or nothing, its errors shown by the editor's line.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use parindex_domain::text::Date;
use serde::Deserialize;

use crate::core::error::AppError;
use crate::core::i18n::Lang;
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::AppState;
use crate::extract::access::{Access, NoUnit, act};

/// Most units listed on the page (a province has a few hundred; merged-away ones included).
const MAX_LISTED: usize = 5000;
/// Most recorded changes listed.
const MAX_CHANGES: i64 = 500;

/// The page's words.
pub struct Words {
    pub title: &'static str,
    pub help: &'static str,
    pub upload: &'static str,
    pub file: &'static str,
    pub apply: &'static str,
    pub format: &'static str,
    pub nothing_saved: &'static str,
    pub changes: &'static str,
    pub no_changes: &'static str,
    pub effective: &'static str,
    pub change: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub by: &'static str,
    pub units: &'static str,
    pub code: &'static str,
    pub name: &'static str,
    pub kind: &'static str,
    pub group: &'static str,
    pub valid: &'static str,
    pub successor: &'static str,
    pub current_only: &'static str,
    pub show_all: &'static str,
    pub gone: &'static str,
}

static VI: Words = Words {
    title: "Đơn vị và sắp xếp lại",
    help: "Từ 01/07/2025 các tỉnh, xã, phường được sắp xếp lại. Tải lên tệp thay đổi đơn vị để ghi sáp nhập, chia tách, đổi tên với ngày hiệu lực: đơn vị cũ thôi tồn tại từ ngày trước đó, đơn vị mới có từ ngày hiệu lực; bảng xếp hạng của một năm gồm các đơn vị còn tồn tại ngày 31/12 năm đó; thẻ điểm của đơn vị mới dẫn tới lịch sử của các đơn vị tiền thân.",
    upload: "Tải lên tệp thay đổi đơn vị",
    file: "Tệp CSV hoặc XLSX (tối đa 2 MB)",
    apply: "Kiểm tra và ghi",
    format: "Các cột: effective (ngày hiệu lực), change (sáp nhập / chia tách / đổi tên), from_code, to_code, to_name, kind, group, parent_code (đơn vị cấp trên của đơn vị mới). Một đơn vị chia thành nhiều đơn vị: mỗi đơn vị mới một dòng. Có lỗi ở bất kỳ dòng nào thì không ghi gì.",
    nothing_saved: "Tệp có lỗi nên chưa ghi gì. Sửa các dòng dưới đây rồi tải lên lại.",
    changes: "Các thay đổi đã ghi",
    no_changes: "Chưa ghi thay đổi nào.",
    effective: "Ngày hiệu lực",
    change: "Thay đổi",
    from: "Đơn vị cũ",
    to: "Đơn vị mới / nhận",
    by: "Người ghi",
    units: "Danh sách đơn vị",
    code: "Mã",
    name: "Tên",
    kind: "Loại",
    group: "Nhóm",
    valid: "Thời gian tồn tại",
    successor: "Đơn vị kế thừa",
    current_only: "Chỉ các đơn vị đang tồn tại",
    show_all: "Hiện cả các đơn vị đã thôi tồn tại",
    gone: "đã thôi tồn tại",
};

static EN: Words = Words {
    title: "Units and reorganisations",
    help: "Since 01/07/2025 provinces, communes and wards have been reorganised. Upload a unit-change file to record merges, splits and renames with their effective date: an old unit ends the day before, a new one exists from that date; a year's ranking holds the units that exist on 31/12 of that year; a new unit's score card leads to its predecessors' history.",
    upload: "Upload a unit-change file",
    file: "CSV or XLSX file (at most 2 MB)",
    apply: "Check and record",
    format: "Columns: effective (date), change (merge / split / rename), from_code, to_code, to_name, kind, group, parent_code (the new unit's parent). A unit split into several: one line per new unit. An error on any line records nothing.",
    nothing_saved: "The file has errors, so nothing was recorded. Fix the lines below and upload it again.",
    changes: "Changes recorded",
    no_changes: "No change recorded yet.",
    effective: "Effective",
    change: "Change",
    from: "Old unit",
    to: "New / receiving unit",
    by: "Recorded by",
    units: "Units",
    code: "Code",
    name: "Name",
    kind: "Kind",
    group: "Group",
    valid: "Existed",
    successor: "Successor",
    current_only: "Only the units that exist now",
    show_all: "Show the units that no longer exist too",
    gone: "no longer exists",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

#[derive(Deserialize, Default)]
pub struct UnitsQuery {
    pub all: Option<String>,
}

pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub group: String,
    /// `01/07/2025 – 30/06/2026`, `– 30/06/2025`, `01/07/2025 –` or empty.
    pub valid: String,
    pub gone: bool,
    pub successor: String,
}

pub struct ChangeLine {
    pub effective: String,
    pub change: &'static str,
    pub from: String,
    pub to: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "units.html")]
pub struct UnitsPage {
    pub t: &'static crate::core::i18n::Tr,
    pub w: &'static Words,
    pub chrome: Chrome,
    pub all: bool,
    pub units: Vec<UnitLine>,
    pub more: usize,
    pub changes: Vec<ChangeLine>,
    /// The file's problems (nothing recorded), each `file:line: message`.
    pub problems: Vec<String>,
}

fn vi_date(iso: Option<&str>) -> String {
    iso.and_then(Date::parse)
        .map(Date::to_vi)
        .unwrap_or_default()
}

async fn render(
    st: &AppState,
    lang: Lang,
    user: &parindex_db::SessionUser,
    all: bool,
    problems: Vec<String>,
) -> Result<Response, AppError> {
    let w = words(lang);
    let today = st.local_instant().date;
    let mut units: Vec<UnitLine> = st
        .db
        .list_units()
        .await?
        .into_iter()
        .map(|u| {
            let gone = u
                .valid_to
                .as_deref()
                .and_then(Date::parse)
                .is_some_and(|d| d < today);
            let valid = match (u.valid_from.as_deref(), u.valid_to.as_deref()) {
                (None, None) => String::new(),
                (from, to) => format!("{} – {}", vi_date(from), vi_date(to))
                    .trim()
                    .to_string(),
            };
            UnitLine {
                code: u.code,
                name: u.name,
                kind: u.kind.unwrap_or_default(),
                group: u.group.unwrap_or_default(),
                valid,
                gone,
                successor: u.merged_into.unwrap_or_default(),
            }
        })
        .filter(|u| all || !u.gone)
        .collect();
    let more = units.len().saturating_sub(MAX_LISTED);
    units.truncate(MAX_LISTED);
    let changes = st
        .db
        .unit_changes(MAX_CHANGES)
        .await?
        .into_iter()
        .map(|c| ChangeLine {
            effective: vi_date(Some(&c.effective)),
            change: lang.tr().change_kind(
                parindex_domain::reorg::Kind::parse(&c.change)
                    .unwrap_or(parindex_domain::reorg::Kind::Rename),
            ),
            from: format!("{} — {}", c.from_code, c.from_name),
            to: if c.to_code.is_empty() {
                c.to_name
            } else {
                format!("{} — {}", c.to_code, c.to_name)
            },
            by: c.by,
        })
        .collect();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = UnitsPage {
        t: lang.tr(),
        w,
        chrome: Chrome::new(lang, w.title, false, Some(user)),
        all,
        units,
        more,
        changes,
        problems,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show_units(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ReorganiseUnits, NoUnit>,
    Query(q): Query<UnitsQuery>,
) -> Result<Response, AppError> {
    render(&st, lang, &access.user, q.all.is_some(), Vec::new()).await
}

/// Reads a unit-change file and records it, or shows its errors with nothing recorded.
pub async fn upload_changes(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ReorganiseUnits, NoUnit>,
    headers: HeaderMap,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (_, name, text) =
        crate::extract::upload::read_table(&st, &access.user, &headers, mp).await?;
    let units = st.db.unit_rows().await?;
    let (changes, rows) = match parindex_domain::reorg::parse_changes_csv(&name, &text, &units) {
        Ok((changes, _)) if changes.is_empty() => {
            let empty = crate::indicators::manage::empty_file(&name, lang);
            return render(&st, lang, &access.user, true, vec![empty]).await;
        }
        Ok(parsed) => parsed,
        Err(problems) => {
            let lines = problems.0.iter().map(ToString::to_string).collect();
            let lines = crate::extract::upload::problem_lines(lines, lang);
            return render(&st, lang, &access.user, true, lines).await;
        }
    };
    let actor = access.user.user.username.clone();
    st.db
        .apply_unit_changes(&changes, &rows, &actor, &st.now())
        .await?;
    // Rankings hold the units that exist at their year's end: every one may have changed.
    st.invalidate_all();
    Ok(crate::core::flash::done(
        "/units?all=1#changes",
        crate::core::flash::Flash::UnitsChanged,
    ))
}
