//! Validated data → the edition as facts, with nothing left to look up: every figure knows its
//! unit (and the unit's kind), its source, its reference year and the decimals it was typed
//! with. "Of which" parts inherit from their parent here, once, so no later stage can forget
//! to. The later stages need no spans, no source text and no defaults.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_spanned::Spanned;

use crate::diagnostics::SourceFiles;
use crate::error::AppError;
use crate::load::{Catalogue, Edition};
use crate::model::{self, Qualifier, Text, UnitKind};
use crate::year::Year;

/// Who receives one workbook: addresses only, as the catalogue lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recipients {
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

/// The departments' recipients from `departments.toml`, resolved once: for each department id,
/// its own and, per city id, its offices'. Export writes them into the manifest; mail compares
/// the manifest with them, so an address corrected after an export is not silently ignored.
#[derive(Debug, Clone, Default)]
pub struct Addressbook {
    departments: BTreeMap<String, (Recipients, BTreeMap<String, Recipients>)>,
}

impl Addressbook {
    pub fn new(catalogue: &Catalogue) -> Addressbook {
        let list = |v: &[Spanned<String>]| v.iter().map(|a| a.get_ref().clone()).collect();
        let departments = catalogue
            .departments
            .iter()
            .flat_map(|p| &p.data.department)
            .map(|d| {
                let own = Recipients { to: list(&d.to), cc: list(&d.cc) };
                let cities = d
                    .city
                    .iter()
                    .map(|(city, r)| (city.get_ref().clone(), Recipients { to: list(&r.to), cc: list(&r.cc) }))
                    .collect();
                (d.id.get_ref().clone(), (own, cities))
            })
            .collect();
        Addressbook { departments }
    }

    /// A city's office if the department names one, else the department itself; `None` for a
    /// department the catalogue does not have.
    pub fn recipients(&self, department: &str, city: Option<&str>) -> Option<&Recipients> {
        let (own, cities) = self.departments.get(department)?;
        Some(city.and_then(|c| cities.get(c)).unwrap_or(own))
    }
}

/// The edition, resolved.
#[derive(Debug, Serialize)]
pub struct Resolved {
    pub year: Year,
    /// In chapter order.
    pub sectors: Vec<Sector>,
    /// In catalogue order.
    pub sources: Vec<Source>,
    pub terms: Vec<Term>,
    /// Every city of the edition, in file-name order.
    pub cities: Vec<City>,
}

#[derive(Debug, Serialize)]
pub struct Sector {
    pub id: String,
    pub order: i64,
    pub name: Text,
    pub description: Text,
    pub department: Department,
}

#[derive(Debug, Clone, Serialize)]
pub struct Department {
    pub id: String,
    pub name: Text,
}

#[derive(Debug, Serialize)]
pub struct Source {
    pub id: String,
    /// The city the article reports on: its name when the edition has that city.
    pub city: Text,
    pub title: Text,
    pub publication: Option<Text>,
    pub period: String,
    pub seed: String,
    /// The byline: as printed, and in English where the catalogue gives it.
    pub authors: Option<Text>,
    /// Date of publication as each language writes it.
    pub date: Option<Text>,
    pub url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Term {
    pub zh: String,
    pub en: String,
    pub definition: Text,
}

#[derive(Debug, Serialize)]
pub struct City {
    pub id: String,
    pub name: Text,
    pub province: Option<Text>,
    /// The six-digit division code, when the file gives it.
    pub code: Option<String>,
    pub overview: Text,
    /// Sector id → the city's summary of that sector.
    pub summaries: BTreeMap<String, Text>,
    pub figures: Vec<Figure>,
}

/// A unit of measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    pub id: String,
    pub text: Text,
    pub kind: UnitKind,
}

/// A number as typed: its value and the decimals of its literal (`1.50` keeps two).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Number {
    pub value: f64,
    pub decimals: u8,
}

/// One figure of a city, with everything inherited filled in.
#[derive(Debug, Serialize)]
pub struct Figure {
    pub id: String,
    pub sector: String,
    pub name: Text,
    /// The editor's reading of the name for the index, when the file gives one.
    pub pinyin: Option<String>,
    pub unit: Unit,
    /// The result; `None` for a plan.
    pub value: Option<Number>,
    pub status: Status,
    pub qualifier: Option<Qualifier>,
    pub reference_year: i64,
    pub cumulative_since: Option<i64>,
    pub as_of: Option<String>,
    pub target: Option<Number>,
    pub completion: Option<Number>,
    /// The earlier value of a before/after pair the article gives.
    pub before: Option<Number>,
    /// The figure of the year before: from this edition's source, or from the previous edition.
    pub last_year: Option<LastYear>,
    /// The change the source reports (per cent, or points for rates).
    pub reported_change: Option<Number>,
    pub note: Option<Text>,
    /// Source id.
    pub source: String,
    pub derived: bool,
    /// Chosen by the editor to lead the city's profile.
    pub key: bool,
    pub method: Option<Text>,
    /// "Of which" parts.
    pub parts: Vec<Figure>,
    pub alternatives: Vec<Alternative>,
}

/// What a figure is: what a city set out to do, what it had done by a date, or what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A target and no value yet.
    Planned,
    /// A value up to a date in the year (`as_of`).
    Progress,
    /// A value for the year.
    Result,
}

impl Status {
    pub fn of(value: bool, as_of: bool) -> Status {
        match (value, as_of) {
            (false, _) => Status::Planned,
            (true, true) => Status::Progress,
            (true, false) => Status::Result,
        }
    }
}

/// Last year's figure of the same city and indicator.
#[derive(Debug, Clone, Serialize)]
pub struct LastYear {
    pub value: Number,
    pub year: i64,
    /// Where this edition restates the figure: what the previous edition printed.
    pub restated_from: Option<Number>,
}

#[derive(Debug, Serialize)]
pub struct Alternative {
    pub value: Number,
    pub source: String,
    pub note: Option<Text>,
}

/// What a part takes from its parent unless it says otherwise.
struct Inherited<'a> {
    sector: &'a str,
    unit: &'a str,
    source: &'a str,
    reference_year: i64,
    cumulative_since: Option<i64>,
    as_of: Option<&'a str>,
}

struct Context<'a> {
    units: HashMap<&'a str, &'a model::Unit>,
    year: i64,
}

/// Resolves checked data. Validation has passed, so a missing reference here is a bug in the
/// rules, reported as such rather than printed as an empty cell.
pub fn resolve(files: &SourceFiles, catalogue: &Catalogue, edition: &Edition) -> Result<Resolved, AppError> {
    let units: HashMap<&str, &model::Unit> =
        catalogue.units.iter().flat_map(|p| &p.data.unit).map(|u| (u.id.get_ref().as_str(), u)).collect();
    let departments: HashMap<&str, Department> = catalogue
        .departments
        .iter()
        .flat_map(|p| &p.data.department)
        .map(|d| {
            let id = d.id.get_ref().clone();
            (d.id.get_ref().as_str(), Department { id, name: (&d.name).into() })
        })
        .collect();
    let mut sectors = catalogue
        .sectors
        .iter()
        .flat_map(|p| &p.data.sector)
        .map(|s| {
            let department = departments
                .get(s.department.get_ref().as_str())
                .cloned()
                .ok_or_else(|| unresolved("department", s.department.get_ref()))?;
            Ok(Sector {
                id: s.id.get_ref().clone(),
                order: *s.order.get_ref(),
                name: (&s.name).into(),
                description: (&s.description).into(),
                department,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    sectors.sort_by_key(|s| s.order);

    let city_names: HashMap<&str, Text> =
        edition.cities.iter().map(|c| (c.city.id.get_ref().as_str(), Text::from(&c.city.name))).collect();
    let sources = catalogue
        .sources
        .iter()
        .flat_map(|p| &p.data.source)
        .map(|s| Source {
            id: s.id.get_ref().clone(),
            city: city_names
                .get(s.city.get_ref().as_str())
                .cloned()
                .unwrap_or_else(|| Text { zh: s.city.get_ref().clone(), en: s.city.get_ref().clone() }),
            title: (&s.title).into(),
            publication: s.publication.as_ref().map(Into::into),
            period: s.period.get_ref().clone(),
            seed: s.seed.clone(),
            authors: s
                .authors
                .as_ref()
                .map(|a| Text { zh: a.get_ref().clone(), en: s.authors_en.as_ref().unwrap_or(a).get_ref().clone() }),
            date: s.date.as_ref().and_then(|d| crate::config::written_date(d.get_ref())),
            url: s.url.as_ref().map(|u| u.get_ref().clone()),
        })
        .collect();
    let terms = catalogue
        .terms
        .iter()
        .flat_map(|p| &p.data.term)
        .map(|t| Term { zh: t.zh.get_ref().clone(), en: t.en.get_ref().clone(), definition: (&t.definition).into() })
        .collect();

    let cx = Context { units, year: i64::from(edition.year) };
    let cities = edition
        .cities
        .iter()
        .map(|c| {
            let text = files.text(c.file);
            let figures =
                c.city.indicators.iter().map(|i| cx.figure(text, i, None)).collect::<Result<Vec<_>, AppError>>()?;
            Ok(City {
                id: c.city.id.get_ref().clone(),
                name: (&c.city.name).into(),
                province: c.city.province.as_ref().map(Into::into),
                code: c.city.code.as_ref().map(|s| s.get_ref().clone()),
                overview: c.city.overview.as_ref().map_or(Text { zh: String::new(), en: String::new() }, Into::into),
                summaries: c.city.summaries.iter().map(|(k, v)| (k.get_ref().clone(), v.into())).collect(),
                figures,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Resolved { year: edition.year, sectors, sources, terms, cities })
}

/// Gives every figure of `current` last year's figure of the same city, indicator and unit from
/// the previous edition. A figure this edition's source gives for last year prevails; where it
/// differs from what the previous edition printed, that is kept as the restated value.
pub fn join_previous(current: &mut Resolved, previous: &Resolved) {
    let mut before: HashMap<(&str, &str, &str), (Number, i64)> = HashMap::new();
    for city in &previous.cities {
        walk(&city.figures, &mut |f| {
            if let Some(value) = f.value {
                before.insert((city.id.as_str(), f.id.as_str(), f.unit.id.as_str()), (value, f.reference_year));
            }
        });
    }
    for city in &mut current.cities {
        walk_mut(&mut city.figures, &mut |f| {
            let Some(&(value, year)) = before.get(&(city.id.as_str(), f.id.as_str(), f.unit.id.as_str())) else {
                return;
            };
            f.last_year = Some(match f.last_year.take() {
                // The previous edition printed the figure of the same year: a differing value is
                // a revision of it.
                Some(mut own) if own.year == year => {
                    if own.value.value != value.value {
                        own.restated_from = Some(value);
                    }
                    own
                }
                // It printed another year's figure (a 2023 figure in the 2024 edition): that is a
                // different figure, not a revision, and this edition's own last-year figure stands.
                Some(own) => own,
                None => LastYear { value, year, restated_from: None },
            });
        });
    }
}

/// Every figure and part, depth first.
pub fn walk<'a>(figures: &'a [Figure], f: &mut dyn FnMut(&'a Figure)) {
    for x in figures {
        f(x);
        walk(&x.parts, f);
    }
}

fn walk_mut(figures: &mut [Figure], f: &mut dyn FnMut(&mut Figure)) {
    for x in figures {
        f(x);
        walk_mut(&mut x.parts, f);
    }
}

fn unresolved(what: &str, id: &str) -> AppError {
    AppError::Internal(format!("the {what} `{id}` passed the checks but cannot be found"))
}

impl Context<'_> {
    fn figure<'f>(
        &self,
        text: &str,
        ind: &'f model::Indicator,
        parent: Option<&Inherited<'f>>,
    ) -> Result<Figure, AppError> {
        fn own(s: &Option<Spanned<String>>) -> Option<&str> {
            s.as_ref().map(|s| s.get_ref().as_str())
        }
        let sector =
            own(&ind.sector).or(parent.map(|p| p.sector)).ok_or_else(|| unresolved("sector of", ind.id.get_ref()))?;
        let unit_id =
            own(&ind.unit).or(parent.map(|p| p.unit)).ok_or_else(|| unresolved("unit of", ind.id.get_ref()))?;
        let source =
            own(&ind.source).or(parent.map(|p| p.source)).ok_or_else(|| unresolved("source of", ind.id.get_ref()))?;
        let unit = self.units.get(unit_id).ok_or_else(|| unresolved("unit", unit_id))?;
        let reference_year =
            ind.reference_year.as_ref().map(|y| *y.get_ref()).or(parent.map(|p| p.reference_year)).unwrap_or(self.year);
        let cumulative_since =
            ind.cumulative_since.as_ref().map(|y| *y.get_ref()).or(parent.and_then(|p| p.cumulative_since));
        let as_of = ind.as_of.as_ref().map(|a| a.get_ref().as_str()).or(parent.and_then(|p| p.as_of));
        let number = |n: &Spanned<f64>| Number { value: *n.get_ref(), decimals: literal_decimals(text, n.span()) };
        let inherited = Inherited { sector, unit: unit_id, source, reference_year, cumulative_since, as_of };
        let parts =
            ind.of_which.iter().map(|p| self.figure(text, p, Some(&inherited))).collect::<Result<Vec<_>, _>>()?;
        Ok(Figure {
            id: ind.id.get_ref().clone(),
            sector: sector.to_string(),
            name: (&ind.name).into(),
            pinyin: ind.pinyin.as_ref().map(|p| p.get_ref().clone()),
            unit: Unit {
                id: unit_id.to_string(),
                text: Text { zh: unit.zh.get_ref().clone(), en: unit.en.get_ref().clone() },
                kind: unit.kind,
            },
            value: ind.value.as_ref().map(number),
            status: Status::of(ind.value.is_some(), as_of.is_some()),
            qualifier: ind.qualifier,
            reference_year,
            cumulative_since,
            as_of: as_of.map(str::to_owned),
            target: ind.target.as_ref().map(number),
            completion: ind.completion.as_ref().map(number),
            before: ind.previous.as_ref().map(number),
            last_year: ind.last_year.as_ref().map(|v| LastYear {
                value: number(v),
                year: reference_year - 1,
                restated_from: None,
            }),
            reported_change: ind.change.as_ref().map(number),
            note: ind.note.as_ref().map(Into::into),
            source: source.to_string(),
            derived: ind.derived,
            key: ind.key,
            method: ind.method.as_ref().map(Into::into),
            parts,
            alternatives: ind
                .alternatives
                .iter()
                .map(|a| Alternative {
                    value: number(&a.value),
                    source: a.source.get_ref().clone(),
                    note: a.note.as_ref().map(Into::into),
                })
                .collect(),
        })
    }
}

/// The decimals a number was typed with, read from its TOML literal. More than a printed table
/// can hold is capped, not wrapped around.
pub fn literal_decimals(text: &str, span: std::ops::Range<usize>) -> u8 {
    let literal = text.get(span).unwrap_or("");
    let mantissa = literal.split(['e', 'E']).next().unwrap_or("");
    match mantissa.split_once('.') {
        Some((_, frac)) => {
            u8::try_from(frac.chars().filter(char::is_ascii_digit).count()).unwrap_or(u8::MAX).min(MAX_DECIMALS)
        }
        None => 0,
    }
}

/// The most decimals a figure prints with.
pub const MAX_DECIMALS: u8 = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_come_from_the_literal() {
        let src = "value = 1.50\nother = 3";
        assert_eq!(literal_decimals(src, 8..12), 2);
        assert_eq!(literal_decimals(src, 21..22), 0);
        let long = format!("x = 1.{}", "0".repeat(270));
        assert_eq!(literal_decimals(&long, 4..long.len()), MAX_DECIMALS);
    }
}
