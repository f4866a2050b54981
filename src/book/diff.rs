//! What changed between two editions: indicators new in this edition, indicators dropped since
//! the previous one, and last year's figures that this edition restates. The book prints it as
//! a section and `yearbook diff` prints it as a report.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::num::Num;
use crate::model::Text;
use crate::resolve::{City, Figure, Resolved, walk};
use crate::year::Year;

#[derive(Debug, Serialize)]
pub struct EditionDiff {
    pub from: Year,
    pub to: Year,
    pub cities_added: Vec<Text>,
    pub cities_dropped: Vec<Text>,
    /// Indicators of cities in both editions that only this edition has.
    pub new: Vec<Item>,
    /// Indicators of cities in both editions that this edition no longer has.
    pub dropped: Vec<Item>,
    pub restated: Vec<Restatement>,
}

#[derive(Debug, Serialize)]
pub struct Item {
    pub city: Text,
    pub id: String,
    pub name: Text,
    pub unit: Text,
    pub value: String,
}

#[derive(Debug, Serialize)]
pub struct Restatement {
    pub city: Text,
    pub id: String,
    pub name: Text,
    pub unit: Text,
    pub year: i64,
    /// As the previous edition printed it.
    pub was: String,
    /// As this edition gives it.
    pub now: String,
}

impl EditionDiff {
    pub fn is_empty(&self) -> bool {
        self.cities_added.is_empty()
            && self.cities_dropped.is_empty()
            && self.new.is_empty()
            && self.dropped.is_empty()
            && self.restated.is_empty()
    }
}

fn figures(city: &City) -> BTreeMap<&str, &Figure> {
    let mut out = BTreeMap::new();
    walk(&city.figures, &mut |f| {
        out.insert(f.id.as_str(), f);
    });
    out
}

fn item(city: &City, f: &Figure) -> Item {
    Item {
        city: city.name.clone(),
        id: f.id.clone(),
        name: f.name.clone(),
        unit: f.unit.text.clone(),
        value: f.value.or(f.target).map(|v| Num::new(v.value, v.decimals).text()).unwrap_or_default(),
    }
}

/// `current` must already carry last year's figures (`resolve::join_previous`).
pub fn diff(previous: &Resolved, current: &Resolved) -> EditionDiff {
    let before: BTreeMap<&str, &City> = previous.cities.iter().map(|c| (c.id.as_str(), c)).collect();
    let after: BTreeMap<&str, &City> = current.cities.iter().map(|c| (c.id.as_str(), c)).collect();
    let ids: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    let mut d = EditionDiff {
        from: previous.year,
        to: current.year,
        cities_added: Vec::new(),
        cities_dropped: Vec::new(),
        new: Vec::new(),
        dropped: Vec::new(),
        restated: Vec::new(),
    };
    for id in ids {
        match (before.get(id), after.get(id)) {
            (None, Some(c)) => d.cities_added.push(c.name.clone()),
            (Some(c), None) => d.cities_dropped.push(c.name.clone()),
            (Some(old), Some(new)) => {
                let (was, now) = (figures(old), figures(new));
                d.new.extend(now.iter().filter(|(k, _)| !was.contains_key(*k)).map(|(_, f)| item(new, f)));
                d.dropped.extend(was.iter().filter(|(k, _)| !now.contains_key(*k)).map(|(_, f)| item(old, f)));
                for f in now.values() {
                    if let Some(last) = &f.last_year
                        && let Some(old_value) = last.restated_from
                    {
                        d.restated.push(Restatement {
                            city: new.name.clone(),
                            id: f.id.clone(),
                            name: f.name.clone(),
                            unit: f.unit.text.clone(),
                            year: last.year,
                            was: Num::new(old_value.value, old_value.decimals).text(),
                            now: Num::new(last.value.value, last.value.decimals).text(),
                        });
                    }
                }
            }
            (None, None) => {}
        }
    }
    d
}
