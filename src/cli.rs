//! The command line. Doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::diagnostics::Format;
use crate::render::Lang;
use crate::typeset::PdfPreset;

/// Builds the bilingual livelihood statistical yearbook (PDF) and its workbook (XLSX) from the
/// TOML data in data/.
#[derive(Debug, Parser)]
#[command(name = "yearbook", version, about)]
pub struct Cli {
    /// The configuration file [default: ./yearbook.toml, else the one in the source checkout]
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the data, then write dist/<year>/yearbook-<year>.pdf and .xlsx
    Build(BuildArgs),
    /// Check the data and report every problem; writes nothing
    Check(CheckArgs),
    /// Create data/<year>/<ID>.toml with every sector and the required fields, ready to fill in
    NewCity(NewCityArgs),
}

#[derive(Debug, Args)]
pub struct NewCityArgs {
    /// The city id: lower-case letters, digits and `-` (it becomes the file name)
    pub id: String,
    #[command(flatten)]
    pub selection: Selection,
}

#[derive(Debug, Args)]
pub struct Selection {
    /// Data folder [default: from yearbook.toml]
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Edition year [default: from yearbook.toml]
    #[arg(long)]
    pub year: Option<i32>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Output folder; files go to <out>/<year>/ [default: from yearbook.toml]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Only these cities (ids); repeat the flag for several [default: all]
    #[arg(long = "city", value_name = "ID")]
    pub cities: Vec<String>,
    /// Languages of the edition
    #[arg(long, value_enum, default_value_t = Lang::Bilingual)]
    pub lang: Lang,
    /// PDF standard: plain, a-2b (print) or a-3b-ua (archive: PDF/A-3b + PDF/UA-1, tagged)
    #[arg(long, value_enum, default_value_t = PdfPreset::A2b)]
    pub pdf_standard: PdfPreset,
    /// Also write the generated Typst source beside the PDF
    #[arg(long)]
    pub keep_typ: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Output format of the diagnostics
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail on warnings too
    #[arg(long)]
    pub deny_warnings: bool,
}
