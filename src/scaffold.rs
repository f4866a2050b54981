//! `yearbook new-city ID`: a city file with every field the checks require, one summary line per
//! sector and a commented example indicator, so a clerk fills in blanks instead of guessing keys.
//! The blanks are empty texts, which `check` rejects until they are filled in.

use std::fmt::Write as _;

use crate::cli::{Cli, NewCityArgs};
use crate::config::Config;
use crate::error::AppError;
use crate::model::SectorFile;
use crate::validate::is_valid_id;

pub fn new_city(cli: &Cli, args: &NewCityArgs) -> Result<(), AppError> {
    if !is_valid_id(&args.id) {
        return Err(AppError::Usage(format!(
            "`{}` cannot be a city id: use lower-case ASCII letters, digits and `-`, e.g. `lanzhou`",
            args.id
        )));
    }
    let mut config = Config::discover(cli.config.as_deref())?;
    if let Some(data) = &args.selection.data {
        config.data_dir = data.clone();
    }
    let year = args.selection.year.unwrap_or(config.year);
    let path = config.data_dir.join(year.to_string()).join(format!("{}.toml", args.id));
    if path.exists() {
        return Err(AppError::Usage(format!("`{}` already exists; edit it instead", path.display())));
    }
    let sectors_path = config.data_dir.join("catalogue/sectors.toml");
    let sectors_text = std::fs::read_to_string(&sectors_path).map_err(|source| AppError::Io {
        action: "read the sector catalogue",
        path: sectors_path.clone(),
        source,
    })?;
    let sectors: SectorFile = toml::from_str(&sectors_text).map_err(|e| AppError::Config {
        path: sectors_path.clone(),
        message: format!("{e}; run `yearbook check` for details"),
    })?;
    let text = scaffold_text(&args.id, year, &sectors);
    // Never over a file that a clerk created since the check above.
    crate::output::write_new(&path, text.as_bytes()).map_err(|e| match e {
        AppError::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
            AppError::Usage(format!("`{}` already exists; edit it instead", path.display()))
        }
        e => e,
    })?;
    println!("created {}", path.display());
    println!("fill in the empty texts, add the indicators, then run `yearbook check`");
    Ok(())
}

/// The scaffold's text.
pub fn scaffold_text(id: &str, year: i32, sectors: &SectorFile) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {id}: figures for the {year} edition. Format: docs/data-format.md.");
    let _ = writeln!(out, "# Fill in every empty text (\"\"); `yearbook check` lists what is still missing.\n");
    let _ = writeln!(out, "id = \"{id}\"\nyear = {year}");
    let _ = writeln!(out, "name = {{ zh = \"\", en = \"\" }}\nprovince = {{ zh = \"\", en = \"\" }}");
    let _ = writeln!(out, "sources = []   # ids from data/catalogue/sources.toml");
    let _ = writeln!(out, "overview = {{ zh = \"\", en = \"\" }}\n");
    let _ = writeln!(out, "# One short summary per sector in which the city has figures; delete the others.");
    let _ = writeln!(out, "[summaries]");
    let mut ordered: Vec<_> = sectors.sector.iter().collect();
    ordered.sort_by_key(|s| *s.order.get_ref());
    for s in &ordered {
        let _ = writeln!(out, "{} = {{ zh = \"\", en = \"\" }}   # {} / {}", s.id.get_ref(), s.name.zh(), s.name.en());
    }
    let _ = writeln!(out, "\n# One [[indicator]] table per figure. Example (remove the leading `# `):");
    let example = ordered.first().map_or("employment", |s| s.id.get_ref().as_str());
    for line in [
        "[[indicator]]",
        "id = \"skills-training\"",
        &format!("sector = \"{example}\""),
        "name = { zh = \"技能培训\", en = \"Skills training\" }",
        "unit = \"person\"",
        "value = 59178",
        "completion = 147.95",
        "source = \"\"",
    ] {
        let _ = writeln!(out, "# {line}");
    }
    out
}
