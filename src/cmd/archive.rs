//! `yearbook archive --year YYYY`: builds the edition in both PDF standards and freezes it, with
//! the sources and fonts that built it, as a BagIt bag in `<archive>/<year>/` (`archive::bag`).

use crate::archive::{self, bag::BagInfo, bag::Tool};
use crate::cmd::args::{ArchiveArgs, Cli};
use crate::error::AppError;
use crate::pipeline::{self, Engine};
use crate::plan::PdfPreset;
use crate::plan::{Plan, PlanOptions};

pub(super) fn run(cli: &Cli, args: &ArchiveArgs) -> Result<u8, AppError> {
    let reason = args.reason.as_deref().filter(|r| !r.trim().is_empty());
    if args.force && reason.is_none() {
        return Err(AppError::Usage(
            "--force replaces an archived edition only with a --reason \"…\" that the new bag records".into(),
        ));
    }
    let config = super::config(cli)?;
    let root = args.archive.clone().unwrap_or_else(|| config.root.join("archive"));
    let options = args.edition.options();
    let print = Plan::new(config.clone(), PlanOptions { pdf: PdfPreset::A2b, ..options.clone() })?;
    let archival = Plan::new(config.clone(), PlanOptions { pdf: PdfPreset::A3bUa, ..options })?;
    let folder = root.join(print.year.to_string());
    // A bag of another year under this year's name (copied or renamed by hand) is not this
    // edition's archive: neither "already archived" nor something `--force` should replace.
    if let Ok(info) = BagInfo::read(&folder)
        && info.edition != print.year
    {
        return Err(AppError::Usage(format!(
            "`{}` holds the {} edition (its bag-info.txt says so), not the {} one; move it to the folder of its \
             year, or away, then archive again",
            folder.display(),
            info.edition,
            print.year
        )));
    }
    if folder.exists() && !args.force {
        return Err(AppError::Usage(format!(
            "the {} edition is already archived in `{}`; an archive is never overwritten \
             (use --force --reason \"…\" to replace it; the old bag is kept)",
            print.year,
            folder.display()
        )));
    }

    let mut engine = Engine::new(&config)?;
    let checked = pipeline::check(&print, &engine)?;
    if !checked.diagnostics.is_empty() {
        super::print_human(&checked.files, &checked.diagnostics);
    }
    let (shown, progress) = super::progress::show(cli.quiet);
    engine.progress = progress;
    let made = archive::editions(&engine, &checked, &print, &archival)?;
    drop(shown);
    let site = made.site.as_ref().map(Vec::len);
    let payload = archive::bag::payload(&config, &checked, &print, &archival, made)?;
    let info = BagInfo {
        organisation: format!("{} / {}", config.publisher.zh, config.publisher.en),
        description: format!("{} {} / {} {}", config.title.zh, print.year, config.title.en, print.year),
        edition: print.year,
        bagging_date: BagInfo::today(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        tool: Tool::this(),
        replaces: None,
    };
    let landed = archive::bag::write(&super::lock(&root)?, print.year, payload, info, reason.filter(|_| args.force))?;
    super::print(&format!("archived the {} edition in {}\n", print.year, landed.folder.display()))?;
    if let Some(old) = &landed.replaced {
        super::print(&format!("  the previous bag is kept as {}\n", old.display()))?;
    }
    match site {
        Some(n) => super::print(&format!(
            "  with the web edition ({n} pages and data files) in data/{}/
",
            crate::web::SITE
        ))?,
        None => super::print(&format!(
            "  without a web edition: `{}` has no web templates
",
            config.templates_dir.join(crate::web::TEMPLATES).display()
        ))?,
    }
    super::print(&format!(
        "  {} files; check it with `yearbook verify {}`
",
        landed.files,
        landed.folder.display()
    ))?;
    Ok(0)
}
