//! Broken-input fixtures: each folder under tests/fixtures/invalid/ edits the mini project
//! (`case.toml`) and states the exact diagnostics `yearbook check --format short` must print
//! (`expected.txt`). Run with `BLESS=1` to write the expectations after a reviewed change.

mod common;

use std::path::Path;

use common::{mini_city, project, repo, run, text};

#[derive(serde::Deserialize)]
struct Case {
    edit: Vec<Edit>,
}

#[derive(serde::Deserialize)]
struct Edit {
    file: String,
    find: String,
    replace: String,
}

fn check_case(dir: &Path) -> Result<(), String> {
    let case: Case =
        toml::from_str(&std::fs::read_to_string(dir.join("case.toml")).unwrap()).map_err(|e| e.to_string())?;
    let project = project(&[("testcity", &mini_city())]);
    for edit in &case.edit {
        let path = project.path().join(&edit.file);
        let before = std::fs::read_to_string(&path).unwrap();
        if !before.contains(&edit.find) {
            return Err(format!("`{}` not found in {}", edit.find, edit.file));
        }
        std::fs::write(&path, before.replacen(&edit.find, &edit.replace, 1)).unwrap();
    }
    let out = run(&["check", "--format", "short", "--deny-warnings"], project.path());
    let stdout = text(&out.stdout);
    match out.status.code() {
        Some(1) => {}
        other => return Err(format!("exit status {other:?}, expected 1; stderr:\n{}", text(&out.stderr))),
    }
    let expected_path = dir.join("expected.txt");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&expected_path, &stdout).unwrap();
        return Ok(());
    }
    let expected = std::fs::read_to_string(&expected_path)
        .map_err(|_| "expected.txt is missing (run with BLESS=1)".to_string())?;
    if stdout != expected {
        return Err(format!("diagnostics differ\n--- expected\n{expected}--- actual\n{stdout}"));
    }
    Ok(())
}

#[test]
fn every_invalid_fixture_gives_its_exact_diagnostics() {
    let root = repo().join("tests/fixtures/invalid");
    let mut dirs: Vec<_> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(dirs.len() >= 30, "only {} fixtures", dirs.len());
    let failures: Vec<String> = dirs
        .iter()
        .filter_map(|d| check_case(d).err().map(|e| format!("{}: {e}", d.file_name().unwrap().to_string_lossy())))
        .collect();
    assert!(failures.is_empty(), "{} of {} fixtures failed:\n{}", failures.len(), dirs.len(), failures.join("\n\n"));
}
