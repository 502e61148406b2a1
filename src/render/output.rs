//! The output folder of `build`: its lock, its manifest and how files get into it.
//!
//! Two builds (or a build and a `release`) may target one folder at once. Every output is
//! therefore first written under a temporary name no other process can pick (process id,
//! a per-process counter, `create_new`), then renamed over its target, so a reader sees
//! either the old or the new file, never a mix or another output's bytes. The whole
//! update of a folder (deciding what is stale, writing, recording) happens under an
//! exclusive lock on [`LOCK_FILE`], and the manifest is read only once that lock is held.
//!
//! The manifest records for every output the key of what it was made from and the SHA-256
//! of the bytes written, so a build that keeps a file can prove the file on disk is still
//! the one it wrote, and a file is removed only when it is.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::file_stat::FileStat;

/// Remembers the key and checksum of every output, to skip unchanged ones next time.
pub const MANIFEST: &str = ".procdoc-build.json";

/// Held (exclusively locked) while a process updates the folder.
pub const LOCK_FILE: &str = ".procdoc-build.lock";

/// Version of the manifest's layout; a manifest of another version is ignored (everything
/// is rebuilt once).
const MANIFEST_VERSION: u32 = 2;

/// What the last build of a folder wrote.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Manifest {
    version: u32,
    /// Key of everything the build read (sources, templates, fonts, options).
    pub inputs: String,
    /// Every output, by path relative to the folder (`/`-separated).
    pub outputs: BTreeMap<String, Recorded>,
}

/// One output as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Hash of everything the output is made from.
    pub key: String,
    /// SHA-256 (hex) of the bytes written.
    pub sha256: String,
    /// The file's status once in place, when it was settled (see [`super::file_stat`]):
    /// while the file still has exactly this status it has these bytes, unread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat: Option<FileStat>,
}

impl Recorded {
    /// True when the file at `path` is still the one recorded: by its status when that
    /// is exactly the recorded one, otherwise by its bytes.
    pub fn is_intact(&self, path: &Path) -> bool {
        if self.stat.is_some() && FileStat::of(path) == self.stat {
            return true;
        }
        is_intact(path, &self.sha256)
    }
}

impl Manifest {
    pub fn new(inputs: String) -> Self {
        Manifest {
            version: MANIFEST_VERSION,
            inputs,
            outputs: BTreeMap::new(),
        }
    }

    /// The manifest of `dir`; empty when there is none or it cannot be read as one.
    pub fn read(dir: &Path) -> Manifest {
        std::fs::read_to_string(dir.join(MANIFEST))
            .ok()
            .and_then(|t| serde_json::from_str::<Manifest>(&t).ok())
            .filter(|m| m.version == MANIFEST_VERSION)
            .unwrap_or_default()
    }

    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_atomic(&dir.join(MANIFEST), text.as_bytes())
    }

    /// Records the status of every output of `dir` that can be proven to hold its recorded
    /// bytes (see [`super::file_stat`]): one whose settled status is the one `previous`
    /// recorded for the same bytes, or whose bytes, read after its status, are the
    /// recorded ones. Any other output gets no status and is checked by its bytes next
    /// time.
    pub fn record_stats(&mut self, dir: &Path, lock: &FolderLock, previous: &Manifest) {
        let paths: Vec<PathBuf> = self.outputs.keys().map(|p| dir.join(p)).collect();
        let stats = lock.settled_stats(&paths);
        let entries: Vec<(&String, &Recorded)> = self.outputs.iter().collect();
        let proven: Vec<Option<FileStat>> = entries
            .into_par_iter()
            .zip(paths.par_iter())
            .zip(stats.into_par_iter())
            .map(|(((name, recorded), path), stat)| {
                let stat = stat?;
                let unchanged = previous
                    .outputs
                    .get(name)
                    .is_some_and(|p| p.sha256 == recorded.sha256 && p.stat == Some(stat));
                // A change after `stat` was read shows in the status; one before it, in
                // the bytes.
                (unchanged || file_sha256(path).as_deref() == Some(recorded.sha256.as_str()))
                    .then_some(stat)
            })
            .collect();
        for (recorded, stat) in self.outputs.values_mut().zip(proven) {
            recorded.stat = stat;
        }
    }

    /// True when every recorded output is on disk with the recorded bytes (known by its
    /// settled status, or checked by SHA-256; on every core).
    pub fn all_intact(&self, dir: &Path) -> bool {
        self.outputs
            .par_iter()
            .all(|(path, recorded)| recorded.is_intact(&dir.join(path)))
    }
}

/// SHA-256 (hex) of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 (hex) of the file at `path`, `None` when it cannot be read.
pub fn file_sha256(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|bytes| sha256(&bytes))
}

/// True when `path` is a regular file whose SHA-256 is `sha256`.
pub fn is_intact(path: &Path, sha256: &str) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
        && file_sha256(path).as_deref() == Some(sha256)
}

/// The exclusive right to update an output folder, released when dropped.
pub struct FolderLock {
    file: File,
}

impl FolderLock {
    /// Locks `dir` (created if missing), waiting for another process that holds it;
    /// `waiting` is called once if it has to wait.
    pub fn acquire(dir: &Path, waiting: impl FnOnce()) -> std::io::Result<FolderLock> {
        std::fs::create_dir_all(dir)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                waiting();
                file.lock()?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        Ok(FolderLock { file })
    }

    /// The statuses of `paths` to record (see [`super::file_stat::settled`]), the lock file
    /// serving as the clock of the folder's file system.
    pub fn settled_stats<P: AsRef<Path>>(&self, paths: &[P]) -> Vec<Option<FileStat>> {
        super::file_stat::settled(&self.file, paths)
    }
}

/// A file written under a temporary name next to its target, not yet in place.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    target: PathBuf,
}

/// Numbers the temporary files of this process, so two threads never pick one name.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Staged {
    /// Writes `bytes` to a fresh temporary file in `target`'s folder (created if missing).
    pub fn write(target: &Path, bytes: &[u8]) -> std::io::Result<Staged> {
        let parent = target.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        loop {
            let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let tmp = parent.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
            let mut file = match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => f,
                // Left by a killed process that had our id: pick the next number.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            };
            let written = file.write_all(bytes).and_then(|_| file.flush());
            if let Err(e) = written {
                drop(file);
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            return Ok(Staged {
                tmp,
                target: target.to_path_buf(),
            });
        }
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the file over its target.
    pub fn commit(self) -> std::io::Result<()> {
        let result = std::fs::rename(&self.tmp, &self.target);
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        result
    }

    /// Removes the temporary file.
    pub fn discard(self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Writes `bytes` to `path` atomically (a temporary file of its own, then a rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    Staged::write(path, bytes)?.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_have_unique_names_and_land_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.csv");
        let one = Staged::write(&target, b"one").unwrap();
        let two = Staged::write(&target, b"two").unwrap();
        assert_ne!(one.tmp, two.tmp);
        assert!(!target.exists(), "nothing in place before commit");
        one.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"one");
        two.discard();
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "no temporary file is left: {left:?}");
    }

    #[test]
    fn a_manifest_proves_files_by_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(&dir.path().join("x/a.pdf"), b"pdf").unwrap();
        let mut manifest = Manifest::new("inputs".into());
        manifest.outputs.insert(
            "x/a.pdf".into(),
            Recorded {
                key: "k".into(),
                sha256: sha256(b"pdf"),
                stat: None,
            },
        );
        manifest.write(dir.path()).unwrap();
        let read = Manifest::read(dir.path());
        assert_eq!(read.inputs, "inputs");
        assert!(read.all_intact(dir.path()));
        std::fs::write(dir.path().join("x/a.pdf"), b"csv").unwrap();
        assert!(!read.all_intact(dir.path()), "same name, other bytes");
        std::fs::remove_file(dir.path().join("x/a.pdf")).unwrap();
        assert!(!read.all_intact(dir.path()), "missing file");
    }

    #[test]
    fn a_second_lock_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = FolderLock::acquire(dir.path(), || panic!("the folder is free")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let path = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let mut waited = false;
            let _second = FolderLock::acquire(&path, || waited = true).unwrap();
            tx.send(waited).unwrap();
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "the second lock is not granted while the first is held"
        );
        drop(first);
        assert!(rx.recv().unwrap(), "the second lock said it was waiting");
        waiter.join().unwrap();
    }
}
