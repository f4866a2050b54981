//! `yearbook collect`: one collection workbook per department (and city office) for the year
//! to collect, landed with its manifest in `<out>/<year>-collect/` as one unit.

use std::io::Write;

use crate::cmd::args::{Cli, CollectArgs};
use crate::collect::{self, workbook};
use crate::departments::manifest::{self, MANIFEST};
use crate::diagnostics::Severity;
use crate::error::AppError;
use crate::load::Loader;

pub(super) fn run(cli: &Cli, args: &CollectArgs) -> Result<u8, AppError> {
    let config = super::config(cli)?;
    let data_dir = args.data.clone().unwrap_or_else(|| config.data_dir.clone());
    let years = collect::years(&data_dir);
    let year = collect::mail::year(&data_dir, args.year)?;
    let latest = years.iter().rev().find(|y| **y < year).copied();
    let mut loader = Loader::new(&config.root);
    let catalogue = loader.catalogue(&data_dir)?;
    let latest = latest.map(|y| loader.edition(&data_dir, y)).transpose()?;
    let current = if years.contains(&year) { Some(loader.edition(&data_dir, year)?) } else { None };
    let errors = loader.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    if errors > 0 {
        super::print_human(&loader.files, &loader.diagnostics);
        return Err(AppError::Data { errors });
    }
    let plans = workbook::plan(
        &catalogue,
        latest.as_ref(),
        current.as_ref(),
        year.get(),
        &args.departments,
        config.collect.deadline,
    )?;
    let mut files = Vec::new();
    let mut entries = Vec::new();
    for p in &plans {
        let bytes = workbook::write(p, config.date)?;
        entries.push(workbook::entry(p, &bytes));
        files.push((p.file.clone(), bytes));
    }
    files.push((MANIFEST.to_string(), manifest::manifest(&entries)?));
    let parent = args.out.clone().unwrap_or_else(|| config.output_dir.clone());
    let folder = collect::folder(year.get());
    super::land(&parent, &folder, &files)?;

    let mut out = std::io::stdout().lock();
    let from = latest.as_ref().map(|e| format!(" from the {} edition", e.year)).unwrap_or_default();
    let _ = writeln!(
        out,
        "wrote {} collection workbook(s) for {year}{from} in {}",
        plans.len(),
        parent.join(&folder).display()
    );
    for p in &plans {
        let rows: usize = p.sheets.iter().map(|s| s.rows.len()).sum();
        let city = p.city.as_ref().map(|(_, n)| format!(" {}", n.zh)).unwrap_or_default();
        let _ =
            writeln!(out, "  {}  {}{city}: {} sheet(s), {rows} row(s)", p.file, p.department_name.zh, p.sheets.len());
    }
    let _ = writeln!(out, "  {MANIFEST}");
    if config.collect.deadline.is_none() {
        eprintln!(
            "no deadline is printed: set `[collect] deadline = \"YYYY-MM-DD\"` in yearbook.toml (`yearbook mail \
             --collect` sends no workbook without one)"
        );
    }
    Ok(0)
}
