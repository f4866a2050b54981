//! The archive: a BagIt bag of the edition and its sources, never overwritten, that verifies
//! itself, survives being moved, rebuilds byte for byte, and passes the independent validator
//! (Python's `bagit`, where installed).

use std::path::Path;

use crate::common::{mini_city, project, repo, run, text};

fn archived() -> tempfile::TempDir {
    // Two editions, so the bag carries last year's data too.
    let dir = project(&[("testcity", &mini_city())]);
    std::fs::create_dir_all(dir.path().join("data/2024")).unwrap();
    let last_year = mini_city().replace("year = 2025", "year = 2024").replace("value = 59178", "value = 50000");
    let last_year = last_year.replace("reference_year = 2024\n", "");
    std::fs::write(dir.path().join("data/2024/testcity.toml"), last_year).unwrap();
    let o = run(&["archive", "--year", "2025"], dir.path());
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    dir
}

fn bagit_validates(bag: &Path) -> Option<bool> {
    let o = std::process::Command::new("python3").args(["-m", "bagit", "--validate"]).arg(bag).output().ok()?;
    let err = String::from_utf8_lossy(&o.stderr);
    if err.contains("No module named bagit") {
        return None;
    }
    Some(o.status.success())
}

#[test]
fn an_archived_edition_verifies_moves_rebuilds_and_passes_the_bagit_validator() {
    let dir = archived();
    let bag = dir.path().join("archive/2025");
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
        "fonts-sha256.txt",
    ] {
        assert!(bag.join("data").join(file).is_file(), "data/{file} is missing");
    }
    match bagit_validates(&bag) {
        Some(valid) => assert!(valid, "python3 -m bagit --validate rejects the bag"),
        None => eprintln!("SKIPPED: the Python bagit validator is not installed (pip install bagit)"),
    }

    let o = run(&["verify", "archive/2025", "--rebuild"], dir.path());
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    assert_eq!(text(&o.stdout).matches(": identical").count(), 4, "{}", text(&o.stdout));

    // Moved to another folder, the bag is enough (with the project's fonts, checked by hash).
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("kept-2025");
    copy_tree(&bag, &moved);
    let fonts = repo().join("fonts");
    let o =
        run(&["verify", moved.to_str().unwrap(), "--rebuild", "--fonts", fonts.to_str().unwrap()], elsewhere.path());
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));

    // One flipped byte is found and named.
    let pdf = moved.join("data/yearbook-2025.pdf");
    let mut bytes = std::fs::read(&pdf).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&pdf, bytes).unwrap();
    let o = run(&["verify", moved.to_str().unwrap()], elsewhere.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("differs: data/yearbook-2025.pdf"), "{}", text(&o.stderr));
}

#[test]
fn an_archived_edition_is_never_overwritten() {
    let dir = archived();
    let bag = dir.path().join("archive/2025");
    let before = std::fs::read(bag.join("manifest-sha256.txt")).unwrap();
    let o = run(&["archive", "--year", "2025"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("already archived"), "{}", text(&o.stderr));
    let o = run(&["archive", "--year", "2025", "--force"], dir.path());
    assert_eq!(o.status.code(), Some(2), "--force without --reason is refused");
    assert_eq!(std::fs::read(bag.join("manifest-sha256.txt")).unwrap(), before);

    let o = run(&["archive", "--year", "2025", "--force", "--reason", "a corrected figure"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    assert!(info.contains("Yearbook-Replace-Reason: a corrected figure"), "{info}");
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("archive"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("2025.replaced-"))
        .collect();
    assert_eq!(kept.len(), 1, "the old bag is kept under a dated name");
    assert_eq!(std::fs::read(dir.path().join("archive").join(&kept[0]).join("manifest-sha256.txt")).unwrap(), before);
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
