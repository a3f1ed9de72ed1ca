//! The indicators registry: the notice's measurable targets beyond dossiers (posts on the
//! website each week, digitally signed documents, tasks of the direction software answered
//! on time, official e-mail use, new businesses…), defined once, valued per unit and period,
//! and read by a rule like a dossier figure (`input: indicator.website_posts`).

use std::collections::HashSet;

use crate::points::{DecimalError, Points};
use crate::problem::Problems;
use crate::text::fold;

/// How often an indicator is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month,
    Quarter,
    Year,
}

impl Period {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match fold(s).as_str() {
            "month" | "thang" => Period::Month,
            "quarter" | "quy" => Period::Quarter,
            "year" | "nam" => Period::Year,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Period::Month => "tháng",
            Period::Quarter => "quý",
            Period::Year => "năm",
        }
    }

    /// The periods of a year, in order: `2021-01` … `2021-12`, `2021-Q1` … `2021-Q4`, `2021`.
    pub fn keys_of(self, year: i32) -> Vec<String> {
        match self {
            Period::Month => (1..=12).map(|m| format!("{year}-{m:02}")).collect(),
            Period::Quarter => (1..=4).map(|q| format!("{year}-Q{q}")).collect(),
            Period::Year => vec![year.to_string()],
        }
    }
}

/// How a year's value comes from its periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    Sum,
    Average,
    Last,
}

impl Aggregation {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match fold(s).as_str() {
            "sum" | "tong" => Aggregation::Sum,
            "average" | "avg" | "trung binh" => Aggregation::Average,
            "last" | "cuoi ky" | "moi nhat" => Aggregation::Last,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Average => "average",
            Aggregation::Last => "last",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Aggregation::Sum => "cộng dồn",
            Aggregation::Average => "trung bình",
            Aggregation::Last => "số cuối kỳ",
        }
    }

    /// The year's value of `(period key, value)` pairs (any order); `None` without values.
    /// An average is rounded half-up to 3 decimals.
    pub fn of_year(self, values: &[(String, Points)]) -> Option<Points> {
        if values.is_empty() {
            return None;
        }
        Some(match self {
            Aggregation::Sum => values.iter().map(|(_, v)| *v).sum(),
            Aggregation::Average => {
                let total: i128 = values
                    .iter()
                    .map(|(_, v)| i128::from(v.thousandths()))
                    .sum();
                let n = i128::try_from(values.len()).unwrap_or(1);
                let q = (total * 2 + n).div_euclid(n * 2);
                Points::from_thousandths(i64::try_from(q).unwrap_or(i64::MAX))
            }
            Aggregation::Last => values
                .iter()
                .max_by(|a, b| a.0.cmp(&b.0))
                .map(|(_, v)| *v)?,
        })
    }
}

/// An indicator's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// `[a-z0-9_]+`, as a rule names it: `indicator.website_posts`.
    pub code: String,
    pub name: String,
    /// What is counted: `%`, `bài`, `văn bản`, `doanh nghiệp`…
    pub measure: String,
    pub period: Period,
    pub aggregation: Aggregation,
    /// The value to reach in a period (per period for a sum; the year's is 12 or 4 times).
    pub target: Option<Points>,
    pub source: Option<String>,
}

impl Indicator {
    /// The target of a whole year, in the terms of `aggregation`.
    pub fn year_target(&self) -> Option<Points> {
        let t = self.target?;
        Some(match (self.aggregation, self.period) {
            (Aggregation::Sum, Period::Month) => Points::from_thousandths(t.thousandths() * 12),
            (Aggregation::Sum, Period::Quarter) => Points::from_thousandths(t.thousandths() * 4),
            _ => t,
        })
    }
}

/// One value of an indicator for a unit and a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub unit_code: String,
    pub indicator: String,
    /// `2021-03`, `2021-Q1` or `2021`.
    pub period: String,
    pub value: Points,
    pub note: Option<String>,
    /// The unit's evidence backing the value (entered on the page).
    pub evidence_id: Option<i64>,
    /// The line of the file, for messages (0 from a form).
    pub line: usize,
}

/// A period as typed — `2021-03`, `03/2021`, `3/2021`, `T3/2021`, `2021-Q1`, `Q1/2021`,
/// `2021` — in the canonical form of `period`, or why not.
pub fn period_key(text: &str, period: Period) -> Result<String, String> {
    let t = fold(text).replace(' ', "");
    let year_ok = |y: &str| y.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y));
    let bad = || match period {
        Period::Month => format!("kỳ `{text}` không phải một tháng (ví dụ 2021-03 hoặc 03/2021)"),
        Period::Quarter => format!("kỳ `{text}` không phải một quý (ví dụ 2021-Q1 hoặc Q1/2021)"),
        Period::Year => format!("kỳ `{text}` không phải một năm (ví dụ 2021)"),
    };
    let (a, b) = match (t.split_once('-'), t.split_once('/')) {
        (Some((y, rest)), None) | (None, Some((rest, y))) => (rest.to_string(), y.to_string()),
        (None, None) => (String::new(), t.clone()),
        _ => return Err(bad()),
    };
    let year = year_ok(&b).ok_or_else(bad)?;
    match period {
        Period::Year if a.is_empty() => Ok(year.to_string()),
        Period::Month => {
            let m = a
                .strip_prefix("thang")
                .or_else(|| a.strip_prefix('t'))
                .unwrap_or(&a)
                .parse::<u32>()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(bad)?;
            Ok(format!("{year}-{m:02}"))
        }
        Period::Quarter => {
            let q = a
                .strip_prefix("quy")
                .or_else(|| a.strip_prefix('q'))
                .unwrap_or(&a)
                .parse::<u32>()
                .ok()
                .filter(|q| (1..=4).contains(q))
                .ok_or_else(bad)?;
            Ok(format!("{year}-Q{q}"))
        }
        Period::Year => Err(bad()),
    }
}

/// The year of a canonical period key.
pub fn year_of(key: &str) -> Option<i32> {
    key.get(..4)?.parse().ok()
}

fn number(text: &str, what: &str) -> Result<Points, String> {
    let t = crate::text::plain_decimal(text, false);
    match Points::parse(&t) {
        Ok(p) if p.is_negative() => Err(format!("{what} `{text}` không được âm")),
        Ok(p) => Ok(p),
        Err(DecimalError::TooManyDecimals(_)) => {
            Err(format!("{what} `{text}` có quá 3 chữ số thập phân"))
        }
        Err(e) => Err(format!("{what} `{text}` {e}")),
    }
}

/// Reads definitions: `code,name,measure,period,aggregation,target,source`.
pub fn parse_indicators_csv(file: &str, text: &str) -> Result<Vec<Indicator>, Problems> {
    const COLS: [&str; 7] = [
        "code",
        "name",
        "measure",
        "period",
        "aggregation",
        "target",
        "source",
    ];
    let mut out: Vec<Indicator> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    crate::problem::csv_rows(
        file,
        text,
        &COLS,
        &["code", "name", "period", "aggregation"],
        |_, get| {
            let code = get(0);
            if code.is_empty()
                || !code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(format!(
                    "mã chỉ số `{code}` chỉ được gồm chữ thường a-z, số và dấu _"
                ));
            }
            if !seen.insert(code.clone()) {
                return Err(format!("mã chỉ số `{code}` bị lặp"));
            }
            let name = crate::text::nfc(&get(1));
            if name.is_empty() {
                return Err(format!("chỉ số `{code}` thiếu tên"));
            }
            let period = Period::parse(&get(3)).ok_or_else(|| {
                format!(
                    "kỳ `{}` phải là month, quarter hoặc year (tháng, quý, năm)",
                    get(3)
                )
            })?;
            let aggregation = Aggregation::parse(&get(4)).ok_or_else(|| {
                format!(
                    "cách tính `{}` phải là sum, average hoặc last (tổng, trung bình, cuối kỳ)",
                    get(4)
                )
            })?;
            let target = match get(5) {
                t if t.is_empty() => None,
                t => Some(number(&t, "chỉ tiêu")?),
            };
            out.push(Indicator {
                code,
                name,
                measure: crate::text::nfc(&get(2)),
                period,
                aggregation,
                target,
                source: Some(crate::text::nfc(&get(6))).filter(|s| !s.is_empty()),
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// Reads values: `unit_code,indicator,period,value[,note]`; each indicator must be known
/// (`defs`), each period of its kind, each (unit, indicator, period) once.
pub fn parse_values_csv(
    file: &str,
    text: &str,
    defs: &[Indicator],
) -> Result<Vec<Value>, Problems> {
    const COLS: [&str; 5] = ["unit_code", "indicator", "period", "value", "note"];
    let mut out = Vec::new();
    let mut seen: std::collections::HashMap<(String, String, String), usize> =
        std::collections::HashMap::new();
    crate::problem::csv_rows(
        file,
        text,
        &COLS,
        &["unit_code", "indicator", "period", "value"],
        |line, get| {
            let unit_code = get(0);
            if unit_code.is_empty() {
                return Err("thiếu mã đơn vị (unit_code)".into());
            }
            let code = get(1);
            let def = defs.iter().find(|d| d.code == code).ok_or_else(|| {
                format!(
                    "chỉ số `{code}` chưa được định nghĩa (nhập bằng parindex indicators define)"
                )
            })?;
            let period = period_key(&get(2), def.period)
                .map_err(|m| format!("{m} — chỉ số {code} đo theo {}", def.period.label_vi()))?;
            let value = number(&get(3), "giá trị")?;
            if let Some(first) =
                seen.insert((unit_code.clone(), code.clone(), period.clone()), line)
            {
                return Err(format!(
                    "đơn vị {unit_code}, chỉ số {code}, kỳ {period} bị lặp (đã có ở dòng {first})"
                ));
            }
            out.push(Value {
                unit_code,
                indicator: code,
                period,
                value,
                note: Some(crate::text::nfc(&get(4))).filter(|n| !n.is_empty()),
                evidence_id: None,
                line,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Points {
        Points::parse(s).unwrap()
    }

    #[test]
    fn periods_as_typed_become_canonical() {
        assert_eq!(period_key("03/2021", Period::Month).unwrap(), "2021-03");
        assert_eq!(period_key("T3/2021", Period::Month).unwrap(), "2021-03");
        assert_eq!(
            period_key("Tháng 3/2021", Period::Month).unwrap(),
            "2021-03"
        );
        assert_eq!(period_key("2021-3", Period::Month).unwrap(), "2021-03");
        assert_eq!(
            period_key("Quý 2/2021", Period::Quarter).unwrap(),
            "2021-Q2"
        );
        assert_eq!(period_key("2021-Q4", Period::Quarter).unwrap(), "2021-Q4");
        assert_eq!(period_key("2021", Period::Year).unwrap(), "2021");
        assert!(period_key("13/2021", Period::Month).is_err());
        assert!(period_key("2021", Period::Month).is_err());
        assert!(period_key("Q5/2021", Period::Quarter).is_err());
    }

    #[test]
    fn a_year_is_summed_averaged_or_its_last_value() {
        let v = vec![
            ("2021-02".to_string(), p("5")),
            ("2021-01".to_string(), p("4")),
            ("2021-03".to_string(), p("2")),
        ];
        assert_eq!(Aggregation::Sum.of_year(&v), Some(p("11")));
        assert_eq!(Aggregation::Average.of_year(&v), Some(p("3.667")));
        assert_eq!(Aggregation::Last.of_year(&v), Some(p("2")));
        assert_eq!(Aggregation::Sum.of_year(&[]), None);
    }

    #[test]
    fn files_from_excel_keep_the_editors_lines() {
        let defs = parse_indicators_csv(
            "d.csv",
            "\u{feff}code,name,measure,period,aggregation,target,source\r\nwebsite_posts,Tin bài trên website,bài,tháng,tổng,4,I.7.1\r\n",
        )
        .unwrap();
        assert_eq!(defs[0].period, Period::Month);
        assert_eq!(defs[0].year_target(), Some(p("48")));
        let ok = parse_values_csv(
            "v.csv",
            "unit_code,indicator,period,value\r\nSKHDT,website_posts,01/2021,\"5,0\"\r\n",
            &defs,
        )
        .unwrap();
        assert_eq!((ok[0].period.as_str(), ok[0].value), ("2021-01", p("5")));
        let err = parse_values_csv(
            "v.csv",
            "unit_code,indicator,period,value\nSKHDT,website_posts,2021-Q1,5\n\nSKHDT,khong_co,2021-01,5\nSKHDT,website_posts,2021-02,-1\n",
            &defs,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("v.csv:2: kỳ `2021-Q1` không phải một tháng"),
            "{err}"
        );
        assert!(err.contains("v.csv:4: chỉ số `khong_co`"), "{err}");
        assert!(err.contains("v.csv:5: giá trị `-1` không được âm"), "{err}");
    }
}
