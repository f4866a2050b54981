//! Names the edition derives from data and that outside programs hold it to: ids that become
//! parts of file and sheet names, and the worksheet name of a sector. The book makes these
//! names and `validate` checks them, so both import them from here and neither from the other.
//! Also what a name or an address must be to go into a mail header or a file name, so that
//! `check` refuses exactly what `mail` could not send and nothing it accepts breaks later.

/// Ids become parts of file and sheet names: only `[a-z0-9-]`, not starting or ending with `-`,
/// and never a name Windows reserves for a device (`con.toml` cannot be saved there, and many
/// offices work on Windows).
pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !is_reserved_on_windows(id)
}

/// `con`, `prn`, `aux`, `nul`, `com1`–`com9`, `lpt1`–`lpt9`.
pub(crate) fn is_reserved_on_windows(id: &str) -> bool {
    matches!(id, "con" | "prn" | "aux" | "nul")
        || (id.len() == 4
            && (id.starts_with("com") || id.starts_with("lpt"))
            && id.as_bytes()[3].is_ascii_digit()
            && id.as_bytes()[3] != b'0')
}

/// A file's name alone, with no folder in it: what names a file inside a folder we choose
/// (`seed` in sources.toml), so that it can never name a file elsewhere.
pub(crate) fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', ':'])
        && !name.chars().any(char::is_control)
}

/// The worksheet name derived for a sector: order and Chinese name, e.g. `01 就业与劳动保障`.
pub(crate) fn sheet_name(order: i64, zh: &str) -> String {
    format!("{order:02} {zh}")
}

/// Why `text` cannot be put into a mail header or a file name, or `None` when it can: a line
/// break (which would start a new header) or another control character.
pub(crate) fn header_text_problem(text: &str) -> Option<&'static str> {
    if text.contains(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}', '\u{b}', '\u{c}']) {
        Some("holds a line break")
    } else if text.chars().any(char::is_control) {
        Some("holds a control character")
    } else {
        None
    }
}

/// Why `address` cannot be a recipient, or `None` when it can: `name@host.domain` as lettre (the
/// library `mail` sends with) parses it, with a dotted host name (not an IP literal) and a local
/// part of at most 64 characters (RFC 5321).
pub(crate) fn address_problem(address: &str) -> Option<String> {
    let not = |why: &str| Some(format!("`{address}` is not an e-mail address{why}"));
    let too_long = |user: &str| user.chars().count() > 64;
    let Ok(parsed) = address.parse::<lettre::Address>() else {
        return match address.rsplit_once('@') {
            Some((user, _)) if too_long(user) => not(": the part before @ is longer than 64 characters"),
            _ => not(""),
        };
    };
    let domain = parsed.domain();
    if domain.starts_with('[') {
        return not(" that can be mailed: its domain is an IP address in brackets; write a host name");
    }
    if !domain.contains('.') || domain.ends_with('.') {
        return not(": its domain needs a dot, as in name@host.domain");
    }
    if too_long(parsed.user()) {
        return not(": the part before @ is longer than 64 characters");
    }
    if lettre::address::Envelope::new(Some(parsed.clone()), vec![parsed]).is_err() {
        return not(" that can be mailed");
    }
    None
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

    #[test]
    fn names_with_line_breaks_or_control_characters_are_refused() {
        for ok in ["教育局", "Education Bureau", "a\"b<c>;@=?utf-8?b?x?=", "{{ 7*7 }}"] {
            assert_eq!(header_text_problem(ok), None, "{ok:?}");
        }
        for bad in ["教育局\nX", "\r", "a\u{2028}b", "tab\there", "nul\0"] {
            assert!(header_text_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn addresses_are_what_mail_can_send() {
        for ok in ["education@yearbook.example", "a.b+c@sanmenxia.example", "\"a;b\"@x.example", "教育局@例子.example"]
        {
            assert_eq!(address_problem(ok), None, "{ok}");
        }
        for bad in [
            "jiaoyu at example",
            "office@@x.example",
            "@x.example",
            "a@localhost",
            "a b@x.example",
            "a@x.example.",
            "x@[127.0.0.1]",
            &format!("{}@x.example", "a".repeat(70)),
        ] {
            assert!(address_problem(bad).is_some(), "{bad} must be refused");
        }
    }
}
