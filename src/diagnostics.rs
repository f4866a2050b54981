//! Data diagnostics: problems found in the user's files, collected rather than thrown, and
//! rendered for humans (codespan snippets with carets) or machines (JSON).
//!
//! Every diagnostic points at a byte range of a file registered in [`SourceFiles`], so the
//! rendered message shows `file:line:col`, the offending line and a caret under the value.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::{Files, SimpleFiles};
use codespan_reporting::term::{self, termcolor::WriteColor};
use serde::Serialize;

/// How bad a finding is. Errors stop a build; warnings do not unless `--deny-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Declares the rules from one table, `Variant => (code, severity, summary)`, so that the enum,
/// [`Rule::ALL`] and each rule's code, severity and summary can never fall out of step.
macro_rules! rules {
    ($($variant:ident => ($code:literal, $severity:ident, $summary:expr)),* $(,)?) => {
        /// Every rule a diagnostic can report. One code names one rule; `docs/rules.md` explains
        /// each, and a test keeps that file, this list and the fixtures in step.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Rule {
            $($variant),*
        }

        impl Rule {
            /// Every rule, in the table's order.
            pub const ALL: &[Rule] = &[$(Rule::$variant),*];

            fn describe(self) -> (&'static str, Severity, &'static str) {
                use Severity::{Error as E, Warning as W};
                match self {
                    $(Rule::$variant => ($code, $severity, $summary)),*
                }
            }
        }
    };
}

rules! {
    // The files themselves.
    NotUtf8 => ("not-utf8", E, "a data file must be saved as UTF-8"),
    NotAFile => ("not-a-file", E, "a name ending in `.toml` in a data folder must be a file"),
    LinkOutsideData => ("link-outside-data", E, "a data file may not be a link to a file outside the data folder"),
    IgnoredFile => ("ignored-file", W, "a file that looks like data but would not be read"),
    // TOML syntax and the shape of each table.
    TomlSyntax => ("toml-syntax", E, "the file must be valid TOML"),
    UnclosedInlineTable => ("unclosed-inline-table", E, "an inline table `{ … }` must be closed on its line"),
    UnknownKey => ("unknown-key", E, "a key the table does not have (often a typo)"),
    MissingKey => ("missing-key", E, "a key the table requires is absent"),
    WrongType => ("wrong-type", E, "a value of the wrong type, e.g. a number in quotes"),
    UnquotedDate => ("unquoted-date", E, "a date typed without quotes where text or a number belongs"),
    NumberTooLarge => ("number-too-large", E, "a whole number too large to be a figure"),
    UnknownVariant => ("unknown-variant", E, "a value outside the fixed list a key allows"),
    // Texts.
    ControlCharacter => ("control-character", E, "a text holds an invisible control character"),
    TextTooLong => ("text-too-long", E, "a text longer than a workbook cell holds"),
    EmptyText => ("empty-text", E, "a printed text is blank"),
    MissingGlyph => ("missing-glyph", E, "a printed character the bundled fonts cannot show"),
    Untranslated => ("untranslated", W, "an English text contains Chinese characters"),
    ZhWithoutChinese => ("zh-without-chinese", W, "a Chinese text has no Chinese characters"),
    // Ids and references.
    IdFormat => ("id-format", E, "an id may only contain a-z, 0-9 and `-`"),
    DuplicateId => ("duplicate-id", E, "an id is used twice where it must be unique"),
    UnknownSector => ("unknown-sector", E, "a sector id not in sectors.toml"),
    UnknownDepartment => ("unknown-department", E, "a department id not in departments.toml"),
    UnknownUnit => ("unknown-unit", E, "a unit id not in units.toml"),
    UnknownSource => ("unknown-source", E, "a source id not in sources.toml"),
    // Catalogue.
    Email => ("email", E, "a department's e-mail is not an address"),
    NameInHeader => ("name-in-header", E, "a department or city name holds a line break or control character"),
    UnknownCityOffice => ("unknown-city-office", E, "a department's city office names no city"),
    SheetNameTooLong => ("sheet-name-too-long", E, "a sector's sheet name is longer than Excel's 31 characters"),
    SheetNameCharacter => ("sheet-name-character", E, "a sector's sheet name has a character Excel forbids there"),
    DuplicateOrder => ("duplicate-order", E, "two sectors have the same `order`, so the chapter order is unclear"),
    PrintHeaderTooLong => ("print-header-too-long", W, "a sheet's print header is longer than Excel's 255 characters"),
    // yearbook.toml.
    CollectMail => ("collect-mail", E, "yearbook.toml mails collection requests ([mail] and [collect]) that `mail --collect` cannot compose"),
    // Cities.
    CityId => ("city-id", E, "a city's id differs from its file name"),
    EditionYear => ("edition-year", E, "a city file's year differs from its edition folder"),
    DuplicateCityName => ("duplicate-city-name", E, "two cities of one edition have the same name"),
    CityCode => ("city-code", E, "a city's division code is malformed, of another province, or another city's"),
    MissingSummary => ("missing-summary", W, "a city has figures in a sector but no summary for it"),
    MissingOverview => ("missing-overview", W, "a city has no overview for its profile"),
    SummaryWithoutFigures => ("summary-without-figures", W, "a city's summary for a sector where it has no figures, which would not print"),
    // Indicators.
    NoFigure => ("no-figure", E, "an indicator with neither a value (a result) nor a target (a plan), or a completion rate without the value it measures"),
    MissingInherited => ("missing-inherited", E, "a top-level indicator lacks `sector`, `unit` or `source`, which only \"of which\" items inherit"),
    SubItemSector => ("sub-item-sector", E, "an \"of which\" item names a sector other than its parent's"),
    NotFinite => ("not-finite", E, "a number is `nan` or infinite"),
    PercentRange => ("percent-range", E, "a percentage outside 0–100"),
    Negative => ("negative", E, "a negative number in a unit that counts or measures"),
    CompletionRange => ("completion-range", E, "a completion rate below 0 or above 1000 %"),
    CompletionMismatch => ("completion-mismatch", E, "a completion rate that differs from value / target"),
    DerivedMethod => ("derived-method", E, "a derived indicator without `method`"),
    ReferenceYear => ("reference-year", E, "a reference year after the edition or over ten years before it"),
    CumulativeSince => ("cumulative-since", E, "a running total that starts after its reference year or before 1949"),
    PartExceedsTotal => ("part-exceeds-total", E, "an \"of which\" part larger than its total"),
    PartsExceedTotal => ("parts-exceed-total", W, "\"of which\" parts that add up to more than their total"),
    PartsWithoutNote => ("parts-without-note", W, "a breakdown whose parts do not add up to its total, with no note saying why"),
    // Consistency across cities.
    IdMeaning => ("id-meaning", W, "one indicator id with another unit or English name in another city"),
    RateName => ("rate-name", W, "a percentage whose English name does not say rate, share or coverage"),
    Pinyin => ("pinyin", E, "an indicator's `pinyin` reading that does not read its Chinese name syllable by syllable"),
    // Traceability (`check --sources DIR`).
    SourceTextMissing => ("source-text-missing", E, "the archived text a source names is not in the folder of source texts"),
    Untraced => ("untraced", E, "a figure that its source's archived text does not contain"),
    // Numbers a clerk did not mean, and editions across years.
    NumberForm => ("number-form", E, "a number in a programmer's form (0x49, 6_5, 3.72e2, +387)"),
    ImplausibleMagnitude => ("implausible-magnitude", W, "a number larger than any city reports in a unit of its kind"),
    UnitChanged => ("unit-changed", W, "an indicator whose unit differs from the previous edition's"),
    SeedName => ("seed-name", E, "a source's archived text named by a path instead of a file name"),
    SeedLines => ("seed-lines", E, "a source's `lines` that are not a range of lines of its archived text"),
    SeedShared => ("seed-shared", W, "articles archived in one file without the `lines` that tell them apart"),
    TraceContext => ("trace-context", E, "a figure whose number stands in its article without its unit, qualifier or words"),
    AsPrinted => ("as-printed", E, "an `as_printed` form that says another number or qualifier"),
    TraceStatus => ("trace-status", W, "a result in a sentence of plans, or a plan in a sentence without one"),
    TraceYear => ("trace-year", E, "a reference year, start year or cut-off that its sentence contradicts"),
}

impl Rule {
    /// The stable name shown in brackets, e.g. `error[unknown-unit]`, and in JSON.
    pub fn code(self) -> &'static str {
        self.describe().0
    }

    /// Errors stop a build; warnings only with `--deny-warnings`. Each rule has one severity.
    pub fn severity(self) -> Severity {
        self.describe().1
    }

    /// What the rule asks for, in one line.
    pub fn summary(self) -> &'static str {
        self.describe().2
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Index of a file in [`SourceFiles`].
pub type FileIdx = usize;

/// One finding in the data, at a place in one file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: FileIdx,
    /// Byte range in the file; `None` when the problem concerns the file as a whole.
    pub span: Option<Range<usize>>,
    pub rule: Rule,
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A finding of `rule`, with the rule's severity.
    pub fn new(file: FileIdx, span: Option<Range<usize>>, rule: Rule, message: impl Into<String>) -> Self {
        Self { severity: rule.severity(), file, span, rule, message: message.into(), hint: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// The texts of every file read, kept so diagnostics can quote them.
#[derive(Default)]
pub struct SourceFiles {
    files: SimpleFiles<String, String>,
    count: usize,
}

impl SourceFiles {
    /// Registers a file under the name shown to the user (a path relative to the project).
    pub fn add(&mut self, name: String, text: String) -> FileIdx {
        self.count += 1;
        self.files.add(name, text)
    }

    /// Registers a file that was not read (a look-alike of a data file, a link, a folder), so
    /// that a diagnostic can name it. It has no text, and `len` does not count it as checked.
    pub fn add_unread(&mut self, name: String) -> FileIdx {
        self.files.add(name, String::new())
    }

    pub fn name(&self, file: FileIdx) -> String {
        self.files.get(file).map(|f| f.name().clone()).unwrap_or_default()
    }

    pub fn text(&self, file: FileIdx) -> &str {
        self.files.get(file).map(|f| f.source().as_str()).unwrap_or("")
    }

    /// 1-based line and column (in characters, so CJK counts one per character).
    pub fn line_col(&self, file: FileIdx, byte: usize) -> (usize, usize) {
        let line = self.files.line_index(file, byte).unwrap_or(0);
        let col = self.files.column_number(file, line, byte).unwrap_or(1);
        (line + 1, col)
    }

    /// How many files were read.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Output style for `check` and `build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Snippets with the source line and a caret under the value.
    Human,
    /// One line per finding: `file:line:col: severity[rule]: message (hint: …)`.
    Short,
    /// A JSON array, for editors and CI annotations.
    Json,
}

/// Writes diagnostics as codespan snippets: header, `--> file:line:col`, source line, caret.
pub fn emit_human(out: &mut dyn WriteColor, files: &SourceFiles, diagnostics: &[Diagnostic]) {
    let config = term::Config::default();
    for d in diagnostics {
        let mut cs = match d.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        }
        .with_code(d.rule.code())
        .with_message(&d.message);
        let span = d.span.clone().unwrap_or(0..0);
        let mut notes = Vec::new();
        match long_line(files, d.file, span.start) {
            // A snippet would echo the whole line (a 30 MB overview once took 14 s to print):
            // the place is named instead.
            Some(chars) => {
                let (line, column) = files.line_col(d.file, span.start);
                notes.push(format!(
                    "at {}:{line}:{column} (the line is {chars} characters long, too long to show)",
                    files.name(d.file)
                ));
            }
            None => cs = cs.with_labels(vec![Label::primary(d.file, span)]),
        }
        if let Some(hint) = &d.hint {
            notes.push(format!("hint: {hint}"));
        }
        cs = cs.with_notes(notes);
        // A write error on stderr leaves nothing better to do than to go on.
        let _ = term::emit(out, &config, &Native(&files.files), &cs);
    }
}

/// The files as a person reads their names: with the system's own separator (`data\2025\x.toml`
/// on Windows). The names are kept with `/` everywhere else, since they reach the outputs
/// (attachment names) and the short and JSON formats, which must not depend on the platform.
struct Native<'f>(&'f SimpleFiles<String, String>);

impl<'a> codespan_reporting::files::Files<'a> for Native<'_> {
    type FileId = FileIdx;
    type Name = String;
    type Source = &'a str;

    fn name(&'a self, id: FileIdx) -> Result<String, codespan_reporting::files::Error> {
        let name = self.0.name(id)?;
        Ok(if std::path::MAIN_SEPARATOR == '/' { name } else { name.replace('/', std::path::MAIN_SEPARATOR_STR) })
    }

    fn source(&'a self, id: FileIdx) -> Result<&'a str, codespan_reporting::files::Error> {
        self.0.source(id)
    }

    fn line_index(&'a self, id: FileIdx, byte_index: usize) -> Result<usize, codespan_reporting::files::Error> {
        self.0.line_index(id, byte_index)
    }

    fn line_range(
        &'a self,
        id: FileIdx,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, codespan_reporting::files::Error> {
        self.0.line_range(id, line_index)
    }
}

/// Lines longer than this are not shown under a finding.
const SHOWN_LINE_LIMIT: usize = 1000;

/// The length in characters of the line holding `byte`, when it is too long to show.
fn long_line(files: &SourceFiles, file: FileIdx, byte: usize) -> Option<usize> {
    let text = files.text(file);
    let byte = (0..=byte.min(text.len())).rev().find(|&b| text.is_char_boundary(b)).unwrap_or(0);
    let start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
    let end = text[byte..].find('\n').map_or(text.len(), |i| byte + i);
    let line = text.get(start..end)?;
    // Bytes bound characters from above: most lines are decided without counting.
    (line.len() > SHOWN_LINE_LIMIT).then(|| line.chars().count()).filter(|&n| n > SHOWN_LINE_LIMIT)
}

/// One line per diagnostic, for grep, editors and exact test expectations.
pub fn to_short(files: &SourceFiles, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let (line, column) = files.line_col(d.file, d.span.as_ref().map_or(0, |s| s.start));
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!("{}:{line}:{column}: {severity}[{}]: {}", files.name(d.file), d.rule.code(), d.message));
        if let Some(hint) = &d.hint {
            out.push_str(&format!(" (hint: {hint})"));
        }
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    rule: &'a str,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    hint: Option<&'a str>,
}

/// The same diagnostics as one JSON array, for editors and CI annotations.
pub fn to_json(files: &SourceFiles, diagnostics: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic> = diagnostics
        .iter()
        .map(|d| {
            let span = d.span.clone().unwrap_or(0..0);
            let (line, column) = files.line_col(d.file, span.start);
            let (end_line, end_column) = files.line_col(d.file, span.end);
            JsonDiagnostic {
                severity: d.severity,
                rule: d.rule.code(),
                file: files.name(d.file),
                line,
                column,
                end_line,
                end_column,
                message: &d.message,
                hint: d.hint.as_deref(),
            }
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into())
}

/// Counts errors and warnings, for the closing summary line.
pub fn count(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    (errors, diagnostics.len() - errors)
}
