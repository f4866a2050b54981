//! An edition lands whole: the real binary, killed at many moments, run twice at once, or made
//! to wait for a lock held by this test; the edition folder must always be wholly one build's.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{mini_city, project, text};

const BIN: &str = env!("CARGO_BIN_EXE_yearbook");

/// A build of the project in `cwd` into `out`, started but not waited for.
fn spawn_build(cwd: &Path, out: &Path) -> Child {
    Command::new(BIN)
        .args(["build", "--out", out.to_str().unwrap()])
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Waits for `child`, killing it and failing the test if it takes longer than `limit`.
fn wait_within(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the build did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// File name → sha256 of every entry of an edition folder.
fn hashes(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().into_string().unwrap(), yearbook::output::sha256_hex(&std::fs::read(e.path()).unwrap()))
        })
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    v.sort();
    v
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Two projects whose editions differ in every output file, and each one's edition built alone.
struct Editions {
    a: tempfile::TempDir,
    b: tempfile::TempDir,
    a_files: BTreeMap<String, String>,
    b_files: BTreeMap<String, String>,
    /// How long a build of B took.
    run_time: Duration,
}

fn editions() -> Editions {
    let a = project(&[("testcity", &mini_city())]);
    let b = project(&[("testcity", &mini_city().replace("en = \"Testcity\"", "en = \"Othercity\""))]);
    let solo = |p: &tempfile::TempDir| {
        let start = Instant::now();
        let out = p.path().join("solo");
        let mut child = spawn_build(p.path(), &out);
        assert!(wait_within(&mut child, Duration::from_secs(120)).success());
        (hashes(&out.join("2025")), start.elapsed())
    };
    let (a_files, _) = solo(&a);
    let (b_files, run_time) = solo(&b);
    assert_eq!(a_files.keys().collect::<Vec<_>>(), ["yearbook-2025.pdf", "yearbook-2025.xlsx"]);
    for (name, hash) in &a_files {
        assert_ne!(&b_files[name], hash, "{name} must differ between the two editions");
    }
    Editions { a, b, a_files, b_files, run_time }
}

/// Nothing but the lock file and the edition folder with exactly its two files.
fn assert_clean(out: &Path) {
    assert_eq!(names(out), [".yearbook.lock", "2025"], "leftovers in the output folder");
    assert_eq!(names(&out.join("2025")), ["yearbook-2025.pdf", "yearbook-2025.xlsx"], "leftovers in the edition");
}

#[test]
fn killed_builds_leave_one_whole_edition_and_the_next_build_clears_their_leftovers() {
    let ed = editions();
    let out = tempfile::tempdir().unwrap();
    let edition = out.path().join("2025");
    let mut child = spawn_build(ed.a.path(), out.path());
    assert!(wait_within(&mut child, Duration::from_secs(120)).success());
    let mut current_is_a = true;

    // Moments spread over the whole run, a dense set around its end where the edition lands,
    // and a few polite signals (their default action ends the process just as abruptly).
    let t = ed.run_time.as_secs_f64();
    let mut moments: Vec<(f64, &str)> = (0..25).map(|i| (t * 1.1 * f64::from(i) / 24.0, "KILL")).collect();
    moments.extend((0..14).map(|i| (t * (0.86 + 0.015 * f64::from(i)), "KILL")));
    moments.extend([(t * 0.5, "TERM"), (t * 0.95, "TERM"), (t * 1.0, "TERM")]);
    moments.extend([(t * 0.3, "INT"), (t * 0.93, "INT"), (t * 0.99, "INT")]);
    let (mut as_a, mut as_b, mut left_over) = (0, 0, 0);
    // On a loaded machine every build can run slower than the one timed alone, so that no kill
    // falls after a landing: later moments are added until one does (or ten have been tried).
    let mut late = (1..=10).map(|k| (t * (1.1 + 0.4 * f64::from(k)), "KILL"));
    let mut moments = moments.into_iter();
    while let Some((delay, signal)) = moments.next().or_else(|| if as_a > 0 && as_b > 0 { None } else { late.next() }) {
        let next = if current_is_a { &ed.b } else { &ed.a };
        let mut child = spawn_build(next.path(), out.path());
        std::thread::sleep(Duration::from_secs_f64(delay));
        if signal == "KILL" {
            let _ = child.kill();
        } else {
            let sent = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
            assert!(sent.success());
        }
        let status = wait_within(&mut child, Duration::from_secs(120));
        let now = hashes(&edition);
        if now == ed.a_files {
            as_a += 1;
            current_is_a = true;
        } else if now == ed.b_files {
            as_b += 1;
            current_is_a = false;
        } else {
            panic!("after SIG{signal} at {delay:.3}s ({status}) the edition is neither A nor B: {now:?}");
        }
        left_over += usize::from(names(out.path()).len() > 2);
    }
    eprintln!("kills left edition A {as_a} times, B {as_b} times; {left_over} left a staging folder");
    assert!(as_a > 0 && as_b > 0, "the kills must fall both before and after a landing");

    let next = if current_is_a { &ed.b } else { &ed.a };
    let mut child = spawn_build(next.path(), out.path());
    assert!(wait_within(&mut child, Duration::from_secs(120)).success());
    assert_clean(out.path());
}

#[test]
fn concurrent_builds_into_one_folder_land_one_whole_edition() {
    let ed = editions();
    let out = tempfile::tempdir().unwrap();
    for round in 0..4 {
        let mut first = spawn_build(ed.a.path(), out.path());
        let mut second = spawn_build(ed.b.path(), out.path());
        for child in [&mut first, &mut second] {
            let status = wait_within(child, Duration::from_secs(120));
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            assert!(status.success(), "round {round}: {err}");
            if err.contains("waiting for another yearbook run") {
                assert!(err.contains("(pid "), "the waiting run names the holder: {err}");
            }
        }
        let now = hashes(&out.path().join("2025"));
        assert!(now == ed.a_files || now == ed.b_files, "round {round}: a mixed edition {now:?}");
        assert_clean(out.path());
    }
}

#[test]
fn a_build_waits_for_the_holder_of_the_lock_and_names_it() {
    let dir = project(&[("testcity", &mini_city())]);
    let out = dir.path().join("dist");
    std::fs::create_dir_all(&out).unwrap();
    let mut lock =
        File::options().read(true).write(true).create(true).truncate(true).open(out.join(".yearbook.lock")).unwrap();
    lock.lock().unwrap();
    writeln!(lock, "{}", std::process::id()).unwrap();

    let mut child = Command::new(BIN)
        .args(["build"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    // The configuration is found by absolute path, and so is the output folder it names.
    let wanted = format!(
        "waiting for another yearbook run (pid {}) that is writing to {}/",
        std::process::id(),
        dir.path().canonicalize().unwrap_or_else(|_| dir.path().to_path_buf()).join("dist").display()
    );
    let line = loop {
        let line = rx.recv_timeout(Duration::from_secs(120)).expect("the build says that it waits");
        if line.starts_with("waiting") {
            break line;
        }
    };
    assert_eq!(line, wanted);
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "the build must wait while the lock is held");
    assert!(!out.join("2025").exists(), "nothing may land while another run holds the lock");

    lock.unlock().unwrap();
    assert!(wait_within(&mut child, Duration::from_secs(60)).success());
    assert_clean(&out);
}

/// Runs the binary with `umask` set, in `cwd`.
#[cfg(unix)]
fn run_with_umask(umask: &str, args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(BIN)
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

// Windows has no permission bits for a umask to shape.
#[cfg(unix)]
#[test]
fn outputs_get_the_modes_the_umask_allows_also_over_stricter_files() {
    let dir = project(&[("testcity", &mini_city())]);
    let ed = dir.path().join("dist/2025");
    let outputs = [ed.join("yearbook-2025.pdf"), ed.join("yearbook-2025.xlsx")];

    let o = run_with_umask("022", &["build"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(mode(&ed), 0o755);
    for f in &outputs {
        assert_eq!(mode(f), 0o644, "{}", f.display());
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let o = run_with_umask("022", &["build"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    for f in &outputs {
        assert_eq!(mode(f), 0o644, "a rebuild over a 0600 file: {}", f.display());
    }

    let o = run_with_umask("027", &["build"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(mode(&ed), 0o750);
    for f in &outputs {
        assert_eq!(mode(f), 0o640, "{}", f.display());
    }

    let o = run_with_umask("022", &["new-city", "lanzhou"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(mode(&dir.path().join("data/2025/lanzhou.toml")), 0o644);
    assert_eq!(names(&dir.path().join("data/2025")), ["lanzhou.toml", "testcity.toml"]);
}

#[test]
fn a_single_language_build_keeps_the_bilingual_edition_and_old_leftovers_go() {
    let dir = project(&[("testcity", &mini_city())]);
    let out = dir.path().join("dist");
    let o = crate::common::run(&["build"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let before = hashes(&out.join("2025"));

    // What a killed run of this or an older version could have left.
    std::fs::create_dir_all(out.join(".yearbook-staging-2025-4242-0")).unwrap();
    std::fs::write(out.join(".yearbook-staging-2025-4242-0/yearbook-2025.pdf"), "half").unwrap();
    std::fs::write(out.join("2025/.tmpAb12Cd"), "half a pdf").unwrap();

    let o = crate::common::run(&["build", "--lang", "en"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let after = hashes(&out.join("2025"));
    assert_eq!(after.len(), 3, "{after:?}");
    assert_eq!(after["yearbook-2025.pdf"], before["yearbook-2025.pdf"], "the bilingual PDF is kept as it was");
    assert!(after.contains_key("yearbook-2025-en.pdf"));
    assert_eq!(names(&out), [".yearbook.lock", "2025"]);
}

#[test]
fn a_file_in_the_place_of_the_edition_folder_is_reported_and_left_alone() {
    let dir = project(&[("testcity", &mini_city())]);
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    std::fs::write(dir.path().join("dist/2025"), "not a folder").unwrap();
    let o = crate::common::run(&["build"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("dist/2025` is a file, not a folder"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("dist/2025")).unwrap(), b"not a folder");
    assert_eq!(names(&dir.path().join("dist")), [".yearbook.lock", "2025"]);
}
