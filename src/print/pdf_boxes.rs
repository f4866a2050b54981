//! The BleedBox of a page with bleed, written into the exported PDF.
//!
//! With a page bleed (`[print] bleed`), Typst makes each page that much larger (its MediaBox)
//! and writes a TrimBox, the page the printer cuts to, but no BleedBox. A reader of the PDF then
//! takes the BleedBox to be the CropBox, hence the MediaBox (ISO 32000-1, 14.11.2): the same
//! area. Print shops' preflight asks for the box itself, so it is written, equal to the
//! MediaBox, after the TrimBox of every page that has one. Only those dictionaries grow; the
//! offsets of the objects after them and the cross-reference table move to match. A file
//! without a TrimBox (no bleed), or not of the expected layout, is returned unchanged.

use crate::print::pdf_eol::{Xref, find};

/// Returns the PDF with a BleedBox, equal to its MediaBox, on every page that has a TrimBox.
pub fn bleed_boxes(pdf: Vec<u8>) -> Vec<u8> {
    if find(&pdf, b"/TrimBox", 0).is_none() {
        return pdf;
    }
    fix(&pdf).unwrap_or(pdf)
}

/// An array's text (`[0 0 612.28345 858.89764]`) from its `[` at `at`.
fn array_at(bytes: &[u8], at: usize) -> Option<&[u8]> {
    let end = bytes.get(at..)?.iter().position(|&b| b == b']')?;
    Some(&bytes[at..=at + end])
}

/// A dictionary of `/Type/Page` (not `/Pages`).
fn is_page(object: &[u8]) -> bool {
    find(object, b"/Type/Page", 0)
        .is_some_and(|at| object.get(at + b"/Type/Page".len()).is_none_or(|b| !b.is_ascii_alphanumeric()))
}

fn fix(pdf: &[u8]) -> Option<Vec<u8>> {
    let xref = Xref::read(pdf)?;
    let mut inserts = Vec::new();
    for at in xref.offsets() {
        let end = find(pdf, b"endobj", at)?;
        let object = &pdf[at..end];
        // A page dictionary, not a stream (its data could hold any bytes).
        if find(object, b"stream", 0).is_some() || !is_page(object) {
            continue;
        }
        let Some(trim) = find(object, b"/TrimBox[", 0) else { continue };
        if find(object, b"/BleedBox", 0).is_some() {
            continue;
        }
        let media = find(object, b"/MediaBox[", 0)?;
        let media = array_at(object, media + b"/MediaBox".len())?;
        let trim_end = trim + array_at(object, trim + b"/TrimBox".len())?.len() + b"/TrimBox".len();
        let mut bytes = b"/BleedBox".to_vec();
        bytes.extend_from_slice(media);
        inserts.push((at + trim_end, bytes));
    }
    inserts.sort_unstable_by_key(|(at, _)| *at);
    Some(xref.insert(pdf, &inserts))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PDF: a page with a TrimBox, a page without, and a stream that mentions both.
    fn sample() -> Vec<u8> {
        let objects = [
            "<</Type/Page/MediaBox[0 0 612.28 858.9]/TrimBox[8.5 8.5 603.78 850.39]/Parent 3 0 R>>".to_string(),
            "<</Type/Page/MediaBox[0 0 595.28 841.89]/Parent 3 0 R>>".to_string(),
            "<</Type/Pages/Kids[1 0 R 2 0 R]/Count 2>>".to_string(),
            "<</Length 40>>\nstream\n/Type/Page/ /TrimBox[1 1 2 2] /MediaBox[]\nendstream".to_string(),
        ];
        let mut pdf = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let xref = pdf.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1);
        for o in &offsets {
            table.push_str(&format!("{o:010} 00000 n\r\n"));
        }
        table.push_str(&format!("trailer\n<</Size {}>>\nstartxref\n{xref}\n%%EOF", objects.len() + 1));
        pdf.extend_from_slice(table.as_bytes());
        pdf
    }

    #[test]
    fn a_page_with_a_trim_box_gets_its_media_box_as_bleed_box_and_offsets_follow() {
        let fixed = bleed_boxes(sample());
        let text = String::from_utf8(fixed.clone()).unwrap();
        assert!(
            text.contains(
                "/MediaBox[0 0 612.28 858.9]/TrimBox[8.5 8.5 603.78 850.39]/BleedBox[0 0 612.28 858.9]/Parent"
            ),
            "{text}"
        );
        assert_eq!(text.matches("/BleedBox").count(), 1, "only the page with a TrimBox, not the stream: {text}");
        let xref = Xref::read(&fixed).expect("the table is where startxref says");
        for (i, at) in xref.offsets().into_iter().enumerate() {
            assert!(fixed[at..].starts_with(format!("{} 0 obj", i + 1).as_bytes()), "object {} at {at}", i + 1);
        }
    }

    #[test]
    fn a_file_without_trim_boxes_is_unchanged() {
        let pdf = sample();
        let text = String::from_utf8(pdf.clone()).unwrap().replace("/TrimBox", "/ArtBox");
        assert_eq!(bleed_boxes(text.clone().into_bytes()), text.into_bytes());
        assert_eq!(bleed_boxes(b"not a pdf".to_vec()), b"not a pdf");
    }
}
