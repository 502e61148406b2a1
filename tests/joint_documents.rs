//! What the printed documents say of steps signed by several departments, decisions taken
//! from a record field and number ranges, in each QMS language.

mod common;
use common::{build, pdf_text};

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn documents_travellers_and_forms_print_joint_sign_off_field_decisions_and_ranges() {
    let out = tempfile::tempdir().unwrap();
    let (code, err) = build("tests/fixtures/run/joint", out.path(), &[]);
    assert_eq!(code, 0, "{err}");

    let doc = squeeze(&pdf_text(&out.path().join("QA-P-010_A.pdf")));
    assert!(doc.contains("QA, PROD and ENG each sign"), "{doc}");
    // Text extraction spaces out Chinese characters: compare them without spaces.
    let compact: String = doc.split_whitespace().collect();
    assert!(compact.contains("QA、PROD和ENG各自签署"), "{doc}");
    assert!(
        doc.contains("the outcome follows the category entered on CS-F-012"),
        "{doc}"
    );
    assert!(compact.contains("结果按CS-F-012上填写的类别确定"), "{doc}");

    // One signature row per department on the traveller's joint step.
    let traveller = squeeze(&pdf_text(&out.path().join("travellers/QA-P-010_capa.pdf")));
    let approve = traveller
        .find("Approve the corrective action")
        .expect("the joint step");
    let rest = &traveller[approve..];
    let close = rest
        .find("Close the corrective action")
        .unwrap_or(rest.len());
    let row = &rest[..close];
    for code in ["QA", "PROD", "ENG"] {
        assert!(row.contains(code), "{code} has no row: {row}");
    }
    assert_eq!(row.matches("YYYY-MM-DD").count(), 3, "{row}");
    // The traveller says where a decision on a field comes from, as the document does.
    assert!(
        traveller.contains("the outcome follows the category entered on CS-F-012"),
        "{traveller}"
    );

    // The flowchart marks the joint step in the lanes of PROD and ENG too.
    let svg = std::fs::read_to_string(out.path().join("diagrams/QA-P-010_capa.svg")).unwrap();
    assert_eq!(svg.matches(r#"data-joint="approve""#).count(), 2, "{svg}");
    for lane in ["Production", "Engineering"] {
        assert!(svg.contains(lane), "no lane {lane}");
    }
    // A decision on a field without a question of its own asks for the field in its diamond.
    assert!(svg.contains("Category?"), "{svg}");
    assert!(svg.contains("类别？"), "{svg}");

    // The blank form prints the range of the number field.
    let form = squeeze(&pdf_text(&out.path().join("forms/CS-F-012.pdf")));
    assert!(form.contains("1–10"), "{form}");
}
