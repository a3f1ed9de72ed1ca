//! The words of the apology slip of a late dossier (`parindex-documents` lays it out as
//! DOCX and PDF): "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
//! (Mẫu 04, Thông tư 01/2018/TT-VPCP, Nghị định 61/2018/NĐ-CP) for a slip issued until
//! 30/6/2025, and from 01/7/2025 "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"
//! (Mẫu 04, Thông tư 03/2025/TT-VPCP, with Nghị định 118/2025/NĐ-CP): the rules in force
//! are those of the day the slip is issued, not of the dossier's receipt. The date line
//! "…, ngày 05 tháng 3 năm 2021" with leading zeros for days below 10 and months 1–2.
//! The wording is ours; the fields follow the forms' structure (issuing body, number,
//! addressee, receipt, procedure, dossier code, first appointment, reason, apology, new
//! date, signer).

use parindex_domain::calendar::Instant;
use parindex_domain::text::Date;

/// Which form a slip follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlipForm {
    /// Mẫu 04, Thông tư 01/2018/TT-VPCP.
    Tt01Of2018,
    /// Mẫu 04, Thông tư 03/2025/TT-VPCP (slips issued from 01/7/2025).
    Tt03Of2025,
}

impl SlipForm {
    /// The form of a slip issued on `issued`: Nghị định 118/2025/NĐ-CP replaced Nghị định
    /// 61/2018/NĐ-CP on 01/7/2025.
    pub fn for_issue(issued: Date) -> SlipForm {
        let switch = Date {
            year: 2025,
            month: 7,
            day: 1,
        };
        if issued < switch {
            SlipForm::Tt01Of2018
        } else {
            SlipForm::Tt03Of2025
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SlipForm::Tt01Of2018 => "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
            SlipForm::Tt03Of2025 => "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
        }
    }

    /// The decree whose one-stop rules apply.
    pub fn decree(self) -> &'static str {
        match self {
            SlipForm::Tt01Of2018 => "Nghị định số 61/2018/NĐ-CP",
            SlipForm::Tt03Of2025 => "Nghị định số 118/2025/NĐ-CP",
        }
    }

    pub fn basis(self) -> &'static str {
        match self {
            SlipForm::Tt01Of2018 => "Mẫu 04, Thông tư 01/2018/TT-VPCP",
            SlipForm::Tt03Of2025 => "Mẫu 04, Thông tư 03/2025/TT-VPCP",
        }
    }
}

/// The governing body and place a slip is headed with when none is configured: those of
/// the demo's province.
pub const DEMO_GOVERNING_BODY: &str = "UBND tỉnh Bà Rịa – Vũng Tàu";
pub const DEMO_PLACE: &str = "Bà Rịa – Vũng Tàu";

/// What a slip says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApologySlip {
    /// The governing body above the agency, e.g. `UBND TỈNH BÀ RỊA – VŨNG TÀU`.
    pub governing_body: String,
    /// The agency that caused the delay, e.g. `Sở Kế hoạch và Đầu tư`.
    pub agency: String,
    /// The number and symbol after "Số:", blank to be filled by hand.
    pub number: String,
    pub place: String,
    pub issued: Date,
    /// The applicant; blank leaves a dotted line.
    pub applicant: String,
    pub procedure: String,
    pub dossier_code: String,
    pub received: Instant,
    pub due: Instant,
    pub reason: String,
    pub new_due: Instant,
    /// The signer's title, e.g. `GIÁM ĐỐC`; blank: "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ".
    pub signer_title: String,
    pub signer_name: String,
}

/// "ngày 05 tháng 3 năm 2021": leading zero for days below 10 and months 1 and 2.
pub fn date_words(d: Date) -> String {
    let month = if d.month <= 2 {
        format!("{:02}", d.month)
    } else {
        d.month.to_string()
    };
    format!("ngày {:02} tháng {month} năm {}", d.day, d.year)
}

/// "09 giờ 15 phút, ngày 18 tháng 02 năm 2021".
pub fn instant_words(i: Instant) -> String {
    format!(
        "{:02} giờ {:02} phút, {}",
        i.minute / 60,
        i.minute % 60,
        date_words(i.date)
    )
}

/// The words of a slip, laid out by `parindex-documents` (DOCX and PDF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipText {
    pub form: SlipForm,
    /// "Số:      /PXL", or the given number.
    pub number: String,
    /// "Kính gửi: …" with the applicant, or a dotted line.
    pub addressee: String,
    /// The body's paragraphs.
    pub lines: Vec<String>,
    /// Upper-case.
    pub signer_title: String,
}

/// What the slip `s` says, in the form of the day it is issued.
pub fn slip_text(s: &ApologySlip) -> SlipText {
    let form = SlipForm::for_issue(s.issued);
    let applicant = if s.applicant.trim().is_empty() {
        "…………………………"
    } else {
        s.applicant.trim()
    };
    let number = if s.number.trim().is_empty() {
        "Số:      /PXL".to_string()
    } else {
        format!("Số: {}", s.number.trim())
    };
    let agency = &s.agency;
    let lines = match form {
        SlipForm::Tt01Of2018 => vec![
            format!(
                "Ngày {}, {agency} tiếp nhận hồ sơ đề nghị giải quyết thủ tục: {}.",
                date_words(s.received.date).trim_start_matches("ngày "),
                s.procedure
            ),
            format!("Mã hồ sơ: {}.", s.dossier_code),
            format!(
                "Thời gian hẹn trả kết quả giải quyết hồ sơ: {}.",
                instant_words(s.due)
            ),
            format!(
                "Đến nay, {agency} chưa trả được kết quả giải quyết hồ sơ. Lý do: {}.",
                s.reason.trim().trim_end_matches('.')
            ),
            format!(
                "Sự chậm trễ này đã gây phiền hà cho Ông/Bà/Tổ chức. {agency} trân trọng xin lỗi và hẹn lại thời gian trả kết quả vào {}.",
                instant_words(s.new_due)
            ),
            "Rất mong Ông/Bà/Tổ chức thông cảm.".to_string(),
        ],
        SlipForm::Tt03Of2025 => vec![
            format!(
                "Ngày {}, {agency} tiếp nhận hồ sơ đề nghị giải quyết thủ tục: {}; mã hồ sơ: {}; thời hạn giải quyết đến {}.",
                date_words(s.received.date).trim_start_matches("ngày "),
                s.procedure,
                s.dossier_code,
                instant_words(s.due)
            ),
            format!(
                "Hồ sơ chưa được giải quyết đúng thời hạn. Lý do: {}.",
                s.reason.trim().trim_end_matches('.')
            ),
            format!(
                "{agency} trân trọng xin lỗi Ông/Bà/Tổ chức và đề nghị gia hạn thời gian giải quyết hồ sơ đến {}.",
                instant_words(s.new_due)
            ),
            "Rất mong Ông/Bà/Tổ chức thông cảm.".to_string(),
        ],
    };
    let signer_title = if s.signer_title.trim().is_empty() {
        "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ".to_string()
    } else {
        s.signer_title.trim().to_uppercase()
    };
    SlipText {
        form,
        number,
        addressee: format!("Kính gửi: {applicant}"),
        lines,
        signer_title,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn slip(received: &str) -> ApologySlip {
        ApologySlip {
            governing_body: "UBND tỉnh Bà Rịa – Vũng Tàu".into(),
            agency: "Sở Kế hoạch và Đầu tư".into(),
            number: String::new(),
            place: "Bà Rịa – Vũng Tàu".into(),
            issued: Date::parse("2021-02-17").unwrap(),
            applicant: "Công ty TNHH A & B".into(),
            procedure: "Cấp Giấy chứng nhận đăng ký đầu tư".into(),
            dossier_code: "SKHDT-2021-0000042".into(),
            received: Instant::parse(received).unwrap(),
            due: Instant::parse("2021-02-18 09:15").unwrap(),
            reason: "cần lấy ý kiến Sở Xây dựng".into(),
            new_due: Instant::parse("2021-03-05 16:00").unwrap(),
            signer_title: "Giám đốc".into(),
            signer_name: "Nguyễn Văn A".into(),
        }
    }

    #[test]
    fn dates_are_written_the_decree_30_way() {
        assert_eq!(
            date_words(Date::parse("2021-03-05").unwrap()),
            "ngày 05 tháng 3 năm 2021"
        );
        assert_eq!(
            date_words(Date::parse("2023-02-01").unwrap()),
            "ngày 01 tháng 02 năm 2023"
        );
        assert_eq!(
            instant_words(Instant::parse("2021-02-18 09:15").unwrap()),
            "09 giờ 15 phút, ngày 18 tháng 02 năm 2021"
        );
    }

    #[test]
    fn slips_issued_from_july_2025_follow_the_2025_form() {
        assert_eq!(
            SlipForm::for_issue(Date::parse("2025-06-30").unwrap()),
            SlipForm::Tt01Of2018
        );
        assert_eq!(
            SlipForm::for_issue(Date::parse("2025-07-01").unwrap()).decree(),
            "Nghị định số 118/2025/NĐ-CP"
        );
        // Received under the old decree, issued under the new one: the new form.
        let mut s = slip("2025-06-20 08:00");
        s.issued = Date::parse("2025-07-01").unwrap();
        let t = slip_text(&s);
        assert_eq!(t.form, SlipForm::Tt03Of2025);
        // Received in June 2025 and issued before July: the old form still.
        s.issued = Date::parse("2025-06-30").unwrap();
        assert_eq!(slip_text(&s).form, SlipForm::Tt01Of2018);
        let mut s = slip("2025-07-01 08:00");
        s.issued = Date::parse("2025-07-02").unwrap();
        let t = slip_text(&s);
        assert_eq!(t.form, SlipForm::Tt03Of2025);
        assert!(
            t.lines.iter().any(
                |l| l.contains("đề nghị gia hạn thời gian giải quyết hồ sơ đến 16 giờ 00 phút")
            )
        );
    }
}
