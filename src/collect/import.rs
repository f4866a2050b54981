//! Reading a returned collection workbook: what it is (the hidden sheet), where its columns are
//! (the sheet-scoped named ranges, never positions), whether its locked layout is unchanged
//! (the layout hash and the headers), and every entry cell checked again, since Excel's own
//! validation is bypassed by pasting. The result is typed figures and located findings.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx};

use super::numbers::{self, NotANumber};
use super::rules::{Finding, ImportRule, Place};
use super::{
    BLANK_ROWS, COLUMNS, HEADER_ROWS, LAYOUT_COLUMN, META_SHEET, QUALIFIERS, Status, TEMPLATE_NAME, TEMPLATE_VERSION,
    ZH_HEADER_ROW, a1, hash_number, layout_hash,
};
use crate::load::Catalogue;
use crate::model::{Text, UnitKind};
use crate::names::{is_valid_id, sheet_name};

/// The limits of the soft rules, in per cent.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub change: f64,
    pub completion: f64,
}

/// One figure read from a return, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub city: String,
    pub id: String,
    pub sector: String,
    pub name: Text,
    pub unit: String,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub status: Status,
    /// The model's name: `over`, `about`, `nearly`.
    pub qualifier: Option<&'static str>,
    pub reference_year: Option<i64>,
    pub as_of: Option<String>,
    pub note: Option<String>,
    pub explanation: Option<String>,
    /// `sheet!cell` of the figure.
    pub cell: String,
    /// Added in a blank row: not in the workbook's locked rows.
    pub new: bool,
    /// A catalogue source the figure cites instead of the return (the long form's `source`).
    pub source: Option<String>,
}

/// A return as read: who sent it, for which year, its figures and its findings.
#[derive(Debug, Clone)]
pub struct Return {
    /// The file name as shown in findings.
    pub file: String,
    pub sha256: String,
    pub year: Option<i32>,
    pub department: Option<String>,
    pub city: Option<String>,
    /// The cities whose rows the workbook holds (a department-wide workbook, several).
    pub cities: Vec<String>,
    pub figures: Vec<Figure>,
    pub findings: Vec<Finding>,
    /// Entry cells as found, by sheet and (row, column), for an annotated copy.
    pub cells: HashMap<(String, u32, u16), Data>,
    /// The layout hash the workbook carries.
    pub layout_hash: Option<String>,
}

impl Return {
    /// A return of `file` with nothing read from it yet: the start of both readers (the
    /// collection workbook and the long form).
    pub fn empty(file: &str, bytes: &[u8], year: Option<i32>, department: Option<String>) -> Return {
        Return {
            file: file.to_string(),
            sha256: crate::output::sha256_hex(bytes),
            year,
            department,
            city: None,
            cities: Vec::new(),
            figures: Vec::new(),
            findings: Vec::new(),
            cells: HashMap::new(),
            layout_hash: None,
        }
    }
}

/// What the checks need to know besides the workbook.
pub struct Context<'a> {
    pub catalogue: &'a Catalogue,
    /// The year every return must be for (`--year`, else the first return's).
    pub year: Option<i32>,
    pub limits: Limits,
}

/// Reads and checks one return. Never fails: what cannot be read is a finding.
pub fn read(file: &str, bytes: &[u8], ctx: &Context) -> Return {
    let mut r = Return::empty(file, bytes, None, None);
    let whole =
        |rule, message: String| Finding::new(Place { file: file.to_string(), sheet: None, cell: None }, rule, message);
    let mut wb: Xlsx<_> = match Xlsx::new(Cursor::new(bytes)) {
        Ok(wb) => wb,
        Err(e) => {
            r.findings.push(
                whole(ImportRule::UnreadableWorkbook, format!("cannot be read as an XLSX workbook: {e}"))
                    .hint("save the return as an Excel workbook (.xlsx) and send it again"),
            );
            return r;
        }
    };
    let (meta, sent_layout) = match wb.worksheet_range(META_SHEET) {
        Ok(m) => (read_meta(&m), read_layout(&m)),
        Err(_) => (BTreeMap::new(), Vec::new()),
    };
    let not_ours = "import reads only workbooks made by `yearbook collect`; send the department its collection workbook \
                    and ask them to fill that one in";
    if meta.get("template").map(String::as_str) != Some(TEMPLATE_NAME) {
        r.findings.push(
            whole(
                ImportRule::NotACollectionWorkbook,
                "was not made by `yearbook collect` (it has no collection identity)".into(),
            )
            .hint(not_ours),
        );
        return r;
    }
    let version = meta.get("template_version").cloned().unwrap_or_default();
    if version != TEMPLATE_VERSION {
        r.findings.push(
            whole(
                ImportRule::TemplateVersion,
                format!("was made with collection template version {version}; this yearbook reads version {TEMPLATE_VERSION}"),
            )
            .found(version)
            .hint("send the department a workbook from this year's `yearbook collect` and ask them to copy their figures into it"),
        );
        return r;
    }
    let year: Option<i32> = meta.get("year").and_then(|y| y.parse().ok());
    r.year = year;
    if let (Some(expected), Some(y)) = (ctx.year, year)
        && expected != y
    {
        r.findings.push(
            whole(ImportRule::WrongYear, format!("was made for {y}, not for {expected}"))
                .found(y.to_string())
                .hint(format!("import it with --year {y}, or ask the department for the {expected} workbook")),
        );
        return r;
    }
    let year = year.unwrap_or_default();
    let department = meta.get("department").cloned().unwrap_or_default();
    let city = meta.get("city").cloned().filter(|c| !c.is_empty());
    r.department = Some(department.clone());
    r.city = city.clone();
    r.layout_hash = meta.get("layout_hash").cloned();

    let sectors: Vec<_> = {
        let mut s: Vec<_> = ctx
            .catalogue
            .sectors
            .iter()
            .flat_map(|p| &p.data.sector)
            .filter(|s| s.department.get_ref() == &department)
            .collect();
        s.sort_by_key(|s| *s.order.get_ref());
        s
    };
    if sectors.is_empty() {
        r.findings.push(
            whole(
                ImportRule::WrongDepartment,
                format!("was made for department `{department}`, which owns no sector in data/catalogue/sectors.toml"),
            )
            .found(department.clone())
            .hint("check that the catalogue is the one the workbooks were made from"),
        );
        return r;
    }
    let units = Units::new(ctx.catalogue);
    let names = named_ranges(wb.defined_names());
    let mut layout = Vec::new();
    let mut sheets = Vec::new();
    for s in &sectors {
        let name = sheet_name(*s.order.get_ref(), s.name.zh());
        let Ok(range) = wb.worksheet_range(&name) else {
            r.findings.push(
                whole(
                    ImportRule::WrongDepartment,
                    format!("has no sheet `{name}`, which department `{department}`'s workbook has"),
                )
                .hint("a sheet was renamed or deleted: send the department a fresh workbook from `yearbook collect`"),
            );
            continue;
        };
        let Some(cols) = columns(&name, names.get(&name), &range, file, &mut r.findings) else { continue };
        let rows: Vec<u32> = (cols.first..=cols.last).collect();
        let locked = rows.len().saturating_sub(BLANK_ROWS as usize);
        let mut hashed = Vec::new();
        for (i, &row) in rows.iter().enumerate() {
            if i < locked {
                hashed.push([
                    text(range.get_value(cols.at_row(row, "city"))),
                    text(range.get_value(cols.at_row(row, "id"))),
                    text(range.get_value(cols.at_row(row, "unit"))),
                    hash_number(number(range.get_value(cols.at_row(row, "last_year")))),
                ]);
            } else {
                hashed.push([city.clone().unwrap_or_default(), String::new(), String::new(), String::new()]);
            }
        }
        layout.push((name.clone(), hashed));
        sheets.push((s.id.get_ref().clone(), name, range, cols, locked));
    }
    if r.findings.is_empty() && Some(layout_hash(&layout)) != r.layout_hash {
        // The copy of the layout on the hidden sheet says where, if it is the one the hash
        // was made from (a workbook of an earlier version has none).
        let authentic = !sent_layout.is_empty() && Some(layout_hash(&sent_layout)) == r.layout_hash;
        let sent: &[(String, Vec<[String; 4]>)] = if authentic { &sent_layout } else { &[] };
        let located: Vec<Finding> = sheets
            .iter()
            .zip(&layout)
            .filter_map(|((_, name, _, cols, _), (_, found))| {
                let (_, expected) = sent.iter().find(|(s, _)| s == name)?;
                first_moved_row(file, name, cols, expected, found)
            })
            .collect();
        if located.is_empty() {
            r.findings.push(
                whole(
                    ImportRule::LayoutChanged,
                    "its locked rows were changed: rows moved, inserted or deleted, or a locked cell edited".into(),
                )
                .hint("send the department a fresh workbook from `yearbook collect` and ask them to fill it without adding or deleting rows"),
            );
        } else {
            r.findings.extend(located);
        }
    }
    if !r.findings.is_empty() {
        return r;
    }
    let allowed_cities: Vec<String> =
        meta.get("cities").map(|c| c.split(' ').map(str::to_string).collect()).unwrap_or_default();
    for (sector, name, range, cols, locked) in &sheets {
        let mut sheet = SheetReader {
            file,
            sheet: name,
            lines: None,
            sector,
            range,
            cols,
            year,
            units: &units,
            limits: ctx.limits,
            r: &mut r,
        };
        for (i, row) in (cols.first..=cols.last).enumerate() {
            let new = i >= *locked;
            sheet.row(row, new, city.as_deref(), &allowed_cities);
        }
    }
    let mut cities: Vec<String> = r.figures.iter().map(|f| f.city.clone()).collect();
    cities.extend(city.iter().cloned());
    cities.extend(allowed_cities);
    cities.sort();
    cities.dedup();
    r.cities = cities;
    r
}

/// The identity a collection workbook carries on its hidden sheet (template, year, department,
/// city, layout hash, deadline), or `None` when it has none or cannot be read.
pub fn identity(bytes: &[u8]) -> Option<BTreeMap<String, String>> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).ok()?;
    let meta = read_meta(&wb.worksheet_range(META_SHEET).ok()?);
    (meta.get("template").map(String::as_str) == Some(TEMPLATE_NAME)).then_some(meta)
}

/// The locked layout as it was sent, from the hidden sheet: per sheet, each row's city, id,
/// unit and last year's value, in order.
fn read_layout(range: &Range<Data>) -> Vec<(String, Vec<[String; 4]>)> {
    let mut out: Vec<(String, Vec<[String; 4]>)> = Vec::new();
    let (Some((r0, _)), Some((r1, _))) = (range.start(), range.end()) else { return out };
    let c = u32::from(LAYOUT_COLUMN);
    for row in r0..=r1 {
        let sheet = text(range.get_value((row, c)));
        if sheet.is_empty() {
            continue;
        }
        let fields = [1, 2, 3, 4].map(|k| text(range.get_value((row, c + k))));
        match out.last_mut() {
            Some((s, rows)) if *s == sheet => rows.push(fields),
            _ => out.push((sheet, vec![fields])),
        }
    }
    out
}

/// The first row of a sheet whose locked cells differ from those sent, as a finding at the
/// cell that differs, saying what was there and what is there now.
fn first_moved_row(
    file: &str,
    sheet: &str,
    cols: &Columns,
    expected: &[[String; 4]],
    found: &[[String; 4]],
) -> Option<Finding> {
    const FIELDS: [(&str, &str); 4] =
        [("city", "city id"), ("id", "indicator id"), ("unit", "unit"), ("last_year", "last year's value")];
    let i = (0..expected.len().max(found.len())).find(|&i| expected.get(i) != found.get(i))?;
    let row = cols.first + i as u32;
    let show = |r: Option<&[String; 4]>| match r {
        Some(r) if r[1].is_empty() => "a blank row for a new indicator".to_string(),
        Some(r) => format!("`{}` of `{}`", r[1], r[0]),
        None => "no row".to_string(),
    };
    let (e, f) = (expected.get(i), found.get(i));
    let (field, what, now) = match (e, f) {
        // Same row, one locked cell edited: point at that cell.
        (Some(e), Some(f)) if e[0] == f[0] && e[1] == f[1] => {
            let k = (2..4).find(|&k| e[k] != f[k]).unwrap_or(3);
            (FIELDS[k].0, format!("its {} was `{}` when sent and is `{}` now", FIELDS[k].1, e[k], f[k]), f[k].clone())
        }
        _ => (
            "id",
            format!("it held {} when sent and holds {} now", show(e), show(f)),
            f.map(|f| f[1].clone()).unwrap_or_default(),
        ),
    };
    let cell = a1(row, cols.at(field).1);
    Some(
        Finding::new(
            Place { file: file.to_string(), sheet: Some(sheet.to_string()), cell: Some(cell) },
            ImportRule::LayoutChanged,
            format!("row {} was changed: {what}; rows were moved, inserted or deleted, or a locked cell edited", row + 1),
        )
        .found(now)
        .hint("put the rows and their locked cells back as sent, or fill a fresh workbook from `yearbook collect` without adding, deleting or moving rows"),
    )
}

fn read_meta(range: &Range<Data>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some((r0, _)) = range.start() else { return out };
    let Some((r1, _)) = range.end() else { return out };
    for row in r0..=r1 {
        let k = text(range.get_value((row, 0)));
        if !k.is_empty() {
            out.insert(k, text(range.get_value((row, 1))));
        }
    }
    out
}

/// Where the named columns of one sheet are.
#[derive(Debug, Clone)]
pub(super) struct Columns {
    pub at: BTreeMap<&'static str, u32>,
    pub first: u32,
    pub last: u32,
}

impl Columns {
    fn at(&self, name: &str) -> (u32, u32) {
        (0, *self.at.get(name).expect("checked when read"))
    }
}

// calamine's `get_value` takes (row, column); `Columns::at` gives the column only, so callers
// combine it with the row.
trait At {
    fn at_row(&self, row: u32, name: &str) -> (u32, u32);
}

impl At for Columns {
    fn at_row(&self, row: u32, name: &str) -> (u32, u32) {
        (row, self.at(name).1)
    }
}

/// The defined names by sheet: name → (column, first row, last row), 0-based. A name whose
/// reference is broken (`#REF!`, after a column was deleted) maps to `None`.
type Names = HashMap<String, SheetNames>;

/// One sheet's defined names: name → (column, first row, last row), `None` when broken.
type SheetNames = HashMap<String, Option<(u32, u32, u32)>>;

fn named_ranges(defined: &[(String, String)]) -> Names {
    let mut out: Names = HashMap::new();
    for (name, formula) in defined {
        let f = formula.trim_start_matches('=');
        let Some((sheet, reference)) = f.rsplit_once('!') else { continue };
        let sheet = sheet.trim_matches('\'').replace("''", "'");
        out.entry(sheet).or_default().insert(name.clone(), parse_range(reference));
    }
    out
}

/// `$I$4:$I$40` → (8, 3, 39).
fn parse_range(r: &str) -> Option<(u32, u32, u32)> {
    let (a, b) = r.split_once(':').unwrap_or((r, r));
    let (c1, r1) = parse_cell(a)?;
    let (c2, r2) = parse_cell(b)?;
    (c1 == c2 && r2 >= r1).then_some((c1, r1, r2))
}

fn parse_cell(s: &str) -> Option<(u32, u32)> {
    let s = s.replace('$', "");
    let split = s.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = s.split_at(split);
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let col = letters.bytes().fold(0u32, |acc, b| acc * 26 + u32::from(b - b'A' + 1)) - 1;
    let row: u32 = digits.parse().ok()?;
    Some((col, row.checked_sub(1)?))
}

/// Finds every named column of a sheet and checks its header; `None` (with findings) if the
/// columns cannot be trusted.
fn columns(
    sheet: &str,
    names: Option<&SheetNames>,
    range: &Range<Data>,
    file: &str,
    findings: &mut Vec<Finding>,
) -> Option<Columns> {
    let before = findings.len();
    let place = |cell: Option<String>| Place { file: file.to_string(), sheet: Some(sheet.to_string()), cell };
    let mut at = BTreeMap::new();
    let mut extent: Option<(u32, u32)> = None;
    for (i, c) in COLUMNS.iter().enumerate() {
        let Some(name) = c.name else { continue };
        match names.and_then(|n| n.get(name)) {
            None => findings.push(
                Finding::new(place(None), ImportRule::LayoutChanged, format!("the named column `{name}` ({} {}) is missing", c.zh, c.en))
                    .hint("send the department a fresh workbook from `yearbook collect`; import finds every column by its name"),
            ),
            Some(None) => findings.push(
                Finding::new(
                    place(None),
                    ImportRule::LayoutChanged,
                    format!("the column `{name}` ({} {}) was deleted: its name points nowhere", c.zh, c.en),
                )
                .hint("restore the column (undo the deletion) or fill a fresh workbook from `yearbook collect`"),
            ),
            Some(Some((col, first, last))) => {
                if extent.is_some_and(|e| e != (*first, *last)) {
                    findings.push(
                        Finding::new(place(None), ImportRule::LayoutChanged, format!("the column `{name}` spans other rows than the others"))
                            .hint("rows were inserted or deleted in part of the sheet; use a fresh workbook"),
                    );
                }
                extent.get_or_insert((*first, *last));
                let header_row = first.saturating_sub(HEADER_ROWS - ZH_HEADER_ROW);
                let header = text(range.get_value((header_row, *col)));
                if header != c.zh {
                    let expected_letters = a1(header_row, i as u32);
                    findings.push(
                        Finding::new(
                            place(Some(a1(header_row, *col))),
                            ImportRule::LayoutChanged,
                            format!(
                                "the column named `{name}` is headed `{header}`, not `{}`: a column was deleted, inserted or moved",
                                c.zh
                            ),
                        )
                        .found(if header.is_empty() { "(an empty header)".to_string() } else { header })
                        .hint(format!(
                            "put the columns back as sent (`{}` was at {expected_letters}), or fill a fresh workbook from `yearbook collect`",
                            c.zh
                        )),
                    );
                }
                at.insert(name, *col);
            }
        }
    }
    if findings.len() > before {
        return None;
    }
    let (first, last) = extent?;
    Some(Columns { at, first, last })
}

/// The catalogue's units by id and by Chinese name.
pub(super) struct Units {
    pub by_id: HashMap<String, (Text, UnitKind)>,
    by_zh: HashMap<String, String>,
}

impl Units {
    pub(super) fn new(catalogue: &Catalogue) -> Units {
        let mut by_id = HashMap::new();
        let mut by_zh = HashMap::new();
        for u in catalogue.units.iter().flat_map(|p| &p.data.unit) {
            by_id.insert(
                u.id.get_ref().clone(),
                (Text { zh: u.zh.get_ref().clone(), en: u.en.get_ref().clone() }, u.kind),
            );
            by_zh.entry(u.zh.get_ref().clone()).or_insert_with(|| u.id.get_ref().clone());
        }
        Units { by_id, by_zh }
    }

    /// A unit id from what a cell holds: the Chinese name the list offers, or an id.
    pub(super) fn find(&self, s: &str) -> Option<String> {
        let s = s.trim();
        self.by_zh.get(s).cloned().or_else(|| self.by_id.contains_key(s).then(|| s.to_string()))
    }
}

pub(super) struct SheetReader<'a> {
    pub file: &'a str,
    pub sheet: &'a str,
    /// For a long-form sheet: the line of each synthetic row, so findings name the line.
    pub lines: Option<&'a HashMap<u32, usize>>,
    pub sector: &'a str,
    pub range: &'a Range<Data>,
    pub cols: &'a Columns,
    pub year: i32,
    pub units: &'a Units,
    pub limits: Limits,
    pub r: &'a mut Return,
}

impl SheetReader<'_> {
    fn get(&self, row: u32, name: &str) -> &Data {
        self.range.get_value(self.cols.at_row(row, name)).unwrap_or(&Data::Empty)
    }

    fn place(&self, row: u32, name: &str) -> Place {
        let (_, col) = self.cols.at(name);
        if let Some(lines) = self.lines {
            let line = lines.get(&row).copied().unwrap_or_default();
            return Place { file: self.file.to_string(), sheet: None, cell: Some(format!("row {line}, {name}")) };
        }
        Place { file: self.file.to_string(), sheet: Some(self.sheet.to_string()), cell: Some(a1(row, col)) }
    }

    fn push(&mut self, row: u32, name: &str, rule: ImportRule, message: String, hint: String) {
        let found = display(self.get(row, name));
        let f = Finding::new(self.place(row, name), rule, message).hint(hint);
        self.r.findings.push(if found.is_empty() { f } else { f.found(found) });
    }

    pub(super) fn row(&mut self, row: u32, new: bool, workbook_city: Option<&str>, allowed: &[String]) {
        for name in ["value", "target", "status", "qualifier", "reference_year", "as_of", "note", "explanation"] {
            let (_, col) = self.cols.at(name);
            let v = self.get(row, name).clone();
            if v != Data::Empty {
                self.r.cells.insert((self.sheet.to_string(), row, col as u16), v);
            }
        }
        if new {
            // A city workbook's blank rows carry its city, locked: not an entry to copy back.
            let open = if workbook_city.is_some() {
                &["id", "name_zh", "name_en", "unit"][..]
            } else {
                &["city", "id", "name_zh", "name_en", "unit"][..]
            };
            for &name in open {
                let (_, col) = self.cols.at(name);
                let v = self.get(row, name).clone();
                if v != Data::Empty {
                    self.r.cells.insert((self.sheet.to_string(), row, col as u16), v);
                }
            }
        }
        let entered = ["value", "target", "status", "qualifier", "reference_year", "as_of", "note", "explanation"]
            .iter()
            .any(|n| !is_blank(self.get(row, n)));
        let described = new && ["id", "name_zh", "name_en", "unit"].iter().any(|n| !is_blank(self.get(row, n)));
        if !entered && !described {
            return;
        }
        let city = text(Some(self.get(row, "city")));
        let id_cell = text(Some(self.get(row, "id")));
        let (name, unit) = if new {
            match self.new_indicator(row, workbook_city, allowed) {
                Some(x) => x,
                None => return,
            }
        } else {
            let unit_zh = text(Some(self.get(row, "unit")));
            let unit = self.units.find(&unit_zh).unwrap_or(unit_zh);
            let name = Text { zh: text(Some(self.get(row, "name_zh"))), en: text(Some(self.get(row, "name_en"))) };
            ((name, id_cell.clone()), unit)
        };
        let (name, id) = name;
        let city = if new { workbook_city.map(str::to_string).unwrap_or(city) } else { city };
        let (unit_name, kind) = self
            .units
            .by_id
            .get(&unit)
            .cloned()
            .unwrap_or((Text { zh: unit.clone(), en: unit.clone() }, UnitKind::Other));
        let before = self.r.findings.len();
        let value = self.number(row, "value", &unit_name.zh);
        let target = self.number(row, "target", &unit_name.zh);
        let status = match self.get(row, "status") {
            Data::Empty => None,
            d => match Status::parse(&text(Some(d))) {
                Some(s) => Some(s),
                None => {
                    self.push(
                        row,
                        "status",
                        ImportRule::NotInList,
                        format!("status `{}` is not one of the list", display(d)),
                        "choose 完成 (result), 进度 (progress) or 计划 (plan), or leave it empty".into(),
                    );
                    None
                }
            },
        };
        let qualifier = match self.get(row, "qualifier") {
            Data::Empty => None,
            d => {
                let t = text(Some(d));
                match QUALIFIERS.iter().find(|(zh, en)| t == *zh || t.eq_ignore_ascii_case(en)) {
                    Some((_, en)) => Some(*en),
                    None => {
                        self.push(
                            row,
                            "qualifier",
                            ImportRule::NotInList,
                            format!("qualifier `{t}` is not one of the list"),
                            "choose 超 (over), 约 (about) or 近 (nearly), or leave it empty".into(),
                        );
                        None
                    }
                }
            }
        };
        let reference_year = self.reference_year(row);
        let as_of = self.as_of(row);
        let note = Some(text(Some(self.get(row, "note")))).filter(|s| !s.is_empty());
        let explanation = Some(text(Some(self.get(row, "explanation")))).filter(|s| !s.is_empty());
        if self.r.findings.len() > before {
            return;
        }
        let status = match (status, value, target) {
            (Some(Status::Result), None, _) => self.contradiction(
                row,
                "status",
                "完成 (result) needs this year's value",
                "enter the value, or choose 计划 (plan) for a target alone",
            ),
            (Some(Status::Progress), None, _) => self.contradiction(
                row,
                "status",
                "进度 (progress) needs the value reached so far",
                "enter the value reached so far and the date in As of",
            ),
            (Some(Status::Progress), Some(_), _) if as_of.is_none() => self.contradiction(
                row,
                "as_of",
                "进度 (progress) needs the date it is counted to",
                "enter the date in As of (截至日期), e.g. 2026-11-30",
            ),
            (Some(Status::Plan), Some(_), _) => self.contradiction(
                row,
                "status",
                "计划 (plan) has no value yet, but the value cell is filled",
                "choose 完成 or 进度, or move the figure to Target",
            ),
            (Some(Status::Plan), None, None) => {
                self.contradiction(row, "status", "计划 (plan) needs a target", "enter the target")
            }
            (Some(s), _, _) => Some(s),
            (None, Some(_), _) if as_of.is_some() => Some(Status::Progress),
            (None, Some(_), _) => Some(Status::Result),
            (None, None, Some(_)) => Some(Status::Plan),
            (None, None, None) => {
                if new || entered {
                    self.contradiction(
                        row,
                        "value",
                        "the row has remarks but neither a value nor a target",
                        "enter the value or the target, or clear the row",
                    )
                } else {
                    None
                }
            }
        };
        let Some(status) = status else { return };
        for (name, v) in [("value", value), ("target", target)] {
            let Some(v) = v else { continue };
            let bad = match kind {
                UnitKind::Percent => !(0.0..=100.0).contains(&v),
                UnitKind::Other => false,
                _ => v < 0.0,
            };
            if bad {
                let what = if kind == UnitKind::Percent {
                    "a percentage must lie between 0 and 100"
                } else {
                    "a count or amount cannot be negative"
                };
                self.push(
                    row,
                    name,
                    ImportRule::OutOfRange,
                    format!("{} is out of range: {what}", fmt(v)),
                    format!("check the figure; the unit is {}", unit_name.zh),
                );
            }
        }
        if self.r.findings.len() > before {
            return;
        }
        if explanation.is_none() {
            let last = number(Some(self.get(row, "last_year")));
            if let (Some(v), Some(last)) = (value, last)
                && last != 0.0
            {
                let change = (v - last) / last.abs() * 100.0;
                if change.abs() > self.limits.change {
                    self.push(
                        row,
                        "value",
                        ImportRule::UnexplainedChange,
                        format!(
                            "{} is {:+.0} % on last year's {}, beyond ±{} %, and the row has no explanation",
                            fmt(v),
                            change,
                            fmt(last),
                            fmt(self.limits.change)
                        ),
                        format!(
                            "check the figure and its unit; if it is right, say why in the 说明 (Explanation) cell {}",
                            self.place(row, "explanation").cell.unwrap_or_default()
                        ),
                    );
                }
            }
            if let (Some(v), Some(t)) = (value, target)
                && t > 0.0
            {
                let completion = v / t * 100.0;
                if completion > self.limits.completion {
                    self.push(
                        row,
                        "value",
                        ImportRule::UnexplainedCompletion,
                        format!("{} is {:.0} % of the target {}, above {} %, and the row has no explanation", fmt(v), completion, fmt(t), fmt(self.limits.completion)),
                        format!("check the value and the target; if they are right, say why in the 说明 (Explanation) cell {}", self.place(row, "explanation").cell.unwrap_or_default()),
                    );
                }
            }
        }
        if self.r.findings.len() > before {
            return;
        }
        let at = if value.is_some() { "value" } else { "target" };
        self.r.figures.push(Figure {
            city,
            id,
            sector: self.sector.to_string(),
            name,
            unit,
            value,
            target,
            status,
            qualifier,
            reference_year,
            as_of,
            note,
            explanation,
            cell: match self.lines {
                Some(lines) => format!("{} row {}", self.file, lines.get(&row).copied().unwrap_or_default()),
                None => format!("{}!{}", self.sheet, self.place(row, at).cell.unwrap_or_default()),
            },
            new,
            source: None,
        });
    }

    fn contradiction(&mut self, row: u32, name: &str, message: &str, hint: &str) -> Option<Status> {
        self.push(row, name, ImportRule::StatusWithoutFigure, message.to_string(), hint.to_string());
        None
    }

    /// A blank row the department filled: its names, unit and id.
    fn new_indicator(
        &mut self,
        row: u32,
        workbook_city: Option<&str>,
        allowed: &[String],
    ) -> Option<((Text, String), String)> {
        let before = self.r.findings.len();
        let zh = text(Some(self.get(row, "name_zh")));
        let en = text(Some(self.get(row, "name_en")));
        let unit_cell = text(Some(self.get(row, "unit")));
        if workbook_city.is_none() {
            let city = text(Some(self.get(row, "city")));
            if city.is_empty() {
                self.push(
                    row,
                    "city",
                    ImportRule::IncompleteNewIndicator,
                    "a new indicator without its city".into(),
                    "choose the city from the list".into(),
                );
            } else if !allowed.contains(&city) {
                self.push(
                    row,
                    "city",
                    ImportRule::UnknownCity,
                    format!("`{city}` is not a city this workbook was sent for"),
                    format!("choose one of: {}", allowed.join(", ")),
                );
            }
        }
        if zh.is_empty() || en.is_empty() {
            let name = if zh.is_empty() { "name_zh" } else { "name_en" };
            self.push(
                row,
                name,
                ImportRule::IncompleteNewIndicator,
                "a new indicator needs its name in Chinese and in English".into(),
                "fill in both name cells of the green row".into(),
            );
        }
        let unit = match self.units.find(&unit_cell) {
            Some(u) => Some(u),
            None => {
                let message = if unit_cell.is_empty() {
                    "a new indicator without its unit".to_string()
                } else {
                    format!("unit `{unit_cell}` is not one of the list")
                };
                self.push(
                    row,
                    "unit",
                    ImportRule::IncompleteNewIndicator,
                    message,
                    "choose the unit from the cell's list".into(),
                );
                None
            }
        };
        let typed = text(Some(self.get(row, "id")));
        let id = if typed.is_empty() { slug(&en) } else { typed.clone() };
        if !typed.is_empty() && !is_valid_id(&typed) {
            self.push(
                row,
                "id",
                ImportRule::IncompleteNewIndicator,
                format!("`{typed}` cannot be an indicator id"),
                "use lower-case letters, digits and `-`, or leave the id empty to derive it from the English name"
                    .into(),
            );
        }
        if self.r.findings.len() > before {
            return None;
        }
        Some(((Text { zh, en }, id), unit?))
    }

    fn number(&mut self, row: u32, name: &str, unit: &str) -> Option<f64> {
        match self.get(row, name).clone() {
            Data::Empty => None,
            Data::Float(v) if v.is_finite() => Some(v),
            Data::Int(v) => Some(v as f64),
            Data::String(s) => match numbers::parse(&s, unit) {
                Ok(v) => Some(v),
                Err(NotANumber::Empty) => None,
                Err(e @ NotANumber::OtherUnit(_)) => {
                    self.push(
                        row,
                        name,
                        ImportRule::OtherUnit,
                        format!("`{s}` is not in the row's unit {unit}"),
                        e.hint(unit),
                    );
                    None
                }
                Err(e) => {
                    self.push(row, name, ImportRule::NotANumber, format!("`{s}` is not a number"), e.hint(unit));
                    None
                }
            },
            d => {
                let what = match d {
                    Data::DateTime(_) | Data::DateTimeIso(_) => "a date",
                    Data::Bool(_) => "TRUE or FALSE",
                    Data::Error(_) => "a formula error",
                    _ => "not a number",
                };
                self.push(
                    row,
                    name,
                    ImportRule::NotANumber,
                    format!("`{}` is {what}, not a number", display(&d)),
                    NotANumber::Words.hint(unit),
                );
                None
            }
        }
    }

    fn reference_year(&mut self, row: u32) -> Option<i64> {
        let d = self.get(row, "reference_year").clone();
        if d == Data::Empty {
            return None;
        }
        let v = match &d {
            Data::Float(v) => Some(*v),
            Data::Int(v) => Some(*v as f64),
            Data::String(s) => numbers::parse(s.trim_end_matches('年'), "").ok(),
            _ => None,
        };
        match v {
            Some(v) if v.fract() == 0.0 && ((self.year - 10) as f64..=self.year as f64).contains(&v) => Some(v as i64),
            Some(v) if v.fract() == 0.0 => {
                self.push(
                    row,
                    "reference_year",
                    ImportRule::ImportReferenceYear,
                    format!("reference year {} is not between {} and {}", fmt(v), self.year - 10, self.year),
                    format!(
                        "enter the year the figure is for, {} at the latest, or leave it empty for {}",
                        self.year, self.year
                    ),
                );
                None
            }
            _ => {
                self.push(
                    row,
                    "reference_year",
                    ImportRule::NotANumber,
                    format!("`{}` is not a year", display(&d)),
                    "enter a year such as 2025, or leave it empty".into(),
                );
                None
            }
        }
    }

    fn as_of(&mut self, row: u32) -> Option<String> {
        let d = self.get(row, "as_of").clone();
        let iso = match &d {
            Data::Empty => return None,
            Data::DateTime(dt) if dt.is_datetime() => serial_to_iso(dt.as_f64()),
            Data::Float(v) => serial_to_iso(*v),
            Data::Int(v) => serial_to_iso(*v as f64),
            Data::DateTimeIso(s) | Data::String(s) => text_date(s),
            _ => None,
        };
        if iso.is_none() {
            self.push(
                row,
                "as_of",
                ImportRule::NotADate,
                format!("`{}` is not a date", display(&d)),
                "enter the date as 2026-11-30".into(),
            );
        }
        iso
    }
}

/// An Excel date serial (1900 system) as `YYYY-MM-DD`.
fn serial_to_iso(serial: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    // Days since 1970-01-01 from the serial's epoch 1899-12-30.
    let days = serial.floor() as i64 - 25_569;
    let (y, m, d) = civil_from_days(days);
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// Howard Hinnant's days-to-civil algorithm.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2026-11-30`, `2026/11/30`, `2026.11.30`, `2026年11月30日`.
fn text_date(s: &str) -> Option<String> {
    let cleaned: String = s.trim().replace(['年', '月', '/', '.'], "-").replace('日', "");
    let cleaned = cleaned.split('T').next().unwrap_or_default().to_string();
    let parts: Vec<&str> = cleaned.split('-').collect();
    if parts.len() != 3 {
        return None;
    }
    let date = crate::config::Date::parse(&format!("{}-{:0>2}-{:0>2}", parts[0], parts[1], parts[2]))?;
    Some(date.iso())
}

/// An id from an English name: `Elderly canteens built` → `elderly-canteens-built`.
pub fn slug(en: &str) -> String {
    let mut out = String::new();
    for c in en.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(60).collect::<String>().trim_end_matches('-').to_string()
}

fn is_blank(d: &Data) -> bool {
    match d {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A cell's text (numbers as written), trimmed.
fn text(d: Option<&Data>) -> String {
    match d {
        None | Some(Data::Empty) => String::new(),
        Some(Data::String(s)) => s.trim().to_string(),
        Some(Data::Float(v)) => fmt(*v),
        Some(Data::Int(v)) => v.to_string(),
        Some(d) => d.to_string(),
    }
}

fn number(d: Option<&Data>) -> Option<f64> {
    match d {
        Some(Data::Float(v)) => Some(*v),
        Some(Data::Int(v)) => Some(*v as f64),
        _ => None,
    }
}

/// What a finding shows as the value found.
fn display(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => text(Some(other)),
    }
}

/// A number the shortest way it reads back.
pub fn fmt(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_dates_are_read() {
        assert_eq!(parse_range("$I$4:$I$40"), Some((8, 3, 39)));
        assert_eq!(parse_range("AA1:AA2"), Some((26, 0, 1)));
        assert_eq!(parse_range("#REF!"), None);
        let names = named_ranges(&[("value".into(), "'01 就业与劳动保障'!$I$4:$I$9".into())]);
        assert_eq!(names["01 就业与劳动保障"]["value"], Some((8, 3, 8)));
        assert_eq!(serial_to_iso(46_356.0).as_deref(), Some("2026-11-30"));
        assert_eq!(text_date("2026年11月30日").as_deref(), Some("2026-11-30"));
        assert_eq!(text_date("2026/2/3").as_deref(), Some("2026-02-03"));
        assert_eq!(text_date("soon"), None);
        assert_eq!(slug("Elderly canteens (new) built"), "elderly-canteens-new-built");
    }
}
