//! `yearbook check`: every problem of the edition's data, written nowhere.

use crate::cmd::args::{CheckArgs, Cli};
use crate::diagnostics::{self, Format};
use crate::error::AppError;
use crate::pipeline::{self, Engine};
use crate::plan::Plan;

pub(super) fn run(cli: &Cli, args: &CheckArgs) -> Result<u8, AppError> {
    let plan = Plan::new(super::config(cli)?, args.options())?;
    let engine = Engine::new(&plan.config)?;
    let checked = pipeline::check(&plan, &engine)?;
    let (errors, warnings) = (checked.errors(), checked.warnings());
    match Format::from(args.format) {
        Format::Human => {
            super::print_human(&checked.files, &checked.diagnostics);
            eprintln!(
                "checked {} file(s) of the {} edition: {errors} error(s), {warnings} warning(s)",
                checked.files.len(),
                plan.year
            );
        }
        Format::Short => super::print(&diagnostics::to_short(&checked.files, &checked.diagnostics))?,
        Format::Json => super::print(&format!("{}\n", diagnostics::to_json(&checked.files, &checked.diagnostics)))?,
    }
    let failed = errors > 0 || (args.deny_warnings && warnings > 0);
    Ok(u8::from(failed))
}
