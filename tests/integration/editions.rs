//! Two editions side by side: last year's figures and changes in the book and the workbook, a
//! figure restated by the new edition, and the diff of indicators new, dropped and restated.

use crate::common::{at, mini_city, pdftotext, project, run, text};
use calamine::{Data, Reader, Xlsx, open_workbook};
use yearbook::book::Col;

/// The mini city as last year's edition: other values, one indicator since dropped, and no
/// day-care subsidy yet.
fn last_years_city() -> String {
    let city = mini_city().replace("year = 2025", "year = 2024").replace("value = 59178", "value = 50000");
    let city = city.replace("value = 804", "value = 700").replace("target = 800\ncompletion = 100.5\n", "");
    let city = city.replace("value = 689", "value = 600").replace("value = 115", "value = 100");
    // No day-care subsidy last year, so no summary of that chapter either.
    let city = city
        .replace("disability = { zh = \"日间照料补贴标准提高。\", en = \"The day-care subsidy rate went up.\" }\n", "");
    let cut = city.find("[[indicator]]\nid = \"day-care-subsidy\"").expect("the day-care subsidy");
    format!(
        "{}[[indicator]]\nid = \"job-fairs-held\"\nsector = \"employment\"\nname = {{ zh = \"招聘会\", en = \"Job fairs held\" }}\nunit = \"changci\"\nvalue = 12\nsource = \"sanmenxia-2025-progress\"\n",
        &city[..cut]
    )
}

fn two_editions() -> tempfile::TempDir {
    // This edition restates last year's rental-subsidy households: 680, not the 700 printed then.
    let this_year = mini_city().replace("value = 804\n", "value = 804\nlast_year = 680\n");
    let dir = project(&[("testcity", &this_year)]);
    std::fs::create_dir_all(dir.path().join("data/2024")).unwrap();
    std::fs::write(dir.path().join("data/2024/testcity.toml"), last_years_city()).unwrap();
    dir
}

#[test]
fn last_years_figures_and_changes_come_from_the_previous_edition() {
    let dir = two_editions();
    let o = run(&["check", "--deny-warnings"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(&["build"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));

    let mut wb: Xlsx<_> = open_workbook(dir.path().join("dist/2025/yearbook-2025.xlsx")).unwrap();
    let sheet = wb.sheet_names().into_iter().find(|n| n.contains("就业")).unwrap();
    let rows: Vec<Vec<Data>> = wb.worksheet_range(&sheet).unwrap().rows().map(<[Data]>::to_vec).collect();
    let skills = rows.iter().find(|r| r[at(Col::Item)] == Data::String("技能培训".into())).unwrap();
    assert_eq!(skills[at(Col::LastYear)], Data::Float(50000.0));
    let change = match &skills[at(Col::Change)] {
        Data::Float(c) => *c,
        other => panic!("no change: {other:?}"),
    };
    assert!((change - 18.356).abs() < 0.01, "59178 on 50000 is +18.4 %, got {change}");

    let housing = wb.sheet_names().into_iter().find(|n| n.contains("住房")).unwrap();
    let rows: Vec<Vec<Data>> = wb.worksheet_range(&housing).unwrap().rows().map(<[Data]>::to_vec).collect();
    let rental = rows.iter().find(|r| r[at(Col::Value)] == Data::Float(804.0)).unwrap();
    assert_eq!(rental[at(Col::LastYear)], Data::Float(680.0), "the restated figure prevails");

    if let Some(all) = pdftotext(&dir.path().join("dist/2025/yearbook-2025.pdf"), &[]) {
        let all: String = all.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(all.contains("上版为700"), "the restatement is noted under the table");
        assert!(
            all.contains("与2024年版比较") && all.contains("招聘会"),
            "the changes section lists the dropped indicator"
        );
    }
}

#[test]
fn diff_lists_new_dropped_and_restated_indicators() {
    let dir = two_editions();
    let o = run(&["diff", "--from", "2024", "--to", "2025"], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("1 indicator(s) new") && out.contains("day-care-subsidy"), "{out}");
    assert!(out.contains("1 indicator(s) dropped") && out.contains("job-fairs-held"), "{out}");
    assert!(out.contains("1 figure(s) of last year restated") && out.contains("700 → 680"), "{out}");

    let o = run(&["diff", "--from", "2023", "--to", "2025"], dir.path());
    assert_eq!(o.status.code(), Some(2), "only an edition and the year before can be compared");
}
