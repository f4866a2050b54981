//! The departments job: each department's workbook cut from the edition (`export`), the
//! `manifest.csv` that says what went to whom, the messages (`mail`), their delivery over SMTP
//! (`send`) and the send log that keeps a delivery from being repeated (`send_log`). This wing
//! owns those files' formats; the command layer only calls it.

pub mod export;
pub mod mail;
pub mod mailing;
pub mod manifest;
pub mod send;
pub mod send_log;
