//! Ids: their format, uniqueness within a file, and references to the catalogue, with a
//! did-you-mean hint and one finding per mistyped id however often it is used.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use serde_spanned::Spanned;

use super::{Validator, span};
use crate::diagnostics::{Diagnostic, FileIdx, Rule};
use crate::load::{Catalogue, Loader, closest};
use crate::model::UnitKind;
use crate::names::{is_reserved_on_windows, is_valid_id};

/// Known ids of one catalogue, for reference checks and did-you-mean hints.
pub(super) struct Ids {
    what: &'static str,
    rule: Rule,
    file: &'static str,
    ids: Vec<String>,
    /// Ids of elements that did not parse: their error is reported once, not at every use.
    broken: Vec<String>,
    /// Ids given twice: a reference to a missing id may be the other one's old name.
    twice: Vec<String>,
    /// False when the catalogue did not parse: its error is reported once, not at every use.
    loaded: bool,
    /// Chinese names by id (units), which a clerk may type instead of the id.
    names: Vec<(String, String)>,
}

impl Ids {
    fn new<'a>(
        (what, rule, file): (&'static str, Rule, &'static str),
        loader: &Loader,
        loaded: bool,
        ids: impl Iterator<Item = &'a Spanned<String>>,
    ) -> Ids {
        let ids: Vec<String> = ids.map(|s| s.get_ref().clone()).collect();
        let mut seen = HashSet::new();
        let twice = ids.iter().filter(|i| !seen.insert(i.as_str())).cloned().collect();
        Ids { what, rule, file, ids, broken: loader.unreadable_ids(what).to_vec(), twice, loaded, names: Vec::new() }
    }
    /// The hint for an id not in the catalogue: the id whose Chinese name was typed, the nearest
    /// ids by spelling and by Chinese name, each shown with its Chinese name.
    fn suggest(&self, typed: &str) -> Option<String> {
        if let Some((id, _)) = self.names.iter().find(|(_, zh)| zh == typed) {
            return Some(format!("`{typed}` is the Chinese name of the {} `{id}`: write `{id}`", self.what));
        }
        let options: Vec<&str> = self.ids.iter().map(String::as_str).collect();
        // Ids are ASCII: spelling distance to a Chinese word means nothing (万户 is not `ge`).
        let mut near: Vec<&str> = closest(typed, &options).filter(|_| typed.is_ascii()).into_iter().collect();
        // A Chinese name sharing characters with what was typed (万户 → 户, 万人).
        let typed_chars: HashSet<char> = typed.chars().filter(|c| !c.is_ascii()).collect();
        if !typed_chars.is_empty() {
            let mut by_name: Vec<(usize, usize, &str)> = self
                .names
                .iter()
                .map(|(id, zh)| {
                    (zh.chars().filter(|c| typed_chars.contains(c)).count(), zh.chars().count(), id.as_str())
                })
                .filter(|(n, _, _)| *n > 0)
                .collect();
            // Most characters in common first, then the shortest name.
            by_name.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            near.extend(by_name.into_iter().map(|(_, _, id)| id).take(3));
        }
        near.dedup();
        if near.is_empty() {
            return None;
        }
        let shown: Vec<String> = near
            .iter()
            .map(|id| match self.names.iter().find(|(i, _)| i == id) {
                Some((_, zh)) => format!("`{id}` ({zh})"),
                None => format!("`{id}`"),
            })
            .collect();
        Some(format!("did you mean {}? (ids are listed in {})", shown.join(", "), self.file))
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        !self.loaded || self.ids.iter().chain(&self.broken).any(|i| i == id)
    }
}

/// Every catalogue's ids, and the kind of each unit, as the city files refer to them.
pub(super) struct Known<'a> {
    pub(super) sectors: Ids,
    pub(super) departments: Ids,
    pub(super) units: Ids,
    pub(super) sources: Ids,
    pub(super) unit_kinds: HashMap<&'a str, UnitKind>,
}

impl<'a> Known<'a> {
    pub(super) fn new(loader: &Loader, loaded: &'a Catalogue) -> Known<'a> {
        let sectors = loaded.sectors.as_ref().map(|p| p.data.sector.as_slice()).unwrap_or_default();
        let departments = loaded.departments.as_ref().map(|p| p.data.department.as_slice()).unwrap_or_default();
        let units = loaded.units.as_ref().map(|p| p.data.unit.as_slice()).unwrap_or_default();
        let sources = loaded.sources.as_ref().map(|p| p.data.source.as_slice()).unwrap_or_default();
        let mut unit_ids = Ids::new(
            ("unit", Rule::UnknownUnit, "data/catalogue/units.toml"),
            loader,
            loaded.units.is_some(),
            units.iter().map(|u| &u.id),
        );
        unit_ids.names = units.iter().map(|u| (u.id.get_ref().clone(), u.zh.get_ref().clone())).collect();
        Known {
            sectors: Ids::new(
                ("sector", Rule::UnknownSector, "data/catalogue/sectors.toml"),
                loader,
                loaded.sectors.is_some(),
                sectors.iter().map(|s| &s.id),
            ),
            departments: Ids::new(
                ("department", Rule::UnknownDepartment, "data/catalogue/departments.toml"),
                loader,
                loaded.departments.is_some(),
                departments.iter().map(|d| &d.id),
            ),
            units: unit_ids,
            sources: Ids::new(
                ("source", Rule::UnknownSource, "data/catalogue/sources.toml"),
                loader,
                loaded.sources.is_some(),
                sources.iter().map(|s| &s.id),
            ),
            unit_kinds: units.iter().map(|u| (u.id.get_ref().as_str(), u.kind)).collect(),
        }
    }
}

impl Validator<'_> {
    pub(super) fn unique_ids<'s>(&mut self, file: FileIdx, ids: impl Iterator<Item = &'s Spanned<String>>, what: &str) {
        let mut seen: HashMap<&str, Range<usize>> = HashMap::new();
        for id in ids {
            self.id_format(file, id, what);
            if let Some(first) = seen.get(id.get_ref().as_str()) {
                let at = self.first_at(file, first);
                self.push(
                    Diagnostic::new(
                        file,
                        span(id),
                        Rule::DuplicateId,
                        format!("the {what} id `{}` is used twice{at}", id.get_ref()),
                    )
                    .with_hint("ids must be unique; rename one of them"),
                );
            } else {
                seen.insert(id.get_ref(), id.span());
            }
        }
    }

    pub(super) fn id_format(&mut self, file: FileIdx, id: &Spanned<String>, what: &str) {
        if !is_valid_id(id.get_ref()) {
            let suggestion: String =
                id.get_ref().to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            let suggestion = suggestion.trim_matches('-').to_string();
            self.push(
                Diagnostic::new(
                    file,
                    span(id),
                    Rule::IdFormat,
                    if is_reserved_on_windows(id.get_ref()) {
                        format!(
                            "the {what} id `{}` is a device name on Windows: no file can be named after it there",
                            id.get_ref()
                        )
                    } else {
                        format!("the {what} id `{}` may only contain a-z, 0-9 and `-`", id.get_ref())
                    },
                )
                .with_hint(if is_reserved_on_windows(id.get_ref()) {
                    "choose another id, e.g. with the place's name in it".into()
                } else if is_valid_id(&suggestion) {
                    format!("for example `{suggestion}`")
                } else {
                    "use lower-case ASCII letters, digits and hyphens".into()
                }),
            );
        }
    }

    pub(super) fn reference(&mut self, file: FileIdx, id: &Spanned<String>, known: &Ids) {
        if known.contains(id.get_ref()) {
            return;
        }
        let key = (file, known.rule, id.get_ref().clone());
        if let Some((_, more)) = self.unknown.get_mut(&key) {
            *more += 1;
            return;
        }
        let hint = match (known.suggest(id.get_ref()), known.twice.first()) {
            (Some(suggestion), _) => suggestion,
            (None, Some(twice)) => {
                format!("{} has the id `{twice}` twice: was one of them meant to be `{}`?", known.file, id.get_ref())
            }
            (None, None) => format!("add it to {} or use one of the ids listed there", known.file),
        };
        self.unknown.insert(key, (self.out.len(), 0));
        self.push(
            Diagnostic::new(file, span(id), known.rule, format!("unknown {} `{}`", known.what, id.get_ref()))
                .with_hint(hint),
        );
    }
}
