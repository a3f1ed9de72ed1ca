//! From a read directive to proposed rectification tasks: who leads, who supports, which
//! criteria and documents, and when each is due.

use crate::directive::{Directive, Item, KnownUnit};
use crate::schedule::{Repeat, Schedule};
use crate::text::Date;

/// A task as proposed (editable before it is created).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub item_ref: String,
    pub title: String,
    pub body: String,
    /// Unit codes (or names as written when unresolved).
    pub leads: Vec<String>,
    pub supports: Vec<String>,
    pub criteria: Vec<String>,
    pub references: Vec<String>,
    pub schedule: Schedule,
    /// 1-based line of the item in the directive.
    pub line: usize,
}

/// A short title: the item's first clause, at most about 90 characters, cut at a word.
pub fn title_of(text: &str) -> String {
    let first = text.split(['.', ';', ':']).next().unwrap_or(text).trim();
    if first.chars().count() <= 90 {
        return first.to_string();
    }
    let mut out = String::new();
    for w in first.split_whitespace() {
        if out.chars().count() + w.chars().count() > 86 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out.push('…');
    out
}

/// The date a directive starts counting from: its date (first of the month or year when
/// the day or month is blank), else `fallback`.
pub fn start_of(d: &Directive, fallback: Date) -> Date {
    let Some(s) = d.date.as_deref() else {
        return fallback;
    };
    let parts: Vec<&str> = s.split('-').collect();
    let y = parts.first().and_then(|y| y.parse().ok());
    let m = parts.get(1).and_then(|m| m.parse().ok()).unwrap_or(1);
    let day = parts.get(2).and_then(|x| x.parse().ok()).unwrap_or(1);
    y.and_then(|y| Date::new(y, m, day)).unwrap_or(fallback)
}

/// The schedule an item's wording implies, from `start`, within the year unless a later
/// deadline is given.
pub fn schedule_of(item: &Item, start: Date) -> Schedule {
    let year_end = Date::new(start.year, 12, 31).unwrap_or(start);
    let due = item.due.as_deref().and_then(Date::parse);
    let end = match due {
        Some(d) if d >= start => d,
        _ => year_end,
    };
    let repeat = match item.recurrence {
        Some("weekly") => Repeat::Weekly { weekday: 5 },
        Some("monthly") => Repeat::Monthly { day: 31 },
        Some("quarterly" | "periodic" | "continuous") => Repeat::Quarterly { day: 31 },
        Some("yearly") => match due {
            Some(d) => Repeat::Yearly {
                month: d.month,
                day: d.day,
            },
            None => Repeat::Yearly { month: 12, day: 31 },
        },
        _ => Repeat::Once,
    };
    Schedule { repeat, start, end }
}

/// What is wrong with the proposals' schedules (one running more than
/// [`crate::schedule::MAX_YEARS`] years, say), each as `dòng N: mục R: …` with the item's
/// line in the directive.
pub fn schedule_problems(proposals: &[Proposal]) -> Vec<String> {
    proposals
        .iter()
        .filter_map(|p| {
            p.schedule
                .check()
                .err()
                .map(|e| format!("dòng {}: mục {}: {e}", p.line, p.item_ref))
        })
        .collect()
}

/// The division answering for a leaf: the unit's table of (criterion, division), else the
/// criteria set's `owner` (the leaf's or its nearest ancestor's) matched by name among
/// `divisions` (code, name).
pub fn responsible_division(
    set: &crate::CriteriaSet,
    leaf: usize,
    table: &[(String, String)],
    divisions: &[(String, String)],
) -> Option<String> {
    let code = set.nodes[leaf].code.as_str();
    if let Some((_, d)) = table.iter().find(|(c, _)| c == code) {
        return Some(d.clone());
    }
    let strip = |s: &str| {
        crate::text::fold(s)
            .trim_start_matches("phong ")
            .to_string()
    };
    let mut at = Some(leaf);
    while let Some(i) = at {
        if let Some(owner) = set.nodes[i].owner.as_deref() {
            return divisions
                .iter()
                .find(|(c, name)| c == owner || strip(name) == strip(owner))
                .map(|(c, _)| c.clone());
        }
        at = set.nodes[i].parent;
    }
    None
}

/// One proposal per item; an item for everyone goes to every division. An item for every division ("các phòng") whose criteria name
/// a responsible division (`owners`: criterion code → division code) is led by those
/// divisions only; the others of "every division" are left out rather than all leading.
pub fn propose<S: std::hash::BuildHasher>(
    d: &Directive,
    divisions: &[KnownUnit],
    start: Date,
    owners: &std::collections::HashMap<String, String, S>,
) -> Vec<Proposal> {
    d.items
        .iter()
        .map(|it| {
            let unit_of =
                |a: &crate::directive::Assignee| a.unit.clone().unwrap_or_else(|| a.name.clone());
            let owned: Vec<String> =
                it.criteria
                    .iter()
                    .filter_map(|c| owners.get(c))
                    .fold(Vec::new(), |mut v, o| {
                        if !v.contains(o) {
                            v.push(o.clone());
                        }
                        v
                    });
            let leads: Vec<String> = if it.all && !owned.is_empty() {
                owned
            } else if it.all {
                divisions.iter().map(|u| u.code.clone()).collect()
            } else {
                it.assignees
                    .iter()
                    .filter(|a| a.role == "lead")
                    .map(unit_of)
                    .collect()
            };
            Proposal {
                item_ref: it.reference.clone(),
                title: title_of(&it.text),
                body: it.text.clone(),
                supports: it
                    .assignees
                    .iter()
                    .filter(|a| a.role == "support")
                    .map(unit_of)
                    .collect(),
                leads,
                criteria: it.criteria.clone(),
                references: it
                    .references
                    .iter()
                    .map(|r| match &r.date {
                        Some(date) => format!("{} {} ({date})", r.kind, r.number),
                        None => format!("{} {}", r.kind, r.number),
                    })
                    .collect(),
                schedule: schedule_of(it, start),
                line: it.line,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_short_clauses() {
        assert_eq!(
            title_of("Tham mưu ứng dụng công nghệ thông tin hiệu quả nhằm cải thiện chỉ số ICT."),
            "Tham mưu ứng dụng công nghệ thông tin hiệu quả nhằm cải thiện chỉ số ICT"
        );
        let long = "Phối hợp các phòng chuyên môn tiếp tục nghiên cứu rà soát cắt giảm trên 40% thời gian giải quyết các thủ tục hành chính, các phòng lập danh sách";
        let t = title_of(long);
        assert!(t.ends_with('…') && t.chars().count() <= 90, "{t}");
    }
}
