//! The workbook as its reader meets it (proof review, round 3: W1–W4 and the workbook
//! furniture): what a screen shows, what a printer prints, what a filter leaves. Read back with
//! calamine, and from the zip's XML where calamine cannot see (column widths, styles, print
//! setup, chart ranges).

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use yearbook::book::Col;

use crate::common::{at, mini_city, project, repo, run, text};

/// One part of the workbook's zip, as text, if it has it.
fn part_if(xlsx: &Path, name: &str) -> Option<String> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(xlsx).unwrap()).unwrap();
    let mut s = String::new();
    zip.by_name(name).ok()?.read_to_string(&mut s).unwrap();
    Some(s)
}

fn part(xlsx: &Path, name: &str) -> String {
    part_if(xlsx, name).unwrap_or_else(|| panic!("no {name} in {}", xlsx.display()))
}

fn parse(xml: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(xml).expect("well-formed XML")
}

/// A sheet of the workbook: its name, its part, hidden or not, and its print area and titles.
struct Sheet {
    name: String,
    part: String,
    hidden: bool,
    print_area: Option<String>,
    print_titles: Option<String>,
}

fn sheets(xlsx: &Path) -> Vec<Sheet> {
    let rels = part(xlsx, "xl/_rels/workbook.xml.rels");
    let rels = parse(&rels);
    let target: HashMap<&str, &str> = rels
        .descendants()
        .filter(|n| n.has_tag_name("Relationship"))
        .map(|n| (n.attribute("Id").unwrap(), n.attribute("Target").unwrap()))
        .collect();
    let workbook = part(xlsx, "xl/workbook.xml");
    let doc = parse(&workbook);
    let defined = |name: &str, i: usize| {
        doc.descendants()
            .find(|n| {
                n.has_tag_name("definedName")
                    && n.attribute("name") == Some(name)
                    && n.attribute("localSheetId") == Some(i.to_string().as_str())
            })
            .and_then(|n| n.text().map(str::to_string))
    };
    let r_id = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships", "id");
    doc.descendants()
        .filter(|n| n.has_tag_name("sheet"))
        .enumerate()
        .map(|(i, n)| Sheet {
            name: n.attribute("name").unwrap().to_string(),
            part: format!("xl/{}", target[n.attribute(r_id).unwrap()]),
            hidden: n.attribute("state") == Some("hidden"),
            print_area: defined("_xlnm.Print_Area", i),
            print_titles: defined("_xlnm.Print_Titles", i),
        })
        .collect()
}

/// A cell's look: its number format, horizontal alignment, indent and wrapping.
#[derive(Debug, Default)]
struct Look {
    format: String,
    horizontal: Option<String>,
    indent: u32,
    wrap: bool,
}

/// The look of every cell of a sheet, by its reference (`F5`).
fn looks(xlsx: &Path, sheet_part: &str) -> HashMap<String, Look> {
    let styles = part(xlsx, "xl/styles.xml");
    let styles = parse(&styles);
    let formats: HashMap<&str, &str> = styles
        .descendants()
        .filter(|n| n.has_tag_name("numFmt"))
        .map(|n| (n.attribute("numFmtId").unwrap(), n.attribute("formatCode").unwrap()))
        .collect();
    let xfs = styles.descendants().find(|n| n.has_tag_name("cellXfs")).unwrap();
    let xfs: Vec<Look> = xfs
        .children()
        .filter(|n| n.has_tag_name("xf"))
        .map(|xf| {
            let id = xf.attribute("numFmtId").unwrap_or("0");
            let align = xf.children().find(|n| n.has_tag_name("alignment"));
            Look {
                format: formats.get(id).map_or_else(|| format!("builtin {id}"), |f| f.to_string()),
                horizontal: align.and_then(|a| a.attribute("horizontal")).map(str::to_string),
                indent: align.and_then(|a| a.attribute("indent")).map_or(0, |i| i.parse().unwrap()),
                wrap: align.and_then(|a| a.attribute("wrapText")) == Some("1"),
            }
        })
        .collect();
    let sheet = part(xlsx, sheet_part);
    let sheet = parse(&sheet);
    sheet
        .descendants()
        .filter(|n| n.has_tag_name("c"))
        .map(|c| {
            let s: usize = c.attribute("s").map_or(0, |s| s.parse().unwrap());
            let x = &xfs[s];
            let look =
                Look { format: x.format.clone(), horizontal: x.horizontal.clone(), indent: x.indent, wrap: x.wrap };
            (c.attribute("r").unwrap().to_string(), look)
        })
        .collect()
}

/// `F5` for row 4, column 5 (both from 0).
fn reference(row: usize, col: usize) -> String {
    let mut letters = String::new();
    let mut c = col + 1;
    while c > 0 {
        letters.insert(0, (b'A' + ((c - 1) % 26) as u8) as char);
        c = (c - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// The width of column `col` (from 0) on a sheet, as its `<col>` elements give it.
fn column_width(xlsx: &Path, sheet_part: &str, col: usize) -> Option<f64> {
    let sheet = part(xlsx, sheet_part);
    let doc = parse(&sheet);
    let n = col + 1;
    doc.descendants().filter(|c| c.has_tag_name("col")).find_map(|c| {
        let min: usize = c.attribute("min")?.parse().ok()?;
        let max: usize = c.attribute("max")?.parse().ok()?;
        (min..=max).contains(&n).then(|| c.attribute("width")?.parse().ok())?
    })
}

const NOTE: (&str, &str) = (
    "含改建道路。统计口径与上年相同，不含村内道路。",
    "Includes upgraded roads. Counted as the year before, without village lanes.",
);

/// Two cities (so that sectors get comparison tables): the test city with a two-sentence note,
/// and another whose skills training figure refers to 2024, the year before the edition.
fn edition() -> tempfile::TempDir {
    let first = mini_city().replace(
        "note = { zh = \"含改建。\", en = \"Includes upgrades.\" }",
        &format!("note = {{ zh = \"{}\", en = \"{}\" }}", NOTE.0, NOTE.1),
    );
    assert_ne!(first, mini_city(), "the test city's note is where this test expects it");
    let second = mini_city()
        .replace("id = \"testcity\"", "id = \"othercity\"")
        .replace("name = { zh = \"测试市\", en = \"Testcity\" }", "name = { zh = \"另一市\", en = \"Othercity\" }")
        .replacen("value = 59178\n", "value = 59178\nreference_year = 2024\n", 1);
    let p = project(&[("testcity", &first), ("othercity", &second)]);
    let o = run(&["build", "--pdf-standard", "plain"], p.path());
    assert!(o.status.success(), "build failed:\n{}", text(&o.stderr));
    p
}

fn sector<'a>(sheets: &'a [Sheet], contains: &str) -> &'a Sheet {
    sheets.iter().find(|s| s.name.contains(contains) && !s.name.ends_with("对比")).unwrap()
}

fn rows(xlsx: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook(xlsx).unwrap();
    // From A1, so that row numbers are the sheet's.
    let range = wb.worksheet_range(sheet).unwrap();
    assert_eq!(range.start(), Some((0, 0)), "{sheet} starts at A1");
    range.rows().map(<[Data]>::to_vec).collect()
}

/// W1: a two-sentence note is readable on screen: its column is wide and the note wraps.
#[test]
fn a_note_shows_whole_in_a_wide_wrapped_column() {
    let p = edition();
    let xlsx = p.path().join("dist/2025/yearbook-2025.xlsx");
    let sheets = sheets(&xlsx);
    let employment = sector(&sheets, "就业");
    let rows = rows(&xlsx, &employment.name);
    let note = format!("{} / {}", NOTE.0, NOTE.1);
    let r = rows.iter().position(|r| r[at(Col::Note)] == Data::String(note.clone())).expect("the note's row");
    let look = &looks(&xlsx, &employment.part)[&reference(r, at(Col::Note))];
    assert!(look.wrap, "the note wraps: {look:?}");
    let width = column_width(&xlsx, &employment.part, at(Col::Note)).expect("a width for the Note column");
    assert!(width >= 30.0, "the Note column is {width} characters wide");
    // Wrapped into rows tall enough for the note (LibreOffice does not measure rows itself).
    let sheet = part(&xlsx, &employment.part);
    let doc = parse(&sheet);
    let row =
        doc.descendants().find(|n| n.has_tag_name("row") && n.attribute("r") == Some(&(r + 1).to_string())).unwrap();
    let height: f64 = row.attribute("ht").expect("the note's row has a height").parse().unwrap();
    assert!(height >= 30.0, "two lines at least: {height}");
    // Every sector sheet gives notes the same room, with notes or without.
    for s in sheets.iter().filter(|s| !s.name.ends_with("对比") && s.name.starts_with(|c: char| c.is_ascii_digit())) {
        assert_eq!(column_width(&xlsx, &s.part, at(Col::Note)), Some(width), "{}", s.name);
    }
}

/// W2: the charts plot data on a hidden sheet of their own, never inside a table a user filters
/// by city, and plot hidden cells too.
#[test]
fn a_filter_on_a_table_never_blanks_its_chart() {
    let out = tempfile::tempdir().unwrap();
    let o = run(&["build", "--pdf-standard", "plain", "--out", out.path().to_str().unwrap()], &repo());
    assert!(o.status.success(), "build failed:\n{}", text(&o.stderr));
    let xlsx = out.path().join("2025/yearbook-2025.xlsx");
    let sheets = sheets(&xlsx);
    let data = sheets.iter().find(|s| s.hidden).expect("a hidden sheet for the charts' data");
    assert_eq!(sheets.iter().filter(|s| s.hidden).count(), 1);
    assert_eq!(sheets.last().unwrap().name, "资料来源 Sources", "the sources stay last");
    let cells = rows(&xlsx, &data.name);
    let quoted = format!("'{}'!", data.name);
    let mut charts = 0;
    for i in 1.. {
        let Some(xml) = part_if(&xlsx, &format!("xl/charts/chart{i}.xml")) else { break };
        charts += 1;
        let doc = parse(&xml);
        let formulas: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("f")).filter_map(|n| n.text()).collect();
        assert!(!formulas.is_empty());
        for f in &formulas {
            assert!(f.starts_with(&quoted), "chart {i} plots {f}, not the hidden sheet's cells");
            for s in sheets.iter().filter(|s| !s.hidden) {
                assert!(!f.contains(&s.name), "chart {i} refers to {}", s.name);
            }
        }
        // The values are numbers on that sheet, the categories their labels.
        assert!(formulas.iter().any(|f| f.contains("!$B$")), "labels from column B: {formulas:?}");
        let values = formulas.iter().find(|f| f.contains("!$C$")).expect("rates from column C");
        let first: usize = values.split('$').nth(2).unwrap().trim_end_matches(':').parse().unwrap();
        let last: usize = values.rsplit('$').next().unwrap().parse().unwrap();
        for r in first..=last {
            assert!(matches!(cells[r - 1][2], Data::Float(_)), "{} row {r}", data.name);
            assert!(matches!(&cells[r - 1][1], Data::String(s) if !s.is_empty()));
        }
        // Excel writes no `plotVisOnly` for "show data in hidden rows and columns" (and "1" without).
        let visible_only = doc.descendants().find(|n| n.has_tag_name("plotVisOnly")).and_then(|n| n.attribute("val"));
        assert!(matches!(visible_only, None | Some("0" | "false")), "chart {i} plots hidden cells too");
    }
    assert!(charts > 0, "the shipped edition has charts");
}

/// W3 and the footer: a sector sheet prints without its technical columns, at most two pages
/// wide with the city and indicator on each, and numbers its pages.
#[test]
fn printed_sheets_leave_out_the_technical_columns_on_two_pages_wide_with_page_numbers() {
    let p = edition();
    let xlsx = p.path().join("dist/2025/yearbook-2025.xlsx");
    let note = reference(0, at(Col::Note)).trim_end_matches('1').to_string();
    let mut sectors = 0;
    for s in sheets(&xlsx).iter().filter(|s| !s.hidden) {
        let xml = part(&xlsx, &s.part);
        let doc = parse(&xml);
        let setup = doc.descendants().find(|n| n.has_tag_name("pageSetup")).unwrap();
        let wide: u16 = setup.attribute("fitToWidth").unwrap_or("1").parse().unwrap();
        assert!(wide <= 2 && setup.attribute("fitToHeight") == Some("0"), "{}: {wide} wide", s.name);
        assert_eq!(setup.attribute("orientation"), Some("landscape"));
        let footer = doc.descendants().find(|n| n.has_tag_name("oddFooter")).and_then(|n| n.text()).unwrap_or("");
        assert!(footer.contains("&P") && footer.contains("&N"), "{}: footer {footer:?}", s.name);
        let area = s.print_area.as_deref().unwrap();
        if s.name.starts_with(|c: char| c.is_ascii_digit()) && !s.name.ends_with("对比") {
            sectors += 1;
            assert_eq!(wide, 2, "{}", s.name);
            // Printed to the Note column: table number, id, level and parent stay on screen.
            assert!(area.contains(&format!(":${note}$")), "{}: print area {area}", s.name);
            let titles = s.print_titles.as_deref().unwrap();
            assert!(titles.contains("$A:$D") && titles.contains("$1:$2"), "{}: titles {titles}", s.name);
        }
        if s.name.ends_with("对比") {
            let header = rows(&xlsx, &s.name)[1].clone();
            let id = header.iter().position(|h| h == &Data::String("Indicator id".into())).unwrap();
            assert_eq!(id, header.len() - 1, "the id is the comparison's last column");
            let last = reference(0, id - 1).trim_end_matches('1').to_string();
            assert!(area.contains(&format!(":${last}$")), "{}: print area {area}", s.name);
            // Two cities' columns fit one page at a readable size: not split over two.
            assert_eq!(wide, 1, "{}", s.name);
        }
    }
    assert!(sectors >= 3);
}

/// W4: a comparison sheet keeps each figure's year and source; a figure of another year than
/// the edition's shows its year in its cell, as the book prints "59 178 / 2024".
#[test]
fn a_comparison_sheet_keeps_each_figures_year_and_source() {
    let p = edition();
    let xlsx = p.path().join("dist/2025/yearbook-2025.xlsx");
    let sheets = sheets(&xlsx);
    let comparison = sheets.iter().find(|s| s.name.contains("就业") && s.name.ends_with("对比")).unwrap();
    let rows = rows(&xlsx, &comparison.name);
    let header: Vec<String> = rows[1].iter().map(|c| c.to_string()).collect();
    let col = |h: &str| header.iter().position(|x| x == h).unwrap_or_else(|| panic!("no column {h}: {header:?}"));
    let skills = rows.iter().position(|r| r[1] == Data::String("技能培训".into())).unwrap();
    let row = &rows[skills];
    assert_eq!(row[col("Othercity")], Data::Float(59178.0));
    assert_eq!(row[col("Othercity: year")], Data::Float(2024.0));
    assert_eq!(row[col("Testcity: year")], Data::Float(2025.0));
    for city in ["Othercity", "Testcity"] {
        assert!(
            matches!(&row[col(&format!("{city}: source"))], Data::String(s) if s.starts_with('S')),
            "{city}'s source code: {row:?}"
        );
    }
    let looks = looks(&xlsx, &comparison.part);
    let other = &looks[&reference(skills, col("Othercity"))];
    assert!(other.format.contains("\" / 2024\""), "the 2024 figure shows its year: {other:?}");
    let this = &looks[&reference(skills, col("Testcity"))];
    assert!(!this.format.contains(" / "), "the edition's year goes unsaid: {this:?}");
}

/// The furniture: figures grouped as the book groups them (thin spaces from 10 000, four
/// digits ungrouped), labels centred and texts indented so that nothing runs together, and
/// the contents' title row.
#[test]
fn figures_read_as_in_the_book_and_nothing_runs_together() {
    let p = edition();
    let xlsx = p.path().join("dist/2025/yearbook-2025.xlsx");
    let styles = part(&xlsx, "xl/styles.xml");
    assert!(!styles.contains("#,##"), "no locale grouping (commas in Chinese Excel, and from 1 000)");
    let sheets = sheets(&xlsx);

    let employment = sector(&sheets, "就业");
    let rows = rows(&xlsx, &employment.name);
    let looks = looks(&xlsx, &employment.part);
    let skills = rows.iter().position(|r| r[at(Col::Value)] == Data::Float(59178.0)).unwrap();
    // The city in one language per column, as the indicator: a filter lists 测试市, not "测试市 Testcity".
    assert_eq!(rows[1][at(Col::City)..at(Col::City) + 2], [Data::from("City"), Data::from("City (English)")]);
    let city = &rows[skills][at(Col::City)..at(Col::City) + 2];
    assert!(matches!(city, [Data::String(zh), Data::String(en)] if !zh.is_ascii() && en.is_ascii()), "{city:?}");
    let look = &looks[&reference(skills, at(Col::Value))];
    assert_eq!(look.format, "##\"\u{2009}\"##0;\"\u{2212}\"##\"\u{2009}\"##0", "59 178 with a thin space");
    // The year beside the source code: "2024S2" before.
    let year = &looks[&reference(skills, at(Col::Year))];
    assert_eq!(year.horizontal.as_deref(), Some("center"), "{year:?}");
    for c in [at(Col::Status), at(Col::Source)] {
        let look = &looks[&reference(skills, c)];
        assert!(look.indent >= 1, "text after a number is set off: {look:?}");
    }

    let disability = sector(&sheets, "残疾");
    let rows_d = self::rows(&xlsx, &disability.name);
    let subsidy = rows_d.iter().position(|r| r[at(Col::Value)] == Data::Float(1000.0)).unwrap();
    let look = &self::looks(&xlsx, &disability.part)[&reference(subsidy, at(Col::Value))];
    assert_eq!(look.format, "###0;\"\u{2212}\"###0", "four digits stay ungrouped");

    // The contents: a title row over its two header rows; page numbers centred ("20养老服务").
    let contents = self::rows(&xlsx, "目录 Contents");
    assert_eq!(contents[0][0], Data::String("测试年鉴 2025 / Test Yearbook 2025".into()));
    assert_eq!(contents[1][0], Data::String("表号".into()));
    assert_eq!(contents[2][0], Data::String("Table".into()));
    let looks = self::looks(&xlsx, &sheets[0].part);
    assert_eq!(looks[&reference(3, 6)].horizontal.as_deref(), Some("center"), "the PDF page beside the sector");
}

/// The contents sheet of a department's workbook names the department and the edition.
#[test]
fn a_department_workbook_names_its_department_and_edition() {
    let p = edition();
    let o = run(&["export", "--by", "department"], p.path());
    assert!(o.status.success(), "export failed:\n{}", text(&o.stderr));
    let xlsx = p.path().join("dist/2025-departments/yearbook-2025-hrss.xlsx");
    let contents = rows(&xlsx, "目录 Contents");
    let title = contents[0][0].to_string();
    for part in
        ["测试年鉴 2025", "人力资源和社会保障局", "Test Yearbook 2025", "Human Resources and Social Security Bureau"]
    {
        assert!(title.contains(part), "{title:?} lacks {part:?}");
    }
    let sheets = sheets(&xlsx);
    let last = sheets.last().unwrap();
    assert_eq!(last.name, "资料来源 Sources");
}

/// Past the cities the book prints side by side, a comparison sheet lists them as rows under
/// each indicator, as the book does: one row per indicator and city with its value, year and
/// source, so that the sheet prints on two pages wide and a City filter picks one city.
#[test]
fn a_comparison_of_many_cities_lists_them_as_rows() {
    let p = crate::common::project_of_cities(8);
    let o = run(&["build", "--pdf-standard", "plain"], p.path());
    assert!(o.status.success(), "build failed:\n{}", text(&o.stderr));
    let xlsx = p.path().join("dist/2025/yearbook-2025.xlsx");
    let sheets = sheets(&xlsx);
    let contents = rows(&xlsx, "目录 Contents");
    let (mut compared, mut long) = (0, 0);
    for s in sheets.iter().filter(|s| s.name.ends_with("对比")) {
        let cells = rows(&xlsx, &s.name);
        let header: Vec<String> = cells[1].iter().map(|c| c.to_string()).collect();
        let cities = header.iter().filter(|h| h.ends_with(": year")).count();
        if cities > 0 {
            // The cities that report this sector's compared figures fit side by side.
            assert!(cities <= yearbook::book::COMPARISON_CITY_COLUMNS, "{}: {cities} cities as columns", s.name);
            continue;
        }
        long += 1;
        assert_eq!(
            header[5..],
            ["City", "City (English)", "Value", "Reference year", "Source", "Indicator id"].map(String::from),
            "{}",
            s.name
        );
        let mut seen = std::collections::HashSet::new();
        for r in &cells[2..] {
            assert!(matches!(&r[5], Data::String(c) if !c.is_empty()), "{}: {r:?}", s.name);
            assert!(matches!(&r[6], Data::String(c) if c.is_ascii()), "{}: {r:?}", s.name);
            assert!(matches!(r[7], Data::Float(_)) && matches!(r[8], Data::Float(_)), "{}: {r:?}", s.name);
            assert!(matches!(&r[9], Data::String(c) if c.starts_with('S')), "{}: {r:?}", s.name);
            assert!(seen.insert((r[10].to_string(), r[5].to_string())), "{}: a figure twice: {r:?}", s.name);
        }
        // The contents count the sheet's rows.
        let line = contents.iter().find(|l| l.get(3) == Some(&Data::String(s.name.clone()))).unwrap();
        assert_eq!(line[9], Data::Float((cells.len() - 2) as f64), "{}", s.name);
        let xml = part(&xlsx, &s.part);
        let doc = parse(&xml);
        let setup = doc.descendants().find(|n| n.has_tag_name("pageSetup")).unwrap();
        let wide: u16 = setup.attribute("fitToWidth").unwrap_or("1").parse().unwrap();
        assert!(wide <= 2, "{}", s.name);
        compared += cells.len() - 2;
    }
    assert!(long > 0 && compared > 20, "{long} long sheets, {compared} figures compared");
}
