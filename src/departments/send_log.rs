//! The send log: `sent-log.csv` in the export folder, the memory that makes `mail` send each
//! workbook to each recipient at most once. Before a delivery is tried, its intent (`sending`)
//! is appended and flushed to disk; after it, its outcome (`delivered`, `refused`, `failed` or
//! `unknown`). So a run that dies at any moment leaves either no line (nothing was sent) or an
//! intent without an outcome, which the next run reads as "may have been delivered" and does
//! not send again unless asked to (`--resend`).
//!
//! The log is CSV read by header on the manifest's cell types ([`super::manifest`]), so a
//! recipient's address or a server reply cannot become a spreadsheet formula. Logs of earlier
//! versions (no `event` column, one line per accepted delivery) are read as deliveries and
//! rewritten in this format before the first new line.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::manifest::{self, Entry, cell, csv_problem, missing_columns};
use crate::error::AppError;

/// The log's file name in the export folder.
pub const SEND_LOG: &str = "sent-log.csv";

/// The columns of the current format, in the order they are written.
const COLUMNS: [&str; 9] =
    ["time", "event", "department", "city", "recipient", "file", "sha256", "message_id", "reply"];
/// The columns every readable log has (an earlier version wrote these only).
const REQUIRED: [&str; 5] = ["time", "department", "recipient", "file", "sha256"];

/// What a line of the log says about one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// About to be sent; written before the first byte goes to the server.
    Sending,
    /// The server accepted the message for this recipient.
    Delivered,
    /// The server refused it (a reply in the 4xx or 5xx range): not delivered.
    Refused,
    /// It never reached the point where the server could accept it: not delivered.
    Failed,
    /// The message was handed over but the server's answer was lost (connection closed, reply
    /// timed out): it may have been delivered.
    Unknown,
}

fn delivered() -> Event {
    Event::Delivered
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRow {
    #[serde(with = "cell")]
    pub time: String,
    #[serde(default = "delivered")]
    pub event: Event,
    #[serde(with = "cell")]
    pub department: String,
    #[serde(with = "cell", default)]
    pub city: String,
    #[serde(with = "cell")]
    pub recipient: String,
    #[serde(with = "cell")]
    pub file: String,
    #[serde(with = "cell")]
    pub sha256: String,
    #[serde(with = "cell", default)]
    pub message_id: String,
    #[serde(with = "cell", default)]
    pub reply: String,
}

/// What the log knows about one (recipient, workbook) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Nothing, or only deliveries that certainly did not happen.
    NotSent,
    Delivered,
    /// An intent without an outcome (the run was killed), or an outcome that is not known.
    MayHaveBeenDelivered,
}

/// What was delivered, and the open file new lines are appended to.
pub struct SendLog {
    path: PathBuf,
    /// (recipient in lower case, sha256) → the last event.
    last: HashMap<(String, String), Event>,
    /// Rows of a log in an earlier format, to rewrite before appending.
    upgrade: Option<Vec<LogRow>>,
    file: Option<File>,
}

impl SendLog {
    /// Reads the log of the export folder `dir`, if there is one. A damaged line is an error
    /// naming it, never skipped: skipping it could send a delivery twice.
    pub fn open(dir: &Path) -> Result<SendLog, AppError> {
        let path = dir.join(SEND_LOG);
        let mut bytes = Vec::new();
        match File::open(&path).and_then(|mut f| f.read_to_end(&mut bytes)) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(AppError::Io { action: "read the send log", path, source }),
        }
        let bad = |line: u64, what: String| {
            AppError::Usage(format!(
                "`{}` line {line}: {what}; repair the line (or move the log away: then every workbook is sent again)",
                path.display()
            ))
        };
        let mut log = SendLog { path: path.clone(), last: HashMap::new(), upgrade: None, file: None };
        if bytes.is_empty() {
            return Ok(log);
        }
        let mut reader = manifest::reader(&bytes);
        let problem = |e: csv::Error| {
            let (line, what) = csv_problem(&e, &bytes);
            bad(line, what)
        };
        let missing = missing_columns(&mut reader, &REQUIRED).map_err(problem)?;
        if !missing.is_empty() {
            return Err(bad(1, format!("the columns {} are missing", missing.join(", "))));
        }
        let current = reader.headers().map_err(problem)?.iter().eq(COLUMNS);
        let mut rows = Vec::new();
        for row in reader.deserialize::<LogRow>() {
            let row = row.map_err(problem)?;
            log.last.insert((row.recipient.to_lowercase(), row.sha256.clone()), row.event);
            if !current {
                rows.push(row);
            }
        }
        log.upgrade = (!current).then_some(rows);
        Ok(log)
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the log knows about `recipient` and the file with this hash.
    pub fn known(&self, recipient: &str, sha256: &str) -> Known {
        match self.last.get(&(recipient.to_lowercase(), sha256.to_string())) {
            None | Some(Event::Refused | Event::Failed) => Known::NotSent,
            Some(Event::Delivered) => Known::Delivered,
            Some(Event::Sending | Event::Unknown) => Known::MayHaveBeenDelivered,
        }
    }

    /// Appends one line and flushes it to disk before returning. If it cannot, the file is cut
    /// back to where it was, so a half-written line never stops the next run.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        event: Event,
        entry: &Entry,
        recipient: &str,
        message_id: &str,
        reply: &str,
    ) -> Result<(), AppError> {
        let row = LogRow {
            time: now(),
            event,
            department: entry.department.clone(),
            city: entry.city.as_ref().map_or_else(String::new, |(id, _)| id.clone()),
            recipient: recipient.to_string(),
            file: entry.file.clone(),
            sha256: entry.sha256.clone(),
            message_id: message_id.to_string(),
            reply: reply.to_string(),
        };
        let line = rows(std::slice::from_ref(&row), false)?;
        let path = self.path.clone();
        let io = |action, source| AppError::Io { action, path: path.clone(), source };
        if self.file.is_none() {
            if let Some(old) = self.upgrade.take() {
                self.rewrite(&old)?;
            }
            let mut file =
                OpenOptions::new().create(true).append(true).open(&path).map_err(|e| io("open the send log", e))?;
            if file.metadata().map_err(|e| io("read the send log", e))?.len() == 0 {
                write_synced(&mut file, &rows(&[], true)?).map_err(|e| io("write the send log", e))?;
            }
            self.file = Some(file);
        }
        let file = self.file.as_mut().ok_or_else(|| AppError::Internal("the send log is not open".into()))?;
        write_synced(file, &line).map_err(|e| io("write the send log", e))?;
        self.last.insert((recipient.to_lowercase(), entry.sha256.clone()), event);
        Ok(())
    }

    /// Replaces a log of an earlier format by the same lines in this one, whole or not at all.
    fn rewrite(&self, old: &[LogRow]) -> Result<(), AppError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let io = |source| AppError::Io { action: "rewrite the send log", path: self.path.clone(), source };
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        tmp.write_all(&rows(old, true)?).and_then(|()| tmp.as_file().sync_all()).map_err(io)?;
        tmp.persist(&self.path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// Writes `bytes` at the end of `file` and flushes them; on failure cuts the file back.
fn write_synced(file: &mut File, bytes: &[u8]) -> std::io::Result<()> {
    let end = file.seek(std::io::SeekFrom::End(0))?;
    let result = file.write_all(bytes).and_then(|()| file.sync_data());
    if result.is_err() {
        let _ = file.set_len(end);
    }
    result
}

/// `rows` as CSV text, with the header row first if asked.
fn rows(rows: &[LogRow], header: bool) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    let mut w = csv::WriterBuilder::new().has_headers(false).terminator(csv::Terminator::CRLF).from_writer(&mut out);
    let fail = |e: csv::Error| AppError::Internal(format!("writing the send log: {e}"));
    if header {
        w.write_record(COLUMNS).map_err(fail)?;
    }
    for r in rows {
        w.serialize(r).map_err(fail)?;
    }
    w.flush().map_err(|e| AppError::Internal(format!("writing the send log: {e}")))?;
    drop(w);
    Ok(out)
}

/// The time of a log line: UTC, RFC 3339.
fn now() -> String {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Text;
    use crate::resolve::Recipients;

    fn entry() -> Entry {
        Entry {
            department: "health".into(),
            department_name: Text { zh: "卫生健康委员会".into(), en: "Health Commission".into() },
            city: None,
            recipients: Recipients { to: vec!["h@x.example".into()], cc: vec![] },
            file: "yearbook-2025-health.xlsx".into(),
            sha256: "cd".repeat(32),
            sectors: vec!["health".into()],
            sheets: vec!["03 卫生健康".into()],
        }
    }

    #[test]
    fn a_recorded_delivery_is_known_to_the_next_run_and_only_for_that_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SendLog::open(dir.path()).unwrap();
        assert_eq!(log.known("h@x.example", &entry().sha256), Known::NotSent);
        log.record(Event::Sending, &entry(), "h@x.example", "<id@x.example>", "").unwrap();
        log.record(Event::Delivered, &entry(), "h@x.example", "<id@x.example>", "250 OK, queued as \"7\"").unwrap();
        let again = SendLog::open(dir.path()).unwrap();
        assert_eq!(again.known("H@X.example", &entry().sha256), Known::Delivered, "addresses compare without case");
        assert_eq!(again.known("h@x.example", &"ef".repeat(32)), Known::NotSent, "a changed workbook is new");
        assert_eq!(again.known("other@x.example", &entry().sha256), Known::NotSent);
        let text = std::fs::read_to_string(dir.path().join(SEND_LOG)).unwrap();
        assert_eq!(text.lines().count(), 3, "a header, then two lines:\n{text}");
    }

    #[test]
    fn an_intent_without_an_outcome_may_have_been_delivered_and_a_refusal_did_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SendLog::open(dir.path()).unwrap();
        log.record(Event::Sending, &entry(), "h@x.example", "<id>", "").unwrap();
        log.record(Event::Sending, &entry(), "r@x.example", "<id>", "").unwrap();
        log.record(Event::Refused, &entry(), "r@x.example", "<id>", "550 no such user").unwrap();
        let again = SendLog::open(dir.path()).unwrap();
        assert_eq!(again.known("h@x.example", &entry().sha256), Known::MayHaveBeenDelivered);
        assert_eq!(again.known("r@x.example", &entry().sha256), Known::NotSent);
    }

    #[test]
    fn a_log_of_the_earlier_format_is_read_and_rewritten_before_new_lines() {
        let dir = tempfile::tempdir().unwrap();
        let sha = entry().sha256;
        std::fs::write(
            dir.path().join(SEND_LOG),
            format!("time,department,city,recipient,file,sha256,reply\r\n2026-03-31T08:00:00Z,health,,h@x.example,f,{sha},250 OK\r\n"),
        )
        .unwrap();
        let mut log = SendLog::open(dir.path()).unwrap();
        assert_eq!(log.known("h@x.example", &sha), Known::Delivered);
        log.record(Event::Sending, &entry(), "o@x.example", "<id>", "").unwrap();
        let text = std::fs::read_to_string(dir.path().join(SEND_LOG)).unwrap();
        assert!(text.starts_with(&COLUMNS.join(",")), "{text}");
        assert_eq!(text.lines().count(), 3, "{text}");
        assert_eq!(SendLog::open(dir.path()).unwrap().known("h@x.example", &sha), Known::Delivered);
    }

    #[test]
    fn a_damaged_line_is_named_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SendLog::open(dir.path()).unwrap();
        log.record(Event::Sending, &entry(), "h@x.example", "<id>", "").unwrap();
        log.record(Event::Delivered, &entry(), "h@x.example", "<id>", "250 OK").unwrap();
        let path = dir.path().join(SEND_LOG);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() - 60]).unwrap();
        let e = SendLog::open(dir.path()).err().unwrap().to_string();
        assert!(e.contains("line 3"), "{e}");
    }
}
