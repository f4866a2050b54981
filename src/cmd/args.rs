//! The command line: every clap type lives here and is turned into the stages' own types at the
//! edge, so no stage depends on clap. Doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostics::Format;
use crate::plan::Lang;
use crate::plan::PdfPreset;
use crate::plan::PlanOptions;
use crate::year::Year;

/// Builds the bilingual livelihood statistical yearbook (PDF) and its workbook (XLSX) from the
/// TOML data in data/.
#[derive(Debug, Parser)]
#[command(name = "yearbook", version, about)]
pub struct Cli {
    /// The configuration file [default: yearbook.toml in the current folder or the nearest one above it]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// No progress lines; only the summary and errors
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the data, then write <out>/<year>/yearbook-<year>.pdf and .xlsx as one unit
    Build(BuildArgs),
    /// Check the data and report every problem; writes nothing
    Check(CheckArgs),
    /// Build, then rebuild whenever yearbook.toml, the data or the templates change
    Watch(BuildArgs),
    /// Create data/<year>/<ID>.toml with every sector and the required fields, ready to fill in
    NewCity(NewCityArgs),
    /// List the indicators new, dropped and restated between an edition and the year before
    Diff(DiffArgs),
    /// Build the edition and freeze it with its sources as a BagIt bag in archive/<year>/
    Archive(ArchiveArgs),
    /// Check an archived edition against its manifests; --rebuild makes it again and compares
    Verify(VerifyArgs),
    /// Write one workbook per department (its sectors only) and manifest.csv to
    /// <out>/<year>-departments/, as one unit
    Export(ExportArgs),
    /// Send each department its exported workbook by e-mail (or write the messages with --dry-run)
    Mail(MailArgs),
    /// Write each department a workbook to fill in with next year's figures, and manifest.csv,
    /// to <out>/<year>-collect/, as one unit
    Collect(CollectArgs),
    /// Read departments' returned workbooks, check every cell, and write the figures into
    /// data/<year>/ (all files or none)
    Import(ImportArgs),
    /// Write the web edition, a static site of every table with its data, to <out>/<year>/web/
    Web(WebArgs),
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Year to collect [default: the year after the latest edition in the data folder]
    #[arg(long, value_name = "YYYY")]
    pub year: Option<Year>,
    /// Only these departments (ids); repeat the flag for several [default: all that own a sector]
    #[arg(long = "department", value_name = "ID")]
    pub departments: Vec<String>,
    /// Output folder; the workbooks go to <out>/<year>-collect/ [default: from yearbook.toml]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Data folder [default: from yearbook.toml]
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Returned workbooks (or, with --long, one CSV or XLSX sheet)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Year the figures are for [default: the year the workbooks were made for]
    #[arg(long, value_name = "YYYY")]
    pub year: Option<Year>,
    /// Data folder [default: from yearbook.toml]
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Say per city what would be added, changed and left alone; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Write each returned workbook to DIR with a note and a fill on every cell with a finding
    #[arg(long, value_name = "DIR")]
    pub annotate: Option<PathBuf>,
    /// Output format of the findings
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// The file is one sheet in long form: a header row, then one figure per row (city,
    /// indicator id, value, target, unit, status, reference year, qualifier, note, source)
    #[arg(long)]
    pub long: bool,
}

#[derive(Debug, Args)]
pub struct WebArgs {
    #[command(flatten)]
    pub edition: EditionArgs,
    /// Output folder; the site goes to <out>/<year>/web/ [default: from yearbook.toml]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Only these cities (ids); repeat the flag for several [default: all]
    #[arg(long = "city", value_name = "ID")]
    pub cities: Vec<String>,
    /// Languages of the site
    #[arg(long, value_enum, default_value_t = LangArg::Bilingual)]
    pub lang: LangArg,
}

impl WebArgs {
    pub fn options(&self) -> PlanOptions {
        PlanOptions {
            out: self.out.clone(),
            cities: self.cities.clone(),
            lang: self.lang.into(),
            ..self.edition.options()
        }
    }
}

#[derive(Debug, Args)]
pub struct ArchiveArgs {
    #[command(flatten)]
    pub edition: EditionArgs,
    /// Folder of the archive [default: archive/ beside yearbook.toml]
    #[arg(long, value_name = "DIR")]
    pub archive: Option<PathBuf>,
    /// Replace an archived edition (the old bag is kept under a dated name); needs --reason
    #[arg(long)]
    pub force: bool,
    /// Why the archived edition is replaced; recorded in the new bag
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bag, e.g. archive/2025
    pub bag: PathBuf,
    /// Also rebuild the edition from the bag's sources and compare the PDFs and workbook
    #[arg(long)]
    pub rebuild: bool,
    /// Fonts folder for --rebuild [default: from yearbook.toml]
    #[arg(long, value_name = "DIR")]
    pub fonts: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier edition
    #[arg(long, value_name = "YYYY")]
    pub from: Year,
    /// The later edition
    #[arg(long, value_name = "YYYY")]
    pub to: Year,
    /// Data folder [default: from yearbook.toml]
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub edition: EditionArgs,
    /// How to split the workbook
    #[arg(long, value_enum, default_value_t = ByArg::Department)]
    pub by: ByArg,
    /// One workbook per department and city, for each city's office of the department; written
    /// to <out>/<year>-departments-by-city/
    #[arg(long)]
    pub per_city: bool,
    /// Output folder [default: from yearbook.toml]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    /// One workbook per department that owns a sector
    Department,
}

#[derive(Debug, Args)]
pub struct MailArgs {
    #[command(flatten)]
    pub edition: EditionArgs,
    /// Output folder the export was written to [default: from yearbook.toml]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Send the export split by city (written by `export --per-city`)
    #[arg(long, conflicts_with = "collect")]
    pub per_city: bool,
    /// Send the collection workbooks written by `yearbook collect` (<out>/<year>-collect/) with the
    /// [collect] templates and deadline; --year is then the year collected [default: the year
    /// after the latest edition]
    #[arg(long)]
    pub collect: bool,
    /// Only these departments (ids); repeat the flag for several [default: all in the manifest]
    #[arg(long = "department", value_name = "ID")]
    pub departments: Vec<String>,
    /// Write each message as an .eml file to the outbox instead of sending it
    #[arg(long)]
    pub dry_run: bool,
    /// Outbox folder for --dry-run [default: outbox/ in the folder mailed from]
    #[arg(long, value_name = "DIR")]
    pub outbox: Option<PathBuf>,
    /// Send again what the send log says was delivered
    #[arg(long)]
    pub resend: bool,
    /// Mail server (required unless --dry-run)
    #[arg(long, value_name = "HOST", required_unless_present = "dry_run")]
    pub smtp_host: Option<String>,
    /// Mail server port [default: 587 with starttls, 465 with tls, 25 with none]
    #[arg(long, value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// Connection security; `none` only for a test server on this machine
    #[arg(long, value_enum, default_value_t = TlsArg::Starttls)]
    pub tls: TlsArg,
    /// Log in as this user; the password comes from YEARBOOK_SMTP_PASSWORD or --password-file,
    /// never from the command line
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// File holding the password (its first line)
    #[arg(long, value_name = "FILE", requires = "user")]
    pub password_file: Option<PathBuf>,
    /// Seconds to wait for the server before giving up on one delivery
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsArg {
    /// Unencrypted: only for a test server on this machine
    None,
    /// Upgrade the connection with STARTTLS (port 587)
    Starttls,
    /// TLS from the start (port 465)
    Tls,
}

#[derive(Debug, Args)]
pub struct NewCityArgs {
    /// The city id: lower-case letters, digits and `-` (it becomes the file name)
    pub id: String,
    #[command(flatten)]
    pub edition: EditionArgs,
}

/// Which edition to read.
#[derive(Debug, Args)]
pub struct EditionArgs {
    /// Data folder [default: from yearbook.toml]
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Edition year [default: from yearbook.toml]
    #[arg(long, value_name = "YYYY")]
    pub year: Option<Year>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub edition: EditionArgs,
    /// Output folder; files go to <out>/<year>/ [default: from yearbook.toml]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Only these cities (ids); repeat the flag for several [default: all]
    #[arg(long = "city", value_name = "ID")]
    pub cities: Vec<String>,
    /// Languages of the edition
    #[arg(long, value_enum, default_value_t = LangArg::Bilingual)]
    pub lang: LangArg,
    /// PDF standard: plain, a-2b (print) or a-3b-ua (archive: PDF/A-3b + PDF/UA-1, tagged)
    #[arg(long, value_enum, default_value_t = PdfStandardArg::A2b)]
    pub pdf_standard: PdfStandardArg,
    /// Also write the generated Typst source beside the PDF (also when typesetting fails)
    #[arg(long)]
    pub keep_typ: bool,
    /// Print how long each stage took
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub edition: EditionArgs,
    /// Output format of the diagnostics
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Fail on warnings too
    #[arg(long)]
    pub deny_warnings: bool,
    /// Folder of the archived source texts: every figure must be found in its article's text
    /// [default: [paths] sources in yearbook.toml, if set]
    #[arg(long, value_name = "DIR")]
    pub sources: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// Chinese and English together
    Bilingual,
    /// Chinese only
    Zh,
    /// English only
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PdfStandardArg {
    /// Plain PDF 1.7, untagged (a draft)
    Plain,
    /// PDF/A-2b: the print edition
    #[value(name = "a-2b")]
    A2b,
    /// PDF/A-3b with PDF/UA-1, tagged, with the data and workbook attached: the archive edition
    #[value(name = "a-3b-ua")]
    A3bUa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Snippets with the source line and a caret under the value
    Human,
    /// One line per finding: `file:line:col: severity[rule]: message (hint: …)`
    Short,
    /// A JSON array, for editors and CI annotations
    Json,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Bilingual => Lang::Bilingual,
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

impl From<PdfStandardArg> for PdfPreset {
    fn from(p: PdfStandardArg) -> PdfPreset {
        match p {
            PdfStandardArg::Plain => PdfPreset::Plain,
            PdfStandardArg::A2b => PdfPreset::A2b,
            PdfStandardArg::A3bUa => PdfPreset::A3bUa,
        }
    }
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Short => Format::Short,
            FormatArg::Json => Format::Json,
        }
    }
}

impl EditionArgs {
    /// The plan options that only name an edition (check, new-city).
    pub fn options(&self) -> PlanOptions {
        PlanOptions { data: self.data.clone(), year: self.year, ..PlanOptions::default() }
    }
}

impl DiffArgs {
    pub fn options(&self) -> PlanOptions {
        PlanOptions { data: self.data.clone(), year: Some(self.to), ..PlanOptions::default() }
    }
}

impl CheckArgs {
    pub fn options(&self) -> PlanOptions {
        PlanOptions { sources: self.sources.clone(), ..self.edition.options() }
    }
}

impl BuildArgs {
    pub fn options(&self) -> PlanOptions {
        PlanOptions {
            out: self.out.clone(),
            cities: self.cities.clone(),
            lang: self.lang.into(),
            pdf: self.pdf_standard.into(),
            keep_typ: self.keep_typ,
            ..self.edition.options()
        }
    }
}

impl ExportArgs {
    pub fn options(&self) -> PlanOptions {
        PlanOptions { out: self.out.clone(), ..self.edition.options() }
    }
}

impl MailArgs {
    pub fn options(&self) -> PlanOptions {
        PlanOptions { out: self.out.clone(), ..self.edition.options() }
    }
}

impl From<TlsArg> for crate::departments::send::Security {
    fn from(t: TlsArg) -> Self {
        match t {
            TlsArg::None => Self::None,
            TlsArg::Starttls => Self::StartTls,
            TlsArg::Tls => Self::Tls,
        }
    }
}
