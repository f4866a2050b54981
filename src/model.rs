//! The data model: exactly the shapes of the TOML files, as serde types.
//!
//! Fields that a validation rule may point at are `Spanned`, so a diagnostic can name the file,
//! line and column of the offending value. Nothing here checks anything; `validate` does.
//! Every field's documentation is the data-entry manual (see also `docs/data-format.md`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_spanned::Spanned;

/// A text in both languages of the book.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    pub zh: Spanned<String>,
    pub en: Spanned<String>,
}

impl Bilingual {
    pub fn zh(&self) -> &str {
        self.zh.get_ref()
    }
    pub fn en(&self) -> &str {
        self.en.get_ref()
    }
}

/// Plain bilingual text for the rendering stages, which need no spans.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl From<&Bilingual> for Text {
    fn from(b: &Bilingual) -> Self {
        Text { zh: b.zh().to_owned(), en: b.en().to_owned() }
    }
}

/// `data/catalogue/sectors.toml`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectorFile {
    #[serde(default)]
    pub sector: Vec<Sector>,
}

/// A livelihood sector: a chapter of the book and a sheet of the workbook.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    pub id: Spanned<String>,
    /// Position of the chapter in the book.
    pub order: Spanned<i64>,
    pub name: Bilingual,
    /// The department responsible for the sector (id in departments.toml).
    pub department: Spanned<String>,
    pub description: Bilingual,
}

/// `data/catalogue/departments.toml`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentFile {
    #[serde(default)]
    pub department: Vec<Department>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub id: Spanned<String>,
    pub name: Bilingual,
    /// Who receives the department's workbook; only addresses the department has confirmed.
    #[serde(default)]
    pub to: Vec<Spanned<String>>,
    /// Who receives a copy.
    #[serde(default)]
    pub cc: Vec<Spanned<String>>,
    /// The department's office in each city (`[department.city.<city id>]`), for workbooks
    /// split by city; a city without an entry falls back to `to` and `cc` above.
    #[serde(default)]
    pub city: BTreeMap<Spanned<String>, Recipients>,
}

/// The addresses one workbook is mailed to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipients {
    #[serde(default)]
    pub to: Vec<Spanned<String>>,
    #[serde(default)]
    pub cc: Vec<Spanned<String>>,
}

/// `data/catalogue/units.toml`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitFile {
    #[serde(default)]
    pub unit: Vec<Unit>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub id: Spanned<String>,
    pub zh: Spanned<String>,
    pub en: Spanned<String>,
    pub kind: UnitKind,
}

/// What a unit measures; decides the range checks and how changes are expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    Count,
    Money,
    Percent,
    Length,
    Area,
    Rate,
    Rank,
    Other,
}

/// `data/catalogue/sources.toml`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    #[serde(default)]
    pub source: Vec<Source>,
}

/// A published article that figures are taken from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: Spanned<String>,
    pub city: Spanned<String>,
    /// Chinese title exactly as published; English title ours.
    pub title: Bilingual,
    pub publication: Option<Bilingual>,
    /// The period the article covers, as text ("2025", "2019–2024").
    pub period: Spanned<String>,
    /// File name of the archived article text; for a department's return, of the workbook
    /// as received.
    pub seed: String,
    /// The lines of `seed` that hold this article, first and last (1-based), where one archived
    /// file holds several articles (a newspaper page): its figures are looked for there only.
    pub lines: Option<Spanned<[usize; 2]>>,
    /// The byline as the article prints it (记者 …).
    pub authors: Option<Spanned<String>>,
    /// The byline in English, ours: the names in pinyin, the role translated ("Jiao Xuyu,
    /// reporter"). Without it an English page gives the Chinese byline.
    pub authors_en: Option<Spanned<String>>,
    /// Date of publication, `YYYY-MM-DD` (or `YYYY-MM`).
    pub date: Option<Spanned<String>>,
    /// Where the article can be read, if it is online.
    pub url: Option<Spanned<String>>,
    /// Set when the source is a department's returned collection workbook (`yearbook import`),
    /// not an article: its figures are traced to their cells, not to a text.
    #[serde(rename = "return")]
    pub returned: Option<Returned>,
}

/// A department's returned collection workbook, as `yearbook import` received it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Returned {
    /// Department id in departments.toml.
    pub department: Spanned<String>,
    /// The file name as received.
    pub file: Spanned<String>,
    /// SHA-256 of the file's bytes, in lower-case hex.
    pub sha256: Spanned<String>,
    /// The day it was imported, `YYYY-MM-DD`.
    pub received: Spanned<String>,
}

/// `data/catalogue/terms.toml`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermFile {
    #[serde(default)]
    pub term: Vec<Term>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub id: Spanned<String>,
    pub zh: Spanned<String>,
    pub en: Spanned<String>,
    pub definition: Bilingual,
}

/// `data/<year>/<city>.toml`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    /// Must equal the file name.
    pub id: Spanned<String>,
    /// Edition year; must equal the folder name.
    pub year: Spanned<i64>,
    pub name: Bilingual,
    pub province: Option<Bilingual>,
    /// The six-digit administrative division code (行政区划代码), which orders the cities as
    /// official yearbooks do: by province, then by code.
    pub code: Option<Spanned<String>>,
    /// Articles this file draws on.
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    /// The city's profile text. A file that `yearbook import` created has none until the office
    /// writes it (a warning, not an error).
    pub overview: Option<Bilingual>,
    /// One short text per sector id.
    #[serde(default)]
    pub summaries: BTreeMap<Spanned<String>, Bilingual>,
    #[serde(default, rename = "indicator")]
    pub indicators: Vec<Indicator>,
}

/// How an inexact figure relates to the true one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Qualifier {
    /// 超, 超过, 余, 多: more than this.
    Over,
    /// 以上: at least this much (this figure or more).
    AtLeast,
    /// 约, 左右.
    About,
    /// 近, 将近: a little less.
    Nearly,
}

/// One figure of a city, possibly with "of which" parts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub id: Spanned<String>,
    /// Sector id; sub-items inherit their parent's.
    pub sector: Option<Spanned<String>>,
    pub name: Bilingual,
    /// Unit id; sub-items inherit their parent's unless given.
    pub unit: Option<Spanned<String>>,
    /// The result: what was done (or, with `as_of`, done so far). Without it, and with a
    /// `target`, the figure is a plan.
    pub value: Option<Spanned<f64>>,
    /// The figure exactly as its source prints it, measure word and qualifier included
    /// (`"1.3万余人次"`, `"六所"`, `"超千人"`): what a check against the archived article looks for
    /// when the value's usual written forms are not in the text.
    pub as_printed: Option<Spanned<String>>,
    /// A few characters of the article's sentence that name this figure, where the Chinese
    /// name is a paraphrase (`"楼栋"`, `"金川区"`): what the trace looks for beside the number.
    pub cue: Option<Spanned<String>>,
    /// The name's reading for the index, one syllable with its tone number per Chinese
    /// character (`"chang2 cheng2 jiang3 tang2"`), where the book's word readings file it
    /// under the wrong letter.
    pub pinyin: Option<Spanned<String>>,
    pub qualifier: Option<Qualifier>,
    pub reference_year: Option<Spanned<i64>>,
    pub cumulative_since: Option<Spanned<i64>>,
    pub as_of: Option<Spanned<String>>,
    pub target: Option<Spanned<f64>>,
    /// Completion of the target in %, as reported.
    pub completion: Option<Spanned<f64>>,
    /// The earlier value of a before/after pair.
    pub previous: Option<Spanned<f64>>,
    /// The figure for the year before, as this edition's source gives it. Where the previous
    /// edition printed another value, this one is the restated figure and prevails.
    pub last_year: Option<Spanned<f64>>,
    /// The change the source itself reports: in per cent for amounts, in percentage points for
    /// rates. It is printed instead of a computed change.
    pub change: Option<Spanned<f64>>,
    pub note: Option<Bilingual>,
    /// The editors' working note: how a figure was read, why one report was preferred, which
    /// measure word the book uses. It keeps the reasoning beside the figure (and in the archived
    /// edition) and is never printed: a table note says only what a reader needs.
    pub editorial: Option<Bilingual>,
    /// Source id; sub-items inherit their parent's.
    pub source: Option<Spanned<String>>,
    /// Where an imported figure was read: `sheet!cell` of the department's return
    /// (`"01 就业与劳动保障!I12"`).
    pub cell: Option<Spanned<String>>,
    /// The department's written explanation (上报说明) for a figure a soft rule questioned.
    pub explanation: Option<Spanned<String>>,
    /// We computed this figure; `method` says how.
    #[serde(default)]
    pub derived: bool,
    /// One of the figures that lead the city's profile (chosen by the editor).
    #[serde(default)]
    pub key: bool,
    pub method: Option<Bilingual>,
    #[serde(default)]
    pub of_which: Vec<Indicator>,
    #[serde(default, rename = "alternative")]
    pub alternatives: Vec<Alternative>,
}

/// A figure for the same thing reported elsewhere, kept for the record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    pub value: Spanned<f64>,
    /// As for an indicator: the figure as the other source prints it.
    pub as_printed: Option<Spanned<String>>,
    pub source: Spanned<String>,
    pub note: Option<Bilingual>,
    /// As for an indicator: the editors' reasoning about the two figures, never printed.
    pub editorial: Option<Bilingual>,
}
