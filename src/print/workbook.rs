//! The workbook: a contents sheet (every table with its number, title, sheet, cells and the
//! page it is printed on), one sheet per sector with data (with the book's completion chart as
//! a native chart), one per comparison table, and the sources. Numbers are stored as numbers
//! with formats that keep the printed decimals; "of which" rows carry their level and parent,
//! which survive a filter that an indent does not; text columns are sized for Chinese, which
//! Excel's own autofit undercounts. Every sheet prints on A4 landscape with its header rows
//! repeated; the properties carry the edition's date, so two builds give the same bytes.
//! No cell holds a formula, so no reader depends on recalculation.

use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};
use unicode_width::UnicodeWidthStr;

use crate::book::{Book, ChangeUnit, Chapter, Col, Num, Row, Table, TableKind};
use crate::error::AppError;
use crate::model::Text;
use crate::print::typeset::TablePages;

/// Rows above the data: Chinese header, English header.
const HEADER_ROWS: u32 = 2;

/// Excel's paper size code for A4.
const A4: u8 = 9;

fn number_format(decimals: u8) -> String {
    if decimals == 0 { "#,##0".to_string() } else { format!("#,##0.{}", "0".repeat(usize::from(decimals))) }
}

/// Display width in Excel character units: East Asian wide characters count two.
fn display_width(s: &str) -> f64 {
    UnicodeWidthStr::width(s) as f64
}

struct Widths(Vec<f64>);

impl Widths {
    fn see(&mut self, col: u16, text: &str) {
        let w = display_width(text) + 2.0;
        let slot = &mut self.0[usize::from(col)];
        *slot = slot.max(w);
    }
    fn apply(&self, ws: &mut Worksheet, max: f64) -> Result<(), AppError> {
        for (col, w) in self.0.iter().enumerate() {
            ws.set_column_width(col as u16, w.min(max))?;
        }
        Ok(())
    }
}

/// What a workbook holds: the whole edition, or some of its chapters (a department's),
/// possibly for one city only. The sheets are the same either way.
pub struct Selection<'a> {
    pub chapters: Vec<&'a Chapter>,
    /// Only this city's rows (its id); `None` for every city.
    pub city: Option<&'a str>,
    /// The document title in the workbook's properties.
    pub title: String,
}

impl<'a> Selection<'a> {
    /// Every chapter and city of the book.
    pub fn edition(book: &'a Book) -> Selection<'a> {
        Selection {
            chapters: book.chapters.iter().collect(),
            city: None,
            title: format!("{} {} / {} {}", book.title.zh, book.year, book.title.en, book.year),
        }
    }

    /// The rows of a chapter's detail table that this selection holds.
    fn rows<'c>(&self, chapter: &'c Chapter) -> impl Iterator<Item = &'c Row> {
        let city = self.city;
        chapter.detail.groups.iter().flat_map(|g| &g.rows).filter(move |r| city.is_none_or(|c| r.city_id == c))
    }
}

/// Writes the whole edition's workbook into memory, with the pages its tables landed on.
pub fn workbook(book: &Book, pages: &TablePages) -> Result<Vec<u8>, AppError> {
    workbook_of(book, &Selection::edition(book), pages)
}

/// One table's sheet: what the contents sheet says about it before the sheet is written.
struct TableSheet<'a> {
    chapter: &'a Chapter,
    table: &'a Table,
    name: String,
    rows: usize,
    columns: u16,
}

impl TableSheet<'_> {
    /// The data's cells, e.g. `A3:Q20` (the header rows above them).
    fn range(&self) -> String {
        let last_row = HEADER_ROWS + self.rows.max(1) as u32;
        format!("A{}:{}{last_row}", HEADER_ROWS + 1, column_name(self.columns - 1))
    }
}

/// `A`, `B` … `Z`, `AA` … for a zero-based column.
fn column_name(col: u16) -> String {
    let mut n = u32::from(col) + 1;
    let mut name = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        name.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Excel allows 31 characters in a sheet name.
fn comparison_sheet_name(chapter: &Chapter) -> String {
    let suffix = " 对比";
    let keep = 31 - suffix.chars().count();
    chapter.sheet_name.chars().take(keep).collect::<String>() + suffix
}

/// Writes the workbook of a selection of the book into memory.
pub fn workbook_of(book: &Book, selection: &Selection, pages: &TablePages) -> Result<Vec<u8>, AppError> {
    let mut wb = Workbook::new();
    // The config accepts only years 1900–9999, which Excel's dates hold.
    let d = book.date;
    let year = u16::try_from(d.year).map_err(|_| AppError::Internal(format!("edition date year {}", d.year)))?;
    let created = ExcelDateTime::from_ymd(year, d.month, d.day).and_then(|t| t.and_hms(0, 0, 0))?;
    let props = DocProperties::new()
        .set_title(&selection.title)
        .set_subject("民生统计 Livelihood statistics")
        .set_author(format!("{} {}", book.publisher.zh, book.publisher.en))
        .set_company(&book.publisher.en)
        .set_keywords("yearbook, 年鉴, livelihood, 民生")
        .set_comment("Generated by yearbook from the edition's TOML data")
        .set_creation_datetime(&created);
    wb.set_properties(&props);

    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color("#E8EEF4")
        .set_border(FormatBorder::Thin);
    let detail_columns: u16 = Col::WORKBOOK.iter().map(|c| c.workbook_headers().len() as u16).sum();
    let mut sheets = Vec::new();
    for chapter in &selection.chapters {
        sheets.push(TableSheet {
            chapter,
            table: &chapter.detail,
            name: chapter.sheet_name.clone(),
            rows: selection.rows(chapter).count(),
            columns: detail_columns,
        });
        // Comparing cities needs every city: a one-city workbook has none.
        if let (Some(table), None) = (&chapter.comparison, selection.city) {
            sheets.push(TableSheet {
                chapter,
                table,
                name: comparison_sheet_name(chapter),
                rows: table.groups.iter().map(|g| g.rows.len()).sum(),
                columns: COMPARISON_FIXED + city_columns(table).len() as u16,
            });
        }
    }
    contents_sheet(&mut wb, &sheets, pages, &header)?;
    for sheet in &sheets {
        match sheet.table.kind {
            TableKind::Detail => sector_sheet(&mut wb, book, selection, sheet, &header)?,
            TableKind::Comparison => comparison_sheet(&mut wb, book, sheet, &header)?,
        }
    }
    sources_sheet(&mut wb, book, selection, &header)?;
    Ok(wb.save_to_buffer()?)
}

/// Paper, orientation and scaling every sheet shares: A4 landscape, as wide as one page, the
/// header rows on every printed page, only the table printed.
fn print_setup(ws: &mut Worksheet, last_row: u32, last_col: u16) -> Result<(), AppError> {
    ws.set_paper_size(A4);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, HEADER_ROWS - 1)?;
    ws.set_print_area(0, 0, last_row.max(HEADER_ROWS - 1), last_col)?;
    Ok(())
}

/// Adds a sheet with its two header rows (Chinese, English) and returns it with the header widths.
fn sheet_with_headers<'a>(
    wb: &'a mut Workbook,
    name: &str,
    cols: &[(&str, &str)],
    header: &Format,
) -> Result<(&'a mut Worksheet, Widths), AppError> {
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    let mut widths = Widths(vec![0.0; cols.len()]);
    for (c, (zh, en)) in cols.iter().enumerate() {
        ws.write_with_format(0, c as u16, *zh, header)?;
        ws.write_with_format(1, c as u16, *en, header)?;
        widths.see(c as u16, zh);
        widths.see(c as u16, en);
    }
    Ok((ws, widths))
}

/// One line per table: its number, title, sheet, cells and pages, so a figure quoted from the
/// workbook can be found in print and back.
fn contents_sheet(
    wb: &mut Workbook,
    sheets: &[TableSheet],
    pages: &TablePages,
    header: &Format,
) -> Result<(), AppError> {
    let cols = [
        ("表号", "Table"),
        ("标题", "Title"),
        ("标题（英文）", "Title (English)"),
        ("工作表", "Sheet"),
        ("单元格", "Cells"),
        ("页码", "Page"),
        ("PDF页", "PDF page"),
        ("领域", "Sector"),
        ("责任部门", "Department"),
        ("行数", "Rows"),
    ];
    let (ws, mut widths) = sheet_with_headers(wb, "目录 Contents", &cols, header)?;
    let link = Format::new().set_font_color("#1F4E79").set_underline(rust_xlsxwriter::FormatUnderline::Single);
    let integer = Format::new().set_num_format("0");
    for (i, s) in sheets.iter().enumerate() {
        let r = HEADER_ROWS + i as u32;
        let ch = s.chapter;
        // An apostrophe inside a quoted sheet name is written twice.
        let quoted = format!("'{}'", s.name.replace('\'', "''"));
        let number = format!("表{}", s.table.number);
        let department = format!("{} {}", ch.department.zh, ch.department.en);
        let sector = format!("{} {}", ch.name.zh, ch.name.en);
        let range = s.range();
        ws.write(r, 0, &number)?;
        ws.write(r, 1, &s.table.title.zh)?;
        ws.write(r, 2, &s.table.title.en)?;
        ws.write_url_with_options(r, 3, format!("internal:{quoted}!A1").as_str(), &s.name, "", Some(&link))?;
        ws.write_url_with_options(r, 4, format!("internal:{quoted}!{range}").as_str(), &range, "", Some(&link))?;
        if let Some(p) = pages.get(&s.table.number) {
            ws.write_number_with_format(r, 5, p.printed as f64, &integer)?;
            ws.write_number_with_format(r, 6, p.pdf as f64, &integer)?;
        }
        ws.write(r, 7, &sector)?;
        ws.write(r, 8, &department)?;
        ws.write_number_with_format(r, 9, s.rows as f64, &integer)?;
        for (c, text) in [(0, &number), (1, &s.table.title.zh), (2, &s.table.title.en), (3, &s.name), (4, &range)] {
            widths.see(c, text);
        }
        widths.see(7, &sector);
        widths.see(8, &department);
    }
    widths.apply(ws, 60.0)?;
    ws.set_freeze_panes(HEADER_ROWS, 1)?;
    let last = (HEADER_ROWS + sheets.len() as u32).saturating_sub(1).max(HEADER_ROWS - 1);
    ws.autofilter(HEADER_ROWS - 1, 0, last, (cols.len() - 1) as u16)?;
    print_setup(ws, last, (cols.len() - 1) as u16)?;
    Ok(())
}

fn write_num(ws: &mut Worksheet, r: u32, c: u16, n: &Num, italic: bool) -> Result<(), AppError> {
    let mut f = Format::new().set_num_format(number_format(n.decimals));
    if italic || n.derived {
        f = f.set_italic();
    }
    ws.write_number_with_format(r, c, n.raw, &f)?;
    Ok(())
}

fn sector_sheet(
    wb: &mut Workbook,
    book: &Book,
    selection: &Selection,
    sheet: &TableSheet,
    header: &Format,
) -> Result<(), AppError> {
    let chapter = sheet.chapter;
    let headers: Vec<(&str, &str)> = Col::WORKBOOK.iter().flat_map(|c| c.workbook_headers().iter().copied()).collect();
    let (ws, mut widths) = sheet_with_headers(wb, &sheet.name, &headers, header)?;
    let table = format!("表{}", chapter.detail.number);
    let mut r = HEADER_ROWS;
    // The ids of the rows above at each level, for the parent column.
    let mut ancestors: Vec<&str> = Vec::new();
    for row in selection.rows(chapter) {
        ancestors.truncate(row.level);
        let cell = Cell { row, table: &table, parent: ancestors.last().copied() };
        let mut c = 0u16;
        for col in Col::WORKBOOK {
            write_cell(ws, r, c, col, &cell, &mut widths)?;
            c += col.workbook_headers().len() as u16;
        }
        ancestors.push(&row.indicator_id);
        r += 1;
    }
    widths.apply(ws, 48.0)?;
    let last_row = r.saturating_sub(1).max(HEADER_ROWS - 1);
    let last_col = (headers.len() - 1) as u16;
    // City and both indicator names stay in view while scrolling right.
    ws.set_freeze_panes(HEADER_ROWS, 3)?;
    ws.autofilter(HEADER_ROWS - 1, 0, last_row, last_col)?;
    print_setup(ws, last_row, last_col)?;
    ws.set_header(format!("&L{} {}&R{} {}", chapter.name.zh, chapter.name.en, book.title.zh, book.year));
    completion_chart(ws, &sheet.name, chapter, selection, last_col + 2)?;
    Ok(())
}

/// The book's completion chart as a native Excel chart, beside the table: its data in two
/// columns from `first_col` (the chart refers to cells, which also makes it editable), the
/// chart under them. Same rule as the book: only with two bars or more.
fn completion_chart(
    ws: &mut Worksheet,
    sheet: &str,
    chapter: &Chapter,
    selection: &Selection,
    first_col: u16,
) -> Result<(), AppError> {
    let bars: Vec<&Row> = selection.rows(chapter).filter(|r| r.level == 0 && r.completion.is_some()).collect();
    if bars.len() < 2 {
        return Ok(());
    }
    let bold = Format::new().set_bold();
    let title = Text {
        zh: format!("{}目标任务完成率", chapter.name.zh),
        en: format!("Target completion: {}", chapter.name.en),
    };
    ws.write_with_format(0, first_col, format!("图表数据：{}", title.zh), &bold)?;
    ws.write_with_format(1, first_col, format!("Chart data: {}", title.en), &bold)?;
    let mut widths = 0.0f64;
    for (i, bar) in bars.iter().enumerate() {
        let r = HEADER_ROWS + i as u32;
        let label = format!("{}（{}）{} ({})", bar.name.zh, bar.city.zh, bar.name.en, bar.city.en);
        widths = widths.max(display_width(&label) + 2.0);
        ws.write(r, first_col, &label)?;
        if let Some(c) = &bar.completion {
            write_num(ws, r, first_col + 1, c, false)?;
        }
    }
    ws.set_column_width(first_col, widths.min(60.0))?;
    let last = HEADER_ROWS + bars.len() as u32 - 1;
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_categories((sheet, HEADER_ROWS, first_col, last, first_col))
        .set_values((sheet, HEADER_ROWS, first_col + 1, last, first_col + 1))
        .set_name("完成率（%）Completion (%)");
    chart.title().set_name(&format!("{} / {}", title.zh, title.en));
    chart.x_axis().set_name("完成率（%）Completion (%)");
    // Bars read top to bottom in the order of the rows, as in the book.
    chart.y_axis().set_reverse();
    chart.legend().set_hidden();
    chart.set_width(720).set_height(120 + 28 * bars.len() as u32);
    ws.insert_chart(last + 2, first_col, &chart)?;
    Ok(())
}

/// One row of a detail table as the workbook writes it.
struct Cell<'a> {
    row: &'a Row,
    table: &'a str,
    /// The id of the figure this row is part of.
    parent: Option<&'a str>,
}

/// Fixed columns of a comparison sheet: table, indicator (zh, en), unit (zh, en), id.
const COMPARISON_FIXED: u16 = 6;

/// The city columns of a comparison table: header and position in each row's cells.
fn city_columns(table: &Table) -> Vec<(&Text, usize)> {
    table.columns.iter().filter(|c| c.key == Col::CityValue).filter_map(|c| c.cell.map(|i| (&c.header, i))).collect()
}

/// A comparison table: one row per indicator, one column per city.
fn comparison_sheet(wb: &mut Workbook, book: &Book, sheet: &TableSheet, header: &Format) -> Result<(), AppError> {
    let table = sheet.table;
    let cities = city_columns(table);
    let mut cols: Vec<(&str, &str)> = vec![
        ("表号", "Table"),
        ("指标", "Indicator"),
        ("指标（英文）", "Indicator (English)"),
        ("单位", "Unit"),
        ("单位（英文）", "Unit (English)"),
        ("指标代码", "Indicator id"),
    ];
    cols.extend(cities.iter().map(|(t, _)| (t.zh.as_str(), t.en.as_str())));
    let (ws, mut widths) = sheet_with_headers(wb, &sheet.name, &cols, header)?;
    let number = format!("表{}", table.number);
    let mut r = HEADER_ROWS;
    for row in table.groups.iter().flat_map(|g| &g.rows) {
        let texts = [&number, &row.name.zh, &row.name.en, &row.unit.zh, &row.unit.en, &row.indicator_id];
        for (c, text) in texts.into_iter().enumerate() {
            ws.write(r, c as u16, text)?;
            widths.see(c as u16, text);
        }
        for (k, (_, i)) in cities.iter().enumerate() {
            if let Some(Some(cell)) = row.cells.get(*i) {
                let n = &cell.value;
                let c = COMPARISON_FIXED + k as u16;
                // The qualifier shows as in print (`>1,200`) and the cell stays a number.
                let prefix = match n.qualifier {
                    Some(crate::model::Qualifier::Over) => "\">\"",
                    Some(crate::model::Qualifier::About) => "\"≈\"",
                    Some(crate::model::Qualifier::Nearly) => "\"<\"",
                    None => "",
                };
                let mut f = Format::new().set_num_format(format!("{prefix}{}", number_format(n.decimals)));
                if n.derived {
                    f = f.set_italic();
                }
                ws.write_number_with_format(r, c, n.raw, &f)?;
                widths.see(c, &n.text());
            }
        }
        r += 1;
    }
    widths.apply(ws, 48.0)?;
    let (last_row, last_col) = (r.saturating_sub(1).max(HEADER_ROWS - 1), (cols.len() - 1) as u16);
    ws.set_freeze_panes(HEADER_ROWS, 3)?;
    ws.autofilter(HEADER_ROWS - 1, 0, last_row, last_col)?;
    print_setup(ws, last_row, last_col)?;
    ws.set_header(format!("&L{} {}&R{} {}", table.title.zh, table.title.en, book.title.zh, book.year));
    Ok(())
}

/// The cell(s) of one workbook column for one row, starting at column `c`.
fn write_cell(ws: &mut Worksheet, r: u32, c: u16, col: Col, cell: &Cell, widths: &mut Widths) -> Result<(), AppError> {
    let row = cell.row;
    let text = |ws: &mut Worksheet, widths: &mut Widths, c: u16, s: &str, format: Option<&Format>| {
        match format {
            Some(f) => ws.write_with_format(r, c, s, f).map(|_| ()),
            None => ws.write(r, c, s).map(|_| ()),
        }
        .map(|()| widths.see(c, s))
    };
    match col {
        // A comparison's city columns have a sheet of their own; here the city is the row's.
        Col::City | Col::CityValue => text(ws, widths, c, &format!("{} {}", row.city.zh, row.city.en), None)?,
        Col::Item => {
            // Parts are indented; the indent is counted in the width.
            let indent = Format::new().set_indent(2);
            let f = (row.level > 0).then_some(&indent);
            text(ws, widths, c, &row.name.zh, f)?;
            text(ws, widths, c + 1, &row.name.en, f)?;
            if row.level > 0 {
                widths.see(c, &format!("    {}", row.name.zh));
                widths.see(c + 1, &format!("    {}", row.name.en));
            }
        }
        Col::Unit => {
            text(ws, widths, c, &row.unit.zh, None)?;
            text(ws, widths, c + 1, &row.unit.en, None)?;
        }
        // A plan has no value: the cell stays empty (not 0), its target is in the Target column.
        Col::Value => {
            if let Some(value) = &row.value {
                write_num(ws, r, c, value, row.derived)?;
                widths.see(c, &value.text());
            }
        }
        Col::Status => {
            let label = match row.status {
                crate::resolve::Status::Planned => "计划 planned",
                crate::resolve::Status::Progress => "进度 progress",
                crate::resolve::Status::Result => "完成 result",
            };
            text(ws, widths, c, label, None)?;
        }
        Col::Qualifier => {
            if let Some(q) = row.value.as_ref().or(row.target.as_ref()).and_then(|n| n.qualifier) {
                let label = match q {
                    crate::model::Qualifier::Over => "超过 over",
                    crate::model::Qualifier::About => "约 about",
                    crate::model::Qualifier::Nearly => "近 nearly",
                };
                text(ws, widths, c, label, None)?;
            }
        }
        Col::Target => {
            if let Some(t) = &row.target {
                write_num(ws, r, c, t, false)?;
                widths.see(c, &t.text());
            }
        }
        Col::TargetDerived => {
            if row.target.as_ref().is_some_and(|t| t.derived) {
                text(ws, widths, c, "是 yes", None)?;
            }
        }
        Col::Completion => {
            if let Some(n) = &row.completion {
                write_num(ws, r, c, n, false)?;
            }
        }
        Col::LastYear => {
            if let Some(n) = &row.last_year {
                write_num(ws, r, c, n, false)?;
            }
        }
        Col::Before => {
            if let Some(n) = &row.before {
                write_num(ws, r, c, n, false)?;
            }
        }
        Col::Change => {
            if let (Some(n), Some(unit)) = (&row.change, row.change_unit) {
                let fmt = match unit {
                    ChangeUnit::Points => format!("+{0};−{0}", number_format(n.decimals)) + " \"pp\"",
                    ChangeUnit::Percent => "+0.0\"%\";−0.0\"%\"".to_string(),
                };
                ws.write_number_with_format(r, c, n.raw, &Format::new().set_num_format(fmt).set_italic())?;
            }
        }
        // A year is a label, not a quantity: no digit grouping.
        Col::Year => {
            ws.write_number_with_format(r, c, row.reference_year as f64, &Format::new().set_num_format("0"))?;
        }
        Col::Source => text(ws, widths, c, &row.source, None)?,
        Col::Note => {
            if let Some(n) = &row.note {
                text(ws, widths, c, &format!("{} / {}", n.zh, n.en), None)?;
            }
        }
        Col::Table => text(ws, widths, c, cell.table, None)?,
        Col::Id => text(ws, widths, c, &row.indicator_id, None)?,
        Col::Level => {
            ws.write_number_with_format(r, c, row.level as f64, &Format::new().set_num_format("0"))?;
        }
        Col::Parent => {
            if let Some(p) = cell.parent {
                text(ws, widths, c, p, None)?;
            }
        }
    }
    Ok(())
}

fn sources_sheet(wb: &mut Workbook, book: &Book, selection: &Selection, header: &Format) -> Result<(), AppError> {
    let cols = [
        ("代码", "Code"),
        ("城市", "City"),
        ("标题", "Title"),
        ("英文标题", "English title"),
        ("时期", "Period"),
        ("作者", "Authors"),
        ("发布日期", "Published"),
        ("网址", "Address"),
        ("存档文件", "Archived text"),
    ];
    let (ws, mut widths) = sheet_with_headers(wb, "资料来源 Sources", &cols, header)?;
    // The edition lists every source (alternatives' too); a part of it only the sources its
    // rows cite, under the edition's codes so that they match the printed book.
    let whole = selection.city.is_none() && selection.chapters.len() == book.chapters.len();
    let cited: std::collections::BTreeSet<&str> =
        selection.chapters.iter().flat_map(|ch| selection.rows(ch)).map(|r| r.source.as_str()).collect();
    let sources: Vec<_> = book.sources.iter().filter(|s| whole || cited.contains(s.code.as_str())).collect();
    for (i, s) in sources.iter().enumerate() {
        let r = HEADER_ROWS + i as u32;
        let cells = [
            s.code.clone(),
            format!("{} {}", s.city.zh, s.city.en),
            s.title.zh.clone(),
            s.title.en.clone(),
            s.period.clone(),
            s.authors.clone().unwrap_or_default(),
            s.date.as_ref().map(|d| d.zh.clone()).unwrap_or_default(),
            s.url.clone().unwrap_or_default(),
            s.seed.clone(),
        ];
        for (c, text) in cells.iter().enumerate() {
            ws.write(r, c as u16, text)?;
            widths.see(c as u16, text);
        }
    }
    widths.apply(ws, 70.0)?;
    ws.set_freeze_panes(HEADER_ROWS, 0)?;
    let last = (HEADER_ROWS + sources.len() as u32).saturating_sub(1).max(HEADER_ROWS - 1);
    ws.autofilter(HEADER_ROWS - 1, 0, last, (cols.len() - 1) as u16)?;
    print_setup(ws, last, (cols.len() - 1) as u16)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_counts_double_width() {
        assert_eq!(display_width("就业"), 4.0);
        assert_eq!(display_width("Jobs"), 4.0);
    }

    #[test]
    fn formats_keep_decimals() {
        assert_eq!(number_format(0), "#,##0");
        assert_eq!(number_format(2), "#,##0.00");
    }
}
