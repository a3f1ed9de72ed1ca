//! Units CSV: `code,name,parent_code[,kind][,group]` plus optional history columns.

use crate::problem::{Problem, Problems};
use crate::text::{Date, nfc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub kind: Option<String>,
    pub group: Option<String>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    /// The unit this one was merged into (2025 mergers keep the old name in history).
    pub merged_into: Option<String>,
    pub line: usize,
}

const COLUMNS: [&str; 8] = [
    "code",
    "name",
    "parent_code",
    "kind",
    "group",
    "valid_from",
    "valid_to",
    "merged_into",
];

/// What a file line naming an unknown unit is told.
pub fn unknown_unit(code: &str) -> String {
    format!("đơn vị `{code}` chưa có trong danh sách đơn vị")
}

/// A unit group's name in Vietnamese (`so`, `huyen`, `xa`, `phong` are the sets' codes;
/// another code is shown as it is).
pub fn group_name_vi(code: &str) -> &str {
    match code {
        "so" => "Sở, ban, ngành",
        "huyen" => "UBND cấp huyện",
        "xa" => "UBND cấp xã",
        "phong" => "Phòng, ban",
        _ => code,
    }
}

/// A unit group's name in English.
pub fn group_name_en(code: &str) -> &str {
    match code {
        "so" => "Departments",
        "huyen" => "District committees",
        "xa" => "Commune committees",
        "phong" => "Divisions",
        _ => code,
    }
}

/// The names of `codes` among `units` (code, name), joined by commas; a code not among them
/// is shown as it is.
pub fn names_of(codes: &[String], units: &[(String, String)]) -> String {
    codes
        .iter()
        .map(|c| {
            units
                .iter()
                .find(|(d, _)| d == c)
                .map_or_else(|| c.clone(), |(_, n)| n.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a units CSV. A header row is optional when the columns are in the order above.
pub fn parse_units_csv(file: &str, text: &str) -> Result<Vec<UnitRow>, Problems> {
    let text = crate::text::input_text(text);
    let text: &str = &text;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut problems = Vec::new();
    let mut out: Vec<UnitRow> = Vec::new();
    let mut cols: Vec<usize> = (0..COLUMNS.len()).collect();
    for (i, rec) in rdr.records().enumerate() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::new(
                    file,
                    i + 1,
                    None,
                    format!("dòng CSV không đọc được: {e}"),
                ));
                continue;
            }
        };
        let line = crate::problem::csv_record_line(text, rec.position(), i + 1);
        if i == 0 && rec.get(0).is_some_and(|c| c.eq_ignore_ascii_case("code")) {
            let names: Vec<String> = rec.iter().map(str::to_ascii_lowercase).collect();
            for (k, name) in COLUMNS.iter().enumerate() {
                cols[k] = names.iter().position(|n| n == name).unwrap_or(usize::MAX);
            }
            for n in &names {
                if !COLUMNS.contains(&n.as_str()) {
                    problems.push(Problem::new(
                        file,
                        line,
                        None,
                        format!("cột `{n}` không được biết (các cột: {})", COLUMNS.join(",")),
                    ));
                }
            }
            continue;
        }
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let get = |k: usize| {
            rec.get(cols[k])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(nfc)
        };
        let mut err = |m: String| problems.push(Problem::new(file, line, None, m));
        let Some(code) = get(0) else {
            err("thiếu mã đơn vị (code)".into());
            continue;
        };
        if !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            err(format!(
                "mã đơn vị `{code}` chỉ được gồm chữ, số, - và _ (không dấu)"
            ));
            continue;
        }
        let Some(name) = get(1) else {
            err(format!("đơn vị {code} thiếu tên"));
            continue;
        };
        let date = |k: usize, err: &mut dyn FnMut(String)| match get(k) {
            None => None,
            Some(s) => {
                let d = Date::parse(&s);
                if d.is_none() {
                    err(format!(
                        "ngày `{s}` không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)"
                    ));
                }
                d
            }
        };
        let valid_from = date(5, &mut err);
        let valid_to = date(6, &mut err);
        if let Some(prev) = out.iter().find(|u| u.code == code) {
            err(format!(
                "mã đơn vị {code} bị lặp (đã có ở dòng {})",
                prev.line
            ));
            continue;
        }
        out.push(UnitRow {
            code,
            name,
            parent_code: get(2),
            kind: get(3),
            group: get(4),
            valid_from,
            valid_to,
            merged_into: get(7),
            line,
        });
    }
    for u in &out {
        for (what, target) in [
            ("đơn vị cha", &u.parent_code),
            ("đơn vị sáp nhập vào", &u.merged_into),
        ] {
            if let Some(t) = target
                && *t == u.code
            {
                problems.push(Problem::new(
                    file,
                    u.line,
                    None,
                    format!("{what} của {} không thể là chính nó", u.code),
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(Problems(problems))
    }
}
