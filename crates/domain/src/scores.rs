//! Scores CSV (`criteria-set.md` § Scores): one row per unit and leaf, three layers.

use std::collections::HashMap;

use crate::criteria::CriteriaSet;
use crate::points::{DecimalError, Points};
use crate::problem::{Problem, Problems};
use crate::text::nfc;

/// The layers of one leaf for one unit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeafScore {
    pub self_points: Option<Points>,
    pub appraised: Option<Points>,
    pub final_points: Option<Points>,
    pub input: Option<String>,
    /// The unit's or the appraiser's remark on this leaf.
    pub note: Option<String>,
    /// `final`, else `appraised`, else `self`, else computed from `input`, else 0; always
    /// 0 for a leaf that does not apply to the unit.
    pub effective: Points,
    /// `Some(reason)` when the leaf does not apply to the unit (không áp dụng): its maximum
    /// leaves the unit's, it has no points and loses none. The layers stay stored.
    pub not_applicable: Option<String>,
}

/// Whether a score row's input marks the leaf not applicable (`na`, `không áp dụng`).
pub fn is_not_applicable_input(input: &str) -> bool {
    matches!(
        crate::text::fold(input.trim()).as_str(),
        "na" | "n/a" | "khong ap dung"
    )
}

impl LeafScore {
    /// Builds a leaf's layers, checking each against the rule; computes `effective`.
    pub fn new(
        set: &CriteriaSet,
        leaf: usize,
        layers: [Option<Points>; 3],
        input: Option<String>,
    ) -> Result<Self, String> {
        let node = &set.nodes[leaf];
        let Some(rule) = node.rule.as_ref() else {
            return Err(format!("{} không phải tiêu chí lá", node.code));
        };
        if input.as_deref().is_some_and(is_not_applicable_input) {
            if layers.iter().any(Option::is_some) {
                return Err(format!(
                    "{} được ghi không áp dụng nên không được có điểm ở cột self, appraised, final",
                    node.code
                ));
            }
            return Ok(LeafScore {
                not_applicable: Some(String::new()),
                ..LeafScore::default()
            });
        }
        let names = ["self", "appraised", "final"];
        for (p, name) in layers.iter().zip(names) {
            if let Some(p) = p {
                rule.check_points(node.max, *p)
                    .map_err(|m| format!("{name} của {}: {m}", node.code))?;
            }
        }
        let from_input = match &input {
            Some(i) => Some(
                rule.points_from_input(node.max, i)
                    .map_err(|m| format!("input của {}: {m}", node.code))?,
            ),
            None => None,
        };
        let [s, a, f] = layers;
        let effective = f.or(a).or(s).or(from_input).unwrap_or_default();
        Ok(LeafScore {
            self_points: s,
            appraised: a,
            final_points: f,
            input,
            note: None,
            effective,
            not_applicable: None,
        })
    }
}

/// One unit's scores against a set; `leaves` is indexed by node position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitScores {
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    pub leaves: HashMap<usize, LeafScore>,
    /// First line of this unit in its file (0 when not read from a file).
    pub line: usize,
}

const HEADER: [&str; 9] = [
    "unit_code",
    "unit_name",
    "group",
    "criterion",
    "self",
    "appraised",
    "final",
    "input",
    "note",
];

fn layer(text: &str, name: &str) -> Result<Option<Points>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match Points::parse(t) {
        Ok(p) => Ok(Some(p)),
        Err(DecimalError::TooManyDecimals(_)) => {
            Err(format!("cột {name} = {t} có quá 3 chữ số thập phân"))
        }
        Err(e) => Err(format!("cột {name} = `{t}` {e}")),
    }
}

/// Reads a scores CSV and checks every row against the set. Units keep file order.
pub fn parse_scores_csv(
    file: &str,
    text: &str,
    set: &CriteriaSet,
) -> Result<Vec<UnitScores>, Problems> {
    let text = crate::text::input_text(text);
    let text: &str = &text;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut problems = Vec::new();
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(str::to_ascii_lowercase).collect(),
        Err(e) => {
            return Err(Problems(vec![Problem::new(
                file,
                1,
                None,
                format!("không đọc được dòng tiêu đề: {e}"),
            )]));
        }
    };
    let mut col = HashMap::new();
    for name in HEADER {
        match header.iter().position(|h| h == name) {
            Some(i) => {
                col.insert(name, i);
            }
            None if matches!(name, "unit_code" | "criterion") => problems.push(Problem::new(
                file,
                1,
                None,
                format!("thiếu cột `{name}` (tiêu đề cần có: {})", HEADER.join(",")),
            )),
            None => {}
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let mut units: Vec<UnitScores> = Vec::new();
    let mut unit_pos: HashMap<String, usize> = HashMap::new();
    let mut seen: HashMap<(String, usize), usize> = HashMap::new();
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
        let line = crate::problem::csv_record_line(text, rec.position(), 0);
        let get = |name: &str| col.get(name).and_then(|&i| rec.get(i)).unwrap_or("");
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let mut err = |m: String| problems.push(Problem::new(file, line, None, m));
        let unit_code = get("unit_code").to_string();
        if unit_code.is_empty() {
            err("thiếu mã đơn vị (unit_code)".into());
            continue;
        }
        let code = get("criterion");
        let Some(leaf) = set.position(code) else {
            err(format!(
                "tiêu chí `{code}` không có trong bộ chỉ số {}",
                set.id
            ));
            continue;
        };
        if !set.nodes[leaf].is_leaf() {
            err(format!(
                "tiêu chí `{code}` có tiêu chí con: chỉ chấm điểm ở tiêu chí lá"
            ));
            continue;
        }
        let mut layers = [None; 3];
        let mut bad = false;
        for (i, name) in ["self", "appraised", "final"].iter().enumerate() {
            match layer(get(name), name) {
                Ok(p) => layers[i] = p,
                Err(m) => {
                    err(m);
                    bad = true;
                }
            }
        }
        if bad {
            continue;
        }
        let input = Some(get("input").to_string())
            .filter(|s| !s.is_empty())
            .map(|s| nfc(&s));
        let score = match LeafScore::new(set, leaf, layers, input) {
            Ok(s) => {
                let note = Some(nfc(get("note"))).filter(|n| !n.is_empty());
                LeafScore {
                    // A not-applicable row's note is its reason.
                    not_applicable: s
                        .not_applicable
                        .as_ref()
                        .map(|_| note.clone().unwrap_or_default()),
                    note,
                    ..s
                }
            }
            Err(m) => {
                err(m);
                continue;
            }
        };
        if let Some(first) = seen.insert((unit_code.clone(), leaf), line) {
            err(format!(
                "đơn vị {unit_code}, tiêu chí {code} bị lặp (đã có ở dòng {first})"
            ));
            continue;
        }
        let idx = *unit_pos.entry(unit_code.clone()).or_insert_with(|| {
            units.push(UnitScores {
                unit_code: unit_code.clone(),
                unit_name: nfc(get("unit_name")),
                group: get("group").to_string(),
                leaves: HashMap::new(),
                line,
            });
            units.len() - 1
        });
        let u = &mut units[idx];
        if u.unit_name.is_empty() {
            u.unit_name = nfc(get("unit_name"));
        }
        if u.group.is_empty() {
            u.group = get("group").to_string();
        }
        u.leaves.insert(leaf, score);
    }
    if problems.is_empty() {
        Ok(units)
    } else {
        Err(Problems(problems))
    }
}
