//! What the file system says about an output (size, times, inode), so that a no-op build
//! can tell a file is still the one it wrote without reading it.
//!
//! The manifest keeps the SHA-256 of every output; reading and hashing every PDF of a large
//! QMS is most of a no-op rebuild's time. A file whose status is exactly the one recorded
//! right after it was written has not been written since: every write, truncation, rename
//! over it, `touch` or change of owner or mode sets its change time (`ctime`) to the current
//! time of the file system, and no user can set `ctime` back. So a recorded status is
//! trusted only when it can be told apart from any later change: when the file's change
//! time is earlier than a moment taken *before* the status was read (see [`settled`]). A
//! file changed in the same clock tick as it was recorded would keep its change time, so such
//! a file gets no status and is checked by its bytes next time, as is any file whose status
//! differs in any way. On systems without these fields nothing is recorded, and every
//! output is checked by its bytes.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A regular file's status as `stat` reports it. Times are nanoseconds since the Unix
/// epoch (an `i64` holds them until 2262), as the file system stores them (its clock, which may run coarser than the
/// system's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStat {
    pub len: u64,
    pub modified_ns: i64,
    pub changed_ns: i64,
    pub inode: u64,
    pub device: u64,
}

impl FileStat {
    /// The status of the regular file at `path` (a symbolic link is not followed); `None`
    /// when there is none or the system does not report these fields.
    pub fn of(path: &Path) -> Option<FileStat> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        from_metadata(&meta)
    }
}

#[cfg(unix)]
fn from_metadata(meta: &std::fs::Metadata) -> Option<FileStat> {
    use std::os::unix::fs::MetadataExt;
    let ns = |secs: i64, nanos: i64| secs.saturating_mul(1_000_000_000).saturating_add(nanos);
    Some(FileStat {
        len: meta.len(),
        modified_ns: ns(meta.mtime(), meta.mtime_nsec()),
        changed_ns: ns(meta.ctime(), meta.ctime_nsec()),
        inode: meta.ino(),
        device: meta.dev(),
    })
}

#[cfg(not(unix))]
fn from_metadata(_meta: &std::fs::Metadata) -> Option<FileStat> {
    None
}

/// The current time of the file system holding `probe` (a file this process may write,
/// such as the folder's lock): its change time after setting its modification time to now.
/// Every status read after this call and showing an earlier change time belongs to a file
/// whose next change, if any, will show a later one.
fn disk_now(probe: &std::fs::File) -> Option<i64> {
    probe.set_modified(std::time::SystemTime::now()).ok()?;
    let meta = probe.metadata().ok()?;
    from_metadata(&meta).map(|s| s.changed_ns)
}

/// The statuses to record for `paths` (in order), each `None` when it could not be told
/// apart from a change still to come (changed in the current tick of the file system's
/// clock) or cannot be read. `probe` is an open file on the same file system that may be
/// touched. Waits a few milliseconds at most for the clock to move past the newest file.
pub fn settled<P: AsRef<Path>>(probe: &std::fs::File, paths: &[P]) -> Vec<Option<FileStat>> {
    let mut stats = Vec::new();
    for attempt in 0..4 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(4 << attempt));
        }
        let Some(now) = disk_now(probe) else {
            return vec![None; paths.len()];
        };
        // Read after `now` was taken: a change after this read shows `now` or later.
        stats = paths
            .iter()
            .map(|p| FileStat::of(p.as_ref()).filter(|s| s.changed_ns < now))
            .collect();
        if stats.iter().all(Option::is_some) {
            break;
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_read_after_the_probe_is_settled_and_any_write_changes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.pdf");
        std::fs::write(&path, b"one").unwrap();
        let probe = std::fs::File::create(dir.path().join("lock")).unwrap();
        let stat = settled(&probe, &[&path])[0].expect("settled after waiting for the clock");
        assert_eq!(FileStat::of(&path), Some(stat));
        // Same size, modification time put back: the change time still moves.
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::fs::write(&path, b"two").unwrap();
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(modified).unwrap();
        let now = FileStat::of(&path).unwrap();
        assert_eq!(now.len, stat.len);
        assert_eq!(now.modified_ns, stat.modified_ns);
        assert_ne!(now, stat, "the change time tells the write");
    }

    #[test]
    fn no_status_for_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(FileStat::of(dir.path()), None);
        assert_eq!(FileStat::of(&dir.path().join("missing")), None);
    }
}
