//! Each table's data beside it on the web: a CSV (UTF-8 with a byte-order mark, so that a
//! spreadsheet opens the Chinese as Chinese; one header row; ids and units as columns; numbers
//! with the book's decimals and nothing else) and the same records as the table's own XLSX.
//! Both are written from the book's rows, the rows the PDF and the workbook print.

use rust_xlsxwriter::{Format, Workbook};

use crate::book::{Book, ChangeUnit, Chapter, Num, Row, Table};
use crate::error::AppError;
use crate::model::Qualifier;
use crate::resolve::Status;

/// One value of a record.
enum Field {
    Text(String),
    /// A number with its decimals, or nothing.
    Number(Option<(f64, u8)>),
}

fn text(s: impl Into<String>) -> Field {
    Field::Text(s.into())
}

fn num(n: Option<&Num>) -> Field {
    Field::Number(n.map(|n| (n.raw, n.decimals)))
}

const DETAIL: [&str; 26] = [
    "table",
    "city_id",
    "city_zh",
    "city_en",
    "indicator_id",
    "parent_id",
    "level",
    "indicator_zh",
    "indicator_en",
    "unit_zh",
    "unit_en",
    "status",
    "qualifier",
    "value",
    "target",
    "target_derived",
    "completion_percent",
    "last_year",
    "before",
    "change",
    "change_unit",
    "reference_year",
    "derived",
    "source",
    "note_zh",
    "note_en",
];

const COMPARISON: [&str; 15] = [
    "table",
    "indicator_id",
    "indicator_zh",
    "indicator_en",
    "unit_zh",
    "unit_en",
    "status",
    "province_zh",
    "province_en",
    "city_id",
    "city_zh",
    "city_en",
    "value",
    "reference_year",
    "source",
];

fn status(s: Status) -> &'static str {
    match s {
        Status::Planned => "planned",
        Status::Progress => "progress",
        Status::Result => "result",
    }
}

fn yes(b: bool) -> Field {
    text(if b { "yes" } else { "" })
}

/// The detail table's records: one per row, as the workbook's sector sheet has them.
pub(super) fn detail(book: &Book, table: &Table) -> Result<(Vec<u8>, Vec<u8>), AppError> {
    let mut records = Vec::new();
    for row in table.groups.iter().flat_map(|g| &g.rows) {
        records.push(detail_record(&table.number, row));
    }
    write(book, table, &DETAIL, &records)
}

fn detail_record(table: &str, r: &Row) -> Vec<Field> {
    let qualifier = r.value.as_ref().or(r.target.as_ref()).and_then(|n| n.qualifier).map(|q| match q {
        Qualifier::Over => "over",
        Qualifier::AtLeast => "at-least",
        Qualifier::About => "about",
        Qualifier::Nearly => "nearly",
    });
    let change_unit = r.change_unit.map(|u| match u {
        ChangeUnit::Percent => "percent",
        ChangeUnit::Points => "points",
    });
    vec![
        text(table),
        text(&r.city_id),
        text(&r.city.zh),
        text(&r.city.en),
        text(&r.indicator_id),
        text(r.parent_id.clone().unwrap_or_default()),
        Field::Number(Some((r.level as f64, 0))),
        text(&r.name.zh),
        text(&r.name.en),
        text(&r.unit.zh),
        text(&r.unit.en),
        text(status(r.status)),
        text(qualifier.unwrap_or_default()),
        num(r.value.as_ref()),
        num(r.target.as_ref()),
        yes(r.target.as_ref().is_some_and(|t| t.derived)),
        num(r.completion.as_ref()),
        num(r.last_year.as_ref()),
        num(r.before.as_ref()),
        num(r.change.as_ref()),
        text(change_unit.unwrap_or_default()),
        Field::Number(Some((r.reference_year as f64, 0))),
        yes(r.derived),
        text(&r.source),
        text(r.note.as_ref().map(|n| n.zh.clone()).unwrap_or_default()),
        text(r.note.as_ref().map(|n| n.en.clone()).unwrap_or_default()),
    ]
}

/// A comparison table's records: one per figure it shows, an indicator of a city (a plan by its
/// target), in the table's reading order, each credited to the city its cell names. The table is
/// the one the page shows: cities as columns (a few cities: the row is the indicator), or a
/// comparison by city (the row is a city, under its province; each column an indicator).
pub(super) fn comparison(book: &Book, chapter: &Chapter, table: &Table) -> Result<(Vec<u8>, Vec<u8>), AppError> {
    // The city of a cell is its own id, never a column's or a row's position: the columns of a
    // few cities are the cities that report a compared figure, not every city of the detail
    // table (zipped with those, a city's figures once went to the city before it).
    let city = |id: &str| {
        book.cities.iter().find(|c| c.id == id).ok_or_else(|| {
            AppError::Internal(format!("table {}: a figure of city {id}, which the book does not have", table.number))
        })
    };
    let mut records = Vec::new();
    for row in table.groups.iter().flat_map(|g| &g.rows) {
        for col in &table.columns {
            let Some(cell) = col.cell.and_then(|i| row.cells.get(i)).and_then(Option::as_ref) else { continue };
            let (id, name, unit, state) = match &col.indicator {
                // A comparison by city: the row is the city, and must be the cell's.
                Some(i) => {
                    if row.city_id != cell.city_id {
                        return Err(AppError::Internal(format!(
                            "table {}: a figure of {} in the row of {}",
                            table.number, cell.city_id, row.city_id
                        )));
                    }
                    (&i.id, &i.name, &i.unit, i.status)
                }
                None => (&row.indicator_id, &row.name, &row.unit, row.status),
            };
            let c = city(&cell.city_id)?;
            let (province_zh, province_en) = c.province.as_ref().map_or(("", ""), |p| (p.zh.as_str(), p.en.as_str()));
            records.push(vec![
                text(&table.number),
                text(id),
                text(&name.zh),
                text(&name.en),
                text(&unit.zh),
                text(&unit.en),
                text(status(state)),
                text(province_zh),
                text(province_en),
                text(&c.id),
                text(&c.name.zh),
                text(&c.name.en),
                num(Some(&cell.value)),
                Field::Number(Some((cell.other_year.unwrap_or(i64::from(book.year)) as f64, 0))),
                text(&cell.source),
            ]);
        }
    }
    if records.is_empty() {
        return Err(AppError::Internal(format!("chapter {}: table {} compares nothing", chapter.number, table.number)));
    }
    write(book, table, &COMPARISON, &records)
}

/// A text that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, or a tab or carriage
/// return first) gets a leading apostrophe: a CSV is opened, not just read.
pub(super) fn neutralised(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// The digits the book prints, without grouping or marks.
fn plain(x: f64, decimals: u8) -> String {
    let s = format!("{:.*}", usize::from(decimals), x);
    // `-0.0` is zero.
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') { s[1..].to_string() } else { s }
}

fn write(book: &Book, table: &Table, headers: &[&str], records: &[Vec<Field>]) -> Result<(Vec<u8>, Vec<u8>), AppError> {
    let csv_error = |e: csv::Error| AppError::Internal(format!("CSV of table {}: {e}", table.number));
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    out.write_record(headers).map_err(csv_error)?;
    for record in records {
        let cells: Vec<String> = record
            .iter()
            .map(|f| match f {
                Field::Text(s) => neutralised(s).into_owned(),
                Field::Number(Some((x, d))) => plain(*x, *d),
                Field::Number(None) => String::new(),
            })
            .collect();
        out.write_record(&cells).map_err(csv_error)?;
    }
    let csv = out.into_inner().map_err(|e| AppError::Internal(format!("CSV of table {}: {e}", table.number)))?;

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(format!("表{}", table.number))?;
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, record) in records.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, f) in record.iter().enumerate() {
            let c = c as u16;
            match f {
                // A cell typed as a string is never a formula: no apostrophe needed.
                Field::Text(s) if !s.is_empty() => {
                    ws.write_string(r, c, s)?;
                }
                Field::Number(Some((x, d))) => {
                    let format = if *d == 0 { "0".to_string() } else { format!("0.{}", "0".repeat(usize::from(*d))) };
                    ws.write_number_with_format(r, c, *x, &Format::new().set_num_format(format))?;
                }
                _ => {}
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, records.len() as u32, (headers.len() - 1) as u16)?;
    let title = format!("{} {} {} {}", book.title.zh, book.year, table.title.zh, table.title.en);
    // The edition's date, not the clock's: the same book gives the same bytes.
    let d = book.date;
    let year = u16::try_from(d.year).map_err(|_| AppError::Internal(format!("edition date year {}", d.year)))?;
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(year, d.month, d.day).and_then(|t| t.and_hms(0, 0, 0))?;
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(title).set_creation_datetime(&created));
    Ok((csv, crate::print::workbook::save(&mut wb)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_plain() {
        assert_eq!(neutralised("=1+1"), "'=1+1");
        assert_eq!(neutralised("+86"), "'+86");
        assert_eq!(neutralised("-x"), "'-x");
        assert_eq!(neutralised("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralised("\tcmd"), "'\tcmd");
        assert_eq!(neutralised("\rcmd"), "'\rcmd");
        assert_eq!(neutralised("武威"), "武威");
        assert_eq!(plain(59178.0, 0), "59178");
        assert_eq!(plain(1.5, 2), "1.50");
        assert_eq!(plain(-0.01, 1), "0.0");
        assert_eq!(plain(-3.25, 1), "-3.2");
    }
}
