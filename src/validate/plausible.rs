//! Numbers a clerk did not mean, and figures that cannot be set beside last year's.
//!
//! TOML reads `0x49`, `6_5`, `3.72e2` and `+387` as numbers, and nobody copies a figure from an
//! article that way: such a form is a slip (or a paste from a program), and its decimals cannot
//! be read from it (`3.72e2` once printed as `372.00`). A magnitude beyond what any city reports
//! in a unit of that kind (`1e308` persons) would print as a 309-digit number. And a unit changed
//! between editions silently drops last year's figure from the comparison; the clerk is told why.

use std::collections::HashMap;

use crate::diagnostics::{Diagnostic, FileIdx, Rule, SourceFiles};
use crate::load::{Catalogue, Edition};
use crate::model::{Indicator, UnitKind};
use serde_spanned::Spanned;

/// The largest figure a city plausibly reports in a unit of each kind, as typed in that unit.
/// Generous on purpose: a warning here means extra digits or a wrong unit, not a large city.
fn limit(kind: UnitKind) -> Option<f64> {
    match kind {
        // People, households, items, visits: ten billion is more than any city counts.
        UnitKind::Count => Some(1e10),
        // Yuan: a city's whole economic output is of the order of 1e12.
        UnitKind::Money => Some(1e13),
        UnitKind::Length => Some(1e7),
        UnitKind::Area => Some(1e12),
        UnitKind::Rate => Some(1e7),
        UnitKind::Rank => Some(1e4),
        UnitKind::Other => Some(1e12),
        // Checked against 0–100 by its own rule.
        UnitKind::Percent => None,
    }
}

/// Every number of every figure of `edition`: its written form and its magnitude.
pub(super) fn numbers(files: &SourceFiles, catalogue: &Catalogue, edition: &Edition) -> Vec<Diagnostic> {
    let kinds: HashMap<&str, (UnitKind, &str)> = catalogue
        .units
        .iter()
        .flat_map(|u| &u.data.unit)
        .map(|u| (u.id.get_ref().as_str(), (u.kind, u.zh.get_ref().as_str())))
        .collect();
    let mut out = Vec::new();
    for city in &edition.cities {
        let text = files.text(city.file);
        for ind in &city.city.indicators {
            figure(&mut out, city.file, text, &kinds, ind, None);
        }
    }
    out
}

fn figure<'a>(
    out: &mut Vec<Diagnostic>,
    file: FileIdx,
    text: &str,
    kinds: &HashMap<&str, (UnitKind, &'a str)>,
    ind: &'a Indicator,
    inherited: Option<&'a str>,
) {
    let unit = ind.unit.as_ref().map(|u| u.get_ref().as_str()).or(inherited);
    let kind = unit.and_then(|u| kinds.get(u)).copied();
    let counted = [&ind.value, &ind.target, &ind.previous, &ind.last_year];
    for n in counted.into_iter().flatten().chain(ind.alternatives.iter().map(|a| &a.value)) {
        form(out, file, text, n);
        if let Some((kind, unit_zh)) = kind
            && let Some(max) = limit(kind)
            && n.get_ref().abs() > max
        {
            out.push(
                Diagnostic::new(
                    file,
                    Some(n.span()),
                    Rule::ImplausibleMagnitude,
                    format!("{} {unit_zh} is more than any city reports in a unit of this kind", shown(*n.get_ref())),
                )
                .with_hint(format!("check for extra digits or a wrong unit (at most {} here)", shown(max))),
            );
        }
    }
    for n in [&ind.completion, &ind.change].into_iter().flatten() {
        form(out, file, text, n);
    }
    for part in &ind.of_which {
        figure(out, file, text, kinds, part, unit);
    }
}

/// A number too long to read is shown in scientific form; others as they are.
fn shown(v: f64) -> String {
    if v.abs() >= 1e15 { format!("{v:e}") } else { format!("{v}") }
}

/// Refuses the forms TOML allows and no article prints.
fn form(out: &mut Vec<Diagnostic>, file: FileIdx, text: &str, n: &Spanned<f64>) {
    let Some(literal) = text.get(n.span()).map(str::trim) else { return };
    let unsigned = literal.trim_start_matches(['+', '-']);
    let why = if ["0x", "0o", "0b"].iter().any(|p| unsigned.starts_with(p)) {
        "is written in another base"
    } else if literal.contains('_') {
        "has an underscore between its digits"
    } else if unsigned.contains(['e', 'E']) && !unsigned.starts_with(['i', 'n']) {
        "has an exponent"
    } else if literal.starts_with('+') {
        "has a plus sign"
    } else {
        return;
    };
    let v = *n.get_ref();
    let plain = if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v}") };
    out.push(
        Diagnostic::new(
            file,
            Some(n.span()),
            Rule::NumberForm,
            format!("`{literal}` {why}: no article prints a figure so"),
        )
        .with_hint(format!(
            "write the figure as its source prints it, e.g. `{plain}`; its decimals are read from what you type"
        )),
    );
}

/// Figures whose unit differs between the previous edition and this one: last year's figure is
/// then not compared (the two are not the same measure), and the clerk should know why.
pub fn unit_changes(catalogue: &Catalogue, edition: &Edition, previous: &Edition) -> Vec<Diagnostic> {
    let names: HashMap<&str, &str> = catalogue
        .units
        .iter()
        .flat_map(|u| &u.data.unit)
        .map(|u| (u.id.get_ref().as_str(), u.zh.get_ref().as_str()))
        .collect();
    let mut before: HashMap<(&str, &str), &str> = HashMap::new();
    for city in &previous.cities {
        walk(&city.city.indicators, None, &mut |ind, unit| {
            if let Some(unit) = unit {
                before.insert((city.city.id.get_ref().as_str(), ind.id.get_ref().as_str()), unit);
            }
        });
    }
    let mut out = Vec::new();
    for city in &edition.cities {
        walk(&city.city.indicators, None, &mut |ind, unit| {
            // A part that inherits its unit changed with its total, which is reported once.
            let Some(unit) = unit.filter(|_| ind.unit.is_some()) else { return };
            let Some(&was) = before.get(&(city.city.id.get_ref().as_str(), ind.id.get_ref().as_str())) else { return };
            if was != unit {
                let at = ind.unit.as_ref().map_or(ind.id.span(), Spanned::span);
                let name = |id: &str| names.get(id).map_or_else(|| format!("`{id}`"), |zh| format!("`{id}` ({zh})"));
                out.push(
                    Diagnostic::new(
                        city.file,
                        Some(at),
                        Rule::UnitChanged,
                        format!(
                            "the unit is {} here but was {} in the {} edition: last year's figure is not compared",
                            name(unit),
                            name(was),
                            previous.year
                        ),
                    )
                    .with_hint(
                        "if only the unit's name changed, use last year's unit id; otherwise give last year's figure in this unit as `last_year = …`",
                    ),
                );
            }
        });
    }
    out
}

/// Every indicator and part, with the unit it has or inherits.
fn walk<'a>(inds: &'a [Indicator], inherited: Option<&'a str>, f: &mut dyn FnMut(&'a Indicator, Option<&'a str>)) {
    for ind in inds {
        let unit = ind.unit.as_ref().map(|u| u.get_ref().as_str()).or(inherited);
        f(ind, unit);
        walk(&ind.of_which, unit, f);
    }
}
