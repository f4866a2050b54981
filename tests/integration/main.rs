//! The integration suite, one test binary (as ripgrep and just keep theirs): each module is the
//! tests of one promise area, `common` the helpers they share. One binary links typst once.

mod common;

mod across_years;
mod archive;
mod bleed;
mod cli;
mod collect;
mod docs;
mod editions;
mod export;
mod invalid;
mod landing;
mod layout_cache;
mod mail;
mod parts;
mod plans;
mod promises;
mod proof;
mod properties;
mod robustness;
mod scale;
mod snapshots;
mod trace;
mod watch;
mod web;
mod workbook;
