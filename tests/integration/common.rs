//! Helpers shared by the integration tests: run the real binary, make throw-away projects.

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

/// A project with `n` cities: renamed copies of the shipped four (new ids and names), for the
/// layout tests at scale.
pub fn project_of_cities(n: usize) -> tempfile::TempDir {
    let shipped = ["jiayuguan", "jinchang", "sanmenxia", "wuwei"];
    let texts: Vec<String> = shipped
        .iter()
        .map(|id| std::fs::read_to_string(repo().join(format!("data/2025/{id}.toml"))).unwrap())
        .collect();
    let cities: Vec<(String, String)> = (0..n)
        .map(|i| {
            let (id, text) = (shipped[i % 4], &texts[i % 4]);
            let copy = i / 4 + 1;
            let new_id = format!("{id}-{copy}");
            let mut out = String::new();
            let (mut id_done, mut name_done) = (false, false);
            for line in text.lines() {
                if !id_done && line.starts_with("id = ") {
                    out.push_str(&format!("id = \"{new_id}\"\n"));
                    id_done = true;
                } else if !name_done && line.starts_with("name = ") {
                    // `name = { zh = "金昌市", en = "Jinchang" }` → 金昌市3 / Jinchang 3
                    let zh = line.split("zh = \"").nth(1).and_then(|r| r.split('"').next()).unwrap();
                    let en = line.split("en = \"").nth(1).and_then(|r| r.split('"').next()).unwrap();
                    out.push_str(&format!("name = {{ zh = \"{zh}{copy}\", en = \"{en} {copy}\" }}\n"));
                    name_done = true;
                } else {
                    out.push_str(line);
                    out.push('\n');
                }
            }
            (new_id, out)
        })
        .collect();
    let refs: Vec<(&str, &str)> = cities.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    project(&refs)
}

/// Words that lie (partly) outside their page, from `pdftotext -bbox`; `None` when poppler's
/// pdftotext is not installed.
pub fn words_outside_pages(pdf: &Path) -> Option<Vec<String>> {
    let out = Command::new("pdftotext").arg("-bbox").arg(pdf).arg("-").output().ok()?;
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    let html = String::from_utf8_lossy(&out.stdout);
    let attr = |tag: &str, name: &str| -> f64 {
        let key = format!("{name}=\"");
        tag.split(&key).nth(1).and_then(|r| r.split('"').next()).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
    };
    let (mut width, mut height, mut page) = (0.0, 0.0, 0);
    let mut outside = Vec::new();
    for line in html.lines().map(str::trim) {
        if line.starts_with("<page ") {
            width = attr(line, "width");
            height = attr(line, "height");
            page += 1;
        } else if line.starts_with("<word ") {
            let (x0, y0, x1, y1) = (attr(line, "xMin"), attr(line, "yMin"), attr(line, "xMax"), attr(line, "yMax"));
            let tolerance = 0.5;
            if x0 < -tolerance || y0 < -tolerance || x1 > width + tolerance || y1 > height + tolerance {
                let word = line.split('>').nth(1).and_then(|r| r.split('<').next()).unwrap_or("");
                outside.push(format!("page {page}: {word:?} at ({x0:.0}, {y0:.0})–({x1:.0}, {y1:.0})"));
            }
        }
    }
    Some(outside)
}
