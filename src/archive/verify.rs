//! Checking a bag, trusting nothing in it: every manifest path must stay inside the bag (inside
//! `data/` for the payload manifest); absolute paths, `..`, symbolic links and special files
//! (FIFOs, devices) are findings and are never opened; files are hashed as a stream with a size
//! bound; the tag manifest must cover the other tag files; the bag's edition must match its
//! folder's name. `rebuild` makes the edition again from the bag alone (its configuration, data,
//! templates and fonts) and compares each file it makes with the manifest, and names the payload
//! files it does not make.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::bag::{BagInfo, BagLayout, FontHashes, read_small};
use crate::config::Config;
use crate::error::AppError;
use crate::output::sha256_hex;
use crate::pipeline::{self, Engine};
use crate::plan::PdfPreset;
use crate::plan::{Plan, PlanOptions};
use crate::print::typeset::Fonts;
use crate::progress::Progress;
use crate::year::Year;

/// The largest file a bag may hold (a 2 000-city archive PDF is far below).
const FILE_LIMIT: u64 = 8 << 30;

/// Something wrong with a bag on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Its bytes do not have the manifest's hash.
    Differs(String),
    /// A manifest names it, but it is not there.
    Missing(String),
    /// In the payload but in no manifest.
    Extra(String),
    /// A manifest path that would leave the bag (or the payload); never opened.
    Outside {
        path: String,
        why: &'static str,
    },
    /// A symbolic link in the bag; never followed.
    Link(String),
    /// A FIFO, device or socket in the bag; never opened.
    Special(String),
    TooLarge(String),
    /// A tag file the tag manifest does not cover, so its changes would go unseen.
    Unlisted(String),
    /// The bag says it holds another edition than its folder's name.
    WrongYear {
        folder: String,
        edition: Year,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Differs(p) => write!(f, "differs: {p} (its SHA-256 is not the one in the manifest)"),
            Finding::Missing(p) => write!(f, "missing: {p}"),
            Finding::Extra(p) => write!(f, "extra:   {p} (in the payload but in no manifest)"),
            Finding::Outside { path, why } => write!(f, "outside: {path} ({why}; it was not read)"),
            Finding::Link(p) => {
                write!(f, "link:    {p} (a symbolic link; a bag holds its own files, links are not followed)")
            }
            Finding::Special(p) => write!(f, "special: {p} (not a regular file; it was not read)"),
            Finding::TooLarge(p) => write!(f, "large:   {p} (over {} GiB; it was not read whole)", FILE_LIMIT >> 30),
            Finding::Unlisted(p) => write!(f, "unlisted: {p} (a tag file that tagmanifest-sha256.txt does not cover)"),
            Finding::WrongYear { folder, edition } => {
                write!(
                    f,
                    "year:    the folder `{folder}` holds the {edition} edition (Yearbook-Edition in bag-info.txt)"
                )
            }
        }
    }
}

/// Why a manifest path is not a path inside the bag, if it is not.
fn outside(path: &str, payload: bool) -> Option<&'static str> {
    if path.starts_with('/') || path.contains('\\') || path.as_bytes().get(1) == Some(&b':') {
        return Some("an absolute path");
    }
    let parts: Vec<&str> = path.split('/').collect();
    if parts.contains(&"..") {
        return Some("it goes up out of the bag");
    }
    if parts.iter().any(|p| p.is_empty() || *p == ".") || path.chars().any(char::is_control) {
        return Some("not a plain relative path");
    }
    if payload && parts.first() != Some(&BagLayout::PAYLOAD) {
        return Some("outside the payload folder data/");
    }
    None
}

/// A manifest: path → SHA-256 (lower case).
fn manifest(bag: &Path, name: &str) -> Result<BTreeMap<String, String>, AppError> {
    let path = bag.join(name);
    let text = String::from_utf8(read_small(&path)?)
        .map_err(|_| AppError::Usage(format!("`{}` is not UTF-8; it is not a manifest", path.display())))?;
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let entry = line
            .split_once(char::is_whitespace)
            .filter(|(h, _)| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        let (hash, file) = entry.ok_or_else(|| {
            AppError::Usage(format!(
                "`{}` line {}: not `<sha256>  <path>`; the manifest is damaged",
                path.display(),
                i + 1
            ))
        })?;
        out.insert(file.trim_start().to_string(), hash.to_ascii_lowercase());
    }
    Ok(out)
}

/// Why a file of the bag could not be hashed.
enum Refused {
    Missing,
    Link,
    Special,
    TooLarge,
}

/// The SHA-256 of `bag/<rel>`, reached without following any link and read as a stream of at
/// most `FILE_LIMIT` bytes.
fn hash_inside(bag: &Path, rel: &str) -> Result<String, Refused> {
    let mut at = bag.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        let meta = std::fs::symlink_metadata(&at).map_err(|_| Refused::Missing)?;
        if meta.file_type().is_symlink() {
            return Err(Refused::Link);
        }
        let last = i + 1 == parts.len();
        if last && !meta.is_file() {
            return Err(if meta.is_dir() { Refused::Missing } else { Refused::Special });
        }
        if !last && !meta.is_dir() {
            return Err(Refused::Missing);
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Not following a link, and not waiting on a FIFO, if one was put there since the look.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    let file = options.open(&at).map_err(|_| Refused::Missing)?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(Refused::Special);
    }
    let mut hasher = Sha256::new();
    let mut reader = file.take(FILE_LIMIT + 1);
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                total += n as u64;
                hasher.update(&buffer[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(Refused::Missing),
        }
    }
    if total > FILE_LIMIT {
        return Err(Refused::TooLarge);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// What is in a folder of the bag, links and special files not followed.
enum Entry {
    File,
    Link,
    Special,
}

fn walk(bag: &Path, rel: &str, out: &mut Vec<(String, Entry)>) -> Result<(), AppError> {
    let dir = bag.join(rel);
    let entries =
        std::fs::read_dir(&dir).map_err(|source| AppError::Io { action: "list", path: dir.clone(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| AppError::Io { action: "list", path: dir.clone(), source })?;
        let path = format!("{rel}/{}", entry.file_name().to_string_lossy());
        let kind = entry.file_type().map_err(|source| AppError::Io { action: "read", path: entry.path(), source })?;
        if kind.is_symlink() {
            out.push((path, Entry::Link));
        } else if kind.is_dir() {
            walk(bag, &path, out)?;
        } else if kind.is_file() {
            out.push((path, Entry::File));
        } else {
            out.push((path, Entry::Special));
        }
    }
    Ok(())
}

/// Re-hashes every file of the bag against both manifests; finds what no manifest lists, what
/// would leave the bag, and an edition that is not its folder's.
pub fn check(bag: &Path) -> Result<Vec<Finding>, AppError> {
    let payload = manifest(bag, BagLayout::MANIFEST)?;
    let tags = manifest(bag, BagLayout::TAG_MANIFEST)?;
    let mut findings = Vec::new();
    let listed = payload.iter().map(|e| (e, true)).chain(tags.iter().map(|e| (e, false)));
    for ((file, hash), in_payload) in listed {
        if let Some(why) = outside(file, in_payload) {
            findings.push(Finding::Outside { path: file.clone(), why });
            continue;
        }
        match hash_inside(bag, file) {
            Ok(found) if found == *hash => {}
            Ok(_) => findings.push(Finding::Differs(file.clone())),
            Err(Refused::Missing) => findings.push(Finding::Missing(file.clone())),
            Err(Refused::Link) => findings.push(Finding::Link(file.clone())),
            Err(Refused::Special) => findings.push(Finding::Special(file.clone())),
            Err(Refused::TooLarge) => findings.push(Finding::TooLarge(file.clone())),
        }
    }
    for tag in [BagLayout::BAGIT, BagLayout::BAG_INFO, BagLayout::MANIFEST] {
        if !tags.contains_key(tag) {
            findings.push(Finding::Unlisted(tag.to_string()));
        }
    }
    let mut present = Vec::new();
    walk(bag, BagLayout::PAYLOAD, &mut present)?;
    present.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, kind) in present {
        if payload.contains_key(&path) {
            continue;
        }
        findings.push(match kind {
            Entry::File => Finding::Extra(path),
            Entry::Link => Finding::Link(path),
            Entry::Special => Finding::Special(path),
        });
    }
    match BagInfo::read(bag) {
        Ok(info) => findings.extend(wrong_year(bag, info.edition)),
        // A changed bag-info is already a finding; an unreadable one is not a yearbook bag.
        Err(_) if !findings.is_empty() => {}
        Err(e) => return Err(e),
    }
    Ok(findings)
}

/// The folder of a bag is named after its edition (`2025`, `2025.replaced-…`); a bag moved
/// under another name (`kept-2025`) is not compared.
fn wrong_year(bag: &Path, edition: Year) -> Option<Finding> {
    let name = bag
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .or_else(|| std::fs::canonicalize(bag).ok()?.file_name().map(|n| n.to_string_lossy().into_owned()))?;
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    let rest = &name[digits.len()..];
    let year: Year = digits.parse().ok().filter(|_| rest.is_empty() || rest.starts_with('.'))?;
    (year != edition).then_some(Finding::WrongYear { folder: name, edition })
}

/// A file the rebuild made or expected, compared with the bag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Identical(String),
    Differs(String),
    /// The rebuild makes it, but the bag does not hold it.
    NotInBag(String),
    /// The bag holds it, but the rebuild does not make it.
    NotMade(String),
    /// A font of the fonts folder named for an older bag is not the one recorded.
    FontDiffers {
        name: String,
        hash: String,
        dir: String,
    },
}

/// Whether the bag holds its own fonts (bags made before did not: they need `--fonts DIR`).
pub fn holds_fonts(bag: &Path) -> bool {
    std::fs::symlink_metadata(BagLayout::fonts_dir(bag)).is_ok_and(|m| m.is_dir())
}

/// Builds the edition again from the bag alone and compares what it makes with the bag's
/// manifest. Call after [`check`] found nothing: the manifest's hashes are then the files'.
/// `fonts` is for bags made before bags held their fonts.
pub fn rebuild(bag: &Path, fonts: Option<&Path>, progress: Option<Box<Progress>>) -> Result<Vec<Outcome>, AppError> {
    let info = BagInfo::read(bag)?;
    let payload = manifest(bag, BagLayout::MANIFEST)?;
    let mut outcomes = Vec::new();
    let (fonts_dir, fonts) = if holds_fonts(bag) {
        let dir = BagLayout::fonts_dir(bag);
        let embedded = bag_embedded_fonts(&BagLayout::embedded_fonts_dir(bag))?;
        let fonts = Fonts::load_with(&dir, embedded)?;
        (dir, fonts)
    } else {
        let dir = fonts.ok_or_else(|| {
            AppError::Usage(format!(
                "`{}` was made before bags held their fonts; name the fonts folder it was made with: \
                 --fonts DIR",
                bag.display()
            ))
        })?;
        let recorded = FontHashes::read(&bag.join(BagLayout::PAYLOAD).join(BagLayout::FONT_HASHES))?;
        let local = FontHashes::of_folder(dir)?;
        for (name, hash) in &recorded.0 {
            if local.0.get(name) != Some(hash) {
                outcomes.push(Outcome::FontDiffers {
                    name: name.clone(),
                    hash: hash.clone(),
                    dir: dir.display().to_string(),
                });
            }
        }
        if !outcomes.is_empty() {
            return Ok(outcomes);
        }
        (dir.to_path_buf(), Fonts::load(dir)?)
    };
    let mut config = Config::load(&BagLayout::source_config(bag))?;
    config.data_dir = BagLayout::source_data(bag);
    config.templates_dir = BagLayout::source_templates(bag);
    config.fonts_dir = fonts_dir;
    // The articles were checked when the edition was made; they are not part of the bag.
    config.sources_dir = None;
    let templates = crate::print::render::environment(&config.templates_dir)?;
    let engine = Engine {
        fonts,
        templates,
        progress,
        keep_caches: false,
        parts: Default::default(),
        layout_cache: false,
        cities: Default::default(),
    };
    let options = PlanOptions { year: Some(info.edition), ..PlanOptions::default() };
    let print = Plan::new(config.clone(), PlanOptions { pdf: PdfPreset::A2b, ..options.clone() })?;
    let archival = Plan::new(config, PlanOptions { pdf: PdfPreset::A3bUa, ..options })?;
    let checked = pipeline::check(&print, &engine)?;
    let made = super::editions(&engine, &checked, &print, &archival)?;
    let mut rebuilt = vec![
        (print.output.pdf.clone(), made.printed.pdf),
        (archival.output.pdf.clone(), made.archived.pdf),
        (print.output.xlsx.clone(), made.printed.xlsx),
    ];
    rebuilt.extend(made.departments.files.into_iter().map(|(name, bytes)| (BagLayout::department(&name), bytes)));
    rebuilt.extend(made.site.into_iter().flatten());
    for (name, bytes) in &rebuilt {
        outcomes.push(match payload.get(&format!("{}/{name}", BagLayout::PAYLOAD)) {
            None => Outcome::NotInBag(name.clone()),
            Some(hash) if *hash == sha256_hex(bytes) => Outcome::Identical(name.clone()),
            Some(_) => Outcome::Differs(name.clone()),
        });
    }
    let prefix = format!("{}/", BagLayout::PAYLOAD);
    for path in payload.keys() {
        let Some(name) = path.strip_prefix(&prefix) else { continue };
        if !BagLayout::is_input(name) && !rebuilt.iter().any(|(n, _)| n == name) {
            outcomes.push(Outcome::NotMade(name.to_string()));
        }
    }
    Ok(outcomes)
}

/// The bag's copies of the fonts built into the binary that made it, in their recorded order.
fn bag_embedded_fonts(dir: &Path) -> Result<Vec<typst::text::Font>, AppError> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|source| AppError::Io { action: "list the fonts folder", path: dir.to_path_buf(), source })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|x| x.to_str()).is_some_and(|x| matches!(x, "ttf" | "otf")))
        .collect();
    paths.sort();
    let mut fonts = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|source| AppError::Io {
            action: "read the font",
            path: path.clone(),
            source,
        })?;
        fonts.extend(typst::text::Font::iter(typst::foundations::Bytes::new(bytes)));
    }
    Ok(fonts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(year: i32) -> Year {
        Year::new(year).unwrap()
    }
    use crate::archive::bag::{self, Tool};

    fn make_bag(dir: &Path) {
        let info = BagInfo {
            organisation: "Board".into(),
            description: "Yearbook 2025".into(),
            edition: y(2025),
            bagging_date: time::Date::from_calendar_date(2026, time::Month::March, 31).unwrap(),
            command: "yearbook archive".into(),
            tool: Tool::this(),
            replaces: None,
        };
        let files =
            bag::files(vec![("a.pdf".into(), b"pdf".to_vec()), ("source/x.toml".into(), b"x = 1".to_vec())], &info);
        for (name, bytes) in &files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
    }

    #[test]
    fn a_bag_lists_every_payload_file_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let bag = dir.path().join("2025");
        make_bag(&bag);
        assert_eq!(check(&bag).unwrap(), vec![]);
        let info_text = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
        assert!(info_text.contains("Payload-Oxum: 8.2"), "{info_text}");

        std::fs::write(bag.join("data/a.pdf"), b"pdF").unwrap();
        std::fs::write(bag.join("data/stray.txt"), b"?").unwrap();
        std::fs::remove_file(bag.join("data/source/x.toml")).unwrap();
        let found = check(&bag).unwrap();
        assert!(found.contains(&Finding::Differs("data/a.pdf".into())), "{found:?}");
        assert!(found.contains(&Finding::Missing("data/source/x.toml".into())), "{found:?}");
        assert!(found.contains(&Finding::Extra("data/stray.txt".into())), "{found:?}");
    }

    #[test]
    fn paths_that_leave_the_bag_are_findings() {
        assert_eq!(outside("data/a.pdf", true), None);
        assert_eq!(outside("bag-info.txt", false), None);
        assert!(outside("/etc/hostname", true).is_some());
        assert!(outside("data/../../x", true).is_some());
        assert!(outside("bag-info.txt", true).is_some(), "a payload entry outside data/");
        assert!(outside("data//a", true).is_some());
        assert!(outside("C:/x", false).is_some());
    }

    #[test]
    fn a_bag_under_another_years_name_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let bag = dir.path().join("2024");
        make_bag(&bag);
        assert_eq!(check(&bag).unwrap(), vec![Finding::WrongYear { folder: "2024".into(), edition: y(2025) }]);
        assert_eq!(wrong_year(&dir.path().join("2025.replaced-2026-01-01"), y(2025)), None);
        assert_eq!(wrong_year(&dir.path().join("kept-2025"), y(2024)), None);
    }
}
