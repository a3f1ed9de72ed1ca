//! The apology slip of a late dossier as DOCX: "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
//! (Mẫu 04, Thông tư 01/2018/TT-VPCP) for dossiers received before 01/7/2025, and from then
//! on "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết" (Mẫu 04, Thông tư
//! 03/2025/TT-VPCP, with Nghị định 118/2025/NĐ-CP). A5 portrait, Times New Roman 13, the
//! two-column header of Nghị định 30/2020/NĐ-CP (agency | national motto), the date line
//! "…, ngày 05 tháng 3 năm 2021" with leading zeros for days below 10 and months 1–2.
//! The wording is ours; the fields follow the forms' structure (issuing body, number,
//! addressee, receipt, procedure, dossier code, first appointment, reason, apology, new
//! date, signer).

use std::fmt::Write as _;
use std::io::{Cursor, Write};

use parindex_domain::calendar::Instant;
use parindex_domain::text::Date;

/// Which form a slip follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlipForm {
    /// Mẫu 04, Thông tư 01/2018/TT-VPCP.
    Tt01Of2018,
    /// Mẫu 04, Thông tư 03/2025/TT-VPCP (dossiers received from 01/7/2025).
    Tt03Of2025,
}

impl SlipForm {
    /// The form for a dossier received at `received`.
    pub fn for_receipt(received: Date) -> SlipForm {
        let switch = Date {
            year: 2025,
            month: 7,
            day: 1,
        };
        if received < switch {
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

fn esc(s: &str) -> String {
    crate::chart::xml_escape(s)
}

/// One paragraph: alignment, bold/italic, size in half-points, text runs.
fn para(align: &str, runs: &[(&str, bool, bool)], size: u32, indent: bool) -> String {
    let ind = if indent {
        r#"<w:ind w:firstLine="567"/>"#
    } else {
        ""
    };
    let mut p = format!(
        r#"<w:p><w:pPr><w:spacing w:before="0" w:after="120" w:line="276" w:lineRule="auto"/>{ind}<w:jc w:val="{align}"/></w:pPr>"#
    );
    for (text, bold, italic) in runs {
        let b = if *bold { "<w:b/>" } else { "" };
        let i = if *italic { "<w:i/>" } else { "" };
        let _ = write!(
            p,
            r#"<w:r><w:rPr>{b}{i}<w:sz w:val="{size}"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r>"#,
            esc(text)
        );
    }
    p.push_str("</w:p>");
    p
}

fn cell(width: u32, paras: &[String]) -> String {
    format!(
        r#"<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>{}</w:tc>"#,
        paras.concat()
    )
}

/// The document body of a slip (WordprocessingML paragraphs and tables).
fn body(s: &ApologySlip, form: SlipForm) -> String {
    let dots = "…………………………";
    let applicant = if s.applicant.trim().is_empty() {
        dots
    } else {
        s.applicant.trim()
    };
    let number = if s.number.trim().is_empty() {
        "Số:      /PXL".to_string()
    } else {
        format!("Số: {}", s.number.trim())
    };
    let left = cell(
        3300,
        &[
            para(
                "center",
                &[(&s.governing_body.to_uppercase(), false, false)],
                24,
                false,
            ),
            para(
                "center",
                &[(&s.agency.to_uppercase(), true, false)],
                24,
                false,
            ),
            para("center", &[(&number, false, false)], 24, false),
        ],
    );
    let right = cell(
        3600,
        &[
            para(
                "center",
                &[("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", true, false)],
                22,
                false,
            ),
            para(
                "center",
                &[("Độc lập - Tự do - Hạnh phúc", true, false)],
                24,
                false,
            ),
            para(
                "center",
                &[(
                    &format!("{}, {}", s.place, date_words(s.issued)),
                    false,
                    true,
                )],
                24,
                false,
            ),
        ],
    );
    let header = format!(
        r#"<w:tbl><w:tblPr><w:tblW w:w="6900" w:type="dxa"/><w:tblBorders><w:top w:val="nil"/><w:left w:val="nil"/><w:bottom w:val="nil"/><w:right w:val="nil"/><w:insideH w:val="nil"/><w:insideV w:val="nil"/></w:tblBorders></w:tblPr><w:tblGrid><w:gridCol w:w="3300"/><w:gridCol w:w="3600"/></w:tblGrid><w:tr>{left}{right}</w:tr></w:tbl>"#
    );
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
    let mut out = header;
    out.push_str(&para("center", &[("", false, false)], 26, false));
    out.push_str(&para("center", &[(form.title(), true, false)], 26, false));
    out.push_str(&para(
        "center",
        &[("Kính gửi: ", false, false), (applicant, false, false)],
        26,
        false,
    ));
    for l in &lines {
        out.push_str(&para("both", &[(l, false, false)], 26, true));
    }
    out.push_str(&para("right", &[(&signer_title, true, false)], 26, false));
    out.push_str(&para(
        "right",
        &[("(Ký, ghi rõ họ tên, đóng dấu)", false, true)],
        24,
        false,
    ));
    out.push_str(&para("right", &[("", false, false)], 26, false));
    out.push_str(&para(
        "right",
        &[(s.signer_name.trim(), true, false)],
        26,
        false,
    ));
    out.push_str(&para(
        "left",
        &[(&format!("({})", form.basis()), false, true)],
        20,
        false,
    ));
    out
}

/// The slip as a DOCX file (A5 portrait; margins top/bottom 20 mm, left 30 mm, right
/// 15 mm; Times New Roman 13).
pub fn apology_docx(s: &ApologySlip) -> Result<Vec<u8>, String> {
    let form = SlipForm::for_receipt(s.received.date);
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{}<w:sectPr><w:pgSz w:w="8391" w:h="11906"/><w:pgMar w:top="1134" w:right="851" w:bottom="1134" w:left="1701" w:header="567" w:footer="567" w:gutter="0"/></w:sectPr></w:body></w:document>"#,
        body(s, form)
    );
    let styles = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="Times New Roman" w:cs="Times New Roman"/><w:sz w:val="26"/><w:lang w:val="vi-VN"/></w:rPr></w:rPrDefault></w:docDefaults></w:styles>"#;
    let content_types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    let doc_rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, text) in [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", rels),
        ("word/_rels/document.xml.rels", doc_rels),
        ("word/styles.xml", styles),
        ("word/document.xml", document.as_str()),
    ] {
        w.start_file(name, opts).map_err(|e| e.to_string())?;
        w.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(w.finish().map_err(|e| e.to_string())?.into_inner())
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
    fn the_slip_reads_back_with_its_fields() {
        let bytes = apology_docx(&slip("2021-02-09 09:15")).unwrap();
        let text = crate::docx::docx_text(&bytes).unwrap();
        for want in [
            "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
            "UBND TỈNH BÀ RỊA – VŨNG TÀU",
            "SỞ KẾ HOẠCH VÀ ĐẦU TƯ",
            "Độc lập - Tự do - Hạnh phúc",
            "Bà Rịa – Vũng Tàu, ngày 17 tháng 02 năm 2021",
            "Kính gửi: Công ty TNHH A & B",
            "Mã hồ sơ: SKHDT-2021-0000042.",
            "09 giờ 15 phút, ngày 18 tháng 02 năm 2021",
            "Lý do: cần lấy ý kiến Sở Xây dựng.",
            "hẹn lại thời gian trả kết quả vào 16 giờ 00 phút, ngày 05 tháng 3 năm 2021",
            "GIÁM ĐỐC",
            "Mẫu 04, Thông tư 01/2018/TT-VPCP",
        ] {
            assert!(text.contains(want), "missing {want:?} in {text}");
        }
        // A5 portrait.
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut doc = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut doc)
            .unwrap();
        assert!(doc.contains(r#"<w:pgSz w:w="8391" w:h="11906"/>"#));
    }

    #[test]
    fn dossiers_from_july_2025_get_the_2025_form() {
        assert_eq!(
            SlipForm::for_receipt(Date::parse("2025-06-30").unwrap()),
            SlipForm::Tt01Of2018
        );
        let bytes = apology_docx(&slip("2025-07-01 08:00")).unwrap();
        let text = crate::docx::docx_text(&bytes).unwrap();
        assert!(text.contains("VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"));
        assert!(text.contains("đề nghị gia hạn thời gian giải quyết hồ sơ đến 16 giờ 00 phút"));
        assert!(text.contains("Mẫu 04, Thông tư 03/2025/TT-VPCP"));
        assert!(!text.contains("PHIẾU XIN LỖI"));
    }
}
