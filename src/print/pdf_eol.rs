//! One byte of post-processing on the exported PDF, for the PDF/A stream-length rule.
//!
//! PDF/A (ISO 19005-2, 6.1.7.1) counts a stream's /Length up to the end-of-line marker before
//! `endstream`, and that marker may be CR LF. When a stream's data happens to end in a CR byte
//! (the last byte of compressed data is the low byte of a checksum, so about one stream in 256)
//! and the writer puts a lone LF after it, the file reads as data-minus-CR plus a CR LF marker,
//! and validators report a /Length mismatch. Writing the marker as CR LF in exactly those
//! streams makes the reading unambiguous. Only whitespace between the data and `endstream`
//! changes; the offsets of the objects after it and the cross-reference table are moved to
//! match. A file that does not fit the expected layout is returned unchanged. The reader and
//! mover of the cross-reference table, [`Xref`], also serve `pdf_boxes`.

/// Returns the PDF with unambiguous end-of-line markers before `endstream`.
pub fn unambiguous_stream_ends(pdf: Vec<u8>) -> Vec<u8> {
    fix(&pdf).unwrap_or(pdf)
}

pub(crate) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn number_at(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let digits = bytes.get(at..)?.iter().take_while(|b| b.is_ascii_digit()).count();
    let n = std::str::from_utf8(&bytes[at..at + digits]).ok()?.parse().ok()?;
    (digits > 0).then_some((n, at + digits))
}

/// The offsets where a CR must be inserted (just after a stream's data), if any; `None` when
/// the file's layout is not the expected one.
fn insertions(pdf: &[u8], offsets: &[usize]) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    for &at in offsets {
        let end = find(pdf, b"endobj", at)?;
        let Some(kw) = find(&pdf[..end], b"stream", at) else { continue };
        let dict = &pdf[at..kw];
        // A direct /Length only; an indirect one is left alone (none is written today).
        let Some(l) = rfind(dict, b"/Length ") else { continue };
        let (length, after) = number_at(dict, l + 8)?;
        if dict.get(after..after + 4) == Some(b" 0 R") {
            continue;
        }
        let data = kw + 6 + if pdf.get(kw + 6..kw + 8) == Some(b"\r\n") { 2 } else { 1 };
        let data_end = data + length;
        if pdf.get(data_end.checked_sub(1)?) == Some(&b'\r') && pdf.get(data_end..data_end + 10) == Some(b"\nendstream")
        {
            out.push(data_end);
        }
    }
    out.sort_unstable();
    Some(out)
}

fn fix(pdf: &[u8]) -> Option<Vec<u8>> {
    let xref = Xref::read(pdf)?;
    let inserts = insertions(pdf, &xref.offsets())?;
    Some(xref.insert(pdf, &inserts.into_iter().map(|at| (at, b"\r".to_vec())).collect::<Vec<_>>()))
}

/// The classic cross-reference table of a PDF as krilla writes it (one section, no streams).
pub(crate) struct Xref {
    /// Where `startxref` and the table start.
    startxref: usize,
    at: usize,
    /// Per entry: the byte position of the entry, the object's offset, whether in use.
    entries: Vec<(usize, usize, bool)>,
}

impl Xref {
    /// The table, or `None` when the file does not have the expected layout.
    pub(crate) fn read(pdf: &[u8]) -> Option<Xref> {
        let startxref = rfind(pdf, b"startxref")?;
        let (at, _) = number_at(pdf, startxref + 10)?;
        if pdf.get(at..at + 4) != Some(b"xref") {
            return None;
        }
        // Subsections of 20-byte entries.
        let mut entries = Vec::new();
        let mut pos = at + 4;
        while pdf.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            pos += 1;
        }
        while let Some((_first, next)) = number_at(pdf, pos) {
            let (count, next) = number_at(pdf, next + 1)?;
            pos = next;
            while pdf.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
                pos += 1;
            }
            for _ in 0..count {
                let entry = pdf.get(pos..pos + 20)?;
                let offset: usize = std::str::from_utf8(&entry[..10]).ok()?.parse().ok()?;
                entries.push((pos, offset, entry[17] == b'n'));
                pos += 20;
            }
        }
        Some(Xref { startxref, at, entries })
    }

    /// The offsets of the objects in use.
    pub(crate) fn offsets(&self) -> Vec<usize> {
        self.entries.iter().filter(|e| e.2).map(|e| e.1).collect()
    }

    /// `pdf` with `bytes` inserted at each offset (ascending, each before the table), and the
    /// table and `startxref` moved to match.
    pub(crate) fn insert(&self, pdf: &[u8], inserts: &[(usize, Vec<u8>)]) -> Vec<u8> {
        if inserts.is_empty() {
            return pdf.to_vec();
        }
        let shift = |offset: usize| {
            offset + inserts.iter().take_while(|(i, _)| *i <= offset).map(|(_, b)| b.len()).sum::<usize>()
        };
        let added: usize = inserts.iter().map(|(_, b)| b.len()).sum();
        let mut out = Vec::with_capacity(pdf.len() + added);
        let mut last = 0;
        for (i, bytes) in inserts {
            out.extend_from_slice(&pdf[last..*i]);
            out.extend_from_slice(bytes);
            last = *i;
        }
        out.extend_from_slice(&pdf[last..]);
        for &(entry, offset, in_use) in &self.entries {
            if in_use {
                let at = shift(entry);
                out[at..at + 10].copy_from_slice(format!("{:010}", shift(offset)).as_bytes());
            }
        }
        // startxref's number may grow by digits only if the file crosses a power of ten; rewrite
        // the tail from `startxref` on.
        out.truncate(shift(self.startxref));
        out.extend_from_slice(format!("startxref\n{}\n%%EOF", shift(self.at)).as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PDF: one stream whose data ends in CR, then a plain object.
    fn sample(data: &[u8]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        let first = pdf.len();
        pdf.extend_from_slice(format!("1 0 obj\n<</Length {}>>\nstream\n", data.len()).as_bytes());
        pdf.extend_from_slice(data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        let second = pdf.len();
        pdf.extend_from_slice(b"2 0 obj\n<</Type/Catalog>>\nendobj\n");
        let xref = pdf.len();
        pdf.extend_from_slice(
            format!("xref\n0 3\n0000000000 65535 f\r\n{first:010} 00000 n\r\n{second:010} 00000 n\r\ntrailer\n<</Size 3/Root 2 0 R>>\nstartxref\n{xref}\n%%EOF").as_bytes(),
        );
        pdf
    }

    #[test]
    fn a_stream_ending_in_cr_gets_a_crlf_marker_and_offsets_follow() {
        let pdf = sample(b"abc\r");
        let fixed = unambiguous_stream_ends(pdf.clone());
        assert_eq!(fixed.len(), pdf.len() + 1);
        assert!(find(&fixed, b"abc\r\r\nendstream", 0).is_some());
        let second = find(&fixed, b"2 0 obj", 0).unwrap();
        assert!(find(&fixed, format!("{second:010} 00000 n").as_bytes(), 0).is_some(), "the xref follows the move");
        let xref = find(&fixed, b"xref", 0).unwrap();
        assert!(fixed.ends_with(format!("startxref\n{xref}\n%%EOF").as_bytes()));
    }

    #[test]
    fn other_files_are_unchanged() {
        let pdf = sample(b"abc");
        assert_eq!(unambiguous_stream_ends(pdf.clone()), pdf);
        assert_eq!(unambiguous_stream_ends(b"not a pdf".to_vec()), b"not a pdf");
    }
}
