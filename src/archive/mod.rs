//! The archive of an edition: a BagIt bag (RFC 8493), the packaging libraries and archives use
//! for digital preservation. Its payload (`data/`) holds the archive-standard PDF, the print
//! PDF, the workbook, and the sources that built them (yearbook.toml, the data, the templates),
//! with every font the book was set in and their licences; `manifest-sha256.txt` and `tagmanifest-sha256.txt` let
//! anyone check every byte in ten years with nothing but a SHA-256 tool.
//!
//! Nothing here prints: `editions` makes what a bag holds in memory (the same steps for `archive`
//! and for `verify --rebuild`), [`bag`] owns the bag's format and lands it, [`verify`] checks a
//! bag on disk and rebuilds from it.

pub mod bag;
pub mod verify;

use crate::book::Book;
use crate::departments::export::{self, Export};
use crate::error::AppError;
use crate::pipeline::{self, Artifacts, Checked, Engine};
use crate::plan::Plan;
use crate::web;

/// Files by their path inside the payload.
pub type Files = Vec<(String, Vec<u8>)>;

/// What an archived edition holds, made in memory: the print and archive editions, the
/// departments' workbooks as `yearbook export --by department` writes them, and the web edition.
pub struct Editions {
    pub printed: Artifacts,
    pub archived: Artifacts,
    pub departments: Export,
    /// The site's files, paths inside the payload (`web/index.html`); none when the templates
    /// folder has no web templates (a project, or a bag, made before the web edition).
    pub site: Option<Files>,
}

/// Makes the editions of a bag (`archive`) or again from a bag (`verify --rebuild`): the same
/// steps both times, so that a rebuild compares like with like.
pub fn editions(engine: &Engine, checked: &Checked, print: &Plan, archival: &Plan) -> Result<Editions, AppError> {
    let printed = pipeline::build_once(print, engine, checked)?;
    let archived = pipeline::build_once(archival, engine, checked)?;
    let departments = export::by_department(
        &printed.book,
        &printed.pages,
        &crate::resolve::Addressbook::new(&checked.catalogue),
        &print.output,
        false,
        engine.progress.as_deref(),
    )?;
    let site = site(&printed.book, print)?;
    Ok(Editions { printed, archived, departments, site })
}

/// The web edition as the bag holds it: `web/` beside the print PDF and the workbook, which its
/// home page offers (both are always in the bag).
fn site(book: &Book, print: &Plan) -> Result<Option<Files>, AppError> {
    let templates = &print.config.templates_dir;
    if !templates.join(web::TEMPLATES).is_dir() {
        return Ok(None);
    }
    let env = web::environment(templates)?;
    let downloads = web::Downloads {
        pdf: Some(format!("../{}", print.output.pdf)),
        xlsx: Some(format!("../{}", print.output.xlsx)),
    };
    let files = web::site(&env, templates, book, print.lang, &downloads)?;
    Ok(Some(files.into_iter().map(|(name, bytes)| (format!("{}/{name}", web::SITE), bytes)).collect()))
}
