//! Traceability: every figure is looked for in the archived text of the article it names, at its
//! place. The archived texts are the office's own documents and live outside the data
//! (`--sources DIR` or `[paths] sources`); the data only names each article's file (`seed` in
//! sources.toml).
//!
//! A figure is found where its number stands as a whole token (`1` is not in `72.01`), typed
//! (`17.10`), grouped (`59,178`), scaled (`5.9178万`) or, when the data gives one, in its
//! `as_printed` form (`六所`), and where what a reader checks stands beside it: the unit's
//! measure word right after it, the qualifier word (超, 余, 以上, 近 …) exactly when the data has
//! a qualifier, and the indicator's own words (the Chinese name's terms, or the clerk's `cue`)
//! in the stretch of the sentence that belongs to this number. Completion rates, stated targets
//! and earlier values are looked for in the same sentence; the sentence's years and plan words
//! are held against the figure's reference year and status. Derived figures are ours and are
//! not looked for. Findings name the place in the archived text by line and column and quote
//! no more of the article than a word or two.

pub(crate) mod printed;

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde_spanned::Spanned;

use crate::diagnostics::{Diagnostic, FileIdx, Rule, SourceFiles};
use crate::error::AppError;
use crate::load::{Catalogue, Edition};
use crate::model::{Indicator, Qualifier, UnitKind};

/// Looks up every figure of the edition in its source's archived text.
pub(crate) fn trace(
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
        walk(&city.city.indicators, None, &mut |ind, parent| {
            used.extend(source_of(ind, parent));
            used.extend(ind.alternatives.iter().map(|a| a.source.get_ref().as_str()));
        });
    }
    let mut texts: HashMap<&str, (&str, Option<Article>)> = HashMap::new();
    if let Some(sources) = &catalogue.sources {
        // A department's return has no article: its figures are located at their cells instead.
        let articles: Vec<&crate::model::Source> =
            sources.data.source.iter().filter(|s| s.returned.is_none()).collect();
        let mut raw: HashMap<&str, Option<String>> = HashMap::new();
        for s in articles.iter().filter(|s| used.contains(s.id.get_ref().as_str())) {
            // A seed that is not a plain name is an error of `check` and is never read.
            let file = raw.entry(s.seed.as_str()).or_insert_with(|| {
                crate::names::is_plain_file_name(&s.seed).then(|| read_text(&dir.join(&s.seed))).flatten()
            });
            let Some(whole) = file.as_deref() else {
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
                texts.insert(s.id.get_ref().as_str(), (s.seed.as_str(), None));
                continue;
            };
            // Several articles in one file (a newspaper page): this one's lines only.
            let text = match s.lines.as_ref().map(|l| (l, *l.get_ref())) {
                None => Some(Article::new_at(whole, 0)),
                // Refused by `check` (seed-lines); nothing is looked for in it.
                Some((_, [first, last])) if first == 0 || first > last => None,
                Some((l, [first, last])) => {
                    let lines: Vec<&str> = whole.split_inclusive('\n').collect();
                    if last <= lines.len() {
                        Some(Article::new_at(&lines[first - 1..last].concat(), first - 1))
                    } else {
                        out.push(
                            Diagnostic::new(
                                sources.file,
                                Some(l.span()),
                                Rule::SeedLines,
                                format!(
                                    "`lines = [{first}, {last}]` goes past the end of `{}`, which has {} lines",
                                    s.seed,
                                    lines.len()
                                ),
                            )
                            .with_hint("give the lines of the article in the archived file as it is now"),
                        );
                        None
                    }
                }
            };
            texts.insert(s.id.get_ref().as_str(), (s.seed.as_str(), text));
        }
    }
    let mut units: HashMap<&str, (&str, UnitKind)> = HashMap::new();
    if let Some(u) = &catalogue.units {
        for unit in &u.data.unit {
            units.insert(unit.id.get_ref().as_str(), (unit.zh.get_ref().as_str(), unit.kind));
        }
    }
    let unit_chars: String = units.values().flat_map(|(zh, _)| zh.chars()).collect();
    for city in &edition.cities {
        let tracer = Tracer {
            file: city.file,
            text: files.text(city.file),
            texts: &texts,
            units: &units,
            unit_chars: &unit_chars,
            edition_year: i64::from(edition.year),
        };
        walk(&city.city.indicators, None, &mut |ind, parent| tracer.figure(ind, parent, &mut out));
    }
    Ok(out)
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

/// Every figure with its parent, if it is an "of which" part.
fn walk<'i>(
    inds: &'i [Indicator],
    parent: Option<&'i Indicator>,
    f: &mut dyn FnMut(&'i Indicator, Option<&'i Indicator>),
) {
    for ind in inds {
        f(ind, parent);
        walk(&ind.of_which, Some(ind), f);
    }
}

fn source_of<'i>(ind: &'i Indicator, parent: Option<&'i Indicator>) -> Option<&'i str> {
    ind.source.as_ref().or(parent.and_then(|p| p.source.as_ref())).map(|s| s.get_ref().as_str())
}

/// An archived text, normalised, with where each of its characters stands in the archived file.
pub(crate) struct Article {
    text: String,
    /// For each character of `text`: its byte offset there, and its line and column in the file.
    marks: Vec<(usize, u32, u32)>,
}

impl Article {
    /// Normalises the text and joins the lines the archive broke inside a sentence (`活\n\n动`):
    /// a break after a character that ends no sentence, between lines that are not headings.
    /// `raw` starts at line `first + 1` of its archived file, so places are the file's.
    pub(crate) fn new_at(raw: &str, first: usize) -> Self {
        let first = first as u32;
        let lines: Vec<&str> = raw.split('\n').collect();
        let mut text = String::new();
        let mut marks = Vec::new();
        let mut pending_break = false;
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_end();
            if trimmed.trim().is_empty() {
                continue;
            }
            if pending_break {
                let prev = text.chars().next_back();
                let joins = prev.is_some_and(|c| is_han(c) || c.is_ascii_digit() || ",，、“‘《(（".contains(c))
                    && !trimmed.starts_with('#')
                    && !last_line_is_heading(&text);
                if !joins {
                    marks.push((text.len(), first + i as u32, 0));
                    text.push('\n');
                }
            }
            for (col, c) in trimmed.chars().enumerate() {
                marks.push((text.len(), first + i as u32 + 1, col as u32 + 1));
                text.push(normal_char(c));
            }
            pending_break = true;
        }
        Article { text, marks }
    }

    /// 1-based line and column (in characters) in the archived file of a byte offset of `text`.
    fn place(&self, at: usize) -> (u32, u32) {
        let i = self.marks.partition_point(|m| m.0 < at).min(self.marks.len().saturating_sub(1));
        self.marks.get(i).map_or((1, 1), |m| (m.1, m.2))
    }

    /// The sentence around `at`: up to the nearest 。！？；or line break either side.
    fn sentence(&self, at: usize) -> Range<usize> {
        let end_of = |c: char| "。！？!?；;\n".contains(c);
        let start = self.text[..at].char_indices().rev().find(|(_, c)| end_of(*c)).map_or(0, |(i, c)| i + c.len_utf8());
        let end = self.text[at..].char_indices().find(|(_, c)| end_of(*c)).map_or(self.text.len(), |(i, _)| at + i);
        start..end
    }

    /// The paragraph around `at`.
    fn paragraph(&self, at: usize) -> Range<usize> {
        let start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = self.text[at..].find('\n').map_or(self.text.len(), |i| at + i);
        start..end
    }
}

/// Full-width digits and punctuation as ASCII, so `５９１７８` and `59178` are one figure.
fn normalise(text: &str) -> String {
    text.chars().map(normal_char).collect()
}

fn normal_char(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '．' => '.',
        '％' => '%',
        '：' => ':',
        c => c,
    }
}

fn last_line_is_heading(text: &str) -> bool {
    text.rsplit('\n').next().is_some_and(|l| l.starts_with('#'))
}

/// The numbers written in digits in `range` of `text`: maximal runs of digits with their
/// grouping commas and decimal point.
fn tokens(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = range.start;
    while i < range.end {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < range.end {
                let joins = (b[i] == b'.' || b[i] == b',') && i + 1 < range.end && b[i + 1].is_ascii_digit();
                if b[i].is_ascii_digit() || joins {
                    i += 1;
                } else {
                    break;
                }
            }
            out.push(start..i);
        } else {
            i += 1;
        }
    }
    out
}

/// How an article may write a value typed as `literal`: the form and the scale word it carries.
fn written_forms(literal: &str, value: f64) -> Vec<(String, &'static str)> {
    let mut forms = vec![(literal.trim_start_matches('+').to_string(), "")];
    if value.fract() == 0.0 && value.abs() >= 1000.0 && value.abs() < 1e15 {
        forms.push((grouped(value as i64), ""));
    }
    for (scale, word) in [(1e4, "万"), (1e8, "亿")] {
        if value.abs() >= scale {
            forms.push((trimmed(value / scale), word));
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

/// Where `form` stands in `text` as a whole token: not inside a longer number (`98` is not in
/// `1985`, `1万元` not in `72.01万元`, `六所` not in `十六所`); a decimal may carry trailing
/// zeros (`17.1` is in `17.10`). Each hit is the token's byte range.
fn find_whole(text: &str, form: &str) -> Vec<Range<usize>> {
    let mut hits = Vec::new();
    if form.is_empty() {
        return hits;
    }
    let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
    let numeral = |c: Option<char>| c.is_some_and(|c| printed::NUMERALS.contains(c));
    let first = form.chars().next();
    let last = form.chars().next_back();
    let mut from = 0;
    while let Some(pos) = text[from..].find(form) {
        let start = from + pos;
        let mut end = start + form.len();
        let before = text[..start].chars().next_back();
        let joined_before = (digit(first)
            && (digit(before) || (before == Some('.') && digit(text[..start - 1].chars().next_back()))))
            || (numeral(first) && numeral(before));
        if form.contains('.') && digit(last) {
            while text[end..].starts_with('0') {
                end += 1;
            }
        }
        let after = text[end..].chars().next();
        let joined_after = (digit(last)
            && (digit(after) || (matches!(after, Some('.') | Some(',')) && digit(text[end + 1..].chars().next()))))
            || (numeral(last) && numeral(after) && !printed::NUMERALS.starts_with(after.unwrap_or(' ')));
        if !joined_before && !joined_after {
            hits.push(start..end);
        }
        from = start + form.chars().next().map_or(1, char::len_utf8);
    }
    hits
}

/// A year as a date (2025年), not a figure: it ends no stretch of a sentence.
fn is_year(text: &str, t: &Range<usize>) -> bool {
    t.len() == 4
        && text[t.end..].starts_with('年')
        && text[t.clone()].parse::<i64>().is_ok_and(|y| (1949..=2100).contains(&y))
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// What stands around one place where the figure's number was found.
struct Place {
    at: Range<usize>,
    unit: bool,
    qualifier: Option<Qualifier>,
    cue: bool,
}

/// One figure's context as the data gives it.
struct Figure<'i> {
    name: &'i str,
    cue: Option<&'i str>,
    unit: Option<(&'i str, UnitKind)>,
    qualifier: Option<Qualifier>,
    previous: Option<f64>,
    as_printed: bool,
}

struct Tracer<'a> {
    file: FileIdx,
    text: &'a str,
    texts: &'a HashMap<&'a str, (&'a str, Option<Article>)>,
    units: &'a HashMap<&'a str, (&'a str, UnitKind)>,
    /// Every character of every unit's measure word: list separators, not indicator words.
    unit_chars: &'a str,
    edition_year: i64,
}

impl Tracer<'_> {
    fn figure(&self, ind: &Indicator, parent: Option<&Indicator>, out: &mut Vec<Diagnostic>) {
        for alt in &ind.alternatives {
            let source = alt.source.get_ref();
            match &alt.as_printed {
                Some(p) => {
                    self.check_printed(p, alt.value.get_ref(), None, ind, parent, out);
                    self.anywhere_printed(p, source, out);
                }
                None => self.anywhere(&alt.value, source, out),
            }
        }
        let Some(source) = source_of(ind, parent) else { return };
        if ind.derived {
            return;
        }
        let Some((seed, article)) = self.article(source) else { return };
        let unit_id = ind.unit.as_ref().or(parent.and_then(|p| p.unit.as_ref()));
        let fig = Figure {
            name: ind.name.zh(),
            cue: ind.cue.as_ref().map(|c| c.get_ref().as_str()).filter(|c| !c.trim().is_empty()),
            unit: unit_id.and_then(|u| self.units.get(u.get_ref().as_str()).copied()),
            qualifier: ind.qualifier,
            previous: ind.previous.as_ref().map(|p| *p.get_ref()),
            as_printed: ind.as_printed.is_some(),
        };
        // The number that stands for the figure: its value, or a plan's target.
        let (main, main_is_value) = match (&ind.value, &ind.target) {
            (Some(v), _) => (v, true),
            (None, Some(t)) => (t, false),
            (None, None) => return,
        };
        if let Some(p) = &ind.as_printed {
            self.check_printed(p, main.get_ref(), Some(ind.qualifier), ind, parent, out);
        }
        let forms: Vec<(String, &str)> = match &ind.as_printed {
            Some(p) => vec![(normalise(p.get_ref().trim()), "")],
            None => written_forms(&self.literal(main), *main.get_ref()),
        };
        let places: Vec<Place> = forms
            .iter()
            .flat_map(|(form, scale)| {
                find_whole(&article.text, form).into_iter().map(|at| self.place(article, at, scale, &fig))
            })
            .collect();
        let span = ind.as_printed.as_ref().map_or(main.span(), |p| p.span());
        let shown = ind.as_printed.as_ref().map_or_else(|| self.literal(main), |p| p.get_ref().clone());
        let Some(best) = places.iter().max_by_key(|p| {
            (u8::from(p.unit) + u8::from(p.qualifier == fig.qualifier) + u8::from(p.cue), usize::MAX - p.at.start)
        }) else {
            out.push(self.untraced(span, &format!("`{shown}`"), source, seed));
            return;
        };
        if !(best.unit && best.qualifier == fig.qualifier && best.cue) {
            let (line, col) = article.place(best.at.start);
            let mut missing = Vec::new();
            if !best.unit {
                missing.push(format!("without its unit {}", fig.unit.map_or("?", |u| u.0)));
            }
            match (best.qualifier, fig.qualifier) {
                (Some(found), None) => {
                    missing.push(format!("with {} (a qualifier the data does not give)", qualifier_word(found)));
                }
                (None, Some(q)) => {
                    missing.push(format!("with no qualifier word where the data has `{}`", qualifier_key(q)));
                }
                (Some(found), Some(q)) if found != q => {
                    missing.push(format!("with {} where the data has `{}`", qualifier_word(found), qualifier_key(q)));
                }
                _ => {}
            }
            if !best.cue {
                missing.push(match fig.cue {
                    Some(c) => format!("away from its cue `{c}`"),
                    None => "away from the indicator's words".to_string(),
                });
            }
            out.push(
                Diagnostic::new(
                    self.file,
                    Some(span),
                    Rule::TraceContext,
                    format!("`{shown}` stands in {seed} at {line}:{col} {}", missing.join(", ")),
                )
                .with_hint(
                    "check the figure against that sentence: the unit, the qualifier (超/余/多 over, 以上 at-least, 近 nearly, 约 about) and the indicator; \
                     where the name paraphrases the article, give a few of the sentence's own characters as `cue = \"…\"`",
                ),
            );
            return;
        }
        // The number may stand more than once with its words (a headline, then the text): the
        // place whose sentence also holds the rate, target and earlier value is the figure's.
        let full: Vec<&Place> = places.iter().filter(|p| p.unit && p.qualifier == fig.qualifier && p.cue).collect();
        let mut chosen = None;
        for p in &full {
            let mut found = Vec::new();
            self.beside(ind, main_is_value, article, seed, source, &p.at, &mut found);
            if found.is_empty() {
                chosen = Some(p.at.clone());
                break;
            }
        }
        let at = match chosen {
            Some(at) => at,
            None => {
                let at = full.first().map_or(best.at.clone(), |p| p.at.clone());
                self.beside(ind, main_is_value, article, seed, source, &at, out);
                at
            }
        };
        let sentence = article.sentence(at.start);
        self.status(ind, main_is_value, article, seed, &at, sentence.clone(), span.clone(), out);
        self.years(ind, parent, article, seed, &at, sentence, out);
    }

    /// The completion rate, a stated target and an earlier value beside the figure at `at`.
    #[allow(clippy::too_many_arguments)]
    fn beside(
        &self,
        ind: &Indicator,
        main_is_value: bool,
        article: &Article,
        seed: &str,
        source: &str,
        at: &Range<usize>,
        out: &mut Vec<Diagnostic>,
    ) {
        let sentence = article.sentence(at.start);
        if let Some(c) = &ind.completion {
            self.completion(c, article, seed, source, at, sentence, out);
        }
        let paragraph = article.paragraph(at.start);
        if main_is_value {
            for n in [&ind.target, &ind.previous].into_iter().flatten() {
                self.in_sentence(n, article, seed, source, at, paragraph.clone(), out);
            }
        } else if let Some(n) = &ind.previous {
            self.in_sentence(n, article, seed, source, at, paragraph, out);
        }
    }

    /// The article's text, or `None` when it is unknown or unreadable (reported once, elsewhere).
    fn article(&self, source: &str) -> Option<(&str, &Article)> {
        self.texts.get(source).and_then(|(seed, text)| text.as_ref().map(|t| (*seed, t)))
    }

    fn literal(&self, n: &Spanned<f64>) -> String {
        self.text.get(n.span()).unwrap_or("").replace('_', "")
    }

    /// What stands around the number at `at`.
    fn place(&self, article: &Article, at: Range<usize>, scale: &str, fig: &Figure) -> Place {
        let text = &article.text;
        let mut qualifier = None;
        for (word, q) in printed::BEFORE {
            if text[..at.start].ends_with(word) {
                qualifier = Some(*q);
                break;
            }
        }
        if fig.as_printed {
            // The printed form carries its own qualifier and measure word.
            if let Some(p) = printed::parse(&text[at.clone()]) {
                qualifier = qualifier.or(p.qualifier);
            }
        }
        // After the number: line breaks inside a word are the archive's, not the article's.
        let mut rest: String = text[at.end..].chars().filter(|c| !c.is_whitespace()).take(16).collect();
        let mut right_after = |rest: &mut String| {
            for (w, q) in printed::RIGHT_AFTER {
                if let Some(r) = rest.strip_prefix(w) {
                    *rest = r.to_string();
                    qualifier = qualifier.or(Some(*q));
                }
            }
        };
        right_after(&mut rest);
        if !scale.is_empty() {
            rest = rest.strip_prefix(scale).map_or_else(|| "\u{0}".to_string(), str::to_string);
            right_after(&mut rest);
        } else if let Some(w) = rest.chars().next().filter(|c| matches!(c, '万' | '亿')) {
            // 1.3万余人次 with unit 万人次: the qualifier sits inside the measure word.
            let mut inner = rest[w.len_utf8()..].to_string();
            right_after(&mut inner);
            rest = format!("{w}{inner}");
        }
        // A range (7至8折): the measure word follows the second number.
        for dash in ['至', '—', '-'] {
            if let Some(r) = rest.strip_prefix(dash) {
                let digits = r.chars().take_while(|c| c.is_ascii_digit() || *c == '.').count();
                if digits > 0 {
                    rest = r[digits..].to_string();
                }
                break;
            }
        }
        self.finish(article, at, fig, qualifier, &rest)
    }

    fn finish(
        &self,
        article: &Article,
        at: Range<usize>,
        fig: &Figure,
        mut qualifier: Option<Qualifier>,
        rest: &str,
    ) -> Place {
        let stretch = self.stretch(article, &at, fig);
        let unit = match fig.unit {
            _ if fig.as_printed => true,
            None => true,
            Some((zh, kind)) => {
                let head = zh.split('/').next().unwrap_or(zh);
                let after_unit = rest.strip_prefix(head);
                if let Some(r) = after_unit {
                    for (w, q) in printed::AFTER_UNIT {
                        if r.starts_with(w) {
                            qualifier = qualifier.or(Some(*q));
                        }
                    }
                }
                after_unit.is_some()
                    || (matches!(kind, UnitKind::Rate | UnitKind::Other) && article.text[stretch.clone()].contains(zh))
            }
        };
        let cue = match fig.cue {
            Some(c) => {
                let sentence = article.sentence(at.start);
                article.text[sentence.start..at.start].contains(c) || article.text[stretch.clone()].contains(c)
            }
            None => name_covered(fig.name, &article.text[stretch]),
        };
        Place { at, unit, qualifier, cue }
    }

    /// The stretch of the sentence that belongs to the number at `at`: from the number before it
    /// to the number after it. A bare list item (`、69.8%`) reaches back to the words that lead
    /// the list; the figure's own earlier value (`从600元提至1000元`) does not end it.
    fn stretch(&self, article: &Article, at: &Range<usize>, fig: &Figure) -> Range<usize> {
        let text = &article.text;
        let sentence = article.sentence(at.start);
        let toks: Vec<Range<usize>> =
            tokens(text, sentence.clone()).into_iter().filter(|t| !is_year(text, t) || t == at).collect();
        let previous = fig.previous.map(trimmed);
        let before: Vec<&Range<usize>> = toks
            .iter()
            .filter(|t| t.end <= at.start)
            .filter(|t| previous.as_deref() != Some(&text[(*t).clone()]))
            .collect();
        let mut start = sentence.start;
        let mut upto = at.start;
        for t in before.iter().rev() {
            let segment = &text[t.end..upto];
            let bare = segment
                .chars()
                .all(|c| !is_han(c) || "、和与及或分别为达到是".contains(c) || self.unit_chars.contains(c));
            if !bare {
                start = t.end;
                break;
            }
            upto = t.start;
        }
        let end = toks.iter().find(|t| t.start >= at.end).map_or(sentence.end, |t| t.start);
        start..end.max(at.end)
    }

    /// The completion rate is the first percentage after the value in its sentence.
    #[allow(clippy::too_many_arguments)]
    fn completion(
        &self,
        c: &Spanned<f64>,
        article: &Article,
        seed: &str,
        source: &str,
        at: &Range<usize>,
        sentence: Range<usize>,
        out: &mut Vec<Diagnostic>,
    ) {
        let text = &article.text;
        let literal = self.literal(c);
        let is_rate = |t: &Range<usize>| text[t.end..].starts_with('%');
        // 分别达…102%、101%、106%: the rates follow the figures in their order.
        let rate = match text[at.end..sentence.end].find("分别") {
            Some(k) => {
                let respectively = at.end + k;
                let figures: Vec<Range<usize>> = tokens(text, sentence.start..respectively)
                    .into_iter()
                    .filter(|t| !is_rate(t) && !is_year(text, t))
                    .collect();
                let nth = figures.iter().position(|t| t.start == at.start);
                let rates: Vec<Range<usize>> =
                    tokens(text, respectively..sentence.end).into_iter().filter(|t| is_rate(t)).collect();
                nth.and_then(|i| rates.get(i).cloned())
            }
            None => tokens(text, at.end..sentence.end).into_iter().find(|t| is_rate(t)),
        };
        if let Some(r) = &rate
            && find_whole(&text[..r.end], &literal).iter().any(|h| h.start == r.start)
        {
            return;
        }
        if find_whole(text, &literal).is_empty() {
            out.push(self.untraced(c.span(), &format!("`{literal}`"), source, seed));
            return;
        }
        let (line, col) = article.place(at.start);
        let found = match &rate {
            Some(r) => format!("the rate after it reads `{}%`", &text[r.clone()]),
            None => "no rate follows it in that sentence".to_string(),
        };
        out.push(
            Diagnostic::new(
                self.file,
                Some(c.span()),
                Rule::TraceContext,
                format!("completion `{literal}` is not the rate reported for this figure: the value stands in {seed} at {line}:{col}, and {found}"),
            )
            .with_hint("type the completion rate that the article gives right after this figure"),
        );
    }

    /// A target or an earlier value stands in the value's sentence, apart from the value.
    #[allow(clippy::too_many_arguments)]
    fn in_sentence(
        &self,
        n: &Spanned<f64>,
        article: &Article,
        seed: &str,
        source: &str,
        at: &Range<usize>,
        sentence: Range<usize>,
        out: &mut Vec<Diagnostic>,
    ) {
        let literal = self.literal(n);
        let forms = written_forms(&literal, *n.get_ref());
        let in_it = forms.iter().any(|(f, _)| {
            find_whole(&article.text, f)
                .iter()
                .any(|h| h.start >= sentence.start && h.end <= sentence.end && h.start != at.start)
        });
        if in_it {
            return;
        }
        if !forms.iter().any(|(f, _)| !find_whole(&article.text, f).is_empty()) {
            out.push(self.untraced(n.span(), &format!("`{literal}`"), source, seed));
            return;
        }
        let (line, col) = article.place(at.start);
        out.push(
            Diagnostic::new(
                self.file,
                Some(n.span()),
                Rule::TraceContext,
                format!("`{literal}` is not in the paragraph of its figure ({seed} at {line}:{col}) apart from the figure itself"),
            )
            .with_hint("a target or an earlier value is the one the article gives beside this figure"),
        );
    }

    /// Plan words in the sentence before the figure against the figure's status.
    #[allow(clippy::too_many_arguments)]
    fn status(
        &self,
        ind: &Indicator,
        is_result: bool,
        article: &Article,
        seed: &str,
        at: &Range<usize>,
        sentence: Range<usize>,
        span: Range<usize>,
        out: &mut Vec<Diagnostic>,
    ) {
        let words = plan_words(&article.text[sentence.start..at.start]);
        let (line, col) = article.place(at.start);
        let message = if is_result && !words.is_empty() && ind.as_of.is_none() {
            format!(
                "`{}` is typed as a result, but its sentence ({seed} at {line}:{col}) speaks of plans ({})",
                self.text.get(span.clone()).unwrap_or(""),
                words.join(", ")
            )
        } else if !is_result && words.is_empty() {
            format!(
                "`{}` is typed as a plan (a target without a value), but its sentence ({seed} at {line}:{col}) has no word of plans (计划, 拟, 目标, 力争, 将)",
                self.text.get(span.clone()).unwrap_or("")
            )
        } else {
            return;
        };
        out.push(
            Diagnostic::new(self.file, Some(span), Rule::TraceStatus, message)
                .with_hint("a plan is `target` without `value`; a result is `value` (see Plans, progress and results in docs/data-format.md)"),
        );
    }

    /// The sentence's stated year against the figure's reference year; a running total's start
    /// year and a cut-off in the figure's paragraph.
    #[allow(clippy::too_many_arguments)]
    fn years(
        &self,
        ind: &Indicator,
        parent: Option<&Indicator>,
        article: &Article,
        seed: &str,
        at: &Range<usize>,
        sentence: Range<usize>,
        out: &mut Vec<Diagnostic>,
    ) {
        let text = &article.text;
        let (line, col) = article.place(at.start);
        let own = ind.reference_year.as_ref();
        let reference =
            own.or(parent.and_then(|p| p.reference_year.as_ref())).map_or(self.edition_year, |y| *y.get_ref());
        let stated = stated_years(&text[sentence.clone()]);
        if !stated.is_empty() && !stated.contains(&reference) {
            let span = own.map_or_else(|| ind.id.span(), |y| y.span());
            let years: Vec<String> = stated.iter().map(|y| format!("{y}年")).collect();
            out.push(
                Diagnostic::new(
                    self.file,
                    Some(span),
                    Rule::TraceYear,
                    format!(
                        "the figure's reference year is {reference}, but its sentence ({seed} at {line}:{col}) states {}",
                        years.join(", ")
                    ),
                )
                .with_hint("give `reference_year` as the sentence dates the figure"),
            );
        }
        let paragraph = &text[article.paragraph(at.start)];
        // The start year may lead the story a few paragraphs before (2021年…建成投用).
        if let Some(since) = &ind.cumulative_since
            && !text[..at.start].contains(&format!("{}年", since.get_ref()))
        {
            out.push(
                Diagnostic::new(
                    self.file,
                    Some(since.span()),
                    Rule::TraceYear,
                    format!("a running total since {}, but the article names no such year before the figure ({seed} at {line}:{col})", since.get_ref()),
                )
                .with_hint("give `cumulative_since` only when the article states the start year; otherwise say so in a note"),
            );
        }
        if let Some(as_of) = &ind.as_of {
            let mut parts = as_of.get_ref().split('-');
            let cut = match (parts.next(), parts.next().and_then(|m| m.parse::<u32>().ok())) {
                (Some(y), Some(m)) => format!("{y}年{m}月"),
                (Some(y), None) => format!("{y}年"),
                _ => String::new(),
            };
            if !cut.is_empty() && !paragraph.contains(&cut) {
                out.push(
                    Diagnostic::new(
                        self.file,
                        Some(as_of.span()),
                        Rule::TraceYear,
                        format!(
                            "a cut-off of {}, but its paragraph ({seed} at {line}:{col}) states no {cut}",
                            as_of.get_ref()
                        ),
                    )
                    .with_hint("give `as_of` only as the article states the cut-off (截至…)"),
                );
            }
        }
    }

    /// An `as_printed` form must say the typed number and qualifier (`qualifier` is `None` for an
    /// alternative, which has none to compare).
    fn check_printed(
        &self,
        p: &Spanned<String>,
        value: &f64,
        qualifier: Option<Option<Qualifier>>,
        ind: &Indicator,
        parent: Option<&Indicator>,
        out: &mut Vec<Diagnostic>,
    ) {
        let form = normalise(p.get_ref().trim());
        let Some(read) = printed::parse(&form) else {
            out.push(
                Diagnostic::new(
                    self.file,
                    Some(p.span()),
                    Rule::AsPrinted,
                    format!("`{form}` (as_printed) holds no number"),
                )
                .with_hint("copy the figure as the article prints it, number and measure word"),
            );
            return;
        };
        // A unit of 万 (万人, 万元): 43.2 typed, 43.2万 printed.
        let unit_id = ind.unit.as_ref().or(parent.and_then(|p| p.unit.as_ref()));
        let unit_zh = unit_id.and_then(|u| self.units.get(u.get_ref().as_str())).map_or("", |u| u.0);
        let scale = if unit_zh.starts_with('万') {
            1e4
        } else if unit_zh.starts_with('亿') {
            1e8
        } else {
            1.0
        };
        let same = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
        let number_ok = same(read.number, *value) || same(read.number, value * scale);
        let qualifier_ok = qualifier.is_none_or(|q| read.qualifier == q);
        if number_ok && qualifier_ok {
            return;
        }
        let message = if !number_ok {
            format!("`{form}` (as_printed) reads {}, but the value is {}", trimmed(read.number), trimmed(*value))
        } else {
            format!(
                "`{form}` (as_printed) says {}, but the qualifier is {}",
                read.qualifier.map_or("no qualifier".to_string(), |q| format!("`{}`", qualifier_key(q))),
                qualifier.flatten().map_or("not given".to_string(), |q| format!("`{}`", qualifier_key(q)))
            )
        };
        out.push(
            Diagnostic::new(self.file, Some(p.span()), Rule::AsPrinted, message)
                .with_hint("the printed form and the typed value and qualifier must say the same figure"),
        );
    }

    /// A number anywhere in the article, as a whole token (alternatives).
    fn anywhere(&self, n: &Spanned<f64>, source: &str, out: &mut Vec<Diagnostic>) {
        let Some((seed, article)) = self.article(source) else { return };
        let literal = self.literal(n);
        if written_forms(&literal, *n.get_ref()).iter().any(|(f, _)| !find_whole(&article.text, f).is_empty()) {
            return;
        }
        out.push(self.untraced(n.span(), &format!("`{literal}`"), source, seed));
    }

    fn anywhere_printed(&self, p: &Spanned<String>, source: &str, out: &mut Vec<Diagnostic>) {
        let Some((seed, article)) = self.article(source) else { return };
        if !find_whole(&article.text, &normalise(p.get_ref().trim())).is_empty() {
            return;
        }
        out.push(self.untraced(p.span(), &format!("`{}` (as_printed)", p.get_ref()), source, seed));
    }

    /// `what` (a figure or a printed form, quoted) is not in the article of `source`, archived as
    /// `seed`.
    fn untraced(&self, span: Range<usize>, what: &str, source: &str, seed: &str) -> Diagnostic {
        let message = format!("{what} is not in the archived text of source `{source}` ({seed})");
        Diagnostic::new(self.file, Some(span), Rule::Untraced, message).with_hint(
            "check the figure against its article; where the article writes it differently (Chinese numerals, \
             万), give that form as `as_printed = \"…\"`",
        )
    }
}

/// Whether the indicator's Chinese name shows in `stretch`: at least three of its characters (or
/// all, for a shorter name) lie in runs of two or more that the stretch also holds.
fn name_covered(name: &str, stretch: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    let mut covered = vec![false; chars.len()];
    for i in 0..chars.len() {
        for j in (i + 2..=chars.len()).rev() {
            let piece: String = chars[i..j].iter().collect();
            if stretch.contains(&piece) {
                covered[i..j].iter_mut().for_each(|c| *c = true);
                break;
            }
        }
    }
    let han = chars.iter().filter(|c| is_han(**c)).count();
    let got = chars.iter().zip(&covered).filter(|(c, k)| is_han(**c) && **k).count();
    got >= han.min(3)
}

/// Words of plans in `text`: 计划 (not a programme's name, 参保计划，), 拟, 力争, 目标 (not
/// 达目标任务的, a result's rate), 将 before a verb of doing.
fn plan_words(text: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, _) in chars.iter().enumerate() {
        let next = chars.get(i + 2).copied();
        let prev = if i > 0 { chars.get(i - 1).copied() } else { None };
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let word = match two.as_str() {
            "计划" if next.is_some_and(is_han) => Some("计划"),
            "力争" => Some("力争"),
            "目标" if next != Some('任') && !matches!(prev, Some('达' | '成')) => Some("目标"),
            _ => None,
        };
        let word = word.or(match (chars[i], chars.get(i + 1)) {
            ('拟', Some(n)) if is_han(*n) => Some("拟"),
            ('将', Some(n)) if "于在要力新建实投开推".contains(*n) => Some("将"),
            _ => None,
        });
        if let Some(w) = word
            && !found.contains(&w)
        {
            found.push(w);
        }
    }
    found
}

/// Years the sentence states as a date (2024年), not as a start or an end (2019年以来, 2005年前).
fn stated_years(text: &str) -> Vec<i64> {
    let mut years = Vec::new();
    for t in tokens(text, 0..text.len()) {
        let digits = &text[t.clone()];
        let rest = &text[t.end..];
        let Some(after) = rest.strip_prefix('年') else { continue };
        let Ok(y) = digits.parse::<i64>() else { continue };
        if !(1949..=2100).contains(&y) || digits.len() != 4 {
            continue;
        }
        if ["以来", "起", "前", "后", "至", "—", "-", "到"].iter().any(|w| after.starts_with(w)) {
            continue;
        }
        // The end of a range (2018年至2023年) dates nothing alone; 到2024年 (by 2024) does.
        let mut back = text[..t.start].chars().rev();
        let (before, before2) = (back.next(), back.next());
        if matches!(before, Some('—' | '-' | '自' | '从'))
            || (matches!(before, Some('至' | '到')) && before2 == Some('年'))
        {
            continue;
        }
        if !years.contains(&y) {
            years.push(y);
        }
    }
    years
}

fn qualifier_key(q: Qualifier) -> &'static str {
    match q {
        Qualifier::Over => "over",
        Qualifier::AtLeast => "at-least",
        Qualifier::About => "about",
        Qualifier::Nearly => "nearly",
    }
}

fn qualifier_word(q: Qualifier) -> &'static str {
    match q {
        Qualifier::Over => "超/余/多",
        Qualifier::AtLeast => "以上/至少/不少于",
        Qualifier::About => "约/左右",
        Qualifier::Nearly => "近",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_whole_and_in_their_written_forms() {
        let text = normalise(
            "培训59178人，1985年，完成率98%，资金17.10亿元，参保４.６８万人，1.3万余人次，12,345户，72.01万元，十六所",
        );
        let has = |f: &str| !find_whole(&text, f).is_empty();
        assert!(has("59178"));
        assert!(!has("5917"));
        assert!(!has("98.5"));
        assert!(has("98"));
        assert!(!has("198"), "not inside 1985");
        assert!(has("17.1"), "trailing zeros may follow");
        assert!(has("4.68"), "full-width digits count");
        assert!(written_forms("12345", 12345.0).iter().any(|(f, _)| has(f)));
        assert!(!has("3"), "not inside 1.3 or other numbers");
        assert!(!has("1万元"), "not inside 72.01万元");
        assert!(!has("六所"), "not inside 十六所");
        assert!(has("十六所"));
    }

    #[test]
    fn years_stated_and_plan_words() {
        assert_eq!(stated_years("2024年，全市完成"), vec![2024]);
        assert!(stated_years("2019年以来累计").is_empty());
        assert!(stated_years("2005年前建成").is_empty());
        assert_eq!(plan_words("今年计划实施老旧小区改造"), vec!["计划"]);
        assert!(plan_words("落实全民参保计划，参保率达").is_empty());
        assert!(plan_words("完成技能培训59178人,达目标任务的").is_empty());
    }

    #[test]
    fn a_name_shows_by_three_of_its_characters() {
        assert!(name_covered("技能培训", "全市完成技能培训"));
        assert!(!name_covered("技能培训", ",新增高技能人才"));
        assert!(name_covered("新增幼儿园学位", "年新增学位"));
        assert!(name_covered("金川区", "其中金川区"));
    }
}
