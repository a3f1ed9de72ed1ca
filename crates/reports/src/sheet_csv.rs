//! Spreadsheets read as CSV: the first sheet of an XLSX workbook streamed cell by cell
//! (constant memory apart from the workbook's shared strings) into CSV lines, one line per
//! sheet row, so that the CSV readers' line numbers are the rows the user sees in the
//! spreadsheet. Date cells become `YYYY-MM-DD HH:MM`.
//!
//! The workbook is checked first (`zipcheck::check_xlsx`: sizes and counts it declares are
//! not trusted), and rows and cells are capped as they stream: no row beyond Excel's last
//! ([`MAX_ROWS`]), no column beyond Excel's last ([`MAX_COLUMNS`]), at most [`MAX_CELLS`]
//! cells in all.

use std::io::{Read, Seek, Write};

use calamine::{DataRef, Reader, Xlsx};
use parindex_domain::schedule::from_days;

/// Rows of a sheet (Excel's own limit).
pub const MAX_ROWS: u32 = 1_048_576;
/// Columns of a sheet (Excel's own limit).
pub const MAX_COLUMNS: u32 = 16_384;
/// Cells of a sheet: 64 full columns of Excel's every row.
pub const MAX_CELLS: u64 = 64 * MAX_ROWS as u64;

/// Excel's serial day number of 01/01/1970.
const UNIX_EPOCH_SERIAL: i64 = 25_569;

fn serial_to_text(v: f64) -> String {
    if !v.is_finite() || !(0.0..3_000_000.0).contains(&v) {
        return v.to_string();
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "checked to be a small positive number"
    )]
    let mut days = v.floor() as i64;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a fraction of a day in minutes: 0..=1440"
    )]
    let mut minutes = ((v - v.floor()) * 1440.0).round() as u32;
    if minutes >= 1440 {
        days += 1;
        minutes -= 1440;
    }
    let date = from_days(days - UNIX_EPOCH_SERIAL).to_iso();
    if v.fract() == 0.0 {
        date
    } else {
        format!("{date} {:02}:{:02}", minutes / 60, minutes % 60)
    }
}

fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "checked to be a whole number in range"
                )]
                let i = *f as i64;
                i.to_string()
            } else {
                format!("{f}")
            }
        }
        DataRef::String(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        DataRef::DateTime(t) => serial_to_text(t.as_f64()),
        DataRef::DateTimeIso(s) => s.replacen('T', " ", 1).chars().take(16).collect(),
        DataRef::Error(e) => format!("#{e:?}"),
        DataRef::Empty => String::new(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A `Write` into memory that refuses to grow past its cap.
struct Capped {
    out: Vec<u8>,
    cap: usize,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > self.cap {
            self.over = true;
            return Err(std::io::Error::other("over the cap"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Why a workbook could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetError {
    /// Its first sheet holds more than the cap as CSV text (its declared sizes are not
    /// trusted: the text is counted as it is written).
    TooLarge(usize),
    /// Not a readable workbook: the reason, in Vietnamese.
    Unreadable(String),
}

impl std::fmt::Display for SheetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SheetError::TooLarge(cap) => {
                write!(f, "bảng tính mở ra quá {} MB văn bản", cap / (1024 * 1024))
            }
            SheetError::Unreadable(e) => f.write_str(e),
        }
    }
}

/// The first sheet of a workbook as CSV text, at most `cap` bytes of it.
pub fn xlsx_text(bytes: Vec<u8>, cap: usize) -> Result<String, SheetError> {
    let mut out = Capped {
        out: Vec::new(),
        cap,
        over: false,
    };
    let read = xlsx_to_csv(std::io::Cursor::new(bytes), &mut out);
    if out.over {
        return Err(SheetError::TooLarge(cap));
    }
    read.map_err(SheetError::Unreadable)?;
    String::from_utf8(out.out).map_err(|e| SheetError::Unreadable(e.to_string()))
}

/// Writes the first sheet of `input` (an XLSX workbook) as CSV to `out`; returns the
/// number of sheet rows written (header included).
pub fn xlsx_to_csv<R: Read + Seek, W: Write>(mut input: R, out: W) -> Result<u64, String> {
    crate::zipcheck::check_xlsx(&mut input)?;
    crate::zipcheck::no_panic("tệp XLSX", move || stream_rows(input, out))
}

fn stream_rows<R: Read + Seek, W: Write>(input: R, mut out: W) -> Result<u64, String> {
    let mut book: Xlsx<R> =
        Xlsx::new(input).map_err(|e| format!("không đọc được tệp XLSX: {e}"))?;
    let Some(sheet) = book.sheet_names().first().cloned() else {
        return Err("tệp XLSX không có trang tính nào".into());
    };
    let mut cells = book
        .worksheet_cells_reader(&sheet)
        .map_err(|e| format!("không đọc được trang `{sheet}`: {e}"))?;
    let io = |e: std::io::Error| e.to_string();
    let mut written: u64 = 0;
    let mut row: Vec<String> = Vec::new();
    let mut row_index: Option<u32> = None;
    let mut count: u64 = 0;
    let flush = |row: &mut Vec<String>, out: &mut W| -> Result<(), String> {
        let line: Vec<String> = row.iter().map(|c| csv_field(c)).collect();
        writeln!(out, "{}", line.join(",")).map_err(io)?;
        row.clear();
        Ok(())
    };
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| format!("trang `{sheet}`: {e}"))?
    {
        let (r, c) = cell.get_position();
        count += 1;
        if r >= MAX_ROWS || count > MAX_CELLS {
            return Err(format!(
                "trang `{sheet}`: vượt giới hạn {MAX_ROWS} dòng hoặc {MAX_CELLS} ô"
            ));
        }
        if row_index != Some(r) {
            if row_index.is_some() {
                flush(&mut row, &mut out)?;
                written += 1;
            }
            // Rows without any cell still take their line.
            let from = row_index.map_or(0, |p| p + 1);
            for _ in from..r {
                writeln!(out).map_err(io)?;
                written += 1;
            }
            row_index = Some(r);
        }
        if c >= MAX_COLUMNS {
            return Err(format!(
                "trang `{sheet}`: cột {} vượt giới hạn {MAX_COLUMNS} cột",
                u64::from(c) + 1
            ));
        }
        let c = c as usize;
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = cell_text(cell.get_value());
    }
    if row_index.is_some() {
        flush(&mut row, &mut out)?;
        written += 1;
    }
    out.flush().map_err(io)?;
    Ok(written)
}

/// Converts the first sheet of the workbook at `from` into the CSV file `to`; on failure
/// `to` is removed.
pub fn xlsx_file_to_csv(from: &std::path::Path, to: &std::path::Path) -> Result<u64, String> {
    let input = std::fs::File::open(from).map_err(|e| format!("không đọc được tệp: {e}"))?;
    let out = std::fs::File::create(to)
        .map_err(|e| format!("{}: không ghi được tệp tạm: {e}", to.display()))?;
    let guard = crate::temp::TempPath::new(to);
    let n = xlsx_to_csv(std::io::BufReader::new(input), std::io::BufWriter::new(out))?;
    guard.keep();
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    #[test]
    fn rows_keep_their_numbers_and_dates_their_minutes() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let when = Format::new().set_num_format("dd/mm/yyyy hh:mm");
        ws.write_string(0, 0, "code").unwrap();
        ws.write_string(0, 1, "received_at").unwrap();
        ws.write_string(0, 2, "note").unwrap();
        ws.write_string(1, 0, "HS1").unwrap();
        let t = ExcelDateTime::parse_from_str("2021-02-09 09:15:00").unwrap();
        ws.write_datetime_with_format(1, 1, &t, &when).unwrap();
        ws.write_string(1, 2, "có \"dấu\", phẩy").unwrap();
        // Row 3 left empty; row 4 with a number and a text date.
        ws.write_number(3, 0, 42).unwrap();
        ws.write_string(3, 1, "09/02/2021 09:15").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let mut out = Vec::new();
        let n = xlsx_to_csv(std::io::Cursor::new(bytes), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(n, 4);
        assert_eq!(
            text,
            "code,received_at,note\nHS1,2021-02-09 09:15,\"có \"\"dấu\"\", phẩy\"\n\n42,09/02/2021 09:15\n"
        );
    }

    /// A small workbook with one shared string, its parts rewritten by `edit`.
    pub(crate) fn edited_workbook(edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
        use std::io::Write as _;
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "code").unwrap();
        ws.write_string(1, 0, "HS1").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..src.len() {
            let mut f = src.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            w.start_file(name.as_str(), opts).unwrap();
            w.write_all(&edit(&name, data)).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn set_unique_count(name: &str, data: Vec<u8>, count: &str) -> Vec<u8> {
        if name != "xl/sharedStrings.xml" {
            return data;
        }
        let text = String::from_utf8(data).unwrap();
        let at = text.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
        let end = at + text[at..].find('"').unwrap();
        format!("{}{count}{}", &text[..at], &text[end..]).into_bytes()
    }

    #[test]
    fn an_absurd_declared_string_count_is_refused_not_an_abort() {
        let bytes = edited_workbook(|n, d| set_unique_count(n, d, "10000000000000000"));
        let err = xlsx_to_csv(std::io::Cursor::new(bytes), Vec::new()).unwrap_err();
        assert!(err.contains("khai báo 10000000000000000 chuỗi"), "{err}");
        // An honest count still reads.
        let bytes = edited_workbook(|n, d| set_unique_count(n, d, "2"));
        let mut out = Vec::new();
        xlsx_to_csv(std::io::Cursor::new(bytes), &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "code\nHS1\n");
    }

    #[test]
    fn a_part_that_inflates_past_the_cap_is_refused() {
        // 70 MiB of blanks after the sheet's root element: valid XML, a few dozen KiB
        // compressed, more than the cap allows a file of that size.
        let bytes = edited_workbook(|n, mut d| {
            if n == "xl/worksheets/sheet1.xml" {
                d.resize(d.len() + 70 * 1024 * 1024, b' ');
            }
            d
        });
        assert!(bytes.len() < 1024 * 1024);
        let err = xlsx_to_csv(std::io::Cursor::new(bytes), Vec::new()).unwrap_err();
        assert!(err.contains("quá lớn khi giải nén"), "{err}");
    }

    #[test]
    fn not_a_workbook_is_a_clear_error() {
        let err =
            xlsx_to_csv(std::io::Cursor::new(b"code,unit\n".to_vec()), Vec::new()).unwrap_err();
        assert!(err.contains("XLSX"), "{err}");
    }
}
