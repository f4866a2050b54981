//! The workbook: a contents sheet (every table with its number, title, sheet, cells and the
//! page it is printed on), one sheet per sector with data (with the book's completion chart as
//! a native chart), one per comparison table, and the sources. Numbers are stored as numbers
//! with formats that keep the printed decimals; "of which" rows carry their level and parent,
//! which survive a filter that an indent does not; text columns are sized for Chinese, which
//! Excel's own autofit undercounts. Every sheet prints on A4 landscape with its header rows
//! repeated; the properties carry the edition's date, so two builds give the same bytes.
//! No cell holds a formula, so no reader depends on recalculation.

use rust_xlsxwriter::utility::{cell_range, quote_sheet_name};
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};
use unicode_width::UnicodeWidthStr;

use crate::book::{
    Bar, Book, Cell as BookCell, ChangeUnit, Chapter, Chart as BookChart, Col, Num, Row, Table, TableKind,
};
use crate::error::AppError;
use crate::model::Text;
use crate::print::typeset::TablePages;

/// Rows above the data: Chinese header, English header.
const HEADER_ROWS: u32 = 2;

/// Excel's paper size code for A4.
const A4: u8 = 9;

/// The number format that shows a figure as the book prints it: its decimals, and from 10 000 up
/// its digits in groups of three set off by thin spaces (GB/T 8170 and GB/T 15835), four-digit
/// figures ungrouped.
///
/// Why a format per figure: Excel's `,` in a format is the reader's locale separator (a comma
/// in Chinese and English Windows), never a thin space, and it groups from 1 000. A thin space
/// written as literal text between digit placeholders (`##" "##0`) does group, but only where
/// the pattern puts it, and a threshold (`[>=10000]`) would take a section that Excel and
/// LibreOffice sign differently for negative figures (LibreOffice drops the minus). So each cell
/// gets the pattern of its own printed digits (the book's [`Num::int`]): the cell stays the
/// number, and it reads as the book's figure in every locale.
fn number_format(n: &Num) -> String {
    let digits = digits_pattern(n);
    // The book's minus is U+2212, not the hyphen a one-section format puts before a figure.
    format!("{digits};\"\u{2212}\"{digits}")
}

/// The placeholders of a figure's printed digits, without sign: `##" "##0.0` for 12 345.6.
fn digits_pattern(n: &Num) -> String {
    // The printed integer part without its sign: digits and thin spaces.
    let printed: Vec<char> = n.int.chars().filter(|c| c.is_ascii_digit() || *c == THIN_SPACE).collect();
    let mut int = String::new();
    for (i, c) in printed.iter().enumerate() {
        match c {
            &THIN_SPACE => int.push_str("\"\u{2009}\""),
            // The last digit is `0`, so that a zero shows as 0.
            _ if i + 1 == printed.len() => int.push('0'),
            _ => int.push('#'),
        }
    }
    if int.is_empty() {
        int.push('0');
    }
    let frac = if n.decimals == 0 { String::new() } else { format!(".{}", "0".repeat(usize::from(n.decimals))) };
    int + &frac
}

const THIN_SPACE: char = '\u{2009}';

/// A number that labels rather than counts (a year, a page, a level): no grouping, and centred,
/// so that it never runs into the text beside it ("2024S2" for 2024 and source S2).
fn label_number() -> Format {
    Format::new().set_num_format("0").set_align(FormatAlign::Center)
}

/// The formats a sector sheet's cells share, made once per sheet rather than once per cell.
struct Looks {
    /// Text set off from a number on its left: "2 400 是 yes", never "2400是 yes".
    padded: Format,
    label: Format,
    /// Names (and parts' names, indented) and notes, wrapped.
    name: Format,
    part: Format,
    note: Format,
}

impl Looks {
    fn new() -> Looks {
        Looks {
            padded: Format::new().set_indent(1),
            label: label_number(),
            name: Format::new().set_text_wrap(),
            part: Format::new().set_indent(2).set_text_wrap(),
            note: Format::new().set_text_wrap(),
        }
    }
}

/// The contents sheet's name.
const CONTENTS: &str = "目录 Contents";

/// Display width in Excel character units: East Asian wide characters count two.
fn display_width(s: &str) -> f64 {
    UnicodeWidthStr::width(s) as f64
}

/// Column widths sized by what the columns hold, and the row heights that wrapped cells need.
///
/// Why heights are written: LibreOffice does not measure rows again when it opens a workbook,
/// so a wrapped note or header in a row of default height showed as its first line over the
/// next row. The height is counted from the text's width, as the widths are.
/// The width a text takes when set, in Excel's character units: a Latin letter is narrower than
/// the digit the unit is measured by, a Chinese character takes two.
fn set_width(s: &str) -> f64 {
    s.chars().map(|c| if c.is_ascii() { 0.85 } else { display_width(c.encode_utf8(&mut [0; 4])) }).sum()
}

struct Widths {
    cols: Vec<f64>,
    /// The most a column may be widened to by its contents (its text wraps beyond).
    caps: Vec<f64>,
    /// Wrapped cells: row, column, text width.
    wrapped: Vec<(u32, u16, f64)>,
}

/// The height of a row of one line, in points (Excel's default for its 11-point font).
const LINE_HEIGHT: f64 = 15.0;

impl Widths {
    fn new(cols: usize) -> Widths {
        Widths { cols: vec![0.0; cols], caps: vec![f64::INFINITY; cols], wrapped: Vec::new() }
    }
    fn see(&mut self, col: u16, text: &str) {
        let w = display_width(text) + 2.0;
        let slot = &mut self.cols[usize::from(col)];
        *slot = slot.max(w);
    }
    /// A cell that wraps within its column (and widens it up to its cap).
    fn see_wrapped(&mut self, row: u32, col: u16, text: &str) {
        self.see(col, text);
        self.wrapped.push((row, col, set_width(text)));
    }
    /// No wider than `w`, however long its texts.
    fn cap(&mut self, col: u16, w: f64) {
        self.caps[usize::from(col)] = w;
    }
    /// Exactly `w`, whatever its texts.
    fn fix(&mut self, col: u16, w: f64) {
        self.cols[usize::from(col)] = w;
        self.caps[usize::from(col)] = w;
    }
    fn width(&self, col: u16, max: f64) -> f64 {
        let c = usize::from(col);
        self.cols[c].min(self.caps[c]).min(max)
    }
    fn apply(&self, ws: &mut Worksheet, max: f64) -> Result<(), AppError> {
        for col in 0..self.cols.len() as u16 {
            ws.set_column_width(col, self.width(col, max))?;
        }
        let mut lines: std::collections::BTreeMap<u32, f64> = std::collections::BTreeMap::new();
        for &(row, col, text) in &self.wrapped {
            // A line holds a little less than the column: words break whole.
            let room = (self.width(col, max) - 1.5).max(1.0);
            let n = (text / room).ceil().max(1.0);
            let slot = lines.entry(row).or_insert(1.0);
            *slot = slot.max(n);
        }
        for (row, n) in lines {
            if n > 1.0 {
                ws.set_row_height(row, LINE_HEIGHT * n)?;
            }
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
        let last_row = HEADER_ROWS + self.rows.max(1) as u32 - 1;
        cell_range(HEADER_ROWS, 0, last_row, self.columns - 1)
    }
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
                rows: comparison_shape(table).0,
                columns: comparison_shape(table).1,
            });
        }
    }
    contents_sheet(&mut wb, selection, &sheets, pages, &header)?;
    let mut charts = ChartData::default();
    for sheet in &sheets {
        match sheet.table.kind {
            TableKind::Detail => sector_sheet(&mut wb, book, selection, sheet, &header, &mut charts)?,
            TableKind::Comparison => comparison_sheet(&mut wb, book, sheet, &header)?,
        }
    }
    // After the tables, so that they keep their places; before the sources, which stay last.
    if !charts.rows.is_empty() {
        chart_data_sheet(&mut wb, &charts, &header)?;
    }
    sources_sheet(&mut wb, book, selection, &header)?;
    save(&mut wb)
}

/// The workbook's bytes, the same on every platform (see [`made_on_unix`]): every XLSX we write
/// (edition, departments, web tables, collection workbooks) is saved through here.
pub(crate) fn save(wb: &mut Workbook) -> Result<Vec<u8>, AppError> {
    let mut bytes = wb.save_to_buffer()?;
    made_on_unix(&mut bytes)?;
    Ok(bytes)
}

/// The zip's "made by" system, [`UNIX`], written into every central directory entry, so that the
/// workbook has the same bytes on every platform.
///
/// Why here: rust_xlsxwriter writes the zip with the `zip` crate's defaults, which record the
/// host (0 = MS-DOS when built for Windows, 3 = Unix elsewhere) in the high byte of each entry's
/// "version made by", and offers no option to choose it. That byte is the only difference (the
/// entries' permissions, dates and data are fixed by rust_xlsxwriter), it is read by no
/// spreadsheet program, and it lies outside every checksum, so setting it afterwards is exact.
/// Unix, because workbooks archived before this were made on Linux: their bytes stay valid for
/// `verify --rebuild`.
fn made_on_unix(zip: &mut [u8]) -> Result<(), AppError> {
    let bad = |what: &str| AppError::Internal(format!("the workbook's zip container is not as expected: {what}"));
    let u16_at = |b: &[u8], at: usize| b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]));
    let u32_at = |b: &[u8], at: usize| b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
    let u64_at = |b: &[u8], at: usize| b.get(at..at + 8).map(|s| u64::from_le_bytes(s.try_into().unwrap_or([0; 8])));
    // The end of central directory record: the last one (rust_xlsxwriter writes no comment, but
    // a comment of up to 64 KiB would only move it).
    let eocd = (0..=zip.len().saturating_sub(22))
        .rev()
        .take(22 + usize::from(u16::MAX))
        .find(|&at| u32_at(zip, at) == Some(0x0605_4b50))
        .ok_or_else(|| bad("no end of central directory"))?;
    let mut count = u64::from(u16_at(zip, eocd + 10).ok_or_else(|| bad("a short end record"))?);
    let mut start = u64::from(u32_at(zip, eocd + 16).ok_or_else(|| bad("a short end record"))?);
    if count == u64::from(u16::MAX) || start == u64::from(u32::MAX) {
        // Zip64 (a workbook of more than 65 535 parts or 4 GiB): the real figures are in the
        // zip64 end record, which its locator just before the end record points to.
        let locator = eocd.checked_sub(20).filter(|&at| u32_at(zip, at) == Some(0x0706_4b50));
        let record = locator
            .and_then(|at| u64_at(zip, at + 8))
            .and_then(|r| usize::try_from(r).ok())
            .filter(|&r| u32_at(zip, r) == Some(0x0606_4b50))
            .ok_or_else(|| bad("no zip64 end record"))?;
        count = u64_at(zip, record + 32).ok_or_else(|| bad("a short zip64 end record"))?;
        start = u64_at(zip, record + 48).ok_or_else(|| bad("a short zip64 end record"))?;
    }
    let mut at = usize::try_from(start).map_err(|_| bad("a directory beyond memory"))?;
    for _ in 0..count {
        if u32_at(zip, at) != Some(0x0201_4b50) {
            return Err(bad("a central directory entry out of place"));
        }
        let lengths: Option<Vec<usize>> = [28, 30, 32].iter().map(|&o| u16_at(zip, at + o).map(usize::from)).collect();
        let lengths = lengths.ok_or_else(|| bad("a short central directory entry"))?;
        // "Version made by": the zip version in its low byte, the system in its high byte.
        zip[at + 5] = UNIX;
        at += 46 + lengths.iter().sum::<usize>();
    }
    Ok(())
}

/// The zip format's code for Unix as the system that made an entry.
const UNIX: u8 = 3;

/// Paper, scaling and furniture every sheet shares: A4 landscape; at most two pages wide, since
/// one page shrinks a sector's twenty columns to type nobody reads; the header rows (from `top`)
/// on every page; only the columns a reader needs (to `last_col`: the technical columns after it
/// stay on screen); the page number in the footer.
/// A sheet whose printed columns come to no more than [`ONE_PAGE_WIDE`] prints one page wide.
fn print_setup(
    ws: &mut Worksheet,
    widths: &Widths,
    max: f64,
    top: u32,
    last_row: u32,
    last_col: u16,
) -> Result<(), AppError> {
    ws.set_paper_size(A4);
    ws.set_landscape();
    let printed: f64 = (0..=last_col).map(|c| widths.width(c, max)).sum();
    ws.set_print_fit_to_pages(if printed <= ONE_PAGE_WIDE { 1 } else { PRINT_PAGES_WIDE }, 0);
    ws.set_repeat_rows(top, top + HEADER_ROWS - 1)?;
    ws.set_print_area(0, 0, last_row.max(top + HEADER_ROWS - 1), last_col)?;
    ws.set_footer(FOOTER);
    Ok(())
}

/// The most pages a sheet's width is printed on.
const PRINT_PAGES_WIDE: u16 = 2;

/// The widest a sheet's printed columns may be to print one page wide, in character units: about
/// 1.2 times what A4 landscape holds at full size, so at 80 % or more.
const ONE_PAGE_WIDE: f64 = 165.0;

/// "Page 3 of 7", in both languages (`&P` the page, `&N` the count).
const FOOTER: &str = "&C第 &P 页 共 &N 页 / Page &P of &N";

/// A printed page's header: the sheet's title on the left, the edition on the right.
fn page_header(title: &Text, book: &Book) -> String {
    format!("&L{} {}&R{} {}", header_text(&title.zh), header_text(&title.en), header_text(&book.title.zh), book.year)
}

/// A text for a page header or footer: `&` starts a code there, `&&` is the character.
fn header_text(s: &str) -> String {
    s.replace('&', "&&")
}

/// Header cells wrap, so a long header makes its column no wider than this (in characters).
const HEADER_WIDTH: f64 = 14.0;

/// The Note column: wide enough for a two-sentence note in a few wrapped lines.
const NOTE_WIDTH: f64 = 40.0;

/// The indicator columns (Chinese, English): longer names wrap.
const ITEM_ZH_WIDTH: f64 = 26.0;
const ITEM_EN_WIDTH: f64 = 36.0;

/// Adds a sheet with its two header rows (Chinese, English) at `top` and returns it with the
/// header widths.
fn sheet_with_headers<'a>(
    wb: &'a mut Workbook,
    name: &str,
    cols: &[(&str, &str)],
    header: &Format,
    top: u32,
) -> Result<(&'a mut Worksheet, Widths), AppError> {
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    let mut widths = Widths::new(cols.len());
    for (c, (zh, en)) in cols.iter().enumerate() {
        ws.write_with_format(top, c as u16, *zh, header)?;
        ws.write_with_format(top + 1, c as u16, *en, header)?;
        for (r, h) in [(top, zh), (top + 1, en)] {
            let slot = &mut widths.cols[c];
            *slot = slot.max((display_width(h) + 2.0).min(HEADER_WIDTH));
            widths.wrapped.push((r, c as u16, set_width(h)));
        }
    }
    Ok((ws, widths))
}

/// One line per table: its number, title, sheet, cells and pages, so a figure quoted from the
/// workbook can be found in print and back.
fn contents_sheet(
    wb: &mut Workbook,
    selection: &Selection,
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
    // A title row names the workbook (the edition, or a department's part of it): the first
    // thing a department sees on opening the file it was sent.
    let (ws, mut widths) = sheet_with_headers(wb, CONTENTS, &cols, header, 1)?;
    ws.write_with_format(0, 0, &selection.title, &Format::new().set_bold().set_font_size(14))?;
    ws.set_row_height(0, 24)?;
    let link = Format::new().set_font_color("#1F4E79").set_underline(rust_xlsxwriter::FormatUnderline::Single);
    for (i, s) in sheets.iter().enumerate() {
        let r = 1 + HEADER_ROWS + i as u32;
        let ch = s.chapter;
        let quoted = quote_sheet_name(&s.name);
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
            ws.write_number_with_format(r, 5, p.printed as f64, &label_number())?;
            ws.write_number_with_format(r, 6, p.pdf as f64, &label_number())?;
        }
        ws.write(r, 7, &sector)?;
        ws.write(r, 8, &department)?;
        ws.write_number_with_format(r, 9, s.rows as f64, &label_number())?;
        for (c, text) in [(0, &number), (1, &s.table.title.zh), (2, &s.table.title.en), (3, &s.name), (4, &range)] {
            widths.see(c, text);
        }
        widths.see(7, &sector);
        widths.see(8, &department);
    }
    widths.apply(ws, 60.0)?;
    // Rows only: a frozen column would cut the title row off at its edge.
    ws.set_freeze_panes(1 + HEADER_ROWS, 0)?;
    let last = 1 + HEADER_ROWS + sheets.len() as u32 - 1;
    ws.autofilter(HEADER_ROWS, 0, last, (cols.len() - 1) as u16)?;
    print_setup(ws, &widths, 60.0, 1, last, (cols.len() - 1) as u16)?;
    // Ten short columns: one page wide keeps the title row whole.
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

fn write_num(ws: &mut Worksheet, r: u32, c: u16, n: &Num, italic: bool) -> Result<(), AppError> {
    let mut f = Format::new().set_num_format(number_format(n));
    if italic || n.derived {
        f = f.set_italic();
    }
    ws.write_number_with_format(r, c, n.raw, &f)?;
    Ok(())
}

/// The first workbook column of a book column in a sector sheet.
fn detail_column(col: Col) -> u16 {
    Col::WORKBOOK.iter().take_while(|c| **c != col).map(|c| c.workbook_headers().len() as u16).sum()
}

fn sector_sheet(
    wb: &mut Workbook,
    book: &Book,
    selection: &Selection,
    sheet: &TableSheet,
    header: &Format,
    charts: &mut ChartData,
) -> Result<(), AppError> {
    let chapter = sheet.chapter;
    let headers: Vec<(&str, &str)> = Col::WORKBOOK.iter().flat_map(|c| c.workbook_headers().iter().copied()).collect();
    let (ws, mut widths) = sheet_with_headers(wb, &sheet.name, &headers, header, 0)?;
    let table = format!("表{}", chapter.detail.number);
    let looks = Looks::new();
    let mut r = HEADER_ROWS;
    // The ids of the rows above at each level, for the parent column.
    let mut ancestors: Vec<&str> = Vec::new();
    for row in selection.rows(chapter) {
        ancestors.truncate(row.level);
        let cell = Cell { row, table: &table, parent: ancestors.last().copied() };
        let mut c = 0u16;
        for col in Col::WORKBOOK {
            write_cell(ws, r, c, col, &cell, &mut widths, &looks)?;
            c += col.workbook_headers().len() as u16;
        }
        ancestors.push(&row.indicator_id);
        r += 1;
    }
    // Notes wrap in a wide column, whatever the widest note of this sheet: a narrow one showed a
    // two-sentence note as its first three characters. Long names wrap too, so that the columns
    // a reader needs fit two printed pages.
    let note = detail_column(Col::Note);
    widths.fix(note, NOTE_WIDTH);
    let item = detail_column(Col::Item);
    widths.cap(item, ITEM_ZH_WIDTH);
    widths.cap(item + 1, ITEM_EN_WIDTH);
    widths.apply(ws, 48.0)?;
    let last_row = r.saturating_sub(1).max(HEADER_ROWS - 1);
    let last_col = (headers.len() - 1) as u16;
    // City and indicator names stay in view while scrolling right.
    ws.set_freeze_panes(HEADER_ROWS, item + 2)?;
    ws.autofilter(HEADER_ROWS - 1, 0, last_row, last_col)?;
    // Printed up to the notes: the table number, id, level and parent id after them are for
    // sorting and filtering on screen.
    print_setup(ws, &widths, 48.0, 0, last_row, note)?;
    // The second printed page of a row names its city and indicator again.
    ws.set_repeat_columns(0, item + 1)?;
    ws.set_header(page_header(&chapter.name, book));
    completion_chart(ws, charts, chapter, selection, last_col + 2)?;
    Ok(())
}

/// The sheet that holds the charts' data, hidden.
const CHART_DATA: &str = "图表数据 Chart data";

/// The bars of every chart in the workbook, one row each, for the hidden [`CHART_DATA`] sheet.
///
/// Why a sheet of their own: beside the table, the bars sat in the rows of the first cities, and
/// a filter on the City column hid them, so a chart went blank exactly when a user filtered to
/// its city. On a sheet nobody filters (and with hidden cells plotted) a chart always shows.
#[derive(Default)]
struct ChartData {
    /// Chart title, label, rate.
    rows: Vec<(String, String, f64)>,
}

/// The book's completion chart as a native Excel chart, beside the table; its bars on the
/// [`CHART_DATA`] sheet (the chart refers to cells there, which also makes it editable). The book
/// decides whether a chapter has a chart ([`BookChart::of`]): the edition's workbook draws
/// exactly the book's chart, and a one-city workbook the chart that rule gives for that city's
/// rows.
fn completion_chart(
    ws: &mut Worksheet,
    data: &mut ChartData,
    chapter: &Chapter,
    selection: &Selection,
    first_col: u16,
) -> Result<(), AppError> {
    let of_city;
    let chart = match selection.city {
        None => chapter.completion_chart.as_ref(),
        Some(_) => {
            let bars = selection.rows(chapter).filter(|r| r.level == 0).filter_map(|r| {
                let value = r.completion.as_ref()?.raw;
                Some(Bar { label: r.name.clone(), city: Some(r.city.clone()), value })
            });
            of_city = BookChart::of(bars.collect());
            of_city.as_ref()
        }
    };
    let Some(chart) = chart else { return Ok(()) };
    let bars = &chart.bars;
    let title = Text {
        zh: format!("{}目标任务完成率", chapter.name.zh),
        en: format!("Target completion: {}", chapter.name.en),
    };
    let title = format!("{} / {}", title.zh, title.en);
    let first = HEADER_ROWS + data.rows.len() as u32;
    for bar in bars {
        // A chart of one city names it once, in the book's title; here every label says it.
        let label = match bar.city.as_ref().or(chart.city.as_ref()) {
            Some(city) => format!("{}（{}）{} ({})", bar.label.zh, city.zh, bar.label.en, city.en),
            None => format!("{} {}", bar.label.zh, bar.label.en),
        };
        data.rows.push((title.clone(), label, bar.value));
    }
    let last = HEADER_ROWS + data.rows.len() as u32 - 1;
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_categories((CHART_DATA, first, 1, last, 1))
        .set_values((CHART_DATA, first, 2, last, 2))
        .set_name("完成率（%）Completion (%)");
    chart.title().set_name(&title);
    chart.x_axis().set_name("完成率（%）Completion (%)");
    // Bars read top to bottom in the order of the rows, as in the book.
    chart.y_axis().set_reverse();
    chart.legend().set_hidden();
    // A filter on the data sheet, should someone show and filter it, still leaves every bar.
    chart.show_hidden_data();
    chart.set_width(720).set_height(120 + 28 * bars.len() as u32);
    ws.insert_chart(HEADER_ROWS, first_col, &chart)?;
    Ok(())
}

/// The hidden sheet of the charts' bars: chart, label, rate.
fn chart_data_sheet(wb: &mut Workbook, data: &ChartData, header: &Format) -> Result<(), AppError> {
    let cols = [("图表", "Chart"), ("项目", "Bar"), ("完成率（%）", "Completion (%)")];
    let (ws, mut widths) = sheet_with_headers(wb, CHART_DATA, &cols, header, 0)?;
    // A rate as the book prints it, not Excel's General format.
    let rate = Format::new().set_num_format("0.00");
    for (i, (chart, label, value)) in data.rows.iter().enumerate() {
        let r = HEADER_ROWS + i as u32;
        ws.write(r, 0, chart)?;
        ws.write(r, 1, label)?;
        ws.write_number_with_format(r, 2, *value, &rate)?;
        widths.see(0, chart);
        widths.see(1, label);
    }
    widths.apply(ws, 60.0)?;
    let last = HEADER_ROWS + data.rows.len() as u32 - 1;
    ws.set_freeze_panes(HEADER_ROWS, 0)?;
    ws.autofilter(HEADER_ROWS - 1, 0, last, 2)?;
    print_setup(ws, &widths, 60.0, 0, last, 2)?;
    ws.set_hidden(true);
    Ok(())
}

/// One row of a detail table as the workbook writes it.
struct Cell<'a> {
    row: &'a Row,
    table: &'a str,
    /// The id of the figure this row is part of.
    parent: Option<&'a str>,
}

/// Fixed columns of a comparison sheet before the cities: table, indicator (zh, en), unit (zh, en).
/// The indicator id comes after the cities, outside the printed columns.
const COMPARISON_FIXED: u16 = 5;

/// Columns per city in a comparison sheet: value, reference year, source.
const PER_CITY: u16 = 3;

/// The city columns of a comparison table: header and position in each row's cells.
fn city_columns(table: &Table) -> Vec<(&Text, usize)> {
    table.columns.iter().filter(|c| c.key == Col::CityValue).filter_map(|c| c.cell.map(|i| (&c.header, i))).collect()
}

/// Whether a comparison of `cities` cities lists them as rows under each indicator rather than
/// as columns: past the cities the book prints side by side, as the book does, so that the sheet
/// prints on two pages wide and a filter on the City column picks one city's figures.
fn long_comparison(cities: usize) -> bool {
    cities > crate::book::COMPARISON_CITY_COLUMNS
}

/// The rows and columns of a comparison sheet.
fn comparison_shape(table: &Table) -> (usize, u16) {
    let cities = city_columns(table);
    let indicators = || table.groups.iter().flat_map(|g| &g.rows);
    if long_comparison(cities.len()) {
        let figures =
            indicators().map(|r| cities.iter().filter(|(_, i)| matches!(r.cells.get(*i), Some(Some(_)))).count());
        // City (zh, en), then value, year and source, then the id.
        (figures.sum(), COMPARISON_FIXED + 2 + PER_CITY + 1)
    } else {
        (indicators().count(), COMPARISON_FIXED + PER_CITY * cities.len() as u16 + 1)
    }
}

/// A comparison table: for each indicator and city, the value, the year the value refers to and
/// its source; the cities as columns, or as rows past [`long_comparison`]. As in print
/// ("23 / 2024"), a value of another year than the edition's shows that year in its cell, and
/// the cell stays a number.
fn comparison_sheet(wb: &mut Workbook, book: &Book, sheet: &TableSheet, header: &Format) -> Result<(), AppError> {
    let table = sheet.table;
    let cities = city_columns(table);
    let long = long_comparison(cities.len());
    let city_headers: Vec<[(String, String); 3]> = if long {
        vec![[
            ("数值".into(), "Value".into()),
            ("数据年份".into(), "Reference year".into()),
            ("资料来源".into(), "Source".into()),
        ]]
    } else {
        cities
            .iter()
            .map(|(t, _)| {
                [
                    (t.zh.clone(), t.en.clone()),
                    (format!("{} 年份", t.zh), format!("{}: year", t.en)),
                    (format!("{} 来源", t.zh), format!("{}: source", t.en)),
                ]
            })
            .collect()
    };
    let mut cols: Vec<(&str, &str)> = vec![
        ("表号", "Table"),
        ("指标", "Indicator"),
        ("指标（英文）", "Indicator (English)"),
        ("单位", "Unit"),
        ("单位（英文）", "Unit (English)"),
    ];
    if long {
        cols.extend([("城市", "City"), ("城市（英文）", "City (English)")]);
    }
    cols.extend(city_headers.iter().flatten().map(|(zh, en)| (zh.as_str(), en.as_str())));
    cols.push(("指标代码", "Indicator id"));
    let id_col = (cols.len() - 1) as u16;
    let first_value = if long { COMPARISON_FIXED + 2 } else { COMPARISON_FIXED };
    let (ws, mut widths) = sheet_with_headers(wb, &sheet.name, &cols, header, 0)?;
    let number = format!("表{}", table.number);
    let edition = i64::from(book.year);
    let wrap = Format::new().set_text_wrap();
    let padded = Format::new().set_indent(1);
    let label = label_number();
    // The indicator's cells of row `r`.
    let indicator = |ws: &mut Worksheet, widths: &mut Widths, r: u32, row: &Row| -> Result<(), AppError> {
        let texts = [&number, &row.name.zh, &row.name.en, &row.unit.zh, &row.unit.en];
        for (c, text) in texts.into_iter().enumerate() {
            let c = c as u16;
            if c == 1 || c == 2 {
                ws.write_with_format(r, c, text, &wrap)?;
                widths.see_wrapped(r, c, text);
            } else {
                ws.write(r, c, text)?;
                widths.see(c, text);
            }
        }
        ws.write(r, id_col, &row.indicator_id)?;
        widths.see(id_col, &row.indicator_id);
        Ok(())
    };
    // A city's value, year and source from column `c`.
    let figure = |ws: &mut Worksheet, widths: &mut Widths, r: u32, c: u16, cell: &BookCell| -> Result<(), AppError> {
        let n = &cell.value;
        // The qualifier shows as in print (`>1 200`) and the cell stays a number.
        let prefix = match n.qualifier {
            Some(crate::model::Qualifier::Over) => "\">\"",
            Some(crate::model::Qualifier::AtLeast) => "\"≥\"",
            Some(crate::model::Qualifier::About) => "\"≈\"",
            Some(crate::model::Qualifier::Nearly) => "\"<\"",
            None => "",
        };
        let year = cell.other_year.map(|y| format!("\" / {y}\"")).unwrap_or_default();
        let digits = digits_pattern(n);
        let mut f = Format::new().set_num_format(format!("{prefix}{digits}{year};{prefix}\"\u{2212}\"{digits}{year}"));
        if n.derived {
            f = f.set_italic();
        }
        ws.write_number_with_format(r, c, n.raw, &f)?;
        let shown = match cell.other_year {
            Some(y) => format!("{} / {y}", n.text()),
            None => n.text(),
        };
        widths.see(c, &shown);
        ws.write_number_with_format(r, c + 1, cell.other_year.unwrap_or(edition) as f64, &label)?;
        widths.see(c + 1, "2024");
        ws.write_with_format(r, c + 2, &cell.source, &padded)?;
        widths.see(c + 2, &cell.source);
        Ok(())
    };
    let mut r = HEADER_ROWS;
    for row in table.groups.iter().flat_map(|g| &g.rows) {
        if long {
            for (city, i) in &cities {
                let Some(Some(cell)) = row.cells.get(*i) else { continue };
                indicator(ws, &mut widths, r, row)?;
                for (c, name) in [(COMPARISON_FIXED, &city.zh), (COMPARISON_FIXED + 1, &city.en)] {
                    ws.write(r, c, name)?;
                    widths.see(c, name);
                }
                figure(ws, &mut widths, r, first_value, cell)?;
                r += 1;
            }
        } else {
            indicator(ws, &mut widths, r, row)?;
            for (k, (_, i)) in cities.iter().enumerate() {
                if let Some(Some(cell)) = row.cells.get(*i) {
                    figure(ws, &mut widths, r, first_value + PER_CITY * k as u16, cell)?;
                }
            }
            r += 1;
        }
    }
    widths.cap(1, ITEM_ZH_WIDTH);
    widths.cap(2, ITEM_EN_WIDTH);
    widths.apply(ws, 48.0)?;
    let (last_row, last_col) = (r.saturating_sub(1).max(HEADER_ROWS - 1), (cols.len() - 1) as u16);
    ws.set_freeze_panes(HEADER_ROWS, 3)?;
    ws.autofilter(HEADER_ROWS - 1, 0, last_row, last_col)?;
    // Printed without the indicator id, the last column.
    print_setup(ws, &widths, 48.0, 0, last_row, id_col - 1)?;
    ws.set_repeat_columns(1, 2)?;
    ws.set_header(page_header(&table.title, book));
    Ok(())
}

/// The cell(s) of one workbook column for one row, starting at column `c`.
fn write_cell(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    col: Col,
    cell: &Cell,
    widths: &mut Widths,
    looks: &Looks,
) -> Result<(), AppError> {
    let row = cell.row;
    let text = |ws: &mut Worksheet, widths: &mut Widths, c: u16, s: &str, format: Option<&Format>| {
        ws.write_with_format(r, c, s, format.unwrap_or(&looks.padded)).map(|_| widths.see(c, s))
    };
    match col {
        // A comparison's city columns have a sheet of their own; here the city is the row's.
        Col::City | Col::CityValue => {
            text(ws, widths, c, &row.city.zh, None)?;
            text(ws, widths, c + 1, &row.city.en, None)?;
        }
        Col::Item => {
            // Parts are indented; the indent is counted in the width. A name longer than the
            // column wraps rather than being cut off by the next cell.
            let f = if row.level > 0 { &looks.part } else { &looks.name };
            let indent = if row.level > 0 { "    " } else { "" };
            for (c, name) in [(c, &row.name.zh), (c + 1, &row.name.en)] {
                ws.write_with_format(r, c, name, f)?;
                widths.see_wrapped(r, c, &format!("{indent}{name}"));
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
                    crate::model::Qualifier::AtLeast => "不少于 at least",
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
                    ChangeUnit::Points => format!("+{0}\" pp\";\"\u{2212}\"{0}\" pp\"", digits_pattern(n)),
                    ChangeUnit::Percent => "+0.0\"%\";\"\u{2212}\"0.0\"%\"".to_string(),
                };
                ws.write_number_with_format(r, c, n.raw, &Format::new().set_num_format(fmt).set_italic())?;
            }
        }
        // A year is a label, not a quantity: no digit grouping.
        Col::Year => {
            ws.write_number_with_format(r, c, row.reference_year as f64, &looks.label)?;
        }
        Col::Source => text(ws, widths, c, &row.source, None)?,
        Col::Note => {
            if let Some(n) = &row.note {
                let note = format!("{} / {}", n.zh, n.en);
                ws.write_with_format(r, c, &note, &looks.note)?;
                widths.see_wrapped(r, c, &note);
            }
        }
        Col::Table => text(ws, widths, c, cell.table, None)?,
        Col::Id => text(ws, widths, c, &row.indicator_id, None)?,
        Col::Level => {
            ws.write_number_with_format(r, c, row.level as f64, &looks.label)?;
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
    let (ws, mut widths) = sheet_with_headers(wb, "资料来源 Sources", &cols, header, 0)?;
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
            s.authors
                .as_ref()
                .map(|a| if a.zh == a.en { a.zh.clone() } else { format!("{} / {}", a.zh, a.en) })
                .unwrap_or_default(),
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
    print_setup(ws, &widths, 70.0, 0, last, (cols.len() - 1) as u16)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip of two entries as the `zip` crate writes it when built for `system`.
    fn zip_made_on(system: zip::System) -> Vec<u8> {
        use std::io::Write as _;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o600)
            .last_modified_time(zip::DateTime::default())
            .system(system);
        for (name, text) in [("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<workbook/>")] {
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zip_made_on_windows_gets_the_bytes_of_one_made_on_unix() {
        let (mut dos, mut unix) = (zip_made_on(zip::System::Dos), zip_made_on(zip::System::Unix));
        assert_ne!(dos, unix, "the system must show in the bytes, or this test proves nothing");
        made_on_unix(&mut dos).unwrap();
        made_on_unix(&mut unix).unwrap();
        assert_eq!(dos, unix);
        let archive = zip::ZipArchive::new(std::io::Cursor::new(dos)).unwrap();
        assert_eq!(archive.len(), 2);
    }

    #[test]
    fn every_entry_of_a_real_workbook_says_unix() {
        use zip::HasZipMetadata as _;
        let mut wb = Workbook::new();
        wb.add_worksheet().write(0, 0, "三门峡").unwrap();
        let mut bytes = wb.save_to_buffer().unwrap();
        made_on_unix(&mut bytes).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert!(archive.len() > 5);
        for i in 0..archive.len() {
            assert_eq!(archive.by_index(i).unwrap().get_metadata().system, zip::System::Unix);
        }
    }

    #[test]
    fn a_broken_container_is_an_error_not_a_panic() {
        let whole = zip_made_on(zip::System::Dos);
        for cut in [0, 10, whole.len() / 2, whole.len() - 30, whole.len() - 1] {
            let mut part = whole[..cut].to_vec();
            assert!(made_on_unix(&mut part).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn chinese_counts_double_width() {
        assert_eq!(display_width("就业"), 4.0);
        assert_eq!(display_width("Jobs"), 4.0);
    }

    #[test]
    fn formats_keep_the_books_decimals_and_digit_groups() {
        let f = |raw: f64, decimals: u8| number_format(&Num::new(raw, decimals));
        assert_eq!(f(0.0, 0), "0;\"−\"0");
        assert_eq!(f(3.54, 2), "0.00;\"−\"0.00");
        // Four digits ungrouped, as GB/T 8170 prints them; from five, thin spaces.
        assert_eq!(f(3217.0, 0), "###0;\"−\"###0");
        assert_eq!(f(59178.0, 0), "##\"\u{2009}\"##0;\"−\"##\"\u{2009}\"##0");
        assert_eq!(f(-1234567.5, 1), "#\" \"###\" \"##0.0;\"−\"#\" \"###\" \"##0.0".replace(' ', "\u{2009}"));
        // Rounded as printed: 9 999.6 prints as 10 000.
        assert_eq!(f(9999.6, 0), "##\"\u{2009}\"##0;\"−\"##\"\u{2009}\"##0");
    }
}
