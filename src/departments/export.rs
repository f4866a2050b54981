//! Department workbooks: the edition's workbook cut by department (and, if asked, by city), each
//! holding exactly its sectors, plus `manifest.csv` with one line per workbook: who it is for,
//! who receives it, its file and hash. `mail` sends from the manifest alone, so what is mailed
//! is what was exported and checked, never a rebuild.

use crate::progress::{Progress, Step, report};

use crate::book::{Book, Chapter};
use crate::error::AppError;
use crate::model::Text;
use crate::output::sha256_hex;
use crate::plan::OutputPlan;
use crate::print::typeset::TablePages;
use crate::print::workbook::{self, Selection};
use crate::resolve::Addressbook;

pub use super::manifest::{Entry, MANIFEST};

/// An export in memory: its entries, and the files of its folder (workbooks, then manifest).
pub struct Export {
    pub entries: Vec<Entry>,
    pub files: Vec<(String, Vec<u8>)>,
}

/// One workbook per department that owns a chapter of the book, in chapter order; with
/// `per_city`, one per department and city that has figures in its sectors.
pub fn by_department(
    book: &Book,
    pages: &TablePages,
    addresses: &Addressbook,
    output: &OutputPlan,
    per_city: bool,
    progress: Option<&Progress>,
) -> Result<Export, AppError> {
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
                recipients: addresses.recipients(id, city_id).cloned().unwrap_or_default(),
                file: file.clone(),
                sha256: sha256_hex(&bytes),
                sectors: selection.chapters.iter().map(|c| c.id.clone()).collect(),
                sheets: selection.chapters.iter().map(|c| c.sheet_name.clone()).collect(),
            });
            files.push((file, bytes));
        }
    }
    report(progress, Step::Count { done, of, unit: "workbooks" });
    files.push((MANIFEST.to_string(), super::manifest::manifest(&entries)?));
    Ok(Export { entries, files })
}
