//! Last year's criteria matched to this year's (`parindex criteria map FROM TO`): codes and
//! points change between years, so comparisons and a prefilled self-assessment go through
//! a mapping — proposed by code and by name, edited and stored.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::criteria::CriteriaSet;
use crate::problem::Problems;
use crate::text::fold;

/// How a criterion of this year was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// The same code, with a similar name.
    Code,
    /// A similar name under another code.
    Name,
    /// Chosen by a person (a criterion of last year, or none: new this year).
    Manual,
    /// New this year: nothing matches.
    Unmatched,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Code => "code",
            How::Name => "name",
            How::Manual => "manual",
            How::Unmatched => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "code" => How::Code,
            "name" => How::Name,
            "manual" => How::Manual,
            "none" => How::Unmatched,
            _ => return None,
        })
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            How::Code => "cùng mã",
            How::Name => "tên tương tự",
            How::Manual => "chọn tay",
            How::Unmatched => "mới",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            How::Code => "same code",
            How::Name => "similar name",
            How::Manual => "chosen by hand",
            How::Unmatched => "new",
        }
    }
}

/// This year's criterion `to` and last year's `from`, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub to: String,
    pub from: Option<String>,
    pub how: How,
    /// Name similarity, 0–100 (100 for a manual choice).
    pub similarity: u8,
}

/// A same-code match needs at least this name similarity; a match by name alone more.
pub const SAME_CODE_MIN: u8 = 40;
pub const BY_NAME_MIN: u8 = 60;

/// The syllables of a name and its pairs of adjacent syllables, diacritics and case aside:
/// most Vietnamese words are two syllables, and single syllables alone collide too often
/// (`hồ sơ` and `số hóa` share `so`).
fn terms(s: &str) -> HashSet<String> {
    let folded = fold(s);
    let syllables: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let pairs = syllables.windows(2).map(|w| format!("{} {}", w[0], w[1]));
    syllables
        .iter()
        .map(|w| (*w).to_string())
        .chain(pairs)
        .collect()
}

/// How alike two names are: the Dice coefficient of their syllables and syllable pairs,
/// 0–100.
pub fn similarity(a: &str, b: &str) -> u8 {
    let (a, b) = (terms(a), terms(b));
    if a.is_empty() && b.is_empty() {
        return 100;
    }
    let common = a.intersection(&b).count();
    let pct = common * 200 / (a.len() + b.len()).max(1);
    u8::try_from(pct.min(100)).unwrap_or(100)
}

/// Proposes last year's criterion for every criterion of this year, in this year's order:
/// first the same code with a similar name, then the most similar name among what is left
/// (a leaf with a leaf, a group with a group); each of last year's criteria is used once.
pub fn propose(from: &CriteriaSet, to: &CriteriaSet) -> Vec<Match> {
    in_force(from, to, &[])
}

/// The mapping in force: the stored rows (a person's choices, or a proposal once saved)
/// where there are some, and for the rest a proposal among last year's criteria that no
/// stored row claims — so that no earlier criterion is proposed twice.
pub fn in_force(from: &CriteriaSet, to: &CriteriaSet, stored: &[Match]) -> Vec<Match> {
    let by_code: HashMap<&str, &Match> = stored
        .iter()
        .filter(|m| m.from.as_deref().is_none_or(|f| from.position(f).is_some()))
        .map(|m| (m.to.as_str(), m))
        .collect();
    let mut out: Vec<Match> = to
        .nodes
        .iter()
        .map(|n| {
            by_code.get(n.code.as_str()).map_or_else(
                || Match {
                    to: n.code.to_string(),
                    from: None,
                    how: How::Unmatched,
                    similarity: 0,
                },
                |m| (*m).clone(),
            )
        })
        .collect();
    let fixed: HashSet<usize> = (0..out.len())
        .filter(|&i| by_code.contains_key(out[i].to.as_str()))
        .collect();
    let mut taken: HashSet<usize> = by_code
        .values()
        .filter_map(|m| from.position(m.from.as_deref()?))
        .collect();
    for (i, n) in to.nodes.iter().enumerate() {
        if fixed.contains(&i) {
            continue;
        }
        if let Some(j) = from.position(n.code.as_str())
            && from.nodes[j].is_leaf() == n.is_leaf()
        {
            let s = similarity(&n.name, &from.nodes[j].name);
            if s >= SAME_CODE_MIN && !taken.contains(&j) {
                out[i] = Match {
                    to: n.code.to_string(),
                    from: Some(from.nodes[j].code.to_string()),
                    how: How::Code,
                    similarity: s,
                };
                taken.insert(j);
            }
        }
    }
    // Every remaining pair above the bar, best first (ties in file order).
    let mut pairs: Vec<(u8, usize, usize)> = Vec::new();
    for (i, n) in to.nodes.iter().enumerate() {
        if out[i].from.is_some() || fixed.contains(&i) {
            continue;
        }
        for (j, m) in from.nodes.iter().enumerate() {
            if taken.contains(&j) || m.is_leaf() != n.is_leaf() {
                continue;
            }
            let s = similarity(&n.name, &m.name);
            if s >= BY_NAME_MIN {
                pairs.push((s, i, j));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (s, i, j) in pairs {
        if out[i].from.is_some() || taken.contains(&j) {
            continue;
        }
        out[i] = Match {
            to: out[i].to.clone(),
            from: Some(from.nodes[j].code.to_string()),
            how: How::Name,
            similarity: s,
        };
        taken.insert(j);
    }
    out
}

/// The mapping as CSV: `to_code,to_name,from_code,from_name,how,similarity`.
pub fn to_csv(from: &CriteriaSet, to: &CriteriaSet, rows: &[Match]) -> String {
    let mut out = String::from("to_code,to_name,from_code,from_name,how,similarity\n");
    let cell = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    for m in rows {
        let to_name = to.node(&m.to).map_or("", |n| n.name.as_str());
        let from_name = m
            .from
            .as_deref()
            .and_then(|c| from.node(c))
            .map_or("", |n| n.name.as_str());
        let _ = writeln!(
            out,
            "{},{},{},{},{},{}",
            cell(&m.to),
            cell(to_name),
            cell(m.from.as_deref().unwrap_or("")),
            cell(from_name),
            m.how.as_str(),
            m.similarity
        );
    }
    out
}

/// Reads an edited mapping (`to_code,from_code`, other columns ignored; an empty
/// `from_code` says the criterion is new). Every row is a person's choice (`Manual`). Every row must name a criterion of each set, a
/// leaf with a leaf; each of this year's criteria once. Problems name the editor's lines.
pub fn parse_mapping_csv(
    file: &str,
    text: &str,
    from: &CriteriaSet,
    to: &CriteriaSet,
) -> Result<Vec<Match>, Problems> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    crate::problem::csv_rows(
        file,
        text,
        &["to_code", "from_code"],
        &["to_code", "from_code"],
        |line, get| {
            let (to_code, from_code) = (get(0), get(1));
            let i = to
                .position(&to_code)
                .ok_or_else(|| format!("mã `{to_code}` không có trong bộ chỉ số {}", to.id))?;
            if let Some(first) = seen.insert(to_code.clone(), line) {
                return Err(format!("mã `{to_code}` bị lặp (đã có ở dòng {first})"));
            }
            let from_code = if from_code.is_empty() {
                None
            } else {
                let j = from.position(&from_code).ok_or_else(|| {
                    format!("mã `{from_code}` không có trong bộ chỉ số {}", from.id)
                })?;
                if from.nodes[j].is_leaf() != to.nodes[i].is_leaf() {
                    return Err(format!(
                        "`{to_code}` và `{from_code}`: chỉ ghép tiêu chí lá với tiêu chí lá, nhóm với nhóm"
                    ));
                }
                Some(from_code)
            };
            let similarity = from_code
                .as_deref()
                .and_then(|c| from.node(c))
                .map_or(0, |m| similarity(&to.nodes[i].name, &m.name));
            out.push(Match {
                to: to_code,
                how: How::Manual,
                similarity,
                from: from_code,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_criteria_yaml;

    fn set(id: &str, year: i32, leaves: &[(&str, &str)]) -> CriteriaSet {
        let mut y = format!(
            "id: {id}\nname: S\nyear: {year}\nlevel: so\nnodes:\n  - code: I\n    name: Lĩnh vực\n    children:\n"
        );
        for (c, n) in leaves {
            let _ = writeln!(
                y,
                "      - {{ code: \"{c}\", name: \"{n}\", max: 1, rule: {{ kind: binary }} }}"
            );
        }
        parse_criteria_yaml("s.yaml", &y).unwrap()
    }

    #[test]
    fn similar_names_ignore_diacritics_and_case() {
        assert_eq!(
            similarity("Ban hành kế hoạch CCHC", "ban hanh ke hoach cchc"),
            100
        );
        assert!(similarity("Ban hành kế hoạch CCHC năm", "Ban hành kế hoạch kiểm tra") >= 60);
        assert!(similarity("Tỷ lệ hồ sơ đúng hạn", "Kiểm tra công vụ") < 20);
    }

    #[test]
    fn codes_first_then_names_each_used_once() {
        let from = set(
            "a-2024",
            2024,
            &[
                ("I.1", "Ban hành kế hoạch cải cách hành chính năm"),
                ("I.2", "Tỷ lệ hồ sơ giải quyết đúng hạn"),
                ("I.3", "Công khai thủ tục hành chính"),
            ],
        );
        let to = set(
            "a-2025",
            2025,
            &[
                ("I.1", "Ban hành kế hoạch cải cách hành chính năm kịp thời"),
                ("I.2", "Số hóa hồ sơ, kết quả giải quyết thủ tục"),
                ("I.3", "Tỷ lệ hồ sơ giải quyết đúng hạn, trước hạn"),
                ("I.4", "Ứng dụng trí tuệ nhân tạo"),
            ],
        );
        let m = propose(&from, &to);
        let get = |c: &str| m.iter().find(|x| x.to == c).unwrap();
        assert_eq!(get("I.1").how, How::Code);
        assert_eq!(get("I.1").from.as_deref(), Some("I.1"));
        // I.2 changed meaning: not matched by its code; I.3 took over last year's I.2.
        let by_hand = [Match {
            to: "I.2".into(),
            from: Some("I.2".into()),
            how: How::Manual,
            similarity: 0,
        }];
        let forced = in_force(&from, &to, &by_hand);
        let f = |c: &str| forced.iter().find(|x| x.to == c).unwrap().clone();
        assert_eq!(f("I.2").from.as_deref(), Some("I.2"));
        assert_ne!(
            f("I.3").from.as_deref(),
            Some("I.2"),
            "last year's I.2 is used once"
        );
        assert_eq!(get("I.3").from.as_deref(), Some("I.2"));
        assert_eq!(get("I.3").how, How::Name);
        assert_eq!(get("I.2").from, None);
        assert_eq!(get("I.4").how, How::Unmatched);
        assert_eq!(get("I").how, How::Code);
    }

    #[test]
    fn an_edited_mapping_is_checked_by_line() {
        let from = set("a-2024", 2024, &[("I.1", "A"), ("I.2", "B")]);
        let to = set("a-2025", 2025, &[("I.1", "A"), ("I.2", "B")]);
        let ok = parse_mapping_csv(
            "m.csv",
            "\u{feff}to_code,from_code\r\nI.1,I.2\r\nI.2,\r\n",
            &from,
            &to,
        )
        .unwrap();
        assert_eq!(ok[0].from.as_deref(), Some("I.2"));
        assert_eq!(ok[0].how, How::Manual);
        assert_eq!((ok[1].how, ok[1].from.as_deref()), (How::Manual, None));
        let err = parse_mapping_csv(
            "m.csv",
            "to_code,from_code\nI.1,I.9\n\nI.1,I.1\nI,I.1\n",
            &from,
            &to,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("m.csv:2: mã `I.9`"), "{err}");
        assert!(err.contains("m.csv:5: `I` và `I.1`"), "{err}");
        let effective = in_force(&from, &to, &ok);
        assert_eq!(effective[1].from.as_deref(), Some("I.2"));
        // I.2 is claimed by a person's choice: not proposed again for this year's I.2.
        assert_eq!(effective[2].from, None);
    }
}
