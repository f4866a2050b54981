//! Numbers as a statistical table prints them: decimals as typed, digit groups from 10 000,
//! qualifier marks, and targets implied by a reported completion rate.

use serde::Serialize;

use crate::model::Qualifier;
use crate::resolve::Number;

/// A number as printed: integer and fraction apart for decimal alignment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Num {
    pub raw: f64,
    pub decimals: u8,
    /// Integer part with digit grouping (thin spaces from 10 000 up), sign included.
    pub int: String,
    /// Decimal separator and digits, or empty.
    pub frac: String,
    pub qualifier: Option<Qualifier>,
    /// The qualifier's mark printed before the number (`>`, `≈`, `<`), or empty.
    pub mark: &'static str,
    /// Computed by us rather than reported: printed in italics.
    pub derived: bool,
}

const THIN_SPACE: char = '\u{2009}';

impl Num {
    pub fn new(raw: f64, decimals: u8) -> Num {
        let text = format!("{:.*}", usize::from(decimals), raw.abs());
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i.to_string(), format!(".{f}")),
            None => (text, String::new()),
        };
        let grouped = if int.len() >= 5 { group_digits(&int) } else { int };
        let negative = raw < 0.0 && text_is_nonzero(&grouped, &frac);
        Num {
            raw,
            decimals,
            int: if negative { format!("−{grouped}") } else { grouped },
            frac,
            qualifier: None,
            mark: "",
            derived: false,
        }
    }

    pub(crate) fn of(n: Number) -> Num {
        Num::new(n.value, n.decimals)
    }

    pub(crate) fn with_qualifier(mut self, q: Option<Qualifier>) -> Num {
        self.qualifier = q;
        self.mark = qualifier_mark(q);
        self
    }

    pub(crate) fn derived(mut self) -> Num {
        self.derived = true;
        self
    }

    /// The number as one string, for plain-text uses.
    pub fn text(&self) -> String {
        format!("{}{}{}", self.mark, self.int, self.frac).replace(THIN_SPACE, " ")
    }
}

fn text_is_nonzero(int: &str, frac: &str) -> bool {
    int.chars().chain(frac.chars()).any(|c| c.is_ascii_digit() && c != '0')
}

/// A count as prose prints it, grouped as the tables group figures (GB/T 15835: four digits
/// ungrouped, 19 500), with a no-break thin space (U+202F): in justified prose a breakable one
/// could part "19" from "500" at a line's end.
pub fn prose_count(n: u64) -> String {
    let int = n.to_string();
    if int.len() >= 5 { group_digits(&int).replace(THIN_SPACE, "\u{202f}") } else { int }
}

fn group_digits(int: &str) -> String {
    let digits: Vec<char> = int.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(THIN_SPACE);
        }
        out.push(*c);
    }
    out
}

pub fn qualifier_mark(q: Option<Qualifier>) -> &'static str {
    match q {
        Some(Qualifier::Over) => ">",
        Some(Qualifier::AtLeast) => "≥",
        Some(Qualifier::About) => "≈",
        Some(Qualifier::Nearly) => "<",
        None => "",
    }
}

/// The target implied by a value and a reported completion rate, rounded honestly: the roundest
/// number consistent with the rate's own rounding (147.95 % means 147.945–147.955 %).
pub fn implied_target(value: f64, rate: f64, rate_decimals: u8) -> Option<f64> {
    if rate <= 0.0 || value <= 0.0 {
        return None;
    }
    // Reports round or truncate the rate: the true rate lies within half a unit below and one
    // unit above the printed digits.
    let unit = 10f64.powi(-i32::from(rate_decimals));
    let lo = value / ((rate + unit) / 100.0);
    let hi = value / ((rate - unit / 2.0).max(1e-9) / 100.0);
    let mid = value / (rate / 100.0);
    if !mid.is_finite() {
        return None;
    }
    let top = mid.abs().log10().floor() as i32 + 1;
    for exp in (-2..=top).rev() {
        let step = 10f64.powi(exp);
        let candidate = (mid / step).round() * step;
        if candidate >= lo - 1e-9 && candidate <= hi + 1e-9 && candidate > 0.0 {
            return Some(candidate);
        }
    }
    Some(mid)
}

pub(crate) fn decimals_of(x: f64) -> u8 {
    for d in 0..=4u8 {
        let scaled = x * 10f64.powi(i32::from(d));
        if (scaled - scaled.round()).abs() < 1e-6 {
            return d;
        }
    }
    4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_in_prose_is_grouped_from_five_digits_with_a_no_break_thin_space() {
        assert_eq!(prose_count(3217), "3217");
        assert_eq!(prose_count(19500), "19\u{202f}500");
        assert_eq!(prose_count(1234567), "1\u{202f}234\u{202f}567");
    }
    #[test]
    fn numbers_group_from_ten_thousand_and_keep_decimals() {
        assert_eq!(Num::new(59178.0, 0).int, "59\u{2009}178");
        assert_eq!(Num::new(4086.0, 0).int, "4086");
        let n = Num::new(160.97, 2);
        assert_eq!((n.int.as_str(), n.frac.as_str()), ("160", ".97"));
        assert_eq!(Num::new(1.5, 2).frac, ".50");
        assert_eq!(Num::new(-3.25, 1).text(), "−3.2");
    }

    #[test]
    fn implied_targets_round_honestly() {
        // 59178 persons at 147.95 % of target: the target was 40 000.
        assert_eq!(implied_target(59178.0, 147.95, 2), Some(40000.0));
        // 1547 at 206.27 %: 750.
        assert_eq!(implied_target(1547.0, 206.27, 2), Some(750.0));
        // 129 at 129 %: 100.
        assert_eq!(implied_target(129.0, 129.0, 0), Some(100.0));
        // 3 at 150 %: 2.
        assert_eq!(implied_target(3.0, 150.0, 0), Some(2.0));
        // 71 at 120.33 % (71 / 59 = 120.34 %, truncated in the report): 59.
        assert_eq!(implied_target(71.0, 120.33, 2), Some(59.0));
        // 3.54 (10 000 person-times) at 101 %: 3.5.
        assert_eq!(implied_target(3.54, 101.0, 0), Some(3.5));
        assert_eq!(implied_target(5.0, 0.0, 0), None);
    }
}
