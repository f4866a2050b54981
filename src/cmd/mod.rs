//! The command layer: each command parses nothing itself (clap did), resolves a plan, calls the
//! stages below, prints through [`print`], and returns an exit status. File layouts and formats
//! belong to the stages and wings below, which never print or exit.

mod archive;
pub mod args;
mod build;
mod check;
mod collect;
mod diff;
mod export;
mod import;
mod mail;
mod new_city;
mod progress;
mod verify;
mod watch;
mod web;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use crate::config::Config;
use crate::diagnostics::{self, Diagnostic, SourceFiles};
use crate::error::AppError;
use args::{Cli, Command};

/// Runs a command and turns its outcome into an exit status: 0 done, 1 problems in the data,
/// 2 usage, configuration, I/O or internal errors.
pub fn run(cli: Cli) -> ExitCode {
    let result = match &cli.command {
        Command::Build(args) => build::run(&cli, args),
        Command::Check(args) => check::run(&cli, args),
        Command::Watch(args) => watch::run(&cli, args),
        Command::NewCity(args) => new_city::run(&cli, args),
        Command::Diff(args) => diff::run(&cli, args),
        Command::Archive(args) => archive::run(&cli, args),
        Command::Verify(args) => verify::run(&cli, args),
        Command::Export(args) => export::run(&cli, args),
        Command::Mail(args) => mail::run(&cli, args),
        Command::Collect(args) => collect::run(&cli, args),
        Command::Import(args) => import::run(&cli, args),
        Command::Web(args) => web::run(&cli, args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // The reader has what it wanted (`yearbook check | head -1`): nothing went wrong.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Writes a command's output to standard output: the one path every command prints through, so
/// a reader that stops early ends the run quietly (see [`run`]) instead of a panic in `print!`.
fn print(text: &str) -> Result<(), AppError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|source| AppError::Io {
        action: "write to",
        path: "standard output".into(),
        source,
    })
}

/// The configuration: `--config`, else `yearbook.toml` here or in the nearest folder above.
fn config(cli: &Cli) -> Result<Config, AppError> {
    let cwd = std::env::current_dir().map_err(|source| AppError::Io {
        action: "find the current folder",
        path: ".".into(),
        source,
    })?;
    Config::discover(cli.config.as_deref(), &cwd)
}

/// The output folder's lock, after waiting (and saying so) for any other run writing there.
fn lock(parent: &std::path::Path) -> Result<crate::output::OutputLock, AppError> {
    crate::output::OutputLock::acquire(parent, |holder| {
        let who = holder.pid.map_or_else(String::new, |pid| format!(" (pid {pid})"));
        let shown = parent.display().to_string();
        let slash = if shown.ends_with('/') { "" } else { "/" };
        eprintln!("waiting for another yearbook run{who} that is writing to {shown}{slash}");
    })
}

/// Lands `files` as the edition folder `<parent>/<folder>`, all of them or none.
fn land(
    parent: &std::path::Path,
    folder: &str,
    files: &[(String, Vec<u8>)],
) -> Result<Vec<crate::output::Written>, AppError> {
    crate::output::land_edition(&lock(parent)?, folder, files)
}

/// Colour only on a terminal, and never with `NO_COLOR`: logs and pipes get plain text.
fn stderr_stream() -> StandardStream {
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    StandardStream::stderr(if colour { ColorChoice::Auto } else { ColorChoice::Never })
}

fn print_human(files: &SourceFiles, found: &[Diagnostic]) {
    diagnostics::emit_human(&mut stderr_stream(), files, found);
}
