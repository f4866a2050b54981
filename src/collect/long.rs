//! `yearbook import FILE --long`: one CSV or XLSX sheet with a header row and one figure per
//! row, the form provinces send. Each row is laid out as a collection workbook's row (the
//! indicator's names, unit and last year's value taken from the data) and checked by the same
//! reader, so the rules are the same; findings name the file's line.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx};

use super::import::{Columns, Context, Return, SheetReader, Units};
use super::rules::{Finding, ImportRule, Place};
use super::{COLUMNS, workbook::flatten};
use crate::load::Edition;
use crate::model::Text;

/// The long form's columns: the name the header may use (English or Chinese) → the collection
/// column it fills. `city`, `indicator` and one of `value`/`target` are required.
const HEADERS: [(&[&str], &str); 11] = [
    (&["city", "city id", "城市", "城市代码"], "city"),
    (&["indicator", "indicator id", "indicator_id", "id", "指标代码"], "id"),
    (&["value", "本年数值", "数值"], "value"),
    (&["target", "目标值", "目标"], "target"),
    (&["unit", "单位"], "unit"),
    (&["status", "状态"], "status"),
    (&["reference year", "reference_year", "数据年份"], "reference_year"),
    (&["qualifier", "约数"], "qualifier"),
    (&["note", "备注"], "note"),
    (&["source", "来源"], "source"),
    (&["explanation", "说明"], "explanation"),
];

/// What the data know of a city's indicator: names, sector, unit, last year's value.
type Known = (Text, String, String, Option<f64>);

/// One sector's rows laid out as a collection sheet's, and the file's line of each.
type Rows = (Vec<Vec<Data>>, HashMap<u32, usize>);

/// Reads one long-form file (CSV, or the first sheet of an XLSX workbook).
pub fn read(file: &str, bytes: &[u8], ctx: &Context, latest: Option<&Edition>, current: Option<&Edition>) -> Return {
    let mut r = Return::empty(file, bytes, ctx.year, Some(sender(file)));
    let whole =
        |rule, message: String| Finding::new(Place { file: file.to_string(), sheet: None, cell: None }, rule, message);
    let records = match table(file, bytes) {
        Ok(t) => t,
        Err(message) => {
            r.findings
                .push(whole(ImportRule::UnreadableWorkbook, message).hint("save the sheet as UTF-8 CSV or as .xlsx"));
            return r;
        }
    };
    let Some((header_line, header)) = records.first() else {
        r.findings.push(whole(ImportRule::LongHeader, "is empty: no header row".into()).hint(header_hint()));
        return r;
    };
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().to_lowercase();
        match HEADERS.iter().find(|(names, _)| names.contains(&h.as_str())) {
            Some((_, col)) => {
                at.insert(col, i);
            }
            None if h.is_empty() => {}
            None => r.findings.push(
                Finding::new(
                    Place {
                        file: file.to_string(),
                        sheet: None,
                        cell: Some(format!("row {header_line}, column {}", i + 1)),
                    },
                    ImportRule::LongHeader,
                    format!("unknown column `{h}`"),
                )
                .found(h.clone())
                .hint(header_hint()),
            ),
        }
    }
    for required in ["city", "id"] {
        if !at.contains_key(required) {
            r.findings.push(
                whole(ImportRule::LongHeader, format!("the header row has no `{required}` column")).hint(header_hint()),
            );
        }
    }
    if !at.contains_key("value") && !at.contains_key("target") {
        r.findings.push(
            whole(ImportRule::LongHeader, "the header row has neither `value` nor `target`".into()).hint(header_hint()),
        );
    }
    if !r.findings.is_empty() {
        return r;
    }

    // What the data know of each city's indicators: names, sector, unit, last year's value.
    let units = Units::new(ctx.catalogue);
    let mut known: HashMap<(String, String), Known> = HashMap::new();
    let mut by_id: HashMap<String, (Text, String, String)> = HashMap::new();
    for (edition, last) in [(current, false), (latest, true)] {
        for c in edition.iter().flat_map(|e| &e.cities) {
            let mut flat = Vec::new();
            flatten(&c.city.indicators, None, None, &mut flat);
            for (ind, sector, unit) in flat {
                let name: Text = (&ind.name).into();
                let v = if last { ind.value.as_ref().map(|v| *v.get_ref()) } else { None };
                let key = (c.city.id.get_ref().clone(), ind.id.get_ref().clone());
                let e = known.entry(key).or_insert((name.clone(), sector.clone(), unit.clone(), None));
                if last {
                    e.3 = v;
                }
                by_id.entry(ind.id.get_ref().clone()).or_insert((name, sector, unit));
            }
        }
    }
    let cities: Vec<String> =
        [latest, current].into_iter().flatten().flat_map(|e| &e.cities).map(|c| c.city.id.get_ref().clone()).collect();
    let sources: Vec<String> =
        ctx.catalogue.sources.iter().flat_map(|p| &p.data.source).map(|s| s.id.get_ref().clone()).collect();

    // Rows by sector, laid out as a collection sheet's rows; the sources rows cite, by figure cell.
    let mut cited: HashMap<String, String> = HashMap::new();
    let mut sheets: BTreeMap<String, Rows> = BTreeMap::new();
    let col = |name: &str| COLUMNS.iter().position(|c| c.name == Some(name)).expect("a collection column");
    for (line, fields) in &records[1..] {
        let get =
            |name: &str| at.get(name).and_then(|i| fields.get(*i)).map(|s| s.trim().to_string()).unwrap_or_default();
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let place =
            |name: &str| Place { file: file.to_string(), sheet: None, cell: Some(format!("row {line}, {name}")) };
        let (city, id) = (get("city"), get("id"));
        if !cities.contains(&city) {
            r.findings.push(
                Finding::new(place("city"), ImportRule::UnknownCity, format!("`{city}` is not a city of the data"))
                    .found(city.clone())
                    .hint(
                        "use the city's id as in data/<year>/<id>.toml; a new city is started with `yearbook new-city`",
                    ),
            );
            continue;
        }
        let Some((name, sector, unit, last)) = known
            .get(&(city.clone(), id.clone()))
            .cloned()
            .or_else(|| by_id.get(&id).map(|(n, s, u)| (n.clone(), s.clone(), u.clone(), None)))
        else {
            r.findings.push(
                Finding::new(
                    place("indicator"),
                    ImportRule::UnknownIndicator,
                    format!("`{id}` is not an indicator of the data"),
                )
                .found(id.clone())
                .hint(
                    "use an indicator id the cities already have, or add the indicator to the city file by hand first",
                ),
            );
            continue;
        };
        let unit_text = units.by_id.get(&unit).map(|(t, _)| t.zh.clone()).unwrap_or_else(|| unit.clone());
        let given_unit = get("unit");
        if !given_unit.is_empty() && units.find(&given_unit).as_deref() != Some(unit.as_str()) {
            r.findings.push(
                Finding::new(
                    place("unit"),
                    ImportRule::OtherUnit,
                    format!("unit `{given_unit}` is not the indicator's unit {unit_text}"),
                )
                .found(given_unit.clone())
                .hint(format!("convert the figure to {unit_text} and write that unit, or leave the unit empty")),
            );
            continue;
        }
        let source = get("source");
        if !source.is_empty() && !sources.contains(&source) {
            r.findings.push(
                Finding::new(
                    place("source"),
                    ImportRule::UnknownIndicator,
                    format!("source `{source}` is not in data/catalogue/sources.toml"),
                )
                .found(source.clone())
                .hint("name a source id of the catalogue, or leave the source empty: the figure then cites this file"),
            );
            continue;
        }
        let mut row = vec![Data::Empty; COLUMNS.len()];
        row[col("city")] = Data::String(city);
        row[col("id")] = Data::String(id);
        row[col("name_zh")] = Data::String(name.zh);
        row[col("name_en")] = Data::String(name.en);
        row[col("unit")] = Data::String(unit_text);
        if let Some(v) = last {
            row[col("last_year")] = Data::Float(v);
        }
        for name in ["value", "target", "status", "qualifier", "reference_year", "note", "explanation"] {
            let v = get(name);
            if !v.is_empty() {
                row[col(name)] = Data::String(v);
            }
        }
        if !source.is_empty() {
            cited.insert(format!("{file} row {line}"), source);
        }
        let (rows, lines) = sheets.entry(sector).or_default();
        lines.insert(rows.len() as u32, *line);
        rows.push(row);
    }
    let limits = ctx.limits;
    let year = ctx.year.unwrap_or_default();
    for (sector, (rows, lines)) in &sheets {
        let mut range = Range::new((0, 0), (rows.len() as u32 - 1, COLUMNS.len() as u32 - 1));
        for (i, row) in rows.iter().enumerate() {
            for (j, d) in row.iter().enumerate() {
                range.set_value((i as u32, j as u32), d.clone());
            }
        }
        let cols = Columns {
            at: COLUMNS.iter().enumerate().filter_map(|(i, c)| c.name.map(|n| (n, i as u32))).collect(),
            first: 0,
            last: rows.len() as u32 - 1,
        };
        let mut reader = SheetReader {
            file,
            sheet: file,
            lines: Some(lines),
            sector,
            range: &range,
            cols: &cols,
            year,
            units: &units,
            limits,
            r: &mut r,
        };
        for row in 0..rows.len() as u32 {
            reader.row(row, false, None, &[]);
        }
    }
    r.cells.clear();
    for f in &mut r.figures {
        f.source = cited.get(&f.cell).cloned();
    }
    let mut cities: Vec<String> = r.figures.iter().map(|f| f.city.clone()).collect();
    cities.sort();
    cities.dedup();
    r.cities = cities;
    r
}

/// Who sent a long-form file, for its source entry: its name, as an id.
fn sender(file: &str) -> String {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let id = super::import::slug(stem);
    if id.is_empty() { "long".into() } else { id }
}

fn header_hint() -> String {
    "the header row names the columns: city, indicator, value, target, unit, status, reference year, qualifier, note, source (and explanation)".into()
}

/// The records of a CSV file or of an XLSX workbook's first sheet, each with its line (1-based).
fn table(file: &str, bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, String> {
    if file.to_lowercase().ends_with(".xlsx") {
        let mut wb: Xlsx<_> =
            Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("cannot be read as an XLSX workbook: {e}"))?;
        let range = wb.worksheet_range_at(0).ok_or("has no sheet")?.map_err(|e| e.to_string())?;
        // A sheet need not start at A1: the lines are the sheet's own row numbers.
        let (r0, _) = range.start().unwrap_or((0, 0));
        Ok(range
            .rows()
            .enumerate()
            .map(|(i, row)| {
                let fields = row
                    .iter()
                    .map(|d| match d {
                        Data::Float(v) => super::import::fmt(*v),
                        Data::Empty => String::new(),
                        other => other.to_string(),
                    })
                    .collect();
                (r0 as usize + i + 1, fields)
            })
            .collect())
    } else {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| format!("is not UTF-8 text (byte {}): save it as UTF-8 CSV", e.valid_up_to()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(1, |p| p.line());
                format!("cannot be read as CSV near line {line}: {e}")
            })?;
            // After a CRLF the reader stops at the CR: count the line from the record's bytes.
            let start = record.position().map_or(0, |p| p.byte() as usize).min(text.len());
            let skipped = text[start..].bytes().take_while(|b| matches!(b, b'\r' | b'\n')).count();
            let line = 1 + text[..start + skipped].matches('\n').count();
            if record.len() == 1 && record[0].is_empty() {
                continue;
            }
            rows.push((line, record.iter().map(str::to_string).collect()));
        }
        Ok(rows)
    }
}
