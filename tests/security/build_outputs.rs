//! What `build` does to its output folder: a no-op build proves the files it keeps, two
//! builds racing into one folder leave it as one build would, fonts given with
//! `--font-path` decide rebuilds, a superseded revision leaves the top of any output folder
//! for `obsolete/`, and symbolic links in the QMS folder are followed or named.

use crate::common::{build, copy_dir, pdf_text};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file under `dir` (relative, `/`-separated) and its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap().to_string_lossy();
                out.insert(name.replace('\\', "/"), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn red_maple_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let qms = tmp.path().join("red-maple");
    copy_dir(Path::new("specs/red-maple"), &qms);
    // Released below: signed first (the example's sign-offs are blank, as in the original).
    crate::common::sign_approvals(&qms);
    (tmp, qms)
}

#[test]
fn a_no_op_build_rewrites_a_file_whose_bytes_changed() {
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build("specs/red-maple", out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let csv = out.path().join("master-list.csv");
    let good = std::fs::read(&csv).unwrap();
    // What a lost race once left behind: another output's bytes under this name.
    std::fs::copy(out.path().join("CS-P-001_A-01.pdf"), &csv).unwrap();
    let (code, stderr) = build("specs/red-maple", out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(" 1 written"), "{stderr}");
    assert_eq!(std::fs::read(&csv).unwrap(), good);
    let (_, stderr) = build("specs/red-maple", out.path(), &[]);
    assert!(stderr.contains(" 0 written"), "{stderr}");
}

#[test]
fn two_builds_racing_into_one_folder_leave_what_one_build_leaves() {
    let reference = tempfile::tempdir().unwrap();
    let (code, stderr) = build("specs/comm-service", reference.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let expected = files(reference.path());

    let out = tempfile::tempdir().unwrap();
    let spawn = || {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("procdoc"))
            .env("NO_COLOR", "1")
            .args(["build", "specs/comm-service", "--force", "-o"])
            .arg(out.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let got = files(out.path());
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the same files, and no temporary file left"
    );
    for (name, bytes) in &expected {
        if name.ends_with(".json") || name.ends_with(".lock") {
            continue;
        }
        assert!(&got[name] == bytes, "{name} differs from a single build's");
    }
    let (code, stderr) = build("specs/comm-service", out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(" 0 written"), "{stderr}");
}

#[test]
fn a_changed_font_in_font_path_rebuilds() {
    let fonts = tempfile::tempdir().unwrap();
    let font = fonts.path().join("Extra.ttf");
    std::fs::copy("fonts/NotoSans-Italic.ttf", &font).unwrap();
    let out = tempfile::tempdir().unwrap();
    let font_path = fonts.path().to_str().unwrap();
    let args = ["--font-path", font_path];
    let (code, stderr) = build("specs/red-maple", out.path(), &args);
    assert_eq!(code, 0, "{stderr}");
    let (_, stderr) = build("specs/red-maple", out.path(), &args);
    assert!(stderr.contains(" 0 written"), "{stderr}");
    // Another font under the same name.
    std::fs::copy("fonts/NotoSans-BoldItalic.ttf", &font).unwrap();
    let (code, stderr) = build("specs/red-maple", out.path(), &args);
    assert_eq!(code, 0, "{stderr}");
    // Every PDF is typeset again (this font prints nothing in them, so their bytes stay).
    let pdfs = files(out.path())
        .keys()
        .filter(|name| name.ends_with(".pdf"))
        .count();
    assert!(
        stderr.contains(&format!(
            "0 written, {pdfs} made again byte for byte the same"
        )),
        "{pdfs} PDFs typeset again: {stderr}"
    );
}

/// procdoc with the clock pinned: (exit code, stdout + stderr).
fn procdoc(args: &[&str]) -> (i32, String) {
    let output = assert_cmd::Command::cargo_bin("procdoc")
        .unwrap()
        .env("PROCDOC_NOW", "2026-03-01")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{from} not in {}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_superseded_revision_moves_to_obsolete_in_any_output_folder() {
    let (tmp, qms) = red_maple_copy();
    let q = qms.to_str().unwrap();
    let released_into = tmp.path().join("released");
    let r = released_into.to_str().unwrap();
    let mine = tmp.path().join("mine");
    let (code, text) = procdoc(&[
        "release",
        "CS-P-001",
        "--qms",
        q,
        "--at",
        "2026-01-10",
        "-o",
        r,
    ]);
    assert_eq!(code, 0, "{text}");
    let (code, stderr) = build(&qms, &mine, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(pdf_text(&mine.join("CS-P-001_A-01.pdf")).contains("CONTROLLED COPY"));

    let spec = qms.join("CS-P-001.yaml");
    edit(&spec, "revision: A/01\n", "revision: A/02\n");
    edit(&spec, "effective: 2009-06-01", "effective: 2026-02-01");
    edit(
        &spec,
        "    change: { en: First release, zh: 首次发行 }\n",
        "    change: { en: First release, zh: 首次发行 }\n  - revision: A/02\n    date: 2026-02-01\n    change: { en: Wording, zh: 措辞 }\n    by: Chen Lei\n",
    );
    let (code, text) = procdoc(&[
        "release",
        "CS-P-001",
        "--qms",
        q,
        "--at",
        "2026-02-01",
        "-o",
        r,
    ]);
    assert_eq!(code, 0, "{text}");

    // A folder the release never saw: the old controlled copy goes, its OBSOLETE copy
    // (the very one the register certifies) comes.
    let (code, stderr) = build(&qms, &mine, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !mine.join("CS-P-001_A-01.pdf").exists(),
        "the superseded controlled copy is still at the top: {stderr}"
    );
    assert!(
        stderr.contains("removed") && stderr.contains("CS-P-001_A-01.pdf"),
        "{stderr}"
    );
    let obsolete = mine.join("obsolete/CS-P-001_A-01.pdf");
    assert!(pdf_text(&obsolete).contains("OBSOLETE"));
    assert_eq!(
        std::fs::read(&obsolete).unwrap(),
        std::fs::read(released_into.join("obsolete/CS-P-001_A-01.pdf")).unwrap()
    );
    assert!(pdf_text(&mine.join("CS-P-001_A-02.pdf")).contains("CONTROLLED COPY"));
    let (_, stderr) = build(&qms, &mine, &[]);
    assert!(stderr.contains(" 0 written"), "{stderr}");

    // A file procdoc did not write is never removed.
    let fresh = tmp.path().join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    std::fs::write(fresh.join("CS-P-001_A-01.pdf"), b"the user's own file").unwrap();
    let (code, stderr) = build(&qms, &fresh, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read(fresh.join("CS-P-001_A-01.pdf")).unwrap(),
        b"the user's own file"
    );
}

#[cfg(unix)]
#[test]
fn symbolic_links_inside_the_folder_are_followed_and_others_are_named() {
    let (tmp, qms) = red_maple_copy();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    // The procedure lives in a sub-folder, linked from the top.
    std::fs::create_dir(qms.join("parts")).unwrap();
    std::fs::rename(qms.join("CS-P-001.yaml"), qms.join("parts/CS-P-001.txt")).unwrap();
    std::os::unix::fs::symlink("parts/CS-P-001.txt", qms.join("CS-P-001.yaml")).unwrap();
    let out = tmp.path().join("out");
    let (code, stderr) = build(&qms, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.join("CS-P-001_A-01.pdf").is_file(), "{stderr}");

    // A link leading out of the folder is not read, and the check says so.
    let outside = elsewhere.join("QP-9.yaml");
    std::fs::copy(qms.join("parts/CS-P-001.txt"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, qms.join("QP-9.yaml")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("gone.yaml"), qms.join("gone.yaml")).unwrap();
    let (code, text) = procdoc(&["check", qms.to_str().unwrap()]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("E0007")
            && text.contains("QP-9.yaml is a symbolic link that was not read")
            && text.contains("outside the QMS folder"),
        "{text}"
    );
    assert!(
        text.contains("gone.yaml is a symbolic link") && text.contains("broken"),
        "{text}"
    );
}
