//! docs/data-format.md agrees with the tool: every example in it parses into the data model, every
//! key its indicator table lists is one the model reads, and every key the model reads is listed.

use serde::Deserialize;
use yearbook::model::{Alternative, City, DepartmentFile, Indicator, SectorFile, SourceFile, TermFile, UnitFile};

use crate::common::repo;

fn manual() -> String {
    std::fs::read_to_string(repo().join("docs/data-format.md")).unwrap()
}

/// The indented example blocks of the manual.
fn examples(doc: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in doc.lines().chain(std::iter::once("end")) {
        if let Some(code) = line.strip_prefix("    ") {
            current.push(code);
        } else if line.trim().is_empty() && !current.is_empty() {
            current.push("");
        } else if !current.is_empty() {
            blocks.push(current.join("\n").trim_end().to_string());
            current.clear();
        }
    }
    blocks
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Indicators {
    #[allow(dead_code)]
    indicator: Vec<Indicator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlternativeOnly {
    #[allow(dead_code)]
    indicator: AlternativeList,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlternativeList {
    #[allow(dead_code)]
    alternative: Vec<Alternative>,
}

/// Parses a TOML example as the model type its first line names; `None` for a block that is not
/// TOML (the folder tree, a command).
fn parse_example(block: &str) -> Option<Result<(), String>> {
    let first = block.lines().next().unwrap_or("");
    let r = if first.starts_with("[[sector]]") {
        toml::from_str::<SectorFile>(block).map(drop)
    } else if first.starts_with("[[department]]") {
        toml::from_str::<DepartmentFile>(block).map(drop)
    } else if first.starts_with("[[unit]]") {
        toml::from_str::<UnitFile>(block).map(drop)
    } else if first.starts_with("[[source]]") {
        toml::from_str::<SourceFile>(block).map(drop)
    } else if first.starts_with("[[term]]") {
        toml::from_str::<TermFile>(block).map(drop)
    } else if first.starts_with("[[indicator]]") {
        toml::from_str::<Indicators>(block).map(drop)
    } else if first.starts_with("[[indicator.alternative]]") {
        toml::from_str::<AlternativeOnly>(block).map(drop)
    } else if first.starts_with("id = ") {
        toml::from_str::<City>(block).map(drop)
    } else if first.starts_with("name = {") {
        return None; // one line showing a bilingual text, not a whole table
    } else {
        return None;
    };
    Some(r.map_err(|e| e.to_string()))
}

#[test]
fn every_example_in_the_manual_parses_into_the_model() {
    let doc = manual();
    let mut parsed = 0;
    let mut failures = Vec::new();
    for block in examples(&doc) {
        match parse_example(&block) {
            Some(Ok(())) => parsed += 1,
            Some(Err(e)) => failures.push(format!("{e}\n--- in ---\n{block}")),
            None => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // city, indicator, of-which, alternative, plan, sector, department, unit, source, term
    assert!(parsed >= 9, "only {parsed} examples parsed");
}

/// The keys the indicator table lists, as the model names them.
fn listed_indicator_keys(doc: &str) -> Vec<String> {
    let start = doc.find("### Indicator fields").expect("the indicator table");
    doc[start..]
        .lines()
        .skip_while(|l| !l.starts_with("|---"))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.split('`').nth(1))
        .map(|k| match k {
            "[[indicator.of_which]]" => "of_which".to_string(),
            "[[indicator.alternative]]" => "alternative".to_string(),
            k => k.to_string(),
        })
        .collect()
}

/// The keys the model reads for an indicator, from its own refusal of an unknown one.
fn model_indicator_keys() -> Vec<String> {
    let err = toml::from_str::<Indicator>("no_such_key = 1").err().unwrap().to_string();
    let expected = err.split("expected one of").nth(1).unwrap_or_else(|| panic!("{err}"));
    expected.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

#[test]
fn the_indicator_table_lists_exactly_the_keys_the_model_reads() {
    let doc = manual();
    let listed = listed_indicator_keys(&doc);
    let model = model_indicator_keys();
    assert!(model.len() >= 20, "{model:?}");
    let unknown: Vec<&String> = listed.iter().filter(|k| !model.contains(k)).collect();
    let missing: Vec<&String> = model.iter().filter(|k| !listed.contains(k)).collect();
    assert!(unknown.is_empty(), "the manual lists keys the tool rejects: {unknown:?}");
    assert!(missing.is_empty(), "the manual does not list: {missing:?}");
    for k in ["key", "last_year", "change", "cue"] {
        assert!(listed.iter().any(|l| l == k), "{k} not listed");
    }
}

#[test]
fn the_plan_example_uses_an_id_no_shipped_city_uses() {
    let doc = manual();
    let plan =
        examples(&doc).into_iter().find(|b| b.contains("target = ") && !b.contains("value = ")).expect("plan example");
    let id = plan.lines().find_map(|l| l.strip_prefix("id = ")).unwrap().trim_matches('"').to_string();
    for city in std::fs::read_dir(repo().join("data/2025")).unwrap() {
        let text = std::fs::read_to_string(city.unwrap().path()).unwrap();
        assert!(!text.contains(&format!("id = \"{id}\"")), "the plan example's id `{id}` is a shipped indicator");
    }
}
