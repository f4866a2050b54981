//! The book is typeset in parts and joined; the whole-book source `--keep-typ` writes compiles on
//! its own to the same pages. Compared here page by page: the text on each page, its printed
//! number and numbering (the PDF's page labels), the pages of the outlined headings (the PDF
//! outline), hence also the page numbers the contents and the index print.

use std::path::Path;

use crate::common::{cut_small, project, project_of_cities, repo, run, text};
use typst::foundations::{NativeElement, StyleChain};
use typst::introspection::Introspector;
use typst::layout::{Frame, FrameItem, Point};
use typst::model::HeadingElem;
use typst_layout::PagedDocument;
use yearbook::config::Date;
use yearbook::print::typeset::{self, Fonts, YearbookWorld};

/// The text of a frame, each run with where it sits on the page (so that a page laid out on the
/// wrong side, with its margins swapped, differs).
fn frame_text(frame: &Frame, at: Point, out: &mut String) {
    for (pos, item) in frame.items() {
        let pos = at + *pos;
        match item {
            FrameItem::Group(group) => frame_text(&group.frame, pos, out),
            FrameItem::Text(t) => out.push_str(&format!("[{:.1},{:.1}]{}", pos.x.to_pt(), pos.y.to_pt(), t.text)),
            _ => {}
        }
    }
}

/// A page's text without the positions.
fn plain(text: &str) -> String {
    text.split('[').map(|run| run.split_once(']').map_or(run, |(_, t)| t)).collect()
}

/// Per page: the printed number, whether it is numbered, and its text.
fn pages(document: &PagedDocument) -> Vec<(u64, bool, String)> {
    document
        .pages()
        .iter()
        .map(|p| {
            let mut s = String::new();
            frame_text(&p.frame, Point::zero(), &mut s);
            (p.number, p.numbering.is_some(), s)
        })
        .collect()
}

/// The page of every outlined heading, in order.
fn heading_pages(document: &PagedDocument) -> Vec<usize> {
    let introspector = document.introspector();
    introspector
        .query(&HeadingElem::ELEM.select())
        .iter()
        .filter(|h| h.to_packed::<HeadingElem>().is_some_and(|h| h.outlined.get(StyleChain::default())))
        .filter_map(|h| introspector.page(h.location()?).map(|p| p.get()))
        .collect()
}

/// The edition date of the test projects (their yearbook.toml's).
const DATE: Date = Date { year: 2026, month: 3, day: 31 };

/// Builds `dir` with `--keep-typ` (plain: without the archive's attachments, files of the
/// build's own) and returns the whole-book source it kept.
fn kept_source(dir: &Path, lang: &str) -> String {
    let o = run(&["build", "--keep-typ", "--pdf-standard", "plain", "--lang", lang, "--quiet"], dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let typ = std::fs::read_dir(dir.join("dist/2025"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "typ"))
        .expect("--keep-typ writes the source");
    let source = std::fs::read_to_string(typ).unwrap();
    assert!(source.contains("// @part back"), "the source marks its parts");
    source
}

/// A world of the kept source, with the project's templates and fonts.
fn world_of<'a>(source: String, fonts: &'a Fonts, lang: &str) -> YearbookWorld<'a> {
    YearbookWorld::new(source, &repo().join("templates"), fonts, DATE, &[("lang", lang)])
}

/// The source as rendered, before the layout: the kept source without the rows it says were
/// carried between the pieces of a table (the two lines after a part's line).
fn rendered(kept: &str) -> String {
    let mut out = String::new();
    let mut after_part = false;
    for line in kept.split_inclusive('\n') {
        let carried = line.starts_with("#let piece-carry = ") || line.starts_with("#let piece-drop = ");
        if !(after_part && carried) {
            out.push_str(line);
        }
        after_part = line.starts_with("// @part ") || (after_part && carried);
    }
    out
}

/// Typesets `source` in parts, then compiles whole the source `--keep-typ` would keep from it.
/// The kept source is returned too.
fn parts_then_whole(
    source: &str,
    fonts: &Fonts,
    lang: &str,
    tagged: bool,
    earlier: &yearbook::print::parts::Laidout,
) -> (PagedDocument, PagedDocument, String) {
    // Each part's source freed once it is laid out, as `build` does.
    let options = yearbook::print::parts::Options { evict: true, in_parts: true, tagged, free_source: true };
    let mut world = world_of(source.to_string(), fonts, lang);
    let parts = yearbook::print::parts::layout(&mut world, options, earlier, None).expect("the parts compile");
    assert_eq!(world.main_text(), "", "the whole source is freed once it is cut into parts");
    let kept = yearbook::print::parts::kept_source(source.to_string(), earlier);
    let whole = typeset::compile(&world_of(kept.clone(), fonts, lang)).expect("the whole source compiles on its own");
    (whole, parts, kept)
}

/// Builds `dir` with `--keep-typ`; typesets the rendered source in parts, and the source kept
/// from that whole. The kept source is the build's.
fn whole_and_parts(dir: &Path, lang: &str) -> (PagedDocument, PagedDocument) {
    let built = kept_source(dir, lang);
    let fonts = Fonts::load(&repo().join("fonts")).unwrap();
    let (whole, parts, kept) = parts_then_whole(&rendered(&built), &fonts, lang, false, &Default::default());
    assert!(kept == built, "the build kept another source than its layout gives");
    (whole, parts)
}

/// Rows carried from a piece of a table to the next, by the kept source.
fn carried(kept: &str) -> usize {
    kept.lines().filter_map(|l| l.strip_prefix("#let piece-carry = ")).filter(|n| *n != "0").count()
}

/// No piece of a table that goes on in the next part ends in the top third of a page (a page of
/// a few rows, cut from the rows that follow), unless the piece started on that page.
fn assert_no_short_page_before_a_cut(document: &PagedDocument) {
    let introspector = document.introspector();
    let marks = |name: &str| {
        let label = typst::foundations::Label::new(typst::utils::PicoStr::intern(name)).unwrap();
        introspector
            .query(&typst::foundations::Selector::Label(label))
            .iter()
            .filter_map(|mark| introspector.position(mark.location()?))
            .collect::<Vec<_>>()
    };
    let starts: Vec<usize> = marks("piece-start").iter().map(|at| at.page.get()).collect();
    let ends = marks("piece-end");
    assert!(!ends.is_empty(), "no table goes on in another part");
    for end in ends {
        let page = end.page.get();
        let height = document.pages()[page - 1].frame.height();
        assert!(
            end.point.y > height / 3.0 || starts.contains(&page),
            "page {page} ends a piece of a table in its top third"
        );
    }
}

fn assert_same_pages(whole: &PagedDocument, parts: &PagedDocument) {
    let (w, p) = (pages(whole), pages(parts));
    assert_eq!(w.len(), p.len(), "page count");
    for (i, (a, b)) in w.iter().zip(&p).enumerate() {
        assert_eq!(a, b, "page {} differs", i + 1);
    }
    assert_eq!(heading_pages(whole), heading_pages(parts), "outlined headings' pages");
    // Parts start on both sides: some chapter opens on an even page.
    let introspector = parts.introspector();
    let even_openings = introspector
        .query(&HeadingElem::ELEM.select())
        .iter()
        .filter(|h| h.to_packed::<HeadingElem>().is_some_and(|h| h.resolve_level(StyleChain::default()).get() == 1))
        .filter_map(|h| introspector.page(h.location()?))
        .filter(|p| {
            parts.pages()[p.get() - 1].numbering.is_some() && parts.pages()[p.get() - 1].number.is_multiple_of(2)
        })
        .count();
    assert!(even_openings > 0, "no chapter opens on an even page");
}

#[test]
fn eight_cities_typeset_in_parts_match_the_whole_source() {
    let dir = project_of_cities(8);
    let (whole, parts) = whole_and_parts(dir.path(), "bilingual");
    assert!(whole.pages().len() > 60, "{} pages", whole.pages().len());
    assert_same_pages(&whole, &parts);
}

/// Parts of bounded size: the profiles go on in a new part every 3 cities and the tables every
/// 60 rows or so; each piece of a table after the first says it continues the table.
#[test]
fn chapters_cut_into_parts_of_bounded_size_match_the_whole_source() {
    let dir = project_of_cities(8);
    cut_small(dir.path());
    let (whole, parts) = whole_and_parts(dir.path(), "bilingual");
    assert_same_pages(&whole, &parts);
    let source = std::fs::read_to_string(dir.path().join("dist/2025/yearbook-2025.typ")).unwrap();
    let cuts = source.matches("#chapter-continues(").count();
    assert!(cuts >= 5, "{cuts} cuts");
    // Some pieces ended on a page of a few rows: those went to the next piece.
    assert!(carried(&source) >= 1, "{} pieces took rows from the piece before", carried(&source));
    assert_no_short_page_before_a_cut(&parts);
    // Every piece after the first opens a page that says which table it continues.
    let mut continued = 0;
    for (i, (_, _, text)) in pages(&parts).iter().enumerate() {
        let text = plain(text);
        if let Some(at) = text.find("续表 ") {
            let number: String =
                text[at + "续表 ".len()..].chars().take_while(|c| *c == '-' || c.is_ascii_digit()).collect();
            assert!(!number.is_empty(), "page {}", i + 1);
            continued += 1;
        }
    }
    assert!(continued >= cuts, "{continued} continued pages, {cuts} cuts");
}

/// With last year's edition beside it: last year's columns in the tables and the chapter of
/// changes in the back matter, with its own entries in the contents.
#[test]
fn two_editions_typeset_in_parts_match_the_whole_source() {
    let dir = project(&[("testcity", &crate::common::mini_city())]);
    // Last year had one more indicator, since dropped.
    let last_year = crate::common::mini_city()
        .replace("year = 2025", "year = 2024")
        .replace("value = 59178", "value = 50000")
        + "\n[[indicator]]\nid = \"job-fairs-held\"\nsector = \"employment\"\nname = { zh = \"招聘会\", en = \"Job fairs held\" }\nunit = \"changci\"\nvalue = 12\nsource = \"sanmenxia-2025-progress\"\n";
    std::fs::create_dir_all(dir.path().join("data/2024")).unwrap();
    std::fs::write(dir.path().join("data/2024/testcity.toml"), last_year).unwrap();
    let (whole, parts) = whole_and_parts(dir.path(), "bilingual");
    assert_same_pages(&whole, &parts);
    let all: String = pages(&parts).into_iter().map(|(_, _, t)| plain(&t)).collect();
    assert!(all.contains("与2024年版比较"), "the chapter of changes is in the book");
}

#[test]
fn the_english_edition_with_one_city_matches_too() {
    let city = std::fs::read_to_string(repo().join("data/2025/wuwei.toml")).unwrap();
    let dir = project(&[("wuwei", &city)]);
    let (whole, parts) = whole_and_parts(dir.path(), "en");
    assert_same_pages(&whole, &parts);
}

/// Out of memory (here: a cap on the address space, as a batch system or `ulimit -v` sets) is a
/// clear message and exit status 2, never an abort or a panic, and the last edition stays as it
/// was. The caps run from one that fails early to one that is enough: where the memory runs
/// out moves with the cap (a buffer, a font, a thread's stack, the workbook writer's threads),
/// and each place must end the same way. (An address-space cap is a Unix resource limit.)
#[cfg(unix)]
#[test]
fn running_out_of_memory_is_a_clear_error_and_keeps_the_last_edition() {
    use std::os::unix::process::CommandExt;
    let city = std::fs::read_to_string(repo().join("data/2025/wuwei.toml")).unwrap();
    let dir = project(&[("wuwei", &city)]);
    let o = run(&["build", "--quiet"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let pdf = dir.path().join("dist/2025/yearbook-2025.pdf");
    let before = std::fs::read(&pdf).unwrap();
    let mut refused = 0;
    for mib in (100..=700).step_by(25) {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_yearbook"));
        command.args(["build", "--quiet"]).current_dir(dir.path());
        // SAFETY: setrlimit only changes the child's own limit, between fork and exec.
        unsafe {
            command.pre_exec(move || {
                let limit = libc::rlimit { rlim_cur: mib << 20, rlim_max: mib << 20 };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let o = command.output().unwrap();
        let stderr = text(&o.stderr);
        match o.status.code() {
            Some(0) => {}
            Some(2) => {
                refused += 1;
                assert!(stderr.contains("error: out of memory"), "{mib} MiB: {stderr}");
                assert!(stderr.contains("part_rows"), "{mib} MiB: {stderr}");
                assert!(!stderr.contains("panicked"), "{mib} MiB: {stderr}");
            }
            other => panic!("{mib} MiB: status {other:?}, {stderr}"),
        }
        // Built or refused, the edition in place is a whole one: the same data makes the same
        // bytes.
        assert_eq!(std::fs::read(&pdf).unwrap(), before, "{mib} MiB");
    }
    assert!(refused > 0, "no cap was small enough to run out of memory");
}

/// How many element starts share a location with an earlier one, over the whole document (a
/// whole compilation has some: a repeated table header is the same element again).
fn repeated_locations(document: &PagedDocument) -> usize {
    fn walk(frame: &Frame, seen: &mut std::collections::HashSet<u128>, repeated: &mut usize) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(group) => walk(&group.frame, seen, repeated),
                FrameItem::Tag(typst::introspection::Tag::Start(elem, _)) => {
                    if let Some(loc) = elem.location()
                        && !seen.insert(loc.hash())
                    {
                        *repeated += 1;
                    }
                }
                _ => {}
            }
        }
    }
    let (mut seen, mut repeated) = (std::collections::HashSet::new(), 0);
    for page in document.pages() {
        walk(&page.frame, &mut seen, &mut repeated);
    }
    repeated
}

/// The structure elements of a tagged PDF by type (P, H1, Table, TD ...).
fn structure(pdf: &[u8]) -> std::collections::BTreeMap<String, usize> {
    use lopdf::{Document, Object};
    let doc = Document::load_mem(pdf).unwrap();
    let root = doc.catalog().unwrap().get(b"StructTreeRoot").unwrap().as_reference().unwrap();
    let mut counts = std::collections::BTreeMap::new();
    let mut stack = vec![Object::Reference(root)];
    while let Some(object) = stack.pop() {
        let object = match object {
            Object::Reference(id) => doc.get_object(id).unwrap().clone(),
            other => other,
        };
        match object {
            Object::Array(items) => stack.extend(items),
            Object::Dictionary(d) => {
                if let Ok(kind) = d.get(b"S").and_then(Object::as_name) {
                    *counts.entry(String::from_utf8_lossy(kind).into_owned()).or_insert(0) += 1;
                }
                if let Ok(k) = d.get(b"K") {
                    stack.push(k.clone());
                }
            }
            _ => {}
        }
    }
    counts
}

/// The archive edition is tagged (PDF/UA-1) and typeset in parts too. Each compilation numbers
/// its elements from the same root, so like elements of two parts shared locations; joined,
/// the tag tree rejected them ("ambiguous logical parent"). Each part's locations are its own
/// now: the joined book exports as PDF/A-3b + PDF/UA-1 with the structure of the whole source
/// (which has the same cuts: each piece of a cut table is a table with its header).
#[test]
fn the_tagged_archive_edition_typeset_in_parts_has_the_whole_books_structure() {
    use yearbook::plan::PdfPreset;
    use yearbook::print::parts::Laidout;
    let dir = project_of_cities(8);
    cut_small(dir.path());
    // The source without the attachments, exported tagged below.
    let built = kept_source(dir.path(), "bilingual");
    let cuts = built.matches("#chapter-continues(").count();
    assert!(cuts >= 5, "{cuts} cuts");
    let fonts = Fonts::load(&repo().join("fonts")).unwrap();
    // Tagged, a piece that gives rows to the next is laid out again without them (untagged,
    // its last page is left out): both carry the same rows.
    let (whole, parts, kept) = parts_then_whole(&rendered(&built), &fonts, "bilingual", true, &Laidout::default());
    assert!(carried(&kept) >= 1);
    assert!(kept == built, "tagged and untagged, other rows were carried");
    let world = world_of(kept, &fonts, "bilingual");
    assert_same_pages(&whole, &parts);
    assert_no_short_page_before_a_cut(&parts);
    // Without each part's own locations, 1 607 elements here shared a location with another.
    assert_eq!(repeated_locations(&whole), 0);
    assert_eq!(repeated_locations(&parts), 0);
    let export = |document| typeset::export_pdf(&world, document, PdfPreset::A3bUa, "t", DATE).unwrap();
    let (whole, parts) = (structure(&export(&whole)), structure(&export(&parts)));
    assert!(whole["TD"] > 1000, "{whole:?}");
    assert_eq!(whole, parts);
}

/// The archive edition is laid out twice (the second time with its workbook attached); the
/// second layout takes the body parts from the first. Reused, they give the same pages.
#[test]
fn a_second_layout_reusing_the_parts_gives_the_same_pages() {
    use yearbook::print::parts::{Laidout, Options};
    let dir = project_of_cities(8);
    cut_small(dir.path());
    let source = rendered(&kept_source(dir.path(), "bilingual"));
    let fonts = Fonts::load(&repo().join("fonts")).unwrap();
    let mut world = world_of(source, &fonts, "bilingual");
    let options = Options { evict: true, in_parts: true, tagged: true, free_source: false };
    let earlier = Laidout::keeping();
    let first = yearbook::print::parts::layout(&mut world, options, &earlier, None).unwrap();
    let second = yearbook::print::parts::layout(&mut world, options, &earlier, None).unwrap();
    let fresh = yearbook::print::parts::layout(&mut world, options, &Laidout::default(), None).unwrap();
    assert_same_pages(&first, &second);
    assert_same_pages(&fresh, &second);
    // The rows a reused part gave to the next are given again.
    let kept = yearbook::print::parts::kept_source(world.main_text().to_string(), &earlier);
    assert!(carried(&kept) >= 1);
    assert_eq!(repeated_locations(&second), 0);
}
