//! One indicator and its "of which" parts, rule family by rule family: identity, what it
//! inherits (sector, unit, source), its name against its unit, its figures (numbers, result or
//! plan, completion, alternatives), its explanations, its years, and how its parts add up.

use std::collections::HashSet;

use serde_spanned::Spanned;

use super::ids::Known;
use super::{COMPLETION_TOLERANCE, OLDEST_REFERENCE_YEARS, Validator, span};
use crate::diagnostics::{Diagnostic, FileIdx, Rule};
use crate::model::{Indicator, UnitKind};

/// What an "of which" item takes from its parent when it does not say.
#[derive(Clone)]
pub(super) struct Inherited {
    sector: Option<String>,
    unit: Option<String>,
}

/// What every rule on one indicator needs besides the indicator itself.
struct Cx<'k, 'a> {
    file: FileIdx,
    year: i64,
    known: &'k Known<'a>,
}

impl Validator<'_> {
    /// Every rule on `ind`, then on its parts. `seen` holds the ids used so far in the city.
    pub(super) fn indicator(
        &mut self,
        file: FileIdx,
        ind: &Indicator,
        parent: Option<Inherited>,
        year: i64,
        known: &Known,
        seen: &mut HashSet<String>,
    ) {
        let cx = Cx { file, year, known };
        self.identity(&cx, ind, seen);
        let inherited = self.inheritance(&cx, ind, parent.as_ref());
        let kind = inherited.unit.as_deref().and_then(|u| known.unit_kinds.get(u)).copied();
        self.rate_name(&cx, ind, kind);
        self.figures(&cx, ind, kind);
        self.explanations(&cx, ind);
        self.years(&cx, ind);
        self.parts(&cx, ind, inherited, kind, seen);
    }

    /// A well-formed id, unique in the city (sub-items included), and a printable name.
    fn identity(&mut self, cx: &Cx, ind: &Indicator, seen: &mut HashSet<String>) {
        let file = cx.file;
        self.id_format(file, &ind.id, "indicator");
        if !seen.insert(ind.id.get_ref().clone()) {
            self.push(
                Diagnostic::new(
                    file,
                    span(&ind.id),
                    Rule::DuplicateId,
                    format!("the indicator id `{}` is used twice in this city", ind.id.get_ref()),
                )
                .with_hint("ids must be unique within a city, sub-items included"),
            );
        }
        self.bilingual(file, &ind.name);
        if let Some(p) = &ind.pinyin
            && let Err(e) = crate::reading::check_override(ind.name.zh(), p.get_ref())
        {
            self.push(Diagnostic::new(file, span(p), Rule::Pinyin, format!("`pinyin` {e}")).with_hint(
                "give one syllable with its tone number per Chinese character, e.g. pinyin = \"chang2 cheng2\"",
            ));
        }
    }

    /// Sector, unit and source: given (and known), or inherited from the parent. A part stays in
    /// its parent's sector. Returns what the indicator's own parts inherit.
    fn inheritance(&mut self, cx: &Cx, ind: &Indicator, parent: Option<&Inherited>) -> Inherited {
        let file = cx.file;
        let id_span = span(&ind.id);
        let sector = match (&ind.sector, parent) {
            (Some(s), _) => {
                self.reference(file, s, &cx.known.sectors);
                if let Some(p) = parent
                    && p.sector.as_deref() != Some(s.get_ref().as_str())
                {
                    self.push(
                        Diagnostic::new(
                            file,
                            span(s),
                            Rule::SubItemSector,
                            "an \"of which\" item must be in its parent's sector",
                        )
                        .with_hint("remove `sector` from the sub-item"),
                    );
                }
                Some(s.get_ref().clone())
            }
            (None, Some(p)) => p.sector.clone(),
            (None, None) => {
                self.push(
                    Diagnostic::new(file, id_span.clone(), Rule::MissingInherited, "the indicator has no `sector`")
                        .with_hint("add `sector = \"…\"` with an id from data/catalogue/sectors.toml"),
                );
                None
            }
        };
        let unit = match (&ind.unit, parent) {
            (Some(u), _) => {
                self.reference(file, u, &cx.known.units);
                Some(u.get_ref().clone())
            }
            (None, Some(p)) => p.unit.clone(),
            (None, None) => {
                self.push(
                    Diagnostic::new(file, id_span.clone(), Rule::MissingInherited, "the indicator has no `unit`")
                        .with_hint("add `unit = \"…\"` with an id from data/catalogue/units.toml"),
                );
                None
            }
        };
        match (&ind.source, parent) {
            (Some(s), _) => self.reference(file, s, &cx.known.sources),
            (None, Some(_)) => {}
            (None, None) => self.push(
                Diagnostic::new(file, id_span, Rule::MissingInherited, "the indicator has no `source`")
                    .with_hint("add `source = \"…\"` naming the article in data/catalogue/sources.toml"),
            ),
        }
        Inherited { sector, unit }
    }

    /// A percentage is named as a rate, a share or a coverage, not as a count.
    fn rate_name(&mut self, cx: &Cx, ind: &Indicator, kind: Option<UnitKind>) {
        if kind != Some(UnitKind::Percent) {
            return;
        }
        const SAYS_RATE: [&str; 9] =
            ["rate", "share", "coverage", "proportion", "percentage", "ratio", "progress", "completion", "per cent"];
        let en = ind.name.en().to_lowercase();
        if !en.trim().is_empty() && !SAYS_RATE.iter().any(|w| en.contains(w)) {
            self.push(
                Diagnostic::new(
                    cx.file,
                    span(&ind.name.en),
                    Rule::RateName,
                    "a percentage named as if it were a count",
                )
                .with_hint("say what the per cent measures: \"… rate\", \"share of …\", \"coverage of …\""),
            );
        }
    }

    /// The numbers in the indicator's unit, a value or a target, the change, the alternative
    /// figures, and a completion rate that is plausible and agrees with value / target.
    fn figures(&mut self, cx: &Cx, ind: &Indicator, kind: Option<UnitKind>) {
        let file = cx.file;
        for number in [ind.value.as_ref(), ind.target.as_ref(), ind.previous.as_ref(), ind.last_year.as_ref()]
            .into_iter()
            .flatten()
        {
            self.number(file, number, kind);
        }
        // A result has a value, a plan a target; a completion rate measures a value.
        match (&ind.value, &ind.target, &ind.completion) {
            (None, None, _) => self.push(
                Diagnostic::new(file, span(&ind.id), Rule::NoFigure, "the indicator has neither a `value` nor a `target`")
                    .with_hint("a result gets `value = …`; a plan (a target for the year) gets `target = …`; progress gets both and `as_of`"),
            ),
            (None, Some(_), Some(c)) => self.push(
                Diagnostic::new(file, span(c), Rule::NoFigure, "a completion rate without the `value` it measures")
                    .with_hint("give the value reached, or leave the rate out until there is one"),
            ),
            _ => {}
        }
        // A reported change may be negative, but must be a number.
        if let Some(change) = &ind.change {
            self.number(file, change, Some(UnitKind::Other));
        }
        for alt in &ind.alternatives {
            self.number(file, &alt.value, kind);
            self.reference(file, &alt.source, &cx.known.sources);
            if let Some(n) = &alt.note {
                self.bilingual(file, n);
            }
            if let Some(e) = &alt.editorial {
                self.text(file, &e.zh);
                self.text(file, &e.en);
            }
        }
        if let Some(c) = &ind.completion {
            self.completion(file, ind, c);
        }
    }

    fn completion(&mut self, file: FileIdx, ind: &Indicator, c: &Spanned<f64>) {
        let rate = *c.get_ref();
        if !rate.is_finite() || !(0.0..=1000.0).contains(&rate) {
            self.push(
                Diagnostic::new(
                    file,
                    span(c),
                    Rule::CompletionRange,
                    format!("a completion rate of {rate} % is not plausible"),
                )
                .with_hint("write the rate in per cent, e.g. 147.95 for 147.95 %"),
            );
        } else if let (Some(t), Some(value)) = (&ind.target, &ind.value) {
            let target = *t.get_ref();
            if target > 0.0 {
                let implied = value.get_ref() / target * 100.0;
                if (implied - rate).abs() > COMPLETION_TOLERANCE {
                    self.push(
                        Diagnostic::new(
                            file,
                            span(c),
                            Rule::CompletionMismatch,
                            format!("completion {rate} % does not match value / target = {implied:.2} %"),
                        )
                        .with_hint(format!(
                            "check the value, the target and the rate; they may differ by {COMPLETION_TOLERANCE} points at most"
                        )),
                    );
                }
            }
        }
    }

    /// Notes, the date a progress figure refers to, and the method of a derived figure (which
    /// must have one).
    fn explanations(&mut self, cx: &Cx, ind: &Indicator) {
        let file = cx.file;
        if let Some(note) = &ind.note {
            self.bilingual(file, note);
        }
        // Never printed: only what any text must be (no control characters), not what print needs.
        if let Some(e) = &ind.editorial {
            self.text(file, &e.zh);
            self.text(file, &e.en);
        }
        if let Some(as_of) = &ind.as_of {
            self.text(file, as_of);
        }
        if ind.derived && ind.method.is_none() {
            self.push(
                Diagnostic::new(
                    file,
                    span(&ind.id),
                    Rule::DerivedMethod,
                    "a derived indicator must say how it was computed",
                )
                .with_hint("add `method = { zh = \"…\", en = \"…\" }`"),
            );
        }
        if let Some(m) = &ind.method {
            self.bilingual(file, m);
        }
    }

    /// A reference year near the edition's, and a running total that starts before it.
    fn years(&mut self, cx: &Cx, ind: &Indicator) {
        let (file, year) = (cx.file, cx.year);
        if let Some(y) = &ind.reference_year {
            let y_val = *y.get_ref();
            if y_val > year || y_val < year - OLDEST_REFERENCE_YEARS {
                self.push(
                    Diagnostic::new(
                        file,
                        span(y),
                        Rule::ReferenceYear,
                        format!("reference year {y_val} is implausible for the {year} edition"),
                    )
                    .with_hint(format!(
                        "a figure in this edition refers to {} to {year}",
                        year - OLDEST_REFERENCE_YEARS
                    )),
                );
            }
        }
        if let Some(since) = &ind.cumulative_since {
            let upto = ind.reference_year.as_ref().map_or(year, |y| *y.get_ref());
            if *since.get_ref() > upto || *since.get_ref() < 1949 {
                self.push(
                    Diagnostic::new(
                        file,
                        span(since),
                        Rule::CumulativeSince,
                        format!("a running total cannot start in {}", since.get_ref()),
                    )
                    .with_hint(format!("the start year must lie before {upto}")),
                );
            }
        }
    }

    /// Every "of which" part (each checked as an indicator), then: parts in the parent's unit
    /// do not exceed it, and a breakdown that does not add up to its total says why.
    fn parts(
        &mut self,
        cx: &Cx,
        ind: &Indicator,
        inherited: Inherited,
        kind: Option<UnitKind>,
        seen: &mut HashSet<String>,
    ) {
        let (file, year, known) = (cx.file, cx.year, cx.known);
        // Plans have no value to compare parts with.
        let Some(total) = &ind.value else {
            for part in &ind.of_which {
                self.indicator(file, part, Some(inherited.clone()), year, known, seen);
            }
            return;
        };
        let parent_value = *total.get_ref();
        let mut sum = 0.0;
        let mut summable = true;
        for part in &ind.of_which {
            self.indicator(file, part, Some(inherited.clone()), year, known, seen);
            let same_unit = part.unit.as_ref().is_none_or(|u| Some(u.get_ref()) == inherited.unit.as_ref());
            if let (true, Some(part_value)) = (same_unit, &part.value) {
                let v = *part_value.get_ref();
                sum += v;
                if v > parent_value && kind != Some(UnitKind::Rate) && kind != Some(UnitKind::Percent) {
                    self.push(
                        Diagnostic::new(
                            file,
                            span(part_value),
                            Rule::PartExceedsTotal,
                            format!("the part {v} is larger than its total {parent_value}"),
                        )
                        .with_hint("check both figures; an \"of which\" item is a part of its parent"),
                    );
                }
            } else {
                summable = false;
            }
        }
        let additive = matches!(kind, Some(UnitKind::Count | UnitKind::Money | UnitKind::Length | UnitKind::Area));
        // A breakdown (two parts or more) that does not account for its total needs a word why.
        let off = (sum - parent_value).abs() > parent_value.abs() * 0.005 + 1e-9;
        if summable && additive && ind.of_which.len() > 1 && off && sum <= parent_value && ind.note.is_none() {
            self.push(
                Diagnostic::new(
                    file,
                    span(total),
                    Rule::PartsWithoutNote,
                    format!("the parts add up to {sum}, not to the total {parent_value}, and no note says why"),
                )
                .with_hint("add a note: e.g. that the article breaks down only part of the total"),
            );
        }
        if summable && additive && ind.of_which.len() > 1 && sum > parent_value * 1.005 + 1e-9 {
            self.push(
                Diagnostic::new(
                    file,
                    span(total),
                    Rule::PartsExceedTotal,
                    format!("the parts add up to {sum}, more than the total {parent_value}"),
                )
                .with_hint("parts of a total may fall short of it, but should not exceed it"),
            );
        }
    }

    /// A finite number, within 0–100 for a percentage, not negative for a count or measure.
    fn number(&mut self, file: FileIdx, n: &Spanned<f64>, kind: Option<UnitKind>) {
        let v = *n.get_ref();
        if !v.is_finite() {
            self.push(
                Diagnostic::new(file, span(n), Rule::NotFinite, "the number is not finite")
                    .with_hint("write an ordinary number"),
            );
            return;
        }
        match kind {
            Some(UnitKind::Percent) if !(0.0..=100.0).contains(&v) => {
                self.push(
                    Diagnostic::new(
                        file,
                        span(n),
                        Rule::PercentRange,
                        format!("{v} is outside 0–100 % for a percentage"),
                    )
                    .with_hint("a completion rate goes in `completion`; a growth rate needs a unit of kind `other`"),
                );
            }
            Some(k) if k != UnitKind::Other && k != UnitKind::Percent && v < 0.0 => {
                self.push(
                    Diagnostic::new(
                        file,
                        span(n),
                        Rule::Negative,
                        format!("{v} is negative, but the unit counts or measures something"),
                    )
                    .with_hint("check the sign"),
                );
            }
            _ => {}
        }
    }
}
