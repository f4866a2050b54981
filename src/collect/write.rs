//! Imported figures into the data files: `data/<year>/<city>.toml` edited with `toml_edit`, so a
//! clerk's comments, key order and layout survive; a city file created when the city is new to
//! the year; the return recorded as a source in `data/catalogue/sources.toml`. Everything here
//! works on texts in memory; the caller lands the files together.

use std::collections::{BTreeSet, HashMap};

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value, value};

use super::import::{Figure, fmt};
use crate::model::Text;

/// What one import does to one city file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    /// Indicator id and `old → new` of its value or target.
    pub changed: Vec<(String, String)>,
    pub unchanged: usize,
    /// Figures of an earlier return of the same department that this one no longer has.
    pub removed: Vec<String>,
    pub created: bool,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty() && !self.created
    }
}

/// The id of the source entry for a department's return for one city.
pub fn source_id(year: i32, department: &str, city: &str) -> String {
    format!("{city}-{year}-{department}-return")
}

/// The text of a new city file, before its figures: what identifies the city, from last year's
/// file when there is one. The overview is left to the office (a warning until written).
pub fn new_city_text(id: &str, year: i32, name: &Text, province: Option<&Text>) -> String {
    let mut out = format!(
        "# {} {}, {year} edition: created by `yearbook import` from the departments' returns.\n\
         # Add the overview and the sector summaries; see docs/data-format.md.\n\n\
         id = {}\nyear = {year}\nname = {}\n",
        name.zh,
        name.en,
        quoted(id),
        bilingual(name)
    );
    if let Some(p) = province {
        out.push_str(&format!("province = {}\n", bilingual(p)));
    }
    out.push_str("sources = []\n");
    out
}

fn quoted(s: &str) -> String {
    Value::from(s).to_string().trim().to_string()
}

fn bilingual(t: &Text) -> String {
    let mut it = InlineTable::new();
    it.insert("zh", Value::from(t.zh.as_str()));
    it.insert("en", Value::from(t.en.as_str()));
    it.fmt();
    it.to_string()
}

fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9e15 { Value::from(v as i64) } else { Value::from(v) }
}

/// Applies one return's figures for one city to the city file's text.
pub fn edit_city(text: &str, source: &str, figures: &[&Figure]) -> Result<(String, Changes), String> {
    let mut doc = parse(text)?;
    let changes = edit_city_doc(&mut doc, source, figures)?;
    Ok((doc.to_string(), changes))
}

/// A data file's text as an editable document.
pub fn parse(text: &str) -> Result<DocumentMut, String> {
    text.parse().map_err(|e: toml_edit::TomlError| e.to_string())
}

/// As [`edit_city`], on a document parsed once (a large import edits each file many times).
pub fn edit_city_doc(doc: &mut DocumentMut, source: &str, figures: &[&Figure]) -> Result<Changes, String> {
    let mut changes = Changes::default();
    // The city's list of sources names the return.
    let sources = doc.entry("sources").or_insert(value(Array::new()));
    if let Some(list) = sources.as_array_mut()
        && !list.iter().any(|v| v.as_str() == Some(source))
    {
        list.push(source);
    }
    if doc.get("indicator").is_none() {
        doc.insert("indicator", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let ids: BTreeSet<&str> = figures.iter().map(|f| f.id.as_str()).collect();
    let Some(list) = doc.get_mut("indicator").and_then(Item::as_array_of_tables_mut) else {
        return Err("`indicator` is not a list of [[indicator]] tables".into());
    };
    remove_dropped(list, source, &ids, &mut changes.removed);
    for f in figures {
        match find(list, &f.id) {
            Some(t) => {
                let before = summary(t);
                set_figure(t, f, source);
                let after = summary(t);
                if before == after {
                    changes.unchanged += 1;
                } else {
                    changes.changed.push((f.id.clone(), format!("{before} → {after}")));
                }
            }
            None => {
                let mut t = Table::new();
                t.insert("id", value(f.id.as_str()));
                t.insert("sector", value(f.sector.as_str()));
                t.insert("name", value(inline(&f.name)));
                t.insert("unit", value(f.unit.as_str()));
                set_figure(&mut t, f, source);
                list.push(t);
                changes.added.push(f.id.clone());
            }
        }
    }
    Ok(changes)
}

/// Drops the figures an earlier return of the same source had that this one no longer has.
fn remove_dropped(list: &mut ArrayOfTables, source: &str, keep: &BTreeSet<&str>, removed: &mut Vec<String>) {
    list.retain(|t| {
        let from_here = t.get("source").and_then(Item::as_str) == Some(source);
        let id = t.get("id").and_then(Item::as_str).unwrap_or_default();
        let has_parts = t.get("of_which").and_then(Item::as_array_of_tables).is_some_and(|a| !a.is_empty());
        let drop = from_here && !keep.contains(id) && !has_parts;
        if drop {
            removed.push(id.to_string());
        }
        !drop
    });
    for t in list.iter_mut() {
        if let Some(parts) = t.get_mut("of_which").and_then(Item::as_array_of_tables_mut) {
            remove_dropped(parts, source, keep, removed);
        }
    }
}

/// The indicator table with `id`, at any depth of "of which" items.
fn find<'a>(list: &'a mut ArrayOfTables, id: &str) -> Option<&'a mut Table> {
    for t in list.iter_mut() {
        if t.get("id").and_then(Item::as_str) == Some(id) {
            return Some(t);
        }
        if let Some(parts) = t.get_mut("of_which").and_then(Item::as_array_of_tables_mut)
            && let Some(found) = find(parts, id)
        {
            return Some(found);
        }
    }
    None
}

fn inline(t: &Text) -> InlineTable {
    let mut it = InlineTable::new();
    it.insert("zh", Value::from(t.zh.as_str()));
    it.insert("en", Value::from(t.en.as_str()));
    it.fmt();
    it
}

/// What a change report shows of a figure: its value and target as the file has them.
fn summary(t: &Table) -> String {
    let show = |k: &str| t.get(k).and_then(Item::as_value).map(|v| v.to_string().trim().to_string());
    let mut parts = Vec::new();
    for k in ["value", "target", "qualifier", "reference_year", "as_of", "explanation", "cell", "source"] {
        if let Some(v) = show(k) {
            parts.push(format!("{k} = {v}"));
        }
    }
    if let Some(note) = t.get("note") {
        parts.push(format!("note = {}", note.to_string().trim()));
    }
    parts.join(", ")
}

/// Sets (or removes) every key a return governs. Keys that described an article's figure
/// (how it was printed, the change it reported, a completion it gave) go: the return's figure
/// replaces it.
fn set_figure(t: &mut Table, f: &Figure, source: &str) {
    let mut set = |key: &str, v: Option<Value>| match v {
        Some(v) => {
            let same = t.get(key).and_then(Item::as_value).map(|old| old.to_string().trim() == v.to_string().trim());
            if same != Some(true) {
                t.insert(key, Item::Value(v));
            }
        }
        None => {
            t.remove(key);
        }
    };
    set("value", f.value.map(number));
    set("target", f.target.map(number));
    set("qualifier", f.qualifier.map(Value::from));
    set("reference_year", f.reference_year.map(Value::from));
    set("as_of", f.as_of.as_deref().map(Value::from));
    set("source", Some(Value::from(f.source.as_deref().unwrap_or(source))));
    set("cell", Some(Value::from(f.cell.as_str())));
    set("explanation", f.explanation.as_deref().map(Value::from));
    if let Some(note) = &f.note {
        // A department writes its note in Chinese; the English is left for the editor to
        // translate (`check` warns that it holds Chinese until then).
        set("note", Some(Value::InlineTable(inline(&Text { zh: note.clone(), en: note.clone() }))));
    }
    for stale in ["as_printed", "completion", "change", "last_year"] {
        if t.get(stale).is_some() && t.get("cell").is_some() {
            t.remove(stale);
        }
    }
}

/// A source entry for a return in `sources.toml`, added or brought up to date. The date it was
/// received only changes with the file: importing the same workbook again changes nothing.
pub struct ReturnSource<'a> {
    pub id: &'a str,
    pub city: &'a str,
    pub city_name: &'a Text,
    pub department: &'a str,
    pub department_name: &'a Text,
    pub year: i32,
    pub file: &'a str,
    pub sha256: &'a str,
    pub received: &'a str,
}

pub fn edit_sources(text: &str, s: &ReturnSource) -> Result<String, String> {
    let mut doc = parse(text)?;
    let mut index = SourceIndex::new(&doc);
    edit_sources_doc(&mut doc, &mut index, s)?;
    Ok(doc.to_string())
}

/// As [`edit_sources`], on a document parsed once.
pub fn edit_sources_doc(doc: &mut DocumentMut, index: &mut SourceIndex, s: &ReturnSource) -> Result<(), String> {
    if doc.get("source").is_none() {
        doc.insert("source", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let list = doc
        .get_mut("source")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or("`source` is not a list of [[source]] tables")?;
    let existing = index.0.get(s.id).and_then(|&i| list.get_mut(i));
    let unchanged = existing
        .as_ref()
        .and_then(|t| t.get("return"))
        .and_then(|r| r.get("sha256"))
        .and_then(Item::as_str)
        .is_some_and(|h| h == s.sha256);
    if unchanged {
        return Ok(());
    }
    let title = Text {
        zh: format!("{}{}年民生统计数据报表（{}）", s.department_name.zh, s.year, s.city_name.zh),
        en: format!("{}: livelihood statistics return for {} ({})", s.department_name.en, s.year, s.city_name.en),
    };
    let mut ret = InlineTable::new();
    ret.insert("department", Value::from(s.department));
    ret.insert("file", Value::from(s.file));
    ret.insert("sha256", Value::from(s.sha256));
    ret.insert("received", Value::from(s.received));
    ret.fmt();
    let fill = |t: &mut Table| {
        t.insert("id", value(s.id));
        t.insert("city", value(s.city));
        t.insert("title", value(inline(&title)));
        t.insert("publication", value(inline(s.department_name)));
        t.insert("period", value(s.year.to_string()));
        t.insert("seed", value(s.file));
        t.insert("date", value(s.received));
        t.insert("return", value(ret.clone()));
    };
    match existing {
        Some(t) => fill(t),
        None => {
            let mut t = Table::new();
            fill(&mut t);
            list.push(t);
            index.0.insert(s.id.to_string(), list.len() - 1);
        }
    }
    Ok(())
}

/// Where each `[[source]]` of sources.toml is in its list, by id (the first, if an id is
/// repeated): a national import adds thousands of return entries, and finding each by reading
/// the list again made the import quadratic in them.
#[derive(Debug, Default)]
pub struct SourceIndex(HashMap<String, usize>);

impl SourceIndex {
    pub fn new(doc: &DocumentMut) -> SourceIndex {
        let mut index = HashMap::new();
        if let Some(list) = doc.get("source").and_then(Item::as_array_of_tables) {
            for (i, t) in list.iter().enumerate() {
                if let Some(id) = t.get("id").and_then(Item::as_str) {
                    index.entry(id.to_string()).or_insert(i);
                }
            }
        }
        SourceIndex(index)
    }
}

/// `73 → 80` for a change report.
pub fn show(v: Option<f64>) -> String {
    v.map(fmt).unwrap_or_else(|| "—".into())
}
