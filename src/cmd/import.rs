//! `yearbook import`: read the returns, report every finding of every file, and when there is
//! none write the figures into the data folder, every file at once (or print what would change
//! with --dry-run). Exit 0 imported, 1 findings (nothing written), 2 could not run.

use std::io::Write;

use crate::cmd::args::{Cli, ImportArgs};
use crate::collect::plan::{self, Outcome};
use crate::collect::rules;
use crate::diagnostics::Format;
use crate::error::AppError;

pub(super) fn run(cli: &Cli, args: &ImportArgs) -> Result<u8, AppError> {
    let config = super::config(cli)?;
    let data_dir = args.data.clone().unwrap_or_else(|| config.data_dir.clone());
    let today = plan::today();
    let outcome = plan::import(&config, &data_dir, &args.files, args.year, args.long, &today)?;
    if let Some(dir) = &args.annotate {
        let written = plan::annotate(&config, &data_dir, &outcome, dir)?;
        for (file, n) in written {
            eprintln!("annotated {} ({n} finding(s)) in {}", file, dir.display());
        }
    }
    let findings = &outcome.findings;
    match Format::from(args.format) {
        Format::Human => eprint!("{}", rules::to_human(findings)),
        Format::Short => print!("{}", rules::to_short(findings)),
        Format::Json => println!("{}", rules::to_json(findings)),
    }
    if !findings.is_empty() {
        eprintln!(
            "{} finding(s) in {} of {} file(s); nothing was written",
            findings.len(),
            outcome.files_with_findings(),
            args.files.len()
        );
        return Ok(1);
    }
    // A line per figure: buffered, so 18,000 figures are a few writes, not 18,000.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    report(&mut out, &outcome, args.dry_run);
    if args.dry_run {
        let _ = writeln!(out, "dry run: nothing was written");
        return Ok(0);
    }
    if outcome.is_unchanged() {
        let _ = writeln!(out, "nothing to change: the data already hold these returns");
        return Ok(0);
    }
    let parent = data_dir.parent().map(std::path::Path::to_path_buf).unwrap_or_else(|| ".".into());
    let folder = data_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| AppError::Usage(format!("the data folder `{}` has no name", data_dir.display())))?;
    super::land(&parent, &folder, &outcome.files)?;
    let _ = writeln!(
        out,
        "imported {} figure(s) into {}",
        outcome.figures(),
        data_dir.join(outcome.year.to_string()).display()
    );
    Ok(0)
}

fn report(out: &mut dyn Write, outcome: &Outcome, dry_run: bool) {
    let verb = if dry_run { "would" } else { "will" };
    for c in &outcome.cities {
        let ch = &c.changes;
        let _ = writeln!(
            out,
            "{}{}: {} added, {} changed, {} unchanged, {} removed",
            c.file,
            if ch.created { " (new file)" } else { "" },
            ch.added.len(),
            ch.changed.len(),
            ch.unchanged,
            ch.removed.len()
        );
        for id in &ch.added {
            let _ = writeln!(out, "  + {id}");
        }
        for (id, how) in &ch.changed {
            let _ = writeln!(out, "  ~ {id}: {how}");
        }
        for id in &ch.removed {
            let _ = writeln!(out, "  - {id} (no longer in the department's return)");
        }
    }
    let _ = verb;
}
