//! `yearbook diff --from YYYY --to YYYY`: what changed between two editions, as a report.

use std::fmt::Write as _;

use crate::cmd::args::{Cli, DiffArgs};
use crate::error::AppError;
use crate::pipeline::{self, Engine};
use crate::plan::Plan;

pub fn run(cli: &Cli, args: &DiffArgs) -> Result<u8, AppError> {
    let plan = Plan::new(super::config(cli)?, args.options());
    if plan.previous != Some(args.from) {
        return Err(AppError::Usage(format!(
            "there is no {} edition beside the {} one in `{}`: diff compares an edition with the year before",
            args.from,
            args.to,
            plan.data_dir.display()
        )));
    }
    let engine = Engine::new(&plan.config)?;
    let checked = pipeline::check(&plan, &engine)?;
    if checked.errors() > 0 {
        super::print_human(&checked.files, &checked.diagnostics);
        return Err(AppError::Data { errors: checked.errors() });
    }
    let d = pipeline::changes(&checked)?;
    let mut out = String::new();
    let _ = writeln!(out, "changes from the {} edition to the {} edition", d.from, d.to);
    for c in &d.cities_added {
        let _ = writeln!(out, "  city added:    {} {}", c.zh, c.en);
    }
    for c in &d.cities_dropped {
        let _ = writeln!(out, "  city dropped:  {} {}", c.zh, c.en);
    }
    for (what, items) in [("new", &d.new), ("dropped", &d.dropped)] {
        let _ = writeln!(out, "{} indicator(s) {what}", items.len());
        for i in items {
            let _ = writeln!(out, "  {}  {}  {} {} {}", i.city.en, i.id, i.name.zh, i.value, i.unit.zh);
        }
    }
    let _ = writeln!(out, "{} figure(s) of last year restated", d.restated.len());
    for r in &d.restated {
        let _ =
            writeln!(out, "  {}  {}  {} {}: {} → {} {}", r.city.en, r.id, r.name.zh, r.year, r.was, r.now, r.unit.zh);
    }
    print!("{out}");
    Ok(0)
}
