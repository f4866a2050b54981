//! The names Rust and the templates share, in one place. The templates (`templates/main.typ.j2`,
//! `templates/yearbook.typ`) write them; `parts`, `typeset` and `render` read or inject them. A
//! project's own templates must keep them: `docs/templates.md` explains each, and a test finds
//! each in the shipped templates, as `docs/rules.md` is kept in step with the rules.

/// The line that starts a part of the rendered source, followed by the part's name.
pub const PART_MARKER: &str = "// @part ";

/// The part names a `PART_MARKER` line may carry: one front part, body parts (a body part that
/// goes on with the table the part before left unfinished is `body continued`), one back part.
pub const PART_FRONT: &str = "front";
pub const PART_BODY: &str = "body";
pub const PART_BODY_CONTINUED: &str = "body continued";
pub const PART_BACK: &str = "back";

/// A contents entry: `metadata((level, zh, en))` labelled so; the contents of a book typeset in
/// parts are gathered from every part by this label.
pub const LABEL_TOC: &str = "toc";
/// The mark each row name of a table carries (`metadata(indicator id)`): the index's pages and
/// the rows a part's last page holds are counted by it.
pub const LABEL_IND: &str = "ind";
/// Where a piece of a table cut for parts starts (only when the table has more than one piece).
pub const LABEL_PIECE_START: &str = "piece-start";
/// Where a piece of a table ends when another piece follows.
pub const LABEL_PIECE_END: &str = "piece-end";
/// The prefix of the label where each table starts (`table-start-3-1`): the contents sheet of
/// the workbook gives each table's page from it.
pub const LABEL_TABLE_START: &str = "table-start-";

/// Variables the template declares in its preamble and a part's prologue sets anew: the
/// contents (entries with their pages), the index's pages, and how many rows a piece takes from
/// the end of the piece before (`piece-carry`) and leaves to the piece after (`piece-drop`).
pub const VAR_TOC_DATA: &str = "toc-data";
pub const VAR_INDEX_DATA: &str = "index-data";
pub const VAR_PIECE_CARRY: &str = "piece-carry";
pub const VAR_PIECE_DROP: &str = "piece-drop";

/// The key under which a piece of a table (after the first) gets the last rows of the piece
/// before, [`LEAD_ROWS`] of them at most, to carry when that piece's last page holds only a few.
pub const KEY_LEAD: &str = "lead";

/// Rows a piece of a table can carry over to the next: more than a page holds in a third of
/// its height (a row takes two lines at least), which is what `parts` carries at most.
pub const LEAD_ROWS: usize = 30;

/// Every label, with what the templates write for it.
pub const LABELS: [&str; 5] = [LABEL_TOC, LABEL_IND, LABEL_PIECE_START, LABEL_PIECE_END, LABEL_TABLE_START];

/// Every injected variable.
pub const VARIABLES: [&str; 4] = [VAR_TOC_DATA, VAR_INDEX_DATA, VAR_PIECE_CARRY, VAR_PIECE_DROP];

/// Every part name.
pub const PART_NAMES: [&str; 4] = [PART_FRONT, PART_BODY, PART_BODY_CONTINUED, PART_BACK];

#[cfg(test)]
mod tests {
    use super::*;

    fn template(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates").join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn the_templates_use_every_shared_name() {
        let main = template("main.typ.j2");
        let book = template("yearbook.typ");
        for part in PART_NAMES {
            let line = format!("{PART_MARKER}{part}\n");
            assert!(main.contains(&line), "main.typ.j2 has no `{}` line", line.trim());
        }
        for variable in VARIABLES {
            assert!(main.contains(&format!("#let {variable} = ")), "main.typ.j2 does not declare `{variable}`");
        }
        for label in [LABEL_TOC, LABEL_IND, LABEL_PIECE_START, LABEL_PIECE_END] {
            assert!(book.contains(&format!("<{label}>")), "yearbook.typ writes no `<{label}>`");
        }
        assert!(book.contains(&format!("label(\"{LABEL_TABLE_START}\" + t.number)")), "yearbook.typ: table starts");
        assert!(book.contains(&format!("t.{KEY_LEAD}")), "yearbook.typ does not read a piece's `{KEY_LEAD}`");
        // And the documentation names each.
        let docs = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/templates.md"))
            .expect("docs/templates.md");
        let mut names: Vec<String> = PART_NAMES.iter().map(|p| format!("`{PART_MARKER}{p}`")).collect();
        names.extend([LABEL_TOC, LABEL_IND, LABEL_PIECE_START, LABEL_PIECE_END].map(|l| format!("`<{l}>`")));
        names.push(format!("`{LABEL_TABLE_START}…`"));
        names.extend(VARIABLES.map(|v| format!("`{v}`")));
        names.extend([format!("`{KEY_LEAD}`"), "`LEAD_ROWS`".to_string()]);
        for name in names {
            assert!(docs.contains(&name), "docs/templates.md does not explain {name}");
        }
    }
}
