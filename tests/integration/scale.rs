//! Layouts that hold at any number of cities: generated national editions (common.rs
//! `national_cities`) of 1, 4, 8 and 40 cities are built, and every word of the PDF must lie
//! inside its page and every city's name must be printed. Positions come from poppler's
//! `pdftotext -bbox`.
//!
//! Two tiers: the default run builds 40 cities once (the print standard, bilingual); the other
//! standards and languages at 40 cities, and 300 cities, are `#[ignore]`d and run by CI with
//! `cargo test --test integration -- --ignored`.

use crate::common::{national_cities, pdftotext, project, run, text, words_outside_pages};

/// Builds `n` cities with the given flags and checks the PDF (a missing pdftotext fails, unless
/// YEARBOOK_ALLOW_SKIP is set).
fn builds_within_the_page(n: usize, flags: &[&str], pdf_name: &str) {
    let cities = national_cities(n);
    let refs: Vec<(&str, &str)> = cities.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = project(&refs);
    let mut args = vec!["build"];
    args.extend_from_slice(flags);
    let o = run(&args, dir.path());
    assert!(o.status.success(), "{n} cities {flags:?}: {}", text(&o.stderr));
    let pdf = dir.path().join("dist/2025").join(pdf_name);
    let Some(outside) = words_outside_pages(&pdf) else { return };
    assert!(
        outside.is_empty(),
        "{n} cities {flags:?}: {} words outside the page:\n{}",
        outside.len(),
        outside.join("\n")
    );
    let Some(all) = pdftotext(&pdf, &[]) else { return };
    // Every chart on one page: a chart's key stands under its last bar, so a key on a page
    // without a figure's title is the tail of a chart begun on the page before.
    let en = flags.contains(&"en");
    for (i, page) in all.split('\u{c}').enumerate() {
        let flat: String = page.split_whitespace().collect();
        let titles = if en { flat.matches("Figure").count() } else { flat.matches("目标任务完成率").count() };
        let keys = flat.matches(if en { "Thedashedlinemarks100%" } else { "虚线为100%" }).count();
        assert!(keys <= titles, "{n} cities {flags:?}: page {} holds the end of a chart begun before", i + 1);
    }
    // A note said for many cities is said once, and a national edition's notes restart at ①
    // for each city (proof L-2): no mark past ⑳, where the generated editions reached (30) at 40
    // cities and (35) at 300, and the national editions once (718).
    let most = all.split(['(', ')']).filter_map(|s| s.parse::<usize>().ok()).filter(|n| *n < 2000).max().unwrap_or(0);
    assert!(most <= 20 && !all.contains("(A2"), "{n} cities {flags:?}: a table's notes are marked up to ({most})");
    let names: std::collections::HashSet<String> = cities
        .iter()
        .filter_map(|(_, body)| {
            let name = body.lines().find(|l| l.starts_with("name = "))?;
            let part = if en { "en = \"" } else { "zh = \"" };
            name.split(part).nth(1).and_then(|r| r.split('"').next()).map(str::to_string)
        })
        .collect();
    let lines: Vec<&str> = all.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut city_lists = 0;
    for w in lines.windows(2) {
        let city = w[0].trim_start_matches("注：").trim_start_matches("Notes:").trim();
        let mark = w[1].chars().next().filter(|c| ('①'..='⑳').contains(c));
        if let (true, Some(mark)) = (names.contains(city), mark) {
            city_lists += 1;
            assert_eq!(mark, '①', "{n} cities {flags:?}: {city}'s notes start at {mark}");
        }
    }
    if n >= yearbook::config::NATIONAL_FROM {
        assert!(city_lists > 0, "{n} cities {flags:?}: no table lists notes under a city's name");
    }
    // A national edition's index points to tables (表6-1), not to runs of pages.
    if n >= yearbook::config::NATIONAL_FROM {
        let last: String =
            all.split('\u{c}').rev().find(|p| !p.trim().is_empty()).unwrap_or("").split_whitespace().collect();
        let word = if en { "Table" } else { "表" };
        assert!(
            last.contains(&format!("{word}1-1"))
                || last.contains(&format!("{word}2-1"))
                || last.matches(word).count() > 10,
            "{n} cities {flags:?}: the index's last page has no table locators:\n{last}"
        );
    }
    let all: String = all.chars().filter(|c| !c.is_whitespace()).collect();
    for (_, body) in &cities {
        let name = body.lines().find(|l| l.starts_with("name = ")).unwrap();
        let part = if flags.contains(&"en") { "en = \"" } else { "zh = \"" };
        let wanted = name.split(part).nth(1).and_then(|r| r.split('"').next()).unwrap();
        assert!(all.contains(wanted), "{n} cities {flags:?}: {wanted} is not printed");
    }
}

#[test]
fn one_city_in_every_language() {
    builds_within_the_page(1, &[], "yearbook-2025.pdf");
    builds_within_the_page(1, &["--lang", "zh"], "yearbook-2025-zh.pdf");
    builds_within_the_page(1, &["--lang", "en"], "yearbook-2025-en.pdf");
}

#[test]
fn four_cities_in_every_standard() {
    builds_within_the_page(4, &["--pdf-standard", "plain"], "yearbook-2025.pdf");
    builds_within_the_page(4, &[], "yearbook-2025.pdf");
    builds_within_the_page(4, &["--pdf-standard", "a-3b-ua"], "yearbook-2025-archive.pdf");
}

#[test]
fn eight_cities_in_every_language() {
    builds_within_the_page(8, &[], "yearbook-2025.pdf");
    builds_within_the_page(8, &["--lang", "zh"], "yearbook-2025-zh.pdf");
    builds_within_the_page(8, &["--lang", "en"], "yearbook-2025-en.pdf");
}

#[test]
fn forty_cities_in_the_print_standard() {
    builds_within_the_page(40, &[], "yearbook-2025.pdf");
}

/// Four more 40-city builds (one of them tagged): run by CI with `--ignored`.
#[test]
#[ignore = "heavy: CI runs it with --ignored"]
fn forty_cities_in_the_other_standards_and_languages() {
    builds_within_the_page(40, &["--pdf-standard", "plain"], "yearbook-2025.pdf");
    builds_within_the_page(40, &["--pdf-standard", "a-3b-ua"], "yearbook-2025-archive.pdf");
    builds_within_the_page(40, &["--lang", "zh"], "yearbook-2025-zh.pdf");
    builds_within_the_page(40, &["--lang", "en"], "yearbook-2025-en.pdf");
}

/// About a minute and several GiB: run by CI with `--ignored`.
#[test]
#[ignore = "heavy: CI runs it with --ignored"]
fn three_hundred_cities_in_the_default_standard() {
    builds_within_the_page(300, &[], "yearbook-2025.pdf");
}

/// A national edition compares its cities as national yearbooks' by-region (分地区) tables do
/// (proof L-6): cities as rows under their province's band, a few indicators as columns, where
/// it printed a block per indicator with a row per city (about 30 a page, half the width blank).
/// With `YEARBOOK_PROOF_OUT` set, the PDF is copied there for a proof-reader to look at.
#[test]
fn a_national_edition_compares_its_cities_in_wide_tables_by_province() {
    let cities = national_cities(40);
    let refs: Vec<(&str, &str)> = cities.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = project(&refs);
    let o = run(&["build", "-q", "--pdf-standard", "plain"], dir.path());
    assert!(o.status.success(), "build: {}", text(&o.stderr));
    let pdf = dir.path().join("dist/2025/yearbook-2025.pdf");
    if let Some(out) = std::env::var_os("YEARBOOK_PROOF_OUT") {
        std::fs::copy(&pdf, std::path::Path::new(&out).join("national-40.pdf")).unwrap();
    }
    let Some(layout) = pdftotext(&pdf, &["-layout"]) else { return };
    let pages: Vec<&str> = layout.split('\u{c}').collect();
    let by_city: Vec<&&str> = pages.iter().filter(|p| p.contains("分城市对比")).collect();
    assert!(!by_city.is_empty(), "no comparison by city");
    // A city's row holds several indicators' figures ("…" where it does not report one).
    let is_figure =
        |w: &str| w == "…" || w.trim_start_matches(['>', '<', '≥', '≈']).replace(',', "").parse::<f64>().is_ok();
    let wide_rows = by_city
        .iter()
        .flat_map(|p| p.lines())
        .filter(|l| l.split_whitespace().filter(|w| is_figure(w)).count() >= 3)
        .count();
    assert!(wide_rows >= 40, "only {wide_rows} rows with three or more figures in the comparisons by city");
    // The cities stand under their provinces' bands.
    let bands =
        by_city.iter().flat_map(|p| p.lines()).filter(|l| l.contains("Province") || l.contains("Region")).count();
    assert!(bands >= 10, "only {bands} province bands in the comparisons by city");
}

/// `[typeset] national_from` sets where the national forms begin: 12 cities read as a national
/// edition by default (the editor's notes give the count and the provinces, and the cities are
/// listed in an appendix), and as a group of named cities with the threshold at 20.
#[test]
fn the_national_forms_begin_at_the_configured_number_of_cities() {
    let cities = national_cities(12);
    let refs: Vec<(&str, &str)> = cities.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let names: Vec<String> = cities
        .iter()
        .map(|(_, body)| {
            let name = body.lines().find(|l| l.starts_with("name = ")).unwrap();
            name.split("zh = \"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string()
        })
        .collect();
    for threshold in [None, Some(20)] {
        let dir = project(&refs);
        if let Some(n) = threshold {
            let config = dir.path().join("yearbook.toml");
            let text = std::fs::read_to_string(&config).unwrap() + &format!("\n[typeset]\nnational_from = {n}\n");
            std::fs::write(&config, text).unwrap();
        }
        let o = run(&["build", "-q", "--pdf-standard", "plain"], dir.path());
        assert!(o.status.success(), "{threshold:?}: {}", text(&o.stderr));
        let Some(all) = pdftotext(&dir.path().join("dist/2025/yearbook-2025.pdf"), &[]) else { return };
        let pages: Vec<String> = all.split('\u{c}').map(|p| p.split_whitespace().collect()).collect();
        let notes = pages.iter().find(|p| p.contains("本书汇编")).expect("the editor's notes");
        let appendix = pages.iter().any(|p| p.contains("附录城市名单"));
        let listed = names.iter().filter(|n| notes.contains(n.as_str())).count();
        if threshold.is_none() {
            assert!(notes.contains("个省（自治区、直辖市）12个城市"), "default: the notes give no count:\n{notes}");
            assert_eq!(listed, 0, "default: the editor's notes name the cities:\n{notes}");
            assert!(appendix, "default: no list of cities in an appendix");
        } else {
            assert_eq!(listed, 12, "national_from = 20: the notes do not name the 12 cities:\n{notes}");
            assert!(!notes.contains("名单见附录") && !appendix, "national_from = 20: a national edition's appendix");
        }
    }
}

/// A threshold that is not a positive whole number stops `check` at its line and column, and
/// says what to write.
#[test]
fn a_bad_national_threshold_stops_check_at_its_line() {
    for value in ["0", "\"ten\""] {
        let dir = project(&[]);
        let config = dir.path().join("yearbook.toml");
        let before = std::fs::read_to_string(&config).unwrap();
        let line = before.lines().count() + 3;
        std::fs::write(&config, format!("{before}\n[typeset]\nnational_from = {value}\n")).unwrap();
        let o = run(&["check"], dir.path());
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{value}: {err}");
        assert!(
            err.contains("yearbook.toml")
                && err.contains(&format!("line {line}, column 17"))
                && err.contains("positive whole number of cities")
                && err.contains("national_from = 10"),
            "{value}: {err}"
        );
    }
}
