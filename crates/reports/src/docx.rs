//! Plain text of a DOCX document, one paragraph per line, with list numbering rendered as
//! the markers a reader sees (`1.`, `II.`, `a)`, `-`), so that the directive reader works
//! the same on `.docx` and `.txt`.

use std::collections::HashMap;
use std::io::Cursor;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Inflated size of each part read (the document and its numbering); a part that
/// inflates to more is refused, not cut short.
pub const MAX_XML: u64 = 64 * 1024 * 1024;
/// List levels a paragraph may name (Word has 9: 0 to 8).
const LEVELS: u32 = 9;

fn part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<String>, String> {
    let Some(bytes) = crate::zipcheck::read_part(archive, name, MAX_XML)? else {
        return Ok(None);
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| format!("{name} trong tệp DOCX không phải văn bản UTF-8"))
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().and_then(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()
            .map(std::borrow::Cow::into_owned)
    })
}

fn entity(name: &str) -> String {
    match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        n => {
            let code = n
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()));
            code.and_then(char::from_u32)
                .map(String::from)
                .unwrap_or_default()
        }
    }
}

/// `numId` → (level → format), from `word/numbering.xml`.
fn numbering_formats(xml: &str) -> HashMap<String, HashMap<u32, String>> {
    let mut abstract_fmt: HashMap<String, HashMap<u32, String>> = HashMap::new();
    let mut num_to_abstract: HashMap<String, String> = HashMap::new();
    let mut reader = Reader::from_str(xml);
    let mut cur_abstract: Option<String> = None;
    let mut cur_level: Option<u32> = None;
    let mut cur_num: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.name().as_ref() {
                "w:abstractNum" => cur_abstract = attr(&e, "w:abstractNumId"),
                "w:lvl" => cur_level = attr(&e, "w:ilvl").and_then(|v| v.parse().ok()),
                "w:numFmt" => {
                    if let (Some(a), Some(l), Some(f)) =
                        (&cur_abstract, cur_level, attr(&e, "w:val"))
                    {
                        abstract_fmt.entry(a.clone()).or_default().insert(l, f);
                    }
                }
                "w:num" => cur_num = attr(&e, "w:numId"),
                "w:abstractNumId" => {
                    if let (Some(n), Some(a)) = (&cur_num, attr(&e, "w:val")) {
                        num_to_abstract.insert(n.clone(), a);
                    }
                }
                _ => {}
            },
            Ok(Event::End(e)) if e.name().as_ref() == "w:abstractNum" => cur_abstract = None,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    num_to_abstract
        .into_iter()
        .filter_map(|(n, a)| abstract_fmt.get(&a).map(|f| (n, f.clone())))
        .collect()
}

fn to_roman(mut n: u32) -> String {
    let table = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")];
    let mut s = String::new();
    for (v, r) in table {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

fn marker(format: &str, n: u32) -> String {
    match format {
        "decimal" => format!("{n}."),
        "upperRoman" => format!("{}.", to_roman(n)),
        "lowerRoman" => format!("{}.", to_roman(n).to_lowercase()),
        "lowerLetter" => format!(
            "{})",
            char::from_u32(u32::from(b'a') + n.saturating_sub(1) % 26).unwrap_or('a')
        ),
        "upperLetter" => format!(
            "{}.",
            char::from_u32(u32::from(b'A') + n.saturating_sub(1) % 26).unwrap_or('A')
        ),
        _ => "-".into(),
    }
}

/// Extracts the text of `word/document.xml`, paragraphs separated by blank lines.
pub fn docx_text(bytes: &[u8]) -> Result<String, String> {
    crate::zipcheck::no_panic("tệp DOCX", || read_docx(bytes))
}

fn read_docx(bytes: &[u8]) -> Result<String, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| "tệp không phải DOCX hợp lệ (không mở được như tệp nén)".to_string())?;
    let doc = part(&mut archive, "word/document.xml")?
        .ok_or_else(|| "tệp DOCX không có word/document.xml".to_string())?;
    let formats = part(&mut archive, "word/numbering.xml")?
        .map(|x| numbering_formats(&x))
        .unwrap_or_default();
    let mut counters: HashMap<(String, u32), u32> = HashMap::new();
    let mut out = String::new();
    let mut para = String::new();
    let mut num: (Option<String>, u32) = (None, 0);
    let mut in_text = false;
    let mut reader = Reader::from_str(&doc);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => match e.name().as_ref() {
                "w:p" => {
                    para.clear();
                    num = (None, 0);
                }
                "w:t" => in_text = true,
                _ => {}
            },
            Ok(Event::Empty(e)) => match e.name().as_ref() {
                "w:numId" => num.0 = attr(&e, "w:val").filter(|v| v != "0"),
                "w:ilvl" => {
                    num.1 = attr(&e, "w:val")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0)
                        .min(LEVELS - 1);
                }
                "w:tab" => para.push(' '),
                "w:br" | "w:cr" => para.push('\n'),
                _ => {}
            },
            Ok(Event::Text(t)) if in_text => para.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) if in_text => para.push_str(&entity(&r.into_inner())),
            Ok(Event::End(e)) => match e.name().as_ref() {
                "w:t" => in_text = false,
                "w:p" => {
                    let mut line = String::new();
                    if let (Some(id), level) = (&num.0, num.1) {
                        let n = counters.entry((id.clone(), level)).or_insert(0);
                        *n += 1;
                        let n = *n;
                        // A new item at one level restarts the deeper levels.
                        for deeper in level + 1..LEVELS {
                            counters.remove(&(id.clone(), deeper));
                        }
                        let f = formats.get(id).and_then(|m| m.get(&level)).map_or(
                            if level == 0 { "decimal" } else { "bullet" },
                            String::as_str,
                        );
                        line.push_str(&marker(f, n));
                        line.push(' ');
                    }
                    line.push_str(para.trim());
                    if !line.trim().is_empty() {
                        out.push_str(&line);
                        out.push_str("\n\n");
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) => break,
            Err(e) => return Err(format!("word/document.xml không hợp lệ: {e}")),
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;

    pub(crate) fn para(num: Option<(u32, u32)>, text: &str) -> String {
        let pr = num.map_or_else(String::new, |(id, lvl)| {
            format!(r#"<w:pPr><w:numPr><w:ilvl w:val="{lvl}"/><w:numId w:val="{id}"/></w:numPr></w:pPr>"#)
        });
        format!(r#"<w:p>{pr}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#)
    }

    pub(crate) fn docx(body: &str) -> Vec<u8> {
        let numbering = r#"<?xml version="1.0" encoding="UTF-8"?><w:numbering xmlns:w="w">
<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="upperRoman"/></w:lvl><w:lvl w:ilvl="1"><w:numFmt w:val="decimal"/></w:lvl><w:lvl w:ilvl="2"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="lowerLetter"/></w:lvl></w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>"#;
        let doc = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="w"><w:body>{body}</w:body></w:document>"#
        );
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("word/document.xml", opts).unwrap();
        w.write_all(doc.as_bytes()).unwrap();
        w.start_file("word/numbering.xml", opts).unwrap();
        w.write_all(numbering.as_bytes()).unwrap();
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn numbering_lists_become_markers() {
        let body = [
            para(None, "THÔNG BÁO"),
            para(Some((1, 0)), "Chỉ đạo chung:"),
            para(Some((1, 1)), "Cập nhật phần mềm &amp; website."),
            para(Some((1, 0)), "Chỉ đạo cụ thể:"),
            para(Some((1, 1)), "Văn phòng Sở:"),
            para(Some((1, 2)), "Báo cáo hàng tuần."),
            para(Some((2, 0)), "Mục chữ."),
            para(Some((2, 0)), "Mục chữ thứ hai."),
        ]
        .concat();
        let text = docx_text(&docx(&body)).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(
            lines,
            [
                "THÔNG BÁO",
                "I. Chỉ đạo chung:",
                "1. Cập nhật phần mềm & website.",
                "II. Chỉ đạo cụ thể:",
                "1. Văn phòng Sở:",
                "- Báo cáo hàng tuần.",
                "a) Mục chữ.",
                "b) Mục chữ thứ hai.",
            ]
        );
    }

    #[test]
    fn an_absurd_list_level_is_the_last_level() {
        let body = [
            para(Some((1, 0)), "Một."),
            para(Some((1, u32::MAX)), "Mức lạ."),
            para(Some((1, 0)), "Hai."),
        ]
        .concat();
        let text = docx_text(&docx(&body)).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines, ["I. Một.", "- Mức lạ.", "II. Hai."]);
    }

    #[test]
    fn a_document_that_inflates_past_the_cap_is_refused() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("word/document.xml", opts).unwrap();
        w.write_all(br#"<?xml version="1.0"?><w:document xmlns:w="w"><w:body><w:p><w:r><w:t>"#)
            .unwrap();
        let blanks = vec![b' '; 1024 * 1024];
        for _ in 0..=MAX_XML / (1024 * 1024) {
            w.write_all(&blanks).unwrap();
        }
        w.write_all(b"</w:t></w:r></w:p></w:body></w:document>")
            .unwrap();
        let bytes = w.finish().unwrap().into_inner();
        assert!(bytes.len() < 1024 * 1024);
        let err = docx_text(&bytes).unwrap_err();
        assert!(err.contains("quá lớn khi giải nén"), "{err}");
    }

    #[test]
    fn not_a_docx_is_a_clear_error() {
        let err = docx_text(b"MZ\x90\x00 not a zip").unwrap_err();
        assert!(err.contains("không phải DOCX"), "{err}");
    }
}
