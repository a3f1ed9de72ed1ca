//! Documents read back: the PDF through poppler's `pdftotext` and `pdffonts` (Debian
//! `poppler-utils`, installed by `.ci/run`), the DOCX through its XML.

use std::collections::HashMap;

use parindex_domain::text::{Date, nfc};
use parindex_domain::{parse_criteria_yaml, parse_scores_csv, rank_units};

use crate::letterhead::Letterhead;
use crate::model::{Block, Document};
use crate::readback;
use crate::self_assessment::{Cited, LeafEntry, self_assessment_document};
use crate::{Format, ranking::ranking_document, render};

/// Every Vietnamese letter: the vowels with each of the six tones, upper and lower case,
/// and đ.
pub fn vietnamese_letters() -> Vec<String> {
    let bases = [
        "aàáảãạ",
        "ăằắẳẵặ",
        "âầấẩẫậ",
        "eèéẻẽẹ",
        "êềếểễệ",
        "iìíỉĩị",
        "oòóỏõọ",
        "ôồốổỗộ",
        "ơờớởỡợ",
        "uùúủũụ",
        "ưừứửữự",
        "yỳýỷỹỵ",
    ];
    let mut out: Vec<String> = bases
        .iter()
        .flat_map(|b| b.chars())
        .flat_map(|c| [c.to_string(), c.to_uppercase().collect()])
        .collect();
    out.push("đ".into());
    out.push("Đ".into());
    out
}

fn head() -> Letterhead {
    Letterhead {
        governing_body: "UBND tỉnh Bà Rịa – Vũng Tàu".into(),
        agency: "Sở Nội vụ".into(),
        code: "SNV".into(),
        place: "Bà Rịa – Vũng Tàu".into(),
        date: Date {
            year: 2026,
            month: 2,
            day: 5,
        },
    }
}

fn example_set() -> parindex_domain::CriteriaSet {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/");
    let yaml = std::fs::read_to_string(format!("{root}brvt-so-2020.yaml")).unwrap();
    parse_criteria_yaml("brvt-so-2020.yaml", &yaml).unwrap()
}

fn example_ranking() -> Document {
    let set = example_set();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/");
    let csv = std::fs::read_to_string(format!("{root}brvt-so-2020-scores.csv")).unwrap();
    let scores = parse_scores_csv("scores.csv", &csv, &set).unwrap();
    let results = rank_units(&set, &scores);
    ranking_document(&set, &results, &head(), false)
}

/// Whether poppler's tools are here; with `CI=true` they must be.
pub fn poppler() -> bool {
    let here = readback::poppler_here();
    if !here {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pdftotext and pdffonts (poppler-utils) are needed with CI=true"
        );
        eprintln!("skipped: pdftotext/pdffonts (poppler-utils) are not installed");
    }
    here
}

/// With `PARINDEX_DOC_OUT=dir`, the tests leave their documents there to look at.
fn keep(name: &str, bytes: &[u8]) {
    if let Ok(dir) = std::env::var("PARINDEX_DOC_OUT") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
    }
}

fn pdftotext(pdf: &[u8], page: Option<u32>) -> String {
    readback::pdf_layout(pdf, page).unwrap()
}

fn pdf_words(pdf: &[u8]) -> String {
    readback::pdf_words(pdf).unwrap()
}

fn pages(pdf: &[u8]) -> u32 {
    readback::pdf_pages(pdf).unwrap()
}

/// Every font of a PDF is embedded, and they are the shipped Liberation Serif.
pub fn assert_fonts_embedded(pdf: &[u8]) {
    let fonts = readback::pdf_fonts(pdf).unwrap();
    assert!(!fonts.is_empty(), "a PDF with text has fonts");
    for f in &fonts {
        assert!(f.name.contains("LiberationSerif"), "{f:?}");
        assert!(f.embedded, "not embedded: {f:?}");
    }
}

#[test]
fn every_vietnamese_letter_comes_back_out_of_the_pdf() {
    if !poppler() {
        return;
    }
    let letters = vietnamese_letters();
    let mut doc = example_ranking();
    doc.blocks.insert(
        0,
        Block::Para {
            text: letters.join(" "),
        },
    );
    let pdf = render(&doc, Format::Pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdftotext(&pdf, None);
    for l in &letters {
        assert!(text.contains(l.as_str()), "{l} missing from the PDF text");
    }
    for must in [
        "UBND TỈNH BÀ RỊA – VŨNG TÀU",
        "SỞ NỘI VỤ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số:",
        "/BC-SNV",
        "Bà Rịa – Vũng Tàu, ngày 05 tháng 02 năm 2026",
        "BÁO CÁO",
        "Kết quả Chỉ số cải cách hành chính năm 2020",
        "Nơi nhận:",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
    ] {
        assert!(text.contains(must), "{must} missing:\n{text}");
    }
    assert_fonts_embedded(&pdf);
}

#[test]
fn the_ranking_lists_every_unit_with_its_figures_and_repeats_the_table_head() {
    if !poppler() {
        return;
    }
    let set = example_set();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/");
    let csv = std::fs::read_to_string(format!("{root}brvt-so-2020-scores.csv")).unwrap();
    let scores = parse_scores_csv("scores.csv", &csv, &set).unwrap();
    let results = rank_units(&set, &scores);
    let doc = ranking_document(&set, &results, &head(), false);
    let pdf = render(&doc, Format::Pdf).unwrap();
    let text = pdftotext(&pdf, None);
    let skhdt = results.iter().find(|r| r.unit_code == "SKHDT").unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(&skhdt.unit_name))
        .unwrap_or_else(|| unreachable!("no line for SKHDT:\n{text}"));
    assert!(line.contains("11/21"), "{line}");
    assert!(line.contains("85,620"), "{line}");
    for r in &results {
        assert!(
            text.contains(&r.score.to_vi(set.precision)),
            "{}",
            r.unit_code
        );
    }
    // Five copies of the unit list make the table run over pages: its head comes again at
    // the top of each, under the page number.
    let mut long = doc.clone();
    if let Some(Block::Table(t)) = long.blocks.last_mut() {
        let rows = t.rows.clone();
        for _ in 0..4 {
            t.rows.extend(rows.clone());
        }
    }
    let pdf = render(&long, Format::Pdf).unwrap();
    keep("ranking-long.pdf", &pdf);
    let n = pages(&pdf);
    assert!(n >= 3, "{n} pages");
    for p in 2..=n {
        let page = pdftotext(&pdf, Some(p));
        let first: Vec<&str> = page
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(4)
            .collect();
        assert_eq!(first[0].trim(), p.to_string(), "page number on page {p}");
        let head = first[1..].join("\n");
        assert!(
            head.contains("Hạng") && head.contains("Đơn vị"),
            "page {p}: {first:?}"
        );
    }
    assert!(
        !pdftotext(&pdf, Some(1))
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .eq("1")
    );
}

fn docx_part(docx: &[u8], name: &str) -> String {
    readback::docx_part(docx, name).unwrap()
}

#[test]
fn the_docx_has_the_decree_30_structure() {
    let doc = example_ranking();
    let docx = render(&doc, Format::Docx).unwrap();
    keep("ranking.docx", &docx);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&docx)).unwrap();
    let mut names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "[Content_Types].xml",
            "_rels/.rels",
            "word/_rels/document.xml.rels",
            "word/document.xml",
            "word/header1.xml",
            "word/styles.xml",
        ]
    );
    let xml = docx_part(&docx, "word/document.xml");
    // A4 portrait, margins 20/15/20/30 mm, first page without a number.
    assert!(xml.contains(r#"<w:pgSz w:w="11906" w:h="16838"/>"#));
    assert!(xml.contains(r#"<w:pgMar w:top="1134" w:right="851" w:bottom="1134" w:left="1701""#));
    assert!(xml.contains("<w:titlePg/>"));
    // Two rule lines (under the agency and under the motto), a repeated table head.
    assert_eq!(xml.matches("<w:pBdr><w:top ").count(), 2);
    assert_eq!(xml.matches("<w:tblHeader/>").count(), 1);
    assert!(docx_part(&docx, "word/header1.xml").contains(" PAGE "));
    assert!(docx_part(&docx, "word/styles.xml").contains("Times New Roman"));
    // Every text of the document, in order.
    let text = nfc(&parindex_reports::docx::docx_text(&docx).unwrap());
    let mut at = 0;
    for t in doc.texts() {
        let found = text[at..]
            .find(&t)
            .unwrap_or_else(|| unreachable!("{t} not found after {at}"));
        at += found;
    }
}

#[test]
fn the_self_assessment_cites_each_leaf_with_its_evidence() {
    if !poppler() {
        return;
    }
    let set = example_set();
    let leaf = set.nodes.iter().find(|n| n.is_leaf()).unwrap();
    let mut entries = HashMap::new();
    entries.insert(
        leaf.code.to_string(),
        LeafEntry {
            self_points: Some(leaf.max),
            input: None,
            note: Some("Đã ban hành đúng hạn".into()),
            evidence: vec![Cited {
                number: Some("12/KH-SKHDT".into()),
                date: Some("2020-01-15".into()),
                issuer: Some("Sở Kế hoạch và Đầu tư".into()),
                title: "Kế hoạch cải cách hành chính năm 2020".into(),
            }],
            not_applicable: None,
        },
    );
    let doc = self_assessment_document(&set, "Sở Kế hoạch và Đầu tư", &entries, None, &head());
    for format in [Format::Pdf, Format::Docx] {
        let bytes = render(&doc, format).unwrap();
        keep(&format!("self-assessment.{}", format.extension()), &bytes);
        let text = match format {
            Format::Pdf => {
                assert_fonts_embedded(&bytes);
                pdf_words(&bytes)
            }
            Format::Docx => nfc(&parindex_reports::docx::docx_text(&bytes).unwrap()),
        };
        // Cells wrap in the PDF; compare word sequences without line breaks.
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for must in [
            "Số 12/KH-SKHDT ngày 15/01/2020 của Sở Kế hoạch và Đầu tư",
            "Đã ban hành đúng hạn",
            "Kết quả tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm 2020",
            "Tổng cộng",
        ] {
            assert!(flat.contains(must), "{format:?}: {must} missing:\n{flat}");
        }
        assert!(flat.contains(leaf.code.as_str()));
    }
}

fn slip(received: &str) -> parindex_reports::apology::ApologySlip {
    use parindex_domain::calendar::Instant;
    parindex_reports::apology::ApologySlip {
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
fn the_apology_slip_fits_one_a5_page_with_its_rule_lines() {
    if !poppler() {
        return;
    }
    let doc = crate::apology::slip_document(&slip("2021-02-09 09:15"));
    let wants = [
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
        "Nguyễn Văn A",
        "Mẫu 04, Thông tư 01/2018/TT-VPCP",
    ];
    let pdf = render(&doc, Format::Pdf).unwrap();
    keep("slip.pdf", &pdf);
    assert_eq!(pages(&pdf), 1, "the slip, signature included, is one page");
    let flat = pdf_words(&pdf);
    for want in wants {
        assert!(flat.contains(want), "PDF: missing {want:?} in {flat}");
    }
    assert_fonts_embedded(&pdf);
    let docx = render(&doc, Format::Docx).unwrap();
    keep("slip.docx", &docx);
    let text = parindex_reports::docx::docx_text(&docx).unwrap();
    for want in wants {
        assert!(text.contains(want), "DOCX: missing {want:?} in {text}");
    }
    let xml = docx_part(&docx, "word/document.xml");
    assert!(
        xml.contains(r#"<w:pgSz w:w="8391" w:h="11906"/>"#),
        "A5 portrait"
    );
    assert_eq!(xml.matches("<w:pBdr><w:top ").count(), 2, "two rule lines");
    // The 2025 form for a slip issued from 01/07/2025.
    let mut s = slip("2025-06-20 08:00");
    s.issued = parindex_domain::text::Date::parse("2025-07-01").unwrap();
    let doc = crate::apology::slip_document(&s);
    let flat = pdf_words(&render(&doc, Format::Pdf).unwrap());
    assert!(
        flat.contains("VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"),
        "{flat}"
    );
    assert!(flat.contains("Mẫu 04, Thông tư 03/2025/TT-VPCP"));
}

#[test]
fn control_characters_pasted_into_a_text_do_not_break_the_docx() {
    let mut doc = example_ranking();
    doc.blocks.insert(
        0,
        Block::Para {
            text: "Dòng một\u{b}dòng hai\u{1}\tcột\u{ffff}".into(),
        },
    );
    let docx = render(&doc, Format::Docx).unwrap();
    let xml = docx_part(&docx, "word/document.xml");
    assert!(!xml.contains('\u{1}') && !xml.contains('\u{b}') && !xml.contains('\u{ffff}'));
    // Read back by a strict XML reader: the break and the tab survive as WordprocessingML.
    let text = parindex_reports::docx::docx_text(&docx).unwrap();
    assert!(text.contains("Dòng một\ndòng hai cột"), "{text}");
}
