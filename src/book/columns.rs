//! The columns of the tables: one list that the printed table and the workbook sheet both
//! follow, so adding a column is a variant here, its headers, and its cell in each writer (the
//! compiler points at the workbook writer; the Typst table fails loudly on a key it lacks).

use serde::Serialize;

use crate::model::Text;

/// A column of a table: what it holds, its header and its width.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub key: Col,
    pub header: Text,
    /// Width in em; `None` takes the remaining width.
    pub width: Option<f64>,
    /// For a city column of a comparison: its position in each row's `cells`.
    pub cell: Option<usize>,
    /// For an indicator's column of a comparison by city (cities as rows): the indicator it
    /// holds, which the index points to this table by and the web's records name.
    #[serde(skip)]
    pub indicator: Option<Compared>,
    /// The Change column of a table whose changes share one unit: the header says it ("增减（%）")
    /// and the cells print the bare figure, as a statistical table does.
    pub unit_in_header: bool,
}

/// The indicator of a comparison-by-city column, whole: the header joins its name, unit and
/// status into one label, and a record of the column's figures needs each apart.
#[derive(Debug, Clone)]
pub struct Compared {
    pub id: String,
    pub name: Text,
    pub unit: Text,
    pub status: crate::resolve::Status,
}

/// What a column holds. The one list both writers follow: the Typst table draws a cell per
/// printed column by its key, the workbook writes a cell per workbook column; adding a column
/// is a variant here, its headers, and its cell in each writer (the compiler finds the writer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Col {
    City,
    Item,
    Unit,
    Value,
    /// Planned, progress or result: what the figure is.
    Status,
    Qualifier,
    Target,
    TargetDerived,
    Completion,
    LastYear,
    Before,
    Change,
    Year,
    Source,
    Note,
    /// One city's value in a comparison table.
    CityValue,
    /// The table's number (`3-1`), on every row: a sheet cut or filtered still says where its
    /// rows are printed.
    Table,
    /// The indicator's id, which the parent column refers to.
    Id,
    /// 0 for a figure, 1 for its "of which" parts, and so on.
    Level,
    /// The id of the figure an "of which" row is part of: the hierarchy an indent shows in
    /// print, kept where a filter hides the rows above.
    Parent,
}

impl Col {
    /// The workbook's sector sheets, left to right.
    pub const WORKBOOK: [Col; 19] = [
        Col::City,
        Col::Item,
        Col::Unit,
        Col::Value,
        Col::Status,
        Col::Qualifier,
        Col::Target,
        Col::TargetDerived,
        Col::Completion,
        Col::LastYear,
        Col::Before,
        Col::Change,
        Col::Year,
        Col::Source,
        Col::Note,
        Col::Table,
        Col::Id,
        Col::Level,
        Col::Parent,
    ];

    /// Header in the printed table.
    pub fn print_header(self) -> (&'static str, &'static str) {
        match self {
            Col::City | Col::CityValue => ("城市", "City"),
            Col::Item => ("指标", "Item"),
            Col::Unit => ("单位", "Unit"),
            Col::Value => ("数值", "Value"),
            Col::Status => ("性质", "Status"),
            Col::Qualifier => ("限定", "Qualifier"),
            Col::Target => ("目标", "Target"),
            Col::TargetDerived => ("目标为推算", "Target derived"),
            Col::Completion => ("完成率（%）", "Completion (%)"),
            Col::LastYear => ("上年", "Last year"),
            Col::Before => ("原值", "Before"),
            Col::Change => ("增减", "Change"),
            Col::Year => ("年份", "Year"),
            Col::Source => ("来源", "Source"),
            Col::Note => ("备注", "Note"),
            Col::Table => ("表号", "Table"),
            Col::Id => ("指标代码", "Indicator id"),
            Col::Level => ("层级", "Level"),
            Col::Parent => ("上级指标", "Part of"),
        }
    }

    /// Headers in the workbook: text columns split into a Chinese and an English column.
    pub fn workbook_headers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            // Two columns, as the indicator's: a filter or a sort by city in one language.
            Col::City | Col::CityValue => &[("城市", "City"), ("城市（英文）", "City (English)")],
            Col::Item => &[("指标", "Indicator"), ("指标（英文）", "Indicator (English)")],
            Col::Unit => &[("单位", "Unit"), ("单位（英文）", "Unit (English)")],
            Col::Value => &[("数值", "Value")],
            Col::Status => &[("性质（计划/进度/完成）", "Status (planned / progress / result)")],
            Col::Qualifier => &[("限定", "Qualifier")],
            Col::Target => &[("目标", "Target")],
            Col::TargetDerived => &[("目标为推算", "Target derived")],
            Col::Completion => &[("完成率（%）", "Completion (%)")],
            Col::LastYear => &[("上年数值", "Last year's value")],
            Col::Before => &[("原值", "Value before")],
            Col::Change => &[("增减", "Change")],
            Col::Year => &[("数据年份", "Reference year")],
            Col::Source => &[("资料来源", "Source")],
            Col::Note => &[("备注", "Note")],
            Col::Table => &[("表号", "Table")],
            Col::Id => &[("指标代码", "Indicator id")],
            Col::Level => &[("层级", "Level")],
            Col::Parent => &[("上级指标代码", "Part of (id)")],
        }
    }

    /// Printed width in em; `None` for the flexible item column.
    fn print_width(self) -> Option<f64> {
        match self {
            Col::Item => None,
            // Wide enough for "亿元" over "100 million yuan" in two lines.
            Col::Unit => Some(7.0),
            Col::Value | Col::Target | Col::Before | Col::LastYear => Some(6.2),
            Col::Completion => Some(6.0),
            Col::Change => Some(5.0),
            Col::CityValue => Some(6.4),
            Col::City | Col::Status | Col::Qualifier | Col::TargetDerived | Col::Note => Some(6.0),
            Col::Year | Col::Source | Col::Table | Col::Level => Some(3.0),
            Col::Id | Col::Parent => Some(8.0),
        }
    }

    pub(crate) fn column(self) -> Column {
        let (zh, en) = self.print_header();
        Column {
            key: self,
            header: Text { zh: zh.into(), en: en.into() },
            width: self.print_width(),
            cell: None,
            indicator: None,
            unit_in_header: false,
        }
    }
}
