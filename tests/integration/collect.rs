//! The collection round end to end: `collect` writes the workbooks, a department fills them
//! (openpyxl, and LibreOffice for one), `import` reports each finding at its cell, the fixed
//! returns land in `data/2026/` with their sources, and `check` and `build` of 2026 show them.
//! The 2026 data are made here, never shipped. Every import rule has a fixture in
//! `tests/fixtures/import/`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, SheetVisible, Xlsx, open_workbook};
use yearbook::collect::rules::ImportRule;

use crate::common::{project, repo, run, text};

/// A project with the shipped 2025 cities and a collection deadline.
fn collect_project() -> tempfile::TempDir {
    let cities: Vec<(String, String)> = ["jiayuguan", "jinchang", "sanmenxia", "wuwei"]
        .iter()
        .map(|id| (id.to_string(), std::fs::read_to_string(repo().join(format!("data/2025/{id}.toml"))).unwrap()))
        .collect();
    let refs: Vec<(&str, &str)> = cities.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = project(&refs);
    let config = dir.path().join("yearbook.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[collect]\ndeadline = \"2027-02-15\"\n");
    std::fs::write(&config, text).unwrap();
    dir
}

fn python() -> bool {
    let ok = Command::new("python3").args(["-c", "import openpyxl"]).status().is_ok_and(|s| s.success());
    assert!(
        ok || std::env::var_os("YEARBOOK_SKIP_OPENPYXL").is_some(),
        "the collection tests fill workbooks with openpyxl: `pip install openpyxl` (or set YEARBOOK_SKIP_OPENPYXL=1 to skip them)"
    );
    if !ok {
        eprintln!("SKIPPED: openpyxl is not installed and YEARBOOK_SKIP_OPENPYXL is set");
    }
    ok
}

/// Fills `from` with the edits (JSON) into `to`, as a department would.
fn fill(from: &Path, to: &Path, edits: &str) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    let json = to.with_extension("edits.json");
    std::fs::write(&json, edits).unwrap();
    let out = Command::new("python3")
        .arg(repo().join("tests/fill_workbook.py"))
        .args([from, to, json.as_path()])
        .output()
        .unwrap();
    assert!(out.status.success(), "fill_workbook.py: {}", text(&out.stderr));
    std::fs::remove_file(json).unwrap();
}

fn collected(dir: &Path, name: &str) -> PathBuf {
    dir.join("dist/2026-collect").join(name)
}

#[test]
fn collect_writes_a_protected_named_workbook_per_department_and_city() {
    let dir = collect_project();
    let o = run(&["collect"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("for 2026 from the 2025 edition"), "{out}");
    let folder = dir.path().join("dist/2026-collect");
    let manifest = std::fs::read_to_string(folder.join("manifest.csv")).unwrap();
    assert!(manifest.starts_with("\u{feff}department,department_zh"), "{manifest}");
    assert!(manifest.contains("collect-2026-education-wuwei.xlsx"), "{manifest}");
    assert!(manifest.contains("education@wuwei.example"), "{manifest}");

    let mut wb: Xlsx<_> = open_workbook(folder.join("collect-2026-education-wuwei.xlsx")).unwrap();
    let sheets = wb.sheets_metadata().to_vec();
    assert_eq!(sheets[0].name, "填表说明 Instructions");
    let meta = sheets.iter().find(|s| s.name == "_meta").unwrap();
    assert_eq!(meta.visible, SheetVisible::VeryHidden);
    let names: BTreeSet<String> = wb.defined_names().iter().map(|(n, _)| n.clone()).collect();
    for name in [
        "city",
        "id",
        "last_year",
        "value",
        "target",
        "status",
        "qualifier",
        "reference_year",
        "as_of",
        "note",
        "explanation",
    ] {
        assert!(names.contains(name), "no named range {name}: {names:?}");
    }
    let (_, value) = wb.defined_names().iter().find(|(n, _)| n == "value").unwrap().clone();
    assert_eq!(value, "'02 教育'!$I$4:$I$13");
    let sheet = wb.worksheet_range("02 教育").unwrap();
    assert_eq!(sheet.get_value((3, 2)), Some(&Data::String("affordable-private-kindergartens-certified".into())));
    assert_eq!(sheet.get_value((3, 6)), Some(&Data::Float(73.0)));
    assert_eq!(sheet.get_value((3, 7)), Some(&Data::String("完成".into())));
    let help = wb.worksheet_range("填表说明 Instructions").unwrap();
    let all: String = help.rows().flat_map(|r| r.iter().map(|d| d.to_string())).collect::<Vec<_>>().join("\n");
    assert!(all.contains("截止日期 Deadline: 2027-02-15"), "{all}");

    // The XML says what Excel enforces: protected sheets, unlocked entry cells, validation with
    // input messages, the identity in the custom properties.
    let bytes = std::fs::read(folder.join("collect-2026-education-wuwei.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet2.xml").unwrap(), &mut xml).unwrap();
    assert!(xml.contains("<sheetProtection"), "not protected");
    assert!(xml.contains("promptTitle=\"本年数值 Value\""), "no input message");
    assert!(xml.contains("单位 Unit: 所"), "the input message gives no unit");
    let mut custom = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("docProps/custom.xml").unwrap(), &mut custom).unwrap();
    for key in ["template_version", "edition_year", "department", "city", "layout_hash"] {
        assert!(custom.contains(&format!("name=\"{key}\"")), "no custom property {key}");
    }
}

const BAD: &str = r#"[
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "affordable-private-kindergartens-certified", "column": "本年数值", "value": "75"},
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "kindergartens-with-toddler-care", "column": "本年数值", "value": "６８"},
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "toddlers-in-kindergarten-care", "column": "本年数值", "value": "abc"},
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "strong-foundation-plan-applicants", "column": "本年数值", "value": 3870},
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "school-building-projects", "column": "本年数值", "value": 1430},
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "school-building-projects", "column": "说明", "value": "新增农村学校改造项目，口径扩大"}
]"#;

const FIXED: &str = r#"[
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "affordable-private-kindergartens-certified", "column": "本年数值", "value": "75"},
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "kindergartens-with-toddler-care", "column": "本年数值", "value": "６８"},
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "toddlers-in-kindergarten-care", "column": "本年数值", "value": "400名"},
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "strong-foundation-plan-applicants", "column": "本年数值", "value": 3870},
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "strong-foundation-plan-applicants", "column": "说明", "value": "强基计划扩大到全市高中"},
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "school-building-projects", "column": "本年数值", "value": 1430},
 {"op": "set", "sheet": "02 教育", "city": "wuwei", "id": "school-building-projects", "column": "说明", "value": "新增农村学校改造项目，口径扩大"}
]"#;

#[test]
fn a_badly_filled_return_is_refused_at_its_cells_and_lands_once_fixed() {
    if !python() {
        return;
    }
    let dir = collect_project();
    let p = dir.path();
    assert_eq!(run(&["collect"], p).status.code(), Some(0));
    let returns = p.join("returns");
    let education = returns.join("collect-2026-education-wuwei.xlsx");
    fill(&collected(p, "collect-2026-education-wuwei.xlsx"), &education, BAD);
    let health = returns.join("collect-2026-health-wuwei.xlsx");
    fill(
        &collected(p, "collect-2026-health-wuwei.xlsx"),
        &health,
        r#"[{"op": "set", "sheet": "03 医疗卫生", "city": "wuwei", "id": "remote-training-clinicians", "column": "本年数值", "value": 900},
            {"op": "delete_column", "sheet": "03 医疗卫生", "column": "备注"}]"#,
    );
    let o = run(&["import", "--format", "short", education.to_str().unwrap(), health.to_str().unwrap()], p);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let short = text(&o.stdout);
    assert_eq!(
        short,
        "collect-2026-education-wuwei.xlsx › 02 教育 › I6: error[not-a-number]: `abc` is not a number (hint: enter the figure as a number in 名, e.g. 1234 or 1.2万)\n\
         collect-2026-education-wuwei.xlsx › 02 教育 › I7: error[unexplained-change]: 3870 is +900 % on last year's 387, beyond ±50 %, and the row has no explanation (hint: check the figure and its unit; if it is right, say why in the 说明 (Explanation) cell P7)\n\
         collect-2026-health-wuwei.xlsx › 03 医疗卫生 › O2: error[layout-changed]: the column named `note` is headed `说明`, not `备注`: a column was deleted, inserted or moved (hint: put the columns back as sent (`备注` was at O2), or fill a fresh workbook from `yearbook collect`)\n\
         collect-2026-health-wuwei.xlsx › 03 医疗卫生 › P2: error[layout-changed]: the column named `explanation` is headed ``, not `说明`: a column was deleted, inserted or moved (hint: put the columns back as sent (`说明` was at P2), or fill a fresh workbook from `yearbook collect`)\n"
    );
    assert!(text(&o.stderr).contains("nothing was written"));
    assert!(!p.join("data/2026").exists(), "an import with findings wrote data");

    // The human form shows the value found; --annotate marks the cells for the department.
    let o = run(&["import", education.to_str().unwrap(), "--annotate", "annotated"], p);
    let human = text(&o.stderr);
    assert!(human.contains("error[not-a-number]: `abc` is not a number\n  --> collect-2026-education-wuwei.xlsx › 02 教育 › I6\n   | found: abc"), "{human}");
    let annotated = p.join("annotated/collect-2026-education-wuwei.xlsx");
    let bytes = std::fs::read(&annotated).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut comments = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/comments1.xml").unwrap(), &mut comments).unwrap();
    assert!(comments.contains("ref=\"I6\"") && comments.contains("[not-a-number]"), "{comments}");
    assert!(comments.contains("ref=\"I7\"") && comments.contains("[unexplained-change]"), "{comments}");

    // Fixed: the education return as corrected, the health one filled afresh.
    fill(&collected(p, "collect-2026-education-wuwei.xlsx"), &education, FIXED);
    fill(
        &collected(p, "collect-2026-health-wuwei.xlsx"),
        &health,
        r#"[{"op": "set", "sheet": "03 医疗卫生", "city": "wuwei", "id": "remote-training-clinicians", "column": "本年数值", "value": 900}]"#,
    );
    let dry = run(&["import", "--dry-run", education.to_str().unwrap(), health.to_str().unwrap()], p);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    let said = text(&dry.stdout);
    assert!(said.contains("data/2026/wuwei.toml (new file): 6 added, 0 changed, 0 unchanged, 0 removed"), "{said}");
    assert!(!p.join("data/2026").exists(), "--dry-run wrote data");

    let o = run(&["import", education.to_str().unwrap(), health.to_str().unwrap()], p);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let city = std::fs::read_to_string(p.join("data/2026/wuwei.toml")).unwrap();
    assert!(city.contains("value = 400\n"), "{city}");
    assert!(city.contains("value = 68\n"), "{city}");
    assert!(city.contains("cell = \"02 教育!I7\""), "{city}");
    assert!(city.contains("explanation = \"强基计划扩大到全市高中\""), "{city}");
    assert!(city.contains("source = \"wuwei-2026-education-return\""), "{city}");
    let sources = std::fs::read_to_string(p.join("data/catalogue/sources.toml")).unwrap();
    assert!(sources.contains("id = \"wuwei-2026-education-return\""), "{sources}");
    assert!(sources.contains("file = \"collect-2026-education-wuwei.xlsx\""), "{sources}");

    // check passes (warnings allowed: no overview, no summaries yet), build shows the figures.
    let o = run(&["check", "--year", "2026", "--format", "short"], p);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("warning[missing-overview]"), "{}", text(&o.stdout));
    let o = run(&["build", "--year", "2026", "--pdf-standard", "plain"], p);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let pdf = p.join("dist/2026/yearbook-2026.pdf");
    let txt = Command::new("pdftotext").args(["-layout", pdf.to_str().unwrap(), "-"]).output();
    if let Ok(txt) = txt {
        let body = text(&txt.stdout);
        assert!(body.contains("3 870") || body.contains("3,870") || body.contains("3870"), "the PDF lacks 3870");
        assert!(
            body.contains("Education Bureau: livelihood statistics return for 2026 (Wuwei)"),
            "the PDF does not name the return as source"
        );
    }

    // A hand comment survives a second return, which replaces the department's figures.
    let path = p.join("data/2026/wuwei.toml");
    let with_comment = std::fs::read_to_string(&path)
        .unwrap()
        .replace("sources = [", "# 已与教育局核对 checked with the bureau\nsources = [");
    std::fs::write(&path, &with_comment).unwrap();
    let before = std::fs::read(&path).unwrap();
    let o = run(&["import", education.to_str().unwrap(), health.to_str().unwrap()], p);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("nothing to change"), "{}", text(&o.stdout));
    assert_eq!(std::fs::read(&path).unwrap(), before, "re-importing the same returns changed the file");
    let second = FIXED.replace("\"value\": 1430", "\"value\": 1431");
    fill(&collected(p, "collect-2026-education-wuwei.xlsx"), &education, &second);
    let o = run(&["import", education.to_str().unwrap()], p);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let said = text(&o.stdout);
    assert!(said.contains("0 added, 1 changed, 4 unchanged, 0 removed"), "{said}");
    assert!(said.contains("~ school-building-projects: value = 1430"), "{said}");
    let city = std::fs::read_to_string(&path).unwrap();
    assert!(city.contains("# 已与教育局核对 checked with the bureau\n"), "{city}");
    assert!(city.contains("value = 1431\n") && city.contains("value = 900\n"), "{city}");
}

/// LibreOffice rewrites a workbook when it saves it; the return still imports.
#[test]
fn a_return_saved_by_libreoffice_imports() {
    if !python() {
        return;
    }
    let soffice = ["soffice", "libreoffice"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()));
    let Some(soffice) = soffice else {
        assert!(
            std::env::var_os("YEARBOOK_SKIP_LIBREOFFICE").is_some(),
            "LibreOffice (soffice) is missing: install libreoffice-calc, or set YEARBOOK_SKIP_LIBREOFFICE=1 to skip"
        );
        eprintln!("SKIPPED: soffice is missing and YEARBOOK_SKIP_LIBREOFFICE is set");
        return;
    };
    let dir = collect_project();
    let p = dir.path();
    assert_eq!(run(&["collect", "--department", "education"], p).status.code(), Some(0));
    let filled = p.join("filled/collect-2026-education-wuwei.xlsx");
    fill(&collected(p, "collect-2026-education-wuwei.xlsx"), &filled, FIXED);
    let saved = p.join("saved");
    let profile = format!("-env:UserInstallation=file://{}", p.join("lo-profile").display());
    let o = Command::new(soffice)
        .args([profile.as_str(), "--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir"])
        .arg(&saved)
        .arg(&filled)
        .output()
        .unwrap();
    assert!(o.status.success(), "soffice: {}", text(&o.stderr));
    let returned = saved.join("collect-2026-education-wuwei.xlsx");
    assert_ne!(
        std::fs::read(&returned).unwrap(),
        std::fs::read(&filled).unwrap(),
        "LibreOffice did not rewrite the file"
    );
    let o = run(&["import", returned.to_str().unwrap()], p);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let city = std::fs::read_to_string(p.join("data/2026/wuwei.toml")).unwrap();
    assert!(city.contains("value = 3870\n") && city.contains("value = 400\n"), "{city}");
}

/// One import case: a workbook filled with edits (or a long-form sheet), and the exact findings.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The collection workbook the department fills.
    workbook: Option<String>,
    #[serde(default)]
    edits: serde_json::Value,
    /// Import the filled workbook this many times in one run.
    #[serde(default)]
    copies: Option<usize>,
    /// The file's bytes are these instead (not a workbook at all).
    garbage: Option<String>,
    /// A long-form CSV sheet instead of a workbook.
    long: Option<String>,
    #[serde(default)]
    args: Vec<String>,
}

fn import_case(dir: &Path, p: &Path) -> Result<String, String> {
    let case: Case =
        serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap()).map_err(|e| e.to_string())?;
    let returns = p.join("returns");
    std::fs::create_dir_all(&returns).unwrap();
    let mut files = Vec::new();
    if let Some(csv) = &case.long {
        let f = returns.join("province.csv");
        std::fs::write(&f, csv).unwrap();
        files.push(f);
    } else if let Some(bytes) = &case.garbage {
        let f = returns.join("collect-2026-education-wuwei.xlsx");
        std::fs::write(&f, bytes).unwrap();
        files.push(f);
    } else {
        let name = case.workbook.clone().unwrap_or_else(|| "collect-2026-education-wuwei.xlsx".into());
        for i in 0..case.copies.unwrap_or(1) {
            let f = if i == 0 { returns.join(&name) } else { returns.join(format!("copy{i}-{name}")) };
            fill(&collected(p, &name), &f, &case.edits.to_string());
            files.push(f);
        }
    }
    let mut args: Vec<String> = vec!["import".into(), "--format".into(), "short".into()];
    args.extend(case.args.iter().cloned());
    args.extend(files.iter().map(|f| f.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&refs, p);
    if o.status.code() != Some(1) {
        return Err(format!("exit {:?}, expected 1: {}{}", o.status.code(), text(&o.stdout), text(&o.stderr)));
    }
    std::fs::remove_dir_all(&returns).unwrap();
    Ok(text(&o.stdout))
}

#[test]
fn every_import_fixture_gives_its_exact_findings_and_every_rule_has_one() {
    if !python() {
        return;
    }
    let dir = collect_project();
    let p = dir.path();
    assert_eq!(run(&["collect"], p).status.code(), Some(0));
    let root = repo().join("tests/fixtures/import");
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|d| d.is_dir()).collect();
    cases.sort();
    let mut failures = Vec::new();
    let mut shown = BTreeSet::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        match import_case(case, p) {
            Ok(out) => {
                let expected_path = case.join("expected.txt");
                if std::env::var_os("BLESS").is_some() {
                    std::fs::write(&expected_path, &out).unwrap();
                }
                let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
                if out != expected {
                    failures.push(format!("{name}: findings differ\n--- expected\n{expected}--- actual\n{out}"));
                }
                for rule in ImportRule::ALL {
                    if expected.contains(&format!("[{}]: ", rule.code())) {
                        shown.insert(rule.code());
                    }
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let missing: Vec<&str> = ImportRule::ALL.iter().map(|r| r.code()).filter(|c| !shown.contains(c)).collect();
    assert!(missing.is_empty(), "import rules without a fixture: {missing:?}");
    assert!(!p.join("data/2026").exists(), "an import with findings wrote data");
}

#[test]
fn a_long_sheet_of_300_cities_imports_with_the_same_checks() {
    let dir = crate::common::project_of_cities(300);
    let p = dir.path();
    // One figure per city and indicator of the education sector, as a province would send it.
    let mut csv = String::from("city,indicator,value,target,unit,status,reference year,qualifier,note,source\n");
    let mut rows = 0;
    for entry in std::fs::read_dir(p.join("data/2025")).unwrap() {
        let path = entry.unwrap().path();
        let city: toml::Value = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let id = city["id"].as_str().unwrap();
        for ind in city.get("indicator").and_then(|i| i.as_array()).into_iter().flatten() {
            let Some(v) = ind.get("value").and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64))) else {
                continue;
            };
            csv.push_str(&format!("{id},{},{v},,,,,,,\n", ind["id"].as_str().unwrap()));
            rows += 1;
        }
    }
    assert!(rows > 5000, "{rows}");
    std::fs::write(p.join("province.csv"), &csv).unwrap();
    let o = run(&["import", "--long", "--year", "2026", "province.csv"], p);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_dir(p.join("data/2026")).unwrap().count(), 300);
    let o = run(&["check", "--year", "2026", "--format", "short"], p);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    // A bad row is found at its line, and nothing more is written.
    let bad = csv.replacen(",,,,,,,\n", ",,人,,,,,\n", 1).replacen("\n", "\nwuwei-1,no-such-indicator,5,,,,,,,\n", 1);
    std::fs::write(p.join("province.csv"), bad).unwrap();
    let o = run(&["import", "--long", "--year", "2026", "--format", "short", "province.csv"], p);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("province.csv › row 2, indicator: error[unknown-indicator]: `no-such-indicator` is not an indicator of the data"), "{out}");
}
