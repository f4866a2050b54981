//! The plan of a run: the configuration and the command-line options resolved once into the
//! edition, the selection, the PDF standard and the paths of the edition's own outputs. What
//! the configuration and the flags alone can show to be wrong (a year with no data, an unknown
//! `--city`) is refused here, before anything is loaded. Stages read the plan instead of flags.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::AppError;
use crate::year::Year;

/// PDF standards an edition can claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfPreset {
    /// Plain PDF 1.7.
    Plain,
    /// PDF/A-2b: the print edition.
    A2b,
    /// PDF/A-3b with PDF/UA-1: the tagged, accessible archive edition.
    A3bUa,
}

impl PdfPreset {
    /// Only the archive edition is tagged: PDF/UA-1 requires it, and it is the edition kept for
    /// readers of every kind. Tags multiply the file size (2.6x on the 4-city book, about 7x on
    /// 300 cities) and the export time; the print edition does without them. Untagged PDF/A-2b
    /// passes page-validation since stream ends are written unambiguously (`pdf_eol`).
    pub fn tagged(self) -> bool {
        matches!(self, PdfPreset::A3bUa)
    }

    /// Only PDF/A-3 may carry the edition's sources and workbook as associated files.
    pub fn attaches_sources(self) -> bool {
        matches!(self, PdfPreset::A3bUa)
    }
}

/// Which languages the edition prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Bilingual,
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Bilingual => "bilingual",
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// Options a command may set; `None`/empty means "as the configuration says".
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub data: Option<PathBuf>,
    pub year: Option<Year>,
    pub out: Option<PathBuf>,
    pub cities: Vec<String>,
    pub lang: Lang,
    pub pdf: PdfPreset,
    pub keep_typ: bool,
    pub sources: Option<PathBuf>,
    /// The run may start an edition whose data folder does not exist yet (`new-city`).
    pub new_edition: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            data: None,
            year: None,
            out: None,
            cities: Vec::new(),
            lang: Lang::Bilingual,
            pdf: PdfPreset::A2b,
            keep_typ: false,
            sources: None,
            new_edition: false,
        }
    }
}

/// Everything a run needs to know, decided before anything is read.
#[derive(Debug, Clone)]
pub struct Plan {
    pub config: Config,
    pub year: Year,
    pub data_dir: PathBuf,
    /// The previous edition's year, when its data are beside this one's: last year's figures and
    /// the changes since come from it.
    pub previous: Option<Year>,
    /// City ids to print; empty for all.
    pub cities: Vec<String>,
    pub lang: Lang,
    pub pdf: PdfPreset,
    pub keep_typ: bool,
    /// Archived source texts to trace every figure to, if any.
    pub sources_dir: Option<PathBuf>,
    pub output: OutputPlan,
}

/// Where the edition lands: `<parent>/<folder>/` holding the named files.
/// The hidden folder of the output folder that holds the layout cache.
pub const LAYOUT_CACHE: &str = ".yearbook-cache";

#[derive(Debug, Clone)]
pub struct OutputPlan {
    pub parent: PathBuf,
    pub folder: String,
    pub pdf: String,
    pub xlsx: String,
    pub typ: String,
}

impl OutputPlan {
    pub fn dir(&self) -> PathBuf {
        self.parent.join(&self.folder)
    }

    /// The layout cache of this edition's PDF: hidden beside the edition folders, never in one
    /// (an edition folder holds the edition and nothing else), one folder per PDF (the
    /// languages and standards of a year each have their own parts).
    pub fn layout_cache(&self) -> PathBuf {
        let stem = self.pdf.strip_suffix(".pdf").unwrap_or(&self.pdf);
        self.parent.join(LAYOUT_CACHE).join(&self.folder).join(stem)
    }

    /// The folder of the departments' workbooks, beside the edition's: `2025-departments`, or
    /// `2025-departments-by-city` when split by city.
    pub fn departments_folder(&self, per_city: bool) -> String {
        let suffix = if per_city { "-by-city" } else { "" };
        format!("{}-departments{suffix}", self.folder)
    }

    /// Whether a file of a departments folder is one of its workbooks, as
    /// [`Self::department_workbook`] names them.
    pub fn is_department_workbook(&self, name: &str) -> bool {
        name.starts_with(&format!("yearbook-{}-", self.folder)) && name.ends_with(".xlsx")
    }

    /// One department's workbook: `yearbook-2025-education.xlsx`, `…-education-wuwei.xlsx`.
    pub fn department_workbook(&self, department: &str, city: Option<&str>) -> String {
        match city {
            Some(city) => format!("yearbook-{}-{department}-{city}.xlsx", self.folder),
            None => format!("yearbook-{}-{department}.xlsx", self.folder),
        }
    }
}

impl Plan {
    /// Resolves the configuration and the options, refusing a year with no data folder and a
    /// `--city` with no file in it, before anything is loaded.
    pub fn new(config: Config, o: PlanOptions) -> Result<Plan, AppError> {
        let year = o.year.unwrap_or(config.year);
        let data_dir = o.data.unwrap_or_else(|| config.data_dir.clone());
        let edition_dir = data_dir.join(year.to_string());
        if !o.new_edition && !edition_dir.is_dir() {
            return Err(AppError::Usage(no_edition(&data_dir, year)));
        }
        if !o.cities.is_empty() {
            let known = city_files(&edition_dir)?;
            if let Some(unknown) = o.cities.iter().find(|id| !known.contains(id)) {
                return Err(AppError::Usage(no_city(unknown, year, &known)));
            }
        }
        let parent = o.out.unwrap_or_else(|| config.output_dir.clone());
        let mut stem = match o.lang {
            Lang::Bilingual => format!("yearbook-{year}"),
            lang => format!("yearbook-{year}-{}", lang.code()),
        };
        if o.pdf.attaches_sources() {
            stem.push_str("-archive");
        }
        let output = OutputPlan {
            parent,
            folder: year.to_string(),
            pdf: format!("{stem}.pdf"),
            xlsx: format!("yearbook-{year}.xlsx"),
            typ: format!("{stem}.typ"),
        };
        let sources_dir = o.sources.or_else(|| config.sources_dir.clone());
        let previous = Some(year.previous()).filter(|y| data_dir.join(y.to_string()).is_dir());
        Ok(Plan {
            config,
            year,
            data_dir,
            previous,
            cities: o.cities,
            lang: o.lang,
            pdf: o.pdf,
            keep_typ: o.keep_typ,
            sources_dir,
            output,
        })
    }
}

/// Why there is no edition to read: the folder that is missing, and the editions there are.
fn no_edition(data_dir: &Path, year: Year) -> String {
    let mut years: Vec<String> = std::fs::read_dir(data_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    years.sort();
    let there = match years.as_slice() {
        [] => "it holds no edition folder".to_string(),
        years => format!("its editions: {}", years.join(", ")),
    };
    format!(
        "there is no {year} edition in `{}`: the folder `{year}` is missing ({there}); choose another year with \
         --year, or create the folder with `yearbook new-city ID --year {year}`",
        data_dir.display()
    )
}

/// The city ids of an edition, as its file names give them (`wuwei.toml` → `wuwei`).
fn city_files(edition_dir: &Path) -> Result<Vec<String>, AppError> {
    let entries = std::fs::read_dir(edition_dir).map_err(|source| AppError::Io {
        action: "list the edition folder",
        path: edition_dir.to_path_buf(),
        source,
    })?;
    let mut ids: Vec<String> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    ids.sort();
    Ok(ids)
}

/// An unknown `--city`: the nearest id by spelling, and every id there is.
fn no_city(unknown: &str, year: Year, known: &[String]) -> String {
    let options: Vec<&str> = known.iter().map(String::as_str).collect();
    let near = crate::load::closest(unknown, &options).map(|id| format!("; did you mean `{id}`?")).unwrap_or_default();
    format!("there is no city `{unknown}` in the {year} edition{near} (cities: {})", known.join(", "))
}

impl Plan {
    /// Refuses an output folder inside a folder the build reads (`--out data` once swapped the
    /// data folder's edition for the book; under `watch`, each landing was an edit that started
    /// the next build). An input folder inside the output folder is fine: the edition lands in
    /// `<out>/<year>/`, beside it.
    pub fn check_output(&self) -> Result<(), AppError> {
        let out = absolute(&self.output.parent);
        let mut inputs = vec![
            ("data", &self.data_dir),
            ("templates", &self.config.templates_dir),
            ("fonts", &self.config.fonts_dir),
        ];
        inputs.extend(self.sources_dir.as_ref().map(|s| ("sources", s)));
        for (what, dir) in inputs {
            if out.starts_with(absolute(dir)) {
                return Err(AppError::Usage(format!(
                    "the output folder `{}` is inside the {what} folder `{}`, which the build reads; \
                     nothing was written. Name another folder with `--out DIR` or `[paths] output`",
                    self.output.parent.display(),
                    dir.display()
                )));
            }
        }
        Ok(())
    }
}

/// `path` made absolute with its links resolved, as far as it exists (an output folder may not
/// exist yet).
fn absolute(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |p: PathBuf, part| p.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return path,
        }
    }
}
