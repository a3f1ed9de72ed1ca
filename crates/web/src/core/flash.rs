//! "Đã lưu …": a success said on the page a form returns to.
//!
//! A handler that succeeds redirects with [`done`]: the redirect carries a short-lived
//! `flash` cookie naming one of the fixed [`Flash`] messages (never free text, so nothing
//! a user typed travels in it). The [`show_flash`] middleware puts that message at the top
//! of the next HTML page, in the page's language, and clears the cookie.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::core::i18n::Lang;
use crate::core::layout::lang_of;

/// Every success a form can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flash {
    Saved,
    Submitted,
    PhaseChanged,
    WindowSaved,
    ExtensionGranted,
    EvidenceAdded,
    EvidenceLinked,
    Delegated,
    TaskCancelled,
    Reported,
    Started,
    Commented,
    AccountCreated,
    ScopesSaved,
    CalendarSaved,
    ApologyIssued,
    ViolationDecided,
    Acknowledged,
    TasksCreated,
    PasswordChanged,
    Prefilled,
    PrefillNothing,
    MappingSaved,
    UnitsChanged,
    IndicatorsImported,
}

impl Flash {
    pub const ALL: &'static [Flash] = &[
        Flash::Saved,
        Flash::Submitted,
        Flash::PhaseChanged,
        Flash::WindowSaved,
        Flash::ExtensionGranted,
        Flash::EvidenceAdded,
        Flash::EvidenceLinked,
        Flash::Delegated,
        Flash::TaskCancelled,
        Flash::Reported,
        Flash::Started,
        Flash::Commented,
        Flash::AccountCreated,
        Flash::ScopesSaved,
        Flash::CalendarSaved,
        Flash::ApologyIssued,
        Flash::ViolationDecided,
        Flash::Acknowledged,
        Flash::TasksCreated,
        Flash::PasswordChanged,
        Flash::Prefilled,
        Flash::PrefillNothing,
        Flash::MappingSaved,
        Flash::UnitsChanged,
        Flash::IndicatorsImported,
    ];

    fn key(self) -> &'static str {
        match self {
            Flash::Saved => "saved",
            Flash::Submitted => "submitted",
            Flash::PhaseChanged => "phase",
            Flash::WindowSaved => "window",
            Flash::ExtensionGranted => "extension",
            Flash::EvidenceAdded => "evidence",
            Flash::EvidenceLinked => "linked",
            Flash::Delegated => "delegated",
            Flash::TaskCancelled => "cancelled",
            Flash::Reported => "reported",
            Flash::Started => "started",
            Flash::Commented => "commented",
            Flash::AccountCreated => "account",
            Flash::ScopesSaved => "scopes",
            Flash::CalendarSaved => "calendar",
            Flash::ApologyIssued => "apology",
            Flash::ViolationDecided => "violation",
            Flash::Acknowledged => "ack",
            Flash::TasksCreated => "tasks",
            Flash::PasswordChanged => "password",
            Flash::Prefilled => "prefilled",
            Flash::PrefillNothing => "prefill-none",
            Flash::MappingSaved => "mapping",
            Flash::UnitsChanged => "units",
            Flash::IndicatorsImported => "indicators",
        }
    }

    fn parse(key: &str) -> Option<Flash> {
        Flash::ALL.iter().copied().find(|f| f.key() == key)
    }

    /// The message, in the page's language.
    pub fn message(self, lang: Lang) -> &'static str {
        let (vi, en) = match self {
            Flash::Saved => ("Đã lưu.", "Saved."),
            Flash::Submitted => (
                "Đã nộp bản tự đánh giá. Đơn vị không sửa được nữa trừ khi được mở lại.",
                "The self-assessment is submitted. The unit can no longer change it unless it is reopened.",
            ),
            Flash::PhaseChanged => ("Đã chuyển giai đoạn.", "The phase is changed."),
            Flash::WindowSaved => ("Đã lưu thời hạn.", "The deadlines are saved."),
            Flash::ExtensionGranted => ("Đã gia hạn cho đơn vị.", "The extension is granted."),
            Flash::EvidenceAdded => ("Đã lưu tài liệu kiểm chứng.", "The evidence is saved."),
            Flash::EvidenceLinked => (
                "Đã gắn tài liệu kiểm chứng vào tiêu chí.",
                "The evidence is linked to the criterion.",
            ),
            Flash::Delegated => ("Đã lưu việc giao tiêu chí.", "The delegation is saved."),
            Flash::TaskCancelled => ("Đã hủy nhiệm vụ.", "The task is cancelled."),
            Flash::Reported => ("Đã lưu báo cáo tiến độ.", "The progress report is saved."),
            Flash::Started => ("Đã ghi nhận bắt đầu thực hiện.", "Marked as started."),
            Flash::Commented => ("Đã lưu ý kiến.", "The comment is saved."),
            Flash::AccountCreated => ("Đã tạo tài khoản.", "The account is created."),
            Flash::ScopesSaved => ("Đã lưu phân công thẩm định.", "The assignment is saved."),
            Flash::CalendarSaved => ("Đã lưu lịch làm việc.", "The working calendar is saved."),
            Flash::ApologyIssued => ("Đã lập phiếu xin lỗi.", "The apology slip is issued."),
            Flash::ViolationDecided => ("Đã lưu quyết định.", "The decision is saved."),
            Flash::Acknowledged => ("Đã đánh dấu đã đọc.", "Marked as read."),
            Flash::TasksCreated => ("Đã tạo nhiệm vụ.", "The tasks are created."),
            Flash::PasswordChanged => ("Đã đổi mật khẩu.", "The password is changed."),
            Flash::Prefilled => (
                "Đã điền sẵn từ năm trước các tiêu chí còn trống (bản nháp): hãy kiểm tra lại từng tiêu chí trước khi nộp.",
                "The empty criteria are filled from last year (a draft): check each one before submitting.",
            ),
            Flash::MappingSaved => ("Đã lưu bảng ghép tiêu chí.", "The mapping is saved."),
            Flash::UnitsChanged => (
                "Đã ghi các thay đổi đơn vị; bảng xếp hạng các năm được tính lại theo đơn vị tồn tại cuối mỗi năm.",
                "The unit changes are recorded; each year's ranking is computed again with the units that exist at its end.",
            ),
            Flash::IndicatorsImported => (
                "Đã nhập tệp chỉ số; các tiêu chí đọc chỉ số được tính lại.",
                "The indicator file is imported; the criteria that read indicators are computed again.",
            ),
            Flash::PrefillNothing => (
                "Không có tiêu chí còn trống nào lấy được từ năm trước: không có gì thay đổi.",
                "No empty criterion could be filled from last year: nothing changed.",
            ),
        };
        match lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

const COOKIE: &str = "flash";

/// A redirect to `to` that says `what` succeeded on the page it opens.
pub fn done(to: &str, what: Flash) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={}; Path=/; Max-Age=60; SameSite=Lax; HttpOnly",
        what.key()
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn pending(req: &Request) -> Option<Flash> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("flash="))
        .and_then(Flash::parse)
}

/// The largest page the message is put into (a bigger one keeps its cookie for the next).
const MAX_PAGE: usize = 16 * 1024 * 1024;

/// Puts a pending success message at the top of the next HTML page and clears it.
pub async fn show_flash(req: Request, next: Next) -> Response {
    let Some(flash) = pending(&req) else {
        return next.run(req).await;
    };
    let lang = lang_of(req.headers(), req.uri());
    let res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if res.status() != StatusCode::OK || !html {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    let page = String::from_utf8_lossy(&bytes);
    let marker = "<main id=\"main\" tabindex=\"-1\">";
    let Some(at) = page.find(marker).map(|i| i + marker.len()) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let mut out = String::with_capacity(page.len() + 200);
    out.push_str(&page[..at]);
    out.push_str("\n<p class=\"ok\" role=\"status\" id=\"flash\">");
    out.push_str(flash.message(lang));
    out.push_str("</p>");
    out.push_str(&page[at..]);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.append(
        header::SET_COOKIE,
        HeaderValue::from_static("flash=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly"),
    );
    Response::from_parts(parts, Body::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_reads_back_from_its_key_in_both_languages() {
        for f in Flash::ALL {
            assert_eq!(Flash::parse(f.key()), Some(*f));
            assert!(!f.message(Lang::Vi).is_empty());
            assert_ne!(f.message(Lang::Vi), f.message(Lang::En));
        }
        assert_eq!(Flash::parse("<script>"), None);
    }
}
