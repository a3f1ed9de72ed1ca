//! A problem found in an input file, reported as `FILE:LINE[:COLUMN]: message`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn new(file: &str, line: usize, column: Option<usize>, message: impl Into<String>) -> Self {
        Problem {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "{}:{}:{}: {}", self.file, self.line, c, self.message),
            None => write!(f, "{}:{}: {}", self.file, self.line, self.message),
        }
    }
}

/// Every problem of a rejected file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// The line of a CSV record as an editor shows it. The csv crate dates a record from where
/// its reading began, which is before any blank lines it skipped; this counts them from the
/// text the reader was given.
pub fn csv_record_line(text: &str, pos: Option<&csv::Position>, fallback: usize) -> usize {
    let Some(pos) = pos else { return fallback };
    let mut line = usize::try_from(pos.line()).unwrap_or(fallback);
    let mut rest = usize::try_from(pos.byte())
        .ok()
        .and_then(|b| text.as_bytes().get(b..))
        .unwrap_or_default();
    loop {
        if let Some(r) = rest.strip_prefix(b"\n") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix(b"\r\n") {
            rest = r;
        } else {
            break;
        }
        line += 1;
    }
    line
}

/// Reads a CSV file (BOM, CRLF, blank lines as Excel leaves them) row by row: `each` gets
/// the row's line and a getter of the `wanted` columns (trimmed; empty when absent) and
/// says what is wrong with the row, if anything. Every `required` column must be in the
/// header. The problems name the editor's lines.
pub(crate) fn csv_rows(
    file: &str,
    text: &str,
    wanted: &[&str],
    required: &[&str],
    mut each: impl FnMut(usize, &dyn Fn(usize) -> String) -> Result<(), String>,
) -> Result<(), Problems> {
    let text = crate::text::input_text(text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| {
            Problems(vec![Problem::new(
                file,
                1,
                None,
                format!("không đọc được dòng tiêu đề: {e}"),
            )])
        })?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    let cols: Vec<Option<usize>> = wanted
        .iter()
        .map(|w| header.iter().position(|h| h == w))
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .filter(|r| {
            wanted
                .iter()
                .zip(&cols)
                .any(|(w, c)| w == *r && c.is_none())
        })
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(Problems(vec![Problem::new(
            file,
            1,
            None,
            format!(
                "thiếu cột {} (tiêu đề cần có: {})",
                missing.join(", "),
                wanted.join(",")
            ),
        )]));
    }
    let mut problems = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
                problems.push(Problem::new(
                    file,
                    line,
                    None,
                    format!("dòng CSV không đọc được: {e}"),
                ));
                continue;
            }
        };
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let line = crate::problem::csv_record_line(&text, rec.position(), 0);
        let get = |k: usize| {
            cols[k]
                .and_then(|c| rec.get(c))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        if let Err(m) = each(line, &get) {
            problems.push(Problem::new(file, line, None, m));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problems(problems))
    }
}
