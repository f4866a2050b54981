//! Traceability: every figure is looked for in the archived text of the article it names. The
//! archived texts are the office's own documents and live outside the data (`--sources DIR` or
//! `[paths] sources`); the data only names each article's file (`seed` in sources.toml).
//!
//! A figure is found when its article holds it as typed (`17.10`, `59178`), with digit grouping
//! (`59,178`), or scaled the way Chinese reports write large numbers (`5.9178万`, `1.5亿`); or,
//! when the data gives one, its `as_printed` form (`六所`, `1.3万余人次`) verbatim. Derived
//! figures are ours and are not looked for.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde_spanned::Spanned;

use crate::diagnostics::{Diagnostic, FileIdx, Rule, SourceFiles};
use crate::error::AppError;
use crate::load::{Catalogue, Edition};
use crate::model::Indicator;

/// Looks up every figure of the edition in its source's archived text.
pub fn trace(
    files: &SourceFiles,
    catalogue: &Catalogue,
    edition: &Edition,
    dir: &Path,
) -> Result<Vec<Diagnostic>, AppError> {
    if !dir.is_dir() {
        return Err(AppError::Usage(format!(
            "the folder of archived source texts `{}` does not exist; name it with --sources DIR or [paths] sources",
            dir.display()
        )));
    }
    let mut out = Vec::new();
    let mut used = std::collections::HashSet::new();
    for city in &edition.cities {
        walk(&city.city.indicators, None, &mut |ind, source| {
            used.extend(source);
            used.extend(ind.alternatives.iter().map(|a| a.source.get_ref().as_str()));
        });
    }
    // Source id → (seed file name, its normalised text if readable), for the sources in use.
    let mut texts: HashMap<&str, (&str, Option<String>)> = HashMap::new();
    if let Some(sources) = &catalogue.sources {
        // A department's return has no article: its figures are located at their cells instead.
        let articles = sources.data.source.iter().filter(|s| s.returned.is_none());
        for s in articles.filter(|s| used.contains(s.id.get_ref().as_str())) {
            // A seed that is not a plain name is an error of `check` and is never read.
            let text = crate::names::is_plain_file_name(&s.seed)
                .then(|| read_text(&dir.join(&s.seed)))
                .flatten()
                .map(|t| normalise(&t));
            if text.is_none() {
                out.push(
                    Diagnostic::new(
                        sources.file,
                        Some(s.id.span()),
                        Rule::SourceTextMissing,
                        format!(
                            "the archived text `{}` of source `{}` is not in the folder of source texts, or cannot be read",
                            s.seed,
                            s.id.get_ref()
                        ),
                    )
                    .with_hint("put the article's text there as UTF-8, or correct `seed`"),
                );
            }
            texts.insert(s.id.get_ref().as_str(), (s.seed.as_str(), text));
        }
    }
    for city in &edition.cities {
        let tracer = Tracer { file: city.file, text: files.text(city.file), texts: &texts };
        walk(&city.city.indicators, None, &mut |ind, source| tracer.figure(ind, source, &mut out));
    }
    Ok(out)
}

/// Every figure with the source it names or inherits.
fn walk<'i>(inds: &'i [Indicator], parent_source: Option<&'i str>, f: &mut dyn FnMut(&'i Indicator, Option<&'i str>)) {
    for ind in inds {
        let source = ind.source.as_ref().map(|s| s.get_ref().as_str()).or(parent_source);
        f(ind, source);
        walk(&ind.of_which, source, f);
    }
}

struct Tracer<'a> {
    file: FileIdx,
    text: &'a str,
    texts: &'a HashMap<&'a str, (&'a str, Option<String>)>,
}

impl Tracer<'_> {
    fn figure(&self, ind: &Indicator, source: Option<&str>, out: &mut Vec<Diagnostic>) {
        if let Some(source) = source
            && !ind.derived
        {
            match &ind.as_printed {
                Some(p) => self.look_for_printed(p, source, out),
                None => {
                    if let Some(value) = &ind.value {
                        self.look_for(value, source, out);
                    }
                }
            }
            for n in [&ind.target, &ind.completion, &ind.previous].into_iter().flatten() {
                self.look_for(n, source, out);
            }
        }
        for alt in &ind.alternatives {
            match &alt.as_printed {
                Some(p) => self.look_for_printed(p, alt.source.get_ref(), out),
                None => self.look_for(&alt.value, alt.source.get_ref(), out),
            }
        }
    }

    /// The article's text, or `None` when it is unknown or unreadable (reported once, elsewhere).
    fn article(&self, source: &str) -> Option<(&str, &str)> {
        self.texts.get(source).and_then(|(seed, text)| text.as_deref().map(|t| (*seed, t)))
    }

    fn look_for(&self, n: &Spanned<f64>, source: &str, out: &mut Vec<Diagnostic>) {
        let Some((seed, article)) = self.article(source) else { return };
        let literal = self.text.get(n.span()).unwrap_or("").replace('_', "");
        if written_forms(&literal, *n.get_ref()).iter().any(|form| contains_number(article, form)) {
            return;
        }
        out.push(
            self.untraced(n.span(), format!("`{literal}` is not in the archived text of source `{source}` ({seed})")),
        );
    }

    fn look_for_printed(&self, p: &Spanned<String>, source: &str, out: &mut Vec<Diagnostic>) {
        let Some((seed, article)) = self.article(source) else { return };
        if !p.get_ref().trim().is_empty() && article.contains(&normalise(p.get_ref())) {
            return;
        }
        out.push(self.untraced(
            p.span(),
            format!("`{}` (as_printed) is not in the archived text of source `{source}` ({seed})", p.get_ref()),
        ));
    }

    fn untraced(&self, span: Range<usize>, message: String) -> Diagnostic {
        Diagnostic::new(self.file, Some(span), Rule::Untraced, message).with_hint(
            "check the figure against its article; where the article writes it differently (Chinese numerals, \
             万), give that form as `as_printed = \"…\"`",
        )
    }
}

/// Full-width digits and punctuation as ASCII, so `５９１７８` and `59178` are one figure.
fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '，' => ',',
            '％' => '%',
            c => c,
        })
        .collect()
}

/// How an article may write a value typed as `literal`.
fn written_forms(literal: &str, value: f64) -> Vec<String> {
    let mut forms = vec![literal.trim_start_matches('+').to_string()];
    if value.fract() == 0.0 && value.abs() >= 1000.0 && value.abs() < 1e15 {
        forms.push(grouped(value as i64));
    }
    for (scale, word) in [(1e4, "万"), (1e8, "亿")] {
        if value.abs() >= scale {
            forms.push(format!("{}{word}", trimmed(value / scale)));
        }
    }
    forms
}

fn trimmed(x: f64) -> String {
    let s = format!("{x:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn grouped(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Whether `form` occurs in `text` as a whole number: not inside a longer one (`98` is not in
/// `1985`), and a decimal may carry trailing zeros (`17.1` is in `17.10`).
fn contains_number(text: &str, form: &str) -> bool {
    if form.is_empty() {
        return false;
    }
    let is_digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
    let mut from = 0;
    while let Some(pos) = text[from..].find(form) {
        let start = from + pos;
        let mut end = start + form.len();
        let before = text[..start].chars().next_back();
        // Part of a longer number: a digit touches it, or a decimal point with a digit beyond.
        let joined_before =
            is_digit(before) || (before == Some('.') && is_digit(text[..start - 1].chars().next_back()));
        if form.contains('.') {
            while text[end..].starts_with('0') {
                end += 1;
            }
        }
        let after = text[end..].chars().next();
        let joined_after = is_digit(after) || (after == Some('.') && is_digit(text[end + 1..].chars().next()));
        if !joined_before && !joined_after {
            return true;
        }
        from = start + form.len().max(1);
    }
    false
}

/// An archived article: far under this size (the shipped ones are a few KiB).
const LONGEST_TEXT: u64 = 16 << 20;

/// The text of a regular file of bounded size; nothing for a folder, FIFO or device (a FIFO
/// would block the check, a device such as /dev/zero would fill the memory).
fn read_text(path: &Path) -> Option<String> {
    use std::io::Read as _;
    // Asked before opening: opening a FIFO waits for a writer.
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > LONGEST_TEXT {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    file.take(LONGEST_TEXT).read_to_string(&mut text).ok()?;
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_whole_and_in_their_written_forms() {
        let text = normalise("培训59178人，1985年，完成率98%，资金17.10亿元，参保４.６８万人，1.3万余人次，12,345户");
        assert!(contains_number(&text, "59178"));
        assert!(!contains_number(&text, "5917"));
        assert!(!contains_number(&text, "98.5"));
        assert!(contains_number(&text, "98"));
        assert!(!contains_number(&text, "198"), "not inside 1985");
        assert!(contains_number(&text, "17.1"), "trailing zeros may follow");
        assert!(contains_number(&text, "4.68"), "full-width digits count");
        assert!(written_forms("59178", 59178.0).contains(&"5.9178万".to_string()));
        assert!(written_forms("12345", 12345.0).iter().any(|f| contains_number(&text, f)));
        assert!(!contains_number(&text, "3"), "not inside 1.3 or other numbers");
    }
}
