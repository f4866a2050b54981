//! The archive: a BagIt bag of the edition, its sources and its fonts, never overwritten, never
//! lost while it is replaced (even killed), that verifies itself trusting nothing in it, rebuilds
//! byte for byte from nothing but itself and the binary, and passes the independent validator
//! (Python's `bagit`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use yearbook::output::sha256_hex;

use crate::common::{mini_city, project, run, text};

const BIN: &str = env!("CARGO_BIN_EXE_yearbook");

/// A project with two editions (the bag carries last year's data too), archived once.
fn archived() -> tempfile::TempDir {
    let dir = project(&[("testcity", &mini_city())]);
    std::fs::create_dir_all(dir.path().join("data/2024")).unwrap();
    let last_year = mini_city().replace("year = 2025", "year = 2024").replace("value = 59178", "value = 50000");
    let last_year = last_year.replace("reference_year = 2024\n", "");
    std::fs::write(dir.path().join("data/2024/testcity.toml"), last_year).unwrap();
    let o = run(&["archive", "--year", "2025"], dir.path());
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    dir
}

/// One archived bag for the tests that only read or tamper with a copy: building it is the
/// slow part.
fn pristine() -> &'static Path {
    static BAG: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, bag) = BAG.get_or_init(|| {
        let dir = archived();
        let bag = dir.path().join("archive/2025");
        (dir, bag)
    });
    bag
}

/// A copy of the pristine bag as `<tmp>/<name>`, alone in its folder.
fn bag_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let bag = dir.path().join(name);
    copy_tree(pristine(), &bag);
    (dir, bag)
}

/// Python's `bagit` validator. A missing validator fails the test unless `YEARBOOK_ALLOW_SKIP`
/// is set (then it says loudly that nothing was validated; `common::missing`).
fn bagit_validates(bag: &Path) -> Option<bool> {
    let o = Command::new("python3").args(["-m", "bagit", "--validate"]).arg(bag).output().ok();
    let missing = o.as_ref().is_none_or(|o| String::from_utf8_lossy(&o.stderr).contains("No module named bagit"));
    if missing {
        crate::common::missing("Python's bagit (pip install bagit)", "the bag against the BagIt validator");
        return None;
    }
    o.map(|o| o.status.success())
}

/// Recomputes both manifests, as someone covering their tracks would.
fn recompute_manifests(bag: &Path, extra: &[(&str, String)]) {
    let mut files = Vec::new();
    list_files(bag, &bag.join("data"), &mut files);
    files.sort();
    let mut manifest: String =
        files.iter().map(|rel| format!("{}  {rel}\n", sha256_hex(&std::fs::read(bag.join(rel)).unwrap()))).collect();
    for (path, hash) in extra {
        manifest.push_str(&format!("{hash}  {path}\n"));
    }
    std::fs::write(bag.join("manifest-sha256.txt"), manifest).unwrap();
    let tags: String = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"]
        .iter()
        .map(|t| format!("{}  {t}\n", sha256_hex(&std::fs::read(bag.join(t)).unwrap())))
        .collect();
    std::fs::write(bag.join("tagmanifest-sha256.txt"), tags).unwrap();
}

fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            list_files(root, &entry.path(), out);
        } else if kind.is_file() {
            out.push(entry.path().strip_prefix(root).unwrap().to_string_lossy().into_owned());
        }
    }
}

/// Runs the binary, failing the test (never hanging) if it takes longer than `limit`.
fn run_within(args: &[&str], cwd: &Path, limit: Duration) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`yearbook {}` did not finish within {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn an_archived_edition_verifies_and_passes_the_bagit_validator() {
    let bag = pristine();
    for file in ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt"] {
        assert!(bag.join(file).is_file(), "{file} is missing");
    }
    for file in [
        "yearbook-2025.pdf",
        "yearbook-2025-archive.pdf",
        "yearbook-2025.xlsx",
        "source/yearbook.toml",
        "source/data/2025/testcity.toml",
        "source/data/2024/testcity.toml",
        "source/templates/main.typ.j2",
        "source/templates/yearbook.typ",
        "fonts-sha256.txt",
        // Every font the book was set in, with its licence, including those built into the binary.
        "fonts/NotoSerifSC_400Regular.ttf",
        "fonts/NotoSansSC_700Bold.ttf",
        "fonts/OFL-NotoSerifSC.txt",
        "fonts/OFL-NotoSansSC.txt",
        "fonts/embedded/NOTICE.txt",
        // The web edition, beside the PDF and workbook its home page offers, and its templates.
        "web/index.html",
        "web/chapter-01.html",
        "web/city-testcity.html",
        "web/data/table-1-1.csv",
        "web/style.css",
        "source/templates/web/base.html",
        "source/templates/web/macros.html",
    ] {
        assert!(bag.join("data").join(file).is_file(), "data/{file} is missing");
    }
    let embedded: Vec<String> = std::fs::read_dir(bag.join("data/fonts/embedded"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(embedded.iter().any(|n| n.contains("LibertinusSerif")), "{embedded:?}");
    let hashes = std::fs::read_to_string(bag.join("data/fonts-sha256.txt")).unwrap();
    assert!(hashes.contains("  embedded/") && hashes.contains("  NotoSerifSC_700Bold.ttf"), "{hashes}");

    // The exact tool: crate version and the source commit it was built from.
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    assert!(info.contains(&format!("Yearbook-Version: {}\n", env!("CARGO_PKG_VERSION"))), "{info}");
    let commit = info.lines().find_map(|l| l.strip_prefix("Yearbook-Commit: ")).expect("a commit line");
    assert!(commit == "unknown" || (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())), "{info}");
    assert!(info.lines().any(|l| l.starts_with("Bagging-Date: 20") && l.len() == "Bagging-Date: 2026-01-01".len()));

    if let Some(valid) = bagit_validates(bag) {
        assert!(valid, "python3 -m bagit --validate rejects the bag");
    }
    let o = run(&["verify", bag.to_str().unwrap()], Path::new("/"));
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));

    // One flipped byte is found and named.
    let (_dir, copy) = bag_copy("2025");
    let pdf = copy.join("data/yearbook-2025.pdf");
    let mut bytes = std::fs::read(&pdf).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&pdf, bytes).unwrap();
    let o = run(&["verify", copy.to_str().unwrap()], Path::new("/"));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("differs: data/yearbook-2025.pdf"), "{}", text(&o.stderr));
}

#[test]
fn a_bag_alone_rebuilds_byte_for_byte_from_the_root_folder() {
    // Nothing but the bag and the binary: no project, no fonts folder, no yearbook.toml above.
    assert!(!Path::new("/yearbook.toml").exists(), "this test needs a machine without /yearbook.toml");
    let (_dir, bag) = bag_copy("kept-2025");
    let o = run(&["verify", "--rebuild", bag.to_str().unwrap()], Path::new("/"));
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    let out = text(&o.stdout);
    assert_eq!(out.matches(": identical").count(), 5, "{out}");
    assert!(out.contains("rebuilt the web edition ("), "the site is rebuilt and compared too: {out}");
}

#[test]
fn a_consistent_tamper_of_the_sources_is_caught_by_the_rebuild() {
    let (_dir, bag) = bag_copy("2025");
    let city = bag.join("data/source/data/2025/testcity.toml");
    let changed = std::fs::read_to_string(&city).unwrap().replacen("value = 59178", "value = 59179", 1);
    assert_ne!(changed, std::fs::read_to_string(&city).unwrap(), "the fixture holds the figure");
    std::fs::write(&city, changed).unwrap();
    recompute_manifests(&bag, &[]);
    let o = run(&["verify", bag.to_str().unwrap()], Path::new("/"));
    assert!(o.status.success(), "hashes alone cannot see it: {}", text(&o.stderr));
    let o = run(&["verify", "--rebuild", bag.to_str().unwrap()], Path::new("/"));
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("rebuilt yearbook-2025.pdf: DIFFERS"), "{err}");
    assert!(err.contains("rebuilt yearbook-2025.xlsx: DIFFERS"), "{err}");
    assert!(err.contains("rebuilt web/chapter-") && err.contains("rebuilt web/data/table-"), "{err}");
}

#[test]
fn a_payload_file_the_rebuild_does_not_make_is_named() {
    let (_dir, bag) = bag_copy("2025");
    std::fs::write(bag.join("data/departments/yearbook-2025-extra.xlsx"), b"not made by yearbook").unwrap();
    recompute_manifests(&bag, &[]);
    let o = run(&["verify", "--rebuild", bag.to_str().unwrap()], Path::new("/"));
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(
        text(&o.stderr).contains("departments/yearbook-2025-extra.xlsx: in the bag, but the rebuild does not make it"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_tampered_tag_file_is_caught_by_the_tag_manifest() {
    let (_dir, bag) = bag_copy("2025");
    // The payload changed and its manifest line made to match: only the tag manifest can tell.
    let xlsx = bag.join("data/yearbook-2025.xlsx");
    let mut bytes = std::fs::read(&xlsx).unwrap();
    bytes.push(0);
    std::fs::write(&xlsx, &bytes).unwrap();
    let manifest = bag.join("manifest-sha256.txt");
    let text_before = std::fs::read_to_string(&manifest).unwrap();
    let fixed: String = text_before
        .lines()
        .map(|l| {
            if l.ends_with("  data/yearbook-2025.xlsx") {
                format!("{}  data/yearbook-2025.xlsx\n", sha256_hex(&bytes))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&manifest, fixed).unwrap();
    let o = run(&["verify", bag.to_str().unwrap()], Path::new("/"));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("differs: manifest-sha256.txt"), "{}", text(&o.stderr));

    // A tag manifest that leaves the manifest out is a finding too.
    std::fs::write(&manifest, &text_before).unwrap();
    let tags = bag.join("tagmanifest-sha256.txt");
    let kept: String = std::fs::read_to_string(&tags)
        .unwrap()
        .lines()
        .filter(|l| !l.ends_with("manifest-sha256.txt") || l.contains("tag"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&tags, kept).unwrap();
    std::fs::write(&xlsx, &bytes[..bytes.len() - 1]).unwrap();
    let o = run(&["verify", bag.to_str().unwrap()], Path::new("/"));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("unlisted: manifest-sha256.txt"), "{}", text(&o.stderr));
}

#[test]
fn manifest_paths_outside_the_bag_are_findings_and_never_read() {
    let (_dir, bag) = bag_copy("2025");
    let hostname = std::fs::read("/etc/hostname").unwrap_or_default();
    let real = sha256_hex(&hostname);
    crate::common::symlink("/etc/hostname", bag.join("data/hostname")).unwrap();
    crate::common::symlink("/dev/zero", bag.join("data/zero")).unwrap();
    let fifo = bag.join("data/fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    let extra = [
        ("/etc/hostname", real.clone()),
        ("../../../../../../etc/hostname", real.clone()),
        ("data/../../../../../../etc/hostname", real.clone()),
        ("data/hostname", real.clone()),
        ("data/zero", real.clone()),
        ("data/fifo", real),
    ];
    let mut extra: Vec<(&str, String)> = extra.iter().map(|(p, h)| (*p, h.clone())).collect();
    // A payload file swapped for a link to an identical copy outside the bag (A09), a link loop
    // (A10) and a link to the root folder (A11): links are findings, never followed.
    let elsewhere = tempfile::tempdir().unwrap();
    let outside_copy = elsewhere.path().join("copy.xlsx");
    let xlsx = bag.join("data/yearbook-2025.xlsx");
    std::fs::rename(&xlsx, &outside_copy).unwrap();
    crate::common::symlink(&outside_copy, &xlsx).unwrap();
    extra.push(("data/yearbook-2025.xlsx", sha256_hex(&std::fs::read(&outside_copy).unwrap())));
    crate::common::symlink(".", bag.join("data/loop")).unwrap();
    crate::common::symlink("/", bag.join("data/root")).unwrap();
    recompute_manifests(&bag, &extra);
    // A read of the FIFO would block for ever, and of /dev/zero would never end: the limit
    // turns either into a failure instead of a hang.
    let o = run_within(&["verify", "--rebuild", bag.to_str().unwrap()], Path::new("/"), Duration::from_secs(120));
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    let err = text(&o.stderr);
    for expected in [
        "outside: /etc/hostname (an absolute path",
        "outside: ../../../../../../etc/hostname (it goes up out of the bag",
        "outside: data/../../../../../../etc/hostname (it goes up out of the bag",
        "link:    data/hostname",
        "link:    data/zero",
        "special: data/fifo",
        "link:    data/yearbook-2025.xlsx",
        "link:    data/loop ",
        "link:    data/root ",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
    assert!(!text(&o.stdout).contains("rebuilt"), "no rebuild from a bag with findings");
    assert!(!err.contains("data/loop/loop") && !err.contains("data/root/"), "links are not walked: {err}");
    if !hostname.is_empty() {
        assert!(!err.contains(String::from_utf8_lossy(&hostname).trim()), "nothing of /etc/hostname is shown");
    }
}

/// A20: a crafted bag's templates with a link out of the bag, and a main template that would
/// print what the link reads: the link is a finding, the rebuild never runs, nothing of the
/// linked file is shown.
#[test]
fn a_link_in_the_bags_templates_is_a_finding_and_nothing_is_compiled() {
    let (_dir, bag) = bag_copy("2025");
    let hostname = std::fs::read("/etc/hostname").unwrap_or_default();
    let templates = bag.join("data/source/templates");
    crate::common::symlink("/etc/hostname", templates.join("x.typ")).unwrap();
    let main = templates.join("main.typ.j2");
    let text_of_main = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{text_of_main}\n#panic(read(\"x.typ\"))\n")).unwrap();
    recompute_manifests(&bag, &[("data/source/templates/x.typ", sha256_hex(&hostname))]);
    let o = run_within(&["verify", "--rebuild", bag.to_str().unwrap()], Path::new("/"), Duration::from_secs(120));
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(err.contains("link:    data/source/templates/x.typ"), "{err}");
    assert!(!out.contains("rebuilt") && !err.contains("panicked"), "no rebuild from a bag with findings: {out}{err}");
    if !hostname.is_empty() {
        let shown = String::from_utf8_lossy(&hostname);
        assert!(!out.contains(shown.trim()) && !err.contains(&format!("with: {}", shown.trim())), "{out}{err}");
    }
}

#[test]
fn a_bag_under_another_years_folder_is_found() {
    let (_dir, bag) = bag_copy("2024");
    let o = run(&["verify", bag.to_str().unwrap()], Path::new("/"));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("the folder `2024` holds the 2025 edition"), "{}", text(&o.stderr));
}

/// A34, archive side: a 2025 bag under `archive/2024` is named as the 2025 edition, not taken
/// for the archived 2024 one, with or without `--force`.
#[test]
fn archiving_a_year_whose_folder_holds_another_years_bag_names_the_mismatch() {
    let dir = project(&[("testcity", &mini_city())]);
    std::fs::create_dir_all(dir.path().join("data/2024")).unwrap();
    std::fs::write(dir.path().join("data/2024/testcity.toml"), mini_city().replace("year = 2025", "year = 2024"))
        .unwrap();
    let wrong = dir.path().join("archive/2024");
    copy_tree(pristine(), &wrong);
    for force in [&[][..], &["--force", "--reason", "x"]] {
        let mut args = vec!["archive", "--year", "2024"];
        args.extend_from_slice(force);
        let o = run(&args, dir.path());
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&format!("`{}` holds the 2025 edition", wrong.display())), "{err}");
        assert!(!err.contains("already archived"), "{err}");
    }
    assert_eq!(std::fs::read_dir(dir.path().join("archive")).unwrap().count(), 1, "nothing else was written");
}

#[test]
fn an_archived_edition_is_never_overwritten_and_two_corrections_a_day_are_kept() {
    let dir = archived();
    let bag = dir.path().join("archive/2025");
    let before = std::fs::read(bag.join("manifest-sha256.txt")).unwrap();
    let o = run(&["archive", "--year", "2025"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("already archived"), "{}", text(&o.stderr));
    let o = run(&["archive", "--year", "2025", "--force"], dir.path());
    assert_eq!(o.status.code(), Some(2), "--force without --reason is refused");
    assert_eq!(std::fs::read(bag.join("manifest-sha256.txt")).unwrap(), before);

    let mut manifests = vec![before];
    for reason in ["a corrected figure", "a second correction"] {
        let o = run(&["archive", "--year", "2025", "--force", "--reason", reason], dir.path());
        assert!(o.status.success(), "{}", text(&o.stderr));
        let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
        assert!(info.contains(&format!("Yearbook-Replace-Reason: {reason}\n")), "{info}");
        let kept = info.lines().find_map(|l| l.strip_prefix("Yearbook-Replaces: ")).unwrap();
        // The record names the folder the replaced bag was kept in, and it is the bag before.
        let kept = dir.path().join("archive").join(kept);
        assert_eq!(std::fs::read(kept.join("manifest-sha256.txt")).unwrap(), *manifests.last().unwrap());
        manifests.push(std::fs::read(bag.join("manifest-sha256.txt")).unwrap());
    }
    let mut kept: Vec<String> = std::fs::read_dir(dir.path().join("archive"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".yearbook.lock"))
        .collect();
    kept.sort();
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(kept[1].starts_with("2025.replaced-") && kept[2] == format!("{}-2", kept[1]), "{kept:?}");
    for name in &kept {
        let o = run(&["verify", &format!("archive/{name}")], dir.path());
        assert!(o.status.success(), "{name}: {}", text(&o.stderr));
    }
}

/// The entries of the archive folder whose names start with `prefix`.
fn entries(archive: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(archive)
        .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.starts_with(prefix)).collect())
        .unwrap_or_default()
}

fn spawn_force(cwd: &Path, reason: &str) -> Child {
    Command::new(BIN)
        .args(["archive", "--year", "2025", "--force", "--reason", reason, "-q"])
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_killed_force_never_leaves_the_edition_without_its_bag() {
    let dir = archived();
    let archive = dir.path().join("archive");
    // Kill moments: during the build, as soon as the new bag is being staged, a little later,
    // once it waits under its `replacing` name, and a little after that.
    let moments: [(&str, u64); 6] = [
        ("", 1500),
        (".yearbook-staging-", 0),
        (".yearbook-staging-", 30),
        (".yearbook-replacing-", 0),
        (".yearbook-replacing-", 1),
        ("", 0),
    ];
    let mut landed_anyway = 0;
    for (i, (watch, delay)) in moments.iter().enumerate() {
        let mut child = spawn_force(dir.path(), &format!("kill {i}"));
        let start = Instant::now();
        if watch.is_empty() {
            std::thread::sleep(Duration::from_millis(*delay));
        } else {
            while entries(&archive, watch).is_empty() && child.try_wait().unwrap().is_none() {
                assert!(start.elapsed() < Duration::from_secs(300), "the run never staged a bag");
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(Duration::from_millis(*delay));
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        landed_anyway += usize::from(status.success());
        // Whatever the moment, the edition has a whole bag at its name.
        let o = run(&["verify", "archive/2025"], dir.path());
        assert!(o.status.success(), "kill {i} ({watch}+{delay} ms): {}", text(&o.stderr));
    }
    eprintln!("{landed_anyway} of {} runs finished before their kill", moments.len());
    // The next run finishes what the killed ones left: no staging or replacing folder remains,
    // every bag verifies, and every replacement record names a bag that is there.
    let o = run(&["archive", "--year", "2025", "--force", "--reason", "after the kills"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(entries(&archive, ".yearbook-staging-"), Vec::<String>::new());
    assert_eq!(entries(&archive, ".yearbook-replacing-"), Vec::<String>::new());
    for name in entries(&archive, "2025") {
        let bag = archive.join(&name);
        let o = run(&["verify", bag.to_str().unwrap()], dir.path());
        assert!(o.status.success(), "{name}: {}", text(&o.stderr));
        let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
        if let Some(old) = info.lines().find_map(|l| l.strip_prefix("Yearbook-Replaces: ")) {
            assert!(archive.join(old).is_dir(), "{name} says it replaced {old}, which is not there");
        }
    }
    let info = std::fs::read_to_string(archive.join("2025/bag-info.txt")).unwrap();
    assert!(info.contains("Yearbook-Replace-Reason: after the kills"), "{info}");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
