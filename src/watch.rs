//! Waiting for an edit: the folders a build reads are watched, and a change to a file a build
//! reads ends the wait once the events stop coming for a moment.
//!
//! Why not typst-kit's watcher, which `yearbook watch` used first: it waits 100 ms after the
//! last event before it returns, a fixed window. A one-value edit of the 4-city edition rebuilds
//! in about 0.09 s, so the new PDF came 0.18 s after the save, over the 0.15 s we aim for. The
//! window only has to cover the events of one save (an editor that writes a temporary file and
//! renames it over the old one makes them within a millisecond or two); [`QUIET`] does that.
//!
//! Folders are watched, not files: an editor that saves by renaming replaces the file, and a
//! watch on the old file would end with it (typst-kit re-watches such files by hand); a new city
//! file shows up in its folder's events too.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use notify::event::ModifyKind;
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

/// How long the events must pause before a batch of them counts as one edit.
pub(crate) const QUIET: Duration = Duration::from_millis(20);

/// A batch never waits longer than this for the events to pause (a program writing files
/// without end still gets rebuilds).
const AT_MOST: Duration = Duration::from_millis(500);

/// What a build reads: whole folders (any file in them) and single files (in a folder that also
/// holds files the build does not read, such as the project's own folder with `dist/`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reads {
    pub folders: Vec<PathBuf>,
    pub files: Vec<PathBuf>,
}

impl Reads {
    fn concerns(&self, path: &Path) -> bool {
        self.files.iter().any(|f| f == path)
            || self.folders.iter().any(|folder| path == folder || path.parent() == Some(folder.as_path()))
    }

    /// The folders to watch: the folders read, and the folders of the files read.
    fn watched(&self) -> HashSet<PathBuf> {
        self.folders
            .iter()
            .cloned()
            .chain(self.files.iter().filter_map(|f| f.parent().map(Path::to_path_buf)))
            .collect()
    }
}

pub(crate) struct Changes {
    watcher: RecommendedWatcher,
    events: Receiver<notify::Result<Event>>,
    watched: HashSet<PathBuf>,
    reads: Reads,
}

impl Changes {
    pub(crate) fn new() -> Result<Changes, String> {
        let (send, events) = channel();
        let watcher = notify::recommended_watcher(send).map_err(|e| e.to_string())?;
        Ok(Changes { watcher, events, watched: HashSet::new(), reads: Reads::default() })
    }

    /// Watches what the next build reads (and stops watching what it no longer does). Called
    /// before the build: an edit saved while it runs is then waiting when it ends.
    pub(crate) fn update(&mut self, reads: Reads) -> Result<(), String> {
        let wanted = reads.watched();
        for gone in self.watched.difference(&wanted) {
            // Already gone if the folder was deleted; nothing else to do about it.
            let _ = self.watcher.unwatch(gone);
        }
        let mut watched = HashSet::new();
        for folder in wanted {
            // A folder that does not exist yet (last year's, say) is not watched; its parent's
            // events say when it appears, if its parent is read.
            if !folder.is_dir() {
                continue;
            }
            if !self.watched.contains(&folder) {
                self.watcher
                    .watch(&folder, RecursiveMode::NonRecursive)
                    .map_err(|e| format!("cannot watch {}: {e}", folder.display()))?;
            }
            watched.insert(folder);
        }
        self.watched = watched;
        self.reads = reads;
        Ok(())
    }

    /// Waits for an edit to something a build reads, then for its events to pause.
    pub(crate) fn wait(&mut self) -> Result<(), String> {
        loop {
            let first = self.events.recv().map_err(|e| e.to_string())?;
            let mut relevant = self.relevant(first)?;
            let start = Instant::now();
            while start.elapsed() < AT_MOST {
                match self.events.recv_timeout(QUIET) {
                    Ok(event) => relevant |= self.relevant(event)?,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(e @ RecvTimeoutError::Disconnected) => return Err(e.to_string()),
                }
            }
            if relevant {
                return Ok(());
            }
        }
    }

    fn relevant(&mut self, event: notify::Result<Event>) -> Result<bool, String> {
        let event = event.map_err(|e| format!("watching failed: {e}"))?;
        // Reads (ours among them) change nothing.
        if matches!(event.kind, EventKind::Access(_)) {
            return Ok(false);
        }
        // A watched folder removed or renamed away takes its watch with it: forget it, so that
        // the next `update` watches the folder found at that path again.
        if matches!(event.kind, EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))) {
            for path in &event.paths {
                if self.watched.remove(path) {
                    let _ = self.watcher.unwatch(path);
                }
            }
        }
        Ok(event.paths.iter().any(|p| self.reads.concerns(p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_reads_the_files_of_its_folders_and_its_own_files_only() {
        let reads = Reads {
            folders: vec![PathBuf::from("/p/data/2025"), PathBuf::from("/p/templates")],
            files: vec![PathBuf::from("/p/yearbook.toml")],
        };
        assert!(reads.concerns(Path::new("/p/data/2025/wuwei.toml")));
        assert!(reads.concerns(Path::new("/p/data/2025")));
        assert!(reads.concerns(Path::new("/p/templates/main.typ.j2")));
        assert!(reads.concerns(Path::new("/p/yearbook.toml")));
        assert!(!reads.concerns(Path::new("/p/dist")));
        assert!(!reads.concerns(Path::new("/p/dist/2025/yearbook-2025.pdf")));
        assert!(!reads.concerns(Path::new("/p/data/2025/old/wuwei.toml")));
        assert_eq!(
            reads.watched(),
            HashSet::from([PathBuf::from("/p/data/2025"), PathBuf::from("/p/templates"), PathBuf::from("/p")])
        );
    }
}
