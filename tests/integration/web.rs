//! The web edition checked with real tools: html5lib in strict mode parses every page, our link
//! checker follows every internal link and anchor, every figure of every HTML table equals the
//! workbook's (read with calamine), and axe-core in headless Chromium finds no violation on the
//! home, a chapter and a city page. A missing tool fails the test; `YEARBOOK_SKIP_BROWSER=1`
//! (Chromium, Node, axe-core) and `YEARBOOK_SKIP_HTML5LIB=1` skip those checks, loudly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook};

use crate::common::{national_cities, project, repo, run, text};

/// The shipped edition built once (PDF and workbook) and its web edition written beside it,
/// shared by the tests of this module.
fn edition() -> &'static Path {
    static BUILT: OnceLock<tempfile::TempDir> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let out = tempfile::tempdir().unwrap();
            let o = out.path().to_str().unwrap();
            let build = run(&["build", "-q", "--pdf-standard", "plain", "--out", o], &repo());
            assert!(build.status.success(), "build failed: {}", text(&build.stderr));
            let web = run(&["web", "-q", "--out", o], &repo());
            assert!(web.status.success(), "web failed: {}", text(&web.stderr));
            out
        })
        .path()
}

fn site() -> PathBuf {
    edition().join("2025/web")
}

fn skip(var: &str, why: &str) -> bool {
    if std::env::var_os(var).is_some() {
        eprintln!("SKIPPED ({var} is set): {why}");
        return true;
    }
    false
}

/// Every page of `site` parses with html5lib in strict mode; the tables it read, as JSON.
fn html5lib_tables(site: &Path) -> Option<serde_json::Value> {
    let ok = Command::new("python3").args(["-c", "import html5lib"]).status().is_ok_and(|s| s.success());
    if !ok {
        if skip("YEARBOOK_SKIP_HTML5LIB", "html5lib is not installed") {
            return None;
        }
        panic!("html5lib is not installed (pip install html5lib), or set YEARBOOK_SKIP_HTML5LIB=1");
    }
    let json = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new("python3")
        .arg(repo().join("tests/web/html_check.py"))
        .arg(site)
        .arg(json.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "html5lib: {}{}", text(&out.stdout), text(&out.stderr));
    Some(serde_json::from_slice(&std::fs::read(json.path()).unwrap()).unwrap())
}

#[test]
fn every_page_parses_strictly_and_every_figure_equals_the_workbooks() {
    figures_equal_the_workbooks(&site(), &edition().join("2025/yearbook-2025.xlsx"), 300);
}

/// Every page of `site` parses strictly, and every figure of its detail tables (on chapter,
/// part and city pages) equals the edition workbook's; at least `least` figures compared.
fn figures_equal_the_workbooks(site: &Path, workbook: &Path, least: usize) {
    let Some(tables) = html5lib_tables(site) else { return };
    let tables = tables.as_array().unwrap();
    let mut workbook: Xlsx<_> = open_workbook(workbook).unwrap();
    let sheets: Vec<String> = workbook.sheet_names().to_vec();
    // Contents first, sources last; the comparisons' sheets end in 对比.
    let detail_sheets: Vec<&String> = sheets[1..sheets.len() - 1].iter().filter(|s| !s.ends_with(" 对比")).collect();
    // The workbook's column of each printed numeric column.
    let mut at = BTreeMap::new();
    let mut c = 0usize;
    for col in yearbook::book::Col::WORKBOOK {
        at.insert(serde_json::to_value(col).unwrap().as_str().unwrap().to_string(), c);
        c += col.workbook_headers().len();
    }
    let numeric = ["value", "target", "completion", "last-year", "before"];
    let mut compared = 0usize;
    let mut detail_tables = 0usize;
    for table in tables {
        let id = table["id"].as_str().unwrap();
        let Some(chapter) = id.strip_prefix("table-").and_then(|n| n.strip_suffix("-1")) else { continue };
        detail_tables += 1;
        let chapter: usize = chapter.parse().unwrap();
        let range = workbook.worksheet_range(detail_sheets[chapter - 1]).unwrap();
        let rows: Vec<&[Data]> = range.rows().skip(2).collect();
        let columns: Vec<&str> = table["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        for band in table["bands"].as_array().unwrap() {
            let city = band["heading"].as_str().unwrap();
            // The city in two columns (Chinese, English); the band's heading gives both.
            let sheet_rows: Vec<&&[Data]> = rows.iter().filter(|r| format!("{} {}", r[0], r[1]) == city).collect();
            let html_rows = band["rows"].as_array().unwrap();
            assert_eq!(html_rows.len(), sheet_rows.len(), "{}: rows of {city} in {id}", table["page"]);
            for (html, sheet) in html_rows.iter().zip(sheet_rows) {
                let html: Vec<&str> = html.as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
                for (key, shown) in columns.iter().zip(&html) {
                    if !numeric.contains(key) {
                        continue;
                    }
                    let digits: String =
                        shown.chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == '−').collect();
                    let cell = &sheet[at[*key]];
                    if digits.is_empty() {
                        assert!(
                            matches!(cell, Data::Empty),
                            "{id} {key}: `{shown}` on the web, {cell:?} in the workbook"
                        );
                        continue;
                    }
                    let decimals = digits.split_once('.').map_or(0, |(_, f)| f.len());
                    let value = cell.as_f64().unwrap_or_else(|| panic!("{id} {key}: `{shown}` vs {cell:?}"));
                    let printed = format!("{value:.decimals$}").replace('-', "−");
                    assert_eq!(digits, printed, "{} {id} {city} {key}: web `{shown}`, workbook {value}", table["page"]);
                    compared += 1;
                }
            }
        }
    }
    assert!(detail_tables > detail_sheets.len(), "chapter and city pages both have detail tables");
    assert!(compared > least, "only {compared} figures compared");
}

#[test]
fn two_runs_write_the_same_site_byte_for_byte() {
    let again = tempfile::tempdir().unwrap();
    let o = run(&["web", "-q", "--out", again.path().to_str().unwrap()], &repo());
    assert!(o.status.success(), "web: {}", text(&o.stderr));
    let files = |root: &Path| {
        let mut out = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    out.insert(path.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
                }
            }
        }
        out
    };
    let (first, second) = (files(&site()), files(&again.path().join("2025/web")));
    assert!(first.len() > 50, "{} files", first.len());
    assert_eq!(first.keys().collect::<Vec<_>>(), second.keys().collect::<Vec<_>>());
    for (path, bytes) in &first {
        // The home page offers the downloads a build left beside the site; the second run has none.
        if path.as_os_str() != "index.html" {
            assert!(second[path] == *bytes, "{} differs between two runs", path.display());
        }
    }
}

/// The attribute values `name="…"` in a page (the pages quote every attribute).
fn attributes<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!(" {name}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let end = rest.find('"').unwrap();
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

#[test]
fn no_internal_link_or_anchor_is_broken() {
    let site = site();
    links_resolve(&site);
    // The downloads of the edition are offered, and the stable URL of a table exists.
    let home = std::fs::read_to_string(site.join("index.html")).unwrap();
    let home = home.replace("&#x2f;", "/");
    assert!(home.contains("href=\"../yearbook-2025.pdf\"") && home.contains("href=\"../yearbook-2025.xlsx\""));
    assert!(page_ids(&site.join("chapter-01.html")).contains("table-1-1"));
}

/// The ids of a page.
fn page_ids(page: &Path) -> BTreeSet<String> {
    let html = std::fs::read_to_string(page).unwrap();
    attributes(&html, "id").into_iter().map(|i| i.replace("&#x2f;", "/")).collect()
}

/// Every internal link and anchor of every page of `site` resolves, and no page has an id twice.
fn links_resolve(site: &Path) {
    let mut ids: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(site).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "html") {
            let html = std::fs::read_to_string(&path).unwrap();
            let found: BTreeSet<String> =
                attributes(&html, "id").into_iter().map(|i| i.replace("&#x2f;", "/")).collect();
            assert_eq!(found.len(), attributes(&html, "id").len(), "{} has an id twice", path.display());
            ids.insert(path.canonicalize().unwrap(), found);
            pages.push((path, html));
        }
    }
    assert!(pages.len() >= 10, "pages: {}", pages.len());
    let mut checked = 0;
    for (page, html) in &pages {
        for link in attributes(html, "href").into_iter().chain(attributes(html, "src")) {
            if link.starts_with("http://") || link.starts_with("https://") {
                continue;
            }
            // The templates escape every value; a browser reads the entities as characters.
            let link = link.replace("&#x2f;", "/").replace("&#x27;", "'").replace("&quot;", "\"").replace("&amp;", "&");
            let (file, fragment) = link.split_once('#').map_or((link.as_str(), None), |(f, a)| (f, Some(a)));
            let target = if file.is_empty() { page.to_path_buf() } else { site.join(file) };
            let target = target
                .canonicalize()
                .unwrap_or_else(|_| panic!("{}: `{link}` points to a missing file", page.display()));
            if let Some(anchor) = fragment {
                let known = ids.get(&target).unwrap_or_else(|| panic!("{}: `{link}` is not a page", page.display()));
                assert!(known.contains(anchor), "{}: no `#{anchor}` in {}", page.display(), target.display());
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} links");
}

#[test]
fn the_data_beside_each_table_is_plain_and_safe() {
    let data = site().join("data");
    let csv = std::fs::read(data.join("table-1-1.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "CSV starts with a BOM");
    let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("table,city_id,") && header.contains("unit_zh,unit_en"), "{header}");
    // Numbers unformatted: no thin spaces, no marks.
    assert!(!csv.contains('\u{2009}') && !csv.contains('≈'));
    let mut xlsx: Xlsx<_> = open_workbook(data.join("table-1-1.xlsx")).unwrap();
    let sheet = xlsx.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.rows().count(), csv.lines().count(), "the XLSX has the CSV's records");
}

/// The tools of the browser test, or why they are missing.
fn browser_tools() -> Result<(PathBuf, PathBuf), String> {
    let chromium = std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if !chromium.exists() {
        return Err(format!("no Chromium at {}", chromium.display()));
    }
    if !Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Err("no node".into());
    }
    let axe = std::env::var_os("YEARBOOK_AXE")
        .map_or_else(|| repo().join("target/web-tools/node_modules/axe-core/axe.min.js"), PathBuf::from);
    if !axe.is_file() {
        return Err(format!("no axe-core at {} (npm install --prefix target/web-tools axe-core)", axe.display()));
    }
    Ok((chromium, axe))
}

#[test]
fn axe_core_finds_no_violation_on_home_chapter_and_city_pages() {
    axe_finds_nothing(&site(), &["index.html", "chapter-01.html", "city-wuwei.html"]);
}

/// axe-core in headless Chromium finds no violation on these pages of `site`.
fn axe_finds_nothing(site: &Path, pages: &[&str]) {
    let (chromium, axe) = match browser_tools() {
        Ok(t) => t,
        Err(why) if skip("YEARBOOK_SKIP_BROWSER", &why) => return,
        Err(why) => panic!("{why}; or set YEARBOOK_SKIP_BROWSER=1"),
    };
    let urls: Vec<String> = pages.iter().map(|p| format!("file://{}", site.join(p).display())).collect();
    let out = Command::new("node")
        .arg(repo().join("tests/web/chromium.js"))
        .arg("axe")
        .arg(&axe)
        .args(&urls)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium: {}", text(&out.stderr));
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for url in &urls {
        let violations = results[url].as_array().unwrap_or_else(|| panic!("no result for {url}"));
        assert!(violations.is_empty(), "{url}: {}", serde_json::to_string_pretty(violations).unwrap());
    }
}

/// A national edition of `n` cities, built (PDF and workbook) and its web edition written.
fn national_edition(n: usize) -> tempfile::TempDir {
    let cities = national_cities(n);
    let refs: Vec<(&str, &str)> = cities.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = project(&refs);
    let build = run(&["build", "-q", "--pdf-standard", "plain"], dir.path());
    assert!(build.status.success(), "build: {}", text(&build.stderr));
    let web = run(&["web", "-q"], dir.path());
    assert!(web.status.success(), "web: {}", text(&web.stderr));
    dir
}

/// The pages of a long table: `(file, province code)` of each `table-N-1-pCC.html`.
fn province_parts(site: &Path, table: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(site)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("table-{table}-p")) && n.ends_with(".html"))
        .collect();
    out.sort();
    out
}

#[test]
fn a_long_table_goes_on_pages_by_province_and_every_link_and_figure_holds() {
    // 60 cities: table 6-1 has more lines than a chapter page takes (PAGE_LINES), others not.
    let dir = national_edition(60);
    let site = dir.path().join("dist/2025/web");
    let parts = province_parts(&site, "6-1");
    let provinces = national_cities(60)
        .iter()
        .map(|(id, _)| id.trim_start_matches("city-")[..2].to_string())
        .collect::<BTreeSet<_>>();
    assert_eq!(parts.len(), provinces.len(), "one page per province: {parts:?}");
    for p in &provinces {
        assert!(parts.contains(&format!("table-6-1-p{p}.html")), "no page of province {p}: {parts:?}");
    }
    // The table's address still leads to it: the chapter page lists its pages and cities there.
    let chapter = std::fs::read_to_string(site.join("chapter-06.html")).unwrap();
    assert!(page_ids(&site.join("chapter-06.html")).contains("table-6-1"));
    assert!(!chapter.contains("id=\"t6-1-r"), "table 6-1's rows are not repeated on the chapter page");
    // Sixty cities' summaries are folded, so that the table's pages stay in reach.
    assert!(chapter.contains("<details class=\"summaries\"><summary>"), "the summaries are folded");
    assert!(
        !std::fs::read_to_string(crate::web::site().join("chapter-06.html")).unwrap().contains("<details"),
        "4 cities: open"
    );
    for p in &parts {
        assert!(chapter.contains(&format!("href=\"{p}\"")), "the chapter page links {p}");
        let part = std::fs::read_to_string(site.join(p)).unwrap();
        // Each page links its siblings and the chapter, and has the table under its address.
        assert!(parts.iter().all(|q| part.contains(&format!("href=\"{q}\""))), "{p} links every page");
        assert!(part.contains("href=\"chapter-06.html#table-6-1\""), "{p} leads back to the table");
        assert!(page_ids(&site.join(p)).contains("table-6-1"), "{p}");
    }
    // The index of indicators and the search lead into the pages, not to the chapter page.
    let index = std::fs::read_to_string(site.join("indicators.html")).unwrap();
    assert!(index.contains("href=\"table-6-1-p"), "the index points into the pages of table 6-1");
    let search = std::fs::read_to_string(site.join("search-index.js")).unwrap();
    assert!(search.contains("\"table-6-1-p"), "the search points into the pages of table 6-1");
    // A short table stays on its chapter page.
    assert!(
        province_parts(&site, "13-1").is_empty()
            && std::fs::read_to_string(site.join("chapter-13.html")).unwrap().contains("<table")
    );
    links_resolve(&site);
    figures_equal_the_workbooks(&site, &dir.path().join("dist/2025/yearbook-2025.xlsx"), 1000);
    // The comparisons are the book's wide tables by province, their data the figures they show.
    let chapter_ids = page_ids(&site.join("chapter-06.html"));
    assert!(chapter_ids.contains("table-6-2") && chapter_ids.contains("table-6-3"), "{chapter_ids:?}");
    if let Some(tables) = html5lib_tables(&site) {
        assert!(comparisons_by_city_hold(&site, &tables) >= 300);
    }
    assert!(compared_figures_are_their_own_citys(&site) >= 300);
    axe_finds_nothing(&site, &["chapter-06.html", &parts[0]]);
}

/// A page of the web edition is for reading; a megabyte of HTML is too much for a phone.
#[test]
#[ignore = "300 cities: the national scale, run by CI with --ignored"]
fn at_300_cities_no_page_is_over_a_megabyte_and_every_link_holds() {
    let cities = national_cities(300);
    let refs: Vec<(&str, &str)> = cities.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = project(&refs);
    let web = run(&["web", "-q"], dir.path());
    assert!(web.status.success(), "web: {}", text(&web.stderr));
    let site = dir.path().join("dist/2025/web");
    let mut pages = 0;
    for entry in std::fs::read_dir(&site).unwrap() {
        let path = entry.unwrap().path();
        // The data files (data/) are downloads, not pages.
        if path.is_file() {
            let size = std::fs::metadata(&path).unwrap().len();
            assert!(size <= 1 << 20, "{} is {size} bytes, over 1 MiB", path.display());
            pages += 1;
        }
    }
    assert!(pages > 300 + 15, "{pages} files");
    assert!(!province_parts(&site, "6-1").is_empty());
    // Chapter 6's comparisons by city, some 300 lines each, are each on a page of their own.
    let chapter = std::fs::read_to_string(site.join("chapter-06.html")).unwrap();
    assert!(site.join("table-6-2.html").is_file() && chapter.contains("href=\"table-6-2.html\""));
    links_resolve(&site);
    assert!(html5lib_tables(&site).is_some_and(|t| t.as_array().is_some_and(|t| !t.is_empty())));
}

/// A comparison's records name the city each figure is of: every record's value is that city's
/// figure in the chapter's detail table (the shipped 表6-2 compares two of four cities, and
/// its figures were once given to the cities before them).
#[test]
fn every_compared_figure_is_its_own_citys() {
    assert!(compared_figures_are_their_own_citys(&site()) >= 6);
}

/// A data file of `site` as records by header.
fn records(site: &Path, name: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(site.join("data").join(name)).unwrap();
    let header: Vec<String> =
        r.headers().unwrap().iter().map(|h| h.trim_start_matches('\u{feff}').to_string()).collect();
    r.records().map(|rec| header.iter().cloned().zip(rec.unwrap().iter().map(str::to_string)).collect()).collect()
}

/// Every record of every comparison's data (table-N-2, N-3 …) is its city's figure in the
/// chapter's detail table, with its city's name and province; how many were checked.
fn compared_figures_are_their_own_citys(site: &Path) -> usize {
    let mut checked = 0;
    for entry in std::fs::read_dir(site.join("data")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some((chapter, table)) =
            name.strip_prefix("table-").and_then(|n| n.strip_suffix(".csv")).and_then(|n| n.split_once('-'))
        else {
            continue;
        };
        if table == "1" {
            continue;
        }
        let detail = records(site, &format!("table-{chapter}-1.csv"));
        for record in records(site, &name) {
            assert_eq!(record["table"], format!("{chapter}-{table}"), "{name}");
            let mine = detail
                .iter()
                .find(|d| {
                    d["city_id"] == record["city_id"]
                        && d["indicator_id"] == record["indicator_id"]
                        && d["level"] == "0"
                        && d["status"] == record["status"]
                        && d["unit_zh"] == record["unit_zh"]
                })
                .unwrap_or_else(|| panic!("{name}: {} does not report {}", record["city_id"], record["indicator_id"]));
            let figure = if mine["value"].is_empty() { &mine["target"] } else { &mine["value"] };
            assert_eq!(&record["value"], figure, "{name}: {}'s {}", record["city_id"], record["indicator_id"]);
            assert_eq!(record["city_zh"], mine["city_zh"]);
            assert_eq!(record["source"], mine["source"]);
            checked += 1;
        }
    }
    checked
}

/// A national edition's comparisons on the web are the book's: by-region (分地区) tables with
/// the cities as row headers under their provinces' bands and a few indicators as columns
/// (N-2, N-3 …), and each table's CSV holds exactly the figures it shows, in its reading order,
/// each credited to the city of its row and the province of its band.
fn comparisons_by_city_hold(site: &Path, tables: &serde_json::Value) -> usize {
    let mut shown = 0;
    let mut wide_tables = 0;
    for table in tables.as_array().unwrap() {
        let id = table["id"].as_str().unwrap();
        let Some(number) = id.strip_prefix("table-").filter(|n| !n.ends_with("-1")) else { continue };
        let columns: Vec<&str> = table["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert_eq!(columns[0], "item", "{id}: the city is the row header");
        assert!(columns[1..].iter().all(|c| *c == "city-value"), "{id}: {columns:?}");
        // Five indicators a table; the last of a chapter holds the rest.
        wide_tables += usize::from(columns.len() == 6);
        let mut records = records(site, &format!("table-{number}.csv")).into_iter();
        for band in table["bands"].as_array().unwrap() {
            let province = band["heading"].as_str().unwrap_or_else(|| panic!("{id}: a band with no province"));
            for row in band["rows"].as_array().unwrap() {
                let row: Vec<&str> = row.as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
                for cell in &row[1..] {
                    // "…", not reported: the reader of the page text skips the mark (an abbr).
                    if cell.is_empty() || *cell == "…" {
                        continue;
                    }
                    let record = records.next().unwrap_or_else(|| panic!("{id}: `{cell}` is not in its CSV"));
                    assert!(
                        row[0].contains(&record["city_zh"]),
                        "{id}: `{cell}` of {} is {}'s",
                        row[0],
                        record["city_zh"]
                    );
                    assert!(
                        province.contains(&record["province_zh"]),
                        "{id}: {} is not in {province}",
                        record["city_zh"]
                    );
                    let digits: String = cell.chars().filter(|c| c.is_ascii_digit() || *c == '.').collect();
                    let plain: String = record["value"].chars().filter(|c| c.is_ascii_digit() || *c == '.').collect();
                    assert_eq!(digits, plain, "{id}: {}'s {}", record["city_zh"], record["indicator_id"]);
                    shown += 1;
                }
            }
        }
        assert!(records.next().is_none(), "{id}: its CSV has figures the table does not show");
    }
    assert!(wide_tables >= 10, "only {wide_tables} comparisons by city of five indicators");
    shown
}
