//! Cross-file rules over everything `load` read. Every rule pushes diagnostics and goes on, so a
//! single run lists every problem; one mistake gives one diagnostic, not one per use of what it
//! broke. Rules that need the fonts get a coverage predicate instead of the fonts themselves,
//! which keeps this stage free of typesetting concerns. `docs/rules.md` lists every rule.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use serde_spanned::Spanned;

use crate::diagnostics::{Diagnostic, FileIdx, Rule, SourceFiles};
use crate::load::{Catalogue, Edition, Loader, closest};
use crate::model::{Bilingual, City, Indicator, UnitKind};
use crate::strings::{self as text, CELL_LIMIT, HEADER_LIMIT, cell_len};

mod plausible;
pub use plausible::unit_changes;

/// Tolerance, in percentage points, between a reported completion rate and value / target.
pub const COMPLETION_TOLERANCE: f64 = 0.5;

/// How many years before the edition a figure may refer to without a warning.
pub const OLDEST_REFERENCE_YEARS: i64 = 10;

/// Runs every rule over what `loader` read. `covered` says whether the bundled fonts can print
/// a character.
pub fn validate(
    loader: &Loader,
    catalogue: &Catalogue,
    edition: &Edition,
    covered: &dyn Fn(char) -> bool,
) -> Vec<Diagnostic> {
    let mut v = Validator::new(Some(&loader.files), covered);
    v.run(loader, catalogue, edition);
    let mut found = v.finish();
    found.extend(plausible::numbers(&loader.files, catalogue, edition));
    found
}

struct Validator<'a> {
    out: Vec<Diagnostic>,
    /// The texts of the files, to point at escaped characters and name earlier lines.
    files: Option<&'a SourceFiles>,
    covered: &'a dyn Fn(char) -> bool,
    /// Unknown references already reported, by file, rule and id: the index of the diagnostic
    /// and how many more times the id is used. A mistyped id is one mistake, however often used.
    unknown: HashMap<(FileIdx, Rule, String), (usize, usize)>,
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

/// Excel's rules for sheet names: the broken rule and what is wrong.
pub fn sheet_name_problem(name: &str) -> Option<(Rule, String)> {
    if name.encode_utf16().count() > 31 {
        return Some((Rule::SheetNameTooLong, format!("the sheet name `{name}` is longer than Excel's 31 characters")));
    }
    if let Some(c) = name.chars().find(|c| "[]:*?/\\".contains(*c)) {
        return Some((
            Rule::SheetNameCharacter,
            format!("the sheet name `{name}` contains `{c}`, which Excel forbids"),
        ));
    }
    if name.starts_with('\'') || name.ends_with('\'') {
        return Some((Rule::SheetNameCharacter, format!("the sheet name `{name}` starts or ends with an apostrophe")));
    }
    None
}

/// The print header of a sector's sheet, as the workbook writes it.
pub fn print_header(sector: &Bilingual, title_zh: &str, year: i32) -> String {
    format!("&L{} {}&R{title_zh} {year}", sector.zh(), sector.en())
}

/// Sheets whose print header would be too long for Excel (the workbook would then silently have
/// none). The header joins the sector's name with the edition title from `yearbook.toml`.
pub fn print_headers(catalogue: &Catalogue, title_zh: &str, year: i32) -> Vec<Diagnostic> {
    let Some(sectors) = &catalogue.sectors else { return Vec::new() };
    let mut out = Vec::new();
    for s in &sectors.data.sector {
        let len = cell_len(&print_header(&s.name, title_zh, year));
        if len > HEADER_LIMIT {
            out.push(
                Diagnostic::new(
                    sectors.file,
                    Some(s.name.zh.span()),
                    Rule::PrintHeaderTooLong,
                    format!(
                        "the sheet's print header (the sector's Chinese and English names, the edition's \
                         Chinese title and year) would be {len} characters; Excel allows {HEADER_LIMIT} and \
                         the sheet would print without a header"
                    ),
                )
                .with_hint("shorten the sector's names (or the edition title in yearbook.toml)"),
            );
        }
    }
    out
}

/// Known ids of one catalogue, for reference checks and did-you-mean hints.
struct Ids {
    what: &'static str,
    rule: Rule,
    file: &'static str,
    ids: Vec<String>,
    /// Ids of elements that did not parse: their error is reported once, not at every use.
    broken: Vec<String>,
    /// Ids given twice: a reference to a missing id may be the other one's old name.
    twice: Vec<String>,
    /// False when the catalogue did not parse: its error is reported once, not at every use.
    loaded: bool,
    /// Chinese names by id (units), which a clerk may type instead of the id.
    names: Vec<(String, String)>,
}

impl Ids {
    fn new<'a>(
        (what, rule, file): (&'static str, Rule, &'static str),
        loader: &Loader,
        loaded: bool,
        ids: impl Iterator<Item = &'a Spanned<String>>,
    ) -> Ids {
        let ids: Vec<String> = ids.map(|s| s.get_ref().clone()).collect();
        let mut seen = HashSet::new();
        let twice = ids.iter().filter(|i| !seen.insert(i.as_str())).cloned().collect();
        Ids { what, rule, file, ids, broken: loader.unreadable_ids(what).to_vec(), twice, loaded, names: Vec::new() }
    }
    /// The hint for an id not in the catalogue: the id whose Chinese name was typed, the nearest
    /// ids by spelling and by Chinese name, each shown with its Chinese name.
    fn suggest(&self, typed: &str) -> Option<String> {
        if let Some((id, _)) = self.names.iter().find(|(_, zh)| zh == typed) {
            return Some(format!("`{typed}` is the Chinese name of the {} `{id}`: write `{id}`", self.what));
        }
        let options: Vec<&str> = self.ids.iter().map(String::as_str).collect();
        // Ids are ASCII: spelling distance to a Chinese word means nothing (万户 is not `ge`).
        let mut near: Vec<&str> = closest(typed, &options).filter(|_| typed.is_ascii()).into_iter().collect();
        // A Chinese name sharing characters with what was typed (万户 → 户, 万人).
        let typed_chars: HashSet<char> = typed.chars().filter(|c| !c.is_ascii()).collect();
        if !typed_chars.is_empty() {
            let mut by_name: Vec<(usize, usize, &str)> = self
                .names
                .iter()
                .map(|(id, zh)| {
                    (zh.chars().filter(|c| typed_chars.contains(c)).count(), zh.chars().count(), id.as_str())
                })
                .filter(|(n, _, _)| *n > 0)
                .collect();
            // Most characters in common first, then the shortest name.
            by_name.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            near.extend(by_name.into_iter().map(|(_, _, id)| id).take(3));
        }
        near.dedup();
        if near.is_empty() {
            return None;
        }
        let shown: Vec<String> = near
            .iter()
            .map(|id| match self.names.iter().find(|(i, _)| i == id) {
                Some((_, zh)) => format!("`{id}` ({zh})"),
                None => format!("`{id}`"),
            })
            .collect();
        Some(format!("did you mean {}? (ids are listed in {})", shown.join(", "), self.file))
    }

    fn contains(&self, id: &str) -> bool {
        !self.loaded || self.ids.iter().chain(&self.broken).any(|i| i == id)
    }
}

impl<'a> Validator<'a> {
    fn new(files: Option<&'a SourceFiles>, covered: &'a dyn Fn(char) -> bool) -> Self {
        Validator { out: Vec::new(), files, covered, unknown: HashMap::new() }
    }

    fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }

    /// The diagnostics, with the count of further uses added to each unknown reference.
    fn finish(mut self) -> Vec<Diagnostic> {
        for (index, more) in self.unknown.into_values() {
            if more > 0 {
                let times = if more == 1 { "once more".to_string() } else { format!("{more} more times") };
                self.out[index].message.push_str(&format!(" (used {times} in this file)"));
            }
        }
        self.out
    }

    /// ` (first at line N)`, when the file's text is at hand.
    fn first_at(&self, file: FileIdx, span: &Range<usize>) -> String {
        match self.files {
            Some(f) => format!(" (first at line {})", f.line_col(file, span.start).0),
            None => String::new(),
        }
    }

    fn run(&mut self, loader: &Loader, loaded: &Catalogue, edition: &Edition) {
        let year = i64::from(edition.year);
        let empty = Vec::new();
        let sectors = loaded.sectors.as_ref().map(|p| &p.data.sector).unwrap_or(&empty);
        let no_departments = Vec::new();
        let departments = loaded.departments.as_ref().map(|p| &p.data.department).unwrap_or(&no_departments);
        let no_units = Vec::new();
        let units = loaded.units.as_ref().map(|p| &p.data.unit).unwrap_or(&no_units);
        let no_sources = Vec::new();
        let sources = loaded.sources.as_ref().map(|p| &p.data.source).unwrap_or(&no_sources);

        let sector_ids = Ids::new(
            ("sector", Rule::UnknownSector, "data/catalogue/sectors.toml"),
            loader,
            loaded.sectors.is_some(),
            sectors.iter().map(|s| &s.id),
        );
        let department_ids = Ids::new(
            ("department", Rule::UnknownDepartment, "data/catalogue/departments.toml"),
            loader,
            loaded.departments.is_some(),
            departments.iter().map(|d| &d.id),
        );
        let mut unit_ids = Ids::new(
            ("unit", Rule::UnknownUnit, "data/catalogue/units.toml"),
            loader,
            loaded.units.is_some(),
            units.iter().map(|u| &u.id),
        );
        unit_ids.names = units.iter().map(|u| (u.id.get_ref().clone(), u.zh.get_ref().clone())).collect();
        let source_ids = Ids::new(
            ("source", Rule::UnknownSource, "data/catalogue/sources.toml"),
            loader,
            loaded.sources.is_some(),
            sources.iter().map(|s| &s.id),
        );
        let unit_kinds: HashMap<&str, UnitKind> = units.iter().map(|u| (u.id.get_ref().as_str(), u.kind)).collect();

        if let Some(crate::load::Parsed { file, data: f }) = &loaded.sectors {
            self.unique_ids(*file, f.sector.iter().map(|s| &s.id), "sector");
            // Sheets are named after the chapter number, which is at most the sector's place in
            // book order: the same number of digits in any edition of under 100 chapters.
            let mut by_order: Vec<&crate::model::Sector> = f.sector.iter().collect();
            by_order.sort_by_key(|s| *s.order.get_ref());
            let mut orders: HashMap<i64, &Spanned<i64>> = HashMap::new();
            for (place, s) in by_order.iter().enumerate() {
                let name = sheet_name(place as i64 + 1, s.name.zh());
                if let Some((rule, problem)) = sheet_name_problem(&name) {
                    self.push(
                        Diagnostic::new(*file, span(&s.name.zh), rule, problem)
                            .with_hint("shorten the Chinese sector name; the sheet is named `NN name`"),
                    );
                }
            }
            for s in &f.sector {
                self.bilingual(*file, &s.name);
                self.bilingual(*file, &s.description);
                self.reference(*file, &s.department, &department_ids);
                if let Some(first) = orders.insert(*s.order.get_ref(), &s.order) {
                    let at = self.first_at(*file, &first.span());
                    self.push(
                        Diagnostic::new(
                            *file,
                            span(&s.order),
                            Rule::DuplicateOrder,
                            format!("another sector has `order = {}` too{at}", s.order.get_ref()),
                        )
                        .with_hint("give each sector its own `order`; it sets the chapter order"),
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
                for t in [&s.authors, &s.url].into_iter().flatten() {
                    self.text(*file, t);
                }
                if let Some(d) = &s.date
                    && crate::config::written_date(d.get_ref()).is_none()
                {
                    self.push(
                        Diagnostic::new(*file, span(d), Rule::WrongType, format!("`{}` is not a date", d.get_ref()))
                            .with_hint("write the date of publication as YYYY-MM-DD, e.g. \"2025-12-31\""),
                    );
                }
                if let Some(p) = &s.publication {
                    self.bilingual(*file, p);
                }
                self.text(*file, &s.period);
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
            // Parts of a file that did not load leave sectors looking unused: no follow-on findings.
            let damaged = loader.diagnostics.iter().any(|d| d.file == c.file);
            self.city(c.file, &c.stem, &c.city, year, &refs, damaged);
        }
        self.city_names(edition);
        self.indicator_meanings(edition);
    }

    /// One id, one concept: the comparison tables pair figures by id, so an id that means one
    /// thing in one city and another elsewhere compares the incomparable (or, with another
    /// unit, drops out of the comparison unseen).
    fn indicator_meanings(&mut self, edition: &Edition) {
        struct First<'a> {
            stem: &'a str,
            unit: Option<&'a str>,
            en: &'a str,
        }
        fn walk<'a>(inds: &'a [Indicator], unit: Option<&'a str>, f: &mut dyn FnMut(&'a Indicator, Option<&'a str>)) {
            for i in inds {
                let unit = i.unit.as_ref().map(|u| u.get_ref().as_str()).or(unit);
                f(i, unit);
                walk(&i.of_which, unit, f);
            }
        }
        let mut first: HashMap<&str, First> = HashMap::new();
        let mut found = Vec::new();
        for c in &edition.cities {
            walk(&c.city.indicators, None, &mut |ind, unit| {
                let id = ind.id.get_ref().as_str();
                match first.get(id) {
                    None => {
                        first.insert(id, First { stem: &c.stem, unit, en: ind.name.en() });
                    }
                    Some(f) if f.stem == c.stem => {}
                    Some(f) if f.unit != unit => found.push(
                        Diagnostic::new(
                            c.file,
                            span(&ind.id),
                            Rule::IdMeaning,
                            format!(
                                "`{id}` is in `{}` in {}.toml but in `{}` here",
                                f.unit.unwrap_or("?"),
                                f.stem,
                                unit.unwrap_or("?")
                            ),
                        )
                        .with_hint("a figure in another unit is another indicator: give it an id of its own"),
                    ),
                    Some(f) if !f.en.trim().eq_ignore_ascii_case(ind.name.en().trim()) => found.push(
                        Diagnostic::new(
                            c.file,
                            span(&ind.name.en),
                            Rule::IdMeaning,
                            format!("`{id}` is named \"{}\" in {}.toml", f.en, f.stem),
                        )
                        .with_hint(
                            "one concept, one English name: use the same name, or a new id if it is another concept",
                        ),
                    ),
                    Some(_) => {}
                }
            });
        }
        for d in found {
            self.push(d);
        }
    }

    /// Cities are matched to table columns by name: two cities with one name would print one
    /// city's figures in both columns.
    fn city_names(&mut self, edition: &Edition) {
        let mut zh: HashMap<&str, &str> = HashMap::new();
        let mut en: HashMap<String, &str> = HashMap::new();
        for c in &edition.cities {
            let name = &c.city.name;
            let first_zh = zh.insert(name.zh().trim(), &c.stem);
            let first_en = en.insert(name.en().trim().to_lowercase(), &c.stem);
            // A copied file repeats both names: one mistake, one finding.
            let found = match (first_zh, first_en) {
                (Some(a), Some(b)) if a == b => {
                    Some((a, &name.zh, format!("the name `{}` / `{}`", name.zh(), name.en())))
                }
                (Some(a), _) => Some((a, &name.zh, format!("the Chinese name `{}`", name.zh()))),
                (None, Some(b)) => Some((b, &name.en, format!("the English name `{}`", name.en()))),
                (None, None) => None,
            };
            if let Some((first, text, what)) = found {
                self.push(
                    Diagnostic::new(
                        c.file,
                        span(text),
                        Rule::DuplicateCityName,
                        format!("`{first}.toml` already has {what}"),
                    )
                    .with_hint("each city of an edition needs its own name; was the file copied?"),
                );
            }
        }
    }

    /// Every address a workbook is mailed to, as the mail command will parse it.
    fn recipient_addresses(&mut self, file: FileIdx, departments: &[crate::model::Department]) {
        let lists = departments
            .iter()
            .flat_map(|d| [&d.to, &d.cc].into_iter().chain(d.city.values().flat_map(|r| [&r.to, &r.cc])));
        for address in lists.flatten() {
            if let Some(problem) = address_problem(address.get_ref()) {
                self.push(
                    Diagnostic::new(file, span(address), Rule::Email, problem)
                        .with_hint("write it as name@host.domain, or leave it out"),
                );
            }
        }
    }

    fn unique_ids<'s>(&mut self, file: FileIdx, ids: impl Iterator<Item = &'s Spanned<String>>, what: &str) {
        let mut seen: HashMap<&str, Range<usize>> = HashMap::new();
        for id in ids {
            self.id_format(file, id, what);
            if let Some(first) = seen.get(id.get_ref().as_str()) {
                let at = self.first_at(file, first);
                self.push(
                    Diagnostic::new(
                        file,
                        span(id),
                        Rule::DuplicateId,
                        format!("the {what} id `{}` is used twice{at}", id.get_ref()),
                    )
                    .with_hint("ids must be unique; rename one of them"),
                );
            } else {
                seen.insert(id.get_ref(), id.span());
            }
        }
    }

    fn id_format(&mut self, file: FileIdx, id: &Spanned<String>, what: &str) {
        if !is_valid_id(id.get_ref()) {
            let suggestion: String =
                id.get_ref().to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            let suggestion = suggestion.trim_matches('-').to_string();
            self.push(
                Diagnostic::new(
                    file,
                    span(id),
                    Rule::IdFormat,
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
        let key = (file, known.rule, id.get_ref().clone());
        if let Some((_, more)) = self.unknown.get_mut(&key) {
            *more += 1;
            return;
        }
        let hint = match (known.suggest(id.get_ref()), known.twice.first()) {
            (Some(suggestion), _) => suggestion,
            (None, Some(twice)) => {
                format!("{} has the id `{twice}` twice: was one of them meant to be `{}`?", known.file, id.get_ref())
            }
            (None, None) => format!("add it to {} or use one of the ids listed there", known.file),
        };
        self.unknown.insert(key, (self.out.len(), 0));
        self.push(
            Diagnostic::new(file, span(id), known.rule, format!("unknown {} `{}`", known.what, id.get_ref()))
                .with_hint(hint),
        );
    }

    /// A printed text: not blank, and every character printable with the bundled fonts.
    fn text(&mut self, file: FileIdx, text: &Spanned<String>) {
        let source = self.files.map(|f| f.text(file));
        let found = text::printed(file, source, text, self.covered);
        self.out.extend(found);
    }

    fn bilingual(&mut self, file: FileIdx, b: &Bilingual) {
        self.text(file, &b.zh);
        self.text(file, &b.en);
        // Workbook cells hold some texts in both languages at once, `zh / en`.
        let (zh, en) = (cell_len(b.zh()), cell_len(b.en()));
        if zh <= CELL_LIMIT && en <= CELL_LIMIT && zh + en + 3 > CELL_LIMIT {
            self.push(
                Diagnostic::new(
                    file,
                    Some(b.zh.span().start..b.zh.span().start + 1),
                    Rule::TextTooLong,
                    format!(
                        "the Chinese and English texts together are {} characters long; a workbook cell \
                         holds both, at most {CELL_LIMIT}",
                        zh + en + 3
                    ),
                )
                .with_hint("shorten them; the workbook must hold every text of the book"),
            );
        }
        let has_han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        if !b.en().trim().is_empty() && has_han(b.en()) {
            self.push(
                Diagnostic::new(file, span(&b.en), Rule::Untranslated, "the English text contains Chinese characters")
                    .with_hint("translate it; terms.toml lists the agreed English terms"),
            );
        }
        if !b.zh().trim().is_empty() && !has_han(b.zh()) && b.zh().chars().any(char::is_alphabetic) {
            self.push(
                Diagnostic::new(
                    file,
                    span(&b.zh),
                    Rule::ZhWithoutChinese,
                    "the Chinese text has no Chinese characters",
                )
                .with_hint("check that `zh` and `en` are not swapped"),
            );
        }
    }

    fn city(&mut self, file: FileIdx, stem: &str, city: &City, year: i64, refs: &Refs, damaged: bool) {
        self.id_format(file, &city.id, "city");
        if city.id.get_ref() != stem {
            self.push(
                Diagnostic::new(
                    file,
                    span(&city.id),
                    Rule::CityId,
                    format!("the city id `{}` differs from the file name `{stem}.toml`", city.id.get_ref()),
                )
                .with_hint(if is_valid_id(stem) {
                    format!("write `id = \"{stem}\"` or rename the file")
                } else {
                    // Never suggest an id the id rule refuses: the file name is what must change.
                    format!(
                        "`{stem}` cannot be an id (lowercase letters, digits and `-` only): rename the file to `<id>.toml` with the city's id{}",
                        Some(city.id.get_ref()).filter(|id| is_valid_id(id)).map_or(String::new(), |id| format!(", e.g. `{id}.toml`"))
                    )
                }),
            );
        }
        if *city.year.get_ref() != year {
            self.push(
                Diagnostic::new(
                    file,
                    span(&city.year),
                    Rule::EditionYear,
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
            // The book prints a summary only in a chapter where the city has figures. Only said
            // when every figure loaded with a known sector, or it would follow another mistake.
            // A city with no figures yet is being filled in (new-city writes every sector).
            let reliable = !damaged
                && !city.indicators.is_empty()
                && city
                    .indicators
                    .iter()
                    .all(|i| i.sector.as_ref().is_some_and(|s| refs.sectors.contains(s.get_ref())));
            if reliable && refs.sectors.contains(sector.get_ref()) && !used_sectors.contains_key(sector.get_ref()) {
                self.push(
                    Diagnostic::new(
                        file,
                        span(sector),
                        Rule::SummaryWithoutFigures,
                        format!(
                            "the summary for `{}` would not print: the city has no figures in that sector",
                            sector.get_ref()
                        ),
                    )
                    .with_hint("add the sector's figures, or remove the summary"),
                );
            }
        }
        for (sector, at) in used_sectors {
            if refs.sectors.contains(&sector) && !city.summaries.keys().any(|k| *k.get_ref() == sector) {
                self.push(
                    Diagnostic::new(
                        file,
                        Some(at),
                        Rule::MissingSummary,
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
                Diagnostic::new(
                    file,
                    span(&ind.id),
                    Rule::DuplicateId,
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
                        Diagnostic::new(
                            file,
                            span(s),
                            Rule::SubItemSector,
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
                    Diagnostic::new(file, id_span.clone(), Rule::MissingInherited, "the indicator has no `sector`")
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
                    Diagnostic::new(file, id_span.clone(), Rule::MissingInherited, "the indicator has no `unit`")
                        .with_hint("add `unit = \"…\"` with an id from data/catalogue/units.toml"),
                );
                None
            }
        };
        match (&ind.source, &parent) {
            (Some(s), _) => self.reference(file, s, refs.sources),
            (None, Some(_)) => {}
            (None, None) => self.push(
                Diagnostic::new(file, id_span.clone(), Rule::MissingInherited, "the indicator has no `source`")
                    .with_hint("add `source = \"…\"` naming the article in data/catalogue/sources.toml"),
            ),
        }
        let kind = unit.as_deref().and_then(|u| refs.unit_kinds.get(u)).copied();
        if kind == Some(UnitKind::Percent) {
            let en = ind.name.en().to_lowercase();
            const SAYS_RATE: [&str; 9] = [
                "rate",
                "share",
                "coverage",
                "proportion",
                "percentage",
                "ratio",
                "progress",
                "completion",
                "per cent",
            ];
            if !en.trim().is_empty() && !SAYS_RATE.iter().any(|w| en.contains(w)) {
                self.push(
                    Diagnostic::new(
                        file,
                        span(&ind.name.en),
                        Rule::RateName,
                        "a percentage named as if it were a count",
                    )
                    .with_hint("say what the per cent measures: \"… rate\", \"share of …\", \"coverage of …\""),
                );
            }
        }

        for number in [ind.value.as_ref(), ind.target.as_ref(), ind.previous.as_ref(), ind.last_year.as_ref()]
            .into_iter()
            .flatten()
        {
            self.number(file, number, kind);
        }
        // A result has a value, a plan a target; a completion rate measures a value.
        match (&ind.value, &ind.target, &ind.completion) {
            (None, None, _) => self.push(
                Diagnostic::new(file, span(&ind.id), Rule::NoFigure, "the indicator has neither a `value` nor a `target`")
                    .with_hint("a result gets `value = …`; a plan (a target for the year) gets `target = …`; progress gets both and `as_of`"),
            ),
            (None, Some(_), Some(c)) => self.push(
                Diagnostic::new(file, span(c), Rule::NoFigure, "a completion rate without the `value` it measures")
                    .with_hint("give the value reached, or leave the rate out until there is one"),
            ),
            _ => {}
        }
        // A reported change may be negative, but must be a number.
        if let Some(change) = &ind.change {
            self.number(file, change, Some(UnitKind::Other));
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
                    Diagnostic::new(
                        file,
                        span(c),
                        Rule::CompletionRange,
                        format!("a completion rate of {rate} % is not plausible"),
                    )
                    .with_hint("write the rate in per cent, e.g. 147.95 for 147.95 %"),
                );
            } else if let (Some(t), Some(value)) = (&ind.target, &ind.value) {
                let target = *t.get_ref();
                if target > 0.0 {
                    let implied = value.get_ref() / target * 100.0;
                    if (implied - rate).abs() > COMPLETION_TOLERANCE {
                        self.push(Diagnostic::new(file, span(c), Rule::CompletionMismatch, format!("completion {rate} % does not match value / target = {implied:.2} %")).with_hint(format!("check the value, the target and the rate; they may differ by {COMPLETION_TOLERANCE} points at most")));
                    }
                }
            }
        }
        if let Some(note) = &ind.note {
            self.bilingual(file, note);
        }
        if let Some(as_of) = &ind.as_of {
            self.text(file, as_of);
        }
        if ind.derived && ind.method.is_none() {
            self.push(
                Diagnostic::new(
                    file,
                    id_span.clone(),
                    Rule::DerivedMethod,
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
                    Diagnostic::new(
                        file,
                        span(y),
                        Rule::ReferenceYear,
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
                    Diagnostic::new(
                        file,
                        span(since),
                        Rule::CumulativeSince,
                        format!("a running total cannot start in {}", since.get_ref()),
                    )
                    .with_hint(format!("the start year must lie before {upto}")),
                );
            }
        }

        // "Of which": parts in the parent's unit must not exceed it.
        let inherited = Inherited { sector, unit: unit.clone() };
        // Plans have no value to compare parts with.
        let Some(total) = &ind.value else {
            for part in &ind.of_which {
                self.indicator(file, part, Some(inherited.clone()), year, refs, seen);
            }
            return;
        };
        let parent_value = *total.get_ref();
        let mut sum = 0.0;
        let mut summable = true;
        for part in &ind.of_which {
            self.indicator(file, part, Some(inherited.clone()), year, refs, seen);
            let same_unit = part.unit.as_ref().is_none_or(|u| Some(u.get_ref()) == unit.as_ref());
            if let (true, Some(part_value)) = (same_unit, &part.value) {
                let v = *part_value.get_ref();
                sum += v;
                if v > parent_value && kind != Some(UnitKind::Rate) && kind != Some(UnitKind::Percent) {
                    self.push(
                        Diagnostic::new(
                            file,
                            span(part_value),
                            Rule::PartExceedsTotal,
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
        // A breakdown (two parts or more) that does not account for its total needs a word why.
        let off = (sum - parent_value).abs() > parent_value.abs() * 0.005 + 1e-9;
        if summable && additive && ind.of_which.len() > 1 && off && sum <= parent_value && ind.note.is_none() {
            self.push(
                Diagnostic::new(
                    file,
                    span(total),
                    Rule::PartsWithoutNote,
                    format!("the parts add up to {sum}, not to the total {parent_value}, and no note says why"),
                )
                .with_hint("add a note: e.g. that the article breaks down only part of the total"),
            );
        }
        if summable && additive && ind.of_which.len() > 1 && sum > parent_value * 1.005 + 1e-9 {
            self.push(
                Diagnostic::new(
                    file,
                    span(total),
                    Rule::PartsExceedTotal,
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
                Diagnostic::new(file, span(n), Rule::NotFinite, "the number is not finite")
                    .with_hint("write an ordinary number"),
            );
            return;
        }
        match kind {
            Some(UnitKind::Percent) if !(0.0..=100.0).contains(&v) => {
                self.push(
                    Diagnostic::new(
                        file,
                        span(n),
                        Rule::PercentRange,
                        format!("{v} is outside 0–100 % for a percentage"),
                    )
                    .with_hint("a completion rate goes in `completion`; a growth rate needs a unit of kind `other`"),
                );
            }
            Some(k) if k != UnitKind::Other && k != UnitKind::Percent && v < 0.0 => {
                self.push(
                    Diagnostic::new(
                        file,
                        span(n),
                        Rule::Negative,
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
    // Data files get the string rules as they are read; this text comes from elsewhere.
    let s = text.get_ref();
    let at = |i: usize| {
        let offset = s.char_indices().nth(i).map_or(0, |(o, _)| o);
        let raw = text.span().start + 1 + offset;
        raw..raw + s[offset..].chars().next().map_or(1, char::len_utf8)
    };
    let mut out = text::string_rules(file, s, text.span(), &at);
    out.extend(text::printed(file, None, text, covered));
    out
}

/// Why `address` cannot be a recipient, or `None` when it can: `name@host.domain` as a mail
/// server takes it (no display name, no spaces, a domain with a dot).
pub fn address_problem(address: &str) -> Option<String> {
    let parsed = address.parse::<lettre::Address>();
    let ok = parsed.is_ok_and(|a| a.domain().contains('.') && !a.domain().ends_with('.'));
    (!ok).then(|| format!("`{address}` is not an e-mail address"))
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
        assert_eq!(sheet_name_problem("a/b").map(|p| p.0), Some(Rule::SheetNameCharacter));
        assert_eq!(sheet_name_problem(&"长".repeat(32)).map(|p| p.0), Some(Rule::SheetNameTooLong));
        assert!(sheet_name_problem("'x").is_some());
    }
}
