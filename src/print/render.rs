//! Renders the book into Typst source with minijinja templates from `templates/`.
//!
//! Data never becomes markup: in markup positions every value is printed as a Typst string
//! literal (`#"…";`), and in code positions the `typst` filter writes a Typst value literal.
//! Only the templates themselves are Typst code.

use std::path::Path;

use minijinja::value::{Serde, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, path_loader, syntax::SyntaxConfig};

use crate::book::Book;
use crate::config::Print;
use crate::error::AppError;
use crate::plan::Lang;
use crate::print::contract::{self, LEAD_ROWS};

/// The template that produces the whole book.
pub const MAIN_TEMPLATE: &str = "main.typ.j2";

/// A Typst string literal that evaluates to exactly `s`.
pub fn typst_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` for a markup position: an embedded string expression. The `;` ends the expression, so
/// text that follows (`(`, `[`, `.`) cannot be read as a call or field access.
pub fn typst_markup(s: &str) -> String {
    format!("#{};", typst_string(s))
}

/// Any template value as a Typst value literal (string, number, array, dictionary, none).
pub fn typst_literal(v: &Value) -> Result<String, Error> {
    Ok(match v.kind() {
        ValueKind::None => "none".to_string(),
        // A misspelt field must fail here, at its template line, not later inside Typst.
        ValueKind::Undefined => {
            return Err(Error::new(ErrorKind::UndefinedError, "an undefined value was passed to `typst`"));
        }
        ValueKind::Bool => if v.is_true() { "true" } else { "false" }.to_string(),
        ValueKind::String => typst_string(v.as_str().unwrap_or_default()),
        ValueKind::Number => {
            if let Some(i) = v.as_i64().filter(|_| v.is_integer()) {
                i.to_string()
            } else {
                let f = f64::try_from(v.clone())?;
                if f.is_nan() {
                    "float.nan".into()
                } else if f.is_infinite() {
                    if f > 0.0 { "float.inf".into() } else { "-float.inf".into() }
                } else {
                    // Debug formatting always has a `.` or an exponent, so Typst reads a float.
                    format!("{f:?}")
                }
            }
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let items = v.try_iter()?.map(|x| typst_literal(&x)).collect::<Result<Vec<_>, _>>()?;
            match items.len() {
                0 => "()".into(),
                1 => format!("({},)", items[0]),
                _ => format!("({})", items.join(", ")),
            }
        }
        ValueKind::Map => {
            let mut parts = Vec::new();
            for key in v.try_iter()? {
                let value = v.get_item(&key)?;
                let name = key.as_str().map(str::to_owned).unwrap_or_else(|| key.to_string());
                parts.push(format!("{}: {}", typst_string(&name), typst_literal(&value)?));
            }
            if parts.is_empty() { "(:)".into() } else { format!("({})", parts.join(", ")) }
        }
        other => {
            return Err(Error::new(ErrorKind::InvalidOperation, format!("a {other} value cannot be passed to Typst")));
        }
    })
}

/// The Typst library the main template imports; it is read by the typesetter, not by minijinja.
pub const LIBRARY: &str = "yearbook.typ";

/// The template environment: templates from `dir`, strict about undefined values, and a
/// formatter that makes every printed value a Typst string literal. The templates are parsed
/// now, so a missing folder or a syntax error stops `check` as it would stop `build`.
pub fn environment(dir: &Path) -> Result<Environment<'static>, AppError> {
    let env = environment_unchecked(dir)?;
    for name in [MAIN_TEMPLATE, LIBRARY] {
        if !dir.join(name).is_file() {
            return Err(AppError::Template(format!(
                "`{}` is missing; the templates folder is set by [paths] templates in yearbook.toml",
                dir.join(name).display()
            )));
        }
    }
    env.get_template(MAIN_TEMPLATE).map_err(|e| template_error(&e, dir))?;
    Ok(env)
}

fn environment_unchecked(dir: &Path) -> Result<Environment<'static>, AppError> {
    let mut env = Environment::new();
    let dir = std::path::PathBuf::from(dir);
    env.set_loader(path_loader(dir));
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| AppError::Template(e.to_string()))?;
    env.set_syntax(syntax);
    env.set_formatter(|out, _state, value| {
        if value.is_safe() {
            return out.write_str(value.as_str().unwrap_or_default()).map_err(Error::from);
        }
        let text = match value.kind() {
            ValueKind::String => value.as_str().unwrap_or_default().to_string(),
            ValueKind::Number | ValueKind::Bool => value.to_string(),
            ValueKind::None => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    "cannot print `none`; test the value before printing it",
                ));
            }
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("cannot print a {other} into markup; pass it to Typst code with `|typst`"),
                ));
            }
        };
        out.write_str(&typst_markup(&text)).map_err(Error::from)
    });
    env.add_filter("typst", |v: Value| typst_literal(&v).map(Value::from_safe_string));
    env.add_filter("pieces", pieces);
    // A count in a generated sentence, grouped as the tables group figures ("19 500项数据").
    env.add_filter("grouped", |n: u64| crate::book::num::prose_count(n));
    Ok(env)
}

/// Where the book is cut into parts (src/parts.rs): a table every `rows` rows, between its
/// groups; the city profiles every `cities` cities. A book typeset whole is not cut.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Cuts {
    pub rows: usize,
    pub cities: usize,
}

impl Cuts {
    /// No cut: the book is typeset whole.
    pub const NONE: Cuts = Cuts { rows: u32::MAX as usize, cities: u32::MAX as usize };
}

/// A table cut into pieces of about `rows` rows, between its groups (a group is never cut):
/// each piece is the table with some of its groups, numbered `piece` of `pieces`.
///
/// Every piece after the first also gets `lead`: the last [`LEAD_ROWS`] rows of the piece
/// before, as groups. When the piece before ends on a page that holds only a few of its rows,
/// those rows are carried over to the next piece instead (src/parts.rs), which takes them from
/// here: a page of two rows, cut from the table's next page, reads badly in print.
fn pieces(table: Value, rows: usize) -> Result<Vec<Value>, Error> {
    let groups: Vec<Value> = table.get_attr("groups")?.try_iter()?.collect();
    let mut cut: Vec<Vec<Value>> = vec![Vec::new()];
    let mut filled = 0;
    for group in groups {
        let size = group.get_attr("rows")?.len().unwrap_or(0) + 1;
        if filled > 0 && filled + size > rows.max(1) {
            cut.push(Vec::new());
            filled = 0;
        }
        filled += size;
        cut.last_mut().expect("one piece at least").push(group);
    }
    let count = cut.len();
    if count == 1 {
        return Ok(vec![table]);
    }
    let leads: Vec<Value> = cut.iter().map(|groups| lead(groups, LEAD_ROWS)).collect::<Result<_, _>>()?;
    cut.into_iter()
        .enumerate()
        .map(|(i, groups)| {
            let mut piece = std::collections::BTreeMap::new();
            for key in table.try_iter()? {
                let value = table.get_item(&key)?;
                piece.insert(key.to_string(), value);
            }
            piece.insert("groups".to_string(), Value::from(groups));
            piece.insert("piece".to_string(), Value::from(i));
            piece.insert("pieces".to_string(), Value::from(count));
            if i > 0 {
                piece.insert(contract::KEY_LEAD.to_string(), leads[i - 1].clone());
            }
            Ok(Value::from(piece))
        })
        .collect()
}

/// The last `n` rows of `groups`, as groups: each with its heading and `prev_level`, the level
/// of the row before its first (so that a carried row says `of which` only where it did).
fn lead(groups: &[Value], n: usize) -> Result<Value, Error> {
    let mut out: Vec<Value> = Vec::new();
    let mut left = n;
    for group in groups.iter().rev() {
        if left == 0 {
            break;
        }
        let rows: Vec<Value> = group.get_attr("rows")?.try_iter()?.collect();
        let from = rows.len().saturating_sub(left);
        left -= rows.len() - from;
        let prev_level = if from == 0 { Value::from(0) } else { rows[from - 1].get_attr("level")? };
        let mut g = std::collections::BTreeMap::new();
        for key in group.try_iter()? {
            g.insert(key.to_string(), group.get_item(&key)?);
        }
        g.insert("rows".to_string(), Value::from(rows[from..].to_vec()));
        g.insert("prev_level".to_string(), prev_level);
        out.push(Value::from(g));
    }
    out.reverse();
    Ok(Value::from(out))
}

/// A file embedded in the archive edition as a PDF/A-3 associated file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Attachment {
    /// Absolute virtual path under which the typesetter serves the bytes.
    pub path: String,
    /// `source` for the data the book was made from, `data` for the workbook.
    pub relationship: &'static str,
    pub mime: &'static str,
    pub description: String,
}

/// Renders the main template with the book.
/// `dir` is where the templates were read from, for the locations of errors; `print` is the
/// page setup the print shop asked for (`[print]` in yearbook.toml).
pub fn render(
    env: &Environment<'_>,
    dir: &Path,
    book: &Book,
    lang: Lang,
    attachments: &[Attachment],
    parts: Cuts,
    print: Print,
) -> Result<String, AppError> {
    let template = env.get_template(MAIN_TEMPLATE).map_err(|e| template_error(&e, dir))?;
    let ctx = minijinja::context! {
        book => Value::from(Serde(book)),
        lang => Value::from(Serde(lang)),
        attachments => Value::from(Serde(attachments)),
        parts => Value::from(Serde(parts)),
        print => Value::from(Serde(print)),
    };
    template.render(ctx).map_err(|e| template_error(&e, dir))
}

/// Names the template file and line, and the chain of causes.
pub(crate) fn template_error(e: &Error, dir: &Path) -> AppError {
    let mut msg = String::new();
    if let (Some(name), Some(line)) = (e.name(), e.line()) {
        msg.push_str(&format!("{}:{line}: ", dir.join(name).display()));
    }
    msg.push_str(&e.kind().to_string());
    if let Some(detail) = e.detail() {
        msg.push_str(": ");
        msg.push_str(detail);
    }
    if e.kind() == ErrorKind::TemplateNotFound {
        // minijinja names the template alone; where it was looked for is what the user can act on.
        msg.push_str(&format!(
            " in the templates folder `{}` (set by [paths] templates in yearbook.toml); was the file or the \
             folder moved or renamed?",
            dir.display()
        ));
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        msg.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    AppError::Template(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_escape_only_what_typst_strings_need() {
        assert_eq!(typst_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(typst_string("x\ny"), r#""x\ny""#);
        assert_eq!(typst_string("\u{7}"), r#""\u{7}""#);
        assert_eq!(typst_markup("#panic()"), r##"#"#panic()";"##);
    }

    #[test]
    fn values_become_typst_literals() {
        let v = Value::from(Serde(serde_json::json!({"a": [1, 2.5, "x"], "b": null, "c": [true]})));
        assert_eq!(typst_literal(&v).unwrap(), r#"("a": (1, 2.5, "x"), "b": none, "c": (true,))"#);
        assert_eq!(typst_literal(&Value::from(1e20)).unwrap(), "1e20");
        assert_eq!(typst_literal(&Value::from(Serde(serde_json::json!({})))).unwrap(), "(:)");
    }

    #[test]
    fn formatter_prints_data_as_string_literals() {
        let mut env = environment_unchecked(Path::new("/nonexistent")).unwrap();
        env.add_template("t.typ.j2", "= {{ name }}\n#f({{ data|typst }})").unwrap();
        let out = env
            .get_template("t.typ.j2")
            .unwrap()
            .render(minijinja::context! { name => "#x", data => vec!["]"] })
            .unwrap();
        assert_eq!(out, "= #\"#x\";\n#f((\"]\",))");
    }

    #[test]
    fn undefined_values_passed_to_typst_are_errors_at_their_line() {
        let mut env = environment_unchecked(Path::new("/nonexistent")).unwrap();
        env.add_template("t.typ.j2", "x\n#f({{ city.overvue|typst }})").unwrap();
        let err = env
            .get_template("t.typ.j2")
            .unwrap()
            .render(minijinja::context! { city => minijinja::context! { overview => "o" } })
            .unwrap_err();
        assert_eq!(err.line(), Some(2));
    }

    #[test]
    fn undefined_values_are_errors() {
        let mut env = environment_unchecked(Path::new("/nonexistent")).unwrap();
        env.add_template("t.typ.j2", "{{ missing }}").unwrap();
        assert!(env.get_template("t.typ.j2").unwrap().render(()).is_err());
    }
}
