//! `yearbook check`: every problem of the edition's data, written nowhere; with `[mail]`, also
//! what `mail` would refuse in it.

use crate::cmd::args::{CheckArgs, Cli};
use crate::departments::mail::Composer;
use crate::diagnostics::{self, Format};
use crate::error::AppError;
use crate::model::Text;
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
    if errors == 0 && plan.config.mail.is_some() {
        mail_ready(&plan, &checked)?;
    }
    let failed = errors > 0 || (args.deny_warnings && warnings > 0);
    Ok(u8::from(failed))
}

/// `[mail]` as `mail` reads it (sender, reply-to, templates), and its subject and body for every
/// department and city: what `mail` would refuse is found before the export, not at sending.
fn mail_ready(plan: &Plan, checked: &pipeline::Checked) -> Result<(), AppError> {
    let composer = Composer::new(&plan.config, plan.year)?;
    let Some(departments) = &checked.catalogue.departments else { return Ok(()) };
    let cities: Vec<(&str, Text)> =
        checked.edition.cities.iter().map(|c| (c.city.id.get_ref().as_str(), Text::from(&c.city.name))).collect();
    for d in &departments.data.department {
        let name = Text::from(&d.name);
        composer.rehearse(d.id.get_ref(), &name, None)?;
        for (id, city) in &cities {
            composer.rehearse(d.id.get_ref(), &name, Some((id, city)))?;
        }
    }
    Ok(())
}
