//! Promises across commands: what `check` passes, `build` builds. A mutation of the mini city
//! at a time (a line left out, a number replaced by an extreme); whenever the checks find no
//! error, the build must succeed, and neither may panic.

use std::panic::{AssertUnwindSafe, catch_unwind};

use yearbook::config::Config;
use yearbook::pipeline::{self, Engine};
use yearbook::plan::{Plan, PlanOptions};

use crate::common::{mini_city, project};

/// The mini city with one change each: every line left out in turn, and every number replaced
/// by values at the edges of what TOML and the rules allow.
fn mutations(city: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = city.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let mut without = lines.clone();
        without.remove(i);
        out.push((format!("line {} left out: {line}", i + 1), without.join("\n") + "\n"));
        let Some((key, value)) = line.split_once(" = ") else { continue };
        if value.parse::<f64>().is_err() {
            continue;
        }
        for extreme in ["0", "-1", "0.001", "1e15", "99999999999", "2"] {
            let mut changed = lines.clone();
            let replaced = format!("{key} = {extreme}");
            changed[i] = &replaced;
            out.push((format!("line {}: {replaced}", i + 1), changed.join("\n") + "\n"));
        }
    }
    out
}

#[test]
fn what_check_passes_build_builds() {
    let city = mini_city();
    let dir = project(&[("testcity", &city)]);
    let file = dir.path().join("data/2025/testcity.toml");
    let config = Config::load(&dir.path().join("yearbook.toml")).unwrap();
    let engine = Engine::new(&config).unwrap();
    let (mut clean, mut failures) = (0, Vec::new());
    let all = mutations(&city);
    for (what, text) in &all {
        std::fs::write(&file, text).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let plan =
                Plan::new(Config::load(&dir.path().join("yearbook.toml")).unwrap(), PlanOptions::default()).unwrap();
            let checked = pipeline::check(&plan, &engine).map_err(|e| format!("check failed: {e}"))?;
            if checked.errors() > 0 {
                return Ok(false);
            }
            pipeline::build_once(&plan, &engine, &checked).map_err(|e| format!("check passed, build failed: {e}"))?;
            Ok::<_, String>(true)
        }));
        match outcome {
            Ok(Ok(built)) => clean += usize::from(built),
            Ok(Err(e)) => failures.push(format!("{what}: {e}")),
            Err(_) => failures.push(format!("{what}: panicked")),
        }
    }
    assert!(failures.is_empty(), "{} of {} mutations:\n{}", failures.len(), all.len(), failures.join("\n"));
    // Not a test that cannot fail: many mutations pass the checks and are built.
    assert!(clean >= 20, "only {clean} of {} mutations passed the checks", all.len());
}
