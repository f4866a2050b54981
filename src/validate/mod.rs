//! Cross-file rules over everything `load` read. Every rule pushes diagnostics and goes on, so a
//! single run lists every problem; one mistake gives one diagnostic, not one per use of what it
//! broke. Rules that need the fonts get a coverage predicate instead of the fonts themselves,
//! which keeps this stage free of typesetting concerns. `docs/rules.md` lists every rule.
//!
//! By subject: `ids` (id format, uniqueness, references with did-you-mean), `text` (printed
//! texts and bilingual pairs), `catalogue` (the five catalogue files, sheet names, print
//! headers, recipient addresses), `names` (names and city offices that go into mail), `city` (one city file), `indicator` (one figure and its
//! "of which" parts, by rule family), `consistency` (across the cities of an edition),
//! `plausible` (numbers in programmer's forms, magnitudes no city reports, units changed since
//! the previous edition).

use std::collections::HashMap;
use std::ops::Range;

use serde_spanned::Spanned;

use crate::diagnostics::{Diagnostic, FileIdx, Rule, SourceFiles};
use crate::load::{Catalogue, Edition, Loader};

mod catalogue;
mod city;
mod consistency;
mod ids;
mod indicator;
mod names;
mod plausible;
mod text;

pub use catalogue::{print_header, print_headers, sheet_name_problem};
pub use names::mail_names;
pub use plausible::unit_changes;
pub use text::printed_text;

use ids::Known;

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
        let known = Known::new(loader, loaded);
        self.catalogue(loaded, &known);
        for c in &edition.cities {
            // Parts of a file that did not load leave sectors looking unused: no follow-on findings.
            let damaged = loader.diagnostics.iter().any(|d| d.file == c.file);
            self.city(c.file, &c.stem, &c.city, year, &known, damaged);
        }
        self.city_names(edition);
        self.city_codes(edition);
        self.indicator_meanings(edition);
    }
}
