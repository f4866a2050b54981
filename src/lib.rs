//! yearbook: per-city livelihood statistics in TOML → a bilingual (zh/en) PDF yearbook and an
//! XLSX workbook.
//!
//! The pipeline runs one way, one module per stage, with the commands on top:
//! `cmd` (parse, call, print, exit) → `plan` (configuration and flags resolved once) → `load`
//! (catalogue, then one edition per year, with spans) → `validate` (every rule, all findings) →
//! `resolve` (inheritance, units, decimals as typed) → `book` (what the reader sees) → the
//! `print` wing: `render` (minijinja → Typst source), `typeset` and `parts` (in-process Typst,
//! bundled fonts only) and `workbook` → `output` (the edition written as a unit). `pipeline`
//! strings the stages together in memory; nothing below `cmd` prints or exits. After the edition: `export` cuts the workbook by
//! department, `mail` sends each department its workbook. `watch` waits for an edit to what a
//! build reads (`yearbook watch`).

pub mod alloc;
pub mod archive;
pub mod book;
pub mod cmd;
pub mod collect;
pub mod config;
pub mod departments;
pub mod diagnostics;
pub mod division;
pub mod error;
pub mod load;
pub mod model;
mod names;
pub mod output;
pub mod pipeline;
pub mod plan;
pub mod print;
mod progress;
pub mod reading;
pub mod resolve;
mod scaffold;
mod strings;
mod trace;
pub mod validate;
mod watch;
pub mod web;
mod workers;
pub mod year;
