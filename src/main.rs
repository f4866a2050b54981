use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static GLOBAL: yearbook::alloc::Allocator = yearbook::alloc::Allocator;

fn main() -> ExitCode {
    yearbook::alloc::report_refused_threads();
    yearbook::cmd::run(yearbook::cmd::args::Cli::parse())
}
