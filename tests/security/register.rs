//! The document control register (`register.yaml`) edited by hand or by an attacker: what
//! it names is never a path, files are deleted, replaced or certified only when they are
//! the copies procdoc recorded, and every edit of its history is reported by `check` and
//! refused by the commands that trust it.

use std::path::Path;

use super::qms::{DYNE, DYNE_DOC, DYNE_FILE, Qms, sha256};

fn victim(q: &Qms, rel: &str) -> std::path::PathBuf {
    let path = q.tmp.path().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "someone else's notes").unwrap();
    path
}

fn untouched(path: &Path) {
    assert_eq!(
        std::fs::read_to_string(path).unwrap(),
        "someone else's notes",
        "{} was written",
        path.display()
    );
}

#[test]
fn a_register_pdf_name_never_steers_a_write_or_a_delete() {
    let q = Qms::copy(DYNE);
    let a = q.release(DYNE_DOC, "2026-01-10");
    assert_eq!(a.code, 0, "{}", a.text());
    let absolute = victim(&q, "srv/shared/notes.txt");
    let relative = victim(&q, "victim/b.txt");
    for steer in [
        absolute.to_str().unwrap().to_string(),
        "../victim/b.txt".to_string(),
        "obsolete/../../victim/b.txt".to_string(),
        "DYN-QP-07_B.pdf".to_string(),
    ] {
        let original = q.register();
        q.edit(
            "register.yaml",
            "pdf: DYN-QP-07_A.pdf",
            &format!("pdf: '{steer}'"),
        );
        let found = q.messages("E0812");
        assert!(
            found
                .iter()
                .any(|m| m.contains("names its controlled copy")),
            "{steer}: {found:?}"
        );
        let rebuild = q.run(&[
            "build",
            q.qms(),
            "-o",
            q.out_arg(),
            "--revision",
            "DYN-QP-07@A",
        ]);
        assert_ne!(rebuild.code, 0, "{steer}: {}", rebuild.text());
        std::fs::write(q.file("register.yaml"), original).unwrap();
        untouched(&absolute);
        untouched(&relative);
    }
    // The next release is refused while the register names a foreign file, and deletes
    // nothing.
    q.edit(
        "register.yaml",
        "pdf: DYN-QP-07_A.pdf",
        "pdf: ../victim/b.txt",
    );
    q.bump_dyne();
    let b = q.release(DYNE_DOC, "2026-02-10");
    assert_eq!(b.code, 1, "{}", b.text());
    untouched(&relative);
    assert!(q.out.join("DYN-QP-07_A.pdf").is_file());
}

#[test]
fn only_the_recorded_controlled_copy_is_removed_when_superseded() {
    let q = Qms::copy(DYNE);
    let a = q.release(DYNE_DOC, "2026-01-10");
    assert_eq!(a.code, 0, "{}", a.text());
    // Someone replaced the controlled copy with their own file of the same name.
    let copy = q.out.join("DYN-QP-07_A.pdf");
    std::fs::write(&copy, "someone else's notes").unwrap();
    q.bump_dyne();
    let b = q.release(DYNE_DOC, "2026-02-10");
    assert_eq!(b.code, 0, "{}", b.text());
    untouched(&copy);
    assert!(
        b.stderr.contains("not the copy procdoc recorded"),
        "{}",
        b.stderr
    );
    assert!(
        !b.stdout.contains("removed the controlled copy"),
        "{}",
        b.stdout
    );
}

#[test]
fn a_file_planted_at_the_obsolete_copy_is_neither_certified_nor_replaced() {
    for planted in ["file", "link"] {
        let q = Qms::copy(DYNE);
        let a = q.release(DYNE_DOC, "2026-01-10");
        assert_eq!(a.code, 0, "{}", a.text());
        let target = victim(&q, "victim/b.txt");
        let obsolete = q.out.join("obsolete").join("DYN-QP-07_A.pdf");
        std::fs::create_dir_all(obsolete.parent().unwrap()).unwrap();
        if planted == "file" {
            std::fs::write(&obsolete, "someone else's notes").unwrap();
        } else {
            #[cfg(unix)]
            std::os::unix::fs::symlink(&target, &obsolete).unwrap();
        }
        let before = q.register();
        q.bump_dyne();
        let b = q.release(DYNE_DOC, "2026-02-10");
        assert_eq!(b.code, 1, "{planted}: {}", b.text());
        assert!(b.stderr.contains("move it away"), "{}", b.stderr);
        assert_eq!(q.register(), before, "{planted}: recorded anyway");
        untouched(&target);
        if planted == "file" {
            untouched(&obsolete);
        }
    }
}

#[test]
fn a_file_planted_at_the_controlled_copy_name_is_not_overwritten() {
    for planted in ["file", "link"] {
        let q = Qms::copy(DYNE);
        let target = victim(&q, "srv/shared/notes.txt");
        let copy = q.out.join("DYN-QP-07_A.pdf");
        std::fs::create_dir_all(&q.out).unwrap();
        if planted == "file" {
            std::fs::write(&copy, "someone else's notes").unwrap();
        } else {
            #[cfg(unix)]
            std::os::unix::fs::symlink(&target, &copy).unwrap();
        }
        let a = q.release(DYNE_DOC, "2026-01-10");
        assert_eq!(a.code, 2, "{planted}: {}", a.text());
        assert!(a.stderr.contains("move it away"), "{}", a.stderr);
        untouched(&target);
        assert!(q.register().is_empty(), "{planted}: recorded anyway");
    }
}

#[test]
fn concurrent_releases_all_reach_the_register() {
    let q = Qms::copy("relationship-tw");
    let docs = ["CS-CP-001", "CS-M-001", "MAT-R-001"];
    let bin = assert_cmd::cargo::cargo_bin("procdoc");
    let children: Vec<_> = docs
        .iter()
        .map(|doc| {
            std::process::Command::new(&bin)
                .env("PROCDOC_NOW", "2026-03-01")
                .args(["release", doc, "--qms", q.qms(), "--at", "2026-01-10"])
                .arg("-o")
                .arg(&q.out)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (doc, child) in docs.iter().zip(children) {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{doc}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let register = q.register();
    for doc in docs {
        assert!(register.contains(&format!("doc: {doc}\n")), "{doc} lost");
        let pdf = q.out.join(format!("{doc}_A.pdf"));
        assert!(register.contains(&sha256(&pdf)), "{doc}: pdf not recorded");
    }
    let status = q.run(&["status", q.qms()]);
    assert!(!status.stdout.contains("draft"), "{}", status.stdout);
    // Nothing but the outputs and the lock is left behind: no temporary file.
    let leftovers: Vec<String> = std::fs::read_dir(&q.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Release rev. A and B of the dyne copy, apply `edit` to the register, and return the
/// E0812 messages `check` gives.
fn after_edit(edit: impl Fn(&str) -> String) -> (Qms, Vec<String>) {
    let q = Qms::copy(DYNE);
    q.release_dyne_twice();
    assert!(q.messages("E0812").is_empty());
    let text = q.register();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changed nothing");
    std::fs::write(q.file("register.yaml"), edited).unwrap();
    let found = q.messages("E0812");
    (q, found)
}

/// The register's text split into its header and release entries (`- doc: ...` blocks).
fn releases(text: &str) -> (String, Vec<String>, String) {
    let start = text.find("releases:\n").unwrap() + "releases:\n".len();
    let end = text.find("\nreviews:").map(|e| e + 1).unwrap_or(text.len());
    let body = &text[start..end];
    let mut entries: Vec<String> = Vec::new();
    for line in body.lines() {
        if line.starts_with("- ") {
            entries.push(String::new());
        }
        let last = entries.last_mut().unwrap();
        last.push_str(line);
        last.push('\n');
    }
    (text[..start].to_string(), entries, text[end..].to_string())
}

#[test]
fn reordered_releases_are_reported_and_verify_does_not_trust_them() {
    let (q, found) = after_edit(|text| {
        let (head, mut entries, tail) = releases(text);
        entries.swap(0, 1);
        format!("{head}{}{tail}", entries.concat())
    });
    assert!(
        found.iter().any(|m| m.contains("is listed after")),
        "{found:?}"
    );
    let verify = q.run(&[
        "verify",
        q.out.join("DYN-QP-07_B.pdf").to_str().unwrap(),
        "--qms",
        q.qms(),
    ]);
    assert_ne!(verify.code, 0, "{}", verify.text());
    assert!(!verify.stdout.contains("obsolete"), "{}", verify.stdout);
}

#[test]
fn a_release_without_the_obsolete_copy_it_replaced_is_reported() {
    let (_, found) = after_edit(|text| {
        let (head, mut entries, tail) = releases(text);
        let b = entries[1].clone();
        let start = b.find("  obsoleted:").unwrap();
        let end = b[start..]
            .find("    pdf_sha256:")
            .map(|e| start + e)
            .unwrap();
        let end = end + b[end..].find('\n').unwrap() + 1;
        entries[1] = format!("{}{}", &b[..start], &b[end..]);
        format!("{head}{}{tail}", entries.concat())
    });
    assert!(
        found
            .iter()
            .any(|m| m.contains("does not record the OBSOLETE copy of rev. A")),
        "{found:?}"
    );
}

#[test]
fn a_changed_effective_date_or_approval_is_reported() {
    let (_, found) =
        after_edit(|text| text.replacen("effective: 2026-02-01", "effective: 2026-01-15", 1));
    assert!(
        found
            .iter()
            .any(|m| m.contains("records effective 2026-01-15")),
        "{found:?}"
    );
    let (_, found) = after_edit(|text| text.replacen("by: Sun Jun", "by: Someone Else", 1));
    assert!(
        found.iter().any(|m| m.contains("records an approval")),
        "{found:?}"
    );
    // Both the recorded field and the content: the content no longer has its fingerprint.
    let (_, found) =
        after_edit(|text| text.replace("effective: 2026-02-01", "effective: 2026-01-15"));
    assert!(
        found.iter().any(|m| m.contains("has been altered")),
        "{found:?}"
    );
}

#[test]
fn a_release_recorded_before_its_approval_is_reported() {
    let (_, found) = after_edit(|text| {
        text.replacen(
            "released_at: 2026-01-09T16:00:00Z",
            "released_at: 2011-12-01T00:00:00Z",
            1,
        )
    });
    assert!(
        found
            .iter()
            .any(|m| m.contains("before its approval was complete")),
        "{found:?}"
    );
}

#[test]
fn reviews_dated_in_the_future_or_of_unreleased_revisions_are_reported() {
    let q = Qms::copy(DYNE);
    q.release_dyne_twice();
    let review = q.run(&["review", DYNE_DOC, "--qms", q.qms(), "--by", "Sun Jun"]);
    assert_eq!(review.code, 0, "{}", review.text());
    let text = q.register();
    for (from, to, expect) in [
        ("date: 2026-03-01", "date: 2099-01-01", "in the future"),
        (
            "date: 2026-03-01",
            "date: 2026-01-01",
            "before that revision was released",
        ),
        (
            "  revision: B\n  date: 2026-03-01",
            "  revision: Z\n  date: 2026-03-01",
            "no release of",
        ),
        (
            "  revision: B\n  date: 2026-03-01",
            "  revision: A\n  date: 2026-03-01",
            "was current then",
        ),
    ] {
        assert!(text.contains(from), "{from} not in {text}");
        std::fs::write(q.file("register.yaml"), text.replacen(from, to, 1)).unwrap();
        let found = q.messages("E0812");
        assert!(found.iter().any(|m| m.contains(expect)), "{to}: {found:?}");
    }
}

#[test]
fn release_and_review_refuse_impossible_dates() {
    let q = Qms::copy(DYNE);
    // Approved 2011-12-19: a release dated before it is refused.
    let early = q.release(DYNE_DOC, "2011-12-18");
    assert_eq!(early.code, 1, "{}", early.text());
    assert!(
        early.stderr.contains("after its approval"),
        "{}",
        early.stderr
    );
    let future = q.release(DYNE_DOC, "2099-01-01");
    assert_eq!(future.code, 1, "{}", future.text());
    assert!(future.stderr.contains("in the future"), "{}", future.stderr);
    assert!(q.register().is_empty());
    let a = q.release(DYNE_DOC, "2026-01-10");
    assert_eq!(a.code, 0, "{}", a.text());
    q.bump_dyne();
    // Before the release it replaces.
    let back = q.release(DYNE_DOC, "2026-01-09");
    assert_eq!(back.code, 1, "{}", back.text());
    assert!(
        back.stderr.contains("was released later"),
        "{}",
        back.stderr
    );
    for at in ["2099-01-01", "2026-01-01"] {
        let review = q.run(&[
            "review",
            DYNE_DOC,
            "--qms",
            q.qms(),
            "--by",
            "Sun Jun",
            "--at",
            at,
        ]);
        assert_eq!(review.code, 2, "{at}: {}", review.text());
    }
    let spec = std::fs::read_to_string(q.file(DYNE_FILE)).unwrap();
    assert!(spec.contains("revision: B"));
}

#[test]
fn removing_the_last_release_breaks_the_head_written_down_at_release() {
    let q = Qms::copy(DYNE);
    q.release_dyne_twice();
    let status = q.run(&["status", q.qms()]);
    let head = status
        .stdout
        .split("head ")
        .nth(1)
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|| panic!("no head in {}", status.stdout));
    assert!(head.starts_with("R2V0-"), "{head}");
    let ok = q.run(&["status", q.qms(), "--expect", &head]);
    assert_eq!(ok.code, 0, "{}", ok.text());
    // Entries appended since are fine.
    let review = q.run(&["review", DYNE_DOC, "--qms", q.qms(), "--by", "Sun Jun"]);
    assert_eq!(review.code, 0, "{}", review.text());
    assert!(
        review.stdout.contains("register head R2V1-"),
        "{}",
        review.stdout
    );
    let ok = q.run(&["status", q.qms(), "--expect", &head]);
    assert_eq!(ok.code, 0, "{}", ok.text());
    // Remove the last release (and the review of it): the register is consistent in
    // itself, but no longer holds what the head covered.
    let text = q.register();
    let (header, entries, _) = releases(&text);
    std::fs::write(q.file("register.yaml"), format!("{header}{}", entries[0])).unwrap();
    // `check` alone sees it too, from the copies the removed release left behind.
    let found = q.messages("E0812");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found
            .iter()
            .any(|m| m.contains("OBSOLETE copy DYN-QP-07_A.pdf")
                && m.contains("the release that replaced it is missing")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.contains("DYN-QP-07_B.pdf is a CONTROLLED COPY that matches no release")),
        "{found:?}"
    );
    let gone = q.run(&["status", q.qms(), "--expect", &head]);
    assert_eq!(gone.code, 1, "{}", gone.text());
    assert!(
        gone.stderr.contains("was removed or changed"),
        "{}",
        gone.stderr
    );
    let bad = q.run(&["status", q.qms(), "--expect", "not-a-head"]);
    assert_eq!(bad.code, 2, "{}", bad.text());
}

#[test]
fn removing_a_documents_only_release_is_seen_from_its_controlled_copy() {
    let q = Qms::copy(DYNE);
    let a = q.release(DYNE_DOC, "2026-01-10");
    assert_eq!(a.code, 0, "{}", a.text());
    // A build into the same folder rewrites the controlled copy: still the released bytes.
    let built = q.run(&["build", q.qms(), "-o", q.out_arg()]);
    assert_eq!(built.code, 0, "{}", built.text());
    assert!(q.messages("E0812").is_empty());
    std::fs::write(
        q.file("register.yaml"),
        "# procdoc register\nreleases: []\nreviews: []\n",
    )
    .unwrap();
    let found = q.messages("E0812");
    assert!(
        found
            .iter()
            .any(|m| m.contains("DYN-QP-07_A.pdf is a CONTROLLED COPY that matches no release")),
        "{found:?}"
    );
    // A draft build's copy claims nothing: once rebuilt as a draft, nothing is reported.
    let draft = q.run(&["build", q.qms(), "-o", q.out_arg()]);
    assert!(q.messages("E0812").is_empty(), "{}", draft.text());
}

#[test]
fn a_pdf_planted_in_the_obsolete_folder_is_reported() {
    let q = Qms::copy(DYNE);
    q.release_dyne_twice();
    assert!(q.messages("E0812").is_empty());
    std::fs::write(
        q.out.join("obsolete").join("DYN-QP-07_0.pdf"),
        b"%PDF-1.7 planted",
    )
    .unwrap();
    let found = q.messages("E0812");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("DYN-QP-07_0.pdf"), "{found:?}");
}
