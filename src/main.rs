use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    yearbook::run(yearbook::cli::Cli::parse())
}
