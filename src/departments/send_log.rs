//! The send log: `sent-log.csv` in the export folder, one line per delivery the server accepted
//! (time, department, city, recipient, file, sha256, server reply). A line is appended and
//! flushed to disk as soon as the server accepts, so a run that dies halfway still knows what
//! it delivered. A (recipient, file hash) pair in the log is not sent again unless asked to.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::departments::export::{Entry, csv_record, parse_csv};
use crate::error::AppError;

/// The log's file name in the export folder.
pub const SEND_LOG: &str = "sent-log.csv";

const COLUMNS: [&str; 7] = ["time", "department", "city", "recipient", "file", "sha256", "reply"];

/// What was delivered, and the open file new deliveries are appended to.
pub struct SendLog {
    path: PathBuf,
    delivered: HashSet<(String, String)>,
    file: Option<File>,
}

impl SendLog {
    /// Reads the log of the export folder `dir`, if there is one.
    pub fn open(dir: &Path) -> Result<SendLog, AppError> {
        let path = dir.join(SEND_LOG);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(AppError::Io { action: "read the send log", path, source }),
        };
        let records = parse_csv(&text).map_err(|line| {
            AppError::Usage(format!(
                "`{}` line {line}: a quoted field is not closed; repair the line (or move the log away to send \
                 everything again)",
                path.display()
            ))
        })?;
        let delivered = records
            .iter()
            .skip_while(|(_, r)| r.first().is_some_and(|f| f == COLUMNS[0]))
            .filter(|(_, r)| r.len() == COLUMNS.len())
            .map(|(_, r)| (r[3].to_lowercase(), r[5].clone()))
            .collect();
        Ok(SendLog { path, delivered, file: None })
    }

    /// Whether `recipient` already received the file with this hash.
    pub fn delivered(&self, recipient: &str, sha256: &str) -> bool {
        self.delivered.contains(&(recipient.to_lowercase(), sha256.to_string()))
    }

    /// Records a delivery the server accepted, on disk before this returns.
    pub fn record(&mut self, time: &str, entry: &Entry, recipient: &str, reply: &str) -> Result<(), AppError> {
        let city = entry.city.as_ref().map_or("", |(id, _)| id.as_str());
        let line = csv_record(&[time, &entry.department, city, recipient, &entry.file, &entry.sha256, reply]);
        let path = &self.path;
        let io = |action, source| AppError::Io { action, path: path.clone(), source };
        if self.file.is_none() {
            let mut file =
                OpenOptions::new().create(true).append(true).open(path).map_err(|e| io("open the send log", e))?;
            let empty = file.metadata().map_err(|e| io("read the send log", e))?.len() == 0;
            if empty {
                file.write_all(csv_record(&COLUMNS).as_bytes()).map_err(|e| io("write the send log", e))?;
            }
            self.file = Some(file);
        }
        let file = self.file.as_mut().ok_or_else(|| AppError::Internal("the send log is not open".into()))?;
        file.write_all(line.as_bytes()).and_then(|()| file.sync_data()).map_err(|e| io("write the send log", e))?;
        self.delivered.insert((recipient.to_lowercase(), entry.sha256.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::departments::export::Recipients;
    use crate::model::Text;

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
        assert!(!log.delivered("h@x.example", &entry().sha256));
        log.record("2026-03-31T08:00:00Z", &entry(), "h@x.example", "250 OK, queued as \"7\"").unwrap();
        let again = SendLog::open(dir.path()).unwrap();
        assert!(again.delivered("H@X.example", &entry().sha256), "addresses compare without case");
        assert!(!again.delivered("h@x.example", &"ef".repeat(32)), "a changed workbook is new");
        assert!(!again.delivered("other@x.example", &entry().sha256));
        let text = std::fs::read_to_string(dir.path().join(SEND_LOG)).unwrap();
        assert_eq!(text.lines().count(), 2, "a header, then one line:\n{text}");
    }
}
