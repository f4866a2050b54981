//! The catalogue files (sectors, departments, units, sources, terms): unique ids, printable
//! names, one order per sector, the worksheet name and print header each sector gets in the
//! workbook, and the addresses a department's workbook is mailed to.

use std::collections::HashMap;

use rust_xlsxwriter::XlsxError;
use rust_xlsxwriter::utility::check_sheet_name;
use serde_spanned::Spanned;

use super::ids::Known;
use super::{Validator, span};
use crate::diagnostics::{Diagnostic, FileIdx, Rule};
use crate::load::{Catalogue, Parsed};
use crate::model::{Bilingual, Department, Sector};
use crate::names::{address_problem, sheet_name};
use crate::strings::{HEADER_LIMIT, cell_len};
use crate::year::Year;

/// Excel's rules for sheet names, as the workbook writer applies them: the broken rule and
/// what is wrong.
pub fn sheet_name_problem(name: &str) -> Option<(Rule, String)> {
    let error = check_sheet_name(name).err()?;
    Some(match error {
        XlsxError::SheetnameLengthExceeded(_) => {
            (Rule::SheetNameTooLong, format!("the sheet name `{name}` is longer than Excel's 31 characters"))
        }
        XlsxError::SheetnameStartsOrEndsWithApostrophe(_) => {
            (Rule::SheetNameCharacter, format!("the sheet name `{name}` starts or ends with an apostrophe"))
        }
        _ => match name.chars().find(|c| "[]:*?/\\".contains(*c)) {
            Some(c) => {
                (Rule::SheetNameCharacter, format!("the sheet name `{name}` contains `{c}`, which Excel forbids"))
            }
            None => (Rule::SheetNameCharacter, format!("Excel does not accept the sheet name `{name}`")),
        },
    })
}

/// The print header of a sector's sheet, as the workbook writes it.
pub fn print_header(sector: &Bilingual, title_zh: &str, year: Year) -> String {
    format!("&L{} {}&R{title_zh} {year}", sector.zh(), sector.en())
}

/// Sheets whose print header would be too long for Excel (the workbook would then silently have
/// none). The header joins the sector's name with the edition title from `yearbook.toml`.
pub fn print_headers(catalogue: &Catalogue, title_zh: &str, year: Year) -> Vec<Diagnostic> {
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

impl Validator<'_> {
    pub(super) fn catalogue(&mut self, loaded: &Catalogue, known: &Known) {
        if let Some(Parsed { file, data: f }) = &loaded.sectors {
            self.sectors(*file, &f.sector, known);
        }
        if let Some(Parsed { file, data: f }) = &loaded.departments {
            self.unique_ids(*file, f.department.iter().map(|d| &d.id), "department");
            for d in &f.department {
                self.bilingual(*file, &d.name);
            }
            self.recipient_addresses(*file, &f.department);
        }
        if let Some(Parsed { file, data: f }) = &loaded.units {
            self.unique_ids(*file, f.unit.iter().map(|u| &u.id), "unit");
            for u in &f.unit {
                self.text(*file, &u.zh);
                self.text(*file, &u.en);
            }
        }
        if let Some(Parsed { file, data: f }) = &loaded.sources {
            self.unique_ids(*file, f.source.iter().map(|s| &s.id), "source");
            for s in &f.source {
                self.bilingual(*file, &s.title);
                for t in [&s.authors, &s.authors_en, &s.url].into_iter().flatten() {
                    self.text(*file, t);
                }
                if let Some(en) = &s.authors_en {
                    if s.authors.is_none() {
                        self.push(
                            Diagnostic::new(
                                *file,
                                span(en),
                                Rule::MissingKey,
                                "`authors_en` is given without `authors`",
                            )
                            .with_hint("give the byline as the article prints it in `authors`, or remove `authors_en`"),
                        );
                    }
                    if en.get_ref().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                        self.push(
                            Diagnostic::new(
                                *file,
                                span(en),
                                Rule::Untranslated,
                                "the English byline contains Chinese characters",
                            )
                            .with_hint(
                                "write the names in pinyin, family name first (\"Jiao Xuyu\"), and the role in English",
                            ),
                        );
                    }
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
                // The archived text lies in the sources folder: a path could make the trace read
                // any file on the machine (`/etc/passwd`, `/dev/zero`).
                if !crate::names::is_plain_file_name(&s.seed) {
                    self.push(
                        Diagnostic::new(
                            *file,
                            span(&s.id),
                            Rule::SeedName,
                            format!("the source's `seed` `{}` is not a plain file name", s.seed.escape_debug()),
                        )
                        .with_hint("give the name of the article's text file in the sources folder, with no folder in it, e.g. \"wuwei-2025.txt\""),
                    );
                }
                if let Some(l) = &s.lines
                    && let [first, last] = *l.get_ref()
                    && (first == 0 || first > last)
                {
                    self.push(
                        Diagnostic::new(
                            *file,
                            span(l),
                            Rule::SeedLines,
                            format!("`lines = [{first}, {last}]` is not a range of lines: the first must be 1 or more and not after the last"),
                        )
                        .with_hint("give the first and the last line of the article in its archived file, e.g. `lines = [85, 126]`"),
                    );
                }
            }
            // Two articles in one archived file (a newspaper page) need their lines, or a figure
            // of one would be found in the other.
            let articles = f.source.iter().filter(|s| s.returned.is_none());
            let mut by_seed: std::collections::BTreeMap<&str, Vec<&crate::model::Source>> = Default::default();
            for s in articles {
                by_seed.entry(s.seed.as_str()).or_default().push(s);
            }
            for (seed, sharing) in by_seed.iter().filter(|(_, v)| v.len() > 1) {
                let ids: Vec<&str> = sharing.iter().map(|s| s.id.get_ref().as_str()).collect();
                for s in sharing.iter().filter(|s| s.lines.is_none()) {
                    self.push(
                        Diagnostic::new(
                            *file,
                            span(&s.id),
                            Rule::SeedShared,
                            format!("the archived text `{seed}` holds {} articles ({}), and this source does not say which lines are its", sharing.len(), ids.join(", ")),
                        )
                        .with_hint("give each of them `lines = [first, last]`, the lines of its article in the file"),
                    );
                }
            }
        }
        if let Some(Parsed { file, data: f }) = &loaded.terms {
            self.unique_ids(*file, f.term.iter().map(|t| &t.id), "term");
            for t in &f.term {
                self.text(*file, &t.zh);
                self.text(*file, &t.en);
                self.bilingual(*file, &t.definition);
            }
        }
    }

    fn sectors(&mut self, file: FileIdx, sectors: &[Sector], known: &Known) {
        self.unique_ids(file, sectors.iter().map(|s| &s.id), "sector");
        // Sheets are named after the chapter number, which is at most the sector's place in
        // book order: the same number of digits in any edition of under 100 chapters.
        let mut by_order: Vec<&Sector> = sectors.iter().collect();
        by_order.sort_by_key(|s| *s.order.get_ref());
        for (place, s) in by_order.iter().enumerate() {
            let name = sheet_name(place as i64 + 1, s.name.zh());
            if let Some((rule, problem)) = sheet_name_problem(&name) {
                self.push(
                    Diagnostic::new(file, span(&s.name.zh), rule, problem)
                        .with_hint("shorten the Chinese sector name; the sheet is named `NN name`"),
                );
            }
        }
        let mut orders: HashMap<i64, &Spanned<i64>> = HashMap::new();
        for s in sectors {
            self.bilingual(file, &s.name);
            self.bilingual(file, &s.description);
            self.reference(file, &s.department, &known.departments);
            if let Some(first) = orders.insert(*s.order.get_ref(), &s.order) {
                let at = self.first_at(file, &first.span());
                self.push(
                    Diagnostic::new(
                        file,
                        span(&s.order),
                        Rule::DuplicateOrder,
                        format!("another sector has `order = {}` too{at}", s.order.get_ref()),
                    )
                    .with_hint("give each sector its own `order`; it sets the chapter order"),
                );
            }
        }
    }

    /// Every address a workbook is mailed to, by the rule `mail` sends by: `check` accepts no
    /// address `mail` would refuse.
    fn recipient_addresses(&mut self, file: FileIdx, departments: &[Department]) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_follow_excel_rules() {
        assert_eq!(sheet_name_problem(&sheet_name(1, "就业与劳动保障")), None);
        for (bad, c) in [("a/b", '/'), ("a[b", '['), ("a:b", ':'), ("a*b", '*'), ("a?b", '?'), ("a\\b", '\\')] {
            let (rule, message) = sheet_name_problem(bad).expect(bad);
            assert_eq!(rule, Rule::SheetNameCharacter);
            assert!(message.contains(&format!("`{c}`")), "{message}");
        }
        assert_eq!(sheet_name_problem(&"长".repeat(32)).map(|p| p.0), Some(Rule::SheetNameTooLong));
        // Excel counts UTF-16 units: 31 characters outside the BMP are 62 units.
        assert_eq!(sheet_name_problem(&"𠀀".repeat(16)).map(|p| p.0), Some(Rule::SheetNameTooLong));
        assert_eq!(sheet_name_problem(&"长".repeat(31)), None);
        assert_eq!(sheet_name_problem("'x").map(|p| p.0), Some(Rule::SheetNameCharacter));
        assert_eq!(sheet_name_problem("x'").map(|p| p.0), Some(Rule::SheetNameCharacter));
    }
}
