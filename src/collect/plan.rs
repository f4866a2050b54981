//! One import run, in memory: every return read and checked, and, when nothing was found, the
//! new texts of every data file it touches (city files of the year, the catalogue's sources),
//! ready for the caller to land as one unit. Annotated copies of returns are made here too.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::import::{self, Context, Figure, Limits, Return};
use super::rules::{Finding, ImportRule, Place};
use super::write::{self, Changes, ReturnSource};
use super::{long, workbook};
use crate::config::Config;
use crate::diagnostics::Severity;
use crate::error::AppError;
use crate::load::{Catalogue, Edition, Loader};
use crate::model::Text;
use crate::year::Year;

/// What one city file gets.
#[derive(Debug, Clone)]
pub struct CityOutcome {
    /// `data/<year>/<city>.toml` as shown.
    pub file: String,
    pub changes: Changes,
}

/// The result of an import run.
pub struct Outcome {
    pub year: Year,
    pub returns: Vec<Return>,
    pub findings: Vec<Finding>,
    pub cities: Vec<CityOutcome>,
    /// The data folder's files to land (`catalogue/…`, `<year>/…`), empty when nothing changes.
    pub files: Vec<(String, Vec<u8>)>,
    unchanged: bool,
}

impl Outcome {
    pub fn files_with_findings(&self) -> usize {
        let mut files: Vec<&str> = self.findings.iter().map(|f| f.place.file.as_str()).collect();
        files.sort_unstable();
        files.dedup();
        files.len()
    }

    pub fn figures(&self) -> usize {
        self.returns.iter().map(|r| r.figures.len()).sum()
    }

    pub fn is_unchanged(&self) -> bool {
        self.unchanged
    }
}

/// Today's date (UTC), `YYYY-MM-DD`, for a return's date received.
pub fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, m, d) = import::civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

struct Loaded {
    catalogue: Catalogue,
    /// The latest edition before the year, and the year's own (if begun).
    latest: Option<Edition>,
    current: Option<Edition>,
}

fn load(config: &Config, data_dir: &Path, year: Year) -> Result<Loaded, AppError> {
    let years = super::years(data_dir);
    let mut loader = Loader::new(&config.root);
    let catalogue = loader.catalogue(data_dir)?;
    let latest = years.iter().rev().find(|y| **y < year).map(|y| loader.edition(data_dir, *y)).transpose()?;
    let current = if years.contains(&year) { Some(loader.edition(data_dir, year)?) } else { None };
    let errors = loader.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    if errors > 0 {
        return Err(AppError::Usage(format!(
            "the data in `{}` has {errors} error(s); run `yearbook check --year {year}` and fix them before importing",
            data_dir.display()
        )));
    }
    Ok(Loaded { catalogue, latest, current })
}

fn read_file(path: &Path) -> Result<Vec<u8>, AppError> {
    std::fs::read(path).map_err(|source| AppError::Io { action: "read the return", path: path.to_path_buf(), source })
}

fn shown(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// Reads and checks every return; with no finding, prepares the data files.
pub fn import(
    config: &Config,
    data_dir: &Path,
    paths: &[PathBuf],
    year: Option<Year>,
    long_form: bool,
    today: &str,
) -> Result<Outcome, AppError> {
    let limits = Limits { change: config.collect.change_limit, completion: config.collect.completion_limit };
    let mut contents = Vec::new();
    for p in paths {
        contents.push((shown(p), read_file(p)?));
    }
    // The year is known before the data are loaded: --year, else the first return's own, read
    // from its identity sheet alone (not the whole workbook against the catalogue).
    let year = match year {
        Some(y) => y,
        None if long_form => {
            return Err(AppError::Usage("give the year of a long-form sheet with --year YYYY".into()));
        }
        None => contents
            .iter()
            .find_map(|(_, bytes)| {
                import::identity(bytes)
                    .filter(|m| m.get("template_version").map(String::as_str) == Some(super::TEMPLATE_VERSION))
                    .and_then(|m| m.get("year")?.parse::<i32>().ok().and_then(Year::new))
            })
            .or_else(|| super::years(data_dir).last().map(|y| y.next()))
            .unwrap_or(config.year.next()),
    };
    let loaded = load(config, data_dir, year)?;
    let ctx = Context { catalogue: &loaded.catalogue, year: Some(year.get()), limits };
    let mut returns: Vec<Return> = if long_form {
        contents
            .iter()
            .map(|(name, bytes)| long::read(name, bytes, &ctx, loaded.latest.as_ref(), loaded.current.as_ref()))
            .collect()
    } else {
        read_each(&contents, |name, bytes| import::read(name, bytes, &ctx))
    };
    // Two returns for one department and city: which one counts is the office's call.
    let mut seen: HashMap<(String, String), String> = HashMap::new();
    for r in &mut returns {
        if long_form {
            continue;
        }
        let (Some(d), c) = (&r.department, r.city.clone().unwrap_or_default()) else { continue };
        if let Some(first) = seen.insert((d.clone(), c.clone()), r.file.clone()) {
            r.findings.push(
                Finding::new(
                    Place { file: r.file.clone(), sheet: None, cell: None },
                    ImportRule::DuplicateReturn,
                    format!(
                        "is a second return for department `{d}`{} in this run, after {first}",
                        if c.is_empty() { String::new() } else { format!(" and city `{c}`") }
                    ),
                )
                .hint("import one of them: the later return replaces the earlier one when imported on its own"),
            );
        }
    }
    let findings: Vec<Finding> = returns.iter().flat_map(|r| r.findings.clone()).collect();
    let mut outcome = Outcome { year, returns, findings, cities: Vec::new(), files: Vec::new(), unchanged: true };
    if !outcome.findings.is_empty() {
        return Ok(outcome);
    }
    prepare(&mut outcome, &loaded, data_dir, year.get(), today)?;
    Ok(outcome)
}

/// `read` of every file, in the files' order, on every core: unzipping and checking one
/// workbook does not depend on another, and a national round brings hundreds.
fn read_each<T: Send>(contents: &[(String, Vec<u8>)], read: impl Fn(&str, &[u8]) -> T + Sync) -> Vec<T> {
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(contents.len());
    crate::workers::map(workers, contents, |(name, bytes)| read(name, bytes))
}

fn city_name(loaded: &Loaded, id: &str) -> Option<(Text, Option<Text>)> {
    [&loaded.current, &loaded.latest]
        .into_iter()
        .flatten()
        .flat_map(|e| &e.cities)
        .find(|c| c.city.id.get_ref() == id)
        .map(|c| ((&c.city.name).into(), c.city.province.as_ref().map(Into::into)))
}

fn prepare(outcome: &mut Outcome, loaded: &Loaded, data_dir: &Path, year: i32, today: &str) -> Result<(), AppError> {
    let year_dir = data_dir.join(year.to_string());
    let catalogue_dir = data_dir.join("catalogue");
    // Each file is parsed once and edited in memory, however many returns touch it.
    let mut texts: BTreeMap<String, toml_edit::DocumentMut> = BTreeMap::new();
    let read_text = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| AppError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })
    };
    let sources_path = catalogue_dir.join("sources.toml");
    let old_sources = read_text(&sources_path)?;
    let bad_sources = |e: String| AppError::Usage(format!("cannot edit `{}`: {e}", sources_path.display()));
    let mut sources = write::parse(&old_sources).map_err(bad_sources)?;
    let mut source_index = write::SourceIndex::new(&sources);
    let departments: HashMap<String, Text> = loaded
        .catalogue
        .departments
        .iter()
        .flat_map(|p| &p.data.department)
        .map(|d| (d.id.get_ref().clone(), (&d.name).into()))
        .collect();
    let mut created = Vec::new();
    let mut city_changes: BTreeMap<String, Changes> = BTreeMap::new();
    for r in &outcome.returns {
        let mut by_city: BTreeMap<&str, Vec<&Figure>> = BTreeMap::new();
        for c in &r.cities {
            by_city.entry(c.as_str()).or_default();
        }
        for f in &r.figures {
            by_city.entry(f.city.as_str()).or_default().push(f);
        }
        for (city, figures) in by_city {
            let department = match &r.department {
                Some(d) => d.clone(),
                None => figures.first().map(|f| f.sector.clone()).unwrap_or_default(),
            };
            let path = year_dir.join(format!("{city}.toml"));
            let key = city.to_string();
            let (name, province) =
                city_name(loaded, city).unwrap_or_else(|| (Text { zh: city.to_string(), en: city.to_string() }, None));
            let bad_city = |e: String| {
                AppError::Usage(format!(
                    "cannot edit `{}`: {e}; run `yearbook check` and fix the file first",
                    path.display()
                ))
            };
            if !texts.contains_key(&key) {
                let text = if path.is_file() {
                    read_text(&path)?
                } else if figures.is_empty() {
                    continue;
                } else {
                    created.push(key.clone());
                    write::new_city_text(city, year, &name, province.as_ref())
                };
                texts.insert(key.clone(), write::parse(&text).map_err(bad_city)?);
            }
            let source = r.source_id(year, city, &department);
            let doc = texts.get_mut(&key).expect("inserted above");
            let changes = write::edit_city_doc(doc, &source, &figures).map_err(bad_city)?;
            if figures.is_empty() && changes.removed.is_empty() {
                continue;
            }
            let entry = city_changes.entry(key).or_default();
            entry.added.extend(changes.added);
            entry.changed.extend(changes.changed);
            entry.removed.extend(changes.removed);
            entry.unchanged += changes.unchanged;
            let department_name = departments
                .get(&department)
                .cloned()
                .unwrap_or(Text { zh: department.clone(), en: department.clone() });
            write::edit_sources_doc(
                &mut sources,
                &mut source_index,
                &ReturnSource {
                    id: &source,
                    city,
                    city_name: &name,
                    department: &department,
                    department_name: &department_name,
                    year,
                    file: &r.file,
                    sha256: &r.sha256,
                    received: today,
                },
            )
            .map_err(bad_sources)?;
        }
    }
    let sources = sources.to_string();
    let texts: BTreeMap<String, String> = texts.into_iter().map(|(k, d)| (k, d.to_string())).collect();
    for c in &created {
        city_changes.entry(c.clone()).or_default().created = true;
    }
    let mut changed = old_sources != sources;
    for (city, text) in &texts {
        let path = year_dir.join(format!("{city}.toml"));
        let old = std::fs::read_to_string(&path).ok();
        if old.as_deref() != Some(text.as_str()) {
            changed = true;
        }
    }
    outcome.cities = city_changes
        .into_iter()
        .map(|(city, changes)| CityOutcome { file: format!("data/{year}/{city}.toml"), changes })
        .collect();
    outcome.unchanged = !changed;
    if !changed {
        return Ok(());
    }
    // The two folders written are replaced whole, so every file of them is listed.
    let mut files = Vec::new();
    for (dir, prefix) in [(&catalogue_dir, "catalogue".to_string()), (&year_dir, year.to_string())] {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if !p.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if prefix == "catalogue" && name == "sources.toml" {
                continue;
            }
            if prefix != "catalogue" && texts.contains_key(name.trim_end_matches(".toml")) && name.ends_with(".toml") {
                continue;
            }
            let bytes = std::fs::read(&p).map_err(|source| AppError::Io { action: "read", path: p.clone(), source })?;
            files.push((format!("{prefix}/{name}"), bytes));
        }
    }
    files.push(("catalogue/sources.toml".into(), sources.into_bytes()));
    for (city, text) in texts {
        files.push((format!("{year}/{city}.toml"), text.into_bytes()));
    }
    outcome.files = files;
    Ok(())
}

impl Return {
    /// The source id for this return's figures of one city.
    pub fn source_id(&self, year: i32, city: &str, department: &str) -> String {
        write::source_id(year, department, city)
    }
}

/// Writes, for each return with findings whose layout could be read, the workbook again with
/// what the department entered, a red fill and a note on every cell with a finding. Returns the
/// files written and their findings' count.
pub fn annotate(
    config: &Config,
    data_dir: &Path,
    outcome: &Outcome,
    dir: &Path,
) -> Result<Vec<(String, usize)>, AppError> {
    let loaded = load(config, data_dir, outcome.year)?;
    let mut written = Vec::new();
    for r in &outcome.returns {
        if r.findings.is_empty() || r.layout_hash.is_none() {
            continue;
        }
        let Some(department) = &r.department else { continue };
        let plans = workbook::plan(
            &loaded.catalogue,
            loaded.latest.as_ref(),
            loaded.current.as_ref(),
            outcome.year.get(),
            std::slice::from_ref(department),
            config.collect.deadline,
        )?;
        let Some(plan) = plans.iter().find(|p| p.city.as_ref().map(|c| &c.0) == r.city.as_ref()) else { continue };
        if Some(super::layout_hash(&plan.layout())) != r.layout_hash {
            continue;
        }
        let mut notes: HashMap<(String, String), String> = HashMap::new();
        for f in &r.findings {
            if let (Some(sheet), Some(cell)) = (&f.place.sheet, &f.place.cell) {
                let note = notes.entry((sheet.clone(), cell.clone())).or_default();
                if !note.is_empty() {
                    note.push('\n');
                }
                note.push_str(&format!("[{}] {}", f.rule.code(), f.message));
                if let Some(h) = &f.hint {
                    note.push_str(&format!(" — {h}"));
                }
            }
        }
        let bytes = workbook::write_annotated(plan, config.date, &r.cells, &notes)?;
        std::fs::create_dir_all(dir).map_err(|source| AppError::Io {
            action: "create",
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(&r.file);
        std::fs::write(&path, bytes).map_err(|source| AppError::Io { action: "write", path: path.clone(), source })?;
        written.push((r.file.clone(), r.findings.len()));
    }
    Ok(written)
}
