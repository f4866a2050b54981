//! The text of a new city file: every field the checks require, one summary line per sector and
//! a commented example indicator, so a clerk fills in blanks instead of guessing keys. The blanks
//! are empty texts, which `check` rejects until they are filled in.

use std::fmt::Write as _;

use crate::model::SectorFile;
use crate::year::Year;

/// An indicator id another city already uses: the same concept takes the same id.
pub(crate) struct InUse {
    pub id: String,
    pub sector: String,
    pub name: String,
    pub unit: String,
}

/// The scaffold's text.
pub(crate) fn scaffold_text(id: &str, year: Year, sectors: &SectorFile, in_use: &[InUse]) -> String {
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
        "cue = \"\"   # optional: a few characters of the article's sentence that name the figure,",
        "             # where the Chinese name above paraphrases it (yearbook check --sources looks for them)",
    ] {
        let _ = writeln!(out, "# {line}");
    }
    if !in_use.is_empty() {
        let _ =
            writeln!(out, "\n# Ids other cities of this edition use. For the same concept use the same id (and unit),");
        let _ = writeln!(out, "# so that the comparison tables can set the cities side by side:");
        for u in in_use {
            let _ = writeln!(out, "#   {:<40} {:<16} {:<14} {}", u.id, u.sector, u.unit, u.name);
        }
    }
    out
}

/// The indicators a city had the year before, as commented `[[indicator]]` blocks with last
/// year's value in a comment: the clerk uncomments a block and types this year's figure.
pub(crate) fn last_year_text(city: &crate::model::City, last_year: Year) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n# The indicators this city had in {last_year}. For each one you have this year's figure,");
    let _ = writeln!(out, "# remove the leading `# ` and fill in `value` (and `source`).");
    let mut flat = Vec::new();
    flatten(&city.indicators, "", "", &mut flat);
    for (ind, sector, unit) in flat {
        let last = ind.value.as_ref().map(|v| {
            let v = *v.get_ref();
            if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
        });
        let _ = writeln!(out, "\n# [[indicator]]");
        let _ = writeln!(out, "# id = \"{}\"", ind.id.get_ref());
        let _ = writeln!(out, "# sector = \"{sector}\"");
        let _ =
            writeln!(out, "# name = {{ zh = \"{}\", en = \"{}\" }}", ind.name.zh(), ind.name.en().replace('"', "\\\""));
        let _ = writeln!(out, "# unit = \"{unit}\"");
        match last {
            Some(v) => {
                let _ = writeln!(out, "# value =            # {last_year}: {v}");
            }
            None => {
                let _ = writeln!(out, "# value =            # {last_year}: a plan, no value");
            }
        }
        let _ = writeln!(out, "# source = \"\"");
    }
    out
}

/// Indicators and their "of which" items, with the sector and unit they inherit.
fn flatten<'a>(
    list: &'a [crate::model::Indicator],
    sector: &str,
    unit: &str,
    out: &mut Vec<(&'a crate::model::Indicator, String, String)>,
) {
    for ind in list {
        let s = ind.sector.as_ref().map_or(sector, |s| s.get_ref().as_str()).to_string();
        let u = ind.unit.as_ref().map_or(unit, |u| u.get_ref().as_str()).to_string();
        out.push((ind, s.clone(), u.clone()));
        flatten(&ind.of_which, &s, &u, out);
    }
}
