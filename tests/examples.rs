//! The bundled example QMS folders are faithful, clean specs: each passes
//! `check --deny-warnings`, and their graphs export.

mod common;
use common::{EXAMPLES, example_folders};

use assert_cmd::Command;

#[test]
fn every_example_checks_clean_with_warnings_denied() {
    for example in EXAMPLES {
        let output = Command::cargo_bin("procdoc")
            .unwrap()
            .args(["check", "--deny-warnings", &format!("specs/{example}")])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "specs/{example} is not clean:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

#[test]
fn every_folder_under_specs_is_a_listed_example() {
    let mut listed: Vec<String> = EXAMPLES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(example_folders(), listed);
}
