//! `yearbook web`: check, lay out the book, write the site and land it in the edition folder as
//! `web/`, in one unit with the PDF and workbook it offers for download.

use std::io::Write;

use crate::cmd::args::{Cli, WebArgs};
use crate::error::AppError;
use crate::pipeline::{self, Engine};
use crate::plan::Plan;
use crate::web::{self, SITE};

pub(super) fn run(cli: &Cli, args: &WebArgs) -> Result<u8, AppError> {
    let plan = Plan::new(super::config(cli)?, args.options())?;
    let engine = Engine::new(&plan.config)?;
    let env = web::environment(&plan.config.templates_dir)?;
    let checked = pipeline::check(&plan, &engine)?;
    if !checked.diagnostics.is_empty() {
        super::print_human(&checked.files, &checked.diagnostics);
    }
    let (book, _) = pipeline::book(&plan, &engine, &checked)?;
    let lock = super::lock(&plan.output.parent)?;
    // The edition's PDF and workbook, when a build has written them, are offered from the home
    // page; under the lock, so that no build replaces them between this look and the landing.
    let dir = plan.output.dir();
    let present = |name: &str| dir.join(name).is_file().then(|| format!("../{name}"));
    let downloads = web::Downloads { pdf: present(&plan.output.pdf), xlsx: present(&plan.output.xlsx) };
    let files = web::site(&env, &plan.config.templates_dir, &book, plan.lang, &downloads)?;
    let files: Vec<(String, Vec<u8>)> =
        files.into_iter().map(|(name, bytes)| (format!("{SITE}/{name}"), bytes)).collect();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    crate::output::land_edition(&lock, &plan.output.folder, &files)?;
    drop(lock);

    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "wrote the {} web edition: {} pages and data files ({bytes} bytes) in {}",
        plan.year,
        files.len(),
        dir.join(SITE).display()
    );
    let _ =
        writeln!(out, "  open {} or copy the folder to any web server", dir.join(SITE).join("index.html").display());
    Ok(0)
}
