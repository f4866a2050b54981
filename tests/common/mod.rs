//! Helpers shared by the integration tests: run the real binary, make throw-away projects.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_yearbook");

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(cwd).env("NO_COLOR", "1").output().expect("the binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A throw-away project: the shipped catalogues, templates and fonts, plus the given cities.
pub fn project(cities: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = repo();
    let config = format!(
        "[edition]\nyear = 2025\ntitle = {{ zh = \"测试年鉴\", en = \"Test Yearbook\" }}\npublisher = {{ zh = \"测试\", en = \"Test\" }}\ndate = \"2026-03-31\"\n\n[paths]\ndata = \"data\"\ntemplates = {:?}\nfonts = {:?}\noutput = \"dist\"\n",
        root.join("templates").display().to_string(),
        root.join("fonts").display().to_string()
    );
    std::fs::write(dir.path().join("yearbook.toml"), config).unwrap();
    let cat = dir.path().join("data/catalogue");
    std::fs::create_dir_all(&cat).unwrap();
    for entry in std::fs::read_dir(root.join("data/catalogue")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, cat.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("data/2025")).unwrap();
    for (id, body) in cities {
        std::fs::write(dir.path().join(format!("data/2025/{id}.toml")), body).unwrap();
    }
    dir
}

pub fn mini_city() -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/mini/data/2025/testcity.toml")).unwrap()
}
