//! `yearbook collect`: the collection workbooks. One per department (and per city where the
//! department names an office there), one sheet per sector of the department, a row per
//! indicator each city had in the latest edition: what identifies the row and last year's
//! figure are locked, the entry cells are unlocked, shaded and validated, with the unit and the
//! term's definition as their input message. Every column is a sheet-scoped named range, and a
//! very hidden sheet plus custom document properties say what the workbook is, so that import
//! finds cells by name and refuses a workbook that is not the one it expects.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use calamine::Data;

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatAlign,
    FormatBorder, Formula, Note, ProtectionOptions, Workbook, Worksheet, XlsxError,
};

use super::{
    BLANK_ROWS, COLUMNS, HEADER_ROWS, INSTRUCTIONS_SHEET, LAYOUT_COLUMN, META_SHEET, QUALIFIERS, Status, TEMPLATE_NAME,
    TEMPLATE_VERSION, a1, column, hash_number, layout_hash, letters,
};
use crate::config::Date;
use crate::departments::export::Entry;
use crate::error::AppError;
use crate::load::{Catalogue, Edition};
use crate::model::{Indicator, Text};
use crate::names::sheet_name;
use crate::output::sha256_hex;
use crate::resolve::Recipients;

/// One locked row: an indicator a city had.
#[derive(Debug, Clone)]
pub struct Row {
    pub city: String,
    pub city_name: Text,
    pub id: String,
    pub name: Text,
    pub unit: String,
    pub unit_name: Text,
    pub last_year: Option<f64>,
    pub last_status: Option<Status>,
    /// The definition of a term the indicator's name uses, from terms.toml.
    pub definition: Option<Text>,
}

/// One sector's sheet.
#[derive(Debug, Clone)]
pub struct SheetPlan {
    pub sector: String,
    pub name: String,
    pub title: Text,
    pub rows: Vec<Row>,
}

/// One workbook to write.
#[derive(Debug, Clone)]
pub struct WorkbookPlan {
    pub year: i32,
    pub department: String,
    pub department_name: Text,
    /// The city, when the workbook goes to the department's office in one city.
    pub city: Option<(String, Text)>,
    /// The cities the workbook's blank rows may name.
    pub cities: Vec<(String, Text)>,
    pub sheets: Vec<SheetPlan>,
    /// Units (id, zh, en) a new indicator may take.
    pub units: Vec<(String, Text)>,
    pub deadline: Option<Date>,
    pub recipients: Recipients,
    pub file: String,
}

impl WorkbookPlan {
    /// The locked layout as the hash sees it: per sheet, each row's city, id, unit and last
    /// year's value (blank rows empty).
    pub fn layout(&self) -> Vec<(String, Vec<[String; 4]>)> {
        self.sheets
            .iter()
            .map(|s| {
                let mut rows: Vec<[String; 4]> = s
                    .rows
                    .iter()
                    .map(|r| [r.city.clone(), r.id.clone(), r.unit_name.zh.clone(), hash_number(r.last_year)])
                    .collect();
                let blank_city = self.city.as_ref().map(|(c, _)| c.clone()).unwrap_or_default();
                rows.extend((0..BLANK_ROWS).map(|_| [blank_city.clone(), String::new(), String::new(), String::new()]));
                (s.name.clone(), rows)
            })
            .collect()
    }
}

/// The collection workbooks of year `year`: rows from `latest` (the latest edition) and from
/// `current` (what `data/<year>/` already holds), for `departments` (all when empty).
pub fn plan(
    catalogue: &Catalogue,
    latest: Option<&Edition>,
    current: Option<&Edition>,
    year: i32,
    departments: &[String],
    deadline: Option<Date>,
) -> Result<Vec<WorkbookPlan>, AppError> {
    let sectors = catalogue.sectors.as_ref().map(|p| &p.data.sector[..]).unwrap_or(&[]);
    let all_departments = catalogue.departments.as_ref().map(|p| &p.data.department[..]).unwrap_or(&[]);
    for d in departments {
        if !all_departments.iter().any(|x| x.id.get_ref() == d) {
            let known: Vec<&str> = all_departments.iter().map(|x| x.id.get_ref().as_str()).collect();
            return Err(AppError::Usage(format!(
                "no department `{d}` in data/catalogue/departments.toml; the departments are: {}",
                known.join(", ")
            )));
        }
    }
    let units: BTreeMap<&str, Text> = catalogue
        .units
        .iter()
        .flat_map(|p| &p.data.unit)
        .map(|u| (u.id.get_ref().as_str(), Text { zh: u.zh.get_ref().clone(), en: u.en.get_ref().clone() }))
        .collect();
    let terms: Vec<(String, Text)> = catalogue
        .terms
        .iter()
        .flat_map(|p| &p.data.term)
        .map(|t| (t.zh.get_ref().clone(), (&t.definition).into()))
        .collect();

    // Every city of either edition, by id, with its name; and its rows by sector.
    let mut cities: BTreeMap<String, Text> = BTreeMap::new();
    let mut rows: BTreeMap<(String, String), Vec<Row>> = BTreeMap::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for (edition, last) in [(latest, true), (current, false)] {
        let Some(edition) = edition else { continue };
        for c in &edition.cities {
            let city = c.city.id.get_ref().clone();
            let city_name: Text = (&c.city.name).into();
            cities.insert(city.clone(), city_name.clone());
            let mut flat = Vec::new();
            flatten(&c.city.indicators, None, None, &mut flat);
            for (ind, sector, unit) in flat {
                if !seen.insert((city.clone(), ind.id.get_ref().clone())) {
                    continue;
                }
                let name: Text = (&ind.name).into();
                let definition = terms.iter().find(|(zh, _)| name.zh.contains(zh.as_str())).map(|(_, d)| d.clone());
                rows.entry((sector.clone(), city.clone())).or_default().push(Row {
                    city: city.clone(),
                    city_name: city_name.clone(),
                    id: ind.id.get_ref().clone(),
                    name,
                    unit_name: units.get(unit.as_str()).cloned().unwrap_or(Text { zh: unit.clone(), en: unit.clone() }),
                    unit,
                    last_year: if last { ind.value.as_ref().map(|v| *v.get_ref()) } else { None },
                    last_status: if last { Some(status_of(ind)) } else { None },
                    definition,
                });
            }
        }
    }

    let mut ordered: Vec<_> = sectors.iter().collect();
    ordered.sort_by_key(|s| *s.order.get_ref());
    let mut out = Vec::new();
    for d in all_departments {
        let id = d.id.get_ref();
        if !departments.is_empty() && !departments.contains(id) {
            continue;
        }
        let own: Vec<_> = ordered.iter().filter(|s| s.department.get_ref() == id).collect();
        if own.is_empty() {
            continue;
        }
        let list = |v: &[serde_spanned::Spanned<String>]| v.iter().map(|a| a.get_ref().clone()).collect::<Vec<_>>();
        // A city with an office of the department gets its own workbook; the rest share one.
        let mut groups: Vec<(Option<String>, Vec<String>, Recipients)> = Vec::new();
        let mut shared = Vec::new();
        for city in cities.keys() {
            match d.city.iter().find(|(k, _)| k.get_ref() == city) {
                Some((_, r)) => groups.push((
                    Some(city.clone()),
                    vec![city.clone()],
                    Recipients { to: list(&r.to), cc: list(&r.cc) },
                )),
                None => shared.push(city.clone()),
            }
        }
        if !shared.is_empty() || groups.is_empty() {
            groups.insert(0, (None, shared, Recipients { to: list(&d.to), cc: list(&d.cc) }));
        }
        for (city, members, recipients) in groups {
            let sheets = own
                .iter()
                .map(|s| SheetPlan {
                    sector: s.id.get_ref().clone(),
                    name: sheet_name(*s.order.get_ref(), s.name.zh()),
                    title: (&s.name).into(),
                    rows: members
                        .iter()
                        .flat_map(|c| rows.get(&(s.id.get_ref().clone(), c.clone())).cloned().unwrap_or_default())
                        .collect(),
                })
                .collect();
            let file = match &city {
                Some(c) => format!("collect-{year}-{id}-{c}.xlsx"),
                None => format!("collect-{year}-{id}.xlsx"),
            };
            out.push(WorkbookPlan {
                year,
                department: id.clone(),
                department_name: (&d.name).into(),
                city: city.as_ref().map(|c| (c.clone(), cities[c].clone())),
                cities: members.iter().map(|c| (c.clone(), cities[c].clone())).collect(),
                sheets,
                units: units.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
                deadline,
                recipients,
                file,
            });
        }
    }
    Ok(out)
}

/// Indicators and their "of which" items, with the sector and unit they inherit.
pub fn flatten<'a>(
    list: &'a [Indicator],
    sector: Option<&str>,
    unit: Option<&str>,
    out: &mut Vec<(&'a Indicator, String, String)>,
) {
    for ind in list {
        let s = ind.sector.as_ref().map(|s| s.get_ref().as_str()).or(sector).unwrap_or_default();
        let u = ind.unit.as_ref().map(|u| u.get_ref().as_str()).or(unit).unwrap_or_default();
        out.push((ind, s.to_string(), u.to_string()));
        flatten(&ind.of_which, Some(s), Some(u), out);
    }
}

/// What a figure of the model is: a plan without a value, progress with an `as_of`.
pub fn status_of(ind: &Indicator) -> Status {
    match (&ind.value, &ind.as_of) {
        (None, _) => Status::Plan,
        (Some(_), Some(_)) => Status::Progress,
        (Some(_), None) => Status::Result,
    }
}

struct Formats {
    title: Format,
    header: Format,
    locked: Format,
    locked_number: Format,
    entry: Format,
    entry_number: Format,
    entry_date: Format,
    blank: Format,
    wrap: Format,
    bold: Format,
}

impl Formats {
    fn new() -> Formats {
        let border = |f: Format| f.set_border(FormatBorder::Thin).set_border_color("#A6A6A6");
        let entry = |f: Format| border(f.set_unlocked().set_background_color("#FFF2CC"));
        Formats {
            title: Format::new().set_bold().set_font_size(13),
            header: border(Format::new().set_bold().set_background_color("#D9E1F2").set_text_wrap())
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            locked: border(Format::new()),
            locked_number: border(Format::new().set_num_format("#,##0.##")),
            entry: entry(Format::new()),
            entry_number: entry(Format::new().set_num_format("#,##0.##")),
            entry_date: entry(Format::new().set_num_format("yyyy-mm-dd")),
            blank: border(Format::new().set_unlocked().set_background_color("#E2EFDA")),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            bold: Format::new().set_bold(),
        }
    }
}

/// Writes one collection workbook.
pub fn write(plan: &WorkbookPlan, edition_date: Date) -> Result<Vec<u8>, AppError> {
    crate::print::workbook::save(&mut write_xlsx(plan, edition_date, None)?)
}

/// What a department entered (by sheet, row, column) and the notes for cells with findings
/// (by sheet and A1 cell).
type Annotations<'a> = (&'a HashMap<(String, u32, u16), Data>, &'a HashMap<(String, String), String>);

/// The workbook again, as the department filled it, with a red fill and a note on every cell
/// with a finding: ready to mail back. Same layout, so the corrected copy imports.
pub fn write_annotated(
    plan: &WorkbookPlan,
    edition_date: Date,
    cells: &HashMap<(String, u32, u16), Data>,
    notes: &HashMap<(String, String), String>,
) -> Result<Vec<u8>, AppError> {
    crate::print::workbook::save(&mut write_xlsx(plan, edition_date, Some((cells, notes)))?)
}

fn write_xlsx(
    plan: &WorkbookPlan,
    edition_date: Date,
    annotations: Option<Annotations>,
) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    let f = Formats::new();
    let hash = layout_hash(&plan.layout());
    let city_id = plan.city.as_ref().map(|(c, _)| c.as_str()).unwrap_or("");
    let created = ExcelDateTime::from_ymd(edition_date.year as u16, edition_date.month, edition_date.day)?;
    let props = DocProperties::new()
        .set_title(format!(
            "{} {} 民生统计数据采集表 / data collection {}",
            plan.department_name.zh, plan.year, plan.year
        ))
        .set_author("yearbook")
        .set_creation_datetime(&created)
        .set_custom_property("yearbook_template", TEMPLATE_NAME)
        .set_custom_property("template_version", TEMPLATE_VERSION)
        .set_custom_property("edition_year", plan.year.to_string().as_str())
        .set_custom_property("department", plan.department.as_str())
        .set_custom_property("city", city_id)
        .set_custom_property("layout_hash", hash.as_str());
    wb.set_properties(&props);

    instructions(wb.add_worksheet(), plan, &f)?;
    let units_range = format!("={META_SHEET}!$D$1:$D${}", plan.units.len().max(1));
    let cities_range = format!("={META_SHEET}!$F$1:$F${}", plan.cities.len().max(1));
    for sheet in &plan.sheets {
        let ws = wb.add_worksheet();
        sector_sheet(ws, plan, sheet, &f, &units_range, &cities_range)?;
        if let Some(a) = annotations {
            annotate(ws, &sheet.name, a, &f)?;
        }
        let last = HEADER_ROWS + sheet.rows.len() as u32 + BLANK_ROWS;
        for (i, c) in COLUMNS.iter().enumerate() {
            if let Some(name) = c.name {
                let l = letters(i as u32);
                let formula = format!("='{}'!${l}${}:${l}${last}", sheet.name, HEADER_ROWS + 1);
                wb.define_name(format!("'{}'!{name}", sheet.name), &formula)?;
            }
        }
    }

    let meta = wb.add_worksheet().set_name(META_SHEET)?;
    let pairs = [
        ("template", TEMPLATE_NAME.to_string()),
        ("template_version", TEMPLATE_VERSION.to_string()),
        ("year", plan.year.to_string()),
        ("department", plan.department.clone()),
        ("city", city_id.to_string()),
        ("layout_hash", hash),
        // What the instructions sheet prints, so that `mail --collect` can see that the
        // message it sends says the same date.
        ("deadline", plan.deadline.map(|d| d.iso()).unwrap_or_default()),
    ];
    for (i, (k, v)) in pairs.iter().enumerate() {
        meta.write_string(i as u32, 0, *k)?;
        meta.write_string(i as u32, 1, v)?;
    }
    for (i, (_, name)) in plan.units.iter().enumerate() {
        meta.write_string(i as u32, 3, &name.zh)?;
    }
    // The locked layout row by row (sheet, then city, id, unit, last year's value), which the
    // layout hash covers: import names the first row that differs from it, not only the
    // workbook.
    let mut line = 0u32;
    for (sheet, rows) in plan.layout() {
        for row in rows {
            meta.write_string(line, LAYOUT_COLUMN, &sheet)?;
            for (k, field) in row.iter().enumerate() {
                meta.write_string(line, LAYOUT_COLUMN + 1 + k as u16, field)?;
            }
            line += 1;
        }
    }
    for (i, (id, _)) in plan.cities.iter().enumerate() {
        meta.write_string(i as u32, 5, id)?;
    }
    meta.set_very_hidden(true);
    meta.protect();
    wb.worksheet_from_index(0)?.set_active(true);
    Ok(wb)
}

fn instructions(ws: &mut Worksheet, plan: &WorkbookPlan, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(INSTRUCTIONS_SHEET)?;
    ws.set_column_width(0, 80)?;
    // Printed, the instructions fit the page's width instead of losing their right edge.
    ws.set_print_fit_to_pages(1, 0);
    let city = plan.city.as_ref().map(|(_, n)| format!("（{}）", n.zh)).unwrap_or_default();
    let city_en = plan.city.as_ref().map(|(_, n)| format!(" ({})", n.en)).unwrap_or_default();
    let deadline = plan.deadline.map(|d| d.iso());
    let mut lines: Vec<(String, bool)> = vec![
        (format!("{}{city} {} 年民生统计数据采集表", plan.department_name.zh, plan.year), true),
        (format!("{}{city_en}: livelihood statistics for {}, data collection workbook", plan.department_name.en, plan.year), true),
        (String::new(), false),
        ("填写什么".into(), true),
        ("每个工作表是本部门负责的一个民生领域。每行是一个城市的一项指标：城市、指标名称、单位和上年数值已经填好并锁定，请在黄色单元格中填写本年数据。".into(), false),
        ("本年数值：实际完成的数量（结果）。目标值：年初确定的目标任务。状态：完成＝全年结果；进度＝截至某日的完成情况（请同时填写截至日期）；计划＝只有目标、尚无结果。状态可以不填：只填数值即为结果，只填目标即为计划。".into(), false),
        ("约数：数据为“超过”“约”“将近”时选择超、约、近。数据年份：数据不是本年的，填写其年份。备注：需要随数据印出的说明。".into(), false),
        ("请按单位一栏的单位填写数字，可带千位分隔符，也可写“1.2万”；不要填写文字。绿色行可以新增指标：填写指标名称（中英文）、单位和数据。".into(), false),
        ("审核：与上年相比变化超过±50%，或目标完成率超过200%的数据，必须在“说明”栏写明原因，否则无法导入。".into(), false),
        (String::new(), false),
        ("What to fill in".into(), true),
        ("Each sheet is one livelihood sector of your department. Each row is one indicator of one city: the city, the indicator, its unit and last year's figure are filled in and locked; please enter this year's figures in the yellow cells.".into(), false),
        ("Value: the amount achieved (a result). Target: the annual target. Status: 完成 = the year's result; 进度 = progress as of a date (fill in As of too); 计划 = a plan, a target without a result yet. Status may be left empty: a value alone is a result, a target alone a plan.".into(), false),
        ("Qualifier: choose 超 (over), 约 (about) or 近 (nearly) for an inexact figure. Reference year: the year of the figure if it is not this year's. Note: a remark to be printed with the figure.".into(), false),
        ("Enter numbers in the row's unit; digit grouping and forms like 1.2万 are understood; no words. Green rows let you add an indicator: its names in Chinese and English, its unit and its figures.".into(), false),
        ("Checks: a change of more than ±50 % against last year, or a completion of the target above 200 %, must be explained in the Explanation (说明) column, or the figure cannot be imported.".into(), false),
        (String::new(), false),
        ("如何交回 How to return it".into(), true),
        ("填好后保存为 .xlsx，原文件名不变，通过电子邮件回复发送本表的地址。请勿增删行列或改动工作表名称。".into(), false),
        ("Save it as .xlsx under the same file name and reply to the address that sent it. Please do not add or delete rows or columns or rename the sheets.".into(), false),
    ];
    if let Some(d) = deadline {
        lines.push((format!("截止日期 Deadline: {d}"), true));
    }
    lines.push((
        "如有疑问，请联系统计局民生年鉴编辑部。Questions: please contact the yearbook office of the statistics bureau."
            .into(),
        false,
    ));
    for (i, (text, bold)) in lines.iter().enumerate() {
        ws.write_string_with_format(i as u32, 0, text, if *bold { &f.bold } else { &f.wrap })?;
        // Spreadsheet programs do not grow a row for wrapped text written by a program: size it
        // from the text's width (a Chinese character is two columns wide).
        let width: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
        let lines = width.div_ceil(76).max(1);
        ws.set_row_height(i as u32, 15.0 * lines as f64 + 2.0)?;
    }
    ws.protect();
    Ok(())
}

fn sector_sheet(
    ws: &mut Worksheet,
    plan: &WorkbookPlan,
    sheet: &SheetPlan,
    f: &Formats,
    units_range: &str,
    cities_range: &str,
) -> Result<(), XlsxError> {
    ws.set_name(&sheet.name)?;
    ws.write_string_with_format(
        0,
        0,
        format!("{} {} {} / {} {}", plan.department_name.zh, plan.year, sheet.title.zh, sheet.title.en, plan.year),
        &f.title,
    )?;
    for (i, c) in COLUMNS.iter().enumerate() {
        let i = i as u16;
        ws.set_column_width(i, c.width)?;
        ws.write_string_with_format(1, i, c.zh, &f.header)?;
        ws.write_string_with_format(2, i, c.en, &f.header)?;
    }
    ws.set_row_height(2, 30)?;
    ws.set_freeze_panes(HEADER_ROWS, 3)?;
    ws.set_landscape().set_paper_size(9).set_print_fit_to_pages(1, 0).set_repeat_rows(1, 2)?;
    ws.set_header(format!("&C{} {}", plan.department_name.zh, sheet.name));

    let first = HEADER_ROWS;
    for (i, r) in sheet.rows.iter().enumerate() {
        let row = first + i as u32;
        ws.write_string_with_format(row, 0, &r.city, &f.locked)?;
        ws.write_string_with_format(row, 1, &r.city_name.zh, &f.locked)?;
        ws.write_string_with_format(row, 2, &r.id, &f.locked)?;
        ws.write_string_with_format(row, 3, &r.name.zh, &f.locked)?;
        ws.write_string_with_format(row, 4, &r.name.en, &f.locked)?;
        ws.write_string_with_format(row, 5, &r.unit_name.zh, &f.locked)?;
        match r.last_year {
            Some(v) => ws.write_number_with_format(row, 6, v, &f.locked_number)?,
            None => ws.write_blank(row, 6, &f.locked)?,
        };
        match r.last_status {
            Some(s) => ws.write_string_with_format(row, 7, s.zh(), &f.locked)?,
            None => ws.write_blank(row, 7, &f.locked)?,
        };
        let unit = format!("单位 Unit: {} {}", r.unit_name.zh, r.unit_name.en);
        let help = match &r.definition {
            Some(d) => format!("{unit}\n{}\n{}", d.zh, d.en),
            None => format!("{unit}\n{}\n{}", r.name.zh, r.name.en),
        };
        for (c, title) in [(column("value"), "本年数值 Value"), (column("target"), "目标值 Target")] {
            let dv = number_validation(title, &help)?;
            ws.add_data_validation(row, c, row, c, &dv)?;
        }
        entry_cells(ws, row, f)?;
    }
    let blank_first = first + sheet.rows.len() as u32;
    for i in 0..BLANK_ROWS {
        let row = blank_first + i;
        match &plan.city {
            Some((c, name)) => {
                ws.write_string_with_format(row, 0, c, &f.locked)?;
                ws.write_string_with_format(row, 1, &name.zh, &f.locked)?;
            }
            None => {
                ws.write_blank(row, 0, &f.blank)?;
                ws.write_blank(row, 1, &f.locked)?;
            }
        }
        for c in 2..=5 {
            ws.write_blank(row, c, &f.blank)?;
        }
        ws.write_blank(row, 6, &f.locked)?;
        ws.write_blank(row, 7, &f.locked)?;
        let help = "新增指标：请填写指标名称、单位和数值。New indicator: fill in its names, unit and figures.";
        for (c, title) in [(column("value"), "本年数值 Value"), (column("target"), "目标值 Target")] {
            ws.add_data_validation(row, c, row, c, &number_validation(title, help)?)?;
        }
        entry_cells(ws, row, f)?;
    }
    let last = blank_first + BLANK_ROWS - 1;
    if plan.city.is_none() {
        let dv = DataValidation::new()
            .allow_list_formula(Formula::new(cities_range))
            .set_input_title("城市代码 City id")?
            .set_input_message("新增指标所属城市。The city of the new indicator.")?;
        ws.add_data_validation(blank_first, 0, last, 0, &dv)?;
    }
    let dv = DataValidation::new()
        .allow_list_formula(Formula::new(units_range))
        .set_input_title("单位 Unit")?
        .set_input_message("从列表中选择单位。Choose the unit from the list.")?;
    ws.add_data_validation(blank_first, column("unit"), last, column("unit"), &dv)?;
    if last >= first {
        column_validations(ws, plan.year, first, last)?;
    }
    ws.protect_with_options(&ProtectionOptions {
        select_locked_cells: true,
        select_unlocked_cells: true,
        format_columns: true,
        format_rows: true,
        ..ProtectionOptions::default()
    });
    Ok(())
}

fn annotate(ws: &mut Worksheet, sheet: &str, (cells, notes): Annotations, f: &Formats) -> Result<(), XlsxError> {
    let flagged = Format::new()
        .set_unlocked()
        .set_background_color("#F4B6B6")
        .set_border(FormatBorder::Medium)
        .set_border_color("#C00000");
    for ((s, row, col), d) in cells {
        if s != sheet {
            continue;
        }
        let bad = notes.contains_key(&(sheet.to_string(), a1(*row, u32::from(*col))));
        let format = if bad { &flagged } else { &f.entry };
        match d {
            Data::Float(v) => ws.write_number_with_format(*row, *col, *v, format)?,
            Data::Int(v) => ws.write_number_with_format(*row, *col, *v as f64, format)?,
            Data::DateTime(v) => ws.write_number_with_format(*row, *col, v.as_f64(), &f.entry_date)?,
            Data::Empty => continue,
            other => ws.write_string_with_format(*row, *col, other.to_string(), format)?,
        };
    }
    for ((s, cell), text) in notes {
        if s != sheet {
            continue;
        }
        let Some((row, col)) = parse_a1(cell) else { continue };
        if !cells.contains_key(&(sheet.to_string(), row, col)) {
            ws.write_blank(row, col, &flagged)?;
        }
        let note = Note::new(text).set_author("yearbook import").set_width(360).set_height(120);
        ws.insert_note(row, col, &note)?;
    }
    Ok(())
}

fn parse_a1(cell: &str) -> Option<(u32, u16)> {
    let split = cell.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = cell.split_at(split);
    let col =
        letters.bytes().try_fold(0u32, |acc, b| b.is_ascii_uppercase().then(|| acc * 26 + u32::from(b - b'A' + 1)))?;
    let row: u32 = digits.parse().ok()?;
    Some((row.checked_sub(1)?, u16::try_from(col.checked_sub(1)?).ok()?))
}

fn entry_cells(ws: &mut Worksheet, row: u32, f: &Formats) -> Result<(), XlsxError> {
    for (i, c) in COLUMNS.iter().enumerate().filter(|(_, c)| c.entry) {
        let format = match c.name {
            Some("value" | "target" | "reference_year") => &f.entry_number,
            Some("as_of") => &f.entry_date,
            _ => &f.entry,
        };
        ws.write_blank(row, i as u16, format)?;
    }
    Ok(())
}

/// A number in an entry cell; a warning only, since import understands more forms (`1.2万`)
/// than Excel's check does and checks every cell again.
fn number_validation(title: &str, help: &str) -> Result<DataValidation, XlsxError> {
    DataValidation::new()
        .allow_decimal_number(DataValidationRule::Between(-1e15, 1e15))
        .set_input_title(title)?
        .set_input_message(truncate_utf16(help, 255))?
        .set_error_title("不是数字 Not a number")?
        .set_error_message("请填写数字，不要填写文字。Please enter a number, not words.")
        .map(|d| d.set_error_style(DataValidationErrorStyle::Warning))
}

fn column_validations(ws: &mut Worksheet, year: i32, first: u32, last: u32) -> Result<(), XlsxError> {
    let status = DataValidation::new()
        .allow_list_strings(&Status::CHOICES)?
        .set_input_title("状态 Status")?
        .set_input_message("完成 result · 进度 progress (填写截至日期 give As of) · 计划 plan. 可不填 May be empty.")?;
    ws.add_data_validation(first, column("status"), last, column("status"), &status)?;
    let q: Vec<&str> = QUALIFIERS.iter().map(|(zh, _)| *zh).collect();
    let qualifier = DataValidation::new()
        .allow_list_strings(&q)?
        .set_input_title("约数 Qualifier")?
        .set_input_message("超 over · 约 about · 近 nearly")?;
    ws.add_data_validation(first, column("qualifier"), last, column("qualifier"), &qualifier)?;
    let reference = DataValidation::new()
        .allow_whole_number(DataValidationRule::Between(year - 10, year))
        .set_input_title("数据年份 Reference year")?
        .set_input_message(format!("数据不是{year}年的，填写其年份。The year of the figure if not {year}."))?;
    ws.add_data_validation(first, column("reference_year"), last, column("reference_year"), &reference)?;
    let from = ExcelDateTime::from_ymd((year - 1) as u16, 1, 1)?;
    let to = ExcelDateTime::from_ymd((year + 1) as u16, 12, 31)?;
    let as_of = DataValidation::new()
        .allow_date(DataValidationRule::Between(from, to))
        .set_input_title("截至日期 As of")?
        .set_input_message("进度数据的截至日期，如 2026-11-30。The date progress is counted to, e.g. 2026-11-30.")?;
    ws.add_data_validation(first, column("as_of"), last, column("as_of"), &as_of)?;
    let explanation = DataValidation::new()
        .allow_text_length(DataValidationRule::LessThanOrEqualTo(500))
        .set_input_title("说明 Explanation")?
        .set_input_message(
            "变化超过±50%或完成率超过200%时必须说明原因。Required when the change exceeds ±50 % or completion 200 %.",
        )?;
    ws.add_data_validation(first, column("explanation"), last, column("explanation"), &explanation)?;
    Ok(())
}

fn truncate_utf16(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    for c in s.chars() {
        n += c.len_utf16();
        if n > max {
            break;
        }
        out.push(c);
    }
    out
}

/// The manifest's line for a workbook, in the export's form (so `mail` can read it).
pub fn entry(plan: &WorkbookPlan, bytes: &[u8]) -> Entry {
    Entry {
        department: plan.department.clone(),
        department_name: plan.department_name.clone(),
        city: plan.city.clone(),
        recipients: plan.recipients.clone(),
        file: plan.file.clone(),
        sha256: sha256_hex(bytes),
        sectors: plan.sheets.iter().map(|s| s.sector.clone()).collect(),
        sheets: plan.sheets.iter().map(|s| s.name.clone()).collect(),
    }
}

/// The cell reference for a row and named column, as findings show it.
pub fn cell(row: u32, name: &str) -> String {
    a1(row, column(name) as u32)
}
