//! What an `as_printed` form says: the number and the qualifier a reader takes from `六所`,
//! `两所`, `1万元`, `超千人`, `80多位`, `万兆` or `全省第一`, so that the check can hold the form
//! against the typed `value` and `qualifier` instead of trusting it.
//!
//! The numerals are read here, not by the `chinese-number` crate: that crate is in the build
//! through Typst with only its writing half, and turning on its reading half rebuilds Typst's
//! whole library for a parser of counts that fits in thirty lines (and is property-tested).

use crate::model::Qualifier;

/// The number and qualifier of a printed form, and the text after the number (the measure word).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Printed {
    pub number: f64,
    pub qualifier: Option<Qualifier>,
    /// What follows the number and its qualifier: `所`, `万元`, `兆` …
    pub rest: String,
}

/// Chinese numeral characters, as the article may write a count.
pub(crate) const NUMERALS: &str = "〇零一二两三四五六七八九十百千万亿";

/// Words before a number that make it inexact, longest first, with what they mean.
pub(crate) const BEFORE: &[(&str, Qualifier)] = &[
    ("超过", Qualifier::Over),
    ("超", Qualifier::Over),
    // 至少, 不少于: this figure or more, as 以上 after it; never "more than" (>).
    ("不少于", Qualifier::AtLeast),
    ("至少", Qualifier::AtLeast),
    ("将近", Qualifier::Nearly),
    ("近", Qualifier::Nearly),
    ("约", Qualifier::About),
];

/// Words right after a number (or its 万/亿) that make it inexact.
pub(crate) const RIGHT_AFTER: &[(&str, Qualifier)] = &[("余", Qualifier::Over), ("多", Qualifier::Over)];

/// Words after the measure word that make a number inexact.
pub(crate) const AFTER_UNIT: &[(&str, Qualifier)] = &[("以上", Qualifier::AtLeast), ("左右", Qualifier::About)];

/// Reads a printed form; `None` when it holds no number this parser understands.
pub(crate) fn parse(form: &str) -> Option<Printed> {
    let mut s = form.trim();
    let mut qualifier = None;
    for (word, q) in BEFORE {
        if let Some(rest) = s.strip_prefix(word) {
            s = rest;
            qualifier = Some(*q);
            break;
        }
    }
    // Ranks and runs: 全省第一, 连续两年. The number is what follows the word.
    for prefix in ["全省第", "全市第", "第", "连续"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest;
            break;
        }
    }
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let (mut number, mut rest) = if !digits.is_empty() {
        let n: f64 = digits.trim_end_matches('.').parse().ok()?;
        (n, &s[digits.len()..])
    } else {
        let numeral: String = s.chars().take_while(|c| NUMERALS.contains(*c)).collect();
        if numeral.is_empty() {
            return None;
        }
        (chinese(&numeral)?, &s[numeral.len()..])
    };
    if let Some(r) = strip_any(rest, RIGHT_AFTER, &mut qualifier) {
        rest = r;
    }
    // A scale after Arabic digits: 1.3万, 4.7万余.
    if !digits.is_empty() {
        for (word, scale) in [("万", 1e4), ("亿", 1e8)] {
            if let Some(r) = rest.strip_prefix(word) {
                number *= scale;
                rest = r;
                if let Some(r) = strip_any(rest, RIGHT_AFTER, &mut qualifier) {
                    rest = r;
                }
                break;
            }
        }
    }
    let mut rest = rest.to_string();
    for (word, q) in AFTER_UNIT {
        if let Some(r) = rest.strip_suffix(word) {
            rest = r.to_string();
            qualifier = qualifier.or(Some(*q));
            break;
        }
    }
    Some(Printed { number, qualifier, rest })
}

fn strip_any<'s>(s: &'s str, words: &[(&str, Qualifier)], qualifier: &mut Option<Qualifier>) -> Option<&'s str> {
    words.iter().find_map(|(w, q)| s.strip_prefix(w).inspect(|_| *qualifier = qualifier.or(Some(*q))))
}

/// A Chinese numeral as a number: 六, 十六, 两, 千, 三十, 一万二千, 一千零五, 万 (ten thousand).
fn chinese(numeral: &str) -> Option<f64> {
    let digit = |c: char| {
        "〇零一二三四五六七八九".find(c).map(|i| (i / '〇'.len_utf8()).saturating_sub(1)).or(match c {
            '两' => Some(2),
            _ => None,
        })
    };
    let (mut total, mut section, mut pending): (u64, u64, Option<u64>) = (0, 0, None);
    for c in numeral.chars() {
        match c {
            '〇' | '零' => pending = pending.or(Some(0)),
            '十' | '百' | '千' => {
                let unit = match c {
                    '十' => 10,
                    '百' => 100,
                    _ => 1000,
                };
                section += pending.take().unwrap_or(1) * unit;
            }
            '万' | '亿' => {
                let unit = if c == '万' { 10_000 } else { 100_000_000 };
                let part = section + pending.take().unwrap_or(0);
                total = (total + if part == 0 { 1 } else { part }) * unit;
                section = 0;
            }
            c => pending = Some(digit(c)? as u64),
        }
    }
    Some((total + section + pending.unwrap_or(0)) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(form: &str) -> (f64, Option<Qualifier>, String) {
        let r = parse(form).unwrap_or_else(|| panic!("{form} not parsed"));
        (r.number, r.qualifier, r.rest)
    }

    #[test]
    fn the_shipped_forms_read_as_the_audit_read_them() {
        assert_eq!(p("六所"), (6.0, None, "所".into()));
        assert_eq!(p("两所"), (2.0, None, "所".into()));
        assert_eq!(p("十件"), (10.0, None, "件".into()));
        assert_eq!(p("十六项"), (16.0, None, "项".into()));
        assert_eq!(p("1万元"), (10000.0, None, "元".into()));
        assert_eq!(p("超千人"), (1000.0, Some(Qualifier::Over), "人".into()));
        assert_eq!(p("80多位"), (80.0, Some(Qualifier::Over), "位".into()));
        assert_eq!(p("万兆"), (10000.0, None, "兆".into()));
        assert_eq!(p("百兆"), (100.0, None, "兆".into()));
        assert_eq!(p("全省第一"), (1.0, None, "".into()));
        assert_eq!(p("连续两年"), (2.0, None, "年".into()));
        assert_eq!(p("三十元"), (30.0, None, "元".into()));
        assert_eq!(p("1.3万余人次"), (13000.0, Some(Qualifier::Over), "人次".into()));
        assert_eq!(p("85%以上"), (85.0, Some(Qualifier::AtLeast), "%".into()));
        assert_eq!(p("至少20公里"), (20.0, Some(Qualifier::AtLeast), "公里".into()));
        assert_eq!(p("不少于3所"), (3.0, Some(Qualifier::AtLeast), "所".into()));
        assert_eq!(p("近4000万元"), (4.0e7, Some(Qualifier::Nearly), "元".into()));
        assert_eq!(p("7家"), (7.0, None, "家".into()));
        assert!(parse("所").is_none());
    }

    /// A count written out as a Chinese report writes it (十六, 一百零五, 三万零二十).
    fn write(n: u64) -> String {
        const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
        fn below_10k(n: u64, out: &mut String, leading: bool) {
            let mut zero = false;
            for (unit, name) in [(1000, "千"), (100, "百"), (10, "十"), (1, "")] {
                let d = (n / unit % 10) as usize;
                if d == 0 {
                    zero = !out.is_empty() || !leading;
                    continue;
                }
                if zero && !out.is_empty() {
                    out.push('零');
                }
                zero = false;
                // 十六, not 一十六, at the very start.
                if !(d == 1 && unit == 10 && out.is_empty() && leading) {
                    out.push_str(D[d]);
                }
                out.push_str(name);
            }
        }
        let mut out = String::new();
        if n >= 10_000 {
            below_10k(n / 10_000, &mut out, true);
            out.push('万');
            let rest = n % 10_000;
            if rest > 0 {
                if rest < 1000 {
                    out.push('零');
                }
                let mut tail = String::new();
                below_10k(rest, &mut tail, false);
                out.push_str(tail.trim_start_matches('零'));
            }
        } else {
            below_10k(n, &mut out, true);
        }
        out
    }

    #[test]
    fn written_numerals_read_back() {
        for (zh, n) in [
            ("十六", 16.0),
            ("一百零五", 105.0),
            ("三万零二十", 30020.0),
            ("一万二千", 12000.0),
            ("两千", 2000.0),
            ("亿", 1e8),
        ] {
            assert_eq!(chinese(zh), Some(n), "{zh}");
        }
        assert_eq!(write(16), "十六");
        assert_eq!(write(105), "一百零五");
        assert_eq!(write(30020), "三万零二十");
    }

    proptest! {
        /// Any count written the way the crate writes it reads back as itself, with its measure word.
        #[test]
        fn a_written_count_reads_back(n in 1u64..100_000_000, word in "[所件人项个]") {
            let zh = write(n);
            let r = parse(&format!("{zh}{word}")).unwrap();
            prop_assert_eq!(r.number, n as f64);
            prop_assert_eq!(&r.rest, &word);
            let r = parse(&format!("{n}{word}")).unwrap();
            prop_assert_eq!(r.number, n as f64);
        }

        /// A qualifier word before or after the number is read, and the number is unchanged.
        #[test]
        fn qualifier_words_are_read(n in 1u32..100_000) {
            prop_assert_eq!(parse(&format!("超{n}人")).unwrap().qualifier, Some(Qualifier::Over));
            prop_assert_eq!(parse(&format!("{n}余人")).unwrap().qualifier, Some(Qualifier::Over));
            prop_assert_eq!(parse(&format!("近{n}人")).unwrap().qualifier, Some(Qualifier::Nearly));
            prop_assert_eq!(parse(&format!("{n}人以上")).unwrap().qualifier, Some(Qualifier::AtLeast));
            prop_assert_eq!(parse(&format!("{n}人")).unwrap().qualifier, None);
            prop_assert_eq!(parse(&format!("约{n}人")).unwrap().number, n as f64);
        }
    }
}
