//! `yearbook watch`: builds, then rebuilds whenever the configuration, the data, the templates
//! or the archived source texts (`[paths] sources`) change. Fonts and templates are loaded once
//! and Typst's memo cache is kept between rebuilds (trimmed after each, as typst-cli's watch does), so an edit to one figure typesets only what
//! it touches. A bad edit prints its diagnostics and leaves the last good edition in place.

use std::time::Instant;

use crate::cmd::args::{BuildArgs, Cli};
use crate::error::AppError;
use crate::pipeline::{self, Engine, Timings};
use crate::plan::Plan;
use crate::watch::{Changes, Reads};

pub(super) fn run(cli: &Cli, args: &BuildArgs) -> Result<u8, AppError> {
    let plan = Plan::new(super::config(cli)?, args.options())?;
    plan.check_output()?;
    let mut engine = Engine::new(&plan.config)?;
    engine.keep_caches = true;
    engine.parts = crate::print::parts::Laidout::keeping();
    engine.layout_cache = true;
    engine.cities = std::sync::Mutex::new(Some(crate::load::CityMemo::default()));
    let mut changes = Changes::new().map_err(|e| AppError::Usage(format!("cannot watch files: {e}")))?;
    let mut announced = false;
    loop {
        // The configuration itself may have changed: resolve the plan anew each time.
        let planned = super::config(cli).and_then(|config| Plan::new(config, args.options()));
        let plan = match planned.and_then(|plan| plan.check_output().map(|()| plan)) {
            Ok(plan) => plan,
            Err(e) => {
                // `build` would refuse this configuration; building with the last one instead
                // would land an edition that no configuration on disk describes.
                eprintln!("error: {e}\nnothing was built; the last good edition is kept; waiting for the next change");
                changes.wait().map_err(|e| AppError::Usage(format!("watching failed: {e}")))?;
                continue;
            }
        };
        // Watch before building, not after: an edit saved while the build runs (or just after it
        // reports) is then queued and triggers the next rebuild instead of being lost.
        changes.update(reads(&plan)).map_err(|e| AppError::Usage(format!("cannot watch files: {e}")))?;
        // Templates are read anew from the folder this configuration names (it may have been
        // moved, or the configuration may name another); fonts stay. A folder that is gone is
        // named as such, not left for the renderer or Typst to report as a file of theirs.
        match crate::print::render::environment(&plan.config.templates_dir) {
            Ok(templates) => engine.templates = templates,
            Err(e) => {
                eprintln!("error: {e}\nnothing was built; the last good edition is kept; waiting for the next change");
                changes.wait().map_err(|e| AppError::Usage(format!("watching failed: {e}")))?;
                continue;
            }
        }
        if !announced {
            eprintln!("watching {} (Ctrl-C to stop)", plan.config.root.display());
            announced = true;
        }
        let started = Instant::now();
        match once(&plan, &engine, args.timings) {
            Ok(summary) => eprintln!("{summary} in {:.2} s", started.elapsed().as_secs_f64()),
            Err(e) => eprintln!("error: {e}\nthe last good edition is kept; waiting for the next change"),
        }
        // Entries not used by the last five compilations go: memory stays bounded over a day of edits.
        comemo::evict(5);
        changes.wait().map_err(|e| AppError::Usage(format!("watching failed: {e}")))?;
    }
}

/// One build, written as the edition's unit.
fn once(plan: &Plan, engine: &Engine, timings: bool) -> Result<String, AppError> {
    let checked = pipeline::check(plan, engine)?;
    if !checked.diagnostics.is_empty() {
        super::print_human(&checked.files, &checked.diagnostics);
    }
    let artifacts = pipeline::build_once(plan, engine, &checked)?;
    let stages = artifacts.timings.clone();
    let cache = artifacts.layout_cache.clone();
    let landing = Instant::now();
    super::land(&plan.output.parent, &plan.output.folder, &artifacts.files(plan))?;
    if timings {
        let landed = Timings(vec![("land", landing.elapsed(), None)]);
        for line in checked.timings.lines().chain(stages.lines()).chain(landed.lines()) {
            eprintln!("{line}");
        }
    }
    for note in cache.iter().flat_map(|c| &c.notes) {
        eprintln!("note: {note}");
    }
    let parts =
        cache.map(|c| format!(" ({} of {} parts laid out again)", c.parts - c.reused, c.parts)).unwrap_or_default();
    Ok(format!("rebuilt {}{parts}", plan.output.dir().join(&plan.output.pdf).display()))
}

/// What a rebuild reads: the configuration, the catalogue, the edition (and the previous one),
/// the templates, and the archived source texts the figures are traced to, when there are. The
/// data folder too, so that last year's folder is seen when it appears.
fn reads(plan: &Plan) -> Reads {
    let mut folders = vec![
        plan.config.templates_dir.clone(),
        plan.data_dir.clone(),
        plan.data_dir.join("catalogue"),
        plan.data_dir.join(plan.year.to_string()),
    ];
    folders.extend(plan.previous.map(|y| plan.data_dir.join(y.to_string())));
    folders.extend(plan.sources_dir.clone());
    Reads { folders, files: vec![plan.config.path.clone()] }
}
