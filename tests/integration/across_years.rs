//! Editions across years, as the reliability review found them: last year's figure of another
//! year is not a revision, and what cannot be compared says why.

use crate::common::{mini_city, project, run, text};

/// The mini city this year (rental-subsidy households 804, last year's 680 as its source gives
/// it) beside a 2024 edition whose figure for the same indicator was `year_then`'s, 700.
fn editions_with_last_year_of(year_then: i64) -> tempfile::TempDir {
    let this_year = mini_city().replace("value = 804\n", "value = 804\nlast_year = 680\n");
    let dir = project(&[("testcity", &this_year)]);
    let then = mini_city().replace("year = 2025", "year = 2024").replace(
        "value = 804\ntarget = 800\ncompletion = 100.5\n",
        &format!("value = 700\nreference_year = {year_then}\n"),
    );
    std::fs::create_dir_all(dir.path().join("data/2024")).unwrap();
    std::fs::write(dir.path().join("data/2024/testcity.toml"), then).unwrap();
    dir
}

#[test]
fn another_years_figure_in_the_previous_edition_is_not_a_revision() {
    // The 2024 edition printed a 2023 figure (700); this edition gives 2024's own (680): two
    // years' figures, not one figure revised.
    let dir = editions_with_last_year_of(2023);
    let o = run(&["diff", "--from", "2024", "--to", "2025"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(!out.contains("700 → 680"), "a 2023 figure is not revised by a 2024 one: {out}");

    // The same figure of the same year printed differently is a revision, as before.
    let dir = editions_with_last_year_of(2024);
    let o = run(&["diff", "--from", "2024", "--to", "2025"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("700 → 680"), "{}", text(&o.stdout));
}

#[test]
fn diff_says_why_two_years_cannot_be_compared() {
    let dir = editions_with_last_year_of(2024);
    let says = |from: &str, to: &str, words: &str| {
        let o = run(&["diff", "--from", from, "--to", to], dir.path());
        assert_eq!(o.status.code(), Some(2), "--from {from} --to {to}");
        let err = text(&o.stderr);
        assert!(err.contains(words), "--from {from} --to {to}: {err}");
    };
    says("2025", "2024", "the years are reversed; try --from 2024 --to 2025");
    says("2024", "2024", "both name 2024");
    says("2023", "2025", "2023 is not the year before 2025");
    says("2025", "2026", "there is no 2026 edition");
    std::fs::remove_dir_all(dir.path().join("data/2024")).unwrap();
    says("2024", "2025", "there is no 2024 edition");
}
