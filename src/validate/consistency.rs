//! Rules across the cities of an edition: one id means one concept everywhere (the comparison
//! tables pair figures by id), no two cities share a name (tables match cities by name), and a
//! city's division code is a city's code of its province, its own.

use std::collections::HashMap;

use super::{Validator, span};
use crate::diagnostics::{Diagnostic, Rule};
use crate::load::Edition;
use crate::model::Indicator;

impl Validator<'_> {
    /// One id, one concept: the comparison tables pair figures by id, so an id that means one
    /// thing in one city and another elsewhere compares the incomparable (or, with another
    /// unit, drops out of the comparison unseen).
    pub(super) fn indicator_meanings(&mut self, edition: &Edition) {
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
    pub(super) fn city_names(&mut self, edition: &Edition) {
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

    /// A city's division code orders the book: it must be a city's code, of the province the
    /// file names, and no other city's.
    pub(super) fn city_codes(&mut self, edition: &Edition) {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for c in &edition.cities {
            let Some(code) = &c.city.code else { continue };
            let value = code.get_ref().as_str();
            let problem = crate::division::code_problem(value).map(|p| {
                (p, "write the city's six-digit 行政区划代码, e.g. `code = \"620300\"` for 金昌市".to_string())
            });
            let problem = problem.or_else(|| {
                let (_, zh, _) = crate::division::province_of(value)?;
                let named = c.city.province.as_ref()?.zh().trim();
                (named != zh).then(|| {
                    (
                        format!("`{value}` is a code of {zh}, but the file's province is {named}"),
                        "check the code, or the `province`".to_string(),
                    )
                })
            });
            let problem = problem.or_else(|| {
                let first = seen.insert(value, &c.stem)?;
                Some((
                    format!("`{first}.toml` already has the division code `{value}`"),
                    "each city has its own code; was the file copied?".to_string(),
                ))
            });
            if let Some((message, hint)) = problem {
                self.push(Diagnostic::new(c.file, span(code), Rule::CityCode, message).with_hint(hint));
            }
        }
    }
}
