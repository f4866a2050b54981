//! The printer's proof rules, checked on the shipped four-city book as a proof-reader checks
//! them: no table row broken across a page, no page that only continues a table's label, notes
//! or source line, no chart cut in two, English quotes in the Latin face, figures aligned on
//! their decimal point. Positions and fonts come from poppler (`pdftotext -bbox`,
//! `pdftohtml -xml`), which CI installs; without it these tests fail rather than pass unchecked.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{Test, project, repo, run, text};

/// The shipped four cities built once per language into a temporary project: (dir, pdf paths).
fn books() -> &'static (tempfile::TempDir, Vec<(String, PathBuf)>) {
    static BOOKS: OnceLock<(tempfile::TempDir, Vec<(String, PathBuf)>)> = OnceLock::new();
    BOOKS.get_or_init(|| {
        let ids = ["jiayuguan", "jinchang", "sanmenxia", "wuwei"];
        let texts: Vec<(String, String)> = ids
            .iter()
            .map(|id| (id.to_string(), std::fs::read_to_string(repo().join(format!("data/2025/{id}.toml"))).unwrap()))
            .collect();
        let refs: Vec<(&str, &str)> = texts.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let dir = project(&refs);
        let mut pdfs = Vec::new();
        for (lang, flags, name) in [
            ("bilingual", vec![], "yearbook-2025.pdf"),
            ("zh", vec!["--lang", "zh"], "yearbook-2025-zh.pdf"),
            ("en", vec!["--lang", "en"], "yearbook-2025-en.pdf"),
        ] {
            let mut args = vec!["build", "-q"];
            args.extend(flags);
            let o = run(&args, dir.path());
            assert!(o.status.success(), "build {lang}: {}", text(&o.stderr));
            pdfs.push((lang.to_string(), dir.path().join("dist/2025").join(name)));
        }
        (dir, pdfs)
    })
}

fn poppler(tool: &str, args: &[&str], pdf: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) is needed to check the proofs: {e}"));
    assert!(out.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of every page, as laid out (one string per page).
fn pages(pdf: &Path) -> Vec<String> {
    poppler("pdftotext", &["-layout"], pdf).split('\u{c}').map(str::to_string).collect()
}

#[derive(Debug, Clone)]
struct Word {
    x0: f64,
    y0: f64,
    x1: f64,
    text: String,
}

/// The bilingual book's text, as laid out, its pages one after another.
fn bilingual_text() -> String {
    let (_, pdfs) = books();
    let (_, pdf) = pdfs.iter().find(|(l, _)| l == "bilingual").unwrap();
    pages(pdf).join("\n")
}

/// Every page's words with their boxes, from `pdftotext -bbox`.
fn words(pdf: &Path) -> Vec<Vec<Word>> {
    let html = poppler("pdftotext", &["-bbox"], pdf);
    let attr = |tag: &str, name: &str| -> f64 {
        let key = format!("{name}=\"");
        tag.split(&key).nth(1).and_then(|r| r.split('"').next()).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
    };
    let mut out: Vec<Vec<Word>> = Vec::new();
    for line in html.lines().map(str::trim) {
        if line.starts_with("<page ") {
            out.push(Vec::new());
        } else if line.starts_with("<word ") {
            let raw = line.split('>').nth(1).and_then(|r| r.split('<').next()).unwrap_or("");
            let text = raw.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"");
            out.last_mut().unwrap().push(Word {
                x0: attr(line, "xMin"),
                y0: attr(line, "yMin"),
                x1: attr(line, "xMax"),
                text,
            });
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}' | '“' | '‘')
}

/// Lines of words (words whose tops lie within 2 pt), top to bottom.
fn lines_of(ws: &[Word]) -> Vec<Vec<Word>> {
    let mut sorted = ws.to_vec();
    sorted.sort_by(|a, b| a.y0.total_cmp(&b.y0).then(a.x0.total_cmp(&b.x0)));
    let mut lines: Vec<Vec<Word>> = Vec::new();
    for w in sorted {
        match lines.last_mut() {
            Some(l) if (l[0].y0 - w.y0).abs() < 2.0 => l.push(w),
            _ => lines.push(vec![w]),
        }
    }
    lines
}

/// The bottom of the repeated column header on a page: the line holding "Item" (the English line
/// of the bilingual header, under its Chinese one), and a "(%)" wrapped under it.
fn header_bottom(lines: &[Vec<Word>]) -> Option<usize> {
    let mut end = lines.iter().position(|l| l.iter().any(|w| w.text == "Item"))?;
    while end + 1 < lines.len() && lines[end + 1].iter().all(|w| w.text == "(%)") {
        end += 1;
    }
    Some(end)
}

#[test]
fn the_first_row_under_every_repeated_header_is_a_whole_row() {
    let (_, pdfs) = books();
    let (_, pdf) = pdfs.iter().find(|(l, _)| l == "bilingual").unwrap();
    let mut continued = 0;
    for (n, page) in words(pdf).iter().enumerate() {
        let lines = lines_of(page);
        if !lines.iter().take(3).any(|l| l.iter().any(|w| w.text == "续表")) {
            continue;
        }
        continued += 1;
        let Some(end) = header_bottom(&lines) else { continue };
        // In the bilingual book a row is its Chinese stub over its English one, and a city band is
        // Chinese first too: an English line right under the header is the rest of a broken row.
        let first = &lines[end + 1];
        let lead = first[0].text.chars().next().unwrap();
        assert!(
            is_cjk(lead),
            "page {}: the first line under the repeated header is {:?}, the rest of a row broken at the page before",
            n + 1,
            first.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")
        );
    }
    assert!(continued >= 3, "the shipped book continues tables on several pages; found {continued}");
}

/// A table's continuation label ("续表", "Table 6-1 continued") stands only over rows; notes and
/// a source line open a page only under "注（续）" / "Notes to Table 6-1 (continued)", with notes
/// under it (a notes-only continuation, as proof review 3 allows, N2).
#[test]
fn no_page_holds_only_a_continuation_label_notes_or_a_source_line() {
    let (_, pdfs) = books();
    let mut continued_notes = 0;
    for (lang, pdf) in pdfs {
        for (n, page) in pages(pdf).iter().enumerate() {
            let lines: Vec<&str> = page.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            if lines.len() < 2 {
                continue;
            }
            let notes_label = |l: &str| l.contains("注（续）") || l.contains("Notes to Table");
            let table_label = |l: &str| !notes_label(l) && (l.contains("续表") || l.contains("continued"));
            // Below the running head: the first line of content, past the column header.
            let body: Vec<&str> =
                lines[1..lines.len() - 1].iter().copied().filter(|l| !table_label(l) && !notes_label(l)).collect();
            let label = lines.iter().take(3).any(|l| table_label(l));
            let notes_continued = lines.iter().take(3).any(|l| notes_label(l));
            // A note line: its lead, or a mark (① …, Ⓐ …) when it goes on a language's notes.
            let notes = |l: &str| {
                ["注：", "Notes:", "资料来源：", "Sources:"].iter().any(|p| l.starts_with(p))
                    || l.starts_with(|c: char| ('①'..='⑳').contains(&c) || ('Ⓐ'..='Ⓩ').contains(&c))
            };
            if label {
                let header = body.iter().position(|l| l.contains("Item") || l.starts_with("指标"));
                let after: Vec<&&str> = match header {
                    Some(h) => body[h + 1..].iter().filter(|l| **l != "(%)").collect(),
                    None => body.iter().collect(),
                };
                assert!(
                    after.first().is_some_and(|l| !notes(l)),
                    "{lang} page {}: a continued table with no rows (only {:?})",
                    n + 1,
                    after.first()
                );
            }
            if notes_continued {
                continued_notes += 1;
                assert!(
                    body.first().is_some_and(|l| notes(l)),
                    "{lang} page {}: \"notes continued\" over no notes ({:?})",
                    n + 1,
                    body.first()
                );
                assert!(
                    !body.first().is_some_and(|l| l.starts_with("资料来源：") || l.starts_with("Sources:")),
                    "{lang} page {}: a source line alone under \"notes continued\"",
                    n + 1
                );
            } else {
                assert!(
                    !body.first().is_some_and(|l| notes(l)),
                    "{lang} page {}: the page opens with a table's notes or source line, away from its rows",
                    n + 1
                );
            }
        }
    }
    assert!(continued_notes >= 1, "表6-1's notes run on to the next page in the shipped book");
}

/// Rows fill the page before their notes run on: 表6-1's last rows are no longer carried to the
/// next page with its 15 notes, which left p. 15 about 40 % empty. The page before a "notes
/// continued" page is full to its foot.
#[test]
fn rows_fill_the_page_before_their_notes_run_on() {
    let (_, pdfs) = books();
    for (lang, pdf) in pdfs {
        let pages = words(pdf);
        let mut seen = 0;
        for n in 1..pages.len() {
            let top: Vec<String> = lines_of(&pages[n])
                .iter()
                .take(3)
                .map(|l| l.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "))
                .collect();
            if !top.iter().any(|l| l.contains("注（续）") || l.contains("Notes to Table")) {
                continue;
            }
            seen += 1;
            // The lowest line of text above the folio of the page before.
            let lines = lines_of(&pages[n - 1]);
            let lowest = lines[..lines.len() - 1].last().map_or(0.0, |l| l[0].y0);
            // A4 is 842 pt high; the text block ends about 62 pt above the page's foot.
            assert!(lowest > 700.0, "{lang} page {n}: the page before the notes' continuation ends at {lowest:.0} pt");
        }
        if lang == "bilingual" {
            assert!(seen >= 1, "{lang}: 表6-1's notes run on to the next page");
        }
    }
}

#[test]
fn no_chart_is_split_across_pages() {
    let (_, pdfs) = books();
    for (lang, pdf) in pdfs {
        let caption = if lang == "en" { "Thedashedlinemarks100%" } else { "虚线为100%" };
        let mut charts = 0;
        for (n, page) in pages(pdf).iter().enumerate() {
            let flat: String = page.split_whitespace().collect();
            let titled = if lang == "en" {
                flat.matches("Figure").count()
            } else {
                flat.match_indices('图')
                    .filter(|(i, _)| flat[i + '图'.len_utf8()..].starts_with(|c: char| c.is_ascii_digit()))
                    .count()
            };
            let captions = flat.matches(caption).count();
            // A chart's caption sits under its last bar: a caption on a page without the
            // chart's title is the end of a chart begun on the page before.
            assert!(
                captions <= titled,
                "{lang} page {}: a chart's caption without its title (a chart cut in two)",
                n + 1
            );
            charts += captions;
        }
        assert!(charts >= 1, "{lang}: the shipped book has a completion chart");
    }
}

#[test]
fn quotes_between_latin_letters_are_set_in_the_latin_face() {
    let (_, pdfs) = books();
    for (lang, pdf) in pdfs {
        let xml = poppler("pdftohtml", &["-xml", "-i", "-stdout", "-q"], pdf);
        let fonts = font_families(&xml);
        let (mut seen, mut wrong) = (0, Vec::new());
        for (n, page) in xml.split("<page ").skip(1).enumerate() {
            // The page's characters in reading order, each with its font; a new line breaks
            // adjacency.
            let mut chars: Vec<(char, String)> = Vec::new();
            let mut top = String::new();
            for t in page.split("<text ").skip(1) {
                let this_top = t.split("top=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("").to_string();
                let font = t.split("font=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("");
                let family = fonts.get(font).cloned().unwrap_or_default();
                let body = t.split_once('>').map(|(_, r)| r.split("</text>").next().unwrap_or("")).unwrap_or("");
                let body = body.replace("<b>", "").replace("</b>", "").replace("<i>", "").replace("</i>", "");
                let body = body
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&#39;", "'");
                if this_top != top {
                    chars.push(('\n', String::new()));
                    top = this_top;
                }
                chars.extend(body.chars().map(|c| (c, family.clone())));
            }
            for (i, (c, family)) in chars.iter().enumerate() {
                if !matches!(c, '\u{2019}' | '\u{201c}' | '\u{201d}') {
                    continue;
                }
                let latin =
                    |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|(c, _)| c.is_ascii_alphabetic());
                if latin(i.checked_sub(1)) || latin(Some(i + 1)) {
                    seen += 1;
                    if !family.contains("Libertinus") {
                        let around: String =
                            chars[i.saturating_sub(8)..(i + 8).min(chars.len())].iter().map(|(c, _)| *c).collect();
                        wrong.push(format!("page {}: {:?} in {family}", n + 1, around.replace('\n', " ")));
                    }
                }
            }
        }
        assert!(seen > 0 || lang == "zh", "{lang}: the shipped book has English apostrophes");
        assert!(wrong.is_empty(), "{lang}: quotes between Latin letters in a CJK face:\n{}", wrong.join("\n"));
    }
}

#[test]
fn figure_columns_align_on_the_decimal_point_and_end_flush_right() {
    let (_, pdfs) = books();
    let (_, pdf) = pdfs.iter().find(|(l, _)| l == "bilingual").unwrap();
    let (mut checked, mut flush) = (0, 0);
    for (n, page) in words(pdf).iter().enumerate() {
        let lines = lines_of(page);
        let Some(end) = header_bottom(&lines) else { continue };
        for head in ["Value", "Completion"] {
            let Some(h) = lines[..=end].iter().flatten().find(|w| w.text == head) else { continue };
            // The column's figures: numbers whose box overlaps the header's centre line.
            let centre = (h.x0 + h.x1) / 2.0;
            // Digit groups ("25 284", a thin space apart) are one figure.
            let merged: Vec<Word> = lines[end + 1..]
                .iter()
                .flat_map(|l| {
                    let mut out: Vec<Word> = Vec::new();
                    for w in l {
                        let numeric = |t: &str| t.chars().all(|c| c.is_ascii_digit() || c == '.');
                        match out.last_mut() {
                            Some(prev) if w.x0 - prev.x1 < 3.0 && numeric(&prev.text) && numeric(&w.text) => {
                                prev.text.push_str(&w.text);
                                prev.x1 = w.x1;
                            }
                            _ => out.push(w.clone()),
                        }
                    }
                    out
                })
                .collect();
            let figures: Vec<&Word> = merged
                .iter()
                .filter(|w| {
                    w.x0 < centre + 4.0 && w.x1 > centre - 4.0 && w.text.chars().all(|c| c.is_ascii_digit() || c == '.')
                })
                .filter(|w| w.text.chars().next().is_some_and(|c| c.is_ascii_digit()))
                .collect();
            if figures.len() < 3 || !figures.iter().any(|w| w.text.contains('.')) {
                continue;
            }
            checked += 1;
            let frac = |w: &Word| w.text.split('.').nth(1).map_or(0, str::len);
            // Decimal alignment: figures with as many decimals end at one x (tabular digits), so
            // their integer parts end at one x too.
            let longest = figures.iter().map(|w| frac(w)).max().unwrap();
            for k in 0..=longest {
                let ends: Vec<f64> = figures.iter().filter(|w| frac(w) == k).map(|w| w.x1).collect();
                let (lo, hi) = ends.iter().fold((f64::MAX, f64::MIN), |(a, b), e| (a.min(*e), b.max(*e)));
                assert!(
                    ends.is_empty() || hi - lo < 0.6,
                    "page {}, column {head}: figures with {k} decimals end at x from {lo:.1} to {hi:.1}: {:?}",
                    n + 1,
                    figures.iter().map(|w| w.text.as_str()).collect::<Vec<_>>()
                );
            }
            // Two decimals, the most the book's figures have: those end at the column's right edge
            // (the header is centred in the column: its centre plus half the width, less the
            // cell's 3 pt inset), not short of it. (A page that holds only figures of fewer
            // decimals than its table's longest ends them short by design.)
            if longest < 2 {
                continue;
            }
            flush += 1;
            let width_em = if head == "Value" { 6.2 } else { 6.0 };
            let edge = centre + width_em * 9.0 / 2.0 - 3.0;
            let right = figures.iter().filter(|w| frac(w) == longest).map(|w| w.x1).fold(f64::MIN, f64::max);
            assert!(
                (right - edge).abs() < 1.0,
                "page {}, column {head}: the longest figures end at x {right:.1}, not at the column's right edge {edge:.1}",
                n + 1
            );
        }
    }
    assert!(
        checked >= 3 && flush >= 2,
        "the shipped book has figure columns with decimals; checked {checked}, {flush} at two decimals"
    );
}

/// The index files a name by its words' reading, under letter headings (proof S-6): 《长城讲堂》
/// reads cháng, so it stands under C beside 常规疫苗接种率, not under Z after 悦读驿站 as the
/// character-by-character reading (zhǎng) filed it.
#[test]
fn the_index_files_a_polyphone_by_its_word_under_its_letter() {
    let (_, pdfs) = books();
    let pdf = &pdfs.iter().find(|(l, _)| l == "bilingual").unwrap().1;
    // The index's words in reading order: page, then column, then top to bottom.
    let mut read: Vec<String> = Vec::new();
    for page in words(pdf).iter().filter(|ws| ws.iter().any(|w| w.text == "指标索引")) {
        let mut ws: Vec<&Word> = page.iter().filter(|w| w.y0 > 100.0).collect();
        // The columns split at the middle of the text area (recto and verso margins differ).
        let left = ws.iter().map(|w| w.x0).fold(f64::INFINITY, f64::min);
        let right = ws.iter().map(|w| w.x1).fold(0.0, f64::max);
        let mid = (left + right) / 2.0;
        ws.sort_by(|a, b| (a.x0 > mid).cmp(&(b.x0 > mid)).then(a.y0.total_cmp(&b.y0)).then(a.x0.total_cmp(&b.x0)));
        read.extend(ws.into_iter().map(|w| w.text.clone()));
    }
    let is_letter = |t: &str| t == "0–9" || (t.len() == 1 && t.chars().all(|c| c.is_ascii_uppercase()));
    let letters: Vec<&str> = read.iter().map(String::as_str).filter(|t| is_letter(t)).collect();
    assert!(letters.len() >= 10, "the index has letter headings: {letters:?}");
    assert!(letters.windows(2).all(|w| w[0] < w[1]), "the headings run in order: {letters:?}");
    let at =
        |name: &str| read.iter().position(|t| t.starts_with(name)).unwrap_or_else(|| panic!("{name} not in the index"));
    let wall = at("《长城讲堂》");
    let heading = read[..wall].iter().rev().find(|t| is_letter(t)).unwrap();
    assert_eq!(heading, "C", "《长城讲堂》 is filed under {heading}");
    let entries_between =
        read[wall + 1..at("常规疫苗接种率")].iter().filter(|t| t.chars().next().is_some_and(is_cjk)).count();
    assert_eq!(entries_between, 0, "常规疫苗接种率 follows 《长城讲堂》 directly");
}

/// A profile's key-figure cards say what a reader of a 2025 book cannot guess (proof S-5): the
/// year of a 2024 figure and the years of a running total, a rank as "第1位 1st", school places
/// as places; and a card's label never leaves one character alone on its last line.
#[test]
fn profile_cards_say_their_year_rank_and_unit_and_never_strand_a_character() {
    let (_, pdfs) = books();
    let pdf = &pdfs.iter().find(|(l, _)| l == "bilingual").unwrap().1;
    let profile_pages: Vec<usize> = pages(pdf)
        .iter()
        .enumerate()
        .filter(|(_, t)| t.lines().take(4).any(|l| l.contains("城市概况")))
        .map(|(i, _)| i)
        .collect();
    assert!(!profile_pages.is_empty(), "no profile pages");
    let all = pages(pdf);
    let profiles: String = profile_pages.iter().map(|i| all[*i].split_whitespace().collect::<String>()).collect();
    for card in ["80%2024年", "第1位1st2024年", "3217个places2019—2024年"] {
        assert!(profiles.contains(card), "no card reading {card}");
    }
    // Jiayuguan's three running totals since 2019 (investment, kindergartens, places).
    assert_eq!(profiles.matches("2019—2024年").count(), 3, "the running totals say their years");
    assert!(!profiles.contains("位rank"), "a rank still reads \"1 位 rank\"");
    let words = words(pdf);
    for i in &profile_pages {
        for w in &words[*i] {
            let mut chars = w.text.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else { continue };
            if !('\u{4e00}'..='\u{9fff}').contains(&c) {
                continue;
            }
            let neighbour = words[*i].iter().any(|o| {
                !std::ptr::eq(o, w) && (o.y0 - w.y0).abs() < 2.0 && (o.x0 - w.x1).abs().min((w.x0 - o.x1).abs()) < 20.0
            });
            assert!(neighbour, "PDF page {}: “{c}” stands alone on its line", i + 1);
        }
    }
}

/// Every `key` text (`note` or `editorial`) of the shipped data, indicators' and alternatives',
/// Chinese and English, whitespace removed.
fn texts_of(key: &str) -> Vec<String> {
    fn walk(v: &toml::Value, key: &str, out: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    if k == key {
                        for lang in ["zh", "en"] {
                            let text = v.get(lang).and_then(toml::Value::as_str).expect("a note has zh and en");
                            out.push(text.split_whitespace().collect());
                        }
                    } else {
                        walk(v, key, out);
                    }
                }
            }
            toml::Value::Array(a) => a.iter().for_each(|v| walk(v, key, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for id in ["jiayuguan", "jinchang", "sanmenxia", "wuwei"] {
        let text = std::fs::read_to_string(repo().join(format!("data/2025/{id}.toml"))).unwrap();
        walk(&toml::Value::Table(toml::from_str(&text).unwrap()), key, &mut out);
    }
    out
}

/// The editors' working notes stay in the data (proof S-7): no book and no workbook prints one,
/// and 表6-1, which carried 20 notes with the editors' reasoning on measure words and two reports,
/// prints only its readers' notes.
#[test]
fn editorial_notes_are_never_printed_and_table_6_1_keeps_only_the_readers_notes() {
    use std::io::Read;
    let editorial = texts_of("editorial");
    assert!(editorial.len() >= 20, "the shipped data keeps its working notes: {}", editorial.len());
    // Of each working note, the first stretch that no reader's note shares (a working note may
    // begin as the reader's note it explains does), or the whole of a short one.
    let notes = texts_of("note");
    let marks: Vec<String> = editorial
        .iter()
        .map(|e| {
            let chars: Vec<char> = e.chars().collect();
            let len = chars.len().min(12);
            (0..=chars.len() - len)
                .map(|i| chars[i..i + len].iter().collect::<String>())
                .find(|m| !notes.iter().any(|n| n.contains(m.as_str())))
                .unwrap_or_else(|| panic!("the working note “{e}” says nothing its reader's note does not"))
        })
        .collect();
    let (dir, pdfs) = books();
    for (lang, pdf) in pdfs {
        let text: String = pages(pdf).concat().split_whitespace().collect();
        for m in &marks {
            assert!(!text.contains(m.as_str()), "the {lang} book prints the working note “{m}…”");
        }
    }
    let mut xlsx =
        zip::ZipArchive::new(std::fs::File::open(dir.path().join("dist/2025/yearbook-2025.xlsx")).unwrap()).unwrap();
    let mut strings = String::new();
    xlsx.by_name("xl/sharedStrings.xml").unwrap().read_to_string(&mut strings).unwrap();
    let strings: String = strings.split_whitespace().collect();
    for m in &marks {
        assert!(!strings.contains(m.as_str()), "the workbook holds the working note “{m}…”");
    }
    // 表6-1's notes: from its first page to the source line under it.
    let bilingual = &pdfs.iter().find(|(l, _)| l == "bilingual").unwrap().1;
    let all = pages(bilingual);
    let first = all.iter().position(|p| p.contains("表 6-1") || p.contains("表6-1")).expect("表6-1 is printed");
    let from_table: String = all[first..].concat();
    let notes = from_table.split("注：").nth(1).and_then(|n| n.split("Notes:").next()).expect("表6-1 has notes");
    let count = notes.chars().filter(|c| ('①'..='⑳').contains(c)).count();
    assert!(count <= 15, "表6-1 prints {count} notes; its readers' notes are 15");
    for reasoning in ["本书以", "两篇报道", "缺“中心”", "差额"] {
        assert!(!notes.contains(reasoning), "表6-1 still explains the editors' reasoning: {reasoning}");
    }
}

/// Review 3, NICE 2: the imprint says the publisher once (a board that is the publisher is not
/// said again), gives the trimmed format, and the print order's lines when the office gives them.
#[test]
fn the_imprint_says_who_once_and_gives_the_print_orders_lines() {
    let wuwei = std::fs::read_to_string(repo().join("data/2025/wuwei.toml")).unwrap();
    let page = |config: &str| {
        let (dir, _) = Test::project().city("wuwei", &wuwei).config(config).args(["build", "-q"]).run();
        poppler("pdftotext", &["-f", "2", "-l", "2", "-layout"], &dir.path().join("dist/2025/yearbook-2025.pdf"))
    };
    let same = page("[imprint]\nboard = { zh = \"测试\", en = \"Test\" }\n");
    assert!(!same.contains("编辑委员会") && !same.contains("Editorial board"), "{same}");
    assert!(same.contains("开本") && same.contains("210 mm × 297 mm"), "{same}");
    assert!(!same.contains("印数") && !same.contains("准印证号"), "{same}");
    let full = page(
        "[imprint]\nboard = { zh = \"编委会\", en = \"The Board\" }\nprinter = { zh = \"测试印刷厂\", en = \"Test Print Works\" }\ncopies = 500\npermit = \"甘内资准字2026-001\"\n",
    );
    // pdftotext puts a space where a Chinese character meets a Latin one.
    let tight: String = full.split_whitespace().collect();
    for want in [
        "编辑委员会",
        "编委会",
        "印刷",
        "测试印刷厂",
        "TestPrintWorks",
        "印数",
        "500册",
        "准印证号",
        "甘内资准字2026-001",
    ] {
        assert!(tight.contains(want), "the imprint lacks “{want}”:\n{full}");
    }
    let (_, o) =
        Test::project().city("wuwei", &wuwei).config("[imprint]\ncopies = 0\n").args(["check"]).status(2).run();
    let err = text(&o.stderr);
    assert!(err.contains("line 13, column 10") && err.contains("copies = 500"), "{err}");
}

/// Review 3, NICE 8: an English page gives the byline in English (names in pinyin), a Chinese
/// page as the article prints it, and the bilingual page both; and NICE 5: a unit is written
/// one way on both lines.
#[test]
fn bylines_are_in_each_editions_language_and_units_one_way() {
    let (_, pdfs) = books();
    for (lang, pdf) in pdfs {
        let all = pages(pdf).concat();
        let flat: String = all.split_whitespace().collect::<Vec<_>>().join(" ");
        let (want, never): (&[&str], &[&str]) = match lang.as_str() {
            "en" => (&["by Jiao Xuyu, reporter", "by Zhang Di, staff reporter"], &["记者", "焦旭玉"]),
            "zh" => (&["作者 记者 焦旭玉", "作者 本报记者 张迪"], &["Jiao Xuyu"]),
            _ => (&["作者 记者 焦旭玉 / by Jiao Xuyu, reporter"], &[]),
        };
        for w in want {
            assert!(flat.contains(w), "{lang}: no “{w}” in the list of sources");
        }
        for n in never {
            assert!(!flat.contains(n), "{lang}: “{n}” printed");
        }
        assert!(!all.contains("Mbps"), "{lang}: “Mbps” where the English line says Mbit/s");
        assert!(all.contains("Mbit/s"), "{lang}: the book has a network speed");
    }
}

/// No paragraph, stub, note or card label ends with one or two Chinese characters alone on its
/// last line ("…纳入住房 / 保障。", "…就餐老 / 人⑬": proof review 3, NICE 4). A short last line is
/// a run of text at the left edge of the line above it, holding one or two CJK characters (and
/// punctuation or note marks), under a line of six or more.
#[test]
fn no_chinese_paragraph_or_stub_ends_on_one_or_two_characters() {
    let (_, pdfs) = books();
    let (_, pdf) = pdfs.iter().find(|(l, _)| l == "bilingual").unwrap();
    let han = |c: char| ('\u{3400}'..='\u{9fff}').contains(&c);
    let mark =
        |c: char| "。，；、：！？）”…\u{2060}".contains(c) || ('①'..='⑳').contains(&c) || ('Ⓐ'..='Ⓩ').contains(&c);
    let mut short = Vec::new();
    for (n, page) in words(pdf).iter().enumerate() {
        // Runs of words on a line, split where a gap of a column's width parts them.
        let mut runs: Vec<Vec<Word>> = Vec::new();
        for line in lines_of(page) {
            let mut line = line;
            line.sort_by(|a, b| a.x0.total_cmp(&b.x0));
            let mut run: Vec<Word> = Vec::new();
            for w in line {
                if run.last().is_some_and(|p: &Word| w.x0 - p.x1 > 12.0) {
                    runs.push(std::mem::take(&mut run));
                }
                run.push(w);
            }
            runs.push(run);
        }
        for r in &runs {
            let text: String = r.iter().map(|w| w.text.as_str()).collect();
            let core: Vec<char> = text.chars().filter(|c| !mark(*c)).collect();
            if core.is_empty() || core.len() > 2 || !core.iter().all(|c| han(*c)) {
                continue;
            }
            let (x0, y0) = (r[0].x0, r[0].y0);
            let above = runs
                .iter()
                .filter(|q| y0 - q[0].y0 > 3.0 && y0 - q[0].y0 < 16.0 && q[0].x0 - x0 > -6.0 && q[0].x0 - x0 < 26.0)
                .max_by(|a, b| a[0].y0.total_cmp(&b[0].y0));
            let Some(above) = above else { continue };
            let above: String = above.iter().map(|w| w.text.as_str()).collect();
            if above.chars().filter(|c| han(*c)).count() >= 6 {
                short.push(format!(
                    "page {}: …{} / {text}",
                    n + 1,
                    above.chars().rev().take(10).collect::<Vec<_>>().into_iter().rev().collect::<String>()
                ));
            }
        }
    }
    assert!(short.is_empty(), "last lines of one or two characters:\n{}", short.join("\n"));
}

/// Figures in prose are grouped as the tables group them (GB/T 15835, proof review 3, NICE 3):
/// four digits ungrouped ("3217 places", not "3 217"), five and more with a thin space. The
/// one run of five digits left whole is the 12345 hotline, a name and not a quantity.
#[test]
fn numbers_in_prose_are_grouped_as_in_the_tables() {
    let (_, pdfs) = books();
    for (lang, pdf) in pdfs {
        let text = poppler("pdftotext", &[], pdf);
        let chars: Vec<char> = text.chars().collect();
        let digit = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
        let space = |i: usize| chars.get(i).is_some_and(|c| [' ', '\u{2009}', '\u{202f}'].contains(c));
        let mut i = 0;
        while i < chars.len() {
            if !digit(i) || (i > 0 && (digit(i - 1) || chars[i - 1] == '.' || space(i - 1) && digit(i.wrapping_sub(2))))
            {
                i += 1;
                continue;
            }
            // A number and the groups of three that follow it across a space.
            let mut j = i;
            while digit(j) {
                j += 1;
            }
            let lead = j - i;
            let mut groups = 0;
            while space(j) && (1..=3).all(|k| digit(j + k)) && !digit(j + 4) {
                j += 4;
                groups += 1;
            }
            let number: String = chars[i..j].iter().collect();
            let context: String = chars[i.saturating_sub(12)..(j + 8).min(chars.len())].iter().collect();
            let digits = lead + 3 * groups;
            if groups > 0 && lead <= 3 {
                assert!(digits >= 5, "{lang}: a four-digit number grouped: {number:?} in {context:?}");
            }
            if groups == 0 && lead >= 5 {
                assert!(number == "12345", "{lang}: {number} ungrouped in {context:?}");
            }
            i = j;
        }
    }
}

/// The font family of each font id of `pdftohtml -xml`'s output.
fn font_families(xml: &str) -> std::collections::HashMap<String, String> {
    let attr = |spec: &str, name: &str| spec.split(name).nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    xml.split("<fontspec ").skip(1).map(|spec| (attr(spec, "id=\""), attr(spec, "family=\""))).collect()
}

/// Pages of `pdftohtml -xml`: each page's text runs as (body with <i>/<b> kept, font family).
fn runs(pdf: &Path) -> Vec<Vec<(String, String)>> {
    let xml = poppler("pdftohtml", &["-xml", "-i", "-stdout", "-q"], pdf);
    let fonts = font_families(&xml);
    xml.split("<page ")
        .skip(1)
        .map(|page| {
            page.split("<text ")
                .skip(1)
                .map(|t| {
                    let font = t.split("font=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("");
                    let body = t.split_once('>').map(|(_, r)| r.split("</text>").next().unwrap_or("")).unwrap_or("");
                    (body.to_string(), fonts.get(font).cloned().unwrap_or_default())
                })
                .collect()
        })
        .collect()
}

/// The old list, "not fixed": the cover says how many cities in how many provinces, the legend's
/// italic is shown in italics, and a glossary entry never runs from one page to the next.
#[test]
fn the_cover_gives_the_scope_the_legend_shows_italic_and_glossary_entries_stay_whole() {
    let (_, pdfs) = books();
    let terms: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("data/catalogue/terms.toml")).unwrap()).unwrap();
    let terms = terms["term"].as_array().unwrap();
    for (lang, pdf) in pdfs {
        let pages = pages(pdf);
        let cover: String = pages[0].split_whitespace().collect();
        let (zh, en) = ("收录2个省（自治区、直辖市）4个城市", "4citiesin2provinces");
        match lang.as_str() {
            "zh" => assert!(cover.contains(zh) && !cover.contains(en), "{lang} cover: {cover}"),
            "en" => assert!(cover.contains(en) && !cover.contains(zh), "{lang} cover: {cover}"),
            _ => assert!(cover.contains(zh) && cover.contains(en), "{lang} cover: {cover}"),
        }
        // The legend's sample figure for derived values is in an italic face.
        let legend = runs(pdf)
            .into_iter()
            .find(|p| p.iter().any(|(b, _)| b.contains("推算数") || b.contains("derived by the editors")));
        let legend = legend.unwrap_or_else(|| panic!("{lang}: no legend"));
        assert!(
            legend.iter().any(|(b, f)| b.contains("12.3") && (b.contains("<i>") || f.contains("Italic"))),
            "{lang}: the legend's italic sample is not italic: {legend:?}"
        );
        // Each entry's name and the start and end of its definitions lie on one page.
        let flat: Vec<String> = pages.iter().map(|p| p.split_whitespace().collect()).collect();
        for t in terms {
            let name: String = match lang.as_str() {
                "en" => t["en"].as_str().unwrap().split_whitespace().collect(),
                _ => t["zh"].as_str().unwrap().split_whitespace().collect(),
            };
            let langs: &[&str] = match lang.as_str() {
                "bilingual" => &["zh", "en"],
                "en" => &["en"],
                _ => &["zh"],
            };
            let ends: Vec<String> = langs
                .iter()
                .flat_map(|l| {
                    let def: Vec<char> =
                        t["definition"][*l].as_str().unwrap().split_whitespace().collect::<String>().chars().collect();
                    [def[..6].iter().collect::<String>(), def[def.len() - 6..].iter().collect::<String>()]
                })
                .collect();
            assert!(
                flat.iter().any(|p| p.contains(&name) && ends.iter().all(|e| p.contains(e.as_str()))),
                "{lang}: the glossary entry {name} is split or missing"
            );
        }
    }
}

/// The PDF's bookmarks (outline) read as titles: one space between the Chinese and English names,
/// none at either end, never two in a row, in every edition (proof review 3, old NICE list).
#[test]
fn bookmarks_part_chinese_from_english_by_one_space_and_have_no_stray_spaces() {
    for (lang, pdf) in &books().1 {
        let doc = lopdf::Document::load(pdf).expect("lopdf reads the PDF");
        let toc = doc.get_toc().unwrap_or_else(|e| panic!("{lang}: the PDF has no readable outline: {e}"));
        assert!(toc.errors.is_empty(), "{lang}: outline errors {:?}", toc.errors);
        let titles: Vec<&str> = toc.toc.iter().map(|t| t.title.as_str()).collect();
        // Chapters, profiles and tables are bookmarked: a book with few bookmarks lost them.
        assert!(titles.len() >= 20, "{lang}: only {} bookmarks: {titles:?}", titles.len());
        let mut bad = Vec::new();
        for t in &titles {
            let cs: Vec<char> = t.chars().collect();
            let han_then_latin = cs.windows(2).any(|w| is_cjk(w[0]) && w[1].is_ascii_alphabetic());
            if t.trim() != *t || t.contains("  ") || han_then_latin || t.is_empty() {
                bad.push(*t);
            }
        }
        assert!(bad.is_empty(), "{lang}: bookmarks with stray or missing spaces: {bad:?}");
        let expected: &[&str] = match lang.as_str() {
            "bilingual" => &[
                "三门峡市 Sanmenxia",
                "第一章 就业与劳动保障 Chapter 1 Employment and Labour Protection",
                "表 1-1 就业与劳动保障主要指标 Table 1-1 Main Indicators of Employment and Labour Protection",
            ],
            "zh" => &["三门峡市", "第一章 就业与劳动保障", "表 1-1 就业与劳动保障主要指标"],
            _ => &[
                "Sanmenxia",
                "Chapter 1 Employment and Labour Protection",
                "Table 1-1 Main Indicators of Employment and Labour Protection",
            ],
        };
        for e in expected {
            assert!(titles.contains(e), "{lang}: no bookmark {e:?} among {titles:?}");
        }
    }
}

/// The shipped cities in administrative order (province code, then city code) from their data
/// files: (code, zh name, en name).
fn cities_in_code_order() -> Vec<(String, String, String)> {
    let mut cities: Vec<(String, String, String)> = ["jiayuguan", "jinchang", "sanmenxia", "wuwei"]
        .iter()
        .map(|id| {
            let data: toml::Table =
                std::fs::read_to_string(repo().join(format!("data/2025/{id}.toml"))).unwrap().parse().unwrap();
            let name = data["name"].as_table().unwrap();
            let s = |v: &toml::Value| v.as_str().unwrap().to_string();
            (s(&data["code"]), s(&name["zh"]), s(&name["en"]))
        })
        .collect();
    cities.sort();
    cities
}

/// Cities run in administrative order, province code then city code, as official yearbooks
/// print them, never in English spelling (proof review 3, S-4 and L-4): the profiles, the
/// chapters' city summaries and the city bands of every by-city table.
#[test]
fn cities_run_in_the_order_of_their_codes_in_profiles_and_every_table() {
    let cities = cities_in_code_order();
    let mut by_english = cities.clone();
    by_english.sort_by(|a, b| a.2.cmp(&b.2));
    assert_ne!(cities, by_english, "the shipped cities must tell the code order from the English one");
    let text = bilingual_text();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    // Profiles: each city's name alone on a line, above its English name.
    let profiles: Vec<&str> = lines
        .windows(2)
        .filter_map(|w| cities.iter().find(|c| w[0] == c.1 && w[1] == c.2).map(|c| c.1.as_str()))
        .collect();
    let expected: Vec<&str> = cities.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(profiles, expected, "the city profiles");
    // City bands ("三门峡市 Sanmenxia") between two table titles, source lines or chapter heads
    // rise in code order; a band repeated on a continued table's page may stay level.
    let rank = |l: &str| cities.iter().position(|c| l == format!("{} {}", c.1, c.2));
    let (mut runs, mut run): (Vec<Vec<usize>>, Vec<usize>) = (Vec::new(), Vec::new());
    for l in &lines {
        if let Some(r) = rank(l) {
            run.push(r);
        } else if l.starts_with("表 ") || l.starts_with("资料来源") || l.starts_with("第") && l.contains('章') {
            runs.push(std::mem::take(&mut run));
        }
    }
    runs.push(run);
    let mut table_1_1 = None;
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("表 1-1 ") && !l.contains(". .") {
            let bands: Vec<usize> =
                lines[i..].iter().take_while(|l| !l.starts_with("资料来源")).filter_map(|l| rank(l)).collect();
            table_1_1 = Some(bands);
            break;
        }
    }
    let table_1_1 = table_1_1.expect("表1-1 in the book");
    assert!(table_1_1.len() >= 3 && table_1_1[0] == 0, "表1-1 opens with {}: {table_1_1:?}", cities[0].1);
    for run in runs.iter().filter(|r| r.len() > 1) {
        let names: Vec<&str> = run.iter().map(|&r| cities[r].1.as_str()).collect();
        assert!(run.windows(2).all(|w| w[0] <= w[1]), "cities out of code order: {names:?}");
    }
    assert!(runs.iter().filter(|r| r.len() > 1).count() >= 10, "too few runs of city bands: {runs:?}");
}

/// An "of which" part's English name goes on the stub's sentence in lower case ("of which: with
/// a government subsidy"), unless it holds a proper name ("Jinchuan District") (review 3, S11).
#[test]
fn an_of_which_part_starts_in_lower_case_unless_it_is_a_proper_name() {
    let (_, pdfs) = books();
    for (lang, pdf) in pdfs.iter().filter(|(l, _)| l != "zh") {
        let text = poppler("pdftotext", &[], pdf).split_whitespace().collect::<Vec<_>>().join(" ");
        let parts: Vec<&str> = text.split("of which: ").skip(1).collect();
        assert!(parts.len() >= 4, "{lang}: too few \"of which\" parts");
        let mut lower = 0;
        for part in parts {
            let mut ws = part.split(' ');
            let (first, next) = (ws.next().unwrap_or(""), ws.next().unwrap_or(""));
            let capital = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
            if capital(first) {
                assert!(capital(next), "{lang}: \"of which: {first} {next}\" should start in lower case");
            } else {
                lower += 1;
            }
        }
        assert!(lower >= 4, "{lang}: too few parts in lower case");
    }
}

/// No space between a number and its per cent sign in the notes: "66.9%", never "66.9 %", in
/// every language (review 3, S-9). The profile cards set the unit apart from the figure by
/// design and are left out.
#[test]
fn a_per_cent_sign_follows_its_number_without_a_space() {
    let (_, pdfs) = books();
    for (lang, pdf) in pdfs {
        let text = poppler("pdftotext", &[], pdf);
        // Words on one line a space apart (table columns stand much further apart).
        for page in words(pdf) {
            let all: String = page.iter().map(|w| w.text.as_str()).collect();
            if all.contains("城市概况") || all.contains("CityProfiles") {
                continue;
            }
            for mut line in lines_of(&page) {
                line.sort_by(|a, b| a.x0.total_cmp(&b.x0));
                for w in line.windows(2) {
                    let spaced = (0.0..5.0).contains(&(w[1].x0 - w[0].x1));
                    let number = w[0].text.chars().last().is_some_and(|c| c.is_ascii_digit())
                        && w[0].text.chars().next().is_some_and(|c| c.is_ascii_digit());
                    if spaced && number && w[1].text.starts_with('%') {
                        panic!("{lang}: a space before % in \"{} {}\"", w[0].text, w[1].text);
                    }
                }
            }
        }
        let notes = text.matches("66.9%").count();
        assert!(notes >= 1, "{lang}: the note \"66.9%\" of another report is missing");
    }
}

/// A comparison's source line names only the sources of the figures it prints (review 3, S-3):
/// 表6-2 compares figures that 表6-1 gives with their source; the sources of those rows and no
/// others are cited.
#[test]
fn a_comparisons_source_line_names_only_the_sources_of_its_figures() {
    let text = bilingual_text();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let start = |t: &str| lines.iter().position(|l| l.starts_with(t) && !l.contains(". .")).unwrap();
    let source_line = |from: usize| lines[from..].iter().find(|l| l.starts_with("资料来源")).unwrap().to_string();
    let codes = |l: &str| -> std::collections::BTreeSet<String> {
        l.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| w.len() > 1 && w.starts_with('S') && w[1..].chars().all(|c| c.is_ascii_digit()))
            .map(str::to_string)
            .collect()
    };
    let (detail, compared) = (start("表 6-1 "), start("表 6-2 "));
    let cited = codes(source_line(compared).split('（').next().unwrap());
    // The Chinese names of the compared rows: lines of 表6-2 that end on a unit, no figure.
    let end = compared + lines[compared..].iter().position(|l| l.starts_with("资料来源")).unwrap();
    let names: Vec<&str> = lines[compared + 2..end]
        .iter()
        .filter_map(|l| l.split_whitespace().next().filter(|w| w.chars().next().is_some_and(is_cjk) && *w != "指标"))
        .collect();
    assert!(names.len() >= 2, "表6-2 compares too few rows: {names:?}");
    let mut used = std::collections::BTreeSet::new();
    // A row's source is on its name's line or on the figure's line under it.
    for (k, l) in lines.iter().enumerate().take(compared).skip(detail) {
        let Some(first) = l.split_whitespace().next() else { continue };
        if names.iter().any(|n| first.trim_end_matches(|c: char| !is_cjk(c)) == *n) {
            let source =
                lines[k..k + 3].iter().filter_map(|l| l.split_whitespace().last()).map(codes).find(|c| !c.is_empty());
            used.extend(source.expect("a compared row of 表6-1 without its source"));
        }
    }
    assert!(!used.is_empty(), "no sources found for {names:?} in 表6-1");
    assert_eq!(cited, used, "表6-2 cites {cited:?}, its figures come from {used:?}");
    assert!(codes(&source_line(detail)).len() > cited.len(), "表6-1 should cite more sources than 表6-2");
}

/// A table's unit takes two lines at most, its Chinese over its English (review 3, S16): every
/// English unit of the catalogue with words apart stands whole on one line wherever a table
/// prints it ("元/人·月" over "yuan/person/month", never "yuan per person" over "per month").
#[test]
fn a_tables_unit_stands_in_two_lines_its_english_never_wrapped() {
    let units: toml::Table =
        std::fs::read_to_string(repo().join("data/catalogue/units.toml")).unwrap().parse().unwrap();
    let units: Vec<(String, String)> = units["unit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["zh"].as_str().unwrap().to_string(), u["en"].as_str().unwrap().replace('\u{202f}', " ")))
        .filter(|(zh, en)| zh != en && en.contains(' '))
        .collect();
    let (_, pdfs) = books();
    let (_, pdf) = pdfs.iter().find(|(l, _)| l == "bilingual").unwrap();
    let mut seen = 0;
    for page in words(pdf) {
        // Tables only: a page with a column header ("Unit") and without the profiles' cards.
        if !page.iter().any(|w| w.text == "Unit") || page.iter().any(|w| w.text == "城市概况") {
            continue;
        }
        for (zh, _) in &units {
            for z in page.iter().filter(|w| &w.text == zh) {
                // The unit's cell: the words in its column, on the first line under its Chinese.
                let centre = (z.x0 + z.x1) / 2.0;
                let column: Vec<&Word> =
                    page.iter().filter(|w| w.x1 > centre - 32.0 && w.x0 < centre + 32.0 && w.y0 > z.y0 + 3.0).collect();
                let Some(top) = column.iter().map(|w| w.y0).min_by(f64::total_cmp) else { continue };
                let mut line: Vec<&Word> = column.into_iter().filter(|w| (w.y0 - top).abs() < 1.0).collect();
                line.sort_by(|a, b| a.x0.total_cmp(&b.x0));
                let line = line.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ").replace('\u{202f}', " ");
                // Units may share a Chinese form (万个: 10 000 units, 10 000 jobs).
                let ens: Vec<&String> = units.iter().filter(|u| &u.0 == zh).map(|u| &u.1).collect();
                if ens.iter().any(|e| line.split(' ').next() == e.split(' ').next()) {
                    seen += 1;
                    assert!(
                        ens.contains(&&line),
                        "\"{zh}\": its English wraps in a table, the line under it reads \"{line}\""
                    );
                }
            }
        }
    }
    assert!(seen >= 20, "too few units seen in the tables ({seen})");
}

/// A Change column whose figures share a unit says it in its header, "增减（%） / Change (%)", and
/// its cells print the signed figure alone, as the other figure columns do (review 3, S18).
#[test]
fn a_change_column_gives_its_unit_in_the_header() {
    let (_, pdfs) = books();
    for (lang, pdf) in pdfs {
        // The English header wraps its unit under its word, and the layout text puts the other
        // headers between them.
        let header = if lang == "en" { "Change (%)" } else { "增减（%）" };
        let has_header = |p: &String| match lang.as_str() {
            "en" => p.lines().any(|l| l.trim_end().ends_with("Change")) && p.lines().any(|l| l.trim() == "(%)"),
            _ => p.contains(header),
        };
        let pages: Vec<String> = pages(pdf).into_iter().filter(has_header).collect();
        assert!(!pages.is_empty(), "{lang}: no table with \"{header}\"");
        let mut signed = 0;
        for page in &pages {
            for w in page
                .split_whitespace()
                .filter(|w| w.starts_with('+') && w[1..].starts_with(|c: char| c.is_ascii_digit()))
            {
                signed += 1;
                assert!(!w.ends_with('%') && !w.ends_with("pp"), "{lang}: \"{w}\" repeats the unit of its header");
            }
        }
        assert!(signed >= 1, "{lang}: no signed change under \"{header}\"");
    }
}

/// A comparison needs at least two indicators that two cities share (a single row is not a table
/// of its own), and gives a column only to a city that reports a compared figure, so no column
/// is "…" all the way down (review 3, S-2: 表9-2 held one row, 表6-2 two empty city columns).
#[test]
fn a_comparison_has_two_rows_at_least_and_no_empty_city_column() {
    let text = bilingual_text();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let titles: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.starts_with("表 ") && l.split(' ').nth(1).is_some_and(|n| n.ends_with("-2")) && !l.contains(". .")
        })
        .map(|(i, _)| i)
        .collect();
    assert!(!titles.is_empty(), "the shipped book has no comparison");
    assert!(!text.contains("表 9-2"), "表9-2 compares a single indicator");
    for start in titles {
        let end = start + lines[start..].iter().position(|l| l.starts_with("资料来源")).unwrap();
        let body = &lines[start + 1..end];
        assert!(!body.iter().any(|l| l.contains('…')), "{}: a city column without a figure", lines[start]);
        // Rows: lines that end on a figure (the English name of each row ends on its unit).
        let rows = body
            .iter()
            .filter(|l| l.split_whitespace().any(|w| w.chars().all(|c| c.is_ascii_digit() || c == '.')))
            .count();
        assert!(rows >= 2, "{}: {rows} row(s)", lines[start]);
    }
}
