//! `yearbook mail --collect`: the collection workbooks of `<out>/<Y>-collect/` go out with the
//! departments' mail job (its manifest, composer, delivery and send log), asking each department
//! to fill its workbook in by the deadline of `[collect]`. What differs from mailing the
//! edition's workbooks is decided here: which year and folder, the `[collect]` templates, and
//! that the message does not name another deadline than the workbook prints.

use std::path::{Path, PathBuf};

use crate::config::{Config, Date};
use crate::departments::mail::Composer;
use crate::departments::manifest::Entry;
use crate::diagnostics::{Diagnostic, FileIdx, Rule};
use crate::error::AppError;
use crate::load::Catalogue;
use crate::model::Text;
use crate::resolve::Recipients;
use crate::year::Year;

/// The year to collect: the one given, else the year after the latest edition in `data_dir`.
pub fn year(data_dir: &Path, given: Option<Year>) -> Result<Year, AppError> {
    match given.or_else(|| super::years(data_dir).last().map(|y| y.next())) {
        Some(y) => Ok(y),
        None => Err(AppError::Usage(format!(
            "no edition in `{}` to collect after; give the year with --year YYYY",
            data_dir.display()
        ))),
    }
}

/// What `mail --collect` sends: the year, the folder `yearbook collect` wrote, and the composer
/// of collection requests.
pub struct Outgoing {
    pub year: Year,
    pub dir: PathBuf,
    pub composer: Composer,
}

/// The collection round of `year` (or the year after the latest edition) in `out` (or the
/// configured output folder).
pub fn outgoing(
    config: &Config,
    data_dir: &Path,
    year: Option<Year>,
    out: Option<PathBuf>,
) -> Result<Outgoing, AppError> {
    let year = self::year(data_dir, year)?;
    let dir = out.unwrap_or_else(|| config.output_dir.clone()).join(super::folder(year.get()));
    if !dir.is_dir() {
        return Err(AppError::Usage(format!(
            "there are no collection workbooks for {year} in `{}`; write them with `yearbook collect --year {year}` \
             first",
            dir.display()
        )));
    }
    let composer = Composer::collection(config, year)?;
    Ok(Outgoing { year, dir, composer })
}

/// Why a workbook of the manifest must not go out with a message naming `deadline`: it prints
/// another date (or none), or it is not a collection workbook of this round at all.
pub fn deadline_problem(dir: &Path, entry: &Entry, deadline: Date, year: Year) -> Option<String> {
    let path = dir.join(&entry.file);
    // An unreadable file is the composer's to report (it reads and hashes every file).
    let bytes = std::fs::read(&path).ok()?;
    let Some(meta) = super::import::identity(&bytes) else {
        return Some(format!(
            "`{}` is not a collection workbook made by `yearbook collect`; run `yearbook collect` again",
            path.display()
        ));
    };
    let made_for = meta.get("year").map(String::as_str).unwrap_or("");
    if made_for != year.to_string() || meta.get("department") != Some(&entry.department) {
        return Some(format!(
            "`{}` was made for department `{}` of {made_for}, but the manifest lists it for `{}` of {year}; run \
             `yearbook collect` again",
            path.display(),
            meta.get("department").map(String::as_str).unwrap_or(""),
            entry.department
        ));
    }
    let printed = meta.get("deadline").map(String::as_str).unwrap_or("");
    let wanted = deadline.iso();
    if printed == wanted {
        return None;
    }
    let printed = if printed.is_empty() { "no deadline".to_string() } else { format!("the deadline {printed}") };
    Some(format!(
        "`{}` prints {printed}, but [collect] deadline in yearbook.toml is now {wanted}, and the message would say \
         so; run `yearbook collect` again so that the workbooks print the same date",
        path.display()
    ))
}

/// What `mail --collect` would refuse in yearbook.toml (`file`), as `check` reports it: when
/// the office mails collection requests (yearbook.toml has both `[mail]` and `[collect]`), a
/// missing deadline, a `[collect]` template that cannot be read or parsed, or one that does not
/// render for a department of the catalogue. `year` is the year the requests would be for.
pub fn check(config: &Config, catalogue: &Catalogue, file: FileIdx, year: Year) -> Vec<Diagnostic> {
    if config.mail.is_none() || !config.collect.in_file {
        return Vec::new();
    }
    let span = table_span(&config.text, "[collect]");
    let found = |message: String| {
        Diagnostic::new(file, span.clone(), Rule::CollectMail, message).with_hint(
            "`yearbook mail --collect` sends nothing until this is corrected; see docs/collecting.md (or remove \
             [collect] if the office does not mail collection workbooks)",
        )
    };
    let why = |e: AppError| match e {
        AppError::Config { message, .. } => message,
        e => e.to_string(),
    };
    let composer = match Composer::collection(config, year) {
        Ok(c) => c,
        Err(e) => return vec![found(why(e))],
    };
    let departments = catalogue.departments.as_ref().map(|p| &p.data.department[..]).unwrap_or(&[]);
    // One department with and without a city exercises every branch a template can take on
    // the names; a problem is reported once, not once per department.
    for d in departments {
        let name: Text = (&d.name).into();
        for city in [None, Some(("city".to_string(), Text { zh: "城市".into(), en: "City".into() }))] {
            let entry = Entry {
                department: d.id.get_ref().clone(),
                department_name: name.clone(),
                city,
                recipients: Recipients::default(),
                file: format!("collect-{year}-{}.xlsx", d.id.get_ref()),
                sha256: "0".repeat(64),
                sectors: Vec::new(),
                sheets: Vec::new(),
            };
            if let Err(e) = composer.texts(&entry) {
                return vec![found(why(e))];
            }
        }
    }
    Vec::new()
}

/// The byte range of a table's header line (`[collect]`) in a TOML text, if it is there.
fn table_span(text: &str, header: &str) -> Option<std::ops::Range<usize>> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with(header) {
            let start = at + (line.len() - trimmed.len());
            return Some(start..start + header.len());
        }
        at += line.len();
    }
    None
}
