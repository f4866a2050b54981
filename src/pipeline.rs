//! The pipeline every command shares: a plan in, the edition's artifacts out, in memory.
//! Nothing here writes a file, prints or exits; `build`, and the commands that come after it,
//! decide what to do with the artifacts.

use std::time::{Duration, Instant};

use minijinja::Environment;

use crate::book::diff;
use crate::book::{self, Book};
use crate::config::Config;
use crate::diagnostics::{self, Diagnostic, SourceFiles};
use crate::error::AppError;
use crate::load::{Catalogue, Edition, Loader};
use crate::plan::Plan;
use crate::print::render::{self, Attachment};
use crate::print::typeset::{self, Fonts, TablePages, YearbookWorld};
use crate::print::{parts, workbook};
use crate::progress::{Progress, Step};
use crate::{resolve, trace, validate};

/// What outlives one build: the parsed fonts and the template environment (a watcher keeps it),
/// and where progress goes.
pub struct Engine {
    pub fonts: Fonts,
    pub templates: Environment<'static>,
    pub progress: Option<Box<Progress>>,
    /// Keep the compiler's caches between the parts of the book and across builds (watch: the
    /// next build reuses them); otherwise they are freed after each part, which bounds memory.
    pub keep_caches: bool,
    /// The body parts laid out by the last build, reused by the next where their source and
    /// fingerprint are the same (a watcher keeps them; see [`parts::Laidout`]).
    pub parts: parts::Laidout,
    /// Keep the body parts' pages on disk, in the output folder's hidden `.yearbook-cache`, for
    /// the next build (`build` and `watch`; never a rebuild that checks an archive).
    pub layout_cache: bool,
    /// The city files the last check parsed (a watcher keeps them: an edit to one city parses
    /// that file alone); `None` parses every file.
    pub cities: std::sync::Mutex<Option<crate::load::CityMemo>>,
}

impl Engine {
    /// Loads the fonts and templates the configuration names, and fails early, with the folder
    /// named, when either is missing or a template does not parse.
    pub fn new(config: &Config) -> Result<Engine, AppError> {
        let fonts = Fonts::load(&config.fonts_dir)?;
        let templates = render::environment(&config.templates_dir)?;
        Ok(Engine {
            fonts,
            templates,
            progress: None,
            keep_caches: false,
            parts: parts::Laidout::default(),
            layout_cache: false,
            cities: std::sync::Mutex::new(None),
        })
    }
}

/// How long each stage of a run took, in order, and the memory the process held after it (MiB,
/// where the system says): for `--timings` and the benchmarks.
#[derive(Debug, Clone, Default)]
pub struct Timings(pub Vec<(&'static str, Duration, Option<u64>)>);

impl Timings {
    /// One line per stage, as `--timings` prints them.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.0.iter().map(|(stage, took, rss)| {
            let held = rss.map(|m| format!("  {m:>6} MiB held after")).unwrap_or_default();
            format!("  {stage:<9} {:>8.1} ms{held}", took.as_secs_f64() * 1000.0)
        })
    }
}

/// Times the stages of one call and reports each as it starts.
struct Stopwatch<'a> {
    timings: Timings,
    progress: Option<&'a Progress>,
}

impl<'a> Stopwatch<'a> {
    fn new(engine: &'a Engine) -> Stopwatch<'a> {
        Stopwatch { timings: Timings::default(), progress: engine.progress.as_deref() }
    }

    fn time<T>(&mut self, stage: &'static str, f: impl FnOnce() -> T) -> T {
        crate::progress::report(self.progress, Step::Stage(stage));
        let start = Instant::now();
        let out = f();
        self.timings.0.push((stage, start.elapsed(), crate::alloc::resident_mib()));
        out
    }
}

/// The edition's inputs, read and checked.
pub struct Checked {
    pub files: SourceFiles,
    pub catalogue: Catalogue,
    pub edition: Edition,
    /// The previous year's edition, when its data exist.
    pub previous: Option<Edition>,
    pub diagnostics: Vec<Diagnostic>,
    pub timings: Timings,
}

impl Checked {
    pub fn errors(&self) -> usize {
        diagnostics::count(&self.diagnostics).0
    }

    pub fn warnings(&self) -> usize {
        diagnostics::count(&self.diagnostics).1
    }
}

/// Reads the catalogue and the plan's edition, and runs every rule: all that `build` would
/// reject is found here, so `check` and `build` cannot disagree.
pub fn check(plan: &Plan, engine: &Engine) -> Result<Checked, AppError> {
    let mut timings = Stopwatch::new(engine);
    let mut loader = Loader::new(&plan.config.root);
    let memo = || engine.cities.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    loader.memo = memo().take();
    let loaded = timings.time("load", || {
        let catalogue = loader.catalogue(&plan.data_dir)?;
        let edition = loader.edition(&plan.data_dir, plan.year)?;
        // The previous edition is printed from too (last year's figures), so it is checked as well.
        let previous = plan.previous.map(|year| loader.edition(&plan.data_dir, year)).transpose()?;
        Ok::<_, AppError>((catalogue, edition, previous))
    });
    // Kept whatever the outcome: a folder that could not be listed this time may be back next.
    if let Some(mut kept) = loader.memo.take() {
        kept.end_load();
        *memo() = Some(kept);
    }
    let (catalogue, edition, previous) = loaded?;
    let covered = |c| engine.fonts.covers(c);
    let found = timings.time("validate", || {
        let mut found = validate::validate(&loader, &catalogue, &edition, &covered);
        // The previous edition's rules repeat the catalogue's findings: keep each finding once.
        if let Some(previous) = &previous {
            for d in validate::validate(&loader, &catalogue, previous, &covered) {
                if !found.iter().any(|f| f.file == d.file && f.span == d.span && f.rule == d.rule) {
                    found.push(d);
                }
            }
        }
        if let Some(previous) = &previous {
            found.extend(validate::unit_changes(&catalogue, &edition, previous));
        }
        found.extend(validate::print_headers(&catalogue, &plan.config.title.zh, plan.year));
        found.extend(validate::mail_names(&catalogue, &edition, &crate::load::cities_of_every_edition(&plan.data_dir)));
        found
    });
    let mut diagnostics = loader.diagnostics;
    diagnostics.extend(found);
    let mut files = loader.files;
    let config_file = files.add(display_config_name(plan), plan.config.text.clone());
    for text in &plan.config.printed {
        diagnostics.extend(validate::printed_text(config_file, text, &covered));
    }
    // What `mail --collect` would refuse; the requests would be for the year after this edition.
    diagnostics.extend(crate::collect::mail::check(&plan.config, &catalogue, config_file, plan.year.next()));
    if let Some(dir) = &plan.sources_dir {
        diagnostics.extend(timings.time("trace", || trace::trace(&files, &catalogue, &edition, dir))?);
    }
    Ok(Checked { files, catalogue, edition, previous, diagnostics, timings: timings.timings })
}

fn display_config_name(plan: &Plan) -> String {
    crate::load::display_name(&plan.config.path, &plan.config.root)
}

/// One build's results, in memory.
pub struct Artifacts {
    pub book: Book,
    pub pdf: Vec<u8>,
    pub xlsx: Vec<u8>,
    /// The rendered Typst source the PDF was compiled from; `None` when it was freed part by
    /// part during the layout (a book typeset in parts, without `--keep-typ`).
    pub typ: Option<String>,
    pub timings: Timings,
    /// Where each table starts in the PDF, read from the typeset document.
    pub pages: TablePages,
    /// What the layout did with the cache on disk, where it used one.
    pub layout_cache: Option<parts::DiskReport>,
}

impl Artifacts {
    /// The files of the edition folder, named as the plan says.
    pub fn files(self, plan: &Plan) -> Vec<(String, Vec<u8>)> {
        let mut files = vec![(plan.output.pdf.clone(), self.pdf), (plan.output.xlsx.clone(), self.xlsx)];
        if let Some(typ) = self.typ.filter(|_| plan.keep_typ) {
            files.push((plan.output.typ.clone(), typ.into_bytes()));
        }
        files
    }
}

/// What changed since the previous edition (none when there is none beside this one).
pub fn changes(checked: &Checked) -> Result<diff::EditionDiff, AppError> {
    let Some(previous) = &checked.previous else {
        return Err(AppError::Usage("there is no previous edition to compare with".into()));
    };
    let mut current = resolve::resolve(&checked.files, &checked.catalogue, &checked.edition)?;
    let previous = resolve::resolve(&checked.files, &checked.catalogue, previous)?;
    resolve::join_previous(&mut current, &previous);
    Ok(diff::diff(&previous, &current))
}

/// The book of checked inputs, and the time each stage took: what the web edition is written
/// from, without typesetting.
pub fn book(plan: &Plan, engine: &Engine, checked: &Checked) -> Result<(Book, Timings), AppError> {
    let mut timings = Stopwatch::new(engine);
    let book = laid_out(plan, checked, &mut timings)?;
    Ok((book, timings.timings))
}

/// Resolves checked inputs and lays out the book; refuses data with errors and unknown cities.
fn laid_out(plan: &Plan, checked: &Checked, timings: &mut Stopwatch<'_>) -> Result<Book, AppError> {
    let errors = checked.errors();
    if errors > 0 {
        return Err(AppError::Data { errors });
    }
    let known: Vec<&str> = checked.edition.cities.iter().map(|c| c.city.id.get_ref().as_str()).collect();
    if let Some(unknown) = plan.cities.iter().find(|id| !known.contains(&id.as_str())) {
        return Err(AppError::Usage(format!(
            "there is no city `{unknown}` in the {} edition (cities: {})",
            plan.year,
            known.join(", ")
        )));
    }
    let (resolved, changes) = timings.time("resolve", || {
        let mut resolved = resolve::resolve(&checked.files, &checked.catalogue, &checked.edition)?;
        let previous = match &checked.previous {
            Some(edition) => Some(resolve::resolve(&checked.files, &checked.catalogue, edition)?),
            None => None,
        };
        let changes = previous.as_ref().map(|previous| {
            resolve::join_previous(&mut resolved, previous);
            diff::diff(previous, &resolved)
        });
        Ok::<_, AppError>((resolved, changes))
    })?;
    let book = timings.time("book", || book::build(&plan.config, &resolved, &plan.cities, changes));
    // The book holds what the rest needs; a large edition's figures are not kept twice.
    drop(resolved);
    if book.chapters.is_empty() {
        return Err(AppError::Usage(format!("the {} edition has no figures to print", plan.year)));
    }
    Ok(book)
}

/// Turns checked inputs into the edition: book, workbook, Typst source and PDF.
pub fn build_once(plan: &Plan, engine: &Engine, checked: &Checked) -> Result<Artifacts, AppError> {
    let prepared = prepare(plan, engine, checked)?;
    typeset(plan, engine, prepared)
}

/// A book ready to be typeset: all the rest of a build needs of the checked inputs, so that a
/// caller that has no further use for them frees them before the layout (at 2,000 cities the
/// data are about 0.3 GiB).
pub struct Prepared {
    book: Book,
    attachments: Vec<Attachment>,
    attached: Vec<Vec<u8>>,
    timings: Timings,
}

/// The book of checked inputs, and the archive edition's attachments.
pub fn prepare(plan: &Plan, engine: &Engine, checked: &Checked) -> Result<Prepared, AppError> {
    let mut timings = Stopwatch::new(engine);
    let book = laid_out(plan, checked, &mut timings)?;

    // The archive edition carries its own sources: every data file read, and the workbook.
    let mut attachments = Vec::new();
    let mut attached = Vec::new();
    if plan.pdf.attaches_sources() {
        for (name, file) in input_files(checked) {
            // Flat, recognisable names: `sanmenxia.toml`, `catalogue-units.toml`.
            // The previous edition's files keep their year: `2024-wuwei.toml`.
            let flat =
                name.replace("catalogue/", "catalogue-").replace(&format!("{}/", plan.year), "").replace('/', "-");
            attachments.push(Attachment {
                path: format!("/{flat}"),
                relationship: "source",
                mime: "application/toml",
                // Relative to the data folder: the bytes must not depend on where the checkout lives.
                description: format!("Edition data 年鉴数据: data/{name}"),
            });
            attached.push(checked.files.text(file).as_bytes().to_vec());
        }
        attachments.push(Attachment {
            path: format!("/{}", plan.output.xlsx),
            relationship: "data",
            mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            description: format!("Workbook of the {} edition, one sheet per sector 分领域数据工作簿", plan.year),
        });
        // Filled in once the tables' pages are known (an attachment takes no room on a page).
        attached.push(Vec::new());
    }
    Ok(Prepared { book, attachments, attached, timings: timings.timings })
}

/// Typesets a prepared book: its Typst source, PDF and workbook.
pub fn typeset(plan: &Plan, engine: &Engine, prepared: Prepared) -> Result<Artifacts, AppError> {
    let Prepared { book, attachments, attached, timings: before } = prepared;
    let mut timings = Stopwatch::new(engine);
    timings.timings = before;

    let in_parts = parts::in_parts(plan.config.typeset.parts, book.indicator_count);
    let cuts = if in_parts {
        render::Cuts { rows: plan.config.typeset.part_rows.get(), cities: plan.config.typeset.part_cities.get() }
    } else {
        render::Cuts::NONE
    };
    let render = || {
        render::render(
            &engine.templates,
            &plan.config.templates_dir,
            &book,
            plan.lang,
            &attachments,
            cuts,
            plan.config.print,
        )
    };
    let source = timings.time("render", render)?;
    if in_parts && !engine.keep_caches {
        // The template's copy of the book is freed now, on this thread; the parts are laid out
        // on others, which would not reuse that memory. It goes back to the system.
        crate::alloc::release_free_memory();
    }
    let mut world = YearbookWorld::new(
        source,
        &plan.config.templates_dir,
        &engine.fonts,
        plan.config.date,
        &[("lang", plan.lang.code())],
    );
    for (a, bytes) in attachments.iter().zip(attached) {
        world.add_virtual_file(&a.path, bytes)?;
    }
    let workbook_path = attachments.last().map(|a| a.path.as_str());
    let twice = workbook_path.is_some() && plan.pdf.attaches_sources();
    let own;
    let laid = if engine.parts.keeps() {
        &engine.parts
    } else {
        own = if twice { parts::Laidout::keeping() } else { parts::Laidout::default() };
        &own
    };
    // The source is freed part by part as the layout goes, unless it is kept or laid out again;
    // a failure's message points into it, so it is then rendered again (the same text).
    let free_source = in_parts && !twice && !plan.keep_typ;
    let options = parts::Options { evict: !engine.keep_caches, in_parts, tagged: plan.pdf.tagged(), free_source };
    laid.use_disk(engine.layout_cache.then(|| plan.output.layout_cache()));
    let typeset = typeset_with_workbook(plan, &book, &mut world, workbook_path, options, laid, &mut timings);
    laid.prune();
    let layout_cache = laid.disk_report();
    let rendered = world.into_main_text();
    let (pdf, workbook, pages) = match typeset {
        Ok(done) => done,
        Err(AppError::Typeset(mut failure)) => {
            let rendered = if free_source { render()? } else { rendered };
            failure.rendered = Some(parts::kept_source(rendered, laid));
            return Err(AppError::Typeset(failure));
        }
        Err(other) => return Err(other),
    };
    let typ = (!free_source).then(|| parts::kept_source(rendered, laid));
    Ok(Artifacts { book, pdf, xlsx: workbook, typ, timings: timings.timings, pages, layout_cache })
}

/// Lays the book out, writes the workbook with the pages its tables landed on, and exports the
/// PDF; the archive edition (`workbook_path`) gets the finished workbook attached, which needs
/// a second, memoised compilation.
fn typeset_with_workbook(
    plan: &Plan,
    book: &Book,
    world: &mut YearbookWorld,
    workbook_path: Option<&str>,
    options: parts::Options,
    earlier: &parts::Laidout,
    timings: &mut Stopwatch<'_>,
) -> Result<(Vec<u8>, Vec<u8>, TablePages), AppError> {
    let progress = timings.progress;
    let document = timings.time("layout", || parts::layout(world, options, earlier, progress))?;
    typeset::check_bleed(&document, plan.config.print, &plan.config.templates_dir)?;
    let numbers =
        book.chapters.iter().flat_map(|c| std::iter::once(&c.detail).chain(&c.comparison)).map(|t| t.number.as_str());
    let pages = typeset::table_pages(&document, numbers)?;
    let ident = plan.output.pdf.trim_end_matches(".pdf");
    let export =
        |world: &YearbookWorld, document| typeset::export_pdf(world, document, plan.pdf, ident, plan.config.date);
    let (pdf, workbook) = match workbook_path.filter(|_| plan.pdf.attaches_sources()) {
        // The archive edition carries the workbook: it comes first, then the book is typeset
        // again with it attached (whole: memoised; in parts: the body parts are reused; either
        // way only the back matter, which holds the attachments, is laid out again).
        Some(path) => {
            drop(document);
            let workbook = timings.time("workbook", || workbook::workbook(book, &pages))?;
            world.add_virtual_file(path, workbook.clone())?;
            let document = timings.time("layout", || parts::layout(world, options, earlier, progress))?;
            (timings.time("pdf", || export(world, &document))?, workbook)
        }
        // A watcher waits for both: the workbook is written while the PDF is exported (a
        // third of a second of a national rebuild's two).
        None if !options.evict => {
            let (pdf, workbook) =
                timings.time("pdf+xlsx", || both(|| export(world, &document), || workbook::workbook(book, &pages)));
            (pdf?, workbook?)
        }
        // Otherwise the PDF first: the pages of a large book are freed before the workbook is
        // written, which lowers the peak memory.
        None => {
            let pdf = timings.time("pdf", || export(world, &document))?;
            drop(document);
            (pdf, timings.time("workbook", || workbook::workbook(book, &pages))?)
        }
    };
    Ok((pdf, workbook, pages))
}

/// `a` and `b` at once: `b` on a thread of its own, or after `a` where the system gives none.
fn both<A, B: Send>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    let b = std::sync::Mutex::new(Some(b));
    let run_b = || b.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take().map(|b| b());
    std::thread::scope(|scope| {
        let other = std::thread::Builder::new().spawn_scoped(scope, run_b).ok();
        let a = a();
        let made = match other {
            Some(other) => other.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
            None => run_b(),
        };
        (a, made.expect("`b` runs once, on one thread or the other"))
    })
}

/// The data files of the edition in a fixed order, catalogue then cities, each with its path
/// relative to the data folder.
pub fn input_files(checked: &Checked) -> Vec<(String, usize)> {
    let c = &checked.catalogue;
    let catalogue = [
        ("sectors", c.sectors.as_ref().map(|p| p.file)),
        ("departments", c.departments.as_ref().map(|p| p.file)),
        ("units", c.units.as_ref().map(|p| p.file)),
        ("sources", c.sources.as_ref().map(|p| p.file)),
        ("terms", c.terms.as_ref().map(|p| p.file)),
    ];
    let year = checked.edition.year;
    catalogue
        .into_iter()
        .filter_map(|(name, file)| file.map(|f| (format!("catalogue/{name}.toml"), f)))
        .chain(checked.edition.cities.iter().map(|c| (format!("{year}/{}.toml", c.stem), c.file)))
        .chain(
            checked
                .previous
                .iter()
                .flat_map(|p| p.cities.iter().map(move |c| (format!("{}/{}.toml", p.year, c.stem), c.file))),
        )
        .collect()
}
