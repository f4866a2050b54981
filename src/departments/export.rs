//! Department workbooks: the edition's workbook cut by department (and, if asked, by city), each
//! holding exactly its sectors, plus `manifest.csv` with one line per workbook: who it is for,
//! who receives it, its file and hash. `mail` sends from the manifest alone, so what is mailed
//! is what was exported and checked, never a rebuild.

use crate::progress::{Progress, Step, report};
use std::collections::BTreeMap;
use std::path::Path;

use crate::book::{Book, Chapter};
use crate::error::AppError;
use crate::load::Catalogue;
use crate::model::Text;
use crate::output::sha256_hex;
use crate::plan::OutputPlan;
use crate::print::typeset::TablePages;
use crate::print::workbook::{self, Selection};

/// The manifest's file name in the export folder.
pub const MANIFEST: &str = "manifest.csv";

const COLUMNS: [&str; 12] = [
    "department",
    "department_zh",
    "department_en",
    "city",
    "city_zh",
    "city_en",
    "to",
    "cc",
    "file",
    "sha256",
    "sectors",
    "sheets",
];

/// Several addresses or sheets in one manifest field.
const LIST_SEPARATOR: &str = "; ";

/// Who receives one workbook.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipients {
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

/// One workbook of an export: a line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub department: String,
    pub department_name: Text,
    /// The city (id and name) when the export is split by city.
    pub city: Option<(String, Text)>,
    pub recipients: Recipients,
    pub file: String,
    pub sha256: String,
    /// Sector ids and the matching sheet names, in chapter order.
    pub sectors: Vec<String>,
    pub sheets: Vec<String>,
}

/// An export in memory: its entries, and the files of its folder (workbooks, then manifest).
pub struct Export {
    pub entries: Vec<Entry>,
    pub files: Vec<(String, Vec<u8>)>,
}

/// The departments' recipients from the catalogue: for each department id, its own and, per
/// city id, its offices'.
struct Addressbook {
    departments: BTreeMap<String, (Recipients, BTreeMap<String, Recipients>)>,
}

impl Addressbook {
    fn new(catalogue: &Catalogue) -> Addressbook {
        let list = |v: &[serde_spanned::Spanned<String>]| v.iter().map(|a| a.get_ref().clone()).collect();
        let departments = catalogue
            .departments
            .iter()
            .flat_map(|p| &p.data.department)
            .map(|d| {
                let own = Recipients { to: list(&d.to), cc: list(&d.cc) };
                let cities = d
                    .city
                    .iter()
                    .map(|(city, r)| (city.get_ref().clone(), Recipients { to: list(&r.to), cc: list(&r.cc) }))
                    .collect();
                (d.id.get_ref().clone(), (own, cities))
            })
            .collect();
        Addressbook { departments }
    }

    /// A city's office if the department names one, else the department itself.
    fn recipients(&self, department: &str, city: Option<&str>) -> Recipients {
        let Some((own, cities)) = self.departments.get(department) else { return Recipients::default() };
        city.and_then(|c| cities.get(c)).unwrap_or(own).clone()
    }
}

/// One workbook per department that owns a chapter of the book, in chapter order; with
/// `per_city`, one per department and city that has figures in its sectors.
pub fn by_department(
    book: &Book,
    pages: &TablePages,
    catalogue: &Catalogue,
    output: &OutputPlan,
    per_city: bool,
    progress: Option<&Progress>,
) -> Result<Export, AppError> {
    let addresses = Addressbook::new(catalogue);
    let mut departments: Vec<(&str, &Text, Vec<&Chapter>)> = Vec::new();
    for ch in &book.chapters {
        match departments.iter_mut().find(|(id, _, _)| *id == ch.department_id) {
            Some((_, _, chapters)) => chapters.push(ch),
            None => departments.push((&ch.department_id, &ch.department, vec![ch])),
        }
    }
    let mut entries = Vec::new();
    let mut files = Vec::new();
    let cities: Vec<Option<(&str, &Text)>> =
        if per_city { book.cities.iter().map(|c| Some((c.id.as_str(), &c.name))).collect() } else { vec![None] };
    let of = departments.len() * cities.len();
    report(progress, Step::Stage("department workbooks"));
    let mut done = 0;
    for (id, name, chapters) in departments {
        for city in cities.iter().copied() {
            // Those before this one are written.
            report(progress, Step::Count { done, of, unit: "workbooks" });
            done += 1;
            let city_id = city.map(|(c, _)| c);
            let has_rows = |ch: &&Chapter| {
                ch.detail.groups.iter().flat_map(|g| &g.rows).any(|r| city_id.is_none_or(|c| r.city_id == c))
            };
            let chapters: Vec<&Chapter> = chapters.iter().copied().filter(has_rows).collect();
            if chapters.is_empty() {
                continue;
            }
            let title = match city {
                Some((_, c)) => format!(
                    "{} {} · {} · {} / {} {} · {} · {}",
                    book.title.zh, book.year, name.zh, c.zh, book.title.en, book.year, name.en, c.en
                ),
                None => format!(
                    "{} {} · {} / {} {} · {}",
                    book.title.zh, book.year, name.zh, book.title.en, book.year, name.en
                ),
            };
            let selection = Selection { chapters, city: city_id, title };
            let bytes = workbook::workbook_of(book, &selection, pages)?;
            let file = output.department_workbook(id, city_id);
            entries.push(Entry {
                department: id.to_string(),
                department_name: name.clone(),
                city: city.map(|(c, n)| (c.to_string(), n.clone())),
                recipients: addresses.recipients(id, city_id),
                file: file.clone(),
                sha256: sha256_hex(&bytes),
                sectors: selection.chapters.iter().map(|c| c.id.clone()).collect(),
                sheets: selection.chapters.iter().map(|c| c.sheet_name.clone()).collect(),
            });
            files.push((file, bytes));
        }
    }
    report(progress, Step::Count { done, of, unit: "workbooks" });
    files.push((MANIFEST.to_string(), manifest(&entries).into_bytes()));
    Ok(Export { entries, files })
}

/// The manifest: a UTF-8 CSV (with the byte-order mark spreadsheet programs need to read
/// Chinese), CRLF line ends, lists in a field separated by `; `.
pub fn manifest(entries: &[Entry]) -> String {
    let mut out = String::from('\u{feff}');
    out.push_str(&csv_record(&COLUMNS));
    for e in entries {
        let (city, city_zh, city_en) = match &e.city {
            Some((id, name)) => (id.as_str(), name.zh.as_str(), name.en.as_str()),
            None => ("", "", ""),
        };
        out.push_str(&csv_record(&[
            &e.department,
            &e.department_name.zh,
            &e.department_name.en,
            city,
            city_zh,
            city_en,
            &e.recipients.to.join(LIST_SEPARATOR),
            &e.recipients.cc.join(LIST_SEPARATOR),
            &e.file,
            &e.sha256,
            &e.sectors.join(LIST_SEPARATOR),
            &e.sheets.join(LIST_SEPARATOR),
        ]));
    }
    out
}

/// Reads the manifest of the export folder `dir`.
pub fn read_manifest(dir: &Path) -> Result<Vec<Entry>, AppError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            AppError::Usage(format!(
                "there is no `{}`; run `yearbook export --by department` first (with the same --out, --year and \
                 --per-city)",
                path.display()
            ))
        } else {
            AppError::Io { action: "read the manifest", path: path.clone(), source }
        }
    })?;
    let bad =
        |line: usize, what: String| AppError::Usage(format!("`{}` line {line}: {what}; export again", path.display()));
    let records = parse_csv(&text).map_err(|line| bad(line, "a quoted field is not closed".into()))?;
    let Some(((_, header), rows)) = records.split_first() else {
        return Err(bad(1, "the manifest is empty".into()));
    };
    if header.iter().map(String::as_str).ne(COLUMNS) {
        return Err(bad(1, format!("the columns are not `{}`", COLUMNS.join(","))));
    }
    let list = |s: &str| s.split(';').map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect::<Vec<_>>();
    rows.iter()
        .map(|(line, f)| {
            if f.len() != COLUMNS.len() {
                return Err(bad(*line, format!("{} fields, expected {}", f.len(), COLUMNS.len())));
            }
            let file = f[8].clone();
            if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
                return Err(bad(*line, format!("`{file}` is not a file name of the export folder")));
            }
            Ok(Entry {
                department: f[0].clone(),
                department_name: Text { zh: f[1].clone(), en: f[2].clone() },
                city: (!f[3].is_empty()).then(|| (f[3].clone(), Text { zh: f[4].clone(), en: f[5].clone() })),
                recipients: Recipients { to: list(&f[6]), cc: list(&f[7]) },
                file,
                sha256: f[9].clone(),
                sectors: list(&f[10]),
                sheets: list(&f[11]),
            })
        })
        .collect()
}

/// One CSV record (RFC 4180): fields quoted when they hold a comma, quote or line break.
pub fn csv_record(fields: &[&str]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str("\r\n");
    out
}

/// Parses CSV text into records, each with the line it starts on; a leading byte-order mark
/// and blank lines are skipped. Fails with the line of a quote that is never closed.
pub fn parse_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, usize> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let (mut line, mut start, mut quoted, mut was_quoted) = (1, 1, false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => (quoted, was_quoted) = (true, true),
            (false, ',') => {
                record.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, '\r') => {}
            (false, '\n') => {
                if !(record.is_empty() && field.is_empty() && !was_quoted) {
                    record.push(std::mem::take(&mut field));
                    records.push((start, std::mem::take(&mut record)));
                }
                was_quoted = false;
                line += 1;
                start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(start);
    }
    if !(record.is_empty() && field.is_empty() && !was_quoted) {
        record.push(field);
        records.push((start, record));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_with_commas_quotes_and_line_breaks_come_back_as_written() {
        let fields = ["plain", "a, b", "say \"hi\"", "two\nlines", "", "教育局"];
        let text = format!("\u{feff}{}{}", csv_record(&fields), csv_record(&["x"]));
        let parsed = parse_csv(&text).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].0, 1);
        assert_eq!(parsed[0].1, fields);
        assert_eq!(parsed[1], (3, vec!["x".to_string()]), "the second record starts on line 3");
    }

    #[test]
    fn an_unclosed_quote_is_reported_at_its_line() {
        assert_eq!(parse_csv("a,b\r\nc,\"d\r\n"), Err(2));
    }

    #[test]
    fn a_manifest_reads_back_as_written() {
        let entry = Entry {
            department: "education".into(),
            department_name: Text { zh: "教育局".into(), en: "Education Bureau, City".into() },
            city: Some(("wuwei".into(), Text { zh: "武威市".into(), en: "Wuwei".into() })),
            recipients: Recipients { to: vec!["a@x.example".into(), "b@x.example".into()], cc: vec![] },
            file: "yearbook-2025-education-wuwei.xlsx".into(),
            sha256: "ab".repeat(32),
            sectors: vec!["education".into(), "preschool".into()],
            sheets: vec!["02 教育".into(), "03 学前教育".into()],
        };
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST), manifest(std::slice::from_ref(&entry))).unwrap();
        assert_eq!(read_manifest(dir.path()).unwrap(), vec![entry]);
    }
}
