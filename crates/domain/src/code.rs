//! Criterion codes (`I.8.4`) and their natural order.

use std::cmp::Ordering;
use std::fmt;

/// A criterion code such as `I.2.1.1`: dotted segments, sorted by value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Code(String);

impl Code {
    /// Accepts dotted segments of letters and digits; the first is Roman or Arabic.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() || t.len() > 40 {
            return None;
        }
        let ok_segments = t
            .split('.')
            .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()));
        let first = t.split('.').next().unwrap_or_default();
        let first_ok = first.chars().all(|c| c.is_ascii_digit()) || roman_value(first).is_some();
        (ok_segments && first_ok).then(|| Code(t.to_string()))
    }

    /// Stands in for a code that failed to parse while the rest of a file is read
    /// (the file is rejected anyway).
    pub(crate) fn invalid() -> Self {
        Code(String::from("?"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Depth in the tree as written: `I` is 1, `I.8.4` is 3.
    pub fn depth(&self) -> usize {
        self.0.split('.').count()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Value of an upper-case Roman numeral (`I`…`MMM`), strict form only.
pub fn roman_value(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    let val = |c: char| match c {
        'I' => Some(1),
        'V' => Some(5),
        'X' => Some(10),
        'L' => Some(50),
        'C' => Some(100),
        'D' => Some(500),
        'M' => Some(1000),
        _ => None,
    };
    let digits: Option<Vec<u32>> = s.chars().map(val).collect();
    let digits = digits?;
    // Signed: a leading subtractive pair (IV, IX, XL…) goes below zero before it adds up.
    let mut total = 0i64;
    for (i, d) in digits.iter().enumerate() {
        if digits.get(i + 1).is_some_and(|n| n > d) {
            total -= i64::from(*d);
        } else {
            total += i64::from(*d);
        }
    }
    let total = u32::try_from(total).ok()?;
    // Reject non-canonical spellings such as IIII or IC by round-tripping.
    (to_roman(total) == s).then_some(total)
}

fn to_roman(mut n: u32) -> String {
    const TABLE: [(u32, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (v, s) in TABLE {
        while n >= v {
            out.push_str(s);
            n -= v;
        }
    }
    out
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SegKey<'a> {
    Num(u64),
    Text(&'a str),
}

fn seg_key(s: &str, first: bool) -> SegKey<'_> {
    if let Ok(n) = s.parse::<u64>() {
        return SegKey::Num(n);
    }
    if first && let Some(v) = roman_value(s) {
        return SegKey::Num(u64::from(v));
    }
    SegKey::Text(s)
}

/// Orders codes by their segments' values: `I.2.9` < `I.2.10` < `II`.
pub fn compare_codes(a: &str, b: &str) -> Ordering {
    let mut ai = a.split('.');
    let mut bi = b.split('.');
    let mut first = true;
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = seg_key(x, first).cmp(&seg_key(y, first));
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
        first = false;
    }
}

impl PartialOrd for Code {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Code {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_codes(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_numeric_segments() {
        let mut codes = vec!["II", "I.2.10", "I.2.9", "I", "I.10", "I.8.4", "IX.1", "IV"];
        codes.sort_by(|a, b| compare_codes(a, b));
        assert_eq!(
            codes,
            vec!["I", "I.2.9", "I.2.10", "I.8.4", "I.10", "II", "IV", "IX.1"]
        );
    }

    #[test]
    fn parses_codes() {
        assert!(Code::parse("I.8.4").is_some());
        assert!(Code::parse("1.2").is_some());
        assert!(Code::parse("I..2").is_none());
        assert!(Code::parse("A.1").is_none());
        assert!(Code::parse("IIII").is_none());
        // A leading subtractive pair: the fourth and ninth fields of a set.
        assert_eq!(roman_value("IV"), Some(4));
        assert_eq!(roman_value("IX"), Some(9));
        assert_eq!(roman_value("XL"), Some(40));
        assert!(Code::parse("IV.1").is_some());
        assert_eq!(roman_value("XIV"), Some(14));
    }
}
