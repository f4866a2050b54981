//! The layout cache: the pages of a book's body parts, kept on disk between builds, so that a
//! build after a one-city correction lays out only the parts that print that city.
//!
//! A part's entry is a file of its own, `part-NNNN.bin` in the cache folder, holding the part's
//! pages in a binary form of Typst's frames, and what the contents and the index took from them.
//! Its header names what the pages were made from: the world's fingerprint (the binary, fonts,
//! date, inputs and templates: see `YearbookWorld::fingerprint`) and the part's own key (its
//! source). An entry is used only when both are this build's and its checksum holds; a damaged
//! entry, or one made by another binary, fonts or templates, is laid out again and said so.
//!
//! Typst 0.15 has no serial form of its frames, so this one covers what an untagged part of our
//! books holds (text, rules and boxes, curves, links, groups, and the tags of headings and
//! labelled metadata) and refuses the rest: a part that holds an image, a gradient or any other
//! tag is simply not cached. A tagged edition keeps whole elements in its tags (for the PDF's
//! structure tree) and is never cached. The test `layout_cache::*` compares a build from the cache with a
//! cold one byte for byte.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use typst::foundations::{Array, Content, Dict, NativeElement, Smart, StyleChain, Value};
use typst::introspection::{Location, MetadataElem, PagedPosition, Tag, TagFlags};
use typst::layout::{
    Abs, Em, Frame, FrameItem, FrameKind, FrameParent, GroupItem, Inherit, Point, Ratio, Sides, Size, Transform,
};
use typst::model::{Destination, HeadingElem, Numbering, NumberingPattern, Url};
use typst::syntax::Span;
use typst::text::{Font, FontVariations, Glyph, Lang, Region, TextElem, TextItem};
use typst::utils::PicoStr;
use typst::visualize::{
    Color, Curve, CurveItem, DashPattern, FillRule, FixedStroke, Geometry, LineCap, LineJoin, Luma, Paint,
    ProcessColor, Rgb, Shape,
};
use typst_layout::Page;

/// The first bytes of an entry, and the version of its form: an entry of another form is stale.
const MAGIC: &[u8; 8] = b"YBPAGES\0";
const FORM: u32 = 2;
const HEADER: usize = 8 + 4 + 16 + 16 + 8 + 32;

/// What a body part's layout gives the rest of the book: its pages, the contents' and the
/// index's marks by page of the part, the rows it took from the part before and left to the next.
pub(crate) struct Entry {
    pub(crate) pages: Vec<Page>,
    pub(crate) toc: Vec<(i64, String, String, usize, Abs)>,
    pub(crate) index: Vec<(String, usize)>,
    pub(crate) carry: (usize, usize),
}

/// An [`Entry`] borrowed, to be stored.
pub(crate) struct EntryRef<'a> {
    pub(crate) pages: &'a [Page],
    pub(crate) toc: &'a [(i64, String, String, usize, Abs)],
    pub(crate) index: &'a [(String, usize)],
    pub(crate) carry: (usize, usize),
}

/// The cache of one edition's parts, in one folder.
pub(crate) struct Cache {
    dir: PathBuf,
    fingerprint: u128,
    fonts: Vec<Font>,
    /// A font by where its data lies and its index in the data: the text items hold the
    /// world's own fonts, so this finds each one without hashing 50 MB of font data.
    font_index: HashMap<(usize, u32), u32>,
    /// What to tell the user: entries damaged or made by something else, files not written.
    notes: Mutex<Vec<String>>,
}

/// Why an entry is not used.
enum Miss {
    /// None yet, or of another source: laid out, silently.
    Absent,
    /// Made by another binary, fonts, templates or form of entry.
    Stale,
    /// Unreadable, cut short, or its checksum or content wrong.
    Damaged(String),
}

impl Cache {
    /// The cache in `dir` for a world of `fingerprint` and `fonts` (the world's, in its order:
    /// text items name their font by its place there).
    pub(crate) fn new(dir: PathBuf, fingerprint: u128, fonts: Vec<Font>) -> Cache {
        let font_index = fonts.iter().enumerate().map(|(i, f)| (font_key(f), i as u32)).collect();
        Cache { dir, fingerprint, fonts, font_index, notes: Mutex::new(Vec::new()) }
    }

    fn path(&self, part: usize) -> PathBuf {
        self.dir.join(format!("part-{part:04}.bin"))
    }

    /// Part `part`'s entry if it was made from source `key` by this world.
    pub(crate) fn load(&self, part: usize, key: u128) -> Option<Entry> {
        let path = self.path(part);
        match self.read(&path, key) {
            Ok(entry) => Some(entry),
            Err(Miss::Absent) => None,
            Err(Miss::Stale) => {
                self.note(format!(
                    "the layout cache {} was made by another version of yearbook, other fonts or other \
                     templates: its parts are laid out again",
                    self.dir.display()
                ));
                None
            }
            Err(Miss::Damaged(why)) => {
                self.note(format!(
                    "the layout cache file {} is damaged ({why}): the part is laid out again",
                    path.display()
                ));
                None
            }
        }
    }

    fn read(&self, path: &Path, key: u128) -> Result<Entry, Miss> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Miss::Absent),
            Err(e) => return Err(Miss::Damaged(e.to_string())),
        };
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return Err(Miss::Damaged("not a cache entry".into()));
        }
        let mut r = Reader { bytes: &bytes[8..HEADER], at: 0 };
        let form = r.u32().map_err(Miss::Damaged)?;
        let fingerprint = r.u128().map_err(Miss::Damaged)?;
        if form != FORM || fingerprint != self.fingerprint {
            return Err(Miss::Stale);
        }
        if r.u128().map_err(Miss::Damaged)? != key {
            return Err(Miss::Absent);
        }
        let length = r.u64().map_err(Miss::Damaged)?;
        let sum = r.take(32).map_err(Miss::Damaged)?;
        let body = &bytes[HEADER..];
        if body.len() as u64 != length {
            return Err(Miss::Damaged(format!("{} bytes where its header says {length}", body.len())));
        }
        if Sha256::digest(body).as_slice() != sum {
            return Err(Miss::Damaged("its checksum does not match".into()));
        }
        let mut r = Reader { bytes: body, at: 0 };
        let entry = self.entry(&mut r).map_err(Miss::Damaged)?;
        if r.at != body.len() {
            return Err(Miss::Damaged("bytes after its end".into()));
        }
        Ok(entry)
    }

    /// Keeps part `part`'s entry. A part whose pages hold what the form does not cover is not
    /// kept; a file that cannot be written is said once, and the build goes on.
    pub(crate) fn store(&self, part: usize, key: u128, entry: &EntryRef<'_>) {
        let mut w = Writer::default();
        if self.write_entry(&mut w, entry).is_err() {
            // Not covered by the form (an image, a gradient, another kind of tag): laid out
            // each time, as without a cache. The old entry, of other pages, goes.
            let _ = std::fs::remove_file(self.path(part));
            return;
        }
        let mut file = Vec::with_capacity(HEADER + w.0.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&FORM.to_le_bytes());
        file.extend_from_slice(&self.fingerprint.to_le_bytes());
        file.extend_from_slice(&key.to_le_bytes());
        file.extend_from_slice(&(w.0.len() as u64).to_le_bytes());
        file.extend_from_slice(&Sha256::digest(&w.0));
        file.extend_from_slice(&w.0);
        // Written beside and renamed: a build killed here, or another build at once, leaves a
        // whole entry or none.
        let written = std::fs::create_dir_all(&self.dir).and_then(|()| {
            let mut temporary = tempfile::NamedTempFile::new_in(&self.dir)?;
            std::io::Write::write_all(&mut temporary, &file)?;
            temporary.persist(self.path(part)).map(drop).map_err(|e| e.error)
        });
        if let Err(e) = written {
            self.note(format!(
                "the layout cache {} could not be written ({e}): the next build lays out every part",
                self.dir.display()
            ));
        }
    }

    /// Removes the entries of parts from `parts` on (a book that became shorter).
    pub(crate) fn forget_from(&self, parts: usize) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let number = name.to_str().and_then(|n| n.strip_prefix("part-")).and_then(|n| n.strip_suffix(".bin"));
            if number.and_then(|n| n.parse::<usize>().ok()).is_some_and(|n| n >= parts) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// What happened that the user should know, each said once.
    pub(crate) fn notes(&self) -> Vec<String> {
        self.notes.lock().map(|n| n.clone()).unwrap_or_default()
    }

    fn note(&self, note: String) {
        let mut notes = self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !notes.contains(&note) {
            notes.push(note);
        }
    }

    // ---- writing ----

    fn write_entry(&self, w: &mut Writer, e: &EntryRef<'_>) -> Result<(), Unsupported> {
        w.usize(e.carry.0);
        w.usize(e.carry.1);
        w.usize(e.toc.len());
        for (level, zh, en, page, y) in e.toc {
            w.u64(*level as u64);
            w.str(zh);
            w.str(en);
            w.usize(*page);
            w.abs(*y);
        }
        w.usize(e.index.len());
        for (id, page) in e.index {
            w.str(id);
            w.usize(*page);
        }
        w.usize(e.pages.len());
        for page in e.pages {
            self.write_page(w, page)?;
        }
        Ok(())
    }

    fn write_page(&self, w: &mut Writer, page: &Page) -> Result<(), Unsupported> {
        self.write_frame(w, &page.frame)?;
        for side in [page.bleed.left, page.bleed.top, page.bleed.right, page.bleed.bottom] {
            w.abs(side);
        }
        match &page.fill {
            Smart::Auto => w.u8(0),
            Smart::Custom(None) => w.u8(1),
            Smart::Custom(Some(paint)) => {
                w.u8(2);
                write_paint(w, paint)?;
            }
        }
        match &page.numbering {
            None => w.u8(0),
            Some(Numbering::Pattern(pattern)) => {
                let text = NUMBERINGS.iter().find(|n| NumberingPattern::from_str(n).ok().as_ref() == Some(pattern));
                w.u8(1);
                w.str(text.ok_or(Unsupported)?);
            }
            Some(_) => return Err(Unsupported),
        }
        // The supplement is the word a reference to the page would use: plain text.
        let supplement = page.supplement.plain_text();
        if TextElem::packed(supplement.clone()) != page.supplement {
            return Err(Unsupported);
        }
        w.str(&supplement);
        w.u64(page.number);
        Ok(())
    }

    fn write_frame(&self, w: &mut Writer, frame: &Frame) -> Result<(), Unsupported> {
        w.abs(frame.width());
        w.abs(frame.height());
        if frame.has_baseline() {
            w.u8(1);
            w.abs(frame.baseline());
        } else {
            w.u8(0);
        }
        w.u8(match frame.kind() {
            FrameKind::Soft => 0,
            FrameKind::Hard => 1,
        });
        w.usize(frame.items().len());
        for (pos, item) in frame.items() {
            w.point(*pos);
            self.write_item(w, item)?;
        }
        Ok(())
    }

    fn write_item(&self, w: &mut Writer, item: &FrameItem) -> Result<(), Unsupported> {
        match item {
            FrameItem::Group(group) => {
                w.u8(0);
                self.write_frame(w, &group.frame)?;
                let t = group.transform;
                for ratio in [t.sx, t.ky, t.kx, t.sy] {
                    w.f64(ratio.get());
                }
                w.abs(t.tx);
                w.abs(t.ty);
                match &group.clip {
                    None => w.u8(0),
                    Some(curve) => {
                        w.u8(1);
                        write_curve(w, curve);
                    }
                }
                write_label(w, group.label.map(|l| l.resolve().to_string()));
                match &group.parent {
                    None => w.u8(0),
                    Some(parent) => {
                        w.u8(1);
                        w.u128(parent.location.hash());
                        w.u8(match parent.inherit {
                            Inherit::Yes => 1,
                            Inherit::No => 0,
                        });
                    }
                }
            }
            FrameItem::Text(text) => {
                w.u8(1);
                if !text.font.variations().0.is_empty() {
                    return Err(Unsupported);
                }
                w.u32(*self.font_index.get(&font_key(text.font.font())).ok_or(Unsupported)?);
                w.abs(text.size);
                write_paint(w, &text.fill)?;
                write_stroke(w, text.stroke.as_ref())?;
                w.str(text.lang.as_str());
                write_label(w, text.region.map(|r| r.as_str().to_string()));
                w.str(&text.text);
                w.usize(text.glyphs.len());
                // A glyph is most of an entry (300 cities: some three million): its offsets and
                // vertical advance, nearly always zero, are written only where they are not.
                for g in &text.glyphs {
                    w.u16(g.id);
                    let rest = [g.x_offset, g.y_advance, g.y_offset];
                    let mut flags = 0u8;
                    for (bit, em) in rest.iter().enumerate() {
                        if em.get().to_bits() != 0 {
                            flags |= 1 << bit;
                        }
                    }
                    w.u8(flags);
                    w.f64(g.x_advance.get());
                    for (bit, em) in rest.iter().enumerate() {
                        if flags & (1 << bit) != 0 {
                            w.f64(em.get());
                        }
                    }
                    w.usize(usize::from(g.range.start));
                    w.usize(usize::from(g.range.end - g.range.start));
                }
            }
            FrameItem::Shape(shape, _) => {
                w.u8(2);
                match &shape.geometry {
                    Geometry::Line(to) => {
                        w.u8(0);
                        w.point(*to);
                    }
                    Geometry::Rect(size) => {
                        w.u8(1);
                        w.abs(size.x);
                        w.abs(size.y);
                    }
                    Geometry::Curve(curve) => {
                        w.u8(2);
                        write_curve(w, curve);
                    }
                }
                match &shape.fill {
                    None => w.u8(0),
                    Some(paint) => {
                        w.u8(1);
                        write_paint(w, paint)?;
                    }
                }
                w.u8(match shape.fill_rule {
                    FillRule::NonZero => 0,
                    FillRule::EvenOdd => 1,
                });
                write_stroke(w, shape.stroke.as_ref())?;
            }
            FrameItem::Image(..) => return Err(Unsupported),
            FrameItem::Link(destination, size) => {
                w.u8(3);
                match destination {
                    Destination::Url(url) => {
                        w.u8(0);
                        w.str(url.as_str());
                    }
                    Destination::Position(position) => {
                        w.u8(1);
                        w.usize(position.page.get());
                        w.point(position.point);
                    }
                    Destination::Location(location) => {
                        w.u8(2);
                        w.u128(location.hash());
                    }
                }
                w.abs(size.x);
                w.abs(size.y);
            }
            FrameItem::Tag(Tag::Start(elem, flags)) => {
                w.u8(4);
                w.u8(u8::from(flags.introspectable) | (u8::from(flags.tagged) << 1));
                w.u128(elem.location().ok_or(Unsupported)?.hash());
                write_label(w, elem.label().map(|l| l.resolve().to_string()));
                if let Some(meta) = elem.to_packed::<MetadataElem>() {
                    w.u8(0);
                    write_value(w, &meta.value)?;
                } else if let Some(heading) = elem.to_packed::<HeadingElem>() {
                    // What the PDF's outline reads of a heading: its level, whether it is
                    // bookmarked, its numbers and its text.
                    w.u8(1);
                    let styles = StyleChain::default();
                    w.usize(heading.resolve_level(styles).get());
                    w.u8(u8::from(heading.outlined.get(styles)));
                    w.u8(match heading.bookmarked.get(styles) {
                        Smart::Auto => 0,
                        Smart::Custom(false) => 1,
                        Smart::Custom(true) => 2,
                    });
                    write_label(w, heading.numbers.as_ref().map(|n| n.to_string()));
                    w.str(&heading.body.plain_text());
                } else {
                    return Err(Unsupported);
                }
            }
            FrameItem::Tag(Tag::End(location, key, flags)) => {
                w.u8(5);
                w.u8(u8::from(flags.introspectable) | (u8::from(flags.tagged) << 1));
                w.u128(location.hash());
                w.u128(*key);
            }
        }
        Ok(())
    }

    // ---- reading ----

    fn entry(&self, r: &mut Reader<'_>) -> Result<Entry, String> {
        let carry = (r.usize()?, r.usize()?);
        let mut toc = Vec::new();
        for _ in 0..r.count()? {
            toc.push((r.u64()? as i64, r.str()?, r.str()?, r.usize()?, r.abs()?));
        }
        let mut index = Vec::new();
        for _ in 0..r.count()? {
            index.push((r.str()?, r.usize()?));
        }
        let mut pages = Vec::new();
        for _ in 0..r.count()? {
            pages.push(self.page(r)?);
        }
        Ok(Entry { pages, toc, index, carry })
    }

    fn page(&self, r: &mut Reader<'_>) -> Result<Page, String> {
        let frame = self.frame(r)?;
        let bleed = Sides::new(r.abs()?, r.abs()?, r.abs()?, r.abs()?);
        let fill = match r.u8()? {
            0 => Smart::Auto,
            1 => Smart::Custom(None),
            2 => Smart::Custom(Some(read_paint(r)?)),
            other => return Err(format!("page fill {other}")),
        };
        let numbering = match r.u8()? {
            0 => None,
            1 => Some(Numbering::Pattern(NumberingPattern::from_str(&r.str()?).map_err(|e| e.to_string())?)),
            other => return Err(format!("page numbering {other}")),
        };
        let supplement = TextElem::packed(r.str()?);
        let number = r.u64()?;
        Ok(Page { frame, bleed, fill, numbering, supplement, number })
    }

    fn frame(&self, r: &mut Reader<'_>) -> Result<Frame, String> {
        let size = Size::new(r.abs()?, r.abs()?);
        let baseline = match r.u8()? {
            0 => None,
            _ => Some(r.abs()?),
        };
        let kind = match r.u8()? {
            0 => FrameKind::Soft,
            _ => FrameKind::Hard,
        };
        let mut frame = Frame::new(size, kind);
        if let Some(baseline) = baseline {
            frame.set_baseline(baseline);
        }
        for _ in 0..r.count()? {
            let pos = r.point()?;
            let item = self.item(r)?;
            frame.push(pos, item);
        }
        Ok(frame)
    }

    fn item(&self, r: &mut Reader<'_>) -> Result<FrameItem, String> {
        Ok(match r.u8()? {
            0 => {
                let frame = self.frame(r)?;
                let (sx, ky, kx, sy) = (r.f64()?, r.f64()?, r.f64()?, r.f64()?);
                let transform = Transform {
                    sx: Ratio::new(sx),
                    ky: Ratio::new(ky),
                    kx: Ratio::new(kx),
                    sy: Ratio::new(sy),
                    tx: r.abs()?,
                    ty: r.abs()?,
                };
                let clip = match r.u8()? {
                    0 => None,
                    _ => Some(read_curve(r)?),
                };
                let label = read_label(r)?.map(|l| label(&l)).transpose()?;
                let parent = match r.u8()? {
                    0 => None,
                    _ => {
                        let location = Location::new(r.u128()?);
                        Some(FrameParent::new(location, if r.u8()? == 1 { Inherit::Yes } else { Inherit::No }))
                    }
                };
                FrameItem::Group(GroupItem { frame, transform, clip, label, parent })
            }
            1 => {
                let font = self.fonts.get(r.u32()? as usize).ok_or("a font the world does not have")?.clone();
                let size = r.abs()?;
                let instance = font.clone().instantiate(font.info().variant, size, &FontVariations::default());
                if !instance.variations().0.is_empty() {
                    return Err("a variable font".into());
                }
                let fill = read_paint(r)?;
                let stroke = read_stroke(r)?;
                let lang = Lang::from_str(&r.str()?).map_err(|e| e.to_string())?;
                let region = read_label(r)?.map(|s| Region::from_str(&s).map_err(|e| e.to_string())).transpose()?;
                let text = r.str()?.into();
                let mut glyphs = Vec::new();
                for _ in 0..r.count()? {
                    let id = r.u16()?;
                    let flags = r.u8()?;
                    let xa = r.f64()?;
                    let mut rest = [0.0; 3];
                    for (bit, value) in rest.iter_mut().enumerate() {
                        if flags & (1 << bit) != 0 {
                            *value = r.f64()?;
                        }
                    }
                    let [xo, ya, yo] = rest;
                    let start = u16::try_from(r.usize()?).map_err(|e| e.to_string())?;
                    let length = u16::try_from(r.usize()?).map_err(|e| e.to_string())?;
                    let range = start..start.checked_add(length).ok_or("a glyph range past its end")?;
                    glyphs.push(Glyph {
                        id,
                        x_advance: Em::new(xa),
                        x_offset: Em::new(xo),
                        y_advance: Em::new(ya),
                        y_offset: Em::new(yo),
                        range,
                        span: (Span::detached(), 0),
                    });
                }
                FrameItem::Text(TextItem { font: instance, size, fill, stroke, lang, region, text, glyphs })
            }
            2 => {
                let geometry = match r.u8()? {
                    0 => Geometry::Line(r.point()?),
                    1 => Geometry::Rect(Size::new(r.abs()?, r.abs()?)),
                    2 => Geometry::Curve(read_curve(r)?),
                    other => return Err(format!("geometry {other}")),
                };
                let fill = match r.u8()? {
                    0 => None,
                    _ => Some(read_paint(r)?),
                };
                let fill_rule = if r.u8()? == 1 { FillRule::EvenOdd } else { FillRule::NonZero };
                let stroke = read_stroke(r)?;
                FrameItem::Shape(Shape { geometry, fill, fill_rule, stroke }, Span::detached())
            }
            3 => {
                let destination = match r.u8()? {
                    0 => Destination::Url(Url::new(r.str()?).map_err(|e| e.to_string())?),
                    1 => {
                        let page = std::num::NonZeroUsize::new(r.usize()?).ok_or("page 0")?;
                        Destination::Position(PagedPosition { page, point: r.point()? })
                    }
                    2 => Destination::Location(Location::new(r.u128()?)),
                    other => return Err(format!("link {other}")),
                };
                FrameItem::Link(destination, Size::new(r.abs()?, r.abs()?))
            }
            4 => {
                let flags = read_flags(r.u8()?);
                let location = Location::new(r.u128()?);
                let name = read_label(r)?;
                let mut elem: Content = match r.u8()? {
                    0 => MetadataElem::new(read_value(r)?).pack(),
                    1 => {
                        let level = std::num::NonZeroUsize::new(r.usize()?).ok_or("heading level 0")?;
                        let outlined = r.u8()? == 1;
                        let bookmarked = match r.u8()? {
                            0 => Smart::Auto,
                            1 => Smart::Custom(false),
                            _ => Smart::Custom(true),
                        };
                        let numbers = read_label(r)?;
                        let mut heading = HeadingElem::new(TextElem::packed(r.str()?));
                        heading.level.set(Smart::Custom(level));
                        heading.outlined.set(outlined);
                        heading.bookmarked.set(bookmarked);
                        heading.numbers = numbers.map(Into::into);
                        heading.pack()
                    }
                    other => return Err(format!("tag {other}")),
                };
                if let Some(name) = name {
                    elem = elem.labelled(label(&name)?);
                }
                elem.set_location(location);
                FrameItem::Tag(Tag::Start(elem, flags))
            }
            5 => {
                let flags = read_flags(r.u8()?);
                FrameItem::Tag(Tag::End(Location::new(r.u128()?), r.u128()?, flags))
            }
            other => return Err(format!("item {other}")),
        })
    }
}

/// The page numberings an entry can name (a part's pages are numbered "1"; the others are
/// here for a template of a project's own).
const NUMBERINGS: [&str; 7] = ["1", "i", "I", "a", "A", "一", "1."];

fn font_key(font: &Font) -> (usize, u32) {
    (font.data().as_ptr() as usize, font.index())
}

/// Something the form does not cover: the part is not cached.
struct Unsupported;

fn label(name: &str) -> Result<typst::foundations::Label, String> {
    typst::foundations::Label::new(PicoStr::intern(name)).ok_or_else(|| "an empty label".to_string())
}

fn read_flags(bits: u8) -> TagFlags {
    TagFlags { introspectable: bits & 1 != 0, tagged: bits & 2 != 0 }
}

fn write_label(w: &mut Writer, text: Option<String>) {
    match text {
        None => w.u8(0),
        Some(text) => {
            w.u8(1);
            w.str(&text);
        }
    }
}

fn read_label(r: &mut Reader<'_>) -> Result<Option<String>, String> {
    Ok(match r.u8()? {
        0 => None,
        _ => Some(r.str()?),
    })
}

fn write_paint(w: &mut Writer, paint: &Paint) -> Result<(), Unsupported> {
    let Paint::Solid(Color::Process(color)) = paint else { return Err(Unsupported) };
    match color {
        ProcessColor::Luma(c) => {
            w.u8(0);
            w.f32(c.luma);
            w.f32(c.alpha);
        }
        ProcessColor::Rgb(c) => {
            w.u8(1);
            for v in [c.red, c.green, c.blue, c.alpha] {
                w.f32(v);
            }
        }
        _ => return Err(Unsupported),
    }
    Ok(())
}

fn read_paint(r: &mut Reader<'_>) -> Result<Paint, String> {
    let color = match r.u8()? {
        0 => ProcessColor::Luma(Luma::new(r.f32()?, r.f32()?)),
        1 => ProcessColor::Rgb(Rgb::new(r.f32()?, r.f32()?, r.f32()?, r.f32()?)),
        other => return Err(format!("colour {other}")),
    };
    Ok(Paint::Solid(Color::Process(color)))
}

fn write_stroke(w: &mut Writer, stroke: Option<&FixedStroke>) -> Result<(), Unsupported> {
    let Some(s) = stroke else {
        w.u8(0);
        return Ok(());
    };
    w.u8(1);
    write_paint(w, &s.paint)?;
    w.abs(s.thickness);
    w.u8(match s.cap {
        LineCap::Butt => 0,
        LineCap::Round => 1,
        LineCap::Square => 2,
    });
    w.u8(match s.join {
        LineJoin::Miter => 0,
        LineJoin::Round => 1,
        LineJoin::Bevel => 2,
    });
    match &s.dash {
        None => w.u8(0),
        Some(dash) => {
            w.u8(1);
            w.usize(dash.array.len());
            for length in &dash.array {
                w.abs(*length);
            }
            w.abs(dash.phase);
        }
    }
    w.f64(s.miter_limit.get());
    Ok(())
}

fn read_stroke(r: &mut Reader<'_>) -> Result<Option<FixedStroke>, String> {
    if r.u8()? == 0 {
        return Ok(None);
    }
    let paint = read_paint(r)?;
    let thickness = r.abs()?;
    let cap = match r.u8()? {
        0 => LineCap::Butt,
        1 => LineCap::Round,
        _ => LineCap::Square,
    };
    let join = match r.u8()? {
        0 => LineJoin::Miter,
        1 => LineJoin::Round,
        _ => LineJoin::Bevel,
    };
    let dash = match r.u8()? {
        0 => None,
        _ => {
            let mut array = Vec::new();
            for _ in 0..r.count()? {
                array.push(r.abs()?);
            }
            Some(DashPattern { array, phase: r.abs()? })
        }
    };
    let miter_limit = Ratio::new(r.f64()?);
    Ok(Some(FixedStroke { paint, thickness, cap, join, dash, miter_limit }))
}

fn write_curve(w: &mut Writer, curve: &Curve) {
    w.usize(curve.0.len());
    for item in &curve.0 {
        match item {
            CurveItem::Move(p) => {
                w.u8(0);
                w.point(*p);
            }
            CurveItem::Line(p) => {
                w.u8(1);
                w.point(*p);
            }
            CurveItem::Cubic(a, b, c) => {
                w.u8(2);
                w.point(*a);
                w.point(*b);
                w.point(*c);
            }
            CurveItem::Close => w.u8(3),
        }
    }
}

fn read_curve(r: &mut Reader<'_>) -> Result<Curve, String> {
    let mut items = Vec::new();
    for _ in 0..r.count()? {
        items.push(match r.u8()? {
            0 => CurveItem::Move(r.point()?),
            1 => CurveItem::Line(r.point()?),
            2 => CurveItem::Cubic(r.point()?, r.point()?, r.point()?),
            3 => CurveItem::Close,
            other => return Err(format!("curve item {other}")),
        });
    }
    Ok(Curve(items))
}

/// The values our metadata holds: none, booleans, numbers, strings, arrays and dictionaries.
fn write_value(w: &mut Writer, value: &Value) -> Result<(), Unsupported> {
    match value {
        Value::None => w.u8(0),
        Value::Bool(b) => {
            w.u8(1);
            w.u8(u8::from(*b));
        }
        Value::Int(i) => {
            w.u8(2);
            w.u64(*i as u64);
        }
        Value::Float(f) => {
            w.u8(3);
            w.f64(*f);
        }
        Value::Str(s) => {
            w.u8(4);
            w.str(s.as_str());
        }
        Value::Array(array) => {
            w.u8(5);
            w.usize(array.len());
            for v in array.iter() {
                write_value(w, v)?;
            }
        }
        Value::Dict(dict) => {
            w.u8(6);
            w.usize(dict.len());
            for (k, v) in dict.iter() {
                w.str(k.as_str());
                write_value(w, v)?;
            }
        }
        _ => return Err(Unsupported),
    }
    Ok(())
}

fn read_value(r: &mut Reader<'_>) -> Result<Value, String> {
    Ok(match r.u8()? {
        0 => Value::None,
        1 => Value::Bool(r.u8()? == 1),
        2 => Value::Int(r.u64()? as i64),
        3 => Value::Float(r.f64()?),
        4 => Value::Str(r.str()?.into()),
        5 => {
            let mut items = Vec::new();
            for _ in 0..r.count()? {
                items.push(read_value(r)?);
            }
            Value::Array(items.into_iter().collect::<Array>())
        }
        6 => {
            let mut dict = Dict::new();
            for _ in 0..r.count()? {
                let key = r.str()?;
                dict.insert(key.into(), read_value(r)?);
            }
            Value::Dict(dict)
        }
        other => return Err(format!("value {other}")),
    })
}

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u128(&mut self, v: u128) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// Counts, lengths and small numbers, seven bits a byte (LEB128): most take one byte.
    fn usize(&mut self, v: usize) {
        let mut v = v as u64;
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn f32(&mut self, v: f32) {
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    fn abs(&mut self, v: Abs) {
        self.f64(v.to_raw());
    }
    fn point(&mut self, p: Point) {
        self.abs(p.x);
        self.abs(p.y);
    }
    fn str(&mut self, s: &str) {
        self.usize(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or("cut short")?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        self.take(N).map(|b| b.try_into().expect("take gives N bytes"))
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn u128(&mut self) -> Result<u128, String> {
        Ok(u128::from_le_bytes(self.array()?))
    }
    fn usize(&mut self) -> Result<usize, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return usize::try_from(v).map_err(|e| e.to_string());
            }
        }
        Err("a number too long".into())
    }
    /// A count of things that follow, each at least a byte: never more than the bytes left, so
    /// that a damaged count cannot ask for more memory than the file has.
    fn count(&mut self) -> Result<usize, String> {
        let n = self.usize()?;
        if n > self.bytes.len() - self.at {
            return Err("a count past its end".into());
        }
        Ok(n)
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }
    fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_bits(self.u64()?))
    }
    fn abs(&mut self) -> Result<Abs, String> {
        Ok(Abs::raw(self.f64()?))
    }
    fn point(&mut self) -> Result<Point, String> {
        Ok(Point::new(self.abs()?, self.abs()?))
    }
    fn str(&mut self) -> Result<String, String> {
        let n = self.count()?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::{Reader, Writer};

    #[test]
    fn numbers_read_back_as_written_and_a_damaged_count_is_refused() {
        let values = [0usize, 1, 127, 128, 300, 65_535, 1 << 40, usize::MAX];
        let mut w = Writer::default();
        for v in values {
            w.usize(v);
        }
        w.str("长城 cháng");
        let mut r = Reader { bytes: &w.0, at: 0 };
        for v in values {
            assert_eq!(r.usize().unwrap(), v);
        }
        assert_eq!(r.str().unwrap(), "长城 cháng");
        assert_eq!(r.at, w.0.len());
        // A count larger than the bytes that follow (a flipped bit) is an error, not an
        // allocation of that size.
        let mut w = Writer::default();
        w.usize(1 << 40);
        w.u8(0);
        assert!(Reader { bytes: &w.0, at: 0 }.count().is_err());
        assert!(Reader { bytes: &[0x80, 0x80], at: 0 }.usize().is_err(), "cut short");
    }
}
