//! `procdoc release` and `procdoc build --revision`: issuing a controlled copy of the
//! current revision into the register, and rebuilding a released revision exactly as it was
//! released (ISO 9001 7.5.3: control of documented information). Each returns its exit code
//! (0 clean, 1 refused or not matching, 2 usage or I/O error).

use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use super::command::{
    CLEAN, FINDINGS, USAGE, default_out_dir, embedded_fingerprint, find_doc, load_clean,
    load_register_only, options, sha256, timezone, unwrap_code, with_replaced,
};
use super::files;
use super::fingerprint;
use super::names;
use super::register::{self, Register, Release};
use crate::render::build as builder;
use crate::run::clock;
use crate::spec::model::Procedure;

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
