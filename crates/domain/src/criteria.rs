//! Criteria sets (bộ chỉ số): the tree, the rules, and reading them from YAML.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::code::Code;
use crate::points::{Decimal, DecimalError, Points};
use crate::problem::{Problem, Problems};
use crate::text::fold;
use crate::yaml::{self, Pos, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    So,
    Huyen,
    Xa,
    Central,
    Custom,
}

impl Level {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "so" => Level::So,
            "huyen" => Level::Huyen,
            "xa" => Level::Xa,
            "central" => Level::Central,
            "custom" => Level::Custom,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::So => "so",
            Level::Huyen => "huyen",
            Level::Xa => "xa",
            Level::Central => "central",
            Level::Custom => "custom",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub label: String,
    /// Lowest index % (inclusive) of this band.
    pub min: Points,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionPoints {
    pub label: String,
    pub points: Points,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThresholdBand {
    pub min: Points,
    pub points: Points,
}

/// How a leaf's points are awarded (`rule.kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Manual { step: Points },
    Binary,
    Options(Vec<OptionPoints>),
    Thresholds(Vec<ThresholdBand>),
    Proportional { of: Points },
    Deduction { per: Points, floor: Points },
    Survey,
}

impl Rule {
    pub fn kind(&self) -> &'static str {
        match self {
            Rule::Manual { .. } => "manual",
            Rule::Binary => "binary",
            Rule::Options(_) => "options",
            Rule::Thresholds(_) => "thresholds",
            Rule::Proportional { .. } => "proportional",
            Rule::Deduction { .. } => "deduction",
            Rule::Survey => "survey",
        }
    }

    /// Vietnamese description for the criteria browser.
    pub fn describe_vi(&self) -> String {
        match self {
            Rule::Manual { step } => format!("Chấm tay (bước {})", step.to_vi_short()),
            Rule::Binary => "Đạt / không đạt".into(),
            Rule::Options(o) => o
                .iter()
                .map(|o| format!("{}: {}", o.label, o.points.to_vi_short()))
                .collect::<Vec<_>>()
                .join("; "),
            Rule::Thresholds(b) => b
                .iter()
                .map(|b| format!("≥ {} → {}", b.min.to_vi_short(), b.points.to_vi_short()))
                .collect::<Vec<_>>()
                .join("; "),
            Rule::Proportional { of } => format!("Tỷ lệ (trên {})", of.to_vi_short()),
            Rule::Deduction { per, floor } => {
                format!(
                    "Trừ {} mỗi lần (tối thiểu {})",
                    per.to_vi_short(),
                    floor.to_vi_short()
                )
            }
            Rule::Survey => "Điều tra xã hội học".into(),
        }
    }

    /// The points a leaf with fixed levels may take (pass/fail, options, bands, and 0),
    /// ascending; empty where any multiple of the step is allowed.
    pub fn fixed_levels(&self, max: Points) -> Vec<Points> {
        let mut points: Vec<Points> = match self {
            Rule::Binary => vec![Points::ZERO, max],
            Rule::Options(o) => o.iter().map(|o| o.points).collect(),
            Rule::Thresholds(b) => std::iter::once(Points::ZERO)
                .chain(b.iter().map(|b| b.points))
                .collect(),
            _ => return Vec::new(),
        };
        points.sort();
        points.dedup();
        points
    }

    /// English description, for the interface's second language.
    pub fn describe_en(&self) -> String {
        match self {
            Rule::Manual { step } => format!("Scored by hand (step {})", step.to_plain()),
            Rule::Binary => "Pass / fail".into(),
            Rule::Options(o) => o
                .iter()
                .map(|o| format!("{}: {}", o.label, o.points.to_plain()))
                .collect::<Vec<_>>()
                .join("; "),
            Rule::Thresholds(b) => b
                .iter()
                .map(|b| format!("≥ {} → {}", b.min.to_plain(), b.points.to_plain()))
                .collect::<Vec<_>>()
                .join("; "),
            Rule::Proportional { of } => format!("Proportional (of {})", of.to_plain()),
            Rule::Deduction { per, floor } => format!(
                "Minus {} each time (at least {})",
                per.to_plain(),
                floor.to_plain()
            ),
            Rule::Survey => "Sociological survey".into(),
        }
    }

    /// Points from the rule's input (an option label, a rate, a count…).
    pub fn points_from_input(&self, max: Points, input: &str) -> Result<Points, String> {
        let input = input.trim();
        let number = || Decimal::parse(input).map_err(|e| format!("giá trị `{input}` {e}"));
        match self {
            Rule::Manual { .. } | Rule::Survey => {
                let p = Points::parse(input).map_err(|e| format!("giá trị `{input}` {e}"))?;
                self.check_points(max, p)?;
                Ok(p)
            }
            Rule::Binary => match fold(input).as_str() {
                "yes" | "1" | "dat" | "co" | "true" => Ok(max),
                "no" | "0" | "khong dat" | "khong" | "false" => Ok(Points::ZERO),
                _ => Err(format!(
                    "`{input}` không phải giá trị đạt/không đạt (yes/no, 1/0, đạt/không đạt)"
                )),
            },
            Rule::Options(options) => options
                .iter()
                .find(|o| o.label == input)
                .or_else(|| {
                    let f = fold(input);
                    options.iter().find(|o| fold(&o.label) == f)
                })
                .map(|o| o.points)
                .ok_or_else(|| {
                    let labels: Vec<&str> = options.iter().map(|o| o.label.as_str()).collect();
                    format!(
                        "lựa chọn `{input}` không có trong danh sách: {}",
                        labels.join(", ")
                    )
                }),
            Rule::Thresholds(bands) => {
                let x = number()?;
                Ok(bands
                    .iter()
                    .find(|b| x.cmp_points(b.min).is_ge())
                    .map_or(Points::ZERO, |b| b.points))
            }
            Rule::Proportional { of } => Ok(number()?.proportion_of(*of, max)),
            Rule::Deduction { per, floor } => {
                let x = number()?;
                let n = x
                    .as_count()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| format!("số lần `{input}` phải là số nguyên không âm"))?;
                let deducted = per.checked_mul(n).map_or(max, |d| max - d);
                Ok(if deducted < *floor { *floor } else { deducted })
            }
        }
    }

    /// Whether `p` is a value this rule can award.
    pub fn check_points(&self, max: Points, p: Points) -> Result<(), String> {
        if p.is_negative() || p > max {
            return Err(format!(
                "điểm {} nằm ngoài khoảng [0, {}]",
                p.to_plain(),
                max.to_plain()
            ));
        }
        let allowed: Vec<Points> = match self {
            Rule::Manual { step } => {
                if step.thousandths() > 0 && p.thousandths() % step.thousandths() != 0 {
                    return Err(format!(
                        "điểm {} không phải bội số của bước {}",
                        p.to_plain(),
                        step.to_plain()
                    ));
                }
                return Ok(());
            }
            Rule::Survey | Rule::Proportional { .. } | Rule::Deduction { .. } => return Ok(()),
            Rule::Binary => vec![Points::ZERO, max],
            Rule::Options(o) => o.iter().map(|o| o.points).collect(),
            Rule::Thresholds(b) => b.iter().map(|b| b.points).collect(),
        };
        if p == Points::ZERO || allowed.contains(&p) {
            Ok(())
        } else {
            let list: Vec<String> = allowed.iter().map(|a| a.to_plain()).collect();
            Err(format!(
                "điểm {} không thuộc các mức của tiêu chí ({})",
                p.to_plain(),
                list.join(", ")
            ))
        }
    }
}

/// What a node's points do to a unit's score (`kind`): counted in the maximum, added as a
/// bonus (điểm thưởng) outside it, or subtracted as a penalty (điểm trừ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum NodeKind {
    #[default]
    Regular,
    Bonus,
    Penalty,
}

impl NodeKind {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "regular" => NodeKind::Regular,
            "bonus" => NodeKind::Bonus,
            "penalty" => NodeKind::Penalty,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Regular => "regular",
            NodeKind::Bonus => "bonus",
            NodeKind::Penalty => "penalty",
        }
    }

    /// The Vietnamese name shown beside a bonus or penalty node.
    pub fn label_vi(self) -> &'static str {
        match self {
            NodeKind::Regular => "",
            NodeKind::Bonus => "Điểm thưởng",
            NodeKind::Penalty => "Điểm trừ",
        }
    }
}

/// What units are ranked by (`rank_by`): the score, or the index when units' maxima differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RankBy {
    #[default]
    Score,
    Index,
}

impl RankBy {
    pub fn as_str(self) -> &'static str {
        match self {
            RankBy::Score => "score",
            RankBy::Index => "index",
        }
    }
}

/// One node of the tree (lĩnh vực, tiêu chí or tiêu chí thành phần).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub code: Code,
    pub name: String,
    /// For a regular parent, the sum of its regular children: bonus and penalty parts sit
    /// outside every maximum.
    pub max: Points,
    /// Inherited from the nearest ancestor that states it; `Regular` when none does.
    pub kind: NodeKind,
    /// `Some` exactly for leaves.
    pub rule: Option<Rule>,
    /// The dossier figure the rule reads instead of an entered input (`rule.input`):
    /// the leaf scores itself from the unit's dossiers of the set's year.
    pub figure: Option<crate::dossiers::Figure>,
    /// The slug of the procedures' field the figure is restricted to
    /// (`dossiers.on_time_rate[field=dau-tu]`); `None` for every procedure of the unit.
    pub figure_field: Option<String>,
    /// Which dates the figure counts (`[period=report]`: the reporting year).
    pub figure_window: FigureWindow,
    /// The registry's indicator the rule reads (`input: indicator.website_posts`): the
    /// unit's value of the set's year, as the indicator aggregates it.
    pub indicator: Option<String>,
    pub evidence: Option<String>,
    pub owner: Option<String>,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub depth: usize,
    /// Line in the source file, for messages.
    pub line: usize,
}

impl Criterion {
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }

    /// The rule input as a set writes it: `dossiers.on_time_rate`, or
    /// `dossiers.on_time_rate[field=dau-tu]` when restricted to a field.
    pub fn figure_input(&self) -> Option<String> {
        if let Some(code) = &self.indicator {
            return Some(format!("indicator.{code}"));
        }
        let f = self.figure?;
        let mut filters = Vec::new();
        if let Some(field) = &self.figure_field {
            filters.push(format!("field={field}"));
        }
        if self.figure_window == FigureWindow::ReportingYear {
            filters.push("period=report".to_string());
        }
        Some(if filters.is_empty() {
            f.key().to_string()
        } else {
            format!("{}[{}]", f.key(), filters.join(", "))
        })
    }
}

/// The dates a dossier figure of a set's year counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FigureWindow {
    /// 01/01 to 31/12 of the set's year.
    #[default]
    CalendarYear,
    /// The year of the periodic reports (Nghị định 09/2019/NĐ-CP, Điều 12): 15/12 of the
    /// year before to 14/12 of the set's year.
    ReportingYear,
}

impl FigureWindow {
    /// The first and last day counted for a set of `year`.
    pub fn range(self, year: i32) -> (crate::text::Date, crate::text::Date) {
        use crate::text::Date;
        match self {
            FigureWindow::CalendarYear => (
                Date {
                    year,
                    month: 1,
                    day: 1,
                },
                Date {
                    year,
                    month: 12,
                    day: 31,
                },
            ),
            FigureWindow::ReportingYear => (
                Date {
                    year: year - 1,
                    month: 12,
                    day: 15,
                },
                Date {
                    year,
                    month: 12,
                    day: 14,
                },
            ),
        }
    }
}

/// A whole criteria set; nodes are kept in file (pre-)order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriteriaSet {
    pub id: String,
    pub name: String,
    pub year: i32,
    pub level: Level,
    pub legal_basis: Option<String>,
    pub precision: u8,
    /// Made-up data for demonstration: every page shows a banner.
    pub sample: bool,
    pub rank_by: RankBy,
    pub bands: Vec<Band>,
    pub nodes: Vec<Criterion>,
    index: HashMap<String, usize>,
}

impl CriteriaSet {
    pub fn node(&self, code: &str) -> Option<&Criterion> {
        self.index.get(code).map(|&i| &self.nodes[i])
    }

    pub fn position(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }

    pub fn roots(&self) -> impl Iterator<Item = (usize, &Criterion)> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.parent.is_none())
    }

    pub fn leaves(&self) -> impl Iterator<Item = (usize, &Criterion)> {
        self.nodes.iter().enumerate().filter(|(_, n)| n.is_leaf())
    }

    /// The sum of every regular leaf's maximum (bonus and penalty parts are outside it).
    pub fn total_max(&self) -> Points {
        self.roots()
            .filter(|(_, n)| n.kind == NodeKind::Regular)
            .map(|(_, n)| n.max)
            .sum()
    }

    /// Whether any node is a bonus or a penalty part.
    pub fn has_bonus_or_penalty(&self) -> bool {
        self.nodes.iter().any(|n| n.kind != NodeKind::Regular)
    }

    pub fn leaf_count(&self) -> usize {
        self.leaves().count()
    }

    /// The band of an index %, if the set has bands.
    pub fn band_for(&self, index: Points) -> Option<&str> {
        self.bands
            .iter()
            .find(|b| b.min <= index)
            .map(|b| b.label.as_str())
    }

    /// Canonical YAML of this set: what is stored, and what an XLSX import becomes.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "id: {}", q(&self.id));
        let _ = writeln!(out, "name: {}", q(&self.name));
        let _ = writeln!(out, "year: {}", self.year);
        let _ = writeln!(out, "level: {}", self.level.as_str());
        if let Some(l) = &self.legal_basis {
            let _ = writeln!(out, "legal_basis: {}", q(l));
        }
        let _ = writeln!(out, "precision: {}", self.precision);
        if self.sample {
            out.push_str("sample: true\n");
        }
        if self.rank_by != RankBy::Score {
            let _ = writeln!(out, "rank_by: {}", self.rank_by.as_str());
        }
        if !self.bands.is_empty() {
            out.push_str("bands:\n");
            for b in &self.bands {
                let _ = writeln!(out, "  - {{ label: {}, min: {} }}", q(&b.label), b.min);
            }
        }
        out.push_str("nodes:\n");
        for (i, _) in self.roots() {
            self.node_yaml(i, 1, &mut out);
        }
        out
    }

    fn node_yaml(&self, i: usize, indent: usize, out: &mut String) {
        let n = &self.nodes[i];
        let pad = "  ".repeat(indent);
        let _ = writeln!(out, "{pad}- code: {}", q(n.code.as_str()));
        let _ = writeln!(out, "{pad}  name: {}", q(&n.name));
        let _ = writeln!(out, "{pad}  max: {}", n.max);
        // Only where the kind starts: descendants inherit it.
        let inherited = n.parent.map_or(NodeKind::Regular, |p| self.nodes[p].kind);
        if n.kind != inherited {
            let _ = writeln!(out, "{pad}  kind: {}", n.kind.as_str());
        }
        if let Some(e) = &n.evidence {
            let _ = writeln!(out, "{pad}  evidence: {}", q(e));
        }
        if let Some(o) = &n.owner {
            let _ = writeln!(out, "{pad}  owner: {}", q(o));
        }
        if let Some(rule) = &n.rule {
            let body = match rule {
                Rule::Manual { step } => format!("kind: manual, step: {step}"),
                Rule::Binary => "kind: binary".into(),
                Rule::Survey => "kind: survey".into(),
                Rule::Proportional { of } => format!("kind: proportional, of: {of}"),
                Rule::Deduction { per, floor } => {
                    format!("kind: deduction, per: {per}, floor: {floor}")
                }
                Rule::Options(o) => format!(
                    "kind: options, options: [{}]",
                    o.iter()
                        .map(|o| format!("{{ label: {}, points: {} }}", q(&o.label), o.points))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Rule::Thresholds(b) => format!(
                    "kind: thresholds, bands: [{}]",
                    b.iter()
                        .map(|b| format!("{{ min: {}, points: {} }}", b.min, b.points))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            // A filter's brackets would read as a YAML list: quoted then.
            let input = n
                .figure_input()
                .map(|f| {
                    if f.contains('[') {
                        format!(", input: \"{f}\"")
                    } else {
                        format!(", input: {f}")
                    }
                })
                .unwrap_or_default();
            let _ = writeln!(out, "{pad}  rule: {{ {body}{input} }}");
        }
        if !n.children.is_empty() {
            let _ = writeln!(out, "{pad}  children:");
            for &c in &n.children {
                self.node_yaml(c, indent + 2, out);
            }
        }
    }
}

fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Collects problems while reading one file.
struct Reader<'a> {
    file: &'a str,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn err(&mut self, pos: Pos, msg: impl Into<String>) {
        self.problems
            .push(Problem::new(self.file, pos.line, Some(pos.col), msg));
    }

    fn string(&mut self, node: &yaml::Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Scalar(s, _) if !s.trim().is_empty() => Some(crate::text::nfc(s.trim())),
            _ => {
                self.err(node.pos, format!("`{what}` phải là một chuỗi không rỗng"));
                None
            }
        }
    }

    /// A non-negative exact value with at most 3 decimals.
    fn points(&mut self, node: &yaml::Node, what: &str) -> Option<Points> {
        let Some(s) = node.as_scalar() else {
            self.err(node.pos, format!("`{what}` phải là một số"));
            return None;
        };
        match Points::parse(s) {
            Ok(p) if p.is_negative() => {
                self.err(node.pos, format!("`{what}` không được âm ({s})"));
                None
            }
            Ok(p) => Some(p),
            Err(DecimalError::TooManyDecimals(_)) => {
                self.err(
                    node.pos,
                    format!("`{what}` = {s} có quá 3 chữ số thập phân"),
                );
                None
            }
            Err(e) => {
                self.err(node.pos, format!("`{what}` = `{s}` {e}"));
                None
            }
        }
    }

    fn unknown_keys(&mut self, node: &yaml::Node, known: &[&str], what: &str) {
        if let Value::Map(entries) = &node.value {
            for (k, p, _) in entries {
                if !known.contains(&k.as_str()) {
                    self.err(
                        *p,
                        format!(
                            "khóa `{k}` không được biết trong {what} (các khóa hợp lệ: {})",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
    }

    fn seq<'n>(&mut self, node: &'n yaml::Node, what: &str) -> &'n [yaml::Node] {
        match &node.value {
            Value::Seq(items) => items,
            _ => {
                self.err(node.pos, format!("`{what}` phải là một danh sách"));
                &[]
            }
        }
    }
}

const TOP_KEYS: &[&str] = &[
    "id",
    "name",
    "year",
    "level",
    "legal_basis",
    "precision",
    "sample",
    "rank_by",
    "bands",
    "nodes",
];
const NODE_KEYS: &[&str] = &[
    "code", "name", "max", "kind", "rule", "children", "evidence", "owner",
];

/// Reads and validates a criteria-set YAML file. `file` names it in messages.
pub fn parse_criteria_yaml(file: &str, text: &str) -> Result<CriteriaSet, Problems> {
    let text = crate::text::input_text(text);
    let text: &str = &text;
    let root = yaml::parse(text).map_err(|e| {
        Problems(vec![Problem::new(
            file,
            e.pos.line,
            Some(e.pos.col),
            e.message,
        )])
    })?;
    criteria_from_tree(file, &root)
}

/// Reads a set from a positioned tree (from YAML, or built from a spreadsheet whose
/// positions are its rows and columns).
pub fn criteria_from_tree(file: &str, root: &yaml::Node) -> Result<CriteriaSet, Problems> {
    let mut r = Reader {
        file,
        problems: Vec::new(),
    };
    if !matches!(root.value, Value::Map(_)) {
        r.err(
            root.pos,
            "tệp bộ chỉ số phải là một bảng khóa: giá trị (id, name, year, …)",
        );
        return Err(Problems(r.problems));
    }
    r.unknown_keys(root, TOP_KEYS, "bộ chỉ số");
    let top = |k: &str| root.get(k).map(|(_, n)| n);
    let required = |r: &mut Reader<'_>, k: &str| {
        let n = top(k);
        if n.is_none() {
            r.err(root.pos, format!("thiếu khóa bắt buộc `{k}`"));
        }
        n
    };

    let id = required(&mut r, "id").and_then(|n| r.string(n, "id"));
    if let Some((p, n)) = root.get("id")
        && let Some(s) = n.as_scalar()
        && !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        r.err(
            *p,
            format!("`id` = `{s}` chỉ được gồm chữ thường a-z, số và dấu -"),
        );
    }
    let name = required(&mut r, "name").and_then(|n| r.string(n, "name"));
    let year = required(&mut r, "year").and_then(|n| {
        let y = n.as_scalar().and_then(|s| s.parse::<i32>().ok());
        if y.is_none_or(|y| !(1990..=2100).contains(&y)) {
            r.err(n.pos, "`year` phải là một năm (ví dụ 2020)");
            return None;
        }
        y
    });
    let level = required(&mut r, "level").and_then(|n| {
        let l = n.as_scalar().and_then(Level::parse);
        if l.is_none() {
            r.err(
                n.pos,
                "`level` phải là một trong: so, huyen, xa, central, custom",
            );
        }
        l
    });
    let legal_basis = top("legal_basis").and_then(|n| r.string(n, "legal_basis"));
    let precision = match top("precision") {
        None => Some(3),
        Some(n) => {
            let p = n
                .as_scalar()
                .and_then(|s| s.parse::<u8>().ok())
                .filter(|p| *p <= 3);
            if p.is_none() {
                r.err(n.pos, "`precision` phải là số nguyên từ 0 đến 3");
            }
            p
        }
    };
    let sample = match top("sample").map(|n| n.as_scalar().map(str::trim)) {
        None | Some(Some("false" | "no")) => false,
        Some(Some("true" | "yes")) => true,
        Some(_) => {
            if let Some((p, _)) = root.get("sample") {
                r.err(*p, "`sample` phải là true hoặc false");
            }
            false
        }
    };
    let rank_by = match top("rank_by")
        .map(|n| (n.pos, n.as_scalar().map(|s| s.trim().to_ascii_lowercase())))
    {
        None => RankBy::Score,
        Some((_, Some(v))) if v == "score" => RankBy::Score,
        Some((_, Some(v))) if v == "index" => RankBy::Index,
        Some((pos, _)) => {
            r.err(pos, "`rank_by` phải là score hoặc index");
            RankBy::Score
        }
    };
    let mut bands = Vec::new();
    if let Some(bn) = top("bands") {
        for b in r.seq(bn, "bands") {
            r.unknown_keys(b, &["label", "min"], "một mức xếp loại");
            let label = b.get("label").and_then(|(_, n)| r.string(n, "label"));
            let min = b.get("min").and_then(|(_, n)| r.points(n, "min"));
            if label.is_none() && b.get("label").is_none() {
                r.err(b.pos, "mức xếp loại thiếu `label`");
            }
            if min.is_none() && b.get("min").is_none() {
                r.err(b.pos, "mức xếp loại thiếu `min`");
            }
            if let (Some(label), Some(min)) = (label, min) {
                if let Some(prev) = bands.last().map(|x: &Band| x.min)
                    && min >= prev
                {
                    r.err(b.pos, "các mức xếp loại phải theo thứ tự `min` giảm dần");
                }
                bands.push(Band { label, min });
            }
        }
    }

    let mut nodes: Vec<Criterion> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    if let Some(n) = required(&mut r, "nodes") {
        let items = r.seq(n, "nodes");
        if items.is_empty() && matches!(n.value, Value::Seq(_)) {
            r.err(n.pos, "bộ chỉ số không có tiêu chí nào");
        }
        for item in items {
            read_node(&mut r, item, None, 1, &mut nodes, &mut seen);
        }
        if !nodes.is_empty()
            && !nodes
                .iter()
                .any(|n| n.is_leaf() && n.kind == NodeKind::Regular)
        {
            r.err(
                n.pos,
                "bộ chỉ số chỉ có điểm thưởng, điểm trừ: cần ít nhất một tiêu chí lá tính vào điểm tối đa",
            );
        }
    }

    if !r.problems.is_empty() {
        r.problems.sort_by_key(|p| (p.line, p.column));
        return Err(Problems(r.problems));
    }
    let (Some(id), Some(name), Some(year), Some(level), Some(precision)) =
        (id, name, year, level, precision)
    else {
        return Err(Problems(r.problems));
    };
    let index = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.code.as_str().to_string(), i))
        .collect();
    Ok(CriteriaSet {
        id,
        name,
        year,
        level,
        legal_basis,
        precision,
        sample,
        rank_by,
        bands,
        nodes,
        index,
    })
}

fn read_node(
    r: &mut Reader<'_>,
    item: &yaml::Node,
    parent: Option<usize>,
    depth: usize,
    nodes: &mut Vec<Criterion>,
    seen: &mut HashMap<String, usize>,
) -> Option<Points> {
    if !matches!(item.value, Value::Map(_)) {
        r.err(
            item.pos,
            "mỗi tiêu chí phải là một bảng khóa (code, name, max, …)",
        );
        return None;
    }
    r.unknown_keys(item, NODE_KEYS, "tiêu chí");
    let code = match item.get("code") {
        None => {
            r.err(item.pos, "tiêu chí thiếu `code`");
            None
        }
        Some((p, n)) => {
            let raw = n.as_scalar().unwrap_or_default();
            match Code::parse(raw) {
                None => {
                    r.err(
                        *p,
                        format!("mã `{raw}` không hợp lệ (dạng I.8.4: các đoạn cách nhau bởi dấu chấm, đoạn đầu là số La Mã hoặc số)"),
                    );
                    None
                }
                Some(c) => {
                    if let Some(line) = seen.get(c.as_str()) {
                        r.err(*p, format!("mã `{c}` bị trùng (đã có ở dòng {line})"));
                        None
                    } else {
                        seen.insert(c.as_str().to_string(), p.line);
                        Some(c)
                    }
                }
            }
        }
    };
    let label = code
        .as_ref()
        .map_or_else(|| "?".to_string(), ToString::to_string);
    let name = match item.get("name") {
        None => {
            r.err(item.pos, format!("tiêu chí {label} thiếu `name`"));
            None
        }
        Some((_, n)) => r.string(n, "name"),
    };
    let max = item.get("max").and_then(|(_, n)| r.points(n, "max"));
    let evidence = item
        .get("evidence")
        .and_then(|(_, n)| r.string(n, "evidence"));
    let owner = item.get("owner").and_then(|(_, n)| r.string(n, "owner"));
    let inherited = parent.map_or(NodeKind::Regular, |p| nodes[p].kind);
    let kind = match item.get("kind") {
        None => inherited,
        Some((p, n)) => match n
            .as_scalar()
            .map(|s| s.trim().to_ascii_lowercase())
            .as_deref()
            .and_then(NodeKind::parse)
        {
            None => {
                r.err(
                    *p,
                    format!("`kind` của {label} phải là regular, bonus hoặc penalty"),
                );
                inherited
            }
            Some(k) if inherited != NodeKind::Regular && k != inherited => {
                r.err(
                    *p,
                    format!(
                        "{label} nằm trong phần {} nên không thể là `{}`",
                        inherited.label_vi().to_lowercase(),
                        k.as_str()
                    ),
                );
                inherited
            }
            Some(k) => k,
        },
    };
    let children_node = item.get("children").map(|(_, n)| n);
    let child_items: &[yaml::Node] = match children_node {
        Some(n) if n.is_null() => &[],
        Some(n) => r.seq(n, "children"),
        None => &[],
    };
    let is_leaf = child_items.is_empty();

    let me = nodes.len();
    nodes.push(Criterion {
        code: code.unwrap_or_else(Code::invalid),
        name: name.unwrap_or_default(),
        max: max.unwrap_or_default(),
        kind,
        rule: None,
        figure: None,
        figure_field: None,
        figure_window: FigureWindow::CalendarYear,
        indicator: None,
        evidence,
        owner,
        parent,
        children: Vec::new(),
        depth,
        line: item.pos.line,
    });

    if is_leaf {
        if item.get("max").is_none() {
            r.err(
                item.pos,
                format!("tiêu chí {label} là tiêu chí lá nên phải có `max`"),
            );
        }
        match item.get("rule") {
            None => r.err(item.pos, format!("tiêu chí lá {label} thiếu `rule`")),
            Some((_, rn)) => {
                if let Some(max) = max {
                    nodes[me].rule = read_rule(r, rn, max, &label);
                }
                let names_indicator = rn
                    .get("input")
                    .and_then(|(_, n)| n.as_scalar())
                    .is_some_and(|s| s.trim().starts_with("indicator."));
                if names_indicator {
                    nodes[me].indicator = read_indicator(r, rn, &label);
                } else if let Some((figure, field, window)) =
                    read_figure(r, rn, nodes[me].rule.as_ref(), &label)
                {
                    nodes[me].figure = Some(figure);
                    nodes[me].figure_field = field;
                    nodes[me].figure_window = window;
                }
            }
        }
        max
    } else {
        if let Some((p, _)) = item.get("rule") {
            r.err(
                *p,
                format!("tiêu chí {label} có tiêu chí con nên không được có `rule`"),
            );
        }
        let mut sum = Points::ZERO;
        let mut complete = true;
        for c in child_items {
            let idx = nodes.len();
            match read_node(r, c, Some(me), depth + 1, nodes, seen) {
                // A bonus or penalty part inside a regular node is outside its maximum.
                Some(p) if nodes[idx].kind == kind => sum = sum + p,
                Some(_) => {}
                None => complete = false,
            }
            nodes[me].children.push(idx);
        }
        if let Some((p, _)) = item.get("max")
            && let Some(m) = max
            && complete
            && m != sum
        {
            r.err(
                *p,
                format!(
                    "điểm tối đa của {label} là {} nhưng tổng điểm các tiêu chí con là {}",
                    m.to_plain(),
                    sum.to_plain()
                ),
            );
        }
        nodes[me].max = sum;
        complete.then_some(sum)
    }
}

/// `rule.input: indicator.CODE`: a value of the indicators registry (`None` for any other
/// input, which `read_figure` reads).
fn read_indicator(r: &mut Reader<'_>, rn: &yaml::Node, label: &str) -> Option<String> {
    let (p, n) = rn.get("input")?;
    let raw = n.as_scalar().unwrap_or_default().trim();
    let code = raw.strip_prefix("indicator.")?;
    if code.is_empty()
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        r.err(
            *p,
            format!(
                "`input` của {label} là `{raw}`: mã chỉ số chỉ gồm chữ thường a-z, số và dấu _"
            ),
        );
        return None;
    }
    Some(code.to_string())
}

/// `rule.input`: a dossier figure, optionally of one field's procedures and of the
/// reporting year (`dossiers.on_time_rate[field=dau-tu, period=report]`); counts only for
/// `deduction`, rates for the others.
fn read_figure(
    r: &mut Reader<'_>,
    rn: &yaml::Node,
    rule: Option<&Rule>,
    label: &str,
) -> Option<(crate::dossiers::Figure, Option<String>, FigureWindow)> {
    use crate::dossiers::Figure;
    let (p, n) = rn.get("input")?;
    let raw = n.as_scalar().unwrap_or_default();
    let (base, field, window) = match raw.trim().split_once('[') {
        None => (raw, None, FigureWindow::CalendarYear),
        Some((base, rest)) => {
            let bad = |r: &mut Reader<'_>| {
                r.err(
                    *p,
                    format!(
                        "`input` của {label} là `{raw}`: bộ lọc phải có dạng `[field=dau-tu]` (lĩnh vực của thủ tục), `[period=report]` (năm báo cáo 15/12–14/12) hoặc cả hai, cách nhau bởi dấu phẩy"
                    ),
                );
            };
            let Some(inner) = rest.trim_end().strip_suffix(']') else {
                bad(r);
                return None;
            };
            let (mut field, mut window) = (None, FigureWindow::CalendarYear);
            for part in inner.split(',') {
                let Some((k, v)) = part.split_once('=') else {
                    bad(r);
                    return None;
                };
                match (k.trim(), crate::text::slug(v.trim()).as_str()) {
                    ("field", v) if !v.is_empty() && field.is_none() => field = Some(v.to_string()),
                    ("period", "report" | "bao-cao" | "ky-bao-cao") => {
                        window = FigureWindow::ReportingYear;
                    }
                    ("period", "year" | "nam") => window = FigureWindow::CalendarYear,
                    _ => {
                        bad(r);
                        return None;
                    }
                }
            }
            (base, field, window)
        }
    };
    let Some(f) = Figure::parse(base) else {
        let known: Vec<&str> = Figure::ALL.iter().map(|f| f.key()).collect();
        r.err(
            *p,
            format!(
                "`input` của {label} là `{raw}`, không phải số liệu đã biết ({})",
                known.join(", ")
            ),
        );
        return None;
    };
    if matches!(rule, Some(Rule::Deduction { .. })) && !f.is_count() {
        r.err(
            *p,
            format!(
                "quy tắc deduction của {label} cần một số lần (dossiers.late, …), không phải tỷ lệ `{raw}`"
            ),
        );
        return None;
    }
    Some((f, field, window))
}

fn read_rule(r: &mut Reader<'_>, rn: &yaml::Node, max: Points, label: &str) -> Option<Rule> {
    if !matches!(rn.value, Value::Map(_)) {
        r.err(rn.pos, "`rule` phải là một bảng khóa có `kind`");
        return None;
    }
    let Some((kp, kn)) = rn.get("kind") else {
        r.err(rn.pos, format!("`rule` của {label} thiếu `kind`"));
        return None;
    };
    let kind = kn.as_scalar().unwrap_or_default();
    let known: &[&str] = match kind {
        "manual" => &["kind", "step"],
        "binary" | "survey" => &["kind"],
        "options" => &["kind", "options"],
        "thresholds" => &["kind", "bands", "input"],
        "proportional" => &["kind", "of", "input"],
        "deduction" => &["kind", "per", "floor", "input"],
        _ => {
            r.err(
                *kp,
                format!("loại quy tắc `{kind}` không được biết (manual, binary, options, thresholds, proportional, deduction, survey)"),
            );
            return None;
        }
    };
    r.unknown_keys(rn, known, &format!("quy tắc {kind}"));
    let not_above_max = |r: &mut Reader<'_>, pos: Pos, p: Points, what: &str| {
        if p > max {
            r.err(
                pos,
                format!(
                    "{what} {} vượt điểm tối đa {} của {label}",
                    p.to_plain(),
                    max.to_plain()
                ),
            );
        }
    };
    let rule = match kind {
        "manual" => {
            let step = match rn.get("step") {
                Some((_, n)) => r.points(n, "step")?,
                None => Points::from_thousandths(1),
            };
            if step == Points::ZERO {
                r.err(rn.pos, "`step` phải lớn hơn 0");
            }
            Rule::Manual { step }
        }
        "binary" => Rule::Binary,
        "survey" => Rule::Survey,
        "options" => {
            let Some((_, on)) = rn.get("options") else {
                r.err(
                    rn.pos,
                    format!("quy tắc options của {label} thiếu `options`"),
                );
                return None;
            };
            let mut out: Vec<OptionPoints> = Vec::new();
            for o in r.seq(on, "options") {
                r.unknown_keys(o, &["label", "points"], "một lựa chọn");
                let l = o.get("label").and_then(|(_, n)| r.string(n, "label"));
                let p = o.get("points").and_then(|(_, n)| r.points(n, "points"));
                if o.get("label").is_none() || o.get("points").is_none() {
                    r.err(o.pos, "mỗi lựa chọn cần `label` và `points`");
                }
                if let (Some(l), Some(p)) = (l, p) {
                    not_above_max(r, o.pos, p, "điểm của lựa chọn");
                    if out.iter().any(|x| fold(&x.label) == fold(&l)) {
                        r.err(o.pos, format!("lựa chọn `{l}` bị trùng"));
                    }
                    out.push(OptionPoints {
                        label: l,
                        points: p,
                    });
                }
            }
            if out.is_empty() {
                r.err(on.pos, "cần ít nhất một lựa chọn");
            }
            Rule::Options(out)
        }
        "thresholds" => {
            let Some((_, bn)) = rn.get("bands") else {
                r.err(
                    rn.pos,
                    format!("quy tắc thresholds của {label} thiếu `bands`"),
                );
                return None;
            };
            let mut out: Vec<ThresholdBand> = Vec::new();
            for b in r.seq(bn, "bands") {
                r.unknown_keys(b, &["min", "points"], "một ngưỡng");
                let m = b.get("min").and_then(|(_, n)| r.points(n, "min"));
                let p = b.get("points").and_then(|(_, n)| r.points(n, "points"));
                if b.get("min").is_none() || b.get("points").is_none() {
                    r.err(b.pos, "mỗi ngưỡng cần `min` và `points`");
                }
                if let (Some(m), Some(p)) = (m, p) {
                    not_above_max(r, b.pos, p, "điểm của ngưỡng");
                    if out.last().is_some_and(|x| x.min <= m) {
                        r.err(b.pos, "các ngưỡng phải theo thứ tự `min` giảm dần");
                    }
                    out.push(ThresholdBand { min: m, points: p });
                }
            }
            if out.is_empty() {
                r.err(bn.pos, "cần ít nhất một ngưỡng");
            }
            Rule::Thresholds(out)
        }
        "proportional" => {
            let of = match rn.get("of") {
                Some((_, n)) => r.points(n, "of")?,
                None => Points::from_whole(100),
            };
            if of == Points::ZERO {
                r.err(rn.pos, "`of` phải lớn hơn 0");
            }
            Rule::Proportional { of }
        }
        "deduction" => {
            let Some((_, pn)) = rn.get("per") else {
                r.err(rn.pos, format!("quy tắc deduction của {label} thiếu `per`"));
                return None;
            };
            let per = r.points(pn, "per")?;
            let floor = match rn.get("floor") {
                Some((_, n)) => r.points(n, "floor")?,
                None => Points::ZERO,
            };
            not_above_max(r, rn.pos, floor, "`floor`");
            Rule::Deduction { per, floor }
        }
        _ => return None,
    };
    Some(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const EXAMPLE: &str = include_str!("../tests/data/example-so-2020.yaml");

    #[test]
    fn reads_the_spec_example() {
        let set = parse_criteria_yaml("example.yaml", EXAMPLE);
        let set = match set {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(set.id, "example-so-2020");
        assert_eq!(set.total_max().to_fixed(3), "15.500");
        assert_eq!(set.leaf_count(), 5);
        assert_eq!(set.node("I").map(|n| n.max.to_plain()), Some("5.5".into()));
        assert_eq!(set.band_for(Points::from_whole(80)), Some("Khá"));
        // The canonical YAML reads back to the same set.
        let again = parse_criteria_yaml("again.yaml", &set.to_yaml());
        assert_eq!(again.ok().map(|a| a.to_yaml()), Some(set.to_yaml()));
    }

    fn problems(text: &str) -> Vec<String> {
        match parse_criteria_yaml("bad.yaml", text) {
            Ok(_) => vec![],
            Err(p) => p.0.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn rejects_max_mismatch_with_line() {
        let text = EXAMPLE.replace("max: 3.5", "max: 4");
        let p = problems(&text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("bad.yaml:18:9:"), "{p:?}");
        assert!(p[0].contains("tổng điểm các tiêu chí con là 3.5"), "{p:?}");
    }

    #[test]
    fn rejects_duplicates_decimals_unknown_rules() {
        let text = EXAMPLE
            .replace("code: \"I.1.3\"", "code: \"I.1.2\"")
            .replace("max: 0.5", "max: 0.5001")
            .replace("kind: survey", "kind: magic");
        let p = problems(&text);
        assert!(p.iter().any(|m| m.contains("mã `I.1.2` bị trùng")), "{p:?}");
        assert!(
            p.iter().any(|m| m.contains("quá 3 chữ số thập phân")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|m| m.contains("`magic` không được biết")),
            "{p:?}"
        );
        assert!(p.iter().all(|m| m.starts_with("bad.yaml:")), "{p:?}");
    }
}
