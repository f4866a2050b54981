//! Helpers shared by the integration tests: run the real binary, make throw-away projects.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

// The generator of national editions, shared with `examples/national_edition.rs` (the benchmark's
// edition), so the layout tests and the figures are of the same kind of book.
#[path = "national.rs"]
mod national;

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

/// The shipped catalogue copied into `cat`, keeping only the city offices of `cities`.
pub(crate) fn shipped_catalogue(cat: &Path, cities: &[&str]) {
    national::shipped_catalogue(&repo(), cat, cities).unwrap();
}

/// A generated national edition of `n` cities (see `national.rs`): the ids with the TOML texts.
pub(crate) fn national_cities(n: usize) -> Vec<(String, String)> {
    national::national_cities(&repo(), n).unwrap()
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
