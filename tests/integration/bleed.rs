//! `[print] bleed`: the PDF for the print shop. With a bleed, every page is that much larger on
//! each side (MediaBox, and BleedBox the same), with the A4 page it is cut to as its TrimBox; the
//! cover's band runs into the bleed and the text keeps its place on the trimmed page, typeset
//! whole or in parts, in the print edition and the archive edition. Without it, the pages and
//! the bytes are what they were.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{missing, own_templates, pdftotext, project_of_cities, run, text};

/// A4 in points, and the 3 mm the tests ask for.
const A4: (f64, f64) = (210.0 * MM, 297.0 * MM);
const MM: f64 = 72.0 / 25.4;
const BLEED: f64 = 3.0 * MM;

/// The cover band's colour (`ink` in templates/yearbook.typ).
const INK: [u8; 3] = [0x1f, 0x3b, 0x57];

/// Builds the project with `print` added to its yearbook.toml (then takes it out again), in
/// `out`, with the PDF standard given; returns the PDF's path.
fn build(dir: &Path, print: &str, standard: &str, out: &str) -> PathBuf {
    let config = dir.join("yearbook.toml");
    let before = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{before}\n{print}\n")).unwrap();
    let o = run(&["build", "--pdf-standard", standard, "--out", out], dir);
    std::fs::write(&config, before).unwrap();
    assert!(o.status.success(), "build {print:?} {standard}: {}", text(&o.stderr));
    let name = if standard == "a-3b-ua" { "yearbook-2025-archive.pdf" } else { "yearbook-2025.pdf" };
    dir.join(out).join("2025").join(name)
}

/// A small book typeset in parts with real cuts: several body parts, pages laid out from a
/// right-hand page and moved to the other side, folios laid over them.
fn in_parts(dir: &Path) {
    let config = dir.join("yearbook.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n[typeset]\nparts = \"always\"\npart_rows = 60\npart_cities = 3\n"))
        .unwrap();
}

type Rect = [f64; 4];

/// Each page's MediaBox, TrimBox and BleedBox, as lopdf reads them.
fn boxes(pdf: &Path) -> Vec<(Rect, Option<Rect>, Option<Rect>)> {
    let doc = lopdf::Document::load(pdf).expect("lopdf reads the PDF");
    let rect = |dict: &lopdf::Dictionary, key: &[u8]| -> Option<Rect> {
        let array = dict.get(key).ok()?.as_array().expect("a box is an array");
        let n: Vec<f64> = array.iter().map(|o| o.as_float().map(f64::from).expect("a number")).collect();
        Some([n[0], n[1], n[2], n[3]])
    };
    doc.get_pages()
        .values()
        .map(|id| {
            let page = doc.get_object(*id).unwrap().as_dict().unwrap();
            (
                rect(page, b"MediaBox").expect("every page has its MediaBox"),
                rect(page, b"TrimBox"),
                rect(page, b"BleedBox"),
            )
        })
        .collect()
}

fn near(a: Rect, b: Rect) -> bool {
    // The PDF writes the boxes as 32-bit floats.
    a.iter().zip(b).all(|(x, y)| (x - y).abs() < 0.001)
}

/// Every page: an A4 TrimBox `BLEED` inside a MediaBox, and the BleedBox the MediaBox.
fn assert_bled(pdf: &Path) {
    let media = [0.0, 0.0, A4.0 + 2.0 * BLEED, A4.1 + 2.0 * BLEED];
    let trim = [BLEED, BLEED, BLEED + A4.0, BLEED + A4.1];
    let pages = boxes(pdf);
    assert!(pages.len() > 20, "{}: {} pages", pdf.display(), pages.len());
    for (i, (m, t, b)) in pages.into_iter().enumerate() {
        assert!(near(m, media), "{} page {}: MediaBox {m:?}, not {media:?}", pdf.display(), i + 1);
        assert!(t.is_some_and(|t| near(t, trim)), "{} page {}: TrimBox {t:?}, not {trim:?}", pdf.display(), i + 1);
        assert!(b.is_some_and(|b| near(b, media)), "{} page {}: BleedBox {b:?}, not {media:?}", pdf.display(), i + 1);
    }
}

/// Per page, every word with its box (`pdftotext -bbox`), moved by `by` points to the top left
/// and sorted; `None` when pdftotext is missing and the skip was allowed.
type Word = (String, [f64; 4]);
fn words(pdf: &Path, by: f64) -> Option<Vec<Vec<Word>>> {
    let html = pdftotext(pdf, &["-bbox"])?;
    let attr = |tag: &str, name: &str| -> f64 {
        let key = format!("{name}=\"");
        tag.split(&key).nth(1).and_then(|r| r.split('"').next()).and_then(|v| v.parse().ok()).unwrap()
    };
    let mut pages: Vec<Vec<Word>> = Vec::new();
    for line in html.lines().map(str::trim) {
        if line.starts_with("<page ") {
            pages.push(Vec::new());
        } else if line.starts_with("<word ") {
            let word = line.split('>').nth(1).and_then(|r| r.split('<').next()).unwrap_or("").to_string();
            let at = ["xMin", "yMin", "xMax", "yMax"].map(|k| attr(line, k) - by);
            pages.last_mut().expect("a word on a page").push((word, at));
        }
    }
    for page in &mut pages {
        page.sort_by(|a, b| a.0.cmp(&b.0).then(a.1[1].total_cmp(&b.1[1])).then(a.1[0].total_cmp(&b.1[0])));
    }
    Some(pages)
}

/// The text of `bled` sits on its trimmed page where the text of `plain` sits on its page:
/// the same words, pages and folios, each within a hundredth of a point.
fn assert_text_in_place(plain: &Path, bled: &Path) {
    let (Some(plain_words), Some(bled_words)) = (words(plain, 0.0), words(bled, BLEED)) else { return };
    assert_eq!(plain_words.len(), bled_words.len(), "pages of {} and {}", plain.display(), bled.display());
    let mut count = 0;
    for (page, (a, b)) in plain_words.iter().zip(&bled_words).enumerate() {
        assert_eq!(a.len(), b.len(), "words on page {}", page + 1);
        for (wa, wb) in a.iter().zip(b) {
            assert_eq!(wa.0, wb.0, "page {}", page + 1);
            let moved = wa.1.iter().zip(wb.1).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
            assert!(moved < 0.01, "page {}: {:?} at {:?} without bleed, {:?} with it", page + 1, wa.0, wa.1, wb.1);
            count += 1;
        }
    }
    assert!(count > 1000, "{count} words compared");
}

/// Page 1 rendered by poppler at 72 dpi (one pixel a point): width, height and RGB bytes, or
/// `None` when pdftoppm is missing and the skip was allowed.
fn cover_pixels(pdf: &Path) -> Option<(usize, usize, Vec<u8>)> {
    let out = match Command::new("pdftoppm").args(["-r", "72", "-f", "1", "-l", "1"]).arg(pdf).output() {
        Ok(out) => out,
        Err(_) => {
            missing("pdftoppm (poppler-utils)", "the cover's band");
            return None;
        }
    };
    assert!(out.status.success(), "pdftoppm: {}", text(&out.stderr));
    // A binary PPM: `P6`, width, height, maximum, one whitespace byte, then RGB.
    let ppm = out.stdout;
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8(ppm[start..at].to_vec()).unwrap());
    }
    assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P6", "255"));
    let (w, h) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    Some((w, h, ppm[at + 1..].to_vec()))
}

fn pixel((w, _, rgb): &(usize, usize, Vec<u8>), x: usize, y: usize) -> [u8; 3] {
    let i = 3 * (y * w + x);
    [rgb[i], rgb[i + 1], rgb[i + 2]]
}

#[test]
fn with_a_bleed_every_page_is_cut_from_a_larger_one_whole_and_in_parts_print_and_archive() {
    let dir = project_of_cities(4);
    let d = dir.path();
    let plain = build(d, "", "a-2b", "plain");
    let bled = build(d, "[print]\nbleed = \"3mm\"", "a-2b", "bled");
    let archive = build(d, "[print]\nbleed = \"3mm\"", "a-3b-ua", "archive");
    // The same bleed in other units.
    let inches = build(d, "[print]\nbleed = \"0.11811in\"", "a-2b", "inches");
    for pdf in [&bled, &archive, &inches] {
        assert_bled(pdf);
    }
    assert_text_in_place(&plain, &bled);

    in_parts(d);
    let parts_plain = build(d, "", "a-2b", "parts-plain");
    let parts_bled = build(d, "[print]\nbleed = \"3mm\"", "a-2b", "parts-bled");
    let parts_archive = build(d, "[print]\nbleed = \"3mm\"", "a-3b-ua", "parts-archive");
    assert_bled(&parts_bled);
    assert_bled(&parts_archive);
    // Folios, sides and page sizes agree: every word of every page, the folios among them.
    assert_text_in_place(&parts_plain, &parts_bled);
}

#[test]
fn the_covers_band_runs_into_the_bleed_and_the_text_area_does_not() {
    let dir = project_of_cities(1);
    let bled = build(dir.path(), "[print]\nbleed = \"3mm\"", "a-2b", "bled");
    let plain = build(dir.path(), "", "a-2b", "plain");
    let Some(cover) = cover_pixels(&bled) else { return };
    let (w, h) = (cover.0, cover.1);
    // 612.28 × 858.90 points: the last column and row are only partly on the page.
    assert_eq!((w, h), (613, 859), "the cover is 3 mm larger on each side");
    for (x, y) in [(0, 0), (w - 2, 0), (w / 2, 0), (0, 40), (w - 2, 40)] {
        assert_eq!(pixel(&cover, x, y), INK, "the band at ({x}, {y}) of the bled cover");
    }
    // The band ends 16 mm below the trimmed edge, 19 mm (53.9 pt) below the bled one.
    assert_eq!(pixel(&cover, 5, 52), INK);
    assert_eq!(pixel(&cover, 5, 55), [255, 255, 255], "below the band");
    // Without bleed, the band runs to the page's edge as before.
    let Some(plain_cover) = cover_pixels(&plain) else { return };
    assert_eq!((plain_cover.0, plain_cover.1), (596, 842));
    for (x, y) in [(0, 0), (594, 0), (0, 44)] {
        assert_eq!(pixel(&plain_cover, x, y), INK, "the band at ({x}, {y}) of the cover without bleed");
    }
    assert_eq!(pixel(&plain_cover, 5, 47), [255, 255, 255], "below the band");
    assert_text_in_place(&plain, &bled);
}

#[test]
fn without_a_bleed_the_pages_are_a4_with_no_trim_box_and_the_bytes_do_not_change() {
    let dir = project_of_cities(2);
    let d = dir.path();
    let none = build(d, "", "a-2b", "none");
    let zero = build(d, "[print]\nbleed = \"0\"", "a-2b", "zero");
    let zero_mm = build(d, "[print]\nbleed = \"0mm\"", "a-2b", "zero-mm");
    for (i, (m, t, b)) in boxes(&none).into_iter().enumerate() {
        assert!(near(m, [0.0, 0.0, A4.0, A4.1]), "page {}: MediaBox {m:?}", i + 1);
        assert_eq!((t, b), (None, None), "page {}: no TrimBox or BleedBox without bleed", i + 1);
    }
    let bytes = std::fs::read(&none).unwrap();
    assert_eq!(std::fs::read(&zero).unwrap(), bytes, "bleed = \"0\" is no bleed, to the byte");
    assert_eq!(std::fs::read(&zero_mm).unwrap(), bytes, "bleed = \"0mm\" is no bleed, to the byte");
    assert!(!String::from_utf8_lossy(&bytes).contains("/TrimBox"));
}

#[test]
fn a_bleed_that_is_not_a_length_stops_check_at_its_line() {
    let dir = project_of_cities(1);
    let config = dir.path().join("yearbook.toml");
    let before = std::fs::read_to_string(&config).unwrap();
    let line = before.lines().count() + 3;
    for value in ["\"3\"", "\"3 cm\"", "3"] {
        std::fs::write(&config, format!("{before}\n[print]\nbleed = {value}\n")).unwrap();
        let o = run(&["check"], dir.path());
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{value}: {err}");
        assert!(err.contains("yearbook.toml") && err.contains(&format!("line {line}, column 9")), "{value}: {err}");
    }
}

#[test]
fn templates_that_do_not_set_the_bleed_are_refused_with_the_folder_named() {
    let dir = project_of_cities(1);
    own_templates(dir.path());
    let main = dir.path().join("templates/main.typ.j2");
    let text_before = std::fs::read_to_string(&main).unwrap();
    assert!(text_before.contains("  bleed: bleed,\n"));
    std::fs::write(&main, text_before.replace("  bleed: bleed,\n", "")).unwrap();
    // Without a bleed asked for, such templates are fine.
    build(dir.path(), "", "a-2b", "plain");
    let config = dir.path().join("yearbook.toml");
    let before = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{before}\n[print]\nbleed = \"3mm\"\n")).unwrap();
    let o = run(&["build", "--out", "bled"], dir.path());
    let err = text(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("[print] bleed") && err.contains("page 1") && err.contains("templates"), "{err}");
    assert!(!dir.path().join("bled/2025").exists(), "no edition without its bleed: {err}");
}
