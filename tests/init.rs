//! `procdoc init`: a new QMS that checks clean with warnings denied and builds, with the
//! schemas and editor settings; a folder that is not empty is refused and left as it was.

mod common;
use common::build;

fn procdoc(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let output = assert_cmd::Command::cargo_bin("procdoc")
        .unwrap()
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

#[test]
fn init_starts_a_qms_that_checks_clean_and_builds() {
    let root = tempfile::tempdir().unwrap();
    let qms = root.path().join("new-qms");
    let (code, out, err) = procdoc(&["init".as_ref(), qms.as_os_str()]);
    assert_eq!(code, 0, "{out}{err}");
    for file in [
        "procdoc.yaml",
        "QP-001.yaml",
        "schema/procedure.schema.json",
        "schema/settings.schema.json",
        ".vscode/settings.json",
        ".helix/languages.toml",
        ".gitignore",
    ] {
        assert!(qms.join(file).is_file(), "{file} missing; printed:\n{out}");
        assert!(out.contains(file), "{file} not named in:\n{out}");
    }
    assert_eq!(
        std::fs::read_to_string(qms.join("schema/procedure.schema.json")).unwrap(),
        procdoc::schema::procedure(),
        "the schemas of this procdoc version"
    );
    let (code, out, err) = procdoc(&[
        "check".as_ref(),
        "--deny-warnings".as_ref(),
        qms.as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let output = tempfile::tempdir().unwrap();
    let (code, stderr) = build(&qms, output.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(output.path().join("QP-001_A.pdf").is_file());
}

#[test]
fn init_refuses_a_folder_that_is_not_empty() {
    let qms = tempfile::tempdir().unwrap();
    std::fs::write(qms.path().join("notes.txt"), "mine").unwrap();
    let (code, out, err) = procdoc(&["init".as_ref(), qms.path().as_os_str()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("is not empty"), "{err}");
    let names: Vec<_> = std::fs::read_dir(qms.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["notes.txt"], "nothing written");
}
