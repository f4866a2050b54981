//! Typesetting: a Typst `World` that sees only the rendered book, the project's templates folder
//! and the bundled fonts, compiled in-process and exported to PDF.
//!
//! Nothing here reads the clock or the system's fonts: the date comes from the edition and the
//! fonts from `fonts/` plus the Latin fonts embedded in typst-kit, so every machine produces the
//! same bytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Dict, Duration, IntoValue, Smart, Str};
use typst::layout::{Abs, Sides};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::config::{Date, Print};
use crate::error::AppError;
use crate::plan::PdfPreset;

/// The font families `templates/yearbook.typ` sets text in.
pub const REQUIRED_FAMILIES: [&str; 3] = ["Noto Serif SC", "Noto Sans SC", "Libertinus Serif"];

/// The fonts the book may use, loaded once.
pub struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    /// Stands for the fonts' bytes in the key of a laid-out part (see [`YearbookWorld::fingerprint`]):
    /// each file's name, length and time of change, and the embedded fonts' faces. Hashing
    /// the 50 MB themselves would cost every build a read of all of them.
    identity: u128,
}

impl Fonts {
    /// Every font file in `dir` (ttf, otf, ttc, otc) plus typst-kit's embedded Latin fonts.
    pub fn load(dir: &Path) -> Result<Fonts, AppError> {
        Fonts::load_with(dir, typst_kit::fonts::embedded().map(|(font, _)| font).collect())
    }

    /// The fonts of `dir` with `embedded` in place of the fonts built into the binary (a bag's
    /// own copies of those that set its book).
    pub fn load_with(dir: &Path, embedded: Vec<Font>) -> Result<Fonts, AppError> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|source| AppError::Io { action: "list the fonts folder", path: dir.to_path_buf(), source })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| matches!(x.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc" | "otc"))
            })
            .collect();
        paths.sort();
        // Each file mapped and parsed on a thread of its own (where the system gives one): the
        // four CJK fonts are 50 MB, and their parsing was a tenth of a small edition's build.
        let parsed = crate::workers::map(paths.len(), &paths, |path| {
            let io = |source| AppError::Io { action: "read the font", path: path.clone(), source };
            let file = std::fs::File::open(path).map_err(io)?;
            // SAFETY: the font files are the project's own, not written while a build runs;
            // mapped, only the pages of the glyphs a book uses are read (of 50 MB), where
            // reading the files whole copied all of it.
            let data = match unsafe { memmap2::Mmap::map(&file) } {
                Ok(mapped) => Bytes::new(mapped),
                // Where mapping is refused (an address-space limit, a file system without it),
                // read whole; out of memory then says so clearly.
                Err(_) => Bytes::new(std::fs::read(path).map_err(io)?),
            };
            Ok::<Vec<Font>, AppError>(Font::iter(data).collect())
        });
        let mut fonts = Vec::new();
        for file in parsed {
            fonts.extend(file?);
        }
        fonts.extend(embedded);
        let book = LazyHash::new(FontBook::from_fonts(&fonts));
        // Without them every Chinese character would count as unprintable and be blamed on the
        // data; Libertinus Serif comes embedded, the Noto families only from the folder.
        let missing: Vec<String> = REQUIRED_FAMILIES
            .iter()
            .filter(|family| !book.contains_family(&family.to_lowercase()))
            .map(|family| family.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(AppError::Fonts { dir: dir.to_path_buf(), missing });
        }
        let files: Vec<(String, u64, Option<std::time::SystemTime>)> = paths
            .iter()
            .map(|p| {
                let meta = std::fs::metadata(p).ok();
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                (name, meta.as_ref().map_or(0, std::fs::Metadata::len), meta.and_then(|m| m.modified().ok()))
            })
            .collect();
        let faces: Vec<_> =
            fonts.iter().map(|f| (f.info().family.as_str(), f.info().variant, f.data().len())).collect();
        let identity = typst::utils::hash128(&(files, faces));
        Ok(Fonts { book, fonts, identity })
    }

    /// Whether any bundled font has a glyph for `c` (spaces and controls count as printable).
    pub fn covers(&self, c: char) -> bool {
        c.is_whitespace() || self.fonts.iter().any(|f| f.info().coverage.contains(c as u32))
    }
}

/// The Typst standards a preset claims.
fn standards(preset: PdfPreset) -> Vec<PdfStandard> {
    match preset {
        PdfPreset::Plain => vec![],
        PdfPreset::A2b => vec![PdfStandard::A_2b],
        PdfPreset::A3bUa => vec![PdfStandard::A_3b, PdfStandard::Ua_1],
    }
}

/// A compilation input: the rendered main file, the templates folder, fonts and the date.
pub struct YearbookWorld<'a> {
    library: LazyHash<Library>,
    fonts: &'a Fonts,
    main: FileId,
    main_text: String,
    /// Parsed on first use: a book typeset in parts never parses the whole source (35 MB of
    /// source for 300 cities took 480 MB as a syntax tree).
    main_source: std::sync::OnceLock<Source>,
    root: PathBuf,
    today: Datetime,
    /// Files served from the templates folder, cached because the compiler asks repeatedly
    /// (shared by the worlds of a book's parts).
    cache: Arc<Mutex<HashMap<FileId, FileResult<Bytes>>>>,
    /// Where the main source's lines are in the whole book's source, for a part.
    lines: Option<LineMap>,
    /// Files that exist only in memory (attachments of the archive edition).
    virtual_files: HashMap<FileId, Bytes>,
    /// See [`YearbookWorld::fingerprint`].
    fingerprint: u128,
}

impl<'a> YearbookWorld<'a> {
    /// `inputs` become `sys.inputs` (the edition's language, for instance).
    pub fn new(
        main_text: String,
        templates_dir: &Path,
        fonts: &'a Fonts,
        date: Date,
        inputs: &[(&str, &str)],
    ) -> YearbookWorld<'a> {
        let fingerprint = typst::utils::hash128(&(
            env!("CARGO_PKG_VERSION"),
            env!("YEARBOOK_COMMIT"),
            fonts.identity,
            (date.year, date.month, date.day),
            inputs,
            folder_contents(templates_dir),
        ));
        let inputs: Dict = inputs.iter().map(|(k, v)| (Str::from(*k), v.into_value())).collect();
        let main = RootedPath::new(VirtualRoot::Project, VirtualPath::new("/main.typ").expect("a valid virtual path"))
            .intern();
        YearbookWorld {
            fingerprint,
            library: LazyHash::new(Library::builder().with_inputs(inputs).build()),
            fonts,
            main,
            main_text,
            main_source: std::sync::OnceLock::new(),
            root: templates_dir.to_path_buf(),
            today: Datetime::from_ymd(date.year, date.month, date.day)
                .unwrap_or(Datetime::from_ymd(2000, 1, 1).expect("a valid date")),
            cache: Arc::new(Mutex::new(HashMap::new())),
            virtual_files: HashMap::new(),
            lines: None,
        }
    }

    /// The same inputs with another main source: one part of the book, under its own path so
    /// that no location in it repeats one of another part.
    pub fn part(&self, path: &str, text: String, lines: LineMap) -> YearbookWorld<'a> {
        let main =
            RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).expect("a valid virtual path")).intern();
        YearbookWorld {
            library: self.library.clone(),
            fonts: self.fonts,
            main,
            main_text: text,
            main_source: std::sync::OnceLock::new(),
            root: self.root.clone(),
            today: self.today,
            cache: Arc::clone(&self.cache),
            virtual_files: self.virtual_files.clone(),
            fingerprint: self.fingerprint,
            lines: Some(lines),
        }
    }

    fn parsed_main(&self) -> &Source {
        self.main_source.get_or_init(|| Source::new(self.main, self.main_text.clone()))
    }

    /// The main source.
    /// Everything a part's pages depend on besides its own source: the binary that lays it out,
    /// the fonts, the date and inputs, and every file of the templates folder (the source
    /// imports from there). Two parts of the same source and fingerprint lay out to the same
    /// pages. The in-memory files (the archive edition's attachments) are not in it: only the
    /// back matter reads them, and it is always laid out.
    pub fn fingerprint(&self) -> u128 {
        self.fingerprint
    }

    /// The fonts, in the order the compiler knows them by.
    pub fn fonts(&self) -> &[Font] {
        &self.fonts.fonts
    }

    pub fn main_text(&self) -> &str {
        &self.main_text
    }

    /// Takes the main source out, leaving it empty (a book laid out in parts holds each part's
    /// source on its own; see `parts::Options::free_source`).
    pub fn take_main_text(&mut self) -> String {
        std::mem::take(&mut self.main_text)
    }

    /// The rendered main source, given back once compilation is done.
    pub fn into_main_text(self) -> String {
        self.main_text
    }

    /// Serves `bytes` at the absolute virtual path `path` (e.g. `/attachments/data.toml`).
    pub fn add_virtual_file(&mut self, path: &str, bytes: Vec<u8>) -> Result<(), AppError> {
        let vpath = VirtualPath::new(path)
            .map_err(|e| AppError::typeset(format!("invalid attachment path `{path}`: {e:?}")))?;
        self.virtual_files.insert(RootedPath::new(VirtualRoot::Project, vpath).intern(), Bytes::new(bytes));
        Ok(())
    }

    fn read(&self, id: FileId) -> FileResult<Bytes> {
        if let Some(bytes) = self.virtual_files.get(&id) {
            return Ok(bytes.clone());
        }
        if id.root() != &VirtualRoot::Project {
            return Err(FileError::Other(Some(
                "Typst packages are not available: the yearbook builds offline from templates/".into(),
            )));
        }
        let mut cache = self.cache.lock().map_err(|_| FileError::Other(None))?;
        cache
            .entry(id)
            .or_insert_with(|| {
                let path = id.vpath().realize(&self.root).map_err(FileError::Realize)?;
                std::fs::read(&path).map(Bytes::new).map_err(|e| FileError::from_io(e, &path))
            })
            .clone()
    }

    /// `file:line:col` of a diagnostic's span, and the source line, for messages.
    fn locate(&self, d: &SourceDiagnostic) -> Option<(String, usize, usize, String)> {
        let id = d.span.id()?;
        let range = self.range(d.span)?;
        let source = self.source(id).ok()?;
        let (line, col) = source.lines().byte_to_line_column(range.start)?;
        let text = source.text().lines().nth(line).unwrap_or("").to_string();
        let name = if id == self.main {
            let line = self.lines.as_ref().map_or(line, |map| map.whole_line(line));
            return Some(("main.typ (rendered)".to_string(), line + 1, col + 1, text));
        } else {
            format!("{}{}", self.root.display(), id.vpath().get_with_slash())
        };
        Some((name, line + 1, col + 1, text))
    }

    /// Human-readable diagnostics, one block each.
    pub fn describe(&self, diagnostics: &[SourceDiagnostic]) -> String {
        let mut out = String::new();
        for d in diagnostics {
            let level = if d.severity == Severity::Error { "error" } else { "warning, treated as an error" };
            match self.locate(d) {
                Some((file, line, col, text)) => {
                    out.push_str(&format!("{file}:{line}:{col}: {level}: {}\n  | {}\n", d.message, text.trim_end()));
                }
                None => out.push_str(&format!("{level}: {}\n", d.message)),
            }
            for hint in &d.hints {
                out.push_str(&format!("  hint: {}\n", hint.v));
            }
            for point in &d.trace {
                out.push_str(&format!("  trace: {}\n", point.v));
            }
        }
        out
    }
}

impl World for YearbookWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main {
            return Ok(self.parsed_main().clone());
        }
        let bytes = self.read(id)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.trim_start_matches('\u{feff}').to_string()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main {
            return Ok(Bytes::from_string(self.main_text.clone()));
        }
        self.read(id)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

/// Where a part's lines come from: its first `preamble_lines` are the book's preamble, then
/// its own prologue up to `header_lines`, then the segment that starts at `segment_line` of the
/// whole source.
#[derive(Debug, Clone)]
pub struct LineMap {
    pub preamble_lines: usize,
    pub header_lines: usize,
    pub segment_line: usize,
}

impl LineMap {
    /// The 0-based line of the whole source; a prologue line is given as the segment's first.
    fn whole_line(&self, line: usize) -> usize {
        if line < self.preamble_lines {
            line
        } else if line < self.header_lines {
            self.segment_line
        } else {
            line - self.header_lines + self.segment_line
        }
    }
}

/// Every file under `dir`, by its path there, with its bytes (a folder that cannot be read
/// gives what could be: a part laid out from it is then laid out again, never reused wrongly).
fn folder_contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => folders.push(path),
                Ok(_) => {
                    let bytes = std::fs::read(&path).unwrap_or_default();
                    files.push((path.strip_prefix(dir).unwrap_or(&path).to_path_buf(), bytes));
                }
                Err(_) => {}
            }
        }
    }
    files.sort();
    files
}

/// Lays out the world. Warnings are errors: an unknown font family or a missing glyph must
/// never reach print.
pub fn compile(world: &YearbookWorld) -> Result<PagedDocument, AppError> {
    let warned = typst::compile::<PagedDocument>(world);
    match warned.output {
        Ok(doc) if warned.warnings.is_empty() => Ok(doc),
        Ok(_) => Err(AppError::typeset(world.describe(&warned.warnings))),
        Err(errors) => {
            let mut all: Vec<SourceDiagnostic> = errors.to_vec();
            all.extend(warned.warnings.iter().cloned());
            Err(AppError::typeset(world.describe(&all)))
        }
    }
}

/// Where a table landed: the page number printed on its page, and the page's position in the
/// PDF (which counts the front matter too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TablePage {
    pub printed: u64,
    pub pdf: usize,
}

/// Table number (`3-1`) → where the table starts.
pub type TablePages = std::collections::BTreeMap<String, TablePage>;

/// The pages of the tables `numbers`, read from the document: the templates put a
/// `table-start-<number>` label where each table starts. A table without its label is a
/// template out of step with the book, reported, never guessed.
pub fn table_pages<'n>(
    document: &PagedDocument,
    numbers: impl Iterator<Item = &'n str>,
) -> Result<TablePages, AppError> {
    use typst::foundations::{Label, Selector};
    use typst::introspection::Introspector;
    use typst::utils::PicoStr;
    let introspector = document.introspector();
    let mut pages = TablePages::new();
    for number in numbers {
        let name = format!("{}{number}", crate::print::contract::LABEL_TABLE_START);
        let located = Label::new(PicoStr::intern(&name))
            .map(|label| introspector.query(&Selector::Label(label)))
            .and_then(|found| found.first().and_then(|c| c.location()))
            .and_then(|loc| introspector.page(loc));
        let Some(pdf) = located else {
            return Err(AppError::Internal(format!(
                "table {number} has no `<{name}>` label in the typeset book (templates/yearbook.typ, stat-table)"
            )));
        };
        let printed = document.pages().get(pdf.get() - 1).map_or(pdf.get() as u64, |p| p.number);
        pages.insert(number.to_string(), TablePage { printed, pdf: pdf.get() });
    }
    Ok(pages)
}

/// Every page carries the bleed of `[print] bleed`: a project's own templates that do not pass
/// `print.bleed_mm` to the page would otherwise print without it, unseen until the print shop
/// sends the file back. (Without a bleed asked for, the templates may set their own.)
pub fn check_bleed(document: &PagedDocument, print: Print, templates: &Path) -> Result<(), AppError> {
    if print.bleed_mm == 0.0 {
        return Ok(());
    }
    let want = Abs::mm(print.bleed_mm);
    let off = |b: &Sides<Abs>| [b.left, b.top, b.right, b.bottom].iter().any(|s| (*s - want).abs() > Abs::pt(0.01));
    match document.pages().iter().position(|p| off(&p.bleed)) {
        None => Ok(()),
        Some(i) => {
            let b = document.pages()[i].bleed;
            Err(AppError::Template(format!(
                "[print] bleed in yearbook.toml asks for {} mm on every side of every page, but page {} of the PDF \
                 has {:.2} mm at the top and {:.2} mm at the left: the templates in `{}` must set the page's bleed \
                 from `print.bleed_mm` (the shipped main.typ.j2 passes it to `setup`; see docs/templates.md)",
                print.bleed_mm,
                i + 1,
                b.top.to_mm(),
                b.left.to_mm(),
                templates.display()
            )))
        }
    }
}

/// Exports a laid-out document as a PDF of the given standard, dated by the edition.
pub fn export_pdf(
    world: &YearbookWorld,
    document: &PagedDocument,
    preset: PdfPreset,
    ident: &str,
    date: Date,
) -> Result<Vec<u8>, AppError> {
    let standards = PdfStandards::new(&standards(preset)).map_err(|e| AppError::typeset(e.message().to_string()))?;
    let timestamp = Datetime::from_ymd_hms(date.year, date.month, date.day, 0, 0, 0).map(Timestamp::new_utc);
    let options = PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some(format!("yearbook {}", env!("CARGO_PKG_VERSION")))),
        timestamp,
        standards,
        tagged: preset.tagged(),
        ..PdfOptions::default()
    };
    typst_pdf::pdf(document, &options)
        .map(crate::print::pdf_eol::unambiguous_stream_ends)
        .map(crate::print::pdf_boxes::bleed_boxes)
        .map_err(|errors| AppError::typeset(world.describe(&errors)))
}
