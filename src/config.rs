//! `yearbook.toml`: the edition (year, titles, publisher, publication date) and where the data,
//! templates, fonts and outputs live. Paths are relative to the config file's folder.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::AppError;
use crate::model::Text;

/// File name searched for in the working directory.
pub const CONFIG_FILE: &str = "yearbook.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    edition: RawEdition,
    #[serde(default)]
    paths: RawPaths,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdition {
    year: i32,
    title: RawText,
    publisher: RawText,
    /// Publication date `YYYY-MM-DD`; stamped into the PDF and XLSX instead of the clock.
    date: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    zh: String,
    en: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawPaths {
    data: PathBuf,
    templates: PathBuf,
    fonts: PathBuf,
    output: PathBuf,
}

impl Default for RawPaths {
    fn default() -> Self {
        Self { data: "data".into(), templates: "templates".into(), fonts: "fonts".into(), output: "dist".into() }
    }
}

/// A calendar date, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub fn parse(s: &str) -> Option<Date> {
        let mut parts = s.split('-');
        let year = parts.next()?.parse().ok()?;
        let month: u8 = parts.next()?.parse().ok()?;
        let day: u8 = parts.next()?.parse().ok()?;
        if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        Some(Date { year, month, day })
    }
}

/// The resolved configuration every command works from.
#[derive(Debug, Clone)]
pub struct Config {
    pub year: i32,
    pub title: Text,
    pub publisher: Text,
    pub date: Date,
    pub root: PathBuf,
    pub data_dir: PathBuf,
    pub templates_dir: PathBuf,
    pub fonts_dir: PathBuf,
    pub output_dir: PathBuf,
}

impl Config {
    /// Finds the config: the given path, else `./yearbook.toml`, else the one shipped beside the
    /// crate's sources, so that `cargo run -- build` works from anywhere in a checkout.
    pub fn discover(explicit: Option<&Path>) -> Result<Config, AppError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let local = PathBuf::from(CONFIG_FILE);
                if local.is_file() { local } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(CONFIG_FILE) }
            }
        };
        Self::load(&path)
    }

    pub fn load(path: &Path) -> Result<Config, AppError> {
        let text = std::fs::read_to_string(path).map_err(|source| AppError::Io {
            action: "read the configuration",
            path: path.to_path_buf(),
            source,
        })?;
        let raw: RawConfig =
            toml::from_str(&text).map_err(|e| AppError::Config { path: path.to_path_buf(), message: e.to_string() })?;
        let date = Date::parse(&raw.edition.date).ok_or_else(|| AppError::Config {
            path: path.to_path_buf(),
            message: format!("edition.date `{}` is not a date of the form YYYY-MM-DD", raw.edition.date),
        })?;
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let root = if root.as_os_str().is_empty() { PathBuf::from(".") } else { root };
        let at = |p: &Path| {
            if p.is_absolute() { p.to_path_buf() } else { root.join(p) }
        };
        Ok(Config {
            year: raw.edition.year,
            title: Text { zh: raw.edition.title.zh, en: raw.edition.title.en },
            publisher: Text { zh: raw.edition.publisher.zh, en: raw.edition.publisher.en },
            date,
            data_dir: at(&raw.paths.data),
            templates_dir: at(&raw.paths.templates),
            fonts_dir: at(&raw.paths.fonts),
            output_dir: at(&raw.paths.output),
            root,
        })
    }
}
