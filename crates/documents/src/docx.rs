//! A document as DOCX (WordprocessingML), editable in Word or LibreOffice: Times New Roman,
//! ND30 margins, the two-column header with rule lines under the agency and the motto, the
//! page number at the top from the second page on, and tables whose heading row repeats on
//! every page.

use std::fmt::Write as _;
use std::io::{Cursor, Write as _};

use parindex_reports::chart::xml_escape as esc;

use crate::model::{Align, Block, Document, Paper, Row, Table};

/// Page size, margins and the width between the margins, in twentieths of a point.
struct Page {
    width: u32,
    height: u32,
    landscape: bool,
    /// Top, right, bottom, left.
    margins: [u32; 4],
}

/// ND30 margins on A4: top and bottom 20 mm, left 30 mm, right 15 mm.
const A4_MARGINS: [u32; 4] = [1134, 851, 1134, 1701];
/// An A5 form keeps the proportions on its smaller sheet: 15, 10, 15, 20 mm.
const A5_MARGINS: [u32; 4] = [850, 567, 850, 1134];

impl Page {
    fn of(paper: Paper) -> Page {
        match paper {
            Paper::A4 => Page {
                width: 11906,
                height: 16838,
                landscape: false,
                margins: A4_MARGINS,
            },
            Paper::A4Landscape => Page {
                width: 16838,
                height: 11906,
                landscape: true,
                margins: A4_MARGINS,
            },
            Paper::A5 => Page {
                width: 8391,
                height: 11906,
                landscape: false,
                margins: A5_MARGINS,
            },
        }
    }

    fn text_width(&self) -> u32 {
        self.width - self.margins[1] - self.margins[3]
    }
}

#[derive(Clone, Copy, Default)]
struct Style {
    bold: bool,
    italic: bool,
    /// Half-points.
    size: u32,
}

fn run(text: &str, s: Style) -> String {
    let b = if s.bold { "<w:b/>" } else { "" };
    let i = if s.italic { "<w:i/>" } else { "" };
    // A line break in the text (several evidence documents in one cell) is a w:br; a
    // vertical tab or form feed pasted from elsewhere is one too; other characters XML 1.0
    // forbids (control characters, U+FFFE, U+FFFF) are dropped: Word refuses a file with
    // them.
    let clean: String = text
        .chars()
        .filter_map(|c| match c {
            '\u{b}' | '\u{c}' => Some('\n'),
            '\t' | '\n' => Some(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => None,
            c => Some(c),
        })
        .collect();
    let texts = clean
        .split('\n')
        .map(|t| {
            t.split('\t')
                .map(|piece| format!(r#"<w:t xml:space="preserve">{}</w:t>"#, esc(piece)))
                .collect::<Vec<_>>()
                .join("<w:tab/>")
        })
        .collect::<Vec<_>>()
        .join("<w:br/>");
    format!(
        r#"<w:r><w:rPr>{b}{i}<w:sz w:val="{}"/><w:szCs w:val="{}"/></w:rPr>{texts}</w:r>"#,
        s.size, s.size
    )
}

/// A paragraph; `extra` goes into its properties (borders, indents).
fn para(jc: &str, indent_first: bool, after: u32, extra: &str, runs: &str) -> String {
    let ind = if indent_first {
        r#"<w:ind w:firstLine="567"/>"#
    } else {
        ""
    };
    format!(
        r#"<w:p><w:pPr>{extra}<w:spacing w:before="0" w:after="{after}" w:line="264" w:lineRule="auto"/>{ind}<w:jc w:val="{jc}"/></w:pPr>{runs}</w:p>"#
    )
}

/// A rule line `length` long centred in a column `column` wide: an empty paragraph with a
/// top border, narrowed by its indents.
fn rule(column: u32, length: u32) -> String {
    let side = column.saturating_sub(length) / 2;
    format!(
        r#"<w:p><w:pPr><w:pBdr><w:top w:val="single" w:sz="6" w:space="1" w:color="000000"/></w:pBdr><w:spacing w:before="40" w:after="0" w:line="120" w:lineRule="exact"/><w:ind w:left="{side}" w:right="{side}"/></w:pPr></w:p>"#
    )
}

fn cell(width: u32, span: usize, content: &str) -> String {
    cell_aligned(width, span, content, "center")
}

fn cell_aligned(width: u32, span: usize, content: &str, valign: &str) -> String {
    let span = if span > 1 {
        format!(r#"<w:gridSpan w:val="{span}"/>"#)
    } else {
        String::new()
    };
    // A cell must end with a paragraph.
    let content = if content.ends_with("</w:p>") {
        content.to_string()
    } else {
        format!("{content}<w:p/>")
    };
    format!(
        r#"<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{span}<w:vAlign w:val="{valign}"/></w:tcPr>{content}</w:tc>"#
    )
}

/// A borderless table of two columns (the header and the signature block).
fn layout_table(widths: [u32; 2], rows: &[[String; 2]]) -> String {
    let mut t = String::from(
        r#"<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:tblBorders><w:top w:val="nil"/><w:left w:val="nil"/><w:bottom w:val="nil"/><w:right w:val="nil"/><w:insideH w:val="nil"/><w:insideV w:val="nil"/></w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>"#,
    );
    for w in widths {
        let _ = write!(t, r#"<w:gridCol w:w="{w}"/>"#);
    }
    t.push_str("</w:tblGrid>");
    for r in rows {
        t.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
        for (w, c) in widths.iter().zip(r) {
            t.push_str(&cell_aligned(*w, 1, c, "top"));
        }
        t.push_str("</w:tr>");
    }
    t.push_str("</w:tbl>");
    t
}

fn jc(a: Align) -> &'static str {
    match a {
        Align::Left => "left",
        Align::Center => "center",
        Align::Right => "right",
    }
}

fn data_table(t: &Table, text_width: u32, size: u32) -> String {
    let total: u32 = t.widths.iter().sum::<u32>().max(1);
    let widths: Vec<u32> = t.widths.iter().map(|w| w * text_width / total).collect();
    let mut x = String::from(
        r#"<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:tblBorders><w:top w:val="single" w:sz="4" w:color="000000"/><w:left w:val="single" w:sz="4" w:color="000000"/><w:bottom w:val="single" w:sz="4" w:color="000000"/><w:right w:val="single" w:sz="4" w:color="000000"/><w:insideH w:val="single" w:sz="4" w:color="000000"/><w:insideV w:val="single" w:sz="4" w:color="000000"/></w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="70" w:type="dxa"/><w:right w:w="70" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>"#,
    );
    for w in &widths {
        let _ = write!(x, r#"<w:gridCol w:w="{w}"/>"#);
    }
    x.push_str("</w:tblGrid>");
    let bold = Style {
        bold: true,
        size,
        ..Style::default()
    };
    let plain = Style {
        size,
        ..Style::default()
    };
    // The heading row repeats at the top of every page (w:tblHeader) and never splits.
    x.push_str("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
    for (w, h) in widths.iter().zip(&t.head) {
        x.push_str(&cell(*w, 1, &para("center", false, 0, "", &run(h, bold))));
    }
    x.push_str("</w:tr>");
    for r in &t.rows {
        x.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
        match r {
            Row::Group { text } => {
                x.push_str(&cell(
                    text_width,
                    widths.len(),
                    &para("left", false, 0, "", &run(text, bold)),
                ));
            }
            Row::Cells { cells, strong } => {
                let s = if *strong { bold } else { plain };
                for (i, (w, c)) in widths.iter().zip(cells).enumerate() {
                    let a = t.align.get(i).copied().unwrap_or(Align::Left);
                    x.push_str(&cell(*w, 1, &para(jc(a), false, 0, "", &run(c, s))));
                }
            }
        }
        x.push_str("</w:tr>");
    }
    x.push_str("</w:tbl>");
    // Two tables in a row would merge; a small paragraph keeps them apart.
    x.push_str(&para("left", false, 0, "", ""));
    x
}

fn body(doc: &Document, page: &Page) -> String {
    let size = doc.size * 2;
    let small = size - 2;
    let tw = page.text_width();
    let left_w = if doc.paper == Paper::A5 {
        tw * 9 / 20
    } else {
        tw * 2 / 5
    };
    let right_w = tw - left_w;
    let st = |bold, italic, size| Style { bold, italic, size };

    let mut left = String::new();
    if !doc.governing_body.is_empty() {
        left.push_str(&para(
            "center",
            false,
            0,
            "",
            &run(&doc.governing_body.to_uppercase(), st(false, false, small)),
        ));
    }
    left.push_str(&para(
        "center",
        false,
        0,
        "",
        &run(&doc.agency.to_uppercase(), st(true, false, small)),
    ));
    left.push_str(&rule(left_w, left_w * 2 / 5));
    let mut right = para(
        "center",
        false,
        0,
        "",
        &run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", st(true, false, small)),
    );
    right.push_str(&para(
        "center",
        false,
        0,
        "",
        &run("Độc lập - Tự do - Hạnh phúc", st(true, false, size)),
    ));
    // The motto's rule is as long as the motto: about 15 twentieths of a point per
    // half-point of size for these 27 letters in Times New Roman bold.
    right.push_str(&rule(right_w, size * 125));
    let mut out = layout_table(
        [left_w, right_w],
        &[
            [left, right],
            [
                para(
                    "center",
                    false,
                    0,
                    "",
                    &run(&doc.number, st(false, false, small)),
                ),
                para(
                    "center",
                    false,
                    0,
                    "",
                    &run(&doc.place_date, st(false, true, size)),
                ),
            ],
        ],
    );
    out.push_str(&para("center", false, 0, "", ""));
    if !doc.kind.is_empty() {
        out.push_str(&para(
            "center",
            false,
            0,
            "",
            &run(&doc.kind, st(true, false, size)),
        ));
    }
    if !doc.summary.is_empty() {
        out.push_str(&para(
            "center",
            false,
            120,
            "",
            &run(&doc.summary, st(true, false, size)),
        ));
    }
    for b in &doc.blocks {
        match b {
            Block::Heading { text } => {
                out.push_str(&para(
                    "both",
                    false,
                    120,
                    "<w:keepNext/>",
                    &run(text, st(true, false, size)),
                ));
            }
            Block::Para { text } => {
                out.push_str(&para(
                    "both",
                    true,
                    120,
                    "",
                    &run(text, st(false, false, size)),
                ));
            }
            Block::Centered { text } => {
                out.push_str(&para(
                    "center",
                    false,
                    120,
                    "",
                    &run(text, st(false, false, size)),
                ));
            }
            Block::Table(t) => out.push_str(&data_table(t, tw, small)),
        }
    }
    let mut recipients = String::new();
    if !doc.recipients.is_empty() {
        recipients.push_str(&para(
            "left",
            false,
            0,
            "",
            &run("Nơi nhận:", st(true, true, small - 2)),
        ));
        for r in &doc.recipients {
            recipients.push_str(&para(
                "left",
                false,
                0,
                "",
                &run(&format!("- {r}"), st(false, false, small - 4)),
            ));
        }
    }
    let mut sign = String::new();
    for p in &doc.signer.position {
        sign.push_str(&para(
            "center",
            false,
            0,
            "",
            &run(&p.to_uppercase(), st(true, false, size)),
        ));
    }
    if !doc.signer.hint.is_empty() {
        sign.push_str(&para(
            "center",
            false,
            0,
            "",
            &run(&doc.signer.hint, st(false, true, small)),
        ));
    }
    let gap = if doc.paper == Paper::A5 { 520 } else { 800 };
    // Room for the signature and the seal.
    let _ = write!(
        sign,
        r#"<w:p><w:pPr><w:spacing w:before="{gap}" w:after="0"/></w:pPr></w:p>"#
    );
    sign.push_str(&para(
        "center",
        false,
        0,
        "",
        &run(&doc.signer.name, st(true, false, size)),
    ));
    out.push_str(&layout_table([tw / 2, tw - tw / 2], &[[recipients, sign]]));
    if !doc.footnote.is_empty() {
        out.push_str(&para(
            "left",
            false,
            0,
            "",
            &run(&doc.footnote, st(false, true, small - 4)),
        ));
    }
    out
}

const NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

/// The document as DOCX bytes.
pub fn to_docx(doc: &Document) -> Result<Vec<u8>, String> {
    let page = Page::of(doc.paper);
    let orient = if page.landscape {
        r#" w:orient="landscape""#
    } else {
        ""
    };
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {NS}><w:body>{}<w:sectPr><w:headerReference w:type="default" r:id="rId2"/><w:pgSz w:w="{}" w:h="{}"{orient}/><w:pgMar w:top="{}" w:right="{}" w:bottom="{}" w:left="{}" w:header="567" w:footer="567" w:gutter="0"/><w:titlePg/></w:sectPr></w:body></w:document>"#,
        body(doc, &page),
        page.width,
        page.height,
        page.margins[0],
        page.margins[1],
        page.margins[2],
        page.margins[3],
    );
    let size = doc.size * 2;
    // The page number, centred at the top; w:titlePg leaves the first page without it.
    let header = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:hdr {NS}><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:sz w:val="{size}"/></w:rPr><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:rPr><w:sz w:val="{size}"/></w:rPr><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:rPr><w:sz w:val="{size}"/></w:rPr><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:rPr><w:sz w:val="{size}"/></w:rPr><w:t>2</w:t></w:r><w:r><w:rPr><w:sz w:val="{size}"/></w:rPr><w:fldChar w:fldCharType="end"/></w:r></w:p></w:hdr>"#
    );
    let styles = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="Times New Roman" w:cs="Times New Roman"/><w:sz w:val="{size}"/><w:szCs w:val="{size}"/><w:lang w:val="vi-VN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="0"/></w:pPr></w:pPrDefault></w:docDefaults></w:styles>"#
    );
    let content_types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/></Types>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    let doc_rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/></Relationships>"#;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, text) in [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", rels),
        ("word/_rels/document.xml.rels", doc_rels),
        ("word/styles.xml", styles.as_str()),
        ("word/header1.xml", header.as_str()),
        ("word/document.xml", document.as_str()),
    ] {
        w.start_file(name, opts).map_err(|e| e.to_string())?;
        w.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(w.finish().map_err(|e| e.to_string())?.into_inner())
}
