//! Bad input met as the reliability review met it: each finding says where and how to fix, once,
//! without echoing megabytes of input back.

use crate::common::{mini_city, own_templates, project, run, text};

#[test]
fn a_finding_on_a_huge_line_names_its_place_without_echoing_the_line() {
    let huge = "很长的概况。".repeat(200_000);
    let city = mini_city().replace("测试市是用于自动测试的城市。", &huge);
    let dir = project(&[("testcity", &city)]);
    let o = run(&["check"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("error[text-too-long]"), "{}", &err[..err.len().min(2000)]);
    assert!(err.contains("testcity.toml:6:"), "the place is named: {}", &err[..err.len().min(2000)]);
    assert!(err.contains("too long to show"), "{}", &err[..err.len().min(2000)]);
    assert!(err.len() < 20_000, "the 1.2-million-character line is not echoed: {} bytes on stderr", err.len());
}

// Unix modes make the edition read-only here; Windows' read-only attribute does not hold a
// folder's entries, so the case is a Unix one.
#[cfg(unix)]
#[test]
fn a_read_only_published_edition_is_refused_and_left_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[("testcity", &mini_city())]);
    let o = run(&["build", "-q"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let edition = dir.path().join("dist/2025");
    let pdf = edition.join("yearbook-2025.pdf");
    let before = std::fs::read(&pdf).unwrap();
    let mode = |p: &std::path::Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    for entry in std::fs::read_dir(&edition).unwrap() {
        mode(&entry.unwrap().path(), 0o444);
    }
    mode(&edition, 0o555);

    let o = run(&["build", "-q"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("is read-only") && err.contains("--out"), "{err}");
    assert_eq!(std::fs::read(&pdf).unwrap(), before, "the published edition is untouched");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("dist"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "2025" && n != ".yearbook.lock")
        .collect();
    assert!(leftovers.is_empty(), "nothing is left beside it: {leftovers:?}");

    // Made writable again by its owner, it is replaced as usual.
    mode(&edition, 0o755);
    let o = run(&["build", "-q"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn an_output_folder_inside_a_folder_the_build_reads_is_refused() {
    let dir = project(&[("testcity", &mini_city())]);
    let city = dir.path().join("data/2025/testcity.toml");
    let before = std::fs::read(&city).unwrap();
    for out in ["data", "data/sub", "./data/../data"] {
        let o = run(&["build", "-q", "--out", out], dir.path());
        assert_eq!(o.status.code(), Some(2), "--out {out}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(err.contains("is inside the data folder") && err.contains("nothing was written"), "{err}");
    }
    assert_eq!(std::fs::read(&city).unwrap(), before);
    assert!(!dir.path().join("data/2025/yearbook-2025.pdf").exists());
    // `watch` is refused the same way, before it builds or watches anything.
    let o = run(&["watch", "-q", "--out", "data"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    // A project folder that holds the data folder is a fine place for editions.
    let o = run(&["build", "-q", "--out", "."], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(dir.path().join("2025/yearbook-2025.pdf").exists());
}

#[test]
fn parts_nested_past_the_readers_limit_are_one_finding_at_the_deepest_header() {
    let mut city = mini_city();
    for depth in 1..=129 {
        city.push_str(&format!(
            "\n[[indicator{}]]\nid = \"deep-{depth}\"\nname = {{ zh = \"深{depth}\", en = \"Deep {depth}\" }}\nvalue = 1\n",
            ".of_which".repeat(depth)
        ));
    }
    let deepest =
        city.lines().position(|l| l.starts_with(&format!("[[indicator{}]]", ".of_which".repeat(129)))).unwrap();
    let dir = project(&[("testcity", &city)]);
    let o = run(&["check", "--format", "short"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout) + &text(&o.stderr);
    let findings: Vec<&str> = out.lines().filter(|l| l.contains("error[")).collect();
    assert_eq!(findings.len(), 1, "one mistake, one finding: {out}");
    assert!(
        findings[0].starts_with(&format!(
            "data/2025/testcity.toml:{}:1: error[toml-syntax]: the `of_which` parts nest 129 levels deep",
            deepest + 1
        )),
        "{out}"
    );
}

#[test]
fn new_city_refuses_device_names_and_a_mistyped_year_and_says_when_it_starts_an_edition() {
    let dir = project(&[("testcity", &mini_city())]);
    let o = run(&["new-city", "con"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("device name on Windows"), "{}", text(&o.stderr));

    let o = run(&["new-city", "lanzhou", "--year", "2031"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("the latest in") && text(&o.stderr).contains("--year 2026"),
        "{}",
        text(&o.stderr)
    );
    assert!(!dir.path().join("data/2031").exists(), "no edition folder is started by a typo");

    let o = run(&["new-city", "lanzhou", "--year", "2026"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("started the 2026 edition"), "{}", text(&o.stdout));
    assert!(dir.path().join("data/2026/lanzhou.toml").exists());
}

#[test]
fn the_trace_reads_no_fifo_no_device_and_nothing_outside_its_folder() {
    let dir = project(&[("testcity", &mini_city())]);
    let sources = dir.path().join("seeds");
    std::fs::create_dir_all(&sources).unwrap();
    let catalogue = dir.path().join("data/catalogue/sources.toml");
    let shipped = std::fs::read_to_string(&catalogue).unwrap();
    let first = shipped.split("seed = \"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    // A FIFO in the sources folder under the seed's own name: opening it would wait for ever.
    let fifo = std::process::Command::new("mkfifo").arg(sources.join(&first)).status().unwrap();
    assert!(fifo.success());
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_yearbook"))
        .args(["check", "--format", "short", "--sources", "seeds"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("source-text-missing"), "{}", text(&o.stdout));
    // A device or a file elsewhere, named by a path: an error of plain `check`, never read.
    for seed in ["/dev/zero", "../../../../etc/passwd"] {
        std::fs::write(&catalogue, shipped.replacen(&first, seed, 1)).unwrap();
        let o = run(&["check", "--format", "short", "--sources", "seeds"], dir.path());
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        let out = text(&o.stdout);
        assert!(out.contains("error[seed-name]"), "{out}");
        assert!(!out.contains("root:"), "nothing of the file is read: {out}");
    }
}

/// A template the main one includes, missing from the project's templates: the error names the
/// folder and the setting, not only the template's name (W06, as `build` meets it).
#[test]
fn a_missing_template_is_named_with_its_folder() {
    let dir = project(&[("testcity", &mini_city())]);
    own_templates(dir.path());
    let main = dir.path().join("templates/main.typ.j2");
    let text_of_main = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{text_of_main}{{% include \"cover.typ.j2\" %}}\n")).unwrap();
    let o = run(&["build"], dir.path());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let folder = format!("in the templates folder `{}`", dir.path().join("templates").display());
    assert!(err.contains("cover.typ.j2") && err.contains(&folder) && err.contains("[paths] templates"), "{err}");
    assert!(!dir.path().join("dist/2025").exists(), "nothing is written");
}

/// Makes a folder refuse new files for as long as it lives: mode 555, and where that does not
/// stop the user (root), the immutable flag as well.
#[cfg(unix)]
struct Unwritable(std::path::PathBuf);

#[cfg(unix)]
impl Unwritable {
    fn new(dir: &std::path::Path) -> Option<Unwritable> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        let guard = Unwritable(dir.to_path_buf());
        let probe = dir.join(".probe");
        if std::fs::write(&probe, "").is_ok() {
            std::fs::remove_file(&probe).unwrap();
            let flagged = std::process::Command::new("chattr").arg("+i").arg(dir).status().is_ok_and(|s| s.success());
            if !flagged {
                crate::common::missing("chattr (e2fsprogs)", "a folder that refuses new files, as root");
                return None;
            }
        }
        Some(guard)
    }
}

#[cfg(unix)]
impl Drop for Unwritable {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::process::Command::new("chattr").arg("-i").arg(&self.0).status();
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

/// N05: a folder that cannot take the new city file is named once, with the system's reason,
/// and without the random name of the temporary file tried in it.
#[cfg(unix)]
#[test]
fn new_city_in_a_folder_that_takes_no_file_names_the_folder_once() {
    let dir = project(&[("testcity", &mini_city())]);
    let edition = dir.path().join("data/2025");
    let Some(_unwritable) = Unwritable::new(&edition) else { return };
    let o = run(&["new-city", "lanzhou"], dir.path());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("could not create a file in `{}`", edition.display())), "{err}");
    assert_eq!(err.matches(&edition.display().to_string()).count(), 1, "{err}");
    assert!(!err.contains("2025/.tmp") && !err.contains("at path"), "{err}");
}
