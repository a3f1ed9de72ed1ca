//! Exact points: signed thousandths in an `i64`, never floats.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};

/// Points (or any exact value with at most three decimals), stored as thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Points(i64);

/// Why a decimal text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("không phải là số")]
    NotANumber,
    #[error("có quá {0} chữ số thập phân")]
    TooManyDecimals(u32),
    #[error("số quá lớn")]
    TooLarge,
}

impl Points {
    pub const ZERO: Points = Points(0);

    pub const fn from_thousandths(t: i64) -> Self {
        Points(t)
    }

    pub const fn thousandths(self) -> i64 {
        self.0
    }

    pub const fn from_whole(n: i64) -> Self {
        Points(n * 1000)
    }

    /// Parses `85.62`, `85,62`, `-1`, `.5` with at most three decimals.
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        let d = Decimal::parse(text)?;
        if d.scale > 3 {
            return Err(DecimalError::TooManyDecimals(3));
        }
        let factor = 10_i128.pow(3 - d.scale);
        i64::try_from(d.mantissa * factor)
            .map(Points)
            .map_err(|_| DecimalError::TooLarge)
    }

    /// Rounds half-up (away from zero for negatives) to `precision` decimals (0–3).
    #[must_use]
    pub fn round_to(self, precision: u8) -> Self {
        let precision = precision.min(3);
        let unit = 10_i64.pow(3 - u32::from(precision));
        if unit == 1 {
            return self;
        }
        let half = unit / 2;
        let v = if self.0 >= 0 {
            (self.0 + half) / unit * unit
        } else {
            -((-self.0 + half) / unit * unit)
        };
        Points(v)
    }

    /// `85.620` with exactly `precision` decimals (the JSON/CSV form).
    pub fn to_fixed(self, precision: u8) -> String {
        let precision = precision.min(3);
        let r = self.round_to(precision).0;
        let sign = if r < 0 { "-" } else { "" };
        let a = r.unsigned_abs();
        let whole = a / 1000;
        let frac = a % 1000;
        if precision == 0 {
            format!("{sign}{whole}")
        } else {
            let frac = format!("{frac:03}");
            format!("{sign}{whole}.{}", &frac[..usize::from(precision)])
        }
    }

    /// `85,620` — Vietnamese display: comma decimals, dot thousands.
    pub fn to_vi(self, precision: u8) -> String {
        let fixed = self.to_fixed(precision);
        let (int, frac) = fixed.split_once('.').unwrap_or((fixed.as_str(), ""));
        let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
        let mut grouped = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push('.');
            }
            grouped.push(ch);
        }
        if frac.is_empty() {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped},{frac}")
        }
    }

    /// Shortest exact form the Vietnamese way (`0,5`, `2`, `1.500`), for pages and messages.
    pub fn to_vi_short(self) -> String {
        crate::text::decimal_vi(self.to_plain())
    }

    /// Shortest exact form (`0.5`, `2`, `85.62`), for messages and files.
    pub fn to_plain(self) -> String {
        let s = self.to_fixed(3);
        let s = s.trim_end_matches('0');
        s.trim_end_matches('.').to_string()
    }

    #[must_use]
    pub fn max(self, other: Self) -> Self {
        Points(self.0.max(other.0))
    }

    #[must_use]
    pub fn min(self, other: Self) -> Self {
        Points(self.0.min(other.0))
    }

    #[must_use]
    pub fn checked_mul(self, n: i64) -> Option<Self> {
        self.0.checked_mul(n).map(Points)
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl Add for Points {
    type Output = Points;
    fn add(self, rhs: Points) -> Points {
        Points(self.0 + rhs.0)
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, rhs: Points) -> Points {
        Points(self.0 - rhs.0)
    }
}

impl Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        Points(iter.map(|p| p.0).sum())
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_plain())
    }
}

/// An exact decimal read from text: `mantissa / 10^scale`. Used for rule inputs,
/// which may carry more decimals than points do (a rate of `97.53846`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub mantissa: i128,
    pub scale: u32,
}

impl Decimal {
    /// Accepts `.` or `,` as the decimal mark, an optional sign, an optional `%`.
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        let t = text.trim();
        let t = t.strip_suffix('%').map_or(t, str::trim_end);
        let (neg, t) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        if t.is_empty() {
            return Err(DecimalError::NotANumber);
        }
        let mut mantissa: i128 = 0;
        let mut scale = 0u32;
        let mut seen_mark = false;
        let mut digits = 0usize;
        for ch in t.chars() {
            match ch {
                '0'..='9' => {
                    mantissa = mantissa
                        .checked_mul(10)
                        .and_then(|m| m.checked_add(i128::from(ch as u8 - b'0')))
                        .ok_or(DecimalError::TooLarge)?;
                    digits += 1;
                    if seen_mark {
                        scale += 1;
                    }
                }
                '.' | ',' if !seen_mark => seen_mark = true,
                _ => return Err(DecimalError::NotANumber),
            }
        }
        if digits == 0 || scale > 18 {
            return Err(if digits == 0 {
                DecimalError::NotANumber
            } else {
                DecimalError::TooManyDecimals(18)
            });
        }
        Ok(Decimal {
            mantissa: if neg { -mantissa } else { mantissa },
            scale,
        })
    }

    /// Compares with points exactly.
    pub fn cmp_points(self, p: Points) -> std::cmp::Ordering {
        let (a, b) = self.common_scale(p);
        a.cmp(&b)
    }

    fn common_scale(self, p: Points) -> (i128, i128) {
        let s = self.scale.max(3);
        let a = self.mantissa * 10_i128.pow(s - self.scale);
        let b = i128::from(p.thousandths()) * 10_i128.pow(s - 3);
        (a, b)
    }

    /// `max × clamp(self, 0, of) / of`, rounded half-up to thousandths.
    pub fn proportion_of(self, of: Points, max: Points) -> Points {
        if of.thousandths() <= 0 {
            return Points::ZERO;
        }
        let s = self.scale.max(3);
        let x = self.mantissa * 10_i128.pow(s - self.scale);
        let of_s = i128::from(of.thousandths()) * 10_i128.pow(s - 3);
        let x = x.clamp(0, of_s);
        let num = i128::from(max.thousandths()) * x;
        let q = (num * 2 + of_s) / (of_s * 2);
        Points::from_thousandths(i64::try_from(q).unwrap_or(i64::MAX))
    }

    /// The value as a whole count, when it is one.
    pub fn as_count(self) -> Option<i64> {
        let unit = 10_i128.pow(self.scale);
        if self.mantissa % unit != 0 {
            return None;
        }
        i64::try_from(self.mantissa / unit).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(Points::parse("85.62").map(Points::thousandths), Ok(85_620));
        assert_eq!(Points::parse("85,62").map(Points::thousandths), Ok(85_620));
        assert_eq!(Points::parse(".5").map(Points::thousandths), Ok(500));
        assert_eq!(
            Points::parse("1.0001"),
            Err(DecimalError::TooManyDecimals(3))
        );
        assert_eq!(Points::parse("abc"), Err(DecimalError::NotANumber));
        assert_eq!(Points::parse("1.2.3"), Err(DecimalError::NotANumber));
        let p = Points::from_thousandths(85_620);
        assert_eq!(p.to_fixed(3), "85.620");
        assert_eq!(p.to_vi(3), "85,620");
        assert_eq!(Points::from_thousandths(1_234_500).to_vi(2), "1.234,50");
        assert_eq!(p.to_plain(), "85.62");
        assert_eq!(Points::from_whole(2).to_plain(), "2");
    }

    #[test]
    fn rounds_half_up() {
        assert_eq!(
            Points::from_thousandths(11_955).round_to(2).thousandths(),
            11_960
        );
        assert_eq!(
            Points::from_thousandths(11_954).round_to(2).thousandths(),
            11_950
        );
        assert_eq!(
            Points::from_thousandths(500).round_to(0).thousandths(),
            1000
        );
        assert_eq!(
            Points::from_thousandths(-500).round_to(0).thousandths(),
            -1000
        );
        assert_eq!(Points::from_thousandths(11_955).to_fixed(1), "12.0");
    }

    #[test]
    fn proportion_rounds_half_up() {
        let x = Decimal::parse("97.5").ok();
        let of = Points::from_whole(100);
        let max = Points::from_whole(2);
        assert_eq!(
            x.map(|x| x.proportion_of(of, max).thousandths()),
            Some(1950)
        );
        let x = Decimal::parse("120").ok();
        assert_eq!(
            x.map(|x| x.proportion_of(of, max).thousandths()),
            Some(2000)
        );
        // 2 × 33.3335 / 100 = 0.66667 → 0.667
        let x = Decimal::parse("33.3335").ok();
        assert_eq!(x.map(|x| x.proportion_of(of, max).thousandths()), Some(667));
    }
}
