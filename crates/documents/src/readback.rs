//! Reading written documents back, for the tests and benchmarks that check them: the PDF
//! through poppler's `pdftotext` and `pdffonts` (Debian `poppler-utils`), the DOCX through
//! its XML parts. Nothing here runs in the server.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::Command;

use parindex_domain::text::nfc;

/// Whether poppler's tools are on this machine.
pub fn poppler_here() -> bool {
    Command::new("pdftotext").arg("-v").output().is_ok()
        && Command::new("pdffonts").arg("-v").output().is_ok()
}

/// A fresh folder for one call (tests run in parallel).
fn scratch() -> Result<PathBuf, String> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "parindex-readback-{}-{n}-{nanos}",
        std::process::id()
    ));
    // `create_dir`, not `create_dir_all`: a path planted in advance (a symlink) is refused.
    std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> Result<String, String> {
    let dir = scratch()?;
    let file = dir.join("doc.pdf");
    std::fs::write(&file, pdf).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(tool);
    cmd.args(args).arg(&file);
    if tool == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd
        .output()
        .map_err(|e| format!("{tool} (poppler-utils): {e}"));
    std::fs::remove_dir_all(&dir).ok();
    let out = out?;
    if !out.status.success() {
        return Err(format!("{tool}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(nfc(&String::from_utf8_lossy(&out.stdout)))
}

/// The text as laid out in columns (`pdftotext -layout`), of one page or of all; pages are
/// separated by form feeds.
pub fn pdf_layout(pdf: &[u8], page: Option<u32>) -> Result<String, String> {
    let p = page.map(|p| p.to_string());
    let mut args = vec!["-layout"];
    if let Some(p) = &p {
        args.extend(["-f", p, "-l", p]);
    }
    poppler("pdftotext", &args, pdf)
}

/// The words in reading order (each table cell whole), spaces collapsed, NFC.
pub fn pdf_words(pdf: &[u8]) -> Result<String, String> {
    Ok(poppler("pdftotext", &[], pdf)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" "))
}

/// The number of pages.
pub fn pdf_pages(pdf: &[u8]) -> Result<u32, String> {
    u32::try_from(pdf_layout(pdf, None)?.matches('\u{c}').count()).map_err(|e| e.to_string())
}

/// One font of a PDF as `pdffonts` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfFont {
    pub name: String,
    pub embedded: bool,
}

pub fn pdf_fonts(pdf: &[u8]) -> Result<Vec<PdfFont>, String> {
    Ok(poppler("pdffonts", &[], pdf)?
        .lines()
        .skip(2)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            // name type… encoding emb sub uni object-id: `emb` is fifth from the end.
            let emb = cols.len().checked_sub(5).map(|i| cols[i])?;
            Some(PdfFont {
                name: cols.first()?.to_string(),
                embedded: emb == "yes",
            })
        })
        .collect())
}

/// One part of a DOCX (`word/document.xml`).
pub fn docx_part(docx: &[u8], name: &str) -> Result<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).map_err(|e| e.to_string())?;
    let mut s = String::new();
    zip.by_name(name)
        .map_err(|e| format!("{name}: {e}"))?
        .read_to_string(&mut s)
        .map_err(|e| e.to_string())?;
    Ok(s)
}
