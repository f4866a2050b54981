//! Broken-input fixtures: each folder under tests/fixtures/invalid/ changes the mini project
//! (`case.toml`) and states the exact diagnostics `yearbook check --format short` must print
//! (`expected.txt`). Run with `BLESS=1` to write the expectations after a reviewed change.
//!
//! A case can edit text (`[[edit]]`, with `{repeat}` standing for `repeat.text` × `repeat.count`),
//! put raw bytes in place of a text (`[[patch]]`), copy files (`[[copy]]`, done first), write
//! files (`[[write]]`), make folders (`folders`) and symbolic links (`[[link]]`).

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{mini_city, project, repo, run, text};
use yearbook::diagnostics::Rule;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[serde(default)]
    copy: Vec<Copy>,
    #[serde(default)]
    edit: Vec<Edit>,
    #[serde(default)]
    patch: Vec<Patch>,
    #[serde(default)]
    write: Vec<Write>,
    #[serde(default)]
    folders: Vec<String>,
    #[serde(default)]
    link: Vec<Link>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Copy {
    from: String,
    to: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    file: String,
    find: String,
    replace: String,
    repeat: Option<Repeat>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Repeat {
    text: String,
    count: usize,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    file: String,
    find: String,
    bytes: Vec<u8>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Write {
    file: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    bytes: Vec<u8>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Link {
    path: String,
    /// Relative to the link's folder.
    target: String,
}

fn apply(case: &Case, root: &Path) -> Result<(), String> {
    for c in &case.copy {
        if let Some(dir) = root.join(&c.to).parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("copy to {}: {e}", c.to))?;
        }
        std::fs::copy(root.join(&c.from), root.join(&c.to)).map_err(|e| format!("copy {}: {e}", c.from))?;
    }
    for edit in &case.edit {
        let path = root.join(&edit.file);
        let before = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", edit.file))?;
        if !before.contains(&edit.find) {
            return Err(format!("`{}` not found in {}", edit.find, edit.file));
        }
        let replace = match &edit.repeat {
            Some(r) => edit.replace.replace("{repeat}", &r.text.repeat(r.count)),
            None => edit.replace.clone(),
        };
        std::fs::write(&path, before.replacen(&edit.find, &replace, 1)).unwrap();
    }
    for patch in &case.patch {
        let path = root.join(&patch.file);
        let before = std::fs::read(&path).unwrap();
        let find = patch.find.as_bytes();
        let at = before
            .windows(find.len())
            .position(|w| w == find)
            .ok_or_else(|| format!("`{}` not found in {}", patch.find, patch.file))?;
        let mut after = before[..at].to_vec();
        after.extend(&patch.bytes);
        after.extend(&before[at + find.len()..]);
        std::fs::write(&path, after).unwrap();
    }
    for w in &case.write {
        let mut bytes = w.text.as_bytes().to_vec();
        bytes.extend(&w.bytes);
        let path = root.join(&w.file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    for f in &case.folders {
        std::fs::create_dir_all(root.join(f)).unwrap();
    }
    for l in &case.link {
        crate::common::symlink(&l.target, root.join(&l.path)).map_err(|e| format!("link {}: {e}", l.path))?;
    }
    Ok(())
}

fn check_case(dir: &Path) -> Result<(), String> {
    let case: Case =
        toml::from_str(&std::fs::read_to_string(dir.join("case.toml")).unwrap()).map_err(|e| e.to_string())?;
    let project = project(&[("testcity", &mini_city())]);
    apply(&case, project.path())?;
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

fn fixture_dirs() -> Vec<std::path::PathBuf> {
    let root = repo().join("tests/fixtures/invalid");
    let mut dirs: Vec<_> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

#[test]
fn every_invalid_fixture_gives_its_exact_diagnostics() {
    let dirs = fixture_dirs();
    assert!(dirs.len() >= 30, "only {} fixtures", dirs.len());
    let failures: Vec<String> = dirs
        .iter()
        .filter_map(|d| check_case(d).err().map(|e| format!("{}: {e}", d.file_name().unwrap().to_string_lossy())))
        .collect();
    assert!(failures.is_empty(), "{} of {} fixtures failed:\n{}", failures.len(), dirs.len(), failures.join("\n\n"));
}

#[test]
fn every_rule_has_a_fixture_that_shows_it() {
    let mut shown = BTreeSet::new();
    for dir in fixture_dirs() {
        let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap_or_default();
        for rule in Rule::ALL {
            if expected.contains(&format!("[{}]: ", rule.code())) {
                shown.insert(rule.code());
            }
        }
    }
    let missing: Vec<&str> = Rule::ALL.iter().map(|r| r.code()).filter(|c| !shown.contains(c)).collect();
    assert!(missing.is_empty(), "rules without a fixture: {missing:?}");
}

#[test]
fn rule_codes_are_unique_and_documented_exactly() {
    // `check`'s rules and `import`'s share the page and the name space of codes.
    use yearbook::collect::rules::ImportRule;
    let codes: BTreeSet<&str> =
        Rule::ALL.iter().map(|r| r.code()).chain(ImportRule::ALL.iter().map(|r| r.code())).collect();
    assert_eq!(codes.len(), Rule::ALL.len() + ImportRule::ALL.len(), "two rules share a code");
    let doc = std::fs::read_to_string(repo().join("docs/rules.md")).unwrap();
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split_once('`').map(|(code, _)| code))
        .collect();
    let listed: BTreeSet<&str> = documented.iter().copied().collect();
    assert_eq!(listed.len(), documented.len(), "docs/rules.md lists a code twice");
    let undocumented: Vec<&&str> = codes.difference(&listed).collect();
    let unknown: Vec<&&str> = listed.difference(&codes).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "not in docs/rules.md: {undocumented:?}; no such rule: {unknown:?}"
    );
    for rule in Rule::ALL {
        let line = doc.lines().find(|l| l.starts_with(&format!("- `{}`", rule.code()))).unwrap();
        let severity = format!(
            "({})",
            if rule.severity() == yearbook::diagnostics::Severity::Error { "error" } else { "warning" }
        );
        assert!(line.contains(&severity), "docs/rules.md gives `{}` another severity", rule.code());
    }
    for rule in ImportRule::ALL {
        let line = doc.lines().find(|l| l.starts_with(&format!("- `{}`", rule.code()))).unwrap();
        assert!(line.contains("(error"), "docs/rules.md gives `{}` another severity", rule.code());
    }
}

/// A project whose fonts folder is `fonts` inside it, holding the named files of the shipped one.
fn project_with_fonts(keep: &[&str]) -> tempfile::TempDir {
    let dir = project(&[("testcity", &mini_city())]);
    let fonts = dir.path().join("fonts");
    std::fs::create_dir_all(&fonts).unwrap();
    for name in keep {
        std::fs::copy(repo().join("fonts").join(name), fonts.join(name)).unwrap();
    }
    let config_path = dir.path().join("yearbook.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    let shipped = format!("fonts = {:?}", repo().join("fonts").display().to_string());
    assert!(config.contains(&shipped));
    std::fs::write(&config_path, config.replace(&shipped, "fonts = \"fonts\"")).unwrap();
    dir
}

#[test]
fn an_empty_fonts_folder_is_one_configuration_error_naming_the_families() {
    let dir = project_with_fonts(&[]);
    for args in [&["check"][..], &["check", "--format", "json"], &["build"]] {
        let o = run(args, dir.path());
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().filter(|l| l.starts_with("error")).count(), 1, "{err}");
        assert!(err.contains("/fonts`") && err.contains("Noto Serif SC, Noto Sans SC"), "{err}");
        assert!(err.contains("restore fonts/"), "{err}");
        assert!(!err.contains("missing-glyph") && !err.contains("Libertinus"), "{err}");
    }
}

#[test]
fn a_fonts_folder_without_the_serif_family_names_only_that_family() {
    let dir = project_with_fonts(&["NotoSansSC_400Regular.ttf", "NotoSansSC_700Bold.ttf"]);
    let o = run(&["check"], dir.path());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("has no Noto Serif SC\n"), "{err}");
}

#[test]
fn a_link_out_of_the_data_folder_is_not_read_and_not_quoted() {
    let dir = project(&[("testcity", &mini_city())]);
    std::fs::write(dir.path().join("secret.txt"), "TOP-SECRET = [\nroot:x:0:0\n").unwrap();
    crate::common::symlink("../../secret.txt", dir.path().join("data/2025/evil.toml")).unwrap();
    let o = run(&["check"], dir.path());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("data/2025/evil.toml") && err.contains("link-outside-data"), "{err}");
    assert!(!err.contains("TOP-SECRET") && !err.contains("root:x"), "{err}");
}

#[test]
fn a_file_that_is_not_utf8_still_gives_json() {
    let dir = project(&[("testcity", &mini_city())]);
    std::fs::write(dir.path().join("data/2025/wuwei.toml"), [0xFFu8, 0xFE, b'i', 0, b'd', 0]).unwrap();
    std::fs::create_dir(dir.path().join("data/2025/folder.toml")).unwrap();
    let o = run(&["check", "--format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let json: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    let found: Vec<(&str, &str)> =
        json.as_array().unwrap().iter().map(|d| (d["rule"].as_str().unwrap(), d["file"].as_str().unwrap())).collect();
    assert_eq!(found, [("not-a-file", "data/2025/folder.toml"), ("not-utf8", "data/2025/wuwei.toml")]);
}

#[test]
fn one_missing_brace_is_one_error_at_its_line() {
    let broken = mini_city().replacen("en = \"Skills training\" }", "en = \"Skills training\"", 1);
    let dir = project(&[("testcity", &broken)]);
    let o = run(&["check", "--format", "human"], dir.path());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("error[").count(), 1, "{err}");
    assert!(err.contains("error[unclosed-inline-table]") && err.contains("testcity.toml:16:8"), "{err}");
}
