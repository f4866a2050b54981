//! The year of an edition. Years cross every stage (the configuration names one, the plan adds
//! the one before, the book prints both, an archive is filed under one), and a year is not a
//! count: one type keeps "the edition before" a step in the calendar, not a subtraction that
//! may be done twice or on the wrong number.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A calendar year of an edition (2025), four digits, as the data folders are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Year(i32);

impl Year {
    /// The earliest and latest year a folder name, a PDF date and a workbook date can carry.
    pub const FIRST: i32 = 1900;
    pub const LAST: i32 = 9999;

    /// A year in 1900–9999, or `None`.
    pub fn new(year: i32) -> Option<Year> {
        (Year::FIRST..=Year::LAST).contains(&year).then_some(Year(year))
    }

    pub fn get(self) -> i32 {
        self.0
    }

    /// The edition before this one: the year whose figures this edition compares with.
    pub fn previous(self) -> Year {
        Year(self.0 - 1)
    }

    /// The edition after this one: the year a collection round gathers.
    pub fn next(self) -> Year {
        Year(self.0 + 1)
    }

    /// This year, `years` back (for the oldest reference year a figure may have).
    pub fn back(self, years: i32) -> i32 {
        self.0 - years
    }
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Year {
    type Err = String;

    /// Four digits in 1900–9999, as a data folder is named (`--year 2025`).
    fn from_str(s: &str) -> Result<Year, String> {
        s.parse::<i32>()
            .ok()
            .filter(|_| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(Year::new)
            .ok_or_else(|| format!("`{s}` is not a year: write four digits from 1900 to 9999, e.g. 2025"))
    }
}

impl From<Year> for i64 {
    fn from(year: Year) -> i64 {
        i64::from(year.0)
    }
}

impl PartialEq<i32> for Year {
    fn eq(&self, other: &i32) -> bool {
        self.0 == *other
    }
}

impl PartialOrd<i32> for Year {
    fn partial_cmp(&self, other: &i32) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_is_four_digits_in_range_and_steps_by_editions() {
        let y: Year = "2025".parse().unwrap();
        assert_eq!((y.previous(), y.next()), (Year(2024), Year(2026)));
        assert_eq!(y.to_string(), "2025");
        assert_eq!(y.back(10), 2015);
        for bad in ["25", "02025", "+2025", "１２３４", "1899", "abcd", ""] {
            assert!(bad.parse::<Year>().is_err(), "{bad}");
        }
        assert!(Year::new(10_000).is_none());
    }
}
