//! Different things never share one output file: document PDFs, forms and run exports are
//! named so that no two collide, compared as a case-insensitive, Unicode-normalising disk
//! compares them, or the collision is an error naming both sources.

use std::path::Path;

use super::qms::{DYNE, DYNE_DOC, DYNE_FILE, Qms};

/// The dyne copy with a second procedure: DYN-QP-07 under the id `other`.
fn with_second_id(other: &str) -> Qms {
    let q = Qms::copy(DYNE);
    let text = std::fs::read_to_string(q.file(DYNE_FILE)).unwrap();
    let second = text.replacen("id: DYN-QP-07\n", &format!("id: \"{other}\"\n"), 1);
    std::fs::write(q.file("second.yaml"), second).unwrap();
    q
}

#[test]
fn document_ids_that_make_one_file_name_are_an_error_naming_both() {
    for other in [
        "DYN/QP-07",  // `/` becomes `-`
        "DYN:QP-07",  // so does `:`
        "dyn-qp-07",  // one file on a case-insensitive disk
        "DYN-QP-07.", // a trailing dot is dropped
    ] {
        let q = with_second_id(other);
        let found = q.messages("E0815");
        assert!(
            found
                .iter()
                .any(|m| m.contains(&format!("document {other} rev. A"))
                    && m.contains("document DYN-QP-07 rev. A")),
            "{other}: {found:?}"
        );
        let build = q.run(&["build", q.qms(), "-o", q.out_arg()]);
        assert_ne!(build.code, 0, "{other}: built anyway");
    }
}

#[test]
fn names_that_differ_only_in_unicode_case_are_one_name() {
    for (one, other) in [
        ("DYN-QP-07-STRASSE", "DYN-QP-07-stra\u{df}e"),
        ("DYN-QP-07-\u{c4}RGER", "dyn-qp-07-\u{e4}rger"),
        // A decomposed accent is not a letter: it becomes `-`, which procdoc drops at the end.
        ("DYN-QP-07-cafe", "DYN-QP-07-cafe\u{301}"),
    ] {
        let q = Qms::copy(DYNE);
        q.edit(DYNE_FILE, "id: DYN-QP-07\n", &format!("id: \"{one}\"\n"));
        let text = std::fs::read_to_string(q.file(DYNE_FILE)).unwrap();
        std::fs::write(
            q.file("second.yaml"),
            text.replacen(&format!("id: \"{one}\""), &format!("id: \"{other}\""), 1),
        )
        .unwrap();
        let found = q.messages("E0815");
        assert!(
            found
                .iter()
                .any(|m| m.contains(&format!("document {other} rev. A")) && m.contains(one)),
            "{other}: {found:?}"
        );
    }
}

#[test]
fn forms_of_two_documents_without_form_numbers_do_not_share_a_file() {
    // Both documents have a record `contact-card` with fields and no form number: both
    // forms would be `forms/contact-card.pdf`.
    let q = with_second_id("DYN-QP-08");
    let found = q.messages("E0815");
    assert!(
        found
            .iter()
            .any(|m| m.contains("forms/contact-card.pdf") && m.contains("DYN-QP-08")),
        "{found:?}"
    );
}

#[test]
fn a_document_cannot_take_the_file_of_a_released_one() {
    let q = Qms::copy(DYNE);
    let a = q.release(DYNE_DOC, "2026-01-10");
    assert_eq!(a.code, 0, "{}", a.text());
    let released = std::fs::read(q.out.join("DYN-QP-07_A.pdf")).unwrap();
    // Renumber the document: its new id writes the released copy's file name.
    q.edit(DYNE_FILE, "id: DYN-QP-07\n", "id: DYN/QP-07\n");
    let found = q.messages("E0815");
    assert!(
        found
            .iter()
            .any(|m| m.contains("the controlled copy of DYN-QP-07 rev. A")),
        "{found:?}"
    );
    let release = q.release("DYN/QP-07", "2026-01-11");
    assert_ne!(release.code, 0, "{}", release.text());
    assert_eq!(
        std::fs::read(q.out.join("DYN-QP-07_A.pdf")).unwrap(),
        released,
        "the controlled copy was replaced"
    );
}

fn run(q: &Qms, db: &Path, args: &[&str]) -> super::qms::Outcome {
    let mut all = vec!["run", "--qms", q.qms(), "--db", db.to_str().unwrap()];
    all.extend(args);
    q.run(&all)
}

#[test]
fn runs_whose_references_make_one_file_name_export_to_different_files() {
    let q = Qms::copy(DYNE);
    let db = q.tmp.path().join("runs.sqlite");
    for reference in ["SO/7", "SO_7", "so_7"] {
        let start = run(
            &q,
            &db,
            &["start", DYNE_DOC, "--flow", "pre-sale", "--ref", reference],
        );
        assert_eq!(start.code, 0, "{reference}: {}", start.text());
    }
    // The same reference in another flow.
    let start = run(
        &q,
        &db,
        &["start", DYNE_DOC, "--flow", "complaint", "--ref", "SO/7"],
    );
    assert_eq!(start.code, 0, "{}", start.text());
    let out = q.tmp.path().join("exports");
    let mut written = Vec::new();
    for (reference, flow) in [
        ("SO/7", "pre-sale"),
        ("SO_7", "pre-sale"),
        ("so_7", "pre-sale"),
        ("SO/7", "complaint"),
    ] {
        let export = run(
            &q,
            &db,
            &[
                "export",
                reference,
                "--flow",
                flow,
                "-o",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(export.code, 0, "{reference}: {}", export.text());
        written.push(export.stdout.clone());
    }
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // Eight files, distinct even on a case-insensitive disk.
    let mut folded: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    folded.sort();
    folded.dedup();
    assert_eq!(folded.len(), 8, "{names:?}\n{written:?}");
    // Each JSON holds its own run.
    for name in names.iter().filter(|n| n.ends_with(".json")) {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap();
        assert!(v["reference"].is_string(), "{name}");
    }
}

#[test]
fn an_export_never_overwrites_a_file_it_did_not_write() {
    let q = Qms::copy(DYNE);
    let db = q.tmp.path().join("runs.sqlite");
    let start = run(
        &q,
        &db,
        &["start", DYNE_DOC, "--flow", "pre-sale", "--ref", "SO-9"],
    );
    assert_eq!(start.code, 0, "{}", start.text());
    let out = q.tmp.path().join("exports");
    std::fs::create_dir_all(&out).unwrap();
    // A different file under a name a case-insensitive disk takes for ours.
    std::fs::write(out.join("so-9.json"), "someone else's notes").unwrap();
    let export = run(&q, &db, &["export", "SO-9", "-o", out.to_str().unwrap()]);
    assert_eq!(export.code, 2, "{}", export.text());
    assert!(export.stderr.contains("so-9.json"), "{}", export.stderr);
    assert_eq!(
        std::fs::read_to_string(out.join("so-9.json")).unwrap(),
        "someone else's notes"
    );
    // Exporting the same run again into its own files is fine.
    std::fs::remove_file(out.join("so-9.json")).unwrap();
    for _ in 0..2 {
        let export = run(&q, &db, &["export", "SO-9", "-o", out.to_str().unwrap()]);
        assert_eq!(export.code, 0, "{}", export.text());
    }
}
