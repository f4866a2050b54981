//! One city file: its id and year against the file's name and folder, its names and overview,
//! every indicator (see `indicator`), and a summary for each sector it has figures in.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use super::ids::Known;
use super::{Validator, span};
use crate::diagnostics::{Diagnostic, FileIdx, Rule};
use crate::model::City;
use crate::names::is_valid_id;

impl Validator<'_> {
    pub(super) fn city(&mut self, file: FileIdx, stem: &str, city: &City, year: i64, known: &Known, damaged: bool) {
        self.id_format(file, &city.id, "city");
        if city.id.get_ref() != stem {
            self.push(
                Diagnostic::new(
                    file,
                    span(&city.id),
                    Rule::CityId,
                    format!("the city id `{}` differs from the file name `{stem}.toml`", city.id.get_ref()),
                )
                .with_hint(if is_valid_id(stem) {
                    format!("write `id = \"{stem}\"` or rename the file")
                } else {
                    // Never suggest an id the id rule refuses: the file name is what must change.
                    format!(
                        "`{stem}` cannot be an id (lowercase letters, digits and `-` only): rename the file to `<id>.toml` with the city's id{}",
                        Some(city.id.get_ref()).filter(|id| is_valid_id(id)).map_or(String::new(), |id| format!(", e.g. `{id}.toml`"))
                    )
                }),
            );
        }
        if *city.year.get_ref() != year {
            self.push(
                Diagnostic::new(
                    file,
                    span(&city.year),
                    Rule::EditionYear,
                    format!("the file is in the {year} edition folder but says year {}", city.year.get_ref()),
                )
                .with_hint(format!("write `year = {year}` or move the file")),
            );
        }
        self.bilingual(file, &city.name);
        if let Some(p) = &city.province {
            self.bilingual(file, p);
        }
        match &city.overview {
            Some(o) => self.bilingual(file, o),
            None => self.push(
                Diagnostic::new(
                    file,
                    span(&city.id),
                    Rule::MissingOverview,
                    "the city has no overview for its profile",
                )
                .with_hint("add `overview = { zh = \"…\", en = \"…\" }`: a short text on the city's year"),
            ),
        }
        for s in &city.sources {
            self.reference(file, s, &known.sources);
        }
        let mut used_sectors: BTreeMap<String, Range<usize>> = BTreeMap::new();
        let mut seen: HashSet<String> = HashSet::new();
        for ind in &city.indicators {
            if let Some(sector) = &ind.sector {
                used_sectors.entry(sector.get_ref().clone()).or_insert(sector.span());
            }
            self.indicator(file, ind, None, year, known, &mut seen);
        }
        for (sector, text) in &city.summaries {
            self.reference(file, sector, &known.sectors);
            self.bilingual(file, text);
            // The book prints a summary only in a chapter where the city has figures. Only said
            // when every figure loaded with a known sector, or it would follow another mistake.
            // A city with no figures yet is being filled in (new-city writes every sector).
            let reliable = !damaged
                && !city.indicators.is_empty()
                && city
                    .indicators
                    .iter()
                    .all(|i| i.sector.as_ref().is_some_and(|s| known.sectors.contains(s.get_ref())));
            if reliable && known.sectors.contains(sector.get_ref()) && !used_sectors.contains_key(sector.get_ref()) {
                self.push(
                    Diagnostic::new(
                        file,
                        span(sector),
                        Rule::SummaryWithoutFigures,
                        format!(
                            "the summary for `{}` would not print: the city has no figures in that sector",
                            sector.get_ref()
                        ),
                    )
                    .with_hint("add the sector's figures, or remove the summary"),
                );
            }
        }
        for (sector, at) in used_sectors {
            if known.sectors.contains(&sector) && !city.summaries.keys().any(|k| *k.get_ref() == sector) {
                self.push(
                    Diagnostic::new(
                        file,
                        Some(at),
                        Rule::MissingSummary,
                        format!("the city has figures in sector `{sector}` but no summary for it"),
                    )
                    .with_hint(format!("add `{sector} = {{ zh = \"…\", en = \"…\" }}` under [summaries]")),
                );
            }
        }
    }
}
