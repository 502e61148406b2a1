//! The document-control commands: `release`, `review`, `status`, `verify`, `diff` and
//! `build --revision`. Each returns its exit code (0 clean, 1 refused or not matching,
//! 2 usage or I/O error).

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use super::diff;
use super::files;
use super::fingerprint;
use super::register::{self, Register, Release, Review};
use crate::check::diagnostic::{self, Severity};
use crate::columns;
use crate::render::build::BuildOptions;
use crate::run::clock;
use crate::spec::load::Qms;
use crate::spec::model::Procedure;

pub(super) const CLEAN: u8 = 0;
pub(super) const FINDINGS: u8 = 1;
pub(super) const USAGE: u8 = 2;

/// Where the outputs of a QMS go unless `-o` says otherwise.
pub fn default_out_dir(qms: &Qms) -> PathBuf {
    PathBuf::from("output").join(qms.name())
}

pub(super) fn options(out_dir: PathBuf, templates: Option<PathBuf>) -> BuildOptions {
    BuildOptions {
        out_dir,
        templates,
        lang: None,
        force: false,
        system_fonts: false,
        font_dirs: Vec::new(),
        emit_typst: false,
        progress: false,
    }
}

pub(super) fn primary_language(qms: &Qms) -> String {
    qms.settings
        .as_ref()
        .map(|s| s.primary_language().to_string())
        .unwrap_or_else(|| "en".into())
}

pub(super) fn timezone(qms: &Qms) -> Tz {
    clock::office_timezone(qms.settings.as_ref())
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Load and check; print the findings to stderr. `Err` carries the exit code when the QMS
/// cannot be used (`what` says what was refused).
pub(super) fn load_clean(
    dir: &Path,
    what: &str,
) -> Result<(Qms, Vec<crate::check::FlowStats>), u8> {
    let (qms, diagnostics, flows) = crate::cli::load_and_check_with_stats(dir)?;
    if diagnostic::print_text(&qms.sources, &diagnostics, true).is_err() {
        return Err(USAGE);
    }
    if diagnostic::count(&diagnostics, Severity::Error) > 0 {
        eprintln!(
            "error: {} has {}; {what}",
            dir.display(),
            diagnostic::summary(&diagnostics)
        );
        return Err(FINDINGS);
    }
    Ok((qms, flows))
}

pub(super) fn find_doc<'a>(qms: &'a Qms, id: &str) -> Result<&'a Procedure, u8> {
    match qms.procedure(id) {
        Some(p) => Ok(&p.doc),
        None => {
            let known: Vec<&str> = qms.procedures.iter().map(|p| p.doc.id.as_str()).collect();
            eprintln!(
                "error: no procedure `{id}` in {} (known: {})",
                qms.root.display(),
                known.join(", ")
            );
            Err(USAGE)
        }
    }
}

/// Every procedure of the QMS, with `doc` standing in for the one with its id.
pub(super) fn with_replaced<'a>(qms: &'a Qms, doc: &'a Procedure) -> Vec<&'a Procedure> {
    qms.procedures
        .iter()
        .map(|p| if p.doc.id == doc.id { doc } else { &p.doc })
        .collect()
}

pub(super) fn unwrap_code(r: Result<u8, u8>) -> u8 {
    r.unwrap_or_else(|c| c)
}

/// Load a QMS for commands that only read the register: a broken register is refused, other
/// findings are not shown.
pub(super) fn load_register_only(dir: &Path) -> Result<Qms, u8> {
    let (qms, diagnostics) = crate::spec::load::load(dir).map_err(|e| {
        eprintln!("error: {e}");
        USAGE
    })?;
    let mut diagnostics: Vec<_> = diagnostics
        .into_iter()
        .chain(crate::check::check(&qms))
        .filter(|d| std::ptr::eq(d.code, &crate::check::codes::REGISTER_INVALID))
        .collect();
    if !diagnostics.is_empty() {
        diagnostic::sort(&mut diagnostics);
        let _ = diagnostic::print_text(&qms.sources, &diagnostics, true);
        eprintln!("error: {} cannot be trusted", register::FILE);
        return Err(FINDINGS);
    }
    Ok(qms)
}

/// `procdoc review <DOC-ID> --by NAME`.
pub fn review(dir: &Path, id: &str, by: &str, note: Option<&str>, at: Option<&str>) -> u8 {
    unwrap_code(review_inner(dir, id, by, note, at))
}

fn review_inner(
    dir: &Path,
    id: &str,
    by: &str,
    note: Option<&str>,
    at: Option<&str>,
) -> Result<u8, u8> {
    let _lock = files::RegisterLock::acquire(dir).map_err(|e| {
        eprintln!("error: {e}");
        USAGE
    })?;
    let qms = load_register_only(dir)?;
    let doc = find_doc(&qms, id)?;
    if by.trim().is_empty() {
        eprintln!("error: --by needs the reviewer's name");
        return Err(USAGE);
    }
    let old = qms.register.clone().unwrap_or_default();
    let Some(latest) = old.latest(&doc.id) else {
        eprintln!(
            "error: {} has never been released; a periodic review confirms a released revision (release it first with `procdoc release {}`)",
            doc.id, doc.id
        );
        return Err(FINDINGS);
    };
    let tz = timezone(&qms);
    let now = clock::now(at, tz).map_err(|e| {
        eprintln!("error: {e}");
        USAGE
    })?;
    let date = crate::spec::model::Date(clock::local_date(now, tz));
    let present = clock::now(None, tz).unwrap_or_else(|_| chrono::Utc::now());
    if now > present + chrono::Duration::minutes(5) {
        eprintln!(
            "error: a review cannot be recorded for {date}, which is in the future (today is {})",
            register::day(clock::local_date(present, tz))
        );
        return Err(USAGE);
    }
    if let Some(released) = clock::read_stamp(&latest.released_at)
        && date.0 < clock::local_date(released, tz)
    {
        eprintln!(
            "error: {} rev. {} was released on {}; a review of it cannot be dated {date}, before its release",
            doc.id,
            latest.revision,
            register::day(clock::local_date(released, tz))
        );
        return Err(USAGE);
    }
    if let Some(last) = old
        .reviews
        .iter()
        .filter_map(|r| clock::read_stamp(&r.recorded_at))
        .max()
        .filter(|last| now < *last)
    {
        eprintln!(
            "error: the register already has a review recorded at {}; a review cannot be recorded before it (reviews are kept in the order they happen)",
            clock::show(last, tz)
        );
        return Err(USAGE);
    }
    let mut register = old.clone();
    register.reviews.push(Review {
        doc: doc.id.clone(),
        revision: latest.revision.clone(),
        date,
        by: by.trim().to_string(),
        note: note.map(str::to_string),
        recorded_at: clock::stamp(now),
    });
    register.save(&qms.root, &old).map_err(|e| {
        eprintln!("error: {e}");
        USAGE
    })?;
    let next = register::next_review(&register, &doc.id, doc.review_every)
        .map(|d| format!("; next review due {}", register::day(d)))
        .unwrap_or_default();
    println!(
        "recorded the review of {} rev. {} by {} on {date}{next} (register head {})",
        doc.id,
        latest.revision,
        by.trim(),
        register.head()
    );
    Ok(CLEAN)
}

/// One line of `procdoc status`.
pub struct StatusRow {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub revision: String,
    pub released: Option<String>,
    pub state: &'static str,
    pub effective: String,
    pub next_review: Option<String>,
    pub overdue: bool,
}

/// The document-control state of every procedure.
pub fn status_rows(qms: &Qms, today: chrono::NaiveDate) -> Vec<StatusRow> {
    let empty = Register::default();
    let register = qms.register.as_ref().unwrap_or(&empty);
    let primary = qms
        .settings
        .as_ref()
        .map(|s| s.primary_language().to_string())
        .unwrap_or_else(|| "en".into());
    qms.procedures
        .iter()
        .map(|p| {
            let doc = &p.doc;
            let latest = register.latest(&doc.id);
            let state = super::release_state(qms, doc);
            let next = register::next_review(register, &doc.id, doc.review_every);
            StatusRow {
                id: doc.id.clone(),
                title: doc.title.best(&primary, &primary).to_string(),
                owner: doc.owner.clone(),
                revision: doc.revision.clone(),
                released: latest.map(|r| r.revision.clone()),
                state,
                effective: latest
                    .map(|r| r.effective.to_string())
                    .unwrap_or_else(|| doc.effective.to_string()),
                next_review: next.map(register::day),
                overdue: next.is_some_and(|d| d < today),
            }
        })
        .collect()
}

/// `procdoc status [QMS-DIR] [--expect HEAD]`.
pub fn status(dir: &Path, expect: Option<&str>) -> u8 {
    let qms = match load_register_only(dir) {
        Ok(q) => q,
        Err(c) => return c,
    };
    let tz = timezone(&qms);
    let today = clock::now(None, tz)
        .map(|t| clock::local_date(t, tz))
        .unwrap_or_else(|_| chrono::Utc::now().date_naive());
    let rows = status_rows(&qms, today);
    let header = [
        "DOCUMENT",
        "REVISION",
        "RELEASED",
        "STATE",
        "EFFECTIVE",
        "NEXT REVIEW",
    ];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                r.revision.clone(),
                r.released.clone().unwrap_or_else(|| "-".into()),
                r.state.to_string(),
                r.effective.clone(),
                match (&r.next_review, r.overdue) {
                    (Some(d), true) => format!("{d} OVERDUE"),
                    (Some(d), false) => d.clone(),
                    (None, _) => "-".into(),
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(columns::width(c));
        }
    }
    let line = |row: Vec<&str>| {
        row.iter()
            .zip(widths)
            .map(|(c, w)| columns::pad(c, w))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(header.to_vec()));
    for row in &cells {
        println!("{}", line(row.iter().map(String::as_str).collect()));
    }
    let overdue = rows.iter().filter(|r| r.overdue).count();
    if overdue > 0 {
        eprintln!("{overdue} periodic review(s) overdue");
    }
    let empty = Register::default();
    let register = qms.register.as_ref().unwrap_or(&empty);
    println!(
        "\n{}: {} release(s), {} review(s); head {}",
        register::FILE,
        register.releases.len(),
        register.reviews.len(),
        register.head()
    );
    match expect.map(|h| (h, register.covers(h))) {
        None | Some((_, Some(true))) => CLEAN,
        Some((h, None)) => {
            eprintln!("error: `{h}` is not a register head (they read like R3V1-3F2A-91C0-7B1E)");
            USAGE
        }
        Some((h, Some(false))) => {
            eprintln!(
                "error: {} no longer holds the entries of head {h}: a release or review was removed or changed since",
                register::FILE
            );
            FINDINGS
        }
    }
}

/// `procdoc verify <FILE.pdf>` or `procdoc verify --fingerprint <F>`.
pub fn verify(dir: &Path, file: Option<&Path>, fingerprint_arg: Option<&str>) -> u8 {
    let qms = match load_register_only(dir) {
        Ok(q) => q,
        Err(c) => return c,
    };
    let tz = timezone(&qms);
    let primary = primary_language(&qms);
    let empty = Register::default();
    let register = qms.register.as_ref().unwrap_or(&empty);
    let state_of = |r: &Release| {
        if register
            .latest(&r.doc)
            .is_some_and(|l| l.revision == r.revision)
        {
            "current"
        } else {
            "obsolete"
        }
    };
    let (claimed, bytes_hash) = match (file, fingerprint_arg) {
        (Some(path), _) => {
            // A PDF procdoc wrote is a few MiB; the bound keeps `/dev/zero` or a pipe from
            // being read without end.
            let bytes = match crate::spec::limits::read_file_at_most(path, 256 * 1024 * 1024) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("error: {e}");
                    return USAGE;
                }
            };
            let hash = sha256(&bytes);
            if let Some((r, newer)) = register.by_obsolete_pdf(&hash) {
                println!(
                    "{}: the OBSOLETE copy of {} rev. {} (released {}), kept when rev. {} was released {}; obsolete, matches the register (sha256 {hash})",
                    path.display(),
                    r.doc,
                    r.revision,
                    clock::show_stamp(&r.released_at, tz),
                    newer.revision,
                    clock::show_stamp(&newer.released_at, tz)
                );
                return FINDINGS;
            }
            if let Some(r) = register.by_pdf(&hash) {
                let state = state_of(r);
                println!(
                    "{}: {} rev. {}, released {}; identical byte for byte to the released PDF (sha256 {hash}); this revision is {state}",
                    path.display(),
                    r.doc,
                    r.revision,
                    clock::show_stamp(&r.released_at, tz)
                );
                return if state == "current" { CLEAN } else { FINDINGS };
            }
            (
                embedded_fingerprint(&bytes),
                Some((path.to_path_buf(), hash)),
            )
        }
        (None, Some(f)) => (Some(normalise(f)), None),
        (None, None) => {
            eprintln!("error: give a PDF file or --fingerprint <F>");
            return USAGE;
        }
    };
    let what = bytes_hash
        .as_ref()
        .map(|(p, h)| format!("{} (sha256 {h})", p.display()))
        .unwrap_or_else(|| format!("fingerprint {}", claimed.clone().unwrap_or_default()));
    let Some(short) = claimed else {
        println!(
            "{what}: unknown; it is not a released PDF of this QMS and carries no procdoc fingerprint"
        );
        return FINDINGS;
    };
    let matches: Vec<&Release> = register
        .releases
        .iter()
        .filter(|r| normalise(&fingerprint::short(&r.fingerprint)) == short)
        .collect();
    let working: Vec<&Procedure> = qms
        .procedures
        .iter()
        .map(|p| &p.doc)
        .filter(|d| normalise(&fingerprint::short(&fingerprint::meaning(d, &primary))) == short)
        .collect();
    let byte_note = if bytes_hash.is_some() {
        "; but it does NOT match the released PDF byte for byte (altered, or not printed from the release)"
    } else {
        ""
    };
    if let Some(r) = matches.first() {
        println!(
            "{what}: content of {} rev. {} (fingerprint {short}), released {}; this revision is {}{byte_note}",
            r.doc,
            r.revision,
            clock::show_stamp(&r.released_at, tz),
            state_of(r)
        );
        return if bytes_hash.is_none() && state_of(r) == "current" {
            CLEAN
        } else {
            FINDINGS
        };
    }
    if let Some(d) = working.first() {
        println!(
            "{what}: content of the working files of {} rev. {} (fingerprint {short}), which is not released: a draft",
            d.id, d.revision
        );
        return FINDINGS;
    }
    println!("{what}: fingerprint {short} is unknown to this QMS's register and working files");
    FINDINGS
}

/// `3f2a-91c0-7b1e` and `3F2A91C07B1E` alike.
fn normalise(f: &str) -> String {
    let hex: String = f
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_uppercase())
        .take(12)
        .collect();
    fingerprint::short(&hex)
}

/// The fingerprint procdoc writes into a PDF's keywords: `procdoc-fingerprint:3F2A-91C0-7B1E`.
pub fn embedded_fingerprint(pdf: &[u8]) -> Option<String> {
    const MARKER: &[u8] = b"procdoc-fingerprint:";
    let at = pdf.windows(MARKER.len()).position(|w| w == MARKER)? + MARKER.len();
    let text: String = pdf[at..].iter().take(14).map(|b| *b as char).collect();
    let f = normalise(&text);
    (f.len() == 14).then_some(f)
}

/// `procdoc diff <DOC-ID> [--from REV] [--to REV]`.
pub fn diff(dir: &Path, id: &str, from: Option<&str>, to: Option<&str>, markdown: bool) -> u8 {
    let qms = match load_register_only(dir) {
        Ok(q) => q,
        Err(c) => return c,
    };
    let Ok(working) = find_doc(&qms, id) else {
        return USAGE;
    };
    let tz = timezone(&qms);
    let empty = Register::default();
    let register = qms.register.as_ref().unwrap_or(&empty);
    let pick = |rev: &str| -> Option<(&Procedure, String)> {
        if let Some(r) = register.release(id, rev) {
            Some((
                &r.content,
                format!(
                    "rev. {rev} (released {})",
                    clock::stamp_day(&r.released_at, tz)
                ),
            ))
        } else if working.revision == rev {
            Some((working, format!("rev. {rev} (working files)")))
        } else {
            None
        }
    };
    let old = match from {
        Some(rev) => pick(rev),
        None => register
            .latest(id)
            .map(|r| (&r.content, format!("rev. {} (last release)", r.revision))),
    };
    let Some((old, old_name)) = old else {
        eprintln!(
            "error: {}",
            match from {
                Some(rev) =>
                    format!("{id} rev. {rev} is neither released nor the working revision"),
                None => format!("{id} has never been released; give --from <REV>"),
            }
        );
        return USAGE;
    };
    let new = match to {
        Some(rev) => pick(rev),
        None => Some((
            working,
            format!("rev. {} (working files)", working.revision),
        )),
    };
    let Some((new, new_name)) = new else {
        eprintln!(
            "error: {id} rev. {} is neither released nor the working revision",
            to.unwrap_or("")
        );
        return USAGE;
    };
    let primary = qms
        .settings
        .as_ref()
        .map(|s| s.primary_language().to_string())
        .unwrap_or_else(|| "en".into());
    let mut changes = diff::compare(old, new, &primary);
    // Against the working files, a release also names what it printed from procdoc.yaml
    // (company, department names, ...) that is printed differently now.
    let released = from
        .map(|rev| register.release(id, rev))
        .unwrap_or_else(|| register.latest(id));
    if to.is_none_or(|rev| rev == working.revision && register.release(id, rev).is_none())
        && let (Some(release), Some(settings)) = (released, qms.settings.as_ref())
        && let Some(recorded) = &release.printed
    {
        let now = super::printed::of(&qms, settings, working);
        changes.extend(
            super::printed::changes(recorded, &now, &primary)
                .into_iter()
                .map(diff::Change::printed),
        );
    }
    if markdown {
        println!("## {id}: {old_name} → {new_name}\n");
        if changes.is_empty() {
            println!("No changes.");
        } else {
            print!("{}", diff::render_markdown(&changes));
        }
    } else {
        println!("{id}: {old_name} → {new_name}");
        if changes.is_empty() {
            println!("no changes");
        } else {
            print!("{}", diff::render_text(&changes));
        }
    }
    CLEAN
}
