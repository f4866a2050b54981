//! The plan of a run: the configuration and the command-line options resolved once into the
//! edition, the selection and every path the run reads or writes. Stages read the plan; none of
//! them looks at flags or makes up a file name of its own.

use std::path::PathBuf;

use crate::config::Config;
use crate::print::typeset::PdfPreset;

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
    pub year: Option<i32>,
    pub out: Option<PathBuf>,
    pub cities: Vec<String>,
    pub lang: Lang,
    pub pdf: PdfPreset,
    pub keep_typ: bool,
    pub sources: Option<PathBuf>,
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
        }
    }
}

/// Everything a run needs to know, decided before anything is read.
#[derive(Debug, Clone)]
pub struct Plan {
    pub config: Config,
    pub year: i32,
    pub data_dir: PathBuf,
    /// The previous edition's year, when its data are beside this one's: last year's figures and
    /// the changes since come from it.
    pub previous: Option<i32>,
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

    /// The folder of the departments' workbooks, beside the edition's: `2025-departments`, or
    /// `2025-departments-by-city` when split by city.
    pub fn departments_folder(&self, per_city: bool) -> String {
        let suffix = if per_city { "-by-city" } else { "" };
        format!("{}-departments{suffix}", self.folder)
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
    pub fn new(config: Config, o: PlanOptions) -> Plan {
        let year = o.year.unwrap_or(config.year);
        let data_dir = o.data.unwrap_or_else(|| config.data_dir.clone());
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
        let previous = Some(year - 1).filter(|y| data_dir.join(y.to_string()).is_dir());
        Plan {
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
        }
    }
}
