//! The print job: the book made into Typst source (`render`), laid out by the in-process
//! compiler (`typeset`, and `parts` for a large book), exported as PDF (`pdf_eol` mends what the
//! PDF/A validators ask of stream ends), and the edition's workbook (`workbook`) numbered by the
//! same layout. It reads the `Book` and nothing above it; `pipeline` strings these stages
//! together. The names the templates share with this code are listed in `contract`.

pub(crate) mod cache;
pub mod contract;
pub mod parts;
pub mod pdf_boxes;
pub mod pdf_eol;
pub mod render;
pub mod typeset;
pub mod workbook;
