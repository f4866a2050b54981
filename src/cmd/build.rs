//! `yearbook build`: check, build the edition in memory, land it as one unit, summarise.

use std::fmt::Write as _;

use crate::cmd::args::{BuildArgs, Cli};
use crate::error::AppError;
use crate::pipeline::{self, Engine};
use crate::plan::Plan;

pub(super) fn run(cli: &Cli, args: &BuildArgs) -> Result<u8, AppError> {
    let plan = Plan::new(super::config(cli)?, args.options())?;
    plan.check_output()?;
    let mut engine = Engine::new(&plan.config)?;
    engine.layout_cache = true;
    let (shown, progress) = super::progress::show(cli.quiet);
    engine.progress = progress;
    let mut shown = Some(shown);
    let checked = pipeline::check(&plan, &engine)?;
    if !checked.diagnostics.is_empty() {
        // A spinner would draw over the diagnostics.
        shown = None;
        engine.progress = None;
        super::print_human(&checked.files, &checked.diagnostics);
    }
    let (parent, folder, dir) = (&plan.output.parent, &plan.output.folder, plan.output.dir());
    let prepared = pipeline::prepare(&plan, &engine, &checked)?;
    // The data are in the book now: what is left of them to say is kept, the rest freed before
    // the layout.
    let (check_timings, warnings) = (checked.timings.clone(), checked.warnings());
    drop(checked);
    let artifacts = match pipeline::typeset(&plan, &engine, prepared) {
        Ok(a) => a,
        Err(AppError::Typeset(failure)) => {
            // The reported lines point into the rendered source: keep it to be looked at.
            match (plan.keep_typ, &failure.rendered) {
                (true, Some(typ)) => {
                    super::land(parent, folder, &[(plan.output.typ.clone(), typ.clone().into_bytes())])?;
                    eprintln!("the rendered Typst source is in {}", dir.join(&plan.output.typ).display());
                }
                (false, Some(_)) => {
                    eprintln!("hint: `--keep-typ` keeps the rendered source that `main.typ (rendered)` refers to");
                }
                _ => {}
            }
            return Err(AppError::Typeset(failure));
        }
        Err(e) => return Err(e),
    };
    drop(shown);
    let (cities, chapters, figures) =
        (artifacts.book.cities.len(), artifacts.book.chapters.len(), artifacts.book.indicator_count);
    let timings = artifacts.timings.clone();
    let cache = artifacts.layout_cache.clone();
    let written = super::land(parent, folder, &artifacts.files(&plan))?;

    let mut out = String::new();
    let _ = writeln!(out, "built the {} edition: {cities} cities, {chapters} chapters, {figures} figures", plan.year);
    let _ = writeln!(out, "  from {} and {}", plan.config.path.display(), plan.data_dir.display());
    for w in &written {
        let _ = writeln!(out, "  {}  ({} bytes, sha256 {})", w.path.display(), w.bytes, &w.sha256[..16]);
    }
    if let Some(cache) = &cache {
        let _ = writeln!(
            out,
            "  {} of {} parts laid out again, the others taken from {}",
            cache.parts - cache.reused,
            cache.parts,
            plan.output.layout_cache().display()
        );
    }
    super::print(&out)?;
    for note in cache.iter().flat_map(|c| &c.notes) {
        eprintln!("note: {note}");
    }
    if args.timings {
        for line in check_timings.lines().chain(timings.lines()) {
            eprintln!("{line}");
        }
    }
    if warnings > 0 {
        eprintln!("{warnings} warning(s) in the data; run `yearbook check` to list them");
    }
    Ok(0)
}
