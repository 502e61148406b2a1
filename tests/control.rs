//! Document control end to end, on a temporary copy of specs/red-maple: release, the
//! register, edits without a new revision, obsolete copies, byte-identical rebuilds of
//! released revisions, verify, diff, periodic reviews and a broken register.

mod common;
use common::pdf_text;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

struct Qms {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    out: PathBuf,
}

impl Qms {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("red-maple");
        std::fs::create_dir(&dir).unwrap();
        for entry in std::fs::read_dir("specs/red-maple").unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
        common::sign_approvals(&dir);
        let out = tmp.path().join("out");
        Qms {
            _tmp: tmp,
            dir,
            out,
        }
    }

    fn spec(&self) -> PathBuf {
        self.dir.join("CS-P-001.yaml")
    }

    fn edit(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.spec()).unwrap();
        assert!(text.contains(from), "{from} not in the spec");
        std::fs::write(self.spec(), text.replacen(from, to, 1)).unwrap();
    }

    /// Run procdoc with `PROCDOC_NOW` pinned; (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let output = Command::cargo_bin("procdoc")
            .unwrap()
            .env("PROCDOC_NOW", "2026-03-01")
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn qms(&self) -> &str {
        self.dir.to_str().unwrap()
    }

    fn release(&self, at: &str) -> (i32, String, String) {
        let out = self.out.to_str().unwrap().to_string();
        self.run(&[
            "release",
            "CS-P-001",
            "--qms",
            self.qms(),
            "--at",
            at,
            "-o",
            &out,
        ])
    }

    /// Raise the revision to A/02 with a history entry and a changed step title.
    fn bump(&self) {
        self.edit("revision: A/01\n", "revision: A/02\n");
        self.edit("effective: 2009-06-01", "effective: 2026-02-01");
        self.edit(
            "    change: { en: First release, zh: 首次发行 }\n",
            "    change: { en: First release, zh: 首次发行 }\n  - revision: A/02\n    date: 2026-02-01\n    change: { en: Contract review wording, zh: 合同评审措辞 }\n    by: Chen Lei\n",
        );
        self.edit(
            "Review the order item by item, zh",
            "Review the contract item by item, zh",
        );
    }
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn release_edit_rerelease_verify_rebuild_and_diff() {
    let q = Qms::new();
    let (code, stdout, stderr) = q.release("2026-01-10");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let register = std::fs::read_to_string(q.dir.join("register.yaml")).unwrap();
    assert!(register.contains("doc: CS-P-001"), "{register}");
    assert!(
        register.contains("released_at: 2026-01-09T16:00:00Z"),
        "{register}"
    );
    let released = q.out.join("CS-P-001_A-01.pdf");
    assert!(pdf_text(&released).contains("CONTROLLED COPY"));
    assert!(register.contains(&sha256(&released)));

    // Releasing the same revision again is refused.
    let (code, _, stderr) = q.release("2026-01-11");
    assert_eq!(code, 1);
    assert!(stderr.contains("already released"), "{stderr}");

    // A formatting-only edit is no change.
    q.edit(
        "# yaml-language-server",
        "# edited comment\n# yaml-language-server",
    );
    q.edit("owner: CS ", "owner:   CS ");
    let (code, stdout, stderr) = q.run(&["check", q.qms()]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    // A real edit without a new revision is an error naming what changed.
    q.edit(
        "Review the order item by item, zh",
        "Review the contract item by item, zh",
    );
    let (code, stdout, _) = q.run(&["check", q.qms()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("E0813 modified-without-revision"),
        "{stdout}"
    );
    assert!(stdout.contains("step contract/review (title)"), "{stdout}");
    q.edit(
        "Review the contract item by item, zh",
        "Review the order item by item, zh",
    );

    // The build stamps the released revision CONTROLLED COPY, byte for byte the release.
    let out = q.out.to_str().unwrap().to_string();
    let (code, _, stderr) = q.run(&["build", q.qms(), "-o", &out]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(sha256(&released), sha256(&q.out.join("CS-P-001_A-01.pdf")));
    let master = std::fs::read_to_string(q.out.join("master-list.csv")).unwrap();
    assert!(
        master.contains("CS-P-001,Customer Management Procedure,A/01,2009-06-01,Customer Service Dept.,CONTROLLED,"),
        "{master}"
    );
    let kept = q.out.join("kept-A-01.pdf");
    std::fs::copy(&released, &kept).unwrap();

    // A new revision: released, the old one kept as an OBSOLETE copy.
    q.bump();
    let (code, _, stderr) = q.run(&["build", q.qms(), "-o", &out]);
    assert_eq!(code, 0, "{stderr}");
    assert!(pdf_text(&q.out.join("CS-P-001_A-02.pdf")).contains("DRAFT"));
    let (code, stdout, stderr) = q.release("2026-02-01");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let obsolete = q.out.join("obsolete/CS-P-001_A-01.pdf");
    assert!(pdf_text(&obsolete).contains("OBSOLETE"));
    let current = q.out.join("CS-P-001_A-02.pdf");
    assert!(pdf_text(&current).contains("CONTROLLED COPY"));
    // The superseded controlled copy leaves the main folder; the OBSOLETE copy's checksum
    // is in the register, so verify recognises it.
    assert!(
        !released.exists(),
        "the A/01 controlled copy is still there"
    );
    assert!(
        stdout.contains("removed the controlled copy of rev. A/01"),
        "{stdout}"
    );
    let register = std::fs::read_to_string(q.dir.join("register.yaml")).unwrap();
    assert!(
        register.contains(&format!(
            "  obsoleted:\n    revision: A/01\n    pdf: CS-P-001_A-01.pdf\n    pdf_sha256: {}\n",
            sha256(&obsolete)
        )),
        "{register}"
    );
    let (code, stdout, _) = q.run(&["verify", "--qms", q.qms(), obsolete.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("rev. A/01") && stdout.contains("obsolete, matches the register"),
        "{stdout}"
    );
    // The master list follows.
    let (code, _, stderr) = q.run(&["build", q.qms(), "-o", &out]);
    assert_eq!(code, 0, "{stderr}");
    let master = std::fs::read_to_string(q.out.join("master-list.csv")).unwrap();
    assert!(master.contains(",A/02,2026-02-01,"), "{master}");
    assert!(master.contains(",CONTROLLED,"), "{master}");

    // The old revision rebuilds byte-identical from the register.
    let (code, stdout, stderr) =
        q.run(&["build", q.qms(), "-o", &out, "--revision", "CS-P-001@A/01"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("identical byte for byte"), "{stdout}");
    assert_eq!(
        sha256(&kept),
        sha256(&q.out.join("revisions/CS-P-001_A-01.pdf"))
    );

    // verify: current, obsolete, tampered, by fingerprint.
    let current_s = current.to_str().unwrap();
    let (code, stdout, _) = q.run(&["verify", "--qms", q.qms(), current_s]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("CS-P-001 rev. A/02") && stdout.contains("current"),
        "{stdout}"
    );
    let (code, stdout, _) = q.run(&["verify", "--qms", q.qms(), kept.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("rev. A/01") && stdout.contains("obsolete"),
        "{stdout}"
    );
    let mut bytes = std::fs::read(&current).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    let tampered = q.out.join("tampered.pdf");
    std::fs::write(&tampered, bytes).unwrap();
    let (code, stdout, _) = q.run(&["verify", "--qms", q.qms(), tampered.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("rev. A/02") && stdout.contains("NOT match"),
        "{stdout}"
    );
    let register = std::fs::read_to_string(q.dir.join("register.yaml")).unwrap();
    let fp_line = register
        .lines()
        .filter(|l| l.starts_with("  fingerprint: "))
        .nth(1)
        .unwrap();
    let short = procdoc::control::fingerprint::short(fp_line.trim_start_matches("  fingerprint: "));
    let (code, stdout, _) = q.run(&[
        "verify",
        "--qms",
        q.qms(),
        "--fingerprint",
        &short.to_lowercase(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("rev. A/02"), "{stdout}");

    // diff between the two released revisions.
    let (code, stdout, _) = q.run(&[
        "diff",
        "CS-P-001",
        "--qms",
        q.qms(),
        "--from",
        "A/01",
        "--to",
        "A/02",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("changed  revision"), "{stdout}");
    assert!(stdout.contains("added    history entry A/02"), "{stdout}");
    assert!(
        stdout.contains("Review the [-order-] {+contract+} item by item"),
        "{stdout}"
    );
    assert!(
        stdout.contains("possibly stale translation: `zh`"),
        "{stdout}"
    );
    let (code, stdout, _) = q.run(&["diff", "CS-P-001", "--qms", q.qms(), "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("No changes."), "{stdout}");
}

#[test]
fn a_review_resets_the_due_date() {
    let q = Qms::new();
    q.edit("owner: CS ", "owner: CS\nreview_every: 1 year ");
    let (code, stdout, stderr) = q.release("2026-01-10");
    assert_eq!(code, 0, "{stdout}{stderr}");
    // Due one year after the effective date (2009), long overdue.
    let (code, stdout, _) = q.run(&["check", q.qms()]);
    assert_eq!(code, 0);
    assert!(stdout.contains("W0814 review-overdue"), "{stdout}");
    let (_, stdout, _) = q.run(&["status", q.qms()]);
    assert!(stdout.contains("2010-06-01 OVERDUE"), "{stdout}");
    let (code, stdout, stderr) = q.run(&[
        "review",
        "CS-P-001",
        "--qms",
        q.qms(),
        "--by",
        "Zhou Ming",
        "--note",
        "still adequate",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("next review due 2027-03-01"), "{stdout}");
    let (code, stdout, _) = q.run(&["check", q.qms()]);
    assert_eq!(code, 0);
    assert!(!stdout.contains("W0814"), "{stdout}");
    let (_, stdout, _) = q.run(&["status", q.qms()]);
    assert!(
        stdout.contains("released") && stdout.contains("2027-03-01"),
        "{stdout}"
    );
    assert!(!stdout.contains("OVERDUE"), "{stdout}");
}

#[test]
fn a_malformed_register_is_a_located_error_and_is_never_appended_to() {
    let q = Qms::new();
    std::fs::write(
        q.dir.join("register.yaml"),
        "releases:\n- doc: CS-P-001\n  revision: A/01\n  effective: 2009-06-01\n  fingerprint: [oops\n",
    )
    .unwrap();
    let (code, stdout, _) = q.run(&["check", q.qms()]);
    assert_eq!(code, 1);
    assert!(stdout.contains("E0812 register-invalid"), "{stdout}");
    assert!(stdout.contains("register.yaml:"), "{stdout}");
    let before = std::fs::read(q.dir.join("register.yaml")).unwrap();
    let (code, _, stderr) = q.release("2026-01-10");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(before, std::fs::read(q.dir.join("register.yaml")).unwrap());
}
