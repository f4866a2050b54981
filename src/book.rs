//! The resolved edition: validated data turned into what a reader sees — chapters, numbered
//! tables, formatted numbers, derived columns, notes and symbols. Both the PDF templates and the
//! workbook are written from this one structure, so they cannot disagree.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::config::Config;
use crate::load::Loaded;
use crate::model::{City, Indicator, Qualifier, Text, UnitKind};
use crate::validate::sheet_name;

#[derive(Debug, Serialize)]
pub struct Book {
    pub year: i32,
    pub title: Text,
    pub publisher: Text,
    /// Publication date, `YYYY-MM-DD`.
    pub date: String,
    pub cities: Vec<CityEntry>,
    pub chapters: Vec<Chapter>,
    pub sources: Vec<SourceEntry>,
    pub terms: Vec<TermEntry>,
    /// Only the symbols that the tables actually use.
    pub symbols: Vec<Symbol>,
    /// Reference years other than the edition year that occur in the data.
    pub other_reference_years: Vec<i64>,
    pub indicator_count: usize,
    /// Index of indicators, one entry per indicator id, sorted by English name.
    pub index: Vec<IndexEntry>,
}

#[derive(Debug, Serialize)]
pub struct IndexEntry {
    pub key: String,
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Serialize)]
pub struct CityEntry {
    pub id: String,
    pub name: Text,
    pub province: Option<Text>,
    pub overview: Text,
    pub indicator_count: usize,
    /// A few figures for the city-profile panel: those with the largest completion, else the first.
    pub key_figures: Vec<Row>,
}

#[derive(Debug, Serialize)]
pub struct Chapter {
    pub number: usize,
    pub id: String,
    pub name: Text,
    pub description: Text,
    pub department: Text,
    pub sheet_name: String,
    pub summaries: Vec<CitySummary>,
    pub tables: Vec<Table>,
    /// Completion rates of this chapter's indicators, for the chart.
    pub completion_chart: Vec<Bar>,
}

#[derive(Debug, Serialize)]
pub struct CitySummary {
    pub city: Text,
    pub text: Text,
}

#[derive(Debug, Serialize)]
pub struct Bar {
    pub label: Text,
    pub city: Text,
    pub value: f64,
}

#[derive(Debug, Serialize)]
pub struct Table {
    /// Chapter-scoped number, e.g. `3-1`.
    pub number: String,
    pub title: Text,
    /// `detail`: every figure of every city; `comparison`: shared indicators side by side.
    pub kind: &'static str,
    /// City columns of a comparison table.
    pub columns: Vec<Text>,
    pub groups: Vec<Group>,
    pub notes: Vec<Text>,
    /// Source codes (S1, S2 …) the table draws on.
    pub sources: Vec<String>,
    pub has_target: bool,
    pub has_completion: bool,
    pub has_change: bool,
}

/// Rows under one heading (a city in detail tables; a single unnamed group in comparisons).
#[derive(Debug, Serialize)]
pub struct Group {
    pub heading: Option<Text>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub indicator_id: String,
    pub city_id: String,
    pub city: Text,
    /// 0 for a figure, 1 for an "of which" part.
    pub level: u8,
    pub name: Text,
    pub unit: Text,
    pub value: Num,
    pub target: Option<Num>,
    pub completion: Option<Num>,
    pub previous: Option<Num>,
    pub change: Option<Num>,
    /// `%` or `pp`, for the change column.
    pub change_unit: &'static str,
    pub reference_year: i64,
    pub cumulative_since: Option<i64>,
    pub as_of: Option<String>,
    pub source: String,
    /// Note numbers (1-based, within the table) attached to this row.
    pub note_refs: Vec<usize>,
    pub note: Option<Text>,
    pub derived: bool,
    /// One value per comparison column.
    pub cells: Vec<Option<Num>>,
}

/// A number as printed: integer and fraction apart for decimal alignment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Num {
    pub raw: f64,
    pub decimals: u8,
    /// Integer part with digit grouping (thin spaces from 10 000 up), sign included.
    pub int: String,
    /// Decimal separator and digits, or empty.
    pub frac: String,
    /// Qualifier mark printed before the number (`>`, `≈`, `<`), or empty.
    pub mark: String,
    /// Computed by us rather than reported: printed in italics.
    pub derived: bool,
}

#[derive(Debug, Serialize)]
pub struct SourceEntry {
    pub code: String,
    pub id: String,
    pub city: Text,
    pub title: Text,
    pub publication: Option<Text>,
    pub period: String,
    pub seed: String,
}

#[derive(Debug, Serialize)]
pub struct TermEntry {
    pub zh: String,
    pub en: String,
    pub definition: Text,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Symbol {
    pub mark: String,
    pub meaning: Text,
}

const THIN_SPACE: char = '\u{2009}';

impl Num {
    pub fn new(raw: f64, decimals: u8) -> Num {
        let text = format!("{:.*}", usize::from(decimals), raw.abs());
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i.to_string(), format!(".{f}")),
            None => (text, String::new()),
        };
        let grouped = if int.len() >= 5 { group_digits(&int) } else { int };
        let negative = raw < 0.0 && text_is_nonzero(&grouped, &frac);
        Num {
            raw,
            decimals,
            int: if negative { format!("−{grouped}") } else { grouped },
            frac,
            mark: String::new(),
            derived: false,
        }
    }

    fn with_mark(mut self, q: Option<Qualifier>) -> Num {
        self.mark = qualifier_mark(q).to_string();
        self
    }

    fn derived(mut self) -> Num {
        self.derived = true;
        self
    }

    /// The number as one string, for plain-text uses.
    pub fn text(&self) -> String {
        format!("{}{}{}", self.mark, self.int, self.frac).replace(THIN_SPACE, " ")
    }
}

fn text_is_nonzero(int: &str, frac: &str) -> bool {
    int.chars().chain(frac.chars()).any(|c| c.is_ascii_digit() && c != '0')
}

fn group_digits(int: &str) -> String {
    let digits: Vec<char> = int.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(THIN_SPACE);
        }
        out.push(*c);
    }
    out
}

pub fn qualifier_mark(q: Option<Qualifier>) -> &'static str {
    match q {
        Some(Qualifier::Over) => ">",
        Some(Qualifier::About) => "≈",
        Some(Qualifier::Nearly) => "<",
        None => "",
    }
}

/// The decimals a number was typed with, read from its TOML literal.
pub fn literal_decimals(text: &str, span: std::ops::Range<usize>) -> u8 {
    let literal = text.get(span).unwrap_or("");
    let mantissa = literal.split(['e', 'E']).next().unwrap_or("");
    match mantissa.split_once('.') {
        Some((_, frac)) => u8::try_from(frac.chars().filter(char::is_ascii_digit).count()).unwrap_or(6),
        None => 0,
    }
}

/// The target implied by a value and a reported completion rate, rounded honestly: the roundest
/// number consistent with the rate's own rounding (147.95 % means 147.945–147.955 %).
pub fn implied_target(value: f64, rate: f64, rate_decimals: u8) -> Option<f64> {
    if rate <= 0.0 || value <= 0.0 {
        return None;
    }
    // Reports round or truncate the rate: the true rate lies within half a unit below and one
    // unit above the printed digits.
    let unit = 10f64.powi(-i32::from(rate_decimals));
    let lo = value / ((rate + unit) / 100.0);
    let hi = value / ((rate - unit / 2.0).max(1e-9) / 100.0);
    let mid = value / (rate / 100.0);
    let top = mid.abs().log10().floor() as i32 + 1;
    for exp in (-2..=top).rev() {
        let step = 10f64.powi(exp);
        let candidate = (mid / step).round() * step;
        if candidate >= lo - 1e-9 && candidate <= hi + 1e-9 && candidate > 0.0 {
            return Some(candidate);
        }
    }
    Some(mid)
}

fn decimals_of(x: f64) -> u8 {
    for d in 0..=4u8 {
        let scaled = x * 10f64.powi(i32::from(d));
        if (scaled - scaled.round()).abs() < 1e-6 {
            return d;
        }
    }
    4
}

struct Lookups<'a> {
    text: &'a dyn Fn(usize) -> &'a str,
    units: HashMap<String, (Text, UnitKind)>,
    source_codes: HashMap<String, String>,
    year: i64,
}

/// Builds the book from validated data. `cities` filters by id when not empty.
pub fn build(config: &Config, loaded: &Loaded, only: &[String]) -> Book {
    let year = i64::from(config.year);
    let text_of = |file: usize| loaded.files.text(file);
    let units: HashMap<String, (Text, UnitKind)> = loaded
        .units
        .iter()
        .flat_map(|(_, f)| &f.unit)
        .map(|u| (u.id.get_ref().clone(), (Text { zh: u.zh.get_ref().clone(), en: u.en.get_ref().clone() }, u.kind)))
        .collect();

    let mut cities: Vec<(usize, &City)> = loaded
        .cities
        .iter()
        .filter(|(_, _, c)| only.is_empty() || only.iter().any(|o| o == c.id.get_ref()))
        .map(|(f, _, c)| (*f, c))
        .collect();
    cities.sort_by(|a, b| a.1.name.en().cmp(b.1.name.en()));

    // Sources in catalogue order, numbered S1, S2 … among those the selected cities use.
    let mut used_sources: BTreeSet<String> = BTreeSet::new();
    for (_, c) in &cities {
        c.sources.iter().for_each(|s| {
            used_sources.insert(s.get_ref().clone());
        });
        walk(&c.indicators, &mut |i| {
            if let Some(s) = &i.source {
                used_sources.insert(s.get_ref().clone());
            }
            for a in &i.alternatives {
                used_sources.insert(a.source.get_ref().clone());
            }
        });
    }
    let city_names: HashMap<&str, Text> =
        cities.iter().map(|(_, c)| (c.id.get_ref().as_str(), Text::from(&c.name))).collect();
    let mut sources = Vec::new();
    for s in loaded.sources.iter().flat_map(|(_, f)| &f.source) {
        if used_sources.contains(s.id.get_ref()) {
            sources.push(SourceEntry {
                code: format!("S{}", sources.len() + 1),
                id: s.id.get_ref().clone(),
                city: city_names
                    .get(s.city.get_ref().as_str())
                    .cloned()
                    .unwrap_or(Text { zh: s.city.get_ref().clone(), en: s.city.get_ref().clone() }),
                title: (&s.title).into(),
                publication: s.publication.as_ref().map(Into::into),
                period: s.period.clone(),
                seed: s.seed.clone(),
            });
        }
    }
    let source_codes: HashMap<String, String> = sources.iter().map(|s| (s.id.clone(), s.code.clone())).collect();
    let lookups = Lookups { text: &text_of, units, source_codes, year };

    let mut symbols: Vec<Symbol> = Vec::new();
    let mut other_years: BTreeSet<i64> = BTreeSet::new();
    let mut sectors: Vec<_> = loaded.sectors.iter().flat_map(|(_, f)| &f.sector).collect();
    sectors.sort_by_key(|s| *s.order.get_ref());
    let departments: HashMap<&str, Text> = loaded
        .departments
        .iter()
        .flat_map(|(_, f)| &f.department)
        .map(|d| (d.id.get_ref().as_str(), Text::from(&d.name)))
        .collect();

    let mut chapters = Vec::new();
    for sector in sectors {
        let sid = sector.id.get_ref();
        let number = chapters.len() + 1;
        let mut groups = Vec::new();
        let mut notes: Vec<Text> = Vec::new();
        let mut table_sources: BTreeSet<String> = BTreeSet::new();
        let mut summaries = Vec::new();
        let mut chart = Vec::new();
        for (file, city) in &cities {
            let city_text = Text::from(&city.name);
            let mut rows = Vec::new();
            for ind in city.indicators.iter().filter(|i| i.sector.as_ref().is_some_and(|s| s.get_ref() == sid)) {
                flatten(ind, 0, None, *file, city, &lookups, &mut rows, &mut notes);
            }
            if rows.is_empty() {
                continue;
            }
            for r in &rows {
                table_sources.insert(r.source.clone());
                if r.reference_year != year {
                    other_years.insert(r.reference_year);
                }
                if let (0, Some(c)) = (r.level, &r.completion) {
                    chart.push(Bar { label: r.name.clone(), city: city_text.clone(), value: c.raw });
                }
            }
            if let Some((_, t)) = city.summaries.iter().find(|(k, _)| k.get_ref() == sid) {
                summaries.push(CitySummary { city: city_text.clone(), text: t.into() });
            }
            groups.push(Group { heading: Some(city_text), rows });
        }
        if groups.is_empty() {
            continue;
        }
        let all_rows = || groups.iter().flat_map(|g| &g.rows);
        for r in all_rows() {
            for sym in row_symbols(r, year) {
                if !symbols.contains(&sym) {
                    symbols.push(sym);
                }
            }
        }
        let detail = Table {
            number: format!("{number}-1"),
            title: Text {
                zh: format!("{}主要指标", sector.name.zh()),
                en: format!("Main Indicators of {}", sector.name.en()),
            },
            kind: "detail",
            columns: Vec::new(),
            has_target: all_rows().any(|r| r.target.is_some()),
            has_completion: all_rows().any(|r| r.completion.is_some()),
            has_change: all_rows().any(|r| r.change.is_some()),
            sources: table_sources.iter().cloned().collect(),
            notes,
            groups,
        };
        let mut tables = vec![detail];
        if let Some(cmp) = comparison(&tables[0], number, sector.name.zh(), sector.name.en()) {
            tables.push(cmp);
        }
        chapters.push(Chapter {
            number,
            id: sid.clone(),
            name: (&sector.name).into(),
            description: (&sector.description).into(),
            department: departments
                .get(sector.department.get_ref().as_str())
                .cloned()
                .unwrap_or(Text { zh: String::new(), en: String::new() }),
            // Sheets carry the chapter number, so the workbook and the book agree.
            sheet_name: sheet_name(number as i64, sector.name.zh()),
            summaries,
            tables,
            completion_chart: chart,
        });
    }
    symbols.sort_by_key(|s| symbol_order(&s.mark));

    let mut indicator_count = 0;
    let city_entries = cities
        .iter()
        .map(|(file, c)| {
            let mut rows = Vec::new();
            let mut scratch = Vec::new();
            for ind in &c.indicators {
                flatten(ind, 0, None, *file, c, &lookups, &mut rows, &mut scratch);
            }
            indicator_count += rows.len();
            let count = rows.len();
            let mut top: Vec<Row> = rows.into_iter().filter(|r| r.level == 0).collect();
            top.truncate(6);
            CityEntry {
                id: c.id.get_ref().clone(),
                name: (&c.name).into(),
                province: c.province.as_ref().map(Into::into),
                overview: (&c.overview).into(),
                indicator_count: count,
                key_figures: top,
            }
        })
        .collect();

    let terms = loaded
        .terms
        .iter()
        .flat_map(|(_, f)| &f.term)
        .map(|t| TermEntry {
            zh: t.zh.get_ref().clone(),
            en: t.en.get_ref().clone(),
            definition: (&t.definition).into(),
        })
        .collect();
    let mut index: Vec<IndexEntry> = Vec::new();
    for row in chapters.iter().flat_map(|c: &Chapter| &c.tables[0].groups).flat_map(|g| &g.rows) {
        if !index.iter().any(|e| e.key == row.indicator_id) {
            index.push(IndexEntry { key: row.indicator_id.clone(), zh: row.name.zh.clone(), en: row.name.en.clone() });
        }
    }
    index.sort_by_key(|e| e.en.to_lowercase());
    let d = config.date;
    Book {
        index,
        year: config.year,
        title: config.title.clone(),
        publisher: config.publisher.clone(),
        date: format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
        cities: city_entries,
        chapters,
        sources,
        terms,
        symbols,
        other_reference_years: other_years.into_iter().collect(),
        indicator_count,
    }
}

fn walk<'a>(inds: &'a [Indicator], f: &mut dyn FnMut(&'a Indicator)) {
    for i in inds {
        f(i);
        walk(&i.of_which, f);
    }
}

struct ParentInfo {
    unit: String,
    source: String,
}

#[allow(clippy::too_many_arguments)]
fn flatten(
    ind: &Indicator,
    level: u8,
    parent: Option<&ParentInfo>,
    file: usize,
    city: &City,
    l: &Lookups,
    rows: &mut Vec<Row>,
    notes: &mut Vec<Text>,
) {
    let text = (l.text)(file);
    let unit_id =
        ind.unit.as_ref().map(|u| u.get_ref().clone()).or_else(|| parent.map(|p| p.unit.clone())).unwrap_or_default();
    let source_id = ind
        .source
        .as_ref()
        .map(|s| s.get_ref().clone())
        .or_else(|| parent.map(|p| p.source.clone()))
        .unwrap_or_default();
    let (unit, kind) =
        l.units.get(&unit_id).cloned().unwrap_or((Text { zh: unit_id.clone(), en: unit_id.clone() }, UnitKind::Other));
    let decimals = literal_decimals(text, ind.value.span());
    let mut value = Num::new(*ind.value.get_ref(), decimals).with_mark(ind.qualifier);
    if ind.derived {
        value = value.derived();
    }
    let completion = ind.completion.as_ref().map(|c| Num::new(*c.get_ref(), literal_decimals(text, c.span())));
    let target = match (&ind.target, &ind.completion) {
        (Some(t), _) => Some(Num::new(*t.get_ref(), literal_decimals(text, t.span()))),
        (None, Some(c)) if ind.qualifier.is_none() => {
            implied_target(*ind.value.get_ref(), *c.get_ref(), literal_decimals(text, c.span()))
                .map(|t| Num::new(t, decimals_of(t)).derived())
        }
        _ => None,
    };
    let previous = ind.previous.as_ref().map(|p| Num::new(*p.get_ref(), literal_decimals(text, p.span())));
    let (change, change_unit) = match &previous {
        Some(p) if kind == UnitKind::Percent => {
            (Some(Num::new(value.raw - p.raw, decimals.max(p.decimals)).derived()), "pp")
        }
        Some(p) if p.raw > 0.0 => (Some(Num::new((value.raw / p.raw - 1.0) * 100.0, 1).derived()), "%"),
        _ => (None, ""),
    };
    let mut note_refs = Vec::new();
    let mut add_note = |t: Text, notes: &mut Vec<Text>| {
        notes.push(t);
        note_refs.push(notes.len());
    };
    if let Some(n) = &ind.note {
        add_note(n.into(), notes);
    }
    if let Some(m) = &ind.method {
        add_note(Text { zh: format!("推算方法：{}", m.zh()), en: format!("Derived: {}", m.en()) }, notes);
    }
    for alt in &ind.alternatives {
        let code = l.source_codes.get(alt.source.get_ref()).cloned().unwrap_or_default();
        let v = Num::new(*alt.value.get_ref(), literal_decimals(text, alt.value.span())).text();
        let extra = alt.note.as_ref().map(|n| (format!("；{}", n.zh()), format!("; {}", n.en()))).unwrap_or_default();
        add_note(
            Text {
                zh: format!("{}另一报道（{code}）为{v}{}{}", ind.name.zh(), unit.zh, extra.0),
                en: format!("{}: another report ({code}) gives {v} {}{}", ind.name.en(), unit.en, extra.1),
            },
            notes,
        );
    }
    if let Some(since) = &ind.cumulative_since {
        add_note(
            Text {
                zh: format!("{}为{}年以来累计数。", ind.name.zh(), since.get_ref()),
                en: format!("{}: cumulative total since {}.", ind.name.en(), since.get_ref()),
            },
            notes,
        );
    }
    if let Some(as_of) = &ind.as_of {
        add_note(
            Text {
                zh: format!("{}统计截至{as_of}。", ind.name.zh()),
                en: format!("{}: figures up to {as_of}.", ind.name.en()),
            },
            notes,
        );
    }
    rows.push(Row {
        indicator_id: ind.id.get_ref().clone(),
        city_id: city.id.get_ref().clone(),
        city: (&city.name).into(),
        level,
        name: (&ind.name).into(),
        unit,
        value,
        target,
        completion,
        previous,
        change,
        change_unit,
        reference_year: ind.reference_year.as_ref().map_or(l.year, |y| *y.get_ref()),
        cumulative_since: ind.cumulative_since.as_ref().map(|s| *s.get_ref()),
        as_of: ind.as_of.clone(),
        source: l.source_codes.get(&source_id).cloned().unwrap_or_default(),
        note_refs,
        note: ind.note.as_ref().map(Into::into),
        derived: ind.derived,
        cells: Vec::new(),
    });
    let info = ParentInfo { unit: unit_id, source: source_id };
    for part in &ind.of_which {
        flatten(part, level + 1, Some(&info), file, city, l, rows, notes);
    }
}

/// Indicators that two or more cities report, side by side.
fn comparison(detail: &Table, chapter: usize, zh: &str, en: &str) -> Option<Table> {
    // The same id in the same unit: figures in different units are not comparable.
    let mut by_id: BTreeMap<(&str, &str), Vec<&Row>> = BTreeMap::new();
    for g in &detail.groups {
        for r in g.rows.iter().filter(|r| r.level == 0) {
            by_id.entry((r.indicator_id.as_str(), r.unit.zh.as_str())).or_default().push(r);
        }
    }
    let shared: Vec<(_, Vec<&Row>)> = by_id.into_iter().filter(|(_, rows)| rows.len() > 1).collect();
    if shared.is_empty() {
        return None;
    }
    let columns: Vec<Text> = detail.groups.iter().filter_map(|g| g.heading.clone()).collect();
    let rows = shared
        .into_iter()
        .map(|(_, rows)| {
            let mut row = rows[0].clone();
            row.note_refs.clear();
            row.cells = columns.iter().map(|c| rows.iter().find(|r| r.city == *c).map(|r| r.value.clone())).collect();
            row
        })
        .collect();
    Some(Table {
        number: format!("{chapter}-2"),
        title: Text { zh: format!("{zh}可比指标城市对比"), en: format!("{en}: Comparable Indicators by City") },
        kind: "comparison",
        columns,
        groups: vec![Group { heading: None, rows }],
        notes: Vec::new(),
        sources: detail.sources.clone(),
        has_target: false,
        has_completion: false,
        has_change: false,
    })
}

fn row_symbols(r: &Row, year: i64) -> Vec<Symbol> {
    let mut out = Vec::new();
    let sym =
        |mark: &str, zh: &str, en: &str| Symbol { mark: mark.into(), meaning: Text { zh: zh.into(), en: en.into() } };
    match r.value.mark.as_str() {
        ">" => out.push(sym(
            ">",
            "超过所列数值（原文作“超”“余”“以上”等）",
            "more than the figure shown (source: “over”, “-odd”)",
        )),
        "≈" => out.push(sym("≈", "约数", "approximate figure")),
        "<" => out.push(sym("<", "接近但不足所列数值（原文作“近”）", "nearly, just under the figure shown")),
        _ => {}
    }
    if r.target.as_ref().is_some_and(|t| t.derived) || r.change.is_some() || r.derived {
        out.push(sym(
            "斜体 italic",
            "推算数，由本书根据原文数据计算",
            "derived by the editors from the reported figures",
        ));
    }
    if r.reference_year != year {
        out.push(sym(
            "年份 year",
            "数据所属年份不同于本版年份时在“年份”栏注明",
            "the Year column gives the reference year when it differs from the edition",
        ));
    }
    if r.level > 0 {
        out.push(sym("其中 of which", "缩进行为上一行的组成部分", "indented rows are parts of the row above"));
    }
    if !r.note_refs.is_empty() {
        out.push(sym("①②", "见表下注释", "see the notes under the table"));
    }
    out
}

fn symbol_order(mark: &str) -> usize {
    [">", "≈", "<", "斜体 italic", "年份 year", "其中 of which", "①②"].iter().position(|m| *m == mark).unwrap_or(99)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_from_ten_thousand_and_keep_decimals() {
        assert_eq!(Num::new(59178.0, 0).int, "59\u{2009}178");
        assert_eq!(Num::new(4086.0, 0).int, "4086");
        let n = Num::new(160.97, 2);
        assert_eq!((n.int.as_str(), n.frac.as_str()), ("160", ".97"));
        assert_eq!(Num::new(1.5, 2).frac, ".50");
        assert_eq!(Num::new(-3.25, 1).text(), "−3.2");
    }

    #[test]
    fn decimals_come_from_the_literal() {
        let src = "value = 1.50\nother = 3";
        assert_eq!(literal_decimals(src, 8..12), 2);
        assert_eq!(literal_decimals(src, 21..22), 0);
    }

    #[test]
    fn implied_targets_round_honestly() {
        // 59178 persons at 147.95 % of target: the target was 40 000.
        assert_eq!(implied_target(59178.0, 147.95, 2), Some(40000.0));
        // 1547 at 206.27 %: 750.
        assert_eq!(implied_target(1547.0, 206.27, 2), Some(750.0));
        // 129 at 129 %: 100.
        assert_eq!(implied_target(129.0, 129.0, 0), Some(100.0));
        // 3 at 150 %: 2.
        assert_eq!(implied_target(3.0, 150.0, 0), Some(2.0));
        // 71 at 120.33 % (71 / 59 = 120.34 %, truncated in the report): 59.
        assert_eq!(implied_target(71.0, 120.33, 2), Some(59.0));
        // 3.54 (10 000 person-times) at 101 %: 3.5.
        assert_eq!(implied_target(3.54, 101.0, 0), Some(3.5));
        assert_eq!(implied_target(5.0, 0.0, 0), None);
    }
}
