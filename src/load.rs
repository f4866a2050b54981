//! Reads the catalogues and one edition's city files, keeping every file's text so that
//! diagnostics can quote it. A file that does not parse becomes a diagnostic, not an abort: the
//! other files are still read, so one run reports every problem.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Diagnostic, FileIdx, SourceFiles};
use crate::error::AppError;
use crate::model::{City, DepartmentFile, SectorFile, SourceFile, TermFile, UnitFile};

/// One parsed file and where it came from.
pub struct Parsed<T> {
    pub file: FileIdx,
    pub data: T,
}

/// `data/catalogue/`: shared by every edition. A file that does not parse is `None`; its
/// diagnostics are already recorded, and rules that need it report nothing further.
pub struct Catalogue {
    pub sectors: Option<Parsed<SectorFile>>,
    pub departments: Option<Parsed<DepartmentFile>>,
    pub units: Option<Parsed<UnitFile>>,
    pub sources: Option<Parsed<SourceFile>>,
    pub terms: Option<Parsed<TermFile>>,
}

/// A city file of one edition.
pub struct CityFile {
    pub file: FileIdx,
    /// The file name without `.toml`: the id the city must have.
    pub stem: String,
    pub city: City,
}

/// `data/<year>/`: the city files of one edition, in file-name order.
pub struct Edition {
    pub year: i32,
    pub cities: Vec<CityFile>,
}

/// Reads data files, keeping every file's text for diagnostics. Several editions can be read
/// through one loader, so that their diagnostics share one set of files.
pub struct Loader {
    root: PathBuf,
    pub files: SourceFiles,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loader {
    /// `root` is the folder paths are shown relative to (the project's).
    pub fn new(root: &Path) -> Loader {
        Loader { root: root.to_path_buf(), files: SourceFiles::default(), diagnostics: Vec::new() }
    }

    /// Loads `data_dir/catalogue/*.toml`.
    pub fn catalogue(&mut self, data_dir: &Path) -> Result<Catalogue, AppError> {
        let dir = data_dir.join("catalogue");
        Ok(Catalogue {
            sectors: self.parse_file(&dir.join("sectors.toml"))?,
            departments: self.parse_file(&dir.join("departments.toml"))?,
            units: self.parse_file(&dir.join("units.toml"))?,
            sources: self.parse_file(&dir.join("sources.toml"))?,
            terms: self.parse_file(&dir.join("terms.toml"))?,
        })
    }

    /// Loads the city files `data_dir/<year>/*.toml`.
    pub fn edition(&mut self, data_dir: &Path, year: i32) -> Result<Edition, AppError> {
        let year_dir = data_dir.join(year.to_string());
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&year_dir)
            .map_err(|source| AppError::Io { action: "list the edition folder", path: year_dir.clone(), source })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        let mut cities = Vec::new();
        for path in paths {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            // A file that does not parse at all has its diagnostics already; nothing more to check.
            if let Some(Parsed { file, data }) = self.parse_file::<City>(&path)? {
                cities.push(CityFile { file, stem, city: data });
            }
        }
        Ok(Edition { year, cities })
    }

    /// Reads and parses one file. `Ok(None)` means it was read but has syntax or shape errors,
    /// which are recorded as diagnostics: every syntax error, and every broken element of the
    /// file's main array (`[[indicator]]`, `[[sector]]` …), not just the first.
    fn parse_file<T: DeserializeOwned + HasElements>(&mut self, path: &Path) -> Result<Option<Parsed<T>>, AppError> {
        let text = std::fs::read_to_string(path).map_err(|source| AppError::Io {
            action: "read the data file",
            path: path.to_path_buf(),
            source,
        })?;
        let name = display_name(path, &self.root);
        let idx = self.files.add(name, text);
        let text = self.files.text(idx);
        let (table, syntax_errors) = DeTable::parse_recoverable(text);
        if !syntax_errors.is_empty() {
            self.diagnostics.extend(syntax_errors.iter().map(|e| toml_error(idx, e)));
            return Ok(None);
        }
        let whole = T::deserialize(toml::de::Deserializer::from(table.clone()));
        match whole {
            Ok(data) => Ok(Some(Parsed { file: idx, data })),
            Err(first) => {
                // Keep what does parse, so the later rules still check it and every problem of
                // the file shows in one run; the errors already stop any build.
                let (partial, more) = T::recover(&table);
                let mut seen = std::collections::HashSet::new();
                for e in std::iter::once(first).chain(more) {
                    if seen.insert((e.span(), e.message().to_string())) {
                        self.diagnostics.push(toml_error(idx, &e));
                    }
                }
                Ok(partial.map(|data| Parsed { file: idx, data }))
            }
        }
    }
}

/// Files whose body is an array of tables: their elements are deserialized one by one, so one
/// broken element neither hides the errors of the others nor keeps them from being checked.
pub trait HasElements: Sized {
    /// The file without its broken parts (if the rest parses), and the errors found.
    fn recover(table: &Spanned<DeTable<'_>>) -> (Option<Self>, Vec<toml::de::Error>);
}

/// Deserializes each element of the array `key` on its own: the good ones and the errors.
fn elements_of<E: DeserializeOwned>(table: &Spanned<DeTable<'_>>, key: &str) -> (Vec<E>, Vec<toml::de::Error>) {
    let mut good = Vec::new();
    let mut out = Vec::new();
    for (k, v) in table.get_ref().iter() {
        if &**k.get_ref() != key {
            continue;
        }
        if let DeValue::Array(items) = v.get_ref() {
            for item in items.iter() {
                match E::deserialize(toml::de::ValueDeserializer::from(item.clone())) {
                    Ok(e) => good.push(e),
                    Err(e) => out.push(e),
                }
            }
        }
    }
    (good, out)
}

/// The table without `key`, deserialized as `T`: finds errors outside the main array.
fn rest_of<T: DeserializeOwned>(table: &Spanned<DeTable<'_>>, key: &str) -> Result<T, toml::de::Error> {
    let span = table.span();
    let mut rest = DeTable::new();
    for (k, v) in table.get_ref().iter() {
        if &**k.get_ref() != key {
            rest.insert(k.clone(), v.clone());
        }
    }
    T::deserialize(toml::de::Deserializer::from(Spanned::new(span, rest)))
}

macro_rules! recover_elements {
    ($file:ty, $field:ident, $element:ty, $key:literal) => {
        impl HasElements for $file {
            fn recover(table: &Spanned<DeTable<'_>>) -> (Option<Self>, Vec<toml::de::Error>) {
                let (good, mut errors) = elements_of::<$element>(table, $key);
                let partial = match rest_of::<$file>(table, $key) {
                    Ok(mut rest) => {
                        rest.$field = good;
                        Some(rest)
                    }
                    Err(e) => {
                        errors.insert(0, e);
                        None
                    }
                };
                (partial, errors)
            }
        }
    };
}

recover_elements!(City, indicators, crate::model::Indicator, "indicator");
recover_elements!(SectorFile, sector, crate::model::Sector, "sector");
recover_elements!(DepartmentFile, department, crate::model::Department, "department");
recover_elements!(UnitFile, unit, crate::model::Unit, "unit");
recover_elements!(SourceFile, source, crate::model::Source, "source");
recover_elements!(TermFile, term, crate::model::Term, "term");

/// The path shown to users: relative to the project when possible.
pub fn display_name(path: &Path, root: &Path) -> String {
    let shown = path.strip_prefix(root).unwrap_or(path);
    shown.to_string_lossy().replace('\\', "/")
}

/// Turns a toml/serde error into a diagnostic with a rule name and a hint.
fn toml_error(file: FileIdx, e: &toml::de::Error) -> Diagnostic {
    // serde names Rust types; the clerk reading this knows numbers and text.
    let message = e
        .message()
        .trim()
        .replace("expected f64", "expected a number")
        .replace("expected i64", "expected a whole number")
        .replace("expected a string", "expected text in quotes");
    let span = e.span();
    let (rule, hint) = if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let options: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let hint = match closest(field, &options) {
            Some(best) => format!("did you mean `{best}`?"),
            None if !options.is_empty() => format!("allowed keys here: {}", options.join(", ")),
            None => "remove this key".to_string(),
        };
        ("unknown-key", Some(hint))
    } else if message.starts_with("missing field") {
        ("missing-field", Some("add the field; docs/data-format.md lists what each table needs".to_string()))
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        ("wrong-type", Some("check the value's type: text in quotes, numbers without quotes".to_string()))
    } else if message.starts_with("unknown variant") {
        let hint = message.split_once("expected").map(|(_, rest)| format!("use{rest}"));
        ("unknown-variant", hint)
    } else {
        ("toml-syntax", Some("see https://toml.io for the syntax; strings need quotes".to_string()))
    };
    let mut d = Diagnostic::error(file, span, rule, message);
    d.hint = hint;
    d
}

/// The option nearest to `word` by edit distance, if it is plausibly a typo.
pub fn closest<'a>(word: &str, options: &[&'a str]) -> Option<&'a str> {
    options
        .iter()
        .map(|o| (levenshtein(word, o), *o))
        .filter(|(d, o)| *d <= (o.chars().count().max(3) / 3).max(1) + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_and_rejects_strangers() {
        let opts = ["value", "unit", "target", "completion"];
        assert_eq!(closest("valeu", &opts), Some("value"));
        assert_eq!(closest("complition", &opts), Some("completion"));
        assert_eq!(closest("zzzzzzzz", &opts), None);
    }
}
