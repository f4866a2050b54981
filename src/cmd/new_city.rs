//! `yearbook new-city ID`: writes `data/<year>/<ID>.toml` from the scaffold, never over a file.

use crate::cmd::args::{Cli, NewCityArgs};
use crate::error::AppError;
use crate::load::Loader;
use crate::names::is_valid_id;
use crate::plan::Plan;
use crate::scaffold::{InUse, scaffold_text};

pub fn run(cli: &Cli, args: &NewCityArgs) -> Result<u8, AppError> {
    if !is_valid_id(&args.id) {
        return Err(AppError::Usage(format!(
            "`{}` cannot be a city id: use lower-case ASCII letters, digits and `-`, e.g. `lanzhou`",
            args.id
        )));
    }
    let plan = Plan::new(super::config(cli)?, args.edition.options());
    let path = plan.data_dir.join(plan.year.to_string()).join(format!("{}.toml", args.id));
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
    let text = scaffold_text(&args.id, plan.year, &sectors.data, &in_use);
    // Never over a file that a clerk created since the check above.
    crate::output::write_new(&path, text.as_bytes()).map_err(|e| match e {
        AppError::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
            AppError::Usage(format!("`{}` already exists; edit it instead", path.display()))
        }
        e => e,
    })?;
    super::print(&format!(
        "created {}\nfill in the empty texts, add the indicators, then run `yearbook check`\n",
        path.display()
    ))?;
    Ok(0)
}
