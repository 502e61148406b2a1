//! The QMS as the server reads it, and taking its changes while it runs: a release, a new
//! revision or a corrected spec written into the QMS folder is served without a restart, so
//! the read-and-confirm tasks of a new release reach people the moment it is released
//! (ISO 9001 7.5.3: the current revision available where it is used).
//!
//! Every [`WATCH_EVERY`] the server compares the names, sizes and modification times of the
//! folder's files with those it last loaded. When they differ it loads and checks the QMS
//! again and serves it, unless `check` finds errors in it where the QMS served had none: a
//! file saved half-edited must not stop every department from starting runs (a QMS with
//! errors starts none). Such a change is reported once and the QMS loaded before stays in
//! service until the folder changes again. Runs are pinned to their revision's snapshot
//! either way.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::check::diagnostic::{Diagnostic, Severity};
use crate::spec::load::{self, Qms};

use super::AppState;

/// How often the QMS folder is compared with what is served.
pub const WATCH_EVERY: Duration = Duration::from_secs(2);

/// One loading of the QMS: the procedures, documents and register, and what the server
/// derives from them.
#[derive(Debug)]
pub struct Loaded {
    pub qms: Qms,
    /// The errors `procdoc check` finds in it: a QMS with errors starts no run (as
    /// `procdoc run start` refuses).
    pub diagnostics: Vec<Diagnostic>,
    /// Department codes of procdoc.yaml.
    pub departments: Vec<String>,
    /// The QMS's languages, primary first.
    pub languages: Vec<String>,
}

impl Loaded {
    /// Loads and checks the QMS in `dir`. Errors: the folder or its procdoc.yaml cannot be
    /// read (the message says which).
    pub fn read(dir: &Path) -> Result<Loaded, String> {
        let (qms, mut diagnostics) = load::load(dir).map_err(|e| e.to_string())?;
        diagnostics.extend(crate::check::check(&qms));
        diagnostics.retain(|d| d.severity() == Severity::Error);
        let settings = qms.settings.as_ref().ok_or_else(|| {
            format!(
                "{} has no readable procdoc.yaml: run `procdoc check` on it",
                dir.display()
            )
        })?;
        let languages = settings.languages.clone();
        let (departments, _) = crate::app::codes(&qms);
        Ok(Loaded {
            qms,
            diagnostics,
            departments,
            languages,
        })
    }

    /// The QMS's primary language (`en` when it names none).
    pub fn primary_language(&self) -> &str {
        self.languages.first().map_or("en", String::as_str)
    }
}

/// What decides whether the QMS folder may have changed: every file's path (relative to the
/// folder), size and modification time, in path order. Hidden folders (the run store's
/// `.procdoc`) are left out: the store changes with every signature and is not part of the
/// QMS. When it differs, [`Fingerprint::content`] decides whether anything did change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint(Vec<(PathBuf, u64, Option<SystemTime>)>);

impl Fingerprint {
    /// The fingerprint of `dir` now; unreadable entries are left out (a file being
    /// replaced is seen at the next look).
    pub fn of(dir: &Path) -> Fingerprint {
        let mut files = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(folder) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                let Ok(meta) = entry.metadata() else {
                    continue;
                };
                if meta.is_dir() {
                    if !hidden {
                        pending.push(path);
                    }
                } else if !hidden {
                    let relative = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
                    files.push((relative, meta.len(), meta.modified().ok()));
                }
            }
        }
        files.sort();
        Fingerprint(files)
    }

    /// The SHA-256 of the files' names and bytes, in path order: a file touched or saved
    /// unchanged leaves it as it was. Unreadable files count as empty.
    pub fn content(&self, dir: &Path) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for (path, _, _) in &self.0 {
            let bytes = std::fs::read(dir.join(path)).unwrap_or_default();
            hash.update(path.to_string_lossy().as_bytes());
            hash.update([0]);
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(&bytes);
        }
        hash.finalize().into()
    }
}

/// What one look at the QMS folder did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watched {
    /// Nothing changed since the last look.
    Unchanged,
    /// The folder changed and the QMS loaded from it is now served; the number of errors
    /// `check` finds in it (served only when the QMS before had errors too).
    Reloaded(usize),
    /// The folder changed but its QMS does not load, or has errors where the one served
    /// had none: the one before is still served. The message says why.
    Kept(String),
}

impl AppState {
    /// Compares the QMS folder with what was last looked at and, when it changed, loads it
    /// again: served unless it has errors where the QMS served had none (then kept out,
    /// with the reason). Blocking (reads the folder): call it off the async runtime.
    pub fn reload_if_changed(&self) -> Watched {
        let now = Fingerprint::of(&self.qms_dir);
        {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            if seen.0 == now {
                return Watched::Unchanged;
            }
            let content = now.content(&self.qms_dir);
            let same = seen.1 == content;
            *seen = (now, content);
            if same {
                return Watched::Unchanged;
            }
        }
        match Loaded::read(&self.qms_dir) {
            Ok(loaded)
                if loaded.diagnostics.is_empty() || !self.loaded().diagnostics.is_empty() =>
            {
                let errors = loaded.diagnostics.len();
                *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(loaded);
                Watched::Reloaded(errors)
            }
            Ok(loaded) => Watched::Kept(format!(
                "{} error(s), the first: {}; run `procdoc check`",
                loaded.diagnostics.len(),
                loaded.diagnostics[0].message
            )),
            Err(e) => Watched::Kept(e),
        }
    }
}

/// The warning about a QMS served with `errors` check errors: no run starts until they are
/// fixed.
pub fn errors_warning(errors: usize) -> String {
    format!(
        "warning: the QMS has {errors} error(s): no run can be started until they are fixed (see `procdoc check`)"
    )
}

/// Looks at the QMS folder every [`WATCH_EVERY`] until the server stops, saying on
/// standard output (errors) when it served a changed QMS or kept one out.
pub async fn watch_job(state: Arc<AppState>) {
    let mut ticks = tokio::time::interval(WATCH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let st = Arc::clone(&state);
        match tokio::task::spawn_blocking(move || st.reload_if_changed()).await {
            Ok(Watched::Unchanged) | Err(_) => {}
            Ok(Watched::Reloaded(errors)) => {
                println!(
                    "the QMS changed: now serving it as it is in {}",
                    state.qms_dir.display()
                );
                if errors > 0 {
                    eprintln!("{}", errors_warning(errors));
                }
            }
            Ok(Watched::Kept(why)) => {
                eprintln!("warning: the QMS changed but is not served, the one before is: {why}")
            }
        }
    }
}
