//! Writing results: every file goes to a temporary file in the target folder and is renamed into
//! place, so a failed run never leaves a half-written file over a good one.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::AppError;

/// Writes `bytes` to `path` atomically (same-folder temp file, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| AppError::Io {
        action: "create the output folder",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|source| AppError::Io {
        action: "create a temporary file in",
        path: dir.to_path_buf(),
        source,
    })?;
    tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all()).map_err(|source| AppError::Io {
        action: "write",
        path: tmp.path().to_path_buf(),
        source,
    })?;
    tmp.persist(path).map_err(|e| AppError::Io {
        action: "move the finished file to",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// A file that the build produced, for the summary and the manifest.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: usize,
    pub sha256: String,
}

/// Writes all files only after every one of them was produced, so outputs stay consistent.
pub fn write_all(files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<Written>, AppError> {
    let mut out = Vec::new();
    for (path, bytes) in files {
        write_atomic(path, bytes)?;
        out.push(Written { path: path.clone(), bytes: bytes.len(), sha256: sha256_hex(bytes) });
    }
    Ok(out)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
