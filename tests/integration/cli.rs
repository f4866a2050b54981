//! End-to-end tests: the real binary on real data, outputs read back with independent readers
//! (calamine for the workbook, lopdf for the PDF).

use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use yearbook::book::Col;

use crate::common::{Test, at, mini_city, pdf_text, project, repo, run, text};

fn sheet_rows(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook(path).expect("calamine reads the workbook");
    let range = wb.worksheet_range(sheet).expect("the sheet exists");
    range.rows().map(<[Data]>::to_vec).collect()
}

#[test]
fn shipped_data_builds_a_pdf_and_a_workbook_with_sanmenxia_figures() {
    let out = tempfile::tempdir().unwrap();
    let o = run(&["build", "--out", out.path().to_str().unwrap()], &repo());
    assert!(o.status.success(), "build failed:\n{}", text(&o.stderr));
    let pdf = out.path().join("2025/yearbook-2025.pdf");
    let xlsx = out.path().join("2025/yearbook-2025.xlsx");
    assert!(text(&o.stdout).contains("yearbook-2025.pdf"), "the build names its outputs");

    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let all = pdf_text(&pdf);
    for needle in ["三门峡", "Sanmenxia", "59178", "147.95", "就业与劳动保障", "Employment"] {
        assert!(all.contains(needle), "the PDF text lacks {needle:?}");
    }

    let wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let names = wb.sheet_names();
    let employment = names.iter().find(|n| n.contains("就业")).expect("an employment sheet").clone();
    let rows = sheet_rows(&xlsx, &employment);
    assert_eq!(rows[0][0], Data::String("城市".into()));
    assert_eq!(rows[1][0], Data::String("City".into()));
    let row = rows
        .iter()
        .find(|r| matches!(&r[0], Data::String(s) if s.contains("三门峡")) && r[at(Col::Value)] == Data::Float(59178.0))
        .expect("Sanmenxia's skills training row");
    assert_eq!(row[at(Col::Unit)], Data::String("人".into()));
    assert_eq!(row[at(Col::Completion)], Data::Float(147.95));
    assert_eq!(row[at(Col::TargetDerived)], Data::String("是 yes".into()), "the target is marked as derived");
    assert_eq!(row[at(Col::Target)], Data::Float(40000.0), "the implied target is rounded honestly");

    // All four cities, side by side: every city's name in the PDF, every city in the
    // elderly-care sheet, and a comparison table for the indicators they share.
    for needle in ["金昌市", "Jinchang", "嘉峪关市", "Jiayuguan", "武威市", "Wuwei", "可比指标城市对比"]
    {
        assert!(all.contains(needle), "the PDF text lacks {needle:?}");
    }
    let elderly = names.iter().find(|n| n.contains("养老服务")).expect("an elderly-care sheet").clone();
    let rows = sheet_rows(&xlsx, &elderly);
    for city in ["金昌市", "嘉峪关市", "三门峡市", "武威市"] {
        assert!(rows.iter().any(|r| matches!(&r[0], Data::String(s) if s.starts_with(city))), "{city} is missing");
    }
    // Jiayuguan's article reports 2024: the reference year says so.
    let jiayuguan = rows.iter().find(|r| matches!(&r[0], Data::String(s) if s.starts_with("嘉峪关市"))).unwrap();
    assert_eq!(jiayuguan[at(Col::Year)], Data::Float(2024.0));
    // Jinchang's two articles disagree on village mutual-aid homes: 97 is kept, 93 noted.
    let homes = rows
        .iter()
        .find(|r| {
            matches!(&r[0], Data::String(s) if s.starts_with("金昌市"))
                && r[at(Col::Item)] == Data::String("农村互助幸福院".into())
        })
        .expect("Jinchang's mutual-aid homes");
    assert_eq!(homes[at(Col::Value)], Data::Float(97.0));
    assert!(all.contains("另一报道") && all.contains("93"), "the alternative figure is noted");
}

#[test]
fn building_twice_gives_identical_bytes() {
    let dir = project(&[("testcity", &mini_city())]);
    let hash = |_: u8| {
        let o = run(&["build"], dir.path());
        assert!(o.status.success(), "{}", text(&o.stderr));
        let pdf = std::fs::read(dir.path().join("dist/2025/yearbook-2025.pdf")).unwrap();
        let xlsx = std::fs::read(dir.path().join("dist/2025/yearbook-2025.xlsx")).unwrap();
        (pdf, xlsx)
    };
    let first = hash(1);
    let second = hash(2);
    assert!(first.0 == second.0, "the PDF differs between builds");
    assert!(first.1 == second.1, "the workbook differs between builds");
}

#[test]
fn data_text_prints_literally_and_never_runs_as_typst() {
    let nasty =
        [r#"#panic("x")"#, "]", "$x$", "@ref", "<label>", "// c", "/* c", r"\", "\"", "http://a", "*b* _i_", "= h"];
    let joined = nasty.join(" ");
    let escaped = joined.replace('\\', "\\\\").replace('"', "\\\"");
    let city = mini_city()
        .replace(
            r#"name = { zh = "测试市", en = "Testcity" }"#,
            &format!(r#"name = {{ zh = "测试市", en = "{escaped}" }}"#),
        )
        .replace(r#"en = "Skills training""#, &format!(r#"en = "{escaped}""#));
    let dir = project(&[("testcity", &city)]);
    let o = run(&["build"], dir.path());
    assert!(o.status.success(), "build failed:\n{}", text(&o.stderr));
    let all = pdf_text(&dir.path().join("dist/2025/yearbook-2025.pdf"));
    for piece in nasty {
        let piece: String = piece.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(all.contains(&piece), "{piece:?} did not print literally");
    }
}

#[test]
fn broken_data_is_reported_at_its_place_and_nothing_is_written() {
    let dir = project(&[("testcity", &mini_city())]);
    let o = run(&["build"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let pdf = dir.path().join("dist/2025/yearbook-2025.pdf");
    let before = std::fs::read(&pdf).unwrap();

    let broken = mini_city().replace("unit = \"km\"", "unit = \"kmm\"").replace("value = 804", "valeu = 804");
    std::fs::write(dir.path().join("data/2025/testcity.toml"), broken).unwrap();
    let o = run(&["build"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("data/2025/testcity.toml"), "{err}");
    assert!(err.contains("unknown field `valeu`"), "{err}");
    assert!(err.contains("did you mean `value`?"), "{err}");
    assert_eq!(std::fs::read(&pdf).unwrap(), before, "the previous PDF must stay untouched");
}

#[test]
fn check_reports_every_semantic_error_with_line_and_column() {
    let broken = mini_city()
        .replace("unit = \"km\"", "unit = \"kmm\"")
        .replace("target = 800", "target = 700")
        .replace("value = 689", "value = 900");
    let dir = project(&[("testcity", &broken)]);
    let o = run(&["check", "--format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let json: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    let rules: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"unknown-unit"), "{rules:?}");
    assert!(rules.contains(&"completion-mismatch"), "{rules:?}");
    assert!(rules.contains(&"part-exceeds-total"), "{rules:?}");
    let unit = json.as_array().unwrap().iter().find(|d| d["rule"] == "unknown-unit").unwrap();
    assert_eq!(unit["file"], "data/2025/testcity.toml");
    assert_eq!((unit["line"].as_u64(), unit["column"].as_u64()), (Some(26), Some(8)));
    assert!(unit["hint"].as_str().unwrap().contains("did you mean `km` (公里)?"));
}

#[test]
fn check_on_the_shipped_data_is_clean() {
    let o = run(&["check", "--deny-warnings"], &repo());
    assert!(o.status.success(), "{}", text(&o.stderr));
}

/// The archive edition: PDF/A-3b + PDF/UA-1 claimed in the XMP, tagged, and carrying the data
/// files and the workbook as associated files.
#[test]
fn archive_edition_claims_its_standards_and_carries_its_sources() {
    let dir = project(&[("testcity", &mini_city())]);
    let o = run(&["build", "--pdf-standard", "a-3b-ua"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let path = dir.path().join("dist/2025/yearbook-2025-archive.pdf");
    let doc = lopdf::Document::load(&path).unwrap();
    let catalog = doc.catalog().unwrap();

    let metadata = catalog.get(b"Metadata").and_then(|m| m.as_reference()).unwrap();
    let stream = doc.get_object(metadata).unwrap().as_stream().unwrap();
    let xmp = String::from_utf8_lossy(&stream.content).into_owned();
    let squeezed: String = xmp.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(squeezed.contains("pdfaid:part=\"3\"") || squeezed.contains("<pdfaid:part>3</pdfaid:part>"), "{xmp}");
    assert!(
        squeezed.contains("pdfaid:conformance=\"B\"")
            || squeezed.contains("<pdfaid:conformance>B</pdfaid:conformance>")
    );
    assert!(squeezed.contains("pdfuaid:part=\"1\"") || squeezed.contains("<pdfuaid:part>1</pdfuaid:part>"));
    assert!(catalog.get(b"StructTreeRoot").is_ok(), "the archive edition is tagged");
    assert_eq!(catalog.get(b"Lang").unwrap().as_str().unwrap(), b"zh-CN");

    let af = catalog.get(b"AF").unwrap().as_array().unwrap();
    let mut names = Vec::new();
    for spec in af {
        let spec = doc.get_object(spec.as_reference().unwrap()).unwrap().as_dict().unwrap();
        let name = String::from_utf8_lossy(spec.get(b"F").unwrap().as_str().unwrap()).into_owned();
        let relationship = spec.get(b"AFRelationship").unwrap().as_name().unwrap().to_vec();
        assert!(spec.get(b"Desc").is_ok(), "{name} has a description");
        names.push((name, String::from_utf8(relationship).unwrap()));
    }
    assert!(names.contains(&("testcity.toml".into(), "Source".into())), "{names:?}");
    assert!(names.contains(&("catalogue-units.toml".into(), "Source".into())), "{names:?}");
    assert!(names.contains(&("yearbook-2025.xlsx".into(), "Data".into())), "{names:?}");
}

#[test]
fn new_city_scaffold_fails_check_until_filled_in_then_passes() {
    let dir = project(&[("testcity", &mini_city())]);
    let o = run(&["new-city", "lanzhou"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let path = dir.path().join("data/2025/lanzhou.toml");
    let scaffold = std::fs::read_to_string(&path).unwrap();
    // The ids the other cities use are listed, with sector, unit and name, for the same concept.
    let listed =
        scaffold.lines().find(|l| l.starts_with("#   rental-subsidy-households")).expect("ids in use are listed");
    assert!(listed.contains("household") && listed.contains("公租房租赁补贴户数"), "{listed}");

    let o = run(&["check", "--format", "short"], dir.path());
    assert_eq!(o.status.code(), Some(1), "blank texts must fail the check");
    assert!(text(&o.stdout).contains("data/2025/lanzhou.toml:"), "{}", text(&o.stdout));

    let filled = scaffold
        .replace("zh = \"\"", "zh = \"兰州市\"")
        .replace("en = \"\"", "en = \"Lanzhou\"")
        .replace("sources = []", "sources = [\"sanmenxia-2025-progress\"]");
    std::fs::write(&path, filled).unwrap();
    let o = run(&["check", "--format", "short", "--deny-warnings"], dir.path());
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));

    let again = run(&["new-city", "lanzhou"], dir.path());
    assert_eq!(again.status.code(), Some(2), "an existing file is never overwritten");
    let bad = run(&["new-city", "Lan_zhou"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
    assert!(!dir.path().join("data/2025/Lan_zhou.toml").exists());
}

#[test]
fn single_language_editions_print_only_their_language() {
    let dir = project(&[("testcity", &mini_city())]);
    // The symbols legend too: its marks are bilingual pairs (italic / 斜体, of which / 其中).
    let editions = [
        ("en", ["Chapter1", "italic", "ofwhich"], ["第一章", "斜体", "其中"]),
        ("zh", ["第一章", "斜体", "其中"], ["Chapter1", "italic", "ofwhich"]),
    ];
    for (lang, wanted, unwanted) in editions {
        let o = run(&["build", "--lang", lang], dir.path());
        assert!(o.status.success(), "{}", text(&o.stderr));
        let all = pdf_text(&dir.path().join(format!("dist/2025/yearbook-2025-{lang}.pdf")));
        for w in wanted {
            assert!(all.contains(w), "the {lang} edition lacks {w:?}");
        }
        for u in unwanted {
            assert!(!all.contains(u), "the {lang} edition contains {u:?}");
        }
    }
}

/// A project whose templates are a copy of the shipped ones with `main.typ.j2` edited.
fn project_with_template(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = project(&[("testcity", &mini_city())]);
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    for name in ["main.typ.j2", "yearbook.typ"] {
        std::fs::copy(repo().join("templates").join(name), templates.join(name)).unwrap();
    }
    let main = templates.join("main.typ.j2");
    std::fs::write(&main, edit(std::fs::read_to_string(&main).unwrap())).unwrap();
    let config = dir.path().join("yearbook.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let shipped = format!("templates = {:?}", repo().join("templates").display().to_string());
    std::fs::write(&config, text.replace(&shipped, "templates = \"templates\"")).unwrap();
    dir
}

#[test]
fn template_errors_name_the_template_line_and_write_nothing() {
    let dir = project_with_template(|t| t.replace("{% for city in book.cities %}", "{% for city in book.citiez %}"));
    let o = run(&["build"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("templates/main.typ.j2:"), "{err}");
    assert!(err.contains("undefined"), "{err}");
    assert!(!dir.path().join("dist").exists(), "nothing may be written");
}

#[test]
fn typst_errors_and_warnings_stop_the_build_with_a_location() {
    // An unknown font family is only a warning in Typst; here it must fail the build.
    let dir = project_with_template(|t| t.replace("#let lang = ", "#set text(font: \"No Such Font\")\n#let lang = "));
    let o = run(&["build", "--keep-typ"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("unknown font family"), "{err}");
    assert!(err.contains("main.typ (rendered):3:17: warning, treated as an error: unknown font family"), "{err}");
    assert!(dir.path().join("dist/2025/yearbook-2025.typ").exists(), "--keep-typ keeps the source to look at");
    assert!(!dir.path().join("dist/2025/yearbook-2025.pdf").exists());
}

/// A book typeset in parts frees each part's source once it is laid out; a failure in a part
/// still names the line of the whole rendered source, and `--keep-typ` keeps that very source.
#[test]
fn a_typst_error_in_a_part_names_the_line_of_the_kept_source() {
    let dir = project_with_template(|t| {
        t.replace(
            "#key-figures({{ city.key_figures|typst }})",
            "#key-figures({{ city.key_figures|typst }})\n#text(font: \"No Such Font\")[x]",
        )
    });
    let config = dir.path().join("yearbook.toml");
    let settings = std::fs::read_to_string(&config).unwrap() + "\n[typeset]\nparts = \"always\"\n";
    std::fs::write(&config, settings).unwrap();
    let o = run(&["build"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("hint: `--keep-typ`"), "{err}");
    let o = run(&["build", "--keep-typ"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let kept_err = text(&o.stderr);
    let at = |err: &str| {
        let rest = err.split("main.typ (rendered):").nth(1).unwrap_or_else(|| panic!("no location in:\n{err}"));
        rest.split(':').next().unwrap().parse::<usize>().unwrap()
    };
    assert_eq!(at(&err), at(&kept_err), "the same line with and without --keep-typ");
    let kept = std::fs::read_to_string(dir.path().join("dist/2025/yearbook-2025.typ")).unwrap();
    let line = kept.lines().nth(at(&err) - 1).unwrap();
    assert!(line.contains("No Such Font"), "line {} of the kept source is `{line}`", at(&err));
    assert!(!dir.path().join("dist/2025/yearbook-2025.pdf").exists());
}

#[test]
fn city_selection_builds_only_those_cities_and_rejects_unknown_ids() {
    let out = tempfile::tempdir().unwrap();
    let o = run(&["build", "--city", "wuwei", "--out", out.path().to_str().unwrap()], &repo());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("1 cities"), "{}", text(&o.stdout));
    let all = pdf_text(&out.path().join("2025/yearbook-2025.pdf"));
    assert!(all.contains("武威市") && !all.contains("三门峡市"));

    let o = run(&["build", "--city", "lanzhou", "--out", out.path().to_str().unwrap()], &repo());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("there is no city `lanzhou`"), "{}", text(&o.stderr));
}

#[test]
fn the_config_is_found_from_a_subfolder_and_its_absence_is_explained() {
    let dir = project(&[("testcity", &mini_city())]);
    let o = run(&["check"], &dir.path().join("data/2025"));
    assert!(o.status.success(), "{}", text(&o.stderr));

    let empty = tempfile::tempdir().unwrap();
    let o = run(&["check"], empty.path());
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("no `yearbook.toml`") && err.contains("--config"), "{err}");
}

#[test]
fn an_impossible_publication_date_and_an_unprintable_title_fail_check_with_their_place() {
    let dir = project(&[("testcity", &mini_city())]);
    let config = dir.path().join("yearbook.toml");
    let original = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, original.replace("2026-03-31", "2026-02-31")).unwrap();
    let o = run(&["check"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("yearbook.toml") && err.contains("line 5, column 8") && err.contains("2026-02-31"), "{err}");

    std::fs::write(&config, original.replace("Test Yearbook", "Test Yearbook 📊")).unwrap();
    let o = run(&["check", "--format", "short"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("yearbook.toml:3:") && out.contains("missing-glyph"), "{out}");
}

#[test]
fn missing_templates_fail_check_naming_the_file() {
    let dir = project(&[("testcity", &mini_city())]);
    let config = dir.path().join("yearbook.toml");
    let text_before = std::fs::read_to_string(&config).unwrap();
    let shipped = format!("templates = {:?}", repo().join("templates").display().to_string());
    std::fs::write(&config, text_before.replace(&shipped, "templates = \"templates\"")).unwrap();
    let o = run(&["check"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("templates/main.typ.j2") && err.contains("missing"), "{err}");
}

#[test]
fn the_archive_edition_does_not_depend_on_where_the_data_folder_is_named_from() {
    let dir = project(&[("testcity", &mini_city())]);
    let build = |data: &str| {
        let o = run(&["build", "--pdf-standard", "a-3b-ua", "--data", data], dir.path());
        assert!(o.status.success(), "{}", text(&o.stderr));
        std::fs::read(dir.path().join("dist/2025/yearbook-2025-archive.pdf")).unwrap()
    };
    let relative = build("data");
    let absolute = build(dir.path().join("data").to_str().unwrap());
    assert!(relative == absolute, "the archive PDF differs when --data is absolute");
    let raw = String::from_utf8_lossy(&absolute);
    assert!(!raw.contains(dir.path().to_str().unwrap()), "the PDF names the machine's path");
}

/// `check --sources DIR` finds every figure in its own article's archived text, and names the
/// one that is not there at its line and column. The texts here are the test's own.
#[test]
fn check_traces_each_figure_to_its_article_and_reports_the_one_it_cannot_find() {
    let dir = project(&[("testcity", &mini_city())]);
    let seeds = dir.path().join("seeds");
    std::fs::create_dir_all(&seeds).unwrap();
    let progress = "技能培训59,178人，完成年度目标的147.95%。农村公路完成123.8%。";
    let projects = "全市目标为800户。发放公租房租赁补贴804户，完成100.5%，其中金川区689户、永昌县115户。日间照料补贴标准由600元提高到约1000元。";
    std::fs::write(seeds.join("004_f4078543608c889c.txt"), progress).unwrap();
    std::fs::write(seeds.join("000_210d741039db6a4f.txt"), projects).unwrap();
    let o = run(&["check", "--format", "short", "--sources", "seeds"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let untraced: Vec<&str> = out.lines().filter(|l| l.contains("[untraced]")).collect();
    assert_eq!(untraced.len(), 1, "{out}");
    // 160.97 km of rural roads is in no article here.
    assert!(untraced[0].starts_with("data/2025/testcity.toml:27:9:") && untraced[0].contains("`160.97`"), "{out}");

    // Given as printed, a figure is looked for in that form (which must say the value).
    let city = mini_city().replace("value = 160.97\n", "value = 160\nas_printed = \"一百六十公里\"\n");
    std::fs::write(dir.path().join("data/2025/testcity.toml"), city).unwrap();
    std::fs::write(
        seeds.join("004_f4078543608c889c.txt"),
        format!("{progress}新改建农村公路一百六十公里，完成123.8%。"),
    )
    .unwrap();
    let o = run(&["check", "--format", "short", "--sources", "seeds"], dir.path());
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
}

#[test]
fn progress_is_a_line_per_stage_and_a_count_of_parts_off_a_terminal_and_nothing_with_quiet() {
    let dir = project(&[("testcity", &mini_city())]);
    let o = run(&["build"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    for stage in ["load", "validate", "layout", "pdf"] {
        assert!(err.lines().any(|l| l.trim() == stage), "no `{stage}` line in:\n{err}");
    }
    let o = run(&["build", "--quiet"], dir.path());
    assert!(o.status.success());
    assert!(o.stderr.is_empty(), "--quiet printed: {}", text(&o.stderr));

    // A book in parts counts them, at each tenth and at the end; the export counts workbooks.
    let config = dir.path().join("yearbook.toml");
    let settings = std::fs::read_to_string(&config).unwrap() + "\n[typeset]\nparts = \"always\"\n";
    std::fs::write(&config, settings).unwrap();
    let o = run(&["build"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    let counted: Vec<&str> = err.lines().filter(|l| l.trim_start().starts_with("layout: ")).collect();
    let last = counted.last().unwrap_or_else(|| panic!("no count of the parts in:\n{err}"));
    let (done, of) = last.trim().trim_start_matches("layout: ").trim_end_matches(" parts").split_once(" of ").unwrap();
    assert_eq!(done, of, "{err}");
    assert!(of.parse::<usize>().unwrap() > 1, "{err}");
    let o = run(&["export", "--by", "department"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.lines().any(|l| l.trim().starts_with("department workbooks: ") && l.ends_with(" workbooks")), "{err}");
    let o = run(&["export", "--by", "department", "--quiet"], dir.path());
    assert!(o.status.success());
    assert!(o.stderr.is_empty(), "--quiet printed: {}", text(&o.stderr));
}

/// A reader that stops early (`yearbook check --format short | head -1`) is not an error: the
/// run ends quietly with status 0, as ripgrep's does, and never with a panic.
#[test]
fn a_closed_stdout_ends_quietly_with_status_0() {
    use std::process::{Command, Stdio};
    // Many cities with a mistake each: far more findings than one line.
    let broken: Vec<(String, String)> =
        (0..40).map(|i| (format!("c{i}"), mini_city().replace("id = \"testcity\"", "id = \"other\""))).collect();
    let cities: Vec<(&str, &str)> = broken.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let p = project(&cities);
    let args = ["check", "--format", "short"];
    // With a reader, the findings are printed and the status says the data has errors.
    let full = run(&args, p.path());
    assert_eq!(full.status.code(), Some(1), "{}", text(&full.stderr));
    assert!(text(&full.stdout).lines().count() >= 40, "{}", text(&full.stdout));
    for _ in 0..3 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yearbook"))
            .args(args)
            .current_dir(p.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the first line is written.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let stderr = text(&o.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(o.status.code(), Some(0), "{stderr}");
        assert_eq!(stderr, "", "nothing to say about a reader that left");
    }
}

/// What the flags and the configuration alone show to be wrong is refused before any data is
/// read: the broken city file is not reported, the message names the choices.
#[test]
fn an_unknown_city_or_year_is_refused_before_the_data_is_read() {
    let broken = "id = \"broken\"\nyear = [\n";
    Test::project()
        .city("testcity", &mini_city())
        .city("broken", broken)
        .args(["build", "--city", "testcty"])
        .status(2)
        .stderr("error: there is no city `testcty` in the 2025 edition; did you mean `testcity`? (cities: broken, testcity)\n")
        .run();
    Test::project()
        .city("testcity", &mini_city())
        .city("broken", broken)
        .args(["check", "--year", "2019"])
        .status(2)
        .stderr(
            "error: there is no 2019 edition in `{dir}/data`: the folder `2019` is missing (its editions: 2025); \
             choose another year with --year, or create the folder with `yearbook new-city ID --year 2019`\n",
        )
        .run();
    // With a sound plan the data is read, and the broken file found.
    let (dir, _) = Test::project()
        .city("testcity", &mini_city())
        .city("broken", broken)
        .args(["build", "--city", "testcity"])
        .status(1)
        .run();
    // A new edition's first city makes the edition's folder.
    let o = run(&["new-city", "lanzhou", "--year", "2026"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(dir.path().join("data/2026/lanzhou.toml").is_file());
}

/// A key `yearbook.toml` does not know is named with its place and the keys that table takes.
#[test]
fn an_unknown_configuration_key_is_named_with_the_keys_there_are() {
    Test::project()
        .city("testcity", &mini_city())
        .config("[typeset]\npart_row = 100")
        .args(["check"])
        .status(2)
        .stderr(
            "error: invalid configuration `{dir}/yearbook.toml`: line 13, column 1: unknown field `part_row`, \
             expected one of `parts`, `part_rows`, `part_cities`, `national_from`\n",
        )
        .run();
}

/// A clean edition checks silently in the short format, and says so in the human one.
#[test]
fn a_clean_edition_checks_with_no_findings() {
    Test::project().city("testcity", &mini_city()).args(["check", "--format", "short"]).stdout("").stderr("").run();
    Test::project()
        .city("testcity", &mini_city())
        .args(["check"])
        .stdout("")
        .stderr("checked 7 file(s) of the 2025 edition: 0 error(s), 0 warning(s)\n")
        .run();
}
