//! Golden files for the small test edition (`tests/fixtures/mini`): the book as JSON, the
//! rendered Typst source and one workbook sheet's XML. A change to any stage shows up here as a
//! reviewable diff. After reviewing a change, rewrite them with `BLESS=1 cargo test --test integration snapshots`.

use std::io::Read;

use crate::common::{repo, shipped_catalogue};
use yearbook::config::Config;
use yearbook::pipeline::{self, Engine};
use yearbook::plan::{Plan, PlanOptions};

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

/// The mini edition in a temporary folder: its `yearbook.toml` (the shipped templates and fonts
/// named by absolute path), its city, and the shipped catalogue as it is now, without the
/// shipped cities' offices.
fn mini() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mini = repo().join("tests/fixtures/mini");
    let config = std::fs::read_to_string(mini.join("yearbook.toml")).unwrap();
    let config = config
        .replace("\"../../../templates\"", &format!("{:?}", repo().join("templates").display().to_string()))
        .replace("\"../../../fonts\"", &format!("{:?}", repo().join("fonts").display().to_string()));
    std::fs::write(dir.path().join("yearbook.toml"), config).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("2025")).unwrap();
    std::fs::copy(mini.join("data/2025/testcity.toml"), data.join("2025/testcity.toml")).unwrap();
    shipped_catalogue(&data.join("catalogue"), &["testcity"]);
    dir
}

#[test]
fn the_mini_edition_matches_its_golden_files() {
    let dir = mini();
    let config = Config::load(&dir.path().join("yearbook.toml")).unwrap();
    let plan = Plan::new(config, PlanOptions::default()).unwrap();
    let engine = Engine::new(&plan.config).unwrap();
    let checked = pipeline::check(&plan, &engine).unwrap();
    assert_eq!(checked.errors(), 0);
    let artifacts = pipeline::build_once(&plan, &engine, &checked).unwrap();

    let book = serde_json::to_string_pretty(&artifacts.book).unwrap() + "\n";
    // The first sector sheet (sheet1 is the contents).
    let sheet = sheet_xml(&artifacts.xlsx, "xl/worksheets/sheet2.xml");
    let problems: Vec<String> = [
        golden("book.json", &book),
        golden("main.typ", artifacts.typ.as_deref().expect("a small book keeps its source")),
        golden("sheet2.xml", &sheet),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(
        problems.is_empty(),
        "{}\n(review, then BLESS=1 cargo test --test integration snapshots)",
        problems.join("\n")
    );
}

/// The profile's key figures: the editor's choice where made, else results with targets first.
#[test]
fn key_figures_follow_the_editors_choice_else_results_with_targets_first() {
    let dir = mini();
    let data = dir.path().join("data");
    // The day-care subsidy (no target) moves to the top; marked, it leads, and the places left
    // keep the default choice (review 3, NICE 9: one marked figure left a single card).
    let city = std::fs::read_to_string(data.join("2025/testcity.toml")).unwrap();
    let unmarked = city;
    let ids = |text: &str| -> Vec<String> {
        std::fs::write(data.join("2025/testcity.toml"), text).unwrap();
        let config = Config::load(&dir.path().join("yearbook.toml")).unwrap();
        let plan = Plan::new(config, PlanOptions::default()).unwrap();
        let engine = Engine::new(&plan.config).unwrap();
        let checked = pipeline::check(&plan, &engine).unwrap();
        let book = pipeline::build_once(&plan, &engine, &checked).unwrap().book;
        book.cities[0].key_figures.iter().map(|r| r.indicator_id.clone()).collect()
    };
    let first = unmarked.find("[[indicator]]").unwrap();
    let daycare = unmarked.find("[[indicator]]\nid = \"day-care-subsidy\"").unwrap();
    let reordered = format!("{}{}\n{}", &unmarked[..first], &unmarked[daycare..], &unmarked[first..daycare]);
    let default_order = ids(&reordered);
    assert_eq!(default_order.last().map(String::as_str), Some("day-care-subsidy"), "{default_order:?}");
    let marked = reordered.replace("id = \"day-care-subsidy\"\n", "id = \"day-care-subsidy\"\nkey = true\n");
    let mut expected: Vec<String> = vec!["day-care-subsidy".to_string()];
    expected.extend(default_order.iter().filter(|id| *id != "day-care-subsidy").cloned());
    expected.truncate(yearbook::book::KEY_FIGURES);
    assert_eq!(ids(&marked), expected);
    assert!(expected.len() > 1, "the mini city has more than one figure");
}
