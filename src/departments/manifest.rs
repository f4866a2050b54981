//! The department export's `manifest.csv`: one row per workbook (who it is for, who receives
//! it, its file and hash, its sectors and sheets), written and read **by header** with the `csv`
//! crate, so a column added, moved or reordered by a spreadsheet cannot shift the fields.
//!
//! Lists (addresses, sectors, sheet names) are one cell each, holding a JSON array: a sheet
//! name may contain `;` or `,` (Excel allows both), and JSON escapes everything, so no
//! separator can split an item. One row per workbook (rather than one per sheet) keeps "one
//! row, one message" for `mail` and for a clerk reading the file.
//!
//! Every text cell of every CSV this tool writes passes through [`neutralise`] (OWASP's
//! CSV-injection guidance): a cell a spreadsheet would read as a formula is written with a
//! leading `'`, and [`restore`] takes it off again, so reading back gives exactly what was
//! written. The send log uses the same cells.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::AppError;
use crate::model::Text;
use crate::resolve::Recipients;

/// The manifest's file name in the export folder.
pub const MANIFEST: &str = "manifest.csv";

/// One workbook of an export: a row of the manifest, as the program uses it.
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

/// A row of `manifest.csv` as it is on disk; the field names are the column headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRow {
    #[serde(with = "cell")]
    pub department: String,
    #[serde(with = "cell")]
    pub department_zh: String,
    #[serde(with = "cell")]
    pub department_en: String,
    #[serde(with = "cell")]
    pub city: String,
    #[serde(with = "cell")]
    pub city_zh: String,
    #[serde(with = "cell")]
    pub city_en: String,
    #[serde(with = "list")]
    pub to: Vec<String>,
    #[serde(with = "list")]
    pub cc: Vec<String>,
    #[serde(with = "cell")]
    pub file: String,
    #[serde(with = "cell")]
    pub sha256: String,
    #[serde(with = "list")]
    pub sectors: Vec<String>,
    #[serde(with = "list")]
    pub sheets: Vec<String>,
}

/// The manifest's columns, in the order they are written.
pub const COLUMNS: [&str; 12] = [
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

impl From<&Entry> for ManifestRow {
    fn from(e: &Entry) -> ManifestRow {
        let (city, city_zh, city_en) = match &e.city {
            Some((id, name)) => (id.clone(), name.zh.clone(), name.en.clone()),
            None => Default::default(),
        };
        ManifestRow {
            department: e.department.clone(),
            department_zh: e.department_name.zh.clone(),
            department_en: e.department_name.en.clone(),
            city,
            city_zh,
            city_en,
            to: e.recipients.to.clone(),
            cc: e.recipients.cc.clone(),
            file: e.file.clone(),
            sha256: e.sha256.clone(),
            sectors: e.sectors.clone(),
            sheets: e.sheets.clone(),
        }
    }
}

impl ManifestRow {
    /// The entry, if the row names a file inside the export folder.
    fn entry(self) -> Result<Entry, String> {
        let file = self.file;
        if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
            return Err(format!("`{file}` is not a file name of the export folder"));
        }
        Ok(Entry {
            department: self.department,
            department_name: Text { zh: self.department_zh, en: self.department_en },
            city: (!self.city.is_empty()).then_some((self.city, Text { zh: self.city_zh, en: self.city_en })),
            recipients: Recipients { to: self.to, cc: self.cc },
            file,
            sha256: self.sha256,
            sectors: self.sectors,
            sheets: self.sheets,
        })
    }
}

/// The manifest: UTF-8 CSV with the byte-order mark spreadsheet programs need to read Chinese,
/// CRLF line ends, a header row.
pub fn manifest(entries: &[Entry]) -> Result<Vec<u8>, AppError> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let mut w = writer(&mut out);
    for e in entries {
        w.serialize(ManifestRow::from(e)).map_err(|e| AppError::Internal(format!("writing the manifest: {e}")))?;
    }
    w.flush().map_err(|e| AppError::Internal(format!("writing the manifest: {e}")))?;
    drop(w);
    Ok(out)
}

/// A CSV writer as every CSV of this tool is written: header from the row type, CRLF, fields
/// quoted when needed.
pub(crate) fn writer<W: std::io::Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out)
}

/// A CSV reader by header over `bytes` (a leading byte-order mark skipped).
pub(crate) fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    csv::ReaderBuilder::new().has_headers(true).from_reader(bytes)
}

/// Which of `columns` the header row lacks.
pub(crate) fn missing_columns<'c>(
    reader: &mut csv::Reader<&[u8]>,
    columns: &[&'c str],
) -> Result<Vec<&'c str>, csv::Error> {
    let header = reader.headers()?.clone();
    Ok(columns.iter().copied().filter(|c| !header.iter().any(|h| h == *c)).collect())
}

/// The line a CSV error is on in `bytes` (what [`reader`] read), and what it is in words.
pub(crate) fn csv_problem(e: &csv::Error, bytes: &[u8]) -> (u64, String) {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let line = e.position().map_or(1, |p| {
        // After a CRLF the reader stops at the CR: a record's position may be the LF before it.
        let mut end = usize::try_from(p.byte()).unwrap_or(usize::MAX).min(bytes.len());
        while bytes.get(end).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            end += 1;
        }
        1 + bytes[..end].iter().filter(|b| **b == b'\n').count() as u64
    });
    let what = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text (was it saved in another encoding?)".to_string(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields, expected {expected_len} (is the line cut short?)")
        }
        csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        _ => e.to_string(),
    };
    (line, what)
}

/// Reads the manifest of the export folder `dir`.
pub fn read_manifest(dir: &Path) -> Result<Vec<Entry>, AppError> {
    let path = dir.join(MANIFEST);
    let mut bytes = Vec::new();
    std::fs::File::open(&path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(|source| {
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
    let bad = |line: u64, what: String| {
        AppError::Usage(format!(
            "`{}` line {line}: {what}; export again (a manifest saved by a spreadsheet must stay UTF-8 CSV with \
             commas)",
            path.display()
        ))
    };
    let mut reader = reader(&bytes);
    let missing = missing_columns(&mut reader, &COLUMNS).map_err(|e| {
        let (line, what) = csv_problem(&e, &bytes);
        bad(line, what)
    })?;
    if !missing.is_empty() {
        return Err(bad(
            1,
            format!("the columns {} are missing (it needs `{}`)", missing.join(", "), COLUMNS.join(",")),
        ));
    }
    let mut entries = Vec::new();
    for row in reader.deserialize::<ManifestRow>() {
        let row = row.map_err(|e| {
            let (line, what) = csv_problem(&e, &bytes);
            bad(line, what)
        })?;
        let line = entries.len() as u64 + 2;
        let entry = row.entry().map_err(|what| bad(line, what))?;
        // An export lists each workbook once; a copied row (a spreadsheet's paste, a merge) would
        // be one message twice and two outbox files of one name.
        if let Some(first) = entries.iter().position(|e: &Entry| e.file == entry.file) {
            return Err(bad(
                line,
                format!("the workbook `{}` is listed again (first on line {})", entry.file, first + 2),
            ));
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP: `=`, `+`, `-`, `@`,
/// tab, carriage return), and the escape itself so that it reads back unambiguously.
const FORMULA_START: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// A text as a cell no spreadsheet evaluates: prefixed with `'` when it starts with a formula
/// character (or with `'` itself).
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_START) { format!("'{text}").into() } else { text.into() }
}

/// The text [`neutralise`] was given.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => cell,
    }
}

/// Serde for one neutralised text cell.
pub(crate) mod cell {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&neutralise(text))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let cell = String::deserialize(d)?;
        Ok(restore(&cell).to_string())
    }
}

/// Serde for a list in one cell: a JSON array of texts (empty cell for an empty list).
mod list {
    use super::*;

    pub(super) fn serialize<S: Serializer>(items: &[String], s: S) -> Result<S::Ok, S::Error> {
        if items.is_empty() {
            return s.serialize_str("");
        }
        let json = serde_json::to_string(items).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&neutralise(&json))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let cell = String::deserialize(d)?;
        let json = restore(&cell);
        if json.trim().is_empty() {
            return Ok(Vec::new());
        }
        serde_json::from_str(json)
            .map_err(|e| serde::de::Error::custom(format!("`{json}` is not a list like [\"a\", \"b\"] ({e})")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            department: "education".into(),
            department_name: Text {
                zh: "=HYPERLINK(\"http://evil.example\",\"教育局\")".into(),
                en: "@SUM(1,2)".into(),
            },
            city: Some(("wuwei".into(), Text { zh: "-2+3".into(), en: "'quoted".into() })),
            recipients: Recipients {
                to: vec!["a@x.example".into(), "\"a;b\"@x.example".into()],
                cc: vec!["+c@x.example".into()],
            },
            file: "yearbook-2025-education-wuwei.xlsx".into(),
            sha256: "ab".repeat(32),
            sectors: vec!["education".into(), "preschool".into()],
            sheets: vec!["02 教育; 学前".into(), "03 a,b".into(), "\ttab".into()],
        }
    }

    #[test]
    fn a_manifest_reads_back_as_written_even_with_separators_and_formula_characters_in_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST), manifest(std::slice::from_ref(&entry())).unwrap()).unwrap();
        assert_eq!(read_manifest(dir.path()).unwrap(), vec![entry()]);
    }

    #[test]
    fn no_cell_of_a_manifest_starts_like_a_formula() {
        let bytes = manifest(&[entry()]).unwrap();
        let mut r = reader(&bytes);
        for record in r.records() {
            for cell in record.unwrap().iter() {
                assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell:?} would be a formula");
            }
        }
    }

    #[test]
    fn columns_are_found_by_header_in_any_order() {
        let text = "\u{feff}sheets,file,department,department_zh,department_en,city,city_zh,city_en,to,cc,sha256,\
                    sectors,extra\r\n\"[\"\"01 x\"\"]\",a.xlsx,hrss,人社局,HRSS,,,,\"[\"\"h@x.example\"\"]\",,00,\
                    \"[\"\"jobs\"\"]\",ignored\r\n";
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST), text).unwrap();
        let e = read_manifest(dir.path()).unwrap();
        assert_eq!(e[0].file, "a.xlsx");
        assert_eq!(e[0].sheets, ["01 x"]);
        assert_eq!(e[0].recipients.to, ["h@x.example"]);
        assert_eq!(e[0].city, None);
    }

    #[test]
    fn a_missing_column_or_a_cut_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST), "department,file\r\nx,y\r\n").unwrap();
        let e = read_manifest(dir.path()).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("department_zh"), "{e}");
        let mut good = manifest(&[entry(), entry()]).unwrap();
        good.truncate(good.len() - 40);
        std::fs::write(dir.path().join(MANIFEST), good).unwrap();
        let e = read_manifest(dir.path()).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn neutralised_texts_restore_exactly() {
        for t in ["=1+1", "+x", "-2", "@a", "\tt", "\rr", "'", "'=", "''x", "plain", "", "a=b"] {
            assert_eq!(restore(&neutralise(t)), t, "{t:?}");
        }
    }
}
