//! The archive of an edition: a BagIt bag (RFC 8493), the packaging libraries and archives use
//! for digital preservation. Its payload (`data/`) holds the archive-standard PDF, the print
//! PDF, the workbook, and the sources that built them (yearbook.toml, the data, the templates),
//! with the hashes of the fonts used; `manifest-sha256.txt` and `tagmanifest-sha256.txt` let
//! anyone check every byte in ten years with nothing but a SHA-256 tool.
//!
//! Nothing here writes or prints: `editions` makes what a bag holds in memory, `bag` returns the
//! files of the bag, `verify` compares a bag on disk with its manifests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::departments::export::{self, Export};
use crate::error::AppError;
use crate::output::sha256_hex;
use crate::pipeline::{self, Artifacts, Checked, Engine};
use crate::plan::Plan;

/// What an archived edition holds, made in memory: the print and archive editions, and the
/// departments' workbooks as `yearbook export --by department` writes them.
pub struct Editions {
    pub printed: Artifacts,
    pub archived: Artifacts,
    pub departments: Export,
}

/// Makes the editions of a bag (`archive`) or again from a bag (`verify --rebuild`): the same
/// steps both times, so that a rebuild compares like with like.
pub fn editions(engine: &Engine, checked: &Checked, print: &Plan, archival: &Plan) -> Result<Editions, AppError> {
    let printed = pipeline::build_once(print, engine, checked)?;
    let archived = pipeline::build_once(archival, engine, checked)?;
    let departments = export::by_department(
        &printed.book,
        &printed.pages,
        &checked.catalogue,
        &print.output,
        false,
        engine.progress.as_deref(),
    )?;
    Ok(Editions { printed, archived, departments })
}

/// Where the sources sit in the payload (`data/` of the bag).
pub const SOURCE_DIR: &str = "source";
/// The fonts' hashes, in the payload.
pub const FONTS_FILE: &str = "fonts-sha256.txt";

/// What goes into a bag besides the payload's own files.
pub struct BagInfo {
    pub organisation: String,
    pub description: String,
    pub edition: i32,
    /// `YYYY-MM-DD`, the day the bag is made.
    pub bagging_date: String,
    pub command: String,
    /// Why an earlier bag of the same edition was replaced, if one was.
    pub replaces: Option<(String, String)>,
}

/// The files of a bag: payload files (paths relative to `data/`) plus the tag files.
pub fn bag(payload: Vec<(String, Vec<u8>)>, info: &BagInfo) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> =
        payload.into_iter().map(|(name, bytes)| (format!("data/{name}"), bytes)).collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let octets: usize = files.iter().map(|(_, b)| b.len()).sum();
    let manifest: String = files.iter().map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes))).collect();
    let bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_string();
    let mut bag_info = format!(
        "Source-Organization: {}\nExternal-Description: {}\nBagging-Date: {}\nPayload-Oxum: {octets}.{}\n\
         Bag-Software-Agent: yearbook {} (typst {})\nYearbook-Edition: {}\nYearbook-Command: {}\n",
        one_line(&info.organisation),
        one_line(&info.description),
        info.bagging_date,
        files.len(),
        env!("CARGO_PKG_VERSION"),
        typst::utils::version().raw(),
        info.edition,
        one_line(&info.command),
    );
    if let Some((old, reason)) = &info.replaces {
        bag_info.push_str(&format!(
            "Yearbook-Replaces: {}\nYearbook-Replace-Reason: {}\n",
            one_line(old),
            one_line(reason)
        ));
    }
    let tags = [("bagit.txt", bagit), ("bag-info.txt", bag_info), ("manifest-sha256.txt", manifest)];
    let tagmanifest: String =
        tags.iter().map(|(name, text)| format!("{}  {name}\n", sha256_hex(text.as_bytes()))).collect();
    files.extend(tags.into_iter().map(|(n, t)| (n.to_string(), t.into_bytes())));
    files.push(("tagmanifest-sha256.txt".into(), tagmanifest.into_bytes()));
    files
}

/// Tag values are single lines (RFC 8493 §2.2.2 allows folding, which readers handle unevenly).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A file whose bytes do not match a manifest, or that a manifest names but is missing, or that
/// is in the payload but in no manifest.
#[derive(Debug, PartialEq, Eq)]
pub enum Finding {
    Differs(String),
    Missing(String),
    Extra(String),
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Differs(p) => write!(f, "differs: {p} (its SHA-256 is not the one in the manifest)"),
            Finding::Missing(p) => write!(f, "missing: {p}"),
            Finding::Extra(p) => write!(f, "extra:   {p} (in the payload but in no manifest)"),
        }
    }
}

/// Reads a manifest: path → hash.
fn manifest(bag: &Path, name: &str) -> Result<BTreeMap<String, String>, AppError> {
    let path = bag.join(name);
    let text =
        std::fs::read_to_string(&path).map_err(|source| AppError::Io { action: "read", path: path.clone(), source })?;
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (hash, file) = line.split_once(char::is_whitespace).ok_or_else(|| AppError::Config {
            path: path.clone(),
            message: format!("line {} is not `<sha256>  <path>`", i + 1),
        })?;
        out.insert(file.trim_start().to_string(), hash.to_ascii_lowercase());
    }
    Ok(out)
}

/// Every file of `dir`, as paths relative to `root` with `/`.
fn files_below(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), AppError> {
    let entries =
        std::fs::read_dir(dir).map_err(|source| AppError::Io { action: "list", path: dir.to_path_buf(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| AppError::Io { action: "list", path: dir.to_path_buf(), source })?;
        let path = entry.path();
        if path.is_dir() {
            files_below(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Re-hashes every file of the bag against both manifests.
pub fn verify(bag: &Path) -> Result<Vec<Finding>, AppError> {
    let mut findings = Vec::new();
    let payload = manifest(bag, "manifest-sha256.txt")?;
    let tags = manifest(bag, "tagmanifest-sha256.txt")?;
    for (file, hash) in payload.iter().chain(tags.iter()) {
        match std::fs::read(bag.join(file)) {
            Ok(bytes) if sha256_hex(&bytes) == *hash => {}
            Ok(_) => findings.push(Finding::Differs(file.clone())),
            Err(_) => findings.push(Finding::Missing(file.clone())),
        }
    }
    let mut present = Vec::new();
    files_below(bag, &bag.join("data"), &mut present)?;
    present.sort();
    findings.extend(present.into_iter().filter(|p| !payload.contains_key(p)).map(Finding::Extra));
    Ok(findings)
}

/// The archived sources of a bag, for a rebuild.
pub struct Sources {
    pub config: PathBuf,
    pub data: PathBuf,
    pub templates: PathBuf,
    /// Font file name → SHA-256, as recorded when the bag was made.
    pub fonts: BTreeMap<String, String>,
}

pub fn sources(bag: &Path) -> Result<Sources, AppError> {
    let dir = bag.join("data").join(SOURCE_DIR);
    let fonts_path = bag.join("data").join(FONTS_FILE);
    let text = std::fs::read_to_string(&fonts_path).map_err(|source| AppError::Io {
        action: "read",
        path: fonts_path.clone(),
        source,
    })?;
    let fonts = text
        .lines()
        .filter_map(|l| l.split_once(char::is_whitespace))
        .map(|(hash, name)| (name.trim().to_string(), hash.to_string()))
        .collect();
    Ok(Sources { config: dir.join("yearbook.toml"), data: dir.join("data"), templates: dir.join("templates"), fonts })
}

/// The font files of `dir` with their hashes, one `<sha256>  <name>` line each.
pub fn font_hashes(dir: &Path) -> Result<String, AppError> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| AppError::Io { action: "list the fonts folder", path: dir.to_path_buf(), source })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc" | "otc"))
        })
        .collect();
    names.sort();
    let mut out = String::new();
    for path in names {
        let bytes = std::fs::read(&path).map_err(|source| AppError::Io {
            action: "read the font",
            path: path.clone(),
            source,
        })?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        out.push_str(&format!("{}  {name}\n", sha256_hex(&bytes)));
    }
    Ok(out)
}

/// Today's date as `YYYY-MM-DD` (UTC), for Bagging-Date: the one clock reading of an archive.
pub fn today() -> String {
    crate::departments::mail::utc_timestamp(std::time::SystemTime::now())[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bag_lists_every_payload_file_and_verifies() {
        let info = BagInfo {
            organisation: "Board".into(),
            description: "Yearbook 2025".into(),
            edition: 2025,
            bagging_date: "2026-03-31".into(),
            command: "yearbook archive".into(),
            replaces: None,
        };
        let files = bag(vec![("a.pdf".into(), b"pdf".to_vec()), ("source/x.toml".into(), b"x = 1".to_vec())], &info);
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        assert_eq!(verify(dir.path()).unwrap(), vec![]);
        let info_text = std::fs::read_to_string(dir.path().join("bag-info.txt")).unwrap();
        assert!(info_text.contains("Payload-Oxum: 8.2"), "{info_text}");

        std::fs::write(dir.path().join("data/a.pdf"), b"pdF").unwrap();
        std::fs::write(dir.path().join("data/stray.txt"), b"?").unwrap();
        std::fs::remove_file(dir.path().join("data/source/x.toml")).unwrap();
        let found = verify(dir.path()).unwrap();
        assert!(found.contains(&Finding::Differs("data/a.pdf".into())), "{found:?}");
        assert!(found.contains(&Finding::Missing("data/source/x.toml".into())), "{found:?}");
        assert!(found.contains(&Finding::Extra("data/stray.txt".into())), "{found:?}");
    }

    #[test]
    fn today_is_a_date() {
        let t = today();
        assert_eq!(t.len(), 10);
        assert!(t.starts_with("20"));
    }
}
