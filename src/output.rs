//! Writing results. An edition (the PDF, the workbook, the kept Typst source, in `<out>/<year>/`)
//! lands as a unit: readers and later runs see either the previous edition or the new one, never
//! a mix, whatever happens to the run (kill -9, Ctrl-C, SIGTERM, a full disk, a crash).
//!
//! How, and why this way:
//! - **Stage beside, then swap.** The run builds the complete new edition folder as a hidden
//!   sibling, `<out>/.yearbook-staging-<year>-<pid>-<n>/`: the files of the previous edition that
//!   this run does not replace are hard-linked into it (so a `--lang en` build keeps the bilingual
//!   PDF, and no bytes are copied), the new files are written and flushed, and the folder itself is
//!   flushed. Only then is it swapped with the edition folder by one `renameat2(RENAME_EXCHANGE)`,
//!   which the kernel performs atomically; the parent is flushed so the swap survives a power
//!   cut; the old edition, now under the staging name, is removed. Renaming files one by one
//!   cannot give this: a kill between two renames leaves a new PDF beside an old workbook.
//!   Staging in the same parent (not in `/tmp`) keeps both folders on one filesystem, which a
//!   rename needs.
//! - **Without RENAME_EXCHANGE** (a filesystem or kernel that answers EINVAL/ENOTSUP/ENOSYS, or
//!   a system other than Linux) the edition folder is first renamed to
//!   `<out>/.yearbook-previous-<year>-<pid>-<n>/` and the staging folder renamed into its place.
//!   The edition is still never mixed, but a kill between those two renames leaves no folder
//!   at the edition's name for a moment: the previous edition then sits complete under the
//!   `previous` name, and the next run puts it back before doing anything else.
//! - **A lock** ([`OutputLock`], the file `<out>/.yearbook.lock`, an advisory `flock`) keeps two
//!   runs on one output folder from interleaving: the later one waits. The kernel releases a
//!   flock when its holder dies, so a killed run never leaves the lock stuck. The holder writes
//!   its pid into the file so that a waiting run can say whom it waits for.
//! - **Leftovers** of killed runs (staging folders, the old edition under a `previous` name,
//!   temporary files of older versions of this tool) are cleared by the next run, under the lock,
//!   so they can never belong to a live run.
//! - **Permissions** are those of any other tool: files `0666 & !umask`, folders `0777 & !umask`,
//!   also when an existing file (of any mode) is replaced, since every output is a new file.
//!
//! - **On Windows** each promise holds by other means. The swap is the fallback above: Windows
//!   cannot exchange two folders in one step (`ReplaceFileW` and `MOVEFILE_REPLACE_EXISTING`
//!   replace files, not folders), so for the moment between the two renames there is no folder
//!   at the edition's name, the previous one sits complete under the `previous` name, and the
//!   next run puts it back (the leftovers rule); a reader meanwhile finds no edition, never a
//!   mixed one. Renames are `MoveFileExW` with `MOVEFILE_WRITE_THROUGH`, which returns once the
//!   move is on disk (the folder flushes of Unix have no Windows counterpart; NTFS journals
//!   folder entries). A rename Windows refuses because a program has a file of the edition open
//!   (a PDF viewer, Excel) fails before anything changed, and the error says so. The lock is
//!   `LockFileEx` on one byte far past the end of the lock file, so the pid stays readable (a
//!   Windows lock is mandatory; std's `File::lock` covers the whole file), and Windows releases
//!   it when its holder dies. Files have no mode bits there: every output is a new file, so it
//!   takes the access rules the folder gives new files, like any other tool's.
//!
//! Errors name the final path (never a staging or temporary name) and say that nothing was
//! changed. Nothing here prints; waiting is reported to the caller through a callback.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use crate::error::AppError;

/// The lock file's name inside the output folder.
pub const LOCK_FILE: &str = ".yearbook.lock";
const STAGING: &str = ".yearbook-staging-";
/// The prefix of staging folders: what a killed run leaves, and the next run under the lock
/// removes.
pub const STAGING_PREFIX: &str = STAGING;
const PREVIOUS: &str = ".yearbook-previous-";

/// Creates `path` with `bytes`, whole or not at all (a temporary file beside it, flushed, then
/// moved into place), and never over an existing file: if `path` exists, or appeared since the
/// caller looked, the error has the kind `AlreadyExists` and `path` is untouched. The file gets
/// `0666 & !umask` like any new file.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let tmp = write_temp_beside(path, bytes)?;
    tmp.persist_noclobber(path).map_err(|e| AppError::Io {
        action: "create",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

fn write_temp_beside(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile, AppError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| AppError::Io {
        action: "create the folder",
        path: dir.to_path_buf(),
        source,
    })?;
    // Windows has no modes to ask for: the new file takes its folder's access rules.
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut builder = tempfile::Builder::new();
    // tempfile's default is 0600; asking for 0666 lets the umask decide, as for any new file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir).map_err(|source| AppError::Io {
        action: "create a file in",
        path: dir.to_path_buf(),
        // tempfile's error adds its random name (`at path …/.tmpBp7Usj`): the folder is what the
        // user can act on, and it is named already.
        source: os_error_beneath(source),
    })?;
    tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all()).map_err(|source| AppError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(tmp)
}

/// The system's error without the random name tempfile adds to it (`… at path "…/.tmpBp7Usj"`):
/// tempfile keeps the system's error in a private wrapper and says it first, so its text is
/// the reason up to that suffix.
fn os_error_beneath(e: io::Error) -> io::Error {
    let text = e.to_string();
    match text.rsplit_once(" at path ") {
        Some((reason, _)) if e.get_ref().is_some() => io::Error::new(e.kind(), reason.to_string()),
        _ => e,
    }
}

/// A file that the build produced, for the summary and the manifest.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: usize,
    pub sha256: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The run that holds the lock, as far as it could be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The holder's process id; `None` if it had not written it yet.
    pub pid: Option<u32>,
}

/// Exclusive right to land editions in one output folder, held until dropped.
#[derive(Debug)]
pub struct OutputLock {
    file: File,
    parent: PathBuf,
}

impl OutputLock {
    /// Takes the lock of the output folder `parent` (created if missing). If another run holds it,
    /// `on_wait` is called once with what is known about that run, then this blocks until the
    /// lock is free.
    pub fn acquire(parent: &Path, on_wait: impl FnOnce(&Holder)) -> Result<OutputLock, AppError> {
        std::fs::create_dir_all(parent).map_err(|source| AppError::Io {
            action: "create the output folder",
            path: parent.to_path_buf(),
            source,
        })?;
        let path = parent.join(LOCK_FILE);
        let io_err = |action, source| AppError::Io { action, path: path.clone(), source };
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
        let mut file = options.open(&path).map_err(|e| io_err("open the lock file", e))?;

        if !try_lock(&file).map_err(|e| io_err("lock", e))? {
            // The holder writes its pid just after locking; give it a moment so the waiting
            // message can name it.
            let mut holder = read_holder(&mut file);
            for _ in 0..10 {
                if holder.pid.is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
                if try_lock(&file).map_err(|e| io_err("lock", e))? {
                    return OutputLock::finish(file, parent, &path);
                }
                holder = read_holder(&mut file);
            }
            on_wait(&holder);
            lock(&file).map_err(|e| io_err("lock", e))?;
        }
        OutputLock::finish(file, parent, &path)
    }

    fn finish(mut file: File, parent: &Path, path: &Path) -> Result<OutputLock, AppError> {
        let pid = format!("{}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(pid.as_bytes()))
            .map_err(|source| AppError::Io { action: "write the lock file", path: path.to_path_buf(), source })?;
        Ok(OutputLock { file, parent: parent.to_path_buf() })
    }

    /// The output folder this lock guards.
    pub fn parent(&self) -> &Path {
        &self.parent
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // A stale pid would be harmless (it is only read while the lock is taken), but an empty
        // file is clearer to whoever looks at it. Closing the file releases the lock.
        let _ = self.file.set_len(0);
    }
}

#[cfg(not(windows))]
fn try_lock(file: &File) -> io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(not(windows))]
fn lock(file: &File) -> io::Result<()> {
    file.lock()
}

#[cfg(windows)]
fn try_lock(file: &File) -> io::Result<bool> {
    windows_lock(file, true)
}

#[cfg(windows)]
fn lock(file: &File) -> io::Result<()> {
    windows_lock(file, false).map(drop)
}

/// Locks one byte far past the end of the lock file. Windows locks are mandatory: std's
/// `File::lock` covers the whole file, and a waiting run could then not read the holder's pid.
/// The byte's offset is below 2^63, which every Windows file system accepts.
#[cfg(windows)]
fn windows_lock(file: &File, fail_at_once: bool) -> io::Result<bool> {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Foundation::{ERROR_LOCK_VIOLATION, HANDLE};
    use windows_sys::Win32::Storage::FileSystem::{LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, LockFileEx};
    use windows_sys::Win32::System::IO::OVERLAPPED;
    let mut at = OVERLAPPED::default();
    at.Anonymous.Anonymous.OffsetHigh = 0x7fff_ffff;
    at.Anonymous.Anonymous.Offset = 0xffff_fffe;
    let flags = LOCKFILE_EXCLUSIVE_LOCK | if fail_at_once { LOCKFILE_FAIL_IMMEDIATELY } else { 0 };
    // SAFETY: the handle is the open lock file's, valid while `file` lives; the file is opened
    // for synchronous I/O, so LockFileEx returns only once the lock is taken or refused.
    let ok = unsafe { LockFileEx(file.as_raw_handle() as HANDLE, flags, 0, 1, 0, &mut at) };
    if ok != 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if fail_at_once && e.raw_os_error() == Some(ERROR_LOCK_VIOLATION as i32) { Ok(false) } else { Err(e) }
}

fn read_holder(file: &mut File) -> Holder {
    let mut text = String::new();
    let read = file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_string(&mut text));
    Holder { pid: read.ok().and_then(|_| text.trim().parse().ok()) }
}

/// Replaces the edition folder `<lock.parent()>/<folder>` in one step by a folder that holds
/// `files` (names relative to the folder, `/` between subfolders, and contents) plus every entry
/// of the previous edition that `files` does not name (a subfolder that `files` writes into is
/// replaced whole). On error the previous edition is as it was and no staging folder remains.
pub fn land_edition(lock: &OutputLock, folder: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<Written>, AppError> {
    land_with(lock, folder, files, &|_| false, &Seam::NONE)
}

/// [`land_edition`], except that the previous folder's top-level entries for which `superseded`
/// holds are not carried over either: files of the kind this run makes, which it did not make
/// again this time (a department that lost its sectors has no workbook any more, and its old
/// one must not stay beside the new manifest).
pub fn land_replacing(
    lock: &OutputLock,
    folder: &str,
    files: &[(String, Vec<u8>)],
    superseded: &dyn Fn(&str) -> bool,
) -> Result<Vec<Written>, AppError> {
    land_with(lock, folder, files, superseded, &Seam::NONE)
}

/// Moves `a` to `b` and `b` to `a` in one step (`renameat2(RENAME_EXCHANGE)`), as editions are
/// swapped; `Ok(false)` where the filesystem or system cannot, and nothing was moved. For a wing
/// that lands a folder its own way (the archive keeps the bag it replaces instead of removing it).
pub fn exchange_folders(a: &Path, b: &Path) -> io::Result<bool> {
    match exchange(a, b) {
        Ok(()) => Ok(true),
        Err(e) if exchange_unsupported(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Creates `path` (never over an existing file) with `bytes`, flushed to disk, mode
/// `0666 & !umask`: a file of a staging folder.
pub fn create_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_new_file(path, bytes)
}

/// Makes the entries of a folder (new names, renames) durable.
pub fn sync_folder(dir: &Path) -> io::Result<()> {
    sync_dir(dir)
}

/// The steps at which a test can make landing fail (a full disk, a refused rename), and whether
/// RENAME_EXCHANGE is used; production code passes [`Seam::NONE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    CarryOver,
    WriteFile,
    SyncFolder,
    Swap,
    SecondRename,
}

/// Where a test makes a landing fail: at one of the writer's steps `S` (the edition's here, the
/// bag's in `archive::bag`), and whether the folders are exchanged in one rename.
pub(crate) struct Seam<S> {
    pub(crate) fail_at: Option<S>,
    pub(crate) exchange: bool,
}

impl<S: PartialEq> Seam<S> {
    pub(crate) const NONE: Seam<S> = Seam { fail_at: None, exchange: true };

    /// Fails as a full disk would at the chosen step.
    pub(crate) fn check(&self, step: S) -> io::Result<()> {
        if self.fail_at.as_ref() == Some(&step) { Err(io::Error::from(io::ErrorKind::StorageFull)) } else { Ok(()) }
    }
}

static STAGED: AtomicU64 = AtomicU64::new(0);

/// `<pid>-<n>`: a name no other landing, in this process or another, uses at the same time.
pub(crate) fn unique_suffix() -> String {
    format!("{}-{}", std::process::id(), STAGED.fetch_add(1, Ordering::Relaxed))
}

fn land_with(
    lock: &OutputLock,
    folder: &str,
    files: &[(String, Vec<u8>)],
    superseded: &dyn Fn(&str) -> bool,
    seam: &Seam<Step>,
) -> Result<Vec<Written>, AppError> {
    let shown = lock.parent.join(folder);
    let plain = |name: &str| !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\']);
    // Files may sit in subfolders of the edition (`source/data/x.toml`), never outside it.
    let relative = |name: &str| name.split('/').all(plain);
    if let Some(bad) = std::iter::once(folder)
        .filter(|f| !plain(f))
        .chain(files.iter().map(|(n, _)| n.as_str()).filter(|n| !relative(n)))
        .next()
    {
        return Err(AppError::Usage(format!("`{bad}` is not a plain file or folder name; nothing was written")));
    }

    // A symlinked edition folder stays a symlink: the edition lands beside its target.
    let (parent, name) = match std::fs::symlink_metadata(&shown) {
        Ok(m) if m.file_type().is_symlink() => {
            let real = std::fs::canonicalize(&shown).map_err(|source| AppError::Io {
                action: "follow the symbolic link",
                path: shown.clone(),
                source,
            })?;
            match (real.parent(), real.file_name().and_then(|n| n.to_str())) {
                (Some(p), Some(n)) => (p.to_path_buf(), n.to_string()),
                _ => {
                    return Err(AppError::Usage(format!(
                        "`{}` points to `{}`, which cannot hold an edition",
                        shown.display(),
                        real.display()
                    )));
                }
            }
        }
        _ => (lock.parent.clone(), folder.to_string()),
    };
    // First, because a kill during a fallback swap may have left the edition set aside.
    clear_leftovers(&parent)?;
    let edition = parent.join(&name);
    let exists = match std::fs::metadata(&edition) {
        // An owner who took the write permission away has published the edition: replacing it
        // anyway (a rename needs only the parent's permission) would undo that protection, and
        // the old copy could then not be removed.
        Ok(m) if m.is_dir() && m.permissions().readonly() => {
            return Err(AppError::Usage(format!(
                "`{}` is read-only: its owner protected this edition, and it was left as it was; make it writable \
                 (`chmod -R u+w`) to replace it, or write the new edition elsewhere with `--out DIR`",
                shown.display()
            )));
        }
        Ok(m) if m.is_dir() => true,
        Ok(_) => {
            return Err(AppError::Usage(format!(
                "`{}` is a file, not a folder; move it away so that the edition can be written there",
                shown.display()
            )));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(source) => return Err(AppError::Io { action: "read", path: shown, source }),
    };

    let unchanged = |action: &'static str, path: PathBuf, source: io::Error| AppError::Io {
        action,
        path,
        source: io::Error::new(source.kind(), Unchanged { source, edition: shown.clone(), existed: exists }),
    };

    let staging = parent.join(format!("{STAGING}{name}-{}", unique_suffix()));
    std::fs::DirBuilder::new().create(&staging).map_err(|e| unchanged("create a folder beside", shown.clone(), e))?;
    let staged = (|| {
        if exists {
            carry_over(&edition, &staging, files, superseded, seam).map_err(|(path, e)| {
                let entry = path.strip_prefix(&edition).map_or_else(|_| shown.clone(), |rel| shown.join(rel));
                unchanged("keep the previous edition's file", entry, e)
            })?;
        }
        let mut folders = std::collections::BTreeSet::new();
        for (file_name, _) in files {
            if let Some(dir) = staging.join(file_name).parent().filter(|d| *d != staging) {
                std::fs::create_dir_all(dir).map_err(|e| unchanged("write", shown.join(file_name), e))?;
                folders.extend(dir.ancestors().take_while(|d| *d != staging).map(Path::to_path_buf));
            }
        }
        write_files(&staging, files, seam).map_err(|(file_name, e)| unchanged("write", shown.join(file_name), e))?;
        // Deepest first, so each folder's own entry is flushed after its contents.
        for dir in folders.iter().rev() {
            sync_dir(dir).map_err(|e| unchanged("write", shown.clone(), e))?;
        }
        seam.check(Step::SyncFolder).and_then(|()| sync_dir(&staging)).map_err(|e| unchanged("write", shown.clone(), e))
    })();
    if let Err(e) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }

    let old = if exists {
        swap(&staging, &edition, &parent, &name, seam).map_err(|(e, kept)| {
            let _ = std::fs::remove_dir_all(&staging);
            match kept {
                None => unchanged("replace the edition folder", shown.clone(), e),
                Some(previous) => AppError::Io {
                    action: "replace the edition folder",
                    path: shown.clone(),
                    source: io::Error::new(
                        e.kind(),
                        format!(
                            "{e}; the previous edition is complete in `{}`, and the next run puts it back",
                            previous.display()
                        ),
                    ),
                },
            }
        })?
    } else {
        let moved = seam.check(Step::Swap).and_then(|()| rename(&staging, &edition));
        if let Err(e) = moved {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(unchanged("create the edition folder", shown.clone(), e));
        }
        None
    };
    sync_dir(&parent).map_err(|source| AppError::Io {
        action: "flush to disk the new edition in",
        path: shown.clone(),
        source,
    })?;
    // If the old edition cannot be removed, the new one is complete anyway, and the next run
    // removes the old one under the lock.
    if let Some(old) = old {
        let _ = std::fs::remove_dir_all(old);
    }

    Ok(files
        .iter()
        .map(|(file_name, bytes)| Written {
            path: shown.join(file_name),
            bytes: bytes.len(),
            sha256: sha256_hex(bytes),
        })
        .collect())
}

/// An I/O error during landing, with the reassurance that the edition was not touched.
#[derive(Debug)]
struct Unchanged {
    source: io::Error,
    edition: PathBuf,
    existed: bool,
}

impl std::fmt::Display for Unchanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.existed {
            write!(f, "{}; nothing was changed, the edition in `{}` is as it was", self.source, self.edition.display())
        } else {
            write!(f, "{}; nothing was written, `{}` was not created", self.source, self.edition.display())
        }
    }
}

impl std::error::Error for Unchanged {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Swaps the full staging folder with the edition folder and returns where the old edition now
/// is. On error, says where the previous edition is if it is no longer at its own name.
fn swap(
    staging: &Path,
    edition: &Path,
    parent: &Path,
    name: &str,
    seam: &Seam<Step>,
) -> Result<Option<PathBuf>, (io::Error, Option<PathBuf>)> {
    seam.check(Step::Swap).map_err(|e| (e, None))?;
    if seam.exchange {
        match exchange(staging, edition) {
            Ok(()) => return Ok(Some(staging.to_path_buf())),
            Err(e) if !exchange_unsupported(&e) => return Err((e, None)),
            Err(_) => {}
        }
    }
    let previous = parent.join(format!("{PREVIOUS}{name}-{}", unique_suffix()));
    rename(edition, &previous).map_err(|e| (in_use(e), None))?;
    match seam.check(Step::SecondRename).and_then(|()| rename(staging, edition)) {
        Ok(()) => Ok(Some(previous)),
        Err(e) => match rename(&previous, edition) {
            Ok(()) => Err((e, None)),
            Err(_) => Err((e, Some(previous))),
        },
    }
}

/// Windows refuses to rename a folder while a program has one of its files open (access denied,
/// or a sharing violation): the error then says what to do.
fn in_use(e: io::Error) -> io::Error {
    if cfg!(windows) && matches!(e.raw_os_error(), Some(5 | 32)) {
        let hint =
            "a program may have a file of the edition open (a PDF viewer, a spreadsheet): close it and run again";
        io::Error::new(e.kind(), format!("{e}; {hint}"))
    } else {
        e
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

fn exchange_unsupported(e: &io::Error) -> bool {
    #[cfg(target_os = "linux")]
    {
        use rustix::io::Errno;
        let unsupported = [Errno::INVAL, Errno::NOSYS, Errno::OPNOTSUPP].map(|e| e.raw_os_error());
        if e.raw_os_error().is_some_and(|raw| unsupported.contains(&raw)) {
            return true;
        }
    }
    e.kind() == io::ErrorKind::Unsupported
}

/// Links every entry of the previous edition that this run does not replace into the staging
/// folder. Temporary files that older versions of this tool left behind are not carried over.
fn carry_over(
    edition: &Path,
    staging: &Path,
    files: &[(String, Vec<u8>)],
    superseded: &dyn Fn(&str) -> bool,
    seam: &Seam<Step>,
) -> Result<(), (PathBuf, io::Error)> {
    let entries = std::fs::read_dir(edition).map_err(|e| (edition.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| (edition.to_path_buf(), e))?;
        let name = entry.file_name();
        // A subfolder that the new files write into is replaced as a whole.
        let replaced = name.to_str().is_some_and(|n| {
            files.iter().any(|(f, _)| f.split('/').next() == Some(n)) || is_old_temp_file(n) || superseded(n)
        });
        if !replaced {
            seam.check(Step::CarryOver).map_err(|e| (entry.path(), e))?;
            link_tree(&entry.path(), &staging.join(&name))?;
        }
    }
    Ok(())
}

/// `.tmp` and six letters or digits: the name tempfile gave temporary outputs before editions
/// were staged, and which a killed run could leave in the edition folder.
fn is_old_temp_file(name: &str) -> bool {
    name.strip_prefix(".tmp").is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Hard-links a file (copies it where the filesystem refuses the link), recreates a symlink, or
/// does both for a folder's contents, recursively.
fn link_tree(from: &Path, to: &Path) -> Result<(), (PathBuf, io::Error)> {
    let fail = |e| (from.to_path_buf(), e);
    let meta = std::fs::symlink_metadata(from).map_err(fail)?;
    let kind = meta.file_type();
    if kind.is_symlink() {
        #[cfg(unix)]
        return std::os::unix::fs::symlink(std::fs::read_link(from).map_err(fail)?, to).map_err(fail);
        // Windows: a link again where the user may make links (developer mode, or the right to
        // create them), else a copy of what it points to (a folder's link cannot be copied).
        #[cfg(windows)]
        {
            let target = std::fs::read_link(from).map_err(fail)?;
            let made = if std::fs::metadata(from).is_ok_and(|m| m.is_dir()) {
                std::os::windows::fs::symlink_dir(&target, to)
            } else {
                std::os::windows::fs::symlink_file(&target, to)
            };
            return made.or_else(|_| std::fs::copy(from, to).map(drop)).map_err(fail);
        }
        #[cfg(not(any(unix, windows)))]
        return std::fs::copy(from, to).map(drop).map_err(fail);
    }
    if kind.is_dir() {
        std::fs::create_dir(to).and_then(|()| std::fs::set_permissions(to, meta.permissions())).map_err(fail)?;
        for entry in std::fs::read_dir(from).map_err(fail)? {
            let entry = entry.map_err(fail)?;
            link_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        return Ok(());
    }
    if kind.is_file() {
        return std::fs::hard_link(from, to).or_else(|_| std::fs::copy(from, to).map(drop)).map_err(fail);
    }
    Err(fail(io::Error::other("it is neither a file, a folder nor a symbolic link; move it out of the edition folder")))
}

/// Removes what killed runs left in `parent` (staging folders, and old editions set aside by the
/// fallback swap, which go back to their place if nothing has taken it). Only called under the
/// lock, so none of it belongs to a live run.
fn clear_leftovers(parent: &Path) -> Result<(), AppError> {
    let entries = std::fs::read_dir(parent).map_err(|source| AppError::Io {
        action: "read",
        path: parent.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
        let outcome = if name.starts_with(STAGING) {
            std::fs::remove_dir_all(&path)
        } else if let Some(rest) = name.strip_prefix(PREVIOUS) {
            let Some(folder) = rest.rsplitn(3, '-').nth(2) else { continue };
            let home = parent.join(folder);
            if std::fs::symlink_metadata(&home).is_ok() {
                std::fs::remove_dir_all(&path)
            } else {
                rename(&path, &home).and_then(|()| sync_dir(parent))
            }
        } else {
            continue;
        };
        outcome.map_err(|source| AppError::Io {
            action: "clear the leftover of an interrupted run; remove by hand",
            path,
            source,
        })?;
    }
    Ok(())
}

/// Writes each file into `dir` (its folders made) and flushes it. An edition of many files (a
/// web edition of 300 cities has some 800) spends most of its landing waiting for the disk,
/// one flush after another; several threads let the disk take the flushes together. The first
/// error in the files' order is returned, with the file's name.
fn write_files<'a>(dir: &Path, files: &'a [(String, Vec<u8>)], seam: &Seam<Step>) -> Result<(), (&'a str, io::Error)> {
    const THREADS: usize = 8;
    let next = AtomicUsize::new(0);
    let failed: std::sync::Mutex<Option<(usize, io::Error)>> = std::sync::Mutex::new(None);
    let write = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some((name, bytes)) = files.get(i) else { break };
        if let Err(e) = seam.check(Step::WriteFile).and_then(|()| write_new_file(&dir.join(name), bytes)) {
            let mut first = failed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if first.as_ref().is_none_or(|(at, _)| i < *at) {
                *first = Some((i, e));
            }
        }
    };
    if files.len() < 2 * THREADS {
        write();
    } else {
        crate::workers::share(THREADS, write);
    }
    match failed.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
        Some((i, e)) => Err((files[i].0.as_str(), e)),
        None => Ok(()),
    }
}

fn write_new_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the entries of a folder (new names, renames) durable.
///
/// On Windows there is nothing to flush here: NTFS journals the entries of a folder, each file's
/// `FlushFileBuffers` (`sync_all`) commits the file with its entry, and every rename is made with
/// `MOVEFILE_WRITE_THROUGH` ([`rename`]), which returns once the move is on disk.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    return File::open(dir)?.sync_all();
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Renames a file or folder to a name that is free (the edition folder, set aside or put back).
#[cfg(not(windows))]
fn rename(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)
}

/// Renames a file or folder to a name that is free, durably: `MoveFileExW` with
/// `MOVEFILE_WRITE_THROUGH` returns only once the move is on disk (std's rename does not ask
/// for it). Without `MOVEFILE_REPLACE_EXISTING`, an existing target is an error, never replaced.
#[cfg(windows)]
fn rename(from: &Path, to: &Path) -> io::Result<()> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Storage::FileSystem::{MOVEFILE_WRITE_THROUGH, MoveFileExW};
    let wide = |p: &Path| p.as_os_str().encode_wide().chain([0]).collect::<Vec<u16>>();
    let (from, to) = (wide(from), wide(to));
    // SAFETY: both names are NUL-terminated UTF-16 buffers that live across the call.
    if unsafe { MoveFileExW(from.as_ptr(), to.as_ptr(), MOVEFILE_WRITE_THROUGH) } != 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn files_in_subfolders_land_and_a_rewritten_subfolder_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let lock = OutputLock::acquire(dir.path(), |_| panic!("nobody else holds the lock")).unwrap();
        let first = [("a.pdf".to_string(), b"a".to_vec()), ("sub/deep/x.toml".to_string(), b"x".to_vec())];
        land_edition(&lock, "2025", &first).unwrap();
        assert_eq!(std::fs::read(dir.path().join("2025/sub/deep/x.toml")).unwrap(), b"x");
        let second = [("sub/y.toml".to_string(), b"y".to_vec())];
        land_edition(&lock, "2025", &second).unwrap();
        assert!(!dir.path().join("2025/sub/deep").exists(), "the subfolder is replaced, not merged");
        assert_eq!(std::fs::read(dir.path().join("2025/sub/y.toml")).unwrap(), b"y");
        assert_eq!(std::fs::read(dir.path().join("2025/a.pdf")).unwrap(), b"a", "other entries are kept");
        for bad in ["../x", "sub/../x", "/abs", "sub//x", ""] {
            assert!(land_edition(&lock, "2025", &[(bad.to_string(), vec![])]).is_err(), "{bad:?} must be refused");
        }
    }

    /// Every entry below `dir`, with the bytes of files and the targets of symlinks.
    fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
                if kind.is_dir() {
                    out.insert(rel, b"<dir>".to_vec());
                    todo.push(path);
                } else if kind.is_symlink() {
                    out.insert(rel, std::fs::read_link(&path).unwrap().into_os_string().into_encoded_bytes());
                } else {
                    out.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
        out
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        v.sort();
        v
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).unwrap().permissions()) & 0o7777
    }

    /// Windows has no modes: a new file takes the folder's inherited access rules, like any
    /// tool's; what shows in the metadata is the read-only attribute.
    #[cfg(windows)]
    fn mode(path: &Path) -> u32 {
        u32::from(std::fs::metadata(path).unwrap().permissions().readonly())
    }

    /// A symbolic link on Unix; on Windows (where making one needs a privilege) a file in its
    /// place, which the landing carries over the same way.
    fn symlink(target: &str, at: &Path) {
        #[cfg(unix)]
        std::os::unix::fs::symlink(target, at).unwrap();
        #[cfg(not(unix))]
        std::fs::write(at, target).unwrap();
    }

    /// The modes any tool gets under the current umask, for a new file and a new folder.
    fn umask_modes(dir: &Path) -> (u32, u32) {
        let (f, d) = (dir.join("reference-file"), dir.join("reference-dir"));
        File::create(&f).unwrap();
        std::fs::create_dir(&d).unwrap();
        let modes = (mode(&f), mode(&d));
        std::fs::remove_file(f).unwrap();
        std::fs::remove_dir(d).unwrap();
        modes
    }

    fn files(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter().map(|(n, b)| (n.to_string(), b.as_bytes().to_vec())).collect()
    }

    /// An output folder with a previous edition `2025/` holding a PDF (mode 0600), an English PDF
    /// this run does not replace, a subfolder, a symlink and a temp file a killed old run left.
    fn previous_edition() -> (tempfile::TempDir, OutputLock) {
        let dir = tempfile::tempdir().unwrap();
        let lock = OutputLock::acquire(dir.path(), |_| panic!("nobody else holds the lock")).unwrap();
        let ed = dir.path().join("2025");
        std::fs::create_dir_all(ed.join("notes")).unwrap();
        std::fs::write(ed.join("yearbook-2025.pdf"), "old pdf").unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(ed.join("yearbook-2025.pdf"), std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        std::fs::write(ed.join("yearbook-2025-en.pdf"), "english pdf").unwrap();
        std::fs::write(ed.join("notes/a.txt"), "a note").unwrap();
        symlink("notes/a.txt", &ed.join("latest-note"));
        std::fs::write(ed.join(".tmpAb12Cd"), "half a pdf").unwrap();
        (dir, lock)
    }

    #[test]
    fn write_new_follows_the_umask_and_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let (file_mode, _) = umask_modes(dir.path());
        let path = dir.path().join("data/2025/lanzhou.toml");
        write_new(&path, b"one").unwrap();
        assert_eq!(mode(&path), file_mode);
        let again = write_new(&path, b"two").unwrap_err();
        assert!(matches!(&again, AppError::Io { source, .. } if source.kind() == io::ErrorKind::AlreadyExists));
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        assert_eq!(names(path.parent().unwrap()), ["lanzhou.toml"], "no temporary file is left");
    }

    #[test]
    fn a_fresh_edition_lands_whole_with_the_umask_modes() {
        let dir = tempfile::tempdir().unwrap();
        let (file_mode, dir_mode) = umask_modes(dir.path());
        let lock = OutputLock::acquire(dir.path(), |_| panic!("nobody else holds the lock")).unwrap();
        let written = land_edition(&lock, "2025", &files(&[("a.pdf", "pdf"), ("a.xlsx", "xlsx")])).unwrap();
        assert_eq!(names(dir.path()), [LOCK_FILE, "2025"]);
        assert_eq!(names(&dir.path().join("2025")), ["a.pdf", "a.xlsx"]);
        assert_eq!(mode(&dir.path().join("2025")), dir_mode);
        assert_eq!(mode(&dir.path().join("2025/a.pdf")), file_mode);
        assert_eq!(written[1].path, dir.path().join("2025/a.xlsx"));
        assert_eq!((written[1].bytes, written[1].sha256.as_str()), (4, sha256_hex(b"xlsx").as_str()));
    }

    #[test]
    fn landing_replaces_its_files_keeps_the_others_and_drops_old_temp_files() {
        let (dir, lock) = previous_edition();
        let (file_mode, _) = umask_modes(dir.path());
        let ed = dir.path().join("2025");
        let before = snapshot(&ed);
        land_edition(&lock, "2025", &files(&[("yearbook-2025.pdf", "new pdf")])).unwrap();
        let after = snapshot(&ed);
        assert_eq!(after[Path::new("yearbook-2025.pdf")], b"new pdf");
        assert_eq!(mode(&ed.join("yearbook-2025.pdf")), file_mode, "a replaced 0600 file gets the umask's mode");
        for kept in ["yearbook-2025-en.pdf", "notes", "notes/a.txt", "latest-note"] {
            assert_eq!(after[Path::new(kept)], before[Path::new(kept)], "{kept} is carried over");
        }
        assert!(!after.contains_key(Path::new(".tmpAb12Cd")));
        assert_eq!(after.len(), 5);
        assert_eq!(names(dir.path()), [LOCK_FILE, "2025"], "no staging folder is left");
    }

    #[test]
    fn a_failure_at_any_step_leaves_the_previous_edition_and_no_staging_folder() {
        let cases = [
            (Step::CarryOver, true),
            (Step::WriteFile, true),
            (Step::SyncFolder, true),
            (Step::Swap, true),
            (Step::Swap, false),
            (Step::SecondRename, false),
        ];
        for (step, exchange) in cases {
            let (dir, lock) = previous_edition();
            let ed = dir.path().join("2025");
            let before = snapshot(&ed);
            let seam = Seam { fail_at: Some(step), exchange };
            let err = land_with(&lock, "2025", &files(&[("yearbook-2025.pdf", "new")]), &|_| false, &seam).unwrap_err();
            assert_eq!(snapshot(&ed), before, "{step:?}: the previous edition changed");
            assert_eq!(names(dir.path()), [LOCK_FILE, "2025"], "{step:?}: something was left behind");
            let text = err.to_string();
            assert!(text.contains(&ed.display().to_string()), "{step:?}: {text}");
            assert!(!text.contains(STAGING), "{step:?}: {text}");
            assert!(text.contains("nothing was changed"), "{step:?}: {text}");
        }
    }

    #[test]
    fn a_failed_first_edition_creates_nothing_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let lock = OutputLock::acquire(dir.path(), |_| panic!("nobody else holds the lock")).unwrap();
        let seam = Seam { fail_at: Some(Step::WriteFile), exchange: true };
        let err = land_with(&lock, "2025", &files(&[("a.pdf", "pdf")]), &|_| false, &seam).unwrap_err().to_string();
        assert!(err.contains(&dir.path().join("2025/a.pdf").display().to_string()), "{err}");
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(names(dir.path()), [LOCK_FILE]);
    }

    #[test]
    fn without_rename_exchange_the_edition_is_still_replaced_whole() {
        let (dir, lock) = previous_edition();
        let seam = Seam { fail_at: None, exchange: false };
        land_with(&lock, "2025", &files(&[("yearbook-2025.pdf", "new")]), &|_| false, &seam).unwrap();
        let after = snapshot(&dir.path().join("2025"));
        assert_eq!(after[Path::new("yearbook-2025.pdf")], b"new");
        assert_eq!(after[Path::new("yearbook-2025-en.pdf")], b"english pdf");
        assert_eq!(names(dir.path()), [LOCK_FILE, "2025"]);
    }

    #[test]
    fn leftovers_of_killed_runs_are_cleared_and_a_set_aside_edition_is_put_back() {
        // A run killed between the two renames of the fallback swap: no `2025`, the previous
        // edition set aside, the staged one beside it; and a staging folder of another year.
        let dir = tempfile::tempdir().unwrap();
        let lock = OutputLock::acquire(dir.path(), |_| panic!("nobody else holds the lock")).unwrap();
        let aside = dir.path().join(format!("{PREVIOUS}2025-4242-0"));
        std::fs::create_dir(&aside).unwrap();
        std::fs::write(aside.join("yearbook-2025-en.pdf"), "english pdf").unwrap();
        std::fs::create_dir(dir.path().join(format!("{STAGING}2025-4242-1"))).unwrap();
        std::fs::create_dir(dir.path().join(format!("{STAGING}2024-17-3"))).unwrap();
        std::fs::write(dir.path().join(format!("{STAGING}2024-17-3/x")), "x").unwrap();
        land_edition(&lock, "2025", &files(&[("yearbook-2025.pdf", "new")])).unwrap();
        assert_eq!(names(dir.path()), [LOCK_FILE, "2025"]);
        assert_eq!(names(&dir.path().join("2025")), ["yearbook-2025-en.pdf", "yearbook-2025.pdf"]);
    }

    #[test]
    #[cfg(unix)]
    fn a_symlinked_edition_folder_stays_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let lock = OutputLock::acquire(dir.path(), |_| panic!("nobody else holds the lock")).unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::fs::write(dir.path().join("real/keep.txt"), "keep").unwrap();
        std::os::unix::fs::symlink("real", dir.path().join("2025")).unwrap();
        let written = land_edition(&lock, "2025", &files(&[("a.pdf", "pdf")])).unwrap();
        assert_eq!(written[0].path, dir.path().join("2025/a.pdf"));
        assert!(std::fs::symlink_metadata(dir.path().join("2025")).unwrap().file_type().is_symlink());
        assert_eq!(names(&dir.path().join("real")), ["a.pdf", "keep.txt"]);
        assert_eq!(names(dir.path()), [LOCK_FILE, "2025", "real"]);
    }

    #[test]
    fn names_with_a_path_in_them_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let lock = OutputLock::acquire(dir.path(), |_| panic!("nobody else holds the lock")).unwrap();
        for (folder, file) in [("2025", "../a.pdf"), ("..", "a.pdf"), ("2025", "")] {
            assert!(matches!(land_edition(&lock, folder, &files(&[(file, "x")])), Err(AppError::Usage(_))));
        }
        assert_eq!(names(dir.path()), [LOCK_FILE]);
    }

    #[test]
    fn a_second_taker_of_the_lock_is_told_the_holder_and_waits_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = OutputLock::acquire(dir.path(), |_| panic!("nobody else holds the lock")).unwrap();
        let (told, heard) = mpsc::channel();
        let (got, has) = mpsc::channel();
        let parent = dir.path().to_path_buf();
        let second = std::thread::spawn(move || {
            let lock = OutputLock::acquire(&parent, |holder| told.send(holder.clone()).unwrap()).unwrap();
            got.send(()).unwrap();
            drop(lock);
        });
        let holder = heard.recv_timeout(Duration::from_secs(5)).expect("the waiter is told");
        assert_eq!(holder.pid, Some(std::process::id()));
        assert!(has.recv_timeout(Duration::from_millis(300)).is_err(), "the second taker must wait");
        drop(first);
        has.recv_timeout(Duration::from_secs(5)).expect("the lock passes on when released");
        second.join().unwrap();
    }
}
