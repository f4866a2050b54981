//! The bag's format, written and read here only: where every payload file sits ([`BagLayout`]),
//! what `bag-info.txt` says ([`BagInfo`], typed both ways), the fonts and their hashes, the
//! payload of an edition, and how a bag lands in the archive folder.
//!
//! Landing: a new bag lands through `output::land_edition` like an edition. A bag that replaces
//! another (`archive --force`) is staged complete beside it, renamed to
//! `.yearbook-replacing-<dated name>`, swapped with the old bag in one
//! `renameat2(RENAME_EXCHANGE)`, and the old bag, now under the `replacing` name, gets its dated
//! name `<year>.replaced-<date>[-n]`. At every moment `<year>` holds a complete bag. A kill
//! leaves at most a staging folder (removed by the next run) or a `replacing` folder, which the
//! next run resolves by its bag-info: the new bag names the dated name it replaces, so if the
//! `replacing` folder says so, the swap never happened and it is removed; otherwise it is the old
//! bag and takes its dated name. The replacement's reason is in the new bag's bag-info, which is
//! in place from the swap on, so it cannot be lost.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use time::Date;
use time::macros::format_description;

use super::Editions;
use crate::config::Config;
use crate::error::AppError;
use crate::output::{self, OutputLock, sha256_hex};
use crate::pipeline::{self, Checked};
use crate::plan::Plan;
use crate::year::Year;

/// Where each file of a bag sits. Payload paths are relative to `data/`, `/` between folders.
pub struct BagLayout;

impl BagLayout {
    /// The payload folder of a bag.
    pub const PAYLOAD: &'static str = "data";
    pub const BAGIT: &'static str = "bagit.txt";
    pub const BAG_INFO: &'static str = "bag-info.txt";
    pub const MANIFEST: &'static str = "manifest-sha256.txt";
    pub const TAG_MANIFEST: &'static str = "tagmanifest-sha256.txt";
    /// The sources that built the edition.
    pub const SOURCE: &'static str = "source";
    /// Each department's workbook and `manifest.csv`.
    pub const DEPARTMENTS: &'static str = "departments";
    /// Every font of the fonts folder, with its licence texts.
    pub const FONTS: &'static str = "fonts";
    /// The fonts built into the binary, with their licence notice.
    pub const EMBEDDED_FONTS: &'static str = "fonts/embedded";
    /// The SHA-256 of every font the book was set in.
    pub const FONT_HASHES: &'static str = "fonts-sha256.txt";

    pub fn config() -> String {
        format!("{}/yearbook.toml", Self::SOURCE)
    }

    /// A data file, by its path in the data folder (`2025/wuwei.toml`).
    pub fn data(name: &str) -> String {
        format!("{}/data/{name}", Self::SOURCE)
    }

    pub fn template(name: &str) -> String {
        format!("{}/templates/{name}", Self::SOURCE)
    }

    pub fn department(name: &str) -> String {
        format!("{}/{name}", Self::DEPARTMENTS)
    }

    pub fn font(name: &str) -> String {
        format!("{}/{name}", Self::FONTS)
    }

    pub fn embedded_font(name: &str) -> String {
        format!("{}/{name}", Self::EMBEDDED_FONTS)
    }

    /// Whether a payload path is an input of the edition (sources, fonts), not something the
    /// build makes: a rebuild must make every other payload file.
    pub fn is_input(payload_path: &str) -> bool {
        let under = |dir: &str| payload_path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'));
        under(Self::SOURCE) || under(Self::FONTS) || payload_path == Self::FONT_HASHES
    }

    /// The folders of a bag on disk that a rebuild reads.
    pub fn source_config(bag: &Path) -> PathBuf {
        bag.join(Self::PAYLOAD).join(Self::config())
    }
    pub fn source_data(bag: &Path) -> PathBuf {
        bag.join(Self::PAYLOAD).join(Self::SOURCE).join("data")
    }
    pub fn source_templates(bag: &Path) -> PathBuf {
        bag.join(Self::PAYLOAD).join(Self::SOURCE).join("templates")
    }
    pub fn fonts_dir(bag: &Path) -> PathBuf {
        bag.join(Self::PAYLOAD).join(Self::FONTS)
    }
    pub fn embedded_fonts_dir(bag: &Path) -> PathBuf {
        bag.join(Self::PAYLOAD).join(Self::EMBEDDED_FONTS)
    }
}

/// The exact tool that made a bag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// The crate version.
    pub version: String,
    /// The source commit the binary was built from, or "unknown".
    pub commit: String,
    pub typst: String,
}

impl Tool {
    /// This binary.
    pub fn this() -> Tool {
        Tool {
            version: env!("CARGO_PKG_VERSION").to_string(),
            commit: env!("YEARBOOK_COMMIT").to_string(),
            typst: typst::utils::version().raw().to_string(),
        }
    }
}

/// An earlier bag of the same edition that this one replaced, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// The folder name the earlier bag was given, beside this one (`2025.replaced-2026-12-04`).
    pub bag: String,
    pub reason: String,
}

/// What `bag-info.txt` says, besides `Payload-Oxum` (counted when the bag is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagInfo {
    pub organisation: String,
    pub description: String,
    pub edition: Year,
    /// The day the bag was made (UTC).
    pub bagging_date: Date,
    pub command: String,
    pub tool: Tool,
    pub replaces: Option<Replacement>,
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

impl BagInfo {
    /// Today, in UTC: the one clock reading of an archive.
    pub fn today() -> Date {
        time::OffsetDateTime::now_utc().date()
    }

    fn text(&self, octets: usize, files: usize) -> String {
        let date = self.bagging_date.format(DATE).unwrap_or_default();
        let Tool { version, commit, typst } = &self.tool;
        let mut text = format!(
            "Source-Organization: {}\nExternal-Description: {}\nBagging-Date: {date}\nPayload-Oxum: {octets}.{files}\n\
             Bag-Software-Agent: yearbook {version} (commit {commit}; typst {typst})\nYearbook-Version: {version}\n\
             Yearbook-Commit: {commit}\nYearbook-Typst: {typst}\nYearbook-Edition: {}\nYearbook-Command: {}\n",
            one_line(&self.organisation),
            one_line(&self.description),
            self.edition,
            one_line(&self.command),
        );
        if let Some(r) = &self.replaces {
            text.push_str(&format!(
                "Yearbook-Replaces: {}\nYearbook-Replace-Reason: {}\n",
                one_line(&r.bag),
                one_line(&r.reason)
            ));
        }
        text
    }

    /// Reads `bag-info.txt` (RFC 8493 §2.2.2: `Label: value`, continuation lines indented).
    /// Bags of older versions lack the `Yearbook-Version` lines: their tool reads "unknown".
    pub fn parse(text: &str) -> Result<BagInfo, String> {
        let mut tags: BTreeMap<String, String> = BTreeMap::new();
        let mut last: Option<String> = None;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                match last.as_ref().and_then(|l| tags.get_mut(l)) {
                    Some(value) => {
                        value.push(' ');
                        value.push_str(line.trim());
                    }
                    None => return Err(format!("line {} continues no tag", i + 1)),
                }
                continue;
            }
            let (label, value) = line.split_once(':').ok_or_else(|| format!("line {} is not `Label: value`", i + 1))?;
            tags.insert(label.trim().to_string(), value.trim().to_string());
            last = Some(label.trim().to_string());
        }
        let get = |label: &str| tags.get(label).cloned();
        let edition = get("Yearbook-Edition")
            .ok_or("no `Yearbook-Edition:` line; this is not a yearbook bag")?
            .parse::<Year>()
            .map_err(|e| format!("`Yearbook-Edition:` {e}"))?;
        let bagging_date =
            get("Bagging-Date").and_then(|d| Date::parse(&d, DATE).ok()).ok_or("no `Bagging-Date: YYYY-MM-DD` line")?;
        let unknown = || "unknown".to_string();
        Ok(BagInfo {
            organisation: get("Source-Organization").unwrap_or_default(),
            description: get("External-Description").unwrap_or_default(),
            edition,
            bagging_date,
            command: get("Yearbook-Command").unwrap_or_default(),
            tool: Tool {
                version: get("Yearbook-Version").unwrap_or_else(unknown),
                commit: get("Yearbook-Commit").unwrap_or_else(unknown),
                typst: get("Yearbook-Typst").unwrap_or_else(unknown),
            },
            replaces: get("Yearbook-Replaces")
                .map(|bag| Replacement { bag, reason: get("Yearbook-Replace-Reason").unwrap_or_default() }),
        })
    }

    /// Reads the bag-info of the bag in `bag` (bounded: a tag file is small).
    pub fn read(bag: &Path) -> Result<BagInfo, AppError> {
        let path = bag.join(BagLayout::BAG_INFO);
        let bytes = read_small(&path)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| AppError::Config { path: path.clone(), message: "it is not UTF-8".into() })?;
        BagInfo::parse(&text).map_err(|message| AppError::Config { path, message })
    }
}

/// Reads a tag file, refusing links, special files and anything over 16 MiB.
pub(crate) fn read_small(path: &Path) -> Result<Vec<u8>, AppError> {
    let refuse = |what: &str| AppError::Usage(format!("`{}` {what}; it was not read", path.display()));
    let meta = std::fs::symlink_metadata(path).map_err(|source| AppError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    if meta.file_type().is_symlink() {
        return Err(refuse("is a symbolic link"));
    }
    if !meta.is_file() {
        return Err(refuse("is not a regular file"));
    }
    const LIMIT: u64 = 16 << 20;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(LIMIT + 1).read_to_end(&mut bytes))
        .map_err(|source| AppError::Io { action: "read", path: path.to_path_buf(), source })?;
    if bytes.len() as u64 > LIMIT {
        return Err(refuse("is larger than a tag file can be (16 MiB)"));
    }
    Ok(bytes)
}

/// Tag values are single lines (RFC 8493 §2.2.2 allows folding, which readers handle unevenly).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Font file name (as in the bag's `fonts/`, or `embedded/<name>`) → SHA-256 in hex.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FontHashes(pub BTreeMap<String, String>);

impl FontHashes {
    /// `fonts-sha256.txt`: one `<sha256>  <name>` line each, as `sha256sum` writes them.
    fn text(&self) -> String {
        self.0.iter().map(|(name, hash)| format!("{hash}  {name}\n")).collect()
    }

    /// Reads the `fonts-sha256.txt` of a bag made before bags held their fonts.
    pub fn read(path: &Path) -> Result<FontHashes, AppError> {
        let text = String::from_utf8_lossy(&read_small(path)?).into_owned();
        Ok(FontHashes(
            text.lines()
                .filter_map(|l| l.split_once(char::is_whitespace))
                .map(|(hash, name)| (name.trim().to_string(), hash.to_ascii_lowercase()))
                .collect(),
        ))
    }

    /// The font files of a folder (not its subfolders) with their hashes.
    pub fn of_folder(dir: &Path) -> Result<FontHashes, AppError> {
        Ok(FontHashes(font_files(dir)?.into_iter().map(|(name, bytes)| (name, sha256_hex(&bytes))).collect()))
    }
}

fn is_font(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, x)| matches!(x.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc" | "otc"))
}

/// The font files of `dir` (the files `Fonts::load` reads), by name.
fn font_files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    folder_files(dir, is_font)
}

/// The regular files of `dir` whose names pass `keep`, sorted by name.
fn folder_files(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|source| AppError::Io {
        action: "list the fonts folder",
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
        if !keep(&name) || !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|source| AppError::Io {
            action: "read the font",
            path: path.clone(),
            source,
        })?;
        out.push((name, bytes));
    }
    out.sort();
    Ok(out)
}

/// The licence notice of the fonts built into the binary (typst-assets' NOTICE).
const EMBEDDED_NOTICE: &str = include_str!("../../fonts/embedded/NOTICE.txt");
const EMBEDDED_NOTICE_NAME: &str = "NOTICE.txt";

/// The fonts built into the binary (typst-kit's), in the order they are loaded, named
/// `NN-Family-weight-style.ext` so that sorting the names gives that order back.
pub fn embedded_fonts() -> Vec<(String, Vec<u8>)> {
    let mut seen: Vec<*const u8> = Vec::new();
    let mut out = Vec::new();
    for (font, info) in typst_kit::fonts::embedded() {
        let data = font.data().as_slice();
        if seen.contains(&data.as_ptr()) {
            continue;
        }
        seen.push(data.as_ptr());
        let family: String = info.family.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        let style = format!("{:?}", info.variant.style).to_lowercase();
        let ext = if data.starts_with(b"OTTO") { "otf" } else { "ttf" };
        let name = format!("{:02}-{family}-{}-{style}.{ext}", out.len() + 1, info.variant.weight.to_number());
        out.push((name, data.to_vec()));
    }
    out
}

/// Every file of an edition's bag payload: the editions made, the sources read, the fonts.
pub fn payload(
    config: &Config,
    checked: &Checked,
    print: &Plan,
    archival: &Plan,
    made: Editions,
) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let Editions { printed, archived, departments, site } = made;
    let mut payload = vec![
        (print.output.pdf.clone(), printed.pdf),
        (archival.output.pdf.clone(), archived.pdf),
        (print.output.xlsx.clone(), printed.xlsx),
    ];
    payload.extend(departments.files.into_iter().map(|(name, bytes)| (BagLayout::department(&name), bytes)));
    if let Some(site) = site {
        payload.extend(site);
        // The site's templates, so that `verify --rebuild` makes the site again.
        for (name, bytes) in crate::web::template_files(&config.templates_dir)? {
            payload.push((BagLayout::template(&format!("{}/{name}", crate::web::TEMPLATES)), bytes));
        }
    }
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| AppError::Io { action: "read", path: path.to_path_buf(), source })
    };
    payload.push((BagLayout::config(), read(&config.path)?));
    for (name, file) in pipeline::input_files(checked) {
        payload.push((BagLayout::data(&name), checked.files.text(file).as_bytes().to_vec()));
    }
    for name in [crate::print::render::MAIN_TEMPLATE, crate::print::render::LIBRARY] {
        payload.push((BagLayout::template(name), read(&config.templates_dir.join(name))?));
    }
    // The fonts folder whole (fonts, licence texts, its README), and the built-in fonts with
    // their notice: the bag rebuilds with nothing but itself and a binary.
    let mut hashes = FontHashes::default();
    let licence = |n: &str| !is_font(n) && n.rsplit_once('.').is_some_and(|(_, x)| matches!(x, "txt" | "md"));
    for (name, bytes) in folder_files(&config.fonts_dir, |n| is_font(n) || licence(n))? {
        if is_font(&name) {
            hashes.0.insert(name.clone(), sha256_hex(&bytes));
        }
        payload.push((BagLayout::font(&name), bytes));
    }
    for (name, bytes) in embedded_fonts() {
        hashes.0.insert(format!("embedded/{name}"), sha256_hex(&bytes));
        payload.push((BagLayout::embedded_font(&name), bytes));
    }
    payload.push((BagLayout::embedded_font(EMBEDDED_NOTICE_NAME), EMBEDDED_NOTICE.as_bytes().to_vec()));
    payload.push((BagLayout::FONT_HASHES.to_string(), hashes.text().into_bytes()));
    Ok(payload)
}

/// The files of a bag: payload files (paths relative to `data/`) plus the tag files.
pub fn files(payload: Vec<(String, Vec<u8>)>, info: &BagInfo) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> =
        payload.into_iter().map(|(name, bytes)| (format!("{}/{name}", BagLayout::PAYLOAD), bytes)).collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let octets: usize = files.iter().map(|(_, b)| b.len()).sum();
    let manifest: String = files.iter().map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes))).collect();
    let bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_string();
    let tags = [
        (BagLayout::BAGIT, bagit),
        (BagLayout::BAG_INFO, info.text(octets, files.len())),
        (BagLayout::MANIFEST, manifest),
    ];
    let tagmanifest: String =
        tags.iter().map(|(name, text)| format!("{}  {name}\n", sha256_hex(text.as_bytes()))).collect();
    files.extend(tags.into_iter().map(|(n, t)| (n.to_string(), t.into_bytes())));
    files.push((BagLayout::TAG_MANIFEST.into(), tagmanifest.into_bytes()));
    files
}

/// A bag written into the archive folder.
#[derive(Debug)]
pub struct Landed {
    pub folder: PathBuf,
    pub files: usize,
    /// Where the bag it replaced is kept.
    pub replaced: Option<PathBuf>,
}

/// A replacement in progress: the new bag before the swap, the old one after it.
const REPLACING: &str = ".yearbook-replacing-";

/// Lands the bag of `payload` as `<archive>/<year>`, under the archive folder's lock (taken by
/// the caller). With `reason`, a bag already there is replaced and kept under a dated name;
/// without, a bag already there is an error. The lock's folder is the archive folder.
pub fn write(
    lock: &OutputLock,
    year: Year,
    payload: Vec<(String, Vec<u8>)>,
    info: BagInfo,
    reason: Option<&str>,
) -> Result<Landed, AppError> {
    write_with(lock, year, payload, info, reason, &Seam::NONE)
}

/// The steps at which a test makes replacing fail; production passes [`Seam::NONE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    WriteFile,
    SyncFolder,
    Pending,
    Swap,
    Name,
}

type Seam = output::Seam<Step>;

fn write_with(
    lock: &OutputLock,
    year: Year,
    payload: Vec<(String, Vec<u8>)>,
    mut info: BagInfo,
    reason: Option<&str>,
    seam: &Seam,
) -> Result<Landed, AppError> {
    let root = lock.parent().to_path_buf();
    recover(&root)?;
    let folder = root.join(year.to_string());
    let exists = std::fs::symlink_metadata(&folder).is_ok();
    let Some(reason) = reason.filter(|_| exists) else {
        if exists {
            // Archived by another run since this one looked.
            return Err(AppError::Usage(format!(
                "the {year} edition is already archived in `{}`; an archive is never overwritten \
                 (use --force --reason \"…\" to replace it; the old bag is kept)",
                folder.display()
            )));
        }
        let files = files(payload, &info);
        output::land_edition(lock, &year.to_string(), &files)?;
        return Ok(Landed { folder, files: files.len(), replaced: None });
    };
    if !std::fs::symlink_metadata(&folder).is_ok_and(|m| m.is_dir()) {
        return Err(AppError::Usage(format!(
            "`{}` is not a folder; move it away so that the bag can be written there",
            folder.display()
        )));
    }
    let dated = dated_name(&root, year, info.bagging_date, BagInfo::read(&folder).ok());
    info.replaces = Some(Replacement { bag: dated.clone(), reason: reason.to_string() });
    let files = files(payload, &info);
    let unchanged = |action: &'static str, e: io::Error| AppError::Io {
        action,
        path: folder.clone(),
        source: io::Error::new(
            e.kind(),
            format!("{e}; nothing was changed, the bag in `{}` is as it was", folder.display()),
        ),
    };

    let staging = root.join(format!("{}{year}-{}", output::STAGING_PREFIX, output::unique_suffix()));
    let staged = stage(&staging, &files, seam);
    if let Err(e) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(unchanged("write the new bag beside", e));
    }
    let pending = root.join(format!("{REPLACING}{dated}"));
    let renamed = seam
        .check(Step::Pending)
        .and_then(|()| std::fs::rename(&staging, &pending))
        .and_then(|()| output::sync_folder(&root));
    if let Err(e) = renamed {
        let _ = std::fs::remove_dir_all(&staging);
        let _ = std::fs::remove_dir_all(&pending);
        return Err(unchanged("write the new bag beside", e));
    }
    let kept = root.join(&dated);
    let swapped = seam.check(Step::Swap).and_then(|()| {
        if seam.exchange && output::exchange_folders(&pending, &folder)? {
            return Ok(true);
        }
        // Without RENAME_EXCHANGE: a kill between these two renames leaves no `<year>` for a
        // moment; the next run puts the new bag there (`recover`).
        std::fs::rename(&folder, &kept)?;
        if let Err(e) = std::fs::rename(&pending, &folder) {
            let _ = std::fs::rename(&kept, &folder);
            return Err(e);
        }
        Ok(false)
    });
    match swapped {
        Err(e) => {
            let _ = std::fs::remove_dir_all(&pending);
            return Err(unchanged("replace the bag", e));
        }
        Ok(true) => {
            let named = seam.check(Step::Name).and_then(|()| std::fs::rename(&pending, &kept));
            if let Err(e) = named {
                return Err(AppError::Io {
                    action: "give the replaced bag its dated name",
                    path: kept,
                    source: io::Error::new(
                        e.kind(),
                        format!(
                            "{e}; the new bag is in `{}`, the old one is complete in `{}`, and the next \
                             `yearbook archive` gives it its name",
                            folder.display(),
                            pending.display()
                        ),
                    ),
                });
            }
        }
        Ok(false) => {}
    }
    output::sync_folder(&root).map_err(|source| AppError::Io {
        action: "flush to disk the new bag in",
        path: folder.clone(),
        source,
    })?;
    Ok(Landed { folder, files: files.len(), replaced: Some(kept) })
}

/// Writes the bag's files into a new folder and flushes them, deepest folders first.
fn stage(staging: &Path, files: &[(String, Vec<u8>)], seam: &Seam) -> io::Result<()> {
    std::fs::DirBuilder::new().create(staging)?;
    let mut folders = std::collections::BTreeSet::new();
    for (name, bytes) in files {
        seam.check(Step::WriteFile)?;
        let path = staging.join(name);
        if let Some(dir) = path.parent().filter(|d| *d != staging) {
            std::fs::create_dir_all(dir)?;
            folders.extend(dir.ancestors().take_while(|d| *d != staging).map(Path::to_path_buf));
        }
        output::create_synced(&path, bytes)?;
    }
    for dir in folders.iter().rev() {
        output::sync_folder(dir)?;
    }
    seam.check(Step::SyncFolder)?;
    output::sync_folder(staging)
}

/// `<year>.replaced-<date>`, or with `-2`, `-3`… when that name is taken (a second correction
/// on one day), never a name the current bag says it replaced (its record must stay true).
fn dated_name(root: &Path, year: Year, date: Date, current: Option<BagInfo>) -> String {
    let date = date.format(DATE).unwrap_or_default();
    let taken_by_record = current.and_then(|i| i.replaces).map(|r| r.bag);
    (1..)
        .map(|n| if n == 1 { format!("{year}.replaced-{date}") } else { format!("{year}.replaced-{date}-{n}") })
        .find(|name| {
            Some(name) != taken_by_record.as_ref()
                && std::fs::symlink_metadata(root.join(name)).is_err()
                && std::fs::symlink_metadata(root.join(format!("{REPLACING}{name}"))).is_err()
        })
        .unwrap_or_default()
}

/// Finishes or undoes what a killed run left in the archive folder (under the lock): staging
/// folders are removed; a `replacing` folder is the new bag if its bag-info names the dated name
/// it would take (the swap never happened: removed, unless the fallback swap left `<year>`
/// empty, then it takes that place), else the old bag after the swap (it takes its dated name).
pub fn recover(root: &Path) -> Result<(), AppError> {
    let Ok(entries) = std::fs::read_dir(root) else { return Ok(()) };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
        let outcome = if name.starts_with(output::STAGING_PREFIX) {
            std::fs::remove_dir_all(&path)
        } else if let Some(dated) = name.strip_prefix(REPLACING) {
            let Some((year, _)) = dated.split_once(".replaced-") else { continue };
            let home = root.join(year);
            // A `replacing` folder is complete by construction; one whose bag-info cannot be
            // read is left for a person to look at, never removed.
            let Ok(info) = BagInfo::read(&path) else { continue };
            let is_new = info.replaces.is_some_and(|r| r.bag == dated);
            let home_there = std::fs::symlink_metadata(&home).is_ok();
            if is_new && home_there {
                std::fs::remove_dir_all(&path)
            } else if is_new {
                std::fs::rename(&path, &home)
            } else if std::fs::symlink_metadata(root.join(dated)).is_err() {
                std::fs::rename(&path, root.join(dated))
            } else {
                continue;
            }
        } else {
            continue;
        };
        outcome.and_then(|()| output::sync_folder(root)).map_err(|source| AppError::Io {
            action: "finish what an interrupted archive run left; move it by hand",
            path,
            source,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(year: i32) -> Year {
        Year::new(year).unwrap()
    }

    fn info(edition: i32) -> BagInfo {
        BagInfo {
            organisation: "Board".into(),
            description: "Yearbook 2025".into(),
            edition: y(edition),
            bagging_date: Date::from_calendar_date(2026, time::Month::March, 31).unwrap(),
            command: "yearbook archive".into(),
            tool: Tool::this(),
            replaces: None,
        }
    }

    #[test]
    fn bag_info_is_written_and_read_back_as_the_same_data() {
        let mut i = info(2025);
        i.replaces = Some(Replacement { bag: "2025.replaced-2026-03-31".into(), reason: "a\nfake: 1  line".into() });
        let text = i.text(10, 2);
        assert!(text.contains("Payload-Oxum: 10.2\n"), "{text}");
        assert!(text.contains("Yearbook-Replace-Reason: a fake: 1 line\n"), "no tag injection: {text}");
        let back = BagInfo::parse(&text).unwrap();
        assert_eq!(back.edition, 2025);
        assert_eq!(back.bagging_date, i.bagging_date);
        assert_eq!(back.tool, Tool::this());
        assert_eq!(back.replaces.unwrap().reason, "a fake: 1 line");
        assert!(BagInfo::parse("Bagging-Date: 2026-03-31\n").unwrap_err().contains("not a yearbook bag"));
    }

    #[test]
    fn the_tool_names_its_commit() {
        let tool = Tool::this();
        assert!(
            tool.commit == "unknown" || (tool.commit.len() >= 40 && tool.commit.bytes().all(|b| b.is_ascii_hexdigit()))
        );
        assert_eq!(tool.version, env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn embedded_fonts_are_listed_in_load_order_with_distinct_names() {
        let fonts = embedded_fonts();
        assert!(fonts.len() >= 10, "{}", fonts.len());
        let mut names: Vec<&String> = fonts.iter().map(|(n, _)| n).collect();
        let in_order = names.clone();
        names.sort();
        names.dedup();
        assert_eq!(names, in_order);
        assert!(fonts.iter().any(|(n, _)| n.contains("LibertinusSerif-400-normal")), "{in_order:?}");
        assert!(EMBEDDED_NOTICE.contains("SIL Open Font License"));
    }

    fn landed(root: &Path, year: i32) -> OutputLock {
        let lock = OutputLock::acquire(root, |_| panic!("nobody else holds the lock")).unwrap();
        write(&lock, y(year), vec![("a.txt".into(), b"old".to_vec())], info(year), None).unwrap();
        lock
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        n.sort();
        n
    }

    fn payload_of(bag: &Path) -> Vec<u8> {
        std::fs::read(bag.join("data/a.txt")).unwrap()
    }

    #[test]
    fn a_replaced_bag_keeps_a_dated_name_twice_a_day_and_the_reason_is_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let lock = landed(dir.path(), 2025);
        for (n, reason) in ["first", "second"].iter().enumerate() {
            let new = vec![("a.txt".into(), format!("new {n}").into_bytes())];
            let done = write(&lock, y(2025), new, info(2025), Some(reason)).unwrap();
            let kept = done.replaced.unwrap();
            let read = BagInfo::read(&dir.path().join("2025")).unwrap();
            assert_eq!(read.replaces.as_ref().unwrap().reason, *reason);
            assert_eq!(dir.path().join(&read.replaces.unwrap().bag), kept);
        }
        assert_eq!(
            names(dir.path()),
            [".yearbook.lock", "2025", "2025.replaced-2026-03-31", "2025.replaced-2026-03-31-2"]
        );
        assert_eq!(payload_of(&dir.path().join("2025.replaced-2026-03-31")), b"old");
        assert_eq!(payload_of(&dir.path().join("2025.replaced-2026-03-31-2")), b"new 0");
        assert_eq!(payload_of(&dir.path().join("2025")), b"new 1");
        let refused = write(&lock, y(2025), vec![], info(2025), None).unwrap_err();
        assert!(refused.to_string().contains("already archived"), "{refused}");
    }

    #[test]
    fn a_failure_at_any_step_leaves_a_whole_bag_at_its_name() {
        for step in [Step::WriteFile, Step::SyncFolder, Step::Pending, Step::Swap, Step::Name] {
            for exchange in [true, false] {
                if step == Step::Name && !exchange {
                    // Without the exchange the old bag is renamed to its dated name directly.
                    continue;
                }
                let dir = tempfile::tempdir().unwrap();
                let lock = landed(dir.path(), 2025);
                let seam = Seam { fail_at: Some(step), exchange };
                let new = vec![("a.txt".into(), b"new".to_vec())];
                let err = write_with(&lock, y(2025), new, info(2025), Some("why"), &seam).unwrap_err();
                let bag = dir.path().join("2025");
                let now = payload_of(&bag);
                if step == Step::Name && exchange {
                    // The new bag is in place; the old one waits under the `replacing` name,
                    // and the next run names it.
                    assert_eq!(now, b"new");
                    assert!(err.to_string().contains("the next `yearbook archive` gives it its name"), "{err}");
                    recover(dir.path()).unwrap();
                    assert_eq!(payload_of(&dir.path().join("2025.replaced-2026-03-31")), b"old");
                } else {
                    assert_eq!(now, b"old", "{step:?}");
                    assert!(err.to_string().contains("nothing was changed"), "{step:?}: {err}");
                }
                assert!(
                    !names(dir.path()).iter().any(|n| n.starts_with(".yearbook-") && n != ".yearbook.lock"),
                    "{step:?}: {:?}",
                    names(dir.path())
                );
            }
        }
    }

    #[test]
    fn recovery_tells_the_new_bag_from_the_old_by_its_record() {
        let dir = tempfile::tempdir().unwrap();
        let lock = landed(dir.path(), 2025);
        let dated = "2025.replaced-2026-03-31";
        let mut new = info(2025);
        new.replaces = Some(Replacement { bag: dated.into(), reason: "r".into() });
        let write_bag = |at: &Path, i: &BagInfo, body: &[u8]| {
            for (name, bytes) in files(vec![("a.txt".into(), body.to_vec())], i) {
                let p = at.join(name);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, bytes).unwrap();
            }
        };
        // Killed before the swap: the new bag waits, the old one is in place.
        write_bag(&dir.path().join(format!("{REPLACING}{dated}")), &new, b"new");
        recover(dir.path()).unwrap();
        assert_eq!(names(dir.path()), [".yearbook.lock", "2025"]);
        assert_eq!(payload_of(&dir.path().join("2025")), b"old");
        // Killed after the swap: the old bag waits under the `replacing` name.
        std::fs::rename(dir.path().join("2025"), dir.path().join(format!("{REPLACING}{dated}"))).unwrap();
        write_bag(&dir.path().join("2025"), &new, b"new");
        recover(dir.path()).unwrap();
        assert_eq!(names(dir.path()), [".yearbook.lock", "2025", dated]);
        assert_eq!(payload_of(&dir.path().join(dated)), b"old");
        // Killed between the two renames of the fallback: no `2025`; the new bag goes there.
        std::fs::rename(dir.path().join("2025"), dir.path().join(format!("{REPLACING}{dated}"))).unwrap();
        recover(dir.path()).unwrap();
        assert_eq!(payload_of(&dir.path().join("2025")), b"new");
        drop(lock);
    }
}
