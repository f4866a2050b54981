//! Numbers as clerks type them into a workbook: stored as text, in full-width digits, with digit
//! grouping, as `1.2万`, or followed by the row's own unit. Anything else is refused with the
//! reason, never read as zero.

/// Why a text is not a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotANumber {
    /// Nothing but blanks.
    Empty,
    /// Words or signs that are not part of a number.
    Words,
    /// Commas that do not group digits by three (`1,2`: a decimal comma?).
    Grouping,
    /// A unit other than the row's.
    OtherUnit(String),
    /// Too large to be a figure.
    TooLarge,
}

impl NotANumber {
    /// What the finding says and how to fix it.
    pub fn hint(&self, unit: &str) -> String {
        match self {
            NotANumber::Empty => "enter a number or leave the cell empty".into(),
            NotANumber::Words => format!("enter the figure as a number in {unit}, e.g. 1234 or 1.2万"),
            NotANumber::Grouping => "group digits by three (12,345) and write the decimal point as `.`".into(),
            NotANumber::OtherUnit(u) => format!("the row's unit is {unit}, not {u}: convert the figure to {unit}"),
            NotANumber::TooLarge => "check for extra digits".into(),
        }
    }
}

/// Reads `text` as a number in the unit whose Chinese name is `unit` (which may follow it).
pub fn parse(text: &str, unit: &str) -> Result<f64, NotANumber> {
    let mut s: String = text.chars().filter_map(halfwidth).collect();
    s = s.trim().to_string();
    if s.is_empty() {
        return Err(NotANumber::Empty);
    }
    if !unit.is_empty()
        && let Some(rest) = s.strip_suffix(unit)
    {
        s = rest.trim_end().to_string();
    }
    let mut factor = 1.0;
    if let Some(rest) = s.strip_suffix('万') {
        factor = 1e4;
        s = rest.trim_end().to_string();
    } else if let Some(rest) = s.strip_suffix('亿') {
        factor = 1e8;
        s = rest.trim_end().to_string();
    }
    let digits_end = s.rfind(|c: char| c.is_ascii_digit()).map_or(0, |i| i + 1);
    let tail = s[digits_end..].trim();
    if !tail.is_empty() && digits_end > 0 {
        let numeric = s[..digits_end].trim();
        if plain(numeric).is_some() {
            return Err(NotANumber::OtherUnit(tail.to_string()));
        }
    }
    let v = plain(&s)
        .ok_or_else(|| if s.contains(',') && grouping_only(&s) { NotANumber::Grouping } else { NotANumber::Words })?;
    let v = v * factor;
    if !v.is_finite() || v.abs() >= 1e15 {
        return Err(NotANumber::TooLarge);
    }
    Ok(v)
}

/// A plain decimal, with an optional sign and commas (or spaces) grouping by three.
fn plain(s: &str) -> Option<f64> {
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if let Some(f) = frac
        && (f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let int = if int.contains([',', ' ']) {
        let groups: Vec<&str> = int.split([',', ' ']).collect();
        let first_ok = (1..=3).contains(&groups[0].len());
        if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
        groups.concat()
    } else {
        int.to_string()
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let text = match frac {
        Some(f) => format!("{int}.{f}"),
        None => int,
    };
    text.parse::<f64>().ok().map(|v| sign * v)
}

/// Digits, commas and at most one point: a grouping mistake rather than words.
fn grouping_only(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    s.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.') && s.matches('.').count() <= 1
}

/// Full-width forms to ASCII; invisible blanks dropped.
fn halfwidth(c: char) -> Option<char> {
    match c {
        '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFF10 + u32::from(b'0')),
        '．' | '。' => Some('.'),
        '，' | '、' => Some(','),
        '－' | '−' => Some('-'),
        '＋' => Some('+'),
        '％' => Some('%'),
        '\u{00A0}' | '\u{3000}' | '\u{2009}' | '\u{202F}' => Some(' '),
        '\u{200B}' | '\u{FEFF}' => None,
        _ => Some(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clerks_numbers_are_understood() {
        assert_eq!(parse("1234", "人"), Ok(1234.0));
        assert_eq!(parse(" 12,345.5 ", "人"), Ok(12345.5));
        assert_eq!(parse("１２３４５", "人"), Ok(12345.0));
        assert_eq!(parse("１２，３４５．５", "人"), Ok(12345.5));
        assert_eq!(parse("1.2万", "人"), Ok(12000.0));
        assert_eq!(parse("1.2万人", "人"), Ok(12000.0));
        assert_eq!(parse("3.5万人", "万人"), Ok(3.5));
        assert_eq!(parse("73所", "所"), Ok(73.0));
        assert_eq!(parse("98.5%", "%"), Ok(98.5));
        assert_eq!(parse("-3", "人"), Ok(-3.0));
        assert_eq!(parse("2 345", "人"), Ok(2345.0));
    }

    #[test]
    fn anything_else_is_refused_never_zero() {
        assert_eq!(parse("abc", "人"), Err(NotANumber::Words));
        assert_eq!(parse("", "人"), Err(NotANumber::Empty));
        assert_eq!(parse("1,2", "人"), Err(NotANumber::Grouping));
        assert_eq!(parse("12,34,567", "人"), Err(NotANumber::Grouping));
        assert_eq!(parse("73所", "人"), Err(NotANumber::OtherUnit("所".into())));
        assert_eq!(parse("约100", "人"), Err(NotANumber::Words));
        assert_eq!(parse("1.2.3", "人"), Err(NotANumber::Words));
        assert_eq!(parse("1e400", "人"), Err(NotANumber::Words));
        assert_eq!(parse("9999999999999999", "人"), Err(NotANumber::TooLarge));
    }
}
