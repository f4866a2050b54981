//! Writes a generated national edition of N cities into a folder, for the benchmark
//! (`benches/scale.py --generated N`) and for a proof-reader:
//!
//!     cargo run --example national_edition -- 300 /tmp/national [REPO]
//!
//! (The dev profile: an example links the dev-dependencies, and in the release profile their
//! features would rebuild the whole dependency tree; the edition is the same either way.)
//! The folder gets `yearbook.toml` (the repository's templates and fonts, by absolute path),
//! `data/catalogue/` (the shipped catalogue) and `data/2025/` (the cities). It must be empty or
//! new. The cities come from the generator the layout tests use (`tests/integration/national.rs`),
//! out of the shipped cities of REPO (default: this repository).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[path = "../tests/integration/national.rs"]
mod national;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: national_edition N DIR [REPO]  (N cities, at least 1; DIR empty or new)";
    let (Some(n), Some(dir)) = (args.first().and_then(|n| n.parse::<usize>().ok()).filter(|n| *n > 0), args.get(1))
    else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let root = args.get(2).map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    match write(&root, n, Path::new(dir)) {
        Ok(()) => {
            println!("{n} cities in {dir}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: could not write the edition into {dir}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(root: &Path, n: usize, dir: &Path) -> std::io::Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "the folder is not empty"));
    }
    let cities = national::national_cities(root, n)?;
    let ids: Vec<&str> = cities.iter().map(|(id, _)| id.as_str()).collect();
    national::shipped_catalogue(root, &dir.join("data/catalogue"), &ids)?;
    let year = dir.join("data/2025");
    std::fs::create_dir_all(&year)?;
    for (id, body) in &cities {
        std::fs::write(year.join(format!("{id}.toml")), body)?;
    }
    // The repository's own configuration, with its templates and fonts where they are.
    let config = std::fs::read_to_string(root.join("yearbook.toml"))?;
    let at = |p: &str| format!("{:?}", root.join(p).display().to_string());
    let config = config
        .replace("templates = \"templates\"", &format!("templates = {}", at("templates")))
        .replace("fonts = \"fonts\"", &format!("fonts = {}", at("fonts")));
    std::fs::write(dir.join("yearbook.toml"), config)
}
