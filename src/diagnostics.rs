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

/// Index of a file in [`SourceFiles`].
pub type FileIdx = usize;

/// One finding in the data, at a place in one file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: FileIdx,
    /// Byte range in the file; `None` when the problem concerns the file as a whole.
    pub span: Option<Range<usize>>,
    /// Short stable name of the broken rule, e.g. `unknown-unit`.
    pub rule: &'static str,
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(file: FileIdx, span: Option<Range<usize>>, rule: &'static str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, file, span, rule, message: message.into(), hint: None }
    }

    pub fn warning(file: FileIdx, span: Option<Range<usize>>, rule: &'static str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(file, span, rule, message) }
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
        .with_code(d.rule)
        .with_message(&d.message);
        let span = d.span.clone().unwrap_or(0..0);
        cs = cs.with_labels(vec![Label::primary(d.file, span)]);
        if let Some(hint) = &d.hint {
            cs = cs.with_notes(vec![format!("hint: {hint}")]);
        }
        // A write error on stderr leaves nothing better to do than to go on.
        let _ = term::emit(out, &config, &files.files, &cs);
    }
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
        out.push_str(&format!("{}:{line}:{column}: {severity}[{}]: {}", files.name(d.file), d.rule, d.message));
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
                rule: d.rule,
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
