//! Golden files for the small test edition (`tests/fixtures/mini`): the book as JSON, the
//! rendered Typst source and one workbook sheet's XML. A change to any stage shows up here as a
//! reviewable diff. After reviewing a change, rewrite them with `BLESS=1 cargo test --test snapshots`.

use std::io::Read;
use std::path::PathBuf;

use yearbook::config::Config;
use yearbook::pipeline::{self, Engine};
use yearbook::plan::{Plan, PlanOptions};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `actual` with the golden file, or rewrites it under `BLESS`. Returns the problem.
fn golden(name: &str, actual: &str) -> Option<String> {
    let path = repo().join("tests/snapshots/mini").join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return None;
    }
    let expected = match std::fs::read_to_string(&path) {
        Ok(e) => e,
        Err(_) => return Some(format!("{name}: no golden file (run with BLESS=1 and review it)")),
    };
    if expected == actual {
        return None;
    }
    let (line, (want, got)) = expected
        .lines()
        .zip(actual.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(i, pair)| (i + 1, pair))
        .unwrap_or((expected.lines().count().min(actual.lines().count()) + 1, ("<end>", "<end>")));
    Some(format!("{name} differs first at line {line}:\n  golden: {want}\n  actual: {got}"))
}

fn sheet_xml(xlsx: &[u8], entry: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("the workbook is a zip file");
    let mut file = zip.by_name(entry).expect("the sheet is in the workbook");
    let mut xml = String::new();
    file.read_to_string(&mut xml).unwrap();
    // One element per line, so a diff points at the cell that changed.
    xml.replace("><", ">\n<")
}

#[test]
fn the_mini_edition_matches_its_golden_files() {
    let config = Config::load(&repo().join("tests/fixtures/mini/yearbook.toml")).unwrap();
    let plan = Plan::new(config, PlanOptions::default());
    let engine = Engine::new(&plan.config).unwrap();
    let checked = pipeline::check(&plan, &engine).unwrap();
    assert_eq!(checked.errors(), 0);
    let artifacts = pipeline::build_once(&plan, &engine, &checked).unwrap();

    let book = serde_json::to_string_pretty(&artifacts.book).unwrap() + "\n";
    // The first sector sheet (sheet1 is the contents).
    let sheet = sheet_xml(&artifacts.xlsx, "xl/worksheets/sheet2.xml");
    let problems: Vec<String> =
        [golden("book.json", &book), golden("main.typ", &artifacts.typ), golden("sheet2.xml", &sheet)]
            .into_iter()
            .flatten()
            .collect();
    assert!(problems.is_empty(), "{}\n(review, then BLESS=1 cargo test --test snapshots)", problems.join("\n"));
}
