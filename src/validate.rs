//! Cross-file rules over everything `load` read. Every rule pushes diagnostics and goes on, so a
//! single run lists every problem. Rules that need the fonts get a coverage predicate instead of
//! the fonts themselves, which keeps this stage free of typesetting concerns.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use serde_spanned::Spanned;

use crate::diagnostics::{Diagnostic, FileIdx};
use crate::load::{Catalogue, Edition, closest};
use crate::model::{Bilingual, City, Indicator, UnitKind};

/// Tolerance, in percentage points, between a reported completion rate and value / target.
pub const COMPLETION_TOLERANCE: f64 = 0.5;

/// How many years before the edition a figure may refer to without a warning.
pub const OLDEST_REFERENCE_YEARS: i64 = 10;

/// Runs every rule. `covered` says whether the bundled fonts can print a character.
pub fn validate(catalogue: &Catalogue, edition: &Edition, covered: &dyn Fn(char) -> bool) -> Vec<Diagnostic> {
    let mut v = Validator { out: Vec::new(), covered };
    v.run(catalogue, edition);
    v.out
}

struct Validator<'a> {
    out: Vec<Diagnostic>,
    covered: &'a dyn Fn(char) -> bool,
}

fn span<T>(s: &Spanned<T>) -> Option<Range<usize>> {
    Some(s.span())
}

/// Ids become parts of file and sheet names: only `[a-z0-9-]`, not starting or ending with `-`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// The worksheet name derived for a sector: order and Chinese name, e.g. `01 就业与劳动保障`.
pub fn sheet_name(order: i64, zh: &str) -> String {
    format!("{order:02} {zh}")
}

/// Excel's rules for sheet names.
pub fn sheet_name_problem(name: &str) -> Option<String> {
    if name.encode_utf16().count() > 31 {
        return Some(format!("the sheet name `{name}` is longer than Excel's 31 characters"));
    }
    if let Some(c) = name.chars().find(|c| "[]:*?/\\".contains(*c)) {
        return Some(format!("the sheet name `{name}` contains `{c}`, which Excel forbids"));
    }
    if name.starts_with('\'') || name.ends_with('\'') {
        return Some(format!("the sheet name `{name}` starts or ends with an apostrophe"));
    }
    None
}

/// Known ids of one catalogue, for reference checks and did-you-mean hints.
struct Ids {
    what: &'static str,
    file: &'static str,
    ids: Vec<String>,
    /// False when the catalogue did not parse: its error is reported once, not at every use.
    loaded: bool,
}

impl Ids {
    fn new<'a>(
        what: &'static str,
        file: &'static str,
        loaded: bool,
        ids: impl Iterator<Item = &'a Spanned<String>>,
    ) -> Ids {
        Ids { what, file, ids: ids.map(|s| s.get_ref().clone()).collect(), loaded }
    }
    fn contains(&self, id: &str) -> bool {
        !self.loaded || self.ids.iter().any(|i| i == id)
    }
}

impl Validator<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }

    fn run(&mut self, loaded: &Catalogue, edition: &Edition) {
        let year = i64::from(edition.year);
        let empty = Vec::new();
        let sectors = loaded.sectors.as_ref().map(|p| &p.data.sector).unwrap_or(&empty);
        let no_departments = Vec::new();
        let departments = loaded.departments.as_ref().map(|p| &p.data.department).unwrap_or(&no_departments);
        let no_units = Vec::new();
        let units = loaded.units.as_ref().map(|p| &p.data.unit).unwrap_or(&no_units);
        let no_sources = Vec::new();
        let sources = loaded.sources.as_ref().map(|p| &p.data.source).unwrap_or(&no_sources);

        let sector_ids =
            Ids::new("sector", "data/catalogue/sectors.toml", loaded.sectors.is_some(), sectors.iter().map(|s| &s.id));
        let department_ids = Ids::new(
            "department",
            "data/catalogue/departments.toml",
            loaded.departments.is_some(),
            departments.iter().map(|d| &d.id),
        );
        let unit_ids =
            Ids::new("unit", "data/catalogue/units.toml", loaded.units.is_some(), units.iter().map(|u| &u.id));
        let source_ids =
            Ids::new("source", "data/catalogue/sources.toml", loaded.sources.is_some(), sources.iter().map(|s| &s.id));
        let unit_kinds: HashMap<&str, UnitKind> = units.iter().map(|u| (u.id.get_ref().as_str(), u.kind)).collect();

        if let Some(crate::load::Parsed { file, data: f }) = &loaded.sectors {
            self.unique_ids(*file, f.sector.iter().map(|s| &s.id), "sector");
            let mut sheets: HashMap<String, ()> = HashMap::new();
            for s in &f.sector {
                self.bilingual(*file, &s.name);
                self.bilingual(*file, &s.description);
                self.reference(*file, &s.department, &department_ids);
                let name = sheet_name(*s.order.get_ref(), s.name.zh());
                if let Some(problem) = sheet_name_problem(&name) {
                    self.push(
                        Diagnostic::error(*file, span(&s.name.zh), "sheet-name", problem)
                            .with_hint("shorten the Chinese sector name; the sheet is named `NN name`"),
                    );
                }
                if sheets.insert(name.to_lowercase(), ()).is_some() {
                    self.push(
                        Diagnostic::error(
                            *file,
                            span(&s.order),
                            "sheet-name",
                            format!("two sectors derive the same sheet name `{name}`"),
                        )
                        .with_hint("give each sector its own `order`"),
                    );
                }
            }
        }
        if let Some(crate::load::Parsed { file, data: f }) = &loaded.departments {
            self.unique_ids(*file, f.department.iter().map(|d| &d.id), "department");
            for d in &f.department {
                self.bilingual(*file, &d.name);
            }
            self.recipient_addresses(*file, &f.department);
        }
        if let Some(crate::load::Parsed { file, data: f }) = &loaded.units {
            self.unique_ids(*file, f.unit.iter().map(|u| &u.id), "unit");
            for u in &f.unit {
                self.text(*file, &u.zh);
                self.text(*file, &u.en);
            }
        }
        if let Some(crate::load::Parsed { file, data: f }) = &loaded.sources {
            self.unique_ids(*file, f.source.iter().map(|s| &s.id), "source");
            for s in &f.source {
                self.bilingual(*file, &s.title);
                if let Some(p) = &s.publication {
                    self.bilingual(*file, p);
                }
            }
        }
        if let Some(crate::load::Parsed { file, data: f }) = &loaded.terms {
            self.unique_ids(*file, f.term.iter().map(|t| &t.id), "term");
            for t in &f.term {
                self.text(*file, &t.zh);
                self.text(*file, &t.en);
                self.bilingual(*file, &t.definition);
            }
        }

        let refs = Refs { sectors: &sector_ids, units: &unit_ids, sources: &source_ids, unit_kinds: &unit_kinds };
        for c in &edition.cities {
            self.city(c.file, &c.stem, &c.city, year, &refs);
        }
    }

    /// Every address a workbook is mailed to, as the mail command will parse it.
    fn recipient_addresses(&mut self, file: FileIdx, departments: &[crate::model::Department]) {
        let lists = departments
            .iter()
            .flat_map(|d| [&d.to, &d.cc].into_iter().chain(d.city.values().flat_map(|r| [&r.to, &r.cc])));
        for address in lists.flatten() {
            if let Some(problem) = crate::mail::address_problem(address.get_ref()) {
                self.push(
                    Diagnostic::error(file, span(address), "email", problem)
                        .with_hint("write it as name@host.domain, or leave it out"),
                );
            }
        }
    }

    fn unique_ids<'s>(&mut self, file: FileIdx, ids: impl Iterator<Item = &'s Spanned<String>>, what: &str) {
        let mut seen: HashSet<&str> = HashSet::new();
        for id in ids {
            self.id_format(file, id, what);
            if !seen.insert(id.get_ref()) {
                self.push(
                    Diagnostic::error(
                        file,
                        span(id),
                        "duplicate-id",
                        format!("the {what} id `{}` is used twice", id.get_ref()),
                    )
                    .with_hint("ids must be unique; rename one of them"),
                );
            }
        }
    }

    fn id_format(&mut self, file: FileIdx, id: &Spanned<String>, what: &str) {
        if !is_valid_id(id.get_ref()) {
            let suggestion: String =
                id.get_ref().to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            let suggestion = suggestion.trim_matches('-').to_string();
            self.push(
                Diagnostic::error(
                    file,
                    span(id),
                    "id-format",
                    format!("the {what} id `{}` may only contain a-z, 0-9 and `-`", id.get_ref()),
                )
                .with_hint(if is_valid_id(&suggestion) {
                    format!("for example `{suggestion}`")
                } else {
                    "use lower-case ASCII letters, digits and hyphens".into()
                }),
            );
        }
    }

    fn reference(&mut self, file: FileIdx, id: &Spanned<String>, known: &Ids) {
        if known.contains(id.get_ref()) {
            return;
        }
        let options: Vec<&str> = known.ids.iter().map(String::as_str).collect();
        let hint = match closest(id.get_ref(), &options) {
            Some(best) => format!("did you mean `{best}`? (ids are listed in {})", known.file),
            None => format!("add it to {} or use one of the ids listed there", known.file),
        };
        self.push(
            Diagnostic::error(
                file,
                span(id),
                "unknown-reference",
                format!("unknown {} `{}`", known.what, id.get_ref()),
            )
            .with_hint(hint),
        );
    }

    /// A printed text: not blank, and every character printable with the bundled fonts.
    fn text(&mut self, file: FileIdx, text: &Spanned<String>) {
        let s = text.get_ref();
        if s.trim().is_empty() {
            self.push(
                Diagnostic::error(file, span(text), "empty-text", "this text is empty")
                    .with_hint("write the text, or remove the optional key"),
            );
            return;
        }
        let start = text.span().start + 1; // skip the opening quote
        for (offset, c) in s.char_indices() {
            if c.is_control() || (self.covered)(c) {
                continue;
            }
            // Point at the character itself when the literal holds it unescaped.
            let raw = start + offset;
            let span = raw..raw + c.len_utf8();
            self.push(
                Diagnostic::error(
                    file,
                    Some(span),
                    "missing-glyph",
                    format!(
                        "the character `{c}` (U+{:04X}) is not in the bundled fonts and would print as an empty box",
                        c as u32
                    ),
                )
                .with_hint("replace it with a common character, or add a font that covers it to fonts/"),
            );
        }
    }

    fn bilingual(&mut self, file: FileIdx, b: &Bilingual) {
        self.text(file, &b.zh);
        self.text(file, &b.en);
        let has_han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        if !b.en().trim().is_empty() && has_han(b.en()) {
            self.push(
                Diagnostic::warning(file, span(&b.en), "untranslated", "the English text contains Chinese characters")
                    .with_hint("translate it; terms.toml lists the agreed English terms"),
            );
        }
        if !b.zh().trim().is_empty() && !has_han(b.zh()) && b.zh().chars().any(char::is_alphabetic) {
            self.push(
                Diagnostic::warning(
                    file,
                    span(&b.zh),
                    "zh-without-chinese",
                    "the Chinese text has no Chinese characters",
                )
                .with_hint("check that `zh` and `en` are not swapped"),
            );
        }
    }

    fn city(&mut self, file: FileIdx, stem: &str, city: &City, year: i64, refs: &Refs) {
        self.id_format(file, &city.id, "city");
        if city.id.get_ref() != stem {
            self.push(
                Diagnostic::error(
                    file,
                    span(&city.id),
                    "city-id",
                    format!("the city id `{}` differs from the file name `{stem}.toml`", city.id.get_ref()),
                )
                .with_hint(format!("write `id = \"{stem}\"` or rename the file")),
            );
        }
        if *city.year.get_ref() != year {
            self.push(
                Diagnostic::error(
                    file,
                    span(&city.year),
                    "edition-year",
                    format!("the file is in the {year} edition folder but says year {}", city.year.get_ref()),
                )
                .with_hint(format!("write `year = {year}` or move the file")),
            );
        }
        self.bilingual(file, &city.name);
        if let Some(p) = &city.province {
            self.bilingual(file, p);
        }
        self.bilingual(file, &city.overview);
        for s in &city.sources {
            self.reference(file, s, refs.sources);
        }
        let mut used_sectors: BTreeMap<String, Range<usize>> = BTreeMap::new();
        let mut seen: HashSet<String> = HashSet::new();
        for ind in &city.indicators {
            if let Some(sector) = &ind.sector {
                used_sectors.entry(sector.get_ref().clone()).or_insert(sector.span());
            }
            self.indicator(file, ind, None, year, refs, &mut seen);
        }
        for (sector, text) in &city.summaries {
            self.reference(file, sector, refs.sectors);
            self.bilingual(file, text);
        }
        for (sector, at) in used_sectors {
            if refs.sectors.contains(&sector) && !city.summaries.keys().any(|k| *k.get_ref() == sector) {
                self.push(
                    Diagnostic::warning(
                        file,
                        Some(at),
                        "missing-summary",
                        format!("the city has figures in sector `{sector}` but no summary for it"),
                    )
                    .with_hint(format!("add `{sector} = {{ zh = \"…\", en = \"…\" }}` under [summaries]")),
                );
            }
        }
    }

    fn indicator(
        &mut self,
        file: FileIdx,
        ind: &Indicator,
        parent: Option<Inherited>,
        year: i64,
        refs: &Refs,
        seen: &mut HashSet<String>,
    ) {
        self.id_format(file, &ind.id, "indicator");
        if !seen.insert(ind.id.get_ref().clone()) {
            self.push(
                Diagnostic::error(
                    file,
                    span(&ind.id),
                    "duplicate-id",
                    format!("the indicator id `{}` is used twice in this city", ind.id.get_ref()),
                )
                .with_hint("ids must be unique within a city, sub-items included"),
            );
        }
        self.bilingual(file, &ind.name);
        let id_span = span(&ind.id);

        // Sector, unit and source: given, or inherited from the parent.
        let sector = match (&ind.sector, &parent) {
            (Some(s), _) => {
                self.reference(file, s, refs.sectors);
                if let Some(p) = &parent
                    && p.sector.as_deref() != Some(s.get_ref().as_str())
                {
                    self.push(
                        Diagnostic::error(
                            file,
                            span(s),
                            "sub-item-sector",
                            "an \"of which\" item must be in its parent's sector",
                        )
                        .with_hint("remove `sector` from the sub-item"),
                    );
                }
                Some(s.get_ref().clone())
            }
            (None, Some(p)) => p.sector.clone(),
            (None, None) => {
                self.push(
                    Diagnostic::error(file, id_span.clone(), "missing-field", "the indicator has no `sector`")
                        .with_hint("add `sector = \"…\"` with an id from data/catalogue/sectors.toml"),
                );
                None
            }
        };
        let unit = match (&ind.unit, &parent) {
            (Some(u), _) => {
                self.reference(file, u, refs.units);
                Some(u.get_ref().clone())
            }
            (None, Some(p)) => p.unit.clone(),
            (None, None) => {
                self.push(
                    Diagnostic::error(file, id_span.clone(), "missing-field", "the indicator has no `unit`")
                        .with_hint("add `unit = \"…\"` with an id from data/catalogue/units.toml"),
                );
                None
            }
        };
        match (&ind.source, &parent) {
            (Some(s), _) => self.reference(file, s, refs.sources),
            (None, Some(_)) => {}
            (None, None) => self.push(
                Diagnostic::error(file, id_span.clone(), "missing-field", "the indicator has no `source`")
                    .with_hint("add `source = \"…\"` naming the article in data/catalogue/sources.toml"),
            ),
        }
        let kind = unit.as_deref().and_then(|u| refs.unit_kinds.get(u)).copied();

        for number in [Some(&ind.value), ind.target.as_ref(), ind.previous.as_ref()].into_iter().flatten() {
            self.number(file, number, kind);
        }
        for alt in &ind.alternatives {
            self.number(file, &alt.value, kind);
            self.reference(file, &alt.source, refs.sources);
            if let Some(n) = &alt.note {
                self.bilingual(file, n);
            }
        }
        if let Some(c) = &ind.completion {
            let rate = *c.get_ref();
            if !rate.is_finite() || !(0.0..=1000.0).contains(&rate) {
                self.push(
                    Diagnostic::error(
                        file,
                        span(c),
                        "completion-range",
                        format!("a completion rate of {rate} % is not plausible"),
                    )
                    .with_hint("write the rate in per cent, e.g. 147.95 for 147.95 %"),
                );
            } else if let Some(t) = &ind.target {
                let target = *t.get_ref();
                if target > 0.0 {
                    let implied = ind.value.get_ref() / target * 100.0;
                    if (implied - rate).abs() > COMPLETION_TOLERANCE {
                        self.push(Diagnostic::error(file, span(c), "completion-mismatch", format!("completion {rate} % does not match value / target = {implied:.2} %")).with_hint(format!("check the value, the target and the rate; they may differ by {COMPLETION_TOLERANCE} points at most")));
                    }
                }
            }
        }
        if let Some(note) = &ind.note {
            self.bilingual(file, note);
        }
        if ind.derived && ind.method.is_none() {
            self.push(
                Diagnostic::error(
                    file,
                    id_span.clone(),
                    "derived-method",
                    "a derived indicator must say how it was computed",
                )
                .with_hint("add `method = { zh = \"…\", en = \"…\" }`"),
            );
        }
        if let Some(m) = &ind.method {
            self.bilingual(file, m);
        }
        if let Some(y) = &ind.reference_year {
            let y_val = *y.get_ref();
            if y_val > year || y_val < year - OLDEST_REFERENCE_YEARS {
                self.push(
                    Diagnostic::error(
                        file,
                        span(y),
                        "reference-year",
                        format!("reference year {y_val} is implausible for the {year} edition"),
                    )
                    .with_hint(format!(
                        "a figure in this edition refers to {} to {year}",
                        year - OLDEST_REFERENCE_YEARS
                    )),
                );
            }
        }
        if let Some(since) = &ind.cumulative_since {
            let upto = ind.reference_year.as_ref().map_or(year, |y| *y.get_ref());
            if *since.get_ref() > upto || *since.get_ref() < 1949 {
                self.push(
                    Diagnostic::error(
                        file,
                        span(since),
                        "cumulative-since",
                        format!("a running total cannot start in {}", since.get_ref()),
                    )
                    .with_hint(format!("the start year must lie before {upto}")),
                );
            }
        }

        // "Of which": parts in the parent's unit must not exceed it.
        let inherited = Inherited { sector, unit: unit.clone() };
        let parent_value = *ind.value.get_ref();
        let mut sum = 0.0;
        let mut summable = true;
        for part in &ind.of_which {
            self.indicator(file, part, Some(inherited.clone()), year, refs, seen);
            let same_unit = part.unit.as_ref().is_none_or(|u| Some(u.get_ref()) == unit.as_ref());
            if same_unit {
                let v = *part.value.get_ref();
                sum += v;
                if v > parent_value && kind != Some(UnitKind::Rate) && kind != Some(UnitKind::Percent) {
                    self.push(
                        Diagnostic::error(
                            file,
                            span(&part.value),
                            "part-exceeds-total",
                            format!("the part {v} is larger than its total {parent_value}"),
                        )
                        .with_hint("check both figures; an \"of which\" item is a part of its parent"),
                    );
                }
            } else {
                summable = false;
            }
        }
        let additive = matches!(kind, Some(UnitKind::Count | UnitKind::Money | UnitKind::Length | UnitKind::Area));
        if summable && additive && ind.of_which.len() > 1 && sum > parent_value * 1.005 + 1e-9 {
            self.push(
                Diagnostic::warning(
                    file,
                    span(&ind.value),
                    "parts-exceed-total",
                    format!("the parts add up to {sum}, more than the total {parent_value}"),
                )
                .with_hint("parts of a total may fall short of it, but should not exceed it"),
            );
        }
    }

    fn number(&mut self, file: FileIdx, n: &Spanned<f64>, kind: Option<UnitKind>) {
        let v = *n.get_ref();
        if !v.is_finite() {
            self.push(
                Diagnostic::error(file, span(n), "not-finite", "the number is not finite")
                    .with_hint("write an ordinary number"),
            );
            return;
        }
        match kind {
            Some(UnitKind::Percent) if !(0.0..=100.0).contains(&v) => {
                self.push(
                    Diagnostic::error(
                        file,
                        span(n),
                        "percent-range",
                        format!("{v} is outside 0–100 % for a percentage"),
                    )
                    .with_hint("a completion rate goes in `completion`; a growth rate needs a unit of kind `other`"),
                );
            }
            Some(k) if k != UnitKind::Other && k != UnitKind::Percent && v < 0.0 => {
                self.push(
                    Diagnostic::error(
                        file,
                        span(n),
                        "negative",
                        format!("{v} is negative, but the unit counts or measures something"),
                    )
                    .with_hint("check the sign"),
                );
            }
            _ => {}
        }
    }
}

#[derive(Clone)]
struct Inherited {
    sector: Option<String>,
    unit: Option<String>,
}

struct Refs<'a> {
    sectors: &'a Ids,
    units: &'a Ids,
    sources: &'a Ids,
    unit_kinds: &'a HashMap<&'a str, UnitKind>,
}

/// The rules for one printed text (not blank, printable with the bundled fonts), for texts that
/// live outside the data files, such as the edition title in `yearbook.toml`.
pub fn printed_text(file: FileIdx, text: &Spanned<String>, covered: &dyn Fn(char) -> bool) -> Vec<Diagnostic> {
    let mut v = Validator { out: Vec::new(), covered };
    v.text(file, text);
    v.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_file_name_safe() {
        assert!(is_valid_id("elderly-care"));
        assert!(is_valid_id("yuan-10k"));
        for bad in ["", "Elderly", "a_b", "a b", "-a", "a-", "../x", "中文"] {
            assert!(!is_valid_id(bad), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn sheet_names_follow_excel_rules() {
        assert_eq!(sheet_name_problem(&sheet_name(1, "就业与劳动保障")), None);
        assert!(sheet_name_problem("a/b").is_some());
        assert!(sheet_name_problem(&"长".repeat(32)).is_some());
        assert!(sheet_name_problem("'x").is_some());
    }
}
