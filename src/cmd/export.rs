//! `yearbook export --by department`: build the edition in memory, cut its workbook by
//! department (and city), land the folder with its manifest as one unit, summarise.

use std::io::Write;

use crate::cmd::args::{Cli, ExportArgs};
use crate::departments::export;
use crate::error::AppError;
use crate::pipeline::{self, Engine};
use crate::plan::Plan;

pub(super) fn run(cli: &Cli, args: &ExportArgs) -> Result<u8, AppError> {
    let plan = Plan::new(super::config(cli)?, args.options())?;
    let mut engine = Engine::new(&plan.config)?;
    let checked = pipeline::check(&plan, &engine)?;
    if !checked.diagnostics.is_empty() {
        super::print_human(&checked.files, &checked.diagnostics);
    }
    let (shown, progress) = super::progress::show(cli.quiet);
    engine.progress = progress;
    let artifacts = pipeline::build_once(&plan, &engine, &checked)?;
    let export = export::by_department(
        &artifacts.book,
        &artifacts.pages,
        &crate::resolve::Addressbook::new(&checked.catalogue),
        &plan.output,
        args.per_city,
        engine.progress.as_deref(),
    )?;
    drop(shown);
    let folder = plan.output.departments_folder(args.per_city);
    let dir = plan.output.parent.join(&folder);
    // As one unit; the send log and outbox that `mail` keeps in the folder are carried over, the
    // previous export's workbooks are not (one this export no longer makes must not stay).
    let superseded = |name: &str| plan.output.is_department_workbook(name);
    crate::output::land_replacing(&super::lock(&plan.output.parent)?, &folder, &export.files, &superseded)?;

    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "exported the {} edition by department{}: {} workbook(s) in {}",
        plan.year,
        if args.per_city { " and city" } else { "" },
        export.entries.len(),
        dir.display()
    );
    for e in &export.entries {
        let city = e.city.as_ref().map(|(_, n)| format!(" {}", n.zh)).unwrap_or_default();
        let to = if e.recipients.to.is_empty() { "no recipient".to_string() } else { e.recipients.to.join(", ") };
        let cc =
            if e.recipients.cc.is_empty() { String::new() } else { format!(", cc {}", e.recipients.cc.join(", ")) };
        let _ = writeln!(out, "  {}  {}{city}: {} sheet(s) → {to}{cc}", e.file, e.department_name.zh, e.sheets.len());
    }
    let _ = writeln!(out, "  {}", export::MANIFEST);
    let missing = export.entries.iter().filter(|e| e.recipients.to.is_empty()).count();
    if missing > 0 {
        eprintln!(
            "{missing} workbook(s) have no recipient: add `to = [\"…\"]` to those departments in \
             data/catalogue/departments.toml before `yearbook mail`"
        );
    }
    Ok(0)
}
