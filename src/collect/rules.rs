//! The rules `yearbook import` applies, and its findings: each located as file › sheet › cell
//! (or file › row for the long form), with the value found, the rule's code and a hint, in the
//! three formats `check` has (human, short, JSON). `docs/rules.md` explains every code, and a
//! test keeps that page, this list and the fixtures in step.

use serde::Serialize;

use crate::diagnostics::Severity;

/// Every rule of import. Refusals concern a workbook as a whole; the others one cell or row.
/// Soft rules (a large change, a high completion) are findings only when the row has no
/// explanation: with one they are accepted and the explanation is kept with the figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportRule {
    // The workbook as a whole.
    UnreadableWorkbook,
    NotACollectionWorkbook,
    TemplateVersion,
    WrongYear,
    WrongDepartment,
    LayoutChanged,
    DuplicateReturn,
    // A cell.
    NotANumber,
    OtherUnit,
    NotInList,
    NotADate,
    StatusWithoutFigure,
    ImportReferenceYear,
    OutOfRange,
    IncompleteNewIndicator,
    UnknownCity,
    // Soft rules: accepted with an explanation.
    UnexplainedChange,
    UnexplainedCompletion,
    // The long form.
    LongHeader,
    UnknownIndicator,
}

impl ImportRule {
    pub const ALL: &[ImportRule] = &[
        ImportRule::UnreadableWorkbook,
        ImportRule::NotACollectionWorkbook,
        ImportRule::TemplateVersion,
        ImportRule::WrongYear,
        ImportRule::WrongDepartment,
        ImportRule::LayoutChanged,
        ImportRule::DuplicateReturn,
        ImportRule::NotANumber,
        ImportRule::OtherUnit,
        ImportRule::NotInList,
        ImportRule::NotADate,
        ImportRule::StatusWithoutFigure,
        ImportRule::ImportReferenceYear,
        ImportRule::OutOfRange,
        ImportRule::IncompleteNewIndicator,
        ImportRule::UnknownCity,
        ImportRule::UnexplainedChange,
        ImportRule::UnexplainedCompletion,
        ImportRule::LongHeader,
        ImportRule::UnknownIndicator,
    ];

    pub fn code(self) -> &'static str {
        self.describe().0
    }

    /// Every import rule blocks its workbook: a soft rule only when it is not explained.
    pub fn severity(self) -> Severity {
        Severity::Error
    }

    pub fn summary(self) -> &'static str {
        self.describe().1
    }

    fn describe(self) -> (&'static str, &'static str) {
        match self {
            ImportRule::UnreadableWorkbook => ("unreadable-workbook", "the file cannot be opened as an XLSX workbook"),
            ImportRule::NotACollectionWorkbook => {
                ("not-a-collection-workbook", "the workbook was not made by `yearbook collect`")
            }
            ImportRule::TemplateVersion => ("template-version", "the workbook was made by another template version"),
            ImportRule::WrongYear => ("wrong-year", "the workbook was made for another year"),
            ImportRule::WrongDepartment => {
                ("wrong-department", "the workbook's department or its sheets do not match the catalogue")
            }
            ImportRule::LayoutChanged => {
                ("layout-changed", "rows or columns of the locked layout were moved, deleted or changed")
            }
            ImportRule::DuplicateReturn => {
                ("duplicate-return", "two returns of one run are for the same department and city")
            }
            ImportRule::NotANumber => ("not-a-number", "a number cell holds words, a date or a formula error"),
            ImportRule::OtherUnit => ("other-unit", "a number is followed by a unit other than the row's"),
            ImportRule::NotInList => ("not-in-list", "a status or qualifier that is not one of the list's"),
            ImportRule::NotADate => ("not-a-date", "an as-of cell that is not a date"),
            ImportRule::StatusWithoutFigure => ("status-without-figure", "a status that the row's figures contradict"),
            ImportRule::ImportReferenceYear => {
                ("import-reference-year", "a reference year after the edition or more than ten years before it")
            }
            ImportRule::OutOfRange => ("out-of-range", "a negative count or amount, or a percentage above 100"),
            ImportRule::IncompleteNewIndicator => {
                ("incomplete-new-indicator", "a new indicator row without its names, unit or figure")
            }
            ImportRule::UnknownCity => ("unknown-city", "a city the workbook was not sent for"),
            ImportRule::UnexplainedChange => {
                ("unexplained-change", "a change against last year beyond the limit, without an explanation")
            }
            ImportRule::UnexplainedCompletion => {
                ("unexplained-completion", "a completion of the target above the limit, without an explanation")
            }
            ImportRule::LongHeader => {
                ("long-header", "the long form's header row lacks a column or has an unknown one")
            }
            ImportRule::UnknownIndicator => {
                ("unknown-indicator", "a long-form row names an indicator the city did not have, without its name")
            }
        }
    }
}

/// Where a finding is: the file, and the sheet and cell (or the row of a long sheet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub file: String,
    pub sheet: Option<String>,
    /// `F12`, or `row 12` in a CSV.
    pub cell: Option<String>,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(s) = &self.sheet {
            write!(f, " › {s}")?;
        }
        if let Some(c) = &self.cell {
            write!(f, " › {c}")?;
        }
        Ok(())
    }
}

/// One finding of import.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub place: Place,
    pub rule: ImportRule,
    pub message: String,
    /// The cell's content as found, if the finding is about one.
    pub found: Option<String>,
    pub hint: Option<String>,
}

impl Finding {
    pub fn new(place: Place, rule: ImportRule, message: impl Into<String>) -> Finding {
        Finding { place, rule, message: message.into(), found: None, hint: None }
    }

    pub fn found(mut self, found: impl Into<String>) -> Finding {
        self.found = Some(found.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }
}

/// `file › sheet › cell: error[code]: message (hint: …)`, one line each.
pub fn to_short(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!("{}: error[{}]: {}", f.place, f.rule.code(), f.message));
        if let Some(h) = &f.hint {
            out.push_str(&format!(" (hint: {h})"));
        }
        out.push('\n');
    }
    out
}

/// As `check` shows a finding: a header, the place, the value found, the hint.
pub fn to_human(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!("error[{}]: {}\n  --> {}\n", f.rule.code(), f.message, f.place));
        if let Some(v) = &f.found {
            out.push_str(&format!("   | found: {v}\n"));
        }
        if let Some(h) = &f.hint {
            out.push_str(&format!("   = hint: {h}\n"));
        }
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    severity: Severity,
    rule: &'a str,
    file: &'a str,
    sheet: Option<&'a str>,
    cell: Option<&'a str>,
    found: Option<&'a str>,
    message: &'a str,
    hint: Option<&'a str>,
}

pub fn to_json(findings: &[Finding]) -> String {
    let items: Vec<JsonFinding> = findings
        .iter()
        .map(|f| JsonFinding {
            severity: f.rule.severity(),
            rule: f.rule.code(),
            file: &f.place.file,
            sheet: f.place.sheet.as_deref(),
            cell: f.place.cell.as_deref(),
            found: f.found.as_deref(),
            message: &f.message,
            hint: f.hint.as_deref(),
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into())
}
