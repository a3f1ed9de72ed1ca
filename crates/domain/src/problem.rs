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
