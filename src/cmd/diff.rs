//! `yearbook diff --from YYYY --to YYYY`: what changed between two editions, as a report.

use std::fmt::Write as _;

use crate::cmd::args::{Cli, DiffArgs};
use crate::error::AppError;
use crate::pipeline::{self, Engine};
use crate::plan::Plan;
use crate::year::Year;

pub(super) fn run(cli: &Cli, args: &DiffArgs) -> Result<u8, AppError> {
    let plan = Plan::new(super::config(cli)?, args.options())?;
    if let Some(problem) = years_problem(args.from, args.to, &plan) {
        return Err(AppError::Usage(problem));
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
    super::print(&out)?;
    Ok(0)
}

/// Why `--from` and `--to` cannot be compared, in the words that help: reversed, equal, not
/// consecutive, or a folder missing.
fn years_problem(from: Year, to: Year, plan: &Plan) -> Option<String> {
    let data = plan.data_dir.display();
    let missing = |year: Year| !plan.data_dir.join(year.to_string()).is_dir();
    if from == to {
        Some(format!(
            "--from and --to both name {to}: diff compares an edition with the year before (--from {} --to {to})",
            to.previous()
        ))
    } else if from > to {
        Some(format!("--from {from} is later than --to {to}: the years are reversed; try --from {to} --to {from}"))
    } else if from.next() != to {
        Some(format!(
            "{from} is not the year before {to}: diff compares an edition with the year before (--from {} --to {to})",
            to.previous()
        ))
    } else if missing(to) {
        Some(format!("there is no {to} edition in `{data}`: its folder `{to}` does not exist"))
    } else if missing(from) {
        Some(format!("there is no {from} edition in `{data}`: its folder `{from}` does not exist"))
    } else {
        (plan.previous != Some(from)).then(|| format!("the {from} edition is not beside the {to} one in `{data}`"))
    }
}
