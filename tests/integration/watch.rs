//! `yearbook watch`: an edit triggers a rebuild; a broken edit prints its diagnostics and keeps
//! the last good edition.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{mini_city, own_templates, project};
use calamine::{Data, Reader, Xlsx, open_workbook};

/// Kills the watcher however the test ends.
struct Watching(Child);

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts `yearbook watch` in `dir`, its standard error going to `watch.log`.
fn watch(dir: &std::path::Path) -> Watching {
    let stderr = std::fs::File::create(dir.join("watch.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_yearbook"))
        .arg("watch")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    Watching(child)
}

/// How many builds the watcher in `dir` has reported.
fn rebuilds(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(dir.join("watch.log")).unwrap_or_default().matches("rebuilt ").count()
}

/// Starts `yearbook watch` in `dir` and waits for its first build.
fn watch_built(dir: &std::path::Path) -> Watching {
    let watching = watch(dir);
    wait_for("the first build", || rebuilds(dir) >= 1);
    watching
}

/// Whether any sheet of the workbook holds the number.
fn workbook_holds(xlsx: &std::path::Path, number: f64) -> bool {
    let Ok(mut wb) = open_workbook::<Xlsx<_>, _>(xlsx) else { return false };
    let sheets = wb.sheet_names();
    sheets.iter().any(|name| {
        wb.worksheet_range(name)
            .map(|range| range.used_cells().any(|(_, _, cell)| *cell == Data::Float(number)))
            .unwrap_or(false)
    })
}

/// The files are watched before the first build starts: an edit saved while it runs, or in the
/// moment after it reports, is queued and rebuilt rather than lost until the next edit.
#[test]
fn an_edit_saved_during_a_build_is_not_lost() {
    let dir = project(&[("testcity", &mini_city())]);
    let _watching = watch(dir.path());
    let log = dir.path().join("watch.log");
    wait_for("the watcher to start", || std::fs::read_to_string(&log).unwrap_or_default().contains("watching "));
    let city = dir.path().join("data/2025/testcity.toml");
    std::fs::write(&city, mini_city().replace("value = 59178", "value = 59179")).unwrap();
    let xlsx = dir.path().join("dist/2025/yearbook-2025.xlsx");
    wait_for("a build with the edit", || workbook_holds(&xlsx, 59179.0));
}

#[test]
fn an_edit_rebuilds_and_a_broken_edit_keeps_the_last_good_edition() {
    let dir = project(&[("testcity", &mini_city())]);
    let log = dir.path().join("watch.log");
    let _watching = watch_built(dir.path());
    let pdf = dir.path().join("dist/2025/yearbook-2025.pdf");
    let xlsx = dir.path().join("dist/2025/yearbook-2025.xlsx");
    let first = std::fs::read(&xlsx).unwrap();

    let city = dir.path().join("data/2025/testcity.toml");
    std::fs::write(&city, mini_city().replace("value = 59178", "value = 59179")).unwrap();
    wait_for("the rebuild after an edit", || rebuilds(dir.path()) >= 2);
    let second = std::fs::read(&xlsx).unwrap();
    assert_ne!(first, second, "the edit reached the workbook");
    let good_pdf = std::fs::read(&pdf).unwrap();

    std::fs::write(&city, mini_city().replace("value = 59178", "valeu = 59179")).unwrap();
    wait_for("the diagnostics of a broken edit", || {
        std::fs::read_to_string(&log).unwrap_or_default().contains("last good edition is kept")
    });
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("unknown field `valeu`"), "{text}");
    assert_eq!(std::fs::read(&pdf).unwrap(), good_pdf, "the last good PDF stays");
    assert_eq!(std::fs::read(&xlsx).unwrap(), second, "the last good workbook stays");
}

/// Editors that save by writing a new file and renaming it over the old one replace the file the
/// watcher saw; the folder is watched, so such saves rebuild too, each of them.
#[test]
fn saves_by_rename_rebuild_each_time() {
    let dir = project(&[("testcity", &mini_city())]);
    let _watching = watch_built(dir.path());
    let xlsx = dir.path().join("dist/2025/yearbook-2025.xlsx");
    let city = dir.path().join("data/2025/testcity.toml");
    for value in [59181, 59182] {
        let temporary = dir.path().join("data/2025/.testcity.toml.swp");
        std::fs::write(&temporary, mini_city().replace("value = 59178", &format!("value = {value}"))).unwrap();
        std::fs::rename(&temporary, &city).unwrap();
        wait_for("a build with the renamed file", || workbook_holds(&xlsx, f64::from(value)));
    }
}

/// A data folder replaced as a whole (a checkout, a copy from a colleague) is watched again:
/// the edit after it rebuilds too.
#[test]
fn a_replaced_data_folder_is_watched_again() {
    let dir = project(&[("testcity", &mini_city())]);
    let _watching = watch_built(dir.path());
    let xlsx = dir.path().join("dist/2025/yearbook-2025.xlsx");
    let edition = dir.path().join("data/2025");
    let replacement = dir.path().join("data/2025.new");
    std::fs::create_dir(&replacement).unwrap();
    std::fs::write(replacement.join("testcity.toml"), mini_city().replace("value = 59178", "value = 59183")).unwrap();
    std::fs::rename(&edition, dir.path().join("data/2025.old")).unwrap();
    std::fs::rename(&replacement, &edition).unwrap();
    wait_for("a build from the new folder", || workbook_holds(&xlsx, 59183.0));
    std::fs::write(edition.join("testcity.toml"), mini_city().replace("value = 59178", "value = 59184")).unwrap();
    wait_for("a build after an edit in the new folder", || workbook_holds(&xlsx, 59184.0));
}

/// A configuration that fails to load is not replaced by the last one that did: `build` would
/// refuse it, so `watch` builds nothing until it is mended.
#[test]
fn a_broken_configuration_builds_nothing_until_it_is_mended() {
    let dir = project(&[("testcity", &mini_city())]);
    let _watching = watch_built(dir.path());
    let config = dir.path().join("yearbook.toml");
    let good = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{good}\nbroken = = 1\n")).unwrap();
    let log = dir.path().join("watch.log");
    wait_for("the configuration error", || {
        std::fs::read_to_string(&log).unwrap_or_default().contains("nothing was built")
    });
    let city = dir.path().join("data/2025/testcity.toml");
    std::fs::write(&city, mini_city().replace("value = 59178", "value = 59177")).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let xlsx = dir.path().join("dist/2025/yearbook-2025.xlsx");
    assert_eq!(rebuilds(dir.path()), 1, "{}", std::fs::read_to_string(&log).unwrap_or_default());
    assert!(!workbook_holds(&xlsx, 59177.0), "the data edit waits for a configuration that loads");

    std::fs::write(&config, good).unwrap();
    wait_for("a build once the configuration is mended", || workbook_holds(&xlsx, 59177.0));
}

/// With `[paths] sources`, a build traces every figure to its archived article: an edit to an
/// article's text rebuilds too.
#[test]
fn an_edit_to_an_archived_source_text_rebuilds() {
    let dir = project(&[("testcity", &mini_city())]);
    let config = dir.path().join("yearbook.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("output = \"dist\"\n", "output = \"dist\"\nsources = \"seeds\"\n")).unwrap();
    let seeds = dir.path().join("seeds");
    std::fs::create_dir_all(&seeds).unwrap();
    // 160.97 km of rural roads is in no article yet: the first build stops at that error.
    // Each figure stands with its unit and its indicator's words, as the trace asks.
    let progress = "技能培训59,178人，完成年度目标的147.95%。";
    let projects = "发放公租房租赁补贴804户，目标800户，完成100.5%。金川区689户、永昌县115户。日间照料补贴标准由600元提高到约1000元。";
    std::fs::write(seeds.join("004_f4078543608c889c.txt"), progress).unwrap();
    std::fs::write(seeds.join("000_210d741039db6a4f.txt"), projects).unwrap();
    let log = dir.path().join("watch.log");
    let _watching = watch(dir.path());
    wait_for("the first build to fail", || {
        std::fs::read_to_string(&log).unwrap_or_default().contains("the last good edition is kept")
    });
    assert_eq!(rebuilds(dir.path()), 0, "{}", std::fs::read_to_string(&log).unwrap());
    std::fs::write(seeds.join("004_f4078543608c889c.txt"), format!("{progress}新改建农村公路160.97公里，完成123.8%。"))
        .unwrap();
    wait_for("the rebuild after the article's text was mended", || rebuilds(dir.path()) >= 1);
}

/// W06: the templates folder moved away while watching is named as the folder `[paths]
/// templates` sets, with nothing built; once it is back, the next edit rebuilds.
#[test]
fn a_templates_folder_moved_away_is_named_and_builds_nothing_until_it_is_back() {
    let dir = project(&[("testcity", &mini_city())]);
    own_templates(dir.path());
    let _watching = watch_built(dir.path());
    let log = dir.path().join("watch.log");
    let templates = dir.path().join("templates");
    let moved = dir.path().join("templates.moved");
    std::fs::rename(&templates, &moved).unwrap();
    let city = dir.path().join("data/2025/testcity.toml");
    std::fs::write(&city, mini_city().replace("value = 59178", "value = 59185")).unwrap();
    wait_for("the error about the templates", || {
        std::fs::read_to_string(&log).unwrap_or_default().contains("nothing was built")
    });
    let text = std::fs::read_to_string(&log).unwrap();
    let missing = format!(
        "`{}` is missing; the templates folder is set by [paths] templates",
        templates.join("main.typ.j2").display()
    );
    assert!(text.contains(&missing), "{text}");
    assert!(!text.contains("does not exist") && !text.contains("file not found"), "{text}");
    assert_eq!(rebuilds(dir.path()), 1, "{text}");

    std::fs::rename(&moved, &templates).unwrap();
    let xlsx = dir.path().join("dist/2025/yearbook-2025.xlsx");
    wait_for("a build once the templates are back", || workbook_holds(&xlsx, 59185.0));
}

/// A national book in watch: an edit lays out again only the parts that print the figure (the
/// others are kept from the last build), and the edition is byte for byte a cold build's.
#[test]
fn an_edit_lays_out_only_its_parts_and_equals_a_cold_build() {
    let dir = crate::common::project_of_cities(8);
    crate::common::cut_small(dir.path());
    let _watching = watch_built(dir.path());
    let city = dir.path().join("data/2025/jinchang-1.toml");
    let before = std::fs::read_to_string(&city).unwrap();
    std::fs::write(&city, before.replacen("value = ", "value = 1", 1)).unwrap();
    wait_for("the rebuild", || rebuilds(dir.path()) >= 2);
    let log = std::fs::read_to_string(dir.path().join("watch.log")).unwrap();
    let last = log.lines().rfind(|l| l.starts_with("rebuilt ")).unwrap();
    let counts: Vec<usize> = last.split(['(', ' ']).filter_map(|w| w.parse().ok()).collect();
    let (laid, parts) = (counts[0], counts[1]);
    assert!(laid > 0 && laid < parts, "{last}");
    drop(_watching);
    let watched = std::fs::read(dir.path().join("dist/2025/yearbook-2025.pdf")).unwrap();
    let cold = dir.path().join("cold");
    let o = crate::common::run(&["build", "--quiet", "--out", &cold.display().to_string()], dir.path());
    assert!(o.status.success(), "{}", crate::common::text(&o.stderr));
    assert!(std::fs::read(cold.join("2025/yearbook-2025.pdf")).unwrap() == watched);
}
