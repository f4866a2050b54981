//! `yearbook verify <bag>`: every file of an archived edition against its manifests; with
//! `--rebuild`, the edition built again from the bag's own sources and compared byte for byte.

use crate::archive;
use crate::cmd::args::{Cli, VerifyArgs};
use crate::config::Config;
use crate::error::AppError;
use crate::pipeline::{self, Engine};
use crate::plan::{Plan, PlanOptions};
use crate::print::typeset::PdfPreset;

pub fn run(cli: &Cli, args: &VerifyArgs) -> Result<u8, AppError> {
    let findings = archive::verify(&args.bag)?;
    for f in &findings {
        eprintln!("{f}");
    }
    if !findings.is_empty() {
        eprintln!("{}: {} problem(s); the archived edition is not intact", args.bag.display(), findings.len());
        return Ok(1);
    }
    println!("{}: every file matches its manifest", args.bag.display());
    if !args.rebuild {
        return Ok(0);
    }

    let sources = archive::sources(&args.bag)?;
    // The fonts are the tool's, not the bag's: they must be the very files the edition used.
    let fonts_dir = match &args.fonts {
        Some(dir) => dir.clone(),
        None => super::config(cli)?.fonts_dir,
    };
    let local = archive::font_hashes(&fonts_dir)?;
    let local: std::collections::BTreeMap<&str, &str> =
        local.lines().filter_map(|l| l.split_once("  ")).map(|(h, n)| (n, h)).collect();
    for (name, hash) in &sources.fonts {
        if local.get(name.as_str()) != Some(&hash.as_str()) {
            eprintln!(
                "the font {name} in `{}` is not the one the edition was made with (SHA-256 {hash}); \
                 name the right folder with --fonts DIR",
                fonts_dir.display()
            );
            return Ok(1);
        }
    }
    let mut config = Config::load(&sources.config)?;
    config.data_dir = sources.data.clone();
    config.templates_dir = sources.templates.clone();
    config.fonts_dir = fonts_dir;
    // The articles were checked when the edition was made; they are not part of the bag.
    config.sources_dir = None;
    let year = archived_year(&args.bag)?;
    let mut engine = Engine::new(&config)?;
    let print =
        Plan::new(config.clone(), PlanOptions { year: Some(year), pdf: PdfPreset::A2b, ..PlanOptions::default() });
    let archival = Plan::new(config, PlanOptions { year: Some(year), pdf: PdfPreset::A3bUa, ..PlanOptions::default() });
    let checked = pipeline::check(&print, &engine)?;
    let (shown, progress) = super::progress::show(cli.quiet);
    engine.progress = progress;
    let archive::Editions { printed, archived, departments } = archive::editions(&engine, &checked, &print, &archival)?;
    drop(shown);
    let mut differ = 0;
    for (name, bytes) in
        [(&print.output.pdf, printed.pdf), (&archival.output.pdf, archived.pdf), (&print.output.xlsx, printed.xlsx)]
    {
        let path = args.bag.join("data").join(name);
        let kept =
            std::fs::read(&path).map_err(|source| AppError::Io { action: "read", path: path.clone(), source })?;
        if kept == bytes {
            println!("  rebuilt {name}: identical");
        } else {
            eprintln!("  rebuilt {name}: DIFFERS from the archived file");
            differ += 1;
        }
    }
    for (name, bytes) in departments.files {
        let path = args.bag.join("data/departments").join(&name);
        let kept =
            std::fs::read(&path).map_err(|source| AppError::Io { action: "read", path: path.clone(), source })?;
        if kept != bytes {
            eprintln!("  rebuilt departments/{name}: DIFFERS from the archived file");
            differ += 1;
        }
    }
    if differ == 0 {
        println!("  rebuilt the departments' workbooks and manifest: identical");
    }
    Ok(u8::from(differ > 0))
}

/// The edition year the bag records.
fn archived_year(bag: &std::path::Path) -> Result<i32, AppError> {
    let path = bag.join("bag-info.txt");
    let text =
        std::fs::read_to_string(&path).map_err(|source| AppError::Io { action: "read", path: path.clone(), source })?;
    text.lines().find_map(|l| l.strip_prefix("Yearbook-Edition:")).and_then(|y| y.trim().parse().ok()).ok_or_else(
        || AppError::Config { path, message: "no `Yearbook-Edition:` line; this is not a yearbook bag".into() },
    )
}
