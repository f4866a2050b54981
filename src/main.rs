use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    yearbook::cmd::run(yearbook::cmd::args::Cli::parse())
}
