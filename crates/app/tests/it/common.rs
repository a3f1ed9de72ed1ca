//! Helpers: run the binary, get a database with the demo loaded.

use std::process::Command;

use parindex_db::Db;
use parindex_db::testkit::each_db;

pub const BIN: &str = env!("CARGO_BIN_EXE_parindex");

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `parindex --db URL ARGS…`.
pub fn run(db_url: &str, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .arg("--db")
        .arg(db_url)
        .args(args)
        .env("PARINDEX_LOG", "warn")
        .output()
        .expect("run parindex");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `parindex --db URL ARGS…` with `stdin` as standard input.
pub fn run_with_stdin(db_url: &str, args: &[&str], stdin: &str) -> Run {
    use std::io::Write as _;
    let mut child = Command::new(BIN)
        .arg("--db")
        .arg(db_url)
        .args(args)
        .env("PARINDEX_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run parindex");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every database with `parindex demo` loaded through the real binary.
pub async fn demo_dbs() -> Vec<(Db, String)> {
    let dbs = each_db().await;
    for (_, url) in &dbs {
        let r = run(url, &["demo"]);
        assert_eq!(r.code, 0, "demo failed on {url}: {}", r.stderr);
    }
    dbs
}

pub fn data(name: &str) -> String {
    format!("{}/tests/it/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Writes a temporary file and returns its path.
pub fn temp_file(name: &str, content: &str) -> String {
    let dir = std::env::temp_dir().join(format!("parindex-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.display().to_string()
}

/// A local SMTP sink: a tiny server that really speaks SMTP and keeps every message.
pub struct SmtpSink {
    pub port: u16,
    pub messages: std::sync::Arc<tokio::sync::Mutex<Vec<Mail>>>,
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub rcpt: Vec<String>,
    pub data: String,
}

impl Mail {
    /// The subject, with RFC 2047 encoded words decoded.
    pub fn subject(&self) -> String {
        use base64::Engine as _;
        let mut lines = self.data.split("\r\n");
        let mut subject = String::new();
        while let Some(l) = lines.next() {
            if let Some(rest) = l.strip_prefix("Subject: ") {
                subject.push_str(rest);
                // Folded continuation lines start with whitespace.
                for c in lines.by_ref() {
                    if c.starts_with(' ') || c.starts_with('\t') {
                        subject.push_str(c);
                    } else {
                        break;
                    }
                }
                break;
            }
        }
        // Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
        let mut out = String::new();
        let mut prev_encoded = false;
        for w in subject.split_whitespace() {
            let decoded = w
                .strip_prefix("=?utf-8?b?")
                .or_else(|| w.strip_prefix("=?UTF-8?B?"))
                .and_then(|x| x.strip_suffix("?="))
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|b| String::from_utf8(b).ok());
            let joined = prev_encoded && decoded.is_some();
            if !out.is_empty() && !joined {
                out.push(' ');
            }
            prev_encoded = decoded.is_some();
            out.push_str(decoded.as_deref().unwrap_or(w));
        }
        out
    }
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages: std::sync::Arc<tokio::sync::Mutex<Vec<Mail>>> = std::sync::Arc::default();
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut r = BufReader::new(r);
                    let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                    let mut rcpt = Vec::new();
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                            break;
                        }
                        let cmd = line.trim_end().to_ascii_uppercase();
                        let reply: &[u8] = if cmd.starts_with("EHLO") {
                            b"250-sink\r\n250 8BITMIME\r\n"
                        } else if cmd.starts_with("RCPT TO:") {
                            rcpt.push(
                                line.trim_end()[8..]
                                    .trim()
                                    .trim_matches(['<', '>'])
                                    .to_string(),
                            );
                            b"250 OK\r\n"
                        } else if cmd == "DATA" {
                            let _ = w.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            loop {
                                line.clear();
                                if r.read_line(&mut line).await.unwrap_or(0) == 0 || line == ".\r\n"
                                {
                                    break;
                                }
                                data.push_str(&line);
                            }
                            store.lock().await.push(Mail {
                                rcpt: std::mem::take(&mut rcpt),
                                data,
                            });
                            b"250 OK queued\r\n"
                        } else if cmd == "QUIT" {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = w.write_all(reply).await;
                    }
                });
            }
        });
        SmtpSink { port, messages }
    }
}

/// The application's state for a database loaded by `parindex demo`, as `serve --demo`
/// runs it (the demo's accounts keep their published password).
pub fn demo_state(db: Db) -> parindex_web::AppState {
    let mut state = parindex_web::AppState::new(db);
    state.demo = true;
    state
}

/// A workbook of a few hundred bytes whose shared strings declare `unique_count` strings
/// (and hold one).
pub fn tiny_workbook(unique_count: &str) -> Vec<u8> {
    use std::io::Write as _;
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.to_string(),
        ),
        (
            "_rels/.rels",
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string(),
        ),
        (
            "xl/workbook.xml",
            r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string(),
        ),
        (
            "xl/sharedStrings.xml",
            format!(r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="{unique_count}"><si><t>code</t></si></sst>"#),
        ),
        (
            "xl/worksheets/sheet1.xml",
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#.to_string(),
        ),
    ];
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in parts {
        w.start_file(name, opts).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Whether poppler's `pdftotext` and `pdffonts` are here to read PDFs back; with `CI=true`
/// they must be.
pub fn poppler() -> bool {
    let here = parindex_documents::readback::poppler_here();
    if !here {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pdftotext and pdffonts (poppler-utils) are needed with CI=true"
        );
        eprintln!("skipped: pdftotext/pdffonts (poppler-utils) are not installed");
    }
    here
}

/// Every font of a PDF is embedded.
pub fn assert_fonts_embedded(pdf: &[u8]) {
    let fonts = parindex_documents::readback::pdf_fonts(pdf).unwrap();
    assert!(!fonts.is_empty());
    assert!(fonts.iter().all(|f| f.embedded), "{fonts:?}");
}
