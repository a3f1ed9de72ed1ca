//! Criteria sets as spreadsheets: sheet `Thông tin` (key | value: id, name, year, level,
//! legal_basis, precision, bands as `Tốt=90; Khá=80`) and sheet `Tiêu chí` with the
//! columns `code | name | max | rule | params | evidence | owner`. A row's parent is the
//! nearest row above whose code is a prefix of its own (`I.8` is the parent of `I.8.4`).
//! `params` (also headed `options/bands`) by rule: options `Kịp thời=1; Chậm=0.5`, thresholds `100=2; 80=1` (min=points),
//! deduction `per=0.25; floor=0`, proportional `of=100`, manual `step=0.25`; any of them may
//! add `input=dossiers.on_time_rate` (a leaf that scores itself from the unit's dossiers).
//!
//! The sheet becomes the same positioned tree as a YAML file (rows as lines, columns as
//! columns), so every check and message is shared with the YAML reader.
//!
//! Only XLSX is read (XLS and ODS readers size their tables from counts the file
//! declares); the workbook is checked first (`zipcheck::check_xlsx`) and its cells are
//! gathered sparsely, within [`MAX_ROWS`] rows, [`MAX_COLUMNS`] columns and [`MAX_CELLS`]
//! cells, rather than into a rectangle spanning the farthest cell.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use parindex_domain::criteria::Rule;
use parindex_domain::text::fold;
use parindex_domain::yaml::{Node, Pos, Value};
use parindex_domain::{CriteriaSet, Problem, Problems, criteria_from_tree};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// Rows of a criteria sheet (a criteria set has a few hundred).
pub const MAX_ROWS: u32 = 100_000;
/// Columns of a criteria sheet.
pub const MAX_COLUMNS: u32 = 1_024;
/// Non-empty cells of one criteria sheet.
pub const MAX_CELLS: usize = 1_000_000;

const COLUMNS: [&str; 8] = [
    "code", "name", "max", "rule", "params", "evidence", "owner", "kind",
];
/// Other headings accepted for the `params` column.
const PARAMS_ALIASES: [&str; 3] = ["options/bands", "options", "bands"];

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "checked to be a whole number in range"
                )]
                let i = *f as i64;
                i.to_string()
            } else {
                // Shortest text that reads back as the same float: `0.5`, not `0.500000001`.
                format!("{f}")
            }
        }
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn scalar(text: &str, pos: Pos) -> Node {
    Node {
        pos,
        value: Value::Scalar(text.to_string(), true),
    }
}

fn map(pos: Pos, entries: Vec<(String, Node)>) -> Node {
    Node {
        pos,
        value: Value::Map(entries.into_iter().map(|(k, n)| (k, n.pos, n)).collect()),
    }
}

fn pairs(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.trim().strip_prefix("input=") {
            // A figure input may hold `=` in its filter (`[field=dau-tu]`).
            Some(v) => ("input".to_string(), v.trim().to_string()),
            None => match p.rsplit_once('=') {
                Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
                None => (p.trim().to_string(), String::new()),
            },
        })
        .collect()
}

struct Row {
    pos: Pos,
    code: String,
    cells: Vec<(String, Pos)>,
    children: Vec<usize>,
}

fn rule_node(kind: &str, kpos: Pos, params: &str, ppos: Pos) -> Node {
    let mut entries = vec![("kind".to_string(), scalar(kind, kpos))];
    // `input=dossiers.on_time_rate` may sit among the params of any rule.
    let (input, params): (Vec<_>, Vec<_>) =
        pairs(params).into_iter().partition(|(k, _)| k == "input");
    let list = |key_a: &str, key_b: &str| {
        let items = params
            .iter()
            .map(|(a, b)| {
                map(
                    ppos,
                    vec![
                        (key_a.to_string(), scalar(a, ppos)),
                        (key_b.to_string(), scalar(b, ppos)),
                    ],
                )
            })
            .collect();
        Node {
            pos: ppos,
            value: Value::Seq(items),
        }
    };
    match kind {
        "options" => entries.push(("options".into(), list("label", "points"))),
        "thresholds" => entries.push(("bands".into(), list("min", "points"))),
        _ => {
            for (k, v) in &params {
                entries.push((k.clone(), scalar(v, ppos)));
            }
        }
    }
    for (k, v) in input {
        entries.push((k, scalar(&v, ppos)));
    }
    map(kpos, entries)
}

fn build(rows: &[Row], i: usize) -> Node {
    let r = &rows[i];
    let mut entries = Vec::new();
    let get = |name: &str| {
        let k = COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
        r.cells.get(k).filter(|(t, _)| !t.is_empty())
    };
    for name in ["code", "name", "max", "kind", "evidence", "owner"] {
        if let Some((t, p)) = get(name) {
            entries.push((name.to_string(), scalar(t, *p)));
        }
    }
    if let Some((kind, kpos)) = get("rule") {
        let (params, ppos) = get("params").cloned().unwrap_or((String::new(), *kpos));
        entries.push(("rule".into(), rule_node(kind, *kpos, &params, ppos)));
    }
    if !r.children.is_empty() {
        let kids = r.children.iter().map(|&c| build(rows, c)).collect();
        entries.push((
            "children".into(),
            Node {
                pos: r.pos,
                value: Value::Seq(kids),
            },
        ));
    }
    map(r.pos, entries)
}

fn is_prefix(parent: &str, child: &str) -> bool {
    child.len() > parent.len()
        && child.starts_with(parent)
        && child.as_bytes()[parent.len()] == b'.'
}

/// The non-empty cells of a sheet as rows: (row index, cells from the sheet's first
/// non-empty column on), in row order; and that first column.
type SheetRows = (Vec<(u32, Vec<Data>)>, u32);

fn sheet_rows(wb: &mut Xlsx<Cursor<&[u8]>>, name: &str) -> Result<SheetRows, String> {
    let mut cells = wb
        .worksheet_cells_reader(name)
        .map_err(|e| format!("không đọc được trang {name}: {e}"))?;
    let mut by_row: BTreeMap<u32, Vec<(u32, Data)>> = BTreeMap::new();
    let mut count = 0usize;
    let mut c0 = u32::MAX;
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| format!("không đọc được trang {name}: {e}"))?
    {
        if matches!(cell.get_value(), calamine::DataRef::Empty) {
            continue;
        }
        let (r, c) = cell.get_position();
        count += 1;
        if r >= MAX_ROWS || c >= MAX_COLUMNS || count > MAX_CELLS {
            return Err(format!(
                "trang {name} quá lớn (tối đa {MAX_ROWS} dòng, {MAX_COLUMNS} cột, {MAX_CELLS} ô)"
            ));
        }
        c0 = c0.min(c);
        by_row
            .entry(r)
            .or_default()
            .push((c, cell.get_value().clone().into()));
    }
    let c0 = if c0 == u32::MAX { 0 } else { c0 };
    let rows = by_row
        .into_iter()
        .map(|(r, cells)| {
            let width = cells.iter().map(|(c, _)| c - c0 + 1).max().unwrap_or(0);
            let mut row = vec![Data::Empty; width as usize];
            for (c, d) in cells {
                row[(c - c0) as usize] = d;
            }
            (r, row)
        })
        .collect();
    Ok((rows, c0))
}

/// Reads a criteria set from XLSX bytes.
pub fn read_criteria_xlsx(file: &str, bytes: &[u8]) -> Result<CriteriaSet, Problems> {
    let fail = |line: usize, m: String| Problems(vec![Problem::new(file, line, None, m)]);
    if !bytes.starts_with(b"PK") {
        return Err(fail(
            1,
            "không mở được bảng tính: chỉ đọc được tệp XLSX (lưu lại bảng tính dưới dạng .xlsx)"
                .into(),
        ));
    }
    crate::zipcheck::check_xlsx(&mut Cursor::new(bytes))
        .map_err(|e| fail(1, format!("không mở được bảng tính: {e}")))?;
    crate::zipcheck::no_panic("bảng tính", || Ok(read_checked(file, bytes)))
        .map_err(|e| fail(1, e))?
}

fn read_checked(file: &str, bytes: &[u8]) -> Result<CriteriaSet, Problems> {
    let fail = |line: usize, m: String| Problems(vec![Problem::new(file, line, None, m)]);
    let mut wb: Xlsx<Cursor<&[u8]>> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| fail(1, format!("không mở được bảng tính: {e}")))?;
    let names = wb.sheet_names();
    let find = |keys: &[&str]| {
        names
            .iter()
            .find(|n| keys.contains(&fold(n).as_str()))
            .cloned()
    };
    let info_name = find(&["thong tin", "info"]);
    let crit_name = find(&["tieu chi", "criteria"])
        .or_else(|| {
            names
                .iter()
                .find(|n| Some(*n) != info_name.as_ref())
                .cloned()
        })
        .ok_or_else(|| fail(1, "bảng tính không có trang `Tiêu chí`".into()))?;

    let mut top: Vec<(String, Node)> = Vec::new();
    if let Some(info) = &info_name {
        let (rows, c0) = sheet_rows(&mut wb, info).map_err(|e| fail(1, e))?;
        for (r, row) in &rows {
            let line = *r as usize + 1;
            let key = row.first().map(cell_text).unwrap_or_default();
            let val = row.get(1).map(cell_text).unwrap_or_default();
            let pos = Pos {
                line,
                col: c0 as usize + 2,
            };
            if key.is_empty() || val.is_empty() || fold(&key) == "key" || fold(&key) == "khoa" {
                continue;
            }
            if key == "bands" {
                let items = pairs(&val)
                    .into_iter()
                    .map(|(l, m)| {
                        map(
                            pos,
                            vec![
                                ("label".into(), scalar(&l, pos)),
                                ("min".into(), scalar(&m, pos)),
                            ],
                        )
                    })
                    .collect();
                top.push((
                    key,
                    Node {
                        pos,
                        value: Value::Seq(items),
                    },
                ));
            } else {
                top.push((key, scalar(&val, pos)));
            }
        }
    }

    let (sheet, c0) = sheet_rows(&mut wb, &crit_name).map_err(|e| fail(1, e))?;
    let mut rows: Vec<Row> = Vec::new();
    let mut roots = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut cols: Vec<usize> = (0..COLUMNS.len()).collect();
    for (r, row) in &sheet {
        let line = *r as usize + 1;
        let texts: Vec<String> = row.iter().map(cell_text).collect();
        if texts.iter().all(String::is_empty) {
            continue;
        }
        if texts
            .first()
            .is_some_and(|t| fold(t) == "code" || fold(t) == "ma")
        {
            let heads: Vec<String> = texts.iter().map(|t| fold(t)).collect();
            for (k, c) in COLUMNS.iter().enumerate() {
                cols[k] = heads
                    .iter()
                    .position(|h| {
                        h == c || (*c == "params" && PARAMS_ALIASES.contains(&h.as_str()))
                    })
                    .unwrap_or(usize::MAX);
            }
            continue;
        }
        let cells: Vec<(String, Pos)> = cols
            .iter()
            .map(|&c| {
                let t = texts.get(c).cloned().unwrap_or_default();
                (
                    t,
                    Pos {
                        line,
                        col: c0 as usize + c.min(1000) + 1,
                    },
                )
            })
            .collect();
        let code = cells[0].0.clone();
        let idx = rows.len();
        while let Some(&top_i) = stack.last() {
            if is_prefix(&rows[top_i].code, &code) {
                break;
            }
            stack.pop();
        }
        match stack.last() {
            Some(&p) => rows[p].children.push(idx),
            None => roots.push(idx),
        }
        rows.push(Row {
            pos: Pos { line, col: 1 },
            code,
            cells,
            children: Vec::new(),
        });
        stack.push(idx);
    }
    let nodes = Node {
        pos: Pos { line: 1, col: 1 },
        value: Value::Seq(roots.iter().map(|&r| build(&rows, r)).collect()),
    };
    top.push(("nodes".into(), nodes));
    criteria_from_tree(file, &map(Pos { line: 1, col: 1 }, top))
}

/// Writes a set in the spreadsheet layout above (what `read_criteria_xlsx` reads back).
pub fn write_criteria_xlsx(set: &CriteriaSet) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let info = wb.add_worksheet();
    info.set_name("Thông tin")?;
    info.write_string_with_format(0, 0, "key", &bold)?;
    info.write_string_with_format(0, 1, "value", &bold)?;
    let bands = set
        .bands
        .iter()
        .map(|b| format!("{}={}", b.label, b.min))
        .collect::<Vec<_>>()
        .join("; ");
    let meta = [
        ("id", set.id.clone()),
        ("name", set.name.clone()),
        ("year", set.year.to_string()),
        ("level", set.level.as_str().to_string()),
        ("legal_basis", set.legal_basis.clone().unwrap_or_default()),
        ("precision", set.precision.to_string()),
        (
            "sample",
            if set.sample {
                "true".into()
            } else {
                String::new()
            },
        ),
        (
            "rank_by",
            if set.rank_by == parindex_domain::RankBy::Score {
                String::new()
            } else {
                set.rank_by.as_str().to_string()
            },
        ),
        ("bands", bands),
    ];
    for (i, (k, v)) in meta.iter().enumerate() {
        let r = u32::try_from(i + 1).unwrap_or(0);
        info.write_string(r, 0, *k)?;
        if !v.is_empty() {
            info.write_string(r, 1, v)?;
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("Tiêu chí")?;
    for (c, h) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, u16::try_from(c).unwrap_or(0), *h, &bold)?;
    }
    for (i, n) in set.nodes.iter().enumerate() {
        let r = u32::try_from(i + 1).unwrap_or(0);
        ws.write_string(r, 0, n.code.as_str())?;
        ws.write_string(r, 1, &n.name)?;
        ws.write_string(r, 2, n.max.to_plain())?;
        if let Some(rule) = &n.rule {
            ws.write_string(r, 3, rule.kind())?;
            let params = match rule {
                Rule::Manual { step } => format!("step={step}"),
                Rule::Options(o) => o
                    .iter()
                    .map(|o| format!("{}={}", o.label, o.points))
                    .collect::<Vec<_>>()
                    .join("; "),
                Rule::Thresholds(b) => b
                    .iter()
                    .map(|b| format!("{}={}", b.min, b.points))
                    .collect::<Vec<_>>()
                    .join("; "),
                Rule::Proportional { of } => format!("of={of}"),
                Rule::Deduction { per, floor } => format!("per={per}; floor={floor}"),
                Rule::Binary | Rule::Survey => String::new(),
            };
            let params = match (n.figure_input(), params.is_empty()) {
                (Some(f), true) => format!("input={f}"),
                (Some(f), false) => format!("{params}; input={f}"),
                (None, _) => params,
            };
            if !params.is_empty() {
                ws.write_string(r, 4, params)?;
            }
        }
        if let Some(e) = &n.evidence {
            ws.write_string(r, 5, e)?;
        }
        if let Some(o) = &n.owner {
            ws.write_string(r, 6, o)?;
        }
        // Only where the kind starts: descendants inherit it.
        let inherited = n
            .parent
            .map_or(parindex_domain::NodeKind::Regular, |p| set.nodes[p].kind);
        if n.kind != inherited {
            ws.write_string(r, 7, n.kind.as_str())?;
        }
    }
    ws.autofit();
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use parindex_domain::parse_criteria_yaml;

    const EXAMPLE: &str = include_str!("../../domain/tests/data/example-so-2020.yaml");

    #[test]
    fn round_trips_through_xlsx() {
        let set = parse_criteria_yaml("e.yaml", EXAMPLE).unwrap();
        let bytes = write_criteria_xlsx(&set).unwrap();
        let back = read_criteria_xlsx("e.xlsx", &bytes)
            .map_err(|e| e.to_string())
            .unwrap();
        assert_eq!(back.to_yaml(), set.to_yaml());
    }

    #[test]
    fn bonus_penalty_and_rank_by_round_trip_through_xlsx() {
        let set = parse_criteria_yaml("k.yaml", KINDS).unwrap();
        let back = read_criteria_xlsx("k.xlsx", &write_criteria_xlsx(&set).unwrap())
            .map_err(|e| e.to_string())
            .unwrap();
        assert_eq!(back.to_yaml(), set.to_yaml());
        assert_eq!(back.rank_by, parindex_domain::RankBy::Index);
        assert_eq!(
            back.node("III.1").map(|n| n.kind),
            Some(parindex_domain::NodeKind::Bonus)
        );
        assert_eq!(
            back.node("I.2").map(|n| n.kind),
            Some(parindex_domain::NodeKind::Penalty)
        );
        assert_eq!(back.total_max().to_plain(), "3");
    }

    const KINDS: &str = "id: k\nname: K\nyear: 2025\nlevel: xa\nrank_by: index\nnodes:\n  - code: I\n    name: A\n    children:\n      - { code: I.1, name: B, max: 3, rule: { kind: binary } }\n      - { code: I.2, name: C, max: 1, kind: penalty, rule: { kind: deduction, per: 0.5 } }\n  - code: III\n    name: D\n    kind: bonus\n    children:\n      - { code: III.1, name: E, max: 2, rule: { kind: manual } }\n";

    #[test]
    fn a_figure_input_round_trips_through_xlsx() {
        let demo = include_str!("../../../data/brvt-so-2020.yaml");
        let set = parse_criteria_yaml("demo.yaml", demo).unwrap();
        let leaf = set.position("I.8.4").unwrap();
        assert!(set.nodes[leaf].figure.is_some());
        let back = read_criteria_xlsx("demo.xlsx", &write_criteria_xlsx(&set).unwrap())
            .map_err(|e| e.to_string())
            .unwrap();
        assert_eq!(back.nodes[leaf].figure, set.nodes[leaf].figure);
        assert_eq!(back.to_yaml(), set.to_yaml());
        // Restricted to the investment procedures (I.8.4 of the notice).
        let mut set = set;
        set.nodes[leaf].figure_field = Some("dau-tu".into());
        let yaml = set.to_yaml();
        assert!(
            yaml.contains(r#"input: "dossiers.on_time_rate[field=dau-tu]""#),
            "{yaml}"
        );
        let again = parse_criteria_yaml("again.yaml", &yaml).unwrap();
        assert_eq!(again.nodes[leaf].figure_field.as_deref(), Some("dau-tu"));
        let back = read_criteria_xlsx("f.xlsx", &write_criteria_xlsx(&set).unwrap())
            .map_err(|e| e.to_string())
            .unwrap();
        assert_eq!(back.nodes[leaf].figure_field.as_deref(), Some("dau-tu"));
        assert_eq!(back.to_yaml(), yaml);
    }

    #[test]
    fn a_far_cell_is_refused_not_a_sheet_sized_allocation() {
        let set = parse_criteria_yaml("e.yaml", EXAMPLE).unwrap();
        let bytes = write_criteria_xlsx(&set).unwrap();
        // The same workbook with one more cell in the last row and column Excel has.
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut data = String::new();
            std::io::Read::read_to_string(&mut f, &mut data).unwrap();
            if name == "xl/worksheets/sheet2.xml" {
                data = data.replace(
                    "</sheetData>",
                    r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>"#,
                );
            }
            out.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut out, data.as_bytes()).unwrap();
        }
        let bytes = out.finish().unwrap().into_inner();
        let err = read_criteria_xlsx("e.xlsx", &bytes)
            .unwrap_err()
            .to_string();
        assert!(err.contains("e.xlsx:1: trang Tiêu chí quá lớn"), "{err}");
    }

    #[test]
    fn other_spreadsheet_formats_are_refused() {
        let err = read_criteria_xlsx("e.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("chỉ đọc được tệp XLSX"), "{err}");
    }

    #[test]
    fn errors_name_the_row() {
        let mut set = parse_criteria_yaml("e.yaml", EXAMPLE).unwrap();
        // Break the third row's code into a duplicate of the second.
        set.nodes[2].code = set.nodes[1].code.clone();
        let bytes = write_criteria_xlsx(&set).unwrap();
        let err = read_criteria_xlsx("e.xlsx", &bytes)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("e.xlsx:4:1: mã `I.1` bị trùng (đã có ở dòng 3)"),
            "{err}"
        );
    }
}
