//! Names the edition derives from data and that outside programs hold it to: ids that become
//! parts of file and sheet names, and the worksheet name of a sector. The book makes these
//! names and `validate` checks them, so both import them from here and neither from the other.

/// Ids become parts of file and sheet names: only `[a-z0-9-]`, not starting or ending with `-`,
/// and never a name Windows reserves for a device (`con.toml` cannot be saved there, and many
/// offices work on Windows).
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !is_reserved_on_windows(id)
}

/// `con`, `prn`, `aux`, `nul`, `com1`–`com9`, `lpt1`–`lpt9`.
pub fn is_reserved_on_windows(id: &str) -> bool {
    matches!(id, "con" | "prn" | "aux" | "nul")
        || (id.len() == 4
            && (id.starts_with("com") || id.starts_with("lpt"))
            && id.as_bytes()[3].is_ascii_digit()
            && id.as_bytes()[3] != b'0')
}

/// A file's name alone, with no folder in it: what names a file inside a folder we choose
/// (`seed` in sources.toml), so that it can never name a file elsewhere.
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', ':'])
        && !name.chars().any(char::is_control)
}

/// The worksheet name derived for a sector: order and Chinese name, e.g. `01 就业与劳动保障`.
pub fn sheet_name(order: i64, zh: &str) -> String {
    format!("{order:02} {zh}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_file_name_safe() {
        assert!(is_valid_id("elderly-care"));
        assert!(is_valid_id("yuan-10k"));
        assert!(is_valid_id("com0") && is_valid_id("console") && is_valid_id("com10"));
        for bad in ["", "Elderly", "a_b", "a b", "-a", "a-", "../x", "中文", "con", "nul", "com1", "lpt9"] {
            assert!(!is_valid_id(bad), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn sheet_names_carry_the_chapter_number() {
        assert_eq!(sheet_name(1, "就业与劳动保障"), "01 就业与劳动保障");
        assert_eq!(sheet_name(12, "住房"), "12 住房");
    }
}
