//! Rules for single texts: no control characters, no text longer than a workbook cell, not
//! blank, and every character printable with the bundled fonts. They point at the offending
//! character itself, also when the file spells it as an escape such as `\u001b`. Below both
//! `load` (which scans every string of a file while its spans are at hand) and `validate`.

use std::ops::Range;

use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Diagnostic, FileIdx, Rule};

/// The most characters a workbook cell holds, counted as rust_xlsxwriter and Excel count them:
/// in UTF-16 code units, so a character outside the Basic Multilingual Plane counts two.
pub(crate) const CELL_LIMIT: usize = 32_767;

/// The most characters of a sheet's print header (after Excel's `&` codes), same counting.
pub(crate) const HEADER_LIMIT: usize = 255;

/// Length as the workbook counts it.
pub(crate) fn cell_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Control characters print as nothing or break the PDF: C0 except tab, line feed and carriage
/// return, DEL, and C1 (which includes NEL).
pub(crate) fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The names the common control characters go by, for the message.
fn control_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\0' => "NUL",
        '\u{7}' => "BEL, the bell",
        '\u{8}' => "backspace",
        '\u{c}' => "form feed",
        '\u{1b}' => "ESC, which starts terminal colour codes",
        '\u{7f}' => "DEL",
        '\u{85}' => "NEL, the next-line control",
        _ => return None,
    })
}

/// Where each character of a decoded string literal sits in the file: for the literal at `span`
/// of `source`, one byte range per character of `decoded`. `None` when the literal cannot be
/// followed (then a diagnostic points at the whole literal instead).
pub(crate) fn char_spans(source: &str, span: &Range<usize>, decoded: &str) -> Option<Vec<Range<usize>>> {
    let raw = source.get(span.clone())?;
    let (open, escapes) = if raw.starts_with("\"\"\"") {
        (3, true)
    } else if raw.starts_with("'''") {
        (3, false)
    } else if raw.starts_with('"') {
        (1, true)
    } else if raw.starts_with('\'') {
        (1, false)
    } else {
        (0, false)
    };
    let body = raw.get(open..raw.len().checked_sub(open)?)?;
    let base = span.start + open;
    let mut out = Vec::new();
    let mut chars = body.char_indices().peekable();
    // A newline right after the opening quotes of a multi-line string is not part of it.
    if open == 3 {
        if body.starts_with("\r\n") {
            chars.next();
            chars.next();
        } else if body.starts_with('\n') {
            chars.next();
        }
    }
    while let Some((i, c)) = chars.next() {
        if !(escapes && c == '\\') {
            out.push(base + i..base + i + c.len_utf8());
            continue;
        }
        let (_, e) = chars.next()?;
        let hex = match e {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            ' ' | '\t' | '\r' | '\n' => {
                // A line-ending backslash: it and all whitespace up to the next text vanish.
                while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                    chars.next();
                }
                continue;
            }
            _ => 0,
        };
        let mut end = i + 1 + e.len_utf8();
        for _ in 0..hex {
            let (j, h) = chars.next()?;
            end = j + h.len_utf8();
        }
        out.push(base + i..base + end);
    }
    (out.len() == decoded.chars().count()).then_some(out)
}

/// The rules every string of a data file obeys, printed or not: no control characters and no
/// more than a cell holds. `at` locates a character by its index in `s`.
pub(crate) fn string_rules(
    file: FileIdx,
    s: &str,
    whole: Range<usize>,
    at: &dyn Fn(usize) -> Range<usize>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut controls = s.chars().enumerate().filter(|(_, c)| is_forbidden_control(*c));
    if let Some((i, c)) = controls.next() {
        let more = controls.count();
        let also = if more > 0 { format!("; the text holds {more} more") } else { String::new() };
        let name = control_name(c).map_or(String::new(), |n| format!(" ({n})"));
        out.push(
            Diagnostic::new(
                file,
                Some(at(i)),
                Rule::ControlCharacter,
                format!("the control character U+{:04X}{name} cannot be printed{also}", c as u32),
            )
            .with_hint("delete it; an escape such as `\\u001b` or `\\u0000` is usually pasted by accident"),
        );
    }
    let len = cell_len(s);
    if len > CELL_LIMIT {
        out.push(
            Diagnostic::new(
                file,
                Some(whole.start..whole.start + 1),
                Rule::TextTooLong,
                format!("the text is {len} characters long; a workbook cell holds at most {CELL_LIMIT}"),
            )
            .with_hint("shorten it; the workbook must hold every text of the book"),
        );
    }
    out
}

/// Runs [`string_rules`] over every key and string of a parsed file.
pub(crate) fn scan_file(file: FileIdx, source: &str, table: &Spanned<DeTable<'_>>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    scan_table(file, source, table.get_ref(), &mut out);
    out
}

fn scan_table(file: FileIdx, source: &str, table: &DeTable<'_>, out: &mut Vec<Diagnostic>) {
    for (k, v) in table.iter() {
        scan_string(file, source, k.get_ref(), k.span(), out);
        scan_value(file, source, v, out);
    }
}

fn scan_value(file: FileIdx, source: &str, value: &Spanned<DeValue<'_>>, out: &mut Vec<Diagnostic>) {
    match value.get_ref() {
        DeValue::String(s) => scan_string(file, source, s, value.span(), out),
        DeValue::Array(items) => items.iter().for_each(|v| scan_value(file, source, v, out)),
        DeValue::Table(t) => scan_table(file, source, t, out),
        _ => {}
    }
}

fn scan_string(file: FileIdx, source: &str, s: &str, span: Range<usize>, out: &mut Vec<Diagnostic>) {
    // Most strings are short and clean: only follow the literal when there is something to show.
    if cell_len(s) <= CELL_LIMIT && !s.chars().any(is_forbidden_control) {
        return;
    }
    let spans = char_spans(source, &span, s);
    let at = |i: usize| spans.as_ref().and_then(|v| v.get(i).cloned()).unwrap_or(span.clone());
    out.extend(string_rules(file, s, span.clone(), &at));
}

/// A printed text: not blank, and every character printable with the bundled fonts. `source` is
/// the file's text when known, to point at characters written as escapes.
pub(crate) fn printed(
    file: FileIdx,
    source: Option<&str>,
    text: &Spanned<String>,
    covered: &dyn Fn(char) -> bool,
) -> Vec<Diagnostic> {
    let s = text.get_ref();
    if s.trim().is_empty() {
        return vec![
            Diagnostic::new(file, Some(text.span()), Rule::EmptyText, "this text is empty")
                .with_hint("write the text, or remove the optional key"),
        ];
    }
    let spans = source.and_then(|src| char_spans(src, &text.span(), s));
    let mut out = Vec::new();
    for (i, (offset, c)) in s.char_indices().enumerate() {
        // Control characters have their own rule; one finding per character is enough.
        if is_forbidden_control(c) || covered(c) {
            continue;
        }
        let span = match &spans {
            Some(v) => v[i].clone(),
            None => {
                // Without the file's text, assume the literal holds the character unescaped.
                let raw = text.span().start + 1 + offset;
                raw..raw + c.len_utf8()
            }
        };
        out.push(
            Diagnostic::new(
                file,
                Some(span),
                Rule::MissingGlyph,
                format!(
                    "the character `{c}` (U+{:04X}) is not in the bundled fonts and would print as an empty box",
                    c as u32
                ),
            )
            .with_hint("replace it with a common character, or add a font that covers it to fonts/"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans_of(src: &str, decoded: &str) -> Option<Vec<String>> {
        let start = src.find(['"', '\'']).unwrap();
        let span = start..src.len();
        char_spans(src, &span, decoded).map(|v| v.into_iter().map(|r| src[r].to_string()).collect())
    }

    #[test]
    fn escapes_map_to_their_characters() {
        assert_eq!(spans_of(r#"a = "x\u001by""#, "x\u{1b}y").unwrap(), ["x", r"\u001b", "y"]);
        assert_eq!(spans_of(r#"a = "\t\U0001F600""#, "\t😀").unwrap(), [r"\t", r"\U0001F600"]);
        assert_eq!(spans_of(r#"a = '\u0000'"#, r"\u0000").unwrap().len(), 6);
        assert_eq!(spans_of("a = \"\"\"\nab\\\n   c\"\"\"", "abc").unwrap(), ["a", "b", "c"]);
        // A literal that does not decode to the given text is not followed.
        assert_eq!(spans_of(r#"a = "ab""#, "abc"), None);
    }

    #[test]
    fn controls_are_c0_del_and_c1_but_not_line_breaks_or_tabs() {
        for c in ['\0', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
            assert!(is_forbidden_control(c), "{c:?}");
        }
        for c in ['\t', '\n', '\r', ' ', 'a', '\u{200b}', '\u{2028}'] {
            assert!(!is_forbidden_control(c), "{c:?}");
        }
    }

    #[test]
    fn cells_count_utf16_units() {
        assert_eq!(cell_len("就业"), 2);
        assert_eq!(cell_len("😀"), 2);
    }
}
