//! Helpers shared by the integration tests: run the real binary, make throw-away projects.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_yearbook");

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(cwd).env("NO_COLOR", "1").output().expect("the binary runs")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A symbolic link at `at` to `target` (taken relative to the link's folder, as the system does).
/// Windows asks which kind of link it is, and grants links only to developers or administrators.
pub(crate) fn symlink(target: impl AsRef<Path>, at: impl AsRef<Path>) -> std::io::Result<()> {
    #[cfg(unix)]
    return std::os::unix::fs::symlink(target, at);
    #[cfg(windows)]
    {
        let (target, at) = (target.as_ref(), at.as_ref());
        if at.parent().unwrap_or(Path::new(".")).join(target).is_dir() {
            std::os::windows::fs::symlink_dir(target, at)
        } else {
            std::os::windows::fs::symlink_file(target, at)
        }
    }
}

/// The shipped catalogue copied into `cat`, keeping only the city offices of `cities`: the
/// shipped offices name the shipped cities, and an office for a city no edition of the project
/// has is an error (`unknown-city-office`).
pub(crate) fn shipped_catalogue(cat: &Path, cities: &[&str]) {
    std::fs::create_dir_all(cat).unwrap();
    for entry in std::fs::read_dir(repo().join("data/catalogue")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, cat.join(p.file_name().unwrap())).unwrap();
    }
    let departments = cat.join("departments.toml");
    let kept: String = std::fs::read_to_string(&departments)
        .unwrap()
        .lines()
        .filter(|l| l.strip_prefix("city.").and_then(|r| r.split('.').next()).is_none_or(|id| cities.contains(&id)))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(departments, kept).unwrap();
}

/// A throw-away project: the shipped catalogues, templates and fonts, plus the given cities.
pub(crate) fn project(cities: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = repo();
    let config = format!(
        "[edition]\nyear = 2025\ntitle = {{ zh = \"测试年鉴\", en = \"Test Yearbook\" }}\npublisher = {{ zh = \"测试\", en = \"Test\" }}\ndate = \"2026-03-31\"\n\n[paths]\ndata = \"data\"\ntemplates = {:?}\nfonts = {:?}\noutput = \"dist\"\n",
        root.join("templates").display().to_string(),
        root.join("fonts").display().to_string()
    );
    std::fs::write(dir.path().join("yearbook.toml"), config).unwrap();
    let ids: Vec<&str> = cities.iter().map(|(id, _)| *id).collect();
    shipped_catalogue(&dir.path().join("data/catalogue"), &ids);
    std::fs::create_dir_all(dir.path().join("data/2025")).unwrap();
    for (id, body) in cities {
        std::fs::write(dir.path().join(format!("data/2025/{id}.toml")), body).unwrap();
    }
    dir
}

/// The project's own copy of the templates, named by `[paths] templates`.
pub(crate) fn own_templates(dir: &std::path::Path) {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let p = entry.unwrap().path();
            let target = to.join(p.file_name().unwrap());
            if p.is_dir() { copy(&p, &target) } else { std::fs::copy(&p, &target).map(drop).unwrap() }
        }
    }
    copy(&repo().join("templates"), &dir.join("templates"));
    let config = dir.join("yearbook.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let shipped = format!("templates = {:?}", repo().join("templates").display().to_string());
    assert!(text.contains(&shipped), "{text}");
    std::fs::write(&config, text.replace(&shipped, "templates = \"templates\"")).unwrap();
}

/// Typesets `dir` in parts always, cut small: the profiles every 3 cities, the tables every 60
/// rows or so.
pub(crate) fn cut_small(dir: &Path) {
    let config = dir.join("yearbook.toml");
    let settings = std::fs::read_to_string(&config).unwrap()
        + "\n[typeset]\nparts = \"always\"\npart_rows = 60\npart_cities = 3\n";
    std::fs::write(&config, settings).unwrap();
}

pub(crate) fn mini_city() -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/mini/data/2025/testcity.toml")).unwrap()
}

/// A project with `n` cities: renamed copies of the shipped four (new ids and names), for the
/// layout tests at scale.
pub(crate) fn project_of_cities(n: usize) -> tempfile::TempDir {
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
                } else if line.starts_with("code = ") {
                    // A copy is another city: it cannot share the division code.
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
/// pdftotext is not installed and [`missing`] allowed the skip.
pub(crate) fn words_outside_pages(pdf: &Path) -> Option<Vec<String>> {
    let html = pdftotext(pdf, &["-bbox"])?;
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

/// A test of the binary as `just` writes its tests: a throw-away project (the shipped
/// catalogues, templates and fonts), its files, the arguments, and what the run must print and
/// return. `{dir}` in an expected text stands for the project's folder.
///
/// ```ignore
/// Test::project().city("testcity", &mini_city()).args(["check", "--format", "short"]).stdout("").run();
/// ```
pub(crate) struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    stdout: Option<String>,
    stderr: Option<String>,
    status: i32,
}

impl Test {
    /// A project without cities; `run` expects status 0 and does not look at the output unless
    /// told to.
    pub(crate) fn project() -> Test {
        Test { dir: project(&[]), args: Vec::new(), stdout: None, stderr: None, status: 0 }
    }

    /// `data/2025/<id>.toml`.
    pub(crate) fn city(self, id: &str, body: &str) -> Test {
        self.file(&format!("data/2025/{id}.toml"), body)
    }

    /// Any file of the project, its folders made.
    pub(crate) fn file(self, path: &str, body: &str) -> Test {
        let path = self.dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
        self
    }

    /// Lines added to `yearbook.toml`.
    pub(crate) fn config(self, more: &str) -> Test {
        let path = self.dir.path().join("yearbook.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}{more}\n")).unwrap();
        self
    }

    pub(crate) fn args<const N: usize>(mut self, args: [&str; N]) -> Test {
        self.args = args.iter().map(|a| (*a).to_string()).collect();
        self
    }

    pub(crate) fn stdout(mut self, exact: &str) -> Test {
        self.stdout = Some(exact.to_string());
        self
    }

    pub(crate) fn stderr(mut self, exact: &str) -> Test {
        self.stderr = Some(exact.to_string());
        self
    }

    pub(crate) fn status(mut self, code: i32) -> Test {
        self.status = code;
        self
    }

    /// Runs the binary in the project and checks what was asked; the project stays for more.
    pub(crate) fn run(self) -> (tempfile::TempDir, Output) {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let o = run(&args, self.dir.path());
        let dir = self.dir.path().display().to_string();
        let (stdout, stderr) = (text(&o.stdout), text(&o.stderr));
        assert_eq!(o.status.code(), Some(self.status), "{args:?}: status\nstdout:\n{stdout}\nstderr:\n{stderr}");
        if let Some(want) = &self.stdout {
            assert_eq!(stdout, want.replace("{dir}", &dir), "{args:?}: stdout");
        }
        if let Some(want) = &self.stderr {
            assert_eq!(stderr, want.replace("{dir}", &dir), "{args:?}: stderr");
        }
        (self.dir, o)
    }
}

/// A check that needs a program outside the project (poppler's pdftotext, Python's bagit or
/// aiosmtpd) fails when the program is missing: a skipped check must never read as a pass.
/// `YEARBOOK_ALLOW_SKIP=1` is the explicit opt-out, for a machine that cannot have it; the run
/// then says loudly what it did not check.
pub(crate) fn missing(program: &str, what_is_not_checked: &str) {
    assert!(
        std::env::var_os("YEARBOOK_ALLOW_SKIP").is_some(),
        "{program} is not installed, so {what_is_not_checked} cannot be checked: install it, or set \
         YEARBOOK_ALLOW_SKIP=1 to skip this check knowingly"
    );
    eprintln!(
        "\n!!!!! SKIPPED (YEARBOOK_ALLOW_SKIP): {program} is not installed; {what_is_not_checked} was NOT checked\n"
    );
}

/// The text of a PDF as poppler's `pdftotext` reads it (`flags` such as `-layout`), or `None`
/// after [`missing`] allowed the skip.
pub(crate) fn pdftotext(pdf: &Path, flags: &[&str]) -> Option<String> {
    match Command::new("pdftotext").args(flags).arg(pdf).arg("-").output() {
        Ok(out) => {
            assert!(out.status.success(), "pdftotext {}: {}", pdf.display(), text(&out.stderr));
            Some(text(&out.stdout))
        }
        Err(_) => {
            missing("pdftotext (poppler-utils)", &format!("the text of {}", pdf.display()));
            None
        }
    }
}

/// All text of a PDF, as pdf-extract (on lopdf) reads it through the fonts' ToUnicode maps,
/// with whitespace removed so that digit grouping and line breaks do not matter.
pub(crate) fn pdf_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let raw = pdf_extract::extract_text_from_mem(&bytes).expect("pdf-extract reads the PDF");
    raw.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The first workbook column of `col` on a sector sheet, from the column list the writer follows.
pub(crate) fn at(col: yearbook::book::Col) -> usize {
    use yearbook::book::Col;
    Col::WORKBOOK.iter().take_while(|c| **c != col).map(|c| c.workbook_headers().len()).sum()
}

/// Characters of made-up place names, each with its pinyin: two make a city's name.
const NAME_PARTS: [(&str, &str); 30] = [
    ("安", "An"),
    ("宁", "ning"),
    ("平", "ping"),
    ("阳", "yang"),
    ("江", "jiang"),
    ("山", "shan"),
    ("河", "he"),
    ("城", "cheng"),
    ("德", "de"),
    ("兴", "xing"),
    ("昌", "chang"),
    ("清", "qing"),
    ("南", "nan"),
    ("丰", "feng"),
    ("临", "lin"),
    ("永", "yong"),
    ("新", "xin"),
    ("庆", "qing"),
    ("泉", "quan"),
    ("源", "yuan"),
    ("林", "lin"),
    ("川", "chuan"),
    ("原", "yuan"),
    ("华", "hua"),
    ("嘉", "jia"),
    ("定", "ding"),
    ("汉", "han"),
    ("武", "wu"),
    ("通", "tong"),
    ("远", "yuan"),
];

/// A stable pseudo-random number from a few integers (no crate, no seed to keep).
fn mix(parts: &[u64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        h ^= p.wrapping_add(0x9e37_79b9_7f4a_7c15);
        h = h.wrapping_mul(0x0100_0000_01b3).rotate_left(29);
    }
    h
}

/// A generated national edition of `n` cities: spread over the 31 provinces (a few to a dozen
/// or more each, as prefecture-level cities are), each with its province's name and a division
/// code of that province (`620300`-like), and each reporting its own subset of the shipped
/// cities' figures (whole indicators with their parts, so totals still hold): some as results,
/// some as progress to a date, some as plans (a target, no value yet); the notes of a figure
/// kept on a few cities only. Returns the ids with the TOML texts.
pub(crate) fn national_cities(n: usize) -> Vec<(String, String)> {
    let shipped = ["jiayuguan", "jinchang", "sanmenxia", "wuwei"];
    let donors: Vec<(String, Vec<String>)> = shipped
        .iter()
        .map(|id| {
            let text = std::fs::read_to_string(repo().join(format!("data/2025/{id}.toml"))).unwrap();
            let mut blocks = text.split("\n[[indicator]]\n").map(str::to_string);
            let head = blocks.next().unwrap();
            (head, blocks.collect())
        })
        .collect();
    // How many cities each province gets: uneven, as in the country (weights 1..=4), n in all.
    let weights: Vec<usize> = (0..31).map(|p| 1 + (mix(&[p]) % 4) as usize).collect();
    let total: usize = weights.iter().sum();
    let mut counts: Vec<usize> = weights.iter().map(|w| (w * n / total).max(usize::from(n >= 31))).collect();
    let mut p = 0;
    while counts.iter().sum::<usize>() < n {
        counts[p % 31] += 1;
        p += 1;
    }
    while counts.iter().sum::<usize>() > n {
        let i = counts.iter().enumerate().max_by_key(|(_, c)| **c).unwrap().0;
        counts[i] -= 1;
    }
    let mut out = Vec::new();
    let mut used_names = std::collections::HashSet::new();
    for (pi, count) in counts.iter().enumerate() {
        let (prefix, province_zh, province_en) = yearbook::division::PROVINCES[pi];
        for k in 0..*count {
            let i = out.len();
            let code = format!("{prefix}{:02}00", k + 1);
            // A two-character name not used yet: 嘉宁市 / Jianing.
            let mut s = mix(&[i as u64, 7]);
            let (zh, en) = loop {
                let (a, b) = (NAME_PARTS[(s % 30) as usize], NAME_PARTS[((s / 30) % 30) as usize]);
                let zh = format!("{}{}市", a.0, b.0);
                let mut en = a.1.to_lowercase();
                en[..1].make_ascii_uppercase();
                let en = format!("{en}{}", b.1);
                if a.0 != b.0 && used_names.insert(zh.clone()) && used_names.insert(en.clone()) {
                    break (zh, en);
                }
                s = mix(&[s]);
            };
            let id = format!("city-{code}");
            let (head, blocks) = &donors[(mix(&[i as u64, 1]) % 4) as usize];
            let mut text = String::new();
            for line in head.lines() {
                let line = if line.starts_with("id = ") {
                    format!("id = \"{id}\"")
                } else if line.starts_with("name = ") {
                    format!("name = {{ zh = \"{zh}\", en = \"{en}\" }}")
                } else if line.starts_with("province = ") {
                    format!("province = {{ zh = \"{province_zh}\", en = \"{province_en}\" }}")
                } else if line.starts_with("code = ") {
                    format!("code = \"{code}\"")
                } else {
                    line.to_string()
                };
                text.push_str(&line);
                text.push('\n');
            }
            let notes_kept = mix(&[i as u64, 3]).is_multiple_of(8);
            let mut kept = 0;
            for (j, block) in blocks.iter().enumerate() {
                let roll = mix(&[i as u64, j as u64, 2]) % 100;
                // About half of the donor's figures, at least a few.
                if roll >= 55 && (kept >= 3 || j + 3 < blocks.len()) {
                    continue;
                }
                kept += 1;
                let mut block = block.clone();
                let simple = !block.contains("[[indicator.alternative]]")
                    && !block.contains("as_printed")
                    && !block.contains("qualifier");
                // A note kept on a few cities only (a note another line relies on stays).
                if !notes_kept && simple && !block.contains("cumulative_since") && !block.contains("previous") {
                    block = block.lines().filter(|l| !l.starts_with("note = ")).collect::<Vec<_>>().join("\n");
                }
                if simple && roll.is_multiple_of(11) && block.matches("id = ").count() == 1 {
                    // A plan: the value becomes the year's target, with no result yet.
                    if let Some(v) = block.lines().find(|l| l.starts_with("value = ")).map(str::to_string) {
                        block = block
                            .lines()
                            .filter(|l| !l.starts_with("completion = "))
                            .map(|l| if l == v { v.replacen("value", "target", 1) } else { l.to_string() })
                            .collect::<Vec<_>>()
                            .join("\n");
                    }
                } else if simple
                    && roll.is_multiple_of(7)
                    && !block.contains("as_of")
                    && !block.contains("reference_year")
                {
                    // Progress: the figure to a date in the year.
                    block.push_str("\nas_of = \"2025-11\"");
                }
                text.push_str("\n[[indicator]]\n");
                text.push_str(&block);
                if !block.ends_with('\n') {
                    text.push('\n');
                }
            }
            out.push((id, text));
        }
    }
    out
}
