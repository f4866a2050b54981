//! `yearbook watch`: builds, then rebuilds whenever the configuration, the data or the templates
//! change. Fonts and templates are loaded once and Typst's memo cache is kept between rebuilds
//! (trimmed after each, as typst-cli's watch does), so an edit to one figure typesets only what
//! it touches. A bad edit prints its diagnostics and leaves the last good edition in place.

use std::path::PathBuf;
use std::time::Instant;

use typst_kit::watcher::Watcher;

use crate::cmd::args::{BuildArgs, Cli};
use crate::error::AppError;
use crate::pipeline::{self, Engine, Timings};
use crate::plan::Plan;

pub fn run(cli: &Cli, args: &BuildArgs) -> Result<u8, AppError> {
    let plan = Plan::new(super::config(cli)?, args.options());
    let mut engine = Engine::new(&plan.config)?;
    engine.keep_caches = true;
    let mut watcher = Watcher::new(None).map_err(|e| AppError::Usage(format!("cannot watch files: {e}")))?;
    let mut announced = false;
    loop {
        // The configuration itself may have changed: resolve the plan anew each time.
        let plan = match super::config(cli) {
            Ok(config) => Plan::new(config, args.options()),
            Err(e) => {
                eprintln!("error: {e}");
                plan.clone()
            }
        };
        // Watch before building, not after: an edit saved while the build runs (or just after it
        // reports) is then queued and triggers the next rebuild instead of being lost.
        watcher.update(watched(&plan)).map_err(|e| AppError::Usage(format!("cannot watch files: {e}")))?;
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
        watcher.wait().map_err(|e| AppError::Usage(format!("watching failed: {e}")))?;
        // Templates are re-read on change; fonts stay.
        if let Ok(templates) = crate::render::environment(&plan.config.templates_dir) {
            engine.templates = templates;
        }
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
    let landing = Instant::now();
    super::land(&plan.output.parent, &plan.output.folder, &artifacts.files(plan))?;
    if timings {
        let landed = Timings(vec![("land", landing.elapsed(), None)]);
        for line in checked.timings.lines().chain(stages.lines()).chain(landed.lines()) {
            eprintln!("{line}");
        }
    }
    Ok(format!("rebuilt {}", plan.output.dir().join(&plan.output.pdf).display()))
}

/// Every file and folder a rebuild reads: the configuration, the catalogue, the edition (and the
/// previous one), the templates. Folders are watched so that a new city file is seen too.
fn watched(plan: &Plan) -> Vec<PathBuf> {
    let mut paths = vec![plan.config.path.clone(), plan.config.templates_dir.clone()];
    let mut folders = vec![plan.data_dir.join("catalogue"), plan.data_dir.join(plan.year.to_string())];
    folders.extend(plan.previous.map(|y| plan.data_dir.join(y.to_string())));
    for folder in folders {
        if let Ok(entries) = std::fs::read_dir(&folder) {
            paths.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
        }
        paths.push(folder);
    }
    for name in [crate::render::MAIN_TEMPLATE, crate::render::LIBRARY] {
        paths.push(plan.config.templates_dir.join(name));
    }
    paths
}
