//! The web edition: the book as a static site of accessible bilingual pages (home, one page per
//! chapter and per city, explanatory notes, sources, index of indicators), with each table's data
//! beside it as CSV and XLSX, and an offline search. Written from the [`Book`], the structure
//! the PDF and the workbook are written from, so a figure never differs between them; the pages
//! come from the minijinja templates in `templates/web/`, with HTML escaping always on (data is
//! never markup). Nothing here writes a file: [`site`] returns the files, `cmd/web` lands them.

mod data;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, path_loader};
use serde::Serialize;

use crate::book::{Book, ChangeUnit, Chapter, CityEntry, Col, Group, Num, Row, Table, TableKind};
use crate::error::AppError;
use crate::model::{Qualifier, Text};
use crate::plan::Lang;
use crate::resolve::Status;

/// The templates' folder inside the configured templates folder.
pub const TEMPLATES: &str = "web";

/// The site's folder inside the edition folder (and inside an archived edition's payload),
/// beside the PDF and the workbook it offers.
pub const SITE: &str = "web";

/// Every file of the web templates' folder, by name, sorted: what an archive keeps to rebuild
/// the site.
pub fn template_files(templates_dir: &Path) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let dir = templates_dir.join(TEMPLATES);
    let io = |path: &Path, source| AppError::Io { action: "read the web templates", path: path.to_path_buf(), source };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
        let path = entry.map_err(|e| io(&dir, e))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else { continue };
        if path.is_file() {
            out.push((name, std::fs::read(&path).map_err(|e| io(&path, e))?));
        }
    }
    out.sort();
    Ok(out)
}

/// Files copied into the site as they are.
const STATIC: [&str; 2] = ["style.css", "search.js"];

const PAGES: [&str; 8] = [
    "index.html",
    "chapter.html",
    "part.html",
    "city.html",
    "notes.html",
    "sources.html",
    "indicators.html",
    "base.html",
];

/// A table of more lines than this (rows and band headings) goes on pages of its own (the
/// detail table by province), so that no page of a large edition comes near a megabyte: a line
/// of a detail table is at most about 0.8 kB of bilingual HTML, of a comparison about 0.4 kB, so
/// a chapter page with both tables stays under about 0.6 MB, and each part under 0.35 MB.
pub const PAGE_LINES: usize = 400;

/// The edition's downloads the home page offers, as links relative to the site's folder.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Downloads {
    pub pdf: Option<String>,
    pub xlsx: Option<String>,
}

/// The template environment of the web edition, checked: every page template parses.
pub fn environment(templates_dir: &Path) -> Result<Environment<'static>, AppError> {
    let dir = templates_dir.join(TEMPLATES);
    let mut env = Environment::new();
    env.set_loader(path_loader(&dir));
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Every value is HTML-escaped, whatever the file name: a city or indicator name is text.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(|e| AppError::Template(e.to_string()))?;
    env.set_syntax(syntax);
    for name in PAGES {
        if !dir.join(name).is_file() {
            return Err(AppError::Template(format!(
                "`{}` is missing; the web edition's templates are in templates/web/ of the project",
                dir.join(name).display()
            )));
        }
        env.get_template(name).map_err(|e| crate::print::render::template_error(&e, &dir))?;
    }
    Ok(env)
}

/// Files by their path inside the site folder.
pub type Files = Vec<(String, Vec<u8>)>;

/// The whole site: each file's path inside the site folder and its bytes.
pub fn site(
    env: &Environment<'static>,
    templates_dir: &Path,
    book: &Book,
    lang: Lang,
    downloads: &Downloads,
) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let dir = templates_dir.join(TEMPLATES);
    // The macros read the edition's languages as a global: imported macros see no page context.
    let mut env = env.clone();
    env.add_global("lang", lang.code());
    let env = &env;
    let mut files = Vec::new();
    for name in STATIC {
        let path = dir.join(name);
        let bytes =
            std::fs::read(&path).map_err(|source| AppError::Io { action: "read the web template", path, source })?;
        files.push((name.to_string(), bytes));
    }

    let chapters: Vec<ChapterLink> = book
        .chapters
        .iter()
        .map(|c| ChapterLink { number: c.number, href: chapter_file(c.number), name: c.name.clone() })
        .collect();
    let cities: Vec<CityLink> = book
        .cities
        .iter()
        .map(|c| CityLink { id: c.id.clone(), href: city_file(&c.id), name: c.name.clone() })
        .collect();
    let html_lang = if lang == Lang::En { "en" } else { "zh-CN" };
    let common = minijinja::context! {
        lang => lang.code(),
        html_lang,
        title => v(&book.title),
        publisher => v(&book.publisher),
        year => book.year.get(),
        date => format!("{:04}-{:02}-{:02}", book.date.year, book.date.month, book.date.day),
        chapters => v(&chapters),
        cities => v(&cities),
    };
    let render = |name: &str, page: &str, ctx: minijinja::Value| -> Result<Vec<u8>, AppError> {
        let ctx = minijinja::value::merge_maps([minijinja::context! { page }, ctx, common.clone()]);
        env.get_template(name)
            .and_then(|t| t.render(ctx))
            .map(String::into_bytes)
            .map_err(|e| crate::print::render::template_error(&e, &dir))
    };

    let sources: BTreeMap<&str, &Text> = book.sources.iter().map(|s| (s.code.as_str(), &s.title)).collect();
    // Where each indicator is first printed, for the index and the search.
    let mut first_row: BTreeMap<String, String> = BTreeMap::new();
    let mut search = Vec::new();

    // A chapter's pages and data files, and where each of its detail rows is (indicator, link).
    let chapter_pages = |chapter: &Chapter| -> Result<(Files, Vec<(String, String)>), AppError> {
        let mut files = Vec::new();
        let mut rows = Vec::new();
        let mut tables = Vec::new();
        let chapter_view = ChapterView {
            number: chapter.number,
            name: chapter.name.clone(),
            description: chapter.description.clone(),
            department: chapter.department.clone(),
            summaries: chapter.summaries.iter().map(|s| (s.city.clone(), s.text.clone())).collect(),
        };
        let tables_shown = chapter_tables(chapter);
        // A national edition's comparisons by city are each about as long as the edition has
        // cities: together past a page's lines, each goes on a page of its own (or several, by
        // province), so that the chapter page stays small.
        let compared: usize = tables_shown.iter().filter(|t| by_city(t)).map(|t| table_lines(t)).sum();
        for table in tables_shown {
            let mut record_rows = |view: &TableView, page: &str| {
                if table.kind == TableKind::Detail {
                    rows.extend(
                        view.bands
                            .iter()
                            .flat_map(|b| &b.rows)
                            .map(|r| (r.indicator.clone(), format!("{page}#{}", r.id))),
                    );
                }
            };
            let parts = parts(table, book, compared > PAGE_LINES && by_city(table));
            if parts.is_empty() {
                let view = TableView::of(table, chapter, &sources, Select::All);
                record_rows(&view, &chapter_file(chapter.number));
                tables.push(view);
            } else {
                let links: Vec<PartLink> = parts
                    .iter()
                    .map(|p| PartLink {
                        href: p.file.clone(),
                        label: p.label.clone(),
                        cities: p
                            .cities
                            .iter()
                            .map(|(id, name, band)| CityLink {
                                id: id.to_string(),
                                href: format!("{}#{band}", p.file),
                                name: name.clone(),
                            })
                            .collect(),
                    })
                    .collect();
                for (i, part) in parts.iter().enumerate() {
                    let mut view = TableView::of(table, chapter, &sources, Select::Groups(part.groups.clone()));
                    // A table on one page of its own is the whole table: no part to name.
                    view.scope = (parts.len() > 1).then(|| part.label.clone());
                    record_rows(&view, &part.file);
                    let page = render(
                        "part.html",
                        "part",
                        minijinja::context! {
                            chapter => v(&chapter_view),
                            chapter_href => chapter_file(chapter.number),
                            table => v(&view),
                            parts => v(&links),
                            current => i,
                        },
                    )?;
                    files.push((part.file.clone(), page));
                }
                let mut view = TableView::of(table, chapter, &sources, Select::Groups(0..0));
                view.parts = links;
                view.parts_by = match (parts.len(), table.kind) {
                    (1, _) => "whole",
                    (_, TableKind::Detail) => "province",
                    _ if by_city(table) => "province",
                    _ => "indicator",
                };
                tables.push(view);
            }
            let stem = format!("data/table-{}", table.number);
            let (csv, xlsx) = match table.kind {
                TableKind::Detail => data::detail(book, table)?,
                // Each comparison's data are the figures it shows, credited to their cities.
                TableKind::Comparison => data::comparison(book, chapter, table)?,
            };
            files.push((format!("{stem}.csv"), csv));
            files.push((format!("{stem}.xlsx"), xlsx));
        }
        let page = render(
            "chapter.html",
            "chapter",
            minijinja::context! {
                chapter => v(&chapter_view),
                tables => v(&tables),
                national => book.national,
            },
        )?;
        files.push((chapter_file(chapter.number), page));
        Ok((files, rows))
    };
    // Pages are independent of each other: they are made on every core, and kept in book order.
    for (chapter, made) in book.chapters.iter().zip(in_parallel(&book.chapters, chapter_pages)?) {
        let (pages, rows) = made;
        files.extend(pages);
        for (indicator, href) in rows {
            first_row.entry(indicator).or_insert(href);
        }
        search.push(SearchEntry {
            zh: format!("{} {}", chapter.number, chapter.name.zh),
            en: chapter.name.en.clone(),
            href: chapter_file(chapter.number),
            kind: "chapter",
        });
    }

    let city_page = |city: &CityEntry| -> Result<Vec<u8>, AppError> {
        let mut tables = Vec::new();
        for chapter in &book.chapters {
            let view = TableView::of(&chapter.detail, chapter, &sources, Select::City(&city.id));
            if !view.bands.is_empty() {
                tables.push(view);
            }
        }
        let key = city
            .key_figures
            .iter()
            .map(|r| KeyFigure { name: r.name.clone(), unit: r.unit.clone(), value: key_value(r) })
            .collect::<Vec<_>>();
        render(
            "city.html",
            "city",
            minijinja::context! {
                city => minijinja::context! {
                    id => city.id.as_str(),
                    name => v(&city.name),
                    province => v(&city.province),
                    overview => v(&city.overview),
                    indicator_count => city.indicator_count,
                },
                key => v(&key),
                tables => v(&tables),
            },
        )
    };
    for (city, page) in book.cities.iter().zip(in_parallel(&book.cities, city_page)?) {
        search.push(SearchEntry {
            zh: city.name.zh.clone(),
            en: city.name.en.clone(),
            href: city_file(&city.id),
            kind: "city",
        });
        files.push((city_file(&city.id), page));
    }

    let index: Vec<IndexLink> = match lang {
        Lang::En => &book.index.by_english,
        _ => &book.index.by_pinyin,
    }
    .iter()
    .map(|e| IndexLink {
        zh: e.zh.clone(),
        en: e.en.clone(),
        href: first_row.get(e.key.as_str()).cloned().unwrap_or_default(),
    })
    .collect();
    for e in &index {
        search.push(SearchEntry { zh: e.zh.clone(), en: e.en.clone(), href: e.href.clone(), kind: "indicator" });
    }

    let statuses = &book.statuses;
    files.push((
        "index.html".into(),
        render(
            "index.html",
            "home",
            minijinja::context! {
                figures => book.indicator_count,
                planned => statuses.planned,
                progress => statuses.progress,
                result => statuses.result,
                symbols => v(&book.symbols),
                other_years => v(&book.other_reference_years),
                downloads => v(downloads),
                imprint => v(&book.imprint),
            },
        )?,
    ));
    files.push((
        "notes.html".into(),
        render("notes.html", "notes", minijinja::context! { terms => v(&book.terms), symbols => v(&book.symbols) })?,
    ));
    files.push((
        "sources.html".into(),
        render("sources.html", "sources", minijinja::context! { sources => v(&book.sources) })?,
    ));
    files.push((
        "indicators.html".into(),
        render("indicators.html", "indicators", minijinja::context! { index => v(&index) })?,
    ));
    files.push(("search-index.js".into(), search_script(&search)?));
    Ok(files)
}

/// `f` over `items` on every core, the results in the items' order (the first error in that
/// order): the site's bytes do not depend on which thread made what.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R, AppError> + Sync,
) -> Result<Vec<R>, AppError> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(items.len()).max(1);
    crate::workers::map(threads, items, f).into_iter().collect()
}

/// The search index as a script that sets one global: a `<script src>` loads it from file://,
/// where a page may not fetch a JSON file.
fn search_script(entries: &[SearchEntry]) -> Result<Vec<u8>, AppError> {
    let json = serde_json::to_string(entries).map_err(|e| AppError::Internal(format!("search index: {e}")))?;
    // JSON is JavaScript, except that `</script` and U+2028/9 need care; the file is loaded by
    // src, never inlined, and serde_json escapes neither separator, so they are escaped here.
    let json = json.replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029");
    Ok(format!("window.YEARBOOK_SEARCH = {json};\n").into_bytes())
}

/// A value for a template.
fn v<T: Serialize + ?Sized>(x: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(x))
}

pub fn chapter_file(number: usize) -> String {
    format!("chapter-{number:02}.html")
}

pub fn city_file(id: &str) -> String {
    format!("city-{id}.html")
}

/// The tables a chapter page shows, as the book prints them: the detail table, then the
/// comparison: with more cities than columns, by city (cities as rows under their provinces, a
/// few indicators as columns, N-2, N-3 …, as national yearbooks' by-region tables), otherwise
/// with the cities as columns.
fn chapter_tables(chapter: &Chapter) -> Vec<&Table> {
    let mut out = vec![&chapter.detail];
    if chapter.comparison_by_city.is_empty() {
        out.extend(chapter.comparison_by_rows.as_ref().or(chapter.comparison.as_ref()));
    } else {
        out.extend(&chapter.comparison_by_city);
    }
    out
}

/// A table's lines on a page: its rows and band headings.
fn table_lines(table: &Table) -> usize {
    table.groups.iter().map(|g| g.rows.len() + usize::from(g.heading.is_some())).sum()
}

/// A comparison by city: its rows are cities, its columns indicators.
fn by_city(table: &Table) -> bool {
    table.kind == TableKind::Comparison && table.columns.iter().any(|c| c.indicator.is_some())
}

#[derive(Serialize)]
struct SearchEntry {
    zh: String,
    en: String,
    href: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct ChapterLink {
    number: usize,
    href: String,
    name: Text,
}

/// One page of a table too long for its chapter's page.
struct Part<'a> {
    file: String,
    /// The table's groups on this page.
    groups: Range<usize>,
    /// The province, or the first and last indicator of a comparison.
    label: Text,
    /// The cities of a detail table's part: id, name, and the anchor of its band.
    cities: Vec<(&'a str, Text, String)>,
}

/// The pages of a table too long for its chapter's page (none when it fits): the detail table
/// and a comparison by city one page per province, as the book orders cities (a province of
/// more rows than a page holds goes on several); a comparison of a few cities in runs of whole
/// indicators.
fn parts<'a>(table: &'a Table, book: &'a Book, own_page: bool) -> Vec<Part<'a>> {
    let lines = |g: &Group| g.rows.len() + usize::from(g.heading.is_some());
    if table_lines(table) <= PAGE_LINES {
        if !own_page {
            return Vec::new();
        }
        return vec![Part {
            file: format!("table-{}.html", table.number),
            groups: 0..table.groups.len(),
            label: table.title.clone(),
            cities: Vec::new(),
        }];
    }
    let p = format!("t{}-", table.number);
    let by_id: std::collections::HashMap<&str, &CityEntry> = book.cities.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut out: Vec<Part<'a>> = Vec::new();
    let mut in_part = 0usize;
    // The key of the part being filled, and how many pages its province has had so far.
    let mut key: Option<String> = None;
    let mut pages_of_key = 0usize;
    // A detail table's groups are cities, a comparison by city's provinces: both go by province.
    let by_province = table.kind == TableKind::Detail || by_city(table);
    for (g, group) in table.groups.iter().enumerate() {
        let city = group.rows.first().and_then(|r| by_id.get(r.city_id.as_str()).copied());
        let (this_key, label) = match (by_province, city) {
            (true, Some(c)) => {
                let province =
                    crate::division::province_for(c.code.as_deref(), c.province.as_ref().map(|p| p.zh.as_str()));
                let code = province.map_or("99", |p| p.0).to_string();
                let label = match (province, &c.province) {
                    (Some((_, zh, en)), _) => Text { zh: zh.into(), en: en.into() },
                    (None, Some(name)) => name.clone(),
                    (None, None) => Text { zh: "未注明省份".into(), en: "Province not given".into() },
                };
                (format!("p{code}"), label)
            }
            _ => ("c".to_string(), group.heading.clone().unwrap_or_else(|| table.title.clone())),
        };
        let new_key = key.as_deref() != Some(this_key.as_str());
        let full = in_part > 0 && in_part + lines(group) > PAGE_LINES;
        if out.is_empty() || new_key || full {
            pages_of_key = if new_key { 1 } else { pages_of_key + 1 };
            let stem = format!("table-{}-{this_key}", table.number);
            let file = if pages_of_key == 1 { format!("{stem}.html") } else { format!("{stem}-{pages_of_key}.html") };
            let label = match (by_province, pages_of_key) {
                (true, 1) => label.clone(),
                (true, n) => Text { zh: format!("{}（{n}）", label.zh), en: format!("{} ({n})", label.en) },
                _ => label.clone(),
            };
            out.push(Part { file, groups: g..g, label, cities: Vec::new() });
            key = Some(this_key);
            in_part = 0;
        }
        let part = out.last_mut().expect("a part was just pushed");
        part.groups.end = g + 1;
        in_part += lines(group);
        if by_city(table) {
            // Its pages are named by their provinces; a list of every city would make the
            // chapter page as long as the table.
        } else if table.kind == TableKind::Comparison {
            // A run of indicators is named by its first and last.
            if let Some(last) = &group.heading
                && part.groups.len() > 1
            {
                let first = table.groups[part.groups.start].heading.clone().unwrap_or_else(|| table.title.clone());
                part.label =
                    Text { zh: format!("{} … {}", first.zh, last.zh), en: format!("{} … {}", first.en, last.en) };
            }
        } else if let (Some(c), Some(_)) = (city, &group.heading) {
            part.cities.push((c.id.as_str(), c.name.clone(), format!("{p}g{g}")));
        }
    }
    out
}

/// A part of a long table, as its chapter page and its sibling parts link it.
#[derive(Serialize)]
struct PartLink {
    href: String,
    label: Text,
    cities: Vec<CityLink>,
}

#[derive(Serialize)]
struct CityLink {
    id: String,
    href: String,
    name: Text,
}

#[derive(Serialize)]
struct IndexLink {
    zh: String,
    en: String,
    href: String,
}

#[derive(Serialize)]
struct ChapterView {
    number: usize,
    name: Text,
    description: Text,
    department: Text,
    summaries: Vec<(Text, Text)>,
}

#[derive(Serialize)]
struct KeyFigure {
    name: Text,
    unit: Text,
    value: Option<NumView>,
}

fn key_value(r: &Row) -> Option<NumView> {
    r.value.as_ref().map(NumView::of).or_else(|| r.target.as_ref().map(NumView::of))
}

/// A table as a page shows it: every cell with the ids of its headers (WCAG technique H43), so a
/// screen reader names the city band, the row and the column of each figure.
#[derive(Serialize)]
struct TableView {
    /// The anchor: `table-6-1`.
    id: String,
    number: String,
    title: Text,
    /// What part of the table a page shows, after the title: a city's band on a city page, a
    /// province on a page of a long table.
    scope: Option<Text>,
    /// The pages of a table too long for its chapter's page; then the chapter page lists them.
    parts: Vec<PartLink>,
    /// How those pages divide it: "province", "indicator", or "whole" (one page of its own).
    parts_by: &'static str,
    columns: Vec<ColumnView>,
    bands: Vec<Band>,
    notes: Vec<NoteView>,
    sources: Vec<(String, Text)>,
    /// The table's data files, relative to the site.
    csv: String,
    xlsx: String,
    /// Where the full table is, on a city page or a part.
    chapter_href: String,
    chapter: usize,
    chapter_name: Text,
}

#[derive(Serialize)]
struct ColumnView {
    id: String,
    header: Text,
    key: Col,
    numeric: bool,
}

#[derive(Serialize)]
struct Band {
    id: Option<String>,
    heading: Option<Text>,
    rows: Vec<RowView>,
}

#[derive(Serialize)]
struct RowView {
    id: String,
    #[serde(skip)]
    indicator: String,
    level: usize,
    planned: bool,
    cells: Vec<CellView>,
}

#[derive(Serialize)]
struct CellView {
    /// The ids of the band, row and column headers of this cell.
    headers: String,
    numeric: bool,
    #[serde(flatten)]
    content: Content,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Content {
    Empty,
    /// The row header: the indicator (or city) and its notes' marks.
    Item {
        name: Text,
        notes: Vec<NoteRef>,
    },
    Text {
        text: Text,
    },
    Plain {
        text: String,
    },
    Source {
        code: String,
    },
    Number {
        num: NumView,
    },
    /// A plan has no value: its figure is the target.
    Planned,
    NotReported,
}

#[derive(Serialize)]
struct NoteRef {
    n: usize,
    /// The note's anchor and the mark's own (the note links back to it).
    href: String,
    id: String,
}

#[derive(Serialize)]
struct NoteView {
    n: usize,
    id: String,
    back: String,
    text: Text,
}

/// A number as the book prints it, with what its marks mean spelled out for screen readers.
#[derive(Serialize)]
struct NumView {
    mark: &'static str,
    /// What the mark means (`more than`), read out instead of the glyph.
    meaning: Option<Text>,
    /// Sign and integer part with the book's digit grouping.
    int: String,
    frac: String,
    suffix: String,
    derived: bool,
    /// The reference year of a comparison cell of another year.
    year: Option<i64>,
}

impl NumView {
    fn of(n: &Num) -> NumView {
        let meaning = n.qualifier.map(|q| match q {
            Qualifier::Over => Text { zh: "超过".into(), en: "more than".into() },
            Qualifier::AtLeast => Text { zh: "不少于".into(), en: "at least".into() },
            Qualifier::About => Text { zh: "约".into(), en: "about".into() },
            Qualifier::Nearly => Text { zh: "接近".into(), en: "nearly".into() },
        });
        NumView {
            mark: n.mark,
            meaning,
            int: n.int.clone(),
            frac: n.frac.clone(),
            suffix: String::new(),
            derived: n.derived,
            year: None,
        }
    }

    fn change(n: &Num, unit: ChangeUnit) -> NumView {
        let mut v = NumView::of(n);
        if n.raw > 0.0 {
            v.int = format!("+{}", v.int);
        }
        v.suffix = match unit {
            ChangeUnit::Points => " pp".into(),
            ChangeUnit::Percent => "%".into(),
        };
        // The book prints every change in italics: all are computed or restated by the editors.
        v.derived = true;
        v
    }
}

fn numeric(col: Col) -> bool {
    matches!(
        col,
        Col::Value
            | Col::Target
            | Col::Completion
            | Col::LastYear
            | Col::Before
            | Col::Change
            | Col::CityValue
            | Col::Year
            | Col::Level
    )
}

impl TableView {
    /// The table, or the part of it `select` keeps. Row ids count every row of the table, so a
    /// row has the same id on every page that shows it.
    fn of(table: &Table, chapter: &Chapter, sources: &BTreeMap<&str, &Text>, select: Select) -> TableView {
        // Ids are short: a chapter of a 300-city edition has thousands of cells naming them.
        let p = format!("t{}-", table.number);
        let columns: Vec<ColumnView> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| ColumnView {
                id: format!("{p}c{i}"),
                header: c.header.clone(),
                key: c.key,
                numeric: numeric(c.key),
            })
            .collect();
        let whole = matches!(select, Select::All);
        let note_href = |n: usize| format!("#{p}n{n}");
        let mut bands = Vec::new();
        let mut used_notes = Vec::new();
        // A note shared by several rows (a general note) is marked on each of them; its first
        // mark keeps the id the note links back to, the others are numbered on.
        let mut marks_of: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        let mut r = 0usize;
        for (g, group) in table.groups.iter().enumerate() {
            let first = r;
            r += group.rows.len();
            let rows: Vec<(usize, &Row)> = group
                .rows
                .iter()
                .enumerate()
                .map(|(i, row)| (first + i, row))
                .filter(|(_, row)| select.keeps(g, row))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let band_id = group.heading.as_ref().map(|_| format!("{p}g{g}"));
            let mut views = Vec::new();
            for (r, row) in rows {
                let row_id = format!("{p}r{r}");
                let mut cells = Vec::new();
                for (i, col) in table.columns.iter().enumerate() {
                    let headers = match (&band_id, i) {
                        (Some(b), 0) => format!("{b} {}", columns[0].id),
                        (None, 0) => columns[0].id.clone(),
                        (Some(b), _) => format!("{b} {row_id} {}", columns[i].id),
                        (None, _) => format!("{row_id} {}", columns[i].id),
                    };
                    let content = match col.key {
                        Col::Item => {
                            used_notes.extend(row.note_refs.iter().copied());
                            Content::Item {
                                name: row.name.clone(),
                                notes: row
                                    .note_refs
                                    .iter()
                                    .map(|&n| {
                                        let k = marks_of.entry(n).or_insert(0);
                                        *k += 1;
                                        let id = if *k == 1 { format!("{p}f{n}") } else { format!("{p}f{n}-{k}") };
                                        NoteRef { n, href: note_href(n), id }
                                    })
                                    .collect(),
                            }
                        }
                        Col::City => Content::Text { text: row.city.clone() },
                        Col::Unit => Content::Text { text: row.unit.clone() },
                        Col::Value => match &row.value {
                            Some(v) => Content::Number { num: NumView::of(v) },
                            None if row.status == Status::Planned => Content::Planned,
                            None => Content::Empty,
                        },
                        Col::Target => num_or_empty(row.target.as_ref()),
                        Col::Completion => num_or_empty(row.completion.as_ref()),
                        Col::LastYear => num_or_empty(row.last_year.as_ref()),
                        Col::Before => num_or_empty(row.before.as_ref()),
                        Col::Change => match (&row.change, row.change_unit) {
                            (Some(c), Some(u)) => {
                                let mut num = NumView::change(c, u);
                                if col.unit_in_header {
                                    num.suffix.clear();
                                }
                                Content::Number { num }
                            }
                            _ => Content::Empty,
                        },
                        Col::Year => row.other_year.map_or(Content::Empty, |y| Content::Plain { text: y.to_string() }),
                        Col::Source => Content::Source { code: row.source.clone() },
                        Col::CityValue => match col.cell.and_then(|i| row.cells.get(i)).cloned().flatten() {
                            Some(cell) => {
                                let mut num = NumView::of(&cell.value);
                                num.year = cell.other_year;
                                Content::Number { num }
                            }
                            None => Content::NotReported,
                        },
                        // Columns only the workbook has.
                        _ => Content::Empty,
                    };
                    cells.push(CellView { headers, numeric: numeric(col.key), content });
                }
                views.push(RowView {
                    id: row_id,
                    indicator: row.indicator_id.clone(),
                    level: row.level,
                    planned: row.status == Status::Planned,
                    cells,
                });
            }
            bands.push(Band { id: band_id, heading: group.heading.clone(), rows: views });
        }
        let notes = if whole {
            (1..=table.notes.len()).collect::<Vec<_>>()
        } else {
            used_notes.sort_unstable();
            used_notes.dedup();
            used_notes
        };
        let notes = notes
            .into_iter()
            .filter_map(|n| {
                table.notes.get(n - 1).map(|text| NoteView {
                    n,
                    id: format!("{p}n{n}"),
                    back: format!("#{p}f{n}"),
                    text: text.clone(),
                })
            })
            .collect();
        let scope = match select {
            Select::City(_) => bands.first().and_then(|b: &Band| b.heading.clone()),
            _ => None,
        };
        TableView {
            id: format!("table-{}", table.number),
            number: table.number.clone(),
            title: table.title.clone(),
            scope,
            parts: Vec::new(),
            parts_by: "",
            columns,
            bands,
            notes,
            sources: table
                .sources
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| {
                    let title =
                        sources.get(s.as_str()).map_or_else(|| Text { zh: s.clone(), en: s.clone() }, |t| (*t).clone());
                    (s.clone(), title)
                })
                .collect(),
            csv: format!("data/table-{}.csv", table.number),
            xlsx: format!("data/table-{}.xlsx", table.number),
            chapter_href: format!("{}#table-{}", chapter_file(chapter.number), table.number),
            chapter: chapter.number,
            chapter_name: chapter.name.clone(),
        }
    }
}

/// Which rows of a table a page shows.
enum Select<'a> {
    All,
    /// A city's band.
    City(&'a str),
    /// These groups (a part of a long table).
    Groups(Range<usize>),
}

impl Select<'_> {
    fn keeps(&self, group: usize, row: &Row) -> bool {
        match self {
            Select::All => true,
            Select::City(id) => row.city_id == *id,
            Select::Groups(range) => range.contains(&group),
        }
    }
}

fn num_or_empty(n: Option<&Num>) -> Content {
    n.map_or(Content::Empty, |n| Content::Number { num: NumView::of(n) })
}
