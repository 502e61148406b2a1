//! What the traveller prints in a step's time cell when the step has no deadline: its
//! escalation and timeout start the cell, with no empty line above them.

mod common;

use std::path::Path;

#[test]
fn an_escalation_without_a_deadline_starts_its_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let qms = tmp.path().join("kestrel");
    common::copy_dir(Path::new("specs/kestrel"), &qms);
    let spec = qms.join("KPM-QP-11.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let without = text.replacen(
        "        produces: [lab-certificate]\n        within: 10 working days\n",
        "        produces: [lab-certificate]\n",
        1,
    );
    assert_ne!(without, text, "the step's deadline was removed");
    std::fs::write(&spec, without).unwrap();
    let out = tmp.path().join("out");
    let (code, stderr) = common::build(&qms, &out, &["--emit-typst"]);
    assert_eq!(code, 0, "{stderr}");
    let source =
        std::fs::read_to_string(out.join("typst/travellers/KPM-QP-11_calibration.typ")).unwrap();
    let cell = source
        .lines()
        .find(|l| l.contains("escalated to QA, PUR"))
        .expect("the escalation is printed");
    assert!(
        cell.contains(
            "[#text(size: 7pt)[escalated to QA, PUR after 10 working days \\ if no answer"
        ),
        "{cell}"
    );
}
