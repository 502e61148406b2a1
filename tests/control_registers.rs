//! The register files of per-item flows are part of the controlled procedure: a changed
//! register without a new revision is found as an edited YAML file is, and the diff names
//! the items that changed. Procedures without registers keep their fingerprints.

mod common;

use std::path::Path;

use assert_cmd::Command;

fn procdoc(args: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("procdoc")
        .unwrap()
        .env("PROCDOC_NOW", "2026-03-01")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn an_edited_register_is_a_change_of_the_released_procedure() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("comm-service");
    common::copy_dir(Path::new("specs/comm-service"), &dir);
    common::sign_approvals(&dir);
    let qms = dir.to_str().unwrap();
    let out = tmp.path().join("out");
    let (code, text) = procdoc(&[
        "release",
        "IC-CS-02",
        "--qms",
        qms,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = procdoc(&["check", qms]);
    assert_eq!(code, 0, "{text}");

    // Quoting and spacing outside the values are no change.
    let csv = dir.join("registers/customers.csv");
    let original = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&csv, original.replace('\n', "\r\n")).unwrap();
    let (code, text) = procdoc(&["check", qms]);
    assert_eq!(code, 0, "{text}");

    edit(
        &csv,
        "C-002,示例客户乙（样本数据）,近距离",
        "C-002,示例客户乙（样本数据）,远距离",
    );
    let (code, text) = procdoc(&["check", qms]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("E0813"), "{text}");
    let (_, text) = procdoc(&["diff", "IC-CS-02", "--qms", qms]);
    assert!(text.contains("register customers"), "{text}");
    assert!(text.contains("item C-002"), "{text}");
    assert!(text.contains("近距离") && text.contains("远距离"), "{text}");
}

#[test]
fn procedures_without_registers_carry_none() {
    let (qms, _) = procdoc::spec::load::load(Path::new("specs/red-maple")).unwrap();
    for p in &qms.procedures {
        assert!(p.doc.register_files.is_empty());
        let json = serde_json::to_string(&p.doc).unwrap();
        assert!(!json.contains("register_files"), "{json}");
    }
    let (qms, _) = procdoc::spec::load::load(Path::new("specs/kestrel")).unwrap();
    let calibration = &qms.procedure("KPM-QP-11").unwrap().doc;
    assert_eq!(calibration.register_files.len(), 1);
    assert_eq!(calibration.register_files[0].id, "gauges");
    assert!(
        qms.procedure("KPM-QP-13")
            .unwrap()
            .doc
            .register_files
            .is_empty()
    );
}
