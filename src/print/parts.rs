//! Typesetting the book in parts: the rendered source is cut at its `// @part` lines into the
//! front matter, the body parts (city profiles, one per chapter) and the back matter; each is
//! compiled on its own and the pages are joined into one document, exported once.
//!
//! Why: Typst's memory grows with the pages of one compilation (about 5 MiB a page here), so a
//! national edition of 2,000 pages would not fit; compiled part by part, with the caches freed
//! between parts, the peak is set by the largest part. The joined document's introspector is
//! built from the joined pages, so the PDF outline, page labels and the tables' pages cover the
//! whole book, and fonts are subset once.
//!
//! Order: the body parts first, laid out in parallel, each from a right-hand page 1 and without
//! folios (see `lay_out_loose`); once their lengths are known, every page gets its number, its
//! side and its folio. Then the back matter, whose index gets the indicators' pages as data; then
//! the front matter, whose contents gets every later heading's page as data. The whole source
//! (`--keep-typ`) compiles on its own to the same pages: there the contents and the index query
//! the document instead.
//!
//! A small book (up to 3 000 figures, about 45 cities) is compiled whole; see
//! [`WHOLE_UP_TO_FIGURES`] for why. The tagged archive edition is typeset in parts as the print
//! edition is: each part's locations are made its own before the join (see `settle`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use typst::foundations::{Content, Label, Selector, Value};
use typst::introspection::{Introspector, Location, MetadataElem, Tag};
use typst::layout::grid::resolve::Entry;
use typst::layout::{Abs, Point};
use typst::layout::{Frame, FrameItem};
use typst::model::Destination;
use typst::model::{HeadingElem, ParElem, TableCell, TableElem};
use typst::pdf::AttachElem;
use typst::utils::PicoStr;
use typst_layout::{Page, PagedDocument};

use crate::config::PartsMode;
use crate::error::AppError;
use crate::print::cache::{Cache, EntryRef};
use crate::print::render::{typst_literal, typst_string};
use crate::print::typeset::{self, LineMap, YearbookWorld};
use crate::progress::{Progress, Step};

use crate::print::contract::{
    self, LABEL_IND, LABEL_PIECE_END, LABEL_PIECE_START, LABEL_TOC, PART_BACK, PART_BODY, PART_BODY_CONTINUED,
    PART_FRONT, PART_MARKER as MARKER, VAR_INDEX_DATA, VAR_PIECE_CARRY, VAR_PIECE_DROP, VAR_TOC_DATA,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Front,
    Body,
    Back,
}

struct Segment {
    kind: Kind,
    /// The segment's own text, freed once its part is laid out when no later layout of the same
    /// book needs it (see [`Options::free_source`]).
    text: Mutex<Option<String>>,
    /// A body part that goes on with a table the part before left unfinished (`body
    /// continued`): it may take rows from that part's end, so it is laid out after it.
    continued: bool,
    /// Byte range in the whole source.
    start: usize,
    end: usize,
    /// 0-based line of `start` in the whole source.
    line: usize,
}

/// The source cut into its preamble and segments, each a string of its own; `None` when it has
/// no part lines (a template of a project's own that does not mark parts): it is then compiled
/// whole.
struct Cut {
    preamble: String,
    segments: Vec<Segment>,
}

impl Segment {
    /// The segment's text, or an error if it was freed already (a bug: a part laid out twice).
    fn text(&self) -> Result<std::sync::MutexGuard<'_, Option<String>>, AppError> {
        let text = self.text.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if text.is_none() {
            return Err(AppError::Internal(format!("the source of the part at line {} was freed", self.line + 1)));
        }
        Ok(text)
    }

    /// Frees the segment's text (its part is laid out and nothing lays it out again).
    fn free(&self, free: bool) {
        if free {
            *self.text.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        }
    }
}

fn cut(text: &str) -> Result<Option<Cut>, AppError> {
    let mut marks = Vec::new();
    let mut offset = 0;
    for (line, l) in text.split_inclusive('\n').enumerate() {
        if let Some(name) = l.strip_prefix(MARKER) {
            let (kind, continued) = match name.trim() {
                PART_FRONT => (Kind::Front, false),
                PART_BODY => (Kind::Body, false),
                PART_BODY_CONTINUED => (Kind::Body, true),
                PART_BACK => (Kind::Back, false),
                other => {
                    return Err(AppError::Template(format!(
                        "main.typ.j2: unknown part `{other}` in a `{MARKER}` line (front, body, body continued or back)"
                    )));
                }
            };
            marks.push((kind, continued, offset, line));
        }
        offset += l.len();
    }
    if marks.is_empty() {
        return Ok(None);
    }
    let kinds: Vec<Kind> = marks.iter().map(|m| m.0).collect();
    if marks.windows(2).any(|w| w[1].1 && w[0].0 != Kind::Body) {
        return Err(AppError::Template(format!(
            "main.typ.j2: a `{MARKER}body continued` line must follow a body part"
        )));
    }
    let front = kinds.iter().filter(|k| **k == Kind::Front).count();
    let back = kinds.iter().filter(|k| **k == Kind::Back).count();
    if kinds.first() != Some(&Kind::Front) || kinds.last() != Some(&Kind::Back) || front != 1 || back != 1 {
        return Err(AppError::Template(format!(
            "main.typ.j2: the `{MARKER}` lines must be one `front`, then `body` parts, then one `back`"
        )));
    }
    let segments = marks
        .iter()
        .enumerate()
        .map(|(i, &(kind, continued, start, line))| {
            let end = marks.get(i + 1).map_or(text.len(), |m| m.2);
            Segment { kind, text: Mutex::new(Some(text[start..end].to_string())), continued, start, end, line }
        })
        .collect();
    Ok(Some(Cut { preamble: text[..marks[0].2].to_string(), segments }))
}

/// A heading the contents lists, as a part reported it.
struct TocEntry {
    level: i64,
    zh: String,
    en: String,
    /// The page number as printed.
    printed: String,
    /// 0-based page within the body and back matter.
    page: usize,
    y: Abs,
}

/// One compiled part: its pages and what the front and back matter need from it.
struct Laid {
    pages: Vec<Page>,
    toc: Vec<TocEntry>,
}

/// How to typeset.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Free the compiler's caches after each part (large books); without, they stay warm for
    /// the next build (watch).
    pub evict: bool,
    /// In parts, or whole. See [`in_parts`].
    pub in_parts: bool,
    /// The PDF will be tagged: every element's tag is kept (untagged, only those the export and
    /// the join ask for).
    pub tagged: bool,
    /// No later layout of this world follows (the archive edition lays out twice): the world's
    /// whole source is freed once it is cut into parts, and each part's source once its pages
    /// are made, so the layout and the export never hold the book's source (35 MB at 300
    /// cities, 250 MB at 2,000). The world's main text is then empty afterwards.
    pub free_source: bool,
}

/// Books of up to this many figures are typeset whole: faster (Typst lays out the chapters in
/// parallel and runs one introspection loop), at a memory cost that is still small. Measured
/// side by side (median of 10 and 5): 4 cities (260 figures) 0.33 s whole and 0.45 s in parts
/// one after another; 40 cities (2 600) 2.4 s and 845 MiB whole, 3.4 s and 280 MiB so.
pub const WHOLE_UP_TO_FIGURES: usize = 3000;

/// Whether a book of `figures` figures is typeset in parts.
pub fn in_parts(mode: PartsMode, figures: usize) -> bool {
    match mode {
        PartsMode::Always => true,
        PartsMode::Never => false,
        PartsMode::Auto => figures > WHOLE_UP_TO_FIGURES,
    }
}

/// What a [`layout`] leaves for what follows it.
///
/// The body parts it laid out, by their source and the world's fingerprint: the archive edition
/// is laid out twice, the second time with its workbook attached (which needs the first's table
/// pages); only the back matter, where the attachments are, changes, so the body parts are taken
/// from here instead of laid out again. A watcher keeps one across its builds: an edit to one
/// city changes the source of the parts that print it, and only those are laid out again.
///
/// And the rows it carried from one piece of a table to the next, which the kept whole source
/// needs to give the same pages (see [`kept_source`]).
#[derive(Default)]
pub struct Laidout {
    /// Whether to keep the parts laid out (only when a second layout follows: they hold pages).
    keep: bool,
    parts: Mutex<HashMap<u128, Loose>>,
    /// The parts the layouts since the last [`Laidout::prune`] asked for.
    used: Mutex<HashSet<u128>>,
    /// By segment of the source: rows the part took from the part before, rows it left to the
    /// part after. Only parts that carried rows are listed.
    carried: Mutex<BTreeMap<usize, Carry>>,
    /// The folder of the layout cache on disk, where one is used (see [`crate::print::cache`]).
    disk: Mutex<Option<std::path::PathBuf>>,
    /// What the last layout with a cache on disk did: parts taken from it of parts laid out,
    /// and what the user should know about it.
    disk_report: Mutex<Option<DiskReport>>,
    /// Body parts of the current layout taken from memory or the disk.
    reused: AtomicUsize,
}

/// What a layout did with the cache on disk.
#[derive(Debug, Clone, Default)]
pub struct DiskReport {
    /// Body parts whose pages came from the cache.
    pub reused: usize,
    /// Body parts in the book.
    pub parts: usize,
    /// Entries damaged or made by something else, a cache that could not be written.
    pub notes: Vec<String>,
}

/// Rows a body part takes from the part before (`carry`) and leaves to the part after (`drop`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Carry {
    carry: usize,
    drop: usize,
}

impl Carry {
    /// The lines that set it, in a part's prologue or the kept source.
    fn lines(self) -> String {
        format!("#let {VAR_PIECE_CARRY} = {}\n#let {VAR_PIECE_DROP} = {}\n", self.carry, self.drop)
    }
}

impl Laidout {
    /// Keeps the body parts laid out, for a second layout of the same book.
    pub fn keeping() -> Self {
        Laidout { keep: true, ..Laidout::default() }
    }

    /// Takes body parts from, and keeps them in, the layout cache in `dir`, or none (untagged books only:
    /// a tagged part's tags hold whole elements, which the cache's form does not).
    pub fn use_disk(&self, dir: Option<std::path::PathBuf>) {
        *self.disk.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = dir;
    }

    /// What the last layout did with the cache on disk, if it used one.
    pub fn disk_report(&self) -> Option<DiskReport> {
        self.disk_report.lock().ok().and_then(|r| r.clone())
    }

    /// Whether it keeps the parts laid out.
    pub fn keeps(&self) -> bool {
        self.keep
    }

    /// Forgets the parts no layout since the last prune asked for: a watcher's store holds one
    /// book's parts, not every version of them over a day of edits.
    pub fn prune(&self) {
        let used = std::mem::take(&mut *self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|id, _| used.contains(id));
    }
}

/// Typesets `world`'s main source in parts, or whole when `options` say so or it has no part
/// lines. Body parts found in `earlier` (same source) are reused; those laid out are added.
pub fn layout(
    world: &mut YearbookWorld,
    options: Options,
    earlier: &Laidout,
    progress: Option<&Progress>,
) -> Result<PagedDocument, AppError> {
    let evict = options.evict;
    // Rows carried are this layout's own; a store kept from an earlier book lists them anew.
    earlier.carried.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    earlier.reused.store(0, Ordering::Relaxed);
    let Some(cut) = cut(world.main_text())?.filter(|_| options.in_parts) else {
        return typeset::compile(world);
    };
    let free = options.free_source;
    if free {
        drop(world.take_main_text());
        if evict {
            crate::alloc::release_free_memory();
        }
    }
    let world = &*world;
    let bodies: Vec<(usize, &Segment)> =
        cut.segments.iter().enumerate().filter(|(_, s)| s.kind == Kind::Body).collect();
    let back_segment = cut.segments.iter().find(|s| s.kind == Kind::Back);
    let tagged = options.tagged;
    let disk = earlier
        .disk
        .lock()
        .ok()
        .and_then(|dir| dir.clone())
        .filter(|_| !tagged)
        .map(|dir| Cache::new(dir, world.fingerprint(), world.fonts().to_vec()));
    let stores = Stores { earlier, disk: disk.as_ref(), free };
    let loose = lay_out_loose(world, &cut, &bodies, evict, tagged, stores, progress)?;
    if let Some(disk) = &disk {
        disk.forget_from(cut.segments.len());
        let reused = earlier.reused.load(Ordering::Relaxed);
        let report = DiskReport { reused, parts: bodies.len(), notes: disk.notes() };
        *earlier.disk_report.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(report);
    }

    // Now that every part's length is known: page numbers, sides and folios.
    let shift = side_shift(world, &cut)?;
    let mut body: Vec<Page> = Vec::new();
    let mut toc = Vec::new();
    let mut index: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for part in loose {
        let first = body.len();
        let number = |j: usize| (first + j + 1) as u64;
        for (level, zh, en, j, y) in part.toc {
            toc.push(TocEntry { level, zh, en, printed: number(j).to_string(), page: first + j, y });
        }
        for (id, j) in part.index {
            let pages = index.entry(id).or_default();
            if !pages.contains(&number(j)) {
                pages.push(number(j));
            }
        }
        for (j, mut page) in part.pages.into_iter().enumerate() {
            // Laid out from a right-hand page 1; a page that falls on the other side moves by
            // the difference of the inner and outer margins.
            let laid_right = j % 2 == 0;
            let right = number(j) % 2 == 1;
            if laid_right != right {
                page.frame.translate(Point::with_x(if right { -shift } else { shift }));
            }
            page.number = number(j);
            body.push(page);
        }
    }
    let folios = folios(world, &cut, body.len())?;
    let folio_key = part_key(cut.segments.len());
    for (page, folio) in body.iter_mut().zip(folios.pages()) {
        let mut folio = folio.frame.clone();
        settle(&mut folio, folio_key, !tagged, &mut HashSet::new());
        page.frame.push_frame(Point::zero(), folio);
    }
    let next = body.len() as u64 + 1;
    let back_segment = back_segment.expect("cut() checked there is a back part");
    // The render stage's own literal writer: ids are data, written as Typst strings.
    let index = typst_literal(&minijinja::Value::from(minijinja::value::Serde(&index)))
        .map_err(|e| AppError::Internal(format!("the index's pages as Typst: {e}")))?;
    let mut prologue = format!("#let {VAR_INDEX_DATA} = {index}\n");
    prologue.push_str(&body_prologue(next));
    let (back_text, back_map) = part_source(&cut, back_segment, &prologue)?;
    back_segment.free(free);
    let back_key = part_key(cut.segments.len() + 1);
    let mut back = compile_part(world, "/part-back.typ", back_text, back_map, next, body.len())?;
    let mut dropped = HashSet::new();
    for page in &mut back.pages {
        settle(&mut page.frame, back_key, false, &mut dropped);
    }
    toc.extend(back.toc);

    // The front matter's length moves the links of its contents: typeset it once with the
    // length guessed, and again in the rare case the guess was wrong (the length does not
    // depend on the targets; the second pass reuses the first's layout).
    let front_segment = &cut.segments[0];
    let mut guess = 0usize;
    let front = loop {
        let mut prologue = format!("#let {VAR_TOC_DATA} = ");
        write_toc(&mut prologue, &toc, guess);
        prologue.push('\n');
        let (source, map) = part_source(&cut, front_segment, &prologue)?;
        let front = world.part("/part-front.typ", source, map);
        let document = typeset::compile(&front)?;
        if document.pages().len() == guess {
            break document;
        }
        guess = document.pages().len();
    };
    front_segment.free(free);
    let info = typst::model::Document::info(&front).clone();
    let joined = join(front.pages(), &body, &back.pages, info);
    if evict {
        // Nothing laid out is asked for again: the caches go, and what they and the parts' layouts
        // freed goes back to the system before the export, where the peak is. Not after each
        // part: the next part takes most of it again at once, and giving it back and taking it
        // again cost 5 % of the time (300 cities).
        comemo::evict(0);
        crate::alloc::release_free_memory();
    }
    Ok(joined)
}

/// A body part laid out on its own: from a right-hand page 1, without folios; what the contents
/// and the index need from it, by page of the part; the rows it took from the part before and
/// left to the next.
#[derive(Clone)]
struct Loose {
    pages: Vec<Page>,
    toc: Vec<(i64, String, String, usize, Abs)>,
    index: Vec<(String, usize)>,
    carry: Carry,
}

/// Lays out the body parts on every core. A part's layout does not depend on its page numbers
/// (only the folios show them) nor on its side (the margins alternate, the text width does
/// not), so most parts wait for nothing. Only a part that goes on with a table the part before
/// left unfinished waits for that part: it may take rows from its end (see [`carry_out`]).
/// Such chains are started longest first, so that the last to finish is short. Results come
/// back in book order; the first error in book order is reported.
fn lay_out_loose(
    world: &YearbookWorld,
    cut: &Cut,
    bodies: &[(usize, &Segment)],
    evict: bool,
    tagged: bool,
    stores: Stores<'_>,
    progress: Option<&Progress>,
) -> Result<Vec<Loose>, AppError> {
    let n = bodies.len();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS).min(n).max(1);
    // A part's length in bytes stands for its time; a chain's, from each part to its end.
    let waits = |k: usize| k > 0 && bodies[k].1.continued;
    let mut rest = vec![0usize; n];
    for k in (0..n).rev() {
        let own = bodies[k].1.end - bodies[k].1.start;
        rest[k] = own + if k + 1 < n && waits(k + 1) { rest[k + 1] } else { 0 };
    }
    let queue = Mutex::new(Queue { ready: (0..n).filter(|&k| !waits(k)).collect(), carry: vec![0; n], left: n });
    let wake = Condvar::new();
    let done = AtomicUsize::new(0);
    let count = |done: usize| Step::Count { done, of: n, unit: "parts" };
    crate::progress::report(progress, count(0));
    let results: Vec<Mutex<Option<Result<Loose, AppError>>>> = bodies.iter().map(|_| Mutex::new(None)).collect();
    crate::workers::share(threads, || {
        while let Some((k, carry)) = next_part(&queue, &wake, &rest) {
            let (i, segment) = bodies[k];
            let laid = lay_out_body(world, cut, i, segment, carry, tagged, stores);
            segment.free(stores.free);
            let out = laid.as_ref().map_or(0, |l| l.carry.drop);
            if let Ok(mut slot) = results[k].lock() {
                *slot = Some(laid);
            }
            if k + 1 < n
                && waits(k + 1)
                && let Ok(mut queue) = queue.lock()
            {
                queue.carry[k + 1] = out;
                queue.ready.push(k + 1);
            }
            wake.notify_all();
            crate::progress::report(progress, count(done.fetch_add(1, Ordering::Relaxed) + 1));
            // Entries the other thread still uses survive one eviction; this part's go
            // at the next. (An eviction costs about 24 ms at 300 cities, 2.2 s in all;
            // one every third part saved 4 % of the time and cost 19 % more memory.)
            if evict {
                comemo::evict(1);
            }
        }
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(AppError::Internal("a part of the book was not laid out".into())))
        })
        .collect()
}

/// The body parts not yet started: those ready (nothing to wait for), the rows each takes from
/// the part before, and how many are left to start.
struct Queue {
    ready: Vec<usize>,
    carry: Vec<usize>,
    left: usize,
}

/// Where a body part laid out before may be found: this process's store, the cache on disk.
#[derive(Clone, Copy)]
struct Stores<'a> {
    earlier: &'a Laidout,
    disk: Option<&'a Cache>,
    /// Free each part's source once it is laid out.
    free: bool,
}

/// Takes the ready part with the longest chain ahead of it (the earliest of equals), waiting
/// while none is ready; `None` once every part has been started.
fn next_part(queue: &Mutex<Queue>, wake: &Condvar, rest: &[usize]) -> Option<(usize, usize)> {
    let mut queue = queue.lock().ok()?;
    loop {
        if queue.left == 0 {
            return None;
        }
        let best =
            queue.ready.iter().enumerate().max_by_key(|&(_, &k)| (rest[k], std::cmp::Reverse(k))).map(|(j, _)| j);
        if let Some(j) = best {
            let k = queue.ready.swap_remove(j);
            queue.left -= 1;
            return Some((k, queue.carry[k]));
        }
        queue = wake.wait(queue).ok()?;
    }
}

/// Lays out body part `i`, taking `carry` rows from the part before; then, if it ends on a page
/// of a few rows of a table that goes on, again without them, so that the next part takes
/// them. Found in `earlier` (same source, same rows taken), it is reused.
fn lay_out_body(
    world: &YearbookWorld,
    cut: &Cut,
    i: usize,
    segment: &Segment,
    carry: usize,
    tagged: bool,
    Stores { earlier, disk, .. }: Stores<'_>,
) -> Result<Loose, AppError> {
    let name = format!("/part-{i:03}.typ");
    let prologue = |drop: usize| format!("{LOOSE_PROLOGUE}{}", Carry { carry, drop }.lines());
    let (source, map) = part_source(cut, segment, &prologue(0))?;
    // The part's number too: its locations are mixed with its number's key.
    let id = typst::utils::hash128(&(&source, tagged, i, world.fingerprint()));
    if let Ok(mut used) = earlier.used.lock() {
        used.insert(id);
    }
    let known = earlier.parts.lock().ok().and_then(|parts| parts.get(&id).cloned());
    // From the disk only a part that took the rows it was laid out with: a part's entry is
    // keyed by its source, and the rows it takes are in its prologue, so they are.
    let known = known.or_else(|| {
        let entry = disk?.load(i, id)?;
        let (carry, drop) = entry.carry;
        let loose = Loose { pages: entry.pages, toc: entry.toc, index: entry.index, carry: Carry { carry, drop } };
        if let (true, Ok(mut parts)) = (earlier.keep, earlier.parts.lock()) {
            parts.insert(id, loose.clone());
        }
        Some(loose)
    });
    let laid = match known {
        Some(known) => {
            earlier.reused.fetch_add(1, Ordering::Relaxed);
            known
        }
        None => {
            let part = world.part(&name, source, map);
            let mut document = typeset::compile(&part)?;
            let mut keep = document.pages().len();
            let mut drop = 0;
            if let Some(rows) = carry_out(&document) {
                if !tagged {
                    // Without those rows the part would end a page earlier and its other pages
                    // stay as they are (the table does not close on them: a piece that goes
                    // on has no closing rule): the last page goes, the rows with it.
                    keep -= 1;
                    drop = rows;
                } else {
                    // Tagged, the table's structure must not lose its rows: laid out again
                    // without them. The same source but for a number: the cells are reused.
                    let (source, map) = part_source(cut, segment, &prologue(rows))?;
                    let shorter = typeset::compile(&world.part(&name, source, map))?;
                    // Left as it was if the rows do not take the last page with them (a row
                    // broken across the pages, say).
                    if shorter.pages().len() + 1 == document.pages().len() {
                        document = shorter;
                        keep = document.pages().len();
                        drop = rows;
                    }
                }
            }
            let laid = settled(&document, keep, part_key(i), tagged, Carry { carry, drop });
            if let Some(disk) = disk {
                let entry = EntryRef {
                    pages: &laid.pages,
                    toc: &laid.toc,
                    index: &laid.index,
                    carry: (laid.carry.carry, laid.carry.drop),
                };
                disk.store(i, id, &entry);
            }
            if let (true, Ok(mut parts)) = (earlier.keep, earlier.parts.lock()) {
                parts.insert(id, laid.clone());
            }
            laid
        }
    };
    if laid.carry != Carry::default()
        && let Ok(mut carried) = earlier.carried.lock()
    {
        carried.insert(i, laid.carry);
    }
    Ok(laid)
}

/// The rows of a table that goes on in the next part, when the part's last page holds only a
/// few of them (its rows end in the top third of the page) and nothing else (not the start of
/// the piece, no heading): they go to the next part, whose first page has room for them.
/// Counted by the mark each row's name carries.
fn carry_out(document: &PagedDocument) -> Option<usize> {
    let pages = document.pages();
    let last = pages.len();
    if last < 2 {
        return None;
    }
    let introspector = document.introspector();
    let on_last = |name: &str| {
        introspector
            .query(&label(name))
            .iter()
            .filter(|c| c.location().and_then(|loc| introspector.page(loc)).is_some_and(|p| p.get() == last))
            .count()
    };
    let end = introspector.query(&label(LABEL_PIECE_END)).iter().find_map(|c| {
        let position = introspector.position(c.location()?)?;
        (position.page.get() == last).then_some(position.point.y)
    })?;
    if end > pages[last - 1].frame.height() / 3.0 || on_last(LABEL_PIECE_START) > 0 || on_last(LABEL_TOC) > 0 {
        return None;
    }
    let rows = on_last(LABEL_IND);
    (1..=contract::LEAD_ROWS).contains(&rows).then_some(rows)
}

/// Parts laid out at once, at most: each part in flight holds up to about 250 MiB (500 rows),
/// so memory, not the cores, bounds it.
const MAX_THREADS: usize = 4;

/// A body part without folios (they are laid out apart, once the page numbers are known).
const LOOSE_PROLOGUE: &str = "#set page(numbering: \"1\", footer: none)\n";

/// The first `keep` pages of a laid-out body part, readied for the join (see [`settle`]).
fn settled(document: &PagedDocument, keep: usize, key: u128, tagged: bool, carry: Carry) -> Loose {
    let toc = toc_marks(document).into_iter().filter(|t| t.3 < keep).collect();
    let index = index_marks(document).into_iter().filter(|m| m.1 < keep).collect();
    let mut pages = document.pages()[..keep].to_vec();
    let mut dropped = HashSet::new();
    for page in &mut pages {
        settle(&mut page.frame, key, !tagged, &mut dropped);
    }
    Loose { pages, toc, index, carry }
}

/// How far a left-hand page's content sits from a right-hand page's: the same text on pages 1
/// and 2 of a probe with the book's page setup.
fn side_shift(world: &YearbookWorld, cut: &Cut) -> Result<Abs, AppError> {
    let text = format!("{}#set page(header: none, footer: none)\n#box[x]\n#pagebreak()\n#box[x]\n", cut.preamble);
    let lines = cut.preamble.matches('\n').count();
    let probe =
        world.part("/part-probe.typ", text, LineMap { preamble_lines: lines, header_lines: lines, segment_line: 0 });
    let document = typeset::compile(&probe)?;
    let x = |page: usize| document.pages().get(page).and_then(|p| first_text_x(&p.frame, Point::zero()));
    match (x(0), x(1)) {
        (Some(right), Some(left)) => Ok(left - right),
        _ => Err(AppError::Internal("the page-side probe has no text on its two pages".into())),
    }
}

fn first_text_x(frame: &Frame, at: Point) -> Option<Abs> {
    frame.items().find_map(|(pos, item)| match item {
        FrameItem::Group(group) => first_text_x(&group.frame, at + *pos),
        FrameItem::Text(_) => Some(at.x + pos.x),
        _ => None,
    })
}

/// The folios of the body's `count` pages, numbered from 1 on the sides the pages have: a
/// document of empty pages with the book's page setup, laid over the body's pages.
fn folios(world: &YearbookWorld, cut: &Cut, count: usize) -> Result<PagedDocument, AppError> {
    let mut text =
        format!("{}#set page(numbering: \"1\", header: none)\n#counter(page).update(1)\n#box()\n", cut.preamble);
    for _ in 1..count {
        text.push_str("#pagebreak()\n#box()\n");
    }
    let lines = cut.preamble.matches('\n').count();
    let folios =
        world.part("/part-folios.typ", text, LineMap { preamble_lines: lines, header_lines: lines, segment_line: 0 });
    let document = typeset::compile(&folios)?;
    if document.pages().len() != count {
        return Err(AppError::Internal(format!(
            "{} folios laid out for {count} pages of the body",
            document.pages().len()
        )));
    }
    Ok(document)
}

/// The whole source as kept (`--keep-typ`): `text`, with the rows the layout carried between the
/// pieces of a table set in each body part where they change, so that compiled whole it gives
/// the same pages as the parts did.
pub fn kept_source(text: String, laid: &Laidout) -> String {
    let carried = match laid.carried.lock() {
        Ok(carried) if !carried.is_empty() => carried.clone(),
        _ => return text,
    };
    let Ok(Some(parts)) = cut(&text) else { return text };
    let mut out = String::with_capacity(text.len() + 64 * carried.len());
    let mut now = Carry::default();
    let mut from = 0;
    for (i, segment) in parts.segments.iter().enumerate() {
        let want = carried.get(&i).copied().unwrap_or_default();
        if segment.kind != Kind::Body || want == now {
            continue;
        }
        // After the part's own line, so that the source cut again keeps them in this part.
        let after = text[segment.start..segment.end].find('\n').map_or(segment.end, |n| segment.start + n + 1);
        out.push_str(&text[from..after]);
        out.push_str(&want.lines());
        from = after;
        now = want;
    }
    out.push_str(&text[from..]);
    out
}

fn join(front: &[Page], body: &[Page], back: &[Page], info: typst::model::DocumentInfo) -> PagedDocument {
    let pages = front.iter().chain(body).chain(back).cloned().collect();
    PagedDocument::new(pages, info)
}

/// The lines a body or back part starts with: its page numbering, and its first page number.
/// A part that starts on an even page starts after a blank page of its own, dropped once laid
/// out, so that its pages sit on the side they have in the whole book (the margins alternate;
/// the body's page 1 is a right-hand page).
fn body_prologue(first: u64) -> String {
    let mut out = String::new();
    if first.is_multiple_of(2) {
        out.push_str("#page(header: none, footer: none)[]\n");
    }
    let _ = writeln!(out, "#set page(numbering: \"1\")\n#counter(page).update({first})");
    out
}

/// The source of one part: the preamble, the prologue, the segment. The line map lets
/// diagnostics name lines of the whole source.
fn part_source(cut: &Cut, segment: &Segment, prologue: &str) -> Result<(String, LineMap), AppError> {
    let own = segment.text()?;
    let own = own.as_deref().unwrap_or_default();
    let mut text = String::with_capacity(cut.preamble.len() + prologue.len() + own.len());
    text.push_str(&cut.preamble);
    text.push_str(prologue);
    let header_lines = text.matches('\n').count();
    text.push_str(own);
    let map = LineMap { preamble_lines: cut.preamble.matches('\n').count(), header_lines, segment_line: segment.line };
    Ok((text, map))
}

/// The back matter, laid out once the body's length is known: from its page number, on its side.
fn compile_part(
    world: &YearbookWorld,
    name: &str,
    source: String,
    map: LineMap,
    first: u64,
    pages_before: usize,
) -> Result<Laid, AppError> {
    let part = world.part(name, source, map);
    let document = typeset::compile(&part)?;
    // The blank page a part on an even page starts with.
    let skip = usize::from(first.is_multiple_of(2));
    let toc = toc_marks(&document)
        .into_iter()
        .map(|(level, zh, en, page, y)| TocEntry {
            level,
            zh,
            en,
            printed: document.pages().get(page).map_or(0, |p| p.number).to_string(),
            page: pages_before + page - skip,
            y,
        })
        .collect();
    Ok(Laid { pages: document.pages()[skip..].to_vec(), toc })
}

/// The contents marks of a laid-out part: level, Chinese, English, page of the part (from 0)
/// and height on the page.
fn toc_marks(document: &PagedDocument) -> Vec<(i64, String, String, usize, Abs)> {
    let introspector = document.introspector();
    let mut toc = Vec::new();
    for content in introspector.query(&label(LABEL_TOC)) {
        let (Some(meta), Some(loc)) = (content.to_packed::<MetadataElem>(), content.location()) else { continue };
        let Some(pos) = introspector.position(loc) else { continue };
        let Value::Dict(d) = &meta.value else { continue };
        let get = |k: &str| d.get(k).ok().and_then(|v| v.clone().cast::<String>().ok()).unwrap_or_default();
        let level = d.get("level").ok().and_then(|v| v.clone().cast::<i64>().ok()).unwrap_or(2);
        toc.push((level, get("zh"), get("en"), pos.page.get() - 1, pos.point.y));
    }
    toc
}

/// The index marks of a laid-out part: indicator id and page of the part (from 0).
fn index_marks(document: &PagedDocument) -> Vec<(String, usize)> {
    let introspector = document.introspector();
    let mut index = Vec::new();
    for content in introspector.query(&label(LABEL_IND)) {
        let (Some(meta), Some(loc)) = (content.to_packed::<MetadataElem>(), content.location()) else { continue };
        let Ok(id) = meta.value.clone().cast::<String>() else { continue };
        if let Some(page) = introspector.page(loc) {
            index.push((id, page.get() - 1));
        }
    }
    index
}

/// Readies a laid-out part's frames for the join.
///
/// Its locations become its own: each compilation derives its elements' locations from the same
/// root, so two parts hold like elements (a rule drawn by the same template line, say) under the
/// same location. Joined, those would be one element in two places: the introspector would merge
/// them and the PDF/UA tag tree rejects them ("ambiguous logical parent"). Every location in the
/// part is mixed with the part's own `key` (0 leaves them as they are), the same way wherever it
/// occurs, so the part's tags, logical parents and links still agree with one another.
///
/// Untagged (`strip`), the tags of elements nothing asks for once the part is laid out are
/// dropped: a tag holds its whole element (a table's tag holds every cell), so the pages kept
/// for the join held about half a megabyte each. Kept: what the PDF export and the join query
/// (headings for the outline, attachments, metadata and labelled elements for the contents,
/// index and tables' pages).
fn settle(frame: &mut Frame, key: u128, strip: bool, dropped: &mut HashSet<Location>) {
    let moved = |loc: Location| Location::new(loc.hash() ^ key);
    frame.retain(|item| match item {
        FrameItem::Group(group) => {
            settle(&mut group.frame, key, strip, dropped);
            if let Some(parent) = &mut group.parent {
                parent.location = moved(parent.location);
            }
            true
        }
        FrameItem::Tag(Tag::Start(elem, _)) => {
            let keep = !strip
                || elem.label().is_some()
                || elem.is::<HeadingElem>()
                || elem.is::<MetadataElem>()
                || elem.is::<AttachElem>();
            if let Some(loc) = elem.location() {
                if !keep {
                    dropped.insert(loc);
                } else if key != 0 {
                    elem.set_location(moved(loc));
                }
            }
            if keep && !strip {
                lighten(elem);
            }
            keep
        }
        FrameItem::Tag(Tag::End(loc, end_key, _)) => {
            if dropped.contains(loc) {
                return false;
            }
            *loc = moved(*loc);
            *end_key ^= key;
            true
        }
        FrameItem::Link(Destination::Location(loc), _) => {
            *loc = moved(*loc);
            true
        }
        _ => true,
    });
}

/// Drops from a kept tag's element the content the PDF's tag tree never reads: the bodies of
/// table cells and paragraphs (each laid out already, with tags of its own) and a table's
/// children. A table's tag and its cells' tags held every cell's content once more, kept to the
/// export. (300-city archive, one run each: peak 1.81 GiB before, 1.73 GiB after.)
fn lighten(elem: &mut Content) {
    if let Some(cell) = elem.to_packed_mut::<TableCell>() {
        cell.body = Content::empty();
    } else if let Some(par) = elem.to_packed_mut::<ParElem>() {
        par.body = Content::empty();
    } else if let Some(table) = elem.to_packed_mut::<TableElem>() {
        table.children = Vec::new();
        // The tag tree reads the grid's shape, headers and strokes, not what is in the cells.
        if let Some(grid) = table.grid.as_mut().and_then(Arc::get_mut) {
            for entry in &mut grid.entries {
                if let Entry::Cell(cell) = entry {
                    cell.body = Content::empty();
                }
            }
        }
    }
}

/// The location key of a part (see [`settle`]): a fixed, well-mixed 128-bit number for each
/// part number, so the PDF's bytes do not change from run to run.
fn part_key(part: usize) -> u128 {
    // SplitMix64, twice: any fixed bijective mixer would do.
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let n = part as u64 + 1;
    (u128::from(mix(n.wrapping_mul(0x9e37_79b9_7f4a_7c15))) << 64) | u128::from(mix(n ^ 0x5851_f42d_4c95_7f2d))
}

fn label(name: &str) -> Selector {
    Selector::Label(Label::new(PicoStr::intern(name)).expect("a non-empty label"))
}

/// The contents' data: each later heading with its printed page and a link target, a position
/// in the joined book (`front_pages` come first).
fn write_toc(out: &mut String, toc: &[TocEntry], front_pages: usize) {
    out.push('(');
    for e in toc {
        let _ = write!(
            out,
            "(level: {}, zh: {}, en: {}, page: {}, target: (page: {}, x: 0pt, y: {:.2}pt)),",
            e.level,
            typst_string(&e.zh),
            typst_string(&e.en),
            typst_string(&e.printed),
            front_pages + e.page + 1,
            e.y.to_pt(),
        );
    }
    out.push(')');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_is_cut_at_its_part_lines() {
        let text = "pre\n// @part front\nf\n// @part body\nb1\n// @part body\nb2\n// @part back\nz\n";
        let parts = cut(text).unwrap().unwrap();
        assert_eq!(parts.preamble, "pre\n");
        let kinds: Vec<Kind> = parts.segments.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [Kind::Front, Kind::Body, Kind::Body, Kind::Back]);
        assert_eq!(&text[parts.segments[2].start..parts.segments[2].end], "// @part body\nb2\n");
        assert_eq!(parts.segments[2].line, 5);
        assert!(cut("no parts\n").unwrap().is_none());
        assert!(cut("// @part body\n// @part back\n").is_err());
        assert!(cut("// @part front\n// @part middle\n// @part back\n").is_err());
    }

    #[test]
    fn a_part_on_an_even_page_starts_after_a_blank_page_it_drops() {
        assert!(!body_prologue(1).contains("#page("));
        assert!(body_prologue(12).starts_with("#page(header: none, footer: none)[]"));
        assert!(body_prologue(12).contains("update(12)"));
    }
}
