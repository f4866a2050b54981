//! `yearbook.toml`: the edition (year, titles, publisher, publication date) and where the data,
//! templates, fonts and outputs live. Paths are relative to the config file's folder.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::error::AppError;
use crate::model::{Bilingual, Text};
use crate::year::Year;

/// File name searched for in the working folder and the folders above it.
pub const CONFIG_FILE: &str = "yearbook.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    edition: RawEdition,
    #[serde(default)]
    imprint: RawImprint,
    #[serde(default)]
    paths: RawPaths,
    mail: Option<RawMail>,
    #[serde(default)]
    typeset: Typeset,
    collect: Option<RawCollect>,
    #[serde(default)]
    print: RawPrint,
}

/// `[print]`: what the print shop asks of the PDF.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrint {
    /// The bleed on every side of every page, a length with its unit: `"3mm"`.
    bleed: Option<Spanned<String>>,
}

/// The largest bleed accepted. Print shops ask for 3 mm (sometimes 1/8 in or 5 mm); a bleed of
/// centimetres is a slip of the unit, and would make every page visibly larger on screen.
pub const MAX_BLEED_MM: f64 = 10.0;

/// `[print]`, resolved: what the templates get as `print`.
///
/// `bleed_mm` is the bleed on every side of every page, in millimetres. With a bleed, each page
/// of the PDF is that much larger on every side (its MediaBox), its TrimBox is the A4 page the
/// printer cuts to, and the art that runs off the edge (the cover's band) runs on into the
/// bleed; the text stays where it is on the trimmed page. 0, the default, writes the pages at
/// their trimmed size, with no TrimBox.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Print {
    pub bleed_mm: f64,
}

impl Print {
    /// A length as typed in `[print] bleed`: a number and a unit, `mm`, `cm`, `pt` or `in`
    /// (`"3mm"`, `"3 mm"`, `"0.125in"`), or a bare `"0"`; in millimetres.
    pub fn parse_length(s: &str) -> Option<f64> {
        let s = s.trim();
        if s == "0" {
            return Some(0.0);
        }
        let split = s.find(|c: char| c.is_ascii_alphabetic())?;
        let (number, unit) = (s[..split].trim_end(), &s[split..]);
        // A plain decimal only: Rust's float parser would also take "inf", "NaN" and "1e3".
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        let per_unit = match unit {
            "mm" => 1.0,
            "cm" => 10.0,
            "in" => 25.4,
            "pt" => 25.4 / 72.0,
            _ => return None,
        };
        Some(value * per_unit)
    }
}

/// `[collect]`: the collection round (`yearbook collect`, `yearbook import`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCollect {
    /// The date by which departments return their workbooks, `YYYY-MM-DD`.
    deadline: Option<Spanned<String>>,
    /// A change against last year beyond this many per cent needs an explanation.
    change_limit: Option<f64>,
    /// A completion of the target above this many per cent needs an explanation.
    completion_limit: Option<f64>,
    /// Message templates for `mail --collect`, in the templates folder.
    subject: Option<String>,
    body: Option<String>,
}

/// `[collect]`, resolved: the deadline printed in the workbooks and the soft rules' limits.
#[derive(Debug, Clone)]
pub struct CollectConfig {
    pub deadline: Option<Date>,
    /// Per cent; default 50.
    pub change_limit: f64,
    /// Per cent; default 200.
    pub completion_limit: f64,
    pub subject: PathBuf,
    pub body: PathBuf,
    /// yearbook.toml has a `[collect]` table: with `[mail]`, the office mails collection
    /// requests, and `check` checks what `mail --collect` needs.
    pub in_file: bool,
}

/// `[typeset]`: whether the book is typeset in parts, and how large a part may grow.
///
/// A large book is typeset part by part (memory follows the largest part, and parts are laid
/// out on every core); a long chapter then goes on in a new part: a table is cut between its
/// groups once a piece holds `part_rows` rows, the city profiles every `part_cities` cities.
/// Each cut starts a new page. `parts = "auto"` typesets in parts from about 45 cities on
/// (smaller books are faster whole), `"always"` at any size (a machine with little memory, with
/// smaller parts), `"never"` whole. The archive edition, tagged, follows the same setting.
///
/// `national_from` is how many cities make a national edition: from it, the book takes the
/// forms national yearbooks use (see `book::Book::national`), and the web edition with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Typeset {
    pub parts: PartsMode,
    pub part_rows: std::num::NonZeroUsize,
    pub part_cities: std::num::NonZeroUsize,
    #[serde(deserialize_with = "cities_threshold")]
    pub national_from: usize,
}

/// The default of `[typeset] national_from`: an edition of about ten cities is a province's
/// or the country's, where a reader looks for the count and the provinces, not ten paragraphs.
pub const NATIONAL_FROM: usize = 10;

/// `[typeset] national_from`: a whole number of cities, at least 1. The reader of the file
/// places the error at the value (line and column); the message says what to write.
fn cities_threshold<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    struct Cities;
    impl serde::de::Visitor<'_> for Cities {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(
                f,
                "a positive whole number of cities (at least 1), from which the book takes a national \
                 yearbook's forms; write e.g. `national_from = {NATIONAL_FROM}` (the default)"
            )
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<usize, E> {
            match usize::try_from(v) {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self)),
            }
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<usize, E> {
            match usize::try_from(v) {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(E::invalid_value(serde::de::Unexpected::Unsigned(v), &self)),
            }
        }
    }
    d.deserialize_i64(Cities)
}

/// `[typeset] parts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartsMode {
    #[default]
    Auto,
    Always,
    Never,
}

impl Default for Typeset {
    fn default() -> Self {
        Typeset {
            parts: PartsMode::Auto,
            part_rows: std::num::NonZeroUsize::new(500).expect("not zero"),
            part_cities: std::num::NonZeroUsize::new(60).expect("not zero"),
            national_from: NATIONAL_FROM,
        }
    }
}

/// `[mail]`: who the departments' workbooks come from, and the message templates.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    /// `Name <address>` or a bare address.
    from: Spanned<String>,
    reply_to: Option<Spanned<String>>,
    /// Template file names in the templates folder.
    #[serde(default = "default_subject")]
    subject: String,
    #[serde(default = "default_body")]
    body: String,
}

fn default_subject() -> String {
    "mail-subject.txt.j2".into()
}

fn default_body() -> String {
    "mail-body.txt.j2".into()
}

/// How the departments' workbooks are mailed (`[mail]` in yearbook.toml).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The sender, `Name <address>` or a bare address, as written.
    pub from: String,
    pub reply_to: Option<String>,
    /// `line L, column C` of `from` and `reply_to`, for messages about them.
    pub from_at: String,
    pub reply_to_at: Option<String>,
    /// The subject and body templates, as paths.
    pub subject: PathBuf,
    pub body: PathBuf,
}

/// The imprint page (版权页): who made the edition and how it is catalogued. All optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImprint {
    /// The editorial board or chief editors, as printed.
    board: Option<Bilingual>,
    /// ISBN, ISSN or the office's internal serial number.
    serial: Option<Spanned<String>>,
    /// A line for the printer or the distribution (内部资料 / for internal use).
    note: Option<Bilingual>,
    /// The print shop (印刷).
    printer: Option<Bilingual>,
    /// How many copies are printed (印数).
    copies: Option<Spanned<i64>>,
    /// The permit an internal publication prints under (准印证号).
    permit: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdition {
    year: Spanned<i32>,
    title: Bilingual,
    publisher: Bilingual,
    /// Publication date `YYYY-MM-DD`; stamped into the PDF and XLSX instead of the clock.
    date: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawPaths {
    data: PathBuf,
    templates: PathBuf,
    fonts: PathBuf,
    output: PathBuf,
    /// The archived texts of the source articles, if the office keeps them beside the data.
    sources: Option<PathBuf>,
}

impl Default for RawPaths {
    fn default() -> Self {
        Self {
            data: "data".into(),
            templates: "templates".into(),
            fonts: "fonts".into(),
            output: "dist".into(),
            sources: None,
        }
    }
}

fn resolve_collect(
    raw: Option<&RawCollect>,
    text: &str,
    path: &Path,
    templates: &Path,
) -> Result<CollectConfig, AppError> {
    let in_file = raw.is_some();
    let default = RawCollect::default();
    let raw = raw.unwrap_or(&default);
    let bad = |message: String| AppError::Config { path: path.to_path_buf(), message };
    let deadline = match &raw.deadline {
        Some(d) => Some(Date::parse(d.get_ref()).ok_or_else(|| {
            bad(format!(
                "{}: collect.deadline `{}` is not a date; write it as YYYY-MM-DD, e.g. \"2027-02-15\"",
                line_col(text, d.span().start),
                d.get_ref()
            ))
        })?),
        None => None,
    };
    let limit = |v: Option<f64>, default: f64, key: &str| match v {
        Some(v) if v.is_finite() && v > 0.0 => Ok(v),
        Some(v) => Err(bad(format!("collect.{key} = {v} must be a positive number of per cent"))),
        None => Ok(default),
    };
    Ok(CollectConfig {
        deadline,
        change_limit: limit(raw.change_limit, 50.0, "change_limit")?,
        completion_limit: limit(raw.completion_limit, 200.0, "completion_limit")?,
        subject: templates.join(raw.subject.as_deref().unwrap_or("collect-subject.txt.j2")),
        body: templates.join(raw.body.as_deref().unwrap_or("collect-body.txt.j2")),
        in_file,
    })
}

fn resolve_print(raw: &RawPrint, text: &str, path: &Path) -> Result<Print, AppError> {
    let Some(bleed) = &raw.bleed else { return Ok(Print::default()) };
    let at = line_col(text, bleed.span().start);
    let bad = |why: &str| AppError::Config {
        path: path.to_path_buf(),
        message: format!(
            "{at}: print.bleed `{}` {why}; write a length with its unit, as the print shop gives it: \"3mm\" \
             (or \"0\" for none; mm, cm, pt or in, at most {MAX_BLEED_MM} mm)",
            bleed.get_ref()
        ),
    };
    let mm = Print::parse_length(bleed.get_ref()).ok_or_else(|| bad("is not a length"))?;
    if mm > MAX_BLEED_MM {
        return Err(bad(&format!("is {mm:.1} mm, more than a print shop asks for")));
    }
    Ok(Print { bleed_mm: mm })
}

/// A calendar date, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// A calendar date `YYYY-MM-DD` that a PDF and a workbook can carry: the day must exist in
    /// its month, and the year must lie in 1900–9999 (Excel's dates start in 1900).
    pub fn parse(s: &str) -> Option<Date> {
        let mut parts = s.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if !(all_digits(y) && all_digits(m) && all_digits(d)) {
            return None;
        }
        let (year, month, day): (i32, u8, u8) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
        if !(1900..=9999).contains(&year) {
            return None;
        }
        // The calendar (month lengths, leap years) is the `time` crate's.
        time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
        Some(Date { year, month, day })
    }

    /// `YYYY-MM-DD`.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    /// As the templates use it: `{ year, month, day, iso }`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Date", 4)?;
        st.serialize_field("year", &self.year)?;
        st.serialize_field("month", &self.month)?;
        st.serialize_field("day", &self.day)?;
        st.serialize_field("iso", &self.iso())?;
        st.end()
    }
}

/// What the imprint page prints besides the title, publisher and date.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Imprint {
    /// Only when it is not the publisher, which the page names already.
    pub board: Option<Text>,
    pub serial: Option<String>,
    pub note: Option<Text>,
    pub printer: Option<Text>,
    pub copies: Option<u32>,
    pub permit: Option<String>,
}

/// The resolved configuration every command works from.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from, and its text (diagnostics quote it).
    pub path: PathBuf,
    pub text: String,
    pub year: Year,
    pub title: Text,
    pub publisher: Text,
    /// The title and publisher with their places in the file, for the printable-text rules.
    pub printed: Vec<Spanned<String>>,
    pub date: Date,
    pub imprint: Imprint,
    /// The folder of the config file; relative paths start here.
    pub root: PathBuf,
    pub data_dir: PathBuf,
    pub templates_dir: PathBuf,
    pub fonts_dir: PathBuf,
    pub output_dir: PathBuf,
    /// Folder of the archived source texts; with it, every figure is traced to its article.
    pub sources_dir: Option<PathBuf>,
    /// `[mail]`, if the edition mails its workbooks.
    pub mail: Option<MailConfig>,
    /// Whether the book is typeset in parts, and how large a part may grow.
    pub typeset: Typeset,
    /// `[collect]`: the collection round's deadline and soft limits.
    pub collect: CollectConfig,
    /// `[print]`: the bleed the print shop asks for.
    pub print: Print,
}

impl Config {
    /// Finds the config as cargo finds `Cargo.toml`: the given file, else `yearbook.toml` in
    /// `cwd` or the nearest folder above it. Never a path built into the binary: an installed
    /// binary works in any checkout, and only there.
    pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Config, AppError> {
        if let Some(p) = explicit {
            return Self::load(p);
        }
        match cwd.ancestors().map(|d| d.join(CONFIG_FILE)).find(|p| p.is_file()) {
            Some(path) => Self::load(&path),
            None => Err(AppError::NoConfig { searched: cwd.to_path_buf() }),
        }
    }

    pub fn load(path: &Path) -> Result<Config, AppError> {
        let text = std::fs::read_to_string(path).map_err(|source| AppError::Io {
            action: "read the configuration",
            path: path.to_path_buf(),
            source,
        })?;
        // A UTF-8 byte-order mark is what Notepad writes; it is not part of the TOML.
        let text = text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text);
        let raw: RawConfig = toml::from_str(&text).map_err(|e| AppError::Config {
            path: path.to_path_buf(),
            message: match e.span() {
                Some(span) => format!("{}: {}", line_col(&text, span.start), e.message().trim()),
                None => e.message().trim().to_string(),
            },
        })?;
        let date = Date::parse(raw.edition.date.get_ref()).ok_or_else(|| AppError::Config {
            path: path.to_path_buf(),
            message: format!(
                "{}: edition.date `{}` is not a real calendar date; write it as YYYY-MM-DD, e.g. \"2026-03-31\" \
                 (year 1900–9999)",
                line_col(&text, raw.edition.date.span().start),
                raw.edition.date.get_ref()
            ),
        })?;
        let year = Year::new(*raw.edition.year.get_ref()).ok_or_else(|| AppError::Config {
            path: path.to_path_buf(),
            message: format!(
                "{}: edition.year {} is not a plausible edition year (1900–9999)",
                line_col(&text, raw.edition.year.span().start),
                raw.edition.year.get_ref()
            ),
        })?;
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let root = if root.as_os_str().is_empty() { PathBuf::from(".") } else { root };
        let at = |p: &Path| {
            if p.is_absolute() { p.to_path_buf() } else { root.join(p) }
        };
        let templates_dir = at(&raw.paths.templates);
        let mail = raw.mail.map(|m| MailConfig {
            from_at: line_col(&text, m.from.span().start),
            reply_to_at: m.reply_to.as_ref().map(|r| line_col(&text, r.span().start)),
            from: m.from.into_inner(),
            reply_to: m.reply_to.map(Spanned::into_inner),
            subject: templates_dir.join(m.subject),
            body: templates_dir.join(m.body),
        });
        let (title, publisher) = (&raw.edition.title, &raw.edition.publisher);
        let mut printed = vec![title.zh.clone(), title.en.clone(), publisher.zh.clone(), publisher.en.clone()];
        let imprint = &raw.imprint;
        for b in [&imprint.board, &imprint.note, &imprint.printer].into_iter().flatten() {
            printed.extend([b.zh.clone(), b.en.clone()]);
        }
        printed.extend(imprint.serial.iter().chain(&imprint.permit).cloned());
        let copies = match &imprint.copies {
            None => None,
            Some(c) => Some(u32::try_from(*c.get_ref()).ok().filter(|n| *n > 0).ok_or_else(|| AppError::Config {
                path: path.to_path_buf(),
                message: format!(
                    "{}: imprint.copies `{}` is not a number of copies; write how many are printed, a whole \
                     number from 1, e.g. `copies = 500`",
                    line_col(&text, c.span().start),
                    c.get_ref()
                ),
            })?),
        };
        let imprint = Imprint {
            // The page names the publisher already; a board that is the publisher is said once.
            board: imprint
                .board
                .as_ref()
                .filter(|b| b.zh() != publisher.zh() || b.en() != publisher.en())
                .map(Into::into),
            serial: imprint.serial.as_ref().map(|s| s.get_ref().clone()),
            note: imprint.note.as_ref().map(Into::into),
            printer: imprint.printer.as_ref().map(Into::into),
            copies,
            permit: imprint.permit.as_ref().map(|s| s.get_ref().clone()),
        };
        let collect = resolve_collect(raw.collect.as_ref(), &text, path, &templates_dir)?;
        let print = resolve_print(&raw.print, &text, path)?;
        Ok(Config {
            collect,
            print,
            path: path.to_path_buf(),
            year,
            title: title.into(),
            publisher: publisher.into(),
            printed,
            date,
            imprint,
            data_dir: at(&raw.paths.data),
            templates_dir,
            fonts_dir: at(&raw.paths.fonts),
            output_dir: at(&raw.paths.output),
            sources_dir: raw.paths.sources.as_deref().map(at),
            mail,
            typeset: raw.typeset,
            root,
            text,
        })
    }
}

/// A `YYYY-MM` or `YYYY-MM-DD` date as each language writes it (2025年12月 / December 2025).
pub fn written_date(s: &str) -> Option<Text> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (date, has_day) = match Date::parse(s) {
        Some(d) => (d, true),
        None => (Date::parse(&format!("{s}-01"))?, false),
    };
    let month = MONTHS[usize::from(date.month) - 1];
    Some(if has_day {
        Text {
            zh: format!("{}年{}月{}日", date.year, date.month, date.day),
            en: format!("{} {month} {}", date.day, date.year),
        }
    } else {
        Text { zh: format!("{}年{}月", date.year, date.month), en: format!("{month} {}", date.year) }
    })
}

/// `line:col` (1-based, columns in characters) of a byte offset.
fn line_col(text: &str, byte: usize) -> String {
    let before = &text[..byte.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {col}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_exist_in_the_calendar() {
        assert_eq!(Date::parse("2026-03-31"), Some(Date { year: 2026, month: 3, day: 31 }));
        assert_eq!(Date::parse("2024-02-29").map(|d| d.day), Some(29));
        for bad in [
            "2026-02-31",
            "2025-02-29",
            "2026-13-01",
            "0000-01-01",
            "1899-12-31",
            "99999-01-01",
            "2026-3-31",
            " 2026-03-31",
            "2026-04-31",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?} must be rejected");
        }
    }

    #[test]
    fn the_config_is_found_in_the_nearest_ancestor_and_nowhere_else() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        assert!(matches!(Config::discover(None, &deep), Err(AppError::NoConfig { .. })));
        let body = "[edition]\nyear = 2025\ntitle = { zh = \"书\", en = \"Book\" }\npublisher = { zh = \"社\", en = \"House\" }\ndate = \"2026-03-31\"\n";
        std::fs::write(dir.path().join(CONFIG_FILE), body).unwrap();
        let config = Config::discover(None, &deep).unwrap();
        assert_eq!(config.root, dir.path());
        assert_eq!(config.data_dir, dir.path().join("data"));
    }

    #[test]
    fn an_impossible_date_is_reported_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let body = "[edition]\nyear = 2025\ntitle = { zh = \"书\", en = \"Book\" }\npublisher = { zh = \"社\", en = \"House\" }\ndate = \"2026-02-31\"\n";
        std::fs::write(&path, body).unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("line 5, column 8") && err.contains("2026-02-31"), "{err}");
    }

    #[test]
    fn a_bleed_is_a_length_with_its_unit() {
        let mm = |s| Print::parse_length(s);
        assert_eq!(mm("3mm"), Some(3.0));
        assert_eq!(mm(" 3 mm "), Some(3.0));
        assert_eq!(mm("0"), Some(0.0));
        assert_eq!(mm("0mm"), Some(0.0));
        assert_eq!(mm("0.3cm"), Some(3.0));
        assert!((mm("0.125in").unwrap() - 3.175).abs() < 1e-9);
        assert!((mm("9pt").unwrap() - 3.175).abs() < 1e-9);
        for bad in ["3", "mm", "-3mm", "3px", "3 millimetres", "inf mm", "NaNmm", "1e1mm", "3mm3", ""] {
            assert_eq!(mm(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn a_bad_bleed_is_reported_at_its_line_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let edition = "[edition]\nyear = 2025\ntitle = { zh = \"书\", en = \"Book\" }\npublisher = { zh = \"社\", en = \"House\" }\ndate = \"2026-03-31\"\n";
        for (value, why) in [("\"3\"", "is not a length"), ("\"3 cm\"", "is 30.0 mm"), ("\"-3mm\"", "is not a length")]
        {
            std::fs::write(&path, format!("{edition}\n[print]\nbleed = {value}\n")).unwrap();
            let err = Config::load(&path).unwrap_err().to_string();
            assert!(err.contains("line 8, column 9") && err.contains(why) && err.contains("\"3mm\""), "{err}");
        }
        // A number without its unit is refused by the file's reader, also at its place.
        std::fs::write(&path, format!("{edition}\n[print]\nbleed = 3\n")).unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("line 8, column 9"), "{err}");
        std::fs::write(&path, format!("{edition}\n[print]\nbleed = \"1/8in\"\n")).unwrap();
        assert!(Config::load(&path).is_err());
        std::fs::write(&path, format!("{edition}\n[print]\nbleed = \"3mm\"\n")).unwrap();
        assert_eq!(Config::load(&path).unwrap().print, Print { bleed_mm: 3.0 });
        std::fs::write(&path, edition).unwrap();
        assert_eq!(Config::load(&path).unwrap().print, Print { bleed_mm: 0.0 });
    }

    #[test]
    fn a_bad_national_threshold_is_reported_at_its_line_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let edition = "[edition]\nyear = 2025\ntitle = { zh = \"书\", en = \"Book\" }\npublisher = { zh = \"社\", en = \"House\" }\ndate = \"2026-03-31\"\n";
        for value in ["0", "-3", "\"10\"", "10.5", "true"] {
            std::fs::write(&path, format!("{edition}\n[typeset]\nnational_from = {value}\n")).unwrap();
            let err = Config::load(&path).unwrap_err().to_string();
            assert!(
                err.contains("line 8, column 17")
                    && err.contains("positive whole number")
                    && err.contains("national_from = 10"),
                "{value}: {err}"
            );
        }
        std::fs::write(&path, format!("{edition}\n[typeset]\nnational_from = 20\n")).unwrap();
        assert_eq!(Config::load(&path).unwrap().typeset.national_from, 20);
        std::fs::write(&path, edition).unwrap();
        assert_eq!(Config::load(&path).unwrap().typeset.national_from, NATIONAL_FROM);
    }

    /// `docs/configuration.md` lists every key of every table, no more, and its example loads.
    #[test]
    fn the_documentation_lists_every_key() {
        use std::collections::{BTreeMap, BTreeSet};
        let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md")).unwrap();
        // The keys each section's table lists: `## `[table]`` then rows `| `key` | …`.
        let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut section = None;
        for line in doc.lines() {
            if let Some(rest) = line.strip_prefix("## `[") {
                section = rest.split(']').next().map(str::to_string);
            } else if line.starts_with("## ") {
                section = None;
            } else if let (Some(table), Some(row)) = (&section, line.strip_prefix("| `")) {
                let key = row.split('`').next().unwrap().to_string();
                documented.entry(table.clone()).or_default().insert(key);
            }
        }
        // The keys the code accepts, as serde names them when it refuses an unknown one.
        let accepted = |toml: &str| -> BTreeSet<String> {
            let message = toml::from_str::<RawConfig>(toml).unwrap_err().message().to_string();
            let expected = message.split("expected").nth(1).unwrap_or_else(|| panic!("{message}"));
            expected.split('`').skip(1).step_by(2).map(str::to_string).collect()
        };
        let tables: BTreeSet<String> = accepted("zzz = 1\n");
        assert_eq!(tables, documented.keys().cloned().collect(), "the tables of yearbook.toml");
        for table in &tables {
            let keys = accepted(&format!("[{table}]\nzzz = 1\n"));
            assert_eq!(&keys, &documented[table], "the keys of [{table}]");
        }
        // The example holds every key, and loads.
        let example = doc.split("```toml\n").nth(1).and_then(|r| r.split("```").next()).expect("an example");
        let parsed: toml::Table = toml::from_str(example).unwrap();
        for (table, keys) in &documented {
            let given: BTreeSet<String> = parsed[table].as_table().unwrap().keys().cloned().collect();
            assert_eq!(&given, keys, "the example's [{table}]");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), example).unwrap();
        let config = Config::load(&dir.path().join(CONFIG_FILE)).unwrap();
        assert_eq!(config.sources_dir, Some(dir.path().join("sources")));
    }
}
