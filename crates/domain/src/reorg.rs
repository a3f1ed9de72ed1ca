//! Reorganisations as data (since 01/07/2025 provinces, communes and wards have been merged
//! and split): a unit-change file turned into the units' new rows — the old units end the
//! day before the change, the new ones start on it, a merged unit names its successor.

use std::collections::HashMap;

use crate::problem::Problems;
use crate::text::{Date, nfc};
use crate::units::UnitRow;

/// What happens to a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `from` ends and goes into `to` (merged into an existing or a new unit).
    Merge,
    /// `from` ends; `to` is one of the units made from it (one row per new unit).
    Split,
    /// `from` takes the name `to_name` (its former name is kept).
    Rename,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Merge => "merge",
            Kind::Split => "split",
            Kind::Rename => "rename",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match crate::text::fold(s).as_str() {
            "merge" | "sap nhap" | "hop nhat" => Kind::Merge,
            "split" | "chia tach" | "tach" => Kind::Split,
            "rename" | "doi ten" => Kind::Rename,
            _ => return None,
        })
    }
}

/// One line of a unit-change file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub effective: Date,
    pub kind: Kind,
    pub from: String,
    pub to: Option<String>,
    pub to_name: Option<String>,
    pub group: Option<String>,
    pub unit_kind: Option<String>,
    /// The new unit's parent (the province after a merger of provinces); the old unit's
    /// parent otherwise.
    pub parent: Option<String>,
    pub line: usize,
}

/// Stores `row` as the one to write for its code (first written first).
fn put(rows: &mut HashMap<String, UnitRow>, order: &mut Vec<String>, row: UnitRow) {
    if !rows.contains_key(&row.code) {
        order.push(row.code.clone());
    }
    rows.insert(row.code.clone(), row);
}

fn day_before(d: Date) -> Date {
    crate::schedule::from_days(d.days_since_epoch() - 1)
}

/// Reads `effective,change,from_code,to_code,to_name[,kind,group,parent_code]` and turns it into the
/// rows to store, given the units stored now (by code). Every problem names its line; a
/// file with any stores nothing.
pub fn parse_changes_csv<S: std::hash::BuildHasher>(
    file: &str,
    text: &str,
    units: &HashMap<String, UnitRow, S>,
) -> Result<(Vec<Change>, Vec<UnitRow>), Problems> {
    const COLS: [&str; 8] = [
        "effective",
        "change",
        "from_code",
        "to_code",
        "to_name",
        "kind",
        "group",
        "parent_code",
    ];
    let mut changes = Vec::new();
    // The rows as they will be stored, by code (a unit a line creates is known to the next).
    let mut rows: HashMap<String, UnitRow> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    crate::problem::csv_rows(
        file,
        text,
        &COLS,
        &["effective", "change", "from_code"],
        |line, get| {
            let effective = Date::parse(&get(0)).ok_or_else(|| {
                format!(
                    "ngày hiệu lực `{}` không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)",
                    get(0)
                )
            })?;
            let kind = Kind::parse(&get(1)).ok_or_else(|| {
                format!(
                    "thay đổi `{}` phải là sáp nhập, chia tách hoặc đổi tên (merge, split, rename)",
                    get(1)
                )
            })?;
            let from_code = get(2);
            let Some(from) = rows
                .get(&from_code)
                .or_else(|| units.get(&from_code))
                .cloned()
            else {
                return Err(crate::units::unknown_unit(&from_code));
            };
            let to = Some(get(3)).filter(|s| !s.is_empty());
            let to_name = Some(nfc(&get(4))).filter(|s| !s.is_empty());
            let change = Change {
                effective,
                kind,
                from: from_code.clone(),
                to: to.clone(),
                to_name: to_name.clone(),
                unit_kind: Some(get(5)).filter(|s| !s.is_empty()),
                group: Some(get(6)).filter(|s| !s.is_empty()),
                parent: Some(get(7)).filter(|s| !s.is_empty()),
                line,
            };
            match kind {
                Kind::Rename => {
                    let name = to_name.ok_or("đổi tên cần cột to_name (tên mới)")?;
                    put(&mut rows, &mut order, UnitRow { name, line, ..from });
                }
                Kind::Merge | Kind::Split => {
                    let to_code = to.ok_or(
                        "sáp nhập, chia tách cần cột to_code (đơn vị mới hoặc đơn vị nhận)",
                    )?;
                    if to_code == from_code {
                        return Err(format!(
                            "đơn vị `{from_code}` không thể sáp nhập, chia tách vào chính nó"
                        ));
                    }
                    // A unit split in several lines (or a file imported again) ends on the
                    // same day each time — into the same unit for a merge; ending earlier,
                    // or merged elsewhere, means it was already gone.
                    let ended = day_before(effective);
                    let gone = match from.valid_to {
                        Some(t) if t < ended => true,
                        Some(t) if t == ended => match kind {
                            Kind::Merge => from.merged_into.as_deref() != Some(to_code.as_str()),
                            _ => from.merged_into.is_some(),
                        },
                        _ => false,
                    };
                    if gone {
                        let into = from
                            .merged_into
                            .as_deref()
                            .map(|m| format!(" (đã sáp nhập vào `{m}`)"))
                            .unwrap_or_default();
                        return Err(format!(
                            "đơn vị `{from_code}` đã thôi tồn tại trước ngày {}{into}",
                            effective.to_vi()
                        ));
                    }
                    let existing = rows.get(&to_code).or_else(|| units.get(&to_code)).cloned();
                    if existing.is_none() {
                        let name = to_name.ok_or_else(|| {
                            format!("đơn vị mới `{to_code}` cần tên (cột to_name)")
                        })?;
                        put(
                            &mut rows,
                            &mut order,
                            UnitRow {
                                code: to_code.clone(),
                                name,
                                parent_code: change
                                    .parent
                                    .clone()
                                    .or_else(|| from.parent_code.clone()),
                                kind: change.unit_kind.clone().or_else(|| from.kind.clone()),
                                group: change.group.clone().or_else(|| from.group.clone()),
                                valid_from: Some(effective),
                                valid_to: None,
                                merged_into: None,
                                line,
                            },
                        );
                    }
                    put(
                        &mut rows,
                        &mut order,
                        UnitRow {
                            valid_to: Some(day_before(effective)),
                            merged_into: (kind == Kind::Merge).then_some(to_code),
                            line,
                            ..from
                        },
                    );
                }
            }
            changes.push(change);
            Ok(())
        },
    )?;
    let out = order.into_iter().filter_map(|c| rows.remove(&c)).collect();
    Ok((changes, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, name: &str) -> (String, UnitRow) {
        (
            code.to_string(),
            UnitRow {
                code: code.into(),
                name: name.into(),
                parent_code: Some("HCM".into()),
                kind: Some("xa".into()),
                group: Some("xa".into()),
                valid_from: None,
                valid_to: None,
                merged_into: None,
                line: 0,
            },
        )
    }

    #[test]
    fn communes_merge_into_a_new_ward_and_errors_name_their_lines() {
        let units: HashMap<String, UnitRow> = [
            unit("X1", "Xã Một"),
            unit("X2", "Xã Hai"),
            unit("X3", "Xã Ba"),
        ]
        .into_iter()
        .collect();
        let text = "\u{feff}effective,change,from_code,to_code,to_name,kind,group\r\n01/07/2025,sáp nhập,X1,P1,Phường Một,phuong,xa\r\n01/07/2025,Sáp nhập,X2,P1,,,\r\n01/07/2025,đổi tên,X3,,Xã Ba Mới,,\r\n";
        let (changes, rows) = parse_changes_csv("c.csv", text, &units).unwrap();
        assert_eq!(changes.len(), 3);
        let get = |c: &str| rows.iter().find(|r| r.code == c).unwrap();
        assert_eq!(get("P1").valid_from, Date::new(2025, 7, 1));
        assert_eq!(get("P1").kind.as_deref(), Some("phuong"));
        assert_eq!(get("X1").valid_to, Date::new(2025, 6, 30));
        assert_eq!(get("X2").merged_into.as_deref(), Some("P1"));
        assert_eq!(get("X3").name, "Xã Ba Mới");
        // A commune split into two in two lines, then the same file read against the result:
        // the unit ends the day before each time, nothing is refused.
        let split = "effective,change,from_code,to_code,to_name\n01/07/2025,chia tách,X1,A1,Xã A\n01/07/2025,split,X1,B1,Xã B\n";
        let (_, rows) = parse_changes_csv("s.csv", split, &units).unwrap();
        let x1 = rows.iter().find(|r| r.code == "X1").unwrap();
        assert_eq!(x1.valid_to, Date::new(2025, 6, 30));
        assert_eq!(x1.merged_into, None);
        assert!(rows.iter().any(|r| r.code == "B1" && r.name == "Xã B"));
        let after: HashMap<String, UnitRow> =
            rows.into_iter().map(|r| (r.code.clone(), r)).collect();
        assert!(parse_changes_csv("s.csv", split, &after).is_ok());
        // The same unit merged into two on one date: the second line is refused.
        let twice = "effective,change,from_code,to_code,to_name,kind,group,parent_code\n01/07/2025,merge,X2,P1,Phường Một,,,HCM\n01/07/2025,merge,X2,P2,Phường Hai,,,HCM\n";
        let err = parse_changes_csv("t.csv", twice, &units)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t.csv:3: đơn vị `X2` đã thôi tồn tại") && err.contains("`P1`"),
            "{err}"
        );
        let (_, rows) =
            parse_changes_csv("t.csv", &twice[..twice.rfind("01/07").unwrap()], &units).unwrap();
        assert_eq!(
            rows.iter()
                .find(|r| r.code == "P1")
                .unwrap()
                .parent_code
                .as_deref(),
            Some("HCM")
        );
        let late = "effective,change,from_code,to_code,to_name\n01/08/2025,merge,X1,B1,\n";
        let err = parse_changes_csv("l.csv", late, &after)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("l.csv:2: đơn vị `X1` đã thôi tồn tại"),
            "{err}"
        );
        let bad = "effective,change,from_code,to_code,to_name\n31/06/2025,merge,X1,P1,P\n\n01/07/2025,gộp,X1,P1,P\n01/07/2025,merge,X9,P1,P\n01/07/2025,split,X1,P2,\n";
        let err = parse_changes_csv("c.csv", bad, &units)
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.csv:2: ngày hiệu lực `31/06/2025`"), "{err}");
        assert!(err.contains("c.csv:4: thay đổi `gộp`"), "{err}");
        assert!(err.contains("c.csv:5: đơn vị `X9`"), "{err}");
        assert!(err.contains("c.csv:6: đơn vị mới `P2` cần tên"), "{err}");
    }
}
