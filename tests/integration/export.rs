//! `yearbook export --by department`: one workbook per department holding exactly its sectors,
//! a manifest whose hashes and recipients match, and the same bytes on a second run.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Reader, Xlsx, open_workbook};
use sha2::{Digest, Sha256};

use crate::common::{mini_city, project, repo, run, text};

fn sha256(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

/// One CSV line split into fields, quotes honoured (the shipped names hold commas, never line
/// breaks): a reader independent of the writer's own.
fn fields(line: &str) -> Vec<String> {
    let (mut out, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    out.push(field);
    out
}

/// The manifest as header → value maps.
fn manifest(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(dir.join("manifest.csv")).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("the manifest starts with a byte-order mark for Excel");
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let header = fields(lines.next().unwrap());
    lines
        .map(|l| {
            let row = fields(l);
            assert_eq!(row.len(), header.len(), "{l}");
            header.iter().cloned().zip(row).map(|(k, v)| (k, list_cell(v))).collect()
        })
        .collect()
}

/// A list cell (a JSON array) as its items joined by `; `, for the assertions.
fn list_cell(cell: String) -> String {
    match serde_json::from_str::<Vec<String>>(&cell) {
        Ok(items) if cell.starts_with('[') => items.join("; "),
        _ => cell,
    }
}

fn sheets(path: &Path) -> Vec<String> {
    let wb: Xlsx<_> = open_workbook(path).expect("calamine reads the department workbook");
    wb.sheet_names()
}

#[test]
fn each_department_gets_exactly_its_sectors_and_the_manifest_says_so() {
    let out = tempfile::tempdir().unwrap();
    let o = run(&["export", "--by", "department", "--out", out.path().to_str().unwrap()], &repo());
    assert!(o.status.success(), "export failed:\n{}", text(&o.stderr));
    let dir = out.path().join("2025-departments");
    let rows = manifest(&dir);

    // The sectors of each department, from the shipped catalogue.
    let catalogue: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("data/catalogue/sectors.toml")).unwrap()).unwrap();
    let mut owned: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in catalogue["sector"].as_array().unwrap() {
        owned.entry(s["department"].as_str().unwrap()).or_default().push(s["id"].as_str().unwrap());
    }
    assert!(rows.len() >= 10, "one workbook per department with figures, got {}", rows.len());
    let hrss = rows.iter().find(|r| r["department"] == "hrss").expect("a workbook for human resources");
    assert_eq!(hrss["file"], "yearbook-2025-hrss.xlsx");
    assert_eq!(hrss["sectors"], "employment; social-insurance", "hrss owns two sectors");
    assert_eq!(hrss["to"], "hrss@yearbook.example");
    assert_eq!(hrss["cc"], "hrss.statistics@yearbook.example");
    assert_eq!(hrss["department_zh"], "人力资源和社会保障局");

    let mut files: Vec<String> = Vec::new();
    for r in &rows {
        let path = dir.join(&r["file"]);
        assert_eq!(sha256(&path), r["sha256"], "{}: the manifest's hash is the file's", r["file"]);
        let sectors: Vec<&str> = r["sectors"].split("; ").collect();
        for s in &sectors {
            assert!(owned[r["department"].as_str()].contains(s), "{} holds {s}, which it does not own", r["file"]);
        }
        let names = sheets(&path);
        assert_eq!(names.first().map(String::as_str), Some("目录 Contents"), "{}", r["file"]);
        assert_eq!(names.last().map(String::as_str), Some("资料来源 Sources"), "{}", r["file"]);
        let sector_sheets: Vec<&str> = r["sheets"].split("; ").collect();
        // The hidden sheet of the charts' data is no sector's.
        let inner: Vec<String> =
            names[1..names.len() - 1].iter().filter(|n| n.as_str() != "图表数据 Chart data").cloned().collect();
        let (comparisons, details): (Vec<&String>, Vec<&String>) = inner.iter().partition(|n| n.ends_with(" 对比"));
        assert_eq!(details, sector_sheets, "{}: its sector sheets, in order", r["file"]);
        for c in comparisons {
            let number = &c[..2];
            assert!(
                sector_sheets.iter().any(|s| s.starts_with(number)),
                "{}: {c} is not one of its sectors",
                r["file"]
            );
        }
        assert!(r["to"].ends_with(".example"), "shipped recipients are on the reserved .example domain");
        files.push(r["file"].clone());
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".xlsx"))
        .collect();
    on_disk.sort();
    files.sort();
    assert_eq!(on_disk, files, "the folder holds exactly the workbooks the manifest lists");

    // A second export gives the same bytes: the workbooks carry the edition's date, not the clock.
    let first: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(dir.join(f)).unwrap()).collect();
    let o = run(&["export", "--by", "department", "--out", out.path().to_str().unwrap()], &repo());
    assert!(o.status.success());
    for (f, bytes) in files.iter().zip(first) {
        assert!(std::fs::read(dir.join(f)).unwrap() == bytes, "{f} changed between two exports");
    }
}

#[test]
fn split_by_city_each_office_gets_its_city_only() {
    let mut second = mini_city().replace("id = \"testcity\"", "id = \"othercity\"");
    second = second
        .replace("name = { zh = \"测试市\", en = \"Testcity\" }", "name = { zh = \"另一市\", en = \"Othercity\" }");
    let p = project(&[("testcity", &mini_city()), ("othercity", &second)]);
    let o = run(&["export", "--by", "department", "--per-city"], p.path());
    assert!(o.status.success(), "export failed:\n{}", text(&o.stderr));
    let dir = p.path().join("dist/2025-departments-by-city");
    let rows = manifest(&dir);
    let files: Vec<&str> = rows.iter().map(|r| r["file"].as_str()).collect();
    assert!(
        files.contains(&"yearbook-2025-hrss-testcity.xlsx") && files.contains(&"yearbook-2025-hrss-othercity.xlsx")
    );
    // No city entry for these test cities in the catalogue: the department's own addresses.
    let hrss = rows.iter().find(|r| r["file"] == "yearbook-2025-hrss-othercity.xlsx").unwrap();
    assert_eq!(hrss["to"], "hrss@yearbook.example");
    assert_eq!(hrss["city"], "othercity");

    let mut wb: Xlsx<_> = open_workbook(dir.join("yearbook-2025-hrss-othercity.xlsx")).unwrap();
    let name = wb.sheet_names().into_iter().find(|n| n.contains("就业")).unwrap();
    let range = wb.worksheet_range(&name).unwrap();
    let cities: Vec<String> = range.rows().skip(2).map(|r| r[0].to_string()).collect();
    assert!(!cities.is_empty());
    assert!(cities.iter().all(|c| c.starts_with("另一市")), "only the other city's rows: {cities:?}");
}

#[test]
fn a_city_office_named_in_the_catalogue_receives_its_city() {
    let p = project(&[("testcity", &mini_city())]);
    let path = p.path().join("data/catalogue/departments.toml");
    let catalogue = std::fs::read_to_string(&path).unwrap().replacen(
        "cc = [\"hrss.statistics@yearbook.example\"]",
        "cc = [\"hrss.statistics@yearbook.example\"]\ncity.testcity.to = [\"hrss@testcity.example\"]\ncity.testcity.cc = \
         [\"mayor@testcity.example\"]",
        1,
    );
    std::fs::write(&path, catalogue).unwrap();
    let o = run(&["export", "--by", "department", "--per-city"], p.path());
    assert!(o.status.success(), "export failed:\n{}", text(&o.stderr));
    let rows = manifest(&p.path().join("dist/2025-departments-by-city"));
    let hrss = rows.iter().find(|r| r["department"] == "hrss").unwrap();
    assert_eq!((hrss["to"].as_str(), hrss["cc"].as_str()), ("hrss@testcity.example", "mayor@testcity.example"));
}

/// E07: a department that loses its sectors has no workbook in the next export, and its old one
/// does not stay beside the new manifest; files that are not workbooks (the send log `mail`
/// keeps there) are kept.
#[test]
fn a_workbook_the_export_no_longer_makes_does_not_stay() {
    let p = project(&[("testcity", &mini_city())]);
    let dir = p.path().join("dist/2025-departments");
    let o = run(&["export", "--by", "department"], p.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let before = manifest(&dir);
    assert!(before.len() >= 2, "{before:?}");
    let (first, last) = (before[0]["department"].clone(), before[before.len() - 1]["department"].clone());
    std::fs::write(dir.join("sent-log.csv"), "kept\n").unwrap();
    let sectors = p.path().join("data/catalogue/sectors.toml");
    let text_of_sectors = std::fs::read_to_string(&sectors).unwrap();
    std::fs::write(
        &sectors,
        text_of_sectors.replace(&format!("department = \"{last}\""), &format!("department = \"{first}\"")),
    )
    .unwrap();

    let o = run(&["export", "--by", "department"], p.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let after = manifest(&dir);
    assert_eq!(after.len(), before.len() - 1, "{after:?}");
    let mut want: Vec<String> = after.iter().map(|r| r["file"].clone()).collect();
    want.extend(["manifest.csv".to_string(), "sent-log.csv".to_string()]);
    want.sort();
    let mut found: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    found.sort();
    assert_eq!(found, want, "`yearbook-2025-{last}.xlsx` of the previous export must not stay");
    assert_eq!(std::fs::read_to_string(dir.join("sent-log.csv")).unwrap(), "kept\n");
}

/// E06: an office key that names no city (`testcty`) would send the city's workbook to the
/// department's own address; `export` refuses it where `check` does. An office for a city that
/// only another year's edition has is fine: the catalogue serves every edition in the folder.
#[test]
fn a_city_office_for_no_city_is_refused_and_one_for_another_years_city_is_not() {
    let p = project(&[("testcity", &mini_city())]);
    let path = p.path().join("data/catalogue/departments.toml");
    let office = |city: &str| {
        let text = std::fs::read_to_string(&path).unwrap().replacen(
            "cc = [\"hrss.statistics@yearbook.example\"]",
            &format!("cc = [\"hrss.statistics@yearbook.example\"]\ncity.{city}.to = [\"hrss@{city}.example\"]"),
            1,
        );
        std::fs::write(&path, text).unwrap();
    };
    office("testcty");
    let o = run(&["export", "--by", "department", "--per-city"], p.path());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("error[unknown-city-office]") && err.contains("did you mean `city.testcity`?"), "{err}");
    assert!(!p.path().join("dist/2025-departments-by-city").exists(), "nothing is written");

    let original =
        std::fs::read_to_string(&path).unwrap().replace("city.testcty.to = [\"hrss@testcty.example\"]\n", "");
    std::fs::write(&path, original).unwrap();
    office("oldcity");
    let o = run(&["check", "--format", "short"], p.path());
    assert!(text(&o.stdout).contains("error[unknown-city-office]"), "no city `oldcity` yet: {}", text(&o.stdout));
    std::fs::create_dir_all(p.path().join("data/2024")).unwrap();
    let old = mini_city().replace("id = \"testcity\"", "id = \"oldcity\"");
    std::fs::write(p.path().join("data/2024/oldcity.toml"), old).unwrap();
    let o = run(&["check", "--format", "short"], p.path());
    let out = text(&o.stdout);
    assert!(!out.contains("unknown-city-office"), "{out}");
}

#[test]
fn a_bad_address_fails_check_and_export_at_its_line() {
    let p = project(&[("testcity", &mini_city())]);
    let path = p.path().join("data/catalogue/departments.toml");
    let catalogue = std::fs::read_to_string(&path).unwrap().replacen("\"housing@yearbook.example\"", "\"housing\"", 1);
    std::fs::write(&path, catalogue).unwrap();
    let o = run(&["export", "--by", "department"], p.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("`housing` is not an e-mail address") && err.contains("departments.toml"), "{err}");
    assert!(!p.path().join("dist/2025-departments").exists(), "nothing is written");
}

/// Two cities, so that the sectors get comparison tables and completion charts.
fn two_cities() -> tempfile::TempDir {
    let second = mini_city()
        .replace("id = \"testcity\"", "id = \"othercity\"")
        .replace("name = { zh = \"测试市\", en = \"Testcity\" }", "name = { zh = \"另一市\", en = \"Othercity\" }");
    project(&[("testcity", &mini_city()), ("othercity", &second)])
}

fn zip_entry(path: &Path, name: &str) -> Option<String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut entry = zip.by_name(name).ok()?;
    let mut s = String::new();
    entry.read_to_string(&mut s).unwrap();
    Some(s)
}

#[test]
fn the_edition_workbook_names_each_table_with_its_printed_page_hierarchy_comparisons_and_charts() {
    use calamine::Data;
    let p = two_cities();
    let o = run(&["build", "--pdf-standard", "plain"], p.path());
    assert!(o.status.success(), "build failed:\n{}", text(&o.stderr));
    let xlsx = p.path().join("dist/2025/yearbook-2025.xlsx");
    let pdf = std::fs::read(p.path().join("dist/2025/yearbook-2025.pdf")).unwrap();
    let pages: Vec<String> = pdf_extract::extract_text_from_mem_by_pages(&pdf)
        .unwrap()
        .into_iter()
        .map(|t| t.chars().filter(|c| !c.is_whitespace()).collect())
        .collect();

    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let contents = wb.worksheet_range("目录 Contents").unwrap();
    // A title row, then the two header rows.
    let rows: Vec<&[Data]> = contents.rows().skip(3).collect();
    assert!(rows.iter().any(|r| r[0] == Data::String("表1-1".into())), "table numbers as printed");
    assert!(rows.iter().any(|r| matches!(&r[0], Data::String(s) if s.ends_with("-2"))), "comparison tables listed");
    for r in &rows {
        let title = r[1].to_string();
        let (Data::Float(printed), Data::Float(pdf_page)) = (&r[5], &r[6]) else {
            panic!("no page for {title}: {r:?}")
        };
        let text = &pages[*pdf_page as usize - 1];
        let squeezed: String = title.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains(&squeezed), "{title} is not on PDF page {pdf_page}");
        assert!(*printed <= *pdf_page, "the printed number does not count the front matter");
        let range = r[4].to_string();
        assert!(range.starts_with("A3:"), "{range}");
    }

    // "Of which" rows: level and parent, not only an indent.
    let names = wb.sheet_names();
    let housing = names.iter().find(|n| n.contains("住房") && !n.ends_with("对比")).unwrap().clone();
    let sheet = wb.worksheet_range(&housing).unwrap();
    let header: Vec<String> = sheet.rows().nth(1).unwrap().iter().map(|c| c.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (id, level, parent, table) = (col("Indicator id"), col("Level"), col("Part of (id)"), col("Table"));
    let data: Vec<&[Data]> = sheet.rows().skip(2).collect();
    let part = data.iter().position(|r| r[level] == Data::Float(1.0)).expect("an of-which row");
    let above = data[..part].iter().rev().find(|r| r[level] == Data::Float(0.0)).unwrap();
    assert_eq!(data[part][parent], above[id], "the parent is the figure above at level 0");
    assert_eq!(above[parent], Data::Empty);
    assert!(data.iter().all(|r| matches!(&r[table], Data::String(s) if s.starts_with("表") && s.ends_with("-1"))));

    // Comparison sheets: one column per city, numbers as numbers.
    let comparison = names.iter().find(|n| n.ends_with(" 对比")).expect("a comparison sheet").clone();
    let sheet = wb.worksheet_range(&comparison).unwrap();
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert!(header.contains(&"测试市".to_string()) && header.contains(&"另一市".to_string()), "{header:?}");
    let first_city = header.iter().position(|h| h == "测试市" || h == "另一市").unwrap();
    assert!(sheet.rows().skip(2).all(|r| matches!(r[first_city], Data::Float(_)) || r[first_city] == Data::Empty));

    // Two cities give too few completion rates for a chart in the book (see the test below for
    // one that has charts), so the workbook has none either. Print setup on every sheet.
    assert_eq!(zip_entry(&xlsx, "xl/charts/chart1.xml"), None, "a chart the book does not have");
    for i in 1..=names.len() {
        let xml = zip_entry(&xlsx, &format!("xl/worksheets/sheet{i}.xml")).unwrap();
        assert!(
            xml.contains("paperSize=\"9\"") && xml.contains("orientation=\"landscape\""),
            "sheet {i}: A4 landscape"
        );
        assert!(!xml.contains("<f>"), "sheet {i}: no formulas");
    }
    let workbook = zip_entry(&xlsx, "xl/workbook.xml").unwrap();
    assert_eq!(workbook.matches("_xlnm.Print_Titles").count(), names.len(), "header rows repeat on every sheet");
}

/// The workbook draws a completion chart exactly where the book has one: one rule
/// (`book::Chart::of`), read by both writers. The shipped edition has charts in some chapters
/// and not in others.
#[test]
fn the_workbook_has_a_chart_exactly_where_the_book_has_one() {
    use yearbook::config::Config;
    use yearbook::pipeline::{self, Engine};
    use yearbook::plan::{Plan, PlanOptions};
    let plan = Plan::new(Config::load(&repo().join("yearbook.toml")).unwrap(), PlanOptions::default()).unwrap();
    let engine = Engine::new(&plan.config).unwrap();
    let checked = pipeline::check(&plan, &engine).unwrap();
    let artifacts = pipeline::build_once(&plan, &engine, &checked).unwrap();
    let in_book: Vec<String> = artifacts
        .book
        .chapters
        .iter()
        .filter(|c| c.completion_chart.is_some())
        .map(|c| format!("{}目标任务完成率", c.name.zh))
        .collect();
    assert!(!in_book.is_empty() && in_book.len() < artifacts.book.chapters.len(), "{in_book:?}");
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("book.xlsx");
    std::fs::write(&xlsx, &artifacts.xlsx).unwrap();
    let in_workbook: Vec<String> = (1..)
        .map_while(|i| zip_entry(&xlsx, &format!("xl/charts/chart{i}.xml")))
        .map(|xml| {
            assert!(xml.contains("Target completion"), "bilingual chart title");
            in_book
                .iter()
                .find(|t| xml.contains(t.as_str()))
                .cloned()
                .unwrap_or_else(|| "a chart the book lacks".into())
        })
        .collect();
    assert_eq!(in_workbook, in_book);
}

/// LibreOffice's `soffice`, or `None` when the opt-out variable says this machine has none.
fn soffice() -> Option<&'static str> {
    let found = std::process::Command::new("soffice").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("YEARBOOK_SKIP_LIBREOFFICE").is_some(),
            "LibreOffice (soffice) is missing: install libreoffice-calc-nogui, or set YEARBOOK_SKIP_LIBREOFFICE=1 to \
             skip the spreadsheet checks knowingly"
        );
        eprintln!(
            "\n\n!!!!! SKIPPED (YEARBOOK_SKIP_LIBREOFFICE): the manifest is NOT opened in a spreadsheet !!!!!\n\n"
        );
        return None;
    }
    Some("soffice")
}

#[test]
fn names_that_look_like_formulas_stay_text_when_a_spreadsheet_opens_the_manifest() {
    let city = mini_city().replacen(
        "name = { zh = \"测试市\", en = \"Testcity\" }",
        "name = { zh = \"=HYPERLINK(\\\"http://evil.example\\\",\\\"测试市\\\")\", en = \"@SUM(1,2)\" }",
        1,
    );
    let p = project(&[("testcity", &city)]);
    let path = p.path().join("data/catalogue/departments.toml");
    let catalogue = std::fs::read_to_string(&path).unwrap().replacen(
        "name = { zh = \"人力资源和社会保障局\", en = \"Human Resources and Social Security Bureau\" }",
        "name = { zh = \"+人社局|' /C calc'!A0\", en = \"-2+3\" }",
        1,
    );
    std::fs::write(&path, catalogue).unwrap();
    let o = run(&["export", "--by", "department", "--per-city"], p.path());
    assert!(o.status.success(), "export failed:\n{}", text(&o.stderr));
    let dir = p.path().join("dist/2025-departments-by-city");

    // The program reads back exactly what the data says.
    let entries = yearbook::departments::manifest::read_manifest(&dir).unwrap();
    let hrss = entries.iter().find(|e| e.department == "hrss").unwrap();
    assert_eq!(hrss.department_name.zh, "+人社局|' /C calc'!A0");
    assert_eq!(hrss.department_name.en, "-2+3");
    assert_eq!(hrss.city.as_ref().unwrap().1.en, "@SUM(1,2)");

    // A spreadsheet finds no formula in it.
    let Some(soffice) = soffice() else { return };
    let out = tempfile::tempdir().unwrap();
    let profile = format!("-env:UserInstallation=file://{}/profile", out.path().display());
    let o = std::process::Command::new(soffice)
        // UTF-8, comma-separated, and "evaluate formulas" on: the import most willing to run one
        // (with these options an unneutralised `=HYPERLINK(…)` cell comes out as a formula).
        .args([&profile, "--headless", "--infilter=CSV:44,34,76,1,,0,false,true,false,false,false,-1,true"])
        .args(["--convert-to", "xlsx", "--outdir", out.path().to_str().unwrap()])
        .arg(dir.join("manifest.csv"))
        .output()
        .unwrap();
    let xlsx = out.path().join("manifest.xlsx");
    assert!(xlsx.exists(), "LibreOffice converted nothing: {}{}", text(&o.stdout), text(&o.stderr));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&xlsx).unwrap()).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut sheet).unwrap();
    assert!(!sheet.contains("<f"), "no formula cell: {sheet:.2000}");
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let range = wb.worksheet_range(&wb.sheet_names()[0]).unwrap();
    let cells: Vec<String> = range.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
    assert!(cells.iter().any(|c| c.contains("HYPERLINK(")), "the name is there as text: {cells:?}");
    assert!(cells.iter().any(|c| c.contains("-2+3")), "not computed to 1: {cells:?}");
    assert!(!cells.iter().any(|c| c == "3" || c == "1"), "nothing was evaluated: {cells:?}");
}
