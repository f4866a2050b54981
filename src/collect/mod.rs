//! The collection round: `yearbook collect` writes each department a workbook to fill
//! (`workbook`), `yearbook import` reads the returns back by named range and checks every entry
//! cell again (`import`, with clerks' numbers understood by `numbers`), and the checked figures
//! are written into the city files with their layout kept (`write`). This module holds what both
//! sides must agree on: the template version, the columns and their fixed names, the hidden
//! sheet that says what a workbook is, and the hash of its locked layout.

pub mod import;
pub mod long;
pub mod mail;
pub mod numbers;
pub mod plan;
pub mod rules;
pub mod workbook;
pub mod write;

use sha2::{Digest, Sha256};

/// Bumped whenever the layout changes in a way an older return could not be read by.
pub const TEMPLATE_VERSION: &str = "1";

/// What the hidden sheet's `template` key holds: a workbook without it was not made by collect.
pub const TEMPLATE_NAME: &str = "yearbook-collect";

/// The very hidden sheet holding the workbook's identity (and the unit list for validation).
pub const META_SHEET: &str = "_meta";

/// The first column of the hidden sheet's copy of the locked layout (sheet, city, id, unit,
/// last year's value per row); columns A–F hold the identity, the units and the cities.
pub const LAYOUT_COLUMN: u16 = 7;

/// The first sheet, instructions in both languages.
pub const INSTRUCTIONS_SHEET: &str = "填表说明 Instructions";

/// Rows above the first data row: a title, then the Chinese and English headers.
pub const HEADER_ROWS: u32 = 3;
/// The (0-based) row of the Chinese header, checked on import under each named column.
pub const ZH_HEADER_ROW: u32 = 1;

/// Blank rows per sheet in which a department can add an indicator.
pub const BLANK_ROWS: u32 = 5;

/// One column of a sector sheet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    /// The sheet-scoped defined name, if the column has one (scripts and import use it).
    pub name: Option<&'static str>,
    pub zh: &'static str,
    pub en: &'static str,
    /// The department fills it in (unlocked and shaded); in blank rows every column but the
    /// last year's is open.
    pub entry: bool,
    pub width: f64,
}

const fn col(name: Option<&'static str>, zh: &'static str, en: &'static str, entry: bool, width: f64) -> Column {
    Column { name, zh, en, entry, width }
}

/// The columns of every sector sheet, in order.
pub const COLUMNS: [Column; 16] = [
    col(Some("city"), "城市代码", "City id", false, 12.0),
    col(None, "城市", "City", false, 10.0),
    col(Some("id"), "指标代码", "Indicator id", false, 22.0),
    col(Some("name_zh"), "指标名称", "Indicator", false, 26.0),
    col(Some("name_en"), "英文名称", "Indicator (English)", false, 26.0),
    col(Some("unit"), "单位", "Unit", false, 8.0),
    col(Some("last_year"), "上年数值", "Last year", false, 11.0),
    col(None, "上年状态", "Last status", false, 10.0),
    col(Some("value"), "本年数值", "Value", true, 12.0),
    col(Some("target"), "目标值", "Target", true, 11.0),
    col(Some("status"), "状态", "Status", true, 8.0),
    col(Some("qualifier"), "约数", "Qualifier", true, 8.0),
    col(Some("reference_year"), "数据年份", "Reference year", true, 9.0),
    col(Some("as_of"), "截至日期", "As of", true, 12.0),
    col(Some("note"), "备注", "Note", true, 24.0),
    col(Some("explanation"), "说明", "Explanation", true, 30.0),
];

/// The column index of a named column.
pub fn column(name: &str) -> u16 {
    COLUMNS.iter().position(|c| c.name == Some(name)).expect("a column of the layout") as u16
}

/// Excel's letters for a 0-based column.
pub fn letters(mut col: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `F12` for 0-based row 11, column 5.
pub fn a1(row: u32, col: u32) -> String {
    format!("{}{}", letters(col), row + 1)
}

/// A row's status, as the department chooses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 完成: the result of the year.
    Result,
    /// 进度: done so far, as of a date.
    Progress,
    /// 计划: a plan (a target, no value yet).
    Plan,
}

impl Status {
    pub const CHOICES: [&str; 3] = ["完成", "进度", "计划"];

    pub fn zh(self) -> &'static str {
        match self {
            Status::Result => "完成",
            Status::Progress => "进度",
            Status::Plan => "计划",
        }
    }

    /// The Chinese word or the English one.
    pub fn parse(s: &str) -> Option<Status> {
        match s.trim().to_lowercase().as_str() {
            "完成" | "result" => Some(Status::Result),
            "进度" | "progress" => Some(Status::Progress),
            "计划" | "plan" => Some(Status::Plan),
            _ => None,
        }
    }
}

/// The qualifiers a department may pick, with the model's names.
pub const QUALIFIERS: [(&str, &str); 3] = [("超", "over"), ("约", "about"), ("近", "nearly")];

/// Hashes the locked layout: the sheets, the headers and, per row, what identifies it (city,
/// indicator, unit and last year's value). Import recomputes it from what it finds under the
/// named ranges; a moved row or column gives another hash.
pub fn layout_hash(sheets: &[(String, Vec<[String; 4]>)]) -> String {
    let mut h = Sha256::new();
    h.update(TEMPLATE_VERSION.as_bytes());
    for c in COLUMNS {
        h.update([0]);
        h.update(c.zh.as_bytes());
    }
    for (name, rows) in sheets {
        h.update([1]);
        h.update(name.as_bytes());
        for row in rows {
            for f in row {
                h.update([2]);
                h.update(f.as_bytes());
            }
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()[..16].to_string()
}

/// A number as the locked cells show it, for the layout hash: the shortest form that reads back.
pub fn hash_number(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

/// The edition years present in a data folder (folders named by a year), in order.
pub fn years(data_dir: &std::path::Path) -> Vec<crate::year::Year> {
    let mut out: Vec<crate::year::Year> = std::fs::read_dir(data_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect();
    out.sort_unstable();
    out
}

/// The folder the collection workbooks of `year` land in, beside the editions.
pub fn folder(year: i32) -> String {
    format!("{year}-collect")
}
