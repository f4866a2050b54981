//! Reads the catalogues and one edition's city files, keeping every file's text so that
//! diagnostics can quote it. A file that does not parse, is not UTF-8, is a folder or a link out
//! of the data folder becomes a diagnostic, not an abort: the other files are still read, so one
//! run reports every problem. Files that look like data but would not be read are named too.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Diagnostic, FileIdx, Rule, SourceFiles};
use crate::error::AppError;
use crate::model::{City, DepartmentFile, SectorFile, SourceFile, TermFile, UnitFile};
use crate::strings::scan_file;
use crate::year::Year;

/// The files of `data/catalogue/`, as `load` reads them.
pub const CATALOGUE_FILES: [&str; 5] = ["sectors.toml", "departments.toml", "units.toml", "sources.toml", "terms.toml"];

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
    pub year: Year,
    pub cities: Vec<CityFile>,
}

/// Reads data files, keeping every file's text for diagnostics. Several editions can be read
/// through one loader, so that their diagnostics share one set of files.
pub struct Loader {
    root: PathBuf,
    pub files: SourceFiles,
    pub diagnostics: Vec<Diagnostic>,
    /// Ids of elements that did not parse, by their array's key (`sector`, `unit` …). The
    /// element's error is reported once; its id stays known, so its uses are no further errors.
    unreadable: HashMap<&'static str, Vec<String>>,
    /// City files parsed by an earlier load (a watcher's), reused where the text is the same.
    pub memo: Option<CityMemo>,
}

/// The city files a watcher's last load parsed, by path: at the next load, a file whose text
/// is the same is not parsed again (a national edition's 300 files took about 0.1 s to parse,
/// of a rebuild's 2 after a one-city edit). A city's parse depends on its text alone.
#[derive(Default)]
pub struct CityMemo {
    cities: HashMap<PathBuf, MemoCity>,
    /// The files the current load read: the others are forgotten at its end.
    seen: HashSet<PathBuf>,
    /// Files parsed by the last load (for the tests and `--timings`).
    pub parsed: usize,
}

struct MemoCity {
    text: String,
    city: Option<City>,
    /// What parsing it found, its file index as the load that parsed it gave it.
    diagnostics: Vec<Diagnostic>,
    unreadable: Vec<String>,
}

impl CityMemo {
    /// Forgets the files the last load did not read.
    pub fn end_load(&mut self) {
        let seen = std::mem::take(&mut self.seen);
        self.cities.retain(|path, _| seen.contains(path));
    }
}

/// What one file of a data folder is.
enum Entry {
    /// Read it.
    Data(PathBuf),
    /// Looks like a data file but is not one: name it, do not read it.
    LookAlike(PathBuf),
}

impl Loader {
    /// `root` is the folder paths are shown relative to (the project's).
    pub fn new(root: &Path) -> Loader {
        Loader {
            root: root.to_path_buf(),
            files: SourceFiles::default(),
            diagnostics: Vec::new(),
            unreadable: HashMap::new(),
            memo: None,
        }
    }

    /// Ids of the `what` elements (`sector`, `department`, `unit`, `source`, `term`) that were
    /// found but did not parse.
    pub fn unreadable_ids(&self, what: &str) -> &[String] {
        self.unreadable.get(what).map_or(&[], Vec::as_slice)
    }

    /// Loads `data_dir/catalogue/*.toml`.
    pub fn catalogue(&mut self, data_dir: &Path) -> Result<Catalogue, AppError> {
        let dir = data_dir.join("catalogue");
        for entry in list(&dir, "list the catalogue folder")? {
            let path = match entry {
                Entry::Data(p) if CATALOGUE_FILES.iter().any(|n| p.file_name().is_some_and(|f| f == *n)) => continue,
                Entry::Data(p) | Entry::LookAlike(p) => p,
            };
            self.ignored(&path, &format!("the catalogue is read from {} only", CATALOGUE_FILES.join(", ")));
        }
        Ok(Catalogue {
            sectors: self.parse_file(data_dir, &dir.join("sectors.toml"))?,
            departments: self.parse_file(data_dir, &dir.join("departments.toml"))?,
            units: self.parse_file(data_dir, &dir.join("units.toml"))?,
            sources: self.parse_file(data_dir, &dir.join("sources.toml"))?,
            terms: self.parse_file(data_dir, &dir.join("terms.toml"))?,
        })
    }

    /// Loads the city files `data_dir/<year>/*.toml`.
    pub fn edition(&mut self, data_dir: &Path, year: Year) -> Result<Edition, AppError> {
        let year_dir = data_dir.join(year.to_string());
        let mut cities = Vec::new();
        for entry in list(&year_dir, "list the edition folder")? {
            let path = match entry {
                Entry::Data(path) => path,
                Entry::LookAlike(path) => {
                    self.ignored(&path, "only files named `<city id>.toml`, in lower case, are read");
                    continue;
                }
            };
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            // A file that does not parse at all has its diagnostics already; nothing more to check.
            if let Some(Parsed { file, data }) = self.parse_city(data_dir, &path)? {
                cities.push(CityFile { file, stem, city: data });
            }
        }
        Ok(Edition { year, cities })
    }

    /// Names a file that would not be read, without reading it.
    fn ignored(&mut self, path: &Path, why: &str) {
        let file = self.files.add_unread(display_name(path, &self.root));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        self.diagnostics.push(
            Diagnostic::new(file, None, Rule::IgnoredFile, format!("`{name}` looks like a data file but is not read"))
                .with_hint(format!("{why}: rename it, or move it out of the data folder")),
        );
    }

    /// A diagnostic about a whole file that was not read.
    fn unread(&mut self, path: &Path, rule: Rule, message: String, hint: &str) {
        let file = self.files.add_unread(display_name(path, &self.root));
        self.diagnostics.push(Diagnostic::new(file, None, rule, message).with_hint(hint));
    }

    /// The text of a data file, or a diagnostic saying why it cannot be read: a folder, a link
    /// that leads out of the data folder (never read, so nothing of it is quoted), not UTF-8.
    fn read(&mut self, data_dir: &Path, path: &Path) -> Result<Option<FileIdx>, AppError> {
        let io = |action, source| AppError::Io { action, path: path.to_path_buf(), source };
        let meta = std::fs::symlink_metadata(path).map_err(|e| io("read the data file", e))?;
        let name = display_name(path, &self.root);
        if meta.file_type().is_symlink() {
            let inside = match (std::fs::canonicalize(path), std::fs::canonicalize(data_dir)) {
                (Ok(target), Ok(data)) => target.starts_with(data),
                _ => false,
            };
            if !inside {
                self.unread(
                    path,
                    Rule::LinkOutsideData,
                    format!("`{name}` is a link to something outside the data folder, so it is not read"),
                    "copy the file into the data folder instead of linking to it",
                );
                return Ok(None);
            }
        }
        if std::fs::metadata(path).map_err(|e| io("read the data file", e))?.is_dir() {
            self.unread(
                path,
                Rule::NotAFile,
                format!("`{name}` is a folder, not a data file"),
                "rename the folder so that its name does not end in `.toml`, or move it out of the data folder",
            );
            return Ok(None);
        }
        let bytes = std::fs::read(path).map_err(|e| io("read the data file", e))?;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(self.files.add(name, text))),
            Err(e) => {
                let bytes = e.into_bytes();
                if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
                    self.unread(
                        path,
                        Rule::NotUtf8,
                        format!("`{name}` is saved as UTF-16, not UTF-8"),
                        "save it as UTF-8 (in the editor's \"Save as\" dialog, choose the encoding UTF-8)",
                    );
                    return Ok(None);
                }
                // The text up to the first bad byte is good, so line and column can be named.
                let bad = std::str::from_utf8(&bytes).err().map_or(0, |e| e.valid_up_to());
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let file = self.files.add(name.clone(), text);
                self.diagnostics.push(
                    Diagnostic::new(
                        file,
                        Some(bad..bad + '\u{FFFD}'.len_utf8()),
                        Rule::NotUtf8,
                        format!("`{name}` is not UTF-8: the byte 0x{:02X} here is not valid in UTF-8", bytes[bad]),
                    )
                    .with_hint(
                        "save it as UTF-8 (Chinese editors often save as GBK; in the \"Save as\" dialog, choose \
                         the encoding UTF-8)",
                    ),
                );
                Ok(None)
            }
        }
    }

    /// [`Loader::parse_file`] for a city file, taken from the memo where one is kept and the
    /// text is the one parsed before.
    fn parse_city(&mut self, data_dir: &Path, path: &Path) -> Result<Option<Parsed<City>>, AppError> {
        let Some(mut memo) = self.memo.take() else { return self.parse_file(data_dir, path) };
        let parsed = self.parse_city_with(&mut memo, data_dir, path);
        self.memo = Some(memo);
        parsed
    }

    fn parse_city_with(
        &mut self,
        memo: &mut CityMemo,
        data_dir: &Path,
        path: &Path,
    ) -> Result<Option<Parsed<City>>, AppError> {
        let Some(idx) = self.read(data_dir, path)? else { return Ok(None) };
        memo.seen.insert(path.to_path_buf());
        let text = self.files.text(idx);
        if let Some(known) = memo.cities.get(path).filter(|m| m.text == text) {
            self.diagnostics.extend(known.diagnostics.iter().cloned().map(|d| Diagnostic { file: idx, ..d }));
            if !known.unreadable.is_empty() {
                self.unreadable.entry(City::KEY).or_default().extend(known.unreadable.iter().cloned());
            }
            return Ok(known.city.clone().map(|data| Parsed { file: idx, data }));
        }
        let text = text.to_string();
        let (found, broken) = (self.diagnostics.len(), self.unreadable.get(City::KEY).map_or(0, Vec::len));
        let parsed = self.parse_text::<City>(idx)?;
        memo.parsed += 1;
        let unreadable = self.unreadable.get(City::KEY).map_or(&[][..], |ids| &ids[broken..]).to_vec();
        let city = parsed.as_ref().map(|p| p.data.clone());
        let diagnostics = self.diagnostics[found..].to_vec();
        memo.cities.insert(path.to_path_buf(), MemoCity { text, city, diagnostics, unreadable });
        Ok(parsed)
    }

    /// Reads and parses one file. `Ok(None)` means it was read but has syntax or shape errors,
    /// which are recorded as diagnostics: every syntax error, and every broken element of the
    /// file's main array (`[[indicator]]`, `[[sector]]` …), not just the first.
    fn parse_file<T: DeserializeOwned + HasElements>(
        &mut self,
        data_dir: &Path,
        path: &Path,
    ) -> Result<Option<Parsed<T>>, AppError> {
        let Some(idx) = self.read(data_dir, path)? else { return Ok(None) };
        self.parse_text(idx)
    }

    /// Parses the file read as `idx` (see [`Loader::parse_file`]).
    fn parse_text<T: DeserializeOwned + HasElements>(&mut self, idx: FileIdx) -> Result<Option<Parsed<T>>, AppError> {
        let text = self.files.text(idx);
        let (table, syntax_errors) = DeTable::parse_recoverable(text);
        if !syntax_errors.is_empty() {
            let found = syntax_diagnostics(idx, text, syntax_errors);
            self.diagnostics.extend(found);
            return Ok(None);
        }
        self.diagnostics.extend(scan_file(idx, text, &table));
        let whole = T::deserialize(toml::de::Deserializer::from(table.clone()));
        match whole {
            Ok(data) => Ok(Some(Parsed { file: idx, data })),
            Err(first) => {
                // Keep what does parse, so the later rules still check it and every problem of
                // the file shows in one run; the errors already stop any build.
                let recovered = T::recover(&table);
                let mut seen = std::collections::HashSet::new();
                for e in std::iter::once(first).chain(recovered.errors) {
                    if seen.insert((e.span(), e.message().to_string())) {
                        self.diagnostics.push(toml_error(idx, text, &e));
                    }
                }
                self.unreadable.entry(T::KEY).or_default().extend(recovered.broken_ids);
                Ok(recovered.partial.map(|data| Parsed { file: idx, data }))
            }
        }
    }
}

/// The city ids of every edition in the data folder (`<year>/<id>.toml` in each four-digit
/// folder), from the file names alone: what a city office of the catalogue, which serves every
/// edition, may name. A folder that cannot be listed adds nothing; reading the edition reports it.
pub fn cities_of_every_edition(data_dir: &Path) -> Vec<String> {
    let years = std::fs::read_dir(data_dir).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| {
        p.file_name().is_some_and(|n| n.len() == 4 && n.as_encoded_bytes().iter().all(u8::is_ascii_digit)) && p.is_dir()
    });
    let mut ids: Vec<String> = years
        .flat_map(|year| list(&year, "list the edition folder").unwrap_or_default())
        .filter_map(|entry| match entry {
            Entry::Data(p) => p.file_stem().map(|s| s.to_string_lossy().into_owned()),
            Entry::LookAlike(_) => None,
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The entries of a data folder that are, or look like, data files, in name order. Hidden files
/// (editors' locks and swap files) are neither.
fn list(dir: &Path, action: &'static str) -> Result<Vec<Entry>, AppError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| AppError::Io { action, path: dir.to_path_buf(), source })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    Ok(paths
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            if name.starts_with('.') {
                return None;
            }
            if p.extension().is_some_and(|x| x == "toml") {
                return Some(Entry::Data(p));
            }
            looks_like_data(&name).then_some(Entry::LookAlike(p))
        })
        .collect())
}

/// `wuwei.TOML`, `jinchang.toml.txt`, `x.toml.bak`, `x.tml`: a data file under a name that is
/// not read, which would drop a city from the book without a word.
fn looks_like_data(name: &str) -> bool {
    let lower = name.to_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, x)| x);
    lower.contains(".toml") || (!ext.is_empty() && strsim::levenshtein(ext, "toml") <= 1)
}

/// Syntax errors as diagnostics, without the cascade an unclosed inline table causes: TOML 1.1
/// lets an inline table go on over lines, so a missing `}` swallows the rest of the file and
/// every later line becomes an error. Each such table is closed where its line ends, the
/// repaired text parsed again, and only its errors (and one for each missing `}`) reported.
fn syntax_diagnostics(file: FileIdx, text: &str, errors: Vec<toml::de::Error>) -> Vec<Diagnostic> {
    let mut repaired = text.to_string();
    // Positions of the inserted `}` in the repaired text, ascending.
    let mut inserted: Vec<usize> = Vec::new();
    let back = |inserted: &[usize], p: usize| p - inserted.iter().filter(|&&q| q < p).count();
    let mut out = Vec::new();
    let mut errors = errors;
    // Each round closes one table; a file has few, and each round must lower the error count.
    for _ in 0..16 {
        if !errors.iter().any(|e| e.message().starts_with("unclosed inline table")) {
            break;
        }
        let Some(open) = first_unclosed_inline_table(&repaired) else { break };
        if !repaired.is_char_boundary(open.close_at) {
            break;
        }
        let mut candidate = repaired.clone();
        candidate.insert(open.close_at, '}');
        let (_, again) = DeTable::parse_recoverable(&candidate);
        if again.len() >= errors.len() {
            break;
        }
        let brace = back(&inserted, open.brace);
        out.push(
            Diagnostic::new(
                file,
                Some(brace..brace + 1),
                Rule::UnclosedInlineTable,
                "this inline table `{` has no closing `}` on its line",
            )
            .with_hint("add `}` at the end of the line, e.g. `name = { zh = \"…\", en = \"…\" }`"),
        );
        let shift = inserted.iter().filter(|&&q| q < open.close_at).count();
        for q in inserted.iter_mut().skip(shift) {
            *q += 1;
        }
        inserted.insert(shift, open.close_at);
        repaired = candidate;
        errors = again;
    }
    for e in &errors {
        let mut d = if e.message().contains("recursion limit") {
            too_deep(file, &repaired)
        } else {
            toml_error(file, &repaired, e)
        };
        d.span = d.span.map(|s| back(&inserted, s.start)..back(&inserted, s.end).max(back(&inserted, s.start)));
        out.push(d);
    }
    out.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    // The reader may stop at the same place several times (a recursion limit was once reported
    // 50 times): one mistake, one finding.
    out.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
    out
}

/// The TOML reader gave up on nesting: points at the deepest `of_which` header, which is where
/// the nesting can be undone.
fn too_deep(file: FileIdx, text: &str) -> Diagnostic {
    let (mut deepest, mut at) = (0, None);
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let header = line.trim_start();
        if let Some(inner) = header.strip_prefix("[[").and_then(|h| h.split("]]").next()) {
            let depth = inner.matches("of_which").count();
            if depth > deepest {
                deepest = depth;
                let start = offset + (line.len() - header.len());
                at = Some(start..start + header.trim_end().len());
            }
        }
        offset += line.len();
    }
    let message = if deepest > 0 {
        format!("the `of_which` parts nest {deepest} levels deep, more than a TOML reader follows")
    } else {
        "tables or arrays nest more deeply than a TOML reader follows".to_string()
    };
    Diagnostic::new(file, at, Rule::TomlSyntax, message)
        .with_hint("a part of a part is as deep as a yearbook table goes: give the deeper items as parts of one level")
}

/// An inline table left open at the end of the line that opens it.
struct OpenTable {
    /// The byte of its `{`.
    brace: usize,
    /// Where its `}` belongs: the end of the line, before any comment and trailing blanks.
    close_at: usize,
}

/// The first inline table left open at the end of the line that opens it.
fn first_unclosed_inline_table(text: &str) -> Option<OpenTable> {
    #[derive(PartialEq)]
    enum In {
        Code,
        Basic,
        Literal,
        MlBasic,
        MlLiteral,
    }
    let bytes = text.as_bytes();
    let mut state = In::Code;
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut line_start = 0;
    let mut content_end = 0;
    let mut i = 0;
    let unclosed_here = |open: &[(u8, usize)], line_start: usize| {
        open.iter().find(|(k, at)| *k == b'{' && *at >= line_start).map(|&(_, at)| at)
    };
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &bytes[i..];
        match state {
            In::Code => match b {
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'"' if rest.starts_with(b"\"\"\"") => {
                    state = In::MlBasic;
                    i += 3;
                    continue;
                }
                b'\'' if rest.starts_with(b"'''") => {
                    state = In::MlLiteral;
                    i += 3;
                    continue;
                }
                b'"' => state = In::Basic,
                b'\'' => state = In::Literal,
                b'{' | b'[' => open.push((b, i)),
                b'}' | b']' => {
                    open.pop();
                }
                b'\n' => {
                    if let Some(brace) = unclosed_here(&open, line_start) {
                        return Some(OpenTable { brace, close_at: content_end });
                    }
                    line_start = i + 1;
                }
                _ => {}
            },
            In::Basic | In::Literal => {
                let quote = if state == In::Basic { b'"' } else { b'\'' };
                if b == b'\\' && state == In::Basic {
                    i += 1;
                } else if b == quote {
                    state = In::Code;
                } else if b == b'\n' {
                    // An unclosed string ends with its line (the parser reports it).
                    state = In::Code;
                    continue;
                }
            }
            In::MlBasic => {
                if b == b'\\' {
                    i += 1;
                } else if rest.starts_with(b"\"\"\"") {
                    state = In::Code;
                    i += 3;
                    continue;
                }
            }
            In::MlLiteral => {
                if rest.starts_with(b"'''") {
                    state = In::Code;
                    i += 3;
                    continue;
                }
            }
        }
        if state != In::Code || !b.is_ascii_whitespace() {
            content_end = (i + 1).min(bytes.len());
        }
        i += 1;
    }
    unclosed_here(&open, line_start).map(|brace| OpenTable { brace, close_at: content_end })
}

/// The elements of a file's main array, deserialized one by one.
pub struct Recovered<T> {
    /// The file without its broken elements, if the rest parses.
    pub partial: Option<T>,
    pub errors: Vec<toml::de::Error>,
    /// The ids of broken elements, where the id itself is readable.
    pub broken_ids: Vec<String>,
}

/// Files whose body is an array of tables: their elements are deserialized one by one, so one
/// broken element neither hides the errors of the others nor keeps them from being checked.
pub trait HasElements: Sized {
    /// The key of the main array, which is also what its ids name (`sector`, `unit` …).
    const KEY: &'static str;
    /// The file without its broken parts (if the rest parses), the errors found, and the ids
    /// of the broken elements.
    fn recover(table: &Spanned<DeTable<'_>>) -> Recovered<Self>;
}

/// Deserializes each element of the array `key` on its own: the good ones, the errors, and the
/// ids of the broken ones.
fn elements_of<E: DeserializeOwned>(
    table: &Spanned<DeTable<'_>>,
    key: &str,
) -> (Vec<E>, Vec<toml::de::Error>, Vec<String>) {
    let mut good = Vec::new();
    let mut out = Vec::new();
    let mut broken = Vec::new();
    for (k, v) in table.get_ref().iter() {
        if &**k.get_ref() != key {
            continue;
        }
        if let DeValue::Array(items) = v.get_ref() {
            for item in items.iter() {
                match E::deserialize(toml::de::ValueDeserializer::from(item.clone())) {
                    Ok(e) => good.push(e),
                    Err(e) => {
                        out.push(e);
                        if let DeValue::Table(t) = item.get_ref()
                            && let Some((_, id)) = t.iter().find(|(k, _)| &**k.get_ref() == "id")
                            && let DeValue::String(id) = id.get_ref()
                        {
                            broken.push(id.to_string());
                        }
                    }
                }
            }
        }
    }
    (good, out, broken)
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
            const KEY: &'static str = $key;
            fn recover(table: &Spanned<DeTable<'_>>) -> Recovered<Self> {
                let (good, mut errors, broken_ids) = elements_of::<$element>(table, $key);
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
                Recovered { partial, errors, broken_ids }
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

/// Turns a toml/serde error into a diagnostic with a rule name and a hint. `text` is the file's.
fn toml_error(file: FileIdx, text: &str, e: &toml::de::Error) -> Diagnostic {
    // serde names Rust types; the clerk reading this knows numbers and text.
    let message = e
        .message()
        .trim()
        .replace("expected f64", "expected a number")
        .replace("expected i64", "expected a whole number")
        .replace("expected a string", "expected text in quotes");
    let span = e.span();
    let literal = span.clone().and_then(|s| text.get(s)).unwrap_or("").trim();
    let expected = message.split_once(", expected ").map_or("something else", |(_, x)| x).to_string();
    // toml hands a date or time to serde as a map, and an integer beyond 64 bits as an i128.
    let is_date = literal.len() >= 5
        && literal.as_bytes()[..2].iter().all(u8::is_ascii_digit)
        && (literal.contains('-') || literal.contains(':'));
    if message.starts_with("invalid type: map") && is_date {
        return Diagnostic::new(
            file,
            span,
            Rule::UnquotedDate,
            format!("`{literal}` is written as a date, but {expected} is expected here"),
        )
        .with_hint(format!(
            "text goes in quotes (`\"{literal}\"`); a year is a plain number (`{}`)",
            &literal[..4.min(literal.len())]
        ));
    }
    if message.contains(" as i128") {
        return Diagnostic::new(
            file,
            span,
            Rule::NumberTooLarge,
            format!("the number `{literal}` is too large for a figure"),
        )
        .with_hint(
            "check for extra digits: a whole number has at most 19 digits (a larger one needs a decimal point)",
        );
    }
    if message.starts_with("floating-point number overflowed") {
        return Diagnostic::new(
            file,
            span,
            Rule::NumberTooLarge,
            format!("the number `{literal}` is too large for a figure"),
        )
        .with_hint("check the exponent: a figure must be smaller than 1.7e308");
    }
    let message = message.replace("invalid type: map", "invalid type: table");
    let (rule, hint) = if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let options: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let hint = match closest(field, &options) {
            Some(best) => format!("did you mean `{best}`?"),
            None if !options.is_empty() => format!("allowed keys here: {}", options.join(", ")),
            None => "remove this key".to_string(),
        };
        (Rule::UnknownKey, Some(hint))
    } else if message.starts_with("missing field") {
        (Rule::MissingKey, Some("add the key; docs/data-format.md lists what each table needs".to_string()))
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        (Rule::WrongType, Some("check the value's type: text in quotes, numbers without quotes".to_string()))
    } else if message.starts_with("unknown variant") {
        let hint = message.split_once("expected").map(|(_, rest)| format!("use{rest}"));
        (Rule::UnknownVariant, hint)
    } else {
        (Rule::TomlSyntax, Some("see https://toml.io for the syntax; strings need quotes".to_string()))
    };
    let mut d = Diagnostic::new(file, span, rule, message);
    d.hint = hint;
    d
}

/// The option nearest to `word` by edit distance, if it is plausibly a typo.
pub fn closest<'a>(word: &str, options: &[&'a str]) -> Option<&'a str> {
    options
        .iter()
        .map(|o| (strsim::levenshtein(word, o), *o))
        .filter(|(d, o)| *d <= (o.chars().count().max(3) / 3).max(1) + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A watcher's loads parse only the files whose text changed, and give what a full parse gives.
    #[test]
    fn a_watchers_memo_parses_only_the_files_that_changed() {
        let dir = tempfile::tempdir().unwrap();
        let year = Year::new(2025).unwrap();
        let folder = dir.path().join("2025");
        std::fs::create_dir_all(&folder).unwrap();
        let shipped =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/2025/wuwei.toml")).unwrap();
        std::fs::write(folder.join("wuwei.toml"), &shipped).unwrap();
        std::fs::write(folder.join("broken.toml"), "id = \"broken\"\nname = {\n").unwrap();
        let load = |memo: Option<CityMemo>| {
            let mut loader = Loader::new(dir.path());
            loader.memo = memo;
            let edition = loader.edition(dir.path(), year).unwrap();
            let cities: Vec<String> = edition.cities.iter().map(|c| format!("{:?}", c.city)).collect();
            let found: Vec<String> = loader
                .diagnostics
                .iter()
                .map(|d| format!("{} {:?} {}", loader.files.name(d.file), d.span, d.message))
                .collect();
            let mut memo = loader.memo.take();
            if let Some(m) = &mut memo {
                m.end_load();
            }
            (cities, found, memo)
        };
        let (cities, found, _) = load(None);
        assert_eq!(cities.len(), 1);
        assert!(!found.is_empty(), "the broken file is named");
        let (first, first_found, memo) = load(Some(CityMemo::default()));
        assert_eq!((&first, &first_found), (&cities, &found));
        assert_eq!(memo.as_ref().unwrap().parsed, 2);
        let (again, again_found, memo) = load(memo);
        assert_eq!((&again, &again_found), (&cities, &found));
        assert_eq!(memo.as_ref().unwrap().parsed, 2, "nothing changed: nothing parsed");
        std::fs::write(folder.join("broken.toml"), shipped.replacen("id = \"wuwei\"", "id = \"broken\"", 1)).unwrap();
        let (mended, mended_found, memo) = load(memo);
        assert_eq!(memo.as_ref().unwrap().parsed, 3, "the changed file alone is parsed again");
        assert_eq!(mended.len(), 2);
        assert!(mended_found.is_empty(), "{mended_found:?}");
        std::fs::remove_file(folder.join("broken.toml")).unwrap();
        let (left, _, memo) = load(memo);
        assert_eq!(left.len(), 1);
        assert_eq!(memo.unwrap().cities.len(), 1, "a removed file is forgotten");
    }

    #[test]
    fn closest_finds_typos_and_rejects_strangers() {
        let opts = ["value", "unit", "target", "completion"];
        assert_eq!(closest("valeu", &opts), Some("value"));
        assert_eq!(closest("complition", &opts), Some("completion"));
        assert_eq!(closest("zzzzzzzz", &opts), None);
    }

    #[test]
    fn look_alikes_of_data_files_are_recognised() {
        for name in ["wuwei.TOML", "jinchang.toml.txt", "x.toml.bak", "x.tml", "x.toml~", "x.tomll"] {
            assert!(looks_like_data(name), "{name}");
        }
        for name in ["README.md", "notes.txt", "x.yaml", "tomlinson.md"] {
            assert!(!looks_like_data(name), "{name}");
        }
    }

    #[test]
    fn the_open_brace_of_an_unclosed_inline_table_is_found() {
        let text = "a = 1\nname = { zh = \"x}\", en = \"y\" # note }\nb = { c = 1 }\n";
        let open = first_unclosed_inline_table(text).unwrap();
        assert_eq!(&text[open.brace..=open.brace], "{");
        assert_eq!(&text[..open.close_at], "a = 1\nname = { zh = \"x}\", en = \"y\"");
        assert!(first_unclosed_inline_table("a = { b = 1 }\nc = [\n 1,\n]\n").is_none());
    }
}
