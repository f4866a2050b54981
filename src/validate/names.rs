//! Names and addresses that leave the book for mail headers and file names: department and
//! city names without line breaks or control characters, and city office keys of
//! `departments.toml` that name a city. The address rule itself is [`crate::names`], shared
//! with `mail` so that both agree.

use serde_spanned::Spanned;

use crate::diagnostics::{Diagnostic, FileIdx, Rule};
use crate::load::{Catalogue, Edition};
use crate::model::Bilingual;
use crate::names::header_text_problem;

/// The findings of these rules for the catalogue and the edition. `cities` are the city ids of
/// every edition in the data folder: the catalogue serves them all, so an office for a city of
/// another year is fine, and one for a city no edition has is a typo or left over.
pub fn mail_names(catalogue: &Catalogue, edition: &Edition, cities: &[String]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let cities: Vec<&str> = cities.iter().map(String::as_str).collect();
    if let Some(parsed) = &catalogue.departments {
        // One finding per unknown city, at its first office: a city dropped from every edition
        // is one mistake, however many departments list an office for it.
        let mut unknown: Vec<(&Spanned<String>, &str, usize)> = Vec::new();
        for d in &parsed.data.department {
            names(&mut out, parsed.file, &d.name, "department name");
            for key in d.city.keys().filter(|k| !cities.contains(&k.get_ref().as_str())) {
                match unknown.iter_mut().find(|(first, _, _)| first.get_ref() == key.get_ref()) {
                    Some((_, _, more)) => *more += 1,
                    None => unknown.push((key, d.id.get_ref(), 0)),
                }
            }
        }
        for (key, department, more) in unknown {
            out.push(unknown_city(parsed.file, key, department, more, &cities));
        }
    }
    for c in &edition.cities {
        names(&mut out, c.file, &c.city.name, "city name");
    }
    out
}

fn names(out: &mut Vec<Diagnostic>, file: FileIdx, b: &Bilingual, what: &str) {
    for t in [&b.zh, &b.en] {
        if let Some(problem) = header_text_problem(t.get_ref()) {
            out.push(
                Diagnostic::new(
                    file,
                    Some(t.span()),
                    Rule::NameInHeader,
                    format!("the {what} `{}` {problem}", t.get_ref().escape_debug()),
                )
                .with_hint(
                    "write it on one line, without tabs or other control characters: the name goes into the \
                     subject of the department's mail and the name of its workbook",
                ),
            );
        }
    }
}

fn unknown_city(file: FileIdx, key: &Spanned<String>, department: &str, more: usize, cities: &[&str]) -> Diagnostic {
    let also = match more {
        0 => String::new(),
        1 => " (so has 1 more department)".to_string(),
        n => format!(" (so have {n} more departments)"),
    };
    let hint = match crate::load::closest(key.get_ref(), cities) {
        Some(c) => format!("did you mean `city.{c}`? The key is the id of a city (its file name in data/<year>/)"),
        None => {
            "the key is the id of a city (its file name in data/<year>/); correct it, or remove the office".to_string()
        }
    };
    Diagnostic::new(
        file,
        Some(key.span()),
        Rule::UnknownCityOffice,
        format!(
            "department `{department}` has an office for city `{}`{also}, but no edition in the data folder has \
             a city with that id: the city it was meant for would get its workbook at the department's own address",
            key.get_ref()
        ),
    )
    .with_hint(hint)
}
