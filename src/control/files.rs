//! How document control touches files. Nothing read from a spec or the register is a path:
//! every file name is derived by procdoc (see [`crate::render::build::document_file`]) and
//! joined to a folder procdoc was told to use. On top of that:
//!
//! - the register is changed only under an exclusive lock ([`RegisterLock`]), re-read under
//!   it, and written whole under a unique temporary name renamed into place ([`write_atomic`]);
//! - an existing file is deleted or replaced only when its SHA-256 is one procdoc recorded
//!   ([`remove_recorded`], [`Existing`]): a file planted where procdoc writes is never
//!   overwritten, deleted or certified;
//! - symbolic links are never followed: a link where a copy should be is not that copy.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::command::sha256;

/// The lock file next to `register.yaml` (hidden, so the loader never reads it).
pub const LOCK_FILE: &str = ".register.yaml.lock";

/// An exclusive lock on a QMS's register, released when dropped (or when the process ends,
/// so a crashed command never leaves the register locked).
pub struct RegisterLock {
    _file: File,
}

impl RegisterLock {
    /// Wait until no other procdoc command holds the register of the QMS at `root`, then
    /// hold it. Errors: the lock file cannot be created (read-only folder) or locked.
    pub fn acquire(root: &Path) -> Result<Self, String> {
        let path = root.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot lock the register ({}): {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                eprintln!(
                    "waiting for another procdoc command to finish with {}",
                    super::register::FILE
                );
                file.lock()
                    .map_err(|e| format!("cannot lock the register ({}): {e}", path.display()))?;
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!(
                    "cannot lock the register ({}): {e}",
                    path.display()
                ));
            }
        }
        Ok(RegisterLock { _file: file })
    }
}

/// A temporary name beside `path` that no other writer uses: process id, a per-process
/// counter and the time, created exclusively.
fn temporary(path: &Path) -> Result<(PathBuf, File), std::io::Error> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = path.parent().unwrap_or(Path::new("."));
    loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tmp = dir.join(format!(
            ".{name}.{}-{}-{nanos}.partial",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Write `bytes` to `path` whole or not at all: into a unique temporary file in the same
/// folder, flushed to disk, then renamed over `path` (which replaces a link, never its
/// target). Creates the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let (tmp, mut file) = temporary(path).map_err(fail)?;
    let written = file
        .write_all(bytes)
        .and_then(|_| file.sync_all())
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}

/// What is at a path procdoc is about to write or certify.
#[derive(Debug, PartialEq, Eq)]
pub enum Existing {
    /// Nothing.
    Absent,
    /// A regular file with this SHA-256.
    File(String),
    /// Something procdoc must not touch: a link, a folder, an unreadable file.
    Foreign(String),
}

impl Existing {
    /// Look at `path` without following a link.
    pub fn at(path: &Path) -> Existing {
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Existing::Absent,
            Err(e) => Existing::Foreign(format!("cannot be read: {e}")),
            Ok(m) if m.file_type().is_symlink() => {
                Existing::Foreign("is a symbolic link".to_string())
            }
            Ok(m) if !m.is_file() => Existing::Foreign("is not a regular file".to_string()),
            Ok(_) => match std::fs::read(path) {
                Ok(bytes) => Existing::File(sha256(&bytes)),
                Err(e) => Existing::Foreign(format!("cannot be read: {e}")),
            },
        }
    }
}

/// Delete `path` only if it is a regular file whose SHA-256 is `recorded`. `Ok(true)` when
/// deleted, `Ok(false)` when there was nothing to delete; `Err` says why it was left.
pub fn remove_recorded(path: &Path, recorded: &str) -> Result<bool, String> {
    match Existing::at(path) {
        Existing::Absent => Ok(false),
        Existing::File(hash) if hash.eq_ignore_ascii_case(recorded) => std::fs::remove_file(path)
            .map(|_| true)
            .map_err(|e| format!("cannot remove {}: {e}", path.display())),
        Existing::File(hash) => Err(format!(
            "{} is not the copy procdoc recorded (sha256 {hash}, recorded {recorded}); left in place",
            path.display()
        )),
        Existing::Foreign(why) => Err(format!("{} {why}; left in place", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_leave_no_temporary_file_and_replace_links_not_targets() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("victim.txt");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("copy.pdf");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"pdf").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(std::fs::read(&link).unwrap(), b"pdf");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn only_the_recorded_copy_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.pdf");
        std::fs::write(&file, "other").unwrap();
        let err = remove_recorded(&file, &sha256(b"ours")).unwrap_err();
        assert!(err.contains("not the copy procdoc recorded"), "{err}");
        assert!(file.exists());
        std::fs::write(&file, "ours").unwrap();
        assert_eq!(remove_recorded(&file, &sha256(b"ours")), Ok(true));
        assert!(!file.exists());
        assert_eq!(remove_recorded(&file, &sha256(b"ours")), Ok(false));
    }
}
