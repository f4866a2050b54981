//! The layout cache: a build after a correction lays out only the parts that print it, takes
//! the others' pages from the cache in the output folder, and gives the bytes a cold build gives;
//! a damaged entry, or one made with other templates, is said and laid out again.

use std::path::{Path, PathBuf};

use crate::common::{cut_small, own_templates, project_of_cities, run, text};

const PDF: &str = "2025/yearbook-2025.pdf";

/// Eight cities typeset in small parts (profiles every 3 cities, tables every 60 rows or so).
fn national() -> tempfile::TempDir {
    let dir = project_of_cities(8);
    cut_small(dir.path());
    dir
}

/// Builds `dir` into `out`; its summary's "K of N parts laid out again" as (K, N).
fn build(dir: &Path, out: &Path) -> ((usize, usize), String) {
    let o = run(&["build", "--quiet", "--out", &out.display().to_string()], dir);
    let stdout = text(&o.stdout);
    let stderr = text(&o.stderr);
    assert!(o.status.success(), "{stdout}{stderr}");
    let line = stdout.lines().find(|l| l.contains("parts laid out again")).unwrap_or_else(|| panic!("{stdout}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    ((words[0].parse().unwrap(), words[2].parse().unwrap()), stderr)
}

fn cache(out: &Path) -> PathBuf {
    out.join(".yearbook-cache/2025/yearbook-2025")
}

/// A cold build of `dir` as it is now, in a folder of its own with no cache.
fn cold(dir: &Path) -> Vec<u8> {
    let out = dir.join("cold");
    let ((laid, parts), _) = build(dir, &out);
    assert_eq!(laid, parts, "a build with no cache lays out every part");
    let pdf = std::fs::read(out.join(PDF)).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
    pdf
}

#[test]
fn a_build_after_a_correction_lays_out_only_its_parts_and_equals_a_cold_build() {
    let dir = national();
    let out = dir.path().join("dist");
    let ((laid, parts), _) = build(dir.path(), &out);
    assert!(parts > 4, "the book is cut into several body parts: {parts}");
    assert_eq!(laid, parts);
    let first = std::fs::read(out.join(PDF)).unwrap();

    // Nothing changed: every part from the cache, the same bytes.
    let ((laid, _), _) = build(dir.path(), &out);
    assert_eq!(laid, 0);
    assert_eq!(std::fs::read(out.join(PDF)).unwrap(), first);

    // One figure of one city corrected: the parts that print it, and no others.
    let city = dir.path().join("data/2025/wuwei-2.toml");
    let before = std::fs::read_to_string(&city).unwrap();
    let edited = before.replacen("value = ", "value = 1", 1);
    assert_ne!(edited, before);
    std::fs::write(&city, edited).unwrap();
    let ((laid, again), _) = build(dir.path(), &out);
    assert_eq!(again, parts);
    assert!(laid > 0 && laid < parts, "{laid} of {parts} parts laid out again");
    let incremental = std::fs::read(out.join(PDF)).unwrap();
    assert_ne!(incremental, first, "the correction is in the book");
    assert!(incremental == cold(dir.path()), "the build from the cache is byte for byte the cold build");
}

#[test]
fn a_damaged_entry_is_named_and_its_part_laid_out_again() {
    let dir = national();
    let out = dir.path().join("dist");
    let ((_, parts), _) = build(dir.path(), &out);
    let pdf = std::fs::read(out.join(PDF)).unwrap();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(cache(&out)).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    assert_eq!(entries.len(), parts, "one entry per body part: {entries:?}");

    // A byte flipped in one entry's pages, another cut short.
    let mut bytes = std::fs::read(&entries[1]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&entries[1], bytes).unwrap();
    let bytes = std::fs::read(&entries[2]).unwrap();
    std::fs::write(&entries[2], &bytes[..bytes.len() / 3]).unwrap();

    let ((laid, _), stderr) = build(dir.path(), &out);
    assert_eq!(laid, 2, "{stderr}");
    for (entry, why) in [(&entries[1], "its checksum does not match"), (&entries[2], "bytes where its header says")] {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with("note: ") && l.contains(&name) && l.contains("damaged") && l.contains(why)),
            "{name}: {stderr}"
        );
    }
    assert_eq!(std::fs::read(out.join(PDF)).unwrap(), pdf);
    // Mended by that build: the next takes every part from the cache, and says nothing.
    let ((laid, _), stderr) = build(dir.path(), &out);
    assert_eq!(laid, 0);
    assert!(!stderr.contains("note:"), "{stderr}");
}

#[test]
fn a_cache_made_with_other_templates_is_not_used_and_said_so() {
    let dir = national();
    own_templates(dir.path());
    let out = dir.path().join("dist");
    let ((_, parts), _) = build(dir.path(), &out);
    // A change to the templates that moves nothing in the source: only the template file.
    let template = dir.path().join("templates/yearbook.typ");
    let mut typ = std::fs::read_to_string(&template).unwrap();
    typ.push_str("\n#let unused-by-the-book = 1\n");
    std::fs::write(&template, typ).unwrap();
    let ((laid, _), stderr) = build(dir.path(), &out);
    assert_eq!(laid, parts, "{stderr}");
    assert!(stderr.contains("note: the layout cache") && stderr.contains("other templates"), "{stderr}");
    assert!(std::fs::read(out.join(PDF)).unwrap() == cold(dir.path()));
}
