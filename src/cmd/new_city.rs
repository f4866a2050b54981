//! `yearbook new-city ID`: writes `data/<year>/<ID>.toml` from the scaffold, never over a file.

use crate::cmd::args::{Cli, NewCityArgs};
use crate::error::AppError;
use crate::load::Loader;
use crate::names::{is_reserved_on_windows, is_valid_id};
use crate::plan::{Plan, PlanOptions};
use crate::scaffold::{InUse, scaffold_text};

pub(super) fn run(cli: &Cli, args: &NewCityArgs) -> Result<u8, AppError> {
    if !is_valid_id(&args.id) {
        let why = if is_reserved_on_windows(&args.id) {
            "it is a device name on Windows, where no file can be named after it"
        } else {
            "use lower-case ASCII letters, digits and `-`"
        };
        return Err(AppError::Usage(format!("`{}` cannot be a city id: {why}, e.g. `lanzhou`", args.id)));
    }
    // A city may be the first of a new edition: its folder is made with the file.
    let options = PlanOptions { new_edition: true, ..args.edition.options() };
    let plan = Plan::new(super::config(cli)?, options)?;
    let folder = plan.data_dir.join(plan.year.to_string());
    let new_edition = !folder.is_dir();
    if new_edition && let Some(latest) = latest_edition(&plan.data_dir).filter(|&latest| plan.year > latest + 1) {
        // A typo (2031 for 2026) would otherwise start an edition folder nobody meant.
        return Err(AppError::Usage(format!(
            "there is no {} edition, and the latest in `{}` is {latest}: a new edition starts the year after \
             the latest (--year {}); create `{}` by hand if {} is meant",
            plan.year,
            plan.data_dir.display(),
            latest + 1,
            folder.display(),
            plan.year
        )));
    }
    let path = folder.join(format!("{}.toml", args.id));
    if path.exists() {
        return Err(AppError::Usage(format!("`{}` already exists; edit it instead", path.display())));
    }
    // The same loader as `check`, so a broken catalogue is refused the same way.
    let mut loader = Loader::new(&plan.config.root);
    let catalogue = loader.catalogue(&plan.data_dir)?;
    let Some(sectors) = catalogue.sectors.filter(|_| loader.diagnostics.is_empty()) else {
        return Err(AppError::Usage(format!(
            "the catalogue in `{}` has errors; run `yearbook check` to see them, then try again",
            plan.data_dir.join("catalogue").display()
        )));
    };
    // The ids already in use, so that the same concept gets the same id.
    let mut in_use: Vec<InUse> = Vec::new();
    if let Ok(edition) = loader.edition(&plan.data_dir, plan.year) {
        for c in &edition.cities {
            for ind in &c.city.indicators {
                if !in_use.iter().any(|u| u.id == *ind.id.get_ref()) {
                    in_use.push(InUse {
                        id: ind.id.get_ref().clone(),
                        sector: ind.sector.as_ref().map(|s| s.get_ref().clone()).unwrap_or_default(),
                        name: format!("{} / {}", ind.name.zh(), ind.name.en()),
                        unit: ind.unit.as_ref().map(|u| u.get_ref().clone()).unwrap_or_default(),
                    });
                }
            }
        }
    }
    in_use.sort_by(|a, b| (&a.sector, &a.id).cmp(&(&b.sector, &b.id)));
    let mut text = scaffold_text(&args.id, plan.year, &sectors.data, &in_use);
    // The city's own indicators of the year before, ready to uncomment and update.
    let last_year = plan.year.previous();
    if plan.data_dir.join(last_year.to_string()).join(format!("{}.toml", args.id)).is_file()
        && let Ok(previous) = loader.edition(&plan.data_dir, last_year)
        && let Some(city) = previous.cities.iter().find(|c| c.stem == args.id)
    {
        text.push_str(&crate::scaffold::last_year_text(&city.city, last_year));
    }
    // Never over a file that a clerk created since the check above.
    crate::output::write_new(&path, text.as_bytes()).map_err(|e| match e {
        AppError::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
            AppError::Usage(format!("`{}` already exists; edit it instead", path.display()))
        }
        e => e,
    })?;
    let started = if new_edition {
        format!("started the {} edition in {}\n", plan.year, folder.display())
    } else {
        String::new()
    };
    super::print(&format!(
        "{started}created {}\nfill in the empty texts, add the indicators, then run `yearbook check`\n",
        path.display()
    ))?;
    Ok(0)
}

/// The latest year with an edition folder in `data_dir`.
fn latest_edition(data_dir: &std::path::Path) -> Option<i32> {
    std::fs::read_dir(data_dir)
        .ok()?
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .max()
}
