//! `yearbook archive --year YYYY`: builds the edition in both PDF standards and freezes it, with
//! the sources that built it, as a BagIt bag in `<archive>/<year>/`. An archived edition is never
//! overwritten: `--force` needs `--reason`, and the old bag is kept under a dated name.

use std::path::Path;

use crate::archive::{self, BagInfo};
use crate::cmd::args::{ArchiveArgs, Cli};
use crate::error::AppError;
use crate::pipeline::{self, Engine};
use crate::plan::{Plan, PlanOptions};
use crate::print::typeset::PdfPreset;

pub fn run(cli: &Cli, args: &ArchiveArgs) -> Result<u8, AppError> {
    if args.force && args.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(AppError::Usage(
            "--force replaces an archived edition only with a --reason \"…\" that the new bag records".into(),
        ));
    }
    let config = super::config(cli)?;
    let root = args.archive.clone().unwrap_or_else(|| config.root.join("archive"));
    let options = PlanOptions { year: args.year, data: args.data.clone(), ..PlanOptions::default() };
    let print = Plan::new(config.clone(), PlanOptions { pdf: PdfPreset::A2b, ..options.clone() });
    let folder = root.join(print.year.to_string());
    let replaced = if folder.exists() {
        if !args.force {
            return Err(AppError::Usage(format!(
                "the {} edition is already archived in `{}`; an archive is never overwritten \
                 (use --force --reason \"…\" to replace it; the old bag is kept)",
                print.year,
                folder.display()
            )));
        }
        Some(format!("{}.replaced-{}", print.year, archive::today()))
    } else {
        None
    };
    let archival = Plan::new(config.clone(), PlanOptions { pdf: PdfPreset::A3bUa, ..options });

    let mut engine = Engine::new(&config)?;
    let checked = pipeline::check(&print, &engine)?;
    if !checked.diagnostics.is_empty() {
        super::print_human(&checked.files, &checked.diagnostics);
    }
    let (shown, progress) = super::progress::show(cli.quiet);
    engine.progress = progress;
    let archive::Editions { printed, archived, departments } = archive::editions(&engine, &checked, &print, &archival)?;
    drop(shown);
    let mut payload = vec![
        (print.output.pdf.clone(), printed.pdf),
        (archival.output.pdf.clone(), archived.pdf),
        (print.output.xlsx.clone(), printed.xlsx),
    ];
    payload.extend(departments.files.into_iter().map(|(name, bytes)| (format!("departments/{name}"), bytes)));
    let config_bytes = std::fs::read(&config.path).map_err(|source| AppError::Io {
        action: "read",
        path: config.path.clone(),
        source,
    })?;
    let source = archive::SOURCE_DIR;
    payload.push((format!("{source}/yearbook.toml"), config_bytes));
    for (name, file) in pipeline::input_files(&checked) {
        payload.push((format!("{source}/data/{name}"), checked.files.text(file).as_bytes().to_vec()));
    }
    for name in [crate::print::render::MAIN_TEMPLATE, crate::print::render::LIBRARY] {
        let path = config.templates_dir.join(name);
        let bytes =
            std::fs::read(&path).map_err(|source| AppError::Io { action: "read", path: path.clone(), source })?;
        payload.push((format!("{source}/templates/{name}"), bytes));
    }
    payload.push((archive::FONTS_FILE.to_string(), archive::font_hashes(&config.fonts_dir)?.into_bytes()));
    let command: Vec<String> = std::env::args().collect();
    let info = BagInfo {
        organisation: format!("{} / {}", config.publisher.zh, config.publisher.en),
        description: format!("{} {} / {} {}", config.title.zh, print.year, config.title.en, print.year),
        edition: print.year,
        bagging_date: archive::today(),
        command: command.join(" "),
        replaces: replaced.clone().map(|old| (old, args.reason.clone().unwrap_or_default())),
    };
    let files = archive::bag(payload, &info);
    write_bag(&root, print.year, &files, replaced.as_deref())?;
    println!("archived the {} edition in {}", print.year, folder.display());
    if let Some(old) = replaced {
        println!("  the previous bag is kept as {}", root.join(old).display());
    }
    println!("  {} files; check it with `yearbook verify {}`", files.len(), folder.display());
    Ok(0)
}

/// Lands the bag as `<root>/<year>` in one step, under the archive folder's lock; a bag being
/// replaced is first moved to its dated name.
fn write_bag(root: &Path, year: i32, files: &[(String, Vec<u8>)], replaced: Option<&str>) -> Result<(), AppError> {
    let lock = super::lock(root)?;
    let folder = root.join(year.to_string());
    if let Some(old) = replaced {
        std::fs::rename(&folder, root.join(old)).map_err(|source| AppError::Io {
            action: "move the old bag aside from",
            path: folder.clone(),
            source,
        })?;
    } else if folder.exists() {
        // Archived by another run since this one looked.
        return Err(AppError::Usage(format!(
            "`{}` appeared meanwhile; an archive is never overwritten",
            folder.display()
        )));
    }
    crate::output::land_edition(&lock, &year.to_string(), files)?;
    Ok(())
}
