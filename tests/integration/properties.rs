//! Property tests: arbitrary text never escapes its string literal, and arbitrary TOML never
//! makes the loader or the validator panic.

use std::path::Path;
use std::sync::OnceLock;

use crate::common::repo;
use proptest::prelude::*;
use yearbook::config::Date;
use yearbook::print::render::{typst_markup, typst_string};
use yearbook::print::typeset::{Fonts, YearbookWorld, compile};

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts::load(&repo().join("fonts")).unwrap())
}

fn compiles(source: String) -> Result<usize, String> {
    let date = Date { year: 2026, month: 3, day: 31 };
    let world = YearbookWorld::new(source, &repo().join("templates"), fonts(), date, &[]);
    compile(&world).map(|doc| doc.pages().len()).map_err(|e| e.to_string())
}

/// The string rebuilt from its code points, independently of our escaping.
fn from_code_points(s: &str) -> String {
    let points: Vec<String> = s.chars().map(|c| format!(" {}", c as u32)).collect();
    format!("(\"\",{}).map(c => if type(c) == int {{ str.from-unicode(c) }} else {{ c }}).join()", points.join(","))
}

proptest! {
    // 256 cases per property in a normal run; PROPTEST_CASES=N for a longer soak.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        .. ProptestConfig::default()
    })]

    /// Any string, in a code position, evaluates to itself; in markup, text after it stays text.
    #[test]
    fn string_literals_round_trip(s in any::<String>(), tail in "[\\(\\[\\.a-z\\]\\)#$@<>*_/=-]{0,6}") {
        let source = format!(
            "#set text(fallback: true)\n#let s = {lit}\n#assert.eq(s, {rebuilt})\n{markup}{tail}\n",
            lit = typst_string(&s),
            rebuilt = from_code_points(&s),
            markup = typst_markup(&s),
            tail = tail.replace('#', "\\#").replace('$', "\\$").replace('@', "\\@").replace('<', "\\<").replace('>', "\\>").replace('*', "\\*").replace('_', "\\_").replace('/', "\\/").replace('=', "\\=").replace('-', "\\-").replace('[', "\\[").replace(']', "\\]"),
        );
        let result = compiles(source.clone());
        prop_assert!(result.is_ok(), "{source}\n{result:?}");
    }

    /// Characters that mean something in Typst markup, densely mixed.
    #[test]
    fn typst_syntax_in_data_never_runs(s in "[#$\\[\\]@<>/*\\\\\"`=_~ -+.:a-z0-9中文\n]{0,40}") {
        let source = format!("#let s = {}\n#assert.eq(s, {})\n{}\n", typst_string(&s), from_code_points(&s), typst_markup(&s));
        let result = compiles(source.clone());
        prop_assert!(result.is_ok(), "{source}\n{result:?}");
    }

    /// Arbitrary text as a city file: loading and validating report, never panic.
    #[test]
    fn loader_never_panics_on_arbitrary_toml(text in "[a-z_=\\[\\]\"{}., 0-9\n#'-]{0,300}") {
        load_city_text(&text);
    }

    /// Small mutations of a valid city file: still no panic.
    #[test]
    fn loader_never_panics_on_mutated_city(cut in 0usize..2000, len in 0usize..40, insert in "[\\[\\]\"={}a-z0-9.\n-]{0,8}") {
        let base = std::fs::read_to_string(repo().join("tests/fixtures/mini/data/2025/testcity.toml")).unwrap();
        let chars: Vec<char> = base.chars().collect();
        let at = cut.min(chars.len());
        let end = (at + len).min(chars.len());
        let mutated: String = chars[..at].iter().chain(insert.chars().collect::<Vec<_>>().iter()).chain(chars[end..].iter()).collect();
        load_city_text(&mutated);
    }
}

fn load_city_text(text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("2025")).unwrap();
    copy_dir(&repo().join("data/catalogue"), &data.join("catalogue"));
    std::fs::write(data.join("2025/testcity.toml"), text).unwrap();
    let mut loader = yearbook::load::Loader::new(dir.path());
    let catalogue = loader.catalogue(&data).unwrap();
    let edition = loader.edition(&data, yearbook::year::Year::new(2025).unwrap()).unwrap();
    let diagnostics = yearbook::validate::validate(&loader, &catalogue, &edition, &|c| fonts().covers(c));
    // Rendering the findings must not panic either.
    let _ = yearbook::diagnostics::to_short(&loader.files, &diagnostics);
    let _ = yearbook::diagnostics::to_json(&loader.files, &diagnostics);
    // What `check` passes, `build` takes without a panic or a refusal: resolved, laid out,
    // rendered as Typst source and written as a workbook.
    if diagnostics.iter().all(|d| d.severity != yearbook::diagnostics::Severity::Error) {
        let config = yearbook::config::Config::discover(Some(&repo().join("yearbook.toml")), dir.path()).unwrap();
        let resolved = yearbook::resolve::resolve(&loader.files, &catalogue, &edition)
            .unwrap_or_else(|e| panic!("check passed but resolve refused: {e}\n{text}"));
        let book = yearbook::book::build(&config, &resolved, &[], None);
        let templates = repo().join("templates");
        let env = yearbook::print::render::environment(&templates).unwrap();
        let lang = yearbook::plan::Lang::Bilingual;
        yearbook::print::render::render(
            &env,
            &templates,
            &book,
            lang,
            &[],
            yearbook::print::render::Cuts::NONE,
            config.print,
        )
        .unwrap_or_else(|e| panic!("check passed but rendering refused: {e}\n{text}"));
        yearbook::print::workbook::workbook(&book, &Default::default())
            .unwrap_or_else(|e| panic!("check passed but the workbook refused: {e}\n{text}"));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}
