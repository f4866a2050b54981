//! yearbook: per-city livelihood statistics in TOML → a bilingual (zh/en) PDF yearbook and an
//! XLSX workbook.
//!
//! The pipeline runs one way, one module per stage:
//! `cli` → `config` → `load` (TOML with spans) → `validate` (every rule, all findings) →
//! `book` (what the reader sees) → `render` (minijinja → Typst source) → `typeset` (in-process
//! Typst, bundled fonts only) and `xlsx` → `output` (atomic writes).

pub mod book;
pub mod cli;
pub mod config;
pub mod diagnostics;
pub mod error;
pub mod load;
pub mod model;
pub mod output;
pub mod render;
pub mod scaffold;
pub mod typeset;
pub mod validate;
pub mod xlsx;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use crate::cli::{BuildArgs, CheckArgs, Cli, Command, Selection};
use crate::config::Config;
use crate::diagnostics::{Diagnostic, Format, Severity};
use crate::error::AppError;
use crate::load::Loaded;
use crate::typeset::Fonts;

/// Runs a command and turns its outcome into an exit status, printing errors for humans.
pub fn run(cli: Cli) -> ExitCode {
    let result = match &cli.command {
        Command::Build(args) => build(&cli, args).map(|()| 0),
        Command::Check(args) => check(&cli, args),
        Command::NewCity(args) => scaffold::new_city(&cli, args).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// The data of one edition, loaded and checked.
pub struct Checked {
    pub config: Config,
    pub fonts: Fonts,
    pub loaded: Loaded,
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads configuration, fonts and data, and runs every validation rule.
pub fn load_and_check(config_path: Option<&std::path::Path>, selection: &Selection) -> Result<Checked, AppError> {
    let mut config = Config::discover(config_path)?;
    if let Some(data) = &selection.data {
        config.data_dir = data.clone();
    }
    if let Some(year) = selection.year {
        config.year = year;
    }
    let fonts = Fonts::load(&config.fonts_dir)?;
    let loaded = load::load(&config.data_dir, config.year, &config.root)?;
    let mut diagnostics = loaded.diagnostics.clone();
    diagnostics.extend(validate::validate(&loaded, config.year, &|c| fonts.covers(c)));
    Ok(Checked { config, fonts, loaded, diagnostics })
}

fn print_human(checked: &Checked) {
    let mut stderr = StandardStream::stderr(if std::env::var_os("NO_COLOR").is_some() {
        ColorChoice::Never
    } else {
        ColorChoice::Auto
    });
    diagnostics::emit_human(&mut stderr, &checked.loaded.files, &checked.diagnostics);
}

fn check(cli: &Cli, args: &CheckArgs) -> Result<u8, AppError> {
    let checked = load_and_check(cli.config.as_deref(), &args.selection)?;
    let (errors, warnings) = diagnostics::count(&checked.diagnostics);
    match args.format {
        Format::Human => {
            print_human(&checked);
            eprintln!(
                "checked {} file(s) of the {} edition: {errors} error(s), {warnings} warning(s)",
                checked.loaded.files.len(),
                checked.config.year
            );
        }
        Format::Short => print!("{}", diagnostics::to_short(&checked.loaded.files, &checked.diagnostics)),
        Format::Json => println!("{}", diagnostics::to_json(&checked.loaded.files, &checked.diagnostics)),
    }
    let failed = errors > 0 || (args.deny_warnings && warnings > 0);
    Ok(u8::from(failed))
}

fn build(cli: &Cli, args: &BuildArgs) -> Result<(), AppError> {
    let checked = load_and_check(cli.config.as_deref(), &args.selection)?;
    let (errors, _) = diagnostics::count(&checked.diagnostics);
    if !checked.diagnostics.is_empty() {
        print_human(&checked);
    }
    if errors > 0 {
        return Err(AppError::Data { errors });
    }
    for id in &args.cities {
        if !checked.loaded.cities.iter().any(|(_, _, c)| c.id.get_ref() == id) {
            let known: Vec<&str> = checked.loaded.cities.iter().map(|(_, _, c)| c.id.get_ref().as_str()).collect();
            return Err(AppError::Usage(format!(
                "there is no city `{id}` in the {} edition (cities: {})",
                checked.config.year,
                known.join(", ")
            )));
        }
    }
    let config = &checked.config;
    let book = book::build(config, &checked.loaded, &args.cities);
    if book.chapters.is_empty() {
        return Err(AppError::Usage(format!("the {} edition has no figures to print", config.year)));
    }

    let workbook = xlsx::workbook(&book)?;
    let xlsx_name = format!("yearbook-{}.xlsx", config.year);
    let lang = args.lang.code();
    let stem = match args.lang {
        render::Lang::Bilingual => format!("yearbook-{}", config.year),
        _ => format!("yearbook-{}-{lang}", config.year),
    };
    let stem = if args.pdf_standard.attaches_sources() { format!("{stem}-archive") } else { stem };

    // The archive edition carries its own sources: every data file read, and the workbook.
    let mut attachments = Vec::new();
    let mut attached_bytes = Vec::new();
    if args.pdf_standard.attaches_sources() {
        for idx in 0..checked.loaded.files.len() {
            let name = checked.loaded.files.name(idx);
            // Flat, recognisable names: `sanmenxia.toml`, `catalogue-units.toml`.
            let file = name.rsplit('/').next().unwrap_or(&name);
            let flat = if name.contains("/catalogue/") { format!("catalogue-{file}") } else { file.to_string() };
            attachments.push(render::Attachment {
                path: format!("/{flat}"),
                relationship: "source",
                mime: "application/toml",
                description: format!("Edition data 年鉴数据: {name}"),
            });
            attached_bytes.push(checked.loaded.files.text(idx).as_bytes().to_vec());
        }
        attachments.push(render::Attachment {
            path: format!("/{xlsx_name}"),
            relationship: "data",
            mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            description: format!("Workbook of the {} edition, one sheet per sector 分领域数据工作簿", config.year),
        });
        attached_bytes.push(workbook.clone());
    }

    let env = render::environment(&config.templates_dir)?;
    let source = render::render(&env, &book, args.lang, &attachments)?;
    let out_parent: PathBuf = args.out.clone().unwrap_or_else(|| config.output_dir.clone());
    let edition = config.year.to_string();
    let mut world = typeset::YearbookWorld::new(
        source.clone(),
        &config.templates_dir,
        &checked.fonts,
        config.date,
        &[("lang", lang)],
    );
    for (a, bytes) in attachments.iter().zip(attached_bytes) {
        world.add_virtual_file(&a.path, bytes)?;
    }
    let pdf = match typeset::compile_pdf(&world, args.pdf_standard, &stem, config.date) {
        Ok(pdf) => pdf,
        Err(e) => {
            // Keep the generated source so the reported line can be looked at.
            if args.keep_typ {
                land(&out_parent, &edition, &[(format!("{stem}.typ"), source.into_bytes())])?;
            }
            return Err(e);
        }
    };

    let mut files = vec![(format!("{stem}.pdf"), pdf), (xlsx_name, workbook)];
    if args.keep_typ {
        files.push((format!("{stem}.typ"), source.into_bytes()));
    }
    let written = land(&out_parent, &edition, &files)?;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "built the {} edition: {} cities, {} chapters, {} figures",
        config.year,
        book.cities.len(),
        book.chapters.len(),
        book.indicator_count
    );
    for w in &written {
        let _ = writeln!(stdout, "  {}  ({} bytes, sha256 {})", w.path.display(), w.bytes, &w.sha256[..16]);
    }
    let warnings = checked.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count();
    if warnings > 0 {
        eprintln!("{warnings} warning(s) in the data; run `yearbook check` to list them");
    }
    Ok(())
}

/// Lands `files` as the edition folder `<parent>/<folder>`, all of them or none, after waiting
/// for any other run that is writing to `parent`.
fn land(parent: &Path, folder: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<output::Written>, AppError> {
    let lock = output::OutputLock::acquire(parent, |holder| {
        let who = holder.pid.map_or_else(String::new, |pid| format!(" (pid {pid})"));
        let shown = parent.display().to_string();
        let slash = if shown.ends_with('/') { "" } else { "/" };
        eprintln!("waiting for another yearbook run{who} that is writing to {shown}{slash}");
    })?;
    output::land_edition(&lock, folder, files)
}
