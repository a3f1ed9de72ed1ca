//! One table shape for every export, so that each page's table downloads the same way.

use parindex_domain::Points;
use parindex_domain::text::spreadsheet_safe;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Exact points shown with a fixed number of decimals.
    Points(Points, u8),
    Empty,
}

impl Cell {
    /// The CSV form: dot decimals, as in the JSON contract; text a spreadsheet would take
    /// for a formula starts with an apostrophe (`spreadsheet_safe`).
    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => spreadsheet_safe(s).into_owned(),
            Cell::Int(n) => n.to_string(),
            Cell::Points(p, prec) => p.to_fixed(*prec),
            Cell::Empty => String::new(),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub title: String,
    /// Column names as scripts read them (CSV, and XLSX unless `titles` are given).
    pub headers: Vec<String>,
    /// Column titles for people, used by the XLSX instead of `headers`.
    pub titles: Option<Vec<String>>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(title: impl Into<String>, headers: &[&str]) -> Self {
        Table {
            title: title.into(),
            headers: headers.iter().map(ToString::to_string).collect(),
            titles: None,
            rows: Vec::new(),
        }
    }

    /// Column titles for people in the XLSX (the CSV keeps `headers`).
    #[must_use]
    pub fn with_titles(mut self, titles: &[&str]) -> Self {
        self.titles = Some(titles.iter().map(ToString::to_string).collect());
        self
    }

    /// CSV without BOM (for standard output and scripts).
    pub fn to_csv(&self) -> String {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        let _ = w.write_record(&self.headers);
        for r in &self.rows {
            let _ = w.write_record(r.iter().map(Cell::csv));
        }
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }

    /// CSV with a UTF-8 BOM so that Excel opens Vietnamese text correctly.
    pub fn to_csv_download(&self) -> Vec<u8> {
        let mut out = "\u{feff}".as_bytes().to_vec();
        out.extend(self.to_csv().into_bytes());
        out
    }

    /// An XLSX workbook with a title row, bold headers and numeric cells.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let title: String = self
            .title
            .chars()
            .take(31)
            .filter(|c| !"[]:*?/\\".contains(*c))
            .collect();
        if !title.is_empty() {
            ws.set_name(&title)?;
        }
        let bold = Format::new().set_bold();
        ws.write_string_with_format(0, 0, &self.title, &bold)?;
        for (c, h) in self
            .titles
            .as_ref()
            .unwrap_or(&self.headers)
            .iter()
            .enumerate()
        {
            ws.write_string_with_format(2, col(c), h, &bold)?;
        }
        let formats: Vec<Format> = (0..=3u8)
            .map(|p| {
                let f = if p == 0 {
                    "0".to_string()
                } else {
                    format!("0.{}", "0".repeat(usize::from(p)))
                };
                Format::new().set_num_format(&f)
            })
            .collect();
        for (r, row) in self.rows.iter().enumerate() {
            let rr = u32::try_from(r + 3).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(rr, col(c), s)?;
                    }
                    Cell::Int(n) => {
                        #[expect(
                            clippy::cast_precision_loss,
                            reason = "counts stay far below 2^52"
                        )]
                        ws.write_number(rr, col(c), *n as f64)?;
                    }
                    Cell::Points(p, prec) => {
                        #[expect(
                            clippy::cast_precision_loss,
                            reason = "thousandths of points stay far below 2^52"
                        )]
                        let v = p.round_to(*prec).thousandths() as f64 / 1000.0;
                        ws.write_number_with_format(
                            rr,
                            col(c),
                            v,
                            &formats[usize::from((*prec).min(3))],
                        )?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        ws.autofit();
        wb.save_to_buffer()
    }
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_xlsx() {
        let mut t = Table::new("Xếp hạng", &["Mã", "Điểm"]);
        t.rows.push(vec![
            "SKHDT".into(),
            Cell::Points(Points::from_thousandths(85_620), 3),
        ]);
        assert_eq!(t.to_csv(), "Mã,Điểm\r\nSKHDT,85.620\r\n");
        assert!(t.to_csv_download().starts_with("\u{feff}".as_bytes()));
        let x = t.to_xlsx().unwrap_or_default();
        assert!(x.starts_with(b"PK"));
    }

    #[test]
    fn text_that_looks_like_a_formula_is_not_one() {
        let mut t = Table::new("Nhiệm vụ", &["Tên", "Điểm"]);
        for title in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "@SUM(A1)",
            "+1",
            "-0,250",
            "-x",
        ] {
            t.rows.push(vec![title.into(), Cell::Int(-5)]);
        }
        assert_eq!(
            t.to_csv(),
            "Tên,Điểm\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-5\r\n'@SUM(A1),-5\r\n\
             +1,-5\r\n\"-0,250\",-5\r\n'-x,-5\r\n"
        );
        // In the workbook they are strings, never formulas.
        let x = t.to_xlsx().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(x)).unwrap();
        let mut sheet = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
            &mut sheet,
        )
        .unwrap();
        assert!(!sheet.contains("<f>"), "{sheet}");
    }
}
