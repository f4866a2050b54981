//! Printed texts: not blank, printable with the bundled fonts, and for a bilingual pair, short
//! enough to share one workbook cell, Chinese where Chinese is meant and translated where
//! English is.

use serde_spanned::Spanned;

use super::{Validator, span};
use crate::diagnostics::{Diagnostic, FileIdx, Rule};
use crate::model::Bilingual;
use crate::strings::{self, CELL_LIMIT, cell_len};

/// The rules for one printed text (not blank, printable with the bundled fonts), for texts that
/// live outside the data files, such as the edition title in `yearbook.toml`.
pub fn printed_text(file: FileIdx, text: &Spanned<String>, covered: &dyn Fn(char) -> bool) -> Vec<Diagnostic> {
    // Data files get the string rules as they are read; this text comes from elsewhere.
    let s = text.get_ref();
    let at = |i: usize| {
        let offset = s.char_indices().nth(i).map_or(0, |(o, _)| o);
        let raw = text.span().start + 1 + offset;
        raw..raw + s[offset..].chars().next().map_or(1, char::len_utf8)
    };
    let mut out = strings::string_rules(file, s, text.span(), &at);
    out.extend(strings::printed(file, None, text, covered));
    out
}

impl Validator<'_> {
    /// A printed text: not blank, and every character printable with the bundled fonts.
    pub(super) fn text(&mut self, file: FileIdx, text: &Spanned<String>) {
        let source = self.files.map(|f| f.text(file));
        let found = strings::printed(file, source, text, self.covered);
        self.out.extend(found);
    }

    pub(super) fn bilingual(&mut self, file: FileIdx, b: &Bilingual) {
        self.text(file, &b.zh);
        self.text(file, &b.en);
        // Workbook cells hold some texts in both languages at once, `zh / en`.
        let (zh, en) = (cell_len(b.zh()), cell_len(b.en()));
        if zh <= CELL_LIMIT && en <= CELL_LIMIT && zh + en + 3 > CELL_LIMIT {
            self.push(
                Diagnostic::new(
                    file,
                    Some(b.zh.span().start..b.zh.span().start + 1),
                    Rule::TextTooLong,
                    format!(
                        "the Chinese and English texts together are {} characters long; a workbook cell \
                         holds both, at most {CELL_LIMIT}",
                        zh + en + 3
                    ),
                )
                .with_hint("shorten them; the workbook must hold every text of the book"),
            );
        }
        let has_han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        if !b.en().trim().is_empty() && has_han(b.en()) {
            self.push(
                Diagnostic::new(file, span(&b.en), Rule::Untranslated, "the English text contains Chinese characters")
                    .with_hint("translate it; terms.toml lists the agreed English terms"),
            );
        }
        if !b.zh().trim().is_empty() && !has_han(b.zh()) && b.zh().chars().any(char::is_alphabetic) {
            self.push(
                Diagnostic::new(
                    file,
                    span(&b.zh),
                    Rule::ZhWithoutChinese,
                    "the Chinese text has no Chinese characters",
                )
                .with_hint("check that `zh` and `en` are not swapped"),
            );
        }
    }
}
