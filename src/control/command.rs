//! The document-control commands: `release`, `review`, `status`, `verify`, `diff` and
//! `build --revision`. Each returns its exit code (0 clean, 1 refused or not matching,
//! 2 usage or I/O error).

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use super::diff;
use super::files;
use super::fingerprint;
use super::names;
use super::register::{self, Register, Release, Review};
use crate::check::diagnostic::{self, Severity};
use crate::columns;
use crate::render::build::{self as builder, BuildOptions};
use crate::run::clock;
use crate::spec::load::Qms;
use crate::spec::model::Procedure;

const CLEAN: u8 = 0;
const FINDINGS: u8 = 1;
const USAGE: u8 = 2;

/// Where the outputs of a QMS go unless `-o` says otherwise.
pub fn default_out_dir(qms: &Qms) -> PathBuf {
    PathBuf::from("output").join(qms.name())
}

fn options(out_dir: PathBuf, templates: Option<PathBuf>) -> BuildOptions {
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

fn primary_language(qms: &Qms) -> String {
    qms.settings
        .as_ref()
        .map(|s| s.primary_language().to_string())
        .unwrap_or_else(|| "en".into())
}

fn timezone(qms: &Qms) -> Tz {
    clock::office_timezone(qms.settings.as_ref())
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Load and check; print the findings to stderr. `Err` carries the exit code when the QMS
/// cannot be used (`what` says what was refused).
fn load_clean(dir: &Path, what: &str) -> Result<(Qms, Vec<crate::check::FlowStats>), u8> {
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

fn find_doc<'a>(qms: &'a Qms, id: &str) -> Result<&'a Procedure, u8> {
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
fn with_replaced<'a>(qms: &'a Qms, doc: &'a Procedure) -> Vec<&'a Procedure> {
    qms.procedures
        .iter()
        .map(|p| if p.doc.id == doc.id { doc } else { &p.doc })
        .collect()
}

/// Write a PDF procdoc made to `path`, replacing what is there only when it is a PDF procdoc
/// made (it carries a procdoc fingerprint) or a copy the register records: a file planted
/// where an output goes is never overwritten.
fn write_output(path: &Path, bytes: &[u8], register: &Register) -> Result<(), String> {
    match files::Existing::at(path) {
        files::Existing::Absent => {}
        files::Existing::Foreign(why) => {
            return Err(format!(
                "{} {why}; procdoc writes its outputs only as regular files it made: move it away",
                path.display()
            ));
        }
        files::Existing::File(hash) => {
            let ours = hash == sha256(bytes)
                || register.by_pdf(&hash).is_some()
                || register.by_obsolete_pdf(&hash).is_some()
                || std::fs::read(path)
                    .ok()
                    .and_then(|b| embedded_fingerprint(&b))
                    .is_some();
            if !ours {
                return Err(format!(
                    "{} is already there and is not a PDF procdoc made (sha256 {hash}); procdoc never replaces a file it did not write: move it away",
                    path.display()
                ));
            }
        }
    }
    files::write_atomic(path, bytes)
}

/// A release recorded at `at` must come after the document was approved, after the
/// document's previous release, and not after the present: a register is a record of what
/// happened, in the order it happened.
fn release_time_fits(
    register: &Register,
    doc: &Procedure,
    at: chrono::DateTime<chrono::Utc>,
    tz: Tz,
) -> Result<(), String> {
    let day = clock::local_date(at, tz);
    let a = &doc.approval;
    for (what, signoff) in [
        ("prepared", Some(&a.prepared)),
        ("reviewed", a.reviewed.as_ref()),
        ("approved", Some(&a.approved)),
    ] {
        if let Some(date) = signoff.and_then(|s| s.date)
            && day < date.0
        {
            return Err(format!(
                "{} rev. {} cannot be released on {}: it was {what} on {date} (a document is released after its approval)",
                doc.id,
                doc.revision,
                register::day(day),
            ));
        }
    }
    if let Some(previous) = register.latest(&doc.id)
        && clock::read_stamp(&previous.released_at).is_some_and(|p| at < p)
    {
        return Err(format!(
            "{} rev. {} cannot be released at {}: rev. {} was released later, at {}",
            doc.id,
            doc.revision,
            clock::show(at, tz),
            previous.revision,
            clock::show_stamp(&previous.released_at, tz)
        ));
    }
    let present = clock::now(None, tz).unwrap_or_else(|_| chrono::Utc::now());
    if at > present + chrono::Duration::minutes(5) {
        return Err(format!(
            "{} rev. {} cannot be released at {}, which is in the future (now {})",
            doc.id,
            doc.revision,
            clock::show(at, tz),
            clock::show(present, tz)
        ));
    }
    Ok(())
}

fn unwrap_code(r: Result<u8, u8>) -> u8 {
    r.unwrap_or_else(|c| c)
}

/// `procdoc release <DOC-ID>`.
pub fn release(
    dir: &Path,
    id: &str,
    at: Option<&str>,
    output: Option<PathBuf>,
    templates: Option<PathBuf>,
    allow_unproven: bool,
) -> u8 {
    unwrap_code(release_inner(
        dir,
        id,
        at,
        output,
        templates,
        allow_unproven,
    ))
}

fn release_inner(
    dir: &Path,
    id: &str,
    at: Option<&str>,
    output: Option<PathBuf>,
    templates: Option<PathBuf>,
    allow_unproven: bool,
) -> Result<u8, u8> {
    // Held until the command ends: a second `release` or `review` waits, then reads the
    // register this one wrote.
    let _lock = files::RegisterLock::acquire(dir).map_err(|e| {
        eprintln!("error: {e}");
        USAGE
    })?;
    let (qms, flows) = load_clean(dir, "nothing was released")?;
    let doc = find_doc(&qms, id)?;
    crate::cli::refuse_unproven(
        &flows,
        Some(doc.id.as_str()),
        allow_unproven,
        "nothing was released",
    )?;
    let old = qms.register.clone().unwrap_or_default();
    if let Some(done) = old.release(&doc.id, &doc.revision) {
        eprintln!(
            "error: {} rev. {} was already released on {}; raise `revision` and add a `history` entry to release a change",
            doc.id,
            doc.revision,
            clock::show_stamp(&done.released_at, timezone(&qms))
        );
        return Err(FINDINGS);
    }
    if !doc.history.iter().any(|h| h.revision == doc.revision) {
        eprintln!(
            "error: the `history` of {} has no entry for rev. {}; add one saying what changed",
            doc.id, doc.revision
        );
        return Err(FINDINGS);
    }
    // A character no bundled font has would print as an empty box in the controlled copy.
    let file = qms.procedure(&doc.id).map(|p| p.file);
    let unprintable: Vec<String> = std::iter::once(qms.settings_file)
        .chain(file)
        .flat_map(|f| crate::check::glyphs::missing(&qms, f))
        .map(|(c, at)| {
            let source = qms.sources.get(at.file);
            let (line, column) = source.line_col(at.span.start);
            format!(
                "'{c}' (U+{:04X}) at {}:{line}:{column}",
                u32::from(c),
                source.name
            )
        })
        .collect();
    if !unprintable.is_empty() {
        eprintln!(
            "error: {} rev. {} has text no bundled font can print ({}); a controlled copy would show empty boxes, so nothing was released\n  hint: replace the character{}",
            doc.id,
            doc.revision,
            unprintable.join(", "),
            if unprintable.len() == 1 { "" } else { "s" }
        );
        return Err(FINDINGS);
    }
    let blank: Vec<String> = doc
        .approval
        .signoffs()
        .iter()
        .filter(|(_, s)| !s.is_complete())
        .map(|(role, _)| format!("`approval.{role}`"))
        .collect();
    if !blank.is_empty() {
        eprintln!(
            "error: the approval of {} rev. {} is incomplete ({} without a name or a date); a controlled copy needs every sign-off, so nothing was released\n  hint: once signed, write each name and date into the spec, e.g. `approved: {{ by: <name>, date: <YYYY-MM-DD> }}`",
            doc.id,
            doc.revision,
            blank.join(", ")
        );
        return Err(FINDINGS);
    }
    let now = clock::now(at, timezone(&qms)).map_err(|e| {
        eprintln!("error: {e}");
        USAGE
    })?;
    if let Err(why) = release_time_fits(&old, doc, now, timezone(&qms)) {
        eprintln!("error: {why}");
        return Err(FINDINGS);
    }
    let out_dir = output.unwrap_or_else(|| default_out_dir(&qms));
    let opts = options(out_dir.clone(), templates);

    // The previous revision becomes obsolete: keep a copy stamped so, never overwritten,
    // and record its checksum so `verify` recognises it. Its name is derived from the
    // released content, never taken from the register.
    let mut obsolete_written = None;
    let mut obsoleted = None;
    if let Some(previous) = old.latest(&doc.id) {
        let name = builder::document_file(&previous.content);
        let path = out_dir.join("obsolete").join(&name);
        let pdf = builder::document_pdf(
            &qms,
            &previous.content,
            with_replaced(&qms, &previous.content),
            "obsolete",
            &opts,
        )
        .map_err(|e| {
            eprintln!("error: {e}");
            FINDINGS
        })?;
        let hash = sha256(&pdf);
        // Only the copy procdoc makes is certified: a file already there (left by an
        // interrupted release) counts only if it is byte for byte that copy.
        match files::Existing::at(&path) {
            files::Existing::Absent => {
                files::write_atomic(&path, &pdf).map_err(|e| {
                    eprintln!("error: {e}");
                    USAGE
                })?;
                obsolete_written = Some(path.clone());
            }
            files::Existing::File(h) if h == hash => {}
            files::Existing::File(h) => {
                eprintln!(
                    "error: {} is already there but is not the OBSOLETE copy procdoc makes of {} rev. {} (sha256 {h}, expected {hash}); procdoc neither certifies nor replaces a file it did not write: move it away and release again",
                    path.display(),
                    previous.doc,
                    previous.revision
                );
                return Err(FINDINGS);
            }
            files::Existing::Foreign(why) => {
                eprintln!(
                    "error: {} {why}; procdoc neither certifies nor replaces it: move it away and release again",
                    path.display()
                );
                return Err(FINDINGS);
            }
        }
        obsoleted = Some((
            previous,
            register::ObsoleteCopy {
                revision: previous.revision.clone(),
                pdf: name,
                pdf_sha256: hash,
            },
        ));
    }

    let pdf = builder::document_pdf(&qms, doc, with_replaced(&qms, doc), "controlled", &opts)
        .map_err(|e| {
            eprintln!("error: {e}");
            FINDINGS
        })?;
    let file = builder::document_file(doc);
    if let Some(other) = old
        .releases
        .iter()
        .find(|r| r.doc != doc.id && names::same_file(&builder::document_file(&r.content), &file))
    {
        eprintln!(
            "error: the controlled copy of {} rev. {} would be written as {file}, the file of {} rev. {} ({}); give one of the documents a distinct id",
            doc.id,
            doc.revision,
            other.doc,
            other.revision,
            builder::document_file(&other.content)
        );
        return Err(FINDINGS);
    }
    let pdf_path = out_dir.join(&file);
    write_output(&pdf_path, &pdf, &old).map_err(|e| {
        eprintln!("error: {e}");
        USAGE
    })?;
    let settings = qms.settings.as_ref().ok_or_else(|| {
        eprintln!("error: the QMS settings could not be read");
        USAGE
    })?;
    let fp = fingerprint::meaning(doc, settings.primary_language());
    let mut register = old.clone();
    register.releases.push(Release {
        doc: doc.id.clone(),
        revision: doc.revision.clone(),
        effective: doc.effective,
        released_at: clock::stamp(now),
        approval: doc.approval.clone(),
        fingerprint: fp.clone(),
        pdf: file.clone(),
        pdf_sha256: sha256(&pdf),
        content: doc.clone(),
        printed: Some(super::printed::of(&qms, settings, doc)),
        obsoleted: obsoleted.as_ref().map(|(_, copy)| copy.clone()),
    });
    register.save(&qms.root, &old).map_err(|e| {
        eprintln!("error: {e}");
        USAGE
    })?;
    // The previous revision's CONTROLLED COPY must not stay next to the current one: it
    // lives on only as the OBSOLETE copy (and in the register, to rebuild it exactly). Only
    // the copy procdoc released is removed, found by the name derived from its content.
    if let Some((previous, _)) = &obsoleted {
        let stale_name = builder::document_file(&previous.content);
        if stale_name != file {
            match files::remove_recorded(&out_dir.join(&stale_name), &previous.pdf_sha256) {
                Ok(true) => println!(
                    "removed the controlled copy of rev. {} from {}",
                    previous.revision,
                    out_dir.display()
                ),
                Ok(false) => {}
                Err(e) => eprintln!("warning: the superseded controlled copy was not removed: {e}"),
            }
        }
    }
    // Reported only now that every file is in place: nothing is left undone for a reader
    // that went away.
    if let Some(path) = obsolete_written {
        println!(
            "kept the previous revision as {} (stamped OBSOLETE)",
            path.display()
        );
    }
    println!(
        "released {} rev. {} as {} (CONTROLLED COPY)\n  fingerprint {}\n  sha256 {}\n  recorded in {} (head {})",
        doc.id,
        doc.revision,
        pdf_path.display(),
        fingerprint::short(&fp),
        sha256(&pdf),
        Register::path(&qms.root).display(),
        register.head()
    );
    Ok(CLEAN)
}

/// `procdoc build --revision <DOC-ID>@<REV>`: rebuild a released revision from the
/// register and compare it with the recorded SHA-256.
pub fn rebuild(dir: &Path, spec: &str, output: Option<PathBuf>, templates: Option<PathBuf>) -> u8 {
    unwrap_code(rebuild_inner(dir, spec, output, templates))
}

fn rebuild_inner(
    dir: &Path,
    spec: &str,
    output: Option<PathBuf>,
    templates: Option<PathBuf>,
) -> Result<u8, u8> {
    let Some((id, revision)) = spec.rsplit_once('@') else {
        eprintln!("error: --revision takes <DOC-ID>@<REVISION>, e.g. CS-P-001@A/01");
        return Err(USAGE);
    };
    let qms = load_register_only(dir)?;
    let register = qms.register.clone().unwrap_or_default();
    let Some(release) = register.release(id, revision) else {
        let known: Vec<String> = register
            .releases_of(id)
            .map(|r| r.revision.clone())
            .collect();
        eprintln!(
            "error: {id} rev. {revision} is not in the register (released revisions of {id}: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
        return Err(USAGE);
    };
    let out_dir = output.unwrap_or_else(|| default_out_dir(&qms));
    let opts = options(out_dir.clone(), templates);
    let pdf = builder::document_pdf(
        &qms,
        &release.content,
        with_replaced(&qms, &release.content),
        "controlled",
        &opts,
    )
    .map_err(|e| {
        eprintln!("error: {e}");
        FINDINGS
    })?;
    let path = out_dir
        .join("revisions")
        .join(builder::document_file(&release.content));
    write_output(&path, &pdf, &register).map_err(|e| {
        eprintln!("error: {e}");
        USAGE
    })?;
    let actual = sha256(&pdf);
    if actual == release.pdf_sha256 {
        println!(
            "rebuilt {id} rev. {revision} into {}: identical byte for byte to the released PDF (sha256 {actual})",
            path.display()
        );
        Ok(CLEAN)
    } else {
        println!(
            "rebuilt {id} rev. {revision} into {}, but it DIFFERS from the released PDF\n  released sha256 {}\n  rebuilt  sha256 {actual}\n  (templates, fonts, settings or procdoc's version changed since the release)",
            path.display(),
            release.pdf_sha256
        );
        if let (Some(recorded), Some(settings)) = (&release.printed, qms.settings.as_ref()) {
            let now = super::printed::of(&qms, settings, &release.content);
            for change in super::printed::changes(recorded, &now, settings.primary_language()) {
                println!("  printed differently since the release: {change}");
            }
        }
        Ok(FINDINGS)
    }
}

/// Load a QMS for commands that only read the register: a broken register is refused, other
/// findings are not shown.
fn load_register_only(dir: &Path) -> Result<Qms, u8> {
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
