//! What one `mail` run sends: the manifest's workbooks for the departments asked for, each held
//! against today's catalogue (recipients changed since the export are not sent to), composed
//! into letters, and, for a dry run, the outbox's file names.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::config::Config;
use crate::departments::mail::{Composer, Letter, Unsendable};
use crate::departments::manifest::{self, Entry};
use crate::diagnostics::Severity;
use crate::error::AppError;
use crate::load::Loader;
use crate::resolve::Addressbook;

/// The letters a run may send, and the workbooks it must not, each with why.
pub struct Mailing {
    pub letters: Vec<Letter>,
    pub unsendable: Vec<Unsendable>,
}

/// Composes the letters of the workbooks in `dir` for the departments in `only` (all when
/// empty). `vet` is the round's own check of a workbook (the collection's deadline).
pub fn prepare(
    config: &Config,
    data_dir: &Path,
    dir: &Path,
    only: &[String],
    composer: &Composer,
    vet: &dyn Fn(&Entry) -> Option<String>,
    now: SystemTime,
) -> Result<Mailing, AppError> {
    let entries = selected(manifest::read_manifest(dir)?, only, dir)?;
    let addresses = current_addresses(config, data_dir)?;
    let (mut letters, mut unsendable) = (Vec::new(), Vec::new());
    for e in &entries {
        if let Some(problem) = changed_recipients(e, &addresses, composer.remake()).or_else(|| vet(e)) {
            unsendable.push(Unsendable { entry: e.clone(), problem });
            continue;
        }
        match composer.letter(dir, e, now)? {
            Ok(l) => letters.push(l),
            Err(u) => unsendable.push(u),
        }
    }
    Ok(Mailing { letters, unsendable })
}

/// Where a dry run writes its messages: the outbox folder's parent and name, and one `.eml` file
/// per letter, named after its workbook.
pub fn outbox(dir: &Path, asked: Option<PathBuf>, letters: &[Letter]) -> Result<Outbox, AppError> {
    let folder = asked.unwrap_or_else(|| dir.join("outbox"));
    // A plain relative name (`--outbox box`) has an empty parent: the current folder.
    let parent = folder.parent().map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p });
    let (Some(parent), Some(name)) = (parent, folder.file_name().and_then(|n| n.to_str())) else {
        return Err(AppError::Usage(format!("`{}` cannot be an outbox folder", folder.display())));
    };
    let files = letters
        .iter()
        .map(|l| (l.entry.file.trim_end_matches(".xlsx").to_string() + ".eml", l.bytes.clone()))
        .collect();
    Ok(Outbox { parent: parent.to_path_buf(), name: name.to_string(), folder: folder.clone(), files })
}

/// A dry run's messages, to be landed as one folder.
pub struct Outbox {
    pub parent: PathBuf,
    pub name: String,
    pub folder: PathBuf,
    /// File name and bytes, in the letters' order.
    pub files: Vec<(String, Vec<u8>)>,
}

/// The recipients `departments.toml` gives today, to compare with those the manifest wrote down.
fn current_addresses(config: &Config, data_dir: &Path) -> Result<Addressbook, AppError> {
    let mut loader = Loader::new(&config.root);
    let catalogue = loader.catalogue(data_dir)?;
    if loader.diagnostics.iter().any(|d| d.severity == Severity::Error) || catalogue.departments.is_none() {
        return Err(AppError::Usage(format!(
            "the catalogue in `{}` cannot be read as it is; run `yearbook check` and correct what it says first",
            data_dir.join("catalogue").display()
        )));
    }
    Ok(Addressbook::new(&catalogue))
}

/// Why an entry's recipients are not those of the catalogue any more, naming both.
fn changed_recipients(entry: &Entry, addresses: &Addressbook, remake: &str) -> Option<String> {
    let city = entry.city.as_ref().map(|(id, _)| id.as_str());
    let now = addresses.recipients(&entry.department, city).cloned().unwrap_or_default();
    let same =
        |a: &[String], b: &[String]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y));
    if same(&now.to, &entry.recipients.to) && same(&now.cc, &entry.recipients.cc) {
        return None;
    }
    let list = |to: &[String], cc: &[String]| {
        let mut s = if to.is_empty() { "nobody".to_string() } else { to.join(", ") };
        if !cc.is_empty() {
            s.push_str(&format!(" (cc {})", cc.join(", ")));
        }
        s
    };
    Some(format!(
        "the manifest sends it to {}, but data/catalogue/departments.toml now says {}; {remake} so that the \
         manifest and the catalogue agree",
        list(&entry.recipients.to, &entry.recipients.cc),
        list(&now.to, &now.cc)
    ))
}

/// The manifest's lines for the departments asked for (all when none is named).
fn selected(entries: Vec<Entry>, only: &[String], dir: &Path) -> Result<Vec<Entry>, AppError> {
    if let Some(unknown) = only.iter().find(|id| !entries.iter().any(|e| &e.department == *id)) {
        let known: Vec<&str> = entries.iter().map(|e| e.department.as_str()).collect();
        return Err(AppError::Usage(format!(
            "the manifest in `{}` has no workbook for department `{unknown}` (it has: {})",
            dir.display(),
            known.join(", ")
        )));
    }
    Ok(entries.into_iter().filter(|e| only.is_empty() || only.contains(&e.department)).collect())
}
