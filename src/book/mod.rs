//! What a reader sees: the resolved edition laid out as chapters, numbered tables, formatted
//! numbers, derived columns, notes and symbols. Both the PDF templates and the workbook are
//! written from this one structure, so they cannot disagree; the columns of a table are one
//! list ([`Col`]) that the Typst table and the workbook writer both follow.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::config::{Config, Date, Imprint};
use crate::model::{Qualifier, Text, UnitKind};
use crate::names::sheet_name;
use crate::resolve::{City, Figure, Number, Resolved, Status, walk};
use diff::EditionDiff;

mod columns;
pub mod diff;
pub mod num;

use crate::book::num::decimals_of;
pub use crate::book::num::{Num, implied_target, qualifier_mark};
use crate::year::Year;
pub use columns::{Col, Column, Compared};

#[derive(Debug, Serialize)]
pub struct Book {
    pub year: Year,
    pub title: Text,
    pub publisher: Text,
    /// Publication date.
    pub date: Date,
    pub imprint: Imprint,
    pub cities: Vec<CityEntry>,
    pub chapters: Vec<Chapter>,
    pub sources: Vec<SourceEntry>,
    pub terms: Vec<TermEntry>,
    /// Only the symbols that the tables actually use, in legend order.
    pub symbols: Vec<Symbol>,
    /// Reference years other than the edition year that occur in the data.
    pub other_reference_years: Vec<i64>,
    /// What years the data describe and the latest cut-off they state, from the figures
    /// themselves (the cover line and the imprint), never typed.
    pub coverage: Coverage,
    pub indicator_count: usize,
    /// A national edition (from `[typeset] national_from` cities, 10 by default): the editor's notes give the count and
    /// the provinces and list the cities in an appendix, and chapter openers leave the city
    /// summaries to the profiles.
    pub national: bool,
    /// The provinces of the cities, in code order.
    pub provinces: Vec<Text>,
    /// How many figures are plans, progress to a date, and results.
    pub statuses: StatusCounts,
    /// Index of indicators, one entry per indicator id; parts are named with their parent.
    pub index: Index,
    /// What changed since the previous edition, when its data exist.
    pub changes: Option<EditionDiff>,
}

/// The data's years as the cover and the imprint print them.
#[derive(Debug, Serialize)]
pub struct Coverage {
    /// The cover's data line: `2025年数据`, or `主要为2025年数据，部分为2024年` when mixed.
    pub cover: Text,
    /// Every reference year, for the imprint: `2024、2025年`.
    pub years: Text,
    /// The latest cut-off a figure states (`as_of`), if any: `2025年11月`.
    pub latest_cut_off: Option<Text>,
}

impl Coverage {
    /// From each figure's reference year and cut-off. The main year is the one most figures
    /// have (the edition's on a tie).
    fn of(edition_year: i64, years: &[i64], cut_offs: &[&str]) -> Coverage {
        let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
        for y in years {
            *counts.entry(*y).or_default() += 1;
        }
        let main = counts.iter().max_by_key(|(y, n)| (**n, **y == edition_year)).map_or(edition_year, |(y, _)| *y);
        let others: Vec<String> = counts.keys().filter(|y| **y != main).map(i64::to_string).collect();
        let cover = if others.is_empty() {
            Text { zh: format!("{main}年数据"), en: format!("statistical data for {main}") }
        } else {
            Text {
                zh: format!("主要为{main}年数据，部分为{}年", others.join("、")),
                en: format!("mainly {main} data, some {}", others.join(", ")),
            }
        };
        let all: Vec<String> = if counts.is_empty() {
            vec![edition_year.to_string()]
        } else {
            counts.keys().map(i64::to_string).collect()
        };
        let years = Text { zh: format!("{}年", all.join("、")), en: all.join(", ") };
        let latest_cut_off = cut_offs.iter().max().and_then(|d| crate::config::written_date(d));
        Coverage { cover, years, latest_cut_off }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct StatusCounts {
    pub planned: usize,
    pub progress: usize,
    pub result: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexEntry {
    pub key: String,
    pub zh: String,
    pub en: String,
    /// The numbers of the tables that hold the indicator, in book order: a national edition's
    /// index points to them, where its pages would be long runs.
    pub tables: Vec<String>,
    /// The letter heading the entry falls under: the first letter of its pinyin in the Chinese
    /// order, of its English name in the English one ("0–9" for a name that begins with a
    /// figure), as the China Statistical Yearbook's index heads its runs.
    pub letter: String,
}

/// The letter an index entry is filed under, from its sort key.
fn index_letter(key: &str) -> String {
    match key.chars().find(|c| c.is_alphanumeric()) {
        Some(c) if c.is_ascii_digit() => "0–9".to_string(),
        Some(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase().to_string(),
        _ => String::new(),
    }
}

/// The index in the order of each edition: by pinyin for Chinese readers (the bilingual and zh
/// editions), by the English name for the en edition.
#[derive(Debug, Serialize)]
pub struct Index {
    pub by_pinyin: Vec<IndexEntry>,
    pub by_english: Vec<IndexEntry>,
}

#[derive(Debug, Serialize)]
pub struct CityEntry {
    pub id: String,
    pub name: Text,
    pub province: Option<Text>,
    /// The six-digit division code, when the city file gives it.
    pub code: Option<String>,
    /// The province this city is the first of, when the edition spans more than one province:
    /// the profiles print it as a heading.
    pub opens_province: Option<Text>,
    pub overview: Text,
    pub indicator_count: usize,
    /// A few figures for the city-profile panel.
    pub key_figures: Vec<Row>,
}

#[derive(Debug, Serialize)]
pub struct Chapter {
    pub number: usize,
    pub id: String,
    pub name: Text,
    pub description: Text,
    pub department_id: String,
    pub department: Text,
    pub sheet_name: String,
    pub summaries: Vec<CitySummary>,
    /// Table N-1: every figure of every city.
    pub detail: Table,
    /// Table N-2: indicators that two or more cities report, side by side (cities as columns:
    /// the workbook's form, and the printed one up to COMPARISON_CITY_COLUMNS cities).
    pub comparison: Option<Table>,
    /// Table N-2 as printed when there are more cities: one band per indicator, a row per city.
    pub comparison_by_rows: Option<Table>,
    /// The comparison as the book prints it when there are more cities than columns: cities as
    /// rows in province order, a few indicators as columns, as the China City Statistical
    /// Yearbook's by-region (分地区) tables; one table per block of indicators (N-2, N-3 …).
    pub comparison_by_city: Vec<Table>,
    /// Completion rates of this chapter's indicators, when a chart of them says something the
    /// table does not.
    pub completion_chart: Option<Chart>,
    /// What the book prints instead of that chart when it would run past a page in a national
    /// edition: how the rates are spread, and the lowest of them. The workbook keeps every bar.
    pub completion_summary: Option<ChartSummary>,
}

/// A page's worth of bars: a chart with more runs onto the next page.
pub const CHART_PAGE_BARS: usize = 30;

/// How many of the lowest completion rates a chart summary names.
pub const SUMMARY_LOWEST: usize = 10;

/// A chapter's completion rates in brief, as national yearbooks give them: how many fall in
/// each band, and the figures furthest below their targets.
#[derive(Debug, Serialize)]
pub struct ChartSummary {
    pub count: usize,
    /// Rates of 100 % or more.
    pub met: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// Every band, in rising order, including empty ones, so editions compare band by band.
    pub bands: Vec<Band>,
    /// The lowest rates, lowest first, each with its city.
    pub lowest: Vec<Bar>,
}

#[derive(Debug, Serialize)]
pub struct Band {
    pub label: Text,
    pub count: usize,
    pub met: bool,
}

impl ChartSummary {
    /// The lower bounds of the bands, in per cent; the first band is everything below 50 %.
    const BOUNDS: [f64; 5] = [50.0, 80.0, 100.0, 120.0, 150.0];

    /// A summary of a chart too long for its page in a national edition; `None` otherwise.
    pub fn of(chart: &Chart, national: bool) -> Option<ChartSummary> {
        if !national || chart.bars.len() <= CHART_PAGE_BARS {
            return None;
        }
        let mut values: Vec<f64> = chart.bars.iter().map(|b| b.value).collect();
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 };
        let b = Self::BOUNDS;
        let label = |zh: String, en: String| Text { zh, en };
        let mut bands =
            vec![Band { label: label(format!("低于{}%", b[0]), format!("below {}%", b[0])), count: 0, met: false }];
        for w in b.windows(2) {
            bands.push(Band {
                label: label(format!("{}%–{}%", w[0], w[1]), format!("{}% to under {}%", w[0], w[1])),
                count: 0,
                met: w[0] >= 100.0,
            });
        }
        let top = b[b.len() - 1];
        bands.push(Band { label: label(format!("{top}%及以上"), format!("{top}% and over")), count: 0, met: true });
        for v in &values {
            bands[b.iter().filter(|bound| *v >= **bound).count()].count += 1;
        }
        let mut lowest: Vec<&Bar> = chart.bars.iter().filter(|b| b.value < 100.0).collect();
        lowest.sort_by(|a, b| a.value.total_cmp(&b.value));
        Some(ChartSummary {
            count: n,
            met: values.iter().filter(|v| **v >= 100.0).count(),
            median,
            min: chart.min,
            max: chart.max,
            bands,
            lowest: lowest.into_iter().take(SUMMARY_LOWEST).cloned().collect(),
        })
    }
}

#[derive(Debug, Serialize)]
pub struct CitySummary {
    pub city: Text,
    pub text: Text,
}

#[derive(Debug, Serialize)]
pub struct Chart {
    /// The one city all bars belong to, named in the title instead of on every bar.
    pub city: Option<Text>,
    pub bars: Vec<Bar>,
    pub min: f64,
    pub max: f64,
}

/// Fewer indicators than this shared by two cities make no comparison table.
pub const COMPARISON_MIN_ROWS: usize = 2;

/// Fewer bars than this repeat the table beside them.
pub const CHART_MIN_BARS: usize = 6;

impl Chart {
    /// A chart, or `None` when it would say nothing the table does not: too few bars, or all
    /// within a few points of 100 %. The one rule for the book and the workbook.
    pub fn of(mut bars: Vec<Bar>) -> Option<Chart> {
        let min = bars.iter().map(|b| b.value).fold(f64::INFINITY, f64::min);
        let max = bars.iter().map(|b| b.value).fold(f64::NEG_INFINITY, f64::max);
        if bars.len() < CHART_MIN_BARS || (min >= 95.0 && max <= 105.0) {
            return None;
        }
        let first = bars[0].city.clone();
        let city = bars.iter().all(|b| b.city == first).then_some(first).flatten();
        if city.is_some() {
            bars.iter_mut().for_each(|b| b.city = None);
        }
        Some(Chart { city, bars, min, max })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub label: Text,
    pub city: Option<Text>,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TableKind {
    Detail,
    Comparison,
}

#[derive(Debug, Serialize)]
pub struct Table {
    /// Chapter-scoped number, e.g. `3-1`.
    pub number: String,
    pub title: Text,
    pub kind: TableKind,
    /// The printed columns, left to right.
    pub columns: Vec<Column>,
    pub groups: Vec<Group>,
    pub notes: Vec<Text>,
    /// The notes as printed under the table, with their marks: one list numbered through, or
    /// (see [`mark_notes`]) the notes common to several cities, then each city's own.
    pub note_lists: Vec<NoteList>,
    /// Source codes (S1, S2 …) the table draws on.
    pub sources: Vec<String>,
}

/// Notes printed under one heading: a city's name, or none (the table's, or those common to
/// several cities).
#[derive(Debug, Clone, Serialize)]
pub struct NoteList {
    pub city: Option<Text>,
    pub notes: Vec<MarkedNote>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MarkedNote {
    /// ①, or Ⓐ for a note common to several cities.
    pub mark: String,
    pub text: Text,
}

/// Rows under one heading (a city in detail tables; a single unnamed group in comparisons).
#[derive(Debug, Serialize)]
pub struct Group {
    pub heading: Option<Text>,
    pub rows: Vec<Row>,
}

/// How a change is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeUnit {
    /// Relative change of an amount, in per cent.
    Percent,
    /// Difference of two rates, in percentage points.
    Points,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub indicator_id: String,
    pub city_id: String,
    pub city: Text,
    /// 0 for a figure, 1 for an "of which" part, and so on.
    pub level: usize,
    pub name: Text,
    pub unit: Text,
    /// The result; `None` for a plan, whose figure is its target.
    pub value: Option<Num>,
    pub status: Status,
    pub target: Option<Num>,
    pub completion: Option<Num>,
    pub before: Option<Num>,
    /// The figure of the year before (previous edition, or restated by this one).
    pub last_year: Option<Num>,
    pub change: Option<Num>,
    pub change_unit: Option<ChangeUnit>,
    pub reference_year: i64,
    /// The reference year when it differs from the edition year: the only years a table prints.
    pub other_year: Option<i64>,
    pub cumulative_since: Option<i64>,
    pub as_of: Option<String>,
    /// For an "of which" part: its parent's id and name.
    pub parent_id: Option<String>,
    pub parent: Option<Text>,
    /// Source code (S1 …).
    pub source: String,
    /// Note numbers (1-based, within the table) attached to this row.
    pub note_refs: Vec<usize>,
    /// The marks the printed table sets after the row's name (①, Ⓐ), per [`mark_notes`].
    pub marks: Vec<String>,
    pub note: Option<Text>,
    pub derived: bool,
    /// A rank as a reader says it ("第1位" / "1st"), for a figure in a rank unit: the profile's
    /// card prints it where "1 位 rank" read oddly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<Text>,
    /// The years a figure covers when they are not the edition's ("2024年" / "2024", a running
    /// total "2019—2024年" / "2019–2024"): what a profile's card prints beside the figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Text>,
    /// The pinyin sort key of the row's index entry (its parent's name and its own, for a part).
    #[serde(skip)]
    pub reading: String,
    /// One value per city column of a comparison table.
    pub cells: Vec<Option<Cell>>,
}

/// A city's value in a comparison table, with its year where that differs from the edition's:
/// figures of different years never stand side by side unmarked.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub value: Num,
    pub other_year: Option<i64>,
    /// The code of the source the figure comes from (S1 …), as its detail row gives it.
    pub source: String,
    /// The city the figure is of: a reader of the cells alone (the web's records) needs no
    /// column order to know it.
    pub city_id: String,
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
    pub authors: Option<Text>,
    pub date: Option<Text>,
    pub url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TermEntry {
    pub zh: String,
    pub en: String,
    pub definition: Text,
}

/// A symbol of the legend; the declaration order is the legend's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SymbolKind {
    Over,
    AtLeast,
    About,
    Nearly,
    Derived,
    ReferenceYear,
    OfWhich,
    Notes,
    NotReported,
    Planned,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Symbol {
    pub kind: SymbolKind,
    /// The mark as each language's edition prints it (`>` in both; 斜体 / italic).
    pub mark: Text,
    pub meaning: Text,
}

impl SymbolKind {
    fn symbol(self) -> Symbol {
        let ((mark_zh, mark_en), zh, en) = match self {
            SymbolKind::Over => (
                (">", ">"),
                "超过所列数值（原文作“超”“余”“多”等）",
                "more than the figure shown (source: “over”, “-odd”)",
            ),
            SymbolKind::AtLeast => (
                ("≥", "≥"),
                "不少于所列数值（原文作“以上”“至少”“不少于”）",
                "at least the figure shown (source: “or more”, “at least”)",
            ),
            SymbolKind::About => (("≈", "≈"), "约数", "approximate figure"),
            SymbolKind::Nearly => {
                (("<", "<"), "接近但不足所列数值（原文作“近”）", "nearly, just under the figure shown")
            }
            SymbolKind::Derived => (
                ("斜体", "italic"),
                "推算数，由本书根据原文数据计算",
                "derived by the editors from the reported figures",
            ),
            SymbolKind::ReferenceYear => (
                ("年份", "Year"),
                "数据所属年份不同于本版年份时，在“年份”栏注明",
                "the Year column gives the reference year where it differs from the edition year",
            ),
            SymbolKind::OfWhich => {
                (("其中", "of which"), "缩进行为上一行的组成部分", "indented rows are parts of the row above")
            }
            SymbolKind::Notes => (("①②", "①②"), "见表下注释", "see the notes under the table"),
            SymbolKind::NotReported => (("…", "…"), "该城市未报告此项数据", "not reported by that city"),
            SymbolKind::Planned => (
                ("计划", "planned"),
                "计划数：年初确定的目标，尚无完成数，目标列于“目标”栏",
                "a plan: the year's target, set at the start of the year, shown in the Target column; no result yet",
            ),
        };
        Symbol {
            kind: self,
            mark: Text { zh: mark_zh.into(), en: mark_en.into() },
            meaning: Text { zh: zh.into(), en: en.into() },
        }
    }
}

/// Where a city stands in the book: its province in code order (from its code, else from the
/// province's name; unknown provinces last), then its code, then its English name.
fn city_order(c: &City) -> (String, String, String) {
    let province = crate::division::province_for(c.code.as_deref(), c.province.as_ref().map(|p| p.zh.as_str()))
        .map_or_else(|| "99".to_string(), |p| p.0.to_string());
    (province, c.code.clone().unwrap_or_else(|| "999999".into()), c.name.en.clone())
}

/// Lays out the resolved edition for the cities `only` (all when empty), with the title,
/// publisher and date of the configuration.
pub fn build(config: &Config, edition: &Resolved, only: &[String], changes: Option<EditionDiff>) -> Book {
    let year = i64::from(edition.year);
    let mut cities: Vec<&City> = edition.cities.iter().filter(|c| only.is_empty() || only.contains(&c.id)).collect();
    // As official yearbooks order them: by province in code order, then by the city's code.
    cities.sort_by_cached_key(|c| city_order(c));
    let provinces: HashSet<Option<&str>> = cities.iter().map(|c| c.province.as_ref().map(|p| p.zh.as_str())).collect();

    // Sources in catalogue order, numbered S1, S2 … among those the selected cities use.
    let mut used: HashSet<&str> = HashSet::new();
    for c in &cities {
        walk(&c.figures, &mut |f| {
            used.insert(&f.source);
            used.extend(f.alternatives.iter().map(|a| a.source.as_str()));
        });
    }
    let sources: Vec<SourceEntry> = edition
        .sources
        .iter()
        .filter(|s| used.contains(s.id.as_str()))
        .enumerate()
        .map(|(i, s)| SourceEntry {
            code: format!("S{}", i + 1),
            id: s.id.clone(),
            city: s.city.clone(),
            title: s.title.clone(),
            publication: s.publication.clone(),
            period: s.period.clone(),
            seed: s.seed.clone(),
            authors: s.authors.clone(),
            date: s.date.clone(),
            url: s.url.clone(),
        })
        .collect();
    let rows = Rows { codes: sources.iter().map(|s| (s.id.as_str(), s.code.as_str())).collect(), year };

    let mut symbols: BTreeSet<SymbolKind> = BTreeSet::new();
    let mut other_years: BTreeSet<i64> = BTreeSet::new();
    // From `[typeset] national_from` cities the book takes a national yearbook's forms.
    let national = cities.len() >= config.typeset.national_from;
    let mut chapters = Vec::new();
    for sector in &edition.sectors {
        let number = chapters.len() + 1;
        let mut groups = Vec::new();
        let mut notes: Vec<Text> = Vec::new();
        let mut summaries = Vec::new();
        let mut chart = Vec::new();
        for city in &cities {
            let mut group = Vec::new();
            for f in city.figures.iter().filter(|f| f.sector == sector.id) {
                rows.flatten(f, 0, None, city, &mut group, &mut notes);
            }
            if group.is_empty() {
                continue;
            }
            for r in &group {
                if r.reference_year != year {
                    other_years.insert(r.reference_year);
                }
                if let (0, Some(c)) = (r.level, &r.completion) {
                    chart.push(Bar { label: r.name.clone(), city: Some(city.name.clone()), value: c.raw });
                }
                symbols.extend(row_symbols(r, year));
            }
            if let Some(t) = city.summaries.get(&sector.id) {
                summaries.push(CitySummary { city: city.name.clone(), text: t.clone() });
            }
            groups.push(Group { heading: Some(city.name.clone()), rows: group });
        }
        if groups.is_empty() {
            continue;
        }
        let chart = Chart::of(chart);
        let detail = detail_table(number, &sector.name, groups, notes, national);
        let (comparison, comparison_by_rows) = comparison(&detail, number, &sector.name).unzip();
        let comparison_by_rows = comparison_by_rows.flatten();
        let comparison_by_city = comparison_by_city(&detail, number, &sector.name, &|id: &str| {
            cities.iter().find(|c| c.id == id).and_then(|c| c.province.clone())
        });
        if comparison.iter().flat_map(|t| &t.groups).flat_map(|g| &g.rows).any(|r| r.cells.iter().any(Option::is_none))
        {
            symbols.insert(SymbolKind::NotReported);
        }
        chapters.push(Chapter {
            number,
            id: sector.id.clone(),
            name: sector.name.clone(),
            description: sector.description.clone(),
            department_id: sector.department.id.clone(),
            department: sector.department.name.clone(),
            // Sheets carry the chapter number, so the workbook and the book agree.
            sheet_name: sheet_name(number as i64, &sector.name.zh),
            summaries,
            detail,
            comparison,
            comparison_by_rows,
            comparison_by_city,
            completion_summary: chart.as_ref().and_then(|c| ChartSummary::of(c, national)),
            completion_chart: chart,
        });
    }

    let city_entries: Vec<CityEntry> = cities
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut count = 0;
            walk(&c.figures, &mut |_| count += 1);
            // A heading over each province's first city, when the edition spans more than one.
            let opens = provinces.len() > 1
                && (i == 0 || cities[i - 1].province.as_ref().map(|p| &p.zh) != c.province.as_ref().map(|p| &p.zh));
            CityEntry {
                id: c.id.clone(),
                name: c.name.clone(),
                code: c.code.clone(),
                opens_province: if opens { c.province.clone() } else { None },
                province: c.province.clone(),
                overview: c.overview.clone(),
                indicator_count: count,
                key_figures: key_figures(&c.figures).into_iter().map(|f| rows.row(f, 0, None, c)).collect(),
            }
        })
        .collect();

    let mut tables_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for c in &chapters {
        // The comparison by city, where the book prints one, numbers the comparison's tables.
        let compared: Vec<&Table> = if c.comparison_by_city.is_empty() {
            c.comparison.iter().chain(&c.comparison_by_rows).collect()
        } else {
            c.comparison_by_city.iter().collect()
        };
        for t in std::iter::once(&c.detail).chain(compared) {
            let ids = t
                .groups
                .iter()
                .flat_map(|g| &g.rows)
                .map(|r| r.indicator_id.as_str())
                .chain(t.columns.iter().filter_map(|c| c.indicator.as_ref().map(|i| i.id.as_str())))
                .filter(|id| !id.is_empty());
            for id in ids {
                let list = tables_of.entry(id).or_default();
                if !list.contains(&t.number.as_str()) {
                    list.push(t.number.as_str());
                }
            }
        }
    }
    let tables = |id: &str| tables_of.get(id).map(|l| l.iter().map(|n| n.to_string()).collect()).unwrap_or_default();
    let mut seen = HashSet::new();
    let entries: Vec<(&str, IndexEntry)> = chapters
        .iter()
        .flat_map(|c| &c.detail.groups)
        .flat_map(|g| &g.rows)
        // Cities that share an id may word it their own way: each wording keeps its entry.
        .filter(|r| seen.insert((r.indicator_id.as_str(), r.name.zh.as_str(), r.name.en.as_str())))
        .map(|r| match &r.parent {
            // "Jinchuan District" alone says nothing in an index.
            Some(p) => (
                r.reading.as_str(),
                IndexEntry {
                    key: r.indicator_id.clone(),
                    zh: format!("{}——{}", p.zh, r.name.zh),
                    en: format!("{}: {}", p.en, r.name.en),
                    tables: tables(&r.indicator_id),
                    letter: String::new(),
                },
            ),
            None => (
                r.reading.as_str(),
                IndexEntry {
                    key: r.indicator_id.clone(),
                    zh: r.name.zh.clone(),
                    en: r.name.en.clone(),
                    tables: tables(&r.indicator_id),
                    letter: String::new(),
                },
            ),
        })
        .collect();
    let mut by_pinyin: Vec<(&str, &IndexEntry)> = entries.iter().map(|(k, e)| (*k, e)).collect();
    by_pinyin.sort_by(|a, b| a.0.cmp(b.0).then_with(|| a.1.zh.cmp(&b.1.zh)));
    let by_pinyin: Vec<IndexEntry> =
        by_pinyin.into_iter().map(|(k, e)| IndexEntry { letter: index_letter(k), ..e.clone() }).collect();
    let mut by_english: Vec<IndexEntry> =
        entries.into_iter().map(|(_, e)| IndexEntry { letter: index_letter(&e.en), ..e }).collect();
    by_english.sort_by_key(|e| e.en.to_lowercase());
    let index = Index { by_pinyin, by_english };
    Book {
        index,
        year: edition.year,
        title: config.title.clone(),
        publisher: config.publisher.clone(),
        date: config.date,
        imprint: config.imprint.clone(),
        changes: changes.filter(|c| !c.is_empty()),
        indicator_count: city_entries.iter().map(|c| c.indicator_count).sum(),
        national,
        provinces: {
            let mut out: Vec<Text> = Vec::new();
            for p in city_entries.iter().filter_map(|c| c.province.as_ref()) {
                if !out.iter().any(|o| o.zh == p.zh) {
                    out.push(p.clone());
                }
            }
            out
        },
        statuses: {
            let mut counts = StatusCounts::default();
            for c in &cities {
                walk(&c.figures, &mut |f| match f.status {
                    Status::Planned => counts.planned += 1,
                    Status::Progress => counts.progress += 1,
                    Status::Result => counts.result += 1,
                });
            }
            counts
        },
        cities: city_entries,
        chapters,
        sources,
        terms: edition
            .terms
            .iter()
            .map(|t| TermEntry { zh: t.zh.clone(), en: t.en.clone(), definition: t.definition.clone() })
            .collect(),
        symbols: symbols.into_iter().map(SymbolKind::symbol).collect(),
        other_reference_years: other_years.into_iter().collect(),
        coverage: {
            let (mut years, mut cut_offs) = (Vec::new(), Vec::new());
            for c in &cities {
                walk(&c.figures, &mut |f| {
                    years.push(f.reference_year);
                    cut_offs.extend(f.as_of.as_deref());
                });
            }
            Coverage::of(year, &years, &cut_offs)
        },
    }
}

/// A rank as said in each language: 第1位, 1st; 第2位, 2nd; 第11位, 11th; 第23位, 23rd.
fn ordinal(n: u64) -> Text {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    Text { zh: format!("第{n}位"), en: format!("{n}{suffix}") }
}

/// The years a figure covers, when a reader of this edition could not take them for granted:
/// a running total since a year, or a figure of another year than the edition's.
fn period(f: &Figure, edition: i64) -> Option<Text> {
    match f.cumulative_since {
        Some(since) if since < f.reference_year => Some(Text {
            zh: format!("{since}—{}年", f.reference_year),
            en: format!("{since}–{}", f.reference_year),
        }),
        _ if f.reference_year != edition => {
            Some(Text { zh: format!("{}年", f.reference_year), en: f.reference_year.to_string() })
        }
        _ => None,
    }
}

/// A figure's name as the index reads it: the editor's reading where the file gives one, else
/// the book's word readings.
fn figure_reading(f: &Figure) -> String {
    match &f.pinyin {
        Some(p) => crate::reading::key_of_override(p),
        None => crate::reading::key(&f.name.zh),
    }
}

/// How many figures a city profile shows.
pub const KEY_FIGURES: usize = 6;

/// The figures that lead a city's profile: those the editor marked `key`, in file order; the
/// places left are filled with results measured against a target (the clearest statements of
/// what was done), then the rest, in file order, so that one marked figure does not leave a
/// profile with a single card.
fn key_figures(figures: &[Figure]) -> Vec<&Figure> {
    let with_target = |f: &&Figure| f.target.is_some() || f.completion.is_some();
    let marked = figures.iter().filter(|f| f.key);
    let unmarked = figures.iter().filter(|f| !f.key);
    marked
        .chain(unmarked.clone().filter(with_target))
        .chain(unmarked.filter(|f| !with_target(f)))
        .take(KEY_FIGURES)
        .collect()
}

/// Turns figures into rows: the source codes are all it needs.
struct Rows<'a> {
    codes: BTreeMap<&'a str, &'a str>,
    year: i64,
}

impl Rows<'_> {
    fn code(&self, source: &str) -> String {
        self.codes.get(source).map_or_else(String::new, |c| (*c).to_string())
    }

    /// One figure as a row, without its notes.
    fn row(&self, f: &Figure, level: usize, parent: Option<&Figure>, city: &City) -> Row {
        let value = f.value.map(|v| {
            let n = Num::of(v).with_qualifier(f.qualifier);
            if f.derived { n.derived() } else { n }
        });
        // A plan's target carries the qualifier its announcement gave it (at least 20 homes).
        let target_mark = if f.value.is_none() { f.qualifier } else { None };
        // A completion rate measures a value: a plan has none.
        let completion = f.completion.filter(|_| f.value.is_some()).map(Num::of);
        let target = match (f.target, f.completion, f.value) {
            (Some(t), _, _) => Some(Num::of(t).with_qualifier(target_mark)),
            // An approximate value gives no honest target.
            (None, Some(c), Some(v)) if f.qualifier.is_none() => {
                implied_target(v.value, c.value, c.decimals).map(|t| Num::new(t, decimals_of(t)).derived())
            }
            _ => None,
        };
        let before = f.before.map(Num::of);
        let last_year = f.last_year.as_ref().map(|l| Num::of(l.value));
        // Rates change in percentage points, amounts in per cent.
        let unit = if f.unit.kind == UnitKind::Percent { ChangeUnit::Points } else { ChangeUnit::Percent };
        // What the source reports wins; else the change on last year, else on the earlier value
        // of a before/after pair, computed and so marked as derived.
        let base = f.last_year.as_ref().map(|l| l.value).or(f.before);
        let change = match (f.reported_change, base, f.value) {
            (Some(c), _, _) => Some(Num::of(c)),
            (None, Some(b), Some(v)) if unit == ChangeUnit::Points => {
                Some(Num::new(v.value - b.value, v.decimals.max(b.decimals)).derived())
            }
            (None, Some(b), Some(v)) if b.value > 0.0 => Some(Num::new((v.value / b.value - 1.0) * 100.0, 1).derived()),
            _ => None,
        };
        let (change, change_unit) = match change {
            Some(c) if c.raw.is_finite() => (Some(c), Some(unit)),
            _ => (None, None),
        };
        Row {
            indicator_id: f.id.clone(),
            city_id: city.id.clone(),
            city: city.name.clone(),
            level,
            name: f.name.clone(),
            unit: f.unit.text.clone(),
            value,
            status: f.status,
            target,
            completion,
            before,
            last_year,
            change,
            change_unit,
            reference_year: f.reference_year,
            other_year: (f.reference_year != self.year).then_some(f.reference_year),
            parent_id: parent.map(|p| p.id.clone()),
            parent: parent.map(|p| p.name.clone()),
            cumulative_since: f.cumulative_since,
            as_of: f.as_of.clone(),
            source: self.code(&f.source),
            note_refs: Vec::new(),
            marks: Vec::new(),
            note: f.note.clone(),
            derived: f.derived,
            reading: parent.map(figure_reading).unwrap_or_default() + &figure_reading(f),
            ordinal: (f.unit.kind == UnitKind::Rank && f.qualifier.is_none())
                .then(|| f.value.map(|v| v.value))
                .flatten()
                .filter(|v| v.fract() == 0.0 && *v >= 1.0)
                .map(|v| ordinal(v as u64)),
            period: period(f, self.year),
            cells: Vec::new(),
        }
    }

    /// The figure and its parts as rows, their notes numbered within the table.
    fn flatten(
        &self,
        f: &Figure,
        level: usize,
        parent: Option<&Figure>,
        city: &City,
        rows: &mut Vec<Row>,
        notes: &mut Vec<Text>,
    ) {
        let mut row = self.row(f, level, parent, city);
        for note in self.notes(f, parent) {
            // A note the table already has (the same words for another row or city) is said
            // once and its number referred to again, as a general note: a national edition
            // repeated one sentence under 75 cities and numbered its notes into the hundreds.
            let n = match notes.iter().position(|n| n.zh == note.zh && n.en == note.en) {
                Some(i) => i + 1,
                None => {
                    notes.push(note);
                    notes.len()
                }
            };
            if !row.note_refs.contains(&n) {
                row.note_refs.push(n);
            }
        }
        rows.push(row);
        for part in &f.parts {
            self.flatten(part, level + 1, Some(f), city, rows, notes);
        }
    }

    /// The notes a figure adds under its table. What a part inherits was said for its parent.
    fn notes(&self, f: &Figure, parent: Option<&Figure>) -> Vec<Text> {
        let mut out = Vec::new();
        if let Some(n) = &f.note {
            out.push(n.clone());
        }
        if let Some(restated) = f.last_year.as_ref().and_then(|l| l.restated_from.map(|r| (l.year, r))) {
            let (year, old) = (restated.0, Num::of(restated.1).text());
            out.push(Text {
                zh: format!("{}{year}年数据为修订数，上版为{old}，以本版为准。", f.name.zh),
                en: format!(
                    "{}: the {year} figure is revised (the previous edition gave {old}); this edition prevails.",
                    f.name.en
                ),
            });
        }
        if let Some(m) = &f.method {
            out.push(Text { zh: format!("推算方法：{}", m.zh), en: format!("Derived: {}", m.en) });
        }
        // Another report that gives the same figure tells a reader nothing: it stays in the data.
        let same = |a: &Number| f.value.is_some_and(|v| Num::of(v).text() == Num::of(*a).text());
        for alt in f.alternatives.iter().filter(|a| !same(&a.value) || a.note.is_some()) {
            let code = self.code(&alt.source);
            let v = Num::of(alt.value).text();
            let (zh_extra, en_extra) = alt
                .note
                .as_ref()
                .map(|n| (format!("；{}", n.zh), format!("; {}", n.en)))
                .unwrap_or_else(|| ("。".to_string(), ".".to_string()));
            // "66.9%", as the tables print a percentage, but "93 homes".
            let space = if f.unit.text.en == "%" { "" } else { " " };
            out.push(Text {
                zh: format!("{}另一报道（{code}）为{v}{}{zh_extra}", f.name.zh, f.unit.text.zh),
                en: format!("{}: another report ({code}) gives {v}{space}{}{en_extra}", f.name.en, f.unit.text.en),
            });
        }
        if let Some(since) = f.cumulative_since.filter(|s| parent.is_none_or(|p| p.cumulative_since != Some(*s))) {
            out.push(Text {
                zh: format!("{}为{since}年以来累计数。", f.name.zh),
                en: format!("{}: cumulative total since {since}.", f.name.en),
            });
        }
        if let Some(as_of) = f.as_of.as_ref().filter(|a| parent.is_none_or(|p| p.as_of.as_ref() != Some(*a))) {
            let (zh, en) = written_date(as_of);
            out.push(Text {
                zh: format!("{}统计截至{zh}。", f.name.zh),
                en: format!("{}: figures to {en}.", f.name.en),
            });
        }
        out
    }
}

/// A date of a note as each language prints it (2025年11月 / November 2025); a year alone, or
/// anything else, as typed.
fn written_date(date: &str) -> (String, String) {
    match crate::config::written_date(date) {
        Some(t) => (t.zh, t.en),
        None if date.len() == 4 && date.bytes().all(|b| b.is_ascii_digit()) => (format!("{date}年"), date.to_string()),
        None => (date.to_string(), date.to_string()),
    }
}

/// Note marks as a table prints them: ① to ⑳, then (21) ….
fn circled(n: usize) -> String {
    char::from_u32(0x2460 + n as u32 - 1).filter(|_| (1..=20).contains(&n)).map_or(format!("({n})"), String::from)
}

/// The mark of the `n`th note common to several cities: Ⓐ to Ⓩ, then (A27) ….
fn lettered(n: usize) -> String {
    char::from_u32(0x24b6 + n as u32 - 1).filter(|_| (1..=26).contains(&n)).map_or(format!("(A{n})"), String::from)
}

/// The longest run of note marks a table numbers through before its notes restart per city.
const SERIAL_NOTES: usize = 20;

/// Sets the marks of a detail table's notes. A table with few notes numbers them through, ① on
/// (a reader finds ⑬ under the table). A national edition, or a table whose notes would run past
/// ⑳, restarts them at ① for each city block, as national yearbooks do, and lists them under the
/// city's name: a run into the hundreds, (718), sent a reader 18 pages down for a mark. A note
/// the rows of several cities share is said once, before the cities' own, marked Ⓐ, Ⓑ ….
fn mark_notes(groups: &mut [Group], notes: &[Text], per_city: bool) -> Vec<NoteList> {
    if notes.is_empty() {
        return Vec::new();
    }
    let per_city = (per_city || notes.len() > SERIAL_NOTES) && groups.iter().all(|g| g.heading.is_some());
    if !per_city {
        for r in groups.iter_mut().flat_map(|g| &mut g.rows) {
            r.marks = r.note_refs.iter().map(|&n| circled(n)).collect();
        }
        let notes = notes.iter().enumerate().map(|(i, t)| MarkedNote { mark: circled(i + 1), text: t.clone() });
        return vec![NoteList { city: None, notes: notes.collect() }];
    }
    // How many city blocks refer to each note.
    let mut blocks = vec![0usize; notes.len()];
    for g in groups.iter() {
        let mut used: Vec<usize> = g.rows.iter().flat_map(|r| r.note_refs.iter().copied()).collect();
        used.sort_unstable();
        used.dedup();
        for n in used {
            blocks[n - 1] += 1;
        }
    }
    // The common notes, in their order in the table: the most shared first chosen, up to ⓣ (a
    // national edition may share more; the rest are said under each city that uses them, so
    // that no run of marks passes about twenty).
    let mut common: Vec<usize> = Vec::new();
    for g in groups.iter() {
        for &n in g.rows.iter().flat_map(|r| &r.note_refs) {
            if blocks[n - 1] > 1 && !common.contains(&n) {
                common.push(n);
            }
        }
    }
    if common.len() > SERIAL_NOTES {
        let mut most: Vec<usize> = common.clone();
        most.sort_by_key(|n| std::cmp::Reverse(blocks[n - 1]));
        most.truncate(SERIAL_NOTES);
        common.retain(|n| most.contains(n));
    }
    let mut lists = Vec::new();
    if !common.is_empty() {
        let notes =
            common.iter().enumerate().map(|(i, &n)| MarkedNote { mark: lettered(i + 1), text: notes[n - 1].clone() });
        lists.push(NoteList { city: None, notes: notes.collect() });
    }
    for g in groups.iter_mut() {
        let mut own: Vec<usize> = Vec::new();
        for r in &mut g.rows {
            r.marks = r
                .note_refs
                .iter()
                .map(|&n| match common.iter().position(|&c| c == n) {
                    Some(i) => lettered(i + 1),
                    None => {
                        let i = own.iter().position(|&o| o == n).unwrap_or_else(|| {
                            own.push(n);
                            own.len() - 1
                        });
                        circled(i + 1)
                    }
                })
                .collect();
        }
        if !own.is_empty() {
            let notes =
                own.iter().enumerate().map(|(i, &n)| MarkedNote { mark: circled(i + 1), text: notes[n - 1].clone() });
            lists.push(NoteList { city: g.heading.clone(), notes: notes.collect() });
        }
    }
    lists
}

fn detail_table(number: usize, sector: &Text, mut groups: Vec<Group>, notes: Vec<Text>, national: bool) -> Table {
    let note_lists = mark_notes(&mut groups, &notes, national);
    let rows = || groups.iter().flat_map(|g| &g.rows);
    let sources: BTreeSet<String> = rows().map(|r| r.source.clone()).collect();
    let mut columns = vec![Col::Item.column(), Col::Unit.column(), Col::Value.column()];
    // Optional columns print only when a row has something to put in them.
    for (col, used) in [
        (Col::Target, rows().any(|r| r.target.is_some())),
        (Col::Completion, rows().any(|r| r.completion.is_some())),
        (Col::LastYear, rows().any(|r| r.last_year.is_some())),
        (Col::Before, rows().any(|r| r.before.is_some())),
        (Col::Change, rows().any(|r| r.change.is_some())),
        // The year prints only where it differs from the edition's.
        (Col::Year, rows().any(|r| r.other_year.is_some())),
        (Col::Source, true),
    ] {
        if used {
            columns.push(col.column());
        }
    }
    // Changes all in per cent (or all in points) say their unit once, in the header.
    let mut units = rows().filter(|r| r.change.is_some()).filter_map(|r| r.change_unit);
    let shared = units.next().filter(|first| units.all(|u| u == *first));
    if let (Some(unit), Some(change)) = (shared, columns.iter_mut().find(|c| matches!(c.key, Col::Change))) {
        let (zh, en) = match unit {
            ChangeUnit::Percent => ("增减（%）", "Change (%)"),
            ChangeUnit::Points => ("增减（百分点）", "Change (pp)"),
        };
        change.header = Text { zh: zh.into(), en: en.into() };
        change.unit_in_header = true;
    }
    Table {
        number: format!("{number}-1"),
        title: Text { zh: format!("{}主要指标", sector.zh), en: format!("Main Indicators of {}", sector.en) },
        kind: TableKind::Detail,
        columns,
        sources: sources.into_iter().collect(),
        notes,
        note_lists,
        groups,
    }
}

/// The most cities a comparison table gives a column each: with more, the Item column would be
/// too narrow to read (A4, 9 pt), so cities become rows under each indicator instead.
pub const COMPARISON_CITY_COLUMNS: usize = 4;

/// A comparison with many cities: one band per indicator (its name and unit), one row per city
/// that reports it, as city statistical yearbooks print long comparisons.
fn comparison_by_rows(shared: Vec<Vec<&Row>>, chapter: usize, title: Text, sources: &[String]) -> Table {
    let groups: Vec<Group> = shared
        .into_iter()
        .map(|rows| {
            let first = rows[0];
            let heading = Text {
                zh: format!("{}（{}）", first.name.zh, first.unit.zh),
                en: format!("{} ({})", first.name.en, first.unit.en),
            };
            let rows = rows
                .into_iter()
                .map(|r| {
                    let mut row = r.clone();
                    row.note_refs.clear();
                    row.marks.clear();
                    row.name = r.city.clone();
                    row
                })
                .collect();
            Group { heading: Some(heading), rows }
        })
        .collect();
    let any_other_year = groups.iter().flat_map(|g| &g.rows).any(|r| r.other_year.is_some());
    let mut columns = vec![Column { header: Text { zh: "城市".into(), en: "City".into() }, ..Col::Item.column() }];
    columns.push(Col::Value.column());
    if any_other_year {
        columns.push(Col::Year.column());
    }
    columns.push(Col::Source.column());
    Table {
        number: format!("{chapter}-2"),
        title,
        kind: TableKind::Comparison,
        columns,
        groups,
        notes: Vec::new(),
        note_lists: Vec::new(),
        sources: sources.to_vec(),
    }
}

/// Indicators that two or more cities report, side by side: as data (cities as columns, for the
/// workbook) and, when there are too many cities for columns on a page, as printed (cities as
/// rows).
fn comparison(detail: &Table, chapter: usize, sector: &Text) -> Option<(Table, Option<Table>)> {
    // The same id in the same unit: figures in different units are not comparable.
    // Like with like: the same id in the same unit and of the same status (a plan never stands
    // beside a result). Another year's figure is marked in its cell.
    let mut by_id: BTreeMap<(&str, &str, Status), Vec<&Row>> = BTreeMap::new();
    for g in &detail.groups {
        for r in g.rows.iter().filter(|r| r.level == 0) {
            by_id.entry((r.indicator_id.as_str(), r.unit.zh.as_str(), r.status)).or_default().push(r);
        }
    }
    let shared: Vec<Vec<&Row>> = by_id.into_values().filter(|rows| rows.len() > 1).collect();
    // A comparison of a single indicator is a sentence, not a table of its own page.
    if shared.len() < COMPARISON_MIN_ROWS {
        return None;
    }
    // Only the sources of the figures compared, in the detail table's order.
    let compared: HashSet<&str> = shared.iter().flatten().map(|r| r.source.as_str()).collect();
    let sources: Vec<String> = detail.sources.iter().filter(|s| compared.contains(s.as_str())).cloned().collect();
    let title = Text {
        zh: format!("{}可比指标城市对比", sector.zh),
        en: format!("{}: Comparable Indicators by City", sector.en),
    };
    // Cities are matched by id: two cities may share a name, never an id.
    // A column only for a city that reports at least one compared figure.
    let reporting: HashSet<&str> = shared.iter().flatten().map(|r| r.city_id.as_str()).collect();
    let cities: Vec<(&str, &Text)> = detail
        .groups
        .iter()
        .filter_map(|g| g.rows.first().map(|r| (r.city_id.as_str(), &r.city)))
        .filter(|(id, _)| reporting.contains(id))
        .collect();
    let by_rows = (cities.len() > COMPARISON_CITY_COLUMNS)
        .then(|| comparison_by_rows(shared.clone(), chapter, title.clone(), &sources));
    let mut columns = vec![Col::Item.column(), Col::Unit.column()];
    columns.extend(cities.iter().enumerate().map(|(i, (_, name))| Column {
        header: (*name).clone(),
        cell: Some(i),
        ..Col::CityValue.column()
    }));
    let rows = shared
        .into_iter()
        .map(|rows| {
            let mut row = rows[0].clone();
            row.note_refs.clear();
            row.marks.clear();
            row.cells = cities
                .iter()
                .map(|(id, _)| rows.iter().find(|r| r.city_id == *id).and_then(|r| compared_cell(r)))
                .collect();
            row
        })
        .collect();
    let wide = Table {
        number: format!("{chapter}-2"),
        title,
        kind: TableKind::Comparison,
        columns,
        groups: vec![Group { heading: None, rows }],
        notes: Vec::new(),
        note_lists: Vec::new(),
        sources,
    };
    Some((wide, by_rows))
}

/// The most indicators a comparison by city sets side by side: with the city column, six equal
/// columns of an A4 page, each wide enough for a bilingual indicator name in a few lines.
pub const COMPARISON_BY_CITY_COLUMNS: usize = 5;

/// The comparison with cities as rows, for more cities than a page has columns: the indicators
/// two or more cities share, a block of [`COMPARISON_BY_CITY_COLUMNS`] per table (N-2, N-3 …);
/// under each, the cities that report one of them, in the book's order (province, then code),
/// a band over each province's first when the edition spans more than one; "…" where a city
/// does not report an indicator.
fn comparison_by_city(
    detail: &Table,
    chapter: usize,
    sector: &Text,
    province_of: &dyn Fn(&str) -> Option<Text>,
) -> Vec<Table> {
    let Some((wide, _)) = comparison(detail, chapter, sector) else { return Vec::new() };
    let cities: Vec<(&str, &Text)> =
        detail.groups.iter().filter_map(|g| g.rows.first().map(|r| (r.city_id.as_str(), &r.city))).collect();
    if cities.len() <= COMPARISON_CITY_COLUMNS {
        return Vec::new();
    }
    // The indicators most cities report first: the first table is the fullest.
    let mut indicators: Vec<&Row> = wide.groups.iter().flat_map(|g| &g.rows).collect();
    indicators.sort_by_key(|r| std::cmp::Reverse(r.cells.iter().flatten().count()));
    // Each indicator's rows by city, from the detail table (the wide table's cells follow only
    // its reporting cities).
    let first_rows: HashMap<(&str, &str, Status), HashMap<&str, &Row>> = {
        let mut out: HashMap<(&str, &str, Status), HashMap<&str, &Row>> = HashMap::new();
        for r in detail.groups.iter().flat_map(|g| &g.rows).filter(|r| r.level == 0) {
            out.entry((r.indicator_id.as_str(), r.unit.zh.as_str(), r.status))
                .or_default()
                .entry(&r.city_id)
                .or_insert(r);
        }
        out
    };
    let provinces: Vec<Option<Text>> = cities.iter().map(|(id, _)| province_of(id)).collect();
    let many_provinces = provinces.iter().flatten().map(|p| &p.zh).collect::<HashSet<_>>().len() > 1;
    let blocks = indicators.chunks(COMPARISON_BY_CITY_COLUMNS).count();
    indicators
        .chunks(COMPARISON_BY_CITY_COLUMNS)
        .enumerate()
        .map(|(b, block)| {
            let by_city: Vec<&HashMap<&str, &Row>> =
                block.iter().map(|i| &first_rows[&(i.indicator_id.as_str(), i.unit.zh.as_str(), i.status)]).collect();
            let mut columns =
                vec![Column { header: Text { zh: "城市".into(), en: "City".into() }, ..Col::Item.column() }];
            columns.extend(block.iter().enumerate().map(|(k, i)| {
                let planned = i.status == Status::Planned;
                Column {
                    header: Text {
                        zh: format!("{}（{}）{}", i.name.zh, i.unit.zh, if planned { "（计划）" } else { "" }),
                        en: format!("{} ({}){}", i.name.en, i.unit.en, if planned { " (planned)" } else { "" }),
                    },
                    width: None,
                    cell: Some(k),
                    indicator: Some(Compared {
                        id: i.indicator_id.clone(),
                        name: i.name.clone(),
                        unit: i.unit.clone(),
                        status: i.status,
                    }),
                    ..Col::CityValue.column()
                }
            }));
            let mut groups: Vec<Group> = Vec::new();
            for ((id, name), province) in cities.iter().zip(&provinces) {
                let cells: Vec<Option<Cell>> =
                    by_city.iter().map(|m| m.get(id).and_then(|r| compared_cell(r))).collect();
                let Some(sample) = by_city.iter().find_map(|m| m.get(id)) else { continue };
                let mut row = (*sample).clone();
                row.indicator_id = String::new();
                row.name = (*name).clone();
                row.level = 0;
                row.status = Status::Result;
                row.note_refs.clear();
                row.marks.clear();
                row.cells = cells;
                let heading = if many_provinces { province.clone() } else { None };
                match groups.last_mut() {
                    Some(g) if g.heading.as_ref().map(|h| &h.zh) == heading.as_ref().map(|h| &h.zh) => g.rows.push(row),
                    _ => groups.push(Group { heading, rows: vec![row] }),
                }
            }
            let compared: HashSet<&str> =
                groups.iter().flat_map(|g| &g.rows).map(|r| r.city_id.as_str()).collect::<HashSet<_>>();
            let sources: Vec<String> = detail
                .sources
                .iter()
                .filter(|s| {
                    by_city
                        .iter()
                        .flat_map(|m| m.values())
                        .any(|r| compared.contains(r.city_id.as_str()) && r.source == **s)
                })
                .cloned()
                .collect();
            let part = if blocks > 1 { format!("（{}）", b + 1) } else { String::new() };
            let part_en = if blocks > 1 { format!(" ({})", b + 1) } else { String::new() };
            Table {
                number: format!("{chapter}-{}", b + 2),
                title: Text {
                    zh: format!("{}可比指标分城市对比{part}", sector.zh),
                    en: format!("{}: Comparable Indicators by City{part_en}", sector.en),
                },
                kind: TableKind::Comparison,
                columns,
                groups,
                notes: Vec::new(),
                note_lists: Vec::new(),
                sources,
            }
        })
        .collect()
}

fn row_symbols(r: &Row, year: i64) -> Vec<SymbolKind> {
    let mut out = Vec::new();
    if r.status == Status::Planned {
        out.push(SymbolKind::Planned);
    }
    match r.value.as_ref().or(r.target.as_ref()).and_then(|n| n.qualifier) {
        Some(Qualifier::Over) => out.push(SymbolKind::Over),
        Some(Qualifier::AtLeast) => out.push(SymbolKind::AtLeast),
        Some(Qualifier::About) => out.push(SymbolKind::About),
        Some(Qualifier::Nearly) => out.push(SymbolKind::Nearly),
        None => {}
    }
    if r.target.as_ref().is_some_and(|t| t.derived) || r.change.is_some() || r.derived {
        out.push(SymbolKind::Derived);
    }
    if r.reference_year != year {
        out.push(SymbolKind::ReferenceYear);
    }
    if r.level > 0 {
        out.push(SymbolKind::OfWhich);
    }
    if !r.note_refs.is_empty() {
        out.push(SymbolKind::Notes);
    }
    out
}

/// A row's figure as a comparison shows it: a plan is compared by its target.
fn compared_cell(r: &Row) -> Option<Cell> {
    let value = r.value.clone().or_else(|| r.target.clone())?;
    Some(Cell { value, other_year: r.other_year, source: r.source.clone(), city_id: r.city_id.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rank_reads_as_an_ordinal_in_both_languages() {
        let said = |n| {
            let t = ordinal(n);
            format!("{} {}", t.zh, t.en)
        };
        assert_eq!(said(1), "第1位 1st");
        assert_eq!(said(2), "第2位 2nd");
        assert_eq!(said(3), "第3位 3rd");
        assert_eq!(said(4), "第4位 4th");
        assert_eq!(said(11), "第11位 11th");
        assert_eq!(said(12), "第12位 12th");
        assert_eq!(said(21), "第21位 21st");
        assert_eq!(said(113), "第113位 113th");
    }

    fn bars(values: &[f64]) -> Chart {
        let t = |s: &str| Text { zh: s.into(), en: s.into() };
        let bars =
            values.iter().enumerate().map(|(i, v)| Bar { label: t("x"), city: Some(t(&i.to_string())), value: *v });
        Chart::of(bars.collect()).unwrap()
    }

    #[test]
    fn a_chart_past_a_page_is_summed_up_in_a_national_edition_only() {
        let mut values: Vec<f64> = (0..40).map(|i| 60.0 + f64::from(i) * 4.0).collect();
        values.push(30.0);
        let chart = bars(&values);
        assert!(ChartSummary::of(&chart, false).is_none(), "a city edition keeps every bar");
        assert!(ChartSummary::of(&bars(&values[..CHART_PAGE_BARS]), true).is_none(), "a page's worth stays a chart");
        let s = ChartSummary::of(&chart, true).unwrap();
        let counts: Vec<usize> = s.bands.iter().map(|b| b.count).collect();
        // 30 | 60–76 | 80–96 | 100–116 | 120–148 | 152–216
        assert_eq!(counts, [1, 5, 5, 5, 8, 17]);
        assert_eq!(counts.iter().sum::<usize>(), s.count);
        assert_eq!(s.met, 30);
        assert_eq!(s.median, 136.0);
        assert_eq!(s.lowest.len(), SUMMARY_LOWEST);
        assert_eq!(s.lowest[0].value, 30.0);
        assert!(s.lowest.windows(2).all(|w| w[0].value <= w[1].value));
        assert_eq!(s.bands.iter().map(|b| b.met).collect::<Vec<_>>(), [false, false, false, true, true, true]);
    }
}
